// Fleet sampling on in-memory hosts: who is sampled when, and what a failing host comes to.
#include <catch2/catch.hpp>

#include <mutex>
#include <set>

#include "remote/memory_transport.hpp"
#include "cmd/fleet_options.hpp"
#include "scan/fleet.hpp"

using namespace netdiag;

namespace {

// Logs each read (a sample is one read) by host name, in the order they happen.
class LoggedHost final : public Transport {
public:
    LoggedHost(std::string name, std::vector<std::string>& log, std::mutex& lock, int fail_on_read = 0)
        : name_(std::move(name)), log_(log), lock_(lock), fail_on_read_(fail_on_read) {
        host_.files["/proc/net/sockstat"] = "sockets: used 5\nTCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0\n";
        host_.files["/proc/uptime"] = "100.00 300.00\n";
    }
    Result<std::vector<FileRead>> read(const ReadRequest& request) override {
        {
            const std::lock_guard guard(lock_);
            log_.push_back(name_);
        }
        if (++reads_ == fail_on_read_) return make_error(name_ + ": command timed out after 30 s");
        return host_.read(request);
    }
    Status write_file(const std::string& path, const std::string& content, FileAccess access) override {
        return host_.write_file(path, content, access);
    }
    Result<std::vector<FileStatus>> inspect(const std::vector<std::string>& paths) override { return host_.inspect(paths); }
    Status remove_file(const std::string& path) override { return host_.remove_file(path); }
    Status remove_directory(const std::string& path) override { return host_.remove_directory(path); }

private:
    std::string name_;
    std::vector<std::string>& log_;
    std::mutex& lock_;
    int fail_on_read_, reads_ = 0;
    MemoryTransport host_;
};

std::vector<FleetTarget> targets(int count) {
    std::vector<FleetTarget> result;
    const auto settings = std::make_shared<const Settings>(default_settings());
    for (int i = 0; i < count; ++i) result.push_back(FleetTarget{"h" + std::to_string(i), settings, std::nullopt});
    return result;
}

}  // namespace

TEST_CASE("every host's first sample is taken before any host waits out its interval") {
    std::vector<std::string> log;
    std::mutex lock;
    const auto fleet = targets(6);
    const Connector connect = [&](std::size_t i) -> std::variant<std::unique_ptr<Transport>, ConnectFailure> {
        return std::unique_ptr<Transport>(std::make_unique<LoggedHost>(fleet[i].name, log, lock));
    };
    std::atomic<bool> stop{false};
    const auto results = scan_fleet(fleet, connect, FleetOptions{2, std::chrono::milliseconds(50)}, stop, nullptr);
    REQUIRE(log.size() == 12);
    CHECK(std::set<std::string>(log.begin(), log.begin() + 6).size() == 6);  // two rounds of forks, then the seconds
    for (const auto& result : results) {
        INFO(result.error);
        CHECK(result.status == "ok");
        CHECK(result.interval_seconds.has_value());
    }
}

TEST_CASE("a host that cannot be reached or read fails alone, with its status") {
    std::vector<std::string> log;
    std::mutex lock;
    const auto fleet = targets(3);
    const Connector connect = [&](std::size_t i) -> std::variant<std::unique_ptr<Transport>, ConnectFailure> {
        if (i == 0) return ConnectFailure{"auth_failed", "h0: no key was accepted"};
        return std::unique_ptr<Transport>(std::make_unique<LoggedHost>(fleet[i].name, log, lock, i == 1 ? 2 : 0));
    };
    std::atomic<bool> stop{false};
    const auto results = scan_fleet(fleet, connect, FleetOptions{4, std::chrono::milliseconds(10)}, stop, nullptr);
    CHECK(results[0].status == "auth_failed");
    CHECK(results[0].error == "no key was accepted");
    CHECK(results[1].status == "timeout");  // its second sample timed out
    CHECK(results[2].status == "ok");
}

TEST_CASE("hosts not finished when the scan is stopped are reported as interrupted") {
    std::vector<std::string> log;
    std::mutex lock;
    const auto fleet = targets(3);
    std::atomic<bool> stop{false};
    const Connector connect = [&](std::size_t i) -> std::variant<std::unique_ptr<Transport>, ConnectFailure> {
        stop = true;  // Ctrl-C while the first host connects
        return std::unique_ptr<Transport>(std::make_unique<LoggedHost>(fleet[i].name, log, lock));
    };
    const auto results = scan_fleet(fleet, connect, FleetOptions{1, std::chrono::milliseconds(10000)}, stop, nullptr);
    for (const auto& result : results) {
        CHECK(result.status == "error");
        CHECK(result.error == "interrupted before it finished");
    }
}

TEST_CASE("-H hosts are in the group all, so --limit can subtract from them") {
    FleetFlags flags;
    flags.hosts = "h[1-3]";
    flags.limit = "all:!h2";
    int exit_code = 0;
    const auto plan = build_fleet_plan(flags, default_settings(), &exit_code);
    REQUIRE(plan);
    std::vector<std::string> names;
    for (const auto& target : plan->targets) names.push_back(target.name);
    CHECK(names == std::vector<std::string>{"h1", "h3"});
}
