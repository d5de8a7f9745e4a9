/// Derivative rules. Each op's rules take the forward output (`exp' = out`,
/// `σ' = out·(1 − out)`, `tanh' = 1 − out²`), and the choices at kinks and ties are
/// stated at the rule and pinned by tests.
///
/// Tangents (forward mode) may have any shape that broadcasts to their primal's shape
/// (so a scalar 1 seeds an elementwise chain without `ones_like` nodes); rules that are
/// not elementwise widen them with `broadcast_like` first. Cotangents (reverse mode)
/// always have the output's shape.
extension Op {
    /// Whether the op has a derivative at all (comparisons, generators and masks do not).
    public var isDifferentiable: Bool {
        switch self {
        case .compare, .approx, .zeros, .ones, .eye, .uniform, .normal, .argmaxMask, .countOf, .zerosLike,
            .onesLike, .seedOne, .argmax:
            return false
        case .unary(let f): return f != .step && f != .sign
        case .add, .sub, .mul, .div, .pow, .neg, .xlogy, .xdivy, .matmul, .transpose, .sum, .mean, .max, .softmax,
            .logSoftmax, .reshape, .index, .stack, .unbroadcast, .broadcastLike, .expandAxis, .sumKeep, .reshapeLike,
            .promote, .matmulOutAsMatrix, .scatter, .slice, .unslice:
            return true
        }
    }

    /// Whether input `i` carries a derivative (positions, shapes-only and index inputs
    /// do not). Sweeps ask this for every edge, so it builds no array.
    @inline(__always)
    public func isDifferentiableInput(_ i: Int) -> Bool {
        guard isDifferentiable else { return false }
        switch self {
        case .index, .scatter, .unbroadcast, .broadcastLike, .expandAxis, .reshapeLike, .matmulOutAsMatrix, .unslice:
            return i == 0
        default: return true
        }
    }

    /// Whether input `i` is an edge of the graph that a path can follow: one that carries
    /// a derivative, or any input of an op with no derivative at all (step, sign, a
    /// comparison), whose partial is 0. Positions and shapes are not.
    @inline(__always)
    public func carriesDependence(_ i: Int) -> Bool { !isDifferentiable || isDifferentiableInput(i) }

    /// f'(x) for an elementwise function, from its input x and output y = f(x).
    /// - exp' = y; log' = 1/x; sqrt' = 0.5/y; sin' = cos x; cos' = −sin x; tan' = 1 + y²;
    ///   tanh' = 1 − y²; σ' = y·(1 − y); softplus' = σ(x).
    /// - abs' = sign(x), so abs'(0) = 0; relu' = step(x), so relu'(0) = 0.
    /// - step and sign have derivative 0 (nil).
    static func unaryDerivative<A: Algebra>(_ f: UnaryFunction, _ a: inout A, x: A.T, y: A.T) throws -> A.T? {
        switch f {
        case .exp: return y
        case .log: return try a.div(a.literal(1), x)
        case .sqrt: return try a.div(a.literal(0.5), y)
        case .abs: return try a.apply(.unary(.sign), [x])
        case .sin: return try a.apply(.unary(.cos), [x])
        case .cos: return try a.neg(a.apply(.unary(.sin), [x]))
        case .tan: return try a.add(a.literal(1), a.mul(y, y))
        case .tanh: return try a.sub(a.literal(1), a.mul(y, y))
        case .sigmoid: return try a.mul(y, a.sub(a.literal(1), y))
        case .relu: return try a.apply(.unary(.step), [x])
        case .softplus: return try a.apply(.unary(.sigmoid), [x])
        case .step, .sign: return nil
        }
    }

    // MARK: - Reverse mode

    /// Vector-Jacobian product: given ȳ = ∂L/∂y, the contributions ∂L/∂xᵢ for the inputs
    /// in `wants` (nil where zero or not wanted).
    public func vjp<A: Algebra>(_ a: inout A, _ x: [A.T], _ y: A.T, _ g: A.T, wants: [Bool]) throws -> [A.T?] {
        var out = [A.T?](repeating: nil, count: x.count)
        func want(_ i: Int) -> Bool { i < wants.count && wants[i] }
        switch self {
        case .add:
            if want(0) { out[0] = try a.apply(.unbroadcast, [g, x[0]]) }
            if want(1) { out[1] = try a.apply(.unbroadcast, [g, x[1]]) }
        case .sub:
            if want(0) { out[0] = try a.apply(.unbroadcast, [g, x[0]]) }
            if want(1) { out[1] = try a.apply(.unbroadcast, [a.neg(g), x[1]]) }
        case .mul:
            // Bilinear: ∂(uv)/∂u = v, ∂(uv)/∂v = u, summed back over broadcasting.
            out = try Op.bilinearVJP(&a, x, wants) { a, slot, other in
                try a.apply(.unbroadcast, [a.mul(g, other), x[slot]])
            }
        case .div, .xdivy:
            // ∂(u/v)/∂u = 1/v; ∂(u/v)/∂v = −u/v² = −y/v (xdivy: the same, with 0/0 = 0).
            if want(0) { out[0] = try a.apply(.unbroadcast, [a.div(g, x[1]), x[0]]) }
            if want(1) { out[1] = try a.apply(.unbroadcast, [a.neg(a.div(a.mul(g, y), x[1])), x[1]]) }
        case .pow:
            // ∂(u^v)/∂u = v·u^(v−1); ∂(u^v)/∂v = u^v·log u (asked only when v varies).
            if want(0) {
                let d = try a.mul(x[1], a.apply(.pow, [x[0], a.sub(x[1], a.literal(1))]))
                out[0] = try a.apply(.unbroadcast, [a.mul(g, d), x[0]])
            }
            if want(1) {
                let d = try a.mul(y, a.apply(.unary(.log), [x[0]]))
                out[1] = try a.apply(.unbroadcast, [a.mul(g, d), x[1]])
            }
        case .xlogy:
            // ∂(x log y)/∂x = log y; ∂(x log y)/∂y = x/y (0 where x = 0).
            if want(0) { out[0] = try a.apply(.unbroadcast, [a.mul(g, a.apply(.unary(.log), [x[1]])), x[0]]) }
            if want(1) { out[1] = try a.apply(.unbroadcast, [a.mul(g, a.apply(.xdivy, [x[0], x[1]])), x[1]]) }
        case .neg:
            out[0] = try a.neg(g)
        case .unary(let f):
            if let d = try Op.unaryDerivative(f, &a, x: x[0], y: y) { out[0] = try a.mul(g, d) }
        case .matmul:
            // Y = A @ B: Ā = Ȳ @ Bᵀ, B̄ = Aᵀ @ Ȳ, computed on matrices (a vector becomes a
            // row on the left, a column on the right, as in the forward product).
            let g2 = try a.apply(.matmulOutAsMatrix, [g, x[0], x[1]])
            out = try Op.bilinearVJP(&a, x, wants) { a, slot, other in
                let o = try a.apply(.transpose, [a.apply(.promote(row: slot == 1), [other])])
                let back = try slot == 0 ? a.apply(.matmul, [g2, o]) : a.apply(.matmul, [o, g2])
                return try a.apply(.reshapeLike, [back, x[slot]])
            }
        case .transpose:
            out[0] = try a.apply(.transpose, [g])
        case .sum(let axis):
            out[0] = try axis.map { try a.apply(.expandAxis($0), [g, x[0]]) } ?? a.apply(.broadcastLike, [g, x[0]])
        case .mean(let axis):
            let spread = try axis.map { try a.apply(.expandAxis($0), [g, x[0]]) } ?? a.apply(.broadcastLike, [g, x[0]])
            out[0] = try a.div(spread, a.apply(.countOf(axis: axis), [x[0]]))
        case .max(let axis):
            // The gradient goes to the first maximal element (ties: the first one).
            let spread = try axis.map { try a.apply(.expandAxis($0), [g, x[0]]) } ?? a.apply(.broadcastLike, [g, x[0]])
            out[0] = try a.mul(a.apply(.argmaxMask(axis: axis), [x[0]]), spread)
        case .softmax(let axis):
            // x̄ = y ⊙ (ȳ − ⟨ȳ, y⟩) along the axis.
            out[0] = try a.mul(y, a.sub(g, a.apply(.sumKeep(axis: axis), [a.mul(g, y)])))
        case .logSoftmax(let axis):
            // x̄ = ȳ − exp(y)·Σȳ along the axis.
            out[0] = try a.sub(g, a.mul(a.apply(.unary(.exp), [y]), a.apply(.sumKeep(axis: axis), [g])))
        case .reshape, .reshapeLike, .promote, .matmulOutAsMatrix:
            out[0] = try a.apply(.reshapeLike, [g, x[0]])
        case .index:
            out[0] = try a.apply(.scatter, [g, x[0]] + x.dropFirst())
        case .scatter:
            out[0] = try a.apply(.index, [g] + x.dropFirst(2))
        case .slice(let axes):
            // The slice's elements get ȳ back, the others 0.
            out[0] = try a.apply(.unslice(axes), [g, x[0]])
        case .unslice(let axes):
            out[0] = try a.apply(.slice(axes), [g])
        case .stack:
            for i in x.indices where want(i) { out[i] = try a.apply(.index, [g, a.literal(Double(i + 1))]) }
        case .unbroadcast:
            out[0] = try a.apply(.broadcastLike, [g, x[0]])
        case .broadcastLike:
            out[0] = try a.apply(.unbroadcast, [g, x[0]])
        case .expandAxis(let k):
            out[0] = try a.apply(.sum(axis: k), [g])
        case .sumKeep:
            out[0] = try a.apply(.broadcastLike, [g, x[0]])
        case .compare, .approx, .zeros, .ones, .eye, .uniform, .normal, .argmaxMask, .countOf, .zerosLike,
            .onesLike, .seedOne, .argmax:
            break
        }
        return out
    }

    // MARK: - Forward mode

    /// Jacobian-vector product: the output's tangent from the inputs' tangents (nil: zero).
    public func jvp<A: Algebra>(_ a: inout A, _ x: [A.T], _ y: A.T, _ t: [A.T?]) throws -> A.T? {
        func full(_ i: Int) throws -> A.T? {
            guard let ti = t[i] else { return nil }
            return try a.apply(.broadcastLike, [ti, x[i]])
        }
        switch self {
        case .add: return try a.add(t[0], t[1])
        case .sub:
            if let t1 = t[1] { return try t[0].map { try a.sub($0, t1) } ?? a.neg(t1) }
            return t[0]
        case .mul:
            return try Op.bilinearJVP(&a, x, t) { a, u, v in try a.mul(u, v) }
        case .div, .xdivy:
            let d0 = try t[0].map { try a.div($0, x[1]) }
            let d1 = try t[1].map { try a.neg(a.div(a.mul($0, y), x[1])) }
            return try a.add(d0, d1)
        case .pow:
            let d0 = try t[0].map { try a.mul($0, a.mul(x[1], a.apply(.pow, [x[0], a.sub(x[1], a.literal(1))]))) }
            let d1 = try t[1].map { try a.mul($0, a.mul(y, a.apply(.unary(.log), [x[0]]))) }
            return try a.add(d0, d1)
        case .xlogy:
            let d0 = try t[0].map { try a.mul($0, a.apply(.unary(.log), [x[1]])) }
            let d1 = try t[1].map { try a.mul($0, a.apply(.xdivy, [x[0], x[1]])) }
            return try a.add(d0, d1)
        case .unary(let f):
            guard let t0 = t[0], let d = try Op.unaryDerivative(f, &a, x: x[0], y: y) else { return nil }
            return try a.mul(t0, d)
        case .matmul:
            return try Op.bilinearJVP(&a, x, [full(0), full(1)]) { a, u, v in try a.apply(.matmul, [u, v]) }
        case .neg, .sum, .mean, .reshape, .transpose, .sumKeep, .promote, .index, .scatter, .unbroadcast, .broadcastLike,
            .expandAxis, .reshapeLike, .matmulOutAsMatrix, .slice, .unslice:
            return try linearJVP(&a, x, t)
        case .max(let axis):
            guard let t0 = try full(0) else { return nil }
            return try a.apply(.sum(axis: axis), [a.mul(a.apply(.argmaxMask(axis: axis), [x[0]]), t0)])
        case .softmax(let axis):
            guard let t0 = try full(0) else { return nil }
            return try a.mul(y, a.sub(t0, a.apply(.sumKeep(axis: axis), [a.mul(t0, y)])))
        case .logSoftmax(let axis):
            guard let t0 = try full(0) else { return nil }
            return try a.sub(t0, a.apply(.sumKeep(axis: axis), [a.mul(a.apply(.unary(.exp), [y]), t0)]))
        case .stack:
            guard t.contains(where: { $0 != nil }) else { return nil }
            var parts: [A.T] = []
            for i in x.indices {
                parts.append(try full(i) ?? a.apply(.zerosLike, [x[i]]))
            }
            return try a.apply(.stack, parts)
        case .compare, .approx, .zeros, .ones, .eye, .uniform, .normal, .argmaxMask, .countOf, .zerosLike,
            .onesLike, .seedOne, .argmax:
            return nil
        }
    }
}

// MARK: - Rule builders

extension Op {
    /// Forward rule of a bilinear op P(u, v) (mul, matmul): Ṗ = P(u̇, v) + P(u, v̇).
    static func bilinearJVP<A: Algebra>(
        _ a: inout A, _ x: [A.T], _ t: [A.T?], _ product: (inout A, A.T, A.T) throws -> A.T
    ) throws -> A.T? {
        let d0 = try t[0].map { try product(&a, $0, x[1]) }
        let d1 = try t[1].map { try product(&a, x[0], $0) }
        return try a.add(d0, d1)
    }

    /// Reverse rule of a bilinear op: ȳ goes back to each wanted argument through the
    /// transposed map of the product with the other argument held (`back(slot, other)`).
    static func bilinearVJP<A: Algebra>(
        _ a: inout A, _ x: [A.T], _ wants: [Bool], _ back: (inout A, Int, A.T) throws -> A.T
    ) throws -> [A.T?] {
        var out = [A.T?](repeating: nil, count: x.count)
        for slot in 0..<2 where slot < wants.count && wants[slot] { out[slot] = try back(&a, slot, x[1 - slot]) }
        return out
    }

    /// Forward rule of an op linear in its first input (neg, transpose, sum, mean,
    /// reshape, indexing, the shape helpers): L̇ = L(u̇), the tangent first widened to the
    /// input's shape unless the op is elementwise. Its other inputs (positions, shapes)
    /// carry no derivative.
    func linearJVP<A: Algebra>(_ a: inout A, _ x: [A.T], _ t: [A.T?]) throws -> A.T? {
        guard let t0 = t[0] else { return nil }
        if case .neg = self { return try a.neg(t0) }
        let full = try a.apply(.broadcastLike, [t0, x[0]])
        return try a.apply(self, [full] + x.dropFirst())
    }
}
