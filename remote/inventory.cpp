#include "remote/inventory.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "checks/settings_yaml.hpp"
#include "common/text.hpp"

namespace netdiag {
namespace {

// Enough for any real fleet, small enough that "node[1-99999999]" cannot exhaust memory.
constexpr std::size_t kMaxHostsPerPattern = 100000;

std::string at(std::string_view file, const YAML::Mark& mark) { return fmt::format("{}:{}: ", file, mark.line + 1); }

// "01" -> 1 with width 2 (zero padding kept), "a" -> 'a' as a letter range.
struct RangeBound {
    std::uint64_t value = 0;
    std::size_t width = 0;
    bool letter = false;
};

std::optional<RangeBound> range_bound(std::string_view text) {
    if (text.size() == 1 && std::isalpha(static_cast<unsigned char>(text[0]))) {
        return RangeBound{static_cast<std::uint64_t>(text[0]), 1, true};
    }
    auto value = parse_u64(text);
    if (!value) return std::nullopt;
    return RangeBound{*value, text.size() > 1 && text[0] == '0' ? text.size() : 0, false};
}

// Expands first..last (step) into `out`, returning false on a bad or oversized range.
bool append_range(std::string_view first_text, std::string_view last_text, std::uint64_t step,
                  std::vector<std::string>& out) {
    const auto first = range_bound(first_text);
    const auto last = range_bound(last_text);
    if (!first || !last || first->letter != last->letter || first->value > last->value || step == 0) return false;
    if ((last->value - first->value) / step >= kMaxHostsPerPattern) return false;
    for (auto value = first->value; value <= last->value; value += step) {
        out.push_back(first->letter ? std::string(1, static_cast<char>(value))
                                    : fmt::format("{:0{}}", value, first->width));
    }
    return true;
}

// Expands every "[...]" of `pattern`, left to right; `expand_inside` turns one bracket's text
// into its alternatives.
template <class ExpandInside>
std::optional<std::string> expand_brackets(std::string_view pattern, const ExpandInside& expand_inside,
                                           std::vector<std::string>& out) {
    const auto open = pattern.find('[');
    if (open == std::string_view::npos) {
        if (pattern.find(']') != std::string_view::npos) return "unbalanced ']'";
        out.emplace_back(pattern);
        return std::nullopt;
    }
    const auto close = pattern.find(']', open);
    if (close == std::string_view::npos) return "unbalanced '['";
    std::vector<std::string> alternatives;
    if (!expand_inside(pattern.substr(open + 1, close - open - 1), alternatives)) {
        return fmt::format("bad range \"{}\"", pattern.substr(open, close - open + 1));
    }
    const auto prefix = pattern.substr(0, open);
    for (const auto& alternative : alternatives) {
        std::vector<std::string> rest;
        if (auto error = expand_brackets(pattern.substr(close + 1), expand_inside, rest)) return error;
        for (const auto& tail : rest) {
            if (out.size() >= kMaxHostsPerPattern) return "expands to too many hosts";
            out.push_back(fmt::format("{}{}{}", prefix, alternative, tail));
        }
    }
    return std::nullopt;
}

// Ansible: "01:20" or "01:20:2" or "a:f".
bool expand_ansible_range(std::string_view inside, std::vector<std::string>& out) {
    const auto parts = split(inside, ':');
    if (parts.size() != 2 && parts.size() != 3) return false;
    std::uint64_t step = 1;
    if (parts.size() == 3) {
        auto parsed = parse_u64(parts[2]);
        if (!parsed) return false;
        step = *parsed;
    }
    return append_range(parts[0], parts[1], step, out);
}

// pdsh: "01-20,25,30-31".
bool expand_pdsh_range(std::string_view inside, std::vector<std::string>& out) {
    for (const auto item : split(inside, ',')) {
        const auto dash = item.find('-');
        if (dash == std::string_view::npos) {
            if (!append_range(item, item, 1, out)) return false;
        } else if (!append_range(item.substr(0, dash), item.substr(dash + 1), 1, out)) {
            return false;
        }
    }
    return true;
}

// What the walk over groups collects before hosts are resolved.
struct GroupInfo {
    int depth = 0;
    std::vector<YAML::Node> vars;
    std::set<std::string> parents;
};

struct HostInfo {
    std::string name;
    std::set<std::string> groups;  // direct membership
    std::vector<YAML::Node> vars;  // each appearance's own vars, in file order
};

class InventoryWalk {
public:
    explicit InventoryWalk(std::string_view file) : file_(file) {}

    std::optional<std::string> group(const std::string& name, const YAML::Node& node, int depth,
                                     const std::string& parent, int nesting) {
        if (nesting > 64) return at(file_, node.Mark()) + "groups nest deeper than 64 levels (a cycle?)";
        auto& info = groups_[name];
        info.depth = std::max(info.depth, depth);
        if (!parent.empty()) info.parents.insert(parent);
        if (node.IsNull()) return std::nullopt;
        if (!node.IsMap()) return at(file_, node.Mark()) + fmt::format("group \"{}\" must be a mapping", name);
        for (const auto& entry : node) {
            const std::string key = entry.first.Scalar();
            const YAML::Node& value = entry.second;
            if (key == "hosts") {
                if (auto error = hosts(name, value)) return error;
            } else if (key == "children") {
                if (value.IsNull()) continue;
                if (!value.IsMap()) return at(file_, value.Mark()) + "children must be a mapping of groups";
                std::set<std::string> seen;
                for (const auto& child : value) {
                    const std::string child_name = child.first.Scalar();
                    if (child_name.empty()) return at(file_, child.first.Mark()) + "empty group name";
                    if (!seen.insert(child_name).second) {
                        return at(file_, child.first.Mark()) + fmt::format("group \"{}\" appears twice", child_name);
                    }
                    if (auto error = group(child_name, child.second, depth + 1, name, nesting + 1)) return error;
                }
            } else if (key == "vars") {
                if (value.IsNull()) continue;
                if (!value.IsMap()) return at(file_, value.Mark()) + "vars must be a mapping";
                info.vars.push_back(value);
            } else {
                return at(file_, entry.first.Mark()) +
                       fmt::format("unknown key \"{}\" in group \"{}\" (expected hosts, children, vars)", key, name);
            }
        }
        return std::nullopt;
    }

    const std::map<std::string, GroupInfo>& groups() const { return groups_; }
    const std::vector<HostInfo>& host_list() const { return hosts_; }

private:
    std::optional<std::string> hosts(const std::string& group_name, const YAML::Node& node) {
        if (node.IsNull()) return std::nullopt;
        if (!node.IsMap()) return at(file_, node.Mark()) + "hosts must be a mapping of host names";
        std::set<std::string> seen;
        for (const auto& entry : node) {
            const std::string pattern(trim(entry.first.Scalar()));
            if (pattern.empty()) return at(file_, entry.first.Mark()) + "empty host name";
            std::vector<std::string> names;
            if (auto error = expand_brackets(pattern, expand_ansible_range, names)) {
                return at(file_, entry.first.Mark()) + fmt::format("host \"{}\": {}", pattern, *error);
            }
            if (!entry.second.IsNull() && !entry.second.IsMap()) {
                return at(file_, entry.second.Mark()) + fmt::format("host \"{}\" takes a mapping of vars", pattern);
            }
            for (const auto& name : names) {
                if (!seen.insert(name).second) {
                    return at(file_, entry.first.Mark()) +
                           fmt::format("host \"{}\" appears twice in group \"{}\"", name, group_name);
                }
                auto found = index_.find(name);
                if (found == index_.end()) {
                    found = index_.emplace(name, hosts_.size()).first;
                    hosts_.push_back(HostInfo{name, {}, {}});
                }
                auto& host = hosts_[found->second];
                host.groups.insert(group_name);
                if (entry.second.IsMap()) host.vars.push_back(entry.second);
            }
        }
        return std::nullopt;
    }

    std::string_view file_;
    std::map<std::string, GroupInfo> groups_;
    std::vector<HostInfo> hosts_;
    std::map<std::string, std::size_t> index_;
};

std::optional<std::string> scalar_var(const YAML::Node& value, std::string_view file, std::string_view key,
                                      std::string& out) {
    if (!value.IsScalar() || value.Scalar().empty()) return at(file, value.Mark()) + fmt::format("{} must be a string", key);
    out = value.Scalar();
    return std::nullopt;
}

// Applies one vars mapping to a host: connection variables and netdiag's settings; other
// variables (Ansible's own) are left alone.
std::optional<std::string> apply_vars(InventoryHost& host, const YAML::Node& vars, std::string_view file) {
    for (const auto& entry : vars) {
        const std::string key = entry.first.Scalar();
        const YAML::Node& value = entry.second;
        std::string text;
        if (key == "address" || key == "ansible_host" || key == "ansible_ssh_host") {
            if (auto error = scalar_var(value, file, key, text)) return error;
            host.address = text;
        } else if (key == "port" || key == "ansible_port" || key == "ansible_ssh_port") {
            const auto port = value.IsScalar() ? parse_u64(trim(value.Scalar())) : std::nullopt;
            if (!port || *port < 1 || *port > 65535) {
                return at(file, value.Mark()) + fmt::format("{} must be a port number 1-65535", key);
            }
            host.port = static_cast<int>(*port);
        } else if (key == "user" || key == "ansible_user" || key == "ansible_ssh_user") {
            if (auto error = scalar_var(value, file, key, text)) return error;
            host.user = text;
        } else if (key == "key" || key == "ansible_ssh_private_key_file") {
            if (auto error = scalar_var(value, file, key, text)) return error;
            host.identity_file = text;
        } else if (key == "netdiag") {
            if (value.IsNull()) continue;
            auto status = apply_settings_node(host.settings, value, file);
            if (!status) return status.error().message;
        }
    }
    return std::nullopt;
}

void collect_ancestors(const std::map<std::string, GroupInfo>& groups, const std::string& group,
                       std::set<std::string>& out) {
    if (!out.insert(group).second) return;
    const auto found = groups.find(group);
    if (found == groups.end()) return;
    for (const auto& parent : found->second.parents) collect_ancestors(groups, parent, out);
}

}  // namespace

Result<std::vector<std::string>> expand_host_pattern(std::string_view pattern) {
    std::vector<std::string> names;
    if (auto error = expand_brackets(trim(pattern), expand_ansible_range, names)) {
        return make_error(fmt::format("host \"{}\": {}", pattern, *error));
    }
    return names;
}

Result<std::vector<std::string>> expand_host_list(std::string_view list) {
    std::vector<std::string> names;
    std::set<std::string> seen;
    // Split on commas outside brackets: "a,node[1-3,7],b".
    std::size_t start = 0;
    int depth = 0;
    for (std::size_t i = 0; i <= list.size(); ++i) {
        if (i < list.size() && list[i] == '[') ++depth;
        if (i < list.size() && list[i] == ']') --depth;
        if (i < list.size() && (list[i] != ',' || depth > 0)) continue;
        const auto item = trim(list.substr(start, i - start));
        start = i + 1;
        if (item.empty()) return make_error(fmt::format("empty host name in \"{}\"", list));
        std::vector<std::string> expanded;
        if (auto error = expand_brackets(item, expand_pdsh_range, expanded)) {
            return make_error(fmt::format("\"{}\": {}", item, *error));
        }
        for (auto& name : expanded) {
            if (seen.insert(name).second) names.push_back(std::move(name));  // pdsh drops repeats too
        }
        if (names.size() > kMaxHostsPerPattern) return make_error("the host list expands to too many hosts");
    }
    return names;
}

Result<Inventory> parse_inventory(std::string_view yaml_text, std::string_view file, const Settings& base) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml_text));
    } catch (const YAML::Exception& error) {
        return make_error(fmt::format("{}:{}: {}", file, error.mark.line + 1, error.msg));
    }
    if (root.IsNull()) return make_error(fmt::format("{}: the inventory has no hosts", file));
    if (!root.IsMap()) return make_error(at(file, root.Mark()) + "the inventory must be a mapping of groups (e.g. all:)");

    InventoryWalk walk(file);
    std::set<std::string> top_level;
    for (const auto& entry : root) {
        const std::string name = entry.first.Scalar();
        if (name.empty()) return make_error(at(file, entry.first.Mark()) + "empty group name");
        if (!top_level.insert(name).second) {
            return make_error(at(file, entry.first.Mark()) + fmt::format("group \"{}\" appears twice", name));
        }
        // Ansible puts every top-level group under "all".
        if (auto error = walk.group(name, entry.second, name == "all" ? 0 : 1, name == "all" ? "" : "all", 0)) {
            return make_error(*error);
        }
    }
    if (walk.host_list().empty()) return make_error(fmt::format("{}: the inventory has no hosts", file));

    Inventory inventory;
    for (const auto& info : walk.host_list()) {
        InventoryHost host;
        host.name = info.name;
        host.address = info.name;
        host.settings = base;
        std::set<std::string> all_groups{"all"};
        for (const auto& group : info.groups) collect_ancestors(walk.groups(), group, all_groups);
        // Ansible's precedence: shallower groups first, then by name; the host's own vars last.
        std::vector<std::pair<int, std::string>> ordered;
        for (const auto& group : all_groups) {
            const auto found = walk.groups().find(group);
            ordered.emplace_back(found == walk.groups().end() ? 0 : found->second.depth, group);
        }
        std::sort(ordered.begin(), ordered.end());
        for (const auto& [depth, group] : ordered) {
            const auto found = walk.groups().find(group);
            if (found == walk.groups().end()) continue;
            for (const auto& vars : found->second.vars) {
                if (auto error = apply_vars(host, vars, file)) return make_error(*error);
            }
        }
        for (const auto& vars : info.vars) {
            if (auto error = apply_vars(host, vars, file)) return make_error(*error);
        }
        host.groups.assign(all_groups.begin(), all_groups.end());
        inventory.hosts.push_back(std::move(host));
    }
    return inventory;
}

Result<Inventory> limit_inventory(const Inventory& inventory, std::string_view pattern) {
    std::vector<std::string_view> include, intersect, exclude;
    for (auto item : split(pattern, ',')) {
        for (auto part : split(item, ':')) {
            part = trim(part);
            if (part.empty()) continue;
            if (part[0] == '!') {
                exclude.push_back(part.substr(1));
            } else if (part[0] == '&') {
                intersect.push_back(part.substr(1));
            } else {
                include.push_back(part);
            }
        }
    }
    if (include.empty() && intersect.empty() && exclude.empty()) return make_error("empty pattern");
    const auto matches = [](const InventoryHost& host, std::string_view word) {
        if (wildcard_match(word, host.name)) return true;
        return std::any_of(host.groups.begin(), host.groups.end(),
                           [&](const std::string& group) { return wildcard_match(word, group); });
    };
    Inventory limited;
    for (const auto& host : inventory.hosts) {
        const bool included = include.empty() || std::any_of(include.begin(), include.end(),
                                                             [&](auto word) { return matches(host, word); });
        const bool in_all = std::all_of(intersect.begin(), intersect.end(), [&](auto word) { return matches(host, word); });
        const bool excluded = std::any_of(exclude.begin(), exclude.end(), [&](auto word) { return matches(host, word); });
        if (included && in_all && !excluded) limited.hosts.push_back(host);
    }
    if (limited.hosts.empty()) return make_error(fmt::format("no host or group matches \"{}\"", pattern));
    return limited;
}

}  // namespace netdiag
