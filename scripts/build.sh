#!/usr/bin/env bash
# Configures and builds rsim into ./build (or $RSIM_BUILD_DIR) with -j2.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${RSIM_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${RSIM_BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
cmake --build "$build" -j "${RSIM_JOBS:-2}"
# The R package (bindings/R/rsim), installed like any R package.
if command -v R >/dev/null; then
  R CMD INSTALL --no-test-load "$root/bindings/R/rsim" >"$build/r-package-install.log" 2>&1 ||
    { tail -20 "$build/r-package-install.log"; echo "build.sh: R CMD INSTALL of bindings/R/rsim failed" >&2; exit 1; }
fi
