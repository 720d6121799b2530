// Flags that pick hosts and say how to reach them (scan now, fix later), and turning them into
// fleet targets: an inventory file, a pdsh-style -H list, --limit, and the SSH settings.
#pragma once

#include <memory>
#include <mutex>
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
    std::vector<std::string> connections;  // same order: "ssh", "local" (this host), or one netdiag lacks
    std::vector<std::vector<std::string>> groups;  // same order: every group each host is in
    SshSettings ssh;
    FleetOptions options;
};

// The hosts a command works on and how to reach each: this host, a tree under --root, or a
// fleet over SSH. Owns what the connections share (the known_hosts lock).
class HostSet {
public:
    static Result<std::unique_ptr<HostSet>> resolve(const FleetFlags& flags, const std::optional<std::string>& root,
                                                     const Settings& settings, int* exit_code_on_error);
    HostSet(const HostSet&) = delete;
    HostSet& operator=(const HostSet&) = delete;

    const std::vector<FleetTarget>& targets() const { return targets_; }
    bool remote() const { return fleet_.has_value(); }
    int forks() const { return fleet_ ? fleet_->options.forks : 1; }
    std::variant<std::unique_ptr<Transport>, ConnectFailure> connect(std::size_t index) const;
    // Ctrl-C: commands running on hosts are abandoned once *stop is set; nullptr (before `stop`
    // goes away) lets them finish again.
    void stop_on(const std::atomic<bool>* stop) {
        if (fleet_) fleet_->ssh.stop = stop;
    }
    Connector connector() const {
        return [this](std::size_t index) { return connect(index); };
    }

private:
    HostSet() = default;
    std::vector<FleetTarget> targets_;
    std::optional<FleetPlan> fleet_;
    std::string root_ = "/";
    std::mutex known_hosts_lock_;
};

// Inventory or -H, narrowed by --limit, each host's settings layered over `base`.
// Errors name the file and line (exit 65) or the flag (exit 64), as *exit_code_on_error says.
Result<FleetPlan> build_fleet_plan(const FleetFlags& flags, const Settings& base, int* exit_code_on_error);

// --list-hosts: the hosts selected and how each is reached, connecting to none: a table, or JSON
// (netdiag.hosts/v1). Returns the exit code.
int print_host_list(const FleetFlags& flags, const Settings& base, bool json);

}  // namespace netdiag
