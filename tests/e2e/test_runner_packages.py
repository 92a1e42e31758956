"""The repository's code pytest imports itself (issue 17's safety side).

When the repository is one of pytest's own dependencies (pluggy, attrs,
iniconfig... run from their checkout), pytest runs on the code under
test: a change anywhere in such a package may break pytest before any
test, so every test file fails, whatever imports what. The plugin notes at
each run which of the repository's files were imported before it (and
before any test code); a change to a module under one of them runs the
whole suite and says why. Here the interpreter imports a package of the
repository at start-up (a `sitecustomize.py` on PYTHONPATH), the way
pytest's dependencies are imported before its plugins.
"""
import os

PROJ = {
    "boot/__init__.py": "",
    "boot/core.py": ("def greet():\n    from boot import lazy\n    return lazy.hello()\n\n\n"
                     "def other():\n    return 1\n"),
    # imported in a function of a module pytest imported: pytest may run it
    "boot/lazy.py": "def hello():\n    return 'hi'\n",
    # never imported by what pytest imported: only the tests run it
    "boot/extra.py": "def extra():\n    return 5\n",
    "lib/__init__.py": "",
    "lib/util.py": "def util():\n    return 2\n",
    "sitecustomize.py": "import boot.core\n",
    "tests/test_a.py": "from boot.core import other\n\n\ndef test_a():\n    assert other() == 1\n",
    "tests/test_b.py": "from lib.util import util\n\n\ndef test_b():\n    assert util() == 2\n",
    "tests/test_c.py": "def test_c():\n    assert True\n",
    "tests/test_extra.py": "from boot.extra import extra\n\n\ndef test_extra():\n    assert extra() == 5\n",
}

ALL = ["tests/test_a.py", "tests/test_b.py", "tests/test_c.py", "tests/test_extra.py"]


def project(repo, preload):
    repo.write_many(PROJ)
    repo.commit("base")
    if preload:
        repo.env["PYTHONPATH"] = os.pathsep.join([str(repo.path)] + (
            [repo.env["PYTHONPATH"]] if repo.env.get("PYTHONPATH") else []))
    r = repo.impact("-q", "--all", "--no-record")
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()


def change(repo, path, old, new):
    text = (repo.path / path).read_text()
    repo.write(path, text.replace(old, new))
    repo.commit("change " + path)


def test_a_module_pytest_imported_itself_runs_the_whole_suite(rrepo):
    repo = rrepo
    project(repo, preload=True)
    assert (repo.path / ".git" / "impact" / "runner").read_text().split() == [
        "boot/__init__.py", "boot/core.py", "sitecustomize.py"]
    change(repo, "boot/core.py", "return 1", "return 3")
    assert repo.listing("HEAD~1..") == ALL
    out = repo.impact("--explain", "HEAD~1..").stdout.decode()
    assert "boot/core.py: pytest itself imported it, or a module importing it, at the last run" in out, out
    # what such a module imports in a function too
    change(repo, "boot/lazy.py", "return 'hi'", "return 'ho'")
    assert repo.listing("HEAD~1..") == ALL
    # other code keeps its narrow selection, in that package too
    change(repo, "boot/extra.py", "return 5", "return 6")
    assert repo.listing("HEAD~1..") == ["tests/test_extra.py"]
    change(repo, "lib/util.py", "return 2", "return 4")
    assert repo.listing("HEAD~1..") == ["tests/test_b.py"]


def test_a_package_the_tests_import_is_selected_as_usual(rrepo):
    repo = rrepo
    project(repo, preload=False)
    change(repo, "boot/core.py", "return 1", "return 3")
    assert repo.listing("HEAD~1..") == ["tests/test_a.py"]


def test_a_plugin_package_of_the_projects_own_stays_narrow(rrepo):
    """`-p boot.plug` in addopts is imported before impact's plugin too, but
    it is a plugin: its hooks and fixtures are reached by name."""
    repo = rrepo
    repo.write("pytest.ini", "[pytest]\naddopts = -p boot.plug\n")
    repo.write("boot/plug.py", "def pytest_report_header(config):\n    return 'boot'\n")
    project(repo, preload=False)
    assert (repo.path / ".git" / "impact" / "runner").read_text() == ""
    change(repo, "boot/core.py", "return 1", "return 3")
    assert repo.listing("HEAD~1..") == ["tests/test_a.py"]


def test_a_damaged_runner_file_narrows_nothing_it_should_not(rrepo):
    """Only plain repository-relative lines count; an absolute path, a way
    out of the repository or an empty line changes nothing."""
    repo = rrepo
    project(repo, preload=False)
    (repo.path / ".git" / "impact" / "runner").write_text("/etc/\n../boot/\n\nlib/\n")
    change(repo, "boot/core.py", "return 1", "return 3")
    assert repo.listing("HEAD~1..") == ["tests/test_a.py"]
    change(repo, "lib/util.py", "return 2", "return 4")
    assert repo.listing("HEAD~1..") == ALL
