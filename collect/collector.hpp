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
// /proc/net/tcp and tcp6 only when the socket table is not dumped from the kernel instead.
ReadRequest sample_request(bool with_tcp_tables = true);

// Pure: the files of one sample in, a Snapshot out. Files that are missing or do not parse are
// listed in Snapshot::unavailable with the reason, and those that do not parse also in
// Snapshot::unparsable; the rest of the snapshot is still filled.
// `dumped_tcp`, the socket table as sock_diag gave it, stands in for /proc/net/tcp and tcp6.
Snapshot build_snapshot(std::string host, const std::vector<FileRead>& reads, std::int64_t taken_at_unix_ms,
                        std::optional<TcpSockets> dumped_tcp = std::nullopt);

// Reads one sample through the transport, the TCP socket table by sock_diag where it can.
Result<Snapshot> collect_sample(Transport& transport, const std::string& host);

}  // namespace netdiag
