// How a host is reached. The only code that touches the outside world sits behind this interface:
// a local host (or a captured tree under --root), an SSH session, or an in-memory fake for tests.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collect/parsers_linkstats.hpp"
#include "common/result.hpp"

namespace netdiag {

struct FileRead {
    std::string path;                    // as the host names it: "/proc/net/dev"
    std::optional<std::string> content;  // nullopt: could not be read; for a link, its target
    std::string error;                   // why not: "missing", "permission denied", ...
    bool is_link = false;                // content is where the symlink points, not a file's text
};

// One round trip's worth of reading. Each pattern may hold shell wildcards
// ("/proc/irq/*/smp_affinity"): every match comes back and a wildcard that matches nothing gives
// nothing, while a literal path that cannot be read comes back with its error.
struct ReadRequest {
    std::vector<std::string> files;  // contents wanted
    std::vector<std::string> links;  // symlink targets wanted ("/sys/class/net/*/device")
};

struct CommandOutput {
    int exit_status = 0;
    std::string out, err;
};

// Who may read what netdiag writes, whatever the umask it runs under: most files are public (0644,
// directories it creates 0755); journals are private (0600 in a 0700 directory).
enum class FileAccess { shared, owner_only };

inline constexpr unsigned file_mode(FileAccess access) { return access == FileAccess::shared ? 0644 : 0600; }
inline constexpr unsigned directory_mode(FileAccess access) { return access == FileAccess::shared ? 0755 : 0700; }

// What lstat says of a path, as far as deciding whether to trust what it holds.
struct FileStatus {
    std::string path;
    bool exists = false;
    char type = '?';             // 'f' regular file, 'd' directory, 'l' symlink, 'o' anything else
    unsigned mode = 0;           // permission bits (07777)
    bool trusted_owner = false;  // owned by root or by the user netdiag acts as on that host
};

// /proc and /sys entries: written in place with one write(), never through a temp file and rename.
inline bool is_kernel_path(std::string_view path) {
    return path.rfind("/proc/", 0) == 0 || path.rfind("/sys/", 0) == 0;
}

class Transport {
public:
    virtual ~Transport() = default;

    // Everything the request names, in one round trip.
    virtual Result<std::vector<FileRead>> read(const ReadRequest& request) = 0;

    // Streams the kernel's TCP socket table, IPv4 and IPv6 in one sock_diag netlink dump, to `consume`
    // one datagram at a time until it returns true (the dump is complete) or an error. Only the live
    // local host can be asked this way: elsewhere it returns nullopt and callers read /proc/net/tcp
    // and tcp6, which cost the kernel two walks of its socket hash per file instead of one in all.
    virtual std::optional<Status> stream_tcp_sockets(
        const std::function<Result<bool>(std::string_view datagram)>& /*consume*/) {
        return std::nullopt;
    }

    // Egress qdisc statistics of every interface, and the ring sizes of `interfaces` (names as the
    // host has them; those whose driver reports no rings are left out), in one round trip. Parts the
    // host cannot tell (no `tc` or `ethtool` there) are absent with a LinkStats::Problem; an error is
    // a failed exchange. nullopt: this transport cannot ask (a captured tree has no kernel).
    virtual std::optional<Result<LinkStats>> read_link_stats(const std::vector<std::string>& /*interfaces*/) {
        return std::nullopt;
    }

    // Runs a POSIX shell command on the host, killed after `timeout`.
    virtual Result<CommandOutput> run(const std::string& command, std::chrono::milliseconds timeout) = 0;

    // Replaces a file's content; files are written to a temporary created exclusively beside it,
    // synced and renamed into place, while /proc and /sys entries are written in place, as the
    // kernel requires. Modes come from `access`, never from the umask; missing directories are
    // created with directory_mode(access). A symlink or directory at `path` is refused.
    virtual Status write_file(const std::string& path, const std::string& content, FileAccess access) = 0;

    // Removes a file (undoing one netdiag created); a file already gone is not an error. /proc and
    // /sys entries are refused.
    virtual Status remove_file(const std::string& path) = 0;

    // lstat of each path (symlinks are not followed), in order.
    virtual Result<std::vector<FileStatus>> inspect(const std::vector<std::string>& paths) = 0;
};

}  // namespace netdiag
