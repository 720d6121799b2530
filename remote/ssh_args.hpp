// The OpenSSH command-line options operators put in Ansible inventories (ansible_ssh_common_args,
// ansible_ssh_extra_args), reduced to what netdiag's SSH client can honour. A pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace netdiag {

struct SshArgs {
    std::optional<std::string> proxy_jump;                // -J HOPS, -o ProxyJump=HOPS
    std::optional<int> port;                              // -p PORT, -o Port=PORT
    std::optional<std::string> user;                      // -l USER, -o User=USER
    std::optional<std::string> identity_file;             // -i FILE, -o IdentityFile=FILE
    std::optional<std::string> strict_host_key_checking;  // "strict", "accept-new" or "off"
    std::vector<std::string> ignored;                     // every other option, as written ("-o ControlMaster=auto")
};

// Splits `text` as Ansible does, with Python's shlex (common/shlex.hpp), then reads the options
// in order; as in OpenSSH, the first value of each one wins, so `base` (the common args) is read
// before the extra args. Errors: unbalanced quotes, an option without its value, a port that is
// not 1-65535, an unknown StrictHostKeyChecking value.
Result<SshArgs> parse_ssh_args(std::string_view text, SshArgs base = {});

}  // namespace netdiag
