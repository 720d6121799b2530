// Checks are pure functions of snapshots: each is tested on hand-built snapshots.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "checks/catalogue.hpp"
#include "checks/rates.hpp"

using namespace netdiag;

namespace {

Snapshot base_snapshot(double uptime) {
    Snapshot s;
    s.host = "web1";
    s.uptime_seconds = uptime;
    s.taken_at_unix_ms = static_cast<std::int64_t>(uptime * 1000);
    s.net_dev = std::vector<InterfaceCounters>{};
    s.sysctls["net.core.netdev_max_backlog"] = 1000;
    s.sysctls["net.core.netdev_budget"] = 300;
    s.sysctls["net.core.netdev_budget_usecs"] = 2000;
    return s;
}

InterfaceCounters interface(const std::string& name, std::uint64_t rx_bytes, std::uint64_t rx_drop) {
    InterfaceCounters c;
    c.name = name;
    c.rx_bytes = rx_bytes;
    c.rx_drop = rx_drop;
    return c;
}

InterfaceInfo physical(const std::string& name, std::int64_t speed) {
    InterfaceInfo info;
    info.name = name;
    info.is_virtual = false;
    info.speed_mbps = speed;
    info.operstate = "up";
    return info;
}

std::vector<Finding> findings_of(const Snapshot& before, const Snapshot& after, const Settings& settings) {
    auto rates = compute_rates(before, after);
    REQUIRE(rates.ok());
    return run_checks(after, &*rates, settings);
}

std::vector<Finding> only(const std::vector<Finding>& findings, const std::string& check) {
    std::vector<Finding> selected;
    for (const auto& f : findings) {
        if (f.check == check) selected.push_back(f);
    }
    return selected;
}

}  // namespace

TEST_CASE("counter deltas never go negative", "[rates]") {
    CHECK(counter_delta(100, 150) == 50);
    CHECK(counter_delta(4294967290ULL, 5) == 11);     // 32-bit wrap
    CHECK(counter_delta(1000000, 20) == 20);           // reset: the new value is the growth
    CHECK(counter_delta(1ULL << 40, 7) == 7);          // a 64-bit counter never wraps in practice
}

TEST_CASE("rates use the target's uptime as the interval", "[rates]") {
    auto a = base_snapshot(100);
    auto b = base_snapshot(102);
    b.taken_at_unix_ms = a.taken_at_unix_ms + 9000;  // the collector's clock jumped; uptime did not
    a.net_dev->push_back(interface("eth0", 0, 0));
    b.net_dev->push_back(interface("eth0", 2000, 10));
    auto rates = compute_rates(a, b);
    REQUIRE(rates.ok());
    CHECK(rates->seconds == Approx(2.0));
    REQUIRE(rates->interfaces.size() == 1);
    CHECK(rates->interfaces[0].rx_bytes == Approx(1000));
    CHECK(rates->interfaces[0].rx_drop == Approx(5));
}

TEST_CASE("a rebooted host gives rates from zero, not negative ones", "[rates]") {
    auto a = base_snapshot(5000);
    auto b = base_snapshot(3);
    b.taken_at_unix_ms = a.taken_at_unix_ms + 5000;
    a.net_dev->push_back(interface("eth0", 1000000, 500));
    b.net_dev->push_back(interface("eth0", 300, 0));
    auto rates = compute_rates(a, b);
    REQUIRE(rates.ok());
    CHECK(rates->seconds == Approx(5.0));
    CHECK(rates->interfaces[0].rx_bytes == Approx(60));
    CHECK(rates->interfaces[0].rx_drop == Approx(0));
}

TEST_CASE("samples out of order are an error naming the host", "[rates]") {
    auto a = base_snapshot(10);
    auto b = base_snapshot(10);
    auto rates = compute_rates(a, b);
    REQUIRE_FALSE(rates.ok());
    CHECK_THAT(rates.error().message, Catch::Contains("web1"));
}

TEST_CASE("conntrack fill: warning at 80%, critical at 95%, silent when not loaded", "[checks]") {
    const Settings settings = default_settings();
    auto s = base_snapshot(1);
    CHECK(only(run_checks(s, nullptr, settings), "conntrack-fill").empty());

    s.conntrack = Conntrack{};
    s.conntrack->count = 79;
    s.conntrack->max = 100;
    CHECK(only(run_checks(s, nullptr, settings), "conntrack-fill").empty());

    s.conntrack->count = 80;
    auto warning = only(run_checks(s, nullptr, settings), "conntrack-fill");
    REQUIRE(warning.size() == 1);
    CHECK(warning[0].severity == Severity::warning);
    CHECK(warning[0].subject == "nf_conntrack");
    CHECK(warning[0].value == Approx(80));
    CHECK(warning[0].fix == "conntrack-max");
    CHECK(warning[0].host == "web1");

    s.conntrack->count = 96;
    auto critical = only(run_checks(s, nullptr, settings), "conntrack-fill");
    REQUIRE(critical.size() == 1);
    CHECK(critical[0].severity == Severity::critical);
    CHECK(critical[0].threshold == Approx(95));
}

TEST_CASE("conntrack drops are critical at any rate", "[checks]") {
    auto a = base_snapshot(10), b = base_snapshot(20);
    a.conntrack = Conntrack{10, 100, 100, std::map<std::string, std::uint64_t>{{"insert_failed", 0}, {"drop", 0}}};
    b.conntrack = Conntrack{10, 100, 100, std::map<std::string, std::uint64_t>{{"insert_failed", 3}, {"drop", 7}}};
    auto found = only(findings_of(a, b, default_settings()), "conntrack-drops");
    REQUIRE(found.size() == 1);
    CHECK(found[0].severity == Severity::critical);
    CHECK(found[0].value == Approx(1.0));
}

TEST_CASE("rx drops name their cause", "[checks]") {
    const Settings settings = default_settings();
    auto a = base_snapshot(100), b = base_snapshot(110);
    a.net_dev->push_back(interface("eth0", 0, 0));
    b.net_dev->push_back(interface("eth0", 0, 5000));  // 500/s: warning
    a.net_dev->push_back(interface("eth1", 0, 0));
    b.net_dev->push_back(interface("eth1", 0, 50));    // 5/s: below the threshold
    a.interfaces = {physical("eth0", 10000)};
    b.interfaces = a.interfaces;

    SECTION("backlog drops point at netdev_max_backlog") {
        a.softnet = std::vector<SoftnetCpu>{{0, 100, 0, 0}, {1, 100, 0, 0}};
        b.softnet = std::vector<SoftnetCpu>{{0, 900, 0, 0}, {1, 900, 4000, 0}};
        auto found = only(findings_of(a, b, settings), "rx-drops");
        REQUIRE(found.size() == 1);
        CHECK(found[0].subject == "eth0");
        CHECK(found[0].severity == Severity::warning);
        CHECK(found[0].cause == "backlog");
        CHECK(found[0].fix == "softnet-backlog");
        CHECK_THAT(found[0].message, Catch::Contains("CPU1 (400/s)"));
        CHECK_THAT(found[0].action, Catch::Contains("netdev_max_backlog (now 1000)"));
        CHECK(only(findings_of(a, b, settings), "softnet-backlog").size() == 1);
    }
    SECTION("time squeeze points at netdev_budget") {
        a.softnet = std::vector<SoftnetCpu>{{0, 100, 0, 10}};
        b.softnet = std::vector<SoftnetCpu>{{0, 900, 0, 500}};
        auto found = only(findings_of(a, b, settings), "rx-drops");
        REQUIRE(found.size() == 1);
        CHECK(found[0].cause == "budget");
        CHECK(found[0].fix == "softnet-budget");
    }
    SECTION("missed frames point at the ring") {
        a.interfaces[0].rx_missed_errors = 0;
        b.interfaces[0].rx_missed_errors = 3000;
        auto found = only(findings_of(a, b, settings), "rx-drops");
        REQUIRE(found.size() == 1);
        CHECK(found[0].cause == "ring");
        CHECK_THAT(found[0].action, Catch::Contains("ethtool -G eth0"));
        CHECK_FALSE(found[0].fix.has_value());  // ring sizes unknown: nothing to plan
    }
    SECTION("a ring below its maximum is named, with the fix that raises it") {
        a.interfaces[0].rx_missed_errors = 0;
        b.interfaces[0].rx_missed_errors = 3000;
        b.interfaces[0].ring = RingSizes{256, 4096, 256, 4096};
        auto found = only(findings_of(a, b, settings), "rx-drops");
        REQUIRE(found.size() == 1);
        CHECK(found[0].cause == "ring");
        CHECK(found[0].fix == "nic-ring");
        CHECK_THAT(found[0].message, Catch::Contains("its RX ring holds 256 descriptors of a possible 4096"));
        CHECK_THAT(found[0].action, Catch::Contains("ethtool -G eth0 rx 4096"));
        b.interfaces[0].ring = RingSizes{4096, 4096, 256, 4096};
        found = only(findings_of(a, b, settings), "rx-drops");
        CHECK_FALSE(found[0].fix.has_value());
        CHECK_THAT(found[0].message, Catch::Contains("already at its maximum (4096)"));
    }
    SECTION("NET_RX piled on one CPU while others idle points at IRQ affinity") {
        a.softirqs = Softirqs{{"NET_RX", {{"CPU0", 0}, {"CPU1", 0}, {"CPU2", 0}}}};
        b.softirqs = Softirqs{{"NET_RX", {{"CPU0", 95000}, {"CPU1", 3000}, {"CPU2", 2000}}}};
        a.cpu_times = std::vector<CpuTimes>{{"cpu0", 0, 0, 0, 0, 0, 0, 0, 0}, {"cpu1", 0, 0, 0, 0, 0, 0, 0, 0},
                                            {"cpu2", 0, 0, 0, 0, 0, 0, 0, 0}};
        b.cpu_times = std::vector<CpuTimes>{{"cpu0", 100, 0, 100, 100, 0, 0, 700, 0},
                                            {"cpu1", 50, 0, 50, 900, 0, 0, 0, 0},
                                            {"cpu2", 50, 0, 50, 900, 0, 0, 0, 0}};
        b.interfaces[0].irqs = {27, 28};
        a.interrupts = std::vector<InterruptLine>{{27, {{"CPU0", 0}, {"CPU1", 0}}, "", "eth0-rx-0"},
                                                  {28, {{"CPU0", 0}, {"CPU1", 0}}, "", "eth0-rx-1"}};
        b.interrupts = std::vector<InterruptLine>{{27, {{"CPU0", 9000}, {"CPU1", 0}}, "", "eth0-rx-0"},
                                                  {28, {{"CPU0", 8000}, {"CPU1", 0}}, "", "eth0-rx-1"}};
        auto found = only(findings_of(a, b, settings), "rx-drops");
        REQUIRE(found.size() == 1);
        CHECK(found[0].cause == "irq-affinity");
        CHECK(found[0].fix == "irq-affinity");
        CHECK(found[0].details.at("irqs") == "27→CPU0, 28→CPU0");
        CHECK_THAT(found[0].message, Catch::Contains("95% of NET_RX softirqs ran on CPU0"));
    }
    SECTION("a veth's drops without pressure are blamed on what it received, not on IRQs") {
        b.interfaces[0].is_virtual = true;
        a.softirqs = Softirqs{{"NET_RX", {{"CPU0", 0}, {"CPU1", 0}}}};
        b.softirqs = Softirqs{{"NET_RX", {{"CPU0", 95000}, {"CPU1", 0}}}};
        auto found = only(findings_of(a, b, settings), "rx-drops");
        REQUIRE(found.size() == 1);
        CHECK(found[0].cause == "protocol");
        CHECK_FALSE(found[0].fix.has_value());
    }
    SECTION("over 1000/s is critical") {
        b.net_dev->at(0).rx_drop = 20000;
        auto found = only(findings_of(a, b, settings), "rx-drops");
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::critical);
    }
}

TEST_CASE("NIC saturation against link speed, unknown without one", "[checks]") {
    Settings settings = default_settings();
    auto a = base_snapshot(0.5), b = base_snapshot(1.5);
    a.net_dev->push_back(interface("eth0", 0, 0));
    b.net_dev->push_back(interface("eth0", 118750000, 0));  // 950 Mb/s in one second
    a.net_dev->push_back(interface("veth1", 0, 0));
    b.net_dev->push_back(interface("veth1", 125000000, 0));
    b.interfaces = {physical("eth0", 1000), physical("veth1", 10000)};

    auto found = only(findings_of(a, b, settings), "nic-saturation");
    REQUIRE(found.size() == 1);  // veth1 is excluded by pattern
    CHECK(found[0].subject == "eth0");
    CHECK(found[0].severity == Severity::critical);
    CHECK(found[0].value == Approx(95.0));

    b.interfaces[0].speed_mbps = -1;  // what many VMs report
    found = only(findings_of(a, b, settings), "nic-saturation");
    REQUIRE(found.size() == 1);
    CHECK(found[0].severity == Severity::unknown);
    CHECK_THAT(found[0].action, Catch::Contains("--speed eth0=MBPS"));

    REQUIRE(set_speed(settings, "eth0=10000").ok());
    CHECK(only(findings_of(a, b, settings), "nic-saturation").empty());  // 9.5% of 10G
}

TEST_CASE("TCP retransmits need both a rate and a ratio", "[checks]") {
    auto a = base_snapshot(0), b = base_snapshot(10);
    a.snmp = ProtoCounters{{"Tcp", {{"RetransSegs", 0}, {"OutSegs", 0}}}};
    SECTION("4% at 165/s warns") {
        b.snmp = ProtoCounters{{"Tcp", {{"RetransSegs", 1650}, {"OutSegs", 41250}}}};
        auto found = only(findings_of(a, b, default_settings()), "tcp-retransmits");
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        CHECK(found[0].subject == "tcp");
        CHECK(found[0].value == Approx(4.0));
    }
    SECTION("6% is critical") {
        b.snmp = ProtoCounters{{"Tcp", {{"RetransSegs", 1200}, {"OutSegs", 20000}}}};
        auto found = only(findings_of(a, b, default_settings()), "tcp-retransmits");
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::critical);
    }
    SECTION("a high ratio on a trickle is not worth waking anyone") {
        b.snmp = ProtoCounters{{"Tcp", {{"RetransSegs", 100}, {"OutSegs", 1000}}}};
        CHECK(only(findings_of(a, b, default_settings()), "tcp-retransmits").empty());
    }
}

TEST_CASE("TIME_WAIT against the ephemeral port range", "[checks]") {
    auto s = base_snapshot(1);
    s.port_range = PortRange{40000, 40999};
    s.sockstat = SockStat{{"TCP", {{"inuse", 3}, {"tw", 950}}}};
    s.tcp = TcpSockets{};
    s.tcp->time_wait_by_remote_port = {{8080, 940}, {22, 10}};
    auto found = only(run_checks(s, nullptr, default_settings()), "time-wait");
    REQUIRE(found.size() == 1);
    CHECK(found[0].severity == Severity::critical);
    CHECK(found[0].subject == "ip_local_port_range");
    CHECK(found[0].value == Approx(95.0));
    CHECK_THAT(found[0].message, Catch::Contains("remote port 8080 (940)"));

    s.sockstat = SockStat{{"TCP", {{"tw", 600}}}};
    found = only(run_checks(s, nullptr, default_settings()), "time-wait");
    REQUIRE(found.size() == 1);
    CHECK(found[0].severity == Severity::warning);

    s.port_range = PortRange{32768, 60999};
    CHECK(only(run_checks(s, nullptr, default_settings()), "time-wait").empty());
}

TEST_CASE("CLOSE_WAIT names the local port that holds it", "[checks]") {
    auto s = base_snapshot(1);
    s.tcp = TcpSockets{};
    s.tcp->close_wait_by_local_port = {{8080, 2000}, {9090, 150}, {22, 3}};
    auto found = only(run_checks(s, nullptr, default_settings()), "close-wait");
    REQUIRE(found.size() == 2);
    CHECK(found[0].subject == "port 8080");  // worst first
    CHECK(found[0].severity == Severity::critical);
    CHECK(found[1].subject == "port 9090");
    CHECK(found[1].severity == Severity::warning);
    CHECK_THAT(found[0].action, Catch::Contains("sport = :8080"));
}

TEST_CASE("listen overflows, UDP buffer errors and NIC errors fire above zero", "[checks]") {
    auto a = base_snapshot(0), b = base_snapshot(10);
    a.netstat = ProtoCounters{{"TcpExt", {{"ListenOverflows", 0}, {"ListenDrops", 0}}}};
    b.netstat = ProtoCounters{{"TcpExt", {{"ListenOverflows", 20}, {"ListenDrops", 20}}}};
    a.snmp = ProtoCounters{{"Udp", {{"RcvbufErrors", 0}, {"SndbufErrors", 0}}}};
    b.snmp = ProtoCounters{{"Udp", {{"RcvbufErrors", 50}, {"SndbufErrors", 0}}}};
    auto eth0_before = interface("eth0", 0, 0);
    auto eth0_after = interface("eth0", 0, 0);
    eth0_after.rx_errs = 10;
    a.net_dev->push_back(eth0_before);
    b.net_dev->push_back(eth0_after);
    b.interfaces = {physical("eth0", 1000)};
    const auto findings = findings_of(a, b, default_settings());
    REQUIRE(only(findings, "listen-overflows").size() == 1);
    CHECK(only(findings, "listen-overflows")[0].value == Approx(2.0));
    REQUIRE(only(findings, "udp-buffer-errors").size() == 1);
    CHECK(only(findings, "udp-buffer-errors")[0].value == Approx(5.0));
    REQUIRE(only(findings, "nic-errors").size() == 1);
    CHECK(only(findings, "nic-errors")[0].subject == "eth0");
}

TEST_CASE("level checks run with one sample; rate checks wait for two", "[checks]") {
    auto s = base_snapshot(1);
    s.conntrack = Conntrack{90, 100, std::nullopt, std::nullopt};
    s.netstat = ProtoCounters{{"TcpExt", {{"ListenOverflows", 1000}}}};
    const auto findings = run_checks(s, nullptr, default_settings());
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].check == "conntrack-fill");
}

TEST_CASE("findings come worst first", "[checks]") {
    auto s = base_snapshot(1);
    s.conntrack = Conntrack{85, 100, std::nullopt, std::nullopt};   // warning
    s.tcp = TcpSockets{};
    s.tcp->close_wait_by_local_port = {{8080, 5000}};                // critical
    const auto findings = run_checks(s, nullptr, default_settings());
    REQUIRE(findings.size() == 2);
    CHECK(findings[0].check == "close-wait");
    CHECK(findings[1].check == "conntrack-fill");
}

TEST_CASE("thresholds from flags and config files", "[settings]") {
    Settings settings = default_settings();
    REQUIRE(set_threshold(settings, "conntrack-fill.warning=50").ok());
    CHECK(settings.threshold("conntrack-fill.warning") == 50);
    CHECK_THAT(set_threshold(settings, "conntrack-fil.warning=50").error().message, Catch::Contains("unknown threshold"));
    CHECK_FALSE(set_threshold(settings, "rx-drops.warning=lots").ok());
    CHECK_FALSE(set_threshold(settings, "rx-drops.warning").ok());

    REQUIRE(apply_config(settings,
                         "thresholds:\n  rx-drops.warning: 20\nvirtual_interfaces: [lo, 'veth*']\nspeeds:\n  eth0: 25000\n",
                         "netdiag.yaml")
                .ok());
    CHECK(settings.threshold("rx-drops.warning") == 20);
    CHECK(settings.is_virtual("veth12"));
    CHECK_FALSE(settings.is_virtual("docker0"));
    CHECK(settings.speeds_mbps.at("eth0") == 25000);

    auto bad_key = apply_config(settings, "thresholds:\n  rx-drops.warning: 20\nthreshold: {}\n", "netdiag.yaml");
    REQUIRE_FALSE(bad_key.ok());
    CHECK_THAT(bad_key.error().message, Catch::StartsWith("netdiag.yaml:3: unknown key \"threshold\""));
    auto bad_value = apply_config(settings, "thresholds:\n  rx-drops.warning: many\n", "netdiag.yaml");
    REQUIRE_FALSE(bad_value.ok());
    CHECK_THAT(bad_value.error().message, Catch::StartsWith("netdiag.yaml:2:"));
    auto broken = apply_config(settings, "thresholds: [\n", "netdiag.yaml");
    REQUIRE_FALSE(broken.ok());
    CHECK_THAT(broken.error().message, Catch::StartsWith("netdiag.yaml:"));
}

TEST_CASE("the catalogue is sorted, and every check has thresholds", "[checks]") {
    const auto checks = catalogue();
    const Settings settings = default_settings();
    // A state, not an amount: a link without carrier, a bond slave down, an MTU larger than below.
    const std::set<std::string_view> stateful = {"bond-degraded", "link-down", "mtu-mismatch"};
    for (std::size_t i = 0; i < checks.size(); ++i) {
        if (i > 0) CHECK(checks[i - 1].id < checks[i].id);
        INFO(checks[i].id);
        CHECK(checks[i].threshold_prefix.empty() == (stateful.count(checks[i].id) == 1));
        if (checks[i].threshold_prefix.empty()) continue;
        const std::string prefix = std::string(checks[i].threshold_prefix) + ".";
        CHECK(std::any_of(settings.thresholds.begin(), settings.thresholds.end(),
                          [&](const auto& entry) { return entry.first.rfind(prefix, 0) == 0; }));
    }
}

TEST_CASE("every check names the files it reads", "[checks]") {
    for (const auto& check : catalogue()) {
        INFO(check.id);
        CHECK_FALSE(check.needs.empty());
        CHECK_FALSE(check.counters.empty());
        CHECK_FALSE(check.default_from.empty());
    }
}

TEST_CASE("a file that exists but does not parse makes the checks that need it unknown", "[checks]") {
    auto before = base_snapshot(100);
    auto after = base_snapshot(102);
    const std::string error = "/proc/net/dev:4: eth0: counter \"99999999999999999999999999\" does not fit in 64 bits";
    after.net_dev.reset();
    after.unparsable["/proc/net/dev"] = error;

    auto findings = unparsable_findings(after, &before, default_settings());
    std::vector<std::string> checks;
    for (const auto& f : findings) checks.push_back(f.check);
    std::sort(checks.begin(), checks.end());
    CHECK(checks == std::vector<std::string>{"nic-errors", "nic-saturation", "packet-storm", "rx-drops", "tx-drops"});
    for (const auto& f : findings) {
        CHECK(f.severity == Severity::unknown);
        CHECK(f.host == "web1");
        CHECK(f.subject == "/proc/net/dev");
        CHECK(f.details.at("file") == "/proc/net/dev");
        CHECK(f.details.at("line") == "4");
        CHECK(f.details.at("error") == error);
        CHECK_THAT(f.message, Catch::StartsWith(error));
        CHECK_THAT(f.message, Catch::Contains(f.check));
    }

    // Rate checks compare both samples: a garbled first sample blinds them too.
    findings = unparsable_findings(base_snapshot(102), &after, default_settings());
    CHECK(findings.size() == 5);

    // With one sample the rate checks do not run, so they cannot be blind either.
    CHECK(unparsable_findings(after, nullptr, default_settings()).empty());
    // Nor does a check left out with --only.
    Settings only_conntrack = default_settings();
    only_conntrack.only_checks = {"conntrack-fill"};
    CHECK(unparsable_findings(after, &before, only_conntrack).empty());
}

TEST_CASE("an unparsable level file is unknown with one sample; a virtual interface's file is no one's", "[checks]") {
    auto s = base_snapshot(1);
    s.unparsable["/proc/sys/net/netfilter/nf_conntrack_count"] = "/proc/sys/net/netfilter/nf_conntrack_count:1: "
                                                                 "expected an integer, found \"x\"";
    s.unparsable["/sys/class/net/lo/speed"] = "/sys/class/net/lo/speed:1: expected an integer, found \"x\"";
    s.unparsable["/proc/sys/kernel/hostname"] = "/proc/sys/kernel/hostname:1: expected one word, found \"a b\"";
    const auto findings = unparsable_findings(s, nullptr, default_settings());
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].check == "conntrack-fill");
    CHECK(findings[0].details.at("line") == "1");

    auto before = base_snapshot(0);
    auto speed = base_snapshot(1);
    speed.unparsable["/sys/class/net/eth0/speed"] = "/sys/class/net/eth0/speed: empty file";
    const auto blind = unparsable_findings(speed, &before, default_settings());
    REQUIRE(blind.size() == 2);
    CHECK(blind[0].check == "link-degraded");
    CHECK(blind[1].check == "nic-saturation");
    for (const auto& f : blind) {
        CHECK(f.subject == "/sys/class/net/eth0/speed");
        CHECK(f.details.count("line") == 0);  // "empty file" names no line
    }
}

TEST_CASE("a full SYN queue and lost fragments are found, at the anchors' rates", "[checks]") {
    auto a = base_snapshot(0), b = base_snapshot(10);
    a.netstat = ProtoCounters{{"TcpExt", {{"TCPReqQFullDoCookies", 0}, {"TCPReqQFullDrop", 0}}}};
    b.netstat = ProtoCounters{{"TcpExt", {{"TCPReqQFullDoCookies", 52000}, {"TCPReqQFullDrop", 0}}}};
    a.snmp = ProtoCounters{{"Ip", {{"ReasmFails", 0}, {"ReasmTimeout", 0}}}};
    b.snmp = ProtoCounters{{"Ip", {{"ReasmFails", 23000}, {"ReasmTimeout", 23000}}}};
    b.sysctls["net.ipv4.tcp_syncookies"] = 1;
    b.sysctls["net.ipv4.ipfrag_time"] = 1;
    const auto findings = findings_of(a, b, default_settings());
    const auto syn = only(findings, "syn-queue");
    REQUIRE(syn.size() == 1);
    CHECK(syn[0].severity == Severity::critical);
    CHECK(syn[0].value == Approx(5200.0));
    CHECK_THAT(syn[0].message, Catch::Contains("5200.0/s answered with SYN cookies, 0.0/s dropped"));
    CHECK_THAT(syn[0].action, Catch::Contains("net.ipv4.tcp_syncookies=1 (now 1)"));
    const auto reassembly = only(findings, "ip-reassembly");
    REQUIRE(reassembly.size() == 1);
    CHECK(reassembly[0].severity == Severity::warning);
    CHECK(reassembly[0].value == Approx(2300.0));
    CHECK_THAT(reassembly[0].action, Catch::Contains("net.ipv4.ipfrag_time is 1 s"));

    // At or under a SYN cookie a second, and with no failed reassembly: quiet.
    b.netstat = ProtoCounters{{"TcpExt", {{"TCPReqQFullDoCookies", 10}, {"TCPReqQFullDrop", 0}}}};
    b.snmp = ProtoCounters{{"Ip", {{"ReasmFails", 0}, {"ReasmTimeout", 0}}}};
    const auto quiet = findings_of(a, b, default_settings());
    CHECK(only(quiet, "syn-queue").empty());
    CHECK(only(quiet, "ip-reassembly").empty());
}

TEST_CASE("resets, TCP memory, receive drops and TIME_WAIT overflow", "[checks]") {
    auto a = base_snapshot(0), b = base_snapshot(10);
    a.snmp = ProtoCounters{{"Tcp", {{"OutRsts", 0}, {"AttemptFails", 0}, {"EstabResets", 0}}}};
    b.snmp = ProtoCounters{{"Tcp", {{"OutRsts", 260000}, {"AttemptFails", 260000}, {"EstabResets", 3}}}};
    a.netstat = ProtoCounters{{"TcpExt", {{"TCPMemoryPressures", 0}, {"TCPAbortOnMemory", 0}, {"RcvPruned", 0},
                                          {"TCPBacklogDrop", 0}, {"TCPTimeWaitOverflow", 0}}}};
    b.netstat = ProtoCounters{{"TcpExt", {{"TCPMemoryPressures", 3}, {"TCPAbortOnMemory", 0}, {"RcvPruned", 40},
                                          {"TCPBacklogDrop", 10}, {"TCPTimeWaitOverflow", 100}}}};
    b.sockstat = SockStat{{"TCP", {{"inuse", 10}, {"orphan", 40000}, {"tw", 0}}}};
    b.sysctls["net.ipv4.tcp_max_orphans"] = 65536;
    const auto findings = findings_of(a, b, default_settings());
    const auto resets = only(findings, "tcp-resets");
    REQUIRE(resets.size() == 1);
    CHECK(resets[0].value == Approx(26000.0));
    const auto memory = only(findings, "tcp-memory");
    REQUIRE(memory.size() == 2);  // pressure (a warning) and orphans at 61 % (critical)
    const auto orphans = std::find_if(memory.begin(), memory.end(), [](const Finding& f) { return f.subject == "tcp_max_orphans"; });
    REQUIRE(orphans != memory.end());
    CHECK(orphans->severity == Severity::critical);
    CHECK(orphans->value == Approx(61.0).epsilon(0.01));
    const auto drops = only(findings, "tcp-receive-drops");
    REQUIRE(drops.size() == 1);
    CHECK(drops[0].value == Approx(5.0));
    REQUIRE(only(findings, "time-wait-overflow").size() == 1);

    // The orphan level needs no second sample.
    const auto one = run_checks(b, nullptr, default_settings());
    CHECK(std::count_if(one.begin(), one.end(), [](const Finding& f) { return f.check == "tcp-memory"; }) == 1);
    // Quiet counters, quiet checks.
    auto later = base_snapshot(10);
    later.snmp = a.snmp;
    later.netstat = a.netstat;
    const auto quiet = findings_of(a, later, default_settings());
    for (const char* id : {"tcp-resets", "tcp-memory", "tcp-receive-drops", "time-wait-overflow"}) {
        CHECK(only(quiet, id).empty());
    }
}

TEST_CASE("transmit drops count as a share of what was sent", "[checks]") {
    auto a = base_snapshot(0), b = base_snapshot(10);
    auto before = interface("eth0", 0, 0), after = interface("eth0", 0, 0);
    after.tx_packets = 9000;
    after.tx_drop = 1000;  // 10 % of what was offered
    a.net_dev->push_back(before);
    b.net_dev->push_back(after);
    b.interfaces = {physical("eth0", 1000)};
    const auto findings = findings_of(a, b, default_settings());
    REQUIRE(only(findings, "tx-drops").size() == 1);
    CHECK(only(findings, "tx-drops")[0].value == Approx(10.0));
    after.tx_drop = 100;  // 1.1 %: under Netdata's 2 %
    b.net_dev->back() = after;
    CHECK(only(findings_of(a, b, default_settings()), "tx-drops").empty());
}

TEST_CASE("a SYN flood names the port under attack; a full accept queue names its listener", "[checks]") {
    auto a = base_snapshot(0), b = base_snapshot(10);
    a.netstat = ProtoCounters{{"TcpExt", {{"TCPReqQFullDoCookies", 0}, {"ListenOverflows", 0}, {"ListenDrops", 0}}}};
    b.netstat = ProtoCounters{{"TcpExt", {{"TCPReqQFullDoCookies", 900}, {"ListenOverflows", 50}, {"ListenDrops", 50}}}};
    TcpSockets tcp;
    tcp.syn_recv_by_local_port = {{8080, 256}, {22, 1}};
    tcp.listeners[8080] = Listener{0, 128};
    tcp.listeners[9000] = Listener{129, 128};  // sk_acceptq_is_full: more queued than the backlog
    tcp.listeners[9001] = Listener{300, std::nullopt};
    b.tcp = tcp;
    b.sysctls["net.core.somaxconn"] = 4096;
    const auto findings = findings_of(a, b, default_settings());
    const auto syn = only(findings, "syn-queue");
    REQUIRE(syn.size() == 1);
    CHECK(syn[0].subject == "port 8080");
    CHECK(syn[0].fix == "listen-backlog");
    CHECK_THAT(syn[0].message, Catch::Contains("half-open connections by port: port 8080 (256), port 22 (1)"));
    CHECK_THAT(syn[0].message, Catch::Contains("port 8080 listens with a backlog of 128"));
    const auto listen = only(findings, "listen-overflows");
    REQUIRE(listen.size() == 1);
    CHECK(listen[0].subject == "port 9000");  // full beats merely long
    CHECK_THAT(listen[0].message, Catch::Contains("port 9000 has 129 connections waiting for accept() of a backlog of 128"));

    // The flood's half-open sockets expire together: a sample that catches none still names the
    // port from the other sample.
    a.tcp = tcp;
    b.tcp->syn_recv_by_local_port.clear();
    CHECK(only(findings_of(a, b, default_settings()), "syn-queue")[0].subject == "port 8080");

    a.tcp = std::nullopt;
    b.tcp = TcpSockets{};  // no socket table: the finding stays, without a port
    const auto unnamed = findings_of(a, b, default_settings());
    CHECK(only(unnamed, "syn-queue")[0].subject == "tcp syn queues");
    CHECK(only(unnamed, "listen-overflows")[0].subject == "tcp listen queues");
}

TEST_CASE("TCP and UDP memory against tcp_mem and udp_mem, fragments against ipfrag_high_thresh", "[checks]") {
    auto s = base_snapshot(100);
    s.sockstat = SockStat{{"TCP", {{"mem", 300}}}, {"UDP", {{"mem", 950}}}, {"FRAG", {{"memory", 4000000}}}};
    s.sysctl_lists["net.ipv4.tcp_mem"] = {100, 200, 1000};
    s.sysctl_lists["net.ipv4.udp_mem"] = {100, 200, 1000};
    s.sysctls["net.ipv4.ipfrag_high_thresh"] = 4194304;
    const auto findings = run_checks(s, nullptr, default_settings());
    const auto tcp = only(findings, "tcp-memory");
    REQUIRE(tcp.size() == 1);
    CHECK(tcp[0].severity == Severity::warning);  // past pressure, 30% of high
    CHECK(tcp[0].fix == "tcp-mem");
    CHECK_THAT(tcp[0].message, Catch::Contains("300 pages, past net.ipv4.tcp_mem's pressure mark (200)"));
    const auto udp = only(findings, "udp-memory");
    REQUIRE(udp.size() == 1);
    CHECK(udp[0].severity == Severity::critical);  // 95% of high
    const auto frag = only(findings, "frag-memory");
    REQUIRE(frag.size() == 1);
    CHECK(frag[0].subject == "ipv4 fragments");
    CHECK(frag[0].severity == Severity::critical);

    s.sockstat = SockStat{{"TCP", {{"mem", 150}}}, {"UDP", {{"mem", 10}}}, {"FRAG", {{"memory", 0}}}};
    const auto quiet = run_checks(s, nullptr, default_settings());
    CHECK(only(quiet, "tcp-memory").empty());
    CHECK(only(quiet, "udp-memory").empty());
    CHECK(only(quiet, "frag-memory").empty());
}

TEST_CASE("neighbour tables: overflows are critical, fill against gc_thresh3 warns, old kernels by level", "[checks]") {
    auto a = base_snapshot(0), b = base_snapshot(10);
    a.arp_cache = NeighbourTable{1024, 0, 0};
    b.arp_cache = NeighbourTable{1024, 5, 300};
    b.ndisc_cache = NeighbourTable{850, 0, std::nullopt};  // a kernel without table_fulls
    for (const char* family : {"net.ipv4.neigh.default.", "net.ipv6.neigh.default."}) {
        b.sysctls[std::string(family) + "gc_thresh1"] = 128;
        b.sysctls[std::string(family) + "gc_thresh2"] = 512;
        b.sysctls[std::string(family) + "gc_thresh3"] = 1024;
    }
    const auto findings = only(findings_of(a, b, default_settings()), "neigh-table");
    REQUIRE(findings.size() == 2);
    CHECK(findings[0].subject == "ipv4");
    CHECK(findings[0].severity == Severity::critical);
    CHECK(findings[0].value == Approx(30.0));
    CHECK(findings[0].fix == "neigh-table");
    CHECK_THAT(findings[0].message, Catch::Contains("overflowed 30.0 times/s"));
    CHECK_THAT(findings[0].action, Catch::Contains("net.ipv4.neigh.default.gc_thresh1/2/3 (now 128/512/1024)"));
    CHECK(findings[1].subject == "ipv6");
    CHECK(findings[1].severity == Severity::warning);  // 83% full
    CHECK_THAT(findings[1].message, Catch::Contains("does not count overflows"));

    b.arp_cache = NeighbourTable{10, 0, 0};
    b.ndisc_cache = NeighbourTable{10, 0, 0};
    CHECK(only(findings_of(a, b, default_settings()), "neigh-table").empty());
}

TEST_CASE("links: down with IFF_UP, flaps, half duplex, degraded bonds, TX watchdog, MTU under a VLAN", "[checks]") {
    auto a = base_snapshot(100), b = base_snapshot(102);
    for (auto* s : {&a, &b}) {
        s->net_dev = std::vector<InterfaceCounters>{interface("eth0", 0, 0), interface("eth1", 0, 0),
                                                    interface("eth2", 0, 0), interface("bond0", 0, 0),
                                                    interface("eth0.100", 0, 0), interface("veth1", 0, 0)};
        auto eth0 = physical("eth0", 10000);
        eth0.flags = 0x1003;
        eth0.carrier = true;
        eth0.mtu = 1500;
        eth0.master = "bond0";
        eth0.bond_mii_status = "up";
        auto eth1 = physical("eth1", 100);
        eth1.flags = 0x1003;
        eth1.carrier = true;
        eth1.duplex = "half";
        eth1.master = "bond0";
        eth1.bond_mii_status = "down";
        auto eth2 = physical("eth2", 10000);
        eth2.flags = 0x1003;
        eth2.carrier = false;
        eth2.operstate = "down";
        InterfaceInfo vlan;
        vlan.name = "eth0.100";
        vlan.mtu = 9000;
        vlan.lower = {"eth0"};
        vlan.flags = 0x1003;
        vlan.carrier = true;
        InterfaceInfo veth;  // virtual by the default patterns: none of this is reported
        veth.name = "veth1";
        veth.flags = 0x1003;
        veth.carrier = false;
        s->interfaces = {eth0, eth1, eth2, vlan, veth};
    }
    a.interfaces[0].carrier_changes = 4;
    b.interfaces[0].carrier_changes = 10;
    a.interfaces[0].tx_timeouts = 1;
    b.interfaces[0].tx_timeouts = 3;
    a.interfaces[4].carrier_changes = 0;
    b.interfaces[4].carrier_changes = 50;
    const auto findings = findings_of(a, b, default_settings());
    auto subjects = [&](const std::string& check) {
        std::vector<std::string> names;
        for (const auto& f : only(findings, check)) names.push_back(f.subject);
        return names;
    };
    CHECK(subjects("link-down") == std::vector<std::string>{"eth2"});
    CHECK(only(findings, "link-down")[0].severity == Severity::critical);
    CHECK(subjects("carrier-flaps") == std::vector<std::string>{"eth0"});
    CHECK_THAT(only(findings, "carrier-flaps")[0].message, Catch::Contains("6 times in 2.0 s"));
    CHECK(subjects("link-degraded") == std::vector<std::string>{"eth1"});
    CHECK_THAT(only(findings, "link-degraded")[0].message, Catch::Contains("100 Mb/s, half duplex"));
    CHECK(subjects("bond-degraded") == std::vector<std::string>{"bond0"});
    CHECK_THAT(only(findings, "bond-degraded")[0].message, Catch::Contains("1 of 2 slaves down (eth1)"));
    CHECK(subjects("tx-timeouts") == std::vector<std::string>{"eth0"});
    CHECK(subjects("mtu-mismatch") == std::vector<std::string>{"eth0.100"});
    CHECK_THAT(only(findings, "mtu-mismatch")[0].message, Catch::Contains("MTU 9000 but sits on eth0 with MTU 1500"));

    // With one sample the level checks still speak; the flaps and timeouts need two.
    const auto level = run_checks(b, nullptr, default_settings());
    CHECK(only(level, "link-down").size() == 1);
    CHECK(only(level, "carrier-flaps").empty());
}

TEST_CASE("egress qdisc drops from the root qdisc; packet storms against the long-run rate", "[checks]") {
    auto a = base_snapshot(1000), b = base_snapshot(1010);
    auto eth0_then = interface("eth0", 0, 0), eth0_now = interface("eth0", 0, 0);
    eth0_then.rx_packets = 1000000;  // 1000/s over the host's first 1000 s
    eth0_now.rx_packets = 1000000 + 10 * 200000;
    a.net_dev = std::vector<InterfaceCounters>{eth0_then};
    b.net_dev = std::vector<InterfaceCounters>{eth0_now};
    a.qdiscs = std::vector<QdiscStats>{{"eth0", "mq", "0:", "root", 0, 0, 100, 0, 0, 0, 0},
                                       {"eth0", "fq_codel", "0:", ":1", 0, 0, 100, 0, 0, 0, 0}};
    b.qdiscs = std::vector<QdiscStats>{{"eth0", "mq", "0:", "root", 0, 0, 600, 0, 0, 0, 0},
                                       {"eth0", "fq_codel", "0:", ":1", 0, 0, 600, 0, 0, 0, 0}};
    const auto findings = findings_of(a, b, default_settings());
    const auto qdisc = only(findings, "qdisc-drops");
    REQUIRE(qdisc.size() == 1);
    CHECK(qdisc[0].value == Approx(50.0));  // the root's 500 drops, not the children's again
    CHECK_THAT(qdisc[0].message, Catch::Contains("eth0's mq qdisc drops 50.0 packets/s"));
    const auto storm = only(findings, "packet-storm");
    REQUIRE(storm.size() == 1);
    CHECK(storm[0].severity == Severity::critical);  // 200000/s against the 2970/s since boot: 67x
    CHECK(storm[0].value == Approx(200000.0 / (3000000.0 / 1010)));
    b.qdiscs.reset();  // a host without tc: no rate, no finding
    CHECK(only(findings_of(a, b, default_settings()), "qdisc-drops").empty());
}

TEST_CASE("reverse-path drops name the strict interfaces; damaged packets, ICMP errors and no-route drops", "[checks]") {
    auto a = base_snapshot(0), b = base_snapshot(10);
    a.netstat = ProtoCounters{{"TcpExt", {{"IPReversePathFilter", 0}, {"TCPAbortOnTimeout", 0}}},
                              {"IpExt", {{"InNoRoutes", 0}, {"InCsumErrors", 0}}}};
    b.netstat = ProtoCounters{{"TcpExt", {{"IPReversePathFilter", 100}, {"TCPAbortOnTimeout", 50}}},
                              {"IpExt", {{"InNoRoutes", 0}, {"InCsumErrors", 10}}}};
    a.snmp = ProtoCounters{{"Ip", {{"OutNoRoutes", 0}, {"InHdrErrors", 0}}},
                           {"Icmp", {{"InErrors", 0}, {"OutErrors", 0}}},
                           {"Tcp", {{"InCsumErrors", 0}}}};
    b.snmp = ProtoCounters{{"Ip", {{"OutNoRoutes", 200}, {"InHdrErrors", 0}}},
                           {"Icmp", {{"InErrors", 30}, {"OutErrors", 0}}},
                           {"Tcp", {{"InCsumErrors", 20}}}};
    b.sysctls["net.ipv4.conf.all.rp_filter"] = 0;
    InterfaceInfo eth0, eth1;
    eth0.name = "eth0";
    eth0.rp_filter = 1;
    eth1.name = "eth1";
    eth1.rp_filter = 2;
    b.interfaces = {eth0, eth1};
    const auto findings = findings_of(a, b, default_settings());
    REQUIRE(only(findings, "rp-filter").size() == 1);
    CHECK_THAT(only(findings, "rp-filter")[0].message, Catch::Contains("strict (1) on: eth0"));
    REQUIRE(only(findings, "checksum-errors").size() == 1);
    CHECK(only(findings, "checksum-errors")[0].value == Approx(3.0));
    REQUIRE(only(findings, "icmp-errors").size() == 1);
    REQUIRE(only(findings, "no-route").size() == 1);
    CHECK(only(findings, "no-route")[0].value == Approx(20.0));
    REQUIRE(only(findings, "tcp-aborts").size() == 1);
    CHECK(only(findings, "tcp-aborts")[0].value == Approx(5.0));
}
