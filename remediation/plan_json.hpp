// Plans as JSON (netdiag.plan/v1): `netdiag fix --json` prints them, `netdiag fix --plan FILE`
// applies a saved one exactly, after the same drift check.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "remediation/plan.hpp"

namespace netdiag {

inline constexpr std::string_view kPlanSchema = "netdiag.plan/v1";

// One host's planning result: a plan, or why there is none.
struct PlannedHost {
    HostPlan plan;
    std::string status = "ok";  // "ok", or the host's failure status ("unreachable", "error", ...)
    std::string error;
};

// One change as both plans and journals store it; change_from_json throws nlohmann's exceptions,
// or std::invalid_argument for a change netdiag would never make: a path it does not plan, content
// it would not write there (content_problem), a removal of anything but its own persistent files.
// A journal's `before` is checked like `after`, since undo writes it; its created_directories
// (at most kMaxCreatedDirectories, outermost first) must be directories above the change's new
// file, below the top level, since undo removes them when empty.
enum class ChangeSource { plan, journal };
inline constexpr std::size_t kMaxCreatedDirectories = 8;
nlohmann::json change_to_json(const PlannedChange& change);
PlannedChange change_from_json(const nlohmann::json& json, ChangeSource source);
// Why netdiag would never make `change` (nullopt when it would): the rules change_from_json applies.
std::optional<std::string> change_problem(const PlannedChange& change, ChangeSource source);

// Refuses a list of changes that names one path twice: the second would hide the first from undo.
void refuse_duplicate_paths(const std::vector<PlannedChange>& changes);

nlohmann::json plan_document(const std::vector<PlannedHost>& hosts, std::int64_t generated_at_unix_ms);
Result<std::vector<HostPlan>> parse_plan_document(std::string_view text, std::string_view file);

}  // namespace netdiag
