import Engine
import Foundation
import GraphLang

/// `:partials`, `:paths`, `:forward`, `:reverse`, `:grad`, `:jacobian`, `:hessian`,
/// `:check`: derivatives shown the way the lecture shows them. Each reads its arguments,
/// asks the engine (`DerivativeQuery`) and lays out the answer; the derivatives
/// themselves are computed in the engine.
struct DerivativeCommands {
    let interp: Interpreter
    let call: Interpreter.CommandCall
    let args: CommandArgs
    var session: Session { interp.session }

    init(_ call: Interpreter.CommandCall, _ interp: Interpreter, usage: String) {
        self.interp = interp
        self.call = call
        self.args = CommandArgs(call, usage: usage)
    }

    // MARK: - Helpers

    /// The output named first, and the query about it.
    func query() throws -> DerivativeQuery { try args.query(interp) }

    /// The nodes named after `wrt`, each resolved to what the derivative is taken with
    /// respect to (errors at the name).
    func independents(_ names: [(String, Span)], _ q: DerivativeQuery) throws -> [Int] {
        var out: [Int] = []
        for w in names {
            let id = try args.anyNode(w, in: session)
            do {
                out += try q.independents(id)
            } catch let e as EvalError {
                throw args.error(e.message, at: w.1, notes: e.notes)
            }
        }
        return out
    }

    func show(_ v: Value?) -> String { v.map { interp.format($0) } ?? "?" }

    /// A value for a table cell: short, or its shape (`:show NAME` gives it whole).
    func cell(_ v: Value?) -> String { Commands.brief(show(v), v) }

    /// The width output fits.
    var width: Int { Commands.width(interp) }

    /// `head` followed by `text`, continued on a line indented by `indent` when it is too
    /// long for the width.
    func fold(_ head: String, _ text: String, indent: String = "    ") -> String {
        if head.count + text.count <= width { return head + text + "\n" }
        return head.trimmingCharacters(in: .whitespaces) + "\n" + Commands.wrapList(text, width: width, indent: indent)
    }

    func d(_ q: DerivativeQuery, _ of: Int, _ wrt: Int) -> String { "∂\(q.label(of))/∂\(q.label(wrt))" }

    /// "no path from x to e: ∂e/∂x = 0"
    func noPath(_ q: DerivativeQuery, _ x: Int) -> String {
        "no path from \(q.label(x)) to \(q.label(q.output)): \(d(q, q.output, x)) = 0\n"
    }

    // MARK: - :partials

    func partials() throws {
        let q = try query()
        try args.finish()
        let (edges, count) = try q.edges(limit: 200)
        var lines: [String] = []
        for e in edges {
            let name = d(q, e.parent, e.child)
            switch e.partial {
            case .scalar(let p):
                let value = show(p.value)
                lines.append(p.expression == value ? "  \(name) = \(value)" : "  \(name) = \(p.expression) = \(value)")
            case .zero:
                lines.append("  \(name) = 0")
            case .jacobian(let m, let k):
                let op =
                    session.graph.composite(resultOf: e.parent)?.builtin.name ?? session.graph.nodes[e.parent].op?.name ?? "?"
                let from = shapeText(q.values[e.child]?.shape ?? [])
                let to = shapeText(q.values[e.parent]?.shape ?? [])
                lines.append("  \(name): a \(m)×\(k) Jacobian (\(op) of shapes \(from) → \(to))")
            case .none:
                lines.append("  \(name): none (derivatives are not taken through jacobian(…))")
            }
        }
        let tensors = q.isScalarGraph ? "" : " (tensor edges: :jacobian)"
        var s = "local partials of \(q.label(q.output)), one per edge child → parent\(tensors):\n"
        s += lines.isEmpty ? "  (no edges: \(q.label(q.output)) is a leaf)\n" : lines.joined(separator: "\n") + "\n"
        if count > edges.count { s += "  … \(count - edges.count) more edges\n" }
        interp.write(s)
    }

    // MARK: - :paths

    static let pathLimit = 50
    static let pathsShownWhenTooMany = 10
    static let edgesShownPerPath = 12

    func paths() throws { try sections(pathsSection) }

    /// One section for each node named after `wrt`, a blank line between them.
    func sections(_ section: (DerivativeQuery, Int) throws -> String) throws {
        let q = try query()
        let xs = try independents(try args.wrtList(required: true), q)
        try args.finish()
        interp.write(try xs.map { try section(q, $0) }.joined(separator: "\n"))
    }

    func pathsSection(_ q: DerivativeQuery, _ x: Int) throws -> String {
        let xName = q.label(x)
        let root = q.output
        if x == root { return "\(xName) is the output itself: ∂\(xName)/∂\(xName) = 1\n" }
        let listing = q.paths(from: x, limit: DerivativeCommands.pathLimit, sample: DerivativeCommands.pathsShownWhenTooMany)
        if listing.count.isZero { return noPath(q, x) }
        let all = listing.complete
        // Products of numbers when every edge of every path joins two numbers, even if
        // tensors sit beside them (y → L for L = mse(y, t)).
        let scalars =
            q.isScalarGraph
            || all
                && listing.paths.allSatisfy { path in
                    path.allSatisfy { q.values[$0.child]?.count == 1 && q.values[$0.parent]?.count == 1 }
                }
        var s = "paths from \(xName) to \(q.label(root)): \(listing.count)"
        s += all ? "\n" : " — too many to list; the first \(listing.paths.count) are shown\n"
        var symbolicTerms: [String] = []
        var valueTerms: [String] = []
        var cache: [PathEdge: (text: String, value: Value)] = [:]
        func partial(_ e: PathEdge) throws -> (text: String, value: Value) {
            if let c = cache[e] { return c }
            let p = try q.localPartial(e.parent, e.slot, formula: true)
            let value = p?.value ?? .scalar(0)
            let text = p.map { $0.formula.flatMap { $0.count <= 120 ? $0 : nil } ?? show($0.value) } ?? "0"
            cache[e] = (text, value)
            return (text, value)
        }
        let keep = DerivativeCommands.edgesShownPerPath
        for path in listing.paths {
            // When a node uses the same input twice (x·x), say which use: x →[2] y.
            let nodes =
                [xName]
                + path.map { e -> String in
                    let twice = session.graph.pathInputs(e.parent).filter { $0 == e.child }.count > 1
                    return twice ? "[\(e.slot + 1)] " + q.label(e.parent) : q.label(e.parent)
                }
            let long = path.count > keep
            let shown = long ? Array(nodes.prefix(keep / 2)) + ["…"] + nodes.suffix(keep / 2) : nodes
            var route = shown.joined(separator: " → ").replacingOccurrences(of: "→ [", with: "→[")
            if long { route += " (\(path.count) edges)" }
            guard scalars else {
                s += "  \(route)\n"
                continue
            }
            let factors = try path.map { try partial($0) }
            let product = try q.product(path) { try partial($0).value }
            let shownValue = show(product)
            let valueTerm = product.isSymbolic && listing.paths.count > 1 ? Notation.wrap(shownValue) : shownValue
            if long {
                s += "  \(route):  product of the \(path.count) partials = \(shownValue)\n"
                symbolicTerms.append(valueTerm)
            } else {
                let names = path.map { d(q, $0.parent, $0.child) }.joined(separator: "·")
                let symbolic =
                    factors.count == 1
                    ? factors[0].text : factors.map { Notation.wrap($0.text) }.joined(separator: "·")
                s += "  \(route):  \(names) = \(symbolic)\(symbolic == shownValue ? "" : " = \(shownValue)")\n"
                symbolicTerms.append(symbolic)
            }
            valueTerms.append(valueTerm)
        }
        let dName = d(q, root, x)
        let g = try q.gradient(x)
        if !scalars {
            s += "  (each edge is a Jacobian; the sum of the paths' products is the gradient)\n"
            s += fold("\(dName) = ", show(g))
        } else if !all {
            s += "sum over all \(listing.count) paths = \(dName) = \(show(g))  (by reverse mode, without listing them)\n"
        } else {
            // a + -b is written a - b.
            func sum(_ terms: [String]) -> String {
                terms.dropFirst().reduce(terms.first ?? "0") { $1.hasPrefix("-") ? "\($0) - \($1.dropFirst())" : "\($0) + \($1)" }
            }
            let sym = sum(symbolicTerms)
            let num = sum(valueTerms)
            var line = "sum over paths: \(sym)"
            if num != sym { line += " = \(num)" }
            if listing.paths.count > 1 || num != show(g) { line += " = \(show(g))" }
            s += line + "\n"
            s += "\(dName) = \(show(g))\n"
        }
        return s
    }

    // MARK: - :forward and :reverse

    func forward() throws { try sections(forwardSection) }

    func forwardSection(_ q: DerivativeQuery, _ x: Int) throws -> String {
        guard q.hasPath(from: x) else { return noPath(q, x) }
        let trace = try q.forwardTrace(x)
        var rows: [[String]] = [["node", "value", "tangent rule", "tangent ∂node/∂\(q.label(x))"]]
        for r in trace.rows {
            let t = r.results.map { interp.format($0) }
            let tangents = t.count == 1 ? Commands.brief(t[0], r.results[0]) : "[" + t.joined(separator: ", ") + "]"
            rows.append([q.label(r.node), cell(r.value), r.rule, tangents])
        }
        let root = q.output
        var s = "forward mode: seed \(q.dotted(x)) = ∂\(q.label(x))/∂\(q.label(x)) = 1, then each node's tangent in order\n"
        s += Commands.table(rows, indent: "  ", width: width)
        s +=
            "\(trace.passes) pass\(trace.passes == 1 ? "" : "es") (one per element of \(q.label(x))), \(trace.rules) node rule\(trace.rules == 1 ? "" : "s") applied\n"
        if let t = trace.rows.last(where: { $0.node == root })?.results, t.count == 1 {
            s += fold("\(d(q, root, x)) = ", interp.format(t[0]))
        } else if q.value.count == 1 {
            // One pass per element: the tangents at the output, shaped like the input.
            s += fold("\(d(q, root, x)) = ", show(try q.gradient(x)))
        }
        return s
    }

    func reverse() throws {
        let q = try query()
        try args.finish()
        let (trace, adjoints) = try q.reverseTrace()
        let root = q.output
        var rows: [[String]] = [["node", "value", "adjoint rule", "adjoint ∂\(q.label(root))/∂node"]]
        for r in trace.rows { rows.append([q.label(r.node), cell(r.value), r.rule, cell(r.results.first)]) }
        var s =
            "reverse mode: seed \(q.barred(root)) = ∂\(q.label(root))/∂\(q.label(root)) = 1, then each node's adjoint in reverse\n"
        s += Commands.table(rows, indent: "  ", width: width)
        s +=
            "1 pass, \(trace.rules) node rule\(trace.rules == 1 ? "" : "s") applied; it gives ∂\(q.label(root))/∂x for every input x:\n"
        let all = q.inputs.map { "\(d(q, root, $0)) = \(show(adjoints[$0] ?? .scalar(0)))" }
        if all.joined(separator: "   ").count + 2 <= width {
            s += "  " + all.joined(separator: "   ") + "\n"
        } else {
            for (x, text) in zip(q.inputs, all) {
                s += "  " + (text.count + 2 <= width ? text : "\(d(q, root, x)) = \(cell(adjoints[x] ?? .scalar(0)))") + "\n"
            }
        }
        interp.write(s)
    }

    // MARK: - :grad

    func grad() throws {
        let q = try query()
        let named = try args.wrtList(required: false)
        try args.finish()
        let xs = try named.isEmpty ? q.inputs : independents(named, q)
        guard !xs.isEmpty else {
            interp.write("\(q.label(q.output)) has no inputs to differentiate with respect to\n")
            return
        }
        var s = ""
        let gradients = try q.gradients(xs)  // one reverse sweep for all
        for (x, g) in zip(xs, gradients) {
            let name = d(q, q.output, x)
            guard q.hasPath(from: x) else {
                s += "\(name) = \(show(g))  (no path from \(q.label(x)) to \(q.label(q.output)))\n"
                continue
            }
            // The formula, from the gradient graph evaluated with the leaves as symbols.
            let formula = (try? q.gradientFormula(x)).flatMap { $0 }.flatMap { v -> String? in
                guard v.invalidReason == nil else { return nil }
                let text = interp.format(v)
                return text.count <= 160 ? text : nil
            }
            let num = show(g)
            if let formula, formula != num, name.count + formula.count + num.count + 6 <= width {
                s += "\(name) = \(formula) = \(num)\n"
            } else if let formula, formula != num {
                s += fold("\(name) = ", formula) + fold("  = ", num)
            } else {
                s += fold("\(name) = ", num)
            }
        }
        interp.write(s)
    }

    // MARK: - :jacobian and :hessian

    static func elementLabels(_ name: String, _ shape: [Int]) -> [String] {
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

    /// A matrix with labelled rows and columns; when it is wider than the output, in
    /// blocks of columns, each labelled.
    func matrixTable(_ v: Value, rows: [String], cols: [String]) -> String {
        let t = v.symbolic
        let n = cols.count
        let cells = (0..<rows.count).map { i in
            (0..<n).map { j -> String in
                let e = t.data[i * n + j]
                return e.constantValue.map { formatNumber($0, digits: session.settings.digits) } ?? e.text
            }
        }
        let labelWidth = rows.map(\.count).max() ?? 0
        let colWidth = (0..<n).map { j in max(cols[j].count, cells.map { $0[j].count }.max() ?? 0) }
        var blocks: [Range<Int>] = []
        var start = 0
        var used = 2 + labelWidth
        for j in 0..<n {
            if j > start, used + 2 + colWidth[j] > width {
                blocks.append(start..<j)
                start = j
                used = 2 + labelWidth
            }
            used += 2 + colWidth[j]
        }
        blocks.append(start..<n)
        var s = ""
        for b in blocks {
            if blocks.count > 1 { s += "  columns \(b.lowerBound + 1)–\(b.upperBound) of \(n):\n" }
            var table: [[String]] = [[""] + cols[b]]
            for (i, r) in rows.enumerated() { table.append([r] + cells[i][b]) }
            s += Commands.table(table, indent: "  ", width: width)
        }
        return s
    }

    func jacobian(hessian: Bool) throws {
        let q = try query()
        let named = try args.wrtList(required: true)
        try args.finish()
        let xs = try independents(named, q)
        let report = try hessian ? q.hessian(xs) : q.jacobian(xs)
        let root = q.output
        let shape = { (n: Int) in (try? q.valueOf(n))?.shape ?? [] }
        let names = named.map(\.0)
        let list = names.count == 1 ? names[0] : "[" + names.joined(separator: ", ") + "]"
        let rowLabels =
            hessian
            ? xs.flatMap { DerivativeCommands.elementLabels("∂\(q.label(root))/∂" + q.label($0), shape($0)) }
            : DerivativeCommands.elementLabels(q.label(root), shape(root))
        let colLabels = xs.flatMap { DerivativeCommands.elementLabels(q.label($0), shape($0)) }
        let what = hessian ? "Hessian of \(q.label(root))" : "Jacobian ∂\(q.label(root))/∂\(list)"
        var s = "\(what): \(rowLabels.count)×\(colLabels.count)\n"
        // The formulas, when every entry stays short enough to read in a table.
        if let f = report.formula, f.count <= 400, f.symbolic.data.allSatisfy({ $0.text.count <= 40 }) {
            s += matrixTable(f, rows: rowLabels, cols: colLabels)
            s += "at the current values:\n"
        }
        if report.value.count <= 2500 {
            s += matrixTable(report.value, rows: rowLabels, cols: colLabels)
        } else {
            s += "  " + interp.format(report.value) + "\n"
        }
        if !hessian { s += costs(q.costs(xs)) }
        interp.write(s)
    }

    /// What forward and reverse mode would cost: passes × rules, and which is cheaper.
    func costs(_ c: DerivativeQuery.ModeCosts) -> String {
        let (n, m) = (c.inputElements, c.outputElements)
        func rules(_ k: Int) -> String { k == 1 ? "1 rule" : "\(k) rules" }
        var s =
            "cost: forward mode \(n) pass\(n == 1 ? "" : "es") (one per input element) × \(rules(c.forwardRules)) = \(c.forward)\n"
        s +=
            "      reverse mode \(m) pass\(m == 1 ? "" : "es") (one per output element) × \(rules(c.reverseRules)) = \(c.reverse)\n"
        if c.forward == c.reverse {
            s += "  both modes cost the same here\n"
        } else if c.reverse < c.forward {
            s += "  reverse mode is cheaper here: \(m) output\(m == 1 ? "" : "s") < \(n) inputs\n"
            s += "  (why backprop uses it: one scalar loss, many weights)\n"
        } else {
            s += "  forward mode is cheaper here: \(n) input\(n == 1 ? "" : "s") < \(m) outputs\n"
        }
        return s
    }

    // MARK: - :check

    func check() throws {
        let q = try query()
        let named = try args.wrtList(required: false)
        try args.finish()
        let xs =
            try named.isEmpty
            ? q.inputs.filter { [.input, .variable].contains(session.graph.nodes[$0].leaf?.1) } : independents(named, q)
        let rows = try q.check(xs)
        var table: [[String]] = [["input", "reverse mode", "finite differences", "|difference|", ""]]
        for r in rows {
            table.append([
                q.label(r.node), cell(r.gradient), Commands.brief(formatValue(r.differences, digits: 10), r.differences),
                String(format: "%.1e", r.difference), r.undefined ? "undefined" : r.agrees ? "ok" : "MISMATCH",
            ])
        }
        let out = q.label(q.output)
        let (r, a, h) = (
            DerivativeQuery.checkRelativeTolerance, DerivativeQuery.checkAbsoluteTolerance, DerivativeQuery.checkStep
        )
        var s = "gradients of \(out) against central finite differences (step h = \(formatNumber(h))·max(1, |x|)):\n"
        s += Commands.table(table, indent: "  ", width: width)
        let rule = "\(formatNumber(r))·max(|g|, |fd|) + \(formatNumber(a))·max(1, |\(out)|)"
        if rows.contains(where: \.undefined) {
            s += "some differences are not finite: x ± h leaves the domain of a function (log, sqrt)\n"
        } else if rows.allSatisfy(\.agrees) {
            s += "all agree: each |difference| is within \(rule)\n"
        } else {
            s += "some gradients disagree beyond \(rule):\n  look for kinks (relu, abs, max) near the current values\n"
        }
        interp.write(s)
    }
}
