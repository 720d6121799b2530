// The Prometheus HTTP API's instant queries (/api/v1/query): the request, and the answer parsed
// into series without building a document tree, so a fleet-sized answer costs little more than
// the numbers in it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "prometheus/http_client.hpp"

namespace netdiag {

// One series of an instant vector. Labels are kept sorted by name.
struct Series {
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;

    const std::string* label(std::string_view name) const;
};

struct QueryLimits {
    std::size_t max_series = 4'000'000;
    std::size_t max_labels_per_series = 64;
    std::size_t max_label_bytes = 4096;
};

// Pure: a /api/v1/query answer. An API error ("status":"error") comes back as an Error carrying
// Prometheus' errorType and message; anything that is not an instant vector (or a scalar, taken
// as one unlabelled series) is an error too.
Result<std::vector<Series>> parse_query_response(std::string_view body, const QueryLimits& limits = {});

struct PrometheusClient {
    HttpClientConfig http;
    QueryLimits limits;

    // PromQL evaluated at `at_unix_seconds`. Errors name the query's first 200 characters.
    Result<std::vector<Series>> query(const std::string& promql, double at_unix_seconds) const;
};

}  // namespace netdiag
