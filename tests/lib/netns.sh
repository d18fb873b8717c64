# shellcheck shell=bash disable=SC2034  # variables for the tests that source it
# Hosts on one machine as network namespaces (sourced by tests/e2e/multihost.sh
# and tests/slurm/multinode.sh): a "switch" namespace holding a bridge, and a
# namespace per host joined to it by a veth pair, with an address in a
# private /24; commands enter a host with its own host name.  Needs root
# (CAP_SYS_ADMIN), ip (iproute2) and unshare (util-linux).
#
# The test defines fail MESSAGE and WORK (a folder for scratch files), calls
# netns_init, then netns_bridge, and netns_teardown from its exit trap.

NETNS=()              # the namespaces made (the switch's too), for netns_teardown
NETNS_HOSTS=()        # the hosts given to netns_bridge, in order
declare -A NETNS_ADDR=()  # host -> its address
NETNS_TAG='' NETNS_NET=''

# netns_init LETTERS: NETNS_TAG, a tag unique to this run (LETTERS, the
# shell's pid, a random number; names made from it keep interface names
# within 15 characters), and NETNS_NET, a random private /24 as its first
# three numbers (10.x.y), only ever used inside our namespaces.
netns_init() {
  NETNS_TAG=$(printf '%s%x%x' "$1" $$ $((RANDOM % 4096)))
  NETNS_NET=10.$((100 + RANDOM % 100)).$((RANDOM % 250))
}

# netns_bridge WHO SWITCH FIRST HOST...: namespace SWITCH with a bridge br0;
# for the i-th HOST (from 1) a namespace whose eth0, with the address
# $NETNS_NET.(FIRST + i - 1)/24 (also in NETNS_ADDR), is the end of the veth
# pair <tag>a<i> / <tag>b<i> whose other end is on br0; lo up everywhere.
# WHO names the test in the failure where namespaces are not permitted.
netns_bridge() {
  local who=$1 sw=$2 first=$3 i=0 h
  shift 3
  NETNS_HOSTS=("$@")
  ip netns add "$sw" 2>"$WORK/netns.err" ||
    fail "ip netns add is not permitted here ($(cat "$WORK/netns.err")): $who needs network namespaces (root, CAP_SYS_ADMIN)"
  NETNS+=("$sw")
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
  ip -n "$sw" link set lo up
  for h in "$@"; do
    i=$((i + 1))
    NETNS_ADDR[$h]=$NETNS_NET.$((first + i - 1))
    ip netns add "$h"
    NETNS+=("$h")
    ip link add "${NETNS_TAG}a$i" type veth peer name "${NETNS_TAG}b$i"
    ip link set "${NETNS_TAG}a$i" netns "$h"
    ip link set "${NETNS_TAG}b$i" netns "$sw"
    ip -n "$sw" link set "${NETNS_TAG}b$i" master br0 up
    ip -n "$h" link set "${NETNS_TAG}a$i" name eth0
    ip -n "$h" addr add "${NETNS_ADDR[$h]}/24" dev eth0
    ip -n "$h" link set eth0 up
    ip -n "$h" link set lo up
  done
}

# netns_hosts [SUFFIX]: an /etc/hosts line "ADDRESS HOST[SUFFIX]" per host.
netns_hosts() {
  local h
  for h in "${NETNS_HOSTS[@]}"; do echo "${NETNS_ADDR[$h]} $h${1:-}"; done
}

# netns_cmd NS [SETUP]: NETNS_CMD = the prefix that runs a command in network
# namespace NS under host name NS (a UTS namespace of its own).  SETUP, a sh
# command with $0 = NS, runs there first, in a mount namespace of its own.
# NETNS_ENTER says how the network namespace is entered: "ip" (the default:
# ip netns exec, which also mounts a /sys of the namespace) or "nsenter"
# (nsenter --net: the machine's /sys, with the cgroup file systems that
# slurmd needs).
netns_cmd() {
  local enter
  case ${NETNS_ENTER:-ip} in
    ip) enter=(ip netns exec "$1") ;;
    nsenter) enter=(nsenter --net="/run/netns/$1") ;;
    *) fail "NETNS_ENTER=$NETNS_ENTER: ip or nsenter" ;;
  esac
  # shellcheck disable=SC2016  # $0 and $@ are the inner sh's
  if [ -n "${2:-}" ]; then
    NETNS_CMD=("${enter[@]}" unshare --uts --mount sh -c 'hostname "$0" && '"$2"' && exec "$@"' "$1")
  else
    NETNS_CMD=("${enter[@]}" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$1")
  fi
}

# netns_teardown WHO: for exit traps (never fails): SIGKILL every process
# left in our namespaces, delete them (WHO: the prefix of the message when
# one cannot be), and any veth not yet moved into its namespace.
netns_teardown() {
  local ns p i
  for ns in "${NETNS[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
  done
  sleep 0.2
  for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || echo "$1: could not delete netns $ns" >&2; done
  for i in $(seq 1 ${#NETNS_HOSTS[@]}); do ip link del "${NETNS_TAG}a$i" 2>/dev/null || true; done
  return 0
}
