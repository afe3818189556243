#!/usr/bin/env bash
# Builds the surrogate plugin with candle's CUDA backend, here, without a
# GPU (../shared/STACK.md §5b): the CUDA 13.0 toolchain comes from PyPI
# wheels (nvcc, runtime, cuBLAS, cuRAND, nvrtc), the driver library from a
# stub made for linking only; kernels for compute capability 9.0
# (H100/H200). Leaves, in OUT, the stripped plugin with a release bioflux
# and LP plugin beside it: the folder to carry to the device machine for
# scripts/gpu-check.sh. About 16 minutes; not part of CI.
#   CUDA_WHEELS=DIR   where the wheels go (default target/cuda-wheels)
#   OUT=DIR           where the three files go (default target/cuda-plugin)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
wheels="${CUDA_WHEELS:-$root/target/cuda-wheels}"
out="${OUT:-$root/target/cuda-plugin}"
"$root/scripts/system-deps.sh"
if [ ! -x "$wheels/nvidia/cu13/bin/nvcc" ]; then
    echo "downloading the CUDA 13.0 wheels (about 1.2 GB) into $wheels ..." >&2
    python3 -m pip install --quiet --no-deps --target "$wheels" \
        "nvidia-cuda-nvcc==13.0.88" "nvidia-cuda-runtime==13.0.96" "nvidia-cuda-crt==13.0.88" \
        "nvidia-nvvm==13.0.88" "nvidia-cuda-cccl==13.0.85" "nvidia-cuda-nvrtc==13.0.88" \
        "nvidia-curand==10.4.0.35" "nvidia-cublas==13.1.*"
fi
export CUDA_HOME="$wheels/nvidia/cu13"
# The wheels ship versioned sonames only, and no driver: unversioned links
# for the linker, and a libcuda stub with every symbol cudarc declares.
(
    cd "$CUDA_HOME/lib"
    for l in cublas:13 cublasLt:13 curand:10 nvrtc:13 cudart:13; do
        ln -sf "lib${l%:*}.so.${l#*:}" "lib${l%:*}.so"
    done
    mkdir -p stubs
    if [ ! -f stubs/libcuda.so ]; then
        cudarc="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 1 -mindepth 1 -type d | head -1)"
        (cd "$root" && cargo fetch --locked >/dev/null)
        grep -ohP "^\s{8,}fn \Kcu\w+(?=\()" "$cudarc"/cudarc-0.19.*/src/driver/sys/mod.rs | sort -u |
            awk '{print "void "$1"(void){}"}' >stubs/stub.c
        gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o stubs/libcuda.so stubs/stub.c
    fi
)
export PATH="$CUDA_HOME/bin:$PATH" CUDA_COMPUTE_CAP=90
export LIBRARY_PATH="$CUDA_HOME/lib:$CUDA_HOME/lib/stubs${LIBRARY_PATH:+:$LIBRARY_PATH}"
target="${CARGO_TARGET_DIR:-$root/target}/cuda"
(cd "$root" && CARGO_TARGET_DIR="$target" cargo build --release --locked -p bioflux-surrogate --features cuda)
mkdir -p "$out"
strip -o "$out/libbioflux_surrogate.so" "$target/release/libbioflux_surrogate.so"
# The host and the LP plugin, as CPU release builds (no CUDA in them).
(cd "$root" && env -u LIBRARY_PATH cargo build --release --locked -p bioflux -p bioflux-pfba)
cpu="${CARGO_TARGET_DIR:-$root/target}/release"
strip -o "$out/bioflux" "$cpu/bioflux"
strip -o "$out/libbioflux_pfba.so" "$cpu/libbioflux_pfba.so"
# 65 MB as they are, over what travels to the device machine (64 MiB with
# the working tree): gzipped (≈ 19 MB); scripts/gpu-check.sh unpacks them.
gzip -9 -f "$out/bioflux" "$out/libbioflux_pfba.so" "$out/libbioflux_surrogate.so"
echo "for the device machine, in $out ($(du -sh "$out" | cut -f1), gzipped): bioflux, the LP plugin and the CUDA surrogate plugin, which needs the NVIDIA driver and the CUDA 13 libraries (cudart, cublas, cublasLt, curand) on the loader path" >&2
