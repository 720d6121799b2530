#!/usr/bin/env bash
# netdiag rules against promtool: the rule file it prints is valid (`promtool check rules`) and
# fires, and stays quiet, as tests/prometheus/rules_test.yml expects (`promtool test rules`).
set -u
netdiag=${1:?usage: rules.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"
if ! command -v promtool >/dev/null; then
    echo "SKIP: promtool not installed (Debian package prometheus; scripts/install-deps.sh --test)"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- the rule file as shipped: defaults ---
expect_exit 0 "netdiag rules" -- "$netdiag" rules
printf '%s\n' "$out" >"$work/full.yml"
expect_exit 0 "promtool check rules accepts the default rules" -- promtool check rules "$work/full.yml"
expect_contains "$out" "SUCCESS" "promtool reports success"
expect_contains "$(cat "$work/full.yml")" "#   close-wait: needs " "checks without node_exporter data are listed"

# --- promtool test rules: every rule firing and not firing ---
# promtool resolves rule_files against the test file, so both go in one directory. The test
# expects the summary annotation only: description and action are the catalogue's static text,
# checked by the unit tests; this copy drops those two lines of each rule and nothing else.
cp "$here/../prometheus/rules_test.yml" "$work/rules_test.yml"
sed -E '/^ {10}(description|action): /d' "$work/full.yml" >"$work/rules.yml"
rules=$(grep -c '^      - alert: ' "$work/full.yml")
dropped=$(( $(wc -l <"$work/full.yml") - $(wc -l <"$work/rules.yml") ))
expect_equal "$dropped" "$((2 * rules))" "the tested copy lacks only description and action"
expect_exit 0 "promtool test rules tests/prometheus/rules_test.yml" -- promtool test rules "$work/rules_test.yml"
# Every alert the file defines has a test case.
for alert in $(grep '^      - alert: ' "$work/full.yml" | awk '{print $3}' | sort -u); do
    if grep -q "alertname: $alert\$" "$work/rules_test.yml"; then pass "$alert is tested"; else fail "$alert has no test case"; fi
done

# --- thresholds, window and interfaces in force ---
cat >"$work/netdiag.yaml" <<'YAML'
thresholds:
  conntrack-fill.warning: 70
virtual_interfaces: [lo, "veth*", "vlan.10"]
YAML
expect_exit 0 "rules with --config, --threshold and --window" -- "$netdiag" rules --config "$work/netdiag.yaml" \
    --threshold rx-drops.critical=5000 --window 10m -o "$work/custom.yml"
custom=$(cat "$work/custom.yml")
expect_contains "$custom" ">= 70 < 95" "the config file's threshold is in the rule"
expect_contains "$custom" "rate(node_network_receive_drop_total[10m]) > 5000" "--threshold and --window are in the rule"
expect_contains "$custom" 'device!~"lo|veth.*|vlan\\.10"' "virtual_interfaces become an escaped regex"
expect_exit 0 "promtool check rules accepts the custom rules" -- promtool check rules "$work/custom.yml"

# --- misuse ---
expect_exit 64 "a window that is no duration is misuse" -- "$netdiag" rules --window 5
expect_contains "$err" "--window needs a Prometheus duration" "the error says what a window is"
expect_exit 64 "an unknown threshold is misuse" -- "$netdiag" rules --threshold nope.warning=1

finish rules
