#include "remote/tcp_connect.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "common/text.hpp"

namespace netdiag {
namespace {

constexpr int kMaxAddresses = 16;
constexpr std::chrono::milliseconds kCancelPoll{100};

// "connection refused", as OpenSSH words it after the address.
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
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoDeleter>;

bool is_cancelled(const TcpConnectOptions& options) {
    return options.cancelled != nullptr && options.cancelled->load();
}

// One getaddrinfo call, shared by the thread that makes it and the caller that may stop waiting.
struct Lookup {
    std::string name, service;
    addrinfo hints{};
    std::mutex mutex;
    std::condition_variable finished;
    bool done = false;
    int error = 0;
    int saved_errno = 0;
    addrinfo* found = nullptr;  // owned here until the caller takes it

    ~Lookup() {
        if (found != nullptr) ::freeaddrinfo(found);
    }
};

struct Resolved {
    AddrInfoList addresses;
    std::string failure;  // gai_strerror's words, or the timeout; empty when resolved
    bool cancelled = false;
};

// getaddrinfo cannot be interrupted, and a resolver that does not answer holds it for
// resolv.conf's timeout x attempts x servers. It runs on a thread of its own; the caller waits
// at most `timeout`, seeing Ctrl-C within kCancelPoll, and a late answer is freed by that thread.
Resolved resolve(const std::string& name, const std::string& service, const addrinfo& hints,
                 std::chrono::milliseconds timeout, const TcpConnectOptions& options) {
    // An address literal asks no resolver: answered here, without a thread (a fleet's
    // inventory is often addresses).
    addrinfo numeric = hints;
    numeric.ai_flags |= AI_NUMERICHOST;
    if (addrinfo* found = nullptr;
        ::getaddrinfo(name.c_str(), service.empty() ? nullptr : service.c_str(), &numeric, &found) == 0) {
        return Resolved{AddrInfoList(found), {}, false};
    }
    auto lookup = std::make_shared<Lookup>();
    lookup->name = name;
    lookup->service = service;
    lookup->hints = hints;
    try {
        std::thread([lookup] {
            addrinfo* found = nullptr;
            const int error = ::getaddrinfo(lookup->name.c_str(), lookup->service.empty() ? nullptr : lookup->service.c_str(),
                                            &lookup->hints, &found);
            const int saved_errno = errno;
            const std::lock_guard lock(lookup->mutex);
            lookup->error = error;
            lookup->saved_errno = saved_errno;
            lookup->found = found;
            lookup->done = true;
            lookup->finished.notify_all();
        }).detach();
    } catch (const std::system_error& error) {
        return Resolved{nullptr, fmt::format("cannot start a resolver thread: {}", error.what()), false};
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(lookup->mutex);
    while (!lookup->done) {
        if (is_cancelled(options)) return Resolved{nullptr, {}, true};
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            return Resolved{nullptr,
                            fmt::format("no answer from the resolver within {:g} s",
                                        static_cast<double>(timeout.count()) / 1000),
                            false};
        }
        lookup->finished.wait_for(lock, std::min<std::chrono::steady_clock::duration>(deadline - now, kCancelPoll));
    }
    if (lookup->error != 0) {
        return Resolved{nullptr,
                        lookup->error == EAI_SYSTEM ? lowercase_error(lookup->saved_errno) : ::gai_strerror(lookup->error),
                        false};
    }
    return Resolved{AddrInfoList(std::exchange(lookup->found, nullptr)), {}, false};
}

// A socket being connected: closed unless released to the caller.
class PendingSocket {
public:
    explicit PendingSocket(int fd) : fd_(fd) {}
    PendingSocket(const PendingSocket&) = delete;
    PendingSocket& operator=(const PendingSocket&) = delete;
    ~PendingSocket() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

// Binds `fd` to `local`, as OpenSSH does for BindAddress: resolved in the family of the address
// being tried (a name is allowed), so an IPv4 BindAddress rules out IPv6 addresses and no more.
std::optional<std::string> bind_local(int fd, const addrinfo& remote, const std::string& local,
                                      const TcpConnectOptions& options) {
    addrinfo hints{};
    hints.ai_family = remote.ai_family;
    hints.ai_socktype = remote.ai_socktype;
    hints.ai_protocol = remote.ai_protocol;
    hints.ai_flags = AI_PASSIVE;
    const auto resolved = resolve(local, "", hints, options.timeout, options);
    if (resolved.cancelled) return std::string("interrupted");
    if (!resolved.addresses) {
        return fmt::format("BindAddress {} has no {} address: {}", printable(local),
                           remote.ai_family == AF_INET6 ? "IPv6" : "IPv4", resolved.failure);
    }
    const addrinfo* found = resolved.addresses.get();
    if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
        return fmt::format("cannot bind to {}: {}", printable(local), lowercase_error(errno));
    }
    return std::nullopt;
}

// One address tried: a connected socket, why not, or that the wait was cancelled.
struct Attempt {
    int fd = -1;
    std::string failure;
    bool cancelled = false;

    static Attempt connected(int fd) { return {fd, {}, false}; }
    static Attempt failed(std::string why) { return {-1, std::move(why), false}; }
    static Attempt interrupted() { return {-1, {}, true}; }
};

Attempt connect_one(const addrinfo& address, const TcpConnectOptions& options) {
    PendingSocket socket(::socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                                  address.ai_protocol));
    if (socket.get() < 0) return Attempt::failed(lowercase_error(errno));
    if (options.bind_address) {
        if (auto why = bind_local(socket.get(), address, *options.bind_address, options)) {
            if (is_cancelled(options)) return Attempt::interrupted();
            return Attempt::failed(std::move(*why));
        }
    }
    if (::connect(socket.get(), address.ai_addr, address.ai_addrlen) != 0 && errno != EINPROGRESS) {
        return Attempt::failed(lowercase_error(errno));
    }
    // Waits in short slices so that Ctrl-C is seen within kCancelPoll.
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    while (true) {
        if (is_cancelled(options)) return Attempt::interrupted();
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            return Attempt::failed(
                fmt::format("timed out after {:g} s", static_cast<double>(options.timeout.count()) / 1000));
        }
        pollfd entry{socket.get(), POLLOUT, 0};
        const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(left, kCancelPoll.count())));
        if (ready < 0 && errno != EINTR) return Attempt::failed(lowercase_error(errno));
        if (ready > 0) break;  // writable or failed: SO_ERROR tells which
    }
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) return Attempt::failed(lowercase_error(error));
    // Blocking again, as callers (libssh, the HTTP client) expect a plain connected socket.
    if (const int flags = ::fcntl(socket.get(), F_GETFL);
        flags < 0 || ::fcntl(socket.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
        return Attempt::failed(lowercase_error(errno));
    }
    return Attempt::connected(socket.release());
}

}  // namespace

Result<int> connect_tcp(const TcpConnectOptions& options) {
    const std::string host = printable(options.host);
    if (is_cancelled(options)) return make_error(host + ": interrupted");
    // As OpenSSH resolves: every address of the family asked for, in getaddrinfo's order (no
    // AI_ADDRCONFIG, which would hide loopback addresses on a host with no other address).
    addrinfo hints{};
    hints.ai_family = options.family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    // Resolving gets the connect timeout too, so that a dead resolver costs no more than a dead host.
    const auto resolved = resolve(options.host, std::to_string(options.port), hints, options.timeout, options);
    if (resolved.cancelled) return make_error(host + ": interrupted");
    if (!resolved.addresses) return make_error(fmt::format("{}: cannot resolve: {}", host, resolved.failure));
    const addrinfo* found = resolved.addresses.get();
    std::string reasons;
    int tried = 0;
    for (const addrinfo* address = found; address != nullptr && tried < kMaxAddresses; address = address->ai_next) {
        if (address->ai_family != AF_INET && address->ai_family != AF_INET6) continue;
        ++tried;
        auto attempt = connect_one(*address, options);
        if (attempt.fd >= 0) return attempt.fd;
        if (attempt.cancelled) return make_error(host + ": interrupted");
        reasons += fmt::format("{}{} port {}: {}", reasons.empty() ? "" : "; ", address_text(address->ai_addr),
                               options.port, attempt.failure);
    }
    if (tried == 0) return make_error(fmt::format("{}: no IPv4 or IPv6 address", host));
    // An address literal names itself: "127.0.0.1 port 1: connection refused", said once.
    if (tried == 1 && starts_with(reasons, options.host + " port ")) return make_error(reasons);
    return make_error(fmt::format("{}: {}", host, reasons));
}

}  // namespace netdiag
