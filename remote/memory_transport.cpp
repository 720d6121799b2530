#include "remote/memory_transport.hpp"

#include "common/text.hpp"

namespace netdiag {

namespace {

// Like glob(3): a wildcard matches within one path component.
bool path_matches(std::string_view pattern, std::string_view path) {
    const auto pattern_parts = split(pattern, '/');
    const auto path_parts = split(path, '/');
    if (pattern_parts.size() != path_parts.size()) return false;
    for (std::size_t i = 0; i < pattern_parts.size(); ++i) {
        if (!wildcard_match(pattern_parts[i], path_parts[i])) return false;
    }
    return true;
}

void expand(const std::map<std::string, std::string>& entries, const std::vector<std::string>& patterns,
            bool is_link, std::vector<FileRead>& reads) {
    for (const auto& pattern : patterns) {
        if (pattern.find_first_of("*?") == std::string::npos) {
            const auto found = entries.find(pattern);
            if (found == entries.end()) {
                reads.push_back({pattern, std::nullopt, "missing", is_link});
            } else {
                reads.push_back({pattern, found->second, {}, is_link});
            }
            continue;
        }
        for (const auto& [path, content] : entries) {
            if (path_matches(pattern, path)) reads.push_back({path, content, {}, is_link});
        }
    }
}

}  // namespace

std::optional<Status> MemoryTransport::stream_tcp_sockets(
    const std::function<Result<bool>(std::string_view datagram)>& consume) {
    if (!tcp_dump && !tcp_dump_error) return std::nullopt;
    for (const auto& datagram : tcp_dump.value_or(std::vector<std::string>{})) {
        auto done = consume(datagram);
        if (!done) return done.error();
        if (*done) return Ok{};
    }
    return make_error(tcp_dump_error.value_or("sock_diag: the dump ended without NLMSG_DONE"));
}

std::optional<Result<LinkStats>> MemoryTransport::read_link_stats(const std::vector<std::string>& interfaces) {
    link_stats_requests.push_back(interfaces);
    return link_stats;
}

Result<std::vector<FileRead>> MemoryTransport::read(const ReadRequest& request) {
    ++read_round_trips;
    requested.insert(requested.end(), request.files.begin(), request.files.end());
    std::vector<FileRead> reads;
    expand(files, request.files, false, reads);
    expand(links, request.links, true, reads);
    return reads;
}

Status MemoryTransport::write_file(const std::string& path, const std::string& content, FileAccess how) {
    if (const auto error = write_errors.find(path); error != write_errors.end()) return make_error(error->second);
    // As the real transports: a ring takes a well-formed path and one size, nothing else.
    if (is_ring_path(path) && (!parse_ring_path(path) || !parse_ring_size(content))) {
        return make_error(path + ": not a ring path and size; not written");
    }
    const auto kept = ignored_writes.find(path);
    files[path] = kept != ignored_writes.end() ? kept->second : content;
    writes.push_back(path);
    access[path] = how;
    return Ok{};
}

Status MemoryTransport::remove_file(const std::string& path) {
    if (is_kernel_path(path)) return make_error(path + ": kernel files cannot be removed");
    if (is_ring_path(path)) return make_error(path + ": a ring size cannot be removed");
    files.erase(path);
    writes.push_back(path);
    return Ok{};
}

Status MemoryTransport::remove_directory(const std::string& path) {
    // Directories here are the prefixes of files: an empty one is already gone.
    if (files.count(path) != 0) return make_error(path + ": is not a directory; not removed");
    writes.push_back(path + "/");
    return Ok{};
}

Result<std::vector<FileStatus>> MemoryTransport::inspect(const std::vector<std::string>& paths) {
    std::vector<FileStatus> result;
    for (const auto& path : paths) {
        if (const auto found = statuses.find(path); found != statuses.end()) {
            result.push_back(found->second);
            continue;
        }
        if (is_ring_path(path)) {
            if (!parse_ring_path(path)) return make_error(path + ": not a ring path");
            result.push_back(ring_path_status(path));
            continue;
        }
        FileStatus status{path};
        if (const auto file = files.find(path); file != files.end()) {
            const auto how = access.find(path);
            status = {path, true, 'f', how != access.end() ? file_mode(how->second) : 0644u, true};
        } else {
            const auto prefix = path + "/";
            const auto next = files.lower_bound(prefix);
            if (next != files.end() && next->first.compare(0, prefix.size(), prefix) == 0) {
                status = {path, true, 'd', 0755, true};
            }
        }
        result.push_back(status);
    }
    return result;
}

}  // namespace netdiag
