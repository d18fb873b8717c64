#!/usr/bin/env bash
# Results while the job runs (issue 14): read_results(), summarise_results()
# and read_errors() of a running job read a snapshot of what it committed so
# far (`rsim snapshot`) and say so ("partial: N of M tasks committed").
# Three snapshots (with tasks in them) taken during one run are each a subset of the final file
# with equal values, and grow; the job is not disturbed (the same exit code
# and the same file as a run nobody watched).  `rsim snapshot` without checkpoints is a
# usage error naming the result file.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cat >slow.R <<'R'
f <- function(i, .task) {
  Sys.sleep(0.01)
  if (.task$task %% 97 == 5) stop("task ", .task$task, " fails on purpose")
  list(x = .task$task, y = rnorm(1), fit = if (.task$task %% 100 == 0) lm(dist ~ speed, cars[1:(10 + i), ]))
}
R
printf '[job]\nname = "slow"\nseed = 1\nreplicates = 1500\n[task]\nbackend = "r"\nscript = "slow.R"\nfunction = "f"\n[grid]\ni = [1, 2]\n[schedule]\ncheckpoint = "0.3s"\n' >slow.toml
expect_exit 1 "$RSIM_BIN" snapshot slow.toml
expect_out "no checkpoints at"

mpirun_bg 2 slow.toml -q
job=$!
Rscript - <<'R' || { kill "$job" 2>/dev/null; fail "partial reads while the job runs"; }
library(rsim)
snaps <- list(); msgs <- character()
while (length(snaps) < 3) {
  Sys.sleep(0.8)
  if (file.exists("slow.h5")) stop("the job ended before three snapshots were read")
  if (!file.exists("slow.h5.status.json")) next # not started yet (a busy machine)
  keep <- function(m) { msgs <<- c(msgs, conditionMessage(m)); invokeRestart("muffleMessage") }
  r <- withCallingHandlers(read_results("slow.h5"), rsim_partial = keep)
  if (all(r$status == "not_run")) { msgs <- head(msgs, -1L); next } # started, nothing committed yet: a snapshot of 0
  s <- withCallingHandlers(summarise_results("slow.h5", fields = "y"), rsim_partial = keep)
  e <- withCallingHandlers(read_errors("slow.h5"), rsim_partial = keep)
  snaps[[length(snaps) + 1L]] <- list(r = r, s = s, e = e)
}
stopifnot(length(msgs) == 9L, all(grepl("is not finished: partial results, [0-9,]+ of 3,000 tasks committed", msgs)))
saveRDS(snaps, "snaps.rds")
R
rc=0; wait "$job" || rc=$?
[ "$rc" = 3 ] || fail "the watched job exited $rc, not 3 (its failing tasks)"
[ ! -e slow.h5.snapshot.h5 ] || fail "a snapshot file was left beside the output"
expect_exit 3 mpirun_rsim 1 -- slow.toml -q -o quiet.h5
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" slow.h5 quiet.h5 >/dev/null || fail "the watched run differs from an unwatched one"
Rscript - <<'R' || fail "a snapshot is not a subset of the final file"
library(rsim)
final <- read_results("slow.h5")
snaps <- readRDS("snaps.rds")
done <- vapply(snaps, function(s) sum(s$r$status != "not_run"), 0)
stopifnot(all(diff(done) > 0), done[1] > 0, done[3] < 3000, nrow(snaps[[3]]$e) > 0)
for (s in snaps) {
  r <- s$r
  ran <- r$status != "not_run"
  stopifnot(identical(r$status[ran], final$status[ran]), identical(r$x[ran], final$x[ran]), identical(r$y[ran], final$y[ran]),
            all(is.na(r$y[!ran])), identical(r$fit[ran], final$fit[ran]) || isTRUE(all.equal(r$fit[ran], final$fit[ran])))
  fe <- read_errors("slow.h5")
  stopifnot(all(s$e$task %in% fe$task), identical(s$e$message, fe$message[match(s$e$task, fe$task)]),
            all(s$s$y_n <= 1500), sum(s$s$y_n) < 3000)
}
R
pass "three partial reads during a run: each a subset of the final file with equal values, the run undisturbed"
