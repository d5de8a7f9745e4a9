import Engine
import GraphLang

/// Writes a session out as a script that rebuilds it: leaves with their current values
/// (trained variables keep what they learnt), then definitions in their order.
enum SessionWriter {
    static func script(_ s: Session) -> String {
        var out = "# graphrepl session\n"
        if s.settings.seed != 0 { out += ":set seed \(s.settings.seed)\n" }
        for name in s.order {
            switch s.definition(name) {
            case .leaf(let kind, _):
                let v = s.values[name].map { formatValue($0, summarizeAbove: Int.max) }
                switch kind {
                case .input: out += "\(name) = \(v ?? "0")\n"
                case .variable: out += "\(name) = variable(\(v ?? "0"))\n"
                case .constant: out += "\(name) = constant(\(v ?? "0"))\n"
                case .placeholder: out += "\(name) = placeholder(\(shapeText(s.placeholderShapes[name] ?? [])))\n"
                case .symbol: break
                }
            case .node(let p, let e):
                out += "\(name) = \(p.source.text(p[e].span))\n"
            case .function(let params, let p, let e):
                out += "fn \(name)(\(params.joined(separator: ", "))) = \(p.source.text(p[e].span))\n"
            case nil: break
            }
        }
        return out
    }
}
