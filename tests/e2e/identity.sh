#!/usr/bin/env bash
# A job's identity (issue 13): what determines the results is hashed, not
# the grid.toml's text.  A rerun of an unchanged job is "already complete";
# a comment, a reordered key or another number spelling in grid.toml is
# accepted; an edited task script, a file it sources, a [data] file, the
# seed or the grid is refused by name before any task runs, whether the
# earlier results are a finished file or checkpoints; the result file is
# left as it was.  Another R version is a warning.  A file from an rsim that
# recorded no identity is refused with the way out.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cat >helpers.R <<'R'
shift_by <- function(x, d) x + d
R
Rscript -e 'saveRDS(c(a = 1), "k.rds")'
cp k.rds k.rds.orig
cat >sim.R <<'R'
source("helpers.R")
k <- readRDS("k.rds")
sim <- function(n, delta, .task) {
  if (file.exists("slow")) Sys.sleep(0.2)
  if (file.exists("fail") && .task$task == 1) stop("failing on purpose")
  list(m = mean(shift_by(rnorm(n), delta)) + sum(w$x))
}
R
printf 'x\n1\n2\n' >w.csv
cat >grid.toml <<'TOML'
[job]
name = "ident"
output = "ident.h5"
seed = 11
replicates = 4
[task]
backend = "r"
script = "sim.R"
function = "sim"
[data]
w = "w.csv"
[grid]
n = [5, 10]
delta = [0.5, 1.0]
TOML
sum_of() { md5sum ident.h5 | cut -d' ' -f1; }
expect_exit 0 mpirun_rsim 2 -- grid.toml -q
before=$(sum_of)
expect_exit 0 mpirun_rsim 2 -- grid.toml
expect_out "already complete"
pass "an unchanged rerun is already complete"

# Comments, layout, key order and number spelling do not change the job.
cat >grid.toml <<'TOML'
# written again on another day, by hand
[job]
replicates = 0x4     # hexadecimal
seed = 1_1
output = "ident.h5"
name = "ident"
[task]
function = "sim"
script = "sim.R"
backend = "r"
[data]
w = "w.csv"
[grid]
n = [ 5, 10 ]
delta = [5e-1, 1.0]
TOML
expect_exit 0 mpirun_rsim 2 -- grid.toml
expect_out "already complete"
[ "$(sum_of)" = "$before" ] || fail "an accepted rerun changed the result file"
pass "comments, key order and number spelling are not a change"

# refused NAME_OF_PART: the rerun is refused naming it, the file is unchanged.
refused() {
  expect_exit 1 mpirun_rsim 2 -- grid.toml
  expect_out "$1 changed since these results were made: sha256 "
  expect_out "--fresh"
  [ "$(sum_of)" = "$before" ] || fail "a refused rerun changed the result file"
}
cp sim.R sim.R.orig
echo "# an edit" >>sim.R
refused "task script sim.R"
cp sim.R.orig sim.R
echo "# an edit" >>helpers.R
refused "sourced file helpers.R"
sed -i '$d' helpers.R
Rscript -e 'saveRDS(c(a = 2), "k.rds")'
refused "loaded file k.rds"
cp k.rds.orig k.rds
printf 'x\n1\n3\n' >w.csv
refused "[data] w"
printf 'x\n1\n2\n' >w.csv
sed -i 's/seed = 1_1/seed = 12/' grid.toml
refused "the parsed grid"
sed -i 's/seed = 12/seed = 11/' grid.toml
expect_exit 0 mpirun_rsim 2 -- grid.toml
expect_out "already complete"
pass "an edited script, sourced file, readRDS() file, [data] file or seed is refused by name; restored, the job is complete"

# [schedule] is not part of the job: a new checkpoint interval is accepted.
printf '[schedule]\ncheckpoint = "0.1s"\n' >>grid.toml
expect_exit 0 mpirun_rsim 2 -- grid.toml
expect_out "already complete"

# Checkpoints of an interrupted run carry the identity too.
touch slow
mpirun_bg 2 grid.toml -q -o part.h5
pid=$!
for _ in $(seq 100); do [ -n "$(ls part.h5.ckpt/*.rsb 2>/dev/null)" ] && break; sleep 0.1; done
kill -TERM "$pid"
set +e; wait "$pid"; set -e
[ -d part.h5.ckpt ] || fail "no checkpoints after the interrupted run"
echo "# an edit" >>sim.R
expect_exit 1 mpirun_rsim 2 -- grid.toml -q -o part.h5
expect_out "task script sim.R changed since these results were made"
expect_out "the checkpoint"
cp sim.R.orig sim.R
rm slow
expect_exit 0 mpirun_rsim 2 -- grid.toml -q -o part.h5
expect_out "resuming"
# Both runs are in the result file's provenance.
$PY - part.h5 <<'PY' || fail "the runs attribute does not list both runs"
import json, sys, h5py
runs = json.loads(h5py.File(sys.argv[1], "r").attrs["runs"])
assert [r["state"] for r in runs] == ["interrupted", "finished"], runs
assert [r["ranks"] for r in runs] == [2, 2], runs
assert all(r["hosts"] and r["started"] and r["ended"] for r in runs), runs
assert sum(r["tasks"] for r in runs) == 16, runs
assert runs[0]["started"] <= runs[1]["started"], runs
PY
pass "checkpoints of an edited script are refused by name; the restored script resumes; both runs are recorded"

# Another R version: reported, not refused (the earlier rows are kept).
touch fail
expect_exit 3 mpirun_rsim 1 -- grid.toml -q -o v.h5
rm fail
$PY - v.h5 <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    ident = f.attrs["identity"]
    ident = ident.decode() if isinstance(ident, bytes) else ident
    lines = [("R\tR version 0.0.1\twarn" if l.startswith("R\t") else l) for l in ident.splitlines()]
    f.attrs["identity"] = "\n".join(lines) + "\n"
PY
expect_exit 0 mpirun_rsim 1 -- grid.toml -o v.h5 --rerun-failed
expect_out "warning: R changed since these results were made: R version 0.0.1 -> R version"
expect_out "16 tasks, 16 ok"
pass "another R version is a warning; --rerun-failed goes on"

# A result file of an rsim that recorded no identity.
$PY - ident.h5 <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    del f.attrs["identity"]
PY
expect_exit 1 mpirun_rsim 1 -- grid.toml
expect_out "earlier rsim that did not record what the results depend on"
expect_out "--fresh"
pass "a file without an identity is refused with the way out"

# --fresh moves the earlier run's files aside, never this run's own logs.
expect_exit 0 mpirun_rsim 1 -- grid.toml -q -o fresh.h5 --fresh
[ -z "$(ls -d fresh.h5.logs.old-* 2>/dev/null)" ] || fail "--fresh on a first run moved its own logs aside"
ls fresh.h5.logs/rank-*.log >/dev/null 2>&1 || fail "--fresh left no log of its own run"
expect_exit 0 mpirun_rsim 1 -- grid.toml -q -o fresh.h5 --fresh
ls fresh.h5.logs.old-*/rank-*.log >/dev/null 2>&1 || fail "--fresh did not move the earlier logs aside"
ls fresh.h5.logs/rank-*.log >/dev/null 2>&1 || fail "the second --fresh run has no log of its own"
[ ! -e fresh.h5.lock ] || fail "a lock file stays after the run"
pass "--fresh keeps this run's logs and moves the earlier run's aside"
