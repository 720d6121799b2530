#include "checks/settings.hpp"

#include <cmath>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "checks/settings_yaml.hpp"
#include "common/text.hpp"

namespace netdiag {

Settings default_settings() {
    Settings settings;
    // DESIGN.md's table; the units are those each check reports in.
    settings.thresholds = {
        {"rx-drops.warning", 10},              // drops/s
        {"rx-drops.critical", 1000},           // drops/s
        {"softnet-backlog.warning", 0},        // drops/s summed over CPUs
        {"conntrack-fill.warning", 80},        // % of nf_conntrack_max
        {"conntrack-fill.critical", 95},
        {"conntrack-drops.critical", 0},       // insert_failed + drop + early_drop per second
        {"nic-saturation.warning", 85},        // % of link speed
        {"nic-saturation.critical", 95},
        {"nic-errors.warning", 0},             // errors/s
        {"tcp-retransmits.warning-rate", 50},  // segments/s
        {"tcp-retransmits.warning", 1},        // % of OutSegs
        {"tcp-retransmits.critical", 5},       // % of OutSegs
        {"time-wait.warning-count", 15000},    // sockets
        {"time-wait.warning", 50},             // % of the ephemeral port range
        {"time-wait.critical", 90},
        {"close-wait.warning", 100},           // sockets on one local port
        {"close-wait.critical", 1000},
        {"listen-overflows.warning", 0},       // overflows+drops/s
        {"udp-buffer-errors.warning", 0},      // errors/s
        {"syn-queue.warning", 1},              // cookies + drops per second (Netdata's 1m_tcp_syn_queue_*)
        {"syn-queue.critical", 5},
        {"ip-reassembly.warning", 1},          // datagrams/s (no anchor alarms on it)
        {"tcp-resets.warning", 50},            // resets/s (Netdata's floor: 10 x 5/s)
        {"tcp-memory.warning", 0},             // entries into memory pressure per second
        {"tcp-memory.critical", 0},            // connections aborted for lack of memory per second
        {"tcp-memory.orphans-warning", 25},    // % of tcp_max_orphans (Netdata tcp_orphans)
        {"tcp-memory.orphans-critical", 50},
        {"tcp-receive-drops.warning", 0},      // segments/s
        {"time-wait-overflow.warning", 0},     // connections/s
        {"tx-drops.warning", 2},               // % of transmitted packets (Netdata outbound_packets_dropped_ratio)
        {"tcp-memory.level-critical", 90},     // % of tcp_mem's high mark (Netdata tcp_memory); warning: past pressure
        {"tcp-aborts.warning", 1},             // connections/s aborted on a timer (no anchor)
        {"carrier-flaps.warning", 2},          // carrier changes between samples (kube-prometheus: > 2 in 2m)
        {"link-degraded.minimum-speed", 1000}, // Mb/s on a physical NIC; 0 turns the speed test off
        {"tx-timeouts.warning", 0},            // watchdog timeouts between samples
        {"packet-storm.warning", 50},          // x the long-run packet rate (Netdata 10s_received_packets_storm)
        {"packet-storm.critical", 60},
        {"packet-storm.floor", 1000},          // packets/s below which no rate is a storm (Netdata's floor)
        {"qdisc-drops.warning", 0},            // packets/s (Netdata 10min_qos_packet_drops: any)
        {"neigh-table.warning", 80},           // % of gc_thresh3 (no anchor); any overflow is critical
        {"neigh-table.critical", 95},
        {"rp-filter.warning", 0},              // packets/s (no anchor)
        {"checksum-errors.warning", 0},        // packets/s (no anchor)
        {"icmp-errors.warning", 1},            // messages/s (no anchor)
        {"no-route.warning", 1},               // packets/s (no anchor)
        {"udp-memory.critical", 90},           // % of udp_mem's high mark; warning: past pressure (as tcp_memory)
        {"frag-memory.warning", 80},           // % of ipfrag_high_thresh (no anchor)
        {"frag-memory.critical", 95},
    };
    settings.virtual_interfaces = {"lo",     "veth*", "br-*",   "docker*", "virbr*", "vnet*",    "tun*",  "tap*",
                                   "cali*",  "flannel*", "cni*", "vxlan*", "kube-*", "dummy*", "ifb*", "wg*"};
    return settings;
}

double Settings::threshold(std::string_view key) const {
    const auto found = thresholds.find(std::string(key));
    return found == thresholds.end() ? 0 : found->second;
}

bool Settings::is_virtual(std::string_view interface) const {
    for (const auto& pattern : virtual_interfaces) {
        if (wildcard_match(pattern, interface)) return true;
    }
    return false;
}

namespace {

Status set_threshold_value(Settings& settings, std::string_view key, std::string_view value_text,
                           std::string_view where) {
    if (!settings.thresholds.count(std::string(key))) {
        return make_error(
            fmt::format("{}unknown threshold \"{}\" (see `netdiag checks` for the names)", where, printable(key)));
    }
    // from_chars reads "nan" and "inf": a NaN level never fires (x > NaN is false) or, as a
    // warning, flags everything, and an infinite one silently turns the check off.
    const auto value = parse_double(trim(value_text));
    if (!value || !std::isfinite(*value) || *value < 0) {
        return make_error(fmt::format("{}threshold \"{}\" needs a number ≥ 0, not \"{}\"", where,
                                      printable(key), printable(value_text)));
    }
    settings.thresholds[std::string(key)] = *value;
    return Ok{};
}

Status set_speed_value(Settings& settings, std::string_view name, std::string_view value_text,
                       std::string_view where) {
    const auto value = parse_i64(trim(value_text));
    if (name.empty() || !value || *value <= 0) {
        return make_error(fmt::format("{}speed needs INTERFACE=MBPS with MBPS > 0, not \"{}={}\"", where,
                                      printable(name), printable(value_text)));
    }
    settings.speeds_mbps[std::string(name)] = *value;
    return Ok{};
}

std::string where(std::string_view file, const YAML::Mark& mark) {
    return fmt::format("{}:{}: ", file, mark.line + 1);
}

}  // namespace

Status set_threshold(Settings& settings, std::string_view assignment) {
    const auto equals = assignment.find('=');
    if (equals == std::string_view::npos) {
        return make_error(fmt::format("--threshold needs CHECK.LEVEL=VALUE, not \"{}\"", assignment));
    }
    return set_threshold_value(settings, trim(assignment.substr(0, equals)), assignment.substr(equals + 1),
                               "--threshold: ");
}

Status set_speed(Settings& settings, std::string_view assignment) {
    const auto equals = assignment.find('=');
    if (equals == std::string_view::npos) {
        return make_error(fmt::format("--speed needs INTERFACE=MBPS, not \"{}\"", assignment));
    }
    return set_speed_value(settings, trim(assignment.substr(0, equals)), assignment.substr(equals + 1),
                           "--speed: ");
}

Status apply_config(Settings& settings, std::string_view yaml_text, std::string_view file) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml_text));
    } catch (const YAML::Exception& error) {
        return make_error(fmt::format("{}:{}: {}", file, error.mark.line + 1, error.msg));
    }
    if (root.IsNull()) return Ok{};
    return apply_settings_node(settings, root, file);
}

Status apply_settings_node(Settings& settings, const YAML::Node& root, std::string_view file) {
    if (!root.IsMap()) return make_error(fmt::format("{}expected a mapping of thresholds, speeds, virtual_interfaces",
                                                     where(file, root.Mark())));
    for (const auto& entry : root) {
        const auto key = entry.first.Scalar();
        const auto& value = entry.second;
        if (key == "thresholds") {
            if (!value.IsMap()) return make_error(fmt::format("{}thresholds must be a mapping", where(file, value.Mark())));
            for (const auto& threshold : value) {
                if (!threshold.second.IsScalar()) {
                    return make_error(fmt::format("{}threshold values are numbers", where(file, threshold.second.Mark())));
                }
                auto status = set_threshold_value(settings, threshold.first.Scalar(),
                                                  threshold.second.as<std::string>(),
                                                  where(file, threshold.first.Mark()));
                if (!status) return status;
            }
        } else if (key == "virtual_interfaces") {
            if (!value.IsSequence()) {
                return make_error(fmt::format("{}virtual_interfaces must be a list of patterns", where(file, value.Mark())));
            }
            settings.virtual_interfaces.clear();
            for (const auto& pattern : value) {
                if (!pattern.IsScalar()) {
                    return make_error(fmt::format("{}virtual_interfaces are patterns like \"veth*\"",
                                                  where(file, pattern.Mark())));
                }
                settings.virtual_interfaces.push_back(pattern.as<std::string>());
            }
        } else if (key == "speeds") {
            if (!value.IsMap()) return make_error(fmt::format("{}speeds must be a mapping", where(file, value.Mark())));
            for (const auto& speed : value) {
                if (!speed.second.IsScalar()) {
                    return make_error(fmt::format("{}speeds are numbers in Mb/s", where(file, speed.second.Mark())));
                }
                auto status = set_speed_value(settings, speed.first.Scalar(), speed.second.as<std::string>(),
                                              where(file, speed.first.Mark()));
                if (!status) return status;
            }
        } else {
            return make_error(fmt::format("{}unknown key \"{}\" (expected thresholds, virtual_interfaces, speeds)",
                                          where(file, entry.first.Mark()), printable(key)));
        }
    }
    return Ok{};
}

}  // namespace netdiag
