// Scanning many hosts: a bounded pool of workers, one session per host, results as hosts finish.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "checks/settings.hpp"
#include "collect/snapshot.hpp"
#include "remote/transport.hpp"
#include "report/report.hpp"

namespace netdiag {

struct FleetTarget {
    std::string name;   // label in reports
    // Global settings with the host's inventory vars applied; shared by hosts that have the same,
    // so that 100,000 hosts do not hold 100,000 copies of the thresholds.
    std::shared_ptr<const Settings> settings;
    std::optional<std::string> instance;  // its node_exporter's instance label (scan --prometheus)
};

// Why a host could not be reached: the status ("unreachable", "auth_failed", ...) and the reason.
struct ConnectFailure {
    std::string status;
    std::string message;
};
using Connector =
    std::function<std::variant<std::unique_ptr<Transport>, ConnectFailure>(std::size_t target_index)>;

struct FleetOptions {
    int forks = 32;  // pdsh's and parallel-ssh's default
    std::chrono::milliseconds interval{5000};
};

// Called once per host as it finishes, from the worker's thread but never concurrently.
using HostDone = std::function<void(const HostResult& result, std::size_t done, std::size_t failed)>;

// A transport's message without the "host: " it starts with, for reports that name the host already.
std::string without_host_prefix(const std::string& host, std::string message);

// Sleeps in short slices so Ctrl-C does not wait for the interval to run out.
void interruptible_sleep(std::chrono::milliseconds duration, const std::atomic<bool>& stop);

// Runs work(i) for i in [0, count) on at most `forks` threads; stops handing out work once
// `stop` is set. Returns which indexes ran. Exceptions from `work` are its own to catch.
std::vector<bool> run_bounded(std::size_t count, int forks, const std::atomic<bool>& stop,
                              const std::function<void(std::size_t index)>& work);

// What sampling one host of a fleet came to: its samples, read through `transport` (still open,
// for a caller that reads more, as `netdiag fix` does), or why there are none.
struct FleetSample {
    Transport* transport = nullptr;
    std::vector<Snapshot> samples;
    std::optional<ConnectFailure> failure;
};
// Called once per host as it finishes, from a worker thread, possibly concurrently.
using OnSampled = std::function<void(std::size_t index, const FleetSample& sample)>;

// Samples every host: one session each, held from the first sample to the second `interval`
// later (interval 0: one sample). First samples run `forks` at a time, then the second ones in
// the order hosts fall due, so a fleet takes about one interval rather than one per round of
// `forks`. Returns which hosts finished (all of them unless `stop` was set).
std::vector<bool> sample_fleet(const std::vector<FleetTarget>& targets, const Connector& connect, int forks,
                               std::chrono::milliseconds interval, const std::atomic<bool>& stop,
                               const OnSampled& on_sampled);

// Every target gets a HostResult, in target order: hosts not finished when `stop` is set are
// reported as "error: interrupted". No host can stop the others.
std::vector<HostResult> scan_fleet(const std::vector<FleetTarget>& targets, const Connector& connect,
                                   const FleetOptions& options, const std::atomic<bool>& stop, const HostDone& done);

}  // namespace netdiag
