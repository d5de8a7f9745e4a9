/// Many sweeps at once: a Jacobian needs one reverse pass per output element (or one
/// forward pass per input element), and each pass recomputes the same products of
/// forward values (`1 − y²`, `Aᵀ`) before applying them to its own seed. Here the
/// cotangents (or tangents) of a batch of passes travel together, with a leading batch
/// axis; what depends only on forward values is computed once, and a product of a
/// forward matrix with the batch is one large matrix product instead of one per pass.
///
/// Every op on a batch is the same op applied to each pass's slice, as the pass would
/// apply it, except the matrix product, which multiplies the same rows and columns in the
/// same order as one pass does, with OpenBLAS only where one pass would use it: so a
/// Jacobian comes out bit for bit as the passes give it where their products are below
/// OpenBLAS's size, and to rounding above it (OpenBLAS blocks a product by its shape,
/// and the batch's has more columns than a pass's). Numbers only: symbols go pass by
/// pass.
struct BatchAlgebra: Algebra {
    /// A batch of `batch` tensors of one shape, stored one after the other.
    struct Batch {
        var batch: Int
        var shape: [Int]
        var data: [Double]
        var itemCount: Int { data.count / Swift.max(1, batch) }

        func item(_ b: Int) -> Value {
            let n = itemCount
            return .num(Tensor(shape: shape, data: Array(data[(b * n)..<((b + 1) * n)])))
        }
    }

    enum T {
        case plain(Value)
        case batched(Batch)
    }

    /// What the batch cannot do (a symbol); the caller goes pass by pass.
    struct Unsupported: Error {}

    let batch: Int

    mutating func apply(_ op: Op, _ args: [T]) throws -> T {
        var plain: [Value] = []
        plain.reserveCapacity(args.count)
        for a in args {
            guard case .plain(let v) = a else { break }
            plain.append(v)
        }
        if plain.count == args.count {
            var v = ValueAlgebra()
            return .plain(try v.apply(op, plain))
        }
        if case .matmul = op, let r = try product(args) { return .batched(r) }
        if let r = elementwise(op, args) { return .batched(r) }
        var out: [Double] = []
        var shape: [Int]?
        for b in 0..<batch {
            let slice = args.map { a -> Value in
                switch a {
                case .plain(let v): return v
                case .batched(let t): return t.item(b)
                }
            }
            var v = ValueAlgebra()
            let r = try v.apply(op, slice)
            guard let t = r.numeric, !r.isSymbolic else { throw Unsupported() }
            if let s = shape {
                guard s == t.shape else { throw Unsupported() }
            } else {
                shape = t.shape
                out.reserveCapacity(batch * t.count)
            }
            out.append(contentsOf: t.data)
        }
        return .batched(Batch(batch: batch, shape: shape ?? [], data: out))
    }

    /// The common elementwise cases in one loop over the whole batch: a shape helper whose
    /// target has the items' shape (the item itself, as `ValueAlgebra` gives it), and
    /// + − × ÷ between a batch and a forward value of the items' shape or a scalar, or
    /// two batches of one shape. The same operation on the same numbers, element by
    /// element, as each pass does; nil for anything else.
    func elementwise(_ op: Op, _ args: [T]) -> Batch? {
        switch op {
        case .unbroadcast, .broadcastLike, .reshapeLike:
            guard args.count == 2, case .batched(let g) = args[0] else { return nil }
            switch args[1] {
            case .plain(let v) where v.shape == g.shape: return g
            case .batched(let t) where t.shape == g.shape: return g
            default: return nil
            }
        case .add, .sub, .mul, .div:
            guard args.count == 2 else { return nil }
            let f: (Double, Double) -> Double
            switch op {
            case .add: f = (+)
            case .sub: f = (-)
            case .mul: f = (*)
            default: f = (/)
            }
            /// The numbers of a forward value usable against items of `shape`: one per
            /// element, or a single one for a scalar.
            func operand(_ v: Value, _ shape: [Int]) -> [Double]? {
                if case .number(let x) = v { return [x] }
                guard case .num(let t) = v, t.shape == shape || t.shape.isEmpty else { return nil }
                return t.data
            }
            switch (args[0], args[1]) {
            case (.batched(let a), .batched(let b)) where a.shape == b.shape:
                var out = a.data
                for i in out.indices { out[i] = f(a.data[i], b.data[i]) }
                return Batch(batch: batch, shape: a.shape, data: out)
            case (.batched(let a), .plain(let v)):
                guard let q = operand(v, a.shape) else { return nil }
                var out = a.data
                let n = q.count
                for i in out.indices { out[i] = f(a.data[i], q[n == 1 ? 0 : i % n]) }
                return Batch(batch: batch, shape: a.shape, data: out)
            case (.plain(let v), .batched(let b)):
                guard let p = operand(v, b.shape) else { return nil }
                var out = b.data
                let n = p.count
                for i in out.indices { out[i] = f(p[n == 1 ? 0 : i % n], b.data[i]) }
                return Batch(batch: batch, shape: b.shape, data: out)
            default:
                return nil
            }
        default:
            return nil
        }
    }

    /// A forward matrix times a batch of matrices, or a batch of matrices times a forward
    /// matrix, as one product; nil for other ranks.
    func product(_ args: [T]) throws -> Batch? {
        guard args.count == 2 else { return nil }
        switch (args[0], args[1]) {
        case (.batched(let g), .plain(let o)):
            // Each G_b (p×q) @ O (q×r): the batch is a (B·p)×q matrix, row after row.
            guard g.shape.count == 2, let ot = o.numeric, !o.isSymbolic, ot.rank == 2, ot.shape[0] == g.shape[1] else {
                return nil
            }
            let (p, q, r) = (g.shape[0], g.shape[1], ot.shape[1])
            let c = try product(g.data, ot.data, batch * p, q, r, onePass: p * q * r)
            return Batch(batch: batch, shape: [p, r], data: c)
        case (.plain(let o), .batched(let g)):
            // O (p×q) @ each G_b (q×r): O @ [G_0 | G_1 | …] (q × B·r), then the columns of
            // each pass back in its place.
            guard g.shape.count == 2, let ot = o.numeric, !o.isSymbolic, ot.rank == 2, ot.shape[1] == g.shape[0] else {
                return nil
            }
            let (p, q, r) = (ot.shape[0], g.shape[0], g.shape[1])
            let wide = batch * r
            var x = [Double](repeating: 0, count: q * wide)
            for b in 0..<batch {
                for k in 0..<q {
                    for j in 0..<r { x[k * wide + b * r + j] = g.data[(b * q + k) * r + j] }
                }
            }
            let c = try product(ot.data, x, p, q, wide, onePass: p * q * r)
            var out = [Double](repeating: 0, count: batch * p * r)
            for b in 0..<batch {
                for i in 0..<p {
                    for j in 0..<r { out[(b * p + i) * r + j] = c[i * wide + b * r + j] }
                }
            }
            return Batch(batch: batch, shape: [p, r], data: out)
        default:
            return nil
        }
    }

    /// The product as one pass would compute it: OpenBLAS only where one pass's product
    /// would go to it too, the exact loop otherwise (which gives the passes' bits).
    func product(_ a: [Double], _ b: [Double], _ m: Int, _ k: Int, _ n: Int, onePass: Int) throws -> [Double] {
        onePass >= blasThreshold ? try matmulDouble(a, b, m, k, n) : try matmulLoop(a, b, m, k, n)
    }

    func literal(_ x: Double) -> T { .plain(.scalar(x)) }

    func isLiteral(_ t: T, _ x: Double) -> Bool {
        if case .plain(let v) = t { return Op.inlineNumber(v) == x }
        return false
    }
}

extension Evaluator {
    /// The Jacobian's elements (rows: the output's elements, columns: the inputs'), by
    /// batches of passes (`BatchAlgebra`); nil when a value is symbolic or an op cannot be
    /// batched, for the caller to go pass by pass.
    static func batchedJacobian(
        graph: Graph, order: [Int], y: Int, xs: [Int], values: NodeMap<Value>, yValue: Value, xValues: [Value],
        deps: [NodeMap<Bool>], depAny: NodeMap<Bool>, reverse: Bool, interrupted: () -> Bool
    ) throws -> (grid: [Double], rules: Int)? {
        // What one pass holds: a cotangent (or tangent) for every node it reaches.
        var perPass = 1
        for n in order {
            guard let v = values[n], !v.isSymbolic else { return nil }
            if depAny[n] == true { perPass += v.count }
        }
        let m = yValue.count
        let nIn = xValues.reduce(0) { $0 + $1.count }
        var grid = [Double](repeating: 0, count: m * nIn)
        var rules = 0
        // Batches of at most about 8 million numbers held at once (64 MB).
        let size = Swift.max(1, 8_000_000 / perPass)
        let value: (Int) -> BatchAlgebra.T = { .plain(values[$0] ?? .scalar(.nan)) }
        func items(_ t: BatchAlgebra.T?, count: Int, like shape: Value) throws -> [[Double]]? {
            guard let t else { return nil }
            switch t {
            case .plain(let v):
                let full = try Op.broadcastLike.evaluate([v, shape])
                guard let d = full.numeric?.data else { throw BatchAlgebra.Unsupported() }
                return Array(repeating: d, count: count)
            case .batched(let b):
                return try (0..<count).map { k in
                    let full = try Op.broadcastLike.evaluate([b.item(k), shape])
                    guard let d = full.numeric?.data else { throw BatchAlgebra.Unsupported() }
                    return d
                }
            }
        }
        do {
            if reverse {
                var i0 = 0
                while i0 < m {
                    if interrupted() { throw Interrupted() }
                    let count = Swift.min(size, m - i0)
                    var seed = [Double](repeating: 0, count: count * m)
                    for b in 0..<count { seed[b * m + i0 + b] = 1 }
                    var a = BatchAlgebra(batch: count)
                    let (adj, r) = try Sweeps.reverse(
                        &a, graph: graph, order: order, value: value, output: y,
                        seed: .batched(.init(batch: count, shape: yValue.shape, data: seed)), dep: depAny)
                    rules += r * count
                    var col = 0
                    for (x, xv) in zip(xs, xValues) {
                        if let rows = try items(adj[x], count: count, like: xv) {
                            for b in 0..<count {
                                for k in 0..<xv.count { grid[(i0 + b) * nIn + col + k] = rows[b][k] }
                            }
                        }
                        col += xv.count
                    }
                    i0 += count
                }
            } else {
                var col = 0
                for (xi, x) in xs.enumerated() {
                    let xv = xValues[xi]
                    var j0 = 0
                    while j0 < xv.count {
                        if interrupted() { throw Interrupted() }
                        let count = Swift.min(size, xv.count - j0)
                        var seed = [Double](repeating: 0, count: count * xv.count)
                        for b in 0..<count { seed[b * xv.count + j0 + b] = 1 }
                        var a = BatchAlgebra(batch: count)
                        let (tan, r) = try Sweeps.forward(
                            &a, graph: graph, order: order, value: value, input: x,
                            seed: .batched(.init(batch: count, shape: xv.shape, data: seed)), dep: deps[xi])
                        rules += r * count
                        if let cols = try items(tan[y], count: count, like: yValue) {
                            for b in 0..<count {
                                for i in 0..<m { grid[i * nIn + col + j0 + b] = cols[b][i] }
                            }
                        }
                        j0 += count
                    }
                    col += xv.count
                }
            }
        } catch is BatchAlgebra.Unsupported {
            return nil
        }
        return (grid, rules)
    }
}
