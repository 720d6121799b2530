// Connecting a TCP socket the way OpenSSH does: every address a name resolves to, in turn, each
// within the connect timeout, so that one dead address (an IPv6 route that swallows SYNs) does not
// cost the host. Used for SSH sessions (handed to libssh) and the Prometheus HTTP API.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "common/result.hpp"

namespace netdiag {

struct TcpConnectOptions {
    std::string host;                          // name or address literal ("::1"; "[::1]" is not taken)
    int port = 0;
    std::chrono::milliseconds timeout{10000};  // per address, as OpenSSH's ConnectTimeout
    std::optional<std::string> bind_address;   // ssh_config BindAddress: a local address to bind first
    int family = AF_UNSPEC;                    // AF_INET / AF_INET6 for AddressFamily inet / inet6
    const std::atomic<bool>* cancelled = nullptr;  // polled at least every 100 ms (Ctrl-C)
};

// Resolves the name within `timeout` (a resolver that does not answer is given up on, and Ctrl-C
// is seen, although getaddrinfo itself cannot be interrupted), then
// tries each address getaddrinfo gives (at most 16), in its order, each for up to `timeout`;
// returns a connected, blocking, close-on-exec socket, or an error naming the host and each
// address tried with its reason ("db1: 10.0.0.5 port 22: timed out after 10 s; 127.0.0.1 port 22:
// connection refused"; "HOST: interrupted" once `cancelled` is set). The caller owns the socket.
Result<int> connect_tcp(const TcpConnectOptions& options);

}  // namespace netdiag
