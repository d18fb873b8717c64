#!/usr/bin/env bash
# The cost of watching (issue 14): a CPU-bound job (16,000 native tasks of
# 1 ms, busy_wait, -n 2 on this machine's 2 cores, checkpoint every 0.5 s)
# run alone and while `rsim snapshot` copies its committed results every
# second (5x more often than the dashboard does), alternately, 3 rounds.
# Prints the task-phase seconds and the slowdown.  Usage: bench/snapshot.sh [build dir]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
rsim="$build/rsim"
mpi="$root/scripts/mpirun.sh"
work=$(mktemp -d /tmp/rsim-bench-snap.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf '[job]\nname = "busy"\nseed = 1\nreplicates = 16000\n[task]\nbackend = "native"\nkernel = "busy_wait"\n[args]\nms = 1.0\n[schedule]\ncheckpoint = "0.5s"\n' >"$work/busy.toml"

run() {  # run WATCH -> prints the task phase in seconds, and the snapshots taken
  rm -rf "$work"/busy.h5*
  "$mpi" -n 2 "$rsim" "$work/busy.toml" -q >"$work/out" 2>&1 &
  local job=$! n=0
  if [ "$1" = 1 ]; then
    while kill -0 "$job" 2>/dev/null; do
      sleep 1
      "$rsim" snapshot "$work/busy.toml" --to "$work/snap.h5" >/dev/null 2>&1 && n=$((n + 1)) || true
    done
  fi
  wait "$job"
  echo "$(sed -n 's/.*ran [0-9]* tasks in \([0-9.]*\) s.*/\1/p' "$work/out") $n"
}
echo "| round | alone | watched (snapshots taken) | slowdown |"
echo "|---|---|---|---|"
for round in 1 2 3; do
  read -r a _ <<<"$(run 0)"
  read -r b n <<<"$(run 1)"
  echo "| $round | $a s | $b s ($n) | $(awk "BEGIN { printf \"%+.1f%%\", 100 * ($b / $a - 1) }") |"
done
