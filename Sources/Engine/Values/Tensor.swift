import CSystem

/// A dense tensor of any rank, row-major. Rank 0 (shape `[]`) is a scalar.
public struct Tensor<T: Scalar>: Sendable, Equatable {
    public var shape: [Int]
    public var data: [T]

    /// The largest number of elements a tensor may hold (about 800 MB of doubles).
    public static var maxElements: Int { TensorLimit.elements }

    public init(shape: [Int], data: [T]) {
        self.shape = shape
        self.data = data
    }

    public init(_ x: T) {
        self.shape = []
        self.data = [x]
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// Element count of a shape, checked for overflow and against the element budget
    /// before anything is allocated.
    public static func checkedCount(_ shape: [Int]) throws -> Int {
        var n = 1
        for d in shape {
            if d < 0 { throw EvalError("a shape cannot have a negative size (\(shapeText(shape)))") }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow || p > maxElements {
                throw EvalError(
                    "tensor of shape \(shapeText(shape)) is too large (the limit is \(maxElements) elements)")
            }
            n = p
        }
        return n
    }

    public static func filled(_ shape: [Int], _ x: T) throws -> Tensor {
        Tensor(shape: shape, data: [T](repeating: x, count: try checkedCount(shape)))
    }

    /// Row-major strides.
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }

    public func map<U: Scalar>(_ f: (T) -> U) -> Tensor<U> { Tensor<U>(shape: shape, data: data.map(f)) }

    // MARK: - Broadcasting

    /// The NumPy broadcast of two shapes.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let n = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            if da == db || db == 1 {
                out[i] = da
            } else if da == 1 {
                out[i] = db
            } else {
                throw EvalError(
                    "shapes \(shapeText(a)) and \(shapeText(b)) do not broadcast",
                    notes: ["hint: sizes must match, or be 1, axis by axis from the right"])
            }
        }
        return out
    }

    /// For each element of the broadcast shape `out`, the index into a tensor of `shape`.
    static func broadcastIndices(from shape: [Int], to out: [Int]) -> [Int] {
        let total = out.reduce(1, *)
        let pad = out.count - shape.count
        let srcStrides = strides(shape)
        var eff = [Int](repeating: 0, count: out.count)
        for i in 0..<shape.count where shape[i] != 1 { eff[i + pad] = srcStrides[i] }
        var idx = [Int](repeating: 0, count: total)
        var counter = [Int](repeating: 0, count: out.count)
        var offset = 0
        for k in 0..<total {
            idx[k] = offset
            var axis = out.count - 1
            while axis >= 0 {
                counter[axis] += 1
                offset += eff[axis]
                if counter[axis] < out[axis] { break }
                offset -= eff[axis] * counter[axis]
                counter[axis] = 0
                axis -= 1
            }
        }
        return idx
    }

    /// Elementwise combination with broadcasting.
    public static func zip<U: Scalar, V: Scalar>(_ a: Tensor<T>, _ b: Tensor<U>, _ f: (T, U) -> V) throws -> Tensor<V> {
        if a.shape == b.shape {
            var out = [V]()
            out.reserveCapacity(a.count)
            for i in 0..<a.count { out.append(f(a.data[i], b.data[i])) }
            return Tensor<V>(shape: a.shape, data: out)
        }
        if b.count == 1 && b.rank <= a.rank {
            let y = b.data[0]
            return Tensor<V>(shape: a.shape, data: a.data.map { f($0, y) })
        }
        if a.count == 1 && a.rank <= b.rank {
            let x = a.data[0]
            return Tensor<V>(shape: b.shape, data: b.data.map { f(x, $0) })
        }
        // One shape the end of the other (a bias added to every row): it repeats every
        // `count` elements, the pairs broadcasting makes, without index arrays.
        if b.rank < a.rank, !b.shape.isEmpty, a.shape.suffix(b.rank).elementsEqual(b.shape) {
            let n = b.count
            var out = [V]()
            out.reserveCapacity(a.count)
            for i in 0..<a.count { out.append(f(a.data[i], b.data[i % n])) }
            return Tensor<V>(shape: a.shape, data: out)
        }
        if a.rank < b.rank, !a.shape.isEmpty, b.shape.suffix(a.rank).elementsEqual(a.shape) {
            let n = a.count
            var out = [V]()
            out.reserveCapacity(b.count)
            for i in 0..<b.count { out.append(f(a.data[i % n], b.data[i])) }
            return Tensor<V>(shape: b.shape, data: out)
        }
        let shape = try broadcastShape(a.shape, b.shape)
        _ = try checkedCount(shape)
        let ia = broadcastIndices(from: a.shape, to: shape)
        let ib = broadcastIndices(from: b.shape, to: shape)
        var out = [V]()
        out.reserveCapacity(ia.count)
        for k in 0..<ia.count { out.append(f(a.data[ia[k]], b.data[ib[k]])) }
        return Tensor<V>(shape: shape, data: out)
    }

    /// Expands to a broadcast-compatible larger shape.
    public func broadcast(to out: [Int]) throws -> Tensor {
        if shape == out { return self }
        let s = try Tensor.broadcastShape(shape, out)
        guard s == out else {
            throw EvalError("cannot broadcast shape \(shapeText(shape)) to \(shapeText(out))")
        }
        _ = try Tensor.checkedCount(out)
        if rank < out.count, !shape.isEmpty, out.suffix(rank).elementsEqual(shape) {
            let total = out.reduce(1, *)
            let n = count
            return Tensor(shape: out, data: (0..<total).map { data[$0 % n] })
        }
        let idx = Tensor.broadcastIndices(from: shape, to: out)
        return Tensor(shape: out, data: idx.map { data[$0] })
    }

    /// Sums a broadcast result back down to `target` (the adjoint of broadcasting).
    public func unbroadcast(to target: [Int]) throws -> Tensor {
        if shape == target { return self }
        if target.count < rank, !target.isEmpty, shape.suffix(target.count).elementsEqual(target) {
            // Sums of every `n`-th element, added in the order the general loop adds them.
            let n = target.reduce(1, *)
            guard n > 0 else { return Tensor(shape: target, data: []) }
            var acc = Array(data[0..<Swift.min(n, count)])
            var k = n
            while k < count {
                acc[k % n] = acc[k % n] + data[k]
                k += 1
            }
            if acc.count < n { acc += [T](repeating: T(constant: 0), count: n - acc.count) }
            return Tensor(shape: target, data: acc)
        }
        let idx = Tensor.broadcastIndices(from: target, to: shape)
        let n = try Tensor.checkedCount(target)
        var acc = [T?](repeating: nil, count: n)
        for k in 0..<idx.count {
            let j = idx[k]
            acc[j] = acc[j].map { $0 + data[k] } ?? data[k]
        }
        return Tensor(shape: target, data: acc.map { $0 ?? T(constant: 0) })
    }

    // MARK: - Reductions

    /// Reduce along a 0-based axis, or over everything when `axis` is nil.
    public func reduce(axis: Int?, _ combine: (T, T) -> T) -> Tensor {
        guard let axis else {
            var acc = data[0]
            for x in data.dropFirst() { acc = combine(acc, x) }
            return Tensor(acc)
        }
        let outer = shape[..<axis].reduce(1, *)
        let n = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        var outShape = shape
        outShape.remove(at: axis)
        var out = [T]()
        out.reserveCapacity(outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                var acc = data[o * n * inner + i]
                for k in 1..<Swift.max(1, n) { acc = combine(acc, data[(o * n + k) * inner + i]) }
                out.append(acc)
            }
        }
        return Tensor(shape: outShape, data: out)
    }

    // MARK: - Structure

    public func transposed() -> Tensor {
        guard rank == 2 else { return self }
        let (m, n) = (shape[0], shape[1])
        // In tiles of 16 × 16, so reads and writes both stay in the cache; positions by
        // wrapping arithmetic (they are below `count`), without overflow checks.
        let out = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBufferPointer { src in
                guard let to = buffer.baseAddress, let from = src.baseAddress else { return }
                for i0 in stride(from: 0, to: m, by: 16) {
                    for j0 in stride(from: 0, to: n, by: 16) {
                        for i in i0..<Swift.min(i0 + 16, m) {
                            let row = from + i &* n
                            for j in j0..<Swift.min(j0 + 16, n) {
                                (to + (j &* m &+ i)).initialize(to: row[j])
                            }
                        }
                    }
                }
            }
            initialized = count
        }
        return Tensor(shape: [n, m], data: out)
    }

    /// Product of vectors and matrices with NumPy's rules: a vector is a column on the
    /// right and a row on the left.
    public static func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank >= 1, a.rank <= 2, b.rank >= 1, b.rank <= 2 else {
            throw EvalError(
                "'@' takes vectors and matrices, not shapes \(shapeText(a.shape)) and \(shapeText(b.shape))",
                notes: a.rank == 0 || b.rank == 0 ? ["hint: use '*' to multiply by a number"] : [])
        }
        let m = a.rank == 2 ? a.shape[0] : 1
        let k = a.shape[a.rank - 1]
        let k2 = b.shape[0]
        let n = b.rank == 2 ? b.shape[1] : 1
        guard k == k2 else {
            throw EvalError("'@' needs inner sizes to agree: \(shapeText(a.shape)) @ \(shapeText(b.shape)) (\(k) ≠ \(k2))")
        }
        var outShape: [Int] = []
        if a.rank == 2 { outShape.append(m) }
        if b.rank == 2 { outShape.append(n) }
        _ = try checkedCount(outShape)
        if let ad = a.data as? [Double], let bd = b.data as? [Double] {
            let r = try matmulDouble(ad, bd, m, k, n)
            if let r = r as? [T] { return Tensor(shape: outShape, data: r) }
        }
        var out = [T]()
        out.reserveCapacity(m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc = a.data[i * k] * b.data[j]
                for p in 1..<Swift.max(1, k) { acc = acc + a.data[i * k + p] * b.data[p * n + j] }
                out.append(k == 0 ? T(constant: 0) : acc)
            }
        }
        return Tensor(shape: outShape, data: out)
    }

    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var s = newShape
        if let hole = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != hole }.reduce(1) { $0 * $1.element }
            guard known > 0, count % known == 0 else {
                throw EvalError("cannot reshape \(count) elements into \(shapeText(newShape))")
            }
            s[hole] = count / known
        }
        guard try Tensor.checkedCount(s) == count else {
            throw EvalError("cannot reshape \(shapeText(shape)) (\(count) elements) into \(shapeText(newShape))")
        }
        return Tensor(shape: s, data: data)
    }

    /// `x[i, j…]` with 1-based positions; fewer positions than axes give a slice.
    public func offsetAndShape(_ positions: [Int]) throws -> (Int, [Int], Int) {
        guard positions.count <= rank else {
            throw EvalError("too many indices: \(positions.count) for a tensor of shape \(shapeText(shape))")
        }
        let st = Tensor.strides(shape)
        var off = 0
        for (axis, p) in positions.enumerated() {
            guard p >= 1 && p <= shape[axis] else {
                throw EvalError(
                    "index \(p) is out of range 1…\(shape[axis]) on axis \(axis + 1) of shape \(shapeText(shape))",
                    notes: p == 0 ? ["hint: indices start at 1, as in x[1]"] : [])
            }
            off += (p - 1) * st[axis]
        }
        let sub = Array(shape[positions.count...])
        return (off, sub, sub.reduce(1, *))
    }

    public func indexed(_ positions: [Int]) throws -> Tensor {
        let (off, sub, n) = try offsetAndShape(positions)
        return Tensor(shape: sub, data: Array(data[off..<off + n]))
    }

    /// Stack equal-shaped tensors along a new first axis.
    public static func stack(_ parts: [Tensor]) throws -> Tensor {
        guard let first = parts.first else { return Tensor(shape: [0], data: []) }
        for (i, p) in parts.enumerated() where p.shape != first.shape {
            throw EvalError(
                "rows of unequal shape: element 1 has shape \(shapeText(first.shape)), element \(i + 1) has \(shapeText(p.shape))",
                notes: ["hint: every row of a matrix needs the same length"])
        }
        _ = try checkedCount([parts.count] + first.shape)
        return Tensor(shape: [parts.count] + first.shape, data: parts.flatMap(\.data))
    }
}

/// `[2, 3]`-style text of a shape; a scalar is `[]`.
public func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

/// Products with at least this many multiply-adds go to OpenBLAS; smaller ones (most
/// of a teaching session, and every scalar graph) use the loop below, whose results are
/// exactly reproducible.
let blasThreshold = 32_768

/// The product of row-major matrices: OpenBLAS for large ones, in blocks of rows so that
/// Ctrl-C is noticed between blocks (it measured about 10× faster than the loop here at
/// the sizes of a 784-100-10 network; see docs/BENCHMARKS.md).
func matmulDouble(_ a: [Double], _ b: [Double], _ m: Int, _ k: Int, _ n: Int) throws -> [Double] {
    guard m * n * k >= blasThreshold, m <= Int(Int32.max), n <= Int(Int32.max), k <= Int(Int32.max) else {
        return try matmulLoop(a, b, m, k, n)
    }
    // Not zeroed first: with beta 0, dgemm writes every element of C without reading it
    // (zeroing it here too was a second pass over the result, 5 % of training a network).
    var c = [Double](unsafeUninitializedCapacity: m * n) { _, count in count = m * n }
    var loaded = true
    // About 50 million multiply-adds per block: a few milliseconds.
    let rowsPerBlock = max(1, 50_000_000 / max(1, n * k))
    var row = 0
    while row < m {
        if Interrupt.isRequested { throw Interrupted() }
        let rows = min(rowsPerBlock, m - row)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    if let A = pa.baseAddress, let B = pb.baseAddress, let C = pc.baseAddress {
                        loaded = graphrepl_dgemm(Int32(rows), Int32(n), Int32(k), A + row * k, B, C + row * n) != 0
                    }
                }
            }
        }
        // Without OpenBLAS on the machine, the loop below does the work.
        if !loaded { return try matmulLoop(a, b, m, k, n) }
        row += rows
    }
    return c
}

/// Cache-friendly `i-k-j` product of row-major matrices.
func matmulLoop(_ a: [Double], _ b: [Double], _ m: Int, _ k: Int, _ n: Int) throws -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    var stopped = false
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                for i in 0..<m {
                    if Interrupt.isRequested {
                        stopped = true
                        return
                    }
                    for p in 0..<k {
                        let x = pa[i * k + p]
                        let row = p * n
                        let out = i * n
                        for j in 0..<n { pc[out + j] += x * pb[row + j] }
                    }
                }
            }
        }
    }
    if stopped { throw Interrupted() }
    return c
}

/// One axis of a slice `x[2:4, 1]`, 1-based and inclusive as users write it.
public enum SliceAxis: Hashable, Sendable {
    /// One position: the axis is dropped.
    case at(Int)
    /// `lo:hi`, either end open (nil: from the first, or to the last).
    case range(Int?, Int?)

    /// How it is written: `2:4`, `:`, `3`.
    public var text: String {
        switch self {
        case .at(let i): return String(i)
        case .range(let lo, let hi): return (lo.map(String.init) ?? "") + ":" + (hi.map(String.init) ?? "")
        }
    }
}

extension Tensor {
    /// The flat offsets a slice takes, in order, and the slice's shape. Axes not named
    /// are taken whole.
    public func sliceOffsets(_ axes: [SliceAxis]) throws -> (offsets: [Int], shape: [Int]) {
        guard axes.count <= rank else {
            throw EvalError("too many indices: \(axes.count) for a tensor of shape \(shapeText(shape))")
        }
        var positions: [[Int]] = []
        var outShape: [Int] = []
        for (axis, n) in shape.enumerated() {
            let a = axis < axes.count ? axes[axis] : .range(nil, nil)
            switch a {
            case .at(let i):
                guard i >= 1 && i <= n else {
                    throw EvalError(
                        "index \(i) is out of range 1…\(n) on axis \(axis + 1) of shape \(shapeText(shape))",
                        notes: i == 0 ? ["hint: indices start at 1, as in x[1]"] : [])
                }
                positions.append([i - 1])
            case .range(let lo, let hi):
                let l = lo ?? 1
                let h = hi ?? n
                guard l <= h else {
                    throw EvalError(
                        "slice \(a.text) is reversed: it needs lo ≤ hi (both ends are included)",
                        notes: ["hint: \(h):\(l) takes positions \(h) to \(l)"])
                }
                guard l >= 1, h <= n else {
                    throw EvalError("slice \(a.text) is out of range 1…\(n) on axis \(axis + 1) of shape \(shapeText(shape))")
                }
                positions.append(Array((l - 1)...(h - 1)))
                outShape.append(h - l + 1)
            }
        }
        let strides = Tensor.strides(shape)
        var offsets = [0]
        for (axis, ps) in positions.enumerated() {
            var next: [Int] = []
            next.reserveCapacity(offsets.count * ps.count)
            for o in offsets { for p in ps { next.append(o + p * strides[axis]) } }
            offsets = next
        }
        return (offsets, outShape)
    }

    public func sliced(_ axes: [SliceAxis]) throws -> Tensor {
        let (offsets, s) = try sliceOffsets(axes)
        return Tensor(shape: s, data: offsets.map { data[$0] })
    }

    /// Zeros of `shape` with `self` placed where the slice takes its elements: the
    /// slice's reverse-mode rule.
    public func unsliced(into shape: [Int], _ axes: [SliceAxis]) throws -> Tensor {
        var out = try Tensor.filled(shape, T(constant: 0))
        let (offsets, s) = try out.sliceOffsets(axes)
        let src = try broadcast(to: s)
        for (k, o) in offsets.enumerated() { out.data[o] = src.data[k] }
        return out
    }
}

/// The largest tensor made, in elements (the fuzzer lowers it so that it explores
/// rather than computes).
public enum TensorLimit {
    nonisolated(unsafe) public static var elements = 100_000_000
}
