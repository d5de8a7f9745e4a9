import Foundation
import XCTest

/// The real binary in a pseudo-terminal: line editing, history, completion, Ctrl-C, Ctrl-D.
final class TerminalTests: XCTestCase {
    enum Step {
        case send(String)
        case wait(Double)
    }

    struct Screen: Decodable {
        let shown: String
        let status: Int?
    }

    static let driver = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("pty/drive.py")

    func session(_ steps: [Step], history: String) throws -> Screen {
        let json = try JSONSerialization.data(
            withJSONObject: steps.map { s -> [Any] in
                switch s {
                case .send(let t): return ["send", t]
                case .wait(let w): return ["wait", w]
                }
            })
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", TerminalTests.driver.path, Binary.url.path, history, String(decoding: json, as: UTF8.self)]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return try JSONDecoder().decode(Screen.self, from: data)
    }

    func historyFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("graphrepl-history-\(UUID().uuidString)").path
    }

    static let up = "\u{1B}[A"
    static let ctrlC = "\u{03}"
    static let ctrlD = "\u{04}"

    func testUpArrowRecallsAndHistorySurvivesARestart() throws {
        let h = historyFile()
        let first = try session(
            [
                .send("print 40 + 2\r"), .wait(0.3), .send(TerminalTests.up + "\r"), .wait(0.3),
                .send(TerminalTests.ctrlD),
            ], history: h)
        XCTAssertEqual(first.shown.components(separatedBy: "42\r\n").count - 1, 2, first.shown)
        XCTAssertEqual(first.status, 0)
        let second = try session([.send(TerminalTests.up + "\r"), .wait(0.3), .send(TerminalTests.ctrlD)], history: h)
        XCTAssertTrue(second.shown.contains("42\r\n"), "history was not kept: \(second.shown)")
    }

    func testTabCompletesACommandAndAName() throws {
        let s = try session(
            [
                .send("alpha_value = 5\r"), .wait(0.2), .send("print alpha_v\t"), .wait(0.2), .send("\r"),
                .wait(0.3), .send(":jac\t"), .wait(0.2), .send("\r"), .wait(0.3), .send(TerminalTests.ctrlD),
            ],
            history: historyFile())
        // Had Tab not completed alpha_v, the free symbol alpha_v would print.
        XCTAssertTrue(s.shown.contains("\r\n5\r\n"), s.shown)
        XCTAssertFalse(s.shown.contains("\r\nalpha_v\r\n"), s.shown)
        XCTAssertTrue(s.shown.contains("':jacobian' needs the name of an output"), s.shown)
    }

    func testCtrlCInterruptsALongComputationAndTheSessionGoesOn() throws {
        let s = try session(
            [
                .send("a = 7\r"), .send("M = uniform([1500, 1500], 0, 1)\r"), .wait(0.3),
                .send("print sum(M @ M @ M @ M @ M)\r"), .wait(1.0), .send(TerminalTests.ctrlC), .wait(0.5),
                .send("print a * 6\r"), .wait(0.3), .send("half a line" + TerminalTests.ctrlC), .wait(0.2),
                .send("print a\r"), .wait(0.3), .send(TerminalTests.ctrlD),
            ], history: historyFile())
        XCTAssertTrue(s.shown.contains("interrupted"), s.shown)
        XCTAssertTrue(s.shown.contains("42\r\n"), s.shown)
        XCTAssertTrue(s.shown.contains("7\r\n"), s.shown)
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
                .send(":set seed 1\r"), .send(setup + "\r"), .wait(1.0), .send("print C\r"), .wait(1.0),
                .send(":train C steps=10000000 lr=0.01 optimizer=adam\r"), .wait(3.0),
                .send(TerminalTests.ctrlC), .wait(1.5), .send("print C < 0.9\r"), .wait(1.0),
                .send(TerminalTests.ctrlD),
            ], history: historyFile())
        XCTAssertTrue(s.shown.contains("(Ctrl-C); the variables keep the values reached"), s.shown)
        XCTAssertTrue(s.shown.contains("\r\n1\r\n"), "training made progress and kept it: \(s.shown)")
        XCTAssertEqual(s.status, 0)
    }

    func testUnwritableHistoryWarnsOnceAndTheSessionGoesOn() throws {
        let s = try session(
            [.send("print 1\r"), .send("print 2\r"), .wait(0.3), .send(TerminalTests.ctrlD)],
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
            [.send(":load \(dir.path)/uniq\t"), .wait(0.3), .send("\r"), .wait(0.3), .send(TerminalTests.ctrlD)],
            history: historyFile())
        XCTAssertTrue(s.shown.contains("4321\r\n"), s.shown)
    }

    func testCtrlRSearchesTheHistory() throws {
        let s = try session(
            [
                .send("print 40 + 2\r"), .send("print 7 * 7\r"), .wait(0.3), .send("\u{12}"), .wait(0.2),
                .send("40"), .wait(0.2), .send("\r"), .wait(0.3), .send(TerminalTests.ctrlD),
            ], history: historyFile())
        // The search found "print 40 + 2" and ran it again: 42 is printed twice.
        let lines = s.shown.components(separatedBy: "\r\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(lines.filter { $0 == "42" }.count, 2, s.shown)
    }
}
