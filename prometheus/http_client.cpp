#include "prometheus/http_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/text.hpp"
#include "remote/tcp_connect.hpp"

namespace netdiag {

std::string HttpEndpoint::url() const {
    const bool v6 = host.find(':') != std::string::npos;
    return fmt::format("{}://{}{}{}:{}{}", tls ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "", port, base_path);
}

Result<HttpEndpoint> parse_http_url(std::string_view url) {
    const auto bad = [&](std::string_view why) {
        return make_error(fmt::format("--prometheus {}: {}", printable(url), why));
    };
    HttpEndpoint endpoint;
    std::string_view rest;
    if (starts_with(url, "http://")) {
        rest = url.substr(7);
    } else if (starts_with(url, "https://")) {
        endpoint.tls = true;
        rest = url.substr(8);
    } else {
        return bad("needs http:// or https://");
    }
    if (has_control_characters(url) || url.find(' ') != std::string_view::npos) return bad("has spaces or control characters");
    const auto slash = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (!path.empty() && path.front() != '/') return bad("queries and fragments are not taken");
    if (authority.find('@') != std::string_view::npos) {
        return bad("credentials in the URL are not taken (use --prometheus-config with basic_auth.password_file)");
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return bad("unclosed [ in the host");
        endpoint.host = std::string(authority.substr(1, close - 1));
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return bad("expected :PORT after ]");
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        endpoint.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (endpoint.host.empty()) return bad("no host");
    if (!port_text.empty()) {
        const auto port = parse_u64(port_text);
        if (!port || *port == 0 || *port > 65535) return bad("the port must be 1-65535");
        endpoint.port = static_cast<int>(*port);
    } else {
        endpoint.port = endpoint.tls ? 443 : 80;
    }
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    endpoint.base_path = std::string(path);
    return endpoint;
}

std::string form_escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else if (c == ' ') {
            out += '+';
        } else {
            out += fmt::format("%{:02X}", byte);
        }
    }
    return out;
}

std::string base64(std::string_view bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
        out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], kAlphabet[n & 63]};
    }
    if (i + 1 == bytes.size()) {
        const auto n = static_cast<unsigned char>(bytes[i]) << 16;
        out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], '=', '='};
    } else if (i + 2 == bytes.size()) {
        const auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
    }
    return out;
}

namespace {


Result<std::string> decode_chunked(std::string_view body, std::size_t limit) {
    std::string out;
    while (true) {
        const auto end = body.find("\r\n");
        if (end == std::string_view::npos) return make_error("a chunk size line is cut off");
        auto size_text = body.substr(0, end);
        if (const auto semicolon = size_text.find(';'); semicolon != std::string_view::npos) {
            size_text = size_text.substr(0, semicolon);  // chunk extensions
        }
        const auto size = parse_u64(trim(size_text), 16);
        if (!size || trim(size_text).size() > 15) return make_error("a chunk size is not hexadecimal");
        body.remove_prefix(end + 2);
        if (*size == 0) return out;  // trailers, if any, are ignored
        if (*size > limit - out.size()) return make_too_large_error(fmt::format("the body is larger than {} bytes", limit));
        if (body.size() < *size + 2) return make_error("a chunk is cut off");
        out.append(body.substr(0, *size));
        if (body.substr(*size, 2) != "\r\n") return make_error("a chunk does not end in CRLF");
        body.remove_prefix(*size + 2);
    }
}

}  // namespace

Result<HttpResponse> parse_http_response(std::string raw, std::size_t limit) {
    const auto head_end = raw.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
        return make_error(raw.empty() ? "the server closed the connection without a response"
                                      : "the response headers are cut off or not HTTP");
    }
    const auto lines = split(std::string_view(raw).substr(0, head_end), '\n');
    HttpResponse response;
    const auto status_line = trim(lines.front());
    const auto fields = split_ws(status_line);
    if (fields.size() < 2 || !starts_with(fields[0], "HTTP/1.")) {
        return make_error(fmt::format("not an HTTP response: {}", printable(status_line.substr(0, 80))));
    }
    const auto status = parse_u64(fields[1]);
    if (!status || *status < 100 || *status > 599) return make_error("the response has no valid status code");
    response.status = static_cast<int>(*status);
    std::optional<std::uint64_t> content_length;
    bool chunked = false;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto line = trim(lines[i]);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return make_error("a response header has no colon");
        const auto name = ascii_lowercase(trim(line.substr(0, colon)));
        const auto value = trim(line.substr(colon + 1));
        if (name == "content-length") {
            content_length = parse_u64(value);
            if (!content_length) return make_error("Content-Length is not a number");
        } else if (name == "transfer-encoding") {
            chunked = ascii_lowercase(value).find("chunked") != std::string::npos;
        } else if (name == "content-type") {
            response.content_type = std::string(value);
        } else if (name == "content-encoding" && ascii_lowercase(value) != "identity") {
            return make_error(fmt::format("the response is {}-encoded (identity was asked for)", printable(value)));
        }
    }
    const auto body_size = raw.size() - head_end - 4;
    if (chunked) {
        auto decoded = decode_chunked(std::string_view(raw).substr(head_end + 4), limit);
        if (!decoded) return decoded.error();
        response.body = std::move(decoded).value();
        return response;
    }
    if (content_length) {
        if (*content_length > limit) return make_too_large_error(fmt::format("the body is larger than {} bytes", limit));
        if (body_size < *content_length) return make_error("the body is shorter than its Content-Length (cut off)");
    } else if (body_size > limit) {
        return make_too_large_error(fmt::format("the body is larger than {} bytes", limit));
    }
    raw.erase(0, head_end + 4);
    if (content_length) raw.resize(*content_length);
    response.body = std::move(raw);
    return response;
}

namespace {

using Clock = std::chrono::steady_clock;

struct SslDeleter {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};

std::string openssl_error() {
    const auto code = ERR_get_error();
    if (code == 0) return "unknown TLS error";
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    ERR_clear_error();
    return text;
}

class Connection {
public:
    Connection(const HttpClientConfig& config, int fd) : config_(config), fd_(fd) {
        deadline_ = Clock::now() + config.timeout;
    }
    ~Connection() {
        ssl_.reset();
        ctx_.reset();
        if (fd_ >= 0) ::close(fd_);
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    Status start_tls() {
        ctx_.reset(SSL_CTX_new(TLS_client_method()));
        if (!ctx_) return make_error(openssl_error());
        SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
        // Servers that close without close_notify are common; what came is judged by its framing
        // (Content-Length, chunks, and JSON that must be whole).
        SSL_CTX_set_options(ctx_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
        const auto& tls = config_.tls;
        if (!tls.insecure_skip_verify) {
            SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
            const bool loaded = tls.ca_file ? SSL_CTX_load_verify_locations(ctx_.get(), tls.ca_file->c_str(), nullptr) == 1
                                            : SSL_CTX_set_default_verify_paths(ctx_.get()) == 1;
            if (!loaded) {
                return make_error(fmt::format("cannot load the CA file {}: {}", tls.ca_file.value_or("(system)"),
                                              openssl_error()));
            }
        }
        if (tls.cert_file) {
            if (SSL_CTX_use_certificate_chain_file(ctx_.get(), tls.cert_file->c_str()) != 1 ||
                SSL_CTX_use_PrivateKey_file(ctx_.get(), tls.key_file.value_or(*tls.cert_file).c_str(),
                                            SSL_FILETYPE_PEM) != 1) {
                return make_error(fmt::format("cannot load the client certificate {}: {}", *tls.cert_file,
                                              openssl_error()));
            }
        }
        ssl_.reset(SSL_new(ctx_.get()));
        if (!ssl_) return make_error(openssl_error());
        const std::string name = tls.server_name.value_or(config_.endpoint.host);
        in6_addr address6{};
        in_addr address4{};
        const bool literal = ::inet_pton(AF_INET6, name.c_str(), &address6) == 1 ||
                             ::inet_pton(AF_INET, name.c_str(), &address4) == 1;
        if (!literal) SSL_set_tlsext_host_name(ssl_.get(), name.c_str());
        if (!tls.insecure_skip_verify) {
            auto* param = SSL_get0_param(ssl_.get());
            const int set = literal ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                                    : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
            if (set != 1) return make_error(openssl_error());
        }
        SSL_set_fd(ssl_.get(), fd_);
        while (true) {
            const int done = SSL_connect(ssl_.get());
            if (done == 1) return Ok{};
            const int error = SSL_get_error(ssl_.get(), done);
            if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
                if (auto waited = wait(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT); !waited) return waited;
                continue;
            }
            const long verify = SSL_get_verify_result(ssl_.get());
            if (verify != X509_V_OK) {
                return make_error(fmt::format("TLS: the server's certificate is not trusted: {}",
                                              X509_verify_cert_error_string(verify)));
            }
            return make_error(fmt::format("TLS handshake failed: {}", openssl_error()));
        }
    }

    Status send_all(std::string_view data) {
        while (!data.empty()) {
            long sent = 0;
            if (ssl_) {
                const int n = SSL_write(ssl_.get(), data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 20)));
                if (n <= 0) {
                    const int error = SSL_get_error(ssl_.get(), n);
                    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
                        if (auto waited = wait(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT); !waited) return waited;
                        continue;
                    }
                    return make_error(fmt::format("TLS write failed: {}", openssl_error()));
                }
                sent = n;
            } else {
                sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
                if (sent < 0) {
                    if (errno == EAGAIN || errno == EINTR) {
                        if (auto waited = wait(POLLOUT); !waited) return waited;
                        continue;
                    }
                    return make_error(fmt::format("send failed: {}", std::strerror(errno)));
                }
            }
            data.remove_prefix(static_cast<std::size_t>(sent));
        }
        return Ok{};
    }

    // Everything until the server closes, at most `limit` bytes.
    Result<std::string> receive_all(std::size_t limit) {
        std::string raw;
        char buffer[65536];
        while (true) {
            long got = 0;
            if (ssl_) {
                const int n = SSL_read(ssl_.get(), buffer, sizeof(buffer));
                if (n <= 0) {
                    const int error = SSL_get_error(ssl_.get(), n);
                    if (error == SSL_ERROR_ZERO_RETURN) return raw;
                    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
                        if (auto waited = wait(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT); !waited) {
                            return waited.error();
                        }
                        continue;
                    }
                    return make_error(fmt::format("TLS read failed: {}", openssl_error()));
                }
                got = n;
            } else {
                got = ::recv(fd_, buffer, sizeof(buffer), 0);
                if (got == 0) return raw;
                if (got < 0) {
                    if (errno == EAGAIN || errno == EINTR) {
                        if (auto waited = wait(POLLIN); !waited) return waited.error();
                        continue;
                    }
                    return make_error(fmt::format("receive failed: {}", std::strerror(errno)));
                }
            }
            if (raw.size() + static_cast<std::size_t>(got) > limit) {
                return make_too_large_error(fmt::format("the response is larger than {} bytes", limit));
            }
            raw.append(buffer, static_cast<std::size_t>(got));
        }
    }

private:
    // Waits for the socket in slices, so that Ctrl-C and the deadline are both honoured.
    Status wait(short events) {
        while (true) {
            if (config_.cancelled && config_.cancelled->load()) return make_error("interrupted");
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
            if (left.count() <= 0) {
                return make_error(fmt::format("no answer within {} s (--prometheus-timeout)",
                                              static_cast<double>(config_.timeout.count()) / 1000.0));
            }
            pollfd entry{fd_, events, 0};
            const int ready = ::poll(&entry, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 100)));
            if (ready > 0) return Ok{};
            if (ready < 0 && errno != EINTR) return make_error(fmt::format("poll failed: {}", std::strerror(errno)));
        }
    }

    const HttpClientConfig& config_;
    int fd_;
    Clock::time_point deadline_;
    std::unique_ptr<SSL_CTX, SslDeleter> ctx_;
    std::unique_ptr<SSL, SslDeleter> ssl_;
};

}  // namespace

Result<HttpResponse> http_post_form(const HttpClientConfig& config, std::string_view path, std::string_view form) {
    const auto& endpoint = config.endpoint;
    const auto fail = [&](const Error& why) {
        return Error{fmt::format("{}{}: {}", endpoint.url(), path, why.message), why.too_large};
    };
    TcpConnectOptions connect;
    connect.host = endpoint.host;
    connect.port = endpoint.port;
    connect.timeout = config.timeout;
    connect.cancelled = config.cancelled;
    auto fd = connect_tcp(connect);
    if (!fd) return fail(fd.error());
    // Non-blocking from here: every wait goes through poll with the deadline.
    if (const int flags = ::fcntl(*fd, F_GETFL); flags >= 0) ::fcntl(*fd, F_SETFL, flags | O_NONBLOCK);
    Connection connection(config, *fd);
    if (endpoint.tls) {
        if (auto started = connection.start_tls(); !started) return fail(started.error());
    }
    const bool v6 = endpoint.host.find(':') != std::string::npos;
    std::string request = fmt::format(
        "POST {}{} HTTP/1.1\r\nHost: {}{}{}:{}\r\nUser-Agent: netdiag/" NETDIAG_VERSION
        "\r\nAccept: application/json\r\nAccept-Encoding: identity\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
        endpoint.base_path, path, v6 ? "[" : "", endpoint.host, v6 ? "]" : "", endpoint.port, form.size());
    if (config.authorization) request += fmt::format("Authorization: {}\r\n", *config.authorization);
    request += "\r\n";
    request += form;
    if (auto sent = connection.send_all(request); !sent) return fail(sent.error());
    // Headers, and chunk framing of at most a few bytes per chunk, on top of the body.
    const std::size_t raw_limit = config.max_body + config.max_body / 16 + 65536;
    auto raw = connection.receive_all(raw_limit);
    if (!raw) return fail(raw.error());
    auto response = parse_http_response(std::move(raw).value(), config.max_body);
    if (!response) return fail(response.error());
    return response;
}

}  // namespace netdiag
