import GraphLang

/// A graph of scalars as a flat tape: one opcode and two input ids per node, the values
/// and adjoints in arrays of doubles. Evaluation and the reverse sweep over a graph whose
/// every node is a number (the lecture's graphs, a long chain of definitions) run here,
/// with no argument arrays, no `Value` boxes and no rule calls through the `Algebra`
/// protocol; anything else (a tensor, a symbol, an op the tape does not know) is left to
/// the general `Evaluator` and `Sweeps`.
///
/// The tape computes exactly what the general code computes: the forward values are
/// `Op.scalarFastPath`'s, and the reverse rules are `Op.vjp`'s on scalars, written with
/// the same `Algebra` helpers (so `1·g` is `g`, `0 + g` is `g`, as there). Tests compare
/// both bit for bit on random graphs of every op the tape knows.
struct ScalarTape {
    enum Code: UInt8 {
        /// A leaf or a literal: its value is given.
        case given
        case add, sub, mul, div, pow, neg
        /// `unbroadcast`, `broadcast_like`, `reshape_like` of a scalar: the first input.
        case same
        case unary
        /// `seed_one(f)` of a scalar f: 1 (held as a rank-0 tensor, as its rule makes it).
        case seedOne
    }

    /// Node ids in topological order, and per position the opcode, the unary function
    /// (for `.unary`), and the input node ids (-1: none).
    var ids: [Int32] = []
    var codes: [Code] = []
    var functions: [UnaryFunction] = []
    var first: [Int32] = []
    var second: [Int32] = []
    /// The given positions' nodes: each literal number's id and value, read when the
    /// tape is made (a node never changes once made), and the id of every other given
    /// node (a leaf, a literal that is not a number), in tape order.
    var numbers: [(id: Int32, value: Double)] = []
    var otherGiven: [Int32] = []

    /// Minimum size worth a tape: below it the general loop is as fast.
    static let minimumNodes = 64

    /// Which tape this is, among those made in this process: values computed over it
    /// (`NodeMap.scalarValues`) say which tape they came from.
    let serial: Int
    nonisolated(unsafe) static var made = 0

    /// The tape for `order`, or nil when some node is not a scalar op the tape knows.
    /// Leaves' values are read later, by the caller. With `untilDerivative`, the tape of
    /// the nodes before the first gradient or Jacobian node (`print f, grad(f, x)`: f's
    /// part of the order), found as the tape is made.
    init?(graph: Graph, order: [Int], untilDerivative: Bool = false) {
        guard graph.nodes.count <= Int(Int32.max) else { return nil }
        var n = order.count
        var ids = [Int32](repeating: 0, count: n)
        var codes = [Code](repeating: .given, count: n)
        var functions = [UnaryFunction](repeating: .exp, count: n)
        var first = [Int32](repeating: -1, count: n)
        var second = [Int32](repeating: -1, count: n)
        var otherGiven: [Int32] = []
        // The literal numbers written in place, as the rest: the order bounds them.
        var ok = false
        let numbers = [(id: Int32, value: Double)](unsafeUninitializedCapacity: n) { numbers, made in
            made = 0
            ok = graph.nodes.withUnsafeBufferPointer { nodes -> Bool in
                order.withUnsafeBufferPointer { order in
                    ids.withUnsafeMutableBufferPointer { ids in
                        codes.withUnsafeMutableBufferPointer { codes in
                            functions.withUnsafeMutableBufferPointer { functions in
                                first.withUnsafeMutableBufferPointer { first in
                                    second.withUnsafeMutableBufferPointer { second in
                                        for k in 0..<n {
                                            let id = order[k]
                                            ids[k] = Int32(truncatingIfNeeded: id)
                                            let code: Code
                                            switch nodes[id].kind {
                                            case .literal(.number(let d)):
                                                numbers.initializeElement(at: made, to: (Int32(truncatingIfNeeded: id), d))
                                                made += 1
                                                continue
                                            case .leaf, .literal:
                                                otherGiven.append(Int32(truncatingIfNeeded: id))
                                                continue
                                            case .gradient, .jacobian:
                                                guard untilDerivative else { return false }
                                                n = k
                                                return true
                                            case .op(.add): code = .add
                                            case .op(.sub): code = .sub
                                            case .op(.mul): code = .mul
                                            case .op(.div): code = .div
                                            case .op(.pow): code = .pow
                                            case .op(.neg): code = .neg
                                            case .op(.unbroadcast), .op(.broadcastLike), .op(.reshapeLike): code = .same
                                            case .op(.seedOne): code = .seedOne
                                            case .op(.unary(let u)):
                                                code = .unary
                                                functions[k] = u
                                            default: return false
                                            }
                                            let arity = code == .neg || code == .unary || code == .seedOne ? 1 : 2
                                            let inputs = nodes[id].inputs
                                            guard inputs.count == arity else { return false }
                                            codes[k] = code
                                            first[k] = Int32(truncatingIfNeeded: inputs[0])
                                            if arity == 2 { second[k] = Int32(truncatingIfNeeded: inputs[1]) }
                                        }
                                        return true
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        guard ok else { return nil }
        if n < ids.count {
            ids.removeSubrange(n...)
            codes.removeSubrange(n...)
            functions.removeSubrange(n...)
            first.removeSubrange(n...)
            second.removeSubrange(n...)
        }
        ScalarTape.made += 1
        self.serial = ScalarTape.made
        self.numbers = numbers
        self.otherGiven = otherGiven
        self.ids = ids
        self.codes = codes
        self.functions = functions
        self.first = first
        self.second = second
    }

    /// The forward value of one position from its inputs' values (`Op.scalarFastPath`).
    @inline(__always)
    func forward(_ k: Int, _ code: Code, _ p: Double, _ q: Double) -> Double {
        switch code {
        case .given: return p
        case .add: return p + q
        case .sub: return p - q
        case .mul: return p * q
        case .div: return p / q
        case .pow: return Double.power(p, q)
        case .neg: return -p
        case .same: return p
        case .unary: return functions[k](p)
        case .seedOne: return 1
        }
    }
}

/// The scalar algebra the tape's rules are written in: `Algebra`'s helpers (which
/// simplify `1·g`, `0 + g`, `g/1`, `−0`) applied to doubles, so each rule gives what
/// `ValueAlgebra` gives on `Value.number`. (A sweep that watches for special values
/// takes `reversePlain` instead.)
struct DoubleAlgebra: Algebra {
    @inline(__always)
    mutating func apply(_ op: Op, _ args: [Double]) throws -> Double {
        let r: Double
        switch op {
        case .add: r = args[0] + args[1]
        case .sub: r = args[0] - args[1]
        case .mul: r = args[0] * args[1]
        case .div: r = args[0] / args[1]
        case .pow: r = Double.power(args[0], args[1])
        case .neg: r = -args[0]
        case .unary(let f): r = f(args[0])
        default: throw EvalError("internal: \(op.name) is not a scalar rule")
        }
        return r
    }
    func literal(_ x: Double) -> Double { x }
    func isLiteral(_ t: Double, _ x: Double) -> Bool { t == x }
}

extension ScalarTape {
    /// `Op.unaryDerivative` on doubles, written out case by case so that no argument
    /// array is built per node; each case is that rule's, in the same helpers (the tests
    /// compare the two bit for bit).
    @inline(__always)
    static func unaryDerivative(_ f: UnaryFunction, _ a: inout DoubleAlgebra, x: Double, y: Double) throws -> Double? {
        switch f {
        case .exp: return y
        case .log: return try a.div(1, x)
        case .sqrt: return try a.div(0.5, y)
        case .abs: return UnaryFunction.sign(x)
        case .sin: return UnaryFunction.cos(x)
        case .cos: return try a.neg(UnaryFunction.sin(x))
        case .tan: return try a.add(1, a.mul(y, y))
        case .tanh: return try a.sub(1, a.mul(y, y))
        case .sigmoid: return try a.mul(y, a.sub(1, y))
        case .relu: return UnaryFunction.step(x)
        case .softplus: return UnaryFunction.sigmoid(x)
        case .step, .sign: return nil
        }
    }

    /// Reverse mode over the tape: the adjoint of every node that depends on the source
    /// (`dep`), as `Sweeps.reverse` with `ValueAlgebra` gives it. `value` holds the forward
    /// values by node id; adjoints come back by node id, `has` telling which are set (a
    /// node no contribution reached has none, as in the general sweep).
    func reverse(
        values: [Double], output: Int, seed: Double, dep: NodeMap<Bool>, graph: Graph
    ) throws -> (
        adjoints: [Double], has: [Bool], rules: Int
    ) {
        let size = graph.nodes.count
        var adj = [Double](repeating: 0, count: size)
        var has = [Bool](repeating: false, count: size)
        adj[output] = seed
        has[output] = true
        var rules = 0
        var a = DoubleAlgebra()
        func differentiable(_ k: Int, _ i: Int) -> Bool {
            switch codes[k] {
            case .given, .seedOne: return false
            case .same: return i == 0
            case .unary: return functions[k] != .step && functions[k] != .sign
            default: return true
            }
        }
        /// `adj[c] = a.add(adj[c], contribution)`, nil adjoints unset.
        func accumulate(_ c: Int, _ x: Double) throws {
            if has[c] {
                adj[c] = try a.add(adj[c], x) ?? x
            } else {
                adj[c] = x
                has[c] = true
            }
        }
        for k in stride(from: ids.count - 1, through: 0, by: -1) {
            let n = Int(ids[k])
            guard dep[n] == true, has[n], codes[k] != .given else { continue }
            let g = adj[n]
            let c0 = Int(first[k])
            let c1 = Int(second[k])
            let want0 = differentiable(k, 0) && dep[c0] == true
            let want1 = c1 >= 0 && differentiable(k, 1) && dep[c1] == true
            guard want0 || want1 else { continue }
            rules += 1
            let x0 = values[c0]
            let x1 = c1 >= 0 ? values[c1] : 0
            let y = values[n]
            switch codes[k] {
            case .given, .seedOne:
                break
            case .add:
                if want0 { try accumulate(c0, g) }
                if want1 { try accumulate(c1, g) }
            case .sub:
                if want0 { try accumulate(c0, g) }
                if want1 { try accumulate(c1, try a.neg(g)) }
            case .mul:
                if want0 { try accumulate(c0, try a.mul(g, x1)) }
                if want1 { try accumulate(c1, try a.mul(g, x0)) }
            case .div:
                if want0 { try accumulate(c0, try a.div(g, x1)) }
                if want1 { try accumulate(c1, try a.neg(a.div(a.mul(g, y), x1))) }
            case .pow:
                if want0 {
                    let d = try a.mul(x1, Double.power(x0, a.sub(x1, 1)))
                    try accumulate(c0, try a.mul(g, d))
                }
                if want1 {
                    let d = try a.mul(y, UnaryFunction.log(x0))
                    try accumulate(c1, try a.mul(g, d))
                }
            case .neg:
                try accumulate(c0, try a.neg(g))
            case .same:
                try accumulate(c0, g)
            case .unary:
                if let d = try ScalarTape.unaryDerivative(functions[k], &a, x: x0, y: y) { try accumulate(c0, try a.mul(g, d)) }
            }
        }
        return (adj, has, rules)
    }

    /// Reverse mode in plain arithmetic, for a sweep whose caller gives up at any zero,
    /// infinity or NaN (`Evaluator.gradient`): where no value is special,
    /// every rule of `reverse` is exactly the plain operation (`1·g` is `g`, `g/1` is `g`,
    /// `-1·g` is `-g`, and no `0 + g` arises), so the adjoints are the same bit for bit.
    /// Nil as soon as a value read or made is special (a superset of what `reverse`
    /// notes: the caller then takes the general way, which is always right).
    func reversePlain(values: [Double], output: Int, seed: Double, dep: [Bool]) -> (
        adjoints: [Double], has: [Bool], rules: Int
    )? {
        @inline(__always) func special(_ x: Double) -> Bool { x == 0 || !x.isFinite }
        if special(seed) { return nil }
        let size = values.count
        var adj = [Double](repeating: 0, count: size)
        var has = [Bool](repeating: false, count: size)
        adj[output] = seed
        has[output] = true
        var rules = 0
        var met = false
        ids.withUnsafeBufferPointer { ids in
            codes.withUnsafeBufferPointer { codes in
                first.withUnsafeBufferPointer { first in
                    second.withUnsafeBufferPointer { second in
                        values.withUnsafeBufferPointer { v in
                            dep.withUnsafeBufferPointer { dep in
                                adj.withUnsafeMutableBufferPointer { adj in
                                    has.withUnsafeMutableBufferPointer { has in
                                        @inline(__always) func add(_ c: Int, _ x: Double) {
                                            if special(x) { met = true }
                                            if has[c] {
                                                adj[c] += x
                                                if special(adj[c]) { met = true }
                                            } else {
                                                adj[c] = x
                                                has[c] = true
                                            }
                                        }
                                        for k in stride(from: ids.count - 1, through: 0, by: -1) {
                                            let n = Int(ids[k])
                                            let code = codes[k]
                                            guard dep[n], has[n], code != .given, code != .seedOne else { continue }
                                            let c0 = Int(first[k])
                                            let c1 = Int(second[k])
                                            var want0 = dep[c0]
                                            var want1 = c1 >= 0 && dep[c1]
                                            switch code {
                                            case .same: want1 = false
                                            case .unary:
                                                if functions[k] == .step || functions[k] == .sign {
                                                    (want0, want1) = (false, false)
                                                }
                                            default: break
                                            }
                                            guard want0 || want1 else { continue }
                                            rules += 1
                                            let g = adj[n]
                                            let x0 = v[c0]
                                            let x1 = c1 >= 0 ? v[c1] : 1
                                            let y = v[n]
                                            if special(g) || special(x0) || special(x1) || special(y) {
                                                met = true
                                                return
                                            }
                                            switch code {
                                            case .given, .seedOne:
                                                break
                                            case .add:
                                                if want0 { add(c0, g) }
                                                if want1 { add(c1, g) }
                                            case .sub:
                                                if want0 { add(c0, g) }
                                                if want1 { add(c1, -g) }
                                            case .mul:
                                                if want0 { add(c0, g * x1) }
                                                if want1 { add(c1, g * x0) }
                                            case .div:
                                                if want0 { add(c0, g / x1) }
                                                if want1 { add(c1, -((g * y) / x1)) }
                                            case .pow:
                                                if want0 {
                                                    let e = x1 - 1
                                                    let p = Double.power(x0, e)
                                                    if special(e) || special(p) { met = true }
                                                    add(c0, g * (x1 * p))
                                                }
                                                if want1 {
                                                    let l = UnaryFunction.log(x0)
                                                    if special(l) { met = true }
                                                    add(c1, g * (y * l))
                                                }
                                            case .neg:
                                                add(c0, -g)
                                            case .same:
                                                add(c0, g)
                                            case .unary:
                                                let d = ScalarTape.plainDerivative(functions[k], x: x0, y: y)
                                                if special(d) { met = true }
                                                add(c0, g * d)
                                            }
                                            if met { return }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return met ? nil : (adj, has, rules)
    }

    /// `unaryDerivative` in plain arithmetic (see `reversePlain`): the same value where
    /// nothing on the way is zero, infinite or NaN.
    @inline(__always)
    static func plainDerivative(_ f: UnaryFunction, x: Double, y: Double) -> Double {
        switch f {
        case .exp: return y
        case .log: return 1 / x
        case .sqrt: return 0.5 / y
        case .abs: return UnaryFunction.sign(x)
        case .sin: return UnaryFunction.cos(x)
        case .cos: return -UnaryFunction.sin(x)
        case .tan: return 1 + y * y
        case .tanh: return 1 - y * y
        case .sigmoid: return y * (1 - y)
        case .relu: return UnaryFunction.step(x)
        case .softplus: return UnaryFunction.sigmoid(x)
        case .step, .sign: return 0
        }
    }

    /// The nodes of the tape that depend on any of `sources` through inputs that carry a
    /// derivative: `Graph.dependsOn` (not structural) for this tape's order.
    func dependsOn(_ sources: [Int], graphSize: Int) -> [Bool] {
        var dep = [Bool](repeating: false, count: graphSize)
        for s in sources where s < graphSize { dep[s] = true }
        for k in ids.indices {
            let n = Int(ids[k])
            if dep[n] { continue }
            switch codes[k] {
            case .given, .seedOne: continue
            case .same: dep[n] = dep[Int(first[k])]
            case .unary:
                if functions[k] != .step && functions[k] != .sign { dep[n] = dep[Int(first[k])] }
            default:
                dep[n] = dep[Int(first[k])] || (second[k] >= 0 && dep[Int(second[k])])
            }
        }
        return dep
    }
}
