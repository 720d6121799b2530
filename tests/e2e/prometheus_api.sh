#!/usr/bin/env bash
# netdiag scan --prometheus against a stand-in of the Prometheus HTTP API on loopback
# (tests/e2e/fake_prometheus.py): the verdicts of a small fleet, credentials and TLS, and every
# way a server can fail — unreachable, HTTP errors, garbage, endless bodies, cut-off answers,
# PromQL errors, no answer — each a clear message and exit 69, never a verdict.
# tests/e2e/prometheus.sh runs the real Prometheus and node_exporters.
set -u
netdiag=${1:?usage: prometheus_api.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# start_fake [--tls CERT KEY]: the server's port in $port.
start_fake() {
    # Gone before the new server starts: else the previous server's port may be read first.
    rm -f "$work/port"
    /usr/bin/python3 "$here/fake_prometheus.py" "$@" >"$work/port" 2>"$work/fake.log" &
    pids+=($!)
    for _ in $(seq 50); do
        port=$(head -n1 "$work/port" 2>/dev/null)
        [ -n "$port" ] && return 0
        sleep 0.1
    done
    echo "fake Prometheus did not start: $(cat "$work/fake.log")"
    exit 1
}
start_fake
url="http://127.0.0.1:$port"

# --- the verdicts of a small fleet ---
expect_exit 3 "a fleet with a drop, a clean host and a failed scrape" -- \
    "$netdiag" scan --prometheus "$url/ok" --json --no-progress
printf '%s' "$out" >"$work/scan.json"
validate netdiag.scan.v1 "$work/scan.json" "the Prometheus scan is valid netdiag.scan/v1"
expect_equal "$(json_get "$work/scan.json" "sorted((h['host'], h['source'], h['status']) for h in d['hosts'])")" \
    "[('web1:9100', 'prometheus', 'ok'), ('web2:9100', 'prometheus', 'ok'), ('web3:9100', 'prometheus', 'unreachable')]" \
    "one result per instance, each from prometheus"
expect_equal "$(json_get "$work/scan.json" "sorted({(f['host'], f['check'], f['subject']) for h in d['hosts'] for f in h['findings'] if f['severity'] in ('warning','critical')})")" \
    "[('web1:9100', 'rx-drops', 'eth0')]" "web1's drops on eth0 are found, web2 is clean"
expect_equal "$(json_get "$work/scan.json" "round([h for h in d['hosts'] if h['host']=='web1:9100'][0]['interval_seconds'])")" \
    "300" "rates are over the 5m window"
expect_contains "$(json_get "$work/scan.json" "[h for h in d['hosts'] if h['host']=='web2:9100'][0]['not_checked']['close-wait']")" \
    "not available from Prometheus: needs CLOSE_WAIT sockets by local port" "what node_exporter lacks is said per instance"
expect_contains "$(json_get "$work/scan.json" "[h for h in d['hosts'] if h['host']=='web3:9100'][0]['error']")" \
    "up == 0" "a failed scrape says so"

expect_exit 1 "--limit narrows the instances (web1 only: 100 drops/s is a warning)" -- \
    "$netdiag" scan --prometheus "$url/ok" --limit 'web1*' --no-progress --color never
expect_contains "$out" "rx-drops" "the table shows the finding"
expect_contains "$out" "not checked on 1 host(s)" "the table says what was not checked"
expect_not_contains "$out" "web2" "web2 left out"

cat >"$work/hosts.yaml" <<'YAML'
all:
  hosts:
    web2: {}
    db1: {instance: "web1:9100"}
    ghost: {}
YAML
expect_exit 3 "an inventory maps hosts to instances by name or instance:" -- \
    "$netdiag" scan --prometheus "$url/ok" "$work/hosts.yaml" --json --no-progress
printf '%s' "$out" >"$work/inventory.json"
expect_equal "$(json_get "$work/inventory.json" "sorted((h['host'], h['status']) for h in d['hosts'])")" \
    "[('ghost', 'error'), ('web1:9100', 'ok'), ('web2:9100', 'ok')]" "web2 by name, db1 by instance:, ghost not found"

cat >"$work/tolerant.yaml" <<'YAML'
all:
  hosts:
    web1: {netdiag: {thresholds: {rx-drops.warning: 1000, rx-drops.critical: 2000}}}
    web2: {}
YAML
expect_exit 0 "an inventory host's own thresholds apply to its instance, as in an SSH scan" -- \
    "$netdiag" scan --prometheus "$url/ok" "$work/tolerant.yaml" --no-progress --color never
expect_not_contains "$out" "rx-drops" "web1's 100 drops/s are under its own warning of 1000"

expect_exit 0 "--format prometheus from a Prometheus scan" -- \
    "$netdiag" scan --prometheus "$url/ok" --limit web2* --format prometheus --no-progress
expect_contains "$out" 'netdiag_host_up{host="web2:9100"} 1' "the textfile names the instance"

# --- credentials ---
expect_exit 69 "without credentials the server says 401" -- "$netdiag" scan --prometheus "$url/auth" --no-progress
expect_contains "$err" "HTTP 401 (check the credentials in --prometheus-config)" "401 is explained"
printf 's3cret\n' >"$work/pass"
printf 'basic_auth:\n  username: netdiag\n  password_file: %s\n' "$work/pass" >"$work/http.yml"
expect_exit 3 "basic_auth.password_file is sent" -- \
    "$netdiag" scan --prometheus "$url/auth" --prometheus-config "$work/http.yml" --no-progress
printf 'basic_auth:\n  username: netdiag\n  passwd_file: x\n' >"$work/bad.yml"
expect_exit 65 "a broken http config is bad input" -- \
    "$netdiag" scan --prometheus "$url/auth" --prometheus-config "$work/bad.yml" --no-progress
expect_contains "$err" "bad.yml:3: basic_auth: unknown key \"passwd_file\"" "it names file and line"

# --- every way a server fails: exit 69, a reason, no verdict ---
expect_exit 69 "HTML instead of JSON" -- "$netdiag" scan --prometheus "$url/garbage" --no-progress
expect_contains "$err" "the answer is not JSON" "garbage is named"
expect_exit 69 "HTTP 500" -- "$netdiag" scan --prometheus "$url/error500" --no-progress
expect_contains "$err" "HTTP 500" "the status is shown"
expect_exit 69 "a PromQL error" -- "$netdiag" scan --prometheus "$url/badquery" --no-progress
expect_contains "$err" "Prometheus refused the query: bad_data: 1:1: parse error" "Prometheus' own reason is shown"
expect_exit 69 "an answer cut off mid-body" -- "$netdiag" scan --prometheus "$url/reset" --no-progress
expect_contains "$err" "cut off" "a cut-off body is named"
start=$(date +%s%N)
# A cap on address space proves the body is not buffered whole; AddressSanitizer reserves terabytes
# of shadow memory up front, so its build runs without the cap.
memory_cap="ulimit -v 1048576;"
ldd "$netdiag" 2>/dev/null | grep -q libasan && memory_cap=""
expect_exit 69 "an endless body is cut at the limit" -- bash -c \
    "$memory_cap exec '$netdiag' scan --prometheus '$url/huge' --no-progress"
expect_contains "$err" "larger than" "the limit is named"
start=$(date +%s)
expect_exit 69 "no answer within --command-timeout" -- \
    "$netdiag" scan --prometheus "$url/slow" --command-timeout 1 --no-progress
expect_contains "$err" "no answer within 1 s" "the timeout is named"
[ $(( $(date +%s) - start )) -le 10 ] && pass "the timeout held" || fail "the timeout did not hold"
closed=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_exit 69 "nothing listening" -- "$netdiag" scan --prometheus "http://127.0.0.1:$closed" --no-progress
expect_contains "$err" "connection refused" "refused is named"
expect_exit 64 "a URL without a scheme is misuse" -- "$netdiag" scan --prometheus "127.0.0.1:$port" --no-progress
expect_exit 64 "credentials in the URL are refused" -- \
    "$netdiag" scan --prometheus "http://netdiag:s3cret@127.0.0.1:$port" --no-progress
# --- answers larger than netdiag takes: asked again about fewer instances, never the fleet's error ---
expect_exit 3 "a batch too big for one answer is asked again in halves" -- \
    "$netdiag" scan --prometheus "$url/split" --json --no-progress
printf '%s' "$out" >"$work/split.json"
expect_equal "$(json_get "$work/split.json" "sorted((h['host'], h['status'], sorted({f['check'] for f in h['findings'] if f['severity'] in ('warning','critical')})) for h in d['hosts'])")" \
    "[('web1:9100', 'ok', ['rx-drops']), ('web2:9100', 'ok', []), ('web3:9100', 'unreachable', [])]" \
    "the same verdicts as one answer would give"
expect_exit 3 "an instance whose series alone do not fit is its own error" -- \
    "$netdiag" scan --prometheus "$url/bigweb1" --json --no-progress
printf '%s' "$out" >"$work/bigweb1.json"
expect_equal "$(json_get "$work/bigweb1.json" "sorted((h['host'], h['status']) for h in d['hosts'])")" \
    "[('web1:9100', 'error'), ('web2:9100', 'ok'), ('web3:9100', 'unreachable')]" "web2 and web3 are judged"
expect_contains "$(json_get "$work/bigweb1.json" "[h for h in d['hosts'] if h['host']=='web1:9100'][0]['error']")" \
    "its series alone are more than netdiag takes in one answer" "web1's error says why"

expect_exit 64 "a bad --window" -- "$netdiag" scan --prometheus "$url/ok" --window 5 --no-progress
expect_exit 64 "--match must be a selector" -- "$netdiag" scan --prometheus "$url/ok" --match 'job=node' --no-progress

# --- TLS: a CA file trusts the server, nothing else does ---
if command -v openssl >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=netdiag-test -addext "subjectAltName=IP:127.0.0.1" \
        -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
    start_fake --tls "$work/cert.pem" "$work/key.pem"
    tls="https://127.0.0.1:$port"
    expect_exit 69 "an untrusted certificate is refused" -- "$netdiag" scan --prometheus "$tls/ok" --no-progress
    expect_contains "$err" "not trusted" "the reason names the certificate"
    printf 'tls_config:\n  ca_file: %s\n' "$work/cert.pem" >"$work/tls.yml"
    expect_exit 3 "tls_config.ca_file trusts it" -- \
        "$netdiag" scan --prometheus "$tls/ok" --prometheus-config "$work/tls.yml" --no-progress
    printf 'tls_config:\n  ca_file: %s\n  server_name: prometheus.example\n' "$work/cert.pem" >"$work/name.yml"
    expect_exit 69 "a certificate for another name is refused" -- \
        "$netdiag" scan --prometheus "$tls/ok" --prometheus-config "$work/name.yml" --no-progress
else
    echo "SKIP: openssl not installed: TLS not tested"
fi

finish prometheus_api
