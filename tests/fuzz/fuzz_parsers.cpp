// libFuzzer target for the parsers. NETDIAG_FUZZ_TARGET=<parser name> picks the parser, so each
// parser is fuzzed on its own with its own corpus (tests/fuzz/run.sh runs them all in turn).
#include "tests/fuzz/fuzz_main.hpp"
#include "tests/fuzz/parser_table.hpp"

namespace {
const netdiag::fuzz::ParserEntry* selected = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    selected = &netdiag::fuzz::select_target(netdiag::fuzz::parser_table(), "fuzz_parsers");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return netdiag::fuzz::run_target(*selected, data, size);
}
