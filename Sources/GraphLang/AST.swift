/// Index of an expression node in its `Program`'s arena.
public typealias ExprID = Int

/// An `ExprID` held in 32 bits, where a case's payload would otherwise set the size of
/// every node (`binary`, `slice`): so a node takes 32 bytes, not 40, and a long script's
/// nodes are megabytes fewer. A source has fewer nodes than bytes, and is far below
/// 2 GB (files are read up to `Files.maxBytes`).
public typealias ExprRef = Int32

/// Binary operators, with their surface spelling.
public enum BinaryOp: String, Sendable, CaseIterable {
    case add = "+", sub = "-", mul = "*", div = "/", matmul = "@", pow = "^"
    case eq = "==", ne = "!=", approx = "~=", lt = "<", le = "<=", gt = ">", ge = ">="
}

/// An expression node. Children are ids into the same arena rather than nested enums:
/// a 300 000-term sum is a chain 300 000 deep, and a flat arena is walked and freed
/// without recursion (a nested `indirect enum` would be freed recursively).
public enum ExprKind: Sendable, Equatable {
    case number(Double)
    case name(String)
    case string(String)
    case call(String, [ExprID])
    /// `[a, b, c]`: a vector of the elements, or of rows when they are vectors.
    case tensor([ExprID])
    /// `x[i]`, `A[i, j]` — 1-based.
    case index(ExprID, [ExprID])
    /// `lo:hi` inside an index (`x[2:4]`, `A[:, 1]`); either end may be left out.
    case slice(ExprRef?, ExprRef?)
    case transpose(ExprID)
    case negate(ExprID)
    case binary(BinaryOp, ExprRef, ExprRef)
}

public struct ExprNode: Sendable {
    public var kind: ExprKind
    public var span: Span
}

/// A statement, with the span of the whole statement.
public enum Statement: Sendable {
    case define(name: String, nameSpan: Span, value: ExprID)
    /// `name := expr`: evaluate now and store the value.
    case assign(name: String, nameSpan: Span, value: ExprID)
    case function(name: String, nameSpan: Span, params: [String], body: ExprID)
    case print([ExprID])
    case assert(ExprID)
    case command(name: String, args: String, argsStart: Int)
    case expression(ExprID)
}

public struct SpannedStatement: Sendable {
    public var statement: Statement
    public var span: Span
}

/// One parsed unit of source (a script, a line, a command's argument): its arena of
/// expression nodes and its statements.
public final class Program: Sendable {
    public let source: SourceFile
    public let nodes: [ExprNode]
    public let statements: [SpannedStatement]
    /// A number no other program of this process has: a key that stays unique after the
    /// program is gone (an object's address may be reused).
    public let serial: Int

    nonisolated(unsafe) static var made = 0

    public init(source: SourceFile, nodes: [ExprNode], statements: [SpannedStatement]) {
        self.source = source
        self.nodes = nodes
        self.statements = statements
        Program.made += 1
        serial = Program.made
    }

    /// Inlinable: the engine reads expressions in its hottest loops, and a call into this
    /// module for each read cost more than the read.
    @inlinable public subscript(id: ExprID) -> ExprNode { nodes[id] }

    /// Names referenced by an expression, in first-use order (iterative walk).
    public func names(in root: ExprID, excluding bound: Set<String> = []) -> [String] {
        if bound.isEmpty, let names = arithmeticNames(root) { return names }
        // A definition names a few things: a list is searched faster than a set is
        // hashed, until it grows long.
        var seen: Set<String>?
        var out: [String] = []
        func add(_ n: String) {
            if let s = seen {
                if !s.contains(n) {
                    seen!.insert(n)
                    out.append(n)
                }
            } else if !out.contains(n) {
                out.append(n)
                if out.count == 32 { seen = Set(out) }
            }
        }
        // Room for a line's worth of names and pending children, so neither array
        // grows a step at a time.
        out.reserveCapacity(8)
        var stack: [ExprID] = []
        stack.reserveCapacity(32)
        stack.append(root)
        while let id = stack.popLast() {
            switch nodes[id].kind {
            case .name(let n):
                if bound.isEmpty || !bound.contains(n) { add(n) }
            case .call(let f, let args):
                add(f)
                stack.append(contentsOf: args.reversed())
            case .binary(_, let l, let r):
                stack.append(Int(r))
                stack.append(Int(l))
            case .negate(let x), .transpose(let x):
                stack.append(x)
            default:
                stack.append(contentsOf: children(of: id).reversed())
            }
        }
        return out
    }

    /// The ids of `root`'s expression when it is plain arithmetic (numbers, names,
    /// operators, signs: most definitions), else nil. The parser appends a node after its
    /// children, so such an expression is the range of ids from its first leaf to it,
    /// each node's children before it in the range, its names in the order written.
    public func arithmeticRange(_ root: ExprID) -> ClosedRange<ExprID>? {
        // The first leaf: down the first child.
        var lo = root
        descend: while true {
            switch nodes[lo].kind {
            case .binary(_, let l, _): lo = Int(l)
            case .negate(let x): lo = x
            case .number, .name: break descend
            default: return nil
            }
        }
        guard lo <= root, root - lo < 4096 else { return nil }
        for e in lo...root {
            switch nodes[e].kind {
            case .number, .name: continue
            case .binary(_, let l, let r) where Int(l) >= lo && Int(r) >= lo && Int(l) < e && Int(r) < e: continue
            case .negate(let x) where x >= lo && x < e: continue
            default: return nil
            }
        }
        return lo...root
    }

    /// `names(in:)` for plain arithmetic, read off its range of ids.
    func arithmeticNames(_ root: ExprID) -> [String]? {
        arithmeticRange(root).map(names(inArithmetic:))
    }

    /// `names(in:)` of the plain arithmetic `range` (`arithmeticRange`) stands for.
    public func names(inArithmetic range: ClosedRange<ExprID>) -> [String] {
        var out: [String] = []
        for e in range {
            if case .name(let n) = nodes[e].kind, !out.contains(n) { out.append(n) }
        }
        return out
    }

    /// Direct children of a node.
    public func children(of id: ExprID) -> [ExprID] {
        switch nodes[id].kind {
        case .number, .name, .string: return []
        case .call(_, let a), .tensor(let a): return a
        case .index(let b, let a): return [b] + a
        case .slice(let lo, let hi): return [lo, hi].compactMap { $0.map(Int.init) }
        case .transpose(let x), .negate(let x): return [x]
        case .binary(_, let l, let r): return [Int(l), Int(r)]
        }
    }

    /// A parenthesised S-expression of a node, for tests: `(* (+ a b) (+ b 1))`.
    public func sexpr(_ root: ExprID) -> String {
        // Iterative post-order: children's strings are built before their parent's.
        var done: [ExprID: String] = [:]
        var stack: [(ExprID, Bool)] = [(root, false)]
        while let (id, expanded) = stack.popLast() {
            if done[id] != nil { continue }
            let kids = children(of: id)
            if !expanded && !kids.isEmpty {
                stack.append((id, true))
                for k in kids.reversed() { stack.append((k, false)) }
                continue
            }
            let k = kids.map { done[$0] ?? "?" }
            let s: String
            switch nodes[id].kind {
            case .number(let v): s = formatLiteral(v)
            case .name(let n): s = n
            case .string(let t): s = "\"\(t)\""
            case .call(let f, _): s = "(\(f)" + k.map { " " + $0 }.joined() + ")"
            case .tensor: s = "[" + k.joined(separator: " ") + "]"
            case .index: s = "(index " + k.joined(separator: " ") + ")"
            case .slice(let lo, let hi):
                s = "(: " + (lo.map { done[Int($0)] ?? "?" } ?? "_") + " " + (hi.map { done[Int($0)] ?? "?" } ?? "_") + ")"
            case .transpose: s = "(' \(k[0]))"
            case .negate: s = "(- \(k[0]))"
            case .binary(let op, _, _): s = "(\(op.rawValue) \(k[0]) \(k[1]))"
            }
            done[id] = s
        }
        return done[root] ?? ""
    }

    /// S-expression of a statement.
    public func sexpr(statement: Statement) -> String {
        switch statement {
        case .define(let n, _, let v): return "(= \(n) \(sexpr(v)))"
        case .assign(let n, _, let v): return "(:= \(n) \(sexpr(v)))"
        case .function(let n, _, let p, let b): return "(fn \(n) (\(p.joined(separator: " "))) \(sexpr(b)))"
        case .print(let es): return "(print" + es.map { " " + sexpr($0) }.joined() + ")"
        case .assert(let e): return "(assert \(sexpr(e)))"
        case .command(let n, let a, _): return a.isEmpty ? "(:\(n))" : "(:\(n) \"\(a)\")"
        case .expression(let e): return sexpr(e)
        }
    }
}
