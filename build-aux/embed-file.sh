#!/bin/sh
# embed-file.sh INPUT OUTPUT SYMBOL - write a C file defining
#   const char SYMBOL[];        the bytes of INPUT, NUL-terminated
#   const size_t SYMBOL_len;    their count, without the NUL
# so the binary carries rules/default.toml even when it is not installed.
# POSIX sh and od only (no xxd, no Python).
set -eu
in=$1
out=$2
sym=$3
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
{
	printf '/* Generated from %s by build-aux/embed-file.sh: do not edit. */\n' "${in##*/}"
	printf '#include <stddef.h>\n\n'
	printf 'extern const char %s[];\nextern const size_t %s_len;\n\n' "$sym" "$sym"
	printf 'const char %s[] = {\n' "$sym"
	od -An -v -tx1 "$in" | sed -e 's/[0-9a-f][0-9a-f]/0x&,/g' -e 's/^ */\t/'
	printf '\t0x00\n};\n'
	printf 'const size_t %s_len = sizeof(%s) - 1;\n' "$sym" "$sym"
} >"$tmp"
mv "$tmp" "$out"
trap - EXIT
