// Fixers: pure functions from a host's findings, its snapshot and a little more of its state
// (PlanContext) to a plan. They never read or write anything themselves; `netdiag fix` gathers the
// context through the host's transport, and tests build it inline.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "checks/finding.hpp"
#include "collect/snapshot.hpp"
#include "remediation/plan.hpp"

namespace netdiag {

// What planning needs beyond the snapshot.
struct PlanContext {
    bool irqbalance_running = false;  // it would rewrite any affinity netdiag sets
    bool kube_proxy_running = false;  // it sets nf_conntrack_max itself
    bool force = false;               // --force: spread IRQs even with irqbalance running
    std::set<int> managed_irqs;       // the kernel owns their affinity (debugfs "flags: ... MANAGED")
    std::set<int> isolated_cpus;      // isolcpus / nohz_full: no IRQs go there
    // Current content of every file a planner may change, as read from the host; a path that is
    // absent here does not exist there.
    std::map<std::string, std::string> files;
};

struct Fixer {
    std::string id;       // "conntrack-max": what findings name in `fix` and `--only` takes
    std::string summary;  // for --help and `netdiag fix --list`
    std::vector<std::string> answers;  // the checks whose findings name it (`netdiag checks` shows them)
};

const std::vector<Fixer>& fixer_catalogue();

// Files PlanContext::files must hold for `snapshot`: the runtime values the planners change and
// the persistent files they write, as ReadRequest patterns.
std::vector<std::string> plan_context_files(const Snapshot& snapshot);

// The plan for one host. A fixer runs when a finding names it, or when `only` names it (a user who
// asks for a fix by name gets its plan even when no check fired); `only` empty means every fixer
// that a finding names.
HostPlan plan_fixes(const Snapshot& snapshot, const std::vector<Finding>& findings, const PlanContext& context,
                    const std::set<std::string>& only);

// Whether `path` is one netdiag's planners write: the sysctls and files they plan, IRQ masks, RPS
// masks. Plans and journals read from files are held to this, so no file can make netdiag write
// elsewhere.
bool plannable_path(const std::string& path);

// Why `content` is not something netdiag itself writes at `path` (nullopt when it is): a runtime
// file holds an integer, a port pair, three integers (tcp_mem) or a CPU mask, within what the kernel
// holds there; a sysctl.d file only its fixer's own keys, each once, within netdiag's bounds; the
// modules-load.d file only nf_conntrack; the IRQ script only the lines netdiag generates. Plans
// and journals read from files are held to this for every value netdiag would write, so a planted
// file can neither set another sysctl at boot nor ship a script of its own.
std::optional<std::string> content_problem(const std::string& path, std::string_view content);

// Why netdiag would never write `content` to the runtime file `path` (nullopt when it might): the
// bounds its planners keep for the sysctls that have them (somaxconn 1..65535, tcp_syncookies 1..2,
// tcp_mem three ordered page counts, gc_thresh 1..INT_MAX). content_problem accepts whatever the
// kernel holds there, since a journal's `before` is the host's old value (tcp_syncookies=0); this
// holds what a plan or journal says netdiag writes (`after`) to netdiag's own bounds.
std::optional<std::string> planned_value_problem(const std::string& path, std::string_view content);

// The files netdiag may remove (on undo): the persistent files it creates, never a kernel file.
bool removable_path(const std::string& path);

// A CPU set as the kernel prints smp_affinity for `cpu_count` CPUs: comma-separated 32-bit hex
// groups, most significant first ("00000000,00000010").
std::string format_cpu_mask(const std::set<int>& cpus, int cpu_count);

// One CPU per IRQ, round robin over `cpus` (sorted), in the order the IRQs are given.
std::map<int, int> spread_irqs(const std::vector<int>& irqs, const std::vector<int>& cpus);

}  // namespace netdiag
