import Foundation
import GraphLang

/// Runs statements against a session: definitions, `print`, `assert`, expressions, and
/// `:commands` (handed to `commands`, which the program supplies). Output goes through
/// `write` and `writeError` as it is produced.
public final class Interpreter {
    public let session: Session
    public var write: (String) -> Void
    public var writeError: (String) -> Void
    public var color = false
    /// Whether output goes to a terminal (progress bars redraw in place, drawings take the
    /// terminal's width); false for captured output, as when scripts are checked.
    public var outputIsTerminal = false
    /// A fixed width to draw in (checked scripts use 80, whatever the terminal).
    public var width: Int?
    /// The files being run inside one another (`:load`, `:tutorial`), outermost first.
    public private(set) var running: [String] = []

    /// Run `body` as the file at `path`, refusing a file that is already running (a
    /// script that loads itself, directly or through others) or a chain too deep.
    public func running<R>(_ path: String, _ body: () throws -> R) throws -> R {
        // Nothing to compare with for the first file (resolving a path's links costs
        // about what starting does).
        if !running.isEmpty {
            let key = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
            let names = running.map { URL(fileURLWithPath: $0).lastPathComponent }
            if running.contains(where: { URL(fileURLWithPath: $0).resolvingSymlinksInPath().standardizedFileURL.path == key }) {
                let chain = (names + [URL(fileURLWithPath: path).lastPathComponent]).joined(separator: " → ")
                throw EvalError(
                    "'\(path)' is already running: \(chain)",
                    notes: ["hint: a script cannot load itself, directly or through others"])
            }
            guard running.count < 64 else {
                throw EvalError("scripts load one another more than 64 deep: \(names.prefix(3).joined(separator: " → ")) → …")
            }
        }
        running.append(path)
        defer { running.removeLast() }
        return try body()
    }
    /// Handles `:name args`; throws a `Diagnostic` for a bad command.
    public var commands: ((Interpreter, CommandCall) throws -> Void)?
    /// Checked during long computations; true after Ctrl-C.
    public var interrupted: () -> Bool = { false }

    /// How a run ended; the program maps these to exit statuses.
    public enum Outcome: Equatable {
        case ok, syntaxError, runtimeError, quit

        /// How one statement ended: `expectedError` when it failed as `# error:` said.
        enum Attempted: Equatable { case ok, quit, runtimeError, expectedError }
    }

    public struct CommandCall {
        public let name: String
        public let args: String
        public let argsStart: Int
        public let program: Program
        public let span: Span
        public func diagnostic(_ message: String, notes: [String] = []) -> Diagnostic {
            Diagnostic(.error, message, source: program.source, span: span, notes: notes)
        }
        /// Run an engine step, its errors located at the command.
        public func located<R>(_ body: () throws -> R) throws -> R {
            do {
                return try body()
            } catch let e as EvalError {
                throw diagnostic(e.message, notes: e.notes)
            }
        }
        /// The bytes of the arguments in the source (`args` is their text, with bytes that
        /// are not UTF-8 replaced, so its length may differ).
        public var argsRange: Range<Int> { argsStart..<Swift.max(argsStart, span.end) }
    }

    /// Thrown by a command to end the session (`:quit`).
    public struct Quit: Error {
        public init() {}
    }

    /// Whether a print of several items may evaluate them in one run (`valuesTogether`).
    var printsTogether = true

    public static let reservedWords: Set<String> = ["print", "assert", "fn", "wrt", "with", "inf", "nan"]
    static let reserved = NameTable(reservedWords.map { ($0, true) })

    public init(session: Session = Session(), write: @escaping (String) -> Void, writeError: @escaping (String) -> Void) {
        self.session = session
        self.write = write
        self.writeError = writeError
    }

    // MARK: - Running

    /// Parse all of `source`, then run its statements in order. A syntax error runs
    /// nothing; with `stopAtFirstError`, a runtime error stops the rest. The script is a
    /// checked document: an error its `# error:` line expects is shown and the script
    /// goes on (see `run(_:diagnostics:annotations:)`).
    @discardableResult
    public func run(_ source: SourceFile, stopAtFirstError: Bool = true) -> Outcome {
        let (program, diagnostics, _) = Parser.parse(source)
        return run(program, diagnostics: diagnostics, annotations: Annotations(source), stopAtFirstError: stopAtFirstError)
    }

    /// Run a program already parsed. Errors that `# error:` annotations expect (same
    /// message, on the line they follow) are shown and the rest of that line is skipped;
    /// any other error, syntax or runtime, stops as usual, and so does a line that was
    /// expected to fail but ran.
    @discardableResult
    public func run(
        _ program: Program, diagnostics: [Diagnostic], annotations: Annotations = Annotations(SourceFile(name: "", text: "")),
        stopAtFirstError: Bool = true
    ) -> Outcome {
        let source = program.source
        func line(_ span: Span?) -> Int { span.map { source.location(of: Swift.max($0.start, $0.end - 1)).line } ?? 0 }
        func expected(_ d: Diagnostic) -> Bool { annotations.byLine[line(d.span)]?.error == d.message }
        let unexpected = diagnostics.filter { !expected($0) }
        if !unexpected.isEmpty {
            for d in unexpected.prefix(10) { report(d) }
            if unexpected.count > 10 { writeError("(\(unexpected.count - 10) more errors)\n") }
            return .syntaxError
        }
        // A long script's nodes and names, given room at once: about a node per
        // expression node, but none for numbers defined in place (leaves, not compiled);
        // a name per definition in the session's and the graph's tables.
        if program.nodes.count >= 4096 {
            var n = program.nodes.count
            var definitions = 0
            for s in program.statements {
                guard case .define(_, _, let v) = s.statement else { continue }
                definitions += 1
                if let k = Interpreter.literalSize(program, v) { n -= k }
            }
            session.reserveCapacity(definitions: definitions)
            session.graph.reserveCapacity(n, names: definitions)
        }
        // Syntax errors that were expected are shown when their line is reached.
        var pendingSyntax = diagnostics
        var failedLine: Int?
        var outcome = Outcome.ok
        for (i, s) in program.statements.enumerated() {
            while let d = pendingSyntax.first, (d.span?.start ?? 0) < s.span.start {
                report(d)
                pendingSyntax.removeFirst()
            }
            // Lines matter only to annotations: a script without them skips the lookup.
            let l = annotations.byLine.isEmpty ? 0 : line(s.span)
            if failedLine == l { continue }
            let want = annotations.byLine[l]?.error
            var result = attempt(s, in: program, expecting: want)
            if result == .ok, let want, i + 1 == program.statements.count || line(program.statements[i + 1].span) != l {
                report(
                    Diagnostic(
                        .error, "this line was expected to fail with: \(want)", source: source, span: s.span,
                        notes: ["it ran without an error; correct the '# error:' line below it, or remove it"]))
                result = .runtimeError
            }
            switch result {
            case .ok: continue
            case .quit: return .quit
            case .expectedError: failedLine = l
            case .runtimeError:
                outcome = .runtimeError
                if stopAtFirstError { return outcome }
            }
        }
        for d in pendingSyntax { report(d) }
        return outcome
    }

    /// Run one statement, reporting any error; the session is unchanged by a failure.
    public func runStatement(_ s: SpannedStatement, in program: Program) -> Outcome {
        switch attempt(s, in: program, expecting: nil) {
        case .ok, .expectedError: return .ok
        case .quit: return .quit
        case .runtimeError: return .runtimeError
        }
    }

    func attempt(_ s: SpannedStatement, in program: Program, expecting: String?) -> Outcome.Attempted {
        defer { for n in session.takeNotes() { report(n) } }
        let d: Diagnostic
        do {
            try execute(s, in: program)
            return .ok
        } catch is Quit {
            return .quit
        } catch is Interrupted {
            writeError("\ninterrupted: the session is as it was\n")
            return .runtimeError
        } catch let e as Diagnostic {
            d = e
        } catch let e as EvalError {
            d = Diagnostic(.error, e.message, source: program.source, span: s.span, notes: e.notes)
        } catch {
            d = Diagnostic(.error, "\(error)", source: program.source, span: s.span)
        }
        report(d)
        guard let expecting else { return .runtimeError }
        if d.message == expecting { return .expectedError }
        writeError("  (the line below expected: \(expecting))\n")
        return .runtimeError
    }

    public func report(_ d: Diagnostic) {
        writeError(d.rendered(color: color))
    }

    public func warnAll(_ ws: [Diagnostic]) { warn(ws) }

    func warn(_ ws: [Diagnostic]) {
        var seen = Set<String>()
        for w in ws where seen.insert(w.short).inserted { report(w) }
    }

    // MARK: - Statements

    public func execute(_ s: SpannedStatement, in p: Program) throws {
        switch s.statement {
        case .define(let name, let nameSpan, let value):
            try define(name, nameSpan: nameSpan, value, in: p)
        case .assign(let name, let nameSpan, let value):
            try assign(name, nameSpan: nameSpan, value, in: p)
        case .function(let name, let nameSpan, let params, let body):
            try defineFunction(name, nameSpan: nameSpan, params: params, body: body, in: p)
        // What a print, an expression or an assert compiles lives in an overlay of the
        // graph that is dropped afterwards: reading leaves the session as it was.
        case .print(let exprs):
            for e in exprs { session.precompile(p.names(in: e)) }
            var parts: [String] = []
            try session.graph.scratch {
                if exprs.count > 1, printsTogether, let values = try valuesTogether(p, exprs) {
                    parts = values.map(format)
                } else {
                    for e in exprs { parts.append(format(try evaluate(p, e))) }
                }
            }
            write(parts.joined(separator: " ") + "\n")
            noteLikelyTypos(p, exprs)
        case .expression(let e):
            session.precompile(p.names(in: e))
            write(format(try session.graph.scratch { try evaluate(p, e) }) + "\n")
            noteLikelyTypos(p, [e])
        case .assert(let e):
            session.precompile(p.names(in: e))
            try session.graph.scratch { try check(p, e) }
        case .command(let name, let args, let argsStart):
            guard let commands else {
                throw Diagnostic(.error, "commands are not available here", source: p.source, span: s.span)
            }
            try commands(self, CommandCall(name: name, args: args, argsStart: argsStart, program: p, span: s.span))
        }
    }

    public func format(_ v: Value) -> String { formatValue(v, digits: session.settings.digits) }

    /// Evaluate an expression of a program with the session's current values.
    public func evaluate(_ p: Program, _ e: ExprID, feeds: [String: Value] = [:], symbolic: Bool = false) throws -> Value {
        let id = try session.compile(p, e, lazyGradients: Interpreter.derivativesStandAlone(p, e))
        return try value(of: id, feeds: feeds, symbolic: symbolic)
    }

    /// The values of several expressions (a `print`'s items) from one evaluation of all
    /// of them, where they share nodes (`print f, grad(f, x)`): what evaluating them one
    /// after another gives, each item's evaluation being part of the whole one. Only
    /// when all compile and the run gives no warning: otherwise nil, nothing reported,
    /// the notes and random seeds the compiling left taken back, and the items are
    /// evaluated one after another as before (a warning of a node two items share is
    /// then shown for each, errors come in the same order, later items draw the same
    /// random numbers).
    func valuesTogether(_ p: Program, _ exprs: [ExprID]) throws -> [Value]? {
        // (Tests turn `printsTogether` off to compare with the items one by one.)
        let notes = session.notes.count
        let generators = (session.generatorCounter, session.generatorSeeds)
        var warnings: [Diagnostic] = []
        do {
            let ids = try exprs.map { try session.compile(p, $0, lazyGradients: Interpreter.derivativesStandAlone(p, $0)) }
            let values = try session.evaluate(ids, warnings: &warnings, interrupted: interrupted)
            let out = ids.compactMap { values[$0] }
            if out.count == ids.count, warnings.isEmpty { return out }
        } catch let e as Interrupted {
            throw e
        } catch {}
        session.notes.removeSubrange(notes...)
        (session.generatorCounter, session.generatorSeeds) = generators
        return nil
    }

    /// Whether no derivative in `e` is taken of an expression holding another derivative
    /// or a call of a user function (whose body may hold one): then each `grad` in it is
    /// only evaluated, and may be computed without building its graph
    /// (`Compiler.lazyGradients`).
    static func derivativesStandAlone(_ p: Program, _ e: ExprID) -> Bool {
        func isDerivative(_ f: String) -> Bool { f == "grad" || f == "jacobian" || f == "hessian" }
        var stack = [e]
        while let id = stack.popLast() {
            if case .call(let f, let args) = p[id].kind, isDerivative(f) {
                var inner = args
                while let a = inner.popLast() {
                    if case .call(let g, _) = p[a].kind, isDerivative(g) || Builtins.byName[g] == nil { return false }
                    inner.append(contentsOf: p.children(of: a))
                }
            }
            stack.append(contentsOf: p.children(of: id))
        }
        return true
    }

    /// The value of a node, warnings reported.
    public func value(of id: Int, feeds: [String: Value] = [:], symbolic: Bool = false) throws -> Value {
        var warnings: [Diagnostic] = []
        let values = try session.evaluate([id], feeds: feeds, symbolic: symbolic, warnings: &warnings, interrupted: interrupted)
        warn(warnings)
        guard let v = values[id] else { throw EvalError("no value") }
        return v
    }

    /// A free symbol a letter or two away from a defined name is probably a typo: say so,
    /// after the (symbolic) result. Short names and families such as x1, x2 are left
    /// alone: free symbols are often meant.
    func noteLikelyTypos(_ p: Program, _ exprs: [ExprID]) {
        let defined = session.order
        var said = Set<String>()
        func stem(_ n: String) -> Substring { n.prefix { !$0.isNumber } }
        for e in exprs {
            for name in p.names(in: e) where session.definition(name) == nil && Builtins.byName[name] == nil {
                guard name.count >= 4, let near = closest(to: name, among: defined), editDistance(name, near) <= 2,
                    stem(name) != stem(near), said.insert(name).inserted
                else { continue }
                report(
                    Diagnostic(
                        .note, "'\(name)' is not defined, so it is a free symbol; did you mean '\(near)'?",
                        source: p.source, span: locate(name, in: p, e)))
            }
        }
    }

    func locate(_ name: String, in p: Program, _ root: ExprID) -> Span? {
        var stack = [root]
        while let id = stack.popLast() {
            if case .name(let n) = p[id].kind, n == name { return p[id].span }
            stack.append(contentsOf: p.children(of: id))
        }
        return nil
    }

    func check(_ p: Program, _ e: ExprID) throws {
        let v = try evaluate(p, e)
        let holds: Bool
        if let t = v.numeric {
            holds = t.count > 0 && t.data.allSatisfy { $0 != 0 && !$0.isNaN }
        } else {
            throw Diagnostic(
                .error, "assert needs a comparison that gives numbers, got \(format(v))",
                source: p.source, span: p[e].span)
        }
        guard !holds else { return }
        var notes: [String] = []
        if case .binary(let op, let left, let right) = p[e].kind,
            [BinaryOp.eq, .ne, .approx, .lt, .le, .gt, .ge].contains(op)
        {
            let (l, r) = (Int(left), Int(right))
            notes.append("left:  \(p.source.text(p[l].span)) = \(format(try evaluate(p, l)))")
            notes.append("right: \(p.source.text(p[r].span)) = \(format(try evaluate(p, r)))")
        } else {
            notes.append("value: \(format(v))")
        }
        throw Diagnostic(.error, "assertion failed: \(p.source.text(p[e].span))", source: p.source, span: p[e].span, notes: notes)
    }

    // MARK: - Definitions

    func checkName(_ name: String, _ span: Span, _ p: Program, function: Bool = false) throws {
        if Builtins.byName[name] != nil {
            throw Diagnostic(
                .error, "'\(name)' is a built-in function and cannot be redefined", source: p.source, span: span,
                notes: ["hint: choose another name, such as '\(name)1'"])
        }
        if Interpreter.reserved[name] != nil {
            throw Diagnostic(.error, "'\(name)' is a reserved word", source: p.source, span: span)
        }
    }

    /// How many expression nodes a literal (`isLiteral`) is written with; nil for
    /// anything else.
    static func literalSize(_ p: Program, _ e: ExprID) -> Int? {
        switch p[e].kind {
        case .number: return 1
        case .tensor: break
        default: return nil
        }
        var stack = [e]
        var n = 0
        while let id = stack.popLast() {
            n += 1
            switch p[id].kind {
            case .number: continue
            case .tensor(let items) where !items.isEmpty: stack.append(contentsOf: items)
            default: return nil
            }
        }
        return n
    }

    /// A number or a list of numbers written in place, such as `3` or `[[1, -1], [0, 1]]`.
    static func isLiteral(_ p: Program, _ e: ExprID) -> Bool {
        // Most definitions are a number or arithmetic: said without a stack.
        switch p[e].kind {
        case .number: return true
        case .tensor: break
        default: return false
        }
        var stack = [e]
        while let id = stack.popLast() {
            switch p[id].kind {
            case .number: continue
            case .tensor(let items) where !items.isEmpty: stack.append(contentsOf: items)
            default: return false
            }
        }
        return true
    }

    /// The value of a literal (`isLiteral`), read from the syntax tree: what compiling it
    /// and evaluating the node would give, without graph work. Brackets nest as deep as
    /// the parser allows, so the recursion is bounded.
    static func literalValue(_ p: Program, _ e: ExprID) throws -> Value {
        switch p[e].kind {
        case .number(let v):
            return .scalar(v)
        case .tensor(let items):
            let parts = try items.map { try literalValue(p, $0) }
            do {
                return try Op.stack.evaluate(parts)
            } catch let err as EvalError {
                throw Diagnostic(.error, err.message, source: p.source, span: p[e].span, notes: err.notes)
            }
        default:
            throw Diagnostic(.error, "internal: not a literal", source: p.source, span: p[e].span)
        }
    }

    func define(_ name: String, nameSpan: Span, _ value: ExprID, in p: Program) throws {
        try checkName(name, nameSpan, p)
        let entry = session.entries[name]
        let existing = entry?.definition
        if case .function = existing {
            throw Diagnostic(
                .error, "'\(name)' is a function; remove it first with ':del \(name)'", source: p.source, span: nameSpan)
        }
        // Where a leaf comes from (only a leaf keeps it).
        var origin: Origin { Origin(program: p, expr: value) }
        if case .call(let f, let args) = p[value].kind, let maker = Builtins.byName[f], maker.isLeafMaker {
            guard args.count == 1 else {
                throw Diagnostic(
                    .error, "'\(f)' takes 1 argument, got \(args.count)", source: p.source, span: p[value].span,
                    notes: ["usage: \(maker.usage)"])
            }
            switch maker {
            case .placeholder:
                let shape = try Compiler(session: session, graph: Graph()).staticShape(p, args[0])
                if let bad = shape.first(where: { $0 < -1 }) {
                    throw Diagnostic(
                        .error, "a shape cannot have a negative size (\(bad))", source: p.source, span: p[args[0]].span)
                }
                session.defineLeaf(name, kind: .placeholder, value: nil, shape: shape, origin: origin)
            default:
                let v = try session.graph.scratch { try self.value(of: try session.compile(p, args[0], defining: name)) }
                if v.isSymbolic, maker == .variable {
                    throw Diagnostic(
                        .error, "a variable needs numbers to start from, got \(format(v))",
                        source: p.source, span: p[args[0]].span)
                }
                session.defineLeaf(name, kind: maker == .variable ? .variable : .constant, value: v, origin: origin)
            }
            return
        }
        if Interpreter.isLiteral(p, value) {
            let v = try Interpreter.literalValue(p, value)
            if case .leaf(.placeholder, _) = existing {
                // Assigning to a placeholder feeds it; it stays a placeholder.
                if let want = session.placeholderShapes[name], !Session.fits(v.shape, placeholderShape: want) {
                    throw Diagnostic(
                        .error,
                        "'\(name)' is a placeholder of shape \(shapeText(want)); the value has shape \(shapeText(v.shape))",
                        source: p.source, span: p[value].span)
                }
                session.setValue(name, v)
                return
            }
            session.defineLeaf(name, kind: .input, value: v, origin: origin)
            return
        }
        // Plain arithmetic (most definitions): its range of ids serves its names and its
        // compiling.
        let arithmetic = p.arithmeticRange(value)
        var refs: [String]
        if let arithmetic { refs = p.names(inArithmetic: arithmetic) } else { refs = p.names(in: value) }
        if refs.contains(where: { Builtins.byName[$0] != nil }) { refs = refs.filter { Builtins.byName[$0] == nil } }
        if let cycle = session.cycle(defining: name, references: refs, usedBy: entry?.referenceCount ?? 0) {
            var notes = existing == nil ? [] : ["the previous definition of '\(name)' is kept"]
            if refs.contains(name) {
                notes.append(
                    "hint: to update \(name) from its current value, write '\(name) := \(p.source.text(p[value].span))'")
            }
            throw Diagnostic(
                .error, "'\(name)' would depend on itself: \(cycle.joined(separator: " → "))",
                source: p.source, span: p[value].span, notes: notes)
        }
        let saved = session.save(name, existing)
        session.defineNode(name, program: p, expr: value, references: refs, new: existing == nil)
        do {
            _ = try session.compileDefinition(name, p, value, arithmetic: arithmetic)
        } catch {
            session.restore(name, saved)
            throw error
        }
    }

    /// `name := expr`: evaluate `expr` with the current values and store the result as
    /// `name`'s value. A leaf keeps its kind (a variable its shape, a placeholder its
    /// declared shape); a new name becomes an input. A computed node or a function is
    /// refused: `=` redefines those.
    func assign(_ name: String, nameSpan: Span, _ value: ExprID, in p: Program) throws {
        try checkName(name, nameSpan, p)
        let v = try session.graph.scratch { try evaluate(p, value) }
        func fail(_ message: String, notes: [String] = []) -> Diagnostic {
            Diagnostic(.error, message, source: p.source, span: nameSpan, notes: notes)
        }
        if v.isSymbolic {
            let free = p.names(in: value).filter { session.definition($0) == nil && Builtins.byName[$0] == nil }
            throw Diagnostic(
                .error, "':=' stores numbers, but \(format(v)) has free symbols (\(free.joined(separator: ", ")))",
                source: p.source, span: p[value].span, notes: ["hint: give them values first"])
        }
        switch session.definition(name) {
        case nil:
            session.defineLeaf(name, kind: .input, value: v, origin: Origin(program: p, expr: value))
        case .leaf(.placeholder, _):
            if let want = session.placeholderShapes[name], !Session.fits(v.shape, placeholderShape: want) {
                throw fail("'\(name)' is a placeholder of shape \(shapeText(want)); the value has shape \(shapeText(v.shape))")
            }
            session.setValue(name, v)
        case .leaf(.variable, _):
            if let have = session.values[name]?.shape, have != v.shape {
                throw fail("'\(name)' is a variable of shape \(shapeText(have)); the value has shape \(shapeText(v.shape))")
            }
            session.setValue(name, v)
        case .leaf:
            session.setValue(name, v)
        case .node(let dp, let de):
            throw fail(
                "'\(name)' is computed (\(name) = \(dp.source.text(dp[de].span))): ':=' sets the value of a leaf",
                notes: ["hint: to define it anew, write '\(name) = …'"])
        case .function:
            throw fail("'\(name)' is a function: ':=' sets the value of a leaf")
        }
    }

    func defineFunction(_ name: String, nameSpan: Span, params: [String], body: ExprID, in p: Program) throws {
        try checkName(name, nameSpan, p)
        if let d = session.definition(name) {
            if case .function = d {
            } else {
                throw Diagnostic(
                    .error, "'\(name)' is already defined as a value; remove it first with ':del \(name)'",
                    source: p.source, span: nameSpan)
            }
        }
        for param in params where Builtins.byName[param] != nil {
            throw Diagnostic(.error, "parameter '\(param)' would hide the built-in function", source: p.source, span: nameSpan)
        }
        let refs = p.names(in: body, excluding: Set(params)).filter { Builtins.byName[$0] == nil }
        if let cycle = session.cycle(defining: name, references: refs) {
            throw Diagnostic(
                .error, "'\(name)' would call itself: \(cycle.joined(separator: " → "))",
                source: p.source, span: p[body].span, notes: ["functions cannot be recursive"])
        }
        session.defineFunction(name, params: params, program: p, body: body, references: refs)
    }
}
