#include "prometheus/node_snapshot.hpp"

#include <cctype>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "common/text.hpp"

namespace netdiag {

namespace {

// node_exporter's netdev counters that the rates read (checks/rates.cpp, interface_rates); the
// others (frame, fifo on transmit, colls, carrier, compressed, multicast) are not fetched.
constexpr std::string_view kNetworkCounters[] = {
    "node_network_receive_bytes_total",  "node_network_receive_packets_total", "node_network_receive_errs_total",
    "node_network_receive_drop_total",   "node_network_receive_fifo_total",    "node_network_transmit_bytes_total",
    "node_network_transmit_packets_total", "node_network_transmit_errs_total", "node_network_transmit_drop_total",
};

// Counters the rates come from, read at both ends of the window.
constexpr std::string_view kCounterNames =
    "node_network_receive_(bytes|packets|errs|drop|fifo)_total|node_network_transmit_(bytes|packets|errs|drop)_total|"
    "node_network_carrier_changes_total|node_netstat_.+|node_softnet_(processed|dropped|times_squeezed)_total|"
    // Not node_interrupts_total: it cannot say which IRQs are a NIC's (msi_irqs), so no check would
    // read it, and on a host of 100+ CPUs it is tens of thousands of series.
    "node_cpu_seconds_total|node_nf_conntrack_stat_.+|node_softirqs_functions_total|"
    // The uptime at each end, which tells a reboot inside the window.
    "node_boot_time_seconds|node_time_seconds";

// Levels and labels, read at the verdict's instant only.
constexpr std::string_view kLevelNames =
    "node_network_(speed_bytes|carrier|mtu_bytes|info|flags)|node_sockstat_.+|node_nf_conntrack_entries(_limit)?|"
    "node_memory_MemTotal_bytes|node_uname_info|node_tcp_connection_states|"
    // netdiag's own textfile (scan --format prometheus), for what node_exporter lacks.
    "netdiag_host_up|netdiag_scan_timestamp_seconds|netdiag_finding_(severity|value|threshold)";

}  // namespace

std::span<const std::string_view> node_network_counters() { return kNetworkCounters; }

std::string node_metric_regex() { return fmt::format("{}|{}", kCounterNames, kLevelNames); }

std::string_view node_counter_regex() { return kCounterNames; }

namespace {

// A counter as the kernel keeps it: whole, never negative.
std::uint64_t counter(double value) {
    if (!(value > 0)) return 0;
    if (value >= 1.8e19) return UINT64_MAX;
    return static_cast<std::uint64_t>(std::llround(value));
}

std::int64_t signed_value(double value) {
    if (std::isnan(value)) return 0;
    if (value >= 9.2e18) return INT64_MAX;
    if (value <= -9.2e18) return INT64_MIN;
    return std::llround(value);
}

std::string label_or(const Series& series, std::string_view name) {
    const auto value = series.label(name);
    return value ? std::string(*value) : std::string();
}

std::uint64_t* interface_field(InterfaceCounters& c, std::string_view direction, std::string_view field) {
    if (direction == "receive") {
        if (field == "bytes") return &c.rx_bytes;
        if (field == "packets") return &c.rx_packets;
        if (field == "errs") return &c.rx_errs;
        if (field == "drop") return &c.rx_drop;
        if (field == "fifo") return &c.rx_fifo;
        if (field == "frame") return &c.rx_frame;
        if (field == "compressed") return &c.rx_compressed;
        if (field == "multicast") return &c.rx_multicast;
    } else {
        if (field == "bytes") return &c.tx_bytes;
        if (field == "packets") return &c.tx_packets;
        if (field == "errs") return &c.tx_errs;
        if (field == "drop") return &c.tx_drop;
        if (field == "fifo") return &c.tx_fifo;
        if (field == "colls") return &c.tx_colls;
        if (field == "carrier") return &c.tx_carrier;
        if (field == "compressed") return &c.tx_compressed;
    }
    return nullptr;
}

std::uint64_t* cpu_field(CpuTimes& cpu, std::string_view mode) {
    if (mode == "user") return &cpu.user;
    if (mode == "nice") return &cpu.nice;
    if (mode == "system") return &cpu.system;
    if (mode == "idle") return &cpu.idle;
    if (mode == "iowait") return &cpu.iowait;
    if (mode == "irq") return &cpu.irq;
    if (mode == "softirq") return &cpu.softirq;
    if (mode == "steal") return &cpu.steal;
    return nullptr;
}

// A label that names a CPU by number ("3"), or nothing.
std::optional<int> cpu_number(const Series& series) {
    const auto cpu = series.label("cpu");
    if (!cpu) return std::nullopt;
    const auto number = parse_u64(*cpu);
    if (!number || *number > 8191) return std::nullopt;  // the /proc/stat parser's bound
    return static_cast<int>(*number);
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

Snapshot snapshot_from_node_series(const std::string& instance, const std::vector<const Series*>& series,
                                   double at_unix_seconds, const Settings& settings) {
    Snapshot snapshot;
    snapshot.host = instance;
    snapshot.taken_at_unix_ms = static_cast<std::int64_t>(std::llround(at_unix_seconds * 1000));
    snapshot.clk_tck = 100;  // node_cpu_seconds_total is in seconds: ticks of 1/100 s keep two decimals

    std::map<std::string, InterfaceCounters> counters;
    std::map<std::string, InterfaceInfo> interfaces;
    std::map<int, SoftnetCpu> softnet;
    std::map<int, CpuTimes> cpus;
    std::optional<double> boot_time, node_time;
    const auto info_of = [&](const std::string& device) -> InterfaceInfo& {
        auto& info = interfaces[device];
        info.name = device;
        info.is_virtual = settings.is_virtual(device);
        return info;
    };

    for (const Series* s : series) {
        const auto name_label = s->label("__name__");
        if (!name_label) continue;
        const std::string_view name = *name_label;
        const double value = s->value;
        if (std::isnan(value)) continue;  // a stale marker or a failed read: not a number to act on
        const std::string device = label_or(*s, "device");

        if (starts_with(name, "node_network_receive_") || starts_with(name, "node_network_transmit_")) {
            if (device.empty() || !name.ends_with("_total")) continue;
            const auto direction = starts_with(name, "node_network_receive_") ? std::string_view("receive") : "transmit";
            auto field = name.substr(std::string_view("node_network_").size() + direction.size() + 1);
            field.remove_suffix(std::string_view("_total").size());
            auto& c = counters[device];
            c.name = device;
            if (auto* slot = interface_field(c, direction, field)) *slot = counter(value);
        } else if (name == "node_network_speed_bytes") {
            if (!device.empty()) info_of(device).speed_mbps = value < 0 ? -1 : signed_value(value / 125000.0);
        } else if (name == "node_network_carrier") {
            if (!device.empty()) info_of(device).carrier = value != 0;
        } else if (name == "node_network_carrier_changes_total") {
            if (!device.empty()) info_of(device).carrier_changes = counter(value);
        } else if (name == "node_network_mtu_bytes") {
            if (!device.empty()) info_of(device).mtu = signed_value(value);
        } else if (name == "node_network_flags") {
            if (!device.empty()) info_of(device).flags = signed_value(value);
        } else if (name == "node_network_info") {
            if (device.empty()) continue;
            auto& info = info_of(device);
            if (const auto operstate = s->label("operstate")) info.operstate = *operstate;
            if (const auto duplex = s->label("duplex"); duplex && !duplex->empty()) info.duplex = *duplex;
        } else if (starts_with(name, "node_netstat_")) {
            const auto rest = name.substr(std::string_view("node_netstat_").size());
            const auto underscore = rest.find('_');
            if (underscore == std::string_view::npos || underscore == 0) continue;
            const std::string section(rest.substr(0, underscore));
            const std::string field(rest.substr(underscore + 1));
            if (section.ends_with("6")) {
                // snmp6 names its fields whole: "Ip6InReceives".
                if (!snapshot.snmp6) snapshot.snmp6.emplace();
                (*snapshot.snmp6)[section][section + field] = signed_value(value);
            } else if (section == "TcpExt" || section == "IpExt" || section == "MPTcpExt") {
                if (!snapshot.netstat) snapshot.netstat.emplace();
                (*snapshot.netstat)[section][field] = signed_value(value);
            } else {
                if (!snapshot.snmp) snapshot.snmp.emplace();
                (*snapshot.snmp)[section][field] = signed_value(value);
            }
        } else if (starts_with(name, "node_sockstat_")) {
            const auto rest = name.substr(std::string_view("node_sockstat_").size());
            if (rest.ends_with("_bytes")) continue;  // the same memory in bytes; sockstat counts pages
            const auto underscore = rest.find('_');
            if (underscore == std::string_view::npos || underscore == 0) continue;
            const std::string section(rest.substr(0, underscore));
            auto& target = section.ends_with("6") ? snapshot.sockstat6 : snapshot.sockstat;
            if (!target) target.emplace();
            (*target)[section][std::string(rest.substr(underscore + 1))] = signed_value(value);
        } else if (starts_with(name, "node_softnet_")) {
            const auto cpu = cpu_number(*s);
            if (!cpu) continue;
            auto& entry = softnet[*cpu];
            entry.cpu = *cpu;
            if (name == "node_softnet_processed_total") entry.processed = counter(value);
            if (name == "node_softnet_dropped_total") entry.dropped = counter(value);
            if (name == "node_softnet_times_squeezed_total") entry.time_squeeze = counter(value);
        } else if (name == "node_cpu_seconds_total") {
            const auto cpu = cpu_number(*s);
            if (!cpu) continue;
            auto& entry = cpus[*cpu];
            entry.cpu = "cpu" + std::to_string(*cpu);
            if (auto* slot = cpu_field(entry, label_or(*s, "mode"))) *slot = counter(value * 100);
        } else if (name == "node_softirqs_functions_total") {
            const auto cpu = cpu_number(*s);
            const auto type = s->label("type");
            if (!cpu || !type) continue;
            if (!snapshot.softirqs) snapshot.softirqs.emplace();
            (*snapshot.softirqs)[std::string(*type)]["CPU" + std::to_string(*cpu)] = counter(value);
        } else if (starts_with(name, "node_nf_conntrack_")) {
            if (!snapshot.conntrack) snapshot.conntrack.emplace();
            auto& conntrack = *snapshot.conntrack;
            if (name == "node_nf_conntrack_entries") conntrack.count = counter(value);
            if (name == "node_nf_conntrack_entries_limit") conntrack.max = counter(value);
            if (starts_with(name, "node_nf_conntrack_stat_")) {
                if (!conntrack.stat) conntrack.stat.emplace();
                (*conntrack.stat)[std::string(name.substr(std::string_view("node_nf_conntrack_stat_").size()))] =
                    counter(value);
            }
        } else if (name == "node_memory_MemTotal_bytes") {
            snapshot.mem_total_bytes = counter(value);
        } else if (name == "node_boot_time_seconds") {
            boot_time = value;
        } else if (name == "node_time_seconds") {
            node_time = value;
        } else if (name == "node_uname_info") {
            if (const auto nodename = s->label("nodename")) snapshot.hostname = *nodename;
            if (const auto release = s->label("release")) snapshot.kernel_release = *release;
        } else if (name == "node_tcp_connection_states") {
            const auto state = s->label("state");
            if (!state) continue;
            if (!snapshot.tcp) snapshot.tcp.emplace();
            snapshot.tcp->states[upper(*state)] = counter(value);
        }
    }

    if (!counters.empty()) {
        snapshot.net_dev.emplace();
        for (auto& [name, c] : counters) snapshot.net_dev->push_back(std::move(c));
    }
    for (auto& [name, info] : interfaces) snapshot.interfaces.push_back(std::move(info));
    for (const auto& [name, c] : counters) {
        if (!find_interface(snapshot, name)) {
            InterfaceInfo info;
            info.name = name;
            info.is_virtual = settings.is_virtual(name);
            snapshot.interfaces.push_back(std::move(info));
        }
    }
    if (!softnet.empty()) {
        snapshot.softnet.emplace();
        for (const auto& [cpu, entry] : softnet) snapshot.softnet->push_back(entry);
    }
    if (!cpus.empty()) {
        snapshot.cpu_times.emplace();
        for (const auto& [cpu, entry] : cpus) snapshot.cpu_times->push_back(entry);
        snapshot.online_cpus = static_cast<int>(cpus.size());
    }
    if (boot_time && node_time && *node_time >= *boot_time) snapshot.uptime_seconds = *node_time - *boot_time;
    return snapshot;
}

}  // namespace netdiag
