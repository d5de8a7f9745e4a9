import Engine

/// LaTeX of symbolic values: `\left(a + b\right) \left(b + 1\right)`. Recursion is
/// bounded by `Sym.maxHeight`.
enum Latex {
    static func value(_ v: Value) -> String {
        let t = v.symbolic
        switch t.rank {
        case 0: return sym(t.data[0])
        case 1: return "\\begin{bmatrix} " + t.data.map(sym).joined(separator: " \\\\ ") + " \\end{bmatrix}"
        case 2:
            let n = t.shape[1]
            let rows = (0..<t.shape[0]).map { i in (0..<n).map { sym(t.data[i * n + $0]) }.joined(separator: " & ") }
            return "\\begin{bmatrix} " + rows.joined(separator: " \\\\ ") + " \\end{bmatrix}"
        default:
            return formatValue(v)
        }
    }

    /// `x1` → `x_{1}`, `W[1,2]` → `W_{1,2}`, longer names upright.
    static func name(_ n: String) -> String {
        if let open = n.firstIndex(of: "["), n.hasSuffix("]") {
            return name(String(n[..<open])) + "_{" + n[n.index(after: open)..<n.index(before: n.endIndex)] + "}"
        }
        let letters = n.prefix { !$0.isNumber }
        let digits = n.dropFirst(letters.count)
        let greek = ["alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "mu", "sigma", "tau", "phi", "omega"]
        var base =
            letters.count == 1
            ? String(letters)
            : greek.contains(String(letters)) ? "\\" + letters : "\\mathrm{\(letters.replacingOccurrences(of: "_", with: "\\_"))}"
        if letters.isEmpty { base = "" }
        return digits.isEmpty || !digits.allSatisfy(\.isNumber) ? base + digits : base + "_{" + digits + "}"
    }

    /// A number; a simple fraction as \frac{p}{q}.
    static func number(_ x: Double) -> String {
        if let (p, q) = Sym.ratio(x) { return (p < 0 ? "-" : "") + "\\frac{\(Swift.abs(p))}{\(q)}" }
        return formatNumber(x)
    }

    static func sym(_ s: Sym) -> String {
        switch s.kind {
        case .constant(let c): return number(c)
        case .symbol(let n): return name(n)
        case .invalid(let why): return "\\text{\(why)}"
        case .add(var terms):
            // Start with a positive term when there is one, as the text form does.
            if let k = terms.firstIndex(where: { !signed($0).0 }), k > 0 { terms.insert(terms.remove(at: k), at: 0) }
            var out = ""
            for (i, t) in terms.enumerated() {
                let (negative, body) = signed(t)
                out += i == 0 ? (negative ? "-" + body : body) : (negative ? " - " + body : " + " + body)
            }
            return out
        case .mul(let c, let fs):
            return product(c, fs)
        case .power(let b, let e):
            if let x = e.constantValue {
                if x == 0.5 { return "\\sqrt{\(sym(b))}" }
                if x < 0 { return product(1, [s]) }
            }
            return atom(b) + "^{" + sym(e) + "}"
        case .function(let f, let x):
            let arg = "\\left(" + sym(x) + "\\right)"
            switch f {
            case .exp: return "e^{" + sym(x) + "}"
            case .log: return "\\log" + arg
            case .sqrt: return "\\sqrt{" + sym(x) + "}"
            case .abs: return "\\left|" + sym(x) + "\\right|"
            case .sin, .cos, .tan, .tanh: return "\\\(f.rawValue)" + arg
            case .sigmoid: return "\\sigma" + arg
            case .relu, .softplus, .step, .sign: return "\\operatorname{\(f.rawValue)}" + arg
            }
        }
    }

    /// A term's sign and the LaTeX of its magnitude.
    static func signed(_ t: Sym) -> (Bool, String) {
        switch t.kind {
        case .constant(let c) where c < 0: return (true, number(-c))
        case .mul(let c, let fs) where c < 0: return (true, product(-c, fs))
        default: return (false, sym(t))
        }
    }

    static func atom(_ s: Sym) -> String {
        switch s.kind {
        case .symbol, .function: return sym(s)
        case .constant(let c) where c >= 0: return sym(s)
        default: return "\\left(" + sym(s) + "\\right)"
        }
    }

    static func factor(_ s: Sym) -> String {
        if case .add = s.kind { return "\\left(" + sym(s) + "\\right)" }
        return sym(s)
    }

    static func product(_ c: Double, _ fs: [Sym]) -> String {
        var num: [String] = []
        var den: [String] = []
        var numerators: [String] = []  // the same, unparenthesised
        var denominators: [String] = []
        for f in fs {
            if case .power(let b, let e) = f.kind, let x = e.constantValue, x < 0 {
                den.append(x == -1 ? factor(b) : atom(b) + "^{" + number(-x) + "}")
                denominators.append(x == -1 ? sym(b) : atom(b) + "^{" + number(-x) + "}")
            } else {
                num.append(factor(f))
                numerators.append(sym(f))
            }
        }
        var sign = ""
        var coef = c
        if coef < 0 {
            sign = "-"
            coef = -coef
        }
        var top = num.joined(separator: " ")
        if coef != 1 || top.isEmpty { top = top.isEmpty ? number(coef) : number(coef) + " " + top }
        if den.isEmpty { return sign + top }
        // A lone factor needs no parentheses inside \frac{…}{…}.
        if den.count == 1, let only = denominators.first { den = [only] }
        if num.count == 1, coef == 1, let only = numerators.first { top = only }
        return sign + "\\frac{" + top + "}{" + den.joined(separator: " ") + "}"
    }
}
