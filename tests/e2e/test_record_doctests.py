"""Records narrow doctest text files (--doctest-glob) too.

Statically a doctest text file is selected when a module its examples
import is reached, whole modules: a README whose examples `import pkg`
is chosen by any change to any module the package's `__init__` imports.
Its items are recorded like any test's, so a usable record decides: kept
when its examples executed a changed function, dropped otherwise. An
import-time change reaching a module the examples import, a record made
before such a change, and a changed text file keep the static answer.

Real git repositories, `impact --all` running real pytest with the
recorder, and the suite run here to learn what really fails.
"""
import re
import subprocess
import sys

PROJ = {
    "pytest.ini": "[pytest]\naddopts = --doctest-glob=*.rst\n",
    "pkg/__init__.py": "from .core import f\nfrom .other import g\n",
    "pkg/core.py": "def f():\n    return 1\n",
    "pkg/other.py": "def g():\n    return 5\n",
    "README.rst": "Readme\n======\n\n>>> import pkg\n>>> pkg.f()\n1\n",
    "docs/other.rst": "Other\n=====\n\n>>> from pkg.other import g\n>>> g()\n5\n",
    "tests/test_pkg.py": "import pkg\n\n\ndef test_f():\n    assert pkg.f() == 1\n",
}


def failing(repo):
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=no", "-rfE"],
                       cwd=repo.path, env=repo.env, capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return sorted({m.group(1) for m in re.finditer(r"^(?:FAILED|ERROR) ([^:\s]+)", r.stdout, re.M)})


def recorded(rrepo):
    rrepo.write_many(PROJ)
    rrepo.commit("base")
    r = rrepo.impact("--all", "-q")
    assert r.returncode == 0, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    return rrepo


def check(repo, expected):
    fails = failing(repo)
    selected = repo.listing("HEAD~1..")
    assert not set(fails) - set(selected), (fails, selected)
    assert sorted(selected) == sorted(expected), repo.impact("--explain", "HEAD~1..").stdout.decode()
    return fails


def test_a_readme_that_never_ran_the_changed_function_is_dropped(rrepo):
    repo = recorded(rrepo)
    repo.write("pkg/other.py", "def g():\n    return 6\n")
    repo.commit("g")
    assert check(repo, ["docs/other.rst"]) == ["docs/other.rst"]
    # Statically the README is chosen: its `import pkg` reaches pkg/other.py.
    assert "README.rst" in repo.listing("--no-records", "HEAD~1..")
    out = repo.impact("--explain", "HEAD~1..").stdout.decode()
    assert re.search(r"docs/other.rst \(executed pkg/other.py:g in its run at \w+ \(changed\)\)", out), out
    assert re.search(r"dropped: README.rst \(recorded at \w+: executed no changed function\)", out), out


def test_a_readme_that_ran_it_is_kept(rrepo):
    repo = recorded(rrepo)
    repo.write("pkg/core.py", "def f():\n    return 2\n")
    repo.commit("f")
    assert check(repo, ["README.rst", "tests/test_pkg.py"]) == ["README.rst", "tests/test_pkg.py"]


def test_an_import_time_change_keeps_it(rrepo):
    repo = recorded(rrepo)
    repo.write("pkg/other.py", "def g():\n    return 5\n\n\nLIMIT = 1\n")
    repo.commit("import-time")
    check(repo, ["README.rst", "docs/other.rst", "tests/test_pkg.py"])
    out = repo.impact("--explain", "HEAD~1..").stdout.decode()
    assert "README.rst" in out and "dropped: README.rst" not in out, out


def test_a_record_older_than_an_import_time_change_is_not_used(rrepo):
    repo = recorded(rrepo)
    # Not run since: its records describe the tree before this change.
    repo.write("pkg/core.py", "def f():\n    return 1\n\n\nLIMIT = 3\n")
    repo.commit("core at import time")
    repo.write("pkg/other.py", "def g():\n    return 6\n")
    repo.commit("g")
    check(repo, ["README.rst", "docs/other.rst", "tests/test_pkg.py"])
    out = repo.impact("--explain", "HEAD~1..").stdout.decode()
    assert re.search(r"README.rst \(its examples import pkg/__init__.py, which a change reaches\)\n"
                     r"  its record \(run at \w+\) not used: an import-time change since its run reaches it",
                     out), out


def test_a_changed_text_file_is_kept(rrepo):
    repo = recorded(rrepo)
    repo.write("README.rst", PROJ["README.rst"].replace("pkg.f()\n1", "pkg.f()\n2"))
    repo.commit("readme")
    check(repo, ["README.rst"])


MODULES = {
    "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
    "pkg/__init__.py": "",
    "pkg/core.py": ('def f():\n    """\n    >>> f()\n    1\n    """\n    return 1\n\n\n'
                    "def g():\n    return 5\n\n\n"
                    "class A:\n    def run(self):\n        return f()\n\n\n"
                    "class B:\n    def run(self):\n        return g()\n\n\n"
                    "KINDS = {'a': A, 'b': B}\n\n\n"
                    "def make(kind):\n    return KINDS[kind]()\n"),
    "tests/test_f.py": "from pkg.core import make\n\n\ndef test_f():\n    assert make('a').run() == 1\n",
    "tests/test_g.py": "from pkg.core import make\n\n\ndef test_g():\n    assert make('b').run() == 5\n",
}


def test_modules_collected_for_their_doctests_keep_their_import_records(rrepo):
    """--doctest-modules collects pkg/core.py, which runs its body: that is
    its import (the tests' own imports reuse it), recorded as one, so
    records still decide for the tests that import it."""
    rrepo.write_many(MODULES)
    rrepo.commit("base")
    r = rrepo.impact("--all", "-q")
    assert r.returncode == 0, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    rrepo.write("pkg/core.py", MODULES["pkg/core.py"].replace("return g()", "return g() + 1"))
    rrepo.commit("B.run")
    # pkg/core.py changed: its doctests may be new, no record speaks for them
    assert check(rrepo, ["pkg/core.py", "tests/test_g.py"]) == ["tests/test_g.py"]
    # statically `.run()` on what make() returns may be A's or B's
    assert "tests/test_f.py" in rrepo.listing("--no-records", "HEAD~1..")


def test_a_doctest_added_to_a_module_is_run(rrepo):
    rrepo.write_many(MODULES)
    rrepo.commit("base")
    r = rrepo.impact("--all", "-q")
    assert r.returncode == 0, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    rrepo.write("pkg/core.py", MODULES["pkg/core.py"].replace(
        "def g():\n", 'def g():\n    """\n    >>> g()\n    7\n    """\n'))
    rrepo.commit("a doctest for g, failing")
    assert check(rrepo, ["pkg/core.py", "tests/test_g.py"]) == ["pkg/core.py"]
    out = rrepo.impact("--explain", "HEAD~1..").stdout.decode()
    assert "not used: the file changed: its tests may be new" in out, out
