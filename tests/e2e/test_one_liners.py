"""One-line functions (`def f(x): return x`, `@overload` stubs): their body
shares the header's line, and only the header is import-time code.

fnhash.c fingerprints a module's import-time code without the bodies of
its functions; a one-liner's body starts after its header's colon on the
same line, so a change there is a call-time change of that function, not
an import-time change of the module (which would select every test that
imports it). The header itself (a default value, an annotation, a
decorator) still runs at import. Each case breaks one thing, runs the
suite with pytest to learn which test files really fail, and compares
impact's selection, static and from records.
"""
import pytest

from breaking import failing_files

OPS = (
    "import typing as t\n\n\n"
    "@t.overload\n"
    "def conv(x: int) -> int: ...\n"
    "@t.overload\n"
    "def conv(x: str) -> str: ...\n"
    "def conv(x): return x\n\n\n"
    "def double(x: 'n: int') -> 'r: int': return x * 2  # twice\n\n\n"
    "def triple(x, k={'a': 1}): return x * 3\n\n\n"
    "def spread(x): return (x,\n"
    "                       x)\n\n\n"
    "class Box:\n"
    "    label = 'box: small'\n"
    "    def size(self): return 4\n"
)

PROJ = {
    "pkg/__init__.py": "",
    "pkg/ops.py": OPS,
    "tests/test_conv.py": "from pkg.ops import conv\n\n\ndef test_conv():\n    assert conv(3) == 3\n",
    "tests/test_double.py": "from pkg.ops import double\n\n\ndef test_double():\n    assert double(2) == 4\n",
    "tests/test_triple.py": "from pkg.ops import triple\n\n\ndef test_triple():\n    assert triple(2) == 6\n",
    "tests/test_spread.py": "from pkg.ops import spread\n\n\ndef test_spread():\n    assert spread(1) == (1, 1)\n",
    "tests/test_box.py": "from pkg.ops import Box\n\n\ndef test_size():\n    assert Box().size() == 4\n",
    "tests/test_label.py": "from pkg.ops import Box\n\n\ndef test_label():\n    assert Box.label == 'box: small'\n",
}

ALL = sorted(p for p in PROJ if p.startswith("tests/"))

CASES = [
    # name, old text, new text, the expected selection (static and recorded)
    ("body_of_a_one_liner", "return x * 2", "return x * 20", ["tests/test_double.py"]),
    ("body_of_a_one_line_method", "def size(self): return 4", "def size(self): return 40",
     ["tests/test_box.py"]),
    ("body_of_the_overloaded_function", "def conv(x): return x", "def conv(x): return -x",
     ["tests/test_conv.py"]),
    ("body_spanning_two_lines", "                       x)", "                       -x)",
     ["tests/test_spread.py"]),
    ("safe_default_value_runs_at_import", "k={'a': 1}", "k={'a': 1 / 0}", ALL),
    ("safe_class_attribute_beside_a_one_liner", "'box: small'", "'box: big'", ALL),
]


@pytest.fixture
def proj(rrepo):
    rrepo.write_many(PROJ)
    rrepo.commit("base")
    assert failing_files(rrepo) == []
    return rrepo


def _change(repo, old, new):
    src = (repo.path / "pkg/ops.py").read_text()
    assert src.count(old) == 1, old
    repo.write("pkg/ops.py", src.replace(old, new))
    repo.commit("change")
    failing = failing_files(repo)
    assert failing, "the change must break something"
    return failing


@pytest.mark.parametrize("name, old, new, expected", CASES, ids=[c[0] for c in CASES])
def test_static_selection(proj, name, old, new, expected):
    failing = _change(proj, old, new)
    selected = proj.listing("--no-records", "HEAD~1..")
    assert not sorted(set(failing) - set(selected)), (failing, selected)
    assert selected == expected, proj.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()


@pytest.mark.parametrize("name, old, new, expected", CASES, ids=[c[0] for c in CASES])
def test_recorded_selection(proj, name, old, new, expected):
    r = proj.impact("--all", "-q")
    assert r.returncode == 0, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    failing = _change(proj, old, new)
    selected = proj.listing("HEAD~1..")
    assert not sorted(set(failing) - set(selected)), (failing, selected)
    assert selected == expected, proj.impact("--explain", "HEAD~1..").stdout.decode()


def test_explain_names_the_one_liner(proj):
    _change(proj, "return x * 2", "return x * 20")
    out = proj.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()
    assert "pkg/ops.py: call-time change of double" in out, out


def test_a_comment_after_a_one_liner_changes_nothing(proj):
    src = (proj.path / "pkg/ops.py").read_text()
    proj.write("pkg/ops.py", src.replace("# twice", "# two times"))
    proj.commit("comment")
    assert proj.listing("--no-records", "HEAD~1..") == []
