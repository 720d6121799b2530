#include "remote/read_script.hpp"

#include <fmt/format.h>

namespace netdiag {
namespace {

// A pattern with wildcards must stay unquoted where it is expanded; only its fixed prefix may
// contain characters the shell would split on, and kernel paths have none. Patterns are built by
// the collector, never by users, so this only guards against breaking the script.
bool safe_for_glob(std::string_view pattern) {
    return pattern.find_first_of(" \t\n'\"\\$`;&|<>(){}") == std::string_view::npos;
}

}  // namespace

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

std::string make_read_script(const ReadRequest& request, std::string_view boundary) {
    // Frames: "\n<B> F <path>\n<content>\n<B> S <status>\n" for a file, "... L <path>\n<target>..." for a link,
    // "\n<B> M <path>\n" for a literal path that does not exist. Every frame starts with a newline so content
    // need not end in one; the parser strips exactly that newline.
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
    for (const auto& pattern : request.files) {
        // Not /proc/sys: the shell's `read` takes one byte per read(2), and most sysctl handlers
        // answer a read at a non-zero offset with end of file, so "262144" would come back as "2".
        const bool one_value = pattern.rfind("/sys/", 0) == 0 || pattern.rfind("/proc/irq/", 0) == 0;
        (one_value ? values : tables).push_back(pattern);
    }
    emit(tables, "f");
    emit(values, "v");
    emit(request.links, "l");
    script += "printf '\\n%s E\\n' \"$B\"\n";
    return script;
}

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
        if (kind != 'F' && kind != 'L') {
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
        FileRead read{path, std::nullopt, {}, kind == 'L'};
        const auto content = output.substr(line_end + 1, status_at - line_end - 1);
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

}  // namespace netdiag
