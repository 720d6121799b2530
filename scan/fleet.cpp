#include "scan/fleet.hpp"

#include <algorithm>
#include <mutex>
#include <thread>

#include "collect/collector.hpp"
#include "scan/scan_host.hpp"

namespace netdiag {
namespace {

HostResult failed(const std::string& host, std::string status, std::string message) {
    message = without_host_prefix(host, std::move(message));
    HostResult result;
    result.host = host;
    result.status = std::move(status);
    result.error = std::move(message);
    return result;
}

ConnectFailure sample_failure(const Error& error) {
    const bool timed_out = error.message.find("timed out") != std::string::npos;
    return ConnectFailure{timed_out ? "timeout" : "error", error.message};
}

// One host between its samples: the session stays open for the second.
struct PendingHost {
    std::unique_ptr<Transport> transport;
    FleetSample sample;
    std::chrono::steady_clock::time_point due;
    bool finished = false;
};

}  // namespace

std::string without_host_prefix(const std::string& host, std::string message) {
    if (message.rfind(host + ": ", 0) == 0) message.erase(0, host.size() + 2);
    return message;
}

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

std::vector<bool> sample_fleet(const std::vector<FleetTarget>& targets, const Connector& connect, int forks,
                               std::chrono::milliseconds interval, const std::atomic<bool>& stop,
                               const OnSampled& on_sampled) {
    std::vector<PendingHost> hosts(targets.size());
    const auto finish = [&](std::size_t index) {
        auto& host = hosts[index];
        host.sample.transport = host.transport.get();
        on_sampled(index, host.sample);
        host.sample = FleetSample{};
        host.transport.reset();  // the session closes as soon as its host is done
        host.finished = true;
    };
    // A worker that threw leaves its host with a failure, never the pool without a worker.
    const auto guarded = [&](std::size_t index, const std::function<void()>& step) {
        try {
            step();
        } catch (const std::exception& error) {
            hosts[index].sample.failure = ConnectFailure{"error", std::string("internal error: ") + error.what()};
        }
    };

    // First samples: every host, `forks` at a time. A host that fails, or needs no second sample,
    // is done here.
    run_bounded(targets.size(), forks, stop, [&](std::size_t index) {
        auto& host = hosts[index];
        guarded(index, [&] {
            auto connected = connect(index);
            if (auto* failure = std::get_if<ConnectFailure>(&connected)) {
                host.sample.failure = *failure;
                return;
            }
            host.transport = std::move(std::get<std::unique_ptr<Transport>>(connected));
            auto first = collect_sample(*host.transport, targets[index].name);
            if (!first) {
                host.sample.failure = sample_failure(first.error());
                return;
            }
            host.sample.samples.push_back(std::move(first).value());
            host.due = std::chrono::steady_clock::now() + interval;
        });
        if (host.sample.failure || interval.count() == 0) finish(index);
    });

    // Second samples, in the order the hosts fell due: no worker holds a pool slot through a
    // host's interval, so many hosts take about one interval, not one per round of `forks`.
    std::vector<std::size_t> waiting;
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        if (!hosts[i].finished && hosts[i].transport) waiting.push_back(i);
    }
    std::sort(waiting.begin(), waiting.end(), [&](std::size_t a, std::size_t b) { return hosts[a].due < hosts[b].due; });
    run_bounded(waiting.size(), forks, stop, [&](std::size_t slot) {
        const std::size_t index = waiting[slot];
        auto& host = hosts[index];
        interruptible_sleep(std::chrono::duration_cast<std::chrono::milliseconds>(host.due - std::chrono::steady_clock::now()),
                            stop);
        if (stop.load()) return;
        guarded(index, [&] {
            auto second = collect_sample(*host.transport, targets[index].name);
            if (!second) {
                host.sample.failure = sample_failure(second.error());
                return;
            }
            host.sample.samples.push_back(std::move(second).value());
        });
        finish(index);
    });
    std::vector<bool> done(hosts.size());
    for (std::size_t i = 0; i < hosts.size(); ++i) done[i] = hosts[i].finished;
    return done;
}

std::vector<HostResult> scan_fleet(const std::vector<FleetTarget>& targets, const Connector& connect,
                                   const FleetOptions& options, const std::atomic<bool>& stop, const HostDone& done) {
    std::vector<HostResult> results(targets.size());
    std::mutex report_lock;
    std::size_t done_count = 0, failed_count = 0;
    const auto finished = sample_fleet(targets, connect, options.forks, options.interval, stop,
                                       [&](std::size_t index, const FleetSample& sample) {
        HostResult result;
        if (sample.failure) {
            result = failed(targets[index].name, sample.failure->status, sample.failure->message);
        } else {
            try {
                result = evaluate_samples(sample.samples, *targets[index].settings);
                result.host = targets[index].name;
            } catch (const std::exception& error) {  // a bug for one host must not take down the rest
                result = failed(targets[index].name, "error", std::string("internal error: ") + error.what());
            }
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
