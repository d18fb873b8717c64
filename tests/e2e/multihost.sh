#!/usr/bin/env bash
# Several hosts on one machine: three network namespaces, each with its own
# host name (ip netns + unshare --uts), joined by a bridge in a fourth.
# mpirun runs in the first and starts the other hosts' ranks through an rsh
# agent that enters their namespace; MPI talks TCP only (btl self,tcp)
# between namespaces.  The file system is shared, as on a cluster.
#  1. a native and an R study on 6 ranks over 3 hosts equal a one-host run;
#  2. the status feed and `rsim status` show the ranks of each host;
#  3. every rank of one host killed mid-run; resumed on the other two;
#  4. the walltime signal (SIGUSR1 to mpirun) stops all hosts with exit 4;
#     resumed on all three;
#  5. an output folder that one host does not share (missing there, or a
#     node-local folder at the same path) is refused before any task runs.
# Needs root and `ip netns`: it fails (never skips) where they do not work.
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"
command -v ip >/dev/null || fail "ip (iproute2) is not installed; this test needs ip netns"
[ "$(id -u)" -eq 0 ] || fail "this test needs root (ip netns, unshare --uts, mount)"

netns_init mh
TAG=$NETNS_TAG NET=$NETNS_NET  # unique per run; a private /24 that namespaces keep to this run
SW=${TAG}sw H1=${TAG}h1 H2=${TAG}h2 H3=${TAG}h3
cleanup() {
  local rc=$?
  netns_teardown multihost
  if grep -q "# rsim-e2e $TAG\$" /etc/hosts 2>/dev/null; then  # rewritten in place: /etc/hosts may be a bind mount
    grep -v "# rsim-e2e $TAG\$" /etc/hosts >"$WORK/hosts.keep" || true
    cat "$WORK/hosts.keep" >/etc/hosts
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

# --- the hosts -------------------------------------------------------------
# (hosts i = 1, 2, 3 at $NET.i)
netns_bridge "the multi-host test" "$SW" 1 "$H1" "$H2" "$H3"
netns_hosts " # rsim-e2e $TAG" >>/etc/hosts
# The rsh agent: `agent HOST command...` runs the command in HOST's
# namespace under HOST's name.  MH_LOCAL_HOST / MH_LOCAL_DIR: on that host
# a tmpfs is mounted over that folder first (a node-local folder).
cat >"$WORK/agent" <<'SH'
#!/bin/sh
host=$1; shift
pre="hostname $host"
[ "$host" = "${MH_LOCAL_HOST:-}" ] && pre="$pre && mount -t tmpfs node-local $MH_LOCAL_DIR"
exec ip netns exec "$host" unshare --uts --mount sh -c "$pre && $*"
SH
chmod +x "$WORK/agent"
printf '%s slots=2\n' "$H1" "$H2" "$H3" >"$WORK/hosts3"
printf '%s slots=2\n' "$H1" "$H3" >"$WORK/hosts2"
export RSIM_MH_SLEEP=0  # seconds an R task sleeps (timing only; results do not depend on it)

# mh_cmd HOSTFILE NP: MH_CMD = mpirun on host 1 over the hosts of HOSTFILE, TCP only.
mh_cmd() {
  netns_cmd "$H1"
  MH_CMD=("${NETNS_CMD[@]}" "$RSIM_MPIEXEC" "${_mpiflags[@]}" --hostfile "$1" -n "$2" --mca plm_rsh_agent "$WORK/agent"
          --mca btl self,tcp --mca oob_tcp_if_include "$NET.0/24" --mca btl_tcp_if_include "$NET.0/24"
          -x RSIM_MH_SLEEP "$RSIM_BIN")
}
mh_mpirun() { local hf=$1 np=$2; shift 2; mh_cmd "$hf" "$np"; "${MH_CMD[@]}" "$@"; }
# mh_bg: the same in the background, $! being mpirun's own pid.
mh_bg() { local hf=$1 np=$2; shift 2; mh_cmd "$hf" "$np"; ( exec "${MH_CMD[@]}" "$@" ) & }
same_as() {  # same_as REF FILE WHAT
  $PY "$RSIM_SOURCE_DIR/tests/e2e/compare_h5.py" "$1" "$2" >"$WORK/diff" || fail "$3: differs from the one-host run: $(tail -5 "$WORK/diff")"
}
# runs_hosts FILE: each run of the result file's `runs` as "state:host,host"
runs_hosts() {
  $PY - "$1" <<'PY'
import h5py, json, sys
for r in json.loads(h5py.File(sys.argv[1], "r").attrs["runs"]):
    print(r["state"] + ":" + ",".join(r["hosts"]))
PY
}

# --- the studies ---------------------------------------------------------
cat >"$WORK/t.toml" <<'TOML'
[job]
name = "mh-native"
seed = 11
replicates = 500
[task]
backend = "native"
kernel = "ttest_power"
[grid]
n = [20, 50]
delta = [0.0, 0.5]
test = ["welch", "student"]
TOML
cat >"$WORK/b.toml" <<'TOML'
[job]
name = "mh-busy"
seed = 3
replicates = 4000
[task]
backend = "native"
kernel = "busy_wait"
[args]
ms = 2.0
[schedule]
checkpoint = "200ms"
chunk = 20
TOML
cat >"$WORK/r.R" <<'R'
f <- function(mu, k) {
  s <- as.numeric(Sys.getenv("RSIM_MH_SLEEP", "0"))
  if (s > 0) Sys.sleep(s)
  x <- rnorm(k, mu)
  list(mean = mean(x), sd = sd(x), label = sprintf("mu=%g", mu), above = x[1] > mu, q = quantile(x, c(0.1, 0.9)))
}
R
cat >"$WORK/r.toml" <<'TOML'
[job]
name = "mh-r"
seed = 20261203
replicates = 60
[task]
backend = "r"
script = "r.R"
function = "f"
[grid]
mu = [0.0, 0.5, 1.0]
k = [10, 40]
[schedule]
checkpoint = "200ms"
TOML
# One-host references (plain mpirun, 2 ranks).
for j in t b; do expect_exit 0 mpirun_rsim 2 -- "$WORK/$j.toml" -q -o "$WORK/$j-ref.h5"; done
if [ -n "${RSIM_WITH_R:-1}" ] && command -v Rscript >/dev/null; then HAVE_R=1; else HAVE_R=; fi
[ -z "$HAVE_R" ] || expect_exit 0 mpirun_rsim 2 -- "$WORK/r.toml" -q -o "$WORK/r-ref.h5"

# --- 1. the same results on three hosts ------------------------------------
expect_exit 0 mh_mpirun "$WORK/hosts3" 6 "$WORK/t.toml" -q -o "$WORK/t3.h5"
expect_out "on 6 ranks"
same_as "$WORK/t-ref.h5" "$WORK/t3.h5" "native study on 3 hosts"
[ "$(runs_hosts "$WORK/t3.h5")" = "finished:$H1,$H2,$H3" ] || fail "native: runs attribute: $(runs_hosts "$WORK/t3.h5")"
pass "native study on 6 ranks over 3 hosts ($H1 $H2 $H3, TCP only) equals the one-host run"
if [ -n "$HAVE_R" ]; then
  expect_exit 0 mh_mpirun "$WORK/hosts3" 6 "$WORK/r.toml" -q -o "$WORK/r3.h5"
  same_as "$WORK/r-ref.h5" "$WORK/r3.h5" "R study on 3 hosts"
  [ "$(runs_hosts "$WORK/r3.h5")" = "finished:$H1,$H2,$H3" ] || fail "R: runs attribute: $(runs_hosts "$WORK/r3.h5")"
  pass "R study on 6 ranks over 3 hosts equals the one-host run"
fi

# --- 2 + 3. the status feed per host; one host's ranks killed ---------------
# feed_ok STATUS_FILE: running, and every host listed with its ranks and tasks done.
feed_ok() {
  $PY - "$1" "$H1" "$H2" "$H3" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(1)
hosts = j.get("hosts", [])
ok = (j.get("state") == "running" and [h.get("host") for h in hosts] == sys.argv[2:]
      and [h.get("ranks") for h in hosts] == [[0, 1], [2, 3], [4, 5]] and all(h.get("done", 0) > 0 for h in hosts)
      and sum(h["done"] for h in hosts) == sum(j["done_per_rank"]))
sys.exit(0 if ok else 1)
PY
}
out=$WORK/b3.h5
mh_bg "$WORK/hosts3" 6 "$WORK/b.toml" -q -o "$out" >"$WORK/b3.out" 2>&1
mpid=$!
for _ in $(seq 200); do feed_ok "$out.status.json" && break; sleep 0.1; done
feed_ok "$out.status.json" || fail "the status feed does not list 3 hosts with ranks 0-1, 2-3, 4-5 and their tasks: $(cat "$out.status.json" 2>/dev/null)"
expect_exit 0 "$RSIM_BIN" status "$out"
expect_out "pid "; expect_out "on $H1, 6 ranks"; expect_out "hosts: 3"
expect_out "$H1: ranks 0-1, "; expect_out "$H2: ranks 2-3, "; expect_out "$H3: ranks 4-5, "
status_running=$OUT
# MPI between hosts goes over TCP: host 2 holds connections to host 1's address.
ip netns exec "$H2" ss -tnH 2>/dev/null | grep ESTAB | grep -q " $NET\.1:" ||
  fail "no TCP connection between $H2 and $H1: $(ip netns exec "$H2" ss -tn 2>&1)"
victims=()
for p in $(ip netns pids "$H2"); do
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$(basename "$RSIM_BIN" | cut -c1-15)" ] && victims+=("$p")
done
[ ${#victims[@]} -eq 2 ] || fail "expected the 2 ranks of $H2, found ${#victims[@]} (the job ended too early?)"
kill -9 "${victims[@]}"
set +e; wait "$mpid"; code=$?; set -e
[ "$code" -ne 0 ] || fail "the job survived the loss of a host: $(cat "$WORK/b3.out")"
[ ! -e "$out" ] || fail "a result file exists after a host was lost"
segs=$(ls "$out.ckpt" | grep -c '^seg-' || true)
[ "$segs" -ge 1 ] || fail "no checkpoint segments after the host was lost"
pass "status feed and rsim status list 3 hosts with their ranks; killed ranks 2-3 ($H2) after $segs segments"
echo "$status_running" | sed 's/^/    /'
expect_exit 0 mh_mpirun "$WORK/hosts2" 4 "$WORK/b.toml" -q -o "$out"
expect_out "rsim: resuming:"; expect_out "on 4 ranks"
same_as "$WORK/b-ref.h5" "$out" "resumed on 2 hosts"
runs=$(runs_hosts "$out" | tr '\n' ' ')
[ "$runs" = "killed:$H1,$H2,$H3 finished:$H1,$H3 " ] || fail "runs attribute after the resume: $runs"
pass "resumed on $H1 and $H3 ($(grep -o 'resuming: [0-9]* of [0-9]*' <<<"$OUT")): equals the one-host run; runs: $runs"

# --- 4. the walltime signal ------------------------------------------------
if [ -n "$HAVE_R" ]; then job=r; RSIM_MH_SLEEP=0.05; else job=b; fi
out=$WORK/sig.h5
mh_bg "$WORK/hosts3" 6 "$WORK/$job.toml" -q -o "$out" >"$WORK/sig.out" 2>&1
mpid=$!
for _ in $(seq 300); do
  [ "$(ls "$out.ckpt" 2>/dev/null | grep -c '^seg-')" -ge 3 ] && break
  sleep 0.1
done
kill -0 "$mpid" 2>/dev/null || fail "the $job job ended before the signal: $(cat "$WORK/sig.out")"
kill -USR1 "$mpid"
set +e; wait "$mpid"; code=$?; set -e
RSIM_MH_SLEEP=0
[ "$code" -eq 4 ] || fail "SIGUSR1 to mpirun over 3 hosts: exit $code, wanted 4: $(cat "$WORK/sig.out")"
grep -q "interrupted by a signal" "$WORK/sig.out" || fail "no interruption message: $(cat "$WORK/sig.out")"
grep -q '"state": "interrupted"' "$out.status.json" || fail "status file does not say interrupted"
expect_exit 0 "$RSIM_BIN" status "$out"
expect_out "state: interrupted"; expect_out "hosts: 3"; expect_out "$H2: ranks 2-3, "; expect_out "rerun the same command to resume"
expect_exit 0 mh_mpirun "$WORK/hosts3" 6 "$WORK/$job.toml" -q -o "$out"
expect_out "rsim: resuming:"
same_as "$WORK/$job-ref.h5" "$out" "$job study stopped by SIGUSR1 and resumed"
pass "SIGUSR1 to mpirun stopped every host's ranks (exit 4; $job study); resumed on 3 hosts, equals the one-host run"

# --- 5. an output folder some host cannot see ------------------------------
# Missing on host 2 (a tmpfs over its parent hides it there).
mkdir -p "$WORK/gone/sub" "$WORK/local"
export MH_LOCAL_HOST=$H2 MH_LOCAL_DIR=$WORK/gone
expect_exit 2 mh_mpirun "$WORK/hosts3" 6 "$WORK/t.toml" -q -o "$WORK/gone/sub/x.h5"
expect_out "rsim: error on rank 0: $WORK/gone/sub: the output folder is not shared by every rank: ranks 2-3 on $H2: the folder does not exist there"
expect_out "fix: put the output on a file system that every host mounts at the same path"
# A node-local folder at the same path on host 3: writable there, unseen by rank 0.
export MH_LOCAL_HOST=$H3 MH_LOCAL_DIR=$WORK/local
expect_exit 2 mh_mpirun "$WORK/hosts3" 6 "$WORK/t.toml" -q -o "$WORK/local/x.h5"
expect_out "ranks 4-5 on $H3: rank 0 (on $H1) cannot see the files written there: that folder is local to $H3"
grep -q "error on rank [1-9]" <<<"$OUT" && fail "another rank printed an error too: $OUT"
left=$(ls -A "$WORK/local" "$WORK/gone/sub")
[ -z "$(ls -A "$WORK/local")" ] && [ -z "$(ls -A "$WORK/gone/sub")" ] || fail "the refused runs left files: $left"
unset MH_LOCAL_HOST MH_LOCAL_DIR
pass "an output folder missing on one host, or local to it, is refused at start-up naming host and ranks; nothing left behind"
