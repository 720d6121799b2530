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
                                              "/proc/softirqs", "/sys/class/net/*/statistics/rx_missed_errors"};
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
          "node-mixin NodeBondingDegraded"},
    Check{"carrier-flaps", "links going down and up (carrier_changes between the samples)", true, "carrier-flaps",
          check_carrier_flaps, kNeedsCarrierChanges,
          "/sys/class/net/IF/carrier_changes between the samples",
          "kube-prometheus NodeNetworkInterfaceFlapping (> 2 in 2m)"},
    Check{"checksum-errors", "packets arriving with bad checksums (TCP, UDP, ICMP, IP) or bad IP headers", true,
          "checksum-errors", check_checksum_errors, kNeedsIpCounters,
          "snmp Tcp/Udp/Icmp InCsumErrors, IpExt InCsumErrors, Ip InHdrErrors (and IPv6's)",
          "netdiag (no anchor alarms on it)"},
    Check{"close-wait", "sockets left in CLOSE_WAIT on a local port (the application never closes them)", false,
          "close-wait", check_close_wait, kNeedsTcpTable,
          "CLOSE_WAIT sockets by local port (sock_diag, /proc/net/tcp{,6})",
          "netdiag"},
    Check{"conntrack-drops", "connections the conntrack table refused or evicted (insert_failed, drop, early_drop)",
          true, "conntrack-drops", check_conntrack_drops, kNeedsConntrackStat,
          "/proc/net/stat/nf_conntrack insert_failed, drop, early_drop",
          "DESIGN"},
    Check{"conntrack-fill", "conntrack table entries against nf_conntrack_max", false, "conntrack-fill",
          check_conntrack_fill, kNeedsConntrackCount,
          "nf_conntrack_count / nf_conntrack_max",
          "DESIGN"},
    Check{"frag-memory", "memory held by fragments awaiting reassembly against ipfrag_high_thresh (IPv4, IPv6)",
          false, "frag-memory", check_frag_memory, kNeedsFragMemory,
          "sockstat FRAG memory, sockstat6 FRAG6 memory against ipfrag_high_thresh, ip6frag_high_thresh",
          "netdiag"},
    Check{"icmp-errors", "ICMP messages received malformed or not sent (Icmp InErrors, OutErrors)", true,
          "icmp-errors", check_icmp_errors, kNeedsIpCounters,
          "snmp Icmp InErrors, OutErrors (and Icmp6's)",
          "netdiag (Netdata charts, no alarm)"},
    Check{"ip-reassembly", "IP datagrams lost because their fragments could not be reassembled (ReasmFails)", true,
          "ip-reassembly", check_ip_reassembly, kNeedsIp,
          "snmp Ip ReasmFails (ReasmTimeout), snmp6 Ip6ReasmFails",
          "netdiag (no anchor alarms on it)"},
    Check{"link-degraded", "physical links at half duplex or below link-degraded.minimum-speed", false,
          "link-degraded", check_link_degraded, kNeedsLinkMode,
          "speed, duplex of physical interfaces that are up",
          "Zabbix \"lower speed\"; half duplex is always a fault"},
    Check{"link-down", "interfaces administratively up without a link (no carrier)", false, "",
          check_link_down, kNeedsLinkState,
          "flags (IFF_UP) with carrier 0 (or operstate down)",
          "Zabbix \"Link down\""},
    Check{"listen-overflows", "connections dropped because a listen queue was full (ListenOverflows, ListenDrops)",
          true, "listen-overflows", check_listen_overflows, kNeedsNetstat,
          "netstat TcpExt ListenOverflows, ListenDrops; names the listener with a full accept queue",
          "DESIGN"},
    Check{"mtu-mismatch", "devices with a larger MTU than the device under them (VLAN, bond, macvlan)", false,
          "", check_mtu_mismatch, kNeedsMtu,
          "mtu of a device and of its lower_* devices",
          "netdiag"},
    Check{"neigh-table", "neighbour (ARP/NDP) table overflows (table_fulls) and entries against gc_thresh3", false,
          "neigh-table", check_neigh_table, kNeedsNeighbours,
          "/proc/net/stat/{arp,ndisc}_cache table_fulls (summed), entries vs gc_thresh3",
          "netdiag (no anchor alarms on it)"},
    Check{"nic-errors", "receive and transmit errors on physical interfaces", true, "nic-errors", check_nic_errors,
          kNeedsNetDev,
          "/proc/net/dev rx/tx errors, physical interfaces",
          "DESIGN"},
    Check{"nic-saturation", "throughput against link speed on physical interfaces", true, "nic-saturation",
          check_nic_saturation, kNeedsLinkSpeed,
          "/proc/net/dev bytes (as bits) against speed",
          "DESIGN"},
    Check{"no-route", "packets dropped for lack of a route (OutNoRoutes, InNoRoutes)", true, "no-route",
          check_no_route, kNeedsIpCounters,
          "snmp Ip OutNoRoutes, IpExt InNoRoutes (and IPv6's)",
          "netdiag"},
    Check{"packet-storm", "received packets far above the interface's long-run rate", true, "packet-storm",
          check_packet_storm, kNeedsStorm,
          "/proc/net/dev rx packets against the interface's rate since boot (floor 1000/s)",
          "Netdata 10s_received_packets_storm"},
    Check{"qdisc-drops", "packets dropped by the egress queueing discipline (tc -s qdisc)", true, "qdisc-drops",
          check_qdisc_drops, kNeedsQdisc,
          "the root qdisc's drops (rtnetlink locally, tc -s qdisc over SSH)",
          "Netdata 10min_qos_packet_drops"},
    Check{"rp-filter", "packets dropped by reverse-path filtering (IPReversePathFilter), with the strict interfaces",
          true, "rp-filter", check_rp_filter, kNeedsRpFilter,
          "netstat TcpExt IPReversePathFilter, with the interfaces whose effective rp_filter is strict",
          "netdiag"},
    Check{"rx-drops", "packets dropped on receive, with the cause diagnosed from softnet and softirq load", true,
          "rx-drops", check_rx_drops, kNeedsRxDrops,
          "/proc/net/dev rx_dropped, rx_missed_errors; cause from softnet_stat, /proc/stat, softirqs, ring sizes",
          "DESIGN"},
    Check{"softnet-backlog", "packets dropped because a CPU's input backlog was full (netdev_max_backlog)", true,
          "softnet-backlog", check_softnet_backlog, kNeedsSoftnet,
          "/proc/net/softnet_stat dropped",
          "DESIGN"},
    Check{"syn-queue", "SYNs that found a listener's SYN queue full: SYN cookies sent or SYNs dropped", true,
          "syn-queue", check_syn_queue, kNeedsNetstat,
          "netstat TcpExt TCPReqQFullDoCookies + TCPReqQFullDrop; names the port holding the SYN_RECV sockets and its backlog",
          "Netdata 1m_tcp_syn_queue_*"},
    Check{"tcp-aborts", "connections aborted when a retransmission, keepalive or probe timer ran out", true,
          "tcp-aborts", check_tcp_aborts, kNeedsNetstat,
          "netstat TcpExt TCPAbortOnTimeout",
          "netdiag (Netdata charts, no alarm)"},
    Check{"tcp-memory", "TCP memory pressure and aborts (TCPMemoryPressures, TCPAbortOnMemory), orphans against "
          "tcp_max_orphans", false, "tcp-memory", check_tcp_memory, kNeedsTcpMemory,
          "sockstat TCP mem vs tcp_mem; TcpExt TCPMemoryPressures, TCPAbortOnMemory; sockstat orphan vs tcp_max_orphans",
          "Netdata tcp_memory, tcp_orphans"},
    Check{"tcp-receive-drops", "TCP segments thrown away on receive: pruned, at a full queue or zero window, or "
          "while the socket was busy", true, "tcp-receive-drops", check_tcp_receive_drops, kNeedsNetstat,
          "netstat TcpExt RcvPruned, OfoPruned, TCPRcvQDrop, TCPZeroWindowDrop, TCPBacklogDrop",
          "netdiag (no anchor alarms on it)"},
    Check{"tcp-resets", "TCP resets sent, connection attempts failed and established connections reset", true,
          "tcp-resets", check_tcp_resets, kNeedsSnmp,
          "snmp Tcp OutRsts, AttemptFails, EstabResets",
          "Netdata's floor (10 x 5/s)"},
    Check{"tcp-retransmits", "TCP segments retransmitted, per second and as a share of segments sent", true,
          "tcp-retransmits", check_tcp_retransmits, kNeedsSnmp,
          "snmp Tcp RetransSegs / OutSegs",
          "DESIGN"},
    Check{"time-wait", "TIME_WAIT sockets against the ephemeral port range", false, "time-wait", check_time_wait,
          kNeedsSockstat,
          "sockstat tw against ip_local_port_range",
          "DESIGN"},
    Check{"time-wait-overflow", "connections closed without TIME_WAIT because tcp_max_tw_buckets was reached", true,
          "time-wait-overflow", check_time_wait_overflow, kNeedsNetstat,
          "netstat TcpExt TCPTimeWaitOverflow against tcp_max_tw_buckets",
          "netdiag"},
    Check{"tx-drops", "packets dropped on transmit, as a share of those sent, on physical interfaces", true,
          "tx-drops", check_tx_drops, kNeedsNetDev,
          "/proc/net/dev tx drop against tx packets, physical interfaces",
          "Netdata outbound_packets_dropped_ratio"},
    Check{"tx-timeouts", "NIC transmit watchdog timeouts (queues/tx-*/tx_timeout): the driver reset a hung queue",
          true, "tx-timeouts", check_tx_timeouts, kNeedsTxTimeouts,
          "queues/tx-*/tx_timeout summed, between the samples",
          "netdiag (no anchor alarms on it)"},
    Check{"udp-buffer-errors", "UDP datagrams lost to full socket buffers (RcvbufErrors, SndbufErrors)", true,
          "udp-buffer-errors", check_udp_buffer_errors, kNeedsUdp,
          "snmp Udp/UdpLite/Udp6 RcvbufErrors, SndbufErrors",
          "DESIGN"},
    Check{"udp-memory", "UDP socket memory against udp_mem, and datagrams dropped for lack of it (MemErrors)", false,
          "udp-memory", check_udp_memory, kNeedsUdpMemory,
          "sockstat UDP mem vs udp_mem; snmp Udp MemErrors",
          "netdiag, after Netdata tcp_memory"},
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
