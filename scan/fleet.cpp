#include "scan/fleet.hpp"

#include <algorithm>
#include <mutex>
#include <thread>

#include "scan/scan_host.hpp"

namespace netdiag {
namespace {

HostResult failed(const std::string& host, std::string status, std::string message) {
    // The report names the host already; transports' messages start with it for use elsewhere.
    if (message.rfind(host + ": ", 0) == 0) message.erase(0, host.size() + 2);
    HostResult result;
    result.host = host;
    result.status = std::move(status);
    result.error = std::move(message);
    return result;
}

HostResult scan_one(const FleetTarget& target, std::size_t index, const Connector& connect,
                    const FleetOptions& options, const std::atomic<bool>& stop) {
    auto connected = connect(index);
    if (auto* failure = std::get_if<ConnectFailure>(&connected)) {
        return failed(target.name, failure->status, failure->message);
    }
    auto& transport = *std::get<std::unique_ptr<Transport>>(connected);
    auto samples = take_samples(transport, target.name, options.interval,
                                [&](std::chrono::milliseconds wait) { interruptible_sleep(wait, stop); });
    if (stop.load()) return failed(target.name, "error", "interrupted before it finished");
    if (!samples) {
        const bool timed_out = samples.error().message.find("timed out") != std::string::npos;
        return failed(target.name, timed_out ? "timeout" : "error", samples.error().message);
    }
    HostResult result = evaluate_samples(*samples, target.settings);
    result.host = target.name;
    return result;
}

}  // namespace

void interruptible_sleep(std::chrono::milliseconds duration, const std::atomic<bool>& stop) {
    const auto until = std::chrono::steady_clock::now() + duration;
    while (!stop.load() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
            std::chrono::milliseconds(50),
            std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now())));
    }
}

std::vector<bool> run_bounded(std::size_t count, int forks, const std::atomic<bool>& stop,
                              const std::function<void(std::size_t index)>& work) {
    std::vector<char> ran(count, 0);  // not vector<bool>: threads write neighbouring elements
    std::atomic<std::size_t> next{0};
    const auto worker = [&] {
        while (!stop.load()) {
            const std::size_t index = next.fetch_add(1);
            if (index >= count) return;
            work(index);
            ran[index] = 1;
        }
    };
    const std::size_t workers = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(1, forks)));
    std::vector<std::thread> threads;
    threads.reserve(workers);
    for (std::size_t i = 0; i < workers; ++i) threads.emplace_back(worker);
    for (auto& thread : threads) thread.join();
    return std::vector<bool>(ran.begin(), ran.end());
}

std::vector<HostResult> scan_fleet(const std::vector<FleetTarget>& targets, const Connector& connect,
                                   const FleetOptions& options, const std::atomic<bool>& stop, const HostDone& done) {
    std::vector<HostResult> results(targets.size());
    std::mutex report_lock;
    std::size_t done_count = 0, failed_count = 0;
    const auto finished = run_bounded(targets.size(), options.forks, stop, [&](std::size_t index) {
        HostResult result;
        try {
            result = scan_one(targets[index], index, connect, options, stop);
        } catch (const std::exception& error) {  // a bug for one host must not take down the rest
            result = failed(targets[index].name, "error", std::string("internal error: ") + error.what());
        }
        const std::lock_guard lock(report_lock);
        ++done_count;
        if (result.status != "ok") ++failed_count;
        results[index] = std::move(result);
        if (done) done(results[index], done_count, failed_count);
    });
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (!finished[i]) results[i] = failed(targets[i].name, "error", "interrupted before it finished");
    }
    return results;
}

}  // namespace netdiag
