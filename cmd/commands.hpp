// The command line: one options struct and one run function per subcommand (one file each).
// make_cli() builds the parser without running anything, so tests can parse argv.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/result.hpp"

namespace netdiag {

struct Settings;

struct SettingsOptions {
    std::optional<std::string> config_file;
    std::vector<std::string> thresholds;  // "rx-drops.warning=20"
    std::vector<std::string> speeds;      // "eth0=10000"
    std::optional<std::string> virtual_interfaces;  // "lo,veth*"
    std::optional<std::string> only;      // "rx-drops,conntrack-fill"
};

// Which hosts, and how to reach them over SSH (pdsh's and ssh's conventions).
struct FleetFlags {
    std::optional<std::string> inventory;  // a file, directory or script (YAML, INI, JSON), or - for stdin JSON
    std::optional<std::string> hosts;      // -H "web1,node[01-20]"
    std::optional<std::string> limit;      // --limit "web:&prod" as in Ansible
    std::optional<std::string> user;       // -l: login for hosts that name none
    std::optional<std::string> identity;   // -i: key for hosts that name none
    int forks = 32;                        // pdsh's and parallel-ssh's default
    std::string host_key_checking = "strict";
    std::optional<std::string> known_hosts;
    std::optional<std::string> ssh_config;
    bool no_ssh_config = false;
    double connect_timeout = 10;           // pdsh's default
    double command_timeout = 30;
    int max_output_mib = 16;               // --max-output (kDefaultMaxOutput): one host, one sample
};

struct ScanOptions {
    std::optional<std::string> root;
    double interval_seconds = 5;
    std::vector<std::string> from_files;
    std::string format = "table";
    std::optional<std::string> output;
    bool json = false;
    std::string color = "auto";
    bool verbose = false;
    bool detail = false;   // fleet table: every finding of every host after the summary
    bool progress = true;  // on stderr, only when it is a terminal
    bool list_hosts = false;  // print the hosts selected, scan none
    SettingsOptions settings;
    FleetFlags fleet;
    // --prometheus: judge node_exporter instances from the Prometheus HTTP API instead of sampling.
    std::optional<std::string> prometheus_url;
    std::optional<std::string> prometheus_config;  // http_config file: basic_auth, authorization, tls_config
    std::string window = "5m";
    std::optional<std::string> at;
    std::optional<std::string> match;
};

struct CollectOptions {
    std::optional<std::string> root;
    double interval_seconds = 0;
    std::optional<int> count;  // samples to take; default 1, or 2 with an interval
    std::optional<std::string> output;
};

struct ChecksOptions {
    bool json = false;
    SettingsOptions settings;
};

struct FixOptions {
    std::optional<std::string> root;
    double interval_seconds = 5;
    bool dry_run = false;   // the default; the flag makes it explicit
    bool apply = false;
    bool yes = false;       // apply without asking
    bool json = false;
    bool force = false;     // plan IRQ affinity even with irqbalance running
    std::optional<std::string> only;       // "conntrack-max,port-range"
    std::optional<std::string> plan_file;  // apply (or show) a saved netdiag.plan/v1 instead of planning
    int serial = 1;         // hosts changed at once
    int max_fail = 1;       // failed hosts that stop the rollout
    std::string color = "auto";  // draw IRQ placement before and after under the diffs
    SettingsOptions settings;
    FleetFlags fleet;
};

struct RulesOptions {
    std::string window = "5m";  // the range of rate() and increase()
    std::optional<std::string> output;
    SettingsOptions settings;
};

struct UndoOptions {
    std::optional<std::string> root;
    std::optional<std::string> journal;  // a journal id; default: each host's latest applied one
    bool dry_run = false;
    bool yes = false;
    bool json = false;
    FleetFlags fleet;
};

struct Cli {
    CLI::App app{"netdiag: diagnose a Linux host's network stack and say what to do about it.", "netdiag"};
    ScanOptions scan;
    CollectOptions collect;
    ChecksOptions checks;
    FixOptions fix;
    UndoOptions undo;
    RulesOptions rules;
    CLI::App* scan_command = nullptr;
    CLI::App* fix_command = nullptr;
    CLI::App* undo_command = nullptr;
    CLI::App* collect_command = nullptr;
    CLI::App* checks_command = nullptr;
    CLI::App* rules_command = nullptr;
};

std::unique_ptr<Cli> make_cli();

void add_scan_command(Cli& cli);
void add_collect_command(Cli& cli);
void add_checks_command(Cli& cli);
void add_fix_command(Cli& cli);
void add_undo_command(Cli& cli);
void add_rules_command(Cli& cli);

int run_scan(const ScanOptions& options);
int run_collect(const CollectOptions& options);
int run_checks(const ChecksOptions& options);
int run_fix(const FixOptions& options);
int run_undo(const UndoOptions& options);
int run_rules(const RulesOptions& options);

// netdiag rules' file (cmd/rules.cpp): alerting rules over node_exporter's default metrics for
// these settings, rates over `window` (a Prometheus duration); an error for a bad window.
Result<std::string> prometheus_rules(const Settings& settings, const std::string& window);
// virtual_interfaces' wildcards as one regex for a label matcher ("veth*" -> "veth.*", the rest
// escaped, alternatives joined by "|"), unanchored as Prometheus anchors matchers itself.
std::string prometheus_device_regex(const std::vector<std::string>& patterns);

// Parses and runs; returns the process exit code.
int run_cli(int argc, const char* const* argv);

}  // namespace netdiag
