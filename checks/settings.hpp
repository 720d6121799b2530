// Thresholds and the knobs of the checks: defaults, overridden by a config file, then the command line.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace netdiag {

struct Settings {
    std::map<std::string, double> thresholds;        // "rx-drops.warning" -> 10
    std::vector<std::string> virtual_interfaces;     // wildcard patterns left out of NIC checks
    std::map<std::string, std::int64_t> speeds_mbps; // link speeds the kernel does not report
    std::set<std::string> only_checks;               // empty: every check

    double threshold(std::string_view key) const;
    bool is_virtual(std::string_view interface) const;
};

Settings default_settings();

// "rx-drops.warning=20": the key must be a known threshold.
Status set_threshold(Settings& settings, std::string_view assignment);
// "eth0=10000"
Status set_speed(Settings& settings, std::string_view assignment);

// A YAML config file:
//   thresholds: {rx-drops.warning: 20, conntrack-fill.critical: 90}
//   virtual_interfaces: [lo, "veth*"]
//   speeds: {eth0: 25000}
// Errors name the file and line.
Status apply_config(Settings& settings, std::string_view yaml_text, std::string_view file);

}  // namespace netdiag
