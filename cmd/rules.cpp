// netdiag rules: Prometheus alerting rules equivalent to the catalogue, written against the metrics
// node_exporter exports by default, with the thresholds and interface exclusions in force.
//
// Each rule computes what its check computes, from the same kernel counters as node_exporter
// names them (node_network_receive_drop_total is /proc/net/dev's drop column, rx_dropped plus
// rx_missed_errors; the netstat collector's default field regex decides which snmp/netstat
// counters exist). A check whose data node_exporter does not export by default gets no rule and
// is listed, with what it would need, in the comment at the top of the file.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <regex>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "checks/catalogue.hpp"
#include "cmd/commands.hpp"
#include "cmd/settings_options.hpp"
#include "common/exit_codes.hpp"
#include "common/text.hpp"
#include "prometheus/availability.hpp"

namespace netdiag {

namespace {

// A threshold as a PromQL number: "10", "0.5", "1e+20".
std::string number(double value) {
    if (value == static_cast<double>(static_cast<long long>(value)) && std::abs(value) < 1e15) {
        return fmt::format("{}", static_cast<long long>(value));
    }
    return fmt::format("{}", value);
}

// A PromQL double-quoted string literal's content.
std::string promql_string(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '\\' || c == '"') out += '\\';
        out += c;
    }
    return out;
}

// One regular expression (RE2 syntax, unanchored: Prometheus anchors label matchers) for names.
std::string literal_regex(std::string_view name) {
    std::string out;
    for (const char c : name) {
        if (std::string_view(".+*?()[]{}|^$\\").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

struct Alert {
    std::string severity;     // "warning" or "critical"
    std::string expr;
    std::string for_duration; // "" without
    std::string summary;      // a template: {{ $labels.device }}, {{ $value }}
    bool per_device = false;  // the alert carries a device label ("IF" in the action becomes it)
};

struct Context {
    const Settings& settings;
    std::string window;
    std::string physical;  // label matcher that leaves out the virtual interfaces, "" for none

    std::string rate(std::string_view metric, std::string_view matchers = "") const {
        return fmt::format("rate({}{}[{}])", metric, matchers.empty() ? "" : fmt::format("{{{}}}", matchers), window);
    }
    double threshold(std::string_view check, std::string_view level) const {
        return settings.threshold(fmt::format("{}.{}", check, level));
    }
};

constexpr std::string_view kOnDevice = "on(instance, job, device)";
constexpr std::string_view kWhere = "{{ $labels.device }} on {{ $labels.instance }}";
constexpr std::string_view kHost = "{{ $labels.instance }}";
constexpr std::string_view kValue = "{{ $value | humanize }}";

// "A > w <= c" for the warning rule and "A > c" for the critical one, so that one series is in
// exactly one severity, as each finding of a check has one. `above` is ">" or ">=", as the check
// compares.
std::vector<Alert> two_levels(const std::string& value, std::string_view above, double warning, double critical,
                              const std::string& summary_warning, const std::string& summary_critical,
                              bool per_device) {
    const std::string_view below = above == ">" ? "<=" : "<";
    return {
        Alert{"warning", fmt::format("{} {} {} {} {}", value, above, number(warning), below, number(critical)), "",
              summary_warning, per_device},
        Alert{"critical", fmt::format("{} {} {}", value, above, number(critical)), "", summary_critical, per_device},
    };
}

using RuleBuilder = std::function<std::vector<Alert>(const Context&)>;

std::vector<Alert> rx_drops(const Context& c) {
    // As the check: every interface, virtual ones included (a veth's drops are a container's).
    const auto value = c.rate("node_network_receive_drop_total");
    const double w = c.threshold("rx-drops", "warning"), k = c.threshold("rx-drops", "critical");
    return two_levels(value, ">", w, k,
                      fmt::format("{} drops {} received packets/s (warning above {}/s)", kWhere, kValue, number(w)),
                      fmt::format("{} drops {} received packets/s (critical above {}/s)", kWhere, kValue, number(k)),
                      true);
}

std::vector<Alert> softnet_backlog(const Context& c) {
    const double w = c.threshold("softnet-backlog", "warning");
    return {Alert{"warning",
                  fmt::format("sum without (cpu) ({}) > {}", c.rate("node_softnet_dropped_total"), number(w)), "",
                  fmt::format("{} drops {} packets/s from full per-CPU input backlogs (above {}/s)", kHost, kValue,
                              number(w)),
                  false}};
}

std::vector<Alert> conntrack_fill(const Context& c) {
    const std::string value = "100 * node_nf_conntrack_entries / (node_nf_conntrack_entries_limit > 0)";
    const double w = c.threshold("conntrack-fill", "warning"), k = c.threshold("conntrack-fill", "critical");
    return two_levels(value, ">=", w, k,
                      fmt::format("the conntrack table on {} is {}% full (warning at {}%)", kHost, kValue, number(w)),
                      fmt::format("the conntrack table on {} is {}% full (critical at {}%)", kHost, kValue, number(k)),
                      false);
}

std::vector<Alert> conntrack_drops(const Context& c) {
    const double k = c.threshold("conntrack-drops", "critical");
    return {Alert{"critical",
                  fmt::format("{} + {} + {} > {}", c.rate("node_nf_conntrack_stat_insert_failed"),
                              c.rate("node_nf_conntrack_stat_drop"), c.rate("node_nf_conntrack_stat_early_drop"),
                              number(k)),
                  "",
                  fmt::format("conntrack on {} refuses or evicts {} connections/s (insert_failed + drop + "
                              "early_drop, above {}/s)",
                              kHost, kValue, number(k)),
                  false}};
}

// A device matcher for these names only.
std::string device_is(std::string_view name) { return fmt::format("device=\"{}\"", promql_string(name)); }

std::vector<Alert> nic_saturation(const Context& c) {
    // The busier direction, in bytes/s, against the link speed in bytes/s (node_network_speed_bytes
    // is sysfs' Mb/s x 125000): the check's bits against Mb/s, without the factor 8 on both sides.
    const auto busier = [&](const std::string& matchers) {
        const auto rx = c.rate("node_network_receive_bytes_total", matchers);
        const auto tx = c.rate("node_network_transmit_bytes_total", matchers);
        return fmt::format("(({} > {}) or {})", rx, tx, tx);
    };
    // Speeds given with --speed or `speeds:` win over sysfs, as in the check.
    std::vector<std::string> configured;
    for (const auto& [name, mbps] : c.settings.speeds_mbps) {
        if (!c.settings.is_virtual(name)) configured.push_back(name);
    }
    std::string sysfs_matchers = c.physical;
    if (!configured.empty()) {
        std::string names;
        for (const auto& name : configured) names += (names.empty() ? "" : "|") + literal_regex(name);
        if (c.physical.empty()) {
            sysfs_matchers = fmt::format("device!~\"{}\"", promql_string(names));
        } else {
            // physical is device!~"RE": add the configured names to RE.
            sysfs_matchers = c.physical.substr(0, c.physical.size() - 1) + "|" + promql_string(names) + "\"";
        }
    }
    std::string value = fmt::format("100 * {} / (node_network_speed_bytes{} > 0)", busier(sysfs_matchers),
                                    sysfs_matchers.empty() ? "" : "{" + sysfs_matchers + "}");
    for (const auto& name : configured) {
        value += fmt::format(" or 100 * {} / {}", busier(device_is(name)),
                             number(static_cast<double>(c.settings.speeds_mbps.at(name)) * 125000));
    }
    const double w = c.threshold("nic-saturation", "warning"), k = c.threshold("nic-saturation", "critical");
    // Interfaces that are up (operstate up or unknown), as the check.
    const auto up = fmt::format(" and {} node_network_info{{operstate=~\"up|unknown\"}}", kOnDevice);
    auto alerts = two_levels("(" + value + ")", ">=", w, k,
                             fmt::format("{} runs at {}% of its link speed (warning at {}%)", kWhere, kValue, number(w)),
                             fmt::format("{} runs at {}% of its link speed (critical at {}%)", kWhere, kValue, number(k)),
                             true);
    for (auto& alert : alerts) alert.expr = "(" + alert.expr + ")" + up;
    return alerts;
}

std::vector<Alert> nic_errors(const Context& c) {
    const double w = c.threshold("nic-errors", "warning");
    return {Alert{"warning",
                  fmt::format("{} + {} > {}", c.rate("node_network_receive_errs_total", c.physical),
                              c.rate("node_network_transmit_errs_total", c.physical), number(w)),
                  "", fmt::format("{} counts {} receive and transmit errors/s (above {}/s)", kWhere, kValue, number(w)),
                  true}};
}

std::vector<Alert> tx_drops(const Context& c) {
    const auto drops = c.rate("node_network_transmit_drop_total", c.physical);
    const auto sent = c.rate("node_network_transmit_packets_total", c.physical);
    const double w = c.threshold("tx-drops", "warning");
    return {Alert{"warning",
                  fmt::format("(100 * {0} / ({1} + {0}) >= {2}) and ({0} > 0)", drops, sent, number(w)), "",
                  fmt::format("{} drops {}% of the packets it transmits (warning at {}%)", kWhere, kValue, number(w)),
                  true}};
}

std::string selector(std::string_view metric, const std::string& matchers) {
    return matchers.empty() ? std::string(metric) : fmt::format("{}{{{}}}", metric, matchers);
}

std::vector<Alert> carrier_flaps(const Context& c) {
    // Changes counted over the window (the check counts them between its two samples); floor()
    // undoes increase()'s extrapolation so that 2 changes never read as 2.1.
    const double w = c.threshold("carrier-flaps", "warning");
    return {Alert{"warning",
                  fmt::format("floor(increase({}[{}])) > {}",
                              selector("node_network_carrier_changes_total", c.physical), c.window, number(w)),
                  "2m",  // kube-prometheus NodeNetworkInterfaceFlapping
                  fmt::format("{}'s link went down or up {} times in {} (more than {})", kWhere, kValue, c.window,
                              number(w)),
                  true}};
}

// IFF_UP is bit 0 of node_network_flags.
std::string admin_up(const Context& c) {
    return fmt::format("({} % 2 == 1)", selector("node_network_flags", c.physical));
}

std::vector<Alert> link_down(const Context& c) {
    return {Alert{"critical",
                  fmt::format("{} == 0 and {} {}", selector("node_network_carrier", c.physical), kOnDevice,
                              admin_up(c)),
                  "", fmt::format("{} is up (administratively) but has no link (carrier 0)", kWhere), true}};
}

std::vector<Alert> link_degraded(const Context& c) {
    const double minimum = c.threshold("link-degraded", "minimum-speed");
    const auto info_matchers = c.physical.empty() ? std::string("duplex=\"half\"") : c.physical + ", duplex=\"half\"";
    // One series per device whatever node_network_info's other labels are (adminstate in newer versions).
    std::string value = fmt::format("max without (address, broadcast, duplex, operstate, ifalias, adminstate) "
                                    "(node_network_info{{{}}})",
                                    info_matchers);
    if (minimum > 0) {
        value = fmt::format("(node_network_speed_bytes{} / 125000 > 0 < {}) or {}",
                            c.physical.empty() ? "" : "{" + c.physical + "}", number(minimum), value);
    }
    const auto speed_text = minimum > 0 ? fmt::format(" or below {} Mb/s", number(minimum)) : std::string();
    return {Alert{"warning",
                  fmt::format("({}) and {} {} unless {} ({} == 0)", value, kOnDevice, admin_up(c), kOnDevice,
                              selector("node_network_carrier", c.physical)),
                  "", fmt::format("{} runs at half duplex{}", kWhere, speed_text), true}};
}

std::vector<Alert> bond_degraded(const Context&) {
    const std::string down = "(node_bonding_slaves - node_bonding_active) > 0";
    return {
        Alert{"warning", down + " and node_bonding_active > 0", "5m",  // node-mixin NodeBondingDegraded
              "bond {{ $labels.master }} on {{ $labels.instance }} has {{ $value }} slave(s) down", false},
        Alert{"critical", down + " and node_bonding_active == 0", "5m",
              "bond {{ $labels.master }} on {{ $labels.instance }} has every slave down", false},
    };
}

std::vector<Alert> listen_overflows(const Context& c) {
    // Every overflow is also a drop: the larger of the two, as the check.
    const auto overflows = c.rate("node_netstat_TcpExt_ListenOverflows");
    const auto drops = c.rate("node_netstat_TcpExt_ListenDrops");
    const double w = c.threshold("listen-overflows", "warning");
    return {Alert{"warning", fmt::format("(({} > {}) or {}) > {}", overflows, drops, drops, number(w)), "",
                  fmt::format("{} drops {} connections/s at full listen queues (above {}/s)", kHost, kValue, number(w)),
                  false}};
}

std::vector<Alert> tcp_retransmits(const Context& c) {
    const auto retransmits = c.rate("node_netstat_Tcp_RetransSegs");
    const auto share = fmt::format("100 * {} / ({} > 0)", retransmits, c.rate("node_netstat_Tcp_OutSegs"));
    const double floor = c.threshold("tcp-retransmits", "warning-rate");
    const double w = c.threshold("tcp-retransmits", "warning"), k = c.threshold("tcp-retransmits", "critical");
    auto alerts = two_levels(share, ">", w, k,
                             fmt::format("{} retransmits {}% of its TCP segments (warning above {}%, {}/s)", kHost,
                                         kValue, number(w), number(floor)),
                             fmt::format("{} retransmits {}% of its TCP segments (critical above {}%, {}/s)", kHost,
                                         kValue, number(k), number(floor)),
                             false);
    for (auto& alert : alerts) alert.expr = fmt::format("({}) and ({} > {})", alert.expr, retransmits, number(floor));
    return alerts;
}

std::vector<Alert> time_wait(const Context& c) {
    const double count = c.threshold("time-wait", "warning-count");
    return {Alert{"warning", fmt::format("node_sockstat_TCP_tw > {}", number(count)), "",
                  fmt::format("{} holds {} sockets in TIME_WAIT (more than {})", kHost, kValue, number(count)), false}};
}

std::vector<Alert> udp_buffer_errors(const Context& c) {
    const auto receive = c.rate("node_netstat_Udp_RcvbufErrors");
    const double w = c.threshold("udp-buffer-errors", "warning");
    // Udp6 is absent where IPv6 is off: count it as nothing there, not as no answer at all.
    return {Alert{"warning",
                  fmt::format("{} + {} + ({} + {} or {} * 0) > {}", receive, c.rate("node_netstat_Udp_SndbufErrors"),
                              c.rate("node_netstat_Udp6_RcvbufErrors"), c.rate("node_netstat_Udp6_SndbufErrors"),
                              receive, number(w)),
                  "",
                  fmt::format("{} loses {} UDP datagrams/s to full socket buffers (above {}/s)", kHost, kValue,
                              number(w)),
                  false}};
}

std::vector<Alert> packet_storm(const Context& c) {
    // The receive rate against the interface's own rate since boot (its counter over the uptime),
    // never below the floor; not in the first minute after boot, as the check.
    const auto packets = selector("node_network_receive_packets_total", c.physical);
    const std::string uptime = "(time() - node_boot_time_seconds)";
    const auto ratio = fmt::format("{} / (clamp_min({} / ignoring(device) group_left() {}, {}) > 0)",
                                   c.rate("node_network_receive_packets_total", c.physical), packets, uptime,
                                   number(c.threshold("packet-storm", "floor")));
    const double w = c.threshold("packet-storm", "warning"), k = c.threshold("packet-storm", "critical");
    auto alerts = two_levels(ratio, ">", w, k,
                             fmt::format("{} receives {} times its usual packet rate (warning above {}x)", kWhere,
                                         kValue, number(w)),
                             fmt::format("{} receives {} times its usual packet rate (critical above {}x)", kWhere,
                                         kValue, number(k)),
                             true);
    for (auto& alert : alerts) alert.expr = fmt::format("({}) and ignoring(device) {} >= 60", alert.expr, uptime);
    return alerts;
}

const std::map<std::string_view, RuleBuilder>& builders() {
    static const std::map<std::string_view, RuleBuilder> table = {
        {"bond-degraded", bond_degraded},     {"carrier-flaps", carrier_flaps},
        {"conntrack-drops", conntrack_drops}, {"conntrack-fill", conntrack_fill},
        {"link-degraded", link_degraded},     {"link-down", link_down},
        {"listen-overflows", listen_overflows}, {"nic-errors", nic_errors},
        {"nic-saturation", nic_saturation},   {"packet-storm", packet_storm},
        {"rx-drops", rx_drops},               {"softnet-backlog", softnet_backlog},
        {"tcp-retransmits", tcp_retransmits}, {"time-wait", time_wait},
        {"tx-drops", tx_drops},               {"udp-buffer-errors", udp_buffer_errors},
    };
    return table;
}

// What a rule leaves out of its check, said in the file's header.
constexpr std::pair<std::string_view, std::string_view> kPartial[] = {
    {"time-wait", "only warning-count: the shares of ip_local_port_range need the range (--collector.sysctl)"},
    {"udp-buffer-errors", "Udp and Udp6 only: UdpLite's counters are not exported by default"},
    {"link-degraded", "physical interfaces are those virtual_interfaces does not name"},
    {"carrier-flaps", "changes over the window, not between two samples"},
};

// "IF" (a whole word) becomes the alert's device; "BOND" its master.
std::string fill_placeholders(std::string_view text, bool per_device) {
    static const std::regex interface_word("\\bIF\\b"), bond_word("\\bBOND\\b");
    std::string out(text);
    if (per_device) out = std::regex_replace(out, interface_word, "{{ $labels.device }}");
    return std::regex_replace(out, bond_word, "{{ $labels.master }}");
}

// "rx-drops" -> "NetdiagRxDrops".
std::string alert_name(std::string_view id) {
    std::string name = "Netdiag";
    bool upper = true;
    for (const char c : id) {
        if (c == '-') {
            upper = true;
            continue;
        }
        name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        upper = false;
    }
    return name;
}

bool selected(const Settings& settings, std::string_view id) {
    return settings.only_checks.empty() || settings.only_checks.count(std::string(id)) > 0;
}

}  // namespace

std::string prometheus_device_regex(const std::vector<std::string>& patterns) {
    std::string regex;
    for (const auto& pattern : patterns) {
        if (!regex.empty()) regex += '|';
        for (const char c : pattern) {
            if (c == '*') {
                regex += ".*";
            } else if (c == '?') {
                regex += '.';
            } else {
                regex += literal_regex(std::string_view(&c, 1));
            }
        }
    }
    return regex;
}

Result<std::string> prometheus_rules(const Settings& settings, const std::string& window) {
    static const std::regex duration("([0-9]+(ms|s|m|h|d|w|y))+");
    if (!std::regex_match(window, duration) || window.find_first_of("123456789") == std::string::npos) {
        return make_error(fmt::format("--window needs a Prometheus duration such as 5m or 1h30m, not \"{}\"",
                                      printable(window)));
    }
    const auto regex = prometheus_device_regex(settings.virtual_interfaces);
    const Context context{settings, window,
                          settings.virtual_interfaces.empty() ? ""
                                                              : fmt::format("device!~\"{}\"", promql_string(regex))};
    std::string header = fmt::format(
        "# Prometheus alerting rules generated by `netdiag rules`: the checks of `netdiag checks`, over\n"
        "# node_exporter's default collectors, rates over {}.\n"
        "# Virtual interfaces left out: {}\n",
        window, settings.virtual_interfaces.empty() ? "none" : regex);
    std::string partial, missing;
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq;
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "netdiag";
    out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
    for (const auto& check : catalogue()) {
        if (!selected(settings, check.id)) continue;
        std::vector<Alert> alerts;
        if (const auto builder = builders().find(check.id); builder != builders().end()) {
            alerts = builder->second(context);
        } else {
            const auto* coverage = find_prometheus_coverage(check.id);
            missing += fmt::format("#   {}: needs {}\n", check.id,
                                   coverage == nullptr || coverage->needs.empty()
                                       ? std::string_view("a rule netdiag does not write yet")
                                       : coverage->needs);
            continue;
        }
        for (const auto& [id, what] : kPartial) {
            if (id == check.id) partial += fmt::format("#   {}: {}\n", id, what);
        }
        for (const auto& alert : alerts) {
            out << YAML::BeginMap;
            out << YAML::Key << "alert" << YAML::Value << alert_name(check.id);
            out << YAML::Key << "expr" << YAML::Value << alert.expr;
            if (!alert.for_duration.empty()) out << YAML::Key << "for" << YAML::Value << alert.for_duration;
            out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
            out << YAML::Key << "check" << YAML::Value << std::string(check.id);
            out << YAML::Key << "severity" << YAML::Value << alert.severity;
            out << YAML::EndMap;
            out << YAML::Key << "annotations" << YAML::Value << YAML::BeginMap;
            out << YAML::Key << "summary" << YAML::Value << fmt::format("{}: {}", check.id, alert.summary);
            out << YAML::Key << "description" << YAML::Value << std::string(check.why);
            out << YAML::Key << "action" << YAML::Value << fill_placeholders(check.action, alert.per_device);
            out << YAML::EndMap;
            out << YAML::EndMap;
        }
    }
    out << YAML::EndSeq << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
    if (!out.good()) return make_error(fmt::format("internal error writing rules: {}", out.GetLastError()));
    if (!partial.empty()) header += "# Rules narrower than their check:\n" + partial;
    if (!missing.empty()) {
        header += "# Not available from node_exporter's defaults (no rule; needs --collector.X as named, or\n"
                  "# netdiag's textfile export: `netdiag scan --format prometheus`, alert on\n"
                  "# netdiag_finding_severity{check=\"ID\"} >= 1):\n" +
                  missing;
    }
    return header + out.c_str() + "\n";
}

void add_rules_command(Cli& cli) {
    auto* rules = cli.app.add_subcommand(
        "rules", "Print Prometheus alerting rules equivalent to the checks, over node_exporter's metrics");
    cli.rules_command = rules;
    rules->add_option("--window", cli.rules.window, "Range of rate() and increase() in the rules")
        ->type_name("DURATION")
        ->capture_default_str();
    rules->add_option("-o,--output", cli.rules.output, "Write the rules to FILE (whole or not at all)")
        ->type_name("FILE");
    add_settings_flags(*rules, cli.rules.settings);
}

int run_rules(const RulesOptions& options) {
    int settings_exit = exit_code::kUsage;
    auto settings = build_settings(options.settings, &settings_exit);
    if (!settings) {
        fmt::print(stderr, "netdiag: {}\n", settings.error().message);
        return settings_exit;
    }
    auto text = prometheus_rules(*settings, options.window);
    if (!text) {
        fmt::print(stderr, "netdiag: {}\n", text.error().message);
        return exit_code::kUsage;
    }
    if (auto written = write_output(options.output, *text); !written) {
        fmt::print(stderr, "netdiag: {}\n", written.error().message);
        return exit_code::kCannotWrite;
    }
    return exit_code::kOk;
}

}  // namespace netdiag
