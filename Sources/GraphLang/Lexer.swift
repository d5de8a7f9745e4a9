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
    public private(set) var diagnostics: [Diagnostic] = []
    /// The kind of the last string or command token `lex` read: their text is not simply
    /// the token's span.
    var payload: Token.Kind = .eof

    /// With `commands` false (a command's own arguments), a `:` never starts a command.
    public init(source: SourceFile, range: Range<Int>? = nil, commands: Bool = true) {
        self.source = source
        self.bytes = source.bytes
        self.end = Swift.min(range?.upperBound ?? source.bytes.count, source.bytes.count)
        self.pos = Swift.min(range?.lowerBound ?? 0, end)
        self.atStatementStart = commands
    }

    /// Every token up to and including `.eof`.
    public mutating func tokenize() -> [Token] {
        var out: [Token] = []
        while true {
            let t = next()
            out.append(t)
            if t.kind == .eof { return out }
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
        let l = nextLexeme()
        return Token(kind: kind(of: l), span: l.span)
    }

    /// The next token as a tag, a span and, for a number, its value: what the parser
    /// reads, with no text made for it (a name's text is its span's; a string's and a
    /// command's are in `payload`).
    mutating func nextLexeme() -> Lexeme {
        let l = lex()
        atStatementStart = l.tag == Token.Kind.newline.tag || l.tag == Token.Kind.semicolon.tag
        return l
    }

    /// The kind of a token `nextLexeme` just read.
    func kind(of l: Lexeme) -> Token.Kind {
        switch l.tag {
        case Token.Kind.number(0).tag: return .number(l.number)
        case Token.Kind.identifier("").tag: return .identifier(String(decoding: bytes[l.span.start..<l.span.end], as: UTF8.self))
        case Token.Kind.string("").tag, Token.Kind.command(name: "", args: "", argsStart: 0).tag: return payload
        default: return Token.Kind.withoutPayload[Int(l.tag)]
        }
    }

    mutating func lex() -> Lexeme {
        while true {
            // Skip blanks and comments (read in place: every index is below `end`, which
            // is at most the count).
            pos = bytes.withUnsafeBufferPointer { b in
                var p = pos
                while p < end {
                    let c = b[p]
                    if c == 32 || c == 9 || c == 13 {
                        p += 1
                    } else if c == UInt8(ascii: "#") {
                        while p < end, b[p] != 10 { p += 1 }
                    } else if c == UInt8(ascii: "\\"), p + 1 < end, b[p + 1] == 10 {
                        p += 2  // explicit continuation
                    } else {
                        break
                    }
                }
                return p
            }
            guard pos < end else { return Lexeme(.eof, Span(end, end)) }
            let start = pos
            let c = bytes[pos]
            if c == 10 {
                pos += 1
                if depth > 0 { continue }
                return Lexeme(.newline, Span(start, start + 1))
            }
            if c == UInt8(ascii: ":"), atStatementStart, depth == 0 { return lexCommand() }
            if Lexer.isDigit(c) || (c == UInt8(ascii: ".") && Lexer.isDigit(peek(1))) {
                return scanNumber()
            }
            if Lexer.isIdentStart(c) {
                pos = bytes.withUnsafeBufferPointer { b in
                    var p = start + 1
                    while p < end, Lexer.isIdentStart(b[p]) || Lexer.isDigit(b[p]) { p += 1 }
                    return p
                }
                return Lexeme(Token.Kind.identifier("").tag, Span(start, pos))
            }
            if c == UInt8(ascii: "\"") { return scanString() }
            pos += 1
            func tok(_ k: Token.Kind, _ len: Int = 1) -> Lexeme {
                pos = start + len
                return Lexeme(k.tag, Span(start, start + len))
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
            unexpected(c, at: start)
        }
    }

    /// An unknown byte at `start`: report it (its whole UTF-8 sequence) and step past.
    /// Out of `lex`, whose every token would otherwise pay for this path's frame.
    @inline(never)
    mutating func unexpected(_ c: UInt8, at start: Int) {
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

    /// A command from the `:` at `pos`, its name and arguments kept in `payload`. Out of
    /// `lex`, whose every token would otherwise pay for this path's frame.
    @inline(never)
    mutating func lexCommand() -> Lexeme {
        let t = scanCommand()
        payload = t.kind
        return Lexeme(t.kind.tag, t.span)
    }

    /// A string literal from the `"` at `pos`, its text kept in `payload`. Out of `lex`,
    /// whose every token would otherwise pay for this path's frame.
    @inline(never)
    mutating func scanString() -> Lexeme {
        let start = pos
        pos += 1
        while pos < end, bytes[pos] != UInt8(ascii: "\""), bytes[pos] != 10 { pos += 1 }
        if pos < end, bytes[pos] == UInt8(ascii: "\"") {
            pos += 1
            payload = .string(source.text(Span(start + 1, pos - 1)))
            return Lexeme(payload.tag, Span(start, pos))
        }
        error("unterminated string", Span(start, pos), notes: ["hint: close it with '\"' on the same line"])
        payload = .string(source.text(Span(start + 1, pos)))
        return Lexeme(payload.tag, Span(start, pos))
    }

    mutating func scanNumber() -> Lexeme {
        let start = pos
        // The digits as read (`m`, the point's place in `scale`), for a short number
        // without exponent: most numbers in a script, such as 0.001.
        var m: UInt64 = 0
        var digits = 0
        var scale = 0
        // Read in place (no bounds check a byte: every index is below `end`, which is
        // at most the count).
        pos = bytes.withUnsafeBufferPointer { b in
            var p = start
            while p < end, b[p] &- 48 < 10 {
                m = m &* 10 &+ UInt64(b[p] &- 48)
                p += 1
            }
            digits = p - start
            if p < end, b[p] == UInt8(ascii: "."), !(p + 1 < end && Lexer.isIdentStart(b[p + 1])) {
                p += 1
                let fraction = p
                while p < end, b[p] &- 48 < 10 {
                    m = m &* 10 &+ UInt64(b[p] &- 48)
                    p += 1
                }
                scale = fraction - p
                digits += p - fraction
            }
            return p
        }
        var exponent = false
        if pos < end, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            var k = pos + 1
            if k < end, bytes[k] == UInt8(ascii: "+") || bytes[k] == UInt8(ascii: "-") { k += 1 }
            if k < end, Lexer.isDigit(bytes[k]) {
                pos = k
                exponent = true
                while pos < end, Lexer.isDigit(bytes[pos]) { pos += 1 }
            }
        }
        let value: Double
        if !exponent, digits <= 15, scale >= -22 {
            // At most 15 digits: m < 2^53 and 10^-scale are exact doubles, and one
            // division rounds once, as `DecimalReader` (Clinger's fast path) does.
            value = scale == 0 ? Double(m) : Double(m) / DecimalReader.exactPowersOfTen[-scale]
        } else {
            value = DecimalReader.read(bytes, start, pos) ?? Double(source.text(Span(start, pos))) ?? .nan
        }
        return Lexeme(Token.Kind.number(0).tag, Span(start, pos), number: value)
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

/// A token as the parser reads it: its `Token.Kind.tag`, its span and, for a number,
/// its value. Nothing in it is counted by reference, so arrays of them are cheap to
/// fill and to read.
struct Lexeme {
    var tag: UInt8
    var span: Span
    var number: Double = 0

    init(_ tag: UInt8, _ span: Span, number: Double = 0) {
        self.tag = tag
        self.span = span
        self.number = number
    }

    init(_ kind: Token.Kind, _ span: Span) {
        self.init(kind.tag, span)
    }
}
