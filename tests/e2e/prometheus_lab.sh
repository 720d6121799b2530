# A lab of real node_exporters and a real Prometheus, with real faults in network namespaces.
# Sourced by tests/e2e/prometheus.sh (and other suites); needs root, ip, iptables, curl, jq,
# /usr/bin/python3, prometheus and prometheus-node-exporter (Debian 12: 2.42 and 1.5).
#
#   source "$here/prometheus_lab.sh"
#   lab_init                      # once: $LAB_PREFIX, $LAB_WORK
#   trap lab_cleanup EXIT         # the caller installs the trap (INT/TERM/HUP: exit, so EXIT runs)
#   lab_namespace conntrack       # namespace "$LAB_PREFIX-conntrack", lo up; lab_ns conntrack names it
#   lab_exporter conntrack        # node_exporter in it, scraped as instance "lab-conntrack"
#   lab_prometheus RULES_FILE     # Prometheus on 127.0.0.1 scraping every exporter: $LAB_URL
#   lab_wait_targets 30           # until every target is up (bounded)
#   lab_fault_conntrack conntrack # and lab_fault_drops NAME, lab_fault_retrans NAME
#   lab_alerts                    # "instance check state severity" of every pending or firing alert
#
# How it is wired. node_exporter has to run inside the namespace it reports on: it reads
# /proc/self/net/* and /proc/sys/net/netfilter/* (both per network namespace), its netdev and
# netclass collectors ask rtnetlink of its own namespace, and /sys/class/net is the namespace's
# only under the sysfs that `ip netns exec` mounts for it. But a socket it opened in there would be
# on the namespace's own loopback, which the root namespace cannot reach. So the listening socket is
# opened in the root namespace, on 127.0.0.1 with a port the kernel picks (no race for a free port),
# and handed to node_exporter through systemd socket activation (LISTEN_FDS=1 on fd 3,
# --web.systemd-socket): a small launcher binds it, then execs `ip netns exec NS
# prometheus-node-exporter`, and as exec keeps the pid, LISTEN_PID stays right. A socket keeps the
# namespace it was created in, so node_exporter serves on the root namespace's loopback while
# everything it reads is the namespace's. Prometheus, `netdiag scan --prometheus`, curl: all in the
# root namespace, all on 127.0.0.1. No interface, address or route is added to the root namespace
# and no lab traffic leaves loopback or the lab's namespaces (the scrapes never enter them).
#
#   root namespace, 127.0.0.1:            namespaces (one node_exporter each, fd 3 from the root ns)
#     prometheus :P  --scrape 1s-->  :E1  $LAB_PREFIX-conntrack  instance="lab-conntrack"
#                    --scrape 1s-->  :E2  $LAB_PREFIX-drops      instance="lab-drops"     ...
#
# The instance label is set in the scrape config (static_configs labels), so Prometheus, its
# alerts and netdiag all name an instance lab-NAME, not 127.0.0.1:PORT.
#
# Everything runs bounded (timeout) and is stopped by lab_cleanup: the processes it started by pid,
# whatever still runs inside the lab's namespaces, then the namespaces and the work directory.

lab_init() {
    LAB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    LAB_PREFIX=${LAB_PREFIX:-ndp$$}  # namespace prefix, unique per run
    LAB_WORK=$(mktemp -d)
    LAB_PYTHON=/usr/bin/python3
    LAB_LOAD=$LAB_HERE/load.py
    LAB_LIFETIME=${LAB_LIFETIME:-240}  # seconds any lab process may live at most
    LAB_NAMESPACES=()
    LAB_PIDS=()
    LAB_TARGETS=()  # "instance address" per exporter
    LAB_URL=""
    LAB_PROMETHEUS_PID=""
    # The socket activation launcher (see above). Prints the port it bound to $1, then execs the rest.
    cat >"$LAB_WORK/activate.py" <<'PY'
import os, socket, sys
port_file, argv = sys.argv[1], sys.argv[2:]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(128)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)  # Python's sockets are close-on-exec; fd 3 must survive two execs
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.environ.pop("LISTEN_FDNAMES", None)
with open(port_file + ".tmp", "w") as f:
    f.write(f"{s.getsockname()[1]}\n")
os.rename(port_file + ".tmp", port_file)
os.execvp(argv[0], argv)
PY
}

# lab_stop PID: TERM, up to 5 s, then KILL (only a pid this library started).
lab_stop() {
    local pid=$1
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
}

lab_cleanup() {
    local pid ns
    [ -n "${LAB_PROMETHEUS_PID:-}" ] && lab_stop "$LAB_PROMETHEUS_PID"
    for pid in "${LAB_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for ns in "${LAB_NAMESPACES[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
    done
    for pid in "${LAB_PIDS[@]}"; do lab_stop "$pid"; done
    for ns in "${LAB_NAMESPACES[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    [ -n "${LAB_WORK:-}" ] && rm -rf "$LAB_WORK"
    return 0
}

lab_ns() { echo "$LAB_PREFIX-$1"; }  # lab_ns NAME: the namespace's full name

# lab_namespace NAME: a new namespace, loopback up, IPv6 off (nothing sends router solicitations
# or DAD probes that a check could count).
lab_namespace() {
    local ns
    ns=$(lab_ns "$1")
    ip netns add "$ns" || return 1
    LAB_NAMESPACES+=("$ns")
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
}

# lab_exporter NAME [NODE_EXPORTER_ARGS...]: node_exporter inside namespace NAME, listening on a
# root-namespace socket on 127.0.0.1 (see above); a target "lab-NAME" for lab_prometheus.
# Its textfile directory is an empty one of the lab's, never the host's
# /var/lib/prometheus/node-exporter (a netdiag.prom there would add the host's findings); pass
# --collector.textfile.directory=DIR (with the =) to give it one. The systemd collector is off: there is no
# systemd to ask inside the lab and it logs an error every scrape.
lab_exporter() {
    local name=$1 ns port_file port
    local textfile
    shift
    ns=$(lab_ns "$name")
    port_file=$LAB_WORK/exporter-$name.port
    # kingpin refuses a flag given twice: the lab's empty directory only when the caller gives none.
    textfile=(--collector.textfile.directory="$LAB_WORK/textfile-$name")
    [[ " $* " == *" --collector.textfile.directory="* ]] && textfile=()
    mkdir -p "$LAB_WORK/textfile-$name"
    timeout "$LAB_LIFETIME" "$LAB_PYTHON" "$LAB_WORK/activate.py" "$port_file" \
        ip netns exec "$ns" prometheus-node-exporter --web.systemd-socket --no-collector.systemd \
        "${textfile[@]}" "$@" >"$LAB_WORK/exporter-$name.log" 2>&1 &
    LAB_PIDS+=($!)
    for _ in $(seq 100); do
        port=$(cat "$port_file" 2>/dev/null)
        if [ -n "$port" ] && curl -fsS --max-time 5 -o /dev/null "http://127.0.0.1:$port/metrics" 2>/dev/null; then
            LAB_TARGETS+=("lab-$name 127.0.0.1:$port")
            return 0
        fi
        sleep 0.1
    done
    echo "lab: node_exporter for $name did not answer; its log:" >&2
    tail -20 "$LAB_WORK/exporter-$name.log" >&2
    return 1
}

# lab_free_port: a port free on 127.0.0.1 right now (Prometheus cannot take a socket; retried on
# the rare clash).
lab_free_port() {
    "$LAB_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# lab_prometheus RULES_FILE: writes prometheus.yml (job "lab", every lab_exporter target with its
# instance label, scrape and evaluation every second, RULES_FILE as its rule file) and starts
# Prometheus on 127.0.0.1 in the background; $LAB_URL once it is ready (bounded, 30 s).
lab_prometheus() {
    local rules=$1 target instance address port attempt
    {
        cat <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
scrape_configs:
  - job_name: lab
    static_configs:
YAML
        for target in "${LAB_TARGETS[@]}"; do
            read -r instance address <<<"$target"
            printf '      - targets: ["%s"]\n        labels: {instance: "%s"}\n' "$address" "$instance"
        done
    } >"$LAB_WORK/prometheus.yml"
    for attempt in 1 2 3; do
        port=$(lab_free_port)
        rm -rf "$LAB_WORK/tsdb"
        timeout "$LAB_LIFETIME" prometheus --config.file="$LAB_WORK/prometheus.yml" \
            --storage.tsdb.path="$LAB_WORK/tsdb" --web.listen-address="127.0.0.1:$port" \
            >"$LAB_WORK/prometheus.log" 2>&1 &
        LAB_PROMETHEUS_PID=$!
        for _ in $(seq 300); do
            if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$port/-/ready" 2>/dev/null; then
                LAB_URL=http://127.0.0.1:$port
                return 0
            fi
            kill -0 "$LAB_PROMETHEUS_PID" 2>/dev/null || break
            sleep 0.1
        done
        lab_stop "$LAB_PROMETHEUS_PID"
        LAB_PROMETHEUS_PID=""
        grep -q "address already in use" "$LAB_WORK/prometheus.log" || break
    done
    echo "lab: Prometheus did not start; its log:" >&2
    tail -30 "$LAB_WORK/prometheus.log" >&2
    return 1
}

# lab_get PATH [CURL_ARGS...]: GET from the lab's Prometheus (JSON on stdout).
lab_get() {
    local path=$1
    shift
    curl -fsS --max-time 10 "$@" "$LAB_URL$path"
}

# lab_wait_targets SECONDS: until /api/v1/targets shows every lab_exporter target up.
lab_wait_targets() {
    local limit=${1:-30} up
    local end=$((SECONDS + limit))
    while [ "$SECONDS" -lt "$end" ]; do
        up=$(lab_get /api/v1/targets 2>/dev/null |
            jq -r '[.data.activeTargets[] | select(.health == "up")] | length' 2>/dev/null)
        [ "${up:-0}" = "${#LAB_TARGETS[@]}" ] && return 0
        sleep 0.5
    done
    echo "lab: not every target is up after $limit s:" >&2
    lab_get /api/v1/targets 2>/dev/null |
        jq -r '.data.activeTargets[] | "  \(.labels.instance) \(.scrapeUrl) \(.health) \(.lastError)"' >&2
    tail -10 "$LAB_WORK/prometheus.log" >&2
    return 1
}

# lab_query PROMQL: the instant query's result vector as "instance value" lines.
lab_query() {
    lab_get /api/v1/query --data-urlencode "query=$1" -G |
        jq -r '.data.result[] | "\(.metric.instance // "-") \(.value[1])"'
}

# lab_alerts: "instance check state severity" of every alert pending or firing, sorted (check is
# the alert's check label, else its name).
lab_alerts() {
    lab_get /api/v1/alerts |
        jq -r '.data.alerts[] | "\(.labels.instance) \(.labels.check // .labels.alertname) \(.state) \(.labels.severity // "-")"' |
        sort -u
}

# lab_load NAME NS MODE ARGS...: load.py MODE in namespace NS in the background, bounded; waits
# (5 s at most) until it says the fault is in place.
lab_load() {
    local name=$1 ns=$2
    shift 2
    ip netns exec "$ns" timeout "$LAB_LIFETIME" "$LAB_PYTHON" "$LAB_LOAD" "$@" >"$LAB_WORK/load-$name.out" 2>&1 &
    LAB_PIDS+=($!)
    for _ in $(seq 50); do
        grep -q ready "$LAB_WORK/load-$name.out" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "lab: load $name did not start: $(cat "$LAB_WORK/load-$name.out")" >&2
    return 1
}

# --- faults (each inside its own namespace; the root namespace's settings are never touched) ---

# lab_fault_conntrack NAME [PERCENT]: the namespace's conntrack table PERCENT (default 85) full.
# nf_conntrack_max is read-only outside the initial namespace (the host's value applies to each
# namespace's own count), so the table is filled up to it with unreplied UDP flows to 127.0.1.x,
# tracked because of an iptables conntrack rule, kept for 300 s (nf_conntrack_udp_timeout, per
# namespace). 85 % of the default 262144 is about 223 000 entries (some 70 MB of kernel memory,
# freed with the namespace); the fill takes a few seconds.
lab_fault_conntrack() {
    local ns max want count
    ns=$(lab_ns "$1")
    ip netns exec "$ns" iptables -A OUTPUT -m conntrack --ctstate NEW -j ACCEPT || return 1
    ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=300 || return 1
    max=$(ip netns exec "$ns" cat /proc/sys/net/netfilter/nf_conntrack_max)
    want=$((max * ${2:-85} / 100))
    ip netns exec "$ns" timeout 120 "$LAB_PYTHON" "$LAB_LOAD" udp-fill "$want" || return 1
    count=$(ip netns exec "$ns" cat /proc/sys/net/netfilter/nf_conntrack_count)
    echo "  conntrack: $count of $max entries in $ns"
    [ "$count" -ge $((want * 99 / 100)) ]
}

# lab_fault_drops NAME [SECONDS]: a veth pair veth0-veth1 inside the namespace, and frames of an
# unknown ethertype sent out of veth0 (about 500/s, for SECONDS, default LAB_LIFETIME - 20): veth1
# receives and drops every one (rx_dropped). rx-drops applies to every interface, veth included.
lab_fault_drops() {
    local ns
    ns=$(lab_ns "$1")
    ip -n "$ns" link add veth0 type veth peer name veth1 || return 1
    ip -n "$ns" link set veth0 up
    ip -n "$ns" link set veth1 up
    lab_load drops-"$1" "$ns" raw-frames veth0 "${2:-$((LAB_LIFETIME - 20))}"
}

# lab_fault_retrans NAME [SECONDS] [LOSS] [FLOWS]: FLOWS (default 2) bulk TCP transfers over the
# namespace's loopback to ports 5001.., with LOSS (default 0.05) of their data segments dropped at
# random by iptables' statistic match: TCP retransmits them. Not netem, even where the kernel has
# sch_netem (this one has not): the same loss on every kernel, on the data direction only.
# Measured on a busy 2-core VM, two flows: 4 000-9 000 segments/s out, 3.5-4.5 % of them
# retransmitted, 177-372 retransmits/s over 3 s (the checks want more than 1 % and 50/s). One flow
# dips below 50/s over a 2 s interval now and then: its throughput swings with the RTO stalls.
lab_fault_retrans() {
    local name=$1 seconds=${2:-$((LAB_LIFETIME - 20))} loss=${3:-0.05} flows=${4:-2} ns flow
    ns=$(lab_ns "$name")
    ip netns exec "$ns" iptables -A INPUT -p tcp --dport 5001:$((5000 + flows)) -m statistic --mode random \
        --probability "$loss" -j DROP || return 1
    for flow in $(seq "$flows"); do
        lab_load "retrans-$name-$flow" "$ns" bulk-tcp $((5000 + flow)) "$seconds" || return 1
    done
}

# lab_healthy_veth NAME: a veth pair up and idle inside the namespace (for a clean instance that
# still has interfaces besides lo).
lab_healthy_veth() {
    local ns
    ns=$(lab_ns "$1")
    ip -n "$ns" link add veth0 type veth peer name veth1 || return 1
    ip -n "$ns" link set veth0 up
    ip -n "$ns" link set veth1 up
}
