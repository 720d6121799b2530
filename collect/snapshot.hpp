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
    std::map<std::string, std::uint64_t> per_cpu;  // "CPU0" -> count; a CPU not listed has taken none
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

// A listening socket's accept queue, by local port (IPv4 and IPv6 listeners on one port merged:
// the fuller queue is kept).
struct Listener {
    std::uint64_t queued = 0;              // connections waiting for accept()
    std::optional<std::uint64_t> backlog;  // the queue's limit: known from sock_diag, not from /proc/net/tcp
};

// TCP sockets by state, from /proc/net/tcp and /proc/net/tcp6 together.
struct TcpSockets {
    std::map<std::string, std::uint64_t> states;  // "ESTABLISHED", "TIME_WAIT", "CLOSE_WAIT", ...
    std::map<int, std::uint64_t> close_wait_by_local_port;
    std::map<int, std::uint64_t> time_wait_by_remote_port;
    std::map<int, std::uint64_t> syn_recv_by_local_port;  // half-open connections: who a SYN flood hits
    std::map<int, Listener> listeners;                    // by local port
};

// /proc/net/stat/arp_cache or ndisc_cache, summed over CPUs (entries is global: the same on every row).
struct NeighbourTable {
    std::uint64_t entries = 0;
    std::uint64_t forced_gc_runs = 0;
    std::optional<std::uint64_t> table_fulls;  // column added in Linux 4.10
};

// One qdisc's statistics (rtnetlink locally, `tc -s qdisc` remotely).
struct QdiscStats {
    std::string interface;
    std::string kind;    // "fq_codel", "mq", "pfifo_fast", "noqueue"
    std::string handle;  // "1:" / parent "root", "1:2"
    std::string parent;
    std::uint64_t sent_bytes = 0, sent_packets = 0, drops = 0, overlimits = 0, requeues = 0;
    std::uint64_t backlog_bytes = 0, backlog_packets = 0;
};

// A NIC's ring sizes (ETHTOOL_GRINGPARAM locally, `ethtool -g` remotely).
struct RingSizes {
    std::uint64_t rx = 0, rx_max = 0, tx = 0, tx_max = 0;
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

    std::optional<std::int64_t> flags;          // IFF_* (IFF_UP = 0x1), from the hex in `flags`
    std::optional<bool> carrier;                // absent when the interface is down (the read fails)
    std::optional<std::uint64_t> carrier_changes;  // Linux 3.15+
    std::optional<std::string> duplex;          // "full", "half", "unknown"
    std::optional<std::int64_t> mtu;
    std::vector<std::string> lower, upper;      // from the lower_* / upper_* links
    std::optional<std::string> master;          // the bond or bridge it is enslaved to
    std::optional<std::string> bond_mii_status;  // a bond slave's "up"/"down" (bonding_slave/mii_status)
    std::optional<std::uint64_t> tx_timeouts;   // summed over queues/tx-*/tx_timeout
    std::optional<std::int64_t> rp_filter;      // /proc/sys/net/ipv4/conf/IF/rp_filter
    std::optional<RingSizes> ring;
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
    std::optional<SockStat> sockstat6;           // FRAG6 memory
    std::optional<NeighbourTable> arp_cache, ndisc_cache;
    std::optional<std::vector<QdiscStats>> qdiscs;  // absent: not available on this host
    std::optional<std::uint64_t> mem_total_bytes;   // /proc/meminfo MemTotal
    std::map<std::string, std::int64_t> sysctls;  // "net.core.netdev_max_backlog" -> 1000
    // Sysctls that hold several numbers: "net.ipv4.tcp_mem" -> {low, pressure, high} (pages).
    std::map<std::string, std::vector<std::int64_t>> sysctl_lists;
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
