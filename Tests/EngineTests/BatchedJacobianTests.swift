import GraphLang
import XCTest

@testable import Engine

/// Jacobians computed a batch of passes at a time must equal the passes one by one.
final class BatchedJacobianTests: XCTestCase {
    /// The Jacobian of `y` with respect to `xs` in the session `setup` makes, both ways.
    func both(_ setup: String, y: String, xs: [String], mode: String? = nil) throws -> (
        batched: Value, passes: Value, rules: (Int, Int)
    ) {
        let h = Harness()
        h.session.reseed(3)
        XCTAssertEqual(h.run(setup), .ok, h.err)
        let s = h.session
        let yID = try s.node(named: y)
        let xIDs = try xs.map { try s.node(named: $0) }
        var warnings: [Diagnostic] = []
        let values = try s.evaluate([yID] + xIDs, warnings: &warnings)
        let a = try Evaluator.jacobian(graph: s.graph, y: yID, xs: xIDs, values: values, mode: mode)
        let b = try Evaluator.jacobian(graph: s.graph, y: yID, xs: xIDs, values: values, mode: mode, batched: false)
        XCTAssertEqual(a.passes, b.passes)
        return (a.value, b.value, (a.rules, b.rules))
    }

    func assertSame(_ setup: String, y: String, xs: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        for mode in ["reverse", "forward"] {
            let r = try both(setup, y: y, xs: xs, mode: mode)
            XCTAssertEqual(r.batched.shape, r.passes.shape, "\(mode): \(setup)", file: file, line: line)
            let a = r.batched.numeric?.data ?? []
            let b = r.passes.numeric?.data ?? []
            XCTAssertEqual(a.count, b.count, file: file, line: line)
            for (k, (o, w)) in zip(a, b).enumerated() where !(o == w || (o.isNaN && w.isNaN)) {
                XCTFail(
                    "\(mode), element \(k) of ∂\(y)/∂(\(xs)): expected \(w), observed \(o), tolerance 0 — \(setup)", file: file,
                    line: line)
                break
            }
            XCTAssertEqual(r.rules.0, r.rules.1, "\(mode): rules applied", file: file, line: line)
        }
    }

    func testManyOpsAgreeBitForBitWithThePassesOneByOne() throws {
        let common = """
            A = uniform([4, 3], -1, 1)
            B = uniform([3, 5], -1, 1)
            x = uniform([3], -1, 1)
            v = uniform([4], -1, 1)
            M = uniform([3, 5], -1, 1)

            """
        let cases: [(String, String, [String])] = [
            ("y = tanh(A @ x)", "y", ["x"]),
            ("y = tanh(A @ x)", "y", ["A"]),
            ("y = tanh(A @ x)", "y", ["A", "x"]),
            ("y = sigmoid(v @ A) * x", "y", ["v", "x"]),
            ("y = A @ B", "y", ["B"]),
            ("y = (A @ B)'", "y", ["A"]),
            ("y = softmax(A @ x) + exp(v) / (1 + v^2)", "y", ["x", "v"]),
            ("y = sum(A @ M, 2) - mean(A, 2)", "y", ["M", "A"]),
            ("y = [x[1] * x[2], x[3] ^ 3, relu(x[1] - x[3])]", "y", ["x"]),
            ("y = log(abs(v) + 1)[2:3] * sum(x)", "y", ["v", "x"]),
            ("y = A[:, 2] + v * dot(x, x)", "y", ["A", "x", "v"]),
            ("y = reshape(A, [2, 6]) @ uniform([6], 0, 1)", "y", ["A"]),
            ("y = max(A @ M, 2) + sqrt(v * v + 1)", "y", ["A"]),
        ]
        for (def, y, xs) in cases {
            try assertSame(common + def, y: y, xs: xs)
        }
    }

    func testABatchPastTheBLASSizeStillMatchesThePasses() throws {
        // 40 passes of a 40 × 40 product: each pass's product is small (the exact loop),
        // the batch's is not, and must still be computed as each pass computes it.
        try assertSame("A = uniform([40, 40], -1, 1)\nx = uniform([40], -1, 1)\ny = tanh(A @ tanh(A @ x))", y: "y", xs: ["x"])
    }

    func testAPassPastTheBLASSizeAgreesWithTheBatchToRounding() throws {
        // Each pass's product (33 × 1500 by a column) goes to OpenBLAS, and so does the
        // batch's (by 33 columns at once). OpenBLAS blocks a product by its shape, so the
        // two may round differently in the last place: they agree to 1e-13, not bit for
        // bit (below OpenBLAS's size, the exact loop makes them equal: the tests above).
        let setup =
            "A = uniform([33, 1500], -1, 1)\nB = uniform([33, 33], -1, 1)\nx = uniform([1500], -1, 1)\ny = B @ tanh(A @ x)"
        for mode in ["reverse", "forward"] {
            let r = try both(setup, y: "y", xs: ["x"], mode: mode)
            let a = try XCTUnwrap(r.batched.numeric?.data)
            let b = try XCTUnwrap(r.passes.numeric?.data)
            XCTAssertEqual(a.count, 33 * 1500)
            XCTAssertEqual(b.count, 33 * 1500)
            for (k, (o, w)) in zip(a, b).enumerated() where abs(o - w) > 1e-13 * Swift.max(1, abs(w)) {
                XCTFail("\(mode), element \(k): expected \(w), observed \(o), tolerance 1e-13 (relative)")
                break
            }
            XCTAssertEqual(r.rules.0, r.rules.1, "\(mode): rules applied")
        }
    }

    func testSymbolsGoPassByPass() throws {
        let r = try both("x = [1, 2]\ny = [a * x[1], x[2] ^ 2]", y: "y", xs: ["x"])
        XCTAssertEqual(r.batched, r.passes)
        XCTAssertTrue(r.batched.isSymbolic)
    }
}
