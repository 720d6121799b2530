// The only code that knows /proc and /sys paths: which files a sample needs, and how the text of
// those files becomes a Snapshot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collect/snapshot.hpp"
#include "remote/transport.hpp"

namespace netdiag {

// Everything one sample reads, as one request (one round trip on a remote host).
ReadRequest sample_request();

// Pure: the files of one sample in, a Snapshot out. Files that are missing or do not parse are
// listed in Snapshot::unavailable with the reason; the rest of the snapshot is still filled.
Snapshot build_snapshot(std::string host, const std::vector<FileRead>& reads, std::int64_t taken_at_unix_ms);

// Reads one sample through the transport.
Result<Snapshot> collect_sample(Transport& transport, const std::string& host);

}  // namespace netdiag
