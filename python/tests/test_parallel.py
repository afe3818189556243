"""Many runs: ensembles on threads, pickled models in other processes, the
GIL released during runs, Ctrl-C honoured."""

import multiprocessing
import os
import pickle
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest

import bioflux
from conftest import MODELS

# x'' = -x: long runs at tight tolerances, for the GIL and Ctrl-C.
OSCILLATOR = """model oscillator
reactor batch { volume = 1 [L] }
species x = 1 [mmol/L] : product
species y = 0 [mmol/L] : product
rate x = y / 1 [h]
rate y = -x / 1 [h]
simulate { end = 10 [h]  output = 1 [h]  solver = tsit45  rtol = 1e-11  atol = 1e-13 }
"""


def final_biomass(model, ks):
    """In a worker process: one run of an unpickled model."""
    return float(model.run(set={"Ks": ks})["biomass"][-1])


def test_a_model_pickles_and_runs_the_same():
    m = bioflux.Model(MODELS / "ecoli_fedbatch.bio")
    again = pickle.loads(pickle.dumps(m))
    assert again.name == m.name and again.source == m.source and again.path == m.path
    a, b = m.run(end=6).to_pandas(), again.run(end=6).to_pandas()
    assert a.equals(b)
    text = bioflux.Model.from_string(OSCILLATOR, name="osc.bio")
    assert pickle.loads(pickle.dumps(text)).run(end=1).to_pandas().equals(text.run(end=1).to_pandas())


def test_pickled_models_run_in_other_processes():
    m = bioflux.Model(MODELS / "monod_batch.bio")
    values = [0.2, 0.5, 2.0]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        remote = list(pool.map(final_biomass, [m] * len(values), values))
    assert remote == [final_biomass(m, v) for v in values]


def test_an_ensemble_equals_single_runs_and_keeps_failures():
    m = bioflux.Model(MODELS / "monod_batch.bio")
    design = pd.DataFrame({"mu_max": [0.3, 0.6, 0.9, 1.2], "Ks": [0.5, 1.0, np.nan, 2.0]},
                          index=["a", "b", "c", "d"])
    design.loc["e"] = [0.5, -1.0]  # a negative Ks: the run may fail or go on; either is a row
    design.loc["f"] = [np.nan, np.nan]
    ens = m.ensemble(design, threads=2)
    assert list(ens.columns[:5]) == ["run", "mu_max", "Ks", "status", "message"]
    assert list(ens["run"].unique()) == ["a", "b", "c", "d", "e", "f"]
    for label in ["a", "b", "c", "d", "f"]:
        sets = {k: v for k, v in design.loc[label].items() if not np.isnan(v)}
        single = m.run(set=sets).to_pandas()
        rows = ens[ens["run"] == label][single.columns].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows, single, check_exact=True)
        assert set(ens[ens["run"] == label]["status"]) == {"ok"}
    failed = m.ensemble([{"mu_max": 0.5}, {"Yxs": "1 [h]"}, {"mu_max": 0.7}], threads=2)
    bad = failed[failed["run"] == 1]
    assert len(bad) == 1 and bad["status"].iloc[0] == "failed" and "Yxs" in bad["message"].iloc[0]
    assert np.isnan(bad["t"].iloc[0])
    assert set(failed[failed["run"] != 1]["status"]) == {"ok"}
    assert ens.attrs["units"]["biomass"] == "gDW/L"


def test_a_run_failing_inside_an_ensemble_keeps_its_rows():
    from test_errors import BLOW_UP

    ens = bioflux.Model.from_string(BLOW_UP).ensemble([{}, {}], threads=2)
    assert set(ens["status"]) == {"failed"}
    assert (ens.groupby("run").size() > 10).all()


def test_threads_give_the_same_numbers():
    m = bioflux.Model(MODELS / "monod_batch.bio")
    design = pd.DataFrame({"mu_max": np.linspace(0.2, 1.0, 24)})
    one = m.ensemble(design, threads=1)
    two = m.ensemble(design, threads=2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def count_while(call):
    """Iterations a second Python thread makes while `call` runs in this one."""
    counter = {"n": 0, "stop": False}

    def spin():
        while not counter["stop"]:
            counter["n"] += 1

    worker = threading.Thread(target=spin)
    worker.start()
    time.sleep(0.05)
    before = counter["n"]
    call()
    during = counter["n"] - before
    counter["stop"] = True
    worker.join()
    return during


def test_runs_release_the_gil():
    # While a Rust run holds the GIL, no other Python thread runs at all (the
    # count before and after the call is read by this thread without
    # yielding); released, the spinning thread counts all along. On a
    # loaded machine it counts less, but far more than this.
    m = bioflux.Model.from_string(OSCILLATOR)
    assert count_while(lambda: m.run(end=4000)) > 10_000
    e = bioflux.Model(MODELS / "monod_batch.bio")
    assert count_while(lambda: e.ensemble([{"mu_max": 0.5}] * 200, threads=1)) > 10_000


def interrupt_after(seconds):
    timer = threading.Timer(seconds, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_ctrl_c_interrupts_a_run_and_the_model_goes_on():
    m = bioflux.Model.from_string(OSCILLATOR)
    started = time.monotonic()
    interrupt_after(0.3)
    with pytest.raises(KeyboardInterrupt):
        m.run(end=10_000_000)  # hours of work
    assert time.monotonic() - started < 60
    r = m.run(end=1)
    assert r["x"][-1] == pytest.approx(np.cos(1.0), rel=1e-8)


def test_ctrl_c_interrupts_an_ensemble():
    # Few runs of hours each: the signal comes while Rust works (not while
    # Python builds a large design, where an interrupt may land anywhere).
    m = bioflux.Model.from_string(OSCILLATOR)
    started = time.monotonic()
    interrupt_after(0.3)
    with pytest.raises(KeyboardInterrupt):
        m.ensemble([{}] * 4, threads=2, end=10_000_000)
    assert time.monotonic() - started < 60
    assert m.run(end=1).ok
