// JSON as netdiag prints and stores it. Names from hosts (hostnames, interface names) may hold any
// byte; nlohmann's default dump throws on a byte that is not UTF-8, which would cost every host of a
// fleet its report. Such bytes become U+FFFD instead, as the Prometheus output does.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace netdiag {

template <class Json>
std::string json_text(const Json& document, int indent = 2) {
    return document.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace netdiag
