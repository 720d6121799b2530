#!/usr/bin/env bash
# The Debian package, as an operator installs it: built with CPack from the build under test (the
# static release build), lintian-clean, installed with dpkg, --version, a completion, the man page
# and the textfile service run once (through systemctl where systemd runs, else its ExecStart
# line), then purged with nothing left behind.
set -u
netdiag=${1:?usage: package.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"
build=$(dirname "$netdiag")
if [ "$(id -u)" != 0 ]; then echo "SKIP: installing a package needs root"; exit 77; fi
for tool in cpack dpkg dpkg-shlibdeps; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (dpkg-dev)"; exit 77; }
done
if ! grep -q '^NETDIAG_STATIC:BOOL=ON' "$build/CMakeCache.txt" || grep -q '^NETDIAG_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
    echo "SKIP: the package ships the static release build, not this one ($build)"
    exit 77
fi
if dpkg-query -W -f='${Status}' netdiag 2>/dev/null | grep -q "install ok" || [ -e /usr/bin/netdiag ]; then
    echo "SKIP: netdiag is already installed on this machine; not touching it"
    exit 77
fi
work=$(mktemp -d)
installed=0
cleanup() {
    [ "$installed" = 1 ] && dpkg --purge netdiag >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

expect_exit 0 "cpack builds the .deb" -- cpack -G DEB -B "$work/out" --config "$build/CPackConfig.cmake"
deb=$(ls "$work"/out/netdiag_*_*.deb 2>/dev/null | head -n1)
[ -f "$deb" ] && pass "netdiag_VERSION_ARCH.deb: $(basename "$deb")" || { fail "no .deb was made"; finish package; exit 1; }
contents=$(dpkg-deb -c "$deb")
for path in ./usr/bin/netdiag ./usr/share/man/man1/netdiag.1.gz ./usr/share/bash-completion/completions/netdiag \
            ./usr/share/zsh/vendor-completions/_netdiag ./usr/share/fish/vendor_completions.d/netdiag.fish \
            ./usr/share/netdiag/schemas/netdiag.scan.v1.json ./usr/share/doc/netdiag/examples/netdiag.example.yaml \
            ./usr/share/doc/netdiag/copyright ./usr/share/doc/netdiag/changelog.gz \
            ./usr/lib/systemd/system/netdiag-textfile.service ./usr/lib/systemd/system/netdiag-textfile.timer; do
    expect_contains "$contents" " $path" "the package holds $path"
done
expect_not_contains "$contents" "./etc/" "the package writes nothing under /etc"
if command -v lintian >/dev/null; then
    expect_exit 0 "lintian reports no errors" -- lintian --fail-on error "$deb"
else
    echo "SKIP: lintian is not installed"
fi

expect_exit 0 "dpkg -i installs it" -- dpkg -i "$deb"
installed=1
expect_exit 0 "netdiag --version from the package" -- /usr/bin/netdiag --version
expect_contains "$out" "netdiag " "it names itself"
completion=$(bash -c 'source /usr/share/bash-completion/bash_completion 2>/dev/null
                      source /usr/share/bash-completion/completions/netdiag
                      COMP_WORDS=(netdiag sc); COMP_CWORD=1; COMP_LINE="netdiag sc"; COMP_POINT=10
                      _netdiag 2>/dev/null; echo "${COMPREPLY[*]}"')
expect_equal "$completion" "scan" "bash completes netdiag sc to scan from the installed file"
page=$(LC_ALL=C MANWIDTH=100 man netdiag 2>/dev/null | head -n 5)
expect_contains "$page" "netdiag - find and fix network trouble" "man netdiag finds the installed page"
if [ -d /run/systemd/system ]; then
    expect_exit 1 "the timer is not enabled on install" -- systemctl is-enabled --quiet netdiag-textfile.timer
    expect_exit 0 "systemctl start netdiag-textfile.service" -- systemctl start netdiag-textfile.service
else
    # No systemd here: run the unit's ExecStart line as systemd would, with its textfile
    # directory on a tmpfs in a private mount namespace, so this machine's real one is untouched.
    exec_start=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/netdiag-textfile.service)
    textfile_dir=$(grep -o -- '-o [^ ]*' <<<"$exec_start" | cut -c4- | xargs dirname)
    expect_exit 0 "the service's ExecStart line runs (no systemd here)" -- unshare -m --propagation private sh -c \
        "mkdir -p '$textfile_dir' 2>/dev/null; mount -t tmpfs tmpfs '$textfile_dir' && { $exec_start; rc=\$?; \
         [ \$rc -le 3 ] && cat '$textfile_dir/netdiag.prom'; }"
    expect_contains "$out" 'netdiag_host_up{host="localhost"} 1' "it writes the textfile for node_exporter"
fi

files=$(dpkg -L netdiag | grep -v '^/\.$')
expect_exit 0 "dpkg --purge removes it" -- dpkg --purge netdiag
installed=0
left=""
for path in $files; do
    [ -f "$path" ] || [ -L "$path" ] && left+="$path "
done
for dir in /usr/share/netdiag /usr/share/doc/netdiag; do
    [ -e "$dir" ] && left+="$dir "
done
expect_equal "$left" "" "nothing the package installed is left behind"
finish package
