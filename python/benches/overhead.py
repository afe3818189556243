"""Benchmarks of the Python package (run with a release build: `pip install ./python`):

1. Python's overhead on the iCH360 fed-batch: the time of `Model.run` as
   Python sees it against the simulation's own wall time inside the same
   call (the library's `Run`), median of repeated runs. The same run
   through `bioflux_api` in Rust, for comparison: `cargo run --release -p
   bioflux-api --example run_repeatedly -- models/ecoli_fedbatch.bio 30`.
2. An ensemble of 1,000 monod_batch runs on 2 threads against 1.
3. Ctrl-C latency: from SIGINT to KeyboardInterrupt during a long run.

    python python/benches/overhead.py [--repeat 30]
"""

import argparse
import os
import signal
import statistics
import threading
import time
from pathlib import Path

import bioflux

ROOT = Path(__file__).resolve().parents[2]


def overhead(repeat):
    m = bioflux.Model(ROOT / "models" / "ecoli_fedbatch.bio")
    m.run()  # compile, bind, warm the LP's bases
    python, inside = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        r = m.run()
        python.append(time.perf_counter() - start)
        inside.append(r.stats["wall_s"])
    py, rust = statistics.median(python), statistics.median(inside)
    print(f"iCH360 fed-batch: Model.run {py * 1e3:.2f} ms, simulation inside {rust * 1e3:.2f} ms, "
          f"overhead {(py - rust) * 1e3:.3f} ms = {100 * (py - rust) / rust:.1f} % (median of {repeat})")
    return py


def ensemble():
    m = bioflux.Model(ROOT / "models" / "monod_batch.bio")
    design = [{"mu_max": 0.3 + 0.6 * i / 999} for i in range(1000)]
    m.ensemble(design[:20], threads=2)  # warm
    times = {}
    for threads in (1, 2):
        best = float("inf")
        for _ in range(7):
            start = time.perf_counter()
            out = m.ensemble(design, threads=threads)
            best = min(best, time.perf_counter() - start)
        assert (out["status"] == "ok").all()
        times[threads] = best
        print(f"1,000 monod_batch runs on {threads} thread(s): {best:.3f} s ({1000 / best:.0f} runs/s, best of 7)")
    print(f"speed-up on 2 threads: {times[1] / times[2]:.2f}x (os.cpu_count() = {os.cpu_count()})")


def interrupt_latency(repeat=5):
    text = (ROOT / "python" / "tests" / "test_parallel.py").read_text()
    source = text.split('OSCILLATOR = """', 1)[1].split('"""', 1)[0]
    m = bioflux.Model.from_string(source)
    calls = {
        "a run": lambda: m.run(end=10_000_000),
        "an ensemble on 2 threads": lambda: m.ensemble([{}] * 8, threads=2, end=10_000_000),
    }
    for what, call in calls.items():
        latencies = []
        for _ in range(repeat):
            sent = {}

            def fire():
                sent["t"] = time.perf_counter()
                os.kill(os.getpid(), signal.SIGINT)

            threading.Timer(0.2, fire).start()
            try:
                call()
            except KeyboardInterrupt:
                latencies.append(time.perf_counter() - sent["t"])
        print(f"Ctrl-C to KeyboardInterrupt during {what}: median {statistics.median(latencies) * 1e3:.0f} ms, "
              f"worst {max(latencies) * 1e3:.0f} ms ({repeat} tries)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    overhead(args.repeat)
    ensemble()
    interrupt_latency()
