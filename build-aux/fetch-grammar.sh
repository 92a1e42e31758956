#!/bin/sh
# fetch-grammar.sh LOCKFILE NAME OUTDIR PREFIX
#
# Brings the pinned tarball of grammar NAME (see grammars.lock) from the npm
# registry with `npm pack`, checks its sha512 against the lock file, and
# extracts the grammar's src/parser.c, src/scanner.c and src/tree_sitter/*.h
# into OUTDIR as PREFIX-parser.c, PREFIX-scanner.c and
# PREFIX-include/tree_sitter/*.h (two grammars share one build directory). Tarballs are kept in $IMPACT_GRAMMAR_CACHE (default
# ~/.cache/impact/grammars) so rebuilds need no network; a tarball placed
# there by hand (an offline machine) is used as long as its checksum matches.
# The grammar source is never written into the source tree.
set -eu
lock=$1 name=$2 out=$3 prefix=$4

line=$(awk -v n="$name" '$1 == n { print $2, $3 }' "$lock")
[ -n "$line" ] || { echo "fetch-grammar: '$name' is not in $lock" >&2; exit 1; }
version=${line% *}
sum=${line#* }

cache=${IMPACT_GRAMMAR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/impact/grammars}
mkdir -p "$cache" "$out"
# npm names scoped tarballs "scope-name-version.tgz" without the "@".
tgz="$cache/$(printf '%s' "$name" | sed 's/^@//; s#/#-#')-$version.tgz"

check() { [ -f "$1" ] && [ "$(sha512sum "$1" | cut -d' ' -f1)" = "$sum" ]; }

if ! check "$tgz"; then
    command -v npm >/dev/null 2>&1 || {
        echo "fetch-grammar: npm is needed to fetch $name@$version (apt-get install npm)," >&2
        echo "  or put the tarball at $tgz" >&2
        exit 1
    }
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null 2>"$tmp/err") || {
        echo "fetch-grammar: 'npm pack $name@$version' failed:" >&2
        cat "$tmp/err" >&2
        exit 1
    }
    got=$(ls "$tmp"/*.tgz)
    if ! check "$got"; then
        echo "fetch-grammar: checksum mismatch for $name@$version" >&2
        echo "  expected $sum" >&2
        echo "  got      $(sha512sum "$got" | cut -d' ' -f1)" >&2
        exit 1
    fi
    mv "$got" "$tgz"
fi

tmpx=$(mktemp -d)
tar -xzf "$tgz" -C "$tmpx" package/src
mkdir -p "$out/$prefix-include/tree_sitter"
cp "$tmpx/package/src/parser.c" "$out/$prefix-parser.c"
if [ -f "$tmpx/package/src/scanner.c" ]; then
    cp "$tmpx/package/src/scanner.c" "$out/$prefix-scanner.c"
else
    : > "$out/$prefix-scanner.c"
fi
cp "$tmpx"/package/src/tree_sitter/*.h "$out/$prefix-include/tree_sitter/"
rm -rf "$tmpx"
