// The readers of files `fix --plan` and `undo` load (a plan anyone may have edited, journals on
// the target host) and of what a Prometheus server answers, by name with the seed files under tests/fuzz/seeds/NAME/: shared by the
// libFuzzer target (fuzz_remediation.cpp) and the bounded mutation test in the unit suite.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "prometheus/http_client.hpp"
#include "prometheus/http_config.hpp"
#include "prometheus/query_api.hpp"
#include "remediation/apply.hpp"
#include "remediation/plan_json.hpp"

namespace netdiag::fuzz {

struct ReaderEntry {
    std::string_view name;  // also the seed directory: tests/fuzz/seeds/<name>/
    // Runs the reader on text from file "F"; returns the error message, or "" when it loaded.
    std::string (*run)(std::string_view text);
    // Its errors start with "F:". An answer from a server is named by the caller (the URL).
    bool names_file;
};

inline const std::vector<ReaderEntry>& reader_table() {
    static const std::vector<ReaderEntry> table = {
        {"journal",
         [](std::string_view t) {
             const auto journal = parse_journal(t, "F");
             return journal.ok() ? std::string() : journal.error().message;
         },
         true},
        {"plan",
         [](std::string_view t) {
             const auto plans = parse_plan_document(t, "F");
             return plans.ok() ? std::string() : plans.error().message;
         },
         true},
        // What a Prometheus server (or anything answering in its place) sends scan --prometheus.
        {"prometheus_answer",
         [](std::string_view t) {
             QueryLimits limits;
             limits.max_series = 1000;
             const auto series = parse_query_response(t, limits);
             return series.ok() ? std::string() : series.error().message;
         },
         false},
        {"http_response",
         [](std::string_view t) {
             const auto response = parse_http_response(std::string(t), 1 << 16);
             return response.ok() ? std::string() : response.error().message;
         },
         false},
        {"http_config",
         [](std::string_view t) {
             const auto access = parse_http_config(t, "F", [](const std::string&) -> Result<std::string> {
                 return std::string("secret");
             });
             return access.ok() ? std::string() : access.error().message;
         },
         true},
    };
    return table;
}

// JSON-shaped edits: what a hand-edited or hostile plan or journal holds.
inline const std::vector<std::string_view>& json_tokens() {
    static const std::vector<std::string_view> tokens = {
        "-1", "1e400", "18446744073709551616", "9223372036854775807", "-9223372036854775808", "0.5", "null",
        "true", "[]", "{}", "\"\"", "\"\\u0000\"", "\"\\u001b[8m\"", "\"\\n\"", "\"/proc/sys/../../etc/passwd\"",
        "\"/etc/sysctl.d/x\\n.conf\"", ",", ":", "\"", "{", "}", "[", "]", "\xff", "\"changes\":[]",
        "\"before\":null", "\"remove\":true", "\"state\":\"started\"",
    };
    return tokens;
}

}  // namespace netdiag::fuzz
