import Engine
import Foundation
import GraphLang
import XCTest

@testable import graphrepl

/// A driver whose output is captured, for testing commands and the loop without a
/// terminal.
final class Captured {
    var out = ""
    var err = ""
    lazy var driver: Driver = Driver(
        color: false, write: { [unowned self] in self.out += $0 },
        writeError: { [unowned self] in self.err += $0 })

    /// Output of running `code`, which must succeed.
    func run(_ code: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        out = ""
        err = ""
        let o = driver.interpreter.run(SourceFile(name: "t", text: code))
        XCTAssertEqual(o, .ok, "stderr: \(err)", file: file, line: line)
        return out
    }

    /// Error output of running `code`, which must fail.
    func fail(_ code: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        out = ""
        err = ""
        let o = driver.interpreter.run(SourceFile(name: "t", text: code))
        XCTAssertNotEqual(o, .ok, "expected an error; output: \(out)", file: file, line: line)
        return err
    }
}

/// The built graphrepl binary, run as a user would.
struct Binary {
    static var url: URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("graphrepl"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("graphrepl"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("graphrepl"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    struct Result {
        var status: Int32
        var out: String
        var err: String
    }

    static func run(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = url
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        e["GRAPHREPL_HISTORY"] = ""
        for (k, v) in env { e[k] = v }
        p.environment = e
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        p.standardOutput = outPipe
        p.standardError = errPipe
        p.standardInput = inPipe
        try p.run()
        if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inPipe.fileHandleForWriting.close()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        let err = errPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(
            status: p.terminationStatus, out: String(decoding: out, as: UTF8.self),
            err: String(decoding: err, as: UTF8.self))
    }
}
