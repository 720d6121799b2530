#!/usr/bin/env bash
# Inventories against ansible-core itself: for each form (YAML, INI, a directory with group_vars
# and host_vars, an executable script with and without _meta, `ansible-inventory --list` JSON from a
# file and from stdin), the hosts `netdiag scan --list-hosts` selects, whole and under --limit
# patterns, are those `ansible PATTERN --list-hosts` lists, and each host's address, port and user
# are what ansible-inventory reports for it (as Ansible's ssh plugin reads them). Then the errors.
set -u
netdiag=${1:?usage: inventory_ansible.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"
if ! command -v ansible-inventory >/dev/null || ! command -v ansible >/dev/null; then
    echo "SKIP: ansible-core not installed (Debian package ansible-core; scripts/install-deps.sh --test)"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
inventories="$here/inventories"
# Ansible writes under ~/.ansible; keep it in the work directory, and quiet.
export HOME="$work" ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False ANSIBLE_NOCOLOR=1

# compare SOURCE LABEL PATTERN...: netdiag against ansible for SOURCE under each pattern (ansible
# reads $ansible_source instead when set).
compare() {
    local source=$1 label=$2
    local theirs=${ansible_source:-$1}
    shift 2
    ansible-inventory -i "$theirs" --list >"$work/ansible.json" 2>"$work/ansible.err" ||
        { fail "$label: ansible-inventory --list failed: $(head -3 "$work/ansible.err")"; return; }
    local pattern
    for pattern in "$@"; do
        local limit=()
        [ "$pattern" = all ] || limit=(--limit "$pattern")
        ansible "$pattern" -i "$theirs" --list-hosts >"$work/ansible.hosts" 2>/dev/null
        if ! "$netdiag" scan "$source" --list-hosts --json "${limit[@]}" >"$work/netdiag.json" 2>"$work/netdiag.err"; then
            fail "$label, $pattern: netdiag --list-hosts failed: $(head -3 "$work/netdiag.err")"
            continue
        fi
        /usr/bin/python3 - "$work/ansible.hosts" "$work/ansible.json" "$work/netdiag.json" <<'PY' >"$work/diff"
import json, sys
listed = [line.strip() for line in open(sys.argv[1]) if line.startswith("    ")]
hostvars = json.load(open(sys.argv[2]))["_meta"]["hostvars"]
ours = {h["name"]: h for h in json.load(open(sys.argv[3]))["hosts"]}
problems = []
if sorted(listed) != sorted(ours):
    problems.append(f"hosts: ansible {sorted(listed)}, netdiag {sorted(ours)}")
for name in sorted(set(listed) & set(ours)):
    v = hostvars.get(name, {})
    # Ansible's ssh plugin: the last of ansible_X, ansible_ssh_X that is set.
    want = {
        "address": v.get("ansible_ssh_host", v.get("ansible_host", name)),
        "port": v.get("ansible_ssh_port", v.get("ansible_port")),
        "user": v.get("ansible_ssh_user", v.get("ansible_user")),
    }
    got = {key: ours[name][key] for key in want}
    if want["port"] is not None:
        want["port"] = int(want["port"])
    if got != want:
        problems.append(f"{name}: ansible {want}, netdiag {got}")
if problems:
    print("\n".join(problems))
PY
        if [ -s "$work/diff" ]; then
            fail "$label, $pattern: netdiag and ansible differ"
            sed 's/^/  /' "$work/diff"
        else
            pass "$label, $pattern: $(grep -c '^    ' "$work/ansible.hosts") hosts, addresses, ports and users as ansible's"
        fi
    done
}

compare "$inventories/yaml/hosts.yml" "YAML" all web 'web:&canary' 'prod:!db1' 'web0*' bastion,db2
compare "$inventories/ini/hosts" "INI" all web 'prod:!web-*' 'storage:&web' ungrouped 'db*,jump'
compare "$inventories/dir" "directory with group_vars, host_vars" all web prod 'prod:!cache' 'cache:&web' db1
compare "$inventories/script/inventory.py" "script with _meta" all app 'prod:!lb1'
NO_META=1 compare "$inventories/script/inventory.py" "script without _meta (--host NAME)" all lb 'prod:!app2'

# ansible-inventory --list JSON, from a file and on stdin: what it says of the directory (which
# Ansible itself reads from the directory: its own --list output is not an inventory it can load).
ansible-inventory -i "$inventories/dir" --list >"$work/listed.json" 2>/dev/null
ansible_source="$inventories/dir" compare "$work/listed.json" "ansible-inventory --list JSON" all web 'prod:!cache'
expect_exit 0 "the same JSON on stdin" -- sh -c "'$netdiag' scan - --list-hosts --json <'$work/listed.json'"
printf '%s\n' "$out" >"$work/stdin.json"
expect_equal "$(json_get "$work/stdin.json" 'sorted((h["name"], h["address"], h["port"], h["user"]) for h in d["hosts"])')" \
    "$("$netdiag" scan "$work/listed.json" --list-hosts --json |
        /usr/bin/python3 -c 'import json,sys; print(sorted((h["name"], h["address"], h["port"], h["user"]) for h in json.load(sys.stdin)["hosts"]))')" \
    "stdin and the file give the same hosts"
validate netdiag.hosts.v1 "$work/stdin.json" "--list-hosts --json matches schemas/netdiag.hosts.v1.json"

# The table for people.
expect_exit 0 "--list-hosts prints a table" -- "$netdiag" scan "$inventories/ini/hosts" --list-hosts --limit db
expect_equal "$out" "HOST  ADDRESS     PORT  USER      CONNECTION
db1   db1         5522  postgres  ssh
db2   192.0.2.32  2200  deploy    ssh" "the table names each host's address, port, user and connection"

# ansible_connection=local: scanned here, without SSH; a connection netdiag has not ends that host
# as an error, and the others are scanned.
printf 'here ansible_connection=local\nwindows ansible_connection=winrm\n' >"$work/connections"
"$netdiag" scan "$work/connections" --interval 0 --json --no-progress >"$work/connections.json"
code=$?  # 3 for the failed host, or 2 should this machine have a critical finding of its own
if [ "$code" = 3 ] || [ "$code" = 2 ]; then pass "a failed host sets the exit code ($code)"; else fail "exit $code"; fi
expect_equal "$(json_get "$work/connections.json" '[(h["host"], h["status"]) for h in d["hosts"]]')" \
    "[('here', 'ok'), ('windows', 'error')]" "the local host is scanned, the WinRM one fails alone"
expect_contains "$(json_get "$work/connections.json" 'd["hosts"][1]["error"]')" \
    'ansible_connection "winrm": netdiag reaches hosts over SSH or locally' "the error says why"

# --- errors: a clear message naming the file or the script, exit 65 ---
mkdir -p "$work/bad"
printf '#!/bin/sh\necho "cannot reach the CMDB" >&2\nexit 3\n' >"$work/bad/fails.sh"
printf '#!/bin/sh\necho "usage: inventory [--list]"\n' >"$work/bad/prose.sh"
printf '#!/bin/sh\necho "{\\"web\\": [\\"a\\""\n' >"$work/bad/broken.sh"
chmod +x "$work"/bad/*.sh
expect_exit 65 "a failing script" -- "$netdiag" scan "$work/bad/fails.sh" --list-hosts
expect_contains "$err" "fails.sh --list: exited with status 3: cannot reach the CMDB" "the message has the script's own words"
expect_exit 65 "a script that prints prose" -- "$netdiag" scan "$work/bad/prose.sh" --list-hosts
expect_contains "$err" "prose.sh --list: did not print a JSON object" "the message says what was expected"
expect_exit 65 "a script that prints broken JSON" -- "$netdiag" scan "$work/bad/broken.sh" --list-hosts
expect_contains "$err" "broken.sh --list:" "the message names the script"
printf '[web]\nweb1 ansible_port=http\n' >"$work/bad/port.ini"
expect_exit 65 "a bad port in an INI inventory" -- "$netdiag" scan "$work/bad/port.ini" --list-hosts
expect_contains "$err" "port.ini:2:" "the message names the file and line"
mkdir -p "$work/vars/group_vars"
printf '[web]\nweb1\n' >"$work/vars/hosts"
printf 'ansible_port: [22\n' >"$work/vars/group_vars/web.yml"
expect_exit 65 "a broken group_vars file" -- "$netdiag" scan "$work/vars/hosts" --list-hosts
expect_contains "$err" "group_vars/web.yml:" "the message names the vars file"
expect_exit 65 "JSON on stdin that is not an object" -- sh -c "echo '[1, 2]' | '$netdiag' scan - --list-hosts"
expect_contains "$err" "-: not a JSON object" "stdin must carry ansible-inventory's JSON"

finish inventory_ansible
