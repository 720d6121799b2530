// What `netdiag fix` reads from a host beyond a snapshot: the current content of every file the
// planners may change, and whether irqbalance or kube-proxy run there, and which IRQs the kernel
// manages. Read through the host's transport in one round trip, and a second for the uid of
// processes that run irqbalance or kube-proxy (a daemon counts only as root: see plan_context.cpp).
#pragma once

#include "collect/snapshot.hpp"
#include "remediation/planners.hpp"
#include "remote/transport.hpp"

namespace netdiag {

Result<PlanContext> gather_plan_context(Transport& host, const Snapshot& snapshot);

// Pure: the context from what the host returned (exposed for tests): both round trips' reads.
PlanContext plan_context_from_reads(const std::vector<FileRead>& reads);
// The /proc/PID/status files the second round trip reads: processes whose executable (or, where
// its link is unreadable, name) is irqbalance's or kube-proxy's.
std::vector<std::string> daemon_status_paths(const std::vector<FileRead>& reads);

}  // namespace netdiag
