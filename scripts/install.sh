#!/usr/bin/env bash
# Installs bioflux with its plugins: PREFIX/bin/bioflux and the LP and
# surrogate plugins in PREFIX/lib/bioflux, where bioflux looks for them
# (`cargo install` alone leaves the plugins behind). PREFIX defaults to
# ~/.local; `scripts/install.sh /usr/local` as root for every user.
set -euo pipefail
prefix="${1:-$HOME/.local}"
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/system-deps.sh"
(cd "$root" && cargo build --release --locked -p bioflux -p bioflux-pfba -p bioflux-surrogate)
built="${CARGO_TARGET_DIR:-$root/target}/release"
case "$(uname -s)" in
    Darwin) suffix=dylib ;;
    *) suffix=so ;;
esac
install -d "$prefix/bin" "$prefix/lib/bioflux"
install -m 755 "$built/bioflux" "$prefix/bin/bioflux"
for plugin in pfba surrogate; do
    install -m 755 "$built/libbioflux_$plugin.$suffix" "$prefix/lib/bioflux/"
done
echo "installed $prefix/bin/bioflux with its plugins in $prefix/lib/bioflux" >&2
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "note: $prefix/bin is not on your PATH; add it: export PATH=\"$prefix/bin:\$PATH\"" >&2 ;;
esac
"$prefix/bin/bioflux" plugins
