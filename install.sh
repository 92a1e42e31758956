#!/bin/sh
# install.sh - install impact on a Debian machine (12 or later).
#
#   ./install.sh              apt packages, grammars, build, install to $PREFIX (/usr/local)
#   ./install.sh --user       install to ~/.local instead (~/.local/bin must be on PATH)
#   ./install.sh --no-apt     skip the apt step (packages already there)
#   ./install.sh --build-only build in ./build, install nothing
#   ./install.sh --test-tools also what the whole test suite drives: groff and
#                             man-db (man page), zsh and fish (completions),
#                             graphviz and chromium (impact graph), clang
#                             (fuzzers); without them those tests skip
#
# Safe to run again: packages already present are skipped, the build
# directory is reused. Runs apt-get through sudo when not root. Fails
# loudly, naming what is missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-/usr/local}
do_apt=1
do_install=1
test_tools=0
builddir=${IMPACT_BUILDDIR:-$here/build}

for arg in "$@"; do
    case $arg in
    --user) prefix=$HOME/.local ;;
    --no-apt) do_apt=0 ;;
    --build-only) do_install=0 ;;
    --test-tools) test_tools=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
    esac
done

die() { echo "install.sh: error: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

# What the build, the tests and impact's runs need, by Debian package.
# (tree-sitter's runtime is built in from a pinned npm tarball, as the
# grammars are: no libtree-sitter-dev, unless -Dsystem_tree_sitter=true.)
packages="gcc pkg-config meson ninja-build git libgit2-dev libssl-dev libkrb5-dev
libjansson-dev libexpat1-dev libsqlite3-dev libcmocka-dev
python3 python3-dev python3-pytest python3-pytest-xdist python3-venv ca-certificates
python3-pexpect python3-trio"
command -v npm >/dev/null 2>&1 || packages="$packages npm"
if [ "$test_tools" = 1 ]; then
    packages="$packages groff-base man-db zsh fish graphviz chromium clang strace"
fi

if [ "$do_apt" = 1 ]; then
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script is for Debian; install these packages by hand: $packages, then run it with --no-apt"
    missing=
    for p in $packages; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        sudo=
        if [ "$(id -u)" != 0 ]; then
            command -v sudo >/dev/null 2>&1 || die "need root to install:$missing (run as root, or install sudo)"
            sudo=sudo
        fi
        say "installing:$missing"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
        # shellcheck disable=SC2086
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null \
            || die "apt-get install failed for:$missing"
    else
        say "all Debian packages present"
    fi
fi

for tool in meson ninja pkg-config cc npm; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (install its Debian package, or drop --no-apt)"
done
for lib in libgit2 jansson expat sqlite3; do
    pkg-config --exists "$lib" || die "library '$lib' is missing (its -dev package)"
done

if [ -f "$builddir/build.ninja" ]; then
    meson configure "$builddir" -Dprefix="$prefix" >/dev/null
else
    meson setup "$builddir" "$here" -Dprefix="$prefix" >/dev/null \
        || die "meson setup failed (see the messages above)"
fi
say "building in $builddir"
ninja -C "$builddir" >/dev/null || { ninja -C "$builddir"; die "the build failed (see above)"; }

if [ "$do_install" = 1 ]; then
    if [ "$(id -u)" = 0 ] || { mkdir -p "$prefix" 2>/dev/null && [ -w "$prefix" ]; }; then
        meson install -C "$builddir" --quiet >/dev/null || die "meson install to $prefix failed"
    else
        command -v sudo >/dev/null 2>&1 || die "cannot write to $prefix: run as root, use --user, or set PREFIX"
        sudo meson install -C "$builddir" --quiet --no-rebuild >/dev/null || die "meson install to $prefix failed"
    fi
    say "installed $prefix/bin/impact"
    case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) say "note: $prefix/bin is not on your PATH; add it: export PATH=\"$prefix/bin:\$PATH\"" ;;
    esac
    "$prefix/bin/impact" --version >/dev/null || die "the installed impact does not run"
fi
say "done"
