// netdiag rules: the Prometheus rule file written from the catalogue and the settings in force.
// promtool checks and tests the rules themselves (tests/e2e/rules.sh, tests/prometheus/).
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "checks/catalogue.hpp"
#include "checks/rates.hpp"
#include "cmd/commands.hpp"
#include "cmd/settings_options.hpp"

using namespace netdiag;

namespace {

std::string rules_for(const SettingsOptions& options, const std::string& window = "5m") {
    int exit_code = 0;
    auto settings = build_settings(options, &exit_code);
    REQUIRE(settings);
    auto text = prometheus_rules(*settings, window);
    REQUIRE(text);
    return *text;
}

// (alert, severity) -> the rule's node.
std::map<std::pair<std::string, std::string>, YAML::Node> alerts_of(const std::string& text) {
    const auto root = YAML::Load(text);
    REQUIRE(root["groups"].size() == 1);
    REQUIRE(root["groups"][0]["name"].as<std::string>() == "netdiag");
    std::map<std::pair<std::string, std::string>, YAML::Node> alerts;
    for (const auto& rule : root["groups"][0]["rules"]) {
        const auto key = std::pair(rule["alert"].as<std::string>(), rule["labels"]["severity"].as<std::string>());
        REQUIRE(alerts.count(key) == 0);
        alerts.emplace(key, static_cast<const YAML::Node&>(rule));
    }
    return alerts;
}

std::string expr(const std::string& text, const std::string& alert, const std::string& severity) {
    const auto alerts = alerts_of(text);
    const auto found = alerts.find({alert, severity});
    REQUIRE(found != alerts.end());
    return found->second["expr"].as<std::string>();
}

const Check& check_named(std::string_view id) {
    for (const auto& check : catalogue()) {
        if (check.id == id) return check;
    }
    FAIL("no check " << id);
    return catalogue().front();
}

}  // namespace

TEST_CASE("rules: rx-drops and conntrack-fill as the checks compute them, one severity per series") {
    const auto text = rules_for({});
    CHECK(expr(text, "NetdiagRxDrops", "warning") == "rate(node_network_receive_drop_total[5m]) > 10 <= 1000");
    CHECK(expr(text, "NetdiagRxDrops", "critical") == "rate(node_network_receive_drop_total[5m]) > 1000");
    CHECK(expr(text, "NetdiagConntrackFill", "warning") ==
          "100 * node_nf_conntrack_entries / (node_nf_conntrack_entries_limit > 0) >= 80 < 95");
    CHECK(expr(text, "NetdiagConntrackFill", "critical") ==
          "100 * node_nf_conntrack_entries / (node_nf_conntrack_entries_limit > 0) >= 95");
    const auto alerts = alerts_of(text);
    const auto& rule = alerts.at({"NetdiagRxDrops", "warning"});
    CHECK(rule["labels"]["check"].as<std::string>() == "rx-drops");
    CHECK(rule["annotations"]["description"].as<std::string>() == check_named("rx-drops").why);
    // The action names the alert's interface.
    CHECK(rule["annotations"]["action"].as<std::string>().find("ethtool -S {{ $labels.device }}") != std::string::npos);
    CHECK(rule["annotations"]["summary"].as<std::string>().find("rx-drops: ") == 0);
    // node-mixin's NodeBondingDegraded waits 5m; a rule without an anchor's `for` fires at once.
    CHECK(alerts.at({"NetdiagBondDegraded", "critical"})["for"].as<std::string>() == "5m");
    CHECK_FALSE(rule["for"]);
}

TEST_CASE("rules: --threshold, --config, --window and --speed flow into the expressions") {
    SettingsOptions options;
    options.thresholds = {"rx-drops.warning=50", "tcp-retransmits.critical=7.5"};
    options.speeds = {"eth0=10000"};
    const auto text = rules_for(options, "2m");
    CHECK(expr(text, "NetdiagRxDrops", "warning") == "rate(node_network_receive_drop_total[2m]) > 50 <= 1000");
    CHECK(expr(text, "NetdiagTcpRetransmits", "critical") ==
          "(100 * rate(node_netstat_Tcp_RetransSegs[2m]) / (rate(node_netstat_Tcp_OutSegs[2m]) > 0) > 7.5) and "
          "(rate(node_netstat_Tcp_RetransSegs[2m]) > 50)");
    // A configured speed (Mb/s) replaces sysfs' for that interface, in bytes/s.
    const auto saturation = expr(text, "NetdiagNicSaturation", "warning");
    CHECK(saturation.find("|eth0\"") != std::string::npos);
    CHECK(saturation.find("{device=\"eth0\"}[2m])) / 1250000000") != std::string::npos);
    CHECK(saturation.find(">= 85 < 95") != std::string::npos);
    CHECK(text.find("[5m]") == std::string::npos);

    SettingsOptions off;
    off.thresholds = {"link-degraded.minimum-speed=0"};
    CHECK(expr(rules_for(off), "NetdiagLinkDegraded", "warning").find("speed_bytes") == std::string::npos);
}

TEST_CASE("rules: virtual_interfaces' wildcards become one escaped regex, anchored by Prometheus") {
    CHECK(prometheus_device_regex({"lo", "veth*", "br-*"}) == "lo|veth.*|br-.*");
    CHECK(prometheus_device_regex({"eth?.1", "a+b", "x(y)|z"}) == "eth.\\.1|a\\+b|x\\(y\\)\\|z");
    CHECK(prometheus_device_regex({}).empty());
    SettingsOptions options;
    options.virtual_interfaces = "lo,veth*,vlan.10";
    const auto text = rules_for(options);
    // The regex's backslash is escaped once more inside PromQL's double-quoted string.
    CHECK(expr(text, "NetdiagNicErrors", "warning") ==
          "rate(node_network_receive_errs_total{device!~\"lo|veth.*|vlan\\\\.10\"}[5m]) + "
          "rate(node_network_transmit_errs_total{device!~\"lo|veth.*|vlan\\\\.10\"}[5m]) > 0");
    // rx-drops counts every interface, as its check does.
    CHECK(expr(text, "NetdiagRxDrops", "critical").find("device") == std::string::npos);
    options.virtual_interfaces = "";
    CHECK(expr(rules_for(options), "NetdiagNicErrors", "warning") ==
          "rate(node_network_receive_errs_total[5m]) + rate(node_network_transmit_errs_total[5m]) > 0");
}

TEST_CASE("rules: every check has a rule or is listed as not available, never both") {
    const auto text = rules_for({});
    std::set<std::string> ruled, listed;
    for (const auto& [key, rule] : alerts_of(text)) ruled.insert(rule["labels"]["check"].as<std::string>());
    std::istringstream lines(text);
    bool in_list = false;
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("# Not available from node_exporter's defaults", 0) == 0) in_list = true;
        if (line.rfind("#", 0) != 0) in_list = false;
        if (in_list && line.rfind("#   ", 0) == 0) listed.insert(line.substr(4, line.find(':') - 4));
    }
    CHECK(ruled.size() >= 16);
    for (const auto& check : catalogue()) {
        const std::string id(check.id);
        INFO(id);
        CHECK(ruled.count(id) + listed.count(id) == 1);
        if (listed.count(id)) CHECK(text.find("#   " + id + ": needs ") != std::string::npos);
    }
    CHECK(ruled.size() + listed.size() == catalogue().size());
    // --only narrows both.
    SettingsOptions only;
    only.only = "rx-drops,close-wait";
    const auto narrow = rules_for(only);
    CHECK(alerts_of(narrow).size() == 2);
    CHECK(narrow.find("#   close-wait: needs") != std::string::npos);
    CHECK(narrow.find("tcp-resets") == std::string::npos);
}

TEST_CASE("rules: a window that is no Prometheus duration is refused") {
    const auto settings = default_settings();
    CHECK(prometheus_rules(settings, "1h30m"));
    CHECK_FALSE(prometheus_rules(settings, "5"));
    CHECK_FALSE(prometheus_rules(settings, "0m"));
    CHECK_FALSE(prometheus_rules(settings, "00d"));
    CHECK_FALSE(prometheus_rules(settings, "5m]) or vector(1"));
    CHECK_FALSE(prometheus_rules(settings, ""));
}

TEST_CASE("rules: the catalogue's why is the findings' why") {
    Rates rates;
    rates.seconds = 5;
    InterfaceRates eth0;
    eth0.name = "eth0";
    eth0.rx_drop = 5000;
    eth0.rx_errs = 3;
    rates.interfaces.push_back(eth0);
    rates.cpus["CPU0"].softnet_dropped = 5;
    rates.snmp["Tcp"]["RetransSegs"] = 100;
    rates.snmp["Tcp"]["OutSegs"] = 1000;
    rates.netstat["TcpExt"]["ListenDrops"] = 4;
    rates.snmp["Udp"]["RcvbufErrors"] = 2;
    Snapshot snapshot;
    snapshot.host = "web1";
    const auto findings = run_checks(snapshot, &rates, default_settings());
    std::set<std::string> seen;
    for (const auto& finding : findings) {
        if (finding.severity == Severity::unknown) continue;
        INFO(finding.check);
        CHECK(finding.why == check_named(finding.check).why);
        seen.insert(finding.check);
    }
    CHECK(seen == std::set<std::string>{"listen-overflows", "nic-errors", "rx-drops", "softnet-backlog",
                                        "tcp-retransmits", "udp-buffer-errors"});
}
