#!/usr/bin/env bash
# Fuzzes each parser, and the plan and journal readers, with libFuzzer (clang) for SECONDS in
# total: parsers seeded with the captured trees, readers with tests/fuzz/seeds/NAME/ (a real plan
# and journal from `netdiag fix`). Usage: tests/fuzz/run.sh [SECONDS]   (default 30). A crash
# leaves its input in build/fuzz/crashes.
set -euo pipefail
cd "$(dirname "$0")/../.."
total_seconds=${1:-30}
clangxx=$(command -v clang++ || command -v clang++-14 || true)
if [ -z "$clangxx" ]; then
    echo "fuzz: SKIP clang++ is not installed (the bounded mutation test in the unit suite still ran)"
    exit 0
fi
cmake -S . -B build/fuzz -DCMAKE_CXX_COMPILER="$clangxx" -DCMAKE_BUILD_TYPE=Debug \
      -DNETDIAG_FUZZ=ON -DNETDIAG_TESTS=OFF >/dev/null
cmake --build build/fuzz -j"$(nproc)" --target fuzz_parsers fuzz_remediation >/dev/null

fuzzers=(fuzz_parsers fuzz_remediation)
targets_of() {  # the names a fuzzer lists when NETDIAG_FUZZ_TARGET names none
    NETDIAG_FUZZ_TARGET= "build/fuzz/tests/fuzz/$1" 2>&1 | sed -n "s/.*one of: //p" || true
}
count=0
for fuzzer in "${fuzzers[@]}"; do count=$(( count + $(targets_of "$fuzzer" | wc -w) )); done
per_target=$(( total_seconds / count ))
[ "$per_target" -ge 1 ] || per_target=1
mkdir -p build/fuzz/crashes
failed=0
for fuzzer in "${fuzzers[@]}"; do
    for target in $(targets_of "$fuzzer"); do
        corpus=$(mktemp -d)
        if [ "$fuzzer" = fuzz_parsers ]; then
            # Seeds: that file from every captured tree (the table in parser_table.hpp names it).
            seed=$(grep -o "{\"$target\", \"[^\"]*\"" tests/fuzz/parser_table.hpp | sed 's/.*, "//; s/"$//')
            if [ -n "$seed" ]; then
                for tree in tests/fixtures/*/; do
                    [ -f "$tree$seed" ] && cp "$tree$seed" "$corpus/$(basename "$tree")"
                done
            fi
        elif [ -d "tests/fuzz/seeds/$target" ]; then
            cp tests/fuzz/seeds/"$target"/* "$corpus/"
        fi
        if NETDIAG_FUZZ_TARGET=$target timeout $(( per_target + 30 )) "build/fuzz/tests/fuzz/$fuzzer" \
               -max_total_time="$per_target" -timeout=5 -rss_limit_mb=1024 -max_len=65536 \
               -artifact_prefix=build/fuzz/crashes/"$target"- "$corpus" >"build/fuzz/$target.log" 2>&1; then
            echo "fuzz: $target ok ($(grep -o 'Done [0-9]* runs' "build/fuzz/$target.log" | tail -1 || echo 'no summary'))"
        else
            echo "fuzz: $target FAILED; see build/fuzz/$target.log"
            tail -20 "build/fuzz/$target.log"
            failed=1
        fi
        rm -rf "$corpus"
    done
done
exit $failed
