import Engine
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

    func testSetWidthChangesWhatOutputFits() {
        let c = network()
        _ = c.run(":set width 120")
        XCTAssertTrue(c.run(":set").contains("width   120"))
        XCTAssertTrue(c.run(":reverse C").split(separator: "\n").contains { columns($0) > 80 })
        _ = c.run(":set width auto")
        XCTAssertTrue(c.run(":reverse C").split(separator: "\n").allSatisfy { columns($0) <= 80 })
        XCTAssertTrue(c.fail(":set width 5").contains("width must be 40 to 1000 columns, or auto"))
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

/// `:export jax`: the exported program, run under JAX (`.build/venv`, made by
/// `scripts/python-env`), gives graphrepl's value and gradients.
final class JaxExportTests: XCTestCase {
    static let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/venv/bin/python").path

    func run(_ script: String) throws -> [String: [Double]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("graphrepl-jax-\(UUID().uuidString).py")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: JaxExportTests.python)
        p.arguments = [file.path]
        p.environment = ["JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, errors)
        var result: [String: [Double]] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let numbers = line[line.index(after: colon)...].split(whereSeparator: { "[], ".contains($0) }).compactMap {
                Double($0)
            }
            result[String(line[..<colon])] = numbers
        }
        return result
    }

    func testExportedJaxGivesTheSameValueAndGradients() throws {
        guard FileManager.default.isExecutableFile(atPath: JaxExportTests.python) else {
            throw XCTSkip("no .build/venv with JAX (scripts/python-env makes it)")
        }
        let cases = [
            (NetworkCommandTests.lectureNet + "\nx = [1, 0, 1]; label = [0, 1]", "C", ["W1", "b1", "W2", "b2"]),
            ("a = 3; b = 2; c = a + b; d = b + 1; e = c * d", "e", ["a", "b"]),
            ("v = [1, -2, 3, 0.5]; M = [[1, 2], [3, -4]]; s = sum(relu(v[2:4]) * mean(M' @ M, 1)[1]) + max(v)", "s", ["v", "M"]),
        ]
        for (setup, out, inputs) in cases {
            let c = Captured()
            _ = c.run(setup)
            let got = try run(c.run(":export jax \(out)"))
            let session = c.driver.interpreter.session
            let q = try session.query(try session.node(named: out))
            let value = try XCTUnwrap(got["value"]?.first, "\(out): no value printed")
            XCTAssertEqual(value, q.value.scalarValue ?? .nan, accuracy: 1e-12 * max(1, abs(value)), out)
            for name in inputs {
                let expected = try XCTUnwrap(q.gradient(try session.node(named: name)).numeric).data
                let observed = try XCTUnwrap(got["grad \(name)"], "\(out): no gradient for \(name)")
                XCTAssertEqual(observed.count, expected.count, name)
                for (o, e) in zip(observed, expected) {
                    XCTAssertEqual(o, e, accuracy: 1e-12 * max(1, abs(e)), "∂\(out)/∂\(name): expected \(e), observed \(o)")
                }
            }
        }
    }
}

/// :dot annotated as :graph, and formulas as a student writes them.
final class AnnotationAndFormulaTests: XCTestCase {
    func testDotTakesGradAndPartialsAsGraphDoes() {
        let c = Captured()
        _ = c.run("a = 3; b = 2; e = (a+b)*(b+1)")
        let dot = c.run(":dot e grad partials")
        XCTAssertTrue(dot.contains("∂e/∂b = 8"), dot)
        XCTAssertTrue(dot.contains("∂e/∂(a + b) = b + 1 = 3"), dot)
        XCTAssertTrue(dot.contains("\\n= 15\\n"), dot)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "grad"))
    }

    func testSimpleFractionsPrintExactly() {
        let c = Captured()
        XCTAssertEqual(c.run("print (y + 1)/3"), "y/3 + 1/3\n")
        XCTAssertEqual(c.run("print 2*x/3 - y/6"), "2*x/3 - y/6\n")
        XCTAssertEqual(c.run("print x^0.5 + 0.25*y"), "x^0.5 + 0.25*y\n")
        XCTAssertEqual(c.run(":latex x/3 + 1/3"), "\\frac{1}{3} x + \\frac{1}{3}\n")
        XCTAssertEqual(c.run(":latex sqrt(x1)"), "\\sqrt{x_{1}}\n")
        XCTAssertEqual(c.run("print (y + 1)/3 == y/3 + 1/3"), "1\n")
    }
}
