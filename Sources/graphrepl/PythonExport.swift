import Engine
import Foundation
import GraphLang

/// `:export python OUT [FILE]`: a self-contained NumPy script that computes OUT from the
/// session's current values and prints it.
extension ViewCommands {
    static let pythonKeywords: Set<String> = [
        "and", "as", "assert", "break", "class", "continue", "def", "del", "elif", "else", "except", "False", "finally",
        "for", "from", "global", "if", "import", "in", "is", "lambda", "None", "nonlocal", "not", "or", "pass", "raise",
        "return", "True", "try", "while", "with", "yield", "np",
    ]

    static let pythonHelpers: [String: String] = [
        "sigmoid": "def sigmoid(x):\n    return 0.5 * (1.0 + np.tanh(0.5 * x))",
        "softmax":
            "def softmax(z, axis=-1):\n    e = np.exp(z - np.max(z, axis=axis, keepdims=True))\n    return e / np.sum(e, axis=axis, keepdims=True)",
        "log_softmax":
            "def log_softmax(z, axis=-1):\n    m = np.max(z, axis=axis, keepdims=True)\n    return z - m - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))",
        "xlogy": "def xlogy(x, y):\n    return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))",
        "xdivy": "def xdivy(x, y):\n    return np.where(x == 0, 0.0, x / np.where(x == 0, 1.0, y))",
        "unbroadcast":
            "def unbroadcast(g, x):\n    shape = np.shape(x)\n    if np.shape(g) == shape:\n        return g\n    if np.broadcast_shapes(np.shape(g), shape) == shape:\n        return np.broadcast_to(g, shape)\n    while np.ndim(g) > len(shape):\n        g = np.sum(g, axis=0)\n    for i, n in enumerate(shape):\n        if n == 1 and np.shape(g)[i] != 1:\n            g = np.sum(g, axis=i, keepdims=True)\n    return g",
        "expand_axis":
            "def expand_axis(g, x, k):\n    k = k - 1 if k > 0 else np.ndim(x) + k\n    if np.ndim(g) < np.ndim(x):\n        g = np.expand_dims(g, k)\n    return np.broadcast_to(g, np.shape(x))",
        "promote":
            "def promote(x, row):\n    x = np.asarray(x)\n    if x.ndim == 2:\n        return x\n    if x.ndim == 1:\n        return x.reshape(1, -1) if row else x.reshape(-1, 1)\n    return x.reshape(1, 1)",
        "as_matrix":
            "def as_matrix(g, a, b):\n    m = np.shape(a)[0] if np.ndim(a) == 2 else 1\n    n = np.shape(b)[1] if np.ndim(b) == 2 else 1\n    return np.reshape(g, (m, n))",
        "unslice":
            "def unslice(g, x, index):\n    out = np.zeros(np.shape(x))\n    out[index] = g\n    return out",
        "scatter":
            "def scatter(g, x, *pos):\n    out = np.zeros(np.shape(x))\n    out[tuple(int(p) - 1 for p in pos)] = g\n    return out",
        "argmax_mask":
            "def argmax_mask(x, axis=None):\n    x = np.asarray(x)\n    out = np.zeros(x.shape)\n    if axis is None:\n        out.flat[np.argmax(x)] = 1.0\n    else:\n        idx = np.expand_dims(np.argmax(x, axis=axis), axis)\n        np.put_along_axis(out, idx, 1.0, axis=axis)\n    return out",
    ]

    /// A 1-based inclusive slice axis as NumPy writes it (0-based, end excluded).
    static func pythonSlice(_ a: SliceAxis) -> String {
        switch a {
        case .at(let i): return String(i - 1)
        case .range(let lo, let hi): return (lo.map { String($0 - 1) } ?? "") + ":" + (hi.map(String.init) ?? "")
        }
    }

    func pythonLiteral(_ v: Value) throws -> String {
        guard let t = v.numeric else { throw error("the graph has free symbols: give them values before exporting") }
        let text = formatValue(.num(t), summarizeAbove: .max)
            .replacingOccurrences(of: "nan", with: "np.nan").replacingOccurrences(of: "inf", with: "np.inf")
        return "np.array(\(text), dtype=float)"
    }

    /// Helpers whose NumPy form assigns in place: JAX arrays are immutable, so these
    /// write `.at[…].set(…)` instead.
    static let jaxHelpers: [String: String] = [
        "unslice":
            "def unslice(g, x, index):\n    return np.zeros(np.shape(x)).at[index].set(g)",
        "scatter":
            "def scatter(g, x, *pos):\n    return np.zeros(np.shape(x)).at[tuple(int(p) - 1 for p in pos)].set(g)",
        "argmax_mask":
            "def argmax_mask(x, axis=None):\n    x = np.asarray(x)\n    if axis is None:\n        return np.zeros(x.size).at[np.argmax(x)].set(1.0).reshape(x.shape)\n    idx = np.expand_dims(np.argmax(x, axis=axis), axis)\n    shape = [1] * x.ndim\n    shape[axis] = x.shape[axis]\n    return (np.arange(x.shape[axis]).reshape(shape) == idx).astype(float)",
    ]

    func pythonScript(_ q: DerivativeQuery, jax: Bool = false) throws -> String {
        let root = q.output
        let order = q.order
        let values = q.values
        var names: [Int: String] = [:]
        var used = Set<String>()
        func pyName(_ n: Int) -> String {
            if let s = names[n] { return s }
            var base = graph.name(of: n) ?? "t\(n)"
            base = String(base.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
            if ViewCommands.pythonKeywords.contains(base) || base.first?.isNumber == true { base = "v_" + base }
            var candidate = base
            var k = 2
            while used.contains(candidate) {
                candidate = "\(base)_\(k)"
                k += 1
            }
            used.insert(candidate)
            names[n] = candidate
            return candidate
        }
        var helpers = Set<String>()
        var params: [Int] = []
        var body: [String] = []
        func axis(_ a: Int?) -> String { a.map { ", axis=\($0 > 0 ? $0 - 1 : $0)" } ?? "" }
        for n in order {
            let node = graph.nodes[n]
            switch node.kind {
            case .leaf(let name, let kind):
                guard values[n]?.numeric != nil else {
                    throw error(
                        kind == .symbol
                            ? "'\(name)' is a free symbol: give it a value before exporting"
                            : "'\(name)' has no value: feed the placeholder by assignment before exporting")
                }
                params.append(n)
                _ = pyName(n)
                continue
            case .literal(let v):
                names[n] = try pythonLiteral(v)
                continue
            case .jacobian:
                throw error(
                    "exporting jacobian(…) is not supported", notes: ["hint: export the function, then use jax.jacobian on it"])
            case .gradient:
                throw error("exporting a gradient that is only shown is not supported")
            case .op(let op):
                let a = node.inputs.map { names[$0] ?? "?" }
                let expr: String
                switch op {
                case .add: expr = "\(a[0]) + \(a[1])"
                case .sub: expr = "\(a[0]) - \(a[1])"
                case .mul: expr = "\(a[0]) * \(a[1])"
                case .div: expr = "\(a[0]) / \(a[1])"
                case .pow: expr = "np.power(\(a[0]), \(a[1]))"
                case .neg: expr = "-\(a[0])"
                case .xlogy, .xdivy:
                    helpers.insert(op.name)
                    expr = "\(op.name)(\(a[0]), \(a[1]))"
                case .compare(let c): expr = "(\(a[0]) \(c.rawValue) \(a[1])).astype(float)"
                case .approx(let r, let t): expr = "np.isclose(\(a[0]), \(a[1]), rtol=\(r), atol=\(t)).astype(float)"
                case .unary(let f):
                    switch f {
                    case .exp, .log, .sqrt, .abs, .sin, .cos, .tan, .tanh, .sign: expr = "np.\(f.rawValue)(\(a[0]))"
                    case .sigmoid:
                        helpers.insert("sigmoid")
                        expr = "sigmoid(\(a[0]))"
                    case .relu: expr = "np.maximum(\(a[0]), 0.0)"
                    case .softplus: expr = "np.logaddexp(0.0, \(a[0]))"
                    case .step: expr = "(\(a[0]) > 0).astype(float)"
                    }
                case .matmul: expr = "\(a[0]) @ \(a[1])"
                case .transpose: expr = "np.transpose(\(a[0]))"
                case .sum(let x): expr = "np.sum(\(a[0])\(axis(x)))"
                case .mean(let x): expr = "np.mean(\(a[0])\(axis(x)))"
                case .max(let x): expr = "np.max(\(a[0])\(axis(x)))"
                case .softmax(let x), .logSoftmax(let x):
                    helpers.insert(op.name)
                    expr = "\(op.name)(\(a[0])\(axis(x)))"
                case .reshape(let s): expr = "np.reshape(\(a[0]), \(s))"
                case .index: expr = "\(a[0])[" + a.dropFirst().map { "int(\($0)) - 1" }.joined(separator: ", ") + "]"
                case .stack: expr = "np.stack([" + a.joined(separator: ", ") + "])"
                case .slice(let axes): expr = "\(a[0])[" + axes.map(ViewCommands.pythonSlice).joined(separator: ", ") + "]"
                case .unslice(let axes):
                    helpers.insert("unslice")
                    expr =
                        "unslice(\(a[0]), \(a[1]), ("
                        + axes.map { "np.s_[\(ViewCommands.pythonSlice($0))]" }.joined(separator: ", ") + ",))"
                case .argmax(let x):
                    expr = "(np.argmax(\(a[0])\(x.map { ", axis=\($0 > 0 ? $0 - 1 : $0)" } ?? "")) + 1).astype(float)"
                case .zeros, .ones, .eye, .uniform, .normal, .countOf, .zerosLike, .onesLike, .seedOne:
                    expr = try pythonLiteral(values[n] ?? .scalar(.nan))
                case .unbroadcast:
                    helpers.insert("unbroadcast")
                    expr = "unbroadcast(\(a[0]), \(a[1]))"
                case .broadcastLike: expr = "np.broadcast_to(\(a[0]), np.shape(\(a[1])))"
                case .expandAxis(let k):
                    helpers.insert("expand_axis")
                    expr = "expand_axis(\(a[0]), \(a[1]), \(k))"
                case .sumKeep(let x): expr = "np.sum(\(a[0])\(axis(x ?? -1)), keepdims=True)"
                case .reshapeLike: expr = "np.reshape(\(a[0]), np.shape(\(a[1])))"
                case .promote(let row):
                    helpers.insert("promote")
                    expr = "promote(\(a[0]), \(row ? "True" : "False"))"
                case .matmulOutAsMatrix:
                    helpers.insert("as_matrix")
                    expr = "as_matrix(\(a[0]), \(a[1]), \(a[2]))"
                case .scatter:
                    helpers.insert("scatter")
                    expr = "scatter(" + a.joined(separator: ", ") + ")"
                case .argmaxMask(let x):
                    helpers.insert("argmax_mask")
                    expr = "argmax_mask(\(a[0])\(x.map { ", axis=\($0 > 0 ? $0 - 1 : $0)" } ?? ""))"
                }
                body.append("    \(pyName(n)) = \(expr)")
            }
        }
        let fname = (names[root].map { $0.hasPrefix("np.") ? "out" : $0 } ?? "out") + "_fn"
        let paramNames = params.map { names[$0] ?? "?" }
        var s = "#!/usr/bin/env python3\n"
        s += "# Exported by graphrepl: computes \(graph.label(root)) from the session's values at export time.\n"
        if jax {
            s += "import jax\n\njax.config.update(\"jax_enable_x64\", True)\nimport jax.numpy as np\nimport numpy\n\n"
        } else {
            s += "import numpy as np\n\n"
        }
        for h in helpers.sorted() {
            s += ((jax ? ViewCommands.jaxHelpers[h] : nil) ?? ViewCommands.pythonHelpers[h] ?? "") + "\n\n"
        }
        s += "\ndef \(fname)(\(paramNames.joined(separator: ", "))):\n"
        s += body.isEmpty ? "" : body.joined(separator: "\n") + "\n"
        s += "    return \(names[root] ?? "None")\n\n\n"
        for p in params { s += "\(names[p] ?? "?") = \(try pythonLiteral(values[p] ?? .scalar(.nan)))\n" }
        if jax {
            // The value, then ∂OUT/∂ each input and variable, as JAX computes them.
            let trainable = params.filter { [.input, .variable].contains(graph.nodes[$0].leaf?.1) }
            let argnums = trainable.map { String(params.firstIndex(of: $0) ?? 0) }
            s += "\nif __name__ == \"__main__\":\n"
            s += "    value = \(fname)(\(paramNames.joined(separator: ", ")))\n"
            s += "    print(\"value:\", numpy.asarray(value).tolist())\n"
            if !trainable.isEmpty, (q.value.count == 1) {
                s +=
                    "    grads = jax.grad(\(fname), argnums=(\(argnums.joined(separator: ", ")),))(\(paramNames.joined(separator: ", ")))\n"
                for (k, p) in trainable.enumerated() {
                    let name = graph.name(of: p) ?? names[p] ?? "?"
                    s += "    print(\"grad \(name):\", numpy.asarray(grads[\(k)]).tolist())\n"
                }
            }
            return s
        }
        s += "\nif __name__ == \"__main__\":\n    np.set_printoptions(precision=17)\n"
        s += "    print(\(fname)(\(paramNames.joined(separator: ", "))))\n\n"
        s += "# To differentiate it with JAX: replace 'import numpy as np' by 'import jax.numpy as np', then\n"
        s += "#   import jax\n"
        s +=
            "#   print(jax.grad(\(fname), argnums=\(paramNames.count == 1 ? "0" : "tuple(range(\(paramNames.count)))"))(\(paramNames.joined(separator: ", "))))\n"
        return s
    }

    func export() throws {
        let args = CommandArgs(call, usage: usage)
        let jax = args.take("jax")
        guard jax || args.take("python") else {
            throw args.error(
                "':export' writes Python: ':export python OUT [file.py]' (NumPy) or ':export jax OUT [file.py]' (JAX)",
                at: args.current?.span, notes: ["usage: \(usage)"])
        }
        let q = try args.query(interp, fileFollows: true)
        let script = try pythonScript(q, jax: jax)
        guard let (path, _) = args.rest() else {
            interp.write(script)
            return
        }
        do {
            try FileOutput.write(script, to: path)
        } catch let e as EvalError {
            throw self.error(e.message, notes: e.notes)
        }
        interp.write("wrote \(path): run it with python3 \(path)\n")
    }
}
