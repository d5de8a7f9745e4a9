import Engine
import Foundation
import XCTest

@testable import graphrepl

/// What users read stands in the repository and covers everything there is.
final class DocsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func read(_ path: String) throws -> String {
        try String(contentsOf: DocsTests.root.appendingPathComponent(path), encoding: .utf8)
    }

    func testTheLanguageReferenceCoversEveryCommandAndFunction() throws {
        let doc = try read("docs/LANGUAGE.md")
        for c in Commands.registry { XCTAssertTrue(doc.contains("`:\(c.name)"), ":\(c.name) is not in docs/LANGUAGE.md") }
        for b in Builtin.allCases { XCTAssertTrue(doc.contains("`\(b.name)("), "\(b.name) is not in docs/LANGUAGE.md") }
        XCTAssertTrue(Captured().run(":help").contains("docs/LANGUAGE.md"))
        XCTAssertTrue(try read("README.md").contains("docs/LANGUAGE.md"))
    }

    func testNothingPointsOutsideTheRepository() throws {
        var texts = [try read("README.md")]
        let docs = DocsTests.root.appendingPathComponent("docs")
        for name in try FileManager.default.contentsOfDirectory(atPath: docs.path) where name.hasSuffix(".md") {
            texts.append(try read("docs/" + name))
        }
        let c = Captured()
        texts.append(c.run(":help"))
        for cmd in Commands.registry { texts.append(c.run(":help \(cmd.name)")) }
        for t in texts {
            XCTAssertFalse(t.contains("../shared") || t.contains("SPEC.md"), String(t.prefix(80)))
        }
    }
}
