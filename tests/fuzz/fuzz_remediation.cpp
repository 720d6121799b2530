// libFuzzer target for the plan and journal readers (parse_plan_document, parse_journal).
// NETDIAG_FUZZ_TARGET=plan|journal picks one; tests/fuzz/run.sh seeds each from tests/fuzz/seeds/.
// A document loads or is refused with an error naming its file; never a crash or an exception.
#include "tests/fuzz/fuzz_main.hpp"
#include "tests/fuzz/remediation_table.hpp"

namespace {
const netdiag::fuzz::ReaderEntry* selected = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    selected = &netdiag::fuzz::select_target(netdiag::fuzz::reader_table(), "fuzz_remediation");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return netdiag::fuzz::run_target(*selected, data, size);
}
