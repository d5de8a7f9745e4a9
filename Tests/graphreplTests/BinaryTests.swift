import Foundation
import XCTest

/// The program as a user runs it: scripts, -e, piped input, exit statuses, stderr.
final class BinaryTests: XCTestCase {
    func testLectureOneLiner() throws {
        let r = try Binary.run(["-e", "a = 3; b = 2; e = (a+b)*(b+1); print e; a = 5; print e"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "15\n21\n")
        XCTAssertEqual(r.err, "")
    }

    /// A script of a megabyte has its heap mapped in ahead by a second thread while it
    /// runs (`graphrepl_prefault`): the program prints what the same script gives run in
    /// this process, where nothing is mapped ahead, and nothing else.
    func testALongScriptPrintsWhatItPrintsInProcess() throws {
        var lines = [":set digits full", "x0 = 0.5"]
        for i in 0..<20000 { lines.append("x\(i + 1) = x\(i) * 0.999 + x\(i) ^ 2 * 0.001 + 0.0001") }
        lines.append("print x20000, grad(x20000, x0)")
        let text = lines.joined(separator: "\n") + "\n"
        XCTAssertGreaterThan(text.utf8.count * 40, 1 << 20, "long enough to be mapped ahead")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graphrepl-long-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("chain.graph").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let expected = Captured().run(text)
        XCTAssertEqual(expected.split(separator: " ").count, 2, expected)
        let r = try Binary.run([path])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.err, "")
        XCTAssertEqual(r.out, expected)
    }

    func testSymbolicSlide() throws {
        let r = try Binary.run(["-e", "W = [[1, -1], [0, 1]]\nx = [[x1, x2], [x3, x4]]\nprint W @ x"])
        XCTAssertEqual(r.out, "[[x1 - x3, x2 - x4], [x3, x4]]\n")
    }

    func testExitStatuses() throws {
        let syntax = try Binary.run(["-e", "a = (1 +"])
        XCTAssertEqual(syntax.status, 2)
        XCTAssertTrue(syntax.err.hasPrefix("-e:1:8: error: expected an expression after '+'"), syntax.err)
        let runtime = try Binary.run(["-e", "print [1, 2] + [1, 2, 3]"])
        XCTAssertEqual(runtime.status, 1)
        XCTAssertTrue(runtime.err.contains("-e:1:7: error: shapes [2] and [3] do not broadcast"), runtime.err)
        let assertion = try Binary.run(["-e", "a = 3; b = 2; e = (a+b)*(b+1)\nassert grad(e, b) == 9"])
        XCTAssertEqual(assertion.status, 1)
        XCTAssertTrue(assertion.err.contains("error: assertion failed: grad(e, b) == 9"), assertion.err)
        XCTAssertTrue(assertion.err.contains("left:  grad(e, b) = 8"), assertion.err)
        XCTAssertTrue(assertion.err.contains("right: 9 = 9"), assertion.err)
        let usage = try Binary.run(["--no-such-flag"])
        XCTAssertEqual(usage.status, 64)
        let missing = try Binary.run(["/nonexistent/x.graph"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.err, "graphrepl: cannot read '/nonexistent/x.graph': no such file\n")
    }

    func testScriptStopsAtFirstRuntimeError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graphrepl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("s.graph")
        try "print 1\nprint undefined_fn(2)\nprint 3\n".write(to: f, atomically: true, encoding: .utf8)
        let r = try Binary.run([f.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.out, "1\n")
        XCTAssertTrue(r.err.hasPrefix("\(f.path):2:7: error: unknown function 'undefined_fn'"), r.err)
    }

    func testPipedInputRunsAsAScriptWithoutPrompts() throws {
        let r = try Binary.run([], stdin: "a = 3\nb = 2\ne = (a+b)*(b+1)\nprint grad(e, b)\n")
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "8\n")
    }

    func testBadBytesGiveErrorsNotCrashes() throws {
        for input in ["a = 1\u{0}\n", "a = \u{FF}\u{FE}\n", ":nosuchcommand\n", "]]]]\n", "fn (\n", "a = [[1, 2], [3]]\n"] {
            let r = try Binary.run([], stdin: input)
            XCTAssertTrue(r.status == 1 || r.status == 2, "status \(r.status) for \(input.debugDescription): \(r.err)")
            XCTAssertTrue(r.err.contains("error:"), r.err)
        }
    }

    func testVersionAndHelp() throws {
        let v = try Binary.run(["--version"])
        XCTAssertEqual(v.status, 0)
        XCTAssertTrue(v.out.hasPrefix("0."), v.out)
        let h = try Binary.run(["--help"])
        XCTAssertTrue(h.out.contains("Exit status"), h.out)
    }

    func testCommandLineForms() throws {
        let r = try Binary.run(["-e", "print 2", "--eval=print 3", "-eprint 4", "--eval", "print 5"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "2\n3\n4\n5\n")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graphrepl-args-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("-dash.graph")
        try "print 7\n".write(to: f, atomically: true, encoding: .utf8)
        let d = try Binary.run(["--", f.path])
        XCTAssertEqual(d.out, "7\n", d.err)
    }

    func testBadCommandLinesSayWhatIsWrongAndExit64() throws {
        let cases: [([String], String)] = [
            (["--bogus"], "graphrepl: unknown option '--bogus'"),
            (["-e"], "graphrepl: '-e' needs the code to run: -e 'print 1'"),
            (["--tutorial", "x"], "graphrepl: '--tutorial' needs a number, got 'x'"),
            (["--check=yes"], "graphrepl: '--check' takes no value"),
            (["--record", "a.graph"], "graphrepl: --record goes with --check: graphrepl --check --record FILE…"),
        ]
        for (args, first) in cases {
            let r = try Binary.run(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.err)")
            XCTAssertEqual(r.out, "", "\(args)")
            XCTAssertEqual(r.err.split(separator: "\n").first.map(String.init), first, "\(args)")
            XCTAssertTrue(r.err.split(separator: "\n").allSatisfy { $0.count <= 80 }, r.err)
        }
    }

    func testInteractiveFlagWithPipedInput() throws {
        let r = try Binary.run(["-i", "-e", "a = 2"], stdin: "print a * 21\n")
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "42\n")
    }
}
