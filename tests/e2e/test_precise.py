"""Precise selection: call-time changes select by references, import-time
changes by imports, and nothing that fails is ever left out.

The project is built so that the module-level import graph reaches every
test (a re-exporting __init__, a conftest importing the package), as in
real libraries. Each case breaks one thing, runs the whole suite with
pytest to learn which test files really fail, and checks that the
precise selection holds all of them, and (where it should) fewer files
than --coarse.
"""

import json

import pytest

from breaking import break_body, check_selected, failing_files, green_project, replace_and_commit
from layouts import snippet_conftest

LIB = {
    "lib/__init__.py": "from .core import add, Greeter\nfrom .util import *\nfrom .extra import triple\n",
    "lib/visit.py": ("class Visitor:\n"
                     "    def visit(self, kind):\n        return getattr(self, 'visit_' + kind)()\n\n"
                     "    def visit_a(self):\n        return 'a'\n\n\n"
                     "class Other:\n    def run(self):\n        return 1\n"),
    "tests/test_visit.py": ("from lib.visit import Visitor\n\n\n"
                            "def test_visit():\n    assert Visitor().visit('a') == 'a'\n"),
    "tests/test_other.py": ("from lib.visit import Other\n\n\n"
                            "def test_other():\n    assert Other().run() == 1\n"),
    "lib/extra.py": "def triple(x):\n    return 3 * x\n\n\ndef neg(x):\n    return -x\n",
    "tests/test_extra.py": "from lib import triple\nfrom lib.extra import neg\n\n\n"
                           "def test_triple():\n    assert triple(neg(1)) == -3\n",
    "lib/core.py": (
        "from .util import twice\n\n\n"
        "def add(a, b):\n    return a + b\n\n\n"
        "def double_add(a, b):\n    return twice(add(a, b))\n\n\n"
        "class Greeter:\n"
        "    def __init__(self, name):\n        self.name = name\n\n"
        "    def greet(self):\n        return 'hi ' + self.name\n\n"
        "    def __eq__(self, other):\n        return self.name == other.name\n\n\n"
        "class Loud(Greeter):\n"
        "    def greet(self):\n        return super().greet().upper()\n"),
    "lib/util.py": (
        "__all__ = ['twice', 'shout', 'make_two']\n\n\n"
        "def twice(x):\n    return 2 * x\n\n\n"
        "def shout(s):\n    return s.upper() + '!'\n\n\n"
        "def make_two():\n    return 2\n"),
    "lib/cli.py": "def main(argv):\n    from lib import render\n    return render.page(argv)\n",
    "lib/render.py": ("def page(argv):\n    return 'page:' + ','.join(argv)\n\n\n"
                      "def unused_helper():\n    return 0\n"),
    "lib/events.py": (
        "HANDLERS = {}\n\n\n"
        "def on(name):\n    def deco(f):\n        HANDLERS[name] = f\n        return f\n    return deco\n\n\n"
        "def fire(name, *args):\n    return HANDLERS[name](*args)\n"),
    "lib/plugins.py": ("from lib.events import on\n\n\n"
                       "@on('sum')\ndef handle_sum(a, b):\n    return a + b\n"),
    "tests/conftest.py": ("import pytest\n\nfrom lib.util import make_two\n\n\n"
                          "@pytest.fixture\ndef two():\n    return make_two()\n"),
    "tests/test_add.py": "from lib import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    "tests/test_double.py": ("from lib.core import double_add\n\n\n"
                             "def test_double():\n    assert double_add(1, 2) == 6\n"),
    "tests/test_greet.py": "import lib\n\n\ndef test_greet():\n    assert lib.Greeter('a').greet() == 'hi a'\n",
    "tests/test_loud.py": ("from lib.core import Loud\n\n\n"
                           "def test_loud():\n    assert Loud('a').greet() == 'HI A'\n"),
    "tests/test_eq.py": ("from lib.core import Greeter\n\n\n"
                         "def test_eq():\n    assert Greeter('a') == Greeter('a')\n"),
    "tests/test_shout.py": "from lib import shout\n\n\ndef test_shout():\n    assert shout('a') == 'A!'\n",
    "tests/test_cli.py": "from lib.cli import main\n\n\ndef test_main():\n    assert main(['x']) == 'page:x'\n",
    "tests/test_events.py": ("import lib.plugins\nfrom lib.events import fire\n\n\n"
                             "def test_fire():\n    assert fire('sum', 1, 2) == 3\n"),
    "tests/test_fixture.py": "def test_two(two):\n    assert two == 2\n",
    "tests/test_nothing.py": "import lib\n\n\ndef test_nothing():\n    assert lib\n",
}

ALL = sorted(p for p in LIB if p.startswith("tests/test_"))

@pytest.fixture
def lib(repo):
    repo.write_many(LIB)
    repo.commit("base")
    assert failing_files(repo) == []
    return repo


CASES = [
    # name, file, transform, the precise selection (None: only "misses
    # nothing"), and whether it must be narrower than --coarse
    ("function_body_through_reexport", "lib/core.py",
     lambda s: break_body(s, "def add(a, b):"), ["tests/test_add.py", "tests/test_double.py"], True),
    ("star_reexport", "lib/util.py",
     lambda s: break_body(s, "def shout(s):"), ["tests/test_shout.py"], True),
    ("method_and_override", "lib/core.py",
     lambda s: break_body(s, "    def greet(self):\n        return 'hi", indent="        "),
     ["tests/test_greet.py", "tests/test_loud.py"], True),
    ("lazy_import_callee", "lib/render.py",
     lambda s: break_body(s, "def page(argv):"), ["tests/test_cli.py"], False),
    ("lazily_imported_module_level", "lib/render.py",
     lambda s: s + "\nCONSTANT = 1 / 0\n", ["tests/test_cli.py"], False),
    ("registered_callback_nobody_names", "lib/plugins.py",
     lambda s: break_body(s, "def handle_sum(a, b):"), ["tests/test_events.py"], False),
    ("method_called_by_computed_name", "lib/visit.py",
     lambda s: break_body(s, "    def visit_a(self):", indent="        "), ["tests/test_visit.py"], False),
    ("decorator_factory_runs_at_import", "lib/events.py",
     lambda s: break_body(s, "def on(name):"), None, False),
    ("conftest_fixture_helper", "lib/util.py",
     lambda s: break_body(s, "def make_two():"), None, False),
    ("dunder_method", "lib/core.py",
     lambda s: break_body(s, "    def __eq__(self, other):", indent="        "), None, False),
]


@pytest.mark.parametrize("name, path, transform, expected, narrower", CASES,
                         ids=[c[0] for c in CASES])
def test_precise_never_misses_and_narrows(lib, name, path, transform, expected, narrower):
    src = (lib.path / path).read_text()
    lib.write(path, transform(src))
    lib.commit(name)
    failing = failing_files(lib)
    assert failing, "the mutation must break something"
    precise = lib.listing("HEAD~1..")
    coarse = lib.listing("--coarse", "HEAD~1..")
    missed = sorted(set(failing) - set(precise))
    assert not missed, f"precise mode missed {missed} (selected {precise})"
    assert set(precise) <= set(coarse)
    if expected is not None:
        assert sorted(precise) == sorted(expected)
    if narrower:
        assert len(precise) < len(coarse)


def test_coarse_selects_everything_here(lib):
    lib.write("lib/core.py", break_body(LIB["lib/core.py"], "def add(a, b):"))
    lib.commit("x")
    assert sorted(lib.listing("--coarse", "HEAD~1..")) == ALL


def test_explain_shows_the_reference_chain(lib):
    lib.write("lib/core.py", break_body(LIB["lib/core.py"], "def add(a, b):"))
    lib.commit("x")
    out = lib.impact("--explain", "HEAD~1..").stdout.decode()
    assert "change: lib/core.py: call-time change of add" in out
    assert "tests/test_double.py (references: tests/test_double.py:test_double -> " \
           "lib/core.py:double_add -> lib/core.py:add (body changed))" in out
    j = __import__("json").loads(lib.impact("--json", "HEAD~1..").stdout)
    assert j["changed"][0]["precise"] == "call-time change of add"
    refs = {t["path"]: t.get("references") for t in j["selected"]}
    assert refs["tests/test_add.py"].endswith("lib/core.py:add (body changed)")


def test_run_names_the_cause_of_a_reference_selected_failure(lib):
    lib.write("lib/core.py", break_body(LIB["lib/core.py"], "def add(a, b):"))
    lib.commit("x")
    r = lib.impact("HEAD~1..")
    assert r.returncode == 1
    assert "likely caused by this change: lib/core.py" in r.stderr.decode()


def test_signature_change_running_code_is_import_time(lib):
    # A default computed by a call runs at import (test_signature_changes.py has the rest).
    lib.write("lib/util.py", LIB["lib/util.py"].replace("def shout(s):", "def shout(s, t=len('x')):"))
    lib.commit("x")
    assert sorted(lib.listing("HEAD~1..")) == ALL
    out = lib.impact("--explain", "HEAD~1..").stdout.decode()
    assert "import-time change" in out


def test_signature_change_running_no_code_is_call_time(lib):
    lib.write("lib/util.py", LIB["lib/util.py"].replace("def shout(s):", "def shout(s, t=1):"))
    lib.commit("x")
    assert sorted(lib.listing("HEAD~1..")) == ["tests/test_shout.py"]
    out = lib.impact("--explain", "HEAD~1..").stdout.decode()
    assert "lib/util.py:shout (signature changed)" in out, out


def test_working_tree_change_is_precise_too(lib):
    lib.write("lib/render.py", break_body(LIB["lib/render.py"], "def page(argv):"))
    assert lib.listing() == ["tests/test_cli.py"]


def test_syntax_error_falls_back_to_the_module(lib):
    lib.write("lib/render.py", LIB["lib/render.py"].replace("return 0", "return (0"))
    lib.commit("x")
    assert lib.listing("HEAD~1..") == ["tests/test_cli.py"]
    lib.write("lib/util.py", LIB["lib/util.py"].replace("return 2 * x", "return (2 * x"))
    lib.commit("y")
    assert sorted(lib.listing("HEAD~1..")) == ALL


def test_dynamic_function_falls_back(lib):
    lib.write("lib/render.py", LIB["lib/render.py"] +
              "\n\ndef by_name(name):\n    return globals()[name]()\n")
    lib.commit("x")
    lib.write("lib/render.py", (lib.path / "lib/render.py").read_text().replace(
        "return globals()[name]()", "return globals()[name]() or 1"))
    lib.commit("y")
    # Nobody names it (globals() reads its own module): its module changes at import time.
    assert lib.listing("HEAD~1..") == ["tests/test_cli.py"]


def test_audit_precise_has_no_miss_and_beats_coarse(lib):
    """The safety check, built into the product: every function of a
    sample of modules broken at once; every failing test file must be
    selected. Precise and coarse side by side on the same mutants."""
    import json as _json

    def audit(*extra):
        r = lib.impact("audit", "--mutate", "20", "--json", *extra)
        assert r.returncode == 0, r.stderr.decode(errors="replace")
        return _json.loads(r.stdout)

    precise = audit()
    coarse = audit("--", "--coarse")
    assert precise["totals"]["missed"] == 0 and coarse["totals"]["missed"] == 0
    assert precise["totals"]["audited"] == coarse["totals"]["audited"] >= 6
    assert precise["totals"]["selected"] < coarse["totals"]["selected"]
    assert precise["totals"]["precision"] > coarse["totals"]["precision"]


def test_thousands_of_changed_modules_decide_by_whole_modules(repo):
    """A first commit of 1200 modules: no function-level walk, said, and
    the same tests as --coarse (a walk would only give up, slowly)."""
    files = {"pkg/__init__.py": ""}
    for i in range(1200):
        files[f"pkg/m{i}.py"] = f"def f{i}():\n    return {i}\n"
    files["tests/test_a.py"] = "from pkg.m7 import f7\n\ndef test_a():\n    assert f7() == 7\n"
    files["tests/test_b.py"] = "def test_b():\n    assert True\n"
    repo.write_many(files)
    repo.commit("everything at once")
    r = repo.impact("--list", "HEAD")
    assert r.returncode == 0, r.stderr
    assert "too many changed modules" in r.stderr.decode()
    assert repo.listing("HEAD") == repo.listing("--coarse", "HEAD")
    assert "tests/test_a.py" in repo.listing("HEAD")


def many_callers_project(repo, core, call, callers, test_body, change, extra=None):
    """lib/core.py is `core`; each of 20 modules imports `call` from it and
    has `callers` functions returning `call(k)`; tests/test_m<m>.py runs
    `test_body` (formatted with m); then `change` (old, new) is made to
    core.py and committed."""
    files = {"lib/__init__.py": "", "lib/core.py": core}
    for m in range(20):
        body = "".join(f"\n\ndef f{k}():\n    return {call}({k})\n" for k in range(callers))
        files[f"lib/m{m}.py"] = f"from lib.core import {call}\n" + body
        files[f"tests/test_m{m}.py"] = test_body.format(m=m)
    files.update(extra or {})
    repo.write_many(files)
    repo.commit("callers")
    path = repo.path / "lib/core.py"
    path.write_text(path.read_text().replace(*change))
    repo.commit("core changed")


def registry_project(repo, callers):
    """lib/core.py fills a registry at import (module-level code calls
    register); every other module imports it and has `callers` functions
    calling register; one test file per module, and one importing nothing."""
    many_callers_project(
        repo, "REG = []\n\n\ndef register(x):\n    REG.append(x)\n    return x\n\n\n"
              "register('core')\n", "register", callers,
        "from lib import m{m}\n\n\ndef test_m():\n    assert m{m}.f0() == 0\n",
        ("    return x\n", "    return x\n    pass\n"),
        {"tests/test_alone.py": "def test_alone():\n    assert True\n"})


def test_a_change_module_level_code_runs_needs_no_reference_walk(repo):
    """A changed function its own module's module-level code calls makes the
    module import-time changed; when that reach already holds every test
    whole-module selection reaches, no reference walk is made: the answer
    is the same, from one module's facts, and without the walk's giving up
    (here 2,100 functions call the change: the walk stopped at 2,000 and
    said 'whole modules decided')."""
    registry_project(repo, callers=105)
    expected = [f"tests/test_m{m}.py" for m in range(20)]
    r = repo.impact("--json", "HEAD~1..")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert sorted(t["path"] for t in out["selected"]) == sorted(expected)
    assert out["warnings"] == []
    assert out["timings_ms"]["facts_loaded"] <= 2, out["timings_ms"]
    assert sorted(repo.listing("HEAD~1..")) == sorted(repo.listing("--coarse", "HEAD~1.."))
    explain = repo.impact("--explain", "HEAD~1..").stdout.decode()
    assert "runs changed code: lib/core.py:<module> -> lib/core.py:register" in explain


def fanout_project(repo, extra=None):
    """lib/core.py's work() is called by 105 functions in each of 20
    modules (2,100 callers, no test imports them); each test file calls
    work() itself."""
    many_callers_project(
        repo, "def work(x):\n    return x\n", "work", 105,
        "from lib.core import work\n\n\ndef test_m():\n    assert work({m}) == {m}\n",
        ("    return x\n", "    x += 0\n    return x\n"), extra)


def test_a_walk_stops_once_it_has_selected_all_it_can(repo):
    """2,100 functions call the changed one: the walk used to stop at 2,000
    and say 'whole modules decided'. What it has found only grows and never
    leaves the whole-module bound, so once it already selects every test
    that bound holds, it stops with that answer: the same tests, no
    warning."""
    fanout_project(repo)
    r = repo.impact("--json", "HEAD~1..")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert sorted(t["path"] for t in out["selected"]) == sorted(
        f"tests/test_m{m}.py" for m in range(20))
    assert out["warnings"] == []
    explain = repo.impact("--explain", "HEAD~1..").stdout.decode()
    assert "lib/core.py:work" in explain


def test_a_walk_that_has_not_selected_all_it_can_still_gives_up_wide(repo):
    """The same fan-out with a test that imports a caller's module but calls
    nothing: the walk never selects it, so it cannot stop early; at its limit
    it gives up and whole modules decide, that test included (safe)."""
    fanout_project(repo, {"tests/test_idle.py": "from lib import m0\n\n\n"
                                                "def test_idle():\n    assert m0\n"})
    r = repo.impact("--json", "HEAD~1..")
    out = json.loads(r.stdout)
    assert "tests/test_idle.py" in [t["path"] for t in out["selected"]]
    assert any("whole modules decided" in w for w in out["warnings"]), out["warnings"]


def test_a_change_module_level_code_runs_reaches_lazy_collectors(repo):
    """The same shortcut must hold every collect hook too: here the only
    test module imports the changed module (its import-time reach holds
    every test module), but a conftest's collector imports it lazily, in
    the function that runs each collected file: the walk is made, and the
    collected folder is selected (and fails)."""
    repo.write_many({
        "pkg/__init__.py": "",
        "pkg/calc.py": "def evaluate(expr):\n    a, op, b = expr.split()\n"
                       "    return {'+': int(a) + int(b), '*': int(a) * int(b)}[op]\n\n\n"
                       "CHECK = evaluate('1 + 1')\n",
        "tests/test_calc.py": "from pkg.calc import CHECK\n\n\ndef test_check():\n    assert CHECK\n",
        "tests/snippets/conftest.py": snippet_conftest(lazy=True),
        "tests/snippets/add.txt": "1 + 2 =3\n",
    })
    repo.commit("base")
    calc = repo.path / "pkg/calc.py"
    calc.write_text(calc.read_text().replace("int(a) + int(b)", "int(a) - int(b)"))
    repo.commit("break the evaluator")
    assert "tests/snippets" in repo.listing("HEAD~1.."), repo.impact("--explain", "HEAD~1..").stdout
    r = repo.impact("HEAD~1..")
    assert r.returncode == 1 and "add.txt" in r.stderr.decode(), r.stderr.decode()


def test_a_change_module_level_code_runs_reaches_lazy_importers(repo):
    """The same shape with a test importing the changed module in a function:
    a lazy import is no module-level edge, so the import-time reach does
    not hold that test and the reference walk decides: importing the
    module runs the change, so the test is selected."""
    registry_project(repo, callers=1)
    repo.write("tests/test_lazy.py", "def test_lazy():\n    from lib.core import REG\n    assert REG\n")
    repo.commit("a lazy reader")
    core = repo.path / "lib/core.py"
    core.write_text(core.read_text().replace("    pass\n", "    pass\n    pass\n"))
    repo.commit("register changed again")
    r = repo.impact("--json", "HEAD~1..")
    out = json.loads(r.stdout)
    assert out["timings_ms"]["facts_loaded"] > 2, out["timings_ms"]  # walked
    assert sorted(t["path"] for t in out["selected"]) == sorted(
        ["tests/test_lazy.py"] + [f"tests/test_m{m}.py" for m in range(20)])


LAZY = {
    "pkg/__init__.py": ("def fancy(text):\n"
                        "    from pkg._fancy import Fancy  # lazy: only fancy() loads it\n"
                        "    return Fancy(text)\n"),
    "pkg/_fancy.py": ("class Fancy:\n"
                      "    def __init__(self, text):\n        self.text = text\n\n"
                      "    def render(self):\n        return '*' + self.text + '*'\n"),
    "pkg/plain.py": ("class Plain:\n"
                     "    def __init__(self, text):\n        self.text = text\n\n"
                     "    def render(self):\n        return self.text\n\n\n"
                     "def show(thing):\n    return thing.render()  # any class's render\n"),
    "tests/__init__.py": "",
    "tests/test_fancy.py": ("from pkg import fancy\nfrom pkg.plain import show\n\n\n"
                            "def test_fancy():\n    assert show(fancy('a')) == '*a*'\n"),
    "tests/test_direct.py": ("from pkg._fancy import Fancy\n\n\n"
                             "def test_direct():\n    assert Fancy('b').render() == '*b*'\n"),
    "tests/test_plain.py": ("import pkg\nfrom pkg.plain import Plain, show\n\n\n"
                            "def test_plain():\n    assert show(Plain('c')) == 'c'\n"),
}


def test_a_method_reached_only_by_name_from_tests_that_never_load_its_module(repo):
    """`thing.render()` on an object of unknown type may be any class's
    render, so a change to Fancy.render reaches every test calling show().
    But Fancy's module is imported lazily, inside fancy(): a test that
    never calls fancy() (and imports the module no other way) never loads
    it, so it cannot run Fancy.render. The tests that can load it (through
    fancy(), or importing it at the top) stay selected, and --explain says
    how many were left out."""
    green_project(repo, LAZY)
    failing = replace_and_commit(repo, "pkg/_fancy.py", "'*' + self.text", "'!' + self.text")
    assert failing == ["tests/test_direct.py", "tests/test_fancy.py"]
    explain = check_selected(repo, failing, failing, "--no-records")
    assert "1 test file reached only by name left out: it loads no changed module" in explain, explain
    # --coarse keeps the whole-module answer: pkg's lazy import reaches every test.
    assert sorted(repo.listing("--coarse", "HEAD~1..")) == [
        "tests/test_direct.py", "tests/test_fancy.py", "tests/test_plain.py"]


def test_a_test_that_loads_the_module_itself_keeps_the_name_match(repo):
    """The same change, with the plain test also calling fancy() (the lazy
    import): it may load Fancy, so the name match keeps it."""
    files = dict(LAZY)
    files["tests/test_plain.py"] = ("import pkg\nfrom pkg.plain import Plain, show\n\n\n"
                                    "def test_plain():\n    assert show(Plain('c')) == 'c'\n\n\n"
                                    "def test_both():\n    assert pkg.fancy('d').text == 'd'\n")
    green_project(repo, files)
    failing = replace_and_commit(repo, "pkg/_fancy.py", "'*' + self.text", "'!' + self.text")
    check_selected(repo, failing, ["tests/test_direct.py", "tests/test_fancy.py", "tests/test_plain.py"],
                   "--no-records")
