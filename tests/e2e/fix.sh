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
# The namespace (and "${lab}r", its veth: at most 15 characters) is named from
# NETDIAG_E2E_NETNS_PREFIX when set, so that parallel runs can tell theirs apart.
lab=${NETDIAG_E2E_NETNS_PREFIX:-ndf}$(($$ % 100000))
cleanup() {
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
             changes=[dict(c, before=c["after"], after="1\n") for c in applied["changes"]
                      if c["path"].startswith("/proc/")])
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

# A run killed half-way, deterministically: strace kills it as it makes its second rename (the
# journal's is the first), once the runtime values are written and the persistent file is not yet
# in place.
if command -v strace >/dev/null; then
    strace -f -o /dev/null -e inject=rename,renameat,renameat2:signal=KILL:when=2 \
        "$netdiag" fix --root "$sandbox" --interval 0 --apply --yes >/dev/null 2>&1
    expect_equal "$?" "137" "the run was killed (SIGKILL) at its second rename"
    expect_equal "$(cat "$sandbox/proc/sys/net/netfilter/nf_conntrack_max")" \
        "$(json_get "$work/plan.json" '[c["after"] for c in d["hosts"][0]["changes"] if c["path"].endswith("/nf_conntrack_max")][0]')" \
        "it had written the runtime value"
    expect_equal "$([ -e "$sandbox/etc/sysctl.d/60-netdiag-conntrack.conf" ] || echo absent)" "absent" \
        "and had not yet renamed the persistent file into place"
    expect_equal "$(json_get "$(ls "$sandbox"/var/lib/netdiag/journal/*.json | head -1)" 'd["state"]')" "started" \
        "the killed run left its journal"
    expect_exit 0 "undo completes a killed run" -- "$netdiag" undo --root "$sandbox"
    rm -rf "$sandbox/var"
    # The killed process could not remove its temporary; nothing else may differ.
    expect_equal "$(find "$sandbox/etc" -name '*.netdiag-*' | wc -l)" "1" "the killed run left one temporary"
    find "$sandbox/etc" -name '*.netdiag-*' -delete
    same_tree "$work/original" "$sandbox" "after undo the host is as before, byte for byte"
else
    echo "fix: SKIP the killed run: strace is not installed (scripts/install-deps.sh --test installs it)"
fi

# --- listen-backlog, tcp-mem and neigh-table on constructed trees ---
# The 6.1 capture with the old listen defaults and SYN cookies off: dry run, apply, read back, undo.
listen=$work/listen
cp -a "$tree61" "$listen"
mkdir -p "$listen/etc/sysctl.d"
echo 128 >"$listen/proc/sys/net/core/somaxconn"
echo 512 >"$listen/proc/sys/net/ipv4/tcp_max_syn_backlog"
echo 0 >"$listen/proc/sys/net/ipv4/tcp_syncookies"
cp -a "$listen" "$work/listen-original"
expect_exit 0 "listen-backlog --dry-run" -- "$netdiag" fix --root "$listen" --interval 0 --only listen-backlog --dry-run
expect_contains "$out" $'--- a/proc/sys/net/core/somaxconn\n+++ b/proc/sys/net/core/somaxconn\n@@ -1 +1 @@\n-128\n+4096' \
    "the diff raises somaxconn to 4096"
expect_contains "$out" $'-512\n+4096' "and tcp_max_syn_backlog"
expect_contains "$out" $'--- a/proc/sys/net/ipv4/tcp_syncookies\n+++ b/proc/sys/net/ipv4/tcp_syncookies\n@@ -1 +1 @@\n-0\n+1' \
    "and turns SYN cookies on"
expect_contains "$out" "+++ b/etc/sysctl.d/60-netdiag-listen-backlog.conf" "with the file that survives a reboot"
expect_contains "$out" "+net.ipv4.tcp_syncookies = 1" "which sets all three"
expect_not_contains "$out" "nf_conntrack" "--only leaves the other fixes out"
same_tree "$work/listen-original" "$listen" "a listen-backlog dry run changes nothing"
"$netdiag" fix --root "$listen" --interval 0 --only listen-backlog --json >"$work/listen-plan.json"
validate netdiag.plan.v1 "$work/listen-plan.json" "the listen-backlog plan matches netdiag.plan/v1"
expect_exit 0 "listen-backlog --apply" -- "$netdiag" fix --root "$listen" --interval 0 --only listen-backlog --apply --yes
expect_equal "$(cat "$listen/proc/sys/net/core/somaxconn" "$listen/proc/sys/net/ipv4/tcp_max_syn_backlog" \
    "$listen/proc/sys/net/ipv4/tcp_syncookies" | tr '\n' ' ')" "4096 4096 1 " "the values read back as planned"
expect_equal "$(grep -v '^#' "$listen/etc/sysctl.d/60-netdiag-listen-backlog.conf")" \
    "$(printf 'net.core.somaxconn = 4096\nnet.ipv4.tcp_max_syn_backlog = 4096\nnet.ipv4.tcp_syncookies = 1')" \
    "the sysctl.d file holds the three settings"
expect_exit 0 "a second listen-backlog run doubles again" -- \
    "$netdiag" fix --root "$listen" --interval 0 --only listen-backlog --dry-run
expect_contains "$out" $'-4096\n+8192' "from the applied values"
expect_exit 0 "undo listen-backlog" -- "$netdiag" undo --root "$listen"
rm -rf "$listen/var"
same_tree "$work/listen-original" "$listen" "undo restores SYN cookies off and the old queues, byte for byte"

# A planted plan may not set another sysctl, nor a value that is not a number, through the new files.
planted_listen() {  # planted_listen FILE AFTER
    "$python" - "$@" <<'EOF'
import json, sys
json.dump({"schema": "netdiag.plan/v1", "generated_at_unix_ms": 0, "hosts": [
    {"host": "localhost", "status": "ok", "error": None, "notes": [], "changes": [
        {"path": "/etc/sysctl.d/60-netdiag-listen-backlog.conf", "before": None, "after": sys.argv[2],
         "reason": "", "fix": "listen-backlog"}]}]}, open(sys.argv[1], "w"))
EOF
}
planted_listen "$work/planted-key.json" $'net.core.somaxconn = 4096\nkernel.core_pattern = |/tmp/x %p\n'
expect_exit 65 "a plan setting another sysctl in the listen-backlog file is refused" -- \
    "$netdiag" fix --root "$listen" --plan "$work/planted-key.json" --apply --yes
expect_contains "$err" "kernel.core_pattern" "the refusal names the key"
planted_listen "$work/planted-value.json" $'net.core.somaxconn = 4096; reboot\n'
expect_exit 65 "and one giving it a value that is not a number" -- \
    "$netdiag" fix --root "$listen" --plan "$work/planted-value.json" --apply --yes
same_tree "$work/listen-original" "$listen" "refused plans change nothing"

# tcp-mem and neigh-table: a 16 GiB host (4 KiB pages) with the kernel's boot tcp_mem, the default
# neighbour thresholds and 3000 ARP entries.
sized=$work/sized
cp -a "$tree61" "$sized"
mkdir -p "$sized/etc/sysctl.d" "$sized/proc/self" "$sized/proc/sys/net/ipv4/neigh/default" \
    "$sized/proc/sys/net/ipv6/neigh/default" "$sized/proc/net/stat"
printf 'MemTotal:       16777216 kB\nMemFree:         8388608 kB\n' >"$sized/proc/meminfo"
"$python" -c 'import struct, sys; sys.stdout.buffer.write(struct.pack("<6Q", 6, 4096, 17, 100, 0, 0))' \
    >"$sized/proc/self/auxv"
printf '196608\t262144\t393216\n' >"$sized/proc/sys/net/ipv4/tcp_mem"
for family in ipv4 ipv6; do
    printf '128\n' >"$sized/proc/sys/net/$family/neigh/default/gc_thresh1"
    printf '512\n' >"$sized/proc/sys/net/$family/neigh/default/gc_thresh2"
    printf '1024\n' >"$sized/proc/sys/net/$family/neigh/default/gc_thresh3"
done
printf '%s\n' 'entries  allocs  destroys  hash_grows  lookups  hits  res_failed  rcv_probes_mcast  rcv_probes_ucast  periodic_gc_runs  forced_gc_runs  unresolved_discards  table_fulls' \
    '00000bb8  00000010 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000005 00000000 00000002' \
    >"$sized/proc/net/stat/arp_cache"
cp -a "$sized" "$work/sized-original"
expect_exit 0 "tcp-mem --dry-run" -- "$netdiag" fix --root "$sized" --interval 0 --only tcp-mem
expect_contains "$out" $'--- a/proc/sys/net/ipv4/tcp_mem\n+++ b/proc/sys/net/ipv4/tcp_mem\n@@ -1 +1 @@\n-196608\t262144\t393216\n+393216 524288 786432' \
    "twice the kernel's tcp_init_mem rule for 16 GiB"
expect_contains "$out" "+net.ipv4.tcp_mem = 393216 524288 786432" "persisted in 60-netdiag-tcp-mem.conf"
expect_exit 0 "neigh-table --dry-run" -- "$netdiag" fix --root "$sized" --interval 0 --only neigh-table
expect_contains "$out" $'--- a/proc/sys/net/ipv4/neigh/default/gc_thresh3\n+++ b/proc/sys/net/ipv4/neigh/default/gc_thresh3\n@@ -1 +1 @@\n-1024\n+16384' \
    "IPv4 sized for 3000 entries (4x, a power of two)"
expect_contains "$out" $'-1024\n+2048' "IPv6, its entries not known, doubled"
expect_contains "$out" "+net.ipv6.neigh.default.gc_thresh1 = 256" "both families persisted"
same_tree "$work/sized-original" "$sized" "tcp-mem and neigh-table dry runs change nothing"
"$netdiag" fix --root "$sized" --interval 0 --only tcp-mem,neigh-table --json >"$work/sized-plan.json"
validate netdiag.plan.v1 "$work/sized-plan.json" "their plan matches netdiag.plan/v1"
expect_exit 0 "tcp-mem and neigh-table --apply on the tree" -- \
    "$netdiag" fix --root "$sized" --interval 0 --only tcp-mem,neigh-table --apply --yes
expect_equal "$(cat "$sized/proc/sys/net/ipv4/tcp_mem")" "393216 524288 786432" "tcp_mem reads back"
expect_equal "$(cat "$sized/proc/sys/net/ipv4/neigh/default/gc_thresh1")" "2048" "gc_thresh1 reads back"
expect_exit 0 "and undone" -- "$netdiag" undo --root "$sized"
rm -rf "$sized/var"
same_tree "$work/sized-original" "$sized" "undo restores tcp_mem and the thresholds byte for byte"

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
# The logins that are not root speak German: nothing may depend on sudo's English.
Match User ndnopw,ndsudo,ndfish
    SetEnv LANG=de_DE.UTF-8 LANGUAGE=de
EOF
# Logins that are not root, seen only inside sshd's mount namespace (copies of passwd, group,
# shadow and sudoers bound over the host's): ndnopw may not sudo without a password, ndsudo and
# ndfish (whose login shell is fish, with umask 000 in its config, kept by sudo) may.
chmod 755 "$work" && chmod 644 "$work/id_test.pub"
cp /etc/passwd /etc/group /etc/shadow "$work/"
fish=$(command -v fish)
for user in ndnopw:4241:/bin/sh ndsudo:4242:/bin/sh ${fish:+ndfish:4243:$fish}; do
    IFS=: read -r name id shell <<<"$user"
    home=/tmp
    [ "$name" = ndfish ] && home=$work/fishhome
    echo "$name:x:$id:$id:netdiag test:$home:$shell" >>"$work/passwd"
    echo "$name:x:$id:" >>"$work/group"
    echo "$name:*:19000:0:99999:7:::" >>"$work/shadow"
done
mkdir -p "$work/fishhome/.config/fish"
echo 'umask 000' >"$work/fishhome/.config/fish/config.fish"
chown -R 4243:4243 "$work/fishhome"
printf '%s\n' 'root ALL=(ALL:ALL) ALL' 'ndnopw ALL=(ALL:ALL) ALL' 'ndsudo ALL=(root) NOPASSWD: ALL' \
    'ndfish ALL=(root) NOPASSWD: ALL' 'Defaults:ndfish umask=0777' >"$work/sudoers"
chmod 440 "$work/sudoers"
# German for sudo (setuid, so LOCPATH is ignored): a locale archive bound over /usr/lib/locale.
mkdir -p "$work/locale"
cp -a /usr/lib/locale/. "$work/locale/" 2>/dev/null
if ! localedef -i de_DE -f UTF-8 "$work/locale/de_DE.utf8" >/dev/null 2>&1; then
    echo "fix: NOTE no de_DE locale (the locales package): sudo will speak English"
fi
# The host's /etc and /var/lib stay untouched: sshd (and so netdiag's writes) sees tmpfs there.
ip netns exec "$lab" unshare -m --propagation private sh -c "
    for d in /etc/sysctl.d /etc/modules-load.d /var/lib; do mount -t tmpfs tmpfs \$d; done
    for f in passwd group shadow sudoers; do [ -e /etc/\$f ] && mount --bind $work/\$f /etc/\$f; done
    mount --bind $work/locale /usr/lib/locale
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
    expect_contains "$err" "sudo needs a password or does not allow this user; netdiag writes as root or with passwordless sudo (sudo -n)" \
        "the failure says sudo wants a password, whatever language sudo speaks"
    expect_equal "$(range)" "$original_range" "and nothing changed"
    # ansible_become=false in the inventory: that login writes without sudo, so not at all.
    printf '10.233.1.2 ansible_user=ndsudo ansible_become=false\n' >"$work/no_become"
    expect_exit 2 "fix --apply where the inventory says ansible_become=false" -- \
        "$netdiag" fix "$work/no_become" -i "$work/id_test" --no-ssh-config --known-hosts "$work/known_hosts" \
        --interval 0 --only port-range --apply --yes
    expect_contains "$err" "the login is not root and the inventory sets ansible_become to false; netdiag writes as root" \
        "the failure names the inventory's ansible_become"
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
# A directory netdiag makes for its file goes with the file on undo; /etc stays.
nodir=$work/nodir
cp -a "$work/original" "$nodir"
rm -rf "$nodir/etc/sysctl.d"
expect_exit 0 "apply where /etc/sysctl.d does not exist yet" -- \
    "$netdiag" fix --root "$nodir" --interval 0 --only conntrack-max --apply --yes
expect_equal "$(ls "$nodir/etc/sysctl.d")" "60-netdiag-conntrack.conf" "it made the directory for its file"
expect_exit 0 "undo there" -- "$netdiag" undo --root "$nodir"
expect_contains "$out$err" "/etc/sysctl.d: removed the directory netdiag made" "undo says it removed the directory"
rm -rf "$nodir/var"
cp -a "$work/original" "$work/original-nodir"
rm -rf "$work/original-nodir/etc/sysctl.d"
same_tree "$work/original-nodir" "$nodir" "after undo the tree is as before, without the directory"

# listen-backlog in the namespace: somaxconn, tcp_max_syn_backlog and tcp_syncookies are its own.
queues() {
    ip netns exec "$lab" cat /proc/sys/net/core/somaxconn /proc/sys/net/ipv4/tcp_max_syn_backlog \
        /proc/sys/net/ipv4/tcp_syncookies | tr '\n' ' '
}
ip netns exec "$lab" sysctl -qw net.core.somaxconn=1000 net.ipv4.tcp_max_syn_backlog=256 net.ipv4.tcp_syncookies=0
original_queues=$(queues)
expect_equal "$original_queues" "1000 256 0 " "the namespace starts with small queues and SYN cookies off"
expect_exit 0 "listen-backlog --dry-run over SSH" -- "$netdiag" fix "${ssh_flags[@]}" --interval 0 --only listen-backlog
expect_contains "$out" $'-1000\n+4096' "the remote plan raises somaxconn"
expect_equal "$(queues)" "$original_queues" "a remote dry run changes nothing"
expect_exit 0 "listen-backlog --apply over SSH" -- \
    "$netdiag" fix "${ssh_flags[@]}" --interval 0 --only listen-backlog --apply --yes
expect_equal "$(queues)" "4096 4096 1 " "the namespace's queues and SYN cookies read back as planned"
expect_contains "$(in_sshd cat /etc/sysctl.d/60-netdiag-listen-backlog.conf)" "net.ipv4.tcp_syncookies = 1" \
    "the sysctl.d file was written (on sshd's tmpfs /etc/sysctl.d)"
expect_exit 0 "undo listen-backlog over SSH" -- "$netdiag" undo "${ssh_flags[@]}"
expect_equal "$(queues)" "$original_queues" "undo over SSH restores them"
expect_equal "$(in_sshd ls /etc/sysctl.d)" "" "and removes the file"

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
# Journals are private; the directories above them are not.
expect_equal "$(in_sshd stat -c '%a %U' /var/lib/netdiag /var/lib/netdiag/journal | tr '\n' ' ')" \
    "755 root 700 root " "the journal directory was made 0700 (its parent 0755)"
expect_equal "$(in_sshd find /var/lib/netdiag/journal -type f ! -perm 0600 | wc -l)" "0" "every journal is 0600"

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

# Planted files in the target directory (root may be fooled by whoever can write there).
small_plan() {  # small_plan FILE BEFORE_JSON AFTER [PATH]: one change of PATH (60-netdiag-ports.conf)
    "$python" - "$@" <<'PY'
import json, sys
path = sys.argv[4] if len(sys.argv) > 4 else "/etc/sysctl.d/60-netdiag-ports.conf"
json.dump({"schema": "netdiag.plan/v1", "generated_at_unix_ms": 0, "hosts": [
    {"host": "10.233.1.2", "status": "ok", "error": None, "notes": [], "changes": [
        {"path": path, "before": json.loads(sys.argv[2]), "after": sys.argv[3],
         "reason": "test", "fix": "port-range"}]}]}, open(sys.argv[1], "w"))
PY
}
in_sshd rm -f /var/lib/netdiag/journal/*.json
# The victim holds what a netdiag file could (so the plan passes its content check): the transport refuses.
in_sshd sh -c 'echo net.ipv4.ip_local_port_range = 32768 60999 >/var/lib/victim && ln -s /var/lib/victim /etc/sysctl.d/60-netdiag-ports.conf'
small_plan "$work/link-plan.json" '"net.ipv4.ip_local_port_range = 32768 60999\n"' $'net.ipv4.ip_local_port_range = 40000 40999\n'
expect_exit 2 "a symlink planted at the target file is not written through or replaced" -- \
    "$netdiag" fix "${ssh_flags[@]}" --plan "$work/link-plan.json" --apply --yes
expect_contains "$err" "is a symbolic link" "the refusal says why"
expect_equal "$(in_sshd cat /var/lib/victim)" "net.ipv4.ip_local_port_range = 32768 60999" "the symlink's target is untouched"
expect_equal "$(in_sshd readlink /etc/sysctl.d/60-netdiag-ports.conf)" "/var/lib/victim" "the symlink is still there"
expect_equal "$(in_sshd ls /etc/sysctl.d)" "60-netdiag-ports.conf" "no temporary was left behind"
in_sshd rm -f /etc/sysctl.d/60-netdiag-ports.conf /var/lib/netdiag/journal/*.json

# The old fixed temporary name, planted as a symlink to a victim: no longer used.
in_sshd ln -s /var/lib/victim /etc/sysctl.d/60-netdiag-ports.conf.netdiag-tmp
small_plan "$work/tmp-plan.json" null $'net.ipv4.ip_local_port_range = 40000 40999\n'
expect_exit 0 "a file planted at the old temporary name does not matter" -- \
    "$netdiag" fix "${ssh_flags[@]}" --plan "$work/tmp-plan.json" --apply --yes
expect_equal "$(in_sshd stat -c '%F %a %U' /etc/sysctl.d/60-netdiag-ports.conf)" "regular file 644 root" \
    "the file is a regular file, 0644, root's"
expect_equal "$(in_sshd cat /var/lib/victim)" "net.ipv4.ip_local_port_range = 32768 60999" \
    "the planted symlink's target is untouched"
expect_exit 0 "and undone" -- "$netdiag" undo "${ssh_flags[@]}"
expect_equal "$(in_sshd ls /etc/sysctl.d)" "60-netdiag-ports.conf.netdiag-tmp" "only the plant is left"
in_sshd rm -f /etc/sysctl.d/60-netdiag-ports.conf.netdiag-tmp

# A plan that removes a kernel file is refused before anything is sent (each transport refuses it too).
"$python" - "$work/remove-plan.json" "$(range)" <<'PY'
import json, sys
json.dump({"schema": "netdiag.plan/v1", "generated_at_unix_ms": 0, "hosts": [
    {"host": "10.233.1.2", "status": "ok", "error": None, "notes": [], "changes": [
        {"path": "/proc/sys/net/ipv4/ip_local_port_range", "before": sys.argv[2] + "\n", "after": "",
         "reason": "test", "fix": "port-range", "remove": True}]}]}, open(sys.argv[1], "w"))
PY
range_before=$(range)
expect_exit 65 "a plan removing /proc/... over SSH is refused" -- \
    "$netdiag" fix "${ssh_flags[@]}" --plan "$work/remove-plan.json" --apply --yes
expect_contains "$err" "netdiag removes only the files it creates" "the refusal says why"
expect_equal "$(range)" "$range_before" "the port range is as it was"

# fish as the login shell (it reads \' inside single quotes its own way), under umask 000 that sudo
# keeps: fix and undo, with content holding quotes, and the journal still private.
if [ -n "$fish" ] && [ -x /usr/bin/sudo ]; then
    in_sshd rm -rf /var/lib/netdiag
    fish_flags=(-H 10.233.1.2 -l ndfish -i "$work/id_test" --no-ssh-config --known-hosts "$work/known_hosts")
    small_plan "$work/fish-plan.json" null "# it's netdiag's \"\$(touch $work/INJECTED)\" \`touch $work/INJECTED\` \\' \$HOME
net.core.netdev_max_backlog = 1000
" /etc/sysctl.d/60-netdiag-softnet-backlog.conf
    expect_exit 0 "fix --apply as a fish user" -- \
        "$netdiag" fix "${fish_flags[@]}" --interval 0 --only port-range --apply --yes
    expect_equal "$([ "$(range)" != "$range_before" ] && echo changed)" "changed" "the port range changed"
    expect_exit 0 "a file whose content holds quotes, as a fish user" -- \
        "$netdiag" fix "${fish_flags[@]}" --plan "$work/fish-plan.json" --apply --yes
    expect_equal "$(in_sshd cat /etc/sysctl.d/60-netdiag-softnet-backlog.conf)" \
        "$(json_get "$work/fish-plan.json" 'd["hosts"][0]["changes"][0]["after"]' | head -c -1)" "it arrived byte for byte"
    expect_equal "$(in_sshd stat -c '%a %U' /var/lib/netdiag /var/lib/netdiag/journal /etc/sysctl.d/60-netdiag-softnet-backlog.conf | tr '\n' ' ')" \
        "755 root 700 root 644 root " "modes as wanted under the login's umask 000"
    expect_equal "$(in_sshd find /var/lib/netdiag/journal -type f ! -perm 0600 | wc -l)" "0" "every journal is 0600"
    # A path holding a quote goes into the script itself: an interface may be named q'x.
    ip -n "$lab" link add "q'x" type veth peer name qy
    rps="/sys/class/net/q'x/queues/rx-0/rps_cpus"
    rps_before=$(ip netns exec "$lab" cat "$rps")
    small_plan "$work/rps-plan.json" "$("$python" -c 'import json, sys; print(json.dumps(sys.argv[1] + "\n"))' "$rps_before")" \
        $'1\n' "$rps"
    expect_exit 0 "a kernel file whose path holds a quote, as a fish user" -- \
        "$netdiag" fix "${fish_flags[@]}" --plan "$work/rps-plan.json" --apply --yes
    expect_equal "$(ip netns exec "$lab" cat "$rps" | sed 's/^[0,]*//')" "1" "it was written"
    expect_exit 0 "undo as the fish user" -- "$netdiag" undo "${fish_flags[@]}"
    expect_equal "$(ip netns exec "$lab" cat "$rps")" "$rps_before" "undo restored it"
    expect_exit 0 "and undo again" -- "$netdiag" undo "${fish_flags[@]}"
    expect_exit 0 "and again" -- "$netdiag" undo "${fish_flags[@]}"
    expect_equal "$(range)" "$range_before" "undo restored the port range"
    expect_equal "$(in_sshd ls /etc/sysctl.d)" "" "and removed the file"
    expect_equal "$(ls "$work/INJECTED" 2>/dev/null)" "" "no quote broke out"
else
    echo "fix: SKIP the fish login: fish or sudo is not installed (scripts/install-deps.sh --test installs them)"
fi
finish fix
