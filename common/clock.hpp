// Wall-clock time as the JSON documents and journals record it.
#pragma once

#include <chrono>
#include <cstdint>

namespace netdiag {

inline std::int64_t now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace netdiag
