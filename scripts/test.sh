#!/usr/bin/env bash
# The whole test suite, as CI runs it: warnings as errors, unit tests, the shell suites (completions
# in real shells; faults, the fleet lab and fix over SSH in network namespaces when root), every
# suite again under ASan+UBSan, and the parser fuzzer for a fixed time.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
fuzz_seconds=${NETDIAG_FUZZ_SECONDS:-30}

scripts/install-deps.sh --test

echo "== build (warnings as errors, linked as released)"
# Static, as quick start builds it: the shipped way of linking is the one the suites run.
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETDIAG_WERROR=ON -DNETDIAG_STATIC=ON >/dev/null
cmake --build build/ci -j"$jobs"

echo "== tests"
(cd build/ci && ctest --output-on-failure --timeout 900)

echo "== every suite again, on a build with AddressSanitizer and UndefinedBehaviorSanitizer"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DNETDIAG_WERROR=ON -DNETDIAG_SANITIZE=ON >/dev/null
cmake --build build/asan -j"$jobs" --target netdiag_tests netdiag netdiag_man
(cd build/asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure --timeout 900)

echo "== parser fuzzing (${fuzz_seconds} s)"
tests/fuzz/run.sh "$fuzz_seconds"
