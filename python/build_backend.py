"""PEP 517 backend for `pip install ./python`: maturin, after the cell-model
plugins bioflux ships (pfba, surrogate) are built in the same profile and
target directory and copied into the package, so the wheel carries them
and the LP cell works with nothing else on the path."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import maturin
from maturin import get_requires_for_build_sdist, get_requires_for_build_wheel  # noqa: F401
from maturin import prepare_metadata_for_build_wheel, build_sdist  # noqa: F401

HERE = Path(__file__).resolve().parent
SHIPPED = ["pfba", "surrogate"]


def _library(name):
    if sys.platform == "win32":
        return f"bioflux_{name}.dll"
    return f"libbioflux_{name}.dylib" if sys.platform == "darwin" else f"libbioflux_{name}.so"


def bundle_plugins(profile="release", build=True):
    """Builds the shipped plugins (unless `build` is false: the workspace's
    build made them) and copies them into bioflux/plugins/."""
    if build:
        crates = [arg for name in SHIPPED for arg in ("-p", f"bioflux-{name}")]
        flag = ["--release"] if profile == "release" else []
        subprocess.run(["cargo", "build", "--locked", *flag, *crates], cwd=HERE, check=True)
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=HERE, check=True,
                          capture_output=True, text=True)
    target = Path(json.loads(meta.stdout)["target_directory"]) / ("release" if profile == "release" else "debug")
    dest = HERE / "bioflux" / "plugins"
    dest.mkdir(exist_ok=True)
    for name in SHIPPED:
        shutil.copy2(target / _library(name), dest / _library(name))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    bundle_plugins()
    return maturin.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    bundle_plugins()
    return maturin.build_editable(wheel_directory, config_settings, metadata_directory)


if __name__ == "__main__":
    # `python build_backend.py [debug|release] [--copy-only]`: the plugins
    # only, beside a package `maturin develop` installed.
    args = sys.argv[1:]
    profile = next((a for a in args if not a.startswith("--")), "release")
    bundle_plugins(profile, build="--copy-only" not in args)
