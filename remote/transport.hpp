// How a host is reached. The only code that touches the outside world sits behind this interface:
// a local host (or a captured tree under --root), an SSH session, or an in-memory fake for tests.
#pragma once

#include <chrono>
#include <cstdint>
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
    // A sample's read, to be followed by read_link_stats: a remote transport asks for qdiscs and
    // rings in the same round trip (one remote shell a sample, not two) and keeps the answer for
    // that call. Others ignore it.
    bool link_stats_follow = false;
    // The TCP tables (/proc/net/tcp, tcp6) among `files` may be answered by a summary the host
    // makes of them (kTcpSummaryPath: parse_tcp_summary), so a busy host never ships its whole
    // socket table. A transport that reads the files where they are ignores it.
    bool tcp_summary = false;
};

// The read that answers /proc/net/tcp and tcp6 together when ReadRequest::tcp_summary was honoured.
inline constexpr std::string_view kTcpSummaryPath = "netdiag:tcp-summary";

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

// NIC ring sizes are not files, yet a fix changes them through the same read / drift check /
// write / read back / journal / undo as /proc/sys: they get virtual paths, "ethtool-ring:eth0:rx",
// that no transport can take for a file (no leading slash). Such a path holds the ring's current
// size ("256\n"); it is written in place like a kernel file and never removed.
inline constexpr std::string_view kRingPathPrefix = "ethtool-ring:";

// The most descriptors netdiag believes of a ring (drivers have a few thousand; the kernel's u32
// allows nonsense).
inline constexpr std::uint64_t kMaxRingSize = std::uint64_t{1} << 20;

enum class Ring { rx, tx };

struct RingPath {
    std::string interface;
    Ring ring = Ring::rx;
};

inline std::string_view ring_name(Ring ring) { return ring == Ring::rx ? "rx" : "tx"; }

// Any path in the ring namespace, well-formed or not: transports route all of them to ring
// handling (which refuses the malformed), so none can fall through to a relative file path.
inline bool is_ring_path(std::string_view path) { return path.rfind(kRingPathPrefix, 0) == 0; }

// A name netdiag passes to ethtool: [A-Za-z0-9_.@+-]{1,15} (IFNAMSIZ - 1), not starting with '-'
// (an option), not "." or ".." (the kernel refuses those too).
inline bool valid_interface_name(std::string_view name) {
    if (name.empty() || name.size() > 15 || name.front() == '-' || name == "." || name == "..") return false;
    for (const char c : name) {
        const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                           c == '.' || c == '@' || c == '+' || c == '-';
        if (!plain) return false;
    }
    return true;
}

// "ethtool-ring:IF:rx" / ":tx"; nullopt for anything else, a bad interface name included.
inline std::optional<RingPath> parse_ring_path(std::string_view path) {
    if (!is_ring_path(path)) return std::nullopt;
    const auto rest = path.substr(kRingPathPrefix.size());
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const auto name = rest.substr(0, colon);
    const auto which = rest.substr(colon + 1);
    if (!valid_interface_name(name) || (which != "rx" && which != "tx")) return std::nullopt;
    return RingPath{std::string(name), which == "rx" ? Ring::rx : Ring::tx};
}

inline std::string ring_path(std::string_view interface, Ring ring) {
    std::string path(kRingPathPrefix);
    path += interface;
    path += ':';
    path += ring_name(ring);
    return path;
}

// A ring size as written to a ring path: decimal digits (surrounding whitespace allowed, as the
// kernel's files take "4096\n"), 1..kMaxRingSize; nullopt for anything else.
inline std::optional<std::uint32_t> parse_ring_size(std::string_view content) {
    const auto first = content.find_first_not_of(" \t\n");
    if (first == std::string_view::npos) return std::nullopt;
    const auto last = content.find_last_not_of(" \t\n");
    const auto digits = content.substr(first, last - first + 1);
    if (digits.size() > 7) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value == 0 || value > kMaxRingSize) return std::nullopt;
    return static_cast<std::uint32_t>(value);
}

// What inspect says of a well-formed ring path: a kernel value that exists, root's, 0644.
inline FileStatus ring_path_status(const std::string& path) { return FileStatus{path, true, 'f', 0644, true}; }

class Transport {
public:
    virtual ~Transport() = default;

    // Everything the request names, in one round trip. A ring path among `files` (literal only)
    // reads the ring's current size, "256\n"; an interface that does not exist reads as "missing",
    // one without rings (EOPNOTSUPP) or a host that cannot tell (no kernel, no ethtool) is an error.
    virtual Result<std::vector<FileRead>> read(const ReadRequest& request) = 0;

    // Streams the kernel's TCP socket table, IPv4 and IPv6 in one sock_diag netlink dump, to `consume`
    // one datagram at a time until it returns true (the dump is complete) or an error. Only the live
    // local host can be asked this way: elsewhere it returns nullopt and callers read /proc/net/tcp
    // and tcp6, which cost the kernel two walks of its socket hash per file instead of one in all.
    virtual std::optional<Status> stream_tcp_sockets(
        const std::function<Result<bool>(std::string_view datagram)>& /*consume*/) {
        return std::nullopt;
    }

    // Every interface's flags, MTU, operstate, carrier, carrier changes, missed and FIFO errors and
    // IPv4 rp_filter in one rtnetlink dump, instead of eight files each. Only the live local host can be asked this
    // way: elsewhere nullopt, and callers read the files.
    virtual std::optional<Result<std::vector<LinkState>>> read_link_states() { return std::nullopt; }

    // Egress qdisc statistics of every interface, and the ring sizes of `interfaces` (names as the
    // host has them; those whose driver reports no rings are left out), in one round trip. Parts the
    // host cannot tell (no `tc` or `ethtool` there) are absent with a LinkStats::Problem; an error is
    // a failed exchange. nullopt: this transport cannot ask (a captured tree has no kernel).
    virtual std::optional<Result<LinkStats>> read_link_stats(const std::vector<std::string>& /*interfaces*/) {
        return std::nullopt;
    }

    // Replaces a file's content; files are written to a temporary created exclusively beside it,
    // synced and renamed into place, while /proc and /sys entries are written in place, as the
    // kernel requires, and a ring path (is_ring_path) sets that ring's size, the others the NIC
    // has left as they are. Modes come from `access`, never from the umask; missing directories are
    // created with directory_mode(access). A symlink or directory at `path` is refused.
    virtual Status write_file(const std::string& path, const std::string& content, FileAccess access) = 0;

    // Removes a file (undoing one netdiag created); a file already gone is not an error. /proc and
    // /sys entries, and ring paths, are refused.
    virtual Status remove_file(const std::string& path) = 0;

    // Removes a directory netdiag created (undo), if it is empty: one that holds anything, or is
    // already gone, is left as it is. A symlink or non-directory at `path` is refused.
    virtual Status remove_directory(const std::string& path) = 0;

    // lstat of each path (symlinks are not followed), in order. A well-formed ring path is reported
    // without asking the host: a root-owned 0644 'f', as a /proc/sys entry would be.
    virtual Result<std::vector<FileStatus>> inspect(const std::vector<std::string>& paths) = 0;
};

}  // namespace netdiag
