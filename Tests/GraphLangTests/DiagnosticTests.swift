import GraphLang
import XCTest

/// Each case marks where the error must point with a caret line under the input.
final class DiagnosticTests: XCTestCase {
    func expectError(
        _ input: String, _ caret: String, _ message: String, note: String? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let (_, ds, _) = Parser.parse(SourceFile(name: "t.graph", text: input))
        guard let d = ds.first else { return XCTFail("no error for \(input)", file: file, line: line) }
        let column = caret.firstIndex(of: "^").map { caret.distance(from: caret.startIndex, to: $0) + 1 } ?? 0
        XCTAssertEqual(d.short, "t.graph:1:\(column): error: \(message)", file: file, line: line)
        if let note { XCTAssertTrue(d.notes.contains(note), "notes: \(d.notes)", file: file, line: line) }
    }

    func testLocations() {
        expectError(
            "a = (1 + * 2)",
            "         ^", "expected an expression, found '*'")
        expectError(
            "c = f(a, b",
            "          ^", "expected ')' to close the call to 'f', found end of input")
        expectError(
            "W = [[1, 2] [3, 4]]",
            "            ^", "expected ']' or ',' in the list opened at column 5, found '['")
        expectError(
            "a = 2b",
            "    ^", "a number cannot run into a name: '2b'", note: "hint: write '2*b' for a product")
        expectError(
            "a = 1 $ 2",
            "      ^", "unexpected character '$'")
        expectError(
            "x[0] = 1",
            "^", "only a name can be defined: the left side of '=' must be a name")
        expectError(
            "print a < b < c",
            "            ^", "comparisons do not chain")
        expectError(
            "e = a ! b",
            "      ^", "unexpected character '!'", note: "hint: '!=' means not equal")
    }

    func testRenderedFormHasSourceLineAndCaret() {
        let (_, ds, _) = Parser.parse(SourceFile(name: "s.graph", text: "a = 3\nc = (a + b\n"))
        let text = ds[0].rendered()
        XCTAssertEqual(
            text,
            """
            s.graph:2:11: error: expected ')' to close the '(' at column 5, found end of input
              c = (a + b
                        ^

            """)
    }

    func testDidYouMean() {
        XCTAssertEqual(didYouMean("sigmod", among: ["sigmoid", "softmax", "sum"]), ["hint: did you mean 'sigmoid'?"])
        XCTAssertEqual(didYouMean("softmx", among: ["sigmoid", "softmax"]), ["hint: did you mean 'softmax'?"])
        XCTAssertEqual(didYouMean("zzzzzz", among: ["sigmoid", "softmax"]), [])
    }
}
