import Engine
import Foundation
import GraphLang
import XCTest

@testable import graphrepl

/// Checked scripts at their edges, and what a second audit found.
final class CheckedScriptTests: XCTestCase {
    func check(_ text: String) -> Tutorial.Result { Tutorial(path: "t.graph", text: text).check() }

    func testOutputBeforeAnExpectedErrorIsCheckedToo() {
        let r = check("print 7; zz(1)\n# => 8\n# error: unknown function 'zz'\n")
        XCTAssertEqual(r.mismatches.first?.expected, ["8", "error: unknown function 'zz'"])
        XCTAssertEqual(r.mismatches.first?.observed, ["7", "error: unknown function 'zz'"])
        XCTAssertTrue(check("print 7; zz(1)\n# => 7\n# error: unknown function 'zz'\n").mismatches.isEmpty)
    }

    func testWindowsLineEndingsAreChecked() {
        let text = "print 2\r\n# => 999\r\nprint 3\r\n# => 3\r\n"
        let t = Tutorial(path: "t.graph", text: text)
        let r = t.check()
        XCTAssertEqual(r.expectations, 2)
        XCTAssertEqual(r.mismatches.map(\.line), [1])
        XCTAssertEqual(t.recorded(r, original: text), "print 2\r\n# => 2\r\nprint 3\r\n# => 3\r\n")
    }

    func testRecordWritesWhatEachLineGivesSoTheNextCheckPasses() {
        let text = "print 2\n# error: foo\nprint zz(1)\n# => 5\nq = zz(2)\nprint 4\n# =>\n"
        let t = Tutorial(path: "t.graph", text: text)
        let recorded = t.recorded(t.check(), original: text)
        XCTAssertEqual(
            recorded,
            "print 2\nprint zz(1)\n# error: unknown function 'zz'\nq = zz(2)\n# error: unknown function 'zz'\nprint 4\n# => 4\n")
        XCTAssertTrue(check(recorded).mismatches.isEmpty, "\(check(recorded).mismatches)")
    }

    func testAnnotationsThatCannotBeCheckedAreReported() {
        let r = check("# => 5\nprint 1\n#=> 1\nprint 2\n# => 2\n")
        XCTAssertEqual(r.mismatches.map(\.line), [1, 3])
        XCTAssertEqual(
            r.mismatches.map(\.expected),
            [
                ["an expectation with no statement before it"], ["write an expectation as '# => text' or '# error: message'"],
            ])
    }

    func testCheckGoesOnPastAFileItCannotRead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graphrepl-ck-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.graph").path
        try "print 1\n# => 2\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let r = try Binary.run(["--check", dir.appendingPathComponent("missing.graph").path, bad])
        XCTAssertEqual(r.status, 66)
        XCTAssertTrue(r.err.contains("\(bad):1: print 1"), r.err)
    }

    func testASyntaxErrorInRepeatedStatementsRunsNothing() throws {
        let r = try Binary.run(["-e", "print 0\n:repeat 2 print 1 +"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.out, "")
        let deep = try Binary.run(["-e", String(repeating: ":repeat 1 ", count: 40) + "print 1"])
        XCTAssertTrue(deep.err.contains("':repeat' nested more than 16 deep"), deep.err)
    }

    func testTrainingReportsTheLossItEndsWith() {
        let c = Captured()
        _ = c.run("x = [0, 1, 2, 3]; y = [1, 3, 5, 7]; p = variable(0); q = variable(0); M = mean((p * x + q - y)^2)")
        let out = c.run(":train M steps=1 lr=0.05 optimizer=sgd")
        XCTAssertTrue(out.contains("sgd, lr 0.05: M from 21 to 7.05875 in 1 step\n"), out)
        XCTAssertEqual(c.run("print M"), "7.05875\n")
    }

    func testSavedRandomDrawsAndNonFiniteValuesComeBack() throws {
        let c = Captured()
        _ = c.run(":set seed 7\nW = variable(normal([1], 0, 1))\nr = uniform([2], 0, 1)\nv = variable([1, 2])")
        _ = c.run("v := v / 0 * [1, 0]")
        let before = c.run("print r, v")
        let copy = Captured()
        XCTAssertEqual(
            copy.driver.interpreter.run(SourceFile(name: "s", text: SessionWriter.script(c.driver.interpreter.session))), .ok,
            copy.err)
        XCTAssertEqual(copy.run("print r, v"), before)
        XCTAssertEqual(before.components(separatedBy: " [").last, "inf, nan]\n")
        // Each call of a function that draws numbers draws its own.
        _ = c.run("fn init(n) = uniform([n], 0, 1); A = variable(init(2)); B = variable(init(2))")
        XCTAssertNotEqual(c.run("print A"), c.run("print B"))
    }
}
