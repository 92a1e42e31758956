#!/usr/bin/env python3
"""The CPython 3.12+ interpreters the recorder's sys.monitoring accelerator
(share/impact/python/impact_cmon.c) can be built for: one per minor version,
each with its headers (Python.h). Looked for as python3.N on PATH, then in
pyenv's and uv's installs. Prints one line per interpreter, tab-separated:
its version (3.N), its include directory and its extension suffix
(.cpython-3N-<platform>.so); nothing when there is none.

An extension built against one 3.N's headers loads in every 3.N of the
same platform (a venv's, uv's, pyenv's), so one build per minor version
serves them all. With arguments, only the interpreters they name are
looked at.
"""
import glob
import os
import re
import shutil
import subprocess
import sys

MINORS = range(12, 20)


def candidates():
    if sys.argv[1:]:
        yield from sys.argv[1:]
        return
    for m in MINORS:
        p = shutil.which("python3.%d" % m)
        if p:
            yield p
    home = os.path.expanduser("~")
    roots = [os.environ.get("PYENV_ROOT") or os.path.join(home, ".pyenv"),
             os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share"),
                          "uv", "python")]
    for r in roots:
        for p in sorted(glob.glob(os.path.join(r, "versions", "3.*", "bin", "python3.*")) +
                        glob.glob(os.path.join(r, "cpython-3.*", "bin", "python3.*")), reverse=True):
            if re.search(r"python3\.\d+$", p):
                yield p


def main():
    seen = set()
    for p in candidates():
        try:
            r = subprocess.run([p, "-c", "import sys, sysconfig, os; "
                                "inc = sysconfig.get_paths()['include']; "
                                "print('%d.%d' % sys.version_info[:2], sys.implementation.name, "
                                "os.path.isfile(os.path.join(inc, 'Python.h')), "
                                "bool(sysconfig.get_config_var('Py_GIL_DISABLED')), "
                                "sysconfig.get_config_var('EXT_SUFFIX'), inc)"],
                               capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            continue
        f = r.stdout.rstrip("\n").split(" ", 5)
        if r.returncode != 0 or len(f) != 6 or f[1] != "cpython" or f[2] != "True" or f[3] == "True":
            continue
        if tuple(int(x) for x in f[0].split(".")) < (3, 12) or f[0] in seen:
            continue
        seen.add(f[0])
        if "\t" in f[5] or "\n" in f[5] or not f[4].startswith(".cpython-"):
            continue
        print("\t".join((f[0], f[5], f[4])))


if __name__ == "__main__":
    main()
