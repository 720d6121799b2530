// The fix safety protocol on an in-memory host: journal first, drift check, read back, roll back, undo.
#include <catch2/catch.hpp>

#include <algorithm>

#include "remediation/apply.hpp"
#include "remediation/plan_json.hpp"
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
    const auto outcome = apply_plan(host, conntrack_plan(), "20261125T030000Z-web1", 1);
    CHECK(outcome.status == "applied");
    CHECK(host.writes.front() == journal_path("20261125T030000Z-web1"));
    CHECK(host.files.at(kMax) == "524288\n");
    CHECK(host.files.at(kBuckets) == "131072\n");
    CHECK(host.files.at(kPersist) == "net.netfilter.nf_conntrack_max = 524288\n");
    CHECK(journal_on(host, "20261125T030000Z-web1").state == "applied");
}

TEST_CASE("a value changed behind netdiag's back stops the host before any write", "[apply]") {
    auto host = host_with_conntrack();
    host.files[kBuckets] = "70000\n";
    const auto outcome = apply_plan(host, conntrack_plan(), "j1", 1);
    CHECK(outcome.status == "drifted");
    REQUIRE_FALSE(outcome.messages.empty());
    CHECK(outcome.messages.front() ==
          kBuckets + " changed since the plan: expected \"65536\", found \"70000\"; nothing written");
    CHECK(host.files.at(kMax) == "262144\n");
    CHECK_FALSE(host.files.count(kPersist));
    CHECK(journal_on(host, "j1").state == "aborted");
}

TEST_CASE("a value that does not take rolls the host back", "[apply]") {
    auto host = host_with_conntrack();
    host.ignored_writes[kBuckets] = "65536\n";  // the kernel kept its value
    const auto outcome = apply_plan(host, conntrack_plan(), "j1", 1);
    CHECK(outcome.status == "rolled_back");
    REQUIRE(outcome.messages.size() >= 2);
    CHECK(outcome.messages.at(0) == kMax + ": \"262144\" -> \"524288\"");
    CHECK(outcome.messages.at(1) == kBuckets + " reads back \"65536\" after writing \"131072\"");
    CHECK(host.files.at(kMax) == "262144\n");  // restored
    CHECK_FALSE(host.files.count(kPersist));   // never created
    CHECK(journal_on(host, "j1").state == "rolled_back");

    auto failing = host_with_conntrack();
    failing.write_errors[kPersist] = kPersist + ": Read-only file system";
    CHECK(apply_plan(failing, conntrack_plan(), "j2", 1).status == "rolled_back");
    CHECK(failing.files.at(kMax) == "262144\n");
    CHECK(failing.files.at(kBuckets) == "65536\n");
}

TEST_CASE("undo restores the originals and removes created files", "[apply]") {
    auto host = host_with_conntrack();
    const auto original = host.files;
    REQUIRE(apply_plan(host, conntrack_plan(), "j1", 1).status == "applied");
    const auto journal = journal_on(host, "j1");
    auto preview = plan_undo(host, journal);
    REQUIRE(preview.ok());
    REQUIRE(preview->changes.size() == 3);
    CHECK(preview->changes.front().path == kPersist);  // last written, first undone
    CHECK(preview->changes.front().remove);
    CHECK(undo_journal(host, journal).status == "undone");
    CHECK(host.files.at(kMax) == original.at(kMax));
    CHECK(host.files.at(kBuckets) == original.at(kBuckets));
    CHECK_FALSE(host.files.count(kPersist));
    CHECK(journal_on(host, "j1").state == "undone");
    // Undoing again finds nothing left to do.
    CHECK(plan_undo(host, journal_on(host, "j1"))->changes.empty());
}

TEST_CASE("a run killed half-way leaves a journal that undo completes", "[apply]") {
    auto host = host_with_conntrack();
    Journal journal{"j1", "web1", "started", 1, conntrack_plan().changes};
    host.files[journal_path("j1")] = journal_to_text(journal);
    host.files[kMax] = "524288\n";  // the first write happened, then the process died
    auto journals = read_journals(host);
    REQUIRE(journals.ok());
    REQUIRE(journals->size() == 1);
    CHECK(journals->front().state == "started");
    CHECK(undo_journal(host, journals->front()).status == "undone");
    CHECK(host.files.at(kMax) == "262144\n");
    CHECK(host.files.at(kBuckets) == "65536\n");
}

TEST_CASE("undo refuses a value changed since netdiag wrote it", "[apply]") {
    auto host = host_with_conntrack();
    REQUIRE(apply_plan(host, conntrack_plan(), "j1", 1).status == "applied");
    host.files[kMax] = "1000000\n";
    const auto outcome = undo_journal(host, journal_on(host, "j1"));
    CHECK(outcome.status == "drifted");
    CHECK(outcome.messages.front() ==
          "j1: " + kMax + " changed since netdiag wrote it: expected \"524288\", found \"1000000\"; not undoing");
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
    const auto outcome = apply_plan(host, plan, "j1", 0);
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
    CHECK(plans.error().message == "plan.json: not a valid plan: /etc/passwd is not a path netdiag plans changes to");
}

TEST_CASE("a rolled-back journal holds only the changes that were written") {
    MemoryTransport host = host_with_conntrack();
    host.ignored_writes[kBuckets] = "65536\n";  // the kernel keeps its value: the read back fails
    const auto plan = conntrack_plan();  // max, then buckets (which does not take), then the file
    const auto outcome = apply_plan(host, plan, "j1", 0);
    CHECK(outcome.status == "rolled_back");
    auto journals = read_journals(host);
    REQUIRE(journals);
    REQUIRE(journals->size() == 1);
    CHECK(journals->front().state == "rolled_back");
    CHECK(journals->front().changes.size() == 2);  // only what was written, not the persistent file
    CHECK(host.files[kMax] == "262144\n");
}

TEST_CASE("a run does not start while another has not finished on the host") {
    MemoryTransport host = host_with_conntrack();
    const auto plan = conntrack_plan();
    const std::int64_t minute = 60 * 1000, now = 1'000'000'000;

    // A run in progress: its journal is a minute old and nothing is written yet.
    Journal running{"j-running", "web1", "started", now - minute, plan.changes};
    host.files[journal_path(running.id)] = journal_to_text(running);
    auto outcome = apply_plan(host, plan, "j-new", now);
    CHECK(outcome.status == "error");
    REQUIRE_FALSE(outcome.messages.empty());
    CHECK(outcome.messages[0].find("another netdiag run has not finished here (journal j-running)") != std::string::npos);
    CHECK(host.files[kMax] == "262144\n");

    // The same journal an hour later with nothing written: a run killed before its first write.
    running.created_at_unix_ms = now - 60 * minute;
    host.files[journal_path(running.id)] = journal_to_text(running);
    CHECK(apply_plan(host, plan, "j-newer", now).status == "applied");

    // A killed run whose writes still stand blocks, however old, until undo completes it.
    MemoryTransport killed = host_with_conntrack();
    killed.files[kMax] = "524288\n";
    Journal half{"j-half", "web1", "started", now - 60 * minute, plan.changes};
    killed.files[journal_path(half.id)] = journal_to_text(half);
    CHECK(apply_plan(killed, plan, "j-next", now).status == "error");
}
