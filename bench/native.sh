#!/usr/bin/env bash
# End-to-end benchmark of the native path (issue 2's targets):
#   - per-task overhead: 10^6 tasks of the "uniform" kernel (~20 ns of work) at -n 1 and -n 2
#   - result volume: time to write the result file of 10^6 tasks x 3 fields (ttest_power, n = 2)
#   - scaling: 2,000 tasks of 1 ms ("busy_wait") at -n 1 and -n 2 (target >= 1.8x)
#   - memory: max RSS per rank for 10^6 and 10^7 tiny tasks (flat = results do not pile up)
# Prints a markdown table; figures come from rsim's own summary line
# ("ran N tasks in S s"), which excludes MPI start-up.
# Usage: bench/native.sh [build dir]   (default ./build)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
rsim="$build/rsim"
mpi="$root/scripts/mpirun.sh"
work=$(mktemp -d /tmp/rsim-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

job() {  # job NAME KERNEL REPLICATES [extra toml]
  printf '[job]\nname = "%s"\nseed = 1\nreplicates = %s\n[task]\nbackend = "native"\nkernel = "%s"\n%s\n' \
    "$1" "$3" "$2" "${4:-}" >"$work/$1.toml"
}
# run NP NAME -> sets RUN_S (task phase), WRITE_S (result file), RSS (max KB over ranks)
run() {
  rm -rf "$work/$2.h5" "$work/$2.h5".*  # a finished job is not run again
  local out
  out=$("$mpi" -n "$1" /usr/bin/time -f "maxrss %M" "$rsim" "$work/$2.toml" -q 2>&1)
  RUN_S=$(sed -n 's/.*ran [0-9]* tasks in \([0-9.]*\) s.*/\1/p' <<<"$out")
  WRITE_S=$(sed -n 's/.*wrote the result file in \([0-9.]*\) s.*/\1/p' <<<"$out")
  RSS=$(sed -n 's/^maxrss \([0-9]*\)/\1/p' <<<"$out" | sort -n | tail -1)
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

job tiny uniform 1000000
job tiny10 uniform 10000000
job volume ttest_power 250000 '[grid]
n = [2]
delta = [0.0, 0.1, 0.2, 0.3]'
job ms busy_wait 2000 '[args]
ms = 1.0'

echo "| measurement | -n 1 | -n 2 | figure |"
echo "|---|---|---|---|"
run 1 tiny; t1=$RUN_S; run 2 tiny; t2=$RUN_S
echo "| 10^6 tiny tasks (uniform), task phase | ${t1} s | ${t2} s | overhead $(calc '%.2f' "$t1 * 1e6 / 1e6") us/task at -n 1, $(calc '%.2f' "$t2 * 2 * 1e6 / 1e6") rank-us/task at -n 2 (target < 2) |"
run 1 volume; v1=$WRITE_S; run 2 volume; v2=$WRITE_S
echo "| result file of 10^6 tasks x 3 fields (ttest_power) | ${v1} s | ${v2} s | $(calc '%.2f' "1e6 / $v1 / 1e6") M rows/s written |"
run 1 ms; m1=$RUN_S; run 2 ms; m2=$RUN_S
echo "| 2,000 tasks of 1 ms (busy_wait) | ${m1} s | ${m2} s | speed-up $(calc '%.2f' "$m1 / $m2")x (target >= 1.8) |"
run 2 tiny; r6=$RSS; run 2 tiny10; r7=$RSS
echo "| max RSS per rank, 10^6 vs 10^7 tiny tasks at -n 2 | | ${r6} KB / ${r7} KB | ratio $(calc '%.2f' "$r7 / $r6") for 10x the tasks (flat) |"
