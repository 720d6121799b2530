// netdiag scan --prometheus: the catalogue run on node_exporter's series from the Prometheus HTTP
// API, one verdict per instance. Two instants a window apart stand in for the two samples, so the
// checks are the same functions an SSH or local scan runs; each query covers a batch of instances
// (one request per instant, not per host).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checks/settings.hpp"
#include "common/result.hpp"
#include "prometheus/query_api.hpp"
#include "report/report.hpp"

namespace netdiag {

struct PrometheusScanOptions {
    std::string matchers;                  // inside the braces of --match: job="node",env="prod"; "" for none
    double window_seconds = 300;
    double at_unix_seconds = 0;            // the verdict's instant
    std::optional<std::string> limit;      // --limit patterns over instance names (and job as a group)
    // Inventory hosts to look for (instance label, or the instance's host part before ":port"),
    // each judged with its own settings (its inventory's netdiag: vars) as an SSH scan would;
    // none: every instance that matches, with the global settings.
    struct Wanted {
        std::string name;
        std::shared_ptr<const Settings> settings;
    };
    std::optional<std::vector<Wanted>> wanted;
    // Instances per query: two batches' answers (about 290 series an instance) are held at once,
    // so this bounds the client's memory (bench/prometheus: 174 MB at 500). A batch whose answer is
    // larger than the client takes is asked again in halves, and later batches are halved too.
    std::size_t batch_size = 500;
};

// Pure: `{job="node"}` (or empty) to the matchers inside the braces; an error for anything else.
Result<std::string> parse_match_selector(std::string_view selector);

// Pure: "5m", "1h30m", "90s" to seconds (Prometheus' duration syntax: y w d h m s ms).
Result<double> parse_prometheus_duration(std::string_view text);

// Pure: "2026-12-03T03:12:00Z", "2026-12-03T03:12:00+01:00" or Unix seconds to Unix seconds.
Result<double> parse_time_argument(std::string_view text);

// Pure: a PromQL regular expression matching exactly these names.
std::string names_regex(const std::vector<std::string>& names);

using PrometheusProgress = std::function<void(std::size_t done, std::size_t total)>;

// Errors are about the whole scan (the server cannot be reached, refuses the query, matches no
// node_exporter); an instance's own trouble (scrapes failing, no series) is its HostResult.
Result<std::vector<HostResult>> scan_prometheus(const PrometheusClient& client, const PrometheusScanOptions& options,
                                                const Settings& settings, const std::atomic<bool>& stop,
                                                const PrometheusProgress& progress);

// Pure: one instance's verdict from its series at the two instants (before may be empty: first
// scraped inside the window), the network counters that reset inside the window (by device) and
// whether its scrape is up.
HostResult evaluate_instance(const std::string& instance, const std::vector<const Series*>& before,
                             const std::vector<const Series*>& now, const std::vector<std::string>& reset_devices,
                             double at_unix_seconds, double window_seconds, const Settings& settings);

}  // namespace netdiag
