import GraphLang

/// Turns the session's definitions into graph nodes, on demand and incrementally: each
/// name is compiled once into the session's graph, and a definition that nothing
/// compiled yet depends on does not invalidate it. An explicit work stack replaces
/// recursion, so a chain of 200 000 definitions compiles in constant stack.
struct Compiler {
    let session: Session
    let graph: Graph

    struct Key: Equatable {
        let program: ObjectIdentifier
        let expr: ExprID
        let env: Int
    }

    /// The node of each (program, expression, environment) compiled so far: open
    /// addressing with a multiplicative hash, since a definition looks up and records a
    /// few dozen keys and a general dictionary's hashing cost more than the compiling.
    struct ResultTable {
        /// Empty until the first key is recorded (a definition of plain arithmetic
        /// records none), then a power of two long.
        private var keys: [Key?] = []
        private var values: [Int] = []
        private var count = 0

        @inline(__always)
        static func slot(_ k: Key, _ mask: Int) -> Int {
            var h = UInt(bitPattern: k.program.hashBits) &* 0x9E37_79B9_7F4A_7C15
            h ^= UInt(bitPattern: k.expr) &* 0xC2B2_AE3D_27D4_EB4F
            h ^= UInt(bitPattern: k.env) &* 0x1656_67B1_9E37_79F9
            return Int(bitPattern: h ^ (h >> 31)) & mask
        }

        subscript(_ k: Key) -> Int? {
            get {
                if keys.isEmpty { return nil }
                let mask = keys.count - 1
                var i = ResultTable.slot(k, mask)
                while let kk = keys[i] {
                    if kk == k { return values[i] }
                    i = (i + 1) & mask
                }
                return nil
            }
            set {
                // Results are only ever recorded, never removed.
                guard let v = newValue else { return }
                if (count + 1) * 2 > keys.count { grow() }
                let mask = keys.count - 1
                var i = ResultTable.slot(k, mask)
                while let kk = keys[i] {
                    if kk == k {
                        values[i] = v
                        return
                    }
                    i = (i + 1) & mask
                }
                keys[i] = k
                values[i] = v
                count += 1
            }
        }

        mutating func grow() {
            let oldKeys = keys
            let oldValues = values
            keys = Array(repeating: nil, count: Swift.max(32, oldKeys.count * 2))
            values = Array(repeating: 0, count: Swift.max(32, oldKeys.count * 2))
            count = 0
            for (k, v) in zip(oldKeys, oldValues) { if let k { self[k] = v } }
        }
    }

    enum Work {
        case visit(Program, ExprID, Int)
        case finish(Program, ExprID, Int)
        /// A node definition's expression starts.
        case beginDefinition(String)
        /// A node definition's expression is done: bind the name to its node.
        case bindName(String, Program, ExprID)
        /// A user-function body is done: the call's result is the body's.
        case finishCall(Program, ExprID, Int, body: Program, bodyExpr: ExprID, bodyEnv: Int)
    }

    /// Parameter bindings of each environment (0 is the top level) and the call id that
    /// made it.
    var envs = Compiler.topLevel.envs
    var envCalls = Compiler.topLevel.calls
    /// The top level's environment, shared by every compiler until one enters a call (an
    /// array made for each definition cost as much as compiling a short one).
    static let topLevel: (envs: [[String: Int]], calls: [Int?]) = ([[:]], [nil])
    var results = ResultTable()
    var inProgress: Set<String> = []
    /// The call being compiled, for the nodes of composite built-ins.
    var currentOrigin: Origin?
    /// The definitions being compiled, innermost last, with how many generator calls
    /// each has compiled so far (their seeds depend on it).
    var definitions: [(name: String, generators: Int)] = []
    /// Whether `grad(f, x)` outside any definition may be a `.gradient` node, computed
    /// when evaluated: for statements that only show values (`print`, an expression,
    /// `assert`) and in which no derivative is taken of a derivative (`Program
    /// .derivativesStandAlone`), so nothing ever differentiates through it.
    var lazyGradients = false
    /// Whether plain arithmetic takes the one-pass path (`arithmetic`); tests turn it off
    /// to compare it with the general path.
    var quickArithmetic = true

    init(session: Session, graph: Graph) {
        self.session = session
        self.graph = graph
    }

    func key(_ p: Program, _ e: ExprID, _ env: Int) -> Key { Key(program: ObjectIdentifier(p), expr: e, env: env) }

    func fail(_ p: Program, _ e: ExprID, _ message: String, notes: [String] = []) -> Diagnostic {
        Diagnostic(.error, message, source: p.source, span: p[e].span, notes: notes)
    }

    mutating func add(_ kind: Node.Kind, _ inputs: [Int], _ p: Program, _ e: ExprID, _ env: Int) -> Int {
        add(kind, NodeInputs(inputs), p, e, env)
    }

    mutating func add(_ kind: consuming Node.Kind, _ inputs: NodeInputs, _ p: Program, _ e: ExprID, _ env: Int) -> Int {
        graph.append(kind: kind, inputs: inputs, origin: Origin(program: p, expr: e), call: envCalls[env])
    }

    /// The node of a top-level name, compiling it if needed.
    mutating func compile(name: String, at origin: Origin?) throws -> Int {
        if let id = graph.named[name] ?? graph.leaves[name] { return id }
        if let o = origin {
            // Compile through a synthetic reference so errors point at the use.
            return try compile(o.program, o.expr)
        }
        switch session.definition(name) {
        case .node(let p, let e):
            definitions.append((name, 0))
            defer { definitions.removeLast() }
            let id = try compile(p, e)
            bind(name, id)
            return id
        default:
            return try leafOrSymbol(name, nil, 0, 0)
        }
    }

    mutating func bind(_ name: String, _ id: Int) { graph.bind(name, id) }

    /// A leaf node for a leaf definition or an undefined (free) name.
    mutating func leafOrSymbol(_ name: String, _ p: Program?, _ e: ExprID, _ env: Int) throws -> Int {
        if let id = graph.leaves[name] { return id }
        let kind: LeafKind
        var origin: Origin? = p.map { Origin(program: $0, expr: e) }
        switch session.definition(name) {
        case .leaf(let k, let o):
            kind = k
            origin = o ?? origin
        case .function:
            if let p { throw fail(p, e, "'\(name)' is a function: call it as \(name)(…)") }
            throw EvalError("'\(name)' is a function: call it as \(name)(…)")
        case .node:
            throw EvalError("internal: '\(name)' is not a leaf")
        case nil:
            if Builtins.byName[name] != nil {
                if let p {
                    throw fail(p, e, "'\(name)' is a built-in function: call it as \(Builtins.byName[name]?.usage ?? name)")
                }
            }
            kind = .symbol
        }
        let id = graph.append(Node(kind: .leaf(name, kind), inputs: [], call: nil), origin: origin)
        graph.setName(name, of: id)
        graph.leaves[name] = id
        graph.named[name] = id
        return id
    }

    /// Compile one expression of a program at the top level.
    mutating func compile(_ program: Program, _ root: ExprID) throws -> Int {
        if quickArithmetic, let id = arithmetic(program, root) { return id }
        var stack: [Work] = [.visit(program, root, 0)]
        while let w = stack.popLast() {
            switch w {
            case .visit(let p, let e, let env):
                if results[key(p, e, env)] != nil { continue }
                try visit(p, e, env, &stack)
            case .finish(let p, let e, let env):
                try finish(p, e, env, &stack)
            case .beginDefinition(let name):
                definitions.append((name, 0))
            case .bindName(let name, let p, let e):
                inProgress.remove(name)
                if definitions.last?.name == name { definitions.removeLast() }
                guard let id = results[key(p, e, 0)] else { continue }
                bind(name, id)
            case .finishCall(let p, let e, let env, let bp, let be, let benv):
                guard let id = results[key(bp, be, benv)] else { continue }
                if let c = envCalls[benv] { graph.calls[c].result = id }
                results[key(p, e, env)] = id
            }
        }
        guard let id = results[key(program, root, 0)] else {
            throw fail(program, root, "internal: expression did not compile")
        }
        return id
    }

    mutating func arithmetic(_ p: Program, _ root: ExprID) -> Int? {
        guard envs.count == 1, envs[0].isEmpty else { return nil }
        return Compiler.arithmetic(p, root, graph: graph, settings: session.settings)
    }

    /// The common case of a definition, compiled in one pass without the work stack or
    /// the results table, or a compiler at all: numbers, arithmetic and comparisons of
    /// names that are already nodes, whose expression is a range of ids with children
    /// first (`Program.arithmeticRange`), at the top level. Anything else (a call, a
    /// list, a name not compiled yet) gives nil before any node is made, for the general
    /// compiler. The nodes made are those `visit` and `finish` make.
    static func arithmetic(
        _ p: Program, _ root: ExprID, graph: Graph, settings: Session.Settings, range known: ClosedRange<ExprID>? = nil
    ) -> Int? {
        guard let range = known ?? p.arithmeticRange(root) else { return nil }
        let lo = range.lowerBound
        // The node of each expression in the range, on the stack (an array made for each
        // definition cost a tenth of compiling it).
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: range.count) { ids -> Int? in
            ids.initialize(repeating: -1)
            // The same name twice (`x * 0.999 + x ^ 2`) is looked up once.
            var lastName = ""
            var lastID = -1
            for e in range {
                guard case .name(let n) = p[e].kind else { continue }
                if lastID < 0 || n != lastName {
                    guard let id = graph.named[n] else { return nil }
                    (lastName, lastID) = (n, id)
                }
                ids[e - lo] = lastID
            }
            let program = graph.programID(p)
            for e in range {
                let expr = Int32(truncatingIfNeeded: e)
                switch p[e].kind {
                case .number(let v):
                    ids[e - lo] = graph.append(
                        kind: .literal(.scalar(v)), inputs: NodeInputs(), program: program, expr: expr, call: nil)
                case .name:
                    break
                case .negate(let x):
                    ids[e - lo] = negation(of: ids[x - lo], graph: graph, origin: Origin(program: p, expr: e), call: nil)
                case .binary(let b, let l, let r):
                    ids[e - lo] = graph.append(
                        kind: .op(binaryOp(b, settings)), inputs: NodeInputs(ids[Int(l) - lo], ids[Int(r) - lo]),
                        program: program,
                        expr: expr, call: nil)
                default:
                    return nil  // excluded above
                }
            }
            return ids[root - lo]
        }
    }

    /// `-x` for the node `x`: a literal negated in place (so `a = -1` stays a number),
    /// else a `neg` node.
    mutating func negation(of x: Int, _ p: Program, _ e: ExprID, _ env: Int) -> Int {
        Compiler.negation(of: x, graph: graph, origin: Origin(program: p, expr: e), call: envCalls[env])
    }

    static func negation(of x: Int, graph: Graph, origin: Origin, call: Int?) -> Int {
        if case .literal(let v) = graph.nodes[x].kind, !v.isSymbolic, let t = v.numeric {
            let negated: Value = t.shape.isEmpty ? .number(-t.data[0]) : .num(t.map { -$0 })
            return graph.append(kind: .literal(negated), inputs: NodeInputs(), origin: origin, call: call)
        }
        return graph.append(kind: .op(.neg), inputs: NodeInputs(x), origin: origin, call: call)
    }

    /// The op of a binary operator.
    func binaryOp(_ b: BinaryOp) -> Op { Compiler.binaryOp(b, session.settings) }

    static func binaryOp(_ b: BinaryOp, _ settings: Session.Settings) -> Op {
        switch b {
        case .add: return .add
        case .sub: return .sub
        case .mul: return .mul
        case .div: return .div
        case .pow: return .pow
        case .matmul: return .matmul
        case .approx: return .approx(relative: settings.relativeTolerance, absolute: settings.absoluteTolerance)
        default: return .compare(b)
        }
    }

    mutating func visit(_ p: Program, _ e: ExprID, _ env: Int, _ stack: inout [Work]) throws {
        let k = key(p, e, env)
        switch p[e].kind {
        case .number(let v):
            results[k] = add(.literal(.scalar(v)), [], p, e, env)
        case .string:
            throw fail(p, e, "a string is only used as a file name, as in load_csv(\"data.csv\")")
        case .name(let n):
            if !envs[env].isEmpty, let bound = envs[env][n] {
                results[k] = bound
            } else if let id = graph.named[n] {
                results[k] = id
            } else if case .node(let dp, let de) = session.definition(n) {
                guard !inProgress.contains(n) else { throw fail(p, e, "'\(n)' is defined in terms of itself") }
                inProgress.insert(n)
                stack.append(.finish(p, e, env))
                stack.append(.bindName(n, dp, de))
                stack.append(.visit(dp, de, 0))
                stack.append(.beginDefinition(n))
            } else {
                results[k] = try leafOrSymbol(n, p, e, env)
            }
        case .index(let b, let args) where args.contains(where: { if case .slice = p[$0].kind { true } else { false } }):
            // A slice: positions and ranges are read in place; only the base is a node.
            stack.append(.finish(p, e, env))
            stack.append(.visit(p, b, env))
        case .call(let f, let args):
            try checkCall(p, e, f, args)
            stack.append(.finish(p, e, env))
            let compiled = Builtins.byName[f]?.compiledArguments(args) ?? args
            for a in compiled.reversed() { stack.append(.visit(p, a, env)) }
        default:
            stack.append(.finish(p, e, env))
            for c in p.children(of: e).reversed() { stack.append(.visit(p, c, env)) }
        }
    }

    func checkCall(_ p: Program, _ e: ExprID, _ f: String, _ args: [ExprID]) throws {
        if let b = Builtins.byName[f] {
            if b.isLeafMaker {
                throw fail(
                    p, e, "\(f)(…) must be the whole right-hand side of a definition",
                    notes: ["hint: \(b.example)"])
            }
            guard b.arity.contains(args.count) else {
                let want = b.arity.count == 1 ? "\(b.arity.lowerBound)" : "\(b.arity.lowerBound) or \(b.arity.upperBound)"
                throw fail(
                    p, e, "'\(f)' takes \(want) argument\(b.arity.upperBound == 1 ? "" : "s"), got \(args.count)",
                    notes: ["usage: \(b.usage)"])
            }
            return
        }
        if case .function(let params, _, _) = session.definition(f) {
            guard params.count == args.count else {
                throw fail(
                    p, e, "'\(f)' takes \(params.count) argument\(params.count == 1 ? "" : "s"), got \(args.count)",
                    notes: ["usage: \(f)(\(params.joined(separator: ", ")))"])
            }
            return
        }
        let candidates = Builtins.all.map(\.name) + session.functionNames
        var notes = didYouMean(f, among: candidates)
        if session.definition(f) != nil { notes = ["hint: '\(f)' is not a function; write \(f)*(…) for a product"] }
        throw Diagnostic(
            .error, "unknown function '\(f)'", source: p.source,
            span: Span(p[e].span.start, p[e].span.start + f.utf8.count), notes: notes)
    }

    /// A number written in place (an axis), possibly negative.
    func staticInteger(_ p: Program, _ e: ExprID, what: String) throws -> Int {
        if case .number(let v) = p[e].kind, v == v.rounded(), v.magnitude < 1e9 { return Int(v) }
        throw fail(p, e, "\(what) must be a whole number written in place, such as 1")
    }

    /// The positions and ranges of a slice, written in place: `x[2:4]`, `A[:, 1]`.
    func sliceAxes(_ p: Program, _ args: [ExprID]) throws -> [SliceAxis] {
        func position(_ e: ExprID) throws -> Int {
            let i = try staticInteger(p, e, what: "a position in a slice")
            guard i >= 1 else { throw fail(p, e, "positions count from 1, as in x[1]") }
            return i
        }
        return try args.map { a in
            if case .slice(let lo, let hi) = p[a].kind {
                return .range(try lo.map { try position(Int($0)) }, try hi.map { try position(Int($0)) })
            }
            return .at(try position(a))
        }
    }

    /// A literal list of whole numbers written in place (a shape).
    func staticShape(_ p: Program, _ e: ExprID) throws -> [Int] {
        if case .number = p[e].kind { return [try staticInteger(p, e, what: "a shape's size")] }
        guard case .tensor(let items) = p[e].kind else {
            throw fail(p, e, "a shape must be a list of whole numbers written in place, such as [2, 3]")
        }
        return try items.map { try staticInteger(p, $0, what: "a shape's size") }
    }

    mutating func finish(_ p: Program, _ e: ExprID, _ env: Int, _ stack: inout [Work]) throws {
        let k = key(p, e, env)
        func r(_ c: ExprID) -> Int { results[key(p, c, env)] ?? 0 }
        func op(_ o: Op, _ ins: [Int]) -> Int { add(.op(o), ins, p, e, env) }
        switch p[e].kind {
        case .name(let n):
            results[k] = envs[env][n] ?? graph.named[n] ?? 0
        case .binary(let b, let l, let rr):
            results[k] = op(binaryOp(b), [r(Int(l)), r(Int(rr))])
        case .negate(let x):
            results[k] = negation(of: r(x), p, e, env)
        case .transpose(let x):
            results[k] = op(.transpose, [r(x)])
        case .index(let b, let args) where args.contains(where: { if case .slice = p[$0].kind { true } else { false } }):
            results[k] = op(.slice(try sliceAxes(p, args)), [r(b)])
        case .index(let b, let args):
            results[k] = op(.index, [r(b)] + args.map(r))
        case .slice:
            throw fail(p, e, "a range lo:hi is written inside brackets, as in x[2:4]")
        case .tensor(let items):
            let ins = items.map(r)
            let literals = ins.compactMap { id -> Value? in
                if case .literal(let v) = graph.nodes[id].kind { return v }
                return nil
            }
            if literals.count == ins.count, !ins.isEmpty {
                do {
                    results[k] = add(.literal(try Op.stack.evaluate(literals)), [], p, e, env)
                } catch let err as EvalError {
                    throw fail(p, e, err.message, notes: err.notes)
                }
            } else if ins.isEmpty {
                results[k] = add(.literal(.num(Tensor(shape: [0], data: []))), [], p, e, env)
            } else {
                results[k] = op(.stack, ins)
            }
        case .call(let f, let args):
            if case .function(let params, let bp, let be) = session.definition(f), Builtins.byName[f] == nil {
                // Instantiate the body with the parameters bound to the arguments.
                let callID = graph.calls.count
                graph.calls.append(CallInfo(function: f, result: -1, parent: envCalls[env]))
                var bindings: [String: Int] = [:]
                for (i, name) in params.enumerated() { bindings[name] = r(args[i]) }
                envs.append(bindings)
                envCalls.append(callID)
                let benv = envs.count - 1
                stack.append(.finishCall(p, e, env, body: bp, bodyExpr: be, bodyEnv: benv))
                stack.append(.visit(bp, be, benv))
                return
            }
            guard let b = Builtins.byName[f] else { throw fail(p, e, "unknown function '\(f)'") }
            results[k] = try builtin(b, args, p, e, env)
        case .number, .string:
            break
        }
    }

    mutating func builtin(_ b: Builtin, _ args: [ExprID], _ p: Program, _ e: ExprID, _ env: Int) throws -> Int {
        currentOrigin = Origin(program: p, expr: e)
        func r(_ i: Int) -> Int { results[key(p, args[i], env)] ?? 0 }
        func op(_ o: Op, _ ins: [Int]) -> Int { add(.op(o), ins, p, e, env) }
        func axis() throws -> Int? { args.count > 1 ? try staticInteger(p, args[1], what: "an axis") : nil }
        switch b {
        case .exp, .log, .sqrt, .abs, .sin, .cos, .tan, .tanh, .sigmoid, .relu, .softplus, .step, .sign:
            guard let u = b.unary else { throw fail(p, e, "internal: no rule for '\(b.name)'") }
            return op(.unary(u), [r(0)])
        case .pow: return op(.pow, [r(0), r(1)])
        case .sum: return op(.sum(axis: try axis()), [r(0)])
        case .mean: return op(.mean(axis: try axis()), [r(0)])
        case .max: return op(.max(axis: try axis()), [r(0)])
        case .argmax: return op(.argmax(axis: try axis()), [r(0)])
        case .softmax: return op(.softmax(axis: try axis()), [r(0)])
        case .logSoftmax: return op(.logSoftmax(axis: try axis()), [r(0)])
        case .dot:
            return composite(b.name, env, [r(0), r(1)]) { op in op(.sum(axis: nil), [op(.mul, [r(0), r(1)])]) }
        case .matmul: return op(.matmul, [r(0), r(1)])
        case .transpose: return op(.transpose, [r(0)])
        case .reshape: return op(.reshape(try staticShape(p, args[1])), [r(0)])
        case .crossEntropy:
            // -sum(label * log(prediction)) along the last axis: one loss per row.
            return composite(b.name, env, [r(0), r(1)]) { op in op(.neg, [op(.sum(axis: -1), [op(.xlogy, [r(0), r(1)])])]) }
        case .mse:
            return composite(b.name, env, [r(0), r(1)]) { op in
                let two = graph.append(Node(kind: .literal(.scalar(2)), inputs: []), origin: Origin(program: p, expr: e))
                return op(.mean(axis: nil), [op(.pow, [op(.sub, [r(0), r(1)]), two])])
            }
        case .loadCSV:
            guard case .string(let path) = p[args[0]].kind else {
                throw fail(p, args[0], "load_csv takes a file name in quotes, such as load_csv(\"data.csv\")")
            }
            do {
                return add(.literal(.num(try CSV.load(path, besideScript: p.source.name))), [], p, e, env)
            } catch let err as EvalError {
                throw fail(p, args[0], err.message, notes: err.notes)
            }
        case .zeros: return op(.zeros, [r(0)])
        case .ones: return op(.ones, [r(0)])
        case .eye: return op(.eye, [r(0)])
        case .uniform: return op(.uniform(seed: generatorSeed(p, e)), [r(0), r(1), r(2)])
        case .normal: return op(.normal(seed: generatorSeed(p, e)), [r(0), r(1), r(2)])
        case .grad:
            return try gradient(
                of: r(0), wrt: r(1), try independents(r(1), of: r(0), p, args[1]), e, p, env,
                lazy: lazyGradients && definitions.isEmpty)
        case .jacobian:
            let xs = try independents(r(1), of: r(0), p, args[1])
            return add(.jacobian, [r(0)] + xs, p, e, env)
        case .hessian:
            let xs = try independents(r(1), of: r(0), p, args[1])
            let g = try gradient(of: r(0), wrt: r(1), xs, e, p, env)
            return add(.jacobian, [g] + xs, p, e, env)
        case .variable, .placeholder, .constant:
            // Refused by checkCall: they make leaves, in definitions only.
            throw fail(p, e, "\(b.name)(…) must be the whole right-hand side of a definition", notes: ["hint: \(b.example)"])
        }
    }

    /// A built-in made of several ops (cross_entropy, mse, dot), recorded as a call so
    /// that drawings show it as one box, as they do user functions.
    func composite(_ f: String, _ env: Int, _ arguments: [Int], _ build: ((Op, [Int]) -> Int) -> Int) -> Int {
        let callID = graph.calls.count
        graph.calls.append(CallInfo(function: f, result: -1, parent: envCalls[env], arguments: arguments))
        let origin = currentOrigin
        let g = graph
        let result = build { o, ins in g.append(Node(kind: .op(o), inputs: ins, call: callID), origin: origin) }
        graph.calls[callID].result = result
        return result
    }

    /// A reproducible seed for a random generator: from `:set seed N` and the order in
    /// which generators are first compiled (definitions compile as they are made), so a
    /// script gives the same numbers whatever its file is called.
    mutating func generatorSeed(_ p: Program, _ e: ExprID) -> UInt64 {
        guard let d = definitions.last else { return session.generatorSeed(for: .elsewhere(program: p.serial, expr: e)) }
        definitions[definitions.count - 1].generators += 1
        return session.generatorSeed(for: .inDefinition(d.name, d.generators))
    }

    /// The nodes `grad`, `jacobian` or `hessian` differentiate with respect to, with
    /// errors located at the argument.
    func independents(_ x: Int, of f: Int, _ p: Program, _ xe: ExprID) throws -> [Int] {
        let xs: [Int]
        do {
            xs = try graph.independents(x, of: f)
        } catch let err as EvalError {
            throw fail(p, xe, err.message, notes: err.notes)
        }
        // A name nothing defines and f does not use is most likely a slip: its derivative
        // is 0, and a note says why.
        for x in xs {
            guard case .leaf(let name, .symbol) = graph.nodes[x].kind, graph.dependsOn(x, order: graph.order([f]))[f] != true
            else {
                continue
            }
            var notes = didYouMean(name, among: session.order)
            for fn in session.functionNames {
                if case .function(let params, _, _) = session.definition(fn), params.contains(name) {
                    notes = [
                        "hint: '\(name)' is a parameter of \(fn) and names nothing outside it; name the argument in a definition"
                    ]
                }
            }
            session.notes.append(
                Diagnostic(
                    .note, "'\(name)' is not defined and \(graph.label(f)) does not use it, so the derivative is 0",
                    source: p.source, span: p[xe].span, notes: notes))
        }
        return xs
    }

    /// `grad(f, x)` as new graph nodes (see `Graph.gradientNode`): for the independents
    /// `xs` the user's `x` stands for, one gradient, or the list of them.
    mutating func gradient(
        of f: Int, wrt x: Int, _ xs: [Int], _ e: ExprID, _ p: Program, _ env: Int, lazy: Bool = false
    ) throws -> Int {
        let origin = Origin(program: p, expr: e)
        func one(_ x: Int) throws -> Int {
            if lazy { return add(.gradient, [f, x], p, e, env) }
            return try graph.gradientNode(of: f, wrt: x, origin: origin, call: envCalls[env])
        }
        do {
            if xs.count == 1, xs[0] == x { return try one(x) }
            let parts = try xs.map(one)
            return add(.op(.stack), parts, p, e, env)
        } catch let err as EvalError {
            throw fail(p, e, err.message, notes: err.notes)
        }
    }
}

extension Session {
    /// The session's graph, compiled as far as it has been asked for.
    public var graph: Graph {
        if let c = cachedGraph, c.version == version { return c.graph }
        let g = Graph()
        cachedGraph = (version, g)
        return g
    }

    /// The node of a name (compiling it if needed).
    public func node(named name: String) throws -> Int {
        var c = Compiler(session: self, graph: graph)
        return try c.compile(name: name, at: nil)
    }

    /// The node of `name`, just defined as the expression `expr` of `program`: what
    /// `node(named:)` gives, without looking the name up (storing the definition dropped
    /// any node the graph had for it).
    /// `arithmetic`: `program.arithmeticRange(expr)` if the caller has it already.
    func compileDefinition(
        _ name: String, _ program: Program, _ expr: ExprID, arithmetic: ClosedRange<ExprID>? = nil
    ) throws -> Int {
        let g = graph
        // Arithmetic needs no compiler (and calls no generator, whose seeds count by
        // definition).
        if let id = Compiler.arithmetic(program, expr, graph: g, settings: settings, range: arithmetic) {
            g.bind(name, id)
            return id
        }
        var c = Compiler(session: self, graph: g)
        c.definitions = [(name, 0)]
        let id = try c.compile(program, expr)
        c.bind(name, id)
        return id
    }

    /// Compile the definitions among `names` that are not compiled yet, so that work in a
    /// scratch overlay (a `print`, a command) finds them in the graph rather than
    /// compiling them anew each time. Errors are left for that work to report.
    public func precompile(_ names: some Sequence<String>) {
        let g = graph
        for n in names where g.named[n] == nil {
            if case .node = definition(n) { _ = try? node(named: n) }
        }
    }

    /// Compile an expression of a program into the session's graph; `defining`: the
    /// name whose definition it is the value of (`W` in `W = variable(normal(…))`), for
    /// the seeds of its generators.
    public func compile(
        _ program: Program, _ expr: ExprID, defining: String? = nil, lazyGradients: Bool = false
    ) throws -> Int {
        var c = Compiler(session: self, graph: graph)
        c.lazyGradients = lazyGradients
        if let defining { c.definitions = [(defining, 0)] }
        return try c.compile(program, expr)
    }
}

extension ObjectIdentifier {
    /// The object's address, as bits to hash.
    var hashBits: Int { Int(bitPattern: UInt(bitPattern: self)) }
}
