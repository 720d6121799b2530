// A host reached over SSH with libssh, in process. The only code that includes libssh.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "remote/transport.hpp"

namespace netdiag {

// libssh's global set-up, once per process before any thread uses it (main owns it).
class SshLibrary {
public:
    SshLibrary();
    ~SshLibrary();
    SshLibrary(const SshLibrary&) = delete;
    SshLibrary& operator=(const SshLibrary&) = delete;
};

enum class HostKeyChecking { strict, accept_new, off };

struct SshTarget {
    std::string label;  // the inventory name, used in messages
    std::string address;
    std::optional<int> port;
    std::optional<std::string> user, identity_file;
    // From the inventory (ansible_ssh_common_args): over ssh_config's ProxyJump and over
    // --host-key-checking, as ssh's own -J and -o would be. "none" turns a ProxyJump off.
    std::optional<std::string> proxy_jump;
    std::optional<HostKeyChecking> host_key_checking;
    // ansible_become, _user, _method: how a login that is not root writes as root. Unset: sudo -n.
    // `become` false, another user or another method than sudo: that host's writes are refused.
    std::optional<bool> become;
    std::optional<std::string> become_user, become_method;
};

// 16 MiB: a sample of a Kubernetes node with 2,000 interfaces is about 1.2 MB, and four hosts flooding
// at once stay far from the memory of a laptop. Only a host without awk, which ships its socket
// table whole (about 150 bytes a socket), needs more past 100k sockets.
inline constexpr std::size_t kDefaultMaxOutput = std::size_t{16} << 20;

struct SshSettings {
    HostKeyChecking host_key_checking = HostKeyChecking::strict;
    bool use_ssh_config = true;                     // ~/.ssh/config: HostName, User, Port, IdentityFile, ProxyJump
    std::optional<std::string> ssh_config_file;     // instead of ~/.ssh/config
    std::optional<std::string> known_hosts_file;    // instead of ~/.ssh/known_hosts
    std::chrono::seconds connect_timeout{10};       // pdsh's default
    std::chrono::seconds command_timeout{30};
    // What one host may send for one sample; more ends that host as an error, so that no host can
    // grow the scanner's memory without bound (a broken profile streaming, a hostile host).
    std::size_t max_output = kDefaultMaxOutput;
    std::mutex* known_hosts_lock = nullptr;         // serialises accept-new appends across threads
    const std::atomic<bool>* stop = nullptr;        // Ctrl-C: a running command is abandoned
};

// Why a host could not be used: maps to the per-host status of a fleet scan.
enum class SshFailure { unreachable, auth_failed, host_key_changed, host_key_unknown, timeout, error };

struct SshError {
    SshFailure kind;
    std::string message;
};

std::string_view failure_status(SshFailure kind);  // "unreachable", "auth_failed", ...

// ProxyJump, which libssh 0.10 runs as an OpenSSH `ssh -W` hop, made to use netdiag's ssh_config,
// known_hosts, host key policy and timeout; any other ProxyCommand is left as the user wrote it.
std::string jump_proxy_command(const std::string& proxy_command, const SshSettings& settings);

class SshTransport final : public Transport {
public:
    ~SshTransport() override;
    SshTransport(const SshTransport&) = delete;
    SshTransport& operator=(const SshTransport&) = delete;

    // Connects, checks the host key, authenticates. One session per host, held across samples.
    static std::variant<std::unique_ptr<SshTransport>, SshError> connect(const SshTarget& target,
                                                                          const SshSettings& settings);

    Result<std::vector<FileRead>> read(const ReadRequest& request) override;
    // One round trip of make_link_stats_script, as the login (tc -s and ethtool -g need no root).
    std::optional<Result<LinkStats>> read_link_stats(const std::vector<std::string>& interfaces) override;
    // Writes as root: directly when logged in as root, else through `sudo -n` (probed once with
    // `sudo -n /bin/sh -c :`; without it every write fails, saying so).
    Status write_file(const std::string& path, const std::string& content, FileAccess access) override;
    Status remove_file(const std::string& path) override;
    Status remove_directory(const std::string& path) override;
    // With the writes' privilege when there is one (netdiag's private state is root's alone);
    // trusted_owner is root or the login user.
    Result<std::vector<FileStatus>> inspect(const std::vector<std::string>& paths) override;

    // What went wrong last, for classifying a failed read (a timeout is not an error of the host).
    std::optional<SshFailure> last_failure() const { return last_failure_; }

private:
    struct Session;
    explicit SshTransport(std::unique_ptr<Session> session, std::string label, std::chrono::seconds command_timeout,
                          std::size_t max_output,
                          const std::atomic<bool>* stop);

    std::unique_ptr<Session> session_;
    std::string label_;
    std::chrono::seconds command_timeout_;
    std::size_t max_output_;
    const std::atomic<bool>* stop_;
    std::optional<SshFailure> last_failure_;
    std::optional<bool> become_;
    std::optional<std::string> become_user_, become_method_;

    // Who the login is and how it writes as root, asked once per session.
    struct Privilege {
        unsigned long uid = 0;
        bool sudo = false;     // writes go through `sudo -n`
        std::string refusal;   // non-empty: writes are impossible, and why
    };
    std::optional<Privilege> privilege_;

    // What the link statistics script printed in the last sample's read (ReadRequest::
    // link_stats_follow), for the read_link_stats that follows it.
    struct PendingLinkStats {
        std::string output, boundary;
    };
    std::optional<PendingLinkStats> pending_link_stats_;

    Result<Privilege> privilege();
    // A one-line script (line_script_command) with `data` after it on stdin, as root.
    Status run_privileged(const std::string& script, const std::string& path, const std::string& data);
    // `command`, a fixed line the login shell runs, with `input` on its stdin; output past
    // `max_output` bytes (0: no limit) is an error.
    Result<CommandOutput> execute(const std::string& command, const std::string& input,
                                  std::chrono::milliseconds timeout, std::size_t max_output = 0);
};

}  // namespace netdiag
