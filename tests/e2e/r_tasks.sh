#!/usr/bin/env bash
# R tasks: every error path is recorded with its message and the job goes
# on; warnings are counted; output lands in the rank log; a runaway task
# times out; what a task changes is undone; NA stays NA; exit code 3; and
# the content is identical at -n 1, 2 and 4.
source "$(dirname "$0")/lib.sh"
cp "$RSIM_SOURCE_DIR/tests/e2e/r/tasks.R" "$WORK/tasks.R"
cat >"$WORK/g.toml" <<'TOML'
[job]
name = "rtasks"
seed = 11
replicates = 2
[task]
backend = "r"
script = "tasks.R"
function = "simulate"
setup = "setup"
[grid]
kind = ["ok", "stop", "assert", "recurse", "warn", "print", "leak", "slow", "na", "null"]
x = [2.0]
[schedule]
timeout = "1s"
TOML
for np in 1 2 4; do
  expect_exit 3 mpirun_rsim $np -- "$WORK/g.toml" -q -o "$WORK/np$np.h5"
  expect_out "20 tasks, 12 ok, 8 failed"
done
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/np1.h5" "$WORK/np2.h5" || fail "np1 vs np2"
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/np1.h5" "$WORK/np4.h5" || fail "np1 vs np4"
grep -q "hello from a task" "$WORK"/np1.h5.logs/rank-*.log || fail "task output is not in the rank log"
grep -q "a message" "$WORK"/np1.h5.logs/rank-*.log || fail "message() output is not in the rank log"
! grep -q "hello from a task" <<<"$OUT" || fail "task output reached the terminal"

Rscript - "$WORK/np1.h5" <<'R'
suppressPackageStartupMessages(library(hdf5r))
f <- H5File$new(commandArgs(TRUE)[1], mode = "r")
kind <- f[["grid/kind"]]$read()[(0:19) %/% 2 + 1]
st <- as.character(f[["tasks/status"]]$read())
want <- c(ok = "ok", stop = "error", assert = "error", recurse = "error", warn = "ok", print = "ok",
          leak = "ok", slow = "timeout", na = "ok", null = "ok")
bad <- st != want[kind]
if (any(bad)) stop("status wrong for tasks ", paste(which(bad) - 1, kind[bad], st[bad], collapse = "; "))
et <- f[["errors/task"]]$read(); em <- f[["errors/message"]]$read(); ec <- f[["errors/calls"]]$read()
msg <- function(k) em[match(which(kind == k)[1] - 1, et)]
stopifnot(grepl("bad parameter x = 2", msg("stop")), grepl("x must be negative", msg("assert")),
          grepl("nested too deeply|C stack|infinite recursion", msg("recurse")),
          grepl("elapsed time limit", msg("slow")))
# (a C stack overflow bypasses calling handlers: it has a message but no call stack)
stopifnot(grepl("simulate\\(", ec[match(which(kind == "stop")[1] - 1, et)]))
w <- f[["tasks/warnings"]]$read()
stopifnot(all(w[kind == "warn"] == 2), all(w[kind != "warn"] == 0))
wm <- f[["warnings/message"]]$read()
stopifnot(length(wm) == 2, all(wm == "first warning\nsecond warning"))
i <- f[["results/i"]]$read(); x <- f[["results/x"]]$read(); fl <- f[["results/flag"]]$read()
lab <- f[["results/label"]]$read(); v <- f[["results/v"]]$read()
stopifnot(is.na(i[kind == "na"]), is.na(x[kind == "na"]), is.na(fl[kind == "na"]))
stopifnot(identical(i[kind == "ok"], 0:1), all(x[kind == "ok"] == 2), all(fl[kind == "ok"]))
stopifnot(identical(lab[kind == "ok"], c("t0", "t1")))
stopifnot(all(dim(v) == c(2, 20)) || all(dim(v) == c(20, 2)))
stopifnot(all(is.na(i[st != "ok" | kind %in% c("na", "null")])))
cat("ok: statuses, messages, call stacks, warnings, NA and fields as expected\n")
R
# A task whose field type differs from the lowest task's fails, the same
# at any rank count (tests/e2e/r_fields.sh has the whole rule).
sed 's/"na", "null"\]/"na", "mismatch"]/' "$WORK/g.toml" >"$WORK/m.toml"
expect_exit 3 mpirun_rsim 1 -- "$WORK/m.toml" -q -o "$WORK/m.h5"
expect_exit 3 mpirun_rsim 2 -- "$WORK/m.toml" -q -o "$WORK/m2.h5"
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/m.h5" "$WORK/m2.h5" >/dev/null || fail "type mismatch: -n 2 differs from -n 1"
Rscript -e 'suppressPackageStartupMessages(library(hdf5r)); f <- H5File$new(commandArgs(TRUE)[1], "r")
  m <- f[["errors/message"]]$read(); t <- f[["errors/task"]]$read()
  stopifnot(grepl("field \"i\" is string here but integer in task", m[t == 18]))' "$WORK/m.h5" ||
  fail "type mismatch not reported"
pass "R task behaviours recorded, identical at -n 1, 2, 4"
