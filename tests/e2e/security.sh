#!/usr/bin/env bash
# Placeholder: filled in below.
set -u
netdiag=${1:?usage: security.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"
finish security
