"""Small real Python projects used by the selection cases.

Each layout is {path: content}. Every test file really collects and
passes under pytest, so the same layouts serve real runs.
"""

FLAT = {
    "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\n\n'
                      '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    "README.md": "# pkg\n",
    "data/config.json": "{}\n",
    "pkg/__init__.py": "",
    "pkg/core.py": "def run():\n    return 1\n",
    "pkg/util.py": "def helper():\n    return 2\n",
    "pkg/models.py": "from pkg.util import helper\n\n\nclass Model:\n    value = helper()\n",
    "pkg/lazy.py": "def f():\n    from pkg import heavy\n    return heavy.X\n",
    "pkg/heavy.py": "X = 3\n",
    "pkg/typing_only.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                          "    from pkg.models import Model\n\n\ndef g(m: 'Model'):\n    return 4\n",
    "pkg/optional.py": "try:\n    from pkg import fast\nexcept ImportError:\n    fast = None\n",
    "pkg/fast.py": "SPEED = 5\n",
    "pkg/loader.py": "import importlib\n\nalpha = importlib.import_module('pkg.plugins.alpha')\n",
    "pkg/plugins/__init__.py": "",
    "pkg/plugins/alpha.py": "NAME = 'alpha'\n",
    "pkg/relative.py": "from .util import helper\nfrom . import core\n",
    "tests/conftest.py": "",
    "tests/test_core.py": "from pkg.core import run\n\n\ndef test_run():\n    assert run() == 1\n",
    "tests/test_models.py": "from pkg.models import Model\n\n\ndef test_model():\n    assert Model.value == 2\n",
    "tests/test_util.py": "from pkg import util\n\n\ndef test_helper():\n    assert util.helper() == 2\n",
    "tests/test_lazy.py": "from pkg.lazy import f\n\n\ndef test_f():\n    assert f() == 3\n",
    "tests/test_typing.py": "from pkg.typing_only import g\n\n\ndef test_g():\n    assert g(None) == 4\n",
    "tests/test_optional.py": "from pkg.optional import fast\n\n\ndef test_fast():\n    assert fast.SPEED == 5\n",
    "tests/test_loader.py": "import pkg.loader\n\n\ndef test_alpha():\n    assert pkg.loader.alpha.NAME == 'alpha'\n",
    "tests/test_relative.py": "import pkg.relative\n\n\ndef test_rel():\n    assert pkg.relative.core.run() == 1\n",
}

FLAT_TESTS = sorted(p for p in FLAT if p.startswith("tests/test_"))

SRC = {
    "pyproject.toml": '[project]\nname = "lib"\nversion = "0"\n',
    "src/lib/__init__.py": "",
    "src/lib/a.py": "A = 1\n",
    "src/lib/b.py": "from lib.a import A\n\nB = A + 1\n",
    "src/lib/c.py": "C = 3\n",
    "tests/test_a.py": "from lib.a import A\n\n\ndef test_a():\n    assert A == 1\n",
    "tests/test_b.py": "from lib import b\n\n\ndef test_b():\n    assert b.B == 2\n",
    "tests/test_c.py": "from lib.c import C\n\n\ndef test_c():\n    assert C == 3\n",
}

# Tests inside the package, imported relatively.
INPKG = {
    "proj/__init__.py": "",
    "proj/core.py": "def f():\n    return 1\n",
    "proj/other.py": "def g():\n    return 2\n",
    "proj/_tests/__init__.py": "",
    "proj/_tests/test_core.py": "from ..core import f\n\n\ndef test_f():\n    assert f() == 1\n",
    "proj/_tests/test_other.py": "from .. import other\n\n\ndef test_g():\n    assert other.g() == 2\n",
}

# Nested test folders, conftests at several levels, a test package.
NESTED = {
    "app.py": "def main():\n    return 0\n",
    "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef base():\n    return 1\n",
    "tests/unit/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef unit(base):\n    return base + 1\n",
    "tests/unit/test_u.py": "def test_u(unit):\n    assert unit == 2\n",
    "tests/integration/__init__.py": "",
    "tests/integration/helpers.py": "def h():\n    return 7\n",
    "tests/integration/test_i.py": "from . import helpers\n\n\ndef test_i(base):\n    assert helpers.h() == 7\n",
    "tests/integration/deeper/__init__.py": "",
    "tests/integration/deeper/test_d.py": "import app\n\n\ndef test_d():\n    assert app.main() == 0\n",
}

NAMESPACE = {
    "nspkg/mod.py": "V = 1\n",
    "nspkg/sub/leaf.py": "W = 2\n",
    "tests/test_ns.py": "import nspkg.mod\n\n\ndef test_v():\n    assert nspkg.mod.V == 1\n",
    "tests/test_leaf.py": "from nspkg.sub import leaf\n\n\ndef test_w():\n    assert leaf.W == 2\n",
}

# Test helpers importable by bare name (pytest's rootdir insertion).
HELPERS = {
    "tests/helpers.py": "def make():\n    return 1\n",
    "tests/test_x.py": "import helpers\n\n\ndef test_x():\n    assert helpers.make() == 1\n",
    "tests/test_y.py": "def test_y():\n    assert True\n",
}

LAYOUTS = {
    "flat": FLAT,
    "src": SRC,
    "inpkg": INPKG,
    "nested": NESTED,
    "namespace": NAMESPACE,
    "helpers": HELPERS,
}


def snippet_conftest(lazy=False):
    """A conftest.py whose pytest_collect_file makes tests of the .txt files
    beside it: each line `expr =want` runs pkg.calc.evaluate(expr). With
    `lazy`, evaluate is imported in the function that runs each line, not at
    the module's import."""
    eager, late = ("", "        from pkg.calc import evaluate\n") if lazy else (
        "from pkg.calc import evaluate\n", "")
    return ("import pytest\n\n" + eager + "\n\n"
            "def pytest_collect_file(parent, file_path):\n"
            "    if file_path.suffix == '.txt':\n"
            "        return SnippetFile.from_parent(parent, path=file_path)\n\n\n"
            "class SnippetFile(pytest.File):\n"
            "    def collect(self):\n"
            "        for i, line in enumerate(self.path.read_text().splitlines()):\n"
            "            expr, want = line.split('=')\n"
            "            yield SnippetItem.from_parent(self, name=f'line{i}', expr=expr, want=int(want))\n\n\n"
            "class SnippetItem(pytest.Item):\n"
            "    def __init__(self, *, expr, want, **kw):\n"
            "        super().__init__(**kw)\n"
            "        self.expr, self.want = expr, want\n\n"
            "    def runtest(self):\n" + late +
            "        assert evaluate(self.expr) == self.want\n")
