import Engine
import Foundation
import GraphLang

/// `:graph`, `:dot`, `:latex`, `:export`: the graph drawn, and carried to other tools.
struct ViewCommands {
    let interp: Interpreter
    let call: Interpreter.CommandCall
    var session: Session { interp.session }
    var graph: Graph { session.graph }

    static let infos: [Commands.Info] = [
        .init(
            name: "graph", usage: ":graph OUT [grad] [partials] [open f] [depth=N] [ascii]",
            summary:
                "the graph drawn in the terminal: each node with its value; grad adds ∂OUT/∂node, partials each edge's local partial",
            example: ":graph e partials"),
        .init(
            name: "dot", usage: ":dot OUT [file.dot|file.svg|file.png]",
            summary: "Graphviz DOT of the graph (rendered to SVG or PNG when Graphviz is installed)", example: ":dot e e.svg"),
        .init(
            name: "latex", usage: ":latex EXPR", summary: "LaTeX of an expression or a derivative, in the leaves, for slides",
            example: ":latex grad(e, b)"),
        .init(
            name: "export", usage: ":export python OUT [file.py]",
            summary: "a NumPy script that computes OUT from the current values (with a note on JAX)",
            example: ":export python e e.py"),
    ]

    static func run(_ call: Interpreter.CommandCall, _ interp: Interpreter) throws -> Bool {
        let v = ViewCommands(interp: interp, call: call)
        switch call.name {
        case "graph": try v.drawGraph()
        case "dot": try v.dot()
        case "latex": try v.latex()
        case "export": try v.export()
        default: return false
        }
        return true
    }

    func error(_ message: String, notes: [String] = []) -> Diagnostic { call.diagnostic(message, notes: notes) }

    func output(_ w: (String, Span)?) throws -> Int {
        guard let w else {
            throw error(
                "':\(call.name)' needs the name of an output",
                notes: ["usage: \(ViewCommands.infos.first { $0.name == call.name }?.usage ?? "")"])
        }
        return try CommandArgs(call).definedNode(w, in: session)
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        if isatty(STDOUT_FILENO) != 0, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 {
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
    }

    /// The cone of `root` without literals, each unopened user-function call shown as one
    /// node, cut at `depth` levels below the root.
    func view(_ root: Int, open: Set<String>, depth: Int?) -> View {
        let order = graph.order([root])
        func representative(_ n: Int) -> Int {
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
            let r = representative(n)
            if r != n, let k = graph.nodes[n].call { v.modules[r] = graph.calls[k].function }
            if seen.insert(r).inserted { v.nodes.append(r) }
            for (slot, c) in graph.nodes[n].inputs.enumerated() {
                if case .literal = graph.nodes[c].kind { continue }
                let rc = representative(c)
                if rc == r { continue }
                if edgeSeen.insert([rc, r, r == n ? slot : -1]).inserted { v.edges.append((rc, r, r == n ? slot : -1)) }
            }
        }
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

    /// The lines of each node's box.
    func labels(_ v: View, root: Int, values: NodeMap<Value>, grad: Bool, partials: Bool, limit: Int) throws -> [Int: [String]] {
        var adjoints: [Int: Value] = [:]
        if grad {
            guard values[root]?.count == 1 else {
                throw error(
                    "'grad' needs a scalar output: \(graph.label(root)) has shape \(shapeText(values[root]?.shape ?? []))")
            }
            let order = graph.order([root])
            let dep = NodeMap<Bool>.marking(order, graphSize: graph.nodes.count)
            _ = try Sweeps.reverseValues(
                graph: graph, order: order, values: values, output: root,
                seed: .num(try Tensor.filled(values[root]?.shape ?? [], 1)), dep: dep
            ) { n, g in adjoints[n] = g }
        }
        let d = DerivativeCommands(interp: interp, args: CommandArgs(call))
        var out: [Int: [String]] = [:]
        let rootName = graph.nodes[root].name ?? "out"
        // A collapsed call reads as the call: layer(W, x, b).
        var callText: [Int: String] = [:]
        for (n, f) in v.modules {
            let ins = v.edges.filter { $0.parent == n }.map { graph.label($0.child, limit: 12) }
            callText[n] = "\(f)(\(ins.joined(separator: ", ")))"
        }
        func expression(_ n: Int) -> String { graph.expressionText(n, override: { callText[$0] }) }
        for n in v.nodes {
            var lines: [String] = []
            let node = graph.nodes[n]
            if let f = v.modules[n], let text = callText[n] {
                lines.append(Commands.short(node.name.map { "\($0) = \(text)" } ?? text, limit))
                if session.functionNames.contains(f) { lines.append("function \(f)") }
            } else if let (name, kind) = node.leaf {
                lines.append(Commands.short("\(name)  \(kind.rawValue)", limit))
            } else {
                let expr = expression(n)
                lines.append(Commands.short(node.name.map { "\($0) = \(expr)" } ?? expr, limit))
            }
            if case .leaf(_, .placeholder) = node.kind, values[n] == nil {
                lines.append("(fed when run)")
            } else {
                lines.append("= " + shortValue(values[n], limit - 2))
            }
            if grad {
                lines.append(
                    Commands.short(
                        "∂\(rootName)/∂\(graph.label(n, limit: 10)) = " + (adjoints[n].map { shortValue($0, limit) } ?? "0"),
                        limit))
            }
            if partials, v.modules[n] == nil {
                for e in v.edges where e.parent == n && e.slot >= 0 {
                    let name = "∂\(graph.label(n, limit: 10))/∂\(graph.label(e.child, limit: 10))"
                    if (values[n]?.count ?? 0) == 1 && (values[e.child]?.count ?? 0) == 1 {
                        if let p = try d.localPartial(n, e.slot, scalars: true) {
                            let text = graph.nodes[p].name ?? graph.expressionText(p)
                            let value = interp.format(try d.values([p])[p] ?? .scalar(.nan))
                            lines.append(
                                Commands.short(text == value ? "\(name) = \(value)" : "\(name) = \(text) = \(value)", limit))
                        } else {
                            lines.append("\(name) = 0")
                        }
                    } else {
                        lines.append(
                            Commands.short("\(name): \(values[n]?.count ?? 0)×\(values[e.child]?.count ?? 0) Jacobian", limit))
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
        let words = CommandArgs(call).words
        let root = try output(words.first)
        var grad = false
        var partials = false
        var ascii = !ViewCommands.unicodeOK()
        var open = Set<String>()
        var depth: Int?
        var i = 1
        while i < words.count {
            let w = words[i].0
            switch w {
            case "grad": grad = true
            case "partials": partials = true
            case "ascii": ascii = true
            case "open":
                guard i + 1 < words.count else {
                    throw error("'open' needs a function name", notes: ["usage: :graph OUT open f"])
                }
                open.insert(words[i + 1].0)
                i += 1
            default:
                if w.hasPrefix("depth="), let n = Int(w.dropFirst(6)), n >= 0 {
                    depth = n
                } else {
                    throw Diagnostic(
                        .error, "unknown option '\(w)'", source: call.program.source, span: words[i].1,
                        notes: didYouMean(w, among: ["grad", "partials", "open", "ascii", "depth="]) + [
                            "usage: \(ViewCommands.infos[0].usage)"
                        ])
                }
            }
            i += 1
        }
        let composites = ["cross_entropy", "mse", "dot"]
        for f in open where !session.functionNames.contains(f) && !composites.contains(f) {
            throw error(
                "'\(f)' is not a function of this session", notes: didYouMean(f, among: session.functionNames + composites))
        }
        let v = view(root, open: open, depth: depth)
        let values = try DerivativeCommands(interp: interp, args: CommandArgs(call)).values([root], warn: true)
        let width = ViewCommands.terminalWidth()
        var drawing = GraphDrawing()
        drawing.ascii = ascii || interp.asciiOnly
        drawing.maxWidth = width
        var why = ""
        for limit in [30, 20, 14] {
            let ls = try labels(v, root: root, values: values, grad: grad, partials: partials, limit: limit)
            let (text, reason) = drawing.draw(nodes: v.nodes, edges: v.edges.map { ($0.child, $0.parent) }, labels: ls)
            if let text {
                interp.write(drawing.ascii ? asciiOnly(text) : text)
                return
            }
            why = reason
        }
        interp.write("cannot draw \(graph.label(root)) legibly: \(why)\n")
        interp.write(
            "hint: ':graph \(graph.label(root)) depth=2' shows the top of it; ':dot \(graph.label(root)) file.svg' draws all of it with Graphviz\n"
        )
    }

    // MARK: - :dot

    static func dotEscape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    func dotText(_ root: Int) throws -> String {
        let v = view(root, open: [], depth: nil)
        let d = DerivativeCommands(interp: interp, args: CommandArgs(call))
        let values = try d.values([root], warn: true)
        let ls = try labels(v, root: root, values: values, grad: false, partials: false, limit: 60)
        var s =
            "digraph \"\(ViewCommands.dotEscape(graph.label(root)))\" {\n  rankdir=BT;\n  node [shape=box, fontname=\"Helvetica\"];\n"
        for n in v.nodes {
            let shape = graph.nodes[n].leaf != nil ? ", style=rounded" : ""
            s += "  n\(n) [label=\"\(ViewCommands.dotEscape((ls[n] ?? []).joined(separator: "\n")))\"\(shape)];\n"
        }
        for e in v.edges {
            var label = ""
            if e.slot >= 0, (values[e.parent]?.count ?? 0) == 1, (values[e.child]?.count ?? 0) == 1,
                let p = try d.localPartial(e.parent, e.slot, scalars: true)
            {
                let text = graph.nodes[p].name ?? graph.expressionText(p)
                let value = interp.format(try d.values([p])[p] ?? .scalar(.nan))
                label = text == value ? value : "\(text) = \(value)"
            }
            s += "  n\(e.child) -> n\(e.parent)" + (label.isEmpty ? "" : " [label=\"\(ViewCommands.dotEscape(label))\"]") + ";\n"
        }
        return s + "}\n"
    }

    func dot() throws {
        let words = CommandArgs(call).words
        let root = try output(words.first)
        let text = try dotText(root)
        guard words.count > 1 else {
            interp.write(text)
            return
        }
        let path = words[1].0
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        if ext == "svg" || ext == "png" || ext == "pdf" {
            guard let dotPath = ViewCommands.which("dot") else {
                throw error(
                    "Graphviz is not installed, so '\(path)' cannot be drawn",
                    notes: [
                        "hint: install it with 'sudo apt-get install graphviz', or write the DOT text with ':dot \(words[0].0) \(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent).dot'"
                    ])
            }
            if let why = FileOutput.problem(path) { throw error("cannot write '\(path)': \(why)") }
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
            interp.write("drew \(graph.label(root)) to \(path)\n")
        } else {
            do {
                try FileOutput.write(text, to: path)
            } catch let e as EvalError {
                throw self.error(e.message, notes: e.notes)
            }
            interp.write("wrote the DOT of \(graph.label(root)) to \(path)\n")
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
        switch Parser.parseExpression(call.program.source, range: call.argsStart..<(call.argsStart + args.utf8.count)) {
        case .failure(let d): throw d
        case .success(let (p, e)):
            let v = try interp.evaluate(p, e, symbolic: true)
            if let why = v.invalidReason { throw error(why) }
            interp.write(Latex.value(v) + "\n")
        }
    }
}

extension Interpreter {
    /// Plain ASCII drawings: `--ascii`, or GRAPHREPL_ASCII=1.
    var asciiOnly: Bool { ProcessInfo.processInfo.environment["GRAPHREPL_ASCII"] == "1" }
}

/// Text for a terminal that shows ASCII only.
func asciiOnly(_ s: String) -> String {
    var t = s
    for (u, a) in [("∂", "d"), ("…", "..."), ("→", "->"), ("∘", "o"), ("·", "*"), ("ᵀ", "'"), ("δ", "delta"), ("∇", "grad ")] {
        t = t.replacingOccurrences(of: u, with: a)
    }
    return String(t.unicodeScalars.map { $0.isASCII ? Character($0) : "?" })
}
