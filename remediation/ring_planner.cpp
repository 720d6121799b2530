#include "remediation/ring_planner.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/text.hpp"
#include "remote/transport.hpp"

namespace netdiag {
namespace {

// The only PATH line the script holds: a boot unit's PATH may lack the sbin directories.
constexpr std::string_view kScriptPath = "PATH=/usr/sbin:/sbin:/usr/bin:/bin";

std::string script_line(std::string_view interface, std::uint64_t size) {
    return fmt::format("ethtool -G {} rx {}", interface, size);
}

// "ethtool -G IF rx N" exactly as script_line writes it: the interface and size, or nullopt.
std::optional<std::pair<std::string, std::uint64_t>> parse_script_line(std::string_view line) {
    const auto words = split(line, ' ');
    if (words.size() != 5 || words[0] != "ethtool" || words[1] != "-G" || words[3] != "rx") return std::nullopt;
    if (!valid_interface_name(words[2])) return std::nullopt;
    const auto size = parse_ring_size(words[4]);
    if (!size) return std::nullopt;
    // Byte for byte what netdiag writes: no leading zeros, no other spacing.
    if (script_line(words[2], *size) != line) return std::nullopt;
    return std::pair<std::string, std::uint64_t>(std::string(words[2]), *size);
}

std::optional<std::string> script_problem(std::string_view content) {
    const auto lines = lines_of(content);
    if (lines.empty() || lines.front() != "#!/bin/sh") return "does not start with #!/bin/sh";
    std::set<std::string> interfaces;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto line = lines[i];
        if (line.empty() || line.front() == '#' || line == kScriptPath) continue;
        // Bounded before anything is made of it: netdiag's lines are a few dozen characters.
        const auto parsed = line.size() <= 64 ? parse_script_line(line) : std::nullopt;
        if (!parsed) return fmt::format("holds the line \"{}\", which netdiag does not write", printable(line.substr(0, 200)));
        // A second line for an interface would silently win at boot.
        if (!interfaces.insert(parsed->first).second) return fmt::format("sets the ring of {} twice", parsed->first);
    }
    return std::nullopt;
}

// The interface -> size lines of an earlier script in netdiag's form; none from any other.
std::vector<std::pair<std::string, std::uint64_t>> script_lines(std::string_view content) {
    std::vector<std::pair<std::string, std::uint64_t>> found;
    if (script_problem(content)) return found;
    for (const auto line : lines_of(content)) {
        if (auto parsed = parse_script_line(line)) found.push_back(std::move(*parsed));
    }
    return found;
}

std::optional<std::string> current(const PlanContext& context, const std::string& path) {
    const auto found = context.files.find(path);
    if (found == context.files.end()) return std::nullopt;
    return found->second;
}

}  // namespace

std::vector<std::string> ring_context_files() { return {std::string(kNicRingScript)}; }

std::string nic_ring_script(const std::vector<std::pair<std::string, std::uint64_t>>& lines) {
    // As irq-affinity.sh: a script to review and wire into boot, not a hidden unit.
    std::string text = fmt::format(
        "#!/bin/sh\n"
        "# Written by `netdiag fix` ({}): the NIC ring sizes it applied, for reuse at boot.\n"
        "# Nothing runs it: review it, then call it from a boot unit if you want it to persist.\n"
        "# Ring sizes also reset when a driver reloads: run it again after that.\n"
        "{}\n",
        kNicRingFix, kScriptPath);
    for (const auto& [interface, size] : lines) text += script_line(interface, size) + "\n";
    return text;
}

void plan_nic_ring(const Snapshot& snapshot, const std::vector<Finding>& findings, const PlanContext& context,
                   bool asked_by_name, HostPlan& plan) {
    const auto note = [&](std::string text) { plan.notes.push_back(fmt::format("{}: {}", kNicRingFix, text)); };
    // The interfaces to look at, each once, with the reason its change will carry.
    std::vector<std::pair<const InterfaceInfo*, std::string>> targets;
    const auto add = [&](const InterfaceInfo* info, std::string reason) {
        if (std::none_of(targets.begin(), targets.end(), [&](const auto& t) { return t.first == info; })) {
            targets.emplace_back(info, std::move(reason));
        }
    };
    for (const auto& finding : findings) {
        if (finding.fix != kNicRingFix) continue;
        const auto* info = find_interface(snapshot, finding.subject);
        if (info == nullptr) {
            note(fmt::format("\"{}\" ({}) is not an interface of this sample; skipped", printable(finding.subject),
                             finding.check));
            continue;
        }
        // Short: the change carries it into the journal.
        add(info, fmt::format("{} on {} ({})", finding.check, info->name, finding.cause.value_or("ring")));
    }
    if (asked_by_name) {
        for (const auto& info : snapshot.interfaces) {
            if (!info.is_virtual) add(&info, fmt::format("{} was asked for with --only ({})", kNicRingFix, info.name));
        }
    }

    std::vector<std::pair<std::string, std::uint64_t>> planned;
    for (const auto& [info, reason] : targets) {
        if (!valid_interface_name(info->name)) {
            // Its name would reach a command line; netdiag passes only plain ones to ethtool.
            note(fmt::format("the interface \"{}\" has a name netdiag does not pass to ethtool; skipped",
                             printable(info->name)));
            continue;
        }
        if (info->is_virtual) {
            note(fmt::format("{} is a virtual interface: it has no ring of its own; skipped", info->name));
            continue;
        }
        if (!info->ring || info->ring->rx == 0 || info->ring->rx_max == 0) {
            const auto why = snapshot.unavailable.find(ring_subject(info->name));
            note(fmt::format("{}: ring sizes not known{}; skipped", info->name,
                             why != snapshot.unavailable.end() ? fmt::format(" ({})", why->second)
                             : info->ring                      ? std::string(" (the driver reports none)")
                                                               : std::string()));
            continue;
        }
        const auto path = ring_path(info->name, Ring::rx);
        // The value read for planning, when there is one, is fresher than the sample's.
        auto before = current(context, path);
        std::optional<std::uint32_t> now;
        if (before) {
            now = parse_ring_size(*before);
        } else if (info->ring->rx <= kMaxRingSize) {
            now = static_cast<std::uint32_t>(info->ring->rx);
        }
        const auto maximum = info->ring->rx_max;
        if (!now) {
            note(fmt::format("{}: the RX ring size {} is not one netdiag believes; skipped", info->name,
                             before ? printable(trim(*before)) : std::to_string(info->ring->rx)));
            continue;
        }
        if (maximum > kMaxRingSize) {
            note(fmt::format("{}: the driver claims an RX ring of up to {}; netdiag plans at most {}; skipped",
                             info->name, maximum, kMaxRingSize));
            continue;
        }
        if (*now >= maximum) {
            note(fmt::format("{}: the RX ring is at its maximum already ({}); nothing to raise", info->name, maximum));
            continue;
        }
        plan.changes.push_back(PlannedChange{path, before.value_or(fmt::format("{}\n", *now)),
                                             fmt::format("{}\n", maximum),
                                             fmt::format("{}; RX ring {} -> {} (the driver's maximum)", reason, *now,
                                                         maximum),
                                             std::string(kNicRingFix), false});
        planned.emplace_back(info->name, maximum);
    }
    if (planned.empty()) return;

    // Lines an earlier run wrote for interfaces not planned now are kept: rewriting the script with
    // this run's alone would quietly drop them at the next boot.
    const auto previous = current(context, std::string(kNicRingScript));
    std::map<std::string, std::uint64_t> sizes;
    std::vector<std::string> order;
    if (previous) {
        for (const auto& [interface, size] : script_lines(*previous)) {
            if (sizes.emplace(interface, size).second) order.push_back(interface);
        }
    }
    for (const auto& [interface, size] : planned) {
        if (!sizes.count(interface)) order.push_back(interface);
        sizes[interface] = size;
    }
    std::vector<std::pair<std::string, std::uint64_t>> lines;
    for (const auto& interface : order) lines.emplace_back(interface, sizes.at(interface));
    const auto text = nic_ring_script(lines);
    if (!previous || *previous != text) {
        plan.changes.push_back(PlannedChange{std::string(kNicRingScript), previous, text,
                                             "offer the ring sizes for reuse at boot", std::string(kNicRingFix), false});
    }
    std::vector<std::string> names;
    for (const auto& [interface, size] : planned) names.push_back(interface);
    note(fmt::format("many drivers reset the NIC to resize a ring: expect {} to drop its link for a moment when "
                     "this is applied (and undone)",
                     fmt::join(names, ", ")));
    note(fmt::format("{} is only written, never run; wire it into boot if you want the ring sizes to survive a "
                     "reboot or a driver reload",
                     kNicRingScript));
}

std::optional<std::string> ring_content_problem(const std::string& path, std::string_view content) {
    const auto fail = [&](const std::string& why) { return std::optional<std::string>(fmt::format("{}: {}", printable(path), why)); };
    // As content_problem: bounded, and no control character a terminal or a shell would act on.
    constexpr std::size_t kMaxContent = 64 * 1024;
    if (content.size() > kMaxContent) return fail(fmt::format("over {} bytes", kMaxContent));
    for (const char c : content) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\n' && c != '\t') || byte == 0x7f) {
            return fail(fmt::format("holds a control character (\\x{:02x})", byte));
        }
    }
    if (path == kNicRingScript) {
        if (auto problem = script_problem(content)) return fail(*problem);
        return std::nullopt;
    }
    if (parse_ring_path(path)) {
        if (!parse_ring_size(content)) return fail(fmt::format("not a ring size (1..{})", kMaxRingSize));
        return std::nullopt;
    }
    return fail("not a path nic-ring writes");
}

bool ring_plannable_path(const std::string& path) {
    if (path == kNicRingScript) return true;
    const auto ring = parse_ring_path(path);
    return ring && ring->ring == Ring::rx;
}

bool ring_removable_path(const std::string& path) { return path == kNicRingScript; }

}  // namespace netdiag
