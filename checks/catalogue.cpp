#include "checks/catalogue.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "common/text.hpp"

namespace netdiag {

std::string_view severity_name(Severity severity) {
    switch (severity) {
        case Severity::info: return "info";
        case Severity::unknown: return "unknown";
        case Severity::warning: return "warning";
        case Severity::critical: return "critical";
    }
    return "unknown";
}

namespace {

// What each check reads (see Check::needs).
constexpr std::string_view kNeedsTcpTable[] = {"/proc/net/tcp", "/proc/net/tcp6"};
constexpr std::string_view kNeedsConntrackStat[] = {"/proc/net/stat/nf_conntrack"};
constexpr std::string_view kNeedsConntrackCount[] = {"/proc/sys/net/netfilter/nf_conntrack_count",
                                                     "/proc/sys/net/netfilter/nf_conntrack_max"};
constexpr std::string_view kNeedsNetstat[] = {"/proc/net/netstat"};
constexpr std::string_view kNeedsNetDev[] = {"/proc/net/dev"};
constexpr std::string_view kNeedsLinkSpeed[] = {"/proc/net/dev", "/sys/class/net/*/speed",
                                                "/sys/class/net/*/operstate"};
// The drops themselves, and what diagnoses their cause.
constexpr std::string_view kNeedsRxDrops[] = {"/proc/net/dev",  "/proc/net/softnet_stat", "/proc/stat", "rings:*",
                                              "/proc/softirqs", "/proc/interrupts",
                                              "/sys/class/net/*/statistics/rx_missed_errors"};
constexpr std::string_view kNeedsSoftnet[] = {"/proc/net/softnet_stat"};
constexpr std::string_view kNeedsSnmp[] = {"/proc/net/snmp"};
constexpr std::string_view kNeedsSockstat[] = {"/proc/net/sockstat", "/proc/sys/net/ipv4/ip_local_port_range"};
constexpr std::string_view kNeedsUdp[] = {"/proc/net/snmp", "/proc/net/snmp6"};
constexpr std::string_view kNeedsIp[] = {"/proc/net/snmp", "/proc/net/snmp6"};
constexpr std::string_view kNeedsTcpMemory[] = {"/proc/net/netstat", "/proc/net/sockstat", "/proc/sys/net/ipv4/tcp_mem"};
constexpr std::string_view kNeedsLinkState[] = {"/sys/class/net/*/flags", "/sys/class/net/*/carrier",
                                                "/sys/class/net/*/operstate"};
constexpr std::string_view kNeedsCarrierChanges[] = {"/sys/class/net/*/carrier_changes"};
constexpr std::string_view kNeedsLinkMode[] = {"/sys/class/net/*/speed", "/sys/class/net/*/device/net/*/duplex",
                                               "/sys/class/net/*/flags"};
constexpr std::string_view kNeedsBond[] = {"/sys/class/net/*/bonding_slave/mii_status"};
constexpr std::string_view kNeedsTxTimeouts[] = {"/sys/class/net/*/device/net/*/queues/tx-*/tx_timeout"};
constexpr std::string_view kNeedsMtu[] = {"/sys/class/net/*/mtu"};
constexpr std::string_view kNeedsStorm[] = {"/proc/net/dev", "/proc/uptime"};
constexpr std::string_view kNeedsQdisc[] = {"qdiscs"};
constexpr std::string_view kNeedsNeighbours[] = {"/proc/net/stat/arp_cache", "/proc/net/stat/ndisc_cache"};
constexpr std::string_view kNeedsRpFilter[] = {"/proc/net/netstat", "/proc/sys/net/ipv4/conf/*/rp_filter"};
constexpr std::string_view kNeedsIpCounters[] = {"/proc/net/snmp", "/proc/net/netstat", "/proc/net/snmp6"};
constexpr std::string_view kNeedsUdpMemory[] = {"/proc/net/sockstat", "/proc/sys/net/ipv4/udp_mem", "/proc/net/snmp"};
constexpr std::string_view kNeedsFragMemory[] = {"/proc/net/sockstat", "/proc/net/sockstat6"};

constexpr std::array kCatalogue = {
    Check{"bond-degraded", "bonds running with a slave whose link is down", false, "",
          check_bond_degraded, kNeedsBond,
          "a bond slave's bonding_slave/mii_status, master link",
          "node-mixin NodeBondingDegraded",
          "The bond runs without redundancy (and, in a load-balancing mode, with a fraction of its "
          "bandwidth); one more failure is an outage; with every slave down it carries nothing.",
          "`cat /proc/net/bonding/BOND` for each slave's MII status and link failure count; check the "
          "slaves' cables and switch ports."},
    Check{"carrier-flaps", "links going down and up (carrier_changes between the samples)", true, "carrier-flaps",
          check_carrier_flaps, kNeedsCarrierChanges,
          "/sys/class/net/IF/carrier_changes between the samples",
          "kube-prometheus NodeNetworkInterfaceFlapping (> 2 in 2m)",
          "Each flap drops what is in flight and, on a bond or with routing protocols, moves traffic back "
          "and forth.",
          "`dmesg | grep -i 'IF.*link'` for the pattern; check the cable or optic and the switch port's "
          "log; pin speed/duplex (`ethtool -s IF`) if autonegotiation flaps."},
    Check{"checksum-errors", "packets arriving with bad checksums (TCP, UDP, ICMP, IP) or bad IP headers", true,
          "checksum-errors", check_checksum_errors, kNeedsIpCounters,
          "snmp Tcp/Udp/Icmp InCsumErrors, IpExt InCsumErrors, Ip InHdrErrors (and IPv6's)",
          "netdiag (no anchor alarms on it)",
          "Damaged packets are dropped and resent (or lost, for UDP): a failing cable, NIC or switch, or a "
          "checksum offload bug.",
          "Look for the interface with CRC errors (`ethtool -S IF | grep -i crc`, `ip -s -s link`); try "
          "with offloads off (`ethtool -K IF rx off tx off`) to rule out a driver bug."},
    Check{"close-wait", "sockets left in CLOSE_WAIT on a local port (the application never closes them)", false,
          "close-wait", check_close_wait, kNeedsTcpTable,
          "CLOSE_WAIT sockets by local port (sock_diag, /proc/net/tcp{,6})",
          "netdiag",
          "The peer closed these connections but the application never called close(): it leaks file "
          "descriptors and memory until it stops accepting.",
          "Find the process with `ss -tanp state close-wait` and fix its connection handling (missing "
          "close, stuck worker pool); restarting only buys time."},
    Check{"conntrack-drops", "connections the conntrack table refused or evicted (insert_failed, drop, early_drop)",
          true, "conntrack-drops", check_conntrack_drops, kNeedsConntrackStat,
          "/proc/net/stat/nf_conntrack insert_failed, drop, early_drop",
          "DESIGN",
          "Each of these is a connection attempt that was dropped or an established flow that lost its "
          "state.",
          "Raise net.netfilter.nf_conntrack_max and the hash size; insert_failed alone with a roomy table "
          "points at UDP/DNS races instead. `netdiag fix --only conntrack-max` plans the sizing."},
    Check{"conntrack-fill", "conntrack table entries against nf_conntrack_max", false, "conntrack-fill",
          check_conntrack_fill, kNeedsConntrackCount,
          "nf_conntrack_count / nf_conntrack_max",
          "DESIGN",
          "When the table is full the kernel drops new connections' first packets: clients see timeouts, "
          "not refusals.",
          "Raise net.netfilter.nf_conntrack_max with the hash size to match, or shorten conntrack "
          "timeouts; `netdiag fix --only conntrack-max` plans it."},
    Check{"frag-memory", "memory held by fragments awaiting reassembly against ipfrag_high_thresh (IPv4, IPv6)",
          false, "frag-memory", check_frag_memory, kNeedsFragMemory,
          "sockstat FRAG memory, sockstat6 FRAG6 memory against ipfrag_high_thresh, ip6frag_high_thresh",
          "netdiag",
          "At the limit every new fragment is dropped, so every fragmented datagram is lost until old ones "
          "time out: a fragment flood or lossy fragmented traffic.",
          "Find the fragmented traffic (`tcpdump -ni any 'ip[6:2] & 0x3fff != 0'`); avoid fragmenting "
          "(MTU, EDNS buffer size); raise net.ipv4.ipfrag_high_thresh or lower ipfrag_time."},
    Check{"icmp-errors", "ICMP messages received malformed or not sent (Icmp InErrors, OutErrors)", true,
          "icmp-errors", check_icmp_errors, kNeedsIpCounters,
          "snmp Icmp InErrors, OutErrors (and Icmp6's)",
          "netdiag (Netdata charts, no alarm)",
          "ICMP carries the network's error reports (unreachable, fragmentation needed, TTL exceeded); "
          "when they are damaged or cannot be sent, path MTU discovery and failure detection break.",
          "`nstat -az | grep -i icmp` for the types; look for a routing loop (TTL exceeded), ICMP rate "
          "limits (net.ipv4.icmp_ratelimit) or filtering of ICMP on the path."},
    Check{"ip-reassembly", "IP datagrams lost because their fragments could not be reassembled (ReasmFails)", true,
          "ip-reassembly", check_ip_reassembly, kNeedsIp,
          "snmp Ip ReasmFails (ReasmTimeout), snmp6 Ip6ReasmFails",
          "netdiag (no anchor alarms on it)",
          "One lost fragment loses the whole datagram: large UDP (DNS with EDNS, NFS, tunnels without MTU "
          "headroom) fails or retries silently; a fragment flood fills reassembly memory for everyone.",
          "Avoid fragmenting (path MTU, tunnel MTU, EDNS buffer size); if fragments time out "
          "(net.ipv4.ipfrag_time) or reassembly memory is full (FRAG in /proc/net/sockstat), raise "
          "net.ipv4.ipfrag_high_thresh."},
    Check{"link-degraded", "physical links at half duplex or below link-degraded.minimum-speed", false,
          "link-degraded", check_link_degraded, kNeedsLinkMode,
          "speed, duplex of physical interfaces that are up",
          "Zabbix \"lower speed\"; half duplex is always a fault",
          "Half duplex on a switched link means collisions under load (a duplex mismatch with the switch); "
          "a server NIC below the minimum speed has usually fallen back during autonegotiation on a "
          "damaged cable, capping everything behind it.",
          "`ethtool IF` shows what was negotiated and advertised; replace the cable, check the switch "
          "port's settings, then renegotiate (`ethtool -r IF`). Set link-degraded.minimum-speed to 0 where "
          "slow links are intended."},
    Check{"link-down", "interfaces administratively up without a link (no carrier)", false, "",
          check_link_down, kNeedsLinkState,
          "flags (IFF_UP) with carrier 0 (or operstate down)",
          "Zabbix \"Link down\"",
          "Nothing is sent or received on it: the cable, the optic, the switch port or the peer is down "
          "(for a virtual device, its lower device or peer is).",
          "`ip link show IF` and `ethtool IF` (Link detected), `dmesg | grep IF`; check the cable/optic "
          "and the switch port; bring the peer up."},
    Check{"listen-overflows", "connections dropped because a listen queue was full (ListenOverflows, ListenDrops)",
          true, "listen-overflows", check_listen_overflows, kNeedsNetstat,
          "netstat TcpExt ListenOverflows, ListenDrops; names the listener with a full accept queue",
          "DESIGN",
          "Clients' SYNs or final ACKs are dropped: they retry after a second or more, so connects look "
          "slow.",
          "Find the listener with `ss -ltn` (Recv-Q at Send-Q); make the application accept faster or "
          "raise its backlog together with net.core.somaxconn; `netdiag fix --only listen-backlog` plans "
          "the sysctls."},
    Check{"mtu-mismatch", "devices with a larger MTU than the device under them (VLAN, bond, macvlan)", false,
          "", check_mtu_mismatch, kNeedsMtu,
          "mtu of a device and of its lower_* devices",
          "netdiag",
          "Packets sized for the upper device do not fit the lower one: they are dropped or fragmented, "
          "and large transfers stall while small requests work (a PMTU black hole).",
          "Align them: `ip link set IF mtu N` with the lower device's MTU (or raise the lower device's MTU "
          "if the network carries it)."},
    Check{"neigh-table", "neighbour (ARP/NDP) table overflows (table_fulls) and entries against gc_thresh3", false,
          "neigh-table", check_neigh_table, kNeedsNeighbours,
          "/proc/net/stat/{arp,ndisc}_cache table_fulls (summed), entries vs gc_thresh3",
          "netdiag (no anchor alarms on it)",
          "When the table is full new neighbours cannot be resolved: packets to them are dropped "
          "(\"neighbour table overflow\" in dmesg). Big flat L2 networks, many containers and Kubernetes "
          "nodes outgrow the default limits; the table is shared by every network namespace.",
          "Raise net.ipv4.neigh.default.gc_thresh1/2/3 (and IPv6's) above the entries seen; `netdiag fix "
          "--only neigh-table` plans it. `ip -s neigh` shows who fills it."},
    Check{"nic-errors", "receive and transmit errors on physical interfaces", true, "nic-errors", check_nic_errors,
          kNeedsNetDev,
          "/proc/net/dev rx/tx errors, physical interfaces",
          "DESIGN",
          "Interface errors mean damaged frames (CRC, length, carrier): usually a cable, optic, port or "
          "duplex problem.",
          "Look at `ethtool -S IF` for the error type and `ethtool IF` for speed and duplex; swap the "
          "cable or optic."},
    Check{"nic-saturation", "throughput against link speed on physical interfaces", true, "nic-saturation",
          check_nic_saturation, kNeedsLinkSpeed,
          "/proc/net/dev bytes (as bits) against speed",
          "DESIGN",
          "A link near its capacity queues and then drops packets; latency rises first.",
          "Move traffic to another link or bond, or shape the sender; confirm with `sar -n DEV 1`."},
    Check{"no-route", "packets dropped for lack of a route (OutNoRoutes, InNoRoutes)", true, "no-route",
          check_no_route, kNeedsIpCounters,
          "snmp Ip OutNoRoutes, IpExt InNoRoutes (and IPv6's)",
          "netdiag",
          "Applications get \"Network is unreachable\" or their traffic vanishes: a missing default or "
          "policy route, an interface that went away, or forwarding disabled on a router.",
          "`ip route show table all` and `ip rule`; `ip route get ADDRESS` for a destination that fails; "
          "check net.ipv4.ip_forward on routers."},
    Check{"packet-storm", "received packets far above the interface's long-run rate", true, "packet-storm",
          check_packet_storm, kNeedsStorm,
          "/proc/net/dev rx packets against the interface's rate since boot (floor 1000/s)",
          "Netdata 10s_received_packets_storm",
          "A sudden flood of packets — a broadcast storm from a switching loop, or a flood aimed at the "
          "host — starves everything else of CPU and queue space.",
          "See what it is: `tcpdump -eni IF -c 200` (broadcast? one source?); a loop needs STP or storm "
          "control on the switch, a flood filtering upstream."},
    Check{"qdisc-drops", "packets dropped by the egress queueing discipline (tc -s qdisc)", true, "qdisc-drops",
          check_qdisc_drops, kNeedsQdisc,
          "the root qdisc's drops (rtnetlink locally, tc -s qdisc over SSH)",
          "Netdata 10min_qos_packet_drops",
          "Egress drops are invisible in the NIC's counters: the sender's TCP backs off or its UDP is lost "
          "while the link itself looks fine.",
          "`tc -s qdisc show dev IF`: a full queue wants a longer txqueuelen (`ip link set IF txqueuelen "
          "N`) or a faster link; a shaper's drops are its configured limit working."},
    Check{"rp-filter", "packets dropped by reverse-path filtering (IPReversePathFilter), with the strict interfaces",
          true, "rp-filter", check_rp_filter, kNeedsRpFilter,
          "netstat TcpExt IPReversePathFilter, with the interfaces whose effective rp_filter is strict",
          "netdiag",
          "Strict reverse-path filtering drops traffic that arrives on a different interface than the "
          "route back to its sender: asymmetric routing, multi-homed hosts and policy routing lose packets "
          "silently.",
          "Turn on `net.ipv4.conf.all.log_martians=1` briefly to see the sources; use loose mode "
          "(`rp_filter=2`) on the interfaces that receive asymmetric traffic, or fix the routes."},
    Check{"rx-drops", "packets dropped on receive, with the cause diagnosed from softnet and softirq load", true,
          "rx-drops", check_rx_drops, kNeedsRxDrops,
          "/proc/net/dev rx_dropped, rx_missed_errors; cause from softnet_stat, /proc/stat, softirqs, ring sizes",
          "DESIGN",
          "Dropped packets are lost before any application sees them: TCP slows down and retransmits, UDP "
          "loses data.",
          "`netdiag scan` on the host names the cause (ring, backlog, budget, IRQ affinity or protocol) "
          "and the fix; `ip -s -s link show IF` and `ethtool -S IF` show the counters."},
    Check{"softnet-backlog", "packets dropped because a CPU's input backlog was full (netdev_max_backlog)", true,
          "softnet-backlog", check_softnet_backlog, kNeedsSoftnet,
          "/proc/net/softnet_stat dropped",
          "DESIGN",
          "A CPU's backlog (net.core.netdev_max_backlog) filled faster than its softirq drained it; those "
          "packets are lost.",
          "Raise net.core.netdev_max_backlog and check the CPU's softirq load; `netdiag fix --only "
          "softnet-backlog` plans it."},
    Check{"syn-queue", "SYNs that found a listener's SYN queue full: SYN cookies sent or SYNs dropped", true,
          "syn-queue", check_syn_queue, kNeedsNetstat,
          "netstat TcpExt TCPReqQFullDoCookies + TCPReqQFullDrop; names the port holding the SYN_RECV sockets and its backlog",
          "Netdata 1m_tcp_syn_queue_*",
          "A SYN flood, or a listener whose backlog is too small for its connection rate. With cookies the "
          "connection survives without its TCP options (window scaling, SACK); without them the SYN is "
          "lost and the client retries after a second or more.",
          "Keep net.ipv4.tcp_syncookies=1; raise net.ipv4.tcp_max_syn_backlog and the listener's backlog "
          "with net.core.somaxconn — `netdiag fix --only listen-backlog` plans them; filter a flood "
          "upstream (`ss -tn state syn-recv` shows the sources)."},
    Check{"tcp-aborts", "connections aborted when a retransmission, keepalive or probe timer ran out", true,
          "tcp-aborts", check_tcp_aborts, kNeedsNetstat,
          "netstat TcpExt TCPAbortOnTimeout",
          "netdiag (Netdata charts, no alarm)",
          "Each is a connection that died without a goodbye: peers that vanished, or a path that "
          "black-holes packets (often large ones: an MTU problem).",
          "Find the peers with `ss -tno state established '( timer:on )'` or retransmitting sockets (`ss "
          "-ti | grep -B1 retrans`); check the path MTU (tracepath) and the peers' health."},
    Check{"tcp-memory", "TCP memory pressure and aborts (TCPMemoryPressures, TCPAbortOnMemory), orphans against "
          "tcp_max_orphans", false, "tcp-memory", check_tcp_memory, kNeedsTcpMemory,
          "sockstat TCP mem vs tcp_mem; TcpExt TCPMemoryPressures, TCPAbortOnMemory; sockstat orphan vs tcp_max_orphans",
          "Netdata tcp_memory, tcp_orphans",
          "Past tcp_mem's pressure mark the kernel shrinks every socket's buffers (slow transfers); past "
          "its high mark it drops data and resets connections (\"TCP: out of memory\" in dmesg); orphans "
          "past tcp_max_orphans are reset.",
          "Find the sockets holding buffers (`ss -tm`, large Recv-Q/Send-Q); raise net.ipv4.tcp_mem in "
          "proportion to RAM — `netdiag fix --only tcp-mem` plans it."},
    Check{"tcp-receive-drops", "TCP segments thrown away on receive: pruned, at a full queue or zero window, or "
          "while the socket was busy", true, "tcp-receive-drops", check_tcp_receive_drops, kNeedsNetstat,
          "netstat TcpExt RcvPruned, OfoPruned, TCPRcvQDrop, TCPZeroWindowDrop, TCPBacklogDrop",
          "netdiag (no anchor alarms on it)",
          "The sender must retransmit what was thrown away: throughput drops and latency spikes, although "
          "the network lost nothing.",
          "Make the application read faster, or give sockets more room: net.ipv4.tcp_rmem and "
          "net.core.rmem_max; for TCPBacklogDrop, shorter writes or more reader threads."},
    Check{"tcp-resets", "TCP resets sent, connection attempts failed and established connections reset", true,
          "tcp-resets", check_tcp_resets, kNeedsSnmp,
          "snmp Tcp OutRsts, AttemptFails, EstabResets",
          "Netdata's floor (10 x 5/s)",
          "RSTs sent to SYNs mean a service is down or not listening; attempts failing mean this host's "
          "clients are refused; established resets mean peers, middleboxes or applications abort "
          "connections.",
          "Find the port: `ss -s`, `tcpdump -ni any 'tcp[tcpflags] & tcp-rst != 0'`; start or fix the "
          "service, or the clients' target; for aborts check idle timeouts of load balancers and "
          "firewalls."},
    Check{"tcp-retransmits", "TCP segments retransmitted, per second and as a share of segments sent", true,
          "tcp-retransmits", check_tcp_retransmits, kNeedsSnmp,
          "snmp Tcp RetransSegs / OutSegs",
          "DESIGN",
          "Retransmits mean packets are lost on the path or in a queue; each one stalls a connection for "
          "at least a round trip.",
          "Find where packets are lost: rx-drops and nic-errors here and on the peers, `ss -ti` for the "
          "connections with retransmits, then the switches in between."},
    Check{"time-wait", "TIME_WAIT sockets against the ephemeral port range", false, "time-wait", check_time_wait,
          kNeedsSockstat,
          "sockstat tw against ip_local_port_range",
          "DESIGN",
          "Each TIME_WAIT socket holds an ephemeral port for 60 s; when a destination's ports run out, new "
          "outgoing connections fail with EADDRNOTAVAIL.",
          "Reuse connections (keep-alive, pooling); widen net.ipv4.ip_local_port_range; enable "
          "net.ipv4.tcp_tw_reuse. `netdiag fix --only port-range` plans the range."},
    Check{"time-wait-overflow", "connections closed without TIME_WAIT because tcp_max_tw_buckets was reached", true,
          "time-wait-overflow", check_time_wait_overflow, kNeedsNetstat,
          "netstat TcpExt TCPTimeWaitOverflow against tcp_max_tw_buckets",
          "netdiag",
          "Without TIME_WAIT a late segment of an old connection can corrupt a new one on the same ports "
          "(\"TCP: time wait bucket table overflow\" in dmesg).",
          "Reuse connections (keep-alive, pooling) so fewer close; raise net.ipv4.tcp_max_tw_buckets if "
          "memory allows (about 300 bytes a socket)."},
    Check{"tx-drops", "packets dropped on transmit, as a share of those sent, on physical interfaces", true,
          "tx-drops", check_tx_drops, kNeedsNetDev,
          "/proc/net/dev tx drop against tx packets, physical interfaces",
          "Netdata outbound_packets_dropped_ratio",
          "Transmit drops happen before the wire: the driver's TX ring or the queue in front of it was "
          "full, or the link went down while sending.",
          "Check the link (`ip link show IF`), the qdisc (`tc -s qdisc show dev IF`), and raise the TX "
          "ring (`ethtool -g IF`, `ethtool -G IF tx N`) or txqueuelen."},
    Check{"tx-timeouts", "NIC transmit watchdog timeouts (queues/tx-*/tx_timeout): the driver reset a hung queue",
          true, "tx-timeouts", check_tx_timeouts, kNeedsTxTimeouts,
          "queues/tx-*/tx_timeout summed, between the samples",
          "netdiag (no anchor alarms on it)",
          "The NIC stopped sending and the driver reset it: everything queued was lost and the link "
          "paused; it repeats until the cause is fixed.",
          "`dmesg | grep -i 'watchdog\\|IF'`; update the driver and firmware (`ethtool -i IF`), check for "
          "PCIe errors (`lspci -vv`, AER in dmesg)."},
    Check{"udp-buffer-errors", "UDP datagrams lost to full socket buffers (RcvbufErrors, SndbufErrors)", true,
          "udp-buffer-errors", check_udp_buffer_errors, kNeedsUdp,
          "snmp Udp/UdpLite/Udp6 RcvbufErrors, SndbufErrors",
          "DESIGN",
          "A UDP socket whose buffer is full drops datagrams silently: DNS, syslog, metrics and video lose "
          "data.",
          "Find the socket with `ss -uamp` (large Recv-Q); raise its SO_RCVBUF and net.core.rmem_max, or "
          "make the reader faster."},
    Check{"udp-memory", "UDP socket memory against udp_mem, and datagrams dropped for lack of it (MemErrors)", false,
          "udp-memory", check_udp_memory, kNeedsUdpMemory,
          "sockstat UDP mem vs udp_mem; snmp Udp MemErrors",
          "netdiag, after Netdata tcp_memory",
          "Past the pressure mark UDP sockets are held to their minimum; at the high mark every UDP socket "
          "on the host drops what it receives.",
          "Find the sockets with full receive queues (`ss -uamp`, large Recv-Q): a consumer that stopped "
          "reading; raise net.ipv4.udp_mem only with the RAM for it."},
};

}  // namespace

std::span<const Check> catalogue() { return kCatalogue; }

void sort_worst_first(std::vector<Finding>& findings) {
    std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
        if (a.severity != b.severity) return a.severity > b.severity;
        if (a.host != b.host) return a.host < b.host;
        if (a.check != b.check) return a.check < b.check;
        return a.subject < b.subject;
    });
}

namespace {

bool check_runs(const Check& check, bool have_rates, const Settings& settings) {
    if (!settings.only_checks.empty() && !settings.only_checks.count(std::string(check.id))) return false;
    return have_rates || !check.needs_rates;
}

// "/sys/class/net/veth1/speed" of an interface the NIC checks leave out is nobody's concern.
bool of_excluded_interface(std::string_view path, const Settings& settings) {
    constexpr std::string_view kNetClass = "/sys/class/net/";
    if (!starts_with(path, kNetClass)) return false;
    const auto rest = path.substr(kNetClass.size());
    return settings.is_virtual(rest.substr(0, rest.find('/')));
}

// The N of a parser's "FILE:N: what", when it names a line.
std::optional<std::string> line_of(std::string_view file, std::string_view error) {
    if (!starts_with(error, file) || error.substr(file.size(), 1) != ":") return std::nullopt;
    const auto rest = error.substr(file.size() + 1);
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos || !parse_u64(rest.substr(0, colon))) return std::nullopt;
    return std::string(rest.substr(0, colon));
}

Finding cannot_decide(const Check& check, const std::string& file, const std::string& error) {
    Finding f;
    f.check = std::string(check.id);
    f.severity = Severity::unknown;
    f.subject = file;
    f.message = fmt::format("{}; {} cannot decide without it", error, check.id);
    f.why = "The file exists but does not parse, so netdiag cannot tell whether anything is wrong here; "
            "data it could not read is never taken for all clear.";
    f.action = fmt::format("Look at {} on the host at the line named; if the kernel's format changed, report "
                           "it to netdiag with the file attached.",
                           file);
    f.details["file"] = file;
    f.details["error"] = error;
    if (auto line = line_of(file, error)) f.details["line"] = *line;
    return f;
}

}  // namespace

std::vector<Finding> unparsable_findings(const Snapshot& now, const Snapshot* before, const Settings& settings) {
    std::vector<Finding> findings;
    for (const auto& check : kCatalogue) {
        if (!check_runs(check, before != nullptr, settings)) continue;
        // A rate check compares both samples, so a file garbled in either leaves it blind.
        auto unparsable = now.unparsable;
        if (check.needs_rates && before != nullptr) {
            unparsable.insert(before->unparsable.begin(), before->unparsable.end());
        }
        for (const auto& [file, error] : unparsable) {
            if (of_excluded_interface(file, settings)) continue;
            const bool needed = std::any_of(check.needs.begin(), check.needs.end(),
                                            [&](std::string_view pattern) { return wildcard_match(pattern, file); });
            if (!needed) continue;
            findings.push_back(cannot_decide(check, file, error));
            findings.back().host = now.host;
        }
    }
    sort_worst_first(findings);
    return findings;
}

std::string sysctl_text(const Snapshot& snapshot, const std::string& name) {
    const auto found = snapshot.sysctls.find(name);
    return found == snapshot.sysctls.end() ? "not readable" : std::to_string(found->second);
}

Finding make_finding(Severity severity, std::string subject, double value, std::string unit,
                     std::optional<double> threshold) {
    Finding f;
    f.severity = severity;
    f.subject = std::move(subject);
    f.value = value;
    f.unit = std::move(unit);
    f.threshold = threshold;
    return f;
}

std::optional<std::int64_t> sockstat_value(const std::optional<SockStat>& sockstat, const std::string& section,
                                           const std::string& field) {
    if (!sockstat) return std::nullopt;
    const auto found = sockstat->find(section);
    if (found == sockstat->end()) return std::nullopt;
    const auto value = found->second.find(field);
    if (value == found->second.end()) return std::nullopt;
    return value->second;
}

std::vector<Finding> run_checks(const Snapshot& now, const Rates* rates, const Settings& settings) {
    std::vector<Finding> findings;
    const CheckInput input{now, rates, settings};
    for (const auto& check : kCatalogue) {
        if (!check_runs(check, rates != nullptr, settings)) continue;
        const auto first_new = findings.size();
        check.run(input, findings);
        for (auto i = first_new; i < findings.size(); ++i) {
            findings[i].check = std::string(check.id);
            findings[i].host = now.host;
        }
    }
    sort_worst_first(findings);
    return findings;
}

}  // namespace netdiag
