// Rates: what changed between two samples of one host, per second.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "collect/snapshot.hpp"
#include "common/result.hpp"

namespace netdiag {

// How much a counter grew. A counter that went backwards wrapped or was reset, never shrank:
// just below 2^32 it is taken as a 32-bit wrap, otherwise as a reset (the new value is the growth,
// as Prometheus' rate() does).
std::uint64_t counter_delta(std::uint64_t before, std::uint64_t after);

struct InterfaceRates {
    std::string name;
    double rx_bytes = 0, tx_bytes = 0, rx_packets = 0, tx_packets = 0;
    double rx_drop = 0, tx_drop = 0, rx_errs = 0, tx_errs = 0, rx_fifo = 0;
    std::optional<double> rx_missed;  // sysfs, physical NICs only
    // Events between the samples (counts, not rates: three flaps in two seconds is the news).
    std::optional<std::uint64_t> carrier_changes, tx_timeouts;
    // The root qdisc's drops per second, where both samples have qdisc statistics.
    std::optional<double> qdisc_drops;
    std::string qdisc_kind;

    bool operator==(const InterfaceRates&) const = default;
};

struct CpuRates {
    std::string cpu;  // "CPU0": the name /proc/softirqs and /proc/interrupts use
    // Shares of the CPU's time over the interval, 0..1.
    std::optional<double> softirq_share, idle_share;
    double net_rx_softirqs = 0;  // NET_RX softirqs run per second
    double softnet_processed = 0, softnet_dropped = 0, softnet_time_squeeze = 0;

    bool operator==(const CpuRates&) const = default;
};

struct Rates {
    double seconds = 0;
    std::vector<InterfaceRates> interfaces;
    std::map<std::string, CpuRates> cpus;
    std::map<std::string, std::map<std::string, double>> snmp, netstat, snmp6;
    std::optional<std::map<std::string, double>> conntrack_stat;
    std::map<int, std::map<std::string, double>> irq_per_cpu;  // IRQ -> "CPU0" -> interrupts/s
    // Neighbour-table overflows per second (table_fulls), where both samples have the column.
    std::optional<double> arp_table_fulls, ndisc_table_fulls;
    // Half-open (SYN_RECV) sockets by local port, the larger count of the two samples: under a flood
    // a full SYN queue's requests expire together, so one instant can catch it empty.
    std::map<int, std::uint64_t> syn_recv_by_local_port;

    double snmp_value(const std::string& section, const std::string& field) const;
    double netstat_value(const std::string& section, const std::string& field) const;

    bool operator==(const Rates&) const = default;
};

// The interval is the target's uptime difference (immune to clock steps), else the wall clock.
Result<Rates> compute_rates(const Snapshot& before, const Snapshot& after);

}  // namespace netdiag
