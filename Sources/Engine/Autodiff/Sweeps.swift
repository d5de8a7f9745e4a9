import GraphLang

/// Forward and reverse sweeps over a graph's topological order, written once against
/// an `Algebra`: with `ValueAlgebra` they compute numbers (or symbols), with
/// `GraphBuilder` they emit the derivative graph. Both are loops: no recursion.
public enum Sweeps {
    /// Reverse mode: the adjoint ∂output/∂node of every node that depends on the source
    /// (`dep`), accumulated with `+=` over fan-out, in reverse topological order.
    /// Returns the adjoints (nil where zero) and the number of node rules applied.
    public static func reverse<A: Algebra>(
        _ a: inout A, graph: Graph, order: [Int], value: (Int) -> A.T, output: Int, seed: A.T, dep: NodeMap<Bool>,
        visit: ((Int, A.T) -> Void)? = nil
    ) throws -> (adjoints: NodeMap<A.T>, rules: Int) {
        var adj = NodeMap<A.T>(graphSize: graph.nodes.count, touched: order.count)
        adj[output] = seed
        var rules = 0
        for n in order.reversed() where dep[n] == true {
            guard let g = adj[n] else { continue }
            visit?(n, g)
            let node = graph.nodes[n]
            switch node.kind {
            case .op(let op):
                let wants = node.inputs.enumerated().map { i, c in op.isDifferentiableInput(i) && dep[c] == true }
                guard wants.contains(true) else { continue }
                rules += 1
                let contributions = try op.vjp(&a, node.inputs.map(value), value(n), g, wants: wants)
                for (i, c) in node.inputs.enumerated() where wants[i] {
                    if let contribution = contributions[i] { adj[c] = try a.add(adj[c], contribution) }
                }
            case .jacobian:
                throw EvalError("cannot differentiate through jacobian(…): take grad of a scalar instead")
            case .gradient:
                throw EvalError("internal: a shown gradient cannot be differentiated")
            case .leaf, .literal:
                break
            }
        }
        return (adj, rules)
    }

    /// Forward mode: the tangent ∂node/∂source of every node that depends on the source,
    /// in topological order.
    public static func forward<A: Algebra>(
        _ a: inout A, graph: Graph, order: [Int], value: (Int) -> A.T, input: Int, seed: A.T, dep: NodeMap<Bool>,
        visit: ((Int, A.T) -> Void)? = nil
    ) throws -> (tangents: NodeMap<A.T>, rules: Int) {
        var tan = NodeMap<A.T>(graphSize: graph.nodes.count, touched: order.count)
        tan[input] = seed
        var rules = 0
        for n in order where dep[n] == true {
            if n != input {
                let node = graph.nodes[n]
                switch node.kind {
                case .op(let op):
                    let ts = node.inputs.enumerated().map { i, c in op.isDifferentiableInput(i) ? tan[c] : nil }
                    guard ts.contains(where: { $0 != nil }) else { continue }
                    rules += 1
                    tan[n] = try op.jvp(&a, node.inputs.map(value), value(n), ts)
                case .jacobian:
                    throw EvalError("cannot differentiate through jacobian(…): take grad of a scalar instead")
                case .gradient:
                    throw EvalError("internal: a shown gradient cannot be differentiated")
                case .leaf, .literal:
                    break
                }
            }
            if let t = tan[n] { visit?(n, t) }
        }
        return (tan, rules)
    }
}

extension Sweeps {
    /// Reverse mode on values (numbers or symbols). A concrete entry point, so the
    /// generic sweep is specialized inside this module rather than called through
    /// witness tables from other modules.
    /// With `watch`, every operand the rules simplify by and every value they compute is
    /// noted there if it is a zero, an infinity, a NaN or a symbol (the general sweep:
    /// over a scalar tape, such a caller takes `ScalarTape.reversePlain`).
    public static func reverseValues(
        graph: Graph, order: [Int], values: NodeMap<Value>, output: Int, seed: Value, dep: NodeMap<Bool>,
        visit: ((Int, Value) -> Void)? = nil, watch: SpecialValues? = nil
    ) throws -> (adjoints: NodeMap<Value>, rules: Int) {
        if visit == nil, watch == nil, case .number(let s) = seed, let tape = graph.scalarTape(order),
            let x = tapeValues(graph: graph, order: order, values: values)
        {
            let (adj, has, rules) = try tape.reverse(values: x, output: output, seed: s, dep: dep, graph: graph)
            return (NodeMap.scalarValues(adj, held: has, tape: 0), rules)
        }
        var a = ValueAlgebra()
        a.watch = watch
        return try reverse(
            &a, graph: graph, order: order, value: { values[$0] ?? .scalar(.nan) }, output: output,
            seed: seed, dep: dep, visit: visit)
    }

    /// The values of `order` as doubles by node id, for its scalar tape; nil when one is
    /// not a number.
    static func tapeValues(graph: Graph, order: [Int], values: NodeMap<Value>) -> [Double]? {
        // The values of a scalar tape are already doubles (a seed's rank-0 tensor holds
        // the 1 it was computed as).
        if values.isScalars, values.scalars.count == graph.nodes.count, order.allSatisfy({ values.held[$0] }),
            values.sparse.allSatisfy({ Op.inlineNumber($0.value) == values.scalars[$0.key] })
        {
            return values.scalars
        }
        var x = [Double](repeating: 0, count: graph.nodes.count)
        for id in order {
            // A rank-0 tensor (a gradient's seed) counts as the number it holds.
            guard let v = values[id], let d = Op.inlineNumber(v) else { return nil }
            x[id] = d
        }
        return x
    }

    /// Forward mode on values; see `reverseValues`.
    public static func forwardValues(
        graph: Graph, order: [Int], values: NodeMap<Value>, input: Int, seed: Value, dep: NodeMap<Bool>,
        visit: ((Int, Value) -> Void)? = nil
    ) throws -> (tangents: NodeMap<Value>, rules: Int) {
        var a = ValueAlgebra()
        return try forward(
            &a, graph: graph, order: order, value: { values[$0] ?? .scalar(.nan) }, input: input,
            seed: seed, dep: dep, visit: visit)
    }
}
