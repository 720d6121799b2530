// A scan's result and its renderings: a table for people, JSON for machines, a Nagios line,
// Prometheus text.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "checks/finding.hpp"

namespace netdiag {

inline constexpr std::string_view kScanSchema = "netdiag.scan/v1";

struct HostResult {
    std::string host;
    // "ok", "unreachable", "auth_failed", "host_key_changed", "timeout" or "error".
    std::string status = "ok";
    std::string error;  // why, when status is not ok
    std::optional<std::string> hostname, kernel_release;
    std::optional<double> interval_seconds;  // null: one sample, level checks only
    std::vector<Finding> findings;
    std::map<std::string, std::string> unavailable;  // file -> reason
    // Files that exist but did not parse and that a check needed (file -> "file:line: what"): the
    // host was not fully checked, which the exit code reports like an unreachable host.
    std::map<std::string, std::string> unparsable;
    // Where the data came from: "local", "ssh", "capture", "saved" or "prometheus".
    std::string source;
    // Checks not run on this host and why: a Prometheus instance whose node_exporter lacks their data.
    std::map<std::string, std::string> not_checked;
    // Each physical interface's busier direction against its link speed, for the table's picture
    // with --detail (not in JSON: the findings carry what crossed a threshold).
    struct InterfaceLoad {
        std::string name;
        double rx_bits_per_second = 0, tx_bits_per_second = 0;
        std::optional<std::int64_t> speed_mbps;
    };
    std::vector<InterfaceLoad> interface_load;
};

struct ScanReport {
    std::vector<HostResult> hosts;
    std::int64_t generated_at_unix_ms = 0;
};

// 2 with a critical finding anywhere, else 3 when a host could not be reached, read or fully
// checked (a file that does not parse), else 1 with a warning, else 0.
int scan_exit_code(const ScanReport& report);

struct TableOptions {
    bool color = false;
    // Small per-CPU and per-interface bar charts under the findings (only where people read it:
    // the caller turns them on with color), in Unicode blocks or, without a UTF-8 locale, ASCII.
    bool pictures = false;
    bool unicode = false;
    bool verbose = false;  // also list the files that were not available
    bool detail = false;   // with several hosts: every finding of every host after the summary
};
std::string render_table(const ScanReport& report, const TableOptions& options);
nlohmann::json render_json(const ScanReport& report);
std::string render_nagios(const ScanReport& report);
// Prometheus text exposition format, for node_exporter's textfile collector: one gauge family per
// fact (host up, finding counts, each finding's severity, value and threshold), sorted and unique.
std::string render_prometheus(const ScanReport& report);

// "1.2k", "97.2": short numbers for tables.
std::string format_value(double value);

}  // namespace netdiag
