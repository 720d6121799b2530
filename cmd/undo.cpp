// netdiag undo: put back what a `netdiag fix --apply` changed, from the journal it left on each
// host, with the same drift check and read back; --dry-run shows the diff first.
#include <unistd.h>

#include <fmt/format.h>

#include "report/build_info.hpp"
#include "cmd/commands.hpp"
#include "cmd/fleet_options.hpp"
#include "cmd/interrupt.hpp"
#include "cmd/remediation_common.hpp"
#include "cmd/settings_options.hpp"
#include "common/exit_codes.hpp"
#include "common/json_text.hpp"
#include "common/text.hpp"
#include "remediation/diff.hpp"

namespace netdiag {

void add_undo_command(Cli& cli) {
    auto& options = cli.undo;
    auto* undo = cli.app.add_subcommand("undo", "Restore what `netdiag fix --apply` changed, from its journal on each host");
    cli.undo_command = undo;
    add_root_option(*undo, options.root, "Work on a copied host tree instead of this host");
    undo->add_option("--journal", options.journal, "The journal to undo (default: each host's latest one not undone)")
        ->type_name("ID");
    undo->add_flag("--dry-run", options.dry_run, "Show what would be restored, as unified diffs, and change nothing");
    undo->add_flag("-y,--yes", options.yes, "Do not ask (needed without a terminal when restoring several hosts)");
    undo->add_flag("--json", options.json, "With --dry-run: the undo plan as JSON (netdiag.plan/v1)");
    add_fleet_flags(*undo, options.fleet);
    for (const char* remote : {"inventory", "--hosts"}) undo->get_option(remote)->excludes(undo->get_option("--root"));
    undo->footer(kRemediationExitHelp);
}

namespace {

// The journal to undo on a host: the one named, or the latest whose changes may still stand
// (none when there is none of the latter); and the journal files skipped on the way.
struct PickedJournal {
    std::optional<Journal> journal;
    std::vector<std::string> skipped;
};

Result<PickedJournal> pick_journal(Transport& host, const std::optional<std::string>& wanted) {
    auto listing = read_journals(host);
    if (!listing) return listing.error();
    PickedJournal picked{std::nullopt, listing->skipped};
    const auto& journals = listing->journals;
    for (auto it = journals.rbegin(); it != journals.rend(); ++it) {
        if (wanted) {
            if (it->id != *wanted) continue;
            picked.journal = *it;
            return picked;
        }
        if (it->state != "applied" && it->state != "started" && it->state != "rollback_failed") continue;
        // A run killed before its first write leaves a "started" journal with nothing to undo:
        // look past it to the fix before.
        if (it->state == "started") {
            if (auto plan = plan_undo(host, *it); plan && plan->changes.empty()) continue;
        }
        picked.journal = *it;
        return picked;
    }
    if (wanted) return make_error(fmt::format("no journal {} on this host", printable(*wanted)));
    return picked;
}

constexpr const char* kNothingToUndo = "nothing to undo: no journal of an applied fix on this host";

}  // namespace

int run_undo(const UndoOptions& options) {
    int exit_on_error = exit_code::kUsage;
    auto hosts = HostSet::resolve(options.fleet, options.root, default_settings(), &exit_on_error);
    if (!hosts) return report_error(hosts.error().message, exit_on_error);
    const auto& targets = (*hosts)->targets();

    if (options.dry_run || options.json) {
        InterruptWatch watch;
        std::vector<PlannedHost> planned(targets.size());
        run_bounded(targets.size(), (*hosts)->forks(), watch.stop(), [&](std::size_t index) {
            planned[index] = with_host(**hosts, index, [&](Transport& transport) {
                auto picked = pick_journal(transport, options.journal);
                if (!picked) return host_failure(targets[index].name, "error", picked.error().message);
                PlannedHost result;
                result.plan.host = targets[index].name;
                if (!picked->journal) {
                    result.plan.notes = picked->skipped;
                    result.plan.notes.push_back(kNothingToUndo);
                    return result;
                }
                const auto& journal = *picked->journal;
                auto plan = plan_undo(transport, journal);
                if (!plan) return host_failure(targets[index].name, "drifted", plan.error().message);
                result.plan = std::move(plan).value();
                result.plan.host = targets[index].name;
                result.plan.notes = picked->skipped;
                result.plan.notes.push_back(fmt::format("undo of journal {} ({})", journal.id, journal.state));
                return result;
            });
        });
        for (std::size_t i = 0; i < targets.size(); ++i) {
            if (planned[i].plan.host.empty()) planned[i] = host_failure(targets[i].name, "error", "interrupted before it finished");
        }
        if (options.json) {
            fmt::print("{}\n", json_text(with_build_info(plan_document(planned, now_unix_ms()))));
        } else {
            for (const auto& host : planned) {
                if (host.status != "ok") fmt::print("# host: {}: {}: {}\n", printable(host.plan.host), host.status, printable(host.error));
                else fmt::print("{}", render_plan_diff(host.plan));
            }
        }
        if (watch.interrupted()) return exit_code::kInterrupted;
        int code = exit_code::kOk;
        for (const auto& host : planned) {
            if (host.status == "drifted" || host.status == "error") code = exit_code::kCritical;
            else if (host.status != "ok" && code == exit_code::kOk) code = exit_code::kUnknown;
        }
        return code;
    }

    if (!options.yes && ::isatty(STDIN_FILENO) == 1) {
        const auto what = options.journal ? "journal " + *options.journal : std::string("the latest applied fix");
        if (!confirm(fmt::format("Undo {} on {} host(s)? (--dry-run shows what it restores)", what, targets.size()))) {
            return report_error("not undone", exit_code::kOk);
        }
    } else if ((*hosts)->remote() && targets.size() > 1 && !options.yes) {
        return report_error(fmt::format("refusing to undo on {} hosts without a terminal to confirm on; pass --yes",
                                        targets.size()),
                            exit_code::kUsage);
    }
    InterruptWatch watch;  // from here Ctrl-C lets started hosts finish and starts no more
    std::vector<std::size_t> all(targets.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    const auto outcomes = roll_out(**hosts, all, (*hosts)->forks(), static_cast<int>(targets.size()) + 1, watch.stop(),
                                   [&](std::size_t index, Transport& transport) {
                                       auto picked = pick_journal(transport, options.journal);
                                       if (!picked) {
                                           return HostOutcome{targets[index].name, "error", "", {picked.error().message}};
                                       }
                                       auto messages = picked->skipped;
                                       if (!picked->journal) {
                                           messages.push_back(kNothingToUndo);
                                           return HostOutcome{targets[index].name, "nothing_to_do", "", messages};
                                       }
                                       auto outcome = undo_journal(transport, *picked->journal);
                                       outcome.host = targets[index].name;
                                       messages.insert(messages.end(), outcome.messages.begin(), outcome.messages.end());
                                       outcome.messages = std::move(messages);
                                       return outcome;
                                   });
    if (watch.interrupted()) return exit_code::kInterrupted;
    return outcome_exit_code(outcomes, true);
}

}  // namespace netdiag
