// libFuzzer target for the plan and journal readers (parse_plan_document, parse_journal).
// NETDIAG_FUZZ_TARGET=plan|journal picks one; tests/fuzz/run.sh seeds each from tests/fuzz/seeds/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "tests/fuzz/remediation_table.hpp"

namespace {
const netdiag::fuzz::ReaderEntry* selected = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* name = std::getenv("NETDIAG_FUZZ_TARGET");
    for (const auto& entry : netdiag::fuzz::reader_table()) {
        if (name != nullptr && entry.name == name) selected = &entry;
    }
    if (selected == nullptr) {
        std::fprintf(stderr, "fuzz_remediation: set NETDIAG_FUZZ_TARGET to one of:");
        for (const auto& entry : netdiag::fuzz::reader_table()) std::fprintf(stderr, " %s", entry.name.data());
        std::fprintf(stderr, "\n");
        std::exit(2);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string message = selected->run(std::string_view(reinterpret_cast<const char*>(data), size));
    // A document loads or is refused with an error naming its file; never a crash or an exception.
    if (!message.empty() && message.rfind("F:", 0) != 0) std::abort();
    return 0;
}
