// The only code that knows /proc and /sys paths: which files a sample needs, and how the text of
// those files becomes a Snapshot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collect/snapshot.hpp"
#include "remote/transport.hpp"

namespace netdiag {

// Everything one sample reads, as one request (one round trip on a remote host); the TCP tables
// /proc/net/tcp and tcp6 only when the socket table is not dumped from the kernel instead, and the
// interfaces' flags, MTU, operstate, carrier, carrier changes and rp_filter only when no link dump
// (LinkState) answers them.
ReadRequest sample_request(bool with_tcp_tables = true, bool with_link_files = true);

// Pure: the files of one sample in, a Snapshot out. Files that are missing or do not parse are
// listed in Snapshot::unavailable with the reason, and those that do not parse also in
// Snapshot::unparsable; the rest of the snapshot is still filled.
// `dumped_tcp`, the socket table as sock_diag gave it, stands in for /proc/net/tcp and tcp6;
// `link_states`, an rtnetlink link dump, for the link-state files sample_request(_, false) omits.
Snapshot build_snapshot(std::string host, const std::vector<FileRead>& reads, std::int64_t taken_at_unix_ms,
                        std::optional<TcpSockets> dumped_tcp = std::nullopt,
                        const std::vector<LinkState>* link_states = nullptr);

// Reads one sample through the transport, the TCP socket table by sock_diag where it can.
Result<Snapshot> collect_sample(Transport& transport, const std::string& host);

}  // namespace netdiag
