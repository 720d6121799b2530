#!/usr/bin/env bash
# A fleet verdict from Prometheus: synthetic node_exporter history for 5,000 instances (generate.py)
# is backfilled with `promtool tsdb create-blocks-from openmetrics` into a Prometheus of its own on
# loopback (no scrape targets), then `netdiag scan --prometheus` judges every instance at the
# history's end, NETDIAG_BENCH_RUNS times: wall time and peak RSS of each (/usr/bin/time -v), the
# median, the instances judged, the faulty ones found against those generated, and Prometheus'
# own CPU time during each verdict (/proc/PID/stat). Before that, the floor: the same queries netdiag
# makes, sent by curl as netdiag sends them (a batch's three at once, batch after batch), with
# nothing parsing the answers (time and bytes of each).
#
# Usage: bench/prometheus/run.sh [NETDIAG_BINARY] (default build/release/netdiag).
# NETDIAG_BENCH_INSTANCES=5000, NETDIAG_BENCH_RUNS=3, NETDIAG_BENCH_BATCH=500 (instances a query,
# as netdiag batches them). Targets (issue 13): a 5,000-instance verdict in under 10 s of wall
# time and 200 MB of netdiag's memory; exits 1 if missed or if the faulty instances found are not
# those generated. Without promtool or prometheus it skips (exit 0). Needs about 3 GB of /tmp for
# a moment and about 7 GB of memory for promtool at 5,000 instances; takes 3-4 minutes here.
set -euo pipefail
cd "$(dirname "$0")/../.."
netdiag=${1:-build/release/netdiag}
instances=${NETDIAG_BENCH_INSTANCES:-5000}
runs=${NETDIAG_BENCH_RUNS:-3}
batch=${NETDIAG_BENCH_BATCH:-500}
python=/usr/bin/python3
for value in "$instances" "$runs" "$batch"; do
    case "$value" in '' | *[!0-9]*) echo "prometheus: NETDIAG_BENCH_INSTANCES, _RUNS and _BATCH are positive integers" >&2; exit 1 ;; esac
done
if [ "$instances" -lt 1 ] || [ "$instances" -gt 20000 ] || [ "$runs" -lt 1 ] || [ "$runs" -gt 10 ] || [ "$batch" -lt 1 ]; then
    echo "prometheus: instances 1..20000, runs 1..10" >&2; exit 1
fi
for tool in promtool prometheus; do
    if ! command -v "$tool" >/dev/null; then
        echo "prometheus: skipped: $tool is not installed (Debian: apt-get install prometheus)"
        exit 0
    fi
done
for tool in curl /usr/bin/time "$python"; do
    command -v "$tool" >/dev/null || { echo "prometheus: $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d /tmp/netdiag-bench-prometheus.XXXXXX)
prometheus_pid=
cleanup() {
    if [ -n "$prometheus_pid" ]; then
        kill "$prometheus_pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$prometheus_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$prometheus_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# CPU seconds (user + system) of a process so far.
cpu_seconds() {
    local stat
    stat=$(cat "/proc/$1/stat")
    echo "${stat##*) }" | awk -v tck="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / tck }'
}
rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

echo "== generate: $instances instances"
NETDIAG_BENCH_INSTANCES=$instances "$python" bench/prometheus/generate.py "$work/history.om" "$work/meta.json"
at=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["at"])' "$work/meta.json")
generated_faulty=$("$python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["faulty"]))' "$work/meta.json")

echo "== backfill: promtool tsdb create-blocks-from openmetrics"
/usr/bin/time -f '%e %U %S %M' -o "$work/backfill.time" \
    promtool tsdb create-blocks-from openmetrics "$work/history.om" "$work/data" >"$work/backfill.log" 2>&1 ||
    { cat "$work/backfill.log" >&2; echo "prometheus: promtool failed" >&2; exit 1; }
read -r bf_wall bf_user bf_sys bf_rss <"$work/backfill.time"
data_bytes=$(du -sb "$work/data" | cut -f1)
blocks=$(find "$work/data" -mindepth 1 -maxdepth 1 -type d | wc -l)
printf 'backfill: %.1f s wall, %.1f s CPU, peak RSS %.0f MB; %d block(s), %.1f MB on disk (%.0f bytes a sample)\n' \
    "$bf_wall" "$(echo "$bf_user + $bf_sys" | bc)" "$(echo "$bf_rss / 1024" | bc)" "$blocks" \
    "$(echo "$data_bytes / 1000000" | bc -l)" \
    "$("$python" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(int(sys.argv[2]) / m["samples"])' "$work/meta.json" "$data_bytes")"
rm -f "$work/history.om"

echo "== prometheus"
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
printf 'global:\n  scrape_interval: 1m\nscrape_configs: []\n' >"$work/prometheus.yml"
started=$(date +%s.%N)
# Retention of 100 years: the history lies in the past, and Prometheus deletes blocks outside it.
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$port" --log.level=warn \
    >"$work/prometheus.log" 2>&1 &
prometheus_pid=$!
ready=
for _ in $(seq 600); do
    if curl -sf --max-time 2 -o /dev/null "$url/-/ready"; then ready=1; break; fi
    kill -0 "$prometheus_pid" 2>/dev/null || break
    sleep 0.2
done
if [ -z "$ready" ]; then
    tail -20 "$work/prometheus.log" >&2
    echo "prometheus: Prometheus was not ready within 120 s" >&2
    exit 1
fi
printf 'ready in %.1f s, RSS %s MB\n' "$(echo "$(date +%s.%N) - $started" | bc)" "$(rss_mb "$prometheus_pid")"

# One instant query: "SECONDS BYTES" on stdout, the answer in $2.
# The query goes through a file: a batch's resets() query is longer than one argument may be.
query() {
    printf '%s' "$1" >"$work/query.promql"
    curl -s --max-time 120 -o "$2" -w '%{time_total} %{size_download}\n' "$url/api/v1/query" \
        --data-urlencode "query@$work/query.promql" --data "time=$3"
}
scalar() {
    "$python" -c 'import json,sys; r=json.load(open(sys.argv[1])); d=r.get("data",{}).get("result",[]);
print(d[0]["value"][1] if d else (r.get("error") or 0))' "$1"
}
query 'count(up)' "$work/answer" "$at" >/dev/null
up_count=$(scalar "$work/answer")
query 'count({__name__=~"node_.+"})' "$work/answer" "$at" >/dev/null
node_series=$(scalar "$work/answer")
echo "at $at: count(up) = $up_count, count({__name__=~\"node_.+\"}) = $node_series"
if [ "$up_count" != "$instances" ]; then
    echo "prometheus: the backfilled blocks are not all loaded (count(up) is $up_count, not $instances)" >&2
    exit 1
fi

echo "== floor: netdiag's queries sent by curl (batches of $batch instances, a batch's three at once)"
# As prometheus/node_snapshot.cpp asks: every series a scan reads at the verdict's instant, the
# counters alone at the window's start, and one resets() per netdev counter the rates read, joined
# with "or" (resets() drops the name, so one over a name regex would give receive and transmit of a
# device the same labels, which Prometheus refuses).
counter_names='node_network_receive_(bytes|packets|errs|drop|fifo)_total|node_network_transmit_(bytes|packets|errs|drop)_total|node_network_carrier_changes_total|node_netstat_.+|node_softnet_(processed|dropped|times_squeezed)_total|node_cpu_seconds_total|node_nf_conntrack_stat_.+|node_softirqs_functions_total|node_boot_time_seconds|node_time_seconds'
levels='node_network_(speed_bytes|carrier|mtu_bytes|info|flags)|node_sockstat_.+|node_nf_conntrack_entries(_limit)?|node_memory_MemTotal_bytes|node_uname_info|node_tcp_connection_states|netdiag_host_up|netdiag_scan_timestamp_seconds|netdiag_finding_(severity|value|threshold)'
counters="node_network_receive_bytes_total node_network_receive_packets_total node_network_receive_errs_total
node_network_receive_drop_total node_network_receive_fifo_total node_network_transmit_bytes_total
node_network_transmit_packets_total node_network_transmit_errs_total node_network_transmit_drop_total"
resets_query() {  # resets_query SELECTOR_INSIDE_BRACES
    local counter q=
    for counter in $counters; do
        q="${q:+$q or }(resets($counter{$1}[5m]) > 0)"
    done
    echo "$q"
}
before=$((at - 300))
floor_cpu0=$(cpu_seconds "$prometheus_pid")
total_bytes=0
read -r s b < <(query 'max by (instance, job) (up) and on(job) group by (job) (node_boot_time_seconds)' "$work/answer" "$at")
printf '%-28s %7.3f s %10d bytes\n' "up and boot time (all)" "$s" "$b"
total_bytes=$((total_bytes + b))
"$python" -c 'import json,sys; print("|".join(sorted(r["metric"]["instance"] for r in json.load(open(sys.argv[1]))["data"]["result"])))' \
    "$work/answer" | tr '|' '\n' >"$work/instances"
split -l "$batch" -d -a 3 "$work/instances" "$work/batch."
first_series=
floor_started=$(date +%s.%N)
for file in "$work"/batch.*; do
    names=$(paste -sd '|' "$file")
    n=$(wc -l <"$file")
    only="instance=~\"$names\""
    pids=
    for which in now before resets; do
        case $which in
            now) q="{__name__=~\"$counter_names|$levels\",$only}" t=$at ;;
            before) q="{__name__=~\"$counter_names\",$only}" t=$before ;;
            resets) q=$(resets_query "$only") t=$at ;;
        esac
        printf '%s' "$q" >"$work/query.$which.promql"
        curl -s --max-time 120 -o "$work/answer.$which" -w '%{time_total} %{size_download}\n' "$url/api/v1/query" \
            --data-urlencode "query@$work/query.$which.promql" --data "time=$t" >"$work/took.$which" &
        pids="$pids $!"
    done
    # shellcheck disable=SC2086 # the curls' pids; a bare wait would wait for Prometheus too
    wait $pids
    for which in now before resets; do
        read -r s b <"$work/took.$which"
        printf '%-28s %7.3f s %10d bytes\n' "$which, $n instances" "$s" "$b"
        total_bytes=$((total_bytes + b))
    done
    if [ -z "$first_series" ]; then
        first_series=$("$python" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["status"]=="success", r; print(len(r["data"]["result"]))' "$work/answer.now")
        first_before=$("$python" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["status"]=="success", r; print(len(r["data"]["result"]))' "$work/answer.before")
        first_resets=$("$python" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["status"]=="success", r; print(len(r["data"]["result"]))' "$work/answer.resets")
    fi
done
total_s=$(echo "$(date +%s.%N) - $floor_started" | bc)
floor_cpu1=$(cpu_seconds "$prometheus_pid")
per_instance=$(wc -l <"$work/batch.000")
printf 'floor: %.2f s of queries, %.1f MB of answers, Prometheus CPU %.2f s; first batch: %s series at the instant (%s an instance), %s at the start, %s resets\n' \
    "$total_s" "$(echo "$total_bytes / 1000000" | bc -l)" "$(echo "$floor_cpu1 - $floor_cpu0" | bc)" \
    "$first_series" "$(echo "$first_series / $per_instance" | bc)" "$first_before" "$first_resets"
echo "Prometheus RSS after the floor queries: $(rss_mb "$prometheus_pid") MB"
echo "$total_s $(echo "$floor_cpu1 - $floor_cpu0" | bc)" >"$work/floor"

echo "== netdiag scan --prometheus ($runs runs)"
if [ ! -x "$netdiag" ] || ! "$netdiag" scan --help 2>/dev/null | grep -q -- --prometheus; then
    echo "prometheus: $netdiag has no scan --prometheus: netdiag's verdict not measured (pending)"
    exit 0
fi
failed=0

for i in $(seq "$runs"); do
    cpu0=$(cpu_seconds "$prometheus_pid")
    rc=0
    /usr/bin/time -v -o "$work/time.$i" timeout 300 "$netdiag" scan --prometheus "$url" --window 5m --at "$at" \
        --format json --no-progress >"$work/scan.$i.json" 2>"$work/scan.$i.err" || rc=$?
    cpu1=$(cpu_seconds "$prometheus_pid")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$work/time.$i")
    rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$work/time.$i")
    cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$work/time.$i")
    printf 'run %d: exit %d, wall %.2f s, netdiag CPU %.2f s, peak RSS %.1f MB, Prometheus CPU %.2f s\n' \
        "$i" "$rc" "$wall" "$cpu" "$rss" "$(echo "$cpu1 - $cpu0" | bc)"
    if [ "$rc" -gt 3 ]; then
        head -c 2000 "$work/scan.$i.err" >&2
        echo "prometheus: netdiag failed (exit $rc)" >&2
        exit 1
    fi

    echo "$wall $rss $cpu" >>"$work/runs"
done
"$python" - "$work/meta.json" "$work/scan.1.json" "$work/runs" bench/README.md "$instances" "$work/floor" <<'EOF' || failed=1
import json, os, re, statistics, sys
meta = json.load(open(sys.argv[1]))
scan = json.load(open(sys.argv[2]))
runs = [tuple(map(float, line.split())) for line in open(sys.argv[3])]
readme = open(sys.argv[4]).read()
instances = int(sys.argv[5])
floor_s, floor_cpu = map(float, open(sys.argv[6]).read().split())
wall = statistics.median(w for w, _, _ in runs)
rss = max(r for _, r, _ in runs)
netdiag_cpu = statistics.median(c for _, _, c in runs)
hosts = scan["hosts"]
by_status = {}
for h in hosts:
    by_status[h["status"]] = by_status.get(h["status"], 0) + 1
faulty = {}
other_checks = {}
for h in hosts:
    bad = [f for f in h["findings"] if f["severity"] in ("warning", "critical")]
    if bad:
        faulty[h["host"]] = sorted({f["check"] for f in bad})
expected = meta["faulty"]
missing = sorted(set(expected) - set(faulty))
unexpected = sorted(set(faulty) - set(expected))
wrong = sorted(h for h in expected if h in faulty and faulty[h] != [expected[h]])
for h in unexpected:
    for c in faulty[h]:
        other_checks[c] = other_checks.get(c, 0) + 1
print(f"median of {len(runs)}: wall {wall:.2f} s, peak RSS {rss:.1f} MB (largest)")
print(f"instances judged: {len(hosts)} of {instances} ({', '.join(f'{k} {v}' for k, v in sorted(by_status.items()))})")
print(f"faulty found: {len(faulty)}, generated: {len(expected)}"
      + (f"; missed {missing[:5]}" if missing else "") + (f"; unexpected {unexpected[:5]} ({other_checks})" if unexpected else "")
      + (f"; found with other checks than generated: {[(h, faulty[h], expected[h]) for h in wrong[:5]]}" if wrong else ""))
# The SSH path's cost per host, from bench/README.md's bench/fanout section.
section = readme.split("## `bench/fanout`", 1)[-1].split("\n## ", 1)[0]
ssh = None
m = re.search(r"^\| 1,000 \| netdiag \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \|", section, re.M)
if m:
    ssh = (float(m.group(1)) / 1000 * 1000, float(m.group(3)), "1,000 hosts")
else:
    m = re.search(r"^\| netdiag \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \|", section, re.M)
    if m:
        ssh = (float(m.group(1)) / 100 * 1000, float(m.group(3)), "100 hosts")
per = wall / max(1, len(hosts)) * 1000
if ssh:
    print(f"verdict per instance: {per:.2f} ms vs SSH scan per host: {ssh[0]:.1f} ms "
          f"(bench/fanout, {ssh[2]}, --forks 32, wall / hosts; client CPU {ssh[1]:.1f} ms a host)")
else:
    print(f"verdict per instance: {per:.2f} ms (no bench/fanout figure found in bench/README.md)")
# What this machine allows: Prometheus answering the same queries one after another, and the CPU
# both need on its cores (a verdict cannot finish before Prometheus and netdiag have done their work).
cores = os.cpu_count() or 1
cpu_floor = (floor_cpu + netdiag_cpu) / cores
print(f"floor here: the queries alone take {floor_s:.2f} s sent as netdiag sends them (netdiag's wall is {wall / floor_s:.2f}x that); "
      f"Prometheus' {floor_cpu:.2f} s and netdiag's {netdiag_cpu:.2f} s of CPU on {cores} cores need at least {cpu_floor:.2f} s")
print(f"target wall < 10 s: {'PASS' if wall < 10 else 'FAIL'}; target peak RSS < 200 MB: {'PASS' if rss < 200 else 'FAIL'}; "
      f"faulty found == generated: {'PASS' if not missing and not unexpected else 'FAIL'}")
if wall >= 10 or rss >= 200 or missing or unexpected or len(hosts) != instances:
    sys.exit(1)
EOF
exit "$failed"
