/// What derivative rules are written against: applying an op to "values". One algebra
/// computes numbers right away (`ValueAlgebra`); another emits graph nodes
/// (`GraphBuilder`), so the same rule gives fast numeric sweeps and derivative graphs
/// that can be printed and differentiated again, as JAX does with its tracers.
public protocol Algebra {
    associatedtype T
    mutating func apply(_ op: Op, _ args: [T]) throws -> T
    mutating func literal(_ x: Double) -> T
    /// Whether `t` is known to be the scalar constant `x` (for simplifying `1*d` to `d`).
    func isLiteral(_ t: T, _ x: Double) -> Bool
}

extension Algebra {
    /// `nil` stands for a zero that need not be computed.
    mutating func add(_ a: T?, _ b: T?) throws -> T? {
        guard let a else { return b }
        guard let b else { return a }
        if isLiteral(a, 0) { return b }
        if isLiteral(b, 0) { return a }
        return try apply(.add, [a, b])
    }
    mutating func sub(_ a: T, _ b: T) throws -> T {
        if isLiteral(b, 0) { return a }
        return try apply(.sub, [a, b])
    }
    mutating func mul(_ a: T, _ b: T) throws -> T {
        if isLiteral(a, 1) { return b }
        if isLiteral(b, 1) { return a }
        if isLiteral(a, -1) { return try neg(b) }
        if isLiteral(b, -1) { return try neg(a) }
        return try apply(.mul, [a, b])
    }
    mutating func div(_ a: T, _ b: T) throws -> T {
        if isLiteral(b, 1) { return a }
        return try apply(.div, [a, b])
    }
    mutating func neg(_ a: T) throws -> T {
        if isLiteral(a, 0) { return a }
        return try apply(.neg, [a])
    }
}

/// Set when a sweep meets a zero, an infinity, a NaN or a symbol (see `Sweeps
/// .reverseValues(…, watch:)`): the values where simplifying by value (`1·g` is `g`) and
/// building the graph (which simplifies only literal nodes) can differ, in the sign of a
/// zero or in a warning.
public final class SpecialValues {
    public private(set) var seen = false
    public init() {}
    func note(_ v: Value) {
        if seen { return }
        switch v {
        case .number(let x): seen = x == 0 || !x.isFinite
        case .num(let t): seen = t.data.contains { $0 == 0 || !$0.isFinite }
        case .sym: seen = true
        }
    }
    func note(_ x: Double) {
        if !seen, x == 0 || !x.isFinite { seen = true }
    }
}

/// Numbers (or symbols) computed at once.
public struct ValueAlgebra: Algebra {
    public init() {}
    /// How many ops were applied: the cost of a sweep.
    public var operations = 0
    /// Where to note every operand and result that is special (`SpecialValues`).
    var watch: SpecialValues?
    public mutating func apply(_ op: Op, _ args: [Value]) throws -> Value {
        operations += 1
        switch op {
        case .unbroadcast, .broadcastLike, .reshapeLike:
            // Identities when the shapes already agree: no copy.
            if args[0].shape == args[1].shape { return args[0] }
        default: break
        }
        let r = try op.evaluate(args)
        watch?.note(r)
        return r
    }
    public mutating func literal(_ x: Double) -> Value { .scalar(x) }
    public func isLiteral(_ t: Value, _ x: Double) -> Bool {
        watch?.note(t)
        return Op.inlineNumber(t) == x
    }
}
