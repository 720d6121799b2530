#!/usr/bin/env bash
# Shell completions (completions/): what a user sees on TAB in the real bash, zsh and fish, and a
# drift check that they offer exactly the subcommands and --flags the binary's --help lists.
# Usage: completions.sh NETDIAG_BINARY. A shell that is not installed is skipped; exit 77 if all are.
set -u
netdiag=${1:?usage: completions.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"
completions=$(cd "$here/../../completions" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash_completion_lib=/usr/share/bash-completion/bash_completion

shells=()
for shell in bash zsh fish; do
    if command -v "$shell" >/dev/null; then shells+=("$shell"); else echo "completions: SKIP $shell not installed"; fi
done
if [ ${#shells[@]} -eq 0 ]; then
    echo "completions: SKIP no shell installed"
    exit 77
fi

# A directory to complete paths in: a captured tree and a collect snapshot.
cwd=$work/cwd
mkdir -p "$cwd/tree/proc" "$cwd/tree/sys"
echo '{}' >"$cwd/snap.json"

# --- what the binary says it takes ---
subcommands=() top_flags=()
declare -A help_flags
if help=$(timeout 20 "$netdiag" --help 2>&1); then
    pass "netdiag --help runs"
else
    fail "netdiag --help: ${help:0:500}"
fi
# The flags a help text lists: the first long name on each option line (descriptions mention others).
listed_flags() { grep -oE -- '^ +(-[a-zA-Z0-9],)?--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
top_flags=($(listed_flags <<<"$help"))
subcommands=($(awk '/^Subcommands:/ {on = 1; next} on && NF == 0 {on = 0} on {print $1}' <<<"$help"))
expect_equal "${subcommands[*]:-}" "scan collect checks fix undo rules" "--help lists the subcommands"
for sub in "${subcommands[@]}"; do
    text=$(timeout 20 "$netdiag" "$sub" --help 2>&1)
    help_flags[$sub]=$(listed_flags <<<"$text" | tr '\n' ' ')
    expect_contains " ${help_flags[$sub]}" " --help " "$sub --help lists its flags"
done

# --- the harnesses: each prints "== LINE" and then the words TAB offers for LINE, one a line ---

run_bash() {  # run_bash with|without LINE...: with or without the bash-completion library
    local lib=$1
    shift
    (cd "$cwd" && timeout 20 bash --norc --noprofile -c '
        [ "$1" = with ] && source "$2"
        source "$3"
        shift 3
        for line in "$@"; do
            # Split the way readline does: at blanks, and "=" (in COMP_WORDBREAKS) is a word of its own.
            read -ra COMP_WORDS <<<"${line//=/ = }"
            [[ $line == *[[:blank:]] ]] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            COMP_LINE=$line COMP_POINT=${#line} COMPREPLY=()
            _netdiag netdiag "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
            printf "== %s\n" "$line"
            ((${#COMPREPLY[@]})) && printf "%s\n" "${COMPREPLY[@]}"
        done' _ "$lib" "$bash_completion_lib" "$completions/netdiag.bash" "$@")
}

run_fish() {
    (cd "$cwd" && timeout 20 fish --no-config -c '
        source $argv[1]
        for line in $argv[2..-1]
            printf "== %s\n" $line
            complete -C"$line" | string replace -r "\t.*" ""
        end' "$completions/netdiag.fish" "$@")
}

# zsh: an interactive zsh on a pty (zsh/zpty) with compinit and our _netdiag on $fpath; compadd is
# wrapped to record the matches compsys adds, and comppostfuncs marks the end of each completion.
cat >"$work/setup.zsh" <<'ZSH'
PROMPT='' RPROMPT='' PS2=''
fpath=("$NETDIAG_COMPLETIONS" $fpath)
autoload -Uz compinit && compinit -u -D
bindkey '^I' complete-word
zstyle ':completion:*' insert-tab false
unsetopt autolist listambiguous listbeep
LISTMAX=100000
compadd() {
    if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
        builtin compadd "$@"
        return $?
    fi
    local -a __hits
    builtin compadd -O __hits "$@"
    (( $#__hits )) && print -rl -- $__hits >>| $_capture_out
    builtin compadd "$@"  # and add them, so that compsys goes on as it would (no fallback tags)
}
_capture_done() { print -r -- '<<done>>' >>| $_capture_out }
print -r -- '<<ready>>' >| $_capture_out
ZSH
cat >"$work/driver.zsh" <<'ZSH'
zmodload zsh/zpty || { print -u2 "zsh harness: no zsh/zpty"; exit 2 }
setup=$1 out=$2
shift 2
wait_for() {  # wait_for FILE: until FILE holds a <<...>> marker; 5 s at most
    integer i
    for (( i = 0; i < 100; i++ )); do
        [[ -f $1 ]] && grep -q '^<<' $1 && return 0
        zpty -rt z junk 2>/dev/null
        sleep 0.05
    done
    return 1
}
zpty z zsh -f -i || exit 2
zpty -w z "_capture_out=${(q)out}/ready; source ${(q)setup}"
wait_for $out/ready || { print -u2 "zsh harness: setup did not finish"; zpty -d z; exit 2 }
integer n=0
for line in "$@"; do
    (( n++ ))
    zpty -w z "_capture_out=${(q)out}/$n; comppostfuncs=(_capture_done)"
    zpty -w -n z "$line"$'\t'
    wait_for $out/$n || print -u2 "zsh harness: no completion for: $line"
    zpty -w -n z $'\C-u'
    print -r -- "== $line"
    [[ -f $out/$n ]] && grep -v '^<<' $out/$n
done
zpty -d z
ZSH

run_zsh() {
    local out
    out=$(mktemp -d "$work/zsh.XXXX")
    (cd "$cwd" && NETDIAG_COMPLETIONS=$completions timeout 30 zsh -f "$work/driver.zsh" "$work/setup.zsh" "$out" "$@")
}

# offered OUTPUT LINE: the words offered for LINE, sorted, unique, on one line.
offered() {
    awk -v want="== $2" '$0 == want {on = 1; next} /^== / {on = 0} on' <<<"$1" | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# --- what a user sees on TAB ---
# One case a line: "LINE|equal|WORDS" (exactly these), "LINE|has|TEXT" (some word contains TEXT),
# "LINE|lacks|TEXT" (no word contains TEXT). Paths complete in a directory with tree/ and snap.json.
ids="bond-degraded carrier-flaps checksum-errors close-wait conntrack-drops conntrack-fill frag-memory icmp-errors ip-reassembly link-degraded link-down listen-overflows mtu-mismatch neigh-table nic-errors nic-saturation no-route packet-storm qdisc-drops rp-filter rx-drops softnet-backlog syn-queue tcp-aborts tcp-memory tcp-receive-drops tcp-resets tcp-retransmits time-wait time-wait-overflow tx-drops tx-timeouts udp-buffer-errors udp-memory"
cases=(
    "netdiag |equal|checks collect fix rules scan undo"
    "netdiag co|equal|collect"
    "netdiag scan --fo|equal|--forks --format"
    "netdiag scan --form|equal|--format"
    "netdiag scan --format |equal|json nagios prometheus table"
    "netdiag scan --format=n|has|nagios"
    "netdiag scan --color |equal|always auto never"
    "netdiag scan --host-key-checking |equal|accept-new off strict"
    "netdiag scan --only |equal|$ids"
    "netdiag scan --only |has|conntrack-fill"
    "netdiag scan --only rx-drops,conn|has|conntrack-fill"
    "netdiag scan --only rx-drops,conn|lacks|time-wait"
    "netdiag checks --only tcp|has|tcp-retransmits"
    "netdiag scan --threshold conntrack-f|has|conntrack-fill.critical"
    "netdiag checks --threshold tcp-r|has|tcp-retransmits.warning-rate"
    "netdiag checks --threshold tcp-r|lacks|rx-drops"
    "netdiag collect --|equal|--count --help --interval --output --root"
    "netdiag checks --j|equal|--json"
    "netdiag collect --fo|equal|"
    "netdiag scan --verbose --json --col|equal|--color"
    "netdiag scan --root |has|tree"
    "netdiag scan --root |lacks|snap.json"
    "netdiag collect --root t|has|tree"
    "netdiag scan --from |has|snap.json"
    "netdiag checks --config sn|has|snap.json"
    "netdiag collect -o sn|has|snap.json"
    "netdiag scan sn|has|snap.json"
    "netdiag fix --only |equal|conntrack-max irq-affinity listen-backlog neigh-table nic-ring port-range softnet-backlog softnet-budget tcp-mem"
    "netdiag fix --only port-range,conn|has|conntrack-max"
    "netdiag fix --only port-range,conn|lacks|conntrack-fill"
    "netdiag fix --ap|equal|--apply"
    "netdiag fix --plan sn|has|snap.json"
    "netdiag undo --j|equal|--journal --json"
    "netdiag undo --ap|equal|"
)
# The drift lines: every subcommand's flags, and the top level's.
drift_lines=("netdiag -")
for sub in "${subcommands[@]}"; do drift_lines+=("netdiag $sub --"); done

lines=()
for case in "${cases[@]}"; do lines+=("${case%%|*}"); done
lines+=("${drift_lines[@]}")

check_shell() {  # check_shell NAME OUTPUT
    local name=$1 output=$2 case line kind want got flag
    for case in "${cases[@]}"; do
        line=${case%%|*} kind=${case#*|} want=${kind#*|} kind=${kind%%|*}
        got=$(offered "$output" "$line")
        case $kind in
            equal) expect_equal "$got" "$want" "$name: \"$line\" offers: $want" ;;
            has) expect_contains "$got" "$want" "$name: \"$line\" offers $want" ;;
            lacks) expect_not_contains "$got" "$want" "$name: \"$line\" does not offer $want" ;;
        esac
    done
    got=" $(offered "$output" "netdiag -") "
    for flag in "${top_flags[@]}"; do
        expect_contains "$got" " $flag " "$name: \"netdiag -\" offers $flag (from --help)"
    done
    for sub in "${subcommands[@]}"; do
        got=" $(offered "$output" "netdiag $sub --") "
        for flag in ${help_flags[$sub]}; do
            expect_contains "$got" " $flag " "$name: \"netdiag $sub --\" offers $flag (from $sub --help)"
        done
        for flag in $got; do  # and nothing --help does not list
            expect_contains " ${help_flags[$sub]}" " $flag " "$name: \"netdiag $sub --\" offers $flag, which $sub --help lists"
        done
    done
}

for shell in "${shells[@]}"; do
    case $shell in
        bash)
            if [ -f "$bash_completion_lib" ]; then
                check_shell bash "$(run_bash with "${lines[@]}")"
            else
                echo "completions: SKIP bash with bash-completion ($bash_completion_lib not installed)"
            fi
            # Without the bash-completion library: the fallback (no _init_completion, no _filedir).
            output=$(run_bash without "netdiag " "netdiag scan --format " "netdiag scan --format=j" \
                "netdiag scan --only rx-drops,conn" "netdiag scan --root " "netdiag scan --fr")
            expect_equal "$(offered "$output" "netdiag ")" "checks collect fix rules scan undo" "bash (no bash-completion): subcommands"
            expect_equal "$(offered "$output" "netdiag scan --format ")" "json nagios prometheus table" "bash (no bash-completion): --format values"
            expect_equal "$(offered "$output" "netdiag scan --format=j")" "json" "bash (no bash-completion): --format=j"
            expect_contains "$(offered "$output" "netdiag scan --only rx-drops,conn")" "rx-drops,conntrack-fill" "bash (no bash-completion): --only list"
            expect_equal "$(offered "$output" "netdiag scan --root ")" "tree" "bash (no bash-completion): --root directories"
            expect_equal "$(offered "$output" "netdiag scan --fr")" "--from" "bash (no bash-completion): --fr"
            ;;
        zsh)
            if timeout 10 zsh -fc 'zmodload zsh/zpty' 2>/dev/null; then
                check_shell zsh "$(run_zsh "${lines[@]}")"
            else
                echo "completions: SKIP zsh (no zsh/zpty module)"
            fi
            ;;
        fish) check_shell fish "$(run_fish "${lines[@]}")" ;;
    esac
done

# --- every completion file names every subcommand and --flag --help lists ---
mentions() {  # mentions FILE WORD: WORD appears as a whole word
    grep -qE -- "(^|[^a-z0-9-])$2([^a-z0-9-]|\$)" "$1"
}
for sub in "${subcommands[@]}"; do
    for file in netdiag.bash _netdiag netdiag.fish; do
        if mentions "$completions/$file" "$sub"; then pass "$file names $sub"; else fail "$file does not name $sub"; fi
    done
    for flag in ${help_flags[$sub]}; do
        for file in netdiag.bash _netdiag; do
            if mentions "$completions/$file" "$flag"; then pass "$file has $sub $flag"; else fail "$file lacks $sub $flag"; fi
        done
        if mentions "$completions/netdiag.fish" "-l ${flag#--}"; then
            pass "netdiag.fish has $sub $flag"
        else
            fail "netdiag.fish lacks $sub $flag"
        fi
    done
done

# `cmake --install` puts each script where its shell looks for it.
build_dir=$(dirname "$netdiag")
if [ -f "$build_dir/cmake_install.cmake" ]; then
    DESTDIR=$work/stage cmake --install "$build_dir" --prefix /usr >/dev/null 2>&1
    for installed in bash-completion/completions/netdiag:netdiag.bash zsh/vendor-completions/_netdiag:_netdiag \
        fish/vendor_completions.d/netdiag.fish:netdiag.fish; do
        if cmp -s "$work/stage/usr/share/${installed%%:*}" "$completions/${installed#*:}"; then
            pass "cmake --install puts ${installed#*:} in /usr/share/${installed%%:*}"
        else
            fail "cmake --install did not put ${installed#*:} in /usr/share/${installed%%:*}"
        fi
    done
fi

finish completions
