#include "remote/ssh_config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "common/text.hpp"

namespace netdiag {
namespace {


// A config line: its keyword (lower case) and arguments; "Keyword=value" and quoted arguments as
// OpenSSH reads them. An empty keyword is a blank line or a comment.
struct ConfigLine {
    std::string keyword;
    std::vector<std::string> arguments;
};

ConfigLine tokenize(std::string_view line) {
    ConfigLine parsed;
    std::size_t at = line.find_first_not_of(" \t\r");
    if (at == std::string_view::npos || line[at] == '#') return parsed;
    const std::size_t keyword_end = line.find_first_of(" \t\r=", at);
    parsed.keyword = ascii_lowercase(line.substr(at, keyword_end - at));
    at = keyword_end;
    if (at != std::string_view::npos) {
        at = line.find_first_not_of(" \t\r", at);
        if (at != std::string_view::npos && line[at] == '=') at = line.find_first_not_of(" \t\r", at + 1);
    }
    while (at != std::string_view::npos && at < line.size()) {
        std::string argument;
        if (line[at] == '"') {
            const auto close = line.find('"', at + 1);
            argument = std::string(line.substr(at + 1, close == std::string_view::npos ? close : close - at - 1));
            at = close == std::string_view::npos ? close : close + 1;
        } else {
            const auto end = line.find_first_of(" \t\r", at);
            argument = std::string(line.substr(at, end == std::string_view::npos ? end : end - at));
            at = end;
        }
        parsed.arguments.push_back(std::move(argument));
        if (at != std::string_view::npos) at = line.find_first_not_of(" \t\r", at);
    }
    return parsed;
}

// %h is the name given, %% a percent sign; other tokens are left for libssh.
std::string expand_hostname(std::string_view value, std::string_view host) {
    std::string expanded;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '%' && i + 1 < value.size() && (value[i + 1] == 'h' || value[i + 1] == '%')) {
            expanded += value[i + 1] == 'h' ? std::string(host) : std::string("%");
            ++i;
        } else {
            expanded += value[i];
        }
    }
    return expanded;
}

// The comma-separated pattern list of Match host/originalhost.
bool list_matches(std::string_view host, std::string_view list) {
    std::vector<std::string> patterns;
    for (const auto pattern : split(list, ',')) patterns.emplace_back(pattern);
    return ssh_host_matches(host, patterns);
}

class Resolver {
public:
    Resolver(std::string_view host, const SshConfigReader& read, const SshConfigGlob& glob)
        : host_(host), read_(read), glob_(glob) {}

    Status file(const std::string& path, const std::string& include_base, int depth) {
        if (depth > kMaxSshConfigDepth) return make_error(fmt::format("{}: Include nested more than {} deep", path, kMaxSshConfigDepth));
        if (++files_ > kMaxSshConfigFiles) return make_error(fmt::format("{}: more than {} files included", path, kMaxSshConfigFiles));
        auto text = read_(path);
        if (!text) return text.error();
        if (!*text) return Ok{};  // as libssh: a config file that is not there is none
        if (depth == 0) {
            // Each file starts outside any block, as when libssh reads them one after the other.
            state_ = State::active;
            text_ += "Host *\n";
        }
        bytes_ += (*text)->size();
        if (bytes_ > kMaxSshConfigBytes) return make_error(fmt::format("{}: ssh_config with its includes passes {} KiB", path, kMaxSshConfigBytes >> 10));
        for (const auto raw : lines_of(**text)) {
            auto line = tokenize(raw);
            if (line.keyword.empty()) continue;
            if (line.keyword == "include") {
                // OpenSSH reads an included file in the block's state (never matching inside an
                // inactive block) and comes back to that state after it.
                const State outer = state_;
                const std::string outer_match = last_match_;
                for (const auto& pattern : line.arguments) {
                    const std::string absolute = pattern.starts_with("/") ? pattern
                                                 : pattern.starts_with("~/") ? include_base_home(pattern)
                                                                             : include_base + "/" + pattern;
                    for (const auto& included : glob_(absolute)) {
                        never_match_ += outer == State::inactive ? 1 : 0;
                        auto status = file(included, include_base, depth + 1);
                        never_match_ -= outer == State::inactive ? 1 : 0;
                        if (!status) return status;
                    }
                }
                state_ = outer;
                last_match_ = outer_match;
                if (state_ == State::active) text_ += "Host *\n";
                if (state_ == State::passed_on) text_ += last_match_ + "\n";
                continue;
            }
            if (line.keyword == "host") {
                state_ = never_match_ == 0 && ssh_host_matches(host_, line.arguments) ? State::active : State::inactive;
                if (state_ == State::active) text_ += "Host *\n";
                continue;
            }
            if (line.keyword == "match") {
                match(line, raw);
                continue;
            }
            if (state_ == State::inactive) continue;
            if (line.keyword == "hostkeyalias") {
                // libssh 0.10 does not know it; netdiag checks the host key under it.
                if (state_ == State::active && !host_key_alias_ && !line.arguments.empty()) {
                    host_key_alias_ = line.arguments.front();
                }
                continue;
            }
            if (line.keyword == "hostname") {
                // Never to libssh: it would match the Host lines after it against this name.
                if (state_ == State::active && !hostname_ && !line.arguments.empty()) {
                    hostname_ = expand_hostname(line.arguments.front(), host_);
                }
                continue;
            }
            text_ += std::string(raw) + "\n";
        }
        return Ok{};
    }

    ResolvedSshConfig result() && { return {std::move(text_), std::move(hostname_), std::move(host_key_alias_)}; }

private:
    enum class State { active, inactive, passed_on };

    static std::string include_base_home(const std::string& pattern) {
        const char* home = std::getenv("HOME");
        return std::string(home != nullptr ? home : "") + pattern.substr(1);
    }

    // Decided here when every criterion is one this side knows; otherwise passed on to libssh,
    // which then decides the lines up to the next Host or Match.
    void match(const ConfigLine& line, std::string_view raw) {
        bool result = true;
        for (std::size_t i = 0; i < line.arguments.size(); ++i) {
            std::string criterion = ascii_lowercase(line.arguments[i]);
            const bool negate = criterion.starts_with("!");
            if (negate) criterion.erase(0, 1);
            if (criterion == "all" || criterion == "canonical" || criterion == "final") {
                if (criterion == "all" && negate) result = false;
                continue;
            }
            if ((criterion == "host" || criterion == "originalhost") && i + 1 < line.arguments.size()) {
                result = result && (list_matches(host_, line.arguments[++i]) != negate);
                continue;
            }
            if (never_match_ > 0) break;
            state_ = State::passed_on;
            last_match_ = std::string(raw);
            text_ += last_match_ + "\n";
            return;
        }
        state_ = result && never_match_ == 0 ? State::active : State::inactive;
        if (state_ == State::active) text_ += "Host *\n";
    }

    std::string host_;
    const SshConfigReader& read_;
    const SshConfigGlob& glob_;
    State state_ = State::active;  // lines before any Host or Match apply to every host
    std::string text_;
    std::optional<std::string> hostname_, host_key_alias_;
    std::string last_match_;  // the Match line passed on, to restore after an Include
    int never_match_ = 0;     // inside files included from an inactive block
    std::size_t files_ = 0, bytes_ = 0;
};

}  // namespace

bool ssh_host_matches(std::string_view host, const std::vector<std::string>& patterns) {
    const std::string lower = ascii_lowercase(host);
    bool matched = false;
    for (const auto& pattern : patterns) {
        const bool negate = pattern.starts_with("!");
        const std::string lower_pattern = ascii_lowercase(negate ? std::string_view(pattern).substr(1) : pattern);
        if (wildcard_match(lower_pattern, lower)) {  // OpenSSH's match_pattern: * and ?
            if (negate) return false;
            matched = true;
        }
    }
    return matched;
}

Result<ResolvedSshConfig> resolve_ssh_config(std::string_view host, const std::vector<SshConfigSource>& sources,
                                             const SshConfigReader& read, const SshConfigGlob& glob) {
    Resolver resolver(host, read, glob);
    for (const auto& source : sources) {
        if (auto status = resolver.file(source.path, source.include_base, 0); !status) return status.error();
    }
    return std::move(resolver).result();
}

}  // namespace netdiag
