#!/usr/bin/env bash
# The Python package's tests (python/tests), as scripts/test.sh runs them
# after the Rust tests: a venv in target/python-venv with maturin, pytest,
# pandas, matplotlib and nbclient; the package built by `maturin develop`
# in the dev profile and target directory the Rust build uses (only the
# binding layer is compiled anew), the shipped plugins the workspace build
# made copied beside it; then pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$PWD/target/python-venv"
if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r python/requirements-test.txt
(cd python && VIRTUAL_ENV="$venv" "$venv/bin/maturin" develop --locked 2>&1 | grep -v "^ *Compiling" || true)
"$venv/bin/python" -c "import bioflux._core" # the build above worked
"$venv/bin/python" python/build_backend.py debug --copy-only
# A hung test must not hang CI: pytest gets half an hour.
BIOFLUX_BIN="$PWD/target/debug/bioflux" timeout 1800 "$venv/bin/python" -m pytest python/tests -q -p no:cacheprovider "$@"
