// Python's shlex.split in POSIX mode, which Ansible applies to INI inventory lines
// (ansible.utils.shlex_split, with comments) and to ansible_ssh_common_args / extra_args (its ssh
// plugin, without): quotes and backslashes, no expansion.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace netdiag {

// 'a b' "c \"d\"" e\ f -> [a b] [c "d"] [e f]. Inside double quotes a backslash escapes only " and
// \ (shlex's rule, not sh's: "\$x" keeps its backslash). Whitespace is space, tab, CR and LF. With
// `comments`, '#' outside quotes ends the line. Errors: an unclosed quote, a trailing backslash.
Result<std::vector<std::string>> shlex_split(std::string_view text, bool comments);

}  // namespace netdiag
