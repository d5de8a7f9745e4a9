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

    init(path: String, text: String) {
        self.path = path
        var current = Step()
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("# =>") || trimmed.hasPrefix("# error:") {
                // Belongs to the previous statement.
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

    static func load(_ path: String) throws -> Tutorial {
        Tutorial(path: path, text: String(decoding: try Files.read(path), as: UTF8.self))
    }

    /// Where the tutorials are: $GRAPHREPL_TUTORIALS, ./tutorials, or beside the build.
    static func directory() -> String? {
        var candidates: [String] = []
        if let d = ProcessInfo.processInfo.environment["GRAPHREPL_TUTORIALS"] { candidates.append(d) }
        candidates.append(FileManager.default.currentDirectoryPath + "/tutorials")
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("../../../tutorials").standardized.path)
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("../../tutorials").standardized.path)
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
        var observed: [Int: (out: [String], err: [String])] = [:]
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

    /// Runs every step in a fresh session and compares each output with its expectation.
    func check() -> Result {
        var out = ""
        var err = ""
        let driver = Driver(color: false, write: { out += $0 }, writeError: { err += $0 })
        driver.interpreter.width = 80
        var result = Result()
        for (k, step) in steps.enumerated() {
            out = ""
            err = ""
            let outcome = driver.interpreter.run(source(step))
            result.observed[k] = (Tutorial.lines(out), Tutorial.lines(err))
            if let want = step.expectedError {
                result.expectations += 1
                let first = Tutorial.lines(err).first { $0.contains("error: ") } ?? ""
                let message = first.components(separatedBy: "error: ").dropFirst().joined(separator: "error: ")
                if outcome == .ok || message != want {
                    result.mismatches.append(
                        Mismatch(
                            line: step.firstLine, code: step.code, expected: ["error: " + want],
                            observed: outcome == .ok ? Tutorial.lines(out) : ["error: " + message]))
                }
                continue
            }
            if outcome == .quit { break }
            if outcome != .ok {
                result.mismatches.append(
                    Mismatch(
                        line: step.firstLine, code: step.code, expected: step.expected ?? ["(no error)"],
                        observed: Tutorial.lines(err), isExpectation: step.expected != nil))
                continue
            }
            if let want = step.expected {
                result.expectations += 1
                let got = Tutorial.lines(out)
                if got != want {
                    result.mismatches.append(Mismatch(line: step.firstLine, code: step.code, expected: want, observed: got))
                }
            }
        }
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
        for path in paths {
            let text: String
            do {
                text = String(decoding: try Files.read(path), as: UTF8.self)
            } catch let e as EvalError {
                writeError("graphrepl: \(e.message)\n")
                return ExitStatus.noInput
            } catch {
                return ExitStatus.noInput
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
            let held = result.expectations - result.mismatches.filter { $0.isExpectation }.count
            write(
                "\(path): \(held) of \(result.expectations) expectation\(result.expectations == 1 ? "" : "s") hold"
                    + (result.mismatches.isEmpty
                        ? "\n" : ", \(result.mismatches.count) mismatch\(result.mismatches.count == 1 ? "" : "es")\n"))
        }
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

    /// The tutorial with every expectation replaced by what was observed
    /// (GRAPHREPL_RECORD=1).
    func recorded(_ result: Result, original: String) -> String {
        var lines = original.components(separatedBy: "\n")
        // Replace from the bottom so line numbers stay valid.
        for (k, step) in steps.enumerated().reversed() where step.expected != nil || step.expectedError != nil {
            let j = step.lastLine  // index of the first line after the statement
            while j < lines.count {
                let t = lines[j].trimmingCharacters(in: .whitespaces)
                if t.hasPrefix("# =>") || t.hasPrefix("# error:") { lines.remove(at: j) } else { break }
            }
            guard let obs = result.observed[k] else { continue }
            let new: [String]
            if step.expectedError != nil {
                let first = obs.err.first { $0.contains("error: ") } ?? ""
                new = ["# error: " + first.components(separatedBy: "error: ").dropFirst().joined(separator: "error: ")]
            } else {
                new = obs.out.map { $0.isEmpty ? "# =>" : "# => " + $0 }
            }
            lines.insert(contentsOf: new, at: step.lastLine)
        }
        return lines.joined(separator: "\n")
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
