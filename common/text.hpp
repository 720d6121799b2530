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

// ASCII letters in lower case, other bytes as they are (keywords of ssh_config, HTTP headers).
std::string ascii_lowercase(std::string_view text);

// Text from a host or a file made safe to print on a terminal: control characters (C0, DEL and
// C1), bytes that are not UTF-8 and the backslash itself become \xNN (\\ for the backslash), so a
// name can neither move the cursor, hide lines nor pass for another name. Printable UTF-8 is kept.
std::string printable(std::string_view text);

// True when `text` holds a NUL, a C0 control character or DEL: refused in paths and names read
// from files and hosts before they can steer a write.
bool has_control_characters(std::string_view text);

}  // namespace netdiag
