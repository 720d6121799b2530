#include "collect/snapshot_json.hpp"

#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "common/text.hpp"

namespace nlohmann {
// An absent value is null in JSON, never a zero.
template <typename T>
struct adl_serializer<std::optional<T>> {
    static void to_json(json& j, const std::optional<T>& value) {
        if (value) {
            j = *value;
        } else {
            j = nullptr;
        }
    }
    static void from_json(const json& j, std::optional<T>& value) {
        if (j.is_null()) {
            value.reset();
        } else {
            value = j.get<T>();
        }
    }
};
}  // namespace nlohmann

namespace netdiag {

// Range checks before any get<>(): nlohmann converts numbers with static_cast, so -1 read into a
// u64 counter wraps to 2^64-1 (a huge false rate), and a number past u64 (parsed as a double) or a
// fraction read into an integer is undefined behaviour. Each field is checked against its C++
// type and refused by its path ("net_dev[0].rx_drop: -1 is not a counter ..."). Wrong JSON types
// are left to get<>(), which throws type_error. One field list per struct serves both.
namespace {

[[noreturn]] void refuse(const std::string& path, const nlohmann::json& j, std::string_view why) {
    throw std::invalid_argument(fmt::format("{}: {} {}", path, j.dump(), why));
}

void check_value(const nlohmann::json& j, const std::string& path, const std::uint64_t*) {
    if (j.is_number_float() || (j.is_number_integer() && !j.is_number_unsigned() && j.get<std::int64_t>() < 0)) {
        refuse(path, j, "is not a counter (an integer from 0 to 18446744073709551615)");
    }
}

void check_integer(const nlohmann::json& j, const std::string& path, std::int64_t low, std::int64_t high) {
    if (!j.is_number()) return;
    const bool in_range =
        j.is_number_unsigned()  ? j.get<std::uint64_t>() <= static_cast<std::uint64_t>(high)
        : j.is_number_integer() ? j.get<std::int64_t>() >= low && j.get<std::int64_t>() <= high
                                : false;
    if (!in_range) refuse(path, j, fmt::format("is not an integer from {} to {}", low, high));
}

void check_value(const nlohmann::json& j, const std::string& path, const std::int64_t*) {
    check_integer(j, path, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
}

void check_value(const nlohmann::json& j, const std::string& path, const int*) {
    check_integer(j, path, std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
}

void check_value(const nlohmann::json&, const std::string&, const double*) {}
void check_value(const nlohmann::json&, const std::string&, const bool*) {}
void check_value(const nlohmann::json&, const std::string&, const std::string*) {}

// Declared first so that each finds the others whatever the nesting (optional<map<...>>).
template <class T>
void check_value(const nlohmann::json& j, const std::string& path, const std::optional<T>*);
template <class T>
void check_value(const nlohmann::json& j, const std::string& path, const std::vector<T>*);
template <class T>
void check_value(const nlohmann::json& j, const std::string& path, const std::map<std::string, T>*);

template <class T>
void check_value(const nlohmann::json& j, const std::string& path, const std::optional<T>*) {
    if (!j.is_null()) check_value(j, path, static_cast<const T*>(nullptr));
}

template <class T>
void check_value(const nlohmann::json& j, const std::string& path, const std::vector<T>*) {
    if (!j.is_array()) return;
    for (std::size_t i = 0; i < j.size(); ++i) {
        check_value(j[i], fmt::format("{}[{}]", path, i), static_cast<const T*>(nullptr));
    }
}

template <class T>
void check_value(const nlohmann::json& j, const std::string& path, const std::map<std::string, T>*) {
    if (!j.is_object()) return;
    for (const auto& [key, value] : j.items()) {
        check_value(value, fmt::format("{}.{}", path, printable(key)), static_cast<const T*>(nullptr));
    }
}

template <class T>
void check_field(const nlohmann::json& j, const char* key, const std::string& path, const T* type) {
    if (!j.is_object()) return;
    if (const auto found = j.find(key); found != j.end()) {
        check_value(*found, path.empty() ? std::string(key) : fmt::format("{}.{}", path, key), type);
    }
}

}  // namespace

#define NETDIAG_CHECK_FIELD(v1) check_field(j, #v1, path, static_cast<const decltype(Checked::v1)*>(nullptr));
// Fields missing from a document keep their defaults: a v1 file from an older netdiag still loads.
#define NETDIAG_JSON_TYPE(Type, ...)                                                                  \
    NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Type, __VA_ARGS__)                                \
    [[maybe_unused]] static void check_value(const nlohmann::json& j, const std::string& path, const Type*) { \
        using Checked = Type;                                                                         \
        NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NETDIAG_CHECK_FIELD, __VA_ARGS__))                   \
    }

NETDIAG_JSON_TYPE(InterfaceCounters, name, rx_bytes, rx_packets, rx_errs, rx_drop, rx_fifo, rx_frame, rx_compressed,
                  rx_multicast, tx_bytes, tx_packets, tx_errs, tx_drop, tx_fifo, tx_colls, tx_carrier, tx_compressed)
NETDIAG_JSON_TYPE(SoftnetCpu, cpu, processed, dropped, time_squeeze)
NETDIAG_JSON_TYPE(CpuTimes, cpu, user, nice, system, idle, iowait, irq, softirq, steal)
NETDIAG_JSON_TYPE(InterruptLine, irq, per_cpu, description, action)
NETDIAG_JSON_TYPE(Conntrack, count, max, buckets, stat)
NETDIAG_JSON_TYPE(PortRange, low, high)
NETDIAG_JSON_TYPE(RingSizes, rx, rx_max, tx, tx_max)
NETDIAG_JSON_TYPE(InterfaceInfo, name, speed_mbps, operstate, is_virtual, device, numa_node, local_cpulist, irqs,
                  rx_missed_errors, rx_fifo_errors, rx_queues, flags, carrier, carrier_changes, duplex, mtu, lower,
                  upper, master, bond_mii_status, tx_timeouts, rp_filter, ring)
NETDIAG_JSON_TYPE(Listener, queued, backlog)
NETDIAG_JSON_TYPE(NeighbourTable, entries, forced_gc_runs, table_fulls)
NETDIAG_JSON_TYPE(QdiscStats, interface, kind, handle, parent, sent_bytes, sent_packets, drops, overlimits, requeues,
                  backlog_bytes, backlog_packets)
NETDIAG_JSON_TYPE(IrqAffinity, smp_affinity, effective_affinity)

#undef NETDIAG_JSON_TYPE
#undef NETDIAG_CHECK_FIELD

namespace {

// JSON object keys are strings; ports and IRQ numbers become "8080", "27".
template <class V>
nlohmann::json int_keyed(const std::map<int, V>& map) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [key, value] : map) object[std::to_string(key)] = value;
    return object;
}

// Keys are IRQ numbers or ports: from 0 to `highest`, never truncated to another number.
template <class V>
std::map<int, V> int_keyed_from(const nlohmann::json& object, std::string_view what, int highest) {
    std::map<int, V> map;
    if (object.is_null()) return map;
    for (const auto& [key, value] : object.items()) {
        const auto number = parse_i64(key);
        if (!number || *number < 0 || *number > highest) {
            throw std::invalid_argument(
                fmt::format("{}: key \"{}\" is not a number from 0 to {}", what, printable(key), highest));
        }
        const auto path = fmt::format("{}.{}", what, key);
        check_value(value, path, static_cast<const V*>(nullptr));
        map[static_cast<int>(*number)] = value.template get<V>();
    }
    return map;
}

nlohmann::json tcp_to_json(const TcpSockets& tcp) {
    return {{"states", tcp.states},
            {"close_wait_by_local_port", int_keyed(tcp.close_wait_by_local_port)},
            {"time_wait_by_remote_port", int_keyed(tcp.time_wait_by_remote_port)},
            {"syn_recv_by_local_port", int_keyed(tcp.syn_recv_by_local_port)},
            {"listeners", int_keyed(tcp.listeners)}};
}

constexpr int kHighestPort = 65535;

TcpSockets tcp_from_json(const nlohmann::json& j) {
    TcpSockets tcp;
    check_field(j, "states", "tcp", &tcp.states);
    tcp.states = j.value("states", std::map<std::string, std::uint64_t>{});
    tcp.close_wait_by_local_port = int_keyed_from<std::uint64_t>(j.value("close_wait_by_local_port", nlohmann::json()),
                                                                 "tcp.close_wait_by_local_port", kHighestPort);
    tcp.time_wait_by_remote_port = int_keyed_from<std::uint64_t>(j.value("time_wait_by_remote_port", nlohmann::json()),
                                                                 "tcp.time_wait_by_remote_port", kHighestPort);
    // Added after v1's first release: absent from older snapshots, which leaves them empty.
    tcp.syn_recv_by_local_port = int_keyed_from<std::uint64_t>(j.value("syn_recv_by_local_port", nlohmann::json()),
                                                               "tcp.syn_recv_by_local_port", kHighestPort);
    tcp.listeners = int_keyed_from<Listener>(j.value("listeners", nlohmann::json()), "tcp.listeners", kHighestPort);
    return tcp;
}

template <class T>
void read_field(const nlohmann::json& j, const char* key, T& field) {
    check_field(j, key, "", &field);
    if (const auto found = j.find(key); found != j.end()) field = found->get<T>();
}

// Up to the year 9999: the interval between two samples is a difference of these, which must not
// overflow (INT64_MIN and INT64_MAX would).
constexpr std::int64_t kLatestUnixMs = 253402300799999;

// A snapshot saved before a part existed has no key for it (a host that lacked it has null): the
// checks that need that part have nothing to say, and `-v` says why rather than leave it unsaid.
void note_parts_older_netdiag_did_not_save(const nlohmann::json& j, Snapshot& s) {
    constexpr std::string_view kWhy = "not in this snapshot (saved by an older netdiag)";
    const std::pair<const char*, const char*> parts[] = {
        {"arp_cache", "/proc/net/stat/arp_cache"},   {"ndisc_cache", "/proc/net/stat/ndisc_cache"},
        {"sysctl_lists", "/proc/sys/net/ipv4/tcp_mem"}, {"sockstat6", "/proc/net/sockstat6"},
        {"mem_total_bytes", "/proc/meminfo"},        {"qdiscs", "qdiscs"},
    };
    for (const auto& [key, path] : parts) {
        if (!j.contains(key)) s.unavailable.emplace(path, kWhy);
    }
    const auto interfaces = j.find("interfaces");
    if (interfaces != j.end() && interfaces->is_array() && !interfaces->empty() &&
        !(*interfaces)[0].contains("carrier_changes")) {
        s.unavailable.emplace("/sys/class/net/*/{flags,carrier,carrier_changes,duplex,mtu,...}", kWhy);
    }
}

Snapshot snapshot_from_json(const nlohmann::json& j) {
    Snapshot s;
    read_field(j, "host", s.host);
    read_field(j, "taken_at_unix_ms", s.taken_at_unix_ms);
    if (s.taken_at_unix_ms < 0 || s.taken_at_unix_ms > kLatestUnixMs) {
        refuse("taken_at_unix_ms", j.at("taken_at_unix_ms"), fmt::format("is not a time from 0 to {}", kLatestUnixMs));
    }
    read_field(j, "uptime_seconds", s.uptime_seconds);
    if (s.uptime_seconds && !(*s.uptime_seconds >= 0)) {
        refuse("uptime_seconds", j.at("uptime_seconds"), "is not a number of seconds ≥ 0");
    }
    read_field(j, "hostname", s.hostname);
    read_field(j, "kernel_release", s.kernel_release);
    read_field(j, "clk_tck", s.clk_tck);
    read_field(j, "page_size", s.page_size);
    read_field(j, "online_cpus", s.online_cpus);
    read_field(j, "net_dev", s.net_dev);
    read_field(j, "snmp", s.snmp);
    read_field(j, "netstat", s.netstat);
    read_field(j, "snmp6", s.snmp6);
    read_field(j, "sockstat", s.sockstat);
    read_field(j, "softnet", s.softnet);
    read_field(j, "cpu_times", s.cpu_times);
    read_field(j, "softirqs", s.softirqs);
    read_field(j, "interrupts", s.interrupts);
    read_field(j, "conntrack", s.conntrack);
    read_field(j, "port_range", s.port_range);
    if (const auto tcp = j.find("tcp"); tcp != j.end() && !tcp->is_null()) s.tcp = tcp_from_json(*tcp);
    read_field(j, "sysctls", s.sysctls);
    read_field(j, "sysctl_lists", s.sysctl_lists);
    read_field(j, "sockstat6", s.sockstat6);
    read_field(j, "arp_cache", s.arp_cache);
    read_field(j, "ndisc_cache", s.ndisc_cache);
    read_field(j, "qdiscs", s.qdiscs);
    read_field(j, "mem_total_bytes", s.mem_total_bytes);
    read_field(j, "interfaces", s.interfaces);
    if (const auto irqs = j.find("irq_affinity"); irqs != j.end()) {
        s.irq_affinity = int_keyed_from<IrqAffinity>(*irqs, "irq_affinity", std::numeric_limits<int>::max());
    }
    read_field(j, "unavailable", s.unavailable);
    read_field(j, "unparsable", s.unparsable);
    note_parts_older_netdiag_did_not_save(j, s);
    return s;
}

}  // namespace

nlohmann::json snapshot_to_json(const Snapshot& s) {
    nlohmann::json j;
    j["host"] = s.host;
    j["taken_at_unix_ms"] = s.taken_at_unix_ms;
    j["uptime_seconds"] = s.uptime_seconds;
    j["hostname"] = s.hostname;
    j["kernel_release"] = s.kernel_release;
    j["clk_tck"] = s.clk_tck;
    j["page_size"] = s.page_size;
    j["online_cpus"] = s.online_cpus;
    j["net_dev"] = s.net_dev;
    j["snmp"] = s.snmp;
    j["netstat"] = s.netstat;
    j["snmp6"] = s.snmp6;
    j["sockstat"] = s.sockstat;
    j["softnet"] = s.softnet;
    j["cpu_times"] = s.cpu_times;
    j["softirqs"] = s.softirqs;
    j["interrupts"] = s.interrupts;
    j["conntrack"] = s.conntrack;
    j["port_range"] = s.port_range;
    j["tcp"] = s.tcp ? tcp_to_json(*s.tcp) : nlohmann::json();
    j["sysctls"] = s.sysctls;
    j["sysctl_lists"] = s.sysctl_lists;
    j["sockstat6"] = s.sockstat6;
    j["arp_cache"] = s.arp_cache;
    j["ndisc_cache"] = s.ndisc_cache;
    j["qdiscs"] = s.qdiscs;
    j["mem_total_bytes"] = s.mem_total_bytes;
    j["interfaces"] = s.interfaces;
    j["irq_affinity"] = int_keyed(s.irq_affinity);
    j["unavailable"] = s.unavailable;
    j["unparsable"] = s.unparsable;
    return j;
}

nlohmann::json collect_document(const std::vector<Snapshot>& samples) {
    nlohmann::json samples_json = nlohmann::json::array();
    for (const auto& sample : samples) samples_json.push_back(snapshot_to_json(sample));
    return {{"schema", kCollectSchema}, {"samples", std::move(samples_json)}};
}

Result<std::vector<Snapshot>> parse_collect_document(std::string_view text, std::string_view file) {
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& error) {
        // The message carries "line L, column C"; a number past a double's range (1e400) is an
        // out_of_range error from the parser, bad input all the same.
        return make_error(fmt::format("{}: not valid JSON: {}", file, error.what()));
    }
    const auto schema = document.is_object() ? document.find("schema") : document.end();
    if (schema == document.end() || !schema->is_string() || schema->get<std::string>() != kCollectSchema) {
        return make_error(fmt::format("{}: not a {} document (no \"schema\": \"{}\")", file, kCollectSchema,
                                      kCollectSchema));
    }
    const auto samples = document.find("samples");
    if (samples == document.end() || !samples->is_array() || samples->empty()) {
        return make_error(fmt::format("{}: \"samples\" must be a non-empty array", file));
    }
    std::vector<Snapshot> snapshots;
    for (std::size_t i = 0; i < samples->size(); ++i) {
        try {
            snapshots.push_back(snapshot_from_json((*samples)[i]));
        } catch (const std::exception& error) {
            return make_error(fmt::format("{}: samples[{}]: {}", file, i, error.what()));
        }
    }
    return snapshots;
}

}  // namespace netdiag
