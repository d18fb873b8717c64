# Shared helpers for the end-to-end tests (sourced).
set -euo pipefail
: "${RSIM_BIN:?set by ctest}" "${RSIM_SOURCE_DIR:?set by ctest}"
RSIM_MPIEXEC=${RSIM_MPIEXEC:-mpirun}
read -r -a _mpiflags <<<"${RSIM_MPIEXEC_FLAGS:-}"
WORK=$(mktemp -d /tmp/rsim-e2e.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PY=/usr/bin/python3  # Debian's python, which has python3-h5py

# mpirun_rsim NP [extra mpirun flags...] -- rsim args...
mpirun_rsim() {
  local np=$1; shift
  local extra=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do extra+=("$1"); shift; done
  shift
  "$RSIM_MPIEXEC" "${_mpiflags[@]}" "${extra[@]}" -n "$np" "$RSIM_BIN" "$@"
}

# mpirun_bg NP rsim-args... : mpirun in the background with $! its own pid
# (not a subshell's), so signals sent to $! reach mpirun itself.
mpirun_bg() {
  local np=$1; shift
  ( exec "$RSIM_MPIEXEC" "${_mpiflags[@]}" -n "$np" "$RSIM_BIN" "$@" ) &
}

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# expect_exit CODE CMD... : runs CMD, captures output in $OUT, checks the exit code.
expect_exit() {
  local want=$1; shift
  set +e
  OUT=$("$@" 2>&1)
  local got=$?
  set -e
  [ "$got" -eq "$want" ] || fail "exit $got, wanted $want: $*
$OUT"
}
expect_out() { grep -qF -- "$1" <<<"$OUT" || fail "output lacks '$1':
$OUT"; }

# same_at_1_2_4 EXIT TOML PREFIX : runs the job at -n 1, 2 and 4 into
# PREFIX-<n>.h5, each exiting EXIT, and fails unless the three files hold
# the same content (compare_h5.py: all but timings, ranks and times).
same_at_1_2_4() {
  local code=$1 toml=$2 prefix=$3 np
  for np in 1 2 4; do
    expect_exit "$code" mpirun_rsim "$np" --oversubscribe -- "$toml" -q -o "$prefix-$np.h5"
  done
  for np in 2 4; do
    "$PY" "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$prefix-1.h5" "$prefix-$np.h5" >"$prefix.diff" ||
      fail "$prefix: -n $np differs from -n 1: $(tail -5 "$prefix.diff")"
  done
}
