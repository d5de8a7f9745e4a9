import Foundation

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
        let text = String(decoding: bytes, as: UTF8.self)
        var rows: [[Double]] = []
        var problems: [String] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            let numbers = fields.map { Double($0) }
            if rows.isEmpty && problems.isEmpty && i == 0 && numbers.first.flatMap({ $0 }) == nil {
                continue  // header
            }
            if let bad = numbers.firstIndex(where: { $0 == nil }) {
                problems.append("line \(i + 1): field \(bad + 1) '\(fields[bad])' is not a number")
                continue
            }
            let row = numbers.compactMap { $0 }
            if let first = rows.first, first.count != row.count {
                problems.append("line \(i + 1): \(row.count) fields where earlier rows have \(first.count)")
                continue
            }
            rows.append(row)
        }
        if !problems.isEmpty {
            throw EvalError(
                "'\(path)' has \(problems.count) bad row\(problems.count == 1 ? "" : "s")",
                notes: Array(problems.prefix(5)) + (problems.count > 5 ? ["… and \(problems.count - 5) more"] : []))
        }
        guard let width = rows.first?.count else { throw EvalError("'\(path)' has no rows of numbers") }
        _ = try Tensor<Double>.checkedCount([rows.count, width])
        return Tensor(shape: [rows.count, width], data: rows.flatMap { $0 })
    }
}
