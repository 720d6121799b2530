#!/usr/bin/env bash
# The commands as a user runs them: exit codes, messages, JSON against its schema, captured trees.
set -u
netdiag=${1:?usage: cli.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"
fixtures=$here/../fixtures
tree61=$fixtures/linux-6.1-vmxnet3-virtio-4cpu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python=/usr/bin/python3

# --- help, version and misuse ---
expect_exit 0 "--help" -- "$netdiag" --help
expect_contains "$out" "Exit codes: 0 all clear" "--help documents the exit codes"
expect_exit 0 "scan --help" -- "$netdiag" scan --help
expect_contains "$out" "65 bad input data" "scan --help documents the exit codes"
expect_exit 0 "--version" -- "$netdiag" --version
expect_contains "$out" "netdiag " "--version names the program"
commit=$(git -C "$here/../.." rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
expect_contains "$out" "(commit $commit" "--version names the commit it was built from"
expect_contains "$out" "libssh 0." "--version names libssh"
expect_contains "$out" "OpenSSL 3." "--version names OpenSSL"
expect_exit 64 "no subcommand is misuse" -- "$netdiag"
expect_exit 64 "an unknown flag is misuse" -- "$netdiag" scan --frobnicate
expect_exit 64 "a bad --format is misuse" -- "$netdiag" scan --format xml
expect_exit 64 "an unknown threshold is misuse" -- "$netdiag" scan --root "$tree61" --interval 0 --threshold nope.warning=1
expect_contains "$err" 'unknown threshold "nope.warning"' "the unknown threshold is named"
expect_exit 64 "an unknown check in --only is misuse" -- "$netdiag" scan --root "$tree61" --interval 0 --only rx-drop
expect_exit 64 "a negative interval is misuse" -- "$netdiag" scan --interval -1

# --- a captured tree, offline ---
expect_exit 0 "scan of the captured 6.1 host is clear" -- "$netdiag" scan --root "$tree61" --interval 0
expect_contains "$out" "No findings: all clear." "the table says all clear"
expect_contains "$out" "one sample: rate checks skipped" "the table says rate checks were skipped"
"$netdiag" scan --root "$tree61" --interval 0 --json >"$work/clear.json"
validate netdiag.scan.v1 "$work/clear.json" "scan --json of the captured host matches netdiag.scan/v1"
expect_equal "$(json_get "$work/clear.json" 'd["hosts"][0]["interval_seconds"]')" "None" "one sample has no interval"
expect_exit 0 "nagios format" -- "$netdiag" scan --root "$tree61" --interval 0 --format nagios
expect_contains "$out" "NETDIAG OK - 1 host(s), no findings |" "nagios status line"

mkdir -p "$work/empty"
expect_exit 65 "a directory that is no captured host is bad input" -- "$netdiag" scan --root "$work/empty" --interval 0
expect_contains "$err" "$work/empty: not a captured host tree" "the error names the directory"

# A filled conntrack table in a copy of the tree.
cp -a "$tree61" "$work/full"
echo 5860 >"$work/full/proc/sys/net/netfilter/nf_conntrack_count"
expect_exit 2 "a conntrack table at 95% is critical" -- "$netdiag" scan --root "$work/full" --interval 0
expect_contains "$out" "CRITICAL" "the table shows the severity"
expect_contains "$out" "conntrack-fill" "the table names the check"
expect_contains "$out" "conntrack table holds 5860 of 6144 entries (95.4%)" "the table says what it saw"
expect_contains "$out" "why: " "the table says why it matters"
expect_contains "$out" "do:  Raise net.netfilter.nf_conntrack_max (now 6144)" "the table says what to do"
expect_exit 2 "nagios: critical" -- "$netdiag" scan --root "$work/full" --interval 0 --format nagios
expect_contains "$out" "NETDIAG CRITICAL - 1 critical, 0 warning: conntrack-fill nf_conntrack 95.4% on $work/full" "nagios names the finding"
expect_contains "$out" "conntrack-fill nf_conntrack'=95.3776%;;95" "nagios performance data"

# Prometheus text into node_exporter's textfile collector, read back by a real node_exporter.
mkdir -p "$work/textfile"
expect_exit 2 "prometheus format, written whole with -o" -- "$netdiag" scan --root "$work/full" --interval 0 \
    --format prometheus -o "$work/textfile/netdiag.prom"
expect_equal "$out" "" "-o leaves stdout empty"
expect_equal "$(ls "$work/textfile")" "netdiag.prom" "and no temporary beside the file"
expect_contains "$(cat "$work/textfile/netdiag.prom")" \
    "netdiag_finding_severity{host=\"$work/full\",check=\"conntrack-fill\",subject=\"nf_conntrack\"} 2" \
    "a critical finding is severity 2"
expect_exit 73 "-o into a missing directory cannot be written" -- "$netdiag" scan --root "$work/full" --interval 0 \
    --format prometheus -o "$work/no/such/dir/netdiag.prom"
expect_contains "$err" "$work/no/such/dir/netdiag.prom: No such file or directory" "the error names the file"
# Written whole through a temporary of its own: a symlink planted at a guessable name is left alone,
# and the file is readable by node_exporter's user whatever root's umask.
echo precious >"$work/victim"
ln -s "$work/victim" "$work/textfile/netdiag.prom.tmp"
(umask 077; "$netdiag" scan --root "$work/full" --interval 0 --format prometheus -o "$work/textfile/netdiag.prom")
expect_equal "$(cat "$work/victim")" "precious" "a symlink beside the file is not written through"
rm "$work/textfile/netdiag.prom.tmp"
expect_equal "$(stat -c %a "$work/textfile/netdiag.prom")" "644" "the file is 0644 under umask 077"
exporter=/usr/bin/prometheus-node-exporter
if [ -x "$exporter" ]; then
    port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$exporter" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults --collector.textfile \
        --collector.textfile.directory="$work/textfile" >"$work/exporter.log" 2>&1 &
    exporter_pid=$!
    trap 'kill "$exporter_pid" 2>/dev/null; wait "$exporter_pid" 2>/dev/null; rm -rf "$work"' EXIT
    scrape='import sys, time, urllib.request
for _ in range(50):  # up to 5 s for node_exporter to listen
    try:
        print(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode())
        break
    except OSError:
        time.sleep(0.1)'
    metrics=$("$python" -c "$scrape" "$port")
    expect_contains "$metrics" "node_textfile_scrape_error 0" "node_exporter reads netdiag's file without error"
    expect_contains "$metrics" \
        "netdiag_finding_severity{check=\"conntrack-fill\",host=\"$work/full\",subject=\"nf_conntrack\"} 2" \
        "and serves the finding"
    expect_contains "$metrics" "netdiag_host_up{host=\"$work/full\"} 1" "and the host as up"
    expect_contains "$metrics" "netdiag_host_status{host=\"$work/full\",status=\"ok\"} 1" "with its status"
    kill "$exporter_pid" 2>/dev/null
    wait "$exporter_pid" 2>/dev/null
else
    echo "SKIP: prometheus-node-exporter is not installed (scripts/install-deps.sh --test installs it)"
fi
# An interrupted scan reports unfinished hosts as failed: the last good file must stay.
echo previous >"$work/textfile/interrupted.prom"
"$netdiag" scan --interval 5 --format prometheus -o "$work/textfile/interrupted.prom" 2>"$work/interrupted.err" &
scan_pid=$!
sleep 1
kill -INT "$scan_pid"
wait "$scan_pid"
expect_equal "$?" "130" "an interrupted scan with -o exits 130"
expect_equal "$(cat "$work/textfile/interrupted.prom")" "previous" "and leaves the file as it was"
expect_contains "$(cat "$work/interrupted.err")" "interrupted; $work/textfile/interrupted.prom left as it was" "and says so"
# The same on a captured tree: Ctrl-C during the interval is an interruption (130), not bad data.
"$netdiag" scan --root "$tree61" --interval 30 2>"$work/interrupted-root.err" >/dev/null &
scan_pid=$!
sleep 1
kill -INT "$scan_pid"
wait "$scan_pid"
expect_equal "$?" "130" "an interrupted scan of a captured tree exits 130"
expect_not_contains "$(cat "$work/interrupted-root.err")" "not a captured host tree" "and does not blame the tree"
expect_exit 1 "a raised threshold turns it into a warning" -- \
    "$netdiag" scan --root "$work/full" --interval 0 --threshold conntrack-fill.critical=99
printf 'thresholds:\n  conntrack-fill.warning: 99\n  conntrack-fill.critical: 99.5\n' >"$work/quiet.yaml"
expect_exit 0 "thresholds from a config file" -- "$netdiag" scan --root "$work/full" --interval 0 --config "$work/quiet.yaml"
printf 'thresholds:\n  conntrack-fill.warning: 99\nspeed:\n  eth0: 10\n' >"$work/bad.yaml"
expect_exit 65 "a bad config file is bad input" -- "$netdiag" scan --root "$work/full" --interval 0 --config "$work/bad.yaml"
expect_contains "$err" "$work/bad.yaml:3: unknown key \"speed\"" "the config error names file and line"
"$netdiag" scan --root "$work/full" --interval 0 --json >"$work/full.json"
validate netdiag.scan.v1 "$work/full.json" "a finding matches netdiag.scan/v1"
expect_equal "$(json_get "$work/full.json" 'd["hosts"][0]["findings"][0]["check"], d["hosts"][0]["findings"][0]["subject"], d["hosts"][0]["findings"][0]["severity"], d["exit_code"]')" \
    "conntrack-fill nf_conntrack critical 2" "JSON finding: check, subject, severity and exit code"

# A truncated /proc file: reported as unavailable with its line, never a crash.
head -c 300 "$tree61/proc/net/snmp" >"$work/full/proc/net/snmp"
expect_exit 2 "a truncated /proc/net/snmp does not stop the scan" -- "$netdiag" scan --root "$work/full" --interval 0 -v
expect_contains "$out" "/proc/net/snmp:" "verbose output lists the unreadable file with its line"

# --- nothing fails open: a file that exists but does not parse is "unknown", exit 3 ---
# A kernel that appends a column to /proc/net/dev: the file is read, the findings are as before.
cp -a "$tree61" "$work/wide"
sed -i -E '/:/ s/$/ 7/' "$work/wide/proc/net/dev"
expect_equal "$(awk -F: '/:/ {print split($2, f, " ")}' "$work/wide/proc/net/dev" | sort -u)" "17" \
    "every interface line of the copy has 17 counters"
"$netdiag" scan --root "$tree61" --interval 0.2 --json >"$work/narrow.json"
expect_exit 0 "a 17th net/dev column is read, not a reason to drop the file" -- \
    "$netdiag" scan --root "$work/wide" --interval 0.2 --json
printf '%s\n' "$out" >"$work/wide.json"
findings='sorted((f["check"], f["subject"], f["severity"]) for f in d["hosts"][0]["findings"]), d["hosts"][0]["unparsable"]'
expect_equal "$(json_get "$work/wide.json" "$findings")" "$(json_get "$work/narrow.json" "$findings")" \
    "the findings are those of the unchanged tree"
expect_not_contains "$(json_get "$work/wide.json" 'd["hosts"][0]["unavailable"]')" "/proc/net/dev" \
    "and /proc/net/dev is not unavailable"
expect_exit 0 "nagios: a 17th column is still OK" -- "$netdiag" scan --root "$work/wide" --interval 0.2 --format nagios
expect_contains "$out" "NETDIAG OK" "the status line is OK"

# A counter too large for 64 bits: every format says unknown, names the file and line, exit 3.
cp -a "$tree61" "$work/huge"
sed -i -E '5 s/^( *eth1: *)[0-9]+/\199999999999999999999999999/' "$work/huge/proc/net/dev"
expect_contains "$(sed -n 5p "$work/huge/proc/net/dev")" " 99999999999999999999999999 " "line 5 holds the huge counter"
expect_exit 3 "table: an unparsable net/dev is unknown" -- "$netdiag" scan --root "$work/huge" --interval 0.2
expect_contains "$out" "1 host(s) not fully checked" "the table says the host was not fully checked"
expect_contains "$out" "UNKNOWN" "the table shows unknown findings"
expect_contains "$out" "/proc/net/dev:5: eth1: counter \"99999999999999999999999999\" does not fit in 64 bits" \
    "the table names the file and line"
expect_contains "$out" "rx-drops cannot decide without it" "and the check that could not run"
expect_not_contains "$out" "No findings" "it is never all clear"
expect_exit 3 "json: an unparsable net/dev is unknown" -- "$netdiag" scan --root "$work/huge" --interval 0.2 --json
printf '%s\n' "$out" >"$work/huge.json"
validate netdiag.scan.v1 "$work/huge.json" "scan --json with an unparsable file matches netdiag.scan/v1"
expect_equal "$(json_get "$work/huge.json" 'd["exit_code"], d["summary"]["hosts_not_fully_checked"]')" "3 1" \
    "JSON exit code 3, one host not fully checked"
expect_equal "$(json_get "$work/huge.json" 'sorted(f["check"] for f in d["hosts"][0]["findings"] if f.get("details", {}).get("file") == "/proc/net/dev" and f["severity"] == "unknown" and f["details"]["line"] == "5")')" \
    "['nic-errors', 'nic-saturation', 'packet-storm', 'rx-drops', 'tx-drops']" "JSON: the checks that could not run, with file and line"
expect_contains "$(json_get "$work/huge.json" 'd["hosts"][0]["unparsable"]["/proc/net/dev"]')" "/proc/net/dev:5:" \
    "JSON: the host's unparsable files"
expect_exit 3 "nagios: an unparsable net/dev is UNKNOWN" -- "$netdiag" scan --root "$work/huge" --interval 0.2 --format nagios
expect_contains "$out" "NETDIAG UNKNOWN - " "the nagios status is UNKNOWN"
expect_contains "$out" "/proc/net/dev:5: eth1: counter" "the nagios line names the file and line"
expect_exit 3 "prometheus: an unparsable net/dev is unknown" -- \
    "$netdiag" scan --root "$work/huge" --interval 0.2 --format prometheus
expect_contains "$out" "netdiag_unparsable_file{host=\"$work/huge\",file=\"/proc/net/dev\",line=\"5\"} 1" \
    "prometheus names the file and line"
expect_contains "$out" "netdiag_finding_severity{host=\"$work/huge\",check=\"rx-drops\",subject=\"/proc/net/dev\"} 0" \
    "prometheus carries the unknown finding"
expect_exit 0 "one sample: no rate check needs net/dev, so nothing is unknown" -- \
    "$netdiag" scan --root "$work/huge" --interval 0
"$netdiag" collect --root "$work/huge" --interval 0.2 -o "$work/huge-samples.json"
expect_exit 3 "saved samples with an unparsable net/dev are unknown too" -- "$netdiag" scan --from "$work/huge-samples.json"
expect_contains "$out" "/proc/net/dev:5:" "the saved samples keep the file and line"

# --- names from hosts: bytes that are not UTF-8 and escape sequences never reach a terminal raw ---
cp -a "$tree61" "$work/hostile"
mkdir -p "$work/hostile/proc/sys/kernel"
printf 'h\xff\xfeost\n' >"$work/hostile/proc/sys/kernel/hostname"
evil=$'e\e[2K\e[1Ah0'
sed -i "s/^  eth0:/  $evil:/" "$work/hostile/proc/net/dev"
mv "$work/hostile/sys/class/net/eth0" "$work/hostile/sys/class/net/$evil"
expect_exit 0 "scan --json of a host with a hostile hostname and interface name" -- \
    "$netdiag" scan --root "$work/hostile" --interval 0.2 --json
printf '%s\n' "$out" >"$work/hostile.json"
validate netdiag.scan.v1 "$work/hostile.json" "the JSON is valid and matches netdiag.scan/v1"
expect_equal "$(json_get "$work/hostile.json" 'd["hosts"][0]["hostname"] == "h\ufffd\ufffdost"')" "True" \
    "the hostname's invalid bytes are U+FFFD in JSON"
expect_equal "$(json_get "$work/hostile.json" 'any(f["subject"] == "e\x1b[2K\x1b[1Ah0" for f in d["hosts"][0]["findings"])')" \
    "True" "JSON keeps the interface's name, escaped as JSON"
"$netdiag" scan --root "$work/hostile" --interval 0.2 -v >"$work/hostile.txt"
expect_equal "$(grep -c $'\x1b' "$work/hostile.txt")" "0" "the table holds no raw ESC byte"
expect_contains "$(cat "$work/hostile.txt")" 'e\x1b[2K\x1b[1Ah0' "the table shows the name escaped"
"$netdiag" scan --root "$work/hostile" --interval 0.2 --format nagios >"$work/hostile.nagios"
expect_equal "$(grep -c $'\x1b' "$work/hostile.nagios")" "0" "the nagios line holds no raw ESC byte"
"$netdiag" scan --root "$work/hostile" --interval 0.2 --format prometheus >"$work/hostile.prom"
expect_equal "$(grep -c $'\x1b' "$work/hostile.prom")" "0" "the prometheus text holds no raw ESC byte"

# --- collect, then scan the saved samples ---
expect_exit 0 "collect from a captured tree" -- "$netdiag" collect --root "$tree61" -o "$work/tree.json"
validate netdiag.collect.v1 "$work/tree.json" "collect output matches netdiag.collect/v1"
expect_exit 0 "scan --from one saved sample" -- "$netdiag" scan --from "$work/tree.json"
expect_exit 0 "collect a copy with a filled table" -- "$netdiag" collect --root "$work/full" -o "$work/full-sample.json"
expect_exit 2 "scan --from a filled table" -- "$netdiag" scan --from "$work/full-sample.json"
expect_contains "$out" "conntrack-fill" "the saved sample gives the same finding"

expect_exit 0 "collect two live samples a second apart" -- "$netdiag" collect --interval 1 -o "$work/live.json"
validate netdiag.collect.v1 "$work/live.json" "live collect output matches netdiag.collect/v1"
expect_exit 0 "collect --count 3 takes three samples" -- "$netdiag" collect --count 3 -o "$work/three.json"
expect_equal "$(json_get "$work/three.json" 'len(d["samples"])')" "3" "three samples in the document"
expect_equal "$(json_get "$work/live.json" 'len(d["samples"])')" "2" "two samples"
"$netdiag" scan --from "$work/live.json" --json >"$work/live-scan.json"
validate netdiag.scan.v1 "$work/live-scan.json" "scan of saved live samples matches netdiag.scan/v1"
interval=$(json_get "$work/live-scan.json" 'd["hosts"][0]["interval_seconds"]')
if "$python" -c "import sys; sys.exit(0 if 0.9 <= float('$interval') <= 3 else 1)"; then
    pass "the interval comes from the samples ($interval s)"
else
    fail "the interval comes from the samples: $interval"
fi
"$netdiag" collect --interval 0 -o "$work/a.json" && sleep 1 && "$netdiag" collect --interval 0 -o "$work/b.json"
"$netdiag" scan --from "$work/a.json" "$work/b.json" --json >"$work/ab.json"
validate netdiag.scan.v1 "$work/ab.json" "scan --from A.json B.json"

# A snapshot saved by the release before the catalogue grew: still valid v1, still scanned; the
# checks it has no data for say nothing rather than invent a zero.
old_release=$here/../fixtures/snapshots/collect-v1-release-before-issue-10.json
validate netdiag.collect.v1 "$old_release" "a snapshot from the previous release matches today's netdiag.collect/v1"
expect_exit 0 "a snapshot from the previous release still scans, all clear" -- "$netdiag" scan --from "$old_release" -v
expect_contains "$out" "0 critical, 0 warning" "its verdict"
expect_contains "$out" "/proc/net/stat/arp_cache: not in this snapshot (saved by an older netdiag)" \
    "-v says which parts the older snapshot does not have"

printf '{"schema": "netdiag.collect/v1", "samples": [' >"$work/truncated.json"
expect_exit 65 "a truncated snapshot file is bad input" -- "$netdiag" scan --from "$work/truncated.json"
expect_contains "$err" "$work/truncated.json: not valid JSON" "the error names the file"
expect_exit 65 "scan output is not a snapshot" -- "$netdiag" scan --from "$work/full.json"
expect_contains "$err" "not a netdiag.collect/v1 document" "the error says what was expected"
chmod 000 "$work/tree.json"
if [ "$(id -u)" != 0 ]; then
    expect_exit 65 "an unreadable snapshot file is bad input" -- "$netdiag" scan --from "$work/tree.json"
fi
"$netdiag" collect --root "$tree61" -o "$work/no/such/dir/x.json" 2>"$work/err"
expect_equal "$?" "73" "collect -o into a missing directory exits 73"
expect_equal "$(ls "$work/no" 2>/dev/null)" "" "and leaves nothing half-written"

# --- the local host, live ---
"$netdiag" scan --interval 1 --json >"$work/local.json"
code=$?
case $code in 0|1|2) pass "a live local scan finishes with a verdict (exit $code)" ;; *) fail "live scan exit $code" ;; esac
validate netdiag.scan.v1 "$work/local.json" "live scan --json matches netdiag.scan/v1"
expect_equal "$(json_get "$work/local.json" 'd["exit_code"]')" "$code" "the JSON exit_code is the process exit code"

# --- the catalogue ---
expect_exit 0 "checks lists the catalogue" -- "$netdiag" checks
for id in bond-degraded carrier-flaps checksum-errors close-wait conntrack-drops conntrack-fill frag-memory \
          icmp-errors ip-reassembly link-degraded link-down listen-overflows mtu-mismatch neigh-table \
          nic-errors nic-saturation no-route packet-storm qdisc-drops rp-filter rx-drops softnet-backlog \
          syn-queue tcp-aborts tcp-memory tcp-receive-drops tcp-resets tcp-retransmits time-wait \
          time-wait-overflow tx-drops tx-timeouts udp-buffer-errors udp-memory; do
    expect_contains "$out" "$id" "checks lists $id"
done
expect_contains "$out" "reads: netstat TcpExt TCPReqQFullDoCookies" "checks says what a check reads"
expect_contains "$out" "(default from Netdata 1m_tcp_syn_queue_*)" "and where its default thresholds come from"
expect_contains "$out" "fix: listen-backlog" "and which fix answers it"
expect_exit 0 "checks --json shows overridden thresholds" -- "$netdiag" checks --json --threshold rx-drops.warning=20
expect_contains "$out" '"rx-drops.warning": 20.0' "the override is shown"

# --- pictures: NET_RX by CPU under rx-drops, throughput against link speed with --detail ---
# Two samples of the captured 6.1 host with a pile-up made on them (tests/fixtures/pileup/make.py).
"$netdiag" collect --root "$tree61" -o "$work/capture.json"
/usr/bin/python3 "$fixtures/pileup/make.py" "$work/capture.json" "$work/pileup.json"
expect_exit 1 "a pile-up on CPU0, drawn" -- env LANG=C.UTF-8 "$netdiag" scan --from "$work/pileup.json" --color always --detail
expect_contains "$out" "NET_RX softirqs by CPU, and the NIC's queue IRQs:" "rx-drops draws where NET_RX ran"
expect_contains "$out" "CPU0 ██████████████████████▊    95%  IRQ 27 28 29 30" "CPU0 carries the softirqs and the queue IRQs"
expect_contains "$out" "CPU3 ▎                           1%" "an idle CPU gets a sliver"
expect_contains "$out" "eth1 ████████████              50.0% of 1 Gb/s (rx 500.0Mb/s, tx 0b/s)" "--detail draws throughput against link speed"
expect_contains "$out" "eth0                           speed unknown" "a NIC without a speed says so"
expect_exit 1 "without a UTF-8 locale, ASCII" -- env LANG=C LC_ALL=C "$netdiag" scan --from "$work/pileup.json" --color always
expect_contains "$out" "CPU0 #######################    95%  IRQ 27 28 29 30" "ASCII bars"
expect_not_contains "$out" "█" "no block characters"
expect_exit 1 "--color never draws nothing" -- env LANG=C.UTF-8 "$netdiag" scan --from "$work/pileup.json" --color never --detail
expect_not_contains "$out" "NET_RX softirqs by CPU" "no chart for scripts"
expect_not_contains "$out" "Throughput against link speed" "no throughput chart for scripts"
expect_exit 1 "JSON is unchanged" -- env LANG=C.UTF-8 "$netdiag" scan --from "$work/pileup.json" --color always --json
expect_not_contains "$out" "█" "no drawing in JSON"
expect_contains "$out" '"net_rx_share": "CPU0=0.950 CPU1=0.020 CPU2=0.020 CPU3=0.010"' "the shares are data in JSON"
expect_exit 0 "fix --dry-run draws queue IRQs per CPU before and after" -- env LANG=C.UTF-8 \
    "$netdiag" fix --root "$tree61" --interval 0 --only irq-affinity --color always
expect_contains "$out" "queue IRQs per CPU, before → after (4 IRQs):" "the plan's IRQ placement is drawn"
expect_contains "$out" "#   CPU0 ████████████   4  →  ███ 1" "from every CPU allowed to one each"
expect_exit 0 "fix --color never draws nothing" -- "$netdiag" fix --root "$tree61" --interval 0 --only irq-affinity --color never
expect_not_contains "$out" "queue IRQs per CPU" "no chart in a plan a script reads"

# --- config where people look: /etc/netdiag, then ${XDG_CONFIG_HOME:-~/.config}/netdiag; --config instead ---
mkdir -p "$work/xdg/netdiag" "$work/home/.config/netdiag"
printf 'thresholds:\n  rx-drops.warning: 77\n' >"$work/xdg/netdiag/netdiag.yaml"
printf 'thresholds:\n  rx-drops.warning: 66\n' >"$work/home/.config/netdiag/netdiag.yaml"
expect_exit 0 "checks reads \$XDG_CONFIG_HOME/netdiag/netdiag.yaml" -- \
    env XDG_CONFIG_HOME="$work/xdg" HOME="$work/home" "$netdiag" checks
expect_contains "$out" "config: $work/xdg/netdiag/netdiag.yaml" "checks says which file it read"
expect_contains "$out" "rx-drops.warning=77" "the user's config applies"
expect_exit 0 "without XDG_CONFIG_HOME, ~/.config/netdiag/netdiag.yaml" -- env -u XDG_CONFIG_HOME HOME="$work/home" "$netdiag" checks
expect_contains "$out" "rx-drops.warning=66" "~/.config is the fallback"
expect_exit 0 "a flag overrides the config" -- env XDG_CONFIG_HOME="$work/xdg" "$netdiag" checks --threshold rx-drops.warning=5
expect_contains "$out" "rx-drops.warning=5 " "flags win"
printf 'speeds: {eth0: 10000}\n' >"$work/explicit.yaml"
expect_exit 0 "--config replaces the default files" -- env XDG_CONFIG_HOME="$work/xdg" "$netdiag" checks --config "$work/explicit.yaml"
expect_contains "$out" "config: $work/explicit.yaml" "--config is the only file read"
expect_not_contains "$out" "rx-drops.warning=77" "the user's config is not read with --config"
printf 'thresholds:\n  rx-drops.warning: [\n' >"$work/xdg/netdiag/netdiag.yaml"
expect_exit 65 "a broken user config is bad input" -- env XDG_CONFIG_HOME="$work/xdg" "$netdiag" checks
expect_contains "$err" "$work/xdg/netdiag/netdiag.yaml:" "it names the file and line"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    # /etc/netdiag through an overlay in a private mount namespace: the real /etc is never written.
    mkdir -p "$work/etc-up/netdiag" "$work/etc-work"
    printf 'thresholds:\n  rx-drops.warning: 55\n  conntrack-fill.warning: 60\n' >"$work/etc-up/netdiag/netdiag.yaml"
    printf 'thresholds:\n  rx-drops.warning: 77\n' >"$work/xdg/netdiag/netdiag.yaml"
    expect_exit 0 "/etc/netdiag/netdiag.yaml, then the user's" -- unshare -m --propagation private sh -c \
        "mount -t overlay overlay -o lowerdir=/etc,upperdir='$work/etc-up',workdir='$work/etc-work' /etc &&
         XDG_CONFIG_HOME='$work/xdg' '$netdiag' checks"
    expect_contains "$out" "config: /etc/netdiag/netdiag.yaml, $work/xdg/netdiag/netdiag.yaml" "both files, in order"
    expect_contains "$out" "conntrack-fill.warning=60" "the system file applies"
    expect_contains "$out" "rx-drops.warning=77" "the user's file overrides it"
    [ -e /etc/netdiag/netdiag.yaml ] && fail "the real /etc was written" || pass "the real /etc is untouched"
else
    echo "SKIP: /etc/netdiag/netdiag.yaml needs root (an overlay on /etc in a mount namespace)"
fi

finish cli
