import GraphLang

extension Session {
    /// How leaves get their values: `feeds` first (inputs, variables and placeholders
    /// alike, for one evaluation), then the session's values; free symbols as
    /// themselves. With `symbolic`, inputs,
    /// variables and placeholders become symbols too (their names; `W[1,2]` for
    /// elements), to show derivatives as formulas in the leaves.
    public func leafValues(feeds: [String: Value] = [:], symbolic: Bool = false) -> (String, LeafKind) throws -> Value {
        let values = self.values
        let shapes = self.placeholderShapes
        return { name, kind in
            if symbolic && kind != .constant {
                let shape = values[name]?.shape ?? feeds[name]?.shape ?? shapes[name] ?? []
                return .sym(Session.symbols(name, shape: shape))
            }
            if kind != .constant, let v = feeds[name] { return v }
            switch kind {
            case .symbol:
                return .sym(Tensor(Sym.symbol(name)))
            case .placeholder:
                if let v = values[name] { return v }
                throw EvalError(
                    "placeholder '\(name)' has no value",
                    notes: ["hint: feed it with ':run OUT with \(name) = …', or assign '\(name) = …'"])
            case .input, .variable, .constant:
                guard let v = values[name] else { throw EvalError("'\(name)' has no value") }
                return v
            }
        }
    }

    /// A tensor of symbols named after a leaf's elements: `W[1,2]`, or `a` for a scalar.
    static func symbols(_ name: String, shape: [Int]) -> Tensor<Sym> {
        if shape.isEmpty { return Tensor(Sym.symbol(name)) }
        let n = shape.reduce(1, *)
        let strides = Tensor<Double>.strides(shape)
        var data: [Sym] = []
        data.reserveCapacity(n)
        for k in 0..<n {
            var idx: [String] = []
            var r = k
            for s in strides {
                idx.append(String(r / s + 1))
                r %= s
            }
            data.append(Sym.symbol("\(name)[\(idx.joined(separator: ","))]"))
        }
        return Tensor(shape: shape, data: data)
    }

    /// Evaluate nodes; returns every value of their cone.
    public func evaluate(
        _ roots: [Int], feeds: [String: Value] = [:], symbolic: Bool = false, warnings: inout [Diagnostic],
        interrupted: @escaping () -> Bool = { false }
    ) throws -> NodeMap<Value> {
        let g = graph
        var ev = Evaluator(graph: g, leafValue: leafValues(feeds: feeds, symbolic: symbolic))
        ev.interrupted = interrupted
        let values = try ev.run(g.order(roots))
        warnings.append(contentsOf: ev.warnings)
        return values
    }
}
