"""Per-call times of the Python peers on iCH360, for docs/performance.md:
COBRApy (its default solver, GLPK) FBA and pFBA, and highspy FBA warm-started
from the previous call, each over a walk of glucose and oxygen uptake
bounds like a dFBA trajectory's. Needs `pip install cobra highspy`.

    python3 scripts/python-peers.py models/iCH360.xml.gz
"""
import sys
import time

import cobra
import highspy
import numpy as np

model = cobra.io.read_sbml_model(sys.argv[1])
glc, o2 = model.reactions.get_by_id("EX_glc__D_e"), model.reactions.get_by_id("EX_o2_e")
walk = [(-10.0 + 5.0 * np.sin(k / 40), -15.0 + 5.0 * np.cos(k / 30)) for k in range(400)]


def per_call(f, points):
    start = time.perf_counter()
    for g, o in points:
        glc.lower_bound, o2.lower_bound = g, o
        f()
    return (time.perf_counter() - start) / len(points)


fba = per_call(model.slim_optimize, walk)
pfba = per_call(lambda: cobra.flux_analysis.pfba(model), walk[:100])

# highspy: max c·v, S·v = 0, bounds; only the two bounds change between calls.
s = cobra.util.array.create_stoichiometric_matrix(model)
lp = highspy.Highs()
lp.setOptionValue("output_flag", False)
n = s.shape[1]
lower = np.array([r.lower_bound for r in model.reactions])
upper = np.array([r.upper_bound for r in model.reactions])
cost = np.array([-r.objective_coefficient for r in model.reactions])
inf = highspy.kHighsInf
lp.addVars(n, np.maximum(lower, -inf), np.minimum(upper, inf))
lp.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
for row in s:
    idx = np.nonzero(row)[0].astype(np.int32)
    lp.addRow(0.0, 0.0, len(idx), idx, row[idx])
j_glc, j_o2 = model.reactions.index(glc), model.reactions.index(o2)
start = time.perf_counter()
for g, o in walk:
    lp.changeColBounds(j_glc, g, upper[j_glc])
    lp.changeColBounds(j_o2, o, upper[j_o2])
    lp.run()
highs_fba = (time.perf_counter() - start) / len(walk)
print(f"COBRApy {cobra.__version__} ({model.solver.interface.__name__.split('.')[-1]}): "
      f"FBA {fba * 1e6:.0f} µs, pFBA {pfba * 1e3:.2f} ms per call; highspy {highspy.Highs().version()} "
      f"warm-started FBA {highs_fba * 1e6:.0f} µs per call")
