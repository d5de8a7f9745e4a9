/// A problem found in the user's input, as a value; rendering is separate.
public struct Diagnostic: Error, Sendable {
    public enum Severity: String, Sendable { case error, warning, note }

    public var severity: Severity
    /// One line, lowercase, in the lecture's notation.
    public var message: String
    public var source: SourceFile?
    public var span: Span?
    /// Extra lines shown after the caret: hints such as "did you mean 'softmax'?".
    public var notes: [String]

    public init(
        _ severity: Severity = .error, _ message: String, source: SourceFile? = nil, span: Span? = nil,
        notes: [String] = []
    ) {
        self.severity = severity
        self.message = message
        self.source = source
        self.span = span
        self.notes = notes
    }

    /// `file:line:col: error: message`, then the source line with carets, then notes.
    public func rendered(color: Bool = false) -> String {
        let label: String
        switch severity {
        case .error: label = color ? "\u{1B}[1;31merror:\u{1B}[0m" : "error:"
        case .warning: label = color ? "\u{1B}[1;35mwarning:\u{1B}[0m" : "warning:"
        case .note: label = color ? "\u{1B}[1;36mnote:\u{1B}[0m" : "note:"
        }
        var out = ""
        if let source, let span {
            let (line, col) = source.location(of: span.start)
            out += "\(source.name):\(line):\(col): \(label) \(message)\n"
            let text = source.lineText(line)
            let (endLine, endCol) = source.location(of: span.end)
            let width = endLine == line ? Swift.max(1, endCol - col) : Swift.max(1, text.count - col + 1)
            out += "  \(text)\n"
            let caret = String(repeating: " ", count: col - 1) + "^" + String(repeating: "~", count: width - 1)
            out += "  " + (color ? "\u{1B}[1;32m\(caret)\u{1B}[0m" : caret) + "\n"
        } else if let source {
            out += "\(source.name): \(label) \(message)\n"
        } else {
            out += "\(label) \(message)\n"
        }
        for note in notes { out += "  \(note)\n" }
        return out
    }

    /// The short form `file:line:col: error: message` alone.
    public var short: String {
        if let source, let span {
            let (line, col) = source.location(of: span.start)
            return "\(source.name):\(line):\(col): \(severity.rawValue): \(message)"
        }
        return "\(severity.rawValue): \(message)"
    }
}

/// Edit distance (Levenshtein), for "did you mean" hints.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased())
    let b = Array(b.lowercased())
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}

/// The closest candidate within a small edit distance, if any.
public func closest(to word: String, among candidates: some Sequence<String>) -> String? {
    var best: (String, Int)?
    let limit = Swift.max(1, Swift.min(3, word.count / 3 + 1))
    for c in candidates where c != word {
        let d = editDistance(word, c)
        guard d <= limit else { continue }
        if let b = best, d > b.1 || (d == b.1 && c >= b.0) { continue }
        best = (c, d)
    }
    return best?.0
}

/// "did you mean 'x'?" when a close candidate exists.
public func didYouMean(_ word: String, among candidates: some Sequence<String>) -> [String] {
    if let c = closest(to: word, among: candidates) { return ["hint: did you mean '\(c)'?"] }
    return []
}
