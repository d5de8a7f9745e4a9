import Foundation
import XCTest

@testable import graphrepl

/// The lecture's 3-4-2 network through every command that shows derivatives: rules in
/// the lecture's notation, no internal helper in sight, and nothing wider than 80 columns.
final class LectureNotationTests: XCTestCase {
    static let helpers = [
        "unbroadcast", "broadcast_like", "reshape_like", "expand_axis", "as_row", "as_column", "as_matrix", "sum_keep",
        "xlogy", "xdivy", "seed(", "scatter", "unslice", "argmax_mask", "zeros_like", "count(",
    ]

    func network() -> Captured {
        let c = Captured()
        _ = c.run(NetworkCommandTests.lectureNet + "\nx = [1, 0, 1]; label = [0, 1]")
        return c
    }

    func columns(_ line: Substring) -> Int { line.unicodeScalars.filter { !$0.properties.isDiacritic }.count }

    func testEveryCommandFitsIn80ColumnsWithNoHelperName() {
        let c = network()
        for command in [
            ":reverse C", ":forward C wrt b1", ":forward C wrt W2", ":check C", ":backprop C", ":partials C",
            ":jacobian C wrt W1", ":jacobian y wrt z2", ":graph C", ":graph C grad", ":list", ":paths C wrt W1", ":grad C",
        ] {
            let out = c.run(command)
            for line in out.split(separator: "\n") {
                XCTAssertLessThanOrEqual(columns(line), 80, "\(command): \(line)")
            }
            for h in LectureNotationTests.helpers { XCTAssertFalse(out.contains(h), "\(command) shows \(h):\n\(out)") }
        }
    }

    func testReverseModeReadsAsTheLecture() {
        let out = network().run(":reverse C")
        for rule in ["z̄2 = y − label", "b̄2 = z̄2", "ā1 = W2ᵀ z̄2", "z̄1 = σ'(z1) ∘ ā1", "x̄ = W1ᵀ z̄1", "W̄1 = z̄1 xᵀ", "W̄2 = z̄2 a1ᵀ"] {
            XCTAssertTrue(out.contains(rule), "no \(rule) in\n\(out)")
        }
        let f = network().run(":forward C wrt b1")
        XCTAssertTrue(f.contains("ȧ1 = σ'(z1) ∘ ż1"), f)
        XCTAssertTrue(f.contains("∂C/∂b1 =") && f.contains("[0.0161"), f)
    }

    func testBackpropUsesTheRightOperatorForEachActivation() {
        let out = network().run(":backprop C")
        XCTAssertTrue(out.contains("δ2 = y − label  (softmax with cross-entropy)"), out)
        XCTAssertTrue(out.contains("δ1 = sigmoid'(z1) ∘ W2ᵀ δ2"), out)
        XCTAssertFalse(out.contains("softmax'"), out)
    }

    func testLongValuesAreShownByShapeAndWholeByShow() {
        let c = network()
        XCTAssertTrue(c.run(":reverse C").contains("[4×3] matrix"))
        XCTAssertTrue(c.run(":show W1").hasSuffix("(shape [4, 3])\n"))
    }
}

/// Derivative graphs drawn as users read them.
final class DerivativeDrawingTests: XCTestCase {
    func testTheGradientGraphOfScalarsHasNoShapeHelpers() {
        let c = Captured()
        _ = c.run("a = 3; b = 2; c = a + b; d = b + 1; e = c * d; g = grad(e, b)")
        let drawing = c.run(":graph g")
        XCTAssertTrue(drawing.contains("│ g = c + d │"), drawing)
        XCTAssertFalse(drawing.contains("e = c*d"), "the seed's output is not part of ∂e/∂b:\n\(drawing)")
        for h in LectureNotationTests.helpers { XCTAssertFalse(drawing.contains(h), "\(h) in\n\(drawing)") }
    }
}
