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
