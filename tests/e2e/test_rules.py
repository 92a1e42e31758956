"""Rules and configuration (.impact.toml, [tool.impact]) end to end.

Each test builds a real repository, commits a configuration and a change,
and checks what impact selects, in which order, what it says about why,
and how it fails on a bad configuration.
"""
import json
import os
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "share" / "impact"

BASE = {
    "pkg/__init__.py": "",
    "pkg/core.py": "def f():\n    return 1\n",
    "pkg/util.py": "def g():\n    return 2\n",
    "tests/test_core.py": "from pkg.core import f\n\n\ndef test_f():\n    assert f() == 1\n",
    "tests/test_util.py": "from pkg.util import g\n\n\ndef test_g():\n    assert g() == 2\n",
    "tests/test_data.py": ("from pathlib import Path\n\n\n"
                           "def test_schema():\n    assert Path(__file__).parent.parent.joinpath("
                           "'data', 'schema.json').read_text().strip() == '{}'\n\n\n"
                           "def test_other():\n    assert True\n"),
    "tests/slow/test_a.py": "def test_a():\n    pass\n",
    "tests/slow/test_b.py": "def test_b():\n    pass\n",
    "data/schema.json": "{}\n",
    "tools/build.sh": "echo build\n",
}


def err(r):
    return r.stderr.decode(errors="replace")


def out(r):
    return r.stdout.decode(errors="replace")


@pytest.fixture
def proj(repo):
    repo.env["IMPACT_DATA_DIR"] = str(DATA_DIR)

    def make(config=None, where=".impact.toml", files=None):
        repo.write_many(BASE)
        if files:
            repo.write_many(files)
        if config is not None:
            repo.write(where, config)
        repo.commit("base")
        return repo
    return make


def change(repo, path, content):
    repo.write(path, content)
    repo.commit(f"change {path}")


def sel_json(repo, *args):
    r = repo.impact("--json", *args)
    assert r.returncode == 0, err(r)
    return json.loads(out(r))


# ---- mapping rules ----------------------------------------------------------

def test_rule_maps_data_file_to_tests_and_explains(proj):
    repo = proj('[[rule]]\nname = "schema"\npaths = ["data/*.json"]\n'
                'tests = ["tests/test_data.py"]\n')
    change(repo, "data/schema.json", "{} \n")
    assert repo.listing("HEAD~1..") == ["tests/test_data.py"]
    r = repo.impact("--explain", "HEAD~1..")
    assert "tests/test_data.py (rule 'schema', .impact.toml:1:1: data/schema.json modified)" in out(r)
    j = sel_json(repo, "HEAD~1..")
    assert not j["full_suite"]
    assert j["changed"][0]["class"] == "rule"
    t = j["selected"][0]
    assert t["reason"] == "rule"
    assert t["rule"] == {"name": "schema", "file": ".impact.toml", "line": 1, "col": 1,
                         "builtin": False, "matched": "data/schema.json"}


def test_rule_tests_run_first_then_graph(proj):
    # The rule names test_util for a change of pkg/core.py: it comes before
    # the test the graph finds.
    repo = proj('[[rule]]\npaths = ["pkg/core.py"]\ntests = ["tests/test_util.py"]\n')
    change(repo, "pkg/core.py", "def f():\n    return 1 or 1\n")
    assert repo.listing("HEAD~1..") == ["tests/test_util.py", "tests/test_core.py"]
    # --order path keeps the same set.
    assert sorted(repo.listing("--order", "path", "HEAD~1..")) == [
        "tests/test_core.py", "tests/test_util.py"]


def test_rule_first_false_keeps_distance_order(proj):
    repo = proj('[[rule]]\npaths = ["pkg/core.py"]\ntests = ["tests/test_util.py"]\nfirst = false\n')
    change(repo, "pkg/core.py", "def f():\n    return 1 or 1\n")
    assert repo.listing("HEAD~1..") == ["tests/test_core.py", "tests/test_util.py"]


def test_rule_order_follows_config_order(proj):
    repo = proj('[[rule]]\npaths = ["data/"]\ntests = ["tests/slow/test_b.py"]\n'
                '[[rule]]\npaths = ["*.json"]\ntests = ["tests/slow/test_a.py", "tests/test_data.py"]\n')
    change(repo, "data/schema.json", "{} \n")
    assert repo.listing("HEAD~1..") == [
        "tests/slow/test_b.py", "tests/slow/test_a.py", "tests/test_data.py"]


def test_rule_directory_glob_and_node_id_targets(proj):
    repo = proj('[[rule]]\npaths = ["tools/**"]\n'
                'tests = ["tests/slow/", "tests/test_data.py::test_other", "tests/test_c*.py"]\n')
    change(repo, "tools/build.sh", "echo build2\n")
    assert repo.listing("HEAD~1..") == [
        "tests/slow/test_a.py", "tests/slow/test_b.py", "tests/test_data.py::test_other",
        "tests/test_core.py"]
    # The run gets the node id: one test of test_data.py runs, not two.
    r = repo.impact("HEAD~1..")
    assert r.returncode == 0, err(r)
    assert "4 passed" in err(r)


def test_node_id_dropped_when_whole_file_selected(proj):
    repo = proj('[[rule]]\npaths = ["pkg/util.py"]\ntests = ["tests/test_util.py::test_g"]\n')
    change(repo, "pkg/util.py", "def g():\n    return 2 or 2\n")
    # The graph selects all of test_util.py; the node id adds nothing, but
    # the rule's rank (first) stays.
    assert repo.listing("HEAD~1..") == ["tests/test_util.py"]
    j = sel_json(repo, "HEAD~1..")
    assert j["selected"][0]["reason"] == "rule"


def test_rule_naming_missing_test_warns_not_fails(proj):
    repo = proj('[[rule]]\npaths = ["data/**"]\ntests = ["tests/test_gone.py", "tests/test_data.py"]\n')
    change(repo, "data/schema.json", "{} \n")
    r = repo.impact("--list", "HEAD~1..")
    assert r.returncode == 0
    assert out(r).split() == ["tests/test_data.py"]
    assert ("impact: warning: .impact.toml:3:10: a rule names 'tests/test_gone.py', "
            "which matches no file") in err(r)


def test_negated_path_in_rule(proj):
    repo = proj('unmatched = "ignore"\n'
                '[[rule]]\npaths = ["tools/**", "!tools/README"]\ntests = ["tests/test_data.py"]\n')
    change(repo, "tools/README", "about the tools\n")
    assert repo.listing("HEAD~1..") == []
    change(repo, "tools/build.sh", "echo 3\n")
    assert repo.listing("HEAD~1..") == ["tests/test_data.py"]


# ---- full-suite-on, ignore, always, unmatched ----------------------------------

def test_full_suite_on_project_glob_names_the_glob(proj):
    repo = proj('full-suite-on = ["tools/*.sh"]\n')
    change(repo, "tools/build.sh", "echo build2\n")
    j = sel_json(repo, "HEAD~1..")
    assert j["full_suite"]
    assert "matches full-suite-on 'tools/*.sh' (.impact.toml:1:18)" in j["full_suite_reason"]
    assert j["changed"][0]["pattern"] == {"glob": "tools/*.sh", "file": ".impact.toml",
                                          "line": 1, "col": 18, "builtin": False}
    assert len(j["selected"]) == 5


def test_builtin_full_suite_glob_negated_by_project(proj):
    # setup.cfg forces the full suite by default; the project takes it back
    # and maps it to one test instead.
    repo = proj('full-suite-on = ["!setup.cfg"]\n'
                '[[rule]]\npaths = ["setup.cfg"]\ntests = ["tests/test_core.py"]\n',
                files={"setup.cfg": "[metadata]\nname = x\n"})
    change(repo, "setup.cfg", "[metadata]\nname = y\n")
    assert repo.listing("HEAD~1..") == ["tests/test_core.py"]


def test_builtin_full_suite_names_default_set(proj):
    repo = proj(None, files={"setup.cfg": "[metadata]\nname = x\n"})
    change(repo, "setup.cfg", "[metadata]\nname = y\n")
    j = sel_json(repo, "HEAD~1..")
    assert j["full_suite"]
    assert "matches full-suite-on 'setup.cfg' (" in j["full_suite_reason"]
    assert "default.toml" in j["full_suite_reason"]
    assert j["changed"][0]["pattern"]["builtin"] is True


def test_ignore_selects_nothing(proj):
    repo = proj('ignore = ["tools/"]\n')
    change(repo, "tools/build.sh", "echo build2\n")
    assert repo.listing("HEAD~1..") == []
    r = repo.impact("--explain", "HEAD~1..")
    assert "ignored: tools/build.sh (matches ignore 'tools/' (.impact.toml:1:11))" in out(r)


def test_ignored_python_module_is_not_followed(proj):
    repo = proj('ignore = ["pkg/util.py"]\n')
    change(repo, "pkg/util.py", "def g():\n    return 2 or 2\n")
    assert repo.listing("HEAD~1..") == []


def test_always(proj):
    repo = proj('always = ["tests/slow/test_a.py"]\n')
    change(repo, "pkg/core.py", "def f():\n    return 1 or 1\n")
    assert repo.listing("HEAD~1..") == ["tests/test_core.py", "tests/slow/test_a.py"]
    j = sel_json(repo, "HEAD~1..")
    assert j["selected"][1]["reason"] == "always"
    # Nothing changed: nothing runs, `always` included.
    assert repo.listing("HEAD..HEAD") == []


@pytest.mark.parametrize("mode, expect_full, expect_warning", [
    ("full", True, False),
    ("ignore", False, False),
    ("warn", False, True),
])
def test_unmatched(proj, mode, expect_full, expect_warning):
    repo = proj(f'unmatched = "{mode}"\n')
    change(repo, "tools/build.sh", "echo build2\n")
    j = sel_json(repo, "HEAD~1..")
    assert j["full_suite"] == expect_full
    assert bool(j["selected"]) == expect_full
    assert any("unmatched = \"warn\"" in w for w in j["warnings"]) == expect_warning


def test_unmatched_default_is_full(proj):
    repo = proj(None)
    change(repo, "tools/build.sh", "echo build2\n")
    j = sel_json(repo, "HEAD~1..")
    assert j["full_suite"]
    assert "not Python and no rule covers it" in j["full_suite_reason"]


def test_tool_files_select_nothing_unless_a_module_names_them(proj):
    # CI, pre-commit and editor files: no test reads them by itself.
    repo = proj(None, files={
        ".github/workflows/ci.yml": "on: push\n",
        ".pre-commit-config.yaml": "repos: []\n",
        ".editorconfig": "root = true\n",
    })
    repo.write(".github/workflows/ci.yml", "on: [push, pull_request]\n")
    repo.write(".editorconfig", "root = false\n")
    repo.write("pkg/.gitignore", "*.so\n")
    repo.commit("ci")
    j = sel_json(repo, "HEAD~1..")
    assert not j["full_suite"] and j["selected"] == []
    assert {c["path"]: c["pattern"]["glob"] for c in j["changed"]} == {
        ".github/workflows/ci.yml": "/.github/", ".editorconfig": "/.editorconfig",
        "pkg/.gitignore": ".gitignore"}
    r = repo.impact("--explain", "HEAD~1..")
    assert ("ignored: .github/workflows/ci.yml (matches tool-files '/.github/' (" in out(r))
    assert "and no module names it in a string)" in out(r)
    # A test that reads one by its name is selected when it changes (the data-file rule).
    repo.write("tests/test_hooks.py", "from pathlib import Path\n\n\ndef test_hooks():\n"
               "    assert 'repos' in Path('.pre-commit-config.yaml').read_text()\n")
    repo.commit("a test reads the pre-commit configuration")
    change(repo, ".pre-commit-config.yaml", "repos: [x]\n")
    assert repo.listing("HEAD~1..") == ["tests/test_hooks.py"]
    # With --no-smart nothing is looked up: unmatched decides (the full suite).
    change(repo, ".github/workflows/ci.yml", "on: [push]\n")
    assert sel_json(repo, "--no-smart", "HEAD~1..")["full_suite"]


def test_tool_files_taken_back_by_the_project(proj):
    repo = proj('tool-files = ["!/.github/"]\n', files={".github/workflows/ci.yml": "on: push\n"})
    change(repo, ".github/workflows/ci.yml", "on: [push]\n")
    j = sel_json(repo, "HEAD~1..")
    assert j["full_suite"]
    assert "not Python and no rule covers it" in j["full_suite_reason"]
    r = repo.impact("rules", "show")
    assert r.returncode == 0, err(r)
    assert "tool-files (last match wins; '!' excludes):" in out(r)
    assert "!/.github/" in out(r)


def test_documentation_requirements_do_not_force_the_full_suite(proj):
    repo = proj(None, files={"docs/requirements.txt": "sphinx\n", "requirements.txt": "attrs\n"})
    change(repo, "docs/requirements.txt", "sphinx>=7\n")
    j = sel_json(repo, "HEAD~1..")
    assert not j["full_suite"] and j["selected"] == []
    assert j["changed"][0]["pattern"]["glob"] == "/docs/"
    change(repo, "requirements.txt", "attrs>=23\n")
    assert sel_json(repo, "HEAD~1..")["full_suite"]


PYPROJECT = ('[project]\nname = "pkg"\nversion = "1.0"\ndependencies = ["attrs"]\n'
             'classifiers = ["Programming Language :: Python :: 3.11"]\n\n'
             '[tool.ruff]\nline-length = 99\n\n'
             '[tool.pytest.ini_options]\naddopts = "-q"\n')


@pytest.mark.parametrize("old, new, full", [
    # what no pytest run reads: nothing to run
    ('version = "1.0"', 'version = "1.1"', False),
    ('"Programming Language :: Python :: 3.11"', '"Programming Language :: Python :: 3.12"', False),
    ("line-length = 99", "line-length = 100", False),
    ('name = "pkg"\n', 'name = "pkg"  # the distribution\n', False),
    # pytest's settings, the dependencies, an unknown table
    ('addopts = "-q"', 'addopts = "-q -p no:randomly"', True),
    ('dependencies = ["attrs"]', 'dependencies = ["attrs>=23"]', True),
    ("[tool.ruff]", "[tool.hatch.build]\ninclude = ['pkg']\n\n[tool.ruff]", True),
    # pytest-ruff runs ruff as tests when its option is on: ruff's table counts then
    ('addopts = "-q"', 'addopts = "-q --ruff"', True),
])
def test_pyproject_settings_no_test_reads_select_nothing(proj, old, new, full):
    repo = proj(None, files={"pyproject.toml": PYPROJECT})
    if "--ruff" in new:
        change(repo, "pyproject.toml", PYPROJECT.replace(old, new))
        old, new = "line-length = 99", "line-length = 100"
        repo.write("pyproject.toml", PYPROJECT.replace('addopts = "-q"', 'addopts = "-q --ruff"')
                   .replace(old, new))
        repo.commit("ruff")
    else:
        change(repo, "pyproject.toml", PYPROJECT.replace(old, new))
    j = sel_json(repo, "HEAD~1..")
    assert j["full_suite"] == full, j.get("full_suite_reason")
    assert bool(j["selected"]) == full
    if not full:
        r = repo.impact("--explain", "HEAD~1..")
        assert "ignored: pyproject.toml (only settings no test run reads changed (" in out(r)

def test_linter_option_given_to_the_run_makes_its_table_count(proj):
    # `impact -- --ruff` and PYTEST_ADDOPTS=--ruff run ruff as tests: its table is read then.
    repo = proj(None, files={"pyproject.toml": PYPROJECT})
    change(repo, "pyproject.toml", PYPROJECT.replace("line-length = 99", "line-length = 100"))
    assert not sel_json(repo, "HEAD~1..")["full_suite"]
    j = json.loads(out(repo.impact("--json", "HEAD~1..", "--", "--ruff")))
    assert j["full_suite"], j
    r = repo.impact("--json", "HEAD~1..", env={"PYTEST_ADDOPTS": "-q --ruff"})
    assert json.loads(out(r))["full_suite"]
    # Another plugin's option leaves ruff's table quiet.
    j = json.loads(out(repo.impact("--json", "HEAD~1..", "--", "--mypy")))
    assert not j["full_suite"]



def test_settings_change_selects_the_tests_naming_the_file(proj):
    repo = proj(None, files={
        "pyproject.toml": PYPROJECT,
        "tests/test_version.py": "import pathlib\n\n\ndef test_version():\n"
                                 "    assert 'version' in pathlib.Path('pyproject.toml').read_text()\n",
    })
    change(repo, "pyproject.toml", PYPROJECT.replace('version = "1.0"', 'version = "1.1"'))
    assert repo.listing("HEAD~1..") == ["tests/test_version.py"]


@pytest.mark.parametrize("path, text, old, new, full", [
    ("tox.ini", "[tox]\nenvlist = py311\n\n[testenv]\ndeps = pytest\n\n[pytest]\naddopts = -q\n",
     "envlist = py311", "envlist = py311,py312", False),
    ("tox.ini", "[tox]\nenvlist = py311\n\n[testenv]\ndeps = pytest\n\n[pytest]\naddopts = -q\n",
     "addopts = -q", "addopts = -q -x", True),
    ("setup.cfg", "[metadata]\nname = pkg\nversion = 1.0\n\n[options]\ninstall_requires = attrs\n\n"
     "[flake8]\nmax-line-length = 99\n", "version = 1.0", "version = 1.1", False),
    ("setup.cfg", "[metadata]\nname = pkg\nversion = 1.0\n\n[options]\ninstall_requires = attrs\n\n"
     "[flake8]\nmax-line-length = 99\n", "max-line-length = 99", "max-line-length = 100", False),
    ("setup.cfg", "[metadata]\nname = pkg\nversion = 1.0\n\n[options]\ninstall_requires = attrs\n\n"
     "[flake8]\nmax-line-length = 99\n", "install_requires = attrs", "install_requires = attrs>=23", True),
])
def test_ini_settings_no_test_reads_select_nothing(proj, path, text, old, new, full):
    repo = proj(None, files={path: text})
    change(repo, path, text.replace(old, new))
    j = sel_json(repo, "HEAD~1..")
    assert j["full_suite"] == full, j.get("full_suite_reason")


def test_settings_are_all_read_with_a_test_command(proj):
    # tox, nox or hatch may run the tests, and they read these files.
    repo = proj('test-command = ["python", "-m", "pytest"]\n', files={"tox.ini": "[tox]\nenvlist = py311\n"})
    change(repo, "tox.ini", "[tox]\nenvlist = py312\n")
    assert sel_json(repo, "HEAD~1..")["full_suite"]


# ---- --no-smart -------------------------------------------------------------

def test_no_smart_uses_rules_alone(proj):
    repo = proj('[[rule]]\npaths = ["pkg/core.py"]\ntests = ["tests/test_util.py"]\n')
    change(repo, "pkg/core.py", "def f():\n    return 1 or 1\n")
    assert repo.listing("--no-smart", "HEAD~1..") == ["tests/test_util.py"]


def test_no_smart_unmatched_module_falls_to_unmatched(proj):
    repo = proj('unmatched = "warn"\n')
    change(repo, "pkg/util.py", "def g():\n    return 2 or 2\n")
    assert repo.listing("--no-smart", "HEAD~1..") == []
    repo2 = repo
    change(repo2, ".impact.toml", "")  # back to unmatched = full (and .impact.toml is unmatched)
    change(repo2, "pkg/util.py", "def g():\n    return 3 or 3\n")
    j = sel_json(repo2, "--no-smart", "HEAD~1..")
    assert j["full_suite"]


def test_no_smart_still_runs_changed_tests(proj):
    repo = proj("")
    change(repo, "tests/test_core.py",
           "from pkg.core import f\n\n\ndef test_f():\n    assert f() == 1  # tweak\n")
    assert repo.listing("--no-smart", "HEAD~1..") == ["tests/test_core.py"]


# ---- where the configuration lives -------------------------------------------

def test_pyproject_tool_impact(proj):
    repo = proj('[project]\nname = "x"\n\n[[tool.impact.rule]]\npaths = ["data/**"]\n'
                'tests = ["tests/test_data.py"]\n', where="pyproject.toml")
    change(repo, "data/schema.json", "{} \n")
    assert repo.listing("HEAD~1..") == ["tests/test_data.py"]


def test_impact_toml_wins_over_pyproject(proj):
    repo = proj('[[rule]]\npaths = ["data/**"]\ntests = ["tests/slow/test_a.py"]\n',
                files={"pyproject.toml": '[[tool.impact.rule]]\npaths = ["data/**"]\n'
                                         'tests = ["tests/test_data.py"]\n'})
    change(repo, "data/schema.json", "{} \n")
    assert repo.listing("HEAD~1..") == ["tests/slow/test_a.py"]


def test_config_comes_from_the_new_side(proj):
    repo = proj("")
    repo.write(".impact.toml", '[[rule]]\npaths = ["data/**"]\ntests = ["tests/test_data.py"]\n')
    repo.write("data/schema.json", "{} \n")
    repo.commit("rule and change together")
    # .impact.toml itself is an unmatched non-Python file: full suite, but
    # the new rule already ranks test_data first.
    assert repo.listing("HEAD~1..")[0] == "tests/test_data.py"


def test_extends_repo_file_and_defaults_false(proj):
    repo = proj('defaults = false\nextends = ["ci/rules.toml"]\n',
                files={"ci/rules.toml": 'ignore = ["*.md"]\n'
                                        '[[rule]]\npaths = ["setup.cfg"]\ntests = ["tests/test_core.py"]\n',
                       "setup.cfg": "[metadata]\n"})
    change(repo, "setup.cfg", "[metadata]\nname = y\n")
    # Without the defaults, setup.cfg no longer forces the full suite.
    assert repo.listing("HEAD~1..") == ["tests/test_core.py"]
    r = repo.impact("rules", "show")
    assert r.returncode == 0, err(r)
    assert "ci/rules.toml" in out(r) and "default.toml" not in out(r)


def test_run_settings_from_config(proj):
    repo = proj('default-args = ["-q"]\ntimeout = 300\n')
    change(repo, "pkg/core.py", "def f():\n    return 1 or 1\n")
    r = repo.impact("HEAD~1..")
    assert r.returncode == 0, err(r)
    assert "pytest -q tests/test_core.py" in err(r)


def test_test_command_argv(proj, tmp_path):
    import sys
    repo = proj(f'test-command = [{json.dumps(sys.executable)}, "-m", "pytest", "-p", "no:cacheprovider"]\n')
    change(repo, "pkg/core.py", "def f():\n    return 1 or 1\n")
    r = repo.impact("--no-preflight", "HEAD~1..")
    assert r.returncode == 0, err(r)
    assert "-p no:cacheprovider" in err(r)


# ---- errors ---------------------------------------------------------------

@pytest.mark.parametrize("config, message", [
    ('rule = [\n', ".impact.toml:1:"),
    ('colour = "red"\n', ".impact.toml:1:1: unknown key 'colour'"),
    ('full-suite-on = 3\n', ".impact.toml:1:17: 'full-suite-on' must be a string or an array of strings, not an integer"),
    ('unmatched = "sometimes"\n', "use \"full\", \"ignore\" or \"warn\""),
    ('[[rule]]\npaths = ["a/["]\ntests = ["tests/test_core.py"]\n', ".impact.toml:2:10:"),
    ('[[rule]]\ntests = ["tests/test_core.py"]\n', "this rule has no 'paths'"),
    ('[[rule]]\npaths = ["x"]\ntests = ["tests/test_core.py"]\nfast = true\n', "unknown key 'fast' in a rule"),
    ('[[flaky]]\nerrors = ["X"]\n', "this flaky entry has no 'test'"),
    ('timeout = -1\n', "'timeout' must be a whole number of seconds"),
    ('test-command = "pytest -x"\n', "impact runs no shell"),
    ('extends = ["nosuchset"]\n', "no rule set named 'nosuchset'"),
    ('extends = ["a.toml"]\n', "'a.toml' does not exist in the repository"),
])
def test_bad_config_is_an_error_with_position(proj, config, message):
    repo = proj(config)
    change(repo, "pkg/core.py", "def f():\n    return 1 or 1\n")
    for args in (["--list", "HEAD~1.."], ["rules", "check"]):
        r = repo.impact(*args)
        assert r.returncode == 2, (args, err(r))
        assert message in err(r), err(r)
        assert "Traceback" not in err(r) and out(r) == ""


def test_extends_cycle(proj):
    repo = proj('extends = ["a.toml"]\n', files={"a.toml": 'extends = ["b.toml"]\n',
                                                 "b.toml": 'extends = ["a.toml"]\n'})
    r = repo.impact("rules", "check")
    assert r.returncode == 2
    assert "cycle" in err(r)


def test_malformed_pyproject_tool_impact(proj):
    repo = proj('[tool.impact]\nignore = ["x"\n', where="pyproject.toml")
    r = repo.impact("--list", "HEAD")
    assert r.returncode == 2
    assert "pyproject.toml:" in err(r)


def test_rules_check_reports_missing_and_dead_globs(proj):
    repo = proj('always = ["tests/slow/"]\n'
                '[[rule]]\nname = "gone"\npaths = ["nowhere/**"]\n'
                'tests = ["tests/test_nope.py", "tests/test_core.py::test_f", "tests/x.py::t"]\n'
                '[[flaky]]\ntest = "tests/missing.py::test_x"\n')
    r = repo.impact("rules", "check")
    e = err(r)
    assert r.returncode == 2
    assert ".impact.toml:4:10: rule 'gone' glob 'nowhere/**' matches no file" in e
    assert ".impact.toml:5:10: rule 'gone' names 'tests/test_nope.py'" in e
    assert "'tests/x.py' does not exist" in e
    assert "tests/test_core.py::test_f" not in e
    assert "flaky test 'tests/missing.py::test_x': 'tests/missing.py' does not exist" in e
    assert "4 problems found" in e


def test_rules_check_ok(proj):
    repo = proj('[[rule]]\npaths = ["data/**"]\ntests = ["tests/test_data.py"]\n')
    r = repo.impact("rules", "check")
    assert r.returncode == 0, err(r)
    assert "impact: rules: ok (1 rule" in out(r)


def test_rules_check_outside_a_repository(tmp_path):
    import subprocess
    from conftest import IMPACT_BIN
    r = subprocess.run([IMPACT_BIN, "-C", str(tmp_path), "rules", "check"], capture_output=True)
    assert r.returncode == 2
    assert b"not a git repository" in r.stderr.lower() or b"repository" in r.stderr


# ---- a tractor-like layout with the shipped rule set ----------------------------

TRACTOR = {
    "tractor/__init__.py": "from ._state import current\nfrom .to_asyncio import run_asyncio\n",
    "tractor/_state.py": "def current():\n    return 'root'\n",
    "tractor/to_asyncio.py": "def run_asyncio():\n    return 'aio'\n",
    "tractor/runtime/__init__.py": "",
    "tractor/runtime/_runtime.py": "import tractor\n\n\ndef boot():\n    return tractor.current()\n",
    "tractor/runtime/_state.py": "STATE = {}\n",
    "examples/hello.py": "import tractor\n\nif __name__ == '__main__':\n    print(tractor.current())\n",
    "examples/aio.py": "import tractor\n\nif __name__ == '__main__':\n    print(tractor.run_asyncio())\n",
    "tests/conftest.py": "",
    "tests/test_local.py": "from tractor.runtime._runtime import boot\n\n\ndef test_boot():\n    assert boot() == 'root'\n",
    "tests/test_rpc.py": "def test_rpc():\n    pass\n",
    "tests/test_spawning.py": "def test_spawn():\n    pass\n",
    "tests/test_root_runtime.py": "def test_root():\n    pass\n",
    "tests/test_infected_asyncio.py": "import tractor\n\n\ndef test_aio():\n    assert tractor.run_asyncio() == 'aio'\n",
    "tests/test_root_infect_asyncio.py": "def test_root_aio():\n    pass\n",
    "tests/test_cancellation.py": ("class TooSlowError(Exception):\n    pass\n\n\n"
                                   "def test_cancel_via_SIGINT_other_task():\n"
                                   "    import os\n"
                                   "    mode = os.environ.get('TRACTOR_FAKE', '')\n"
                                   "    if mode == 'slow':\n        raise TooSlowError('took too long')\n"
                                   "    if mode == 'bug':\n        raise ValueError('a real bug')\n"),
    "tests/test_docs_examples.py": (
        "import os\nimport subprocess\nimport sys\nfrom pathlib import Path\n\nimport pytest\n\n"
        "EXAMPLES = sorted(Path(__file__).parent.parent.joinpath('examples').glob('*.py'))\n\n\n"
        "@pytest.mark.parametrize('script', EXAMPLES, ids=lambda p: p.name)\n"
        "def test_example(script):\n"
        "    root = Path(__file__).parent.parent\n"
        "    r = subprocess.run([sys.executable, str(script)], capture_output=True, cwd=root,\n"
        "                       env={**os.environ, 'PYTHONPATH': str(root)})\n"
        "    assert r.returncode == 0, r.stderr.decode()\n"),
    ".impact.toml": 'extends = ["tractor"]\n',
}


@pytest.fixture
def tractor(repo):
    repo.env["IMPACT_DATA_DIR"] = str(DATA_DIR)
    repo.write_many(TRACTOR)
    repo.commit("tractor-like")
    return repo


def test_tractor_examples_run_as_tests(tractor):
    change(tractor, "examples/hello.py",
           "import tractor\n\nif __name__ == '__main__':\n    print(tractor.current(), '!')\n")
    sel = tractor.listing("HEAD~1..")
    assert sel[0] == "tests/test_docs_examples.py"
    r = tractor.impact("--explain", "HEAD~1..")
    assert "rule 'examples'" in out(r) and "tractor.toml" in out(r)
    r = tractor.impact("HEAD~1..")
    assert r.returncode == 0, err(r)
    # A broken example fails the run.
    change(tractor, "examples/hello.py", "raise SystemExit(3)\n")
    r = tractor.impact("HEAD~1..")
    assert r.returncode == 1, err(r)
    assert "test_example[hello.py]" in err(r)


def test_tractor_table_puts_mapped_tests_first(tractor):
    change(tractor, "tractor/runtime/_runtime.py",
           "import tractor\n\n\ndef boot():\n    return tractor.current()  # tweak\n")
    sel = tractor.listing("HEAD~1..")
    assert sel[:4] == ["tests/test_local.py", "tests/test_rpc.py", "tests/test_spawning.py",
                       "tests/test_root_runtime.py"]
    change(tractor, "tractor/to_asyncio.py", "def run_asyncio():\n    return 'aio'  # tweak\n")
    sel = tractor.listing("HEAD~1..")
    assert sel[:2] == ["tests/test_infected_asyncio.py", "tests/test_root_infect_asyncio.py"]


def test_tractor_known_flaky_tolerated_real_failure_not(tractor):
    change(tractor, "tests/test_cancellation.py",
           TRACTOR["tests/test_cancellation.py"] + "\n# touched\n")
    r = tractor.impact("HEAD~1..", env={"TRACTOR_FAKE": "slow"})
    assert r.returncode == 0, err(r)
    assert "known flaky (Signal handling race)" in err(r)
    r = tractor.impact("HEAD~1..", env={"TRACTOR_FAKE": "bug"})
    assert r.returncode == 1, err(r)
    assert "known flaky" not in err(r)


def test_tractor_rules_check_on_its_layout(tractor):
    r = tractor.impact("rules", "show")
    assert r.returncode == 0
    assert "examples" in out(r) and "test_docs_examples.py" in out(r)


def test_tractor_rules_follow_a_moved_test_file(repo):
    """The real tractor moved test_multi_program.py into tests/discovery/ (issue 19)."""
    repo.env["IMPACT_DATA_DIR"] = str(DATA_DIR)
    repo.write_many({**TRACTOR,
                     "tractor/spawn/__init__.py": "",
                     "tractor/spawn/_spawn.py": "def spawn():\n    return 1\n",
                     "tests/discovery/test_multi_program.py": "def test_multi():\n    pass\n"})
    repo.commit("tractor-like, current layout")
    change(repo, "tractor/spawn/_spawn.py", "def spawn():\n    return 2\n")
    r = repo.impact("--list", "HEAD~1..")
    assert r.returncode == 0, err(r)
    assert "test_multi_program" not in err(r), err(r)  # no "matches no file" warning
    sel = out(r).split()
    assert sel[:2] == ["tests/test_spawning.py", "tests/discovery/test_multi_program.py"], sel
