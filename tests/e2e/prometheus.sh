#!/usr/bin/env bash
# End to end with the real thing: Debian's Prometheus and prometheus-node-exporter on loopback, one
# node_exporter in each of four network namespaces, three of them with a real fault (a conntrack
# table 85 % full, a veth dropping what it receives, TCP retransmitting under packet loss) and one
# clean (tests/e2e/prometheus_lab.sh builds and wires the lab). Asserts that
#   - the rules of `netdiag rules --window 1m`, loaded into that Prometheus, fire (or are pending)
#     for exactly the faulty instances, each with its fault's check id, and for nothing else;
#   - a local scan inside each namespace flags the same check ids, among those node_exporter can
#     show (a local scan reads more: socket tables, qdiscs, sysctls, netstat counters that the
#     default collectors leave out);
#   - `netdiag scan --prometheus` (once built) flags exactly the same (instance, check id) pairs,
#     the same ids as the local scans, and nothing on lab-clean.
# About 75 s (40 s without scan --prometheus): that part waits for a full 1m window of scrapes.
set -u
netdiag=${1:?usage: prometheus.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: prometheus needs root (network namespaces, iptables)"
    exit 77
fi
for tool in prometheus promtool prometheus-node-exporter curl jq iptables; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool not installed (Debian packages prometheus, prometheus-node-exporter, curl, jq, iptables;" \
            "scripts/install-deps.sh --test)"
        exit 77
    fi
done

source "$here/prometheus_lab.sh"
lab_init
trap lab_cleanup EXIT
# Interrupted or killed (not with SIGKILL): exit, so that the EXIT trap still cleans up.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
work=$LAB_WORK
started=$SECONDS

abort() {  # abort MESSAGE: a failure the rest cannot go on from
    fail "$*"
    finish prometheus
    exit 1
}

# What the lab must show: "instance check" for each fault, and nothing on lab-clean.
expected="lab-conntrack conntrack-fill
lab-drops rx-drops
lab-retrans tcp-retransmits"
instances="conntrack drops retrans clean"
expected_for() {  # expected_for NAME: the check ids expected for instance lab-NAME, one a line
    awk -v instance="lab-$1" '$1 == instance {print $2}' <<<"$expected"
}
# softnet-backlog reads /proc/net/softnet_stat, which is per CPU and the same in every namespace:
# every instance of the lab reports the host's. Drops there come from whatever else runs on the
# machine (another suite's packet storm), not from a lab fault, and would show on all four instances
# alike, so the per-instance comparisons leave that one check out (and say so when it shows).
host_wide="softnet-backlog"
without_host_wide() { grep -v -E " ($host_wide)( |\$)" || true; }

# --- the rules, as a user would load them ---
expect_exit 0 "netdiag rules --window 1m" -- "$netdiag" rules --window 1m -o "$work/rules.yml"
expect_exit 0 "promtool check rules accepts them" -- promtool check rules "$work/rules.yml"
# The checks the rules cover: the only ones a Prometheus-side verdict can see.
covered=$(awk '$1 == "check:" {print $2}' "$work/rules.yml" | sort -u)
echo "  checks with rules: $(echo $covered)"
for check in conntrack-fill rx-drops tcp-retransmits; do
    expect_contains " $(echo $covered) " " $check " "the rules cover $check"
done

# --- the lab: four namespaces, a node_exporter in each, Prometheus scraping them ---
for name in $instances; do
    lab_namespace "$name" || abort "namespace $name"
    lab_exporter "$name" || abort "node_exporter in $name"
done
lab_healthy_veth clean || abort "veth pair in the clean namespace"
lab_prometheus "$work/rules.yml" || abort "Prometheus did not start"
echo "  Prometheus at $LAB_URL; targets: $(printf '%s, ' "${LAB_TARGETS[@]}")"
lab_wait_targets 30 || abort "every target up within 30 s"
up_at=$SECONDS  # the first scrapes: a 1m window ending 60 s later has samples at both ends
pass "Prometheus scrapes the four node_exporters ($((up_at - started)) s after the start)"
expect_equal "$(lab_query 'count by (instance) (node_boot_time_seconds{job="lab"})' | awk '{print $1}' | sort | tr '\n' ' ')" \
    "lab-clean lab-conntrack lab-drops lab-retrans " "each target is named by its instance label"

# --- the faults, sustained until the lab is torn down ---
lab_fault_drops drops || abort "drops fault"
lab_fault_retrans retrans || abort "retransmit fault"
lab_fault_conntrack conntrack || abort "conntrack fault"
pass "faults in place ($((SECONDS - started)) s after the start)"
# What each exporter shows of them, as Prometheus has it after two more scrapes.
sleep 2
echo "  conntrack fill %:   $(lab_query '100 * node_nf_conntrack_entries / node_nf_conntrack_entries_limit' | tr '\n' ' ')"
echo "  rx drops/s:         $(lab_query 'sum by (instance) (rate(node_network_receive_drop_total[10s]))' | tr '\n' ' ')"
echo "  retransmits/s:      $(lab_query 'rate(node_netstat_Tcp_RetransSegs[10s])' | tr '\n' ' ')"

# --- the rules fire for exactly the faulty instances ---
# No rule for these three has a `for:`: they fire at the first evaluation that sees the fault, but
# pending is accepted too. tcp-retransmits needs 50 retransmits/s averaged over the 1m range, which
# the fault reaches after some 20 s; 75 s at most.
alerts=""
for _ in $(seq 75); do
    alerts=$(lab_alerts 2>/dev/null)
    got=$(awk '$3 == "firing" || $3 == "pending" {print $1, $2}' <<<"$alerts" | sort -u | without_host_wide)
    [ "$got" = "$expected" ] && break
    sleep 1
done
echo "$alerts" | sed 's/^/  alert: /'
if grep -q -E " ($host_wide) " <<<"$alerts"; then
    echo "  NOTE: $host_wide fires (host-wide softnet drops from elsewhere on the machine): left out"
fi
expect_equal "$got" "$expected" "the rules fire for exactly the faulty instances, with their checks ($((SECONDS - started)) s after the start)"
expect_equal "$(awk '$1 == "lab-clean"' <<<"$alerts" | without_host_wide)" "" "no alert for lab-clean"
# Each alert carries the check id as its check label, and its name is the check's (NetdiagRxDrops).
expect_equal "$(lab_get /api/v1/alerts | jq -r '.data.alerts[] | select(.labels.instance == "lab-drops") |
    "\(.labels.alertname) \(.labels.check) \(.labels.job)"' | sort -u)" \
    "NetdiagRxDrops rx-drops lab" "the drops alert is NetdiagRxDrops, check rx-drops, job lab"

# --- a local scan in each namespace flags the same check ids ---
# A local scan reads what node_exporter does not export (socket tables, qdiscs, sysctls, the netstat
# counters outside --collector.netstat.fields), so it may find more: the loss here is iptables
# drops, which no check counts, but the bulk transfer may also show, say, tcp-aborts. Compared are
# the ids of checks with a rule (`covered`), the ones a Prometheus verdict can reach. 3 s between
# the samples rather than 2: the bulk transfers' throughput swings with their RTO stalls, and a
# longer interval keeps the retransmit rate well clear of the check's 50/s floor.
declare -A local_ids local_subjects  # by namespace: check ids with rules; "check subject" of the expected ones
for name in $instances; do
    ns=$(lab_ns "$name")
    ip netns exec "$ns" timeout 60 "$netdiag" scan --interval 3 --format json --no-progress \
        >"$work/local-$name.json" 2>"$work/local-$name.err"
    code=$?
    all=$(jq -r '.hosts[].findings[] | select(.severity == "warning" or .severity == "critical") | .check' \
        "$work/local-$name.json" 2>/dev/null | sort -u)
    local_ids[$name]=$(comm -12 <(echo "$all") <(echo "$covered") | grep -v -x -E "$host_wide" | sed '/^$/d')
    local_subjects[$name]=$(jq -r --arg ids "$(expected_for "$name" | tr '\n' ' ')" '.hosts[].findings[] |
        select(.severity == "warning" or .severity == "critical") | select(.check as $c | $ids | split(" ") | any(. == $c)) |
        "\(.check) \(.subject)"' "$work/local-$name.json" 2>/dev/null | sort -u)
    echo "  local scan of $name: exit $code, findings: $(echo $all)"
    jq -r '.hosts[].findings[] | select(.severity == "warning" or .severity == "critical") |
        "    \(.check) \(.severity) \(.subject): \(.value)"' "$work/local-$name.json" 2>/dev/null
    [ -s "$work/local-$name.err" ] && sed 's/^/  stderr: /' "$work/local-$name.err" | head -5
    want=$(echo $(expected_for "$name"))
    expect_equal "$(echo ${local_ids[$name]})" "$want" \
        "a local scan in $name flags ${want:-nothing} among the checks with rules"
done

# --- netdiag scan --prometheus ---
if ! "$netdiag" scan --help 2>&1 | grep -q -- '--prometheus'; then
    echo "SKIP: scan --prometheus not built yet"
    finish prometheus
    exit
fi
# Two instants a window apart: the earlier must have samples, so wait for a full window of scrapes.
wait_for=$((up_at + 65 - SECONDS))
if [ "$wait_for" -gt 0 ]; then
    echo "  waiting $wait_for s for a full 1m window of scrapes"
    sleep "$wait_for"
fi
# A scrape that failed (up == 0, e.g. a node_exporter slower than the 1 s scrape timeout on a busy
# machine) would make its instance unreachable: shown here so that such a failure explains itself.
echo "  slowest scrape over the window: $(lab_query 'max(max_over_time(scrape_duration_seconds{job="lab"}[1m]))' | awk '{print $2}') s;" \
    "failed scrapes: $(lab_query 'sum(count_over_time(up{job="lab"}[1m])) - sum(sum_over_time(up{job="lab"}[1m]))' | awk '{print $2}')"
"$netdiag" scan --prometheus "$LAB_URL" --window 1m --match '{job="lab"}' --format json --no-progress \
    >"$work/scan.json" 2>"$work/scan.err"
code=$?
[ -s "$work/scan.err" ] && sed 's/^/  stderr: /' "$work/scan.err" | head -10
if [ -s "$work/scan.json" ]; then
    validate netdiag.scan.v1 "$work/scan.json" "scan --prometheus prints valid netdiag.scan/v1"
else
    fail "scan --prometheus printed no report (exit $code): nothing to compare"
    finish prometheus
    exit
fi
expect_equal "$(jq -r '.hosts[] | "\(.host) \(.source) \(.status)"' "$work/scan.json" 2>/dev/null | sort)" \
    "lab-clean prometheus ok
lab-conntrack prometheus ok
lab-drops prometheus ok
lab-retrans prometheus ok" "one host per instance, each from prometheus, each ok"
found=$(jq -r '.hosts[] | .host as $host | .findings[] | select(.severity == "warning" or .severity == "critical") |
    "\($host) \(.check) \(.severity) \(.subject)"' "$work/scan.json" 2>/dev/null | sort -u)
echo "$found" | sed 's/^/  finding: /'
got=$(awk 'NF {print $1, $2}' <<<"$found" | sort -u | without_host_wide)
expect_equal "$got" "$expected" "scan --prometheus flags exactly the faulty instances, with their checks"
expect_equal "$(awk '$1 == "lab-clean"' <<<"$got")" "" "scan --prometheus finds nothing on lab-clean"
for name in conntrack drops retrans; do
    expect_equal "$(awk -v instance="lab-$name" '$1 == instance {print $2}' <<<"$got" | tr '\n' ' ')" \
        "$(echo ${local_ids[$name]} | tr ' ' '\n' | sed '/^$/d' | tr '\n' ' ')" \
        "scan --prometheus and the local scan in $name agree on the check ids"
done
# And on the subjects of those findings (the table, the device, the protocol): the same checks ran
# on the same counters.
for name in conntrack drops retrans; do
    expect_equal "$(jq -r --arg host "lab-$name" --arg ids "$(expected_for "$name" | tr '\n' ' ')" '.hosts[] |
        select(.host == $host) | .findings[] | select(.severity == "warning" or .severity == "critical") |
        select(.check as $c | $ids | split(" ") | any(. == $c)) | "\(.check) \(.subject)"' "$work/scan.json" 2>/dev/null |
        sort -u)" \
        "${local_subjects[$name]}" "scan --prometheus and the local scan in $name name the same subject: $(echo ${local_subjects[$name]})"
done
# The exit code is the worst severity, as for any scan: 1 warnings only, 2 with a critical finding.
worst=1
grep -q ' critical ' <<<"$found" && worst=2
expect_equal "$code" "$worst" "scan --prometheus exits as a scan does (the worst finding)"

echo "  total $((SECONDS - started)) s"
finish prometheus
