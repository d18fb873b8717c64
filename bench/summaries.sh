#!/usr/bin/env bash
# Per-point summaries at scale and precision targets (issue 15 item 3).
#
#   bench/summaries.sh scale [build] [tasks] [ranks]
#     N tasks of ttest_power (n = 2, 3 fields, 4 grid points) kept as
#     per-point summaries ([output] keep = "summary") at -n NP: rsim's task
#     phase, the whole command, the result file's size, the checkpoint
#     folder's peak size and the largest resident size of a rank, sampled
#     every second (memory must not grow with N).
#   bench/summaries.sh targets [build] [ranks]
#     A power study (16 points) with target_mcse = { reject = 0.002 } against
#     the fixed design that guarantees the same worst-case MC SE (62,500
#     replicates a point: 0.5 * 0.5 / 0.002^2), both kept as summaries:
#     replicates run and kept, wall time, worst MC SE reached.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-scale}
build=${2:-$root/build}
rsim="$build/rsim"
mpi="$root/scripts/mpirun.sh"
work=$(mktemp -d /tmp/rsim-summaries.XXXXXX)
trap 'rm -rf "$work"' EXIT

# run NP TOML: runs the job, sets OUT and WALL; MAXRSS (KiB) of the largest rank.
run() {
  local np=$1 toml=$2 start end
  start=$(date +%s.%N)
  OUT=$("$mpi" -n "$np" /usr/bin/time -f "maxrss %M" "$rsim" "$toml" 2>&1)
  end=$(date +%s.%N)
  WALL=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
  MAXRSS=$(sed -n 's/^maxrss \([0-9]*\)/\1/p' <<<"$OUT" | sort -n | tail -1)
}

if [ "$mode" = scale ]; then
  tasks=${3:-1000000000}
  np=${4:-2}
  printf '[job]\nname = "big"\nseed = 1\nreplicates = %s\n[task]\nbackend = "native"\nkernel = "ttest_power"\n[grid]\nn = [2]\ndelta = [0.0, 0.1, 0.2, 0.3]\n[output]\nkeep = "summary"\n' \
    $((tasks / 4)) >"$work/big.toml"
  ( peak=0; rss=0; while :; do
      s=$(du -sb "$work/big.h5.ckpt" 2>/dev/null | cut -f1 || true)
      [ -n "$s" ] && [ "$s" -gt "$peak" ] && peak=$s && echo "$peak" >"$work/ckpt_peak"
      r=$(ps -C rsim -o rss= 2>/dev/null | sort -n | tail -1 || true)
      [ -n "$r" ] && echo "$(date +%s) $r" >>"$work/rss_trace"
      sleep 1
    done ) &
  sampler=$!
  run "$np" "$work/big.toml"
  kill "$sampler" 2>/dev/null || true
  run_s=$(sed -n 's/.*ran [0-9]* tasks in \([0-9.]*\) s.*/\1/p' <<<"$OUT")
  bytes=$(stat -c %s "$work/big.h5")
  ckpt=$(cat "$work/ckpt_peak" 2>/dev/null || echo 0)
  # resident size of the largest rank at 10%, 50% and 90% of the run
  rss_at() { awk -v q="$1" '{ a[NR] = $2 } END { i = int(NR * q); if (i < 1) i = 1; print a[i] }' "$work/rss_trace"; }
  echo "| tasks | ranks | task phase | whole command | per task | result file | checkpoints (peak) | RSS of a rank at 10% / 50% / 90% of the run | max RSS |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  awk -v t="$tasks" -v np="$np" -v r="$run_s" -v w="$WALL" -v b="$bytes" -v c="$ckpt" -v m="$MAXRSS" \
      -v a="$(rss_at 0.1)" -v h="$(rss_at 0.5)" -v z="$(rss_at 0.9)" 'BEGIN {
    printf "| %d | %d | %.1f s | %.1f s | %.0f ns | %d B | %.1f MB | %.0f / %.0f / %.0f MB | %.0f MB |\n",
      t, np, r, w, r / t * 1e9 * np, b, c / 1e6, a / 1024, h / 1024, z / 1024, m / 1024 }'
else
  np=${3:-2}
  grid='[task]\nbackend = "native"\nkernel = "ttest_power"\n[grid]\nn = [50, 100, 200, 400]\ndelta = [0.0, 0.1, 0.2, 0.4]\n'
  printf "[job]\nname = \"fixed\"\nseed = 3\nreplicates = 62500\n$grid[output]\nkeep = \"summary\"\nblock = 100\n" >"$work/fixed.toml"
  printf "[job]\nname = \"target\"\nseed = 3\nreplicates = 62500\n$grid[output]\nkeep = \"summary\"\nblock = 100\ntarget_mcse = { reject = 0.002 }\nmin_replicates = 500\n" >"$work/target.toml"
  echo "| design | replicates kept | tasks run | wall | worst MC SE of reject | points that reached the target |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for d in fixed target; do
    run "$np" "$work/$d.toml"
    ran=$(sed -n 's/.*ran \([0-9]*\) tasks in.*/\1/p' <<<"$OUT")
    /usr/bin/python3 - "$work/$d.h5" "$d" "$ran" "$WALL" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1])
reps = f["summary/replicates"][()]
se = f["summary/fields/reject/mcse"][()]
reached = f["summary/reached"][()]
print(f"| {sys.argv[2]} | {reps.sum()} | {sys.argv[3]} | {sys.argv[4]} s | {se.max():.5f} | "
      + (f"{int((reached == 1).sum())} of {reps.size}" if sys.argv[2] == "target" else "-") + " |")
PY
  done
fi
