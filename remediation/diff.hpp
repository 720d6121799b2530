// Plans for people: unified diffs, as `diff -u` and git print them, grouped by host.
#pragma once

#include <optional>
#include <string>

#include "remediation/plan.hpp"

namespace netdiag {

// The diff turning `before` into `after` for `path` (nullopt before: a new file; `removed`: the
// file goes away), with three lines of context. Empty when they are the same.
std::string unified_diff(const std::string& path, const std::optional<std::string>& before, const std::string& after,
                         bool removed = false);

// "# host: NAME", then each change's reason and diff, then the notes; or that there is nothing to fix.
std::string render_plan_diff(const HostPlan& plan);

}  // namespace netdiag
