"""What tests reach without an import statement: module names in strings,
non-literal dynamic imports, scripts run by path, folders of scripts.
Breaking the reached code must select the test that fails."""
import pytest

from layouts import snippet_conftest

PLUGINS = {
    "pkg/__init__.py": "",
    "pkg/_mapping.py": "LEXERS = {\n    'py': 'pkg.lexers.python',\n    'c': 'pkg.lexers.c',\n}\n",
    "pkg/lexers/__init__.py": "",
    "pkg/lexers/python.py": "NAME = 'Python'\n",
    "pkg/lexers/c.py": "NAME = 'C'\n",
    "pkg/loader.py": "from pkg._mapping import LEXERS\n\n\ndef load(key):\n"
                     "    return __import__(LEXERS[key], fromlist=['NAME']).NAME\n",
    "tests/test_loader.py": "from pkg.loader import load\n\n\ndef test_py():\n    assert load('py') == 'Python'\n",
    "tests/test_other.py": "def test_nothing():\n    assert True\n",
}

SCRIPTS = {
    "examples/hello.py": "from greet import greeting\n\nprint(greeting())\n",
    "examples/greet.py": "def greeting():\n    return 'hello'\n",
    "scripts/tool.py": "import toolhelp\n\nprint(toolhelp.VALUE)\n",
    "scripts/toolhelp.py": "VALUE = 42\n",
    "tests/test_examples.py":
        "import pathlib, subprocess, sys\n\n"
        "EXAMPLES = pathlib.Path(__file__).parent.parent / 'examples'\n\n\n"
        "def test_examples_run():\n"
        "    for script in sorted(EXAMPLES.glob('*.py')):\n"
        "        out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)\n"
        "        assert out.returncode == 0, out.stderr\n",
    "tests/test_tool.py":
        "import subprocess, sys\n\n\n"
        "def test_tool():\n"
        "    out = subprocess.run([sys.executable, 'scripts/tool.py'], capture_output=True, text=True)\n"
        "    assert out.stdout.strip() == '42'\n",
    "tests/test_unrelated.py": "def test_u():\n    assert True\n",
}

DYNAMIC_OWN_PACKAGE = {
    "plug/__init__.py": "",
    "plug/loader.py": "import importlib\n\n\ndef load(name):\n"
                      "    return importlib.import_module(__package__ + '.' + name)\n",
    "plug/alpha.py": "VALUE = 1\n",
    "other/__init__.py": "",
    "other/beta.py": "VALUE = 2\n",
    "tests/test_plug.py": "from plug.loader import load\n\n\ndef test_alpha():\n    assert load('alpha').VALUE == 1\n",
}


def commit_base(repo, files):
    repo.write_many(files)
    repo.commit("base")


def test_module_named_in_a_string_table(repo):
    commit_base(repo, PLUGINS)
    repo.write("pkg/lexers/python.py", "NAME = 'Pythn'\n")  # breaks test_py
    repo.commit("break a plugin")
    assert repo.listing("HEAD") == ["tests/test_loader.py"]
    r = repo.impact("HEAD")
    assert r.returncode == 1  # the selected test really fails
    text = repo.impact("--explain", "HEAD").stdout.decode()
    assert "[non-literal dynamic import]" in text or "[module named in a string]" in text


def test_example_scripts_folder(repo):
    commit_base(repo, SCRIPTS)
    repo.write("examples/greet.py", "def greeting():\n    raise SystemExit(3)\n")
    repo.commit("break an example's helper")
    assert repo.listing("HEAD") == ["tests/test_examples.py"]
    assert repo.impact("HEAD").returncode == 1


def test_script_by_path_and_its_imports(repo):
    commit_base(repo, SCRIPTS)
    repo.write("scripts/toolhelp.py", "VALUE = 41\n")
    repo.commit("break the tool's helper")
    assert repo.listing("HEAD") == ["tests/test_tool.py"]
    assert repo.impact("HEAD").returncode == 1
    text = repo.impact("--explain", "HEAD").stdout.decode()
    assert "tests/test_tool.py <- scripts/tool.py [path named in a string]" in text


def test_non_literal_import_reaches_its_own_package(repo):
    commit_base(repo, DYNAMIC_OWN_PACKAGE)
    repo.write("plug/alpha.py", "VALUE = 0\n")
    repo.commit("break a plugin")
    assert repo.listing("HEAD") == ["tests/test_plug.py"]
    assert repo.impact("HEAD").returncode == 1
    # Outside its package: not reached.
    repo.write("other/beta.py", "VALUE = 3\n")
    repo.commit("elsewhere")
    assert repo.listing("HEAD") == []


@pytest.mark.parametrize("change", ["pkg/lexers/c.py", "pkg/_mapping.py"])
def test_table_and_siblings(repo, change):
    commit_base(repo, PLUGINS)
    repo.write(change, (repo.path / change).read_text() + "TOUCHED = 1\n")
    repo.commit("touch")
    assert repo.listing("HEAD") == ["tests/test_loader.py"]


# ---- custom collection (pytest_collect_file) ----------------------------------

COLLECTING = {
    "pkg/__init__.py": "",
    "pkg/calc.py": "def evaluate(expr):\n    a, op, b = expr.split()\n"
                   "    return {'+': int(a) + int(b), '*': int(a) * int(b)}[op]\n",
    "pkg/other.py": "X = 1\n",
    "tests/test_other.py": "from pkg.other import X\n\n\ndef test_x():\n    assert X == 1\n",
    "tests/snippets/conftest.py": snippet_conftest(),
    "tests/snippets/add.txt": "1 + 2 =3\n",
    "tests/snippets/deep/mul.txt": "2 * 3 =6\n",
    "tests/snippets/README.md": "snippets\n",
    "tests/snippets/notes.rst": "not collected\n",
}


def test_collected_file_changed_is_its_own_target(repo):
    commit_base(repo, COLLECTING)
    repo.write("tests/snippets/add.txt", "1 + 2 =4\n")
    repo.commit("break a snippet")
    assert repo.listing("HEAD~1..") == ["tests/snippets/add.txt"]
    r = repo.impact("--explain", "HEAD~1..")
    assert ("tests/snippets/add.txt [collected by tests/snippets/conftest.py:6 pytest_collect_file]"
            in r.stdout.decode())
    r = repo.impact("HEAD~1..")
    assert r.returncode == 1
    assert "add.txt" in r.stderr.decode()
    assert "likely caused by this change: tests/snippets/add.txt" in r.stderr.decode()


def test_code_the_collector_reaches_selects_collected_folders(repo):
    commit_base(repo, COLLECTING)
    repo.write("pkg/calc.py", "def evaluate(expr):\n    return 0\n")
    repo.commit("break the evaluator")
    sel = repo.listing("HEAD~1..")
    assert sel == ["tests/snippets"]
    j = __import__("json").loads(repo.impact("--json", "HEAD~1..").stdout)
    t = j["selected"][0]
    assert t["collected_by"] == {"path": "tests/snippets/conftest.py", "line": 6}
    # Precise: the conftest runs the changed function; coarse: it imports its module.
    assert t["chain"][0]["path"] == "tests/snippets/conftest.py"
    assert "pkg/calc.py:evaluate (body changed)" in t["chain"][-1]["status"]
    jc = __import__("json").loads(repo.impact("--json", "--coarse", "HEAD~1..").stdout)
    assert [h["path"] for h in jc["selected"][0]["chain"]] == ["tests/snippets/conftest.py",
                                                                "pkg/calc.py"]
    assert j["changed"][0]["tests"] == 1
    assert "no test reaches" not in repo.impact("--explain", "HEAD~1..").stdout.decode()
    r = repo.impact("HEAD~1..")
    assert r.returncode == 1
    assert "likely caused by this change: pkg/calc.py" in r.stderr.decode()


def test_collector_suffix_limits_what_is_a_test(repo):
    commit_base(repo, COLLECTING)
    repo.write("tests/snippets/notes.rst", "changed\n")
    repo.commit("docs")
    # .rst is documentation (ignored by default), and not collected.
    assert repo.listing("HEAD~1..") == []


def test_suffixes_from_endswith_and_globs(repo):
    files = dict(COLLECTING)
    files["tests/snippets/conftest.py"] = (
        "import pytest\n\n\n"
        "def pytest_collect_file(parent, file_path):\n"
        "    name = file_path.name\n"
        "    if name.endswith(('_spec.yaml', '.yml')) or file_path.match('*.cases'):\n"
        "        return None\n")
    files["tests/snippets/a_spec.yaml"] = "x: 1\n"
    files["tests/snippets/b.cases"] = "1\n"
    files["tests/snippets/c.json"] = "{}\n"
    commit_base(repo, files)
    for path, selected in [("tests/snippets/a_spec.yaml", True), ("tests/snippets/b.cases", True)]:
        repo.write(path, "changed: 1\n")
        repo.commit("c")
        assert repo.listing("HEAD~1..") == ([path] if selected else [])
    # c.json is not collected: a non-Python file no rule covers -> full suite.
    repo.write("tests/snippets/c.json", "[]\n")
    repo.commit("c")
    j = __import__("json").loads(repo.impact("--json", "HEAD~1..").stdout)
    assert j["full_suite"]


def test_collector_without_visible_suffix_collects_everything_there(repo):
    files = dict(COLLECTING)
    files["tests/snippets/conftest.py"] = (
        "import pytest\n\nKINDS = ['txt']\n\n\n"
        "def pytest_collect_file(parent, file_path):\n"
        "    if file_path.suffix[1:] in KINDS:\n"
        "        return None\n")
    commit_base(repo, files)
    repo.write("tests/snippets/notes.rst", "changed\n")
    repo.commit("c")
    # No suffix visible in the hook: every non-Python file below is a test,
    # even one the default rules would ignore? No: ignore comes first.
    assert repo.listing("HEAD~1..") == []
    repo.write("tests/snippets/data.bin", b"\x00\x01")
    repo.commit("c")
    assert repo.listing("HEAD~1..") == ["tests/snippets/data.bin"]


def test_collector_in_a_plugin_module(repo):
    files = {k: v for k, v in COLLECTING.items() if k != "tests/snippets/conftest.py"}
    files["tests/snippets/conftest.py"] = "pytest_plugins = ['snipplug']\n"
    files["snipplug.py"] = COLLECTING["tests/snippets/conftest.py"]
    commit_base(repo, files)
    repo.write("pkg/calc.py", "def evaluate(expr):\n    return 0\n")
    repo.commit("break")
    assert repo.listing("HEAD~1..") == ["tests/snippets"]


# ---- data files read by path ---------------------------------------------------

DATA = {
    "pkg/__init__.py": "",
    "pkg/schema.py": "import json\nfrom pathlib import Path\n\n"
                     "SCHEMA = Path(__file__).parent / 'schemas' / 'v1.json'\n\n\n"
                     "def load():\n    return json.loads(SCHEMA.read_text())\n",
    "pkg/schemas/v1.json": '{"version": 1}\n',
    "tests/test_schema.py": "from pkg.schema import load\n\n\ndef test_v():\n    assert load()['version'] == 1\n",
    "tests/test_golden.py": "from pathlib import Path\n\nGOLDEN = Path(__file__).parent / 'golden'\n\n\n"
                            "def test_golden():\n    assert (GOLDEN / 'out.txt').read_text() == 'ok\\n'\n",
    "tests/golden/out.txt": "ok\n",
    "tests/test_unrelated.py": "def test_u():\n    assert True\n",
}


def test_data_file_selects_its_readers(repo):
    commit_base(repo, DATA)
    repo.write("pkg/schemas/v1.json", '{"version": 2}\n')
    repo.commit("break the schema")
    assert repo.listing("HEAD~1..") == ["tests/test_schema.py"]
    out = repo.impact("--explain", "HEAD~1..").stdout.decode()
    assert "names pkg/schemas/v1.json (modified) in a string, line 4" in out
    r = repo.impact("HEAD~1..")
    assert r.returncode == 1
    assert "likely caused by this change: pkg/schemas/v1.json" in r.stderr.decode()


def test_golden_file_selects_the_test_naming_its_folder(repo):
    commit_base(repo, DATA)
    repo.write("tests/golden/out.txt", "changed\n")
    repo.commit("break the golden file")
    assert repo.listing("HEAD~1..") == ["tests/test_golden.py"]
    j = __import__("json").loads(repo.impact("--json", "HEAD~1..").stdout)
    assert j["changed"][0]["class"] == "data"
    assert j["selected"][0]["reason"] == "reaches-change"
    assert repo.impact("HEAD~1..").returncode == 1


def test_data_file_nobody_names_runs_the_full_suite(repo):
    commit_base(repo, DATA)
    repo.write("assets/logo.svg", "<svg/>\n")
    repo.commit("new asset")
    j = __import__("json").loads(repo.impact("--json", "HEAD~1..").stdout)
    assert j["full_suite"]
