#!/usr/bin/env bash
# Per-point summaries ([output] keep = "summary", docs/summaries.md): the
# same file at -n 1, 2 and 4; the numbers of a tasks run, computed anew by
# numpy; a kill -9 and a walltime signal resumed to the same file;
# precision targets that stop each point at the first block boundary that
# meets them, identically at any rank count; R tasks with failures, fields
# returned by some tasks only, and read_summary() in R.
source "$(dirname "$0")/lib.sh"

study() {  # study NAME KEEP-LINES REPLICATES N-VALUES
  cat >"$WORK/$1.toml" <<TOML
[job]
name = "$1"
seed = 20261203
replicates = $3
[task]
backend = "native"
kernel = "ttest_power"
[grid]
n = $4
delta = [0.0, 0.3, 0.8]
[schedule]
checkpoint = "0.2s"
$2
TOML
}

# 1. Any rank count, a shorter last block (3001 = 30 blocks of 100 + 1).
study sum '[output]
keep = "summary"
block = 100' 3001 "[10, 40]"
same_at_1_2_4 0 "$WORK/sum.toml" "$WORK/sum"
pass "summary identical at -n 1, 2, 4"

# 2. The same numbers as the tasks of a keep = "tasks" run, by numpy.
study tasks "" 3001 "[10, 40]"
mpirun_rsim 2 -- "$WORK/tasks.toml" -q -o "$WORK/tasks.h5" >/dev/null
$PY - "$WORK/tasks.h5" "$WORK/sum-2.h5" <<'PY' || fail "summary differs from the tasks"
import sys, h5py, numpy as np
t, s = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
reps = int(t.attrs["replicates"])
assert s.attrs["keep"] == "summary" and int(s.attrs["block"]) == 100
assert "tasks" not in s and "results" not in s
names = [n.decode() if isinstance(n, bytes) else n for n in s["summary/fields"].attrs["names"]]
assert names == list(t["results"].attrs["names"].astype(str)), names
for f in names:
    x = t["results"][f][()].astype(float).reshape(-1, reps)
    g = s["summary/fields"][f]
    for p in range(x.shape[0]):
        v = x[p][~np.isnan(x[p])]
        assert g["n"][p] == v.size and g["na"][p] == reps - v.size, (f, p)
        assert np.isclose(g["mean"][p], v.mean(), rtol=1e-12, atol=1e-15), (f, p, g["mean"][p], v.mean())
        assert np.isclose(g["var"][p], v.var(ddof=1), rtol=1e-10, atol=1e-15), (f, p)
        assert np.isclose(g["mcse"][p], np.sqrt(v.var(ddof=1) / v.size), rtol=1e-10, atol=1e-15)
        assert g["min"][p] == v.min() and g["max"][p] == v.max()
assert (s["summary/replicates"][()] == reps).all() and (s["summary/failed"][()] == 0).all()
print("fields", names, "points", x.shape[0])
PY
pass "summary equals numpy on the tasks of the same study"

# 3. kill -9 mid-run, then resume: the file of an uninterrupted run.
study big '[output]
keep = "summary"' 150000 "[300, 600]"
mpirun_rsim 2 -- "$WORK/big.toml" -q -o "$WORK/big-clean.h5" >/dev/null
mpirun_bg 2 "$WORK/big.toml" -q
pid=$!
for _ in $(seq 100); do
  [ "$(ls "$WORK"/big.h5.ckpt/blk-* 2>/dev/null | wc -l)" -ge 2 ] && break
  sleep 0.1
done
kill -9 $pid 2>/dev/null || true
pkill -9 -f "$RSIM_BIN $WORK/big.toml" 2>/dev/null || true
wait $pid 2>/dev/null || true
[ -f "$WORK/big.h5" ] && fail "the killed run finished before the kill; make the study longer"
expect_exit 0 mpirun_rsim 2 -- "$WORK/big.toml"
expect_out "rsim: resuming:"
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/big-clean.h5" "$WORK/big.h5" || fail "resumed after kill -9 differs"
pass "kill -9 and resume: identical summary"

# 4. The walltime signal: exit 4, then resume to the same file.
rm -f "$WORK/big.h5"
"$RSIM_BIN" "$WORK/big.toml" -q >"$WORK/term.out" 2>&1 &  # one rank: mpirun would answer the signal itself
pid=$!
sleep 1.5
kill -TERM $pid
set +e; wait $pid; code=$?; set -e
[ $code -eq 4 ] || fail "SIGTERM: exit $code, wanted 4: $(cat "$WORK/term.out")"
expect_exit 0 mpirun_rsim 2 -- "$WORK/big.toml" -q
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/big-clean.h5" "$WORK/big.h5" || fail "resumed after SIGTERM differs"
expect_exit 0 mpirun_rsim 1 -- "$WORK/big.toml"
expect_out "already complete"
expect_exit 1 mpirun_rsim 1 -- "$WORK/big.toml" --rerun-failed
expect_out "keeps per-point summaries"
pass "SIGTERM exits 4 and resumes identically; a second run has nothing to do; --rerun-failed refused"

# 5. Precision targets: the same replicates and numbers at any rank count,
# and each point stops at the first block boundary (at or after
# min_replicates) where the MC SE of reject is at most 0.01: checked with
# numpy on the tasks of a run of every replicate.
study tgt '[output]
keep = "summary"
block = 50
target_mcse = { reject = 0.01 }
min_replicates = 200' 3000 "[10, 40]"
same_at_1_2_4 0 "$WORK/tgt.toml" "$WORK/tgt"
study all "" 3000 "[10, 40]"
mpirun_rsim 2 -- "$WORK/all.toml" -q -o "$WORK/all.h5" >/dev/null
$PY - "$WORK/all.h5" "$WORK/tgt-4.h5" <<'PY' || fail "precision targets"
import sys, h5py, numpy as np
t, s = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
x = t["results/reject"][()].astype(float).reshape(-1, 3000)
reps = s["summary/replicates"][()]
def se(v): return np.sqrt(v.var(ddof=1) / v.size)
for p, r in enumerate(reps):
    assert r % 50 == 0 and 200 <= r <= 3000, (p, r)
    k = next(b for b in range(200, 3001, 50) if se(x[p][:b]) <= 0.01 + 1e-12 or b == 3000)
    assert r == k, (p, r, k)
    assert np.isclose(s["summary/fields/reject/mean"][p], x[p][:r].mean(), rtol=1e-12)
assert s["summary/reached"][()].all()
assert reps.sum() < 0.8 * reps.size * 3000, reps
print("replicates per point", list(reps), "of 3000")
PY
pass "precision targets: first boundary, same at -n 1, 2, 4"

# 6. R tasks: failures, a field only some tasks return, logicals, strings
# (not summarised), read_summary() in R against read_results() of the same
# study kept as tasks.
cat >"$WORK/sim.R" <<'R'
simulate <- function(mu, .task) {
  if (.task$replicate %% 97 == 5) stop("unlucky replicate ", .task$replicate)
  x <- rnorm(1, mu)
  out <- list(x = x, pos = x > 0, label = "a")
  if (.task$replicate %% 3 == 0) out$third <- 2L * .task$replicate
  out
}
R
for keep in summary tasks; do
  cat >"$WORK/r-$keep.toml" <<TOML
[job]
name = "r-$keep"
seed = 11
replicates = 400
[task]
backend = "r"
script = "sim.R"
function = "simulate"
[grid]
mu = [0.0, 1.5]
[output]
keep = "$keep"
TOML
done
sed -i '/keep = "tasks"/d; /^\[output\]$/d' "$WORK/r-tasks.toml"
echo 'block = 40' >>"$WORK/r-summary.toml"
same_at_1_2_4 3 "$WORK/r-summary.toml" "$WORK/rs"
expect_exit 3 mpirun_rsim 2 -- "$WORK/r-tasks.toml" -q
Rscript - "$WORK/rs-2.h5" "$WORK/r-tasks.h5" <<'R' || fail "R: read_summary"
library(rsim)
a <- commandArgs(TRUE)
s <- read_summary(a[1])
r <- read_results(a[2])
stopifnot(nrow(s) == 2, identical(s$mu, c(0, 1.5)))
stopifnot(identical(grep("_mean$", names(s), value = TRUE), c("x_mean", "pos_mean", "third_mean")))
for (p in 0:1) {
  t <- r[r$point == p, ]
  stopifnot(s$replicates[p + 1] == 400, s$failed[p + 1] == sum(t$status != "ok"))
  stopifnot(isTRUE(all.equal(s$x_mean[p + 1], mean(t$x, na.rm = TRUE), tolerance = 1e-12)))
  stopifnot(isTRUE(all.equal(s$x_var[p + 1], var(t$x, na.rm = TRUE), tolerance = 1e-10)))
  stopifnot(isTRUE(all.equal(s$pos_mean[p + 1], mean(t$pos, na.rm = TRUE), tolerance = 1e-12)))
  stopifnot(s$third_n[p + 1] == sum(!is.na(t$third)), s$third_na[p + 1] == 400 - sum(!is.na(t$third)))
  stopifnot(s$third_max[p + 1] == max(t$third, na.rm = TRUE))
}
e <- read_errors(a[1])
stopifnot(nrow(e) == sum(s$failed), all(grepl("unlucky replicate", e$message)))
msg <- tryCatch(read_results(a[1]), error = conditionMessage)
stopifnot(grepl("read_summary", msg))
cat("R summary ok:", format(s$x_mean), "\n")
R
pass "R tasks: failures, optional fields, logicals; read_summary() equals read_results() means"
