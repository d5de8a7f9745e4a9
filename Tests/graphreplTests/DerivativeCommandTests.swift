import XCTest

@testable import graphrepl

/// What the derivative commands print for the lecture's graph, e = (a+b)*(b+1).
final class DerivativeCommandTests: XCTestCase {
    func lecture() -> Captured {
        let c = Captured()
        _ = c.run("a = 3; b = 2; c = a + b; d = b + 1; e = c * d")
        return c
    }

    func testGradOfALongChainGivesTheNumberWithoutAFormula() {
        // Past `formulaConeLimit` nodes :grad gives the number alone: the same as
        // print grad(…) gives, without building a formula nobody could read.
        let c = Captured()
        var text = ":set digits full\nx0 = 0.5\n"
        for i in 0..<400 { text += "x\(i + 1) = x\(i) * 0.999 + x\(i) ^ 2 * 0.001 + 0.0001\n" }
        _ = c.run(text)
        let printed = c.run("print grad(x400, x0)").trimmingCharacters(in: .newlines)
        XCTAssertEqual(c.run(":grad x400 wrt x0"), "∂x400/∂x0 = \(printed)\n")
        // A short chain still shows its formula.
        XCTAssertEqual(c.run("y1 = x0 * x0\n:grad y1 wrt x0"), "∂y1/∂x0 = 2*x0 = 1\n")
    }

    func testPartials() {
        XCTAssertEqual(
            lecture().run(":partials e"),
            """
            local partials of e, one per edge child → parent:
              ∂c/∂a = 1
              ∂c/∂b = 1
              ∂d/∂b = 1
              ∂e/∂c = d = 3
              ∂e/∂d = c = 5

            """)
    }

    func testPathsSumToTheDerivative() {
        XCTAssertEqual(
            lecture().run(":paths e wrt b"),
            """
            paths from b to e: 2
              b → c → e:  ∂c/∂b·∂e/∂c = 1·(b + 1) = 3
              b → d → e:  ∂d/∂b·∂e/∂d = 1·(a + b) = 5
            sum over paths: 1·(b + 1) + 1·(a + b) = 3 + 5 = 8
            ∂e/∂b = 8

            """)
        XCTAssertTrue(lecture().run(":paths e wrt a").hasSuffix("∂e/∂a = 3\n"))
    }

    func testPathCountBeyond64BitsIsExactAndImmediate() {
        let c = Captured()
        var text = "x0 = 1\n"
        for i in 1...80 { text += "x\(i) = x\(i - 1) * x\(i - 1)\n" }  // 2 edges per step: 2^80 paths
        _ = c.run(text)
        let out = c.run(":paths x80 wrt x0")
        XCTAssertTrue(out.hasPrefix("paths from x0 to x80: 1208925819614629174706176 — too many to list"), out)
        XCTAssertTrue(out.contains("sum over all 1208925819614629174706176 paths = ∂x80/∂x0 ="), out)
    }

    func testForwardAndReverse() {
        XCTAssertEqual(
            lecture().run(":forward e wrt b"),
            """
            forward mode: seed ḃ = ∂b/∂b = 1, then each node's tangent in order
              node  value  tangent rule   tangent ∂node/∂b
              b     2      seed: ḃ = 1    1
              c     5      ċ = ḃ          1
              d     3      ḋ = ḃ          1
              e     15     ė = ċ*d + c*ḋ  8
            1 pass (one per element of b), 3 node rules applied
            ∂e/∂b = 8

            """)
        let r = lecture().run(":reverse e")
        XCTAssertTrue(r.contains("  b     2      b̄ = d̄ + c̄     8\n"), r)
        XCTAssertTrue(r.contains("  c     5      c̄ = ē*d       3\n"), r)
        XCTAssertTrue(r.hasSuffix("  ∂e/∂a = 3   ∂e/∂b = 8\n"), r)
    }

    func testGradSymbolicAndNumeric() {
        XCTAssertEqual(lecture().run(":grad e"), "∂e/∂a = b + 1 = 3\n∂e/∂b = a + 2*b + 1 = 8\n")
        let c = lecture()
        _ = c.run("z = 4")
        XCTAssertEqual(c.run(":grad e wrt z"), "∂e/∂z = 0  (no path from z to e)\n")
    }

    func testJacobianOfTheLectureWithCosts() {
        let c = Captured()
        _ = c.run("y = [x1 + x2*x3, 2*x3]")
        XCTAssertEqual(
            c.run(":jacobian y wrt x1, x2, x3"),
            """
            Jacobian ∂y/∂[x1, x2, x3]: 2×3
                    x1  x2  x3
              y[1]  1   x3  x2
              y[2]  0   0   2
            cost: forward mode 3 passes (one per input element) × 4 rules = 12
                  reverse mode 2 passes (one per output element) × 4 rules = 8
              reverse mode is cheaper here: 2 outputs < 3 inputs
              (why backprop uses it: one scalar loss, many weights)

            """)
    }

    func testHessianAndCheck() {
        let c = Captured()
        _ = c.run("x1 = 1; x2 = 2; f = x1^2 * x2")
        let h = c.run(":hessian f wrt x1, x2")
        XCTAssertTrue(h.contains("  ∂f/∂x1  2*x2  2*x1\n"), h)
        XCTAssertTrue(h.contains("  ∂f/∂x1  4   2\n"), h)
        let k = lecture().run(":check e")
        XCTAssertTrue(k.hasSuffix("all agree: each |difference| is within 1e-5·max(|g|, |fd|) + 1e-8·max(1, |e|)\n"), k)
        XCTAssertTrue(k.contains("  a      3             3  "), k)
    }

    func testCommandErrors() {
        let c = lecture()
        XCTAssertTrue(c.fail(":paths e wrt zz").hasPrefix("t:1:14: error: 'zz' is not defined"))
        XCTAssertTrue(c.fail(":paths e").hasPrefix("t:1:1: error: ':paths' needs 'wrt' and what to differentiate"))
        XCTAssertTrue(c.fail(":partial e").contains("did you mean 'partials'?"))
        _ = c.run("v = [1, 2] * a")
        XCTAssertTrue(c.fail(":reverse v").contains("v has shape [2]: reverse mode needs a scalar output"), c.err)
        // Nothing named is dropped: an argument a command cannot use is an error at it.
        XCTAssertTrue(c.fail(":paths e wrt a b").hasPrefix("t:1:16: error: expected ',' between the names after 'wrt'"), c.err)
        XCTAssertTrue(c.fail(":partials e wrt a").hasPrefix("t:1:13: error: ':partials' does not take 'wrt' here"), c.err)
        XCTAssertTrue(c.fail(":reverse e b").hasPrefix("t:1:12: error: ':reverse' does not take 'b' here"), c.err)
        XCTAssertTrue(c.fail(":grad e wrt a,").hasPrefix("t:1:1: error: ':grad' needs a name after ','"), c.err)
        _ = c.run("k = constant(2); f = e * k")
        XCTAssertTrue(c.fail(":grad f wrt a, k").hasPrefix("t:1:16: error: 'k' is a constant: it has no derivative"), c.err)
    }

    func testWrtListsGiveOneSectionPerInput() {
        let p = lecture().run(":paths e wrt a, b")
        XCTAssertEqual(p.components(separatedBy: "paths from ").count - 1, 2, p)
        XCTAssertTrue(p.contains("∂e/∂a = 3\n\npaths from b to e: 2"), p)
        let f = lecture().run(":forward e wrt a, b")
        XCTAssertTrue(f.contains("∂e/∂a = 3\n") && f.contains("∂e/∂b = 8\n"), f)
        XCTAssertEqual(f.components(separatedBy: "forward mode: seed").count - 1, 2, f)
        XCTAssertEqual(lecture().run(":grad e wrt a, b"), "∂e/∂a = b + 1 = 3\n∂e/∂b = a + 2*b + 1 = 8\n")
    }

    func testDerivativesWithRespectToInnerNodes() {
        // The lecture's ∂e/∂c = d and ∂e/∂d = c.
        XCTAssertEqual(lecture().run(":grad e wrt c, d"), "∂e/∂c = b + 1 = 3\n∂e/∂d = a + b = 5\n")
        XCTAssertEqual(
            lecture().run(":paths e wrt c"),
            """
            paths from c to e: 1
              c → e:  ∂e/∂c = b + 1 = 3
            sum over paths: b + 1 = 3
            ∂e/∂c = 3

            """)
        XCTAssertTrue(
            lecture().run(":forward e wrt c").hasSuffix("1 pass (one per element of c), 1 node rule applied\n∂e/∂c = 3\n"))
    }

    func testFreeSymbolsGiveFormulasNotNaN() {
        let c = Captured()
        _ = c.run("c = a + b; d = b + 1; e = c * d")
        let paths = c.run(":paths e wrt b")
        XCTAssertEqual(
            paths,
            """
            paths from b to e: 2
              b → c → e:  ∂c/∂b·∂e/∂c = 1·(b + 1) = b + 1
              b → d → e:  ∂d/∂b·∂e/∂d = 1·(a + b) = a + b
            sum over paths: 1·(b + 1) + 1·(a + b) = (b + 1) + (a + b) = a + 2*b + 1
            ∂e/∂b = a + 2*b + 1

            """)
        for command in [
            ":partials e", ":forward e wrt b", ":reverse e", ":grad e", ":jacobian e wrt a, b", ":hessian e wrt a, b",
        ] {
            let out = c.run(command)
            XCTAssertFalse(out.contains("nan"), "\(command):\n\(out)")
        }
        XCTAssertTrue(c.run(":partials e").contains("∂e/∂c = d = b + 1"))
        XCTAssertTrue(c.fail(":check e").contains("error: finite differences need numbers, but a and b are free symbols"), c.err)
    }

    func testCheckShowsMatricesAsMatrices() {
        let c = Captured()
        _ = c.run("W = [[1, 2], [3, 4]]; s = sum(W * W)")
        let out = c.run(":check s")
        XCTAssertTrue(out.contains("[[2, 4], [6, 8]]  [[2"), out)
        XCTAssertTrue(out.contains("all agree"), out)
    }

    func testReadOnlyCommandsLeaveTheGraphAsItWas() {
        let c = lecture()
        _ = c.run("W = [[1, 2], [3, 4]]; v = [1, 1]; L = sum(tanh(W @ v))")
        _ = c.run(":grad e; :grad L")
        let graph = c.driver.interpreter.session.graph
        let size = graph.nodes.count
        let commands = [
            ":partials e", ":paths e wrt b, c", ":forward e wrt a", ":reverse e", ":grad e wrt c", ":jacobian e wrt a, b",
            ":hessian e wrt a, b", ":check e", "print grad(e, b), hessian(e, [a, b])", ":run e with a = 1",
            ":graph e grad partials", ":dot e", ":grad L", ":check L", "assert grad(e, c) == d", "grad(L, W)",
        ]
        for i in 0..<1000 { _ = c.run(commands[i % commands.count]) }
        XCTAssertTrue(c.driver.interpreter.session.graph === graph)
        XCTAssertEqual(graph.nodes.count, size)
    }
}

/// What a first audit found, each as the user met it.
final class DerivativeEdgeCaseTests: XCTestCase {
    func testAnExpressionWrittenAsWrtIsAnErrorNotAZero() {
        let c = Captured()
        _ = c.run("x = [3, 4]; f = x[1]^2 * x[2]; M = [[1, 2], [3, 4]]; t = sum(M*M)")
        XCTAssertEqual(c.run("print grad(f, x)"), "[24, 9]\n")
        XCTAssertTrue(c.fail("print grad(f, x[1])").hasPrefix("t:1:15: error: 'x[1]' is an expression written here"), c.err)
        XCTAssertTrue(c.err.contains("hint: for an element, index the gradient: grad(f, x)[1]"), c.err)
        XCTAssertTrue(c.fail("print jacobian(f, x[2])").contains("is an expression written here"), c.err)
        XCTAssertTrue(c.fail("print grad(t, transpose(M))").contains("'M'' is an expression written here"), c.err)
        XCTAssertEqual(c.run("print grad(f, x)[1]"), "24\n")
    }

    func testAnUndefinedWrtNameGetsANote() {
        let c = Captured()
        _ = c.run("a = 3; b = 2; c = a + b; d = b + 1; e = c * d")
        XCTAssertEqual(c.run("print grad(e, dd)"), "0\n")
        XCTAssertTrue(c.err.contains("note: 'dd' is not defined and e does not use it, so the derivative is 0"), c.err)
        XCTAssertTrue(c.err.contains("did you mean 'd'?"), c.err)
        _ = c.run("fn f(t) = t*t + b; y = f(a)*a")
        _ = c.run("print grad(y, t)")
        XCTAssertTrue(c.err.contains("'t' is a parameter of f"), c.err)
        _ = c.run("print grad(e, a)")
        XCTAssertEqual(c.err, "")
    }

    func testHessianWithInputsOfDifferentShapes() {
        let c = Captured()
        _ = c.run("a = 2; v = [1, 2, 3]; s = sum(v*v*a)")
        let h = c.run(":hessian s wrt a, v")
        XCTAssertTrue(h.hasPrefix("Hessian of s: 4×4\n"), h)
        XCTAssertTrue(h.contains("  ∂s/∂a     0  2     4     6\n"), h)
        XCTAssertTrue(h.contains("  ∂s/∂v[3]  6  0     0     4\n"), h)
        XCTAssertTrue(
            c.fail("print grad(s, [a, v])").contains(
                "the gradients with respect to [a, v] have shapes [], [3]: a list needs one shape"),
            c.err)
    }

    func testStepAndSignArePathsWithPartialZero() {
        let c = Captured()
        _ = c.run("a = 1; e = step(a) * 3; g = sign(a) * a")
        let p = c.run(":paths e wrt a")
        XCTAssertTrue(p.hasPrefix("paths from a to e: 1\n  a → (step(a)) → e:  ∂(step(a))/∂a·∂e/∂(step(a)) = 0·3 = 0\n"), p)
        XCTAssertTrue(c.run(":partials e").contains("  ∂(step(a))/∂a = 0\n  ∂e/∂(step(a)) = 3\n"))
        XCTAssertTrue(c.run(":paths g wrt a").hasPrefix("paths from a to g: 2\n"))
        XCTAssertTrue(c.run(":forward e wrt a").hasSuffix("∂e/∂a = 0\n"))
        XCTAssertTrue(c.run(":reverse e").contains("  e     3      seed: ē = 1   1\n"))
    }

    func testOutputMustBeANameAndExtraArgumentsAreErrors() {
        let c = Captured()
        _ = c.run("y = [1, 2]; a = 1; b = 2")
        XCTAssertTrue(
            c.fail(":grad sum(y) wrt y").hasPrefix("t:1:7: error: ':grad' takes the name of an output, not an expression"))
        XCTAssertTrue(c.err.contains("hint: name it first, 'out = sum(y)', then ':grad out …'"), c.err)
        XCTAssertTrue(c.fail(":paths a*b wrt a").contains("':paths' takes the name of an output"), c.err)
        XCTAssertTrue(c.fail(":list y").contains("':list' does not take 'y' here"), c.err)
        XCTAssertTrue(c.fail(":reset y").contains("':reset' does not take 'y' here"), c.err)
        XCTAssertEqual(c.run("print a"), "1\n")
        XCTAssertTrue(c.fail(":quit now").contains("':quit' does not take 'now' here"), c.err)
    }

    func testTrainRefusesRepeatsAndNonVariables() {
        let c = Captured()
        _ = c.run("W = variable([[0.5, -1], [0.2, 0.3]]); x = [1, 2]; L = sum((W @ x)^2)")
        XCTAssertTrue(c.fail(":train L wrt W, W steps=2").hasPrefix("t:1:17: error: 'W' is named twice"), c.err)
        XCTAssertTrue(c.fail(":train L steps=2 steps=3").hasPrefix("t:1:18: error: 'steps' is given twice"), c.err)
        XCTAssertTrue(c.fail(":train L wrt x").hasPrefix("t:1:14: error: 'x' is not a variable"), c.err)
        XCTAssertEqual(c.run("print W"), "[[0.5, -1], [0.2, 0.3]]\n")
    }

    func testFeedsAreCheckedAndFreeSymbolsCanBeFed() {
        let c = Captured()
        _ = c.run("W = variable([[1, 2, 3], [4, 5, 6]]); v = [1, 1, 1]; y = sum(W @ v); e = p * 2")
        XCTAssertTrue(
            c.fail(":run y with W = [[1, 2]]").contains("'W' is a variable of shape [2, 3]; the value fed has shape [1, 2]"),
            c.err)
        XCTAssertEqual(c.run(":run e with p = 4"), "8\n")
        XCTAssertEqual(c.run("print e"), "2*p\n")
    }

    func testCheckSaysWhereDifferencesAreUndefined() {
        let c = Captured()
        _ = c.run("a = 1e-12; e = sqrt(a)")
        let out = c.run(":check e")
        XCTAssertTrue(out.contains("undefined"), out)
        XCTAssertTrue(
            out.hasSuffix("some differences are not finite: x ± h leaves the domain of a function (log, sqrt)\n"), out)
    }

    func testDrawingsParenthesiseUnnamedNodes() {
        let c = Captured()
        _ = c.run("a = 3; p = 2; e = (p + a) * a")
        let g = c.run(":graph e grad partials")
        XCTAssertTrue(g.contains("∂e/∂(p + a) = a = 3"), g)
        XCTAssertTrue(g.contains("∂(p + a)/∂p = 1"), g)
    }

    func testLargeWholeNumbersPrintWithoutPointZero() {
        XCTAssertEqual(Captured().run("print 4e15"), "4000000000000000\n")
    }
}

/// What a review of the derivative core found.
final class DerivativeReviewTests: XCTestCase {
    func testEveryPrintOfAGeneratorDrawsNewNumbers() {
        let c = Captured()
        var seen = Set<String>()
        for _ in 0..<50 { seen.insert(c.run("print uniform([2], 0, 1)")) }
        XCTAssertEqual(seen.count, 50, "a random call typed again drew numbers already drawn")
    }

    func testNoPartialIsClaimedThroughAJacobianNode() {
        let c = Captured()
        _ = c.run("x = 2; f = x^3; H = jacobian(f, x)")
        let p = c.run(":partials H")
        XCTAssertFalse(p.contains("∂H/"), p)
        let g = c.run(":graph H partials")
        XCTAssertFalse(g.contains("∂H/∂f = 0") || g.contains("∂H/∂x = 0"), g)
        XCTAssertTrue(g.contains("∂f/∂x = 3*x^2 = 12"), g)
    }

    func testTrainingAVariableTheLossDoesNotUseIsRefused() {
        let c = Captured()
        _ = c.run("w = variable(1); u = variable(2); L = (w - 3)^2")
        XCTAssertTrue(c.fail(":train L wrt u steps=3").contains("L does not use 'u': training it would change nothing"), c.err)
    }

    func testRunFeedsAFreeSymbolOfTheOutputExpression() {
        XCTAssertEqual(Captured().run(":run q * 2 + r with q = 3, r = 1"), "7\n")
    }

    func testAScalarEdgeOfABuiltInOverTensorsKeepsItsSumOrMean() {
        // ∂mse(y, t)/∂y = mean(2(y − t)) and ∂dot(x, v)/∂x = sum(v): the sum and mean are
        // identities only when everything inside is one number.
        let c = Captured()
        _ = c.run("y = 2; t = [1, 2, 4]; L = mse(y, t); x = 3; v = [1, 2, 3]; D = dot(x, v)")
        for (out, wrt, line) in [
            ("L", "y", "  ∂L/∂y = mean(2*(y - t)) = -0.6666666666666666\n"), ("D", "x", "  ∂D/∂x = sum(v) = 6\n"),
        ] {
            let partials = c.run(":partials \(out)")
            XCTAssertTrue(partials.contains(line), "expected the line \(line) in\n\(partials)")
            // The one path's partial is the gradient.
            let expected = Double(c.run("print grad(\(out), \(wrt))").trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan
            let observed = Double(line.split(separator: "=").last!.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan
            XCTAssertEqual(observed, expected, accuracy: 1e-12, "∂\(out)/∂\(wrt): expected \(expected), observed \(observed)")
        }
    }

    func testAnOpenedBuiltInLabelsEachInnerEdgeWithItsOwnPartial() {
        let c = Captured()
        _ = c.run("y = 2; t = 5; L = mse(y, t)")
        let drawn = c.run(":graph L partials open mse")
        XCTAssertTrue(drawn.contains("│ ∂L/∂((y - t)^2) = 1 │"), drawn)  // the mean of one number, not ∂L/∂y
        XCTAssertTrue(drawn.contains("│ ∂(y - t)/∂t = -1 │"), drawn)
        let dot = c.run(":dot L partials open mse")
        XCTAssertTrue(dot.contains("n4 -> n5 [label=\"1\"];"), dot)
        XCTAssertTrue(dot.contains("[label=\"(y - t)^2\\n= 9"), dot)
        // A file name is one word unless quoted; nothing is written.
        let err = c.fail(":dot L open mse my file.dot")
        XCTAssertTrue(err.contains("error: ':dot' writes one file, and 'my file.dot' is more than one word"), err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "my file.dot"))
    }

    func testPathsOfScalarEdgesBesideTensorsAreProducts() {
        let c = Captured()
        _ = c.run("y = 2; t = [1, 2, 4]; L = mse(y, t); s = dot(y, t); M = s^2 + L; z = y * t; N = sum(z)")
        let m = c.run(":paths M wrt y")
        XCTAssertTrue(m.contains("  y → L → M:  ∂L/∂y·∂M/∂L = "), m)
        XCTAssertTrue(m.contains(" = 196 - 0.6666666666666666 = 195.33333333333334\n∂M/∂y = 195.33333333333334\n"), m)
        XCTAssertFalse(m.contains("Jacobian"), m)
        // z = y * t is a vector: its edges are Jacobians.
        let n = c.run(":paths N wrt y")
        XCTAssertTrue(n.contains("  y → z → N\n  (each edge is a Jacobian;"), n)
    }

    func testAnEngineErrorInACommandIsLocatedAtTheCommand() {
        let c = Captured()
        _ = c.run("x = 2; f = x^3; H = jacobian(f, x); y = 1; K = sum(H) * y")
        for command in [":jacobian K wrt x, y", ":grad K", ":check K"] {
            let err = c.fail(command)
            XCTAssertTrue(
                err.hasPrefix("t:1:1: error: cannot differentiate through jacobian(…)")
                    && err.contains("\n  \(command)\n  ^~~~"), "\(command):\n\(err)")
        }
    }

    func testCommandsAfterARedefinitionKeepTheGraphTheyCompile() {
        let c = Captured()
        _ = c.run("a = 3; b = 2; c = a + b; e = c * c")
        _ = c.run("c = a * b")  // e's graph is compiled anew
        _ = c.run(":grad e")
        let graph = c.driver.interpreter.session.graph
        let size = graph.nodes.count
        XCTAssertNotNil(graph.named["e"], "e was compiled for the command and dropped with its scratch work")
        _ = c.run(":grad e; print e")
        XCTAssertEqual(graph.nodes.count, size)
    }
}
