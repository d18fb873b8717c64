# shellcheck shell=bash disable=SC2034  # variables for the tests that source it
# Shared by the Slurm tests (sourced): tests/slurm/run.sh (one node on
# localhost) and tests/slurm/multinode.sh (three nodes in network namespaces).
#
# Set before sourcing:
#   TEST_NAME   the prefix of say's lines (slurm-e2e, slurm-multinode)
#   TEST_TITLE  the test's name in skip's "SKIPPED: ..." line
#   SKIP_CODE   skip's exit code: what tests/CMakeLists.txt registers as
#               skipped (SKIP_RETURN_CODE), 0 where it registers none
# The test then sets WORK (its temp folder), CTLD_PID and MUNGE_PID, defines
# its own cleanup (from cancel_jobs, stop_pid and remove_work) and installs
# it with trap_cleanup.  Slurm client commands (squeue, scancel, rsim-submit)
# run through slurm_cmd: here by default; a test whose clients run elsewhere
# (multinode.sh: on the head node) defines it again.
set -euo pipefail
: "${TEST_NAME:?}" "${TEST_TITLE:?}" "${SKIP_CODE:?}"

SRC=${RSIM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SUBMIT=$SRC/slurm/rsim-submit
PY=/usr/bin/python3
T0=$(date +%s)
WORK=''  # the test's temp folder, once it has one

say() { echo "$TEST_NAME: $*"; }
pass() { echo "ok: $*"; }
skip() {
  echo "SKIPPED: $TEST_TITLE: $*"
  exit "$SKIP_CODE"
}
fail() {
  echo "FAIL: $*" >&2
  dump_logs
  exit 1
}

# dump_logs: to stderr, the last DUMP_LINES (default 25) lines of each
# daemon's log and each job's log under $WORK (DUMP_OUT=1: the daemons'
# *.out files too); nothing before there is a $WORK.
dump_logs() {
  local f files
  [ -n "$WORK" ] || return 0
  files=("$WORK"/log/*.log)
  [ -z "${DUMP_OUT:-}" ] || files+=("$WORK"/log/*.out)
  files+=("$WORK"/*/*-[0-9]*.log)
  for f in "${files[@]}"; do
    [ -s "$f" ] || continue
    echo "---- last lines of $f" >&2
    tail -n "${DUMP_LINES:-25}" "$f" >&2
  done
}

slurm_cmd() { "$@"; }  # slurm_cmd CMD...: a Slurm client command

# find_rsim: RSIM_BIN (default: build/rsim of this repository, or rsim on
# PATH) made an absolute path; fails unless it is executable and $PY has h5py.
find_rsim() {
  if [ -z "${RSIM_BIN:-}" ]; then
    if [ -x "$SRC/build/rsim" ]; then RSIM_BIN=$SRC/build/rsim
    elif command -v rsim >/dev/null 2>&1; then RSIM_BIN=$(command -v rsim)
    else fail "no rsim binary: set RSIM_BIN"; fi
  fi
  RSIM_BIN=$(readlink -f "$RSIM_BIN")
  [ -x "$RSIM_BIN" ] || fail "$RSIM_BIN is not executable"
  "$PY" -c 'import h5py' 2>/dev/null || fail "$PY cannot import h5py (apt-get install python3-h5py)"
}

# install_slurm ACTION COMMAND...: installs slurmctld slurmd munge
# slurm-client where missing (idempotent; skips when apt-get cannot), puts
# /usr/sbin on PATH, and calls ACTION (skip or fail) for a COMMAND not found.
install_slurm() {
  local action=$1 p c pkgs=(slurmctld slurmd munge slurm-client) missing=()
  shift
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/rsim-slurm-apt.log 2>&1; then
      apt-get update -qq >>/tmp/rsim-slurm-apt.log 2>&1 || true
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/rsim-slurm-apt.log 2>&1 ||
        skip "cannot install ${missing[*]} (see /tmp/rsim-slurm-apt.log)"
    fi
  fi
  case :$PATH: in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin ;; esac
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || "$action" "$c not found after installing ${pkgs[*]}"
  done
}

stop_pid() {  # stop_pid PID: TERM, then KILL after 10 s
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# cancel_jobs TRIES: while slurmctld ($CTLD_PID) runs, cancels every job in
# the queue and waits up to TRIES x 0.2 s for the queue to empty.
cancel_jobs() {
  local ids
  [ -n "${CTLD_PID:-}" ] || return 0
  kill -0 "$CTLD_PID" 2>/dev/null || return 0
  ids=$(slurm_cmd squeue -h -o %i 2>/dev/null)
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  slurm_cmd scancel $ids 2>/dev/null
  for _ in $(seq 1 "$1"); do
    [ -z "$(slurm_cmd squeue -h -o %i 2>/dev/null)" ] && break
    sleep 0.2
  done
  return 0
}

# remove_work RC: removes $WORK, or keeps it and says where: with
# RSIM_SLURM_KEEP set, or with KEEP_FAILED=1 when RC (the exit code) is not 0.
remove_work() {
  [ -n "$WORK" ] || return 0
  if [ -n "${RSIM_SLURM_KEEP:-}" ] || { [ -n "${KEEP_FAILED:-}" ] && [ "$1" -ne 0 ]; }; then
    say "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}

# trap_cleanup: the test's cleanup runs at exit, also after INT (exit 130)
# and TERM (exit 143).
trap_cleanup() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# start_munged ACTION: munged with a key of its own (made here; ACTION, skip
# or fail, when it cannot be) and its socket SOCK in $WORK/munge, logs in
# $WORK/log; MUNGE_PID.  Waits up to 5 s for the socket.
start_munged() {
  mungekey -c -k "$WORK/munge/munge.key" >/dev/null 2>&1 || "$1" "mungekey could not create a key"
  SOCK=$WORK/munge/munge.socket.2
  munged -F -f --socket="$SOCK" --key-file="$WORK/munge/munge.key" \
    --log-file="$WORK/log/munged.log" --pid-file="$WORK/munge/munged.pid" \
    --seed-file="$WORK/munge/munged.seed" >"$WORK/log/munged.out" 2>&1 &
  MUNGE_PID=$!
  for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; kill -0 "$MUNGE_PID" 2>/dev/null || break; sleep 0.1; done
}

# slurm_conf_common: the slurm.conf settings both tests share (munge at
# $SOCK, state in $WORK, no cgroups, pmix, a quick scheduler, requeue); the
# test adds the cluster's name, hosts, ports, per-daemon files and nodes.
slurm_conf_common() {
  cat <<EOF
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also delays a requeued job's next start (default 120 s)
AuthInfo=socket=$SOCK,cred_expire=5
StateSaveLocation=$WORK/state
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
SchedulerType=sched/backfill
# the main scheduler every second, so a requeued job starts as soon as it may
SchedulerParameters=sched_interval=1,bf_interval=1
EnforcePartLimits=ALL
JobRequeue=1
ReturnToService=2
MailProg=/bin/true
EOF
}

# slurm_env PREFIX...: only our cluster's settings in the environment that
# sbatch hands to jobs: no PREFIX_* variables (SLURM, SBATCH, SRUN, SALLOC,
# ...) from outside; SLURM_CONF=$WORK/slurm.conf and RSIM_BIN exported.
slurm_env() {
  local v re
  re=$(IFS='|'; echo "$*")
  while read -r v; do unset "$v"; done < <(compgen -e | grep -E "^($re)_" || true)
  export SLURM_CONF=$WORK/slurm.conf
  export RSIM_BIN
}

# submit OUTVAR rsim-submit-args...: runs rsim-submit (through slurm_cmd),
# sets OUTVAR to the job id; fails unless it says how to watch the job.
submit() {
  local var=$1 out id
  shift
  out=$(slurm_cmd "$SUBMIT" "$@" 2>&1) || fail "rsim-submit $*: $out"
  id=$(sed -n 's/^rsim-submit: submitted job \([0-9][0-9]*\).*/\1/p' <<<"$out")
  [ -n "$id" ] || fail "rsim-submit printed no job id: $out"
  grep -q "rsim status " <<<"$out" || fail "rsim-submit does not say how to watch the job: $out"
  printf -v "$var" '%s' "$id"
}
# wait_gone ID SECONDS: until the job has left the queue (done, failed or cancelled)
wait_gone() {
  local id=$1 limit=$2 t0=$SECONDS st
  while :; do
    st=$(slurm_cmd squeue -h -j "$id" -o %T 2>/dev/null || true)
    [ -z "$st" ] && return 0
    [ $((SECONDS - t0)) -lt "$limit" ] || fail "job $id still $st after ${limit}s"
    sleep 0.5
  done
}
# wait_log FILE TEXT SECONDS
wait_log() {
  local f=$1 text=$2 limit=$3 t0=$SECONDS
  until [ -f "$f" ] && grep -qF -- "$text" "$f"; do
    [ $((SECONDS - t0)) -lt "$limit" ] || fail "no '$text' in $f after ${limit}s: $(cat "$f" 2>/dev/null)"
    sleep 0.2
  done
}
# wait_done STATUS_JSON N SECONDS: until the running job reports at least N tasks done
wait_done() {
  local f=$1 n=$2 limit=$3 t0=$SECONDS d
  while :; do
    d=$(sed -n 's/^  "done": \([0-9]*\),.*/\1/p' "$f" 2>/dev/null | head -1 || true)  # the top-level count
    [ -n "$d" ] && [ "$d" -ge "$n" ] && grep -q '"state": "running"' "$f" && return 0
    [ $((SECONDS - t0)) -lt "$limit" ] || fail "fewer than $n tasks done after ${limit}s (status: $(cat "$f" 2>/dev/null))"
    sleep 0.2
  done
}

# busy_grid FOLDER REPLICATES MS NAME [CHECKPOINT]: FOLDER/grid.toml, job
# NAME (output NAME.h5) of busy_wait tasks of MS ms each; with CHECKPOINT,
# [schedule] checkpoint = CHECKPOINT.
busy_grid() {
  mkdir -p "$1"
  {
    cat <<EOF
[job]
name = "$4"
output = "$4.h5"
seed = 6
replicates = $2

[task]
backend = "native"
kernel = "busy_wait"

[args]
ms = $3
EOF
    [ -z "${5:-}" ] || printf '\n[schedule]\ncheckpoint = "%s"\n' "$5"
  } >"$1/grid.toml"
}
