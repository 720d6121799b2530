// Snapshots as JSON: the netdiag.collect/v1 document that `collect` prints and `scan --from` reads.
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "collect/snapshot.hpp"
#include "common/result.hpp"

namespace netdiag {

inline constexpr std::string_view kCollectSchema = "netdiag.collect/v1";

nlohmann::json snapshot_to_json(const Snapshot& snapshot);
nlohmann::json collect_document(const std::vector<Snapshot>& samples);

// Reads a netdiag.collect/v1 document; errors name the file and what is wrong.
Result<std::vector<Snapshot>> parse_collect_document(std::string_view text, std::string_view file);

}  // namespace netdiag
