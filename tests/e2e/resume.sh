#!/usr/bin/env bash
# A run killed with SIGKILL after its first checkpoints resumes: the rerun
# runs only the missing tasks and the file equals an uninterrupted run's.
source "$(dirname "$0")/lib.sh"
cat >"$WORK/g.toml" <<'TOML'
[job]
name = "resume"
seed = 5
replicates = 200000
[task]
backend = "native"
kernel = "ttest_power"
[grid]
n = [200]
delta = [0.1, 0.3]
[schedule]
checkpoint = "100ms"
TOML
mpirun_rsim 2 -- "$WORK/g.toml" -q -o "$WORK/full.h5" >/dev/null

mpirun_rsim 2 -- "$WORK/g.toml" -q >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 400); do
  [ "$(ls "$WORK/resume.h5.ckpt" 2>/dev/null | grep -c '^seg-')" -ge 2 ] && break
  sleep 0.05
done
kill -9 $pid 2>/dev/null || fail "the run ended before it could be killed; make it longer"
wait $pid 2>/dev/null || true
pkill -9 -f "$RSIM_BIN $WORK/g.toml" 2>/dev/null || true
sleep 0.2
segs=$(ls "$WORK/resume.h5.ckpt" | grep -c '^seg-')
[ "$segs" -ge 2 ] || fail "expected checkpoint segments after the kill, found $segs"
[ ! -e "$WORK/resume.h5" ] || fail "a result file exists after a killed run"

expect_exit 0 mpirun_rsim 2 -- "$WORK/g.toml" -q
expect_out "rsim: resuming:"
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/full.h5" "$WORK/resume.h5" || fail "resumed file differs"
pass "killed after $segs segments, resumed: $(grep -o 'resuming: [0-9]* of [0-9]*' <<<"$OUT")"

# An empty or partly deleted checkpoint folder next to a complete result file
# (a second Ctrl-C during cleanup, a walltime kill): nothing is recomputed.
mkdir "$WORK/resume.h5.ckpt"
expect_exit 0 mpirun_rsim 2 -- "$WORK/g.toml" -q
expect_out "rsim: resuming: 400000 of 400000"
grep -q "ran 0 tasks" <<<"$OUT" || fail "tasks were run again: $OUT"
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/full.h5" "$WORK/resume.h5" || fail "file differs after the empty-checkpoint rerun"
[ ! -e "$WORK/resume.h5.ckpt" ] || fail "the empty checkpoint folder stays"
pass "an empty checkpoint folder beside a complete result: nothing recomputed"
