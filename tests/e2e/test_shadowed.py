"""The repository's own package imported from outside it.

A src/ layout that is neither installed nor on pytest's pythonpath, next
to an installed copy of the same name (another version in site-packages,
one pytest itself depends on, a copy installed without -e): the tests run
that copy, not the repository's code. impact says so, blames a failure in
that copy on the environment rather than on the change, and records no
dependencies from such a run (what the tests executed of the package is
no repository code: a record would make a change to it look unexecuted).
"""


def err(r):
    return r.stderr.decode(errors="replace")

FILES = {
    "src/mypkg/__init__.py": "",
    "src/mypkg/core.py": "def f():\n    return 1\n\n\ndef g():\n    return 2\n",
    "tests/test_core.py": "from mypkg.core import f\n\n\ndef test_f():\n    assert f() == 1\n",
    "tests/test_other.py": "def test_other():\n    assert True\n",
}


def outside_copy(tmp_path, core):
    site = tmp_path / "site"
    (site / "mypkg").mkdir(parents=True)
    (site / "mypkg" / "__init__.py").write_text("")
    (site / "mypkg" / "core.py").write_text(core)
    return site


def test_an_installed_copy_is_said_and_records_nothing(rrepo, tmp_path):
    rrepo.write_many(FILES)
    rrepo.commit("src layout")
    site = outside_copy(tmp_path, FILES["src/mypkg/core.py"])
    rrepo.env["PYTHONPATH"] = str(site)
    r = rrepo.impact("--all")
    assert r.returncode == 0, err(r)
    assert ("warning: the tests imported the repository's 'mypkg' from '%s', not from this "
            "repository" % (site / "mypkg").resolve()) in err(r)
    # No record speaks for test_core.py: a change to f still selects it (the
    # static walk), where its record would have said it executed nothing changed.
    rrepo.write("src/mypkg/core.py", "def f():\n    return 1 + 0\n\n\ndef g():\n    return 2\n")
    assert "tests/test_core.py" in rrepo.listing()
    # With the repository's package on the path, the same run says nothing of it.
    del rrepo.env["PYTHONPATH"]
    rrepo.write("pytest.ini", "[pytest]\npythonpath = src\n")
    rrepo.commit("pythonpath")
    r = rrepo.impact("--all")
    assert r.returncode == 0, err(r)
    assert "imported the repository's" not in err(r)


def test_a_failure_in_the_copy_is_the_environment(rrepo, tmp_path):
    rrepo.write_many(FILES)
    rrepo.commit("src layout")
    site = outside_copy(tmp_path, "def f():\n    raise RuntimeError('old copy')\n")
    rrepo.env["PYTHONPATH"] = str(site)
    rrepo.write("src/mypkg/core.py", "def f():\n    return 1\n\n\ndef g():\n    return 3\n")
    rrepo.commit("change g")
    r = rrepo.impact("HEAD", "--", "-p", "no:cacheprovider")
    assert r.returncode == 1, err(r)
    assert "FAILED tests/test_core.py::test_f" in err(r)
    assert ("the environment, not a change: it ran '%s', imported from outside the repository"
            % (site / "mypkg").resolve()) in err(r)
    assert "likely caused by this change" not in err(r)
