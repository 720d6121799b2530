// The Snapshot: one sample of a host's network counters as plain values.
// Parsers produce its parts from text; checks read it; JSON (netdiag.collect/v1) stores it.
// Every part a host may lack is optional: "not available" is never a zero.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace netdiag {

// One line of /proc/net/dev.
struct InterfaceCounters {
    std::string name;
    std::uint64_t rx_bytes = 0, rx_packets = 0, rx_errs = 0, rx_drop = 0, rx_fifo = 0, rx_frame = 0,
                  rx_compressed = 0, rx_multicast = 0;
    std::uint64_t tx_bytes = 0, tx_packets = 0, tx_errs = 0, tx_drop = 0, tx_fifo = 0, tx_colls = 0,
                  tx_carrier = 0, tx_compressed = 0;
};

// /proc/net/snmp and /proc/net/netstat: section ("Tcp", "TcpExt") -> field -> value.
// Values are signed: Tcp MaxConn is -1.
using ProtoCounters = std::map<std::string, std::map<std::string, std::int64_t>>;

// /proc/net/sockstat: section ("TCP", "UDP") -> field ("inuse", "tw", "mem") -> value.
using SockStat = std::map<std::string, std::map<std::string, std::int64_t>>;

// One line of /proc/net/softnet_stat.
struct SoftnetCpu {
    int cpu = 0;  // from the CPU column (5.10+), else the line's position
    std::uint64_t processed = 0, dropped = 0, time_squeeze = 0;
};

// One "cpuN" line of /proc/stat, in USER_HZ ticks ("cpu" is the all-CPU total).
struct CpuTimes {
    std::string cpu;
    std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    std::uint64_t total() const { return user + nice + system + idle + iowait + irq + softirq + steal; }
    std::uint64_t busy() const { return total() - idle - iowait; }
};

// /proc/softirqs: softirq name ("NET_RX") -> CPU name ("CPU0") -> count.
using Softirqs = std::map<std::string, std::map<std::string, std::uint64_t>>;

// One line of /proc/interrupts whose first column is numeric.
struct InterruptLine {
    int irq = 0;
    std::map<std::string, std::uint64_t> per_cpu;  // "CPU0" -> count
    std::string description;                       // chip, hwirq and action names, as printed
    std::string action;                            // last field: "eth1-rxtx-0", "virtio0-input.0"
};

// Conntrack, present only where the nf_conntrack module is loaded.
struct Conntrack {
    std::optional<std::uint64_t> count, max, buckets;
    // /proc/net/stat/nf_conntrack summed over CPUs: "insert_failed", "drop", "early_drop", ...
    std::optional<std::map<std::string, std::uint64_t>> stat;
};

struct PortRange {
    int low = 0, high = 0;
    int size() const { return high >= low ? high - low + 1 : 0; }
};

// TCP sockets by state, from /proc/net/tcp and /proc/net/tcp6 together.
struct TcpSockets {
    std::map<std::string, std::uint64_t> states;  // "ESTABLISHED", "TIME_WAIT", "CLOSE_WAIT", ...
    std::map<int, std::uint64_t> close_wait_by_local_port;
    std::map<int, std::uint64_t> time_wait_by_remote_port;
};

// What sysfs says of an interface.
struct InterfaceInfo {
    std::string name;
    std::optional<std::int64_t> speed_mbps;  // absent when unreadable (link down); -1 on many VMs
    std::optional<std::string> operstate;
    bool is_virtual = true;                  // no /sys/class/net/IF/device
    std::optional<std::string> device;       // basename of the device: "0000:00:02.0", "virtio0"
    std::optional<int> numa_node;            // -1: no NUMA affinity
    std::optional<std::string> local_cpulist;
    std::vector<int> irqs;                   // queue IRQs: MSI vectors named after the interface/device
    std::optional<std::uint64_t> rx_missed_errors, rx_fifo_errors;
    int rx_queues = 0;
};

// /proc/irq/N: masks as the kernel prints them ("00000000,0000000f").
struct IrqAffinity {
    std::optional<std::string> smp_affinity, effective_affinity;
};

struct Snapshot {
    std::string host;                       // the label the user gave (or "localhost")
    std::int64_t taken_at_unix_ms = 0;      // wall clock of the collecting side
    std::optional<double> uptime_seconds;   // target's /proc/uptime: the interval between samples
    std::optional<std::string> hostname, kernel_release;
    std::optional<std::int64_t> clk_tck, page_size;
    std::optional<int> online_cpus;

    std::optional<std::vector<InterfaceCounters>> net_dev;
    std::optional<ProtoCounters> snmp, netstat, snmp6;
    std::optional<SockStat> sockstat;
    std::optional<std::vector<SoftnetCpu>> softnet;
    std::optional<std::vector<CpuTimes>> cpu_times;
    std::optional<Softirqs> softirqs;
    std::optional<std::vector<InterruptLine>> interrupts;
    std::optional<Conntrack> conntrack;
    std::optional<PortRange> port_range;
    std::optional<TcpSockets> tcp;
    std::map<std::string, std::int64_t> sysctls;  // "net.core.netdev_max_backlog" -> 1000
    std::vector<InterfaceInfo> interfaces;
    std::map<int, IrqAffinity> irq_affinity;

    // Files that could not be read or parsed: path -> reason ("missing", "file:line: ...").
    std::map<std::string, std::string> unavailable;
    // Of those, the files that exist but did not parse: path -> "file:line: what". A missing file
    // means "not applicable"; these mean "could not tell", and the checks that need them say so.
    std::map<std::string, std::string> unparsable;
};

inline const InterfaceInfo* find_interface(const Snapshot& snapshot, const std::string& name) {
    for (const auto& info : snapshot.interfaces) {
        if (info.name == name) return &info;
    }
    return nullptr;
}

}  // namespace netdiag
