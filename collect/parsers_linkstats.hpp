// Pure parsers for egress qdisc statistics and NIC ring sizes: the text of `tc -s qdisc show` and
// `ethtool -g IF`, and the datagrams of an rtnetlink qdisc dump. Nothing here does I/O; `source`
// only names the origin in errors ("tc -s qdisc show:7: ...").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collect/snapshot.hpp"
#include "common/result.hpp"

namespace netdiag {

// More qdiscs than this in one answer is refused as garbage (a busy Kubernetes node has a few
// thousand: one or two per veth).
inline constexpr std::size_t kMaxQdiscs = 100'000;

// What a host says of its egress qdiscs and NIC rings (Transport::read_link_stats).
struct LinkStats {
    // nullopt: the host cannot tell (no `tc` there, the dump failed); `problems` says why.
    std::optional<std::vector<QdiscStats>> qdiscs;
    // Ring sizes by interface name, for the interfaces asked about whose driver reports them (veth,
    // lo and bridges do not: they are simply absent). nullopt: the host cannot tell (no `ethtool`).
    std::optional<std::map<std::string, RingSizes>> rings;

    struct Problem {
        std::string subject;  // kQdiscsSubject, kRingsSubject or ring_subject(interface)
        std::string reason;
        bool unparsable = false;  // there was an answer, and it did not parse
    };
    std::vector<Problem> problems;
};

// Names of the parts in LinkStats::problems and in Snapshot::unavailable / unparsable: the qdisc
// table, ring sizes as a whole (no `ethtool` on the host), one interface's ring sizes.
inline constexpr std::string_view kQdiscsSubject = "qdiscs";
inline constexpr std::string_view kRingsSubject = "rings";
inline std::string ring_subject(std::string_view interface) { return "rings:" + std::string(interface); }

// TC_H_INGRESS: the parent of the ingress and clsact qdiscs. They are left out everywhere: they
// queue nothing, their "Sent" counts received packets and their drops are policer drops, so an
// egress check would misread them.
inline constexpr std::uint32_t kIngressParent = 0xFFFFFFF1U;

// Handles as tc prints them: "1:" for a qdisc handle; "root", "1:2", ":1", "1:" for a parent.
std::string format_qdisc_handle(std::uint32_t handle);
std::string format_qdisc_parent(std::uint32_t parent);

// `tc -s qdisc show` (iproute2 3.x to 6.x): a "qdisc KIND HANDLE: dev IF (root|parent ID) ..." line,
// then " Sent B bytes P pkt (dropped D, overlimits O requeues R)" and " [rate ...] backlog Xb Pp
// requeues R"; other indented lines (per-kind extras) are skipped. Backlog sizes printed as "12Kb"
// or "3Mb" are tc's rounding of the byte count (within 16 bytes resp. 1 KiB): converted back by
// 1024 and 1024*1024. Ingress and clsact qdiscs are left out (kIngressParent).
Result<std::vector<QdiscStats>> parse_tc_qdisc_stats(std::string_view text, std::string_view source);

// `ethtool -g IF`, both the ioctl printer (numbers) and the netlink one (5.6+, "n/a" for a ring the
// driver does not report, extra lines such as "RX Buf Len:"). "n/a" reads as 0, which is what
// ETHTOOL_GRINGPARAM returns for it, so the local and remote answers agree.
Result<RingSizes> parse_ethtool_rings(std::string_view text, std::string_view source);

// One datagram of an rtnetlink RTM_GETQDISC dump (RTM_NEWQDISC messages), added to `into` with
// interface names from `interface_names` (by ifindex). Uses TCA_STATS2 (TCA_STATS_BASIC,
// TCA_STATS_PKT64, TCA_STATS_QUEUE), else the old TCA_STATS. A qdisc of an interface that is not
// in the map (gone since the names were read) and ingress/clsact qdiscs are skipped. Returns
// whether the dump is complete (NLMSG_DONE); a kernel error or a truncated message is an error.
Result<bool> add_qdisc_dump_datagram(std::string_view datagram, const std::map<int, std::string>& interface_names,
                                     std::vector<QdiscStats>& into, std::string_view source);

// One interface as an rtnetlink link dump (RTM_GETLINK) tells it: the values a sample otherwise
// reads from /sys/class/net/IF/{flags,mtu,operstate,carrier,carrier_changes,statistics/rx_missed_errors,
// statistics/rx_fifo_errors} and
// /proc/sys/net/ipv4/conf/IF/rp_filter, each as those files would show it.
struct LinkState {
    std::string name;
    std::int64_t flags = 0;                         // IFF_*, without the computed RUNNING/LOWER_UP/DORMANT
    std::optional<std::int64_t> mtu;
    std::optional<std::string> operstate;           // "up", "down", "lowerlayerdown", ...
    std::optional<bool> carrier;                    // only while the interface is up, as sysfs says it
    std::optional<std::uint64_t> carrier_changes;   // Linux 3.15+
    std::optional<std::int64_t> rp_filter;          // IPv4 devconf; absent without IPv4 on the interface
    std::optional<std::uint64_t> rx_missed_errors, rx_fifo_errors;  // IFLA_STATS64, as statistics/ shows them
};

// More interfaces than this in one dump is refused as garbage (a big Kubernetes node has a few
// thousand veths).
inline constexpr std::size_t kMaxLinks = 100'000;

// One datagram of an RTM_GETLINK dump (RTM_NEWLINK messages), added to `into`. Returns whether the
// dump is complete (NLMSG_DONE); a kernel error, a truncated message or a nameless link is an error.
Result<bool> add_link_dump_datagram(std::string_view datagram, std::vector<LinkState>& into, std::string_view source);

}  // namespace netdiag
