// The IP layer and the tables under it: neighbours, reverse-path filtering, damaged packets, ICMP,
// routes, and the memory UDP and fragment reassembly may use.
#include <fmt/format.h>

#include "checks/catalogue.hpp"

namespace netdiag {
namespace {

double snmp6_value(const Rates& rates, const std::string& section, const std::string& field) {
    const auto found = rates.snmp6.find(section);
    if (found == rates.snmp6.end()) return 0;
    const auto value = found->second.find(field);
    return value == found->second.end() ? 0 : value->second;
}

struct NeighbourFamily {
    const char* family;  // the finding's subject
    const char* file;
    const std::optional<NeighbourTable>* table;
    const std::optional<double>* fulls_per_second;
    std::string sysctl_prefix;  // "net.ipv4.neigh.default."
};

}  // namespace

// A full neighbour table: the kernel cannot add an entry (table_fulls, "neighbor table overflow!" in
// dmesg) and packets to that neighbour are dropped. The table is shared by every network
// namespace. Kernels before table_fulls existed are judged by entries against gc_thresh3.
void check_neigh_table(const CheckInput& in, std::vector<Finding>& out) {
    const std::optional<double> no_rates;
    const NeighbourFamily families[] = {
        {"ipv4", "/proc/net/stat/arp_cache", &in.now.arp_cache, in.rates ? &in.rates->arp_table_fulls : &no_rates,
         "net.ipv4.neigh.default."},
        {"ipv6", "/proc/net/stat/ndisc_cache", &in.now.ndisc_cache,
         in.rates ? &in.rates->ndisc_table_fulls : &no_rates, "net.ipv6.neigh.default."},
    };
    const double warning = in.settings.threshold("neigh-table.warning");
    const double critical = in.settings.threshold("neigh-table.critical");
    for (const auto& family : families) {
        if (!*family.table) continue;
        const auto& table = **family.table;
        const auto limit = in.now.sysctls.find(family.sysctl_prefix + "gc_thresh3");
        const double share = limit != in.now.sysctls.end() && limit->second > 0
                                 ? 100.0 * static_cast<double>(table.entries) / static_cast<double>(limit->second)
                                 : 0;
        const double overflows = family.fulls_per_second->value_or(0);
        if (overflows <= 0 && share < warning) continue;
        Finding f;
        f.severity = overflows > 0 || share >= critical ? Severity::critical : Severity::warning;
        f.subject = family.family;
        f.fix = "neigh-table";
        const std::string entries = fmt::format("{} entries against gc_thresh3 {}", table.entries,
                                                sysctl_text(in.now, family.sysctl_prefix + "gc_thresh3"));
        if (overflows > 0) {
            f.value = overflows;
            f.unit = "/s";
            f.threshold = 0;
            f.message = fmt::format("the {} neighbour table overflowed {:.1f} times/s (table_fulls in {}); {}",
                                    family.family, overflows, family.file, entries);
        } else {
            f.value = share;
            f.unit = "%";
            f.threshold = share >= critical ? critical : warning;
            f.message = fmt::format("the {} neighbour table is {:.0f}% full: {}{}", family.family, share, entries,
                                    table.table_fulls ? "" : " (this kernel does not count overflows)");
        }
        f.why = "When the table is full new neighbours cannot be resolved: packets to them are dropped (\"neighbour "
                "table overflow\" in dmesg). Big flat L2 networks, many containers and Kubernetes nodes outgrow the "
                "default limits; the table is shared by every network namespace.";
        f.action = fmt::format("Raise {0}gc_thresh1/2/3 (now {1}/{2}/{3}) above the entries seen; `netdiag fix "
                               "--only neigh-table` plans it. `ip -s neigh` shows who fills it.",
                               family.sysctl_prefix, sysctl_text(in.now, family.sysctl_prefix + "gc_thresh1"),
                               sysctl_text(in.now, family.sysctl_prefix + "gc_thresh2"),
                               sysctl_text(in.now, family.sysctl_prefix + "gc_thresh3"));
        f.details["entries"] = std::to_string(table.entries);
        out.push_back(std::move(f));
    }
}

// Packets dropped by reverse-path filtering (TcpExt IPReversePathFilter): with strict rp_filter a
// packet arriving on an interface that is not the route back to its source is discarded.
void check_rp_filter(const CheckInput& in, std::vector<Finding>& out) {
    const double drops = in.rates->netstat_value("TcpExt", "IPReversePathFilter");
    const double warning = in.settings.threshold("rp-filter.warning");
    if (drops <= warning) return;
    // The effective value is the larger of conf/all and the interface's own.
    const auto all = in.now.sysctls.find("net.ipv4.conf.all.rp_filter");
    const std::int64_t all_value = all == in.now.sysctls.end() ? 0 : all->second;
    std::string strict;
    for (const auto& info : in.now.interfaces) {
        if (!info.rp_filter || info.name == "lo") continue;
        if (std::max(all_value, *info.rp_filter) == 1) strict += (strict.empty() ? "" : ", ") + info.name;
    }
    Finding f = make_finding(Severity::warning, "rp_filter", drops, "/s", warning);
    f.message = fmt::format("{:.1f} packets/s dropped by reverse-path filtering (IPReversePathFilter); "
                            "net.ipv4.conf.all.rp_filter is {}; strict (1) on: {}",
                            drops, sysctl_text(in.now, "net.ipv4.conf.all.rp_filter"), strict.empty() ? "none" : strict);
    f.why = "Strict reverse-path filtering drops traffic that arrives on a different interface than the route "
            "back to its sender: asymmetric routing, multi-homed hosts and policy routing lose packets silently.";
    f.action = "Turn on `net.ipv4.conf.all.log_martians=1` briefly to see the sources; use loose mode "
               "(`rp_filter=2`) on the interfaces that receive asymmetric traffic, or fix the routes.";
    f.details["strict_interfaces"] = strict;
    out.push_back(std::move(f));
}

// Packets damaged in transit or by a faulty offload: bad checksums (TCP, UDP, ICMP, IP) and bad IP
// headers. None of the anchors alarm; node_exporter collects Tcp InErrs.
void check_checksum_errors(const CheckInput& in, std::vector<Finding>& out) {
    const Rates& r = *in.rates;
    const double tcp = r.snmp_value("Tcp", "InCsumErrors");
    const double udp = r.snmp_value("Udp", "InCsumErrors") + snmp6_value(r, "Udp6", "Udp6InCsumErrors");
    const double icmp = r.snmp_value("Icmp", "InCsumErrors") + snmp6_value(r, "Icmp6", "Icmp6InCsumErrors");
    const double ip = r.netstat_value("IpExt", "InCsumErrors");
    const double headers = r.snmp_value("Ip", "InHdrErrors") + snmp6_value(r, "Ip6", "Ip6InHdrErrors");
    const double value = tcp + udp + icmp + ip + headers;
    const double warning = in.settings.threshold("checksum-errors.warning");
    if (value <= warning) return;
    Finding f = make_finding(Severity::warning, "ip", value, "/s", warning);
    f.message = fmt::format("{:.1f} packets/s arrived damaged: bad checksums TCP {:.1f}/s, UDP {:.1f}/s, ICMP "
                            "{:.1f}/s, IP {:.1f}/s; bad IP headers {:.1f}/s",
                            value, tcp, udp, icmp, ip, headers);
    f.why = "Damaged packets are dropped and resent (or lost, for UDP): a failing cable, NIC or switch, or a "
            "checksum offload bug.";
    f.action = "Look for the interface with CRC errors (`ethtool -S IF | grep -i crc`, `ip -s -s link`); try "
               "with offloads off (`ethtool -K IF rx off tx off`) to rule out a driver bug.";
    out.push_back(std::move(f));
}

// ICMP messages that were malformed on arrival or could not be sent (Icmp InErrors/OutErrors, and
// IPv6's). Netdata charts them without an alarm.
void check_icmp_errors(const CheckInput& in, std::vector<Finding>& out) {
    const Rates& r = *in.rates;
    const double in_errors = r.snmp_value("Icmp", "InErrors") + snmp6_value(r, "Icmp6", "Icmp6InErrors");
    const double out_errors = r.snmp_value("Icmp", "OutErrors") + snmp6_value(r, "Icmp6", "Icmp6OutErrors");
    const double value = in_errors + out_errors;
    const double warning = in.settings.threshold("icmp-errors.warning");
    if (value <= warning) return;
    Finding f = make_finding(Severity::warning, "icmp", value, "/s", warning);
    f.message = fmt::format("{:.1f} ICMP errors/s: {:.1f}/s received malformed, {:.1f}/s could not be sent; "
                            "destination unreachable {:.1f}/s in, {:.1f}/s out; TTL exceeded {:.1f}/s in",
                            value, in_errors, out_errors, r.snmp_value("Icmp", "InDestUnreachs"),
                            r.snmp_value("Icmp", "OutDestUnreachs"), r.snmp_value("Icmp", "InTimeExcds"));
    f.why = "ICMP carries the network's error reports (unreachable, fragmentation needed, TTL exceeded); when "
            "they are damaged or cannot be sent, path MTU discovery and failure detection break.";
    f.action = "`nstat -az | grep -i icmp` for the types; look for a routing loop (TTL exceeded), ICMP rate "
               "limits (net.ipv4.icmp_ratelimit) or filtering of ICMP on the path.";
    out.push_back(std::move(f));
}

// Packets with nowhere to go: sent with no route (Ip OutNoRoutes) or received for a destination
// this host cannot route (IpExt InNoRoutes).
void check_no_route(const CheckInput& in, std::vector<Finding>& out) {
    const Rates& r = *in.rates;
    const double sent = r.snmp_value("Ip", "OutNoRoutes") + snmp6_value(r, "Ip6", "Ip6OutNoRoutes");
    const double received = r.netstat_value("IpExt", "InNoRoutes") + snmp6_value(r, "Ip6", "Ip6InNoRoutes");
    const double value = sent + received;
    const double warning = in.settings.threshold("no-route.warning");
    if (value <= warning) return;
    Finding f = make_finding(Severity::warning, "routes", value, "/s", warning);
    f.message = fmt::format("{:.1f} packets/s dropped for lack of a route: {:.1f}/s this host tried to send, "
                            "{:.1f}/s it received and could not forward",
                            value, sent, received);
    f.why = "Applications get \"Network is unreachable\" or their traffic vanishes: a missing default or "
            "policy route, an interface that went away, or forwarding disabled on a router.";
    f.action = "`ip route show table all` and `ip rule`; `ip route get ADDRESS` for a destination that fails; "
               "check net.ipv4.ip_forward on routers.";
    out.push_back(std::move(f));
}

// UDP's memory (sockstat "UDP: ... mem N" pages) against net.ipv4.udp_mem, like Netdata's
// tcp_memory: warning past the pressure mark, critical past a share of the high mark; and
// datagrams dropped for lack of it (Udp MemErrors, Linux 5.2+).
void check_udp_memory(const CheckInput& in, std::vector<Finding>& out) {
    const auto limits = in.now.sysctl_lists.find("net.ipv4.udp_mem");
    const auto used = sockstat_value(in.now.sockstat, "UDP", "mem");
    const double mem_errors = in.rates ? in.rates->snmp_value("Udp", "MemErrors") : 0;
    const double critical_share = in.settings.threshold("udp-memory.critical");
    const bool have_level = limits != in.now.sysctl_lists.end() && limits->second.size() == 3 && used &&
                            limits->second[2] > 0;
    const double pages = used ? static_cast<double>(*used) : 0;
    const bool over = have_level && pages > static_cast<double>(limits->second[1]);
    if (!over && mem_errors <= 0) return;
    Finding f;
    f.subject = "udp_mem";
    if (have_level) {
        const double share = 100 * pages / static_cast<double>(limits->second[2]);
        f.severity = share >= critical_share || mem_errors > 0 ? Severity::critical : Severity::warning;
        f.value = share;
        f.unit = "%";
        f.threshold = share >= critical_share ? critical_share
                                              : 100 * static_cast<double>(limits->second[1]) / limits->second[2];
        f.message = fmt::format("UDP sockets hold {} pages, {:.0f}% of net.ipv4.udp_mem's high mark ({} {} {})",
                                *used, share, limits->second[0], limits->second[1], limits->second[2]);
    } else {
        f.severity = Severity::critical;
        f.value = mem_errors;
        f.unit = "/s";
        f.message = "UDP memory is exhausted";
    }
    if (mem_errors > 0) f.message += fmt::format("; {:.1f} datagrams/s dropped for lack of memory (MemErrors)", mem_errors);
    f.why = "Past the pressure mark UDP sockets are held to their minimum; at the high mark every UDP socket "
            "on the host drops what it receives.";
    f.action = "Find the sockets with full receive queues (`ss -uamp`, large Recv-Q): a consumer that stopped "
               "reading; raise net.ipv4.udp_mem only with the RAM for it.";
    out.push_back(std::move(f));
}

// Memory held by fragments waiting for reassembly (sockstat FRAG / sockstat6 FRAG6 "memory", bytes)
// against ipfrag_high_thresh: at the limit every new fragment is dropped.
void check_frag_memory(const CheckInput& in, std::vector<Finding>& out) {
    struct Family {
        const char* name;
        std::optional<std::int64_t> used;
        const char* sysctl;
    };
    const Family families[] = {
        {"ipv4", sockstat_value(in.now.sockstat, "FRAG", "memory"), "net.ipv4.ipfrag_high_thresh"},
        {"ipv6", sockstat_value(in.now.sockstat6, "FRAG6", "memory"), "net.ipv6.ip6frag_high_thresh"},
    };
    const double warning = in.settings.threshold("frag-memory.warning");
    const double critical = in.settings.threshold("frag-memory.critical");
    for (const auto& family : families) {
        const auto limit = in.now.sysctls.find(family.sysctl);
        if (!family.used || limit == in.now.sysctls.end() || limit->second <= 0) continue;
        const double share = 100.0 * static_cast<double>(*family.used) / static_cast<double>(limit->second);
        if (share < warning) continue;
        Finding f = make_finding(share >= critical ? Severity::critical : Severity::warning,
                                 fmt::format("{} fragments", family.name), share, "%",
                                 share >= critical ? critical : warning);
        f.message = fmt::format("{} bytes of {} fragments wait for reassembly, {:.0f}% of {} ({})", *family.used,
                                family.name, share, family.sysctl, limit->second);
        f.why = "At the limit every new fragment is dropped, so every fragmented datagram is lost until old ones "
                "time out: a fragment flood or lossy fragmented traffic.";
        f.action = fmt::format("Find the fragmented traffic (`tcpdump -ni any 'ip[6:2] & 0x3fff != 0'`); avoid "
                               "fragmenting (MTU, EDNS buffer size); raise {} (now {}) or lower ipfrag_time.",
                               family.sysctl, limit->second);
        out.push_back(std::move(f));
    }
}

}  // namespace netdiag
