#!/usr/bin/env bash
# The network-namespace test lab (Tests/Lab/README.md).
#
#   lab.sh up <prefix>     build the lab (idempotent; a complete lab is left as it is)
#   lab.sh down <prefix>   remove it (idempotent; kills what still runs inside its namespaces)
#   lab.sh gc              remove every lab whose creator process is gone
#
# The creator ("owner") of a lab is the process that ran `lab.sh up` (its parent pid), or
# LAB_OWNER_PID when set. It is recorded, with its start time so that a reused pid does not
# count, in /run/probed-lab/<prefix>.pid; `up` runs `gc` first, so a crashed test run leaves no
# debris past the next run.
#
# Topology (<p> is the prefix; interface names are fixed and short, they live inside the
# namespaces, so no name ever reaches the host's namespace):
#
#   <p>-dut     veth0 198.51.100.1/24 2001:db8:100::1/64   ping_group_range "0 2147483647"
#               sink0 (ifb, arp off): 203.0.113.0/25 2001:db8:200::/64 on-link, and
#                 198.18.0.0/15 behind a router on it (via 203.0.113.126), as a DHCP server's
#                 relayed subnets are: one neighbour entry (the router's) for all its targets
#               prohibit 203.0.113.128/26 2001:db8:300::/64
#               unreachable 203.0.113.192/27 2001:db8:400::/64
#               no route: 203.0.113.224/27 2001:db8:500::/64 (no default route)
#   <p>-dutraw  the same with veth0 198.51.100.2/24 2001:db8:100::2/64, ping_group_range "1 0"
#   <p>-hosts   br0 joining dut0, raw0, quiet0; live hosts 198.51.100.10-19, 2001:db8:100::10-19
#   <p>-quiet   eth0 02:00:00:00:00:14, 198.51.100.20 2001:db8:100::20; nftables drops echo
#               requests, ARP and NDP are answered
#   nobody:     198.51.100.77-99, 2001:db8:100::77-99 (silent, on-link)
#
# Measured on kernel 6.18 (Tests/LabTests/LabSmokeTests.swift checks these on every run), for
# sendto() of an echo request on a ping socket, and on a raw socket, in <p>-dut:
#   sink         203.0.113.5 / 2001:db8:200::5  succeeds; the packet leaves via sink0 and is
#                dropped there (ifb drops what was not redirected to it and counts it in sink0's
#                rx_dropped, not tx_dropped); no ARP/NDP: the neighbour entries are NOARP
#   ping socket in <p>-dutraw: socket() fails with EACCES (also for root: gid 0 is outside "1 0")
#   prohibit     203.0.113.130 / 2001:db8:300::5  EACCES (13) / EACCES (13)
#   unreachable  203.0.113.200 / 2001:db8:400::5  EHOSTUNREACH (113) / EHOSTUNREACH (113)
#   no route     203.0.113.230 / 2001:db8:500::5  ENETUNREACH (101) / ENETUNREACH (101)
#
# Only documentation prefixes are used. Never 192.0.2.0/24.
set -Eeuo pipefail

STATE_DIR=/run/probed-lab
# Root's tools live in sbin, which a caller's PATH may lack.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
NAMESPACE_SUFFIXES=(dut dutraw hosts quiet)

die() {
    echo "lab.sh: $*" >&2
    exit 1
}

usage() {
    echo "usage: lab.sh up <prefix> | lab.sh down <prefix> | lab.sh gc" >&2
    exit 2
}

check_environment() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)"
    local tool
    for tool in ip nft nsenter flock sysctl; do
        command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (install iproute2, nftables, util-linux, procps)"
    done
    mkdir -p "$STATE_DIR"
}

check_prefix() {
    [[ $1 =~ ^[a-z][a-z0-9]{0,23}$ ]] || die "bad prefix '$1': 1-24 characters, [a-z][a-z0-9]*"
}

# Runs a command inside a namespace; nsenter is cheaper than `ip netns exec` (no mount namespace).
in_ns() {
    local ns=$1
    shift
    nsenter --net="/run/netns/$ns" "$@"
}

ns_exists() {
    [[ -e /run/netns/$1 ]]
}

# Prints the start time (in clock ticks since boot) of process $1, or nothing when it does not exist.
process_identity() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    # Field 22 (starttime), counted after the ")" that closes the command name.
    stat=${stat##*) }
    # shellcheck disable=SC2086
    set -- $stat
    echo "${20}"
}

owner_alive() {
    local file=$1 pid start
    read -r pid start <"$file" 2>/dev/null || return 1
    [[ -n ${pid:-} && -n ${start:-} ]] || return 1
    [[ $(process_identity "$pid") == "$start" ]]
}

lab_down() {
    local prefix=$1 suffix ns pids
    for suffix in "${NAMESPACE_SUFFIXES[@]}"; do
        ns=$prefix-$suffix
        ns_exists "$ns" || continue
        # Processes still inside would keep the namespace (and its veths) alive after `ip netns
        # del`; they were started by the test run that owns this lab.
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        if [[ -n $pids ]]; then
            # shellcheck disable=SC2086
            kill -KILL $pids 2>/dev/null || true
        fi
        ip netns del "$ns" 2>/dev/null || true
        ! ns_exists "$ns" || die "could not remove namespace $ns"
    done
    rm -f "$STATE_DIR/$prefix.pid" "$STATE_DIR/$prefix.ready"
}

lab_gc() {
    local file prefix
    for file in "$STATE_DIR"/*.pid; do
        [[ -e $file ]] || continue
        owner_alive "$file" && continue
        prefix=$(basename "$file" .pid)
        lab_down "$prefix"
    done
}

lab_complete() {
    local prefix=$1 suffix
    [[ -e $STATE_DIR/$prefix.ready ]] || return 1
    for suffix in "${NAMESPACE_SUFFIXES[@]}"; do
        ns_exists "$prefix-$suffix" || return 1
    done
}

# The sysctls every lab namespace gets before its interfaces exist: no DAD, no router
# solicitations (nothing answers them), no accepted RAs.
base_sysctls() {
    in_ns "$1" sysctl -q -w \
        net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
        net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
        net.ipv6.conf.default.router_solicitations=0 "${@:2}"
}

# Configures a probing namespace ("dut" or "dutraw") whose veth0 already exists.
setup_dut() {
    local ns=$1 host=$2
    ip -n "$ns" -batch - <<EOF
link set lo up
link add sink0 type ifb
link set sink0 arp off addrgenmode none
link set sink0 up
link set veth0 up
address add 198.51.100.$host/24 dev veth0
address add 2001:db8:100::$host/64 dev veth0 nodad
route add 203.0.113.0/25 dev sink0
route add 198.18.0.0/15 via 203.0.113.126 dev sink0
route add 2001:db8:200::/64 dev sink0
route add prohibit 203.0.113.128/26
route add prohibit 2001:db8:300::/64
route add unreachable 203.0.113.192/27
route add unreachable 2001:db8:400::/64
EOF
}

lab_up() {
    local prefix=$1 owner=${LAB_OWNER_PID:-$PPID} start
    local dut=$prefix-dut raw=$prefix-dutraw hosts=$prefix-hosts quiet=$prefix-quiet
    start=$(process_identity "$owner")
    [[ -n $start ]] || die "owner process $owner does not exist"

    if lab_complete "$prefix"; then
        echo "$owner $start" >"$STATE_DIR/$prefix.pid"
        return 0
    fi
    lab_down "$prefix"
    # The owner is recorded first, so that a lab that fails half-built is still collected.
    echo "$owner $start" >"$STATE_DIR/$prefix.pid"
    trap 'lab_down "'"$prefix"'"; echo "lab.sh: could not build lab '"$prefix"' (what was built is removed)" >&2' ERR

    local ns
    for ns in "$dut" "$raw" "$hosts" "$quiet"; do
        ip netns add "$ns"
    done
    base_sysctls "$dut" "net.ipv4.ping_group_range=0 2147483647"
    base_sysctls "$raw"
    base_sysctls "$hosts"
    base_sysctls "$quiet"

    local addresses="" i
    for i in 10 11 12 13 14 15 16 17 18 19; do
        addresses+="address add 198.51.100.$i/24 dev br0"$'\n'
        addresses+="address add 2001:db8:100::$i/64 dev br0 nodad"$'\n'
    done
    ip -n "$hosts" -batch - <<EOF
link set lo up
link add br0 type bridge mcast_snooping 0
link add dut0 type veth peer name veth0 netns $dut
link add raw0 type veth peer name veth0 netns $raw
link add quiet0 type veth peer name eth0 netns $quiet address 02:00:00:00:00:14
link set dut0 master br0
link set raw0 master br0
link set quiet0 master br0
link set dut0 up
link set raw0 up
link set quiet0 up
link set br0 up
$addresses
EOF

    setup_dut "$dut" 1
    setup_dut "$raw" 2

    ip -n "$quiet" -batch - <<EOF
link set lo up
link set eth0 up
address add 198.51.100.20/24 dev eth0
address add 2001:db8:100::20/64 dev eth0 nodad
EOF
    in_ns "$quiet" nft -f - <<EOF
table inet quiet {
    chain input {
        type filter hook input priority 0; policy accept;
        icmp type echo-request counter drop
        icmpv6 type echo-request counter drop
    }
}
EOF
    trap - ERR
    touch "$STATE_DIR/$prefix.ready"
}

main() {
    [[ $# -ge 1 ]] || usage
    local command=$1
    case $command in
        up | down) [[ $# -eq 2 ]] || usage; check_prefix "$2" ;;
        gc) [[ $# -eq 1 ]] || usage ;;
        *) usage ;;
    esac
    check_environment
    # One lab operation at a time on this machine; each takes well under a second.
    exec 9>"$STATE_DIR/.lock"
    flock -w 60 9 || die "timed out waiting for $STATE_DIR/.lock"
    case $command in
        up) lab_gc; lab_up "$2" ;;
        down) lab_down "$2" ;;
        gc) lab_gc ;;
    esac
}

main "$@"
