#!/usr/bin/env bash
# Several hosts against one (issue 15 item 1): the same studies on this
# machine's 2 cores as one host and as 2 "hosts" (network namespaces with
# their own host names, joined by a bridge, ranks started through an rsh
# agent, MPI over TCP only: tests/lib/netns.sh, as tests/e2e/multihost.sh):
#   - fixed CPU work: 20,000 ttest_power tasks with n = 20000 (0.7 ms of
#     CPU each), 2 ranks;
#   - hand-outs: 10^6 tiny tasks (uniform), 2 ranks, where each chunk
#     request crosses the network.
# Setups: one host with shared memory (mpirun's default), one host with
# TCP only (btl self,tcp: the transport alone), two hosts with one rank
# each (TCP between namespaces).  Reports rsim's "ran N tasks in S s" and
# the whole command's wall time, best of 3.  Needs root and ip netns.
# Usage: bench/multihost.sh [build dir]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
rsim=$(readlink -f "$build/rsim")
WORK=$(mktemp -d /tmp/rsim-mhbench.XXXXXX)
fail() { echo "bench/multihost.sh: $*" >&2; exit 1; }
# shellcheck source=tests/lib/netns.sh
source "$root/tests/lib/netns.sh"
[ "$(id -u)" -eq 0 ] || fail "needs root (ip netns, unshare --uts)"
mpiflags=(--oversubscribe)
[ "$(id -u)" -eq 0 ] && mpiflags+=(--allow-run-as-root)

netns_init mb
H1=${NETNS_TAG}h1 H2=${NETNS_TAG}h2
cleanup() {
  netns_teardown multihost-bench
  if grep -q "# rsim-bench $NETNS_TAG\$" /etc/hosts 2>/dev/null; then
    grep -v "# rsim-bench $NETNS_TAG\$" /etc/hosts >"$WORK/hosts.keep" || true
    cat "$WORK/hosts.keep" >/etc/hosts
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
netns_bridge "bench/multihost.sh" "${NETNS_TAG}sw" 1 "$H1" "$H2"
netns_hosts " # rsim-bench $NETNS_TAG" >>/etc/hosts
cat >"$WORK/agent" <<'SH'
#!/bin/sh
host=$1; shift
exec ip netns exec "$host" unshare --uts sh -c "hostname $host && $*"
SH
chmod +x "$WORK/agent"
printf '%s slots=1\n' "$H1" "$H2" >"$WORK/hosts2"

printf '[job]\nname = "cpu"\nseed = 7\nreplicates = 10000\n[task]\nbackend = "native"\nkernel = "ttest_power"\n[grid]\nn = [20000]\ndelta = [0.0, 0.1]\n' >"$WORK/cpu.toml"
printf '[job]\nname = "tiny"\nseed = 7\nreplicates = 1000000\n[task]\nbackend = "native"\nkernel = "uniform"\n' >"$WORK/tiny.toml"

# timed SETUP JOB -> "ran S s | wall W s" (best of 3 by wall)
timed() {
  local setup=$1 job=$2 best="" i out s e run wall
  for i in 1 2 3; do
    rm -rf "$WORK/$job.h5" "$WORK/$job.h5".*
    s=$(date +%s.%N)
    case $setup in
      shm) out=$(mpirun "${mpiflags[@]}" -n 2 "$rsim" "$WORK/$job.toml" 2>&1) ;;
      tcp) out=$(mpirun "${mpiflags[@]}" -n 2 --mca btl self,tcp "$rsim" "$WORK/$job.toml" 2>&1) ;;
      hosts2)
        netns_cmd "$H1"
        # --bind-to none: each "host" would bind its rank to its own core 0,
        # the same core of this one machine (real hosts have a core 0 each)
        out=$("${NETNS_CMD[@]}" mpirun "${mpiflags[@]}" --bind-to none --hostfile "$WORK/hosts2" -n 2 \
          --mca plm_rsh_agent "$WORK/agent" \
          --mca btl self,tcp --mca oob_tcp_if_include "$NETNS_NET.0/24" --mca btl_tcp_if_include "$NETNS_NET.0/24" \
          "$rsim" "$WORK/$job.toml" 2>&1) ;;
    esac || fail "$setup $job failed: $out"
    e=$(date +%s.%N)
    run=$(sed -n 's/.*ran [0-9]* tasks in \([0-9.]*\) s.*/\1/p' <<<"$out")
    wall=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", e - s }')
    if [ -z "$best" ] || awk -v a="$wall" -v b="${best#* }" 'BEGIN { exit !(a < b) }'; then best="$run $wall"; fi
  done
  echo "$best"
}

echo "| study | setup | task phase | whole command | task phase / one host (shared memory) |"
echo "| --- | --- | --- | --- | --- |"
for job in cpu tiny; do
  ref=""
  for setup in shm tcp hosts2; do
    read -r run wall <<<"$(timed "$setup" "$job")"
    [ -z "$ref" ] && ref=$run
    echo "| $job | $setup | $run s | $wall s | $(awk -v a="$run" -v b="$ref" 'BEGIN { printf "%.2f", a / b }') |"
  done
done
