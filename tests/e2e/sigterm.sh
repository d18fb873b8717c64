#!/usr/bin/env bash
# SIGTERM / SIGUSR1: the job commits and exits 4 within 5 seconds, and the
# rerun resumes and finishes with the content of an uninterrupted run.
source "$(dirname "$0")/lib.sh"
cat >"$WORK/n.toml" <<'TOML'
[job]
name = "n"
seed = 2
replicates = 20000
[task]
backend = "native"
kernel = "busy_wait"
[args]
ms = 0.5
TOML
mpirun_rsim 2 -- "$WORK/n.toml" -q -o "$WORK/full.h5" >/dev/null

# stop_and_time PID SIGNAL -> sets CODE and SECS
stop_and_time() {
  local pid=$1 sig=$2 t0
  sleep 1.5
  t0=$(date +%s.%N)
  kill -"$sig" "$pid"
  set +e
  wait "$pid"
  CODE=$?
  set -e
  SECS=$(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $t0 }")
}

"$RSIM_BIN" "$WORK/n.toml" -q -o "$WORK/a.h5" >"$WORK/a.out" 2>&1 &
stop_and_time $! TERM
[ "$CODE" -eq 4 ] || fail "SIGTERM: exit $CODE, wanted 4: $(cat "$WORK/a.out")"
awk "BEGIN { exit !($SECS < 5) }" || fail "SIGTERM: took ${SECS}s to exit"
grep -q "interrupted by a signal" "$WORK/a.out" || fail "no interruption message"
grep -q '"state": "interrupted"' "$WORK/a.h5.status.json" || fail "status file does not say interrupted"
expect_exit 0 "$RSIM_BIN" status "$WORK/a.h5"
expect_out "state: interrupted"; expect_out "of 20000 tasks"; expect_out "rerun the same command to resume"
expect_exit 0 "$RSIM_BIN" "$WORK/n.toml" -q -o "$WORK/a.h5"
expect_out "resuming"
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/full.h5" "$WORK/a.h5" >/dev/null || fail "SIGTERM: resumed file differs"
expect_exit 0 "$RSIM_BIN" status "$WORK/a.h5"
expect_out "finished: 20000 tasks, 20000 ok, 0 failed"
pass "SIGTERM: exit 4 after ${SECS}s, rsim status saw it, resumed identical"

mpirun_bg 2 "$WORK/n.toml" -q -o "$WORK/b.h5" >"$WORK/b.out" 2>&1
stop_and_time $! USR1
[ "$CODE" -eq 4 ] || fail "SIGUSR1 to mpirun: exit $CODE, wanted 4: $(cat "$WORK/b.out")"
awk "BEGIN { exit !($SECS < 5) }" || fail "SIGUSR1: took ${SECS}s to exit"
expect_exit 0 mpirun_rsim 2 -- "$WORK/n.toml" -q -o "$WORK/b.h5"
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/full.h5" "$WORK/b.h5" >/dev/null || fail "SIGUSR1: resumed file differs"
pass "SIGUSR1 at -n 2: exit 4 after ${SECS}s, resumed identical"

# Failed counts survive a resume: the status file of the resumed run counts
# the failures earlier runs committed (6,000 tasks of the first point fail).
cat >"$WORK/f.toml" <<'TOML'
[job]
name = "f"
seed = 2
replicates = 6000
[task]
backend = "native"
kernel = "ttest_power"
[[points]]
n = 4000
delta = 0.5
sd = 1e300
[[points]]
n = 4000
delta = 0.5
sd = 1.0
[schedule]
checkpoint = "0.2s"
TOML
# status_value KEY: the number after "KEY": in the status file (0 if none yet)
status_value() { sed -n "s/^  \"$1\": \([0-9]*\).*/\1/p" "$WORK/f.h5.status.json" 2>/dev/null | head -1 | grep . || echo 0; }
# stop_when KEY MIN: SIGTERM to the job (pid $!) once the status file's KEY reaches MIN
stop_when() {
  local pid=$! i
  for i in $(seq 600); do [ "$(status_value "$1")" -ge "$2" ] && break; sleep 0.05; done
  kill -TERM "$pid"
  set +e; wait "$pid"; CODE=$?; set -e
}
"$RSIM_BIN" "$WORK/f.toml" -q >"$WORK/f1.out" 2>&1 &
stop_when done 6000
[ "$CODE" -eq 4 ] || fail "failed-count run 1: exit $CODE, wanted 4 (finished too early?): $(cat "$WORK/f1.out")"
"$RSIM_BIN" "$WORK/f.toml" -q >"$WORK/f2.out" 2>&1 &
stop_when resumed_from 6000
[ "$CODE" -eq 4 ] || fail "failed-count run 2: exit $CODE, wanted 4: $(cat "$WORK/f2.out")"
[ "$(status_value failed)" -eq 6000 ] || fail "the resumed run's status file counts $(status_value failed) failed, not the 6000 committed"
expect_exit 0 "$RSIM_BIN" status "$WORK/f.h5"
expect_out "6000 failed"
pass "failed counts survive a resume (status file and rsim status: 6000 failed)"

if [ -n "${RSIM_WITH_R:-1}" ] && command -v Rscript >/dev/null; then
  printf 'f <- function(i, .task) { if (.task$task == 3) Sys.sleep(60); list(x = i) }\n' >"$WORK/s.R"
  printf '[job]\nname = "s"\nseed = 1\nreplicates = 6\n[task]\nbackend = "r"\nscript = "s.R"\nfunction = "f"\n[grid]\ni = [1]\n[schedule]\nchunk = 1\n' >"$WORK/s.toml"
  "$RSIM_BIN" "$WORK/s.toml" -q >"$WORK/s.out" 2>&1 &
  stop_and_time $! TERM
  [ "$CODE" -eq 4 ] || fail "R task in Sys.sleep: exit $CODE, wanted 4: $(cat "$WORK/s.out")"
  awk "BEGIN { exit !($SECS < 5) }" || fail "R task: took ${SECS}s to stop"
  pass "SIGTERM abandons a long R task: exit 4 after ${SECS}s"

  # A stop while R is still starting (a slow script): recorded, and the run
  # ends before its first task with exit 4, not killed by the signal.
  printf 'Sys.sleep(4)\nf <- function(i) list(x = i)\n' >"$WORK/slow.R"
  sed 's/s.R/slow.R/; s/name = "s"/name = "slow"/' "$WORK/s.toml" >"$WORK/slow.toml"
  "$RSIM_BIN" "$WORK/slow.toml" -q >"$WORK/slow.out" 2>&1 &
  stop_and_time $! TERM
  [ "$CODE" -eq 4 ] || fail "SIGTERM during R set-up: exit $CODE, wanted 4: $(cat "$WORK/slow.out")"
  grep -q "0 of 6 tasks are committed" "$WORK/slow.out" || fail "SIGTERM during set-up: $(cat "$WORK/slow.out")"
  pass "SIGTERM during R set-up: exit 4, no task run"

  # A task that catches the interrupt and returns is still abandoned, not
  # committed as ok with what it returned after the stop.
  cat >"$WORK/catch.R" <<R
f <- function(i, .task) {
  r <- "done"
  if (.task\$task == 3) {
    file.create("$WORK/in3")
    r <- tryCatch({ Sys.sleep(60); "done" }, interrupt = function(e) "caught")
  }
  list(finished = r == "done")
}
R
  sed 's/s.R/catch.R/; s/name = "s"/name = "catch"/' "$WORK/s.toml" >"$WORK/catch.toml"
  "$RSIM_BIN" "$WORK/catch.toml" -q >"$WORK/catch.out" 2>&1 &
  pid=$!
  for _ in $(seq 300); do [ -e "$WORK/in3" ] && break; sleep 0.1; done
  [ -e "$WORK/in3" ] || fail "task 3 never started: $(cat "$WORK/catch.out")"
  kill -TERM "$pid"
  set +e; wait "$pid"; CODE=$?; set -e
  [ "$CODE" -eq 4 ] || fail "R task catching the interrupt: exit $CODE, wanted 4: $(cat "$WORK/catch.out")"
  expect_exit 0 "$RSIM_BIN" status "$WORK/catch.h5"
  expect_out "committed: 3 of 6 tasks"
  pass "an R task that catches the interrupt after SIGTERM is abandoned, not committed"
fi
