import Engine
import Foundation
import GraphLang

/// Writes a session out as a script that rebuilds it: leaves with their current values
/// (trained variables keep what they learnt), then definitions in their order.
enum SessionWriter {
    static func script(_ s: Session) -> String {
        var out = "# graphrepl session\n"
        let defaults = Session.Settings()
        if s.settings.seed != defaults.seed { out += ":set seed \(s.settings.seed)\n" }
        if let d = s.settings.digits { out += ":set digits \(d)\n" }
        if s.settings.relativeTolerance != defaults.relativeTolerance {
            out += ":set rtol \(formatNumber(s.settings.relativeTolerance))\n"
        }
        if s.settings.absoluteTolerance != defaults.absoluteTolerance {
            out += ":set atol \(formatNumber(s.settings.absoluteTolerance))\n"
        }
        for name in s.order {
            switch s.definition(name) {
            case .leaf(let kind, _):
                let v = s.values[name].map { formatValue($0, summarizeAbove: Int.max) }
                switch kind {
                case .input: out += "\(name) = \(v ?? "0")\n"
                case .variable: out += "\(name) = variable(\(v ?? "0"))\n"
                case .constant: out += "\(name) = constant(\(v ?? "0"))\n"
                case .placeholder:
                    // A value assigned to it feeds it again when the script runs.
                    out += "\(name) = placeholder(\(shapeText(s.placeholderShapes[name] ?? [])))\n"
                    if let v { out += "\(name) = \(v)\n" }
                case .symbol: break
                }
            case .node(let p, let e):
                out += "\(name) = \(text(p, e))\n"
            case .function(let params, let p, let e):
                out += "fn \(name)(\(params.joined(separator: ", "))) = \(p.source.text(p[e].span))\n"
            case nil: break
            }
        }
        return out
    }

    /// A definition's text, with each file a `load_csv` reads named by an absolute path:
    /// the saved script finds it wherever the script is put.
    static func text(_ p: Program, _ e: ExprID) -> String {
        let span = p[e].span
        var replacements: [(Span, String)] = []
        var stack = [e]
        while let id = stack.popLast() {
            if case .call("load_csv", let args) = p[id].kind, let a = args.first, case .string(let path) = p[a].kind {
                let found = CSV.resolve(path, besideScript: p.source.name)
                let absolute = URL(fileURLWithPath: found).standardizedFileURL.path
                replacements.append((p[a].span, "\"" + absolute + "\""))
            }
            stack.append(contentsOf: p.children(of: id))
        }
        var text = ""
        var at = span.start
        for (s, r) in replacements.sorted(by: { $0.0.start < $1.0.start }) where s.start >= at {
            text += p.source.text(Span(at, s.start)) + r
            at = s.end
        }
        return text + p.source.text(Span(at, span.end))
    }
}
