import Foundation

/// The elementwise functions of one argument. Each case's numeric definition lives
/// here; its derivative rule lives in the op table (`Op+Rules.swift`).
public enum UnaryFunction: String, CaseIterable, Sendable {
    case exp, log, sqrt, abs, sin, cos, tan, tanh, sigmoid, relu, softplus
    /// `step(x) = 1` for x > 0, else 0: the derivative of relu (so `relu'(0) = 0`).
    case step
    /// `sign(x)` ∈ {−1, 0, 1}: the derivative of abs (so `abs'(0) = 0`).
    case sign

    /// The function on a double. `log` of a non-positive number is NaN or −inf, never a trap.
    public func callAsFunction(_ x: Double) -> Double {
        switch self {
        case .exp: return Foundation.exp(x)
        case .log: return x < 0 ? .nan : Foundation.log(x)
        case .sqrt: return x < 0 ? .nan : x.squareRoot()
        case .abs: return Swift.abs(x)
        case .sin: return Foundation.sin(x)
        case .cos: return Foundation.cos(x)
        case .tan: return Foundation.tan(x)
        case .tanh: return Foundation.tanh(x)
        case .sigmoid:
            // Stable on both sides: never exp of a large positive number.
            if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
            let e = Foundation.exp(x)
            return e / (1 + e)
        case .relu: return x > 0 ? x : 0
        case .softplus: return x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
        case .step: return x > 0 ? 1 : 0
        case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        }
    }
}
