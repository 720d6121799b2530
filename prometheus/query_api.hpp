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

// One series of an instant vector. Its labels, sorted by name, are packed in one string (each
// name and value after its 2-byte length): a fleet's answer is ~10^5 series, and a vector of
// string pairs cost five allocations and ~400 bytes a series against one and ~150.
struct Series {
    Series() = default;
    Series(std::vector<std::pair<std::string, std::string>> labels, double sample);

    std::string packed_labels;
    double value = 0;

    // The label's value (a view into this series), or nothing.
    std::optional<std::string_view> label(std::string_view name) const;
    std::vector<std::pair<std::string_view, std::string_view>> labels() const;
};

struct QueryLimits {
    std::size_t max_series = 4'000'000;
    std::size_t max_labels_per_series = 64;
    std::size_t max_label_bytes = 4096;  // at most 65535: a packed label's length is 2 bytes
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
