"""Fits to DataFrames: the truth recovered, the command line's numbers."""

import json

import numpy as np
import pandas as pd
import pytest

import bioflux
from conftest import MODELS

TRUTH = {"mu_max": 0.45, "Ks": 0.8}


def measured(noise=0.0, seed=7):
    m = bioflux.Model(MODELS / "monod_batch.bio")
    df = m.run(set=TRUTH, output=1.0).to_pandas()[["t", "glucose", "biomass"]]
    rng = np.random.default_rng(seed)
    for c in ["glucose", "biomass"]:
        df[c] = df[c] * (1 + noise * rng.standard_normal(len(df)))
    df.attrs["units"] = {"glucose": "mmol/L", "biomass": "gDW/L"}
    return df


def test_noise_free_data_give_the_truth():
    f = bioflux.Model(MODELS / "monod_batch.bio").fit(data=[measured()], fit=["mu_max", "Ks"], log=True)
    assert f.parameters["mu_max"] == pytest.approx(TRUTH["mu_max"], rel=1e-6)
    assert f.parameters["Ks"] == pytest.approx(TRUTH["Ks"], rel=1e-6)
    assert list(f.estimates.columns) == ["value", "se", "low", "high", "log"]
    assert f.correlation.shape == (2, 2)


def test_a_fit_equals_the_command_lines(tmp_path, cli):
    data = measured(noise=0.03)
    data.to_csv(tmp_path / "run.csv", index=False)
    cli("fit", MODELS / "monod_batch.bio", "--data", tmp_path / "run.csv", "--fit", "mu_max,Ks", "--log",
        "-o", tmp_path / "fit.json")
    report = json.loads((tmp_path / "fit.json").read_text())
    f = bioflux.Model(MODELS / "monod_batch.bio").fit(data=data, fit=["mu_max", "Ks"], log=True)
    for name, p in report["parameters"].items():
        row = f.estimates.loc[name]
        assert row["value"] == pytest.approx(p["value"], rel=1e-9)
        assert row["se"] == pytest.approx(p["std_error"], rel=1e-6)
        assert (row["low"], row["high"]) == pytest.approx(tuple(p["interval95"]), rel=1e-6)
    assert f.cost == pytest.approx(report["cost"], rel=1e-6)
    # 3 % noise: the truth within the 95 % intervals.
    for name, value in TRUTH.items():
        assert f.estimates.loc[name, "low"] < value < f.estimates.loc[name, "high"]


def test_units_in_the_data_are_converted():
    data = measured()
    in_grams = data.copy()
    in_grams["biomass"] = in_grams["biomass"] / 1000
    in_grams.attrs["units"] = {"biomass": "gDW/mL", "glucose": "mmol/L"}
    named = data.rename(columns={"glucose": "glucose [mol/L]"})
    named["glucose [mol/L]"] /= 1000
    for frame in (in_grams, named):
        f = bioflux.Model(MODELS / "monod_batch.bio").fit(data=frame, fit=["mu_max", "Ks"], log=True)
        assert f.parameters["mu_max"] == pytest.approx(TRUTH["mu_max"], rel=1e-6)
        assert f.parameters["Ks"] == pytest.approx(TRUTH["Ks"], rel=1e-6)


def test_experiments_with_their_own_parameters_and_missing_values():
    model = bioflux.Model(MODELS / "monod_batch.bio")
    other = model.run(set={**TRUTH, "Yxs": 0.05}, output=1.0).to_pandas()[["t", "biomass"]].set_index("t")
    other.iloc[3] = np.nan
    f = model.fit(data=[measured(), (other, {"Yxs": 0.05})], fit=["mu_max", "Ks"], log=True)
    assert f.parameters["mu_max"] == pytest.approx(TRUTH["mu_max"], rel=1e-5)
    assert f.n_data == 2 * 13 + 12


@pytest.mark.parametrize(
    "frame, words",
    [
        (pd.DataFrame({"t": [0, 1], "biomas": [0.1, 0.2]}), "biomass"),
        (pd.DataFrame({"biomass": [0.1, 0.2]}), "time column"),
        (pd.DataFrame({"t": [1, 0], "biomass": [0.1, 0.2]}), "increase"),
        (pd.DataFrame({"t": [0, 1], "biomass [h]": [0.1, 0.2]}), "biomass"),
        (pd.DataFrame({"t": [0, 1], "biomass [mg/L]": [0.1, 0.2]}), r"is in \[mg/L\], but `biomass` is in \[gDW/L\]"),
    ],
)
def test_bad_data_are_input_errors(frame, words):
    with pytest.raises(bioflux.InputError, match=words):
        bioflux.Model(MODELS / "monod_batch.bio").fit(data=frame, fit=["mu_max"])


def test_a_fit_of_nothing_or_an_unknown_parameter():
    m = bioflux.Model(MODELS / "monod_batch.bio")
    with pytest.raises(bioflux.InputError):
        m.fit(data=measured(), fit=[])
    with pytest.raises(bioflux.InputError, match="mu_mx"):
        m.fit(data=measured(), fit=["mu_mx"])
