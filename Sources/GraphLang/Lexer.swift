/// Turns source bytes into tokens. Newlines inside open brackets are skipped, so a line
/// whose brackets are still open continues on the next one.
public struct Lexer {
    let source: SourceFile
    let bytes: [UInt8]
    var pos: Int
    let end: Int
    /// Open `(` and `[` not yet closed.
    public private(set) var depth = 0
    var atStatementStart = true
    var lastKind: Token.Kind = .newline
    public private(set) var diagnostics: [Diagnostic] = []

    /// With `commands` false (a command's own arguments), a `:` never starts a command.
    public init(source: SourceFile, range: Range<Int>? = nil, commands: Bool = true) {
        self.source = source
        self.bytes = source.bytes
        self.end = Swift.min(range?.upperBound ?? source.bytes.count, source.bytes.count)
        self.pos = Swift.min(range?.lowerBound ?? 0, end)
        self.atStatementStart = commands
    }

    /// Every token up to and including `.eof`.
    public mutating func tokenize() -> [Token] { tokenizeWithTags().tokens }

    /// Every token up to and including `.eof`, and each one's `Token.Kind.tag`.
    public mutating func tokenizeWithTags() -> (tokens: [Token], tags: [UInt8]) {
        var out: [Token] = []
        var tags: [UInt8] = []
        let eof = Token.Kind.eof.tag
        while true {
            let t = next()
            let tag = t.kind.tag
            out.append(t)
            tags.append(tag)
            if tag == eof { return (out, tags) }
        }
    }

    mutating func error(_ message: String, _ span: Span, notes: [String] = []) {
        diagnostics.append(Diagnostic(.error, message, source: source, span: span, notes: notes))
    }

    func peek(_ k: Int = 0) -> UInt8 { pos + k < end ? bytes[pos + k] : 0 }

    static func isIdentStart(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95
    }
    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    public mutating func next() -> Token {
        let t = scan()
        atStatementStart = (t.kind == .newline || t.kind == .semicolon)
        lastKind = t.kind
        return t
    }

    mutating func scan() -> Token {
        while true {
            // Skip blanks and comments.
            while pos < end {
                let c = bytes[pos]
                if c == 32 || c == 9 || c == 13 {
                    pos += 1
                } else if c == UInt8(ascii: "#") {
                    while pos < end, bytes[pos] != 10 { pos += 1 }
                } else if c == UInt8(ascii: "\\"), peek(1) == 10 {
                    pos += 2  // explicit continuation
                } else {
                    break
                }
            }
            guard pos < end else { return Token(kind: .eof, span: Span(end, end)) }
            let start = pos
            let c = bytes[pos]
            if c == 10 {
                pos += 1
                if depth > 0 { continue }
                return Token(kind: .newline, span: Span(start, start + 1))
            }
            if c == UInt8(ascii: ":"), atStatementStart, depth == 0 {
                return scanCommand()
            }
            if Lexer.isDigit(c) || (c == UInt8(ascii: ".") && Lexer.isDigit(peek(1))) {
                return scanNumber()
            }
            if Lexer.isIdentStart(c) {
                while pos < end, Lexer.isIdentStart(bytes[pos]) || Lexer.isDigit(bytes[pos]) { pos += 1 }
                return Token(kind: .identifier(source.text(Span(start, pos))), span: Span(start, pos))
            }
            if c == UInt8(ascii: "\"") {
                pos += 1
                while pos < end, bytes[pos] != UInt8(ascii: "\""), bytes[pos] != 10 { pos += 1 }
                if pos < end, bytes[pos] == UInt8(ascii: "\"") {
                    pos += 1
                    return Token(kind: .string(source.text(Span(start + 1, pos - 1))), span: Span(start, pos))
                }
                error("unterminated string", Span(start, pos), notes: ["hint: close it with '\"' on the same line"])
                return Token(kind: .string(source.text(Span(start + 1, pos))), span: Span(start, pos))
            }
            pos += 1
            func tok(_ k: Token.Kind, _ len: Int = 1) -> Token {
                pos = start + len
                return Token(kind: k, span: Span(start, start + len))
            }
            switch c {
            case UInt8(ascii: "("): depth += 1; return tok(.leftParen)
            case UInt8(ascii: "["): depth += 1; return tok(.leftBracket)
            case UInt8(ascii: ")"): depth = Swift.max(0, depth - 1); return tok(.rightParen)
            case UInt8(ascii: "]"): depth = Swift.max(0, depth - 1); return tok(.rightBracket)
            case UInt8(ascii: ","): return tok(.comma)
            case UInt8(ascii: ";"): return tok(.semicolon)
            case UInt8(ascii: "+"): return tok(.plus)
            case UInt8(ascii: "-"): return tok(.minus)
            case UInt8(ascii: "*"): return tok(.star)
            case UInt8(ascii: "/"): return tok(.slash)
            case UInt8(ascii: "@"): return tok(.at)
            case UInt8(ascii: "^"): return tok(.caret)
            case UInt8(ascii: "'"): return tok(.quote)
            case UInt8(ascii: "="): return peek() == UInt8(ascii: "=") ? tok(.equalEqual, 2) : tok(.equal)
            case UInt8(ascii: ":"): return peek() == UInt8(ascii: "=") ? tok(.colonEqual, 2) : tok(.colon)
            case UInt8(ascii: "!"):
                if peek() == UInt8(ascii: "=") { return tok(.bangEqual, 2) }
            case UInt8(ascii: "~"):
                if peek() == UInt8(ascii: "=") { return tok(.tildeEqual, 2) }
            case UInt8(ascii: "<"): return peek() == UInt8(ascii: "=") ? tok(.lessEqual, 2) : tok(.less)
            case UInt8(ascii: ">"): return peek() == UInt8(ascii: "=") ? tok(.greaterEqual, 2) : tok(.greater)
            default: break
            }
            // Unknown byte: report it (whole UTF-8 sequence) and go on.
            var e = start + 1
            if c >= 0x80 { while e < end, bytes[e] & 0xC0 == 0x80 { e += 1 } }
            var shown: String
            if c == 0 {
                shown = "NUL byte"
            } else if c >= 0x80 {
                let s = source.text(Span(start, e))
                if s.contains("\u{FFFD}") {
                    // One error for a whole run of bytes that are not UTF-8.
                    while e < end, bytes[e] >= 0x80 { e += 1 }
                    shown = "bytes: not valid UTF-8"
                } else {
                    shown = "character '\(s)'"
                }
            } else {
                shown = "character '\(source.text(Span(start, e)))'"
            }
            pos = e
            var notes: [String] = []
            if c == UInt8(ascii: "!") { notes = ["hint: '!=' means not equal"] }
            if c == UInt8(ascii: "~") { notes = ["hint: '~=' means approximately equal"] }
            if source.text(Span(start, e)) == "×" || source.text(Span(start, e)) == "·" {
                notes = ["hint: write '*' for a product"]
            }
            error("unexpected \(shown)", Span(start, e), notes: notes)
        }
    }

    mutating func scanNumber() -> Token {
        let start = pos
        while pos < end, Lexer.isDigit(bytes[pos]) { pos += 1 }
        if pos < end, bytes[pos] == UInt8(ascii: "."), !(Lexer.isIdentStart(peek(1))) {
            pos += 1
            while pos < end, Lexer.isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < end, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            var k = pos + 1
            if k < end, bytes[k] == UInt8(ascii: "+") || bytes[k] == UInt8(ascii: "-") { k += 1 }
            if k < end, Lexer.isDigit(bytes[k]) {
                pos = k
                while pos < end, Lexer.isDigit(bytes[pos]) { pos += 1 }
            }
        }
        let value = DecimalReader.read(bytes, start, pos) ?? Double(source.text(Span(start, pos))) ?? .nan
        return Token(kind: .number(value), span: Span(start, pos))
    }

    /// `:name args…` up to `;` or the end of the line, outside brackets and strings.
    /// `:repeat` takes the rest of the line, `;` included: the statements it repeats.
    mutating func scanCommand() -> Token {
        let start = pos
        pos += 1
        let nameStart = pos
        while pos < end, Lexer.isIdentStart(bytes[pos]) || Lexer.isDigit(bytes[pos]) { pos += 1 }
        let name = source.text(Span(nameStart, pos))
        let wholeLine = name == "repeat"
        let argsStart = pos
        var d = 0
        var inString = false
        while pos < end {
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") { inString.toggle() }
            if !inString {
                if c == UInt8(ascii: "(") || c == UInt8(ascii: "[") { d += 1 }
                if c == UInt8(ascii: ")") || c == UInt8(ascii: "]") { d = Swift.max(0, d - 1) }
                if c == UInt8(ascii: "#") && d == 0 { break }
                if (c == 10 || (c == UInt8(ascii: ";") && !wholeLine)) && d == 0 { break }
            }
            pos += 1
        }
        var argsEnd = pos
        if pos < end, bytes[pos] == UInt8(ascii: "#") {
            while pos < end, bytes[pos] != 10 { pos += 1 }
        }
        while argsEnd > argsStart, bytes[argsEnd - 1] == 32 || bytes[argsEnd - 1] == 9 || bytes[argsEnd - 1] == 13 {
            argsEnd -= 1
        }
        var argsBegin = argsStart
        while argsBegin < argsEnd, bytes[argsBegin] == 32 || bytes[argsBegin] == 9 { argsBegin += 1 }
        if d > 0 { depth = 0 }
        return Token(
            kind: .command(name: name, args: source.text(Span(argsBegin, argsEnd)), argsStart: argsBegin),
            span: Span(start, argsEnd))
    }
}
