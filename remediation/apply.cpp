#include "remediation/apply.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "collect/parsers.hpp"
#include "common/json_text.hpp"
#include "common/text.hpp"
#include "remediation/plan_json.hpp"

namespace netdiag {
namespace {

bool is_mask_path(const std::string& path) {
    return path.find("/smp_affinity") != std::string::npos || path.find("/rps_cpus") != std::string::npos;
}

// Current content of each path: nullopt for a file that does not exist.
Result<std::map<std::string, std::optional<std::string>>> read_current(Transport& host,
                                                                         const std::vector<PlannedChange>& changes) {
    ReadRequest request;
    for (const auto& change : changes) request.files.push_back(change.path);
    auto reads = host.read(request);
    if (!reads) return reads.error();
    std::map<std::string, std::optional<std::string>> current;
    for (const auto& change : changes) current[change.path] = std::nullopt;
    for (const auto& read : *reads) {
        if (read.content) {
            current[read.path] = read.content;
        } else if (read.error != "missing") {
            return make_error(fmt::format("{}: cannot read: {}", read.path, read.error));
        }
    }
    return current;
}

std::string shown(const std::optional<std::string>& value) {
    if (!value) return "(no file)";
    const auto text = trim(*value);
    if (text.find('\n') != std::string_view::npos || text.size() > 60) return fmt::format("({} bytes)", value->size());
    return fmt::format("\"{}\"", text);
}

std::vector<std::string_view> split_ws_lines(std::string_view text) {
    std::vector<std::string_view> words;
    for (const auto line : lines_of(text)) {
        for (const auto word : split_ws(line)) words.push_back(word);
    }
    return words;
}

bool refused_as_managed_irq(const std::string& path, const std::string& error) {
    return path.rfind("/proc/irq/", 0) == 0 && path.find("/smp_affinity") != std::string::npos &&
           (error.find("Input/output error") != std::string::npos ||
            error.find("Operation not permitted") != std::string::npos);
}

// The directories above `path`, below the top level, that do not exist yet, outermost first:
// what writing `path` will make, and undo should remove again.
Result<std::vector<std::string>> missing_directories(Transport& host, const std::string& path) {
    std::vector<std::string> above;
    for (auto slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
        if (path.find('/', 1) != slash) above.push_back(path.substr(0, slash));  // not /etc itself
    }
    std::vector<std::string> missing;
    if (above.empty()) return missing;
    auto statuses = host.inspect(above);
    if (!statuses) return statuses.error();
    for (const auto& status : *statuses) {
        if (!status.exists) missing.push_back(status.path);
    }
    return missing;
}

// Removes, innermost first, the directories writing `change`'s new file made, where they are empty
// now; returns what could not be removed.
std::vector<std::string> remove_created_directories(Transport& host, const PlannedChange& change,
                                                    std::vector<std::string>& messages) {
    std::vector<std::string> problems;
    for (auto it = change.created_directories.rbegin(); it != change.created_directories.rend(); ++it) {
        auto status = host.remove_directory(*it);
        if (!status) {
            problems.push_back(fmt::format("could not remove the directory {}: {}", *it, status.error().message));
            break;
        }
        auto gone = host.inspect({*it});
        if (!gone) {
            problems.push_back(gone.error().message);
            break;
        }
        if (gone->front().exists) break;  // something else lives there now: kept, and the ones above it
        messages.push_back(fmt::format("{}: removed the directory netdiag made", *it));
    }
    return problems;
}

Status restore(Transport& host, const PlannedChange& change) {
    return change.before ? host.write_file(change.path, *change.before, FileAccess::shared) : host.remove_file(change.path);
}

// Puts back the first `count` changes in reverse order, and removes the directories their new
// files needed; returns what could not be restored.
std::vector<std::string> roll_back(Transport& host, const std::vector<PlannedChange>& changes, std::size_t count,
                                   std::vector<std::string>& messages) {
    std::vector<std::string> problems;
    for (std::size_t i = count; i-- > 0;) {
        auto status = restore(host, changes[i]);
        if (!status) {
            problems.push_back(fmt::format("could not restore {}: {}", changes[i].path, status.error().message));
            continue;
        }
        for (auto& problem : remove_created_directories(host, changes[i], messages)) problems.push_back(std::move(problem));
    }
    return problems;
}

Status write_journal(Transport& host, Journal& journal, std::string_view state) {
    journal.state = std::string(state);
    if (journal.file.empty()) journal.file = journal_path(journal.id);
    return host.write_file(journal.file, journal_to_text(journal), FileAccess::owner_only);
}

constexpr std::string_view kJournalStates[] = {"started", "applied", "rolled_back", "rollback_failed", "aborted", "undone"};

// The journal directory and the one above it must be root's (or netdiag's user's) and writable by
// nobody else: whoever could write there could plant a journal for undo to act on, or swap the
// directory for one of their own.
Status check_journal_directory(Transport& host) {
    const std::string parent(kJournalDirectory.substr(0, kJournalDirectory.rfind('/')));
    auto statuses = host.inspect({parent, std::string(kJournalDirectory)});
    if (!statuses) return statuses.error();
    for (const auto& status : *statuses) {
        if (!status.exists) continue;
        if (status.type != 'd' || !status.trusted_owner || (status.mode & 022) != 0) {
            return make_error(fmt::format(
                "{}: {}; netdiag trusts journals only in a directory that root owns and only root can write to "
                "(chown root:root {} && chmod 700 {}); nothing written",
                status.path,
                status.type != 'd'       ? std::string("not a directory")
                : !status.trusted_owner ? std::string("not owned by root")
                                        : fmt::format("mode {:04o} lets others write there", status.mode),
                status.path, status.path));
        }
    }
    return Ok{};
}

std::string_view file_name(std::string_view path) { return path.substr(path.rfind('/') + 1); }

// Journals of finished runs past the retention time: nothing in them can still be undone usefully.
std::size_t prune_journals(Transport& host, const std::vector<Journal>& journals, std::int64_t now_unix_ms) {
    std::size_t removed = 0;
    for (const auto& journal : journals) {
        const bool finished = journal.state == "aborted" || journal.state == "rolled_back" || journal.state == "undone";
        if (!finished || journal.file.empty() || now_unix_ms - journal.created_at_unix_ms <= kJournalRetentionMs) continue;
        if (host.remove_file(journal.file)) ++removed;
    }
    return removed;
}

// How long a "started" journal with nothing written yet counts as a run in progress.
constexpr std::int64_t kRunInProgressMs = 15 * 60 * 1000;

}  // namespace

std::optional<std::string> unfinished_run(Transport& host, const std::vector<Journal>& journals, const std::string& own_id,
                                          std::int64_t now_unix_ms) {
    for (const auto& other : journals) {
        if (other.id == own_id || other.state != "started") continue;
        // A journal dated in the future (a clock set back) is not "recent" for ever: only writes
        // it left standing keep it in the way.
        const auto age = now_unix_ms - other.created_at_unix_ms;
        const bool recent = age >= 0 && age < kRunInProgressMs;
        auto pending = plan_undo(host, other);
        if (recent || !pending || !pending->changes.empty()) {
            return fmt::format("another netdiag run has not finished here (journal {}); if it was killed, "
                               "`netdiag undo --journal {}` completes it; nothing written",
                               other.id, other.id);
        }
    }
    return std::nullopt;
}

bool valid_journal_id(std::string_view id) {
    // 20261202T041501.123Z-web1: digits where make_journal_id puts them, then the sanitised host.
    constexpr std::string_view kStamp = "ddddddddTdddddd.dddZ-";
    if (id.size() <= kStamp.size() || id.size() > kStamp.size() + 64) return false;
    for (std::size_t i = 0; i < kStamp.size(); ++i) {
        const char c = id[i];
        if (kStamp[i] == 'd' ? !(c >= '0' && c <= '9') : c != kStamp[i]) return false;
    }
    const auto host = id.substr(kStamp.size());
    if (host.empty()) return false;
    return std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
}

std::string journal_path(const std::string& id) { return fmt::format("{}/{}.json", kJournalDirectory, id); }

std::string journal_to_text(const Journal& journal) {
    nlohmann::json changes = nlohmann::json::array();
    for (const auto& change : journal.changes) changes.push_back(change_to_json(change));
    nlohmann::ordered_json document = {{"schema", kJournalSchema},     {"id", journal.id},
                                       {"host", journal.host},         {"state", journal.state},
                                       {"created_at_unix_ms", journal.created_at_unix_ms}, {"changes", changes}};
    return json_text(document) + "\n";
}

Result<Journal> parse_journal(std::string_view text, std::string_view file) {
    try {
        const auto document = nlohmann::json::parse(text);
        if (document.value("schema", "") != kJournalSchema) {
            return make_error(fmt::format("{}: not a {} journal", file, kJournalSchema));
        }
        Journal journal;
        journal.id = document.at("id").get<std::string>();
        journal.host = document.at("host").get<std::string>();
        journal.state = document.at("state").get<std::string>();
        // Between 1970 and 3000: ages are computed from it and must not overflow.
        const auto& created = document.at("created_at_unix_ms");
        if (!created.is_number_integer() || created.get<std::int64_t>() < 0 ||
            created.get<std::int64_t>() > std::int64_t{32503680000000}) {
            return make_error(fmt::format("{}: created_at_unix_ms is not a time netdiag writes", file));
        }
        journal.created_at_unix_ms = created.get<std::int64_t>();
        if (!valid_journal_id(journal.id)) {
            return make_error(fmt::format("{}: \"{}\" is not a journal id netdiag makes", file, printable(journal.id)));
        }
        if (has_control_characters(journal.host)) {
            return make_error(fmt::format("{}: host \"{}\" holds control characters", file, printable(journal.host)));
        }
        if (std::find(std::begin(kJournalStates), std::end(kJournalStates), journal.state) == std::end(kJournalStates)) {
            return make_error(fmt::format("{}: \"{}\" is not a journal state", file, printable(journal.state)));
        }
        for (const auto& entry : document.at("changes")) {
            journal.changes.push_back(change_from_json(entry, ChangeSource::journal));
        }
        refuse_duplicate_paths(journal.changes);
        return journal;
    } catch (const nlohmann::json::exception& error) {
        return make_error(fmt::format("{}: not a valid journal: {}", file, error.what()));
    } catch (const std::invalid_argument& error) {
        return make_error(fmt::format("{}: not a valid journal: {}", file, error.what()));
    }
}

bool same_value(const std::string& path, const std::optional<std::string>& a, const std::optional<std::string>& b) {
    if (!a || !b) return !a && !b;
    // "32768\t60999\n" and "32768 60999": the kernel's spacing is not part of the value.
    if (split_ws_lines(*a) == split_ws_lines(*b)) return true;
    if (is_mask_path(path)) {
        // The kernel pads masks to its CPU count: "4" and "00000004" are the same CPUs.
        auto left = parse_cpu_mask(*a, path);
        auto right = parse_cpu_mask(*b, path);
        return left && right && *left == *right;
    }
    return false;
}

HostOutcome apply_plan(Transport& host, const HostPlan& plan, const std::string& journal_id, std::int64_t now_unix_ms) {
    HostOutcome outcome{plan.host, "nothing_to_do", journal_id, {}};
    if (plan.changes.empty()) return outcome;
    const auto refuse = [&](std::string message) {
        outcome.status = "error";
        outcome.messages.push_back(std::move(message));
        return outcome;
    };

    // Whatever made the plan, nothing netdiag would not write itself is written; and since the plan
    // becomes a journal, held to a journal's rules (its `before` too), every journal written reads
    // back: a file someone else edited is refused now, not found unreadable by undo later.
    for (const auto& change : plan.changes) {
        if (auto problem = change_problem(change, ChangeSource::journal)) {
            return refuse(fmt::format("refusing the plan: {}; nothing written", *problem));
        }
    }
    try {
        refuse_duplicate_paths(plan.changes);
    } catch (const std::invalid_argument& error) {
        return refuse(fmt::format("refusing the plan: {}; nothing written", error.what()));
    }
    if (!valid_journal_id(journal_id)) return refuse(fmt::format("\"{}\" is not a journal id; nothing written", printable(journal_id)));
    if (auto trusted = check_journal_directory(host); !trusted) return refuse(trusted.error().message);

    // 1. The journal first, so that even a run killed after the first write can be undone.
    Journal journal{journal_id, "", plan.host, "started", now_unix_ms, plan.changes};
    if (auto status = write_journal(host, journal, "started"); !status) {
        return refuse("cannot write the journal: " + status.error().message);
    }

    // Another run that has not finished: one in progress now, or one killed with writes standing.
    // Two runs writing the same files at once would each trust a drift check the other breaks.
    auto listing = read_journals(host);
    if (!listing) {
        (void)write_journal(host, journal, "aborted");
        return refuse("cannot read the journals: " + listing.error().message);
    }
    for (const auto& skipped : listing->skipped) outcome.messages.push_back(skipped);
    if (auto busy = unfinished_run(host, listing->journals, journal_id, now_unix_ms)) {
        (void)write_journal(host, journal, "aborted");
        return refuse(*busy);
    }
    if (const auto pruned = prune_journals(host, listing->journals, now_unix_ms); pruned > 0) {
        outcome.messages.push_back(fmt::format("removed {} journal(s) of finished runs older than {} days", pruned,
                                               kJournalRetentionMs / (24 * 60 * 60 * 1000)));
    }

    // 2. Drift: the host must still hold what the plan was made against.
    auto current = read_current(host, plan.changes);
    if (!current) {
        outcome.status = "error";
        outcome.messages.push_back(current.error().message);
        (void)write_journal(host, journal, "aborted");
        return outcome;
    }
    for (const auto& change : plan.changes) {
        const auto& now = current->at(change.path);
        if (!same_value(change.path, now, change.before)) {
            outcome.status = "drifted";
            outcome.messages.push_back(fmt::format("{} changed since the plan: expected {}, found {}; nothing written",
                                                   change.path, shown(change.before), shown(now)));
        }
    }
    if (outcome.status == "drifted") {
        (void)write_journal(host, journal, "aborted");
        return outcome;
    }
    // New files: the directories they need are journaled with them (before any write), for undo
    // and rollback to remove again.
    bool makes_directories = false;
    for (auto& change : journal.changes) {
        if (change.before || change.remove || is_kernel_path(change.path) || is_ring_path(change.path)) continue;
        auto missing = missing_directories(host, change.path);
        if (!missing) {
            outcome.status = "error";
            outcome.messages.push_back(missing.error().message);
            (void)write_journal(host, journal, "aborted");
            return outcome;
        }
        change.created_directories = std::move(*missing);
        makes_directories = makes_directories || !change.created_directories.empty();
    }
    if (makes_directories) {
        if (auto status = write_journal(host, journal, "started"); !status) {
            outcome.status = "error";
            outcome.messages.push_back("cannot write the journal: " + status.error().message);
            (void)write_journal(host, journal, "aborted");
            return outcome;
        }
    }

    // 3. Write and read back, one change at a time. `written` is what really changed, in order: the
    // only changes a rollback restores and the final journal keeps.
    std::vector<PlannedChange> written;
    const std::vector<PlannedChange> changes = journal.changes;  // journal.changes becomes what was written
    for (const auto& change : changes) {
        const std::optional<std::string> expected = change.remove ? std::nullopt : std::optional(change.after);
        auto status = change.remove ? host.remove_file(change.path) : host.write_file(change.path, change.after, FileAccess::shared);
        if (!status && refused_as_managed_irq(change.path, status.error().message)) {
            // Not a failure of the host: the kernel owns this IRQ's placement (EIO before 6.12, EPERM since).
            outcome.messages.push_back(fmt::format("{}: kernel-managed IRQ, the kernel refuses other affinities; skipped",
                                                   change.path));
            continue;
        }
        written.push_back(change);  // a failed write may have partly taken: restore it too
        std::optional<std::string> failure;
        if (!status) {
            failure = status.error().message;
        } else {
            auto back = read_current(host, {change});
            if (!back) {
                failure = back.error().message;
            } else if (!same_value(change.path, back->at(change.path), expected)) {
                failure = fmt::format("{} reads back {} after writing {}", change.path, shown(back->at(change.path)),
                                      shown(expected));
            }
        }
        if (failure) {
            outcome.status = "rolled_back";
            outcome.messages.push_back(*failure);
            const auto problems = roll_back(host, written, written.size(), outcome.messages);
            for (const auto& problem : problems) outcome.messages.push_back(problem);
            // Whatever could not be restored stays in a journal undo still picks up.
            journal.changes = written;
            (void)write_journal(host, journal, problems.empty() ? "rolled_back" : "rollback_failed");
            if (!problems.empty()) outcome.messages.push_back("`netdiag undo` retries what could not be restored");
            return outcome;
        }
        outcome.messages.push_back(fmt::format("{}: {} -> {}", change.path, shown(change.before), shown(expected)));
    }
    journal.changes = written;
    if (auto status = write_journal(host, journal, "applied"); !status) {
        outcome.messages.push_back("applied, but the journal could not be updated: " + status.error().message);
    }
    outcome.status = "applied";
    return outcome;
}

Result<JournalListing> read_journals(Transport& host) {
    if (auto trusted = check_journal_directory(host); !trusted) return trusted.error();
    ReadRequest request;
    request.files.push_back(std::string(kJournalDirectory) + "/*.json");
    auto reads = host.read(request);
    if (!reads) return reads.error();
    std::vector<std::string> paths;
    for (const auto& read : *reads) paths.push_back(read.path);
    auto statuses = host.inspect(paths);
    if (!statuses) return statuses.error();
    JournalListing listing;
    const auto skip = [&](const std::string& path, const std::string& why) {
        listing.skipped.push_back(fmt::format("{}: {}; skipped (`netdiag undo` ignores it)", printable(path), why));
    };
    for (std::size_t i = 0; i < reads->size(); ++i) {
        const auto& read = (*reads)[i];
        const auto& status = (*statuses)[i];
        // Judged before its content is looked at: a link to another file must not show that file.
        if (status.type != 'f' || !status.trusted_owner || (status.mode & 022) != 0) {
            skip(read.path, "not a regular file that only root can write");
            continue;
        }
        if (!read.content) {
            skip(read.path, "cannot be read: " + read.error);
            continue;
        }
        auto journal = parse_journal(*read.content, read.path);
        if (!journal) {
            listing.skipped.push_back(journal.error().message + "; skipped");
            continue;
        }
        if (file_name(read.path) != journal->id + ".json") {
            skip(read.path, fmt::format("holds journal {}, which is not its name", journal->id));
            continue;
        }
        journal->file = read.path;
        listing.journals.push_back(std::move(journal).value());
    }
    std::sort(listing.journals.begin(), listing.journals.end(),
              [](const Journal& a, const Journal& b) { return a.id < b.id; });
    return listing;
}

Result<HostPlan> plan_undo(Transport& host, const Journal& journal) {
    HostPlan plan;
    plan.host = journal.host;
    auto current = read_current(host, journal.changes);
    if (!current) return current.error();
    // Reverse order: the last change made is the first undone.
    for (auto it = journal.changes.rbegin(); it != journal.changes.rend(); ++it) {
        const auto& now = current->at(it->path);
        if (same_value(it->path, now, it->before)) continue;  // never written (a killed run) or already restored
        if (!same_value(it->path, now, it->after)) {
            return make_error(fmt::format("{}: {} changed since netdiag wrote it: expected {}, found {}; not undoing",
                                          journal.id, it->path, shown(it->after), shown(now)));
        }
        PlannedChange undo;
        undo.path = it->path;
        undo.before = now;
        undo.after = it->before.value_or("");
        undo.remove = !it->before.has_value();
        undo.fix = it->fix;
        undo.reason = fmt::format("undo {} ({})", it->fix, journal.id);
        plan.changes.push_back(std::move(undo));
    }
    return plan;
}

HostOutcome undo_journal(Transport& host, const Journal& journal) {
    HostOutcome outcome{journal.host, "undone", journal.id, {}};
    auto plan = plan_undo(host, journal);
    if (!plan) {
        outcome.status = "drifted";
        outcome.messages.push_back(plan.error().message);
        return outcome;
    }
    for (const auto& change : plan->changes) {
        auto status = change.remove ? host.remove_file(change.path) : host.write_file(change.path, change.after, FileAccess::shared);
        std::optional<std::string> expected;
        if (!change.remove) expected = change.after;
        if (status) {
            auto back = read_current(host, {change});
            if (!back) {
                status = back.error();
            } else if (!same_value(change.path, back->at(change.path), expected)) {
                status = make_error(fmt::format("{} reads back {} after restoring {}", change.path,
                                                shown(back->at(change.path)), shown(expected)));
            }
        }
        if (!status) {
            outcome.status = "error";
            outcome.messages.push_back(status.error().message);
            return outcome;  // the journal stays as it was: undo can be run again
        }
        outcome.messages.push_back(fmt::format("{}: restored {}", change.path, shown(expected)));
    }
    // Everything is back: the directories netdiag made for its files go too, where nothing else
    // has moved in (also on a second undo of a run whose files are already gone).
    for (auto it = journal.changes.rbegin(); it != journal.changes.rend(); ++it) {
        if (it->before) continue;
        const auto problems = remove_created_directories(host, *it, outcome.messages);
        if (!problems.empty()) {
            outcome.status = "error";
            outcome.messages.insert(outcome.messages.end(), problems.begin(), problems.end());
            return outcome;  // the journal stays as it was: undo can be run again
        }
    }
    Journal done = journal;
    if (auto status = write_journal(host, done, "undone"); !status) {
        outcome.messages.push_back("restored, but the journal could not be updated: " + status.error().message);
    }
    return outcome;
}

}  // namespace netdiag
