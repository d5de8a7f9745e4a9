import CEdit
import Foundation

/// Where the REPL gets its lines: libedit on a terminal, plain reads otherwise, or a
/// script in tests.
protocol LineReader: AnyObject {
    /// The next line without its newline; nil at end of input (Ctrl-D).
    func readLine(prompt: String) -> String?
    func addHistory(_ line: String)
}

/// Lines from standard input with no editing (pipes, tests of the binary).
final class PlainLineReader: LineReader {
    let showPrompt: Bool
    init(showPrompt: Bool) { self.showPrompt = showPrompt }
    func readLine(prompt: String) -> String? {
        if showPrompt {
            FileHandle.standardOutput.write(Data(prompt.utf8))
        }
        return Swift.readLine(strippingNewline: true)
    }
    func addHistory(_ line: String) {}
}

/// Lines given in advance, for testing the loop without a terminal.
final class ScriptedLineReader: LineReader {
    var lines: [String]
    var prompts: [String] = []
    init(_ lines: [String]) { self.lines = lines }
    func readLine(prompt: String) -> String? {
        prompts.append(prompt)
        return lines.isEmpty ? nil : lines.removeFirst()
    }
    func addHistory(_ line: String) {}
}

/// libedit's readline, with history kept in a file. Made only after `cedit_load()`
/// returned 1.
final class EditLineReader: LineReader {
    let historyPath: String?
    static let historyLimit: Int32 = 2000

    init(historyPath: String?) {
        self.historyPath = historyPath
        setlocale(LC_CTYPE, "")
        cedit_set_name("graphrepl")
        cedit_set_catch_signals(0)
        Completion.install()
        cedit_using_history()
        cedit_stifle_history(EditLineReader.historyLimit)
        if let historyPath, FileManager.default.fileExists(atPath: historyPath) {
            if cedit_read_history(historyPath) != 0 {
                FileHandle.standardError.write(Data("warning: cannot read history from \(historyPath)\n".utf8))
            }
        }
    }

    func readLine(prompt: String) -> String? {
        guard let p = cedit_readline(prompt) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// Set after the first failure to save, so the warning is given once.
    var historyUnwritable = false

    func addHistory(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        cedit_add_history(line)
        if let historyPath, !historyUnwritable, cedit_write_history(historyPath) != 0 {
            historyUnwritable = true
            FileHandle.standardError.write(
                Data("warning: cannot save history to \(historyPath); this session's lines will not be kept\n".utf8))
        }
    }
}

/// One key from a terminal, without waiting for Enter: the terminal is put in
/// non-canonical mode for that read and restored after. Nil at end of input.
func readKey() -> String? {
    var saved = termios()
    guard tcgetattr(STDIN_FILENO, &saved) == 0 else { return Swift.readLine() }
    var raw = saved
    raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
    withUnsafeMutableBytes(of: &raw.c_cc) { cc in
        cc[Int(VMIN)] = 1
        cc[Int(VTIME)] = 0
    }
    tcsetattr(STDIN_FILENO, TCSANOW, &raw)
    defer { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
    var byte: UInt8 = 0
    guard read(STDIN_FILENO, &byte, 1) == 1 else { return nil }
    return String(UnicodeScalar(byte))
}
