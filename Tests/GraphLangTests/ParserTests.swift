import XCTest

@testable import GraphLang

final class ParserTests: XCTestCase {
    func parse(_ text: String) -> (Program, [Diagnostic]) {
        let (p, d, _) = Parser.parse(SourceFile(name: "t", text: text))
        return (p, d)
    }

    /// S-expressions of every statement, one per line.
    func sexprs(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let (p, d) = parse(text)
        XCTAssertEqual(d.map(\.short), [], "unexpected diagnostics", file: file, line: line)
        return p.statements.map { p.sexpr(statement: $0.statement) }.joined(separator: "\n")
    }

    /// The names an expression uses, each once, in the order they are read; past 32 of
    /// them a set takes over from the list.
    func testNamesAreListedOnceInReadingOrder() {
        func names(_ text: String, excluding bound: Set<String> = []) -> [String] {
            let (p, _) = parse("y = " + text)
            guard case .define(_, _, let value) = p.statements[0].statement else { return [] }
            return p.names(in: value, excluding: bound)
        }
        XCTAssertEqual(names("f(a, b) * -b' + a[c] + a"), ["f", "a", "b", "c"])
        XCTAssertEqual(names("x * (k + x)", excluding: ["x"]), ["k"])
        let many = (1...40).map { "v\($0)" }
        XCTAssertEqual(names((many + many.reversed()).joined(separator: " + ")), many)
    }

    func testLectureExpression() {
        XCTAssertEqual(sexprs("e = (a+b)*(b+1)"), "(= e (* (+ a b) (+ b 1)))")
    }

    func testPrecedenceAndAssociativity() {
        XCTAssertEqual(sexprs("y = a + b * c - d / e"), "(= y (- (+ a (* b c)) (/ d e)))")
        XCTAssertEqual(sexprs("y = a ^ b ^ c"), "(= y (^ a (^ b c)))")
        XCTAssertEqual(sexprs("y = -x ^ 2"), "(= y (- (^ x 2)))")
        XCTAssertEqual(sexprs("y = x ^ -1"), "(= y (^ x -1))")
        XCTAssertEqual(sexprs("y = W @ x + b"), "(= y (+ (@ W x) b))")
        XCTAssertEqual(sexprs("y = a - b - c"), "(= y (- (- a b) c))")
        XCTAssertEqual(sexprs("t = a + 1 == b"), "(= t (== (+ a 1) b))")
        XCTAssertEqual(sexprs("t = a ~= b"), "(= t (~= a b))")
    }

    func testPostfixIndexTransposeCalls() {
        XCTAssertEqual(sexprs("y = A'"), "(= y (' A))")
        XCTAssertEqual(sexprs("y = A[1, 2] + x[3]"), "(= y (+ (index A 1 2) (index x 3)))")
        XCTAssertEqual(sexprs("y = relu(W @ x + b)"), "(= y (relu (+ (@ W x) b)))")
        XCTAssertEqual(sexprs("y = sum(x, 1)'"), "(= y (' (sum x 1)))")
        XCTAssertEqual(sexprs("y = f()"), "(= y (f))")
    }

    func testSlicesAndAssignment() {
        XCTAssertEqual(sexprs("y = x[2:4]"), "(= y (index x (: 2 4)))")
        XCTAssertEqual(sexprs("y = A[:, 1] + A[2:, :]"), "(= y (+ (index A (: _ _) 1) (index A (: 2 _) (: _ _))))")
        XCTAssertEqual(sexprs("y = x[:n+1]"), "(= y (index x (: _ (+ n 1))))")
        XCTAssertEqual(sexprs("w := w - 0.1 * g"), "(:= w (- w (* 0.1 g)))")
        XCTAssertEqual(sexprs(":repeat 3 a := a + 1; b := 2"), "(:repeat \"3 a := a + 1; b := 2\")")
        XCTAssertEqual(parse("y = x[2 3]").1.first?.message, "expected ']' to close the index, found number '3'")
    }

    func testTensorsAndNegativeLiterals() {
        XCTAssertEqual(sexprs("W = [[1, -1], [0, 1]]"), "(= W [[1 -1] [0 1]])")
        XCTAssertEqual(sexprs("x = [[x1, x2], [x3, x4]]"), "(= x [[x1 x2] [x3 x4]])")
        XCTAssertEqual(sexprs("v = [1e-3, 0.5, .25, 2E2]"), "(= v [0.001 0.5 0.25 200])")
    }

    func testStatements() {
        XCTAssertEqual(sexprs("fn f(x, y) = x * y"), "(fn f (x y) (* x y))")
        XCTAssertEqual(sexprs("print e, grad(e, b)"), "(print e (grad e b))")
        XCTAssertEqual(sexprs("assert grad(e, a) == 3"), "(assert (== (grad e a) 3))")
        XCTAssertEqual(sexprs(":paths e wrt b"), "(:paths \"e wrt b\")")
        XCTAssertEqual(sexprs(":list"), "(:list)")
        XCTAssertEqual(sexprs("a = 3; b = 2 # comment\ne"), "(= a 3)\n(= b 2)\ne")
        XCTAssertEqual(sexprs("a = 1; :grad e wrt a; b = 2"), "(= a 1)\n(:grad \"e wrt a\")\n(= b 2)")
    }

    func testOpenBracketsContinueLines() {
        XCTAssertEqual(sexprs("W = [[1, 2],\n     [3, 4]]\nc = (a +\n b)"), "(= W [[1 2] [3 4]])\n(= c (+ a b))")
        let (_, _, incomplete) = Parser.parse(SourceFile(name: "t", text: "W = [[1, 2],"))
        XCTAssertTrue(incomplete)
    }

    /// The parser's literal tags are the token kinds' tags, and its infix operators bind
    /// as the language says: comparisons loosest, then + and -, then *, / and @, then ^.
    func testTagsAndInfixOperators() {
        XCTAssertEqual(Parser.Tag.number, Token.Kind.number(0).tag)
        XCTAssertEqual(Parser.Tag.identifier, Token.Kind.identifier("x").tag)
        XCTAssertEqual(Parser.Tag.string, Token.Kind.string("s").tag)
        XCTAssertEqual(Parser.Tag.command, Token.Kind.command(name: "c", args: "", argsStart: 0).tag)
        let want: [(Token.Kind, BinaryOp, Int)] = [
            (.equalEqual, .eq, 1), (.bangEqual, .ne, 1), (.tildeEqual, .approx, 1), (.less, .lt, 1),
            (.lessEqual, .le, 1), (.greater, .gt, 1), (.greaterEqual, .ge, 1), (.plus, .add, 2), (.minus, .sub, 2),
            (.star, .mul, 3), (.slash, .div, 3), (.at, .matmul, 3), (.caret, .pow, 5),
        ]
        var byTag = [UInt8: (BinaryOp, Int)]()
        for (k, op, power) in want { byTag[k.tag] = (op, power) }
        for t in 0...255 {
            let got = Parser.infix(UInt8(t))
            XCTAssertEqual(got?.0, byTag[UInt8(t)]?.0, "tag \(t): operator")
            XCTAssertEqual(got?.1, byTag[UInt8(t)]?.1, "tag \(t): binding power")
        }
    }

    /// A number or a name as an operator's right side is made at once
    /// (`simpleOperand`); the general path makes the same nodes, spans and errors, on
    /// random lines of every token the parser knows.
    func testSimpleOperandsParseAsTheGeneralPathDoes() {
        var state: UInt64 = 27_112_026
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        let pieces = [
            "x", "y1", "0.5", "2", "inf", "nan", "print", "fn", "f(", "(", ")", "[", "]", ",", "+", "-", "*", "/", "@",
            "^", "'", "==", "<", ">=", "~=", ":", ";", "\n", " = ", "a[", "-1", "3x", "x y", "assert", "sin(",
        ]
        func parsed(_ text: String) -> String {
            let (p, diagnostics, _) = Parser.parse(SourceFile(name: "t", text: text))
            let statements = p.statements.map { p.sexpr(statement: $0.statement) + "@\($0.span.start)-\($0.span.end)" }
            let spans = p.nodes.map { "\($0.span.start)-\($0.span.end)" }
            let errors = diagnostics.map { "\($0.message)@\($0.span?.start ?? -1)" }
            return (statements + ["|"] + spans + ["|"] + errors).joined(separator: " ")
        }
        defer { Parser.simpleOperands = true }
        var compared = 0
        for round in 0..<3000 {
            var text = "z = "
            for _ in 0..<(1 + next(14)) { text += pieces[next(pieces.count)] + (next(3) == 0 ? " " : "") }
            Parser.simpleOperands = true
            let fast = parsed(text)
            Parser.simpleOperands = false
            let general = parsed(text)
            XCTAssertEqual(fast, general, "round \(round): \(text)")
            compared += 1
        }
        // And the chain's lines, and operands at the nesting limit (k brackets around
        // `a + b` or `a ^ 2`: at maxNesting - 1 the general path's call for `b` or `2`
        // is one too deep).
        var texts = ["x1 = x0 * 0.999 + x0 ^ 2 * 0.001 + 0.0001", "y = a ^ 2 ^ 3 * b - c / d"]
        for k in Parser.maxNesting - 3...Parser.maxNesting {
            for inner in ["a + b", "a ^ 2", "a * b + c"] {
                texts.append(String(repeating: "(", count: k) + inner + String(repeating: ")", count: k))
            }
        }
        for text in texts {
            Parser.simpleOperands = true
            let fast = parsed(text)
            Parser.simpleOperands = false
            XCTAssertEqual(fast, parsed(text), text)
        }
        XCTAssertEqual(compared, 3000)
    }

    /// A long script's expression nodes are megabytes: a node stays within 32 bytes
    /// (`ExprRef` in the cases that would set its size).
    func testAnExpressionNodeTakes32Bytes() {
        XCTAssertLessThanOrEqual(MemoryLayout<ExprNode>.stride, 32)
        let (p, d, _) = Parser.parse(SourceFile(name: "t", text: "y = x[2:4] + A[:, 1] ^ -b"))
        XCTAssertTrue(d.isEmpty, "\(d)")
        guard case .define(_, _, let v) = p.statements[0].statement else { return XCTFail("not a definition") }
        XCTAssertEqual(p.sexpr(v), "(+ (index x (: 2 4)) (^ (index A (: _ _) 1) (- b)))")
    }

    func testSpansCoverTheirText() {
        let src = SourceFile(name: "t", text: "e = (a+b)*(b+1)")
        let (p, _, _) = Parser.parse(src)
        guard case .define(_, _, let v) = p.statements[0].statement else { return XCTFail("not a definition") }
        XCTAssertEqual(src.text(p[v].span), "(a+b)*(b+1)")
        guard case .binary(_, let l, _) = p[v].kind else { return XCTFail("not binary") }
        XCTAssertEqual(src.text(p[Int(l)].span), "(a+b)")
    }

    func testDeepNestingGivesACleanError() {
        let depth = 100_000
        let text = "y = " + String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)
        let (_, d) = parse(text)
        XCTAssertEqual(d.count, 1)
        XCTAssertTrue(d[0].message.contains("nested too deeply"), d[0].message)
        let minus = "y = " + String(repeating: "-", count: 50_000) + "x"
        XCTAssertTrue(parse(minus).1.first?.message.contains("nested too deeply") ?? false)
        // Nesting within the limit is fine.
        XCTAssertEqual(parse("y = " + String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200)).1.count, 0)
    }

    func testLongSumParsesIteratively() {
        let text = "s = " + Array(repeating: "a", count: 300_000).joined(separator: " + ")
        let (p, d) = parse(text)
        XCTAssertEqual(d.count, 0)
        XCTAssertEqual(p.nodes.count, 300_000 * 2 - 1)
    }

    /// Names of plain arithmetic are read off the range of ids (`arithmeticNames`): the
    /// same names, in the same order, as the walk of the tree gives.
    func testNamesOfArithmeticAreTheWalksNames() {
        for text in [
            "x1 * 0.999 + x1 ^ 2 * 0.001 + 0.0001", "-(a - b) / -c + a", "a", "2", "b ^ a ^ b", "--a * (c - -b)",
            "(a + b) * (b + 1)", "f(a, b) + c", "[a, b] @ W", "a + g(b)[1]", "x' * y",
        ] {
            let (p, d, _) = Parser.parse(SourceFile(name: "t", text: text))
            XCTAssertTrue(d.isEmpty, text)
            guard case .expression(let e) = p.statements[0].statement else { return XCTFail(text) }
            XCTAssertEqual(p.names(in: e), p.names(in: e, excluding: ["not a name"]), text)
        }
    }
}
