#include "remote/inventory.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "checks/settings_yaml.hpp"
#include "common/text.hpp"
#include "remote/inventory_ini.hpp"

namespace netdiag {
namespace {

// Enough for any real fleet, small enough that "node[1-99999999]" cannot exhaust memory.
constexpr std::size_t kMaxHostsPerPattern = 100000;
// A whole inventory: distinct hosts, and host-in-group entries (one host named by many groups).
constexpr std::size_t kMaxInventoryHosts = 100000;
constexpr std::size_t kMaxHostEntries = 1000000;

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

// Ansible's "host:port" inventory keys: the port comes off the name. Only one ':' outside brackets
// counts, so range colons ("web[01:04]") and bare IPv6 addresses ("2001:db8::1") stay names.
struct HostKey {
    std::string_view pattern;
    std::optional<int> port;
};

std::optional<HostKey> split_host_port(std::string_view key) {
    std::size_t colon = std::string_view::npos;
    int colons = 0;
    int depth = 0;
    for (std::size_t i = 0; i < key.size(); ++i) {
        if (key[i] == '[') ++depth;
        if (key[i] == ']') --depth;
        if (key[i] == ':' && depth == 0) {
            ++colons;
            colon = i;
        }
    }
    if (colons != 1) return HostKey{key, std::nullopt};
    const auto port = parse_u64(key.substr(colon + 1));
    if (!port || *port < 1 || *port > 65535) return std::nullopt;
    return HostKey{key.substr(0, colon), static_cast<int>(*port)};
}

// What the walk over groups collects before hosts are resolved.
struct GroupInfo {
    std::vector<YAML::Node> vars;
    std::map<std::string, YAML::Mark> parents;  // where each parent first names this group
    std::int64_t priority = 1;                  // ansible_group_priority: orders groups of equal depth
};

struct HostInfo {
    std::string name;
    std::set<std::string> groups;  // direct membership
    std::optional<int> key_port;   // from a "host:port" key; the host's own vars still beat it
    std::vector<YAML::Node> vars;  // each appearance's own vars, in file order
};

class InventoryWalk {
public:
    explicit InventoryWalk(std::string_view file) : file_(file) {}

    // `parent_mark` is where `parent` names this group; depth is worked out later from the whole
    // graph because a group can be named again, deeper, after its children were walked.
    std::optional<std::string> group(const std::string& name, const YAML::Node& node, const std::string& parent,
                                     const YAML::Mark& parent_mark, int nesting) {
        if (nesting > 64) return at(file_, node.Mark()) + "groups nest deeper than 64 levels";
        auto& info = groups_[name];
        if (!parent.empty()) info.parents.emplace(parent, parent_mark);
        if (node.IsNull()) return std::nullopt;
        if (!node.IsMap()) return at(file_, node.Mark()) + fmt::format("group \"{}\" must be a mapping", name);
        // A YAML alias names the same node again: walked once per group name, or a few lines of
        // aliases (a "billion laughs") would make the walk exponential.
        if (!walked_.emplace(name, node.Mark().pos).second) return std::nullopt;
        std::set<std::string> keys;
        for (const auto& entry : node) {
            const std::string key = entry.first.Scalar();
            const YAML::Node& value = entry.second;
            // YAML parsers differ on a repeated key (Ansible keeps the last): say so rather than guess.
            if (!keys.insert(key).second) {
                return at(file_, entry.first.Mark()) + fmt::format("\"{}\" appears twice in group \"{}\"", key, name);
            }
            if (key == "hosts") {
                if (auto error = hosts(name, value)) return error;
            } else if (key == "children") {
                if (value.IsNull()) continue;
                if (!value.IsMap()) return at(file_, value.Mark()) + "children must be a mapping of groups";
                std::set<std::string> seen;
                for (const auto& child : value) {
                    const std::string child_name = child.first.Scalar();
                    if (child_name.empty()) return at(file_, child.first.Mark()) + "empty group name";
                    if (child_name == "all") return at(file_, child.first.Mark()) + "\"all\" cannot be a child group";
                    if (!seen.insert(child_name).second) {
                        return at(file_, child.first.Mark()) + fmt::format("group \"{}\" appears twice", child_name);
                    }
                    if (auto error = group(child_name, child.second, name, child.first.Mark(), nesting + 1)) {
                        return error;
                    }
                }
            } else if (key == "vars") {
                if (value.IsNull()) continue;
                if (!value.IsMap()) return at(file_, value.Mark()) + "vars must be a mapping";
                if (auto error = group_priority(value, groups_[name])) return error;
                groups_[name].vars.push_back(value);
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
    std::optional<std::string> group_priority(const YAML::Node& vars, GroupInfo& info) const {
        const auto value = vars["ansible_group_priority"];
        if (!value) return std::nullopt;
        const auto priority = value.IsScalar() ? parse_i64(trim(value.Scalar())) : std::nullopt;
        if (!priority) return at(file_, value.Mark()) + "ansible_group_priority must be an integer";
        info.priority = *priority;
        return std::nullopt;
    }

    std::optional<std::string> hosts(const std::string& group_name, const YAML::Node& node) {
        if (node.IsNull()) return std::nullopt;
        if (!node.IsMap()) return at(file_, node.Mark()) + "hosts must be a mapping of host names";
        // yaml-cpp 0.7 keeps every entry of a mapping with repeated keys when iterating, so
        // duplicates are caught here rather than silently merged.
        std::set<std::string> seen;
        for (const auto& entry : node) {
            const std::string key(trim(entry.first.Scalar()));
            if (key.empty()) return at(file_, entry.first.Mark()) + "empty host name";
            if (has_control_characters(key)) {
                return at(file_, entry.first.Mark()) + fmt::format("host \"{}\": control characters in a host name", printable(key));
            }
            const auto host_key = split_host_port(key);
            if (!host_key) return at(file_, entry.first.Mark()) + fmt::format("host \"{}\": port must be 1-65535", key);
            std::vector<std::string> names;
            if (auto error = expand_brackets(host_key->pattern, expand_ansible_range, names)) {
                return at(file_, entry.first.Mark()) + fmt::format("host \"{}\": {}", key, *error);
            }
            if (!entry.second.IsNull() && !entry.second.IsMap()) {
                return at(file_, entry.second.Mark()) + fmt::format("host \"{}\" takes a mapping of vars", key);
            }
            for (const auto& name : names) {
                if (!seen.insert(name).second) {
                    return at(file_, entry.first.Mark()) +
                           fmt::format("host \"{}\" appears twice in group \"{}\"", name, group_name);
                }
                if (++memberships_ > kMaxHostEntries) {
                    return at(file_, entry.first.Mark()) +
                           fmt::format("the inventory lists hosts in groups more than {} times; netdiag stops there",
                                       kMaxHostEntries);
                }
                auto found = index_.find(name);
                if (found == index_.end()) {
                    if (hosts_.size() >= kMaxInventoryHosts) {
                        return at(file_, entry.first.Mark()) +
                               fmt::format("the inventory holds more than {} hosts", kMaxInventoryHosts);
                    }
                    found = index_.emplace(name, hosts_.size()).first;
                    hosts_.push_back(HostInfo{name, {}, {}, {}});
                }
                auto& host = hosts_[found->second];
                host.groups.insert(group_name);
                if (host_key->port) host.key_port = host_key->port;
                if (entry.second.IsMap()) host.vars.push_back(entry.second);
            }
        }
        return std::nullopt;
    }

    std::string_view file_;
    std::map<std::string, GroupInfo> groups_;
    std::vector<HostInfo> hosts_;
    std::map<std::string, std::size_t> index_;
    std::set<std::pair<std::string, int>> walked_;  // (group name, node position) already walked
    std::size_t memberships_ = 0;
};

// Ansible's group depth: the longest path down from "all" (top-level groups are its children), so
// a group's vars apply after those of every ancestor however the file orders them.
class GroupDepths {
public:
    GroupDepths(const std::map<std::string, GroupInfo>& groups, std::string_view file) : groups_(groups), file_(file) {}

    std::optional<std::string> compute() {
        for (const auto& [name, info] : groups_) {
            if (auto error = visit(name)) return error;
        }
        return std::nullopt;
    }

    int depth(const std::string& group) const {
        const auto found = depth_.find(group);
        return found == depth_.end() ? 0 : found->second;
    }

private:
    std::optional<std::string> visit(const std::string& name) {
        if (depth_.count(name)) return std::nullopt;
        if (name == "all") {
            depth_[name] = 0;
            return std::nullopt;
        }
        in_progress_.insert(name);
        int deepest = 1;  // every group is at least a child of "all"
        for (const auto& [parent, mark] : groups_.at(name).parents) {
            if (in_progress_.count(parent)) return cycle_error(Edge{name, parent, mark});
            path_.push_back(Edge{name, parent, mark});
            if (auto error = visit(parent)) return error;
            path_.pop_back();
            deepest = std::max(deepest, depth_.at(parent) + 1);
        }
        in_progress_.erase(name);
        depth_[name] = deepest;
        return std::nullopt;
    }

    struct Edge {
        std::string child, parent;
        YAML::Mark mark;
    };

    // Blames the edge of the cycle written last in the file: usually the one just added by mistake,
    // and the same answer whatever order the search took.
    std::string cycle_error(const Edge& closing) const {
        const Edge* blamed = &closing;
        bool in_cycle = false;
        for (const auto& edge : path_) {
            in_cycle = in_cycle || edge.child == closing.parent;
            const auto later = std::pair(edge.mark.line, edge.mark.column) > std::pair(blamed->mark.line, blamed->mark.column);
            if (in_cycle && later) blamed = &edge;
        }
        return at(file_, blamed->mark) +
               fmt::format("group \"{}\" under \"{}\" makes a cycle of groups", blamed->child, blamed->parent);
    }

    const std::map<std::string, GroupInfo>& groups_;
    std::string_view file_;
    std::map<std::string, int> depth_;
    std::set<std::string> in_progress_;
    std::vector<Edge> path_;  // the parent links followed to the group being visited
};

// Ansible inventories may template variables ("{{ inventory_hostname }}.example.com"); netdiag does
// not evaluate Jinja, and connecting to the literal text would fail far from the cause.
std::optional<std::string> reject_template(const YAML::Node& value, std::string_view file, std::string_view key) {
    if (!value.IsScalar()) return std::nullopt;
    const auto& text = value.Scalar();
    if (text.find("{{") == std::string::npos && text.find("{%") == std::string::npos) return std::nullopt;
    return at(file, value.Mark()) +
           fmt::format("{} is a Jinja template (\"{}\"), which netdiag does not evaluate", key, text);
}

std::optional<std::string> scalar_var(const YAML::Node& value, std::string_view file, std::string_view key,
                                      std::string& out) {
    if (auto error = reject_template(value, file, key)) return error;
    if (!value.IsScalar() || trim(value.Scalar()).empty()) {
        return at(file, value.Mark()) + fmt::format("{} must be a non-empty string", key);
    }
    if (has_control_characters(value.Scalar())) {
        return at(file, value.Mark()) + fmt::format("{} holds control characters (\"{}\")", key, printable(value.Scalar()));
    }
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
            if (auto error = reject_template(value, file, key)) return error;
            const auto port = value.IsScalar() ? parse_u64(trim(value.Scalar())) : std::nullopt;
            if (!port || *port < 1 || *port > 65535) {
                return at(file, value.Mark()) + fmt::format("{} must be a port number 1-65535", key);
            }
            host.port = static_cast<int>(*port);
        } else if (key == "user" || key == "ansible_user" || key == "ansible_ssh_user") {
            if (auto error = scalar_var(value, file, key, text)) return error;
            host.user = text;
        } else if (key == "key" || key == "ansible_ssh_private_key_file" || key == "ansible_private_key_file") {
            if (auto error = scalar_var(value, file, key, text)) return error;
            host.identity_file = text;
        } else if (key == "instance") {
            if (auto error = scalar_var(value, file, key, text)) return error;
            host.instance = text;
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
    for (const auto& [parent, mark] : found->second.parents) collect_ancestors(groups, parent, out);
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
        if (has_control_characters(item)) {
            return make_error(fmt::format("\"{}\": control characters in a host name", printable(item)));
        }
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

namespace {

// The shared half of both formats: a mapping of groups (hosts, children, vars) resolved to hosts
// with their variables layered as Ansible does.
Result<Inventory> resolve_inventory(const YAML::Node& root, std::string_view file, const Settings& base) {
    InventoryWalk walk(file);
    std::set<std::string> top_level;
    for (const auto& entry : root) {
        const std::string name = entry.first.Scalar();
        if (name.empty()) return make_error(at(file, entry.first.Mark()) + "empty group name");
        if (!top_level.insert(name).second) {
            return make_error(at(file, entry.first.Mark()) + fmt::format("group \"{}\" appears twice", name));
        }
        // Ansible puts every top-level group under "all".
        if (auto error = walk.group(name, entry.second, name == "all" ? "" : "all", entry.first.Mark(), 0)) {
            return make_error(*error);
        }
    }
    if (walk.host_list().empty()) return make_error(fmt::format("{}: the inventory has no hosts", file));
    GroupDepths depths(walk.groups(), file);
    if (auto error = depths.compute()) return make_error(*error);

    Inventory inventory;
    for (const auto& info : walk.host_list()) {
        InventoryHost host;
        host.name = info.name;
        host.address = info.name;
        host.settings = base;
        std::set<std::string> all_groups{"all"};
        for (const auto& group : info.groups) collect_ancestors(walk.groups(), group, all_groups);
        // Ansible's precedence: shallower groups first, then ansible_group_priority, then by name;
        // the host's own vars last.
        std::vector<std::tuple<int, std::int64_t, std::string>> ordered;
        for (const auto& group : all_groups) {
            const auto found = walk.groups().find(group);
            ordered.emplace_back(depths.depth(group), found == walk.groups().end() ? 1 : found->second.priority, group);
        }
        std::sort(ordered.begin(), ordered.end());
        for (const auto& [depth, priority, group] : ordered) {
            const auto found = walk.groups().find(group);
            if (found == walk.groups().end()) continue;
            for (const auto& vars : found->second.vars) {
                if (auto error = apply_vars(host, vars, file)) return make_error(*error);
            }
        }
        if (info.key_port) host.port = info.key_port;
        for (const auto& vars : info.vars) {
            if (auto error = apply_vars(host, vars, file)) return make_error(*error);
        }
        host.groups.assign(all_groups.begin(), all_groups.end());
        inventory.hosts.push_back(std::move(host));
    }
    return inventory;
}

}  // namespace

Result<Inventory> parse_inventory(std::string_view text, std::string_view file, const Settings& base) {
    if (looks_like_ini(text)) {
        auto root = ini_inventory_root(text, file);
        if (!root) return root.error();
        return resolve_inventory(*root, file, base);
    }
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& error) {
        return make_error(fmt::format("{}:{}: {}", file, error.mark.line + 1, error.msg));
    }
    if (root.IsNull()) return make_error(fmt::format("{}: the inventory has no hosts", file));
    if (!root.IsMap()) return make_error(at(file, root.Mark()) + "the inventory must be a mapping of groups (e.g. all:)");
    return resolve_inventory(root, file, base);
}

namespace {

// "2001:db8::1" or "!fe80::2": an IPv6 address, whose colons are not Ansible's ':' separator.
bool looks_like_ipv6(std::string_view item) {
    item = trim(item);
    if (!item.empty() && (item[0] == '!' || item[0] == '&')) item.remove_prefix(1);
    if (std::count(item.begin(), item.end(), ':') < 2) return false;
    return std::all_of(item.begin(), item.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; });
}

}  // namespace

Result<Inventory> limit_inventory(const Inventory& inventory, std::string_view pattern) {
    std::vector<std::string_view> include, intersect, exclude;
    for (auto item : split(pattern, ',')) {
        const auto parts = looks_like_ipv6(item) ? std::vector<std::string_view>{item} : split(item, ':');
        for (auto part : parts) {
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

namespace netdiag {

std::optional<std::string> check_inventory_var(const std::string& key, const std::string& value) {
    InventoryHost scratch;
    YAML::Node vars;
    vars[key] = value;
    auto error = apply_vars(scratch, vars, "");
    if (!error) return std::nullopt;
    // at("", mark) gives ":N: what"; the caller knows the real line.
    const auto colon = error->find(": ");
    return colon == std::string::npos ? *error : error->substr(colon + 2);
}

}  // namespace netdiag
