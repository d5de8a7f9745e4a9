import Foundation
import GraphLang

/// Two values brought to one element type: numbers, or symbols when either is symbolic.
enum Pair {
    case num(Tensor<Double>, Tensor<Double>)
    case sym(Tensor<Sym>, Tensor<Sym>)

    init(_ a: Value, _ b: Value) {
        if case .num(let x) = a.tensorForm, case .num(let y) = b.tensorForm {
            self = .num(x, y)
        } else {
            self = .sym(a.symbolic, b.symbolic)
        }
    }
}

/// Apply the same generic tensor function to a value of either element type.
func lift(_ v: Value, _ n: (Tensor<Double>) throws -> Tensor<Double>, _ s: (Tensor<Sym>) throws -> Tensor<Sym>) rethrows -> Value
{
    switch v {
    case .number(let x): return .num(try n(Tensor(x)))
    case .num(let t): return .num(try n(t))
    case .sym(let t): return Value.sym(try s(t)).normalized
    }
}

/// A 1-based axis checked against a rank, as a 0-based index.
func axisIndex(_ axis: Int?, rank: Int, shape: [Int]) throws -> Int? {
    guard var a = axis else { return nil }
    if a < 0 { a += rank + 1 }  // -1 is the last axis
    guard a >= 1 && a <= rank else {
        throw EvalError(
            rank == 0
                ? "axis \(a) is out of range: a scalar has no axes"
                : "axis \(a) is out of range for shape \(shapeText(shape)) (axes 1…\(rank))")
    }
    return a - 1
}

/// Whole non-negative numbers from a value (a shape or a position).
func integers(_ v: Value, what: String) throws -> [Int] {
    guard let t = v.numeric else { throw EvalError("\(what) must be numbers, not symbols") }
    return try t.data.map { x in
        if x.magnitude >= 9e18 && x.isFinite { throw EvalError("\(what): \(formatNumber(x)) is too large") }
        guard x == x.rounded(), x.magnitude < 9e18 else {
            throw EvalError("\(what) must be whole numbers, got \(formatNumber(x))")
        }
        return Int(x)
    }
}

func shapeArgument(_ v: Value) throws -> [Int] {
    let s = try integers(v, what: "a shape's sizes")
    if let bad = s.first(where: { $0 < 0 }) { throw EvalError("a shape cannot have a negative size (\(bad))") }
    _ = try Tensor<Double>.checkedCount(s)
    return s
}

/// A seeded random number generator (SplitMix64), so `:set seed N` reproduces runs.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A double uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}

extension Op {
    /// The forward value of the op on its inputs' values.
    public func evaluate(_ x: [Value]) throws -> Value {
        if let r = scalarFastPath(x) { return .number(r) }
        if let n = arity, x.count != n {
            throw EvalError("'\(name)' takes \(n) argument\(n == 1 ? "" : "s"), got \(x.count)")
        }
        switch self {
        case .add: return try elementwise(x[0], x[1], +, +)
        case .sub: return try elementwise(x[0], x[1], -, -)
        case .mul: return try elementwise(x[0], x[1], *, *)
        case .div: return try elementwise(x[0], x[1], /, /)
        case .pow: return try elementwise(x[0], x[1], Double.power, Sym.power)
        case .xlogy: return try elementwise(x[0], x[1], { $0 == 0 ? 0 : $0 * Foundation.log($1) }, { $0 * Sym.apply(.log, $1) })
        case .xdivy: return try elementwise(x[0], x[1], { $0 == 0 ? 0 : $0 / $1 }, { $0 / $1 })
        case .neg: return lift(x[0], { $0.map { -$0 } }, { $0.map { -$0 } })
        case .unary(let f): return lift(x[0], { $0.map(f.callAsFunction) }, { $0.map { Sym.apply(f, $0) } })
        case .compare(let op): return try compare(op, x[0], x[1])
        case .approx(let rel, let abs):
            switch Pair(x[0], x[1]) {
            case .num(let a, let b):
                return .num(
                    try Tensor.zip(a, b) { p, q in
                        if p == q { return 1.0 }
                        return Swift.abs(p - q) <= Swift.max(abs, rel * Swift.max(Swift.abs(p), Swift.abs(q))) ? 1 : 0
                    })
            case .sym(let a, let b):
                return .num(try Tensor.zip(a, b) { $0.isSame(as: $1) ? 1.0 : 0.0 })
            }
        case .matmul:
            switch Pair(x[0], x[1]) {
            case .num(let a, let b): return .num(try Tensor.matmul(a, b))
            case .sym(let a, let b): return Value.sym(try Tensor.matmul(a, b)).normalized
            }
        case .transpose:
            guard x[0].shape.count <= 2 else {
                throw EvalError("transpose takes a vector or a matrix, not shape \(shapeText(x[0].shape))")
            }
            return lift(x[0], { $0.transposed() }, { $0.transposed() })
        case .sum(let axis):
            let ax = try axisIndex(axis, rank: x[0].shape.count, shape: x[0].shape)
            if x[0].count == 0 { return .scalar(0) }
            return lift(x[0], { $0.reduce(axis: ax, +) }, { $0.reduce(axis: ax, +) })
        case .mean(let axis):
            let ax = try axisIndex(axis, rank: x[0].shape.count, shape: x[0].shape)
            let n = Double(ax.map { x[0].shape[$0] } ?? x[0].count)
            return lift(x[0], { $0.reduce(axis: ax, +).map { $0 / n } }, { $0.reduce(axis: ax, +).map { $0 / Sym(constant: n) } })
        case .max(let axis):
            let ax = try axisIndex(axis, rank: x[0].shape.count, shape: x[0].shape)
            guard let t = x[0].numeric else { throw EvalError("max needs numbers: it cannot order symbols") }
            guard t.count > 0 else { throw EvalError("max of an empty tensor") }
            return .num(t.reduce(axis: ax) { a, b in a.isNaN ? a : (b.isNaN || b > a ? b : a) })
        case .softmax(let axis), .logSoftmax(let axis):
            let isLog: Bool
            if case .logSoftmax = self { isLog = true } else { isLog = false }
            let ax = try axisIndex(axis, rank: x[0].shape.count, shape: x[0].shape) ?? Swift.max(0, x[0].shape.count - 1)
            switch x[0] {
            case .number(let v): return .num(softmaxDouble(Tensor(v), axis: ax, log: isLog))
            case .num(let t): return .num(softmaxDouble(t, axis: ax, log: isLog))
            case .sym(let t): return Value.sym(softmaxSym(t, axis: ax, log: isLog)).normalized
            }
        case .reshape(let s): return try lift(x[0], { try $0.reshaped(s) }, { try $0.reshaped(s) })
        case .index:
            let pos = try x.dropFirst().flatMap { try integers($0, what: "indices") }
            guard x.dropFirst().allSatisfy({ $0.count == 1 }) else { throw EvalError("each index must be one number") }
            return try lift(x[0], { try $0.indexed(pos) }, { try $0.indexed(pos) })
        case .slice(let axes):
            return try lift(x[0], { try $0.sliced(axes) }, { try $0.sliced(axes) })
        case .unslice(let axes):
            let like = x[1].shape
            return try lift(x[0], { try $0.unsliced(into: like, axes) }, { try $0.unsliced(into: like, axes) })
        case .argmax(let axis):
            guard let t = x[0].numeric else { throw EvalError("argmax needs numbers: it cannot order symbols") }
            guard t.count > 0 else { throw EvalError("argmax of an empty tensor") }
            let ax = try axisIndex(axis, rank: t.rank, shape: t.shape)
            return .num(argmaxOf(t, axis: ax))
        case .stack:
            if x.contains(where: \.isSymbolic) {
                return Value.sym(try Tensor.stack(x.map(\.symbolic))).normalized
            }
            return .num(try Tensor.stack(x.compactMap(\.numeric)))
        case .zeros: return .num(try Tensor.filled(try shapeArgument(x[0]), 0))
        case .ones: return .num(try Tensor.filled(try shapeArgument(x[0]), 1))
        case .eye:
            guard let n = try integers(x[0], what: "the size of eye").first, x[0].count == 1, n >= 0 else {
                throw EvalError("eye takes one size, such as eye(3)")
            }
            var t = try Tensor<Double>.filled([n, n], 0)
            for i in 0..<n { t.data[i * n + i] = 1 }
            return .num(t)
        case .uniform(let seed), .normal(let seed):
            let shape = try shapeArgument(x[0])
            guard let a = x[1].scalarValue, let b = x[2].scalarValue else {
                throw EvalError(
                    "\(name) takes numbers for its range: \(name)(shape, \(name == "uniform" ? "low, high" : "mean, sd"))")
            }
            var rng = SplitMix64(state: seed)
            var t = try Tensor<Double>.filled(shape, 0)
            let isUniform = name == "uniform"
            for i in 0..<t.count {
                if isUniform {
                    t.data[i] = a + (b - a) * rng.unit()
                } else {
                    let u1 = Swift.max(rng.unit(), 1e-300)
                    let u2 = rng.unit()
                    t.data[i] = a + b * Foundation.sqrt(-2 * Foundation.log(u1)) * Foundation.cos(2 * .pi * u2)
                }
            }
            return .num(t)
        case .unbroadcast, .broadcastLike:
            let target = x[1].shape
            if x[0].shape == target { return x[0] }
            let b = try Tensor<Double>.broadcastShape(x[0].shape, target)
            if b == target {
                return try lift(x[0], { try $0.broadcast(to: target) }, { try $0.broadcast(to: target) })
            }
            return try lift(x[0], { try $0.unbroadcast(to: target) }, { try $0.unbroadcast(to: target) })
        case .expandAxis(let k):
            let target = x[1].shape
            var s = x[0].shape
            let position = k < 0 ? target.count + k : k - 1
            if s.count < target.count { s.insert(1, at: Swift.max(0, Swift.min(position, s.count))) }
            return try lift(x[0], { try $0.reshaped(s).broadcast(to: target) }, { try $0.reshaped(s).broadcast(to: target) })
        case .sumKeep(let axis):
            let ax = try axisIndex(axis, rank: x[0].shape.count, shape: x[0].shape) ?? Swift.max(0, x[0].shape.count - 1)
            if x[0].shape.isEmpty { return x[0] }
            var kept = x[0].shape
            kept[ax] = 1
            return try lift(x[0], { try $0.reduce(axis: ax, +).reshaped(kept) }, { try $0.reduce(axis: ax, +).reshaped(kept) })
        case .reshapeLike:
            let target = x[1].shape
            return try lift(x[0], { try $0.reshaped(target) }, { try $0.reshaped(target) })
        case .promote(let row):
            let s = x[0].shape
            let m: [Int] = s.count == 2 ? s : s.count == 1 ? (row ? [1, s[0]] : [s[0], 1]) : [1, 1]
            return try lift(x[0], { try $0.reshaped(m) }, { try $0.reshaped(m) })
        case .matmulOutAsMatrix:
            let m = x[1].shape.count == 2 ? x[1].shape[0] : 1
            let n = x[2].shape.count == 2 ? x[2].shape[1] : 1
            return try lift(x[0], { try $0.reshaped([m, n]) }, { try $0.reshaped([m, n]) })
        case .scatter:
            let pos = try x.dropFirst(2).flatMap { try integers($0, what: "indices") }
            switch Pair(x[0], x[1]) {
            case .num(let g, let like): return .num(try scatterInto(g, like.shape, pos))
            case .sym(let g, let like): return Value.sym(try scatterInto(g, like.shape, pos)).normalized
            }
        case .argmaxMask(let axis):
            guard let t = x[0].numeric else { throw EvalError("max needs numbers: it cannot order symbols") }
            let ax = try axisIndex(axis, rank: t.rank, shape: t.shape)
            return .num(argmaxMaskOf(t, axis: ax))
        case .countOf(let axis):
            let ax = try axisIndex(axis, rank: x[0].shape.count, shape: x[0].shape)
            return .scalar(Double(ax.map { x[0].shape[$0] } ?? x[0].count))
        case .zerosLike: return .num(try Tensor.filled(x[0].shape, 0))
        case .onesLike: return .num(try Tensor.filled(x[0].shape, 1))
        case .seedOne:
            guard x[0].count == 1 else {
                throw EvalError(
                    "grad needs a scalar output, but this one has shape \(shapeText(x[0].shape))",
                    notes: ["hint: use jacobian(y, x) for a vector or matrix output"])
            }
            return .num(try Tensor.filled(x[0].shape, 1))
        }
    }

    /// A rank-0 number, held inline or as a tensor.
    @inline(__always)
    static func inlineNumber(_ v: Value) -> Double? {
        switch v {
        case .number(let x): return x
        case .num(let t) where t.shape.isEmpty: return t.data[0]
        default: return nil
        }
    }

    /// Scalars of rank 0 skip the tensor machinery (a million-node scalar graph is
    /// mostly this).
    @inline(__always)
    func scalarFastPath(_ x: [Value]) -> Double? {
        guard x.count <= 2, let p = Op.inlineNumber(x[0]) else { return nil }
        if x.count == 1 {
            switch self {
            case .unary(let f): return f(p)
            case .neg: return -p
            default: return nil
            }
        }
        guard let q = Op.inlineNumber(x[1]) else { return nil }
        switch self {
        case .add: return p + q
        case .sub: return p - q
        case .mul: return p * q
        case .div: return p / q
        case .pow: return Double.power(p, q)
        case .unbroadcast, .broadcastLike, .reshapeLike: return p
        default: return nil
        }
    }

    func elementwise(_ a: Value, _ b: Value, _ f: (Double, Double) -> Double, _ g: (Sym, Sym) -> Sym) throws -> Value {
        switch Pair(a, b) {
        case .num(let x, let y): return .num(try Tensor.zip(x, y, f))
        case .sym(let x, let y): return Value.sym(try Tensor.zip(x, y, g)).normalized
        }
    }

    func compare(_ op: BinaryOp, _ a: Value, _ b: Value) throws -> Value {
        switch Pair(a.normalized, b.normalized) {
        case .num(let x, let y):
            let f: (Double, Double) -> Bool
            switch op {
            case .eq: f = (==)
            case .ne: f = (!=)
            case .lt: f = (<)
            case .le: f = (<=)
            case .gt: f = (>)
            default: f = (>=)
            }
            return .num(try Tensor.zip(x, y) { f($0, $1) ? 1.0 : 0.0 })
        case .sym(let x, let y):
            guard op == .eq || op == .ne else {
                throw EvalError(
                    "'\(op.rawValue)' needs numbers: symbols have no order",
                    notes: ["hint: give the free symbols values first"])
            }
            let want = op == .eq
            return .num(try Tensor.zip(x, y) { $0.isSame(as: $1) == want ? 1.0 : 0.0 })
        }
    }
}

func scatterInto<T: Scalar>(_ g: Tensor<T>, _ shape: [Int], _ pos: [Int]) throws -> Tensor<T> {
    var out = try Tensor<T>.filled(shape, T(constant: 0))
    let (off, _, n) = try out.offsetAndShape(pos)
    let src = g.count == n ? g.data : [T](repeating: g.data.first ?? T(constant: 0), count: n)
    for i in 0..<n { out.data[off + i] = src[i] }
    return out
}

/// Apply `f` to each 1-D slice along `axis`, in place.
func forEachSlice<T>(_ t: inout Tensor<T>, axis: Int, _ f: ([T]) -> [T]) {
    guard t.rank > 0 else {
        t.data = f(t.data)
        return
    }
    let outer = t.shape[..<axis].reduce(1, *)
    let n = t.shape[axis]
    let inner = t.shape[(axis + 1)...].reduce(1, *)
    for o in 0..<outer {
        for i in 0..<inner {
            let idx = (0..<n).map { (o * n + $0) * inner + i }
            let r = f(idx.map { t.data[$0] })
            for (k, j) in idx.enumerated() { t.data[j] = r[k] }
        }
    }
}

/// Numerically stable: subtracts the slice's maximum before exponentiating.
func softmaxDouble(_ x: Tensor<Double>, axis: Int, log: Bool) -> Tensor<Double> {
    var t = x
    forEachSlice(&t, axis: axis) { v in
        let m = v.max() ?? 0
        let shift = m.isFinite ? m : 0
        let e = v.map { Foundation.exp($0 - shift) }
        let s = e.reduce(0, +)
        return log ? v.map { $0 - shift - Foundation.log(s) } : e.map { $0 / s }
    }
    return t
}

func softmaxSym(_ x: Tensor<Sym>, axis: Int, log: Bool) -> Tensor<Sym> {
    var t = x
    forEachSlice(&t, axis: axis) { v in
        let e = v.map { Sym.apply(.exp, $0) }
        let s = Sym.sum(e)
        return log ? v.map { $0 - Sym.apply(.log, s) } : e.map { $0 / s }
    }
    return t
}

/// The 1-based position of the first largest element, of all (a number) or along an
/// axis (that axis removed).
func argmaxOf(_ x: Tensor<Double>, axis: Int?) -> Tensor<Double> {
    func best(_ v: [Double]) -> Double {
        var b = 0
        for i in 1..<Swift.max(1, v.count) where v[i] > v[b] { b = i }
        return Double(b + 1)
    }
    guard let axis else { return Tensor(best(x.data)) }
    let outer = x.shape[..<axis].reduce(1, *)
    let n = x.shape[axis]
    let inner = x.shape[(axis + 1)...].reduce(1, *)
    var out: [Double] = []
    out.reserveCapacity(outer * inner)
    for o in 0..<outer {
        for i in 0..<inner { out.append(best((0..<n).map { x.data[(o * n + $0) * inner + i] })) }
    }
    var shape = x.shape
    shape.remove(at: axis)
    return Tensor(shape: shape, data: out)
}

/// 1 at the first maximal element of each slice (or of all), 0 elsewhere: max passes its
/// gradient to the first maximal element.
func argmaxMaskOf(_ x: Tensor<Double>, axis: Int?) -> Tensor<Double> {
    var out = Tensor<Double>(shape: x.shape, data: [Double](repeating: 0, count: x.count))
    guard x.count > 0 else { return out }
    guard let axis else {
        var best = 0
        for i in 1..<x.count where x.data[i] > x.data[best] { best = i }
        out.data[best] = 1
        return out
    }
    var t = x
    forEachSlice(&t, axis: axis) { v in
        var best = 0
        for i in 1..<Swift.max(1, v.count) where v[i] > v[best] { best = i }
        return v.indices.map { $0 == best ? 1 : 0 }
    }
    out.data = t.data
    return out
}
