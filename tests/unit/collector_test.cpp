// The collector on real captured trees and on an in-memory host.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>

#include <fmt/format.h>

#include "checks/catalogue.hpp"
#include "collect/collector.hpp"
#include "collect/snapshot_json.hpp"
#include "remote/local_transport.hpp"
#include "remote/memory_transport.hpp"
#include "scan/scan_host.hpp"

using namespace netdiag;

namespace {

const std::string kFixture61 = std::string(NETDIAG_FIXTURES) + "/linux-6.1-vmxnet3-virtio-4cpu";

Snapshot collect_tree(const std::string& root) {
    LocalTransport transport(root);
    auto snapshot = collect_sample(transport, "captured");
    REQUIRE(snapshot.ok());
    return *snapshot;
}

}  // namespace

TEST_CASE("a captured 6.1 host with vmxnet3 and virtio NICs", "[collector]") {
    const Snapshot s = collect_tree(kFixture61);
    REQUIRE(s.net_dev);
    CHECK(s.net_dev->size() == 3);
    REQUIRE(s.softnet);
    CHECK(s.softnet->size() == 4);
    REQUIRE(s.conntrack);
    CHECK(s.conntrack->count == 0u);
    CHECK(s.conntrack->max == 6144u);  // a 4-CPU VM with 2 GB: the kernel sized it from memory
    REQUIRE(s.port_range);
    CHECK(s.port_range->low == 32768);
    CHECK(s.port_range->high == 60999);
    CHECK(s.sysctls.at("net.core.netdev_max_backlog") == 1000);

    const InterfaceInfo* eth1 = find_interface(s, "eth1");
    REQUIRE(eth1 != nullptr);
    CHECK_FALSE(eth1->is_virtual);
    CHECK(eth1->device == "0000:00:02.0");
    CHECK(eth1->irqs == std::vector<int>{27, 28, 29, 30, 31});  // rxtx-0..3 and the event vector
    CHECK(eth1->rx_queues == 4);

    // virtio: the MSI vectors sit on the PCI parent and are named after virtio0, not eth0.
    const InterfaceInfo* eth0 = find_interface(s, "eth0");
    REQUIRE(eth0 != nullptr);
    CHECK_FALSE(eth0->is_virtual);
    CHECK(eth0->device == "virtio0");
    CHECK(eth0->irqs == std::vector<int>{24, 25, 26});
    CHECK(eth0->speed_mbps == -1);
    CHECK(eth0->numa_node == -1);

    const InterfaceInfo* lo = find_interface(s, "lo");
    REQUIRE(lo != nullptr);
    CHECK(lo->is_virtual);
    CHECK(lo->irqs.empty());

    REQUIRE(s.irq_affinity.count(27));
    CHECK(s.irq_affinity.at(27).smp_affinity == "f");
    CHECK(s.irq_affinity.at(27).effective_affinity == "2");
    // The capture has no /proc/uptime: "not available", never a zero.
    CHECK_FALSE(s.uptime_seconds.has_value());
    CHECK(s.unavailable.count("/proc/uptime"));
}

TEST_CASE("every captured tree yields a snapshot without parse errors", "[collector]") {
    for (const auto& entry : std::filesystem::directory_iterator(NETDIAG_FIXTURES)) {
        if (!std::filesystem::exists(entry.path() / "proc/net/dev")) continue;
        INFO(entry.path().string());
        const Snapshot s = collect_tree(entry.path().string());
        CHECK(s.net_dev.has_value());
        for (const auto& [file, reason] : s.unavailable) {
            INFO(file << ": " << reason);
            CHECK((reason == "missing" || reason == "not read"));  // absent files only, never a parse error
        }
    }
}

TEST_CASE("one sample is one round trip, and a missing conntrack is not applicable", "[collector]") {
    MemoryTransport host;
    host.files["/proc/net/dev"] =
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
        "carrier compressed\n"
        "  eth0: 100 1 0 7 0 0 0 0 200 2 0 0 0 0 0 0\n";
    host.files["/proc/uptime"] = "100.50 180.00\n";
    host.files["/sys/class/net/eth0/speed"] = "10000\n";
    host.files["/sys/class/net/eth0/operstate"] = "up\n";
    host.links["/sys/class/net/eth0/device"] = "../../../0000:3b:00.0";
    auto snapshot = collect_sample(host, "web1");
    REQUIRE(snapshot.ok());
    CHECK(host.read_round_trips == 1);
    CHECK(snapshot->host == "web1");
    CHECK(snapshot->uptime_seconds == Approx(100.5));
    CHECK_FALSE(snapshot->conntrack.has_value());
    REQUIRE(snapshot->interfaces.size() == 1);
    CHECK(snapshot->interfaces[0].speed_mbps == 10000);
    CHECK(snapshot->interfaces[0].device == "0000:3b:00.0");
    CHECK(snapshot->unavailable.at("/proc/net/snmp") == "missing");
}

TEST_CASE("a garbled file is listed with its line, the rest still collected", "[collector]") {
    MemoryTransport host;
    host.files["/proc/net/dev"] = "garbage\n";
    host.files["/proc/sys/net/ipv4/ip_local_port_range"] = "32768\t60999\n";
    auto snapshot = collect_sample(host, "web1");
    REQUIRE(snapshot.ok());
    CHECK_FALSE(snapshot->net_dev.has_value());
    CHECK_THAT(snapshot->unavailable.at("/proc/net/dev"), Catch::StartsWith("/proc/net/dev:"));
    REQUIRE(snapshot->port_range.has_value());
    CHECK(snapshot->port_range->size() == 28232);
}

TEST_CASE("a missing file is not available; one that does not parse is also unparsable", "[collector]") {
    MemoryTransport host;
    host.files["/proc/net/dev"] = "garbage\n";
    auto snapshot = collect_sample(host, "web1");
    REQUIRE(snapshot.ok());
    CHECK(snapshot->unparsable.at("/proc/net/dev") == snapshot->unavailable.at("/proc/net/dev"));
    CHECK(snapshot->unavailable.count("/proc/net/stat/nf_conntrack"));  // no module: not applicable
    CHECK(snapshot->unparsable.count("/proc/net/stat/nf_conntrack") == 0);
    CHECK(snapshot->unparsable.size() == 1);
}

namespace {

const std::string kNetDevHeader =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
    "carrier compressed\n";

// Two samples of a host whose eth1 drops 100 packets/s, /proc/net/dev as `net_dev` prints it.
HostResult scan_dropping_host(const std::function<std::string(std::uint64_t rx_drop)>& net_dev) {
    MemoryTransport host;
    host.files["/proc/uptime"] = "100.00 1.00\n";
    host.files["/proc/net/sockstat"] = "sockets: used 5\nTCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0\n";
    host.files["/proc/net/dev"] = net_dev(1000);
    auto samples = take_sample_series(host, "web1", 2, std::chrono::milliseconds(2000), [&](std::chrono::milliseconds) {
        host.files["/proc/uptime"] = "102.00 1.00\n";
        host.files["/proc/net/dev"] = net_dev(1200);
    });
    REQUIRE(samples.ok());
    return evaluate_samples(*samples, default_settings());
}

}  // namespace

TEST_CASE("net/dev with a 17th column is read: the drops are still found", "[collector]") {
    const auto result = scan_dropping_host([](std::uint64_t rx_drop) {
        return kNetDevHeader + fmt::format("  eth1: 5000 50 0 {} 0 0 0 0 6000 60 0 0 0 0 0 0 7\n", rx_drop);
    });
    CHECK(result.unparsable.empty());
    REQUIRE_FALSE(result.findings.empty());
    CHECK(result.findings[0].check == "rx-drops");
    CHECK(result.findings[0].severity == Severity::warning);
    CHECK(result.findings[0].value == Approx(100.0));
    for (const auto& f : result.findings) CHECK(f.details.count("file") == 0);
}

TEST_CASE("a counter too large for 64 bits makes the checks that need it unknown, with file and line",
          "[collector]") {
    const auto result = scan_dropping_host([](std::uint64_t rx_drop) {
        return kNetDevHeader + fmt::format("  eth1: 99999999999999999999999999 50 0 {} 0 0 0 0 6000 60 0 0 0 0 0 0\n",
                                           rx_drop);
    });
    CHECK(result.status == "ok");
    REQUIRE(result.unparsable.size() == 1);
    CHECK_THAT(result.unparsable.at("/proc/net/dev"), Catch::StartsWith("/proc/net/dev:3: eth1: counter"));
    REQUIRE(result.findings.size() == 5);  // nic-errors, nic-saturation, packet-storm, rx-drops, tx-drops
    for (const auto& f : result.findings) {
        CHECK(f.severity == Severity::unknown);
        CHECK(f.subject == "/proc/net/dev");
        CHECK(f.details.at("line") == "3");
    }
    ScanReport report;
    report.hosts = {result};
    CHECK(scan_exit_code(report) == 3);
}

TEST_CASE("snapshots survive a round trip through netdiag.collect/v1", "[collector]") {
    Snapshot s = collect_tree(kFixture61);
    s.uptime_seconds = 1234.5;
    s.tcp = TcpSockets{{{"CLOSE_WAIT", 2}}, {{8080, 2}}, {}, {{9000, 1}}, {{9000, Listener{3, 128}}}};
    const std::string text = collect_document({s}).dump();
    auto loaded = parse_collect_document(text, "saved.json");
    REQUIRE(loaded.ok());
    REQUIRE(loaded->size() == 1);
    const Snapshot& back = loaded->front();
    CHECK(snapshot_to_json(back) == snapshot_to_json(s));
    CHECK(back.tcp->close_wait_by_local_port.at(8080) == 2);
    CHECK(back.interfaces.size() == s.interfaces.size());
}

TEST_CASE("bad snapshot files are errors that name the file", "[collector]") {
    auto not_json = parse_collect_document("{\"schema\": ", "a.json");
    REQUIRE_FALSE(not_json.ok());
    CHECK_THAT(not_json.error().message, Catch::StartsWith("a.json: not valid JSON"));
    auto wrong_schema = parse_collect_document(R"({"schema": "netdiag.scan/v1", "hosts": []})", "b.json");
    REQUIRE_FALSE(wrong_schema.ok());
    CHECK_THAT(wrong_schema.error().message, Catch::Contains("not a netdiag.collect/v1 document"));
    auto wrong_type = parse_collect_document(R"({"schema": "netdiag.collect/v1", "samples": [{"net_dev": 5}]})", "c.json");
    REQUIRE_FALSE(wrong_type.ok());
    CHECK_THAT(wrong_type.error().message, Catch::StartsWith("c.json: samples[0]:"));
}

TEST_CASE("a scan of saved samples reproduces the findings", "[collector]") {
    MemoryTransport host;
    host.files["/proc/uptime"] = "100.00 1.00\n";
    host.files["/proc/sys/net/netfilter/nf_conntrack_count"] = "900\n";
    host.files["/proc/sys/net/netfilter/nf_conntrack_max"] = "1000\n";
    host.files["/proc/net/sockstat"] = "sockets: used 5\nTCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0\n";
    int sleeps = 0;
    auto samples = take_sample_series(host, "db1", 2, std::chrono::milliseconds(2000), [&](std::chrono::milliseconds wait) {
        ++sleeps;
        CHECK(wait.count() == 2000);
        host.files["/proc/uptime"] = "102.00 1.00\n";
    });
    REQUIRE(samples.ok());
    CHECK(sleeps == 1);
    REQUIRE(samples->size() == 2);
    const HostResult result = evaluate_samples(*samples, default_settings());
    CHECK(result.status == "ok");
    CHECK(result.interval_seconds == Approx(2.0));
    REQUIRE(result.findings.size() == 1);
    CHECK(result.findings[0].check == "conntrack-fill");
    CHECK(result.findings[0].host == "db1");
}

TEST_CASE("a host that can dump its socket table is not asked for /proc/net/tcp", "[collector]") {
    // Three sockets as the kernel's sock_diag reports them (nlmsghdr + inet_diag_msg), then DONE.
    auto socket_message = [](std::uint8_t state, std::uint16_t local_port, std::uint16_t remote_port) {
        std::string message(16 + 72, '\0');
        const std::uint32_t length = 16 + 72;
        const std::uint16_t type = 18;  // TCPDIAG_GETSOCK
        std::memcpy(message.data(), &length, 4);
        std::memcpy(message.data() + 4, &type, 2);
        message[16] = 2;  // AF_INET
        message[17] = static_cast<char>(state);
        message[20] = static_cast<char>(local_port >> 8);  // ports in network byte order
        message[21] = static_cast<char>(local_port & 0xff);
        message[22] = static_cast<char>(remote_port >> 8);
        message[23] = static_cast<char>(remote_port & 0xff);
        return message;
    };
    std::string done(20, '\0');
    done[0] = 20;
    done[4] = 3;  // NLMSG_DONE
    MemoryTransport host;
    host.files["/proc/net/tcp"] = "garbage that must not be read\n";
    host.tcp_dump = std::vector<std::string>{socket_message(10, 8080, 0) + socket_message(8, 8080, 40000),
                                             socket_message(6, 41000, 443) + done};
    auto snapshot = collect_sample(host, "web1");
    REQUIRE(snapshot.ok());
    REQUIRE(snapshot->tcp);
    CHECK(snapshot->tcp->states == std::map<std::string, std::uint64_t>{{"CLOSE_WAIT", 1}, {"LISTEN", 1}, {"TIME_WAIT", 1}});
    CHECK(snapshot->tcp->close_wait_by_local_port.at(8080) == 1);
    CHECK(snapshot->tcp->time_wait_by_remote_port.at(443) == 1);
    CHECK(snapshot->unavailable.count("/proc/net/tcp") == 0);
    CHECK(snapshot->unavailable.count("/proc/net/tcp6") == 0);
    const auto asked = [&](const std::string& path) {
        return std::count(host.requested.begin(), host.requested.end(), path);
    };
    CHECK(asked("/proc/net/tcp") == 0);
    CHECK(asked("/proc/net/tcp6") == 0);
    CHECK(asked("/proc/net/sockstat") == 1);

    // A dump that fails half way is dropped whole: the files answer instead.
    host.tcp_dump = std::vector<std::string>{socket_message(8, 8080, 40000)};
    host.tcp_dump_error = "sock_diag: Operation not permitted";
    host.files["/proc/net/tcp"] =
        "  sl  local_address rem_address   st\n   0: 0100007F:1F90 0100007F:A000 0A 00000000:00000000\n";
    host.files["/proc/net/tcp6"] = "  sl  local_address remote_address st\n";
    snapshot = collect_sample(host, "web1");
    REQUIRE(snapshot.ok());
    REQUIRE(snapshot->tcp);
    CHECK(snapshot->tcp->states == std::map<std::string, std::uint64_t>{{"LISTEN", 1}});
    CHECK(asked("/proc/net/tcp") == 1);
}

TEST_CASE("links, bonds, neighbour tables and memory limits as sysfs and procfs show them", "[collector]") {
    // A constructed host: bond0 over eth0 (up) and eth1 (MII down, 100 Mb/s half duplex), a VLAN on
    // eth0 with a larger MTU, eth2 up without carrier, and a TX queue whose watchdog fired.
    MemoryTransport host;
    host.files["/proc/uptime"] = "500.00 100.00\n";
    auto link_files = [&](const std::string& name, const std::string& flags, const std::string& carrier,
                          const std::string& mtu) {
        const std::string dir = "/sys/class/net/" + name + "/";
        host.files[dir + "flags"] = flags + "\n";
        if (!carrier.empty()) host.files[dir + "carrier"] = carrier + "\n";
        host.files[dir + "mtu"] = mtu + "\n";
        host.files[dir + "carrier_changes"] = "2\n";
    };
    link_files("bond0", "0x1403", "1", "1500");
    link_files("eth0", "0x1803", "1", "1500");
    link_files("eth1", "0x1803", "1", "1500");
    link_files("eth2", "0x1003", "0", "1500");
    link_files("eth0.100", "0x1003", "1", "9000");
    host.files["/sys/class/net/eth1/device/net/eth1/duplex"] = "half\n";
    host.files["/sys/class/net/eth1/speed"] = "100\n";
    host.files["/sys/class/net/eth0/bonding_slave/mii_status"] = "up\n";
    host.files["/sys/class/net/eth1/bonding_slave/mii_status"] = "down\n";
    host.files["/sys/class/net/eth2/device/net/eth2/queues/tx-0/tx_timeout"] = "3\n";
    host.files["/sys/class/net/eth2/device/net/eth2/queues/tx-1/tx_timeout"] = "1\n";
    // eth1 and eth2 as two ports of one PCI function: each sees the other under device/net/.
    host.files["/sys/class/net/eth1/device/net/eth2/queues/tx-0/tx_timeout"] = "3\n";
    host.links["/sys/class/net/eth0/master"] = "../bond0";
    host.links["/sys/class/net/eth1/master"] = "../bond0";
    host.links["/sys/class/net/bond0/lower_eth0"] = "../eth0";
    host.links["/sys/class/net/bond0/lower_eth1"] = "../eth1";
    host.links["/sys/class/net/eth0.100/lower_eth0"] = "../eth0";
    for (const auto* name : {"eth0", "eth1", "eth2"}) {
        host.links[fmt::format("/sys/class/net/{}/device", name)] = "../../../0000:3b:00.0";
    }
    host.files["/proc/net/stat/arp_cache"] =
        "entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast "
        "periodic_gc_runs forced_gc_runs unresolved_discards table_fulls\n"
        "00000400 000000ab 000000dd 00000000   0000020b 00000068 00000000   00000000         00000000         "
        "000002f1         00000010       00000000            0000000a\n"
        "00000400 000000fb 000000c7 00000002   00000213 00000087 00000000   00000000         00000000         "
        "00000000         00000001       00000000            00000005\n";
    host.files["/proc/sys/net/ipv4/neigh/default/gc_thresh3"] = "1024\n";
    host.files["/proc/sys/net/ipv4/tcp_mem"] = "188562\t251418\t377124\n";
    host.files["/proc/meminfo"] = "MemTotal:       16318412 kB\nMemFree:         1000 kB\n";
    host.files["/proc/sys/net/ipv4/conf/eth0/rp_filter"] = "1\n";

    auto snapshot = collect_sample(host, "lb1");
    REQUIRE(snapshot.ok());
    auto info = [&](const std::string& name) {
        const InterfaceInfo* found = find_interface(*snapshot, name);
        REQUIRE(found != nullptr);
        return *found;
    };
    CHECK(info("bond0").lower == std::vector<std::string>{"eth0", "eth1"});
    CHECK(info("eth0").upper.empty());
    CHECK(info("eth1").master == "bond0");
    CHECK(info("eth1").bond_mii_status == "down");
    CHECK(info("eth1").duplex == "half");
    CHECK(info("eth2").carrier == false);
    CHECK(info("eth2").flags == 0x1003);
    CHECK(info("eth2").tx_timeouts == 4u);
    CHECK(info("eth0").carrier_changes == 2u);
    CHECK(info("eth0").rp_filter == 1);
    CHECK(info("eth0.100").mtu == 9000);
    REQUIRE(snapshot->arp_cache.has_value());
    CHECK(snapshot->arp_cache->entries == 1024);
    CHECK(snapshot->arp_cache->table_fulls == 15u);
    CHECK(snapshot->arp_cache->forced_gc_runs == 17u);
    CHECK(snapshot->sysctl_lists.at("net.ipv4.tcp_mem") == std::vector<std::int64_t>{188562, 251418, 377124});
    CHECK(snapshot->mem_total_bytes == 16318412ull * 1024);

    std::set<std::string> seen;
    for (const auto& f : run_checks(*snapshot, nullptr, default_settings())) seen.insert(f.check + ":" + f.subject);
    CHECK(seen == std::set<std::string>{"bond-degraded:bond0", "link-degraded:eth1", "link-down:eth2",
                                        "mtu-mismatch:eth0.100", "neigh-table:ipv4"});
}

TEST_CASE("a snapshot saved before the catalogue grew still loads; the new checks have nothing to say", "[collector]") {
    const std::string file = std::string(NETDIAG_FIXTURES) + "/snapshots/collect-v1-release-before-issue-10.json";
    std::ifstream in(file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto samples = parse_collect_document(text, file);
    REQUIRE(samples.ok());
    REQUIRE(samples->size() == 2);
    const auto& last = samples->back();
    CHECK_FALSE(last.arp_cache.has_value());
    CHECK_FALSE(last.qdiscs.has_value());
    CHECK(last.sysctl_lists.empty());
    CHECK(last.tcp->listeners.empty());
    for (const auto& info : last.interfaces) {
        CHECK_FALSE(info.carrier_changes.has_value());
        CHECK_FALSE(info.flags.has_value());
    }
    CHECK(last.unavailable.at("/proc/net/stat/arp_cache") == "not in this snapshot (saved by an older netdiag)");
    CHECK(last.unavailable.count("qdiscs") == 1);
    const HostResult result = evaluate_samples(*samples, default_settings());
    CHECK(result.status == "ok");
    for (const auto& f : result.findings) CHECK(f.severity != Severity::critical);
    // And it round-trips through today's writer with the new fields empty, not invented.
    const auto again = parse_collect_document(collect_document(*samples).dump(), "again.json");
    REQUIRE(again.ok());
    CHECK(snapshot_to_json(again->back()) == snapshot_to_json(last));
}
