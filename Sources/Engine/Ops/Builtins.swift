/// The built-in functions of the language: arity, a one-line summary and an example,
/// for checking calls, `:help` and completion.
public struct Builtin: Sendable {
    public let name: String
    public let arity: ClosedRange<Int>
    public let usage: String
    public let summary: String
    public let example: String
}

public enum Builtins {
    public static let all: [Builtin] = [
        Builtin(
            name: "exp", arity: 1...1, usage: "exp(x)", summary: "e to the x, elementwise; exp' = exp", example: "exp(0)  # 1"),
        Builtin(
            name: "log", arity: 1...1, usage: "log(x)",
            summary: "natural log; log' = 1/x; log of a non-positive number is NaN with a warning", example: "log(1)  # 0"),
        Builtin(name: "sqrt", arity: 1...1, usage: "sqrt(x)", summary: "square root (as x^0.5)", example: "sqrt(9)  # 3"),
        Builtin(
            name: "abs", arity: 1...1, usage: "abs(x)", summary: "absolute value; abs' = sign(x), so abs'(0) = 0",
            example: "abs(-2)  # 2"),
        Builtin(name: "sin", arity: 1...1, usage: "sin(x)", summary: "sine; sin' = cos", example: "sin(0)  # 0"),
        Builtin(name: "cos", arity: 1...1, usage: "cos(x)", summary: "cosine; cos' = -sin", example: "cos(0)  # 1"),
        Builtin(name: "tan", arity: 1...1, usage: "tan(x)", summary: "tangent; tan' = 1 + tan²", example: "tan(0)  # 0"),
        Builtin(
            name: "tanh", arity: 1...1, usage: "tanh(x)", summary: "hyperbolic tangent; tanh' = 1 - tanh²",
            example: "tanh(0)  # 0"),
        Builtin(
            name: "sigmoid", arity: 1...1, usage: "sigmoid(x)", summary: "σ(x) = 1/(1 + e^-x); σ' = σ(1 - σ)",
            example: "sigmoid(0)  # 0.5"),
        Builtin(
            name: "relu", arity: 1...1, usage: "relu(x)", summary: "max(0, x); relu' = step(x), so relu'(0) = 0",
            example: "relu([-1, 2])  # [0, 2]"),
        Builtin(
            name: "softplus", arity: 1...1, usage: "softplus(x)", summary: "log(1 + e^x); softplus' = σ",
            example: "softplus(0)  # 0.693…"),
        Builtin(
            name: "step", arity: 1...1, usage: "step(x)", summary: "1 where x > 0, else 0 (the derivative of relu)",
            example: "step([-1, 0, 2])  # [0, 0, 1]"),
        Builtin(
            name: "sign", arity: 1...1, usage: "sign(x)", summary: "-1, 0 or 1 (the derivative of abs)", example: "sign(-3)  # -1"
        ),
        Builtin(name: "pow", arity: 2...2, usage: "pow(x, y)", summary: "x^y", example: "pow(2, 3)  # 8"),
        Builtin(
            name: "sum", arity: 1...2, usage: "sum(x[, axis])", summary: "sum of every element, or along an axis (1-based)",
            example: "sum([[1, 2], [3, 4]], 1)  # [4, 6]"),
        Builtin(
            name: "mean", arity: 1...2, usage: "mean(x[, axis])", summary: "mean of every element, or along an axis",
            example: "mean([1, 2, 3])  # 2"),
        Builtin(
            name: "max", arity: 1...2, usage: "max(x[, axis])",
            summary: "largest element; its gradient goes to the first maximal element", example: "max([1, 3, 3])  # 3"),
        Builtin(name: "dot", arity: 2...2, usage: "dot(u, v)", summary: "sum(u*v)", example: "dot([1, 2], [3, 4])  # 11"),
        Builtin(
            name: "matmul", arity: 2...2, usage: "matmul(A, B)", summary: "matrix product, as A @ B",
            example: "matmul([[1, 2]], [3, 4])  # [11]"),
        Builtin(
            name: "transpose", arity: 1...1, usage: "transpose(A)", summary: "transpose, as A'",
            example: "transpose([[1, 2]])  # [[1], [2]]"),
        Builtin(
            name: "reshape", arity: 2...2, usage: "reshape(x, [shape])",
            summary: "same elements, new shape (row-major; one size may be -1)", example: "reshape([1, 2, 3, 4], [2, 2])"),
        Builtin(
            name: "softmax", arity: 1...2, usage: "softmax(z[, axis])",
            summary: "e^z / Σ e^z along the last axis (each row of a batch)", example: "softmax([0, 0])  # [0.5, 0.5]"),
        Builtin(
            name: "log_softmax", arity: 1...2, usage: "log_softmax(z[, axis])", summary: "log(softmax(z)), computed stably",
            example: "log_softmax([0, 0])"),
        Builtin(
            name: "cross_entropy", arity: 2...2, usage: "cross_entropy(label, prediction)",
            summary: "-sum(label * log(prediction)), per row for a batch", example: "cross_entropy([0, 1], [0.2, 0.8])"),
        Builtin(
            name: "mse", arity: 2...2, usage: "mse(y, target)", summary: "mean((y - target)^2)",
            example: "mse([1, 2], [1, 4])  # 2"),
        Builtin(name: "zeros", arity: 1...1, usage: "zeros([shape])", summary: "a tensor of zeros", example: "zeros([2, 3])"),
        Builtin(name: "ones", arity: 1...1, usage: "ones([shape])", summary: "a tensor of ones", example: "ones([3])"),
        Builtin(
            name: "eye", arity: 1...1, usage: "eye(n)", summary: "the n×n identity matrix", example: "eye(2)  # [[1, 0], [0, 1]]"),
        Builtin(
            name: "uniform", arity: 3...3, usage: "uniform([shape], low, high)",
            summary: "uniform random numbers (reproducible with :set seed N)", example: "W = variable(uniform([3, 4], -1, 1))"),
        Builtin(
            name: "normal", arity: 3...3, usage: "normal([shape], mean, sd)",
            summary: "normal random numbers (reproducible with :set seed N)", example: "W = variable(normal([3, 4], 0, 0.1))"),
        Builtin(
            name: "grad", arity: 2...2, usage: "grad(f, x)",
            summary: "∂f/∂x for a scalar f, shaped like x; a new graph, so it can be differentiated again",
            example: "grad((a+b)*(b+1), b)"),
        Builtin(
            name: "jacobian", arity: 2...2, usage: "jacobian(y, x)",
            summary: "one row per element of y, one column per element of x (row-major)",
            example: "jacobian([x1 + x2*x3, 2*x3], x)"),
        Builtin(
            name: "hessian", arity: 2...2, usage: "hessian(f, x)", summary: "jacobian(grad(f, x), x)",
            example: "hessian(x[1]^2 * x[2], x)"),
        Builtin(
            name: "load_csv", arity: 1...1, usage: "load_csv(\"file.csv\")",
            summary: "a matrix from a CSV file of numbers (a header row is skipped)", example: "X = load_csv(\"data.csv\")"),
        Builtin(
            name: "variable", arity: 1...1, usage: "variable(init)",
            summary: "a trainable parameter (counted by :params, updated by :train)", example: "b = variable(zeros([4]))"),
        Builtin(
            name: "placeholder", arity: 1...1, usage: "placeholder([shape])",
            summary: "a value fed when run (:run OUT with x = …)", example: "x = placeholder([1, 3])"),
        Builtin(
            name: "constant", arity: 1...1, usage: "constant(value)", summary: "a fixed value, not differentiable",
            example: "k = constant(2)"),
    ]

    public static let byName: [String: Builtin] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Functions that only make sense as the whole right-hand side of a definition.
    public static let leafMakers: Set<String> = ["variable", "placeholder", "constant"]
}
