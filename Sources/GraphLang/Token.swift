/// A lexical token with its byte span.
public struct Token: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case number(Double)
        case identifier(String)
        case string(String)
        /// `:name rest-of-statement`; the rest is kept raw for the command to read.
        case command(name: String, args: String, argsStart: Int)
        case leftParen, rightParen, leftBracket, rightBracket
        case comma, semicolon, newline
        case equal, equalEqual, bangEqual, tildeEqual, less, lessEqual, greater, greaterEqual
        /// `:=` (assign now) and `:` (in a slice, `x[2:4]`).
        case colonEqual, colon
        case plus, minus, star, slash, at, caret, quote
        case eof
    }
    public var kind: Kind
    public var span: Span
}

extension Token.Kind {
    /// How the token reads in an error message.
    public var describe: String {
        switch self {
        case .number(let v): return "number '\(formatLiteral(v))'"
        case .identifier(let s): return "'\(s)'"
        case .string: return "string"
        case .command(let n, _, _): return "command ':\(n)'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .comma: return "','"
        case .semicolon: return "';'"
        case .newline: return "end of line"
        case .equal: return "'='"
        case .colonEqual: return "':='"
        case .colon: return "':'"
        case .equalEqual: return "'=='"
        case .bangEqual: return "'!='"
        case .tildeEqual: return "'~='"
        case .less: return "'<'"
        case .lessEqual: return "'<='"
        case .greater: return "'>'"
        case .greaterEqual: return "'>='"
        case .plus: return "'+'"
        case .minus: return "'-'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .at: return "'@'"
        case .caret: return "'^'"
        case .quote: return "'''"
        case .eof: return "end of input"
        }
    }
}

func formatLiteral(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return "\(v)"
}

extension Token.Kind {
    /// Which case this is, without its payload: what the parser compares when it asks
    /// whether the next token is a comma or a bracket (no payload to copy).
    public var tag: UInt8 {
        switch self {
        case .number: return 0
        case .identifier: return 1
        case .string: return 2
        case .command: return 3
        case .leftParen: return 6
        case .rightParen: return 7
        case .leftBracket: return 8
        case .rightBracket: return 9
        case .comma: return 10
        case .semicolon: return 11
        case .newline: return 12
        case .equal: return 13
        case .equalEqual: return 14
        case .bangEqual: return 15
        case .tildeEqual: return 16
        case .less: return 17
        case .lessEqual: return 18
        case .greater: return 19
        case .greaterEqual: return 20
        case .colonEqual: return 21
        case .colon: return 22
        case .plus: return 23
        case .minus: return 24
        case .star: return 25
        case .slash: return 26
        case .at: return 27
        case .caret: return 28
        case .quote: return 29
        case .eof: return 30
        }
    }
}

extension Token.Kind {
    /// The kind of each tag that has no payload (by tag; `.eof` elsewhere).
    static let withoutPayload: [Token.Kind] = {
        let all: [Token.Kind] = [
            .leftParen, .rightParen, .leftBracket, .rightBracket, .comma, .semicolon, .newline, .equal, .equalEqual,
            .bangEqual, .tildeEqual, .less, .lessEqual, .greater, .greaterEqual, .colonEqual, .colon, .plus, .minus,
            .star, .slash, .at, .caret, .quote, .eof,
        ]
        var table = [Token.Kind](repeating: .eof, count: 256)
        for k in all { table[Int(k.tag)] = k }
        return table
    }()
}
