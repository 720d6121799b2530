#include "collect/linkstats.hpp"

#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include <fmt/format.h>

namespace netdiag {
namespace {

constexpr std::string_view kDumpSource = "rtnetlink qdisc dump";

class Socket {
public:
    explicit Socket(int fd) : fd_(fd) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_;
};

std::string errno_text(std::string_view what) { return fmt::format("{}: {}", what, std::strerror(errno)); }

// ifindex -> name, from one RTM_GETLINK dump made by the C library.
Result<std::map<int, std::string>> interface_names() {
    const std::unique_ptr<struct if_nameindex, void (*)(struct if_nameindex*)> list(::if_nameindex(), ::if_freenameindex);
    if (!list) return make_error(errno_text("if_nameindex"));
    std::map<int, std::string> names;
    for (const auto* entry = list.get(); entry->if_index != 0 && entry->if_name != nullptr; ++entry) {
        names[static_cast<int>(entry->if_index)] = entry->if_name;
    }
    return names;
}

// Sends one rtnetlink dump request and hands each answering datagram to `consume` until it says
// the dump is complete. A dump always ends, but a stalled one must not hold a sample: bounded in
// time here, and in size by the parsers' limits.
template <class Request>
Status rtnetlink_dump(const Request& request, std::string_view source,
                      const std::function<Result<bool>(std::string_view datagram)>& consume) {
    const Socket socket(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!socket) return make_error(errno_text(fmt::format("{}: socket", source)));
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(socket.get(), &request, sizeof request, 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) < 0) {
        return make_error(errno_text(source));
    }
    const timeval receive_timeout{2, 0};
    ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVTIMEO, &receive_timeout, sizeof receive_timeout);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    // Dump datagrams are at most 32 KiB (netlink's max_recvmsg_len cap); twice that for one message
    // whose attributes alone pass it.
    std::vector<char> buffer(64 * 1024);
    while (std::chrono::steady_clock::now() < deadline) {
        iovec vector{buffer.data(), buffer.size()};
        msghdr message{};
        message.msg_iov = &vector;
        message.msg_iovlen = 1;
        const ssize_t n = ::recvmsg(socket.get(), &message, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(errno_text(source));
        if ((message.msg_flags & MSG_TRUNC) != 0) return make_error(fmt::format("{}: datagram truncated", source));
        auto done = consume(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        if (!done) return done.error();
        if (*done) return Ok{};
    }
    return make_error(fmt::format("{}: the dump did not finish in 10 s", source));
}

// A dump request of `type` for every object of that kind; the body's family field left AF_UNSPEC (0).
template <class Body>
struct DumpRequest {
    nlmsghdr header;
    Body body;
};

template <class Body>
DumpRequest<Body> dump_request(std::uint16_t type) {
    DumpRequest<Body> request{};
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = type;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    return request;
}

Result<std::vector<QdiscStats>> dump_qdiscs() {
    // Names first: a qdisc of an interface created after this read is skipped until the next sample.
    auto names = interface_names();
    if (!names) return names.error();
    const auto request = dump_request<tcmsg>(RTM_GETQDISC);  // tcm_family AF_UNSPEC: every interface
    std::vector<QdiscStats> qdiscs;
    auto status = rtnetlink_dump(request, kDumpSource, [&](std::string_view datagram) {
        return add_qdisc_dump_datagram(datagram, *names, qdiscs, kDumpSource);
    });
    if (!status) return status.error();
    return qdiscs;
}

// ETHTOOL_GRINGPARAM needs no privilege; any socket reaches dev_ioctl. AF_INET as ethtool does,
// AF_NETLINK where IPv4 is compiled out.
int ioctl_socket() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) return fd;
    return ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_GENERIC);
}

void read_rings(const std::vector<std::string>& interfaces, LinkStats& stats) {
    const Socket socket(ioctl_socket());
    if (!socket) {
        stats.problems.push_back({std::string(kRingsSubject), errno_text("ethtool socket")});
        return;
    }
    auto& rings = stats.rings.emplace();
    for (const auto& name : interfaces) {
        ifreq request{};
        if (name.empty() || name.size() >= sizeof request.ifr_name) {
            stats.problems.push_back({ring_subject(name), "not an interface name"});
            continue;
        }
        std::memcpy(request.ifr_name, name.data(), name.size());
        ethtool_ringparam ring{};
        ring.cmd = ETHTOOL_GRINGPARAM;
        request.ifr_data = reinterpret_cast<char*>(&ring);
        if (::ioctl(socket.get(), SIOCETHTOOL, &request) != 0) {
            // No rings (veth, lo, bridges) or no interface (gone since it was listed): nothing to say.
            if (errno == EOPNOTSUPP || errno == ENODEV) continue;
            stats.problems.push_back({ring_subject(name), errno_text(fmt::format("ETHTOOL_GRINGPARAM {}", name))});
            continue;
        }
        rings[name] = RingSizes{ring.rx_pending, ring.rx_max_pending, ring.tx_pending, ring.tx_max_pending};
    }
}

// ETHTOOL_GRINGPARAM / ETHTOOL_SRINGPARAM on one interface; errno is left for the caller.
bool ring_ioctl(int socket, const std::string& name, ethtool_ringparam& ring) {
    ifreq request{};
    std::memcpy(request.ifr_name, name.data(), std::min(name.size(), sizeof request.ifr_name - 1));
    request.ifr_data = reinterpret_cast<char*>(&ring);
    return ::ioctl(socket, SIOCETHTOOL, &request) == 0;
}

}  // namespace

Result<std::vector<LinkState>> read_local_link_states() {
    constexpr std::string_view source = "rtnetlink link dump";
    const auto request = dump_request<ifinfomsg>(RTM_GETLINK);  // ifi_family AF_UNSPEC: every interface
    std::vector<LinkState> links;
    auto status = rtnetlink_dump(request, source, [&](std::string_view datagram) {
        return add_link_dump_datagram(datagram, links, source);
    });
    if (!status) return status.error();
    return links;
}

Result<std::optional<RingSizes>> read_local_ring(const std::string& interface) {
    if (!valid_interface_name(interface)) return make_error(fmt::format("\"{}\" is not an interface name", interface));
    const Socket socket(ioctl_socket());
    if (!socket) return make_error(errno_text("ethtool socket"));
    ethtool_ringparam ring{};
    ring.cmd = ETHTOOL_GRINGPARAM;
    if (!ring_ioctl(socket.get(), interface, ring)) {
        if (errno == ENODEV) return std::optional<RingSizes>();
        if (errno == EOPNOTSUPP) return make_error(fmt::format("{}: the driver reports no ring sizes", interface));
        return make_error(errno_text(fmt::format("ETHTOOL_GRINGPARAM {}", interface)));
    }
    return std::optional<RingSizes>(RingSizes{ring.rx_pending, ring.rx_max_pending, ring.tx_pending, ring.tx_max_pending});
}

Status write_local_ring(const std::string& interface, Ring which, std::uint32_t size) {
    if (!valid_interface_name(interface)) return make_error(fmt::format("\"{}\" is not an interface name", interface));
    if (size == 0 || size > kMaxRingSize) return make_error(fmt::format("{}: {} is not a ring size netdiag sets", interface, size));
    const Socket socket(ioctl_socket());
    if (!socket) return make_error(errno_text("ethtool socket"));
    // Read first: SRINGPARAM takes all four rings at once, and the others must stay as they are.
    ethtool_ringparam ring{};
    ring.cmd = ETHTOOL_GRINGPARAM;
    if (!ring_ioctl(socket.get(), interface, ring)) {
        if (errno == EOPNOTSUPP) return make_error(fmt::format("{}: the driver reports no ring sizes", interface));
        return make_error(errno_text(fmt::format("ETHTOOL_GRINGPARAM {}", interface)));
    }
    auto& pending = which == Ring::rx ? ring.rx_pending : ring.tx_pending;
    const auto maximum = which == Ring::rx ? ring.rx_max_pending : ring.tx_max_pending;
    if (pending == size) return Ok{};
    if (size > maximum) {
        return make_error(fmt::format("{}: {} ring of {} is above the driver's maximum {}; not set", interface,
                                      ring_name(which), size, maximum));
    }
    pending = size;
    ring.cmd = ETHTOOL_SRINGPARAM;
    if (!ring_ioctl(socket.get(), interface, ring)) {
        return make_error(errno_text(fmt::format("ETHTOOL_SRINGPARAM {} {} {}", interface, ring_name(which), size)));
    }
    return Ok{};
}

LinkStats read_local_link_stats(const std::vector<std::string>& interfaces) {
    LinkStats stats;
    auto qdiscs = dump_qdiscs();
    if (qdiscs) {
        stats.qdiscs = std::move(*qdiscs);
    } else {
        stats.problems.push_back({std::string(kQdiscsSubject), qdiscs.error().message});
    }
    read_rings(interfaces, stats);
    return stats;
}

void collect_link_stats(Transport& transport, Snapshot& snapshot) {
    std::vector<std::string> nics;
    for (const auto& info : snapshot.interfaces) {
        if (!info.is_virtual) nics.push_back(info.name);
    }
    auto answer = transport.read_link_stats(nics);
    if (!answer) return;
    if (!answer->ok()) {
        snapshot.unavailable[std::string(kQdiscsSubject)] = answer->error().message;
        snapshot.unavailable[std::string(kRingsSubject)] = answer->error().message;
        return;
    }
    auto& stats = answer->value();
    if (stats.qdiscs) snapshot.qdiscs = std::move(stats.qdiscs);
    if (stats.rings) {
        for (auto& info : snapshot.interfaces) {
            if (info.is_virtual) continue;
            if (const auto found = stats.rings->find(info.name); found != stats.rings->end()) info.ring = found->second;
        }
    }
    for (const auto& problem : stats.problems) {
        snapshot.unavailable[problem.subject] = problem.reason;
        if (problem.unparsable) snapshot.unparsable[problem.subject] = problem.reason;
    }
}

}  // namespace netdiag
