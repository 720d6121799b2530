// The local host, or a captured copy of one (--root DIR holding DIR/proc, DIR/sys, DIR/etc).
#pragma once

#include <string>

#include "remote/transport.hpp"

namespace netdiag {

class LocalTransport final : public Transport {
public:
    // root "/" is the live host; any other directory is a captured or sandbox tree.
    explicit LocalTransport(std::string root = "/");

    Result<std::vector<FileRead>> read(const ReadRequest& request) override;
    // The live host only: a captured tree has no kernel to ask.
    std::optional<Status> stream_tcp_sockets(
        const std::function<Result<bool>(std::string_view datagram)>& consume) override;
    Result<CommandOutput> run(const std::string& command, std::chrono::milliseconds timeout) override;
    Status write_file(const std::string& path, const std::string& content, FileAccess access) override;
    Status remove_file(const std::string& path) override;
    Result<std::vector<FileStatus>> inspect(const std::vector<std::string>& paths) override;

    // The real path of a host path under the root.
    std::string resolve(const std::string& path) const;
    Status inside_root(const std::string& path) const;  // refuses paths that leave the tree

private:
    std::string root_;  // without a trailing slash; empty for the live host
};

}  // namespace netdiag
