#!/usr/bin/env bash
# What checkpointing costs (issue 5's target: under 5% of run time on the
# native benchmark of issue 2).  The same job runs with commits every 10 ms,
# every 5 s (the default) and every hour (then only the 65,536-row batch
# limit commits), at -n 1 and -n 2; each cost is relative to the hourly run.
# Best of 3 runs each.  Usage: bench/checkpoint.sh [build dir]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
work=$(mktemp -d /tmp/rsim-bench-ckpt.XXXXXX)
trap 'rm -rf "$work"' EXIT

job() {  # job NAME KERNEL REPLICATES CHECKPOINT [extra]
  printf '[job]\nname = "%s"\nseed = 1\nreplicates = %s\n[task]\nbackend = "native"\nkernel = "%s"\n%s\n[schedule]\ncheckpoint = "%s"\n' \
    "$1" "$3" "$2" "${5:-}" "$4" >"$work/$1.toml"
}
best() {  # best NP NAME -> task-phase seconds, best of 3
  local b=999 s
  for _ in 1 2 3; do
    s=$("$root/scripts/mpirun.sh" -n "$1" "$build/rsim" "$work/$2.toml" -q | sed -n 's/.*ran [0-9]* tasks in \([0-9.]*\) s.*/\1/p')
    rm -f "$work/$2.h5"
    b=$(awk "BEGIN { print ($s < $b) ? $s : $b }")
  done
  echo "$b"
}
echo "| workload | ranks | every 10 ms | every 5 s (default) | every hour | cost of 5 s | cost of 10 ms |"
echo "|---|---|---|---|---|---|---|"
for w in uniform ttest; do
  for c in 10ms 5s 1h; do
    if [ $w = uniform ]; then job "$w-$c" uniform 1000000 "$c"; else job "$w-$c" ttest_power 250000 "$c" '[grid]
n = [10]
delta = [0.0, 0.2, 0.5, 0.8]'; fi
  done
  for np in 1 2; do
    a=$(best $np "$w-10ms"); d=$(best $np "$w-5s"); h=$(best $np "$w-1h")
    echo "| $w (10^6 tasks) | $np | $a s | $d s | $h s | $(awk "BEGIN { printf \"%+.1f%%\", ($d / $h - 1) * 100 }") | $(awk "BEGIN { printf \"%+.1f%%\", ($a / $h - 1) * 100 }") |"
  done
done
