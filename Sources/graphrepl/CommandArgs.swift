import Engine
import GraphLang

/// A command's arguments, read through GraphLang's lexer: names, `wrt` lists, words and
/// `key=value` options, each with its span, so every error points at the argument. A
/// command takes what it understands and calls `finish`: whatever is left is an error,
/// never silently dropped.
final class CommandArgs {
    let call: Interpreter.CommandCall
    let usage: String
    /// The tokens of the arguments, without the end.
    let tokens: [Token]
    /// The lexer's first complaint, reported when the arguments are read that far.
    let lexError: Diagnostic?
    var position = 0

    init(_ call: Interpreter.CommandCall, usage: String) {
        self.call = call
        self.usage = usage
        let range = call.argsRange
        var lexer = Lexer(source: call.program.source, range: range, commands: false)
        var ts = lexer.tokenize()
        ts.removeLast()
        tokens = ts.filter { $0.kind != .newline }
        lexError = lexer.diagnostics.first
    }

    var source: SourceFile { call.program.source }
    var atEnd: Bool { position >= tokens.count }
    var current: Token? { atEnd ? nil : tokens[position] }

    func error(_ message: String, at span: Span? = nil, notes: [String] = []) -> Diagnostic {
        Diagnostic(.error, message, source: source, span: span ?? call.span, notes: notes)
    }

    func text(_ t: Token) -> String { source.text(t.span) }

    /// The next token if it is the identifier `word`, consumed.
    func take(_ word: String) -> Bool {
        guard let t = current, case .identifier(let w) = t.kind, w == word else { return false }
        position += 1
        return true
    }

    /// The next token if it is `kind`, consumed.
    func take(_ kind: Token.Kind) -> Token? {
        guard let t = current, t.kind == kind else { return nil }
        position += 1
        return t
    }

    /// A name (`what` says which, for the error when it is missing).
    func name(_ what: String) throws -> (String, Span) {
        try checkLexed()
        guard let t = current else {
            throw error("':\(call.name)' needs \(what)", notes: ["usage: \(usage)"])
        }
        guard case .identifier(let n) = t.kind, !Interpreter.reservedWords.contains(n) || n == "print" else {
            throw error("expected \(what), found \(t.kind.describe)", at: t.span, notes: ["usage: \(usage)"])
        }
        position += 1
        return (n, t.span)
    }

    /// The name of the output a command is about: a name, not an expression.
    func output() throws -> (String, Span) {
        let start = current?.span.start
        let w = try name("the name of an output")
        if let t = current {
            switch t.kind {
            case .leftParen, .leftBracket, .plus, .minus, .star, .slash, .at, .caret, .quote:
                let end = call.argsRange.upperBound
                let upTo = tokens.firstIndex { $0.kind == .identifier("wrt") }.map { tokens[$0].span.start } ?? end
                let text = source.text(Span(start ?? t.span.start, upTo)).trimmingCharacters(in: .whitespaces)
                throw error(
                    "':\(call.name)' takes the name of an output, not an expression", at: Span(start ?? t.span.start, t.span.end),
                    notes: ["hint: name it first, 'out = \(text)', then ':\(call.name) out …'"])
            default: break
            }
        }
        return w
    }

    /// `wrt NAME, NAME, …` if it comes next (required: it must).
    func wrtList(required: Bool) throws -> [(String, Span)] {
        try checkLexed()
        guard take("wrt") else {
            if required {
                throw error(
                    "':\(call.name)' needs 'wrt' and what to differentiate with respect to", at: current?.span,
                    notes: ["usage: \(usage)"])
            }
            return []
        }
        var names = [try name("a name after 'wrt'")]
        while true {
            if take(.comma) != nil {
                names.append(try name("a name after ','"))
                continue
            }
            if let t = current, case .identifier = t.kind, !isOption {
                throw error(
                    "expected ',' between the names after 'wrt', found \(t.kind.describe)", at: t.span,
                    notes: ["hint: write 'wrt \(names.last?.0 ?? "a"), \(text(t))'"])
            }
            return names
        }
    }

    /// Whether `key=` comes next.
    var isOption: Bool {
        guard position + 1 < tokens.count, case .identifier = tokens[position].kind else { return false }
        return tokens[position + 1].kind == .equal
    }

    /// `key=value` if it comes next: the key, the value's text and the whole span.
    func option() throws -> (key: String, value: String, span: Span)? {
        try checkLexed()
        guard isOption, case .identifier(let key) = tokens[position].kind else { return nil }
        let start = tokens[position].span.start
        position += 2
        let minus = take(.minus)
        guard let t = current else {
            throw error("'\(key)=' needs a value", at: Span(start, tokens[position - 1].span.end), notes: ["usage: \(usage)"])
        }
        switch t.kind {
        case .number, .identifier:
            position += 1
            return (key, source.text(Span(minus?.span.start ?? t.span.start, t.span.end)), Span(start, t.span.end))
        default:
            throw error("'\(key)=' needs a value, found \(t.kind.describe)", at: t.span, notes: ["usage: \(usage)"])
        }
    }

    /// The rest of the arguments as written (a file name), or nil when there is none.
    func rest() -> (String, Span)? {
        guard let t = current else { return nil }
        let end = call.argsRange.upperBound
        position = tokens.count
        var text = source.text(Span(t.span.start, end))
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
        return (text, Span(t.span.start, end))
    }

    /// Nothing may be left: an argument the command cannot use is an error at it.
    func finish() throws {
        try checkLexed()
        guard let t = current else { return }
        var notes = ["usage: \(usage)"]
        if case .identifier("wrt") = t.kind { notes.insert("hint: ':\(call.name)' takes no 'wrt'", at: 0) }
        throw error("':\(call.name)' does not take \(t.kind.describe) here", at: t.span, notes: notes)
    }

    func checkLexed() throws {
        if let d = lexError, d.span.map({ $0.start <= (current?.span.end ?? Int.max) }) ?? true { throw d }
    }

    /// The node of a defined name, or an error at the word with a "did you mean".
    func definedNode(_ w: (String, Span), in session: Session) throws -> Int {
        guard session.definition(w.0) != nil else {
            throw error("'\(w.0)' is not defined", at: w.1, notes: didYouMean(w.0, among: session.order))
        }
        if case .function = session.definition(w.0) {
            throw error("'\(w.0)' is a function: name a value", at: w.1)
        }
        do {
            return try session.node(named: w.0)
        } catch let e as EvalError {
            throw error(e.message, at: w.1, notes: e.notes)
        }
    }

    /// The output named first (`output()`, or any name when a file name may follow) and
    /// the engine's query about it, its warnings shown.
    func query(_ interp: Interpreter, fileFollows: Bool = false) throws -> DerivativeQuery {
        let out = try fileFollows ? name("the name of an output") : output()
        let q = try interp.session.query(try definedNode(out, in: interp.session), interrupted: interp.interrupted)
        interp.warnAll(q.warnings)
        return q
    }

    /// The node of a name to differentiate with respect to: a definition, or a free
    /// symbol the graph uses.
    func anyNode(_ w: (String, Span), in session: Session) throws -> Int {
        if session.definition(w.0) == nil, let id = session.graph.leaves[w.0] { return id }
        return try definedNode(w, in: session)
    }
}
