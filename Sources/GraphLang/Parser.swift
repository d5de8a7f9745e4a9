/// A Pratt parser for the graphrepl language. The left-associative levels loop, so a
/// 300 000-term sum uses no stack; prefix forms and brackets recurse, and their depth is
/// capped (`maxNesting`) with a clean error instead of a stack overflow.
public struct Parser {
    public static let maxNesting = 256

    let source: SourceFile
    let bytes: [UInt8]
    /// The tokens are read as the parser goes, into a window of four by position (it
    /// looks one back and one ahead): each one's `Token.Kind.tag`, span, value if it is a
    /// number, and kind if it is a string or a command. A name's text is made from its
    /// span only where an expression or a statement keeps it. No array of every token:
    /// for a long script those were megabytes written once and read once.
    var lexer: Lexer
    let window = Window()
    var payloads = [Token.Kind](repeating: .eof, count: 4)
    var index = 0
    var nodes: [ExprNode] = []
    var depth = 0
    /// The parser's own errors (the lexer's come before them).
    var parseDiagnostics: [Diagnostic] = []
    /// The lexer's errors, then the parser's: all of them once the input is read.
    public var diagnostics: [Diagnostic] { lexer.diagnostics + parseDiagnostics }
    /// True when the input ended inside an open bracket: more lines may complete it.
    public var endedInsideBracket: Bool { lexer.depth > 0 }

    public init(source: SourceFile, range: Range<Int>? = nil) {
        self.source = source
        self.bytes = source.bytes
        lexer = Lexer(source: source, range: range)
        read(0)
        read(1)
        // Room for the expression nodes at once, rather than arrays copied at each
        // doubling (and the memory of each left behind): about one in four bytes.
        nodes.reserveCapacity(Swift.min(source.bytes.count, range?.count ?? source.bytes.count) / 4 + 2)
    }

    /// Read token `i` (the one after the last read) into the window. Past the end the
    /// lexer gives end of input again.
    mutating func read(_ i: Int) {
        let l = lexer.nextLexeme()
        window.lexemes[i & 3] = l
        if l.tag == Tag.string || l.tag == Tag.command { payloads[i & 3] = lexer.payload }
    }

    /// Token `i`'s parts; `i` is within one of the current token.
    @inline(__always) func tag(_ i: Int) -> UInt8 { window.lexemes[i & 3].tag }
    @inline(__always) func span(_ i: Int) -> Span { window.lexemes[i & 3].span }

    /// How many units `parse` has read in this process: lets tests show that the session
    /// parses each entry once.
    nonisolated(unsafe) public static var unitsParsed = 0

    /// Parse a whole unit of statements.
    public static func parse(_ source: SourceFile) -> (Program, [Diagnostic], incomplete: Bool) {
        unitsParsed += 1
        var p = Parser(source: source)
        let stmts = p.parseStatements()
        return (Program(source: source, nodes: p.nodes, statements: stmts), p.diagnostics, p.endedInsideBracket)
    }

    /// Parse the statements filling `range` of the source (what `:repeat` repeats).
    public static func parse(_ source: SourceFile, range: Range<Int>) -> (Program, [Diagnostic]) {
        var p = Parser(source: source, range: range)
        let stmts = p.parseStatements()
        return (Program(source: source, nodes: p.nodes, statements: stmts), p.diagnostics)
    }

    /// Parse one expression filling `range` of the source (a command's argument).
    public static func parseExpression(_ source: SourceFile, range: Range<Int>) -> Result<(Program, ExprID), Diagnostic> {
        // A lexer's error anywhere in the range comes first, before any parsing.
        var check = Lexer(source: source, range: range)
        while check.nextLexeme().tag != Token.Kind.eof.tag {}
        if let d = check.diagnostics.first { return .failure(d) }
        var p = Parser(source: source, range: range)
        do {
            let e = try p.expression()
            if !p.check(.eof) {
                throw p.error("unexpected \(p.current.kind.describe) after the expression", p.currentSpan)
            }
            return .success((Program(source: source, nodes: p.nodes, statements: []), e))
        } catch let d as Diagnostic {
            return .failure(d)
        } catch {
            return .failure(Diagnostic(.error, "\(error)"))
        }
    }

    // MARK: - Tokens

    /// The window's four lexemes, in memory of its own: written at every token, where an
    /// array checked that it was not shared and that the index was in range.
    final class Window {
        let lexemes = UnsafeMutablePointer<Lexeme>.allocate(capacity: 4)
        init() { lexemes.initialize(repeating: Lexeme(Token.Kind.eof, Span(0, 0)), count: 4) }
        deinit { lexemes.deallocate() }
    }

    /// The tags of the kinds with a payload (`Token.Kind.tag`; a test checks they
    /// agree). Literals: a constant computed from the kinds would be a global made on
    /// first use, which every read checks.
    enum Tag {
        static let number: UInt8 = 0
        static let identifier: UInt8 = 1
        static let string: UInt8 = 2
        static let command: UInt8 = 3
    }

    /// The kind of token `i` (a name's text made now).
    func kind(_ i: Int) -> Token.Kind {
        switch tag(i) {
        case Tag.number: return .number(window.lexemes[i & 3].number)
        case Tag.identifier: return .identifier(text(i))
        case Tag.string, Tag.command: return payloads[i & 3]
        default: return Token.Kind.withoutPayload[Int(tag(i))]
        }
    }
    /// The text of token `i`.
    func text(_ i: Int) -> String { String(decoding: bytes[span(i).start..<span(i).end], as: UTF8.self) }
    /// Whether token `i` is the name `word` (compared byte by byte, no text made).
    @inline(__always)
    func isWord(_ i: Int, _ word: StaticString) -> Bool {
        let span = span(i)
        guard tag(i) == Tag.identifier, span.end - span.start == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for k in 0..<word.utf8CodeUnitCount where bytes[span.start + k] != w[k] { return false }
        return true
    }

    var current: Token { Token(kind: kind(index), span: span(index)) }
    var currentSpan: Span { span(index) }
    /// Whether the next token is of kind `k`, which has no payload (a comma, a bracket).
    func check(_ k: Token.Kind) -> Bool { tag(index) == k.tag }
    mutating func advance() {
        guard tag(index) != Token.Kind.eof.tag else { return }
        index += 1
        read(index + 1)
    }
    mutating func take() -> Token {
        let t = current
        advance()
        return t
    }
    /// Step past the current token, giving its span.
    mutating func skip() -> Span {
        let s = span(index)
        advance()
        return s
    }
    mutating func match(_ k: Token.Kind) -> Bool {
        if check(k) {
            advance()
            return true
        }
        return false
    }
    func error(_ message: String, _ span: Span, notes: [String] = []) -> Diagnostic {
        Diagnostic(.error, message, source: source, span: span, notes: notes)
    }
    @discardableResult
    mutating func expect(_ k: Token.Kind, _ message: String, notes: [String] = []) throws -> Token {
        if check(k) { return take() }
        var span = currentSpan
        if current.kind == .newline || current.kind == .eof || current.kind == .semicolon {
            span = Span(self.span(Swift.max(0, index - 1)).end, self.span(Swift.max(0, index - 1)).end + 1)
        }
        throw error(message + ", found \(current.kind.describe)", span, notes: notes)
    }
    mutating func add(_ kind: ExprKind, _ span: Span) -> ExprID {
        nodes.append(ExprNode(kind: kind, span: span))
        return nodes.count - 1
    }

    // MARK: - Statements

    mutating func parseStatements() -> [SpannedStatement] {
        var out: [SpannedStatement] = []
        // About a statement a line: room at once, not a copy at each doubling.
        out.reserveCapacity(Swift.min(source.lineStarts.count, (lexer.end - lexer.pos) / 2 + 1))
        while !check(.eof) {
            if match(.newline) || match(.semicolon) { continue }
            do {
                out.append(try statement())
                if !(check(.newline) || check(.semicolon) || check(.eof)) {
                    var notes: [String] = []
                    if case .identifier(let w) = current.kind, w == "wrt" || w == "with" {
                        notes = ["hint: '\(w)' belongs to a command, such as ':paths e wrt b'"]
                    }
                    throw error("unexpected \(current.kind.describe) after the statement", currentSpan, notes: notes)
                }
            } catch let d as Diagnostic {
                parseDiagnostics.append(d)
                // Skip to the next statement.
                while !(check(.newline) || check(.semicolon) || check(.eof)) { advance() }
            } catch {
                parseDiagnostics.append(self.error("\(error)", currentSpan))
            }
        }
        return out
    }

    mutating func statement() throws -> SpannedStatement {
        let start = currentSpan.start
        func done(_ s: Statement) -> SpannedStatement {
            SpannedStatement(statement: s, span: Span(start, span(Swift.max(0, index - 1)).end))
        }
        if tag(index) == Tag.command, case .command(let name, let args, let argsStart) = kind(index) {
            let span = skip()
            if name == "repeat" { checkRepeatedStatements(argsStart..<span.end) }
            return done(.command(name: name, args: args, argsStart: argsStart))
        }
        if tag(index) == Tag.identifier {
            let next = tag(index + 1)
            let equal = Token.Kind.equal.tag
            if isWord(index, "print"), next != equal {
                advance()
                var es = [try expression()]
                while match(.comma) { es.append(try expression()) }
                return done(.print(es))
            }
            if isWord(index, "assert"), next != equal {
                advance()
                return done(.assert(try expression()))
            }
            if isWord(index, "fn"), next == Tag.identifier {
                advance()
                let name = text(index)
                let nameSpan = skip()
                try expect(.leftParen, "expected '(' after 'fn \(name)'")
                var params: [String] = []
                if !check(.rightParen) {
                    repeat {
                        guard tag(index) == Tag.identifier else {
                            throw error("expected a parameter name, found \(kind(index).describe)", currentSpan)
                        }
                        let p = text(index)
                        if params.contains(p) { throw error("parameter '\(p)' appears twice", currentSpan) }
                        params.append(p)
                        advance()
                    } while match(.comma)
                }
                try expect(.rightParen, "expected ')' to close the parameters of '\(name)'")
                try expect(.equal, "expected '=' after 'fn \(name)(\(params.joined(separator: ", ")))'")
                let body = try expression()
                return done(.function(name: name, nameSpan: nameSpan, params: params, body: body))
            }
            if next == equal || next == Token.Kind.colonEqual.tag {
                let word = text(index)
                let nameSpan = skip()
                advance()
                if check(.newline) || check(.eof) || check(.semicolon) {
                    throw error(
                        "expected an expression after '\(word) \(next == equal ? "=" : ":=")'",
                        Span(currentSpan.start, currentSpan.start + 1))
                }
                let value = try expression()
                if next != equal { return done(.assign(name: word, nameSpan: nameSpan, value: value)) }
                return done(.define(name: word, nameSpan: nameSpan, value: value))
            }
        }
        let e = try expression()
        if check(.equal) {
            throw error(
                "only a name can be defined: the left side of '=' must be a name", nodes[e].span,
                notes: ["hint: to compare, write '=='"])
        }
        return done(.expression(e))
    }

    /// The statements `:repeat N …` repeats are parsed with the rest, so that a syntax
    /// error in them, as anywhere, runs nothing.
    mutating func checkRepeatedStatements(_ range: Range<Int>) {
        var lexer = Lexer(source: source, range: range, commands: false)
        _ = lexer.next()  // the count
        let body = lexer.next()
        guard body.kind != .eof else { return }
        guard Parser.repeatNesting < Parser.maxRepeatNesting else {
            parseDiagnostics.append(
                error("':repeat' nested more than \(Parser.maxRepeatNesting) deep", Span(range.lowerBound, range.upperBound)))
            return
        }
        Parser.repeatNesting += 1
        defer { Parser.repeatNesting -= 1 }
        let (_, ds) = Parser.parse(source, range: body.span.start..<range.upperBound)
        parseDiagnostics += ds
    }

    /// How deep `:repeat`s inside `:repeat`s are being parsed (each is a parser of its own).
    nonisolated(unsafe) static var repeatNesting = 0
    static let maxRepeatNesting = 16

    // MARK: - Expressions

    /// The operator and binding power (higher binds tighter) of a token tag that is an
    /// infix operator, nil for any other. A switch, not a table: a table is a global made
    /// on first use, which every read checks, three times a token.
    @inline(__always)
    static func infix(_ tag: UInt8) -> (BinaryOp, Int)? {
        switch tag {
        case Token.Kind.equalEqual.tag: return (.eq, 1)
        case Token.Kind.bangEqual.tag: return (.ne, 1)
        case Token.Kind.tildeEqual.tag: return (.approx, 1)
        case Token.Kind.less.tag: return (.lt, 1)
        case Token.Kind.lessEqual.tag: return (.le, 1)
        case Token.Kind.greater.tag: return (.gt, 1)
        case Token.Kind.greaterEqual.tag: return (.ge, 1)
        case Token.Kind.plus.tag: return (.add, 2)
        case Token.Kind.minus.tag: return (.sub, 2)
        case Token.Kind.star.tag: return (.mul, 3)
        case Token.Kind.slash.tag: return (.div, 3)
        case Token.Kind.at.tag: return (.matmul, 3)
        case Token.Kind.caret.tag: return (.pow, 5)
        default: return nil
        }
    }

    public mutating func expression() throws -> ExprID { try parse(0) }

    mutating func enter(_ span: Span) throws {
        depth += 1
        if depth > Parser.maxNesting {
            throw error(
                "expression nested too deeply (more than \(Parser.maxNesting) levels)", span,
                notes: ["hint: split it into named steps, such as 't = …' then 'u = f(t)'"])
        }
    }

    mutating func parse(_ minPower: Int) throws -> ExprID {
        try enter(currentSpan)
        defer { depth -= 1 }
        var left = try unary()
        while let (op, power) = Parser.infix(tag(index)), power > minPower {
            let opSpan = skip()
            if check(.newline) || check(.eof) || check(.semicolon) {
                throw error("expected an expression after '\(op.rawValue)'", opSpan)
            }
            // `^` is right-associative: its right side may hold another `^`.
            let binding = op == .pow ? power - 1 : power
            let right = try simpleOperand(binding: binding) ?? parse(binding)
            if power == 1, let (_, p2) = Parser.infix(tag(index)), p2 == 1 {
                throw error(
                    "comparisons do not chain", currentSpan,
                    notes: ["hint: write (a < b) * (b < c) for both"])
            }
            left = add(.binary(op, ExprRef(left), ExprRef(right)), nodes[left].span.merged(with: nodes[right].span))
        }
        return left
    }

    /// How tightly the right side of `^` binds: one less than `^` itself (5), as `^` is
    /// right-associative, so only another `^` continues an exponent.
    static let exponentBinding = 4

    /// Whether `simpleOperand` may stand in for the general path (tests compare both).
    nonisolated(unsafe) static var simpleOperands = true

    /// A number or a name standing alone as the right side of an operator whose
    /// operands bind at `binding` (`x` in `a * x + b`, `2` in `x^2 * c`), made at once:
    /// what `parse`, `unary`, `postfix` and `primary` make of it, nested four calls deep,
    /// for most operands of a script. Nil, for the general path, whenever what follows
    /// could change it: an operator that binds tighter, `^`, `(`, `[`, `'`, another
    /// operand (an error there), a word `primary` treats apart, or nesting at its limit.
    mutating func simpleOperand(binding: Int) -> ExprID? {
        guard Parser.simpleOperands, depth < Parser.maxNesting else { return nil }
        let t = tag(index)
        guard t == Tag.number || t == Tag.identifier else { return nil }
        let next = tag(index + 1)
        if let (_, power) = Parser.infix(next) {
            guard power <= binding else { return nil }
        } else {
            switch next {
            case Token.Kind.newline.tag, Token.Kind.eof.tag, Token.Kind.semicolon.tag, Token.Kind.rightParen.tag,
                Token.Kind.rightBracket.tag, Token.Kind.comma.tag:
                break
            default: return nil
            }
        }
        if t == Tag.number {
            let v = window.lexemes[index & 3].number
            return add(.number(v), skip())
        }
        let i = index
        if isSpecialWord(i) { return nil }
        let name = text(i)
        return add(.name(name), skip())
    }

    /// Whether name token `i`, not called, is a word `primary` reads apart from names:
    /// `inf` and `nan` (numbers) and the words that start statements.
    @inline(__always)
    func isSpecialWord(_ i: Int) -> Bool {
        isWord(i, "inf") || isWord(i, "nan") || isWord(i, "print") || isWord(i, "assert") || isWord(i, "fn")
    }

    /// `-x` binds looser than `^` (so `-x^2` is `-(x^2)`) and tighter than `*`.
    mutating func unary() throws -> ExprID {
        if check(.minus) || check(.plus) {
            let plus = check(.plus)
            let signSpan = skip()
            try enter(signSpan)
            defer { depth -= 1 }
            let operand = try unary()
            if plus { return operand }
            if case .number(let v) = nodes[operand].kind {
                // A negative literal stays a literal, so `a = -1` defines an input.
                let span = signSpan.merged(with: nodes[operand].span)
                if case .number = nodes[operand].kind, nodes.count - 1 == operand {
                    nodes[operand] = ExprNode(kind: .number(-v), span: span)
                    return operand
                }
            }
            return add(.negate(operand), signSpan.merged(with: nodes[operand].span))
        }
        let base = try postfix()
        if check(.caret) {
            let opSpan = skip()
            if check(.newline) || check(.eof) { throw error("expected an exponent after '^'", opSpan) }
            let exponent = try simpleOperand(binding: Parser.exponentBinding) ?? unaryExponent()
            return add(.binary(.pow, ExprRef(base), ExprRef(exponent)), nodes[base].span.merged(with: nodes[exponent].span))
        }
        return base
    }

    /// The right side of `^`: right-associative, and may start with a sign (`x^-1`).
    mutating func unaryExponent() throws -> ExprID {
        try enter(currentSpan)
        defer { depth -= 1 }
        return try unary()
    }

    mutating func postfix() throws -> ExprID {
        var e = try primary()
        while true {
            if check(.quote) {
                let quoteSpan = skip()
                e = add(.transpose(e), nodes[e].span.merged(with: quoteSpan))
            } else if check(.leftBracket), currentSpan.start == nodes[e].span.end {
                // Indexing only when '[' touches what it indexes: in `[[1, 2] [3, 4]]`
                // the second list is a missing comma, not an index.
                advance()
                var args: [ExprID] = []
                if check(.rightBracket) { throw error("an index needs at least one position, such as x[1]", currentSpan) }
                repeat { args.append(try indexArgument()) } while match(.comma)
                let close = try expect(.rightBracket, "expected ']' to close the index")
                e = add(.index(e, args), nodes[e].span.merged(with: close.span))
            } else {
                return e
            }
        }
    }

    /// A position or a range inside `[…]`: `i`, `lo:hi`, `lo:`, `:hi`, `:`.
    mutating func indexArgument() throws -> ExprID {
        func end() -> Bool { check(.comma) || check(.rightBracket) }
        if check(.colon) {
            let colon = take()
            let hi = end() ? nil : try expression()
            return add(.slice(nil, hi.map(ExprRef.init)), hi.map { colon.span.merged(with: nodes[$0].span) } ?? colon.span)
        }
        let lo = try expression()
        guard check(.colon) else { return lo }
        let colon = take()
        let hi = end() ? nil : try expression()
        return add(
            .slice(ExprRef(lo), hi.map(ExprRef.init)), nodes[lo].span.merged(with: hi.map { nodes[$0].span } ?? colon.span))
    }

    mutating func primary() throws -> ExprID {
        // Numbers and names, most of what is read, without making a token.
        if tag(index) == Tag.number {
            let v = window.lexemes[index & 3].number
            let span = skip()
            if tag(index) == Tag.identifier, currentSpan.start == span.end {
                let w = text(index)
                throw error(
                    "a number cannot run into a name: '\(source.text(span))\(w)'",
                    span.merged(with: currentSpan), notes: ["hint: write '\(source.text(span))*\(w)' for a product"])
            }
            return add(.number(v), span)
        }
        if tag(index) == Tag.identifier {
            let i = index
            let span = skip()
            let call = check(.leftParen)
            let name = text(i)
            if !call, isSpecialWord(i) {
                // `inf` and `nan` are numbers, as values print: they read back.
                if isWord(i, "inf") || isWord(i, "nan") { return add(.number(isWord(i, "inf") ? .infinity : .nan), span) }
                throw error("'\(name)' starts a statement and cannot be used inside an expression", span)
            }
            if !call { return add(.name(name), span) }
            advance()
            var args: [ExprID] = []
            if !check(.rightParen) {
                repeat { args.append(try expression()) } while match(.comma)
            }
            let close = try expect(.rightParen, "expected ')' to close the call to '\(name)'")
            return add(.call(name, args), span.merged(with: close.span))
        }
        let t = current
        switch t.kind {
        case .string(let s):
            advance()
            return add(.string(s), t.span)
        case .leftParen:
            let open = take()
            if check(.rightParen) { throw error("expected an expression inside '()'", currentSpan) }
            let e = try expression()
            let col = source.location(of: open.span.start).column
            let close = try expect(.rightParen, "expected ')' to close the '(' at column \(col)")
            nodes[e].span = open.span.merged(with: close.span)
            return e
        case .leftBracket:
            let open = take()
            var elems: [ExprID] = []
            if !check(.rightBracket) {
                repeat {
                    if check(.rightBracket) { break }  // trailing comma
                    elems.append(try expression())
                } while match(.comma)
            }
            let col = source.location(of: open.span.start).column
            let close = try expect(.rightBracket, "expected ']' or ',' in the list opened at column \(col)")
            return add(.tensor(elems), open.span.merged(with: close.span))
        case .eof, .newline, .semicolon:
            throw error("expected an expression", Span(t.span.start, t.span.start + 1))
        case .command(let name, _, _):
            throw error(
                "a command must start its own statement", t.span, notes: ["hint: put ':\(name)' on its own line or after ';'"])
        default:
            throw error("expected an expression, found \(t.kind.describe)", t.span)
        }
    }
}
