// Walking a netlink dump: the framing both dumps netdiag reads share (sock_diag for TCP sockets,
// rtnetlink for qdiscs). Pure: bytes in, messages out; nothing here does I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace netdiag {

// Visits each message of one datagram with its type, payload and 1-based position, until the dump
// ends (NLMSG_DONE: returns true) or the datagram does (returns false: more datagrams follow). A
// kernel error, including a dump that failed part way (NLMSG_DONE carrying -errno), a truncated or
// oversized message, or a problem `visit` returns is an error "SOURCE:POSITION: what".
Result<bool> for_each_netlink_message(
    std::string_view datagram, std::string_view source,
    const std::function<std::optional<std::string>(std::uint16_t type, std::string_view payload)>& visit);

}  // namespace netdiag
