// connect_tcp: every address in turn, each within the timeout, as OpenSSH connects.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "remote/tcp_connect.hpp"

using namespace netdiag;

namespace {

// A listening socket on 127.0.0.1 (any port) and its port; closed at the end of the test.
struct Listener {
    int fd = -1;
    int port = 0;
    explicit Listener(int backlog) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
        REQUIRE(::listen(fd, backlog) == 0);
        socklen_t length = sizeof(address);
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
        port = ntohs(address.sin_port);
    }
    ~Listener() { close(); }
    void close() {
        if (fd >= 0) ::close(std::exchange(fd, -1));
    }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
};

// A connected socket through plain connect(2), to fill a listener's accept queue.
int connect_directly(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    return fd;
}

TcpConnectOptions loopback(int port) {
    TcpConnectOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.timeout = std::chrono::milliseconds(2000);
    return options;
}

// How many descriptors the process holds: none may stay behind a failed attempt.
std::size_t open_descriptors() {
    std::size_t count = 0;
    for (int fd = 0; fd < 4096; ++fd) count += ::fcntl(fd, F_GETFD) >= 0 ? 1 : 0;
    return count;
}

}  // namespace

TEST_CASE("connect_tcp connects to a listening socket: blocking and close-on-exec", "[tcp]") {
    Listener server(4);
    auto connected = connect_tcp(loopback(server.port));
    REQUIRE(connected);
    CHECK((::fcntl(*connected, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(*connected, F_GETFL) & O_NONBLOCK) == 0);
    ::close(*connected);

    auto options = loopback(server.port);
    options.host = "localhost";  // a name; IPv4 only, as AddressFamily inet
    options.family = AF_INET;
    auto by_name = connect_tcp(options);
    REQUIRE(by_name);
    ::close(*by_name);
}

TEST_CASE("connect_tcp binds to BindAddress first", "[tcp]") {
    Listener server(4);
    auto options = loopback(server.port);
    options.bind_address = "127.0.0.2";  // all of 127/8 is local
    auto bound = connect_tcp(options);
    REQUIRE(bound);
    sockaddr_in local{};
    socklen_t length = sizeof(local);
    REQUIRE(::getsockname(*bound, reinterpret_cast<sockaddr*>(&local), &length) == 0);
    CHECK(ntohl(local.sin_addr.s_addr) == 0x7f000002);
    ::close(*bound);

    const auto before = open_descriptors();
    options.bind_address = "192.0.2.77";  // TEST-NET-1: not an address of this host
    auto unbindable = connect_tcp(options);
    REQUIRE_FALSE(unbindable);
    CHECK(unbindable.error().message == "127.0.0.1 port " + std::to_string(server.port) +
                                            ": cannot bind to 192.0.2.77: cannot assign requested address");
    options.bind_address = "::1";  // no IPv4 address to bind an IPv4 socket to
    auto wrong_family = connect_tcp(options);
    REQUIRE_FALSE(wrong_family);
    CHECK(wrong_family.error().message.find("BindAddress ::1 has no IPv4 address") != std::string::npos);
    CHECK(open_descriptors() == before);
}

TEST_CASE("connect_tcp names each address it tried and why it failed", "[tcp]") {
    int port = 0;
    {
        Listener closed(4);
        port = closed.port;
    }
    const auto before = open_descriptors();
    auto refused = connect_tcp(loopback(port));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message == "127.0.0.1 port " + std::to_string(port) + ": connection refused");

    auto options = loopback(port);
    options.host = "nonexistent.invalid";
    auto unresolved = connect_tcp(options);
    REQUIRE_FALSE(unresolved);
    CHECK(unresolved.error().message.rfind("nonexistent.invalid: cannot resolve: ", 0) == 0);

    options.host = "127.0.0.1";
    options.family = AF_INET6;  // AddressFamily inet6 with an IPv4 literal
    auto wrong_family = connect_tcp(options);
    REQUIRE_FALSE(wrong_family);
    CHECK(wrong_family.error().message.rfind("127.0.0.1: cannot resolve: ", 0) == 0);
    CHECK(open_descriptors() == before);
}

TEST_CASE("connect_tcp gives up on an address that does not answer after the timeout", "[tcp]") {
    // Backlog 0 with one connection waiting to be accepted: Linux drops further SYNs unanswered,
    // as a firewall that drops does.
    Listener server(0);
    const int waiting = connect_directly(server.port);
    const auto before = open_descriptors();
    auto options = loopback(server.port);
    options.timeout = std::chrono::milliseconds(300);
    const auto started = std::chrono::steady_clock::now();
    auto silent = connect_tcp(options);
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(silent);
    CHECK(silent.error().message == "127.0.0.1 port " + std::to_string(server.port) + ": timed out after 0.3 s");
    CHECK(took >= std::chrono::milliseconds(300));
    CHECK(took < std::chrono::milliseconds(2000));
    CHECK(open_descriptors() == before);

    SECTION("and stops waiting within 100 ms of being cancelled") {
        std::atomic<bool> cancelled{false};
        options.timeout = std::chrono::milliseconds(10000);
        options.cancelled = &cancelled;
        std::thread interrupt([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            cancelled = true;
        });
        const auto waited_from = std::chrono::steady_clock::now();
        auto interrupted = connect_tcp(options);
        const auto waited = std::chrono::steady_clock::now() - waited_from;
        interrupt.join();
        REQUIRE_FALSE(interrupted);
        CHECK(interrupted.error().message == "127.0.0.1: interrupted");
        CHECK(waited < std::chrono::milliseconds(1000));
        CHECK(open_descriptors() == before);
    }
    ::close(waiting);
}
