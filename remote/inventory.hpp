// Host inventories: netdiag's YAML format and Ansible's YAML inventories (the same structure:
// groups with hosts, children and vars), pdsh-style host lists and Ansible-style --limit patterns.
// Pure functions of text; the caller reads the file.
#pragma once

#include <map>
#include <memory>
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
    std::string connection = "ssh";       // ansible_connection: "ssh" or "local" (this host, no SSH)
    // From ansible_ssh_common_args / ansible_ssh_extra_args (remote/ssh_args.hpp): where they name
    // a port, user or key and the inventory's own variables do not, those are filled in too.
    std::optional<std::string> proxy_jump;         // -J HOPS, -o ProxyJump=HOPS
    std::optional<std::string> host_key_checking;  // -o StrictHostKeyChecking: "strict", "accept-new", "off"
    std::vector<std::string> ignored_ssh_args;     // their options netdiag does not take, as written
    // ansible_become (unset: sudo -n when the login is not root), ansible_become_user, _method.
    std::optional<bool> become;
    std::optional<std::string> become_user, become_method;
    std::vector<std::string> groups;      // every group it is in, ancestors and "all" included, sorted
    // Base, then group vars (parents first), then host vars; hosts whose `netdiag:` vars are the
    // same share one.
    std::shared_ptr<const Settings> settings;
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

// One inventory source's text: netdiag's or Ansible's YAML, Ansible INI, or the JSON of Ansible's
// dynamic-inventory protocol (a script's --list output, `ansible-inventory --list`), told apart by
// content: a mapping with "_meta" is that JSON.
struct InventoryDocument {
    std::string file;  // named in messages
    std::string text;
};

// The files of group_vars/ and host_vars/ beside an inventory, by the group or host they are for,
// each list in the order Ansible reads them (later files override earlier ones).
struct InventoryVarsFiles {
    std::map<std::string, std::vector<InventoryDocument>> groups, hosts;
};

// Several sources make one inventory, as several -i do in Ansible: groups of the same name merge,
// a host is one host in all of them. Precedence, lowest first: the inventories' "all" vars, their
// other groups' vars (by depth, priority, name), group_vars/all, group_vars/GROUP (same order),
// the inventories' host vars, host_vars/HOST. Vars files for groups or hosts the inventory does not
// have are not read.
Result<Inventory> parse_inventories(const std::vector<InventoryDocument>& documents, const InventoryVarsFiles& vars,
                                    const Settings& base);

// Ansible's inventory ranges: "web[01:20]", "db-[a:c]", "rack[1:2]-n[01:04:2]".
Result<std::vector<std::string>> expand_host_pattern(std::string_view pattern);

// pdsh's host lists: "web1,node[01-20],db[1-3,7]".
Result<std::vector<std::string>> expand_host_list(std::string_view list);

// Ansible's --limit: names or wildcards of hosts or groups, separated by ',' or ':';
// "!x" leaves x out, "&x" keeps only hosts also in x. Matching nothing is an error.
Result<Inventory> limit_inventory(const Inventory& inventory, std::string_view pattern);

}  // namespace netdiag
