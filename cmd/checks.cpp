// netdiag checks: list the catalogue with the thresholds in force.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "common/json_text.hpp"
#include "checks/catalogue.hpp"
#include "cmd/commands.hpp"
#include "cmd/settings_options.hpp"
#include "common/exit_codes.hpp"
#include "common/text.hpp"
#include "remediation/planners.hpp"

namespace netdiag {

void add_checks_command(Cli& cli) {
    auto* checks = cli.app.add_subcommand("checks", "List the checks and their thresholds");
    cli.checks_command = checks;
    checks->add_flag("--json", cli.checks.json, "Print the catalogue as JSON");
    add_settings_flags(*checks, cli.checks.settings);
}

int run_checks(const ChecksOptions& options) {
    int settings_exit = exit_code::kUsage;
    std::vector<std::string> config_files;
    auto settings = build_settings(options.settings, &settings_exit, &config_files);
    if (!settings) {
        fmt::print(stderr, "netdiag: {}\n", settings.error().message);
        return settings_exit;
    }
    nlohmann::json listing = nlohmann::json::array();
    std::string table;
    for (const auto& check : catalogue()) {
        nlohmann::json thresholds = nlohmann::json::object();
        std::string threshold_text;
        for (const auto& [key, value] : settings->thresholds) {
            if (!starts_with(key, std::string(check.threshold_prefix) + ".")) continue;
            thresholds[key] = value;
            threshold_text += fmt::format("{}{}={:g}", threshold_text.empty() ? "" : " ", key, value);
        }
        // The fixes whose plans answer this check's findings (`netdiag fix --only ID`).
        std::vector<std::string> fixes;
        for (const auto& fixer : fixer_catalogue()) {
            if (std::find(fixer.answers.begin(), fixer.answers.end(), check.id) != fixer.answers.end()) {
                fixes.push_back(fixer.id);
            }
        }
        listing.push_back({{"id", check.id},
                           {"summary", check.summary},
                           {"needs", check.needs_rates ? "two samples" : "one sample"},
                           {"reads", check.counters},
                           {"thresholds", thresholds},
                           {"default_from", check.default_from},
                           {"fixes", fixes}});
        table += fmt::format("{:<18} {:<11} {}\n{:<18} {:<11} reads: {}\n", check.id,
                             check.needs_rates ? "rate" : "level", check.summary, "", "", check.counters);
        if (!threshold_text.empty()) {
            table += fmt::format("{:<18} {:<11} {} (default from {})\n", "", "", threshold_text, check.default_from);
        }
        if (!fixes.empty()) table += fmt::format("{:<18} {:<11} fix: {}\n", "", "", fmt::join(fixes, ", "));
    }
    if (options.json) {
        fmt::print("{}\n", json_text(listing));
    } else {
        fmt::print("config: {}\n\n", config_files.empty() ? std::string("none read (defaults); looked for ") +
                                                               printable(fmt::format("{}", fmt::join(default_config_files(), ", ")))
                                                         : printable(fmt::format("{}", fmt::join(config_files, ", "))));
        fmt::print("{:<18} {:<11} {}\n{}", "CHECK", "NEEDS", "WHAT / READS / THRESHOLDS / FIX", table);
    }
    return exit_code::kOk;
}

}  // namespace netdiag
