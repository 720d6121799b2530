// Parsers on files captured from real kernels (tests/fixtures) and on broken text written inline.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>

#include <fmt/format.h>

#include "collect/parsers.hpp"
#include "test_files.hpp"

using namespace netdiag;

namespace {

const std::string kFixtures = NETDIAG_FIXTURES;
const std::string kFixture61 = kFixtures + "/linux-6.1-vmxnet3-virtio-4cpu";

using netdiag::test::slurp;

// Every captured tree that has this /proc file.
std::vector<std::string> captured(const std::string& relative) {
    std::vector<std::string> paths;
    for (const auto& entry : std::filesystem::directory_iterator(kFixtures)) {
        const auto path = entry.path() / relative;
        if (std::filesystem::is_regular_file(path)) paths.push_back(path.string());
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

template <class T>
std::string error_of(const Result<T>& result) {
    REQUIRE_FALSE(result.ok());
    return result.error().message;
}

}  // namespace

TEST_CASE("net/dev of a 6.1 kernel", "[parsers]") {
    auto dev = parse_net_dev(slurp(kFixture61 + "/proc/net/dev"), "/proc/net/dev");
    REQUIRE(dev.ok());
    REQUIRE(dev->size() == 3);
    const auto lo = std::find_if(dev->begin(), dev->end(), [](const auto& i) { return i.name == "lo"; });
    REQUIRE(lo != dev->end());
    CHECK(lo->rx_bytes == 840);
    CHECK(lo->rx_packets == 10);
    CHECK(lo->tx_bytes == 840);
}

TEST_CASE("net/dev: broken text is an error with file and line", "[parsers]") {
    const std::string header =
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
        "carrier compressed\n";
    CHECK(error_of(parse_net_dev("", "/proc/net/dev")) == "/proc/net/dev: empty file");
    CHECK(error_of(parse_net_dev(header + "  eth0: 1 2 3\n", "/proc/net/dev")) ==
          "/proc/net/dev:3: eth0 has 3 counters, expected at least 16");
    CHECK(error_of(parse_net_dev(header + "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x6\n", "/proc/net/dev")) ==
          "/proc/net/dev:3: eth0: counter \"x6\" is not a number");
    CHECK(error_of(parse_net_dev("  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", "f")) ==
          "f:1: missing the two header lines");
    CHECK(error_of(parse_net_dev(header + "garbage\n", "f")) == "f:3: expected \"IFACE: counters\"");
    // A counter past 2^64 is garbage, not a wrap: an error naming its line.
    CHECK(error_of(parse_net_dev(header + "    lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                                          "  eth0: 1 2 3 99999999999999999999999999 5 6 7 8 9 10 11 12 13 14 15 16\n",
                                 "/proc/net/dev")) ==
          "/proc/net/dev:4: eth0: counter \"99999999999999999999999999\" does not fit in 64 bits");
    // So is an added column that holds no counter.
    CHECK(error_of(parse_net_dev(header + "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 x\n", "f")) ==
          "f:3: eth0: counter \"x\" is not a number");
}

TEST_CASE("net/dev: a column a newer kernel appends is read, not a reason to drop the file", "[parsers]") {
    const std::string text =
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
        "carrier compressed extra\n"
        "    lo:     840      10    0    0    0     0          0         0      840      10    0    0    0     0       0          0 0\n"
        "  eth0: 1000 20 1 7 2 3 4 5 2000 30 6 8 9 10 11 12 99\n";
    auto dev = parse_net_dev(text, "/proc/net/dev");
    REQUIRE(dev.ok());
    REQUIRE(dev->size() == 2);
    const InterfaceCounters& eth0 = (*dev)[1];
    CHECK(eth0.name == "eth0");
    CHECK(eth0.rx_bytes == 1000);
    CHECK(eth0.rx_packets == 20);
    CHECK(eth0.rx_errs == 1);
    CHECK(eth0.rx_drop == 7);
    CHECK(eth0.rx_multicast == 5);
    CHECK(eth0.tx_bytes == 2000);
    CHECK(eth0.tx_drop == 8);
    CHECK(eth0.tx_compressed == 12);
    CHECK((*dev)[0].rx_bytes == 840);
}

TEST_CASE("snmp and netstat pair names with values in every captured tree", "[parsers]") {
    for (const auto& path : captured("proc/net/snmp")) {
        INFO(path);
        auto snmp = parse_snmp(slurp(path), "/proc/net/snmp");
        REQUIRE(snmp.ok());
        CHECK(snmp->count("Tcp"));
        CHECK(snmp->count("Udp"));
        CHECK(snmp->at("Tcp").count("RetransSegs"));
        CHECK(snmp->at("Tcp").at("MaxConn") == -1);  // signed: the kernel prints -1
    }
    for (const auto& path : captured("proc/net/netstat")) {
        INFO(path);
        auto netstat = parse_snmp(slurp(path), "/proc/net/netstat");
        REQUIRE(netstat.ok());
        CHECK(netstat->count("TcpExt"));
        CHECK(netstat->at("TcpExt").count("ListenOverflows"));
    }
}

TEST_CASE("snmp: truncated and garbled text", "[parsers]") {
    const std::string names = "Tcp: RtoAlgorithm RtoMin RetransSegs\n";
    CHECK(error_of(parse_snmp(names, "/proc/net/snmp")) ==
          "/proc/net/snmp:1: Tcp names without a line of values (truncated?)");
    CHECK(error_of(parse_snmp(names + "Tcp: 1 200\n", "/proc/net/snmp")) == "/proc/net/snmp:2: Tcp has 2 values for 3 names");
    CHECK(error_of(parse_snmp(names + "Udp: 1 200 3\n", "/proc/net/snmp")) ==
          "/proc/net/snmp:2: expected the values of Tcp (names on line 1), found Udp");
    CHECK(error_of(parse_snmp(names + "Tcp: 1 2x 3\n", "/proc/net/snmp")) ==
          "/proc/net/snmp:2: Tcp RtoMin is not a number: \"2x\"");
    CHECK(error_of(parse_snmp("Tcp: 1 2 3\n", "/proc/net/snmp")) == "/proc/net/snmp:1: Tcp values without a line of names");
    CHECK(error_of(parse_snmp("\n\n", "/proc/net/snmp")) == "/proc/net/snmp: empty file");
    CHECK(error_of(parse_snmp("no colon here\n", "f")) == "f:1: expected \"Section: fields\", found \"no colon here\"");
    auto ok = parse_snmp(names + "Tcp: 1 200 -7\n", "f");
    REQUIRE(ok.ok());
    CHECK(ok->at("Tcp").at("RetransSegs") == -7);
    // An unsigned long counter past 2^63 is a counter, kept bit for bit, not a broken file.
    auto big = parse_snmp("IpExt: InOctets\nIpExt: 18446744073709551000\n", "f");
    REQUIRE(big.ok());
    CHECK(static_cast<std::uint64_t>(big->at("IpExt").at("InOctets")) == 18446744073709551000ULL);
    CHECK_FALSE(parse_snmp("IpExt: InOctets\nIpExt: 18446744073709551616\n", "f").ok());
}

TEST_CASE("snmp6 keeps full names under their section", "[parsers]") {
    auto snmp6 = parse_snmp6(slurp(kFixture61 + "/proc/net/snmp6"), "/proc/net/snmp6");
    REQUIRE(snmp6.ok());
    CHECK(snmp6->at("Ip6").count("Ip6InReceives"));
    CHECK(snmp6->at("Udp6").count("Udp6RcvbufErrors"));
    CHECK(snmp6->at("UdpLite6").count("UdpLite6InDatagrams"));
    CHECK(snmp6->at("Icmp6").count("Icmp6InMsgs"));
    CHECK(error_of(parse_snmp6("Udp6InDatagrams\n", "f")) == "f:1: expected \"Name value\", found \"Udp6InDatagrams\"");
    CHECK(error_of(parse_snmp6("Udp6InDatagrams 1\nUdp6InErrors z\n", "f")) == "f:2: Udp6InErrors is not a number: \"z\"");
}

TEST_CASE("sockstat", "[parsers]") {
    auto sockstat = parse_sockstat(slurp(kFixture61 + "/proc/net/sockstat"), "/proc/net/sockstat");
    REQUIRE(sockstat.ok());
    CHECK(sockstat->at("TCP").at("tw") == 0);
    CHECK(sockstat->at("FRAG").at("memory") == 0);
    auto busy = parse_sockstat("sockets: used 290\nTCP: inuse 27 orphan 1 tw 31000 alloc 40 mem 5\n", "f");
    REQUIRE(busy.ok());
    CHECK(busy->at("TCP").at("tw") == 31000);
    CHECK(error_of(parse_sockstat("TCP: inuse 27 orphan\n", "/proc/net/sockstat")) ==
          "/proc/net/sockstat:1: TCP has unpaired fields");
    CHECK(error_of(parse_sockstat("sockets: used 1\nTCP: inuse x\n", "f")) == "f:2: inuse is not a number: \"x\"");
}

TEST_CASE("softnet_stat: the CPU column when the kernel prints it, else the line's position", "[parsers]") {
    auto softnet = parse_softnet_stat(slurp(kFixture61 + "/proc/net/softnet_stat"), "/proc/net/softnet_stat");
    REQUIRE(softnet.ok());
    REQUIRE(softnet->size() == 4);
    CHECK(softnet->at(1).processed == 0xa);
    CHECK(softnet->at(1).time_squeeze == 0x1);
    CHECK(softnet->at(3).cpu == 3);

    // 6.x with CPUs 1 and 2 offline: the 13th column says which CPU a line is.
    const char* sparse =
        "00000010 00000002 00000003 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
        "00000000 00000000 00000000\n"
        "00000020 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
        "00000003 00000000 00000000\n";
    auto offline = parse_softnet_stat(sparse, "f");
    REQUIRE(offline.ok());
    CHECK(offline->at(0).cpu == 0);
    CHECK(offline->at(0).dropped == 2);
    CHECK(offline->at(1).cpu == 3);

    // Every captured tree: one line per CPU, CPUs numbered in order.
    for (const auto& path : captured("proc/net/softnet_stat")) {
        INFO(path);
        auto parsed = parse_softnet_stat(slurp(path), "/proc/net/softnet_stat");
        REQUIRE(parsed.ok());
        REQUIRE_FALSE(parsed->empty());
        CHECK(parsed->front().cpu == 0);
    }

    CHECK(error_of(parse_softnet_stat("0000000a 00000000\n", "/proc/net/softnet_stat")) ==
          "/proc/net/softnet_stat:1: 2 columns, expected at least 3");
    CHECK(error_of(parse_softnet_stat("0000000a 00000000 00000000 00000000\n0000000a 00000000 0000\n", "f")) ==
          "f:2: 3 columns where line 1 has 4 (truncated?)");
    CHECK(error_of(parse_softnet_stat("0000000a 0000000g 00000000\n", "f")) == "f:1: hex counter \"0000000g\" is not a number");
}

TEST_CASE("softnet_stat without the CPU column (kernels before 5.10)", "[parsers]") {
    bool found_old_layout = false;
    for (const auto& path : captured("proc/net/softnet_stat")) {
        const auto text = slurp(path);
        const auto first_line = text.substr(0, text.find('\n'));
        if (std::count(first_line.begin(), first_line.end(), ' ') + 1 >= 13) continue;
        found_old_layout = true;
        INFO(path);
        auto parsed = parse_softnet_stat(text, "/proc/net/softnet_stat");
        REQUIRE(parsed.ok());
        for (std::size_t i = 0; i < parsed->size(); ++i) CHECK(parsed->at(i).cpu == static_cast<int>(i));
    }
    CHECK(found_old_layout);  // tests/fixtures must keep a pre-5.10 capture
}

TEST_CASE("/proc/stat cpu lines", "[parsers]") {
    auto stat = parse_proc_stat(slurp(kFixture61 + "/proc/stat"), "/proc/stat");
    REQUIRE(stat.ok());
    REQUIRE(stat->size() == 5);
    CHECK(stat->front().cpu == "cpu");
    CHECK(stat->back().cpu == "cpu3");
    CHECK(stat->front().total() > 0);
    // 2.6-era lines without steal still parse; the missing column is 0 only because the kernel had none.
    auto old = parse_proc_stat("cpu  10 0 5 100 1 0 2\n", "f");
    REQUIRE(old.ok());
    CHECK(old->front().softirq == 2);
    CHECK(error_of(parse_proc_stat("cpu  10 0 5\n", "/proc/stat")) == "/proc/stat:1: cpu has 3 times, expected at least 4");
    CHECK(error_of(parse_proc_stat("intr 1 2\nctxt 5\n", "/proc/stat")) == "/proc/stat:1: no cpu lines");
    CHECK(error_of(parse_proc_stat("cpu 1 2 3 -4\n", "f")) == "f:1: cpu: counter \"-4\" is not a number");
    // CPU ids the kernel cannot have, and a CPU twice, are refused: a hostile file of millions of
    // lines cannot become millions of CPUs.
    CHECK(parse_proc_stat("cpu 1 2 3 4\ncpu0 1 2 3 4\ncpu8191 1 2 3 4\n", "f").ok());
    CHECK(error_of(parse_proc_stat("cpu 1 2 3 4\ncpu8192 1 2 3 4\n", "f")) == "f:2: \"cpu8192\" is not a CPU (ids run from 0 to 8191)");
    CHECK(error_of(parse_proc_stat("cpu1073741823 1 2 3 4\n", "f")) == "f:1: \"cpu1073741823\" is not a CPU (ids run from 0 to 8191)");
    CHECK(error_of(parse_proc_stat("cpu-40 1 2 3 4\n", "f")) == "f:1: \"cpu-40\" is not a CPU (ids run from 0 to 8191)");
    CHECK(error_of(parse_proc_stat("cpu0 1 2 3 4\ncpu0 1 2 3 4\n", "f")) == "f:2: cpu0 appears twice");
    CHECK(error_of(parse_proc_stat("cpu 1 2 3 4\ncpu 1 2 3 4\n", "f")) == "f:2: cpu appears twice");
}

TEST_CASE("softirqs", "[parsers]") {
    auto softirqs = parse_softirqs(slurp(kFixture61 + "/proc/softirqs"), "/proc/softirqs");
    REQUIRE(softirqs.ok());
    CHECK(softirqs->at("TIMER").at("CPU3") == 123);
    CHECK(softirqs->at("NET_RX").size() == 4);
    CHECK(error_of(parse_softirqs("   CPU0 CPU1\n NET_RX: 5\n", "/proc/softirqs")) ==
          "/proc/softirqs:2: NET_RX has 1 counts for 2 CPUs");
    CHECK(error_of(parse_softirqs("  HI: 1 2\n", "/proc/softirqs")) ==
          "/proc/softirqs:1: expected a header of CPU columns, found \"HI:\"");
}

TEST_CASE("interrupts: numbered lines with their action", "[parsers]") {
    auto interrupts = parse_interrupts(slurp(kFixture61 + "/proc/interrupts"), "/proc/interrupts");
    REQUIRE(interrupts.ok());
    const auto irq27 = std::find_if(interrupts->begin(), interrupts->end(), [](const auto& l) { return l.irq == 27; });
    REQUIRE(irq27 != interrupts->end());
    CHECK(irq27->action == "eth1-rxtx-0");
    CHECK(irq27->per_cpu.at("CPU1") == 1);
    CHECK(irq27->description == "PCI-MSI 32768-edge eth1-rxtx-0");
    for (const auto& line : *interrupts) {
        CHECK(line.per_cpu.size() <= 4);  // the non-zero counts only
        for (const auto& [cpu, count] : line.per_cpu) CHECK(count > 0);
    }

    // 10,000 CPUs, each IRQ on one of them: a 21 MB file, kept as 1,000 counts.
    std::string big = "   ";
    for (int cpu = 0; cpu < 10'000; ++cpu) big += fmt::format(" CPU{}", cpu);
    big += "\n";
    for (int irq = 0; irq < 1'000; ++irq) {
        big += fmt::format("{}:", irq + 100);
        for (int cpu = 0; cpu < 10'000; ++cpu) big += cpu == irq ? " 7" : " 0";
        big += fmt::format(" PCI-MSI {}-edge eth0-rx-{}\n", irq, irq);
    }
    auto sparse = parse_interrupts(big, "/proc/interrupts");
    REQUIRE(sparse.ok());
    REQUIRE(sparse->size() == 1'000);
    CHECK(sparse->at(5).per_cpu == std::map<std::string, std::uint64_t>{{"CPU5", 7}});
    // Every count non-zero: past kMaxInterruptCounts, refused rather than held in memory.
    std::string dense = big;
    for (std::size_t at = dense.find(" 0"); at != std::string::npos; at = dense.find(" 0", at + 2)) dense[at + 1] = '3';
    CHECK(error_of(parse_interrupts(dense, "/proc/interrupts")) ==
          "/proc/interrupts:102: more than 1000000 non-zero per-CPU interrupt counts");

    CHECK(error_of(parse_interrupts("  CPU0 CPU1\n 27: 5\n", "/proc/interrupts")) ==
          "/proc/interrupts:2: IRQ 27 has 1 counts for 2 CPUs");
    CHECK(error_of(parse_interrupts("  CPU0\n 27: x PCI-MSI 1-edge eth0\n", "f")) == "f:2: IRQ 27: counter \"x\" is not a number");
    // A line without an action (the device freed it) has an empty action.
    auto bare = parse_interrupts("  CPU0\n 30: 7 PCI-MSI 1-edge\n", "f");
    REQUIRE(bare.ok());
    CHECK(bare->front().action.empty());
}

TEST_CASE("nf_conntrack stat sums CPUs, except the global entries column", "[parsers]") {
    const char* text =
        "entries  clashres found new invalid ignore delete delete_list insert insert_failed drop early_drop "
        "error  expect_new expect_create expect_delete search_restart\n"
        "00000064  00000000 00000000 00000000 00000003 00000000 00000000 00000000 00000000 00000002 00000001 "
        "00000000 00000000  00000000 00000000 00000000 00000000\n"
        "00000064  00000000 00000000 00000000 00000001 00000000 00000000 00000000 00000000 00000003 00000000 "
        "00000000 00000000  00000000 00000000 00000000 00000000\n";
    auto stat = parse_nf_conntrack_stat(text, "/proc/net/stat/nf_conntrack");
    REQUIRE(stat.ok());
    CHECK(stat->at("entries") == 100);
    CHECK(stat->at("insert_failed") == 5);
    CHECK(stat->at("drop") == 1);
    CHECK(stat->at("invalid") == 4);
    CHECK(error_of(parse_nf_conntrack_stat("entries drop\n", "f")) == "f:2: no per-CPU lines after the header");
    CHECK(error_of(parse_nf_conntrack_stat("entries drop\n00000001\n", "f")) == "f:2: 1 columns for 2 names");
    CHECK(error_of(parse_nf_conntrack_stat("00000001 00000002\n", "f")) == "f:1: missing the header of column names");
}

TEST_CASE("TCP sockets by state from tcp and tcp6", "[parsers]") {
    const char* tcp =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000005 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n"
        "   4: 0100007F:1F90 0200007F:B000 03 00000000:00000000 02:00000064 00000002     0        0 0 1\n"
        "   1: 0100007F:1F90 0100007F:A000 08 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1\n"
        "   2: 0100007F:1F90 0100007F:A001 08 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1\n"
        "   3: 0100007F:A002 0A00000A:01BB 06 00000000:00000000 03:00001770 00000000     0        0 0 3\n";
    const char* tcp6 =
        "  sl  local_address                         remote_address                        st tx_queue rx_queue tr "
        "tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000000000000000000001000000:0050 00000000000000000000000001000000:C000 06 00000000:00000000 "
        "03:00001770 00000000     0        0 0 3\n";
    auto v4 = parse_proc_net_tcp(tcp, "/proc/net/tcp");
    auto v6 = parse_proc_net_tcp(tcp6, "/proc/net/tcp6");
    REQUIRE(v4.ok());
    REQUIRE(v6.ok());
    TcpSockets all = *v4;
    merge_tcp(all, *v6);
    CHECK(all.states.at("LISTEN") == 1);
    CHECK(all.states.at("CLOSE_WAIT") == 2);
    CHECK(all.states.at("TIME_WAIT") == 2);
    CHECK(all.close_wait_by_local_port.at(8080) == 2);
    CHECK(all.time_wait_by_remote_port.at(443) == 1);
    CHECK(all.time_wait_by_remote_port.at(0xC000) == 1);
    // A listener's rx_queue is its accept queue; /proc/net/tcp does not print the backlog's limit.
    CHECK(all.listeners.at(8080).queued == 5);
    CHECK_FALSE(all.listeners.at(8080).backlog.has_value());
    CHECK(all.syn_recv_by_local_port == std::map<int, std::uint64_t>{{8080, 1}});
    CHECK(error_of(parse_proc_net_tcp("  sl local\n   0: 0100007F:1F90 00000000:0000 0A 0000:zz\n", "f")) ==
          "f:2: bad queue column in \"0: 0100007F:1F90 00000000:0000 0A 0000:z...\"");

    for (const auto& path : captured("proc/net/tcp")) {
        INFO(path);
        CHECK(parse_proc_net_tcp(slurp(path), "/proc/net/tcp").ok());
    }
    CHECK(error_of(parse_proc_net_tcp("   0: 0100007F:1F90 00000000:0000 0A\n", "f")) ==
          "f:1: missing the \"sl local_address ...\" header");
    CHECK(error_of(parse_proc_net_tcp("  sl local\n   0: 0100007F:1F90 00000000:0000\n", "f")) == "f:2: truncated socket line");
    CHECK(error_of(parse_proc_net_tcp("  sl local\n   0: 0100007F:1F90 00000000:0000 FF\n", "f")) == "f:2: bad state \"FF\"");
    CHECK(error_of(parse_proc_net_tcp("  sl local\n   0: 0100007F 00000000:0000 0A\n", "f")) ==
          "f:2: bad address in \"0: 0100007F 00000000:0000 0A\"");
    // Only the header: a host with no TCP sockets.
    auto none = parse_proc_net_tcp("  sl  local_address rem_address   st\n", "f");
    REQUIRE(none.ok());
    CHECK(none->states.empty());
}

// The dump tests/fixtures/capture-sock-diag.sh took in a namespace of its own; its .txt holds the same
// sockets as /proc/net/tcp and tcp6 showed them.
TEST_CASE("TCP sockets from a sock_diag dump match the tcp and tcp6 files", "[parsers]") {
    const std::string dump_path = kFixtures + "/linux-6.18-firecracker-virtio-2cpu/netlink/sock_diag_tcp";
    const auto dump = slurp(dump_path);
    TcpSockets dumped;
    auto done = add_sock_diag_datagram(dump, dumped, "sock_diag");
    REQUIRE(done.ok());
    CHECK(*done);
    CHECK(dumped.states == std::map<std::string, std::uint64_t>{
                               {"LISTEN", 2}, {"ESTABLISHED", 2}, {"CLOSE_WAIT", 1}, {"FIN_WAIT2", 1}, {"TIME_WAIT", 1}});
    CHECK(dumped.close_wait_by_local_port == std::map<int, std::uint64_t>{{7070, 1}});
    CHECK(dumped.time_wait_by_remote_port == std::map<int, std::uint64_t>{{7070, 1}});

    // The same sockets as the files listed them at the moment of the dump.
    const auto listing = slurp(dump_path + ".txt");
    const auto tcp6_header = listing.find("  sl  local_address                         remote_address");
    REQUIRE(tcp6_header != std::string::npos);
    const auto first_line_end = listing.find('\n') + 1;
    auto v4 = parse_proc_net_tcp(std::string_view(listing).substr(first_line_end, tcp6_header - first_line_end), "tcp");
    auto v6 = parse_proc_net_tcp(std::string_view(listing).substr(tcp6_header), "tcp6");
    REQUIRE(v4.ok());
    REQUIRE(v6.ok());
    TcpSockets from_files = *v4;
    merge_tcp(from_files, *v6);
    CHECK(from_files.states == dumped.states);
    CHECK(from_files.close_wait_by_local_port == dumped.close_wait_by_local_port);
    CHECK(from_files.time_wait_by_remote_port == dumped.time_wait_by_remote_port);
    // The same listeners with the same accept queues; only sock_diag knows their backlog.
    REQUIRE(dumped.listeners.size() == from_files.listeners.size());
    for (const auto& [port, listener] : dumped.listeners) {
        INFO(port);
        CHECK(listener.queued == from_files.listeners.at(port).queued);
        CHECK(listener.backlog.has_value());
    }

    // A datagram cut anywhere is an error or an unfinished dump, never more sockets or a crash.
    auto total = [](const TcpSockets& sockets) {
        std::uint64_t sum = 0;
        for (const auto& [state, count] : sockets.states) sum += count;
        return sum;
    };
    for (std::size_t cut = 0; cut < dump.size(); ++cut) {
        TcpSockets partial;
        auto result = add_sock_diag_datagram(std::string_view(dump).substr(0, cut), partial, "sock_diag");
        if (result.ok()) CHECK_FALSE(*result);
        CHECK(total(partial) <= total(dumped));
    }
    TcpSockets none;
    CHECK(error_of(add_sock_diag_datagram(std::string_view(dump).substr(0, 20), none, "sock_diag")) ==
          "sock_diag:1: netlink message length 132 out of bounds");
    CHECK(error_of(add_sock_diag_datagram(std::string_view(dump).substr(0, 10), none, "sock_diag")) ==
          "sock_diag:1: truncated netlink header");
    // The kernel's answer to a request it refuses: NLMSG_ERROR with -errno.
    const std::uint32_t refused[] = {36, 2 /* NLMSG_ERROR */, 0, 0, static_cast<std::uint32_t>(-95), 0, 0, 0, 0};
    CHECK(error_of(add_sock_diag_datagram(std::string_view(reinterpret_cast<const char*>(refused), sizeof refused),
                                          none, "sock_diag")) ==
          "sock_diag:1: the kernel refused the dump: Operation not supported");
    // A dump that failed part way: NLMSG_DONE carrying -ENOENT (tcp_diag could not be loaded).
    const std::int32_t failed[] = {20, 3 /* NLMSG_DONE */, 0, 0, -2};
    CHECK(error_of(add_sock_diag_datagram(std::string_view(reinterpret_cast<const char*>(failed), sizeof failed),
                                          none, "sock_diag")) ==
          "sock_diag:1: the kernel refused the dump: No such file or directory");
    const std::int32_t hostile[] = {36, 2, 0, 0, INT32_MIN, 0, 0, 0, 0};
    CHECK(error_of(add_sock_diag_datagram(std::string_view(reinterpret_cast<const char*>(hostile), sizeof hostile),
                                          none, "sock_diag")) ==
          "sock_diag:1: the kernel refused the dump: error -2147483648");
}

TEST_CASE("one-value files", "[parsers]") {
    CHECK(*parse_single_int("1000\n", "f") == 1000);
    CHECK(*parse_single_int("-1\n", "f") == -1);
    CHECK(error_of(parse_single_int("", "/sys/class/net/eth0/speed")) == "/sys/class/net/eth0/speed: empty file");
    CHECK(error_of(parse_single_int("10G\n", "f")) == "f:1: expected an integer, found \"10G\"");
    CHECK(*parse_single_word("up\n", "f") == "up");
    CHECK(error_of(parse_single_word("up down\n", "f")) == "f:1: expected one word, found \"up down\"");
    auto range = parse_port_range(slurp(kFixture61 + "/proc/sys/net/ipv4/ip_local_port_range"), "f");
    REQUIRE(range.ok());
    CHECK(range->low == 32768);
    CHECK(range->high == 60999);
    CHECK(range->size() == 28232);
    CHECK(error_of(parse_port_range("32768\n", "f")) == "f:1: expected \"LOW HIGH\", found \"32768\"");
    CHECK(error_of(parse_port_range("32768 99999\n", "f")) == "f:1: expected two port numbers, found \"32768 99999\"");
    CHECK(*parse_uptime("350735.47 234388.90\n", "f") == Approx(350735.47));
    CHECK(error_of(parse_uptime("abc 1\n", "/proc/uptime")) == "/proc/uptime:1: expected seconds, found \"abc\"");
}

TEST_CASE("CPU masks and lists as the kernel prints them", "[parsers]") {
    CHECK(*parse_cpu_mask("f\n", "f") == std::set<int>{0, 1, 2, 3});
    CHECK(*parse_cpu_mask("00000000,00000002\n", "f") == std::set<int>{1});
    CHECK(*parse_cpu_mask("00000001,00000000\n", "f") == std::set<int>{32});
    CHECK(*parse_cpu_mask("80000000,00000000,00000001\n", "f") == std::set<int>{0, 95});
    CHECK(parse_cpu_mask("0\n", "f")->empty());
    CHECK(error_of(parse_cpu_mask("xyz\n", "/proc/irq/27/smp_affinity")) ==
          "/proc/irq/27/smp_affinity:1: bad CPU mask group \"xyz\"");
    CHECK(error_of(parse_cpu_mask("100000000\n", "f")) == "f:1: bad CPU mask group \"100000000\"");
    CHECK(*parse_cpu_list("0-3,8,10-11\n", "f") == std::set<int>{0, 1, 2, 3, 8, 10, 11});
    CHECK(parse_cpu_list("\n", "f")->empty());
    CHECK(error_of(parse_cpu_list("3-1\n", "f")) == "f:1: bad CPU list item \"3-1\"");
    CHECK(error_of(parse_cpu_list("0-999999999\n", "f")) == "f:1: bad CPU list item \"0-999999999\"");
}

TEST_CASE("auxv gives the target's CLK_TCK and page size", "[parsers]") {
    const std::uint64_t words[] = {6, 4096, 17, 100, 0, 0};
    const std::string bytes(reinterpret_cast<const char*>(words), sizeof(words));
    auto constants = parse_auxv(bytes, "/proc/self/auxv");
    REQUIRE(constants.ok());
    CHECK(constants->page_size == 4096);
    CHECK(constants->clk_tck == 100);
    CHECK(error_of(parse_auxv(bytes.substr(0, 20), "/proc/self/auxv")) ==
          "/proc/self/auxv: 20 bytes is not a whole number of 64-bit entries");
    CHECK(error_of(parse_auxv("", "/proc/self/auxv")) == "/proc/self/auxv: empty file");
}

TEST_CASE("neighbour-table statistics: hex per-CPU rows summed, entries as printed", "[parsers]") {
    // /proc/net/stat/arp_cache of this dev VM (6.18, 2 CPUs).
    const char* arp_cache =
        "entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast "
        "periodic_gc_runs forced_gc_runs unresolved_discards table_fulls\n"
        "00000002 000000ab 000000dd 00000000   0000020b 00000068 00000000   00000000         00000000         "
        "000002f1         00000000       00000000            00000003\n"
        "00000002 000000fb 000000c7 00000002   00000213 00000087 00000000   00000000         00000000         "
        "00000000         00000002       00000000            0000000a\n";
    auto table = parse_neighbour_stat(arp_cache, "/proc/net/stat/arp_cache");
    REQUIRE(table.ok());
    CHECK(table->entries == 2);
    CHECK(table->table_fulls == 13u);
    CHECK(table->forced_gc_runs == 2);
    // Kernels before table_fulls: the level is all there is.
    auto old = parse_neighbour_stat("entries  allocs forced_gc_runs\n0000000a 00000001 00000000\n", "f");
    REQUIRE(old.ok());
    CHECK_FALSE(old->table_fulls.has_value());
    CHECK(error_of(parse_neighbour_stat("entries allocs\n00000001\n", "f")) == "f:2: 1 columns under a header of 2");
    CHECK(error_of(parse_neighbour_stat("allocs\n00000001\n", "f")) == "f:1: missing the \"entries ...\" header");
    CHECK(error_of(parse_neighbour_stat("entries\n", "f")) == "f:2: no per-CPU lines after the header");
    CHECK(error_of(parse_neighbour_stat("entries\n0000000g\n", "f")) == "f:2: hex counter \"0000000g\" is not a number");
}

TEST_CASE("MemTotal, integer lists and interface flags", "[parsers]") {
    CHECK(*parse_meminfo_total("MemTotal:       16318412 kB\nMemFree: 1 kB\n", "f") == 16318412ull * 1024);
    CHECK(error_of(parse_meminfo_total("MemFree: 1 kB\n", "f")) == "f: no MemTotal line");
    CHECK(error_of(parse_meminfo_total("MemTotal: lots\n", "f")) == "f:1: expected \"MemTotal: N kB\", found \"MemTotal: lots\"");
    CHECK(*parse_int_list("188562\t251418\t377124\n", "f") == std::vector<std::int64_t>{188562, 251418, 377124});
    CHECK(error_of(parse_int_list("1 2 x\n", "f")) == "f:1: expected integers, found \"x\"");
    CHECK(error_of(parse_int_list("\n", "f")) == "f: empty file");
    CHECK(*parse_hex_flags("0x1003\n", "f") == 0x1003);
    CHECK(error_of(parse_hex_flags("up\n", "f")) == "f:1: expected hex flags like 0x1003, found \"up\"");
}

TEST_CASE("tcp state names", "[parsers]") {
    CHECK(tcp_state_name(1) == "ESTABLISHED");
    CHECK(tcp_state_name(6) == "TIME_WAIT");
    CHECK(tcp_state_name(8) == "CLOSE_WAIT");
    CHECK(tcp_state_name(10) == "LISTEN");
    CHECK(tcp_state_name(99) == "UNKNOWN");
}
