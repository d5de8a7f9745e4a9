import Foundation
import XCTest

/// The real binary in a pseudo-terminal: line editing, history, completion, Ctrl-C, Ctrl-D.
final class TerminalTests: XCTestCase {
    enum Step {
        case send(String)
        case wait(Double)
        /// Until the terminal shows this text (at most 20 s).
        case until(String)
    }

    struct Screen: Decodable {
        let shown: String
        let status: Int?
    }

    static let driver = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("pty/drive.py")

    func session(_ steps: [Step], history: String, arguments: [String] = []) throws -> Screen {
        let json = try JSONSerialization.data(
            withJSONObject: steps.map { s -> [Any] in
                switch s {
                case .send(let t): return ["send", t]
                case .wait(let w): return ["wait", w]
                case .until(let t): return ["until", t]
                }
            })
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments =
            ["python3", TerminalTests.driver.path, Binary.url.path, history, String(decoding: json, as: UTF8.self)] + arguments
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return try JSONDecoder().decode(Screen.self, from: data)
    }

    func historyFile() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("graphrepl-history-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    static let up = "\u{1B}[A"
    static let ctrlC = "\u{03}"
    static let ctrlD = "\u{04}"

    func testTutorialStopsAtQWithoutEnterAndLeavesTheSessionOpen() throws {
        let tutorials = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tutorials").path
        setenv("GRAPHREPL_TUTORIALS", tutorials, 1)
        let screen = try session(
            [
                .until("[Enter: next step, q: stop] "), .send("\r"), .until("[Enter: next step, q: stop] "), .send("q"),
                .until("the definitions so far are in the session"), .until(">>> "), .send("print a + b\r"),
                .until("5\r\n"), .until(">>> "), .send(TerminalTests.ctrlD),
            ], history: historyFile(), arguments: ["--tutorial", "1"])
        XCTAssertTrue(screen.shown.contains("stopped at step"), screen.shown)
        XCTAssertEqual(screen.status, 0, screen.shown)
    }

    func testUpArrowRecallsAndHistorySurvivesARestart() throws {
        let h = historyFile()
        let first = try session(
            [
                .send("print 40 + 2\r"), .until("42\r\n"), .send(TerminalTests.up + "\r"), .until("42\r\n"),
                .until(">>> "), .send(TerminalTests.ctrlD),
            ], history: h)
        XCTAssertEqual(first.shown.components(separatedBy: "42\r\n").count - 1, 2, first.shown)
        XCTAssertEqual(first.status, 0)
        let second = try session(
            [.send(TerminalTests.up + "\r"), .until("42\r\n"), .until(">>> "), .send(TerminalTests.ctrlD)], history: h)
        XCTAssertTrue(second.shown.contains("42\r\n"), "history was not kept: \(second.shown)")
    }

    func testTabCompletesACommandAndAName() throws {
        let s = try session(
            [
                .send("alpha_value = 5\r"), .until(">>> "), .send("print alpha_v\t"), .until("alue"), .send("\r"),
                .until(">>> "), .send(":jac\t"), .until("obian"), .send("\r"), .until("needs the name"), .until(">>> "),
                .send(TerminalTests.ctrlD),
            ],
            history: historyFile())
        // Had Tab not completed alpha_v, the free symbol alpha_v would print.
        XCTAssertTrue(s.shown.contains("\r\n5\r\n"), s.shown)
        XCTAssertFalse(s.shown.contains("\r\nalpha_v\r\n"), s.shown)
        XCTAssertTrue(s.shown.contains("':jacobian' needs the name of an output"), s.shown)
        XCTAssertFalse(s.shown.contains("\u{07}"), "a unique completion rang the bell: \(s.shown)")
    }

    func testACompletedCommandGetsASpaceAndSeveralMatchesAreListed() throws {
        let s = try session(
            [
                .send("e = 1\r"), .until(">>> "), .send(":gr\t"), .until(":gra"), .send("d\t"), .until(":grad"),
                .send("e\r"), .until("∂e/∂e = 1"), .until(">>> "), .send(":pa\t"), .until(":paths"), .until(">>> :pa"),
                .send("\u{15}\r"), .until(">>> "), .send(TerminalTests.ctrlD),
            ],
            history: historyFile())
        // ':gr' + Tab: what :grad and :graph share; 'd' + Tab: ':grad ', so the 'e' typed
        // next is its output.
        XCTAssertTrue(s.shown.contains(":grad e\r\n∂e/∂e = 1"), s.shown)
        XCTAssertTrue(s.shown.contains(":params :partials :paths"), s.shown)
        XCTAssertFalse(s.shown.contains("\u{07}"), s.shown)
    }

    func testCtrlCInterruptsALongComputationAndTheSessionGoesOn() throws {
        let s = try session(
            [
                .send("a = 7\r"), .until(">>> "), .send("M = uniform([3000, 3000], 0, 1)\r"), .until(">>> "),
                .send("print sum(M @ M @ M @ M @ M @ M @ M @ M)\r"), .wait(1.0), .send(TerminalTests.ctrlC),
                .until("interrupted"), .until(">>> "), .send("print a * 6\r"), .until("42\r\n"),
                .send("half a line" + TerminalTests.ctrlC), .until(">>> "), .send("print a\r"), .until("7\r\n"),
                .until(">>> "), .send(TerminalTests.ctrlD),
            ], history: historyFile())
        XCTAssertTrue(s.shown.contains("interrupted"), s.shown)
        // Output lines on their own: the session computed after the interrupt, and the
        // line after an abandoned one ran.
        let lines = s.shown.components(separatedBy: "\r\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertTrue(lines.contains("42"), s.shown)
        XCTAssertTrue(lines.contains("7"), s.shown)
        XCTAssertEqual(s.status, 0)
    }

    func testCtrlDOnAnEmptyLineExitsWithZero() throws {
        let s = try session([.send(TerminalTests.ctrlD)], history: historyFile())
        XCTAssertTrue(s.shown.contains("type :help"), s.shown)
        XCTAssertEqual(s.status, 0)
    }

    func testCtrlCStopsTrainingAndKeepsTheValuesReached() throws {
        let setup = NetworkCommandTests.xor.replacingOccurrences(of: "\n", with: "; ")
            .replacingOccurrences(of: ":set seed 1; ", with: "")
        let s = try session(
            [
                .send(":set seed 1\r"), .until(">>> "), .send(setup + "\r"), .until(">>> "), .send("print C\r"),
                .until(">>> "), .send(":train C steps=10000000 lr=0.01 optimizer=adam\r"), .until("step "), .wait(1.5),
                .send(TerminalTests.ctrlC), .until("values reached"), .until(">>> "), .send("print C < 0.9\r"),
                .until(">>> "), .send(TerminalTests.ctrlD),
            ], history: historyFile())
        XCTAssertTrue(s.shown.contains("(Ctrl-C); the variables keep the values reached"), s.shown)
        XCTAssertTrue(s.shown.contains("\r\n1\r\n"), "training made progress and kept it: \(s.shown)")
        XCTAssertEqual(s.status, 0)
    }

    func testUnwritableHistoryWarnsOnceAndTheSessionGoesOn() throws {
        let s = try session(
            [
                .send("print 1\r"), .until("1\r\n"), .send("print 2\r"), .until("2\r\n"), .until(">>> "),
                .send(TerminalTests.ctrlD),
            ],
            history: "/nonexistent-dir/graphrepl/history")
        XCTAssertEqual(s.shown.components(separatedBy: "warning: cannot save history").count - 1, 1, s.shown)
        XCTAssertTrue(s.shown.contains("2\r\n"), s.shown)
        XCTAssertEqual(s.status, 0)
    }

    func testTabCompletesAFileNameAfterLoad() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "print 4321\n".write(to: dir.appendingPathComponent("unique-script.graph"), atomically: true, encoding: .utf8)
        let s = try session(
            [
                .send(":load \(dir.path)/uniq\t"), .until("graph"), .send("\r"), .until("4321"), .until(">>> "),
                .send(TerminalTests.ctrlD),
            ],
            history: historyFile())
        XCTAssertTrue(s.shown.contains("4321\r\n"), s.shown)
    }

    func testCtrlRSearchesTheHistory() throws {
        let s = try session(
            [
                .send("print 40 + 2\r"), .until("42\r\n"), .send("print 7 * 7\r"), .until("49\r\n"), .until(">>> "),
                .send("\u{12}"), .wait(0.2), .send("40"), .wait(0.2), .send("\r"), .until("42\r\n"), .until(">>> "),
                .send(TerminalTests.ctrlD),
            ], history: historyFile())
        // The search found "print 40 + 2" and ran it again: 42 is printed twice.
        let lines = s.shown.components(separatedBy: "\r\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(lines.filter { $0 == "42" }.count, 2, s.shown)
    }
}
