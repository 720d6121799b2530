// GCC 12 with optimisation warns falsely that assigning a short string to a std::string may
// overlap (-Wrestrict, GCC bug 105329); which assignment it picks moves with inlining.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "remediation/planners.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <limits>
#include <cctype>
#include <regex>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "collect/parsers.hpp"
#include "common/text.hpp"
#include "remediation/ring_planner.hpp"
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
constexpr std::string_view kSomaxconn = "/proc/sys/net/core/somaxconn";
constexpr std::string_view kSynBacklog = "/proc/sys/net/ipv4/tcp_max_syn_backlog";
constexpr std::string_view kSyncookies = "/proc/sys/net/ipv4/tcp_syncookies";
constexpr std::string_view kListenBacklogFile = "/etc/sysctl.d/60-netdiag-listen-backlog.conf";
constexpr std::string_view kTcpMem = "/proc/sys/net/ipv4/tcp_mem";
constexpr std::string_view kTcpMemFile = "/etc/sysctl.d/60-netdiag-tcp-mem.conf";
constexpr std::string_view kNeigh4Thresh[] = {"/proc/sys/net/ipv4/neigh/default/gc_thresh1",
                                              "/proc/sys/net/ipv4/neigh/default/gc_thresh2",
                                              "/proc/sys/net/ipv4/neigh/default/gc_thresh3"};
constexpr std::string_view kNeigh6Thresh[] = {"/proc/sys/net/ipv6/neigh/default/gc_thresh1",
                                              "/proc/sys/net/ipv6/neigh/default/gc_thresh2",
                                              "/proc/sys/net/ipv6/neigh/default/gc_thresh3"};
constexpr std::string_view kNeighFile = "/etc/sysctl.d/60-netdiag-neigh-table.conf";

// Every fixed path a fixer may change: what planning reads first and what a plan file may name.
constexpr std::string_view kFixedPaths[] = {
    kConntrackMax,     kConntrackBuckets, kConntrackSysctlFile, kConntrackModuleFile, kBacklog,
    kBacklogFile,      kBudget,           kBudgetUsecs,         kBudgetFile,          kPortRange,
    kPortRangeFile,    kIrqScript,        kSomaxconn,           kSynBacklog,          kSyncookies,
    kListenBacklogFile, kTcpMem,          kTcpMemFile,          kNeigh4Thresh[0],     kNeigh4Thresh[1],
    kNeigh4Thresh[2],  kNeigh6Thresh[0],  kNeigh6Thresh[1],     kNeigh6Thresh[2],     kNeighFile};

// The most CPUs a Linux kernel supports (NR_CPUS at most 8192): larger ids are not believed.
constexpr int kMaxCpus = 8192;

// The kernel keeps nf_conntrack_max in an int; the largest power of two below that.
constexpr std::int64_t kConntrackCeiling = std::int64_t{1} << 30;

// The widest ephemeral range netdiag plans: below 10240 sit many services' well-known ports.
constexpr int kWidestPortLow = 10240;
constexpr int kWidestPortHigh = 65535;

// The kernel keeps these sysctls in an int (proc_dointvec_minmax, 0..INT_MAX).
constexpr std::int64_t kIntMax = 2147483647;
// Listen queues: somaxconn at least this after a fix (the kernel's own SOMAXCONN default since 5.4,
// and tcp_max_syn_backlog's default on hosts with a large established hash).
constexpr std::int64_t kListenQueueFloor = 4096;
// Before Linux 5.4 a listener's accept-queue limit (sk_max_ack_backlog) was 16 bits: a larger
// somaxconn wrapped round to a tiny queue. netdiag never plans past it, whatever the kernel.
constexpr std::int64_t kSomaxconnCeiling = 65535;
// tcp_mem counts pages (unsigned long): more than 2^52 of 4 KiB is more than 64 bits address.
constexpr std::int64_t kTcpMemCeiling = std::int64_t{1} << 52;
// Neighbour thresholds: the kernel's default gc_thresh3 is the least netdiag plans; the most, the
// largest power of two in the kernel's int.
constexpr std::int64_t kNeighFloor = 1024;
constexpr std::int64_t kNeighCeiling = std::int64_t{1} << 30;

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

std::string sysctl_file_text(std::string_view fix, std::string_view why,
                             const std::vector<std::pair<std::string, std::string>>& settings) {
    std::string text = fmt::format("# Written by `netdiag fix` ({}): {}\n# `netdiag undo` removes it.\n", fix, why);
    for (const auto& [name, value] : settings) text += fmt::format("{} = {}\n", name, value);
    return text;
}

std::string sysctl_file(std::string_view fix, std::string_view why,
                        const std::vector<std::pair<std::string, std::int64_t>>& settings) {
    std::vector<std::pair<std::string, std::string>> texts;
    for (const auto& [name, value] : settings) texts.emplace_back(name, std::to_string(value));
    return sysctl_file_text(fix, why, texts);
}

// A sysctl.d file that keeps what netdiag's earlier file there set for keys this plan leaves alone
// (tcp_syncookies set by an earlier run, the other family's neighbour thresholds): rewriting it with
// only this run's keys would quietly drop them at the next boot. Keys come in `order`; a file not
// in netdiag's form is not read from (applying refuses to replace it anyway).
std::string merged_sysctl_file(const PlanBuilder& plan, std::string_view path, std::string_view fix,
                               std::string_view why, const std::vector<std::string_view>& order,
                               const std::map<std::string, std::string>& settings) {
    std::map<std::string, std::string> values;
    if (const auto previous = plan.current(path); previous && !content_problem(std::string(path), *previous)) {
        for (const auto line : lines_of(*previous)) {
            const auto text = trim(line);
            const auto equals = text.find('=');
            if (text.empty() || text.front() == '#' || equals == std::string_view::npos) continue;
            // "net.ipv4.tcp_mem = 1 2 3": one space between numbers, as netdiag writes them.
            const auto words = split_ws(text.substr(equals + 1));
            values[std::string(trim(text.substr(0, equals)))] = fmt::format("{}", fmt::join(words, " "));
        }
    }
    for (const auto& [name, value] : settings) values[name] = value;
    std::vector<std::pair<std::string, std::string>> ordered;
    for (const auto name : order) {
        if (const auto found = values.find(std::string(name)); found != values.end()) ordered.emplace_back(*found);
    }
    return sysctl_file_text(fix, why, ordered);
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

// listen-backlog: the accept-queue cap (somaxconn) and the SYN queue (tcp_max_syn_backlog) each
// become max(2 x current, 4096), never lower. At least double, since the queue overflowed at its
// current size; at least 4096, the kernel's own SOMAXCONN since 5.4, so a host still on the old
// default of 128 gets a useful size in one step. somaxconn stays within 16 bits (see
// kSomaxconnCeiling). tcp_syncookies=0 becomes 1 (cookies only when the SYN queue overflows): a
// full SYN queue then costs the connection its TCP options rather than the connection; 1 and 2 stay.
void plan_listen_backlog(const Finding* finding, PlanBuilder& plan) {
    constexpr std::string_view fix = "listen-backlog";
    const std::string reason = reason_of(finding, "listen-backlog was asked for with --only");
    std::map<std::string, std::string> settings;
    const std::tuple<std::string_view, std::string_view, std::int64_t> queues[] = {
        {kSomaxconn, "net.core.somaxconn", kSomaxconnCeiling},
        {kSynBacklog, "net.ipv4.tcp_max_syn_backlog", kIntMax},
    };
    for (const auto& [path, name, ceiling] : queues) {
        const auto value = plan.current_int(path);
        if (!value || *value < 0) {
            plan.note(fmt::format("listen-backlog: {} is not available on this kernel; skipped", name));
            continue;
        }
        if (*value >= ceiling) {
            plan.note(fmt::format("listen-backlog: {} is {} already; netdiag plans at most {}", name, *value, ceiling));
            continue;
        }
        const auto target = std::min(std::max(2 * *value, kListenQueueFloor), ceiling);
        plan.change(path, fmt::format("{}\n", target), reason, fix);
        settings[std::string(name)] = std::to_string(target);
    }
    if (const auto cookies = plan.current_int(kSyncookies); !cookies) {
        plan.note("listen-backlog: net.ipv4.tcp_syncookies is not available on this kernel; skipped");
    } else if (*cookies == 0) {
        plan.change(kSyncookies, "1\n", reason, fix);
        settings.insert_or_assign("net.ipv4.tcp_syncookies", std::string("1"));
    }
    if (settings.empty()) return;
    plan.change(kListenBacklogFile,
                merged_sysctl_file(plan, kListenBacklogFile, fix,
                                   "larger listen and SYN queues, SYN cookies on overflow",
                                   {"net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog", "net.ipv4.tcp_syncookies"},
                                   settings),
                "keep listen-backlog across reboots", fix);
    if (settings.count("net.core.somaxconn")) {
        plan.note("listen-backlog: somaxconn only caps the backlog a listener asks for in listen(): services take a "
                  "larger queue when they listen again (a restart) and ask for one (nginx `listen ... backlog=N`, "
                  "haproxy `backlog`, ...)");
    }
}

// tcp-mem: the kernel sizes tcp_mem once, at boot, in tcp_init_mem() (net/ipv4/tcp.c):
//     limit = max(nr_free_buffer_pages() / 16, 128);
//     tcp_mem = { limit / 4 * 3, limit, limit / 4 * 3 * 2 }   (4.7 %, 6.25 %, 9.4 % of memory)
// and never again (not after memory is added to a VM, nor when a sysctl.d file from a smaller host
// set it lower). netdiag targets twice that rule for the RAM seen, with MemTotal standing in for
// nr_free_buffer_pages (a little less: free pages above the zones' high watermarks): 9.4 %, 12.5 %
// and 18.75 % of RAM. TCP under pressure at the kernel's share needs more than it, and twice keeps
// the hard limit under a fifth of RAM for everything else. A fixed target, not a doubling of the
// current value: a second run plans nothing. No number is lowered.
std::optional<std::array<std::int64_t, 3>> tcp_mem_target(std::uint64_t mem_total_bytes, std::int64_t page_size) {
    if (page_size <= 0 || mem_total_bytes == 0) return std::nullopt;
    const auto pages = std::min<std::uint64_t>(mem_total_bytes / static_cast<std::uint64_t>(page_size),
                                               static_cast<std::uint64_t>(kTcpMemCeiling));
    const auto limit = std::max<std::int64_t>(static_cast<std::int64_t>(pages / 16), 128);
    const std::array<std::int64_t, 3> kernel{limit / 4 * 3, limit, limit / 4 * 3 * 2};
    return std::array<std::int64_t, 3>{std::min(2 * kernel[0], kTcpMemCeiling), std::min(2 * kernel[1], kTcpMemCeiling),
                                       std::min(2 * kernel[2], kTcpMemCeiling)};
}

std::optional<std::array<std::int64_t, 3>> parse_triple(std::string_view text) {
    const auto words = split_ws(trim(text));
    if (words.size() != 3) return std::nullopt;
    std::array<std::int64_t, 3> values{};
    for (std::size_t i = 0; i < 3; ++i) {
        const auto value = parse_i64(words[i]);
        if (!value || *value < 0) return std::nullopt;
        values[i] = *value;
    }
    return values;
}

void plan_tcp_mem(const Snapshot& snapshot, const Finding* finding, PlanBuilder& plan) {
    constexpr std::string_view fix = "tcp-mem";
    if (!snapshot.mem_total_bytes || *snapshot.mem_total_bytes == 0) {
        plan.note("tcp-mem: the RAM size (MemTotal in /proc/meminfo) is not known; tcp_mem is sized from it, so "
                  "nothing planned");
        return;
    }
    if (!snapshot.page_size || *snapshot.page_size <= 0) {
        plan.note("tcp-mem: the page size is not known (tcp_mem counts pages); nothing planned");
        return;
    }
    const auto text = plan.current(kTcpMem);
    const auto current = text ? parse_triple(*text) : std::nullopt;
    if (!current) {
        plan.note(text ? "tcp-mem: net.ipv4.tcp_mem does not hold three numbers; nothing planned"
                       : "tcp-mem: net.ipv4.tcp_mem is not available here (it exists only in the host's first network "
                         "namespace); nothing planned");
        return;
    }
    const auto target = *tcp_mem_target(*snapshot.mem_total_bytes, *snapshot.page_size);
    std::array<std::int64_t, 3> next{};
    for (std::size_t i = 0; i < 3; ++i) {
        next[i] = std::max((*current)[i], target[i]);
        if (i > 0) next[i] = std::max(next[i], next[i - 1]);  // low <= pressure <= high, whatever the host held
    }
    const auto mib = [&](std::int64_t pages) { return pages * *snapshot.page_size / (1024 * 1024); };
    if (next == *current) {
        plan.note(fmt::format("tcp-mem: net.ipv4.tcp_mem ({} {} {} pages, high mark {} MiB) is at or above twice the "
                              "kernel's default for {} MiB of RAM; netdiag plans no more. Find the sockets holding "
                              "buffers (`ss -tm`)",
                              (*current)[0], (*current)[1], (*current)[2], mib((*current)[2]),
                              *snapshot.mem_total_bytes / (1024 * 1024)));
        return;
    }
    const std::string reason = reason_of(finding, "tcp-mem was asked for with --only");
    const auto value = fmt::format("{} {} {}", next[0], next[1], next[2]);
    plan.change(kTcpMem, value + "\n", reason, fix);
    plan.change(kTcpMemFile,
                sysctl_file_text(fix,
                                 fmt::format("twice the kernel's tcp_init_mem() rule for {} MiB of RAM (pages of {} "
                                             "bytes; high mark {} MiB)",
                                             *snapshot.mem_total_bytes / (1024 * 1024), *snapshot.page_size,
                                             mib(next[2])),
                                 {{"net.ipv4.tcp_mem", value}}),
                "keep tcp-mem across reboots", fix);
}

// neigh-table: per family, gc_thresh3 (the hard limit: past it "neighbour table overflow" and lost
// packets) becomes max(2 x current, the power of two at or above 4 x the entries seen, 1024): at
// least double, since the table filled at its current size; the table a quarter full at the load
// seen; never below the kernel's default. gc_thresh2 (the soft limit, kept for 5 s) and gc_thresh1
// (below it nothing is collected) follow at 1/2 and 1/8 of it, the kernel's own 128/512/1024
// ratios. None is lowered and 1 <= 2 <= 3 holds even where the host held them out of order. Only the
// families whose finding fired, or both when --only names the fix.
void plan_neigh_table(const Snapshot& snapshot, const std::vector<Finding>& findings, bool asked, PlanBuilder& plan) {
    constexpr std::string_view fix = "neigh-table";
    std::vector<std::pair<std::string, std::string>> families;  // "ipv4" -> reason
    for (const auto& finding : findings) {
        if (finding.fix != fix || (finding.subject != "ipv4" && finding.subject != "ipv6")) continue;
        if (std::none_of(families.begin(), families.end(), [&](const auto& f) { return f.first == finding.subject; })) {
            families.emplace_back(finding.subject, reason_of(&finding, ""));
        }
    }
    // Asked for by name: both families, whichever fired.
    for (const char* family : {"ipv4", "ipv6"}) {
        if (asked && std::none_of(families.begin(), families.end(), [&](const auto& f) { return f.first == family; })) {
            families.emplace_back(family, "neigh-table was asked for with --only");
        }
    }
    std::map<std::string, std::string> settings;
    for (const auto& [family, reason] : families) {
        const bool v4 = family == "ipv4";
        const auto& paths = v4 ? kNeigh4Thresh : kNeigh6Thresh;
        const auto& table = v4 ? snapshot.arp_cache : snapshot.ndisc_cache;
        std::array<std::int64_t, 3> current{};
        bool readable = true;
        for (std::size_t i = 0; i < 3; ++i) {
            const auto value = plan.current_int(paths[i]);
            readable = readable && value && *value >= 0;
            if (readable) current[i] = *value;
        }
        if (!readable) {
            plan.note(fmt::format("neigh-table: {}: the gc_thresh sysctls are not available here; skipped", family));
            continue;
        }
        if (*std::max_element(current.begin(), current.end()) >= kNeighCeiling) {
            plan.note(fmt::format("neigh-table: {}: gc_thresh3 is {} already; netdiag plans at most {}", family,
                                  current[2], kNeighCeiling));
            continue;
        }
        const auto entries = table ? std::min<std::uint64_t>(table->entries, kNeighCeiling) : 0;
        const auto sized = static_cast<std::int64_t>(next_power_of_two(4 * entries));
        const auto third = std::min(std::max({2 * current[2], table ? sized : 0, kNeighFloor}), kNeighCeiling);
        std::array<std::int64_t, 3> next{std::max(current[0], third / 8), std::max(current[1], third / 2),
                                         std::max(current[2], third)};
        next[1] = std::max(next[1], next[0]);
        next[2] = std::max(next[2], next[1]);
        for (std::size_t i = 0; i < 3; ++i) {
            // All three persisted, changed or not: the file then holds the family's thresholds in order.
            settings[fmt::format("net.{}.neigh.default.gc_thresh{}", family, i + 1)] = std::to_string(next[i]);
            if (next[i] != current[i]) plan.change(paths[i], fmt::format("{}\n", next[i]), reason, fix);
        }
        plan.note(fmt::format("neigh-table: {}: gc_thresh1/2/3 {}/{}/{} -> {}/{}/{} ({}); the thresholds are "
                              "the host's, shared by every network namespace",
                              family, current[0], current[1], current[2], next[0], next[1], next[2],
                              table ? fmt::format("{} entries seen", table->entries)
                                    : std::string("entry count not known: doubled")));
    }
    if (settings.empty()) return;
    plan.change(kNeighFile,
                merged_sysctl_file(plan, kNeighFile, fix, "neighbour tables sized for the entries seen",
                                   {"net.ipv4.neigh.default.gc_thresh1", "net.ipv4.neigh.default.gc_thresh2",
                                    "net.ipv4.neigh.default.gc_thresh3", "net.ipv6.neigh.default.gc_thresh1",
                                    "net.ipv6.neigh.default.gc_thresh2", "net.ipv6.neigh.default.gc_thresh3"},
                                   settings),
                "keep neigh-table across reboots", fix);
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
        {"irq-affinity", "spread a NIC's queue IRQs over its NUMA node's CPUs (RPS for a single-queue NIC)",
         {"rx-drops"}},
        {"conntrack-max", "size nf_conntrack_max and its hash for the observed load, persistently",
         {"conntrack-fill", "conntrack-drops"}},
        {"softnet-backlog", "double net.core.netdev_max_backlog, persistently", {"rx-drops", "softnet-backlog"}},
        {"softnet-budget", "double net.core.netdev_budget and netdev_budget_usecs, persistently", {"rx-drops"}},
        {"port-range", "widen net.ipv4.ip_local_port_range, persistently", {"time-wait"}},
        {"listen-backlog",
         "raise net.core.somaxconn and tcp_max_syn_backlog (x2, at least 4096), turn SYN cookies on, persistently",
         {"listen-overflows", "syn-queue"}},
        {"tcp-mem", "raise net.ipv4.tcp_mem to twice the kernel's default for the RAM, persistently", {"tcp-memory"}},
        {"neigh-table", "size the IPv4/IPv6 neighbour tables (gc_thresh1-3) for the entries seen, persistently",
         {"neigh-table"}},
        {"nic-ring", "raise a NIC's RX ring to the driver's maximum (ethtool -G), with a boot script to keep it",
         {"rx-drops"}},
    };
    return catalogue;
}

std::vector<std::string> plan_context_files(const Snapshot& snapshot) {
    std::vector<std::string> files(std::begin(kFixedPaths), std::end(kFixedPaths));
    for (const auto& info : snapshot.interfaces) {
        for (const int irq : info.irqs) files.push_back(fmt::format("/proc/irq/{}/smp_affinity", irq));
        files.push_back(fmt::format("/sys/class/net/{}/queues/rx-*/rps_cpus", info.name));
    }
    for (auto& file : ring_context_files()) files.push_back(std::move(file));
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
    if (wanted("listen-backlog")) plan_listen_backlog(finding_for(findings, "listen-backlog"), plan);
    if (wanted("tcp-mem")) plan_tcp_mem(snapshot, finding_for(findings, "tcp-mem"), plan);
    if (wanted("neigh-table")) plan_neigh_table(snapshot, findings, !only.empty(), plan);
    if (wanted("nic-ring")) plan_nic_ring(snapshot, findings, context, !only.empty(), result);
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
    if (ring_plannable_path(path)) return true;
    static const std::regex irq_mask(R"(/proc/irq/[0-9]+/smp_affinity)");
    static const std::regex rps_mask(R"(/sys/class/net/[^/]+/queues/rx-[0-9]+/rps_cpus)");
    return std::regex_match(path, irq_mask) || std::regex_match(path, rps_mask);
}

namespace {

// How a sysctl's value is written: one integer, a port pair ("10240 65535"), three integers (tcp_mem).
enum class ValueKind { integer, port_pair, triple };

constexpr std::int64_t kNoBound = std::numeric_limits<std::int64_t>::max();

// One sysctl netdiag writes, with the values it writes (min..max) and those the kernel holds
// (0..kernel_max): a runtime file's `before` may hold anything the kernel does (tcp_syncookies=0 is
// what listen-backlog fixes), what netdiag writes is held to its own bounds (no zero, nothing
// past the kernel's int or what the fixer plans). Unbounded for the older fixers' keys.
struct SysctlKey {
    std::string_view name;
    ValueKind kind = ValueKind::integer;
    std::int64_t min = 0, max = kNoBound, kernel_max = kNoBound;
};

const SysctlKey kSomaxconnKey{"net.core.somaxconn", ValueKind::integer, 1, kSomaxconnCeiling, kIntMax};
const SysctlKey kSynBacklogKey{"net.ipv4.tcp_max_syn_backlog", ValueKind::integer, 1, kIntMax, kIntMax};
// 1: cookies when the SYN queue overflows; 2: always. netdiag never writes 0 (off).
const SysctlKey kSyncookiesKey{"net.ipv4.tcp_syncookies", ValueKind::integer, 1, 2, 2};
const SysctlKey kTcpMemKey{"net.ipv4.tcp_mem", ValueKind::triple, 1, kTcpMemCeiling, kNoBound};
const SysctlKey kNeighKeys[] = {
    {"net.ipv4.neigh.default.gc_thresh1", ValueKind::integer, 1, kIntMax, kIntMax},
    {"net.ipv4.neigh.default.gc_thresh2", ValueKind::integer, 1, kIntMax, kIntMax},
    {"net.ipv4.neigh.default.gc_thresh3", ValueKind::integer, 1, kIntMax, kIntMax},
    {"net.ipv6.neigh.default.gc_thresh1", ValueKind::integer, 1, kIntMax, kIntMax},
    {"net.ipv6.neigh.default.gc_thresh2", ValueKind::integer, 1, kIntMax, kIntMax},
    {"net.ipv6.neigh.default.gc_thresh3", ValueKind::integer, 1, kIntMax, kIntMax},
};

// The runtime files of the bounded keys.
const std::vector<std::pair<std::string_view, const SysctlKey*>>& runtime_keys() {
    static const std::vector<std::pair<std::string_view, const SysctlKey*>> keys{
        {kSomaxconn, &kSomaxconnKey},        {kSynBacklog, &kSynBacklogKey},      {kSyncookies, &kSyncookiesKey},
        {kTcpMem, &kTcpMemKey},              {kNeigh4Thresh[0], &kNeighKeys[0]}, {kNeigh4Thresh[1], &kNeighKeys[1]},
        {kNeigh4Thresh[2], &kNeighKeys[2]}, {kNeigh6Thresh[0], &kNeighKeys[3]}, {kNeigh6Thresh[1], &kNeighKeys[4]},
        {kNeigh6Thresh[2], &kNeighKeys[5]},
    };
    return keys;
}

const SysctlKey* runtime_key(std::string_view path) {
    for (const auto& [runtime, key] : runtime_keys()) {
        if (runtime == path) return key;
    }
    return nullptr;
}

// What each persistent file may set: its fixer's keys, and keys whose values must not decrease in
// the order given (gc_thresh1 <= gc_thresh2 <= gc_thresh3).
struct SysctlFileRule {
    std::string_view path;
    std::vector<SysctlKey> keys;
    std::vector<std::vector<std::string_view>> ordered = {};
};

const std::vector<SysctlFileRule>& sysctl_file_rules() {
    static const std::vector<SysctlFileRule> rules{
        {kConntrackSysctlFile, {{"net.netfilter.nf_conntrack_max"}, {"net.netfilter.nf_conntrack_buckets"}}},
        {kBacklogFile, {{"net.core.netdev_max_backlog"}}},
        {kBudgetFile, {{"net.core.netdev_budget"}, {"net.core.netdev_budget_usecs"}}},
        {kPortRangeFile, {{"net.ipv4.ip_local_port_range", ValueKind::port_pair}}},
        {kListenBacklogFile, {kSomaxconnKey, kSynBacklogKey, kSyncookiesKey}},
        {kTcpMemFile, {kTcpMemKey}},
        {kNeighFile,
         {std::begin(kNeighKeys), std::end(kNeighKeys)},
         {{kNeighKeys[0].name, kNeighKeys[1].name, kNeighKeys[2].name},
          {kNeighKeys[3].name, kNeighKeys[4].name, kNeighKeys[5].name}}},
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

// Why `value` is not one netdiag writes for `key` (`written`), or not one the kernel holds.
std::optional<std::string> value_problem(const SysctlKey& key, std::string_view value, bool written) {
    const std::int64_t low = written ? key.min : 0;
    const std::int64_t high = written ? key.max : key.kernel_max;
    const auto in_bounds = [&](std::string_view number) {
        if (!is_unsigned_integer(number)) return false;
        if (low == 0 && high == kNoBound) return true;
        const auto parsed = parse_i64(number);
        return parsed && *parsed >= low && *parsed <= high;
    };
    const auto range = [&] {
        return high == kNoBound ? fmt::format("at least {}", low) : fmt::format("{}..{}", low, high);
    };
    switch (key.kind) {
        case ValueKind::integer:
            if (!is_unsigned_integer(value)) return std::string("not a non-negative integer");
            if (!in_bounds(value)) return fmt::format("{} is outside {} for {}", value, range(), key.name);
            return std::nullopt;
        case ValueKind::port_pair:
            return is_port_pair(value) ? std::nullopt : std::optional<std::string>("not a port range");
        case ValueKind::triple: {
            const auto words = split_ws(value);
            if (words.size() != 3) return std::string("not three non-negative integers");
            std::int64_t previous = 0;
            for (const auto word : words) {
                if (!is_unsigned_integer(word)) return std::string("not three non-negative integers");
                if (!written) continue;
                if (!in_bounds(word)) return fmt::format("{} is outside {} for {}", word, range(), key.name);
                const auto number = *parse_i64(word);
                if (number < previous) return fmt::format("{} holds a value below the one before it", key.name);
                previous = number;
            }
            return std::nullopt;
        }
    }
    return std::string("not a value netdiag writes");
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
    std::map<std::string_view, std::int64_t> numbers;  // integer keys' values, for the order check
    std::set<std::string_view> seen;
    for (const auto line : lines_of(content)) {
        if (is_comment_or_blank(line)) continue;
        const auto equals = line.find('=');
        const auto name = trim(line.substr(0, equals));
        const auto value = equals == std::string_view::npos ? std::string_view() : trim(line.substr(equals + 1));
        const auto key = std::find_if(rule.keys.begin(), rule.keys.end(), [&](const SysctlKey& k) { return k.name == name; });
        if (key == rule.keys.end()) {
            return fmt::format("sets \"{}\", which is not one of its fix's keys", printable(name));
        }
        // netdiag writes each key once; a second line would silently win at boot.
        if (!seen.insert(key->name).second) return fmt::format("sets {} twice", key->name);
        if (auto problem = value_problem(*key, value, true)) {
            return fmt::format("gives {} the value \"{}\" ({})", key->name, printable(value), *problem);
        }
        if (key->kind == ValueKind::integer) {
            if (const auto number = parse_i64(value)) numbers[key->name] = *number;
        }
    }
    for (const auto& group : rule.ordered) {
        std::optional<std::int64_t> previous;
        for (const auto name : group) {
            const auto found = numbers.find(name);
            if (found == numbers.end()) continue;
            if (previous && found->second < *previous) {
                return fmt::format("sets {} to {}, below the threshold before it", name, found->second);
            }
            previous = found->second;
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
    if (is_ring_path(path) || path == kNicRingScript) return ring_content_problem(path, content);
    if (is_kernel_path(path)) {
        const auto value = trim(content);
        if (path == kPortRange) return is_port_pair(value) ? std::nullopt : fail("not a port range");
        if (path.ends_with("/smp_affinity") || path.ends_with("/rps_cpus")) {
            return is_cpu_mask(value) ? std::nullopt : fail("not a CPU mask");
        }
        if (const auto* key = runtime_key(path)) {
            if (auto problem = value_problem(*key, value, false)) return fail(*problem);
            return std::nullopt;
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

std::optional<std::string> planned_value_problem(const std::string& path, std::string_view content) {
    const auto* key = is_kernel_path(path) ? runtime_key(path) : nullptr;
    if (key == nullptr) return std::nullopt;
    if (auto problem = value_problem(*key, trim(content), true)) return fmt::format("{}: {}", path, *problem);
    return std::nullopt;
}

bool removable_path(const std::string& path) {
    return plannable_path(path) && !is_kernel_path(path) && !is_ring_path(path);
}

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
