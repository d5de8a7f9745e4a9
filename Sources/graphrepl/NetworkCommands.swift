import Engine
import Foundation
import GraphLang

/// `:params`, `:run`, `:backprop`, `:train`: the lecture's networks. The engine
/// recognises the layers, runs the δ recursion and trains (`Engine/Networks`); these
/// commands read their arguments and lay out what it finds.
struct NetworkCommands {
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

    // MARK: - :params

    func params() throws {
        try CommandArgs(call, usage: usage).finish()
        let vars = session.variables
        guard !vars.isEmpty else {
            interp.write("no trainable variables yet (define one with W = variable(uniform([3, 4], -1, 1)))\n")
            return
        }
        var rows: [[String]] = [["variable", "shape", "parameters"]]
        var total = 0
        var weights = 0
        var biases = 0
        for v in vars {
            let shape = session.values[v]?.shape ?? []
            let n = shape.reduce(1, *)
            total += n
            if shape.count >= 2 { weights += n } else { biases += n }
            rows.append([v, shapeText(shape), String(n)])
        }
        rows.append(["total", "", String(total)])
        var s = Commands.table(rows, indent: "  ")
        if weights > 0 && biases > 0 {
            s +=
                "  \(weights) weight\(weights == 1 ? "" : "s") + \(biases) bias\(biases == 1 ? "" : "es") = \(total) learnable parameters\n"
        }
        interp.write(s)
    }

    // MARK: - :run

    /// `:run OUT with NAME = value, …`: OUT is any expression; each feed gives a leaf
    /// (input, variable or placeholder) a value for this evaluation only.
    func runWithFeeds() throws {
        let args = CommandArgs(call, usage: usage)
        try args.checkLexed()
        let ts = args.tokens
        // `with` outside brackets ends the output; commas outside brackets part the feeds.
        var depth = 0
        var with: Int?
        var commas: [Int] = []
        for (i, t) in ts.enumerated() {
            switch t.kind {
            case .leftParen, .leftBracket: depth += 1
            case .rightParen, .rightBracket: depth -= 1
            case .identifier("with") where depth == 0 && with == nil: with = i
            case .comma where depth == 0 && with != nil: commas.append(i)
            default: break
            }
        }
        let end = call.argsRange.upperBound
        let outEnd = with.map { ts[$0].span.start } ?? end
        guard let first = ts.first, first.span.start < outEnd else {
            throw error("':run' needs an output", notes: ["usage: \(usage)"])
        }
        // The output first, so that the free symbols it uses can be fed.
        let out: Int
        switch Parser.parseExpression(call.program.source, range: first.span.start..<outEnd) {
        case .failure(let d): throw d
        case .success(let (p, e)): out = try session.compile(p, e)
        }
        var feeds: [String: Value] = [:]
        if let w = with {
            let bounds = [w] + commas + [ts.count]
            for (a, b) in zip(bounds, bounds.dropFirst()) {
                let piece = Array(ts[(a + 1)..<b])
                guard piece.count >= 3, case .identifier(let name) = piece[0].kind, piece[1].kind == .equal else {
                    let span = piece.isEmpty ? ts[a].span : Span(piece[0].span.start, piece[piece.count - 1].span.end)
                    throw args.error("expected 'name = value' in the feeds", at: span, notes: ["usage: \(usage)"])
                }
                let (n, v) = try feed(name, piece[0].span, piece[2].span.start..<piece[piece.count - 1].span.end)
                if feeds[n] != nil { throw args.error("'\(n)' is fed twice", at: piece[0].span) }
                feeds[n] = v
            }
        }
        do {
            interp.write(interp.format(try interp.value(of: out, feeds: feeds)) + "\n")
        } catch var d as Diagnostic where !feeds.isEmpty {
            // The error may come from a fed value: say which were fed.
            d.notes.append("with \(feeds.keys.sorted().joined(separator: ", ")) fed by this :run")
            throw d
        }
    }

    /// One feed: the leaf it names and the value, checked against a placeholder's shape.
    func feed(_ name: String, _ nameSpan: Span, _ range: Range<Int>) throws -> (String, Value) {
        let source = call.program.source
        func fail(_ message: String, notes: [String] = []) -> Diagnostic {
            Diagnostic(.error, message, source: source, span: nameSpan, notes: notes)
        }
        switch session.definition(name) {
        case nil where session.graph.leaves[name] != nil:
            break  // a free symbol: fed like an input
        case nil:
            throw fail("'\(name)' is not defined, so it cannot be fed", notes: didYouMean(name, among: session.order))
        case .leaf(.constant, _):
            throw fail("'\(name)' is a constant: it cannot be fed", notes: ["hint: feed inputs, variables and placeholders"])
        case .leaf:
            break
        case .node, .function:
            throw fail(
                "'\(name)' is not a leaf: only inputs, variables and placeholders can be fed",
                notes: ["hint: '\(name)' is computed from other nodes; feed the leaves it depends on"])
        }
        switch Parser.parseExpression(source, range: range) {
        case .failure(let d): throw d
        case .success(let (p, e)):
            let v = try interp.evaluate(p, e)
            if let want = session.placeholderShapes[name], !Session.fits(v.shape, placeholderShape: want) {
                throw Diagnostic(
                    .error,
                    "'\(name)' is a placeholder of shape \(shapeText(want)); the value fed has shape \(shapeText(v.shape))",
                    source: source, span: p[e].span)
            }
            // A variable's shape is fixed by its initial value.
            if session.leafKind(name) == .variable, let have = session.values[name]?.shape, have != v.shape {
                throw Diagnostic(
                    .error,
                    "'\(name)' is a variable of shape \(shapeText(have)); the value fed has shape \(shapeText(v.shape))",
                    source: source, span: p[e].span)
            }
            return (name, v)
        }
    }

    // MARK: - :backprop

    func backprop() throws {
        let args = CommandArgs(call, usage: usage)
        let lossWord = try args.name("a loss")
        try args.finish()
        let loss = try args.definedNode(lossWord, in: session)
        let net = try LayeredNet(graph: graph, loss: loss)
        let q = try session.query(loss, interrupted: interp.interrupted)
        interp.warnAll(q.warnings)
        guard q.value.count == 1 else { throw error("\(lossWord.0) must be a scalar loss") }
        let (deltas, gradients) = try net.backprop(q)
        let ls = net.layers
        // Unnamed layer nodes are called z1, a1, … as in the lecture.
        var display: [Int: String] = [:]
        for (i, layer) in ls.enumerated() {
            if graph.name(of: layer.z) == nil { display[layer.z] = "z\(i + 1)" }
            if layer.out != layer.z, graph.name(of: layer.out) == nil { display[layer.out] = "a\(i + 1)" }
        }
        func name(_ id: Int) -> String { graph.name(of: id) ?? display[id] ?? "(" + graph.label(id, limit: 30) + ")" }
        let digits = session.settings.digits ?? 6
        func show(_ t: Tensor<Double>, _ n: Int) -> String { Commands.short(formatValue(.num(t), digits: digits), n) }
        let lossName = lossWord.0
        var s = "layered net, \(ls.count) layer\(ls.count == 1 ? "" : "s"):\n"
        for (i, layer) in ls.enumerated() {
            let zText = layer.rowForm ? "\(name(layer.input)) @ \(name(layer.W))" : "\(name(layer.W)) @ \(name(layer.input))"
            s += "  \(i + 1). \(name(layer.z)) = \(zText)\(layer.b.map { " + " + name($0) } ?? "")"
            s += layer.out == layer.z ? "\n" : ",  \(name(layer.out)) = \(layer.activation.rawValue)(\(name(layer.z)))\n"
        }
        s += "backward pass, δ^l = ∂\(lossName)/∂z^l:\n"
        for l in stride(from: ls.count - 1, through: 0, by: -1) {
            let layer = ls[l]
            let a = name(layer.out)
            // What arrives from above: ∇ of the loss at the output, or Wᵀ δ from the next layer.
            let incoming =
                l == ls.count - 1
                ? "∇_\(a) \(lossName)"
                : (ls[l + 1].rowForm ? "δ\(l + 2) \(name(ls[l + 1].W))ᵀ" : "\(name(ls[l + 1].W))ᵀ δ\(l + 2)")
            let rule: String
            switch layer.activation {
            case .identity:
                rule = incoming
            case .softmax:
                // Softmax's Jacobian is not diagonal: no ∘ with a derivative here.
                if l == ls.count - 1, let (b, args) = graph.composite(resultOf: loss), b == .crossEntropy, args[1] == layer.out {
                    rule = "\(a) − \(name(args[0]))  (softmax with cross-entropy)"
                } else {
                    let g = l == ls.count - 1 ? "∇" : "g"
                    rule = "\(a) ∘ (\(g) − ⟨\(g), \(a)⟩)" + (l == ls.count - 1 ? ", ∇ = \(incoming)" : ", g = \(incoming)")
                }
            default:
                rule = "\(layer.activation.rawValue)'(\(name(layer.z))) ∘ \(incoming)"
            }
            let line = "  δ\(l + 1) = \(rule) = \(show(deltas[l], 70))"
            s +=
                line.count <= Commands.width(interp)
                ? line + "\n" : "  δ\(l + 1) = \(rule)\n       = \(show(deltas[l], Commands.width(interp) - 9))\n"
        }
        var rows: [[String]] = [["gradient", "from δ", "reverse mode", "|difference|"]]
        var worst = 0.0
        for g in gradients {
            let layer = ls[g.layer]
            let l = g.layer + 1
            let formula =
                g.isBias
                ? (layer.rowForm ? "Σ rows of δ\(l)" : "δ\(l)")
                : (layer.rowForm ? "\(name(layer.input))ᵀ δ\(l)" : "δ\(l) \(name(layer.input))ᵀ")
            worst = max(worst, g.difference)
            rows.append([
                "∂\(lossName)/∂\(name(g.parameter)) = \(formula)", show(g.fromDelta, 22), show(g.reverse, 22),
                String(format: "%.1e", g.difference),
            ])
        }
        s += Commands.table(rows, indent: "  ", width: Commands.width(interp))
        s += "largest difference between the δ recursion and reverse mode: \(String(format: "%.1e", worst))"
        s += worst <= 1e-12 ? " — the same\n" : "\n"
        interp.write(s)
    }

    // MARK: - :train

    struct TrainOptions {
        var steps = 100
        var lr = 0.1
        var optimizer = Optimizer.sgd
        var batch: Int?
        var wrt: [String] = []
    }

    func train() throws {
        let args = CommandArgs(call, usage: usage)
        let lossWord = try args.name("a loss")
        var o = TrainOptions()
        let wrt = try args.wrtList(required: false)
        for (i, (name, span)) in wrt.enumerated() {
            if wrt[..<i].contains(where: { $0.0 == name }) { throw args.error("'\(name)' is named twice", at: span) }
            guard session.leafKind(name) == .variable else {
                throw args.error(
                    "'\(name)' is not a variable: :train updates variables only", at: span,
                    notes: didYouMean(name, among: session.variables))
            }
        }
        o.wrt = wrt.map(\.0)
        var given = Set<String>()
        while let (key, value, span) = try args.option() {
            func bad(_ what: String) -> Diagnostic { args.error("\(key) must be \(what)", at: span) }
            guard given.insert(key).inserted else { throw args.error("'\(key)' is given twice", at: span) }
            switch key {
            case "steps":
                guard let n = Int(value), n >= 1, n <= 100_000_000 else { throw bad("a whole number ≥ 1") }
                o.steps = n
            case "lr":
                guard let r = Double(value), r > 0, r.isFinite else { throw bad("a number > 0") }
                o.lr = r
            case "optimizer":
                guard let opt = Optimizer(rawValue: value) else { throw bad("sgd, momentum or adam") }
                o.optimizer = opt
            case "batch":
                guard let n = Int(value), n >= 1 else { throw bad("a whole number ≥ 1") }
                o.batch = n
            default:
                throw args.error(
                    "unknown option '\(key)'", at: span,
                    notes: didYouMean(key, among: ["steps", "lr", "optimizer", "batch"]) + ["usage: \(usage)"])
            }
        }
        try args.finish()
        let loss = try args.definedNode(lossWord, in: session)
        var trainer = try Trainer(
            session: session, loss: loss, variables: o.wrt, optimizer: o.optimizer, learningRate: o.lr, batch: o.batch,
            interrupted: interp.interrupted)
        var losses: [Double] = []
        let progress = ProgressBar(total: o.steps, terminal: interp.outputIsTerminal, write: interp.write)
        var stoppedAt: Int?
        let started = Date()
        for step in 1...o.steps {
            if interp.interrupted() {
                stoppedAt = step - 1
                break
            }
            let lv: Double
            do {
                lv = try trainer.next()
            } catch is Interrupted {
                stoppedAt = step - 1
                break
            } catch Trainer.Stop.notFinite(let k, let value, let warnings) {
                interp.warnAll(warnings)
                throw error(
                    "the loss became \(formatNumber(value)) at step \(k): the learning rate \(formatNumber(o.lr)) may be too large",
                    notes: ["the variables keep the values of step \(k - 1)"])
            }
            losses.append(lv)
            progress.update(step: step, loss: lv)
        }
        progress.finish()
        let elapsed = Date().timeIntervalSince(started)
        var s = ""
        if let k = stoppedAt { s += "stopped at step \(k) of \(o.steps) (Ctrl-C); the variables keep the values reached\n" }
        if let first = losses.first {
            // The loss the variables have now, on all the data (each step's loss above was
            // taken before its update, on its batch).
            let now = (try? session.query(loss, interrupted: { false }).value.scalarValue) ?? losses.last ?? first
            let steps = losses.count == 1 ? "1 step" : "\(losses.count) steps"
            s +=
                "\(o.optimizer.rawValue), lr \(formatNumber(o.lr))\(o.batch.map { ", batch \($0)" } ?? ""): \(lossWord.0) from \(formatNumber(first, digits: 6)) to \(formatNumber(now, digits: 6)) in \(steps)"
            s += interp.outputIsTerminal ? String(format: " (%.2f s)\n", elapsed) : "\n"
            s += LossCurve.draw(losses, width: 60, height: 10)
        }
        interp.write(s)
    }
}

/// Step and loss as training runs: redrawn in place on a terminal, a few lines otherwise.
final class ProgressBar {
    let total: Int
    let terminal: Bool
    let write: (String) -> Void
    var lastDraw = Date.distantPast
    var lastQuarter = 0

    init(total: Int, terminal: Bool, write: @escaping (String) -> Void) {
        self.total = total
        self.terminal = terminal
        self.write = write
    }

    func bar(_ step: Int) -> String {
        let width = 30
        let filled = total == 0 ? width : width * step / total
        return "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "]"
    }

    func update(step: Int, loss: Double? = nil, label: String = "step") {
        let text = "\(bar(step)) \(label) \(step)/\(total)" + (loss.map { "  loss \(formatNumber($0, digits: 6))" } ?? "")
        if terminal {
            let now = Date()
            guard step == total || now.timeIntervalSince(lastDraw) > 0.05 else { return }
            lastDraw = now
            write("\r\(text)\u{1B}[K")
        } else {
            let quarter = total >= 4 ? 4 * step / total : (step == total ? 4 : 0)
            guard quarter > lastQuarter else { return }
            lastQuarter = quarter
            write(text + "\n")
        }
    }

    func finish() {
        if terminal { write("\n") }
    }
}

/// The loss over the steps, drawn with block characters.
enum LossCurve {
    static func draw(_ losses: [Double], width: Int, height: Int) -> String {
        let finite = losses.filter(\.isFinite)
        guard losses.count >= 2, let lo = finite.min(), let hi = finite.max() else { return "" }
        let cols = min(width, losses.count)
        // Mean loss in each column's range of steps.
        var ys: [Double] = []
        for c in 0..<cols {
            let a = c * losses.count / cols
            let b = max(a + 1, (c + 1) * losses.count / cols)
            let slice = losses[a..<b].filter(\.isFinite)
            ys.append(slice.isEmpty ? hi : slice.reduce(0, +) / Double(slice.count))
        }
        // Decades apart: a log scale shows the whole descent.
        let logScale = lo > 0 && hi / lo > 100
        let f: (Double) -> Double = logScale ? { log10($0) } : { $0 }
        let (flo, fhi) = (f(lo), f(hi))
        let span = fhi - flo
        var grid = [[Character]](repeating: [Character](repeating: " ", count: cols), count: height)
        for (c, y) in ys.enumerated() {
            let level = span == 0 ? 0 : Int(((f(y) - flo) / span * Double(height - 1)).rounded())
            for r in 0...level { grid[height - 1 - r][c] = r == level ? "●" : "│" }
        }
        let top = formatNumber(hi, digits: 4)
        let bottom = formatNumber(lo, digits: 4)
        let pad = max(top.count, bottom.count)
        var s = logScale ? "loss (log scale)\n" : "loss\n"
        for (r, row) in grid.enumerated() {
            let label = r == 0 ? top : r == height - 1 ? bottom : ""
            s += String(repeating: " ", count: pad - label.count) + label + " ┤" + String(row) + "\n"
        }
        s += String(repeating: " ", count: pad) + " └" + String(repeating: "─", count: cols) + "\n"
        let last = "step \(losses.count)"
        s +=
            String(repeating: " ", count: pad + 2) + "1" + String(repeating: " ", count: max(1, cols - 1 - last.count)) + last
            + "\n"
        return s
    }
}
