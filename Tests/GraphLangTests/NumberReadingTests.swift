import XCTest

@testable import GraphLang

/// The lexer reads most numbers without `strtod` (`Lexer.exactDecimal`); whatever it
/// reads must be bit for bit what `strtod` gives.
final class NumberReadingTests: XCTestCase {
    func read(_ text: String) -> Double? { Lexer.exactDecimal(Array(text.utf8), 0, text.utf8.count) }

    func testCommonNumbersTakeTheFastPathAndAgreeWithStrtod() {
        for text in [
            "0", "3", "0.999", "0.001", "0.0001", "123456789012345", "1.5e3", "2E-7", "1.", ".5", "0.1", "1e22", "7e-22",
        ] {
            guard let v = read(text) else { return XCTFail("\(text): expected the fast path") }
            XCTAssertEqual(v.bitPattern, Double(text)!.bitPattern, "\(text): expected \(Double(text)!), observed \(v)")
        }
    }

    func testLongOrLargeNumbersAreLeftToStrtod() {
        for text in ["0.12345678901234567", "1234567890123456", "1e23", "1e-23", "1e99999"] {
            XCTAssertNil(read(text), text)
        }
    }

    func testRandomDecimalsAgreeBitForBit() {
        var g = SystemRandomNumberGenerator()
        var fast = 0
        for _ in 0..<200_000 {
            var text = String(
                (0..<Int.random(in: 1...17, using: &g)).map { _ in Character(String(Int.random(in: 0...9, using: &g))) })
            if Bool.random(using: &g) {
                let at = Int.random(in: 0...text.count, using: &g)
                text.insert(".", at: text.index(text.startIndex, offsetBy: at))
                if text == "." { text = "0." }
            }
            if Int.random(in: 0..<4, using: &g) == 0 {
                text += ["e", "E"].randomElement(using: &g)! + ["", "+", "-"].randomElement(using: &g)!
                text += String(Int.random(in: 0...30, using: &g))
            }
            guard let want = Double(text) else { continue }
            if let v = read(text) {
                fast += 1
                XCTAssertEqual(v.bitPattern, want.bitPattern, "\(text): expected \(want), observed \(v), tolerance 0")
            }
        }
        XCTAssertGreaterThan(fast, 50_000, "the fast path should read most of these")
    }
}
