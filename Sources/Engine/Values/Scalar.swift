import Foundation

/// What a tensor element can be: a double, or a symbolic expression. Every tensor kernel
/// is written once against this protocol and serves numbers and symbols alike.
public protocol Scalar: Sendable, Hashable {
    init(constant: Double)
    /// The number, when the element is a known constant.
    var constantValue: Double? { get }
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    static func / (a: Self, b: Self) -> Self
    static prefix func - (a: Self) -> Self
    static func power(_ a: Self, _ b: Self) -> Self
    static func apply(_ f: UnaryFunction, _ x: Self) -> Self
    /// Whether this scalar type supports ordering (symbols do not).
    static var isNumeric: Bool { get }
}

extension Double: Scalar {
    public init(constant: Double) { self = constant }
    public var constantValue: Double? { self }
    /// `pow`, which gives exactly `a` for the exponent 1 (as the rule of `^` asks for
    /// u^(2−1) at every element): that case skips the call. A square is `a * a`, the
    /// square rounded once, as `pow` gives it to within its error (and faster).
    public static func power(_ a: Double, _ b: Double) -> Double {
        if b == 1 { return a }
        if b == 2 { return a * a }
        return Foundation.pow(a, b)
    }
    public static func apply(_ f: UnaryFunction, _ x: Double) -> Double { f(x) }
    public static var isNumeric: Bool { true }
}
