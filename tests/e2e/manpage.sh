#!/usr/bin/env bash
# man netdiag: the page built beside the binary renders without warnings and documents every
# command and every flag that --help shows.
set -u
netdiag=${1:?usage: manpage.sh NETDIAG_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/assert.sh"
page=$(dirname "$netdiag")/netdiag.1
if [ ! -f "$page" ]; then
    echo "SKIP: $page was not built (scdoc missing: scripts/install-deps.sh installs it)"
    exit 77
fi
if ! command -v man >/dev/null; then
    echo "SKIP: man is not installed (Debian package man-db)"
    exit 77
fi
warnings=$(LC_ALL=C MANWIDTH=100 man --warnings -l "$page" 2>&1 >/dev/null)
expect_equal "$warnings" "" "man --warnings -l renders the page without warnings"
text=$(LC_ALL=C MANWIDTH=250 man -l "$page" 2>/dev/null | col -b)
for section in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" FILES ENVIRONMENT EXAMPLES; do
    expect_contains "$text" "$section" "the page has $section"
done
for command in "" scan collect checks fix undo rules; do
    [ -n "$command" ] && expect_contains "$text" "netdiag $command" "the page names netdiag $command"
    # Every flag --help lists: "  -o,--output FILE  ..." -> --output (and -o).
    flags=$("$netdiag" $command --help | sed -n 's/^ \{2\}\(-[^ ]*\).*/\1/p' | tr ',' '\n' | sed 's/{.*//' | sort -u)
    for flag in $flags; do
        if grep -qE -- "(^|[ ,|])$flag([ ,=]|$)" <<<"$text"; then
            pass "${command:-netdiag} $flag is documented"
        else
            fail "${command:-netdiag} $flag is missing from the man page"
        fi
    done
done
for code in 0 1 2 3 64 65 69 70 73 130; do
    grep -qE "^ {7}$code\$" <<<"$text" && pass "exit code $code is documented" || fail "exit code $code is missing"
done
finish manpage
