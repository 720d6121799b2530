#!/usr/bin/env bash
# Builds netdiag_VERSION_ARCH.deb in build/package: the static release binary, completions, man
# page, JSON schemas, an example config and the textfile timer (disabled). Run as root for the
# build dependencies (scripts/install-deps.sh); lintian, when installed, checks the result.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/package -DCMAKE_BUILD_TYPE=Release -DNETDIAG_STATIC=ON -DNETDIAG_TESTS=OFF >/dev/null
cmake --build build/package -j"$(nproc)"
(cd build/package && cpack -G DEB >/dev/null)
deb=$(ls build/package/netdiag_*.deb)
if command -v lintian >/dev/null; then
    lintian --fail-on error "$deb"
fi
echo "$deb"
