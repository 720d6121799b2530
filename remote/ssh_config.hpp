// ssh_config as OpenSSH reads it for one host, made into what libssh 0.10 applies the same way.
// libssh matches each `Host` line against the HostName an earlier block set, not against the name
// given: after "Host web1 / HostName 10.0.0.1", a later "Host web*" is skipped and a "Host 10.*"
// applied. Here the blocks that match the name given are chosen as OpenSSH would, their lines kept
// in order under "Host *", and HostName taken out for netdiag to set once libssh has parsed them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace netdiag {

struct SshConfigSource {
    std::string path;          // for errors, and for Include's relative paths' sake only
    std::string include_base;  // where a relative Include looks: ~/.ssh, or /etc/ssh
};

struct ResolvedSshConfig {
    std::string text;                     // for ssh_options_parse_config
    std::optional<std::string> hostname;  // the first HostName that applies, %h and %% expanded
    // The first HostKeyAlias that applies: the name known_hosts holds the key under (no port).
    std::optional<std::string> host_key_alias;
};

// Reads a config file: its text, nullopt when it does not exist, or an error.
using SshConfigReader = std::function<Result<std::optional<std::string>>(const std::string& path)>;
// Expands an Include pattern (already made absolute) to the paths it names, sorted.
using SshConfigGlob = std::function<std::vector<std::string>(const std::string& pattern)>;

// At most 16 levels of Include, 256 files and 1 MiB in all; a file past them is an error naming it.
inline constexpr int kMaxSshConfigDepth = 16;
inline constexpr std::size_t kMaxSshConfigFiles = 256;
inline constexpr std::size_t kMaxSshConfigBytes = std::size_t{1} << 20;

// `host` is the name netdiag was given (an inventory's address or the alias itself). `Match`
// lines with only all, host, originalhost, canonical or final are decided here (host and
// originalhost against `host`); a Match with other criteria (exec, user, localuser, ...) is passed
// to libssh as it stands, and a HostName inside it is not taken.
Result<ResolvedSshConfig> resolve_ssh_config(std::string_view host, const std::vector<SshConfigSource>& sources,
                                             const SshConfigReader& read, const SshConfigGlob& glob);

// OpenSSH's pattern list for Host: whitespace-separated patterns with * and ?, a leading ! negates
// (a negated match rules the block out); compared without regard to case.
bool ssh_host_matches(std::string_view host, const std::vector<std::string>& patterns);

}  // namespace netdiag
