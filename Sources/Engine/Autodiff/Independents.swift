/// What a derivative is taken with respect to, and the derivative as new graph nodes.
extension Graph {
    /// The nodes a derivative of `output` is taken with respect to, for the node `x` the
    /// user named. Any node counts, as in `tf.gradients(e, c)`: the derivative with respect
    /// to a node treats it as the independent quantity, its own inputs held fixed (its
    /// adjoint). A list written of nodes, `[x1, x2, x3]`, that `output` does not use as a
    /// whole stands for its elements (nested lists too), one after the other. Constants
    /// and numbers have no derivative and are refused.
    public func independents(_ x: Int, of output: Int, cone given: [Int]? = nil) throws -> [Int] {
        // The output's cone only where needed: a leaf (most often) needs none.
        var known = given
        func cone() -> [Int] {
            if let known { return known }
            let c = order([output])
            known = c
            return c
        }
        var out: [Int] = []
        var stack = [x]
        while let n = stack.popLast() {
            let node = nodes[n]
            if case .op(.stack) = node.kind, dependsOn(n, order: cone())[output] != true {
                stack.append(contentsOf: node.inputs.reversed())
                continue
            }
            switch node.kind {
            case .leaf(let name, .constant):
                throw EvalError(
                    "'\(name)' is a constant: it has no derivative",
                    notes: ["hint: define it as an input ('\(name) = …') to differentiate with respect to it"])
            case .literal(let v) where v.count == 0:
                throw EvalError("an empty list has nothing to differentiate with respect to")
            case .literal:
                throw EvalError(
                    "a number written in place has no derivative",
                    notes: ["hint: differentiate with respect to a name, such as an input 'x = 2'"])
            case .op, .jacobian, .gradient:
                // An expression written in the call is a new node that the output cannot
                // use: its derivative would be a silent 0, so say what to write instead.
                if name(of: n) == nil, dependsOn(n, order: cone())[output] != true {
                    var hint = "hint: name the node in the definitions (u = …), then differentiate with respect to u"
                    if case .op(.index) = node.kind, let base = name(of: node.inputs[0]) {
                        let positions = node.inputs.dropFirst().map { label($0) }.joined(separator: ", ")
                        hint = "hint: for an element, index the gradient: grad(f, \(base))[\(positions)]"
                    }
                    throw EvalError(
                        "'\(label(n))' is an expression written here, a new node that \(label(output)) does not use",
                        notes: [hint])
                }
                out.append(n)
            case .leaf:
                out.append(n)
            }
        }
        return out
    }

    /// ∂f/∂x as new nodes, shaped like `x`: the reverse sweep run with the graph-building
    /// algebra, as `tf.gradients` does, so it can be printed, drawn and differentiated
    /// again. `x` may be any node (see `independents`); where `f` does not depend on it,
    /// zeros shaped like it. A non-scalar `f` is refused when evaluated (the seed).
    public func gradientNode(of f: Int, wrt x: Int, origin: Origin?, call: Int? = nil) throws -> Int {
        var b = GraphBuilder(graph: self, origin: origin, call: call)
        let cone = order([f])
        let dep = dependsOn(x, order: cone)
        let seed = try b.apply(.seedOne, [f])
        guard dep[f] == true else {
            return try b.apply(.mul, [b.apply(.zerosLike, [x]), seed])
        }
        let (adj, _) = try Sweeps.reverse(&b, graph: self, order: cone, value: { $0 }, output: f, seed: seed, dep: dep)
        return try adj[x] ?? b.apply(.zerosLike, [x])
    }
}
