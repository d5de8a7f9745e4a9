/// The built-in functions of the language. Each case's arity, help and lowering into
/// graph nodes are exhaustive `switch`es (here and in `Compiler.builtin`), so a new
/// built-in without them does not compile.
public enum Builtin: String, CaseIterable, Sendable {
    case exp
    case log
    case sqrt
    case abs
    case sin
    case cos
    case tan
    case tanh
    case sigmoid
    case relu
    case softplus
    case step
    case sign
    case pow
    case sum
    case mean
    case max
    case argmax
    case dot
    case matmul
    case transpose
    case reshape
    case softmax
    case logSoftmax = "log_softmax"
    case crossEntropy = "cross_entropy"
    case mse
    case zeros
    case ones
    case eye
    case uniform
    case normal
    case grad
    case jacobian
    case hessian
    case loadCSV = "load_csv"
    case variable
    case placeholder
    case constant

    public var name: String { rawValue }

    /// How many arguments it takes.
    public var arity: ClosedRange<Int> {
        switch self {
        case .exp, .log, .sqrt, .abs, .sin, .cos, .tan, .tanh, .sigmoid, .relu, .softplus, .step, .sign, .transpose, .zeros,
            .ones, .eye, .loadCSV, .variable, .placeholder, .constant:
            return 1...1
        case .pow, .dot, .matmul, .reshape, .crossEntropy, .mse, .grad, .jacobian, .hessian: return 2...2
        case .sum, .mean, .max, .argmax, .softmax, .logSoftmax: return 1...2
        case .uniform, .normal: return 3...3
        }
    }

    /// The call as written in help: `sum(x[, axis])`.
    public var usage: String {
        switch self {
        case .exp: return "exp(x)"
        case .log: return "log(x)"
        case .sqrt: return "sqrt(x)"
        case .abs: return "abs(x)"
        case .sin: return "sin(x)"
        case .cos: return "cos(x)"
        case .tan: return "tan(x)"
        case .tanh: return "tanh(x)"
        case .sigmoid: return "sigmoid(x)"
        case .relu: return "relu(x)"
        case .softplus: return "softplus(x)"
        case .step: return "step(x)"
        case .sign: return "sign(x)"
        case .pow: return "pow(x, y)"
        case .sum: return "sum(x[, axis])"
        case .mean: return "mean(x[, axis])"
        case .max: return "max(x[, axis])"
        case .argmax: return "argmax(x[, axis])"
        case .dot: return "dot(u, v)"
        case .matmul: return "matmul(A, B)"
        case .transpose: return "transpose(A)"
        case .reshape: return "reshape(x, [shape])"
        case .softmax: return "softmax(z[, axis])"
        case .logSoftmax: return "log_softmax(z[, axis])"
        case .crossEntropy: return "cross_entropy(label, prediction)"
        case .mse: return "mse(y, target)"
        case .zeros: return "zeros([shape])"
        case .ones: return "ones([shape])"
        case .eye: return "eye(n)"
        case .uniform: return "uniform([shape], low, high)"
        case .normal: return "normal([shape], mean, sd)"
        case .grad: return "grad(f, x)"
        case .jacobian: return "jacobian(y, x)"
        case .hessian: return "hessian(f, x)"
        case .loadCSV: return "load_csv(\"file.csv\")"
        case .variable: return "variable(init)"
        case .placeholder: return "placeholder([shape])"
        case .constant: return "constant(value)"
        }
    }

    /// One line for `:help`.
    public var summary: String {
        switch self {
        case .exp:
            return "e to the x, elementwise; exp' = exp"
        case .log:
            return "natural log; log' = 1/x; log of a non-positive number is NaN with a warning"
        case .sqrt:
            return "square root (as x^0.5)"
        case .abs:
            return "absolute value; abs' = sign(x), so abs'(0) = 0"
        case .sin:
            return "sine; sin' = cos"
        case .cos:
            return "cosine; cos' = -sin"
        case .tan:
            return "tangent; tan' = 1 + tan²"
        case .tanh:
            return "hyperbolic tangent; tanh' = 1 - tanh²"
        case .sigmoid:
            return "σ(x) = 1/(1 + e^-x); σ' = σ(1 - σ)"
        case .relu:
            return "max(0, x); relu' = step(x), so relu'(0) = 0"
        case .softplus:
            return "log(1 + e^x); softplus' = σ"
        case .step:
            return "1 where x > 0, else 0 (the derivative of relu)"
        case .sign:
            return "-1, 0 or 1 (the derivative of abs)"
        case .pow:
            return "x^y"
        case .sum:
            return "sum of every element, or along an axis (1-based)"
        case .mean:
            return "mean of every element, or along an axis"
        case .max:
            return "largest element; its gradient goes to the first maximal element"
        case .argmax:
            return "the 1-based position of the first largest element, or along an axis (no derivative)"
        case .dot:
            return "sum(u*v)"
        case .matmul:
            return "matrix product, as A @ B"
        case .transpose:
            return "transpose, as A'"
        case .reshape:
            return "same elements, new shape (row-major; one size may be -1)"
        case .softmax:
            return "e^z / Σ e^z along the last axis (each row of a batch)"
        case .logSoftmax:
            return "log(softmax(z)), computed stably"
        case .crossEntropy:
            return "-sum(label * log(prediction)), per row for a batch"
        case .mse:
            return "mean((y - target)^2)"
        case .zeros:
            return "a tensor of zeros"
        case .ones:
            return "a tensor of ones"
        case .eye:
            return "the n×n identity matrix"
        case .uniform:
            return "uniform random numbers (reproducible with :set seed N)"
        case .normal:
            return "normal random numbers (reproducible with :set seed N)"
        case .grad:
            return "∂f/∂x for a scalar f, shaped like x; a new graph, so it can be differentiated again"
        case .jacobian:
            return "one row per element of y, one column per element of x (row-major)"
        case .hessian:
            return "jacobian(grad(f, x), x)"
        case .loadCSV:
            return "a matrix from a CSV file of numbers (a header row is skipped)"
        case .variable:
            return "a trainable parameter (counted by :params, updated by :train)"
        case .placeholder:
            return "a value fed when run (:run OUT with x = …)"
        case .constant:
            return "a fixed value, not differentiable"
        }
    }

    /// An example for `:help`.
    public var example: String {
        switch self {
        case .exp: return "exp(0)  # 1"
        case .log: return "log(1)  # 0"
        case .sqrt: return "sqrt(9)  # 3"
        case .abs: return "abs(-2)  # 2"
        case .sin: return "sin(0)  # 0"
        case .cos: return "cos(0)  # 1"
        case .tan: return "tan(0)  # 0"
        case .tanh: return "tanh(0)  # 0"
        case .sigmoid: return "sigmoid(0)  # 0.5"
        case .relu: return "relu([-1, 2])  # [0, 2]"
        case .softplus: return "softplus(0)  # 0.693…"
        case .step: return "step([-1, 0, 2])  # [0, 0, 1]"
        case .sign: return "sign(-3)  # -1"
        case .pow: return "pow(2, 3)  # 8"
        case .sum: return "sum([[1, 2], [3, 4]], 1)  # [4, 6]"
        case .mean: return "mean([1, 2, 3])  # 2"
        case .max: return "max([1, 3, 3])  # 3"
        case .argmax: return "argmax([[1, 5], [7, 2]], 2)  # [2, 1]"
        case .dot: return "dot([1, 2], [3, 4])  # 11"
        case .matmul: return "matmul([[1, 2]], [3, 4])  # [11]"
        case .transpose: return "transpose([[1, 2]])  # [[1], [2]]"
        case .reshape: return "reshape([1, 2, 3, 4], [2, 2])"
        case .softmax: return "softmax([0, 0])  # [0.5, 0.5]"
        case .logSoftmax: return "log_softmax([0, 0])"
        case .crossEntropy: return "cross_entropy([0, 1], [0.2, 0.8])"
        case .mse: return "mse([1, 2], [1, 4])  # 2"
        case .zeros: return "zeros([2, 3])"
        case .ones: return "ones([3])"
        case .eye: return "eye(2)  # [[1, 0], [0, 1]]"
        case .uniform: return "W = variable(uniform([3, 4], -1, 1))"
        case .normal: return "W = variable(normal([3, 4], 0, 0.1))"
        case .grad: return "grad((a+b)*(b+1), b)"
        case .jacobian: return "jacobian([x1 + x2*x3, 2*x3], [x1, x2, x3])"
        case .hessian: return "hessian(x1^2 * x2, [x1, x2])  # [[2*x2, 2*x1], [2*x1, 0]]"
        case .loadCSV: return "X = load_csv(\"data.csv\")"
        case .variable: return "b = variable(zeros([4]))"
        case .placeholder: return "x = placeholder([1, 3])"
        case .constant: return "k = constant(2)"
        }
    }

    /// The elementwise function it is, if it is one.
    public var unary: UnaryFunction? {
        switch self {
        case .exp: return .exp
        case .log: return .log
        case .sqrt: return .sqrt
        case .abs: return .abs
        case .sin: return .sin
        case .cos: return .cos
        case .tan: return .tan
        case .tanh: return .tanh
        case .sigmoid: return .sigmoid
        case .relu: return .relu
        case .softplus: return .softplus
        case .step: return .step
        case .sign: return .sign
        case .pow, .sum, .mean, .max, .argmax, .dot, .matmul, .transpose, .reshape, .softmax, .logSoftmax, .crossEntropy, .mse,
            .zeros, .ones, .eye, .uniform, .normal, .grad, .jacobian, .hessian, .loadCSV, .variable, .placeholder,
            .constant:
            return nil
        }
    }

    /// Whether it is made of several ops, drawn as one box (as user functions are).
    public var isComposite: Bool {
        switch self {
        case .dot, .crossEntropy, .mse: return true
        case .exp, .log, .sqrt, .abs, .sin, .cos, .tan, .tanh, .sigmoid, .relu, .softplus, .step, .sign, .pow, .sum, .mean,
            .max, .argmax, .matmul, .transpose, .reshape, .softmax, .logSoftmax, .zeros, .ones, .eye, .uniform, .normal,
            .grad, .jacobian, .hessian, .loadCSV, .variable, .placeholder, .constant:
            return false
        }
    }

    /// Whether it makes a leaf and must be the whole right-hand side of a definition.
    public var isLeafMaker: Bool {
        switch self {
        case .variable, .placeholder, .constant: return true
        case .exp, .log, .sqrt, .abs, .sin, .cos, .tan, .tanh, .sigmoid, .relu, .softplus, .step, .sign, .pow, .sum, .mean,
            .max, .argmax, .dot, .matmul, .transpose, .reshape, .softmax, .logSoftmax, .crossEntropy, .mse, .zeros, .ones,
            .eye, .uniform, .normal, .grad, .jacobian, .hessian, .loadCSV:
            return false
        }
    }

    /// Which arguments become graph inputs: axes, shapes and file names are read in place.
    public func compiledArguments<C: Collection>(_ args: C) -> [C.Element] {
        switch self {
        case .loadCSV: return []
        case .sum, .mean, .max, .argmax, .softmax, .logSoftmax, .reshape: return Array(args.prefix(1))
        case .exp, .log, .sqrt, .abs, .sin, .cos, .tan, .tanh, .sigmoid, .relu, .softplus, .step, .sign, .pow, .dot,
            .matmul, .transpose, .crossEntropy, .mse, .zeros, .ones, .eye, .uniform, .normal, .grad, .jacobian, .hessian,
            .variable, .placeholder, .constant:
            return Array(args)
        }
    }
}

public enum Builtins {
    public static let all: [Builtin] = Builtin.allCases

    public static let byName = NameTable(all.map { ($0.name, $0) })
}

/// A fixed table of names (the built-ins): most names looked up in it are the user's
/// own (`x1`, `W2`), which a test on length and first letter rules out before any
/// hashing.
public struct NameTable<T>: Sendable where T: Sendable {
    let table: [String: T]
    /// Bit `b` of entry `length` (under 64): some name of that length starts with byte `b`
    /// (bits 64… of the next word for bytes 64…127).
    let starts: [UInt64]

    init(_ entries: [(String, T)]) {
        table = Dictionary(uniqueKeysWithValues: entries)
        var starts = [UInt64](repeating: 0, count: 128)
        for (name, _) in entries {
            let n = name.utf8.count
            guard n < 64, let b = name.utf8.first, b < 128 else {
                starts = [UInt64](repeating: ~0, count: 128)  // no filter
                break
            }
            starts[2 * n + Int(b >> 6)] |= 1 << UInt64(b & 63)
        }
        self.starts = starts
    }

    public subscript(_ name: String) -> T? {
        let utf8 = name.utf8
        let n = utf8.count
        if n < 64, let b = utf8.first, b < 128, starts[2 * n + Int(b >> 6)] & (1 << UInt64(b & 63)) == 0 { return nil }
        return table[name]
    }
}
