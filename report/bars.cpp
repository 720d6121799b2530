#include "report/bars.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "common/text.hpp"

namespace netdiag {

std::string bar(double fraction, const BarStyle& style) {
    if (!(fraction > 0)) return "";
    fraction = std::min(fraction, 1.0);
    if (!style.unicode) {
        const int cells = std::max(1, static_cast<int>(std::lround(fraction * style.width)));
        return std::string(static_cast<std::size_t>(cells), '#');
    }
    // Eighths of a cell: U+2588 full block down to U+258F one eighth.
    static constexpr const char* kEighths[] = {"", "\u258F", "\u258E", "\u258D", "\u258C", "\u258B", "\u258A", "\u2589"};
    const int eighths = std::max(1, static_cast<int>(std::lround(fraction * style.width * 8)));
    std::string out;
    for (int i = 0; i < eighths / 8; ++i) out += "\u2588";
    out += kEighths[eighths % 8];
    return out;
}

namespace {

// "CPU12" after "CPU2".
bool cpu_order(const std::string& a, const std::string& b) {
    const auto number = [](const std::string& name) {
        const auto digits = name.find_first_of("0123456789");
        const auto value = digits == std::string::npos ? std::nullopt : parse_u64(std::string_view(name).substr(digits));
        return value.value_or(UINT64_MAX);
    };
    return number(a) != number(b) ? number(a) < number(b) : a < b;
}

}  // namespace

std::size_t display_width(std::string_view text) {
    std::size_t width = 0;
    for (const char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;  // one per UTF-8 lead byte
    }
    return width;
}

std::string cpu_share_chart(const std::map<std::string, double>& shares,
                            const std::map<std::string, std::vector<std::string>>& irqs, const BarStyle& style,
                            std::string_view indent) {
    std::vector<std::string> cpus;
    for (const auto& [cpu, share] : shares) cpus.push_back(cpu);
    for (const auto& [cpu, list] : irqs) {
        if (!shares.count(cpu)) cpus.push_back(cpu);
    }
    std::sort(cpus.begin(), cpus.end(), cpu_order);
    std::size_t name_width = 0;
    for (const auto& cpu : cpus) name_width = std::max(name_width, cpu.size());
    std::string out;
    for (const auto& cpu : cpus) {
        const auto share = shares.find(cpu);
        const double value = share == shares.end() ? 0 : share->second;
        const auto drawn = bar(value, style);
        std::string line = fmt::format("{}{:<{}} {}{}{:>4.0f}%", indent, printable(cpu), name_width, drawn,
                                       std::string(static_cast<std::size_t>(style.width) + 1 - display_width(drawn), ' '),
                                       value * 100);
        if (const auto on = irqs.find(cpu); on != irqs.end() && !on->second.empty()) {
            line += "  IRQ";
            for (const auto& irq : on->second) line += " " + printable(irq);
        }
        out += line + "\n";
    }
    return out;
}

std::string before_after_chart(const std::map<std::string, int>& before, const std::map<std::string, int>& after,
                               const BarStyle& style, std::string_view indent) {
    std::vector<std::string> cpus;
    int most = 1;
    for (const auto* side : {&before, &after}) {
        for (const auto& [cpu, count] : *side) {
            if (std::find(cpus.begin(), cpus.end(), cpu) == cpus.end()) cpus.push_back(cpu);
            most = std::max(most, count);
        }
    }
    std::sort(cpus.begin(), cpus.end(), cpu_order);
    std::size_t name_width = 0;
    for (const auto& cpu : cpus) name_width = std::max(name_width, cpu.size());
    BarStyle half = style;
    half.width = std::max(4, style.width / 2);
    std::string out;
    for (const auto& cpu : cpus) {
        const auto count_of = [&](const std::map<std::string, int>& side) {
            const auto found = side.find(cpu);
            return found == side.end() ? 0 : found->second;
        };
        const int was = count_of(before), will = count_of(after);
        const auto old_bar = bar(static_cast<double>(was) / most, half);
        out += fmt::format("{}{:<{}} {}{}{:>3}  {}  {} {}\n", indent, printable(cpu), name_width, old_bar,
                           std::string(static_cast<std::size_t>(half.width) + 1 - display_width(old_bar), ' '), was,
                           style.unicode ? "\u2192" : "->", bar(static_cast<double>(will) / most, half), will);
    }
    return out;
}

std::map<std::string, double> parse_shares(std::string_view text) {
    std::map<std::string, double> shares;
    for (const auto item : split_ws(text)) {
        const auto equals = item.find('=');
        if (equals == std::string_view::npos) continue;
        if (const auto value = parse_double(item.substr(equals + 1)); value && *value >= 0 && *value <= 1) {
            shares[std::string(item.substr(0, equals))] = *value;
        }
    }
    return shares;
}

std::map<std::string, std::vector<std::string>> parse_irq_placement(std::string_view text) {
    std::map<std::string, std::vector<std::string>> on;
    for (const auto item : split(text, ',')) {
        const auto entry = trim(item);
        const auto arrow = entry.find("\u2192");
        if (arrow == std::string_view::npos) continue;
        const auto cpu = entry.substr(arrow + std::string_view("\u2192").size());
        if (!starts_with(cpu, "CPU")) continue;  // "mask 0f", "?": no single CPU to draw it on
        on[std::string(cpu)].emplace_back(entry.substr(0, arrow));
    }
    return on;
}

bool utf8_locale() {
    for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
        const char* value = std::getenv(name);
        if (value == nullptr || value[0] == '\0') continue;
        std::string text(value);
        std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
        return text.find("utf-8") != std::string::npos || text.find("utf8") != std::string::npos;
    }
    return false;
}

}  // namespace netdiag
