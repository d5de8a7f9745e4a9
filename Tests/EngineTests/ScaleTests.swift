import Engine
import GraphLang
import XCTest

/// Sizes that a recursive implementation would not survive.
final class ScaleTests: XCTestCase {
    func testChainOf200000Definitions() {
        let h = Harness()
        var text = "x0 = 1\n"
        for i in 1...200_000 { text += "x\(i) = x\(i - 1) + 1\n" }
        text += "print x200000\n"
        XCTAssertEqual(h.output(text), "200001")
        // The derivative through the whole chain, by reverse mode over flat storage.
        XCTAssertEqual(h.output("print grad(x200000, x0)"), "1")
    }

    func testSumOf300000Terms() {
        let h = Harness()
        h.run("a = 3")
        let text = "s = " + Array(repeating: "a", count: 300_000).joined(separator: " + ") + "\nprint s"
        XCTAssertEqual(h.output(text), "900000")
        // With a free symbol, the symbolic sum collects to one term.
        let sym = "t = " + Array(repeating: "z", count: 300_000).joined(separator: " + ") + "\nprint t"
        XCTAssertEqual(h.output(sym), "300000*z")
    }

    func testSymbolicGrowthIsBoundedWithACleanError() {
        let h = Harness()
        var text = "y0 = z\n"
        for i in 1...1000 { text += "y\(i) = sin(y\(i - 1))\n" }
        text += "print y1000\n"
        // The error points at the definition where the expression grew too deep.
        XCTAssertEqual(h.error(text), "t:201:8: error: symbolic expression too deep (more than 200 levels)")
        // With a value for z, it computes.
        XCTAssertEqual(h.output("z = 0\nprint y1000"), "0")
    }

    func testScriptOf100000Definitions() {
        let h = Harness()
        var text = ""
        for i in 0..<100_000 { text += "v\(i) = \(i)\n" }
        XCTAssertEqual(h.run(text), .ok)
        XCTAssertEqual(h.session.order.count, 100_000)
    }
}
