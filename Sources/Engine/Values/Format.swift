import Foundation

/// How a double prints: whole numbers without `.0`, others in the shortest form that reads
/// back to the same double; with `digits`, rounded to that many significant digits.
public func formatNumber(_ x: Double, digits: Int? = nil) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    if x == 0 { return "0" }
    var v = x
    if let d = digits, d > 0 {
        let s = String(format: "%.\(d)g", x)
        v = Double(s) ?? x
    }
    if v == v.rounded(), Swift.abs(v) < 1e15 { return String(Int64(v)) }
    var s = "\(v)"
    // Whole numbers past 1e15 print as 4000000000000000.0: no trailing .0 for them either.
    if s.hasSuffix(".0") { s.removeLast(2) }
    // Swift writes 1e-05; keep the exponent short as people write it: 1e-5.
    if let r = s.range(of: "e-0") { s.replaceSubrange(r, with: "e-") }
    if let r = s.range(of: "e+") { s.replaceSubrange(r, with: "e") }
    return s
}

/// A value as the language writes it: `15`, `[1, 2]`, `[[x1 - x3, x2 - x4], [x3, x4]]`.
/// Tensors of more than `summarizeAbove` elements show the first and last three
/// entries of each axis, as NumPy does. Iterative over the axes.
public func formatValue(_ v: Value, digits: Int? = nil, summarizeAbove: Int = 1000) -> String {
    let shape = v.shape
    let element: (Int) -> String
    switch v {
    case .number(let x): element = { _ in formatNumber(x, digits: digits) }
    case .num(let t): element = { formatNumber(t.data[$0], digits: digits) }
    case .sym(let t):
        element = { i in
            if let c = t.data[i].constantValue { return formatNumber(c, digits: digits) }
            return t.data[i].text
        }
    }
    if shape.isEmpty { return v.count > 0 ? element(0) : "[]" }
    if v.count == 0 { return String(repeating: "[", count: shape.count) + String(repeating: "]", count: shape.count) }
    let summarize = v.count > summarizeAbove
    let strides = Tensor<Double>.strides(shape)
    var out = ""
    // Stack of (axis, position along it, base offset).
    var stack: [(Int, Int, Int)] = [(0, 0, 0)]
    out += "["
    while let (axis, pos, base) = stack.popLast() {
        let n = shape[axis]
        if pos >= n {
            out += "]"
            continue
        }
        var p = pos
        if summarize && n > 6 && p == 3 {
            out += ", …"
            p = n - 3
        }
        if p > 0 { out += ", " }
        stack.append((axis, p + 1, base))
        let offset = base + p * strides[axis]
        if axis == shape.count - 1 {
            out += element(offset)
        } else {
            out += "["
            stack.append((axis + 1, 0, offset))
        }
    }
    return out
}
