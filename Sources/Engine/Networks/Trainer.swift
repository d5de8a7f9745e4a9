import Foundation
import GraphLang

/// How a training step turns gradients into updates.
public enum Optimizer: String, Sendable, CaseIterable {
    /// w ← w − lr·g
    case sgd
    /// m ← 0.9·m + g; w ← w − lr·m
    case momentum
    /// Adam with β1 = 0.9, β2 = 0.999, ε = 1e-8, bias-corrected.
    case adam
}

/// Gradient descent on a session's variables, one step at a time: each step evaluates the
/// loss (on a minibatch when asked), takes every gradient by one reverse sweep, and
/// updates the variables. The session's values change only by whole steps.
public struct Trainer {
    public let session: Session
    public let loss: Int
    public let variables: [String]
    public let optimizer: Optimizer
    public let learningRate: Double
    public let batch: Int?
    public let interrupted: () -> Bool
    public private(set) var step = 0
    /// Leaves whose rows a minibatch draws from (inputs and placeholders of the loss's
    /// graph that share the largest first size), and that size.
    public private(set) var dataLeaves: [String] = []
    public private(set) var dataSize = 0
    let leafIDs: [Int]
    /// The loss's cone and the nodes that depend on the variables: the graph does not
    /// change while training, so they are found once.
    let order: [Int]
    let dep: NodeMap<Bool>
    var rng: SplitMix64
    var m: [[Double]]
    var v: [[Double]]
    /// The loss evaluated when the trainer was made, on all the data: the first step's
    /// (without batches), while the session is as it was then (`Session.version`,
    /// `Session.valuesChanged`). An MLP's forward pass is a twentieth of 20 steps.
    var initial: (query: DerivativeQuery, version: Int, values: Int)?

    /// Why training stopped before the end.
    public enum Stop: Error {
        /// The loss became NaN or infinite at this step; the variables keep the values of
        /// the step before.
        case notFinite(step: Int, loss: Double, warnings: [Diagnostic])
    }

    public init(
        session: Session, loss: Int, variables names: [String], optimizer: Optimizer, learningRate: Double, batch: Int?,
        interrupted: @escaping () -> Bool = { false }
    ) throws {
        let q = try session.query(loss, interrupted: interrupted)
        if !q.freeSymbols.isEmpty { throw q.freeSymbolsError("training needs numbers") }
        guard q.value.count == 1 else {
            throw EvalError("\(q.label(loss)) must be a scalar loss: it has shape \(shapeText(q.value.shape))")
        }
        self.session = session
        self.loss = loss
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.batch = batch
        self.interrupted = interrupted
        rng = SplitMix64(state: session.settings.seed &+ 0x5EED)
        m = []
        v = []
        let graph = session.graph
        let inCone = Set(q.order)
        variables = names.isEmpty ? session.variables.filter { graph.leaves[$0].map(inCone.contains) ?? false } : names
        guard !variables.isEmpty else {
            throw EvalError(
                "\(q.label(loss)) depends on no trainable variable", notes: ["hint: W = variable(uniform([2, 8], -1, 1))"])
        }
        for n in variables where session.leafKind(n) != .variable {
            throw EvalError("'\(n)' is not a variable: training updates variables only", notes: didYouMeanVariable(n, session))
        }
        leafIDs = try variables.map { try session.node(named: $0) }
        for (name, id) in zip(variables, leafIDs) where !inCone.contains(id) {
            throw EvalError("\(q.label(loss)) does not use '\(name)': training it would change nothing")
        }
        order = q.order
        dep = q.dependents(leafIDs)
        if let b = batch {
            let candidates = q.order.compactMap { id -> (String, Int)? in
                guard let (n, k) = graph.nodes[id].leaf, k == .input || k == .placeholder,
                    let v = session.values[n], v.shape.count >= 1
                else { return nil }
                return (n, v.shape[0])
            }
            dataSize = candidates.map(\.1).max() ?? 0
            dataLeaves = candidates.filter { $0.1 == dataSize }.map(\.0)
            guard dataSize >= b, !dataLeaves.isEmpty else {
                throw EvalError("batch=\(b) needs data leaves with at least \(b) rows; the largest has \(dataSize)")
            }
        }
        m = variables.map { [Double](repeating: 0, count: session.values[$0]?.count ?? 0) }
        v = m
        if batch == nil { initial = (q, session.version, session.valuesChanged) }
    }

    /// One step: the loss before the update. Throws `Interrupted` (nothing updated) or
    /// `Stop.notFinite`.
    public mutating func next() throws -> Double {
        var feeds: [String: Value] = [:]
        if let b = batch {
            let rows = (0..<b).map { _ in Int(rng.next() % UInt64(dataSize)) }
            for name in dataLeaves {
                guard let t = session.values[name]?.numeric else { continue }
                let width = t.count / t.shape[0]
                var data: [Double] = []
                data.reserveCapacity(b * width)
                for r in rows { data.append(contentsOf: t.data[(r * width)..<((r + 1) * width)]) }
                feeds[name] = .num(Tensor(shape: [b] + t.shape.dropFirst(), data: data))
            }
        }
        let q: DerivativeQuery
        if let i = initial, i.version == session.version, i.values == session.valuesChanged {
            q = i.query
        } else {
            q = try DerivativeQuery(session: session, output: loss, feeds: feeds, order: order, interrupted: interrupted)
        }
        initial = nil
        guard let lv = q.value.scalarValue else { throw EvalError("\(q.label(loss)) must be a scalar loss, with numbers") }
        guard lv.isFinite else { throw Stop.notFinite(step: step + 1, loss: lv, warnings: q.warnings) }
        let gradients = try q.gradients(leafIDs, dep: dep).map { g -> Tensor<Double> in
            guard let t = g.numeric else { throw q.freeSymbolsError("training needs numbers") }
            return t
        }
        step += 1
        // Only after every gradient: an interrupt inside a sweep leaves the step undone.
        for (i, name) in variables.enumerated() {
            guard var w = session.values[name]?.numeric else { continue }
            let g = gradients[i]
            // The new weights in a new array: the old one is shared (the session, this
            // step's values), so changing it in place first copied it whole.
            let old = w.data
            func updated(_ step: (Int) -> Double) -> [Double] {
                [Double](unsafeUninitializedCapacity: old.count) { out, count in
                    for k in 0..<old.count { out[k] = step(k) }
                    count = old.count
                }
            }
            switch optimizer {
            case .momentum:
                for k in 0..<old.count { m[i][k] = 0.9 * m[i][k] + g.data[k] }
                let mi = m[i]
                w.data = updated { k in old[k] - learningRate * mi[k] }
            case .adam:
                let (b1, b2, eps) = (0.9, 0.999, 1e-8)
                let c1 = 1 - Foundation.pow(b1, Double(step))
                let c2 = 1 - Foundation.pow(b2, Double(step))
                for k in 0..<old.count {
                    m[i][k] = b1 * m[i][k] + (1 - b1) * g.data[k]
                    v[i][k] = b2 * v[i][k] + (1 - b2) * g.data[k] * g.data[k]
                }
                let (mi, vi) = (m[i], v[i])
                w.data = updated { k in old[k] - learningRate * (mi[k] / c1) / ((vi[k] / c2).squareRoot() + eps) }
            case .sgd:
                let gd = g.data
                w.data = updated { k in old[k] - learningRate * gd[k] }
            }
            session.setValue(name, .num(w))
        }
        return lv
    }
}

func didYouMeanVariable(_ n: String, _ session: Session) -> [String] {
    guard let near = closest(to: n, among: session.variables) else { return [] }
    return ["did you mean '\(near)'?"]
}
