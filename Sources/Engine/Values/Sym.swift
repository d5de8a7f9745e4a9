/// A symbolic scalar expression, kept in a canonical, simplified form: constants folded,
/// `x*1`, `x+0`, `x*0` removed, like terms and like factors collected, numeric
/// coefficients distributed over sums. Its printed text is computed once, at
/// construction, and doubles as its identity (two expressions are `==` when their
/// canonical texts agree), so printing and comparing never recurse.
///
/// Expressions deeper than `maxHeight` or larger than `maxSize` become `.invalid`, which
/// every operation propagates; the evaluator reports it as a clean error. This bounds
/// the recursion of teardown too.
public final class Sym: Scalar, CustomStringConvertible, @unchecked Sendable {
    public static let maxHeight = 200
    public static let maxSize = 20_000

    public enum Kind {
        case constant(Double)
        case symbol(String)
        /// Terms, sorted, constant (if any) last.
        case add([Sym])
        /// Coefficient and non-constant factors, sorted.
        case mul(Double, [Sym])
        case power(Sym, Sym)
        case function(UnaryFunction, Sym)
        case invalid(String)
    }

    public let kind: Kind
    public let text: String
    /// 1 sum, 2 product or negative constant, 3 power, 4 atom.
    let precedence: Int
    let height: Int
    let size: Int

    private init(_ kind: Kind, text: String, precedence: Int, children: [Sym]) {
        self.kind = kind
        self.text = text
        self.precedence = precedence
        self.height = 1 + (children.map(\.height).max() ?? 0)
        self.size = 1 + children.reduce(0) { $0 + $1.size }
    }

    private static func make(_ kind: Kind, text: String, precedence: Int, children: [Sym]) -> Sym {
        if let bad = children.first(where: { $0.isInvalid }) { return bad }
        let s = Sym(kind, text: text, precedence: precedence, children: children)
        if s.height > maxHeight {
            return invalid("symbolic expression too deep (more than \(maxHeight) levels)")
        }
        if s.size > maxSize {
            return invalid("symbolic expression too large (more than \(maxSize) terms)")
        }
        return s
    }

    public static func invalid(_ why: String) -> Sym {
        Sym(.invalid(why), text: "<\(why)>", precedence: 4, children: [])
    }

    public var isInvalid: Bool {
        if case .invalid = kind { return true }
        return false
    }

    public convenience init(constant: Double) {
        if let (p, q) = Sym.ratio(constant) {
            self.init(.constant(constant), text: "\(p)/\(q)", precedence: constant < 0 ? 2 : 3, children: [])
            return
        }
        let t = formatNumber(constant)
        self.init(.constant(constant), text: t, precedence: constant < 0 ? 2 : 4, children: [])
    }

    /// `c` as p/q with a small denominator (2 to 12), when it is exactly that double and
    /// its decimals are long: coefficients such as 1/3 print as a student writes them.
    public static func ratio(_ c: Double) -> (Int, Int)? {
        // Short decimals (0.5, 0.25, 0.1) read well as they are.
        guard c.isFinite, c != c.rounded(), formatNumber(c).count > 6 else { return nil }
        for q in 2...12 {
            let p = c * Double(q)
            if p == p.rounded(), Swift.abs(p) < 10_000, Double(Int(p)) / Double(q) == c { return (Int(p), q) }
        }
        return nil
    }

    public static func symbol(_ name: String) -> Sym {
        Sym(.symbol(name), text: name, precedence: 4, children: [])
    }

    public var constantValue: Double? {
        if case .constant(let c) = kind { return c }
        return nil
    }

    public var description: String { text }
    /// Whether the text needs parentheses as a factor of a product (a sum).
    public var isSum: Bool { precedence < 2 }
    public static func == (a: Sym, b: Sym) -> Bool { a === b || a.text == b.text }
    public func hash(into h: inout Hasher) { h.combine(text) }
    public static var isNumeric: Bool { false }

    /// Text wrapped in parentheses when its precedence is below `p`.
    func wrapped(_ p: Int) -> String { precedence < p ? "(\(text))" : text }

    // MARK: - Sums

    /// A term split into numeric coefficient and the rest (`nil` for a constant).
    private var termParts: (Double, Sym?) {
        switch kind {
        case .constant(let c): return (c, nil)
        case .mul(let c, let fs): return (c, fs.count == 1 ? fs[0] : Sym.rawMul(1, fs))
        default: return (1, self)
        }
    }

    public static func + (a: Sym, b: Sym) -> Sym { sum([a, b]) }
    public static func - (a: Sym, b: Sym) -> Sym { sum([a, scaled(b, -1)]) }
    public static prefix func - (a: Sym) -> Sym { scaled(a, -1) }

    /// Sum of terms, canonical.
    public static func sum(_ items: [Sym]) -> Sym {
        if let bad = items.first(where: { $0.isInvalid }) { return bad }
        var constant = 0.0
        var order: [String] = []
        var groups: [String: (Double, Sym)] = [:]
        func addTerm(_ t: Sym) {
            let (c, mono) = t.termParts
            guard let mono else {
                constant += c
                return
            }
            if let g = groups[mono.text] {
                groups[mono.text] = (g.0 + c, g.1)
            } else {
                groups[mono.text] = (c, mono)
                order.append(mono.text)
            }
        }
        for item in items {
            if case .add(let ts) = item.kind { ts.forEach(addTerm) } else { addTerm(item) }
        }
        var terms: [Sym] = []
        for key in order.sorted() {
            guard let (c, mono) = groups[key], c != 0 else { continue }
            terms.append(scaled(mono, c))
        }
        if terms.isEmpty { return Sym(constant: constant) }
        if terms.count == 1 && constant == 0 { return terms[0] }
        if constant != 0 { terms.append(Sym(constant: constant)) }
        // Text: a sum starts with a positive term when it has one (1 - x, b - a).
        var shown = terms
        if let k = terms.firstIndex(where: { !$0.isNegativeTerm }), k > 0 {
            shown.remove(at: k)
            shown.insert(terms[k], at: 0)
        }
        var text = shown[0].text
        for t in shown.dropFirst() {
            text += t.isNegativeTerm ? " - " + t.negatedText : " + " + t.text
        }
        return make(.add(terms), text: text, precedence: 1, children: terms)
    }

    var isNegativeTerm: Bool {
        switch kind {
        case .constant(let c): return c < 0
        case .mul(let c, _): return c < 0
        default: return false
        }
    }

    /// Text of `-self`, for a negative term.
    var negatedText: String {
        switch kind {
        case .constant(let c): return Sym(constant: -c).text
        case .mul(let c, let fs): return Sym.mulText(-c, fs)
        default: return text
        }
    }

    // MARK: - Products

    static func scaled(_ x: Sym, _ c: Double) -> Sym {
        if c == 1 { return x }
        return product([Sym(constant: c), x])
    }

    public static func * (a: Sym, b: Sym) -> Sym { product([a, b]) }
    public static func / (a: Sym, b: Sym) -> Sym { product([a, power(b, Sym(constant: -1))]) }

    static func rawMul(_ c: Double, _ fs: [Sym]) -> Sym {
        make(.mul(c, fs), text: mulText(c, fs), precedence: 2, children: fs)
    }

    /// Product of factors, canonical.
    public static func product(_ items: [Sym]) -> Sym {
        if let bad = items.first(where: { $0.isInvalid }) { return bad }
        var coef = 1.0
        var order: [String] = []
        var groups: [String: (Sym, [Sym])] = [:]
        func addFactor(_ f: Sym) {
            switch f.kind {
            case .constant(let c): coef *= c
            case .mul(let c, let fs):
                coef *= c
                fs.forEach(addFactor)
            default:
                var base = f
                var e = Sym(constant: 1)
                if case .power(let b, let x) = f.kind { (base, e) = (b, x) }
                if groups[base.text] != nil {
                    groups[base.text]?.1.append(e)
                } else {
                    groups[base.text] = (base, [e])
                    order.append(base.text)
                }
            }
        }
        items.forEach(addFactor)
        var factors: [Sym] = []
        for key in order.sorted() {
            guard let (base, exps) = groups[key] else { continue }
            let f = power(base, exps.count == 1 ? exps[0] : sum(exps))
            if let c = f.constantValue {
                coef *= c
            } else if case .mul(let c, let fs) = f.kind {
                coef *= c
                factors.append(contentsOf: fs)
            } else {
                factors.append(f)
            }
        }
        if coef == 0 || factors.isEmpty { return Sym(constant: coef) }
        if coef == 1 && factors.count == 1 { return factors[0] }
        // Simple factors first, sums (shown in parentheses) after: σ(z)*(1 - σ(z)).
        factors.sort { ($0.precedence < 2 ? 1 : 0, $0.text) < ($1.precedence < 2 ? 1 : 0, $1.text) }
        // Numbers distribute over a sum: 2*(a + b) is 2*a + 2*b.
        if factors.count == 1, case .add(let ts) = factors[0].kind {
            return sum(ts.map { scaled($0, coef) })
        }
        return rawMul(coef, factors)
    }

    /// `c*x*y/z`, with negative-exponent factors as the denominator.
    static func mulText(_ c: Double, _ fs: [Sym]) -> String {
        var num: [String] = []
        var den: [(String, Int)] = []
        for f in fs {
            if case .power(let b, let e) = f.kind, let ev = e.constantValue, ev < 0 {
                let flipped = ev == -1 ? b : power(b, Sym(constant: -ev))
                den.append((flipped.wrapped(3), flipped.precedence))
            } else {
                num.append(f.wrapped(2))
            }
        }
        var text: String
        if num.isEmpty {
            text = Sym(constant: c).text
        } else if den.isEmpty, let (p, q) = ratio(c) {
            // y/3, -2*y/3
            let body = num.joined(separator: "*")
            return (p == 1 ? body : p == -1 ? "-" + body : "\(p)*" + body) + "/\(q)"
        } else {
            let body = num.joined(separator: "*")
            text = c == 1 ? body : c == -1 ? "-" + body : formatNumber(c) + "*" + body
        }
        if !den.isEmpty {
            text += "/" + (den.count == 1 ? den[0].0 : "(" + den.map(\.0).joined(separator: "*") + ")")
        }
        return text
    }

    // MARK: - Powers and functions

    public static func power(_ base: Sym, _ e: Sym) -> Sym {
        if base.isInvalid { return base }
        if e.isInvalid { return e }
        if let b = base.constantValue, let x = e.constantValue { return Sym(constant: Double.power(b, x)) }
        if let x = e.constantValue {
            if x == 0 { return Sym(constant: 1) }
            if x == 1 { return base }
            let integral = x == x.rounded()
            if case .power(let b, let inner) = base.kind, integral { return power(b, inner * e) }
            if case .mul(let c, let fs) = base.kind, integral {
                return product([Sym(constant: Double.power(c, x))] + fs.map { power($0, e) })
            }
        }
        if let b = base.constantValue, b == 1 { return base }
        if let x = e.constantValue, x < 0 {
            // A reciprocal reads as one: 1/y, 1/y^2.
            let den = x == -1 ? base.wrapped(4) : base.wrapped(4) + "^" + formatNumber(-x)
            return make(.power(base, e), text: "1/" + den, precedence: 2, children: [base, e])
        }
        let text = base.wrapped(4) + "^" + e.wrapped(4)
        return make(.power(base, e), text: text, precedence: 3, children: [base, e])
    }

    public static func apply(_ f: UnaryFunction, _ x: Sym) -> Sym {
        if x.isInvalid { return x }
        if let c = x.constantValue { return Sym(constant: f(c)) }
        switch (f, x.kind) {
        case (.log, .function(.exp, let y)): return y
        case (.abs, .function(.abs, _)): return x
        case (.sqrt, _): return power(x, Sym(constant: 0.5))
        default: break
        }
        return make(.function(f, x), text: "\(f.rawValue)(\(x.text))", precedence: 4, children: [x])
    }
}

extension Sym {
    /// The expression's number with symbols bound to values (nil if one is unbound).
    /// Recursion is bounded by `maxHeight`.
    public func evaluate(_ bindings: [String: Double]) -> Double? {
        switch kind {
        case .constant(let c): return c
        case .symbol(let n): return bindings[n]
        case .add(let ts):
            var s = 0.0
            for t in ts {
                guard let v = t.evaluate(bindings) else { return nil }
                s += v
            }
            return s
        case .mul(let c, let fs):
            var p = c
            for f in fs {
                guard let v = f.evaluate(bindings) else { return nil }
                p *= v
            }
            return p
        case .power(let b, let e):
            guard let x = b.evaluate(bindings), let y = e.evaluate(bindings) else { return nil }
            return Double.power(x, y)
        case .function(let f, let x):
            return x.evaluate(bindings).map(f.callAsFunction)
        case .invalid: return nil
        }
    }
}

extension Sym {
    /// Products of sums multiplied out and whole powers (up to 8) of sums expanded, so
    /// that `(a + b)^2` and `a^2 + 2*a*b + b^2` meet. Nil when the result would exceed
    /// `maxTerms` terms. Recursion is bounded by `maxHeight`.
    public func expanded(maxTerms: Int = 2000) -> Sym? {
        switch kind {
        case .constant, .symbol, .invalid:
            return self
        case .add(let terms):
            var out: [Sym] = []
            for t in terms {
                guard let e = t.expanded(maxTerms: maxTerms) else { return nil }
                out.append(e)
            }
            return Sym.sum(out)
        case .mul(let c, let fs):
            var terms: [Sym] = [Sym(constant: c)]
            for f in fs {
                guard let e = f.expanded(maxTerms: maxTerms), let t = Sym.multiplyOut(terms, e, maxTerms) else { return nil }
                terms = t
            }
            return Sym.sum(terms)
        case .power(let b, let e):
            guard let base = b.expanded(maxTerms: maxTerms) else { return nil }
            if let n = e.constantValue, n == n.rounded(), n >= 2, n <= 8, case .add(let ts) = base.kind {
                var terms = ts
                for _ in 1..<Int(n) {
                    guard let t = Sym.multiplyOut(terms, base, maxTerms) else { return nil }
                    terms = t
                }
                return Sym.sum(terms)
            }
            return Sym.power(base, e)
        case .function(let f, let x):
            guard let e = x.expanded(maxTerms: maxTerms) else { return nil }
            return Sym.apply(f, e)
        }
    }

    /// The terms of (Σ terms)·e, each a product of monomials (never re-expanded, so
    /// there is no recursion here); nil past `maxTerms`.
    static func multiplyOut(_ terms: [Sym], _ e: Sym, _ maxTerms: Int) -> [Sym]? {
        let parts: [Sym]
        if case .add(let ts) = e.kind { parts = ts } else { parts = [e] }
        guard terms.count * parts.count <= maxTerms else { return nil }
        return terms.flatMap { t in parts.map { t * $0 } }
    }

    /// Whether two expressions are the same: the same canonical form, or the same once
    /// multiplied out.
    public func isSame(as other: Sym) -> Bool {
        if self == other { return true }
        guard let a = expanded(), let b = other.expanded() else { return false }
        return a == b
    }
}
