"""The driver behind scripts/bench-peers: graphrepl against Python peers.

Run by scripts/bench-peers with the bench venv's Python:
    bench_peers.py --graphrepl BIN --python VENV_PYTHON --work DIR --runs N

Every run is a whole process (start-up included), timed from spawn to exit. The tools
are interleaved run by run and the medians compared. Each tool's numbers are checked
against graphrepl's (relative 1e-9). Exit 0 when everything ran and agreed (targets not
met are reported, not failures), 1 on a disagreement or a crash.
"""

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time

import numpy as np

TIMEOUT = 120.0  # seconds for one run of one tool
RTOL = 1e-9

CHAIN_STEPS = 20000
JAC_N = 300
MLP = dict(inputs=784, hidden=100, outputs=10, batch=64, steps=20, lr=0.1)
DEFS = 100000


def q(path):
    """A path as a graphrepl string literal."""
    if '"' in path or "\\" in path:
        sys.exit(f"bench-peers: cannot quote the path {path!r} for load_csv")
    return f'"{path}"'


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def save_csv(path, a):
    np.savetxt(path, np.atleast_2d(a) if a.ndim == 1 else a, delimiter=",", fmt="%.17g")
    return path


# ---------------------------------------------------------------- workloads' files


def make_chain(work, py):
    lines = [":set digits full", "x0 = 0.5"]
    lines += [f"x{i + 1} = x{i} * 0.999 + x{i} ^ 2 * 0.001 + 0.0001" for i in range(CHAIN_STEPS)]
    lines.append(f"print x{CHAIN_STEPS}, grad(x{CHAIN_STEPS}, x0)")
    g = write(os.path.join(work, "chain.graph"), "\n".join(lines) + "\n")
    mg = write(
        os.path.join(work, "chain_micrograd.py"),
        f"""import sys, threading
from micrograd.engine import Value
# micrograd's backward() sorts the graph recursively: 80 000 nodes deep here.
sys.setrecursionlimit(1_000_000)
threading.stack_size(1 << 29)
def main():
    x0 = Value(0.5)
    x = x0
    for _ in range({CHAIN_STEPS}):
        x = x * 0.999 + x ** 2 * 0.001 + 0.0001
    x.backward()
    print(repr(float(x.data)), repr(float(x0.grad)))
t = threading.Thread(target=main)
t.start()
t.join()
""",
    )
    ag = write(
        os.path.join(work, "chain_autograd.py"),
        f"""from autograd import value_and_grad
def f(x):
    for _ in range({CHAIN_STEPS}):
        x = x * 0.999 + x ** 2 * 0.001 + 0.0001
    return x
v, g = value_and_grad(f)(0.5)
print(repr(float(v)), repr(float(g)))
""",
    )
    jx = write(
        os.path.join(work, "chain_jax.py"),
        f"""import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
def f(x):
    for _ in range({CHAIN_STEPS}):
        x = x * 0.999 + x ** 2 * 0.001 + 0.0001
    return x
v, g = jax.value_and_grad(f)(jnp.float64(0.5))  # eager: not jitted
print(repr(float(v)), repr(float(g)))
""",
    )
    return dict(
        name="chain",
        what="value and gradient",
        graphrepl=[g],
        peers=[
            ("micrograd", [py, mg], 50),
            ("HIPS autograd", [py, ag], None),
            ("JAX eager", [py, jx], 1000),
        ],
    )


def make_jacobian(work, py):
    rng = np.random.default_rng(20261127)
    A = rng.uniform(-1, 1, (JAC_N, JAC_N))
    x = rng.uniform(-1, 1, JAC_N)
    a_csv = save_csv(os.path.join(work, "jac_A.csv"), A)
    x_csv = save_csv(os.path.join(work, "jac_x.csv"), x)
    g = write(
        os.path.join(work, "jacobian.graph"),
        ":set digits full\n"
        f"A = load_csv({q(a_csv)})\n"
        "x = [" + ", ".join("%.17g" % v for v in x) + "]\n"
        "print sum(jacobian(tanh(A @ x), x))\n",
    )
    jx = write(
        os.path.join(work, "jacobian_jax.py"),
        f"""import numpy as np, jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
A = jnp.asarray(np.loadtxt({a_csv!r}, delimiter=","))
x = jnp.asarray(np.loadtxt({x_csv!r}, delimiter=","))
J = jax.jacrev(lambda x: jnp.tanh(A @ x))(x)  # eager: not jitted
print(repr(float(J.sum())))
""",
    )
    return dict(name="jacobian", what="sum of J", graphrepl=[g], peers=[("jax.jacrev eager", [py, jx], 50)])


def make_mlp(work, py):
    m = MLP
    rng = np.random.default_rng(784100)
    X = rng.uniform(0, 1, (m["batch"], m["inputs"]))
    Y = rng.uniform(0, 1, (m["batch"], m["outputs"]))
    W1 = rng.uniform(-0.05, 0.05, (m["inputs"], m["hidden"]))
    W2 = rng.uniform(-0.1, 0.1, (m["hidden"], m["outputs"]))
    f = {n: save_csv(os.path.join(work, f"mlp_{n}.csv"), a) for n, a in [("X", X), ("Y", Y), ("W1", W1), ("W2", W2)]}
    # 20 evaluations of the full gradient (every weight, one reverse sweep each), each
    # followed by an SGD update so that both tools follow the same trajectory and the
    # final weights check every gradient.
    g = write(
        os.path.join(work, "mlp.graph"),
        f""":set digits full
X = load_csv({q(f["X"])})
Y = load_csv({q(f["Y"])})
W1 = variable(load_csv({q(f["W1"])}))
b1 = variable(zeros([{m["hidden"]}]))
W2 = variable(load_csv({q(f["W2"])}))
b2 = variable(zeros([{m["outputs"]}]))
P = tanh(X @ W1 + b1) @ W2 + b2
L = mean((P - Y)^2)
:train L steps={m["steps"]} lr={m["lr"]} optimizer=sgd
print L, sum(W1), sum(b1), sum(W2), sum(b2)
""",
    )
    ag = write(
        os.path.join(work, "mlp_autograd.py"),
        f"""import numpy as onp
import autograd.numpy as np
from autograd import grad
load = lambda p: onp.loadtxt(p, delimiter=",")
X, Y = load({f["X"]!r}), load({f["Y"]!r})
params = [load({f["W1"]!r}), onp.zeros({m["hidden"]}), load({f["W2"]!r}), onp.zeros({m["outputs"]})]
def loss(p):
    W1, b1, W2, b2 = p
    P = np.tanh(X @ W1 + b1) @ W2 + b2
    return np.mean((P - Y) ** 2)
dloss = grad(loss)
for _ in range({m["steps"]}):
    g = dloss(params)
    params = [w - {m["lr"]} * d for w, d in zip(params, g)]
print(*(repr(float(v)) for v in [loss(params)] + [w.sum() for w in params]))
""",
    )
    return dict(name="mlp", what=f"loss and weights after {MLP['steps']} SGD steps", graphrepl=[g], peers=[("HIPS autograd", [py, ag], 5)])


def make_definitions(work):
    lines = [f"v{i} = {i}" for i in range(DEFS)] + [f"print v{DEFS - 1}"]
    g = write(os.path.join(work, "definitions.graph"), "\n".join(lines) + "\n")
    return dict(name="definitions", what="v99999", graphrepl=[g], peers=[], expect=[float(DEFS - 1)], limit=0.15)


def make_grad_command(work):
    """`:grad x20000 wrt x0` after the chain's definitions: its extra time and the peak."""
    lines = [":set digits full", "x0 = 0.5"]
    lines += [f"x{i + 1} = x{i} * 0.999 + x{i} ^ 2 * 0.001 + 0.0001" for i in range(CHAIN_STEPS)]
    base = write(os.path.join(work, "chain_defs.graph"), "\n".join(lines) + "\n")
    grad = write(os.path.join(work, "chain_grad.graph"), "\n".join(lines + [f":grad x{CHAIN_STEPS} wrt x0"]) + "\n")
    return base, grad


# ---------------------------------------------------------------- running


def run_peak(cmd, cwd, env):
    """(seconds, peak resident kB) of one run, or raises on a failure."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"exit {p.returncode}: {p.stderr.read().decode(errors='replace').strip()[-200:]}")
    return dt, usage.ru_maxrss


def grad_command(gr, work, env, runs):
    """The extra time and the peak memory of :grad on the chain; lines for the table."""
    base, grad = make_grad_command(work)
    with_grad, without = [], []
    peak = 0
    for _ in range(max(runs, 5)):
        without.append(run_peak([gr, base], work, env)[0])
        dt, kb = run_peak([gr, grad], work, env)
        with_grad.append(dt)
        peak = max(peak, kb)
    extra = statistics.median(with_grad) - statistics.median(without)
    # A difference of two medians of whole processes: below a millisecond (even below
    # zero, as a busy machine can make it) it is within the noise.
    figure = f"{extra * 1000:.0f} ms" if extra >= 0.001 else "< 1 ms"
    return [
        ("grad extra", figure, "<50 ms", extra < 0.05),
        ("grad peak", f"{peak / 1024:.0f} MB", "<100 MB", peak < 100 * 1024),
    ]


def engine_sweep(bench, env):
    """The 1 000 000-node scalar graph of graphrepl-bench: ns a node, reverse / evaluation."""
    p = subprocess.run([bench, "sweep"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"graphrepl-bench sweep: exit {p.returncode}")
    out = p.stdout.decode()
    ms = {}
    for line in out.splitlines():
        for key in ("evaluate a", "reverse sweep", "evaluation + reverse"):
            if line.startswith(key):
                ms[key] = float(line.split("ms")[0].split()[-1])
    per_node = ms["evaluation + reverse"] * 1e6 / 1_000_000
    ratio = ms["reverse sweep"] / ms["evaluate a"]
    return [
        ("node", f"{per_node:.0f} ns", "<=40 ns", per_node <= 40),
        ("reverse", f"{ratio:.2f}x", "<=3x", ratio <= 3),
    ]


def run(cmd, cwd, env):
    """(seconds, stdout) or raises: ('timeout', None) / ('crash', message)."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "timeout", None
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        err = (p.stderr or p.stdout).decode(errors="replace").strip().splitlines()
        return "crash", f"exit {p.returncode}: " + (err[-1] if err else "(no output)")
    return dt, p.stdout.decode(errors="replace")


def numbers(out):
    """The numbers on the last non-empty line of a program's output."""
    lines = [l for l in out.splitlines() if l.strip()]
    if not lines:
        return None
    try:
        return [float(w) for w in lines[-1].replace(",", " ").split()]
    except ValueError:
        return None


def agree(a, b):
    return len(a) == len(b) and all(abs(x - y) <= RTOL * max(abs(x), abs(y)) or x == y for x, y in zip(a, b))


def fmt_s(t):
    if isinstance(t, str):
        return t
    if t >= 100:
        return f"{t:.0f} s"
    if t >= 10:
        return f"{t:.1f} s"
    return f"{t:.3f} s"


def fmt_ratio(r):
    return f"{r:.0f}x" if r >= 100 else f"{r:.1f}x"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--graphrepl", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bench", help="graphrepl-bench, for the engine's own sweep figures")
    a = ap.parse_args()
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)
    gr, py, runs = os.path.abspath(a.graphrepl), os.path.abspath(a.python), a.runs
    env = dict(os.environ, JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="2")

    startup = dict(
        name="startup",
        what=None,
        graphrepl=["-e", "print 1"],
        expect=[1.0],
        peers=[("import micrograd", [py, "-c", "import micrograd.engine"], 2)],
    )
    workloads = [startup, make_chain(work, py), make_jacobian(work, py), make_mlp(work, py), make_definitions(work)]

    now = datetime.datetime.now().astimezone()
    print(f"bench-peers {now:%Y-%m-%d %H:%M %Z}, {platform.machine()}, nproc {os.cpu_count()}, "
          f"median of {runs} run{'s' if runs != 1 else ''}")
    print(f"whole processes, start-up included; timeout {TIMEOUT:.0f} s a run")
    print(f"{'workload':<11} {'graphrepl':>9}  {'peer':<16} {'peer time':>9} {'ratio':>6}  {'target':<7} status")
    print("-" * 79)
    sys.stdout.flush()

    failed = False
    notes = []
    for w in workloads:
        tools = [("graphrepl", [gr] + w["graphrepl"], None)] + w["peers"]
        times = {t[0]: [] for t in tools}
        outs = {}
        state = {t[0]: None for t in tools}  # None, 'timeout' or 'crash'
        for _ in range(runs):
            for label, cmd, _target in tools:
                if state[label]:
                    continue
                dt, out = run(cmd, work, env)
                if isinstance(dt, str):
                    state[label] = dt
                    if dt == "crash":
                        failed = True
                        notes.append(f"{w['name']}: {label} crashed: {out}")
                    else:
                        failed = failed or label == "graphrepl"
                        notes.append(f"{w['name']}: {label} took over {TIMEOUT:.0f} s: stopped (timeout)")
                    continue
                times[label].append(dt)
                if label != "graphrepl" and not w.get("what"):
                    continue  # nothing to compare: a clean exit is enough
                nums = numbers(out)
                if nums is None:
                    state[label] = "crash"
                    failed = True
                    notes.append(f"{w['name']}: {label} printed no numbers: {out.strip()[-40:]!r}")
                    continue
                outs.setdefault(label, nums)

        med = {k: (state[k] or statistics.median(v)) for k, v in times.items()}
        g = med["graphrepl"]

        # Agreement.
        ref = outs.get("graphrepl")
        bad = []
        if "expect" in w and ref is not None and not agree(ref, w["expect"]):
            failed = True
            notes.append(f"{w['name']}: graphrepl printed {ref}, expected {w['expect']}")
        if w.get("what") and ref is not None:
            bad = [k for k in outs if k != "graphrepl" and not agree(outs[k], ref)]
            ok = [k for k in outs if k != "graphrepl" and k not in bad]
            for k in bad:
                failed = True
                notes.append(f"{w['name']}: DISAGREE: {k} gives {outs[k]}, graphrepl {ref}")
            if ok and not bad:
                notes.append(f"{w['name']}: {w['what']} agree (rel 1e-9): graphrepl, {', '.join(ok)}")

        # The table.
        name = w["name"]
        if not w["peers"]:
            lim = w["limit"]
            status = "-" if isinstance(g, str) else ("met" if g < lim else "not met")
            print(f"{name:<11} {fmt_s(g):>9}  {'(none)':<16} {'':>9} {'':>6}  {'<' + str(lim) + ' s':<7} {status}")
        for label, _cmd, target in w["peers"]:
            p = med[label]
            if isinstance(g, str) or isinstance(p, str):
                ratio, status = "-", "-"
            else:
                r = p / g
                ratio = fmt_ratio(r)
                status = "met" if target is not None and r >= target else ("not met" if target is not None else "")
            if label in bad:
                status = "DISAGREE"
            tgt = f">={target}x" if target is not None else "-"
            print(f"{name:<11} {fmt_s(g) if name else '':>9}  {label:<16} {fmt_s(p):>9} {ratio:>6}  {tgt:<7} {status}")
            name = ""
        sys.stdout.flush()

    # graphrepl alone: :grad on the chain, and the engine's sweep over a million nodes.
    extra = []
    try:
        extra += grad_command(gr, work, env, runs)
    except RuntimeError as e:
        failed = True
        notes.append(f":grad on the chain failed: {e}")
    if a.bench:
        try:
            extra += engine_sweep(os.path.abspath(a.bench), env)
        except (RuntimeError, KeyError, ValueError) as e:
            failed = True
            notes.append(f"graphrepl-bench sweep failed: {e}")
    what = {
        "grad extra": ":grad x20000 wrt x0, time beyond the definitions",
        "grad peak": ":grad x20000 wrt x0, peak memory",
        "node": "1 000 000-node scalar graph: evaluation + reverse, a node",
        "reverse": "its reverse sweep / its evaluation",
    }
    for name, figure, target, met in extra:
        print(f"{name:<11} {figure:>9}  {'-':<16} {'':>9} {'':>6}  {target:<7} {'met' if met else 'not met'}")
    for name, _f, _t, _m in extra:
        notes.append(f"{name}: {what[name]} (graphrepl alone)")

    print("-" * 79)
    print("ratio = peer time / graphrepl time (how many times faster graphrepl is)")
    for n in notes:
        print(textwrap.fill(n, width=79, subsequent_indent="    "))
    print("result: " + ("FAILED (a crash or a disagreement, above)" if failed else "every workload ran and agreed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
