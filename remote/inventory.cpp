#include "remote/inventory.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "checks/settings_yaml.hpp"
#include "common/text.hpp"
#include "remote/inventory_ini.hpp"
#include "remote/ssh_args.hpp"

namespace netdiag {
namespace {

// Enough for any real fleet, small enough that "node[1-99999999]" cannot exhaust memory.
constexpr std::size_t kMaxHostsPerPattern = 100000;
// A whole inventory: distinct hosts, and host-in-group entries (one host named by many groups).
constexpr std::size_t kMaxInventoryHosts = 100000;
constexpr std::size_t kMaxHostEntries = 1000000;

// "file:line: "; a node made rather than read (an INI inventory's groups) has no line to name.
std::string at(std::string_view file, const YAML::Mark& mark) {
    return mark.is_null() ? fmt::format("{}: ", file) : fmt::format("{}:{}: ", file, mark.line + 1);
}

constexpr int kMaxGroupNesting = 64;

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

// A vars mapping and the file it came from (an inventory of several sources, a vars file).
struct VarsAt {
    YAML::Node node;
    std::string_view file;
};

struct ParentLink {
    YAML::Mark mark;  // where the parent first names the group
    std::string_view file;
};

// What the walk over groups collects before hosts are resolved.
struct GroupInfo {
    std::vector<VarsAt> vars;
    std::map<std::string, ParentLink> parents;
    std::int64_t priority = 1;  // ansible_group_priority: orders groups of equal depth
};

struct HostInfo {
    std::string name;
    std::set<std::string> groups;  // direct membership
    std::optional<int> key_port;   // from a "host:port" key; the host's own vars still beat it
    std::vector<VarsAt> vars;      // each appearance's own vars, in file order
};

class InventoryWalk {
public:
    // Each source in turn; groups and hosts of the same name merge across them.
    void start_document(std::string_view file, const std::map<std::pair<std::string, std::string>, YAML::Mark>& child_marks) {
        file_ = file;
        child_marks_ = &child_marks;
        walked_.clear();
    }

    // `parent_mark` is where `parent` names this group; depth is worked out later from the whole
    // graph because a group can be named again, deeper, after its children were walked.
    std::optional<std::string> group(const std::string& name, const YAML::Node& node, const std::string& parent,
                                     const YAML::Mark& parent_mark, int nesting) {
        if (nesting > kMaxGroupNesting) {
            return at(file_, node.Mark()) + fmt::format("groups nest deeper than {} levels", kMaxGroupNesting);
        }
        auto& info = groups_[name];
        if (!parent.empty()) info.parents.emplace(parent, ParentLink{parent_mark, file_});
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
                    if (auto error = group(child_name, child.second, name, child_mark(name, child), nesting + 1)) {
                        return error;
                    }
                }
            } else if (key == "vars") {
                if (value.IsNull()) continue;
                if (!value.IsMap()) return at(file_, value.Mark()) + "vars must be a mapping";
                if (auto error = group_priority(value, groups_[name])) return error;
                groups_[name].vars.push_back(VarsAt{value, file_});
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
    YAML::Mark child_mark(const std::string& parent, const std::pair<YAML::Node, YAML::Node>& child) const {
        const auto mark = child.first.Mark();
        if (!mark.is_null() || child_marks_ == nullptr) return mark;
        const auto found = child_marks_->find(std::pair(parent, child.first.Scalar()));
        return found == child_marks_->end() ? mark : found->second;
    }

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
                if (entry.second.IsMap()) host.vars.push_back(VarsAt{entry.second, file_});
            }
        }
        return std::nullopt;
    }

    std::string_view file_;
    const std::map<std::pair<std::string, std::string>, YAML::Mark>* child_marks_ = nullptr;
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
    explicit GroupDepths(const std::map<std::string, GroupInfo>& groups) : groups_(groups) {}

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
        for (const auto& [parent, link] : groups_.at(name).parents) {
            if (parent == "all") continue;  // depth 1, which `deepest` starts at; no link to blame
            if (in_progress_.count(parent)) return cycle_error(Edge{name, parent, link});
            path_.push_back(Edge{name, parent, link});
            // Groups named as each other's children at the top level chain without nesting in the
            // file: the cap holds here too, and bounds this recursion (200,000 groups in a chain
            // would overflow the stack).
            if (path_.size() > static_cast<std::size_t>(kMaxGroupNesting) + 1) return nesting_error(link);
            if (auto error = visit(parent)) return error;
            path_.pop_back();
            deepest = std::max(deepest, depth_.at(parent) + 1);
            if (deepest > kMaxGroupNesting + 1) return nesting_error(link);
        }
        in_progress_.erase(name);
        depth_[name] = deepest;
        return std::nullopt;
    }

    struct Edge {
        std::string child, parent;
        ParentLink link;
    };

    static std::string nesting_error(const ParentLink& link) {
        return at(link.file, link.mark) + fmt::format("groups nest deeper than {} levels", kMaxGroupNesting);
    }

    // Blames the edge of the cycle written last in the file: usually the one just added by mistake,
    // and the same answer whatever order the search took.
    std::string cycle_error(const Edge& closing) const {
        const Edge* blamed = &closing;
        bool in_cycle = false;
        for (const auto& edge : path_) {
            in_cycle = in_cycle || edge.child == closing.parent;
            const auto later = std::tuple(edge.link.file, edge.link.mark.line, edge.link.mark.column) >
                               std::tuple(blamed->link.file, blamed->link.mark.line, blamed->link.mark.column);
            if (in_cycle && later) blamed = &edge;
        }
        return at(blamed->link.file, blamed->link.mark) +
               fmt::format("group \"{}\" under \"{}\" makes a cycle of groups", blamed->child, blamed->parent);
    }

    const std::map<std::string, GroupInfo>& groups_;
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

// Ansible's older names (ansible_ssh_host, _port, _user) are variables of their own: each layer
// overrides the same name only, and where both are set the older name wins (the ssh plugin reads
// ansible_host, then ansible_ssh_host, and keeps the last it finds).
// The same goes for ansible_ssh_common_args and _extra_args, read once the layers are done.
struct OlderNames {
    std::optional<std::string> host, user, identity_file;
    std::optional<int> port;
    std::optional<std::string> common_args, extra_args;

    void apply_to(InventoryHost& target) const {
        if (host) target.address = *host;
        if (port) target.port = port;
        if (user) target.user = user;
        if (identity_file) target.identity_file = identity_file;
        // Checked as each layer set them, so they parse; as in Ansible's ssh command line, the
        // inventory's port, user and key come first and win, then the common args, then the extra.
        SshArgs args;
        for (const auto& text : {common_args, extra_args}) {
            if (!text) continue;
            if (auto parsed = parse_ssh_args(*text, args)) args = std::move(parsed).value();
        }
        target.proxy_jump = args.proxy_jump;
        target.host_key_checking = args.strict_host_key_checking;
        if (!target.port) target.port = args.port;
        if (!target.user) target.user = args.user;
        if (!target.identity_file) target.identity_file = args.identity_file;
        target.ignored_ssh_args = std::move(args.ignored);
    }
};

// Ansible's booleans: yes/no, true/false, on/off, 1/0, any case.
std::optional<bool> ansible_bool(std::string_view text) {
    const std::string word = ascii_lowercase(trim(text));
    if (word == "yes" || word == "true" || word == "on" || word == "1" || word == "y" || word == "t") return true;
    if (word == "no" || word == "false" || word == "off" || word == "0" || word == "n" || word == "f") return false;
    return std::nullopt;
}

// Applies one vars mapping to a host: connection variables, and netdiag's settings, which are
// collected in `settings_layers` to be applied once per distinct sequence (shared_settings); other
// variables (Ansible's own) are left alone. Without `older`, the older names apply at once; without
// `settings_layers`, settings are only checked.
std::optional<std::string> apply_vars(InventoryHost& host, const YAML::Node& vars, std::string_view file,
                                      OlderNames* older = nullptr, std::vector<VarsAt>* settings_layers = nullptr) {
    for (const auto& entry : vars) {
        const std::string key = entry.first.Scalar();
        const YAML::Node& value = entry.second;
        const bool older_name = older != nullptr && key.starts_with("ansible_ssh_");
        std::string text;
        if (key == "address" || key == "ansible_host" || key == "ansible_ssh_host") {
            if (auto error = scalar_var(value, file, key, text)) return error;
            if (older_name) {
                older->host = text;
            } else {
                host.address = text;
            }
        } else if (key == "port" || key == "ansible_port" || key == "ansible_ssh_port") {
            if (auto error = reject_template(value, file, key)) return error;
            const auto port = value.IsScalar() ? parse_u64(trim(value.Scalar())) : std::nullopt;
            if (!port || *port < 1 || *port > 65535) {
                return at(file, value.Mark()) + fmt::format("{} must be a port number 1-65535", key);
            }
            (older_name ? older->port : host.port) = static_cast<int>(*port);
        } else if (key == "user" || key == "ansible_user" || key == "ansible_ssh_user") {
            if (auto error = scalar_var(value, file, key, text)) return error;
            (older_name ? older->user : host.user) = text;
        } else if (key == "key" || key == "ansible_ssh_private_key_file" || key == "ansible_private_key_file") {
            if (auto error = scalar_var(value, file, key, text)) return error;
            (older_name ? older->identity_file : host.identity_file) = text;
        } else if (key == "ansible_ssh_common_args" || key == "ansible_ssh_extra_args") {
            if (auto error = reject_template(value, file, key)) return error;
            if (!value.IsScalar()) return at(file, value.Mark()) + fmt::format("{} must be a string", key);
            if (auto parsed = parse_ssh_args(value.Scalar()); !parsed) {
                return at(file, value.Mark()) + fmt::format("{}: {}", key, parsed.error().message);
            }
            if (older != nullptr) (key == "ansible_ssh_common_args" ? older->common_args : older->extra_args) = value.Scalar();
        } else if (key == "ansible_become") {
            if (auto error = reject_template(value, file, key)) return error;
            const auto become = value.IsScalar() ? ansible_bool(value.Scalar()) : std::nullopt;
            if (!become) return at(file, value.Mark()) + fmt::format("{} must be a boolean (yes, no, true, false)", key);
            host.become = become;
        } else if (key == "ansible_become_user" || key == "ansible_become_method") {
            if (auto error = scalar_var(value, file, key, text)) return error;
            (key == "ansible_become_user" ? host.become_user : host.become_method) = text;
        } else if (key == "ansible_connection") {
            if (auto error = scalar_var(value, file, key, text)) return error;
            // Ansible's names for its SSH and local plugins; any other is kept, and the host ends as
            // an error when it is reached (one host netdiag cannot reach must not stop the others).
            if (text == "local" || text == "ansible.builtin.local") {
                host.connection = "local";
            } else if (text == "ssh" || text == "smart" || text == "paramiko" || text == "paramiko_ssh" ||
                       text == "ansible.builtin.ssh" || text == "ansible.builtin.paramiko_ssh" ||
                       text == "ansible.netcommon.libssh") {
                host.connection = "ssh";
            } else {
                host.connection = text;
            }
        } else if (key == "instance") {
            if (auto error = scalar_var(value, file, key, text)) return error;
            host.instance = text;
        } else if (key == "netdiag") {
            if (value.IsNull()) continue;
            if (settings_layers != nullptr) {
                settings_layers->push_back(VarsAt{value, file});
                continue;
            }
            Settings scratch;
            auto status = apply_settings_node(scratch, value, file);
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
    for (const auto& [parent, link] : found->second.parents) collect_ancestors(groups, parent, out);
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

// Vars files parsed once per group or host, when a host first needs them.
class VarsFileCache {
public:
    explicit VarsFileCache(const std::map<std::string, std::vector<InventoryDocument>>& files) : files_(files) {}

    Result<const std::vector<VarsAt>*> get(const std::string& name) {
        if (const auto cached = parsed_.find(name); cached != parsed_.end()) return &cached->second;
        std::vector<VarsAt> vars;
        if (const auto found = files_.find(name); found != files_.end()) {
            for (const auto& document : found->second) {
                YAML::Node node;
                try {
                    node = YAML::Load(document.text);
                } catch (const YAML::Exception& error) {
                    return make_error(fmt::format("{}:{}: {}", document.file, error.mark.line + 1, error.msg));
                }
                if (node.IsNull()) continue;  // empty, or only comments
                if (!node.IsMap()) return make_error(at(document.file, node.Mark()) + "a vars file must be a mapping");
                vars.push_back(VarsAt{node, document.file});
            }
        }
        return &parsed_.emplace(name, std::move(vars)).first->second;
    }

private:
    const std::map<std::string, std::vector<InventoryDocument>>& files_;
    std::map<std::string, std::vector<VarsAt>> parsed_;
};

// The base settings with each host's `netdiag:` vars applied, one Settings per distinct sequence of
// vars nodes (a node is known by its file and position; an alias is the node it names), so that
// 100,000 hosts under one group's vars share one copy of the thresholds.
class SharedSettings {
public:
    explicit SharedSettings(const Settings& base) : base_(std::make_shared<const Settings>(base)) {}

    Result<std::shared_ptr<const Settings>> get(const std::vector<VarsAt>& layers) {
        if (layers.empty()) return base_;
        std::string key;
        bool keyed = true;
        for (const auto& layer : layers) {
            const auto mark = layer.node.Mark();
            keyed = keyed && !mark.is_null();
            key += fmt::format("{}:{}\n", mark.pos, layer.file);
        }
        if (keyed) {
            if (const auto found = cache_.find(key); found != cache_.end()) return found->second;
        }
        auto settings = std::make_shared<Settings>(*base_);
        for (const auto& layer : layers) {
            auto status = apply_settings_node(*settings, layer.node, layer.file);
            if (!status) return status.error();
        }
        std::shared_ptr<const Settings> shared = std::move(settings);
        if (keyed) cache_.emplace(std::move(key), shared);
        return shared;
    }

private:
    std::shared_ptr<const Settings> base_;
    std::unordered_map<std::string, std::shared_ptr<const Settings>> cache_;
};

struct ParsedDocument {
    YAML::Node root;  // a mapping of groups, or null for a source with none
    std::string_view file;
    // INI's nodes are built, not read: where its [parent:children] sections name each child.
    std::map<std::pair<std::string, std::string>, YAML::Mark> child_marks;
};

std::string source_names(const std::vector<ParsedDocument>& documents) {
    if (documents.size() == 1) return std::string(documents.front().file);
    return fmt::format("{} (and {} more inventories)", documents.front().file, documents.size() - 1);
}

// Every format ends here: mappings of groups (hosts, children, vars) resolved to hosts with their
// variables layered as Ansible does (parse_inventories says in which order).
Result<Inventory> resolve_inventory(const std::vector<ParsedDocument>& documents, const InventoryVarsFiles& vars_files,
                                    const Settings& base) {
    InventoryWalk walk;
    for (const auto& document : documents) {
        if (!document.root || document.root.IsNull()) continue;
        const std::string_view file = document.file;
        walk.start_document(file, document.child_marks);
        std::set<std::string> top_level;
        for (const auto& entry : document.root) {
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
    }
    if (walk.host_list().empty()) return make_error(fmt::format("{}: the inventory has no hosts", source_names(documents)));
    GroupDepths depths(walk.groups());
    if (auto error = depths.compute()) return make_error(*error);

    VarsFileCache group_files(vars_files.groups), host_files(vars_files.hosts);
    SharedSettings shared_settings(base);
    const auto apply_files = [](InventoryHost& host, OlderNames& older, std::vector<VarsAt>& layers,
                                VarsFileCache& cache, const std::string& name) -> Status {
        auto files = cache.get(name);
        if (!files) return files.error();
        for (const auto& vars : **files) {
            if (auto error = apply_vars(host, vars.node, vars.file, &older, &layers)) return make_error(*error);
        }
        return Ok{};
    };
    Inventory inventory;
    for (const auto& info : walk.host_list()) {
        InventoryHost host;
        host.name = info.name;
        host.address = info.name;
        OlderNames older;
        std::vector<VarsAt> settings_layers;
        std::set<std::string> all_groups{"all"};
        for (const auto& group : info.groups) collect_ancestors(walk.groups(), group, all_groups);
        // Ansible's precedence: shallower groups first, then ansible_group_priority, then by name
        // ("all" at depth 0 comes first); the inventories' group vars, then group_vars/; the
        // host's own vars last, then host_vars/.
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
                if (auto error = apply_vars(host, vars.node, vars.file, &older, &settings_layers)) {
                    return make_error(*error);
                }
            }
        }
        for (const auto& [depth, priority, group] : ordered) {
            if (auto applied = apply_files(host, older, settings_layers, group_files, group); !applied) {
                return applied.error();
            }
        }
        if (info.key_port) host.port = info.key_port;
        for (const auto& vars : info.vars) {
            if (auto error = apply_vars(host, vars.node, vars.file, &older, &settings_layers)) return make_error(*error);
        }
        if (auto applied = apply_files(host, older, settings_layers, host_files, info.name); !applied) {
            return applied.error();
        }
        older.apply_to(host);
        auto settings = shared_settings.get(settings_layers);
        if (!settings) return settings.error();
        host.settings = std::move(settings).value();
        host.groups.assign(all_groups.begin(), all_groups.end());
        inventory.hosts.push_back(std::move(host));
    }
    return inventory;
}

// Ansible's dynamic-inventory JSON: {"group": {"hosts": [...], "children": [...], "vars": {...}} or
// ["host", ...], "_meta": {"hostvars": {"host": {...}}}}, as `ansible-inventory --list` prints it for
// any source (read_inventory_source adds the _meta a script leaves out). Without _meta, a mapping of
// groups is the YAML format, whose hosts are a mapping.
bool is_ansible_json(const YAML::Node& root) {
    return std::any_of(root.begin(), root.end(), [](const auto& entry) { return entry.first.Scalar() == "_meta"; });
}

// Turns that JSON into the mapping of groups the YAML format has; each host's _meta vars go with the
// first group that lists it. Names are taken literally (no ranges, no host:port).
Result<YAML::Node> ansible_json_root(const YAML::Node& json, std::string_view file) {
    std::unordered_map<std::string, YAML::Node> vars_of;  // a map: 100,000 hosts must not mean n^2 lookups
    for (const auto& entry : json) {
        if (entry.first.Scalar() != "_meta") continue;
        const YAML::Node& meta = entry.second;
        if (meta.IsNull()) continue;
        if (!meta.IsMap()) return make_error(at(file, meta.Mark()) + "_meta must be a mapping");
        for (const auto& field : meta) {
            if (field.first.Scalar() != "hostvars" || field.second.IsNull()) continue;
            if (!field.second.IsMap()) return make_error(at(file, field.second.Mark()) + "_meta.hostvars must be a mapping of hosts");
            for (const auto& host : field.second) {
                if (!host.second.IsNull() && !host.second.IsMap()) {
                    return make_error(at(file, host.second.Mark()) +
                                      fmt::format("the vars of host \"{}\" must be a mapping", host.first.Scalar()));
                }
                vars_of.emplace(host.first.Scalar(), host.second);
            }
        }
    }
    std::set<std::string> placed;
    YAML::Node root(YAML::NodeType::Map);
    const auto names = [&](const YAML::Node& list, const std::string& group, std::string_view what,
                           YAML::Node& out) -> Status {
        if (!list || list.IsNull()) return Ok{};
        if (!list.IsSequence()) return make_error(at(file, list.Mark()) + fmt::format("the {} of group \"{}\" must be a list", what, group));
        out = YAML::Node(YAML::NodeType::Map);
        std::set<std::string> seen;
        for (const auto& item : list) {
            if (!item.IsScalar() || item.Scalar().empty()) {
                return make_error(at(file, item.Mark()) + fmt::format("the {} of group \"{}\" must be names", what, group));
            }
            const std::string& name = item.Scalar();
            if (!seen.insert(name).second) continue;  // Ansible adds a name once
            YAML::Node vars(YAML::NodeType::Null);
            if (what == "hosts") {
                if (const auto found = vars_of.find(name); found != vars_of.end() && placed.insert(name).second) {
                    vars = found->second;
                }
            }
            out.force_insert(name, vars);
        }
        return Ok{};
    };
    for (const auto& entry : json) {
        const std::string group = entry.first.Scalar();
        if (group == "_meta") continue;
        const YAML::Node& value = entry.second;
        YAML::Node hosts_list, children_list, vars;
        if (value.IsSequence()) {
            hosts_list = value;
        } else if (value.IsMap()) {
            for (const auto& field : value) {
                const auto& key = field.first.Scalar();
                if (key == "hosts") {
                    hosts_list = field.second;
                } else if (key == "children") {
                    children_list = field.second;
                } else if (key == "vars") {
                    vars = field.second;
                } else {
                    return make_error(at(file, field.first.Mark()) +
                                      fmt::format("unknown key \"{}\" in group \"{}\" (expected hosts, children, vars)", key, group));
                }
            }
        } else if (!value.IsNull()) {
            return make_error(at(file, value.Mark()) +
                              fmt::format("group \"{}\" must be a list of hosts or a mapping (hosts, children, vars)", group));
        }
        YAML::Node node(YAML::NodeType::Map), hosts, children;
        if (auto status = names(hosts_list, group, "hosts", hosts); !status) return status.error();
        if (auto status = names(children_list, group, "children", children); !status) return status.error();
        if (hosts) node["hosts"] = hosts;
        if (children) node["children"] = children;
        if (vars && !vars.IsNull()) {
            if (!vars.IsMap()) return make_error(at(file, vars.Mark()) + fmt::format("the vars of group \"{}\" must be a mapping", group));
            node["vars"] = vars;
        }
        root.force_insert(group, node.size() > 0 ? node : YAML::Node(YAML::NodeType::Null));
    }
    return root;
}

// One source's text as a mapping of groups, whatever its format.
Result<ParsedDocument> document_root(const InventoryDocument& document) {
    const std::string_view file = document.file;
    if (looks_like_ini(document.text)) {
        auto ini = ini_inventory_root(document.text, file);
        if (!ini) return ini.error();
        return ParsedDocument{std::move(ini->root), file, std::move(ini->child_marks)};
    }
    YAML::Node root;
    try {
        root = YAML::Load(document.text);
    } catch (const YAML::Exception& error) {
        return make_error(fmt::format("{}:{}: {}", file, error.mark.line + 1, error.msg));
    }
    if (root.IsNull()) return ParsedDocument{root, file, {}};
    if (!root.IsMap()) return make_error(at(file, root.Mark()) + "the inventory must be a mapping of groups (e.g. all:)");
    if (is_ansible_json(root)) {
        auto groups = ansible_json_root(root, file);
        if (!groups) return groups.error();
        return ParsedDocument{std::move(*groups), file, {}};
    }
    return ParsedDocument{root, file, {}};
}

}  // namespace

Result<Inventory> parse_inventories(const std::vector<InventoryDocument>& documents, const InventoryVarsFiles& vars,
                                    const Settings& base) {
    if (documents.empty()) return make_error("no inventory");
    std::vector<ParsedDocument> parsed;
    for (const auto& document : documents) {
        auto root = document_root(document);
        if (!root) return root.error();
        parsed.push_back(std::move(*root));
    }
    return resolve_inventory(parsed, vars, base);
}

Result<Inventory> parse_inventory(std::string_view text, std::string_view file, const Settings& base) {
    return parse_inventories({InventoryDocument{std::string(file), std::string(text)}}, {}, base);
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
