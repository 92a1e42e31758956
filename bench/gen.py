#!/usr/bin/env python3
"""Generate a synthetic Python project for impact's benchmark.

    gen.py DIR MODULES [--seed N]

Writes MODULES source modules in packages of realistic depth (2-4 levels,
~12 modules a package), each importing a few others (absolute and relative,
some lazily inside functions, some under TYPE_CHECKING), with package
__init__ files re-exporting a little, and one test module per ~3 source
modules under tests/ mirroring the package tree. Every test really collects
under pytest. Deterministic for a given seed. Standard library only.
"""
import argparse
import os
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("modules", type=int)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)

    pkgs = []          # dotted package names
    mods = []          # (package, name)
    top = "app"
    frontier = [top]
    pkgs.append(top)
    while len(mods) < a.modules:
        parent = rnd.choice(frontier)
        depth = parent.count(".") + 1
        if depth < 4 and rnd.random() < 0.25:
            child = f"{parent}.p{len(pkgs)}"
            pkgs.append(child)
            frontier.append(child)
            continue
        mods.append((parent, f"m{len(mods)}"))

    def path_of(pkg, name=None):
        p = os.path.join(a.dir, *pkg.split("."))
        return os.path.join(p, name + ".py") if name else os.path.join(p, "__init__.py")

    by_pkg = {}
    for pkg, name in mods:
        by_pkg.setdefault(pkg, []).append(name)

    for pkg in pkgs:
        os.makedirs(os.path.dirname(path_of(pkg)), exist_ok=True)
        names = by_pkg.get(pkg, [])
        lines = [f'"""Package {pkg}."""\n']
        for n in names[:2]:  # a little re-exporting
            lines.append(f"from .{n} import f_{n}\n")
        with open(path_of(pkg), "w") as f:
            f.writelines(lines)

    index = {m: i for i, m in enumerate(mods)}
    for i, (pkg, name) in enumerate(mods):
        lines = [f'"""Module {pkg}.{name}."""\n', "import os\n", "import sys\n",
                 "from typing import TYPE_CHECKING\n"]
        # Imports point at earlier modules only: an acyclic, layered graph.
        fan = rnd.randint(1, 5) if i else 0
        deps = sorted({rnd.randrange(i) for _ in range(fan)}) if i else []
        for d in deps:
            dpkg, dname = mods[d]
            r = rnd.random()
            if dpkg == pkg and r < 0.3:
                lines.append(f"from .{dname} import f_{dname}\n")
            elif r < 0.8:
                lines.append(f"from {dpkg}.{dname} import f_{dname}\n")
            elif r < 0.9:
                lines.append(f"if TYPE_CHECKING:\n    from {dpkg} import {dname}\n")
            else:
                lines.append(f"\n\ndef lazy_{dname}():\n    from {dpkg}.{dname} import f_{dname}\n"
                             f"    return f_{dname}()\n")
        lines.append(f"\n\nclass C_{name}:\n    \"\"\"A class.\"\"\"\n\n"
                     f"    def method(self, x):\n        return x + {i}\n\n"
                     f"    def other(self):\n        return [y * 2 for y in range(10)]\n")
        lines.append(f"\n\ndef f_{name}():\n    return {i}\n")
        # Bulk: realistic module sizes are a few hundred lines.
        for k in range(rnd.randint(5, 25)):
            lines.append(f"\n\ndef helper_{k}(a, b=None, *args, **kw):\n"
                         f"    \"\"\"Helper {k}.\"\"\"\n"
                         f"    total = 0\n    for v in range(a):\n        if v % 3 == 0:\n"
                         f"            total += v\n        elif v % 5 == 0:\n            total -= 1\n"
                         f"    return {{'total': total, 'b': b, 'n': len(args) + len(kw)}}\n")
        with open(path_of(pkg, name), "w") as f:
            f.writelines(lines)

    tests = os.path.join(a.dir, "tests")
    os.makedirs(tests, exist_ok=True)
    with open(os.path.join(tests, "conftest.py"), "w") as f:
        f.write("import pytest\n\n\n@pytest.fixture\ndef base():\n    return 1\n")
    for t in range(0, len(mods), 3):
        pkg, name = mods[t]
        sub = os.path.join(tests, *pkg.split(".")[1:])
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"test_{name}.py"), "w") as f:
            f.write(f"from {pkg}.{name} import f_{name}\n\n\n"
                    f"def test_{name}(base):\n    assert f_{name}() == {t}\n")
    with open(os.path.join(a.dir, "pyproject.toml"), "w") as f:
        f.write('[project]\nname = "app"\nversion = "0"\n\n'
                '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
                'addopts = "-p no:cacheprovider --import-mode=importlib"\n')


if __name__ == "__main__":
    main()
