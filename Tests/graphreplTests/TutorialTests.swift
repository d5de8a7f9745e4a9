import Foundation
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
        XCTAssertEqual(files.count, 11, "eleven tutorials, one per part of the lecture")
        for path in files {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let t = Tutorial(path: URL(fileURLWithPath: path).lastPathComponent, text: text)
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

    func testTutorialFlagOfTheBinary() throws {
        let r = try Binary.run(["--tutorial", "1"], env: ["GRAPHREPL_TUTORIALS": TutorialTests.directory])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("end of 01-"), r.out)
        let missing = try Binary.run(["--tutorial", "99"], env: ["GRAPHREPL_TUTORIALS": TutorialTests.directory])
        XCTAssertEqual(missing.status, 64)
        XCTAssertTrue(missing.err.contains("no tutorial 99"), missing.err)
    }
}
