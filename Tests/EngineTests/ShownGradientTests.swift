import GraphLang
import XCTest

@testable import Engine

/// `print grad(f, x)` computes the gradient by a reverse sweep (a `.gradient` node)
/// instead of building its graph; what it prints must be what the gradient's graph gives,
/// which a definition `g = grad(f, x)` still builds.
final class ShownGradientTests: XCTestCase {
    let setup = """
        a = 3
        b = 2
        x = [0.5, -1.5, 2]
        W = [[1, 2, 3], [0.5, -1, 0.25]]
        c = a + b
        d = b + 1
        e = c * d
        """

    func testShownGradientsPrintWhatTheirGraphsGive() {
        let cases = [
            "grad(e, b)", "grad(e, [a, b])", "grad(sum(tanh(W @ x)), x)", "grad(sum(tanh(W @ x)), W)",
            "grad(a * y, a)", "grad(e, z)", "grad(sum(x ^ 2) / a, x)", "grad(mean(sigmoid(W @ x) * x[2]), x)",
            "grad(sqrt(a) * log(b), a)", "grad(max(x), x)", "grad(e, c)", "grad(x[1] * x[3], x) * 2 + 1",
            "grad(relu(a - 5), a)", "grad(-(a - a), a)",
        ]
        for expr in cases {
            let shown = Harness()
            shown.run(setup)
            let defined = Harness()
            defined.run(setup)
            XCTAssertEqual(
                shown.output("print \(expr)"), defined.output("g_ = \(expr)\nprint g_"), expr)
        }
    }

    func testZerosInfinitiesAndNaNsGiveWhatTheGraphGivesWithItsWarnings() {
        // Where a value on the way is special the sweep and the graph may differ (the
        // sign of a zero, a warning): the shown gradient then builds the graph.
        let cases = [
            "1 / grad(-(a * 0), a)", "grad(log(a - 3), a)", "grad(sqrt(b - 2) * a, b)", "grad(relu(a - 5) * b, a)",
            "grad(0 * a - a * 0, a)", "1 / grad(a * 0 + 0 * b, [a, b])", "grad(sum(x * 0), x)", "grad(log(x - 0.5)[1], x)",
        ]
        func warnings(_ h: Harness) -> [String] {
            h.err.split(separator: "\n").filter { $0.contains("warning:") }.map {
                String($0.split(separator: "warning:").last ?? "")
            }
        }
        for expr in cases {
            let shown = Harness()
            shown.run(setup)
            let defined = Harness()
            defined.run(setup)
            XCTAssertEqual(shown.output("print \(expr)"), defined.output("g_ = \(expr)\nprint g_"), expr)
            XCTAssertEqual(warnings(shown), warnings(defined), expr)
        }
        let h = Harness()
        h.run(setup)
        XCTAssertEqual(h.output("print grad(log(a - 3), a)"), "inf")
        XCTAssertTrue(h.err.contains("warning: / gives infinity: division by zero"), h.err)
    }

    func testAShownGradientIsNotBuiltAsAGraph() throws {
        let h = Harness()
        h.run(setup)
        let (p, _, _) = Parser.parse(SourceFile(name: "t", text: "grad(e, b)"))
        guard case .expression(let e) = p.statements[0].statement else { return XCTFail() }
        let before = h.session.graph.nodes.count
        try h.session.graph.scratch {
            let id = try h.session.compile(p, e, lazyGradients: true)
            guard case .gradient = h.session.graph.nodes[id].kind else { return XCTFail("expected a .gradient node") }
            XCTAssertEqual(h.session.graph.nodes.count, before + 1)
        }
    }

    func testGradientsOfGradientsAreStillGraphs() {
        let h = Harness()
        h.run(setup)
        XCTAssertEqual(h.output("print grad(grad(e, b), b)"), "2")
        XCTAssertEqual(h.output("print hessian(a * a * b, [a, b])"), "[[4, 6], [6, 0]]")
        XCTAssertEqual(h.output("fn sq(t) = grad(t * t * t, t)\nprint grad(sq(a), a)"), "18")
    }

    func testANonScalarOutputIsRefusedAsBefore() {
        let shown = Harness()
        shown.run(setup)
        let defined = Harness()
        defined.run(setup)
        XCTAssertEqual(
            shown.error("print grad(W @ x, x)"), "t:1:7: error: grad needs a scalar output, but this one has shape [2]")
        XCTAssertEqual(
            defined.error("g_ = grad(W @ x, x)\nprint g_"), "t:1:6: error: grad needs a scalar output, but this one has shape [2]"
        )
    }

    /// A print of several items runs them together only where that cannot change what
    /// is seen: what it shows must be what printing each item on its own shows, warnings
    /// (one per item, as before), errors and the random numbers of later prints included.
    func testAPrintOfSeveralItemsShowsWhatItsItemsShowOneByOne() {
        let scripts = [
            "x = -1\ny = log(x)\nprint y, y\n",
            "x = 0\nf = x * log(x)\nprint f, grad(f, x)\n",
            "a = 2\nf = a ^ 3\nprint f, grad(f, a), f + 1\n",
            "fn h(t) = log(t)\na = -1\nb = -2\nprint h(a), h(b)\n",
            "p = placeholder([2])\nprint uniform([2], 0, 1), p\nprint uniform([2], 0, 1)\n",
            "p = placeholder([2])\nprint p, uniform([2], 0, 1)\nprint uniform([2], 0, 1)\n",
            "x0 = 0.5\n" + (0..<80).map { "x\($0 + 1) = x\($0) * 0.999 + x\($0) ^ 2 * 0.001" }.joined(separator: "\n")
                + "\nprint x80, grad(x80, x0)\n",
            // The tape of the print's first item serves its gradient only when that item
            // is the function differentiated; a tensor literal leaves it all to the
            // general evaluation.
            "x0 = 0.5\n" + (0..<80).map { "x\($0 + 1) = x\($0) * 0.999 + x\($0) ^ 2 * 0.001" }.joined(separator: "\n")
                + "\nprint x40, grad(x80, x0), grad(x40, x0)\nprint x80, grad(x80, x1), grad(x80, x0)\n"
                + "print grad(x80, x0), x80\n",
            "v = [1, 2]\nx0 = 0.5\n" + (0..<80).map { "x\($0 + 1) = x\($0) * 0.999 + sum(v) * 0.001" }.joined(separator: "\n")
                + "\nprint x80, grad(x80, x0)\n",
        ]
        for script in scripts {
            // The same lines, each print's items evaluated one after another.
            let together = Harness()
            let apart = Harness()
            apart.interpreter.printsTogether = false
            for line in script.split(separator: "\n") {
                together.run(String(line))
                apart.run(String(line))
            }
            let shown = apart.out
            XCTAssertEqual(together.out, shown, script)
            XCTAssertEqual(together.err, apart.err, script)
        }
    }
}
