// What `netdiag fix` and `netdiag undo` share: reaching each host, rolling changes out a few hosts
// at a time, reporting each host's outcome, and the exit code.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cmd/fleet_options.hpp"
#include "common/clock.hpp"
#include "remediation/apply.hpp"
#include "remediation/plan_json.hpp"

namespace netdiag {

inline constexpr const char* kRemediationExitHelp =
    "Exit codes: 0 done (or nothing to do), 2 a host drifted, failed or was rolled back,\n"
    "3 a host could not be reached or read, 64 command-line misuse, 65 bad input data,\n"
    "70 internal error, 130 interrupted (hosts already started are finished, no others are started).";

// Prints "netdiag: MESSAGE" on stderr and returns `exit_code`.
int report_error(const std::string& message, int exit_code);

// Asks QUESTION on stderr and reads the answer from stdin: true only for "y" or "yes".
bool confirm(const std::string& question);

PlannedHost host_failure(const std::string& host, std::string status, std::string message);

// Connects to host `index` and runs `work` on it; a host that cannot be reached becomes a failure.
PlannedHost with_host(const HostSet& hosts, std::size_t index, const std::function<PlannedHost(Transport&)>& work);

// "20261202T041501.123Z-web1": sorts by time, unique per host and run.
std::string make_journal_id(const std::string& host);

using HostChange = std::function<HostOutcome(std::size_t target_index, Transport& transport)>;

// Runs `change` on the targets in `indexes`, `serial` at a time; after `max_fail` failed hosts no
// more are started. Each outcome is printed on stderr as it comes; hosts not started get
// "not_started".
std::vector<HostOutcome> roll_out(const HostSet& hosts, const std::vector<std::size_t>& indexes, int serial,
                                  int max_fail, const std::atomic<bool>& stop, const HostChange& change);

bool outcome_failed(const HostOutcome& outcome);

int outcome_exit_code(const std::vector<HostOutcome>& outcomes, bool all_reached);

}  // namespace netdiag
