#include "remote/local_transport.hpp"

#include <filesystem>

#include <fcntl.h>
#include <dirent.h>
#include <fnmatch.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include <fmt/format.h>

extern char** environ;

namespace netdiag {
namespace {

bool has_wildcard(const std::string& pattern) {
    return pattern.find_first_of("*?[") != std::string::npos;
}

std::string errno_reason(int error) {
    return error == ENOENT ? "missing" : std::string(std::strerror(error));
}

// Reads a whole file; /proc and /sys report sizes of 0 or 4096, so read until EOF.
FileRead read_one(const std::string& host_path, const std::string& real_path) {
    FileRead result{host_path, std::nullopt, {}};
    const int fd = ::open(real_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        result.error = errno_reason(errno);
        return result;
    }
    std::string content;
    std::array<char, 16384> buffer;  // not zeroed: a sample reads a hundred files
    while (true) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            result.error = errno_reason(errno);  // e.g. EINVAL: speed of a link that is down
            ::close(fd);
            return result;
        }
        if (n == 0) break;
        content.append(buffer.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
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
    explicit Expander(std::string root) : root_(std::move(root)) {}

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
                    next.push_back(path + "/" + component);
                    continue;
                }
                for (const auto& name : listing(path)) {
                    if (::fnmatch(component.c_str(), name.c_str(), FNM_PERIOD) == 0) next.push_back(path + "/" + name);
                }
            }
            paths = std::move(next);
            start = end + 1;
        }
        return paths;
    }

    std::string real_path(const std::string& host_path) const { return root_ + host_path; }

private:
    // The names in a directory, sorted; none when it cannot be listed.
    const std::vector<std::string>& listing(const std::string& host_directory) {
        auto [entry, inserted] = listings_.try_emplace(host_directory);
        if (!inserted) return entry->second;
        const std::string real = root_ + (host_directory.empty() ? "/" : host_directory);
        if (DIR* directory = ::opendir(real.c_str())) {
            while (const dirent* item = ::readdir(directory)) {
                const std::string_view name = item->d_name;
                if (name != "." && name != "..") entry->second.emplace_back(name);
            }
            ::closedir(directory);
        }
        std::sort(entry->second.begin(), entry->second.end());
        return entry->second;
    }

    std::string root_;
    std::map<std::string, std::vector<std::string>> listings_;
};

// A wildcard's match that turned out not to exist is no match, as glob(3) would not have listed it.
bool vanished(const FileRead& read) { return read.error == "missing" || read.error == std::strerror(ENOTDIR); }

template <class ReadFn>
void expand(Expander& expander, const std::vector<std::string>& patterns, std::vector<FileRead>& reads,
            ReadFn read_fn) {
    for (const auto& pattern : patterns) {
        for (const auto& path : expander.matches(pattern)) {
            auto read = read_fn(path, expander.real_path(path));
            if (has_wildcard(pattern) && !read.content && vanished(read)) continue;
            reads.push_back(std::move(read));
        }
    }
}

FileRead read_link(const std::string& host_path, const std::string& real_path) {
    FileRead result{host_path, std::nullopt, {}, true};
    std::array<char, 4096> buffer{};
    const ssize_t n = ::readlink(real_path.c_str(), buffer.data(), buffer.size());
    if (n < 0) {
        result.error = errno_reason(errno);
    } else {
        result.content = std::string(buffer.data(), static_cast<std::size_t>(n));
    }
    return result;
}

}  // namespace

LocalTransport::LocalTransport(std::string root) : root_(std::move(root)) {
    while (!root_.empty() && root_.back() == '/') root_.pop_back();
}

std::string LocalTransport::resolve(const std::string& path) const { return root_ + path; }

Result<std::vector<FileRead>> LocalTransport::read(const ReadRequest& request) {
    std::vector<FileRead> reads;
    Expander expander(root_);
    expand(expander, request.files, reads, read_one);
    expand(expander, request.links, reads, read_link);
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

Result<CommandOutput> LocalTransport::run(const std::string& command, std::chrono::milliseconds timeout) {
    if (!root_.empty()) {
        return make_error(fmt::format("{}: commands cannot run in a captured tree", root_));
    }
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return make_error(fmt::format("pipe: {}", std::strerror(errno)));
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        return make_error(fmt::format("pipe: {}", std::strerror(errno)));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);  // so a timeout kills the whole group
    posix_spawnattr_setpgroup(&attributes, 0);
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    pid_t pid = 0;
    const int spawn_error =
        ::posix_spawn(&pid, "/bin/sh", &actions, &attributes, const_cast<char* const*>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (spawn_error != 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        return make_error(fmt::format("/bin/sh: {}", std::strerror(spawn_error)));
    }

    CommandOutput output;
    std::array<pollfd, 2> fds{{{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}}};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool timed_out = false;
    int open_pipes = 2;
    std::array<char, 8192> buffer{};
    while (open_pipes > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) break;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
            if (n > 0) {
                (i == 0 ? output.out : output.err).append(buffer.data(), static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_pipes;
            }
        }
    }
    for (auto& fd : fds) {
        if (fd.fd >= 0) ::close(fd.fd);
    }
    if (timed_out) ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
        return make_error(fmt::format("command timed out after {} ms: {}", timeout.count(), command));
    }
    output.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return output;
}

Status LocalTransport::inside_root(const std::string& path) const {
    if (root_.empty()) return Ok{};
    // A copied tree may hold symlinks pointing out of it (sosreport keeps them): a write must not
    // follow one onto the machine netdiag runs on.
    std::error_code error;
    const auto root = std::filesystem::canonical(root_, error);
    if (error) return make_error(fmt::format("{}: {}", root_, error.message()));
    const auto parent = std::filesystem::weakly_canonical(std::filesystem::path(resolve(path)).parent_path(), error);
    if (error) return make_error(fmt::format("{}: {}", path, error.message()));
    const auto relative = parent.lexically_relative(root);
    if (relative.empty() || *relative.begin() == "..") {
        return make_error(fmt::format("{}: leads out of {} (through a symlink); not written", path, root_));
    }
    return Ok{};
}

Status LocalTransport::write_file(const std::string& path, const std::string& content, FileAccess /*access*/) {
    if (auto inside = inside_root(path); !inside) return inside;
    const std::string real_path = resolve(path);
    if (is_kernel_path(path)) {
        // Kernel files take one write in place; a temp file and rename would not reach the kernel.
        const int fd = ::open(real_path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) return make_error(fmt::format("{}: {}", path, std::strerror(errno)));
        auto written = write_all(fd, content, path);
        if (::close(fd) != 0 && written.ok()) {
            return make_error(fmt::format("{}: {}", path, std::strerror(errno)));
        }
        return written;
    }
    // /etc/sysctl.d and friends may not exist yet (always so in a sandbox root).
    const auto directory_path = std::filesystem::path(real_path).parent_path();
    std::error_code ignored;
    std::filesystem::create_directories(directory_path, ignored);
    const std::string temp_path = real_path + ".netdiag-tmp";
    const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return make_error(fmt::format("{}: {}", temp_path, std::strerror(errno)));
    auto written = write_all(fd, content, temp_path);
    if (written.ok() && ::fsync(fd) != 0) {
        written = make_error(fmt::format("{}: fsync: {}", temp_path, std::strerror(errno)));
    }
    ::close(fd);
    if (!written.ok() || ::rename(temp_path.c_str(), real_path.c_str()) != 0) {
        const std::string reason = written.ok() ? std::strerror(errno) : written.error().message;
        ::unlink(temp_path.c_str());
        return make_error(fmt::format("{}: {}", path, reason));
    }
    // The rename itself survives a crash only once the directory is synced.
    const int directory = ::open(directory_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory >= 0) {
        ::fsync(directory);
        ::close(directory);
    }
    return Ok{};
}

Status LocalTransport::remove_file(const std::string& path) {
    if (is_kernel_path(path)) return make_error(fmt::format("{}: kernel files cannot be removed", path));
    if (auto inside = inside_root(path); !inside) return inside;
    if (::unlink(resolve(path).c_str()) != 0 && errno != ENOENT) {
        return make_error(fmt::format("{}: {}", path, std::strerror(errno)));
    }
    return Ok{};
}

Result<std::vector<FileStatus>> LocalTransport::inspect(const std::vector<std::string>& paths) {
    return make_error(fmt::format("inspect is not implemented yet ({} paths)", paths.size()));
}

}  // namespace netdiag
