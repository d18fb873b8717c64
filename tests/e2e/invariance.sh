#!/usr/bin/env bash
# The same grid at -n 1, 2 and 4 gives files whose content (all but timings
# and ranks) is identical.  With "tcp": shared memory off, emulating nodes.
source "$(dirname "$0")/lib.sh"
extra=()
[ "${1:-}" = tcp ] && extra=(--mca btl self,tcp)
for k in ttest_power mean_ci_coverage; do
  if [ $k = ttest_power ]; then
    grid='n = [50, 300]
delta = [0.0, 0.5, 1.0]
test = ["welch", "student"]'
  else
    grid='n = [3, 400]
dist = ["normal", "exponential", "lognormal"]'
  fi
  cat >"$WORK/$k.toml" <<TOML
[job]
name = "inv-$k"
seed = 7
replicates = 2001
[task]
backend = "native"
kernel = "$k"
[grid]
$grid
TOML
  for np in 1 2 4; do
    mpirun_rsim $np "${extra[@]}" -- "$WORK/$k.toml" -q -o "$WORK/$k-np$np.h5" >/dev/null
  done
  $PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/$k-np1.h5" "$WORK/$k-np2.h5" || fail "$k: np1 vs np2"
  $PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/$k-np1.h5" "$WORK/$k-np4.h5" || fail "$k: np1 vs np4"
  # The files must not be trivially equal: at 4 ranks, several ranks ran tasks.
  ranks=$($PY -c "import h5py,sys; print(len(set(h5py.File(sys.argv[1])['tasks/rank'][()])))" "$WORK/$k-np4.h5")
  [ "$ranks" -ge 2 ] || fail "$k: only $ranks rank(s) ran tasks at -n 4"
  pass "$k identical at -n 1, 2, 4 (${ranks} ranks took tasks at -n 4) ${extra[*]}"
done
