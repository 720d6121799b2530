#include "remote/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

extern char** environ;

namespace netdiag {

Result<ChildOutput> run_child(const std::vector<std::string>& argv, const ChildLimits& limits) {
    if (argv.empty()) return make_error("no program to run");
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return make_error(fmt::format("pipe: {}", std::strerror(errno)));
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        const int saved = errno;
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        return make_error(fmt::format("pipe: {}", std::strerror(saved)));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);  // so a stop kills the whole group
    posix_spawnattr_setpgroup(&attributes, 0);
    std::vector<char*> arguments;
    for (const auto& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
    arguments.push_back(nullptr);
    pid_t pid = 0;
    const int spawn_error = ::posix_spawn(&pid, argv[0].c_str(), &actions, &attributes, arguments.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (spawn_error != 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        return make_error(std::strerror(spawn_error));
    }

    ChildOutput output;
    std::array<pollfd, 2> fds{{{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}}};
    const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
    int open_pipes = 2;
    std::array<char, 65536> buffer{};
    while (open_pipes > 0 && output.stop == ChildStop::finished) {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            output.stop = ChildStop::timed_out;
            break;
        }
        if (::poll(fds.data(), fds.size(), static_cast<int>(left)) < 0 && errno != EINTR) {
            output.stop = ChildStop::timed_out;  // cannot wait for it any more: stopped as if late
            break;
        }
        for (std::size_t i = 0; i < fds.size() && output.stop == ChildStop::finished; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
            if (n > 0) {
                const auto size = static_cast<std::size_t>(n);
                if (i == 0) {
                    if (size > limits.max_stdout - output.out.size()) {
                        output.stop = ChildStop::too_much_output;
                    } else {
                        output.out.append(buffer.data(), size);
                    }
                } else if (output.err.size() < limits.max_stderr) {
                    output.err.append(buffer.data(), std::min(size, limits.max_stderr - output.err.size()));
                }
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
    if (output.stop != ChildStop::finished) ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    output.killed_by_signal = WIFSIGNALED(status);
    output.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return output;
}

}  // namespace netdiag
