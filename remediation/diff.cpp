#include "remediation/diff.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "common/text.hpp"

namespace netdiag {
namespace {

constexpr std::size_t kContext = 3;
// Files netdiag changes are a few lines; past this the diff simply replaces the whole file.
constexpr std::size_t kMaxTableCells = 1 << 22;

// A content line as printable() shows it, but with its tabs: the kernel separates values with them
// ("32768\t60999"), and a tab can neither hide nor forge a line, which ESC, CR and the rest can.
std::string printable_line(std::string_view line) {
    std::string out;
    for (std::size_t start = 0;;) {
        const auto tab = line.find('\t', start);
        out += printable(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
        if (tab == std::string_view::npos) return out;
        out += '\t';
        start = tab + 1;
    }
}

// A last line without its newline carries diff's marker, so it differs from the same text with
// one and prints as diff prints it. Lines are printable: a host's file or a plan cannot send the
// terminal escapes, or a carriage return, that hide or forge a line of the diff (a backslash
// prints as "\\", so the marker's own backslash stays distinct).
std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find('\n', start);
        if (end == std::string::npos) {
            lines.push_back(printable_line(std::string_view(text).substr(start)) + "\n\\ No newline at end of file");
            break;
        }
        lines.push_back(printable_line(std::string_view(text).substr(start, end - start)));
        start = end + 1;
    }
    return lines;
}

enum class Op { keep, remove, add };
struct Edit {
    Op op;
    std::size_t old_index, new_index;  // position in each file before this edit
};

// The edit script from a longest common subsequence: small inputs, so the plain table will do.
std::vector<Edit> edit_script(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    std::vector<Edit> edits;
    if (a.size() * b.size() > kMaxTableCells) {
        for (std::size_t i = 0; i < a.size(); ++i) edits.push_back({Op::remove, i, 0});
        for (std::size_t j = 0; j < b.size(); ++j) edits.push_back({Op::add, a.size(), j});
        return edits;
    }
    std::vector<std::vector<std::uint32_t>> common(a.size() + 1, std::vector<std::uint32_t>(b.size() + 1, 0));
    for (std::size_t i = a.size(); i-- > 0;) {
        for (std::size_t j = b.size(); j-- > 0;) {
            common[i][j] = a[i] == b[j] ? common[i + 1][j + 1] + 1 : std::max(common[i + 1][j], common[i][j + 1]);
        }
    }
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        if (i < a.size() && j < b.size() && a[i] == b[j]) {
            edits.push_back({Op::keep, i++, j++});
        } else if (j < b.size() && (i == a.size() || common[i][j + 1] >= common[i + 1][j])) {
            // Removals before additions at the same point, as diff prints them.
            if (i < a.size() && common[i + 1][j] == common[i][j + 1]) {
                edits.push_back({Op::remove, i++, j});
            } else {
                edits.push_back({Op::add, i, j++});
            }
        } else {
            edits.push_back({Op::remove, i++, j});
        }
    }
    return edits;
}

std::string range(std::size_t start, std::size_t count) {
    // diff -u: "start,count", "start" alone for one line, and the line before for an empty range.
    if (count == 1) return fmt::format("{}", start + 1);
    return fmt::format("{},{}", count == 0 ? start : start + 1, count);
}

// "a/etc/x.conf": printable, so a path holding a newline or ESC (a plan is a file anyone may have
// edited) stays on its own header line and shows what it is.
std::string label(const std::string& path, char side) {
    const auto first = path.find_first_not_of('/');
    const auto relative = std::string_view(path).substr(first == std::string::npos ? path.size() : first);
    return fmt::format("{}/{}", side, printable(relative));
}

}  // namespace

std::string unified_diff(const std::string& path, const std::optional<std::string>& before, const std::string& after,
                         bool removed) {
    if (before && !removed && *before == after) return "";
    if (!before && removed) return "";
    const auto old_lines = before ? split_lines(*before) : std::vector<std::string>{};
    const auto new_lines = removed ? std::vector<std::string>{} : split_lines(after);
    std::string out = fmt::format("--- {}\n+++ {}\n", before ? label(path, 'a') : "/dev/null",
                                  removed ? "/dev/null" : label(path, 'b'));
    const auto edits = edit_script(old_lines, new_lines);
    std::size_t e = 0;
    while (e < edits.size()) {
        if (edits[e].op == Op::keep) {
            ++e;
            continue;
        }
        // A hunk: from kContext lines before this change to kContext lines after the last change
        // that is at most 2 * kContext unchanged lines from the next.
        const std::size_t first = e >= kContext ? e - kContext : 0;
        std::size_t last = e;
        for (std::size_t k = e; k < edits.size(); ++k) {
            if (edits[k].op != Op::keep) last = k;
            else if (k - last > 2 * kContext) break;
        }
        const std::size_t end = std::min(edits.size(), last + kContext + 1);
        std::size_t old_count = 0, new_count = 0;
        for (std::size_t k = first; k < end; ++k) {
            if (edits[k].op != Op::add) ++old_count;
            if (edits[k].op != Op::remove) ++new_count;
        }
        out += fmt::format("@@ -{} +{} @@\n", range(edits[first].old_index, old_count),
                           range(edits[first].new_index, new_count));
        for (std::size_t k = first; k < end; ++k) {
            const auto& edit = edits[k];
            out += edit.op == Op::keep ? ' ' : edit.op == Op::remove ? '-' : '+';
            out += edit.op == Op::add ? new_lines[edit.new_index] : old_lines[edit.old_index];
            out += '\n';
        }
        e = end;
    }
    return out;
}

std::string render_plan_diff(const HostPlan& plan) {
    // Every name and message here may come from a host or a plan file: printed through printable().
    if (plan.changes.empty()) {
        std::string out = fmt::format("# host: {}: nothing to fix\n", printable(plan.host));
        for (const auto& note : plan.notes) out += fmt::format("# note: {}\n", printable(note));
        return out;
    }
    std::string out = fmt::format("# host: {}\n", printable(plan.host));
    for (const auto& change : plan.changes) {
        out += fmt::format("# {}: {}\n", printable(change.fix), printable(change.reason));
        out += unified_diff(change.path, change.before, change.after, change.remove);
    }
    for (const auto& note : plan.notes) out += fmt::format("# note: {}\n", printable(note));
    return out;
}

}  // namespace netdiag
