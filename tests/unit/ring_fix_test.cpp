// The nic-ring fix: ring paths, the planner on inline snapshots, the content rules that refuse a
// planted plan or script, and a whole apply / read back / journal / undo through an in-memory host.
// The live host's rings are only ever read here; nothing sets a real interface's ring.
#include <catch2/catch.hpp>

#include <net/if.h>

#include <algorithm>

#include "remediation/apply.hpp"
#include "remediation/plan_json.hpp"
#include "remediation/planners.hpp"
#include "remediation/ring_planner.hpp"
#include "remote/local_transport.hpp"
#include "remote/memory_transport.hpp"
#include "test_files.hpp"

using namespace netdiag;

namespace {

InterfaceInfo nic(const std::string& name, std::optional<RingSizes> ring, bool is_virtual = false) {
    InterfaceInfo info;
    info.name = name;
    info.is_virtual = is_virtual;
    info.ring = ring;
    return info;
}

Finding ring_finding(const std::string& interface) {
    Finding finding;
    finding.check = "rx-drops";
    finding.subject = interface;
    finding.cause = "ring";
    finding.fix = "nic-ring";
    finding.message = interface + " drops";
    return finding;
}

Snapshot two_nics() {
    Snapshot snapshot;
    snapshot.host = "web1";
    snapshot.interfaces = {nic("eth0", RingSizes{256, 4096, 256, 4096}), nic("eth1", RingSizes{512, 8192, 512, 8192}),
                           nic("veth1", std::nullopt, true), nic("lo", std::nullopt, true)};
    return snapshot;
}

const PlannedChange* change_at(const HostPlan& plan, const std::string& path) {
    const auto found = std::find_if(plan.changes.begin(), plan.changes.end(),
                                    [&](const PlannedChange& change) { return change.path == path; });
    return found == plan.changes.end() ? nullptr : &*found;
}

bool has_note(const HostPlan& plan, const std::string& part) {
    return std::any_of(plan.notes.begin(), plan.notes.end(),
                       [&](const std::string& note) { return note.find(part) != std::string::npos; });
}

Journal journal_on(MemoryTransport& host, const std::string& id) {
    auto journal = parse_journal(host.files.at(journal_path(id)), "journal");
    REQUIRE(journal.ok());
    return *journal;
}

}  // namespace

TEST_CASE("ring paths are virtual: never a file, interface names plain and short", "[ring]") {
    const auto eth0 = parse_ring_path("ethtool-ring:eth0:rx");
    REQUIRE(eth0);
    CHECK(eth0->interface == "eth0");
    CHECK(eth0->ring == Ring::rx);
    CHECK(parse_ring_path("ethtool-ring:bond0.100@x+y_z:tx")->ring == Ring::tx);
    CHECK(ring_path("eth0", Ring::rx) == "ethtool-ring:eth0:rx");
    CHECK(is_ring_path("ethtool-ring:$(reboot):rx"));  // in the namespace, so no transport takes it for a file
    for (const char* bad : {"ethtool-ring:$(reboot):rx", "ethtool-ring:-x:rx", "ethtool-ring::rx", "ethtool-ring:eth0:mini",
                            "ethtool-ring:eth0", "ethtool-ring:a b:rx", "ethtool-ring:0123456789abcdef:rx",
                            "ethtool-ring:..:rx", "ethtool-ring:eth0:rx:rx", "ethtool-ring:eth0\n:rx", "/ethtool-ring:eth0:rx",
                            "ethtool-ring:eth/0:rx", "ethtool-ring:eth0;ls:rx"}) {
        INFO(bad);
        CHECK_FALSE(parse_ring_path(bad));
    }
    CHECK(parse_ring_path("ethtool-ring:0123456789abcde:rx"));  // 15 characters: IFNAMSIZ - 1
    CHECK_FALSE(is_kernel_path("ethtool-ring:eth0:rx"));
    CHECK_FALSE(is_ring_path("/proc/sys/net/core/somaxconn"));

    CHECK(parse_ring_size("4096\n") == 4096U);
    CHECK(parse_ring_size(" 1 ") == 1U);
    CHECK(parse_ring_size("1048576") == 1048576U);
    for (const char* bad : {"0", "", "\n", "-1", "1048577", "99999999999", "4096 1", "0x10", "4k", "4096;reboot"}) {
        INFO(bad);
        CHECK_FALSE(parse_ring_size(bad));
    }
}

TEST_CASE("nic-ring raises a finding's RX ring to the driver's maximum, with a boot script", "[ring]") {
    HostPlan plan;
    plan_nic_ring(two_nics(), {ring_finding("eth0")}, PlanContext{}, false, plan);
    REQUIRE(plan.changes.size() == 2);
    const auto& ring = plan.changes[0];
    CHECK(ring.path == "ethtool-ring:eth0:rx");
    CHECK(ring.before == "256\n");
    CHECK(ring.after == "4096\n");
    CHECK(ring.fix == "nic-ring");
    CHECK(ring.reason == "rx-drops on eth0 (ring); RX ring 256 -> 4096 (the driver's maximum)");
    CHECK_FALSE(ring.remove);
    const auto& script = plan.changes[1];
    CHECK(script.path == "/etc/netdiag/nic-ring.sh");
    CHECK_FALSE(script.before);
    CHECK(script.after ==
          "#!/bin/sh\n"
          "# Written by `netdiag fix` (nic-ring): the NIC ring sizes it applied, for reuse at boot.\n"
          "# Nothing runs it: review it, then call it from a boot unit if you want it to persist.\n"
          "# Ring sizes also reset when a driver reloads: run it again after that.\n"
          "PATH=/usr/sbin:/sbin:/usr/bin:/bin\n"
          "ethtool -G eth0 rx 4096\n");
    CHECK(has_note(plan, "drop its link"));
    CHECK(has_note(plan, "is only written, never run"));
    // Everything planned is what netdiag's own rules accept.
    for (const auto& change : plan.changes) {
        INFO(change.path);
        CHECK_FALSE(ring_content_problem(change.path, change.after));
        CHECK(ring_plannable_path(change.path));
    }
    CHECK_FALSE(change_at(plan, "ethtool-ring:eth1:rx"));  // no finding named it
}

TEST_CASE("nic-ring asked by name: every physical interface below its maximum, never lower", "[ring]") {
    auto snapshot = two_nics();
    snapshot.interfaces.push_back(nic("eth2", RingSizes{4096, 4096, 256, 4096}));          // at max
    snapshot.interfaces.push_back(nic("eth3", RingSizes{8192, 4096, 256, 4096}));          // above max: never lowered
    snapshot.interfaces.push_back(nic("eth4", std::nullopt));                              // unknown
    snapshot.interfaces.push_back(nic("eth5", RingSizes{0, 0, 0, 0}));                     // driver reports none
    snapshot.interfaces.push_back(nic("e$(x)", RingSizes{256, 4096, 256, 4096}));          // a name not passed on
    snapshot.interfaces.push_back(nic("eth6", RingSizes{256, std::uint64_t{1} << 40, 256, 4096}));  // absurd max
    snapshot.unavailable[ring_subject("eth4")] = "ETHTOOL_GRINGPARAM eth4: Operation not permitted";
    HostPlan plan;
    plan_nic_ring(snapshot, {}, PlanContext{}, true, plan);
    REQUIRE(change_at(plan, "ethtool-ring:eth0:rx"));
    REQUIRE(change_at(plan, "ethtool-ring:eth1:rx"));
    CHECK(change_at(plan, "ethtool-ring:eth1:rx")->after == "8192\n");
    CHECK(change_at(plan, "ethtool-ring:eth0:rx")->reason ==
          "nic-ring was asked for with --only (eth0); RX ring 256 -> 4096 (the driver's maximum)");
    CHECK(plan.changes.size() == 3);  // eth0, eth1, the script
    CHECK(change_at(plan, "/etc/netdiag/nic-ring.sh")->after.ends_with("ethtool -G eth0 rx 4096\nethtool -G eth1 rx 8192\n"));
    for (const auto& change : plan.changes) {
        if (is_ring_path(change.path)) CHECK(*parse_ring_size(change.after) > *parse_ring_size(*change.before));
    }
    CHECK(has_note(plan, "eth2: the RX ring is at its maximum already (4096)"));
    CHECK(has_note(plan, "eth3: the RX ring is at its maximum already (4096)"));
    CHECK(has_note(plan, "eth4: ring sizes not known (ETHTOOL_GRINGPARAM eth4: Operation not permitted)"));
    CHECK(has_note(plan, "eth5: ring sizes not known (the driver reports none)"));
    CHECK(has_note(plan, "\"e$(x)\" has a name netdiag does not pass to ethtool"));
    CHECK(has_note(plan, "eth6: the driver claims an RX ring of up to 1099511627776"));
    // Virtual interfaces are not even looked at when asked by name.
    CHECK_FALSE(has_note(plan, "veth1"));
    CHECK_FALSE(has_note(plan, "lo:"));
}

TEST_CASE("nic-ring: a finding on a virtual or unknown interface is noted, not planned", "[ring]") {
    HostPlan plan;
    plan_nic_ring(two_nics(), {ring_finding("veth1"), ring_finding("gone0")}, PlanContext{}, false, plan);
    CHECK(plan.changes.empty());
    CHECK(has_note(plan, "veth1 is a virtual interface"));
    CHECK(has_note(plan, "\"gone0\" (rx-drops) is not an interface of this sample"));

    // Findings of other fixes are not nic-ring's business.
    auto other = ring_finding("eth0");
    other.fix = "irq-affinity";
    HostPlan none;
    plan_nic_ring(two_nics(), {other}, PlanContext{}, false, none);
    CHECK(none.changes.empty());
    CHECK(none.notes.empty());
}

TEST_CASE("nic-ring keeps an earlier script's other interfaces and believes the fresher read", "[ring]") {
    PlanContext context;
    context.files["/etc/netdiag/nic-ring.sh"] = nic_ring_script({{"eth9", 2048}, {"eth0", 1024}});
    context.files["ethtool-ring:eth0:rx"] = "1024\n";  // read since the sample
    HostPlan plan;
    plan_nic_ring(two_nics(), {ring_finding("eth0")}, context, false, plan);
    REQUIRE(plan.changes.size() == 2);
    CHECK(plan.changes[0].before == "1024\n");
    CHECK(plan.changes[0].reason.find("RX ring 1024 -> 4096") != std::string::npos);
    CHECK(plan.changes[1].before == context.files["/etc/netdiag/nic-ring.sh"]);
    CHECK(plan.changes[1].after == nic_ring_script({{"eth9", 2048}, {"eth0", 4096}}));

    // A script not in netdiag's form is not read from: it is replaced (apply refuses that, since its
    // `before` fails the content rules, and says so).
    context.files["/etc/netdiag/nic-ring.sh"] = "#!/bin/sh\nethtool -G eth9 rx 2048; reboot\n";
    HostPlan replaced;
    plan_nic_ring(two_nics(), {ring_finding("eth0")}, context, false, replaced);
    REQUIRE(replaced.changes.size() == 2);
    CHECK(replaced.changes[1].after == nic_ring_script({{"eth0", 4096}}));
    CHECK(ring_content_problem("/etc/netdiag/nic-ring.sh", *replaced.changes[1].before));
}

TEST_CASE("nic-ring content rules refuse what netdiag would not write", "[ring]") {
    const std::string script = "/etc/netdiag/nic-ring.sh";
    CHECK_FALSE(ring_content_problem(script, nic_ring_script({{"eth0", 4096}, {"bond0.100", 1024}})));
    CHECK_FALSE(ring_content_problem(script, "#!/bin/sh\n"));
    const std::string head = "#!/bin/sh\n# comment\n";
    for (const std::string& planted :
         {head + "ethtool -G eth0;reboot rx 4096\n", head + "ethtool -G $(reboot) rx 4096\n",
          head + "ethtool -G `reboot` rx 4096\n", head + "ethtool -G eth0 rx 4096; rm -rf /\n",
          head + "ethtool -G eth0 rx 4096 && curl x | sh\n", head + "ethtool -G eth0 rx 4096\nrm -rf /\n",
          head + "ethtool -G eth0 rx 4096\nethtool -G eth0 rx 256\n",  // an interface twice
          head + "ethtool -G eth0 rx four\n", head + "ethtool -G eth0 rx 99999999\n", head + "ethtool -G eth0 rx 0\n",
          head + "ethtool -G eth0 rx 04096\n", head + "ethtool  -G eth0 rx 4096\n", head + " ethtool -G eth0 rx 4096\n",
          head + "ethtool -G eth0 tx 4096\n", head + "ethtool -G eth0 rx 4096 tx 4096\n",
          head + "ethtool -G -s rx 4096\n", head + "ethtool -G 0123456789abcdef rx 4096\n",
          head + "PATH=/tmp:$PATH\n", head + "ethtool -G eth0 rx 4096\r\n", head + "ethtool -G eth0 rx 4096\x1b[2K\n",
          std::string("ethtool -G eth0 rx 4096\n"), std::string("#!/bin/bash\nethtool -G eth0 rx 4096\n")}) {
        INFO(planted);
        CHECK(ring_content_problem(script, planted));
    }

    const std::string ring = "ethtool-ring:eth0:rx";
    CHECK_FALSE(ring_content_problem(ring, "4096\n"));
    CHECK_FALSE(ring_content_problem(ring, "1"));
    for (const char* planted : {"", "0\n", "four\n", "4096 8192\n", "4096\nethtool -G eth1 rx 1\n", "1048577\n",
                                "18446744073709551617\n", "-1\n", "4096;reboot"}) {
        INFO(planted);
        CHECK(ring_content_problem(ring, planted));
    }
    CHECK(ring_content_problem("ethtool-ring:e;x:rx", "4096\n"));
    CHECK(ring_content_problem("/etc/passwd", "4096\n"));
    CHECK(*ring_content_problem(ring, "four\n") == "ethtool-ring:eth0:rx: not a ring size (1..1048576)");

    CHECK(ring_plannable_path("ethtool-ring:eth0:rx"));
    CHECK(ring_plannable_path(script));
    CHECK_FALSE(ring_plannable_path("ethtool-ring:eth0:tx"));  // netdiag plans RX rings only
    CHECK_FALSE(ring_plannable_path("ethtool-ring:$(x):rx"));
    CHECK_FALSE(ring_plannable_path("/etc/netdiag/irq-affinity.sh"));
    CHECK(ring_removable_path(script));
    CHECK_FALSE(ring_removable_path("ethtool-ring:eth0:rx"));
}

TEST_CASE("the in-memory host keeps rings as files, refuses removing them or writing garbage", "[ring]") {
    MemoryTransport host;
    host.files["ethtool-ring:eth0:rx"] = "256\n";
    CHECK(host.write_file("ethtool-ring:eth0:rx", "4096\n", FileAccess::shared).ok());
    CHECK(host.files.at("ethtool-ring:eth0:rx") == "4096\n");
    CHECK_FALSE(host.write_file("ethtool-ring:eth0:rx", "lots\n", FileAccess::shared).ok());
    CHECK_FALSE(host.write_file("ethtool-ring:e;x:rx", "1\n", FileAccess::shared).ok());
    CHECK_FALSE(host.remove_file("ethtool-ring:eth0:rx").ok());
    CHECK(host.files.count("ethtool-ring:eth0:rx"));
    auto statuses = host.inspect({"ethtool-ring:eth0:rx"});
    REQUIRE(statuses.ok());
    CHECK(statuses->at(0).exists);
    CHECK(statuses->at(0).type == 'f');
}

// Needs planners.cpp to know nic-ring (fixer_catalogue, plannable_path, content_problem,
// removable_path): apply holds every change to those rules before writing anything.
TEST_CASE("a nic-ring plan applies, reads back, journals and undoes through the usual protocol", "[ring][apply]") {
    MemoryTransport host;
    host.files["ethtool-ring:eth0:rx"] = "256\n";
    host.files["ethtool-ring:eth0:tx"] = "256\n";
    HostPlan plan;
    plan.host = "web1";
    plan_nic_ring(two_nics(), {ring_finding("eth0")}, PlanContext{}, false, plan);
    REQUIRE(plan.changes.size() == 2);

    const std::string id = "20261125T030000.000Z-web1";
    const auto outcome = apply_plan(host, plan, id, 1);
    INFO((outcome.messages.empty() ? std::string() : outcome.messages.front()));
    REQUIRE(outcome.status == "applied");
    CHECK(host.files.at("ethtool-ring:eth0:rx") == "4096\n");
    CHECK(host.files.at("ethtool-ring:eth0:tx") == "256\n");  // the other ring untouched
    CHECK(host.files.at("/etc/netdiag/nic-ring.sh") == plan.changes[1].after);
    CHECK(host.writes.front() == journal_path(id));
    CHECK(std::find(outcome.messages.begin(), outcome.messages.end(), "ethtool-ring:eth0:rx: \"256\" -> \"4096\"") !=
          outcome.messages.end());

    // The journal round-trips through its own parser (ring paths included) and undo puts it back.
    const auto journal = journal_on(host, id);
    CHECK(journal.state == "applied");
    REQUIRE(journal.changes.size() == 2);
    CHECK(journal.changes[0].path == "ethtool-ring:eth0:rx");
    auto preview = plan_undo(host, journal);
    REQUIRE(preview.ok());
    REQUIRE(preview->changes.size() == 2);
    CHECK(preview->changes[0].path == "/etc/netdiag/nic-ring.sh");
    CHECK(preview->changes[0].remove);
    CHECK_FALSE(preview->changes[1].remove);  // a ring is written back, never removed
    CHECK(undo_journal(host, journal).status == "undone");
    CHECK(host.files.at("ethtool-ring:eth0:rx") == "256\n");
    CHECK_FALSE(host.files.count("/etc/netdiag/nic-ring.sh"));
    CHECK(journal_on(host, id).state == "undone");

    // A ring changed behind netdiag's back stops the host before any write.
    MemoryTransport drifted;
    drifted.files["ethtool-ring:eth0:rx"] = "512\n";
    const auto stopped = apply_plan(drifted, plan, "20261125T030000.001Z-web1", 1);
    CHECK(stopped.status == "drifted");
    CHECK(drifted.files.at("ethtool-ring:eth0:rx") == "512\n");

    // A ring that does not take (the driver kept its size) rolls back.
    MemoryTransport stubborn;
    stubborn.files["ethtool-ring:eth0:rx"] = "256\n";
    stubborn.ignored_writes["ethtool-ring:eth0:rx"] = "256\n";
    CHECK(apply_plan(stubborn, plan, "20261125T030000.002Z-web1", 1).status == "rolled_back");
    CHECK_FALSE(stubborn.files.count("/etc/netdiag/nic-ring.sh"));

    // An interface gone since the plan reads as missing: drift, nothing written.
    MemoryTransport gone;
    CHECK(apply_plan(gone, plan, "20261125T030000.003Z-web1", 1).status == "drifted");

    // A plan or journal naming a ring with planted content is refused as any other.
    PlannedChange planted{"ethtool-ring:eth0:rx", "256\n", "4096; reboot\n", "x", "nic-ring", false};
    CHECK(change_problem(planted, ChangeSource::plan));
    PlannedChange removal{"ethtool-ring:eth0:rx", "256\n", "", "x", "nic-ring", true};
    CHECK(change_problem(removal, ChangeSource::plan));
    PlannedChange absent_before{"ethtool-ring:eth0:rx", std::nullopt, "4096\n", "x", "nic-ring", false};
    CHECK(change_problem(absent_before, ChangeSource::journal));
}

TEST_CASE("locally, ring paths are read from the live kernel only; never written under --root", "[ring][local]") {
    test::Scratch scratch;
    LocalTransport tree(scratch.path.string());
    auto reads = tree.read({{"ethtool-ring:eth0:rx"}, {}});
    REQUIRE(reads.ok());
    REQUIRE(reads->size() == 1);
    CHECK_FALSE(reads->at(0).content);
    CHECK(reads->at(0).error.find("a captured tree has no NIC rings") != std::string::npos);
    const auto written = tree.write_file("ethtool-ring:eth0:rx", "4096\n", FileAccess::shared);
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().message.find("a captured tree has no NIC rings; not written") != std::string::npos);
    CHECK(std::filesystem::is_empty(scratch.path));
    CHECK_FALSE(tree.remove_file("ethtool-ring:eth0:rx").ok());

    LocalTransport live;
    // Malformed names never reach the kernel, nor a file of that name.
    reads = live.read({{"ethtool-ring:$(x):rx", "ethtool-ring:*:rx"}, {}});
    REQUIRE(reads.ok());
    REQUIRE(reads->size() == 2);
    CHECK(reads->at(0).error == "not a ring path netdiag reads");
    CHECK(reads->at(1).error == "not a ring path netdiag reads");
    CHECK_FALSE(live.write_file("ethtool-ring:$(x):rx", "1\n", FileAccess::shared).ok());
    CHECK_FALSE(live.write_file("ethtool-ring:nd-nosuch0:rx", "lots\n", FileAccess::shared).ok());
    CHECK_FALSE(live.remove_file("ethtool-ring:eth0:rx").ok());
    auto statuses = live.inspect({"ethtool-ring:eth0:rx"});
    REQUIRE(statuses.ok());
    CHECK(statuses->at(0).exists);
    CHECK_FALSE(live.inspect({"ethtool-ring:a b:rx"}).ok());

    // Reads only: an interface that does not exist is "missing"; lo has no rings (an error).
    reads = live.read({{"ethtool-ring:nd-nosuch0:rx", "ethtool-ring:lo:rx"}, {}});
    REQUIRE(reads.ok());
    REQUIRE(reads->size() == 2);
    CHECK(reads->at(0).error == "missing");
    CHECK_FALSE(reads->at(1).content);
    CHECK(reads->at(1).error != "missing");
    // Setting a ring of an interface that does not exist fails at the read before any set.
    CHECK_FALSE(live.write_file("ethtool-ring:nd-nosuch0:rx", "4096\n", FileAccess::shared).ok());
    // A NIC with rings, if this host has one: its size as a number, as ethtool -g prints it.
    if (::if_nametoindex("eth0") != 0) {
        reads = live.read({{"ethtool-ring:eth0:rx"}, {}});
        REQUIRE(reads.ok());
        if (reads->at(0).content) CHECK(parse_ring_size(*reads->at(0).content));
    }
}
