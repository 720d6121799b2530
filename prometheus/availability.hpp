// What node_exporter can tell about each check: the series a check needs from an instance, and for
// the checks its default collectors cannot answer, what would provide the data. Shared by
// `netdiag rules` (which writes no rule for those) and `netdiag scan --prometheus` (which says
// "not available from Prometheus" for them, per instance).
#pragma once

#include <span>
#include <string_view>

namespace netdiag {

struct PrometheusCoverage {
    std::string_view check;
    // Series an instance must have for the check to be answered (all of them); empty: never
    // answerable from node_exporter.
    std::span<const std::string_view> series;
    // For a check node_exporter's defaults do not answer: what would ("" when they do).
    std::string_view needs;
};

// Sorted by check id; every check of the catalogue is here.
std::span<const PrometheusCoverage> prometheus_coverage();
const PrometheusCoverage* find_prometheus_coverage(std::string_view check);

}  // namespace netdiag
