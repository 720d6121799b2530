# bash completion for netdiag                                  -*- shell-script -*-
#
# Install: copy to /usr/share/bash-completion/completions/netdiag (or source it from ~/.bashrc).
# Works with bash-completion 2.x (_init_completion) and, more crudely, without it.
#
# To add an option, add one line to _netdiag_options below:
#     "SUBCOMMANDS  OPTION[,ALIAS]  ARGUMENT"
# SUBCOMMANDS is a comma list (scan,collect,checks); ARGUMENT is one of
#     -          a flag, takes no value
#     file dir   a path (any file / a directory)
#     user       a login name
#     checks     a comma-separated list of check ids
#     fixes      a comma-separated list of fix ids
#     threshold  a CHECK.LEVEL=VALUE assignment
#     text       a free value (nothing to complete)
#     a|b|c      one of a fixed set
# A new subcommand is one word in _netdiag_subcommands (plus its option lines).

_netdiag_subcommands="scan collect checks fix undo rules"

_netdiag_checks="bond-degraded carrier-flaps checksum-errors close-wait conntrack-drops conntrack-fill frag-memory icmp-errors
ip-reassembly link-degraded link-down listen-overflows mtu-mismatch neigh-table nic-errors nic-saturation
no-route packet-storm qdisc-drops rp-filter rx-drops softnet-backlog syn-queue tcp-aborts tcp-memory
tcp-receive-drops tcp-resets tcp-retransmits time-wait time-wait-overflow tx-drops tx-timeouts
udp-buffer-errors udp-memory"

_netdiag_fixes="irq-affinity conntrack-max softnet-backlog softnet-budget port-range listen-backlog tcp-mem neigh-table nic-ring"

# The threshold keys `netdiag checks` lists (checks/settings.cpp).
_netdiag_thresholds="carrier-flaps.warning checksum-errors.warning close-wait.warning close-wait.critical conntrack-drops.critical
conntrack-fill.warning conntrack-fill.critical frag-memory.warning frag-memory.critical icmp-errors.warning
ip-reassembly.warning link-degraded.minimum-speed listen-overflows.warning neigh-table.warning
neigh-table.critical nic-errors.warning nic-saturation.warning nic-saturation.critical no-route.warning
packet-storm.warning packet-storm.critical packet-storm.floor qdisc-drops.warning rp-filter.warning
rx-drops.warning rx-drops.critical softnet-backlog.warning syn-queue.warning syn-queue.critical
tcp-aborts.warning tcp-memory.warning tcp-memory.critical tcp-memory.orphans-warning
tcp-memory.orphans-critical tcp-memory.level-critical tcp-receive-drops.warning tcp-resets.warning
tcp-retransmits.warning-rate tcp-retransmits.warning tcp-retransmits.critical time-wait.warning-count
time-wait.warning time-wait.critical time-wait-overflow.warning tx-drops.warning tx-timeouts.warning
udp-buffer-errors.warning udp-memory.critical"

_netdiag_options=(
    "scan,collect,checks,fix,undo,rules -h,--help -"
    # sampling
    "scan,collect,fix,undo --root               dir"
    "scan,collect,fix    --interval             text"
    # scan
    "scan                --from                 file"
    "scan                --format               table|json|nagios|prometheus"
    "scan                -o,--output            file"
    "scan                --json                 -"
    "scan,fix            --color                auto|always|never"
    "scan                -v,--verbose           -"
    "scan                --detail               -"
    "scan                --no-progress          -"
    "scan                --list-hosts           -"
    "scan                --prometheus           text"
    "scan                --prometheus-config    file"
    "scan                --window               text"
    "scan                --at                   text"
    "scan                --match                text"
    # collect
    "collect             -o,--output            file"
    "collect             -n,--count             text"
    # checks
    "checks              --json                 -"
    # rules
    "rules               --window               text"
    "rules               -o,--output            file"
    # fix
    "fix                 --dry-run              -"
    "fix                 --list                 -"
    "fix                 --apply                -"
    "fix,undo            -y,--yes               -"
    "fix,undo            --json                 -"
    "fix                 --force                -"
    "fix                 --only                 fixes"
    "fix                 --plan                 file"
    "fix                 --serial               text"
    "fix                 --max-fail             text"
    # undo
    "undo                --journal              text"
    "undo                --dry-run              -"
    # settings (scan, checks and fix)
    "scan,checks,fix,rules --config             file"
    "scan,checks,fix,rules --threshold          threshold"
    "scan,checks,fix,rules --speed              text"
    "scan,checks,fix,rules --virtual-interfaces text"
    "scan,checks,rules   --only                 checks"
    # fleet (over SSH)
    "scan,fix,undo       -H,--hosts             text"
    "scan,fix,undo       --limit                text"
    "scan,fix,undo       -l,--user              user"
    "scan,fix,undo       -i,--identity          file"
    "scan,fix,undo       -f,--forks             text"
    "scan,fix,undo       --host-key-checking    strict|accept-new|off"
    "scan,fix,undo       --known-hosts          file"
    "scan,fix,undo       --ssh-config           file"
    "scan,fix,undo       --no-ssh-config        -"
    "scan,fix,undo       --connect-timeout      text"
    "scan,fix,undo       --max-output           text"
    "scan,fix,undo       --command-timeout      text"
)

# Subcommands whose positional arguments are files (INVENTORY).
_netdiag_file_positionals="scan fix undo"

_netdiag_nospace() {
    type compopt &>/dev/null && compopt -o nospace 2>/dev/null
}

_netdiag_files() {  # _netdiag_files [-d]
    if declare -F _filedir >/dev/null; then
        _filedir "$@"
    elif [[ ${1-} == -d ]]; then
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
    else
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
}

# Completes the value of an option whose argument kind is $1.
_netdiag_value() {
    local kind=$1
    case $kind in
        file) _netdiag_files ;;
        dir) _netdiag_files -d ;;
        user) mapfile -t COMPREPLY < <(compgen -u -- "$cur") ;;
        checks | fixes)
            local prefix= ids=$_netdiag_checks
            [[ $kind == fixes ]] && ids=$_netdiag_fixes
            [[ $cur == *,* ]] && prefix=${cur%,*},
            COMPREPLY=($(compgen -P "$prefix" -W "$ids" -- "${cur##*,}"))
            ;;
        threshold)
            if [[ $cur != *=* ]]; then
                COMPREPLY=($(compgen -S = -W "$_netdiag_thresholds" -- "$cur"))
                _netdiag_nospace
            fi
            ;;
        text) COMPREPLY=() ;;
        *) COMPREPLY=($(compgen -W "${kind//|/ }" -- "$cur")) ;;
    esac
}

_netdiag() {
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null; then
        _init_completion -s || return
    else
        COMPREPLY=()
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${words[cword]}
        prev=${words[cword - 1]}
        # COMP_WORDBREAKS splits --opt=value into "--opt" "=" "value".
        if [[ $cur == = ]]; then
            cur='' split=true
        elif [[ $prev == = && $cword -ge 2 ]]; then
            prev=${words[cword - 2]} split=true
        fi
    fi

    local i sub=
    for ((i = 1; i < cword; i++)); do
        if [[ " $_netdiag_subcommands " == *" ${words[i]} "* ]]; then
            sub=${words[i]}
            break
        fi
    done

    if [[ -z $sub ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-h --help --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$_netdiag_subcommands" -- "$cur"))
        fi
        return 0
    fi

    # This subcommand's options, and the argument kind of the one before the cursor.
    local line subs names kind aliases flags=() prev_kind=
    for line in "${_netdiag_options[@]}"; do
        read -r subs names kind <<<"$line"
        [[ ,$subs, == *,$sub,* ]] || continue
        IFS=, read -ra aliases <<<"$names"
        flags+=("${aliases[@]}")
        [[ ,$names, == *,$prev,* ]] && prev_kind=$kind
    done

    if [[ -n $prev_kind && $prev_kind != - ]]; then
        _netdiag_value "$prev_kind"
        return 0
    fi
    $split && return 0  # --flag=value for a flag that takes no value

    if [[ $cur == -* || " $_netdiag_file_positionals " != *" $sub "* ]]; then
        COMPREPLY=($(compgen -W "${flags[*]}" -- "$cur"))
    else
        _netdiag_files
    fi
    return 0
} &&
    complete -F _netdiag netdiag

# ex: filetype=sh
