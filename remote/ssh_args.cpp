#include "remote/ssh_args.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/shlex.hpp"
#include "common/text.hpp"

namespace netdiag {

namespace {

// One option by its ssh_config name, as -o gives it or a short flag stands for it.
Status take_option(const std::string& name, const std::string& value, const std::string& as_written, SshArgs& args) {
    const auto key = ascii_lowercase(name);
    if (key == "proxyjump") {
        if (!args.proxy_jump) args.proxy_jump = value;
    } else if (key == "port") {
        const auto port = parse_u64(value);
        if (!port || *port < 1 || *port > 65535) return make_error(fmt::format("{}: the port must be 1-65535", as_written));
        if (!args.port) args.port = static_cast<int>(*port);
    } else if (key == "user") {
        if (!args.user) args.user = value;
    } else if (key == "identityfile") {
        if (!args.identity_file) args.identity_file = value;
    } else if (key == "stricthostkeychecking") {
        const auto setting = ascii_lowercase(value);
        std::string policy;
        if (setting == "yes" || setting == "ask") {
            policy = "strict";  // netdiag never prompts: ask is refused like yes
        } else if (setting == "accept-new") {
            policy = "accept-new";
        } else if (setting == "no" || setting == "off") {
            policy = "off";
        } else {
            return make_error(fmt::format("{}: StrictHostKeyChecking is yes, accept-new, no, off or ask", as_written));
        }
        if (!args.strict_host_key_checking) args.strict_host_key_checking = policy;
    } else {
        args.ignored.push_back(as_written);
    }
    return Ok{};
}

}  // namespace

Result<SshArgs> parse_ssh_args(std::string_view text, SshArgs base) {
    auto words = shlex_split(text, false);  // as Ansible's ssh plugin splits them
    if (!words) return words.error();
    SshArgs& args = base;
    const auto& list = *words;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string& word = list[i];
        // Flags that take a value, attached ("-p2222") or as the next word ("-p 2222").
        if (word.size() >= 2 && word[0] == '-' && std::string_view("oJpli").find(word[1]) != std::string_view::npos) {
            std::string value;
            std::string as_written = word;
            if (word.size() > 2) {
                value = word.substr(2);
            } else {
                if (i + 1 >= list.size()) return make_error(fmt::format("{} needs a value", word));
                value = list[++i];
                as_written += " " + value;
            }
            Status taken = Ok{};
            switch (word[1]) {
                case 'o': {
                    // "-o Key=Value" or "-o 'Key Value'", as ssh_config lines.
                    const auto separator = value.find_first_of("= \t");
                    if (separator == std::string::npos) return make_error(fmt::format("{}: expected -o Key=Value", as_written));
                    std::string option_value(trim(std::string_view(value).substr(separator + 1)));
                    if (!option_value.empty() && option_value[0] == '=') option_value = std::string(trim(std::string_view(option_value).substr(1)));
                    taken = take_option(value.substr(0, separator), option_value, as_written, args);
                    break;
                }
                case 'J': taken = take_option("ProxyJump", value, as_written, args); break;
                case 'p': taken = take_option("Port", value, as_written, args); break;
                case 'l': taken = take_option("User", value, as_written, args); break;
                case 'i': taken = take_option("IdentityFile", value, as_written, args); break;
            }
            if (!taken) return taken.error();
        } else {
            args.ignored.push_back(word);
        }
    }
    return args;
}

}  // namespace netdiag
