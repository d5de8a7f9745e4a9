import CEdit
import Engine
import Foundation

/// Tab completion for libedit: commands after `:`, names and functions elsewhere, file
/// paths after `:load` and `:save`.
enum Completion {
    nonisolated(unsafe) static var source: () -> [String] = { [] }
    nonisolated(unsafe) static var candidates: [String] = []
    nonisolated(unsafe) static var index = 0

    static var commandWords: [String] { Commands.registry.map { ":" + $0.name } }

    /// The candidates for the word being completed, given the whole line.
    static func words(line: String, word: String, start: Int) -> [String]? {
        let trimmed = line.drop { $0 == " " }
        if trimmed.hasPrefix(":load ") || trimmed.hasPrefix(":save ") { return nil }  // file names
        if word.hasPrefix(":") && line.prefix(start).allSatisfy({ $0 == " " }) { return commandWords }
        return source()
    }

    static func install() {
        if cedit_bind_tab({ _, _ in Completion.complete() }) != 0 { installLibeditCompletion() }
    }

    /// Tab: a single match is inserted whole (a command, a finished name or a folder
    /// gets what naturally follows: a space, or '/'); several insert what they share and
    /// are listed under the line when there is nothing more to insert. Never the bell.
    static func complete() -> Int32 {
        let buffer = String(cString: cedit_line_buffer())
        let point = Int(cedit_point())
        let bytes = Array(buffer.utf8)
        let line = String(decoding: bytes.prefix(min(point, bytes.count)), as: UTF8.self)
        let breaks: Set<Character> = [" ", "\t", "(", ")", "[", "]", ",", "+", "-", "*", "/", "^", "=", "@", "'", ";"]
        let fileMode = words(line: line, word: "", start: 0) == nil
        var word = ""
        for c in line.reversed() {
            if fileMode ? c == " " : breaks.contains(c) { break }
            word.insert(c, at: word.startIndex)
        }
        let start = line.count - word.count
        let matches: [String]
        if fileMode {
            matches = fileNames(word)
        } else {
            matches = Array(Set((words(line: line, word: word, start: start) ?? []).filter { $0.hasPrefix(word) })).sorted()
        }
        guard let first = matches.first else { return 0 }
        if matches.count == 1 {
            var rest = String(first.dropFirst(word.count))
            if first.hasPrefix(":") || (fileMode && !first.hasSuffix("/")) { rest += " " }
            if !rest.isEmpty { insert(rest) }
            return 0
        }
        let shared = matches.dropFirst().reduce(first) { a, b in String(zip(a, b).prefix { $0 == $1 }.map(\.0)) }
        if shared.count > word.count {
            insert(String(shared.dropFirst(word.count)))
            return 0
        }
        // Nothing more to insert: list them under the line, then redraw it.
        let shown =
            fileMode ? matches.map { URL(fileURLWithPath: $0).lastPathComponent + ($0.hasSuffix("/") ? "/" : "") } : matches
        FileHandle.standardOutput.write(Data(("\n" + Commands.wrap("", shown.joined(separator: "  "))).utf8))
        cedit_on_new_line()
        cedit_forced_update_display()
        return 0
    }

    /// Text inserted at the cursor, and the line drawn again (from its start: libedit
    /// does not show what a bound function inserts by itself).
    static func insert(_ text: String) {
        cedit_insert_text(text)
        FileHandle.standardOutput.write(Data("\r".utf8))
        cedit_on_new_line()
        cedit_forced_update_display()
    }

    /// Files and folders (with '/') whose path starts with `prefix`.
    static func fileNames(_ prefix: String) -> [String] {
        let dir = prefix.contains("/") ? String(prefix[...prefix.lastIndex(of: "/")!]) : ""
        let stem = String(prefix.dropFirst(dir.count))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir)) ?? []
        return names.filter { $0.hasPrefix(stem) && (!$0.hasPrefix(".") || stem.hasPrefix(".")) }.sorted().map { name in
            var isDir: ObjCBool = false
            let path = dir + name
            FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            return isDir.boolValue ? path + "/" : path
        }
    }

    /// libedit's own completion, where a function cannot be bound to Tab.
    static func installLibeditCompletion() {
        cedit_set_completer { text, start, _ in
            guard let text else { return nil }
            let word = String(cString: text)
            let line = String(cString: cedit_line_buffer())
            guard let words = Completion.words(line: line, word: word, start: Int(start)) else { return nil }
            cedit_no_default_completion()
            // No space after a completion: a function wants '(' next, a name maybe '['.
            cedit_set_append_character(0)
            Completion.candidates = Array(Set(words.filter { $0.hasPrefix(word) })).sorted()
            Completion.index = 0
            return cedit_completion_matches(text) { _, state in
                if state == 0 { Completion.index = 0 }
                guard Completion.index < Completion.candidates.count else { return nil }
                defer { Completion.index += 1 }
                return strdup(Completion.candidates[Completion.index])
            }
        }
    }
}
