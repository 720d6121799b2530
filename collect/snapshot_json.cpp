#include "collect/snapshot_json.hpp"

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

// Fields missing from a document keep their defaults: a v1 file from an older netdiag still loads.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InterfaceCounters, name, rx_bytes, rx_packets, rx_errs, rx_drop,
                                                rx_fifo, rx_frame, rx_compressed, rx_multicast, tx_bytes,
                                                tx_packets, tx_errs, tx_drop, tx_fifo, tx_colls, tx_carrier,
                                                tx_compressed)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SoftnetCpu, cpu, processed, dropped, time_squeeze)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CpuTimes, cpu, user, nice, system, idle, iowait, irq, softirq,
                                                steal)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InterruptLine, irq, per_cpu, description, action)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Conntrack, count, max, buckets, stat)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PortRange, low, high)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InterfaceInfo, name, speed_mbps, operstate, is_virtual, device,
                                                numa_node, local_cpulist, irqs, rx_missed_errors, rx_fifo_errors,
                                                rx_queues)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(IrqAffinity, smp_affinity, effective_affinity)

namespace {

// JSON object keys are strings; ports and IRQ numbers become "8080", "27".
template <class V>
nlohmann::json int_keyed(const std::map<int, V>& map) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [key, value] : map) object[std::to_string(key)] = value;
    return object;
}

template <class V>
std::map<int, V> int_keyed_from(const nlohmann::json& object, std::string_view what) {
    std::map<int, V> map;
    if (object.is_null()) return map;
    for (const auto& [key, value] : object.items()) {
        const auto number = parse_i64(key);
        if (!number) throw std::invalid_argument(fmt::format("{}: key \"{}\" is not a number", what, key));
        map[static_cast<int>(*number)] = value.template get<V>();
    }
    return map;
}

nlohmann::json tcp_to_json(const TcpSockets& tcp) {
    return {{"states", tcp.states},
            {"close_wait_by_local_port", int_keyed(tcp.close_wait_by_local_port)},
            {"time_wait_by_remote_port", int_keyed(tcp.time_wait_by_remote_port)}};
}

TcpSockets tcp_from_json(const nlohmann::json& j) {
    TcpSockets tcp;
    tcp.states = j.value("states", std::map<std::string, std::uint64_t>{});
    tcp.close_wait_by_local_port =
        int_keyed_from<std::uint64_t>(j.value("close_wait_by_local_port", nlohmann::json()), "close_wait_by_local_port");
    tcp.time_wait_by_remote_port =
        int_keyed_from<std::uint64_t>(j.value("time_wait_by_remote_port", nlohmann::json()), "time_wait_by_remote_port");
    return tcp;
}

template <class T>
void read_field(const nlohmann::json& j, const char* key, T& field) {
    if (const auto found = j.find(key); found != j.end()) field = found->get<T>();
}

Snapshot snapshot_from_json(const nlohmann::json& j) {
    Snapshot s;
    read_field(j, "host", s.host);
    read_field(j, "taken_at_unix_ms", s.taken_at_unix_ms);
    read_field(j, "uptime_seconds", s.uptime_seconds);
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
    read_field(j, "interfaces", s.interfaces);
    if (const auto irqs = j.find("irq_affinity"); irqs != j.end()) {
        s.irq_affinity = int_keyed_from<IrqAffinity>(*irqs, "irq_affinity");
    }
    read_field(j, "unavailable", s.unavailable);
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
    j["interfaces"] = s.interfaces;
    j["irq_affinity"] = int_keyed(s.irq_affinity);
    j["unavailable"] = s.unavailable;
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
    } catch (const nlohmann::json::parse_error& error) {
        // The message carries "line L, column C".
        return make_error(fmt::format("{}: not valid JSON: {}", file, error.what()));
    }
    if (!document.is_object() || document.value("schema", std::string()) != kCollectSchema) {
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
