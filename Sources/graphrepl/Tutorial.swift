import Engine
import Foundation
import GraphLang

/// A tutorial: a `.graph` script whose comments teach and whose `# => …` lines after a
/// statement are its expected output (`# error: …` for a statement that must fail).
struct Tutorial {
    /// One statement (possibly several lines while a bracket is open), the teaching
    /// comments before it, and what it must print.
    struct Step {
        var comments: [String] = []
        var code: String = ""
        var firstLine = 0
        var lastLine = 0
        var expected: [String]? = nil
        var expectedError: String? = nil
    }

    let path: String
    var steps: [Step] = []
    /// Comment lines after the last statement.
    var trailing: [String] = []
    /// Annotations that cannot be checked (no statement before them, or written almost
    /// but not quite as one): 1-based line and what is wrong.
    var problems: [(line: Int, message: String)] = []
    /// Whether the file's lines end with CR LF (kept when expectations are recorded).
    var crlf = false

    init(path: String, text: String) {
        self.path = path
        crlf = text.contains("\r\n")
        var current = Step()
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("# =>") || trimmed.hasPrefix("# error:") {
                // Belongs to the previous statement.
                if steps.isEmpty { problems.append((i + 1, "an expectation with no statement before it")) }
                if var last = steps.popLast() {
                    if trimmed.hasPrefix("# =>") {
                        let body = trimmed.dropFirst(4)
                        last.expected = (last.expected ?? []) + [body.hasPrefix(" ") ? String(body.dropFirst()) : String(body)]
                    } else {
                        last.expectedError = String(trimmed.dropFirst("# error:".count)).trimmingCharacters(in: .whitespaces)
                    }
                    steps.append(last)
                }
                i += 1
                continue
            }
            if trimmed.isEmpty || trimmed.hasPrefix("#") {
                if Tutorial.looksLikeAnAnnotation(trimmed) {
                    problems.append((i + 1, "write an expectation as '# => text' or '# error: message'"))
                }
                if trimmed.hasPrefix("#") {
                    current.comments.append(String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces))
                } else if !current.comments.isEmpty {
                    current.comments.append("")
                }
                i += 1
                continue
            }
            // A statement, continued while a bracket is open.
            current.firstLine = i + 1
            var code = line
            while Driver.needsMoreLines(code), i + 1 < lines.count {
                i += 1
                code += "\n" + lines[i]
            }
            current.code = code
            current.lastLine = i + 1
            while current.comments.last == "" { current.comments.removeLast() }
            steps.append(current)
            current = Step()
            i += 1
        }
        trailing = current.comments
    }

    /// `#=> 4`, `#  => 4`, `#error: 4`: meant as expectations, but not written as one, so
    /// they would be silently ignored.
    static func looksLikeAnAnnotation(_ line: String) -> Bool {
        guard line.hasPrefix("#"), !line.hasPrefix("# =>"), !line.hasPrefix("# error:") else { return false }
        let rest = line.dropFirst().drop { $0 == " " || $0 == "\t" }
        return rest.hasPrefix("=>") || rest.hasPrefix("error:")
    }

    static func load(_ path: String) throws -> Tutorial {
        Tutorial(path: path, text: String(decoding: try Files.read(path), as: UTF8.self))
    }

    /// Where the tutorials are: $GRAPHREPL_TUTORIALS, ./tutorials, or beside the build.
    static func directory() -> String? {
        var candidates: [String] = []
        if let d = ProcessInfo.processInfo.environment["GRAPHREPL_TUTORIALS"] { candidates.append(d) }
        candidates.append(FileManager.default.currentDirectoryPath + "/tutorials")
        // Beside the package the program was built in: up from the executable's folder
        // (.build/release, .build/static/x86_64-…/release, …).
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            dir = dir.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                candidates.append(dir.appendingPathComponent("tutorials").path)
                break
            }
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    static func files() -> [String] {
        guard let dir = directory(),
            let names = try? FileManager.default.contentsOfDirectory(atPath: dir)
        else { return [] }
        return names.filter { $0.hasSuffix(".graph") }.sorted().map { dir + "/" + $0 }
    }

    static func file(number: Int) -> String? {
        files().first { URL(fileURLWithPath: $0).lastPathComponent.hasPrefix(String(format: "%02d-", number)) }
    }

    /// The statement's text padded so that error locations use the tutorial's line numbers.
    func source(_ step: Step) -> SourceFile {
        SourceFile(name: path, text: String(repeating: "\n", count: step.firstLine - 1) + step.code)
    }

    // MARK: - Checking

    struct Mismatch {
        var line: Int
        var code: String
        var expected: [String]
        var observed: [String]
        /// Whether it is an expectation that does not hold (rather than an error where
        /// none was expected).
        var isExpectation = true
    }

    struct Result {
        var mismatches: [Mismatch] = []
        var expectations = 0
        /// Each step's output lines and, when it failed, its error message.
        var observed: [Int: (out: [String], error: String?)] = [:]
    }

    static func lines(_ s: String) -> [String] {
        var ls = s.components(separatedBy: "\n").map { l -> String in
            var t = l
            while t.hasSuffix(" ") { t.removeLast() }
            return t
        }
        while ls.last == "" { ls.removeLast() }
        return ls
    }

    /// Runs every step in a fresh session and compares what it gives with its
    /// expectations: the `# =>` lines with its output, the `# error:` line with its error
    /// (both when it has both). A step without expectations must not fail.
    func check() -> Result {
        var out = ""
        var err = ""
        let driver = Driver(color: false, write: { out += $0 }, writeError: { err += $0 })
        driver.interpreter.width = 80
        var result = Result()
        for p in problems {
            result.mismatches.append(Mismatch(line: p.line, code: "(annotation)", expected: [p.message], observed: []))
        }
        for (k, step) in steps.enumerated() {
            out = ""
            err = ""
            let outcome = driver.interpreter.run(source(step))
            let failed = outcome == .runtimeError || outcome == .syntaxError
            let first = Tutorial.lines(err).first { $0.contains("error: ") } ?? ""
            let message = first.components(separatedBy: "error: ").dropFirst().joined(separator: "error: ")
            result.observed[k] = (Tutorial.lines(out), failed ? message : nil)
            if step.expected == nil && step.expectedError == nil {
                if failed {
                    result.mismatches.append(
                        Mismatch(
                            line: step.firstLine, code: step.code, expected: ["(no error)"], observed: Tutorial.lines(err),
                            isExpectation: false))
                }
            } else {
                result.expectations += 1
                let expected = (step.expected ?? []) + (step.expectedError.map { ["error: " + $0] } ?? [])
                let observed = (step.expected != nil ? Tutorial.lines(out) : []) + (failed ? ["error: " + message] : [])
                if expected != observed {
                    result.mismatches.append(
                        Mismatch(line: step.firstLine, code: step.code, expected: expected, observed: observed))
                }
            }
            if outcome == .quit { break }
        }
        result.mismatches.sort { $0.line < $1.line }
        return result
    }

    /// `graphrepl --check FILE…`: each script run step by step in a fresh session, each
    /// mismatch printed as `file:line` with a line diff; with `record`, the expectations
    /// rewritten from what is observed. The exit status: 0, 1 on any mismatch, 66 when a
    /// file cannot be read.
    static func checkFiles(
        _ paths: [String], record: Bool, write: (String) -> Void = StandardOutput.write,
        writeError: (String) -> Void = StandardOutput.writeError
    ) -> Int32 {
        var failed = 0
        var unreadable = 0
        for path in paths {
            let text: String
            do {
                text = String(decoding: try Files.read(path), as: UTF8.self)
            } catch {
                writeError("graphrepl: \((error as? EvalError)?.message ?? "cannot read '\(path)'")\n")
                unreadable += 1
                continue
            }
            let t = Tutorial(path: path, text: text)
            let result = t.check()
            if record {
                do {
                    try FileOutput.write(t.recorded(result, original: text), to: path)
                } catch let e as EvalError {
                    writeError("graphrepl: \(e.message)\n")
                    return ExitStatus.runtime
                } catch {
                    writeError("graphrepl: cannot write '\(path)'\n")
                    return ExitStatus.runtime
                }
                write("\(path): recorded \(result.expectations) expectation\(result.expectations == 1 ? "" : "s")\n")
                continue
            }
            for m in result.mismatches { writeError(Tutorial.diff(m, path: path)) }
            failed += result.mismatches.count
            let held = result.expectations - result.mismatches.filter { $0.isExpectation && $0.code != "(annotation)" }.count
            let others = result.mismatches.count - (result.expectations - held)
            var line = "\(path): \(held) of \(result.expectations) expectation\(result.expectations == 1 ? " holds" : "s hold")"
            if others > 0 { line += "; \(others) other problem\(others == 1 ? "" : "s") (shown above)" }
            write(line + "\n")
        }
        if unreadable > 0 { return ExitStatus.noInput }
        return failed == 0 ? ExitStatus.ok : ExitStatus.runtime
    }

    /// A line diff of a mismatch, for a failing test.
    static func diff(_ m: Mismatch, path: String) -> String {
        var s = "\(path):\(m.line): \(m.code.components(separatedBy: "\n")[0])\n"
        let n = max(m.expected.count, m.observed.count)
        for i in 0..<n {
            let e = i < m.expected.count ? m.expected[i] : nil
            let o = i < m.observed.count ? m.observed[i] : nil
            if e == o {
                s += "    \(e ?? "")\n"
            } else {
                if let e { s += "  - \(e)\n" }
                if let o { s += "  + \(o)\n" }
            }
        }
        return s
    }

    /// The script with its expectations rewritten from what was observed: `# =>` lines
    /// for the steps that had them, a `# error:` line for every step that failed.
    func recorded(_ result: Result, original: String) -> String {
        var lines = original.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        // Replace from the bottom so line numbers stay valid.
        for (k, step) in steps.enumerated().reversed() {
            guard let obs = result.observed[k] else { continue }
            let j = step.lastLine  // index of the first line after the statement
            while j < lines.count {
                let t = lines[j].trimmingCharacters(in: .whitespaces)
                if t.hasPrefix("# =>") || t.hasPrefix("# error:") { lines.remove(at: j) } else { break }
            }
            var new: [String] = []
            if step.expected != nil { new += obs.out.map { $0.isEmpty ? "# =>" : "# => " + $0 } }
            if let message = obs.error { new.append("# error: " + message) }
            lines.insert(contentsOf: new, at: step.lastLine)
        }
        return lines.joined(separator: crlf ? "\r\n" : "\n")
    }

    // MARK: - Walking through

    /// Shows each step — its comments, the statement, its output — and waits for a key
    /// (when `wait` is true): `q` stops, any other goes on. `readKey` gives one key (a
    /// line, in tests).
    func walk(_ interp: Interpreter, wait: Bool, readKey: () -> String?) {
        for (k, step) in steps.enumerated() {
            if !step.comments.isEmpty {
                interp.write("\n" + step.comments.map { "  " + $0 }.joined(separator: "\n") + "\n")
            }
            interp.write(">>> " + step.code.replacingOccurrences(of: "\n", with: "\n... ") + "\n")
            let outcome = interp.run(source(step))
            if outcome == .quit { return }
            // Pause before the next teaching point, not after every definition.
            if wait && k < steps.count - 1 && !steps[k + 1].comments.isEmpty {
                interp.write("[Enter: next step, q: stop] ")
                let answer = readKey()
                interp.write(answer == "\n" || answer == "\r" ? "" : "\n")
                guard let answer, answer.trimmingCharacters(in: .whitespaces).lowercased() != "q" else {
                    interp.write("stopped at step \(k + 1) of \(steps.count); the definitions so far are in the session\n")
                    return
                }
            }
        }
        if !trailing.isEmpty { interp.write("\n" + trailing.map { "  " + $0 }.joined(separator: "\n") + "\n") }
        interp.write("\nend of \(URL(fileURLWithPath: path).lastPathComponent)\n")
    }
}
