#!/bin/sh
# gen-man.sh IMPACT TEMPLATE OUTPUT VERSION - write impact's manual page.
#
# The OPTIONS section is the built binary's `impact --help` (its option
# table, group headings included), COMMANDS is `impact help`'s command
# table and EXIT STATUS its exit-code table (cli/error.c), turned into roff
# here, so the page and the binary cannot disagree. The rest
# (configuration keys, files, examples) is the template. Uses only sh, sed
# and awk.
set -eu
impact=$1 template=$2 output=$3 version=$4
tmp=$output.tmp.$$
trap 'rm -f "$tmp" "$tmp.opts" "$tmp.cmds" "$tmp.exits"' EXIT

# roff escapes: backslash, minus, and a leading dot or quote.
esc='s/\\/\\e/g; s/-/\\-/g; s/^[.'"'"']/\\\&&/'

# Options: "    -l, --list   help" or "        --staged   help"; headings at column 0.
"$impact" --help | awk '
    /^usage:/ || /^exit codes:/ { skip = /^exit codes:/; next }
    skip || /^Other commands/ { next }
    /^[a-z]/ { print "\001M.SS " $0; next }
    /^ +-/ {
        # The option is its leading words that start with "-" or "<".
        k = split($0, w, / +/); opt = ""; help = ""
        for (i = 2; i <= k; i++) {
            if (help == "" && w[i] ~ /^[-<]/) opt = opt (opt == "" ? "" : " ") w[i]
            else help = help (help == "" ? "" : " ") w[i]
        }
        print "\001M.TP"; print "\001B" opt; print help; next
    }
' | sed "$esc" | sed 's/^\x01M//; s/^\x01B\(.*\)$/.B "\1"/' >"$tmp.opts"

# Commands: the indented table after "commands:" in `impact help`.
"$impact" help | awk '
    /^commands:/ { on = 1; next }
    on && /^ +[a-z]/ {
        line = $0; sub(/^ +/, "", line)
        n = index(line, " "); name = substr(line, 1, n - 1); help = substr(line, n)
        sub(/^ +/, "", help)
        print "\001M.TP"; print "\001B" name; print help; next
    }
    on && /^$/ { on = 0 }
' | sed "$esc" | sed 's/^\x01M//; s/^\x01B\(.*\)$/.B "\1"/' >"$tmp.cmds"

# Exit codes: the indented "<code> <meaning>" lines after "exit codes:" in `impact help`.
"$impact" help | awk '
    /^exit codes:/ { on = 1; next }
    on && /^ +[0-9]+ / {
        line = $0; sub(/^ +/, "", line)
        n = index(line, " "); code = substr(line, 1, n - 1); text = substr(line, n)
        sub(/^ +/, "", text)
        print "\001M.TP"; print "\001B" code; print text; next
    }
    on && /^$/ { on = 0 }
' | sed "$esc" | sed 's/^\x01M//; s/^\x01B\(.*\)$/.B "\1"/' >"$tmp.exits"

awk -v opts="$tmp.opts" -v cmds="$tmp.cmds" -v exits="$tmp.exits" -v version="$version" '
    $0 == "@OPTIONS@" { while ((getline l < opts) > 0) print l; next }
    $0 == "@COMMANDS@" { while ((getline l < cmds) > 0) print l; next }
    $0 == "@EXIT_STATUS@" { while ((getline l < exits) > 0) print l; next }
    { gsub(/@VERSION@/, version); print }
' "$template" >"$tmp"
[ -s "$tmp.opts" ] && [ -s "$tmp.cmds" ] && [ -s "$tmp.exits" ] || { echo "gen-man.sh: '$impact' printed no option, command or exit-code table" >&2; exit 1; }
mv "$tmp" "$output"
