import GraphLang

/// Every operation a graph node can perform. Each case's whole story — evaluation
/// (`Op+Eval.swift`), derivative rules (`Op+Rules.swift`) and printing (here) — is
/// chosen by exhaustive `switch`es, so a new case without a rule does not compile.
///
/// Axes are 1-based as users write them; `nil` means "all" for reductions and "last"
/// for softmax.
public enum Op: Hashable, Sendable {
    // Elementwise arithmetic, broadcasting like NumPy.
    case add, sub, mul, div, pow, neg
    /// `x·log y`, with 0 where x = 0 (so a one-hot label's zeros contribute 0 even where
    /// the prediction is 0), as in cross-entropy.
    case xlogy
    /// `x/y`, with 0 where x = 0: the derivative of xlogy with respect to y.
    case xdivy
    /// `==`, `!=`, `<`, `<=`, `>`, `>=` give 1 or 0 per element; no derivative.
    case compare(BinaryOp)
    /// `~=`: |a − b| ≤ max(absolute, relative·max(|a|, |b|)).
    case approx(relative: Double, absolute: Double)
    case unary(UnaryFunction)
    // Linear algebra.
    case matmul, transpose
    // Reductions.
    case sum(axis: Int?), mean(axis: Int?), max(axis: Int?)
    case softmax(axis: Int?), logSoftmax(axis: Int?)
    // Structure.
    case reshape([Int])
    /// `x[i, j…]` (inputs: x, then the positions), 1-based.
    case index
    /// `[a, b, …]`: stack along a new first axis.
    case stack
    /// `x[2:4]`, `A[:, 1]`: the positions and ranges written in place, 1-based, inclusive.
    case slice([SliceAxis])
    /// `argmax(x[, axis])`: the 1-based position of the first largest element (along
    /// the axis). No derivative.
    case argmax(axis: Int?)
    // Generators: no derivative.
    case zeros, ones, eye
    case uniform(seed: UInt64), normal(seed: UInt64)
    // Helpers that derivative rules emit; each is shape-polymorphic, so a derivative
    // graph stays valid when the values (and shapes) it was built for change.
    /// (g, x): sum g down to x's shape, undoing broadcasting.
    case unbroadcast
    /// (g, x): broadcast g up to x's shape.
    case broadcastLike
    /// (g, x): insert axis k (size 1) into g, then broadcast to x's shape.
    case expandAxis(Int)
    /// (x): sum along an axis (nil: last), keeping it with size 1.
    case sumKeep(axis: Int?)
    /// (g, x): g with x's shape.
    case reshapeLike
    /// (x): a vector as a 1×n row (`row`) or n×1 column; a matrix unchanged.
    case promote(row: Bool)
    /// (ȳ, A, B): ȳ of `A @ B` as a matrix (vectors' missing axes restored).
    case matmulOutAsMatrix
    /// (g, x, positions…): zeros shaped like x, with g at the position.
    case scatter
    /// (g, x): zeros shaped like x, with g where the slice took its elements.
    case unslice([SliceAxis])
    /// (x): 1 at the first maximal element (along the axis), 0 elsewhere.
    case argmaxMask(axis: Int?)
    /// (x): the number of elements a reduction along `axis` combines.
    case countOf(axis: Int?)
    case zerosLike, onesLike
    /// (f): 1 shaped like f when f has one element; otherwise an error suggesting
    /// `jacobian` (the seed of `grad`).
    case seedOne

    /// The name users see (`sigmoid`, `+`, `@`).
    public var name: String {
        switch self {
        case .add: return "+"
        case .sub: return "-"
        case .mul: return "*"
        case .div: return "/"
        case .pow: return "^"
        case .neg: return "neg"
        case .xlogy: return "xlogy"
        case .xdivy: return "xdivy"
        case .compare(let op): return op.rawValue
        case .approx: return "~="
        case .unary(let f): return f.rawValue
        case .matmul: return "@"
        case .transpose: return "transpose"
        case .sum: return "sum"
        case .mean: return "mean"
        case .max: return "max"
        case .softmax: return "softmax"
        case .logSoftmax: return "log_softmax"
        case .reshape: return "reshape"
        case .index: return "index"
        case .stack: return "stack"
        case .slice: return "slice"
        case .argmax: return "argmax"
        case .unslice: return "unslice"
        case .zeros: return "zeros"
        case .ones: return "ones"
        case .eye: return "eye"
        case .uniform: return "uniform"
        case .normal: return "normal"
        case .unbroadcast: return "unbroadcast"
        case .broadcastLike: return "broadcast_like"
        case .expandAxis: return "expand_axis"
        case .sumKeep: return "sum_keep"
        case .reshapeLike: return "reshape_like"
        case .promote(let row): return row ? "as_row" : "as_column"
        case .matmulOutAsMatrix: return "as_matrix"
        case .scatter: return "scatter"
        case .argmaxMask: return "argmax_mask"
        case .countOf: return "count"
        case .zerosLike: return "zeros_like"
        case .onesLike: return "ones_like"
        case .seedOne: return "seed"
        }
    }

    /// How many inputs the op takes (nil: any number).
    public var arity: Int? {
        switch self {
        case .add, .sub, .mul, .div, .pow, .compare, .approx, .matmul, .xlogy, .xdivy: return 2
        case .neg, .unary, .transpose, .sum, .mean, .max, .softmax, .logSoftmax, .reshape, .slice, .argmax: return 1
        case .zeros, .ones, .eye, .sumKeep, .promote, .argmaxMask, .countOf, .zerosLike, .onesLike, .seedOne: return 1
        case .uniform, .normal, .matmulOutAsMatrix: return 3
        case .unbroadcast, .broadcastLike, .expandAxis, .reshapeLike, .unslice: return 2
        case .index, .stack, .scatter: return nil
        }
    }

    /// Text of the node given its inputs' texts and precedences (1 comparison, 2 sum,
    /// 3 product, 4 unary minus, 5 power, 6 atom), so printed graphs read back.
    public func format(_ args: [(String, Int)]) -> (String, Int) {
        func wrap(_ a: (String, Int), _ p: Int) -> String { a.1 < p ? "(\(a.0))" : a.0 }
        func call(_ f: String, _ extra: [String] = []) -> (String, Int) {
            ("\(f)(" + (args.map(\.0) + extra).joined(separator: ", ") + ")", 6)
        }
        func axisArg(_ a: Int?) -> [String] { a.map { [String($0)] } ?? [] }
        switch self {
        case .add: return ("\(wrap(args[0], 2)) + \(wrap(args[1], 3))", 2)
        case .sub: return ("\(wrap(args[0], 2)) - \(wrap(args[1], 3))", 2)
        case .mul: return ("\(wrap(args[0], 3))*\(wrap(args[1], 4))", 3)
        case .div: return ("\(wrap(args[0], 3))/\(wrap(args[1], 4))", 3)
        case .matmul: return ("\(wrap(args[0], 3)) @ \(wrap(args[1], 4))", 3)
        case .pow: return ("\(wrap(args[0], 6))^\(wrap(args[1], 5))", 5)
        case .neg: return ("-\(wrap(args[0], 4))", 4)
        case .compare(let op): return ("\(wrap(args[0], 2)) \(op.rawValue) \(wrap(args[1], 2))", 1)
        case .approx: return ("\(wrap(args[0], 2)) ~= \(wrap(args[1], 2))", 1)
        case .transpose: return ("\(wrap(args[0], 6))'", 6)
        case .index: return ("\(wrap(args[0], 6))[" + args.dropFirst().map(\.0).joined(separator: ", ") + "]", 6)
        case .stack: return ("[" + args.map(\.0).joined(separator: ", ") + "]", 6)
        case .slice(let axes): return ("\(wrap(args[0], 6))[" + axes.map(\.text).joined(separator: ", ") + "]", 6)
        case .argmax(let a): return call(name, axisArg(a))
        case .unslice(let axes): return call(name, ["[" + axes.map(\.text).joined(separator: ", ") + "]"])
        case .sum(let a), .mean(let a), .max(let a), .softmax(let a), .logSoftmax(let a), .sumKeep(let a),
            .argmaxMask(let a), .countOf(let a):
            return call(name, axisArg(a))
        case .expandAxis(let k): return call(name, [String(k)])
        case .reshape(let s): return call(name, [shapeText(s)])
        case .xlogy, .xdivy, .unary, .zeros, .ones, .eye, .uniform, .normal, .unbroadcast, .broadcastLike, .reshapeLike, .promote,
            .matmulOutAsMatrix, .scatter, .zerosLike, .onesLike, .seedOne:
            return call(name)
        }
    }
}
