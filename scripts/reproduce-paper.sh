#!/usr/bin/env bash
# Regenerates the figures of Carstensen et al. 2026 that bioflux can make,
# on iCH360, into docs/figures/ (see docs/paper.md):
#   Figure 2  growth against extracellular glucose at oxygen uptake 5, 10,
#             15, 20; glucose uptake against concentration beside the
#             Michaelis-Menten bound
#   Figure 3  growth against glucose uptake at oxygen uptake 15; the six
#             panels of the fed-batch (volume, feed, growth rate, glucose,
#             biomass, glucose uptake)
#   Figure 4  surrogate against pFBA, per reaction, at glucose = oxygen
#             uptake = 10 (plot and table)
#   Figure 6  d(growth)/d(glucose uptake) and d(growth)/d(oxygen uptake)
#             over 0-20 x 0-20, from the LP's bases and from the surrogate
# iCH360 ships in models/. `scripts/reproduce-paper.sh [OUT]` writes into
# OUT (default docs/figures); the build goes where CARGO_TARGET_DIR says.
# Training the surrogate takes minutes; SURROGATE=DIR reuses a trained one,
# EPOCHS=N changes how long it trains (default 200).
set -euo pipefail
out="$(mkdir -p "${1:-$(dirname "$0")/../docs/figures}" && cd "${1:-$(dirname "$0")/../docs/figures}" && pwd)"
cd "$(dirname "$0")/.."
# The sweeps in scripts/paper name iCH360.xml, which ships in models/.
export BIOFLUX_MODELS="${BIOFLUX_MODELS:-$PWD/models}"
scripts/system-deps.sh
cargo build --release --workspace --quiet
bioflux="${CARGO_TARGET_DIR:-target}/release/bioflux"
work=$(mktemp -d)
mkdir -p "$out"

$bioflux run scripts/paper/growth_vs_glucose.bio -o "$work/glucose.csv"
$bioflux plot "$work/glucose.csv" --x glucose --shared -o "$out/fig2-growth-vs-glucose.svg" \
    --y o2_5.Biomass,o2_10.Biomass,o2_15.Biomass,o2_20.Biomass
$bioflux plot "$work/glucose.csv" --x glucose --y uptake,realised --shared -o "$out/fig2-uptake-vs-glucose.svg"

$bioflux run scripts/paper/growth_vs_uptake.bio -o "$work/uptake.csv"
$bioflux plot "$work/uptake.csv" --x glucose_uptake --y ecoli.Biomass,ecoli.slack -o "$out/fig3-growth-vs-uptake.svg"
$bioflux run models/ecoli_fedbatch.bio -o "$work/fedbatch.csv"
$bioflux plot "$work/fedbatch.csv" -o "$out/fig3-fedbatch.svg" \
    --y V,feed_rate,ecoli.Biomass,glucose,biomass,ecoli.EX_glc__D_e

grid=(--grid EX_glc__D_e=0:20:0.1 --grid EX_o2_e=0:20:0.1)
net="${SURROGATE:-}"
if [ -z "$net" ]; then
    $bioflux sample models/ecoli_fedbatch.bio --cell ecoli "${grid[@]}" -o "$work/grid.safetensors"
    net="$work/surrogate"
    $bioflux train "$work/grid.safetensors" -o "$net" --epochs "${EPOCHS:-200}" --patience 30
fi
$bioflux parity models/ecoli_fedbatch.bio --cell ecoli --surrogate "$net" --at EX_glc__D_e=10,EX_o2_e=10 \
    -o "$out/fig4-parity.svg" > "$out/fig4-parity.txt"
cp "$net/report.txt" "$out/surrogate-report.txt"

$bioflux sensitivity models/ecoli_fedbatch.bio --cell ecoli --of Biomass --wrt EX_glc__D_e,EX_o2_e "${grid[@]}" \
    -o "$out/fig6-sensitivity-lp.png"
sed "s|pfba(\"iCH360.xml\")|surrogate(\"$(cd "$net" && pwd)\")|" models/ecoli_fedbatch.bio > "$work/surrogate_fedbatch.bio"
# Its Jacobian (all 349 outputs by one backward pass) is the slow part: a
# coarser grid.
$bioflux sensitivity "$work/surrogate_fedbatch.bio" --cell ecoli --of Biomass --wrt EX_glc__D_e,EX_o2_e \
    --grid EX_glc__D_e=0:20:0.2 --grid EX_o2_e=0:20:0.2 \
    -o "$out/fig6-sensitivity-surrogate.png"
echo "figures in $out (work files in $work)"
