#!/usr/bin/env bash
# read_results() speed (issue 14):
#   - scalar columns: a 10^6-task file of 3 fields (ttest_power), read by the
#     R package of this tree and by that of an earlier commit (BEFORE, default
#     d1b12ec, installed into a temporary library), alternately, 3 rounds;
#   - R objects: a 10^6-task R job returning a number and a small list
#     (serialized, 140 bytes per task), read with columns = "x" (skips the
#     objects) and whole; the difference per task is the cost of an object.
# Prints markdown tables.  Usage: bench/read.sh [build dir] [BEFORE commit]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
before=${2:-d1b12ec}
rsim="$build/rsim"
mpi="$root/scripts/mpirun.sh"
work=$(mktemp -d /tmp/rsim-bench-read.XXXXXX)
trap 'git -C "$root" worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git -C "$root" worktree add --detach "$work/src" "$before" >/dev/null 2>&1
mkdir -p "$work/lib-before"
R CMD INSTALL --no-test-load -l "$work/lib-before" "$work/src/bindings/R/rsim" >"$work/install.log" 2>&1

printf '[job]\nname = "volume"\nseed = 1\nreplicates = 250000\n[task]\nbackend = "native"\nkernel = "ttest_power"\n[grid]\nn = [2]\ndelta = [0.0, 0.1, 0.2, 0.3]\n' >"$work/volume.toml"
"$mpi" -n 2 "$rsim" "$work/volume.toml" -q -o "$work/volume.h5" >/dev/null

cat >"$work/obj.R" <<'R'
f <- function(i, .task) list(x = .task$task / 2, obj = list(task = .task$task, tag = "abc"))
R
printf '[job]\nname = "obj"\nseed = 1\nreplicates = 1000000\n[task]\nbackend = "r"\nscript = "obj.R"\nfunction = "f"\n[grid]\ni = [1]\n' >"$work/obj.toml"
obj_run=$("$mpi" -n 2 "$rsim" "$work/obj.toml" -q -o "$work/obj.h5" 2>&1 | sed -n 's/.*ran \([0-9]*\) tasks in \([0-9.]*\) s (\([0-9]*\) tasks\/s).*/\3/p')

# time_read LIB FILE ARGS -> seconds (median of 3 reads in one R session, after a first read)
time_read() {
  Rscript -e "suppressMessages(library(rsim, lib.loc = c('$1', .libPaths())))
    f <- '$2'; invisible(read_results(f $3))
    t <- replicate(3, system.time(read_results(f $3))[['elapsed']])
    cat(median(t))" 2>/dev/null
}

echo "| round | before ($before): read_results(10^6 x 3 fields) | this tree | ratio |"
echo "|---|---|---|---|"
for round in 1 2 3; do
  a=$(time_read "$work/lib-before" "$work/volume.h5" "")
  b=$(time_read "" "$work/volume.h5" "")
  echo "| $round | $a s | $b s | $(awk "BEGIN { printf \"%.2f\", $b / $a }") |"
done
echo
echo "R job with an object field: $obj_run tasks/s at -n 2 (10^6 tasks)"
echo
echo "| read | seconds (median of 3) | per task |"
echo "|---|---|---|"
x=$(time_read "" "$work/obj.h5" ", columns = 'x'")
all=$(time_read "" "$work/obj.h5" "")
echo "| columns = \"x\" (skips the objects) | $x | |"
echo "| all columns (10^6 objects unserialized) | $all | $(awk "BEGIN { printf \"%.2f us\", ($all - $x) * 1e6 / 1e6 }") per object |"
du -k "$work/obj.h5" "$work/volume.h5" | awk '{ printf "file %s: %.1f MB\n", $2, $1 / 1024 }' | sed "s|$work/||"
