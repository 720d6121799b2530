// node_exporter's series as a Snapshot: the same values the local collector reads from /proc and
// /sys, under the names node_exporter gives them, so the catalogue's checks run on them unchanged.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "checks/settings.hpp"
#include "collect/snapshot.hpp"
#include "prometheus/query_api.hpp"

namespace netdiag {

// The metric names a scan reads at the verdict's instant, as one regular expression for __name__.
std::string node_metric_regex();

// Those of them read at the window's start too: the counters rates come from, and the uptime.
// Levels (speed, carrier, sockstat, conntrack entries, ...) are judged at the instant alone, and
// fetching them twice cost Prometheus a quarter more work (bench/prometheus).
std::string_view node_counter_regex();

// The netdev counters fetched, whose resets inside the window are looked for: those the rates
// read. tests/unit/prometheus_test.cpp holds that every counter the rates read is among them.
std::span<const std::string_view> node_network_counters();

// Pure: one instance's series at one instant to a Snapshot taken then. Interfaces are virtual
// where `settings` says so (node_exporter does not say which have a device). Parts with no series
// stay absent ("not available"), never zero.
Snapshot snapshot_from_node_series(const std::string& instance, const std::vector<const Series*>& series,
                                   double at_unix_seconds, const Settings& settings);

}  // namespace netdiag
