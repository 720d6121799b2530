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
    std::string id;     // "20261125T030512Z-web1": sortable, unique per host and run
    std::string host;
    // "started", "applied", "rolled_back", "rollback_failed" (some writes could not be put back),
    // "aborted" (drifted, nothing written), "undone".
    std::string state;
    std::int64_t created_at_unix_ms = 0;
    std::vector<PlannedChange> changes;
};

std::string journal_path(const std::string& id);
std::string journal_to_text(const Journal& journal);
Result<Journal> parse_journal(std::string_view text, std::string_view file);

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
std::optional<std::string> unfinished_run(Transport& host, const std::string& own_id, std::int64_t now_unix_ms);

HostOutcome apply_plan(Transport& host, const HostPlan& plan, const std::string& journal_id, std::int64_t now_unix_ms);

// The journals on a host, oldest first.
Result<std::vector<Journal>> read_journals(Transport& host);

// What undo would change now (as a plan: before = current, after = the journal's before).
// Entries already back to their original are left out; one that drifted is an error.
Result<HostPlan> plan_undo(Transport& host, const Journal& journal);

HostOutcome undo_journal(Transport& host, const Journal& journal);

}  // namespace netdiag
