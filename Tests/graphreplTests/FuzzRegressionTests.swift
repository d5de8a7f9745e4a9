import Engine
import Foundation
import GraphLang
import XCTest

@testable import graphrepl

/// Every input the fuzzer found (Tests/graphreplTests/Regressions) runs through the
/// fuzzer's own harness and ends cleanly: an outcome, not a crash or a hang.
final class FuzzRegressionTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Regressions")

    func testEveryInputTheFuzzerFoundEndsCleanly() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: FuzzRegressionTests.folder.path).sorted()
        XCTAssertFalse(names.isEmpty)
        for name in names {
            let bytes = try Files.read(FuzzRegressionTests.folder.appendingPathComponent(name).path)
            let started = Date()
            _ = Fuzz.run(bytes)
            XCTAssertLessThan(Date().timeIntervalSince(started), 10, "\(name) took too long")
        }
    }

    func testAScriptThatLoadsItselfNamesTheChain() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graphrepl-load-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.graph").path
        let b = dir.appendingPathComponent("b.graph").path
        try ":load \(b)\n".write(toFile: a, atomically: true, encoding: .utf8)
        try "x = 1\n:load \(a)\n".write(toFile: b, atomically: true, encoding: .utf8)
        let r = try Binary.run([a])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("error: '\(a)' is already running: a.graph → b.graph → a.graph"), r.err)
        // A tutorial that starts itself.
        let tutorials = dir.appendingPathComponent("tutorials")
        try FileManager.default.createDirectory(at: tutorials, withIntermediateDirectories: true)
        try "# A tutorial that starts itself\n:tutorial 1\n".write(
            toFile: tutorials.appendingPathComponent("01-self.graph").path, atomically: true, encoding: .utf8)
        let t = try Binary.run(["-e", ":tutorial 1"], env: ["GRAPHREPL_TUTORIALS": tutorials.path])
        XCTAssertTrue(t.err.contains("is already running: 01-self.graph → 01-self.graph"), t.err)
    }
}
