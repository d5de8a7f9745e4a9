import Engine
import Foundation
import GraphLang
import XCTest

/// graphrepl's first and second derivatives against an independent reference: SymPy,
/// differentiating the same expressions symbolically and evaluating them with 30 digits.
final class ReferenceTests: XCTestCase {
    struct Rng {
        var g: UInt64
        mutating func next() -> Double {
            g = g &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(g >> 11) / Double(1 << 53)
        }
        mutating func pick<T>(_ xs: [T]) -> T { xs[Int(next() * Double(xs.count))] }
    }

    /// An expression in both syntaxes: graphrepl's and SymPy's (Python).
    struct Expr {
        var graph: String
        var python: String
    }

    func random(_ rng: inout Rng, depth: Int) -> Expr {
        let vars = ["x", "y", "z"]
        if depth == 0 || rng.next() < 0.2 {
            if rng.next() < 0.2 {
                let c = String(format: "%.2f", 0.5 + 2 * rng.next())
                return Expr(graph: c, python: c)
            }
            let v = rng.pick(vars)
            return Expr(graph: v, python: v)
        }
        let a = random(&rng, depth: depth - 1)
        switch Int(rng.next() * 14) {
        case 0, 1:
            let b = random(&rng, depth: depth - 1)
            return Expr(graph: "(\(a.graph) + \(b.graph))", python: "(\(a.python) + \(b.python))")
        case 2:
            let b = random(&rng, depth: depth - 1)
            return Expr(graph: "(\(a.graph) - \(b.graph))", python: "(\(a.python) - \(b.python))")
        case 3, 4:
            let b = random(&rng, depth: depth - 1)
            return Expr(graph: "(\(a.graph) * \(b.graph))", python: "(\(a.python) * \(b.python))")
        case 5:
            let b = random(&rng, depth: depth - 1)
            return Expr(graph: "(\(a.graph) / (1 + (\(b.graph))^2))", python: "(\(a.python) / (1 + (\(b.python))**2))")
        case 6:
            return Expr(graph: "(1 + (\(a.graph))^2)^1.5", python: "(1 + (\(a.python))**2)**1.5")
        case 7:
            let b = random(&rng, depth: depth - 1)
            return Expr(graph: "(2 + sin(\(b.graph)))^((\(a.graph)) / 3)", python: "(2 + sin(\(b.python)))**((\(a.python)) / 3)")
        default:
            let f = rng.pick(["exp", "sin", "cos", "tanh", "sigmoid", "softplus", "log", "sqrt", "tan"])
            switch f {
            case "log", "sqrt":
                return Expr(graph: "\(f)(1 + (\(a.graph))^2)", python: "\(f)(1 + (\(a.python))**2)")
            case "exp", "tan":
                return Expr(graph: "\(f)((\(a.graph)) / 5)", python: "\(f)((\(a.python)) / 5)")
            default:
                return Expr(graph: "\(f)(\(a.graph))", python: "\(f)(\(a.python))")
            }
        }
    }

    func testFirstAndSecondDerivativesAgainstSymPy() throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import sympy"]
        check.standardError = Pipe()
        try check.run()
        check.waitUntilExit()
        guard check.terminationStatus == 0 else { throw XCTSkip("python3 with sympy is not installed") }

        var rng = Rng(g: 2026)
        var exprs: [Expr] = []
        var points: [[Double]] = []
        for _ in 0..<60 {
            exprs.append(random(&rng, depth: 4))
            points.append((0..<3).map { _ in -1.5 + 3 * rng.next() })
        }
        let cases: [[String: Any]] = zip(exprs, points).map { ["expr": $0.python, "vars": ["x", "y", "z"], "point": $1] }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("pty/sympy_reference.py")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "python3", script.path, String(decoding: try JSONSerialization.data(withJSONObject: cases), as: UTF8.self),
        ]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let reference = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var compared = 0
        for (k, (e, point)) in zip(exprs, points).enumerated() {
            let h = Harness()
            h.run("x = \(point[0]); y = \(point[1]); z = \(point[2]); f = \(e.graph)")
            let g = try XCTUnwrap(h.value("grad(f, [x, y, z])").numeric)
            let H = try XCTUnwrap(h.value("hessian(f, [x, y, z])").numeric)
            guard let refGrad = reference[k]["grad"] as? [Double], let refHess = reference[k]["hessian"] as? [[Double]] else {
                return XCTFail("no reference for \(e.python)")
            }
            for i in 0..<3 {
                assertClose(g.data[i], refGrad[i], tol: 1e-9, "∂f/∂\(["x", "y", "z"][i]) of \(e.graph) at \(point):")
                for j in 0..<3 {
                    assertClose(H.data[i * 3 + j], refHess[i][j], tol: 1e-9, "H[\(i + 1),\(j + 1)] of \(e.graph) at \(point):")
                }
            }
            compared += 1
        }
        XCTAssertEqual(compared, 60)
    }
}
