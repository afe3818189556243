"""Shared fixtures: the repository, the `bioflux` command line built beside
the package (to compare front ends), CSV results read with their units."""

import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"


def _cli():
    given = os.environ.get("BIOFLUX_BIN")
    path = Path(given) if given else ROOT / "target" / "debug" / "bioflux"
    if not path.exists():
        raise RuntimeError(f"no bioflux binary at {path}: build it (cargo build) or set BIOFLUX_BIN")
    return path


@pytest.fixture(scope="session")
def cli():
    """Runs `bioflux ARGS...` and returns the completed process (checked)."""
    binary = _cli()

    def run(*args, check=True):
        done = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "BIOFLUX_CACHE": "off"})
        if check and done.returncode != 0:
            raise AssertionError(f"bioflux {' '.join(map(str, args))} failed:\n{done.stderr}")
        return done

    return run


def read_results(path):
    """A CSV `bioflux run` wrote: columns by name, units from the header."""
    frame = pd.read_csv(path)
    names, units = [], {}
    for header in frame.columns:
        name, _, unit = header.partition(" [")
        names.append(name)
        units[name] = unit.rstrip("]")
    frame.columns = names
    frame.attrs["units"] = units
    return frame
