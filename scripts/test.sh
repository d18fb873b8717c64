#!/usr/bin/env bash
# Installs what the tests need, builds rsim, and runs every test (ctest:
# Serial.* unit tests, MPI.* suites and end-to-end runs under mpirun).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup-deps.sh" --test
"$root/scripts/build.sh"
build=${RSIM_BUILD_DIR:-$root/build}
cd "$build"
ctest --output-on-failure --timeout 600 -j 1 "$@"
