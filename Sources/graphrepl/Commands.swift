import Engine
import Foundation
import GraphLang

/// One `:command`: what `:help` and completion say of it, and what runs it. Dispatch,
/// `:help` and completion all read `Commands.registry`, so a command is added in one place.
struct Command: Sendable {
    enum Group: CaseIterable {
        case derivatives, graph, networks, session
        var title: String {
            switch self {
            case .derivatives: return "derivatives"
            case .graph: return "seeing the graph"
            case .networks: return "networks"
            case .session: return "the session"
            }
        }
    }
    let name: String
    let usage: String
    let summary: String
    let example: String
    let group: Group
    var aliases: [String] = []
    /// Whether graph nodes it adds are dropped afterwards (everything but running
    /// scripts into the session).
    var scratch = true
    let run: @Sendable (Interpreter.CommandCall, Interpreter, Command) throws -> Void
}

/// The `:commands`.
enum Commands {
    static let registry: [Command] = [
        Command(
            name: "partials", usage: ":partials OUT",
            summary: "every edge child → parent with its local partial, symbolic and at the current values",
            example: ":partials e", group: .derivatives
        ) { call, interp, c in try DerivativeCommands(call, interp, usage: c.usage).partials() },
        Command(
            name: "paths", usage: ":paths OUT wrt IN, …",
            summary: "every path from IN to OUT, the product along each, and their sum = ∂OUT/∂IN",
            example: ":paths e wrt b", group: .derivatives
        ) { call, interp, c in try DerivativeCommands(call, interp, usage: c.usage).paths() },
        Command(
            name: "forward", usage: ":forward OUT wrt IN, …",
            summary: "forward mode: the tangent ∂node/∂IN at every node, in evaluation order",
            example: ":forward e wrt b", group: .derivatives
        ) { call, interp, c in try DerivativeCommands(call, interp, usage: c.usage).forward() },
        Command(
            name: "reverse", usage: ":reverse OUT",
            summary: "reverse mode: the adjoint ∂OUT/∂node at every node, in reverse order", example: ":reverse e",
            group: .derivatives
        ) { call, interp, c in try DerivativeCommands(call, interp, usage: c.usage).reverse() },
        Command(
            name: "grad", usage: ":grad OUT [wrt IN, …]",
            summary: "∂OUT/∂IN for every input (or those named: any node), symbolic and numeric", example: ":grad e",
            group: .derivatives
        ) { call, interp, c in try DerivativeCommands(call, interp, usage: c.usage).grad() },
        Command(
            name: "jacobian", usage: ":jacobian OUT wrt IN, …",
            summary: "the Jacobian with labelled rows and columns, and what each mode would cost",
            example: ":jacobian y wrt x1, x2, x3", group: .derivatives
        ) { call, interp, c in try DerivativeCommands(call, interp, usage: c.usage).jacobian(hessian: false) },
        Command(
            name: "hessian", usage: ":hessian OUT wrt IN, …", summary: "the matrix of second derivatives",
            example: ":hessian f wrt x", group: .derivatives
        ) { call, interp, c in try DerivativeCommands(call, interp, usage: c.usage).jacobian(hessian: true) },
        Command(
            name: "check", usage: ":check OUT [wrt IN, …]",
            summary: "each gradient against central finite differences, with the difference and a verdict",
            example: ":check e", group: .derivatives
        ) { call, interp, c in try DerivativeCommands(call, interp, usage: c.usage).check() },
        Command(
            name: "graph", usage: ":graph OUT [grad] [partials] [open f] [depth=N] [ascii]",
            summary:
                "the graph drawn in the terminal: each node with its value; grad adds ∂OUT/∂node, partials each edge's local partial",
            example: ":graph e partials", group: .graph
        ) { call, interp, c in try ViewCommands(call, interp, usage: c.usage).drawGraph() },
        Command(
            name: "dot", usage: ":dot OUT [grad] [partials] [open f] [file.dot|file.svg|file.png]",
            summary: "Graphviz DOT of the graph, annotated as :graph is (rendered to SVG or PNG when Graphviz is installed)",
            example: ":dot e grad e.svg",
            group: .graph
        ) { call, interp, c in try ViewCommands(call, interp, usage: c.usage).dot() },
        Command(
            name: "latex", usage: ":latex EXPR", summary: "LaTeX of an expression or a derivative, in the leaves, for slides",
            example: ":latex grad(e, b)", group: .graph
        ) { call, interp, c in try ViewCommands(call, interp, usage: c.usage).latex() },
        Command(
            name: "export", usage: ":export python|jax OUT [file.py]",
            summary: "a NumPy script that computes OUT from the current values, or a JAX one that also prints jax.grad",
            example: ":export jax C net.py", group: .graph
        ) { call, interp, c in try ViewCommands(call, interp, usage: c.usage).export() },
        Command(
            name: "params", usage: ":params", summary: "trainable variables: shapes, counts and the total", example: ":params",
            group: .networks
        ) { call, interp, c in try NetworkCommands(call, interp, usage: c.usage).params() },
        Command(
            name: "run", usage: ":run OUT with x = …, y = …",
            summary:
                "evaluate with leaves fed (placeholders, inputs, variables), like Session.run(OUT, feed_dict); the session is unchanged",
            example: ":run C with x = [[1, 0, 1]], label = [[0, 1]]", group: .networks
        ) { call, interp, c in try NetworkCommands(call, interp, usage: c.usage).runWithFeeds() },
        Command(
            name: "backprop", usage: ":backprop LOSS",
            summary: "the δ recursion of a layered net beside reverse mode on the graph", example: ":backprop C",
            group: .networks
        ) { call, interp, c in try NetworkCommands(call, interp, usage: c.usage).backprop() },
        Command(
            name: "train", usage: ":train LOSS [wrt W, b, …] [steps=N] [lr=R] [optimizer=sgd|momentum|adam] [batch=B]",
            summary: "gradient descent on the variables, with a progress bar and the loss curve",
            example: ":train C steps=2000 lr=0.05 optimizer=adam", group: .networks
        ) { call, interp, c in try NetworkCommands(call, interp, usage: c.usage).train() },
        Command(
            name: "show", usage: ":show EXPR",
            summary: "a value whole, with its shape (tables show long values by their shape only)",
            example: ":show W1", group: .session
        ) { call, interp, c in try show(call, interp, c) },
        Command(
            name: "list", usage: ":list", summary: "every definition: name, kind, shape, value", example: ":list",
            group: .session
        ) { call, interp, c in
            try CommandArgs(call, usage: c.usage).finish()
            list(interp)
        },
        Command(
            name: "del", usage: ":del name, …", summary: "remove definitions (names that used them see a free symbol)",
            example: ":del c", group: .session
        ) { call, interp, c in try del(call, interp, c) },
        Command(name: "reset", usage: ":reset", summary: "remove every definition", example: ":reset", group: .session) {
            call, interp, c in
            try CommandArgs(call, usage: c.usage).finish()
            interp.session.reset()
            interp.write("session cleared\n")
        },
        Command(
            name: "set", usage: ":set [option value]", summary: "show or change settings: digits, seed, rtol, atol, width, color",
            example: ":set digits 4", group: .session
        ) { call, interp, _ in try set(call, interp) },
        Command(
            name: "load", usage: ":load file", summary: "run a script into the session",
            example: ":load tutorials/01-computation-graphs.graph", group: .session, scratch: false
        ) { call, interp, _ in try load(call, interp) },
        Command(
            name: "save", usage: ":save file", summary: "write a script that rebuilds the session (atomically)",
            example: ":save session.graph", group: .session
        ) { call, interp, _ in try save(call, interp) },
        Command(
            name: "repeat", usage: ":repeat N statement; statement…",
            summary: "run the statements on the line N times (Ctrl-C stops between runs), as in a training loop by hand",
            example: ":repeat 100 w := w - 0.1 * grad(f, w)", group: .session, scratch: false
        ) { call, interp, c in try repeatStatements(call, interp, c) },
        Command(
            name: "tutorial", usage: ":tutorial [N]", summary: "list the tutorials, or walk through tutorial N step by step",
            example: ":tutorial 3", group: .session, scratch: false
        ) { call, interp, _ in try tutorial(call, interp) },
        Command(
            name: "help", usage: ":help [topic]", summary: "commands, functions, syntax; :help grad explains one thing",
            example: ":help paths", group: .session
        ) { call, interp, _ in help(call, interp) },
        Command(
            name: "quit", usage: ":quit", summary: "leave graphrepl", example: ":quit", group: .session,
            aliases: ["q", "exit"]
        ) { call, _, c in
            try CommandArgs(call, usage: c.usage).finish()
            throw Interpreter.Quit()
        },
    ]

    static let byName: [String: Command] = {
        var m: [String: Command] = [:]
        for c in registry {
            m[c.name] = c
            for a in c.aliases { m[a] = c }
        }
        return m
    }()

    /// Run the command `call` names; an engine error it does not locate itself is
    /// located at the command.
    static func run(_ call: Interpreter.CommandCall, _ interp: Interpreter) throws {
        guard let command = byName[call.name] else {
            throw Diagnostic(
                .error, "unknown command ':\(call.name)'", source: call.program.source,
                span: Span(call.span.start, call.span.start + 1 + call.name.utf8.count),
                notes: didYouMean(call.name, among: registry.map(\.name)) + ["hint: :help lists the commands"])
        }
        if command.scratch {
            // The definitions it names are compiled for good; only its own work is dropped.
            interp.session.precompile(
                CommandArgs(call, usage: command.usage).tokens.compactMap {
                    if case .identifier(let n) = $0.kind { return n }
                    return nil
                })
            try interp.session.graph.scratch { try call.located { try command.run(call, interp, command) } }
        } else {
            try call.located { try command.run(call, interp, command) }
        }
    }

    /// `:show EXPR`: the value whole (up to 10 000 elements), with its shape.
    static func show(_ call: Interpreter.CommandCall, _ interp: Interpreter, _ c: Command) throws {
        guard !call.args.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw call.diagnostic("':show' needs a name or an expression", notes: ["usage: \(c.usage)"])
        }
        switch Parser.parseExpression(call.program.source, range: call.argsRange) {
        case .failure(let d): throw d
        case .success(let (p, e)):
            let v = try interp.evaluate(p, e)
            let shape = v.shape.isEmpty ? "" : "  (shape \(shapeText(v.shape)))"
            interp.write(
                "\(call.args) = \(formatValue(v, digits: interp.session.settings.digits, summarizeAbove: 10_000))\(shape)\n")
        }
    }

    static func del(_ call: Interpreter.CommandCall, _ interp: Interpreter, _ c: Command) throws {
        let args = CommandArgs(call, usage: c.usage)
        var names = [try args.name("a name")]
        while !args.atEnd {
            _ = args.take(.comma)
            names.append(try args.name("a name"))
        }
        for (n, span) in names where interp.session.definition(n) == nil {
            throw args.error("'\(n)' is not defined", at: span, notes: didYouMean(n, among: interp.session.order))
        }
        for (n, _) in names { _ = interp.session.remove(n) }
    }

    /// `:repeat N stmt; stmt…`: the statements parsed once, run N times. Ctrl-C stops
    /// between runs (or inside one, which then has no effect); the runs before it stay.
    static func repeatStatements(_ call: Interpreter.CommandCall, _ interp: Interpreter, _ c: Command) throws {
        let args = CommandArgs(call, usage: c.usage)
        try args.checkLexed()
        guard let t = args.current, case .number(let v) = t.kind, v == v.rounded(), v >= 1, v <= 1e9 else {
            throw args.error(
                "':repeat' needs how many times, a whole number from 1, then the statements", at: args.current?.span,
                notes: ["usage: \(c.usage)"])
        }
        args.position += 1
        guard let first = args.current else {
            throw args.error("':repeat \(Int(v))' needs the statements to repeat", notes: ["usage: \(c.usage)"])
        }
        let end = call.argsRange.upperBound
        let (program, diagnostics) = Parser.parse(call.program.source, range: first.span.start..<end)
        if let d = diagnostics.first { throw d }
        let n = Int(v)
        let started = Date()
        var progress: ProgressBar?
        for run in 1...n {
            if interp.interrupted() {
                interp.write("stopped after \(run - 1) of \(n) runs (Ctrl-C); the runs before it took effect\n")
                return
            }
            do {
                for s in program.statements { try interp.execute(s, in: program) }
            } catch is Interrupted {
                interp.write("\nstopped in run \(run) of \(n) (Ctrl-C); the \(run - 1) runs before it took effect\n")
                return
            } catch var d as Diagnostic {
                if n > 1 {
                    d.notes.append(
                        run == 1 ? "in run 1 of \(n)" : "in run \(run) of \(n); the \(run - 1) runs before it took effect")
                }
                throw d
            }
            if progress == nil, interp.outputIsTerminal, Date().timeIntervalSince(started) > 0.5 {
                progress = ProgressBar(total: n, terminal: true, write: interp.write)
            }
            progress?.update(step: run, label: "run")
        }
        progress?.finish()
    }

    static func tutorial(_ call: Interpreter.CommandCall, _ interp: Interpreter) throws {
        let arg = call.args.trimmingCharacters(in: .whitespaces)
        if arg.isEmpty {
            interp.write(tutorialList())
            return
        }
        guard let n = Int(arg), let path = Tutorial.file(number: n) else {
            throw call.diagnostic(
                "no tutorial '\(arg)'", notes: ["the tutorials are:"] + tutorialList().split(separator: "\n").map(String.init)
            )
        }
        do {
            let t = try Tutorial.load(path)
            try interp.running(path) { t.walk(interp, wait: isatty(STDIN_FILENO) != 0) { readKey() } }
        } catch let e as EvalError {
            throw call.diagnostic(e.message, notes: e.notes)
        }
    }

    /// The tutorials, one line each: number and title (the first comment line).
    static func tutorialList() -> String {
        let files = Tutorial.files()
        guard !files.isEmpty else { return "no tutorials found (looked in ./tutorials; set GRAPHREPL_TUTORIALS)\n" }
        return files.map { path -> String in
            let name = URL(fileURLWithPath: path).lastPathComponent
            let title = (try? Tutorial.load(path))?.steps.first?.comments.first ?? ""
            return "  " + String(name.prefix(2)) + "  " + title
        }.joined(separator: "\n") + "\n"
    }

    // MARK: - Housekeeping

    static func help(_ call: Interpreter.CommandCall, _ interp: Interpreter) {
        let topic = call.args.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ":"))
        if topic.isEmpty {
            interp.write(overview())
            return
        }
        if ["syntax", "=", ":=", "slicing", "slice", "index", "operators"].contains(topic) {
            interp.write(syntaxHelp)
            return
        }
        var text = ""
        let w = width(interp)
        // Usage, summary and example, each wrapped to the width.
        // A line that fits stays as written; a longer one breaks between words.
        func fit(_ prefix: String, _ text: String) -> String {
            prefix.count + text.count <= w ? prefix + text + "\n" : wrap(prefix, text, width: w)
        }
        func entry(_ usage: String, _ summary: String, _ example: String) -> String {
            let (head, rest) =
                usage.firstIndex(of: " ").map { (String(usage[..<$0]) + " ", String(usage[$0...].dropFirst())) } ?? (usage, "")
            return fit(head, rest) + fit("  ", summary) + fit("  example: ", example)
        }
        if let c = byName[topic] { text += entry(c.usage, c.summary, c.example) }
        if let b = Builtins.byName[topic] { text += entry(b.usage, b.summary, b.example) }
        if !text.isEmpty {
            interp.write(text)
            return
        }
        let hint = didYouMean(topic, among: registry.map(\.name) + Builtins.all.map(\.name) + ["syntax"])
        interp.writeError("no help for '\(topic)'\n" + hint.map { "  \($0)\n" }.joined())
    }

    /// `text` after `prefix`, wrapped to `width` columns, continuation lines indented to
    /// the prefix's width.
    static func wrap(_ prefix: String, _ text: String, width: Int = 80) -> String {
        let indent = String(repeating: " ", count: prefix.count)
        var lines: [String] = []
        var line = prefix
        var empty = true
        for word in text.split(separator: " ") {
            if !empty, line.count + 1 + word.count > width {
                lines.append(line)
                line = indent
                empty = true
            }
            line += (empty ? "" : " ") + word
            empty = false
        }
        lines.append(line)
        return lines.joined(separator: "\n") + "\n"
    }

    /// `:help` with no topic: the commands by topic, then the functions, in 80 columns.
    static func overview() -> String {
        var s = "graphrepl — computation graphs and their derivatives\n\n"
        s += "  a = 3; b = 2          inputs (leaves with values)\n"
        s += "  e = (a+b)*(b+1)       an operation node, bound late like a spreadsheet cell\n"
        s += "  print grad(e, b)      ∂e/∂b = 8\n"
        for group in Command.Group.allCases {
            s += "\n\(group.title):\n"
            for c in registry where c.group == group {
                // The command and its first argument; :help NAME gives the rest.
                let required = c.usage.split(separator: " ").prefix { !$0.hasPrefix("[") }.joined(separator: " ")
                    .trimmingCharacters(in: CharacterSet(charactersIn: ", …"))
                let short = required.count <= 20 ? required : c.usage.split(separator: " ").prefix(2).joined(separator: " ")
                s += wrap("  " + short + String(repeating: " ", count: max(1, 22 - short.count)), c.summary)
            }
        }
        s += "\nfunctions:\n" + wrap("  ", Builtins.all.map(\.name).joined(separator: " "))
        s += "\n:help NAME explains a command or function, with an example\n:help syntax explains the language\n"
        s += "docs/LANGUAGE.md in graphrepl's folder is the whole reference\n"
        return s
    }

    static let syntaxHelp = """
        one statement per line, or several separated by ';'; '#' starts a comment
        a line whose brackets are open continues on the next

          name = expr          define (inputs from numbers: a = 3, W = [[1, -1], [0, 1]])
          name := expr         assign now: w := w - 0.1 * grad(f, w)
          fn f(x, y) = expr    a function
          print expr, …        print values
          assert expr          stop unless every element is true
          :command args        a command (:help lists them)

        operators, tightest first:
          x[i], A[i, j]        indexing, 1-based
          x[2:4], A[:, 1]      slicing, 1-based, both ends included
          A'                   transpose
          x ^ y                power (right-associative; x ^ 2 is x * x)
          -x                   negation
          *  /  @              elementwise product and quotient; matrix product
          +  -                 elementwise sum and difference
          == != ~= < <= > >=   comparisons (~= is approximate)

        """

    static func list(_ interp: Interpreter) {
        let s = interp.session
        guard !s.order.isEmpty else {
            interp.write("nothing is defined yet\n")
            return
        }
        var rows: [[String]] = [["name", "kind", "shape", "value"]]
        // Every node's value in one sweep; if some node cannot be computed (an unfed
        // placeholder, say), the others are computed one by one.
        var ids: [String: Int] = [:]
        for name in s.order {
            if case .node = s.definition(name), let id = try? s.node(named: name) { ids[name] = id }
        }
        var w: [Diagnostic] = []
        let all = try? s.evaluate(Array(ids.values), warnings: &w, interrupted: interp.interrupted)
        for name in s.order {
            switch s.definition(name) {
            case .leaf(let kind, _):
                let shape = s.values[name]?.shape ?? s.placeholderShapes[name] ?? []
                let v = s.values[name].map { short(interp.format($0)) } ?? "(fed when run)"
                rows.append([name, kind.rawValue, shapeText(shape), v])
            case .node(let p, let e):
                let text = p.source.text(p[e].span)
                var v = "= " + short(text)
                if let id = ids[name], let value = all?[id] ?? (try? quietValue(interp, id)) {
                    v += "  → " + short(interp.format(value))
                    rows.append([name, "op", shapeText(value.shape), v])
                } else {
                    rows.append([name, "op", "?", v])
                }
            case .function(let params, let p, let e):
                rows.append([
                    "\(name)(\(params.joined(separator: ", ")))", "function", "", "= " + short(p.source.text(p[e].span)),
                ])
            case nil: break
            }
        }
        interp.write(table(rows, width: width(interp)))
    }

    static func quietValue(_ interp: Interpreter, _ id: Int) throws -> Value {
        var w: [Diagnostic] = []
        let vs = try interp.session.evaluate([id], warnings: &w, interrupted: interp.interrupted)
        guard let v = vs[id] else { throw EvalError("no value") }
        return v
    }

    static func short(_ s: String, _ n: Int = 48) -> String {
        let one = s.replacingOccurrences(of: "\n", with: " ")
        return one.count > n ? String(one.prefix(n - 1)) + "…" : one
    }

    /// `s` in at most `n` characters, its middle elided: the ends of an expression tell
    /// nodes apart where their beginnings are the same.
    static func elidingMiddle(_ s: String, _ n: Int) -> String {
        guard s.count > n, n >= 3 else { return short(s, n) }
        let head = (n - 1) / 2
        return String(s.prefix(head)) + "…" + String(s.suffix(n - 1 - head))
    }

    /// Columns padded to their widest cell, within `width` columns: when the table would
    /// be wider, the widest columns are narrowed and their long cells end in "…".
    static func table(_ rows: [[String]], indent: String = "", width: Int = .max) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var w = [Int](repeating: 0, count: columns)
        for r in rows { for (i, c) in r.enumerated() { w[i] = max(w[i], c.count) } }
        func total() -> Int { indent.count + w.reduce(0, +) + 2 * (columns - 1) }
        while total() > width {
            guard let widest = w.indices.filter({ w[$0] > 8 }).max(by: { w[$0] < w[$1] }) else { break }
            w[widest] = max(8, w[widest] - (total() - width))
        }
        var out = ""
        for r in rows {
            var line = indent
            for (i, c) in r.enumerated() {
                // Characters, not UTF-16 units, so ḃ and ē take one column.
                let cell = c.count > w[i] ? String(c.prefix(w[i] - 1)) + "…" : c
                line += i == r.count - 1 ? cell : cell + String(repeating: " ", count: w[i] + 2 - cell.count)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }

    /// `text` (a value as printed) in lines of at most `width`, broken after commas, each
    /// line after `indent`.
    static func wrapList(_ text: String, width: Int, indent: String) -> String {
        var lines: [String] = []
        var line = ""
        for part in text.components(separatedBy: ", ") {
            let piece = line.isEmpty ? part : line + ", " + part
            if !line.isEmpty, indent.count + piece.count + 1 > width {
                lines.append(line + ",")
                line = part
            } else {
                line = piece
            }
        }
        lines.append(line)
        return lines.map { indent + $0 }.joined(separator: "\n") + "\n"
    }

    /// The width output should fit: the terminal's, or 80.
    static func width(_ interp: Interpreter) -> Int { ViewCommands.terminalWidth(interp) }

    /// A value short enough for a table cell: itself, or its shape ("[4×3] matrix") when
    /// it is long (`:show NAME` prints a whole value).
    static func brief(_ text: String, _ v: Value?, limit: Int = 30) -> String {
        // (`:show` prints the whole.)
        guard text.count > limit, let v, v.count > 1 else { return text }
        let dims = "[" + v.shape.map(String.init).joined(separator: "×") + "]"
        switch v.shape.count {
        case 1: return dims + " vector"
        case 2: return dims + " matrix"
        default: return dims + " tensor"
        }
    }

    static func set(_ call: Interpreter.CommandCall, _ interp: Interpreter) throws {
        let parts = call.args.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let s = interp.session
        if parts.isEmpty {
            interp.write(
                table([
                    ["digits", s.settings.digits.map(String.init) ?? "full", "significant digits shown (full: shortest exact)"],
                    ["seed", String(s.settings.seed), "seed of uniform and normal"],
                    ["rtol", formatNumber(s.settings.relativeTolerance), "relative tolerance of ~="],
                    ["atol", formatNumber(s.settings.absoluteTolerance), "absolute tolerance of ~="],
                    ["width", interp.width.map(String.init) ?? "auto", "columns output fits (auto: the terminal's, or 80)"],
                    ["color", interp.color ? "on" : "off", "colour in messages"],
                ]))
            return
        }
        guard parts.count == 2 else { throw call.diagnostic("usage: :set option value (:set alone shows them)") }
        let (key, v) = (parts[0], parts[1])
        switch key {
        case "digits":
            if v == "full" { s.settings.digits = nil; return }
            guard let d = Int(v), d >= 1, d <= 17 else { throw call.diagnostic("digits must be 1 to 17, or full") }
            s.settings.digits = d
        case "seed":
            guard let n = UInt64(v) else { throw call.diagnostic("seed must be a whole number ≥ 0") }
            s.reseed(n)
        case "rtol", "atol":
            guard let x = Double(v), x >= 0 else { throw call.diagnostic("\(key) must be a number ≥ 0") }
            if key == "rtol" { s.settings.relativeTolerance = x } else { s.settings.absoluteTolerance = x }
            s.invalidateGraph()
        case "width":
            if v == "auto" {
                interp.width = nil
                return
            }
            guard let w = Int(v), w >= 40, w <= 1000 else { throw call.diagnostic("width must be 40 to 1000 columns, or auto") }
            interp.width = w
        case "color", "colour":
            guard ["on", "off"].contains(v) else { throw call.diagnostic("color is on or off") }
            interp.color = v == "on"
        default:
            throw call.diagnostic(
                "unknown setting '\(key)'", notes: didYouMean(key, among: ["digits", "seed", "rtol", "atol", "width", "color"]))
        }
    }

    static func path(_ call: Interpreter.CommandCall) throws -> String {
        var p = call.args.trimmingCharacters(in: .whitespaces)
        if p.hasPrefix("\""), p.hasSuffix("\""), p.count >= 2 { p = String(p.dropFirst().dropLast()) }
        guard !p.isEmpty else {
            throw call.diagnostic("':\(call.name)' needs a file name", notes: ["usage: :\(call.name) file.graph"])
        }
        return p
    }

    static func load(_ call: Interpreter.CommandCall, _ interp: Interpreter) throws {
        let p = try path(call)
        let outcome: Interpreter.Outcome
        do {
            let bytes = try Files.read(p)
            outcome = try interp.running(p) { interp.run(SourceFile(name: p, bytes: bytes)) }
        } catch let e as EvalError {
            throw call.diagnostic(e.message, notes: e.notes)
        }
        switch outcome {
        case .ok: return
        case .quit: throw Interpreter.Quit()
        default: throw call.diagnostic("'\(p)' stopped at an error (shown above)")
        }
    }

    static func save(_ call: Interpreter.CommandCall, _ interp: Interpreter) throws {
        let p = try path(call)
        let text = SessionWriter.script(interp.session)
        do {
            try FileOutput.write(text, to: p)
        } catch let e as EvalError {
            throw call.diagnostic(e.message, notes: e.notes)
        }
        let n = interp.session.order.count
        interp.write("saved \(n) definition\(n == 1 ? "" : "s") to \(p)\n")
    }
}
