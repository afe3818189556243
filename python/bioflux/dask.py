"""Sweeps on a Dask cluster: the design split into chunks, each run by a
worker on a pickled copy of the model (checked and compiled once per
worker process, runs on its threads), the results one DataFrame.

>>> from dask.distributed import Client
>>> import bioflux, bioflux.dask
>>> client = Client()                       # or a dask-jobqueue SLURMCluster's
>>> m = bioflux.Model("models/monod_batch.bio")
>>> df = bioflux.dask.sweep(m, design_df, client)

Needs ``dask[distributed]`` (``pip install "./python[dask]"``).
"""

import pandas as pd


def _run_chunk(model, chunk, threads, settings):
    """On a worker: one chunk of the design through the model's ensemble."""
    return model.ensemble(chunk, threads=threads, **settings)


def sweep(model, design, client, *, chunks=None, threads=1, end=None, output=None, solver=None, rtol=None,
          atol=None):
    """Runs every row of ``design`` (a DataFrame: a column per parameter, a
    row per run, its index the run labels) on the Dask cluster of
    ``client`` and returns what :meth:`bioflux.Model.ensemble` returns for
    the whole design: one long DataFrame with a ``run`` column, failed runs
    as rows.

    ``chunks``: how many parts to cut the design into (default: twice the
    workers' threads, at most one per row); ``threads``: threads each task
    runs its chunk on (default 1: Dask's workers give the parallelism).
    The model travels to the workers pickled (its text and where it came
    from), so its files must be reachable from them at the same paths.
    """
    if not isinstance(design, pd.DataFrame):
        design = pd.DataFrame(list(design))
    if chunks is None:
        cores = sum(client.nthreads().values()) or 1
        chunks = 2 * cores
    chunks = max(1, min(int(chunks), len(design)))
    bounds = [len(design) * i // chunks for i in range(chunks + 1)]
    parts = [design.iloc[bounds[i]:bounds[i + 1]] for i in range(chunks)]
    settings = dict(end=end, output=output, solver=solver, rtol=rtol, atol=atol)
    shipped = client.scatter(model, broadcast=True)
    futures = client.map(_run_chunk, [shipped] * chunks, parts, [threads] * chunks, [settings] * chunks, pure=False)
    frames = client.gather(futures)
    out = pd.concat(frames, ignore_index=True)
    out.attrs["units"] = frames[0].attrs.get("units", {}) if frames else {}
    out["status"] = pd.Categorical(out["status"], categories=["ok", "stopped", "failed"])
    return out
