#include "remediation/plan_json.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "common/text.hpp"
#include "remediation/planners.hpp"

namespace netdiag {

namespace {

// Whether `directory` can be one netdiag made to write `path`: a directory above it, below the
// top level (never /etc itself), named plainly.
bool is_created_directory_of(const std::string& directory, const std::string& path) {
    if (directory.size() < 2 || directory.front() != '/' || has_control_characters(directory) ||
        directory.find('/', 1) == std::string::npos || !starts_with(path, directory + "/")) {
        return false;
    }
    const auto parts = split(std::string_view(directory).substr(1), '/');
    return std::none_of(parts.begin(), parts.end(),
                        [](std::string_view part) { return part.empty() || part == "." || part == ".."; });
}

}  // namespace

nlohmann::json change_to_json(const PlannedChange& change) {
    nlohmann::json json = {{"path", change.path},
                           {"before", change.before ? nlohmann::json(*change.before) : nlohmann::json()},
                           {"after", change.after},
                           {"reason", change.reason},
                           {"fix", change.fix},
                           {"remove", change.remove}};
    if (!change.created_directories.empty()) json["created_directories"] = change.created_directories;
    return json;
}

PlannedChange change_from_json(const nlohmann::json& json, ChangeSource source) {
    PlannedChange change;
    change.path = json.at("path").get<std::string>();
    if (!json.at("before").is_null()) change.before = json.at("before").get<std::string>();
    change.after = json.at("after").get<std::string>();
    change.reason = json.value("reason", "");
    change.fix = json.value("fix", "");
    change.remove = json.value("remove", false);
    if (const auto directories = json.find("created_directories"); directories != json.end()) {
        if (!directories->is_array() || directories->size() > kMaxCreatedDirectories) {
            throw std::invalid_argument(fmt::format("{}: created_directories is not a list of at most {} directories",
                                                    printable(change.path), kMaxCreatedDirectories));
        }
        for (const auto& directory : *directories) change.created_directories.push_back(directory.get<std::string>());
    }
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
    if (!change.created_directories.empty()) {
        if (source != ChangeSource::journal || change.before || change.remove) {
            return fmt::format("{}: only a journal's new file can have created directories", change.path);
        }
        // Undo removes them: each must be one of the directories above this file, below the top level.
        std::string_view outer;
        for (const auto& directory : change.created_directories) {
            if (!is_created_directory_of(directory, change.path) ||
                (!outer.empty() && !starts_with(directory, std::string(outer) + "/"))) {
                return fmt::format("{}: \"{}\" is not a directory above it that netdiag could have made",
                                   change.path, printable(directory));
            }
            outer = directory;
        }
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
