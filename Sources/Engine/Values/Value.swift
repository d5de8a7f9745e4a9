/// A value in the graph: a tensor of doubles, or of symbolic expressions where free
/// symbols are involved.
public enum Value: Sendable, Equatable {
    case num(Tensor<Double>)
    case sym(Tensor<Sym>)

    public static func scalar(_ x: Double) -> Value { .num(Tensor(x)) }

    public var shape: [Int] {
        switch self {
        case .num(let t): return t.shape
        case .sym(let t): return t.shape
        }
    }
    public var count: Int {
        switch self {
        case .num(let t): return t.count
        case .sym(let t): return t.count
        }
    }
    public var isSymbolic: Bool {
        if case .sym = self { return true }
        return false
    }
    /// The tensor as symbols (numbers become constants).
    public var symbolic: Tensor<Sym> {
        switch self {
        case .num(let t): return t.map { Sym(constant: $0) }
        case .sym(let t): return t
        }
    }
    /// The tensor as numbers, when every element is a number.
    public var numeric: Tensor<Double>? {
        switch self {
        case .num(let t): return t
        case .sym(let t):
            var out = [Double]()
            out.reserveCapacity(t.count)
            for s in t.data {
                guard let c = s.constantValue else { return nil }
                out.append(c)
            }
            return Tensor(shape: t.shape, data: out)
        }
    }
    /// A symbolic tensor whose elements all folded to numbers becomes numeric.
    public var normalized: Value {
        if case .sym = self, let n = numeric { return .num(n) }
        return self
    }
    /// The one number of a scalar value.
    public var scalarValue: Double? {
        guard count == 1 else { return nil }
        return numeric?.data[0]
    }
    /// The first problem in a symbolic value, such as an expression grown too large.
    public var invalidReason: String? {
        guard case .sym(let t) = self else { return nil }
        for s in t.data { if case .invalid(let why) = s.kind { return why } }
        return nil
    }
}
