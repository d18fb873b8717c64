#!/usr/bin/env bash
# --rerun-failed: the failed tasks run again and their rows replace the old
# ones; every other row (fields, tables, warnings) is kept as it was, and
# the file equals a run in which nothing failed.  A task that crashes its
# rank under --rerun-failed is marked failed after two crashes, as in a
# first run, instead of crashing every rerun.
source "$(dirname "$0")/lib.sh"
# The tasks listed in bad.txt fail (the list is read when a task runs).
cat >"$WORK/f.R" <<R
f <- function(i, .task) {
  bad <- readLines("$WORK/bad.txt", warn = FALSE)
  if (.task\$task %in% as.integer(bad)) stop("failing on purpose: task ", .task\$task)
  if (.task\$task %% 3 == 0) warning("a warning from task ", .task\$task)
  list(v = rnorm(1) + i, tab = data.frame(k = seq_len(.task\$task %% 3 + 1), x = .task\$task))
}
R
cat >"$WORK/g.toml" <<'TOML'
[job]
name = "rerun"
seed = 3
replicates = 12
[task]
backend = "r"
script = "f.R"
function = "f"
[grid]
i = [1, 10]
TOML
printf '' >"$WORK/bad.txt"
expect_exit 0 mpirun_rsim 2 -- "$WORK/g.toml" -q -o "$WORK/clean.h5"
printf '2\n13\n20\n' >"$WORK/bad.txt"
expect_exit 3 mpirun_rsim 2 -- "$WORK/g.toml" -q -o "$WORK/r.h5"
expect_out "3 failed"
printf '' >"$WORK/bad.txt"
expect_exit 0 mpirun_rsim 2 -- "$WORK/g.toml" -q -o "$WORK/r.h5" --rerun-failed
expect_out "3 failed of 24 tasks run again"
expect_out "24 tasks, 24 ok, 0 failed"
$PY - "$WORK/clean.h5" "$WORK/r.h5" <<'PY' || fail "the rerun's file differs from a clean run's"
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for k in ["results/v", "tasks/status", "tasks/warnings", "tables/tab/task", "tables/tab/k", "tables/tab/x",
          "warnings/task"]:
    assert np.array_equal(a[k][()], b[k][()]), k
assert b["errors/task"].shape == (0,), b["errors/task"][()]
att = b["tasks/attempts"][()]
assert (att == 1).all(), att
PY
[ ! -e "$WORK/r.h5.ckpt" ] || fail "checkpoints left after the rerun"
pass "--rerun-failed replaces the failed rows; the file equals a clean run's"

expect_exit 0 "$RSIM_BIN" "$WORK/g.toml" -q -o "$WORK/r.h5" --rerun-failed
expect_out "no failed tasks"
pass "--rerun-failed with nothing failed does nothing"

# A task that kills its rank: two crashes, then it is marked failed, also
# when the crashes happen under --rerun-failed.
cat >"$WORK/c.R" <<R
f <- function(.task) {
  if (.task\$task == 2 && file.exists("$WORK/crash")) tools::pskill(Sys.getpid(), tools::SIGKILL)
  list(v = .task\$task)
}
R
printf '[job]\nname = "crash"\nseed = 1\nreplicates = 5\n[task]\nbackend = "r"\nscript = "c.R"\nfunction = "f"\n' >"$WORK/c.toml"
touch "$WORK/crash"
finished=""
for attempt in 1 2 3; do
  set +e; "$RSIM_BIN" "$WORK/c.toml" -q -o "$WORK/c.h5" >"$WORK/c.out" 2>&1; code=$?; set -e
  if [ "$code" -eq 3 ]; then finished=$attempt; break; fi
done
[ "$finished" = 3 ] || fail "first run: wanted exit 3 at the third attempt, got '$finished' (last exit $code): $(cat "$WORK/c.out")"
finished=""
for attempt in 1 2 3 4; do
  set +e; "$RSIM_BIN" "$WORK/c.toml" -q -o "$WORK/c.h5" --rerun-failed >"$WORK/c.out" 2>&1; code=$?; set -e
  if [ "$code" -eq 3 ]; then finished=$attempt; break; fi
done
[ "$finished" = 3 ] || fail "--rerun-failed: wanted exit 3 at the third attempt, got '$finished' (last exit $code): $(cat "$WORK/c.out")"
grep -q "crashed its rank 2 times" "$WORK/c.out" || fail "no crash message: $(cat "$WORK/c.out")"
rm "$WORK/crash"
expect_exit 0 "$RSIM_BIN" "$WORK/c.toml" -q -o "$WORK/c.h5" --rerun-failed
pass "a task crashing its rank is marked failed after two crashes, under --rerun-failed too"
