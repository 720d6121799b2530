// Writes into a captured tree stay inside it, whatever symlinks the copy holds; the live host's
// socket table comes from the kernel by sock_diag.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <utility>

#include "collect/parsers.hpp"
#include "remote/local_transport.hpp"
#include "test_files.hpp"

using namespace netdiag;

namespace {

std::filesystem::path fresh_directory(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / ("netdiag-test-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace

TEST_CASE("a write through a symlink out of the tree is refused") {
    const auto base = fresh_directory("escape");
    const auto outside = base / "outside";
    const auto tree = base / "tree";
    std::filesystem::create_directories(outside);
    std::filesystem::create_directories(tree / "proc/sys/net/core");
    std::filesystem::create_directory_symlink(outside, tree / "etc");
    std::ofstream(outside / "victim") << "precious\n";
    std::filesystem::create_symlink(outside / "victim", tree / "proc/sys/net/core/netdev_max_backlog");

    LocalTransport host(tree.string());
    const auto through_directory = host.write_file("/etc/sysctl.d/60-netdiag-softnet-backlog.conf", "x\n", FileAccess::shared);
    REQUIRE_FALSE(through_directory);
    CHECK(through_directory.error().message.find("not written") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(outside / "sysctl.d"));

    const auto through_file = host.write_file("/proc/sys/net/core/netdev_max_backlog", "2000\n", FileAccess::shared);
    CHECK_FALSE(through_file);
    // Inside the tree /etc leads nowhere (its absolute target is looked up in the tree): nothing to remove.
    CHECK(host.remove_file("/etc/victim"));
    std::ifstream victim(outside / "victim");
    std::string text;
    std::getline(victim, text);
    CHECK(text == "precious");

    std::filesystem::create_directories(tree / "var/lib");
    CHECK(host.write_file("/var/lib/netdiag/journal/j.json", "{}\n", FileAccess::owner_only));
    CHECK(std::filesystem::exists(tree / "var/lib/netdiag/journal/j.json"));
    std::filesystem::remove_all(base);
}

TEST_CASE("modes of what is written do not depend on the umask") {
    const auto tree = fresh_directory("umask");
    const mode_t old_umask = ::umask(0);
    LocalTransport host(tree.string());
    REQUIRE(host.write_file("/var/lib/netdiag/journal/j.json", "{}\n", FileAccess::owner_only));
    REQUIRE(host.write_file("/etc/sysctl.d/60-netdiag-ports.conf", "x\n", FileAccess::shared));
    ::umask(old_umask);
    const auto mode = [&](const char* path) {
        return static_cast<unsigned>(std::filesystem::status(tree / path).permissions());
    };
    CHECK(mode("var") == 0755);
    CHECK(mode("var/lib/netdiag") == 0755);
    CHECK(mode("var/lib/netdiag/journal") == 0700);
    CHECK(mode("var/lib/netdiag/journal/j.json") == 0600);
    CHECK(mode("etc/sysctl.d") == 0755);
    CHECK(mode("etc/sysctl.d/60-netdiag-ports.conf") == 0644);
    std::filesystem::remove_all(tree);
}

TEST_CASE("nothing planted at or beside a target is written through") {
    const auto base = fresh_directory("planted");
    const auto tree = base / "tree";
    std::filesystem::create_directories(tree / "etc/sysctl.d");
    std::ofstream(base / "victim") << "precious\n";
    // The old fixed temporary name, and a symlink at the target itself.
    std::filesystem::create_symlink(base / "victim", tree / "etc/sysctl.d/60-netdiag-ports.conf.netdiag-tmp");
    LocalTransport host(tree.string());
    REQUIRE(host.write_file("/etc/sysctl.d/60-netdiag-ports.conf", "new\n", FileAccess::shared));
    CHECK(test::slurp((tree / "etc/sysctl.d/60-netdiag-ports.conf").string()) == "new\n");
    std::filesystem::create_symlink(base / "victim", tree / "etc/sysctl.d/60-netdiag-conntrack.conf");
    const auto through_link = host.write_file("/etc/sysctl.d/60-netdiag-conntrack.conf", "new\n", FileAccess::shared);
    REQUIRE_FALSE(through_link);
    CHECK(through_link.error().message.find("symlink") != std::string::npos);
    CHECK_FALSE(host.remove_file("/etc/sysctl.d/60-netdiag-conntrack.conf"));
    CHECK(std::filesystem::is_symlink(tree / "etc/sysctl.d/60-netdiag-conntrack.conf"));
    std::filesystem::create_directories(tree / "etc/sysctl.d/60-netdiag-budget.conf");
    CHECK_FALSE(host.write_file("/etc/sysctl.d/60-netdiag-budget.conf", "new\n", FileAccess::shared));
    CHECK(test::slurp((base / "victim").string()) == "precious\n");
    // No temporary is left behind, whatever happened.
    for (const auto& entry : std::filesystem::directory_iterator(tree / "etc/sysctl.d")) {
        const auto name = entry.path().filename().string();
        CHECK((name.find(".netdiag-") == std::string::npos || name == "60-netdiag-ports.conf.netdiag-tmp"));
    }
    // A directory others may write into is not written into.
    std::filesystem::create_directories(tree / "etc/netdiag");
    std::filesystem::permissions(tree / "etc/netdiag", std::filesystem::perms(0777));
    const auto loose = host.write_file("/etc/netdiag/irq-affinity.sh", "#!/bin/sh\n", FileAccess::shared);
    REQUIRE_FALSE(loose);
    CHECK(loose.error().message.find("others could change") != std::string::npos);
    std::filesystem::remove_all(base);
}

TEST_CASE("reads in a tree stay in it and take regular files only") {
    const auto base = fresh_directory("reads");
    const auto tree = base / "tree";
    std::filesystem::create_directories(tree / "proc/net");
    std::filesystem::create_directories(tree / "sys/devices/eth0");
    std::filesystem::create_directories(tree / "sys/class/net");
    std::ofstream(base / "secret") << "SECRET-OUTSIDE\n";
    std::ofstream(tree / "sys/devices/eth0/speed") << "1000\n";
    std::filesystem::create_symlink(base / "secret", tree / "proc/net/snmp");
    std::filesystem::create_symlink("../../devices/eth0", tree / "sys/class/net/eth0");
    REQUIRE(::mkfifo((tree / "proc/net/dev").c_str(), 0600) == 0);
    std::filesystem::create_symlink("/dev/zero", tree / "proc/net/netstat");
    LocalTransport host(tree.string());
    ReadRequest request;
    request.files = {"/proc/net/snmp", "/proc/net/dev", "/proc/net/netstat", "/sys/class/net/*/speed"};
    auto reads = host.read(request);
    REQUIRE(reads);
    REQUIRE(reads->size() == 4);
    CHECK_FALSE((*reads)[0].content);  // its target is looked up inside the tree, where there is none
    CHECK((*reads)[0].error == "missing");
    CHECK_FALSE((*reads)[1].content);  // a FIFO: refused at once, never waited on
    CHECK((*reads)[1].error == "not a regular file");
    CHECK_FALSE((*reads)[2].content);
    CHECK((*reads)[3].path == "/sys/class/net/eth0/speed");  // symlinks inside the tree are followed
    CHECK((*reads)[3].content == "1000\n");
    std::filesystem::remove_all(base);
}

namespace {

// A TCP socket of the test's own on loopback, closed when the test ends.
struct TestSocket {
    int fd = -1;
    static TestSocket open(int family) { return TestSocket(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)); }
    static TestSocket accept_on(const TestSocket& listener) { return TestSocket(::accept(listener.fd, nullptr, nullptr)); }
    explicit TestSocket(int descriptor) : fd(descriptor) { REQUIRE(fd >= 0); }
    TestSocket(TestSocket&& other) noexcept : fd(std::exchange(other.fd, -1)) {}
    ~TestSocket() {
        if (fd >= 0) ::close(fd);
    }
    void close() { ::close(std::exchange(fd, -1)); }
};

sockaddr_in6 loopback6(std::uint16_t port) {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    address.sin6_port = htons(port);
    return address;
}

sockaddr_in loopback4(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    return address;
}

std::uint16_t port_of(const sockaddr_in& address) { return ntohs(address.sin_port); }
std::uint16_t port_of(const sockaddr_in6& address) { return ntohs(address.sin6_port); }

template <class Address>
std::uint16_t listen_on_any_port(const TestSocket& socket, Address address) {
    REQUIRE(::bind(socket.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(socket.fd, 8) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(socket.fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    return port_of(address);
}

template <class Address>
void connect_to(const TestSocket& socket, Address address) {
    REQUIRE(::connect(socket.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
}

}  // namespace

TEST_CASE("the live socket table by sock_diag counts what /proc/net/tcp and tcp6 list") {
    // Both families: a CLOSE_WAIT on an IPv4 listener, a TIME_WAIT towards an IPv6 one.
    auto listener4 = TestSocket::open(AF_INET), listener6 = TestSocket::open(AF_INET6);
    const auto port4 = listen_on_any_port(listener4, loopback4(0));
    const auto port6 = listen_on_any_port(listener6, loopback6(0));
    auto closing = TestSocket::open(AF_INET), leaving = TestSocket::open(AF_INET6);
    connect_to(closing, loopback4(port4));
    const auto stuck = TestSocket::accept_on(listener4);
    connect_to(leaving, loopback6(port6));
    auto accepted = TestSocket::accept_on(listener6);
    closing.close();  // stuck: CLOSE_WAIT on port4
    leaving.close();
    ::usleep(50 * 1000);
    accepted.close();  // leaving: TIME_WAIT towards port6
    ::usleep(100 * 1000);

    TcpSockets dumped;
    std::size_t datagrams = 0;
    LocalTransport host;
    const auto streamed = host.stream_tcp_sockets([&](std::string_view datagram) {
        ++datagrams;
        return add_sock_diag_datagram(datagram, dumped, "sock_diag");
    });
    REQUIRE(streamed);
    REQUIRE(streamed->ok());
    CHECK(datagrams >= 1);
    auto v4 = parse_proc_net_tcp(test::slurp("/proc/net/tcp"), "/proc/net/tcp");
    auto v6 = parse_proc_net_tcp(test::slurp("/proc/net/tcp6"), "/proc/net/tcp6");
    REQUIRE(v4.ok());
    REQUIRE(v6.ok());
    TcpSockets listed = *v4;
    merge_tcp(listed, *v6);
    // Other sockets on the host may come and go between the two reads; the test's own may not.
    for (const auto* sockets : {&dumped, &listed}) {
        CHECK(sockets->close_wait_by_local_port.count(port4) == 1);
        CHECK(sockets->close_wait_by_local_port.at(port4) == 1);
        CHECK(sockets->time_wait_by_remote_port.count(port6) == 1);
        CHECK(sockets->states.at("LISTEN") >= 2);
    }

    // A captured tree has no kernel to ask.
    const auto directory = fresh_directory("no-kernel");
    LocalTransport tree(directory.string());
    CHECK_FALSE(tree.stream_tcp_sockets([](std::string_view) -> Result<bool> { return true; }).has_value());
    std::filesystem::remove_all(directory);
}

TEST_CASE("wildcards in a read match as the shell's glob would") {
    const auto tree = fresh_directory("glob");
    for (const auto* name : {"eth1", "eth0", ".hidden", "lo"}) {
        std::filesystem::create_directories(tree / "sys/class/net" / name);
    }
    std::ofstream(tree / "sys/class/net/eth0/speed") << "1000\n";
    std::ofstream(tree / "sys/class/net/eth1/speed") << "10000\n";
    std::ofstream(tree / "sys/class/net/.hidden/speed") << "1\n";
    std::filesystem::create_directories(tree / "sys/class/net/eth0/queues/rx-0");
    std::filesystem::create_directories(tree / "sys/class/net/eth0/queues/tx-0");
    std::ofstream(tree / "sys/class/net/eth0/queues/rx-0/rps_cpus") << "0\n";
    std::ofstream(tree / "sys/class/net/bonding_masters") << "\n";  // a file among the interfaces

    LocalTransport host(tree.string());
    ReadRequest request;
    request.files = {"/sys/class/net/*/speed", "/sys/class/net/*/queues/rx-*/rps_cpus", "/sys/class/net/lo/speed",
                     "/nothing/*/here"};
    auto reads = host.read(request);
    REQUIRE(reads.ok());
    std::vector<std::string> paths;
    for (const auto& read : *reads) paths.push_back(read.path + (read.content ? "=" + *read.content : " " + read.error));
    // Sorted, no dot-directory, lo (no speed file) and bonding_masters (ENOTDIR) not matches, the
    // literal path's absence reported.
    CHECK(paths == std::vector<std::string>{"/sys/class/net/eth0/speed=1000\n", "/sys/class/net/eth1/speed=10000\n",
                                            "/sys/class/net/eth0/queues/rx-0/rps_cpus=0\n",
                                            "/sys/class/net/lo/speed missing"});
    std::filesystem::remove_all(tree);
}

TEST_CASE("a kernel file in a tree is checked before it is opened for writing") {
    const auto base = fresh_directory("hardlink");
    const auto tree = base / "tree";
    std::filesystem::create_directories(tree / "proc/sys/net/core");
    std::ofstream(base / "victim") << "1000\n";
    std::filesystem::create_hard_link(base / "victim", tree / "proc/sys/net/core/netdev_max_backlog");
    REQUIRE(::mkfifo((tree / "proc/sys/net/core/netdev_budget").c_str(), 0600) == 0);
    LocalTransport host(tree.string());
    const auto linked = host.write_file("/proc/sys/net/core/netdev_max_backlog", "2000\n", FileAccess::shared);
    REQUIRE_FALSE(linked);
    CHECK(linked.error().message.find("hard link") != std::string::npos);
    CHECK(test::slurp((base / "victim").string()) == "1000\n");  // not even truncated
    CHECK_FALSE(host.write_file("/proc/sys/net/core/netdev_budget", "600\n", FileAccess::shared));
    // A file over the size cap is refused, not read whole.
    std::filesystem::create_directories(tree / "proc/net");
    { std::ofstream(tree / "proc/net/snmp"); }
    std::filesystem::resize_file(tree / "proc/net/snmp", (std::uintmax_t{64} << 20) + 1);
    ReadRequest request;
    request.files = {"/proc/net/snmp"};
    auto reads = host.read(request);
    REQUIRE(reads);
    CHECK_FALSE(reads->at(0).content);
    CHECK(reads->at(0).error == "larger than 64 MiB; not read");
    std::filesystem::remove_all(base);
}

TEST_CASE("a sticky directory others may write to is written into: they cannot replace root's file there") {
    const auto tree = fresh_directory("sticky");
    std::filesystem::create_directories(tree / "etc/sysctl.d");
    std::filesystem::permissions(tree / "etc/sysctl.d", std::filesystem::perms(01777));
    LocalTransport host(tree.string());
    CHECK(host.write_file("/etc/sysctl.d/60-netdiag-ports.conf", "x\n", FileAccess::shared));
    std::filesystem::remove_all(tree);
}
