"""Runs from Python give the command line's numbers, units and events."""

import numpy as np
import pytest

import bioflux
from conftest import MODELS, read_results


def assert_same_table(py, csv):
    assert list(py.columns) == list(csv.columns)
    assert py.shape == csv.shape
    # The CSV keeps 15 significant digits.
    np.testing.assert_allclose(py.to_numpy(), csv.to_numpy(), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(
    "model, sets, args",
    [
        ("monod_batch.bio", {}, []),
        ("monod_batch.bio", {"Ks": "2 [mmol/L]", "mu_max": 0.4}, ["--set", "Ks=2 [mmol/L]", "--set", "mu_max=0.4"]),
        ("ecoli_fedbatch.bio", {"F0": 0.02}, ["--set", "F0=0.02"]),
        ("cho_fedbatch.bio", {}, []),
        ("ecoli_fedbatch_surrogate.bio", {}, []),
    ],
)
def test_a_run_equals_the_command_lines_csv(tmp_path, cli, model, sets, args):
    out = tmp_path / "out.csv"
    cli("run", MODELS / model, "-o", out, "--end", "15 [h]", "--every", "0.25 [h]", *args)
    m = bioflux.Model(MODELS / model)
    result = m.run(set=sets, end="15 h", output="15 min")
    frame = result.to_pandas()
    csv = read_results(out)
    assert_same_table(frame, csv)
    assert frame.attrs["units"] == csv.attrs["units"]


def test_events_equal_the_command_lines_log(tmp_path, cli):
    log = tmp_path / "events.csv"
    cli("run", MODELS / "cho_fedbatch.bio", "-o", tmp_path / "out.csv", "--events", log)
    events = bioflux.Model(MODELS / "cho_fedbatch.bio").run().events
    csv = read_results(log)
    assert len(events) == len(csv) > 20
    np.testing.assert_allclose(events["time"], csv["t"], rtol=1e-12)
    assert list(events["event"]) == list(csv["event"])
    assert list(events["target"]) == list(csv["target"])
    np.testing.assert_allclose(events["after"], csv["after"], rtol=1e-12)


def test_a_model_from_text_runs_as_the_file_does():
    text = (MODELS / "monod_batch.bio").read_text()
    a = bioflux.Model.from_string(text).run().to_pandas()
    b = bioflux.Model(MODELS / "monod_batch.bio").run().to_pandas()
    assert a.equals(b)


def test_monod_batch_follows_its_closed_form():
    # Yield-coupled Monod batch: X + Yxs·S is constant (an invariant of the
    # model's equations, independent of how they are integrated).
    r = bioflux.Model(MODELS / "monod_batch.bio").run(rtol=1e-10, atol=1e-12)
    df = r.to_pandas()
    invariant = df["biomass"] + 0.09 * df["glucose"]
    np.testing.assert_allclose(invariant, invariant.iloc[0], rtol=1e-7)


def test_parameters_and_units():
    m = bioflux.Model(MODELS / "monod_batch.bio")
    p = m.parameters
    assert p.loc["mu_max", "value"] == pytest.approx(0.6)
    assert p.loc["mu_max", "unit"] == "1/h"
    assert p.loc["Ks", "unit"] == "mmol/L"
    r = m.run(set={"Ks": "2 [mol/L]"})
    assert r.parameters["Ks"] == pytest.approx(2000.0)
    assert list(m.species.index) == ["glucose", "biomass"]


def test_times_with_units_and_a_stop():
    m = bioflux.Model(MODELS / "monod_batch.bio")
    r = m.run(end="90 min", output=0.5)
    assert r["t"][-1] == pytest.approx(1.5)
    assert list(r["t"]) == [0, 0.5, 1.0, 1.5]
    stopping = bioflux.Model.from_string(
        (MODELS / "monod_batch.bio").read_text() + "\nwhen glucose < 1 [mmol/L] { stop }\n"
    ).run()
    assert stopping.stop is not None and stopping.failure is None
    assert stopping["glucose"][-1] == pytest.approx(1.0, rel=1e-6)
    assert stopping.stop.time == pytest.approx(stopping["t"][-1])


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(set={"nope": 1}), "no parameter `nope`"),
        (dict(set={"Ks": "1 [h]"}), "Ks"),
        (dict(end="ten hours"), "ten hours"),
        (dict(end="2 [g]"), "not a time"),
        (dict(output=0), "positive"),
        (dict(solver="euler"), "bdf, esdirk34, tsit45"),
        (dict(rtol=-1), "rtol"),
    ],
)
def test_bad_arguments_are_input_errors(kwargs, words):
    m = bioflux.Model(MODELS / "monod_batch.bio")
    with pytest.raises(bioflux.InputError, match=words.replace("[", r"\[").replace("(", r"\(")):
        m.run(**kwargs)
    assert m.run().ok  # the model is still usable


def test_a_missing_file_is_an_os_error():
    with pytest.raises(FileNotFoundError, match="nope.bio"):
        bioflux.Model("nope.bio")


def test_plot_draws_a_panel_per_species_with_units():
    import matplotlib

    matplotlib.use("Agg")
    r = bioflux.Model(MODELS / "ecoli_fedbatch.bio").run()
    fig = r.plot()
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels == ["glucose [mmol/L]", "biomass [gDW/L]"]
    line = fig.axes[1].lines[0]
    np.testing.assert_array_equal(line.get_ydata(), r["biomass"])
    shared = r.plot(["V", "glucose"], shared=True)
    assert len(shared.axes) == 1 and len(shared.axes[0].lines) == 2
    with pytest.raises(KeyError, match="the columns"):
        r.plot("glucos")


def test_notebook_tables():
    m = bioflux.Model(MODELS / "ecoli_fedbatch.bio")
    html = m._repr_html_()
    for words in ["Species", "Parameters", "Cells", "pfba", "iCH360.xml", "mmol/L"]:
        assert words in html
    r = m.run(end=1)
    assert "biomass [gDW/L]" in r._repr_html_()
    assert "rows" in repr(r)


def test_cell_outputs_carry_their_plugins_units():
    """Fluxes in mmol/gDW/h and growth in 1/h, in a run's table and in an
    ensemble's, as the plugin declares them (issue 32, item 4)."""
    m = bioflux.Model(MODELS / "ecoli_fedbatch.bio")
    units = m.run(end=2).to_pandas().attrs["units"]
    assert units["ecoli.Biomass"] == "1/h"
    assert units["ecoli.EX_glc__D_e"] == "mmol/gDW/h"
    assert units["glucose"] == "mmol/L"
    ens = m.ensemble([{"F1": 0.04}, {"F1": 0.06}], threads=2)
    assert ens.attrs["units"]["ecoli.EX_o2_e"] == "mmol/gDW/h"
    assert ens.attrs["units"]["ecoli.Biomass"] == "1/h"
    # And in the model's own list of columns, before any run.
    columns = bioflux.Model(MODELS / "ecoli_fedbatch.bio").columns
    assert columns["ecoli.Biomass"] == "1/h" and columns["ecoli.EX_glc__D_e"] == "mmol/gDW/h"
    assert columns["glucose"] == "mmol/L" and columns["t"] == "h"
