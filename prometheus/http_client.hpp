// A small HTTP/1.1 client for the Prometheus HTTP API: one POST per connection, TLS through
// OpenSSL with certificate and host name checks, every byte the server sends bounded.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace netdiag {

struct HttpEndpoint {
    bool tls = false;
    std::string host;       // name or address; an IPv6 literal without brackets
    int port = 0;
    std::string base_path;  // "" or "/prometheus" (no trailing slash)

    std::string url() const;  // for messages
};

// "http://host:9090", "https://[::1]/prom/": scheme, host, optional port and path; no user
// information (credentials come from files, never from the command line).
Result<HttpEndpoint> parse_http_url(std::string_view url);

struct TlsSettings {
    std::optional<std::string> ca_file;    // else the system's trust store
    std::optional<std::string> cert_file, key_file;  // a client certificate
    std::optional<std::string> server_name;  // checked against the certificate instead of the host
    bool insecure_skip_verify = false;
};

struct HttpClientConfig {
    HttpEndpoint endpoint;
    std::chrono::milliseconds timeout{30000};  // one whole request: connect, send, receive
    std::size_t max_body = std::size_t{64} << 20;
    std::optional<std::string> authorization;  // the Authorization header's value
    TlsSettings tls;
    const std::atomic<bool>* cancelled = nullptr;
};

struct HttpResponse {
    int status = 0;
    std::string content_type;
    std::string body;
};

// POSTs an application/x-www-form-urlencoded body to endpoint.base_path + path. Errors name the
// URL and say what went wrong (connect, TLS, timeout, a response over max_body, bad framing).
Result<HttpResponse> http_post_form(const HttpClientConfig& config, std::string_view path, std::string_view form);

// Pure: "a b&c" -> "a+b%26c".
std::string form_escape(std::string_view text);

// Pure: the body of a response as received, headers and framing (Content-Length or chunked)
// checked; `limit` bounds the body.
// Takes the raw bytes by value so that a large body is cut out of them in place, not copied.
Result<HttpResponse> parse_http_response(std::string raw, std::size_t limit);

// Pure: RFC 4648 base64, for Basic authorization.
std::string base64(std::string_view bytes);

}  // namespace netdiag
