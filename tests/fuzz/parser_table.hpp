// Every parser by name, with a /proc or /sys file to seed it: shared by the libFuzzer target and the
// bounded mutation test, so a new parser gets both by adding one line here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "collect/parsers.hpp"
#include "collect/parsers_linkstats.hpp"

namespace netdiag::fuzz {

struct ParserEntry {
    std::string_view name;
    std::string_view seed_path;  // relative to a captured tree
    // Runs the parser; returns the error message, or "" when the text parsed.
    std::string (*run)(std::string_view text);
};

template <class T>
std::string message_of(const Result<T>& result) {
    return result.ok() ? std::string() : result.error().message;
}

inline const std::vector<ParserEntry>& parser_table() {
    static const std::vector<ParserEntry> table = {
        {"auxv", "", [](std::string_view t) { return message_of(parse_auxv(t, "F")); }},
        {"cpu_list", "sys/devices/system/cpu/online", [](std::string_view t) { return message_of(parse_cpu_list(t, "F")); }},
        {"cpu_mask", "proc/irq/27/smp_affinity", [](std::string_view t) { return message_of(parse_cpu_mask(t, "F")); }},
        {"ethtool_rings", "", [](std::string_view t) { return message_of(parse_ethtool_rings(t, "F")); }},
        {"hex_flags", "sys/class/net/eth0/flags", [](std::string_view t) { return message_of(parse_hex_flags(t, "F")); }},
        {"int_list", "proc/sys/net/ipv4/tcp_mem", [](std::string_view t) { return message_of(parse_int_list(t, "F")); }},
        {"interrupts", "proc/interrupts", [](std::string_view t) { return message_of(parse_interrupts(t, "F")); }},
        {"meminfo", "proc/meminfo", [](std::string_view t) { return message_of(parse_meminfo_total(t, "F")); }},
        {"neighbour_stat", "proc/net/stat/arp_cache",
         [](std::string_view t) { return message_of(parse_neighbour_stat(t, "F")); }},
        {"net_dev", "proc/net/dev", [](std::string_view t) { return message_of(parse_net_dev(t, "F")); }},
        {"nf_conntrack_stat", "proc/net/stat/nf_conntrack",
         [](std::string_view t) { return message_of(parse_nf_conntrack_stat(t, "F")); }},
        {"port_range", "proc/sys/net/ipv4/ip_local_port_range",
         [](std::string_view t) { return message_of(parse_port_range(t, "F")); }},
        {"proc_net_tcp", "proc/net/tcp", [](std::string_view t) { return message_of(parse_proc_net_tcp(t, "F")); }},
        {"proc_stat", "proc/stat", [](std::string_view t) { return message_of(parse_proc_stat(t, "F")); }},
        {"qdisc_dump", "",
         [](std::string_view t) {
             std::vector<QdiscStats> qdiscs;
             return message_of(add_qdisc_dump_datagram(t, {{1, "lo"}}, qdiscs, "F"));
         }},
        {"single_int", "proc/sys/net/core/netdev_max_backlog",
         [](std::string_view t) { return message_of(parse_single_int(t, "F")); }},
        {"single_word", "sys/class/net/eth1/operstate",
         [](std::string_view t) { return message_of(parse_single_word(t, "F")); }},
        {"snmp", "proc/net/snmp", [](std::string_view t) { return message_of(parse_snmp(t, "F")); }},
        {"snmp6", "proc/net/snmp6", [](std::string_view t) { return message_of(parse_snmp6(t, "F")); }},
        {"sock_diag", "netlink/sock_diag_tcp",
         [](std::string_view t) {
             TcpSockets sockets;
             return message_of(add_sock_diag_datagram(t, sockets, "F"));
         }},
        {"rtnl_link", "netlink/rtnl_link",
         [](std::string_view t) {
             std::vector<LinkState> links;
             return message_of(add_link_dump_datagram(t, links, "F"));
         }},
        {"sockstat", "proc/net/sockstat", [](std::string_view t) { return message_of(parse_sockstat(t, "F")); }},
        {"softirqs", "proc/softirqs", [](std::string_view t) { return message_of(parse_softirqs(t, "F")); }},
        {"softnet_stat", "proc/net/softnet_stat", [](std::string_view t) { return message_of(parse_softnet_stat(t, "F")); }},
        {"tc_qdisc_stats", "", [](std::string_view t) { return message_of(parse_tc_qdisc_stats(t, "F")); }},
        {"uptime", "proc/uptime", [](std::string_view t) { return message_of(parse_uptime(t, "F")); }},
    };
    return table;
}

}  // namespace netdiag::fuzz
