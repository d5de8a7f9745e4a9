import Engine
import Foundation
import XCTest

@testable import graphrepl

/// The lecture's 3-4-2 network, feeds, backprop against reverse mode, and training.
final class NetworkCommandTests: XCTestCase {
    static let lectureNet = """
        :set seed 1
        x = placeholder([3])
        label = placeholder([2])
        W1 = variable(uniform([4, 3], -1, 1))
        b1 = variable(zeros([4]))
        W2 = variable(uniform([2, 4], -1, 1))
        b2 = variable(zeros([2]))
        z1 = W1 @ x + b1
        a1 = sigmoid(z1)
        z2 = W2 @ a1 + b2
        y = softmax(z2)
        C = cross_entropy(label, y)
        """

    static let xor = """
        :set seed 1
        X = [[0, 0], [0, 1], [1, 0], [1, 1]]
        Y = [[1, 0], [0, 1], [0, 1], [1, 0]]
        W1 = variable(uniform([2, 8], -1, 1))
        b1 = variable(zeros([8]))
        W2 = variable(uniform([8, 2], -1, 1))
        b2 = variable(zeros([2]))
        h = tanh(X @ W1 + b1)
        P = softmax(h @ W2 + b2)
        C = mean(cross_entropy(Y, P))
        """

    func testParamsOfTheLectureNetAre26() {
        let c = Captured()
        _ = c.run(NetworkCommandTests.lectureNet)
        XCTAssertEqual(
            c.run(":params"),
            """
              variable  shape   parameters
              W1        [4, 3]  12
              b1        [4]     4
              W2        [2, 4]  8
              b2        [2]     2
              total             26
              20 weights + 6 biases = 26 learnable parameters

            """)
    }

    func testRunWithFeedsLeavesTheSessionUnchanged() throws {
        let c = Captured()
        _ = c.run(NetworkCommandTests.lectureNet)
        let loss = c.run(":run C with x = [1, 0, 1], label = [0, 1]")
        let value = try XCTUnwrap(Double(loss.trimmingCharacters(in: .newlines)))
        XCTAssertGreaterThan(value, 0)
        XCTAssertTrue(c.fail("print C").contains("placeholder 'label' has no value"), c.err)
        XCTAssertTrue(c.err.contains("hint: feed it with ':run OUT with label = …'"), c.err)
        XCTAssertTrue(
            c.fail(":run C with x = [1, 0], label = [0, 1]")
                .contains("'x' is a placeholder of shape [3]; the value fed has shape [2]"))
        XCTAssertTrue(c.fail(":run C with W9 = 1").contains("'W9' is not defined, so it cannot be fed"))
        // Assignment feeds a placeholder and keeps it one.
        _ = c.run("x = [1, 0, 1]; label = [0, 1]")
        XCTAssertEqual(c.run("print C"), loss)
        XCTAssertTrue(c.run(":list").contains("x      placeholder  [3]     [1, 0, 1]"), c.out)
    }

    func testRunFeedsInputsVariablesAndPlaceholdersForOneRun() {
        let c = Captured()
        _ = c.run("a = 3; b = 2; f = a * b; k = constant(4); g = f * k; W = variable([1, 2]); h = sum(W) * a")
        XCTAssertEqual(c.run(":run f with a = 10, b = 1"), "10\n")
        XCTAssertEqual(c.run(":run h with W = [5, 5], a = 1"), "10\n")
        XCTAssertEqual(c.run(":run f * 2 with b = [1, 2]"), "[6, 12]\n")
        XCTAssertEqual(c.run("print f, h"), "6 9\n")
        XCTAssertTrue(c.fail(":run g with k = 1").hasPrefix("t:1:13: error: 'k' is a constant: it cannot be fed"), c.err)
        XCTAssertTrue(c.fail(":run g with f = 1").hasPrefix("t:1:13: error: 'f' is not a leaf"), c.err)
        XCTAssertTrue(c.fail(":run g with a = 1, a = 2").contains("'a' is fed twice"), c.err)
        XCTAssertTrue(c.fail(":run g with a 1").contains("expected 'name = value' in the feeds"), c.err)
        XCTAssertEqual(c.run("print f, g"), "6 24\n")
    }

    func testTrainSaysWhichSymbolsAreFree() {
        let c = Captured()
        _ = c.run("w = variable(1); L = (w - t)^2")
        XCTAssertTrue(c.fail(":train L steps=10").contains("error: training needs numbers, but t is a free symbol"), c.err)
        XCTAssertEqual(c.run("print w"), "1\n")
    }

    func testBackpropAgreesWithReverseMode() throws {
        let c = Captured()
        _ = c.run(NetworkCommandTests.lectureNet + "\nx = [1, 0, 1]; label = [0, 1]")
        let out = c.run(":backprop C")
        XCTAssertTrue(out.contains("  1. z1 = W1 @ x + b1,  a1 = sigmoid(z1)\n"), out)
        XCTAssertTrue(out.contains("  δ1 = sigmoid'(z1) ∘ W2ᵀ δ2 = "), out)
        XCTAssertTrue(out.contains("∂C/∂W2 = δ2 a1ᵀ"), out)
        let last = try XCTUnwrap(out.split(separator: "\n").last)
        let diff = try XCTUnwrap(Double(last.split(separator: ":").last!.split(separator: " ").first!))
        XCTAssertLessThanOrEqual(diff, 1e-15, "largest difference \(diff), tolerance 1e-15")
        XCTAssertTrue(c.fail("e = a * 2; a = 1\n:backprop e").contains("is not a layered net"), c.err)
    }

    func testXorTrainsBelowTheTarget() throws {
        let c = Captured()
        _ = c.run(NetworkCommandTests.xor)
        let out = c.run(":train C steps=2000 lr=0.05 optimizer=adam")
        XCTAssertTrue(out.contains("step 2000/2000"), out)
        XCTAssertTrue(out.contains("loss (log scale)"), out)
        let loss = try XCTUnwrap(Double(c.run("print C").trimmingCharacters(in: .newlines)))
        XCTAssertLessThan(loss, 0.05, "XOR loss \(loss), target < 0.05")
    }

    func testSgdMomentumAndBatchesLowerTheLoss() throws {
        for options in ["optimizer=sgd lr=0.5", "optimizer=momentum lr=0.1", "optimizer=adam lr=0.05 batch=2"] {
            let c = Captured()
            _ = c.run(NetworkCommandTests.xor)
            let before = try XCTUnwrap(Double(c.run("print C").trimmingCharacters(in: .newlines)))
            _ = c.run(":train C steps=300 \(options)")
            let after = try XCTUnwrap(Double(c.run("print C").trimmingCharacters(in: .newlines)))
            XCTAssertLessThan(after, before * 0.5, "\(options): loss \(before) → \(after)")
        }
        let c = Captured()
        _ = c.run(NetworkCommandTests.xor)
        XCTAssertTrue(c.fail(":train C steps=0").contains("steps must be a whole number ≥ 1"))
        XCTAssertTrue(c.fail(":train C optimiser=adam").contains("did you mean 'optimizer'?"))
        XCTAssertTrue(c.fail(":train C wrt X").contains("'X' is not a variable"))
    }

    func testTrainedValuesSurviveSaveAndLoadInANewProcess() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graphrepl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let saved = dir.appendingPathComponent("trained.graph").path
        let first = try Binary.run([
            "-e", NetworkCommandTests.xor + "\n:train C steps=500 lr=0.05 optimizer=adam\nprint C\n:save \(saved)",
        ])
        XCTAssertEqual(first.status, 0, first.err)
        let trained = first.out.split(separator: "\n").dropLast().last.map(String.init)
        let second = try Binary.run(["-e", ":load \(saved)\nprint C"])
        XCTAssertEqual(second.status, 0, second.err)
        XCTAssertEqual(second.out.trimmingCharacters(in: .newlines), trained)
    }

    func testLoadCSV() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graphrepl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("d.csv").path
        try "x1,x2\n1,2\n3,4\n".write(toFile: good, atomically: true, encoding: .utf8)
        let bad = dir.appendingPathComponent("bad.csv").path
        try "1,2\n3,x\n5\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let c = Captured()
        XCTAssertEqual(c.run("D = load_csv(\"\(good)\")\nprint D"), "[[1, 2], [3, 4]]\n")
        let err = c.fail("E = load_csv(\"\(bad)\")")
        XCTAssertTrue(err.contains("has 2 bad rows"), err)
        XCTAssertTrue(err.contains("line 2: field 2 'x' is not a number"), err)
        XCTAssertTrue(err.contains("line 3: 1 fields where earlier rows have 2"), err)
    }
}
