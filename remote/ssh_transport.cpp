#include "remote/ssh_transport.hpp"

#include <fcntl.h>
#include <glob.h>
#include <libssh/callbacks.h>
#include <sys/mman.h>
#include <libssh/libssh.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <utility>

#include <fmt/format.h>

#include "common/text.hpp"
#include "remote/read_script.hpp"
#include "remote/ssh_config.hpp"
#include "remote/tcp_connect.hpp"

namespace netdiag {

namespace {

// The socket netdiag connected itself and gave libssh with SSH_OPTIONS_FD. Whose it is to close
// is not fixed in libssh 0.10.6: ssh_connect takes it only once the options apply (client.c:590);
// ssh_disconnect leaves it open on purpose (client.c:779, "You're responsible for closing the
// socket"); yet libssh closes it itself when the connection fails under it (client.c:489,
// packet_cb.c:78 on the server's DISCONNECT, socket.c:276 and :726), and ssh_free closes it when
// ssh_disconnect was not called (socket.c:422). So, once the session is freed, it is closed here
// if the descriptor still is this socket (same st_dev and st_ino): never a leak, and never a
// second close of a number another thread has since been given.
class HandedSocket {
public:
    HandedSocket() = default;
    HandedSocket(const HandedSocket&) = delete;
    HandedSocket& operator=(const HandedSocket&) = delete;
    ~HandedSocket() {
        struct stat now {};
        if (fd_ >= 0 && ::fstat(fd_, &now) == 0 && now.st_dev == device_ && now.st_ino == inode_) ::close(fd_);
    }

    // Takes `fd` over; false (and `fd` closed) if it cannot be told apart later.
    bool hold(int fd) {
        struct stat identity {};
        if (::fstat(fd, &identity) != 0) {
            const int error = errno;
            ::close(fd);
            errno = error;
            return false;
        }
        fd_ = fd;
        device_ = identity.st_dev;
        inode_ = identity.st_ino;
        return true;
    }

private:
    int fd_ = -1;
    dev_t device_ = 0;
    ino_t inode_ = 0;
};

}  // namespace

struct SshTransport::Session {
    ssh_session handle = nullptr;
    ssh_callbacks_struct callbacks{};  // must outlive the session that points at it
    HandedSocket socket;               // closed, if still open, after the session is freed
    ~Session() {
        if (handle != nullptr) {
            ssh_disconnect(handle);
            ssh_free(handle);
        }
    }
};

namespace {

std::string fingerprint(ssh_key key) {
    if (key == nullptr) return "unknown";
    unsigned char* hash = nullptr;
    std::size_t length = 0;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) return "unknown";
    char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
    std::string result = text != nullptr ? text : "unknown";
    ssh_string_free_char(text);
    ssh_clean_pubkey_hash(&hash);
    return result;
}

std::string server_fingerprint(ssh_session session) {
    ssh_key key = nullptr;
    if (ssh_get_server_publickey(session, &key) != SSH_OK) return "unknown";
    std::string result = fingerprint(key);
    ssh_key_free(key);
    return result;
}

// The name known_hosts files use for the session's host: "host", or "[host]:port" off port 22.
std::string known_hosts_name(ssh_session session, const SshTarget& target) {
    unsigned int port = 22;
    ssh_options_get_port(session, &port);
    char* host = nullptr;
    ssh_options_get(session, SSH_OPTIONS_HOST, &host);
    std::string address = host != nullptr ? host : target.address;
    ssh_string_free_char(host);
    for (auto& c : address) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return port == 22 ? address : fmt::format("[{}]:{}", address, port);
}

// The user's known_hosts file (or, with SSH_OPTIONS_GLOBAL_KNOWNHOSTS, the system's); "" if none.
std::string known_hosts_file(ssh_session session, ssh_options_e which = SSH_OPTIONS_KNOWNHOSTS) {
    char* file = nullptr;
    if (ssh_options_get(session, which, &file) != SSH_OK || file == nullptr) return "";
    std::string result = file;
    ssh_string_free_char(file);
    return result;
}

// libssh returns no known_hosts entry for a changed key, so read the file for the host's lines.
std::string known_fingerprint(ssh_session session, const SshTarget& target) {
    std::ifstream known_hosts(known_hosts_file(session));
    const std::string name = known_hosts_name(session, target);
    std::string result;
    for (std::string line; std::getline(known_hosts, line);) {
        ssh_knownhosts_entry* entry = nullptr;
        if (ssh_known_hosts_parse_line(name.c_str(), line.c_str(), &entry) == SSH_OK && entry != nullptr) {
            if (!result.empty()) result += " and ";
            result += fingerprint(entry->publickey);
        }
        SSH_KNOWNHOSTS_ENTRY_FREE(entry);
    }
    return result.empty() ? "unknown" : result;
}

// OpenSSH never accepts a key a known_hosts line marks "@revoked" for the host; libssh skips such
// lines (it reads the marker as a host name), so a revoked key on record would pass as known and
// accept-new would add one. Returns "FILE:LINE" of the line that revokes the offered key.
std::optional<std::string> revoking_line(ssh_session session, const SshTarget& target) {
    ssh_key offered = nullptr;
    if (ssh_get_server_publickey(session, &offered) != SSH_OK) return std::nullopt;
    const std::string name = known_hosts_name(session, target);
    std::optional<std::string> found;
    for (const auto which : {SSH_OPTIONS_KNOWNHOSTS, SSH_OPTIONS_GLOBAL_KNOWNHOSTS}) {
        const std::string path = known_hosts_file(session, which);
        if (path.empty()) continue;
        std::ifstream known_hosts(path);
        std::size_t number = 0;
        for (std::string line; !found && std::getline(known_hosts, line);) {
            ++number;
            const auto text = trim(line);
            constexpr std::string_view marker = "@revoked";
            if (text.substr(0, marker.size()) != marker || text.size() == marker.size() ||
                (text[marker.size()] != ' ' && text[marker.size()] != '\t')) {
                continue;
            }
            // libssh splits fields on spaces only; OpenSSH also on tabs. (libssh also ignores "!"
            // negations in the host list: such a line revokes for every host it names, failing safe.)
            std::string rest(trim(text.substr(marker.size())));
            std::replace(rest.begin(), rest.end(), '\t', ' ');
            ssh_knownhosts_entry* entry = nullptr;
            if (ssh_known_hosts_parse_line(name.c_str(), rest.c_str(), &entry) == SSH_OK && entry != nullptr &&
                ssh_key_cmp(entry->publickey, offered, SSH_KEY_CMP_PUBLIC) == 0) {
                found = fmt::format("{}:{}", path, number);
            }
            SSH_KNOWNHOSTS_ENTRY_FREE(entry);
        }
    }
    ssh_key_free(offered);
    return found;
}

// The command that forgets the old key, as the user would type it.
std::string forget_key_command(ssh_session session, const SshTarget& target, const SshSettings& settings) {
    std::string command = "ssh-keygen -R " + shell_quote(known_hosts_name(session, target));
    if (settings.known_hosts_file) command += " -f " + shell_quote(*settings.known_hosts_file);
    return command;
}

// Implements the policy ourselves (FACTS.md): libssh's own StrictHostKeyChecking is not enough.
std::optional<SshError> check_host_key(ssh_session session, const SshTarget& target, const SshSettings& settings) {
    // Refused under every policy, like a changed key.
    if (const auto line = revoking_line(session, target)) {
        return SshError{SshFailure::host_key_changed,
                        fmt::format("{}: HOST KEY REVOKED: the host offers {}, which {} marks @revoked", target.label,
                                    server_fingerprint(session), *line)};
    }
    const auto known = ssh_session_is_known_server(session);
    // "off" trusts keys it has never seen, never a key that differs from the one on record.
    if (settings.host_key_checking == HostKeyChecking::off && known != SSH_KNOWN_HOSTS_CHANGED &&
        known != SSH_KNOWN_HOSTS_OTHER) {
        return std::nullopt;
    }
    switch (known) {
        case SSH_KNOWN_HOSTS_OK:
            return std::nullopt;
        case SSH_KNOWN_HOSTS_CHANGED:
        case SSH_KNOWN_HOSTS_OTHER:
            // Always refused, whatever the policy: this is what a man in the middle looks like.
            return SshError{SshFailure::host_key_changed,
                            fmt::format("{}: HOST KEY CHANGED: known_hosts has {}, the host offers {}; if the host "
                                        "was reinstalled, remove the old key with `{}`",
                                        target.label, known_fingerprint(session, target), server_fingerprint(session),
                                        forget_key_command(session, target, settings))};
        case SSH_KNOWN_HOSTS_NOT_FOUND:
        case SSH_KNOWN_HOSTS_UNKNOWN:
            if (settings.host_key_checking == HostKeyChecking::accept_new) {
                std::unique_lock<std::mutex> lock;
                if (settings.known_hosts_lock != nullptr) lock = std::unique_lock(*settings.known_hosts_lock);
                // Another worker may have added it meanwhile (two inventory names, one address).
                if (ssh_session_is_known_server(session) == SSH_KNOWN_HOSTS_OK) return std::nullopt;
                if (ssh_session_update_known_hosts(session) != SSH_OK) {
                    return SshError{SshFailure::error, fmt::format("{}: could not add the host key to known_hosts: {}",
                                                                   target.label, ssh_get_error(session))};
                }
                return std::nullopt;
            }
            return SshError{SshFailure::host_key_unknown,
                            fmt::format("{}: host key {} is not in known_hosts (strict checking); "
                                        "use --host-key-checking accept-new to trust it on first use",
                                        target.label, server_fingerprint(session))};
        case SSH_KNOWN_HOSTS_ERROR:
            break;
    }
    return SshError{SshFailure::error, fmt::format("{}: cannot check the host key: {}", target.label,
                                                   ssh_get_error(session))};
}

// With several addresses tried ("a port 22: timed out after 10 s; b port 22: connection refused"),
// the last one's reason decides, as OpenSSH reports the last.
SshFailure classify_connect_error(std::string_view message) {
    const auto last = message.rfind("; ");
    const auto reason = last == std::string_view::npos ? message : message.substr(last + 2);
    if (reason.find("Timeout") != std::string_view::npos || reason.find("timed out") != std::string_view::npos) {
        return SshFailure::timeout;
    }
    return SshFailure::unreachable;
}

// How the socket is made, from the resolved ssh_config: libssh 0.10 has no getter for BindAddress
// and ignores AddressFamily.
struct SocketOptions {
    std::optional<std::string> bind_address;
    int family = AF_UNSPEC;
    // A BindAddress after a Match that libssh decides (exec, user, ...) came first: only libssh
    // knows whether it applies, so libssh connects, as before.
    bool bind_address_undecided = false;
};

// A config line's keyword (lower case) and first argument: "Keyword value", "Keyword=value",
// "Keyword = \"value\"".
std::pair<std::string, std::string> keyword_and_value(std::string_view line) {
    constexpr std::string_view blank = " \t\r";
    const auto start = line.find_first_not_of(blank);
    if (start == std::string_view::npos || line[start] == '#') return {};
    line.remove_prefix(start);
    const auto keyword_end = std::min(line.find_first_of(" \t\r="), line.size());
    std::string keyword(line.substr(0, keyword_end));
    std::transform(keyword.begin(), keyword.end(), keyword.begin(), [](unsigned char c) { return std::tolower(c); });
    line.remove_prefix(keyword_end);
    line.remove_prefix(std::min(line.find_first_not_of(blank), line.size()));
    if (!line.empty() && line.front() == '=') {
        line.remove_prefix(1);
        line.remove_prefix(std::min(line.find_first_not_of(blank), line.size()));
    }
    if (!line.empty() && line.front() == '"') {
        line.remove_prefix(1);
        return {keyword, std::string(line.substr(0, line.find('"')))};
    }
    return {keyword, std::string(line.substr(0, line.find_first_of(blank)))};
}

// The first BindAddress and AddressFamily that apply, as OpenSSH and libssh both take the first.
// The text is resolve_ssh_config's: a "Host *" starts lines that apply; a Match starts lines
// libssh decides. An AddressFamily among those is passed over (libssh would ignore it too).
Result<SocketOptions> socket_options(std::string_view config) {
    SocketOptions options;
    bool applies = true, bind_seen = false, family_seen = false;
    for (const auto line : lines_of(config)) {
        const auto [keyword, value] = keyword_and_value(line);
        if (keyword == "host" || keyword == "match") {
            applies = keyword == "host";
        } else if (keyword == "bindaddress" && !bind_seen) {
            bind_seen = true;
            if (!applies) {
                options.bind_address_undecided = true;
            } else if (!value.empty()) {
                options.bind_address = value;
            }
        } else if (keyword == "addressfamily" && applies && !family_seen) {
            family_seen = true;
            const std::string lower = ascii_lowercase(value);
            if (lower == "inet") {
                options.family = AF_INET;
            } else if (lower == "inet6") {
                options.family = AF_INET6;
            } else if (lower != "any") {
                return make_error(fmt::format("AddressFamily \"{}\" is not any, inet or inet6", printable(value)));
            }
        }
    }
    return options;
}

// libssh 0.10 tries a name's next address only when connect() fails at once, so one address that
// drops SYNs costs the host the whole timeout. As OpenSSH does, each address is tried in turn,
// each within the connect timeout, and libssh is given the connected socket; SSH_OPTIONS_HOST
// stays the name, for known_hosts.
std::optional<SshError> connect_socket(ssh_session s, HandedSocket& socket, const SshTarget& target,
                                       const SshSettings& settings, const SocketOptions& options) {
    char* host = nullptr;
    unsigned int port = 22;
    ssh_options_get(s, SSH_OPTIONS_HOST, &host);
    ssh_options_get_port(s, &port);
    TcpConnectOptions tcp;
    tcp.host = host != nullptr ? host : target.address;
    ssh_string_free_char(host);
    tcp.port = static_cast<int>(port);
    tcp.timeout = settings.connect_timeout;
    tcp.bind_address = options.bind_address;
    tcp.family = options.family;
    tcp.cancelled = settings.stop;
    auto connected = connect_tcp(tcp);
    if (!connected) {
        if (settings.stop != nullptr && settings.stop->load()) {
            return SshError{SshFailure::error, target.label + ": interrupted before it finished"};
        }
        return SshError{classify_connect_error(connected.error().message),
                        fmt::format("{}: cannot connect: {}", target.label, connected.error().message)};
    }
    if (!socket.hold(*connected)) {
        return SshError{SshFailure::error, fmt::format("{}: cannot connect: {}", target.label, std::strerror(errno))};
    }
    socket_t fd = *connected;
    if (ssh_options_set(s, SSH_OPTIONS_FD, &fd) != SSH_OK) {
        return SshError{SshFailure::error, fmt::format("{}: cannot hand the socket to libssh: {}", target.label,
                                                      ssh_get_error(s))};
    }
    return std::nullopt;
}

// A ProxyJump hop's stderr, caught in a private temporary file that goes when the connect ends.
class HopLog {
public:
    HopLog() = default;
    HopLog(const HopLog&) = delete;
    HopLog& operator=(const HopLog&) = delete;
    ~HopLog() {
        if (!path_.empty()) ::unlink(path_.c_str());
    }

    // " 2>FILE" for the hop's command line; "" (stderr left as it is) if no file can be made.
    std::string redirection() {
        std::string pattern = (std::filesystem::temp_directory_path() / "netdiag-hop-XXXXXX").string();
        const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
        if (fd < 0) return "";
        ::close(fd);
        path_ = pattern;
        return " 2>" + shell_quote(path_);
    }

    // The hop's last words, if any.
    std::string last_line() const {
        if (path_.empty()) return "";
        std::ifstream in(path_);
        std::string line, last;
        for (int lines = 0; lines < 1000 && std::getline(in, line); ++lines) {
            if (!trim(line).empty()) last = std::string(trim(line));
        }
        return last.substr(0, 300);
    }

private:
    std::string path_;
};

// Appends `data` unless `text` would pass `limit` bytes (0: no limit). The buffer grows by doubling
// but never past the limit, so a host that floods costs at most the limit, not twice it.
bool append_within(std::string& text, std::string_view data, std::size_t limit) {
    if (limit != 0 && data.size() > limit - std::min(limit, text.size())) return false;
    const std::size_t needed = text.size() + data.size();
    if (needed > text.capacity()) {
        std::size_t grown = std::max(needed, text.capacity() * 2);
        if (limit != 0) grown = std::min(grown, limit);
        text.reserve(grown);
    }
    text.append(data);
    return true;
}

// The files libssh would read: --ssh-config's, or ~/.ssh/config then /etc/ssh/ssh_config.
std::vector<SshConfigSource> ssh_config_sources(const SshSettings& settings) {
    const char* home = std::getenv("HOME");
    const std::string user_dir = std::string(home != nullptr ? home : "") + "/.ssh";
    if (settings.ssh_config_file) return {{*settings.ssh_config_file, user_dir}};
    return {{user_dir + "/config", user_dir}, {"/etc/ssh/ssh_config", "/etc/ssh"}};
}

Result<std::optional<std::string>> read_ssh_config_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
        return make_error(fmt::format("{}: {}", path, std::strerror(errno)));
    }
    std::string text(kMaxSshConfigBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return std::optional<std::string>(std::move(text));
}

std::vector<std::string> glob_ssh_config(const std::string& pattern) {
    std::vector<std::string> paths;
    glob_t found{};
    if (::glob(pattern.c_str(), 0, nullptr, &found) == 0) {
        for (std::size_t i = 0; i < found.gl_pathc; ++i) paths.emplace_back(found.gl_pathv[i]);
    }
    ::globfree(&found);
    return paths;
}

std::string random_boundary() {
    std::random_device device;
    return fmt::format("==netdiag-{:08x}{:08x}{:08x}==", device(), device(), device());
}

}  // namespace

namespace {

// One ProxyJump hop, "[user@]host[:port]" (host may be a bracketed IPv6 address).
struct JumpHop {
    std::string user, host, port;
};

std::optional<JumpHop> parse_jump_hop(std::string_view text) {
    JumpHop hop;
    if (const auto at = text.rfind('@'); at != std::string_view::npos) {
        hop.user = std::string(text.substr(0, at));
        text.remove_prefix(at + 1);
    }
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        hop.host = std::string(text.substr(1, close - 1));
        text.remove_prefix(close + 1);
        if (!text.empty() && text.front() != ':') return std::nullopt;
    } else {
        const auto colon = text.find(':');
        hop.host = std::string(text.substr(0, colon));
        text.remove_prefix(colon == std::string_view::npos ? text.size() : colon);
    }
    if (!text.empty()) hop.port = std::string(text.substr(1));
    if (hop.host.empty() || (!text.empty() && hop.port.empty())) return std::nullopt;
    return hop;
}

// "[user@]host[:port],..." as libssh 0.10 writes a ProxyJump: "ssh [-l USER] [-p PORT] [-J REST] -W
// '[%h]:%p' HOST" (jump_proxy_command then rewrites it). Only plain characters: the command runs
// through a shell.
std::optional<std::string> libssh_jump_command(std::string_view jump) {
    const auto plain = [](std::string_view text, std::string_view extra) {
        return std::all_of(text.begin(), text.end(), [&](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
        });
    };
    const auto hops = split(trim(jump), ',');
    if (hops.empty()) return std::nullopt;
    std::vector<JumpHop> parsed;
    for (const auto hop : hops) {
        auto one = parse_jump_hop(trim(hop));
        if (!one || !plain(one->user, "._-") || !plain(one->host, ".-_:") || !plain(one->port, "") ||
            one->host.front() == '-' || (!one->user.empty() && one->user.front() == '-')) {
            return std::nullopt;
        }
        parsed.push_back(std::move(*one));
    }
    std::string command = "ssh";
    if (!parsed[0].user.empty()) command += " -l " + parsed[0].user;
    if (!parsed[0].port.empty()) command += " -p " + parsed[0].port;
    std::string rest;
    for (std::size_t i = 1; i < parsed.size(); ++i) {
        if (!rest.empty()) rest += ',';
        if (!parsed[i].user.empty()) rest += parsed[i].user + "@";
        rest += parsed[i].host.find(':') != std::string::npos ? "[" + parsed[i].host + "]" : parsed[i].host;
        if (!parsed[i].port.empty()) rest += ":" + parsed[i].port;
    }
    if (!rest.empty()) command += " -J " + rest;
    return command + " -W '[%h]:%p' " + parsed[0].host;
}

std::string escape_percent(std::string_view text) {
    std::string escaped;
    for (const char c : text) escaped += c == '%' ? std::string("%%") : std::string(1, c);
    return escaped;
}

}  // namespace

std::string jump_proxy_command(const std::string& proxy_command, const SshSettings& settings) {
    // libssh 0.10 turns `ProxyJump a,b,c` into exactly "ssh [-l USER] [-p PORT] [-J b,c] -W '[%h]:%p' a":
    // a reached through b and c, the reverse of OpenSSH's order (a first, then b, then c), and the
    // hops after the first, run by OpenSSH's own -J, would get none of netdiag's options.
    constexpr std::string_view kForward = "'[%h]:%p'";
    const auto words = split(proxy_command, ' ');
    if (words.size() < 4 || words[0] != "ssh" || words[words.size() - 2] != kForward ||
        words[words.size() - 3] != "-W") {
        return proxy_command;
    }
    JumpHop first{"", std::string(words.back()), ""};
    std::vector<JumpHop> chain;
    std::string_view rest;
    for (std::size_t i = 1; i + 3 < words.size(); i += 2) {
        if (words[i] == "-l") {
            first.user = std::string(words[i + 1]);
        } else if (words[i] == "-p") {
            first.port = std::string(words[i + 1]);
        } else if (words[i] == "-J") {
            rest = words[i + 1];
        } else {
            return proxy_command;  // not the command libssh makes
        }
    }
    chain.push_back(first);
    for (const auto hop : rest.empty() ? std::vector<std::string_view>{} : split(rest, ',')) {
        auto parsed = parse_jump_hop(hop);
        if (!parsed) return proxy_command;
        chain.push_back(std::move(*parsed));
    }
    // Every hop is an OpenSSH client: each gets netdiag's ssh_config, known_hosts, host key policy
    // and timeout, and never prompts. Hop k reaches hop k+1 (or the host) with -W; hop k itself is
    // reached by a ProxyCommand of the same form through hop k-1. Each consumer expands %-escapes
    // once (libssh for the outermost, OpenSSH for the ones inside), so an inner command's % are doubled.
    std::string options = "-o BatchMode=yes";
    if (settings.ssh_config_file) options += " -F " + shell_quote(*settings.ssh_config_file);
    if (settings.known_hosts_file) options += " -o UserKnownHostsFile=" + shell_quote(*settings.known_hosts_file);
    options += fmt::format(" -o StrictHostKeyChecking={}",
                           settings.host_key_checking == HostKeyChecking::strict       ? "yes"
                           : settings.host_key_checking == HostKeyChecking::accept_new ? "accept-new"
                                                                                        : "no");
    options += fmt::format(" -o ConnectTimeout={}", settings.connect_timeout.count());
    std::string command;
    for (const auto& hop : chain) {
        std::string next = "ssh " + options;
        if (!hop.user.empty()) next += " -l " + shell_quote(hop.user);
        if (!hop.port.empty()) next += " -p " + shell_quote(hop.port);
        if (!command.empty()) next += " -o " + shell_quote("ProxyCommand=" + escape_percent(command));
        next += fmt::format(" -W {} {}", kForward, shell_quote(hop.host));
        command = std::move(next);
    }
    return command;
}

SshLibrary::SshLibrary() { ssh_init(); }
SshLibrary::~SshLibrary() { ssh_finalize(); }

std::string_view failure_status(SshFailure kind) {
    switch (kind) {
        case SshFailure::unreachable: return "unreachable";
        case SshFailure::auth_failed: return "auth_failed";
        case SshFailure::host_key_changed: return "host_key_changed";
        case SshFailure::host_key_unknown: return "error";
        case SshFailure::timeout: return "timeout";
        case SshFailure::error: return "error";
    }
    return "error";
}

SshTransport::SshTransport(std::unique_ptr<Session> session, std::string label, std::chrono::seconds command_timeout,
                           std::size_t max_output,
                           const std::atomic<bool>* stop)
    : session_(std::move(session)), label_(std::move(label)), command_timeout_(command_timeout), max_output_(max_output), stop_(stop) {}

SshTransport::~SshTransport() = default;

std::variant<std::unique_ptr<SshTransport>, SshError> SshTransport::connect(const SshTarget& target,
                                                                             const SshSettings& shared_settings) {
    // The inventory's StrictHostKeyChecking for this host, over the flag (for its ProxyJump hops too).
    SshSettings settings = shared_settings;
    if (target.host_key_checking) settings.host_key_checking = *target.host_key_checking;
    auto session = std::make_unique<Session>();
    session->handle = ssh_new();
    if (session->handle == nullptr) return SshError{SshFailure::error, target.label + ": cannot create an SSH session"};
    ssh_session s = session->handle;
    // A passphrase-protected key must never prompt on the terminal (OpenSSL would, and block the
    // worker): it is skipped, as ssh -o BatchMode=yes skips it. The agent can hold it unlocked.
    session->callbacks.auth_function = [](const char*, char*, std::size_t, int, int, void*) { return -1; };
    ssh_callbacks_init(&session->callbacks);
    ssh_set_callbacks(s, &session->callbacks);
    const auto fail = [&](SshFailure kind, std::string_view what) {
        return SshError{kind, fmt::format("{}: {}: {}", target.label, what, ssh_get_error(s))};
    };

    // Host and user first, then ssh_config, then what the inventory says (FACTS.md's order).
    ssh_options_set(s, SSH_OPTIONS_HOST, target.address.c_str());
    if (target.user) ssh_options_set(s, SSH_OPTIONS_USER, target.user->c_str());
    std::optional<std::string> host_key_alias;
    SocketOptions socket_options_in_force;
    if (settings.use_ssh_config) {
        // The blocks OpenSSH would apply to this name, for libssh to parse (see ssh_config.hpp).
        auto resolved = resolve_ssh_config(target.address, ssh_config_sources(settings), read_ssh_config_file,
                                           glob_ssh_config);
        if (!resolved) {
            return SshError{SshFailure::error, fmt::format("{}: cannot use ssh_config: {}", target.label,
                                                           resolved.error().message)};
        }
        struct Memfd {
            int fd;
            ~Memfd() {
                if (fd >= 0) ::close(fd);
            }
        } text{::memfd_create("netdiag-ssh-config", MFD_CLOEXEC)};
        const std::string& content = resolved->text;
        if (text.fd < 0 || ::write(text.fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
            return SshError{SshFailure::error,
                            fmt::format("{}: cannot use ssh_config: {}", target.label, std::strerror(errno))};
        }
        const std::string path = fmt::format("/proc/self/fd/{}", text.fd);
        if (ssh_options_parse_config(s, path.c_str()) != SSH_OK) return fail(SshFailure::error, "cannot use ssh_config");
        if (resolved->hostname) ssh_options_set(s, SSH_OPTIONS_HOST, resolved->hostname->c_str());
        host_key_alias = resolved->host_key_alias;
        auto socket = socket_options(resolved->text);
        if (!socket) {
            return SshError{SshFailure::error, fmt::format("{}: cannot use ssh_config: {}", target.label,
                                                           socket.error().message)};
        }
        socket_options_in_force = *socket;
    } else {
        const bool process_config = false;
        ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &process_config);
    }
    if (target.port) {
        const unsigned int port = static_cast<unsigned int>(*target.port);
        ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    }
    if (target.user) ssh_options_set(s, SSH_OPTIONS_USER, target.user->c_str());
    if (target.identity_file) ssh_options_set(s, SSH_OPTIONS_ADD_IDENTITY, target.identity_file->c_str());
    if (settings.known_hosts_file) ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, settings.known_hosts_file->c_str());
    const long timeout = static_cast<long>(settings.connect_timeout.count());
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
    // With StrictHostKeyChecking off (an ssh_config may say so), libssh reports unknown and even
    // changed keys as known; keep it on so it tells the truth, and apply our own policy to that.
    const int strict = 1;
    ssh_options_set(s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &strict);
    if (target.proxy_jump) {
        // The inventory's ProxyJump, over ssh_config's as -J on ssh's command line: given to libssh
        // in the form its own ProxyJump takes, so that every hop gets netdiag's options below.
        const std::string jump = ascii_lowercase(trim(*target.proxy_jump));
        const auto command = jump == "none" ? std::optional<std::string>("none") : libssh_jump_command(*target.proxy_jump);
        if (!command) {
            return SshError{SshFailure::error,
                            fmt::format("{}: ProxyJump \"{}\" (inventory): expected [user@]host[:port] hops separated by "
                                        "commas, in plain characters",
                                        target.label, printable(*target.proxy_jump))};
        }
        ssh_options_set(s, SSH_OPTIONS_PROXYCOMMAND, command->c_str());
    }
    HopLog hop_log;
    bool proxied = false;
    if (char* proxy = nullptr; ssh_options_get(s, SSH_OPTIONS_PROXYCOMMAND, &proxy) == SSH_OK && proxy != nullptr) {
        proxied = true;
        std::string command = jump_proxy_command(proxy, settings);
        // A ProxyJump hop's own complaint ("Permission denied", "Could not resolve hostname") is
        // all that says why the host cannot be reached; libssh sees only the pipe close.
        if (command != proxy) command += hop_log.redirection();
        ssh_string_free_char(proxy);
        ssh_options_set(s, SSH_OPTIONS_PROXYCOMMAND, command.c_str());
    }
    // A ProxyCommand or ProxyJump connects on its own, run by libssh.
    if (!proxied && !socket_options_in_force.bind_address_undecided) {
        if (auto failed = connect_socket(s, session->socket, target, settings, socket_options_in_force)) return *failed;
    }

    if (ssh_connect(s) != SSH_OK) {
        std::string message = ssh_get_error(s);
        if (const auto hop = hop_log.last_line(); !hop.empty()) message += fmt::format(" (ProxyJump hop: {})", hop);
        return SshError{classify_connect_error(message), fmt::format("{}: cannot connect: {}", target.label, message)};
    }
    if (host_key_alias) {
        // As OpenSSH: the key is looked up (and, with accept-new, saved) under the alias, no port.
        char* host = nullptr;
        unsigned int port = 22;
        ssh_options_get(s, SSH_OPTIONS_HOST, &host);
        ssh_options_get_port(s, &port);
        const std::string real_host = host != nullptr ? host : target.address;
        ssh_string_free_char(host);
        const unsigned int no_port = 22;
        ssh_options_set(s, SSH_OPTIONS_HOST, host_key_alias->c_str());
        ssh_options_set(s, SSH_OPTIONS_PORT, &no_port);
        auto refused = check_host_key(s, target, settings);
        ssh_options_set(s, SSH_OPTIONS_HOST, real_host.c_str());
        ssh_options_set(s, SSH_OPTIONS_PORT, &port);
        if (refused) return *refused;
    } else if (auto refused = check_host_key(s, target, settings)) {
        return *refused;
    }

    const auto stalled = [&] {
        return SshError{SshFailure::timeout, fmt::format("{}: timed out during authentication", target.label)};
    };
    int auth = ssh_userauth_none(s, nullptr);
    if (auth == SSH_AUTH_AGAIN) return stalled();
    if (auth != SSH_AUTH_SUCCESS) auth = ssh_userauth_publickey_auto(s, nullptr, nullptr);
    if (auth == SSH_AUTH_AGAIN) return stalled();
    if (auth == SSH_AUTH_ERROR) return fail(SshFailure::error, "authentication failed");
    if (auth != SSH_AUTH_SUCCESS) {
        return SshError{SshFailure::auth_failed,
                        fmt::format("{}: no key was accepted (agent, IdentityFile, ~/.ssh/id_*)", target.label)};
    }
    std::unique_ptr<SshTransport> transport(new SshTransport(std::move(session), target.label, settings.command_timeout,
                                                             settings.max_output, settings.stop));
    transport->become_ = target.become;
    transport->become_user_ = target.become_user;
    transport->become_method_ = target.become_method;
    return transport;
}

namespace {

bool needs_root_to_read(const ReadRequest& request) {
    const auto inside = [](const std::string& path) { return read_needs_root(path); };
    return std::any_of(request.files.begin(), request.files.end(), inside) ||
           std::any_of(request.links.begin(), request.links.end(), inside);
}

std::chrono::seconds whole_seconds(std::chrono::milliseconds timeout) {
    return std::chrono::seconds(std::max<long long>(1, std::chrono::ceil<std::chrono::seconds>(timeout).count()));
}

// The last line with something on it: the failing command speaks last (sudo may warn first).
std::string last_line(std::string_view text) {
    std::string_view last;
    for (std::size_t at = 0; at < text.size();) {
        auto end = text.find('\n', at);
        if (end == std::string_view::npos) end = text.size();
        if (const auto line = trim(text.substr(at, end - at)); !line.empty()) last = line;
        at = end + 1;
    }
    return std::string(last.substr(0, 500));
}

}  // namespace

Result<CommandOutput> SshTransport::execute(const std::string& command, const std::string& input,
                                            std::chrono::milliseconds timeout, std::size_t max_output) {
    ssh_session s = session_->handle;
    ssh_channel channel = ssh_channel_new(s);
    if (channel == nullptr) return make_error(fmt::format("{}: cannot open a channel: {}", label_, ssh_get_error(s)));
    const auto close_channel = [&] {
        ssh_channel_close(channel);
        ssh_channel_free(channel);
    };
    const auto seconds = whole_seconds(timeout).count();
    // `command` is one of the fixed lines of read_script.hpp (`timeout` on the host ends a hung
    // command even if this side goes away); everything else goes on stdin.
    if (ssh_channel_open_session(channel) != SSH_OK || ssh_channel_request_exec(channel, command.c_str()) != SSH_OK) {
        const std::string message = ssh_get_error(s);
        close_channel();
        last_failure_ = SshFailure::error;
        return make_error(fmt::format("{}: cannot run a command: {}", label_, message));
    }
    // Content goes on stdin, not in argv: one argument may not exceed 128 KiB on Linux.
    const auto write_deadline = std::chrono::steady_clock::now() + timeout;
    for (std::size_t sent = 0; sent < input.size();) {
        const int n = ssh_channel_write(channel, input.data() + sent,
                                        static_cast<std::uint32_t>(std::min<std::size_t>(input.size() - sent, 32768)));
        if (n == 0 && std::chrono::steady_clock::now() >= write_deadline) {  // the host stopped taking data
            close_channel();
            last_failure_ = SshFailure::timeout;
            return make_error(fmt::format("{}: command timed out after {} s while sending its input", label_, seconds));
        }
        if (n == SSH_ERROR) {
            const std::string message = ssh_get_error(s);
            close_channel();
            last_failure_ = SshFailure::error;
            return make_error(fmt::format("{}: connection lost: {}", label_, message));
        }
        sent += static_cast<std::size_t>(n);
    }
    ssh_channel_send_eof(channel);
    CommandOutput output;
    std::array<char, 65536> buffer{};
    const auto deadline = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(2);
    while (!ssh_channel_is_eof(channel)) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (stop_ != nullptr && stop_->load()) {
            close_channel();
            last_failure_ = SshFailure::error;
            return make_error(fmt::format("{}: interrupted before it finished", label_));
        }
        if (left.count() <= 0) {
            close_channel();
            last_failure_ = SshFailure::timeout;
            return make_error(fmt::format("{}: command timed out after {} s", label_, seconds));
        }
        // read_timeout returns 0 on timeout and at EOF alike: the loop condition tells them apart.
        const int n = ssh_channel_read_timeout(channel, buffer.data(), buffer.size(), 0,
                                               static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (n == SSH_ERROR) {
            const std::string message = ssh_get_error(s);
            close_channel();
            last_failure_ = SshFailure::error;
            return make_error(fmt::format("{}: connection lost: {}", label_, message));
        }
        bool over = n > 0 && !append_within(output.out, {buffer.data(), static_cast<std::size_t>(n)},
                                             max_output == 0 ? 0 : max_output - std::min(max_output, output.err.size()));
        int e = 0;
        while (!over && (e = ssh_channel_read_nonblocking(channel, buffer.data(), buffer.size(), 1)) > 0) {
            over = !append_within(output.err, {buffer.data(), static_cast<std::size_t>(e)},
                                  max_output == 0 ? 0 : max_output - std::min(max_output, output.out.size()));
        }
        if (over) {
            close_channel();
            last_failure_ = SshFailure::error;
            return make_error(fmt::format("{}: the host sent more than {} bytes (--max-output {} MiB); its partial output "
                                          "was dropped",
                                          label_, max_output, max_output >> 20));
        }
    }
    output.exit_status = ssh_channel_get_exit_status(channel);
    close_channel();
    return output;
}

Result<std::vector<FileRead>> SshTransport::read(const ReadRequest& request) {
    bool sudo = false;
    if (needs_root_to_read(request)) {
        auto privilege = this->privilege();
        if (!privilege) return privilege.error();
        sudo = privilege->sudo;  // without sudo, what the login may see is all there is
    }
    pending_link_stats_.reset();
    const std::string boundary = random_boundary();
    std::string script = make_read_script(request, boundary);
    // The link statistics script runs after the read's end frame, with a boundary of its own.
    const std::string link_boundary = request.link_stats_follow ? random_boundary() : std::string();
    if (request.link_stats_follow) script += make_link_stats_script(link_boundary, true);
    auto output = execute(script_command(command_timeout_, sudo), wrap_buffered_stdin_script(script), command_timeout_,
                          max_output_);
    if (!output) return output.error();
    if (output->exit_status == 124) {  // the host's own `timeout` ended a read that hung there
        last_failure_ = SshFailure::timeout;
        return make_error(fmt::format("{}: command timed out after {} s on the host", label_, command_timeout_.count()));
    }
    auto reads = parse_read_script_output(output->out, boundary, label_);
    if (!reads) return reads;
    if (request.link_stats_follow) {
        // Only the link script's part is kept; a read without its frames is parsed as cut short later.
        const auto first_frame = output->out.find("\n" + link_boundary + " ");
        pending_link_stats_ = PendingLinkStats{
            first_frame == std::string::npos ? std::string() : output->out.substr(first_frame), link_boundary};
    }
    // Malformed ring paths never reach the host; they come back as errors, as locally.
    for (const auto& path : request.files) {
        if (is_ring_path(path) && !parse_ring_path(path)) reads->push_back({path, std::nullopt, "not a ring path netdiag reads"});
    }
    return reads;
}

std::optional<Result<LinkStats>> SshTransport::read_link_stats(const std::vector<std::string>& interfaces) {
    // tc prints about 250 bytes a qdisc: the cap holds kMaxQdiscs of them, and ethtool's few lines
    // for each of the 1024 interfaces the script asks at most.
    constexpr std::size_t kMaxLinkStatsOutput = std::size_t{32} << 20;
    const bool with_rings = !interfaces.empty();
    if (auto pending = std::exchange(pending_link_stats_, std::nullopt)) {
        auto stats = parse_link_stats_output(pending->output, pending->boundary, label_, with_rings, interfaces);
        // The script asked every NIC's rings; with none wanted, what it found about them is moot.
        if (stats && !with_rings) {
            std::erase_if(stats->problems, [](const LinkStats::Problem& problem) {
                return problem.subject.rfind(kRingsSubject, 0) == 0;
            });
        }
        return stats;
    }
    const std::string boundary = random_boundary();
    auto output = execute(script_command(command_timeout_, false),
                          wrap_buffered_stdin_script(make_link_stats_script(boundary, with_rings)), command_timeout_,
                          kMaxLinkStatsOutput);
    if (!output) return Result<LinkStats>(output.error());
    if (output->exit_status == 124) {
        last_failure_ = SshFailure::timeout;
        return Result<LinkStats>(make_error(
            fmt::format("{}: link statistics timed out after {} s on the host", label_, command_timeout_.count())));
    }
    return parse_link_stats_output(output->out, boundary, label_, with_rings, interfaces);
}

Result<SshTransport::Privilege> SshTransport::privilege() {
    if (privilege_) return *privilege_;
    auto output = execute(script_command(command_timeout_, false), wrap_stdin_script(make_privilege_script()),
                          command_timeout_, 4096);
    if (!output) return output.error();
    const std::string answer = last_line(output->out);  // past anything a login profile prints
    const auto space = answer.find(' ');
    Privilege privilege;
    const auto uid = space == std::string::npos ? std::string() : answer.substr(0, space);
    const auto how = space == std::string::npos ? std::string() : answer.substr(space + 1);
    const auto parsed = std::from_chars(uid.data(), uid.data() + uid.size(), privilege.uid);
    if (output->exit_status != 0 || uid.empty() || parsed.ec != std::errc{} || parsed.ptr != uid.data() + uid.size() ||
        (how != "root" && how != "sudo" && how != "denied" && how != "nosudo")) {
        const auto why = last_line(output->err);
        return make_error(fmt::format("{}: cannot tell who the login is: {}", label_,
                                      why.empty() ? fmt::format("exit status {}", output->exit_status) : why));
    }
    privilege.sudo = how == "sudo";
    const bool login_is_root = how == "root";
    if (!login_is_root && become_ == std::optional<bool>(false)) {
        privilege.sudo = false;
        privilege.refusal = "the login is not root and the inventory sets ansible_become to false; netdiag writes as root";
    } else if (!login_is_root && become_user_ && *become_user_ != "root") {
        privilege.sudo = false;
        privilege.refusal = fmt::format("the inventory's ansible_become_user is {}; netdiag writes as root", printable(*become_user_));
    } else if (!login_is_root && become_method_ && *become_method_ != "sudo") {
        privilege.sudo = false;
        privilege.refusal = fmt::format("the inventory's ansible_become_method is {}; netdiag becomes root with sudo -n only",
                                        printable(*become_method_));
    } else if (how == "denied") {
        privilege.refusal = "sudo needs a password or does not allow this user; netdiag writes as root or with "
                            "passwordless sudo (sudo -n)";
    } else if (how == "nosudo") {
        privilege.refusal = "the login is not root and sudo is not installed; netdiag writes as root or with "
                            "passwordless sudo (sudo -n)";
    }
    privilege_ = privilege;
    return privilege;
}

Status SshTransport::run_privileged(const std::string& script, const std::string& path, const std::string& data) {
    auto privilege = this->privilege();
    if (!privilege) return privilege.error();
    if (!privilege->refusal.empty()) return make_error(fmt::format("{}: {}: {}", label_, path, privilege->refusal));
    auto output = execute(line_script_command(command_timeout_, privilege->sudo), script + "\n" + data,
                          command_timeout_, 65536);
    if (!output) return output.error();
    if (output->exit_status == 0) return Ok{};
    if (output->exit_status == 124) {
        last_failure_ = SshFailure::timeout;
        return make_error(fmt::format("{}: {}: timed out after {} s on the host", label_, path, command_timeout_.count()));
    }
    const auto why = last_line(output->err);
    return make_error(fmt::format("{}: {}: {}", label_, path,
                                  why.empty() ? fmt::format("exit status {}", output->exit_status) : why));
}

Status SshTransport::write_file(const std::string& path, const std::string& content, FileAccess access) {
    if (is_ring_path(path)) {
        const auto ring = parse_ring_path(path);
        if (!ring) return make_error(fmt::format("{}: {}: not a ring path netdiag writes", label_, printable(path)));
        const auto size = parse_ring_size(content);
        if (!size) {
            return make_error(fmt::format("{}: {}: \"{}\" is not a ring size; not written", label_, path,
                                          printable(trim(content))));
        }
        return run_privileged(make_ring_write_script(*ring, *size), path, "");
    }
    if (const auto why = unusable_remote_path(path); !why.empty()) {
        return make_error(fmt::format("{}: {}: {}; not written", label_, printable(path), why));
    }
    if (is_kernel_path(path)) return run_privileged(make_kernel_write_script(path, content), path, "");
    return run_privileged(make_write_script(path, access), path, content);
}

Status SshTransport::remove_file(const std::string& path) {
    if (is_ring_path(path)) return make_error(fmt::format("{}: {}: a ring size cannot be removed", label_, printable(path)));
    if (const auto why = unusable_remote_path(path); !why.empty()) {
        return make_error(fmt::format("{}: {}: {}; not removed", label_, printable(path), why));
    }
    if (is_kernel_path(path)) return make_error(fmt::format("{}: {}: kernel files cannot be removed", label_, path));
    return run_privileged(make_remove_script(path), path, "");
}

Status SshTransport::remove_directory(const std::string& path) {
    if (const auto why = unusable_remote_path(path); !why.empty()) {
        return make_error(fmt::format("{}: {}: {}; not removed", label_, printable(path), why));
    }
    if (is_kernel_path(path)) return make_error(fmt::format("{}: {}: kernel directories cannot be removed", label_, path));
    return run_privileged(make_remove_directory_script(path), path, "");
}

Result<std::vector<FileStatus>> SshTransport::inspect(const std::vector<std::string>& paths) {
    // Ring paths are answered here, the rest by one script; the answers keep the order asked.
    std::vector<std::string> files;
    for (const auto& path : paths) {
        if (is_ring_path(path)) {
            if (!parse_ring_path(path)) return make_error(fmt::format("{}: {}: not a ring path", label_, printable(path)));
        } else {
            files.push_back(path);
        }
    }
    if (files.size() != paths.size()) {
        auto statuses = inspect(files);
        if (!statuses) return statuses;
        std::vector<FileStatus> merged;
        std::size_t next = 0;
        for (const auto& path : paths) {
            merged.push_back(is_ring_path(path) ? ring_path_status(path) : std::move((*statuses)[next++]));
        }
        return merged;
    }
    for (const auto& path : paths) {
        if (const auto why = unusable_remote_path(path); !why.empty()) {
            return make_error(fmt::format("{}: {}: {}", label_, printable(path), why));
        }
    }
    if (paths.empty()) return std::vector<FileStatus>{};
    auto privilege = this->privilege();
    if (!privilege) return privilege.error();
    // One short line per path at most.
    auto output = execute(script_command(command_timeout_, privilege->sudo), wrap_stdin_script(make_inspect_script(paths)),
                          command_timeout_, 64 * paths.size() + 4096);
    if (!output) return output.error();
    if (output->exit_status != 0) {
        const auto why = last_line(output->err);
        return make_error(fmt::format("{}: cannot examine files: {}", label_,
                                      why.empty() ? fmt::format("exit status {}", output->exit_status) : why));
    }
    return parse_inspect_output(output->out, paths, privilege->uid, label_);
}

}  // namespace netdiag
