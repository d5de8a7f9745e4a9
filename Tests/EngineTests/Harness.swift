import Engine
import GraphLang
import XCTest

/// Runs code in a fresh (or given) session and collects what a user would see.
final class Harness {
    var out = ""
    var err = ""
    let interpreter: Interpreter

    init(session: Session = Session()) {
        var o = ""
        var e = ""
        interpreter = Interpreter(session: session, write: { o += $0 }, writeError: { e += $0 })
        interpreter.write = { [unowned self] in self.out += $0 }
        interpreter.writeError = { [unowned self] in self.err += $0 }
        _ = (o, e)
    }

    var session: Session { interpreter.session }

    @discardableResult
    func run(_ code: String, name: String = "t") -> Interpreter.Outcome {
        interpreter.run(SourceFile(name: name, text: code))
    }

    /// The printed output of `code` (which must succeed), trimmed.
    func output(_ code: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        out = ""
        err = ""
        let o = run(code)
        XCTAssertEqual(o, .ok, "stderr: \(err)", file: file, line: line)
        return out.trimmingCharacters(in: .newlines)
    }

    /// The first error line of `code` (which must fail).
    func error(_ code: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        out = ""
        err = ""
        let o = run(code)
        XCTAssertNotEqual(o, .ok, "expected an error", file: file, line: line)
        return err.split(separator: "\n").first.map(String.init) ?? ""
    }

    /// The numbers of a printed expression.
    func value(_ expr: String) throws -> Value {
        let (p, ds, _) = Parser.parse(SourceFile(name: "v", text: expr))
        guard ds.isEmpty, case .expression(let e) = p.statements.first?.statement else {
            throw EvalError("bad expression \(expr)")
        }
        return try interpreter.evaluate(p, e)
    }
}

/// Asserts |expected − observed| ≤ tol·max(1, |expected|), printing all three.
func assertClose(
    _ observed: Double, _ expected: Double, tol: Double = 1e-9, _ what: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    let scale = max(1, abs(expected))
    if expected.isNaN && observed.isNaN { return }
    XCTAssert(
        abs(observed - expected) <= tol * scale,
        "\(what) expected \(expected), observed \(observed), tolerance \(tol) (relative)", file: file, line: line)
}
