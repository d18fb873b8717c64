#!/usr/bin/env bash
# [schedule] timeout holds for R tasks: Sys.sleep(), R loops, a task that
# catches the interrupt, all stopped at the timeout (within generous
# bounds); a long native call that never checks for interrupts (a C loop
# through .C) cannot be stopped, and is marked timeout when it returns with
# the overrun in its message.  A task calling set.seed() gets one warning.
# A clean stop (SIGUSR1 to mpirun) interrupts R tasks waiting in
# Sys.sleep() on every rank at once, not when their sleep ends.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

# A C loop that spins for `secs` seconds without checking for interrupts.
cat >spin.c <<'C'
#include <time.h>
void spin(double *secs) {
  struct timespec a, b;
  volatile double x = 0;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (;;) {
    for (int i = 0; i < 100000; i++) x += i;
    clock_gettime(CLOCK_MONOTONIC, &b);
    if ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9 >= *secs) break;
  }
}
C
R CMD SHLIB -o spin.so spin.c >/dev/null 2>&1 || fail "cannot compile spin.c with R CMD SHLIB"

cat >t.R <<R
dyn.load("$WORK/spin.so")
set.seed(1)  # at set-up: no warning, the tasks get their own streams anyway
work <- function(kind) {
  switch(kind,
    sleep = Sys.sleep(60),
    loop = { x <- 0; for (i in 1:1e10) x <- i },
    repeat_ = repeat {},
    try_sleep = for (k in 1:120) try(Sys.sleep(0.5), silent = TRUE),
    catch = { tryCatch(Sys.sleep(60), interrupt = function(c) NULL); Sys.sleep(60) },
    spin = .C("spin", 3),
    spin_then_r = { .C("spin", 3); x <- 0; for (i in 1:1e9) x <- i },
    seed = { set.seed(42); set.seed(42) },
    quick = NULL)
  list(v = runif(1))
}
R
cat >g.toml <<'TOML'
[job]
name = "timeouts"
seed = 5
[task]
backend = "r"
script = "t.R"
function = "work"
[grid]
kind = ["sleep", "loop", "repeat_", "try_sleep", "catch", "spin", "spin_then_r", "seed", "quick"]
[schedule]
timeout = "1s"
chunk = 1
TOML
t0=$SECONDS
expect_exit 3 mpirun_rsim 2 --oversubscribe -- g.toml -q
expect_out "9 tasks, 2 ok, 7 failed"
[ $((SECONDS - t0)) -lt 45 ] || fail "the job took $((SECONDS - t0)) s: timeouts did not stop the tasks"

Rscript - timeouts.h5 <<'R' || fail "timeouts not recorded as expected"
suppressPackageStartupMessages(library(hdf5r))
f <- H5File$new(commandArgs(TRUE)[1], mode = "r")
kind <- f[["grid/kind"]]$read()
st <- setNames(as.character(f[["tasks/status"]]$read()), kind)
el <- setNames(f[["tasks/elapsed"]]$read(), kind)
msg <- setNames(f[["errors/message"]]$read(), kind[f[["errors/task"]]$read() + 1])
calls <- setNames(f[["errors/calls"]]$read(), kind[f[["errors/task"]]$read() + 1])
nw <- setNames(f[["tasks/warnings"]]$read(), kind)
wm <- setNames(f[["warnings/message"]]$read(), kind[f[["warnings/task"]]$read() + 1])
show <- function() print(data.frame(status = st, elapsed = round(el, 2), warnings = nw))
check <- function(ok, what) if (!isTRUE(ok)) { show(); print(msg); stop(what, call. = FALSE) }
r_level <- c("sleep", "loop", "repeat_", "try_sleep", "catch")
check(all(st[c(r_level, "spin", "spin_then_r")] == "timeout"), "a task past its timeout is not 'timeout'")
check(all(st[c("seed", "quick")] == "ok"), "quick tasks failed")
# stopped: each would run 60 s or more; 1 s timeout, generous bound
check(all(el[r_level] < 30), "an R-level task was not stopped")
check(all(grepl("^reached elapsed time limit: stopped at the \\[schedule\\] timeout of 1 s$", msg[setdiff(r_level, "catch")])),
      "wrong message for a stopped task")
check(grepl("reached elapsed time limit", msg[["catch"]]), "wrong message for the task that caught the interrupt")
check(grepl("Sys.sleep(60)", calls[["sleep"]], fixed = TRUE), "the calls do not say where the task was stopped")
# the native call runs to its end (3 s), then the overrun is recorded
check(el[["spin"]] >= 3 && el[["spin"]] < 30, "the native call was not run to its end")
check(grepl("^reached elapsed time limit: the task ran [0-9.]+ s, [0-9.]+ s over the \\[schedule\\] timeout of 1 s.*could not be stopped",
            msg[["spin"]]), "the overrun of a native call is not in its message")
check(el[["spin_then_r"]] >= 3 && el[["spin_then_r"]] < 30, "spin_then_r: wrong elapsed")
check(grepl("^reached elapsed time limit: stopped after [0-9.]+ s, [0-9.]+ s over the \\[schedule\\] timeout of 1 s",
            msg[["spin_then_r"]]), "spin_then_r: the overrun is not in its message")
# set.seed(): one warning, however often it is called; none for set-up's call
check(nw[["seed"]] == 1 && sum(nw) == 1, "set.seed() is not counted once as the task's warning")
check(grepl("set.seed(42) was called in the task", wm[["seed"]], fixed = TRUE) &&
      grepl("replicates become identical", wm[["seed"]], fixed = TRUE), "wrong set.seed() warning")
cat("ok: R-level tasks stopped, native overrun recorded, set.seed() warned\n")
R

# rsim --task applies the timeout too
t0=$SECONDS
expect_exit 3 "$RSIM_BIN" --task 0 g.toml
grep -q '"status":"timeout"' <<<"$OUT" || fail "rsim --task of a sleeping task: no timeout: $OUT"
[ $((SECONDS - t0)) -lt 30 ] || fail "rsim --task: the sleeping task was not stopped"
pass "R tasks stopped at [schedule] timeout; a native call's overrun recorded; set.seed() warned"

# A clean stop reaches R tasks sleeping on both ranks at once.
sed -e 's/^kind = .*/kind = ["sleep"]/' -e 's/^timeout = .*/timeout = 0/' -e 's/^name = .*/name = "stop"/' \
  -e 's/^seed = 5/seed = 5\nreplicates = 4/' g.toml >stop.toml
mpirun_bg 2 stop.toml -q >stop.out 2>&1
mpid=$!
for _ in $(seq 1 300); do grep -q '"state": "running"' stop.h5.status.json 2>/dev/null && break; sleep 0.1; done
sleep 2  # both ranks inside Sys.sleep(60)
t0=$SECONDS
kill -USR1 "$mpid"
for _ in $(seq 1 200); do kill -0 "$mpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$mpid" 2>/dev/null; then
  kill -9 "$mpid"
  fail "the job still ran 20 s after SIGUSR1: Sys.sleep() was not interrupted"
fi
set +e; wait "$mpid"; code=$?; set -e
[ "$code" -eq 4 ] || fail "clean stop: exit $code, wanted 4: $(cat stop.out)"
grep -q '"state": "interrupted"' stop.h5.status.json || fail "clean stop: the status file does not say interrupted"
pass "SIGUSR1 stopped Sys.sleep() tasks on 2 ranks in $((SECONDS - t0)) s (exit 4)"
