// Egress qdisc statistics and NIC ring sizes: the parsers on text captured from real tools, the
// rtnetlink/ethtool reader on the live host, the SSH script run by /bin/sh, and the collector step.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/gen_stats.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <tuple>

#include <fmt/format.h>

#include "collect/collector.hpp"
#include "collect/linkstats.hpp"
#include "collect/parsers_linkstats.hpp"
#include "remote/local_transport.hpp"
#include "remote/memory_transport.hpp"
#include "remote/read_script.hpp"
#include "test_files.hpp"

using namespace netdiag;

namespace {

// `tc -s qdisc show` (iproute2 6.1, Linux 6.18) in a namespace: htb with a pfifo leaf and a tbf, both
// dropping UDP bursts to a static neighbour, a tbf holding 1024 queued 1 KiB frames (tc prints "1Mb"),
// and an ingress qdisc (left out).
constexpr std::string_view kTcCaptured = R"(qdisc noqueue 0: dev lo root refcnt 2 
 Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) 
 backlog 0b 0p requeues 0
qdisc tbf 5: dev ndh-b root refcnt 3 rate 8Kbit burst 1600b lat 1.2e+03s 
 Sent 2048 bytes 2 pkt (dropped 0, overlimits 1027 requeues 0) 
 backlog 1Mb 1024p requeues 0
qdisc ingress ffff: dev ndh-b parent ffff:fff1 ---------------- 
 Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) 
 backlog 0b 0p requeues 0
qdisc htb 1: dev ndh-a root refcnt 3 r2q 10 default 0x20 direct_packets_stat 0 direct_qlen 1000
 Sent 164850 bytes 126 pkt (dropped 128, overlimits 137 requeues 0) 
 backlog 144000b 96p requeues 0
qdisc pfifo 20: dev ndh-a parent 1:20 limit 100p
 Sent 164074 bytes 116 pkt (dropped 128, overlimits 0 requeues 0) 
 backlog 144000b 96p requeues 0
)";

// The same namespace earlier: 1099 frames of 1 KiB queued, printed "1099Kb".
constexpr std::string_view kTcCapturedKb = R"(qdisc noqueue 0: dev lo root refcnt 2 
 Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) 
 backlog 0b 0p requeues 0
qdisc tbf 5: dev ndh-b root refcnt 3 rate 8Kbit burst 1600b lat 1.2e+03s 
 Sent 26980 bytes 19 pkt (dropped 42, overlimits 1172 requeues 0) 
 backlog 1099Kb 1099p requeues 0
qdisc ingress ffff: dev ndh-b parent ffff:fff1 ---------------- 
 Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) 
 backlog 0b 0p requeues 0
qdisc htb 1: dev ndh-a root refcnt 3 r2q 10 default 0x20 direct_packets_stat 0 direct_qlen 1000
 Sent 31350 bytes 37 pkt (dropped 53, overlimits 48 requeues 0) 
 backlog 0b 0p requeues 0
qdisc pfifo 20: dev ndh-a parent 1:20 limit 100p
 Sent 30574 bytes 27 pkt (dropped 53, overlimits 0 requeues 0) 
 backlog 0b 0p requeues 0
)";

// `ethtool -g eth0` (ethtool 6.1, netlink) on a Firecracker virtio-net device.
constexpr std::string_view kEthtoolNetlink =
    "Ring parameters for eth0:\n"
    "Pre-set maximums:\n"
    "RX:\t\t256\n"
    "RX Mini:\tn/a\n"
    "RX Jumbo:\tn/a\n"
    "TX:\t\t256\n"
    "Current hardware settings:\n"
    "RX:\t\t256\n"
    "RX Mini:\tn/a\n"
    "RX Jumbo:\tn/a\n"
    "TX:\t\t256\n"
    "RX Buf Len:\t\tn/a\n"
    "CQE Size:\t\tn/a\n"
    "TX Push:\toff\n"
    "TCP data split:\tn/a\n";

// The ioctl printer (ethtool before 5.6, or --disable-netlink): dump_ring() in ethtool.c.
constexpr std::string_view kEthtoolIoctl =
    "Ring parameters for eno1:\n"
    "Pre-set maximums:\n"
    "RX:\t\t4096\n"
    "RX Mini:\t0\n"
    "RX Jumbo:\t0\n"
    "TX:\t\t4096\n"
    "Current hardware settings:\n"
    "RX:\t\t512\n"
    "RX Mini:\t0\n"
    "RX Jumbo:\t0\n"
    "TX:\t\t1024\n"
    "\n";

template <class T>
std::string error_of(const Result<T>& result) {
    return result.ok() ? std::string("(no error)") : result.error().message;
}

auto key_of(const QdiscStats& q) {
    return std::tie(q.interface, q.kind, q.handle, q.parent, q.sent_bytes, q.sent_packets, q.drops, q.overlimits,
                    q.requeues, q.backlog_bytes, q.backlog_packets);
}

std::vector<QdiscStats> sorted(std::vector<QdiscStats> qdiscs) {
    std::sort(qdiscs.begin(), qdiscs.end(), [](const auto& a, const auto& b) { return key_of(a) < key_of(b); });
    return qdiscs;
}

std::string describe(const std::vector<QdiscStats>& qdiscs) {
    std::string text;
    for (const auto& q : qdiscs) {
        text += fmt::format("{} {} {} parent {}: sent {}B/{}p drops {} overlimits {} requeues {} backlog {}B/{}p\n",
                            q.interface, q.kind, q.handle, q.parent, q.sent_bytes, q.sent_packets, q.drops,
                            q.overlimits, q.requeues, q.backlog_bytes, q.backlog_packets);
    }
    return text;
}

const QdiscStats* find_qdisc(const std::vector<QdiscStats>& qdiscs, std::string_view interface, std::string_view kind) {
    for (const auto& q : qdiscs) {
        if (q.interface == interface && q.kind == kind) return &q;
    }
    return nullptr;
}

// stdout of `command` run by /bin/sh (at most 16 MiB), and its exit status.
std::pair<int, std::string> shell_output(const std::string& command, const std::string& input = "") {
    test::Scratch scratch;
    const auto in = scratch.path / "in", out = scratch.path / "out";
    std::ofstream(in, std::ios::binary) << input;
    const int status = std::system(fmt::format("{} <{} >{}", command, shell_quote(in.string()), shell_quote(out.string())).c_str());
    std::ifstream file(out, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.substr(0, 16 << 20)};
}

bool have_tc() { return std::system("command -v tc >/dev/null 2>&1 || [ -x /usr/sbin/tc ] || [ -x /sbin/tc ]") == 0; }

// Netlink building blocks for synthetic dump datagrams.
void append_attribute(std::string& out, unsigned short type, std::string_view payload) {
    nlattr attribute{};
    attribute.nla_len = static_cast<unsigned short>(sizeof attribute + payload.size());
    attribute.nla_type = type;
    out.append(reinterpret_cast<const char*>(&attribute), sizeof attribute);
    out.append(payload);
    out.append(NLA_ALIGN(attribute.nla_len) - attribute.nla_len, '\0');
}

template <class T>
std::string bytes_of(const T& value) {
    return std::string(reinterpret_cast<const char*>(&value), sizeof value);
}

std::string qdisc_message(int ifindex, std::uint32_t handle, std::uint32_t parent, std::string_view kind,
                          std::optional<std::uint64_t> packets64 = std::nullopt) {
    tcmsg body{};
    body.tcm_family = AF_UNSPEC;
    body.tcm_ifindex = ifindex;
    body.tcm_handle = handle;
    body.tcm_parent = parent;
    std::string attributes;
    append_attribute(attributes, TCA_KIND, std::string(kind) + '\0');
    gnet_stats_basic basic{};
    basic.bytes = 123456789012ULL;
    basic.packets = 4000;
    gnet_stats_queue queue{};
    queue.qlen = 3;
    queue.backlog = 4542;
    queue.drops = 17;
    queue.requeues = 2;
    queue.overlimits = 9;
    std::string stats2;
    append_attribute(stats2, TCA_STATS_BASIC, bytes_of(basic));
    if (packets64) append_attribute(stats2, TCA_STATS_PKT64, bytes_of(*packets64));
    append_attribute(stats2, TCA_STATS_QUEUE, bytes_of(queue));
    append_attribute(attributes, TCA_STATS2, stats2);
    nlmsghdr header{};
    header.nlmsg_type = RTM_NEWQDISC;
    header.nlmsg_len = static_cast<std::uint32_t>(sizeof header + NLMSG_ALIGN(sizeof body) + attributes.size());
    std::string message = bytes_of(header) + bytes_of(body);
    message.append(NLMSG_ALIGN(sizeof body) - sizeof body, '\0');
    return message + attributes;
}

std::string done_message(std::int32_t error = 0) {
    nlmsghdr header{};
    header.nlmsg_type = NLMSG_DONE;
    header.nlmsg_len = sizeof header + sizeof error;
    return bytes_of(header) + bytes_of(error);
}

}  // namespace

TEST_CASE("tc -s qdisc show captured in a namespace parses, ingress left out", "[linkstats]") {
    auto parsed = parse_tc_qdisc_stats(kTcCaptured, "tc");
    INFO(error_of(parsed));
    REQUIRE(parsed.ok());
    const auto& qdiscs = *parsed;
    REQUIRE(qdiscs.size() == 4);
    CHECK(find_qdisc(qdiscs, "ndh-b", "ingress") == nullptr);

    const auto* lo = find_qdisc(qdiscs, "lo", "noqueue");
    REQUIRE(lo != nullptr);
    CHECK(lo->handle == "0:");
    CHECK(lo->parent == "root");
    CHECK(lo->sent_packets == 0);

    const auto* tbf = find_qdisc(qdiscs, "ndh-b", "tbf");
    REQUIRE(tbf != nullptr);
    CHECK(tbf->handle == "5:");
    CHECK(tbf->sent_bytes == 2048);
    CHECK(tbf->sent_packets == 2);
    CHECK(tbf->overlimits == 1027);
    CHECK(tbf->backlog_bytes == 1024 * 1024);  // "1Mb"
    CHECK(tbf->backlog_packets == 1024);

    const auto* htb = find_qdisc(qdiscs, "ndh-a", "htb");
    REQUIRE(htb != nullptr);
    CHECK(htb->handle == "1:");
    CHECK(htb->parent == "root");
    CHECK(htb->sent_bytes == 164850);
    CHECK(htb->sent_packets == 126);
    CHECK(htb->drops == 128);
    CHECK(htb->overlimits == 137);
    CHECK(htb->requeues == 0);
    CHECK(htb->backlog_bytes == 144000);
    CHECK(htb->backlog_packets == 96);

    const auto* leaf = find_qdisc(qdiscs, "ndh-a", "pfifo");
    REQUIRE(leaf != nullptr);
    CHECK(leaf->handle == "20:");
    CHECK(leaf->parent == "1:20");
    CHECK(leaf->drops == 128);
}

TEST_CASE("tc backlog sizes in Kb and plain bytes", "[linkstats]") {
    auto parsed = parse_tc_qdisc_stats(kTcCapturedKb, "tc");
    INFO(error_of(parsed));
    REQUIRE(parsed.ok());
    const auto* tbf = find_qdisc(*parsed, "ndh-b", "tbf");
    REQUIRE(tbf != nullptr);
    CHECK(tbf->backlog_bytes == 1099 * 1024);
    CHECK(tbf->backlog_packets == 1099);
    CHECK(tbf->drops == 42);

    // A rate estimator puts the backlog on the rate line; old tc printed "pkts"; a multi-queue root
    // (mq) prints its children with a minor-only parent.
    auto multiqueue = parse_tc_qdisc_stats(
        "qdisc mq 0: dev eth0 root \n"
        " Sent 9876543210 bytes 7654321 pkt (dropped 5, overlimits 0 requeues 12) \n"
        " backlog 12Kb 8p requeues 12\n"
        "qdisc fq_codel 0: dev eth0 parent :1 limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64 \n"
        " Sent 4938271605 bytes 3827160 pkt (dropped 5, overlimits 0 requeues 6) \n"
        " rate 1200Kbit 130pps backlog 3Mb 2000p requeues 6\n"
        "  maxpacket 1514 drop_overlimit 0 new_flow_count 3 ecn_mark 0\n"
        "  new_flows_len 0 old_flows_len 1\n"
        "qdisc pfifo_fast 0: dev eth1 root refcnt 2 bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1\n"
        " Sent 100 bytes 1 pkts (dropped 0, overlimits 0) \n"
        " backlog 0b 0p requeues 0\n",
        "tc");
    INFO(error_of(multiqueue));
    REQUIRE(multiqueue.ok());
    REQUIRE(multiqueue->size() == 3);
    CHECK((*multiqueue)[0].sent_bytes == 9876543210ULL);
    CHECK((*multiqueue)[0].backlog_bytes == 12 * 1024);
    CHECK((*multiqueue)[0].requeues == 12);
    CHECK((*multiqueue)[1].parent == ":1");
    CHECK((*multiqueue)[1].backlog_bytes == 3 * 1024 * 1024);
    CHECK((*multiqueue)[1].backlog_packets == 2000);
    CHECK((*multiqueue)[2].sent_packets == 1);
}

TEST_CASE("tc output that is garbled, cut or without -s is an error with its line", "[linkstats]") {
    const auto error = [](std::string_view text) { return error_of(parse_tc_qdisc_stats(text, "tc")); };
    CHECK(error("") == "tc: no output (every interface has a qdisc)");
    CHECK(error("qdisc noqueue 0: dev lo root refcnt 2 \n") ==
          "tc:1: qdisc noqueue 0: on lo has no Sent line (was tc run without -s?)");
    CHECK(error("qdisc noqueue 0: dev lo root refcnt 2 \n Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n") ==
          "tc:1: qdisc noqueue 0: on lo has no backlog line (was tc run without -s?)");
    CHECK(error(" Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0)\n") == "tc:1: statistics before any qdisc line");
    CHECK(error("RTNETLINK answers: Operation not permitted\n") ==
          "tc:1: expected a qdisc line, found \"RTNETLINK answers: Operation not permitt...\"");
    CHECK(error("qdisc noqueue X: dev lo root\n") == "tc:1: qdisc handle \"X:\" is not a handle");
    CHECK(error("qdisc noqueue 0: lo root refcnt 2\n") == "tc:1: expected \"dev IF\", found \"lo\"");
    const std::string header = "qdisc htb 1: dev eth0 root refcnt 2\n";
    CHECK(error(header + " Sent 12x bytes 1 pkt (dropped 0, overlimits 0 requeues 0)\n backlog 0b 0p\n") ==
          "tc:2: sent bytes \"12x\" is not a counter");
    CHECK(error(header + " Sent 1 bytes 1 pkt (dropped -1, overlimits 0 requeues 0)\n backlog 0b 0p\n") ==
          "tc:2: dropped \"-1,\" is not a counter");
    CHECK(error(header + " Sent 1 bytes 1 pkt\n backlog 0b 0p\n") == "tc:2: missing the dropped and overlimits counters");
    CHECK(error(header + " Sent 1 bytes 1 pkt (dropped 0, overlimits 0 requeues 0)\n backlog 12Gb 0p\n") ==
          "tc:3: backlog size \"12Gb\" is not a size");
    CHECK(error(header + " Sent 1 bytes 1 pkt (dropped 0, overlimits 0 requeues 0)\n backlog 12b p\n") ==
          "tc:3: backlog packets \"p\" is not a count");
    CHECK(error(header + " Sent 99999999999999999999 bytes 1 pkt (dropped 0, overlimits 0 requeues 0)\n backlog 0b 0p\n") ==
          "tc:2: sent bytes \"99999999999999999999\" is not a counter");
    CHECK(error(header + " Sent 1 bytes 1 pkt (dropped 0, overlimits 0 requeues 0)\n Sent 1 bytes 1 pkt (dropped 0, overlimits 0 requeues 0)\n") ==
          "tc:3: a second Sent line for one qdisc");
    CHECK(error(header + std::string(70000, 'x')) == "tc:2: line too long");

    // Every prefix of real output parses or fails with a message; never a crash.
    for (std::size_t cut = 0; cut < kTcCaptured.size(); cut += 7) (void)parse_tc_qdisc_stats(kTcCaptured.substr(0, cut), "tc");
}

TEST_CASE("tc output past the qdisc limit is refused", "[linkstats]") {
    std::string text;
    const std::string one = "qdisc noqueue 0: dev v root refcnt 2 \n Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n backlog 0b 0p requeues 0\n";
    text.reserve(one.size() * (kMaxQdiscs + 1));
    for (std::size_t i = 0; i <= kMaxQdiscs; ++i) text += one;
    CHECK(error_of(parse_tc_qdisc_stats(text, "tc")) == fmt::format("tc:{}: more than 100000 qdiscs", 3 * kMaxQdiscs + 1));
}

TEST_CASE("ethtool -g in the netlink and the ioctl layouts", "[linkstats]") {
    auto netlink = parse_ethtool_rings(kEthtoolNetlink, "ethtool -g eth0");
    INFO(error_of(netlink));
    REQUIRE(netlink.ok());
    CHECK(netlink->rx == 256);
    CHECK(netlink->rx_max == 256);
    CHECK(netlink->tx == 256);
    CHECK(netlink->tx_max == 256);

    auto ioctl = parse_ethtool_rings(kEthtoolIoctl, "ethtool -g eno1");
    INFO(error_of(ioctl));
    REQUIRE(ioctl.ok());
    CHECK(ioctl->rx == 512);
    CHECK(ioctl->rx_max == 4096);
    CHECK(ioctl->tx == 1024);
    CHECK(ioctl->tx_max == 4096);

    // "n/a" for a ring the driver does not report is 0, as the ioctl says.
    auto no_tx = parse_ethtool_rings("Pre-set maximums:\nRX:\t\t1024\nTX:\t\tn/a\nCurrent hardware settings:\nRX:\t\t512\nTX:\t\tn/a\n",
                                     "ethtool -g x");
    REQUIRE(no_tx.ok());
    CHECK(no_tx->tx == 0);
    CHECK(no_tx->tx_max == 0);
}

TEST_CASE("ethtool output that is garbled or cut is an error", "[linkstats]") {
    const auto error = [](std::string_view text) { return error_of(parse_ethtool_rings(text, "ethtool -g eth0")); };
    CHECK(error("") == "ethtool -g eth0: no output");
    CHECK(error("netlink error: Operation not supported\n") ==
          "ethtool -g eth0:1: expected \"NAME: VALUE\" in a ring section, found \"netlink error: Operation not supported\"");
    CHECK(error(kEthtoolIoctl.substr(0, kEthtoolIoctl.find("Current"))) ==
          "ethtool -g eth0: no RX and TX lines under \"Current hardware settings:\"");
    CHECK(error("Current hardware settings:\nRX:\t512\nTX:\t512\n") ==
          "ethtool -g eth0: no RX and TX lines under \"Pre-set maximums:\"");
    CHECK(error("Pre-set maximums:\nRX:\tlots\n") == "ethtool -g eth0:2: RX ring size \"lots\" is not a number");
    CHECK(error("Pre-set maximums:\nRX:\t1\nRX:\t2\n") == "ethtool -g eth0:3: a second RX line in one section");
    CHECK(error("Pre-set maximums:\nRX 4096\n") ==
          "ethtool -g eth0:2: expected \"NAME: VALUE\" in a ring section, found \"RX 4096\"");
    for (std::size_t cut = 0; cut < kEthtoolNetlink.size(); ++cut) (void)parse_ethtool_rings(kEthtoolNetlink.substr(0, cut), "e");
}

TEST_CASE("handles and parents are printed as tc prints them", "[linkstats]") {
    CHECK(format_qdisc_handle(0) == "0:");
    CHECK(format_qdisc_handle(0x10000) == "1:");
    CHECK(format_qdisc_handle(0xffff0000) == "ffff:");
    CHECK(format_qdisc_parent(TC_H_ROOT) == "root");
    CHECK(format_qdisc_parent(0) == "");
    CHECK(format_qdisc_parent(0x10020) == "1:20");
    CHECK(format_qdisc_parent(0x10000) == "1:");
    CHECK(format_qdisc_parent(0x1) == ":1");
    CHECK(format_qdisc_parent(kIngressParent) == "ffff:fff1");
}

TEST_CASE("an rtnetlink qdisc dump datagram is read strictly", "[linkstats]") {
    const std::map<int, std::string> names{{1, "lo"}, {2, "eth0"}};
    std::vector<QdiscStats> qdiscs;
    const std::string datagram = qdisc_message(2, 0x10000, TC_H_ROOT, "htb") +
                                 qdisc_message(2, 0x200000, 0x10020, "pfifo", 5'000'000'000ULL) +
                                 qdisc_message(2, 0xffff0000, kIngressParent, "ingress") +
                                 qdisc_message(9, 0, TC_H_ROOT, "noqueue") + done_message();
    auto done = add_qdisc_dump_datagram(datagram, names, qdiscs, "dump");
    INFO(error_of(done));
    REQUIRE(done.ok());
    CHECK(*done);
    REQUIRE(qdiscs.size() == 2);  // ingress and the vanished ifindex 9 left out
    CHECK(qdiscs[0].interface == "eth0");
    CHECK(qdiscs[0].kind == "htb");
    CHECK(qdiscs[0].handle == "1:");
    CHECK(qdiscs[0].parent == "root");
    CHECK(qdiscs[0].sent_bytes == 123456789012ULL);
    CHECK(qdiscs[0].sent_packets == 4000);
    CHECK(qdiscs[0].drops == 17);
    CHECK(qdiscs[0].overlimits == 9);
    CHECK(qdiscs[0].requeues == 2);
    CHECK(qdiscs[0].backlog_bytes == 4542);
    CHECK(qdiscs[0].backlog_packets == 3);
    CHECK(qdiscs[1].parent == "1:20");
    CHECK(qdiscs[1].sent_packets == 5'000'000'000ULL);  // TCA_STATS_PKT64 past 2^32

    std::vector<QdiscStats> partial;
    auto not_done = add_qdisc_dump_datagram(qdisc_message(1, 0, TC_H_ROOT, "noqueue"), names, partial, "dump");
    REQUIRE(not_done.ok());
    CHECK_FALSE(*not_done);

    for (std::size_t cut = 1; cut < datagram.size(); ++cut) {
        std::vector<QdiscStats> ignored;
        (void)add_qdisc_dump_datagram(std::string_view(datagram).substr(0, cut), names, ignored, "dump");
    }
    std::vector<QdiscStats> none;
    CHECK(error_of(add_qdisc_dump_datagram(datagram.substr(0, 10), names, none, "dump")) == "dump:1: truncated netlink header");
    CHECK(error_of(add_qdisc_dump_datagram(done_message(-EPERM), names, none, "dump")) ==
          "dump:1: the kernel refused the dump: Operation not permitted");
    std::string no_stats = qdisc_message(1, 0, TC_H_ROOT, "noqueue");
    const auto kind_end = sizeof(nlmsghdr) + NLMSG_ALIGN(sizeof(tcmsg)) + NLA_ALIGN(sizeof(nlattr) + 8);
    no_stats.resize(kind_end);
    nlmsghdr header{};
    std::memcpy(&header, no_stats.data(), sizeof header);
    header.nlmsg_len = static_cast<std::uint32_t>(no_stats.size());
    std::memcpy(no_stats.data(), &header, sizeof header);
    CHECK(error_of(add_qdisc_dump_datagram(no_stats, names, none, "dump")) ==
          "dump:1: qdisc noqueue 0: on lo carries no statistics");
}

TEST_CASE("the local reader dumps the host's qdiscs; lo has no rings", "[linkstats]") {
    const auto stats = read_local_link_stats({"lo"});
    std::string problems;
    for (const auto& problem : stats.problems) problems += problem.subject + ": " + problem.reason + "\n";
    INFO(problems);
    CHECK(stats.problems.empty());
    REQUIRE(stats.qdiscs.has_value());
    const auto* lo = find_qdisc(*stats.qdiscs, "lo", "noqueue");
    if (lo == nullptr) lo = find_qdisc(*stats.qdiscs, "lo", "noop");  // lo down
    REQUIRE(lo != nullptr);
    CHECK(lo->handle == "0:");
    CHECK(lo->parent == "root");
    REQUIRE(stats.rings.has_value());
    CHECK(stats.rings->count("lo") == 0);  // EOPNOTSUPP: no rings, and no problem

    // tc sees the same qdiscs (counters move on a live host: compared by name and place only).
    if (!have_tc()) return;
    const auto [status, text] = shell_output("PATH=\"$PATH:/usr/sbin:/sbin\" tc -s qdisc show");
    REQUIRE(status == 0);
    auto from_tc = parse_tc_qdisc_stats(text, "tc");
    INFO(error_of(from_tc));
    REQUIRE(from_tc.ok());
    const auto places = [](const std::vector<QdiscStats>& qdiscs) {
        std::set<std::tuple<std::string, std::string, std::string, std::string>> set;
        for (const auto& q : qdiscs) set.emplace(q.interface, q.kind, q.handle, q.parent);
        return set;
    };
    CHECK(places(*from_tc) == places(*stats.qdiscs));
}

TEST_CASE("a captured tree cannot be asked for link statistics", "[linkstats]") {
    test::Scratch scratch;
    LocalTransport tree(scratch.path.string());
    CHECK_FALSE(tree.read_link_stats({"eth0"}).has_value());
}

namespace {

// In a network namespace of its own (a forked child that unshares one: nothing outside it is
// touched and nothing is left to clean up): a tbf on a veth that drops a UDP burst to a static
// neighbour. The local reader, tc's text and the SSH script run by /bin/sh must agree exactly.
// Returns what went wrong, empty when all agreed.
std::string check_in_own_namespace() {
    if (::unshare(CLONE_NEWNET) != 0) return fmt::format("unshare(CLONE_NEWNET): {}", std::strerror(errno));
    const char* setup =
        "PATH=\"$PATH:/usr/sbin:/sbin\"; set -e; ip link set lo up; ip link add ndh-a type veth peer name ndh-b; "
        "ip link set ndh-a addrgenmode none; ip link set ndh-b addrgenmode none; "
        "ip addr add 10.99.0.1/24 dev ndh-a; ip link set ndh-a up; ip link set ndh-b up; "
        "ip neigh add 10.99.0.9 lladdr 02:00:00:00:00:09 dev ndh-a nud permanent; "
        "tc qdisc add dev ndh-a root handle 5: tbf rate 1mbit burst 1600 limit 3000";
    if (std::system(setup) != 0) return "setting up the namespace failed";
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return "socket failed";
    sockaddr_in neighbour{};
    neighbour.sin_family = AF_INET;
    neighbour.sin_port = htons(9);
    ::inet_pton(AF_INET, "10.99.0.9", &neighbour.sin_addr);
    const std::string payload(1000, 'x');
    for (int i = 0; i < 50; ++i) {
        (void)::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&neighbour), sizeof neighbour);
    }
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the few queued frames leave at 1 Mbit/s

    std::string last_problem = "no attempt";
    for (int attempt = 0; attempt < 5; ++attempt) {  // a stray packet between two reads moves a counter
        const auto local = read_local_link_stats({"ndh-a", "ndh-b", "lo"});
        if (!local.problems.empty()) return "local reader: " + local.problems.front().reason;
        if (!local.qdiscs) return "local reader: no qdiscs";
        if (local.rings && !local.rings->empty()) return "veth or lo reported rings";
        const auto* tbf = find_qdisc(*local.qdiscs, "ndh-a", "tbf");
        if (tbf == nullptr) return "no tbf in the dump:\n" + describe(*local.qdiscs);
        if (tbf->handle != "5:" || tbf->parent != "root" || tbf->drops < 10 || tbf->sent_packets < 1 ||
            tbf->sent_packets + tbf->drops < 50) {
            return "tbf counters unexpected:\n" + describe(*local.qdiscs);
        }
        const auto [status, text] = shell_output("PATH=\"$PATH:/usr/sbin:/sbin\" tc -s qdisc show");
        auto from_tc = parse_tc_qdisc_stats(text, "tc");
        if (status != 0 || !from_tc) return "tc: " + error_of(from_tc);
        // The SSH script, as sshd's /bin/sh would run it.
        const std::string boundary = "==netdiag-test-boundary==";
        const auto [script_status, script_out] =
            shell_output("/bin/sh -s", wrap_stdin_script(make_link_stats_script(boundary, false)));
        auto from_script = parse_link_stats_output(script_out, boundary, "ns", false, {});
        if (script_status != 0 || !from_script || !from_script->qdiscs) {
            return "script: " + error_of(from_script) + "\n" + script_out;
        }
        const auto want = describe(sorted(*local.qdiscs));
        if (describe(sorted(*from_tc)) == want && describe(sorted(*from_script->qdiscs)) == want) return "";
        last_problem = "netlink:\n" + want + "tc:\n" + describe(sorted(*from_tc)) + "script:\n" +
                       describe(sorted(*from_script->qdiscs));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return last_problem;
}

}  // namespace

TEST_CASE("in a namespace of its own, netlink, tc and the SSH script count the same drops", "[linkstats][root]") {
    if (::geteuid() != 0 || !have_tc()) {
        WARN("skipped: needs root (to unshare a network namespace) and tc");
        return;
    }
    int channel[2];
    REQUIRE(::pipe2(channel, O_CLOEXEC) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(channel[0]);
        const std::string problem = check_in_own_namespace();
        (void)!::write(channel[1], problem.data(), problem.size());
        ::_exit(problem.empty() ? 0 : 1);
    }
    ::close(channel[1]);
    std::string problem;
    char buffer[4096];
    for (ssize_t n; (n = ::read(channel[0], buffer, sizeof buffer)) > 0;) problem.append(buffer, static_cast<std::size_t>(n));
    ::close(channel[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    INFO(problem);
    CHECK(problem.empty());
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

TEST_CASE("the link statistics script runs under /bin/sh with the tools it finds", "[linkstats][remote]") {
    // Stand-in tc and ethtool first on PATH print captured text; every interface the host lists
    // with a device is asked, and only the wanted ones are kept.
    test::Scratch scratch;
    const auto bin = scratch.path / "bin";
    std::filesystem::create_directories(bin);
    std::ofstream(scratch.path / "tc.txt") << kTcCaptured;
    std::ofstream(scratch.path / "rings.txt") << kEthtoolIoctl;
    std::ofstream(bin / "tc") << "#!/bin/sh\n[ \"$*\" = '-s qdisc show' ] || exit 9\ncat " << shell_quote((scratch.path / "tc.txt").string()) << "\n";
    std::ofstream(bin / "ethtool") << "#!/bin/sh\n[ \"$1\" = -g ] || exit 9\n"
                                      "case $2 in lo) echo 'netlink error: Operation not supported' >&2; exit 1;; esac\n"
                                      "cat " << shell_quote((scratch.path / "rings.txt").string()) << "\n";
    std::filesystem::permissions(bin / "tc", std::filesystem::perms::owner_all);
    std::filesystem::permissions(bin / "ethtool", std::filesystem::perms::owner_all);

    std::vector<std::string> nics;
    for (const auto& entry : std::filesystem::directory_iterator("/sys/class/net")) {
        if (std::filesystem::exists(entry.path() / "device")) nics.push_back(entry.path().filename().string());
    }
    std::vector<std::string> wanted = nics;
    wanted.push_back("not-a-nic");
    const std::string boundary = "==netdiag-0123==";
    const auto [status, out] = shell_output(fmt::format("PATH={}:\"$PATH\" /bin/sh -s", shell_quote(bin.string())),
                                            wrap_stdin_script(make_link_stats_script(boundary, true)));
    REQUIRE(status == 0);
    auto stats = parse_link_stats_output(out, boundary, "host", true, wanted);
    INFO(out);
    INFO(error_of(stats));
    REQUIRE(stats.ok());
    CHECK(stats->problems.empty());
    REQUIRE(stats->qdiscs.has_value());
    CHECK(stats->qdiscs->size() == 4);
    REQUIRE(stats->rings.has_value());
    CHECK(stats->rings->size() == nics.size());
    for (const auto& nic : nics) {
        REQUIRE(stats->rings->count(nic) == 1);
        CHECK(stats->rings->at(nic).rx_max == 4096);
    }

    // Without rings wanted, ethtool is not run at all.
    const auto [status2, out2] = shell_output(fmt::format("PATH={}:\"$PATH\" /bin/sh -s", shell_quote(bin.string())),
                                              wrap_stdin_script(make_link_stats_script(boundary, false)));
    REQUIRE(status2 == 0);
    CHECK(out2.find(boundary + " R ") == std::string::npos);
}

TEST_CASE("link statistics output: missing tools, drivers without rings, cut and forged frames", "[linkstats][remote]") {
    const std::string b = "==B==";
    const auto frame = [&](std::string_view head) { return "\n" + b + " " + std::string(head) + "\n"; };
    const std::string tc_ok = frame("T") + std::string(kTcCaptured) + frame("S 0");

    auto no_tools = parse_link_stats_output(frame("NT") + frame("NE") + frame("E"), b, "h", true, {"eth0"});
    REQUIRE(no_tools.ok());
    CHECK_FALSE(no_tools->qdiscs.has_value());
    CHECK_FALSE(no_tools->rings.has_value());
    REQUIRE(no_tools->problems.size() == 2);
    CHECK(no_tools->problems[0].subject == "qdiscs");
    CHECK(no_tools->problems[0].reason == "tc (iproute2) is not installed");
    CHECK(no_tools->problems[1].subject == "rings");
    CHECK(no_tools->problems[1].reason == "ethtool is not installed");

    auto mixed = parse_link_stats_output(
        tc_ok + frame("R eth0") + std::string(kEthtoolNetlink) + frame("S 0") + frame("R eth1") +
            "netlink error: Operation not supported" + frame("S 1") + frame("R eth2") + "Pre-set maximums:\nRX:\tmany" +
            frame("S 0") + frame("R eth3") + "netlink error: Permission denied" + frame("S 1") + frame("E"),
        b, "h", true, {"eth0", "eth1", "eth2", "eth3"});
    INFO(error_of(mixed));
    REQUIRE(mixed.ok());
    REQUIRE(mixed->qdiscs.has_value());
    CHECK(mixed->qdiscs->size() == 4);
    REQUIRE(mixed->rings.has_value());
    CHECK(mixed->rings->size() == 1);
    CHECK(mixed->rings->at("eth0").tx == 256);
    REQUIRE(mixed->problems.size() == 2);
    CHECK(mixed->problems[0].subject == "rings:eth2");
    CHECK(mixed->problems[0].unparsable);
    CHECK(mixed->problems[0].reason == "ethtool -g eth2:2: RX ring size \"many\" is not a number");
    CHECK(mixed->problems[1].subject == "rings:eth3");
    CHECK_FALSE(mixed->problems[1].unparsable);
    CHECK(mixed->problems[1].reason == "ethtool -g eth3: netlink error: Permission denied");

    auto tc_failed = parse_link_stats_output(frame("T") + frame("S 1") + frame("E"), b, "h", false, {});
    REQUIRE(tc_failed.ok());
    CHECK_FALSE(tc_failed->qdiscs.has_value());
    CHECK_FALSE(tc_failed->rings.has_value());
    REQUIRE(tc_failed->problems.size() == 1);
    CHECK(tc_failed->problems[0].reason == "tc -s qdisc show failed (exit status 1)");

    auto tc_garbled = parse_link_stats_output(frame("T") + "garbage\n" + frame("S 0") + frame("E"), b, "h", false, {});
    REQUIRE(tc_garbled.ok());
    REQUIRE(tc_garbled->problems.size() == 1);
    CHECK(tc_garbled->problems[0].unparsable);
    CHECK(tc_garbled->problems[0].reason == "tc -s qdisc show:1: expected a qdisc line, found \"garbage\"");

    CHECK(error_of(parse_link_stats_output("motd only\n", b, "h", false, {})) ==
          "h: the remote shell printed no netdiag frames (is /bin/sh there?)");
    CHECK(error_of(parse_link_stats_output(tc_ok, b, "h", false, {})) == "h: the link statistics output was cut short");
    CHECK(error_of(parse_link_stats_output(frame("T") + "qdisc", b, "h", false, {})) ==
          "h: the link statistics output was cut short");
    CHECK(error_of(parse_link_stats_output(frame("Z") + frame("E"), b, "h", false, {})) ==
          "h: unexpected frame \"Z\" in the link statistics output");
    const std::string all = tc_ok + frame("E");
    for (std::size_t cut = 0; cut < all.size(); cut += 5) (void)parse_link_stats_output(all.substr(0, cut), b, "h", true, {});
}

TEST_CASE("collect_link_stats fills qdiscs and the rings of NICs the snapshot lists", "[linkstats]") {
    Snapshot snapshot;
    InterfaceInfo eth0, veth;
    eth0.name = "eth0";
    eth0.is_virtual = false;
    veth.name = "veth1";
    snapshot.interfaces = {eth0, veth};

    MemoryTransport host;
    collect_link_stats(host, snapshot);  // a host that cannot be asked: nothing changes
    CHECK_FALSE(snapshot.qdiscs.has_value());
    CHECK(snapshot.unavailable.empty());
    REQUIRE(host.link_stats_requests.size() == 1);
    CHECK(host.link_stats_requests[0] == std::vector<std::string>{"eth0"});  // NICs only

    LinkStats stats;
    stats.qdiscs = *parse_tc_qdisc_stats(kTcCaptured, "tc");
    stats.rings = std::map<std::string, RingSizes>{{"eth0", RingSizes{512, 4096, 1024, 4096}}, {"veth1", RingSizes{1, 2, 3, 4}}};
    stats.problems.push_back({"rings:eth9", "ethtool -g eth9:2: bad", true});
    host.link_stats = Result<LinkStats>(stats);
    collect_link_stats(host, snapshot);
    REQUIRE(snapshot.qdiscs.has_value());
    CHECK(snapshot.qdiscs->size() == 4);
    REQUIRE(snapshot.interfaces[0].ring.has_value());
    CHECK(snapshot.interfaces[0].ring->rx == 512);
    CHECK(snapshot.interfaces[0].ring->tx_max == 4096);
    CHECK_FALSE(snapshot.interfaces[1].ring.has_value());
    CHECK(snapshot.unavailable.at("rings:eth9") == "ethtool -g eth9:2: bad");
    CHECK(snapshot.unparsable.at("rings:eth9") == "ethtool -g eth9:2: bad");

    Snapshot failed;
    host.link_stats = Result<LinkStats>(make_error("h: connection lost"));
    collect_link_stats(host, failed);
    CHECK_FALSE(failed.qdiscs.has_value());
    CHECK(failed.unavailable.at("qdiscs") == "h: connection lost");
    CHECK(failed.unavailable.at("rings") == "h: connection lost");
    CHECK(failed.unparsable.empty());
}

TEST_CASE("the rtnetlink link dump says what the interfaces' files say", "[linkstats]") {
    auto dumped = read_local_link_states();
    INFO(error_of(dumped));
    REQUIRE(dumped.ok());
    LocalTransport live("");
    auto files = live.read(sample_request(false, true));
    REQUIRE(files.ok());
    const auto from_files = build_snapshot("localhost", *files, 0);
    auto from_dump_reads = live.read(sample_request(false, false));
    REQUIRE(from_dump_reads.ok());
    const auto from_dump = build_snapshot("localhost", *from_dump_reads, 0, std::nullopt, &*dumped);
    REQUIRE(!from_files.interfaces.empty());
    REQUIRE(from_files.interfaces.size() == from_dump.interfaces.size());
    for (std::size_t i = 0; i < from_files.interfaces.size(); ++i) {
        const auto& file = from_files.interfaces[i];
        const auto& dump = from_dump.interfaces[i];
        INFO(file.name);
        CHECK(dump.name == file.name);
        CHECK(dump.flags == file.flags);
        CHECK(dump.mtu == file.mtu);
        CHECK(dump.operstate == file.operstate);
        CHECK(dump.carrier == file.carrier);
        CHECK(dump.carrier_changes == file.carrier_changes);
        CHECK(dump.rp_filter == file.rp_filter);
        CHECK(dump.rx_missed_errors == file.rx_missed_errors);
        CHECK(dump.rx_fifo_errors == file.rx_fifo_errors);
    }
    // conf/all and conf/default stay sysctls either way.
    CHECK(from_dump.sysctls.count("net.ipv4.conf.all.rp_filter") == from_files.sysctls.count("net.ipv4.conf.all.rp_filter"));
    CHECK(from_dump.sysctls == from_files.sysctls);

    // A link dump cut anywhere is an error or an incomplete dump, never a crash; a nameless link is refused.
    std::vector<LinkState> none;
    CHECK(error_of(add_link_dump_datagram(done_message(-EPERM), none, "dump")) ==
          "dump:1: the kernel refused the dump: Operation not permitted");
    std::string nameless(sizeof(nlmsghdr) + NLMSG_ALIGN(sizeof(ifinfomsg)), '\0');
    nlmsghdr header{};
    header.nlmsg_len = static_cast<std::uint32_t>(nameless.size());
    header.nlmsg_type = RTM_NEWLINK;
    std::memcpy(nameless.data(), &header, sizeof header);
    CHECK(error_of(add_link_dump_datagram(nameless, none, "dump")) == "dump:1: link 0 without a usable name");
}

TEST_CASE("a captured tree cannot be asked for link states", "[linkstats]") {
    test::Scratch scratch;
    LocalTransport tree(scratch.path.string());
    CHECK_FALSE(tree.read_link_states().has_value());
}

// The dump tests/fixtures/capture-rtnl-link.sh took in a namespace of its own; its .txt holds what
// sysfs and /proc/sys/net/ipv4/conf showed of the same interfaces.
TEST_CASE("a captured link dump says what sysfs said of the same interfaces", "[linkstats]") {
    const std::string path = std::string(NETDIAG_FIXTURES) + "/linux-6.18-firecracker-virtio-2cpu/netlink/rtnl_link";
    const std::string dump = test::slurp(path);
    // The datagrams back to back read as one: their messages follow each other, NLMSG_DONE last.
    std::vector<LinkState> links;
    const auto done = add_link_dump_datagram(dump, links, "rtnl_link");
    INFO(error_of(done));
    REQUIRE(done.ok());
    CHECK(*done);
    std::map<std::string, std::string> seen;
    for (const auto& link : links) {
        seen[link.name] = fmt::format(
            "flags={:#x} mtu={} operstate={} carrier={} carrier_changes={} statistics/rx_missed_errors={} "
            "statistics/rx_fifo_errors={} rp_filter={}",
            link.flags, link.mtu.value_or(-1), link.operstate.value_or("?"),
            link.carrier ? std::to_string(*link.carrier ? 1 : 0) : "(Invalid argument)",
            link.carrier_changes.value_or(0), link.rx_missed_errors.value_or(0), link.rx_fifo_errors.value_or(0),
            link.rp_filter.value_or(-1));
    }
    std::map<std::string, std::string> listed;
    const std::string text = test::slurp(path + ".txt");
    std::size_t line_start = text.find('\n') + 1;
    while (line_start < text.size()) {
        const auto line_end = text.find('\n', line_start);
        const auto line = text.substr(line_start, line_end - line_start);
        const auto space = line.find(' ');
        listed[line.substr(0, space)] = line.substr(space + 1);
        line_start = line_end + 1;
    }
    CHECK(seen.size() == 5);
    CHECK(seen == listed);
}
