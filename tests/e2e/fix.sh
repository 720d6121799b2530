#!/usr/bin/env bash
# netdiag fix and undo end to end: on a sandbox root (a copy of a captured host's /proc/sys,
# /proc/irq and /etc) and, as root, on the namespace-writable sysctls of a real network namespace
# reached over SSH. Dry runs change nothing byte for byte; apply changes exactly what the diff
# showed; drift stops a host; undo restores byte for byte, also after a killed run.
set -u
netdiag=${1:?usage: fix.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"
python=/usr/bin/python3
tree61=$here/../fixtures/linux-6.1-vmxnet3-virtio-4cpu
work=$(mktemp -d)
lab=ndf$$
cleanup() {
    [ -n "${fix_pid:-}" ] && kill -9 "$fix_pid" 2>/dev/null
    [ -f "$work/sshd.pid" ] && kill "$(cat "$work/sshd.pid")" 2>/dev/null
    ip netns pids "$lab" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "$lab" 2>/dev/null
    ip link del "${lab}r" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

same_tree() {  # same_tree A B DESCRIPTION: byte for byte, symlinks included
    local differences
    differences=$(diff -r --no-dereference "$1" "$2" 2>&1)
    if [ -z "$differences" ]; then pass "$3"; else fail "$3: ${differences:0:1500}"; fi
}

# --- a sandbox root: the 6.1 capture with a conntrack table at 96 % ---
sandbox=$work/sandbox
cp -a "$tree61" "$sandbox"
mkdir -p "$sandbox/etc/sysctl.d" "$sandbox/etc/modules-load.d"
echo 5900 >"$sandbox/proc/sys/net/netfilter/nf_conntrack_count"
cp -a "$sandbox" "$work/original"

expect_exit 0 "fix --dry-run on a sandbox shows the plan" -- "$netdiag" fix --root "$sandbox" --interval 0 --dry-run
expect_contains "$out" "--- a/proc/sys/net/netfilter/nf_conntrack_max" "the diff names the runtime file"
expect_contains "$out" "-6144" "the diff shows the value before"
expect_contains "$out" "+++ b/etc/sysctl.d/60-netdiag-conntrack.conf" "the diff includes the file that survives a reboot"
expect_contains "$out" "+++ b/etc/modules-load.d/netdiag-conntrack.conf" "and the module that must load first"
same_tree "$work/original" "$sandbox" "a dry run changes nothing"
expect_exit 0 "fix with neither flag is a dry run" -- "$netdiag" fix --root "$sandbox" --interval 0
same_tree "$work/original" "$sandbox" "still nothing changed"

cp -a "$tree61" "$work/calm"
expect_exit 0 "a host with nothing to fix" -- "$netdiag" fix --root "$work/calm" --interval 0
expect_contains "$out" "nothing to fix" "says so"
expect_exit 64 "an unknown fix id is misuse" -- "$netdiag" fix --root "$work/calm" --interval 0 --only conntrack-fill
expect_contains "$err" 'unknown fix "conntrack-fill"' "and names it"

"$netdiag" fix --root "$sandbox" --interval 0 --json >"$work/plan.json"
validate netdiag.plan.v1 "$work/plan.json" "the plan matches netdiag.plan/v1"

expect_exit 64 "apply without a terminal and without --yes refuses" -- "$netdiag" fix --root "$sandbox" --interval 0 --apply </dev/null
expect_contains "$err" "pass --yes" "the refusal says how"
same_tree "$work/original" "$sandbox" "a refused apply changes nothing"

expect_exit 0 "fix --apply --yes" -- "$netdiag" fix --root "$sandbox" --interval 0 --apply --yes
# Exactly what the diff showed: every planned path holds its "after", nothing else changed but the journal.
"$python" - "$work/plan.json" "$sandbox" "$work/original" <<'PY' >"$work/apply-check.txt"
import json, os, sys, filecmp
plan, sandbox, original = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
changes = plan["hosts"][0]["changes"]
planned = {c["path"].lstrip("/") for c in changes}
for c in changes:
    got = open(os.path.join(sandbox, c["path"].lstrip("/"))).read()
    print("after" if got == c["after"] else f"WRONG {c['path']}: {got!r} != {c['after']!r}")
for root, dirs, files in os.walk(sandbox):
    for name in files:
        rel = os.path.relpath(os.path.join(root, name), sandbox)
        if rel in planned or rel.startswith("var/lib/netdiag/journal/"):
            continue
        if not os.path.exists(os.path.join(original, rel)) or not filecmp.cmp(os.path.join(sandbox, rel), os.path.join(original, rel), shallow=False):
            print(f"UNPLANNED {rel}")
PY
expect_equal "$(sort -u "$work/apply-check.txt")" "after" "apply changed exactly what the plan showed"
expect_equal "$(ls "$sandbox/var/lib/netdiag/journal" | wc -l)" "1" "apply left one journal on the host"

# A later run killed before its first write left a "started" journal with nothing to undo: undo
# looks past it to the fix that was applied.
"$python" - "$sandbox/var/lib/netdiag/journal" <<'PY'
import glob, json, os, sys
applied = json.load(open(glob.glob(os.path.join(sys.argv[1], "*.json"))[0]))
stale = dict(applied, id="99991231T000000.000Z-stale", state="started",
             changes=[dict(c, before=c["after"], after="1\n") for c in applied["changes"]])
json.dump(stale, open(os.path.join(sys.argv[1], stale["id"] + ".json"), "w"))
PY
expect_exit 0 "undo --dry-run shows what it would restore" -- "$netdiag" undo --root "$sandbox" --dry-run
expect_contains "$out" "+6144" "the undo diff restores the old value"
cp -a "$sandbox" "$work/applied"
same_tree "$work/applied" "$sandbox" "undo --dry-run changes nothing"
expect_exit 0 "undo" -- "$netdiag" undo --root "$sandbox"
expect_contains "$err" "sandbox: undone (journal 2" "the applied fix was undone"
expect_not_contains "$err" "stale" "past the stale journal"
rm -rf "$sandbox/var"
same_tree "$work/original" "$sandbox" "undo restores every file byte for byte"

# Drift: a reviewed plan applied after the host changed behind netdiag's back.
mkdir -p "$sandbox/var"
echo 99999 >"$sandbox/proc/sys/net/netfilter/nf_conntrack_buckets"
cp -a "$sandbox" "$work/drifted"
expect_exit 2 "a saved plan applied after a value changed" -- \
    "$netdiag" fix --root "$sandbox" --plan "$work/plan.json" --apply --yes
expect_contains "$err" "changed since the plan" "the host is stopped and says why"
rm -rf "$sandbox/var/lib"
same_tree "$work/drifted" "$sandbox" "a drifted host is left untouched"
cp "$work/original/proc/sys/net/netfilter/nf_conntrack_buckets" "$sandbox/proc/sys/net/netfilter/nf_conntrack_buckets"

# A run killed half-way: the persistent file's temporary is a FIFO, so the write blocks there
# after the runtime values were written; the process is killed with SIGKILL.
mkfifo "$sandbox/etc/sysctl.d/60-netdiag-conntrack.conf.netdiag-tmp"
"$netdiag" fix --root "$sandbox" --interval 0 --apply --yes >/dev/null 2>&1 &
fix_pid=$!
for _ in $(seq 100); do
    [ "$(cat "$sandbox/proc/sys/net/netfilter/nf_conntrack_max")" != 6144 ] && break
    sleep 0.05
done
sleep 0.2
kill -9 "$fix_pid"
wait "$fix_pid" 2>/dev/null
fix_pid=
rm -f "$sandbox/etc/sysctl.d/60-netdiag-conntrack.conf.netdiag-tmp"
expect_equal "$(json_get "$(ls "$sandbox"/var/lib/netdiag/journal/*.json | head -1)" 'd["state"]')" "started" \
    "the killed run left its journal"
expect_exit 0 "undo completes a killed run" -- "$netdiag" undo --root "$sandbox"
rm -rf "$sandbox/var"
same_tree "$work/original" "$sandbox" "after undo the host is as before, byte for byte"

# --- a real network namespace over SSH (root) ---
if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ]; then
    echo "fix: SKIP the SSH part needs root and openssh-server"
    finish fix
    exit
fi
ssh-keygen -q -t ed25519 -N '' -f "$work/id_test"
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ip netns add "$lab"
ip link add "${lab}r" type veth peer name eth0 netns "$lab"
ip addr add 10.233.1.1/24 dev "${lab}r"
ip link set "${lab}r" up
ip -n "$lab" addr add 10.233.1.2/24 dev eth0
ip -n "$lab" link set eth0 up
ip -n "$lab" link set lo up
mkdir -p /run/sshd
# Three addresses of the one namespace stand for three hosts in the rollout tests.
ip -n "$lab" addr add 10.233.1.3/24 dev eth0
ip -n "$lab" addr add 10.233.1.4/24 dev eth0
cat >"$work/sshd_config" <<EOF
ListenAddress 0.0.0.0
HostKey $work/host_key
AuthorizedKeysFile $work/id_test.pub
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PidFile $work/sshd.pid
EOF
# Two logins that are not root, seen only inside sshd's mount namespace (copies of passwd, group,
# shadow and sudoers bound over the host's): ndnopw may not sudo without a password, ndsudo may.
chmod 755 "$work" && chmod 644 "$work/id_test.pub"
cp /etc/passwd /etc/group /etc/shadow "$work/"
for user in ndnopw:4241 ndsudo:4242; do
    echo "${user%:*}:x:${user#*:}:${user#*:}:netdiag test:/tmp:/bin/sh" >>"$work/passwd"
    echo "${user%:*}:x:${user#*:}:" >>"$work/group"
    echo "${user%:*}:*:19000:0:99999:7:::" >>"$work/shadow"
done
printf 'root ALL=(ALL:ALL) ALL\nndnopw ALL=(ALL:ALL) ALL\nndsudo ALL=(root) NOPASSWD: ALL\n' >"$work/sudoers"
chmod 440 "$work/sudoers"
# The host's /etc and /var/lib stay untouched: sshd (and so netdiag's writes) sees tmpfs there.
ip netns exec "$lab" unshare -m --propagation private sh -c "
    for d in /etc/sysctl.d /etc/modules-load.d /var/lib; do mount -t tmpfs tmpfs \$d; done
    for f in passwd group shadow sudoers; do [ -e /etc/\$f ] && mount --bind $work/\$f /etc/\$f; done
    exec /usr/sbin/sshd -f $work/sshd_config -E $work/sshd.log"
for _ in $(seq 50); do timeout 1 bash -c 'echo >/dev/tcp/10.233.1.2/22' 2>/dev/null && break; sleep 0.1; done
for address in 10.233.1.2 10.233.1.3 10.233.1.4; do
    echo "$address $(cut -d' ' -f1-2 "$work/host_key.pub")" >>"$work/known_hosts"
done
ssh_flags=(-H 10.233.1.2 -l root -i "$work/id_test" --no-ssh-config --known-hosts "$work/known_hosts")
range() { ip netns exec "$lab" cat /proc/sys/net/ipv4/ip_local_port_range; }

# TIME_WAIT on a shrunken port range in the namespace: the port-range fix fires.
ip netns exec "$lab" sysctl -qw net.ipv4.ip_local_port_range="40000 40999"
original_range=$(range)
ip netns exec "$lab" timeout 60 "$python" - <<'PY'
import socket
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 7000)); server.listen(1024)
for _ in range(950):                      # bounded: the client closes first, so it holds TIME_WAIT
    client = socket.create_connection(("127.0.0.1", 7000))
    conn, _ = server.accept()
    client.close(); conn.close()
PY
expect_exit 0 "fix --dry-run over SSH" -- "$netdiag" fix "${ssh_flags[@]}" --interval 0 --only port-range
expect_contains "$out" "--- a/proc/sys/net/ipv4/ip_local_port_range" "the remote plan widens the port range"
expect_equal "$(range)" "$original_range" "a remote dry run changes nothing"
expect_exit 0 "fix --apply over SSH" -- "$netdiag" fix "${ssh_flags[@]}" --interval 0 --only port-range --apply --yes
expect_contains "$err" "applied" "the host reports applied"
applied_range=$(range)
expect_equal "$([ "$applied_range" != "$original_range" ] && echo changed)" "changed" "the namespace's port range changed"
expect_exit 0 "undo over SSH" -- "$netdiag" undo "${ssh_flags[@]}"
expect_equal "$(range)" "$original_range" "undo over SSH restores the port range"

# Not root: writes go through sudo -n, and a sudo that wants a password is a clear failure.
if [ -x /usr/bin/sudo ]; then
    user_flags=(-H 10.233.1.2 -i "$work/id_test" --no-ssh-config --known-hosts "$work/known_hosts")
    expect_exit 2 "fix --apply as a user whose sudo needs a password" -- \
        "$netdiag" fix "${user_flags[@]}" -l ndnopw --interval 0 --only port-range --apply --yes
    expect_contains "$err" "sudo needs a password" "the failure says sudo wants a password"
    expect_equal "$(range)" "$original_range" "and nothing changed"
    expect_exit 0 "fix --apply as a user with passwordless sudo" -- \
        "$netdiag" fix "${user_flags[@]}" -l ndsudo --interval 0 --only port-range --apply --yes
    expect_equal "$([ "$(range)" != "$original_range" ] && echo changed)" "changed" "sudo -n wrote the port range"
    expect_exit 0 "undo as that user" -- "$netdiag" undo "${user_flags[@]}" -l ndsudo
    expect_equal "$(range)" "$original_range" "undo through sudo restores the port range"
else
    echo "fix: SKIP the sudo part: sudo is not installed (scripts/install-deps.sh --test installs it)"
fi

# A file larger than one command-line argument may be (128 KiB) goes over SSH whole, and its
# journal too: content travels on stdin.
in_sshd() { nsenter -t "$(cat "$work/sshd.pid")" -m "$@"; }
"$python" - "$work/big-plan.json" <<'PY'
import json, sys
after = "".join(f"# line {i} of a large reviewed file\n" for i in range(6000)) + "net.ipv4.ip_local_port_range = 40000 40999\n"
json.dump({"schema": "netdiag.plan/v1", "generated_at_unix_ms": 0, "hosts": [
    {"host": "10.233.1.2", "status": "ok", "error": None, "notes": [], "changes": [
        {"path": "/etc/sysctl.d/60-netdiag-ports.conf", "before": None, "after": after, "reason": "size test",
         "fix": "port-range"}]}]}, open(sys.argv[1], "w"))
PY
expect_exit 0 "a 200 KB file applied over SSH" -- "$netdiag" fix "${ssh_flags[@]}" --plan "$work/big-plan.json" --apply --yes
expect_equal "$(in_sshd sha256sum /etc/sysctl.d/60-netdiag-ports.conf | cut -d' ' -f1)" \
    "$(json_get "$work/big-plan.json" 'd["hosts"][0]["changes"][0]["after"]' | head -c -1 | sha256sum | cut -d' ' -f1)" \
    "it arrived byte for byte"
expect_exit 0 "and undone" -- "$netdiag" undo "${ssh_flags[@]}"
expect_equal "$(in_sshd ls /etc/sysctl.d)" "" "undo removed it"

# A rollout: three hosts, one at a time, each of which drifted after the plan was saved.
three=(-H "10.233.1.[2-4]" -l root -i "$work/id_test" --no-ssh-config --known-hosts "$work/known_hosts")
"$netdiag" fix "${three[@]}" --interval 0 --only port-range --json >"$work/three.json"
expect_equal "$(json_get "$work/three.json" 'len([h for h in d["hosts"] if h["changes"]])')" "3" "a plan for each of three hosts"
ip netns exec "$lab" sysctl -qw net.ipv4.ip_local_port_range="40000 40997"
expect_exit 2 "--serial 1 --max-fail 1 stops after the first failed host" -- \
    "$netdiag" fix "${three[@]}" --plan "$work/three.json" --serial 1 --max-fail 1 --apply --yes
expect_equal "$(grep -c ': drifted' <<<"$err")" "1" "only one host was tried"
expect_contains "$err" "rollout stopped after 1 failed host(s) (--max-fail 1); 2 host(s) not started" "the stop is reported"
expect_exit 2 "--max-fail 2 lets a second host be tried" -- \
    "$netdiag" fix "${three[@]}" --plan "$work/three.json" --serial 1 --max-fail 2 --apply --yes
expect_equal "$(grep -c ': drifted' <<<"$err")" "2" "two hosts were tried"
expect_equal "$(range)" "$(printf '40000\t40997')" "drifted hosts were left as they were"
finish fix
