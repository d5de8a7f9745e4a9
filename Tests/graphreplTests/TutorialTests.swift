import Engine
import Foundation
import GraphLang
import XCTest

@testable import graphrepl

/// Every tutorial runs through the program's own runner; each `# => …` must match what
/// its statement prints, each `# error: …` the error it gives. GRAPHREPL_RECORD=1
/// rewrites the expectations from what is observed (then review the diff).
final class TutorialTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("tutorials").path

    func tutorials() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: TutorialTests.directory)
        return names.filter { $0.hasSuffix(".graph") }.sorted().map { TutorialTests.directory + "/" + $0 }
    }

    func testEveryTutorialMatchesItsExpectations() throws {
        setenv("COLUMNS", "80", 1)
        let record = ProcessInfo.processInfo.environment["GRAPHREPL_RECORD"] == "1"
        var total = 0
        let files = try tutorials()
        XCTAssertEqual(files.count, 13, "eleven tutorials following the lecture, then gradient descent by hand and Iris")
        for path in files {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let t = Tutorial(path: path, text: text)
            let result = t.check()
            total += result.expectations
            if record {
                try t.recorded(result, original: text).write(toFile: path, atomically: true, encoding: .utf8)
                continue
            }
            let report = result.mismatches.map { Tutorial.diff($0, path: t.path) }.joined()
            XCTAssertTrue(result.mismatches.isEmpty, "\n" + report)
            XCTAssertGreaterThanOrEqual(result.expectations, 3, "\(t.path) checks too little")
        }
        XCTAssertGreaterThanOrEqual(total, 60, "inline expectations in all the tutorials")
    }

    /// Every command of SPEC §5 appears in at least one tutorial.
    func testEveryCommandIsTaught() throws {
        let all = try tutorials().map { try String(contentsOfFile: $0, encoding: .utf8) }.joined(separator: "\n")
        let commands = [
            "help", "list", "graph", "dot", "partials", "paths", "forward", "reverse", "grad", "jacobian",
            "hessian", "check", "params", "backprop", "run", "train", "load", "save", "reset", "del", "set", "quit",
            "repeat",
        ]
        for c in commands {
            XCTAssertTrue(
                all.range(of: "^:\(c)\\b", options: .regularExpression) != nil
                    || all.components(separatedBy: "\n").contains { $0.hasPrefix(":\(c)") }, ":\(c) is in no tutorial")
        }
    }

    func testWalkingThroughATutorialShowsCommentsCodeAndOutput() throws {
        let path = try XCTUnwrap(try tutorials().first)
        let t = try Tutorial.load(path)
        let c = Captured()
        var prompts = 0
        t.walk(c.driver.interpreter, wait: true) {
            prompts += 1
            return prompts < 3 ? "" : "q"
        }
        XCTAssertEqual(prompts, 3)
        XCTAssertTrue(c.out.contains(">>> "), c.out)
        XCTAssertTrue(c.out.contains("[Enter: next step, q: stop]"), c.out)
    }

    func testEveryTutorialRunsToItsEndAsAPlainScript() throws {
        for path in try tutorials() {
            let r = try Binary.run([path], env: ["GRAPHREPL_TUTORIALS": TutorialTests.directory])
            XCTAssertEqual(r.status, 0, "\(path): \(r.err)")
        }
    }

    func testCheckFlagFindsAnAlteredExpectationAndRecordMendsIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graphrepl-check-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = try String(contentsOfFile: TutorialTests.directory + "/03-sum-over-paths.graph", encoding: .utf8)
        let file = dir.appendingPathComponent("03.graph").path
        try original.replacingOccurrences(of: "# => 3 8\n", with: "# => 3 9\n").write(
            toFile: file, atomically: true, encoding: .utf8)
        let line = original.components(separatedBy: "\n").firstIndex(of: "print grad(e, a), grad(e, b)")! + 1
        let bad = try Binary.run(["--check", file])
        XCTAssertEqual(bad.status, 1, bad.err)
        XCTAssertTrue(bad.err.hasPrefix("\(file):\(line): print grad(e, a), grad(e, b)\n  - 3 9\n  + 3 8\n"), bad.err)
        let all = try Binary.run(["--check"] + (try tutorials()))
        XCTAssertEqual(all.status, 0, all.err)
        let recorded = try Binary.run(["--check", "--record", file])
        XCTAssertEqual(recorded.status, 0, recorded.err)
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), original)
        XCTAssertEqual(try Binary.run(["--check", file]).status, 0)
        XCTAssertEqual(try Binary.run(["--record", file]).status, 64)
    }

    func testTheIrisNetworkReachesItsAccuracyOnUnseenRows() throws {
        let c = Captured()
        let path = TutorialTests.directory + "/13-iris.graph"
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path))
        XCTAssertEqual(c.driver.interpreter.run(SourceFile(name: path, bytes: [UInt8](data))), .ok, c.err)
        let accuracy = try XCTUnwrap(Double(c.run("print accuracy").trimmingCharacters(in: .newlines)))
        XCTAssertGreaterThanOrEqual(accuracy, 0.9, "test accuracy: expected at least 0.9, observed \(accuracy)")
        XCTAssertEqual(c.run("print sum(label)"), "30\n")
    }

    func testAnExpectedErrorIsShownAndTheScriptGoesOn() throws {
        let ok = try Binary.run(["-e", "a = 1\nprint b + zz(1)\n# error: unknown function 'zz'\nprint a"])
        XCTAssertEqual(ok.status, 0, ok.err)
        XCTAssertEqual(ok.out, "1\n")
        XCTAssertTrue(ok.err.contains("error: unknown function 'zz'"), ok.err)
        let wrong = try Binary.run(["-e", "print zz(1)\n# error: something else\nprint 2"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.err.contains("(the line below expected: something else)"), wrong.err)
        XCTAssertEqual(wrong.out, "")
        let none = try Binary.run(["-e", "print 1\n# error: unknown function 'zz'\nprint 2"])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.err.contains("error: this line was expected to fail with: unknown function 'zz'"), none.err)
        let syntax = try Binary.run(["-e", "a = 1 +\n# error: expected an expression after '+'\nprint 3"])
        XCTAssertEqual(syntax.status, 0, syntax.err)
        XCTAssertEqual(syntax.out, "3\n")
    }

    /// `:save` keeps everything: at the end of every tutorial the saved script rebuilds a
    /// session with the same settings and the same value for every definition.
    func testSaveAndReloadAtTheEndOfEveryTutorial() throws {
        for path in try tutorials() {
            let original = Captured()
            let data = try XCTUnwrap(FileManager.default.contents(atPath: path))
            let outcome = original.driver.interpreter.run(SourceFile(name: path, bytes: [UInt8](data)))
            XCTAssertTrue(outcome == .ok || outcome == .quit, "\(path): \(original.err)")
            let a = original.driver.interpreter.session
            let script = SessionWriter.script(a)
            XCTAssertTrue(script.hasSuffix("\n"))
            let copy = Captured()
            XCTAssertEqual(copy.driver.interpreter.run(SourceFile(name: "saved", text: script)), .ok, "\(path): \(copy.err)")
            let b = copy.driver.interpreter.session
            XCTAssertEqual(a.order, b.order, path)
            XCTAssertEqual(a.settings.digits, b.settings.digits, path)
            XCTAssertEqual(a.settings.seed, b.settings.seed, path)
            XCTAssertEqual(a.settings.relativeTolerance, b.settings.relativeTolerance, path)
            for name in a.order {
                XCTAssertEqual(a.leafKind(name), b.leafKind(name), "\(path): \(name)")
                XCTAssertEqual(a.values[name], b.values[name], "\(path): the value of \(name)")
                guard case .node = a.definition(name) else { continue }
                var w: [Diagnostic] = []
                let va = (try? a.evaluate([a.node(named: name)], warnings: &w)).flatMap { m in
                    (try? a.node(named: name)).flatMap { m[$0] }
                }
                let vb = (try? b.evaluate([b.node(named: name)], warnings: &w)).flatMap { m in
                    (try? b.node(named: name)).flatMap { m[$0] }
                }
                XCTAssertEqual(va, vb, "\(path): \(name) evaluates differently after :save and :load")
            }
        }
    }

    func testTutorialFlagOfTheBinary() throws {
        let r = try Binary.run(["--tutorial", "1"], env: ["GRAPHREPL_TUTORIALS": TutorialTests.directory])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("end of 01-"), r.out)
        let missing = try Binary.run(["--tutorial", "99"], env: ["GRAPHREPL_TUTORIALS": TutorialTests.directory])
        XCTAssertEqual(missing.status, 64)
        XCTAssertTrue(missing.err.contains("no tutorial 99"), missing.err)
    }
}
