import CEdit
import Engine
import Foundation

/// Tab completion for libedit: commands after `:`, names and functions elsewhere, file
/// paths after `:load` and `:save` (libedit's own filename completion).
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
            return rl_completion_matches(text) { _, state in
                if state == 0 { Completion.index = 0 }
                guard Completion.index < Completion.candidates.count else { return nil }
                defer { Completion.index += 1 }
                return strdup(Completion.candidates[Completion.index])
            }
        }
    }
}
