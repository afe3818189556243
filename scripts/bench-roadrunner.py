#!/usr/bin/env python3
"""Times bioflux against libroadrunner on the SBML models in benches/sbml
(written by scripts/sbml-benchmark-models.py) and checks that both give the
same trajectories. libroadrunner is a test oracle here, not a dependency:

    python3 -m venv /tmp/rr && /tmp/rr/bin/pip install libroadrunner
    /tmp/rr/bin/python scripts/bench-roadrunner.py [path/to/bioflux]

Both integrate with rtol 1e-8, atol 1e-10 (BDF / CVODE) and write the same
output times. Reported: bioflux as a whole process (read SBML, translate,
check, JIT, simulate, write CSV) and its own "ran in" (the integration);
roadrunner's load (parse, LLVM JIT) in a fresh process and again (cached),
and its simulate; medians of repeated runs.
"""

import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time

import roadrunner

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = [("mapk_cascade", 4000.0, 4.0), ("branched_pathway", 200.0, 0.5), ("gene_network", 200.0, 0.5)]
RTOL, ATOL = 1e-8, 1e-10


def median_time(f, n):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bioflux_run(exe, path, end, every, out):
    cmd = [exe, "run", path, "--end", str(end), "--every", str(every), "--rtol", str(RTOL), "--atol", str(ATOL)]
    done = subprocess.run(cmd + ["-o", out], capture_output=True, text=True, check=True)
    ran = [w for w in done.stderr.split(",") if "ran in" in w][0].split("ran in")[1].strip()
    return ran


def first_load(path):
    """roadrunner's load in a fresh process (its compile is cached after)."""
    code = (
        "import time, roadrunner\n"
        "t = time.perf_counter(); roadrunner.RoadRunner(%r); print(time.perf_counter() - t)" % path
    )
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(3)]
    return statistics.median(runs)


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "target", "release", "bioflux")
    print(f"{'model':18} {'species':>7} {'reactions':>9} | {'bioflux process':>15} {'bioflux ran in':>14} | "
          f"{'rr first load':>13} {'rr load':>8} {'rr simulate':>11} | {'max rel. diff':>13} (values > 1e-3)")
    for name, end, every in MODELS:
        path = os.path.join(HERE, "..", "benches", "sbml", name + ".xml")
        points = int(round(end / every)) + 1
        rr = roadrunner.RoadRunner(path)
        rr.integrator.relative_tolerance = RTOL
        rr.integrator.absolute_tolerance = ATOL
        n_species, n_reactions = rr.model.getNumFloatingSpecies(), rr.model.getNumReactions()
        load = median_time(lambda: roadrunner.RoadRunner(path), 5)
        cold = first_load(path)

        def simulate():
            rr.resetAll()
            return rr.simulate(0, end, points)

        simulate_time = median_time(simulate, 20)
        expected = simulate()
        names = [c.strip("[]") for c in expected.colnames]
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out.csv")
            process = median_time(lambda: bioflux_run(exe, path, end, every, out), 10)
            ran = bioflux_run(exe, path, end, every, out)
            with open(out) as f:
                rows = list(csv.reader(f))
        header = rows[0]
        got = [[float(x) for x in r] for r in rows[1:]]
        # Event rows (before and after) come twice at one time: keep the last.
        by_time = {}
        for r in got:
            by_time[round(r[0], 9)] = r
        worst = 0.0
        for i in range(points):
            t = expected[i, 0]
            row = by_time.get(round(t, 9))
            if row is None:
                continue
            for j, n in enumerate(names[1:], start=1):
                if n not in header:
                    continue
                a, b = row[header.index(n)], expected[i, j]
                if abs(b) > 1e-3:  # below, atol (1e-10) dominates the error
                    worst = max(worst, abs(a - b) / abs(b))
        print(f"{name:18} {n_species:7} {n_reactions:9} | {process * 1e3:12.1f} ms {ran:>14} | "
              f"{cold * 1e3:10.1f} ms {load * 1e3:5.1f} ms {simulate_time * 1e3:8.2f} ms | {worst:13.2e}")


if __name__ == "__main__":
    main()
