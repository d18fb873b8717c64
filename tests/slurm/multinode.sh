#!/usr/bin/env bash
# Slurm with several nodes, on one machine: a real Slurm 22.05 cluster of
# three compute nodes and a head node, each node a network namespace with
# its own host name (ip netns + unshare --uts), joined by a bridge in a
# fifth namespace; one slurmd per node (slurmd -N <node>, NodeAddr = the
# namespace's address), slurmctld on the head node, one munged whose unix
# socket (on the shared file system) every namespace reaches.  Jobs are
# submitted from the head node with slurm/rsim-submit and run with
# srun --mpi=pmix across the nodes; MPI between nodes is TCP over the veth
# links (distinct host names: no shared memory between nodes).
#
#   1. the power study (native kernel) on 3 nodes x 2 ranks: ranks on every
#      node (the status feed's hosts, the result file's runs attribute and
#      /tasks/rank), and the file equals a one-host mpirun run;
#   2. an R study on 3 nodes x 1 rank, likewise (when rsim has R);
#   3. the walltime path for real: --time=1 --signal=B:USR1@20 on 2 nodes;
#      Slurm itself sends SIGUSR1 to the batch script before the time limit,
#      srun passes it to the ranks on both nodes, rsim exits 4, the script
#      requeues the job (scontrol requeue), the next start resumes (again,
#      until the work is done), and the file equals an uninterrupted
#      one-host run.  While it runs, the ranks of the second node hold TCP
#      connections to the first.
#
# Results are checked in the HDF5 file, never by Slurm's exit codes alone.
# Needs root (ip netns, nsenter, unshare, the daemons) and the packages slurmctld
# slurmd munge slurm-client (installed when missing).  Exits 77 (ctest:
# skipped, with the reason printed) only when not root or the packages
# cannot be installed; anything else that does not work here is a failure.
#
# Environment: RSIM_BIN, RSIM_SOURCE_DIR, RSIM_WITH_R (0/OFF: no R study;
# the walltime study then uses the busy_wait kernel), RSIM_SLURM_TMPDIR (the
# "shared file system", default /var/tmp), RSIM_SLURM_KEEP=1 keeps the temp
# folder (and prints where).
set -euo pipefail

TEST_NAME=slurm-multinode TEST_TITLE="Slurm multi-node test" SKIP_CODE=77  # ctest: SKIP_RETURN_CODE 77
# shellcheck source=tests/slurm/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/lib/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/netns.sh"
DUMP_OUT=1 DUMP_LINES=30  # dump_logs: the daemons' *.out files too
find_rsim
command -v mpirun >/dev/null || fail "mpirun not found (the one-host reference runs need it)"

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, munged, slurmctld, slurmd)"
command -v ip >/dev/null || fail "ip (iproute2) is not installed; this test needs ip netns"
command -v unshare >/dev/null || fail "unshare (util-linux) not found"
install_slurm fail munged mungekey munge unmunge slurmctld slurmd sbatch squeue scancel scontrol sinfo srun

case ${RSIM_WITH_R:-1} in
  0|[Oo][Ff][Ff]|[Nn][Oo]|[Ff][Aa][Ll][Ss][Ee]) HAVE_R= ;;
  *) if command -v Rscript >/dev/null; then HAVE_R=1; else HAVE_R=; fi ;;
esac

# ---- names ----
netns_init sm
TAG=$NETNS_TAG                                    # unique per run (tests/lib/netns.sh)
SW=${TAG}sw                                       # the switch (bridge br0)
HD=${TAG}hd                                       # the head node: slurmctld, sbatch, squeue
NODES=("${TAG}n1" "${TAG}n2" "${TAG}n3")           # compute nodes: one slurmd each
N1=${NODES[0]} N2=${NODES[1]} N3=${NODES[2]}
# Addresses (NETNS_ADDR, made by netns_bridge): the head node NET.10, the
# compute nodes NET.11-13, in a private /24 only used inside our namespaces.

# Not under /tmp: each node has a /tmp of its own (below); this folder is the
# cluster's shared file system.
WORK=$(mktemp -d "${RSIM_SLURM_TMPDIR:-/var/tmp}/rsim-slurm-mn.XXXXXX")
chmod 755 "$WORK"
mkdir -p "$WORK"/{munge,state,spool,log,run}
# Daemons, sbatch and srun start here: a folder every node sees (ctest's own
# working folder may be under /tmp, which the nodes do not share; slurmstepd
# then says "Unable to return to working directory" and jobs start in /tmp).
cd "$WORK"
chmod 700 "$WORK/munge"
# The program too must be on the shared file system: a build under /tmp
# (node-local here, as /tmp is on a real cluster) is copied onto it.
case "$RSIM_BIN" in
  /tmp/*) mkdir -p "$WORK/bin" && cp "$RSIM_BIN" "$WORK/bin/rsim" && RSIM_BIN=$WORK/bin/rsim ;;
esac
MUNGE_PID='' CTLD_PID=''
declare -A SLURMD_PID=()

cleanup() {
  local rc=$? n
  set +e
  trap - INT TERM
  cancel_jobs 50
  for n in "${!SLURMD_PID[@]}"; do stop_pid "${SLURMD_PID[$n]}"; done
  stop_pid "$CTLD_PID"
  # What is left in our namespaces (job steps, ranks) was started by our daemons.
  netns_teardown "$TEST_NAME"
  stop_pid "$MUNGE_PID"
  remove_work "$rc"
  exit "$rc"
}
trap_cleanup

# ns_cmd NS [local-tmp]: NETNS_CMD = the prefix that runs a command inside
# network namespace NS, under host name NS (a UTS namespace of its own), in a
# mount namespace of its own with $WORK/hosts as /etc/hosts (the machine's
# /etc/hosts is not touched) and, for a compute node ("local-tmp"), a tmpfs of
# its own on /tmp: a node-local /tmp as on a real node (Slurm's PMIx plugin
# makes /tmp/spmix_appdir_<uid>_<job>.<step> on every node of a step; one
# shared /tmp makes the second node fail with "File exists").  Everything
# else, $WORK included, is the machine's file system, shared by all nodes.
# nsenter, not `ip netns exec`: that one mounts a fresh /sys without the
# cgroup hierarchy, and slurmd does not start without it.
NETNS_ENTER=nsenter
# shellcheck disable=SC2016  # $0 and $HOSTS_FILE are the inner sh's
ns_cmd() {
  local pre='mount --bind "$HOSTS_FILE" /etc/hosts'
  [ "${2:-}" != local-tmp ] || pre="$pre"' && mount -t tmpfs -o mode=1777,size=256m "tmp-$0" /tmp'
  netns_cmd "$1" "$pre"
}
in_ns() { ns_cmd "$1"; shift; "${NETNS_CMD[@]}" "$@"; }
hd() { in_ns "$HD" "$@"; }  # a Slurm client command on the head node
slurm_cmd() { hd "$@"; }    # (lib.sh's submit, wait_gone, cancel_jobs)

# ---- the network: a bridge, the head node and three compute nodes ----
netns_bridge "this test" "$SW" 10 "$HD" "${NODES[@]}"
# The cluster's /etc/hosts, seen by every namespace through in_ns.
HOSTS_FILE=$WORK/hosts
{
  echo "127.0.0.1 localhost"
  netns_hosts
} >"$HOSTS_FILE"
export HOSTS_FILE

# ---- munged: one for the cluster, its socket on the shared file system ----
start_munged fail
# A credential made on one node must decode on another (path-named unix
# sockets are not per network namespace).
cred=$(in_ns "$N2" munge -n -S "$SOCK" 2>&1) || fail "munge on $N2 cannot reach munged at $SOCK: $cred"
dec=$(in_ns "$HD" unmunge -S "$SOCK" <<<"$cred" 2>&1) || fail "unmunge on $HD: $dec"

# ---- slurm.conf ----
MEM_MB=$(awk '/^MemTotal/ { print int($2 / 1024 * 0.8 / 3) }' /proc/meminfo)
{
  cat <<EOF
# A 3-node Slurm on one machine for tests/slurm/multinode.sh (docs/slurm.md).
# Every daemon has a namespace (and an address) of its own, so the default
# ports serve; per-node files use %n (the node name given to slurmd -N).
ClusterName=rsimmn
SlurmctldHost=$HD(${NETNS_ADDR[$HD]})
SlurmctldPort=6817
SlurmdPort=6818
SlurmdSpoolDir=$WORK/spool/%n
SlurmctldPidFile=$WORK/run/slurmctld.pid
SlurmdPidFile=$WORK/run/slurmd-%n.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd-%n.log
KillWait=5
EOF
  slurm_conf_common
  for n in "${NODES[@]}"; do
    echo "NodeName=$n NodeAddr=${NETNS_ADDR[$n]} CPUs=2 RealMemory=$MEM_MB State=UNKNOWN"
  done
  echo "PartitionName=test Nodes=$N1,$N2,$N3 Default=YES MaxTime=INFINITE State=UP"
} >"$WORK/slurm.conf"

slurm_env SLURM SBATCH SRUN SALLOC PMIX OMPI  # only our cluster's settings in the environment sbatch hands to jobs

# ---- the daemons, each in its namespace under its node's name ----
# (exec at every level: $! is the daemon's own process id)
ns_cmd "$HD"
( exec "${NETNS_CMD[@]}" slurmctld -D -i ) \
  >"$WORK/log/slurmctld.out" 2>&1 &
CTLD_PID=$!
for n in "${NODES[@]}"; do
  mkdir -p "$WORK/spool/$n"
  ns_cmd "$n" local-tmp
  ( exec "${NETNS_CMD[@]}" slurmd -D -N "$n" ) \
    >"$WORK/log/slurmd-$n.out" 2>&1 &
  SLURMD_PID[$n]=$!
done
up=
for _ in $(seq 1 150); do
  kill -0 "$CTLD_PID" 2>/dev/null || fail "slurmctld exited at start-up"
  for n in "${NODES[@]}"; do kill -0 "${SLURMD_PID[$n]}" 2>/dev/null || fail "slurmd of $n exited at start-up"; done
  if [ "$(hd sinfo -h -N -o '%N %t' 2>/dev/null | sort | tr '\n' ' ')" = "$N1 idle $N2 idle $N3 idle " ]; then up=1; break; fi
  sleep 0.2
done
[ -n "$up" ] || fail "the 3 nodes did not come up idle within 30 s: $(hd sinfo -N 2>&1)"
say "Slurm $(sinfo -V | awk '{print $2}'): slurmctld on $HD (${NETNS_ADDR[$HD]}), slurmd on $N1 $N2 $N3 (${NETNS_ADDR[$N1]}-${NETNS_ADDR[$N3]##*.}); $WORK"
hd sinfo -N -o '%N %t %c %o' | sed 's/^/    /'

# The nodes are separate hosts: a step over the 3 nodes sees 3 host names and
# 3 network namespaces.
out=$(hd srun -N3 -n3 -l --mpi=none sh -c 'echo "$(hostname) $(readlink /proc/self/ns/net)"' 2>"$WORK/srun.err") ||
  fail "srun -N3 hostname: $out $(cat "$WORK/srun.err")"
[ ! -s "$WORK/srun.err" ] || fail "srun -N3 hostname printed errors: $(cat "$WORK/srun.err")"
names=$(awk '{print $2}' <<<"$out" | sort -u | tr '\n' ' ')
[ "$names" = "$N1 $N2 $N3 " ] || fail "srun -N3: host names '$names', wanted '$N1 $N2 $N3': $out"
[ "$(awk '{print $3}' <<<"$out" | sort -u | wc -l)" -eq 3 ] || fail "srun -N3: not 3 network namespaces: $out"
pass "3 nodes idle; srun -N3 runs on $N1, $N2 and $N3 (3 host names, 3 network namespaces)"

# ---- helpers (submit, wait_gone, wait_log, wait_done, busy_grid: lib.sh) ----
same_as() {  # same_as REF FILE WHAT
  "$PY" "$SRC/tests/e2e/compare_h5.py" "$1" "$2" >"$WORK/diff" 2>&1 ||
    fail "$3: differs from the one-host mpirun run: $(tail -5 "$WORK/diff")"
}
# one_host OUT TOML: the reference, plain mpirun on this machine at 2 ranks
one_host() {
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    mpirun -n 2 --oversubscribe "$RSIM_BIN" "$2" -q -o "$1" >"$WORK/ref.out" 2>&1 ||
    fail "one-host reference run of $2: $(cat "$WORK/ref.out")"
}
# check_nodes H5 N RANKS HOSTS...: complete, every task ok, N tasks; the last
# run of `runs` was on exactly these hosts (rank order); the status feed's
# `hosts` gives every host its ranks; prints tasks per host from /tasks/rank.
# RSIM_MN_EVERY=1: every host must have run tasks; RSIM_MN_INTERRUPTED=1:
# the runs before the last were interrupted (on the same hosts), else one run.
check_nodes() {
  "$PY" - "$@" <<'EOF' || fail "result file $1: see above"
import json, os, sys, h5py
path, n, ranks, hosts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
errs = []
with h5py.File(path, "r") as f:
    a = f.attrs
    for key, want in (("n_tasks", n), ("n_ok", n), ("n_failed", 0), ("n_not_run", 0), ("complete", 1)):
        if int(a[key]) != want:
            errs.append(f"{key} = {a[key]}, wanted {want}")
    runs = json.loads(a["runs"])
    last = runs[-1]
    if last["hosts"] != hosts or last["ranks"] != ranks or last["state"] != "finished":
        errs.append(f"last run: {last}, wanted finished on {ranks} ranks, hosts {hosts}")
    if os.environ.get("RSIM_MN_INTERRUPTED"):  # earlier runs: interrupted, on the same hosts
        if len(runs) < 2 or any(r["state"] != "interrupted" or r["hosts"] != hosts for r in runs[:-1]):
            errs.append(f"runs before the last: {runs[:-1]}, wanted at least one, each interrupted on {hosts}")
    elif len(runs) != 1:
        errs.append(f"{len(runs)} runs, wanted 1: {runs}")
    rank = f["tasks/rank"][:]
with open(path + ".status.json") as s:
    st = json.load(s)
feed = st.get("hosts", [])
per = ranks // len(hosts)
want_feed = [(h, list(range(i * per, (i + 1) * per))) for i, h in enumerate(hosts)]
if [(h.get("host"), h.get("ranks")) for h in feed] != want_feed:
    errs.append(f"status feed hosts: {feed}, wanted {want_feed}")
host_of = {r: h["host"] for h in feed for r in h.get("ranks", [])}
count = {h: 0 for h in hosts}
for r in rank:
    count[host_of.get(int(r), "?")] = count.get(host_of.get(int(r), "?"), 0) + 1
if os.environ.get("RSIM_MN_EVERY") and any(count[h] == 0 for h in hosts):
    errs.append(f"a host ran no task: {count}")
if errs:
    print(path + ": " + "; ".join(errs), file=sys.stderr)
    sys.exit(1)
print(f"    {os.path.basename(path)}: {n} tasks ok, complete; runs: " +
      "; ".join(f"{r['state']} {r['ranks']} ranks on {','.join(r['hosts'])}" for r in runs))
print("    status feed hosts: " + ", ".join(f"{h['host']} ranks {h['ranks']}" for h in feed))
print("    tasks per host (/tasks/rank): " + ", ".join(f"{h} {c}" for h, c in count.items()))
EOF
}

# ---- 1. the power study (native) on 3 nodes x 2 ranks ----
mkdir -p "$WORK/power"
sed 's/^replicates *=.*/replicates = 50/' "$SRC/examples/power/grid.toml" >"$WORK/power/grid.toml"
grep -q '^replicates = 50' "$WORK/power/grid.toml" || fail "could not make the smaller power grid"
one_host "$WORK/power/ref.h5" "$WORK/power/grid.toml"
submit JOB1 "$WORK/power/grid.toml" --nodes=3 --ntasks-per-node=2 --ntasks=6 --time=5 --mem-per-cpu=200M
wait_gone "$JOB1" 120
LOG1=$WORK/power/grid-$JOB1.log
grep -q "rsim: done: every task ok (exit 0)" "$LOG1" || fail "job $JOB1 did not finish ok: $(cat "$LOG1")"
grep -q "on $N1,$N2,$N3: 6 ranks\|on ${TAG}n\[1-3\]: 6 ranks" "$LOG1" || fail "job $JOB1 did not get the 3 nodes: $(head -3 "$LOG1")"
grep -q "on 6 ranks" "$LOG1" || fail "job $JOB1 did not run on 6 ranks: $(cat "$LOG1")"
check_nodes "$WORK/power/ttest-power.h5" 1600 6 "$N1" "$N2" "$N3"
same_as "$WORK/power/ref.h5" "$WORK/power/ttest-power.h5" "power study on 3 nodes"
sed 's/^/    log: /' "$LOG1"
pass "power study (1600 tasks) under srun --mpi=pmix on 3 nodes x 2 ranks: ranks on every node, equals a one-host mpirun run (job $JOB1)"

# ---- the R study (sleep: timing only, the results do not depend on it) ----
r_grid() {  # r_grid FOLDER REPLICATES
  mkdir -p "$1"
  cat >"$1/sim.R" <<'R'
f <- function(mu, k) {
  s <- as.numeric(Sys.getenv("RSIM_MN_SLEEP", "0"))
  if (s > 0) Sys.sleep(s)
  x <- rnorm(k, mu)
  list(mean = mean(x), sd = sd(x), label = sprintf("mu=%g", mu), above = x[1] > mu)
}
R
  cat >"$1/grid.toml" <<EOF
[job]
name = "mn-r"
output = "mn-r.h5"
seed = 20261203
replicates = $2

[task]
backend = "r"
script = "sim.R"
function = "f"

[grid]
mu = [0.0, 0.5, 1.0]
k = [10, 40]

[schedule]
checkpoint = "1s"
EOF
}

# ---- 2. the R study on 3 nodes x 1 rank ----
if [ -n "$HAVE_R" ]; then
  r_grid "$WORK/r" 50
  one_host "$WORK/r/ref.h5" "$WORK/r/grid.toml"
  submit JOB2 "$WORK/r/grid.toml" --nodes=3 --ntasks-per-node=1 --ntasks=3 --time=5 --mem-per-cpu=300M
  wait_gone "$JOB2" 120
  LOG2=$WORK/r/grid-$JOB2.log
  grep -q "rsim: done: every task ok (exit 0)" "$LOG2" || fail "job $JOB2 did not finish ok: $(cat "$LOG2")"
  check_nodes "$WORK/r/mn-r.h5" 300 3 "$N1" "$N2" "$N3"
  same_as "$WORK/r/ref.h5" "$WORK/r/mn-r.h5" "R study on 3 nodes"
  pass "R study (300 tasks) under srun --mpi=pmix on 3 nodes x 1 rank: equals a one-host mpirun run (job $JOB2)"
else
  say "no R study (rsim without R, or RSIM_WITH_R=0)"
fi

# ---- 3. the walltime: Slurm's own SIGUSR1 before --time, requeue, resume ----
# --time=1 (one minute) and --signal=B:USR1@20.  slurmctld looks at the time
# limits every 30 s and sends the warning at the first look that finds less
# than the lead time plus those 30 s left: here at the first look at least
# 10 s into a run, so 10-40 s into it.  (A lead time of 30 s or more would
# send it at the very first look, possibly before rsim has started.)  The
# study takes about 50 s, so the first run is always interrupted; each later
# run resumes and is interrupted again or finishes.  R tasks that sleep cost
# no CPU (the one-host reference runs them without the sleep); without R, the
# busy_wait kernel keeps 2 ranks busy instead.
WALL_LEAD=20
if [ -n "$HAVE_R" ]; then
  r_grid "$WORK/wall" 350                 # 2100 tasks x 0.1 s on 2 nodes x 2 ranks: ~53 s
  WALL_OUT=$WORK/wall/mn-r.h5 WALL_N=2100 WALL_PER_NODE=2
  export RSIM_MN_SLEEP=0.1
else
  busy_grid "$WORK/wall" 5000 20 mn-busy 1s         # 5000 tasks x 20 ms on 2 nodes x 1 rank: ~50 s
  WALL_OUT=$WORK/wall/mn-busy.h5 WALL_N=5000 WALL_PER_NODE=1
fi
WALL_RANKS=$((2 * WALL_PER_NODE))
( unset RSIM_MN_SLEEP; one_host "$WORK/wall/ref.h5" "$WORK/wall/grid.toml" )
submit JOB3 "$WORK/wall/grid.toml" --nodes=2 --ntasks-per-node=$WALL_PER_NODE --ntasks=$WALL_RANKS \
  --time=1 --signal=B:USR1@$WALL_LEAD --mem-per-cpu=300M --max-requeues 5
LOG3=$WORK/wall/grid-$JOB3.log
# While it runs: the ranks on the second node talk to the first over TCP.
wait_done "$WALL_OUT.status.json" 20 60
tcp=$(nsenter --net="/run/netns/$N2" ss -tnpH state established 2>&1 | grep '"rsim"' | grep -F " ${NETNS_ADDR[$N1]}:" || true)
[ -n "$tcp" ] || fail "no TCP connection from rsim on $N2 to $N1: $(nsenter --net="/run/netns/$N2" ss -tnp 2>&1)"
pass "while job $JOB3 runs, rsim ranks on $N2 hold $(wc -l <<<"$tcp") TCP connection(s) to $N1 (${NETNS_ADDR[$N1]})"
wait_log "$LOG3" "rsim: requeue 1 of 5" 90
wait_gone "$JOB3" 200
unset RSIM_MN_SLEEP
grep -q "rsim: got SIGUSR1 at" "$LOG3" || fail "no SIGUSR1 from Slurm in the log: $(cat "$LOG3")"
grep -q "interrupted by a signal" "$LOG3" || fail "rsim did not report the interruption: $(cat "$LOG3")"
grep -q "rsim: requeue 1 of 5: interrupted (exit 4)" "$LOG3" || fail "no exit 4 and requeue: $(cat "$LOG3")"
grep -q "rsim: resuming: [1-9][0-9]* of $WALL_N tasks already committed" "$LOG3" ||
  fail "the requeued job did not resume: $(cat "$LOG3")"
grep -q "rsim: done: every task ok (exit 0)" "$LOG3" || fail "job $JOB3 did not finish ok: $(cat "$LOG3")"
runs=$(grep -c "^rsim: job $JOB3 run " "$LOG3")
RSIM_MN_EVERY=1 RSIM_MN_INTERRUPTED=1 check_nodes "$WALL_OUT" "$WALL_N" "$WALL_RANKS" "$N1" "$N2"
same_as "$WORK/wall/ref.h5" "$WALL_OUT" "the study interrupted by the walltime signal and resumed"
[ ! -e "$WALL_OUT.ckpt" ] || fail "checkpoint folder left behind"
sed 's/^/    log: /' "$LOG3"
# seconds from each run's start to its SIGUSR1
"$PY" - "$LOG3" <<'EOF2'
import re, sys
start = None
for line in open(sys.argv[1]):
    m = re.search(r"started (\d+-\d+-\d+T(\d+):(\d+):(\d+))Z", line)
    if m: start = int(m[2]) * 3600 + int(m[3]) * 60 + int(m[4])
    m = re.search(r"got SIGUSR1 at (\d+):(\d+):(\d+)Z", line)
    if m and start is not None:
        print(f"    SIGUSR1 {(int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3]) - start) % 86400} s into the run")
EOF2
pass "walltime on 2 nodes: Slurm's own SIGUSR1 (--time=1 --signal=B:USR1@$WALL_LEAD) stopped the ranks on both nodes, rsim exited 4, the job requeued itself, resumed and finished in $runs runs; equals a one-host run (job $JOB3)"

say "all multi-node Slurm checks passed in $(($(date +%s) - T0)) s"
