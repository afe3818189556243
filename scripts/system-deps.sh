#!/usr/bin/env bash
# Installs the system packages bioflux's build needs, when they are missing:
# HiGHS (the LP plugin) builds from source with cmake, ninja and bindgen
# (libclang); plots draw text with fontconfig, freetype and a font; the
# REPL's terminal test uses `script` (bsdutils); the Python tests a python3
# that makes venvs; the sweep's test a one-node Slurm (slurmctld, slurmd,
# munge). As root or through sudo on
# Debian/Ubuntu; otherwise it names what is missing and stops.
set -euo pipefail
packages=(cmake ninja-build libclang-dev libfontconfig1-dev libfreetype-dev fonts-dejavu-core bsdutils)
# The Python package's tests make a venv: Debian's python3 needs its venv
# package for that (a Python of its own, such as pyenv's, has it).
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    packages+=(python3 python3-venv python3-dev)
fi
# The sweep's Slurm test runs a one-node cluster (tests/slurm/cluster.sh).
packages+=(slurmctld slurmd slurm-client munge)
if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    for tool in cmake ninja; do
        command -v "$tool" >/dev/null 2>&1 || {
            echo "error: \`$tool\` is missing; install cmake, ninja, libclang, fontconfig and freetype (development files) with your package manager" >&2
            exit 1
        }
    done
    exit 0
fi
missing=()
for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo)
else
    echo "error: these system packages are missing: ${missing[*]}" >&2
    echo "  install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "installing ${missing[*]} ..." >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
