#!/usr/bin/env bash
# Fuzzes each parser with libFuzzer (clang) for SECONDS in total, seeded with the captured trees.
# Usage: tests/fuzz/run.sh [SECONDS]   (default 30). A crash leaves its input in build/fuzz/crashes.
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
cmake --build build/fuzz -j"$(nproc)" --target fuzz_parsers >/dev/null

targets=$(NETDIAG_FUZZ_TARGET= build/fuzz/tests/fuzz/fuzz_parsers 2>&1 | sed -n "s/.*one of: //p" || true)
count=$(echo "$targets" | wc -w)
per_target=$(( total_seconds / count ))
[ "$per_target" -ge 1 ] || per_target=1
mkdir -p build/fuzz/crashes
failed=0
for target in $targets; do
    corpus=$(mktemp -d)
    # Seeds: that file from every captured tree (the table in parser_table.hpp names it).
    seed=$(grep -o "{\"$target\", \"[^\"]*\"" tests/fuzz/parser_table.hpp | sed 's/.*, "//; s/"$//')
    if [ -n "$seed" ]; then
        for tree in tests/fixtures/*/; do
            [ -f "$tree$seed" ] && cp "$tree$seed" "$corpus/$(basename "$tree")"
        done
    fi
    if NETDIAG_FUZZ_TARGET=$target timeout $(( per_target + 30 )) build/fuzz/tests/fuzz/fuzz_parsers \
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
exit $failed
