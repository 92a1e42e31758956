"""conftest.py's collect_ignore and collect_ignore_glob (collectignore.c).

pytest leaves those paths out of a run, but collects a path given on its
command line anyway: impact must not take them for tests, or it hands
pytest a file the project never runs (a Sphinx conf.py, a Python 2
module) and the run fails for nothing. pytest reads each list from the
nearest conftest.py defining it, not merged; a list impact cannot read
for sure (a conditional append) leaves the file a test: selected more,
never less. Real git repositories, real pytest.
"""
import subprocess
import sys


def doc_module(tail=""):
    """A module with a doctest calling pkg.core.f: selected when f changes."""
    return "from pkg.core import f\n\n\ndef g():\n    \"\"\"\n    >>> g()\n    1\n    \"\"\"\n    return f()\n" + tail


BOOM = "\nraise RuntimeError('not importable in a test run')\n"

BASE = {
    "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
    "conftest.py": (
        "import sys\n\n"
        "collect_ignore = ['docs/conf.py', './tools/']\n"
        "collect_ignore += ['sub/shadowed.py']\n"
        "collect_ignore.append('pkg/gen.py')\n"
        "collect_ignore_glob = ['*_py2.py']\n"
        "if sys.version_info < (3,):\n"
        "    collect_ignore.append('pkg/cond.py')\n"),
    "pkg/__init__.py": "",
    "pkg/core.py": "def f():\n    '''\n    >>> f()\n    1\n    '''\n    return 1\n",
    "pkg/cond.py": doc_module(),
    "pkg/gen.py": doc_module(BOOM),
    "pkg/legacy_py2.py": doc_module("\nprint 'python 2'\n"),
    "docs/conf.py": doc_module(BOOM),
    "tools/build.py": doc_module(BOOM),
    "sub/conftest.py": "collect_ignore = ['old.py']\n",
    "sub/old.py": doc_module(BOOM),
    "sub/shadowed.py": doc_module(),
    "tests/test_core.py": "from pkg.core import f\n\n\ndef test_f():\n    assert f() == 1\n",
}


def collected(repo):
    """The files a whole pytest run collects items from (its --collect-only);
    every module here holds a doctest, so each one collected is listed."""
    r = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                       cwd=repo.path, env=repo.env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return sorted({l.split("::")[0] for l in r.stdout.splitlines() if "::" in l})


def test_ignored_files_are_not_tests(repo):
    repo.write_many(BASE)
    repo.commit("base")
    repo.write("pkg/core.py", BASE["pkg/core.py"].replace("return 1", "return 1 + 0"))
    repo.commit("change")
    selected = repo.listing("HEAD~1..")
    # Never one pytest leaves out of a whole run...
    assert set(selected) <= set(collected(repo)), (selected, collected(repo))
    # ...and each one that imports the change: the conditional list is not
    # read (pkg/cond.py stays), sub/conftest.py's list hides the root's below it.
    assert sorted(selected) == ["pkg/cond.py", "pkg/core.py", "sub/shadowed.py", "tests/test_core.py"], selected
    r = repo.impact("HEAD~1..")
    assert r.returncode == 0, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")


def test_a_changed_list_is_read_again(repo):
    repo.write_many(BASE)
    repo.commit("base")
    assert "tests/test_core.py" in repo.listing("--all")
    # The root list drops docs/conf.py: pytest collects it now, and so does impact.
    repo.write("conftest.py", BASE["conftest.py"].replace("'docs/conf.py', ", ""))
    repo.write("docs/conf.py", doc_module())
    repo.commit("list")
    repo.write("pkg/core.py", BASE["pkg/core.py"].replace("return 1", "return 1 + 0"))
    repo.commit("change")
    selected = repo.listing("HEAD~1..")
    assert "docs/conf.py" in selected and "docs/conf.py" in collected(repo), selected
    assert set(selected) <= set(collected(repo))
