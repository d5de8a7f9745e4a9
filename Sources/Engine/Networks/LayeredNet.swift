import Foundation

/// A layer's activation a = act(z), as the lecture's nets use them.
public enum Activation: String, Sendable, CaseIterable {
    case sigmoid, tanh, relu, softplus, softmax, identity

    init?(_ op: Op) {
        switch op {
        case .unary(.sigmoid): self = .sigmoid
        case .unary(.tanh): self = .tanh
        case .unary(.relu): self = .relu
        case .unary(.softplus): self = .softplus
        case .softmax(axis: nil): self = .softmax
        default: return nil
        }
    }

    /// act'(z) elementwise, written out here rather than taken from the op table, so that
    /// the δ recursion is an independent check of reverse mode. Softmax has no
    /// elementwise derivative (its Jacobian is not diagonal): see `LayeredNet.backprop`.
    func derivative(z: Tensor<Double>, a: Tensor<Double>) -> Tensor<Double> {
        switch self {
        case .sigmoid: return a.map { $0 * (1 - $0) }
        case .tanh: return a.map { 1 - $0 * $0 }
        case .relu: return z.map { $0 > 0 ? 1 : 0 }
        case .softplus: return z.map { 1 / (1 + Foundation.exp(-$0)) }
        case .softmax, .identity: return z.map { _ in 1 }
        }
    }
}

/// A layered net under a loss, as the lecture draws it: z^l = W^l a^(l−1) + b^l (or
/// a @ W + b for a batch of rows), a^l = act(z^l).
public struct LayeredNet {
    public struct Layer {
        public var W: Int
        public var b: Int?
        public var input: Int
        public var z: Int
        public var out: Int
        public var activation: Activation
        /// a @ W (a batch of rows) rather than W @ a.
        public var rowForm: Bool
    }

    public let layers: [Layer]

    /// The layers under `loss`, in order, or an error saying what is missing.
    public init(graph: Graph, loss: Int) throws {
        let order = graph.order([loss])
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        var users: [Int: [Int]] = [:]
        for n in order { for c in graph.nodes[n].inputs { users[c, default: []].append(n) } }
        func leafKind(_ id: Int) -> LeafKind? { graph.nodes[id].leaf?.1 }
        var found: [Layer] = []
        for n in order {
            guard case .op(.matmul) = graph.nodes[n].kind else { continue }
            let (l, r) = (graph.nodes[n].inputs[0], graph.nodes[n].inputs[1])
            let (W, input, rowForm): (Int, Int, Bool)
            if leafKind(l) == .variable {
                (W, input, rowForm) = (l, r, false)
            } else if leafKind(r) == .variable {
                (W, input, rowForm) = (r, l, true)
            } else {
                continue
            }
            var z = n
            var b: Int?
            if let u = users[n]?.first, case .op(.add) = graph.nodes[u].kind {
                let other = graph.nodes[u].inputs[0] == n ? graph.nodes[u].inputs[1] : graph.nodes[u].inputs[0]
                if leafKind(other) == .variable || leafKind(other) == .input {
                    b = other
                    z = u
                }
            }
            var out = z
            var activation = Activation.identity
            if let u = users[z]?.first, users[z]?.count == 1, let op = graph.nodes[u].op, let act = Activation(op) {
                activation = act
                out = u
            }
            found.append(Layer(W: W, b: b, input: input, z: z, out: out, activation: activation, rowForm: rowForm))
        }
        found.sort { (position[$0.z] ?? 0) < (position[$1.z] ?? 0) }
        guard !found.isEmpty else {
            throw EvalError(
                "\(graph.label(loss)) is not a layered net: no layer z = W @ a + b with a variable W was found",
                notes: ["expected layers like: z1 = W1 @ x + b1; a1 = sigmoid(z1); z2 = W2 @ a1 + b2; y = softmax(z2)"])
        }
        for i in 1..<Swift.max(1, found.count) where found[i].input != found[i - 1].out {
            throw EvalError(
                "the layers do not chain: the input of layer \(i + 1) (\(graph.label(found[i].input))) is not the output of layer \(i) (\(graph.label(found[i - 1].out)))",
                notes: ["expected z^l = W^l a^(l−1) + b^l with a^l = σ(z^l)"])
        }
        layers = found
    }

    /// One gradient of a layer's parameters: from the δ recursion and by reverse mode.
    public struct Gradient {
        public var layer: Int
        public var parameter: Int
        /// Whether it is the bias (otherwise the weights).
        public var isBias: Bool
        public var fromDelta: Tensor<Double>
        public var reverse: Tensor<Double>
        public var difference: Double
    }

    /// The backward pass written out: δ^L from ∂loss/∂a^L and the last activation, then
    /// δ^l = act'(z^l) ∘ (W^(l+1))ᵀ δ^(l+1); ∂loss/∂W^l = δ^l (a^(l−1))ᵀ and ∂loss/∂b^l = δ^l.
    /// Softmax's Jacobian is not diagonal, so its δ is the Jacobian product
    /// s ⊙ (g − ⟨g, s⟩) along each row. Beside each gradient, reverse mode's on the graph.
    public func backprop(_ q: DerivativeQuery) throws -> (deltas: [Tensor<Double>], gradients: [Gradient]) {
        func num(_ id: Int) throws -> Tensor<Double> {
            guard let t = try q.valueOf(id).numeric else { throw q.freeSymbolsError("the δ recursion needs numbers") }
            return t
        }
        if !q.freeSymbols.isEmpty { throw q.freeSymbolsError("the δ recursion needs numbers") }
        let (adjoints, _) = try q.adjoints()
        func reverse(_ id: Int) throws -> Tensor<Double> {
            guard let g = adjoints[id] else { return try Tensor.filled(try num(id).shape, 0) }
            guard let t = g.numeric else { throw q.freeSymbolsError("the δ recursion needs numbers") }
            return t
        }
        var deltas = [Tensor<Double>](repeating: Tensor(0), count: layers.count)
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            let z = try num(layer.z)
            let a = try num(layer.out)
            let incoming: Tensor<Double>
            if l == layers.count - 1 {
                incoming = try reverse(layer.out)
            } else {
                let next = layers[l + 1]
                let W = try num(next.W)
                incoming =
                    next.rowForm
                    ? try Tensor.matmul(deltas[l + 1], W.transposed()) : try Tensor.matmul(W.transposed(), deltas[l + 1])
            }
            if layer.activation == .softmax {
                let gs = try Tensor.zip(incoming, a, *)
                let inner = a.rank == 2 ? try gs.reduce(axis: 1, +).reshaped([a.shape[0], 1]) : gs.reduce(axis: nil, +)
                deltas[l] = try Tensor.zip(a, try Tensor.zip(incoming, inner, -), *)
            } else {
                deltas[l] = try Tensor.zip(layer.activation.derivative(z: z, a: a), incoming, *)
            }
        }
        var gradients: [Gradient] = []
        for (l, layer) in layers.enumerated() {
            let d = deltas[l]
            let a = try num(layer.input)
            let dW: Tensor<Double>
            if layer.rowForm {
                dW = try Tensor.matmul(
                    (a.rank == 1 ? try a.reshaped([1, a.count]) : a).transposed(), d.rank == 1 ? try d.reshaped([1, d.count]) : d)
            } else {
                dW = try Tensor.matmul(try d.reshaped([d.count, 1]), try a.reshaped([1, a.count]))
            }
            let Wv = try num(layer.W)
            var pairs = [(layer.W, false, try dW.reshaped(Wv.shape))]
            if let b = layer.b { pairs.append((b, true, try d.unbroadcast(to: try num(b).shape))) }
            for (p, isBias, fromDelta) in pairs {
                let r = try reverse(p)
                let diff = zip(fromDelta.data, r.data).map { Swift.abs($0 - $1) }.max() ?? 0
                gradients.append(
                    Gradient(layer: l, parameter: p, isBias: isBias, fromDelta: fromDelta, reverse: r, difference: diff))
            }
        }
        return (deltas, gradients)
    }
}
