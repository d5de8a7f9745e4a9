import GraphLang
import XCTest

@testable import Engine

/// Plain arithmetic compiles in one pass (`Compiler.arithmetic`); it must make the
/// nodes the general compiler makes.
final class QuickCompileTests: XCTestCase {
    /// The nodes `expr` compiles to, as text, with or without the one-pass path.
    func nodes(_ expr: String, quick: Bool) throws -> [String] {
        let h = Harness()
        XCTAssertEqual(h.run("a = 2\nb = [1, 2]\nc = -0.5\nd = a * b"), .ok)
        let s = h.session
        for n in ["a", "b", "c", "d"] { _ = try s.node(named: n) }
        let (p, diagnostics, _) = Parser.parse(SourceFile(name: "t", text: expr))
        XCTAssertTrue(diagnostics.isEmpty)
        guard case .expression(let root) = p.statements[0].statement else { throw EvalError("not an expression") }
        let g = s.graph
        let before = g.nodes.count
        var c = Compiler(session: s, graph: g)
        c.quickArithmetic = quick
        let id = try c.compile(p, root)
        XCTAssertEqual(id, g.nodes.count - 1)
        return g.nodes.indices[before...].map { i -> String in
            let n = g.nodes[i]
            let kind: String
            switch n.kind {
            case .literal(let v): kind = "literal \(formatValue(v))"
            case .op(let op): kind = op.name
            default: kind = "other"
            }
            let span = g.origin(of: i).map { "\($0.span.start)..<\($0.span.end)" } ?? "-"
            return "\(kind) \(n.inputs.map { $0 - before }) at \(span) call \(String(describing: n.call))"
        }
    }

    func testOnePassMakesTheNodesTheGeneralCompilerMakes() throws {
        for expr in [
            "a * 0.999 + a ^ 2 * 0.001 + 0.0001", "-(a - c) / -3", "b @ b == a", "a ~= 2.0000000001", "--a", "-(-2)",
            "d * c - b ^ -a", "(a < c) * (c <= a) + (a != a) - (a >= 1)",
        ] {
            let quick = try nodes(expr, quick: true)
            let general = try nodes(expr, quick: false)
            XCTAssertEqual(quick, general, expr)
        }
    }

    func testAnythingElseGoesTheGeneralWay() throws {
        let h = Harness()
        h.run("a = 2")
        let s = h.session
        _ = try s.node(named: "a")
        for expr in ["sin(a)", "[a, 1]", "a'", "zz + a", "a[1]"] {
            let (p, _, _) = Parser.parse(SourceFile(name: "t", text: expr))
            guard case .expression(let root) = p.statements[0].statement else { return XCTFail(expr) }
            var c = Compiler(session: s, graph: s.graph)
            let before = s.graph.nodes.count
            XCTAssertNil(c.arithmetic(p, root), expr)
            XCTAssertEqual(s.graph.nodes.count, before, "\(expr): no node made before giving up")
        }
    }

    /// A node's inputs are held in place up to two, in an array beyond: the same ids,
    /// in the same order, either way, and the graph's flat edges agree with them.
    func testNodeInputsHoldEveryIdInOrder() {
        for ids in [[], [7], [3, 0], [5, 1, 4], [2, 2, 2, 9, 0]] {
            let inputs = NodeInputs(ids)
            XCTAssertEqual(inputs.count, ids.count, "\(ids)")
            XCTAssertEqual(Array(inputs), ids)
            XCTAssertEqual(inputs.array, ids)
            XCTAssertEqual(inputs.enumerated().map { $0.offset }, Array(ids.indices))
        }
        XCTAssertEqual(Array(NodeInputs(4, 6)), [4, 6])
        XCTAssertEqual(Array(NodeInputs(0)), [0])
        // The flat edges are made when a search needs them, for the nodes added since:
        // in batches, and after a scratch dropped some, they still agree.
        let g = Graph()
        func checkEdges(_ when: String) {
            g.makeEdges()
            XCTAssertEqual(g.edgeStart.count, g.nodes.count + 1, when)
            for n in g.nodes.indices {
                let flat = g.edges[Int(g.edgeStart[n])..<Int(g.edgeStart[n + 1])].map { Int($0) }
                XCTAssertEqual(flat, Array(g.nodes[n].inputs), "\(when): node \(n)")
            }
        }
        for ids in [[], [0], [0, 1]] { g.append(Node(kind: .op(.stack), inputs: ids)) }
        checkEdges("first batch")
        for ids in [[0, 1, 2], [3, 2, 1, 0]] { g.append(Node(kind: .op(.stack), inputs: ids)) }
        checkEdges("second batch")
        g.scratch {
            g.append(Node(kind: .op(.stack), inputs: [4, 4, 1]))
            checkEdges("in a scratch")
        }
        checkEdges("after the scratch")
        g.append(Node(kind: .op(.neg), inputs: [4]))
        checkEdges("a node after the scratch")
        XCTAssertEqual(g.order([5]), [0, 1, 2, 3, 4, 5])
    }

    /// The built-ins' table rules names out by length and first letter before hashing:
    /// it must still find every built-in, and nothing else, whatever the name.
    func testBuiltinTableFindsEveryBuiltinAndNothingElse() {
        for b in Builtins.all {
            XCTAssertEqual(Builtins.byName[b.name], b, b.name)
            // Same length and first letter, another name.
            let other = String(b.name.dropLast()) + (b.name.last == "z" ? "y" : "z")
            XCTAssertNil(Builtins.byName[other], other)
        }
        for name in ["", "x", "x1", "W2", "sinh", "Sin", "sin1", "é", "ésin", String(repeating: "s", count: 70), "_"] {
            XCTAssertNil(Builtins.byName[name], name)
        }
        for w in Interpreter.reservedWords { XCTAssertNotNil(Interpreter.reserved[w], w) }
        XCTAssertNil(Interpreter.reserved["prints"])
        XCTAssertNil(Interpreter.reserved["wrx"])
    }

    /// A long script's nodes are tens of megabytes: a node stays within 48 bytes (its
    /// origin an index and an expression, no reference counted per node, its name kept
    /// by the graph).
    func testANodeTakesFortyEightBytes() {
        XCTAssertLessThanOrEqual(MemoryLayout<Node>.stride, 48)
    }

    /// A node's name, kept by its graph: the first bound to it, in any order of ids; a
    /// scratch drops the names of the nodes it made and keeps those it gave older ones.
    func testTheGraphKeepsEachNodesFirstName() {
        let g = Graph()
        for i in 0..<10 { g.append(Node(kind: .leaf("x\(i)", .input), inputs: [])) }
        g.bind("c", 5)
        g.bind("a", 2)
        g.bind("b", 7)
        g.bind("d", 5)  // 5 is c already
        g.bind("e", 0)
        XCTAssertEqual((0..<10).map { g.name(of: $0) ?? "-" }, ["e", "-", "a", "-", "-", "c", "-", "b", "-", "-"])
        XCTAssertEqual(g.named["d"], 5)
        g.scratch {
            g.append(Node(kind: .op(.add), inputs: [1, 2]))
            g.bind("t", 10)
            g.bind("f", 9)
            g.bind("u", 1)
            XCTAssertEqual(g.name(of: 10), "t")
        }
        XCTAssertNil(g.name(of: 10))
        XCTAssertEqual((0..<10).map { g.name(of: $0) ?? "-" }, ["e", "u", "a", "-", "-", "c", "-", "b", "-", "f"])
        g.append(Node(kind: .op(.mul), inputs: [3, 4]))
        XCTAssertNil(g.name(of: 10), "a new node where a dropped one was has no name")
    }

    /// A node's origin is its program's index in the graph: each program is given one
    /// index, found again however many programs the graph holds, and a scratch drops
    /// the programs it added.
    func testAGraphGivesEachProgramOneIndex() {
        let g = Graph()
        let programs = (0..<20).map { i in Parser.parse(SourceFile(name: "p\(i)", text: "x\(i) = 1")).0 }
        for round in 0..<2 {
            for (i, p) in programs.enumerated() { XCTAssertEqual(g.programID(p), Int32(i), "round \(round), program \(i)") }
            for (i, p) in programs.enumerated().reversed() { XCTAssertEqual(g.programID(p), Int32(i), "program \(i)") }
        }
        XCTAssertEqual(g.programs.count, 20)
        g.scratch {
            XCTAssertEqual(g.programID(Parser.parse(SourceFile(name: "q", text: "y = 2")).0), 20)
            XCTAssertEqual(g.programs.count, 21)
        }
        XCTAssertEqual(g.programs.count, 20)
        for (i, p) in programs.enumerated() { XCTAssertEqual(g.programID(p), Int32(i), "after the scratch, program \(i)") }
        XCTAssertEqual(g.programs.count, 20)
    }

    /// The names table behaves as a dictionary through any mix of inserts, updates and
    /// removals (tombstones, rebuilds), whatever the names.
    func testNameMapBehavesAsADictionary() {
        var rng = SplitMix64(state: 27_112_026)
        var map: NameMap<Int> = [:]
        var dict: [String: Int] = [:]
        // Numbered names share blocks of slots: among them, names whose digits have the
        // same value (x1, x01), one so long its value wraps, and names of digits only.
        let numbered = [
            "x01", "x001", "x1", "x18446744073709551617", "x1844674407370955161700", "7", "007", "0", "a1b2", "a1b02",
        ]
        let names =
            (0..<300).map { i in
                i % 7 == 0 ? "name_\(i)_é" : i % 5 == 0 ? "" + String(repeating: "w", count: i % 40) : "x\(i)"
            } + numbered
        for step in 0..<20_000 {
            let name = names[Int(rng.next() % UInt64(names.count))]
            switch rng.next() % 5 {
            case 0:
                XCTAssertEqual(map.removeValue(forKey: name), dict.removeValue(forKey: name), "step \(step): remove \(name)")
            case 1:
                map[name] = nil
                dict[name] = nil
            case 2:
                map[name, default: 0] += 1
                dict[name, default: 0] += 1
            default:
                let v = Int(rng.next() % 1000)
                XCTAssertEqual(map.updateValue(v, forKey: name), dict.updateValue(v, forKey: name), "step \(step): set \(name)")
            }
            // Room asked for now and then (as a long script does) changes nothing.
            if step % 997 == 0 { map.reserveCapacity(Int(rng.next() % 500)) }
            XCTAssertEqual(map.count, dict.count, "step \(step): count")
            XCTAssertEqual(map[name], dict[name], "step \(step): \(name)")
        }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: map.map { ($0.key, $0.value) }), dict)
        XCTAssertEqual(map.filter { $0.value % 2 == 0 }.count, dict.filter { $0.value % 2 == 0 }.count)
        for n in names { XCTAssertEqual(map[n], dict[n], n) }
    }

    /// Names that differ only in their last digits' value, defined in order, take
    /// neighbouring slots: sixteen to a block, which is one cache line.
    func testNumberedNamesTakeNeighbouringSlots() {
        let mask = (1 << 17) - 1
        for family in ["x", "h2_", "layer"] {
            // Blocks whose names have as many digits each (x0…x9 and x10…x15 do not).
            for block in [1, 3, 7, 1250] {
                let slots = (0..<16).map { NameMap<Int>.slot(NameMap<Int>.hash("\(family)\(block * 16 + $0)"), mask) }
                let first = slots[0]
                XCTAssertEqual(first % 16, 0, "\(family): block \(block) starts a cache line of slots")
                XCTAssertEqual(slots, Array(first..<first + 16), "\(family): block \(block)")
            }
        }
        // Different families and blocks are spread apart.
        let starts = Set(
            ["x0", "x16", "x32", "h2_0", "layer0", "x10", "x100"].map { NameMap<Int>.slot(NameMap<Int>.hash($0), mask) })
        XCTAssertEqual(starts.count, 7)
        // Every hash is marked as an entry's (bit 1), never as a gap's (1).
        for n in ["", "x", "x0", "0", "é", "x18446744073709551617"] { XCTAssertEqual(NameMap<Int>.hash(n) & 3, 2, n) }
    }

    /// An order asked for after the order of its first root starts from that one: the
    /// same order as a search of its own.
    func testOrderAfterItsFirstRootsIsTheSearchOfBoth() {
        let g = Graph()
        var rng = SplitMix64(state: 5)
        for i in 0..<400 {
            if i < 10 {
                g.append(Node(kind: .leaf("x\(i)", .input), inputs: []))
            } else {
                g.append(Node(kind: .op(.add), inputs: [Int(rng.next() % UInt64(i)), Int(rng.next() % UInt64(i))]))
            }
        }
        for (a, b) in [(399, 398), (250, 399), (399, 5), (100, 100), (12, 300)] {
            let first = g.order([a])
            let both = g.order([a, b])
            XCTAssertEqual(both, g.search([a, b]), "order of [\(a), \(b)]")
            XCTAssertEqual(Array(both.prefix(first.count)), first, "order of [\(a), \(b)] begins with that of \(a)")
            XCTAssertEqual(Set(both).count, both.count, "no node twice")
            // The other way: the order of the first root read off the order of both.
            g.orders = []
            _ = g.order([a, b])
            XCTAssertEqual(g.order([a]), g.search([a]), "order of \(a) after that of [\(a), \(b)]")
        }
    }
}
