// One sample over a remote shell: a POSIX sh script that prints every requested file (and link
// target) between random boundaries, and the pure parser of what it prints. Nothing but sh,
// cat, readlink and printf is needed on the host.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "remote/transport.hpp"

namespace netdiag {

// `boundary` must be random per request (so no file's content can fake a frame).
std::string make_read_script(const ReadRequest& request, std::string_view boundary);

// Errors name `host` when the output is cut short or not framed as expected.
Result<std::vector<FileRead>> parse_read_script_output(std::string_view output, std::string_view boundary,
                                                       std::string_view host);

// Quotes a string for a POSIX shell, glob characters included: 'it'\''s'.
std::string shell_quote(std::string_view text);

}  // namespace netdiag
