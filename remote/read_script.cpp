#include "remote/read_script.hpp"

// GCC 12 at -O3 (the quick start's release build) warns falsely that building a std::string from
// pieces may overlap (-Wrestrict, GCC bug 105329); which statement it picks moves with inlining.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "common/text.hpp"

namespace netdiag {
namespace {

// A pattern with wildcards must stay unquoted where it is expanded; only its fixed prefix may
// contain characters the shell would split on, and kernel paths have none. Patterns are built by
// the collector, never by users, so this only guards against breaking the script.
bool safe_for_glob(std::string_view pattern) {
    return pattern.find_first_of(" \t\n'\"\\$`;&|<>(){}") == std::string_view::npos;
}

// A one-value pattern "PREFIX*/REST" (an absolute PREFIX without wildcards) is read directory by
// directory: one frame per directory and a short line per file, since a Kubernetes node's thousand
// interfaces times ten files would otherwise cost a frame and a full path each.
struct DirectoryGroup {
    std::string prefix;              // "/sys/class/net/"
    std::vector<std::string> rests;  // "operstate", "queues/rx-*/rps_cpus", ...
};

std::optional<std::pair<std::string, std::string>> split_directory_pattern(std::string_view pattern) {
    const auto wildcard = pattern.find_first_of("*?[");
    if (wildcard == std::string_view::npos || wildcard == 0 || pattern.front() != '/' || !safe_for_glob(pattern)) {
        return std::nullopt;
    }
    if (pattern[wildcard] != '*' || pattern[wildcard - 1] != '/' || wildcard + 2 >= pattern.size() ||
        pattern[wildcard + 1] != '/') {
        return std::nullopt;
    }
    return std::pair{std::string(pattern.substr(0, wildcard)), std::string(pattern.substr(wildcard + 2))};
}

}  // namespace

bool read_needs_root(std::string_view path) {
    // netdiag's own state (journals, 0600 in a 0700 directory), and debugfs (0700 root), where the
    // kernel says which IRQs it manages: a login that writes through sudo reads them through sudo.
    return path.starts_with("/var/lib/netdiag/") || path.starts_with("/sys/kernel/debug/");
}

std::string shell_quote(std::string_view text) {
    std::string quoted = "'";
    for (const char c : text) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    return quoted + "'";
}

std::string make_tcp_summary_script(const std::vector<std::string>& tables) {
    // Hex stays hex (POSIX awk cannot read it): the kernel prints states as two digits and ports
    // and queues at fixed width, so equal numbers are equal strings and a longer queue is a larger
    // one. A line that is not a socket ends the summary with "E FILE:LINE: what".
    std::string script =
        "awk 'function bad(what) { print \"E \" FILENAME \":\" FNR \": \" what; failed = 1; exit }\n"
        "FNR == 1 { if ($1 != \"sl\") bad(\"missing the header\"); next }\n"
        "{ if (NF < 4 || $4 !~ /^[0-9A-Fa-f][0-9A-Fa-f]$/) bad(\"truncated socket line\")\n"
        "  n = split($2, l, \":\"); m = split($3, r, \":\")\n"
        "  if (n < 2 || m < 2 || l[n] !~ /^[0-9A-Fa-f]+$/ || r[m] !~ /^[0-9A-Fa-f]+$/) bad(\"bad address\")\n"
        "  p = l[n]; st = toupper($4); s[st]++\n"
        "  if (st == \"08\") c[p]++\n"
        "  else if (st == \"06\") t[r[m]]++\n"
        "  else if (st == \"03\" || st == \"0C\") h[p]++\n"
        "  else if (st == \"0A\") { q = $5; if (NF < 5 || sub(/^[0-9A-Fa-f]+:/, \"\", q) != 1 || q !~ /^[0-9A-Fa-f]+$/) bad(\"bad queue column\")\n"
        "    if (!(p in w) || length(q) > length(w[p]) || (length(q) == length(w[p]) && q > w[p])) w[p] = q } }\n"
        "END { if (failed) exit 0\n"
        "  for (k in s) print \"S\", k, s[k]; for (k in c) print \"C\", k, c[k]; for (k in t) print \"T\", k, t[k]\n"
        "  for (k in h) print \"R\", k, h[k]; for (k in w) print \"L\", k, w[k] }'";
    for (const auto& table : tables) script += " " + shell_quote(table);
    return script;
}

std::string make_read_script(const ReadRequest& request, std::string_view boundary) {
    // Frames: "\n<B> F <path>\n<content>\n<B> S <status>\n" for a file, "... L <path>\n<target>..." for a link,
    // "\n<B> M <path>\n" for a literal path that does not exist, "\n<B> D <dir>/\n<name> <status> <line>..."
    // for one-value files under many directories. Every frame starts with a newline so content need not
    // end in one; the parser strips exactly that newline.
    //
    // Hundreds of one-value files (/proc/irq, /sys) are read with the shell's own `read`:
    // a fork of cat for each would cost more than everything else. Tables and binary files use cat.
    std::string script = fmt::format("B={}\n", shell_quote(boundary));
    script +=
        "f() { if [ -e \"$1\" ]; then printf '\\n%s F %s\\n' \"$B\" \"$1\"; cat \"$1\" 2>/dev/null; "
        "printf '\\n%s S %s\\n' \"$B\" $?; elif [ \"$2\" = literal ]; then printf '\\n%s M %s\\n' \"$B\" \"$1\"; fi; }\n"
        "v() { if [ -e \"$1\" ]; then printf '\\n%s F %s\\n' \"$B\" \"$1\"; s=1; "
        "{ while IFS= read -r x || [ -n \"$x\" ]; do printf '%s\\n' \"$x\"; s=0; x=; done < \"$1\"; } 2>/dev/null; "
        "printf '\\n%s S %s\\n' \"$B\" $s; elif [ \"$2\" = literal ]; then printf '\\n%s M %s\\n' \"$B\" \"$1\"; fi; }\n"
        "l() { if [ -L \"$1\" ]; then printf '\\n%s L %s\\n' \"$B\" \"$1\"; readlink \"$1\"; "
        "printf '\\n%s S %s\\n' \"$B\" $?; elif [ \"$2\" = literal ]; then printf '\\n%s M %s\\n' \"$B\" \"$1\"; fi; }\n";
    const auto emit = [&](const std::vector<std::string>& patterns, const char* function) {
        for (const auto& pattern : patterns) {
            if (pattern.find_first_of("*?[") == std::string::npos) {
                script += fmt::format("{} {} literal\n", function, shell_quote(pattern));
            } else if (safe_for_glob(pattern)) {
                script += fmt::format("for p in {}; do {} \"$p\" glob; done\n", pattern, function);
            }
        }
    };
    std::vector<std::string> tables, values;
    std::vector<RingPath> rings;
    std::vector<std::string> ring_paths;
    std::vector<std::string> tcp_tables;
    for (const auto& pattern : request.files) {
        if (request.tcp_summary && (pattern == "/proc/net/tcp" || pattern == "/proc/net/tcp6")) {
            tcp_tables.push_back(pattern);
            continue;
        }
        if (is_ring_path(pattern)) {
            if (auto ring = parse_ring_path(pattern)) {
                ring_paths.push_back(ring_path(ring->interface, ring->ring));
                rings.push_back(std::move(*ring));
            }
            continue;
        }
        // Not /proc/sys: the shell's `read` takes one byte per read(2), and most sysctl handlers
        // answer a read at a non-zero offset with end of file, so "262144" would come back as "2".
        // rp_filter is the exception: one per interface (a thousand on a Kubernetes node, a fork of cat
        // each) and always a single digit, which that one-byte read returns whole.
        const bool one_digit_sysctl =
            pattern.rfind("/proc/sys/net/ipv4/conf/", 0) == 0 && std::string_view(pattern).ends_with("/rp_filter");
        const bool one_value =
            pattern.rfind("/sys/", 0) == 0 || pattern.rfind("/proc/irq/", 0) == 0 || one_digit_sysctl;
        (one_value ? values : tables).push_back(pattern);
    }
    emit(tables, "f");
    if (!tcp_tables.empty()) {
        // The tables that exist, summarised by awk; without awk (or without any table) the files.
        script += "set --; for t in";
        for (const auto& table : tcp_tables) script += " " + shell_quote(table);
        script += fmt::format("; do [ -e \"$t\" ] && set -- \"$@\" \"$t\"; done\n"
                              "if [ $# -gt 0 ] && command -v awk >/dev/null 2>&1; then printf '\\n%s F %s\\n' \"$B\" {}; "
                              "{} \"$@\" 2>/dev/null; printf '\\n%s S %s\\n' \"$B\" $?; else\n",
                              shell_quote(kTcpSummaryPath), make_tcp_summary_script({}));
        for (const auto& table : tcp_tables) script += fmt::format("  f {} literal\n", shell_quote(table));
        script += "fi\n";
    }
    std::vector<DirectoryGroup> groups;
    std::vector<std::string> single_values;
    for (const auto& pattern : values) {
        auto split = split_directory_pattern(pattern);
        if (!split) {
            single_values.push_back(pattern);
            continue;
        }
        auto group = std::find_if(groups.begin(), groups.end(),
                                  [&](const DirectoryGroup& g) { return g.prefix == split->first; });
        if (group == groups.end()) group = groups.insert(groups.end(), DirectoryGroup{split->first, {}});
        group->rests.push_back(std::move(split->second));
    }
    emit(single_values, "v");
    if (!groups.empty()) {
        // Per directory "\n<B> D <dir>/\n" and, for each file there, "<name> 0 <line>" for each of
        // its lines or "<name> 1" when nothing could be read. cd keeps the directory out of the globs.
        script +=
            "unset CDPATH\n"
            "w() { if [ -e \"$1\" ]; then s=1; { while IFS= read -r x || [ -n \"$x\" ]; do "
            "printf '%s 0 %s\\n' \"$1\" \"$x\"; s=0; x=; done < \"$1\"; } 2>/dev/null; "
            "[ $s = 0 ] || printf '%s 1\\n' \"$1\"; fi; }\n";
        for (const auto& group : groups) {
            script += fmt::format("for d in {}*/; do cd \"$d\" 2>/dev/null || continue; printf '\\n%s D %s\\n' \"$B\" \"$d\"\n",
                                  group.prefix);
            for (const auto& rest : group.rests) {
                if (rest.find_first_of("*?[") == std::string::npos) {
                    script += fmt::format("  w {}\n", shell_quote(rest));
                } else {
                    script += fmt::format("  for p in {}; do w \"$p\"; done\n", rest);
                }
            }
            script += "done; cd /\n";
        }
    }
    emit(request.links, "l");
    if (!rings.empty()) {
        // ethtool's messages in English ("No such device" tells a vanished interface), and where a
        // non-root login on Debian does not look for it.
        script +=
            "LC_ALL=C; export LC_ALL; PATH=\"$PATH:/usr/sbin:/sbin\"; export PATH\n"
            "g() { printf '\\n%s R %s\\n' \"$B\" \"$1\"; if command -v ethtool >/dev/null 2>&1; then "
            "ethtool -g \"$2\" 2>&1 </dev/null; else echo 'ethtool is not installed'; false; fi; "
            "printf '\\n%s S %s\\n' \"$B\" $?; }\n";
        for (std::size_t i = 0; i < rings.size(); ++i) {
            script += fmt::format("g {} {}\n", shell_quote(ring_paths[i]), shell_quote(rings[i].interface));
        }
    }
    script += "printf '\\n%s E\\n' \"$B\"\n";
    return script;
}

namespace {

// A ring path's frame: what `ethtool -g IF` printed (errors included) and its exit status.
FileRead ring_read(const std::string& path, std::string_view status, std::string_view content) {
    FileRead read{path, std::nullopt, {}, false};
    const auto ring = parse_ring_path(path);
    if (!ring) {
        read.error = "not a ring path netdiag reads";
        return read;
    }
    const auto source = fmt::format("ethtool -g {}", ring->interface);
    if (status == "0") {
        if (auto sizes = parse_ethtool_rings(content, source)) {
            read.content = fmt::format("{}\n", ring->ring == Ring::rx ? sizes->rx : sizes->tx);
        } else {
            read.error = sizes.error().message;
        }
        return read;
    }
    if (content.find("No such device") != std::string_view::npos) {
        read.error = "missing";  // the interface is gone
    } else if (content.find("Operation not supported") != std::string_view::npos) {
        read.error = fmt::format("{}: the driver reports no ring sizes", ring->interface);
    } else {
        std::string_view last;
        for (const auto line : lines_of(content)) {
            if (!trim(line).empty()) last = trim(line);
        }
        read.error = fmt::format("{}: {}", source,
                                 last.empty() ? fmt::format("exit status {}", printable(status))
                                              : printable(last.substr(0, 300)));
    }
    return read;
}

// The body of a "D <dir>/" frame: "<name> 0 <line>" per line of a file read, "<name> 1" for one that
// could not be read. A file's lines come together; each becomes "<line>\n" of its content.
std::optional<std::string> parse_directory_frame(const std::string& directory, std::string_view body,
                                                 std::string_view host, std::vector<FileRead>& reads) {
    const auto bad = [&](std::string_view why) {
        return fmt::format("{}: {} in the remote output for {}", host, why, printable(directory.substr(0, 200)));
    };
    if (directory.empty() || directory.front() != '/' || directory.back() != '/') return bad("a directory frame");
    std::string previous;
    for (const auto line : lines_of(body)) {
        const auto space = line.find(' ');
        if (space == 0 || space == std::string_view::npos || space + 1 >= line.size()) return bad("a bad line");
        const auto name = line.substr(0, space);
        const char status = line[space + 1];
        const bool has_value = space + 2 < line.size();
        if (name.front() == '/' || (status != '0' && status != '1') || (has_value && line[space + 2] != ' ') ||
            (status == '1' && has_value)) {
            return bad("a bad line");
        }
        std::string path = directory + std::string(name);
        const std::string value = std::string(line.substr(std::min(line.size(), space + 3))) + "\n";
        if (status == '0' && path == previous && !reads.empty() && reads.back().content) {
            *reads.back().content += value;
            continue;
        }
        FileRead read{path, std::nullopt, {}, false};
        if (status == '0') {
            read.content = value;
        } else {
            read.error = "unreadable";
        }
        previous = std::move(path);
        reads.push_back(std::move(read));
    }
    return std::nullopt;
}

}  // namespace

Result<std::vector<FileRead>> parse_read_script_output(std::string_view output, std::string_view boundary,
                                                       std::string_view host) {
    std::vector<FileRead> reads;
    const std::string marker = "\n" + std::string(boundary) + " ";
    std::size_t pos = output.find(marker);
    if (pos == std::string_view::npos) {
        return make_error(fmt::format("{}: the remote shell printed no netdiag frames (is /bin/sh there?)", host));
    }
    while (pos != std::string_view::npos) {
        const std::size_t kind_at = pos + marker.size();
        const std::size_t line_end = output.find('\n', kind_at);
        if (kind_at >= output.size()) break;
        const char kind = output[kind_at];
        if (kind == 'E') return reads;
        if (line_end == std::string_view::npos) break;
        const std::string path(output.substr(kind_at + 2, line_end - kind_at - 2));
        if (kind == 'M') {
            reads.push_back({path, std::nullopt, "missing", false});
            pos = output.find(marker, line_end);
            continue;
        }
        if (kind == 'D') {
            // A directory's files, a line each, up to the next frame.
            const std::size_t next = output.find(marker, line_end);
            if (next == std::string_view::npos) break;
            if (auto error = parse_directory_frame(path, output.substr(line_end + 1, next - line_end - 1), host, reads)) {
                return make_error(std::move(*error));
            }
            pos = next;
            continue;
        }
        if (kind != 'F' && kind != 'L' && kind != 'R') {
            return make_error(fmt::format("{}: unexpected frame \"{}\" in the remote output", host, kind));
        }
        // Content runs to the status frame that closes it.
        const std::string status_marker = marker + "S ";
        const std::size_t status_at = output.find(status_marker, line_end);
        if (status_at == std::string_view::npos) break;
        const std::size_t status_end = output.find('\n', status_at + status_marker.size());
        if (status_end == std::string_view::npos) break;
        const auto status = output.substr(status_at + status_marker.size(),
                                          status_end - status_at - status_marker.size());
        const auto content = output.substr(line_end + 1, status_at - line_end - 1);
        if (kind == 'R') {
            reads.push_back(ring_read(path, status, content));
            pos = output.find(marker, status_end);
            continue;
        }
        FileRead read{path, std::nullopt, {}, kind == 'L'};
        if (status == "0") {
            read.content = std::string(kind == 'L' && !content.empty() && content.back() == '\n'
                                           ? content.substr(0, content.size() - 1)
                                           : content);
        } else {
            read.error = "unreadable";  // EINVAL from a down link's speed, EACCES, ...
        }
        reads.push_back(std::move(read));
        pos = output.find(marker, status_end);
    }
    return make_error(fmt::format("{}: the remote output was cut short after {} file(s)", host, reads.size()));
}

std::string make_link_stats_script(std::string_view boundary, bool with_rings) {
    // Frames: "\n<B> T\n<tc output>\n<B> S <status>\n" or "\n<B> NT\n" (no tc); per interface
    // "\n<B> R <name>\n<ethtool output and errors>\n<B> S <status>\n"; "\n<B> NE\n" (no ethtool),
    // "\n<B> C\n" (interfaces past the cap not asked); "\n<B> E\n" ends.
    std::string script = fmt::format("B={}\n", shell_quote(boundary));
    script +=
        "LC_ALL=C; export LC_ALL; PATH=\"$PATH:/usr/sbin:/sbin\"; export PATH\n"
        "if command -v tc >/dev/null 2>&1; then printf '\\n%s T\\n' \"$B\"; tc -s qdisc show 2>/dev/null; "
        "printf '\\n%s S %s\\n' \"$B\" $?; else printf '\\n%s NT\\n' \"$B\"; fi\n";
    if (with_rings) {
        // A name is passed to ethtool only if it cannot be read as an option or split a frame.
        script +=
            "if command -v ethtool >/dev/null 2>&1; then c=0\n"
            "  for d in /sys/class/net/*; do [ -e \"$d/device\" ] || continue; n=${d##*/}\n"
            "    case $n in ''|-*|*[!A-Za-z0-9_.@+-]*) continue;; esac\n"
            "    c=$((c + 1)); if [ \"$c\" -gt 1024 ]; then printf '\\n%s C\\n' \"$B\"; break; fi\n"
            "    printf '\\n%s R %s\\n' \"$B\" \"$n\"; ethtool -g \"$n\" 2>&1; printf '\\n%s S %s\\n' \"$B\" $?\n"
            "  done\n"
            "else printf '\\n%s NE\\n' \"$B\"; fi\n";
    }
    script += "printf '\\n%s E\\n' \"$B\"\n";
    return script;
}

Result<LinkStats> parse_link_stats_output(std::string_view output, std::string_view boundary, std::string_view host,
                                          bool with_rings, const std::vector<std::string>& wanted) {
    LinkStats stats;
    const std::string marker = "\n" + std::string(boundary) + " ";
    const std::string status_marker = marker + "S ";
    std::map<std::string, RingSizes> rings;
    bool rings_unknown = false;
    const auto cut_short = [&] {
        return make_error(fmt::format("{}: the link statistics output was cut short", host));
    };
    std::size_t pos = output.find(marker);
    if (pos == std::string_view::npos) {
        return make_error(fmt::format("{}: the remote shell printed no netdiag frames (is /bin/sh there?)", host));
    }
    while (pos != std::string_view::npos) {
        const std::size_t kind_at = pos + marker.size();
        const std::size_t line_end = output.find('\n', kind_at);
        if (line_end == std::string_view::npos) return cut_short();
        const auto frame = output.substr(kind_at, line_end - kind_at);
        const auto kind = frame.substr(0, frame.find(' '));
        if (kind == "E") {
            if (with_rings && !rings_unknown) {
                auto& kept = stats.rings.emplace();
                for (const auto& name : wanted) {
                    if (const auto found = rings.find(name); found != rings.end()) kept[name] = found->second;
                }
            }
            return stats;
        }
        if (kind == "NT") {
            stats.problems.push_back({std::string(kQdiscsSubject), "tc (iproute2) is not installed"});
        } else if (kind == "NE") {
            rings_unknown = true;
            stats.problems.push_back({std::string(kRingsSubject), "ethtool is not installed"});
        } else if (kind == "C") {
            stats.problems.push_back({std::string(kRingsSubject), "more than 1024 interfaces; the rest were not asked"});
        } else if (kind == "T" || kind == "R") {
            // Content runs to the status frame that closes it.
            const std::size_t status_at = output.find(status_marker, line_end);
            if (status_at == std::string_view::npos) return cut_short();
            const std::size_t status_end = output.find('\n', status_at + status_marker.size());
            if (status_end == std::string_view::npos) return cut_short();
            const auto status = output.substr(status_at + status_marker.size(),
                                              status_end - status_at - status_marker.size());
            const auto content = output.substr(line_end + 1, status_at - line_end - 1);
            if (kind == "T") {
                if (status != "0") {
                    stats.problems.push_back({std::string(kQdiscsSubject),
                                              fmt::format("tc -s qdisc show failed (exit status {})", printable(status))});
                } else if (auto qdiscs = parse_tc_qdisc_stats(content, "tc -s qdisc show")) {
                    stats.qdiscs = std::move(*qdiscs);
                } else {
                    stats.problems.push_back({std::string(kQdiscsSubject), qdiscs.error().message, true});
                }
            } else {
                const std::string name(frame.size() > 2 ? frame.substr(2) : std::string_view());
                const auto source = fmt::format("ethtool -g {}", printable(name));
                if (status == "0") {
                    if (auto ring = parse_ethtool_rings(content, source)) {
                        rings[name] = *ring;
                    } else {
                        stats.problems.push_back({ring_subject(name), ring.error().message, true});
                    }
                } else if (content.find("Operation not supported") == std::string_view::npos &&
                           content.find("No such device") == std::string_view::npos) {
                    // The driver has no rings (the usual failure) is no problem; anything else is.
                    std::string_view last;
                    for (const auto line : lines_of(content)) {
                        if (!trim(line).empty()) last = trim(line);
                    }
                    stats.problems.push_back({ring_subject(name), fmt::format("{}: {}", source,
                                                  last.empty() ? fmt::format("exit status {}", printable(status))
                                                               : printable(last.substr(0, 300)))});
                }
            }
            pos = output.find(marker, status_end);
            continue;
        } else {
            return make_error(fmt::format("{}: unexpected frame \"{}\" in the link statistics output", host,
                                          printable(kind.substr(0, 20))));
        }
        pos = output.find(marker, line_end);
    }
    return cut_short();
}

std::string script_command(std::chrono::seconds timeout, bool sudo) {
    return fmt::format("timeout {} {}/bin/sh -s", std::max<long long>(1, timeout.count()), sudo ? "sudo -n " : "");
}

std::string wrap_stdin_script(std::string_view script) {
    // sh parses a braced group whole before running it, so with its stdin taken from /dev/null no
    // command inside can read the rest of the script as its input.
    return fmt::format("{{\n{}\n}} </dev/null\n", script);
}

std::string wrap_buffered_stdin_script(std::string_view script) {
    // printf and read write a few bytes at a time, and sshd sends each write as a packet of its own
    // (about 100 bytes of framing, MAC and TCP each): dd gathers them into 64 KiB writes. A host
    // without dd gets the plain output.
    return fmt::format("netdiag_sample() {{\n{}\n}}\nif command -v dd >/dev/null 2>&1; then "
                       "netdiag_sample </dev/null | dd ibs=8192 obs=65536 2>/dev/null; else netdiag_sample </dev/null; fi\n",
                       script);
}

std::string line_script_command(std::chrono::seconds timeout, bool sudo) {
    // Single quotes holding neither ' nor \ nor !: one word, read alike by every login shell.
    return fmt::format("timeout {} {}/bin/sh -c 'IFS= read -r s && eval \"$s\"'",
                       std::max<long long>(1, timeout.count()), sudo ? "sudo -n " : "");
}

std::string unusable_remote_path(std::string_view path) {
    if (path.empty() || path.front() != '/') return "not an absolute path";
    for (const char c : path) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "the path holds control characters";
    }
    return "";
}

namespace {

// What every one-line script starts with: private by default (the modes wanted are set
// explicitly); errno in English whatever the login's locale (a kernel-managed IRQ is told by
// "Input/output error"); failures worded for the error netdiag shows after "host: path: ".
constexpr std::string_view kLinePrelude = "umask 077; LC_ALL=C; export LC_ALL; fail() { printf '%s\\n' \"$*\" >&2; exit 1; }; ";

std::string parent_of(std::string_view path) {
    const auto slash = path.find_last_of('/');
    return slash == 0 || slash == std::string_view::npos ? "/" : std::string(path.substr(0, slash));
}

std::string octal(unsigned mode) { return fmt::format("0{:o}", mode); }

// Refusals shared by writes and removals: never through a symlink, never a directory.
std::string refuse_non_files(bool other_types) {
    std::string script =
        "if [ -L \"$p\" ]; then fail 'is a symbolic link; netdiag does not write through one (remove it first)'; fi; "
        "if [ -d \"$p\" ]; then fail 'is a directory; not replaced'; fi; ";
    if (other_types) script += "if [ -e \"$p\" ] && [ ! -f \"$p\" ]; then fail 'is not a regular file; not replaced'; fi; ";
    return script;
}

}  // namespace

std::string make_write_script(std::string_view path, FileAccess access) {
    const std::string directory = parent_of(path);
    std::string script = fmt::format("p={}; {}", shell_quote(path), kLinePrelude);
    // Each missing directory made with its mode whatever the umask (mkdir -m); only the file's own
    // directory is private for owner_only, the ones above it are traversable as usual.
    script += "mk() { [ -d \"$1\" ] || mkdir -m \"$2\" \"$1\" || [ -d \"$1\" ] || exit 1; }; ";
    for (std::size_t slash = path.find('/', 1); slash != std::string_view::npos && slash < path.size();
         slash = path.find('/', slash + 1)) {
        const std::string component(path.substr(0, slash));
        if (component.size() == 0 || component.back() == '/') continue;  // "//" in a path
        script += fmt::format("mk {} {}; ", shell_quote(component),
                              octal(component == directory ? directory_mode(access) : directory_mode(FileAccess::shared)));
    }
    script += refuse_non_files(true);
    // As locally: no file goes into a directory that anyone but root or this user owns, or that
    // group or others may write to; they would decide what stands at the name after the rename.
    // A sticky directory (/tmp's 1777) is fine: nobody else may rename or remove root's file there.
    script += fmt::format(
        "d={0}; o=$(stat -c %u \"$d\") && m=$(stat -c %a \"$d\") || exit 1; "
        "case $m in [1357][0-7][0-7][0-7]) ;; *[2367]? | *[2367]) echo \"$d: mode $m lets others write there; not written (chmod go-w it)\" >&2; "
        "exit 1;; esac; "
        "[ \"$o\" = 0 ] || [ \"$o\" = \"$(id -u)\" ] || {{ echo \"$d: owned by uid $o; not written\" >&2; exit 1; }}; ",
        shell_quote(directory));
    // mktemp creates its name exclusively (O_EXCL, no symlink followed): nothing planted beside the
    // target can be written through or take its place. mv -T never drops the file into a directory.
    script += fmt::format(
        "t=$(mktemp \"$p.netdiag-XXXXXX\") || exit 1; trap 'rm -f \"$t\"' EXIT; trap 'exit 1' HUP INT TERM PIPE; "
        "cat >\"$t\" || exit 1; chmod {} \"$t\" || exit 1; sync \"$t\" 2>/dev/null || sync; "
        "mv -f -T \"$t\" \"$p\" || exit 1; trap - EXIT; sync {} 2>/dev/null; exit 0",
        octal(file_mode(access)), shell_quote(directory));
    return script;
}

std::string make_kernel_write_script(std::string_view path, std::string_view content) {
    // printf's format carries the content on the script's one line: \ and % escaped, control bytes
    // as octal. Small values, so printf makes one write() and tee passes it on as one.
    std::string format;
    for (const char c : content) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\\') {
            format += "\\\\";
        } else if (c == '%') {
            format += "%%";
        } else if (byte < 0x20 || byte == 0x7f) {
            format += fmt::format("\\{:03o}", byte);
        } else {
            format += c;
        }
    }
    // Never through a symlink at the leaf, as the local O_NOFOLLOW write.
    return fmt::format("p={}; {}if [ -L \"$p\" ]; then fail 'is a symbolic link; not written through'; fi; "
                       "printf {} | tee \"$p\" >/dev/null",
                       shell_quote(path), kLinePrelude, shell_quote(format));
}

std::string make_ring_write_script(const RingPath& ring, std::uint32_t size) {
    return fmt::format(
        "n={}; {}PATH=\"$PATH:/usr/sbin:/sbin\"; export PATH; "
        "case $n in ''|-*|*[!A-Za-z0-9_.@+-]*) fail 'not an interface name netdiag passes to ethtool';; esac; "
        "[ ${{#n}} -le 15 ] || fail 'not an interface name netdiag passes to ethtool'; "
        "command -v ethtool >/dev/null 2>&1 || fail 'ethtool is not installed'; "
        "ethtool -G \"$n\" {} {} </dev/null >/dev/null; s=$?; [ \"$s\" = 80 ] && s=0; exit \"$s\"",
        shell_quote(ring.interface), kLinePrelude, ring_name(ring.ring), size);
}

std::string make_remove_script(std::string_view path) {
    return fmt::format("p={}; {}{}rm -f \"$p\" || exit 1; sync {} 2>/dev/null; exit 0", shell_quote(path),
                       kLinePrelude, refuse_non_files(false), shell_quote(parent_of(path)));
}

std::string make_remove_directory_script(std::string_view path) {
    // rmdir removes only an empty directory; one that holds anything is kept, and so not an error.
    return fmt::format("p={}; {}if [ -L \"$p\" ]; then fail 'is a symbolic link; not removed'; fi; "
                       "[ -e \"$p\" ] || exit 0; [ -d \"$p\" ] || fail 'is not a directory; not removed'; "
                       "rmdir \"$p\" 2>/dev/null || [ -n \"$(ls -A \"$p\" 2>/dev/null)\" ] || fail 'cannot be removed'; "
                       "sync {} 2>/dev/null; exit 0",
                       shell_quote(path), kLinePrelude, shell_quote(parent_of(path)));
}

std::string make_privilege_script() {
    // Tries the very command writes run; the outcome comes from exit statuses, never from
    // messages (sudo's are translated).
    return "u=$(id -u) || exit 1\n"
           "if [ \"$u\" = 0 ]; then echo \"$u root\"\n"
           "elif ! command -v sudo >/dev/null 2>&1; then echo \"$u nosudo\"\n"
           "elif sudo -n /bin/sh -c : </dev/null >/dev/null 2>&1; then echo \"$u sudo\"\n"
           "else echo \"$u denied\"; fi";
}

std::string make_inspect_script(const std::vector<std::string>& paths) {
    // "N" only when the path surely does not exist: some ancestor we may search lacks the next
    // component. Behind a directory we may not search, the answer is "U".
    std::string script =
        "m() { d=$1; while :; do d=${d%/*}; [ -n \"$d\" ] || d=/\n"
        "  if [ -d \"$d\" ]; then [ -x \"$d\" ]; return; fi\n"
        "  if [ -e \"$d\" ] || [ -L \"$d\" ] || [ \"$d\" = / ]; then return 0; fi; done; }\n"
        "s() { if [ -L \"$1\" ]; then t=l; elif [ -d \"$1\" ]; then t=d; elif [ -f \"$1\" ]; then t=f\n"
        "  elif [ -e \"$1\" ]; then t=o; elif m \"$1\"; then echo N; return; else echo U; return; fi\n"
        "  x=$(stat -c '%a %u' \"$1\" 2>/dev/null) && echo \"E $t $x\" || echo U; }\n";
    for (const auto& path : paths) script += "s " + shell_quote(path) + "\n";
    script += "echo END";
    return script;
}

Result<std::vector<FileStatus>> parse_inspect_output(std::string_view output, const std::vector<std::string>& paths,
                                                     unsigned long trusted_uid, std::string_view host) {
    std::vector<FileStatus> statuses;
    std::size_t at = 0;
    const auto next_line = [&]() -> std::optional<std::string_view> {
        const auto end = output.find('\n', at);
        if (end == std::string_view::npos) return std::nullopt;
        const auto line = output.substr(at, end - at);
        at = end + 1;
        return line;
    };
    for (const auto& path : paths) {
        const auto line = next_line();
        if (!line) return make_error(fmt::format("{}: the file status output was cut short at {}", host, path));
        FileStatus status;
        status.path = path;
        if (*line == "N") {
            statuses.push_back(std::move(status));
            continue;
        }
        if (*line == "U") return make_error(fmt::format("{}: {}: cannot be examined (permission denied)", host, path));
        // "E t mode uid"
        unsigned mode = 0;
        unsigned long uid = 0;
        const auto space = line->find(' ', 4);
        const bool shaped = line->size() > 6 && line->substr(0, 2) == "E " && (*line)[3] == ' ' &&
                            std::string_view("fdlo").find((*line)[2]) != std::string_view::npos &&
                            space != std::string_view::npos;
        if (shaped) {
            const auto mode_text = line->substr(4, space - 4);
            const auto uid_text = line->substr(space + 1);
            const auto m = std::from_chars(mode_text.data(), mode_text.data() + mode_text.size(), mode, 8);
            const auto u = std::from_chars(uid_text.data(), uid_text.data() + uid_text.size(), uid, 10);
            if (m.ec == std::errc{} && m.ptr == mode_text.data() + mode_text.size() && mode <= 07777 &&
                u.ec == std::errc{} && u.ptr == uid_text.data() + uid_text.size() && !uid_text.empty()) {
                status.exists = true;
                status.type = (*line)[2];
                status.mode = mode;
                status.trusted_owner = uid == 0 || uid == trusted_uid;
                statuses.push_back(std::move(status));
                continue;
            }
        }
        return make_error(fmt::format("{}: unexpected file status output for {}", host, path));
    }
    if (next_line() != std::string_view("END") || at != output.size()) {
        return make_error(fmt::format("{}: unexpected file status output after {} path(s)", host, paths.size()));
    }
    return statuses;
}

}  // namespace netdiag
