"""A design on a Dask LocalCluster equals the same ensemble in-process."""

import numpy as np
import pandas as pd
from dask import distributed

import bioflux
import bioflux.dask
from conftest import MODELS


def test_a_sweep_on_a_local_dask_cluster_equals_the_ensemble():
    m = bioflux.Model(MODELS / "monod_batch.bio")
    design = pd.DataFrame({"mu_max": np.linspace(0.2, 1.0, 23), "Ks": np.linspace(0.1, 3.0, 23)})
    design.loc[22, "Ks"] = np.nan
    design.index = [f"r{i}" for i in range(len(design))]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            remote = bioflux.dask.sweep(m, design, client, chunks=5)
    local = m.ensemble(design, threads=1)
    pd.testing.assert_frame_equal(remote.reset_index(drop=True), local.reset_index(drop=True), check_exact=True)
    assert list(remote["run"].unique()) == list(design.index)
    assert remote.attrs["units"]["biomass"] == "gDW/L"
