#!/usr/bin/env bash
# A fleet lab: network namespaces joined to this one by veth pairs, each running its own OpenSSH
# sshd on its own address, some with real faults injected, scanned by `netdiag scan INVENTORY`
# from the root namespace. Asserts each host's status and findings as a user would read them.
set -u
netdiag=${1:?usage: fleet.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"
python=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then
    echo "fleet: SKIP needs root (network namespaces, sshd)"
    exit 77
fi
sshd=/usr/sbin/sshd
if [ ! -x "$sshd" ]; then
    echo "fleet: SKIP openssh-server is not installed (scripts/install-deps.sh --test installs it)"
    exit 77
fi

lab=ndl$$            # namespace and interface prefix, unique per run
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for n in 1 2 3 4 5 6 7; do
        ip netns pids "$lab-$n" 2>/dev/null | xargs -r kill 2>/dev/null
        ip netns del "$lab-$n" 2>/dev/null
        ip link del "${lab}r$n" 2>/dev/null
    done
    ip netns pids "$lab-fb" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "$lab-fb" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# Hosts: 1 clean, 2 conntrack filled, 3 rx drops, 4 swapped host key, 5 no test key,
# 6 an address that answers nothing (packets dropped).
address() { echo "10.231.$1.2"; }
mkdir -p /run/sshd  # sshd's privilege-separation directory
ssh-keygen -q -t ed25519 -N '' -f "$work/id_test" -C netdiag-lab
: >"$work/no_keys"
: >"$work/known_hosts"
for n in 1 2 3 4 5 6; do
    ns=$lab-$n
    ip netns add "$ns"
    ip link add "${lab}r$n" type veth peer name eth0 netns "$ns"
    ip addr add "10.231.$n.1/24" dev "${lab}r$n"
    ip link set "${lab}r$n" up
    ip -n "$ns" addr add "$(address "$n")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    [ "$n" = 6 ] && { ip netns exec "$ns" iptables -A INPUT -j DROP; continue; }
    mkdir -p "$work/h$n"
    ssh-keygen -q -t ed25519 -N '' -f "$work/h$n/host_key"
    keys=$work/id_test.pub
    [ "$n" = 5 ] && keys=$work/no_keys
    cat >"$work/h$n/sshd_config" <<EOF
ListenAddress $(address "$n")
Port 22
HostKey $work/h$n/host_key
AuthorizedKeysFile $keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $work/h$n/sshd.pid
EOF
    ip netns exec "$ns" "$sshd" -f "$work/h$n/sshd_config" -E "$work/h$n/log"
    echo "$(address "$n") $(cut -d' ' -f1-2 "$work/h$n/host_key.pub")" >>"$work/known_hosts"
done
# Host 7 sits behind host 1: a veth from host 1's namespace is its only link, so it is reached
# by ProxyJump through host 1, as an ssh_config says.
ip netns add "$lab-7"
ip -n "$lab-1" link add j7 type veth peer name eth0 netns "$lab-7"
ip -n "$lab-1" addr add 10.232.7.1/24 dev j7
ip -n "$lab-1" link set j7 up
ip -n "$lab-7" addr add 10.232.7.2/24 dev eth0
ip -n "$lab-7" link set eth0 up
ip -n "$lab-7" link set lo up
mkdir -p "$work/h7"
ssh-keygen -q -t ed25519 -N '' -f "$work/h7/host_key"
sed -e "s|^ListenAddress .*|ListenAddress 10.232.7.2|" -e "s|$work/h1/|$work/h7/|g" "$work/h1/sshd_config" >"$work/h7/sshd_config"
ip netns exec "$lab-7" "$sshd" -f "$work/h7/sshd_config" -E "$work/h7/log"
echo "10.232.7.2 $(cut -d' ' -f1-2 "$work/h7/host_key.pub")" >>"$work/known_hosts"
cat >"$work/ssh_config" <<EOF
Host lab7
    HostName 10.232.7.2
    User root
    IdentityFile $work/id_test
    ProxyJump root@$(address 1)
Host lab7mute
    HostName 10.232.7.2
    Port 2222
    User root
    IdentityFile $work/id_test
    ProxyJump root@$(address 1)
Host lab7viafive
    HostName 10.232.7.2
    User root
    IdentityFile $work/id_test
    ProxyJump root@$(address 5)
Host lab1stuck
    HostName $(address 1)
    Port 2200
    User root
    IdentityFile $work/id_test
Host lab1flood
    HostName $(address 1)
    Port 2201
    User root
    IdentityFile $work/id_test
Host lab7chain
    HostName 10.232.7.2
    User root
    IdentityFile $work/id_test
    ProxyJump root@$(address 1),root@10.232.7.2
Host $(address 1) 10.232.7.2
    IdentityFile $work/id_test
EOF
# Host 1 again on port 2200, where every command hangs (ForceCommand).
sed -e "s|^Port 22|Port 2200|" -e "s|$work/h1/sshd.pid|$work/h1/stuck.pid|" "$work/h1/sshd_config" >"$work/h1/stuck_config"
echo "ForceCommand sleep 100" >>"$work/h1/stuck_config"
ip netns exec "$lab-1" "$sshd" -f "$work/h1/stuck_config" -E "$work/h1/stuck.log"
echo "[$(address 1)]:2200 $(cut -d' ' -f1-2 "$work/h1/host_key.pub")" >>"$work/known_hosts"
# And on port 2201, where every command streams without end (a broken profile, a hostile host).
sed -e "s|^Port 22|Port 2201|" -e "s|$work/h1/sshd.pid|$work/h1/flood.pid|" "$work/h1/sshd_config" >"$work/h1/flood_config"
echo "ForceCommand timeout 60 cat /dev/zero" >>"$work/h1/flood_config"
ip netns exec "$lab-1" "$sshd" -f "$work/h1/flood_config" -E "$work/h1/flood.log"
echo "[$(address 1)]:2201 $(cut -d' ' -f1-2 "$work/h1/host_key.pub")" >>"$work/known_hosts"
# Behind the bastion too: a port that accepts connections and never says a word.
ip netns exec "$lab-7" timeout 120 "$python" -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.232.7.2", 2222)); s.listen(8)
held = []
end = time.time() + 120
while time.time() < end:
    s.settimeout(max(0.1, end - time.time()))
    try:
        held.append(s.accept()[0])
    except OSError:
        break
' &
pids+=($!)

# Host 4 presents a key other than the one known_hosts has for it.
ssh-keygen -q -t ed25519 -N '' -f "$work/h4/other_key"
kill "$(cat "$work/h4/sshd.pid")"
sleep 0.2
sed -i "s|^HostKey .*|HostKey $work/h4/other_key|" "$work/h4/sshd_config"
ip netns exec "$lab-4" "$sshd" -f "$work/h4/sshd_config" -E "$work/h4/log"

# Wait (bounded) until every sshd answers.
for n in 1 2 3 4 5; do
    for _ in $(seq 50); do
        timeout 1 bash -c "echo >/dev/tcp/$(address "$n")/22" 2>/dev/null && break
        sleep 0.1
    done
done

# Fault on host 2: its conntrack table past 80 % of nf_conntrack_max (not writable in a child
# namespace, so the table is filled with unreplied UDP flows on its loopback).
ip netns exec "$lab-2" sh -c 'iptables -A OUTPUT -m conntrack --ctstate NEW -j ACCEPT &&
    sysctl -qw net.netfilter.nf_conntrack_udp_timeout=300'
max=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
ip netns exec "$lab-2" timeout 120 "$python" "$here/load.py" udp-fill $((max * 85 / 100))

# Fault on host 3: frames of an unknown ethertype into its eth0, for the whole scan.
timeout 60 "$python" "$here/load.py" raw-frames "${lab}r3" 60 >/dev/null &
pids+=($!)

cat >"$work/inventory.yaml" <<EOF
all:
  vars:
    user: root
    key: $work/id_test
  children:
    clean:
      hosts:
        lab1: {address: $(address 1)}
    faulty:
      hosts:
        lab2: {address: $(address 2)}
        lab3: {address: $(address 3)}
    broken:
      hosts:
        lab4: {address: $(address 4)}
        lab5: {address: $(address 5)}
        lab6: {address: $(address 6)}
EOF
ssh_flags=(--no-ssh-config --known-hosts "$work/known_hosts" --connect-timeout 3 --command-timeout 20)

expect_exit 3 "a fleet with unreachable hosts exits 3 unless findings are worse" -- \
    "$netdiag" scan "$work/inventory.yaml" "${ssh_flags[@]}" --interval 2 --json \
    --only conntrack-fill,rx-drops,conntrack-drops
echo "$out" >"$work/scan.json"
summary=$("$python" - "$work/scan.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for h in d["hosts"]:
    found = sorted({f'{f["check"]}:{f["subject"]}' for f in h["findings"] if f["severity"] in ("warning", "critical")})
    print(h["host"], h["status"], ",".join(found) or "-")
PY
)
echo "$summary" | sed 's/^/  /'
line() { echo "$summary" | grep "^$1 "; }
expect_equal "$(line lab1)" "lab1 ok -" "a clean host is ok with no findings"
expect_equal "$(line lab2)" "lab2 ok conntrack-fill:nf_conntrack" "a filled conntrack table is found on its host"
expect_equal "$(line lab3)" "lab3 ok rx-drops:eth0" "rx drops are found on the receiving interface"
expect_equal "$(line lab4)" "lab4 host_key_changed -" "a swapped host key is refused"
expect_equal "$(line lab5)" "lab5 auth_failed -" "a host without the test key fails authentication"
expect_contains "$(line lab6)" "lab6 timeout" "an address that answers nothing times out"
errors=$("$python" -c 'import json,sys; [print(h["host"], h["error"]) for h in json.load(open(sys.argv[1]))["hosts"] if h["error"]]' "$work/scan.json")
expect_equal "$(grep '^lab4 ' <<<"$errors" | grep -o 'SHA256:' | wc -l)" "2" "the changed key's error shows both fingerprints"
expect_contains "$(grep '^lab4 ' <<<"$errors")" "ssh-keygen -R '$(address 4)' -f '$work/known_hosts'" \
    "and the command that forgets the old key, for the known_hosts in use"
expect_exit 3 "--host-key-checking off still refuses a changed key" -- "$netdiag" scan "$work/inventory.yaml" \
    "${ssh_flags[@]}" --limit lab4 --host-key-checking off --interval 0 --json
expect_contains "$out" '"status": "host_key_changed"' "as host_key_changed"

# The table: a summary across hosts, worst first.
expect_exit 3 "the fleet table" -- "$netdiag" scan "$work/inventory.yaml" "${ssh_flags[@]}" --interval 0 \
    --limit faulty,broken --only conntrack-fill
expect_contains "$out" "conntrack-fill" "the fleet summary names the finding"
expect_contains "$out" "lab2" "and the host it is on"

expect_exit 1 "--detail lists each host's findings" -- "$netdiag" scan "$work/inventory.yaml" "${ssh_flags[@]}" \
    --interval 0 --limit faulty --only conntrack-fill --detail --threshold conntrack-fill.warning=1
expect_contains "$out" "conntrack table holds" "the detail says what it saw on each host"

# Ctrl-C during the interval: the scan stops at once and reports every host, finished or not.
"$netdiag" scan "$work/inventory.yaml" "${ssh_flags[@]}" --interval 60 --json >"$work/interrupted.json" 2>"$work/interrupted.err" &
scan_pid=$!
sleep 3
kill -INT "$scan_pid"
started=$SECONDS
wait "$scan_pid"
expect_equal "$?" "130" "Ctrl-C exits 130"
expect_equal "$(( SECONDS - started < 10 ))" "1" "Ctrl-C stops the scan without waiting for the interval"
expect_contains "$("$python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["hosts"]), sorted({h["error"] for h in d["hosts"] if h["status"]=="error"}))' "$work/interrupted.json")" \
    "6 ['interrupted before it finished']" "every host is reported, the unfinished ones as interrupted"

# --limit and -H pick hosts; a clean subset exits 0.
expect_exit 0 "--limit to a clean group" -- "$netdiag" scan "$work/inventory.yaml" "${ssh_flags[@]}" \
    --interval 0 --limit clean
expect_exit 0 "-H with a literal address" -- "$netdiag" scan -H "$(address 1)" -l root -i "$work/id_test" "${ssh_flags[@]}" \
    --interval 0 --only conntrack-fill
# Qdiscs and rings come back in the sample's own round trip: read, not "not available".
expect_exit 0 "a scan over SSH with the link statistics" -- "$netdiag" scan -H "$(address 1)" -l root -i "$work/id_test" \
    "${ssh_flags[@]}" --interval 1 --json
echo "$out" >"$work/link.json"
expect_equal "$(json_get "$work/link.json" 'sorted(k for k in d["hosts"][0]["unavailable"] if k.startswith(("qdiscs", "rings")))')" \
    "[]" "over SSH the qdiscs and rings are read in the sample's round trip"
expect_exit 64 "--limit that matches nothing is misuse" -- "$netdiag" scan "$work/inventory.yaml" \
    "${ssh_flags[@]}" --limit nosuchgroup

# Agent authentication: no key named anywhere, the test key only in an ssh-agent.
agent_socket=$work/agent.sock
ssh-agent -a "$agent_socket" >/dev/null && pids+=("$(pgrep -f -n "ssh-agent -a $agent_socket")")
SSH_AUTH_SOCK=$agent_socket ssh-add -q "$work/id_test" 2>/dev/null
expect_exit 0 "a key held only by ssh-agent" -- env SSH_AUTH_SOCK="$agent_socket" HOME="$work" \
    "$netdiag" scan -H "$(address 1)" -l root "${ssh_flags[@]}" --interval 0 --only conntrack-fill

# A passphrase-protected key, on a terminal, with no agent: skipped, never a prompt that blocks.
ssh-keygen -q -t rsa -b 2048 -m PEM -N 'not typed' -f "$work/id_locked"
rm -f "$work/id_locked.pub"
script -qec "timeout 60 '$netdiag' scan -H $(address 1) -l root -i '$work/id_locked' --no-ssh-config \
    --known-hosts '$work/known_hosts' --interval 0 --json >'$work/locked.json' 2>/dev/null" /dev/null \
    </dev/null >"$work/terminal.txt"
expect_equal "$(json_get "$work/locked.json" 'd["hosts"][0]["status"]' 2>&1)" "auth_failed" \
    "a locked key on a terminal is skipped, not prompted for"
expect_not_contains "$(cat "$work/terminal.txt")" "pass phrase" "no passphrase prompt on the terminal"

# ProxyJump from an ssh_config: host 7 has no route from here, only through host 1.
expect_exit 0 "a host behind a bastion, by ProxyJump" -- "$netdiag" scan -H lab7 --ssh-config "$work/ssh_config" \
    --known-hosts "$work/known_hosts" --connect-timeout 5 --interval 0 --only conntrack-fill --json
expect_equal "$(json_get /dev/stdin 'd["hosts"][0]["status"]' <<<"$out")" "ok" "the host behind the bastion was scanned"

# A chain of two hops, in OpenSSH's order (host 1, then host 7, which reaches itself): every hop
# checks its key against netdiag's known_hosts, not ~/.ssh's.
expect_exit 0 "a host behind two ProxyJump hops" -- "$netdiag" scan -H lab7chain --ssh-config "$work/ssh_config" \
    --known-hosts "$work/known_hosts" --connect-timeout 5 --interval 0 --only conntrack-fill --json
expect_equal "$(json_get /dev/stdin 'd["hosts"][0]["status"]' <<<"$out")" "ok" "the chain was followed in its order"

# The same bastion named by the inventory (ansible_ssh_common_args, as Ansible users write it),
# for an address whose ssh_config block gives a key but no ProxyJump; options netdiag does not take
# are named once, and do not stop the scan.
cat >"$work/behind.ini" <<EOF
[behind]
behind1 ansible_host=10.232.7.2 ansible_user=root
behind2 ansible_host=10.232.7.2 ansible_user=root
[behind:vars]
ansible_ssh_common_args='-o ProxyJump=root@$(address 1) -o StrictHostKeyChecking=yes -o ControlMaster=auto'
EOF
expect_exit 0 "a host behind a bastion, by ProxyJump from the inventory" -- "$netdiag" scan "$work/behind.ini" \
    --ssh-config "$work/ssh_config" --known-hosts "$work/known_hosts" --connect-timeout 5 --interval 0 \
    --only conntrack-fill --json
expect_equal "$(json_get /dev/stdin '[h["status"] for h in d["hosts"]]' <<<"$out")" "['ok', 'ok']" \
    "both hosts behind the bastion were scanned"
expect_equal "$(grep -c 'ignored in ansible_ssh_common_args' <<<"$err")" 1 "the ignored option is named once"
expect_contains "$err" "-o ControlMaster=auto" "by what the inventory wrote"

# ssh_config's blocks apply as OpenSSH applies them: by the name given, not by a HostName an
# earlier block set (libssh 0.10 alone would skip lab1by* and take the address's block, whose
# port hangs).
cat >"$work/ssh_config_order" <<EOF
Host lab1byname
    HostName $(address 1)
Host lab1by*
    User root
    IdentityFile $work/id_test
Host $(address 1)
    Port 2200
EOF
expect_exit 0 "a pattern block after a host's own HostName still applies" -- "$netdiag" scan -H lab1byname \
    --ssh-config "$work/ssh_config_order" --known-hosts "$work/known_hosts" --connect-timeout 5 \
    --command-timeout 5 --interval 0 --only conntrack-fill --json
expect_equal "$(json_get /dev/stdin 'd["hosts"][0]["status"]' <<<"$out")" "ok" "and a block for the address does not"

# HostKeyAlias: the key is checked under the alias (no port), as OpenSSH checks it.
echo "lab1-key $(cut -d' ' -f1-2 "$work/h1/host_key.pub")" >"$work/known_hosts_alias"
cat >"$work/ssh_config_alias" <<EOF
Host lab1alias
    HostName $(address 1)
    HostKeyAlias lab1-key
    User root
    IdentityFile $work/id_test
Host lab1plain
    HostName $(address 1)
    User root
    IdentityFile $work/id_test
EOF
expect_exit 0 "a host whose key known_hosts holds under its HostKeyAlias" -- "$netdiag" scan -H lab1alias \
    --ssh-config "$work/ssh_config_alias" --known-hosts "$work/known_hosts_alias" --interval 0 --only conntrack-fill --json
expect_exit 3 "the same host without the alias is unknown there" -- "$netdiag" scan -H lab1plain \
    --ssh-config "$work/ssh_config_alias" --known-hosts "$work/known_hosts_alias" --interval 0 --only conntrack-fill --json
expect_contains "$(json_get /dev/stdin 'd["hosts"][0]["error"]' <<<"$out")" "is not in known_hosts (strict checking)" \
    "its key is not known under its address"

expect_exit 3 "a bastion that refuses the key" -- "$netdiag" scan -H lab7viafive --ssh-config "$work/ssh_config" \
    --known-hosts "$work/known_hosts" --connect-timeout 5 --interval 0 --json
hop_error=$(json_get /dev/stdin 'd["hosts"][0]["status"] + ": " + d["hosts"][0]["error"]' <<<"$out")
echo "  $hop_error"
expect_contains "$hop_error" "(ProxyJump hop: root@$(address 5): Permission denied" "the error gives the hop's own reason"
expect_equal "$(ls "${TMPDIR:-/tmp}" | grep -c '^netdiag-hop-')" "0" "and leaves no temporary file"

started=$SECONDS
expect_exit 3 "a mute host behind the bastion times out" -- "$netdiag" scan -H lab7mute --ssh-config "$work/ssh_config" \
    --known-hosts "$work/known_hosts" --connect-timeout 3 --interval 0 --json
expect_equal "$(( SECONDS - started < 20 ))" "1" "and the scan ends (the hop is stopped, not waited for)"

# Ctrl-C while a host's command hangs: the scan ends at once, not at the command timeout.
"$netdiag" scan -H lab1stuck --ssh-config "$work/ssh_config" --known-hosts "$work/known_hosts" \
    --command-timeout 60 --interval 0 --json >"$work/stuck.json" 2>/dev/null &
scan_pid=$!
sleep 3
kill -INT "$scan_pid"
started=$SECONDS
wait "$scan_pid"
expect_equal "$?" "130" "Ctrl-C during a hung command exits 130"
expect_equal "$(( SECONDS - started < 5 ))" "1" "without waiting for the command timeout"
expect_equal "$(json_get "$work/stuck.json" 'd["hosts"][0]["error"]')" "interrupted before it finished" \
    "the host is reported as interrupted"

expect_exit 3 "a host whose command hangs past --command-timeout" -- "$netdiag" scan -H lab1stuck \
    --ssh-config "$work/ssh_config" --known-hosts "$work/known_hosts" --command-timeout 2 --interval 0 --json
expect_equal "$(json_get /dev/stdin 'd["hosts"][0]["status"]' <<<"$out")" "timeout" "is reported as timeout"

# A host that streams without end: it ends as error once it passes --max-output, its partial data
# dropped, while the clean host in the same scan is scanned as ever.
started=$SECONDS
expect_exit 3 "a host streaming without end" -- "$netdiag" scan -H lab1flood,"$(address 1)" \
    --ssh-config "$work/ssh_config" --known-hosts "$work/known_hosts" --max-output 4 --interval 0 --json
expect_equal "$(json_get /dev/stdin '[h["status"] for h in d["hosts"] if h["host"]=="lab1flood"][0]' <<<"$out")" "error" \
    "is reported as error"
expect_contains "$(json_get /dev/stdin '[h["error"] for h in d["hosts"] if h["host"]=="lab1flood"][0]' <<<"$out")" \
    "sent more than 4194304 bytes (--max-output 4 MiB); its partial output was dropped" "saying why"
expect_equal "$(json_get /dev/stdin '[h["status"] for h in d["hosts"] if h["host"]!="lab1flood"][0]' <<<"$out")" "ok" \
    "and the other host is scanned"
expect_equal "$(( SECONDS - started < 20 ))" "1" "without waiting for the command timeout"

# accept-new adds an unknown host once; strict refuses it.
grep -v "^$(address 1) " "$work/known_hosts" >"$work/known_hosts.new"
expect_exit 3 "strict refuses a host missing from known_hosts" -- "$netdiag" scan -H "$(address 1)" -l root -i "$work/id_test" \
    --no-ssh-config --known-hosts "$work/known_hosts.new" --interval 0 --json
expect_contains "$out" "not in known_hosts" "the refusal says why"
for run in 1 2; do
    expect_exit 0 "accept-new scans a new host (run $run)" -- "$netdiag" scan -H "$(address 1)" -l root -i "$work/id_test" \
        --no-ssh-config --known-hosts "$work/known_hosts.new" --host-key-checking accept-new --interval 0 \
        --only conntrack-fill
done
expect_equal "$(grep -c "^$(address 1) " "$work/known_hosts.new")" "1" "accept-new added the host to known_hosts once"

# A key that a known_hosts line marks @revoked is refused under every policy, as OpenSSH does,
# whether or not a plain line lists it too; accept-new does not add it.
revoked_line="@revoked * $(cut -d' ' -f1-2 "$work/h1/host_key.pub")"
{ cat "$work/known_hosts"; echo "$revoked_line"; } >"$work/known_hosts.revoked"
{ grep -v "^$(address 1) " "$work/known_hosts"; echo "$revoked_line"; } >"$work/known_hosts.revoked-only"
revoked_at="$work/known_hosts.revoked:$(wc -l <"$work/known_hosts.revoked")"
# OpenSSH splits known_hosts fields on tabs as well as spaces.
{ cat "$work/known_hosts"; tr ' ' '\t' <<<"$revoked_line"; } >"$work/known_hosts.revoked-tabs"
for policy in strict accept-new off; do
    for file in known_hosts.revoked known_hosts.revoked-only known_hosts.revoked-tabs; do
        expect_exit 3 "a revoked host key is refused ($policy, $file)" -- "$netdiag" scan -H "$(address 1)" -l root \
            -i "$work/id_test" --no-ssh-config --known-hosts "$work/$file" --host-key-checking "$policy" \
            --interval 0 --json
        expect_contains "$out" '"status": "host_key_changed"' "as host_key_changed"
    done
done
expect_exit 3 "the revoked key's error" -- "$netdiag" scan -H "$(address 1)" -l root -i "$work/id_test" \
    --no-ssh-config --known-hosts "$work/known_hosts.revoked" --interval 0 --json
expect_contains "$out" "HOST KEY REVOKED" "says the key is revoked"
expect_contains "$out" "marks @revoked" "and names the line"
expect_contains "$out" "$revoked_at" "by file and number"
expect_equal "$(grep -c "^$(address 1) " "$work/known_hosts.revoked-only")" "0" "accept-new did not add a revoked key"

# A name whose first address drops SYNs (a firewall, a dead route) is reached at its next address,
# each tried within --connect-timeout, as OpenSSH does: libssh 0.10 alone would spend the whole
# timeout on the first and give up. All of it in a namespace of its own, with an /etc/hosts of its
# own bind-mounted in a private mount namespace (the real one is never touched).
fb=$lab-fb
ip netns add "$fb"
ip -n "$fb" link set lo up
# 127.0.0.9 as an address of its own: the source address for it is then itself, as 127.0.0.1's is,
# so RFC 6724's sort ties and getaddrinfo keeps the file's order. Its SYNs go unanswered.
ip -n "$fb" addr add 127.0.0.9/32 dev lo
ip netns exec "$fb" iptables -A INPUT -d 127.0.0.9 -j DROP
mkdir -p "$work/fb"
ssh-keygen -q -t ed25519 -N '' -f "$work/fb/host_key"
sed -e "s|^ListenAddress .*|ListenAddress 127.0.0.1|" -e "s|$work/h1/|$work/fb/|g" "$work/h1/sshd_config" \
    >"$work/fb/sshd_config"
ip netns exec "$fb" "$sshd" -f "$work/fb/sshd_config" -E "$work/fb/log"
printf '%s\n' "127.0.0.1 localhost" "127.0.0.9 fbhost" "127.0.0.1 fbhost" "127.0.0.9 fbdead" >"$work/fb/hosts"
for name in fbhost 127.0.0.1; do echo "$name $(cut -d' ' -f1-2 "$work/fb/host_key.pub")"; done >"$work/fb/known_hosts"
cat >"$work/fb/ssh_config" <<EOF
Host fbbind
    HostName 127.0.0.1
    BindAddress 127.0.0.2
Host fbinet6
    HostName fbhost
    AddressFamily inet6
Host fbok*
    HostName fbhost
Host fbkey*
    HostName fbhost
    HostKeyAlias fb-unknown-key
Host *
    User root
    IdentityFile $work/id_test
EOF
# A command prefix (expect_exit runs commands, not functions): in the namespace, with its /etc/hosts.
in_fb=(ip netns exec "$fb" unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$work/fb/hosts")
for _ in $(seq 50); do
    ip netns exec "$fb" timeout 1 bash -c "echo >/dev/tcp/127.0.0.1/22" 2>/dev/null && break
    sleep 0.1
done
fbhost_order=$("${in_fb[@]}" getent ahosts fbhost | awk '$2 == "STREAM" {print $1}' | paste -sd' ')
expect_equal "$fbhost_order" "127.0.0.9 127.0.0.1" "getaddrinfo gives fbhost's dropping address first, then the live one"
fb_common=(--ssh-config "$work/fb/ssh_config" --known-hosts "$work/fb/known_hosts" --interval 0 --only conntrack-fill
    --json)
fb_flags=("${fb_common[@]}" --connect-timeout 2)
started=$(date +%s%N)
expect_exit 0 "a name whose first address drops SYNs" -- "${in_fb[@]}" "$netdiag" scan -H fbhost "${fb_flags[@]}"
took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
expect_equal "$(json_get /dev/stdin 'd["hosts"][0]["status"]' <<<"$out")" "ok" "is scanned at its next address"
expect_equal "$(( took_ms >= 2000 && took_ms < 4000 ))" "1" \
    "after one connect timeout on the first address and well within two ($took_ms ms)"
expect_exit 3 "a name with only the dropping address" -- "${in_fb[@]}" "$netdiag" scan -H fbdead "${fb_flags[@]}"
expect_equal "$(json_get /dev/stdin 'd["hosts"][0]["status"]' <<<"$out")" "timeout" "times out"
expect_contains "$(json_get /dev/stdin 'd["hosts"][0]["error"]' <<<"$out")" "127.0.0.9 port 22: timed out after 2 s" \
    "naming the address and the timeout"
expect_exit 0 "ssh_config's BindAddress" -- "${in_fb[@]}" "$netdiag" scan -H fbbind "${fb_flags[@]}"
expect_contains "$(cat "$work/fb/log")" "Accepted publickey for root from 127.0.0.2 port" \
    "is the address the connection comes from"
expect_exit 3 "ssh_config's AddressFamily inet6, for a name with IPv4 addresses only" -- \
    "${in_fb[@]}" "$netdiag" scan -H fbinet6 "${fb_flags[@]}"
# fbhost has no IPv6 address in the namespace's /etc/hosts (and no DNS to ask).
expect_contains "$(json_get /dev/stdin 'd["hosts"][0]["status"] + ": " + d["hosts"][0]["error"]' <<<"$out")" \
    "unreachable: cannot connect: fbhost: cannot resolve: " "looks up IPv6 addresses only"
# A resolver that never answers (its queries swallowed) holds getaddrinfo for resolv.conf's
# timeout x attempts; the name gets --connect-timeout, as an address does, and Ctrl-C is seen.
printf 'nameserver 127.0.0.53\noptions timeout:5 attempts:2\n' >"$work/fb/resolv.conf"
ip netns exec "$fb" timeout 60 "$python" -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.53", 53)); time.sleep(60)' &
in_fb_dns=(ip netns exec "$fb" unshare -m sh -c \
    'mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' \
    "$work/fb/hosts" "$work/fb/resolv.conf")
sleep 0.3
started=$(date +%s%N)
expect_exit 3 "a name the resolver never answers for" -- \
    "${in_fb_dns[@]}" "$netdiag" scan -H fbnodns.example "${fb_flags[@]}"
took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
expect_contains "$(json_get /dev/stdin 'd["hosts"][0]["error"]' <<<"$out")" \
    "fbnodns.example: cannot resolve: no answer from the resolver within 2 s" "is given up on, saying why"
expect_equal "$(( took_ms < 4000 ))" "1" "within the connect timeout, not the resolver's 10 s ($took_ms ms)"
started=$(date +%s%N)
expect_exit 130 "Ctrl-C while the resolver is silent" -- \
    "${in_fb_dns[@]}" timeout --preserve-status -s INT 1 "$netdiag" scan -H fbnodns.example "${fb_common[@]}" --connect-timeout 10
took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
expect_equal "$(( took_ms < 3000 ))" "1" "stops the scan at once ($took_ms ms)"

# No descriptor left behind on any path (an attempt that timed out, a session ended after its scan
# or at a refused host key): 32 hosts, 4 at a time, in 32 descriptors, where one lost per host
# would not fit.
fanout_hosts=$(printf 'fbok%02d,' $(seq 28); printf 'fbkey%02d,' $(seq 4))
expect_exit 3 "32 hosts, each through the dropping address, within 32 descriptors" -- \
    "${in_fb[@]}" bash -c 'ulimit -n 32 && exec "$@"' fanout "$netdiag" scan -H "${fanout_hosts%,}" "${fb_common[@]}" \
    --connect-timeout 1 --forks 4
count_statuses='" ".join("%s=%d" % (s, sum(h["status"] == s for h in d["hosts"])) for s in ("ok", "error"))'
expect_equal "$(json_get /dev/stdin "$count_statuses" <<<"$out")" "ok=28 error=4" \
    "all are scanned, the four under an unknown HostKeyAlias refused"

finish fleet
