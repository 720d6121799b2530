// connect_tcp: every address in turn, each within the timeout, as OpenSSH connects.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "remote/tcp_connect.hpp"

using namespace netdiag;

namespace {

// A listening socket on 127.0.0.1 and its port.
std::pair<int, int> listener() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t length = sizeof(address);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    return {fd, ntohs(address.sin_port)};
}

}  // namespace

TEST_CASE("connect_tcp: connects, or says which address failed and why", "[tcp]") {
    auto [server, port] = listener();
    TcpConnectOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.timeout = std::chrono::milliseconds(2000);
    auto connected = connect_tcp(options);
    REQUIRE(connected);
    CHECK((::fcntl(*connected, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(*connected, F_GETFL) & O_NONBLOCK) == 0);
    ::close(*connected);

    options.bind_address = "127.0.0.1";
    auto bound = connect_tcp(options);
    REQUIRE(bound);
    ::close(*bound);

    options.bind_address = "192.0.2.77";  // TEST-NET-1: not an address of this host
    auto unbindable = connect_tcp(options);
    REQUIRE_FALSE(unbindable);
    CHECK(unbindable.error().message.find("cannot bind to 192.0.2.77") != std::string::npos);
    options.bind_address.reset();

    ::close(server);
    auto refused = connect_tcp(options);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message == "127.0.0.1 port " + std::to_string(port) + ": connection refused");

    options.host = "nonexistent.invalid";
    auto unresolved = connect_tcp(options);
    REQUIRE_FALSE(unresolved);
    CHECK(unresolved.error().message.rfind("nonexistent.invalid: cannot resolve", 0) == 0);
}
