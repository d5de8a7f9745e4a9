/// Reads decimal numbers from bytes exactly as `strtod` does (the nearest double, ties
/// to even), without it for the common forms: `strtod` costs about 180 ns a number, which
/// made reading a CSV file most of a script's time. Anything it cannot settle quickly it
/// leaves to `strtod` (nil), so the result is always `strtod`'s.
public enum DecimalReader {
    /// Powers of ten that a Double holds exactly.
    static let exactPowersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { r, _ in r * 10 } }

    #if arch(x86_64) && !os(Windows)
        /// Powers of ten that an 80-bit float (64-bit significand) holds exactly.
        static let exactPowersOfTen80: [Float80] = (0...27).map { k in (0..<k).reduce(Float80(1)) { r, _ in r * 10 } }
    #endif

    /// The number written in `bytes[start..<end]` as `[+|-]digits[.digits][(e|E)[+|-]digits]`
    /// (digits on at least one side of the point), or nil: when the bytes are not of
    /// that form, or when reading them exactly needs `strtod`.
    ///
    /// With at most 19 significant digits m and a power of ten 10^q:
    /// - m < 2^53 and |q| ≤ 22: m and 10^|q| are exact doubles and one multiplication or
    ///   division rounds once, correctly (Clinger's fast path);
    /// - |q| ≤ 27: the same in 80-bit floats, exact operands, one rounding to 64 bits,
    ///   then a rounding to 53. The second rounding can only go wrong when the 80-bit
    ///   result is exactly halfway between two doubles (a halfway point is an 80-bit
    ///   number, so none can lie strictly between the true value and its nearest 80-bit
    ///   float); that case, and results outside the normal doubles, go to `strtod`.
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
        while i < end {
            // Eight digits at a time once the number has begun (its leading zeros read).
            if m != 0, significant + 8 <= 19, i + 8 <= end,
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
        #if arch(x86_64) && !os(Windows)
            guard scale >= -27, scale <= 27 else { return nil }
            let x = Float80(m)
            let r = scale >= 0 ? x * exactPowersOfTen80[scale] : x / exactPowersOfTen80[-scale]
            // m < 2^64 and |q| ≤ 27 keep r among the normal doubles; it must not be
            // exactly halfway between two of them (the 11 bits below a double's 52 are
            // then 100 0000 0000).
            guard r.significandBitPattern & 0x7FF != 0x400 else { return nil }
            let v = Double(r)
            return negative ? -v : v
        #else
            return nil
        #endif
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
