// Ansible's INI inventories, read as ansible-core's ini plugin reads them, turned into the same
// mapping of groups (hosts, children, vars) that YAML inventories give, so that parse_inventory
// resolves both the same way. parse_inventory picks the format; these are its parts.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "common/result.hpp"

namespace netdiag {

// By content, not file name: INI when the first line that is not blank or a comment ('#', ';')
// is a "[section]" or a host line ("web1", "web1 ansible_host=10.0.0.5", "web1:2222"), YAML when
// it looks like a mapping key ("all:", "web: {...}") or a document marker.
bool looks_like_ini(std::string_view text);

// The INI inventory as a YAML mapping of groups: {group: {hosts: {name: vars|null}, children:
// {child: null}, vars: {...}}}, values kept as strings, and where each [parent:children] section
// first names a child (the built nodes have no marks; an error that spans groups, a cycle or a
// chain too deep, still names its line). Errors are "file:line: what".
struct IniInventory {
    YAML::Node root;
    std::map<std::pair<std::string, std::string>, YAML::Mark> child_marks;  // (parent, child)
};
Result<IniInventory> ini_inventory_root(std::string_view text, std::string_view file);

// Checks one variable as a host would take it (ports, templates, empty connection values);
// the message has no location. Defined in inventory.cpp beside the code that applies variables.
std::optional<std::string> check_inventory_var(const std::string& key, const std::string& value);

}  // namespace netdiag
