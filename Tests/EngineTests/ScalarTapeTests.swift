import GraphLang
import XCTest

@testable import Engine

/// The scalar tape (evaluation and reverse sweep over a graph of numbers) must give
/// what the general evaluator and sweep give, bit for bit, on every op it takes over.
final class ScalarTapeTests: XCTestCase {
    static let specials: [Double] = [0, -0.0, 1, -1, 0.5, 2, -3, 1e-300, 1e300, 0.999, -0.25, 7, .infinity]

    /// A random graph of scalar ops over four leaves and some literals; returns the
    /// graph, its last node and the leaves.
    func randomGraph(_ rng: inout SplitMix64, nodes count: Int) -> (Graph, Int, [Int]) {
        let g = Graph()
        var ids: [Int] = []
        var leaves: [Int] = []
        for i in 0..<4 {
            let id = g.append(Node(kind: .leaf("x\(i)", .input), inputs: []))
            g.setName("x\(i)", of: id)
            ids.append(id)
            leaves.append(id)
        }
        for _ in 0..<4 {
            let v = ScalarTapeTests.specials[Int(rng.next() % UInt64(ScalarTapeTests.specials.count))]
            ids.append(g.append(Node(kind: .literal(.number(v)), inputs: [])))
        }
        let unary = UnaryFunction.allCases
        let binary: [Op] = [.add, .sub, .mul, .div, .pow, .unbroadcast, .broadcastLike, .reshapeLike]
        func pick() -> Int {
            // Mostly recent nodes, so the graph is deep.
            let recent = min(ids.count, 6)
            switch rng.next() % 4 {
            case 0: return ids[Int(rng.next() % UInt64(ids.count))]
            case 1: return ids[ids.count - 1]
            default: return ids[ids.count - 1 - Int(rng.next() % UInt64(recent))]
            }
        }
        for _ in 0..<count {
            let r = rng.next() % 10
            let node: Node
            if r < 4 {
                let op: Op = rng.next() % 8 == 0 ? .neg : .unary(unary[Int(rng.next() % UInt64(unary.count))])
                node = Node(kind: .op(op), inputs: [pick()])
            } else {
                // Now and then the seed of a gradient (ones like its input).
                let op = rng.next() % 40 == 0 ? .seedOne : binary[Int(rng.next() % UInt64(binary.count))]
                if case .seedOne = op {
                    node = Node(kind: .op(op), inputs: [pick()])
                } else {
                    node = Node(kind: .op(op), inputs: [pick(), pick()])
                }
            }
            ids.append(g.append(node))
        }
        return (g, ids.last!, leaves)
    }

    /// How a value is held: an inline number or a tensor of some shape.
    func form(_ v: Value) -> String {
        switch v {
        case .number: return "number"
        case .num(let t): return "tensor \(t.shape)"
        case .sym(let t): return "symbols \(t.shape)"
        }
    }

    func same(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    func testTapeAgreesWithTheGeneralSweepsBitForBit() throws {
        var rng = SplitMix64(state: 20_261_127)
        var compared = 0
        var tapes = 0
        for trial in 0..<600 {
            let (g, out, leaves) = randomGraph(&rng, nodes: 200)
            let leafValues = leaves.map { _ in
                ScalarTapeTests.specials[Int(rng.next() % UInt64(ScalarTapeTests.specials.count))]
                    * (rng.next() % 2 == 0 ? 1 : 0.37)
            }
            let order = g.order([out])
            guard order.count >= ScalarTape.minimumNodes else { continue }
            XCTAssertNotNil(ScalarTape(graph: g, order: order))
            tapes += 1
            // The general evaluation: each op's own evaluate, node by node.
            var want: [Int: Value] = [:]
            for n in order {
                switch g.nodes[n].kind {
                case .leaf(let name, _): want[n] = .number(leafValues[Int(name.dropFirst())!])
                case .literal(let v): want[n] = v
                case .op(let op): want[n] = try op.evaluate(g.nodes[n].inputs.map { want[$0]! })
                case .jacobian, .gradient: XCTFail("no jacobian or gradient here")
                }
            }
            var ev = Evaluator(graph: g) { name, _ in .number(leafValues[Int(name.dropFirst())!]) }
            let got = try ev.run(order)
            for n in order {
                guard let w = want[n]?.scalarValue, let o = got[n]?.scalarValue else {
                    XCTFail("trial \(trial), node \(n): missing value")
                    continue
                }
                XCTAssertTrue(same(w, o), "trial \(trial), node \(n): expected \(w), observed \(o), tolerance 0")
                XCTAssertEqual(form(want[n]!), form(got[n]!), "trial \(trial), node \(n): how the value is held")
            }
            // The reverse sweep for the leaves (one of them, or all).
            let sources = rng.next() % 2 == 0 ? leaves : [leaves[Int(rng.next() % 4)]]
            let dep = g.dependsOn(sources, order: order)
            var a = ValueAlgebra()
            let (wantAdj, wantRules) = try Sweeps.reverse(
                &a, graph: g, order: order, value: { want[$0]! }, output: out, seed: .number(1), dep: dep)
            let (gotAdj, gotRules) = try Sweeps.reverseValues(
                graph: g, order: order, values: got, output: out, seed: .number(1), dep: dep)
            XCTAssertEqual(gotRules, wantRules, "trial \(trial): rules applied")
            for n in order {
                switch (wantAdj[n]?.scalarValue, gotAdj[n]?.scalarValue) {
                case (nil, nil): continue
                case (let w?, let o?):
                    compared += 1
                    XCTAssertTrue(same(w, o), "trial \(trial), adjoint of node \(n): expected \(w), observed \(o), tolerance 0")
                case (let w, let o):
                    XCTFail(
                        "trial \(trial), adjoint of node \(n): expected \(String(describing: w)), observed \(String(describing: o))"
                    )
                }
            }
        }
        XCTAssertGreaterThan(tapes, 300, "graphs large enough for a tape")
        XCTAssertGreaterThan(compared, 5000, "adjoints compared")
    }

    func testALeafThatIsNotANumberLeavesTheWorkToTheGeneralEvaluator() throws {
        let h = Harness()
        var text = "v = [1, 2]\nx0 = 0.5\n"
        for i in 0..<100 { text += "x\(i + 1) = x\(i) * 0.5 + v\n" }
        text += "print x100\nprint grad(sum(x100), v)\n"
        XCTAssertEqual(h.output(text), "[2, 4]\n[2, 2]")
    }

    /// The plain-arithmetic reverse sweep (what a shown gradient uses, giving up at any
    /// special value) gives the general sweep's adjoints bit for bit whenever it does not
    /// give up; and the tape's dependence is the graph's.
    func testPlainReverseAgreesWhereItDoesNotGiveUp() throws {
        var rng = SplitMix64(state: 20_261_128)
        var agreed = 0
        var gaveUp = 0
        for trial in 0..<600 {
            let (g, out, leaves) = randomGraph(&rng, nodes: 200)
            // Ordinary numbers mostly; now and then a special one.
            let leafValues = leaves.map { _ in
                rng.next() % 8 == 0
                    ? ScalarTapeTests.specials[Int(rng.next() % UInt64(ScalarTapeTests.specials.count))]
                    : 0.5 + Double(rng.next() % 1000) / 1000
            }
            let order = g.order([out])
            guard order.count >= ScalarTape.minimumNodes, let tape = ScalarTape(graph: g, order: order) else { continue }
            var ev = Evaluator(graph: g) { name, _ in .number(leafValues[Int(name.dropFirst())!]) }
            let values = try ev.run(order)
            guard let xs = Sweeps.tapeValues(graph: g, order: order, values: values) else {
                XCTFail("trial \(trial): the values are numbers")
                continue
            }
            let sources = rng.next() % 2 == 0 ? leaves : [leaves[Int(rng.next() % 4)]]
            let dep = g.dependsOn(sources, order: order)
            let tapeDep = tape.dependsOn(sources, graphSize: g.nodes.count)
            for n in order { XCTAssertEqual(tapeDep[n], dep[n] == true, "trial \(trial), node \(n): depends on the sources") }
            var a = ValueAlgebra()
            let (want, wantRules) = try Sweeps.reverse(
                &a, graph: g, order: order, value: { values[$0]! }, output: out, seed: .number(1), dep: dep)
            guard let (adj, has, rules) = tape.reversePlain(values: xs, output: out, seed: 1, dep: tapeDep) else {
                gaveUp += 1
                continue
            }
            agreed += 1
            XCTAssertEqual(rules, wantRules, "trial \(trial): rules applied")
            for n in order {
                let w = want[n]?.scalarValue
                XCTAssertEqual(has[n], w != nil, "trial \(trial), node \(n): whether an adjoint reached it")
                if let w, has[n] {
                    XCTAssertTrue(
                        same(w, adj[n]), "trial \(trial), adjoint of node \(n): expected \(w), observed \(adj[n]), tolerance 0")
                }
            }
        }
        XCTAssertGreaterThan(agreed, 100, "sweeps that did not give up")
        XCTAssertGreaterThan(gaveUp, 10, "sweeps that gave up at a special value")
    }
}
