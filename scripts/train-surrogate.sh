#!/usr/bin/env bash
# Regenerates the surrogate that models/ecoli_fedbatch_surrogate.bio uses
# (models/surrogates/ich360/): samples the iCH360 pFBA cell of
# models/ecoli_fedbatch.bio over the paper's grid (glucose and oxygen
# uptake 0-20 in steps of 0.2, 10,201 points) and, ten times denser, the
# corner 0-2.5 where the fed-batch ends (10,201 more), and trains a small
# MLP on them with uptake scaling; and a second one on the corner alone,
# sampled by 0.01 (63,001 points), that answers there (near-zero/;
# docs/paper.md, "Near zero uptake"). About half an hour on two cores; the
# accuracy is in each report.txt.
# `scripts/train-surrogate.sh DIR` writes elsewhere.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/models/surrogates/ich360}"
"$root/scripts/system-deps.sh"
(cd "$root" && cargo build --release --locked -p bioflux -p bioflux-pfba -p bioflux-surrogate)
bin="${CARGO_TARGET_DIR:-$root/target}/release"
work="$(mktemp -d)"
"$bin/bioflux" sample "$root/models/ecoli_fedbatch.bio" --cell ecoli --plugin-path "$bin" \
    --grid EX_glc__D_e=0:20:0.2 --grid EX_o2_e=0:20:0.2 -o "$work/grid.safetensors"
"$bin/bioflux" sample "$root/models/ecoli_fedbatch.bio" --cell ecoli --plugin-path "$bin" \
    --grid EX_glc__D_e=0:2.5:0.025 --grid EX_o2_e=0:2.5:0.025 -o "$work/corner.safetensors"
"$bin/bioflux" sample "$root/models/ecoli_fedbatch.bio" --cell ecoli --plugin-path "$bin" \
    --grid EX_glc__D_e=0:2.5:0.01 --grid EX_o2_e=0:2.5:0.01 -o "$work/dense-corner.safetensors"
"$bin/bioflux" train "$work/grid.safetensors" --also "$work/corner.safetensors" -o "$out" --plugin-path "$bin" \
    --near-zero "$work/dense-corner.safetensors" --near-zero-epochs 400 \
    --hidden 128,128,128 --epochs 2000 --patience 100 --lr-drop 25 --uptake-scaling 1 --seed 0
rm -rf "$work"
echo "trained surrogate in $out" >&2
