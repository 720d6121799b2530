#include "collect/parsers_netlink.hpp"

#include <algorithm>
#include <cstring>

#include <linux/netlink.h>

#include <fmt/format.h>

namespace netdiag {

Result<bool> for_each_netlink_message(
    std::string_view datagram, std::string_view source,
    const std::function<std::optional<std::string>(std::uint16_t type, std::string_view payload)>& visit) {
    auto at = [&](std::size_t index, std::string_view what) {
        return make_error(fmt::format("{}:{}: {}", source, index, what));
    };
    // Headers are copied out before use: a datagram's bytes carry no alignment promise.
    std::size_t index = 0;
    while (!datagram.empty()) {
        ++index;
        nlmsghdr header{};
        if (datagram.size() < sizeof header) return at(index, "truncated netlink header");
        std::memcpy(&header, datagram.data(), sizeof header);
        if (header.nlmsg_len < sizeof header || header.nlmsg_len > datagram.size()) {
            return at(index, fmt::format("netlink message length {} out of bounds", header.nlmsg_len));
        }
        const auto payload = datagram.substr(sizeof header, header.nlmsg_len - sizeof header);
        // A dump that fails part way still ends in NLMSG_DONE, carrying the -errno (e.g. -ENOENT
        // when tcp_diag cannot be loaded): that is no complete, empty answer.
        if (header.nlmsg_type == NLMSG_DONE || header.nlmsg_type == NLMSG_ERROR) {
            std::int32_t error = 0;
            if (header.nlmsg_type == NLMSG_ERROR && payload.size() < sizeof(nlmsgerr)) {
                return at(index, "truncated netlink error");
            }
            if (payload.size() >= sizeof error) std::memcpy(&error, payload.data(), sizeof error);
            if (error == 0 && header.nlmsg_type == NLMSG_DONE) return true;
            const auto code = -static_cast<std::int64_t>(error);
            const auto reason = code > 0 && code < 4096 ? std::string(std::strerror(static_cast<int>(code)))
                                                        : fmt::format("error {}", error);
            return at(index, fmt::format("the kernel refused the dump: {}", reason));
        }
        if (auto problem = visit(header.nlmsg_type, payload)) return at(index, *problem);
        datagram.remove_prefix(std::min<std::size_t>(NLMSG_ALIGN(header.nlmsg_len), datagram.size()));
    }
    return false;
}

}  // namespace netdiag
