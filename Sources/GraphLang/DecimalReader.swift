/// Reads decimal numbers from bytes exactly as `strtod` does (the nearest double, ties
/// to even), without it for the common forms: `strtod` costs about 180 ns a number, which
/// made reading a CSV file most of a script's time. Anything it cannot settle quickly it
/// leaves to `strtod` (nil), so the result is always `strtod`'s.
public enum DecimalReader {
    /// Powers of ten that a Double holds exactly. Written out: a table of literals is
    /// laid down with the program, where one computed is made on first use and every
    /// read checks that it was (a test compares them with products of tens).
    static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ]

    /// The number written in `bytes[start..<end]` as `[+|-]digits[.digits][(e|E)[+|-]digits]`
    /// (digits on at least one side of the point), or nil: when the bytes are not of
    /// that form, or when reading them exactly needs `strtod`.
    ///
    /// With at most 19 significant digits m and a power of ten 10^q, |q| ≤ 27:
    /// - m < 2^53 and |q| ≤ 22: m and 10^|q| are exact doubles and one multiplication or
    ///   division rounds once, correctly (Clinger's fast path);
    /// - otherwise `scaled`: integer products to 192 bits, exact for q ≥ 0 and decided
    ///   for q < 0 unless a carry could change the result (under 1 % of numbers, and every
    ///   exact halfway value): those go to `strtod`.
    public static func read(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var i = start
        var negative = false
        if i < end, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var m: UInt64 = 0
        var significant = 0
        var digits = 0
        var scale = 0
        var seenPoint = false
        // Leading zeros, before and after the point (`0.00`), add nothing to m: read
        // them first, so that what follows starts with a significant digit.
        while i < end {
            let c = bytes[i]
            if c == 48 {
                digits += 1
                if seenPoint { scale -= 1 }
            } else if c == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else {
                break
            }
            i += 1
        }
        while i < end {
            // Eight digits at a time: from a significant digit on, all are significant.
            if significant + 8 <= 19, i + 8 <= end,
                let eight = DecimalReader.eightDigits(UnsafeRawPointer(bytes.baseAddress! + i))
            {
                m = m &* 100_000_000 &+ UInt64(eight)
                significant += 8
                digits += 8
                if seenPoint { scale -= 8 }
                i += 8
                continue
            }
            let c = bytes[i]
            if c >= 48 && c <= 57 {
                digits += 1
                if m != 0 || c != 48 { significant += 1 }
                if significant > 19 { return nil }
                m = m &* 10 &+ UInt64(c &- 48)
                if seenPoint { scale -= 1 }
            } else if c == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else {
                break
            }
            i += 1
        }
        guard digits > 0 else { return nil }
        if i < end {
            guard bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") else { return nil }
            i += 1
            var negativeExponent = false
            if i < end, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                negativeExponent = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < end else { return nil }
            var e = 0
            while i < end {
                let c = bytes[i]
                guard c >= 48 && c <= 57, e < 100_000 else { return nil }
                e = e * 10 + Int(c &- 48)
                i += 1
            }
            scale += negativeExponent ? -e : e
        }
        if m == 0 { return negative ? -0.0 : 0 }
        if m <= 1 << 53, scale >= -22, scale <= 22 {
            let x = Double(m)
            let v = scale >= 0 ? x * exactPowersOfTen[scale] : x / exactPowersOfTen[-scale]
            return negative ? -v : v
        }
        guard scale >= -27, scale <= 27 else { return nil }
        guard let v = scaled(m, scale) else { return nil }
        return negative ? -v : v
    }

    /// 10^k for k in 0...27, normalized to 128 bits (top bit set): exact, as 10^27 < 2^90.
    static let powersOfTen128: [(value: UInt128, bits: Int)] = (0...27).map { k in
        var p: UInt128 = 1
        for _ in 0..<k { p *= 10 }
        let bits = 128 - p.leadingZeroBitCount
        return (p << (128 - bits), bits)
    }

    /// floor(2^(128 + b) / 10^k) for k in 1...27, where 2^b ≤ 10^k < 2^(b+1): the
    /// reciprocal of 10^k to 128 bits (top bit set), by long division.
    static let reciprocalsOfTen128: [(value: UInt128, b: Int)] = (0...27).map { k in
        guard k > 0 else { return (0, 0) }
        var d: UInt128 = 1
        for _ in 0..<k { d *= 10 }
        let b = 127 - d.leadingZeroBitCount
        var q: UInt128 = 0
        var r: UInt128 = 0
        // The bits of 2^(128 + b), from the top: a one, then 128 + b zeros.
        for i in 0...(128 + b) {
            r = (r << 1) | (i == 0 ? 1 : 0)
            q <<= 1
            if r >= d {
                r -= d
                q |= 1
            }
        }
        return (q, b)
    }

    /// m × 10^q (m ≠ 0, |q| ≤ 27) correctly rounded, from integer arithmetic alone: m,
    /// normalized to 64 bits, times 10^q to 128 bits gives a 192-bit product whose top
    /// 64 bits hold the double's 53 and the rounding bits. For q ≥ 0 the product is
    /// exact. For q < 0 the reciprocal is rounded down, so the true product exceeds the
    /// computed one by less than 2^64: the top bits are right, and the rounding is
    /// decided, unless the middle 64 bits are all ones (a carry could reach the top, as
    /// it does for an exact halfway value): then nil, for the caller to decide otherwise.
    static func scaled(_ m: UInt64, _ q: Int) -> Double? {
        let s = m.leadingZeroBitCount
        let w = m << UInt64(s)
        let t: UInt128
        let e0: Int
        if q >= 0 {
            (t, e0) = (powersOfTen128[q].value, powersOfTen128[q].bits - s - 128)
        } else {
            let r = reciprocalsOfTen128[-q]
            (t, e0) = (r.value, -r.b - s - 128)
        }
        // w × t = hi·2^128 + mid·2^64 + lo.
        let a = w.multipliedFullWidth(by: UInt64(truncatingIfNeeded: t >> 64))
        let c = w.multipliedFullWidth(by: UInt64(truncatingIfNeeded: t))
        let (mid, carry) = a.low.addingReportingOverflow(c.high)
        let hi = a.high + (carry ? 1 : 0)
        let lo = c.low
        let shift: UInt64 = hi >> 63 == 1 ? 11 : 10
        var mantissa = hi >> shift
        let rest = hi & ((1 << shift) - 1)
        let half: UInt64 = 1 << (shift - 1)
        let up: Bool
        if q >= 0 {
            up = rest > half || (rest == half && (mid != 0 || lo != 0 || mantissa & 1 == 1))
        } else {
            guard mid != UInt64.max else { return nil }
            up = rest >= half
        }
        var exponent = e0 + 128 + Int(shift)
        if up {
            mantissa += 1
            if mantissa == 1 << 53 {
                mantissa = 1 << 52
                exponent += 1
            }
        }
        // mantissa · 2^exponent, its bits put together: a normal double for every m and
        // q taken here (at least 10^-27, below 10^47).
        let biased = exponent + 52 + 1023
        guard biased >= 1, biased <= 2046 else {
            return Double(sign: .plus, exponent: exponent, significand: Double(mantissa))
        }
        return Double(bitPattern: UInt64(biased) << 52 | (mantissa & ((1 << 52) - 1)))
    }

    /// The value of the eight bytes at `p` when all are decimal digits (the first the
    /// most significant), read as one 64-bit word; nil otherwise.
    @inline(__always)
    static func eightDigits(_ p: UnsafeRawPointer) -> UInt32? {
        let v = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
        // Every byte 0x30…0x39: its high nibble 3, and adding 6 keeps it there.
        let high: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
        let plusSix: UInt64 = (v &+ 0x0606_0606_0606_0606) & high
        guard (v & high) | (plusSix >> 4) == 0x3333_3333_3333_3333 else { return nil }
        var x: UInt64 = v &- 0x3030_3030_3030_3030
        x = (x &* 10) &+ (x >> 8)  // pairs of digits
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        let low: UInt64 = (x & mask) &* (100 + (1_000_000 << 32))
        let upper: UInt64 = ((x >> 16) & mask) &* (1 + (10_000 << 32))
        return UInt32(truncatingIfNeeded: (low &+ upper) >> 32)
    }

    /// `read` over an array.
    public static func read(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Double? {
        bytes.withUnsafeBufferPointer { read($0, start, end) }
    }
}
