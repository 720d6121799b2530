// How to reach a Prometheus server: credentials and TLS, in the http_config format Prometheus'
// own clients take (promtool --http.config.file, remote_read, scrape configs).
//
//   basic_auth: {username: netdiag, password_file: /etc/netdiag/prometheus.pass}
//   authorization: {type: Bearer, credentials_file: /etc/netdiag/prometheus.token}
//   tls_config: {ca_file: /etc/ssl/prom-ca.pem, cert_file: ..., key_file: ..., server_name: ...,
//                insecure_skip_verify: false}
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "prometheus/http_client.hpp"

namespace netdiag {

struct PrometheusAccess {
    std::optional<std::string> authorization;  // the Authorization header's value
    TlsSettings tls;
};

// Reads a credential file (bounded); the caller's file reader.
using ReadCredential = std::function<Result<std::string>(const std::string& path)>;

// Pure but for `read`: the file's text to the header and TLS settings. Errors are "file:line: what".
// A credential is one line: a trailing newline is dropped, any other control character refused
// (it would end up in a request header).
Result<PrometheusAccess> parse_http_config(std::string_view text, std::string_view file, const ReadCredential& read);

}  // namespace netdiag
