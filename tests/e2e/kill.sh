#!/usr/bin/env bash
# A rank SIGKILLed at a random moment (several seeds) takes the job down;
# the rerun finishes it, the content equals an uninterrupted run's, and no
# finished task ran twice beyond the last checkpoint window (counted from
# the task log, which every run appends to).
source "$(dirname "$0")/lib.sh"
cat >"$WORK/k.R" <<'R'
f <- function(i, .task) {
  cat("ran", .task$task, "\n")
  Sys.sleep(0.001)
  list(v = rnorm(1), w = .task$task * i)
}
R
cat >"$WORK/kill.toml" <<'TOML'
[job]
name = "kill"
seed = 17
replicates = 3000
[task]
backend = "r"
script = "k.R"
function = "f"
[grid]
i = [2]
[schedule]
checkpoint = "100ms"
TOML
mpirun_rsim 2 -- "$WORK/kill.toml" -q -o "$WORK/full.h5" >/dev/null
for seed in 1 2 3; do
  RANDOM=$seed
  out="$WORK/k$seed.h5"
  delay=$(awk "BEGIN { print ($RANDOM % 1200) / 1000 }")
  victim=$((RANDOM % 2))
  mpirun_bg 2 "$WORK/kill.toml" -q -o "$out" >/dev/null 2>&1
  mpid=$!
  # a random moment after the run has started committing
  for _ in $(seq 1 200); do
    [ "$(ls "$out.ckpt" 2>/dev/null | grep -c '^seg-')" -ge 1 ] && break
    sleep 0.05
  done
  sleep "$delay"
  pids=($(pgrep -f "^$RSIM_BIN $WORK/kill.toml -q -o $out" | sort -n))  # the ranks, not mpirun
  [ ${#pids[@]} -ge 2 ] || fail "seed $seed: expected 2 ranks running ${delay}s after the first commit, found ${#pids[@]} (job too short?)"
  kill -9 "${pids[$victim]}"
  wait $mpid 2>/dev/null && fail "seed $seed: the job survived a killed rank" || true
  [ -d "$out.ckpt" ] || fail "seed $seed: no checkpoint folder after the kill"
  [ ! -e "$out" ] || fail "seed $seed: a result file exists after the kill"
  committed=$(ls "$out.ckpt" | grep -c '^seg-' || true)
  expect_exit 0 mpirun_rsim 2 -- "$WORK/kill.toml" -q -o "$out"
  $PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/full.h5" "$out" >/dev/null ||
    fail "seed $seed: the resumed file differs from the uninterrupted run"
  # Tasks that ran twice: those finished after their rank's last commit.
  dups=$(cat "$out".logs/rank-*.log | grep '^ran ' | sort | uniq -d | wc -l)
  bound=$($PY - "$WORK/full.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
mean = float(f["tasks/elapsed"][()].mean())
# per rank: the 100 ms window, the task that was running, and one more for the commit's own delay
print(int(2 * (0.1 / mean + 2) * 1.5))
PY
)
  [ "$dups" -le "$bound" ] || fail "seed $seed: $dups tasks ran twice, more than the checkpoint window allows ($bound)"
  pass "seed $seed: rank $victim killed after ${delay}s ($committed segments committed), resumed identical; $dups tasks ran twice (bound $bound)"
done
