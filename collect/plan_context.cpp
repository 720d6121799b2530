#include "collect/plan_context.hpp"

#include <fmt/format.h>

#include "collect/parsers.hpp"
#include "common/text.hpp"

namespace netdiag {
namespace {

constexpr std::string_view kProcessNames = "/proc/[0-9]*/comm";
// debugfs lists an IRQ's state flags; IRQD_AFFINITY_MANAGED marks the ones whose placement the
// kernel owns (writes to their smp_affinity fail). Without debugfs mounted this stays unknown and
// the applier reports the kernel's refusal instead.
constexpr std::string_view kIrqDebug = "/sys/kernel/debug/irq/irqs/";
constexpr std::string_view kIsolatedCpus = "/sys/devices/system/cpu/isolated";

bool is_process_name(const std::string& path) {
    return starts_with(path, "/proc/") && path.size() > 11 && path.compare(path.size() - 5, 5, "/comm") == 0;
}

}  // namespace

PlanContext plan_context_from_reads(const std::vector<FileRead>& reads) {
    PlanContext context;
    for (const auto& read : reads) {
        if (!read.content || read.is_link) continue;
        if (is_process_name(read.path)) {
            const auto name = trim(*read.content);
            if (name == "irqbalance") context.irqbalance_running = true;
            if (name == "kube-proxy") context.kube_proxy_running = true;
        } else if (starts_with(read.path, kIrqDebug)) {
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
    for (const auto& info : snapshot.interfaces) {
        for (const int irq : info.irqs) request.files.push_back(fmt::format("{}{}", kIrqDebug, irq));
    }
    auto reads = host.read(request);
    if (!reads) return reads.error();
    for (const auto& read : *reads) {
        // A planned file that exists but cannot be read would make a plan against a wrong "before".
        const bool optional = read.error == "missing" || is_process_name(read.path) ||
                              starts_with(read.path, kIrqDebug);
        if (!read.content && !optional) {
            return make_error(fmt::format("{}: cannot read: {}", read.path, read.error));
        }
    }
    return plan_context_from_reads(*reads);
}

}  // namespace netdiag
