/// A value in the graph: a tensor of doubles, or of symbolic expressions where free
/// symbols are involved.
public enum Value: Sendable, Equatable {
    case num(Tensor<Double>)
    case sym(Tensor<Sym>)
    /// A scalar number held inline: most nodes of a scalar graph, with no allocation.
    /// Code that works on tensors reads `tensorForm`, where it is a rank-0 tensor.
    case number(Double)

    public static func scalar(_ x: Double) -> Value { .number(x) }

    /// The same value with an inline number as a rank-0 tensor.
    public var tensorForm: Value {
        if case .number(let x) = self { return .num(Tensor(x)) }
        return self
    }

    /// Equal shapes and elements, whichever way a scalar is held.
    public static func == (a: Value, b: Value) -> Bool {
        switch (a.tensorForm, b.tensorForm) {
        case (.num(let x), .num(let y)): return x == y
        case (.sym(let x), .sym(let y)): return x == y
        default: return false
        }
    }

    public var shape: [Int] {
        switch self {
        case .num(let t): return t.shape
        case .sym(let t): return t.shape
        case .number: return []
        }
    }
    public var count: Int {
        switch self {
        case .num(let t): return t.count
        case .sym(let t): return t.count
        case .number: return 1
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
        case .number(let x): return Tensor(Sym(constant: x))
        }
    }
    /// The tensor as numbers, when every element is a number.
    public var numeric: Tensor<Double>? {
        switch self {
        case .num(let t): return t
        case .number(let x): return Tensor(x)
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
        if case .number(let x) = self { return x }
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
