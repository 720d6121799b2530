// Small text helpers shared by the parsers and the report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netdiag {

std::string_view trim(std::string_view text);
// Splits on runs of spaces and tabs; no empty fields.
std::vector<std::string_view> split_ws(std::string_view line);
std::vector<std::string_view> split(std::string_view text, char separator);
// Lines without their '\n'; a final line without '\n' is kept.
std::vector<std::string_view> lines_of(std::string_view text);

std::optional<std::uint64_t> parse_u64(std::string_view text, int base = 10);
std::optional<std::int64_t> parse_i64(std::string_view text);
std::optional<double> parse_double(std::string_view text);

bool starts_with(std::string_view text, std::string_view prefix);
// Shell-style wildcard match ('*' and '?') used for interface patterns.
bool wildcard_match(std::string_view pattern, std::string_view text);

}  // namespace netdiag
