import Engine
import XCTest

@testable import graphrepl

/// `name := expr` and `:repeat`: gradient descent written by hand.
final class AssignRepeatTests: XCTestCase {
    func testOneGradientStepByHand() {
        let c = Captured()
        _ = c.run("w = 3; f = w^2")
        _ = c.run("w := w - 0.1 * grad(f, w)")
        XCTAssertEqual(c.run("print w, f"), "2.4 5.76\n")
        XCTAssertEqual(c.driver.interpreter.session.leafKind("w"), .input)
    }

    func testRepeatBringsTheMinimumWithin1e9() throws {
        let c = Captured()
        _ = c.run("w = 3; f = w^2")
        _ = c.run(":repeat 100 w := w - 0.1 * grad(f, w)")
        let w = try XCTUnwrap(c.driver.interpreter.session.values["w"]?.scalarValue)
        XCTAssertLessThan(abs(w), 1e-9, "w after 100 steps: expected below 1e-9, observed \(w)")
        XCTAssertEqual(c.run(":repeat 3 a := 1; b := 2; print a + b"), "3\n3\n3\n")
    }

    func testAssignKeepsTheKindAndShape() {
        let c = Captured()
        _ = c.run("W = variable([1, 2]); x = placeholder([2]); k = constant(1); c2 = W * 2")
        _ = c.run("W := W * 10; x := [3, 4]; k := 5")
        XCTAssertEqual(c.run("print W, x, k"), "[10, 20] [3, 4] 5\n")
        XCTAssertEqual(c.driver.interpreter.session.leafKind("W"), .variable)
        XCTAssertEqual(c.driver.interpreter.session.leafKind("x"), .placeholder)
        XCTAssertTrue(c.fail("W := [1, 2, 3]").contains("'W' is a variable of shape [2]; the value has shape [3]"), c.err)
        XCTAssertTrue(c.fail("x := 1").contains("'x' is a placeholder of shape [2]"), c.err)
        XCTAssertTrue(c.fail("c2 := 1").contains("'c2' is computed (c2 = W * 2): ':=' sets the value of a leaf"), c.err)
        XCTAssertTrue(c.fail("q := zfree + 1").contains("':=' stores numbers"), c.err)
        XCTAssertEqual(c.run("print W"), "[10, 20]\n")
    }

    func testTheCycleErrorSuggestsAssignment() {
        let c = Captured()
        _ = c.run("x = 1")
        XCTAssertTrue(c.fail("x = x + 1").contains("hint: to update x from its current value, write 'x := x + 1'"), c.err)
        XCTAssertEqual(c.run("print x"), "1\n")
    }

    func testRepeatStopsAtCtrlCKeepingFinishedRuns() {
        let c = Captured()
        _ = c.run("n = 0")
        var checks = 0
        c.driver.interpreter.interrupted = {
            checks += 1
            return checks > 5
        }
        let out = c.run(":repeat 1000 n := n + 1")
        c.driver.interpreter.interrupted = { false }
        XCTAssertTrue(out.hasPrefix("stopped "), out)
        let n = c.driver.interpreter.session.values["n"]?.scalarValue ?? -1
        XCTAssertGreaterThan(n, 0)
        XCTAssertLessThan(n, 1000)
        XCTAssertTrue(out.contains("\(Int(n)) runs before it took effect") || out.contains("after \(Int(n)) of 1000"), out)
    }

    func testRepeatErrors() {
        let c = Captured()
        XCTAssertTrue(c.fail(":repeat x print 1").contains("':repeat' needs how many times"), c.err)
        XCTAssertTrue(c.fail(":repeat 3").contains("':repeat 3' needs the statements to repeat"), c.err)
        XCTAssertTrue(c.fail(":repeat 2 print (1").contains("error:"), c.err)
    }
}
