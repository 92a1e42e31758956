#!/bin/sh
# npm-tarball.sh LOCKFILE NAME
#
# Prints the path of the pinned npm tarball of package NAME (see the lock
# file: name, version, sha512 of the .tgz) after checking its sha512.
# Tarballs are kept in $IMPACT_GRAMMAR_CACHE (default
# ~/.cache/impact/grammars) so rebuilds need no network; a tarball placed
# there by hand (an offline machine) is used as long as its checksum
# matches. Otherwise it is brought with `npm pack` from the registry.
# Shared by fetch-grammar.sh (the grammars) and fetch-runtime.sh (the
# tree-sitter runtime's C sources).
set -eu
lock=$1 name=$2

line=$(awk -v n="$name" '$1 == n { print $2, $3 }' "$lock")
[ -n "$line" ] || { echo "npm-tarball: '$name' is not in $lock" >&2; exit 1; }
version=${line% *}
sum=${line#* }

cache=${IMPACT_GRAMMAR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/impact/grammars}
mkdir -p "$cache"
# npm names scoped tarballs "scope-name-version.tgz" without the "@".
tgz="$cache/$(printf '%s' "$name" | sed 's/^@//; s#/#-#')-$version.tgz"

check() { [ -f "$1" ] && [ "$(sha512sum "$1" | cut -d' ' -f1)" = "$sum" ]; }

if ! check "$tgz"; then
    command -v npm >/dev/null 2>&1 || {
        echo "npm-tarball: npm is needed to fetch $name@$version (apt-get install npm)," >&2
        echo "  or put the tarball at $tgz" >&2
        exit 1
    }
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null 2>"$tmp/err") || {
        echo "npm-tarball: 'npm pack $name@$version' failed:" >&2
        cat "$tmp/err" >&2
        exit 1
    }
    got=$(ls "$tmp"/*.tgz)
    if ! check "$got"; then
        echo "npm-tarball: checksum mismatch for $name@$version" >&2
        echo "  expected $sum" >&2
        echo "  got      $(sha512sum "$got" | cut -d' ' -f1)" >&2
        exit 1
    fi
    mv "$got" "$tgz"
fi
printf '%s\n' "$tgz"
