import Engine
import GraphLang
import XCTest

/// Every op's derivative, checked three independent ways (STYLE.md):
/// 1. forward mode against central finite differences;
/// 2. reverse mode against forward mode by ⟨ȳ, J·ẋ⟩ = ⟨Jᵀ·ȳ, ẋ⟩ with seeded random ẋ, ȳ;
/// 3. the `grad` graph (the symbolic derivative) evaluated at the point — numerically,
///    and as a formula in the leaves evaluated with their values — against both.
/// Second derivatives: `grad` of a `grad` graph against differences of the gradient.
final class DerivativeTests: XCTestCase {
    struct Rng {
        var g: UInt64
        mutating func next() -> Double {
            g = g &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(g >> 11) / Double(1 << 53)
        }
        mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * next() }
        /// Away from the kinks at 0 (relu, abs, step).
        mutating func awayFromZero() -> Double {
            let v = uniform(0.2, 2)
            return next() < 0.5 ? -v : v
        }
    }

    func tensor(_ shape: [Int], _ rng: inout Rng, positive: Bool) -> Tensor<Double> {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, data: (0..<n).map { _ in positive ? rng.uniform(0.5, 2) : rng.awayFromZero() })
    }

    func literal(_ t: Tensor<Double>) -> String { formatValue(.num(t), summarizeAbove: .max) }

    func dot(_ a: Value, _ b: Value) -> Double {
        guard let x = a.numeric, let y = b.numeric else { return .nan }
        return zip(x.data, y.data).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Runs the three checks for `expr` with respect to each input.
    func check(
        _ expr: String, inputs: [(String, [Int])], positive: Bool = false, symbolic: Bool = true, seed: UInt64 = 1,
        secondOrder: Bool = true, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        var rng = Rng(g: seed)
        let h = Harness()
        for (name, shape) in inputs {
            h.session.defineLeaf(name, kind: .input, value: .num(tensor(shape, &rng, positive: positive)), origin: nil)
        }
        guard h.run("y = \(expr)") == .ok else { return XCTFail("\(expr): \(h.err)", file: file, line: line) }
        let yv = try h.value("y")
        let ybar = tensor(yv.shape, &rng, positive: false)
        h.session.defineLeaf("ybar", kind: .input, value: .num(ybar), origin: nil)
        for (x, shape) in inputs {
            let g = h.session.graph
            let yNode = try h.session.node(named: "y")
            let xNode = try h.session.node(named: x)
            let order = g.order([yNode])
            var w: [Diagnostic] = []
            let values = try h.session.evaluate([yNode], warnings: &w)
            let dep = g.dependsOn(xNode, order: order)
            let xdot = tensor(shape, &rng, positive: false)
            // 1. Forward mode against central differences.
            var alg = ValueAlgebra()
            let (tan, _) = try Sweeps.forward(
                &alg, graph: g, order: order, value: { values[$0] ?? .scalar(.nan) },
                input: xNode, seed: .num(xdot), dep: dep)
            let jv = try tan[yNode].map { try Op.broadcastLike.evaluate([$0, yv]) } ?? .num(try Tensor.filled(yv.shape, 0))
            let x0 = h.session.values[x]!.numeric!
            let step = 1e-5
            func shifted(_ s: Double) throws -> Tensor<Double> {
                h.session.setValue(x, .num(try Tensor.zip(x0, xdot) { $0 + s * $1 }))
                return try h.value("y").numeric!
            }
            let plus = try shifted(step)
            let minus = try shifted(-step)
            h.session.setValue(x, .num(x0))
            let fd = try Tensor.zip(plus, minus) { ($0 - $1) / (2 * step) }
            for (k, (a, b)) in zip(jv.numeric!.data, fd.data).enumerated() {
                assertClose(
                    a, b, tol: 1e-6, "\(expr): forward vs finite differences, ∂y/∂\(x) element \(k):", file: file, line: line)
            }
            // 2. Reverse against forward: ⟨ȳ, J·ẋ⟩ = ⟨Jᵀ·ȳ, ẋ⟩.
            let (adj, _) = try Sweeps.reverse(
                &alg, graph: g, order: order, value: { values[$0] ?? .scalar(.nan) },
                output: yNode, seed: .num(ybar), dep: dep)
            let xbar = try adj[xNode].map { try Op.broadcastLike.evaluate([$0, .num(x0)]) } ?? .num(try Tensor.filled(shape, 0))
            assertClose(
                dot(.num(ybar), jv), dot(xbar, .num(xdot)), tol: 1e-10,
                "\(expr): ⟨ȳ, J·ẋ⟩ vs ⟨Jᵀ·ȳ, ẋ⟩ for \(x):", file: file, line: line)
            // 3. The grad graph, numerically and as a formula.
            let gradExpr = "grad(sum(y * ybar), \(x))"
            let gv = try h.value(gradExpr).numeric!
            for (k, (a, b)) in zip(gv.data, xbar.numeric!.data).enumerated() {
                assertClose(
                    a, b, tol: 1e-10, "\(expr): grad graph vs reverse sweep, element \(k) of ∂/∂\(x):", file: file, line: line)
            }
            if symbolic {
                let (p, _, _) = Parser.parse(SourceFile(name: "s", text: gradExpr))
                guard case .expression(let e) = p.statements[0].statement else { return XCTFail("parse") }
                let formula = try h.interpreter.evaluate(p, e, symbolic: true)
                var bindings: [String: Double] = [:]
                for (name, _) in inputs + [("ybar", ybar.shape)] {
                    let v = h.session.values[name]!.numeric!
                    if v.shape.isEmpty {
                        bindings[name] = v.data[0]
                    } else {
                        for (k, s) in symbolsLike(name, v.shape).data.enumerated() { bindings[s.text] = v.data[k] }
                    }
                }
                for (k, s) in formula.symbolic.data.enumerated() {
                    guard let at = s.evaluate(bindings) else {
                        XCTFail("\(expr): formula \(s.text) has unbound symbols", file: file, line: line)
                        break
                    }
                    assertClose(
                        at, gv.data[k], tol: 1e-9, "\(expr): formula \(s.text) at the point vs grad graph:", file: file,
                        line: line)
                }
            }
            // Second order: the directional derivative of the gradient, by differentiating
            // the grad graph again, against central differences of the gradient.
            if secondOrder {
                let v = tensor(shape, &rng, positive: false)
                h.session.defineLeaf("vdir", kind: .input, value: .num(v), origin: nil)
                let hv = try h.value("grad(sum(\(gradExpr) * vdir), \(x))").numeric!
                h.session.setValue(x, .num(try Tensor.zip(x0, v) { $0 + step * $1 }))
                let gp = try h.value(gradExpr).numeric!
                h.session.setValue(x, .num(try Tensor.zip(x0, v) { $0 - step * $1 }))
                let gm = try h.value(gradExpr).numeric!
                h.session.setValue(x, .num(x0))
                for (k, (a, b)) in zip(hv.data, zip(gp.data, gm.data).map { ($0 - $1) / (2 * step) }).enumerated() {
                    assertClose(
                        a, b, tol: 1e-5, "\(expr): Hessian·v vs differences of the gradient, element \(k):", file: file,
                        line: line)
                }
            }
        }
    }

    func symbolsLike(_ name: String, _ shape: [Int]) -> Tensor<Sym> {
        let n = shape.reduce(1, *)
        let strides = shape.indices.map { shape[($0 + 1)...].reduce(1, *) }
        return Tensor(
            shape: shape,
            data: (0..<n).map { k in
                var r = k
                let idx = strides.map { s -> String in
                    defer { r %= s }
                    return String(r / s + 1)
                }
                return Sym.symbol("\(name)[\(idx.joined(separator: ","))]")
            })
    }

    // MARK: - Each op

    func testArithmetic() throws {
        try check("a + b", inputs: [("a", [2, 3]), ("b", [3])])
        try check("a - b", inputs: [("a", [2, 3]), ("b", [2, 1])])
        try check("a * b", inputs: [("a", [2, 3]), ("b", [])])
        try check("a / b", inputs: [("a", [3]), ("b", [3])], positive: true)
        try check("a ^ b", inputs: [("a", [3]), ("b", [3])], positive: true)
        try check("a ^ 3", inputs: [("a", [2, 2])])
        try check("-a", inputs: [("a", [3])])
        try check("pow(a, 2.5)", inputs: [("a", [3])], positive: true)
    }

    func testElementwiseFunctions() throws {
        for f in ["exp", "sin", "cos", "tanh", "sigmoid", "relu", "softplus", "abs"] {
            try check("\(f)(a)", inputs: [("a", [2, 3])], seed: 3)
        }
        for f in ["log", "sqrt"] {
            try check("\(f)(a)", inputs: [("a", [2, 3])], positive: true)
        }
        try check("tan(a / 4)", inputs: [("a", [3])])
    }

    func testMatrixProductAllShapes() throws {
        try check("A @ B", inputs: [("A", [2, 3]), ("B", [3, 4])])
        try check("A @ v", inputs: [("A", [2, 3]), ("v", [3])])
        try check("v @ B", inputs: [("v", [3]), ("B", [3, 4])])
        try check("u @ v", inputs: [("u", [3]), ("v", [3])])
        try check("A'", inputs: [("A", [2, 3])])
        try check("transpose(A) @ A", inputs: [("A", [3, 2])])
        try check("dot(u, v)", inputs: [("u", [3]), ("v", [3])])
    }

    func testReductions() throws {
        try check("sum(A)", inputs: [("A", [2, 3])])
        try check("sum(A, 1)", inputs: [("A", [2, 3])])
        try check("sum(A, 2)", inputs: [("A", [2, 3])])
        try check("mean(A)", inputs: [("A", [2, 3])])
        try check("mean(A, 2)", inputs: [("A", [2, 3])])
        try check("max(A)", inputs: [("A", [2, 3])], symbolic: false, secondOrder: false)
        try check("max(A, 1)", inputs: [("A", [2, 3])], symbolic: false, secondOrder: false)
    }

    func testSoftmaxAndLosses() throws {
        try check("softmax(z)", inputs: [("z", [4])])
        try check("softmax(Z)", inputs: [("Z", [2, 3])])
        try check("softmax(Z, 1)", inputs: [("Z", [2, 3])])
        try check("log_softmax(Z)", inputs: [("Z", [2, 3])])
        try check("cross_entropy([0, 1, 0], p)", inputs: [("p", [3])], positive: true)
        try check("cross_entropy([[0, 1], [1, 0]], softmax(Z))", inputs: [("Z", [2, 2])])
        try check("mse(a, b)", inputs: [("a", [3]), ("b", [3])])
    }

    func testStructure() throws {
        try check("reshape(A, [3, 2])", inputs: [("A", [2, 3])])
        try check("A[2, 1] * A[1, 3]", inputs: [("A", [2, 3])])
        try check("A[2]", inputs: [("A", [2, 3])])
        try check("[a * b, a + b, b]", inputs: [("a", []), ("b", [])])
        try check("[[a, b], [b, a]] @ [a, b]", inputs: [("a", []), ("b", [])])
        // Slices: 1-based, both ends included.
        try check("A[:, 2] * A[2, :2]", inputs: [("A", [2, 3])])
        try check("v[2:4] * v[1:3]", inputs: [("v", [5])])
        try check("A[2:, 2:3]", inputs: [("A", [3, 3])])
        try check("sin(A[1:2, :]) @ v[3:]", inputs: [("A", [3, 2]), ("v", [4])])
    }

    func testNetworkLayer() throws {
        try check("sigmoid(W @ x + b)", inputs: [("W", [3, 2]), ("x", [2]), ("b", [3])])
        try check("tanh(X @ W + b)", inputs: [("X", [4, 2]), ("W", [2, 3]), ("b", [3])])
    }

    /// Random compositions of the ops (all but those with kinks, which have their own
    /// tests away from the kinks), with domains kept valid. Every form keeps the shape
    /// [3], so they nest freely; M is a 3×3 input.
    func testRandomExpressions() throws {
        var rng = Rng(g: 42)
        let unary = [
            "exp(%@ / 4)", "sin(%@)", "cos(%@)", "tanh(%@)", "sigmoid(%@)", "softplus(%@)",
            "log(softplus(%@) + 0.5)", "sqrt(%@ * %@ + 1)", "(%@ * %@ + 1) ^ 0.5", "-%@", "sum(%@) + %@",
            "mean(%@) * %@", "softmax(%@)", "log_softmax(%@)", "M @ %@ / 3", "%@ @ M / 3", "matmul(M', %@) / 3",
            "reshape(reshape(%@, [1, 3])', [3])", "[%@[2], x[1], %@[3] * x[2]]", "dot(%@, x) * x",
            "cross_entropy(softmax(%@), softmax(x)) + x", "mse(%@, x) * x", "pow(softplus(%@) + 1, 1.5)",
            "sum(M * (reshape(%@, [3, 1]) @ reshape(x, [1, 3])), 2) / 3", "mean(M + reshape(%@, [1, 3]), 1)",
        ]
        let binary = ["%@ + %@", "%@ - %@", "%@ * %@", "%@ / (%@ * %@ + 1)", "%@ * s", "s / (1 + %@ * %@)"]
        for round in 0..<40 {
            var e = rng.next() < 0.5 ? "x" : "s * x"
            for _ in 0..<(2 + round % 3) {
                if rng.next() < 0.5 {
                    e = unary[Int(rng.next() * Double(unary.count))].replacingOccurrences(of: "%@", with: "(\(e))")
                } else {
                    let other = rng.next() < 0.5 ? "x" : "s"
                    var t = binary[Int(rng.next() * Double(binary.count))]
                    if let r = t.range(of: "%@") { t.replaceSubrange(r, with: "(\(e))") }
                    e = t.replacingOccurrences(of: "%@", with: other)
                }
            }
            try check("sum(\(e))", inputs: [("x", [3]), ("s", []), ("M", [3, 3])], seed: UInt64(round + 7))
        }
    }

    // MARK: - Kinks and ties, pinned

    func testConventionsAtKinksAndTies() throws {
        let h = Harness()
        XCTAssertEqual(h.output("x = 0; print grad(relu(x), x)"), "0")
        XCTAssertEqual(h.output("x = 0; print grad(abs(x), x)"), "0")
        XCTAssertEqual(h.output("v = [3, 1, 3]; print grad(max(v), v)"), "[1, 0, 0]")
        XCTAssertEqual(h.output("M = [[1, 5], [5, 2]]; print grad(sum(max(M, 1)), M)"), "[[0, 1], [1, 0]]")
        XCTAssertEqual(h.output("x = 2; print grad(relu(x), x), grad(abs(-x), x)"), "1 1")
    }

    // MARK: - The lecture's results

    func testLectureDerivatives() throws {
        let h = Harness()
        h.run("a = 3; b = 2; c = a + b; d = b + 1; e = c * d")
        XCTAssertEqual(h.output("print grad(e, a), grad(e, b)"), "3 8")
        let s = Harness()
        s.run("c = a + b; d = b + 1; e = c * d")
        XCTAssertEqual(s.output("print grad(e, b)"), "a + 2*b + 1")
        XCTAssertEqual(s.output("assert grad(e, b) == a + 2*b + 1; print 1"), "1")
        XCTAssertEqual(s.output("print jacobian([x1 + x2*x3, 2*x3], [x1, x2, x3])"), "[[1, x3, x2], [0, 0, 2]]")
        XCTAssertEqual(s.output("print grad(cross_entropy([0, 1, 0], [y1, y2, y3]), [y1, y2, y3])"), "[0, -1/y2, 0]")
        XCTAssertEqual(
            s.output("print jacobian(sigmoid([z1, z2]), [z1, z2])"),
            "[[sigmoid(z1)*(1 - sigmoid(z1)), 0], [0, sigmoid(z2)*(1 - sigmoid(z2))]]")
        XCTAssertEqual(s.output("print hessian(x1^2 * x2, [x1, x2])"), "[[2*x2, 2*x1], [2*x1, 0]]")
    }

    func testSoftmaxJacobianIsDiagMinusOuter() throws {
        let h = Harness()
        h.run("z = [0.5, -1, 2]; s = softmax(z); J = jacobian(s, z)")
        let J = try h.value("J").numeric!
        let sv = try h.value("s").numeric!.data
        for i in 0..<3 {
            for j in 0..<3 {
                let expected = (i == j ? sv[i] : 0) - sv[i] * sv[j]
                assertClose(J.data[i * 3 + j], expected, tol: 1e-12, "softmax J[\(i + 1),\(j + 1)] vs diag(s) − s sᵀ:")
            }
        }
    }

    func testDzDWLayout() throws {
        // z = W a with W m×n: ∂z/∂W is m × (m·n), a_k in column (j−1)·n + k of row j.
        let h = Harness()
        h.run("W = [[1, 2, 3], [4, 5, 6]]; a = [7, 8, 9]; z = W @ a")
        XCTAssertEqual(h.output("print jacobian(z, W)"), "[[7, 8, 9, 0, 0, 0], [0, 0, 0, 7, 8, 9]]")
        let s = Harness()
        s.run("W = [[w11, w12], [w21, w22]]; z = [[W11, W12], [W21, W22]] @ [a1, a2]")
        XCTAssertEqual(s.output("print jacobian(z, [W11, W12, W21, W22])"), "[[a1, a2, 0, 0], [0, 0, a1, a2]]")
    }

    func testGradErrors() throws {
        let h = Harness()
        h.run("a = 3; b = 2; c = a + b; v = [1, 2]; k = constant(1)")
        XCTAssertEqual(h.error("print grad(v * a, a)"), "t:1:7: error: grad needs a scalar output, but this one has shape [2]")
        XCTAssertTrue(h.err.contains("hint: use jacobian(y, x)"), h.err)
        // Any node but a constant: with respect to c, c * 2 has derivative 2.
        XCTAssertEqual(h.output("print grad(c * 2, c)"), "2")
        XCTAssertEqual(h.error("print grad(c * k, k)"), "t:1:19: error: 'k' is a constant: it has no derivative")
        XCTAssertEqual(h.output("print grad(c, z)"), "0")
    }
}
