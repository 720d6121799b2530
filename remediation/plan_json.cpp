#include "remediation/plan_json.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "common/text.hpp"
#include "remediation/planners.hpp"

namespace netdiag {

nlohmann::json change_to_json(const PlannedChange& change) {
    return {{"path", change.path},
            {"before", change.before ? nlohmann::json(*change.before) : nlohmann::json()},
            {"after", change.after},
            {"reason", change.reason},
            {"fix", change.fix},
            {"remove", change.remove}};
}

PlannedChange change_from_json(const nlohmann::json& json, ChangeSource source) {
    PlannedChange change;
    change.path = json.at("path").get<std::string>();
    if (!json.at("before").is_null()) change.before = json.at("before").get<std::string>();
    change.after = json.at("after").get<std::string>();
    change.reason = json.value("reason", "");
    change.fix = json.value("fix", "");
    change.remove = json.value("remove", false);
    if (auto problem = change_problem(change, source)) throw std::invalid_argument(*problem);
    return change;
}

std::optional<std::string> change_problem(const PlannedChange& change, ChangeSource source) {
    if (!plannable_path(change.path)) {
        return fmt::format("\"{}\" is not a path netdiag plans changes to", printable(change.path));
    }
    const auto& fixers = fixer_catalogue();
    if (!change.fix.empty() &&
        std::none_of(fixers.begin(), fixers.end(), [&](const Fixer& fixer) { return fixer.id == change.fix; })) {
        return fmt::format("{}: \"{}\" is not a fix netdiag has", change.path, printable(change.fix));
    }
    if (change.remove && !removable_path(change.path)) {
        return fmt::format("{}: netdiag removes only the files it creates", change.path);
    }
    if (!change.remove) {
        if (auto problem = content_problem(change.path, change.after)) return problem;
        if (auto problem = planned_value_problem(change.path, change.after)) return problem;
    }
    if (source == ChangeSource::journal) {
        // Undo writes `before` back, or removes the file when there was none.
        if (change.before) {
            if (auto problem = content_problem(change.path, *change.before)) {
                return fmt::format("{}; undo could not put it back (move the file aside or bring it to netdiag's "
                                   "form first)",
                                   *problem);
            }
        } else if (!removable_path(change.path)) {
            return fmt::format("{}: a kernel file cannot have been absent before", change.path);
        }
    }
    return std::nullopt;
}

void refuse_duplicate_paths(const std::vector<PlannedChange>& changes) {
    std::set<std::string> seen;
    for (const auto& change : changes) {
        if (!seen.insert(change.path).second) {
            throw std::invalid_argument(fmt::format("{} appears twice; a change would hide another from undo", change.path));
        }
    }
}

nlohmann::json plan_document(const std::vector<PlannedHost>& hosts, std::int64_t generated_at_unix_ms) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& host : hosts) {
        nlohmann::json changes = nlohmann::json::array();
        for (const auto& change : host.plan.changes) changes.push_back(change_to_json(change));
        out.push_back({{"host", host.plan.host},
                       {"status", host.status},
                       {"error", host.error.empty() ? nlohmann::json() : nlohmann::json(host.error)},
                       {"changes", changes},
                       {"notes", host.plan.notes}});
    }
    return {{"schema", kPlanSchema}, {"generated_at_unix_ms", generated_at_unix_ms}, {"hosts", out}};
}

Result<std::vector<HostPlan>> parse_plan_document(std::string_view text, std::string_view file) {
    try {
        const auto document = nlohmann::json::parse(text);
        if (!document.is_object() || document.value("schema", "") != kPlanSchema) {
            return make_error(fmt::format("{}: not a {} document (from `netdiag fix --json`)", file, kPlanSchema));
        }
        std::vector<HostPlan> plans;
        for (const auto& host : document.at("hosts")) {
            if (host.value("status", "ok") != "ok") continue;  // nothing was planned for it
            HostPlan plan;
            plan.host = host.at("host").get<std::string>();
            if (plan.host.empty() || has_control_characters(plan.host)) {
                throw std::invalid_argument(fmt::format("host \"{}\": not a host name", printable(plan.host)));
            }
            if (std::any_of(plans.begin(), plans.end(), [&](const HostPlan& other) { return other.host == plan.host; })) {
                throw std::invalid_argument(fmt::format("host {} has two plans", plan.host));
            }
            for (const auto& change : host.at("changes")) plan.changes.push_back(change_from_json(change, ChangeSource::plan));
            refuse_duplicate_paths(plan.changes);
            for (const auto& note : host.value("notes", nlohmann::json::array())) plan.notes.push_back(note.get<std::string>());
            plans.push_back(std::move(plan));
        }
        return plans;
    } catch (const nlohmann::json::exception& error) {
        return make_error(fmt::format("{}: not a valid plan: {}", file, error.what()));
    } catch (const std::invalid_argument& error) {
        return make_error(fmt::format("{}: not a valid plan: {}", file, error.what()));
    }
}

}  // namespace netdiag
