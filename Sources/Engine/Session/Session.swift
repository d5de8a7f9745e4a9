import GraphLang

/// A session: named definitions bound late, as in a spreadsheet, and the values of the
/// leaves. A refused definition leaves the session exactly as it was.
public final class Session {
    public enum Definition {
        /// `c = a + b`: an operation node, compiled when needed.
        case node(Program, ExprID)
        /// A leaf; its value lives in `values` (placeholders: in `placeholderShapes`).
        case leaf(LeafKind, Origin?)
        /// `fn f(p, q) = body`.
        case function(params: [String], Program, ExprID)
    }

    public struct Settings: Sendable {
        public var digits: Int? = nil
        public var seed: UInt64 = 0
        public var relativeTolerance = 1e-9
        public var absoluteTolerance = 1e-12
        public init() {}
    }

    /// Each name's definition, what it refers to and how many definitions refer to it,
    /// in one table (a definition reads and writes all three).
    struct Entry {
        var definition: Definition?
        var references: [String] = []
        var referenceCount = 0
    }
    var entries: NameMap<Entry> = [:]
    /// Definition order, for `:list` and `:save`.
    public private(set) var order: [String] = []
    public internal(set) var values: [String: Value] = [:] {
        didSet { valuesChanged &+= 1 }
    }
    /// Counts changes of `values`: work computed from them is still right while this
    /// and `version` stay the same.
    public private(set) var valuesChanged = 0
    public internal(set) var placeholderShapes: [String: [Int]] = [:]
    public var settings = Settings()
    /// Bumped on every change of structure; the compiled graph is cached against it.
    public private(set) var version = 0
    var cachedGraph: (version: Int, graph: Graph)?
    /// Counter that makes each random generator's seed distinct, and the seeds given.
    var generatorCounter: UInt64 = 0
    var generatorSeeds: [GeneratorKey: UInt64] = [:]
    /// Notes the compiler leaves for the statement being run (a derivative with respect
    /// to a name nothing defines), reported after it.
    var notes: [Diagnostic] = []

    public init() {}

    /// The notes left since the last call.
    public func takeNotes() -> [Diagnostic] {
        defer { notes = [] }
        return notes
    }

    // MARK: - Reading

    public func definition(_ name: String) -> Definition? { entries[name]?.definition }

    public func leafKind(_ name: String) -> LeafKind? {
        if case .leaf(let k, _) = definition(name) { return k }
        return nil
    }

    public var functionNames: [String] {
        order.filter { if case .function = definition($0) { return true } else { return false } }
    }

    // MARK: - Changing

    func bump() {
        version += 1
        cachedGraph = nil
    }

    /// A change to `name`: the compiled graph stays valid unless it used `name`, so a
    /// long script of new definitions compiles incrementally.
    func changed(_ name: String) {
        version += 1
        // Every leaf the graph holds is also among its named nodes. Read and updated in
        // place: the graph is neither copied out nor stored back (a count taken and
        // dropped on each definition).
        if cachedGraph != nil, cachedGraph?.graph.named[name] == nil {
            cachedGraph?.version = version
        } else {
            cachedGraph = nil
        }
    }

    /// Room for `n` more definitions (a long script's), so that the table of names and
    /// the definition order are not grown and copied step by step.
    func reserveCapacity(definitions n: Int) {
        entries.reserveCapacity(n)
        order.reserveCapacity(order.count + n)
    }

    /// Record a definition (after checks), keeping `order` and reference counts.
    func store(_ name: String, _ def: Definition, references refs: [String]) {
        let old = entries.update(name, default: Entry()) { e -> [String]? in
            let old = e.definition == nil ? nil : e.references
            e.definition = def
            e.references = refs
            return old
        }
        if let old {
            for r in old { entries.update(r, default: Entry()) { $0.referenceCount -= 1 } }
        } else {
            order.append(name)
        }
        for r in refs { entries.update(r, default: Entry()) { $0.referenceCount += 1 } }
        changed(name)
    }

    /// Remove a definition. Names that used it see a free symbol from now on.
    public func remove(_ name: String) -> Bool {
        guard let e = entries[name], e.definition != nil else { return false }
        for r in e.references { entries.update(r, default: Entry()) { $0.referenceCount -= 1 } }
        entries.update(name, default: Entry()) {
            $0.definition = nil
            $0.references = []
        }
        values[name] = nil
        placeholderShapes[name] = nil
        order.removeAll { $0 == name }
        changed(name)
        return true
    }

    public func reset() {
        entries = [:]
        order = []
        values = [:]
        placeholderShapes = [:]
        bump()
    }

    /// The cycle `name → … → name` that defining `name` with these references would
    /// close, if any. Fast when nothing refers to `name` yet (a long chain of new
    /// definitions costs nothing here).
    /// `usedBy`: how many definitions refer to `name`, if the caller has read its
    /// entry already (none: nothing can lead back to it).
    func cycle(defining name: String, references refs: [String], usedBy: Int? = nil) -> [String]? {
        if refs.contains(name) { return [name, name] }
        guard (usedBy ?? entries[name]?.referenceCount ?? 0) > 0 else { return nil }
        // Depth-first search from the references, with parents to rebuild the path.
        var parent: [String: String] = [:]
        var stack: [String] = []
        for r in refs where parent[r] == nil {
            parent[r] = name
            stack.append(r)
        }
        while let n = stack.popLast() {
            for m in entries[n]?.references ?? [] {
                if m == name {
                    var path = [name, n]
                    var p = n
                    while let q = parent[p], q != name {
                        path.insert(q, at: 1)
                        p = q
                    }
                    return path + [name]
                }
                if parent[m] == nil {
                    parent[m] = n
                    stack.append(m)
                }
            }
        }
        return nil
    }

    /// Set the value of a leaf without changing the graph's structure (assignment of a
    /// new literal to an input, training updates).
    public func setValue(_ name: String, _ v: Value) {
        values[name] = v
    }

    /// Define `name` as a leaf of `kind` with `value`.
    public func defineLeaf(_ name: String, kind: LeafKind, value: Value?, shape: [Int]? = nil, origin: Origin?) {
        let wasSameLeaf: Bool
        if case .leaf(let k, _) = definition(name), k == kind { wasSameLeaf = true } else { wasSameLeaf = false }
        values[name] = value
        if shape != nil || !placeholderShapes.isEmpty { placeholderShapes[name] = shape }
        if wasSameLeaf {
            entries.update(name, default: Entry()) { $0.definition = .leaf(kind, origin) }
            return
        }
        store(name, .leaf(kind, origin), references: [])
    }

    /// Put back what `name` was before a refused definition.
    func restore(_ name: String, _ saved: Saved) {
        if let def = saved.definition {
            store(name, def, references: saved.references)
            if let i = order.firstIndex(of: name), let j = saved.position, i != j {
                order.remove(at: i)
                order.insert(name, at: Swift.min(j, order.count))
            }
        } else {
            _ = remove(name)
        }
        values[name] = saved.value
        placeholderShapes[name] = saved.shape
    }

    struct Saved {
        var definition: Definition?
        var references: [String]
        var value: Value?
        var shape: [Int]?
        var position: Int?
    }

    func save(_ name: String) -> Saved { save(name, definition(name)) }

    /// `save` when the caller has read the name's definition already.
    func save(_ name: String, _ definition: Definition?) -> Saved {
        // A new name has nothing to put back but its absence.
        guard definition != nil else { return Saved(definition: nil, references: [], value: nil, shape: nil) }
        return Saved(
            definition: definition, references: entries[name]?.references ?? [], value: values[name],
            shape: placeholderShapes[name], position: order.firstIndex(of: name))
    }

    public func defineNode(_ name: String, program: Program, expr: ExprID, references refs: [String]) {
        defineNode(name, program: program, expr: expr, references: refs, new: definition(name) == nil)
    }

    /// `new`: nothing defines `name` yet, so it has no value or shape to drop (only a
    /// defined leaf is ever given one).
    func defineNode(_ name: String, program: Program, expr: ExprID, references refs: [String], new: Bool) {
        if !new {
            values[name] = nil
            placeholderShapes[name] = nil
        }
        store(name, .node(program, expr), references: refs)
    }

    public func defineFunction(_ name: String, params: [String], program: Program, body: ExprID, references refs: [String]) {
        values[name] = nil
        store(name, .function(params: params, program, body), references: refs)
    }

    /// The seed of a random generator call, fixed the first time it is compiled. In a
    /// definition it comes from `:set seed`, the definition's name and which of its
    /// generator calls it is, so a saved session draws the same numbers when loaded
    /// again; elsewhere (a `print`) from a counter.
    func generatorSeed(for key: GeneratorKey) -> UInt64 {
        if let s = generatorSeeds[key] { return s }
        var state: UInt64
        switch key {
        case .inDefinition(let name, let k):
            state = settings.seed ^ fnv1a(name) &+ UInt64(k) &* 0x9E37_79B9_7F4A_7C15
        case .elsewhere:
            generatorCounter += 1
            state = settings.seed &+ generatorCounter &* 0x9E37_79B9
        }
        var g = SplitMix64(state: state)
        let s = g.next()
        generatorSeeds[key] = s
        return s
    }

    /// `:set seed N`: generators defined from now on draw from this seed.
    public func reseed(_ seed: UInt64) {
        settings.seed = seed
        generatorCounter = 0
        generatorSeeds = [:]
    }

    /// Whether a value of `shape` may feed a placeholder declared with `declared`, where
    /// -1 stands for any size.
    public static func fits(_ shape: [Int], placeholderShape declared: [Int]) -> Bool {
        shape.count == declared.count && zip(shape, declared).allSatisfy { $1 == -1 || $0 == $1 }
    }

    /// Trainable variables in definition order.
    public var variables: [String] { order.filter { leafKind($0) == .variable } }
}

extension Session {
    /// Drop the compiled graph (a setting that ops bake in has changed).
    public func invalidateGraph() { bump() }
}

/// A random generator call in the source: its program and expression.
enum GeneratorKey: Hashable {
    /// The `k`-th generator call compiled for the definition of `name` (0-based).
    case inDefinition(String, Int)
    /// A call outside any definition: its program (`Program.serial`, unique for the life
    /// of the process) and expression.
    case elsewhere(program: Int, expr: Int)
}

/// FNV-1a: a hash of a name that is the same in every run (Swift's `Hasher` is not).
func fnv1a(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    return h
}
