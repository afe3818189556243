"""Errors are exceptions of one hierarchy, with what a caller needs."""

import numpy as np
import pytest

import bioflux
from conftest import MODELS

BLOW_UP = """model blow_up
// ds/dt = s², s(0) = 1: s = 1/(1 - t), infinite at t = 1.
reactor batch { volume = 1 [L] }
species s = 1 [mmol/L] : product
rate s = s * s / 1 [mmol/L] / 1 [h]
simulate { end = 2 [h]  output = 0.05 [h] }
"""


def test_the_hierarchy():
    for error in [bioflux.ModelError, bioflux.InputError, bioflux.SimulationError, bioflux.FitError,
                  bioflux.PluginError]:
        assert issubclass(error, bioflux.BiofluxError)
        assert issubclass(error, Exception)


def test_a_model_error_carries_every_diagnostic_with_line_and_column():
    text = (
        "model broken\n"
        "param k = 1 [1/h] // µ·h: multi-byte characters before the errors\n"
        "reactor batch { volume = 1 [L] }\n"
        "species x = 1 [mmol/L] : product\n"
        "rate x = k * y\n"
        "rate x = k * x [g]\n"
    )
    with pytest.raises(bioflux.ModelError) as caught:
        bioflux.Model.from_string(text, name="broken.bio")
    error = caught.value
    first = error.diagnostics[0]
    assert (first["file"], first["line"], first["column"]) == ("broken.bio", 5, 14)
    assert first["code"] == "bio::undefined"
    assert "y" in first["message"]
    assert len(error.diagnostics) >= 2
    # str() is what `bioflux check` prints: the line drawn, the help, the count.
    text_of = str(error)
    assert "rate x = k * y" in text_of
    assert "broken.bio:5:14" in text_of
    assert text_of.rstrip().endswith(f"error: {len(error.diagnostics)} errors found")


def test_the_rendered_text_is_the_command_lines(tmp_path, cli):
    path = tmp_path / "bad.bio"
    path.write_text("model bad\nreactor batch { volume = 1 [L] }\nspecies x = 1 [mmol/L] : product\nrate x = -k\n")
    with pytest.raises(bioflux.ModelError) as caught:
        bioflux.Model(path)
    printed = cli("check", path, check=False).stderr
    for diagnostic in caught.value.diagnostics:
        assert diagnostic["message"] in printed
        assert diagnostic["help"] in printed


def test_a_failed_run_keeps_its_rows():
    m = bioflux.Model.from_string(BLOW_UP)
    with pytest.raises(bioflux.SimulationError) as caught:
        m.run()
    error = caught.value
    assert 0.9 < error.time <= 1.0
    df = error.result.to_pandas()
    assert 10 < len(df) and df["t"].iloc[-1] < 1.0
    # The rows kept are right: the closed form 1/(1 - t).
    np.testing.assert_allclose(df["s"], 1 / (1 - df["t"]), rtol=1e-3)
    unchecked = m.run(check=False)
    assert unchecked.failure is not None and not unchecked.ok
    assert len(unchecked) == len(df)


def test_a_missing_plugin_names_it():
    text = (MODELS / "ecoli_fedbatch.bio").read_text().replace('pfba("iCH360.xml")', 'nosuchplugin("iCH360.xml")')
    with pytest.raises(bioflux.BiofluxError) as caught:
        bioflux.Model.from_string(text, base_dir=MODELS).run()
    assert "nosuchplugin" in str(caught.value)


def test_an_unknown_reaction_is_a_model_error_with_a_suggestion():
    text = (MODELS / "ecoli_fedbatch.bio").read_text().replace("bound EX_o2_e", "bound EX_o2_ee")
    with pytest.raises(bioflux.ModelError) as caught:
        bioflux.Model.from_string(text, name="ecoli.bio", base_dir=MODELS).run()
    assert "EX_o2_e" in str(caught.value)
    assert caught.value.diagnostics[0]["line"] == text[: text.index("EX_o2_ee")].count("\n") + 1


def test_errors_leave_the_model_usable():
    m = bioflux.Model(MODELS / "monod_batch.bio")
    for _ in range(3):
        with pytest.raises(bioflux.InputError):
            m.run(set={"Yxs": "1 [h]"})
    assert m.run().ok


def test_a_broken_plugin_is_a_plugin_error_that_names_it(tmp_path):
    import sys

    name = {"darwin": "libbioflux_pfba.dylib", "win32": "bioflux_pfba.dll"}.get(sys.platform, "libbioflux_pfba.so")
    (tmp_path / name).write_bytes(b"not a shared library")
    with pytest.raises(bioflux.PluginError) as caught:
        bioflux.fba(MODELS / "e_coli_core.xml.gz", plugin_path=[tmp_path])
    assert caught.value.plugin == "pfba"
    assert name in str(caught.value)
    # Without the broken one first, the shipped plugin answers.
    assert bioflux.fba(MODELS / "e_coli_core.xml.gz").status == "optimal"
