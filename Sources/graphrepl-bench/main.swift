import CSystem
import Engine
import Foundation
import GraphLang

/// Benchmarks for graphrepl, run in a release build:
///   swift run -c release graphrepl-bench
/// Each line: what was measured, and the best of a few runs.

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func best(_ runs: Int = 3, _ body: () throws -> Void) rethrows -> Double {
    var b = Double.infinity
    for _ in 0..<runs { b = min(b, try seconds(body)) }
    return b
}

func report(_ what: String, _ t: Double, _ extra: String = "") {
    let line =
        what.padding(toLength: 58, withPad: " ", startingAt: 0) + String(format: "%9.1f ms", t * 1000)
        + (extra.isEmpty ? "" : "  " + extra)
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func interpreter() -> Interpreter {
    let i = Interpreter(write: { _ in }, writeError: { FileHandle.standardError.write(Data($0.utf8)) })
    i.session.reseed(1)
    return i
}

// The memory settings graphrepl itself runs with.
graphrepl_tune_malloc()
graphrepl_blas_configure()
let filter = CommandLine.arguments.dropFirst().first

// 1. A script of 100 000 definitions, parsed and run.
if filter == nil || filter == "script" {
    var text = "x0 = 1\n"
    for i in 1..<100_000 { text += "x\(i) = x\(i - 1) + \(i % 7)\n" }
    text += "print x99999\n"
    let t = best {
        let i = interpreter()
        guard i.run(SourceFile(name: "bench", text: text)) == .ok else { fatalError("script failed") }
    }
    report("script of 100 000 definitions (parse, define, print)", t)
}

// 2. Forward evaluation and a reverse sweep over a 1 000 000-node scalar graph.
if filter == nil || filter == "sweep" {
    let i = interpreter()
    _ = i.run(SourceFile(name: "bench", text: "x = 0.5"))
    let s = i.session
    let x = try s.node(named: "x")
    var b = GraphBuilder(graph: s.graph, origin: nil)
    var last = x
    let c = b.literal(0.999)
    let size = Int(ProcessInfo.processInfo.environment["GRAPHREPL_BENCH_NODES"] ?? "") ?? 1_000_000
    for k in 0..<size {
        switch k % 4 {
        case 0: last = try b.apply(.mul, [last, c])
        case 1: last = try b.apply(.unary(.sin), [last])
        case 2: last = try b.apply(.add, [last, x])
        default: last = try b.apply(.unary(.tanh), [last])
        }
    }
    let g = s.graph
    let order = g.order([last])
    var values = NodeMap<Value>(graphSize: 0, touched: 0)
    let forward = try best {
        var w: [Diagnostic] = []
        values = try s.evaluate([last], warnings: &w)
    }
    let dep = g.dependsOn(x, order: order)
    var grad = 0.0
    let reverse = try best {
        let (adj, _) = try Sweeps.reverseValues(graph: g, order: order, values: values, output: last, seed: .scalar(1), dep: dep)
        grad = adj[x]?.scalarValue ?? .nan
    }
    let tangent = try best {
        _ = try Sweeps.forwardValues(graph: g, order: order, values: values, input: x, seed: .scalar(1), dep: dep)
    }
    report("evaluate a 1 000 000-node scalar graph", forward, "(\(order.count) nodes)")
    report(
        "reverse sweep over it (all adjoints)", reverse,
        String(format: "= %.2f× one evaluation; ∂y/∂x = %.6g", reverse / forward, grad))
    report("forward-mode sweep over it (one tangent)", tangent, String(format: "= %.2f× one evaluation", tangent / forward))
    report("evaluation + reverse sweep", forward + reverse)
    if ProcessInfo.processInfo.environment["GRAPHREPL_BENCH_PARTS"] != nil {
        report("  of which the topological order", best { _ = g.order([last]) })
        let runOnly = try best {
            var ev = Evaluator(graph: g, leafValue: s.leafValues())
            _ = try ev.run(order)
        }
        report("  of which the evaluation loop", runOnly)
    }
}

// 3. A 300 × 300 Jacobian (the mode with fewer passes is chosen).
if filter == nil || filter == "jacobian" {
    let i = interpreter()
    _ = i.run(SourceFile(name: "bench", text: "W = uniform([300, 300], -1, 1)\nx = variable(ones([300]))\ny = tanh(W @ x)"))
    let (p, _, _) = Parser.parse(SourceFile(name: "j", text: "jacobian(y, x)"))
    guard case .expression(let e) = p.statements[0].statement else { fatalError() }
    let t = try best { _ = try i.evaluate(p, e) }
    report("jacobian of tanh(W @ x), 300 × 300", t)
}

// 4. One forward + backward step of a 784-100-10 network, batch 64.
if filter == nil || filter == "mlp" {
    let i = interpreter()
    let setup = """
        X = uniform([64, 784], 0, 1)
        Y = uniform([64, 10], 0, 1)
        W1 = uniform([784, 100], -0.05, 0.05)
        b1 = zeros([100])
        W2 = uniform([100, 10], -0.1, 0.1)
        b2 = zeros([10])
        h = tanh(X @ W1 + b1)
        p = softmax(h @ W2 + b2)
        C = mean(cross_entropy(Y, p))
        """
    guard i.run(SourceFile(name: "bench", text: setup)) == .ok else { fatalError("setup failed") }
    let s = i.session
    let C = try s.node(named: "C")
    let leaves = try ["W1", "b1", "W2", "b2"].map { try s.node(named: $0) }
    let g = s.graph
    let order = g.order([C])
    let dep = NodeMap<Bool>.marking(order, graphSize: g.nodes.count)
    let t = try best(5) {
        var w: [Diagnostic] = []
        let values = try s.evaluate([C], warnings: &w)
        let (adj, _) = try Sweeps.reverseValues(graph: g, order: order, values: values, output: C, seed: .scalar(1), dep: dep)
        for l in leaves where adj[l] == nil { fatalError("missing gradient") }
    }
    report("784-100-10 tanh net, batch 64: forward + backward", t)
}

// 5. The matrix kernel alone, at the sizes of the network above.
if filter == nil || filter == "matmul" {
    var g = SplitMix64(state: 7)
    func matrix(_ m: Int, _ n: Int, _ g: inout SplitMix64) -> Value {
        var data = [Double]()
        for _ in 0..<(m * n) { data.append(g.unit()) }
        return .num(Tensor(shape: [m, n], data: data))
    }
    for (m, k, n) in [(64, 784, 100), (784, 64, 100), (256, 256, 256)] {
        let a = matrix(m, k, &g)
        let b = matrix(k, n, &g)
        let t = try best(5) { _ = try Op.matmul.evaluate([a, b]) }
        report("matmul \(m)×\(k) @ \(k)×\(n)", t, String(format: "%.2f GFLOP/s", 2.0 * Double(m * k * n) / t / 1e9))
    }
}
