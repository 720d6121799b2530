// Host inventories: netdiag's YAML format and Ansible's YAML inventories (the same structure:
// groups with hosts, children and vars), pdsh-style host lists and Ansible-style --limit patterns.
// Pure functions of text; the caller reads the file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/settings.hpp"
#include "common/result.hpp"

namespace netdiag {

struct InventoryHost {
    std::string name;                     // what reports show
    std::string address;                  // address / ansible_host; the name when none is given
    std::optional<int> port;              // port / ansible_port
    std::optional<std::string> user;      // user / ansible_user
    std::optional<std::string> identity_file;  // key / ansible_ssh_private_key_file
    std::optional<std::string> instance;  // instance: its node_exporter's instance label in Prometheus
    std::vector<std::string> groups;      // every group it is in, ancestors and "all" included, sorted
    Settings settings;                    // base, then group vars (parents first), then host vars
};

struct Inventory {
    std::vector<InventoryHost> hosts;  // in the order the file first names them; names are unique
};

// Errors are "file:line: what". A host named in several groups is one host in all of them (as in
// Ansible); the same name twice under one `hosts:` is an error. Variables apply as in Ansible:
// groups by depth below "all" (then ansible_group_priority, then name), the host's own last.
// Connection variables: address/ansible_host, port/ansible_port (or a "host:port" key),
// user/ansible_user, key/ansible_ssh_private_key_file, plus Ansible's older ansible_ssh_* names;
// `instance:` names the host's node_exporter in Prometheus (scan --prometheus);
// `netdiag:` holds thresholds, speeds and virtual_interfaces as in --config. Other variables are
// ignored, but a Jinja template in a connection variable is an error (netdiag does not evaluate it).
// An Ansible INI inventory (remote/inventory_ini.hpp) is told apart by its content and resolved the
// same way.
Result<Inventory> parse_inventory(std::string_view text, std::string_view file, const Settings& base);

// Ansible's inventory ranges: "web[01:20]", "db-[a:c]", "rack[1:2]-n[01:04:2]".
Result<std::vector<std::string>> expand_host_pattern(std::string_view pattern);

// pdsh's host lists: "web1,node[01-20],db[1-3,7]".
Result<std::vector<std::string>> expand_host_list(std::string_view list);

// Ansible's --limit: names or wildcards of hosts or groups, separated by ',' or ':';
// "!x" leaves x out, "&x" keeps only hosts also in x. Matching nothing is an error.
Result<Inventory> limit_inventory(const Inventory& inventory, std::string_view pattern);

}  // namespace netdiag
