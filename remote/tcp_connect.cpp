#include "remote/tcp_connect.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "common/text.hpp"

namespace netdiag {
namespace {

constexpr int kMaxAddresses = 16;

std::string lowercase_error(int error) {
    std::string text = std::strerror(error);
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

std::string address_text(const sockaddr* address) {
    char text[INET6_ADDRSTRLEN] = "?";
    if (address->sa_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof(text));
    } else if (address->sa_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof(text));
    }
    return text;
}

struct AddrInfoDeleter {
    void operator()(addrinfo* list) const { ::freeaddrinfo(list); }
};

// Binds `fd` to `local` (an address of the same family), as ssh_config's BindAddress.
std::optional<std::string> bind_local(int fd, int family, const std::string& local) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    addrinfo* found = nullptr;
    if (const int error = ::getaddrinfo(local.c_str(), nullptr, &hints, &found); error != 0) {
        return fmt::format("BindAddress {} is not an address of this family: {}", printable(local), ::gai_strerror(error));
    }
    std::unique_ptr<addrinfo, AddrInfoDeleter> guard(found);
    if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
        return fmt::format("cannot bind to {}: {}", printable(local), lowercase_error(errno));
    }
    return std::nullopt;
}

// One address: a connected socket, or why not.
Result<int> connect_one(const addrinfo& address, const TcpConnectOptions& options) {
    const int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, address.ai_protocol);
    if (fd < 0) return make_error(lowercase_error(errno));
    const auto fail = [fd](std::string why) {
        ::close(fd);
        return make_error(std::move(why));
    };
    if (options.bind_address) {
        if (auto error = bind_local(fd, address.ai_family, *options.bind_address)) return fail(*error);
    }
    if (::connect(fd, address.ai_addr, address.ai_addrlen) != 0 && errno != EINPROGRESS) {
        return fail(lowercase_error(errno));
    }
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    while (true) {
        if (options.cancelled && options.cancelled->load()) return fail("interrupted");
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            return fail(fmt::format("timed out after {:g} s", static_cast<double>(options.timeout.count()) / 1000));
        }
        pollfd entry{fd, POLLOUT, 0};
        const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(left, 100)));
        if (ready < 0 && errno != EINTR) return fail(lowercase_error(errno));
        if (ready > 0) break;
    }
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) return fail(lowercase_error(error));
    if (const int flags = ::fcntl(fd, F_GETFL); flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        return fail(lowercase_error(errno));
    }
    return fd;
}

}  // namespace

Result<int> connect_tcp(const TcpConnectOptions& options) {
    addrinfo hints{};
    hints.ai_family = options.family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* found = nullptr;
    const auto port = std::to_string(options.port);
    int error = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found);
    if (error == EAI_BADFLAGS || (error == EAI_NONAME && hints.ai_flags != 0)) {
        // AI_ADDRCONFIG leaves out loopback-only families on hosts without other addresses.
        hints.ai_flags = 0;
        error = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found);
    }
    if (error != 0) {
        return make_error(fmt::format("{}: cannot resolve: {}", printable(options.host),
                                      error == EAI_SYSTEM ? lowercase_error(errno) : std::string(::gai_strerror(error))));
    }
    std::unique_ptr<addrinfo, AddrInfoDeleter> guard(found);
    std::string reasons;
    int tried = 0;
    for (const addrinfo* address = found; address != nullptr && tried < kMaxAddresses; address = address->ai_next) {
        if (address->ai_family != AF_INET && address->ai_family != AF_INET6) continue;
        ++tried;
        auto fd = connect_one(*address, options);
        if (fd) return fd;
        if (fd.error().message == "interrupted") return make_error(fmt::format("{}: interrupted", printable(options.host)));
        reasons += fmt::format("{}{} port {}: {}", reasons.empty() ? "" : "; ", address_text(address->ai_addr),
                               options.port, fd.error().message);
    }
    if (tried == 0) return make_error(fmt::format("{}: no IPv4 or IPv6 address", printable(options.host)));
    // "127.0.0.1 port 1: ..." says the host already when it was given as an address.
    if (starts_with(reasons, options.host + " port ") && tried == 1) return make_error(reasons);
    return make_error(fmt::format("{}: {}", printable(options.host), reasons));
}

}  // namespace netdiag
