#include "remote/inventory_ini.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/shlex.hpp"
#include "common/text.hpp"
#include "remote/inventory.hpp"

namespace netdiag {
namespace {

// The same caps as the YAML path: distinct hosts and host-in-group entries.
constexpr std::size_t kMaxIniHosts = 100000;
constexpr std::size_t kMaxIniMemberships = 1000000;

using Vars = std::vector<std::pair<std::string, std::string>>;  // in order; a later key replaces

void set_var(Vars& vars, const std::string& key, const std::string& value) {
    for (auto& [k, v] : vars) {
        if (k == key) {
            v = value;
            return;
        }
    }
    vars.emplace_back(key, value);
}

// Ansible passes values through ast.literal_eval: a quoted string loses its quotes; numbers and
// the rest stay as written (netdiag reads every value as text).
std::string ini_value(std::string_view value) {
    value = trim(value);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
        const auto inner = value.substr(1, value.size() - 2);
        if (inner.find(value.front()) == std::string_view::npos && inner.find('\\') == std::string_view::npos) {
            return std::string(inner);
        }
    }
    return std::string(value);
}

// Ansible's group name: non-empty, no ':', ']' or whitespace; a trailing "# comment" is allowed.
std::optional<std::string> group_name(std::string_view text) {
    std::size_t end = 0;
    while (end < text.size() && text[end] != ':' && text[end] != ']' && !std::isspace(static_cast<unsigned char>(text[end]))) {
        ++end;
    }
    if (end == 0) return std::nullopt;
    auto rest = trim(text.substr(end));
    if (!rest.empty() && rest[0] != '#') return std::nullopt;
    return std::string(text.substr(0, end));
}

struct Section {
    std::string group;
    std::string state;  // hosts, children, vars
};

// "[name]" or "[name:state]", then whitespace or a "# comment"; nullopt when not that form.
std::optional<Section> section(std::string_view line) {
    if (line.empty() || line[0] != '[') return std::nullopt;
    const auto close = line.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const auto rest = trim(line.substr(close + 1));
    if (!rest.empty() && rest[0] != '#') return std::nullopt;
    const auto inside = line.substr(1, close - 1);
    const auto colon = inside.find(':');
    const auto name = inside.substr(0, colon);
    if (name.empty()) return std::nullopt;
    for (const char c : name) {
        if (std::isspace(static_cast<unsigned char>(c))) return std::nullopt;
    }
    Section out{std::string(name), "hosts"};
    if (colon != std::string_view::npos) {
        const auto state = inside.substr(colon + 1);
        if (state.empty()) return std::nullopt;
        for (const char c : state) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return std::nullopt;
        }
        out.state = std::string(state);
    }
    return out;
}

struct HostPattern {
    std::vector<std::string> names;
    std::optional<int> port;
};

// Ansible's parse_address(allow_ranges=True): "[v6]:port", "[v6]", "name:port", bare IPv6.
Result<HostPattern> host_pattern(std::string_view text) {
    std::string_view pattern = text;
    std::optional<std::string_view> port_text;
    if (text.size() > 1 && text[0] == '[') {
        const auto close = text.find(']');
        if (close != std::string_view::npos && text.substr(1, close - 1).find(':') != std::string_view::npos) {
            // A bracketed IPv6 address, not a range (ranges hold one or two ':' between digits
            // or letters, which "[a:c]" would also match; an address has at least two).
            const auto inside = text.substr(1, close - 1);
            if (std::count(inside.begin(), inside.end(), ':') >= 2) {
                const auto rest = text.substr(close + 1);
                if (!rest.empty() && rest[0] != ':') return make_error(fmt::format("bad host \"{}\"", text));
                if (!rest.empty()) port_text = rest.substr(1);
                pattern = inside;
                HostPattern out{{std::string(pattern)}, std::nullopt};
                if (port_text) {
                    const auto port = parse_u64(*port_text);
                    if (!port || *port < 1 || *port > 65535) {
                        return make_error(fmt::format("host \"{}\": port must be 1-65535", text));
                    }
                    out.port = static_cast<int>(*port);
                }
                return out;
            }
        }
    }
    std::size_t colon = std::string_view::npos;
    int colons = 0;
    int depth = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '[') ++depth;
        if (text[i] == ']') --depth;
        if (text[i] == ':' && depth == 0) {
            ++colons;
            colon = i;
        }
    }
    HostPattern out;
    if (colons == 1) {
        const auto port = parse_u64(text.substr(colon + 1));
        if (!port || *port < 1 || *port > 65535) {
            return make_error(fmt::format("host \"{}\": port must be 1-65535 (\"name:port\")", text));
        }
        out.port = static_cast<int>(*port);
        pattern = text.substr(0, colon);
    }
    if (pattern == "---") return make_error("host \"---\": this looks like a YAML file");
    auto names = expand_host_pattern(pattern);
    if (!names) return names.error();
    out.names = std::move(names).value();
    return out;
}

struct Group {
    std::vector<std::string> hosts;
    std::set<std::string> host_set;
    std::vector<std::string> children;
    std::set<std::string> child_set;
    Vars vars;
};

struct Host {
    std::vector<std::string> groups;  // direct, in order
    Vars vars;
};

class IniReader {
public:
    explicit IniReader(std::string_view file) : file_(file) {}

    Result<IniInventory> read(std::string_view text) {
        std::string group = "ungrouped";
        std::string state = "hosts";
        std::size_t line_number = 0;
        std::size_t start = 0;
        while (start <= text.size()) {
            auto end = text.find('\n', start);
            if (end == std::string_view::npos) end = text.size();
            const auto line = trim(text.substr(start, end - start));
            start = end + 1;
            ++line_number;
            line_ = line_number;
            if (line.empty() || line[0] == '#' || line[0] == ';') continue;
            const bool control = std::any_of(line.begin(), line.end(), [](char c) {
                const auto byte = static_cast<unsigned char>(c);
                return (byte < 0x20 && c != '\t' && c != '\r') || byte == 0x7f;
            });
            if (control) return fail(fmt::format("control characters in \"{}\"", printable(line)));
            if (auto header = section(line)) {
                if (header->state != "hosts" && header->state != "children" && header->state != "vars") {
                    return fail(fmt::format("section [{}:{}] has unknown type: {} (expected hosts, children, vars)",
                                            header->group, header->state, header->state));
                }
                group = header->group;
                state = header->state;
                declare(group);
                if (state != "vars") {
                    declared_.insert(group);
                } else if (!declared_.count(group) && !vars_first_line_.count(group)) {
                    vars_first_line_[group] = line_number;
                }
                continue;
            }
            if (line.front() == '[' && line.back() == ']') {
                return fail(fmt::format("invalid section \"{}\" (no spaces or other characters allowed around the group name)",
                                        line));
            }
            std::optional<std::string> error;
            if (state == "hosts") {
                error = host_line(group, line);
            } else if (state == "vars") {
                error = vars_line(group, line);
            } else {
                error = child_line(group, line);
            }
            if (error) return fail(*error);
        }
        // [g:vars] for a group no [g] or [g:children] declares, or a child group never declared.
        for (const auto& [name, line] : vars_first_line_) {
            if (!declared_.count(name) && name != "all" && name != "ungrouped") {
                line_ = line;
                return fail(fmt::format("section [{}:vars] is for a group that no [{}] or [{}:children] declares", name,
                                        name, name));
            }
        }
        for (const auto& [name, line] : child_first_line_) {
            if (!declared_.count(name)) {
                line_ = line;
                return fail(fmt::format("child group \"{}\" is not declared by a [{}] or [{}:children] section", name,
                                        name, name));
            }
        }
        if (hosts_.empty()) return make_error(fmt::format("{}: the inventory has no hosts", file_));
        return IniInventory{root(), std::move(child_marks_)};
    }

private:
    Result<IniInventory> fail(const std::string& what) const {
        return make_error(fmt::format("{}:{}: {}", file_, line_, what));
    }

    Group& declare(const std::string& name) {
        auto found = groups_.find(name);
        if (found == groups_.end()) {
            order_.push_back(name);
            found = groups_.emplace(name, Group{}).first;
        }
        return found->second;
    }

    std::optional<std::string> check_var(const std::string& key, const std::string& value) const {
        if (key.empty()) return "empty variable name";
        if (has_control_characters(value)) return fmt::format("{} holds control characters", key);
        if (auto error = check_inventory_var(key, value)) return error;
        return std::nullopt;
    }

    std::optional<std::string> host_line(const std::string& group_name_, std::string_view line) {
        // ansible.utils.shlex_split(line, comments=True).
        const auto tokens = shlex_split(line, true);
        if (!tokens) return fmt::format("cannot split host line \"{}\": {}", line, tokens.error().message);
        if (tokens->empty()) return std::nullopt;  // only a comment
        auto pattern = host_pattern((*tokens)[0]);
        if (!pattern) return pattern.error().message;
        Vars vars;
        if (pattern->port) vars.emplace_back("ansible_port", std::to_string(*pattern->port));
        for (std::size_t i = 1; i < tokens->size(); ++i) {
            const auto& token = (*tokens)[i];
            const auto equals = token.find('=');
            if (equals == std::string::npos) {
                return fmt::format("expected key=value host variable, got \"{}\"", token);
            }
            const auto key = token.substr(0, equals);
            const auto value = ini_value(std::string_view(token).substr(equals + 1));
            if (key == "netdiag") continue;  // settings live in YAML inventories or --config
            if (auto error = check_var(key, value)) return error;
            set_var(vars, key, value);
        }
        auto& group = declare(group_name_);
        for (const auto& name : pattern->names) {
            if (++memberships_ > kMaxIniMemberships) {
                return fmt::format("the inventory lists hosts in groups more than {} times; netdiag stops there",
                                   kMaxIniMemberships);
            }
            auto found = hosts_.find(name);
            if (found == hosts_.end()) {
                if (hosts_.size() >= kMaxIniHosts) return fmt::format("the inventory holds more than {} hosts", kMaxIniHosts);
                host_order_.push_back(name);
                found = hosts_.emplace(name, Host{}).first;
            }
            auto& host = found->second;
            if (group.host_set.insert(name).second) {
                group.hosts.push_back(name);
                host.groups.push_back(group_name_);
            }
            for (const auto& [key, value] : vars) set_var(host.vars, key, value);
        }
        return std::nullopt;
    }

    std::optional<std::string> vars_line(const std::string& group_name_, std::string_view line) {
        const auto equals = line.find('=');
        if (equals == std::string_view::npos) return fmt::format("expected key=value, got \"{}\"", line);
        const std::string key(trim(line.substr(0, equals)));
        const auto value = ini_value(line.substr(equals + 1));
        if (key == "netdiag") return std::nullopt;
        if (auto error = check_var(key, value)) return error;
        set_var(declare(group_name_).vars, key, value);
        return std::nullopt;
    }

    std::optional<std::string> child_line(const std::string& parent, std::string_view line) {
        const auto child = group_name(line);
        if (!child) return fmt::format("expected a group name, got \"{}\"", line);
        if (*child == "all") return std::string("\"all\" cannot be a child group");
        if (*child == parent) return fmt::format("group \"{}\" cannot be its own child", parent);
        if (!declared_.count(*child) && !child_first_line_.count(*child)) child_first_line_[*child] = line_;
        declare(*child);
        auto& group = declare(parent);
        if (group.child_set.insert(*child).second) {
            group.children.push_back(*child);
            YAML::Mark mark;
            mark.line = static_cast<int>(line_) - 1;  // a Mark counts lines from 0
            child_marks_.emplace(std::pair(parent, *child), mark);
        }
        return std::nullopt;
    }

    YAML::Node root() const {
        YAML::Node root(YAML::NodeType::Map);
        std::set<std::string> vars_given;  // a host's own vars go with its first group only
        for (const auto& name : order_) {
            const auto& group = groups_.at(name);
            YAML::Node node(YAML::NodeType::Map);
            YAML::Node hosts(YAML::NodeType::Map);
            for (const auto& host_name : group.hosts) {
                const auto& host = hosts_.at(host_name);
                // As Ansible: "ungrouped" keeps only hosts that are in no other group.
                if (name == "ungrouped" && host.groups.size() > 1) continue;
                YAML::Node vars(YAML::NodeType::Null);
                if (!host.vars.empty() && vars_given.insert(host_name).second) {
                    vars = YAML::Node(YAML::NodeType::Map);
                    for (const auto& [key, value] : host.vars) vars[key] = value;
                }
                hosts.force_insert(host_name, vars);  // names are unique: no n^2 lookup
            }
            if (hosts.size() > 0) node["hosts"] = hosts;
            if (!group.children.empty()) {
                YAML::Node children(YAML::NodeType::Map);
                for (const auto& child : group.children) children.force_insert(child, YAML::Node(YAML::NodeType::Null));
                node["children"] = children;
            }
            if (!group.vars.empty()) {
                YAML::Node vars(YAML::NodeType::Map);
                for (const auto& [key, value] : group.vars) vars[key] = value;
                node["vars"] = vars;
            }
            root.force_insert(name, node.size() > 0 ? node : YAML::Node(YAML::NodeType::Null));
        }
        return root;
    }

    std::string_view file_;
    std::size_t line_ = 0;
    std::map<std::string, Group> groups_;
    std::vector<std::string> order_;
    std::map<std::string, Host> hosts_;
    std::vector<std::string> host_order_;
    std::set<std::string> declared_{"all", "ungrouped"};
    std::map<std::string, std::size_t> vars_first_line_;
    std::map<std::string, std::size_t> child_first_line_;
    std::map<std::pair<std::string, std::string>, YAML::Mark> child_marks_;
    std::size_t memberships_ = 0;
};

}  // namespace

bool looks_like_ini(std::string_view text) {
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const auto line = trim(text.substr(start, end - start));
        start = end + 1;
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line[0] == '[') return section(line).has_value() || line.back() == ']';
        if (line.rfind("---", 0) == 0 || line[0] == '%' || line[0] == '{' || line[0] == '-') return false;
        const auto first_token = line.substr(0, std::min(line.find(' '), line.find('\t')));
        if (first_token.back() == ':') return false;  // "all:", "web1:"
        const auto colon_space = line.find(": ");
        return colon_space == std::string_view::npos || line.find('=') < colon_space;
    }
    return false;
}

Result<IniInventory> ini_inventory_root(std::string_view text, std::string_view file) {
    return IniReader(file).read(text);
}

}  // namespace netdiag
