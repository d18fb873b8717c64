#!/usr/bin/env bash
# End-to-end benchmark of the embedded-R path (issue 3's targets):
#   - tasks/s of function(x) x + 1 and of mean(rnorm(10)) at -n 1 and -n 2,
#     and rsim's overhead per task on top of the R call itself (the same
#     function called in a plain R loop: per-call cost measured in one Rscript)
#   - start-up per rank (R start, script sourced) and max RSS per rank
# Prints a markdown table.  Usage: bench/r_tasks.sh [build dir] [tasks]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
n=${2:-200000}
rsim="$build/rsim"
mpi="$root/scripts/mpirun.sh"
work=$(mktemp -d /tmp/rsim-bench-r.XXXXXX)
trap 'rm -rf "$work"' EXIT

cat >"$work/f.R" <<'R'
plus1 <- function(x) x + 1
meanrnorm <- function(x) mean(rnorm(10))
R
job() {  # job NAME FUNCTION REPLICATES
  printf '[job]\nname = "%s"\nseed = 1\nreplicates = %s\n[task]\nbackend = "r"\nscript = "f.R"\nfunction = "%s"\n[grid]\nx = [1]\n' \
    "$1" "$3" "$2" >"$work/$1.toml"
}
run() {  # run NP NAME -> RUN_S, RSS (max KB over ranks), WALL_S
  rm -rf "$work/$2.h5" "$work/$2.h5".*  # a finished job is not run again
  local out t0 t1
  t0=$(date +%s.%N)
  out=$("$mpi" -n "$1" /usr/bin/time -f "maxrss %M" "$rsim" "$work/$2.toml" -q 2>&1)
  t1=$(date +%s.%N)
  RUN_S=$(sed -n 's/.*ran [0-9]* tasks in \([0-9.]*\) s.*/\1/p' <<<"$out")
  RSS=$(sed -n 's/^maxrss \([0-9]*\)/\1/p' <<<"$out" | sort -n | tail -1)
  WALL_S=$(awk "BEGIN { print $t1 - $t0 }")
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# Plain R: the per-call cost of each function, in a loop, with the same RNG kind.
base=$(Rscript -e "source('$work/f.R'); RNGkind(\"L'Ecuyer-CMRG\"); n <- $n
  t1 <- system.time(for (i in seq_len(n)) plus1(1))[['elapsed']]
  t2 <- system.time(for (i in seq_len(n)) meanrnorm(1))[['elapsed']]
  cat(t1 / n * 1e6, t2 / n * 1e6)")
read -r base_plus base_mean <<<"$base"

job plus1 plus1 "$n"; job meanrnorm meanrnorm "$n"; job one plus1 1
printf 'native-one\n' >/dev/null
echo "| workload ($n tasks) | -n 1 tasks/s | -n 2 tasks/s | plain R per call | rsim overhead per task (-n 1) |"
echo "|---|---|---|---|---|"
for w in plus1 meanrnorm; do
  run 1 $w; r1=$RUN_S; run 2 $w; r2=$RUN_S
  b=$([ $w = plus1 ] && echo "$base_plus" || echo "$base_mean")
  echo "| $w | $(calc '%.0f' "$n / $r1") | $(calc '%.0f' "$n / $r2") | $(calc '%.2f' "$b") us | $(calc '%.2f' "$r1 / $n * 1e6 - $b") us |"
done
run 1 one; w1=$WALL_S; rss1=$RSS
run 2 one; w2=$WALL_S; rss2=$RSS
printf '[job]\nname = "nat"\nseed = 1\n[task]\nbackend = "native"\nkernel = "uniform"\n' >"$work/nat.toml"
run 1 nat; wn=$WALL_S
echo
echo "| start-up | figure |"
echo "|---|---|"
echo "| one R task, whole command at -n 1 / -n 2 | ${w1} s / ${w2} s |"
echo "| one native task, whole command at -n 1 | ${wn} s |"
echo "| R start-up per rank (R task minus native task, -n 1) | $(calc '%.2f' "$w1 - $wn") s |"
echo "| max RSS per R rank (-n 1 / -n 2) | ${rss1} KB / ${rss2} KB |"
