#!/usr/bin/env bash
# Installs what building netdiag needs (and, with --test, what its test suite and benchmarks need)
# from Debian 12's packages. Only missing packages are installed; run as root.
set -euo pipefail

build_packages=(cmake g++ make pkg-config libssh-dev libcli11-dev libyaml-cpp-dev libfmt-dev
                nlohmann-json3-dev catch2 zlib1g-dev libssl-dev scdoc dpkg-dev)
test_packages=(clang libclang-rt-14-dev python3 python3-jsonschema iproute2 iptables procps
               bash-completion zsh fish jq socat openssh-server openssh-client pdsh pssh
               prometheus-node-exporter prometheus curl sudo strace locales ethtool man-db lintian
               ansible-core)

packages=("${build_packages[@]}")
if [ "${1:-}" = "--test" ]; then packages+=("${test_packages[@]}"); fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root to install them" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Services from these packages (node_exporter, sshd) are started by the tests themselves, not at install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
