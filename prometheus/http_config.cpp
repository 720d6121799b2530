#include "prometheus/http_config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/text.hpp"

namespace netdiag {
namespace {

std::string at(std::string_view file, const YAML::Node& node) {
    return fmt::format("{}:{}: ", file, node.Mark().line + 1);
}

// A mapping's keys, each one of `known`.
Status only_keys(const YAML::Node& map, std::initializer_list<std::string_view> known, std::string_view file,
                 std::string_view section) {
    if (!map.IsMap()) return make_error(fmt::format("{}{} must be a mapping", at(file, map), section));
    for (const auto& entry : map) {
        const auto name = entry.first.as<std::string>();
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            std::string names;
            for (const auto k : known) names += fmt::format("{}{}", names.empty() ? "" : ", ", k);
            return make_error(fmt::format("{}{}: unknown key \"{}\" (known: {})", at(file, entry.first), section,
                                          printable(name), names));
        }
    }
    return Ok{};
}

Result<std::optional<std::string>> text_of(const YAML::Node& map, const char* key, std::string_view file) {
    const auto node = map[key];
    if (!node) return std::optional<std::string>();
    if (!node.IsScalar()) return make_error(fmt::format("{}{} must be a string", at(file, node), key));
    return std::optional<std::string>(node.as<std::string>());
}

// The secret inline or from its file (exactly one of them).
Result<std::optional<std::string>> secret(const YAML::Node& map, const char* inline_key, const char* file_key,
                                          std::string_view file, const ReadCredential& read) {
    auto value = text_of(map, inline_key, file);
    if (!value) return value.error();
    auto path = text_of(map, file_key, file);
    if (!path) return path.error();
    if (*value && *path) {
        return make_error(fmt::format("{}{} and {} are exclusive", at(file, map), inline_key, file_key));
    }
    std::string where = fmt::format("{}{}: ", at(file, map), inline_key);
    std::string text;
    if (*path) {
        auto read_text = read(**path);
        if (!read_text) return make_error(fmt::format("{}{}: {}", at(file, map[file_key]), file_key, read_text.error().message));
        if (read_text->size() > 4096) return make_error(fmt::format("{}{}: longer than 4096 bytes", at(file, map[file_key]), file_key));
        text = std::move(read_text).value();
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        where = fmt::format("{}{} {}: ", at(file, map[file_key]), file_key, printable(**path));
    } else if (*value) {
        text = **value;
    } else {
        return std::optional<std::string>();
    }
    if (has_control_characters(text)) return make_error(where + "holds control characters (one line expected)");
    return std::optional<std::string>(std::move(text));
}

}  // namespace

Result<PrometheusAccess> parse_http_config(std::string_view text, std::string_view file, const ReadCredential& read) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        return make_error(fmt::format("{}:{}: {}", file, e.mark.line + 1, e.msg));
    }
    PrometheusAccess access;
    if (root.IsNull()) return access;
    try {
        if (auto known = only_keys(root, {"basic_auth", "authorization", "bearer_token", "bearer_token_file", "tls_config"},
                                   file, "the http config");
            !known) {
            return known.error();
        }
        int schemes = 0;
        if (const auto basic = root["basic_auth"]) {
            ++schemes;
            if (auto known = only_keys(basic, {"username", "username_file", "password", "password_file"}, file, "basic_auth");
                !known) {
                return known.error();
            }
            auto user = secret(basic, "username", "username_file", file, read);
            if (!user) return user.error();
            auto password = secret(basic, "password", "password_file", file, read);
            if (!password) return password.error();
            if (!*user) return make_error(fmt::format("{}basic_auth needs a username", at(file, basic)));
            if ((*user)->find(':') != std::string::npos) {
                return make_error(fmt::format("{}basic_auth: a username cannot hold ':'", at(file, basic)));
            }
            access.authorization = "Basic " + base64(**user + ":" + password->value_or(""));
        }
        if (const auto authorization = root["authorization"]) {
            ++schemes;
            if (auto known = only_keys(authorization, {"type", "credentials", "credentials_file"}, file, "authorization");
                !known) {
                return known.error();
            }
            auto type = text_of(authorization, "type", file);
            if (!type) return type.error();
            auto credentials = secret(authorization, "credentials", "credentials_file", file, read);
            if (!credentials) return credentials.error();
            if (!*credentials) {
                return make_error(fmt::format("{}authorization needs credentials or credentials_file", at(file, authorization)));
            }
            const std::string scheme = type->value_or("Bearer");
            if (scheme.empty() || has_control_characters(scheme) || scheme.find(' ') != std::string::npos) {
                return make_error(fmt::format("{}authorization: type must be one word", at(file, authorization)));
            }
            access.authorization = scheme + " " + **credentials;
        }
        if (root["bearer_token"] || root["bearer_token_file"]) {
            ++schemes;
            auto token = secret(root, "bearer_token", "bearer_token_file", file, read);
            if (!token) return token.error();
            access.authorization = "Bearer " + token->value_or("");
        }
        if (schemes > 1) {
            return make_error(fmt::format("{}:1: basic_auth, authorization and bearer_token are exclusive", file));
        }
        if (const auto tls = root["tls_config"]) {
            if (auto known = only_keys(tls, {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"},
                                       file, "tls_config");
                !known) {
                return known.error();
            }
            for (auto [key, slot] : {std::pair{"ca_file", &access.tls.ca_file}, std::pair{"cert_file", &access.tls.cert_file},
                                     std::pair{"key_file", &access.tls.key_file},
                                     std::pair{"server_name", &access.tls.server_name}}) {
                auto value = text_of(tls, key, file);
                if (!value) return value.error();
                *slot = *value;
            }
            if (access.tls.key_file && !access.tls.cert_file) {
                return make_error(fmt::format("{}tls_config: key_file needs cert_file", at(file, tls)));
            }
            if (const auto skip = tls["insecure_skip_verify"]) {
                bool value = false;
                if (!YAML::convert<bool>::decode(skip, value)) {
                    return make_error(fmt::format("{}insecure_skip_verify must be true or false", at(file, skip)));
                }
                access.tls.insecure_skip_verify = value;
            }
        }
    } catch (const YAML::Exception& e) {
        return make_error(fmt::format("{}:{}: {}", file, e.mark.line + 1, e.msg));
    }
    return access;
}

}  // namespace netdiag
