"""What tests reach without an import statement: module names in strings,
non-literal dynamic imports, scripts run by path, folders of scripts.
Breaking the reached code must select the test that fails."""
import pytest

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
    repo.write(change, (repo.path / change).read_text() + "# touched\n")
    repo.commit("touch")
    assert repo.listing("HEAD") == ["tests/test_loader.py"]
