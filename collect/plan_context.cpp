#include "collect/plan_context.hpp"

#include <iterator>
#include <map>

#include <fmt/format.h>

#include "collect/parsers.hpp"
#include "common/text.hpp"

namespace netdiag {
namespace {

// Which daemons run. A process's name (/proc/PID/comm) is whatever it chose (prctl PR_SET_NAME),
// so any user could pose as irqbalance and block the irq-affinity fix; the executable it runs
// (/proc/PID/exe) and its uid are not. A daemon counts when its executable's basename is the
// daemon's and it runs as root (real and effective uid 0 in /proc/PID/status). Where the exe link
// cannot be read (an unprivileged SSH login may not read root's), the name stands in, still only
// for a root process: no user can make one.
// "*", not "[0-9]*": every transport's globbing knows it (the in-memory one knows no brackets);
// /proc/self and /proc/thread-self are not a PID and are skipped.
constexpr std::string_view kProcessNames = "/proc/*/comm";
constexpr std::string_view kProcessExecutables = "/proc/*/exe";
constexpr std::string_view kIrqbalance = "irqbalance";
constexpr std::string_view kKubeProxy = "kube-proxy";
// debugfs lists an IRQ's state flags; IRQD_AFFINITY_MANAGED marks the ones whose placement the
// kernel owns (writes to their smp_affinity fail). Without debugfs mounted this stays unknown and
// the applier reports the kernel's refusal instead.
constexpr std::string_view kIrqDebug = "/sys/kernel/debug/irq/irqs/";
constexpr std::string_view kIsolatedCpus = "/sys/devices/system/cpu/isolated";

// "/proc/812/comm" -> "812" when `path` is /proc/PID/<leaf>, else "".
std::string process_of(const std::string& path, std::string_view leaf) {
    if (!starts_with(path, "/proc/")) return "";
    const std::string_view rest = std::string_view(path).substr(6);
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0 || rest.substr(slash + 1) != leaf) return "";
    const auto pid = rest.substr(0, slash);
    if (pid.find_first_not_of("0123456789") != std::string_view::npos) return "";
    return std::string(pid);
}

bool is_process_file(const std::string& path) {
    return !process_of(path, "comm").empty() || !process_of(path, "exe").empty() ||
           !process_of(path, "status").empty();
}

struct Process {
    std::optional<std::string> executable;  // the exe link's target
    std::optional<std::string> comm;
    std::optional<std::string> status;
};

std::map<std::string, Process> processes_of(const std::vector<FileRead>& reads) {
    std::map<std::string, Process> processes;
    for (const auto& read : reads) {
        if (!read.content) continue;
        if (auto pid = process_of(read.path, "exe"); !pid.empty() && read.is_link) {
            processes[pid].executable = read.content;
        } else if (auto comm = process_of(read.path, "comm"); !comm.empty() && !read.is_link) {
            processes[comm].comm = std::string(trim(*read.content));
        } else if (auto status = process_of(read.path, "status"); !status.empty() && !read.is_link) {
            processes[status].status = read.content;
        }
    }
    return processes;
}

// The program a process runs: its executable's basename, without the " (deleted)" the kernel
// adds once the file was replaced (a package upgrade) or removed; its name when the link is unreadable.
std::string program_of(const Process& process) {
    if (!process.executable) return process.comm.value_or("");
    std::string_view target = *process.executable;
    constexpr std::string_view kDeleted = " (deleted)";
    if (target.size() > kDeleted.size() && target.substr(target.size() - kDeleted.size()) == kDeleted) {
        target.remove_suffix(kDeleted.size());
    }
    const auto slash = target.rfind('/');
    return std::string(slash == std::string_view::npos ? target : target.substr(slash + 1));
}

bool is_daemon(std::string_view program) { return program == kIrqbalance || program == kKubeProxy; }

// "Uid:\t0\t0\t0\t0": real and effective uid both 0.
bool runs_as_root(const std::string& status) {
    for (const auto line : lines_of(status)) {
        if (!starts_with(line, "Uid:")) continue;
        const auto fields = split_ws(line.substr(4));
        return fields.size() >= 2 && fields[0] == "0" && fields[1] == "0";
    }
    return false;
}

}  // namespace

std::vector<std::string> daemon_status_paths(const std::vector<FileRead>& reads) {
    std::vector<std::string> paths;
    for (const auto& [pid, process] : processes_of(reads)) {
        if (is_daemon(program_of(process))) paths.push_back(fmt::format("/proc/{}/status", pid));
    }
    return paths;
}

PlanContext plan_context_from_reads(const std::vector<FileRead>& reads) {
    PlanContext context;
    for (const auto& [pid, process] : processes_of(reads)) {
        if (!process.status || !runs_as_root(*process.status)) continue;
        const auto program = program_of(process);
        if (program == kIrqbalance) context.irqbalance_running = true;
        if (program == kKubeProxy) context.kube_proxy_running = true;
    }
    for (const auto& read : reads) {
        if (!read.content || read.is_link || is_process_file(read.path)) continue;
        if (starts_with(read.path, kIrqDebug)) {
            if (read.content->find("IRQD_AFFINITY_MANAGED") != std::string::npos) {
                if (const auto irq = parse_i64(read.path.substr(kIrqDebug.size()))) {
                    context.managed_irqs.insert(static_cast<int>(*irq));
                }
            }
        } else if (read.path == kIsolatedCpus) {
            if (auto isolated = parse_cpu_list(*read.content, read.path)) context.isolated_cpus = *isolated;
        } else {
            context.files[read.path] = *read.content;
        }
    }
    return context;
}

Result<PlanContext> gather_plan_context(Transport& host, const Snapshot& snapshot) {
    ReadRequest request;
    request.files = plan_context_files(snapshot);
    request.files.emplace_back(kProcessNames);
    request.files.emplace_back(kIsolatedCpus);
    request.links.emplace_back(kProcessExecutables);
    for (const auto& info : snapshot.interfaces) {
        for (const int irq : info.irqs) request.files.push_back(fmt::format("{}{}", kIrqDebug, irq));
    }
    auto reads = host.read(request);
    if (!reads) return reads.error();
    for (const auto& read : *reads) {
        // A planned file that exists but cannot be read would make a plan against a wrong "before".
        const bool optional = read.error == "missing" || read.is_link || is_process_file(read.path) ||
                              starts_with(read.path, kIrqDebug);
        if (!read.content && !optional) {
            return make_error(fmt::format("{}: cannot read: {}", read.path, read.error));
        }
    }
    // Then the uid of the few processes that run a daemon's program: a second, small round trip
    // (only where one runs) rather than every process's status in the first.
    if (auto statuses = daemon_status_paths(*reads); !statuses.empty()) {
        ReadRequest second;
        second.files = std::move(statuses);
        auto more = host.read(second);
        if (!more) return more.error();
        reads->insert(reads->end(), std::make_move_iterator(more->begin()), std::make_move_iterator(more->end()));
    }
    return plan_context_from_reads(*reads);
}

}  // namespace netdiag
