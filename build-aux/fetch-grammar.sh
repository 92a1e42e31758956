#!/bin/sh
# fetch-grammar.sh LOCKFILE NAME OUTDIR PREFIX
#
# Brings the pinned tarball of grammar NAME (see grammars.lock) from the npm
# registry, sha512-verified (npm-tarball.sh), and extracts the grammar's
# src/parser.c, src/scanner.c and src/tree_sitter/*.h into OUTDIR as
# PREFIX-parser.c, PREFIX-scanner.c and PREFIX-include/tree_sitter/*.h (two
# grammars share one build directory). The grammar source is never written
# into the source tree.
set -eu
lock=$1 name=$2 out=$3 prefix=$4

tgz=$("$(dirname "$0")/npm-tarball.sh" "$lock" "$name")
mkdir -p "$out"
tmpx=$(mktemp -d)
trap 'rm -rf "$tmpx"' EXIT
tar -xzf "$tgz" -C "$tmpx" package/src
mkdir -p "$out/$prefix-include/tree_sitter"
cp "$tmpx/package/src/parser.c" "$out/$prefix-parser.c"
if [ -f "$tmpx/package/src/scanner.c" ]; then
    cp "$tmpx/package/src/scanner.c" "$out/$prefix-scanner.c"
else
    : > "$out/$prefix-scanner.c"
fi
cp "$tmpx"/package/src/tree_sitter/*.h "$out/$prefix-include/tree_sitter/"
