#!/usr/bin/env bash
# End-to-end test of slurm/ (rsim.sbatch and rsim-submit) on a real Slurm:
# munged, slurmctld and slurmd started here on localhost (2 CPUs) with a
# slurm.conf of our own under a temp folder.
#
#   1. rsim-submit --dry-run writes a valid script; the power study (4 x 4 x 2
#      grid, 200 replicates, native kernel) submitted at 2 tasks under
#      srun --mpi=pmix gives a complete result file equal to a local run.
#   2. The time-limit signal (USR1 to the batch script, as --signal=B:USR1
#      sends it) mid-run: rsim commits and exits 4, the script requeues the
#      job, the next start resumes and finishes with complete results.
#   3. The mpirun launcher, USR1 sent with --full, and --max-requeues 0:
#      not requeued; submitting the written script again resumes and finishes.
#
# Results are checked in the HDF5 file itself, never by Slurm's exit codes
# (proctrack problems can make a failed job look COMPLETED).  Needs root:
# installs slurmctld slurmd munge slurm-client when missing.  Prints
# "SKIPPED: ..." and exits 0 only when the daemons cannot be started here.
#
# Environment: RSIM_BIN (default: build/rsim of this repository, or rsim on
# PATH), RSIM_SOURCE_DIR, RSIM_SLURM_KEEP=1 keeps the temp folder.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${RSIM_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}
SUBMIT=$SRC/slurm/rsim-submit
PY=/usr/bin/python3
T0=$(date +%s)

say() { echo "slurm-e2e: $*"; }
pass() { echo "ok: $*"; }
skip() {
  echo "SKIPPED: Slurm end-to-end test: $*"
  exit 0
}

if [ -z "${RSIM_BIN:-}" ]; then
  if [ -x "$SRC/build/rsim" ]; then RSIM_BIN=$SRC/build/rsim
  elif command -v rsim >/dev/null 2>&1; then RSIM_BIN=$(command -v rsim)
  else echo "FAIL: no rsim binary: set RSIM_BIN" >&2; exit 1; fi
fi
RSIM_BIN=$(readlink -f "$RSIM_BIN")
[ -x "$RSIM_BIN" ] || { echo "FAIL: $RSIM_BIN is not executable" >&2; exit 1; }
"$PY" -c 'import h5py' 2>/dev/null || { echo "FAIL: $PY cannot import h5py (apt-get install python3-h5py)" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root to install and start munged, slurmctld and slurmd"

# ---- packages (idempotent) ----
pkgs=(slurmctld slurmd munge slurm-client)
missing=()
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
for c in munged mungekey slurmctld slurmd sbatch squeue scancel scontrol sinfo; do
  command -v "$c" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
  command -v "$c" >/dev/null 2>&1 || skip "$c not found after installing ${pkgs[*]}"
done

# ---- a private Slurm under a temp folder ----
WORK=$(mktemp -d /tmp/rsim-slurm.XXXXXX)
chmod 700 "$WORK"
mkdir -p "$WORK"/{munge,state,spool,log}
chmod 700 "$WORK/munge"
MUNGE_PID='' CTLD_PID='' SLURMD_PID=''

dump_logs() {
  local f
  for f in "$WORK"/log/*.log "$WORK"/*/*-[0-9]*.log; do
    [ -f "$f" ] || continue
    echo "---- last lines of $f" >&2
    tail -n 25 "$f" >&2
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

cleanup() {
  local rc=$? ids
  set +e
  if [ -n "$CTLD_PID" ] && kill -0 "$CTLD_PID" 2>/dev/null; then
    ids=$(squeue -h -o %i 2>/dev/null)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      scancel $ids 2>/dev/null
      for _ in $(seq 1 75); do
        [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
        sleep 0.2
      done
    fi
  fi
  stop_pid "$SLURMD_PID"
  stop_pid "$CTLD_PID"
  stop_pid "$MUNGE_PID"
  if [ "$rc" -ne 0 ] || [ -n "${RSIM_SLURM_KEEP:-}" ]; then
    say "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "FAIL: $*" >&2
  dump_logs
  exit 1
}

# Two TCP ports nobody listens on or uses.
used_ports() {
  local _sl addr _rest
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | while read -r _sl addr _rest; do
    case $addr in *:*) echo $((16#${addr##*:})) ;; esac
  done | sort -u
}
pick_port() {
  local used p
  used=$(used_ports)
  while :; do
    p=$((20000 + RANDOM % 20000))
    grep -qx "$p" <<<"$used" || grep -qx "$p" <<<"${PORTS_TAKEN:-}" || break
  done
  echo "$p"
}
CTLD_PORT=$(pick_port)
PORTS_TAKEN=$CTLD_PORT
SLURMD_PORT=$(pick_port)

# munged with its own key and socket.
mungekey -c -k "$WORK/munge/munge.key" >/dev/null 2>&1 || skip "mungekey could not create a key"
SOCK=$WORK/munge/munge.socket.2
munged -F -f --socket="$SOCK" --key-file="$WORK/munge/munge.key" \
  --log-file="$WORK/log/munged.log" --pid-file="$WORK/munge/munged.pid" \
  --seed-file="$WORK/munge/munged.seed" >"$WORK/log/munged.out" 2>&1 &
MUNGE_PID=$!
for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; kill -0 "$MUNGE_PID" 2>/dev/null || break; sleep 0.1; done
if ! munge -n -S "$SOCK" 2>/dev/null | unmunge -S "$SOCK" >/dev/null 2>&1; then
  tail -n 5 "$WORK/log/munged.log" "$WORK/log/munged.out" 2>/dev/null || true
  skip "munged does not start here"
fi

MEM_MB=$(awk '/^MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)
cat >"$WORK/slurm.conf" <<EOF
# A one-node Slurm for tests/slurm/run.sh (see docs/slurm.md).
ClusterName=rsimtest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
# cred_expire also delays a requeued job's next start (default 120 s)
AuthInfo=socket=$SOCK,cred_expire=5
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
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
KillWait=10
NodeName=localhost CPUs=2 RealMemory=$MEM_MB State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

# Only our cluster's settings in the environment that sbatch hands to jobs.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(SLURM|SBATCH|SRUN|SALLOC)_' || true)
export SLURM_CONF=$WORK/slurm.conf
# Open MPI refuses root otherwise (needed by mpirun in case 3; srun does not need it).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export RSIM_BIN

slurmctld -D -i >"$WORK/log/slurmctld.out" 2>&1 &
CTLD_PID=$!
slurmd -D -N localhost >"$WORK/log/slurmd.out" 2>&1 &
SLURMD_PID=$!
up=
for _ in $(seq 1 150); do
  kill -0 "$CTLD_PID" 2>/dev/null || break
  kill -0 "$SLURMD_PID" 2>/dev/null || break
  if [ "$(sinfo -h -n localhost -o %t 2>/dev/null)" = idle ]; then up=1; break; fi
  sleep 0.2
done
if [ -z "$up" ]; then
  if ! kill -0 "$CTLD_PID" 2>/dev/null || ! kill -0 "$SLURMD_PID" 2>/dev/null; then
    tail -n 5 "$WORK"/log/slurm*.log "$WORK"/log/slurm*.out 2>/dev/null || true
    skip "slurmctld or slurmd exited at start-up"
  fi
  fail "the node did not come up within 30 s: $(sinfo 2>&1)"
fi
say "Slurm $(sinfo -V | awk '{print $2}') up on localhost (ports $CTLD_PORT, $SLURMD_PORT) in $WORK"

# ---- helpers ----
# submit OUTVAR rsim-submit-args...: runs rsim-submit, sets OUTVAR to the job id
submit() {
  local var=$1 out id
  shift
  out=$("$SUBMIT" "$@" 2>&1) || fail "rsim-submit $*: $out"
  id=$(sed -n 's/^rsim-submit: submitted job \([0-9][0-9]*\).*/\1/p' <<<"$out")
  [ -n "$id" ] || fail "rsim-submit printed no job id: $out"
  grep -q "rsim status " <<<"$out" || fail "rsim-submit does not say how to watch the job: $out"
  printf -v "$var" '%s' "$id"
}
# wait_gone ID SECONDS: until the job has left the queue (done, failed or cancelled)
wait_gone() {
  local id=$1 limit=$2 t0=$SECONDS st
  while :; do
    st=$(squeue -h -j "$id" -o %T 2>/dev/null || true)
    [ -z "$st" ] && return 0
    [ $((SECONDS - t0)) -lt "$limit" ] || fail "job $id still $st after ${limit}s"
    sleep 0.5
  done
}
# wait_log FILE TEXT SECONDS
wait_log() {
  local f=$1 text=$2 limit=$3 t0=$SECONDS
  until [ -f "$f" ] && grep -qF -- "$text" "$f"; do
    [ $((SECONDS - t0)) -lt "$limit" ] || fail "no '$text' in $f after ${limit}s"
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
# check_h5 FILE N_TASKS RANKS: complete, every task ok, every column full
check_h5() {
  "$PY" - "$@" <<'EOF' || fail "result file $1 is not complete and ok"
import sys, h5py, numpy as np
path, n, ranks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with h5py.File(path, "r") as f:
    a = f.attrs
    errs = []
    for key, want in (("n_tasks", n), ("n_ok", n), ("n_failed", 0), ("n_not_run", 0), ("complete", 1), ("n_ranks", ranks)):
        if int(a[key]) != want:
            errs.append(f"{key} = {a[key]}, wanted {want}")
    st = f["tasks/status"][:]
    if st.shape != (n,) or np.any(st != 0):
        errs.append(f"tasks/status: {np.count_nonzero(st != 0)} of {st.size} not ok")
    for name, ds in f["results"].items():
        if ds.shape[0] != n:
            errs.append(f"results/{name} has {ds.shape[0]} rows")
    if len(f["errors/task"]) != 0:
        errs.append("errors recorded")
    if errs:
        print(path + ": " + "; ".join(errs), file=sys.stderr)
        sys.exit(1)
    print(f"{path}: {n} tasks, all ok, complete = 1, {ranks} ranks")
EOF
}

# ---- 1. the power study, srun --mpi=pmix at 2 tasks ----
mkdir -p "$WORK/power"
sed 's/^replicates *=.*/replicates = 200/' "$SRC/examples/power/grid.toml" >"$WORK/power/grid.toml"
grep -q '^replicates = 200' "$WORK/power/grid.toml" || fail "could not make the smaller power grid"

dry=$("$SUBMIT" --dry-run "$WORK/power/grid.toml" --ntasks=2 --time=5 --mem-per-cpu=200M 2>&1) ||
  fail "rsim-submit --dry-run: $dry"
S=$WORK/power/grid.sbatch
[ -x "$S" ] || fail "rsim-submit --dry-run wrote no $S"
bash -n "$S" || fail "$S is not valid bash"
grep -qx "grid=$WORK/power/grid.toml" "$S" || fail "$S lacks the grid path"
grep -qx "rsim=$RSIM_BIN" "$S" || fail "$S lacks the rsim path"
grep -qx '#SBATCH --job-name=ttest-power' "$S" || fail "$S lacks the job name"
grep -qx "#SBATCH --output=$WORK/power/grid-%j.log" "$S" || fail "$S lacks the log path"
grep -qF "would run: sbatch --ntasks=2 --time=5 --mem-per-cpu=200M $S" <<<"$dry" || fail "dry run: $dry"
grep -q '^#SBATCH --signal=B:USR1@' <<<"$dry" || fail "dry run does not print the script"
[ -z "$(squeue -h -o %i)" ] || fail "--dry-run submitted a job"
pass "rsim-submit --dry-run writes and prints $S"

submit JOB1 "$WORK/power/grid.toml" --ntasks=2 --time=5 --mem-per-cpu=200M
wait_gone "$JOB1" 90
LOG1=$WORK/power/grid-$JOB1.log
grep -q "rsim: done: every task ok (exit 0)" "$LOG1" || fail "job $JOB1 did not finish ok: $(cat "$LOG1")"
grep -q "on 2 ranks" "$LOG1" || fail "job $JOB1 did not run on 2 ranks"
check_h5 "$WORK/power/ttest-power.h5" 6400 2
"$RSIM_BIN" "$WORK/power/grid.toml" -q -o "$WORK/power/local.h5" >/dev/null
"$PY" "$SRC/tests/e2e/compare_h5.py" "$WORK/power/ttest-power.h5" "$WORK/power/local.h5" >/dev/null ||
  fail "the Slurm result differs from a local 1-rank run"
pass "power study (6400 tasks) under srun --mpi=pmix at 2 tasks: complete, equal to a local run (job $JOB1)"

# ---- 2. the time-limit signal mid-run: requeue and resume ----
busy_grid() {  # busy_grid FOLDER REPLICATES
  mkdir -p "$1"
  cat >"$1/grid.toml" <<EOF
[job]
name = "busy"
output = "busy.h5"
seed = 6
replicates = $2

[task]
backend = "native"
kernel = "busy_wait"

[args]
ms = 2.0
EOF
}
busy_grid "$WORK/busy" 12000
submit JOB2 "$WORK/busy/grid.toml" --ntasks=2 --time=10 --mem-per-cpu=200M --max-requeues 3
LOG2=$WORK/busy/grid-$JOB2.log
wait_done "$WORK/busy/busy.h5.status.json" 1000 60
# What --signal=B:USR1@300 does before the time limit: USR1 to the batch shell only.
scancel --batch --signal=USR1 "$JOB2"
wait_log "$LOG2" "rsim: requeue 1 of 3" 30
wait_log "$LOG2" "(restart 1 of at most 3)" 60
wait_gone "$JOB2" 120
grep -q "interrupted by a signal" "$LOG2" || fail "rsim did not report the interruption: $(cat "$LOG2")"
grep -q "rsim: resuming: [1-9][0-9]* of 12000 tasks already committed" "$LOG2" ||
  fail "the requeued job did not resume: $(cat "$LOG2")"
grep -q "rsim: done: every task ok (exit 0)" "$LOG2" || fail "job $JOB2 did not finish ok: $(cat "$LOG2")"
grep -q '"resumed_from": [1-9]' "$WORK/busy/busy.h5.status.json" || fail "status file: not resumed"
check_h5 "$WORK/busy/busy.h5" 12000 2
[ ! -e "$WORK/busy/busy.h5.ckpt" ] || fail "checkpoint folder left behind"
committed=$(sed -n 's/.*interrupted by a signal; \([0-9]*\) of.*/\1/p' "$LOG2" | head -n 1)
# `rsim status` (what rsim-submit tells the user to run) is informational here.
if st=$("$RSIM_BIN" status "$WORK/busy/busy.h5" 2>&1); then
  say "rsim status after the job: $(tr '\n' ' ' <<<"$st" | tr -s ' ')"
else
  say "note: rsim status is not available in this build: $(head -n 1 <<<"$st")"
fi
pass "USR1 to the batch script mid-run: rsim exit 4 after $committed committed, requeued once, resumed, complete (job $JOB2)"

# ---- 3. mpirun, USR1 with --full, no requeue allowed; resubmit resumes ----
busy_grid "$WORK/busy3" 8000
submit JOB3 "$WORK/busy3/grid.toml" --ntasks=2 --time=10 --launcher mpirun --max-requeues 0
LOG3=$WORK/busy3/grid-$JOB3.log
wait_done "$WORK/busy3/busy.h5.status.json" 500 60
scancel --full --signal=USR1 "$JOB3"
wait_gone "$JOB3" 60
grep -q "launcher mpirun" "$LOG3" || fail "job $JOB3 did not use mpirun"
grep -q "requeue limit reached (0 of 0): not requeued" "$LOG3" || fail "job $JOB3: $(cat "$LOG3")"
[ -d "$WORK/busy3/busy.h5.ckpt" ] && [ ! -e "$WORK/busy3/busy.h5" ] || fail "job $JOB3: expected checkpoints and no result file"
out=$(sbatch --parsable --ntasks=2 --time=10 "$WORK/busy3/grid.sbatch") || fail "sbatch: $out"
JOB4=${out%%;*}
wait_gone "$JOB4" 90
LOG4=$WORK/busy3/grid-$JOB4.log
grep -q "rsim: resuming: [1-9][0-9]* of 8000 tasks already committed" "$LOG4" || fail "job $JOB4 did not resume: $(cat "$LOG4")"
grep -q "rsim: done: every task ok (exit 0)" "$LOG4" || fail "job $JOB4 did not finish ok: $(cat "$LOG4")"
check_h5 "$WORK/busy3/busy.h5" 8000 2
pass "mpirun launcher: USR1 (--full) stops it, --max-requeues 0 keeps it stopped, sbatch of the written script resumes and completes (jobs $JOB3, $JOB4)"

say "all Slurm end-to-end checks passed in $(($(date +%s) - T0)) s"
