#!/usr/bin/env bash
# The main job: installs what rsim needs, builds it, runs the example power
# study on 2 ranks twice (native kernel, then the same study written in R)
# and prints a summary read back through R.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup-deps.sh"
"$root/scripts/build.sh"
build=${RSIM_BUILD_DIR:-$root/build}
"$root/scripts/mpirun.sh" -n 2 "$build/rsim" "$root/examples/power/grid.toml"
"$root/scripts/mpirun.sh" -n 2 "$build/rsim" "$root/examples/power-r/grid.toml"
Rscript "$root/examples/power/summary.R" "$root/examples/power/ttest-power.h5" \
  "$root/examples/power-r/ttest-power-r.h5"
