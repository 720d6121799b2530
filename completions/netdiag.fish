# fish completion for netdiag.
#
# Install: copy to ~/.config/fish/completions/netdiag.fish
# (or /usr/share/fish/vendor_completions.d/netdiag.fish).
#
# One `complete` line per option. Conditions name the subcommands the option belongs to:
#   -x -a 'a b c'  a value from a fixed set      -r -F  a file      -x  a free value
# A new subcommand is one line in the "Subcommands" block.

function __fish_netdiag_check_ids --description 'Check ids, completing the last item of a comma list'
    set -l prefix (string replace -r '[^,]*$' '' -- (commandline -ct))
    printf "$prefix%s\t%s\n" \
        bond-degraded 'bond slave down' \
        carrier-flaps 'link flapping' \
        checksum-errors 'bad checksums' \
        close-wait 'sockets left in CLOSE_WAIT' \
        conntrack-drops 'conntrack table refused or evicted' \
        conntrack-fill 'conntrack entries against nf_conntrack_max' \
        frag-memory 'fragment memory' \
        icmp-errors 'ICMP errors' \
        ip-reassembly 'IP fragments lost' \
        link-degraded 'half duplex or slow link' \
        link-down 'up without carrier' \
        listen-overflows 'listen queue full' \
        mtu-mismatch 'MTU above the lower device' \
        neigh-table 'neighbour table full' \
        nic-errors 'receive and transmit errors' \
        nic-saturation 'throughput against link speed' \
        no-route 'no route' \
        packet-storm 'packet storm' \
        qdisc-drops 'egress qdisc drops' \
        rp-filter 'reverse-path filter drops' \
        rx-drops 'packets dropped on receive' \
        softnet-backlog 'CPU input backlog full' \
        syn-queue 'SYN queue full: cookies or drops' \
        tcp-aborts 'TCP aborts on timeout' \
        tcp-memory 'TCP memory pressure and orphans' \
        tcp-receive-drops 'TCP segments thrown away on receive' \
        tcp-resets 'TCP resets' \
        tcp-retransmits 'TCP segments retransmitted' \
        time-wait 'TIME_WAIT sockets' \
        time-wait-overflow 'closed without TIME_WAIT' \
        tx-drops 'packets dropped on transmit' \
        tx-timeouts 'TX watchdog timeouts' \
        udp-buffer-errors 'UDP socket buffers full' \
        udp-memory 'UDP memory'
end

function __fish_netdiag_fix_ids --description 'Fix ids, completing the last item of a comma list'
    set -l prefix (string replace -r '[^,]*$' '' -- (commandline -ct))
    printf "$prefix%s\t%s\n" \
        irq-affinity 'spread NIC queue IRQs over the NUMA node' \
        conntrack-max 'size nf_conntrack_max and its hash' \
        softnet-backlog 'double netdev_max_backlog' \
        softnet-budget 'double netdev_budget' \
        port-range 'widen ip_local_port_range' \
        listen-backlog 'raise listen backlogs' \
        tcp-mem 'raise tcp_mem' \
        neigh-table 'raise neighbour gc_thresh' \
        nic-ring 'raise NIC RX ring'
end

function __fish_netdiag_thresholds --description 'Threshold keys, CHECK.LEVEL='
    printf '%s=\n' \
        carrier-flaps.warning \
        checksum-errors.warning \
        close-wait.warning close-wait.critical \
        conntrack-drops.critical \
        conntrack-fill.warning conntrack-fill.critical \
        frag-memory.warning frag-memory.critical \
        icmp-errors.warning \
        ip-reassembly.warning \
        link-degraded.minimum-speed \
        listen-overflows.warning \
        neigh-table.warning neigh-table.critical \
        nic-errors.warning \
        nic-saturation.warning nic-saturation.critical \
        no-route.warning \
        packet-storm.warning packet-storm.critical packet-storm.floor \
        qdisc-drops.warning \
        rp-filter.warning \
        rx-drops.warning rx-drops.critical \
        softnet-backlog.warning \
        syn-queue.warning syn-queue.critical \
        tcp-aborts.warning \
        tcp-memory.warning tcp-memory.critical tcp-memory.orphans-warning tcp-memory.orphans-critical tcp-memory.level-critical \
        tcp-receive-drops.warning \
        tcp-resets.warning \
        tcp-retransmits.warning-rate tcp-retransmits.warning tcp-retransmits.critical \
        time-wait.warning-count time-wait.warning time-wait.critical \
        time-wait-overflow.warning \
        tx-drops.warning \
        tx-timeouts.warning \
        udp-buffer-errors.warning \
        udp-memory.critical
end

complete -c netdiag -f

# Top level
complete -c netdiag -n __fish_use_subcommand -s h -l help -d 'Print help and exit'
complete -c netdiag -n __fish_use_subcommand -l version -d 'Print the version and exit'

# Subcommands
complete -c netdiag -n __fish_use_subcommand -a scan -d 'Sample the host, run every check, report what is wrong'
complete -c netdiag -n __fish_use_subcommand -a collect -d "Print the host's counters as a JSON snapshot"
complete -c netdiag -n __fish_use_subcommand -a checks -d 'List the checks and their thresholds'
complete -c netdiag -n __fish_use_subcommand -a fix -d 'Plan the changes that cure the findings; apply with --apply'
complete -c netdiag -n __fish_use_subcommand -a undo -d 'Restore what netdiag fix --apply changed'
complete -c netdiag -n __fish_use_subcommand -a rules -d 'Print Prometheus alerting rules equivalent to the checks'

# Every subcommand
complete -c netdiag -n '__fish_seen_subcommand_from scan collect checks fix undo rules' -s h -l help -d 'Print help and exit'

# sampling
complete -c netdiag -n '__fish_seen_subcommand_from scan collect fix undo' -l root -x -a '(__fish_complete_directories (commandline -ct))' -d 'Read a captured tree (DIR/proc, DIR/sys)'
complete -c netdiag -n '__fish_seen_subcommand_from scan collect fix' -l interval -x -d 'Seconds between the two samples'

# scan
complete -c netdiag -n '__fish_seen_subcommand_from scan fix undo' -F -d 'Inventory (netdiag or Ansible YAML)'
complete -c netdiag -n '__fish_seen_subcommand_from scan' -l from -r -F -d 'Check saved netdiag collect output'
complete -c netdiag -n '__fish_seen_subcommand_from scan' -l format -x -a 'table json nagios prometheus' -d 'Output format'
complete -c netdiag -n '__fish_seen_subcommand_from scan' -s o -l output -r -F -d 'Write the report to FILE instead of stdout'
complete -c netdiag -n '__fish_seen_subcommand_from scan' -l json -d 'Same as --format json'
complete -c netdiag -n '__fish_seen_subcommand_from scan' -l color -x -a 'auto always never' -d 'Color the table'
complete -c netdiag -n '__fish_seen_subcommand_from scan' -s v -l verbose -d 'Also list the files that could not be read'
complete -c netdiag -n '__fish_seen_subcommand_from scan' -l detail -d "With several hosts: each host's findings"
complete -c netdiag -n '__fish_seen_subcommand_from scan' -l no-progress -d 'No progress line on stderr'
complete -c netdiag -n '__fish_seen_subcommand_from scan' -l list-hosts -d 'Print the hosts selected; connect to none'
complete -c netdiag -n '__fish_seen_subcommand_from scan' -l prometheus -x -d 'Judge node_exporter instances from this Prometheus'
complete -c netdiag -n '__fish_seen_subcommand_from scan' -l prometheus-config -r -F -d 'Prometheus http_config file (credentials, TLS)'
complete -c netdiag -n '__fish_seen_subcommand_from scan' -l window -x -d 'With --prometheus: the span rates are taken over'
complete -c netdiag -n '__fish_seen_subcommand_from scan' -l at -x -d 'With --prometheus: judge the fleet as it was then'
complete -c netdiag -n '__fish_seen_subcommand_from scan' -l match -x -d 'With --prometheus: a label selector for the instances'

# collect
complete -c netdiag -n '__fish_seen_subcommand_from collect' -s o -l output -r -F -d 'Write to FILE instead of stdout'
complete -c netdiag -n '__fish_seen_subcommand_from collect' -s n -l count -x -d 'Take this many samples, --interval apart'

# checks
complete -c netdiag -n '__fish_seen_subcommand_from checks' -l json -d 'Print the catalogue as JSON'
# rules
complete -c netdiag -n '__fish_seen_subcommand_from rules' -l window -x -d 'Range of rate() and increase() in the rules'
complete -c netdiag -n '__fish_seen_subcommand_from rules' -s o -l output -r -F -d 'Write the rules to FILE'

# fix
complete -c netdiag -n '__fish_seen_subcommand_from fix' -l dry-run -d 'Show the plan as diffs, change nothing (the default)'
complete -c netdiag -n '__fish_seen_subcommand_from fix' -l list -d 'List the fixes and the checks they answer'
complete -c netdiag -n '__fish_seen_subcommand_from fix' -l apply -d 'Make the changes (asks first unless --yes)'
complete -c netdiag -n '__fish_seen_subcommand_from fix undo' -s y -l yes -d 'Do not ask first'
complete -c netdiag -n '__fish_seen_subcommand_from fix undo' -l json -d 'Print the plan as JSON (netdiag.plan/v1)'
complete -c netdiag -n '__fish_seen_subcommand_from fix' -l force -d 'Plan IRQ affinity even though irqbalance runs'
complete -c netdiag -n '__fish_seen_subcommand_from fix' -l only -x -a '(__fish_netdiag_fix_ids)' -d 'Comma-separated fixes to plan'
complete -c netdiag -n '__fish_seen_subcommand_from fix' -l plan -r -F -d 'Apply a saved plan (netdiag fix --json)'
complete -c netdiag -n '__fish_seen_subcommand_from fix' -l serial -x -d 'Hosts changed at once'
complete -c netdiag -n '__fish_seen_subcommand_from fix' -l max-fail -x -d 'Stop the rollout after N failed hosts'
complete -c netdiag -n '__fish_seen_subcommand_from fix' -l color -x -a 'auto always never' -d 'Draw queue IRQs per CPU before and after'

# undo
complete -c netdiag -n '__fish_seen_subcommand_from undo' -l journal -x -d 'The journal to undo (default: the latest)'
complete -c netdiag -n '__fish_seen_subcommand_from undo' -l dry-run -d 'Show what would be restored, change nothing'

# settings: scan, checks and fix
complete -c netdiag -n '__fish_seen_subcommand_from scan checks fix rules' -l config -r -F -d 'YAML file with thresholds, virtual_interfaces, speeds'
complete -c netdiag -n '__fish_seen_subcommand_from scan checks fix rules' -l threshold -x -a '(__fish_netdiag_thresholds)' -d 'Override a threshold: CHECK.LEVEL=VALUE'
complete -c netdiag -n '__fish_seen_subcommand_from scan checks fix rules' -l speed -x -d 'Link speed: IF=MBPS'
complete -c netdiag -n '__fish_seen_subcommand_from scan checks fix rules' -l virtual-interfaces -x -d 'Patterns left out of NIC checks'
complete -c netdiag -n '__fish_seen_subcommand_from scan checks rules' -l only -x -a '(__fish_netdiag_check_ids)' -d 'Comma-separated check ids to run'

# fleet: over SSH
complete -c netdiag -n '__fish_seen_subcommand_from scan fix undo' -s H -l hosts -x -a '(__fish_print_hostnames)' -d 'Hosts to scan over SSH: web1,node[01-20]'
complete -c netdiag -n '__fish_seen_subcommand_from scan fix undo' -l limit -x -d 'Only hosts or groups matching: web,db*,!db3'
complete -c netdiag -n '__fish_seen_subcommand_from scan fix undo' -s l -l user -x -a '(__fish_complete_users)' -d 'Login user for hosts that name none'
complete -c netdiag -n '__fish_seen_subcommand_from scan fix undo' -s i -l identity -r -F -d 'Private key for hosts that name none'
complete -c netdiag -n '__fish_seen_subcommand_from scan fix undo' -s f -l forks -x -d 'Hosts scanned at once'
complete -c netdiag -n '__fish_seen_subcommand_from scan fix undo' -l host-key-checking -x -a 'strict\t"only hosts in known_hosts" accept-new\t"add unknown hosts" off\t"trust any key"' -d 'SSH host key policy'
complete -c netdiag -n '__fish_seen_subcommand_from scan fix undo' -l known-hosts -r -F -d 'known_hosts file instead of ~/.ssh/known_hosts'
complete -c netdiag -n '__fish_seen_subcommand_from scan fix undo' -l ssh-config -r -F -d 'ssh_config file instead of ~/.ssh/config'
complete -c netdiag -n '__fish_seen_subcommand_from scan fix undo' -l no-ssh-config -d 'Ignore ~/.ssh/config'
complete -c netdiag -n '__fish_seen_subcommand_from scan fix undo' -l connect-timeout -x -d 'Seconds to connect (each address) and to authenticate'
complete -c netdiag -n '__fish_seen_subcommand_from scan fix undo' -l max-output -x -d 'MiB one host may send for one sample'
complete -c netdiag -n '__fish_seen_subcommand_from scan fix undo' -l command-timeout -x -d 'Seconds one sample may take on a host'
