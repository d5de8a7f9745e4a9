import Engine
import GraphLang
import XCTest

@testable import graphrepl

/// The loop through the LineReader seam: continuation, errors that do not end it, quit.
final class SessionLoopTests: XCTestCase {
    func testContinuationPromptWhileABracketIsOpen() {
        let c = Captured()
        let reader = ScriptedLineReader(["W = [[1, 2],", "     [3, 4]]", "print W", ":quit", "print 99"])
        XCTAssertEqual(c.driver.repl(reader: reader, banner: false), 0)
        XCTAssertEqual(reader.prompts, [">>> ", "... ", ">>> ", ">>> "])
        XCTAssertEqual(c.out, "[[1, 2], [3, 4]]\n")
    }

    func testEachEntryIsParsedOnce() {
        // Each line read is parsed once with the lines before it; the parse that finds the
        // brackets closed is the one that runs.
        let c = Captured()
        let reader = ScriptedLineReader(["a = 1", "b = [a,", "2]", "print b"])
        let before = Parser.unitsParsed
        XCTAssertEqual(c.driver.repl(reader: reader, banner: false), 0)
        XCTAssertEqual(Parser.unitsParsed - before, 4)
        XCTAssertEqual(c.out, "[1, 2]\n")
    }

    func testNoInputEndsTheSession() {
        let c = Captured()
        let garbage = [
            "]]]", "\u{0}", "fn", ":", "::", "print", String(repeating: "(", count: 5000) + "1",
            String(repeating: "x + ", count: 100_000) + "x", "\u{FFFD}\u{FFFD}", "a = 1", "print a",
        ]
        let reader = ScriptedLineReader(garbage)
        XCTAssertEqual(c.driver.repl(reader: reader, banner: false), 0)
        XCTAssertTrue(c.out.hasSuffix("1\n"), c.out)
        XCTAssertTrue(reader.lines.isEmpty)
    }

    func testHelpCoversEveryCommandAndFunction() {
        let c = Captured()
        // Every entry within 80 columns (piped output).
        func fits(_ text: String) {
            for line in text.split(separator: "\n") { XCTAssertLessThanOrEqual(line.count, 80, "\(line)\nin\n\(text)") }
        }
        for info in Commands.registry {
            let text = c.run(":help \(info.name)")
            XCTAssertTrue(text.contains("example:"), "no example for :\(info.name)")
            fits(text)
        }
        for b in Builtins.all {
            let text = c.run(":help \(b.name)")
            XCTAssertTrue(text.contains(b.usage), b.name)
            fits(text)
        }
        // A name that is both a command and a function explains both.
        let grad = c.run(":help grad")
        XCTAssertTrue(grad.contains(":grad OUT [wrt IN, …]") && grad.contains("grad(f, x)"), grad)
        let overview = c.run(":help")
        XCTAssertTrue(overview.contains(":paths OUT wrt IN"))
        for line in overview.split(separator: "\n") { XCTAssertLessThanOrEqual(line.count, 80, String(line)) }
    }

    func testListSetDelResetSaveLoad() throws {
        let c = Captured()
        _ = c.run("a = 3; b = 2; e = (a+b)*(b+1); W = variable([[1, 2]]); x = placeholder([2])")
        let list = c.run(":list")
        XCTAssertTrue(list.contains("e     op           []      = (a+b)*(b+1)  → 15\n"), list)
        XCTAssertTrue(list.contains("x     placeholder  [2]     (fed when run)\n"), list)
        _ = c.run(":set digits 3")
        XCTAssertEqual(c.run("print 2/3"), "0.667\n")
        XCTAssertTrue(c.run(":set").contains("digits  3"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("s-\(UUID().uuidString).graph").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        _ = c.run(":save \(file)")
        _ = c.run(":reset")
        XCTAssertEqual(c.run(":list"), "nothing is defined yet\n")
        _ = c.run(":load \(file)")
        XCTAssertEqual(c.run("print e"), "15\n")
        _ = c.run(":del e")
        XCTAssertTrue(c.fail(":del e").contains("'e' is not defined"))
    }

    func testFileErrorsSayWhy() {
        let c = Captured()
        _ = c.run("a = 3; e = a * 2")
        XCTAssertTrue(
            c.fail(":save /nonexistent-dir/x.graph").hasPrefix(
                "t:1:1: error: cannot write '/nonexistent-dir/x.graph': there is no folder '/nonexistent-dir'"), c.err)
        XCTAssertTrue(c.fail(":export python e /etc/passwd/x.py").contains("'/etc/passwd' is not a folder"), c.err)
        XCTAssertTrue(c.fail(":load /nonexistent-dir/x.graph").contains("cannot read '/nonexistent-dir/x.graph'"), c.err)
    }
}

/// Dispatch, :help and completion read one command table.
final class CommandRegistryTests: XCTestCase {
    func testOneTableForDispatchHelpAndCompletion() {
        XCTAssertEqual(Completion.commandWords, Commands.registry.map { ":" + $0.name })
        let overview = Captured().run(":help")
        for c in Commands.registry {
            XCTAssertTrue(overview.contains("  " + c.usage.split(separator: " ").prefix(1).joined()), c.name)
            XCTAssertNotNil(Commands.byName[c.name])
            for a in c.aliases { XCTAssertEqual(Commands.byName[a]?.name, c.name) }
        }
        XCTAssertEqual(Set(Commands.registry.map(\.name)).count, Commands.registry.count)
    }
}
