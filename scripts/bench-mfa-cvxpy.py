"""The CHO flux-analysis layer's QP in cvxpy, for the closing note's
comparison with `cargo bench -p bioflux-mfa --bench layer`: the same
network (models/cho_network.json), rates, weights and ε, solved with
cvxpy's default QP solver and with Clarabel; time per solve with the rates
as a parameter (the problem compiled once), and the fluxes at the two
states the Rust benchmark uses.

    python3 -m venv /tmp/cvx && /tmp/cvx/bin/pip install cvxpy
    /tmp/cvx/bin/python scripts/bench-mfa-cvxpy.py
"""
import json
import pathlib
import time

import cvxpy as cp
import numpy as np

root = pathlib.Path(__file__).resolve().parent.parent
net = json.loads((root / "models" / "cho_network.json").read_text())
mets = [m["id"] for m in net["metabolites"]]
reactions = net["reactions"]
n = len(reactions)
S = np.zeros((len(mets), n))
for j, r in enumerate(reactions):
    for m, c in r["metabolites"].items():
        S[mets.index(m), j] = c
lower = np.array([r["lower_bound"] for r in reactions], float)
upper = np.array([r["upper_bound"] for r in reactions], float)
ids = [r["id"] for r in reactions]
rated = ["GLCt", "GLNt", "ASNt", "LACt", "NH4t", "ALAt", "CO2t", "BIOMASS", "ANTIBODY"]
weights = np.array([1e4, 1.1e5, 1.1e5, 2500, 1.1e5, 2.5e5, 400, 1e6, 2.5e11])
index = [ids.index(r) for r in rated]
epsilon = 1e-10

v = cp.Variable(n)
rates = cp.Parameter(len(rated))
objective = cp.sum(cp.multiply(weights, cp.square(v[index] - rates))) + epsilon * cp.sum_squares(v)
problem = cp.Problem(cp.Minimize(objective), [S @ v == 0, v >= lower, v <= upper])

growing = [0.160, 0.025, 0.0075, 0.128, 0.0175, 0.005, 0.096, 0.030, 2.0e-5]
starving = [-0.02, -0.01, 0.0, -0.08, 0.01, -0.002, 0.2, 0.004, 1.0e-5]
for solver in ["OSQP", "CLARABEL"]:
    for name, point in [("growing", growing), ("starving", starving)]:
        rates.value = np.array(point)
        problem.solve(solver=solver)
        repeats = 50
        start = time.perf_counter()
        for _ in range(repeats):
            problem.solve(solver=solver)
        per_solve = (time.perf_counter() - start) / repeats
        held = [ids[j] for j in range(n) if abs(v.value[j] - lower[j]) < 1e-7 or abs(v.value[j] - upper[j]) < 1e-7]
        print(f"{solver:9s} {name:9s} {per_solve * 1e6:9.0f} µs per solve  "
              f"(solver alone {problem.solver_stats.solve_time * 1e6:7.0f} µs)  held near a bound: {held}")

# With BIOFLUX_FLUXES=file.json ({state: {reaction: flux}}, e.g. from the
# Python package's Model.sample), the objective of both solutions.
import os

if os.environ.get("BIOFLUX_FLUXES"):
    ours = json.loads(pathlib.Path(os.environ["BIOFLUX_FLUXES"]).read_text())
    for name, point in [("growing", growing), ("starving", starving)]:
        rates.value = np.array(point)
        problem.solve(solver="CLARABEL", tol_gap_abs=1e-14, tol_gap_rel=1e-14, tol_feas=1e-14, max_iter=500)
        x = np.array([ours[name][i] for i in ids])
        f = lambda y: float(np.sum(weights * (y[index] - np.array(point)) ** 2) + epsilon * np.sum(y**2))
        feasible = np.abs(S @ x).max(), max(0, (lower - x).max(), (x - upper).max())
        print(f"{name}: objective bioflux {f(x):.12e}, cvxpy/Clarabel {f(v.value):.12e}; "
              f"bioflux |S·v| {feasible[0]:.1e}, bound violation {feasible[1]:.1e}; "
              f"largest flux difference {np.abs(x - v.value).max():.2e} (rated {np.abs(x[index] - v.value[index]).max():.2e})")
