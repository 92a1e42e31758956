"""Signature changes and added helpers: a function's or method's header
(`def scale(x, factor=2)`), or a new private function beside the code that
calls it, the commonest shapes of a real commit.

A `def` runs at import (a method's when its class is made), but when its
defaults and evaluated annotations call nothing, running it binds a new
function and does nothing else: only the function's callers see the
change, as with a new body. An added function changes nothing at import
when nothing bound its name before and no star import can take it. So
these are call-time changes: the tests that reach the function are
selected, not every test importing its module. A data-only value that
names nothing else (`_LIMIT = 3`), changed or added beside them, is read
by its readers only, as precise_values.c checks (test_value_changes.py). Where the header runs code
(a default computed by a call, an annotation evaluated at import), a
decorator or a metaclass impact does not know may read the signature, the
name was bound before, a star import takes the new name, or a function
went away, the module stays an import-time change. Each case runs the
suite with pytest to learn which test files really fail, and compares
impact's selection with it.
"""
import pytest

from breaking import check_selected, failing_files, green_project, record_all, replace_and_commit

BASE = {
    "pkg/__init__.py": "",
    "pkg/core.py": (
        "from __future__ import annotations\n\n"
        "import contextlib\n\n"
        "from pkg.util import _fmt\n\n\n"
        "def add(a: int, b: int) -> int:\n"
        "    return a + b\n\n\n"
        "def scale(x, factor=2):\n"
        "    return x * factor\n\n\n"
        "@contextlib.contextmanager\n"
        "def opened(name, mode='r'):\n"
        "    yield (name, mode)\n\n\n"
        "def show(x):\n"
        "    return _fmt(x)\n"
    ),
    "pkg/util.py": (
        "def _fmt(x):\n"
        "    return str(x)\n\n\n"
        "def default_factor():\n"
        "    return 2\n"
    ),
    "pkg/typed.py": (
        "def half(x) -> float:\n"
        "    return x / 2\n"
    ),
    "pkg/star.py": (
        "def extra():\n"
        "    return 'mine'\n\n\n"
        "from pkg.core import *  # noqa: E402,F401,F403\n"
    ),
    "pkg/registry.py": (
        "import inspect\n\n"
        "REGISTRY = {}\n\n\n"
        "def register(f):\n"
        "    REGISTRY[f.__name__] = str(inspect.signature(f))\n"
        "    return f\n\n\n"
        "@register\n"
        "def handler(event, retries=3):\n"
        "    return event\n"
    ),
    "pkg/shapes.py": (
        "import inspect\n\n\n"
        "class Greeter:\n"
        "    \"\"\"Says hello.\"\"\"\n\n"
        "    def greet(self, name, punct='!'):\n"
        "        return 'hi ' + name + punct\n\n"
        "    def wave(self):\n"
        "        return 'o/'\n\n\n"
        "class Signed(type):\n"
        "    def __new__(mcs, name, bases, ns):\n"
        "        cls = super().__new__(mcs, name, bases, ns)\n"
        "        cls.SIGS = {k: str(inspect.signature(v)) for k, v in ns.items() if callable(v)}\n"
        "        return cls\n\n\n"
        "class Handler(metaclass=Signed):\n"
        "    def handle(self, event, retries=3):\n"
        "        return event\n"
    ),
    "tests/test_greet.py": (
        "from pkg.shapes import Greeter\n\n\n"
        "def test_greet():\n"
        "    assert Greeter().greet('a') == 'hi a!'\n"
    ),
    "tests/test_wave.py": "from pkg.shapes import Greeter\n\n\ndef test_wave():\n    assert Greeter().wave() == 'o/'\n",
    "tests/test_doc.py": (
        "import pkg.shapes\n\n\n"
        "def test_doc():\n"
        "    assert pkg.shapes.Greeter.__doc__ == 'Says hello.'\n"
    ),
    "tests/test_handler.py": (
        "from pkg.shapes import Handler\n\n\n"
        "def test_sigs():\n"
        "    assert Handler.SIGS == {'handle': '(self, event, retries=3)'}\n"
    ),
    "tests/test_add.py": "from pkg.core import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    "tests/test_scale.py": "from pkg.core import scale\n\n\ndef test_scale():\n    assert scale(3) == 6\n",
    "tests/test_opened.py": (
        "from pkg.core import opened\n\n\n"
        "def test_opened():\n"
        "    with opened('a') as got:\n"
        "        assert got == ('a', 'r')\n"
    ),
    "tests/test_show.py": "from pkg.core import show\n\n\ndef test_show():\n    assert show(1) == '1'\n",
    "tests/test_half.py": "from pkg.typed import half\n\n\ndef test_half():\n    assert half(4) == 2\n",
    "tests/test_typed.py": "import pkg.typed\n\n\ndef test_module():\n    assert pkg.typed.__name__\n",
    "tests/test_star.py": "from pkg.star import extra\n\n\ndef test_extra():\n    assert extra() == 'mine'\n",
    "tests/test_registry.py": (
        "from pkg.registry import REGISTRY\n\n\n"
        "def test_registry():\n"
        "    assert REGISTRY == {'handler': '(event, retries=3)'}\n"
    ),
}

# Every test file importing pkg.core, directly or not (the import-time answer).
CORE_IMPORTERS = ["tests/test_add.py", "tests/test_opened.py", "tests/test_scale.py",
                  "tests/test_show.py", "tests/test_star.py"]

TYPED_IMPORTERS = ["tests/test_half.py", "tests/test_typed.py"]
SHAPES_IMPORTERS = ["tests/test_doc.py", "tests/test_greet.py", "tests/test_handler.py", "tests/test_wave.py"]

CASES = [
    # name, file, old text, new text, expected selection
    ("default_changed", "pkg/core.py", "factor=2", "factor=3", ["tests/test_scale.py"]),
    ("parameter_added", "pkg/core.py", "def add(a: int, b: int) -> int:\n    return a + b",
     "def add(a: int, b: int, c: int) -> int:\n    return a + b + c", ["tests/test_add.py"]),
    # Annotations under `from __future__ import annotations` are never evaluated.
    ("lazy_annotation_calls", "pkg/core.py", "def scale(x, factor=2):",
     "def scale(x: make_type(), factor=3):", ["tests/test_scale.py"]),
    ("known_decorator", "pkg/core.py", "mode='r'", "mode='rb'", ["tests/test_opened.py"]),
    ("private_helper_added", "pkg/core.py", "def scale(x, factor=2):\n    return x * factor",
     "def _times(x, y):\n    return x * y + 1\n\n\ndef scale(x, factor=2):\n    return _times(x, factor)",
     ["tests/test_scale.py"]),
    # A method of a class nothing inspects as it is made.
    ("method_default_changed", "pkg/shapes.py", "punct='!'", "punct='?'", ["tests/test_greet.py"]),
    # Its docstring: whatever names the class (test_doc reads it).
    ("class_docstring_changed", "pkg/shapes.py", "Says hello.", "Says hi.",
     ["tests/test_doc.py", "tests/test_greet.py", "tests/test_wave.py"]),
    # A private constant added for the code that reads it, and a value beside a new header.
    ("private_constant_added", "pkg/core.py", "def scale(x, factor=2):\n    return x * factor",
     "_BONUS = 1\n\n\ndef scale(x, factor=2):\n    return x * factor + _BONUS", ["tests/test_scale.py"]),
    ("value_and_header", "pkg/typed.py", "def half(x) -> float:\n    return x / 2",
     "_DIV = 3\n\n\ndef half(x, rest=None) -> float:\n    return x / _DIV", ["tests/test_half.py"]),
    # Safe: a default reads a value whose place among the defs the fingerprint does not keep.
    ("safe_default_reads_a_value", "pkg/typed.py", "def half(x) -> float:\n    return x / 2",
     "_DIV = 3\n\n\ndef half(x, div=_DIV) -> float:\n    return x / div", TYPED_IMPORTERS),
    # Safe: a public constant a star import takes (no __all__).
    ("safe_public_constant_added", "pkg/core.py", "def show(x):", "extra = 'theirs'\n\n\ndef show(x):",
     CORE_IMPORTERS),
    # Safe: the header runs code at import.
    ("safe_default_calls", "pkg/core.py", "from pkg.util import _fmt\n",
     "from pkg.util import _fmt, default_factor\n", CORE_IMPORTERS),
    ("safe_evaluated_annotation", "pkg/typed.py", "-> float:", "-> make_type():", TYPED_IMPORTERS),
    # Safe: a public function a star import takes (no __all__), shadowing a name of its importer.
    ("safe_public_added", "pkg/core.py", "def show(x):", "def extra():\n    return 'theirs'\n\n\ndef show(x):",
     CORE_IMPORTERS),
    # Safe: the new function shadows a name an import bound.
    ("safe_name_bound_before", "pkg/core.py", "def show(x):",
     "def _fmt(x):\n    return repr(x) + '!'\n\n\ndef show(x):", CORE_IMPORTERS),
    # Safe: a function went away.
    ("safe_removed", "pkg/core.py", "def add(a: int, b: int) -> int:\n    return a + b\n\n\n", "",
     CORE_IMPORTERS),
    # Safe: a decorator impact does not know reads the signature at import.
    ("safe_unknown_decorator", "pkg/registry.py", "retries=3", "retries=4", ["tests/test_registry.py"]),
    # Safe: a metaclass reads its methods' signatures as the class is made.
    ("safe_metaclass", "pkg/shapes.py", "retries=3", "retries=4", SHAPES_IMPORTERS),
]


@pytest.fixture
def proj(rrepo):
    return green_project(rrepo, BASE)



@pytest.mark.parametrize("name, path, old, new, expected", CASES, ids=[c[0] for c in CASES])
def test_static_selection(proj, name, path, old, new, expected):
    if name == "safe_default_calls":
        # Two steps: the import first, then the default that calls at import.
        replace_and_commit(proj, path, old, new)
        old, new = "factor=2", "factor=default_factor()"
    failing = replace_and_commit(proj, path, old, new)
    explain = check_selected(proj, failing, expected, "--no-records")
    if not name.startswith("safe_"):
        assert "import-time change" not in explain, explain


@pytest.mark.parametrize("name", ["default_changed", "private_helper_added"])
def test_recorded_selection(proj, name):
    _, path, old, new, expected = next(c for c in CASES if c[0] == name)
    record_all(proj)
    failing = replace_and_commit(proj, path, old, new)
    check_selected(proj, failing, expected)


def test_explain_names_the_signature_and_the_added_function(proj):
    replace_and_commit(proj, "pkg/core.py", "def scale(x, factor=2):\n    return x * factor",
            "def _times(x, y):\n    return x * y\n\n\ndef scale(x, factor=3):\n    return _times(x, factor)")
    out = proj.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()
    assert "pkg/core.py: call-time change of _times, scale" in out, out
    assert "pkg/core.py:scale (signature changed)" in out, out


def test_class_docstring_is_import_time_for_records(proj):
    # No function a record holds changed: the records keep the module's importers.
    record_all(proj)
    failing = replace_and_commit(proj, "pkg/shapes.py", "Says hello.", "Says hi.")
    assert failing == ["tests/test_doc.py"]
    assert sorted(proj.listing("HEAD~1..")) == SHAPES_IMPORTERS


def test_class_docstring_doctest_runs(rrepo):
    # Under --doctest-modules the module's own doctests are tests: a new docstring runs them.
    rrepo.write_many({
        "pytest.ini": "[pytest]\naddopts = --doctest-modules\ntestpaths = pkg tests\n",
        "pkg/__init__.py": "",
        "pkg/doc.py": (
            "class Box:\n"
            "    \"\"\"A box.\n\n"
            "    >>> Box().size()\n"
            "    1\n"
            "    \"\"\"\n\n"
            "    def size(self):\n"
            "        return 1\n"
        ),
        "pkg/other.py": "def two():\n    return 2\n",
        "tests/test_other.py": "import pkg.doc\nfrom pkg.other import two\n\n\ndef test_two():\n    assert two() == 2\n",
    })
    rrepo.commit("base")
    assert failing_files(rrepo) == []
    failing = replace_and_commit(rrepo, "pkg/doc.py", "    1\n    \"\"\"", "    2\n    \"\"\"")
    assert failing == ["pkg/doc.py"]
    selected = rrepo.listing("--no-records", "HEAD~1..")
    # (Its doctest examples run Box as module code: its importers come too.)
    assert "pkg/doc.py" in selected, rrepo.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()


def test_comment_in_a_header_changes_nothing(proj):
    replace_and_commit(proj, "pkg/core.py", "def scale(x, factor=2):", "def scale(x,  # the value\n          factor=2):")
    out = proj.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()
    assert "pkg/core.py: comments/layout only" in out, out
    assert proj.listing("--no-records", "HEAD~1..") == []
