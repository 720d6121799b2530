#!/usr/bin/env bash
# Real faults, end to end: each fault is injected into a network namespace this script creates,
# the built binary scans from inside it (`ip netns exec`), and the suite asserts the finding ids
# and subjects a user would read. Everything is torn down on exit, pass or fail. One test (the
# last: neighbour table overflow) has to lower a host-wide setting; it is restored right after its
# scan and, failing that, on any exit the shell can trap.
set -u
netdiag=${1:?usage: faults.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"
python=/usr/bin/python3
load=$here/load.py

if [ "$(id -u)" != 0 ]; then
    echo "faults: SKIP needs root (network namespaces, iptables)"
    exit 77
fi

prefix=ndt$$          # namespace and interface prefix, unique per run
work=$(mktemp -d)
namespaces=()
pids=()
scan_pid=""          # the scan findings() waits for
neigh_saved=""       # "gc_thresh1 gc_thresh2 gc_thresh3" while the neighbour test has them lowered
neigh_sysctl=/proc/sys/net/ipv4/neigh/default
restore_neigh() {    # idempotent: puts back what the neighbour test saved, highest threshold first
    [ -n "$neigh_saved" ] || return 0
    set -- $neigh_saved
    echo "$3" >"$neigh_sysctl/gc_thresh3"
    echo "$2" >"$neigh_sysctl/gc_thresh2"
    echo "$1" >"$neigh_sysctl/gc_thresh1"
    if [ "$(cat "$neigh_sysctl/gc_thresh1" "$neigh_sysctl/gc_thresh2" "$neigh_sysctl/gc_thresh3" | tr '\n' ' ')" = "$1 $2 $3 " ]; then
        neigh_saved=""
    else
        echo "faults: could not restore net.ipv4.neigh.default.gc_thresh1/2/3 to $1 $2 $3" >&2
    fi
}
cleanup() {
    restore_neigh    # first: the only host-wide setting the suite ever changes
    [ -n "$scan_pid" ] && kill "$scan_pid" 2>/dev/null
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for ns in "${namespaces[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT
# Interrupted or killed (not with SIGKILL): exit, so that the EXIT trap still cleans up and restores.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

new_namespace() {  # new_namespace NAME: an empty namespace with loopback up
    ip netns add "$1" && namespaces+=("$1")
    ip -n "$1" link set lo up
}

# start_load NAME NS MODE ARGS...: runs load.py in the namespace in the background and waits,
# bounded, until it says the fault is in place.
start_load() {
    local name=$1 ns=$2
    shift 2
    ip netns exec "$ns" timeout 120 "$python" "$load" "$@" >"$work/$name.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        grep -q ready "$work/$name.out" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "  $name did not start: $(cat "$work/$name.out")"
    return 1
}

# findings NS ARGS...: scans from inside NS (- for the initial namespace); sets $code and $found
# ("check:subject" of every warning and critical finding, sorted, comma-separated), and keeps the
# JSON in $work/last.json. The scan runs in the background so that a signal is handled at once.
findings() {
    local ns=$1 in_ns=()
    shift
    [ "$ns" = - ] || in_ns=(ip netns exec "$ns")
    "${in_ns[@]}" timeout 120 "$netdiag" scan --json --no-progress "$@" >"$work/last.json" 2>"$work/last.err" &
    scan_pid=$!
    wait $scan_pid
    code=$?
    scan_pid=
    [ -s "$work/last.err" ] && sed 's/^/  stderr: /' "$work/last.err" | head -5
    found=$("$python" - "$work/last.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text) if text.strip() else {"hosts": []}  # no report: the scan failed, its stderr is shown
print(",".join(sorted({f'{f["check"]}:{f["subject"]}' for h in d["hosts"] for f in h["findings"]
                       if f["severity"] in ("warning", "critical")})))
PY
)
    echo "  exit $code, findings: ${found:--}"
}

# A clean namespace: nothing wrong, exit 0.
clean=$prefix-clean
new_namespace "$clean"
findings "$clean" --interval 1
expect_equal "$code" 0 "a clean namespace exits 0"
expect_equal "$found" "" "a clean namespace has no findings"

# The socket table as a local sample reads it (one sock_diag dump) against what /proc/net/tcp and
# tcp6 list, in a namespace holding only these sockets: listeners on both families, an ESTABLISHED
# pair, a CLOSE_WAIT, a TIME_WAIT and a socket bound but never used (which the files leave out).
table=$(ip netns exec "$clean" timeout 60 "$python" - "$netdiag" <<'PY'
import json, socket, subprocess, sys, time
listen4 = socket.socket(); listen4.bind(("127.0.0.1", 7070)); listen4.listen()
listen6 = socket.socket(socket.AF_INET6); listen6.bind(("::1", 7071)); listen6.listen()
client = socket.create_connection(("::1", 7071)); server, _ = listen6.accept()
closing = socket.create_connection(("127.0.0.1", 7070)); stuck, _ = listen4.accept(); closing.close()
leaving = socket.create_connection(("127.0.0.1", 7070)); accepted, _ = listen4.accept()
leaving.close(); time.sleep(0.05); accepted.close()
bound = socket.socket(); bound.bind(("127.0.0.1", 7072))
time.sleep(0.2)
names = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT", 7: "CLOSE",
         8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING"}
listed = {"states": {}, "close_wait_by_local_port": {}, "time_wait_by_remote_port": {}, "syn_recv_by_local_port": {},
          "listeners": {}}
for path in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(path).read().splitlines()[1:]:
        fields = line.split()
        state, local, remote = int(fields[3], 16), int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16)
        listed["states"][names[state]] = listed["states"].get(names[state], 0) + 1
        if state == 8: listed["close_wait_by_local_port"][str(local)] = listed["close_wait_by_local_port"].get(str(local), 0) + 1
        if state == 6: listed["time_wait_by_remote_port"][str(remote)] = listed["time_wait_by_remote_port"].get(str(remote), 0) + 1
        if state == 3: listed["syn_recv_by_local_port"][str(local)] = listed["syn_recv_by_local_port"].get(str(local), 0) + 1
        if state == 10:  # a listener's rx_queue is its accept queue; both families on one port: the fuller
            queued = int(fields[4].split(":")[1], 16)
            listed["listeners"][str(local)] = {"queued": max(queued, listed["listeners"].get(str(local), {}).get("queued", 0))}
collected = json.loads(subprocess.run([sys.argv[1], "collect", "--interval", "0"], capture_output=True, text=True,
                                      timeout=60).stdout)["samples"][0]["tcp"]
# The accept queue's limit is not in the files (sock_diag only): compared apart, listen()'s default 128.
backlogs = {port: listener.pop("backlog", None) for port, listener in collected.get("listeners", {}).items()}
print("same" if collected == listed else f"differ: collected {collected}, listed {listed}")
print(json.dumps(collected["states"], sort_keys=True))
print(json.dumps(backlogs, sort_keys=True))
PY
)
echo "$table" | sed 's/^/  /'
expect_equal "$(head -1 <<<"$table")" "same" "a local sample counts the sockets /proc/net/tcp and tcp6 list"
expect_equal "$(sed -n 2p <<<"$table")" \
    '{"CLOSE_WAIT": 1, "ESTABLISHED": 2, "FIN_WAIT2": 1, "LISTEN": 2, "TIME_WAIT": 1}' "state by state"
expect_equal "$(sed -n 3p <<<"$table")" '{"7070": 128, "7071": 128}' "both listeners' backlogs, from sock_diag"

# The NIC checks leave veth out by default (virtual_interfaces). The tests below that break a veth
# scan with this config: the default list without veth*, so a veth counts as a physical interface.
physical_veth=$work/physical-veth.yaml
cat >"$physical_veth" <<'YAML'
virtual_interfaces: [lo, br-*, docker*, virbr*, vnet*, tun*, tap*, cali*, flannel*, cni*, vxlan*, kube-*, dummy*,
                     ifb*, wg*]
YAML

# knows CHECK: whether this binary has the check (the last tests are written ahead of their checks).
knows() {
    "$netdiag" checks 2>/dev/null | grep -q "^$1 " && return 0
    echo "  this binary has no $1 check yet: the test below fails until it does"
    return 1
}

# counter NS NAME: a kernel counter's absolute value in NS (nstat -a, history left alone).
counter() {
    ip netns exec "$1" nstat -asz "$2" | awk -v name="$2" '$1 == name {print $2}'
}

# A healthy veth pair, both ends up, counted as physical: no link, flap or transmit finding.
ip -n "$clean" link add veth0 type veth peer name veth1
ip -n "$clean" link set veth0 up
ip -n "$clean" link set veth1 up
findings "$clean" --interval 1 --config "$physical_veth"
expect_equal "$code" 0 "a healthy veth pair counted as physical exits 0"
expect_equal "$found" "" "a healthy veth pair has no findings"

# Conntrack past 80 % of nf_conntrack_max. The maximum is only writable from the initial
# namespace, so the table is filled with unreplied UDP flows instead.
conntrack=$prefix-ct
new_namespace "$conntrack"
ip netns exec "$conntrack" sh -c 'iptables -A OUTPUT -m conntrack --ctstate NEW -j ACCEPT &&
    sysctl -qw net.netfilter.nf_conntrack_udp_timeout=300'
max=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
ip netns exec "$conntrack" timeout 120 "$python" "$load" udp-fill $((max * 85 / 100))
findings "$conntrack" --interval 0
expect_equal "$code" 1 "conntrack at 85 % is a warning"
expect_contains ",$found," ",conntrack-fill:nf_conntrack," "the conntrack finding names the table"

# Frames of an unknown ethertype sent across a veth pair: dropped by the receiving end only.
drops=$prefix-rx
new_namespace "$drops"
ip -n "$drops" link add "${prefix}tx" type veth peer name "${prefix}rx"
ip -n "$drops" link set "${prefix}tx" up
ip -n "$drops" link set "${prefix}rx" up
start_load frames "$drops" raw-frames "${prefix}tx" 30
findings "$drops" --interval 2
expect_equal "$found" "rx-drops:${prefix}rx" "rx drops are found on the receiving interface only"
expect_equal "$(json_get "$work/last.json" '[f.get("cause") for f in d["hosts"][0]["findings"] if f["check"]=="rx-drops"]')" \
    "['protocol']" "the drops are put down to the unknown protocol, not to CPU or ring pressure"

# Packet loss under bulk transfers: TCP retransmits. netem where the kernel has it, else random
# drops with iptables' statistic match (the same loss, seen by TCP the same way). Three flows: one
# alone dips below the check's 50 retransmits/s now and then, its throughput swinging with RTO stalls.
retrans=$prefix-rt
new_namespace "$retrans"
if ip netns exec "$retrans" tc qdisc add dev lo root netem loss 5% 2>/dev/null; then
    echo "  loss: netem 5 %"
else
    echo "  loss: this kernel has no sch_netem; iptables statistic drop 5 % instead"
    ip netns exec "$retrans" iptables -A INPUT -p tcp --dport 5001:5003 -m statistic --mode random \
        --probability 0.05 -j DROP
fi
for flow in 1 2 3; do start_load bulk-$flow "$retrans" bulk-tcp $((5000 + flow)) 30; done
findings "$retrans" --interval 3 --only tcp-retransmits
expect_contains ",$found," ",tcp-retransmits:tcp," "lossy bulk transfer gives a retransmit finding"
if [ "$code" = 1 ] || [ "$code" = 2 ]; then pass "retransmits raise the exit code ($code)"; else fail "retransmits exit $code"; fi

# A server that never closes: the sockets its clients hung up on sit in CLOSE_WAIT on its port.
closewait=$prefix-cw
new_namespace "$closewait"
start_load closewait "$closewait" close-wait 7070 150 60
findings "$closewait" --interval 0
expect_equal "$found" "close-wait:port 7070" "CLOSE_WAIT names the server's port"
expect_equal "$code" 1 "150 sockets in CLOSE_WAIT is a warning"

# A shrunken ephemeral port range and many short connections closed by the client: TIME_WAIT
# holds most of the range. tcp_tw_reuse is off so loopback connections do not recycle them.
timewait=$prefix-tw
new_namespace "$timewait"
ip netns exec "$timewait" sysctl -qw net.ipv4.ip_local_port_range="40000 40999" net.ipv4.tcp_tw_reuse=0
ip netns exec "$timewait" timeout 60 "$python" "$load" short-conns 7171 950
findings "$timewait" --interval 0
expect_equal "$found" "time-wait:ip_local_port_range" "TIME_WAIT against the port range is found"
expect_equal "$code" 2 "95 % of the range in TIME_WAIT is critical"
expect_contains "$(json_get "$work/last.json" '[f["message"] for f in d["hosts"][0]["findings"] if f["check"]=="time-wait"]')" \
    "(40000-40999)" "the finding names the range"

# First fragments that are never completed, with a one-second reassembly timeout (per namespace):
# reassembly failures, and nothing else.
fragments=$prefix-frag
new_namespace "$fragments"
ip netns exec "$fragments" sysctl -qw net.ipv4.ipfrag_time=1
start_load frag "$fragments" first-fragments 9 30
findings "$fragments" --interval 2
expect_equal "$found" "ip-reassembly:ip reassembly" "lost fragments give a reassembly finding, and only that"
expect_equal "$code" 1 "reassembly failures are a warning"

# A SYN flood from spoofed loopback sources on a listener with a backlog of 16 that never accepts;
# its SYN-ACKs are dropped, as they would be lost towards spoofed hosts. Cookies answer the flood.
synflood=$prefix-syn
new_namespace "$synflood"
ip netns exec "$synflood" iptables -A OUTPUT -p tcp --tcp-flags SYN,ACK SYN,ACK -j DROP
start_load syn "$synflood" syn-flood 8080 30
findings "$synflood" --interval 2
expect_equal "$found" "syn-queue:port 8080" "a SYN flood gives a SYN queue finding on the flooded port, and only that"
expect_equal "$code" 2 "hundreds of SYN cookies a second is critical"
expect_contains "$(json_get "$work/last.json" '[f["message"] for f in d["hosts"][0]["findings"] if f["check"]=="syn-queue"]')" \
    "answered with SYN cookies" "the finding says the SYNs were answered with cookies"

# A client hammering a port nothing listens on: the kernel answers every SYN with a RST.
resets=$prefix-rst
new_namespace "$resets"
start_load refused "$resets" refused 9999 30
findings "$resets" --interval 2
expect_equal "$found" "tcp-resets:tcp" "connections refused with RSTs give a reset finding, and only that"
expect_equal "$code" 1 "a reset storm is a warning"

# tcp_max_tw_buckets (per namespace) at 16 and connections closed by the client without pause: the
# sockets past the 16th close without TIME_WAIT (TcpExt TCPTimeWaitOverflow). The client waits for
# the server's FIN before it closes, so no RSTs come of it (see tw-churn in load.py).
twoverflow=$prefix-two
new_namespace "$twoverflow"
ip netns exec "$twoverflow" sysctl -qw net.ipv4.tcp_max_tw_buckets=16
start_load churn "$twoverflow" tw-churn 7172 8
findings "$twoverflow" --interval 2
expect_equal "$found" "time-wait-overflow:tcp_max_tw_buckets" "TIME_WAIT overflow is found, and only that"
expect_equal "$code" 1 "TIME_WAIT overflow is a warning"
expect_contains "$(json_get "$work/last.json" '[f["message"] for f in d["hosts"][0]["findings"] if f["check"]=="time-wait-overflow"]')" \
    "net.ipv4.tcp_max_tw_buckets (16)" "the finding names the limit and its value"

# A receiver that lets autotuning open a wide window, then shrinks SO_RCVBUF to the minimum and stops
# reading: the window already offered is never taken back, so the segments in flight no longer fit.
# On 6.x each connection counts PruneCalled, TCPRcvCollapsed, RcvPruned and TCPRcvQDrop (OfoPruned,
# TCPZeroWindowDrop and TCPBacklogDrop stay at 0); a few connections a second, their RSTs and
# retransmits well below the tcp-resets and tcp-retransmits floors.
rcvdrops=$prefix-rq
new_namespace "$rcvdrops"
ip netns exec "$rcvdrops" nstat -n
start_load squeeze "$rcvdrops" rcvbuf-squeeze 7301 8
findings "$rcvdrops" --interval 2
expect_equal "$found" "tcp-receive-drops:tcp receive queues" "receive queue drops are found, and only that"
expect_equal "$code" 1 "receive queue drops are a warning"
rose=$(ip netns exec "$rcvdrops" nstat -s | awk '$1 ~ /^TcpExt(RcvPruned|TCPRcvQDrop)$/ && $2 > 0 {print $1}' | sort | tr '\n' ' ')
expect_equal "$rose" "TcpExtRcvPruned TcpExtTCPRcvQDrop " "the kernel counted the drops the check reads (RcvPruned, TCPRcvQDrop)"

# A veth pair whose far end has a smaller MTU: frames that fit our MTU but not the peer's are
# dropped by veth_xmit and counted as tx_dropped in /proc/net/dev (the peer counts one rx drop each,
# at 5/s below the rx-drops threshold). IPv6 is off so that veth0 sends nothing else: 100 % dropped.
txdrops=$prefix-txd
new_namespace "$txdrops"
ip netns exec "$txdrops" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$txdrops" link add veth0 type veth peer name veth1
ip -n "$txdrops" link set veth1 mtu 1000
ip -n "$txdrops" link set veth0 up
ip -n "$txdrops" link set veth1 up
start_load oversized "$txdrops" oversized-frames veth0 1400 5 10
findings "$txdrops" --interval 2 --config "$physical_veth"
expect_equal "$found" "tx-drops:veth0" "transmit drops are found on the sending veth, and only there"
expect_equal "$code" 1 "transmit drops are a warning"
expect_equal "$(json_get "$work/last.json" '[round(f["value"]) for f in d["hosts"][0]["findings"] if f["check"]=="tx-drops"]')" \
    "[100]" "every frame veth0 tried to send was dropped: 100 %"
findings "$txdrops" --interval 1
expect_equal "$found" "" "with the default virtual_interfaces the veth's drops are left out"
expect_equal "$code" 0 "and the scan exits 0"

# tcp-memory has no test here: net.ipv4.tcp_mem and tcp_max_orphans are not per namespace (neither
# is in a namespace's /proc/sys/net/ipv4), TCP memory accounting and the orphan count are host-wide,
# and pressure would take either lowering tcp_mem for the whole host or filling its ~1.5 GB.

# A veth up whose peer is set down: administratively up, no carrier (operstate lowerlayerdown).
# The peer itself is down on purpose and is no link-down finding.
knows link-down
linkdown=$prefix-ld
new_namespace "$linkdown"
ip netns exec "$linkdown" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$linkdown" link add veth0 type veth peer name veth1
ip -n "$linkdown" link set veth0 up
findings "$linkdown" --interval 1 --config "$physical_veth"
expect_equal "$found" "link-down:veth0" "an interface up without carrier is link-down; its peer set down is not"
expect_equal "$code" 2 "a link down is critical"
expect_equal "$(json_get "$work/last.json" '[f["severity"] for f in d["hosts"][0]["findings"] if f["check"]=="link-down"]')" \
    "['critical']" "the link-down finding is critical"

# The far end of a veth (in another namespace, as a switch port would be) toggled down and up six
# times, a toggle every 0.2 s, inside a 3 s scan: 12 carrier changes on veth0, which ends up. Each
# `ip` takes 50 ms or more on a loaded machine: the toggling lasts 1.2-2 s, and the scan's 3 s keep
# its second sample clear of it (a sample taken while the peer is down would add link-down).
knows carrier-flaps
flaps=$prefix-fl
new_namespace "$flaps"
new_namespace "$flaps-peer"
# No IPv6: veth0 would send router solicitations into the moments its peer is down (tx drops).
for side in "$flaps" "$flaps-peer"; do
    ip netns exec "$side" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$flaps" link add veth0 type veth peer name veth1 netns "$flaps-peer"
ip -n "$flaps" link set veth0 up
ip -n "$flaps-peer" link set veth1 up
changes=$(ip netns exec "$flaps" cat /sys/class/net/veth0/carrier_changes)
(
    sleep 0.3
    for _ in 1 2 3 4 5 6; do
        ip -n "$flaps-peer" link set veth1 down
        sleep 0.05
        ip -n "$flaps-peer" link set veth1 up
        sleep 0.05
    done
) &
pids+=($!)
findings "$flaps" --interval 3 --config "$physical_veth"
wait "${pids[-1]}"
expect_equal "$(($(ip netns exec "$flaps" cat /sys/class/net/veth0/carrier_changes) - changes)) $(ip netns exec "$flaps" cat /sys/class/net/veth0/carrier)" \
    "12 1" "veth0's carrier changed 12 times during the scan and is back"
expect_equal "$found" "carrier-flaps:veth0" "a flapping carrier is found on the interface, and only that"
expect_equal "$code" 1 "carrier flaps are a warning"

# A namespace with loopback only, so no default route, and datagrams to an address outside it:
# each sendto fails with ENETUNREACH and the kernel counts it in Ip OutNoRoutes.
noroute=$prefix-nr
new_namespace "$noroute"
start_load noroute "$noroute" no-route 192.0.2.1 200 8
findings "$noroute" --interval 2
kill "${pids[-1]}" 2>/dev/null
expect_equal "$found" "no-route:routes" "datagrams to an unroutable address give a no-route finding, and only that"
expect_equal "$code" 1 "packets without a route are a warning"
rose=$(counter "$noroute" IpOutNoRoutes)
if [ "${rose:-0}" -gt 0 ]; then pass "the kernel counted them in Ip OutNoRoutes ($rose)"; else fail "Ip OutNoRoutes did not rise"; fi

# A flood across a veth pair between two namespaces, counted as physical: 200 000 IPv4 frames/s to
# a MAC nobody has (from a transmit ring: a busy machine still sends well over 60 000/s). The
# receiving end counts them in rx_packets, then its IP layer drops them as not for this host, in
# rx_otherhost_dropped, which neither /proc/net/dev nor a check reads: nothing but the storm shows.
# The baseline is the veth's rx_packets since boot over the host's uptime, a few packets/s for a
# fresh veth, so the floor of 1000/s applies: 50x (50 000/s) warns, past 60x is critical.
storm=$prefix-st
new_namespace "$storm"
new_namespace "$storm-peer"
for side in "$storm" "$storm-peer"; do
    ip netns exec "$side" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$storm-peer" link add veth0 type veth peer name veth1 netns "$storm"
ip -n "$storm-peer" link set veth0 up
ip -n "$storm" link set veth1 up
start_load storm "$storm-peer" storm veth0 200000 8
findings "$storm" --interval 2 --config "$physical_veth"
kill "${pids[-1]}" 2>/dev/null
echo "  $(json_get "$work/last.json" '[f["message"] for f in d["hosts"][0]["findings"] if f["check"]=="packet-storm"]')"
expect_equal "$found" "packet-storm:veth1" "a flood is a packet storm on the receiving veth, and only that"
expect_equal "$code" 2 "a storm past 60 times the usual rate is critical"

# Fragment memory against ipfrag_high_thresh, both per namespace: the limit lowered to 256 KiB
# (ipfrag_low_thresh first, which it may not go below), ipfrag_time at 30 s so nothing times out
# during the test, and first fragments that are never completed until sockstat's FRAG memory reaches
# 85 %, then the limit. A level check: --interval 0, no rates (so no reassembly-failure finding).
fragmem=$prefix-fm
new_namespace "$fragmem"
ip netns exec "$fragmem" sysctl -qw net.ipv4.ipfrag_low_thresh=196608 net.ipv4.ipfrag_high_thresh=262144 \
    net.ipv4.ipfrag_time=30
ip netns exec "$fragmem" timeout 30 "$python" "$load" frag-fill 9 $((262144 * 85 / 100)) | sed 's/^/  /'
findings "$fragmem" --interval 0
expect_equal "$found" "frag-memory:ipv4 fragments" "fragments holding 85 % of ipfrag_high_thresh are found, and only that"
expect_equal "$code" 1 "85 % of the fragment memory limit is a warning"
ip netns exec "$fragmem" timeout 30 "$python" "$load" frag-fill 9 262144 | sed 's/^/  /'
findings "$fragmem" --interval 0
expect_equal "$found" "frag-memory:ipv4 fragments" "fragments at ipfrag_high_thresh are found, and only that"
expect_equal "$code" 2 "fragment memory at its limit is critical"
expect_contains "$(json_get "$work/last.json" '[f["message"] for f in d["hosts"][0]["findings"] if f["check"]=="frag-memory"]')" \
    "net.ipv4.ipfrag_high_thresh (262144)" "the finding names the limit and its value"

# UDP datagrams with a wrong checksum, sent over loopback from a raw socket (the kernel checks what
# a raw socket sends: loopback does not vouch for it): Udp InCsumErrors, and InErrors, which no
# check reads. The checksum is checked before the port is looked up: no ICMP, no NoPorts.
csum=$prefix-cs
new_namespace "$csum"
start_load csum "$csum" bad-checksums 9 50 8
findings "$csum" --interval 2
kill "${pids[-1]}" 2>/dev/null
expect_equal "$found" "checksum-errors:ip" "datagrams with bad checksums give a checksum finding, and only that"
expect_equal "$code" 1 "checksum errors are a warning"
rose=$(counter "$csum" UdpInCsumErrors)
if [ "${rose:-0}" -gt 0 ]; then pass "the kernel counted them in Udp InCsumErrors ($rose)"; else fail "Udp InCsumErrors did not rise"; fi

# Two links between namespaces A and B (10.201.1.0/24 and 10.201.2.0/24), strict reverse-path
# filtering in B (conf/all, per namespace), and datagrams A sends out of link 1 from its link-2
# address: B's route back to that source is link 2, so it drops them (TcpExt IPReversePathFilter).
# A's neighbour entry for B is static: an ARP request from that source would go unanswered.
rpa=$prefix-rpa
rpb=$prefix-rpb
new_namespace "$rpa"
new_namespace "$rpb"
for side in "$rpa" "$rpb"; do
    ip netns exec "$side" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip netns exec "$rpb" sysctl -qw net.ipv4.conf.all.rp_filter=1
for link in 1 2; do
    ip -n "$rpa" link add out$link type veth peer name in$link netns "$rpb"
    ip -n "$rpa" addr add 10.201.$link.1/24 dev out$link
    ip -n "$rpb" addr add 10.201.$link.2/24 dev in$link
    ip -n "$rpa" link set out$link up
    ip -n "$rpb" link set in$link up
done
ip -n "$rpa" neigh replace 10.201.1.2 lladdr "$(ip netns exec "$rpb" cat /sys/class/net/in1/address)" dev out1 nud permanent
start_load spoofed "$rpa" spoofed-source 10.201.2.1 10.201.1.2 50 8
findings "$rpb" --interval 2
kill "${pids[-1]}" 2>/dev/null
expect_equal "$found" "rp-filter:rp_filter" "packets from the wrong link give an rp_filter finding, and only that"
expect_equal "$code" 1 "reverse-path drops are a warning"
expect_contains "$(json_get "$work/last.json" '[f["message"] for f in d["hosts"][0]["findings"] if f["check"]=="rp-filter"]')" \
    "strict (1) on: in1, in2" "the finding names B's strict interfaces"
rose=$(counter "$rpb" TcpExtIPReversePathFilter)
if [ "${rose:-0}" -gt 0 ]; then pass "the kernel counted them in TcpExt IPReversePathFilter ($rose)"; else fail "IPReversePathFilter did not rise"; fi

# Egress qdisc drops: a token bucket (tbf, 1 Mbit/s) on a veth, and frames sent out of it at twice
# that from a transmit ring. The qdisc drops what does not fit; the NIC counters never see those
# packets, only the qdisc statistics (rtnetlink) do.
qdisc=$prefix-qd
new_namespace "$qdisc"
new_namespace "$qdisc-peer"
ip -n "$qdisc" link add veth0 type veth peer name veth1 netns "$qdisc-peer"
ip -n "$qdisc" link set veth0 up
ip -n "$qdisc-peer" link set veth1 up
ip netns exec "$qdisc" tc qdisc add dev veth0 root handle 5: tbf rate 1mbit burst 1600 limit 3000
start_load qdisc "$qdisc" storm veth0 5000 8
findings "$qdisc" --interval 2
expect_equal "$found" "qdisc-drops:veth0" "a full token bucket gives a qdisc-drops finding on its interface, and only that"
expect_equal "$code" 1 "qdisc drops are a warning"
expect_contains "$(json_get "$work/last.json" '[f["message"] for f in d["hosts"][0]["findings"] if f["check"]=="qdisc-drops"]')" \
    "veth0's tbf qdisc drops" "the finding names the qdisc"

# After all of the above, the clean namespace is still clean: every fault stayed in its namespace.
findings "$clean" --interval 1 --config "$physical_veth"
expect_equal "$code" 0 "the clean namespace still exits 0"
expect_equal "$found" "" "the clean namespace still has no findings"

# Neighbour table overflow. The ARP table and its gc_thresh1/2/3 are host-wide (only the initial
# namespace has /proc/sys/net/ipv4/neigh/default and /proc/net/stat/arp_cache), so this is the one
# test that changes a host setting: it saves the three values, lowers them to 4/8/16 for a few
# seconds and restores them right after the scan and, whatever happens, on exit (EXIT, INT, TERM,
# HUP). A namespace then sends to 200 addresses of a /24 nobody answers on: 16 entries sit
# INCOMPLETE and every other resolution finds the table full (table_fulls in arp_cache). While it
# runs the host may lose a stale ARP entry of its own (forced GC) and resolve it again afterwards.
# The scan runs from the initial namespace, with --only, as that is where the table is visible.
if knows neigh-table; then
    exec 9>"${TMPDIR:-/tmp}/netdiag-faults-neigh.lock"
    saved=""
    flock -w 60 9 && saved=$(cat "$neigh_sysctl/gc_thresh1" "$neigh_sysctl/gc_thresh2" "$neigh_sysctl/gc_thresh3" | tr '\n' ' ')
    saved=${saved% }
    echo "  gc_thresh1/2/3 before: ${saved:-(not read)}"
    set -- $saved
    if [ -z "$saved" ]; then
        fail "another run holds the neighbour test's lock: not touching gc_thresh"
    elif [ "$3" -le 16 ]; then
        fail "gc_thresh3 is already $3 (a run killed with SIGKILL?): not touching it; restore it by hand"
    else
        neighbours=$prefix-nb
        new_namespace "$neighbours"
        ip -n "$neighbours" link add veth0 type veth peer name veth1
        ip -n "$neighbours" addr add 10.99.0.1/24 dev veth0
        ip -n "$neighbours" link set veth0 up
        ip -n "$neighbours" link set veth1 up
        table_fulls() {  # summed over the per-CPU lines, in hex
            local sum=0 value
            for value in $(awk 'NR > 1 {print $13}' /proc/net/stat/arp_cache); do sum=$((sum + 16#$value)); done
            echo "$sum"
        }
        fulls_before=$(table_fulls)
        neigh_saved=$saved    # from here on cleanup restores them
        echo 4 >"$neigh_sysctl/gc_thresh1"
        echo 8 >"$neigh_sysctl/gc_thresh2"
        echo 16 >"$neigh_sysctl/gc_thresh3"
        if start_load resolve "$neighbours" neigh-flood 10.99.0 200 5; then
            findings - --interval 2 --only neigh-table
        else
            code=- found=-
        fi
        kill "${pids[-1]}" 2>/dev/null
        restore_neigh
        fulls=$(($(table_fulls) - fulls_before))
        echo "  table_fulls rose by $fulls"
        if [ "$fulls" -gt 0 ]; then pass "the kernel found the ARP table full ($fulls times)"; else fail "table_fulls did not rise"; fi
        expect_equal "$(cat "$neigh_sysctl/gc_thresh1" "$neigh_sysctl/gc_thresh2" "$neigh_sysctl/gc_thresh3" | tr '\n' ' ')" \
            "$saved " "gc_thresh1/2/3 are back to what they were ($saved)"
        expect_equal "$found" "neigh-table:ipv4" "a full ARP table is found, subject ipv4"
        expect_equal "$code" 2 "any neighbour table overflow is critical"
        expect_contains "$(json_get "$work/last.json" '[f["message"] for f in d["hosts"][0]["findings"] if f["check"]=="neigh-table"]' 2>/dev/null)" \
            "gc_thresh3 16" "the finding gives the limit the table ran into"
    fi
    exec 9>&-
else
    fail "neigh-table: awaits the check (the host's gc_thresh were not touched)"
fi

finish faults
