// netdiag fix: sample each host, plan the fixes its findings call for, show them as diffs or as
// JSON, and with --apply make them by the safety protocol (remediation/apply.hpp), a few hosts at a time.
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cmd/commands.hpp"
#include "cmd/fleet_options.hpp"
#include "cmd/interrupt.hpp"
#include "cmd/remediation_common.hpp"
#include "cmd/settings_options.hpp"
#include "collect/parsers.hpp"
#include "collect/plan_context.hpp"
#include "common/exit_codes.hpp"
#include "common/json_text.hpp"
#include "common/text.hpp"
#include "remediation/apply.hpp"
#include "remediation/diff.hpp"
#include "remediation/plan_json.hpp"
#include "remediation/planners.hpp"
#include "report/bars.hpp"
#include "report/build_info.hpp"
#include "scan/scan_host.hpp"

namespace netdiag {

namespace {

// `netdiag fix --list`: one line per fix, with the checks it answers.
std::string fixer_listing() {
    std::string text = fmt::format("{:<16} {:<34} {}\n", "FIX", "ANSWERS CHECKS", "WHAT IT CHANGES");
    for (const auto& fixer : fixer_catalogue()) {
        text += fmt::format("{:<16} {:<34} {}\n", fixer.id, fmt::format("{}", fmt::join(fixer.answers, ",")), fixer.summary);
    }
    return text;
}

// Under an irq-affinity plan's diffs: queue IRQs per CPU by their affinity masks, before and after
// (an IRQ allowed on several CPUs counts on each). Empty when the plan moves no IRQ.
std::string irq_placement_picture(const HostPlan& plan, const BarStyle& style) {
    std::map<std::string, int> before, after;
    int moved = 0;
    for (const auto& change : plan.changes) {
        if (change.fix != "irq-affinity" || !change.path.ends_with("/smp_affinity") || !change.before) continue;
        auto was = parse_cpu_mask(*change.before, change.path);
        auto will = parse_cpu_mask(change.after, change.path);
        if (!was || !will) continue;
        ++moved;
        for (const int cpu : *was) ++before["CPU" + std::to_string(cpu)];
        for (const int cpu : *will) ++after["CPU" + std::to_string(cpu)];
    }
    if (moved == 0) return "";
    return fmt::format("# {}: queue IRQs per CPU, before {} after ({} IRQs):\n", printable(plan.host),
                       style.unicode ? "\u2192" : "->", moved) +
           before_after_chart(before, after, style, "#   ");
}

}  // namespace

void add_fix_command(Cli& cli) {
    auto& options = cli.fix;
    auto* fix = cli.app.add_subcommand(
        "fix", "Plan the changes that cure what a scan finds, as diffs; apply them with --apply; undo with `netdiag undo`");
    cli.fix_command = fix;
    add_root_option(*fix, options.root, "Work on a copied host tree (DIR/proc, DIR/sys, DIR/etc) instead of this host");
    add_interval_option(*fix, options.interval_seconds, "Seconds between the two samples the plan is made from");
    auto* dry_run = fix->add_flag("--dry-run", options.dry_run, "Show the plan as unified diffs and change nothing (the default)");
    auto* apply = fix->add_flag("--apply", options.apply, "Make the changes (asks first unless --yes)");
    dry_run->excludes(apply);
    fix->add_flag("-y,--yes", options.yes, "Do not ask before applying (needed without a terminal)");
    fix->add_flag("--json", options.json, "Print the plan as JSON (netdiag.plan/v1) instead of diffs");
    fix->add_flag("--force", options.force, "Plan IRQ affinity even though irqbalance runs (it will move them again)");
    fix->add_option("--plan", options.plan_file, "Use a saved plan (netdiag fix --json) instead of planning anew")
        ->type_name("FILE")
        ->check(CLI::ExistingFile);
    fix->add_option("--serial", options.serial, "Hosts changed at once")
        ->type_name("N")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    fix->add_option("--max-fail", options.max_fail, "Stop the rollout after N hosts failed")
        ->type_name("N")
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();
    fix->add_option("--color", options.color, "Draw queue IRQs per CPU before and after under the diffs")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
    add_settings_flags(*fix, options.settings);
    fix->remove_option(fix->get_option("--only"));  // the checks' --only: here --only picks fixes
    std::string fixes;
    for (const auto& fixer : fixer_catalogue()) {
        fixes += fmt::format("\n  {:<16} {} (for {})", fixer.id, fixer.summary, fmt::join(fixer.answers, ", "));
    }
    fix->add_option("--only", options.only, "Comma-separated fixes to plan, even when no check asked for them:" + fixes)
        ->type_name("FIXES");
    // Handled while parsing, like --help: it needs no host and nothing else on the command line.
    fix->add_flag_callback(
        "--list",
        [] {
            fmt::print("{}", fixer_listing());
            throw CLI::Success();
        },
        "List the fixes, what each changes and the checks whose findings call for it, and exit");
    add_fleet_flags(*fix, options.fleet);
    for (const char* remote : {"inventory", "--hosts"}) fix->get_option(remote)->excludes(fix->get_option("--root"));
    fix->footer(kRemediationExitHelp);
}

namespace {

Result<std::set<std::string>> parse_only(const std::optional<std::string>& only) {
    std::set<std::string> ids;
    if (!only) return ids;
    for (const auto part : split(*only, ',')) {
        const std::string id(trim(part));
        if (id.empty()) continue;
        const auto& catalogue = fixer_catalogue();
        if (std::none_of(catalogue.begin(), catalogue.end(), [&](const Fixer& f) { return f.id == id; })) {
            return make_error(fmt::format("--only: unknown fix \"{}\" (see `netdiag fix --help`)", id));
        }
        ids.insert(id);
    }
    return ids;
}

// The plan for one sampled host, made through the session its samples came by.
PlannedHost plan_one(const FleetTarget& target, const FleetSample& sample, const std::set<std::string>& only,
                     bool force) {
    if (sample.failure) return host_failure(target.name, sample.failure->status, sample.failure->message);
    const HostResult result = evaluate_samples(sample.samples, *target.settings);
    auto context = gather_plan_context(*sample.transport, sample.samples.back());
    if (!context) return host_failure(target.name, "error", context.error().message);
    context->force = force;
    PlannedHost planned;
    planned.plan = plan_fixes(sample.samples.back(), result.findings, *context, only);
    planned.plan.host = target.name;
    return planned;
}

// The saved plan for each target, by host name; a lone local target takes a lone plan.
Result<std::vector<PlannedHost>> plans_from_file(const std::string& file, const HostSet& hosts) {
    auto text = read_text_file(file);
    if (!text) return text.error();
    auto plans = parse_plan_document(*text, file);
    if (!plans) return plans.error();
    std::vector<PlannedHost> result;
    for (const auto& target : hosts.targets()) {
        PlannedHost planned;
        planned.plan.host = target.name;
        const auto found = std::find_if(plans->begin(), plans->end(), [&](const HostPlan& p) { return p.host == target.name; });
        if (found != plans->end()) {
            planned.plan = *found;
        } else if (!hosts.remote() && plans->size() == 1) {
            planned.plan = plans->front();
            planned.plan.host = target.name;
        } else {
            planned = host_failure(target.name, "error", fmt::format("{} holds no plan for this host", file));
        }
        result.push_back(std::move(planned));
    }
    return result;
}

}  // namespace

int run_fix(const FixOptions& options) {
    int exit_on_error = exit_code::kUsage;
    auto settings = build_settings(options.settings, &exit_on_error);
    if (!settings) return report_error(settings.error().message, exit_on_error);
    auto only = parse_only(options.only);
    if (!only) return report_error(only.error().message, exit_code::kUsage);
    if (options.apply && !options.yes && ::isatty(STDIN_FILENO) != 1) {
        return report_error("refusing to apply without a terminal to confirm on; review the plan, then pass --yes",
                            exit_code::kUsage);
    }
    auto hosts = HostSet::resolve(options.fleet, options.root, *settings, &exit_on_error);
    if (!hosts) return report_error(hosts.error().message, exit_on_error);
    const auto& targets = (*hosts)->targets();

    std::vector<PlannedHost> planned(targets.size());
    bool interrupted = false;
    if (options.plan_file) {
        auto loaded = plans_from_file(*options.plan_file, **hosts);
        if (!loaded) return report_error(loaded.error().message, exit_code::kDataError);
        planned = std::move(loaded).value();
    } else {
        const auto interval = std::chrono::milliseconds(static_cast<std::int64_t>(options.interval_seconds * 1000));
        InterruptWatch watch;
        (*hosts)->stop_on(&watch.stop());
        sample_fleet(targets, (*hosts)->connector(), (*hosts)->forks(), interval, watch.stop(),
                     [&](std::size_t index, const FleetSample& sample) {
                         try {
                             planned[index] = plan_one(targets[index], sample, *only, options.force);
                         } catch (const std::exception& error) {
                             planned[index] = host_failure(targets[index].name, "error", error.what());
                         }
                     });
        interrupted = watch.interrupted();
        (*hosts)->stop_on(nullptr);  // applying finishes what it starts
        for (std::size_t i = 0; i < targets.size(); ++i) {
            if (planned[i].plan.host.empty()) planned[i] = host_failure(targets[i].name, "error", "interrupted before it finished");
        }
    }
    if (options.root) {
        for (auto& host : planned) {
            if (host.status != "ok") return report_error(fmt::format("{}: {}", *options.root, host.error), exit_code::kDataError);
        }
    }

    // Pictures only where people read the plan (a script applying it reads the diffs or JSON).
    const bool pictures = options.color == "always" || (options.color == "auto" && ::isatty(STDOUT_FILENO) == 1 &&
                                                        std::getenv("NO_COLOR") == nullptr);
    BarStyle style;
    style.unicode = utf8_locale();
    if (options.json) {
        fmt::print("{}\n", json_text(with_build_info(plan_document(planned, now_unix_ms()))));
    } else {
        for (const auto& host : planned) {
            if (host.status != "ok") {
                fmt::print("# host: {}: {}: {}\n", printable(host.plan.host), host.status, printable(host.error));
            } else {
                fmt::print("{}", render_plan_diff(host.plan));
                if (pictures) fmt::print("{}", irq_placement_picture(host.plan, style));
            }
        }
    }
    if (interrupted) return report_error("interrupted; nothing was changed", exit_code::kInterrupted);
    const bool all_planned =
        std::all_of(planned.begin(), planned.end(), [](const PlannedHost& h) { return h.status == "ok"; });
    if (!options.apply) return all_planned ? exit_code::kOk : exit_code::kUnknown;

    std::vector<std::size_t> to_change;
    std::size_t changes = 0;
    for (std::size_t i = 0; i < planned.size(); ++i) {
        if (planned[i].status == "ok" && !planned[i].plan.changes.empty()) {
            to_change.push_back(i);
            changes += planned[i].plan.changes.size();
        }
    }
    if (to_change.empty()) {
        fmt::print(stderr, "netdiag: nothing to apply\n");
        return all_planned ? exit_code::kOk : exit_code::kUnknown;
    }
    if (!options.yes && !confirm(fmt::format("Apply {} change(s) to {} host(s)?", changes, to_change.size()))) {
        return report_error("not applied", exit_code::kOk);
    }

    InterruptWatch watch;  // from here Ctrl-C lets started hosts finish and starts no more
    const auto outcomes = roll_out(**hosts, to_change, options.serial, options.max_fail, watch.stop(),
                                   [&](std::size_t index, Transport& transport) {
                                       return apply_plan(transport, planned[index].plan,
                                                         make_journal_id(targets[index].name), now_unix_ms());
                                   });
    if (watch.interrupted()) {
        fmt::print(stderr, "netdiag: interrupted; hosts already started were finished, no others were started\n");
        return exit_code::kInterrupted;
    }
    return outcome_exit_code(outcomes, all_planned);
}

}  // namespace netdiag
