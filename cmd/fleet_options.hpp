// Flags that pick hosts and say how to reach them (scan now, fix later), and turning them into
// fleet targets: an inventory file, a pdsh-style -H list, --limit, and the SSH settings.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "checks/settings.hpp"
#include "cmd/commands.hpp"
#include "remote/ssh_transport.hpp"
#include "scan/fleet.hpp"

namespace netdiag {

void add_fleet_flags(CLI::App& command, FleetFlags& flags);

// True when the command targets remote hosts rather than this one.
inline bool is_fleet(const FleetFlags& flags) { return flags.inventory.has_value() || flags.hosts.has_value(); }

struct FleetPlan {
    std::vector<FleetTarget> targets;
    std::vector<SshTarget> ssh_targets;  // same order as targets
    SshSettings ssh;
    FleetOptions options;
};

// Inventory or -H, narrowed by --limit, each host's settings layered over `base`.
// Errors name the file and line (exit 65) or the flag (exit 64), as *exit_code_on_error says.
Result<FleetPlan> build_fleet_plan(const FleetFlags& flags, const Settings& base, int* exit_code_on_error);

}  // namespace netdiag
