#!/usr/bin/env bash
# What netdiag writes and prints when files, plans and snapshots are hostile: -o replaces only a
# regular file (never a device, FIFO, symlink or directory, and never takes a symlink target's
# mode); diffs and outcome lines print control characters as \xNN; thresholds are finite numbers
# ≥ 0; --from refuses counters out of range. Device nodes and FIFOs are made in a scratch
# directory, never in the machine's /dev.
set -u
netdiag=${1:?usage: outputs.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"
python=/usr/bin/python3
tree61=$here/../fixtures/linux-6.1-vmxnet3-virtio-4cpu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
esc=$'\e'

# "${scan_to[@]}" FILE: the captured host as Prometheus text, written with -o
scan_to=("$netdiag" scan --root "$tree61" --interval 0 --format prometheus -o)
file_type() { stat -c %F "$1"; }

# --- -o onto what is not a regular file: exit 73, the thing left as it was ---
odev=$work/odev
mkdir "$odev"
if mknod "$odev/null" c 1 3 2>/dev/null; then
    expect_exit 73 "-o onto a character device is refused" -- "${scan_to[@]}" "$odev/null"
    expect_contains "$err" "$odev/null: is a character device" "the error names the device"
    expect_equal "$(file_type "$odev/null")" "character special file" "the device node is still a device"
else
    echo "SKIP: mknod needs root (CAP_MKNOD); the device case is not run"
fi
mkfifo "$odev/fifo"
expect_exit 73 "-o onto a FIFO is refused" -- "${scan_to[@]}" "$odev/fifo"
expect_contains "$err" "$odev/fifo: is a FIFO" "the error names the FIFO"
expect_equal "$(file_type "$odev/fifo")" "fifo" "the FIFO is still a FIFO"
ln -s /proc/self/fd/1 "$odev/stdout"
expect_exit 73 "-o onto a symlink like /dev/stdout is refused" -- "${scan_to[@]}" "$odev/stdout"
expect_equal "$(readlink "$odev/stdout")" "/proc/self/fd/1" "the symlink is left as it was"
mkdir "$odev/dir"
expect_exit 73 "-o onto a directory is refused" -- "${scan_to[@]}" "$odev/dir"
expect_contains "$err" "is a directory" "the error says it is a directory"
expect_exit 73 "collect -o onto a FIFO is refused too" -- "$netdiag" collect --root "$tree61" -o "$odev/fifo"
expect_contains "$err" "is a FIFO" "collect's error names it"
expect_equal "$(find "$odev" -name '*.??????' | wc -l)" "0" "no temporary files are left behind"

omode=$work/omode
mkdir "$omode"
echo planted >"$omode/attacker"
chmod 666 "$omode/attacker"
ln -s "$omode/attacker" "$omode/netdiag.prom"
expect_exit 73 "-o onto a symlink to a 0666 file is refused" -- "${scan_to[@]}" "$omode/netdiag.prom"
expect_contains "$err" "netdiag.prom: is a symbolic link" "the error names the symlink"
expect_equal "$(file_type "$omode/netdiag.prom")" "symbolic link" "the symlink is still a symlink"
expect_equal "$(cat "$omode/attacker")" "planted" "its target is untouched"
expect_equal "$(stat -c %a "$omode/attacker")" "666" "and keeps its own mode"

# --- -o onto a missing name or a regular file still works, keeping the old mode ---
"${scan_to[@]}" "$omode/new.prom" >/dev/null 2>&1
expect_equal "$(file_type "$omode/new.prom") $(stat -c %a "$omode/new.prom")" "regular file 644" \
    "-o onto a missing name makes a 0644 file"
expect_contains "$(cat "$omode/new.prom")" "netdiag_host_up" "holding the report"
echo old >"$omode/kept.prom"
chmod 640 "$omode/kept.prom"
"${scan_to[@]}" "$omode/kept.prom" >/dev/null 2>&1
expect_equal "$(file_type "$omode/kept.prom") $(stat -c %a "$omode/kept.prom")" "regular file 640" \
    "-o onto a regular 0640 file keeps its mode"
expect_contains "$(cat "$omode/kept.prom")" "netdiag_host_up" "and replaces its content"

# --- control characters in diffs and outcome lines ---
sandbox=$work/sandbox
cp -a "$tree61" "$sandbox"
mkdir -p "$sandbox/etc/sysctl.d"
# A host's own file holding escapes: "-" lines of the diff show them escaped.
printf 'net.core.netdev_max_backlog = 1000\n\e[8mhidden\e[0m\r# forged\n' \
    >"$sandbox/etc/sysctl.d/60-netdiag-softnet-backlog.conf"
expect_exit 0 "fix --only softnet-backlog on a host whose file holds escapes" -- \
    "$netdiag" fix --root "$sandbox" --interval 0 --only softnet-backlog
expect_not_contains "$out$err" "$esc" "no raw ESC reaches the terminal"
expect_not_contains "$out$err" $'\r' "no raw carriage return either"
expect_contains "$out" '\x1b[8mhidden\x1b[0m\x0d# forged' "the escapes are shown as \\xNN"

# A plan whose path forges a header and conceals text. Refusing the plan (exit 65) is as good as
# showing it escaped; printing it raw is not.
"$netdiag" fix --root "$sandbox" --interval 0 --only softnet-backlog --json >"$work/plan.json"
$python - "$work/plan.json" "$work/forged.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
change = plan["hosts"][0]["changes"][0]
change["path"] = "/sys/class/net/x\n# (no changes for this host)\n\x1b[8m/queues/rx-0/rps_cpus"
change["before"] = "0\n"
change["after"] = "f\n"
change["reason"] = "spread\x1b[2K rx"
plan["hosts"][0]["changes"] = [change]
json.dump(plan, open(sys.argv[2], "w"))
PY
"$netdiag" fix --root "$sandbox" --plan "$work/forged.json" >"$work/forged.out" 2>"$work/forged.err"
forged_exit=$?
forged=$(cat "$work/forged.out" "$work/forged.err")
expect_not_contains "$forged" "$esc" "a forged plan path prints no raw ESC (exit $forged_exit)"
expect_not_contains "$(cat "$work/forged.out")" $'\n# (no changes for this host)' "nor a forged line of its own"
if [ "$forged_exit" = 0 ]; then
    expect_contains "$forged" 'x\x0a# (no changes for this host)\x0a\x1b[8m/queues' "the path is shown escaped"
else
    expect_equal "$forged_exit" "65" "a plan refused is bad input"
fi

# --- thresholds: finite numbers ≥ 0, or 64 (flags) / 65 (files) naming the key ---
for value in nan inf -inf -1; do
    expect_exit 64 "--threshold rx-drops.critical=$value is misuse" -- \
        "$netdiag" checks --threshold "rx-drops.critical=$value"
    expect_contains "$err" 'threshold "rx-drops.critical" needs a number' "the error names the key ($value)"
done
expect_exit 64 "scan --threshold ...=nan too" -- \
    "$netdiag" scan --root "$tree61" --interval 0 --threshold conntrack-fill.critical=nan
printf 'thresholds:\n  conntrack-fill.critical: nan\n' >"$work/nan.yaml"
expect_exit 65 "--config with a NaN threshold is bad data" -- "$netdiag" checks --config "$work/nan.yaml"
expect_contains "$err" "$work/nan.yaml:2: threshold \"conntrack-fill.critical\"" "with file:line and the key"
printf 'thresholds:\n  rx-drops.warning: .inf\n' >"$work/inf.yaml"
expect_exit 65 "--config with an infinite threshold is bad data" -- "$netdiag" checks --config "$work/inf.yaml"
printf 'all:\n  vars:\n    netdiag:\n      thresholds:\n        rx-drops.warning: inf\n  hosts:\n    web1:\n' \
    >"$work/inventory.yaml"
expect_exit 65 "an inventory netdiag: threshold of inf is bad data" -- "$netdiag" scan "$work/inventory.yaml"
expect_contains "$err" "inventory.yaml:5: threshold \"rx-drops.warning\"" "with file:line and the key"

# --- --from: counters out of range are refused, not wrapped ---
"$netdiag" collect --root "$tree61" -o "$work/snap.json"
edit_snapshot() {  # edit_snapshot OUT PYTHON_ON_s: the first sample edited
    $python - "$work/snap.json" "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["samples"][0]
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
}
expect_exit 0 "the collected snapshot loads (exit 0..2)" -- \
    sh -c "'$netdiag' scan --from '$work/snap.json' >/dev/null; [ \$? -le 2 ]"
edit_snapshot "$work/negative.json" 's["net_dev"][0]["rx_drop"] = -1'
expect_exit 65 "--from with a negative counter is bad data" -- "$netdiag" scan --from "$work/negative.json"
expect_contains "$err" "net_dev[0].rx_drop: -1" "the error names the field"
edit_snapshot "$work/huge.json" 's["net_dev"][0]["rx_bytes"] = 2**64'
expect_exit 65 "--from with a counter past 2^64 is bad data" -- "$netdiag" scan --from "$work/huge.json"
expect_contains "$err" "net_dev[0].rx_bytes" "the error names the field"
edit_snapshot "$work/time.json" 's["taken_at_unix_ms"] = -2**63'
expect_exit 65 "--from with taken_at_unix_ms INT64_MIN is bad data" -- "$netdiag" scan --from "$work/time.json"
expect_contains "$err" "taken_at_unix_ms" "the error names the field"
edit_snapshot "$work/irq.json" 's["irq_affinity"] = {"4294967297": {"smp_affinity": "1"}}'
expect_exit 65 "--from with IRQ 4294967297 is bad data, not IRQ 1" -- "$netdiag" scan --from "$work/irq.json"
expect_contains "$err" '"4294967297"' "the error names the key"

finish outputs
