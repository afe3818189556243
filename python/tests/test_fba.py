"""One LP from Python, against COBRApy's published numbers."""

import pandas as pd
import pytest

import bioflux
from conftest import MODELS

# COBRApy: e_coli_core's optimum with its default medium (glucose uptake 10).
COBRAPY_E_COLI_CORE = 0.8739215069684307


def test_e_coli_core_grows_as_in_cobrapy():
    s = bioflux.fba(MODELS / "e_coli_core.xml.gz", bounds={"EX_glc__D_e": -10})
    assert s.status == "optimal"
    assert s.objective == pytest.approx(COBRAPY_E_COLI_CORE, rel=1e-7)
    assert isinstance(s.fluxes, pd.Series) and len(s.fluxes) == 95
    assert s.fluxes["EX_glc__D_e"] == pytest.approx(-10)
    assert s.fluxes["Biomass_Ecoli_core"] == pytest.approx(COBRAPY_E_COLI_CORE, rel=1e-7)


def test_bounds_as_ranges_objectives_and_pfba():
    half = bioflux.fba(MODELS / "e_coli_core.xml.gz", bounds={"EX_glc__D_e": (-5, None)})
    assert 0.3 < half.objective < COBRAPY_E_COLI_CORE
    p = bioflux.fba(MODELS / "e_coli_core.xml.gz", pfba=True)
    assert p.objective == pytest.approx(COBRAPY_E_COLI_CORE, rel=1e-6)
    # Parsimony: no more total flux than the plain optimum's.
    plain = bioflux.fba(MODELS / "e_coli_core.xml.gz")
    assert p.fluxes.abs().sum() <= plain.fluxes.abs().sum() + 1e-6
    co2 = bioflux.fba(MODELS / "e_coli_core.xml.gz", objective="EX_co2_e")
    assert co2.objective == pytest.approx(co2.fluxes["EX_co2_e"])


def test_infeasible_and_relaxed():
    bounds = {"ATPM": (300, None)}
    s = bioflux.fba(MODELS / "e_coli_core.xml.gz", bounds=bounds)
    assert s.status == "infeasible" and s.objective is None
    r = bioflux.fba(MODELS / "e_coli_core.xml.gz", bounds=bounds, relax=True)
    assert r.status == "relaxed" and r.slack > 0


def test_an_unknown_reaction_is_named_with_a_suggestion():
    with pytest.raises(bioflux.InputError, match="EX_glc__D_e"):
        bioflux.fba(MODELS / "e_coli_core.xml.gz", bounds={"EX_glc_D_e": -10})


def test_a_missing_model_file():
    with pytest.raises((bioflux.BiofluxError, OSError), match="nope.xml"):
        bioflux.fba("nope.xml")
