import Foundation
import XCTest

@testable import graphrepl

/// The lecture's figures drawn in the terminal (golden), Graphviz DOT, LaTeX, and the
/// Python export run under python3.
final class ViewCommandTests: XCTestCase {
    static let lectureGraph = "a = 3; b = 2; e = (a+b)*(b+1)"
    static let layer = "W = [[1, -1], [0, 1]]; x = [1, 2]; bb = [1, -1]\nh = relu(W @ x + bb)"

    override func setUp() {
        setenv("COLUMNS", "80", 1)
    }

    func testDrawingOfTheLectureGraph() {
        let c = Captured()
        _ = c.run(ViewCommandTests.lectureGraph)
        XCTAssertEqual(
            c.run(":graph e"),
            """
              ┌─────────────────────┐
              │ e = (a + b)*(b + 1) │
              │ = 15                │
              └─────┬─────────┬─────┘
                    │         └┐
                   ┌┘          │
                   │           │
               ┌───┴───┐   ┌───┴───┐
               │ a + b │   │ b + 1 │
               │ = 5   │   │ = 3   │
               └─┬───┬─┘   └───┬───┘
                 │   │         └───┐
                 │   └────────┐    │
                 └┐           │    │
                  │           │    │
            ┌─────┴────┐   ┌──┴────┴──┐
            │ a  input │   │ b  input │
            │ = 3      │   │ = 2      │
            └──────────┘   └──────────┘

            """)
    }

    func testDrawingOfAReluLayer() {
        let c = Captured()
        _ = c.run(ViewCommandTests.layer)
        XCTAssertEqual(
            c.run(":graph h"),
            """
                        ┌──────────────────────┐
                        │ h = relu(W @ x + bb) │
                        │ = [0, 1] [2]         │
                        └───────────┬──────────┘
                                    │
                                    │
                            ┌───────┴──────┐
                            │ W @ x + bb   │
                            │ = [0, 1] [2] │
                            └───┬──────┬───┘
                                │      └──────┐
                          ┌─────┘             │
                          │                   │
                  ┌───────┴───────┐   ┌───────┴───────┐
                  │ W @ x         │   │ bb  input     │
                  │ = [-1, 2] [2] │   │ = [1, -1] [2] │
                  └───┬───────┬───┘   └───────────────┘
                      │       └──────────────────────┐
                      └────┐                         │
                           │                         │
            ┌──────────────┴─────────────┐   ┌───────┴──────┐
            │ W  input                   │   │ x  input     │
            │ = [[1, -1], [0, 1]] [2, 2] │   │ = [1, 2] [2] │
            └────────────────────────────┘   └──────────────┘

            """)
    }

    func testDrawingOfTheLectureNetFitsIn80Columns() {
        let c = Captured()
        _ = c.run(NetworkCommandTests.lectureNet + "\nx = [1, 0, 1]; label = [0, 1]")
        let drawing = c.run(":graph C")
        XCTAssertEqual(
            drawing,
            """
                                ┌─────────────────────────────┐
                                │ C = cross_entropy(label, y) │
                                │ = 0.707                     │
                                └───────┬─────────────┬───────┘
                                        │             └─────┐
                                 ┌──────┘                   │
                                 │                          │
                      ┌──────────┴─────────┐   ┌────────────┴───────────┐
                      │ label  placeholder │   │ y = softmax(z2)        │
                      │ = [0, 1] [2]       │   │ = [0.5069, 0.4931] [2] │
                      └────────────────────┘   └────────────┬───────────┘
                                               ┌────────────┘
                                               │
                                  ┌────────────┴───────────┐
                                  │ z2 = W2 @ a1 + b2      │
                                  │ = [0.4287, 0.4012] [2] │
                                  └──────┬───────────┬─────┘
                                         │           └────────┐
                                      ┌──┘                    │
                                      │                       │
                         ┌────────────┴───────────┐   ┌───────┴──────┐
                         │ W2 @ a1                │   │ b2  variable │
                         │ = [0.4287, 0.4012] [2] │   │ = [0, 0] [2] │
                         └──────┬───────────┬─────┘   └──────────────┘
                                │           └─────────────────────┐
                             ┌──┘                                 │
                             │                                    │
            ┌────────────────┴───────────────┐   ┌────────────────┴───────────────┐
            │ W2  variable                   │   │ a1 = sigmoid(z1)               │
            │ = [[0.8052, 0.8084, 0.… [2, 4] │   │ = [0.1865, 0.2871, 0.3148… [4] │
            └────────────────────────────────┘   └────────────────┬───────────────┘
                                               ┌──────────────────┘
                                               │
                              ┌────────────────┴───────────────┐
                              │ z1 = W1 @ x + b1               │
                              │ = [-1.473, -0.9097, -0.77… [4] │
                              └────────┬───────────────┬───────┘
                                       │               └──────────┐
                                   ┌───┘                          │
                                   │                              │
                  ┌────────────────┴───────────────┐   ┌──────────┴─────────┐
                  │ W1 @ x                         │   │ b1  variable       │
                  │ = [-1.473, -0.9097, -0.77… [4] │   │ = [0, 0, 0, 0] [4] │
                  └────────┬───────────────┬───────┘   └────────────────────┘
                           │               └─────────────────────┐
                           └────────┐                            │
                                    │                            │
                   ┌────────────────┴───────────────┐   ┌────────┴────────┐
                   │ W1  variable                   │   │ x  placeholder  │
                   │ = [[-0.5033, -0.9759, … [4, 3] │   │ = [1, 0, 1] [3] │
                   └────────────────────────────────┘   └─────────────────┘

            """)
        XCTAssertTrue(drawing.split(separator: "\n").allSatisfy { $0.count <= 80 })
    }

    func testSharedNodeIsDrawnOnceWithTwoEdges() {
        let c = Captured()
        _ = c.run(ViewCommandTests.lectureGraph)
        let drawing = c.run(":graph e")
        XCTAssertEqual(drawing.components(separatedBy: "b  input").count - 1, 1)
        // Two edges leave b's box upwards.
        let top = drawing.split(separator: "\n").first { $0.contains("┌") && $0.contains("┴") && $0.contains("┴────┴") }
        XCTAssertNotNil(top, drawing)
    }

    func testGradAndPartialsAnnotations() {
        let c = Captured()
        _ = c.run("a = 3; b = 2; c = a + b; d = b + 1; e = c * d")
        let g = c.run(":graph e grad")
        for label in ["∂e/∂a = 3", "∂e/∂b = 8", "∂e/∂c = 3", "∂e/∂d = 5"] { XCTAssertTrue(g.contains(label), label + "\n" + g) }
        let p = c.run(":graph e partials")
        for label in ["∂e/∂c = d = 3", "∂e/∂d = c = 5", "∂c/∂a = 1", "∂d/∂b = 1"] {
            XCTAssertTrue(p.contains(label), label + "\n" + p)
        }
        let a = c.run(":graph e ascii")
        XCTAssertTrue(a.allSatisfy { $0.isASCII }, a)
    }

    func testFunctionsAreModuleBoxesThatOpen() {
        let c = Captured()
        _ = c.run("fn layer(W, x, b) = sigmoid(W @ x + b)\nW = [[1, 2], [3, 4]]; v = [1, 1]; b = [0, 0]\ny = sum(layer(W, v, b))")
        let closed = c.run(":graph y")
        XCTAssertTrue(closed.contains("layer(W, v, b)"), closed)
        XCTAssertTrue(closed.contains("function layer"), closed)
        XCTAssertFalse(closed.contains("sigmoid"), closed)
        let opened = c.run(":graph y open layer")
        XCTAssertTrue(opened.contains("sigmoid(W @ v + b)"), opened)
        XCTAssertTrue(c.fail(":graph y open nolayer").contains("'nolayer' is not a function"))
    }

    func testTooBigIsCutWithAHint() {
        let c = Captured()
        var text = "x0 = 1\n"
        for i in 1...80 { text += "x\(i) = x\(i - 1) * 2\n" }
        _ = c.run(text)
        let out = c.run(":graph x80")
        XCTAssertTrue(out.hasPrefix("x80 as an outline (the graph has 81 nodes, more than 60 can be drawn legibly):\n"), out)
        XCTAssertTrue(out.contains("\n└─ x79 = x78*2  = 6.045e23\n   └─ x78 = x77*2"), out)
        XCTAssertTrue(out.contains("':graph x80 depth=2'"), out)
        let top = c.run(":graph x80 depth=2")
        XCTAssertTrue(top.contains("x80 = x79*2") && top.contains("… inputs below not shown"), top)
    }

    func testAThirtyNodeExpressionDrawsIn120ColumnsAndAsAnOutlineIn80() {
        let c = Captured()
        _ = c.run(
            "a = 1; b = 2; c = 3; d = 4; f = 5; g = 6; h = 7; i = 8; k = 9\n"
                + "y = (a*b + c*d) * (k - f) / (g + h*i) + sin(a*c) * exp(b - d) - (f*g)^2 + tanh(h - i*k)")
        c.driver.interpreter.width = 120
        let wide = c.run(":graph y")
        XCTAssertTrue(wide.contains("│ a = 1 │"), wide)
        // Long expressions lose their middle, so nodes that begin alike still differ.
        for label in ["│ y = (a*b + …h - i*k) │", "│ (a*b + c*…exp(b - d) │", "│ (a*b + c*…/(g + h*i) │"] {
            XCTAssertTrue(wide.contains(label), "expected the label \(label) in\n\(wide)")
        }
        XCTAssertTrue(wide.split(separator: "\n").allSatisfy { $0.count <= 120 })
        // Edges cross where a line crosses a line: 34 of them before the ordering kept
        // the best of its sweeps, 27 before each box's edges were attached in the order
        // of the boxes they reach and the tracks of a band ordered to match.
        let crossings = wide.filter { $0 == "┼" }.count
        XCTAssertLessThanOrEqual(crossings, 9, "crossings: expected ≤ 9, observed \(crossings)\n\(wide)")
        c.driver.interpreter.width = 80
        let narrow = c.run(":graph y")
        XCTAssertTrue(narrow.hasPrefix("y as an outline (the drawing needs"), narrow)
        XCTAssertTrue(narrow.contains("│  │  │  │  ├─ a*b + c*d  = 14\n"), narrow)
        XCTAssertTrue(narrow.contains("├─ a = 1  (above)"), narrow)
        XCTAssertTrue(narrow.split(separator: "\n").allSatisfy { $0.count <= 80 })
    }

    func testDotIsWellFormedAndRenders() throws {
        let c = Captured()
        _ = c.run("a = 3; b = 2; c = a + b; d = b + 1; e = c * d")
        let dot = c.run(":dot e")
        XCTAssertTrue(dot.hasPrefix("digraph \"e\" {\n  rankdir=BT;"), dot)
        XCTAssertEqual(dot.components(separatedBy: " [label=").count - 1, 5 + 5, dot)  // 5 nodes, 5 labelled edges
        XCTAssertEqual(dot.components(separatedBy: " -> ").count - 1, 5, dot)
        XCTAssertTrue(dot.contains("[label=\"d = 3\"]"), dot)
        XCTAssertTrue(dot.hasSuffix("}\n"))
        guard ViewCommands.which("dot") != nil else { throw XCTSkip("Graphviz is not installed") }
        let svg = FileManager.default.temporaryDirectory.appendingPathComponent("g-\(UUID().uuidString).svg").path
        defer { try? FileManager.default.removeItem(atPath: svg) }
        XCTAssertEqual(c.run(":dot e \(svg)"), "drew e to \(svg)\n")
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(text.contains("<svg"), text)
        XCTAssertTrue(text.contains("c = a + b"), text)
    }

    /// A step that needs numbers cannot be written in symbols: the error says why :latex
    /// meets it, and how to see the value.
    func testLatexOfAStepThatNeedsNumbersSaysWhy() {
        let c = Captured()
        _ = c.run("x = [1, 3, 2]; y = argmax(x)")
        let err = c.fail(":latex y")
        XCTAssertTrue(err.contains("error: argmax needs numbers: it cannot order symbols"), err)
        XCTAssertTrue(err.contains("hint: :latex writes the leaves as symbols; 'print y' shows the value"), err)
        XCTAssertEqual(c.run("print y"), "2\n")
        // Other errors are left as they are, and so is one where a leaf has no value
        // (print fails there too).
        XCTAssertFalse(c.fail(":latex undefined_fn(x)").contains("hint: :latex"))
        _ = c.run("z = max(q)")
        let free = c.fail(":latex z")
        XCTAssertTrue(free.contains("error: max needs numbers: it cannot order symbols"), free)
        XCTAssertFalse(free.contains("hint: :latex"), free)
        XCTAssertFalse(c.fail(":latex [1, 2] < [a, 1]").contains("hint: :latex"))
        _ = c.run("fn m(t) = max(t * w); u = m(x)")
        XCTAssertFalse(c.fail(":latex u").contains("hint: :latex"), "w is free inside m")
        _ = c.run("w = 2")
        XCTAssertTrue(c.fail(":latex u").contains("hint: :latex"), "every leaf has a value now")
    }

    func testLatex() {
        let c = Captured()
        _ = c.run("a = 3; b = 2; c = a + b; d = b + 1; e = c * d")
        XCTAssertEqual(c.run(":latex e"), "\\left(a + b\\right) \\left(b + 1\\right)\n")
        XCTAssertEqual(c.run(":latex grad(e, b)"), "a + 2 b + 1\n")
        XCTAssertEqual(
            c.run(":latex jacobian([x1 + x2*x3, 2*x3], [x1, x2, x3])"),
            "\\begin{bmatrix} 1 & x_{3} & x_{2} \\\\ 0 & 0 & 2 \\end{bmatrix}\n")
        XCTAssertEqual(
            c.run(":latex grad(cross_entropy([0, 1, 0], [y1, y2, y3]), [y1, y2, y3])"),
            "\\begin{bmatrix} 0 \\\\ -\\frac{1}{y_{2}} \\\\ 0 \\end{bmatrix}\n")
        XCTAssertEqual(
            c.run(":latex grad(sigmoid(z), z)"), "\\sigma\\left(z\\right) \\left(1 - \\sigma\\left(z\\right)\\right)\n")
    }

    func pythonOutput(_ script: String) throws -> String {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import numpy"]
        check.standardError = Pipe()
        try check.run()
        check.waitUntilExit()
        guard check.terminationStatus == 0 else { throw XCTSkip("python3 with numpy is not installed") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("x-\(UUID().uuidString).py")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", file.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testExportedPythonComputesTheSameValues() throws {
        let c = Captured()
        _ = c.run("a = 3; b = 2; e = (a+b)*(b+1); g = grad(e, b)")
        XCTAssertEqual(try pythonOutput(c.run(":export python e")), "15.0")
        XCTAssertEqual(try pythonOutput(c.run(":export python g")), "8.0")
        let n = Captured()
        _ = n.run(NetworkCommandTests.xor)
        let value = try XCTUnwrap(Double(n.run("print C").trimmingCharacters(in: .newlines)))
        let exported = try XCTUnwrap(Double(try pythonOutput(n.run(":export python C"))))
        assertCloseRel(exported, value, 1e-12)
        _ = n.run("gW = grad(C, W1)")
        let gw = n.run(":export python gW")
        XCTAssertTrue(gw.contains("jax.grad(gW_fn"), gw)
        XCTAssertFalse(try pythonOutput(gw).isEmpty)
    }

    func assertCloseRel(_ observed: Double, _ expected: Double, _ tol: Double, file: StaticString = #filePath, line: UInt = #line)
    {
        XCTAssert(
            abs(observed - expected) <= tol * max(1, abs(expected)),
            "expected \(expected), observed \(observed), tolerance \(tol)", file: file, line: line)
    }

    func testAsciiFlagGivesPlainAscii() throws {
        let r = try Binary.run(["--ascii", "-e", "a = 3; b = 2; c = a + b; d = b + 1; e = c * d\n:graph e grad partials"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.allSatisfy { $0.isASCII }, r.out)
        XCTAssertTrue(r.out.contains("de/dc = d = 3"), r.out)
        XCTAssertTrue(r.out.contains("+-----"), r.out)
        // An elided label keeps its box aligned: one column for '…'.
        let net = try Binary.run(["--ascii", "-e", NetworkCommandTests.lectureNet + "\nx = [1, 0, 1]; label = [0, 1]\n:graph C"])
        XCTAssertTrue(net.out.contains("~ [2, 4] |"), net.out)
        let unicode = Captured()
        _ = unicode.run(NetworkCommandTests.lectureNet + "\nx = [1, 0, 1]; label = [0, 1]")
        let drawn: [Int] = unicode.run(":graph C").split(separator: "\n").map { (line: Substring) in line.count }
        XCTAssertEqual(net.out.split(separator: "\n").map { (line: Substring) in line.count }, drawn)
    }
}
