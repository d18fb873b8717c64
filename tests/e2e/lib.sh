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
