#include "cmd/remediation_common.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <fmt/format.h>

#include "common/exit_codes.hpp"
#include "common/text.hpp"
#include "scan/fleet.hpp"

namespace netdiag {

// Messages quote plan files, journals and hosts: printable(), so none can move the terminal's
// cursor, hide text or start a line that looks like netdiag's own.
int report_error(const std::string& message, int exit_code) {
    fmt::print(stderr, "netdiag: {}\n", printable(message));
    return exit_code;
}

bool confirm(const std::string& question) {
    fmt::print(stderr, "{} [y/N] ", question);
    std::fflush(stderr);
    char answer[16] = {};
    if (std::fgets(answer, sizeof answer, stdin) == nullptr) return false;
    return answer[0] == 'y' || answer[0] == 'Y';
}

PlannedHost host_failure(const std::string& host, std::string status, std::string message) {
    PlannedHost failed;
    failed.plan.host = host;
    failed.status = std::move(status);
    failed.error = without_host_prefix(host, std::move(message));
    return failed;
}

PlannedHost with_host(const HostSet& hosts, std::size_t index, const std::function<PlannedHost(Transport&)>& work) {
    const auto& name = hosts.targets()[index].name;
    auto connected = hosts.connect(index);
    if (auto* failure = std::get_if<ConnectFailure>(&connected)) {
        return host_failure(name, failure->status, failure->message);
    }
    try {
        return work(*std::get<std::unique_ptr<Transport>>(connected));
    } catch (const std::exception& error) {
        return host_failure(name, "error", error.what());
    }
}

std::string make_journal_id(const std::string& host) {
    const auto ms = now_unix_ms();
    const std::time_t seconds = ms / 1000;
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    std::string safe;
    for (const char c : host) safe += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
    return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z-{}", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                       utc.tm_hour, utc.tm_min, utc.tm_sec, ms % 1000, safe.substr(0, 64));
}

bool outcome_failed(const HostOutcome& outcome) {
    return outcome.status != "applied" && outcome.status != "undone" && outcome.status != "nothing_to_do" &&
           outcome.status != "not_started";
}

namespace {

void print_outcome(const HostOutcome& outcome) {
    // The host's name, the journal id and the messages (which quote the host's files) as printable().
    fmt::print(stderr, "netdiag: {}: {}{}\n", printable(outcome.host), printable(outcome.status),
               outcome.journal_id.empty() ? "" : fmt::format(" (journal {})", printable(outcome.journal_id)));
    for (const auto& message : outcome.messages) fmt::print(stderr, "  {}\n", printable(message));
}

}  // namespace

std::vector<HostOutcome> roll_out(const HostSet& hosts, const std::vector<std::size_t>& indexes, int serial,
                                  int max_fail, const std::atomic<bool>& stop, const HostChange& change) {
    std::vector<HostOutcome> outcomes(indexes.size());
    std::mutex lock;
    int failed = 0;
    std::size_t next = 0;
    while (next < indexes.size() && failed < max_fail && !stop.load()) {
        const std::size_t batch = std::min<std::size_t>(static_cast<std::size_t>(serial), indexes.size() - next);
        run_bounded(batch, serial, stop, [&](std::size_t offset) {
            const std::size_t slot = next + offset;
            const std::size_t index = indexes[slot];
            HostOutcome outcome;
            outcome.host = hosts.targets()[index].name;
            auto connected = hosts.connect(index);
            if (auto* failure = std::get_if<ConnectFailure>(&connected)) {
                outcome.status = failure->status;
                outcome.messages.push_back(failure->message);
            } else {
                try {
                    outcome = change(index, *std::get<std::unique_ptr<Transport>>(connected));
                } catch (const std::exception& error) {
                    outcome.status = "error";
                    outcome.messages.push_back(error.what());
                }
            }
            const std::lock_guard<std::mutex> guard(lock);
            if (outcome_failed(outcome)) ++failed;
            print_outcome(outcome);
            outcomes[slot] = std::move(outcome);
        });
        next += batch;
    }
    for (std::size_t slot = 0; slot < indexes.size(); ++slot) {
        if (!outcomes[slot].status.empty()) continue;
        outcomes[slot].host = hosts.targets()[indexes[slot]].name;
        outcomes[slot].status = "not_started";
    }
    if (next < indexes.size() && failed >= max_fail) {
        fmt::print(stderr, "netdiag: rollout stopped after {} failed host(s) (--max-fail {}); {} host(s) not started\n",
                   failed, max_fail, indexes.size() - next);
    }
    return outcomes;
}

int outcome_exit_code(const std::vector<HostOutcome>& outcomes, bool all_reached) {
    bool failed = false, not_started = false, unreachable = !all_reached;
    for (const auto& outcome : outcomes) {
        if (outcome.status == "not_started") not_started = true;
        else if (outcome.status == "drifted" || outcome.status == "rolled_back" || outcome.status == "error") failed = true;
        else if (outcome_failed(outcome)) unreachable = true;
    }
    if (failed || not_started) return exit_code::kCritical;
    return unreachable ? exit_code::kUnknown : exit_code::kOk;
}

}  // namespace netdiag
