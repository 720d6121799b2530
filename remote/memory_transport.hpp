// An in-memory host for tests: files are a map from path to content, commands are canned.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "remote/transport.hpp"

namespace netdiag {

// Ring paths ("ethtool-ring:eth0:rx") live in `files` like any file, holding "256\n"; writes to
// them must be a well-formed path and size, and removing one is refused, as on a real host.
class MemoryTransport final : public Transport {
public:
    std::map<std::string, std::string> files;
    std::map<std::string, std::string> links;  // symlink path -> target
    std::vector<std::string> writes;  // paths in the order they were written
    std::map<std::string, FileAccess> access;  // how each path was last written
    // What inspect() reports for a path; others: a regular 0644 file or directory owned by root
    // when it exists in `files` or is a directory of one, else missing.
    std::map<std::string, FileStatus> statuses;
    // Faults for tests: writes that fail with this message, and writes the "kernel" ignores.
    std::map<std::string, std::string> write_errors;
    std::map<std::string, std::string> ignored_writes;  // path -> the value it keeps instead
    int read_round_trips = 0;
    std::vector<std::string> requested;  // every file pattern read asked for, in order
    // A kernel to ask for the socket table: its sock_diag datagrams, or why the dump fails.
    std::optional<std::vector<std::string>> tcp_dump;
    std::optional<std::string> tcp_dump_error;

    // What read_link_stats answers (nullopt: this host cannot be asked), and the interface lists
    // it was asked about, in order.
    std::optional<Result<LinkStats>> link_stats;
    std::vector<std::vector<std::string>> link_stats_requests;

    Result<std::vector<FileRead>> read(const ReadRequest& request) override;
    std::optional<Result<LinkStats>> read_link_stats(const std::vector<std::string>& interfaces) override;
    std::optional<Status> stream_tcp_sockets(
        const std::function<Result<bool>(std::string_view datagram)>& consume) override;
    Status write_file(const std::string& path, const std::string& content, FileAccess access) override;
    Status remove_file(const std::string& path) override;
    Status remove_directory(const std::string& path) override;
    Result<std::vector<FileStatus>> inspect(const std::vector<std::string>& paths) override;
};

}  // namespace netdiag
