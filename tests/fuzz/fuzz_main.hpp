// The libFuzzer entry points every fuzz binary shares: NETDIAG_FUZZ_TARGET names one entry of the
// binary's table (a name and a run function returning "" or an error message), and every error
// must name its file ("F:..."): a crash, an exception or an anonymous error fails.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace netdiag::fuzz {

template <class Entry>
const Entry& select_target(const std::vector<Entry>& table, const char* program) {
    const char* name = std::getenv("NETDIAG_FUZZ_TARGET");
    for (const auto& entry : table) {
        if (name != nullptr && entry.name == name) return entry;
    }
    std::fprintf(stderr, "%s: set NETDIAG_FUZZ_TARGET to one of:", program);
    for (const auto& entry : table) std::fprintf(stderr, " %s", entry.name.data());
    std::fprintf(stderr, "\n");
    std::exit(2);
}

// Whether an entry's errors must name the file: parsers always, readers unless they say otherwise
// (an answer from a server is named by its caller).
template <class Entry>
bool names_file(const Entry& entry) {
    if constexpr (requires { entry.names_file; }) {
        return entry.names_file;
    } else {
        return true;
    }
}

template <class Entry>
int run_target(const Entry& entry, const std::uint8_t* data, std::size_t size) {
    const std::string message = entry.run(std::string_view(reinterpret_cast<const char*>(data), size));
    if (names_file(entry) && !message.empty() && message.rfind("F:", 0) != 0) std::abort();
    return 0;
}

}  // namespace netdiag::fuzz
