import Engine
import GraphLang

/// The words of a command: `OUT [wrt A, B] [more words]`, with spans for errors.
struct CommandArgs {
    let call: Interpreter.CommandCall
    var words: [(String, Span)] = []

    init(_ call: Interpreter.CommandCall) {
        self.call = call
        var current = ""
        var start = call.argsStart
        var pos = call.argsStart
        for ch in call.args.unicodeScalars {
            let w = String(ch).utf8.count
            if ch == " " || ch == "," || ch == "\t" {
                if !current.isEmpty { words.append((current, Span(start, pos))) }
                current = ""
                start = pos + w
            } else {
                if current.isEmpty { start = pos }
                current.unicodeScalars.append(ch)
            }
            pos += w
        }
        if !current.isEmpty { words.append((current, Span(start, pos))) }
    }

    func error(_ message: String, at span: Span? = nil, notes: [String] = []) -> Diagnostic {
        Diagnostic(.error, message, source: call.program.source, span: span ?? call.span, notes: notes)
    }

    /// The node of a defined name, or an error at the word with a "did you mean".
    func definedNode(_ w: (String, Span), in session: Session) throws -> Int {
        guard session.definition(w.0) != nil else {
            throw error("'\(w.0)' is not defined", at: w.1, notes: didYouMean(w.0, among: session.order))
        }
        return try session.node(named: w.0)
    }

    /// The output name (first word) and the names after `wrt`, and other words.
    func outAndWrt(usage: String, needWrt: Bool) throws -> (out: (String, Span), wrt: [(String, Span)], rest: [String]) {
        guard let first = words.first, first.0 != "wrt" else {
            throw error("':\(call.name)' needs the name of an output", notes: ["usage: \(usage)"])
        }
        var wrt: [(String, Span)] = []
        var rest: [String] = []
        var inWrt = false
        for w in words.dropFirst() {
            if w.0 == "wrt" {
                inWrt = true
            } else if inWrt {
                wrt.append(w)
            } else {
                rest.append(w.0)
            }
        }
        if needWrt && wrt.isEmpty {
            throw error("':\(call.name)' needs 'wrt' and a leaf", notes: ["usage: \(usage)"])
        }
        return (first, wrt, rest)
    }
}
