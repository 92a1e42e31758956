"""Records narrow import-time changes (recmods.c): the recorder keeps, per
test, the repository modules its process had imported by the test's end,
and an import-time change of an ordinary module M no longer keeps a test
whose usable record shows it never imported M. What a record cannot speak
for stays static: conftest.py, added modules, unknown sets.

Every scenario is real: a git repository, `impact --all` running real
pytest with the recorder, a commit, the suite run at that commit here to
learn which test files really fail, and `impact --list` compared with it.
"""
import json
import re
import sqlite3
import subprocess
import sys

import pytest

from breaking import record_all



def failing(repo):
    """The test files that fail at the work tree's state, by running pytest here."""
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--tb=no", "-rfE"], cwd=repo.path, env=repo.env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return sorted({m.group(2) for m in (re.match(r"(FAILED|ERROR) ([^:\s]+)", l)
                                        for l in r.stdout.splitlines()) if m})


def explain(repo, *args):
    r = repo.impact("--explain", *args)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout.decode()


def change(repo, path, old, new, message="change"):
    text = (repo.path / path).read_text()
    assert old in text, (path, old)
    repo.write(path, text.replace(old, new))
    repo.commit(message)


def store(repo):
    return repo.path / ".git" / "impact" / "records.db"


# pkg/registry.py is reached statically from every test (pkg/core.py names
# it in an import that never runs here), but imported only by the tests
# that call lookup() (lazily, through a name the static walk cannot follow)
# or import it themselves. Test files run in path order, so test_a's
# process has not imported it yet when test_a ends.
LAYOUT = {
    "pkg/__init__.py": "",
    "pkg/core.py": (
        "import sys\n\n"
        "if sys.platform == 'win32':  # never here\n"
        "    from pkg import registry  # noqa: F401\n\n\n"
        "def add(a, b):\n    return a + b\n\n\n"
        "def lookup(name):\n    from pkg import registry\n    return registry.TABLE[name]\n"),
    # Built by a call: a new argument is an import-time change (a new
    # literal value would be a value change, walked from its readers).
    "pkg/registry.py": "TABLE = dict(one=1)\n",
    "tests/test_a_plain.py": (
        "from pkg.core import add\n\n\n"
        "def test_add():\n    assert add(1, 2) == 3\n"),
    "tests/test_b_lazy.py": (
        "from pkg import core\n\n\n"
        "def test_lookup():\n    assert getattr(core, 'look' + 'up')('one') == 1\n"),
    "tests/test_c_direct.py": (
        "def test_table():\n    from pkg.registry import TABLE\n    assert TABLE['one'] == 1\n"),
}
ALL = ["tests/test_a_plain.py", "tests/test_b_lazy.py", "tests/test_c_direct.py"]
IMPORTERS = ["tests/test_b_lazy.py", "tests/test_c_direct.py"]


def test_an_import_time_change_selects_only_the_tests_that_imported_the_module(rrepo):
    rrepo.write_many(LAYOUT)
    rrepo.commit("layout")
    record_all(rrepo)
    change(rrepo, "pkg/registry.py", "one=1", "one=2")
    assert failing(rrepo) == IMPORTERS
    assert sorted(rrepo.listing("HEAD~1..")) == IMPORTERS
    # Without records every test the static walk reaches stays.
    assert sorted(rrepo.listing("--no-records", "HEAD~1..")) == ALL


def test_a_module_imported_lazily_in_a_test_it_ran_keeps_it(rrepo):
    rrepo.write_many(LAYOUT)
    rrepo.commit("layout")
    record_all(rrepo)
    change(rrepo, "pkg/registry.py", "TABLE = dict(one=1)", "TABLE = dict(one=1, two=2)\n"
           "TABLE['one'] = 0")
    assert "tests/test_b_lazy.py" in failing(rrepo)
    text = explain(rrepo, "HEAD~1..")
    line = text.split("tests/test_b_lazy.py", 1)[1].splitlines()[1]
    assert re.fullmatch(r"  recorded at [0-9a-f]{7}: imported pkg/registry.py "
                        r"\(changed at import time\)", line), text


def test_explain_and_json_say_why_a_test_was_dropped(rrepo):
    rrepo.write_many(LAYOUT)
    rrepo.commit("layout")
    record_all(rrepo)
    change(rrepo, "pkg/registry.py", "one=1", "one=2")
    text = explain(rrepo, "HEAD~1..")
    assert re.search(r"^dropped: tests/test_a_plain.py \(recorded at [0-9a-f]{7}: never imported "
                     r"pkg/registry.py \(changed at import time\)\)$", text, re.M), text
    assert "1 dropped" in text
    r = rrepo.impact("--json", "HEAD~1..")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [d["path"] for d in doc["dropped"]] == ["tests/test_a_plain.py"]
    assert "never imported pkg/registry.py (changed at import time)" in doc["dropped"][0]["why"]
    assert sorted(t["path"] for t in doc["selected"]) == IMPORTERS
    # Static: nothing dropped, nothing said.
    r = rrepo.impact("--json", "--no-records", "HEAD~1..")
    assert "dropped" not in json.loads(r.stdout)


def test_xdist_workers_module_sets_are_used(rrepo):
    pytest.importorskip("xdist")
    rrepo.write_many(LAYOUT)
    rrepo.commit("layout")
    record_all(rrepo, "-n", "2")
    db = sqlite3.connect(str(store(rrepo)))
    known = db.execute("SELECT COUNT(*) FROM rec WHERE mset IS NOT NULL").fetchone()[0]
    db.close()
    assert known == 3
    change(rrepo, "pkg/registry.py", "one=1", "one=2")
    assert sorted(rrepo.listing("HEAD~1..")) == failing(rrepo) == IMPORTERS


def test_a_conftest_change_stays_static(rrepo):
    """conftest.py is loaded by pytest itself: its import-time change is
    hard, whatever the records say."""
    rrepo.write_many(dict(LAYOUT, **{"tests/conftest.py": "LIMIT = 1\n"}))
    rrepo.commit("layout")
    record_all(rrepo)
    change(rrepo, "tests/conftest.py", "LIMIT = 1", "LIMIT = 2")
    assert sorted(rrepo.listing("HEAD~1..")) == ALL
    text = explain(rrepo, "HEAD~1..")
    assert "never imported" not in text and "imported tests/conftest.py" not in text, text
    assert text.count("not used: an import-time change reaches it") == 3, text


def test_an_added_module_stays_static(rrepo):
    """A module that did not exist is in no record: a test whose code now
    imports it (an optional import that failed before) keeps it."""
    rrepo.write_many(dict(LAYOUT, **{
        "pkg/core.py": LAYOUT["pkg/core.py"] + (
            "\n\ntry:\n    from pkg import speedups\nexcept ImportError:\n    speedups = None\n"),
        "tests/test_a_plain.py": LAYOUT["tests/test_a_plain.py"] + (
            "\n\ndef test_pure():\n    from pkg import core\n    assert core.speedups is None\n"),
    }))
    rrepo.commit("layout")
    record_all(rrepo)
    rrepo.write("pkg/speedups.py", "FAST = True\n")
    rrepo.commit("speedups")
    assert failing(rrepo) == ["tests/test_a_plain.py"]
    assert "tests/test_a_plain.py" in rrepo.listing("HEAD~1..")


def test_a_package_init_change_reaches_tests_that_imported_a_submodule(rrepo):
    """Importing pkg2.sub runs pkg2/__init__.py: the recorded set holds it."""
    rrepo.write_many(dict(LAYOUT, **{
        "pkg2/__init__.py": "DEFAULT = 1\n",
        "pkg2/sub.py": "import pkg2\n\n\ndef value():\n    return pkg2.DEFAULT\n",
        "pkg/core.py": LAYOUT["pkg/core.py"] + (
            "\n\ndef deep():\n    from pkg2.sub import value\n    return value()\n"),
        "tests/test_d_deep.py": (
            "from pkg import core\n\n\n"
            "def test_deep():\n    assert getattr(core, 'de' + 'ep')() == 1\n"),
    }))
    rrepo.commit("layout")
    record_all(rrepo)
    change(rrepo, "pkg2/__init__.py", "DEFAULT = 1", "DEFAULT = 2")
    assert failing(rrepo) == ["tests/test_d_deep.py"]
    got = rrepo.listing("HEAD~1..")
    assert got == ["tests/test_d_deep.py"], got
    # Static selection holds it too (a computed getattr name with a literal prefix).
    assert "tests/test_d_deep.py" in rrepo.listing("--no-records", "HEAD~1..")


def test_an_old_store_is_dropped_quietly_and_selection_is_static(rrepo):
    rrepo.write_many(LAYOUT)
    rrepo.commit("layout")
    record_all(rrepo)
    db = sqlite3.connect(str(store(rrepo)))
    db.execute("UPDATE meta SET v = 'impact-records-2' WHERE k = 'version'")
    db.commit()
    db.close()
    change(rrepo, "pkg/registry.py", "one=1", "one=2")
    r = rrepo.impact("--list", "HEAD~1..")
    assert r.returncode == 0
    assert sorted(r.stdout.decode().split()) == ALL
    assert b"record" not in r.stderr, r.stderr
    st = rrepo.impact("records", "stats").stdout.decode()
    assert "0 test files" in st and "impact-records-4" in st, st


def test_a_record_without_a_module_set_stays_static(rrepo):
    """A record whose set is unknown (a recorder that did not say) keeps
    today's rule: static reach at import time keeps the test."""
    rrepo.write_many(LAYOUT)
    rrepo.commit("layout")
    record_all(rrepo)
    db = sqlite3.connect(str(store(rrepo)))
    db.execute("UPDATE rec SET mset = NULL WHERE file = 'tests/test_a_plain.py'")
    db.commit()
    db.close()
    change(rrepo, "pkg/registry.py", "one=1", "one=2")
    assert sorted(rrepo.listing("HEAD~1..")) == ALL
    text = explain(rrepo, "HEAD~1..")
    assert "never imported" not in text, text


# A module whose import runs a function it names only in a data file
# ("module:function" in JSON, looked up in sys.modules): no import or
# reference shows the static walk that its import runs it (helper is
# named elsewhere, so it is no unnamed function either).
PLUGINS = {
    "pkg/__init__.py": "from . import util  # noqa: F401\n",
    "pkg/util.py": "def helper():\n    return 1\n\n\ndef other():\n    return 'o'\n",
    "pkg/plugins.json": '{"init": "pkg.util:helper"}\n',
    "pkg/loader.py": (
        "import json\nimport os\nimport sys\n\n"
        "with open(os.path.join(os.path.dirname(__file__), 'plugins.json')) as f:\n"
        "    SPEC = json.load(f)\n\n"
        "MOD, _, FN = SPEC['init'].partition(':')\n"
        "VALUE = sys.modules[MOD].__dict__[FN]()\n"),
    "tests/test_loader.py": "from pkg.loader import VALUE\n\n\ndef test_value():\n    assert VALUE == 1\n",
    "tests/test_other.py": ("from pkg.util import helper, other\n\n\n"
                            "def test_other():\n    assert other() == 'o' and helper() in (1, 2)\n"),
}


def test_a_module_whose_recorded_import_ran_a_changed_function_adds_its_tests(rrepo):
    """Static selection misses test_loader; the record of pkg/loader.py's
    import shows it ran helper(): that import is changed, and the tests
    that import it are added, saying so."""
    rrepo.write_many(PLUGINS)
    rrepo.commit("plugins")
    record_all(rrepo)
    change(rrepo, "pkg/util.py", "return 1", "return 2")
    assert failing(rrepo) == ["tests/test_loader.py"]
    assert rrepo.listing("--no-records", "HEAD~1..") == ["tests/test_other.py"]
    assert sorted(rrepo.listing("HEAD~1..")) == ["tests/test_loader.py", "tests/test_other.py"]
    out = explain(rrepo, "HEAD~1..")
    assert "tests/test_loader.py (recorded at" in out and "changed at import time" in out, out
