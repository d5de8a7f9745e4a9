import Engine
import Foundation

/// A layered drawing of a graph in the terminal: inputs at the bottom, the output on
/// top, as the lecture draws them. Each node is a box with its name (or expression), its
/// value, and optionally ∂OUT/∂node and the local partials of its incoming edges. A
/// shared node is drawn once, with an edge to each user.
struct GraphDrawing {
    struct Box {
        var id: Int  // graph node, or -1 - k for the k-th dummy (a long edge passing a layer)
        var lines: [String]
        var width: Int { (lines.map(\.count).max() ?? 0) + 4 }
        var x = 0  // left column
        var isDummy: Bool { id < 0 }
    }

    var ascii = false
    var maxWidth = 80
    var maxNodes = 60
    /// Columns between boxes side by side.
    var gap = 3

    // Canvas: each cell is a character or a set of line directions.
    struct Canvas {
        var chars: [[Character]]
        var lines: [[UInt8]]  // bits: 1 up, 2 down, 4 left, 8 right
        let ascii: Bool

        init(width: Int, height: Int, ascii: Bool) {
            chars = [[Character]](repeating: [Character](repeating: " ", count: width), count: height)
            lines = [[UInt8]](repeating: [UInt8](repeating: 0, count: width), count: height)
            self.ascii = ascii
        }

        mutating func text(_ s: String, row: Int, col: Int) {
            for (i, c) in s.enumerated() where col + i < chars[row].count { chars[row][col + i] = c }
        }

        mutating func line(_ row: Int, _ col: Int, _ bits: UInt8) {
            guard row >= 0, row < lines.count, col >= 0, col < lines[row].count else { return }
            lines[row][col] |= bits
        }

        mutating func vertical(_ col: Int, from r0: Int, to r1: Int) {
            let (a, b) = (min(r0, r1), max(r0, r1))
            guard a < b else { return }
            line(a, col, 2)
            for r in (a + 1)..<b { line(r, col, 3) }
            line(b, col, 1)
        }

        mutating func horizontal(_ row: Int, from c0: Int, to c1: Int) {
            let (a, b) = (min(c0, c1), max(c0, c1))
            guard a < b else { return }
            line(row, a, 8)
            for c in (a + 1)..<b { line(row, c, 12) }
            line(row, b, 4)
        }

        func glyph(_ bits: UInt8) -> Character {
            if ascii {
                switch bits {
                case 3, 1, 2: return "|"
                case 12, 4, 8: return "-"
                default: return "+"
                }
            }
            switch bits {
            case 1, 2, 3: return "│"
            case 4, 8, 12: return "─"
            case 9: return "└"
            case 5: return "┘"
            case 10: return "┌"
            case 6: return "┐"
            case 11: return "├"
            case 7: return "┤"
            case 14: return "┬"
            case 13: return "┴"
            default: return "┼"
            }
        }

        func render() -> String {
            var out: [String] = []
            for r in 0..<chars.count {
                var s = ""
                for c in 0..<chars[r].count {
                    s.append(lines[r][c] != 0 && chars[r][c] == " " ? glyph(lines[r][c]) : chars[r][c])
                }
                while s.hasSuffix(" ") { s.removeLast() }
                out.append(s)
            }
            while out.last?.isEmpty == true { out.removeLast() }
            while out.first?.isEmpty == true { out.removeFirst() }
            return out.joined(separator: "\n") + "\n"
        }
    }

    /// Draws `nodes` (ids), with `edges` child → parent among them, `labels` per node.
    /// Returns nil when it cannot fit; `why` then says so.
    func draw(nodes: [Int], edges: [(child: Int, parent: Int)], labels: [Int: [String]]) -> (String?, String) {
        guard nodes.count <= maxNodes else {
            return (nil, "the graph has \(nodes.count) nodes, more than \(maxNodes) can be drawn legibly")
        }
        // Layers: leaves at 0, each node one above its highest input.
        var layer: [Int: Int] = [:]
        var inputs: [Int: [Int]] = [:]
        for e in edges { inputs[e.parent, default: []].append(e.child) }
        for n in nodes { layer[n] = (inputs[n] ?? []).map { (layer[$0] ?? 0) + 1 }.max() ?? 0 }
        // A leaf sits just below its lowest user (W2 beside a1, not beside x).
        var users: [Int: [Int]] = [:]
        for e in edges { users[e.child, default: []].append(e.parent) }
        for n in nodes where inputs[n] == nil {
            if let lowest = users[n]?.compactMap({ layer[$0] }).min(), lowest >= 1 { layer[n] = lowest - 1 }
        }
        let top = layer.values.max() ?? 0
        var rows = [[Box]](repeating: [], count: top + 1)
        var place: [Int: (Int, Int)] = [:]  // id → (layer, index)
        for n in nodes {
            rows[layer[n] ?? 0].append(Box(id: n, lines: labels[n] ?? ["?"]))
        }
        // Long edges pass through dummy boxes, one per layer crossed.
        var segments: [(child: Int, parent: Int)] = []
        var dummy = 0
        for e in edges {
            let (lc, lp) = (layer[e.child] ?? 0, layer[e.parent] ?? 0)
            var below = e.child
            if lp - lc > 1 {
                for l in (lc + 1)..<lp {
                    dummy += 1
                    let d = -dummy
                    rows[l].append(Box(id: d, lines: [""]))
                    layer[d] = l
                    segments.append((below, d))
                    below = d
                }
            }
            segments.append((below, e.parent))
        }
        // Order within layers by the mean position of neighbours (a few sweeps).
        func reindex() {
            for (l, row) in rows.enumerated() { for (i, b) in row.enumerated() { place[b.id] = (l, i) } }
        }
        reindex()
        var ups: [Int: [Int]] = [:]
        var downs: [Int: [Int]] = [:]
        for s in segments {
            ups[s.child, default: []].append(s.parent)
            downs[s.parent, default: []].append(s.child)
        }
        // Edge crossings between layer l and the layers next to it.
        func crossings(_ l: Int) -> Int {
            var total = 0
            for (other, neighbours) in [(l - 1, downs), (l + 1, ups)] where other >= 0 && other <= top {
                var pairs: [(Int, Int)] = []
                for b in rows[l] {
                    for n in neighbours[b.id] ?? [] {
                        if let (nl, ni) = place[n], nl == other { pairs.append((place[b.id]?.1 ?? 0, ni)) }
                    }
                }
                for i in pairs.indices {
                    for j in pairs.indices where j > i {
                        let (a, b) = (pairs[i], pairs[j])
                        if (a.0 - b.0) * (a.1 - b.1) < 0 { total += 1 }
                    }
                }
            }
            return total
        }
        func totalCrossings() -> Int { (0...top).reduce(0) { $0 + crossings($1) } }
        // The sweeps can undo one another's gains: keep the best order seen.
        var best = (rows: rows, crossings: totalCrossings())
        for sweep in 0..<6 {
            let range: [Int] = sweep % 2 == 0 ? Array(1..<(top + 1)) : Array((0..<top).reversed())
            for l in range {
                let key: (Box) -> Double = { b in
                    let ns = (sweep % 2 == 0 ? downs[b.id] : ups[b.id]) ?? []
                    guard !ns.isEmpty else { return Double(place[b.id]?.1 ?? 0) }
                    return ns.map { Double(place[$0]?.1 ?? 0) }.reduce(0, +) / Double(ns.count)
                }
                rows[l].sort { key($0) < key($1) }
                reindex()
            }
            let now = totalCrossings()
            if now < best.crossings { best = (rows, now) }
        }
        if totalCrossings() > best.crossings {
            rows = best.rows
            reindex()
        }
        // Then swap neighbours while that lowers the crossings with the layers next to it
        // (the "transpose" step of layered drawing).
        for _ in 0..<4 {
            var improved = false
            for l in 0...top where rows[l].count > 1 {
                for i in 0..<(rows[l].count - 1) {
                    let before = crossings(l)
                    rows[l].swapAt(i, i + 1)
                    reindex()
                    if crossings(l) < before {
                        improved = true
                    } else {
                        rows[l].swapAt(i, i + 1)
                        reindex()
                    }
                }
            }
            if !improved { break }
        }
        // Each box's edges leave it in the order of the boxes they go to, so edges into
        // one box do not cross each other there.
        func byPosition(_ ids: [Int]) -> [Int] { ids.sorted { (place[$0]?.1 ?? 0) < (place[$1]?.1 ?? 0) } }
        for (k, list) in downs { downs[k] = byPosition(list) }
        for (k, list) in ups { ups[k] = byPosition(list) }
        // Columns: boxes side by side with gaps; each layer centred.
        var width = 0
        for l in 0...top {
            let w = rows[l].reduce(0) { $0 + ($1.isDummy ? 1 : $1.width) } + gap * max(0, rows[l].count - 1)
            width = max(width, w)
        }
        guard width <= maxWidth else {
            return (nil, "the drawing needs \(width) columns, more than the \(maxWidth) available")
        }
        for l in 0...top {
            let w = rows[l].reduce(0) { $0 + ($1.isDummy ? 1 : $1.width) } + gap * max(0, rows[l].count - 1)
            var x = (width - w) / 2
            for i in rows[l].indices {
                rows[l][i].x = x
                x += (rows[l][i].isDummy ? 1 : rows[l][i].width) + gap
            }
        }
        // Rows: layers top to bottom, a routing band between each pair.
        let boxHeight = rows.flatMap { $0 }.filter { !$0.isDummy }.map { $0.lines.count + 2 }.max() ?? 3
        var bandHeights = [Int](repeating: 0, count: top + 1)
        var bandSegments = [[(child: Int, parent: Int)]](repeating: [], count: top + 1)
        for s in segments {
            let l = layer[s.child] ?? 0
            bandSegments[l].append(s)
        }
        for l in 0...top { bandHeights[l] = bandSegments[l].isEmpty ? 0 : bandSegments[l].count + 1 }
        var layerTop = [Int](repeating: 0, count: top + 1)
        var y = 0
        for l in stride(from: top, through: 0, by: -1) {
            layerTop[l] = y
            y += boxHeight + (l > 0 ? bandHeights[l - 1] : 0)
        }
        var canvas = Canvas(width: width + 1, height: y + 1, ascii: ascii)
        var boxes: [Int: Box] = [:]
        for row in rows { for b in row { boxes[b.id] = b } }
        // Each box sits at the bottom of its layer's rows; dummies span them.
        func rowsOf(_ b: Box) -> (top: Int, bottom: Int) {
            let l = layer[b.id] ?? 0
            let bottom = layerTop[l] + boxHeight - 1
            return b.isDummy ? (layerTop[l], bottom) : (bottom - b.lines.count - 1, bottom)
        }
        // Attachment columns: spread each box's edges along its border.
        func attach(_ b: Box, _ k: Int, _ count: Int) -> Int {
            if b.isDummy { return b.x }
            return b.x + 1 + (b.width - 2) * (2 * k + 1) / (2 * count)
        }
        for l in 0...top {
            var routes: [(c: Box, p: Box, cx: Int, px: Int)] = []
            for s in bandSegments[l] {
                guard let c = boxes[s.child], let p = boxes[s.parent] else { continue }
                let cUps = ups[s.child] ?? []
                let pDowns = downs[s.parent] ?? []
                routes.append(
                    (
                        c, p, attach(c, cUps.firstIndex(of: s.parent) ?? 0, cUps.count),
                        attach(p, pDowns.firstIndex(of: s.child) ?? 0, pDowns.count)
                    ))
            }
            // Tracks from the top: edges running right, the rightmost start first; then
            // those running left, the leftmost start first. An edge's line down from its
            // parent then ends above the tracks of the edges it would otherwise cut.
            routes.sort { a, b in
                let (ra, rb) = (a.cx > a.px, b.cx > b.px)
                if ra != rb { return ra }
                return ra ? a.px > b.px : a.px < b.px
            }
            for (t, r) in routes.enumerated() {
                let track = rowsOf(r.p).bottom + 1 + t
                canvas.vertical(r.cx, from: rowsOf(r.c).top, to: track)
                canvas.horizontal(track, from: r.px, to: r.cx)
                canvas.vertical(r.px, from: rowsOf(r.p).bottom, to: track)
            }
        }
        for row in rows {
            for b in row {
                let (y0, y1) = rowsOf(b)
                if b.isDummy {
                    canvas.vertical(b.x, from: y0, to: y1)
                    continue
                }
                canvas.horizontal(y0, from: b.x, to: b.x + b.width - 1)
                canvas.horizontal(y1, from: b.x, to: b.x + b.width - 1)
                canvas.vertical(b.x, from: y0, to: y1)
                canvas.vertical(b.x + b.width - 1, from: y0, to: y1)
                for (i, text) in b.lines.enumerated() {
                    canvas.text(text, row: y0 + 1 + i, col: b.x + 2)
                    for c in (b.x + 1)..<(b.x + b.width - 1) { canvas.lines[y0 + 1 + i][c] = 0 }
                }
            }
        }
        return (canvas.render(), "")
    }
}
