#include "report/build_info.hpp"

#include <fmt/format.h>
#include <libssh/libssh.h>
#include <openssl/crypto.h>

#include "netdiag_commit.hpp"

namespace netdiag {

BuildInfo build_info() {
    const char* libssh = ssh_version(0);
    return BuildInfo{NETDIAG_VERSION, NETDIAG_COMMIT, libssh != nullptr ? libssh : "unknown",
                     OpenSSL_version(OPENSSL_VERSION)};
}

std::string version_text() {
    const auto info = build_info();
    return fmt::format("netdiag {} (commit {})\nlibssh {}\n{}", info.version, info.commit, info.libssh, info.openssl);
}

nlohmann::json build_info_json() {
    const auto info = build_info();
    return {{"version", info.version}, {"commit", info.commit}, {"libssh", info.libssh}, {"openssl", info.openssl}};
}

}  // namespace netdiag
