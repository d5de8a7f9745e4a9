import Engine
import Foundation
import GraphLang

/// `:graph`, `:dot`, `:latex`, `:export`: the graph drawn, and carried to other tools.
struct ViewCommands {
    let interp: Interpreter
    let call: Interpreter.CommandCall
    let usage: String
    var session: Session { interp.session }
    var graph: Graph { session.graph }

    init(_ call: Interpreter.CommandCall, _ interp: Interpreter, usage: String) {
        self.interp = interp
        self.call = call
        self.usage = usage
    }

    func error(_ message: String, notes: [String] = []) -> Diagnostic { call.diagnostic(message, notes: notes) }

    /// The output named first, and the engine's query about it (values, warnings shown).
    /// The width to draw in: the terminal's, COLUMNS, or 80 (captured output: 80 unless
    /// COLUMNS says otherwise).
    static func terminalWidth(_ interp: Interpreter) -> Int {
        if let w = interp.width { return w }
        var size = winsize()
        if interp.outputIsTerminal, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 {
            return Int(size.ws_col)
        }
        if let c = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), c > 20 { return c }
        return 80
    }

    static func unicodeOK() -> Bool {
        let env = ProcessInfo.processInfo.environment
        let locale = env["LC_ALL"] ?? env["LC_CTYPE"] ?? env["LANG"] ?? ""
        if locale.isEmpty || locale == "C" || locale == "POSIX" { return isatty(STDOUT_FILENO) == 0 }
        return locale.uppercased().contains("UTF")
    }

    // MARK: - The nodes to show

    struct View {
        var nodes: [Int] = []
        var edges: [(child: Int, parent: Int, slot: Int)] = []
        /// Representative node → function name, for collapsed calls.
        var modules: [Int: String] = [:]
        var cut: Set<Int> = []
        /// Names for drawn nodes that stand for a named one (a derivative's name on what
        /// it carries through its shape helpers).
        var names: [Int: String] = [:]
    }

    /// The cone of `root` without literals, each unopened user-function call shown as one
    /// node, cut at `depth` levels below the root.
    func view(_ q: DerivativeQuery, open: Set<String>, depth: Int?) -> View {
        let root = q.output
        let order = q.order
        func representative(_ node: Int) -> Int {
            // Through shape helpers and products with the seed (derivative graphs).
            let n = graph.shown(node)
            var rep = n
            var c = graph.nodes[n].call
            while let k = c {
                let info = graph.calls[k]
                if !open.contains(info.function), info.result >= 0 { rep = info.result }
                c = info.parent
            }
            return rep
        }
        var v = View()
        var seen = Set<Int>()
        var edgeSeen = Set<[Int]>()
        for n in order {
            if case .literal = graph.nodes[n].kind { continue }
            if graph.isSeed(n) || graph.shown(n) != n { continue }
            let r = representative(n)
            if r != n, let k = graph.nodes[n].call { v.modules[r] = graph.calls[k].function }
            if seen.insert(r).inserted { v.nodes.append(r) }
            for (slot, c) in graph.nodes[n].inputs.enumerated() {
                if case .literal = graph.nodes[c].kind { continue }
                if graph.isSeed(c) { continue }
                // A shape helper's other inputs only lend their shapes.
                if slot > 0, let op = graph.nodes[n].op, op.isShapeHelper { continue }
                let rc = representative(c)
                if rc == r { continue }
                if edgeSeen.insert([rc, r, r == n ? slot : -1]).inserted { v.edges.append((rc, r, r == n ? slot : -1)) }
            }
        }
        if let name = graph.name(of: root), representative(root) != root { v.names[representative(root)] = name }
        // Only what the root is drawn from (a seed's output or a helper's shape is not).
        var reached: Set<Int> = [representative(root)]
        var frontier = [representative(root)]
        var childrenOf: [Int: [Int]] = [:]
        for e in v.edges { childrenOf[e.parent, default: []].append(e.child) }
        while let n = frontier.popLast() {
            for c in childrenOf[n] ?? [] where reached.insert(c).inserted { frontier.append(c) }
        }
        v.nodes = v.nodes.filter { reached.contains($0) }
        v.edges = v.edges.filter { reached.contains($0.parent) && reached.contains($0.child) }
        if let depth {
            var level: [Int: Int] = [root: 0]
            var frontier = [representative(root)]
            level[frontier[0]] = 0
            while let n = frontier.popLast() {
                for e in v.edges where e.parent == n {
                    let d = (level[n] ?? 0) + 1
                    if level[e.child].map({ d < $0 }) ?? true {
                        level[e.child] = d
                        frontier.append(e.child)
                    }
                }
            }
            let keep = Set(v.nodes.filter { (level[$0] ?? Int.max) <= depth })
            for e in v.edges where keep.contains(e.parent) && !keep.contains(e.child) { v.cut.insert(e.parent) }
            v.nodes = v.nodes.filter { keep.contains($0) }
            v.edges = v.edges.filter { keep.contains($0.child) && keep.contains($0.parent) }
        }
        return v
    }

    func shortValue(_ v: Value?, _ limit: Int) -> String {
        guard let v else { return "?" }
        let text = formatValue(v, digits: session.settings.digits ?? 4)
        let shape = v.shape.isEmpty ? "" : " " + shapeText(v.shape)
        return Commands.short(text, max(8, limit - shape.count)) + shape
    }

    /// Every adjoint, for `:graph … grad`.
    func adjoints(_ q: DerivativeQuery) throws -> [Int: Value] {
        do {
            return try q.adjoints().adjoints
        } catch let e as EvalError {
            throw error("'grad' needs a scalar output: " + e.message, notes: e.notes)
        }
    }

    /// The lines of each node's box; `adjoints` (nil: none shown) from `adjoints(_:)`.
    struct EdgeKey: Hashable {
        var parent: Int
        var slot: Int
    }

    /// The local partial of every drawn edge, worked out once for all the label widths
    /// a drawing tries.
    func edgePartials(_ v: View, _ q: DerivativeQuery) throws -> [EdgeKey: DerivativeQuery.EdgePartial.Partial] {
        var out: [EdgeKey: DerivativeQuery.EdgePartial.Partial] = [:]
        for e in v.edges where e.slot >= 0 && v.modules[e.parent] == nil {
            out[EdgeKey(parent: e.parent, slot: e.slot)] = try q.partial(e.parent, e.slot, formula: false, opened: true)
        }
        return out
    }

    func labels(
        _ v: View, _ q: DerivativeQuery, adjoints: [Int: Value]?, partials: [EdgeKey: DerivativeQuery.EdgePartial.Partial]?,
        limit: Int,
        compact: Bool = false
    ) throws -> [Int: [String]] {
        let root = q.output
        let values = q.values
        let grad = adjoints != nil
        var out: [Int: [String]] = [:]
        let rootName = graph.name(of: root) ?? "out"
        // A collapsed call reads as the call: layer(W, x, b).
        var callText: [Int: String] = [:]
        for (n, f) in v.modules {
            let ins = v.edges.filter { $0.parent == n }.map { graph.label($0.child, limit: 12) }
            callText[n] = "\(f)(\(ins.joined(separator: ", ")))"
        }
        /// A node in a ∂: its name, or its expression (shortened) in parentheses.
        func short(_ n: Int) -> String { graph.name(of: n) ?? "(" + graph.label(n, limit: 10) + ")" }
        func expression(_ n: Int) -> String { graph.expressionText(n, override: { callText[$0] }) }
        for n in v.nodes {
            var lines: [String] = []
            let node = graph.nodes[n]
            if let f = v.modules[n], let text = callText[n] {
                lines.append(Commands.short((v.names[n] ?? graph.name(of: n)).map { "\($0) = \(text)" } ?? text, limit))
                if session.functionNames.contains(f) { lines.append("function \(f)") }
            } else if let (name, kind) = node.leaf {
                if compact, kind == .input, let value = values[n] {
                    // One line for an input: a = 3.
                    lines.append(Commands.short("\(name) = " + shortValue(value, limit - 3 - name.count), limit))
                    if grad {
                        lines.append(
                            Commands.short(
                                "∂\(rootName)/∂\(name) = " + (adjoints?[n].map { shortValue($0, limit) } ?? "0"), limit))
                    }
                    out[n] = lines
                    continue
                }
                lines.append(Commands.short("\(name)  \(kind.rawValue)", limit))
            } else {
                let expr = expression(n)
                if let name = v.names[n] ?? graph.name(of: n) {
                    lines.append(Commands.short("\(name) = " + Commands.elidingMiddle(expr, limit - 3 - name.count), limit))
                } else {
                    lines.append(Commands.elidingMiddle(expr, limit))
                }
            }
            if case .leaf(_, .placeholder) = node.kind, values[n] == nil {
                lines.append("(fed when run)")
            } else {
                lines.append("= " + shortValue(values[n], limit - 2))
            }
            if grad {
                lines.append(
                    Commands.short(
                        "∂\(rootName)/∂\(short(n)) = " + (adjoints?[n].map { shortValue($0, limit) } ?? "0"),
                        limit))
            }
            if let partials, v.modules[n] == nil {
                for e in v.edges where e.parent == n && e.slot >= 0 {
                    let name = "∂\(short(n))/∂\(short(e.child))"
                    switch partials[EdgeKey(parent: n, slot: e.slot)] ?? .none {
                    case .scalar(let p):
                        let value = interp.format(p.value)
                        lines.append(
                            Commands.short(
                                p.expression == value ? "\(name) = \(value)" : "\(name) = \(p.expression) = \(value)", limit))
                    case .zero:
                        lines.append("\(name) = 0")
                    case .jacobian(let m, let k):
                        lines.append(Commands.short("\(name): \(m)×\(k) Jacobian", limit))
                    case .none:
                        break
                    }
                }
            }
            if v.cut.contains(n) { lines.append("… inputs below not shown") }
            out[n] = lines
        }
        return out
    }

    // MARK: - :graph

    func drawGraph() throws {
        let args = CommandArgs(call, usage: usage)
        let q = try args.query(interp)
        let root = q.output
        var grad = false
        var partials = false
        var ascii = !ViewCommands.unicodeOK()
        var open = Set<String>()
        var depth: Int?
        while let t = args.current {
            if let (key, value, span) = try args.option() {
                guard key == "depth" else {
                    throw args.error(
                        "unknown option '\(key)='", at: span, notes: didYouMean(key, among: ["depth"]) + ["usage: \(usage)"])
                }
                guard let n = Int(value), n >= 0 else { throw args.error("depth must be a whole number ≥ 0", at: span) }
                depth = n
            } else if args.take("grad") {
                grad = true
            } else if args.take("partials") {
                partials = true
            } else if args.take("ascii") {
                ascii = true
            } else if args.take("open") {
                open.insert(try args.name("a function name after 'open'").0)
            } else {
                throw args.error(
                    "unknown option \(t.kind.describe)", at: t.span,
                    notes: didYouMean(args.text(t), among: ["grad", "partials", "open", "ascii", "depth="]) + ["usage: \(usage)"])
            }
        }
        try checkOpened(open)
        let v = view(q, open: open, depth: depth)
        let width = ViewCommands.terminalWidth(interp)
        var drawing = GraphDrawing()
        drawing.ascii = ascii || interp.asciiOnly
        drawing.maxWidth = width
        var why = ""
        let adjoints = try grad ? self.adjoints(q) : nil
        let edges = try partials ? edgePartials(v, q) : nil
        // Narrower labels, then tighter boxes and gaps, before giving up the drawing.
        for (limit, gap, compact) in [
            (30, 3, false), (20, 3, false), (14, 3, false), (20, 2, true), (14, 2, true), (10, 1, true),
        ] {
            let ls = try labels(v, q, adjoints: adjoints, partials: edges, limit: limit, compact: compact)
            drawing.gap = gap
            let (text, reason) = drawing.draw(nodes: v.nodes, edges: v.edges.map { ($0.child, $0.parent) }, labels: ls)
            if let text {
                interp.write(drawing.ascii ? asciiOnly(text, keepWidth: true) : text)
                return
            }
            why = reason
        }
        // Too wide to draw side by side: an outline, one node a line, inputs indented.
        let ls = try labels(v, q, adjoints: adjoints, partials: edges, limit: width, compact: true)
        let text = outline(v, root: representative(of: root, in: v), labels: ls, width: width)
        interp.write("\(graph.label(root)) as an outline (\(why)):\n")
        interp.write(drawing.ascii ? asciiOnly(text) : text)
        if v.nodes.count > drawing.maxNodes {
            interp.write("hint: ':graph \(graph.label(root)) depth=2' draws the top of it; ':dot' draws all of it for Graphviz\n")
        }
    }

    /// The drawn node that stands for `n`.
    func representative(of n: Int, in v: View) -> Int {
        let s = graph.shown(n)
        return v.nodes.contains(s) ? s : n
    }

    /// The graph as an indented outline: each node once, its inputs below it, a node met
    /// again named and marked "(above)". No recursion: an explicit stack.
    func outline(_ v: View, root: Int, labels: [Int: [String]], width: Int, maxLines: Int = 400) -> String {
        var inputs: [Int: [Int]] = [:]
        for e in v.edges { inputs[e.parent, default: []].append(e.child) }
        var out: [String] = []
        var shown = Set<Int>()
        // (node, prefix of its line, prefix of its children's lines)
        var stack: [(Int, String, String)] = [(root, "", "")]
        while let (n, head, tail) = stack.popLast() {
            if out.count >= maxLines {
                out.append("…")
                break
            }
            let lines = labels[n] ?? ["?"]
            let again = !shown.insert(n).inserted
            let first = again ? (lines.first ?? "?") + "  (above)" : lines.joined(separator: "  ")
            out.append(Commands.short(head + first, width))
            if again { continue }
            let kids = inputs[n] ?? []
            for (i, c) in kids.enumerated().reversed() {
                let last = i == kids.count - 1
                stack.append((c, tail + (last ? "└─ " : "├─ "), tail + (last ? "   " : "│  ")))
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: - :dot

    /// Text inside a DOT string: quotes and backslashes escaped, line breaks (U+0001
    /// here) as DOT's \n.
    static func dotEscape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\u{1}", with: "\\n")
    }

    /// Each name after `open` is a user function or a built-in made of several ops.
    func checkOpened(_ open: Set<String>) throws {
        let composites = Builtin.allCases.filter(\.isComposite).map(\.name)
        for f in open.sorted() where !session.functionNames.contains(f) && !composites.contains(f) {
            throw error(
                "'\(f)' is not a function of this session", notes: didYouMean(f, among: session.functionNames + composites))
        }
    }

    func dotText(_ q: DerivativeQuery, grad: Bool = false, partials: Bool = false, open: Set<String> = []) throws
        -> String
    {
        let root = q.output
        let v = view(q, open: open, depth: nil)
        // Every edge is labelled with its partial; `partials` also lists them in the nodes.
        let edges = try edgePartials(v, q)
        let ls = try labels(v, q, adjoints: grad ? adjoints(q) : nil, partials: partials ? edges : nil, limit: 60)
        var s =
            "digraph \"\(ViewCommands.dotEscape(graph.label(root)))\" {\n  rankdir=BT;\n  node [shape=box, fontname=\"Helvetica\"];\n"
        for n in v.nodes {
            let shape = graph.nodes[n].leaf != nil ? ", style=rounded" : ""
            s += "  n\(n) [label=\"\(ViewCommands.dotEscape((ls[n] ?? []).joined(separator: "\u{1}")))\"\(shape)];\n"
        }
        for e in v.edges {
            var label = ""
            if case .scalar(let p) = edges[EdgeKey(parent: e.parent, slot: e.slot)] {
                let value = interp.format(p.value)
                label = p.expression == value ? value : "\(p.expression) = \(value)"
            }
            s += "  n\(e.child) -> n\(e.parent)" + (label.isEmpty ? "" : " [label=\"\(ViewCommands.dotEscape(label))\"]") + ";\n"
        }
        return s + "}\n"
    }

    func dot() throws {
        let args = CommandArgs(call, usage: usage)
        let q = try args.query(interp, fileFollows: true)
        let root = q.output
        let outName = graph.label(root)
        // Annotations as for :graph, then the file.
        var grad = false
        var partials = false
        var open = Set<String>()
        while true {
            if args.take("grad") {
                grad = true
            } else if args.take("partials") {
                partials = true
            } else if args.take("open") {
                open.insert(try args.name("a function name after 'open'").0)
            } else {
                break
            }
        }
        try checkOpened(open)
        let text = try dotText(q, grad: grad, partials: partials, open: open)
        guard let (path, span) = args.rest() else {
            interp.write(text)
            return
        }
        if !call.program.source.text(span).hasPrefix("\""), path.contains(where: \.isWhitespace) {
            throw args.error(
                "':dot' writes one file, and '\(path)' is more than one word", at: span,
                notes: ["hint: put a file name with spaces in quotes", "usage: \(usage)"])
        }
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        if ext == "svg" || ext == "png" || ext == "pdf" {
            guard let dotPath = ViewCommands.which("dot") else {
                throw error(
                    "Graphviz is not installed, so '\(path)' cannot be drawn",
                    notes: [
                        "hint: install it with 'sudo apt-get install graphviz', or write the DOT text with ':dot \(outName) \(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent).dot'"
                    ])
            }
            if let why = FileOutput.problem(path) { throw error("cannot write '\(path)': \(why)") }
            guard Files.writable else { throw error("cannot write '\(path)': writing files is turned off here") }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: dotPath)
            p.arguments = ["-T\(ext)", "-o", path]
            let input = Pipe()
            let err = Pipe()
            p.standardInput = input
            p.standardError = err
            try p.run()
            input.fileHandleForWriting.write(Data(text.utf8))
            try input.fileHandleForWriting.close()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                let said = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw error("Graphviz could not draw '\(path)'", notes: said.split(separator: "\n").map { "graphviz: " + $0 })
            }
            interp.write("drew \(outName) to \(path)\n")
        } else {
            do {
                try FileOutput.write(text, to: path)
            } catch let e as EvalError {
                throw self.error(e.message, notes: e.notes)
            }
            interp.write("wrote the DOT of \(outName) to \(path)\n")
        }
    }

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    // MARK: - :latex

    func latex() throws {
        let args = call.args
        guard !args.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw error("':latex' needs an expression", notes: ["usage: :latex grad(e, b)"])
        }
        switch Parser.parseExpression(call.program.source, range: call.argsRange) {
        case .failure(let d): throw d
        case .success(let (p, e)):
            let v: Value
            do {
                v = try interp.evaluate(p, e, symbolic: true)
            } catch var d as Diagnostic where d.message.contains("symbols") && everyLeafHasAValue(p.names(in: e)) {
                // A step that needs numbers (an order, a maximum) met the leaves as the
                // symbols :latex writes them as, though each has a value: say so, not
                // only what the step says.
                d.notes.append(
                    "hint: :latex writes the leaves as symbols; 'print \(args.trimmingCharacters(in: .whitespaces))' shows the value"
                )
                throw d
            }
            if let why = v.invalidReason { throw error(why) }
            interp.write(Latex.value(v) + "\n")
        }
    }
}

extension ViewCommands {
    /// Whether every leaf that `names` reach through their definitions (and the bodies of
    /// the functions they call) has a value: no free symbol, no placeholder unfed.
    func everyLeafHasAValue(_ names: [String]) -> Bool {
        let session = interp.session
        var seen = Set<String>()
        var pending = names
        while let n = pending.popLast() {
            guard seen.insert(n).inserted, Builtins.byName[n] == nil else { continue }
            switch session.definition(n) {
            case .node(let p, let e): pending += p.names(in: e)
            case .function(let params, let p, let body): pending += p.names(in: body, excluding: Set(params))
            case .leaf: if session.values[n] == nil { return false }
            case nil: return false
            }
        }
        return true
    }
}

extension Interpreter {
    /// Plain ASCII drawings: `--ascii`, or GRAPHREPL_ASCII=1.
    var asciiOnly: Bool { ProcessInfo.processInfo.environment["GRAPHREPL_ASCII"] == "1" }
}

/// Text for a terminal that shows ASCII only. With `keepWidth` (drawings), every
/// character stays one column wide, so boxes keep their alignment: … is '~', ∂ is 'd'.
func asciiOnly(_ s: String, keepWidth: Bool = false) -> String {
    var t = s
    let map: [(String, String)] =
        keepWidth
        ? [
            ("∂", "d"), ("…", "~"), ("→", ">"), ("∘", "o"), ("·", "*"), ("ᵀ", "'"), ("δ", "d"), ("∇", "V"), ("−", "-"),
            ("Σ", "S"),
        ]
        : [
            ("∂", "d"), ("…", "..."), ("→", "->"), ("∘", "o"), ("·", "*"), ("ᵀ", "'"), ("δ", "delta"), ("∇", "grad "), ("−", "-"),
            ("Σ", "sum"),
        ]
    for (u, a) in map { t = t.replacingOccurrences(of: u, with: a) }
    return String(t.unicodeScalars.map { $0.isASCII ? Character($0) : "?" })
}
