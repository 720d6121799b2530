#include "prometheus/availability.hpp"

#include <algorithm>

namespace netdiag {
namespace {

using S = std::string_view;
constexpr S kNone[] = {""};
constexpr S kCarrierChanges[] = {"node_network_carrier_changes_total"};
constexpr S kChecksum[] = {"node_netstat_Ip_InHdrErrors", "node_netstat_Tcp_InCsumErrors"};
constexpr S kConntrackStat[] = {"node_nf_conntrack_stat_drop", "node_nf_conntrack_stat_early_drop",
                                "node_nf_conntrack_stat_insert_failed"};
constexpr S kConntrackFill[] = {"node_nf_conntrack_entries", "node_nf_conntrack_entries_limit"};
constexpr S kIcmp[] = {"node_netstat_Icmp_OutErrors"};
constexpr S kReassembly[] = {"node_netstat_Ip_ReasmFails"};
constexpr S kLinkMode[] = {"node_network_info", "node_network_speed_bytes"};
constexpr S kLinkState[] = {"node_network_info", "node_network_carrier"};
constexpr S kListen[] = {"node_netstat_TcpExt_ListenOverflows"};
constexpr S kNicErrors[] = {"node_network_receive_errs_total", "node_network_transmit_errs_total"};
constexpr S kSaturation[] = {"node_network_receive_bytes_total", "node_network_transmit_bytes_total"};
constexpr S kStorm[] = {"node_network_receive_packets_total", "node_boot_time_seconds", "node_time_seconds"};
constexpr S kNoRoute[] = {"node_netstat_Ip_OutNoRoutes", "node_netstat_IpExt_InNoRoutes"};
constexpr S kRxDrops[] = {"node_network_receive_drop_total"};
constexpr S kSoftnet[] = {"node_softnet_dropped_total"};
constexpr S kSynQueue[] = {"node_netstat_TcpExt_TCPReqQFullDoCookies", "node_netstat_TcpExt_TCPReqQFullDrop"};
constexpr S kAborts[] = {"node_netstat_TcpExt_TCPAbortOnTimeout"};
constexpr S kReceiveDrops[] = {"node_netstat_TcpExt_RcvPruned", "node_netstat_TcpExt_TCPRcvQDrop"};
constexpr S kResets[] = {"node_netstat_Tcp_AttemptFails", "node_netstat_Tcp_EstabResets"};
constexpr S kRetransmits[] = {"node_netstat_Tcp_RetransSegs", "node_netstat_Tcp_OutSegs"};
constexpr S kTimeWait[] = {"node_sockstat_TCP_tw"};
constexpr S kTimeWaitOverflow[] = {"node_netstat_TcpExt_TCPTimeWaitOverflow"};
constexpr S kTxDrops[] = {"node_network_transmit_drop_total"};
constexpr S kUdpBuffers[] = {"node_netstat_Udp_RcvbufErrors"};

constexpr std::span<const S> none() { return std::span<const S>(kNone, 0); }

// The netstat counters named here are outside node_exporter's default --collector.netstat.fields:
// an instance whose node_exporter exports them gets the check answered.
constexpr PrometheusCoverage kCoverage[] = {
    {"bond-degraded", none(),
     "which bond slave is down (node_bonding_active counts slaves without naming them; `netdiag rules` "
     "alerts on the count)"},
    {"carrier-flaps", kCarrierChanges, ""},
    {"checksum-errors", kChecksum, "InCsumErrors and InHdrErrors (--collector.netstat.fields)"},
    {"close-wait", none(), "CLOSE_WAIT sockets by local port (no collector has them)"},
    {"conntrack-drops", kConntrackStat, ""},
    {"conntrack-fill", kConntrackFill, ""},
    {"frag-memory", none(), "ipfrag_high_thresh, ip6frag_high_thresh (--collector.sysctl, node_exporter 1.7+)"},
    {"icmp-errors", kIcmp, "Icmp_OutErrors, Icmp6_OutErrors (--collector.netstat.fields)"},
    {"ip-reassembly", kReassembly, "Ip_ReasmFails, Ip6_ReasmFails (--collector.netstat.fields)"},
    {"link-degraded", kLinkMode, ""},
    {"link-down", kLinkState, ""},
    {"listen-overflows", kListen, ""},
    {"mtu-mismatch", none(), "which device sits on which (lower_*; no collector has it)"},
    {"neigh-table", none(), "table_fulls and gc_thresh3 (node_arp_entries alone has no limit)"},
    {"nic-errors", kNicErrors, ""},
    {"nic-saturation", kSaturation, ""},
    {"no-route", kNoRoute, "Ip_OutNoRoutes, IpExt_InNoRoutes, Ip6_*NoRoutes (--collector.netstat.fields)"},
    {"packet-storm", kStorm, ""},
    {"qdisc-drops", none(), "qdisc statistics (--collector.qdisc)"},
    {"rp-filter", none(), "TcpExt_IPReversePathFilter (--collector.netstat.fields) and rp_filter"},
    {"rx-drops", kRxDrops, ""},
    {"softnet-backlog", kSoftnet, ""},
    {"syn-queue", kSynQueue, "TcpExt_TCPReqQFullDoCookies, TcpExt_TCPReqQFullDrop (--collector.netstat.fields)"},
    {"tcp-aborts", kAborts, "TcpExt_TCPAbortOnTimeout (--collector.netstat.fields)"},
    {"tcp-memory", none(),
     "tcp_mem, tcp_max_orphans (--collector.sysctl), TcpExt_TCPMemoryPressures, TcpExt_TCPAbortOnMemory "
     "(--collector.netstat.fields)"},
    {"tcp-receive-drops", kReceiveDrops,
     "TcpExt_RcvPruned, OfoPruned, TCPRcvQDrop, TCPZeroWindowDrop, TCPBacklogDrop (--collector.netstat.fields)"},
    {"tcp-resets", kResets, "Tcp_AttemptFails, Tcp_EstabResets (--collector.netstat.fields)"},
    {"tcp-retransmits", kRetransmits, ""},
    {"time-wait", kTimeWait, ""},
    {"time-wait-overflow", kTimeWaitOverflow, "TcpExt_TCPTimeWaitOverflow (--collector.netstat.fields)"},
    {"tx-drops", kTxDrops, ""},
    {"tx-timeouts", none(), "queues/tx-*/tx_timeout (no collector has it)"},
    {"udp-buffer-errors", kUdpBuffers, ""},
    {"udp-memory", none(), "udp_mem (--collector.sysctl) and Udp_MemErrors (--collector.netstat.fields)"},
};

}  // namespace

std::span<const PrometheusCoverage> prometheus_coverage() { return kCoverage; }

const PrometheusCoverage* find_prometheus_coverage(std::string_view check) {
    const auto found = std::lower_bound(std::begin(kCoverage), std::end(kCoverage), check,
                                        [](const PrometheusCoverage& entry, std::string_view id) { return entry.check < id; });
    return found != std::end(kCoverage) && found->check == check ? found : nullptr;
}

}  // namespace netdiag
