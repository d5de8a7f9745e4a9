import Engine
import Foundation
import GraphLang

/// `:params`, `:run`, `:backprop`, `:train`: the lecture's networks.
struct NetworkCommands {
    let interp: Interpreter
    let call: Interpreter.CommandCall
    var session: Session { interp.session }
    var graph: Graph { session.graph }

    static let infos: [Commands.Info] = [
        .init(name: "params", usage: ":params", summary: "trainable variables: shapes, counts and the total", example: ":params"),
        .init(
            name: "run", usage: ":run OUT with x = …, y = …",
            summary: "evaluate with placeholders fed, like Session.run(OUT, feed_dict); the session is unchanged",
            example: ":run C with x = [[1, 0, 1]], label = [[0, 1]]"),
        .init(
            name: "backprop", usage: ":backprop LOSS",
            summary: "the δ recursion of a layered net beside reverse mode on the graph", example: ":backprop C"),
        .init(
            name: "train", usage: ":train LOSS [wrt W, b, …] [steps=N] [lr=R] [optimizer=sgd|momentum|adam] [batch=B]",
            summary: "gradient descent on the variables, with a progress bar and the loss curve",
            example: ":train C steps=2000 lr=0.05 optimizer=adam"),
    ]

    static func run(_ call: Interpreter.CommandCall, _ interp: Interpreter) throws -> Bool {
        let n = NetworkCommands(interp: interp, call: call)
        switch call.name {
        case "params": n.params()
        case "run": try n.runWithFeeds()
        case "backprop": try n.backprop()
        case "train": try n.train()
        default: return false
        }
        return true
    }

    func error(_ message: String, notes: [String] = []) -> Diagnostic { call.diagnostic(message, notes: notes) }

    // MARK: - :params

    func params() {
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

    // MARK: - Feeds

    /// Splits `text` at commas outside brackets; returns (piece, byte offset) pairs.
    static func splitTopLevel(_ text: String, at separator: UInt8 = UInt8(ascii: ",")) -> [(String, Int)] {
        var out: [(String, Int)] = []
        let bytes = Array(text.utf8)
        var depth = 0
        var start = 0
        for (i, b) in bytes.enumerated() {
            if b == UInt8(ascii: "(") || b == UInt8(ascii: "[") { depth += 1 }
            if b == UInt8(ascii: ")") || b == UInt8(ascii: "]") { depth -= 1 }
            if b == separator && depth == 0 {
                out.append((String(decoding: bytes[start..<i], as: UTF8.self), start))
                start = i + 1
            }
        }
        out.append((String(decoding: bytes[start...], as: UTF8.self), start))
        return out
    }

    /// `name = expr, name = expr` starting at byte `offset` of the command's arguments.
    func feeds(_ text: String, offset: Int) throws -> [String: Value] {
        var out: [String: Value] = [:]
        let base = call.argsStart + offset
        for (piece, at) in NetworkCommands.splitTopLevel(text) {
            guard let eq = piece.utf8.firstIndex(of: UInt8(ascii: "=")) else {
                throw Diagnostic(
                    .error, "expected 'name = value' in the feeds", source: call.program.source,
                    span: Span(base + at, base + at + piece.utf8.count), notes: ["usage: :run OUT with x = [1, 2], y = 3"])
            }
            let nameText = String(piece[..<eq]).trimmingCharacters(in: .whitespaces)
            let exprStart = base + at + piece.utf8.distance(from: piece.utf8.startIndex, to: eq) + 1
            let exprEnd = base + at + piece.utf8.count
            switch Parser.parseExpression(call.program.source, range: exprStart..<exprEnd) {
            case .failure(let d): throw d
            case .success(let (p, e)):
                guard session.leafKind(nameText) == .placeholder || session.leafKind(nameText) == .input else {
                    throw Diagnostic(
                        .error, "'\(nameText)' is not a placeholder or an input, so it cannot be fed",
                        source: call.program.source, span: Span(base + at, exprStart - 1),
                        notes: didYouMean(nameText, among: session.order.filter { session.leafKind($0) == .placeholder }))
                }
                let v = try interp.evaluate(p, e)
                if let want = session.placeholderShapes[nameText], !Session.fits(v.shape, placeholderShape: want) {
                    throw Diagnostic(
                        .error,
                        "'\(nameText)' is a placeholder of shape \(shapeText(want)); the value fed has shape \(shapeText(v.shape))",
                        source: call.program.source, span: p[e].span)
                }
                out[nameText] = v
            }
        }
        return out
    }

    func runWithFeeds() throws {
        let args = call.args
        guard let range = args.range(of: " with ") ?? (args.hasPrefix("with ") ? args.range(of: "with ") : nil) else {
            // No feeds: plain evaluation.
            return try evaluateOut(args, 0, feeds: [:])
        }
        let outText = String(args[..<range.lowerBound])
        let feedText = String(args[range.upperBound...])
        let feedOffset = args.utf8.distance(from: args.utf8.startIndex, to: range.upperBound)
        try evaluateOut(outText, 0, feeds: try feeds(feedText, offset: feedOffset))
    }

    func evaluateOut(_ text: String, _ offset: Int, feeds: [String: Value]) throws {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw error("':run' needs an output", notes: ["usage: :run OUT with x = …"])
        }
        let start = call.argsStart + offset
        switch Parser.parseExpression(call.program.source, range: start..<(start + text.utf8.count)) {
        case .failure(let d): throw d
        case .success(let (p, e)):
            interp.write(interp.format(try interp.evaluate(p, e, feeds: feeds)) + "\n")
        }
    }

    // MARK: - :backprop

    /// One layer z = W·a + b (or a·W + b for a batch of rows), a' = act(z).
    struct Layer {
        var W: Int
        var b: Int?
        var input: Int
        var z: Int
        var out: Int
        var activation: String  // "sigmoid", "tanh", "relu", "softplus", "softmax", "identity"
        var rowForm: Bool  // a @ W (batch rows) rather than W @ a
    }

    func isVariable(_ id: Int) -> Bool {
        if case .leaf(_, let k) = graph.nodes[id].kind { return k == .variable || k == .input }
        return false
    }

    /// The layers of the net under `loss`, in order, or a description of what is missing.
    func layers(_ loss: Int) throws -> [Layer] {
        let order = graph.order([loss])
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        var users: [Int: [Int]] = [:]
        for n in order { for c in graph.nodes[n].inputs { users[c, default: []].append(n) } }
        var found: [Layer] = []
        for n in order {
            guard case .op(.matmul) = graph.nodes[n].kind else { continue }
            let (l, r) = (graph.nodes[n].inputs[0], graph.nodes[n].inputs[1])
            let rowForm: Bool
            let W: Int
            let input: Int
            if isVariable(l), graph.nodes[l].leaf?.1 == .variable {
                (W, input, rowForm) = (l, r, false)
            } else if isVariable(r), graph.nodes[r].leaf?.1 == .variable {
                (W, input, rowForm) = (r, l, true)
            } else {
                continue
            }
            var z = n
            var b: Int?
            if let u = users[n]?.first, case .op(.add) = graph.nodes[u].kind {
                let other = graph.nodes[u].inputs[0] == n ? graph.nodes[u].inputs[1] : graph.nodes[u].inputs[0]
                if isVariable(other) {
                    b = other
                    z = u
                }
            }
            var out = z
            var activation = "identity"
            if let u = users[z]?.first, users[z]?.count == 1, case .op(let op) = graph.nodes[u].kind {
                switch op {
                case .unary(let f) where [.sigmoid, .tanh, .relu, .softplus].contains(f):
                    activation = f.rawValue
                    out = u
                case .softmax(let axis) where axis == nil:
                    activation = "softmax"
                    out = u
                default: break
                }
            }
            found.append(Layer(W: W, b: b, input: input, z: z, out: out, activation: activation, rowForm: rowForm))
        }
        found.sort { (position[$0.z] ?? 0) < (position[$1.z] ?? 0) }
        guard !found.isEmpty else {
            throw error(
                "\(graph.label(loss)) is not a layered net: no layer z = W @ a + b with a variable W was found",
                notes: ["expected layers like: z1 = W1 @ x + b1; a1 = sigmoid(z1); z2 = W2 @ a1 + b2; y = softmax(z2)"])
        }
        for i in 1..<max(1, found.count) where found[i].input != found[i - 1].out {
            throw error(
                "the layers do not chain: the input of layer \(i + 1) (\(graph.label(found[i].input))) is not the output of layer \(i) (\(graph.label(found[i - 1].out)))",
                notes: ["expected z^l = W^l a^(l−1) + b^l with a^l = σ(z^l)"])
        }
        return found
    }

    func num(_ v: Value?) throws -> Tensor<Double> {
        guard let t = v?.numeric else {
            throw error(":backprop needs numbers: give every leaf a value (or feed the placeholders)")
        }
        return t
    }

    /// σ'(z) for the activation, written out (independently of the op table's rules).
    func activationDerivative(_ layer: Layer, z: Tensor<Double>, a: Tensor<Double>) -> Tensor<Double> {
        switch layer.activation {
        case "sigmoid": return a.map { $0 * (1 - $0) }
        case "tanh": return a.map { 1 - $0 * $0 }
        case "relu": return z.map { $0 > 0 ? 1 : 0 }
        case "softplus": return z.map { 1 / (1 + exp(-$0)) }
        default: return z.map { _ in 1 }
        }
    }

    func backprop() throws {
        let w = CommandArgs(call).words
        guard let lossWord = w.first else { throw error("':backprop' needs a loss", notes: ["usage: :backprop LOSS"]) }
        let loss = try CommandArgs(call).definedNode(lossWord, in: session)
        let ls = try layers(loss)
        var warnings: [Diagnostic] = []
        let values = try session.evaluate([loss], warnings: &warnings, interrupted: interp.interrupted)
        guard values[loss]?.count == 1 else { throw error("\(lossWord.0) must be a scalar loss") }
        let order = graph.order([loss])
        // Reverse mode on the whole graph: gradients of every variable, and ∇_a C at the output.
        let dep = NodeMap<Bool>.marking(order, graphSize: graph.nodes.count)
        let (adj, _) = try Sweeps.reverseValues(
            graph: graph, order: order, values: values, output: loss, seed: .scalar(1), dep: dep)
        // Unnamed layer nodes are called z1, a1, … as in the lecture.
        var display: [Int: String] = [:]
        for (i, layer) in ls.enumerated() {
            if graph.nodes[layer.z].name == nil { display[layer.z] = "z\(i + 1)" }
            if layer.out != layer.z, graph.nodes[layer.out].name == nil { display[layer.out] = "a\(i + 1)" }
        }
        func L(_ id: Int) -> String { graph.nodes[id].name ?? display[id] ?? "(" + graph.label(id, limit: 30) + ")" }
        let digits = session.settings.digits ?? 6
        func show(_ t: Tensor<Double>, _ n: Int) -> String { Commands.short(formatValue(.num(t), digits: digits), n) }
        guard let last = ls.last else { return }
        let gradOut = try num(adj[last.out].map { try Op.broadcastLike.evaluate([$0, values[last.out] ?? .scalar(0)]) })
        // The δ recursion, written out.
        var deltas = [Tensor<Double>?](repeating: nil, count: ls.count)
        for l in stride(from: ls.count - 1, through: 0, by: -1) {
            let layer = ls[l]
            let z = try num(values[layer.z])
            let a = try num(values[layer.out])
            let incoming: Tensor<Double>
            if l == ls.count - 1 {
                incoming = gradOut
            } else {
                let next = ls[l + 1]
                let W = try num(values[next.W])
                guard let dNext = deltas[l + 1] else { continue }
                incoming = next.rowForm ? try Tensor.matmul(dNext, W.transposed()) : try Tensor.matmul(W.transposed(), dNext)
            }
            if layer.activation == "softmax" {
                // δ = s ⊙ (g − ⟨g, s⟩) along each row.
                let gs = try Tensor.zip(incoming, a, *)
                let inner = a.rank == 2 ? try gs.reduce(axis: 1, +).reshaped([a.shape[0], 1]) : gs.reduce(axis: nil, +)
                deltas[l] = try Tensor.zip(a, try Tensor.zip(incoming, inner, -), *)
            } else {
                deltas[l] = try Tensor.zip(activationDerivative(layer, z: z, a: a), incoming, *)
            }
        }
        var s = "layered net, \(ls.count) layer\(ls.count == 1 ? "" : "s"):\n"
        for (i, layer) in ls.enumerated() {
            let zText = layer.rowForm ? "\(L(layer.input)) @ \(L(layer.W))" : "\(L(layer.W)) @ \(L(layer.input))"
            s += "  \(i + 1). \(L(layer.z)) = \(zText)\(layer.b.map { " + " + L($0) } ?? "")"
            s += layer.out == layer.z ? "\n" : ",  \(L(layer.out)) = \(layer.activation)(\(L(layer.z)))\n"
        }
        s += "backward pass, δ^l = ∂\(lossWord.0)/∂z^l:\n"
        for l in stride(from: ls.count - 1, through: 0, by: -1) {
            let layer = ls[l]
            let act =
                layer.activation == "identity"
                ? "1" : layer.activation == "softmax" ? "softmax'(\(L(layer.z)))" : "\(layer.activation)'(\(L(layer.z)))"
            let rule =
                l == ls.count - 1
                ? "\(act) ∘ ∇_\(L(layer.out)) \(lossWord.0)"
                : "\(act) ∘ " + (ls[l + 1].rowForm ? "δ\(l + 2) \(L(ls[l + 1].W))ᵀ" : "\(L(ls[l + 1].W))ᵀ δ\(l + 2)")
            s += "  δ\(l + 1) = \(rule) = \(deltas[l].map { show($0, 70) } ?? "?")\n"
        }
        var rows: [[String]] = [["gradient", "from δ", "reverse mode", "largest |difference|"]]
        var worst = 0.0
        for (l, layer) in ls.enumerated() {
            guard let d = deltas[l] else { continue }
            let a = try num(values[layer.input])
            let dW: Tensor<Double>
            if layer.rowForm {
                dW = try Tensor.matmul(
                    (a.rank == 1 ? try a.reshaped([1, a.count]) : a).transposed(), d.rank == 1 ? try d.reshaped([1, d.count]) : d)
            } else {
                let dc = try d.reshaped([d.count, 1])
                let ar = try a.reshaped([1, a.count])
                dW = try Tensor.matmul(dc, ar)
            }
            let Wv = try num(values[layer.W])
            let pairs: [(String, String, Tensor<Double>, Int)] =
                [
                    (
                        "∂\(lossWord.0)/∂\(L(layer.W))",
                        layer.rowForm ? "\(L(layer.input))ᵀ δ\(l + 1)" : "δ\(l + 1) \(L(layer.input))ᵀ",
                        try dW.reshaped(Wv.shape), layer.W
                    )
                ]
                + (try layer.b.map { b -> [(String, String, Tensor<Double>, Int)] in
                    let bv = try num(values[b])
                    return [
                        (
                            "∂\(lossWord.0)/∂\(L(b))", layer.rowForm ? "Σ rows of δ\(l + 1)" : "δ\(l + 1)",
                            try d.unbroadcast(to: bv.shape), b
                        )
                    ]
                } ?? [])
            for (name, formula, fromDelta, leaf) in pairs {
                let reverse = try num(adj[leaf].map { try Op.broadcastLike.evaluate([$0, values[leaf] ?? .scalar(0)]) })
                let diff = zip(fromDelta.data, reverse.data).map { abs($0 - $1) }.max() ?? 0
                worst = max(worst, diff)
                rows.append(["\(name) = \(formula)", show(fromDelta, 40), show(reverse, 40), String(format: "%.1e", diff)])
            }
        }
        s += Commands.table(rows, indent: "  ")
        s += "largest difference between the δ recursion and reverse mode on the graph: \(String(format: "%.1e", worst))"
        s += worst <= 1e-12 ? " — the same results\n" : "\n"
        interp.write(s)
    }

    // MARK: - :train

    struct TrainOptions {
        var steps = 100
        var lr = 0.1
        var optimizer = "sgd"
        var batch: Int?
        var wrt: [String] = []
    }

    func trainOptions(_ words: [(String, Span)]) throws -> TrainOptions {
        var o = TrainOptions()
        var inWrt = false
        for (w, span) in words.dropFirst() {
            if w == "wrt" {
                inWrt = true
                continue
            }
            if let eq = w.firstIndex(of: "=") {
                inWrt = false
                let key = String(w[..<eq])
                let value = String(w[w.index(after: eq)...])
                func bad(_ what: String) -> Diagnostic {
                    Diagnostic(.error, "\(key) must be \(what)", source: call.program.source, span: span)
                }
                switch key {
                case "steps":
                    guard let n = Int(value), n >= 1, n <= 100_000_000 else { throw bad("a whole number ≥ 1") }
                    o.steps = n
                case "lr":
                    guard let r = Double(value), r > 0, r.isFinite else { throw bad("a number > 0") }
                    o.lr = r
                case "optimizer":
                    guard ["sgd", "momentum", "adam"].contains(value) else { throw bad("sgd, momentum or adam") }
                    o.optimizer = value
                case "batch":
                    guard let n = Int(value), n >= 1 else { throw bad("a whole number ≥ 1") }
                    o.batch = n
                default:
                    throw Diagnostic(
                        .error, "unknown option '\(key)'", source: call.program.source, span: span,
                        notes: didYouMean(key, among: ["steps", "lr", "optimizer", "batch"]) + [
                            "usage: \(NetworkCommands.infos[3].usage)"
                        ])
                }
            } else if inWrt {
                o.wrt.append(w)
            } else {
                throw Diagnostic(
                    .error, "unexpected '\(w)'", source: call.program.source, span: span,
                    notes: ["usage: \(NetworkCommands.infos[3].usage)"])
            }
        }
        return o
    }

    func train() throws {
        let words = CommandArgs(call).words
        guard let lossWord = words.first else {
            throw error("':train' needs a loss", notes: ["usage: \(NetworkCommands.infos[3].usage)"])
        }
        let loss = try CommandArgs(call).definedNode(lossWord, in: session)
        let o = try trainOptions(words)
        let order = graph.order([loss])
        let names = o.wrt.isEmpty ? session.variables.filter { graph.leaves[$0].map { order.contains($0) } ?? false } : o.wrt
        guard !names.isEmpty else {
            throw error("\(lossWord.0) depends on no trainable variable", notes: ["hint: W = variable(uniform([2, 8], -1, 1))"])
        }
        for n in names where session.leafKind(n) != .variable {
            throw error("'\(n)' is not a variable: :train updates variables only", notes: didYouMean(n, among: session.variables))
        }
        let leafIDs = try names.map { try session.node(named: $0) }
        let dep = NodeMap<Bool>.marking(order, graphSize: graph.nodes.count)
        // Minibatches: rows drawn from the data leaves (inputs and placeholders with one
        // shared first size, at least the batch), the same rows from each.
        var dataLeaves: [String] = []
        var dataSize = 0
        if let b = o.batch {
            let candidates = order.compactMap { id -> (String, Int)? in
                guard let (n, k) = graph.nodes[id].leaf, k == .input || k == .placeholder,
                    let v = session.values[n], v.shape.count >= 1
                else { return nil }
                return (n, v.shape[0])
            }
            dataSize = candidates.map(\.1).max() ?? 0
            dataLeaves = candidates.filter { $0.1 == dataSize }.map(\.0)
            guard dataSize >= b, !dataLeaves.isEmpty else {
                throw error("batch=\(b) needs data leaves with at least \(b) rows; the largest has \(dataSize)")
            }
        }
        var rng = SplitMix64(state: session.settings.seed &+ 0x5EED)
        var m: [[Double]] = names.map { [Double](repeating: 0, count: session.values[$0]?.count ?? 0) }
        var v2 = m
        var losses: [Double] = []
        let progress = ProgressBar(total: o.steps, terminal: isatty(STDOUT_FILENO) != 0, write: interp.write)
        var stoppedAt: Int?
        let started = Date()
        for step in 1...o.steps {
            if interp.interrupted() {
                stoppedAt = step - 1
                break
            }
            var feeds: [String: Value] = [:]
            if let b = o.batch {
                let rows = (0..<b).map { _ in Int(rng.next() % UInt64(dataSize)) }
                for name in dataLeaves {
                    guard let t = session.values[name]?.numeric else { continue }
                    let width = t.count / t.shape[0]
                    var data: [Double] = []
                    data.reserveCapacity(b * width)
                    for r in rows { data.append(contentsOf: t.data[(r * width)..<((r + 1) * width)]) }
                    feeds[name] = .num(Tensor(shape: [b] + t.shape.dropFirst(), data: data))
                }
            }
            var warnings: [Diagnostic] = []
            let values: NodeMap<Value>
            do {
                values = try session.evaluate([loss], feeds: feeds, warnings: &warnings, interrupted: interp.interrupted)
            } catch is Interrupted {
                stoppedAt = step - 1
                break
            }
            guard let lv = values[loss]?.scalarValue else { throw error("\(lossWord.0) must be a scalar loss, with numbers") }
            losses.append(lv)
            if !lv.isFinite {
                interp.warnAll(warnings)
                throw error(
                    "the loss became \(formatNumber(lv)) at step \(step): the learning rate \(formatNumber(o.lr)) may be too large",
                    notes: ["the variables keep the values of step \(step - 1)"])
            }
            // An interrupt inside the sweep ends training before this step's update.
            let adj: NodeMap<Value>
            do {
                adj = try Sweeps.reverseValues(
                    graph: graph, order: order, values: values, output: loss, seed: .scalar(1), dep: dep
                ).adjoints
            } catch is Interrupted {
                stoppedAt = step - 1
                break
            }
            for (i, (name, id)) in zip(names, leafIDs).enumerated() {
                guard var w = session.values[name]?.numeric,
                    let g = try adj[id].map({ try Op.broadcastLike.evaluate([$0, .num(w)]) })?.numeric
                else { continue }
                switch o.optimizer {
                case "momentum":
                    for k in 0..<w.count {
                        m[i][k] = 0.9 * m[i][k] + g.data[k]
                        w.data[k] -= o.lr * m[i][k]
                    }
                case "adam":
                    let (b1, b2, eps) = (0.9, 0.999, 1e-8)
                    let c1 = 1 - pow(b1, Double(step))
                    let c2 = 1 - pow(b2, Double(step))
                    for k in 0..<w.count {
                        m[i][k] = b1 * m[i][k] + (1 - b1) * g.data[k]
                        v2[i][k] = b2 * v2[i][k] + (1 - b2) * g.data[k] * g.data[k]
                        w.data[k] -= o.lr * (m[i][k] / c1) / ((v2[i][k] / c2).squareRoot() + eps)
                    }
                default:
                    for k in 0..<w.count { w.data[k] -= o.lr * g.data[k] }
                }
                session.setValue(name, .num(w))
            }
            progress.update(step: step, loss: lv)
        }
        progress.finish()
        let elapsed = Date().timeIntervalSince(started)
        var s = ""
        if let k = stoppedAt { s += "stopped at step \(k) of \(o.steps) (Ctrl-C); the variables keep the values reached\n" }
        if let first = losses.first, let last = losses.last {
            s +=
                "\(o.optimizer), lr \(formatNumber(o.lr))\(o.batch.map { ", batch \($0)" } ?? ""): \(lossWord.0) from \(formatNumber(first, digits: 6)) to \(formatNumber(last, digits: 6)) in \(losses.count) steps"
            s += interp.color || isatty(STDOUT_FILENO) != 0 ? String(format: " (%.2f s)\n", elapsed) : "\n"
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

    func update(step: Int, loss: Double) {
        if terminal {
            let now = Date()
            guard step == total || now.timeIntervalSince(lastDraw) > 0.05 else { return }
            lastDraw = now
            write("\r\(bar(step)) step \(step)/\(total)  loss \(formatNumber(loss, digits: 6))\u{1B}[K")
        } else {
            let quarter = total >= 4 ? 4 * step / total : (step == total ? 4 : 0)
            guard quarter > lastQuarter else { return }
            lastQuarter = quarter
            write("\(bar(step)) step \(step)/\(total)  loss \(formatNumber(loss, digits: 6))\n")
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
