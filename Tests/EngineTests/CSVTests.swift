import Foundation
import XCTest

@testable import Engine

/// Reading CSV files: a large file is read in two halves at once, and must give what
/// one pass gives, values and errors alike.
final class CSVTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("graphrepl-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func file(_ name: String, _ text: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// 20 000 rows of 3 numbers (about 700 kB, past the size read in halves), with
    /// `change` applied to the lines.
    func bigLines(_ change: (inout [String]) -> Void = { _ in }) -> String {
        var rng = SplitMix64(state: 7)
        var lines = (0..<20_000).map { _ in
            (0..<3).map { _ in String(format: "%.17g", rng.unit() * 2 - 1) }.joined(separator: ",")
        }
        change(&lines)
        return lines.joined(separator: "\n") + "\n"
    }

    func testALargeFileReadsAsInOnePass() throws {
        let text = bigLines()
        let t = try CSV.load(try file("big.csv", text))
        let bytes = Array(text.utf8)
        let one = CSV.rows(bytes, 0..<bytes.count, firstLine: true)
        XCTAssertEqual(t.shape, [20_000, 3])
        XCTAssertEqual(t.data, one.data)
        // And every value is what strtod reads.
        let want = text.split(separator: "\n").flatMap { $0.split(separator: ",").map { Double(String($0))! } }
        XCTAssertEqual(t.data.count, want.count)
        for (k, (o, w)) in zip(t.data, want).enumerated() where o.bitPattern != w.bitPattern {
            XCTFail("value \(k): expected \(w), observed \(o), tolerance 0")
            break
        }
    }

    func testALargeFileWithAHeaderReadsItsNumbers() throws {
        let t = try CSV.load(try file("header.csv", "a,b,c\n" + bigLines()))
        XCTAssertEqual(t.shape, [20_000, 3])
    }

    func testErrorsInTheSecondHalfNameTheirLines() throws {
        let path = try file(
            "bad.csv",
            bigLines { lines in
                lines[15_000] = "1,x,3"
                lines[18_000] = "1,2"
            })
        XCTAssertThrowsError(try CSV.load(path)) { e in
            let err = e as? EvalError
            XCTAssertEqual(err?.message, "'\(path)' has 2 bad rows")
            XCTAssertEqual(
                err?.notes, ["line 15001: field 2 'x' is not a number", "line 18001: 2 fields where earlier rows have 3"])
        }
    }

    func testHalvesOfDifferentWidthsAreAnError() throws {
        let path = try file("widths.csv", bigLines { lines in for i in 12_000..<20_000 { lines[i] += ",0" } })
        XCTAssertThrowsError(try CSV.load(path)) { e in
            let err = e as? EvalError
            XCTAssertEqual(err?.message, "'\(path)' has 8000 bad rows")
            XCTAssertEqual(err?.notes.first, "line 12001: 4 fields where earlier rows have 3")
        }
    }
}
