"""Recorded dependencies on the shapes where line-coverage selectors break
(the import-time use, once-per-process code, a rootdir below the
repository, the user's own -m/-k, code compiled from files that are not
Python, data-file items, warnings as errors).

Each scenario is a small real repository of that shape: `impact --all`
records it, one commit changes something, the suite is run at the new
commit here to learn which test files really fail, and `impact --list`
must select exactly those files: no fewer, no more.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest



def failing(repo, *args):
    """The test files that fail at the work tree's state, relative to the
    repository, by running pytest here with `args`."""
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--tb=no", "-rfE", *args], cwd=repo.path, env=repo.env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    root = repo.path
    m = re.search(r"^rootdir: (.*?)(,|$)", r.stdout, re.M)
    files = set()
    for line in r.stdout.splitlines():
        m2 = re.match(r"(FAILED|ERROR) ([^:\s]+)", line)
        if m2:
            files.add(m2.group(2))
    # Node ids are relative to pytest's rootdir: map them to the repository.
    rootdir = Path(m.group(1)) if m else root
    return sorted(str((rootdir / f).resolve().relative_to(root.resolve())) for f in files)


def record_all(repo, *extra):
    r = repo.impact("--all", "-q", *extra)
    assert r.returncode == 0, (r.stdout.decode(errors="replace") +
                               r.stderr.decode(errors="replace"))
    st = repo.impact("records", "stats")
    assert st.returncode == 0, st.stderr.decode(errors="replace")
    return st.stdout.decode()


def recorded_files(stats):
    m = re.search(r"records:\s+(\d+) test files", stats)
    return int(m.group(1)) if m else 0


def change(repo, path, old, new):
    text = (repo.path / path).read_text()
    assert old in text, (path, old)
    repo.write(path, text.replace(old, new))
    repo.commit("change " + path)


# --- 1. import-time use ---------------------------------------------------------

def test_a_registry_filled_by_a_decorator_at_import(rrepo):
    rrepo.write_many({
        "reg/__init__.py": "",
        "reg/core.py": ("REGISTRY = {}\n\n\ndef register(name):\n"
                        "    def deco(f):\n        REGISTRY[name] = f\n        return f\n"
                        "    return deco\n\n\ndef unrelated():\n    return 1\n"),
        "reg/plugins.py": ("from reg.core import register\n\n\n@register('up')\n"
                           "def up(s):\n    return s.upper()\n"),
        "tests/test_plugins.py": ("import reg.plugins\nfrom reg.core import REGISTRY\n\n\n"
                                  "def test_registered():\n    assert 'up' in REGISTRY\n"),
        "tests/test_unrelated.py": ("from reg.core import unrelated\n\n\n"
                                    "def test_unrelated():\n    assert unrelated() == 1\n"),
    })
    rrepo.commit("registry")
    record_all(rrepo)
    change(rrepo, "reg/core.py", "REGISTRY[name] = f", "REGISTRY[name.upper()] = f")
    assert failing(rrepo) == ["tests/test_plugins.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_plugins.py"]


# --- 2. once-per-process code ---------------------------------------------------

ONCE = {
    "lex/__init__.py": "",
    # A dict filled on first lookup, a class attribute compiled on first
    # instantiation, an lru_cache body: each runs in the first test only.
    "lex/tables.py": (
        "import functools\n\n_TABLES = {}\n\n\n"
        "def _build(name):\n    return {'name': name, 'size': len(name)}\n\n\n"
        "def table(name):\n    if name not in _TABLES:\n        _TABLES[name] = _build(name)\n"
        "    return _TABLES[name]\n\n\n"
        "class Lexer:\n    _rules = None\n\n    def __init__(self):\n"
        "        if Lexer._rules is None:\n            Lexer._rules = self._compile()\n\n"
        "    def _compile(self):\n        return ['word', 'space']\n\n"
        "    def lex(self, s):\n        return [r for r in self._rules if r]\n\n\n"
        "@functools.lru_cache(maxsize=None)\n"
        "def keywords():\n    return frozenset(['if', 'else'])\n\n\n"
        "def is_keyword(w):\n    return w in keywords()\n\n\n"
        "def alone():\n    return 'alone'\n"),
    "tests/test_a.py": (
        "from lex.tables import table, Lexer, is_keyword\n\n\n"
        "def test_a():\n    assert table('x')['size'] == 1\n"
        "    assert Lexer().lex('a') == ['word', 'space']\n    assert is_keyword('if')\n"),
    "tests/test_b.py": (
        "from lex.tables import table, Lexer, is_keyword\n\n\n"
        "def test_b():\n    assert table('x') == {'name': 'x', 'size': 1}\n"
        "    assert len(Lexer().lex('b')) == 2\n    assert is_keyword('if')\n"),
    "tests/test_c.py": (
        "from lex.tables import alone\n\n\ndef test_c():\n    assert alone() == 'alone'\n"),
    "tests/test_d.py": (
        "from lex import tables\n\n\ndef test_d():\n    assert tables.alone()\n"),
}


@pytest.mark.parametrize("where, old, new", [
    ("dict", "'size': len(name)", "'size': len(name) + 1"),
    ("class attribute", "return ['word', 'space']", "return ['word']"),
    ("lru_cache", "frozenset(['if', 'else'])", "frozenset(['else'])"),
])
@pytest.mark.parametrize("xdist", [False, True])
def test_once_per_process_code_selects_every_test_using_its_result(rrepo, where, old, new, xdist):
    if xdist:
        pytest.importorskip("xdist")
    rrepo.write_many(ONCE)
    rrepo.commit("lexer")
    record_all(rrepo, *(["-n", "2"] if xdist else []))
    change(rrepo, "lex/tables.py", old, new)
    want = failing(rrepo)
    assert "tests/test_a.py" in want and "tests/test_b.py" in want, (where, want)
    assert rrepo.listing("HEAD~1..") == want, where


SESSION = {
    "app/__init__.py": "",
    "app/boot.py": ("def mode():\n    return 'test'\n\n\n"
                     "def order(items):\n    return sorted(items, key=lambda i: i.name)\n\n\n"
                     "def unrelated():\n    return 1\n"),
    # What runs outside every test: pytest_configure and a session-wide
    # collection hook call the repository's code once per process.
    "conftest.py": ("import app.boot\n\n\ndef pytest_configure(config):\n"
                    "    config.app_mode = app.boot.mode()\n\n\n"
                    "def pytest_collection_modifyitems(session, config, items):\n"
                    "    items[:] = app.boot.order(items)\n"),
    "tests/test_a.py": ("from app.boot import unrelated\n\n\ndef test_a(request):\n"
                        "    assert request.config.app_mode == 'test'\n    assert unrelated() == 1\n"),
    "tests/test_b.py": "def test_b(request):\n    assert request.config.app_mode == 'test'\n",
}


@pytest.mark.parametrize("where, old, new", [
    ("pytest_configure", "return 'test'", "return 'prod'"),
    ("collection hook", "key=lambda i: i.name)", "key=lambda i: i.name)[:0]"),
])
@pytest.mark.parametrize("xdist", [False, True])
def test_code_run_outside_every_test_counts_for_every_test(rrepo, where, old, new, xdist):
    if xdist:
        pytest.importorskip("xdist")
    rrepo.write_many(SESSION)
    rrepo.commit("session")
    record_all(rrepo, *(["-n", "2"] if xdist else []))
    # a change to what only one test ran stays that test's
    change(rrepo, "app/boot.py", "return 1", "return 2")
    assert rrepo.listing("HEAD~1..") == ["tests/test_a.py"]
    subprocess.run(["git", "reset", "-q", "--hard", "HEAD~1"], cwd=rrepo.path, check=True)
    change(rrepo, "app/boot.py", old, new)
    if where == "pytest_configure":
        assert failing(rrepo) == ["tests/test_a.py", "tests/test_b.py"]
    # (a collection hook dropping every item fails nothing: it runs nothing)
    assert rrepo.listing("HEAD~1..") == ["tests/test_a.py", "tests/test_b.py"], where


def test_a_hook_the_recorded_run_did_not_run_keeps_its_tests(rrepo):
    """impact runs pytest with --no-header, so a conftest's report header
    never ran in the recorded run; a plain `pytest` runs it before any test."""
    rrepo.write_many({
        "pkg/__init__.py": "",
        "pkg/core.py": "def info():\n    return 'v1'\n\n\ndef add(a, b):\n    return a + b\n",
        "conftest.py": ("import pkg.core\n\n\ndef pytest_report_header(config):\n"
                        "    return 'pkg ' + pkg.core.info()\n"),
        "tests/test_add.py": "from pkg.core import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        "tests/test_other.py": "def test_other():\n    assert True\n",
    })
    rrepo.commit("header")
    record_all(rrepo)
    change(rrepo, "pkg/core.py", "return 'v1'", "return 1")
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"], cwd=rrepo.path,
                       env=rrepo.env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 3 and "INTERNALERROR" in r.stdout, r.stdout  # every test is lost
    assert rrepo.listing("HEAD~1..") == ["tests/test_add.py", "tests/test_other.py"]
    out = rrepo.impact("--explain", "HEAD~1..").stdout.decode()
    assert "not used: a pytest hook reaches the change" in out, out


def test_a_function_only_one_test_needs_stays_that_tests(rrepo):
    rrepo.write_many(ONCE)
    rrepo.commit("lexer")
    record_all(rrepo)
    change(rrepo, "lex/tables.py", "return 'alone'", "return ''")
    assert failing(rrepo) == ["tests/test_c.py", "tests/test_d.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_c.py", "tests/test_d.py"]


# Caches nested, as a terminal library measures text: the text's length is
# cached, each character's width is cached, the width table is loaded once.
# The first test runs everything; later ones run only the levels their new
# input misses, and each reuses what the first computed below that level.
NESTED = {
    "cells/__init__.py": "",
    "cells/table.py": ("import functools\n\n\n@functools.lru_cache(maxsize=None)\n"
                       "def load():\n    return {'a': 1, 'b': 2, 'c': 1}\n"),
    "cells/width.py": (
        "import functools\n\nfrom cells.table import load\n\n\n"
        "@functools.lru_cache(maxsize=None)\ndef char_width(ch):\n    return load().get(ch, 1)\n\n\n"
        "@functools.lru_cache(maxsize=None)\ndef cached_len(text):\n"
        "    return sum(char_width(c) for c in text)\n\n\n"
        "def cell_len(text):\n    return cached_len(text)\n"),
    # run in this order: 'ab' computes all; 'ba' misses the text cache only;
    # 'ab' again hits it; 'abc' misses one character's width only.
    "tests/test_1.py": "from cells.width import cell_len\n\n\ndef test_1():\n    assert cell_len('ab') == 3\n",
    "tests/test_2.py": "from cells.width import cell_len\n\n\ndef test_2():\n    assert cell_len('ba') == 3\n",
    "tests/test_3.py": "from cells.width import cell_len\n\n\ndef test_3():\n    assert cell_len('ab') == 3\n",
    "tests/test_4.py": "from cells.width import cell_len\n\n\ndef test_4():\n    assert cell_len('abc') == 4\n",
    "tests/test_5.py": "from cells import width\n\n\ndef test_5():\n    assert width.cell_len\n",
}


def test_nested_caches_select_every_test_reusing_a_result(rrepo):
    """No record shows who reused a cached result, but every test that did
    executed code naming the cached function: those are kept, with the
    cache named as the reason; a test that never asks for a result is not."""
    rrepo.write_many(NESTED)
    rrepo.commit("cells")
    record_all(rrepo)
    change(rrepo, "cells/table.py", "'b': 2", "'b': 3")
    want = failing(rrepo)
    assert want == ["tests/test_1.py", "tests/test_2.py", "tests/test_3.py", "tests/test_4.py"]
    assert "tests/test_5.py" in rrepo.listing("--no-records", "HEAD~1..")
    r = rrepo.impact("--list", "HEAD~1..")
    assert r.stdout.decode().split() == want


def test_a_cache_filled_through_another_path(rrepo):
    """The table is loaded first by a test that only sizes it; the test that
    then measures text reuses it without ever running load(), and no
    call site in any record leads from its code to load()."""
    rrepo.write_many({
        "cells/__init__.py": "",
        "cells/table.py": NESTED["cells/table.py"],
        "cells/width.py": ("from cells.table import load\n\n\n"
                           "def text_len(text):\n    return sum(load().get(c, 1) for c in text)\n\n\n"
                           "def table_size():\n    return len(load())\n"),
        "tests/test_1.py": "from cells.width import table_size\n\n\ndef test_1():\n    assert table_size() == 3\n",
        "tests/test_2.py": "from cells.width import text_len\n\n\ndef test_2():\n    assert text_len('ab') == 3\n",
    })
    rrepo.commit("cells")
    record_all(rrepo)
    change(rrepo, "cells/table.py", "'b': 2", "'b': 3")
    assert failing(rrepo) == ["tests/test_2.py"]
    assert "tests/test_2.py" in rrepo.listing("HEAD~1..")
    why = rrepo.impact("--explain", "HEAD~1..").stdout.decode()
    assert "executed cells/width.py:text_len" in why and "cells/table.py:load caches" in why, why


def test_a_cache_that_never_ran_the_change_leaves_records_deciding(rrepo):
    """lookup() caches its results and names rare(), but no recorded run of
    it ran rare(): no cached result depends on the change, so records
    decide (the static walk keeps test_lookup through that name)."""
    rrepo.write_many({
        "cells/__init__.py": "",
        "cells/names.py": ("import functools\n\n\n@functools.lru_cache(maxsize=None)\n"
                           "def lookup(name):\n    if name == 'never':\n        return rare()\n"
                           "    return 1\n\n\ndef rare():\n    return 2\n"),
        "tests/test_lookup.py": "from cells.names import lookup\n\n\ndef test_lookup():\n    assert lookup('a') == 1\n",
        "tests/test_rare.py": "from cells.names import rare\n\n\ndef test_rare():\n    assert rare() == 2\n",
    })
    rrepo.commit("names")
    record_all(rrepo)
    change(rrepo, "cells/names.py", "return 2", "return 3")
    assert failing(rrepo) == ["tests/test_rare.py"]
    assert sorted(rrepo.listing("--no-records", "HEAD~1..")) == ["tests/test_lookup.py", "tests/test_rare.py"]
    r = rrepo.impact("--list", "HEAD~1..")
    assert r.stdout.decode().split() == ["tests/test_rare.py"]
    assert b"caches its results" not in r.stderr, r.stderr


# A cached function whose code names a method many classes define: the
# static walk reaches it from any of them. What computing its results ran
# is recorded per cached function, per test: a changed method that only
# ran beside it, in another test of the same file, makes no result stale.
STYLES = {
    "cells/__init__.py": "",
    "cells/fmt.py": (
        "import functools\n\n\nclass Plain:\n    def render(self, s):\n        return s\n\n\n"
        "class Fancy:\n    def render(self, s):\n        return '*' + s + '*'\n\n\n"
        "KINDS = {'plain': Plain, 'fancy': Fancy}\n\n\n"
        "@functools.lru_cache(maxsize=None)\ndef styled(kind, s):\n    return KINDS[kind]().render(s)\n\n\n"
        "def show(s):\n    return styled('plain', s)\n\n\n"
        "def shout(s):\n    return Fancy().render(s.upper())\n"),
    "tests/test_a.py": ("from cells.fmt import Fancy, styled\n\n\n"
                        "def test_style():\n    assert styled('plain', 'a') == 'a'\n\n\n"
                        "def test_fancy():\n    assert Fancy().render('x') == '*x*'\n"),
    "tests/test_b.py": "from cells.fmt import show\n\n\ndef test_show():\n    assert show('a') == 'a'\n",
}


@pytest.mark.parametrize("xdist", [False, True])
def test_a_cache_whose_computation_never_ran_the_change(rrepo, xdist):
    if xdist:
        pytest.importorskip("xdist")
    rrepo.write_many(STYLES)
    rrepo.commit("styles")
    record_all(rrepo, *(["-n", "2"] if xdist else []))
    # styled's computation recorded once (the workers' lines merged)
    assert "caches:    1 functions" in rrepo.impact("records", "stats").stdout.decode()
    change(rrepo, "cells/fmt.py", "'*' + s + '*'", "'**' + s + '**'")
    assert failing(rrepo) == ["tests/test_a.py"]
    assert "tests/test_b.py" in rrepo.listing("--no-records", "HEAD~1..")
    assert rrepo.listing("HEAD~1..") == ["tests/test_a.py"]


def test_a_cache_whose_callee_ran_first_in_the_test(rrepo):
    """test_a runs render() itself before styled() first computes: render's
    first call is not styled's, yet styled names it and it ran beside it,
    so its result counts as computed with render; test_b reused it."""
    rrepo.write_many(dict(STYLES, **{
        "tests/test_a.py": ("from cells.fmt import Plain, styled\n\n\n"
                            "def test_style():\n    assert Plain().render('b') == 'b'\n"
                            "    assert styled('plain', 'a') == 'a'\n"),
    }))
    rrepo.commit("styles")
    record_all(rrepo)
    change(rrepo, "cells/fmt.py", "        return s\n", "        return s + '!'\n")
    assert failing(rrepo) == ["tests/test_a.py", "tests/test_b.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_a.py", "tests/test_b.py"]
    why = rrepo.impact("--explain", "HEAD~1..").stdout.decode()
    assert "executed cells/fmt.py:show" in why and "cells/fmt.py:styled caches" in why, why


SPONTANEOUS = {
    "tpl/__init__.py": "",
    "tpl/env.py": (
        "from functools import lru_cache\n\n\n"
        "def load_extensions(env, names):\n    return {n: n for n in names}\n\n\n"
        "class Environment:\n    def __init__(self, *names):\n"
        "        self.extensions = load_extensions(self, names)\n\n"
        "    def render(self, s):\n        return s.upper()\n\n\n"
        "@lru_cache(maxsize=10)\ndef spontaneous(cls, *args):\n    return cls(*args)\n\n\n"
        "class Template:\n    def __new__(cls, source):\n"
        "        t = object.__new__(cls)\n        t.env, t.source = spontaneous(Environment), source\n"
        "        return t\n\n    def render(self):\n        return self.env.render(self.source)\n"),
    "tests/test_api.py": (
        "import pytest\n\nfrom tpl.env import Environment, Template\n\n\n"
        "@pytest.fixture\ndef env():\n    return Environment()\n\n\n"
        "def test_template(env):\n    assert env.render('a') == 'A'\n"
        "    assert Template('b').render() == 'B'\n"),
    "tests/test_runtime.py": ("from tpl.env import Template\n\n\n"
                              "def test_loop():\n    assert Template('c').render() == 'C'\n"),
}


def test_a_cache_that_calls_its_parameter(rrepo):
    """jinja's shape: a cached spontaneous(cls) computes by calling its
    parameter (no name shows Environment), after the test's fixture had
    already made an Environment (no first-call link either); test_runtime
    only reuses the result. A change to load_extensions breaks both files:
    what ran before the computation counts as possibly run in it."""
    rrepo.write_many(SPONTANEOUS)
    rrepo.commit("templates")
    record_all(rrepo)
    change(rrepo, "tpl/env.py", "    return {n: n for n in names}", "    raise RuntimeError(names)")
    assert failing(rrepo) == ["tests/test_api.py", "tests/test_runtime.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_api.py", "tests/test_runtime.py"]


# The helper's source as the recorder reads it: plain, and with lines
# indented no deeper than its def inside it (a string, a bracket), where a
# reading that stopped at the first such line would miss the call after.
HELPERS = {
    "plain": "def _make(factory, args):\n    return factory(*args)\n",
    "lines at column 0 inside": (
        "def _make(factory, args):\n    doc = '''\nx = 1\n'''\n"
        "    size = len(\nargs)\n# a comment\n\n    return factory(*args)\n"),
}


@pytest.mark.parametrize("helper", sorted(HELPERS))
def test_a_cache_whose_callee_calls_its_parameter(rrepo, helper):
    """The same, with the parameter passed on: the cached function calls a
    helper by name, and the helper calls what it was given."""
    files = dict(SPONTANEOUS)
    files["tpl/env.py"] = files["tpl/env.py"].replace(
        "def spontaneous(cls, *args):\n    return cls(*args)\n",
        "def spontaneous(cls, *args):\n    return _make(cls, args)\n\n\n" + HELPERS[helper])
    rrepo.write_many(files)
    rrepo.commit("templates")
    record_all(rrepo)
    change(rrepo, "tpl/env.py", "    return {n: n for n in names}", "    raise RuntimeError(names)")
    assert failing(rrepo) == ["tests/test_api.py", "tests/test_runtime.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_api.py", "tests/test_runtime.py"]


def test_a_cache_that_calls_only_names_stays_narrow(rrepo):
    """The same computation through a name (Environment(*args)): a change to
    what ran before it but that it does not name leaves the reusing test out."""
    files = dict(SPONTANEOUS)
    files["tpl/env.py"] = files["tpl/env.py"].replace("    return cls(*args)",
                                                      "    return Environment(*args)")
    files["tests/test_api.py"] = files["tests/test_api.py"].replace(
        "    assert env.render('a') == 'A'\n", "    assert env.render('a') == 'A'\n"
        "    assert other() == 1\n").replace("import Environment, Template",
                                           "import Environment, Template, other")
    files["tpl/env.py"] += "\n\ndef other():\n    return 1\n"
    rrepo.write_many(files)
    rrepo.commit("templates")
    record_all(rrepo)
    change(rrepo, "tpl/env.py", "def other():\n    return 1", "def other():\n    return 2")
    assert failing(rrepo) == ["tests/test_api.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_api.py"]


# --- 3. pytest's rootdir below the repository -----------------------------------

def rootdir_project(repo, where):
    repo.write_many({
        "shapes/__init__.py": "",
        "shapes/geo.py": ("def area(w, h):\n    return w * h\n\n\n"
                          "def perimeter(w, h):\n    return 2 * (w + h)\n"),
        "tests/test_area.py": "from shapes.geo import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n",
        "tests/test_perimeter.py": ("from shapes.geo import perimeter\n\n\n"
                                    "def test_perimeter():\n    assert perimeter(2, 3) == 10\n"),
    })
    if where == "ini in tests/":
        repo.write("tests/pytest.ini", "[pytest]\npythonpath = ..\n")
    else:  # --rootdir in the project's addopts
        repo.write("pytest.ini", "[pytest]\naddopts = --rootdir=tests\n")
    repo.commit("shapes")


@pytest.mark.parametrize("where", ["ini in tests/", "--rootdir"])
def test_a_rootdir_below_the_repository(rrepo, where):
    rootdir_project(rrepo, where)
    stats = record_all(rrepo)
    assert recorded_files(stats) == 2, stats
    change(rrepo, "shapes/geo.py", "return w * h", "return w + h")
    args = ["tests"] if where == "ini in tests/" else []
    assert failing(rrepo, *args) == ["tests/test_area.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_area.py"]


# --- 4. the user's own -m / -k --------------------------------------------------

MARKED = {
    "calc/__init__.py": "",
    "calc/ops.py": ("def add(a, b):\n    return a + b\n\n\n"
                    "def mul(a, b):\n    return a * b\n"),
    "tests/test_add.py": (
        "import pytest\nfrom calc.ops import add\n\n\n"
        "def test_add():\n    assert add(1, 2) == 3\n\n\n"
        "@pytest.mark.slow\ndef test_add_slow():\n    assert add(10, 20) == 30\n"),
    "tests/test_mul.py": ("from calc.ops import mul\n\n\n"
                          "def test_mul():\n    assert mul(2, 3) == 6\n"),
}


@pytest.mark.parametrize("how", ["addopts -m", "command line -k"])
def test_the_users_selection_composes_with_recording(rrepo, how):
    rrepo.write_many(MARKED)
    ini = "[pytest]\nmarkers =\n    slow: slow\n"
    if how == "addopts -m":
        ini += "addopts = -m 'not slow'\n"
    rrepo.write("pytest.ini", ini)
    rrepo.commit("calc")
    extra = ["--", "-k", "not slow"] if how == "command line -k" else []
    stats = record_all(rrepo, *extra)
    assert recorded_files(stats) == 2, stats
    change(rrepo, "calc/ops.py", "return a + b", "return a - b")
    assert failing(rrepo, *extra[1:]) == ["tests/test_add.py"]
    assert rrepo.listing("HEAD~1..", *extra) == ["tests/test_add.py"]
    if extra:
        # Records made under -k speak only for runs with the same -k.
        r = rrepo.impact("--explain", "HEAD~1..", "--", "-k", "slow")
        assert b"not used: it was made under another -k/-m than this selection's" in r.stdout


# --- 5. code compiled from files that are not Python ----------------------------

TEMPLATES = {
    "tpl/__init__.py": "",
    "tpl/engine.py": (
        "import os\n\nHERE = os.path.dirname(os.path.abspath(__file__))\n\n\n"
        "def render(name, **ctx):\n"
        "    path = os.path.join(HERE, 'pages', name + '.page')\n"
        "    with open(path) as f:\n        src = f.read().strip()\n"
        "    code = compile('out = ' + repr(src) + '.format(**ctx)\\n', path, 'exec')\n"
        "    ns = {'ctx': ctx}\n    exec(code, ns)\n    return ns['out']\n"),
    "tpl/pages/hello.page": "Hello {who}\n",
    "tpl/pages/bye.page": "Bye {who}\n",
    "tests/test_hello.py": ("from tpl.engine import render\n\n\n"
                            "def test_hello():\n    assert render('hel' + 'lo', who='x') == 'Hello x'\n"),
    "tests/test_bye.py": ("from tpl.engine import render\n\n\n"
                          "def test_bye():\n    assert render('b' + 'ye', who='x') == 'Bye x'\n"),
}


def test_a_template_selects_the_test_that_ran_it(rrepo):
    rrepo.write_many(TEMPLATES)
    rrepo.commit("pages")
    record_all(rrepo)
    change(rrepo, "tpl/pages/hello.page", "Hello", "Hi")
    assert failing(rrepo) == ["tests/test_hello.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_hello.py"]


def test_code_from_outside_the_repository_is_ignored(rrepo, tmp_path):
    """Code compiled under a temporary folder or from <string> is nobody's
    dependency and never breaks the record."""
    rrepo.write_many({
        "gen/__init__.py": "",
        "gen/make.py": ("import os, tempfile\n\n\ndef make():\n"
                        "    d = tempfile.mkdtemp()\n    p = os.path.join(d, 'g.py')\n"
                        "    exec(compile('x = 1\\n', p, 'exec'), {})\n"
                        "    exec('y = 2', {})\n    return 3\n\n\ndef other():\n    return 4\n"),
        "tests/test_make.py": "from gen.make import make\n\n\ndef test_make():\n    assert make() == 3\n",
        "tests/test_other.py": "from gen.make import other\n\n\ndef test_other():\n    assert other() == 4\n",
    })
    rrepo.commit("gen")
    stats = record_all(rrepo)
    assert recorded_files(stats) == 2, stats
    change(rrepo, "gen/make.py", "return 3", "return 5")
    assert failing(rrepo) == ["tests/test_make.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_make.py"]


# Data files read with open(): who read them is recorded (an audit hook),
# in a test, while a module was imported, and once for a cache.
READS = {
    "conf/__init__.py": "",
    "conf/load.py": (
        "import functools, json, os\n\nHERE = os.path.dirname(os.path.abspath(__file__))\n\n\n"
        "def load(name):\n    with open(os.path.join(HERE, 'data', name + '.json')) as f:\n"
        "        return json.load(f)\n\n\n"
        "@functools.lru_cache(maxsize=None)\ndef settings():\n"
        "    with open(os.path.join(HERE, 'data', 'settings.json')) as f:\n"
        "        return json.load(f)\n\n\n"
        "def setting(k):\n    return settings()[k]\n"),
    "conf/table.py": (
        "import json, os\n\nwith open(os.path.join(os.path.dirname(__file__), 'data', 'table.json')) as f:\n"
        "    TABLE = json.load(f)\n"),
    "conf/data/red.json": '{"hex": "f00"}\n',
    "conf/data/blue.json": '{"hex": "00f"}\n',
    "conf/data/settings.json": '{"debug": false}\n',
    "conf/data/table.json": '{"rows": 2}\n',
    "tests/test_red.py": ("from conf.load import load\n\n\n"
                          "def test_red():\n    assert load('r' + 'ed')['hex'] == 'f00'\n"),
    "tests/test_blue.py": ("from conf.load import load\n\n\n"
                           "def test_blue():\n    assert load('bl' + 'ue')['hex'] == '00f'\n"),
    "tests/test_set1.py": ("from conf.load import setting\n\n\n"
                           "def test_set1():\n    assert setting('debug') is False\n"),
    "tests/test_set2.py": ("from conf.load import setting\n\n\n"
                           "def test_set2():\n    assert not setting('debug')\n"),
    "tests/test_table.py": ("from conf.table import TABLE\n\n\n"
                            "def test_table():\n    assert TABLE['rows'] == 2\n"),
    "tests/test_write.py": (
        "import os\n\n\ndef test_write(tmp_path):\n"
        "    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
        "    with open(os.path.join(here, 'conf/data/red.json'), 'a'):\n        pass\n"),
}


@pytest.mark.parametrize("path, old, new, want", [
    ("conf/data/red.json", "f00", "ff0000", ["tests/test_red.py"]),
    ("conf/data/settings.json", "false", "true", ["tests/test_set1.py", "tests/test_set2.py"]),
    ("conf/data/table.json", "2", "3", ["tests/test_table.py"]),
])
def test_a_data_file_selects_the_tests_that_read_it(rrepo, path, old, new, want):
    rrepo.write_many(READS)
    rrepo.commit("conf")
    record_all(rrepo)
    change(rrepo, path, old, new)
    assert failing(rrepo) == want
    assert rrepo.listing("HEAD~1..") == want
    # Without records, every reader's tests (static string evidence).
    assert set(want) <= set(rrepo.listing("--no-records", "HEAD~1.."))


def test_a_data_file_nobody_was_seen_reading_stays_static(rrepo):
    rrepo.write_many(READS)
    rrepo.write("conf/data/green.json", '{"hex": "0f0"}\n')
    rrepo.commit("conf")
    record_all(rrepo)
    change(rrepo, "conf/data/green.json", "0f0", "00ff00")
    assert rrepo.listing("HEAD~1..") == rrepo.listing("--no-records", "HEAD~1..")


# --- 6. data-file items ---------------------------------------------------------

ITEMS = {
    "check/__init__.py": "",
    "check/rules.py": ("def upper(s):\n    return s.upper()\n\n\n"
                       "def lower(s):\n    return s.lower()\n"),
    "cases/conftest.py": (
        "import pytest\nfrom check import rules\n\n\n"
        "def pytest_collect_file(parent, file_path):\n"
        "    if file_path.suffix == '.case':\n"
        "        return CaseFile.from_parent(parent, path=file_path)\n\n\n"
        "class CaseFile(pytest.File):\n    def collect(self):\n"
        "        for n, line in enumerate(self.path.read_text().splitlines()):\n"
        "            fn, arg, want = line.split()\n"
        "            yield CaseItem.from_parent(self, name=str(n), fn=fn, arg=arg, want=want)\n\n\n"
        "class CaseItem(pytest.Item):\n    def __init__(self, *, fn, arg, want, **kw):\n"
        "        super().__init__(**kw)\n        self.fn, self.arg, self.want = fn, arg, want\n\n"
        "    def runtest(self):\n        assert getattr(rules, self.fn)(self.arg) == self.want\n"),
    "cases/up.case": "upper a A\nupper b B\n",
    "cases/low.case": "lower A a\n",
}


def test_data_file_items(rrepo):
    rrepo.write_many(ITEMS)
    rrepo.commit("cases")
    stats = record_all(rrepo)
    assert recorded_files(stats) == 2, stats
    # Unchanged, nothing is selected.
    assert rrepo.listing("HEAD..") == []
    # A change to code one item executed selects its file.
    change(rrepo, "check/rules.py", "return s.lower()", "return s")
    assert failing(rrepo) == ["cases/low.case"]
    assert rrepo.listing("HEAD~1..") == ["cases/low.case"]
    assert "(executed check/rules.py:lower in its run at" in rrepo.impact(
        "--explain", "HEAD~1..").stdout.decode()
    # A change to one data file selects that file alone.
    rrepo.git("reset", "-q", "--hard", "HEAD~1")
    change(rrepo, "cases/up.case", "upper b B", "upper b C")
    assert failing(rrepo) == ["cases/up.case"]
    assert rrepo.listing("HEAD~1..") == ["cases/up.case"]
    # Without records of every file it collects, the folder stays.
    rrepo.write("cases/new.case", "lower B b\n")
    rrepo.commit("a new case file, never run")
    change(rrepo, "check/rules.py", "return s.lower()", "return s")
    assert rrepo.listing("HEAD~1..") == ["cases"]
    assert "records not used: 'cases/new.case' has none" in rrepo.impact(
        "--explain", "HEAD~1..").stdout.decode()


# --- 7. warnings as errors ------------------------------------------------------

def test_warnings_as_errors(rrepo):
    rrepo.write_many({
        "w/__init__.py": "",
        "w/m.py": "def f():\n    return 1\n\n\ndef g():\n    return 2\n",
        "tests/test_f.py": "from w.m import f\n\n\ndef test_f():\n    assert f() == 1\n",
        "tests/test_g.py": "from w.m import g\n\n\ndef test_g():\n    assert g() == 2\n",
        "pytest.ini": "[pytest]\nfilterwarnings =\n    error\n",
    })
    rrepo.commit("strict")
    stats = record_all(rrepo)
    assert recorded_files(stats) == 2, stats
    change(rrepo, "w/m.py", "return 2", "return 3")
    assert failing(rrepo) == ["tests/test_g.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_g.py"]


# --- a walk that gives up ----------------------------------------------------

def wide_project(rrepo, extra=None):
    """lib/core.py's leaf is named by 2,100 functions (the precise walk gives
    up on a change to it); test_uses runs it, test_quiet does not."""
    files = {"lib/__init__.py": "",
             "lib/core.py": "def leaf(x):\n    return x + 1\n\n\ndef other(x):\n    return x\n"}
    for m in range(20):
        files[f"lib/m{m}.py"] = "from lib.core import leaf, other\n" + "".join(
            f"\n\ndef f{k}(x):\n    return leaf(x) + {k}\n" for k in range(105)) + (
            "\n\ndef quiet(x):\n    return other(x)\n")
    files["tests/test_uses.py"] = ("from lib import m0\n\n\n"
                                   "def test_uses():\n    assert m0.f3(1) == 5\n")
    files["tests/test_quiet.py"] = ("from lib import m1\n\n\n"
                                    "def test_quiet():\n    assert m1.quiet(1) == 1\n")
    files.update(extra or {})
    rrepo.write_many(files)
    rrepo.commit("wide")
    record_all(rrepo)
    change(rrepo, "lib/core.py", "    return x + 1\n", "    raise RuntimeError(x)\n")


def test_records_decide_where_the_walk_gives_up(rrepo):
    """A change that 2,100 functions name: the precise walk stops at 2,000
    and whole modules decide statically. Records still decide for each
    test (caches and hooks taken as wide as the reach allows): the test
    that never ran the changed function is dropped, the one that did
    fails and is kept."""
    wide_project(rrepo)
    assert failing(rrepo) == ["tests/test_uses.py"]
    r = rrepo.impact("--explain", "HEAD~1..")
    out, err = r.stdout.decode(), r.stderr.decode()
    assert r.returncode == 0, err
    assert "whole modules decided" in out + err  # the walk did give up
    assert "recorded dependencies not used" not in out + err
    assert rrepo.listing("HEAD~1..") == ["tests/test_uses.py"]
    assert sorted(rrepo.listing("--no-records", "HEAD~1..")) == ["tests/test_quiet.py",
                                                                 "tests/test_uses.py"]


def test_where_the_walk_gives_up_an_unseen_hook_keeps_its_tests(rrepo):
    """The same, with a conftest whose report header (a hook impact's own
    runs never run) calls into the reach: the walk that gave up cannot say
    whether it reaches the change, so the tests loading it stay static."""
    # m0.f0 is the last function the walk would reach (the reference index
    # lists the latest file first): past its limit
    wide_project(rrepo, {"tests/conftest.py": ("from lib import m0\n\n\n"
                                               "def pytest_report_header(config):\n"
                                               "    return 'h%d' % m0.f0(0)\n")})
    assert rrepo.listing("HEAD~1..") == ["tests/test_quiet.py", "tests/test_uses.py"]


# --- files pytest collects with no test in them -------------------------------------

EMPTY = {
    "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
    "pkg/__init__.py": "",
    "pkg/core.py": ("def f():\n    return 1\n\n\n"
                    "def g():\n    return 2\n"),
    # A docs-style module: its import calls f (no doctest in it).
    "tools/conf.py": "import pkg.core\n\nVALUE = pkg.core.f()\n",
    # Its import calls make(), whose nested function (never called) calls g:
    # the static walk counts a nested function as its enclosing one.
    "tools/other.py": ("import pkg.core\n\n\n"
                       "def make():\n"
                       "    def inner():\n        return pkg.core.g()\n"
                       "    return inner\n\n\n"
                       "HANDLER = make()\n"),
    # A test module with no test yet.
    "tests/test_later.py": "from tools.other import HANDLER  # noqa: F401\n",
    "tests/test_g.py": "from pkg.core import g\n\n\ndef test_g():\n    assert g() == 2\n",
}


@pytest.mark.parametrize("xdist", [False, True])
def test_a_file_with_no_test_is_recorded_as_what_its_collection_ran(rrepo, xdist):
    """A module without doctests under --doctest-modules, a docs conf.py or
    a test module with no test yet: pytest collects it and runs nothing but
    its import. Recorded as that, a change its import never ran (g, which
    only a nested function names) does not select it, as it did
    statically; a change its import runs (f, called at import) still does,
    since the file then fails to collect. Under xdist every worker
    collects every file: the same record from each."""
    if xdist:
        pytest.importorskip("xdist")
    run = ["-n", "2"] if xdist else []
    rrepo.write_many(EMPTY)
    rrepo.commit("base")
    stats = record_all(rrepo, *run)
    assert recorded_files(stats) == 6, stats  # the three empty files, pkg's two, test_g
    change(rrepo, "pkg/core.py", "return 2", "return 3")
    assert failing(rrepo) == ["tests/test_g.py"]
    static = rrepo.listing("--no-records", "HEAD~1..")
    assert {"tools/other.py", "tests/test_later.py"} <= set(static), static
    assert rrepo.listing("HEAD~1..") == ["tests/test_g.py"], \
        rrepo.impact("--explain", "HEAD~1..").stdout.decode()
    change(rrepo, "pkg/core.py", "return 3", "return 2")
    record_all(rrepo, *run)
    change(rrepo, "pkg/core.py", "return 1", "raise RuntimeError('f')")
    want = failing(rrepo, "--continue-on-collection-errors")
    assert "tools/conf.py" in want, want
    assert rrepo.listing("HEAD~1..") == want, rrepo.impact("--explain", "HEAD~1..").stdout.decode()
