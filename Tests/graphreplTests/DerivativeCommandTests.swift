import XCTest

@testable import graphrepl

/// What the derivative commands print for the lecture's graph, e = (a+b)*(b+1).
final class DerivativeCommandTests: XCTestCase {
    func lecture() -> Captured {
        let c = Captured()
        _ = c.run("a = 3; b = 2; c = a + b; d = b + 1; e = c * d")
        return c
    }

    func testPartials() {
        XCTAssertEqual(
            lecture().run(":partials e"),
            """
            local partials of e, one per edge child → parent:
              ∂c/∂a = 1
              ∂c/∂b = 1
              ∂d/∂b = 1
              ∂e/∂c = d = 3
              ∂e/∂d = c = 5

            """)
    }

    func testPathsSumToTheDerivative() {
        XCTAssertEqual(
            lecture().run(":paths e wrt b"),
            """
            paths from b to e: 2
              b → c → e:  ∂c/∂b·∂e/∂c = 1·(b + 1) = 3
              b → d → e:  ∂d/∂b·∂e/∂d = 1·(a + b) = 5
            sum over paths: 1·(b + 1) + 1·(a + b) = 3 + 5 = 8
            ∂e/∂b = 8

            """)
        XCTAssertTrue(lecture().run(":paths e wrt a").hasSuffix("∂e/∂a = 3\n"))
    }

    func testPathCountBeyond64BitsIsExactAndImmediate() {
        let c = Captured()
        var text = "x0 = 1\n"
        for i in 1...80 { text += "x\(i) = x\(i - 1) * x\(i - 1)\n" }  // 2 edges per step: 2^80 paths
        _ = c.run(text)
        let out = c.run(":paths x80 wrt x0")
        XCTAssertTrue(out.hasPrefix("paths from x0 to x80: 1208925819614629174706176 — too many to list"), out)
        XCTAssertTrue(out.contains("sum over all 1208925819614629174706176 paths = ∂x80/∂x0 ="), out)
    }

    func testForwardAndReverse() {
        XCTAssertEqual(
            lecture().run(":forward e wrt b"),
            """
            forward mode: seed ḃ = ∂b/∂b = 1, then each node's tangent in evaluation order
              node  value  tangent rule   tangent ∂node/∂b
              b     2      seed: ḃ = 1    1
              c     5      ċ = ḃ          1
              d     3      ḋ = ḃ          1
              e     15     ė = ċ*d + c*ḋ  8
            1 pass (one per element of b), 3 node rules applied
            ∂e/∂b = 8

            """)
        let r = lecture().run(":reverse e")
        XCTAssertTrue(r.contains("  b     2      b̄ = d̄ + c̄     8\n"), r)
        XCTAssertTrue(r.contains("  c     5      c̄ = ē*d       3\n"), r)
        XCTAssertTrue(r.hasSuffix("  ∂e/∂a = 3   ∂e/∂b = 8\n"), r)
    }

    func testGradSymbolicAndNumeric() {
        XCTAssertEqual(lecture().run(":grad e"), "∂e/∂a = b + 1 = 3\n∂e/∂b = a + 2*b + 1 = 8\n")
        let c = lecture()
        _ = c.run("z = 4")
        XCTAssertEqual(c.run(":grad e wrt z"), "∂e/∂z = 0  (no path from z to e)\n")
    }

    func testJacobianOfTheLectureWithCosts() {
        let c = Captured()
        _ = c.run("y = [x1 + x2*x3, 2*x3]")
        XCTAssertEqual(
            c.run(":jacobian y wrt x1, x2, x3"),
            """
            Jacobian ∂y/∂[x1, x2, x3]: 2×3
                    x1  x2  x3
              y[1]  1   x3  x2
              y[2]  0   0   2
            cost: forward mode 3 passes (one per input element) × 4 rules = 12; reverse mode 2 passes (one per output element) × 4 rules = 8
              reverse mode is cheaper here: 2 outputs < 3 inputs (why backprop uses it: one scalar loss, many weights)

            """)
    }

    func testHessianAndCheck() {
        let c = Captured()
        _ = c.run("x1 = 1; x2 = 2; f = x1^2 * x2")
        let h = c.run(":hessian f wrt x1, x2")
        XCTAssertTrue(h.contains("  ∂f/∂x1  2*x2  2*x1\n"), h)
        XCTAssertTrue(h.contains("  ∂f/∂x1  4   2\n"), h)
        let k = lecture().run(":check e")
        XCTAssertTrue(
            k.hasSuffix(
                "all agree (largest relative error " + k.split(separator: "(").last!.dropFirst("largest relative error ".count)),
            k)
        XCTAssertTrue(k.contains("  a      3             3  "), k)
    }

    func testCommandErrors() {
        let c = lecture()
        XCTAssertTrue(c.fail(":paths e wrt zz").hasPrefix("t:1:14: error: 'zz' is not defined"))
        XCTAssertTrue(c.fail(":paths e wrt c").hasPrefix("t:1:14: error: 'c' is not a leaf"))
        XCTAssertTrue(c.fail(":paths e").hasPrefix("t:1:1: error: ':paths' needs 'wrt' and a leaf"))
        XCTAssertTrue(c.fail(":partial e").contains("did you mean 'partials'?"))
        _ = c.run("v = [1, 2] * a")
        XCTAssertTrue(c.fail(":reverse v").contains("reverse mode here starts from a scalar"))
    }
}
