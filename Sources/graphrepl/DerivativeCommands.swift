import Engine
import Foundation
import GraphLang

/// `:partials`, `:paths`, `:forward`, `:reverse`, `:grad`, `:jacobian`, `:hessian`,
/// `:check`: derivatives shown the way the lecture shows them.
struct DerivativeCommands {
    let interp: Interpreter
    let args: CommandArgs
    var session: Session { interp.session }
    var graph: Graph { session.graph }

    static let infos: [Commands.Info] = [
        .init(
            name: "partials", usage: ":partials OUT",
            summary: "every edge child → parent with its local partial, symbolic and at the current values",
            example: ":partials e"),
        .init(
            name: "paths", usage: ":paths OUT wrt IN",
            summary: "every path from IN to OUT, the product along each, and their sum = ∂OUT/∂IN", example: ":paths e wrt b"),
        .init(
            name: "forward", usage: ":forward OUT wrt IN",
            summary: "forward mode: the tangent ∂node/∂IN at every node, in evaluation order", example: ":forward e wrt b"),
        .init(
            name: "reverse", usage: ":reverse OUT",
            summary: "reverse mode: the adjoint ∂OUT/∂node at every node, in reverse order", example: ":reverse e"),
        .init(
            name: "grad", usage: ":grad OUT [wrt IN, …]",
            summary: "∂OUT/∂IN for every input (or those named), symbolic and numeric", example: ":grad e"),
        .init(
            name: "jacobian", usage: ":jacobian OUT wrt IN, …",
            summary: "the Jacobian with labelled rows and columns, and what each mode would cost",
            example: ":jacobian y wrt x1, x2, x3"),
        .init(
            name: "hessian", usage: ":hessian OUT wrt IN, …", summary: "the matrix of second derivatives",
            example: ":hessian f wrt x"),
        .init(
            name: "check", usage: ":check OUT", summary: "each gradient against central finite differences, with relative error",
            example: ":check e"),
    ]

    static func run(_ call: Interpreter.CommandCall, _ interp: Interpreter) throws -> Bool {
        let d = DerivativeCommands(interp: interp, args: CommandArgs(call))
        switch call.name {
        case "partials": try d.partials()
        case "paths": try d.paths()
        case "forward": try d.forward()
        case "reverse": try d.reverse()
        case "grad": try d.grad()
        case "jacobian": try d.jacobian(hessian: false)
        case "hessian": try d.jacobian(hessian: true)
        case "check": try d.check()
        default: return false
        }
        return true
    }

    // MARK: - Helpers

    /// The node of a defined name.
    func output(_ w: (String, Span)) throws -> Int { try args.definedNode(w, in: session) }

    /// The leaf node of a name to differentiate with respect to.
    func leaf(_ w: (String, Span)) throws -> Int {
        let id: Int
        if session.definition(w.0) == nil {
            // A free symbol: fine if the graph uses it.
            guard let l = graph.leaves[w.0] else {
                throw args.error("'\(w.0)' is not defined", at: w.1, notes: didYouMean(w.0, among: session.order))
            }
            id = l
        } else {
            id = try session.node(named: w.0)
        }
        guard let (name, kind) = graph.nodes[id].leaf else {
            throw args.error(
                "'\(w.0)' is not a leaf: derivatives are taken with respect to inputs, variables and placeholders",
                at: w.1, notes: ["hint: ':paths OUT wrt LEAF' shows how the derivative flows through '\(w.0)'"])
        }
        if kind == .constant { throw args.error("'\(name)' is a constant: it has no derivative", at: w.1) }
        return id
    }

    func label(_ id: Int) -> String {
        if let n = graph.nodes[id].name { return n }
        return "(" + graph.label(id, limit: 40) + ")"
    }

    func d(_ of: Int, _ wrt: Int) -> String { "∂\(label(of))/∂\(label(wrt))" }

    /// Values of the roots' cones; warnings are reported by the command's first
    /// evaluation only (`warn`), not once per edge.
    func values(_ roots: [Int], symbolic: Bool = false, warn: Bool = false) throws -> NodeMap<Value> {
        var w: [Diagnostic] = []
        let v = try session.evaluate(roots, symbolic: symbolic, warnings: &w, interrupted: interp.interrupted)
        if warn { interp.warnAll(w) }
        return v
    }

    func show(_ v: Value?) -> String { v.map { interp.format($0) } ?? "?" }

    /// A node's value as a formula in the leaves (`b + 1`), when that stays readable.
    func formula(_ id: Int, limit: Int = 120) -> String? {
        guard let v = try? values([id], symbolic: true)[id], v.invalidReason == nil else { return nil }
        let text = interp.format(v)
        return text.count <= limit ? text : nil
    }

    /// A factor of a path's product in parentheses unless it is a name, a number, a
    /// call or a power: 1·(b + 1), (2*s)·(3*s), 3·s^2.
    func wrapped(_ text: String) -> String {
        let compound = text.enumerated().contains { i, c in
            (c == "+" || c == "-" || c == "*" || c == "/" || c == " ") && i > 0 && depthAt(text, i) == 0
        }
        return compound ? "(\(text))" : text
    }

    func depthAt(_ s: String, _ index: Int) -> Int {
        var d = 0
        for (i, c) in s.enumerated() {
            if i == index { return d }
            if c == "(" || c == "[" { d += 1 }
            if c == ")" || c == "]" { d -= 1 }
        }
        return d
    }

    /// The op nodes of `root`'s graph, in evaluation order.
    func cone(_ root: Int) -> [Int] { graph.order([root]) }

    var scalarGraph: (Int) -> Bool {
        { root in
            guard let vs = try? values([root]) else { return false }
            return cone(root).allSatisfy { (vs[$0]?.count ?? 1) == 1 }
        }
    }

    /// The local partial ∂parent/∂(input `slot`) as a graph node (forward rule with a unit
    /// tangent), or nil where it is zero.
    func localPartial(_ parent: Int, _ slot: Int, scalars: Bool) throws -> Int? {
        guard case .op(let op) = graph.nodes[parent].kind else { return nil }
        var b = GraphBuilder(graph: graph, origin: nil)
        b.scalarsOnly = scalars
        let ins = graph.nodes[parent].inputs
        var t = [Int?](repeating: nil, count: ins.count)
        t[slot] = b.literal(1)
        return try op.jvp(&b, ins, parent, t)
    }

    /// Nodes that depend on some differentiable leaf (they get tangents and adjoints).
    func differentiable(_ order: [Int]) -> Set<Int> {
        var dep = Set<Int>()
        for n in order {
            let node = graph.nodes[n]
            switch node.kind {
            case .leaf(_, let k): if k != .constant { dep.insert(n) }
            case .op(let op):
                let dI = op.differentiableInputs(node.inputs.count)
                if node.inputs.enumerated().contains(where: { i, c in i < dI.count && dI[i] && dep.contains(c) }) {
                    dep.insert(n)
                }
            case .jacobian: if dep.contains(node.inputs[0]) { dep.insert(n) }
            case .literal: break
            }
        }
        return dep
    }

    func leavesOf(_ order: [Int]) -> [Int] {
        let ls = order.filter { if let (_, k) = graph.nodes[$0].leaf { return k != .constant } else { return false } }
        let rank = Dictionary(uniqueKeysWithValues: session.order.enumerated().map { ($1, $0) })
        return ls.sorted { (rank[graph.nodes[$0].name ?? ""] ?? Int.max, $0) < (rank[graph.nodes[$1].name ?? ""] ?? Int.max, $1) }
    }

    // MARK: - :partials

    func partials() throws {
        let (out, _, _) = try args.outAndWrt(usage: ":partials OUT", needWrt: false)
        let root = try output(out)
        let order = cone(root)
        let vs = try values([root], warn: true)
        let scalars = order.allSatisfy { (vs[$0]?.count ?? 1) == 1 }
        let dep = differentiable(order)
        var lines: [String] = []
        var edges = 0
        for n in order {
            guard case .op(let op) = graph.nodes[n].kind else { continue }
            let dI = op.differentiableInputs(graph.nodes[n].inputs.count)
            for (slot, c) in graph.nodes[n].inputs.enumerated() where slot < dI.count && dI[slot] && dep.contains(c) {
                edges += 1
                if edges > 200 { continue }
                let name = d(n, c)
                let bothScalar = (vs[n]?.count ?? 0) == 1 && (vs[c]?.count ?? 0) == 1
                if bothScalar, let p = try localPartial(n, slot, scalars: true) {
                    let text = graph.nodes[p].name ?? graph.expressionText(p)
                    let value = show(try values([p])[p])
                    lines.append(text == value ? "  \(name) = \(value)" : "  \(name) = \(text) = \(value)")
                } else if bothScalar {
                    lines.append("  \(name) = 0")
                } else {
                    let m = vs[n]?.count ?? 0
                    let k = vs[c]?.count ?? 0
                    lines.append(
                        "  \(name): a \(m)×\(k) Jacobian (\(op.name) of shapes \(shapeText(vs[c]?.shape ?? [])) → \(shapeText(vs[n]?.shape ?? [])))"
                    )
                }
            }
        }
        var s =
            "local partials of \(label(root)), one per edge child → parent\(scalars ? "" : " (see :jacobian for tensor edges)"):\n"
        s += lines.isEmpty ? "  (no edges: \(label(root)) is a leaf)\n" : lines.joined(separator: "\n") + "\n"
        if edges > 200 { s += "  … \(edges - 200) more edges\n" }
        interp.write(s)
    }

    // MARK: - :paths

    static let pathLimit = 50
    static let pathsShownWhenTooMany = 10
    static let edgesShownPerPath = 12

    func paths() throws {
        let (out, wrt, _) = try args.outAndWrt(usage: ":paths OUT wrt IN", needWrt: true)
        let root = try output(out)
        let x = try leaf(wrt[0])
        let count = Paths.count(graph, from: x, to: root)
        let xName = label(x)
        if x == root {
            interp.write("\(xName) is the leaf itself: ∂\(xName)/∂\(xName) = 1\n")
            return
        }
        if count.isZero {
            interp.write("no path from \(xName) to \(label(root)): ∂\(label(root))/∂\(xName) = 0\n")
            return
        }
        let all = count.small.map { $0 <= DerivativeCommands.pathLimit } ?? false
        let listed = Paths.list(
            graph, from: x, to: root, limit: all ? DerivativeCommands.pathLimit : DerivativeCommands.pathsShownWhenTooMany)
        let vs = try values([root], warn: true)
        let scalars = cone(root).allSatisfy { (vs[$0]?.count ?? 1) == 1 }
        var s =
            "paths from \(xName) to \(label(root)): \(count)\(all ? "" : " — too many to list; the first \(listed.count) are shown")\n"
        var symbolicTerms: [String] = []
        var numericTerms: [String] = []
        var cache: [PathEdge: (formula: String, value: Double)] = [:]
        func partial(_ e: PathEdge) throws -> (formula: String, value: Double) {
            if let c = cache[e] { return c }
            let p = try localPartial(e.parent, e.slot, scalars: true)
            let v = try p.map { try values([$0])[$0]?.scalarValue ?? .nan } ?? 0
            let f = p.flatMap { formula($0) } ?? formatNumber(v, digits: session.settings.digits)
            cache[e] = (wrapped(f), v)
            return (wrapped(f), v)
        }
        let keep = DerivativeCommands.edgesShownPerPath
        for path in listed {
            // When a node uses the same input twice (x·x), say which use: x →[2] y.
            let nodes =
                [xName]
                + path.map { e -> String in
                    let twice = graph.nodes[e.parent].inputs.filter { $0 == e.child }.count > 1
                    return twice ? "[\(e.slot + 1)] " + label(e.parent) : label(e.parent)
                }
            let long = path.count > keep
            let route =
                long
                ? (nodes.prefix(keep / 2) + ["…"] + nodes.suffix(keep / 2)).joined(separator: " → ").replacingOccurrences(
                    of: "→ [", with: "→[") + " (\(path.count) edges)"
                : nodes.joined(separator: " → ").replacingOccurrences(of: "→ [", with: "→[")
            guard scalars else {
                s += "  \(route)\n"
                continue
            }
            var names: [String] = []
            var factors: [String] = []
            var product = 1.0
            for e in path {
                let (f, v) = try partial(e)
                product *= v
                if !long {
                    names.append(d(e.parent, e.child))
                    factors.append(f)
                }
            }
            let shownValue = formatNumber(product, digits: session.settings.digits)
            if long {
                s += "  \(route):  product of the \(path.count) partials = \(shownValue)\n"
                symbolicTerms.append(shownValue)
            } else {
                let symbolic = factors.joined(separator: "·")
                s +=
                    "  \(route):  \(names.joined(separator: "·")) = \(symbolic)\(symbolic == shownValue ? "" : " = \(shownValue)")\n"
                symbolicTerms.append(symbolic)
            }
            numericTerms.append(shownValue)
        }
        let g = try gradientValue(root, x, vs)
        let dName = "∂\(label(root))/∂\(xName)"
        if !scalars {
            s += "  (edges here are Jacobians; the sum over paths of their products is the gradient)\n"
            s += "\(dName) = \(show(g))\n"
        } else if !all {
            s += "sum over all \(count) paths = \(dName) = \(show(g))  (by reverse mode, without listing them)\n"
        } else {
            let sym = symbolicTerms.joined(separator: " + ")
            let num = numericTerms.joined(separator: " + ")
            var line = "sum over paths: \(sym)"
            if num != sym { line += " = \(num)" }
            if listed.count > 1 || num != show(g) { line += " = \(show(g))" }
            s += line + "\n"
            s += "\(dName) = \(show(g))\n"
        }
        interp.write(s)
    }

    /// ∂root/∂x by one reverse sweep, shaped like x (0 where there is no path).
    func gradientValue(_ root: Int, _ x: Int, _ vs: NodeMap<Value>) throws -> Value {
        let order = cone(root)
        let dep = graph.dependsOn(x, order: order)
        guard let yv = vs[root], let xv = try vs[x] ?? values([x])[x] else { throw EvalError("no value") }
        guard yv.count == 1 else {
            throw args.error(
                "\(label(root)) has shape \(shapeText(yv.shape)): a gradient needs a scalar output",
                notes: ["hint: use :jacobian \(label(root)) wrt \(label(x))"])
        }
        var a = ValueAlgebra()
        let (adj, _) = try Sweeps.reverse(
            &a, graph: graph, order: order, value: { vs[$0] ?? .scalar(.nan) },
            output: root, seed: .num(try Tensor.filled(yv.shape, 1)), dep: dep)
        return try adj[x].map { try Op.broadcastLike.evaluate([$0, xv]) } ?? .num(try Tensor.filled(xv.shape, 0))
    }

    // MARK: - :forward and :reverse

    func dotted(_ id: Int) -> String {
        guard let n = graph.nodes[id].name, let first = n.unicodeScalars.first else { return "d\(label(id))" }
        return String(first) + "\u{307}" + String(n.unicodeScalars.dropFirst())
    }

    func barred(_ id: Int) -> String {
        guard let n = graph.nodes[id].name, let first = n.unicodeScalars.first else { return "adj\(label(id))" }
        return String(first) + "\u{304}" + String(n.unicodeScalars.dropFirst())
    }

    /// A symbol leaf standing for a tangent or adjoint, for printing rules.
    func symbolNode(_ name: String) -> Int {
        graph.appendSymbol(name)
    }

    func forward() throws {
        let (out, wrt, _) = try args.outAndWrt(usage: ":forward OUT wrt IN", needWrt: true)
        let root = try output(out)
        let x = try leaf(wrt[0])
        let order = cone(root)
        let vs = try values([root], warn: true)
        let scalars = order.allSatisfy { (vs[$0]?.count ?? 1) == 1 }
        let dep = graph.dependsOn(x, order: order)
        guard let xv = vs[x] else { return }
        // Numbers: one pass per element of IN.
        var tangents: [Int: [Value]] = [:]
        var rules = 0
        var a = ValueAlgebra()
        for j in 0..<xv.count {
            var seed = try Tensor<Double>.filled(xv.shape, 0)
            seed.data[j] = 1
            let (_, r) = try Sweeps.forward(
                &a, graph: graph, order: order, value: { vs[$0] ?? .scalar(.nan) }, input: x,
                seed: .num(seed), dep: dep
            ) { n, t in tangents[n, default: []].append(t) }
            rules += r
            if interp.interrupted() { throw Interrupted() }
        }
        // Rules as formulas in the tangents' names.
        var b = GraphBuilder(graph: graph, origin: nil)
        b.scalarsOnly = scalars
        var symbols: [Int: Int] = [:]
        var rows: [[String]] = [["node", "value", "tangent rule", "tangent ∂node/∂\(label(x))"]]
        for n in order where dep[n] == true {
            let rule: String
            if n == x {
                rule = "seed: \(dotted(x)) = 1"
            } else if case .op(let op) = graph.nodes[n].kind {
                let dI = op.differentiableInputs(graph.nodes[n].inputs.count)
                let ts = graph.nodes[n].inputs.enumerated().map { i, c -> Int? in
                    i < dI.count && dI[i] && dep[c] == true ? symbols[c] : nil
                }
                let r = try op.jvp(&b, graph.nodes[n].inputs, n, ts)
                rule = "\(dotted(n)) = " + (r.map { graph.expressionText($0) } ?? "0")
            } else {
                rule = ""
            }
            symbols[n] = symbolNode(dotted(n))
            let t = (tangents[n] ?? []).map { interp.format($0) }
            rows.append([label(n), show(vs[n]), rule, t.count == 1 ? t[0] : "[" + t.joined(separator: ", ") + "]"])
        }
        var s = "forward mode: seed \(dotted(x)) = ∂\(label(x))/∂\(label(x)) = 1, then each node's tangent in evaluation order\n"
        s += Commands.table(rows, indent: "  ")
        s += "\(xv.count) pass\(xv.count == 1 ? "" : "es") (one per element of \(label(x))), \(rules) node rules applied\n"
        if let t = tangents[root], t.count == 1 {
            s += "∂\(label(root))/∂\(label(x)) = \(interp.format(t[0]))\n"
        } else if tangents[root] == nil {
            s += "no path from \(label(x)) to \(label(root)): ∂\(label(root))/∂\(label(x)) = 0\n"
        }
        interp.write(s)
    }

    func reverse() throws {
        let (out, _, _) = try args.outAndWrt(usage: ":reverse OUT", needWrt: false)
        let root = try output(out)
        let order = cone(root)
        let vs = try values([root], warn: true)
        guard let yv = vs[root], yv.count == 1 else {
            throw args.error(
                "\(label(root)) has shape \(shapeText(vs[root]?.shape ?? [])): reverse mode here starts from a scalar",
                notes: ["hint: :jacobian \(label(root)) wrt … runs one reverse pass per output element"])
        }
        let scalars = order.allSatisfy { (vs[$0]?.count ?? 1) == 1 }
        let depSet = differentiable(order)
        let dep = NodeMap<Bool>.marking(depSet, graphSize: graph.nodes.count)
        var adjoint: [Int: Value] = [:]
        var a = ValueAlgebra()
        let (_, rules) = try Sweeps.reverse(
            &a, graph: graph, order: order, value: { vs[$0] ?? .scalar(.nan) }, output: root,
            seed: .num(try Tensor.filled(yv.shape, 1)), dep: dep
        ) { n, g in adjoint[n] = g }
        // Rules: each node's adjoint as the sum of what its users send it.
        var b = GraphBuilder(graph: graph, origin: nil)
        b.scalarsOnly = scalars
        var contributions: [Int: [Int]] = [:]
        var rows: [[String]] = [["node", "value", "adjoint rule", "adjoint ∂\(label(root))/∂node"]]
        for n in order.reversed() where depSet.contains(n) {
            guard adjoint[n] != nil else { continue }
            let rule: String
            if n == root {
                rule = "seed: \(barred(root)) = 1"
            } else {
                let parts = contributions[n] ?? []
                rule = "\(barred(n)) = " + (parts.isEmpty ? "0" : parts.map { graph.expressionText($0) }.joined(separator: " + "))
            }
            if case .op(let op) = graph.nodes[n].kind {
                let ins = graph.nodes[n].inputs
                let dI = op.differentiableInputs(ins.count)
                let wants = ins.enumerated().map { i, c in i < dI.count && dI[i] && depSet.contains(c) }
                let cs = try op.vjp(&b, ins, n, symbolNode(barred(n)), wants: wants)
                for (i, c) in ins.enumerated() where wants[i] {
                    if let t = cs[i] { contributions[c, default: []].append(t) }
                }
            }
            rows.append([label(n), show(vs[n]), rule, show(adjoint[n])])
        }
        var s =
            "reverse mode: seed \(barred(root)) = ∂\(label(root))/∂\(label(root)) = 1, then each node's adjoint in reverse order\n"
        s += Commands.table(rows, indent: "  ")
        let leaves = leavesOf(order)
        s += "1 pass, \(rules) node rules applied; it gives ∂\(label(root))/∂x for every input x at once:\n"
        s +=
            "  " + leaves.map { "∂\(label(root))/∂\(label($0)) = \(show(adjoint[$0] ?? .scalar(0)))" }.joined(separator: "   ")
            + "\n"
        interp.write(s)
    }

    // MARK: - :grad

    func grad() throws {
        let (out, wrt, _) = try args.outAndWrt(usage: ":grad OUT [wrt IN, …]", needWrt: false)
        let root = try output(out)
        let vs = try values([root], warn: true)
        let order = cone(root)
        let xs = try wrt.isEmpty ? leavesOf(order) : wrt.map { try leaf($0) }
        guard !xs.isEmpty else {
            interp.write("\(label(root)) has no inputs to differentiate with respect to\n")
            return
        }
        var s = ""
        for x in xs {
            let g = try gradientValue(root, x, vs)
            let name = "∂\(label(root))/∂\(label(x))"
            if Paths.count(graph, from: x, to: root).isZero {
                s += "\(name) = \(show(g))  (no path from \(label(x)) to \(label(root)))\n"
                continue
            }
            // The formula, from the grad graph evaluated with the leaves as symbols.
            var sym: String?
            if g.count <= 16, let gid = try? gradNode(root, x) { sym = formula(gid, limit: 160) }
            let num = show(g)
            if let sym, sym != num { s += "\(name) = \(sym) = \(num)\n" } else { s += "\(name) = \(num)\n" }
        }
        interp.write(s)
    }

    /// A `grad(OUT, x)` node in the session graph.
    func gradNode(_ root: Int, _ x: Int) throws -> Int {
        try compileText("grad(\(graph.nodes[root].name ?? ""), \(graph.nodes[x].name ?? ""))")
    }

    func compileText(_ text: String) throws -> Int {
        let (p, ds, _) = Parser.parse(SourceFile(name: args.call.program.source.name, text: text))
        guard ds.isEmpty, case .expression(let e) = p.statements.first?.statement else {
            throw args.error("cannot form '\(text)'")
        }
        do {
            return try session.compile(p, e)
        } catch let d as Diagnostic {
            throw args.error(d.message, notes: d.notes)
        }
    }

    // MARK: - :jacobian and :hessian

    func elementLabels(_ name: String, _ shape: [Int]) -> [String] {
        if shape.isEmpty { return [name] }
        let n = shape.reduce(1, *)
        let strides = shape.indices.map { shape[($0 + 1)...].reduce(1, *) }
        return (0..<n).map { k in
            var r = k
            let idx = strides.map { st -> String in
                defer { r %= st }
                return String(r / st + 1)
            }
            return "\(name)[\(idx.joined(separator: ","))]"
        }
    }

    func matrixTable(_ v: Value, rows: [String], cols: [String]) -> String {
        let t = v.symbolic
        let n = cols.count
        var table: [[String]] = [[""] + cols]
        for (i, r) in rows.enumerated() {
            var row = [r]
            for j in 0..<n {
                let e = t.data[i * n + j]
                row.append(e.constantValue.map { formatNumber($0, digits: session.settings.digits) } ?? e.text)
            }
            table.append(row)
        }
        return Commands.table(table, indent: "  ")
    }

    func jacobian(hessian: Bool) throws {
        let usage = hessian ? ":hessian OUT wrt IN, …" : ":jacobian OUT wrt IN, …"
        let (out, wrt, _) = try args.outAndWrt(usage: usage, needWrt: true)
        let root = try output(out)
        let xs = try wrt.map { try leaf($0) }
        let names = xs.map { graph.nodes[$0].name ?? "" }
        let list = names.count == 1 ? names[0] : "[" + names.joined(separator: ", ") + "]"
        let id = try compileText("\(hessian ? "hessian" : "jacobian")(\(out.0), \(list))")
        let vs = try values([id], warn: true)
        guard let j = vs[id] else { return }
        let ys = hessian ? xs : [root]
        var rowLabels: [String] = []
        for y in ys {
            let shape = vs[y]?.shape ?? []
            rowLabels += hessian ? elementLabels("∂\(label(root))/∂" + label(y), shape) : elementLabels(label(y), shape)
        }
        var colLabels: [String] = []
        for x in xs { colLabels += elementLabels(label(x), vs[x]?.shape ?? []) }
        let what = hessian ? "Hessian of \(label(root))" : "Jacobian ∂\(label(root))/∂\(list)"
        var s = "\(what): \(rowLabels.count)×\(colLabels.count)\n"
        // The formulas, when every entry stays short enough to read in a table.
        if !j.isSymbolic, let sym = try? values([id], symbolic: true)[id], sym.invalidReason == nil, sym.isSymbolic,
            sym.count <= 400, sym.symbolic.data.allSatisfy({ $0.text.count <= 40 })
        {
            s += matrixTable(sym, rows: rowLabels, cols: colLabels)
            s += "at the current values:\n"
        }
        if j.count <= 2500 {
            s += matrixTable(j, rows: rowLabels, cols: colLabels)
        } else {
            s += "  " + interp.format(j) + "\n"
        }
        if !hessian {
            s += try costs(root, xs, vs)
        }
        interp.write(s)
    }

    /// What forward and reverse mode would cost for this Jacobian: passes × rules.
    func costs(_ root: Int, _ xs: [Int], _ vs: NodeMap<Value>) throws -> String {
        let order = cone(root)
        let m = vs[root]?.count ?? 0
        let n = xs.reduce(0) { $0 + (vs[$1]?.count ?? 0) }
        var fwdRules = 0
        for x in xs {
            let dep = graph.dependsOn(x, order: order)
            fwdRules = max(fwdRules, order.filter { dep[$0] == true && graph.nodes[$0].op != nil }.count)
        }
        var depAny = Set<Int>()
        for x in xs {
            let dep = graph.dependsOn(x, order: order)
            for i in order where dep[i] == true && graph.nodes[i].op != nil { depAny.insert(i) }
        }
        let revRules = depAny.count
        let fwd = n * fwdRules
        let rev = m * revRules
        func rules(_ k: Int) -> String { k == 1 ? "1 rule" : "\(k) rules" }
        var s = "cost: forward mode \(n) pass\(n == 1 ? "" : "es") (one per input element) × \(rules(fwdRules)) = \(fwd);"
        s += " reverse mode \(m) pass\(m == 1 ? "" : "es") (one per output element) × \(rules(revRules)) = \(rev)\n"
        if fwd == rev {
            s += "  both modes cost the same here\n"
        } else if rev < fwd {
            s +=
                "  reverse mode is cheaper here: \(m) output\(m == 1 ? "" : "s") < \(n) inputs (why backprop uses it: one scalar loss, many weights)\n"
        } else {
            s += "  forward mode is cheaper here: \(n) input\(n == 1 ? "" : "s") < \(m) outputs\n"
        }
        return s
    }

    // MARK: - :check

    func check() throws {
        let (out, wrt, _) = try args.outAndWrt(usage: ":check OUT [wrt IN, …]", needWrt: false)
        let root = try output(out)
        let vs = try values([root])
        let order = cone(root)
        let xs =
            try wrt.isEmpty
            ? leavesOf(order).filter { graph.nodes[$0].leaf?.1 == .input || graph.nodes[$0].leaf?.1 == .variable }
            : wrt.map { try leaf($0) }
        var rows: [[String]] = [["input", "reverse mode", "finite differences", "relative error", ""]]
        var worst = 0.0
        for x in xs {
            guard let name = graph.nodes[x].name, let x0 = session.values[name]?.numeric else {
                rows.append([label(x), "(no value to check at)", "", "", ""])
                continue
            }
            let g = try gradientValue(root, x, vs)
            guard let gn = g.numeric else { continue }
            var fd = [Double]()
            for k in 0..<x0.count {
                if interp.interrupted() { throw Interrupted() }
                let h = 1e-6 * max(1, abs(x0.data[k]))
                var p = x0
                p.data[k] += h
                session.setValue(name, .num(p))
                let fp = try values([root])[root]?.scalarValue ?? .nan
                p.data[k] = x0.data[k] - h
                session.setValue(name, .num(p))
                let fm = try values([root])[root]?.scalarValue ?? .nan
                session.setValue(name, .num(x0))
                fd.append((fp - fm) / (2 * h))
            }
            session.setValue(name, .num(x0))
            var err = 0.0
            for (a, b) in zip(gn.data, fd) { err = max(err, abs(a - b) / max(1e-8, abs(a), abs(b))) }
            worst = max(worst, err)
            let fdText =
                fd.count == 1
                ? formatNumber(fd[0], digits: 10) : "[" + fd.map { formatNumber($0, digits: 10) }.joined(separator: ", ") + "]"
            rows.append([label(x), interp.format(g), fdText, String(format: "%.1e", err), err < 1e-5 ? "ok" : "MISMATCH"])
        }
        var s = "gradients of \(label(root)) against central finite differences (step 1e-6·max(1, |x|)):\n"
        s += Commands.table(rows, indent: "  ")
        s +=
            worst < 1e-5
            ? "all agree (largest relative error \(String(format: "%.1e", worst)))\n"
            : "some gradients disagree: look for kinks (relu, abs, max) near the current values\n"
        interp.write(s)
    }
}
