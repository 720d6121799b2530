// What this binary is: its version, the commit it was built from and the libraries linked in,
// for --version and the JSON outputs' metadata.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace netdiag {

struct BuildInfo {
    std::string version;  // "0.1.0"
    std::string commit;   // "5bd4b41f0a2c", "...-dirty", or "unknown" outside git
    std::string libssh;   // "0.10.6/openssl/zlib"
    std::string openssl;  // "OpenSSL 3.0.17 1 Jul 2025"
};

BuildInfo build_info();

// "netdiag 0.1.0 (commit 5bd4b41f0a2c)\nlibssh 0.10.6/openssl/zlib\nOpenSSL 3.0.17 1 Jul 2025"
std::string version_text();

// {"version": ..., "commit": ..., "libssh": ..., "openssl": ...}
nlohmann::json build_info_json();

// A JSON output with "generated_by": build_info_json() added (every schema allows it).
inline nlohmann::json with_build_info(nlohmann::json document) {
    document["generated_by"] = build_info_json();
    return document;
}

}  // namespace netdiag
