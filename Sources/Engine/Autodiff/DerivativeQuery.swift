import GraphLang

/// Every derivative question about one output, answered in one place for every command:
/// values, gradients, Jacobians, Hessians, local partials, paths, forward and reverse
/// traces, finite-difference checks and what each mode costs. Numbers where the leaves
/// have values, formulas where free symbols reach.
///
/// Derivatives may be taken with respect to any node (`Graph.independents`). Feeds give
/// leaves other values for this query only. Whatever scratch nodes an answer needs (a
/// local partial, the rule a trace shows, a gradient graph) live in an overlay of the
/// session graph that is dropped before the answer returns, so a query never changes the
/// session.
public final class DerivativeQuery {
    public let session: Session
    public let graph: Graph
    public let output: Int
    public let feeds: [String: Value]
    public let interrupted: () -> Bool
    /// The output's cone, inputs before the nodes that use them.
    public let order: [Int]
    /// The value of every node of the cone: numbers, or symbols where free symbols reach.
    public let values: NodeMap<Value>
    /// Warnings of the evaluation (NaN, infinity).
    public let warnings: [Diagnostic]

    /// Evaluate the output's cone, with `feeds` for leaves (inputs, variables and
    /// placeholders alike).
    /// `order`, when given, must be the output's cone (a caller asking many questions of
    /// one graph, as training does, computes it once).
    public init(
        session: Session, output: Int, feeds: [String: Value] = [:], order: [Int]? = nil,
        interrupted: @escaping () -> Bool = { false }
    ) throws {
        self.session = session
        self.graph = session.graph
        self.output = output
        self.feeds = feeds
        self.interrupted = interrupted
        self.order = order ?? graph.order([output])
        var ev = Evaluator(graph: graph, leafValue: session.leafValues(feeds: feeds))
        ev.interrupted = interrupted
        values = try ev.run(self.order)
        warnings = ev.warnings
    }

    // MARK: - The graph

    /// The output's value.
    public var value: Value { values[output] ?? .scalar(.nan) }

    /// Whether every node of the cone holds one number (rules then need no shape helpers).
    public var isScalarGraph: Bool { order.allSatisfy { (values[$0]?.count ?? 1) == 1 } }

    /// Free symbols the output depends on, in the order they appear.
    public var freeSymbols: [String] {
        order.compactMap { n in
            if case .leaf(let name, .symbol) = graph.nodes[n].kind { return name }
            return nil
        }
    }

    /// The leaves a derivative can be taken with respect to (not constants), in the
    /// session's definition order; free symbols after them.
    public var inputs: [Int] {
        let ls = order.filter { if let (_, k) = graph.nodes[$0].leaf { return k != .constant } else { return false } }
        let rank = Dictionary(uniqueKeysWithValues: session.order.enumerated().map { ($1, $0) })
        func key(_ n: Int) -> (Int, Int) { (rank[graph.name(of: n) ?? ""] ?? Int.max, n) }
        return ls.sorted { key($0) < key($1) }
    }

    /// A node as users read it: its name, or its expression in parentheses.
    public func label(_ id: Int) -> String {
        if let n = graph.name(of: id) { return n }
        return "(" + graph.label(id, limit: 40) + ")"
    }

    /// The nodes a derivative is taken with respect to, for the node `x` a user named
    /// (`Graph.independents`).
    public func independents(_ x: Int) throws -> [Int] { try graph.independents(x, of: output, cone: order) }

    /// Nodes that depend on some leaf with a derivative: the ones with tangents and
    /// adjoints (the output always, for the seed). With `structural`, through the edges of
    /// step, sign and comparisons too, whose partials are 0.
    public func differentiable(structural: Bool = false) -> NodeMap<Bool> {
        var dep = NodeMap<Bool>(graphSize: graph.nodes.count, touched: order.count)
        for n in order {
            let node = graph.nodes[n]
            switch node.kind {
            case .leaf(_, let k): if k != .constant { dep[n] = true }
            case .op(let op):
                for (i, c) in node.inputs.enumerated()
                where (structural ? op.carriesDependence(i) : op.isDifferentiableInput(i)) && dep[c] == true {
                    dep[n] = true
                    break
                }
            case .jacobian, .gradient: if dep[node.inputs[0]] == true { dep[n] = true }
            case .literal: break
            }
        }
        dep[output] = true
        return dep
    }

    /// Whether some path leads from `x` to the output (through step, sign or a
    /// comparison too: a path whose product is 0).
    public func hasPath(from x: Int) -> Bool { graph.dependsOn(x, order: order, structural: true)[output] == true }

    // MARK: - Gradients

    /// The output's one element, or an error suggesting `jacobian`.
    func requireScalarOutput(_ what: String) throws {
        guard value.count == 1 else {
            throw EvalError(
                "\(label(output)) has shape \(shapeText(value.shape)): \(what) needs a scalar output",
                notes: ["hint: :jacobian \(label(output)) wrt … gives every element's derivatives"])
        }
    }

    /// ∂output/∂x by one reverse sweep, shaped like x (zeros where no path leads from x).
    public func gradient(_ x: Int) throws -> Value { try gradients([x])[0] }

    /// The nodes of the cone that depend on any of `xs`: what a reverse sweep for their
    /// gradients visits.
    public func dependents(_ xs: [Int]) -> NodeMap<Bool> { graph.dependsOn(xs, order: order) }

    /// ∂output/∂x for every x of `xs` by one reverse sweep, each shaped like its node.
    /// `dep`, when given, is `dependents(xs)` computed once by the caller.
    public func gradients(_ xs: [Int], dep given: NodeMap<Bool>? = nil) throws -> [Value] {
        try requireScalarOutput("a gradient")
        let dep = given ?? dependents(xs)
        let (adj, _) = try Sweeps.reverseValues(
            graph: graph, order: order, values: values, output: output, seed: try ones(value.shape), dep: dep)
        return try xs.map { x in
            let xv = try valueOf(x)
            return try adj[x].map { try Op.broadcastLike.evaluate([$0, xv]) } ?? zeros(xv.shape)
        }
    }

    /// Every adjoint ∂output/∂node, by one reverse sweep over the differentiable nodes,
    /// widened to each node's shape; and how many node rules it applied.
    public func adjoints() throws -> (adjoints: [Int: Value], rules: Int) {
        try requireScalarOutput("reverse mode")
        var out: [Int: Value] = [:]
        let (_, rules) = try Sweeps.reverseValues(
            graph: graph, order: order, values: values, output: output, seed: try ones(value.shape), dep: differentiable()
        ) { n, g in out[n] = g }
        for (n, g) in out where g.shape != values[n]?.shape {
            out[n] = try Op.broadcastLike.evaluate([g, try valueOf(n)])
        }
        return (out, rules)
    }

    /// The largest cone whose gradient is tried as a formula: beyond it the formula of
    /// a graph written by hand or by a script does not stay readable, and building and
    /// expanding it would cost far more than the numbers.
    public static let formulaConeLimit = 2000

    /// ∂output/∂x as a formula in the leaves (inputs and variables as symbols), from the
    /// gradient graph; nil when it would not stay readable.
    public func gradientFormula(_ x: Int, maxElements: Int = 16) throws -> Value? {
        guard (values[x]?.count ?? 0) <= maxElements, order.count <= DerivativeQuery.formulaConeLimit else { return nil }
        return try graph.scratch {
            let g = try graph.gradientNode(of: output, wrt: x, origin: nil)
            return try symbolicValue(g)
        }
    }

    // MARK: - Local partials

    /// The local partial ∂parent/∂(input `slot`) as an expression in the graph's names
    /// (`d`), in the leaves (`b + 1`), and its value; nil where it is zero. Scalar edges
    /// only: a tensor edge is a Jacobian (`EdgePartial.jacobian`).
    public struct LocalPartial {
        /// In the names of the graph: `d` for ∂e/∂c when e = c·d.
        public var expression: String
        /// In the leaves: `b + 1`; nil when it would not stay readable.
        public var formula: String?
        public var value: Value
    }

    /// One edge child → parent of the cone, with its local partial.
    public struct EdgePartial {
        public enum Partial {
            case scalar(LocalPartial)
            case zero
            /// A tensor edge: an m×k Jacobian.
            case jacobian(rows: Int, columns: Int)
            /// An edge into a `jacobian(…)` node: no derivative is taken through it.
            case none
        }
        public var child: Int
        public var parent: Int
        public var slot: Int
        public var partial: Partial
    }

    /// Every differentiable edge child → parent of the cone, in evaluation order, the
    /// first `limit` with their partials; and how many there are.
    public func edges(limit: Int = 200, formulas: Bool = false) throws -> (edges: [EdgePartial], count: Int) {
        let dep = differentiable(structural: true)
        var out: [EdgePartial] = []
        var count = 0
        for n in order where !graph.isInsideComposite(n) {
            let edges: [(Int, Int)]
            if graph.composite(resultOf: n) != nil {
                edges = graph.pathInputs(n).enumerated().map { ($0, $1) }
            } else if case .op(let op) = graph.nodes[n].kind {
                edges = graph.nodes[n].inputs.enumerated().filter { op.carriesDependence($0.offset) }.map { ($0, $1) }
            } else {
                continue
            }
            for (slot, c) in edges where dep[c] == true {
                count += 1
                guard count <= limit else { continue }
                out.append(EdgePartial(child: c, parent: n, slot: slot, partial: try partial(n, slot, formula: formulas)))
            }
        }
        return (out, count)
    }

    /// The partial of one edge. `slot` counts the built-in's arguments when `parent`
    /// is the result of one (`mse(y, t)`: slot 1 is t), unless `opened`: then the
    /// parent is the op it is (the mean inside mse) and `slot` counts its own inputs.
    public func partial(_ parent: Int, _ slot: Int, formula: Bool, opened: Bool = false) throws -> EdgePartial.Partial {
        guard graph.nodes[parent].op != nil else { return .none }
        let c = opened ? graph.nodes[parent].inputs[slot] : graph.pathInputs(parent)[slot]
        let m = values[parent]?.count ?? 0
        let k = values[c]?.count ?? 0
        guard m == 1, k == 1 else { return .jacobian(rows: m, columns: k) }
        return try localPartial(parent, slot, formula: formula, opened: opened).map { .scalar($0) } ?? .zero
    }

    /// The local partial of a scalar edge (forward rule with a unit tangent), or nil
    /// where it is zero; `slot` and `opened` as for `partial`.
    public func localPartial(_ parent: Int, _ slot: Int, formula: Bool = false, opened: Bool = false) throws
        -> LocalPartial?
    {
        guard case .op(let op) = graph.nodes[parent].kind else { return nil }
        let composite = !opened && graph.composite(resultOf: parent) != nil
        return try graph.scratch {
            var b = GraphBuilder(graph: graph, origin: nil)
            // Shape helpers, sums and means are identities only where every value the
            // rule touches is one number: mse(y, t) with a vector t must keep its mean.
            let ops = composite ? graph.order([parent]).filter { $0 == parent || graph.isInsideComposite($0) } : [parent]
            let touched = ops.flatMap { [$0] + graph.nodes[$0].inputs }
            b.scalarsOnly = touched.allSatisfy { values[$0]?.count == 1 }
            let tangent: Int?
            if composite {
                // Through the ops inside, with a unit tangent at the argument.
                var t: [Int: Int] = [graph.pathInputs(parent)[slot]: b.literal(1)]
                for n in graph.order([parent]) where n == parent || graph.isInsideComposite(n) {
                    guard case .op(let inner) = graph.nodes[n].kind else { continue }
                    let ins = graph.nodes[n].inputs.array
                    let ts = ins.enumerated().map { i, c in inner.isDifferentiableInput(i) ? t[c] : nil }
                    if ts.contains(where: { $0 != nil }), let r = try inner.jvp(&b, ins, n, ts) { t[n] = r }
                }
                tangent = t[parent]
            } else {
                let ins = graph.nodes[parent].inputs.array
                var t = [Int?](repeating: nil, count: ins.count)
                t[slot] = b.literal(1)
                tangent = try op.jvp(&b, ins, parent, t)
            }
            guard let p = tangent else { return nil }
            let expression = graph.name(of: p) ?? graph.expressionText(p)
            let v = try numericValue(p)
            var f: String?
            if formula, let s = try? symbolicValue(p), s.invalidReason == nil { f = formatValue(s) }
            return LocalPartial(expression: expression, formula: f, value: v)
        }
    }

    // MARK: - Paths

    /// The paths from `x` to the output: their exact count and the first `limit`.
    public struct PathListing {
        public var count: BigCount
        public var paths: [[PathEdge]]
        /// Whether every path is listed.
        public var complete: Bool
    }

    /// Every path when there are at most `limit`, otherwise the first `sample`.
    public func paths(from x: Int, limit: Int, sample: Int) -> PathListing {
        let count = Paths.count(graph, from: x, to: output)
        let all = count.small.map { $0 <= limit } ?? false
        let listed = Paths.list(graph, from: x, to: output, limit: all ? limit : sample)
        return PathListing(count: count, paths: listed, complete: all)
    }

    /// The product of the local partials along a path of scalar edges.
    public func product(_ path: [PathEdge], partials: (PathEdge) throws -> Value) throws -> Value {
        var p = Value.scalar(1)
        var a = ValueAlgebra()
        for e in path { p = try a.mul(p, try partials(e)) }
        return p
    }

    // MARK: - Forward and reverse traces

    /// A sweep node by node: each node's value, its rule as a formula in dotted
    /// (tangent) or barred (adjoint) names, and what it computed (one entry per pass).
    public struct Trace {
        public struct Row {
            public var node: Int
            public var value: Value?
            public var rule: String
            public var results: [Value]
        }
        public var rows: [Row] = []
        public var passes = 0
        /// Node rules applied over all passes.
        public var rules = 0
    }

    /// `ḃ` for b: a tangent's name.
    public func dotted(_ id: Int) -> String {
        guard let n = graph.name(of: id), let first = n.unicodeScalars.first else { return "d\(label(id))" }
        return String(first) + "\u{307}" + String(n.unicodeScalars.dropFirst())
    }

    /// `ē` for e: an adjoint's name.
    public func barred(_ id: Int) -> String {
        guard let n = graph.name(of: id), let first = n.unicodeScalars.first else { return "adj\(label(id))" }
        return String(first) + "\u{304}" + String(n.unicodeScalars.dropFirst())
    }

    /// A node as it stands in a rule: its name, a number as written, or its expression
    /// in parentheses.
    public func term(_ id: Int) -> String {
        if let n = graph.name(of: id) { return n }
        if case .literal(let v) = graph.nodes[id].kind, v.count == 1, let x = v.scalarValue { return formatNumber(x) }
        return label(id)
    }

    /// How a node and its inputs read in a rule (`Notation`).
    func notation(_ n: Int, inputs: [Int]) -> Notation {
        let count = values[n]?.count ?? 1
        return Notation(
            inputs: inputs.map(term), output: term(n), scalar: inputs.map { (values[$0]?.count ?? 1) == 1 },
            outputScalar: count == 1, broadcast: inputs.map { (values[$0]?.count ?? count) < count })
    }

    /// Whether a rule's text is a single name (a tangent or adjoint passed on unchanged).
    static func isName(_ s: String) -> Bool { !s.contains(where: { " +−*/∘()".contains($0) }) }

    /// Forward mode from `x`: one pass per element of x, each node's tangent ∂node/∂x,
    /// with its rule in the lecture's notation. A built-in made of several ops is one
    /// step, as written; an unnamed node whose tangent is another's, passed on, shares
    /// its name.
    public func forwardTrace(_ x: Int) throws -> Trace {
        let xv = try valueOf(x)
        let dep = graph.dependsOn(x, order: order)
        var tangents: [Int: [Value]] = [:]
        var trace = Trace()
        for j in 0..<xv.count {
            if interrupted() { throw Interrupted() }
            var seed = try Tensor<Double>.filled(xv.shape, 0)
            seed.data[j] = 1
            let (_, r) = try Sweeps.forwardValues(
                graph: graph, order: order, values: values, input: x, seed: .num(seed), dep: dep
            ) { n, t in tangents[n, default: []].append(t) }
            trace.rules += r
            trace.passes += 1
        }
        var name: [Int: String] = [:]
        for n in order where dep[n] == true && !graph.isInsideComposite(n) {
            let rule: String
            if n == x {
                name[n] = dotted(n)
                rule = "seed: \(dotted(x)) = 1"
            } else {
                let ins = graph.composite(resultOf: n)?.arguments ?? graph.nodes[n].inputs.array
                let ts = ins.enumerated().map { i, c -> String? in
                    if let op = graph.nodes[n].op, graph.composite(resultOf: n) == nil, !op.isDifferentiableInput(i) {
                        return nil
                    }
                    return dep[c] == true ? name[c] : nil
                }
                let text: String?
                if let (b, _) = graph.composite(resultOf: n) {
                    text = b.tangentNotation(notation(n, inputs: ins), tangents: ts)
                } else {
                    text = graph.nodes[n].op?.tangentNotation(notation(n, inputs: ins), tangents: ts)
                }
                if graph.name(of: n) == nil, let t = text, DerivativeQuery.isName(t) {
                    name[n] = t
                    rule = "= \(t), passed on"
                } else {
                    name[n] = dotted(n)
                    rule = "\(dotted(n)) = " + (text ?? "0")
                }
            }
            trace.rows.append(.init(node: n, value: values[n], rule: rule, results: tangents[n] ?? []))
        }
        return trace
    }

    /// Reverse mode from the output (a scalar): one pass, each node's adjoint
    /// ∂output/∂node, in reverse order, with the rule that sums what its users send it,
    /// in the lecture's notation. A built-in made of several ops is one step, as written
    /// (and softmax followed by cross-entropy sends back y − label); an unnamed node whose
    /// adjoint is another's, passed on, shares its name.
    public func reverseTrace() throws -> (trace: Trace, adjoints: [Int: Value]) {
        let (adjoint, rules) = try adjoints()
        var trace = Trace(rows: [], passes: 1, rules: rules)
        let dep = differentiable()
        var name: [Int: String] = [:]
        var contributions: [Int: [String]] = [:]
        var fused: [Int: String] = [:]
        for n in order.reversed() where dep[n] == true && !graph.isInsideComposite(n) {
            guard let g = adjoint[n] else { continue }
            let rule: String
            if n == output {
                name[n] = barred(n)
                rule = "seed: \(barred(output)) = 1"
            } else {
                let parts = contributions[n] ?? []
                if graph.name(of: n) == nil, parts.count == 1, DerivativeQuery.isName(parts[0]) {
                    name[n] = parts[0]
                    rule = "= \(parts[0]), passed on"
                } else {
                    name[n] = barred(n)
                    rule = "\(barred(n)) = " + (parts.isEmpty ? "0" : parts.joined(separator: " + "))
                }
            }
            let zbar = name[n] ?? barred(n)
            if let (b, args) = graph.composite(resultOf: n) {
                let note = notation(n, inputs: args)
                for (i, c) in args.enumerated() where dep[c] == true {
                    // Softmax into cross-entropy: the lecture's fused z̄ = y − label.
                    if b == .crossEntropy, i == 1, case .op(.softmax) = graph.nodes[c].kind, users(of: c) == [n] {
                        fused[c] =
                            n == output
                            ? "\(term(c)) − \(term(args[0]))" : "\(Notation.wrap(zbar)) ∘ (\(term(c)) − \(term(args[0])))"
                    }
                    if let t = b.adjointNotation(i, note, adjoint: zbar) { contributions[c, default: []].append(t) }
                }
            } else if case .op(let op) = graph.nodes[n].kind {
                let ins = graph.nodes[n].inputs.array
                let note = notation(n, inputs: ins)
                for (i, c) in ins.enumerated() where op.isDifferentiableInput(i) && dep[c] == true {
                    if case .softmax = op, let f = fused[n] {
                        contributions[c, default: []].append(f)
                        continue
                    }
                    if let t = op.adjointNotation(i, note, adjoint: zbar) { contributions[c, default: []].append(t) }
                }
            }
            trace.rows.append(.init(node: n, value: values[n], rule: rule, results: [g]))
        }
        return (trace, adjoint)
    }

    /// The nodes of the cone that use `n`.
    func users(of n: Int) -> [Int] {
        order.filter { m in !graph.isInsideComposite(m) && graph.pathInputs(m).contains(n) }
    }

    // MARK: - Jacobians and Hessians

    /// What forward and reverse mode would cost for a Jacobian: passes × node rules.
    public struct ModeCosts {
        public var inputElements: Int
        public var outputElements: Int
        /// Node rules in one forward pass (the largest over the inputs).
        public var forwardRules: Int
        /// Node rules in one reverse pass.
        public var reverseRules: Int
        public var forward: Int { inputElements * forwardRules }
        public var reverse: Int { outputElements * reverseRules }
    }

    public struct JacobianReport {
        /// One row per element of the output (or of the gradient, for a Hessian), one
        /// column per element of each independent node, all flattened row-major.
        public var value: Value
        /// The same with the leaves as symbols, when the values are numbers.
        public var formula: Value?
        public var mode: String
        public var passes: Int
        public var rules: Int
    }

    public func costs(_ xs: [Int]) -> ModeCosts {
        var forwardRules = 0
        var any = NodeMap<Bool>(graphSize: graph.nodes.count, touched: order.count)
        for x in xs {
            let dep = graph.dependsOn(x, order: order)
            var k = 0
            for n in order where dep[n] == true && graph.nodes[n].op != nil {
                k += 1
                any[n] = true
            }
            forwardRules = Swift.max(forwardRules, k)
        }
        let reverseRules = order.filter { any[$0] == true }.count
        return ModeCosts(
            inputElements: xs.reduce(0) { $0 + ((try? valueOf($1))?.count ?? 0) }, outputElements: value.count,
            forwardRules: forwardRules, reverseRules: reverseRules)
    }

    /// The Jacobian of the output with respect to `xs`, by whichever mode needs fewer
    /// passes, and the same as formulas in the leaves.
    /// `formulaLimit`: the largest Jacobian also computed as formulas.
    public func jacobian(_ xs: [Int], formulaLimit: Int = 400) throws -> JacobianReport {
        try graph.scratch { try jacobianOf(output, xs, formulaLimit: formulaLimit) }
    }

    /// The Hessian: the Jacobian of the gradient (a gradient graph for each node of `xs`,
    /// then the Jacobian of each, their rows one after the other, so the nodes may have
    /// different shapes).
    public func hessian(_ xs: [Int], formulaLimit: Int = 400) throws -> JacobianReport {
        try requireScalarOutput("a Hessian")
        return try graph.scratch {
            let blocks = try xs.map {
                try jacobianOf(try graph.gradientNode(of: output, wrt: $0, origin: nil), xs, formulaLimit: formulaLimit)
            }
            var report = blocks[0]
            for b in blocks.dropFirst() {
                report.value = try Value.rows(report.value, b.value)
                report.formula = try report.formula.flatMap { f in try b.formula.map { try Value.rows(f, $0) } }
                report.passes += b.passes
                report.rules += b.rules
            }
            return report
        }
    }

    func jacobianOf(_ y: Int, _ xs: [Int], formulaLimit: Int) throws -> JacobianReport {
        let id = graph.append(Node(kind: .jacobian, inputs: [y] + xs))
        var ev = Evaluator(graph: graph, leafValue: session.leafValues(feeds: feeds))
        ev.interrupted = interrupted
        ev.known = values
        let vs = try ev.run(graph.order([id]))
        let r = try ev.jacobian(id, values: vs)
        var formula: Value?
        if !r.value.isSymbolic, r.value.count <= formulaLimit, let s = try? symbolicValue(id), s.invalidReason == nil,
            s.isSymbolic
        {
            formula = s
        }
        return JacobianReport(value: r.value, formula: formula, mode: r.mode, passes: r.passes, rules: r.rules)
    }

    // MARK: - Finite differences

    /// One row of `check`: reverse mode against central differences for one node.
    public struct CheckRow {
        public var node: Int
        /// By reverse mode, shaped like the node.
        public var gradient: Value
        /// By central differences, shaped like the node.
        public var differences: Value
        /// The largest |gradient − difference| over the elements.
        public var difference: Double
        public var agrees: Bool
        /// Some difference is NaN or infinite: x ± h left the domain of a function (log,
        /// sqrt of a negative number), so nothing can be judged there.
        public var undefined: Bool
    }

    /// Relative and absolute parts of `check`'s tolerance: a gradient g and a central
    /// difference d agree when |g − d| ≤ rtol·max(|g|, |d|) + atol·max(1, |f|). The
    /// absolute part covers the rounding of f(x ± h) (about 1e-10·|f| at h = 1e-6), so
    /// 0 against 1e-10 agrees, while a real error stands out.
    public static let checkRelativeTolerance = 1e-5
    public static let checkAbsoluteTolerance = 1e-8
    /// The step of central differences, relative to max(1, |x|).
    public static let checkStep = 1e-6

    /// Each gradient against central differences with step h = 1e-6·max(1, |x|), the
    /// node held at x ± h through an override: no value of the session changes, whatever
    /// happens (an error, Ctrl-C).
    public func check(_ xs: [Int]) throws -> [CheckRow] {
        if !freeSymbols.isEmpty { throw freeSymbolsError("finite differences need numbers") }
        try requireScalarOutput("a gradient check")
        guard let f0 = value.scalarValue else { throw EvalError("\(label(output)) has no numeric value") }
        var rows: [CheckRow] = []
        let gradients = try gradients(xs)
        for (x, g) in zip(xs, gradients) {
            guard let x0 = try valueOf(x).numeric else { throw freeSymbolsError("finite differences need numbers") }
            guard let gn = g.numeric else { throw freeSymbolsError("finite differences need numbers") }
            let unchanged = valuesNotDownstream(of: x)
            var fd = x0
            for k in 0..<x0.count {
                if interrupted() { throw Interrupted() }
                let h = DerivativeQuery.checkStep * Swift.max(1, Swift.abs(x0.data[k]))
                var p = x0
                p.data[k] = x0.data[k] + h
                let fp = try valueWith(x, held: .num(p), unchanged)
                p.data[k] = x0.data[k] - h
                let fm = try valueWith(x, held: .num(p), unchanged)
                fd.data[k] = (fp - fm) / (2 * h)
            }
            var worst = 0.0
            var agrees = true
            for (a, b) in zip(gn.data, fd.data) {
                let diff = Swift.abs(a - b)
                worst = Swift.max(worst, diff.isNaN ? .infinity : diff)
                let tol =
                    DerivativeQuery.checkRelativeTolerance * Swift.max(Swift.abs(a), Swift.abs(b))
                    + DerivativeQuery.checkAbsoluteTolerance * Swift.max(1, Swift.abs(f0))
                if !(diff <= tol) { agrees = false }
            }
            let shaped: Value = x0.shape.isEmpty ? .scalar(fd.data[0]) : .num(fd)
            rows.append(
                CheckRow(
                    node: x, gradient: g, differences: shaped, difference: worst, agrees: agrees,
                    undefined: fd.data.contains { !$0.isFinite }))
        }
        return rows
    }

    /// The cone's values of the nodes that do not depend on `x` through any input (what
    /// holding `x` at another value leaves as it is).
    func valuesNotDownstream(of x: Int) -> NodeMap<Value> {
        var downstream = NodeMap<Bool>(graphSize: graph.nodes.count, touched: order.count)
        downstream[x] = true
        var kept = NodeMap<Value>(graphSize: graph.nodes.count, touched: order.count)
        for n in order {
            if n != x, graph.nodes[n].inputs.contains(where: { downstream[$0] == true }) { downstream[n] = true }
            if downstream[n] != true, let v = values[n] { kept[n] = v }
        }
        return kept
    }

    /// The output's value with node `x` held at `v`; `unchanged` holds the values that do
    /// not depend on x, which are not computed again.
    func valueWith(_ x: Int, held v: Value, _ unchanged: NodeMap<Value>) throws -> Double {
        var ev = Evaluator(graph: graph, leafValue: session.leafValues(feeds: feeds))
        ev.interrupted = interrupted
        ev.overrides = [x: v]
        ev.known = unchanged
        let vs = try ev.run(order)
        return vs[output]?.scalarValue ?? .nan
    }

    /// The error for a question that needs numbers (`what`: "training needs numbers") when
    /// free symbols remain.
    public func freeSymbolsError(_ what: String) -> EvalError {
        let names = freeSymbols
        let list = names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names.last!
        return EvalError(
            "\(what), but \(list) \(names.count == 1 ? "is a free symbol" : "are free symbols")",
            notes: ["hint: give \(names.count == 1 ? "it a value" : "them values"), such as '\(names.first ?? "x") = 1'"])
    }

    // MARK: - Values of other nodes

    /// A node's value: from the cone, or computed (with the same feeds).
    public func valueOf(_ id: Int) throws -> Value {
        if let v = values[id] { return v }
        return try numericValue(id)
    }

    /// The value of any node (a scratch node too), reusing the cone's values.
    func numericValue(_ id: Int) throws -> Value {
        var ev = Evaluator(graph: graph, leafValue: session.leafValues(feeds: feeds))
        ev.interrupted = interrupted
        ev.known = values
        guard let v = try ev.run(graph.order([id]))[id] else { throw EvalError("no value") }
        return v
    }

    /// A node's value as a formula in the leaves (inputs, variables and placeholders as
    /// symbols named after them: `W[1,2]` for an element).
    public func symbolicValue(_ id: Int) throws -> Value {
        var ev = Evaluator(graph: graph, leafValue: session.leafValues(feeds: feeds, symbolic: true))
        ev.interrupted = interrupted
        guard let v = try ev.run(graph.order([id]))[id] else { throw EvalError("no value") }
        return v
    }

    func ones(_ shape: [Int]) throws -> Value { shape.isEmpty ? .scalar(1) : .num(try Tensor.filled(shape, 1)) }

    func zeros(_ shape: [Int]) throws -> Value { shape.isEmpty ? .scalar(0) : .num(try Tensor.filled(shape, 0)) }
}

extension Session {
    /// A derivative query about `output` (see `DerivativeQuery`).
    public func query(
        _ output: Int, feeds: [String: Value] = [:], interrupted: @escaping () -> Bool = { false }
    ) throws -> DerivativeQuery {
        try DerivativeQuery(session: self, output: output, feeds: feeds, interrupted: interrupted)
    }
}

extension Value {
    /// The rows of two matrices with as many columns, one after the other.
    static func rows(_ a: Value, _ b: Value) throws -> Value {
        guard a.shape.count == 2, b.shape.count == 2, a.shape[1] == b.shape[1] else {
            throw EvalError("internal: rows of shapes \(shapeText(a.shape)) and \(shapeText(b.shape))")
        }
        let shape = [a.shape[0] + b.shape[0], a.shape[1]]
        if let x = a.numeric, let y = b.numeric, !a.isSymbolic, !b.isSymbolic {
            return .num(Tensor(shape: shape, data: x.data + y.data))
        }
        return .sym(Tensor(shape: shape, data: a.symbolic.data + b.symbolic.data))
    }
}
