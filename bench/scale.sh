#!/usr/bin/env bash
# A big native study end to end (issue 15 items 4 and 5): N tasks of the
# ttest_power kernel (n = 2, 3 fields) at -n NP, the same grid each time.
# Reports rsim's own task phase ("ran N tasks in S s") and result-file time
# ("wrote the result file in W s"), the wall time of the whole command,
# end to end / task phase, the file's bytes per task, the checkpoint
# folder's peak size and the largest resident size of a rank.
# Usage: bench/scale.sh [build dir] [tasks (default 10^8)] [ranks (default 2)]
#        (the tasks must be a multiple of 4, the grid's points)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
tasks=${2:-100000000}
np=${3:-2}
rsim="$build/rsim"
mpi="$root/scripts/mpirun.sh"
work=$(mktemp -d /tmp/rsim-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT

printf '[job]\nname = "scale"\nseed = 1\nreplicates = %s\n[task]\nbackend = "native"\nkernel = "ttest_power"\n[grid]\nn = [2]\ndelta = [0.0, 0.1, 0.2, 0.3]\n' \
  $((tasks / 4)) >"$work/scale.toml"
# The checkpoint folder's size, sampled every second while the job runs.
( peak=0; while :; do
    s=$(du -sb "$work/scale.h5.ckpt" 2>/dev/null | cut -f1 || true)
    [ -n "$s" ] && [ "$s" -gt "$peak" ] && peak=$s && echo "$peak" >"$work/ckpt_peak"
    sleep 1
  done ) &
sampler=$!
start=$(date +%s.%N)
out=$("$mpi" -n "$np" /usr/bin/time -f "maxrss %M" "$rsim" "$work/scale.toml" 2>&1)
end=$(date +%s.%N)
kill "$sampler" 2>/dev/null || true
run_s=$(sed -n 's/.*ran [0-9]* tasks in \([0-9.]*\) s.*/\1/p' <<<"$out")
write_s=$(sed -n 's/.*wrote the result file in \([0-9.]*\) s.*/\1/p' <<<"$out")
rss=$(sed -n 's/^maxrss \([0-9]*\)/\1/p' <<<"$out" | sort -n | tail -1)
bytes=$(stat -c %s "$work/scale.h5")
ckpt=$(cat "$work/ckpt_peak" 2>/dev/null || echo 0)
awk -v t="$tasks" -v np="$np" -v r="$run_s" -v w="$write_s" -v s="$start" -v e="$end" -v b="$bytes" -v c="$ckpt" -v m="$rss" 'BEGIN {
  wall = e - s
  printf "| tasks | ranks | task phase | result file | whole command | end to end / task phase | file | bytes per task | checkpoints (peak) | max RSS of a rank |\n"
  printf "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
  printf "| %d | %d | %.1f s | %.1f s | %.1f s | %.2f | %.2f GB | %.1f | %.2f GB | %.0f MB |\n",
    t, np, r, w, wall, wall / r, b / 1e9, b / t, c / 1e9, m / 1024
}'
