#!/usr/bin/env bash
# The last steps of a run under fault injection (an LD_PRELOAD shim): fsync,
# close or rename of the new result file failing, as on NFS, Lustre or a full
# quota, the output folder's fsync failing after the rename, and checkpoints
# rank 0 cannot see.  Each exits 2 and keeps the checkpoints, and leaves
# either the old state (no result file, or the earlier one byte for byte) or
# the new one (the complete file in place), never neither; the rerun without
# the fault finishes with the same content as a clean run.
source "$(dirname "$0")/lib.sh"
shim="$WORK/fail_io.so"
cc -shared -fPIC -O1 -o "$shim" "$RSIM_SOURCE_DIR/tests/e2e/shims/fail_io.c" -ldl
printf '[job]\nname = "fio"\nseed = 9\nreplicates = 5000\n[task]\nbackend = "native"\nkernel = "ttest_power"\n[grid]\nn = [10]\ndelta = [0.0, 0.5]\n[schedule]\ncheckpoint = "50ms"\n' >"$WORK/g.toml"
mpirun_rsim 2 -- "$WORK/g.toml" -q -o "$WORK/clean.h5" >/dev/null

# fail MODE OUT [mpirun ranks]: the run with the fault; exit code in $code.
fail_run() {
  set +e
  if [ -n "${3:-}" ]; then
    OUT=$(mpirun_rsim "$3" -x RSIM_FAIL="$1" -x LD_PRELOAD="$shim" -- "$WORK/g.toml" -q -o "$2" 2>&1)
  else
    OUT=$(env RSIM_FAIL="$1" LD_PRELOAD="$shim" "$RSIM_BIN" "$WORK/g.toml" -q -o "$2" 2>&1)
  fi
  code=$?
  set -e
}

# First run (no earlier file): the old state is no result file.
for mode in fsync close rename; do
  out="$WORK/$mode.h5"
  fail_run $mode "$out"
  [ $code -eq 2 ] || fail "$mode: exit $code, wanted 2: $OUT"
  grep -q "^rsim: error" <<<"$OUT" || fail "$mode: no error message: $OUT"
  [ -d "$out.ckpt" ] || fail "$mode: the checkpoints were removed after a failed final $mode"
  [ ! -e "$out" ] || fail "$mode: a result file was moved into place although its $mode failed"
  if [ $mode != rename ]; then [ ! -e "$out.tmp" ] || fail "$mode: the damaged temp file was left behind"; fi
  expect_exit 0 "$RSIM_BIN" "$WORK/g.toml" -q -o "$out"
  [ ! -e "$out.ckpt" ] || fail "$mode: checkpoints left after the good rerun"
  $PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/clean.h5" "$out" >/dev/null || fail "$mode: rerun differs"
  pass "final $mode failing: exit 2, checkpoints kept, no result file; the rerun completes it"
done

# At -n 2 too (a failed close once crashed HDF5 at MPI_Finalize: exit 139).
fail_run close "$WORK/close2.h5" 2
[ $code -eq 2 ] || fail "close at -n 2: exit $code, wanted 2: $OUT"
[ -d "$WORK/close2.h5.ckpt" ] || fail "close at -n 2: checkpoints removed"
pass "final close failing at -n 2: exit 2, checkpoints kept"

# An earlier result file and checkpoints of a rerun (the rerun assembles on
# top of the file): each failing step leaves the old file byte for byte.
for mode in fsync close rename; do
  out="$WORK/old-$mode.h5"
  cp "$WORK/clean.h5" "$out"
  mkdir "$out.ckpt"
  before=$(md5sum <"$out")
  fail_run $mode "$out"
  [ $code -eq 2 ] || fail "old file, $mode: exit $code, wanted 2: $OUT"
  [ "$(md5sum <"$out")" = "$before" ] || fail "old file, $mode: the earlier result file changed"
  [ -d "$out.ckpt" ] || fail "old file, $mode: checkpoints removed"
  expect_exit 0 "$RSIM_BIN" "$WORK/g.toml" -q -o "$out"
  $PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/clean.h5" "$out" >/dev/null || fail "old file, $mode: rerun differs"
  pass "final $mode failing over an earlier file: exit 2, the old file unchanged, checkpoints kept"
done

# The folder's fsync after the rename: the new file is in place (the new
# state), the checkpoints are kept, and the rerun just assembles again.
out="$WORK/dirsync.h5"
fail_run dirsync "$out"
[ $code -eq 2 ] || fail "dirsync: exit $code, wanted 2: $OUT"
expect_out "cannot flush the output folder"
[ -d "$out.ckpt" ] || fail "dirsync: checkpoints removed although the folder was not flushed"
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/clean.h5" "$out" >/dev/null || fail "dirsync: the file in place differs"
expect_exit 0 "$RSIM_BIN" "$WORK/g.toml" -q -o "$out"
[ ! -e "$out.ckpt" ] || fail "dirsync: checkpoints left after the good rerun"
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/clean.h5" "$out" >/dev/null || fail "dirsync: rerun differs"
pass "the output folder's fsync failing: exit 2, the new file in place, checkpoints kept; the rerun completes"

out="$WORK/hide.h5"
expect_exit 2 mpirun_rsim 2 -x RSIM_FAIL=hide -x LD_PRELOAD="$shim" -- "$WORK/g.toml" -q -o "$out"
expect_out "have no result although every rank finished"
[ -d "$out.ckpt" ] || fail "hide: checkpoints removed although tasks are missing"
for f in "$out".ckpt/lost-seg-*; do mv "$f" "$(dirname "$f")/$(basename "$f" | sed 's/^lost-//')"; done
expect_exit 0 mpirun_rsim 2 -- "$WORK/g.toml" -q -o "$out"
$PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$WORK/clean.h5" "$out" >/dev/null || fail "hide: rerun differs"
pass "checkpoints rank 0 cannot see: exit 2, checkpoints kept; once visible, the rerun completes"

# The lock file unlinked between open and flock (another run ending at that
# moment): the run must lock the file that is at the path, or a second run
# would take a new lock file and run the same job at the same time.
printf '[job]\nname = "lk"\nseed = 1\nreplicates = 400\n[task]\nbackend = "native"\nkernel = "busy_wait"\n[args]\nms = 10.0\n' >"$WORK/lk.toml"
( exec env RSIM_FAIL=lockrace LD_PRELOAD="$shim" "$RSIM_BIN" "$WORK/lk.toml" -q -o "$WORK/lk.h5" ) >"$WORK/lk.out" 2>&1 &
pid=$!
for _ in $(seq 200); do [ -e "$WORK/lk.h5.status.json" ] && break; sleep 0.05; done
expect_exit 2 "$RSIM_BIN" "$WORK/lk.toml" -q -o "$WORK/lk.h5"
expect_out "another rsim run is writing this job"
kill -TERM "$pid"
set +e; wait "$pid"; set -e
pass "a lock file replaced between open and flock: the run locks the new one; a second run is refused"
