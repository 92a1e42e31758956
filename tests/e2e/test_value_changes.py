"""Value changes: a top-level `NAME = <data>` (`__version__ = "1.2"`,
`MAX = 3`) whose value is all that changed outside function bodies.

Running such a module runs no other code than before, so only the code
reading those names sees a change: the precise walk looks for their
readers as it looks for a function's callers, and a release commit no
longer selects every test importing the package. Where the module's
object goes where impact cannot follow it (used as a value, loaded by a
name or a path in a string, by a computed import, or any module reads
sys.modules), code impact does not see may read the names, and the change
stays import-time. Each case changes one value, runs the suite with
pytest to learn which test files really fail, and compares impact's
selection, static and from records.
"""
import pytest

from breaking import check_selected, failing_files, green_project, record_all, replace_and_commit

BASE = {
    "pkg/__init__.py": "__version__ = '1.0'\n",
    "pkg/cli.py": (
        "from pkg import __version__\n\n\n"
        "def version_text():\n"
        "    return 'pkg ' + __version__\n"
    ),
    "pkg/core.py": "def add(a, b):\n    return a + b\n",
    "pkg/limits.py": (
        "MAX = 3\n"
        "NAMES = ('a',\n"
        "         'b')\n"
        "TABLE = {'x': 1}\n"
        "__all__ = ['MAX', 'NAMES', 'TABLE', 'lookup']\n\n\n"
        "def lookup(name):\n"
        "    return globals()[name]\n"
    ),
    "pkg/derived.py": (
        "from pkg.limits import MAX\n\n"
        "DOUBLE = MAX * 2\n\n\n"
        "def double():\n"
        "    return DOUBLE\n"
    ),
    "pkg/names.py": (
        "import pkg.limits\n\n\n"
        "def first_name():\n"
        "    return pkg.limits.NAMES[0]\n"
    ),
    "pkg/star.py": (
        "from pkg.limits import *\n\n\n"
        "def table_x():\n"
        "    return TABLE['x']\n"
    ),
    "tests/test_cli.py": (
        "from pkg.cli import version_text\n\n\n"
        "def test_version_text():\n"
        "    assert version_text() == 'pkg 1.0'\n"
    ),
    "tests/test_meta.py": "import pkg\n\n\ndef test_version():\n    assert pkg.__version__ == '1.0'\n",
    "tests/test_core.py": (
        "import pkg\n"
        "from pkg.core import add\n\n\n"
        "def test_add():\n"
        "    assert add(1, 2) == 3\n"
    ),
    "tests/test_derived.py": "from pkg.derived import double\n\n\ndef test_double():\n    assert double() == 6\n",
    "tests/test_names.py": "from pkg.names import first_name\n\n\ndef test_first():\n    assert first_name() == 'a'\n",
    "tests/test_star.py": "from pkg.star import table_x\n\n\ndef test_x():\n    assert table_x() == 1\n",
    "tests/test_lookup.py": (
        "from pkg.limits import lookup\n\n\n"
        "def test_lookup():\n"
        "    assert lookup('MAX') == 3\n"
    ),
}

TESTS = sorted(p for p in BASE if p.startswith("tests/"))
# Every test file that imports pkg.limits, directly or not (the import-time answer).
LIMITS_IMPORTERS = ["tests/test_derived.py", "tests/test_lookup.py", "tests/test_names.py",
                    "tests/test_star.py"]

CASES = [
    # name, file, old text, new text, expected selection (static and recorded)
    ("version_bump", "pkg/__init__.py", "'1.0'", "'2.0'", ["tests/test_cli.py", "tests/test_meta.py"]),
    # derived.py reads MAX at import: its importers run the change.
    ("read_at_import_by_another_module", "pkg/limits.py", "MAX = 3", "MAX = 4",
     ["tests/test_derived.py", "tests/test_lookup.py"]),
    # lookup() reads globals()[name]: any name of its module, so it stays selected.
    ("read_through_a_module_chain", "pkg/limits.py", "('a',", "('z',",
     ["tests/test_lookup.py", "tests/test_names.py"]),
    ("read_through_a_star_import", "pkg/limits.py", "{'x': 1}", "{'x': 2}",
     ["tests/test_lookup.py", "tests/test_star.py"]),
    # __all__ is read by Python itself (star imports): import-time.
    ("safe_all_is_import_time", "pkg/limits.py", "'TABLE', 'lookup'", "'lookup'", LIMITS_IMPORTERS),
    # A value computed by a call runs code at import.
    ("safe_computed_value_is_import_time", "pkg/limits.py", "MAX = 3", "MAX = int('4')", LIMITS_IMPORTERS),
]


@pytest.fixture
def proj(rrepo):
    return green_project(rrepo, BASE)


def _change(repo, path, old, new):
    failing = replace_and_commit(repo, path, old, new)
    assert failing, "the change must break something"
    return failing


@pytest.mark.parametrize("name, path, old, new, expected", CASES, ids=[c[0] for c in CASES])
def test_static_selection(proj, name, path, old, new, expected):
    failing = _change(proj, path, old, new)
    check_selected(proj, failing, expected, "--no-records")


@pytest.mark.parametrize("name, path, old, new, expected", CASES, ids=[c[0] for c in CASES])
def test_recorded_selection(proj, name, path, old, new, expected):
    record_all(proj)
    failing = _change(proj, path, old, new)
    check_selected(proj, failing, expected)


def test_explain_names_the_value(proj):
    _change(proj, "pkg/__init__.py", "'1.0'", "'2.0'")
    out = proj.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()
    assert "pkg/__init__.py: value change of __version__" in out, out
    assert "pkg/__init__.py:__version__ (value changed)" in out, out


# Shapes where the module's object, or its file, goes where impact cannot
# follow it: a new value stays an import-time change of the module.
ESCAPES = {
    # inspect.getmembers gets the module object: code outside the repository reads it.
    "used_as_a_value": {
        "pkg/app.py": (
            "import inspect\n"
            "from pkg import settings\n\n"
            "CONFIG = dict(inspect.getmembers(settings))\n\n\n"
            "def debug():\n"
            "    return CONFIG['DEBUG']\n"
        ),
    },
    # Loaded by its dotted name in a string, then read by name.
    "loaded_by_name": {
        "pkg/app.py": (
            "import importlib\n\n\n"
            "def debug():\n"
            "    mod = importlib.import_module('pkg.settings')\n"
            "    return vars(mod)['DEBUG']\n"
        ),
    },
    # Its file run as code by path (a settings file read with runpy, like
    # Flask's from_pyfile).
    "run_by_path": {
        "pkg/app.py": (
            "import os\n"
            "import runpy\n\n"
            "HERE = os.path.dirname(os.path.abspath(__file__))\n\n\n"
            "def debug():\n"
            "    return runpy.run_path(os.path.join(HERE, 'settings.py'))['DEBUG']\n"
        ),
    },
    # Reached through its package (`pkg.settings`), in a module with no import of it.
    "through_its_package": {
        "pkg/__init__.py": "from pkg import settings  # noqa: F401\n",
        "pkg/app.py": (
            "import inspect\n"
            "import pkg\n\n\n"
            "def debug():\n"
            "    return dict(inspect.getmembers(pkg.settings))['DEBUG']\n"
        ),
    },
    # Any module object from sys.modules.
    "sys_modules": {
        "pkg/app.py": (
            "import sys\n"
            "import pkg.settings\n\n\n"
            "def debug(name='pkg.settings'):\n"
            "    return getattr(sys.modules[name], 'DE' + 'BUG')\n"
        ),
    },
    # The module by its literal name in sys.modules, then read by a computed name.
    "sys_modules_literal_key": {
        "pkg/app.py": (
            "import sys\n"
            "import pkg.settings  # noqa: F401\n\n\n"
            "def debug():\n"
            "    return vars(sys.modules.get('pkg.settings'))['DEBUG']\n"
        ),
    },
    # Its package by its literal name in sys.modules, the module as its attribute.
    "sys_modules_package_key": {
        "pkg/app.py": (
            "import sys\n"
            "import pkg.settings  # noqa: F401\n\n\n"
            "def debug():\n"
            "    return vars(sys.modules['pkg'].settings)['DEBUG']\n"
        ),
    },
    # The module reading itself through sys.modules[__name__].
    "sys_modules_own_name": {
        "pkg/settings.py": (
            "import sys\n\n"
            "DEBUG = False\n\n\n"
            "def debug():\n"
            "    return vars(sys.modules[__name__])['DEBUG']\n"
        ),
        "pkg/app.py": "from pkg.settings import debug  # noqa: F401\n",
    },
    # sys under another name: any module.
    "sys_modules_alias": {
        "pkg/app.py": (
            "import sys as system\n"
            "import pkg.settings  # noqa: F401\n\n\n"
            "def debug():\n"
            "    return vars(system.modules['pkg.settings'])['DEBUG']\n"
        ),
    },
    # `from sys import modules`: any module.
    "sys_modules_imported": {
        "pkg/app.py": (
            "from sys import modules\n"
            "import pkg.settings  # noqa: F401\n\n\n"
            "def debug():\n"
            "    return vars(modules['pkg.settings'])['DEBUG']\n"
        ),
    },
}


@pytest.mark.parametrize("shape", sorted(ESCAPES))
def test_a_module_object_impact_cannot_follow_keeps_the_change_import_time(rrepo, shape):
    files = {
        "pkg/__init__.py": "",
        "pkg/settings.py": "DEBUG = False\n",
        "pkg/other.py": "def one():\n    return 1\n",
        "tests/test_app.py": "from pkg.app import debug\n\n\ndef test_debug():\n    assert debug() is False\n",
        "tests/test_other.py": "from pkg.other import one\n\n\ndef test_one():\n    assert one() == 1\n",
    }
    files.update(ESCAPES[shape])
    rrepo.write_many(files)
    rrepo.commit("base")
    assert failing_files(rrepo) == []
    failing = _change(rrepo, "pkg/settings.py", "DEBUG = False", "DEBUG = True")
    assert failing == ["tests/test_app.py"]
    selected = rrepo.listing("--no-records", "HEAD~1..")
    assert "tests/test_app.py" in selected, rrepo.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()
    out = rrepo.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()
    assert "value change" not in out, out
    # --explain says what stood in the way
    assert "import-time change (only values changed, but " in out, out
    if shape.startswith("sys_modules"):
        assert "sys.modules" in out, out
    else:
        assert "module object where impact cannot follow it" in out, out
        how = {"used_as_a_value": "(module object used as a value)",
               "loaded_by_name": "(dynamic import)",
               "run_by_path": "(path named in a string)",
               "through_its_package": "(module object used as a value)"}[shape]
        assert how in out, out


def test_sys_modules_read_by_other_names_keeps_a_value_change(rrepo):
    """Code that takes the program's __main__ module, another module by
    its literal name, or only asks whether a module is loaded, from
    sys.modules (a command-line library finding its program name) cannot
    read the changed module's names: the change stays a value change, and
    only the reader of the value is selected."""
    rrepo.write_many({
        "pkg/__init__.py": "__version__ = '1.0'\n",
        "pkg/util.py": (
            "import os\n"
            "import sys\n\n\n"
            "def prog_name():\n"
            "    main = sys.modules['__main__']\n"
            "    return os.path.basename(getattr(main, '__file__', None) or 'python')\n\n\n"
            "def has_numpy():\n"
            "    return 'numpy' in sys.modules and sys.modules.get('numpy') is not None\n"
        ),
        "pkg/version.py": "from pkg import __version__\n\n\ndef version():\n    return __version__\n",
        "tests/test_util.py": (
            "from pkg.util import has_numpy, prog_name\n\n\n"
            "def test_prog():\n    assert prog_name()\n\n\n"
            "def test_numpy():\n    assert has_numpy() in (True, False)\n"
        ),
        "tests/test_version.py": (
            "from pkg.version import version\n\n\n"
            "def test_version():\n    assert version() == '1.0'\n"
        ),
    })
    rrepo.commit("base")
    assert failing_files(rrepo) == []
    failing = _change(rrepo, "pkg/__init__.py", "'1.0'", "'1.1'")
    assert failing == ["tests/test_version.py"]
    out = rrepo.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()
    assert rrepo.listing("--no-records", "HEAD~1..") == ["tests/test_version.py"], out
    assert "value change of __version__" in out, out


def test_a_function_named_as_its_module(rrepo):
    """`from pkg.version import version` binds the function, not the
    module pkg/version.py (no module pkg.version.version exists): calling
    it uses no module object as a value, and a new __version__ selects
    only the test reading it."""
    rrepo.write_many({
        "pkg/__init__.py": "__version__ = '1.0'\n",
        "pkg/version.py": "from pkg import __version__\n\n\ndef version():\n    return __version__\n",
        "pkg/core.py": "def one():\n    return 1\n",
        "tests/test_version.py": (
            "from pkg.version import version\n\n\n"
            "def test_version():\n    assert version() == '1.0'\n"
        ),
        "tests/test_core.py": "from pkg.core import one\n\n\ndef test_one():\n    assert one() == 1\n",
    })
    rrepo.commit("base")
    assert failing_files(rrepo) == []
    assert _change(rrepo, "pkg/__init__.py", "'1.0'", "'1.1'") == ["tests/test_version.py"]
    out = rrepo.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()
    assert rrepo.listing("--no-records", "HEAD~1..") == ["tests/test_version.py"], out
    assert "value change of __version__" in out, out


def test_star_imports_in_a_cycle(rrepo):
    """Modules star-importing each other hold the value in turn: followed
    once each, and the reader found."""
    rrepo.write_many({
        "pkg/__init__.py": "",
        "pkg/a.py": "X = 1\nfrom pkg.b import *  # noqa\n",
        "pkg/b.py": "from pkg.a import *  # noqa\n\n\ndef get():\n    return X\n",
        "pkg/other.py": "def one():\n    return 1\n",
        "tests/test_b.py": "from pkg.b import get\n\n\ndef test_get():\n    assert get() == 1\n",
        "tests/test_other.py": "from pkg.other import one\n\n\ndef test_one():\n    assert one() == 1\n",
    })
    rrepo.commit("base")
    assert failing_files(rrepo) == []
    failing = _change(rrepo, "pkg/a.py", "X = 1", "X = 2")
    assert failing == ["tests/test_b.py"]
    assert rrepo.listing("--no-records", "HEAD~1..") == ["tests/test_b.py"], \
        rrepo.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()


def test_a_value_nobody_reads_selects_nothing(rrepo):
    """A release commit where no code reads __version__: no test runs it."""
    rrepo.write_many({
        "pkg/__init__.py": "__version__ = '1.0'\n\nfrom pkg.core import add  # noqa: F401\n",
        "pkg/core.py": "def add(a, b):\n    return a + b\n",
        "tests/test_core.py": "from pkg import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    })
    rrepo.commit("base")
    src = (rrepo.path / "pkg/__init__.py").read_text()
    rrepo.write("pkg/__init__.py", src.replace("'1.0'", "'1.1'"))
    rrepo.commit("release 1.1")
    assert failing_files(rrepo) == []
    assert rrepo.listing("--no-records", "HEAD~1..") == []
    out = rrepo.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()
    assert "pkg/__init__.py: value change of __version__" in out, out
    r = rrepo.impact("--all", "-q")
    assert r.returncode == 0
    assert rrepo.listing("HEAD~1..") == []


def test_a_splat_of_an_attribute_is_no_module_object(rrepo):
    """`[*pp.KEYWORDS]` (pyparsing's example parser) reads pp.KEYWORDS; the
    grammar parses a splat first in a list as `(*pp).KEYWORDS`, which made
    `pp` a module object used as a value and every release commit
    import-time. The version bump is a value change again."""
    rrepo.write_many({
        "pkg/__init__.py": "__version__ = '1.0'\nKEYWORDS = ('if', 'else')\n",
        "pkg/parser.py": ("import pkg as pp\n\n"
                          "WORDS = [*pp.KEYWORDS]\n"
                          "MORE = {*pp.KEYWORDS}\n"),
        "tests/test_parser.py": ("from pkg.parser import WORDS\n\n\n"
                                 "def test_words():\n    assert WORDS == ['if', 'else']\n"),
    })
    rrepo.commit("base")
    src = (rrepo.path / "pkg/__init__.py").read_text()
    rrepo.write("pkg/__init__.py", src.replace("'1.0'", "'1.1'"))
    rrepo.commit("release 1.1")
    assert failing_files(rrepo) == []
    out = rrepo.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()
    assert "pkg/__init__.py: value change of __version__" in out, out
    assert rrepo.listing("--no-records", "HEAD~1..") == [], out
    # A change of the value the splat reads still selects its reader.
    failing = _change(rrepo, "pkg/__init__.py", "('if', 'else')", "('if',)")
    assert failing == ["tests/test_parser.py"]
    assert rrepo.listing("--no-records", "HEAD~1..") == failing


def test_a_value_and_a_function_its_import_runs(rrepo):
    """One commit changes a value and a function the module's own import
    calls: the import-time change stands, with records too."""
    rrepo.write_many({
        "pkg/__init__.py": "",
        "pkg/reg.py": (
            "LIMIT = 3\n"
            "REG = {}\n\n\n"
            "def fill():\n"
            "    REG['a'] = 1\n\n\n"
            "fill()\n"
        ),
        "pkg/other.py": "def one():\n    return 1\n",
        "tests/test_reg.py": "from pkg.reg import REG\n\n\ndef test_reg():\n    assert REG['a'] == 1\n",
        "tests/test_other.py": "from pkg.other import one\n\n\ndef test_one():\n    assert one() == 1\n",
    })
    rrepo.commit("base")
    assert failing_files(rrepo) == []
    r = rrepo.impact("--all", "-q")
    assert r.returncode == 0, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    src = (rrepo.path / "pkg/reg.py").read_text()
    rrepo.write("pkg/reg.py", src.replace("LIMIT = 3", "LIMIT = 4").replace("REG['a'] = 1", "REG['a'] = 2"))
    rrepo.commit("change")
    assert failing_files(rrepo) == ["tests/test_reg.py"]
    for args in ((), ("--no-records",)):
        selected = rrepo.listing(*args, "HEAD~1..")
        assert selected == ["tests/test_reg.py"], rrepo.impact("--explain", *args, "HEAD~1..").stdout.decode()
