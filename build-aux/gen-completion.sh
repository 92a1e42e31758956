#!/bin/sh
# gen-completion.sh IMPACT bash|zsh|fish OUTPUT - write a shell completion.
#
# Generated from the built binary's own tables, as the manual page is:
# options (with their argument and help) from `impact --help`, commands
# from `impact help`, and a command's words from its summary ('impact
# plugin install|uninstall|status' gives install, uninstall, status). An
# option's argument `<a|b>` of whole words completes to those words,
# `<path>` to files. Revspecs complete from the repository's refs, also
# after `A..` and `A...`. Everything after `--` is pytest's: files.
# Uses only sh and awk; the scripts ask git for refs when completing.
set -eu
impact=$1 shell=$2 output=$3
tmp=$output.tmp.$$
trap 'rm -f "$tmp" "$tmp.data"' EXIT

# One record per line, fields separated by a tab:
#   opt <long> <short> <arg> <help>     (any field but help may be empty)
#   cmd <name> <summary>
#   sub <command> <word>
{
"$impact" --help | awk '
    /^ +-/ {
        k = split($0, w, / +/); long = ""; short = ""; arg = ""; help = ""
        for (i = 2; i <= k; i++) {
            if (help == "" && w[i] ~ /^--/) long = w[i]
            else if (help == "" && w[i] ~ /^-[A-Za-z],?$/) { short = w[i]; sub(/,$/, "", short) }
            else if (help == "" && w[i] ~ /^</) arg = w[i]
            else help = help (help == "" ? "" : " ") w[i]
        }
        printf "opt\t%s\t%s\t%s\t%s\n", long, short, arg, help
    }'
"$impact" help | awk '
    /^commands:/ { on = 1; next }
    on && /^$/ { on = 0 }
    on && /^ +[a-z]/ {
        name = $1; line = $0; sub(/^ +[a-z]+ +/, "", line)
        printf "cmd\t%s\t%s\n", name, line
        rest = line; pat = "\047impact " name " [a-z|]+"
        while (match(rest, pat)) {
            words = substr(rest, RSTART + length(name) + 9, RLENGTH - length(name) - 9)
            n = split(words, ws, "|")
            for (i = 1; i <= n; i++) if (!seen[name, ws[i]]++) printf "sub\t%s\t%s\n", name, ws[i]
            rest = substr(rest, RSTART + RLENGTH)
        }
    }'
} >"$tmp.data"
grep -q '^opt	--list' "$tmp.data" && grep -q '^cmd	' "$tmp.data" \
    || { echo "gen-completion.sh: '$impact' printed no option or command table" >&2; exit 1; }

case $shell in
bash) awk -F '\t' '
    function choices(arg,   s) { s = arg; gsub(/[<>]/, "", s); gsub(/\|/, " ", s); return s }
    function words_only(arg) { return arg ~ /^<[a-z][a-z]+(\|[a-z][a-z]+)+>$/ }
    $1 == "opt" {
        if ($2 != "") opts = opts " " $2
        if ($3 != "") opts = opts " " $3
        if ($4 != "") {
            names = ($2 != "" && $3 != "") ? $3 "|" $2 : $2 $3
            takes = takes " " ($2 != "" ? $2 : "") ($3 != "" ? " " $3 : "")
            if (words_only($4)) vcase = vcase "    " names ") COMPREPLY=($(compgen -W \"" choices($4) "\" -- \"$cur\")); return ;;\n"
            else if ($4 == "<path>") vcase = vcase "    " names ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
            else vcase = vcase "    " names ") return ;;\n"
        }
    }
    $1 == "cmd" { cmds = cmds " " $2; order[++ncmd] = $2 }
    $1 == "sub" { subw[$2] = subw[$2] " " $3 }
    END {
        print "# impact(1) completion for bash: generated from `impact --help` and `impact help`"
        print "# by build-aux/gen-completion.sh; do not edit."
        print "_impact_refs() {"
        print "    git -C \"$1\" for-each-ref --format=\"%(refname:short)\" refs/heads refs/tags refs/remotes 2>/dev/null"
        print "    printf \"%s\\n\" HEAD"
        print "}"
        print "_impact() {"
        print "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}"
        print "    local i cmd= dir=. pre= takes=\" -C" takes " \""
        print "    COMPREPLY=()"
        print "    for ((i = 1; i < COMP_CWORD; i++)); do"
        print "        case ${COMP_WORDS[i]} in"
        print "        --) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;"
        print "        -C) dir=${COMP_WORDS[i+1]}; ((i++)) ;;"
        print "        -*) [[ $takes == *\" ${COMP_WORDS[i]} \"* ]] && ((i++)) ;;"
        print "        *) [[ -z $cmd ]] && cmd=${COMP_WORDS[i]} ;;"
        print "        esac"
        print "    done"
        print "    case $prev in"
        print "    -C) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;"
        printf "%s", vcase
        print "    esac"
        print "    case $cmd in"
        for (i = 1; i <= ncmd; i++) {
            c = order[i]
            if (c in subw) print "    " c ") [[ $prev == " c " ]] && COMPREPLY=($(compgen -W \"" substr(subw[c], 2) "\" -- \"$cur\")); return ;;"
            else print "    " c ") return ;;"
        }
        print "    esac"
        print "    if [[ $cur == -* ]]; then"
        print "        COMPREPLY=($(compgen -W \"" substr(opts, 2) "\" -- \"$cur\"))"
        print "        return"
        print "    fi"
        print "    case $cur in *...*) pre=${cur%...*}... ;; *..*) pre=${cur%..*}.. ;; esac"
        print "    COMPREPLY=($(compgen -P \"$pre\" -W \"$(_impact_refs \"$dir\")\" -- \"${cur#\"$pre\"}\"))"
        print "    [[ -z $cmd && -z $pre ]] && COMPREPLY+=($(compgen -W \"" substr(cmds, 2) "\" -- \"$cur\"))"
        print "    return 0"
        print "}"
        print "complete -F _impact impact"
    }' "$tmp.data" >"$tmp" ;;
zsh) awk -F '\t' '
    function q(s) { gsub(/\047/, "\047\\\047\047", s); return "\047" s "\047" }
    function choices(arg,   s) { s = arg; gsub(/[<>]/, "", s); gsub(/\|/, " ", s); return s }
    function words_only(arg) { return arg ~ /^<[a-z][a-z]+(\|[a-z][a-z]+)+>$/ }
    $1 == "opt" {
        if ($2 != "") opts = opts "    " q($2 ":" $5) "\n"
        if ($3 != "") opts = opts "    " q($3 ":" $5) "\n"
        if ($4 != "") {
            names = ($2 != "" && $3 != "") ? $3 "|" $2 : $2 $3
            takes = takes " " ($2 != "" ? $2 : "") ($3 != "" ? " " $3 : "")
            if (words_only($4)) vcase = vcase "    (" names ") compadd -- " choices($4) "; return ;;\n"
            else if ($4 == "<path>") vcase = vcase "    (" names ") _files; return ;;\n"
            else vcase = vcase "    (" names ") return ;;\n"
        }
    }
    $1 == "cmd" { cmds = cmds "    " q($2 ":" $3) "\n"; order[++ncmd] = $2 }
    $1 == "sub" { subw[$2] = subw[$2] " " $3 }
    END {
        print "#compdef impact"
        print "# impact(1) completion for zsh: generated from `impact --help` and `impact help`"
        print "# by build-aux/gen-completion.sh; do not edit."
        print "local cur=${words[CURRENT]} prev=${words[CURRENT-1]} cmd= dir=. pre= i"
        print "local takes=\" -C" takes " \""
        print "local -a opts cmds refs"
        print "opts=(\n" opts ")"
        print "cmds=(\n" cmds ")"
        print "for (( i = 2; i < CURRENT; i++ )); do"
        print "    case ${words[i]} in"
        print "    (--) _files; return ;;"
        print "    (-C) dir=${words[i+1]}; (( i++ )) ;;"
        print "    (-*) [[ $takes == *\" ${words[i]} \"* ]] && (( i++ )) ;;"
        print "    (*) [[ -z $cmd ]] && cmd=${words[i]} ;;"
        print "    esac"
        print "done"
        print "case $prev in"
        print "    (-C) _files -/; return ;;"
        printf "%s", vcase
        print "esac"
        print "case $cmd in"
        for (i = 1; i <= ncmd; i++) {
            c = order[i]
            if (c in subw) print "    (" c ") [[ $prev == " c " ]] && compadd --" subw[c] "; return ;;"
            else print "    (" c ") return ;;"
        }
        print "esac"
        print "if [[ $cur == -* ]]; then"
        print "    _describe -t options \"impact option\" opts"
        print "    return"
        print "fi"
        print "case $cur in (*...*) pre=${cur%...*}... ;; (*..*) pre=${cur%..*}.. ;; esac"
        print "refs=(HEAD ${(f)\"$(git -C $dir for-each-ref --format=\"%(refname:short)\" refs/heads refs/tags refs/remotes 2>/dev/null)\"})"
        print "[[ -z $cmd && -z $pre ]] && _describe -t commands \"impact command\" cmds"
        print "compadd -- ${pre}${^refs}"
    }' "$tmp.data" >"$tmp" ;;
fish) awk -F '\t' '
    function q(s) { gsub(/\\/, "\\\\", s); gsub(/\047/, "\\\047", s); return "\047" s "\047" }
    function choices(arg,   s) { s = arg; gsub(/[<>]/, "", s); gsub(/\|/, " ", s); return s }
    function words_only(arg) { return arg ~ /^<[a-z][a-z]+(\|[a-z][a-z]+)+>$/ }
    BEGIN {
        print "# impact(1) completion for fish: generated from `impact --help` and `impact help`"
        print "# by build-aux/gen-completion.sh; do not edit."
        print "function __impact_revspecs"
        print "    set -l pre (string match -r -- \047^.*?\\.\\.\\.?\047 (commandline -ct))"
        print "    test -n \"$pre\"; or set pre \047\047"
        print "    for r in HEAD (git for-each-ref --format=\047%(refname:short)\047 refs/heads refs/tags refs/remotes 2>/dev/null)"
        print "        echo $pre$r"
        print "    end"
        print "end"
        print "complete -c impact -f"
    }
    $1 == "opt" {
        line = "complete -c impact -n \047not __fish_seen_subcommand_from $__impact_cmds\047"
        if ($2 != "") line = line " -l " substr($2, 3)
        if ($3 != "") line = line " -s " substr($3, 2)
        if ($4 != "") {
            if (words_only($4)) line = line " -x -a " q(choices($4))
            else if ($4 == "<path>") line = line " -r -F"
            else line = line " -x"
        }
        opts[++nopt] = line " -d " q($5)
    }
    $1 == "cmd" { cmds = cmds " " $2; cmdline[++ncmd] = "complete -c impact -n __fish_use_subcommand -a " $2 " -d " q($3) }
    $1 == "sub" { subw[$2] = subw[$2] " " $3 }
    END {
        print "set -g __impact_cmds" cmds
        for (i = 1; i <= nopt; i++) print opts[i]
        for (i = 1; i <= ncmd; i++) print cmdline[i]
        for (c in subw) print "complete -c impact -n \047__fish_seen_subcommand_from " c "; and __fish_is_nth_token 2\047 -x -a " q(substr(subw[c], 2))
        print "complete -c impact -n \047__fish_use_subcommand\047 -a \047(__impact_revspecs)\047"
    }' "$tmp.data" >"$tmp" ;;
*) echo "gen-completion.sh: unknown shell '$shell' (bash, zsh or fish)" >&2; exit 2 ;;
esac
mv "$tmp" "$output"
