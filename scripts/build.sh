#!/usr/bin/env bash
# Configures and builds rsim into ./build (or $RSIM_BUILD_DIR) with -j2.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${RSIM_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${RSIM_BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
cmake --build "$build" -j "${RSIM_JOBS:-2}"
