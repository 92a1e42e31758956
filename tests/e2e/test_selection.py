"""Selection cases as data: a layout, a change committed on top of it,
and the exact `impact --list HEAD~1..` output (run order).

A change is a dict with any of: "write" {path: content}, "delete" [paths],
"rename" [(old, new)]. Adding a case is adding an entry to CASES.
"""
import pytest

from layouts import FLAT_TESTS, LAYOUTS

T = "tests/"

CASES = [
    # name, layout, change, expected --list output
    ("module_direct_and_transitive", "flat",
     {"write": {"pkg/util.py": "def helper():\n    return 2  # tweak\n"}},
     [T + "test_util.py", T + "test_models.py", T + "test_relative.py"]),
    ("package_init_reaches_all_importers", "flat",
     {"write": {"pkg/__init__.py": "# touched\n"}},
     FLAT_TESTS),
    ("lazy_import_in_function", "flat",
     {"write": {"pkg/heavy.py": "X = 3  # tweak\n"}},
     [T + "test_lazy.py"]),
    ("type_checking_import_not_followed", "flat",
     {"write": {"pkg/models.py":
                "from pkg.util import helper\n\n\nclass Model:\n    value = helper()  # x\n"}},
     [T + "test_models.py"]),
    ("conditional_import", "flat",
     {"write": {"pkg/fast.py": "SPEED = 5  # tweak\n"}},
     [T + "test_optional.py"]),
    ("importlib_literal", "flat",
     {"write": {"pkg/plugins/alpha.py": "NAME = 'alpha'  # tweak\n"}},
     [T + "test_loader.py"]),
    ("relative_imports", "flat",
     {"write": {"pkg/core.py": "def run():\n    return 1  # tweak\n"}},
     [T + "test_core.py", T + "test_relative.py"]),
    ("changed_test_file", "flat",
     {"write": {"tests/test_core.py": "from pkg.core import run\n\n\ndef test_run():\n    assert run()\n"}},
     [T + "test_core.py"]),
    ("changed_test_file_first", "flat",
     {"write": {"tests/test_util.py": "from pkg import util\n\n\ndef test_helper():\n    assert util.helper()\n",
                "pkg/util.py": "def helper():\n    return 2  # tweak\n"}},
     [T + "test_util.py", T + "test_models.py", T + "test_relative.py"]),
    ("added_test_file", "flat",
     {"write": {"tests/test_new.py": "def test_new():\n    assert True\n"}},
     [T + "test_new.py"]),
    ("conftest_scope", "flat",
     {"write": {"tests/conftest.py": "# fixtures\n"}},
     FLAT_TESTS),
    ("deleted_module_still_imported", "flat",
     {"delete": ["pkg/heavy.py"]},
     [T + "test_lazy.py"]),
    ("renamed_module_old_name_imported", "flat",
     {"rename": [("pkg/util.py", "pkg/helpers2.py")]},
     [T + "test_util.py", T + "test_models.py", T + "test_relative.py"]),
    ("docs_select_nothing", "flat",
     {"write": {"README.md": "# pkg\n\nmore words\n", "docs/index.rst": "Title\n=====\n"}},
     []),
    ("pyproject_full_suite", "flat",
     {"write": {"pyproject.toml": LAYOUTS["flat"]["pyproject.toml"] + "markers = [\"slow\"]\n"}},
     FLAT_TESTS),
    ("unknown_file_full_suite", "flat",
     {"write": {"data/config.json": '{"a": 1}\n'}},
     FLAT_TESTS),
    ("requirements_full_suite", "flat",
     {"write": {"requirements-dev.txt": "pytest\n"}},
     FLAT_TESTS),
    ("module_no_test_reaches", "flat",
     {"write": {"pkg/orphan.py": "Z = 1\n"}},
     []),
    ("src_layout", "src",
     {"write": {"src/lib/a.py": "A = 1  # tweak\n"}},
     ["tests/test_a.py", "tests/test_b.py"]),
    ("src_layout_leaf", "src",
     {"write": {"src/lib/c.py": "C = 3  # tweak\n"}},
     ["tests/test_c.py"]),
    ("tests_inside_package_relative", "inpkg",
     {"write": {"proj/core.py": "def f():\n    return 1  # tweak\n"}},
     ["proj/_tests/test_core.py"]),
    ("tests_inside_package_from_dot", "inpkg",
     {"write": {"proj/other.py": "def g():\n    return 2  # tweak\n"}},
     ["proj/_tests/test_other.py"]),
    ("nested_conftest_scope", "nested",
     {"write": {"tests/unit/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef unit(base):\n    return base + 1  # x\n"}},
     ["tests/unit/test_u.py"]),
    ("nested_root_tests_conftest", "nested",
     {"write": {"tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef base():\n    return 1  # x\n"}},
     ["tests/integration/deeper/test_d.py", "tests/integration/test_i.py", "tests/unit/test_u.py"]),
    ("nested_test_package_helper", "nested",
     {"write": {"tests/integration/helpers.py": "def h():\n    return 7  # x\n"}},
     ["tests/integration/test_i.py"]),
    ("nested_test_package_init", "nested",
     {"write": {"tests/integration/__init__.py": "# x\n"}},
     ["tests/integration/deeper/test_d.py", "tests/integration/test_i.py"]),
    ("top_level_module_from_nested_test", "nested",
     {"write": {"app.py": "def main():\n    return 0  # x\n"}},
     ["tests/integration/deeper/test_d.py"]),
    ("namespace_package", "namespace",
     {"write": {"nspkg/mod.py": "V = 1  # x\n"}},
     ["tests/test_ns.py"]),
    ("namespace_package_nested", "namespace",
     {"write": {"nspkg/sub/leaf.py": "W = 2  # x\n"}},
     ["tests/test_leaf.py"]),
    ("bare_helper_import", "helpers",
     {"write": {"tests/helpers.py": "def make():\n    return 1  # x\n"}},
     ["tests/test_x.py"]),
]

def apply_change(repo, change):
    for path, content in change.get("write", {}).items():
        repo.write(path, content)
    for path in change.get("delete", []):
        repo.remove(path)
    for old, new in change.get("rename", []):
        repo.rename(old, new)


@pytest.mark.parametrize("name,layout,change,expected", CASES, ids=[c[0] for c in CASES])
def test_selection(repo, name, layout, change, expected):
    repo.write_many(LAYOUTS[layout])
    repo.commit("base")
    apply_change(repo, change)
    repo.commit(name)
    # The cases check the module graph: --coarse; the precise mode keeps a subset.
    assert repo.listing("--coarse", "HEAD~1..") == expected
    assert set(repo.listing("HEAD~1..")) <= set(expected)
    # The same change, uncommitted, gives the same selection.
    repo.git("reset", "-q", "--soft", "HEAD~1")
    assert repo.listing("--coarse") == expected
    assert repo.listing("--coarse", "--staged") == expected
