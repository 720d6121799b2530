// One host's scan: take the samples through a transport, compute rates, run the checks.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "checks/settings.hpp"
#include "collect/snapshot.hpp"
#include "remote/transport.hpp"
#include "report/report.hpp"

namespace netdiag {

// Waits between samples; tests pass one that returns at once.
using Sleeper = std::function<void(std::chrono::milliseconds)>;
void sleep_for(std::chrono::milliseconds duration);

// `count` samples, `interval` apart.
Result<std::vector<Snapshot>> take_sample_series(Transport& transport, const std::string& host, int count,
                                                 std::chrono::milliseconds interval, const Sleeper& sleeper);

// Pure: the checks' verdict on samples already taken (first and last are compared).
HostResult evaluate_samples(const std::vector<Snapshot>& samples, const Settings& settings);

}  // namespace netdiag
