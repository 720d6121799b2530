// Small pictures for the table: a bar per CPU or interface, in Unicode block characters or, where
// the terminal is not UTF-8, in ASCII. Pure functions of numbers to text.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace netdiag {

struct BarStyle {
    bool unicode = true;
    int width = 24;  // characters for a full bar
};

// A bar of `fraction` (0..1) of the full width: "████▌" or "####" (never empty above 0).
std::string bar(double fraction, const BarStyle& style);

// One line per CPU: "CPU0 ████████████████████▌   97%  IRQ 27 28", CPUs in numeric order.
// `shares` are 0..1; `irqs` names the IRQs on each CPU (may be empty).
std::string cpu_share_chart(const std::map<std::string, double>& shares,
                            const std::map<std::string, std::vector<std::string>>& irqs, const BarStyle& style,
                            std::string_view indent);

// Two columns per CPU: "CPU0 ████ 4  →  █ 1", for counts before and after a change.
std::string before_after_chart(const std::map<std::string, int>& before, const std::map<std::string, int>& after,
                               const BarStyle& style, std::string_view indent);

// Pure: "CPU0=0.970 CPU1=0.010" back to shares; "27→CPU1, 28→mask 0f" to CPU -> IRQs.
std::map<std::string, double> parse_shares(std::string_view text);
std::map<std::string, std::vector<std::string>> parse_irq_placement(std::string_view text);

// Columns `text` takes on a terminal: one per UTF-8 character (the bars' blocks are one column).
std::size_t display_width(std::string_view text);

// Whether the environment's locale is UTF-8 (LC_ALL, else LC_CTYPE, else LANG), as terminals go.
bool utf8_locale();

}  // namespace netdiag
