import GraphLang

/// The kinds of leaves, after the lecture's TensorFlow vocabulary, plus free symbols.
public enum LeafKind: String, Sendable {
    /// `a = 3`: a differentiable input with a value.
    case input
    /// `W = variable(init)`: a trainable parameter.
    case variable
    /// `x = placeholder(shape)`: no value until fed.
    case placeholder
    /// `k = constant(2)`: not differentiable.
    case constant
    /// A name used but never defined: its value is the symbol itself.
    case symbol
}

/// Where a node came from in the user's source, for located runtime errors.
public struct Origin: Sendable {
    public let program: Program
    /// The expression, as 32 bits: a node is 16 bytes smaller with it and `call` so.
    let exprIndex: Int32
    public var expr: ExprID { Int(exprIndex) }
    public var span: Span { program[expr].span }
    public func diagnostic(_ message: String, notes: [String] = []) -> Diagnostic {
        Diagnostic(.error, message, source: program.source, span: span, notes: notes)
    }
}

extension Origin {
    public init(program: Program, expr: ExprID) {
        self.init(program: program, exprIndex: Int32(truncatingIfNeeded: expr))
    }
}

/// One node of the computation graph.
public struct Node: Sendable {
    public enum Kind: Sendable {
        case leaf(String, LeafKind)
        case literal(Value)
        case op(Op)
        /// `jacobian(y, x)` (inputs: y, x): computed by sweeps over y's graph.
        case jacobian
        /// `grad(f, x)` (inputs: f, x) where the gradient is only shown, as in `print
        /// grad(f, x)`: computed by a reverse sweep over f's graph when evaluated, without
        /// building the gradient's own graph (see `Compiler.lazyGradients`).
        case gradient
    }
    // In this order the fields pack into 48 bytes (the 32-bit fields beside the kind's
    // tag): the nodes of a long script are tens of megabytes. The name a node is the
    // value of is kept by its graph (`Graph.name(of:)`): most nodes have none.
    public var kind: Kind
    /// `call`, or -1 for none.
    var callIndex: Int32 = -1
    /// Where the node comes from: a program of its graph's `programs` (-1: none) and an
    /// expression of it, which `Graph.origin(of:)` gives as an `Origin`. An index, not
    /// the program: counting a reference for each node cost more than making it.
    var originProgram: Int32 = -1
    var originExpr: Int32 = 0
    public var inputs: NodeInputs

    /// The user-function call whose body made this node, for drawing module boxes.
    public var call: Int? {
        get { callIndex < 0 ? nil : Int(callIndex) }
        set { callIndex = newValue.map { Int32(truncatingIfNeeded: $0) } ?? -1 }
    }

    public var op: Op? {
        if case .op(let o) = kind { return o }
        return nil
    }
    public var leaf: (String, LeafKind)? {
        if case .leaf(let n, let k) = kind { return (n, k) }
        return nil
    }
}

extension Node {
    // Written in an extension, this keeps the memberwise init, which `Graph.append`
    // uses: with an init in the struct itself, making a node copied it whole and then
    // destroyed the original (a tenth of compiling a line of arithmetic).
    public init(kind: Kind, inputs: [Int], call: Int? = nil) {
        self.init(kind: kind, inputs: NodeInputs(inputs))
        self.call = call
    }
}

/// A node's inputs: up to two held in place (every scalar op's), more in an array, so
/// that making a node of arithmetic allocates nothing for its inputs.
public struct NodeInputs: RandomAccessCollection, Sendable {
    /// The first two inputs, -1 where there is none; unused when `more` is set.
    var a: Int32
    var b: Int32
    /// Every input, when there are more than two.
    var more: [Int]?

    public init() {
        (a, b, more) = (-1, -1, nil)
    }
    public init(_ x: Int) {
        (a, b, more) = (Int32(truncatingIfNeeded: x), -1, nil)
    }
    public init(_ x: Int, _ y: Int) {
        (a, b, more) = (Int32(truncatingIfNeeded: x), Int32(truncatingIfNeeded: y), nil)
    }
    public init(_ ids: [Int]) {
        switch ids.count {
        case 0: self.init()
        case 1: self.init(ids[0])
        case 2: self.init(ids[0], ids[1])
        default: self.init(more: ids)
        }
    }
    private init(more: [Int]) {
        (a, b, self.more) = (-1, -1, more)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        if let more { return more.count }
        return b >= 0 ? 2 : a >= 0 ? 1 : 0
    }
    public subscript(_ i: Int) -> Int {
        if let more { return more[i] }
        precondition(i >= 0 && i < endIndex, "input index out of range")
        return Int(i == 0 ? a : b)
    }
    /// The inputs as an array.
    public var array: [Int] { more ?? Array(self) }
}

extension Op {
    /// The helpers derivative rules emit to keep shapes right (`unbroadcast`,
    /// `reshape_like`, …): as users read a derivative, each is what it carries.
    public var isShapeHelper: Bool {
        switch self {
        case .unbroadcast, .broadcastLike, .reshapeLike, .expandAxis, .promote, .matmulOutAsMatrix: return true
        default: return false
        }
    }
}

extension Graph {
    /// Whether `n` is the seed of a gradient (ones shaped like the output).
    public func isSeed(_ n: Int) -> Bool {
        var m = n
        while case .op(let op) = nodes[m].kind, op.isShapeHelper { m = nodes[m].inputs[0] }
        if case .op(.seedOne) = nodes[m].kind { return true }
        return false
    }

    /// The node users see for `n` in a derivative graph: through shape helpers and
    /// products with the seed, to what they carry.
    public func shown(_ n: Int) -> Int {
        var m = n
        while case .op(let op) = nodes[m].kind {
            if op.isShapeHelper {
                m = nodes[m].inputs[0]
            } else if case .mul = op, isSeed(nodes[m].inputs[0]) || isSeed(nodes[m].inputs[1]) {
                m = isSeed(nodes[m].inputs[0]) ? nodes[m].inputs[1] : nodes[m].inputs[0]
            } else {
                break
            }
        }
        return m
    }

    /// The built-in made of several ops whose result `n` is: its name and arguments.
    public func composite(resultOf n: Int) -> (builtin: Builtin, arguments: [Int])? {
        guard let k = nodes[n].call, calls[k].result == n, let b = Builtins.byName[calls[k].function], b.isComposite
        else { return nil }
        return (b, calls[k].arguments)
    }

    /// Whether `n` is inside a built-in made of several ops (not its result): traces and
    /// paths step over it, as the user wrote one call.
    public func isInsideComposite(_ n: Int) -> Bool {
        guard let k = nodes[n].call, calls[k].result != n, let b = Builtins.byName[calls[k].function] else { return false }
        return b.isComposite
    }

    /// The inputs a path follows into `n`: the node's own, or a composite's distinct
    /// arguments (`dot(y, y)` is one step from y, its partial the total through both).
    public func pathInputs(_ n: Int) -> [Int] {
        guard let args = composite(resultOf: n)?.arguments else { return nodes[n].inputs.array }
        var seen = Set<Int>()
        return args.filter { seen.insert($0).inserted }
    }
}

/// A user-function call in the graph: its name and the node that is its result.
public struct CallInfo: Sendable {
    public var function: String
    public var result: Int
    /// The call whose body made this call, if any.
    public var parent: Int?
    /// The nodes of its arguments, for a built-in made of several ops (`cross_entropy`,
    /// `mse`, `dot`), which traces show as one step, as the user wrote it.
    public var arguments: [Int] = []
}

/// A computation graph stored flat: nodes in an array, edges as integer ids, so sweeps
/// over a million nodes are loops, never recursion.
public final class Graph: @unchecked Sendable {
    public internal(set) var nodes: [Node] = []
    /// Node of each compiled definition.
    public internal(set) var named: NameMap<Int> = [:]
    /// Leaf node of each leaf name.
    public internal(set) var leaves: NameMap<Int> = [:]
    public internal(set) var calls: [CallInfo] = []
    /// Visit marks reused by `order`: a node is visited when its mark equals the
    /// current generation, so a traversal costs its cone, not the whole graph.
    var marks: [UInt32] = []
    var generation: UInt32 = 0
    /// The scalar tape of the last cone asked for, or nil when it has none: evaluating a
    /// cone and then sweeping it in reverse build it once. Nodes are never changed once
    /// made, so it stays right until `scratch` drops nodes (whose ids are then reused).
    var tapeCache: (order: [Int], count: Int, untilDerivative: Bool, tape: ScalarTape?)?

    public init() {}

    /// The scalar tape of `order` (see `ScalarTape`) when it is worth one (large enough,
    /// and a good part of the graph, so its arrays by node id pay off); nil when not, or
    /// when some node is not a scalar op. The last tape made serves when it is of the
    /// same nodes (it may be of the first part of a longer order: `tapeUntilDerivative`).
    func scalarTape(_ order: [Int]) -> ScalarTape? {
        let n = order.count
        guard n >= ScalarTape.minimumNodes, n * 8 >= nodes.count else { return nil }
        if let c = tapeCache, c.count == n, c.order == order || c.order[..<n].elementsEqual(order) {
            return c.tape
        }
        let t = ScalarTape(graph: self, order: order)
        tapeCache = (order, n, false, t)
        return t
    }

    /// The tape of the part of `order` before its first gradient or Jacobian node (all
    /// of it when there is none), under the same conditions as `scalarTape`: the part a
    /// statement such as `print f, grad(f, x)` evaluates on a tape, found in the same
    /// pass over the nodes that makes it.
    func tapeUntilDerivative(_ order: [Int]) -> ScalarTape? {
        guard order.count >= ScalarTape.minimumNodes, order.count * 8 >= nodes.count else { return nil }
        // (The graph may have grown since: the tape must still be worth it.)
        if let c = tapeCache, c.untilDerivative, c.order == order { return c.count * 8 >= nodes.count ? c.tape : nil }
        var t = ScalarTape(graph: self, order: order, untilDerivative: true)
        let n = t?.ids.count ?? 0
        if n < ScalarTape.minimumNodes || n * 8 < nodes.count { t = nil }
        tapeCache = (order, n, true, t)
        return t
    }

    /// The tape of `order([f])` when the last tape made is of it already: the tape of
    /// the part of an order up to f, where that order's first root is f (`print f,
    /// grad(f, x)`), whose part up to f is f's order (`order`).
    func coneTape(of f: Int) -> ScalarTape? {
        guard let t = tapeCache, let tape = t.tape, t.count > 0, t.count <= t.order.count, t.order[t.count - 1] == f,
            let c = orders.first(where: { $0.roots.first == f }), c.order == t.order
        else { return nil }
        return tape
    }

    /// Every node's inputs again, flat: node n's are `edges[edgeStart[n]..<edgeStart[n + 1]]`.
    /// Searches read these rather than the nodes, which are large: a million-node cone
    /// is then a few megabytes to walk, not a hundred. Made for the first `edgesMade`
    /// nodes only, by `makeEdges` when a search needs them: a script's definitions add
    /// nodes by the hundred thousand before anything is searched, and one pass over
    /// them then costs a tenth of appending each node's inputs as it is made.
    var edgeStart: [Int32] = [0]
    var edges: [Int32] = []
    var edgesMade = 0

    /// Bring `edges` up to date with `nodes`.
    func makeEdges() {
        if edgesMade == nodes.count { return }
        // Local copies: a class's stored arrays pay a uniqueness check on every append.
        var edges = self.edges
        var start = self.edgeStart
        self.edges = []
        self.edgeStart = []
        defer {
            self.edges = edges
            self.edgeStart = start
            edgesMade = nodes.count
        }
        start.reserveCapacity(nodes.count + 1)
        edges.reserveCapacity(edges.count + 2 * (nodes.count - edgesMade))
        nodes.withUnsafeBufferPointer { nodes in
            for n in edgesMade..<nodes.count {
                let inputs = nodes[n].inputs
                if let more = inputs.more {
                    for c in more { edges.append(Int32(truncatingIfNeeded: c)) }
                } else {
                    if inputs.a >= 0 { edges.append(inputs.a) }
                    if inputs.b >= 0 { edges.append(inputs.b) }
                }
                precondition(edges.count < Int(Int32.max), "graph too large")
                start.append(Int32(truncatingIfNeeded: edges.count))
            }
        }
    }

    /// Name node `id` (the node of a definition).
    func bind(_ name: String, _ id: Int) {
        named[name] = id
        setName(name, of: id)
    }

    /// The name each named node is the value of (the first bound to it: `c` in `c = a +
    /// b`), by node id in increasing order. Kept beside the nodes, not in them, since most
    /// nodes have none (a node in 48 bytes, not 64); a name is nearly always bound to the
    /// node just made, so binding one appends.
    var namedIDs: [Int32] = []
    var nodeNames: [String] = []

    /// The definition node `id` is the value of, if any.
    public func name(of id: Int) -> String? {
        let k = namedIndex(id)
        return k < namedIDs.count && Int(namedIDs[k]) == id ? nodeNames[k] : nil
    }

    /// The first position in `namedIDs` holding `id` or more.
    func namedIndex(_ id: Int) -> Int {
        var lo = 0
        var hi = namedIDs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Int(namedIDs[mid]) < id { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Name node `id`, unless it has a name already.
    func setName(_ name: String, of id: Int) {
        if let last = namedIDs.last, Int(last) >= id {
            let k = namedIndex(id)
            if k < namedIDs.count, Int(namedIDs[k]) == id { return }
            namedIDs.insert(Int32(truncatingIfNeeded: id), at: k)
            nodeNames.insert(name, at: k)
        } else {
            namedIDs.append(Int32(truncatingIfNeeded: id))
            nodeNames.append(name)
        }
    }

    /// Room for `n` more nodes, so that a script about to be run (about a node per
    /// expression node) does not copy the arrays at each doubling.
    func reserveCapacity(_ n: Int, names: Int = 0) {
        // The table of names first: it is filled at once (its slots), the nodes' room
        // only as they are made, so the table lies where the heap was mapped in first
        // (`graphrepl_prefault`).
        if names > 0 {
            named.reserveCapacity(names)
            namedIDs.reserveCapacity(namedIDs.count + names)
            nodeNames.reserveCapacity(nodeNames.count + names)
        }
        nodes.reserveCapacity(nodes.count + n)
    }

    @discardableResult
    func append(_ node: consuming Node, origin: Origin? = nil) -> Int {
        precondition(nodes.count < Int(Int32.max), "graph too large")
        if let origin {
            node.originProgram = programID(origin.program)
            node.originExpr = origin.exprIndex
        }
        nodes.append(node)
        return nodes.count - 1
    }

    /// A node made in place at the end of the graph: no copy of it, or of its fields,
    /// which cost more than the rest of making it.
    func append(kind: consuming Node.Kind, inputs: NodeInputs, origin: Origin?, call: Int?) -> Int {
        append(
            kind: kind, inputs: inputs, program: origin.map { programID($0.program) } ?? -1,
            expr: origin?.exprIndex ?? 0, call: call)
    }

    /// `append(kind:inputs:origin:call:)` with the origin's program already given its
    /// index (`programID`): a definition's nodes all come from one program.
    func append(kind: consuming Node.Kind, inputs: NodeInputs, program: Int32, expr: Int32, call: Int?) -> Int {
        precondition(nodes.count < Int(Int32.max), "graph too large")
        nodes.append(
            Node(
                kind: kind, callIndex: call.map { Int32(truncatingIfNeeded: $0) } ?? -1, originProgram: program,
                originExpr: expr, inputs: inputs))
        return nodes.count - 1
    }

    /// The programs the nodes were compiled from (see `Node.originProgram`), each once,
    /// and their indices by identity once there are more than a few.
    var programs: [Program] = []
    var programIDs: [ObjectIdentifier: Int32] = [:]

    /// The index of `p` in `programs`, added if new. `programIDs` is empty while there
    /// are few programs (a short search finds them), else it holds every one.
    func programID(_ p: Program) -> Int32 {
        if let last = programs.last, last === p { return Int32(programs.count - 1) }
        if programIDs.isEmpty {
            if let k = programs.firstIndex(where: { $0 === p }) { return Int32(k) }
        } else if let k = programIDs[ObjectIdentifier(p)] {
            return k
        }
        programs.append(p)
        let k = Int32(programs.count - 1)
        if !programIDs.isEmpty {
            programIDs[ObjectIdentifier(p)] = k
        } else if programs.count > 8 {
            for (i, q) in programs.enumerated() { programIDs[ObjectIdentifier(q)] = Int32(i) }
        }
        return k
    }

    /// The expression node `id` was compiled from, if any.
    public func origin(of id: Int) -> Origin? {
        let k = nodes[id].originProgram
        guard k >= 0 else { return nil }
        return Origin(program: programs[Int(k)], exprIndex: nodes[id].originExpr)
    }

    /// Every node `roots` depend on, inputs before the nodes that use them (iterative
    /// depth-first search).
    public func order(_ roots: [Int]) -> [Int] {
        // A statement asks for the same cone more than once (compiling `grad(f, x)`, then
        // sweeping f): the last two are kept. Nodes never change once made, so an order
        // stays right until `scratch` drops nodes, whose ids are then reused.
        if let k = orders.firstIndex(where: { $0.roots == roots }) { return orders[k].order }
        // `print f, grad(f, x)` asks for f's cone and then for both: the search starts
        // from f's, which is the first part of the order of both.
        var known: [Int] = []
        if roots.count > 1, let k = orders.firstIndex(where: { $0.roots == [roots[0]] }) { known = orders[k].order }
        // And the other way: f's cone is the first part of the order of f and more, up
        // to f itself (a node comes after its cone). A node is in an order once; f is
        // found from the end, as what the other roots add is usually little.
        let o: [Int]
        if roots.count == 1, let c = orders.first(where: { $0.roots.first == roots[0] }),
            let end = c.order.lastIndex(of: roots[0])
        {
            o = Array(c.order[...end])
        } else {
            o = search(roots, after: known)
        }
        if orders.count == 2 { orders.removeFirst() }
        orders.append((roots, o))
        return o
    }

    /// The last orders asked for, most recent last.
    var orders: [(roots: [Int], order: [Int])] = []

    /// The order of `roots` by a depth-first search; `known`: the order of `roots[0]`
    /// alone, if already found.
    func search(_ roots: [Int], after known: [Int] = []) -> [Int] {
        // The loop works on local copies: a class's stored arrays pay an exclusivity check
        // and a retain on every access, which cost more than the search itself.
        var marks = self.marks
        self.marks = []
        defer { self.marks = marks }
        if marks.count < nodes.count { marks.append(contentsOf: repeatElement(0, count: nodes.count - marks.count)) }
        generation &+= 1
        if generation == 0 {
            for i in marks.indices { marks[i] = 0 }
            generation = 1
        }
        let gen = generation
        makeEdges()
        return edgeStart.withUnsafeBufferPointer { start in
            edges.withUnsafeBufferPointer { edges in
                marks.withUnsafeMutableBufferPointer { marks in
                    for n in known { marks[n] = gen }
                    return Graph.search(roots, start: start, edges: edges, marks: marks, generation: gen, after: known)
                }
            }
        }
    }

    /// The depth-first search of `search` on the flat edges, its state all local (in a
    /// closure, captured variables live in boxes on the heap, which cost more than the
    /// visits).
    static func search(
        _ roots: [Int], start: UnsafeBufferPointer<Int32>, edges: UnsafeBufferPointer<Int32>,
        marks: UnsafeMutableBufferPointer<UInt32>, generation gen: UInt32, after known: [Int]
    ) -> [Int] {
        // The order written in place: a cone holds each node of the graph at most once, so
        // the graph's size bounds it (the room past the cone is never touched).
        let bound = Swift.max(start.count - 1, known.count)
        return [Int](unsafeUninitializedCapacity: bound) { out, count in
            var n = 0
            for k in known {
                out[n] = k
                n += 1
            }
            // The search's stack: node and next edge to follow, grown by hand (an array's
            // uniqueness check on every write cost as much as the visit).
            var capacity = 1024
            var stack = UnsafeMutablePointer<(node: Int, next: Int)>.allocate(capacity: capacity)
            defer { stack.deallocate() }
            var depth = 0
            for r in roots where marks[r] != gen {
                stack[0] = (r, Int(start[r]))
                depth = 1
                marks[r] = gen
                while depth > 0 {
                    let (node, i) = stack[depth - 1]
                    if i < Int(start[node + 1]) {
                        stack[depth - 1].next = i + 1
                        let c = Int(edges[i])
                        if marks[c] != gen {
                            marks[c] = gen
                            if depth == capacity {
                                let bigger = UnsafeMutablePointer<(node: Int, next: Int)>.allocate(capacity: capacity * 2)
                                bigger.moveInitialize(from: stack, count: depth)
                                stack.deallocate()
                                stack = bigger
                                capacity *= 2
                            }
                            stack[depth] = (c, Int(start[c]))
                            depth += 1
                        }
                    } else {
                        depth -= 1
                        precondition(n < bound, "a cone larger than its graph")
                        out[n] = node
                        n += 1
                    }
                }
            }
            count = n
        }
    }

    /// For the nodes of `order`, whether each depends on `source` through differentiable
    /// inputs (or, `structural`, through every edge a path can follow, the inputs of step,
    /// sign and comparisons too: `Op.carriesDependence`).
    public func dependsOn(_ source: Int, order: [Int], structural: Bool = false) -> NodeMap<Bool> {
        dependsOn([source], order: order, structural: structural)
    }

    /// The nodes of `order` that depend on any of `sources` (the sources included).
    public func dependsOn(_ sources: [Int], order: [Int], structural: Bool = false) -> NodeMap<Bool> {
        var dep = NodeMap<Bool>(graphSize: nodes.count, touched: order.count)
        for s in sources { dep[s] = true }
        makeEdges()
        nodes.withUnsafeBufferPointer { nodes in
            edgeStart.withUnsafeBufferPointer { start in
                edges.withUnsafeBufferPointer { edges in
                    for n in order where dep[n] != true {
                        let first = Int(start[n])
                        switch nodes[n].kind {
                        case .op(let op):
                            for e in first..<Int(start[n + 1])
                            where (structural ? op.carriesDependence(e - first) : op.isDifferentiableInput(e - first))
                                && dep[Int(edges[e])] == true
                            {
                                dep[n] = true
                                break
                            }
                        case .jacobian, .gradient:
                            if dep[Int(edges[first])] == true { dep[n] = true }
                        default: break
                        }
                    }
                }
            }
        }
        return dep
    }

    /// Run `body` with an overlay on the graph: every node and call it adds, and every
    /// name bound to such a node, is dropped afterwards, on every exit path, so read-only
    /// work (a `print`, a command, the rules a trace shows) leaves the graph as it was.
    /// Nodes made before refer only to nodes made before them, so nothing that stays
    /// refers to what is dropped. Names bound inside to older nodes stay (they are what
    /// compiling them would give again); session state outside the graph (generator
    /// seeds, notes) is not the overlay's concern.
    public func scratch<R>(_ body: () throws -> R) rethrows -> R {
        let nodeMark = nodes.count
        let callMark = calls.count
        let namedBefore = named.count
        let leavesBefore = leaves.count
        let programMark = programs.count
        defer {
            if nodes.count > nodeMark {
                nodes.removeSubrange(nodeMark...)
                if edgesMade > nodeMark {
                    edges.removeSubrange(Int(edgeStart[nodeMark])...)
                    edgeStart.removeSubrange((nodeMark + 1)...)
                    edgesMade = nodeMark
                }
                tapeCache = nil
                orders = []
                if named.count != namedBefore { named = named.filter { $0.value < nodeMark } }
                let k = namedIndex(nodeMark)
                if k < namedIDs.count {
                    namedIDs.removeSubrange(k...)
                    nodeNames.removeSubrange(k...)
                }
                if leaves.count != leavesBefore { leaves = leaves.filter { $0.value < nodeMark } }
            }
            if calls.count > callMark { calls.removeSubrange(callMark...) }
            // Only the dropped nodes came from programs added since.
            if programs.count > programMark {
                for p in programs[programMark...] { programIDs[ObjectIdentifier(p)] = nil }
                programs.removeSubrange(programMark...)
            }
        }
        return try body()
    }

    /// A short readable label: the node's name, or its expression when it has none.
    public func label(_ id: Int, limit: Int = 60) -> String {
        if let n = name(of: id) { return n }
        let s = expressionText(id, stopAtNames: true)
        return s.count > limit ? String(s.prefix(limit - 1)) + "…" : s
    }

    /// The node as an expression in the language, stopping at named nodes (iterative).
    public func expressionText(
        _ root: Int, stopAtNames: Bool = true, maxLength: Int = 2000, override: (Int) -> String? = { _ in nil }
    ) -> String {
        var done: [Int: (String, Int)] = [:]
        var stack: [(Int, Bool)] = [(root, false)]
        while let (id, expanded) = stack.popLast() {
            if done[id] != nil { continue }
            let node = nodes[id]
            if id != root, let text = override(id) {
                done[id] = (text, 6)
                continue
            }
            if let n = name(of: id), stopAtNames, id != root || node.leaf != nil {
                done[id] = (n, 6)
                continue
            }
            switch node.kind {
            case .leaf(let n, _):
                done[id] = (n, 6)
                continue
            case .literal(let v):
                let t = formatValue(v)
                done[id] = (t, t.hasPrefix("-") ? 4 : 6)
                continue
            default: break
            }
            // A built-in made of several ops reads as the call the user wrote.
            let composite = self.composite(resultOf: id)
            let children = composite?.arguments ?? node.inputs.array
            if !expanded {
                stack.append((id, true))
                for c in children.reversed() where done[c] == nil { stack.append((c, false)) }
                continue
            }
            let args = children.map { done[$0] ?? ("?", 6) }
            var text: (String, Int)
            switch node.kind {
            case .op(let op) where op.isShapeHelper:
                text = args[0]  // what it carries, as users read it
            case .op(.seedOne):
                text = ("1", 6)
            case .op(.mul) where isSeed(node.inputs[0]) || isSeed(node.inputs[1]):
                text = isSeed(node.inputs[0]) ? args[1] : args[0]
            case .op where composite != nil:
                text = ("\(composite?.builtin.name ?? "")(" + args.map(\.0).joined(separator: ", ") + ")", 6)
            case .op(let op): text = op.format(args)
            case .jacobian: text = ("jacobian(\(args[0].0), \(args[1].0))", 6)
            case .gradient: text = ("grad(\(args[0].0), \(args[1].0))", 6)
            default: text = ("?", 6)
            }
            if text.0.count > maxLength { text = (String(text.0.prefix(maxLength)) + "…", 6) }
            done[id] = text
        }
        return done[root]?.0 ?? "?"
    }
}

/// Emits graph nodes: the algebra that turns derivative rules into derivative graphs.
/// Multiplying by a literal 1 or adding a literal 0 emits nothing.
public struct GraphBuilder: Algebra {
    public let graph: Graph
    let origin: Origin?
    let call: Int?
    var literals: [Double: Int] = [:]
    /// For showing rules on a graph of scalars: leave out the shape helpers
    /// (`unbroadcast`, `broadcast_like`, `reshape_like`), which are identities there.
    public var scalarsOnly = false

    public init(graph: Graph, origin: Origin?, call: Int? = nil) {
        self.graph = graph
        self.origin = origin
        self.call = call
    }

    public mutating func apply(_ op: Op, _ args: [Int]) throws -> Int {
        if scalarsOnly {
            switch op {
            case .unbroadcast, .broadcastLike, .reshapeLike, .sum, .mean: return args[0]
            default: break
            }
        }
        // Arithmetic on numbers written in place is done now: 2 - 1 is 1, x^1 is x.
        switch op {
        case .add, .sub, .mul, .div, .pow, .neg:
            let numbers = args.compactMap { id -> Double? in
                if case .literal(let v) = graph.nodes[id].kind, v.shape.isEmpty { return v.scalarValue }
                return nil
            }
            if numbers.count == args.count, let v = try op.evaluate(numbers.map { .scalar($0) }).scalarValue, v.isFinite {
                return literal(v)
            }
            if case .pow = op, isLiteral(args[1], 1) { return args[0] }
        default: break
        }
        if case .neg = op, case .op(.neg) = graph.nodes[args[0]].kind { return graph.nodes[args[0]].inputs[0] }
        return graph.append(Node(kind: .op(op), inputs: args, call: call), origin: origin)
    }
    public mutating func literal(_ x: Double) -> Int {
        if let id = literals[x] { return id }
        let id = graph.append(Node(kind: .literal(.scalar(x)), inputs: [], call: call), origin: origin)
        literals[x] = id
        return id
    }
    public func isLiteral(_ t: Int, _ x: Double) -> Bool {
        if case .literal(let v) = graph.nodes[t].kind, v.shape.isEmpty, v.scalarValue == x { return true }
        return false
    }
}
