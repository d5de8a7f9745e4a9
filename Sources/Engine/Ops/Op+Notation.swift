/// How each rule reads in the lecture's notation, for the op as the user wrote it:
/// `z = W @ a + b` gives W̄ = z̄ aᵀ, ā = Wᵀ z̄, b̄ = z̄; `a = σ(z)` gives z̄ = σ'(z) ∘ ā.
/// These texts are what `:forward` and `:reverse` show; the rules that compute are in
/// `Op+Rules.swift`, next door. Products of tensors elementwise are `∘`, matrix products
/// are written side by side, `*` multiplies by a number; `Σ(…)` sums back down to the
/// input's shape (over a batch, where the input was broadcast).
public struct Notation {
    /// The inputs as users read them (names, or expressions in parentheses).
    public var inputs: [String]
    /// The node itself.
    public var output: String
    /// Per input: whether it holds one number.
    public var scalar: [Bool]
    /// Whether the node holds one number.
    public var outputScalar: Bool
    /// Per input: whether it has fewer elements than the node (it was broadcast).
    public var broadcast: [Bool]

    public init(inputs: [String], output: String, scalar: [Bool], outputScalar: Bool, broadcast: [Bool]) {
        self.inputs = inputs
        self.output = output
        self.scalar = scalar
        self.outputScalar = outputScalar
        self.broadcast = broadcast
    }

    /// In parentheses unless it is a name, a number, a call or already bracketed (or,
    /// with `sums` only, unless it has no sum or difference at its top level).
    public static func wrap(_ s: String, sums: Bool = false) -> String {
        var depth = 0
        for (i, c) in s.enumerated() {
            if c == "(" || c == "[" { depth += 1 }
            if c == ")" || c == "]" { depth -= 1 }
            if depth == 0, i > 0, (sums ? " +-−" : " +-−*/∘").contains(c) { return "(\(s))" }
        }
        return s
    }

    /// `a * b` when either is a number, `a ∘ b` for two tensors.
    static func times(_ a: String, _ aScalar: Bool, _ b: String, _ bScalar: Bool) -> String {
        aScalar || bScalar ? "\(wrap(a, sums: true))*\(wrap(b, sums: true))" : "\(wrap(a)) ∘ \(wrap(b))"
    }

    /// `−x`
    static func minus(_ s: String) -> String { "−" + wrap(s, sums: true) }

    /// ∂(u^v)/∂u as written: `2*u` for a square, `3*u^2`, `v*u^(v − 1)`.
    static func powerDerivative(_ u: String, _ v: String) -> String {
        guard let k = Double(v) else { return "\(wrap(v))*\(wrap(u))^(\(v) − 1)" }
        return k == 2 ? "2*\(wrap(u))" : "\(formatNumber(k))*\(wrap(u))^\(formatNumber(k - 1))"
    }

    /// The local derivative of an elementwise function at `u`, as the lecture writes it.
    static func derivative(_ f: UnaryFunction, _ u: String) -> String? {
        let w = wrap(u)
        switch f {
        case .exp: return "exp(\(u))"
        case .log: return "1/\(w)"
        case .sqrt: return "0.5/sqrt(\(u))"
        case .abs: return "sign(\(u))"
        case .sin: return "cos(\(u))"
        case .cos: return "−sin(\(u))"
        case .tan: return "1 + tan(\(u))^2"
        case .tanh: return "tanh'(\(u))"
        case .sigmoid: return "σ'(\(u))"
        case .relu: return "relu'(\(u))"
        case .softplus: return "σ(\(u))"
        case .step, .sign: return nil
        }
    }
}

extension Op {
    /// What the node's adjoint `zbar` sends back to input `slot` (nil: nothing, the
    /// derivative there is 0).
    public func adjointNotation(_ slot: Int, _ n: Notation, adjoint zbar: String) -> String? {
        let x = n.inputs
        let s = n.scalar
        func back(_ text: String) -> String {
            slot < n.broadcast.count && n.broadcast[slot] ? "Σ(\(text))" : text
        }
        switch self {
        case .add: return back(zbar)
        case .sub: return back(slot == 0 ? zbar : Notation.minus(zbar))
        case .mul: return back(Notation.times(zbar, n.outputScalar, x[1 - slot], s[1 - slot]))
        case .div, .xdivy:
            if slot == 0 { return back("\(Notation.wrap(zbar))/\(Notation.wrap(x[1]))") }
            return back(
                Notation.minus(Notation.times(zbar, n.outputScalar, n.output, n.outputScalar)) + "/" + Notation.wrap(x[1]))
        case .pow:
            if slot == 0 {
                return back(Notation.times(zbar, n.outputScalar, Notation.powerDerivative(x[0], x[1]), s[0] && s[1]))
            }
            return back(Notation.times(zbar, n.outputScalar, "\(Notation.wrap(n.output))*log(\(x[0]))", s[0] && s[1]))
        case .xlogy:
            if slot == 0 { return back(Notation.times(zbar, n.outputScalar, "log(\(x[1]))", s[1])) }
            return back(Notation.times(zbar, n.outputScalar, "\(Notation.wrap(x[0]))/\(Notation.wrap(x[1]))", s[0] && s[1]))
        case .neg: return Notation.minus(zbar)
        case .unary(let f):
            guard let d = Notation.derivative(f, x[0]) else { return nil }
            return Notation.times(d, s[0], zbar, n.outputScalar)
        case .matmul:
            return slot == 0 ? "\(Notation.wrap(zbar)) \(Notation.wrap(x[1]))ᵀ" : "\(Notation.wrap(x[0]))ᵀ \(Notation.wrap(zbar))"
        case .transpose: return "\(Notation.wrap(zbar))ᵀ"
        case .sum(let axis):
            return axis.map { "\(Notation.wrap(zbar)) copied along axis \($0)" }
                ?? "\(Notation.wrap(zbar)) copied to every element"
        case .mean(let axis):
            return axis.map { "\(Notation.wrap(zbar))/n copied along axis \($0) (n: its length)" }
                ?? "\(Notation.wrap(zbar))/n copied to every element (n: their number)"
        case .max: return "\(Notation.wrap(zbar)) to the first largest element of \(Notation.wrap(x[0])), 0 elsewhere"
        case .softmax:
            let z = n.output
            return "\(Notation.wrap(z)) ∘ (\(zbar) − Σ(\(Notation.wrap(zbar)) ∘ \(Notation.wrap(z))))"
        case .logSoftmax: return "\(zbar) − softmax(\(x[0])) ∘ Σ(\(zbar))"
        case .reshape, .reshapeLike, .promote, .matmulOutAsMatrix:
            return "\(Notation.wrap(zbar)) shaped like \(Notation.wrap(x[0]))"
        case .index:
            return "\(Notation.wrap(zbar)) at \(Notation.wrap(x[0]))[\(x.dropFirst().joined(separator: ", "))], 0 elsewhere"
        case .slice(let axes):
            return "\(Notation.wrap(zbar)) at \(Notation.wrap(x[0]))[\(axes.map(\.text).joined(separator: ", "))], 0 elsewhere"
        case .stack: return "\(Notation.wrap(zbar))[\(slot + 1)]"
        case .unbroadcast, .broadcastLike, .expandAxis, .sumKeep, .scatter, .unslice: return zbar
        case .compare, .approx, .zeros, .ones, .eye, .uniform, .normal, .argmaxMask, .countOf, .zerosLike, .onesLike,
            .seedOne, .argmax:
            return nil
        }
    }

    /// The node's tangent from its inputs' tangents `t` (by name; nil where zero), or nil
    /// when it is zero.
    public func tangentNotation(_ n: Notation, tangents t: [String?]) -> String? {
        let x = n.inputs
        let s = n.scalar
        func sum(_ terms: [String?]) -> String? {
            let present = terms.compactMap { $0 }
            guard let first = present.first else { return nil }
            return present.dropFirst().reduce(first) { a, b in
                b.hasPrefix("−") ? "\(a) − \(b.dropFirst())" : "\(a) + \(b)"
            }
        }
        switch self {
        case .add: return sum(t)
        case .sub: return sum([t[0], t[1].map { Notation.minus($0) }])
        case .mul:
            return sum([
                t[0].map { Notation.times($0, s[0], x[1], s[1]) }, t[1].map { Notation.times(x[0], s[0], $0, s[1]) },
            ])
        case .div, .xdivy:
            return sum([
                t[0].map { "\(Notation.wrap($0))/\(Notation.wrap(x[1]))" },
                t[1].map { Notation.minus(Notation.times(n.output, n.outputScalar, $0, s[1])) + "/" + Notation.wrap(x[1]) },
            ])
        case .pow:
            let d0 = Notation.powerDerivative(x[0], x[1])
            return sum([
                t[0].map { Notation.times(d0, s[0] && s[1], $0, s[0]) },
                t[1].map { Notation.times("\(Notation.wrap(n.output))*log(\(x[0]))", s[0] && s[1], $0, s[1]) },
            ])
        case .xlogy:
            return sum([
                t[0].map { Notation.times($0, s[0], "log(\(x[1]))", s[1]) },
                t[1].map { Notation.times("\(Notation.wrap(x[0]))/\(Notation.wrap(x[1]))", s[0] && s[1], $0, s[1]) },
            ])
        case .neg: return t[0].map { Notation.minus($0) }
        case .unary(let f):
            guard let t0 = t[0], let d = Notation.derivative(f, x[0]) else { return nil }
            return Notation.times(d, s[0], t0, s[0])
        case .matmul:
            return sum([
                t[0].map { "\(Notation.wrap($0)) \(Notation.wrap(x[1]))" },
                t[1].map { "\(Notation.wrap(x[0])) \(Notation.wrap($0))" },
            ])
        case .transpose: return t[0].map { "\(Notation.wrap($0))ᵀ" }
        case .sum, .mean, .max, .softmax, .logSoftmax, .reshape, .argmax:
            guard let t0 = t[0] else { return nil }
            switch self {
            case .max: return "\(Notation.wrap(t0)) at the first largest element of \(Notation.wrap(x[0]))"
            case .softmax: return "\(Notation.wrap(n.output)) ∘ (\(t0) − Σ(\(Notation.wrap(n.output)) ∘ \(Notation.wrap(t0))))"
            case .logSoftmax: return "\(t0) − Σ(softmax(\(x[0])) ∘ \(Notation.wrap(t0)))"
            default: return "\(name)(\(t0))"
            }
        case .index: return t[0].map { "\(Notation.wrap($0))[\(x.dropFirst().joined(separator: ", "))]" }
        case .slice(let axes): return t[0].map { "\(Notation.wrap($0))[\(axes.map(\.text).joined(separator: ", "))]" }
        case .stack:
            guard t.contains(where: { $0 != nil }) else { return nil }
            return "[" + t.map { $0 ?? "0" }.joined(separator: ", ") + "]"
        case .unbroadcast, .broadcastLike, .expandAxis, .sumKeep, .reshapeLike, .promote, .matmulOutAsMatrix, .scatter,
            .unslice:
            return t[0]
        case .compare, .approx, .zeros, .ones, .eye, .uniform, .normal, .argmaxMask, .countOf, .zerosLike, .onesLike,
            .seedOne:
            return nil
        }
    }
}

extension Builtin {
    /// What a built-in made of several ops sends back to argument `slot`, as the lecture
    /// writes it: `cross_entropy(label, p)` gives p̄ = −z̄ ∘ label/p.
    public func adjointNotation(_ slot: Int, _ n: Notation, adjoint zbar: String) -> String? {
        let x = n.inputs
        let s = n.scalar
        switch self {
        case .dot: return Notation.times(zbar, true, x[1 - slot], s[1 - slot])
        case .crossEntropy:
            if slot == 0 { return Notation.minus(Notation.times(zbar, n.outputScalar, "log(\(x[1]))", s[1])) }
            return Notation.minus(
                Notation.times(zbar, n.outputScalar, "\(Notation.wrap(x[0]))/\(Notation.wrap(x[1]))", s[0] && s[1]))
        case .mse:
            let d = "2*(\(x[0]) − \(x[1]))/n"
            return slot == 0
                ? Notation.times(zbar, true, d, s[0] && s[1]) : Notation.minus(Notation.times(zbar, true, d, s[0] && s[1]))
        default: return nil
        }
    }

    /// The tangent of a built-in made of several ops from its arguments' tangents.
    public func tangentNotation(_ n: Notation, tangents t: [String?]) -> String? {
        let x = n.inputs
        let s = n.scalar
        func join(_ a: String?, _ b: String?) -> String? {
            switch (a, b) {
            case (nil, nil): return nil
            case (let a?, nil): return a
            case (nil, let b?): return b
            case (let a?, let b?): return b.hasPrefix("−") ? "\(a) − \(b.dropFirst())" : "\(a) + \(b)"
            }
        }
        switch self {
        case .dot:
            return join(
                t[0].map { "Σ(\(Notation.times($0, s[0], x[1], s[1])))" },
                t[1].map { "Σ(\(Notation.times(x[0], s[0], $0, s[1])))" })
        case .crossEntropy:
            return join(
                t[0].map { "−Σ(\(Notation.times($0, s[0], "log(\(x[1]))", s[1])))" },
                t[1].map { "−Σ(\(Notation.times("\(Notation.wrap(x[0]))/\(Notation.wrap(x[1]))", s[0] && s[1], $0, s[1])))" })
        case .mse:
            let d = "2*(\(x[0]) − \(x[1]))/n"
            return join(
                t[0].map { "Σ(\(Notation.times(d, s[0] && s[1], $0, s[0])))" },
                t[1].map { "−Σ(\(Notation.times(d, s[0] && s[1], $0, s[1])))" })
        default: return nil
        }
    }
}
