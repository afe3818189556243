#!/usr/bin/env bash
# The main job, end to end: the E. coli fed-batch of Carstensen et al. 2026
# on the genome-scale model iCH360 (models/ecoli_fedbatch.bio) with the LP
# cell model. Builds what it needs (bioflux and the pfba plugin, release),
# prints the run's summary, writes the results to fedbatch.csv and the
# six panels of the paper's figure (volume, feed, growth rate, glucose,
# biomass, glucose uptake) to fedbatch.svg. `scripts/fedbatch.sh OUT`
# writes OUT.csv and OUT.svg instead; extra arguments go to `bioflux run`
# (`--set F0=0.02`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-fedbatch}"
shift || true
"$root/scripts/system-deps.sh"
(cd "$root" && cargo build --release --locked -p bioflux -p bioflux-pfba)
bin="${CARGO_TARGET_DIR:-$root/target}/release"
"$bin/bioflux" run "$root/models/ecoli_fedbatch.bio" --plugin-path "$bin" -o "$out.csv" "$@"
"$bin/bioflux" plot "$out.csv" -o "$out.svg" --y V,feed_rate,ecoli.Biomass,glucose,biomass,ecoli.EX_glc__D_e
echo "results in $out.csv, the six panels in $out.svg" >&2
