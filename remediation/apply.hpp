// Applying a plan to one host, and undoing it, by DESIGN's fix safety protocol: the journal is
// written on the host first; every path is re-read and the host skipped if anything drifted from
// the plan; each write is read back; a value that did not take rolls the host back. The journal
// (netdiag.journal/v1, under /var/lib/netdiag/journal on the host) is what `netdiag undo` reads,
// so a run killed half-way can still be undone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "remediation/plan.hpp"
#include "remote/transport.hpp"

namespace netdiag {

inline constexpr std::string_view kJournalSchema = "netdiag.journal/v1";
inline constexpr std::string_view kJournalDirectory = "/var/lib/netdiag/journal";

struct Journal {
    std::string id;     // "20261125T030512.123Z-web1": sortable, unique per host and run
    // The file it was read from, and the only one a later state is written to: never a path
    // rebuilt from the content. Empty for a journal this run creates (written to journal_path(id)).
    std::string file;
    std::string host;
    // "started", "applied", "rolled_back", "rollback_failed" (some writes could not be put back),
    // "aborted" (drifted, nothing written), "undone".
    std::string state;
    std::int64_t created_at_unix_ms = 0;
    std::vector<PlannedChange> changes;
};

// Whether `id` has the form make_journal_id gives: "20261202T041501.123Z-web1".
bool valid_journal_id(std::string_view id);
std::string journal_path(const std::string& id);
std::string journal_to_text(const Journal& journal);
// A journal is untrusted input: its id must be one netdiag makes and match the file's name, its
// strings hold no control characters, and its changes are ones netdiag would make (plan_json.hpp).
Result<Journal> parse_journal(std::string_view text, std::string_view file);

// Journals of runs that left nothing standing ("aborted", "rolled_back", "undone") are removed
// this long after they were written, at the host's next `fix --apply`.
inline constexpr std::int64_t kJournalRetentionMs = std::int64_t{30} * 24 * 60 * 60 * 1000;

struct HostOutcome {
    std::string host;
    // "applied", "nothing_to_do", "drifted" (nothing written), "rolled_back" (a value did not
    // take; earlier writes restored), "undone", "error".
    std::string status;
    std::string journal_id;
    std::vector<std::string> messages;  // what happened, one line each, for people
};

// Two readings of one file agree: trimmed text, or the same CPUs for masks.
bool same_value(const std::string& path, const std::optional<std::string>& a, const std::optional<std::string>& b);

// Why a new run must not start on `host`: another run's "started" journal (not `own_id`) that is
// recent or still has writes standing. nullopt when there is none.
std::optional<std::string> unfinished_run(Transport& host, const std::vector<Journal>& journals, const std::string& own_id,
                                          std::int64_t now_unix_ms);

HostOutcome apply_plan(Transport& host, const HostPlan& plan, const std::string& journal_id, std::int64_t now_unix_ms);

// The journals on a host, oldest first, and the files skipped (malformed, not netdiag's, loosely
// owned), one line each. An error when the journal directory itself may have been tampered with:
// not owned by root (or netdiag's user), or writable by group or others, as sshd refuses a loose
// authorized_keys.
struct JournalListing {
    std::vector<Journal> journals;
    std::vector<std::string> skipped;
};
Result<JournalListing> read_journals(Transport& host);

// What undo would change now (as a plan: before = current, after = the journal's before).
// Entries already back to their original are left out; one that drifted is an error.
Result<HostPlan> plan_undo(Transport& host, const Journal& journal);

HostOutcome undo_journal(Transport& host, const Journal& journal);

}  // namespace netdiag
