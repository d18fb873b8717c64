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

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${RSIM_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}
SUBMIT=$SRC/slurm/rsim-submit
PY=/usr/bin/python3
T0=$(date +%s)

say() { echo "slurm-multinode: $*"; }
pass() { echo "ok: $*"; }
skip() {
  echo "SKIPPED: Slurm multi-node test: $*"
  exit 77
}

if [ -z "${RSIM_BIN:-}" ]; then
  if [ -x "$SRC/build/rsim" ]; then RSIM_BIN=$SRC/build/rsim
  elif command -v rsim >/dev/null 2>&1; then RSIM_BIN=$(command -v rsim)
  else echo "FAIL: no rsim binary: set RSIM_BIN" >&2; exit 1; fi
fi
RSIM_BIN=$(readlink -f "$RSIM_BIN")
[ -x "$RSIM_BIN" ] || { echo "FAIL: $RSIM_BIN is not executable" >&2; exit 1; }
"$PY" -c 'import h5py' 2>/dev/null || { echo "FAIL: $PY cannot import h5py (apt-get install python3-h5py)" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "FAIL: mpirun not found (the one-host reference runs need it)" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, munged, slurmctld, slurmd)"
command -v ip >/dev/null || { echo "FAIL: ip (iproute2) is not installed; this test needs ip netns" >&2; exit 1; }
command -v unshare >/dev/null || { echo "FAIL: unshare (util-linux) not found" >&2; exit 1; }

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
case :$PATH: in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin ;; esac
for c in munged mungekey munge unmunge slurmctld slurmd sbatch squeue scancel scontrol sinfo srun; do
  command -v "$c" >/dev/null 2>&1 || { echo "FAIL: $c not found after installing ${pkgs[*]}" >&2; exit 1; }
done

case ${RSIM_WITH_R:-1} in
  0|[Oo][Ff][Ff]|[Nn][Oo]|[Ff][Aa][Ll][Ss][Ee]) HAVE_R= ;;
  *) if command -v Rscript >/dev/null; then HAVE_R=1; else HAVE_R=; fi ;;
esac

# ---- names ----
TAG=$(printf 'sm%x%x' $$ $((RANDOM % 4096)))     # unique per run; interface names stay <= 15 chars
NET=10.$((100 + RANDOM % 100)).$((RANDOM % 250))  # a private /24, only inside our namespaces
SW=${TAG}sw                                       # the switch (bridge br0)
HD=${TAG}hd                                       # the head node: slurmctld, sbatch, squeue
NODES=("${TAG}n1" "${TAG}n2" "${TAG}n3")           # compute nodes: one slurmd each
declare -A ADDR=([$HD]=$NET.10 [${TAG}n1]=$NET.11 [${TAG}n2]=$NET.12 [${TAG}n3]=$NET.13)
N1=${NODES[0]} N2=${NODES[1]} N3=${NODES[2]}

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
NS=()          # namespaces made here
MUNGE_PID='' CTLD_PID=''
declare -A SLURMD_PID=()

dump_logs() {
  local f
  for f in "$WORK"/log/*.log "$WORK"/log/*.out "$WORK"/*/*-[0-9]*.log; do
    [ -s "$f" ] || continue
    echo "---- last lines of $f" >&2
    tail -n 30 "$f" >&2
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
  local rc=$? ids ns p n
  set +e
  trap - INT TERM
  if [ -n "$CTLD_PID" ] && kill -0 "$CTLD_PID" 2>/dev/null; then
    ids=$(hd squeue -h -o %i 2>/dev/null)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      hd scancel $ids 2>/dev/null
      for _ in $(seq 1 50); do
        [ -z "$(hd squeue -h -o %i 2>/dev/null)" ] && break
        sleep 0.2
      done
    fi
  fi
  for n in "${!SLURMD_PID[@]}"; do stop_pid "${SLURMD_PID[$n]}"; done
  stop_pid "$CTLD_PID"
  # What is left in our namespaces (job steps, ranks) was started by our daemons.
  for ns in "${NS[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  done
  stop_pid "$MUNGE_PID"
  sleep 0.2
  for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || echo "slurm-multinode: could not delete netns $ns" >&2; done
  for n in 1 2 3 4; do ip link del "${TAG}a$n" 2>/dev/null; done  # a veth not yet moved into its namespace
  if [ -n "${RSIM_SLURM_KEEP:-}" ]; then
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

# ns_cmd NS [local-tmp]: NS_CMD = the prefix that runs a command inside
# network namespace NS, under host name NS (a UTS namespace of its own), in a
# mount namespace of its own with $WORK/hosts as /etc/hosts (the machine's
# /etc/hosts is not touched) and, for a compute node ("local-tmp"), a tmpfs of
# its own on /tmp: a node-local /tmp as on a real node (Slurm's PMIx plugin
# makes /tmp/spmix_appdir_<uid>_<job>.<step> on every node of a step; one
# shared /tmp makes the second node fail with "File exists").  Everything
# else, $WORK included, is the machine's file system, shared by all nodes.
# nsenter, not `ip netns exec`: that one mounts a fresh /sys without the
# cgroup hierarchy, and slurmd does not start without it.
ns_cmd() {
  local pre='hostname "$0" && mount --bind "$HOSTS_FILE" /etc/hosts'
  [ "${2:-}" != local-tmp ] || pre="$pre"' && mount -t tmpfs -o mode=1777,size=256m "tmp-$0" /tmp'
  NS_CMD=(nsenter --net="/run/netns/$1" unshare --uts --mount sh -c "$pre"' && exec "$@"' "$1")
}
in_ns() { ns_cmd "$1"; shift; "${NS_CMD[@]}" "$@"; }
hd() { in_ns "$HD" "$@"; }  # a Slurm client command on the head node

# ---- the network: a bridge, the head node and three compute nodes ----
ip netns add "$SW" 2>"$WORK/netns.err" ||
  fail "ip netns add is not permitted here ($(cat "$WORK/netns.err")): this test needs network namespaces (root, CAP_SYS_ADMIN)"
NS+=("$SW")
ip -n "$SW" link add br0 type bridge
ip -n "$SW" link set br0 up
ip -n "$SW" link set lo up
i=0
for h in "$HD" "${NODES[@]}"; do
  i=$((i + 1))
  ip netns add "$h"
  NS+=("$h")
  ip link add "${TAG}a$i" type veth peer name "${TAG}b$i"
  ip link set "${TAG}a$i" netns "$h"
  ip link set "${TAG}b$i" netns "$SW"
  ip -n "$SW" link set "${TAG}b$i" master br0 up
  ip -n "$h" link set "${TAG}a$i" name eth0
  ip -n "$h" addr add "${ADDR[$h]}/24" dev eth0
  ip -n "$h" link set eth0 up
  ip -n "$h" link set lo up
done
# The cluster's /etc/hosts, seen by every namespace through in_ns.
HOSTS_FILE=$WORK/hosts
{
  echo "127.0.0.1 localhost"
  for g in "$HD" "${NODES[@]}"; do echo "${ADDR[$g]} $g"; done
} >"$HOSTS_FILE"
export HOSTS_FILE

# ---- munged: one for the cluster, its socket on the shared file system ----
mungekey -c -k "$WORK/munge/munge.key" >/dev/null 2>&1 || fail "mungekey could not create a key"
SOCK=$WORK/munge/munge.socket.2
munged -F -f --socket="$SOCK" --key-file="$WORK/munge/munge.key" \
  --log-file="$WORK/log/munged.log" --pid-file="$WORK/munge/munged.pid" \
  --seed-file="$WORK/munge/munged.seed" >"$WORK/log/munged.out" 2>&1 &
MUNGE_PID=$!
for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; kill -0 "$MUNGE_PID" 2>/dev/null || break; sleep 0.1; done
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
SlurmctldHost=$HD(${ADDR[$HD]})
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
# cred_expire also delays a requeued job's next start (default 120 s)
AuthInfo=socket=$SOCK,cred_expire=5
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool/%n
SlurmctldPidFile=$WORK/run/slurmctld.pid
SlurmdPidFile=$WORK/run/slurmd-%n.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd-%n.log
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
KillWait=5
EOF
  for n in "${NODES[@]}"; do
    echo "NodeName=$n NodeAddr=${ADDR[$n]} CPUs=2 RealMemory=$MEM_MB State=UNKNOWN"
  done
  echo "PartitionName=test Nodes=$N1,$N2,$N3 Default=YES MaxTime=INFINITE State=UP"
} >"$WORK/slurm.conf"

# Only our cluster's settings in the environment that sbatch hands to jobs.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(SLURM|SBATCH|SRUN|SALLOC|PMIX|OMPI)_' || true)
export SLURM_CONF=$WORK/slurm.conf
export RSIM_BIN

# ---- the daemons, each in its namespace under its node's name ----
# (exec at every level: $! is the daemon's own process id)
ns_cmd "$HD"
( exec "${NS_CMD[@]}" slurmctld -D -i ) \
  >"$WORK/log/slurmctld.out" 2>&1 &
CTLD_PID=$!
for n in "${NODES[@]}"; do
  mkdir -p "$WORK/spool/$n"
  ns_cmd "$n" local-tmp
  ( exec "${NS_CMD[@]}" slurmd -D -N "$n" ) \
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
say "Slurm $(sinfo -V | awk '{print $2}'): slurmctld on $HD (${ADDR[$HD]}), slurmd on $N1 $N2 $N3 (${ADDR[$N1]}-${ADDR[$N3]##*.}); $WORK"
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

# ---- helpers ----
# submit OUTVAR rsim-submit-args...: rsim-submit on the head node; OUTVAR = job id
submit() {
  local var=$1 out id
  shift
  out=$(hd "$SUBMIT" "$@" 2>&1) || fail "rsim-submit $*: $out"
  id=$(sed -n 's/^rsim-submit: submitted job \([0-9][0-9]*\).*/\1/p' <<<"$out")
  [ -n "$id" ] || fail "rsim-submit printed no job id: $out"
  printf -v "$var" '%s' "$id"
}
# wait_gone ID SECONDS: until the job has left the queue (done, failed or cancelled)
wait_gone() {
  local id=$1 limit=$2 t0=$SECONDS st
  while :; do
    st=$(hd squeue -h -j "$id" -o %T 2>/dev/null || true)
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
busy_grid() {  # busy_grid FOLDER REPLICATES MS
  mkdir -p "$1"
  cat >"$1/grid.toml" <<EOF
[job]
name = "mn-busy"
output = "mn-busy.h5"
seed = 6
replicates = $2

[task]
backend = "native"
kernel = "busy_wait"

[args]
ms = $3

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
  busy_grid "$WORK/wall" 5000 20          # 5000 tasks x 20 ms on 2 nodes x 1 rank: ~50 s
  WALL_OUT=$WORK/wall/mn-busy.h5 WALL_N=5000 WALL_PER_NODE=1
fi
WALL_RANKS=$((2 * WALL_PER_NODE))
( unset RSIM_MN_SLEEP; one_host "$WORK/wall/ref.h5" "$WORK/wall/grid.toml" )
submit JOB3 "$WORK/wall/grid.toml" --nodes=2 --ntasks-per-node=$WALL_PER_NODE --ntasks=$WALL_RANKS \
  --time=1 --signal=B:USR1@$WALL_LEAD --mem-per-cpu=300M --max-requeues 5
LOG3=$WORK/wall/grid-$JOB3.log
# While it runs: the ranks on the second node talk to the first over TCP.
wait_done "$WALL_OUT.status.json" 20 60
tcp=$(nsenter --net="/run/netns/$N2" ss -tnpH state established 2>&1 | grep '"rsim"' | grep -F " ${ADDR[$N1]}:" || true)
[ -n "$tcp" ] || fail "no TCP connection from rsim on $N2 to $N1: $(nsenter --net="/run/netns/$N2" ss -tnp 2>&1)"
pass "while job $JOB3 runs, rsim ranks on $N2 hold $(wc -l <<<"$tcp") TCP connection(s) to $N1 (${ADDR[$N1]})"
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
