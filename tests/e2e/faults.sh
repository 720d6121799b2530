#!/usr/bin/env bash
# Real faults, end to end: each fault is injected into a network namespace this script creates,
# the built binary scans from inside it (`ip netns exec`), and the suite asserts the finding ids
# and subjects a user would read. Everything is torn down on exit, pass or fail.
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
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for ns in "${namespaces[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT

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

# findings NS ARGS...: scans from inside NS; sets $code and $found ("check:subject" of every
# warning and critical finding, sorted, comma-separated), and keeps the JSON in $work/last.json.
findings() {
    local ns=$1
    shift
    ip netns exec "$ns" timeout 120 "$netdiag" scan --json --no-progress "$@" >"$work/last.json" 2>"$work/last.err"
    code=$?
    found=$("$python" - "$work/last.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
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
listed = {"states": {}, "close_wait_by_local_port": {}, "time_wait_by_remote_port": {}}
for path in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(path).read().splitlines()[1:]:
        fields = line.split()
        state, local, remote = int(fields[3], 16), int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16)
        listed["states"][names[state]] = listed["states"].get(names[state], 0) + 1
        if state == 8: listed["close_wait_by_local_port"][str(local)] = listed["close_wait_by_local_port"].get(str(local), 0) + 1
        if state == 6: listed["time_wait_by_remote_port"][str(remote)] = listed["time_wait_by_remote_port"].get(str(remote), 0) + 1
collected = json.loads(subprocess.run([sys.argv[1], "collect", "--interval", "0"], capture_output=True, text=True,
                                      timeout=60).stdout)["samples"][0]["tcp"]
print("same" if collected == listed else f"differ: collected {collected}, listed {listed}")
print(json.dumps(collected["states"], sort_keys=True))
PY
)
echo "$table" | sed 's/^/  /'
expect_equal "$(head -1 <<<"$table")" "same" "a local sample counts the sockets /proc/net/tcp and tcp6 list"
expect_equal "$(tail -1 <<<"$table")" \
    '{"CLOSE_WAIT": 1, "ESTABLISHED": 2, "FIN_WAIT2": 1, "LISTEN": 2, "TIME_WAIT": 1}' "state by state"

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

# Packet loss under a bulk transfer: TCP retransmits. netem where the kernel has it, else random
# drops with iptables' statistic match (the same loss, seen by TCP the same way).
retrans=$prefix-rt
new_namespace "$retrans"
if ip netns exec "$retrans" tc qdisc add dev lo root netem loss 5% 2>/dev/null; then
    echo "  loss: netem 5 %"
else
    echo "  loss: this kernel has no sch_netem; iptables statistic drop 5 % instead"
    ip netns exec "$retrans" iptables -A INPUT -p tcp --dport 5001 -m statistic --mode random \
        --probability 0.05 -j DROP
fi
start_load bulk "$retrans" bulk-tcp 5001 30
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
expect_equal "$found" "syn-queue:tcp syn queues" "a SYN flood gives a SYN queue finding, and only that"
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

finish faults
