"""A cell sampled from Python agrees with the LP solved on its own."""

import pytest

import bioflux
from conftest import MODELS


def test_a_grid_of_the_lp_cell_agrees_with_single_lps():
    m = bioflux.Model(MODELS / "ecoli_fedbatch.bio")
    d = m.sample("ecoli", grid={"EX_glc__D_e": (0, 20, 5), "EX_o2_e": 15})
    assert list(d["EX_glc__D_e.uptake"]) == [0, 5, 10, 15, 20]
    assert list(d["status"]) == ["relaxed", "ok", "ok", "ok", "ok"]
    # The same LP through bioflux.fba on the model file: pfba, Biomass.
    for _, row in d.iloc[1:].iterrows():
        bounds = {"EX_glc__D_e": (-row["EX_glc__D_e.uptake"], None), "EX_o2_e": (-15, None)}
        s = bioflux.fba(MODELS / "iCH360.xml.gz", bounds=bounds, pfba=True, objective="Biomass")
        assert row["objective"] == pytest.approx(s.objective, rel=1e-7)
        assert row["EX_glc__D_e"] == pytest.approx(s.fluxes["EX_glc__D_e"], rel=1e-6, abs=1e-9)


def test_every_input_must_be_given():
    m = bioflux.Model(MODELS / "ecoli_fedbatch.bio")
    with pytest.raises(bioflux.InputError, match="EX_o2_e"):
        m.sample("ecoli", grid={"EX_glc__D_e": (0, 20, 5)})
    with pytest.raises(bioflux.InputError, match="ecoli"):
        m.sample("ecolii", grid={"EX_glc__D_e": (0, 20, 5)})
