#!/usr/bin/env bash
# The CUDA surrogate measured, in one call on the device machine (NVIDIA
# H200, CUDA 13 driver, Python with the nvidia-* wheels, no Rust). Carry a
# folder BIN with `bioflux`, `libbioflux_pfba.so` (release builds) and the
# CUDA `libbioflux_surrogate.so`, as scripts/build-cuda-plugin.sh leaves
# them in target/cuda-plugin (gzipped, unpacked here); then
#   scripts/gpu-check.sh BIN OUT
# samples the paper's 40,401-point iCH360 grid, trains the paper-size
# network (2 → 3×256 → 349 fluxes + objective + slack) on the GPU and on
# the CPU for the same number of epochs (EPOCHS, default 30, no early
# stopping), measures batch inference (10^6 samples on the GPU), runs the
# fed-batch with both surrogates, and writes OUT/gpu-report.md. Without a
# GPU (here) the CUDA steps are skipped and the report says so: that checks
# everything up to the device.
set -euo pipefail
shopt -s inherit_errexit
trap 'echo "gpu-check: a step failed; its log is in ${out:-OUT}" >&2' ERR
bin="$(cd "${1:?give the folder with bioflux and its plugins}" && pwd)"
out="$(mkdir -p "${2:-gpu-check}" && cd "${2:-gpu-check}" && pwd)"
# scripts/build-cuda-plugin.sh gzips them to travel: unpack into OUT/bin.
if ls "$bin"/*.gz >/dev/null 2>&1; then
    mkdir -p "$out/bin"
    for f in "$bin"/*.gz; do gunzip -c "$f" >"$out/bin/$(basename "${f%.gz}")"; done
    chmod +x "$out/bin"/*
    cp -n "$bin"/bioflux "$bin"/*.so "$out/bin/" 2>/dev/null || true
    bin="$out/bin"
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
epochs="${EPOCHS:-30}"
bioflux=("$bin/bioflux")
plugins=(--plugin-path "$bin")
# The CUDA libraries of the Python wheels (cudart, cublas, curand, nvrtc).
if libs="$(python3 -c 'import glob, os, nvidia
dirs = {os.path.dirname(p) for root in nvidia.__path__ for p in glob.glob(root + "/**/lib/*.so*", recursive=True)}
print(":".join(sorted(dirs)))' 2>/dev/null)" && [ -n "$libs" ]; then
    export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
gpu=no
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    gpu=yes
    nvidia-smi -L >"$out/gpu.txt"
fi
seconds() { local start=$SECONDS; "$@"; echo $((SECONDS - start)); }
log() { echo "$*" >&2; }

log "sampling the grid ..."
"${bioflux[@]}" sample "$root/models/ecoli_fedbatch.bio" --cell ecoli "${plugins[@]}" \
    --grid EX_glc__D_e=0:20:0.1 --grid EX_o2_e=0:20:0.1 -o "$out/grid.safetensors" 2>"$out/sample.log"

train() { # device
    local start=$SECONDS
    RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-$(nproc)}" "${bioflux[@]}" train "$out/grid.safetensors" -o "$out/net-$1" \
        "${plugins[@]}" --device "$1" --hidden 256,256,256 --epochs "$epochs" --patience "$epochs" --seed 0 \
        2>"$out/train-$1.log"
    echo $((SECONDS - start))
}
fedbatch() { # net folder -> final biomass
    sed "s|pfba(\"iCH360.xml\")|surrogate(\"$1\")|" "$root/models/ecoli_fedbatch.bio" >"$out/fedbatch-$(basename "$1").bio"
    "${bioflux[@]}" run "$out/fedbatch-$(basename "$1").bio" "${plugins[@]}" -o "$out/fedbatch-$(basename "$1").csv" \
        2>>"$out/fedbatch.log"
    tail -1 "$out/fedbatch-$(basename "$1").csv" | cut -d, -f4
}
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
report_line() { grep -o 'validation MAE [^,]*' "$1" || echo "(failed: $(tail -1 "$1"))"; }

log "training on the CPU ($epochs epochs) ..."
cpu_s="$(train cpu)"
log "batch inference on the CPU ..."
"${bioflux[@]}" infer "$out/net-cpu" --device cpu --batch 100000 --repeat 3 "${plugins[@]}" >"$out/infer-cpu.json"
cpu_biomass="$(fedbatch "$out/net-cpu")"
if [ "$gpu" = yes ]; then
    log "training on the GPU ($epochs epochs) ..."
    gpu_s="$(train cuda)"
    "${bioflux[@]}" infer "$out/net-cuda" --device cuda --batch 1000000 --repeat 10 "${plugins[@]}" >"$out/infer-cuda.json"
    gpu_biomass="$(fedbatch "$out/net-cuda")"
fi

{
    echo "# GPU check ($(date -u +%Y-%m-%d), $(uname -m), $(nproc) CPU cores)"
    echo
    if [ "$gpu" = yes ]; then echo "GPU: $(cat "$out/gpu.txt")"; else echo "GPU: none found (nvidia-smi): the CUDA rows were not run"; fi
    echo
    echo "| | CPU | GPU |"
    echo "| --- | --- | --- |"
    cpu_eps="$(python3 -c "print(f'{$epochs / max($cpu_s, 1):.2f}')")"
    if [ "$gpu" = yes ]; then
        gpu_eps="$(python3 -c "print(f'{$epochs / max($gpu_s, 1):.2f}')")"
        echo "| training, $epochs epochs on 36,361 samples | ${cpu_s} s ($cpu_eps epochs/s) | ${gpu_s} s ($gpu_eps epochs/s) |"
        echo "| validation error | $(report_line "$out/train-cpu.log") | $(report_line "$out/train-cuda.log") |"
        echo "| batch inference, samples/s (forward; to host) | $(field "$out/infer-cpu.json" samples_per_second); $(field "$out/infer-cpu.json" samples_per_second_to_host) | $(field "$out/infer-cuda.json" samples_per_second); $(field "$out/infer-cuda.json" samples_per_second_to_host) |"
        echo "| fed-batch, final biomass [gDW/L] | $cpu_biomass | $gpu_biomass |"
        echo
        python3 -c "c, g = $cpu_biomass, $gpu_biomass; print(f'relative difference of the final biomass: {abs(g - c) / abs(c):.2e} (goal 1e-4)')"
    else
        echo "| training, $epochs epochs on 36,361 samples | ${cpu_s} s ($cpu_eps epochs/s) | not run |"
        echo "| validation error | $(report_line "$out/train-cpu.log") | not run |"
        echo "| batch inference, samples/s (forward; to host) | $(field "$out/infer-cpu.json" samples_per_second); $(field "$out/infer-cpu.json" samples_per_second_to_host) | not run |"
        echo "| fed-batch, final biomass [gDW/L] | $cpu_biomass | not run |"
    fi
} >"$out/gpu-report.md"
cat "$out/gpu-report.md"
