// A plan is data: what `netdiag fix` would change on one host, and why. Planners (pure functions
// of findings and a snapshot) produce it; --dry-run renders it as unified diffs; the applier
// re-reads each path against `before` (drift check), writes `after`, reads it back and journals it.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace netdiag {

struct PlannedChange {
    std::string path;                   // "/proc/sys/net/netfilter/nf_conntrack_max", "/etc/sysctl.d/60-netdiag.conf"
    std::optional<std::string> before;  // the content the plan was made against; nullopt: the file must not exist
    std::string after;                  // the content to write
    std::string reason;                 // one line: the finding it cures
    std::string fix;                    // fix id: "conntrack-max", "irq-affinity", ...
    bool remove = false;                // undo of a file netdiag created: delete it (`after` unused)
    // Journal only: the directories writing a new file made ("/etc/netdiag"), outermost first;
    // undo removes them again, innermost first, where they are empty.
    std::vector<std::string> created_directories{};
};

struct HostPlan {
    std::string host;
    std::vector<PlannedChange> changes;  // applied in order, rolled back in reverse
    std::vector<std::string> notes;      // what was skipped and why (managed IRQs, irqbalance, kube-proxy)
};

}  // namespace netdiag
