import GraphLang

/// Evaluates a graph in topological order. Leaves get their values from `leafValue`
/// (the session's values, feeds, or symbols). Errors come back located at the
/// expression that caused them; NaN or infinity appearing where the inputs had none
/// gives a warning, never a crash.
public struct Evaluator {
    public let graph: Graph
    public var leafValue: (String, LeafKind) throws -> Value
    public private(set) var warnings: [Diagnostic] = []
    /// Checked between nodes; when it returns true the evaluation stops (Ctrl-C).
    public var interrupted: () -> Bool = { false }
    /// Values that replace what some nodes would compute (a node held at a point, as
    /// finite differences with respect to any node need).
    public var overrides: [Int: Value] = [:]
    /// Values already computed (a query's), reused for the nodes they cover: they must
    /// not depend on an override.
    public var known: NodeMap<Value>?

    public init(graph: Graph, leafValue: @escaping (String, LeafKind) throws -> Value) {
        self.graph = graph
        self.leafValue = leafValue
    }

    /// The error located at the node's source; a node with none (one a command built)
    /// passes it on unlocated, for the statement or command that asked to place it.
    func located(_ id: Int, _ e: Error) -> Error {
        if e is Diagnostic { return e }
        let (message, notes): (String, [String])
        if let e = e as? EvalError { (message, notes) = (e.message, e.notes) } else { (message, notes) = ("\(e)", []) }
        guard let o = graph.origin(of: id) else { return EvalError(message, notes: notes) }
        return o.diagnostic(message, notes: notes)
    }

    /// Values of every node in `order` (indexed by node id).
    public mutating func run(_ order: [Int]) throws -> NodeMap<Value> {
        var fromTape: NodeMap<Value>?
        var start = 0
        if overrides.isEmpty, known == nil, order.count >= ScalarTape.minimumNodes {
            // The scalar ops before the first shown gradient or Jacobian (`print f,
            // grad(f, x)`) go on a tape; those nodes, and what follows them in the
            // order, are computed below from its values.
            if let tape = graph.tapeUntilDerivative(order), let v = try run(tape) {
                let p = tape.ids.count
                if p == order.count { return v }
                fromTape = v
                start = p
            }
        }
        var values = fromTape ?? NodeMap<Value>(graphSize: graph.nodes.count, touched: order.count)
        var count = 0
        for n in order[start...] {
            count += 1
            if count & 0x3FF == 0, interrupted() { throw Interrupted() }
            if !overrides.isEmpty, let v = overrides[n] {
                values[n] = v
                continue
            }
            if let k = known, let v = k[n] {
                values[n] = v
                continue
            }
            let node = graph.nodes[n]
            do {
                switch node.kind {
                case .literal(let v):
                    values[n] = v
                case .leaf(let name, let kind):
                    values[n] = try leafValue(name, kind)
                case .op(let op):
                    let args = node.inputs.map { values[$0] ?? .scalar(.nan) }
                    let v = try op.evaluate(args)
                    if let why = v.invalidReason {
                        throw EvalError(why, notes: ["hint: give the free symbols values to compute numerically"])
                    }
                    switch v {
                    case .number(let x) where !x.isFinite: noteNonFinite(n, op, Tensor(x), args)
                    case .num(let t) where !t.data.allSatisfy({ $0.isFinite }): noteNonFinite(n, op, t, args)
                    default: break
                    }
                    values[n] = v
                case .jacobian:
                    values[n] = try jacobian(n, values: values).value
                case .gradient:
                    values[n] = try gradient(n, values: values)
                }
            } catch let e as Interrupted {
                throw e
            } catch {
                throw located(n, gradientListError(n, error, values: values) ?? error)
            }
        }
        return values
    }

    /// Values over a scalar tape; nil when a leaf or literal is not a number, for the
    /// general loop to take over (no warning is noted before that is known).
    mutating func run(_ tape: ScalarTape) throws -> NodeMap<Value>? {
        let size = graph.nodes.count
        var v = [Double](repeating: 0, count: size)
        // The leaves and literals first (op nodes cannot fail, so the first error is the
        // same as in order; a literal number cannot fail either), then the ops in one
        // tight loop.
        v.withUnsafeMutableBufferPointer { v in
            for (id, d) in tape.numbers { v[Int(id)] = d }
        }
        for id in tape.otherGiven {
            let n = Int(id)
            let x: Value
            switch graph.nodes[n].kind {
            case .literal(let value):
                x = value
            case .leaf(let name, let kind):
                do { x = try leafValue(name, kind) } catch { throw located(n, error) }
            default:
                x = .scalar(.nan)
            }
            guard case .number(let d) = x else { return nil }
            v[n] = d
        }
        var nonFinite: [Int] = []
        let stop = interrupted
        try tape.ids.withUnsafeBufferPointer { ids in
            try tape.first.withUnsafeBufferPointer { first in
                try tape.second.withUnsafeBufferPointer { second in
                    try tape.codes.withUnsafeBufferPointer { codes in
                        try v.withUnsafeMutableBufferPointer { v in
                            for k in 0..<ids.count where codes[k] != .given {
                                if k & 0x3FF == 0x3FF, stop() { throw Interrupted() }
                                let b = Int(second[k])
                                let r = tape.forward(k, codes[k], v[Int(first[k])], b >= 0 ? v[b] : 0)
                                if !r.isFinite { nonFinite.append(k) }
                                v[Int(ids[k])] = r
                            }
                        }
                    }
                }
            }
        }
        for k in nonFinite {
            let n = Int(tape.ids[k])
            let a = Int(tape.first[k])
            let b = Int(tape.second[k])
            if let op = graph.nodes[n].op {
                noteNonFinite(n, op, Tensor(v[n]), b >= 0 ? [.number(v[a]), .number(v[b])] : [.number(v[a])])
            }
        }
        var present = [Bool](repeating: false, count: size)
        for id in tape.ids { present[Int(id)] = true }
        var values = NodeMap<Value>.scalarValues(v, held: present, tape: tape.serial)
        for (k, code) in tape.codes.enumerated() where code == .seedOne {
            values[Int(tape.ids[k])] = .num(Tensor(shape: [], data: [1]))
        }
        return values
    }

    /// `grad(f, [a, v])` is the list of the gradients, which needs them to share a shape:
    /// say so in those words rather than as rows of a matrix.
    func gradientListError(_ n: Int, _ error: Error, values: NodeMap<Value>? = nil) -> EvalError? {
        guard case .op(.stack) = graph.nodes[n].kind, let o = graph.origin(of: n),
            case .call(let f, let args) = o.program[o.expr].kind, f == "grad" || f == "hessian", args.count == 2
        else { return nil }
        let list = o.program.source.text(o.program[args[1]].span)
        let shapes = graph.nodes[n].inputs.map { id -> String in
            guard let v = values?[id] else { return "?" }
            return shapeText(v.shape)
        }
        return EvalError(
            "the gradients with respect to \(list) have shapes \(shapes.joined(separator: ", ")): a list needs one shape",
            notes: ["hint: take them one at a time, as \(f)(f, a), \(f)(f, b); :hessian OUT wrt a, b works with mixed shapes"])
    }

    mutating func noteNonFinite(_ n: Int, _ op: Op, _ t: Tensor<Double>, _ args: [Value]) {
        let inputsFinite = args.allSatisfy { a in
            switch a {
            case .number(let x): return x.isFinite
            case .num(let x): return !x.data.contains { !$0.isFinite }
            case .sym: return true
            }
        }
        guard inputsFinite, warnings.count < 20 else { return }
        let what = t.data.contains { $0.isNaN } ? "NaN" : "infinity"
        var why = ""
        switch op {
        case .unary(.log): why = ": log of a non-positive number"
        case .unary(.sqrt): why = ": square root of a negative number"
        case .div: why = what == "NaN" ? ": 0/0" : ": division by zero"
        case .unary(.exp), .pow, .mul: why = what == "infinity" ? ": overflow" : ""
        default: break
        }
        let message = "\(op.name) gives \(what)\(why)"
        if let o = graph.origin(of: n) {
            warnings.append(Diagnostic(.warning, message, source: o.program.source, span: o.span))
        } else {
            warnings.append(Diagnostic(.warning, message))
        }
    }

    /// ∂f/∂x for a `.gradient` node (inputs f, x), by a reverse sweep over f's graph:
    /// what evaluating the gradient's graph (`Graph.gradientNode`) gives, the seed and the
    /// zeros where f does not depend on x made by the same ops. The sweep simplifies by
    /// value (`1·g` is `g`, `0 + g` is `g`) where the graph simplifies only literal nodes;
    /// the two agree bit for bit, and warn alike, unless some value on the way is a
    /// zero, an infinity, a NaN or a symbol: then the gradient's graph is built and
    /// evaluated after all, as it was before there was a sweep here.
    mutating func gradient(_ n: Int, values: NodeMap<Value>) throws -> Value {
        let f = graph.nodes[n].inputs[0]
        let x = graph.nodes[n].inputs[1]
        guard let fv = values[f], let xv = values[x] else { throw EvalError("grad: missing values") }
        let seed = try Op.seedOne.evaluate([fv])
        // `print f, grad(f, x)`: f's cone was just computed on a tape, and these values
        // are that tape's; f's order is the tape's (see `Graph.coneTape`).
        if seed.shape.isEmpty, let tape = graph.coneTape(of: f), values.isScalars, values.tape == tape.serial,
            values.scalars.count == graph.nodes.count
        {
            return try plainGradient(n, f: f, x: x, xv: xv, seed: seed, tape: tape, values: values, xs: values.scalars)
        }
        let order = graph.order([f])
        // A graph of numbers: its tape, in plain arithmetic (`ScalarTape.reversePlain`).
        if seed.shape.isEmpty, let tape = graph.scalarTape(order),
            let xs = Sweeps.tapeValues(graph: graph, order: order, values: values)
        {
            return try plainGradient(n, f: f, x: x, xv: xv, seed: seed, tape: tape, values: values, xs: xs)
        }
        let dep = graph.dependsOn(x, order: order)
        guard dep[f] == true else { return try Op.mul.evaluate([try Op.zerosLike.evaluate([xv]), seed]) }
        // A rank-0 seed is the number 1 (the scalar tape takes numbers).
        let special = SpecialValues()
        let (adj, _) = try Sweeps.reverseValues(
            graph: graph, order: order, values: values, output: f, seed: seed.shape.isEmpty ? .number(1) : seed, dep: dep,
            watch: special)
        if special.seen { return try gradientByGraph(n, values: values) }
        guard let g = adj[x] else { return try Op.zerosLike.evaluate([xv]) }
        return g
    }

    /// ∂f/∂x over f's scalar tape, `xs` its values by node id.
    mutating func plainGradient(
        _ n: Int, f: Int, x: Int, xv: Value, seed: Value, tape: ScalarTape, values: NodeMap<Value>, xs: [Double]
    ) throws -> Value {
        let dep = tape.dependsOn([x], graphSize: graph.nodes.count)
        guard dep[f] else { return try Op.mul.evaluate([try Op.zerosLike.evaluate([xv]), seed]) }
        guard let (adj, has, _) = tape.reversePlain(values: xs, output: f, seed: 1, dep: dep) else {
            return try gradientByGraph(n, values: values)
        }
        return has[x] ? .number(adj[x]) : try Op.zerosLike.evaluate([xv])
    }

    /// ∂f/∂x of a `.gradient` node by building the gradient's graph and evaluating it,
    /// its warnings kept with this evaluation's.
    mutating func gradientByGraph(_ n: Int, values: NodeMap<Value>) throws -> Value {
        let node = graph.nodes[n]
        let g = try graph.gradientNode(of: node.inputs[0], wrt: node.inputs[1], origin: graph.origin(of: n), call: node.call)
        var ev = Evaluator(graph: graph, leafValue: leafValue)
        ev.interrupted = interrupted
        ev.known = values
        let vs = try ev.run(graph.order([g]))
        warnings += ev.warnings
        guard let v = vs[g] else { throw EvalError("grad: no value") }
        return v
    }

    /// The Jacobian of node `inputs[0]` with respect to leaf `inputs[1]`: rows are the
    /// output's elements, columns the input's, both flattened row-major. Uses reverse
    /// mode (one pass per output element) or forward mode (one per input element),
    /// whichever needs fewer passes.
    public func jacobian(_ n: Int, values: NodeMap<Value>) throws -> (value: Value, mode: String, passes: Int, rules: Int) {
        let y = graph.nodes[n].inputs[0]
        let xs = Array(graph.nodes[n].inputs.dropFirst())
        return try Evaluator.jacobian(graph: graph, y: y, xs: xs, values: values, interrupted: interrupted)
    }

    public static func jacobian(
        graph: Graph, y: Int, xs: [Int], values: NodeMap<Value>, mode: String? = nil,
        interrupted: () -> Bool = { false }, batched: Bool = true
    ) throws -> (value: Value, mode: String, passes: Int, rules: Int) {
        guard let yValue = values[y] else { throw EvalError("jacobian: missing values") }
        let xValues = try xs.map { x -> Value in
            guard let v = values[x] else { throw EvalError("jacobian: missing values") }
            return v
        }
        let m = yValue.count
        let nIn = xValues.reduce(0) { $0 + $1.count }
        _ = try Tensor<Double>.checkedCount([m, nIn])
        let order = graph.order([y])
        let deps = xs.map { graph.dependsOn($0, order: order) }
        var depAny = NodeMap<Bool>(graphSize: graph.nodes.count, touched: order.count)
        for d in deps { for i in order where d[i] == true { depAny[i] = true } }
        let value: (Int) -> Value = { values[$0] ?? .scalar(.nan) }
        var grid = [[Sym]](repeating: [Sym](repeating: Sym(constant: 0), count: nIn), count: m)
        var numericGrid = [Double](repeating: 0, count: m * nIn)
        var numeric = true
        var rulesTotal = 0
        var passes = 0
        let useReverse = mode.map { $0 == "reverse" } ?? (m <= nIn)
        func put(_ i: Int, _ j: Int, _ v: Value, _ k: Int) {
            switch v {
            case .number(let x): numericGrid[i * nIn + j] = x; grid[i][j] = Sym(constant: x)
            case .num(let t): numericGrid[i * nIn + j] = t.data[k]; grid[i][j] = Sym(constant: t.data[k])
            case .sym(let t):
                grid[i][j] = t.data[k]
                if let c = t.data[k].constantValue { numericGrid[i * nIn + j] = c } else { numeric = false }
            }
        }
        let passesNeeded = useReverse ? m : nIn
        if batched, passesNeeded >= 2,
            let r = try batchedJacobian(
                graph: graph, order: order, y: y, xs: xs, values: values, yValue: yValue, xValues: xValues, deps: deps,
                depAny: depAny, reverse: useReverse, interrupted: interrupted)
        {
            return (.num(Tensor(shape: [m, nIn], data: r.grid)), useReverse ? "reverse" : "forward", passesNeeded, r.rules)
        }
        var a = ValueAlgebra()
        if useReverse {
            for i in 0..<m {
                if interrupted() { throw Interrupted() }
                var seed = try Tensor<Double>.filled(yValue.shape, 0)
                seed.data[i] = 1
                let (adj, rules) = try Sweeps.reverse(
                    &a, graph: graph, order: order, value: value, output: y, seed: .num(seed), dep: depAny)
                rulesTotal += rules
                passes += 1
                var col = 0
                for (x, xv) in zip(xs, xValues) {
                    if let g = adj[x] {
                        let full = try Op.broadcastLike.evaluate([g, xv])
                        for k in 0..<xv.count { put(i, col + k, full, k) }
                    }
                    col += xv.count
                }
            }
        } else {
            var col = 0
            for (xi, x) in xs.enumerated() {
                let xv = xValues[xi]
                for j in 0..<xv.count {
                    if interrupted() { throw Interrupted() }
                    var seed = try Tensor<Double>.filled(xv.shape, 0)
                    seed.data[j] = 1
                    let (tan, rules) = try Sweeps.forward(
                        &a, graph: graph, order: order, value: value, input: x, seed: .num(seed), dep: deps[xi])
                    rulesTotal += rules
                    passes += 1
                    if let t = tan[y] {
                        let full = try Op.broadcastLike.evaluate([t, yValue])
                        for i in 0..<m { put(i, col + j, full, i) }
                    }
                }
                col += xv.count
            }
        }
        let modeName = useReverse ? "reverse" : "forward"
        if numeric {
            return (.num(Tensor(shape: [m, nIn], data: numericGrid)), modeName, passes, rulesTotal)
        }
        return (Value.sym(Tensor(shape: [m, nIn], data: grid.flatMap { $0 })).normalized, modeName, passes, rulesTotal)
    }
}

/// Thrown when the user interrupts a computation (Ctrl-C).
public struct Interrupted: Error {
    public init() {}
}
