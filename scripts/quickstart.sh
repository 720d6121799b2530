#!/usr/bin/env bash
# Installs what is missing, builds a release binary (build/release/netdiag) and scans this host.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DNETDIAG_STATIC=ON -DNETDIAG_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target netdiag
exec build/release/netdiag scan "$@"
