// Fixers are pure functions of findings, a snapshot and a context: tested on hand-built ones.
#include <catch2/catch.hpp>

#include <sstream>

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
    CHECK_FALSE(plannable_path("/proc/sys/net/core/rmem_max"));  // not a path any fixer plans
    CHECK(plannable_path("/proc/sys/net/core/somaxconn"));
    CHECK(plannable_path("/proc/sys/net/ipv4/tcp_mem"));
    CHECK(plannable_path("/proc/sys/net/ipv6/neigh/default/gc_thresh3"));
    CHECK(plannable_path("/etc/sysctl.d/60-netdiag-neigh-table.conf"));
    CHECK_FALSE(plannable_path("/proc/sys/net/ipv4/neigh/eth0/gc_stale_time"));
    CHECK(removable_path("/etc/sysctl.d/60-netdiag-listen-backlog.conf"));
    CHECK(removable_path("/etc/sysctl.d/60-netdiag-tcp-mem.conf"));
    CHECK(removable_path("/etc/sysctl.d/60-netdiag-neigh-table.conf"));
    CHECK_FALSE(removable_path("/proc/sys/net/ipv4/tcp_mem"));
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

namespace {

PlanContext listen_queues(const std::string& somaxconn, const std::string& syn_backlog, const std::string& cookies) {
    PlanContext context;
    context.files["/proc/sys/net/core/somaxconn"] = somaxconn + "\n";
    context.files["/proc/sys/net/ipv4/tcp_max_syn_backlog"] = syn_backlog + "\n";
    context.files["/proc/sys/net/ipv4/tcp_syncookies"] = cookies + "\n";
    return context;
}

// A host with `gib` GiB of RAM in 4 KiB pages and the kernel's boot tcp_mem for it.
Snapshot ram_host(std::uint64_t gib) {
    Snapshot s;
    s.host = "web1";
    s.mem_total_bytes = gib << 30;
    s.page_size = 4096;
    return s;
}

PlanContext neigh_thresholds(const std::string& v4, const std::string& v6) {
    PlanContext context;
    const auto put = [&](const std::string& family, const std::string& values) {
        std::istringstream in(values);
        for (int i = 1; i <= 3; ++i) {
            std::string value;
            in >> value;
            context.files["/proc/sys/net/" + family + "/neigh/default/gc_thresh" + std::to_string(i)] = value + "\n";
        }
    };
    put("ipv4", v4);
    put("ipv6", v6);
    return context;
}

}  // namespace

TEST_CASE("listen-backlog doubles the queues, to at least 4096, turns SYN cookies on and persists all three") {
    const Snapshot s;
    const auto plan = plan_fixes(s, {finding("syn-queue", "tcp syn queues", "listen-backlog")},
                                 listen_queues("128", "512", "0"), {});
    REQUIRE(plan.changes.size() == 4);
    CHECK(render_plan_diff(plan).find("--- a/proc/sys/net/core/somaxconn\n+++ b/proc/sys/net/core/somaxconn\n"
                                      "@@ -1 +1 @@\n-128\n+4096\n") != std::string::npos);
    CHECK(change_at(plan, "/proc/sys/net/ipv4/tcp_max_syn_backlog")->after == "4096\n");
    CHECK(change_at(plan, "/proc/sys/net/ipv4/tcp_syncookies")->before == "0\n");
    CHECK(change_at(plan, "/proc/sys/net/ipv4/tcp_syncookies")->after == "1\n");
    CHECK(change_at(plan, "/proc/sys/net/core/somaxconn")->reason == "syn-queue: syn-queue fired");
    const auto* file = change_at(plan, "/etc/sysctl.d/60-netdiag-listen-backlog.conf");
    REQUIRE(file);
    CHECK_FALSE(file->before.has_value());
    CHECK(file->after.find("net.core.somaxconn = 4096\nnet.ipv4.tcp_max_syn_backlog = 4096\nnet.ipv4.tcp_syncookies = 1\n") !=
          std::string::npos);
    CHECK_FALSE(content_problem(file->path, file->after));
    CHECK(has_note(plan, "listen again"));

    // Past 4096 it doubles; cookies at 1 or 2 stay as they are.
    const auto bigger = plan_fixes(s, {finding("listen-overflows", "tcp listen queues", "listen-backlog")},
                                   listen_queues("4096", "8192", "2"), {});
    CHECK(change_at(bigger, "/proc/sys/net/core/somaxconn")->after == "8192\n");
    CHECK(change_at(bigger, "/proc/sys/net/ipv4/tcp_max_syn_backlog")->after == "16384\n");
    CHECK(change_at(bigger, "/proc/sys/net/ipv4/tcp_syncookies") == nullptr);
    CHECK(change_at(bigger, "/etc/sysctl.d/60-netdiag-listen-backlog.conf")->after.find("tcp_syncookies") ==
          std::string::npos);
}

TEST_CASE("listen-backlog never lowers, keeps somaxconn within 16 bits and keeps earlier settings") {
    const Snapshot s;
    // somaxconn near the ceiling is raised only to it; at it, left alone and said so.
    auto capped = plan_fixes(s, {}, listen_queues("40000", "2147483647", "1"), {"listen-backlog"});
    CHECK(change_at(capped, "/proc/sys/net/core/somaxconn")->after == "65535\n");
    CHECK(change_at(capped, "/proc/sys/net/ipv4/tcp_max_syn_backlog") == nullptr);
    CHECK(has_note(capped, "tcp_max_syn_backlog is 2147483647 already"));
    const auto at_ceiling = plan_fixes(s, {}, listen_queues("65535", "2147483647", "1"), {"listen-backlog"});
    CHECK(at_ceiling.changes.empty());
    CHECK(has_note(at_ceiling, "net.core.somaxconn is 65535 already; netdiag plans at most 65535"));
    const auto higher = plan_fixes(s, {}, listen_queues("200000", "2147483647", "1"), {"listen-backlog"});
    CHECK(higher.changes.empty());  // an admin's larger value is never lowered
    for (const auto& change : capped.changes) CHECK_FALSE(planned_value_problem(change.path, change.after));

    // An earlier run turned cookies on; this one only doubles: the file keeps tcp_syncookies.
    auto context = listen_queues("4096", "4096", "1");
    context.files["/etc/sysctl.d/60-netdiag-listen-backlog.conf"] =
        "# Written by `netdiag fix` (listen-backlog): x\nnet.core.somaxconn = 4096\nnet.ipv4.tcp_max_syn_backlog = 4096\n"
        "net.ipv4.tcp_syncookies = 1\n";
    const auto again = plan_fixes(s, {}, context, {"listen-backlog"});
    const auto* file = change_at(again, "/etc/sysctl.d/60-netdiag-listen-backlog.conf");
    REQUIRE(file);
    CHECK(file->after.find("net.core.somaxconn = 8192\nnet.ipv4.tcp_max_syn_backlog = 8192\nnet.ipv4.tcp_syncookies = 1\n") !=
          std::string::npos);

    // Missing sysctls are skipped with a note, not planned as zero.
    const auto bare = plan_fixes(s, {}, PlanContext{}, {"listen-backlog"});
    CHECK(bare.changes.empty());
    CHECK(has_note(bare, "net.core.somaxconn is not available"));
    CHECK(has_note(bare, "tcp_syncookies is not available"));
}

TEST_CASE("tcp-mem targets twice the kernel's tcp_init_mem rule for the RAM and never lowers") {
    // 16 GiB of 4 KiB pages: 4194304 pages; the kernel's limit = 262144: 196608 262144 393216.
    Snapshot s = ram_host(16);
    PlanContext context;
    context.files["/proc/sys/net/ipv4/tcp_mem"] = "196608\t262144\t393216\n";
    const auto plan = plan_fixes(s, {finding("tcp-memory", "tcp_mem", "tcp-mem")}, context, {});
    REQUIRE(plan.changes.size() == 2);
    CHECK(render_plan_diff(plan).find("-196608\t262144\t393216\n+393216 524288 786432\n") != std::string::npos);
    const auto* file = change_at(plan, "/etc/sysctl.d/60-netdiag-tcp-mem.conf");
    REQUIRE(file);
    CHECK(file->after.find("\nnet.ipv4.tcp_mem = 393216 524288 786432\n") != std::string::npos);
    CHECK(file->after.find("16384 MiB of RAM") != std::string::npos);
    CHECK_FALSE(content_problem(file->path, file->after));
    CHECK_FALSE(planned_value_problem("/proc/sys/net/ipv4/tcp_mem", plan.changes[0].after));

    // 1 GiB: limit 16384: 12288 16384 24576, twice that.
    const auto small = plan_fixes(ram_host(1), {}, context, {"tcp-mem"});
    CHECK(small.changes.empty());  // the host's values are higher already: never lowered
    CHECK(has_note(small, "at or above twice the kernel's default for 1024 MiB"));
    context.files["/proc/sys/net/ipv4/tcp_mem"] = "1000\t2000\t3000\n";
    CHECK(change_at(plan_fixes(ram_host(1), {}, context, {"tcp-mem"}), "/proc/sys/net/ipv4/tcp_mem")->after ==
          "24576 32768 49152\n");

    // Each number is raised on its own, never lowered, and the order low <= pressure <= high kept.
    context.files["/proc/sys/net/ipv4/tcp_mem"] = "30000\t20000\t90000\n";
    CHECK(change_at(plan_fixes(ram_host(1), {}, context, {"tcp-mem"}), "/proc/sys/net/ipv4/tcp_mem")->after ==
          "30000 32768 90000\n");

    // 64 KiB pages (arm64): 16 GiB is 262144 pages, limit 16384.
    s.page_size = 65536;
    context.files["/proc/sys/net/ipv4/tcp_mem"] = "12288\t16384\t24576\n";
    CHECK(change_at(plan_fixes(s, {}, context, {"tcp-mem"}), "/proc/sys/net/ipv4/tcp_mem")->after == "24576 32768 49152\n");
}

TEST_CASE("tcp-mem plans nothing without the RAM size, the page size or tcp_mem itself") {
    PlanContext context;
    context.files["/proc/sys/net/ipv4/tcp_mem"] = "1000\t2000\t3000\n";
    Snapshot unknown_ram;
    const auto no_ram = plan_fixes(unknown_ram, {finding("tcp-memory", "tcp_mem", "tcp-mem")}, context, {});
    CHECK(no_ram.changes.empty());
    CHECK(has_note(no_ram, "RAM size (MemTotal in /proc/meminfo) is not known"));
    Snapshot no_page = ram_host(4);
    no_page.page_size.reset();
    CHECK(has_note(plan_fixes(no_page, {}, context, {"tcp-mem"}), "page size is not known"));
    CHECK(has_note(plan_fixes(ram_host(4), {}, PlanContext{}, {"tcp-mem"}), "tcp_mem is not available here"));
    context.files["/proc/sys/net/ipv4/tcp_mem"] = "1000 2000\n";
    const auto broken = plan_fixes(ram_host(4), {}, context, {"tcp-mem"});
    CHECK(broken.changes.empty());
    CHECK(has_note(broken, "does not hold three numbers"));
}

TEST_CASE("neigh-table sizes the families whose finding fired from the entries seen") {
    Snapshot s;
    s.arp_cache = NeighbourTable{3000, 120, 40};
    s.ndisc_cache = NeighbourTable{10, 0, 0};
    const auto context = neigh_thresholds("128 512 1024", "128 512 1024");
    const auto plan = plan_fixes(s, {finding("neigh-table", "ipv4", "neigh-table")}, context, {});
    // 4 x 3000 = 12000 -> 16384 (more than 2 x 1024): 2048/8192/16384.
    CHECK(render_plan_diff(plan).find("--- a/proc/sys/net/ipv4/neigh/default/gc_thresh3\n"
                                      "+++ b/proc/sys/net/ipv4/neigh/default/gc_thresh3\n@@ -1 +1 @@\n-1024\n+16384\n") !=
          std::string::npos);
    CHECK(change_at(plan, "/proc/sys/net/ipv4/neigh/default/gc_thresh2")->after == "8192\n");
    CHECK(change_at(plan, "/proc/sys/net/ipv4/neigh/default/gc_thresh1")->after == "2048\n");
    CHECK(change_at(plan, "/proc/sys/net/ipv6/neigh/default/gc_thresh3") == nullptr);  // IPv6 did not fire
    const auto* file = change_at(plan, "/etc/sysctl.d/60-netdiag-neigh-table.conf");
    REQUIRE(file);
    CHECK(file->after.find("net.ipv4.neigh.default.gc_thresh1 = 2048\nnet.ipv4.neigh.default.gc_thresh2 = 8192\n"
                           "net.ipv4.neigh.default.gc_thresh3 = 16384\n") != std::string::npos);
    CHECK(file->after.find("ipv6") == std::string::npos);
    CHECK_FALSE(content_problem(file->path, file->after));
    CHECK(has_note(plan, "ipv4: gc_thresh1/2/3 128/512/1024 -> 2048/8192/16384 (3000 entries seen)"));

    // Asked for by name: both families, even with only one finding; few entries: doubled.
    const auto both = plan_fixes(s, {finding("neigh-table", "ipv4", "neigh-table")}, context, {"neigh-table"});
    CHECK(change_at(both, "/proc/sys/net/ipv6/neigh/default/gc_thresh3")->after == "2048\n");
    CHECK(change_at(both, "/proc/sys/net/ipv6/neigh/default/gc_thresh2")->after == "1024\n");
    CHECK(change_at(both, "/proc/sys/net/ipv6/neigh/default/gc_thresh1")->after == "256\n");
    CHECK(change_at(both, "/proc/sys/net/ipv4/neigh/default/gc_thresh3")->after == "16384\n");
    CHECK(change_at(both, "/proc/sys/net/ipv4/neigh/default/gc_thresh3")->reason == "neigh-table: neigh-table fired");
    CHECK(change_at(both, "/proc/sys/net/ipv6/neigh/default/gc_thresh3")->reason == "neigh-table was asked for with --only");
    CHECK(plan_fixes(s, {}, context, {"neigh-table"}).changes.size() == 7);  // 2 x 3 thresholds and the file
}

TEST_CASE("neigh-table never lowers a threshold, keeps 1 <= 2 <= 3 and keeps the other family's file lines") {
    Snapshot s;  // entry counts not known: doubling, at least the kernel's default
    // An admin's gc_thresh1 above the new gc_thresh2 stays; 2 and 3 rise to keep the order.
    auto context = neigh_thresholds("6000 600 1000", "0 0 0");
    context.files["/etc/sysctl.d/60-netdiag-neigh-table.conf"] =
        "# Written by `netdiag fix` (neigh-table): x\nnet.ipv6.neigh.default.gc_thresh1 = 128\n"
        "net.ipv6.neigh.default.gc_thresh2 = 512\nnet.ipv6.neigh.default.gc_thresh3 = 1024\n";
    const auto plan = plan_fixes(s, {finding("neigh-table", "ipv4", "neigh-table")}, context, {});
    CHECK(change_at(plan, "/proc/sys/net/ipv4/neigh/default/gc_thresh1") == nullptr);
    CHECK(change_at(plan, "/proc/sys/net/ipv4/neigh/default/gc_thresh2")->after == "6000\n");
    CHECK(change_at(plan, "/proc/sys/net/ipv4/neigh/default/gc_thresh3")->after == "6000\n");
    const auto* file = change_at(plan, "/etc/sysctl.d/60-netdiag-neigh-table.conf");
    REQUIRE(file);
    CHECK(file->after.find("net.ipv4.neigh.default.gc_thresh1 = 6000\nnet.ipv4.neigh.default.gc_thresh2 = 6000\n"
                           "net.ipv4.neigh.default.gc_thresh3 = 6000\nnet.ipv6.neigh.default.gc_thresh1 = 128\n") !=
          std::string::npos);
    CHECK_FALSE(content_problem(file->path, file->after));

    // Zeros (GC off) become the kernel's defaults at least, never stay zero.
    const auto zeros = plan_fixes(s, {finding("neigh-table", "ipv6", "neigh-table")}, context, {});
    CHECK(change_at(zeros, "/proc/sys/net/ipv6/neigh/default/gc_thresh1")->after == "128\n");
    CHECK(change_at(zeros, "/proc/sys/net/ipv6/neigh/default/gc_thresh3")->after == "1024\n");
    for (const auto& change : zeros.changes) CHECK_FALSE(planned_value_problem(change.path, change.after));

    // A huge table is left alone; missing files are skipped; neither plans anything.
    const auto huge = plan_fixes(s, {}, neigh_thresholds("128 512 1073741824", "128 512 1024"), {"neigh-table"});
    CHECK(change_at(huge, "/proc/sys/net/ipv4/neigh/default/gc_thresh3") == nullptr);
    CHECK(has_note(huge, "netdiag plans at most 1073741824"));
    const auto missing = plan_fixes(s, {finding("neigh-table", "ipv4", "neigh-table")}, PlanContext{}, {});
    CHECK(missing.changes.empty());
    CHECK(has_note(missing, "ipv4: the gc_thresh sysctls are not available"));
}

TEST_CASE("the new fixers' files hold only their own keys and numbers netdiag would write") {
    const std::vector<std::pair<std::string, std::string>> refused = {
        // Another fixer's key, or any other sysctl, in a fixer's file.
        {"/etc/sysctl.d/60-netdiag-listen-backlog.conf", "net.core.somaxconn = 4096\nkernel.modprobe = /tmp/x\n"},
        {"/etc/sysctl.d/60-netdiag-listen-backlog.conf", "net.ipv4.tcp_mem = 1 2 3\n"},
        {"/etc/sysctl.d/60-netdiag-tcp-mem.conf", "net.core.somaxconn = 4096\n"},
        {"/etc/sysctl.d/60-netdiag-neigh-table.conf", "net.ipv4.neigh.eth0.gc_stale_time = 1\n"},
        {"/etc/sysctl.d/60-netdiag-neigh-table.conf", "-net.ipv4.neigh.default.gc_thresh3 = 2048\n"},
        // Not numbers, zero, out of bounds, twice.
        {"/etc/sysctl.d/60-netdiag-listen-backlog.conf", "net.core.somaxconn = 4096 # more\n"},
        {"/etc/sysctl.d/60-netdiag-listen-backlog.conf", "net.core.somaxconn = 0\n"},
        {"/etc/sysctl.d/60-netdiag-listen-backlog.conf", "net.core.somaxconn = 65536\n"},
        {"/etc/sysctl.d/60-netdiag-listen-backlog.conf", "net.ipv4.tcp_syncookies = 0\n"},
        {"/etc/sysctl.d/60-netdiag-listen-backlog.conf", "net.ipv4.tcp_syncookies = 3\n"},
        {"/etc/sysctl.d/60-netdiag-listen-backlog.conf", "net.ipv4.tcp_max_syn_backlog = 2147483648\n"},
        {"/etc/sysctl.d/60-netdiag-listen-backlog.conf", "net.core.somaxconn = 4096\nnet.core.somaxconn = 1\n"},
        {"/etc/sysctl.d/60-netdiag-tcp-mem.conf", "net.ipv4.tcp_mem = 1 2\n"},
        {"/etc/sysctl.d/60-netdiag-tcp-mem.conf", "net.ipv4.tcp_mem = 1 2 3 4\n"},
        {"/etc/sysctl.d/60-netdiag-tcp-mem.conf", "net.ipv4.tcp_mem = 3 2 1\n"},
        {"/etc/sysctl.d/60-netdiag-tcp-mem.conf", "net.ipv4.tcp_mem = 0 2 3\n"},
        {"/etc/sysctl.d/60-netdiag-tcp-mem.conf", "net.ipv4.tcp_mem = 1 2 -3\n"},
        {"/etc/sysctl.d/60-netdiag-tcp-mem.conf", "net.ipv4.tcp_mem = 1 2 99999999999999999\n"},
        {"/etc/sysctl.d/60-netdiag-neigh-table.conf", "net.ipv4.neigh.default.gc_thresh3 = x\n"},
        {"/etc/sysctl.d/60-netdiag-neigh-table.conf",
         "net.ipv4.neigh.default.gc_thresh2 = 4096\nnet.ipv4.neigh.default.gc_thresh3 = 1024\n"},
        {"/etc/sysctl.d/60-netdiag-neigh-table.conf", "net.ipv6.neigh.default.gc_thresh1 = 0\n"},
        // Runtime files: one integer, three for tcp_mem, within what the kernel holds.
        {"/proc/sys/net/core/somaxconn", "4096 1\n"},
        {"/proc/sys/net/core/somaxconn", "2147483648\n"},
        {"/proc/sys/net/ipv4/tcp_syncookies", "3\n"},
        {"/proc/sys/net/ipv4/tcp_mem", "1 2\n"},
        {"/proc/sys/net/ipv4/tcp_mem", "1 2 3; reboot\n"},
        {"/proc/sys/net/ipv4/neigh/default/gc_thresh3", "-1\n"},
    };
    for (const auto& [path, content] : refused) {
        INFO(path << ": " << content);
        CHECK(content_problem(path, content));
    }
    // What a host may hold before a fix (undo writes it back) passes: cookies off, unordered tcp_mem, zeros.
    CHECK_FALSE(content_problem("/proc/sys/net/ipv4/tcp_syncookies", "0\n"));
    CHECK_FALSE(content_problem("/proc/sys/net/ipv4/tcp_mem", "30000\t20000\t90000\n"));
    CHECK_FALSE(content_problem("/proc/sys/net/ipv4/neigh/default/gc_thresh1", "0\n"));
    CHECK_FALSE(content_problem("/proc/sys/net/core/somaxconn", "200000\n"));
    // but netdiag never writes them.
    CHECK(planned_value_problem("/proc/sys/net/ipv4/tcp_syncookies", "0\n"));
    CHECK(planned_value_problem("/proc/sys/net/ipv4/tcp_mem", "30000 20000 90000\n"));
    CHECK(planned_value_problem("/proc/sys/net/ipv4/tcp_mem", "0 1 2\n"));
    CHECK(planned_value_problem("/proc/sys/net/ipv4/neigh/default/gc_thresh1", "0\n"));
    CHECK(planned_value_problem("/proc/sys/net/core/somaxconn", "65536\n"));
    CHECK_FALSE(planned_value_problem("/proc/sys/net/core/somaxconn", "65535\n"));
    CHECK_FALSE(planned_value_problem("/proc/sys/net/ipv4/tcp_mem", "1 2 3\n"));
    CHECK_FALSE(planned_value_problem("/proc/sys/net/core/netdev_max_backlog", "0\n"));  // unbounded, as before
}

TEST_CASE("every fixer names the checks it answers") {
    for (const auto& fixer : fixer_catalogue()) {
        INFO(fixer.id);
        CHECK_FALSE(fixer.answers.empty());
    }
    const auto answers = [](const std::string& id) {
        for (const auto& fixer : fixer_catalogue()) {
            if (fixer.id == id) return fixer.answers;
        }
        return std::vector<std::string>{};
    };
    CHECK(answers("listen-backlog") == std::vector<std::string>{"listen-overflows", "syn-queue"});
    CHECK(answers("tcp-mem") == std::vector<std::string>{"tcp-memory"});
    CHECK(answers("neigh-table") == std::vector<std::string>{"neigh-table"});
}
