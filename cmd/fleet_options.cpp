#include "cmd/fleet_options.hpp"

#include <filesystem>
#include <set>
#include <unordered_set>

#include <fmt/format.h>

#include "cmd/settings_options.hpp"
#include "common/exit_codes.hpp"
#include "common/json_text.hpp"
#include "common/text.hpp"
#include "report/build_info.hpp"
#include "remote/inventory.hpp"
#include "remote/inventory_source.hpp"
#include "remote/local_transport.hpp"

namespace netdiag {

void add_fleet_flags(CLI::App& command, FleetFlags& flags) {
    command
        .add_option("inventory", flags.inventory,
                    "Inventory of hosts to reach over SSH: netdiag or Ansible YAML, Ansible INI, a directory, an "
                    "inventory script, or - for `ansible-inventory --list` JSON on stdin")
        ->type_name("INVENTORY")
        ->check([](const std::string& value) -> std::string {
            if (value == "-") return "";
            std::error_code error;
            return std::filesystem::exists(value, error) ? "" : fmt::format("{}: no such file or directory", value);
        });
    command.add_option("-H,--hosts", flags.hosts, "Hosts to scan over SSH, pdsh-style: web1,node[01-20]")
        ->type_name("HOSTS");
    command.add_option("--limit", flags.limit, "Only hosts or groups matching: web,db*,!db3")->type_name("PATTERN");
    command.add_option("-l,--user", flags.user, "Login user for hosts whose inventory names none")
        ->type_name("USER");
    command.add_option("-i,--identity", flags.identity, "Private key for hosts whose inventory names none")
        ->type_name("FILE")
        ->check(CLI::ExistingFile);
    command.add_option("-f,--forks", flags.forks, "Hosts scanned at once")
        ->type_name("N")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    command.add_option("--host-key-checking", flags.host_key_checking,
                       "strict: only hosts in known_hosts; accept-new: add unknown hosts; off: trust any key. "
                       "A changed key is always refused")
        ->check(CLI::IsMember({"strict", "accept-new", "off"}))
        ->capture_default_str();
    command.add_option("--known-hosts", flags.known_hosts, "known_hosts file instead of ~/.ssh/known_hosts")
        ->type_name("FILE");
    auto* config = command.add_option("--ssh-config", flags.ssh_config, "ssh_config file instead of ~/.ssh/config")
                       ->type_name("FILE")
                       ->check(CLI::ExistingFile);
    command.add_flag("--no-ssh-config", flags.no_ssh_config, "Ignore ~/.ssh/config")->excludes(config);
    command.add_option("--connect-timeout", flags.connect_timeout, "Seconds to connect (each address in turn) and to authenticate")
        ->type_name("SECONDS")
        ->check(CLI::Range(1.0, 600.0))
        ->capture_default_str();
    command.add_option("--command-timeout", flags.command_timeout, "Seconds one sample may take on a host")
        ->type_name("SECONDS")
        ->check(CLI::Range(1.0, 3600.0))
        ->capture_default_str();
    command.add_option("--max-output", flags.max_output_mib,
                       "MiB one host may send for one sample; a host that sends more ends as error")
        ->type_name("MIB")
        ->check(CLI::Range(1, 4096))
        ->capture_default_str();
}

namespace {

// "strict", "accept-new", "off": the flag's words, and the inventory's (remote/ssh_args.hpp).
HostKeyChecking host_key_checking_named(std::string_view name) {
    if (name == "off") return HostKeyChecking::off;
    if (name == "accept-new") return HostKeyChecking::accept_new;
    return HostKeyChecking::strict;
}

}  // namespace

Result<FleetPlan> build_fleet_plan(const FleetFlags& flags, const Settings& base, int* exit_code_on_error) {
    *exit_code_on_error = exit_code::kDataError;
    Inventory inventory;
    if (flags.inventory) {
        auto source = read_inventory_source(*flags.inventory);
        if (!source) return source.error();
        auto parsed = parse_inventories(source->documents, source->vars, base);
        if (!parsed) return parsed.error();
        inventory = std::move(parsed).value();
    }
    if (flags.hosts) {
        const auto shared_base = std::make_shared<const Settings>(base);
        auto names = expand_host_list(*flags.hosts);
        if (!names) {
            *exit_code_on_error = exit_code::kUsage;
            return make_error(fmt::format("-H: {}", names.error().message));
        }
        std::unordered_set<std::string> known;  // a set: -H 'n[1-99999]' must not take n^2 comparisons
        for (const auto& host : inventory.hosts) known.insert(host.name);
        for (const auto& name : *names) {
            if (!known.insert(name).second) continue;
            InventoryHost host;
            host.name = name;
            host.address = name;
            host.settings = shared_base;
            host.groups = {"all"};  // as Ansible puts ad-hoc hosts: --limit 'all:!web3' works
            inventory.hosts.push_back(std::move(host));
        }
    }
    if (flags.limit) {
        auto limited = limit_inventory(inventory, *flags.limit);
        if (!limited) {
            *exit_code_on_error = exit_code::kUsage;
            return make_error(fmt::format("--limit: {}", limited.error().message));
        }
        inventory = std::move(limited).value();
    }

    FleetPlan plan;
    std::set<std::string> ignored_ssh_args;
    for (auto& host : inventory.hosts) {
        plan.targets.push_back(FleetTarget{host.name, host.settings, host.instance});
        SshTarget ssh;
        ssh.label = host.name;
        ssh.address = host.address.empty() ? host.name : host.address;
        ssh.port = host.port;
        ssh.user = host.user ? host.user : flags.user;
        ssh.identity_file = host.identity_file ? host.identity_file : flags.identity;
        ssh.proxy_jump = host.proxy_jump;
        if (host.host_key_checking) ssh.host_key_checking = host_key_checking_named(*host.host_key_checking);
        ssh.become = host.become;
        ssh.become_user = host.become_user;
        ssh.become_method = host.become_method;
        ignored_ssh_args.insert(host.ignored_ssh_args.begin(), host.ignored_ssh_args.end());
        plan.ssh_targets.push_back(std::move(ssh));
        plan.connections.push_back(host.connection);
        plan.groups.push_back(host.groups);
    }
    if (!ignored_ssh_args.empty()) {
        // Once for the whole inventory, not once a host: the same args usually sit in group_vars/all.
        std::string list;
        for (const auto& arg : ignored_ssh_args) list += (list.empty() ? "" : ", ") + printable(arg);
        fmt::print(stderr,
                   "netdiag: ignored in ansible_ssh_common_args/ansible_ssh_extra_args: {} (netdiag takes -J/ProxyJump, "
                   "-p/Port, -l/User, -i/IdentityFile and StrictHostKeyChecking from them)\n",
                   list);
    }
    plan.ssh.host_key_checking = host_key_checking_named(flags.host_key_checking);
    plan.ssh.use_ssh_config = !flags.no_ssh_config;
    plan.ssh.ssh_config_file = flags.ssh_config;
    plan.ssh.known_hosts_file = flags.known_hosts;
    plan.ssh.connect_timeout = std::chrono::seconds(static_cast<long>(flags.connect_timeout + 0.5));
    plan.ssh.command_timeout = std::chrono::seconds(static_cast<long>(flags.command_timeout + 0.5));
    static_assert(FleetFlags{}.max_output_mib == static_cast<int>(kDefaultMaxOutput >> 20));
    plan.ssh.max_output = static_cast<std::size_t>(flags.max_output_mib) << 20;
    plan.options.forks = flags.forks;
    return plan;
}

Result<std::unique_ptr<HostSet>> HostSet::resolve(const FleetFlags& flags, const std::optional<std::string>& root,
                                                  const Settings& settings, int* exit_code_on_error) {
    std::unique_ptr<HostSet> hosts(new HostSet());
    if (is_fleet(flags)) {
        auto plan = build_fleet_plan(flags, settings, exit_code_on_error);
        if (!plan) return plan.error();
        hosts->fleet_ = std::move(plan).value();
        hosts->fleet_->ssh.known_hosts_lock = &hosts->known_hosts_lock_;
        hosts->targets_ = hosts->fleet_->targets;
    } else {
        hosts->root_ = root.value_or("/");
        hosts->targets_.push_back(FleetTarget{root ? *root : "localhost", std::make_shared<const Settings>(settings), std::nullopt});
    }
    return hosts;
}

std::variant<std::unique_ptr<Transport>, ConnectFailure> HostSet::connect(std::size_t index) const {
    if (!fleet_) return std::unique_ptr<Transport>(std::make_unique<LocalTransport>(root_));
    const auto& connection = fleet_->connections[index];
    if (connection == "local") return std::unique_ptr<Transport>(std::make_unique<LocalTransport>("/"));
    if (connection != "ssh") {
        return ConnectFailure{"error", fmt::format("{}: ansible_connection \"{}\": netdiag reaches hosts over SSH or "
                                                   "locally (ssh, local)",
                                                   fleet_->ssh_targets[index].label, printable(connection))};
    }
    auto connected = SshTransport::connect(fleet_->ssh_targets[index], fleet_->ssh);
    if (auto* error = std::get_if<SshError>(&connected)) {
        return ConnectFailure{std::string(failure_status(error->kind)), error->message};
    }
    return std::unique_ptr<Transport>(std::move(std::get<std::unique_ptr<SshTransport>>(connected)));
}

int print_host_list(const FleetFlags& flags, const Settings& base, bool json) {
    if (!is_fleet(flags)) {
        fmt::print(stderr, "netdiag: --list-hosts needs an inventory or -H\n");
        return exit_code::kUsage;
    }
    int plan_exit = exit_code::kDataError;
    auto plan = build_fleet_plan(flags, base, &plan_exit);
    if (!plan) {
        fmt::print(stderr, "netdiag: {}\n", plan.error().message);
        return plan_exit;
    }
    if (json) {
        auto hosts = nlohmann::json::array();
        for (std::size_t i = 0; i < plan->targets.size(); ++i) {
            const auto& ssh = plan->ssh_targets[i];
            hosts.push_back({{"name", plan->targets[i].name},
                             {"address", ssh.address},
                             {"port", ssh.port ? nlohmann::json(*ssh.port) : nlohmann::json(nullptr)},
                             {"user", ssh.user ? nlohmann::json(*ssh.user) : nlohmann::json(nullptr)},
                             {"connection", plan->connections[i]},
                             {"groups", plan->groups[i]}});
        }
        nlohmann::json document{{"schema", "netdiag.hosts/v1"}, {"hosts", std::move(hosts)}};
        fmt::print("{}\n", json_text(with_build_info(std::move(document))));
        return exit_code::kOk;
    }
    // As `ansible --list-hosts`, with how each host is reached; "-" where the inventory says nothing
    // (ssh_config and the defaults decide).
    std::vector<std::array<std::string, 5>> rows{{"HOST", "ADDRESS", "PORT", "USER", "CONNECTION"}};
    for (std::size_t i = 0; i < plan->targets.size(); ++i) {
        const auto& ssh = plan->ssh_targets[i];
        rows.push_back({printable(plan->targets[i].name), printable(ssh.address), ssh.port ? std::to_string(*ssh.port) : "-",
                        ssh.user ? printable(*ssh.user) : "-", printable(plan->connections[i])});
    }
    std::array<std::size_t, 5> widths{};
    for (const auto& row : rows) {
        for (std::size_t column = 0; column < row.size(); ++column) widths[column] = std::max(widths[column], row[column].size());
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t column = 0; column < row.size(); ++column) {
            line += column + 1 < row.size() ? fmt::format("{:<{}}  ", row[column], widths[column]) : row[column];
        }
        fmt::print("{}\n", line);
    }
    return exit_code::kOk;
}

}  // namespace netdiag
