// The local host, or a captured copy of one (--root DIR holding DIR/proc, DIR/sys, DIR/etc).
#pragma once

#include <string>

#include "remote/transport.hpp"

namespace netdiag {

class LocalTransport final : public Transport {
public:
    // root "/" is the live host; any other directory is a captured or sandbox tree, inside which
    // every read and write stays, whatever symlinks it holds or a racing process swaps in.
    explicit LocalTransport(std::string root = "/");

    Result<std::vector<FileRead>> read(const ReadRequest& request) override;
    // The live host only: a captured tree has no kernel to ask.
    std::optional<Status> stream_tcp_sockets(
        const std::function<Result<bool>(std::string_view datagram)>& consume) override;
    // The live host only: rtnetlink and the ethtool ioctl (collect/linkstats.hpp).
    std::optional<Result<LinkStats>> read_link_stats(const std::vector<std::string>& interfaces) override;
    std::optional<Result<std::vector<LinkState>>> read_link_states() override;
    Status write_file(const std::string& path, const std::string& content, FileAccess access) override;
    Status remove_file(const std::string& path) override;
    Status remove_directory(const std::string& path) override;
    Result<std::vector<FileStatus>> inspect(const std::vector<std::string>& paths) override;

private:
    std::string root_;  // without a trailing slash; empty for the live host
};

}  // namespace netdiag
