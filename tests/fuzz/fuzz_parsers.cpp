// libFuzzer target for the parsers. NETDIAG_FUZZ_TARGET=<parser name> picks the parser, so each
// parser is fuzzed on its own with its own corpus (tests/fuzz/run.sh runs them all in turn).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "tests/fuzz/parser_table.hpp"

namespace {
const netdiag::fuzz::ParserEntry* selected = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* name = std::getenv("NETDIAG_FUZZ_TARGET");
    for (const auto& entry : netdiag::fuzz::parser_table()) {
        if (name != nullptr && entry.name == name) selected = &entry;
    }
    if (selected == nullptr) {
        std::fprintf(stderr, "fuzz_parsers: set NETDIAG_FUZZ_TARGET to one of:");
        for (const auto& entry : netdiag::fuzz::parser_table()) std::fprintf(stderr, " %s", entry.name.data());
        std::fprintf(stderr, "\n");
        std::exit(2);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string message = selected->run(std::string_view(reinterpret_cast<const char*>(data), size));
    // An error always says which file it is about.
    if (!message.empty() && message.rfind("F:", 0) != 0) std::abort();
    return 0;
}
