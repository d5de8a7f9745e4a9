import CEdit
import CSystem
import Engine
import Foundation
import GraphLang

/// Exit statuses, as documented in `--help` and the README.
enum ExitStatus {
    static let ok: Int32 = 0
    static let runtime: Int32 = 1
    static let syntax: Int32 = 2
    static let usage: Int32 = 64
    static let noInput: Int32 = 66
}

/// Standard output, flushed as results are produced.
final class StandardOutput {
    static func write(_ s: String) { write(s, to: STDOUT_FILENO) }
    static func writeError(_ s: String) { write(s, to: STDERR_FILENO) }

    /// All of `s`, straight to the descriptor: no `Data` made (whose first use cost a
    /// tenth of starting), a write cut short by a signal or a full pipe carried on.
    static func write(_ s: String, to fd: Int32) {
        var s = s
        s.withUTF8 { bytes in
            guard var p = bytes.baseAddress else { return }
            var left = bytes.count
            while left > 0 {
                let n = Glibc.write(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                p += n
                left -= n
            }
        }
    }
}

/// Runs graphrepl: scripts, code, piped input, or the interactive loop.
final class Driver {
    let interpreter: Interpreter
    var outcome: Interpreter.Outcome = .ok

    init(
        color: Bool, terminal: Bool = false, write: @escaping (String) -> Void = StandardOutput.write,
        writeError: @escaping (String) -> Void = StandardOutput.writeError
    ) {
        interpreter = Interpreter(write: write, writeError: writeError)
        interpreter.color = color
        interpreter.outputIsTerminal = terminal
        interpreter.interrupted = { Interrupt.isRequested }
        interpreter.commands = { interp, call in try Commands.run(call, interp) }
    }

    static func terminalWantsColor() -> Bool {
        // One variable read where it is (ProcessInfo's dictionary of them all cost a
        // tenth of starting).
        if getenv("NO_COLOR") != nil { return false }
        return isatty(STDOUT_FILENO) != 0 && isatty(STDERR_FILENO) != 0
    }

    static func status(_ o: Interpreter.Outcome) -> Int32 {
        switch o {
        case .ok, .quit: return ExitStatus.ok
        case .syntaxError: return ExitStatus.syntax
        case .runtimeError: return ExitStatus.runtime
        }
    }

    func main(files: [String], code: [String], interactive: Bool) -> Int32 {
        for path in files {
            // Running a script takes about 40 bytes of memory for each byte of it (its
            // expressions, nodes and tapes): mapped in ahead, on another processor, from
            // before the file is read. At most 64 MB, which stay with the process whether
            // the script needs them or not (a file of comments does not); none for a
            // file too large to run.
            var status = stat()
            if stat(path, &status) == 0, status.st_size > 0, status.st_size <= Files.maxBytes {
                graphrepl_prefault(Swift.min(Int(status.st_size) * 40, 64 << 20))
            }
            let bytes: [UInt8]
            do {
                bytes = try Files.read(path)
            } catch let e as EvalError {
                interpreter.writeError("graphrepl: \(e.message)\n")
                return ExitStatus.noInput
            } catch {
                return ExitStatus.noInput
            }
            let o = (try? interpreter.running(path) { interpreter.run(SourceFile(name: path, bytes: bytes)) }) ?? .runtimeError
            if o == .quit { return ExitStatus.ok }
            if o != .ok { return Driver.status(o) }
        }
        for (i, c) in code.enumerated() {
            let o = interpreter.run(SourceFile(name: code.count > 1 ? "-e#\(i + 1)" : "-e", text: c))
            if o == .quit { return ExitStatus.ok }
            if o != .ok { return Driver.status(o) }
        }
        let stdinIsTerminal = isatty(STDIN_FILENO) != 0
        if interactive || (files.isEmpty && code.isEmpty) {
            if stdinIsTerminal {
                installInterruptHandler()
                Completion.source = { [weak self] in self?.completionWords() ?? [] }
                guard cedit_load() != 0 else {
                    // No libedit on the machine: lines as typed, without editing or history.
                    interpreter.writeError("graphrepl: line editing is not available (libedit cannot be loaded)\n")
                    return repl(reader: PlainLineReader(showPrompt: true), banner: true)
                }
                return repl(reader: EditLineReader(historyPath: Driver.historyPath()), banner: true)
            }
            if interactive {
                return repl(reader: PlainLineReader(showPrompt: false), banner: false)
            }
            let data = FileHandle.standardInput.readDataToEndOfFile()
            // As for a file (`Files.maxBytes`): sources stay far below the 2 GB a span holds.
            guard data.count <= Files.maxBytes else {
                StandardOutput.writeError(
                    "graphrepl: the script on standard input is larger than \(Files.maxBytes / 1024 / 1024) MB\n")
                return ExitStatus.usage
            }
            return Driver.status(interpreter.run(SourceFile(name: "<stdin>", bytes: [UInt8](data))))
        }
        return ExitStatus.ok
    }

    /// Ctrl-C raises `Interrupt.requested`. Without SA_RESTART, so that a read waiting
    /// in libedit returns and the line being typed is abandoned.
    func installInterruptHandler() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Interrupt.requested = 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    /// Words Tab can complete outside commands: definitions, functions, `wrt`, `with`.
    func completionWords() -> [String] {
        interpreter.session.order + Builtins.all.map(\.name) + ["wrt", "with", "print", "assert", "fn"]
    }

    /// The history file: $XDG_STATE_HOME/graphrepl/history, else ~/.local/state/graphrepl/history.
    static func historyPath() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let h = env["GRAPHREPL_HISTORY"] { return h.isEmpty ? nil : h }
        let base: String
        if let x = env["XDG_STATE_HOME"], !x.isEmpty {
            base = x
        } else if let home = env["HOME"], !home.isEmpty {
            base = home + "/.local/state"
        } else {
            return nil
        }
        let dir = base + "/graphrepl"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/history"
    }

    /// Whether an entry ends inside an open bracket with nothing wrong before its end, so
    /// the next line continues it.
    static func needsMoreLines(_ text: String) -> Bool {
        parseEntry(SourceFile(name: "", text: text)) == nil
    }

    /// An entry parsed, or nil when it ends inside an open bracket with nothing wrong
    /// before its end (the next line continues it). Each entry is parsed once: what
    /// this returns is what runs.
    static func parseEntry(_ source: SourceFile) -> (Program, [Diagnostic])? {
        let (program, diagnostics, incomplete) = Parser.parse(source)
        guard incomplete, source.bytes.count < 1_000_000 else { return (program, diagnostics) }
        let end = source.bytes.count
        if diagnostics.allSatisfy({ ($0.span?.start ?? end) >= end - 1 }) { return nil }
        return (program, diagnostics)
    }

    /// The interactive loop: read a statement (more lines while a bracket is open), run
    /// it, repeat until end of input or `:quit`. Errors never end the loop.
    func repl(reader: LineReader, banner: Bool) -> Int32 {
        if banner {
            interpreter.write("graphrepl \(GraphREPL.version) — type :help for help, Ctrl-D to leave\n")
        }
        var entry = 0
        while true {
            var text = ""
            var prompt = ">>> "
            var parsed: (Program, [Diagnostic])?
            while true {
                Interrupt.clear()
                guard let line = reader.readLine(prompt: prompt) else {
                    if Interrupt.isRequested {
                        // Ctrl-C at the prompt: abandon the line, keep the session.
                        interpreter.write("\n")
                        text = ""
                        break
                    }
                    if banner { interpreter.write("\n") }
                    return ExitStatus.ok
                }
                // A line libedit returned is the user's to run, even if a Ctrl-C came
                // while libedit was not waiting in read() (it then reads on).
                Interrupt.clear()
                text += (text.isEmpty ? "" : "\n") + line
                parsed = Driver.parseEntry(SourceFile(name: "<input>", text: text))
                if parsed == nil {
                    prompt = "... "
                    continue
                }
                break
            }
            guard let (program, diagnostics) = parsed, !text.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            reader.addHistory(text)
            entry += 1
            Interrupt.clear()
            let o = interpreter.run(program, diagnostics: diagnostics, stopAtFirstError: true)
            if o == .quit { return ExitStatus.ok }
        }
    }
}
