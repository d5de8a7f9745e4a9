import Foundation
import XCTest

@testable import GraphLang

/// Numbers are read without `strtod` where that can be done exactly (`DecimalReader`);
/// whatever it reads must be bit for bit what `strtod` gives.
final class NumberReadingTests: XCTestCase {
    func read(_ text: String) -> Double? { DecimalReader.read(Array(text.utf8), 0, text.utf8.count) }

    func check(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        guard let want = Double(text) else { return false }
        guard let v = read(text) else { return false }
        XCTAssertEqual(
            v.bitPattern, want.bitPattern, "\(text): expected \(want), observed \(v), tolerance 0", file: file, line: line)
        return true
    }

    /// The table of exact powers of ten, written out, is what products of tens give.
    func testExactPowersOfTenAreProductsOfTens() {
        XCTAssertEqual(DecimalReader.exactPowersOfTen.count, 23)
        var p = 1.0
        for (k, v) in DecimalReader.exactPowersOfTen.enumerated() {
            XCTAssertEqual(v.bitPattern, p.bitPattern, "10^\(k): expected \(p), observed \(v), tolerance 0")
            p *= 10
        }
    }

    func testCommonNumbersTakeTheFastPathAndAgreeWithStrtod() {
        let texts = [
            "0", "3", "0.999", "0.001", "0.0001", "123456789012345", "1.5e3", "2E-7", "1.", ".5", "0.1", "1e22", "7e-22",
            "-0", "-0.5", "+2.5", "0.12345678901234567", "-0.31415926535897931", "1234567890123456789", "9.999999999999999e26",
            // Leading zeros before the significant digits, as %.17g writes small numbers.
            "-0.038003779745630073", "0.00012345678901234567", "00042.5", "0.0", "000", "0.000000000000000000001e5",
        ]
        for text in texts {
            XCTAssertTrue(check(text), "\(text): expected the fast path")
        }
        XCTAssertEqual(read("-0")?.sign, .minus)
    }

    func testEightDigitsAtOnce() {
        func eight(_ s: String) -> UInt32? { Array(s.utf8).withUnsafeBytes { DecimalReader.eightDigits($0.baseAddress!) } }
        XCTAssertEqual(eight("12345678"), 12_345_678)
        XCTAssertEqual(eight("00000000"), 0)
        XCTAssertEqual(eight("99999999"), 99_999_999)
        XCTAssertEqual(eight("09080706"), 9_080_706)
        for bad in ["1234567a", "/2345678", "1234:678", "1234.678", "1234 678", "-2345678"] { XCTAssertNil(eight(bad), bad) }
    }

    func testWhatItCannotSettleIsLeftToStrtod() {
        // Too many digits, exponents out of reach, and not numbers at all.
        for text in [
            "0.123456789012345678901", "1e28", "1e-28", "1e99999", "inf", "nan", "1e", "1e+", "-", ".", "1.2.3", "0x10", "1,5",
        ] {
            XCTAssertNil(read(text), text)
        }
        // 2^53 + 1 lies exactly halfway between two doubles. Times a power of ten it is
        // decided exactly (ties to even); divided by one, the reciprocal's rounding
        // leaves it undecided, and strtod decides.
        for text in ["9007199254740993", "900719925474099.3e1", "9007199254740993e10"] {
            XCTAssertEqual(read(text)?.bitPattern, Double(text)!.bitPattern, text)
        }
        XCTAssertNil(DecimalReader.scaled(90_071_992_547_409_930, -1))
        XCTAssertNil(read("9007199254740993.0"))
    }

    func testRandomDecimalsAgreeBitForBit() {
        var g = SystemRandomNumberGenerator()
        var fast = 0
        var tried = 0
        for _ in 0..<300_000 {
            var text = String(
                (0..<Int.random(in: 1...19, using: &g)).map { _ in Character(String(Int.random(in: 0...9, using: &g))) })
            if Bool.random(using: &g) {
                let at = Int.random(in: 0...text.count, using: &g)
                text.insert(".", at: text.index(text.startIndex, offsetBy: at))
                if text == "." { text = "0." }
            }
            if Int.random(in: 0..<3, using: &g) == 0 {
                text += ["e", "E"].randomElement(using: &g)! + ["", "+", "-"].randomElement(using: &g)!
                text += String(Int.random(in: 0...30, using: &g))
            }
            if Int.random(in: 0..<4, using: &g) == 0 { text = "-" + text }
            tried += 1
            if check(text) { fast += 1 }
        }
        XCTAssertGreaterThan(fast, tried / 2, "the fast path should read most of these")
    }

    func testSeventeenDigitsAsWrittenByPrintfAgreeBitForBit() {
        // What CSV files written with %.17g hold: the numbers round-trip exactly.
        var g = SystemRandomNumberGenerator()
        var fast = 0
        for _ in 0..<200_000 {
            let x = Double.random(in: -1...1, using: &g) * [1, 1e-5, 1e5, 1e-12, 1e12].randomElement(using: &g)!
            let text = x.description.contains("e") ? "\(x)" : String(x)
            let digits17 = String(format: "%.17g", x)
            for t in [text, digits17] where check(t) { fast += 1 }
            XCTAssertEqual(read(digits17) ?? Double(digits17), x, digits17)
        }
        XCTAssertGreaterThan(fast, 300_000, "the fast path should read nearly all of these")
    }

    func testIntegerScalingAgreesWithStrtodAtEveryPowerOfTen() {
        // m × 10^q by 192-bit integer products, against strtod, over every q it takes.
        var g = SystemRandomNumberGenerator()
        var undecided = 0
        for i in 0..<300_000 {
            let digits = Int.random(in: 1...19, using: &g)
            var m = UInt64.random(
                in: 1...(digits == 19 ? UInt64(9_999_999_999_999_999_999) : UInt64(pow(10.0, Double(digits))) - 1), using: &g)
            if i % 7 == 0 { m = UInt64(1) << UInt64.random(in: 0...63, using: &g) }  // powers of two: exact halves
            let q = Int.random(in: -27...27, using: &g)
            let want = Double("\(m)e\(q)")!
            guard let v = DecimalReader.scaled(m, q) else {
                undecided += 1
                continue
            }
            if v.bitPattern != want.bitPattern {
                XCTFail("\(m)e\(q): expected \(want), observed \(v), tolerance 0")
                return
            }
        }
        XCTAssertLessThan(undecided, 3000, "left undecided (under 1 %)")
    }

    func testHalfwayCasesNearEveryScale() {
        // Decimal forms of numbers exactly halfway between neighbouring doubles, and
        // their neighbours a digit away, at many scales: strtod decides these.
        var g = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let k = Int.random(in: 0...10, using: &g)
            let base = UInt64.random(in: (1 << 53)...(1 << 54 - 1), using: &g) | 1  // odd: halfway at this scale
            for d in [-1, 0, 1] {
                let m = Int64(base) + Int64(d)
                // m × 2^k written exactly in decimal, with k small so it stays ≤ 19 digits.
                let v = UInt64(m) << UInt64(k)
                _ = check(String(v))
            }
        }
    }

    /// Numbers in a script are read by the lexer, which settles short ones itself (at
    /// most 15 digits, no exponent): each must be the double `strtod` gives.
    func testTheLexersNumbersAgreeWithStrtodBitForBit() {
        var g = SystemRandomNumberGenerator()
        var texts: [String] = [
            "0", "0.5", ".5", "5.", "0.999", "0.0001", "2", "123456789012345", "1234567890123456",
            "0.000000000000000000001", "0.0000000000000000000001", "9007199254740993", "1e5", "2.5E-3", "007",
        ]
        for _ in 0..<100_000 {
            var text = String(
                (0..<Int.random(in: 1...17, using: &g)).map { _ in Character(String(Int.random(in: 0...9, using: &g))) })
            if Bool.random(using: &g) {
                let at = Int.random(in: 0...text.count, using: &g)
                text.insert(".", at: text.index(text.startIndex, offsetBy: at))
                if text == "." { text = "0." }
                if text.hasSuffix(".") { text += "0" }
            }
            if Int.random(in: 0..<5, using: &g) == 0 { text += "e-" + String(Int.random(in: 0...30, using: &g)) }
            texts.append(text)
        }
        let source = SourceFile(name: "numbers", text: texts.joined(separator: "\n"))
        var lexer = Lexer(source: source)
        var read = 0
        while true {
            let t = lexer.next()
            if t.kind == .eof { break }
            guard case .number(let v) = t.kind else { continue }
            let text = source.text(t.span)
            let want = strtod(text, nil)
            XCTAssertEqual(v.bitPattern, want.bitPattern, "\(text): expected \(want), observed \(v), tolerance 0")
            read += 1
        }
        XCTAssertEqual(read, texts.count, "every number read as one token")
    }
}
