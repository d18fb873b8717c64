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

TEST_NAME=slurm-e2e TEST_TITLE="Slurm end-to-end test" SKIP_CODE=0  # ctest has no skip code for it
# shellcheck source=tests/slurm/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
find_rsim

[ "$(id -u)" -eq 0 ] || skip "needs root to install and start munged, slurmctld and slurmd"
install_slurm skip munged mungekey slurmctld slurmd sbatch squeue scancel scontrol sinfo

# ---- a private Slurm under a temp folder ----
WORK=$(mktemp -d /tmp/rsim-slurm.XXXXXX)
chmod 700 "$WORK"
mkdir -p "$WORK"/{munge,state,spool,log}
chmod 700 "$WORK/munge"
MUNGE_PID='' CTLD_PID='' SLURMD_PID=''
KEEP_FAILED=1  # remove_work keeps the temp folder after a failure

cleanup() {
  local rc=$?
  set +e
  cancel_jobs 75
  stop_pid "$SLURMD_PID"
  stop_pid "$CTLD_PID"
  stop_pid "$MUNGE_PID"
  remove_work "$rc"
  exit "$rc"
}
trap_cleanup

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
start_munged skip
if ! munge -n -S "$SOCK" 2>/dev/null | unmunge -S "$SOCK" >/dev/null 2>&1; then
  tail -n 5 "$WORK/log/munged.log" "$WORK/log/munged.out" 2>/dev/null || true
  skip "munged does not start here"
fi

MEM_MB=$(awk '/^MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)
{
  cat <<EOF
# A one-node Slurm for tests/slurm/run.sh (see docs/slurm.md).
ClusterName=rsimtest
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
KillWait=10
NodeName=localhost CPUs=2 RealMemory=$MEM_MB State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  slurm_conf_common
} >"$WORK/slurm.conf"

slurm_env SLURM SBATCH SRUN SALLOC  # only our cluster's settings in the environment sbatch hands to jobs
# Open MPI refuses root otherwise (needed by mpirun in case 3; srun does not need it).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

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

# ---- helpers (submit, wait_gone, wait_log, wait_done, busy_grid: lib.sh) ----
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
busy_grid "$WORK/busy" 12000 2.0 busy
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
busy_grid "$WORK/busy3" 8000 2.0 busy
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
