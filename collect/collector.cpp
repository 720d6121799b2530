#include "collect/collector.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <unordered_map>

#include "collect/linkstats.hpp"
#include "collect/parsers.hpp"
#include "common/clock.hpp"
#include "common/text.hpp"

namespace netdiag {
namespace {

constexpr std::string_view kSysctlRoot = "/proc/sys/";
constexpr std::string_view kNetClass = "/sys/class/net/";
constexpr std::string_view kIrqRoot = "/proc/irq/";

// The sysctls a diagnosis or a fix talks about; read as plain integers.
constexpr std::string_view kSysctls[] = {
    "/proc/sys/net/core/netdev_max_backlog",   "/proc/sys/net/core/netdev_budget",
    "/proc/sys/net/core/netdev_budget_usecs",  "/proc/sys/net/core/somaxconn",
    "/proc/sys/net/ipv4/tcp_max_syn_backlog",  "/proc/sys/net/ipv4/tcp_tw_reuse",
    "/proc/sys/net/ipv4/tcp_max_tw_buckets",   "/proc/sys/net/core/rmem_max",
    "/proc/sys/net/core/rmem_default",         "/proc/sys/net/ipv4/tcp_syncookies",
    "/proc/sys/net/ipv4/ipfrag_high_thresh",   "/proc/sys/net/ipv4/ipfrag_time",
    "/proc/sys/net/ipv4/tcp_max_orphans",
    "/proc/sys/net/ipv4/neigh/default/gc_thresh1", "/proc/sys/net/ipv4/neigh/default/gc_thresh2",
    "/proc/sys/net/ipv4/neigh/default/gc_thresh3", "/proc/sys/net/ipv6/neigh/default/gc_thresh1",
    "/proc/sys/net/ipv6/neigh/default/gc_thresh2", "/proc/sys/net/ipv6/neigh/default/gc_thresh3",
    "/proc/sys/net/ipv6/ip6frag_high_thresh",
};

// Sysctls holding several integers (pages: low, pressure, high).
constexpr std::string_view kListSysctls[] = {
    "/proc/sys/net/ipv4/tcp_mem",
    "/proc/sys/net/ipv4/udp_mem",
};

// Every interface's rp_filter, and with them conf/all and conf/default (kept as sysctls).
constexpr std::string_view kInterfaceRpFilter = "/proc/sys/net/ipv4/conf/*/rp_filter";
constexpr std::string_view kRpFilterSysctls[] = {"/proc/sys/net/ipv4/conf/all/rp_filter",
                                                 "/proc/sys/net/ipv4/conf/default/rp_filter"};

// Per-interface files under /sys/class/net/IF/, relative to that directory.
constexpr std::string_view kInterfaceFiles[] = {
    "speed",
    "device/numa_node",
    "device/../numa_node",  // virtio: the PCI function is the parent of the virtio device
    "device/local_cpulist",
    "device/../local_cpulist",
    "device/msi_irqs/*",
    "device/../msi_irqs/*",
    "queues/rx-*/rps_cpus",
    "bonding_slave/mii_status",
};

// Per-interface files an rtnetlink link dump answers for all interfaces at once, where the
// transport can make one (LinkState); read as files elsewhere.
constexpr std::string_view kLinkStateFiles[] = {"operstate", "flags", "carrier", "carrier_changes", "mtu",
                                                "statistics/rx_missed_errors", "statistics/rx_fifo_errors"};

// Files only a NIC has, read through its device ("IF/device/net/IF/..."), so that a host with a
// thousand veths does not open a thousand more files for them.
constexpr std::string_view kDeviceFiles[] = {
    "duplex",
    "queues/tx-*/tx_timeout",
};

// Links under /sys/class/net/IF/ whose targets name other interfaces.
// The wildcards go first: listing each interface's directory lets the local transport skip the
// links an interface does not have.
constexpr std::string_view kInterfaceLinks[] = {"lower_*", "upper_*", "device", "master"};

class Reads {
public:
    explicit Reads(const std::vector<FileRead>& reads) {
        for (const auto& read : reads) (read.is_link ? links_ : files_).emplace(read.path, &read);
    }
    const FileRead* file(const std::string& path) const { return find(files_, path); }
    const FileRead* link(const std::string& path) const { return find(links_, path); }
    const std::unordered_map<std::string, const FileRead*>& files() const { return files_; }
    const std::unordered_map<std::string, const FileRead*>& links() const { return links_; }

private:
    static const FileRead* find(const std::unordered_map<std::string, const FileRead*>& map,
                                const std::string& path) {
        const auto found = map.find(path);
        return found == map.end() ? nullptr : found->second;
    }
    std::unordered_map<std::string, const FileRead*> files_, links_;
};

// A file that was read but did not parse: listed as unavailable like a missing one, and also as
// unparsable, so the checks that need it report "unknown" instead of passing for lack of data.
void note_unparsable(Snapshot& snapshot, const std::string& path, const Error& error) {
    snapshot.unavailable[path] = error.message;
    snapshot.unparsable[path] = error.message;
}

// Parses one file into `slot`, or notes why it could not. Returns whether it parsed.
template <class T, class Parser>
bool parse_into(const Reads& reads, const std::string& path, Snapshot& snapshot, std::optional<T>& slot,
                Parser parser) {
    const FileRead* read = reads.file(path);
    if (read == nullptr) {
        snapshot.unavailable[path] = "not read";
        return false;
    }
    if (!read->content) {
        if (read->error == "missing") {
            snapshot.unavailable[path] = read->error;
        } else {
            // There but unreadable (a FIFO or a giant in a tree, EACCES, EIO): not "no data, all clear".
            note_unparsable(snapshot, path, make_error(fmt::format("{}: cannot be read: {}", path,
                                                                   read->error.empty() ? "unreadable" : read->error)));
        }
        return false;
    }
    auto parsed = parser(*read->content, path);
    if (!parsed) {
        note_unparsable(snapshot, path, parsed.error());
        return false;
    }
    slot = std::move(parsed).value();
    return true;
}

// Like parse_into, but where the file may simply not exist (virtual interfaces, old kernels)
// its absence is not worth listing.
template <class T, class Parser>
void parse_optional(const Reads& reads, const std::string& path, Snapshot& snapshot, std::optional<T>& slot,
                    Parser parser) {
    const FileRead* read = reads.file(path);
    if (read == nullptr || !read->content) return;
    auto parsed = parser(*read->content, path);
    if (!parsed) {
        note_unparsable(snapshot, path, parsed.error());
        return;
    }
    slot = std::move(parsed).value();
}

std::string basename_of(std::string_view path) {
    const auto slash = path.find_last_of('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// "/sys/class/net/eth0/device/msi_irqs/27" -> "eth0"; "/sys/class/net/eth0/device/net/eth0/duplex"
// -> the inner name (a device with two ports lists both under device/net/).
std::string interface_of(std::string_view path) {
    auto rest = path.substr(kNetClass.size());
    const auto name = rest.substr(0, rest.find('/'));
    constexpr std::string_view kDeviceNet = "/device/net/";
    if (rest.substr(name.size(), kDeviceNet.size()) == kDeviceNet) {
        rest = rest.substr(name.size() + kDeviceNet.size());
        return std::string(rest.substr(0, rest.find('/')));
    }
    return std::string(name);
}

std::string sysctl_name(std::string_view path) {
    std::string name(path.substr(kSysctlRoot.size()));
    for (auto& c : name) {
        if (c == '/') c = '.';
    }
    return name;
}

// An IRQ serves the interface when its action names the interface or its device
// ("eth1-rxtx-0", "virtio0-input.0"); this drops a bridge's or a sibling function's vectors.
bool irq_serves(const InterruptLine& line, const InterfaceInfo& info) {
    if (line.action.find(info.name) != std::string::npos) return true;
    return info.device && line.action.find(*info.device) != std::string::npos;
}

void fill_interfaces(const Reads& reads, Snapshot& snapshot) {
    std::map<std::string, InterfaceInfo> by_name;
    if (snapshot.net_dev) {
        for (const auto& counters : *snapshot.net_dev) by_name[counters.name].name = counters.name;
    }
    for (const auto& [path, read] : reads.files()) {
        if (starts_with(path, kNetClass)) {
            const auto name = interface_of(path);
            by_name[name].name = name;
        }
    }
    std::map<std::string, std::vector<int>> own_irqs, parent_irqs;
    for (const auto& [path, read] : reads.files()) {
        if (!starts_with(path, kNetClass) || !read->content) continue;
        const auto name = interface_of(path);
        const auto irq = parse_i64(basename_of(path));
        if (!irq) continue;
        if (path.find("/device/msi_irqs/") != std::string::npos) own_irqs[name].push_back(static_cast<int>(*irq));
        if (path.find("/device/../msi_irqs/") != std::string::npos) {
            parent_irqs[name].push_back(static_cast<int>(*irq));
        }
    }

    // By IRQ number once: a host's thousands of IRQs would make a search per IRQ quadratic.
    std::unordered_map<int, const InterruptLine*> interrupt_by_irq;
    if (snapshot.interrupts) {
        for (const auto& line : *snapshot.interrupts) interrupt_by_irq.emplace(line.irq, &line);
    }

    for (auto& [name, info] : by_name) {
        const std::string dir = std::string(kNetClass) + name + "/";
        parse_optional(reads, dir + "speed", snapshot, info.speed_mbps, parse_single_int);
        parse_optional(reads, dir + "operstate", snapshot, info.operstate, parse_single_word);
        std::optional<std::int64_t> number;
        parse_optional(reads, dir + "statistics/rx_missed_errors", snapshot, number, parse_single_int);
        if (number && *number >= 0) info.rx_missed_errors = static_cast<std::uint64_t>(*number);
        number.reset();
        parse_optional(reads, dir + "statistics/rx_fifo_errors", snapshot, number, parse_single_int);
        if (number && *number >= 0) info.rx_fifo_errors = static_cast<std::uint64_t>(*number);

        parse_optional(reads, dir + "flags", snapshot, info.flags, parse_hex_flags);
        number.reset();
        parse_optional(reads, dir + "carrier", snapshot, number, parse_single_int);
        if (number) info.carrier = *number != 0;
        number.reset();
        parse_optional(reads, dir + "carrier_changes", snapshot, number, parse_single_int);
        if (number && *number >= 0) info.carrier_changes = static_cast<std::uint64_t>(*number);
        parse_optional(reads, dir + "device/net/" + name + "/duplex", snapshot, info.duplex, parse_single_word);
        parse_optional(reads, dir + "mtu", snapshot, info.mtu, parse_single_int);
        parse_optional(reads, dir + "bonding_slave/mii_status", snapshot, info.bond_mii_status, parse_single_word);
        parse_optional(reads, std::string(kSysctlRoot) + "net/ipv4/conf/" + name + "/rp_filter", snapshot,
                       info.rp_filter, parse_single_int);
        if (const FileRead* master = reads.link(dir + "master"); master && master->content) {
            info.master = basename_of(*master->content);
        }
        if (const FileRead* device = reads.link(dir + "device"); device && device->content) {
            info.is_virtual = false;
            info.device = basename_of(*device->content);
        }
        number.reset();
        parse_optional(reads, dir + "device/numa_node", snapshot, number, parse_single_int);
        if (!number) parse_optional(reads, dir + "device/../numa_node", snapshot, number, parse_single_int);
        if (number) info.numa_node = static_cast<int>(*number);
        parse_optional(reads, dir + "device/local_cpulist", snapshot, info.local_cpulist, parse_single_word);
        if (!info.local_cpulist) {
            parse_optional(reads, dir + "device/../local_cpulist", snapshot, info.local_cpulist,
                           parse_single_word);
        }
        auto irqs = own_irqs.count(name) ? own_irqs[name] : parent_irqs[name];
        std::sort(irqs.begin(), irqs.end());
        if (snapshot.interrupts) {
            std::erase_if(irqs, [&](int irq) {
                const auto line = interrupt_by_irq.find(irq);
                return line == interrupt_by_irq.end() || !irq_serves(*line->second, info);
            });
        }
        info.irqs = std::move(irqs);
    }
    for (const auto& [path, read] : reads.files()) {
        if (!starts_with(path, kNetClass)) continue;
        const auto name = interface_of(path);
        if (path.find("/queues/rx-") != std::string::npos) ++by_name[name].rx_queues;
        // A device with two ports lists both under device/net/: each port's queues count once, under
        // its own name ("/sys/class/net/eth1/device/net/eth1/..."), never under its sibling's.
        const bool own = path.find(std::string(kNetClass) + name + "/device/net/" + name + "/") == 0;
        if (own && path.find("/queues/tx-") != std::string::npos && path.ends_with("/tx_timeout") && read->content) {
            std::optional<std::int64_t> timeouts;
            parse_optional(reads, path, snapshot, timeouts, parse_single_int);
            auto& info = by_name[name];
            if (timeouts && *timeouts >= 0) {
                info.tx_timeouts = info.tx_timeouts.value_or(0) + static_cast<std::uint64_t>(*timeouts);
            }
        }
    }
    // lower_eth0 / upper_bond0: the stacking of devices (bond over NICs, VLAN over a NIC, ...).
    for (const auto& [path, link] : reads.links()) {
        if (!starts_with(path, kNetClass) || !link->content) continue;
        const auto file = basename_of(path);
        auto& info = by_name[interface_of(path)];
        if (starts_with(file, "lower_")) info.lower.push_back(file.substr(6));
        if (starts_with(file, "upper_")) info.upper.push_back(file.substr(6));
    }
    for (auto& [name, info] : by_name) {
        std::sort(info.lower.begin(), info.lower.end());
        std::sort(info.upper.begin(), info.upper.end());
    }
    for (auto& [name, info] : by_name) snapshot.interfaces.push_back(std::move(info));
}

// What the link dump says of the interfaces the files found; one it lists that they do not (made
// in between) waits for the next sample.
void fill_link_states(const std::vector<LinkState>& links, Snapshot& snapshot) {
    std::unordered_map<std::string_view, const LinkState*> by_name;
    for (const auto& link : links) by_name.emplace(link.name, &link);
    for (auto& info : snapshot.interfaces) {
        const auto found = by_name.find(info.name);
        if (found == by_name.end()) continue;
        const LinkState& link = *found->second;
        info.flags = link.flags;
        info.mtu = link.mtu;
        info.operstate = link.operstate;
        info.carrier = link.carrier;
        info.carrier_changes = link.carrier_changes;
        info.rp_filter = link.rp_filter;
        info.rx_missed_errors = link.rx_missed_errors;
        info.rx_fifo_errors = link.rx_fifo_errors;
    }
}

void fill_irq_affinity(const Reads& reads, Snapshot& snapshot) {
    for (const auto& [path, read] : reads.files()) {
        if (!starts_with(path, kIrqRoot) || !read->content) continue;
        const auto rest = std::string_view(path).substr(kIrqRoot.size());
        const auto slash = rest.find('/');
        const auto irq = parse_i64(rest.substr(0, slash));
        if (!irq || slash == std::string_view::npos) continue;
        auto& affinity = snapshot.irq_affinity[static_cast<int>(*irq)];
        const auto file = rest.substr(slash + 1);
        auto mask = parse_single_word(*read->content, path);
        if (!mask) continue;
        if (file == "smp_affinity") affinity.smp_affinity = *mask;
        if (file == "effective_affinity") affinity.effective_affinity = *mask;
    }
}

}  // namespace

ReadRequest sample_request(bool with_tcp_tables, bool with_link_files) {
    ReadRequest request;
    request.files = {
        "/proc/uptime",
        "/proc/sys/kernel/hostname",
        "/proc/sys/kernel/osrelease",
        "/proc/self/auxv",
        "/sys/devices/system/cpu/online",
        "/proc/net/dev",
        "/proc/net/snmp",
        "/proc/net/netstat",
        "/proc/net/snmp6",
        "/proc/net/sockstat",
        "/proc/net/softnet_stat",
        "/proc/stat",
        "/proc/softirqs",
        "/proc/interrupts",
        "/proc/sys/net/netfilter/nf_conntrack_count",
        "/proc/sys/net/netfilter/nf_conntrack_max",
        "/proc/sys/net/netfilter/nf_conntrack_buckets",
        "/proc/net/stat/nf_conntrack",
        "/sys/module/nf_conntrack/parameters/hashsize",
        "/proc/sys/net/ipv4/ip_local_port_range",
        "/proc/irq/*/smp_affinity",
        "/proc/irq/*/effective_affinity",
        "/proc/meminfo",
        "/proc/net/sockstat6",
        "/proc/net/stat/arp_cache",
        "/proc/net/stat/ndisc_cache",
    };
    if (with_link_files) {
        request.files.emplace_back(kInterfaceRpFilter);  // conf/all and conf/default among them
        for (const auto file : kLinkStateFiles) request.files.push_back(std::string(kNetClass) + "*/" + std::string(file));
    } else {
        for (const auto sysctl : kRpFilterSysctls) request.files.emplace_back(sysctl);
    }
    if (with_tcp_tables) {
        request.files.insert(request.files.end(), {"/proc/net/tcp", "/proc/net/tcp6"});
        request.tcp_summary = true;  // a remote host summarises them; build_snapshot takes either
    }
    for (const auto sysctl : kSysctls) request.files.emplace_back(sysctl);
    for (const auto sysctl : kListSysctls) request.files.emplace_back(sysctl);
    for (const auto file : kInterfaceFiles) request.files.push_back(std::string(kNetClass) + "*/" + std::string(file));
    for (const auto file : kDeviceFiles) {
        request.files.push_back(std::string(kNetClass) + "*/device/net/*/" + std::string(file));
    }
    for (const auto link : kInterfaceLinks) request.links.push_back(std::string(kNetClass) + "*/" + std::string(link));
    return request;
}

Snapshot build_snapshot(std::string host, const std::vector<FileRead>& file_reads, std::int64_t taken_at_unix_ms,
                        std::optional<TcpSockets> dumped_tcp, const std::vector<LinkState>* link_states) {
    const Reads reads(file_reads);
    Snapshot snapshot;
    snapshot.host = std::move(host);
    snapshot.taken_at_unix_ms = taken_at_unix_ms;

    parse_into(reads, "/proc/uptime", snapshot, snapshot.uptime_seconds, parse_uptime);
    parse_into(reads, "/proc/sys/kernel/hostname", snapshot, snapshot.hostname, parse_single_word);
    parse_into(reads, "/proc/sys/kernel/osrelease", snapshot, snapshot.kernel_release, parse_single_word);
    std::optional<AuxvConstants> constants;
    parse_into(reads, "/proc/self/auxv", snapshot, constants, parse_auxv);
    if (constants) {
        snapshot.clk_tck = constants->clk_tck;
        snapshot.page_size = constants->page_size;
    }
    std::optional<std::set<int>> online;
    parse_into(reads, "/sys/devices/system/cpu/online", snapshot, online, parse_cpu_list);
    if (online) snapshot.online_cpus = static_cast<int>(online->size());

    parse_into(reads, "/proc/net/dev", snapshot, snapshot.net_dev, parse_net_dev);
    parse_into(reads, "/proc/net/snmp", snapshot, snapshot.snmp, parse_snmp);
    parse_into(reads, "/proc/net/netstat", snapshot, snapshot.netstat, parse_snmp);
    parse_into(reads, "/proc/net/snmp6", snapshot, snapshot.snmp6, parse_snmp6);
    parse_into(reads, "/proc/net/sockstat", snapshot, snapshot.sockstat, parse_sockstat);
    parse_into(reads, "/proc/net/softnet_stat", snapshot, snapshot.softnet, parse_softnet_stat);
    parse_into(reads, "/proc/stat", snapshot, snapshot.cpu_times, parse_proc_stat);
    parse_into(reads, "/proc/softirqs", snapshot, snapshot.softirqs, parse_softirqs);
    parse_into(reads, "/proc/interrupts", snapshot, snapshot.interrupts, parse_interrupts);
    parse_into(reads, "/proc/sys/net/ipv4/ip_local_port_range", snapshot, snapshot.port_range, parse_port_range);

    // Conntrack exists only where nf_conntrack is loaded; its absence is "not applicable".
    Conntrack conntrack;
    std::optional<std::int64_t> number;
    if (parse_into(reads, "/proc/sys/net/netfilter/nf_conntrack_count", snapshot, number, parse_single_int)) {
        conntrack.count = static_cast<std::uint64_t>(std::max<std::int64_t>(*number, 0));
    }
    number.reset();
    if (parse_into(reads, "/proc/sys/net/netfilter/nf_conntrack_max", snapshot, number, parse_single_int)) {
        conntrack.max = static_cast<std::uint64_t>(std::max<std::int64_t>(*number, 0));
    }
    number.reset();
    parse_optional(reads, "/proc/sys/net/netfilter/nf_conntrack_buckets", snapshot, number, parse_single_int);
    if (!number) parse_optional(reads, "/sys/module/nf_conntrack/parameters/hashsize", snapshot, number, parse_single_int);
    if (number) conntrack.buckets = static_cast<std::uint64_t>(std::max<std::int64_t>(*number, 0));
    parse_into(reads, "/proc/net/stat/nf_conntrack", snapshot, conntrack.stat, parse_nf_conntrack_stat);
    if (conntrack.count || conntrack.max) snapshot.conntrack = std::move(conntrack);

    // TCP sockets from both families; either file alone is still a useful answer.
    std::optional<TcpSockets> tcp4, tcp6;
    if (dumped_tcp) {
        snapshot.tcp = std::move(dumped_tcp);
    } else if (reads.file(std::string(kTcpSummaryPath)) != nullptr) {
        parse_into(reads, std::string(kTcpSummaryPath), snapshot, snapshot.tcp, parse_tcp_summary);
    } else {
        parse_into(reads, "/proc/net/tcp", snapshot, tcp4, parse_proc_net_tcp);
        parse_into(reads, "/proc/net/tcp6", snapshot, tcp6, parse_proc_net_tcp);
    }
    if (tcp4 || tcp6) {
        TcpSockets sockets;
        if (tcp4) merge_tcp(sockets, *tcp4);
        if (tcp6) merge_tcp(sockets, *tcp6);
        snapshot.tcp = std::move(sockets);
    }

    for (const auto sysctl : kSysctls) {
        std::optional<std::int64_t> value;
        parse_into(reads, std::string(sysctl), snapshot, value, parse_single_int);
        if (value) snapshot.sysctls[sysctl_name(sysctl)] = *value;
    }
    for (const auto sysctl : kRpFilterSysctls) {
        std::optional<std::int64_t> value;
        parse_optional(reads, std::string(sysctl), snapshot, value, parse_single_int);
        if (value) snapshot.sysctls[sysctl_name(sysctl)] = *value;
    }
    for (const auto sysctl : kListSysctls) {
        std::optional<std::vector<std::int64_t>> values;
        parse_into(reads, std::string(sysctl), snapshot, values, parse_int_list);
        if (values) snapshot.sysctl_lists[sysctl_name(sysctl)] = std::move(*values);
    }
    parse_into(reads, "/proc/meminfo", snapshot, snapshot.mem_total_bytes, parse_meminfo_total);
    parse_optional(reads, "/proc/net/sockstat6", snapshot, snapshot.sockstat6, parse_sockstat);
    // Missing on kernels built without IPv6 (ndisc) or with neighbour stats hidden: not applicable.
    parse_into(reads, "/proc/net/stat/arp_cache", snapshot, snapshot.arp_cache, parse_neighbour_stat);
    parse_into(reads, "/proc/net/stat/ndisc_cache", snapshot, snapshot.ndisc_cache, parse_neighbour_stat);
    fill_interfaces(reads, snapshot);
    if (link_states) fill_link_states(*link_states, snapshot);
    fill_irq_affinity(reads, snapshot);
    return snapshot;
}

Result<Snapshot> collect_sample(Transport& transport, const std::string& host) {
    const auto taken_at = now_unix_ms();
    // The socket table straight from the kernel where the transport can ask it; where it cannot, or
    // the dump fails, the same counts come from /proc/net/tcp and tcp6.
    TcpSockets dumped;
    const auto dump = transport.stream_tcp_sockets(
        [&](std::string_view datagram) { return add_sock_diag_datagram(datagram, dumped, "sock_diag"); });
    const bool have_dump = dump && dump->ok();
    // Likewise the interfaces' link state: one rtnetlink dump, or seven files an interface.
    auto links = transport.read_link_states();
    const bool have_links = links && links->ok();
    auto request = sample_request(!have_dump, !have_links);
    request.link_stats_follow = true;  // collect_link_stats below
    auto reads = transport.read(request);
    if (!reads) return reads.error();
    auto snapshot = build_snapshot(host, *reads, taken_at, have_dump ? std::optional(std::move(dumped)) : std::nullopt,
                                   have_links ? &links->value() : nullptr);
    // Qdisc statistics and ring sizes are not files: rtnetlink and ethtool locally, tc and ethtool remotely.
    collect_link_stats(transport, snapshot);
    return snapshot;
}

}  // namespace netdiag
