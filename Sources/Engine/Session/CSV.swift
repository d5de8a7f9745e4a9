import CSystem
import Foundation
import GraphLang

/// Reads a CSV file of numbers into a matrix: one row per line, a header row skipped
/// when its first field is not a number, blank lines ignored.
public enum CSV {
    /// Where `load` finds `path`: as given when that exists (or is absolute), else beside
    /// the script, else as given.
    public static func resolve(_ path: String, besideScript script: String?) -> String {
        if path.hasPrefix("/") || FileManager.default.fileExists(atPath: path) { return path }
        if let script, script.contains("/") {
            let beside = URL(fileURLWithPath: script).deletingLastPathComponent().appendingPathComponent(path).path
            if FileManager.default.fileExists(atPath: beside) { return beside }
        }
        return path
    }

    /// The rows of numbers in `bytes[range]`, lines counted from the start of the range.
    struct Rows {
        var data: [Double] = []
        var width: Int?
        var rowCount = 0
        var problems: [String] = []
    }

    /// The two halves' rows, set from two threads.
    final class Halves: @unchecked Sendable {
        private var parts: [Rows?] = [nil, nil]
        private let lock = NSLock()
        func set(_ k: Int, _ r: Rows) {
            lock.lock()
            parts[k] = r
            lock.unlock()
        }
        func get(_ k: Int) -> Rows? {
            lock.lock()
            defer { lock.unlock() }
            return parts[k]
        }
    }

    static func rows(_ bytes: [UInt8], _ range: Range<Int>, firstLine: Bool) -> Rows {
        bytes.withUnsafeBufferPointer { rows($0, range, firstLine: firstLine) }
    }

    static func rows(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, firstLine: Bool) -> Rows {
        var out = Rows()
        out.data.reserveCapacity(range.count / 4)
        var buffer = [CChar](repeating: 0, count: 64)
        func isBlank(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 13 }
        func number(_ lo: Int, _ hi: Int) -> Double? {
            let n = hi - lo
            guard n > 0 else { return nil }
            if let v = DecimalReader.read(bytes, lo, hi) { return v }
            if n + 1 > buffer.count { buffer = [CChar](repeating: 0, count: n + 1) }
            for k in 0..<n { buffer[k] = CChar(bitPattern: bytes[lo + k]) }
            buffer[n] = 0
            return buffer.withUnsafeMutableBufferPointer { p -> Double? in
                var stop: UnsafeMutablePointer<CChar>?
                let v = strtod(p.baseAddress!, &stop)
                return stop == p.baseAddress! + n ? v : nil
            }
        }
        var lineStart = range.lowerBound
        var lineNumber = 0
        var row: [Double] = []
        // Line breaks and commas found with memchr, many bytes at a time: byte by byte
        // these two searches took as long as reading the numbers.
        let base = bytes.baseAddress
        func find(_ byte: UInt8, from: Int, to: Int) -> Int {
            guard let base, from < to, let p = memchr(base + from, Int32(byte), to - from) else { return to }
            return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
        }
        while lineStart <= range.upperBound {
            lineNumber += 1
            let lineEnd = find(10, from: lineStart, to: range.upperBound)
            defer { lineStart = lineEnd + 1 }
            var lo = lineStart
            var hi = lineEnd
            while lo < hi, isBlank(bytes[lo]) { lo += 1 }
            while hi > lo, isBlank(bytes[hi - 1]) { hi -= 1 }
            if lo == hi { continue }
            row.removeAll(keepingCapacity: true)
            var bad: (Int, String)?
            var f = lo
            var field = 0
            while f <= hi {
                field += 1
                let e = find(UInt8(ascii: ","), from: f, to: hi)
                var a = f
                var b = e
                while a < b, isBlank(bytes[a]) { a += 1 }
                while b > a, isBlank(bytes[b - 1]) { b -= 1 }
                if let v = number(a, b) {
                    row.append(v)
                } else if bad == nil {
                    bad = (field, String(decoding: bytes[a..<b], as: UTF8.self))
                }
                f = e + 1
            }
            if let (k, text) = bad {
                // The first line may be a header: names rather than numbers.
                if firstLine && lineNumber == 1 && k == 1 && out.rowCount == 0 && out.problems.isEmpty {
                    continue
                }
                out.problems.append("line \(lineNumber): field \(k) '\(text)' is not a number")
                continue
            }
            if let w = out.width, w != row.count {
                out.problems.append("line \(lineNumber): \(row.count) fields where earlier rows have \(w)")
                continue
            }
            out.width = row.count
            out.data.append(contentsOf: row)
            out.rowCount += 1
        }
        return out
    }

    /// A relative `path` is looked for where graphrepl runs, then beside the script that
    /// names it (`besideScript`: that script's path), so a script finds its data wherever
    /// it is run from.
    public static func load(_ path: String, besideScript script: String? = nil) throws -> Tensor<Double> {
        let bytes: [UInt8]
        do {
            bytes = try Files.read(resolve(path, besideScript: script))
        } catch let e as EvalError {
            throw EvalError(
                e.message.replacingOccurrences(of: resolve(path, besideScript: script), with: path),
                notes: ["hint: a relative path is looked for where graphrepl runs, then beside the script"])
        }
        // Bytes, not Strings: a field is read where it lies (`DecimalReader`, strtod on a
        // small buffer for what it leaves), so a megabyte of numbers loads in milliseconds.
        // A large file is read in two halves at once (split at a line break), then joined;
        // anything unusual in either half (a bad row, a header, unequal widths) is read
        // again in one pass, which is what says exactly where the problem is.
        // Numbers in this quantity are usually multiplied next: OpenBLAS loads meanwhile.
        if bytes.count >= 1 << 16 { graphrepl_blas_preload() }
        var part: Rows
        if bytes.count >= 1 << 18, let cut = bytes[(bytes.count / 2)...].firstIndex(of: 10) {
            let halves = Halves()
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                halves.set(k, CSV.rows(bytes, k == 0 ? 0..<cut : (cut + 1)..<bytes.count, firstLine: k == 0))
            }
            if let a = halves.get(0), let b = halves.get(1), a.problems.isEmpty, b.problems.isEmpty, a.width != nil,
                a.width == b.width
            {
                part = a
                part.data.append(contentsOf: b.data)
                part.rowCount += b.rowCount
            } else {
                part = CSV.rows(bytes, 0..<bytes.count, firstLine: true)
            }
        } else {
            part = CSV.rows(bytes, 0..<bytes.count, firstLine: true)
        }
        let problems = part.problems
        let rowCount = part.rowCount
        let data = part.data
        let width = part.width
        if !problems.isEmpty {
            throw EvalError(
                "'\(path)' has \(problems.count) bad row\(problems.count == 1 ? "" : "s")",
                notes: Array(problems.prefix(5)) + (problems.count > 5 ? ["… and \(problems.count - 5) more"] : []))
        }
        guard let width else { throw EvalError("'\(path)' has no rows of numbers") }
        _ = try Tensor<Double>.checkedCount([rowCount, width])
        return Tensor(shape: [rowCount, width], data: data)
    }
}
