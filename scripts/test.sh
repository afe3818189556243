#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs the missing system
# packages (scripts/system-deps.sh), builds every crate and plugin, runs
# every Rust test, then the editor grammar's snippets (scripts/test-editor.sh)
# and the Python package's (scripts/test-python.sh).
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh
cargo build --workspace --all-targets --locked
cargo test --workspace --locked "$@"
scripts/test-editor.sh
scripts/test-python.sh
