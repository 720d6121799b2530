#include "remote/local_transport.hpp"


#include <fcntl.h>
#include <dirent.h>
#include <fnmatch.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "collect/linkstats.hpp"
#include "common/text.hpp"


namespace netdiag {
namespace {

// A file under a tree larger than this is refused (a device or a planted giant), not read whole.
constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;
constexpr std::string_view kMissingDirectory = "its directory does not exist";

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        reset(std::exchange(other.fd_, -1));
        return *this;
    }
    ~UniqueFd() { reset(); }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

// Where host paths lead: the live host's own files, or a captured tree (--root) in which every
// path, symlinks and ".." included, is resolved by the kernel as if the tree were "/"
// (openat2 RESOLVE_IN_ROOT). Nothing in the tree, nor a directory swapped while netdiag walks
// it, can lead a read or a write out of it.
class Tree {
public:
    static Result<Tree> open_root(const std::string& root) {
        Tree tree;
        if (root.empty()) return tree;
        tree.root_fd_.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!tree.root_fd_) return make_error(fmt::format("{}: {}", root, std::strerror(errno)));
        return tree;
    }

    bool confined() const { return static_cast<bool>(root_fd_); }

    // open(2) of a host path; errno is left as open left it.
    UniqueFd open(const std::string& host_path, int flags) const {
        if (!confined()) return UniqueFd(::open(host_path.c_str(), flags | O_CLOEXEC));
        open_how how{};
        how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        for (int attempt = 0; attempt < 8; ++attempt) {  // EAGAIN: a rename raced the walk; retry
            const long fd = ::syscall(SYS_openat2, root_fd_.get(), host_path.c_str(), &how, sizeof how);
            if (fd >= 0) return UniqueFd(static_cast<int>(fd));
            if (errno != EAGAIN && errno != EINTR) break;
        }
        return UniqueFd();
    }

private:
    UniqueFd root_fd_;
};

std::string kind_of(mode_t mode) {
    if (S_ISLNK(mode)) return "a symlink stands there";
    if (S_ISDIR(mode)) return "a directory stands there";
    return "not a regular file";
}

std::string random_suffix() {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::array<unsigned char, 12> bytes{};
    if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
        const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        std::memcpy(bytes.data(), &now, std::min(sizeof now, bytes.size()));
    }
    std::string suffix;
    for (const auto byte : bytes) suffix += kAlphabet[byte % (sizeof kAlphabet - 1)];
    return suffix;
}

// Only root or netdiag's own user may own a directory it writes into, and nobody else may write
// there: otherwise whoever can would decide what stands at the name after netdiag's rename.
Status trusted_directory(int directory, const std::string& host_directory) {
    struct stat status {};
    if (::fstat(directory, &status) != 0) return make_error(fmt::format("{}: {}", host_directory, std::strerror(errno)));
    // A sticky directory (/tmp's 1777) is fine: nobody else may rename or remove root's file there.
    const bool others_may_replace = (status.st_mode & 022) != 0 && (status.st_mode & S_ISVTX) == 0;
    if ((status.st_uid != 0 && status.st_uid != ::geteuid()) || others_may_replace) {
        return make_error(fmt::format("{}: owned by uid {} with mode {:04o}: others could change what netdiag writes "
                                      "there; not written (chown root and chmod go-w it)",
                                      host_directory, status.st_uid, status.st_mode & 07777));
    }
    return Ok{};
}

struct Parent {
    UniqueFd directory;  // open, so later steps cannot be redirected by a rename of the path
    std::string leaf;
};

// The directory holding `path`, opened inside the tree; with `create`, missing directories are
// made (the last with directory_mode(access), others 0755, whatever the umask).
Result<Parent> open_parent(const Tree& tree, const std::string& path, bool create, FileAccess access) {
    if (path.empty() || path.front() != '/' || has_control_characters(path)) {
        return make_error(fmt::format("\"{}\": not an absolute path netdiag writes", printable(path)));
    }
    const auto parts = split(std::string_view(path).substr(1), '/');
    for (const auto part : parts) {
        if (part.empty() || part == "." || part == "..") {
            return make_error(fmt::format("{}: not a plain absolute path; not written", path));
        }
    }
    Parent parent{UniqueFd(), std::string(parts.back())};
    const std::string directory_path = path.substr(0, path.size() - parent.leaf.size() - 1);
    const std::string shown = directory_path.empty() ? "/" : directory_path;
    parent.directory = tree.open(shown, O_RDONLY | O_DIRECTORY);
    if (!parent.directory && errno == ENOENT && create) {
        std::string prefix;
        for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
            const std::string above = prefix.empty() ? "/" : prefix;
            prefix += "/" + std::string(parts[i]);
            UniqueFd next = tree.open(prefix, O_RDONLY | O_DIRECTORY);
            if (next) continue;
            if (errno != ENOENT) return make_error(fmt::format("{}: {}", prefix, std::strerror(errno)));
            const UniqueFd holder = tree.open(above, O_RDONLY | O_DIRECTORY);
            if (!holder) return make_error(fmt::format("{}: {}", above, std::strerror(errno)));
            const mode_t mode = i + 2 == parts.size() ? directory_mode(access) : 0755;
            const std::string name(parts[i]);
            if (::mkdirat(holder.get(), name.c_str(), mode) != 0) {
                // EEXIST with nothing to open: a symlink leading nowhere inside the tree.
                return make_error(fmt::format("{}: {}; not written", prefix,
                                              errno == EEXIST ? "a symlink leading nowhere stands there"
                                                              : std::strerror(errno)));
            }
            next = UniqueFd(::openat(holder.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!next || ::fchmod(next.get(), mode) != 0) {
                return make_error(fmt::format("{}: {}", prefix, std::strerror(errno)));
            }
        }
        parent.directory = tree.open(shown, O_RDONLY | O_DIRECTORY);
    }
    if (!parent.directory) {
        if (errno == ENOENT) return make_error(fmt::format("{}: {}", path, kMissingDirectory));
        return make_error(fmt::format("{}: {}", shown, std::strerror(errno)));
    }
    return parent;
}

bool has_wildcard(const std::string& pattern) {
    return pattern.find_first_of("*?[") != std::string::npos;
}

std::string errno_reason(int error) {
    return error == ENOENT ? "missing" : std::string(std::strerror(error));
}

// Reads a whole file from an open descriptor; /proc and /sys report sizes of 0 or 4096, so read
// until EOF, but never past kMaxFileBytes (a /dev/zero planted in a tree would never end).
FileRead read_open_file(const std::string& host_path, int fd) {
    FileRead result{host_path, std::nullopt, {}};
    std::string content;
    std::array<char, 16384> buffer;  // not zeroed: a sample reads a hundred files
    while (true) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            result.error = errno_reason(errno);  // e.g. EINVAL: speed of a link that is down
            return result;
        }
        if (n == 0) break;
        if (content.size() + static_cast<std::size_t>(n) > kMaxFileBytes) {
            result.error = fmt::format("larger than {} MiB; not read", kMaxFileBytes >> 20);
            return result;
        }
        content.append(buffer.data(), static_cast<std::size_t>(n));
    }
    result.content = std::move(content);
    return result;
}

Status write_all(int fd, const std::string& content, const std::string& path) {
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error(fmt::format("{}: write failed: {}", path, std::strerror(errno)));
        }
        done += static_cast<std::size_t>(n);
    }
    return Ok{};
}


// Expands shell wildcards the way glob(3) does (sorted, '*' never matching a leading dot), for
// the sample's patterns: each directory is listed once however many patterns pass through it, and
// a match is not stat()ed first, since opening it says the same (a hundred files a sample).
class Expander {
public:
    explicit Expander(const Tree& tree) : tree_(tree) {}

    // Host paths matching `pattern`; a literal pattern is returned as is, to be read or to fail.
    std::vector<std::string> matches(const std::string& pattern) {
        if (!has_wildcard(pattern)) return {pattern};
        std::vector<std::string> paths = {""};
        std::size_t start = 1;  // patterns are absolute
        while (start <= pattern.size() && !paths.empty()) {
            const auto end = std::min(pattern.find('/', start), pattern.size());
            const auto component = pattern.substr(start, end - start);
            std::vector<std::string> next;
            for (const auto& path : paths) {
                if (!has_wildcard(component)) {
                    // A name its directory's listing (already made for another pattern) lacks is no
                    // match: no open to find it missing. Sysfs is full of these: device/ on a veth,
                    // bonding_slave/ off a bond, master on an interface without one.
                    if (!listed_without(path, component)) next.push_back(path + "/" + component);
                    continue;
                }
                for (const auto& name : listing(path).names) {
                    if (::fnmatch(component.c_str(), name.c_str(), FNM_PERIOD) == 0) next.push_back(path + "/" + name);
                }
            }
            paths = std::move(next);
            start = end + 1;
        }
        return paths;
    }

private:
    struct Listing {
        bool listed = false;             // false: the directory could not be listed
        std::vector<std::string> names;  // sorted, without "." and ".."
    };

    // The names in a directory; none when it cannot be listed.
    const Listing& listing(const std::string& host_directory) {
        auto [entry, inserted] = listings_.try_emplace(host_directory);
        if (!inserted) return entry->second;
        UniqueFd fd = tree_.open(host_directory.empty() ? "/" : host_directory, O_RDONLY | O_DIRECTORY);
        if (DIR* directory = fd ? ::fdopendir(fd.get()) : nullptr) {
            fd.release();  // closedir closes it
            entry->second.listed = true;
            while (const dirent* item = ::readdir(directory)) {
                const std::string_view name = item->d_name;
                if (name != "." && name != "..") entry->second.names.emplace_back(name);
            }
            ::closedir(directory);
        }
        std::sort(entry->second.names.begin(), entry->second.names.end());
        return entry->second;
    }

    // Whether `directory` was listed before and `name` was not in it. Never lists anything itself.
    bool listed_without(const std::string& directory, const std::string& name) const {
        if (name == "." || name == "..") return false;
        const auto found = listings_.find(directory);
        if (found == listings_.end() || !found->second.listed) return false;
        return !std::binary_search(found->second.names.begin(), found->second.names.end(), name);
    }

    const Tree& tree_;
    std::map<std::string, Listing> listings_;
};

// A wildcard's match that turned out not to exist is no match, as glob(3) would not have listed it.
bool vanished(const FileRead& read) { return read.error == "missing" || read.error == std::strerror(ENOTDIR); }

template <class ReadFn>
void expand(Expander& expander, const std::vector<std::string>& patterns, std::vector<FileRead>& reads,
            ReadFn read_fn) {
    for (const auto& pattern : patterns) {
        for (const auto& path : expander.matches(pattern)) {
            auto read = read_fn(path);
            if (has_wildcard(pattern) && !read.content && vanished(read)) continue;
            reads.push_back(std::move(read));
        }
    }
}

// In a tree only regular files are read: a FIFO would hang the sample, a device never end.
// Opens a file of a tree only once it is known to be a regular file: looked at through an O_PATH
// descriptor first, then reopened through that descriptor (the same inode), so a device node is
// never opened (opening /dev/watchdog arms it) and a FIFO never waited on. `links` > 0 also
// requires that many links at most (a hard link would carry a write out of the tree).
UniqueFd open_regular(UniqueFd path_fd, int flags, nlink_t links, std::string& why) {
    struct stat status {};
    if (!path_fd || ::fstat(path_fd.get(), &status) != 0) {
        why = errno_reason(errno);
        return UniqueFd();
    }
    if (!S_ISREG(status.st_mode) || (links > 0 && status.st_nlink > links)) {
        why = S_ISREG(status.st_mode) ? "a hard link to a file elsewhere" : "not a regular file";
        return UniqueFd();
    }
    UniqueFd file(::open(fmt::format("/proc/self/fd/{}", path_fd.get()).c_str(), flags | O_CLOEXEC));
    if (!file) why = errno_reason(errno);
    return file;
}

FileRead read_in_tree(const Tree& tree, const std::string& host_path) {
    if (!tree.confined()) {
        const UniqueFd fd = tree.open(host_path, O_RDONLY);
        if (!fd) return FileRead{host_path, std::nullopt, errno_reason(errno)};
        return read_open_file(host_path, fd.get());
    }
    std::string why;
    const UniqueFd fd = open_regular(tree.open(host_path, O_PATH), O_RDONLY, 0, why);
    if (!fd) return FileRead{host_path, std::nullopt, why};
    return read_open_file(host_path, fd.get());
}

FileRead read_link(const Tree& tree, const std::string& host_path) {
    FileRead result{host_path, std::nullopt, {}, true};
    const auto slash = host_path.rfind('/');
    const UniqueFd parent = tree.open(slash == 0 ? "/" : host_path.substr(0, slash), O_PATH | O_DIRECTORY);
    if (!parent) {
        result.error = errno_reason(errno);
        return result;
    }
    std::array<char, 4096> buffer{};
    const ssize_t n = ::readlinkat(parent.get(), host_path.c_str() + slash + 1, buffer.data(), buffer.size());
    if (n < 0) {
        result.error = errno_reason(errno);
    } else {
        result.content = std::string(buffer.data(), static_cast<std::size_t>(n));
    }
    return result;
}

// A ring path's current size from the live kernel; a captured tree has no NIC to ask, and its
// files are never taken for one.
FileRead read_ring(const std::string& root, const std::string& path) {
    const auto ring = parse_ring_path(path);
    if (!ring) return FileRead{path, std::nullopt, "not a ring path netdiag reads"};
    if (!root.empty()) return FileRead{path, std::nullopt, fmt::format("{}: a captured tree has no NIC rings", root)};
    auto sizes = read_local_ring(ring->interface);
    if (!sizes) return FileRead{path, std::nullopt, sizes.error().message};
    if (!*sizes) return FileRead{path, std::nullopt, "missing"};  // the interface is gone
    return FileRead{path, fmt::format("{}\n", ring->ring == Ring::rx ? (*sizes)->rx : (*sizes)->tx), {}};
}

Status write_ring(const std::string& root, const std::string& path, const std::string& content) {
    const auto ring = parse_ring_path(path);
    if (!ring) return make_error(fmt::format("{}: not a ring path netdiag writes", printable(path)));
    if (!root.empty()) {
        return make_error(fmt::format("{}: {}: a captured tree has no NIC rings; not written", root, path));
    }
    const auto size = parse_ring_size(content);
    if (!size) return make_error(fmt::format("{}: \"{}\" is not a ring size; not written", path, printable(trim(content))));
    return write_local_ring(ring->interface, ring->ring, *size);
}

}  // namespace

LocalTransport::LocalTransport(std::string root) : root_(std::move(root)) {
    while (!root_.empty() && root_.back() == '/') root_.pop_back();
}

Result<std::vector<FileRead>> LocalTransport::read(const ReadRequest& request) {
    auto tree = Tree::open_root(root_);
    if (!tree) return tree.error();
    std::vector<FileRead> reads;
    Expander expander(*tree);
    // Links first: their wildcards list the interface directories, which then spare the files'
    // patterns an open for every file an interface does not have.
    expand(expander, request.links, reads, [&](const std::string& path) { return read_link(*tree, path); });
    for (const auto& pattern : request.files) {
        // A ring path is never expanded as a pattern: "ethtool-ring:*:rx" names no file.
        if (is_ring_path(pattern)) {
            reads.push_back(read_ring(root_, pattern));
        } else {
            expand(expander, {pattern}, reads, [&](const std::string& path) { return read_in_tree(*tree, path); });
        }
    }
    return reads;
}

std::optional<Status> LocalTransport::stream_tcp_sockets(
    const std::function<Result<bool>(std::string_view datagram)>& consume) {
    if (!root_.empty()) return std::nullopt;
    const int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return make_error(fmt::format("sock_diag: {}", std::strerror(errno)));
    const std::unique_ptr<const int, void (*)(const int*)> closer(&fd, [](const int* open) { ::close(*open); });
    return [&]() -> Status {
        // The original inet_diag request is the one that takes AF_UNSPEC: both families in one walk
        // of the socket hash (SOCK_DIAG_BY_FAMILY wants one family per dump, so one walk each).
        struct {
            nlmsghdr header;
            inet_diag_req body;
        } request{};
        request.header.nlmsg_len = sizeof request;
        request.header.nlmsg_type = TCPDIAG_GETSOCK;
        request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        request.body.idiag_family = AF_UNSPEC;
        // The states /proc/net/tcp lists, ESTABLISHED (1) to NEW_SYN_RECV (12); not BOUND_INACTIVE
        // (13, kernels 6.8+: bound, never listening nor connected), which the files leave out.
        request.body.idiag_states = (1U << 13) - 2;
        sockaddr_nl kernel{};
        kernel.nl_family = AF_NETLINK;
        if (::sendto(fd, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
            return make_error(fmt::format("sock_diag: {}", std::strerror(errno)));
        }
        // A dump always ends, but a stalled one must not hold a sample: bounded in time and size.
        const timeval receive_timeout{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout, sizeof receive_timeout);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        // The kernel fills dump datagrams up to 32 KiB less overhead (netlink's max_recvmsg_len cap).
        std::array<char, 32 * 1024> buffer;
        while (std::chrono::steady_clock::now() < deadline) {
            iovec vector{buffer.data(), buffer.size()};
            msghdr message{};
            message.msg_iov = &vector;
            message.msg_iovlen = 1;
            const ssize_t n = ::recvmsg(fd, &message, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return make_error(fmt::format("sock_diag: {}", std::strerror(errno)));
            if ((message.msg_flags & MSG_TRUNC) != 0) return make_error("sock_diag: datagram truncated");
            auto done = consume(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
            if (!done) return done.error();
            if (*done) return Ok{};
        }
        return make_error("sock_diag: the dump did not finish in 10 s");
    }();
}

std::optional<Result<LinkStats>> LocalTransport::read_link_stats(const std::vector<std::string>& interfaces) {
    if (!root_.empty()) return std::nullopt;
    return Result<LinkStats>(read_local_link_stats(interfaces));
}

std::optional<Result<std::vector<LinkState>>> LocalTransport::read_link_states() {
    if (!root_.empty()) return std::nullopt;
    return read_local_link_states();
}

Status LocalTransport::write_file(const std::string& path, const std::string& content, FileAccess access) {
    if (is_ring_path(path)) return write_ring(root_, path, content);
    auto tree = Tree::open_root(root_);
    if (!tree) return tree.error();
    auto place = open_parent(*tree, path, /*create=*/!is_kernel_path(path), access);
    if (!place) return place.error();
    const int directory = place->directory.get();
    const std::string& leaf = place->leaf;
    if (is_kernel_path(path)) {
        // Kernel files take one write in place; a temp file and rename would not reach the kernel.
        UniqueFd file;
        if (root_.empty()) {
            file.reset(::openat(directory, leaf.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW));
            if (!file) return make_error(fmt::format("{}: {}", path, std::strerror(errno)));
        } else {
            // In a tree it stands for a kernel file: a plain file with one link, checked before it
            // is opened for writing (or truncated).
            std::string why;
            file = open_regular(UniqueFd(::openat(directory, leaf.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC)),
                                O_WRONLY | O_TRUNC, 1, why);
            if (!file) return make_error(fmt::format("{}: {}; not written", path, why));
        }
        auto written = write_all(file.get(), content, path);
        if (::close(file.release()) != 0 && written.ok()) {
            return make_error(fmt::format("{}: {}", path, std::strerror(errno)));
        }
        return written;
    }
    if (auto trusted = trusted_directory(directory, path.substr(0, path.size() - leaf.size() - 1)); !trusted) {
        return trusted;
    }
    // A symlink or directory at the name is refused: renaming over a symlink would hide where the
    // content went, and over a directory would fail half-way.
    struct stat existing {};
    if (::fstatat(directory, leaf.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(existing.st_mode)) {
        return make_error(fmt::format("{}: {}; not written", path, kind_of(existing.st_mode)));
    }
    // The temporary is created exclusively under a name nobody can guess, so nothing planted
    // beside the target (a file, a symlink, a FIFO) is ever written through.
    std::string temp;
    UniqueFd file;
    for (int attempt = 0; attempt < 16 && !file; ++attempt) {
        temp = leaf + ".netdiag-" + random_suffix();
        file.reset(::openat(directory, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                            file_mode(access)));
        if (!file && errno != EEXIST) break;
    }
    if (!file) return make_error(fmt::format("{}: cannot create a temporary beside it: {}", path, std::strerror(errno)));
    auto written = write_all(file.get(), content, path);
    if (written.ok() && ::fchmod(file.get(), file_mode(access)) != 0) {  // the umask must not decide
        written = make_error(fmt::format("{}: chmod: {}", path, std::strerror(errno)));
    }
    if (written.ok() && ::fsync(file.get()) != 0) {
        written = make_error(fmt::format("{}: fsync: {}", path, std::strerror(errno)));
    }
    file.reset();
    if (!written.ok() || ::renameat(directory, temp.c_str(), directory, leaf.c_str()) != 0) {
        const std::string reason = written.ok() ? std::strerror(errno) : written.error().message;
        ::unlinkat(directory, temp.c_str(), 0);
        return make_error(written.ok() ? fmt::format("{}: {}", path, reason) : reason);
    }
    ::fsync(directory);  // the rename itself survives a crash only once the directory is synced
    return Ok{};
}

namespace {

// Unlinks `path` inside the tree if what stands there is `type` (S_IFREG or S_IFDIR, the latter
// by rmdir): gone already, or (for a directory) not empty, is not an error.
Status remove_entry(const std::string& root, const std::string& path, mode_t type) {
    auto tree = Tree::open_root(root);
    if (!tree) return tree.error();
    auto place = open_parent(*tree, path, /*create=*/false, FileAccess::shared);
    if (!place) {
        return place.error().message.ends_with(kMissingDirectory) ? Status(Ok{}) : Status(place.error());
    }
    struct stat existing {};
    if (::fstatat(place->directory.get(), place->leaf.c_str(), &existing, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return Ok{};
        return make_error(fmt::format("{}: {}", path, std::strerror(errno)));
    }
    if ((existing.st_mode & S_IFMT) != type) {
        return make_error(fmt::format("{}: {}; not removed", path, kind_of(existing.st_mode)));
    }
    const bool directory = type == S_IFDIR;
    if (::unlinkat(place->directory.get(), place->leaf.c_str(), directory ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT &&
        !(directory && (errno == ENOTEMPTY || errno == EEXIST))) {
        return make_error(fmt::format("{}: {}", path, std::strerror(errno)));
    }
    return Ok{};
}

}  // namespace

Status LocalTransport::remove_file(const std::string& path) {
    if (is_ring_path(path)) return make_error(fmt::format("{}: a ring size cannot be removed", printable(path)));
    if (is_kernel_path(path)) return make_error(fmt::format("{}: kernel files cannot be removed", path));
    return remove_entry(root_, path, S_IFREG);
}

Status LocalTransport::remove_directory(const std::string& path) {
    if (is_kernel_path(path)) return make_error(fmt::format("{}: kernel directories cannot be removed", path));
    return remove_entry(root_, path, S_IFDIR);
}

Result<std::vector<FileStatus>> LocalTransport::inspect(const std::vector<std::string>& paths) {
    auto tree = Tree::open_root(root_);
    if (!tree) return tree.error();
    std::vector<FileStatus> result;
    for (const auto& path : paths) {
        if (is_ring_path(path)) {
            if (!parse_ring_path(path)) return make_error(fmt::format("{}: not a ring path", printable(path)));
            result.push_back(ring_path_status(path));
            continue;
        }
        FileStatus status{path};
        auto place = open_parent(*tree, path, /*create=*/false, FileAccess::shared);
        struct stat found {};
        if (place && ::fstatat(place->directory.get(), place->leaf.c_str(), &found, AT_SYMLINK_NOFOLLOW) == 0) {
            status.exists = true;
            status.type = S_ISREG(found.st_mode) ? 'f' : S_ISDIR(found.st_mode) ? 'd' : S_ISLNK(found.st_mode) ? 'l' : 'o';
            status.mode = found.st_mode & 07777;
            status.trusted_owner = found.st_uid == 0 || found.st_uid == ::geteuid();
        } else if (!place && !place.error().message.ends_with(kMissingDirectory)) {
            return place.error();
        } else if (place && errno != ENOENT) {
            return make_error(fmt::format("{}: {}", path, std::strerror(errno)));
        }
        result.push_back(std::move(status));
    }
    return result;
}

}  // namespace netdiag
