// Fixers are pure functions of findings, a snapshot and a context: tested on hand-built ones.
#include <catch2/catch.hpp>

#include "collect/plan_context.hpp"
#include "remediation/diff.hpp"
#include "remediation/planners.hpp"

using namespace netdiag;

namespace {

const PlannedChange* change_at(const HostPlan& plan, const std::string& path) {
    for (const auto& change : plan.changes) {
        if (change.path == path) return &change;
    }
    return nullptr;
}

bool has_note(const HostPlan& plan, const std::string& text) {
    for (const auto& note : plan.notes) {
        if (note.find(text) != std::string::npos) return true;
    }
    return false;
}

Finding finding(const std::string& check, const std::string& subject, const std::string& fix) {
    Finding f;
    f.check = check;
    f.subject = subject;
    f.fix = fix;
    f.message = check + " fired";
    return f;
}

// A NIC with `queues` queue IRQs starting at 40, all on CPU0 of a `cpus`-CPU host.
Snapshot nic_host(int cpus, int queues) {
    Snapshot s;
    s.host = "db1";
    s.online_cpus = cpus;
    InterfaceInfo nic;
    nic.name = "eth0";
    nic.is_virtual = false;
    nic.numa_node = -1;
    nic.rx_queues = queues;
    for (int i = 0; i < queues; ++i) nic.irqs.push_back(40 + i);
    s.interfaces.push_back(nic);
    return s;
}

PlanContext irqs_on_cpu0(const Snapshot& s, const std::string& mask) {
    PlanContext context;
    for (const int irq : s.interfaces.front().irqs) context.files["/proc/irq/" + std::to_string(irq) + "/smp_affinity"] = mask + "\n";
    return context;
}

}  // namespace

TEST_CASE("CPU masks are printed as the kernel prints smp_affinity") {
    CHECK(format_cpu_mask({1}, 4) == "2");
    CHECK(format_cpu_mask({0, 1, 2, 3}, 4) == "f");
    CHECK(format_cpu_mask({5}, 8) == "20");
    CHECK(format_cpu_mask({0}, 32) == "00000001");
    CHECK(format_cpu_mask({35}, 40) == "08,00000000");   // more than 32 CPUs: two groups
    CHECK(format_cpu_mask({0}, 40) == "00,00000001");
    CHECK(format_cpu_mask({63}, 64) == "80000000,00000000");
    CHECK(format_cpu_mask({64}, 96) == "00000001,00000000,00000000");  // more than 64 CPUs
    CHECK(format_cpu_mask({0, 33, 71}, 72) == "80,00000002,00000001");
    CHECK(format_cpu_mask({7}, 2) == "80");  // a CPU past the count widens the mask
}

TEST_CASE("IRQs are spread one CPU each, round robin") {
    const auto placement = spread_irqs({40, 41, 42, 43, 44}, {0, 1, 2});
    CHECK(placement.at(40) == 0);
    CHECK(placement.at(42) == 2);
    CHECK(placement.at(43) == 0);
    CHECK(placement.at(44) == 1);
    CHECK(spread_irqs({40}, {}).empty());
}

TEST_CASE("irq-affinity spreads a multi-queue NIC's IRQs over its NUMA node, with kernel masks") {
    Snapshot s = nic_host(80, 4);
    s.interfaces.front().numa_node = 1;
    s.interfaces.front().local_cpulist = "40-79";
    const auto context = irqs_on_cpu0(s, "00,00000000,00000001");
    const auto plan = plan_fixes(s, {finding("rx-drops", "eth0", "irq-affinity")}, context, {});
    REQUIRE(change_at(plan, "/proc/irq/40/smp_affinity"));
    CHECK(change_at(plan, "/proc/irq/40/smp_affinity")->after == "00,00000100,00000000\n");  // CPU40
    CHECK(change_at(plan, "/proc/irq/43/smp_affinity")->after == "00,00000800,00000000\n");  // CPU43
    CHECK(change_at(plan, "/proc/irq/40/smp_affinity")->before == "00,00000000,00000001\n");
    // The spread is offered as a script to review, not installed anywhere that runs it.
    const auto* script = change_at(plan, "/etc/netdiag/irq-affinity.sh");
    REQUIRE(script);
    CHECK(script->after.find("echo 00,00000100,00000000 > /proc/irq/40/smp_affinity") != std::string::npos);
    CHECK(has_note(plan, "never run"));
}

TEST_CASE("irq-affinity uses every CPU when the NIC has no NUMA node") {
    const Snapshot s = nic_host(4, 2);
    const auto plan = plan_fixes(s, {finding("rx-drops", "eth0", "irq-affinity")}, irqs_on_cpu0(s, "f"), {});
    REQUIRE(change_at(plan, "/proc/irq/40/smp_affinity"));
    CHECK(change_at(plan, "/proc/irq/40/smp_affinity")->after == "1\n");
    CHECK(change_at(plan, "/proc/irq/41/smp_affinity")->after == "2\n");
}

TEST_CASE("irq-affinity refuses while irqbalance runs, unless forced") {
    const Snapshot s = nic_host(4, 2);
    auto context = irqs_on_cpu0(s, "f");
    context.irqbalance_running = true;
    const std::vector<Finding> findings{finding("rx-drops", "eth0", "irq-affinity")};
    const auto refused = plan_fixes(s, findings, context, {});
    CHECK(refused.changes.empty());
    CHECK(has_note(refused, "irqbalance is running"));
    CHECK(has_note(refused, "--force"));
    context.force = true;
    const auto forced = plan_fixes(s, findings, context, {});
    CHECK(change_at(forced, "/proc/irq/41/smp_affinity"));
    CHECK(has_note(forced, "will move these IRQs again"));
}

TEST_CASE("kernel-managed IRQs are reported and skipped") {
    const Snapshot s = nic_host(4, 3);
    auto context = irqs_on_cpu0(s, "1");
    context.managed_irqs = {41};
    const auto plan = plan_fixes(s, {finding("rx-drops", "eth0", "irq-affinity")}, context, {});
    CHECK(change_at(plan, "/proc/irq/41/smp_affinity") == nullptr);
    CHECK(has_note(plan, "IRQ 41 of eth0 is kernel-managed"));
    CHECK(change_at(plan, "/proc/irq/42/smp_affinity")->after == "2\n");  // the next CPU goes to the next IRQ
    CHECK(change_at(plan, "/proc/irq/40/smp_affinity") == nullptr);       // already on CPU0: nothing to change
}

TEST_CASE("a single-queue NIC gets an RPS plan instead") {
    Snapshot s = nic_host(4, 1);
    PlanContext context = irqs_on_cpu0(s, "1");
    context.files["/sys/class/net/eth0/queues/rx-0/rps_cpus"] = "0\n";
    const auto plan = plan_fixes(s, {finding("rx-drops", "eth0", "irq-affinity")}, context, {});
    REQUIRE(change_at(plan, "/sys/class/net/eth0/queues/rx-0/rps_cpus"));
    CHECK(change_at(plan, "/sys/class/net/eth0/queues/rx-0/rps_cpus")->after == "f\n");
    CHECK(change_at(plan, "/proc/irq/40/smp_affinity") == nullptr);
    CHECK(has_note(plan, "one receive queue"));
}

TEST_CASE("conntrack-max sizes from the observed count, raises the hash and persists both") {
    Snapshot s;
    s.host = "fw1";
    s.conntrack = Conntrack{};
    s.conntrack->count = 240000;
    s.conntrack->max = 262144;
    PlanContext context;
    context.files["/proc/sys/net/netfilter/nf_conntrack_max"] = "262144\n";
    context.files["/proc/sys/net/netfilter/nf_conntrack_buckets"] = "65536\n";
    const auto plan = plan_fixes(s, {finding("conntrack-fill", "nf_conntrack", "conntrack-max")}, context, {});
    REQUIRE(plan.changes.size() == 4);
    CHECK(plan.changes[0].path == "/proc/sys/net/netfilter/nf_conntrack_buckets");  // hash first, then the limit
    CHECK(plan.changes[0].after == "524288\n");
    CHECK(plan.changes[1].path == "/proc/sys/net/netfilter/nf_conntrack_max");
    CHECK(plan.changes[1].before == "262144\n");
    CHECK(plan.changes[1].after == "524288\n");
    CHECK(plan.changes[2].path == "/etc/sysctl.d/60-netdiag-conntrack.conf");
    CHECK_FALSE(plan.changes[2].before.has_value());
    CHECK(plan.changes[2].after.find("net.netfilter.nf_conntrack_max = 524288\n") != std::string::npos);
    CHECK(plan.changes[2].after.find("net.netfilter.nf_conntrack_buckets = 524288\n") != std::string::npos);
    CHECK(plan.changes[3].path == "/etc/modules-load.d/netdiag-conntrack.conf");
    CHECK(plan.changes[3].after.find("\nnf_conntrack\n") != std::string::npos);
    CHECK(plan.notes.empty());

    context.kube_proxy_running = true;
    CHECK(has_note(plan_fixes(s, {finding("conntrack-fill", "nf_conntrack", "conntrack-max")}, context, {}),
                   "kube-proxy"));
}

TEST_CASE("conntrack-max without nf_conntrack plans nothing and says why") {
    Snapshot s;
    s.host = "web1";
    const auto plan = plan_fixes(s, {}, PlanContext{}, {"conntrack-max"});
    CHECK(plan.changes.empty());
    CHECK(has_note(plan, "nf_conntrack is not loaded"));
}

TEST_CASE("softnet fixes double the sysctls and persist them") {
    Snapshot s;
    PlanContext context;
    context.files["/proc/sys/net/core/netdev_max_backlog"] = "1000\n";
    context.files["/proc/sys/net/core/netdev_budget"] = "300\n";
    const auto plan = plan_fixes(s, {finding("rx-drops", "eth0", "softnet-backlog"),
                                     finding("softnet-budget", "softnet", "softnet-budget")},
                                 context, {});
    CHECK(change_at(plan, "/proc/sys/net/core/netdev_max_backlog")->after == "2000\n");
    CHECK(change_at(plan, "/proc/sys/net/core/netdev_budget")->after == "600\n");
    CHECK(has_note(plan, "netdev_budget_usecs is not available"));
    CHECK(change_at(plan, "/etc/sysctl.d/60-netdiag-softnet-budget.conf")->after.find("net.core.netdev_budget = 600") !=
          std::string::npos);
}

TEST_CASE("port-range widens the range once, and says when it cannot") {
    Snapshot s;
    PlanContext context;
    context.files["/proc/sys/net/ipv4/ip_local_port_range"] = "40000\t40999\n";
    const std::vector<Finding> findings{finding("time-wait", "ip_local_port_range", "port-range")};
    const auto plan = plan_fixes(s, findings, context, {});
    CHECK(change_at(plan, "/proc/sys/net/ipv4/ip_local_port_range")->after == "10240\t65535\n");
    CHECK(change_at(plan, "/etc/sysctl.d/60-netdiag-ports.conf")->after.find("= 10240 65535\n") != std::string::npos);
    CHECK(has_note(plan, "ip_local_reserved_ports"));

    context.files["/proc/sys/net/ipv4/ip_local_port_range"] = "1024\t65535\n";
    const auto wide = plan_fixes(s, findings, context, {});
    CHECK(wide.changes.empty());
    CHECK(has_note(wide, "already as wide"));
}

TEST_CASE("only the fixes findings name run, unless --only names others") {
    Snapshot s;
    PlanContext context;
    context.files["/proc/sys/net/core/netdev_max_backlog"] = "1000\n";
    context.files["/proc/sys/net/ipv4/ip_local_port_range"] = "32768\t60999\n";
    const auto nothing = plan_fixes(s, {finding("close-wait", "port 80", "")}, context, {});
    CHECK(nothing.changes.empty());
    CHECK(render_plan_diff(nothing).find("nothing to fix") != std::string::npos);
    const auto asked = plan_fixes(s, {}, context, {"port-range"});
    CHECK(change_at(asked, "/proc/sys/net/ipv4/ip_local_port_range"));
    CHECK(change_at(asked, "/proc/sys/net/core/netdev_max_backlog") == nullptr);
}

TEST_CASE("the plan context notes irqbalance, kube-proxy and managed IRQs") {
    std::vector<FileRead> reads{
        {"/proc/812/comm", "irqbalance\n", "", false},
        {"/proc/812/exe", "/usr/sbin/irqbalance", "", true},
        {"/proc/812/status", "Name:\tirqbalance\nUid:\t0\t0\t0\t0\n", "", false},
        {"/proc/900/comm", "kube-proxy\n", "", false},
        {"/proc/900/exe", "/usr/local/bin/kube-proxy", "", true},
        {"/proc/900/status", "Name:\tkube-proxy\nUid:\t0\t0\t0\t0\n", "", false},
        {"/sys/kernel/debug/irq/irqs/41", "handler:  handle_edge_irq\ndstate:   0x3540a200\n            IRQD_AFFINITY_MANAGED\n", "", false},
        {"/sys/kernel/debug/irq/irqs/42", "handler:  handle_edge_irq\n", "", false},
        {"/proc/sys/net/netfilter/nf_conntrack_max", "262144\n", "", false},
        {"/etc/sysctl.d/60-netdiag-conntrack.conf", std::nullopt, "missing", false},
    };
    const auto context = plan_context_from_reads(reads);
    CHECK(context.irqbalance_running);
    CHECK(context.kube_proxy_running);
    CHECK(context.managed_irqs == std::set<int>{41});
    CHECK(context.files.at("/proc/sys/net/netfilter/nf_conntrack_max") == "262144\n");
    CHECK(context.files.count("/etc/sysctl.d/60-netdiag-conntrack.conf") == 0);
    CHECK(context.files.count("/proc/812/comm") == 0);
}

TEST_CASE("unified diffs read as diff -u prints them") {
    CHECK(unified_diff("/proc/sys/net/core/somaxconn", std::string("4096\n"), "8192\n") ==
          "--- a/proc/sys/net/core/somaxconn\n+++ b/proc/sys/net/core/somaxconn\n@@ -1 +1 @@\n-4096\n+8192\n");
    CHECK(unified_diff("/etc/x.conf", std::nullopt, "a\nb\n") == "--- /dev/null\n+++ b/etc/x.conf\n@@ -0,0 +1,2 @@\n+a\n+b\n");
    CHECK(unified_diff("/etc/x.conf", std::string("a\n"), "", true) == "--- a/etc/x.conf\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n");
    CHECK(unified_diff("/etc/x.conf", std::string("same\n"), "same\n").empty());
    CHECK(unified_diff("/etc/x.conf", std::string("a"), "a\n") ==
          "--- a/etc/x.conf\n+++ b/etc/x.conf\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n");
    // A change in the middle of a long file: three lines of context, separate hunks far apart.
    std::string before, after;
    for (int i = 1; i <= 20; ++i) {
        before += std::to_string(i) + "\n";
        after += (i == 5 ? std::string("five") : i == 16 ? std::string("sixteen") : std::to_string(i)) + "\n";
    }
    CHECK(unified_diff("/f", before, after) ==
          "--- a/f\n+++ b/f\n"
          "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
          "@@ -13,7 +13,7 @@\n 13\n 14\n 15\n-16\n+sixteen\n 17\n 18\n 19\n");
}

TEST_CASE("only paths the planners write are accepted from plan files and journals") {
    CHECK(plannable_path("/proc/sys/net/netfilter/nf_conntrack_max"));
    CHECK(plannable_path("/etc/sysctl.d/60-netdiag-ports.conf"));
    CHECK(plannable_path("/proc/irq/41/smp_affinity"));
    CHECK(plannable_path("/sys/class/net/eth0/queues/rx-0/rps_cpus"));
    CHECK_FALSE(plannable_path("/etc/passwd"));
    CHECK_FALSE(plannable_path("/proc/sys/../../etc/shadow"));
    CHECK_FALSE(plannable_path("/proc/irq/41/../../../etc/smp_affinity"));
    CHECK_FALSE(plannable_path("/proc/irq/1/x/smp_affinity"));
    CHECK_FALSE(plannable_path("/sys/class/net/../queues/rx-0/rps_cpus"));
    CHECK_FALSE(plannable_path("/proc/sys/net/core/somaxconn"));  // not a path any fixer plans
}

TEST_CASE("a single-queue virtio NIC with config and output vectors still gets RPS") {
    Snapshot s = nic_host(4, 1);
    s.interfaces.front().irqs = {24, 25, 26};
    s.interrupts = std::vector<InterruptLine>{{24, {}, "", "virtio0-config"}, {25, {}, "", "virtio0-input.0"},
                                              {26, {}, "", "virtio0-output.0"}};
    PlanContext context;
    context.files["/sys/class/net/eth0/queues/rx-0/rps_cpus"] = "0\n";
    const auto plan = plan_fixes(s, {finding("rx-drops", "eth0", "irq-affinity")}, context, {});
    CHECK(change_at(plan, "/sys/class/net/eth0/queues/rx-0/rps_cpus"));
    CHECK(change_at(plan, "/proc/irq/25/smp_affinity") == nullptr);
}

TEST_CASE("IRQs are spread over online CPUs that are not isolated, skipping non-queue vectors") {
    Snapshot s = nic_host(6, 4);
    s.interfaces.front().irqs = {40, 41, 42, 43, 44};
    s.interrupts = std::vector<InterruptLine>{{40, {}, "", "eth0-rxtx-0"}, {41, {}, "", "eth0-rxtx-1"},
                                              {42, {}, "", "eth0-rxtx-2"}, {43, {}, "", "eth0-rxtx-3"},
                                              {44, {}, "", "eth0-event-4"}};
    // CPU2 is offline (absent from /proc/stat), CPU1 is isolated.
    s.cpu_times = std::vector<CpuTimes>{};
    for (const char* cpu : {"cpu", "cpu0", "cpu1", "cpu3", "cpu4", "cpu5"}) s.cpu_times->push_back(CpuTimes{cpu});
    auto context = irqs_on_cpu0(s, "3f");
    context.isolated_cpus = {1};
    const auto plan = plan_fixes(s, {finding("rx-drops", "eth0", "irq-affinity")}, context, {});
    CHECK(change_at(plan, "/proc/irq/40/smp_affinity")->after == "01\n");  // CPU0
    CHECK(change_at(plan, "/proc/irq/41/smp_affinity")->after == "08\n");  // CPU3
    CHECK(change_at(plan, "/proc/irq/42/smp_affinity")->after == "10\n");  // CPU4
    CHECK(change_at(plan, "/proc/irq/43/smp_affinity")->after == "20\n");  // CPU5
    CHECK(change_at(plan, "/proc/irq/44/smp_affinity") == nullptr);        // the event vector stays
}

TEST_CASE("conntrack-max stays within the kernel's int and does not grow a quiet table on request") {
    Snapshot s;
    s.conntrack = Conntrack{};
    s.conntrack->count = 900000000;
    PlanContext context;
    context.files["/proc/sys/net/netfilter/nf_conntrack_max"] = "1073741824\n";
    const auto capped = plan_fixes(s, {finding("conntrack-fill", "nf_conntrack", "conntrack-max")}, context, {});
    CHECK(capped.changes.empty());
    CHECK(has_note(capped, "at most 1073741824"));

    context.files["/proc/sys/net/netfilter/nf_conntrack_max"] = "600000000\n";
    const auto grown = plan_fixes(s, {finding("conntrack-fill", "nf_conntrack", "conntrack-max")}, context, {});
    CHECK(change_at(grown, "/proc/sys/net/netfilter/nf_conntrack_max")->after == "1073741824\n");

    s.conntrack->count = 100;
    context.files["/proc/sys/net/netfilter/nf_conntrack_max"] = "262144\n";
    const auto quiet = plan_fixes(s, {}, context, {"conntrack-max"});
    CHECK(quiet.changes.empty());
    CHECK(has_note(quiet, "no need to grow it"));
}

TEST_CASE("masks never grow past the kernel's CPU limit, whatever a host claims") {
    CHECK(format_cpu_mask({8191}, 4).size() == 256 * 9 - 1);  // 256 groups of 8 digits, commas between
    CHECK(format_cpu_mask({}, 1 << 30).size() == 256 * 9 - 1);
    CHECK(format_cpu_mask({1}, -40) == "2");
}
