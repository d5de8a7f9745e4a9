/// A non-negative integer of any size, enough to count paths exactly: addition and
/// decimal printing.
public struct BigCount: Equatable, CustomStringConvertible, Sendable {
    /// Little-endian base-2⁶⁴ limbs.
    var limbs: [UInt64]

    public init(_ n: UInt64 = 0) { limbs = [n] }

    public static func + (a: BigCount, b: BigCount) -> BigCount {
        var out: [UInt64] = []
        var carry: UInt64 = 0
        for i in 0..<max(a.limbs.count, b.limbs.count) {
            let x = i < a.limbs.count ? a.limbs[i] : 0
            let y = i < b.limbs.count ? b.limbs[i] : 0
            let (s1, o1) = x.addingReportingOverflow(y)
            let (s2, o2) = s1.addingReportingOverflow(carry)
            out.append(s2)
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        if carry > 0 { out.append(carry) }
        return BigCount(limbs: out)
    }

    init(limbs: [UInt64]) { self.limbs = limbs }

    public var isZero: Bool { limbs.allSatisfy { $0 == 0 } }
    /// The count when it fits in an Int.
    public var small: Int? { limbs.dropFirst().allSatisfy { $0 == 0 } && limbs[0] <= UInt64(Int.max) ? Int(limbs[0]) : nil }

    public var description: String {
        var digits: [String] = []
        var n = limbs
        let base: UInt64 = 10_000_000_000_000_000_000
        while n.contains(where: { $0 != 0 }) {
            var rem: UInt64 = 0
            for i in stride(from: n.count - 1, through: 0, by: -1) {
                let (q, r) = base.dividingFullWidth((rem, n[i]))
                n[i] = q
                rem = r
            }
            digits.append(String(rem))
        }
        guard let last = digits.popLast() else { return "0" }
        return last + digits.reversed().map { String(repeating: "0", count: 19 - $0.count) + $0 }.joined()
    }
}

/// One edge of a path: `child` is input number `slot` of `parent`.
public struct PathEdge: Hashable, Sendable {
    public let child: Int
    public let parent: Int
    public let slot: Int
}

public enum Paths {
    /// Edges into `n` that a path can follow (`Op.carriesDependence`: through step, sign
    /// and comparisons too, with partial 0) from nodes that depend on the source.
    static func edges(_ graph: Graph, _ n: Int, _ dep: NodeMap<Bool>) -> [PathEdge] {
        let node = graph.nodes[n]
        // A built-in made of several ops is one step, from its arguments.
        if graph.composite(resultOf: n) != nil {
            return graph.pathInputs(n).enumerated().compactMap { i, c in
                dep[c] == true ? PathEdge(child: c, parent: n, slot: i) : nil
            }
        }
        return node.inputs.enumerated().compactMap { i, c in
            let follows: Bool
            switch node.kind {
            case .op(let op): follows = op.carriesDependence(i)
            default: follows = false  // not through jacobian(…): no derivative is taken there
            }
            return follows && dep[c] == true ? PathEdge(child: c, parent: n, slot: i) : nil
        }
    }

    /// The exact number of paths from `source` to `output`, by dynamic programming over
    /// the topological order (each node: the sum over its incoming edges).
    public static func count(_ graph: Graph, from source: Int, to output: Int) -> BigCount {
        let order = graph.order([output])
        let dep = graph.dependsOn(source, order: order, structural: true)
        var counts: [Int: BigCount] = [source: BigCount(1)]
        for n in order where n != source && dep[n] == true {
            var c = BigCount(0)
            for e in edges(graph, n, dep) { c = c + (counts[e.child] ?? BigCount(0)) }
            counts[n] = c
        }
        return counts[output] ?? BigCount(0)
    }

    /// Up to `limit` paths from `source` to `output`, each a list of edges from the
    /// source up (iterative depth-first search backwards from the output).
    public static func list(_ graph: Graph, from source: Int, to output: Int, limit: Int) -> [[PathEdge]] {
        let order = graph.order([output])
        let dep = graph.dependsOn(source, order: order, structural: true)
        guard dep[output] == true else { return [] }
        var out: [[PathEdge]] = []
        // Each frame: a node and the edges into it still to try.
        var stack: [(Int, [PathEdge])] = [(output, Array(edges(graph, output, dep).reversed()))]
        var path: [PathEdge] = []
        while !stack.isEmpty, out.count < limit {
            let top = stack.count - 1
            if stack[top].0 == source {
                out.append(path.reversed())
                stack.removeLast()
                if !path.isEmpty { path.removeLast() }
                continue
            }
            guard let e = stack[top].1.popLast() else {
                stack.removeLast()
                if !path.isEmpty { path.removeLast() }
                continue
            }
            path.append(e)
            stack.append((e.child, Array(edges(graph, e.child, dep).reversed())))
        }
        return out
    }
}
