// Errors as values: every fallible function returns Result<T>.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace netdiag {

struct Error {
    std::string message;  // already says where: "file:line: what", or "host: what"
    // An answer larger than its reader takes: the same question about less (fewer instances) may
    // fit. Kept when the message is wrapped with more context.
    bool too_large = false;
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::move(value)) {}           // NOLINT: implicit by design
    Result(Error error) : state_(std::move(error)) {}       // NOLINT: implicit by design

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(state_); }
    const T& value() const& { return std::get<T>(state_); }
    T&& value() && { return std::get<T>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<Error>(state_); }

private:
    std::variant<T, Error> state_;
};

struct Ok {};
using Status = Result<Ok>;

inline Error make_error(std::string message) { return Error{std::move(message)}; }
inline Error make_too_large_error(std::string message) { return Error{std::move(message), true}; }

}  // namespace netdiag
