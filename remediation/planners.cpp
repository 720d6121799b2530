#include "remediation/planners.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "collect/parsers.hpp"
#include "common/text.hpp"
#include "remote/transport.hpp"

namespace netdiag {
namespace {

constexpr std::string_view kConntrackMax = "/proc/sys/net/netfilter/nf_conntrack_max";
constexpr std::string_view kConntrackBuckets = "/proc/sys/net/netfilter/nf_conntrack_buckets";
constexpr std::string_view kConntrackSysctlFile = "/etc/sysctl.d/60-netdiag-conntrack.conf";
constexpr std::string_view kConntrackModuleFile = "/etc/modules-load.d/netdiag-conntrack.conf";
constexpr std::string_view kBacklog = "/proc/sys/net/core/netdev_max_backlog";
constexpr std::string_view kBacklogFile = "/etc/sysctl.d/60-netdiag-softnet-backlog.conf";
constexpr std::string_view kBudget = "/proc/sys/net/core/netdev_budget";
constexpr std::string_view kBudgetUsecs = "/proc/sys/net/core/netdev_budget_usecs";
constexpr std::string_view kBudgetFile = "/etc/sysctl.d/60-netdiag-softnet-budget.conf";
constexpr std::string_view kPortRange = "/proc/sys/net/ipv4/ip_local_port_range";
constexpr std::string_view kPortRangeFile = "/etc/sysctl.d/60-netdiag-ports.conf";
constexpr std::string_view kIrqScript = "/etc/netdiag/irq-affinity.sh";

// Every fixed path a fixer may change: what planning reads first and what a plan file may name.
constexpr std::string_view kFixedPaths[] = {kConntrackMax, kConntrackBuckets, kConntrackSysctlFile,
                                            kConntrackModuleFile, kBacklog, kBacklogFile, kBudget, kBudgetUsecs,
                                            kBudgetFile, kPortRange, kPortRangeFile, kIrqScript};

// The most CPUs a Linux kernel supports (NR_CPUS at most 8192): larger ids are not believed.
constexpr int kMaxCpus = 8192;

// The kernel keeps nf_conntrack_max in an int; the largest power of two below that.
constexpr std::int64_t kConntrackCeiling = std::int64_t{1} << 30;

// The widest ephemeral range netdiag plans: below 10240 sit many services' well-known ports.
constexpr int kWidestPortLow = 10240;
constexpr int kWidestPortHigh = 65535;

class PlanBuilder {
public:
    PlanBuilder(const PlanContext& context, HostPlan& plan) : context_(context), plan_(plan) {}

    std::optional<std::string> current(std::string_view path) const {
        const auto found = context_.files.find(std::string(path));
        if (found == context_.files.end()) return std::nullopt;
        return found->second;
    }

    std::optional<std::int64_t> current_int(std::string_view path) const {
        const auto text = current(path);
        return text ? parse_i64(trim(*text)) : std::nullopt;
    }

    // Plans `after` for `path` unless the host already holds it.
    void change(std::string_view path, std::string after, std::string reason, std::string_view fix) {
        auto before = current(path);
        if (before && split_ws(trim(*before)) == split_ws(trim(after))) return;
        plan_.changes.push_back(PlannedChange{std::string(path), std::move(before), std::move(after),
                                              std::move(reason), std::string(fix), false});
    }

    void note(std::string text) { plan_.notes.push_back(std::move(text)); }

private:
    const PlanContext& context_;
    HostPlan& plan_;
};

std::string sysctl_file(std::string_view fix, std::string_view why,
                        const std::vector<std::pair<std::string, std::int64_t>>& settings) {
    std::string text = fmt::format("# Written by `netdiag fix` ({}): {}\n# `netdiag undo` removes it.\n", fix, why);
    for (const auto& [name, value] : settings) text += fmt::format("{} = {}\n", name, value);
    return text;
}

std::uint64_t next_power_of_two(std::uint64_t value) { return std::bit_ceil(std::max<std::uint64_t>(value, 1)); }

const Finding* finding_for(const std::vector<Finding>& findings, std::string_view fix) {
    for (const auto& finding : findings) {
        if (finding.fix && *finding.fix == fix) return &finding;
    }
    return nullptr;
}

std::string reason_of(const Finding* finding, std::string_view fallback) {
    return finding ? fmt::format("{}: {}", finding->check, finding->message) : std::string(fallback);
}

// nf_conntrack_max: twice the larger of the observed count and the current maximum, rounded up to
// a power of two, so the table is at most half full at the load that fired the check. The hash
// gets as many buckets (the kernel's own ratio since 5.15), or chains grow with the table.
void plan_conntrack(const Snapshot& snapshot, const Finding* finding, const PlanContext& context, PlanBuilder& plan) {
    const auto current_max = plan.current_int(kConntrackMax);
    if (!snapshot.conntrack || !current_max) {
        plan.note("conntrack-max: nf_conntrack is not loaded here (no nf_conntrack_max); nothing to size");
        return;
    }
    const auto count = static_cast<std::int64_t>(std::min<std::uint64_t>(snapshot.conntrack->count.value_or(0), kConntrackCeiling));
    if (!finding && count < *current_max / 2) {
        plan.note(fmt::format("conntrack-max: the table holds {} of {} entries; no need to grow it", count, *current_max));
        return;
    }
    if (*current_max >= kConntrackCeiling) {
        plan.note(fmt::format("conntrack-max: nf_conntrack_max is {} already; netdiag plans at most {}", *current_max,
                              kConntrackCeiling));
        return;
    }
    const auto new_max = std::min<std::int64_t>(
        static_cast<std::int64_t>(next_power_of_two(2 * static_cast<std::uint64_t>(std::max(count, *current_max)))),
        kConntrackCeiling);
    const std::string reason = reason_of(finding, "conntrack-max was asked for with --only");
    std::vector<std::pair<std::string, std::int64_t>> settings{{"net.netfilter.nf_conntrack_max", new_max}};
    if (const auto buckets = plan.current_int(kConntrackBuckets); buckets && *buckets < new_max) {
        plan.change(kConntrackBuckets, fmt::format("{}\n", new_max), reason, "conntrack-max");
        settings.emplace_back("net.netfilter.nf_conntrack_buckets", new_max);
    }
    plan.change(kConntrackMax, fmt::format("{}\n", new_max), reason, "conntrack-max");
    plan.change(kConntrackSysctlFile,
                sysctl_file("conntrack-max",
                            fmt::format("twice the larger of the observed {} entries and the old maximum {}", count,
                                        *current_max),
                            settings),
                "keep the conntrack size across reboots", "conntrack-max");
    // systemd-sysctl runs before the module would load on demand: without it the file fails at boot.
    plan.change(kConntrackModuleFile,
                "# Written by `netdiag fix` (conntrack-max): load nf_conntrack before sysctl.d applies its size.\n"
                "nf_conntrack\n",
                "load nf_conntrack at boot so its sysctls apply", "conntrack-max");
    if (context.kube_proxy_running) {
        plan.note("conntrack-max: kube-proxy runs here and sets nf_conntrack_max itself at start; set its "
                  "--conntrack-max-per-core / --conntrack-min (conntrack.maxPerCore in its config) too, or it "
                  "will put the old value back");
    }
}

// A sysctl doubled, runtime and persistent.
void plan_doubling(std::string_view fix, const std::vector<std::pair<std::string_view, std::string>>& sysctls,
                   std::string_view persistent_file, const Finding* finding, PlanBuilder& plan) {
    const std::string reason = reason_of(finding, fmt::format("{} was asked for with --only", fix));
    std::vector<std::pair<std::string, std::int64_t>> settings;
    for (const auto& [path, name] : sysctls) {
        const auto value = plan.current_int(path);
        if (!value) {
            plan.note(fmt::format("{}: {} is not available on this kernel; skipped", fix, name));
            continue;
        }
        plan.change(path, fmt::format("{}\n", 2 * *value), reason, fix);
        settings.emplace_back(name, 2 * *value);
    }
    if (!settings.empty()) {
        plan.change(persistent_file, sysctl_file(fix, "doubled from the values the scan saw", settings),
                    fmt::format("keep {} across reboots", fix), fix);
    }
}

void plan_port_range(const Finding* finding, PlanBuilder& plan) {
    const auto text = plan.current(kPortRange);
    auto range = text ? parse_port_range(*text, kPortRange) : Result<PortRange>(make_error("missing"));
    if (!range) {
        plan.note("port-range: ip_local_port_range could not be read; nothing planned");
        return;
    }
    const int low = std::min(range->low, kWidestPortLow);
    const int high = std::max(range->high, kWidestPortHigh);
    if (low == range->low && high == range->high) {
        plan.note(fmt::format("port-range: {}-{} is already as wide as netdiag plans; reuse connections or enable "
                              "net.ipv4.tcp_tw_reuse instead",
                              range->low, range->high));
        return;
    }
    const std::string reason = reason_of(finding, "port-range was asked for with --only");
    plan.change(kPortRange, fmt::format("{}\t{}\n", low, high), reason, "port-range");
    plan.change(kPortRangeFile,
                fmt::format("# Written by `netdiag fix` (port-range): more ephemeral ports for outgoing "
                            "connections.\n# `netdiag undo` removes it.\nnet.ipv4.ip_local_port_range = {} {}\n",
                            low, high),
                "keep the port range across reboots", "port-range");
    if (low < range->low) {
        plan.note(fmt::format("port-range: ports {}-{} become ephemeral; list any a service listens on in "
                              "net.ipv4.ip_local_reserved_ports",
                              low, range->low - 1));
    }
}

// The width the kernel prints masks in, read off a mask it printed: 4 bits per hex digit.
int mask_bits(const std::string& mask) {
    const auto groups = split(trim(mask), ',');
    if (groups.empty()) return 0;
    return static_cast<int>((groups.size() - 1) * 32 + trim(groups.front()).size() * 4);
}

// The online CPUs (those /proc/stat lists), less the ones isolated for latency-critical work.
std::set<int> usable_cpus(const Snapshot& snapshot, const PlanContext& context) {
    std::set<int> cpus;
    if (snapshot.cpu_times) {
        for (const auto& cpu : *snapshot.cpu_times) {
            if (cpu.cpu.size() > 3 && cpu.cpu.compare(0, 3, "cpu") == 0) {
                // CPU ids past the kernel's NR_CPUS limit (8192) come only from a broken or hostile host.
                const auto number = parse_i64(std::string_view(cpu.cpu).substr(3));
                if (number && *number >= 0 && *number < kMaxCpus) cpus.insert(static_cast<int>(*number));
            }
        }
    }
    if (cpus.empty()) {
        for (int cpu = 0; cpu < std::min(snapshot.online_cpus.value_or(0), kMaxCpus); ++cpu) cpus.insert(cpu);
    }
    for (const int cpu : context.isolated_cpus) cpus.erase(cpu);
    return cpus;
}

// The CPUs an interface's queues should use: its NUMA node's usable ones, or all usable ones when
// it has no node.
std::vector<int> local_cpus(const Snapshot& snapshot, const InterfaceInfo& info, const PlanContext& context) {
    const auto usable = usable_cpus(snapshot, context);
    std::set<int> cpus;
    if (info.numa_node && *info.numa_node >= 0 && info.local_cpulist) {
        if (auto parsed = parse_cpu_list(*info.local_cpulist, "local_cpulist")) {
            for (const int cpu : *parsed) {
                if (usable.count(cpu)) cpus.insert(cpu);
            }
        }
    }
    if (cpus.empty()) cpus = usable;
    return {cpus.begin(), cpus.end()};
}

// Several receive queues (or, where sysfs shows none, several vectors).
bool has_many_queues(const InterfaceInfo& info) {
    return info.rx_queues > 1 || (info.rx_queues == 0 && info.irqs.size() > 1);
}

// Vectors that carry no queue: virtio's config interrupt, vmxnet3's event one, the misc vector
// Intel drivers name after the interface alone.
bool is_queue_vector(const Snapshot& snapshot, const InterfaceInfo& info, int irq) {
    if (!snapshot.interrupts) return true;
    for (const auto& line : *snapshot.interrupts) {
        if (line.irq != irq) continue;
        const auto& action = line.action;
        return action != info.name && action.find("-config") == std::string::npos &&
               action.find("-event") == std::string::npos;
    }
    return true;
}

void plan_irq_affinity(const Snapshot& snapshot, const std::vector<Finding>& findings, bool asked,
                       const PlanContext& context, PlanBuilder& plan, std::vector<std::string>& script) {
    // The interfaces whose drops pointed at IRQ placement; asked for by name, every physical one.
    std::vector<std::pair<const InterfaceInfo*, std::string>> targets;
    for (const auto& finding : findings) {
        if (finding.fix != "irq-affinity") continue;
        if (const auto* info = find_interface(snapshot, finding.subject)) {
            // Short: every IRQ's change carries it, into the journal too.
            targets.emplace_back(info, fmt::format("{} on {} ({})", finding.check, info->name,
                                                   finding.cause.value_or("irq placement")));
        }
    }
    if (targets.empty() && asked) {
        for (const auto& info : snapshot.interfaces) {
            if (!info.is_virtual && (!info.irqs.empty() || info.rx_queues > 0)) {
                targets.emplace_back(&info, fmt::format("irq-affinity was asked for with --only ({})", info.name));
            }
        }
    }
    if (targets.empty()) return;
    if (context.irqbalance_running && !context.force) {
        plan.note("irq-affinity: irqbalance is running and rewrites IRQ affinities every 10 s, undoing any "
                  "spread; nothing planned. Stop it (`systemctl disable --now irqbalance`), or pass --force to "
                  "plan anyway");
        return;
    }
    if (context.irqbalance_running) {
        plan.note("irq-affinity: irqbalance is running (planned anyway, --force): it will move these IRQs again");
    }
    for (const auto& [info, reason] : targets) {
        if (has_control_characters(info->name)) {
            // Its paths could not be told apart from forged ones in a diff, nor pass a plan check.
            plan.note(fmt::format("irq-affinity: the interface \"{}\" has control characters in its name; skipped",
                                  printable(info->name)));
            continue;
        }
        const auto cpus = local_cpus(snapshot, *info, context);
        if (cpus.size() < 2) {
            plan.note(fmt::format("irq-affinity: {} has a single CPU to use; nothing to spread", info->name));
            continue;
        }
        if (!has_many_queues(*info)) {
            // One queue, one IRQ: RPS spreads the protocol work over the node's CPUs in software.
            const int queues = std::max(info->rx_queues, 1);
            for (int queue = 0; queue < queues; ++queue) {
                const auto path = fmt::format("/sys/class/net/{}/queues/rx-{}/rps_cpus", info->name, queue);
                const auto before = plan.current(path);
                const int bits = std::max(before ? mask_bits(*before) : 0, cpus.back() + 1);
                plan.change(path, format_cpu_mask({cpus.begin(), cpus.end()}, bits) + "\n",
                            reason + "; single-queue NIC: RPS instead of IRQ affinity", "irq-affinity");
            }
            plan.note(fmt::format("irq-affinity: {} has one receive queue: planned RPS (receive packet steering) "
                                  "over CPUs {} instead of moving its IRQ",
                                  info->name, fmt::join(cpus, ",")));
            continue;
        }
        std::vector<int> irqs;
        for (const int irq : info->irqs) {
            if (!is_queue_vector(snapshot, *info, irq)) continue;
            if (context.managed_irqs.count(irq)) {
                plan.note(fmt::format("irq-affinity: IRQ {} of {} is kernel-managed: the kernel places it and "
                                      "refuses other affinities; skipped",
                                      irq, info->name));
            } else {
                irqs.push_back(irq);
            }
        }
        for (const auto& [irq, cpu] : spread_irqs(irqs, cpus)) {
            const auto path = fmt::format("/proc/irq/{}/smp_affinity", irq);
            const auto before = plan.current(path);
            const int bits = std::max(before ? mask_bits(*before) : snapshot.online_cpus.value_or(0), cpu + 1);
            const auto mask = format_cpu_mask({cpu}, bits);
            plan.change(path, mask + "\n", fmt::format("{}; IRQ {} of {} to CPU{}", reason, irq, info->name, cpu),
                        "irq-affinity");
            script.push_back(fmt::format("echo {} > {}  # {} to CPU{}", mask, path, printable(info->name), cpu));
        }
    }
}

}  // namespace

const std::vector<Fixer>& fixer_catalogue() {
    static const std::vector<Fixer> catalogue{
        {"irq-affinity", "spread a NIC's queue IRQs over its NUMA node's CPUs (RPS for a single-queue NIC)"},
        {"conntrack-max", "size nf_conntrack_max and its hash for the observed load, persistently"},
        {"softnet-backlog", "double net.core.netdev_max_backlog, persistently"},
        {"softnet-budget", "double net.core.netdev_budget and netdev_budget_usecs, persistently"},
        {"port-range", "widen net.ipv4.ip_local_port_range, persistently"},
    };
    return catalogue;
}

std::vector<std::string> plan_context_files(const Snapshot& snapshot) {
    std::vector<std::string> files(std::begin(kFixedPaths), std::end(kFixedPaths));
    for (const auto& info : snapshot.interfaces) {
        for (const int irq : info.irqs) files.push_back(fmt::format("/proc/irq/{}/smp_affinity", irq));
        files.push_back(fmt::format("/sys/class/net/{}/queues/rx-*/rps_cpus", info.name));
    }
    return files;
}

HostPlan plan_fixes(const Snapshot& snapshot, const std::vector<Finding>& findings, const PlanContext& context,
                    const std::set<std::string>& only) {
    HostPlan result;
    result.host = snapshot.host;
    PlanBuilder plan(context, result);
    const auto wanted = [&](std::string_view id) {
        return only.empty() ? finding_for(findings, id) != nullptr : only.count(std::string(id)) > 0;
    };
    std::vector<std::string> script;
    if (wanted("irq-affinity")) plan_irq_affinity(snapshot, findings, !only.empty(), context, plan, script);
    if (wanted("conntrack-max")) plan_conntrack(snapshot, finding_for(findings, "conntrack-max"), context, plan);
    if (wanted("softnet-backlog")) {
        plan_doubling("softnet-backlog", {{kBacklog, "net.core.netdev_max_backlog"}}, kBacklogFile,
                      finding_for(findings, "softnet-backlog"), plan);
    }
    if (wanted("softnet-budget")) {
        plan_doubling("softnet-budget",
                      {{kBudget, "net.core.netdev_budget"}, {kBudgetUsecs, "net.core.netdev_budget_usecs"}},
                      kBudgetFile, finding_for(findings, "softnet-budget"), plan);
    }
    if (wanted("port-range")) plan_port_range(finding_for(findings, "port-range"), plan);
    if (!script.empty()) {
        // IRQ affinity has no sysctl.d: offer a script to review and wire into boot, not a hidden unit.
        std::string text =
            "#!/bin/sh\n"
            "# Written by `netdiag fix` (irq-affinity): the IRQ spread it applied, for reuse at boot.\n"
            "# Nothing runs it: review it, then call it from a boot unit if you want it to persist.\n"
            "# IRQ numbers can change with drivers and kernels: re-run `netdiag fix` after either.\n";
        for (const auto& line : script) text += line + "\n";
        plan.change(kIrqScript, text, "offer the IRQ spread for reuse at boot", "irq-affinity");
        plan.note(fmt::format("irq-affinity: {} is only written, never run; wire it into boot if you want the spread "
                              "to survive a reboot",
                              kIrqScript));
    }
    return result;
}

bool plannable_path(const std::string& path) {
    // Bounded before any regex: std::regex recurses per character and a long path would blow the stack.
    if (path.size() > 128 || has_control_characters(path)) return false;
    if (path.find("/../") != std::string::npos || path.find("/./") != std::string::npos ||
        path.find("//") != std::string::npos || path.ends_with("/..") || path.ends_with("/.")) {
        return false;
    }
    if (std::find(std::begin(kFixedPaths), std::end(kFixedPaths), path) != std::end(kFixedPaths)) return true;
    static const std::regex irq_mask(R"(/proc/irq/[0-9]+/smp_affinity)");
    static const std::regex rps_mask(R"(/sys/class/net/[^/]+/queues/rx-[0-9]+/rps_cpus)");
    return std::regex_match(path, irq_mask) || std::regex_match(path, rps_mask);
}

namespace {

// What each persistent file may set: its fixer's keys, and whether a key takes a pair.
struct SysctlFileRule {
    std::string_view path;
    std::vector<std::string_view> keys;
    bool pair = false;
};

const std::vector<SysctlFileRule>& sysctl_file_rules() {
    static const std::vector<SysctlFileRule> rules{
        {kConntrackSysctlFile, {"net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_buckets"}},
        {kBacklogFile, {"net.core.netdev_max_backlog"}},
        {kBudgetFile, {"net.core.netdev_budget", "net.core.netdev_budget_usecs"}},
        {kPortRangeFile, {"net.ipv4.ip_local_port_range"}, true},
    };
    return rules;
}

bool is_unsigned_integer(std::string_view text) {
    return !text.empty() && text.size() <= 19 &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_port_pair(std::string_view text) {
    const auto words = split_ws(text);
    if (words.size() != 2 || !is_unsigned_integer(words[0]) || !is_unsigned_integer(words[1])) return false;
    const auto low = parse_i64(words[0]), high = parse_i64(words[1]);
    return low && high && *low >= 1 && *low <= *high && *high <= 65535;
}

// "00000000,0000000f": comma-separated groups of at most 8 hex digits, as the kernel prints masks.
bool is_cpu_mask(std::string_view text) {
    const auto groups = split(text, ',');
    if (groups.empty() || groups.size() > 256) return false;
    return std::all_of(groups.begin(), groups.end(), [](std::string_view group) {
        return !group.empty() && group.size() <= 8 &&
               std::all_of(group.begin(), group.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    });
}

bool is_comment_or_blank(std::string_view line) {
    const auto text = trim(line);
    return text.empty() || text.front() == '#';
}

std::optional<std::string> sysctl_file_problem(const SysctlFileRule& rule, std::string_view content) {
    for (const auto line : lines_of(content)) {
        if (is_comment_or_blank(line)) continue;
        const auto equals = line.find('=');
        const auto key = trim(line.substr(0, equals));
        const auto value = equals == std::string_view::npos ? std::string_view() : trim(line.substr(equals + 1));
        if (std::find(rule.keys.begin(), rule.keys.end(), key) == rule.keys.end()) {
            return fmt::format("sets \"{}\", which is not one of its fix's keys", printable(key));
        }
        if (rule.pair ? !is_port_pair(value) : !is_unsigned_integer(value)) {
            return fmt::format("gives {} the value \"{}\"", key, printable(value));
        }
    }
    return std::nullopt;
}

// The lines plan_fixes writes into the IRQ script, and nothing else.
std::optional<std::string> irq_script_problem(std::string_view content) {
    static const std::regex echo_line(R"(echo [0-9a-f,]{1,2400} > /proc/irq/[0-9]{1,9}/smp_affinity( +#[^\n]*)?)");
    const auto lines = lines_of(content);
    if (lines.empty() || lines.front() != "#!/bin/sh") return "does not start with #!/bin/sh";
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto line = lines[i];
        if (line.empty() || line.front() == '#') continue;
        // A mask of 8192 CPUs is 2303 characters; longer lines are not netdiag's (and std::regex
        // recurses per character).
        if (line.size() > 2600 || !std::regex_match(line.begin(), line.end(), echo_line)) {
            return fmt::format("holds the line \"{}\", which netdiag does not write", printable(line));
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> content_problem(const std::string& path, std::string_view content) {
    constexpr std::size_t kMaxContent = std::size_t{1} << 20;
    if (content.size() > kMaxContent) return fmt::format("{}: over {} bytes", path, kMaxContent);
    for (const char c : content) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\n' && c != '\t') || byte == 0x7f) {
            return fmt::format("{}: holds a control character (\\x{:02x})", path, byte);
        }
    }
    const auto fail = [&](const std::string& why) { return std::optional<std::string>(fmt::format("{}: {}", path, why)); };
    if (is_kernel_path(path)) {
        const auto value = trim(content);
        if (path == kPortRange) return is_port_pair(value) ? std::nullopt : fail("not a port range");
        if (path.ends_with("/smp_affinity") || path.ends_with("/rps_cpus")) {
            return is_cpu_mask(value) ? std::nullopt : fail("not a CPU mask");
        }
        return is_unsigned_integer(value) ? std::nullopt : fail("not a non-negative integer");
    }
    for (const auto& rule : sysctl_file_rules()) {
        if (path != rule.path) continue;
        if (auto problem = sysctl_file_problem(rule, content)) return fail(*problem);
        return std::nullopt;
    }
    if (path == kConntrackModuleFile) {
        for (const auto line : lines_of(content)) {
            if (!is_comment_or_blank(line) && trim(line) != "nf_conntrack") {
                return fail(fmt::format("loads \"{}\"; only nf_conntrack belongs there", printable(trim(line))));
            }
        }
        return std::nullopt;
    }
    if (path == kIrqScript) {
        if (auto problem = irq_script_problem(content)) return fail(*problem);
        return std::nullopt;
    }
    return fail("not a file netdiag writes");
}

bool removable_path(const std::string& path) { return plannable_path(path) && !is_kernel_path(path); }

std::string format_cpu_mask(const std::set<int>& cpus, int cpu_count) {
    int bits = std::clamp(cpu_count, 1, kMaxCpus);
    if (!cpus.empty()) bits = std::clamp(*cpus.rbegin() + 1, bits, kMaxCpus);
    const int groups = (bits + 31) / 32;
    std::string text;
    for (int group = groups - 1; group >= 0; --group) {
        std::uint32_t word = 0;
        for (const int cpu : cpus) {
            if (cpu >= group * 32 && cpu < (group + 1) * 32) word |= std::uint32_t{1} << (cpu - group * 32);
        }
        // The kernel prints the top group only as wide as the CPUs it holds, the rest as 8 digits.
        const int top_bits = bits - (groups - 1) * 32;
        const int width = group == groups - 1 ? (top_bits + 3) / 4 : 8;
        if (!text.empty()) text += ',';
        text += fmt::format("{:0{}x}", word, width);
    }
    return text;
}

std::map<int, int> spread_irqs(const std::vector<int>& irqs, const std::vector<int>& cpus) {
    std::map<int, int> placement;
    if (cpus.empty()) return placement;
    for (std::size_t i = 0; i < irqs.size(); ++i) placement[irqs[i]] = cpus[i % cpus.size()];
    return placement;
}

}  // namespace netdiag
