#!/usr/bin/env bash
# Oversubscription and big rank counts (issue 15 item 6), on this machine's
# cores:
#   - fixed CPU work: a native study of ttest_power tasks with n = 20000
#     (each task draws and tests 40,000 normals, so its cost is CPU, not
#     wall clock) at -n 2 and at -n 64: wall time of the whole command and
#     CPU time (user + sys of mpirun and every rank);
#   - idle ranks: a job of 2 tasks of 20 s (busy_wait) on 64 ranks, so 62
#     ranks have nothing to do from start to end; the CPU each rank used
#     over 5 s once every rank runs (2 s after the status file appeared;
#     from /proc), the median being the idle ranks' cost;
#   - start-up: a job of 64 tiny tasks at -n 2 and -n 64, wall time of the
#     whole command (MPI start-up, rsim set-up, result file, exit), and of
#     a minimal MPI program (MPI_Init, a barrier, MPI_Finalize) for the
#     launcher's own share.
# Prints a markdown table.
# Usage: bench/oversubscribe.sh [build dir] [replicates per point (default
#        40000: about a minute at -n 2)] [parts (default "power idle start")]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
reps=${2:-40000}
parts=${3:-power idle start}
rsim="$build/rsim"
mpi="$root/scripts/mpirun.sh"
work=$(mktemp -d /tmp/rsim-oversub.XXXXXX)
trap 'rm -rf "$work"' EXIT
hz=$(getconf CLK_TCK)

job() {  # job NAME KERNEL REPLICATES [extra toml]
  printf '[job]\nname = "%s"\nseed = 7\nreplicates = %s\n[task]\nbackend = "native"\nkernel = "%s"\n%s\n' \
    "$1" "$3" "$2" "${4:-}" >"$work/$1.toml"
}
# timed NP NAME -> WALL, CPU (seconds, user + sys of mpirun and its ranks)
timed() {
  rm -rf "$work/$2.h5" "$work/$2.h5".*
  /usr/bin/time -o "$work/time" -f "%e %U %S" "$mpi" -n "$1" "$rsim" "$work/$2.toml" -q >/dev/null 2>"$work/err" ||
    { echo "rsim -n $1 $2 failed:" >&2; cat "$work/err" >&2; exit 1; }
  WALL=$(awk '{print $1}' "$work/time")
  CPU=$(awk '{printf "%.2f", $2 + $3}' "$work/time")
}
# ticks PID...: utime + stime of each process (clock ticks), one per line
ticks() { for p in "$@"; do awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo NA; done; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

job power ttest_power "$reps" '[grid]
n = [20000]
delta = [0.0, 0.01, 0.02, 0.03]'
job idle busy_wait 2 '[args]
ms = 20000
[schedule]
chunk = 1'
job start uniform 64

power() {
  timed 2 power; w2=$WALL; c2=$CPU
  timed 64 power; w64=$WALL; c64=$CPU
  echo "| $((reps * 4)) ttest_power tasks (n = 20000), wall of the command | ${w2} s | ${w64} s | $(calc '%.2f' "$w64 / $w2") |"
  echo "| the same, CPU (user + sys, all processes) | ${c2} s | ${c64} s | $(calc '%.2f' "$c64 / $c2") |"
}

idle() {
  rm -rf "$work/idle.h5" "$work/idle.h5".*
  "$mpi" -n 64 "$rsim" "$work/idle.toml" -q >/dev/null 2>&1 &
  local launcher=$! i
  for _ in $(seq 600); do [ -s "$work/idle.h5.status.json" ] && break; sleep 0.1; done
  sleep 2
  mapfile -t pids < <(pgrep -f "$rsim $work/idle.toml" | grep -vx "$launcher" || true)
  mapfile -t t0 < <(ticks "${pids[@]}")
  sleep 5
  mapfile -t t1 < <(ticks "${pids[@]}")
  wait "$launcher"
  pct=()
  for i in "${!pids[@]}"; do
    [ "${t0[$i]}" != NA ] && [ "${t1[$i]}" != NA ] && pct+=("$(calc '%.2f' "100 * (${t1[$i]} - ${t0[$i]}) / $hz / 5")")
  done
  mapfile -t sorted < <(printf '%s\n' "${pct[@]}" | sort -g)
  local n=${#sorted[@]}
  echo "| idle ranks (2 tasks of 20 s on 64 ranks): CPU per idle rank, median of $n ranks | | ${sorted[$((n / 2))]}% of a core | |"
  echo "| the same, the $((n - 2)) ranks without a task together | | $(printf '%s\n' "${sorted[@]:0:$((n - 2))}" | awk '{s += $1} END {printf "%.1f", s}')% of a core | |"
}

start() {
  timed 2 start; s2=$WALL
  timed 64 start; s64=$WALL
  printf '#include <mpi.h>\nint main(int c, char** v) { int p; MPI_Init_thread(&c, &v, MPI_THREAD_SERIALIZED, &p);\n MPI_Barrier(MPI_COMM_WORLD); MPI_Finalize(); return 0; }\n' >"$work/hello.c"
  mpicc -O2 "$work/hello.c" -o "$work/hello"
  local h2 h64
  h2=$( { /usr/bin/time -f %e "$mpi" -n 2 "$work/hello"; } 2>&1 | tail -1)
  h64=$( { /usr/bin/time -f %e "$mpi" -n 64 "$work/hello"; } 2>&1 | tail -1)
  echo "| start-up: 64 tiny tasks, wall of the command | ${s2} s | ${s64} s | $(calc '%.2f' "$s64 / $s2") |"
  echo "| the launcher alone: MPI_Init, a barrier, MPI_Finalize | ${h2} s | ${h64} s | $(calc '%.2f' "$h64 / $h2") |"
}

echo "| measure | -n 2 | -n 64 | ratio |"
echo "| --- | --- | --- | --- |"
for part in $parts; do "$part"; done
