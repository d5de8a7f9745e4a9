import Engine
import GraphLang
import XCTest

/// The engine's derivative queries on their own, without the program: derivatives with
/// respect to any node, feeds, free symbols, traces, paths, finite differences, and that
/// asking never changes the session.
final class DerivativeQueryTests: XCTestCase {
    /// The lecture's e = (a + b)·(b + 1), with values or with a and b free.
    func lecture(values: Bool = true) -> Harness {
        let h = Harness()
        h.run((values ? "a = 3; b = 2; " : "") + "c = a + b; d = b + 1; e = c * d")
        return h
    }

    func query(_ h: Harness, _ out: String, feeds: [String: Value] = [:]) throws -> DerivativeQuery {
        try h.session.query(try h.session.node(named: out), feeds: feeds)
    }

    func node(_ h: Harness, _ name: String) throws -> Int { try h.session.node(named: name) }

    func number(_ v: Value) -> Double { v.scalarValue ?? .nan }

    func testDerivativeWithRespectToAnInnerNodeIsItsAdjoint() throws {
        // The lecture: ∂e/∂c = d = 3, ∂e/∂d = c = 5, as tf.gradients(e, c) gives.
        let h = lecture()
        let q = try query(h, "e")
        assertClose(number(try q.gradient(try node(h, "c"))), 3, "∂e/∂c")
        assertClose(number(try q.gradient(try node(h, "d"))), 5, "∂e/∂d")
        assertClose(number(try q.gradient(try node(h, "b"))), 8, "∂e/∂b")
        XCTAssertEqual(h.output("print grad(e, c), grad(e, d)"), "3 5")
        // As a graph: with a and b free, ∂e/∂c is d's formula, b + 1.
        let free = lecture(values: false)
        XCTAssertEqual(free.output("print grad(e, c)"), "b + 1")
        XCTAssertEqual(free.output("print grad(e, d)"), "a + b")
        // Three ways for an inner node: reverse, forward, finite differences.
        let c = try node(h, "c")
        let forward = try q.forwardTrace(c)
        XCTAssertEqual(forward.rows.last?.node, q.output)
        assertClose(number(forward.rows.last?.results.first ?? .scalar(.nan)), 3, "forward ∂e/∂c")
        let row = try XCTUnwrap(q.check([c]).first)
        XCTAssertTrue(row.agrees, "finite differences \(row.differences) against \(row.gradient)")
        assertClose(number(row.differences), 3, tol: 1e-6, "finite differences ∂e/∂c")
    }

    func testAnyNodeAsTheIndependentQuantity() throws {
        let h = Harness()
        h.run("x = ones([3])")
        XCTAssertEqual(h.output("print grad(sum(x*x), x)"), "[2, 2, 2]")
        // The slide's symbolic x: jacobian(W @ x, x) is W's entries, arranged row-major.
        h.run("W = [[1, -1], [0, 1]]; X = [[x1, x2], [x3, x4]]")
        XCTAssertEqual(
            h.output("print jacobian(W @ X, X)"), "[[1, 0, -1, 0], [0, 1, 0, -1], [0, 0, 1, 0], [0, 0, 0, 1]]")
        // A list written in place that the output does not use stands for its elements.
        h.run("y = [x1 + x2*x3, 2*x3]")
        XCTAssertEqual(h.output("print jacobian(y, [x1, x2, x3])"), "[[1, x3, x2], [0, 0, 2]]")
        // Only constants and numbers are refused.
        h.run("k = constant(2); f = x1 * k")
        XCTAssertEqual(h.error("print grad(f, k)"), "t:1:15: error: 'k' is a constant: it has no derivative")
        XCTAssertEqual(h.error("print grad(f, 2)"), "t:1:15: error: a number written in place has no derivative")
    }

    func testFeedsAnyLeafForOneQueryOnly() throws {
        let h = Harness()
        h.run("a = 3; b = 2; f = a * b; W = variable([1, 2]); g = sum(W) * a")
        let q = try query(h, "f", feeds: ["a": .scalar(10), "b": .scalar(1)])
        XCTAssertEqual(q.value, .scalar(10))
        assertClose(number(try q.gradient(try node(h, "a"))), 1, "∂f/∂a with b fed 1")
        let v = try query(h, "g", feeds: ["W": .num(Tensor(shape: [2], data: [5, 5]))])
        XCTAssertEqual(v.value, .scalar(30))
        XCTAssertEqual(h.output("print f, g"), "6 9")
        XCTAssertEqual(h.session.values["a"], .scalar(3))
    }

    func testFreeSymbolsGiveFormulasNeverNaN() throws {
        let h = lecture(values: false)
        let q = try query(h, "e")
        XCTAssertEqual(q.freeSymbols.sorted(), ["a", "b"])
        let b = try node(h, "b")
        let listing = q.paths(from: b, limit: 50, sample: 10)
        XCTAssertEqual(listing.count, BigCount(2))
        var terms: [String] = []
        for path in listing.paths {
            let p = try q.product(path) { e in try q.localPartial(e.parent, e.slot)?.value ?? .scalar(0) }
            terms.append(formatValue(p))
        }
        XCTAssertEqual(terms, ["b + 1", "a + b"])
        XCTAssertEqual(formatValue(try q.gradient(b)), "a + 2*b + 1")
        let (edges, count) = try q.edges()
        XCTAssertEqual(count, 5)
        for e in edges {
            guard case .scalar(let p) = e.partial else { return XCTFail("edge \(e) has no scalar partial") }
            XCTAssertFalse(formatValue(p.value).contains("nan"), formatValue(p.value))
        }
        let (trace, adjoints) = try q.reverseTrace()
        XCTAssertEqual(trace.rows.count, 5)
        XCTAssertEqual(formatValue(adjoints[b] ?? .scalar(.nan)), "a + 2*b + 1")
        // What needs numbers says which symbols are free.
        XCTAssertThrowsError(try q.check([b])) { error in
            XCTAssertEqual((error as? EvalError)?.message, "finite differences need numbers, but a and b are free symbols")
        }
    }

    func testTracesAgreeWithTheGradient() throws {
        let h = Harness()
        h.run("x = 0.7; y = -1.3; u = sin(x) * y; v = exp(u) + x / y; w = v * u + tanh(x)")
        let q = try query(h, "w")
        let (reverse, adjoints) = try q.reverseTrace()
        XCTAssertEqual(reverse.passes, 1)
        for name in ["x", "y"] {
            let id = try node(h, name)
            let fwd = try q.forwardTrace(id)
            let g = try q.gradient(id)
            assertClose(number(fwd.rows.last?.results.first ?? .scalar(.nan)), number(g), "forward ∂w/∂\(name)")
            assertClose(number(adjoints[id] ?? .scalar(.nan)), number(g), "reverse trace ∂w/∂\(name)")
            // The gradient graph, evaluated as a formula in the leaves, at the point.
            let formula = try XCTUnwrap(q.gradientFormula(id))
            XCTAssertTrue(formula.isSymbolic)
        }
        XCTAssertEqual(reverse.rows.first?.rule, "seed: w̄ = 1")
    }

    func testCheckJudgesWithAbsoluteAndRelativeTolerance() throws {
        // At x = 0 the gradient of x³ is exactly 0 and the central difference h² = 1e-12:
        // they agree (a relative test alone would call it a mismatch).
        let h = Harness()
        h.run("x = 0; f = x^3; r = relu(x); M = [[1, 2], [3, 4]]; s = sum(M * M)")
        let row = try XCTUnwrap(try query(h, "f").check([try node(h, "x")]).first)
        XCTAssertTrue(row.agrees, "gradient \(row.gradient) against \(row.differences)")
        // A real kink does not: relu'(0) = 0 by convention, the central difference 0.5.
        let kink = try XCTUnwrap(try query(h, "r").check([try node(h, "x")]).first)
        XCTAssertFalse(kink.agrees, "relu at 0: \(kink.gradient) against \(kink.differences)")
        // Shaped like the input.
        let m = try XCTUnwrap(try query(h, "s").check([try node(h, "M")]).first)
        XCTAssertEqual(m.differences.shape, [2, 2])
        XCTAssertTrue(m.agrees)
    }

    func testCheckChangesNoValueEvenWhenInterrupted() throws {
        let h = Harness()
        h.run("W = [[1, 2], [3, 4]]; s = sum(W * W)")
        var calls = 0
        let q = try h.session.query(try node(h, "s")) {
            calls += 1
            return calls > 3
        }
        let before = h.session.values
        XCTAssertThrowsError(try q.check([try node(h, "W")])) { XCTAssertTrue($0 is Interrupted, "\($0)") }
        XCTAssertEqual(h.session.values, before)
    }

    func testQueriesLeaveTheGraphAsItWas() throws {
        let h = lecture()
        let q = try query(h, "e")
        let size = h.session.graph.nodes.count
        let b = try node(h, "b")
        for _ in 0..<100 {
            _ = try q.forwardTrace(b)
            _ = try q.reverseTrace()
            _ = try q.edges(formulas: true)
            _ = try q.gradientFormula(b)
            _ = try q.jacobian([b])
            _ = try q.hessian([b])
            _ = h.output("print grad(e, b), jacobian([e, c], [a, b])")
        }
        XCTAssertEqual(h.session.graph.nodes.count, size)
    }

    func testModeCosts() throws {
        let h = Harness()
        h.run("x = [1, 2, 3, 4, 5, 6]; f = sum(x * x) / 2")
        let q = try query(h, "f")
        let c = q.costs([try node(h, "x")])
        XCTAssertEqual([c.forward, c.reverse], [18, 3])
        let j = try q.jacobian([try node(h, "x")])
        XCTAssertEqual(j.mode, "reverse")
        XCTAssertEqual(j.passes, 1)
        XCTAssertEqual(j.value, .num(Tensor(shape: [1, 6], data: [1, 2, 3, 4, 5, 6])))
    }

    func testLayeredNetBackpropMatchesReverseMode() throws {
        let h = Harness()
        let outcome = h.run(
            """
            x = [1, 0, 1]; label = [0, 1]
            W1 = variable(uniform([4, 3], -1, 1)); b1 = variable(zeros([4]))
            W2 = variable(uniform([2, 4], -1, 1)); b2 = variable(zeros([2]))
            y = softmax(W2 @ sigmoid(W1 @ x + b1) + b2)
            C = cross_entropy(label, y)
            """)
        XCTAssertEqual(outcome, .ok, h.err)
        let C = try node(h, "C")
        let net = try LayeredNet(graph: h.session.graph, loss: C)
        XCTAssertEqual(net.layers.map(\.activation), [.sigmoid, .softmax])
        let (_, gradients) = try net.backprop(try h.session.query(C))
        XCTAssertEqual(gradients.count, 4)
        for g in gradients { XCTAssertLessThanOrEqual(g.difference, 1e-12, "layer \(g.layer + 1)") }
    }

    func testTrainerLowersTheLossAndRefusesFreeSymbols() throws {
        let h = Harness()
        h.run("w = variable(0.5); t = 3; L = (w * 2 - t)^2")
        var trainer = try Trainer(
            session: h.session, loss: try node(h, "L"), variables: [], optimizer: .sgd, learningRate: 0.05, batch: nil)
        let first = try trainer.next()
        var last = first
        for _ in 0..<50 { last = try trainer.next() }
        XCTAssertLessThan(last, first * 1e-3, "loss from \(first) to \(last)")
        h.run("M = (w - free)^2")
        XCTAssertThrowsError(
            try Trainer(
                session: h.session, loss: try node(h, "M"), variables: [], optimizer: .adam, learningRate: 0.1, batch: nil)
        ) { XCTAssertEqual(($0 as? EvalError)?.message, "training needs numbers, but free is a free symbol") }
    }

    /// The first step takes the loss the trainer computed when it was made, unless the
    /// session changed in between: then it computes the loss anew.
    func testTrainersFirstStepSeesValuesSetAfterTheTrainerWasMade() throws {
        let h = Harness()
        h.run("w = variable(0.5); t = 3; L = (w * 2 - t)^2")
        var unchanged = try Trainer(
            session: h.session, loss: try node(h, "L"), variables: [], optimizer: .sgd, learningRate: 0.05, batch: nil)
        let first = try unchanged.next()
        XCTAssertEqual(first, 4, "(0.5·2 − 3)²: expected 4, observed \(first), tolerance 0")
        h.run("w := 0.5")
        var trainer = try Trainer(
            session: h.session, loss: try node(h, "L"), variables: [], optimizer: .sgd, learningRate: 0.05, batch: nil)
        h.run("t := 5")
        let loss = try trainer.next()
        XCTAssertEqual(loss, 16, "(0.5·2 − 5)²: expected 16, observed \(loss), tolerance 0")
    }

    /// A scalar edge straight into the output is its only path, so its local partial is
    /// the gradient: for every scalar edge of built-ins over a scalar and a vector
    /// (whose sum or mean must stay in the partial), and for ops beside them.
    func testEveryScalarEdgeIntoTheOutputIsItsGradient() throws {
        let h = Harness()
        h.run("y = 0.7; t = [1, -2, 4]; u = [0.5, 0.25, 2]")
        let outputs = [
            "mse(y, t)", "mse(t, y)", "dot(y, t)", "dot(t, y)", "mse(y, 3)", "dot(y, 2)", "sum(t) * y", "y / max(u)",
            "mean(u) ^ y",
        ]
        for (i, text) in outputs.enumerated() {
            h.run("L\(i) = \(text)")
            let q = try query(h, "L\(i)")
            let y = try node(h, "y")
            let inputs = h.session.graph.pathInputs(q.output)
            guard let slot = inputs.firstIndex(of: y) else {
                XCTFail("\(text): y is not an argument of the output")
                continue
            }
            let expected = number(try q.gradient(y))
            guard case .scalar(let p) = try q.partial(q.output, slot, formula: false) else {
                XCTFail("\(text): no scalar partial ∂L/∂y")
                continue
            }
            assertClose(number(p.value), expected, tol: 1e-12, "∂(\(text))/∂y: local partial against the gradient:")
        }
    }
}

/// The built-ins are one enum: every case has help whose example runs, and lowers.
final class BuiltinTests: XCTestCase {
    func testEveryBuiltinsExampleRuns() {
        for b in Builtin.allCases {
            let h = Harness()
            let code = String(b.example.split(separator: "#").first ?? "")
            XCTAssertTrue(code.contains(b.name + "("), "\(b.name): example \(b.example)")
            XCTAssertFalse(b.summary.isEmpty, b.name)
            XCTAssertTrue(b.usage.hasPrefix(b.name + "("), b.usage)
            let outcome = h.run(code)
            if b == .loadCSV {
                XCTAssertTrue(h.err.contains("cannot read"), h.err)
            } else {
                XCTAssertEqual(outcome, .ok, "\(b.name): \(code) → \(h.err)")
            }
            XCTAssertFalse(h.err.contains("internal"), h.err)
        }
    }
}
