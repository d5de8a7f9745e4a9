#!/usr/bin/env python3
"""Independent reference for graphrepl's derivatives: SymPy differentiates each
expression symbolically and evaluates the gradient and Hessian at the point with 30
significant digits.

usage: sympy_reference.py CASES_JSON   (a list of {"expr", "vars", "point"})
prints a JSON list of {"grad": [...], "hessian": [[...]]}
"""
import json
import sys

import sympy as sp

cases = json.loads(sys.argv[1])
out = []
for case in cases:
    names = case["vars"]
    symbols = sp.symbols(names)
    env = dict(zip(names, symbols))
    env.update({"exp": sp.exp, "log": sp.log, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "tanh": sp.tanh,
                "sqrt": sp.sqrt, "sigmoid": lambda u: 1 / (1 + sp.exp(-u)),
                "softplus": lambda u: sp.log(1 + sp.exp(u))})
    f = eval(case["expr"], {"__builtins__": {}}, env)
    at = dict(zip(symbols, [sp.Float(v, 30) for v in case["point"]]))
    grad = [float(sp.diff(f, s).evalf(30, subs=at)) for s in symbols]
    hess = [[float(sp.diff(f, s, t).evalf(30, subs=at)) for t in symbols] for s in symbols]
    out.append({"grad": grad, "hessian": hess})
print(json.dumps(out))
