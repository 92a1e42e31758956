"""Recorded dependencies: selection from what each test executed at its
last run (records.h, recselect.c, share/impact/python/impact_record.py).

Every scenario is real: a git repository, `impact --all` running real
pytest with the recorder, a commit that breaks something, the suite run
at that commit here to learn which test files really fail, and then
`impact --list` must select exactly those files (no fewer, no more),
while static selection (--no-records) keeps more where the scenario is
one no static walk can narrow.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "share" / "impact"


# The build's C tracer for the recorder (impact_ctrace.c), beside the binary.
CTRACE_BUILT = bool(os.environ.get("IMPACT_BIN")) and any(
    (Path(os.environ["IMPACT_BIN"]).resolve().parent / "share" / "impact" / "python")
    .glob("_impact_ctrace.cpython-*.so"))


@pytest.fixture(params=["ctrace", "setprofile"])
def rrepo(repo, request):
    """Every scenario twice on Python <= 3.11: recorded by the C tracer (the
    binary points the recorder at the build's) and by the pure-Python hook."""
    repo.env["IMPACT_DATA_DIR"] = str(DATA_DIR)
    repo.env.pop("IMPACT_RECORD_CTRACE_DIR", None)
    repo.env.pop("IMPACT_RECORD_TRACER", None)
    expect = request.param
    if sys.version_info >= (3, 12):
        if request.param == "setprofile":
            pytest.skip("Python >= 3.12 records with sys.monitoring")
        expect = "monitoring"
    elif request.param == "ctrace" and not CTRACE_BUILT:
        pytest.skip("the build made no C tracer (no Python headers)")
    elif request.param == "setprofile":
        repo.env["IMPACT_RECORD_TRACER"] = "python"
    repo.tracer = expect
    return repo


def failing(repo, *extra):
    """The test files that fail at the work tree's state, by running pytest here."""
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--tb=no", "-rfE", *extra], cwd=repo.path, env=repo.env,
                       capture_output=True, text=True, timeout=300)
    files = set()
    for line in r.stdout.splitlines():
        m = re.match(r"(FAILED|ERROR) ([^:\s]+)", line)
        if m:
            files.add(m.group(2))
    return sorted(files)


def record_all(repo, *extra):
    r = repo.impact("--all", "-q", *extra)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    st = repo.impact("records", "stats")
    assert st.returncode == 0, st.stderr.decode(errors="replace")
    out = st.stdout.decode()
    want = getattr(repo, "tracer", None)
    if want:
        assert "recorder:  %s, Python %d.%d." % ((want,) + sys.version_info[:2]) in out, out
    return out


def explain(repo, *args):
    r = repo.impact("--explain", *args)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout.decode()


SHAPES = {
    "pkg/__init__.py": "",
    "pkg/shapes.py": (
        "class Circle:\n    def render(self):\n        return 'circle'\n\n\n"
        "class Square:\n    def render(self):\n        return 'square'\n\n\n"
        "def draw(obj):\n    return obj.render()\n"),
    "tests/test_circle.py": (
        "from pkg.shapes import Circle, draw\n\n\n"
        "def test_circle():\n    assert draw(Circle()) == 'circle'\n"),
    "tests/test_square.py": (
        "from pkg.shapes import Square, draw\n\n\n"
        "def test_square():\n    assert draw(Square()) == 'square'\n"),
}


def test_duck_typed_call_selects_only_the_test_that_ran_it(rrepo):
    rrepo.write_many(SHAPES)
    rrepo.commit("shapes")
    record_all(rrepo)
    rrepo.write("pkg/shapes.py", SHAPES["pkg/shapes.py"].replace("'circle'", "'CIRCLE'"))
    rrepo.commit("break circle")
    assert failing(rrepo) == ["tests/test_circle.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_circle.py"]
    # Static selection cannot tell which render runs.
    assert rrepo.listing("--no-records", "HEAD~1..") == ["tests/test_circle.py",
                                                          "tests/test_square.py"]
    text = explain(rrepo, "HEAD~1..")
    assert "executed pkg/shapes.py:Circle.render in its run at" in text
    assert "1 dropped" in text


def test_explain_says_why_a_record_was_not_used(rrepo):
    """A record made before a change to what it executed cannot speak for
    the test: the static walk keeps it, and --explain / --json say why."""
    rrepo.write_many(SHAPES)
    rrepo.commit("shapes")
    record_all(rrepo)
    rrepo.write("pkg/shapes.py", SHAPES["pkg/shapes.py"].replace("'circle'", "'round'"))
    rrepo.commit("circle says round (no run since)")
    rrepo.write("pkg/shapes.py", SHAPES["pkg/shapes.py"].replace("'circle'", "'round'")
                .replace("'square'", "'SQUARE'"))
    rrepo.commit("break square")
    # Range HEAD~1..: the records were made two commits back, and
    # Circle.render changed in between: test_circle's record is stale.
    text = explain(rrepo, "HEAD~1..")
    assert "executed pkg/shapes.py:Square.render in its run at" in text, text
    assert "not used: a function it executed changed since its run" in text, text
    r = rrepo.impact("--json", "HEAD~1..")
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    tests = {t["path"]: t for t in json.loads(r.stdout)["selected"]}
    assert "record_not_used" not in tests["tests/test_square.py"]
    assert tests["tests/test_circle.py"]["record_not_used"].startswith("its record (run at ")


def test_session_fixture_setup_belongs_to_every_test_using_it(rrepo):
    rrepo.write_many({
        "pkg/__init__.py": "",
        "pkg/db.py": "def connect():\n    return {'ok': True}\n\n\ndef other():\n    return 1\n",
        "tests/conftest.py": (
            "import pytest\nfrom pkg import db\n\n\n@pytest.fixture(scope='session')\n"
            "def conn():\n    return db.connect()\n"),
        "tests/test_a.py": "def test_a(conn):\n    assert conn['ok']\n",
        "tests/test_b.py": "def test_b(conn):\n    assert conn['ok']\n",
        "tests/test_c.py": "from pkg import db\n\n\ndef test_c():\n    assert db.other() == 1\n",
    })
    rrepo.commit("db")
    record_all(rrepo)
    rrepo.write("pkg/db.py", "def connect():\n    return {'ok': False}\n\n\ndef other():\n    return 1\n")
    rrepo.commit("break connect")
    assert failing(rrepo) == ["tests/test_a.py", "tests/test_b.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_a.py", "tests/test_b.py"]


def test_import_time_use_is_an_import_time_change(rrepo):
    rrepo.write_many({
        "pkg/__init__.py": "",
        "pkg/helpers.py": "def build():\n    return [1, 2, 3]\n\n\ndef unused():\n    return 0\n",
        "pkg/consts.py": "from pkg.helpers import build\n\nTABLE = build()\n",
        "tests/test_table.py": "from pkg.consts import TABLE\n\n\ndef test_table():\n    assert TABLE == [1, 2, 3]\n",
        "tests/test_other.py": "def test_other():\n    assert True\n",
    })
    rrepo.commit("table")
    record_all(rrepo)
    rrepo.write("pkg/helpers.py", "def build():\n    return [1, 2]\n\n\ndef unused():\n    return 0\n")
    rrepo.commit("break build")
    assert failing(rrepo) == ["tests/test_table.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_table.py"]


def test_collection_time_parametrize_belongs_to_the_file(rrepo):
    rrepo.write_many({
        "pkg/__init__.py": "",
        "pkg/cases.py": "def cases():\n    return [1, 2]\n\n\ndef double(x):\n    return 2 * x\n",
        "tests/test_param.py": (
            "import pytest\nfrom pkg.cases import cases\n\n\n"
            "@pytest.mark.parametrize('x', cases())\ndef test_pos(x):\n    assert x > 0\n"),
        "tests/test_double.py": "from pkg.cases import double\n\n\ndef test_d():\n    assert double(2) == 4\n",
    })
    rrepo.commit("cases")
    record_all(rrepo)
    rrepo.write("pkg/cases.py", "def cases():\n    return [1, -2]\n\n\ndef double(x):\n    return 2 * x\n")
    rrepo.commit("break cases")
    assert failing(rrepo) == ["tests/test_param.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_param.py"]


def test_thread_counts(rrepo):
    rrepo.write_many({
        "pkg/__init__.py": "",
        "pkg/work.py": ("import threading\n\n\ndef job(out):\n    out.append(41 + 1)\n\n\n"
                        "def other():\n    return 0\n\n\n"
                        "def run():\n    out = []\n    t = threading.Thread(target=globals()['job'], args=(out,))\n"
                        "    t.start()\n    t.join()\n    return out[0]\n"),
        "tests/test_thread.py": "from pkg.work import run\n\n\ndef test_run():\n    assert run() == 42\n",
        "tests/test_other.py": "from pkg.work import other\n\n\ndef test_other():\n    assert other() == 0\n",
    })
    rrepo.commit("threads")
    record_all(rrepo)
    text = rrepo.path.joinpath("pkg/work.py").read_text().replace("41 + 1", "41 + 2")
    rrepo.write("pkg/work.py", text)
    rrepo.commit("break job")
    assert failing(rrepo) == ["tests/test_thread.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_thread.py"]


def test_a_test_starting_a_process_stays_static(rrepo):
    rrepo.write_many({
        "pkg/__init__.py": "",
        "pkg/cli.py": ("import sys\n\n\ndef main():\n    print('hi')\n\n\n"
                       "def unrelated():\n    return 1\n\n\nif __name__ == '__main__':\n    main()\n"),
        "tests/test_cli.py": (
            "import subprocess, sys\nfrom pkg import cli\n\n\n"
            "def test_cli():\n    out = subprocess.run([sys.executable, '-c', 'print(1)'],"
            " capture_output=True, text=True).stdout\n    assert out.strip() == '1'\n"),
        "tests/test_un.py": "from pkg.cli import unrelated\n\n\ndef test_un():\n    assert unrelated() == 1\n",
    })
    rrepo.commit("cli")
    record_all(rrepo)
    rrepo.write("pkg/cli.py", rrepo.path.joinpath("pkg/cli.py").read_text().replace("return 1", "return 2"))
    rrepo.commit("break unrelated")
    assert failing(rrepo) == ["tests/test_un.py"]
    # The opaque test has no record: it keeps its static selection.
    assert rrepo.listing("HEAD~1..") == rrepo.listing("--no-records", "HEAD~1..")


def test_a_record_older_than_an_import_time_change_is_not_used(rrepo):
    rrepo.write_many(SHAPES)
    rrepo.commit("shapes")
    record_all(rrepo)
    # An import-time change nobody ran since the records were made...
    rrepo.write("pkg/shapes.py", "LIMIT = 3\n\n\n" + SHAPES["pkg/shapes.py"])
    rrepo.commit("import-time change, not run", add=True)
    # ...then a body change: the records describe a tree before the first.
    rrepo.write("pkg/shapes.py", "LIMIT = 3\n\n\n" + SHAPES["pkg/shapes.py"].replace("'circle'", "'CIRCLE'"))
    rrepo.commit("break circle")
    assert rrepo.listing("HEAD~1..") == rrepo.listing("--no-records", "HEAD~1..")
    assert "executed" not in explain(rrepo, "HEAD~1..")


def test_a_record_older_than_an_unrelated_body_change_is_still_used(rrepo):
    rrepo.write_many(SHAPES)
    rrepo.commit("shapes")
    record_all(rrepo)
    rrepo.write("pkg/shapes.py", SHAPES["pkg/shapes.py"].replace("'square'", "'square' "))
    rrepo.commit("layout only")
    rrepo.write("pkg/shapes.py", SHAPES["pkg/shapes.py"].replace("'circle'", "'CIRCLE'"))
    rrepo.commit("break circle")
    assert rrepo.listing("HEAD~1..") == ["tests/test_circle.py"]


def test_records_export_import_and_clear(rrepo, tmp_path):
    rrepo.write_many(SHAPES)
    rrepo.commit("shapes")
    stats = record_all(rrepo)
    assert "2 test files" in stats
    st = rrepo.impact("status")
    assert b"records: 2 test files recorded, 2 of them at HEAD's tree" in st.stdout, st.stdout
    dump = tmp_path / "records.db"
    assert rrepo.impact("records", "export", str(dump)).returncode == 0
    assert rrepo.impact("records", "clear").returncode == 0
    rrepo.write("pkg/shapes.py", SHAPES["pkg/shapes.py"].replace("'circle'", "'CIRCLE'"))
    rrepo.commit("break circle")
    assert rrepo.listing("HEAD~1..") == ["tests/test_circle.py", "tests/test_square.py"]
    assert rrepo.impact("records", "import", str(dump)).returncode == 0
    assert rrepo.listing("HEAD~1..") == ["tests/test_circle.py"]
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database")
    r = rrepo.impact("records", "import", str(bad))
    assert r.returncode == 2 and b"records" in r.stderr


def test_a_damaged_store_falls_back_to_static(rrepo):
    rrepo.write_many(SHAPES)
    rrepo.commit("shapes")
    record_all(rrepo)
    store = rrepo.path / ".git" / "impact" / "records.db"
    store.write_bytes(store.read_bytes()[:100])
    rrepo.write("pkg/shapes.py", SHAPES["pkg/shapes.py"].replace("'circle'", "'CIRCLE'"))
    rrepo.commit("break circle")
    r = rrepo.impact("--list", "HEAD~1..")
    assert r.returncode == 0
    assert r.stdout.decode().split() == ["tests/test_circle.py", "tests/test_square.py"]
    assert b"recorded dependencies not used" in r.stderr


def test_a_record_whose_tree_is_unknown_is_not_used(rrepo):
    """A record naming a tree the repository does not hold (a store copied
    from another clone, a history rewritten and collected): static."""
    import sqlite3
    rrepo.write_many(SHAPES)
    rrepo.commit("shapes")
    record_all(rrepo)
    db = sqlite3.connect(rrepo.path / ".git" / "impact" / "records.db")
    db.execute("UPDATE rec SET tree = ?", (bytes.fromhex("12" * 20),))
    db.commit()
    db.close()
    rrepo.write("pkg/shapes.py", SHAPES["pkg/shapes.py"].replace("'circle'", "'CIRCLE'"))
    rrepo.commit("break circle")
    assert rrepo.listing("HEAD~1..") == rrepo.listing("--no-records", "HEAD~1..") == \
        ["tests/test_circle.py", "tests/test_square.py"]
    out = explain(rrepo, "HEAD~1..")
    assert "not used: its tree is gone or too far from the old side" in out, out


def test_a_record_of_a_test_file_that_is_gone_changes_nothing(rrepo):
    """A recorded test file deleted since: its record speaks for no file,
    and the others still speak for theirs."""
    rrepo.write_many(SHAPES)
    rrepo.write("tests/test_both.py", SHAPES["tests/test_circle.py"].replace("test_circle", "test_both"))
    rrepo.commit("shapes")
    record_all(rrepo)
    rrepo.remove("tests/test_both.py")
    rrepo.commit("drop a test file")
    rrepo.write("pkg/shapes.py", SHAPES["pkg/shapes.py"].replace("'circle'", "'CIRCLE'"))
    rrepo.commit("break circle")
    assert failing(rrepo) == ["tests/test_circle.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_circle.py"]


def test_no_record_records_nothing_and_a_dirty_tree_is_said(rrepo):
    rrepo.write_many(SHAPES)
    rrepo.commit("shapes")
    assert rrepo.impact("--all", "-q", "--no-record").returncode == 0
    assert not (rrepo.path / ".git" / "impact" / "records.db").exists()
    rrepo.write("pkg/extra.py", "X = 1\n")
    rrepo.git("add", "pkg/extra.py")
    r = rrepo.impact("--all")
    assert r.returncode == 0
    assert b"not recorded" in r.stderr


def test_xdist_workers_record(rrepo):
    pytest.importorskip("xdist")
    rrepo.write_many(SHAPES)
    rrepo.commit("shapes")
    stats = record_all(rrepo, "-n", "2")
    assert "2 test files" in stats
    rrepo.write("pkg/shapes.py", SHAPES["pkg/shapes.py"].replace("'circle'", "'CIRCLE'"))
    rrepo.commit("break circle")
    assert rrepo.listing("HEAD~1..") == ["tests/test_circle.py"]


def test_mutation_audit_with_records_has_no_miss(rrepo):
    rrepo.write_many(SHAPES)
    rrepo.write_many({
        "pkg/util.py": "def twice(x):\n    return 2 * x\n\n\ndef thrice(x):\n    return 3 * x\n",
        "tests/test_util.py": ("from pkg.util import twice, thrice\n\n\n"
                               "def test_twice():\n    assert twice(2) == 4\n\n\n"
                               "def test_thrice():\n    assert thrice(2) == 6\n"),
    })
    rrepo.commit("lib")
    record_all(rrepo)
    # Break each function in turn: records select exactly the failing files.
    for path, old, new in [("pkg/util.py", "2 * x", "2 + x + 1"),
                           ("pkg/util.py", "3 * x", "3 + x"),
                           ("pkg/shapes.py", "'square'", "'SQUARE'")]:
        text = (rrepo.path / path).read_text()
        rrepo.write(path, text.replace(old, new))
        want = failing(rrepo)
        got = rrepo.listing()
        assert set(want) <= set(got), (path, old, want, got)
        rrepo.write(path, text)


def test_records_stats_names_the_monitoring_callback(repo):
    """On Python 3.12+ (pyenv's, with Debian's pytest on PYTHONPATH) the run
    records through the build's C callback (impact_cmon.c); `records stats`
    says so, or why the Python one ran instead."""
    pyenv = Path.home() / ".pyenv" / "versions"
    found = sorted(pyenv.glob("3.12.*/bin/python")) if pyenv.is_dir() else []
    built = (Path(os.environ["IMPACT_BIN"]).resolve().parent / "share" / "impact" / "python")
    if not found or not list(built.glob("_impact_cmon312.cpython-*.so")):
        pytest.skip("no pyenv 3.12, or no impact_cmon built for it")
    py = str(found[-1])
    repo.env["IMPACT_DATA_DIR"] = str(DATA_DIR)
    repo.env.pop("IMPACT_RECORD_CTRACE_DIR", None)
    repo.env.pop("IMPACT_RECORD_TRACER", None)
    repo.env["IMPACT_PYTHON"] = py
    repo.env["PYTHONPATH"] = "/usr/lib/python3/dist-packages"
    repo.write_many(SHAPES)
    repo.commit("shapes")
    ver = subprocess.run([py, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                         capture_output=True, text=True).stdout.strip()
    for env, says in (({}, "(C callback)"),
                      ({"IMPACT_RECORD_TRACER": "python"},
                       "(Python callback: IMPACT_RECORD_TRACER=python)")):
        repo.env.update(env)
        r = repo.impact("--all", "-q")
        assert r.returncode == 0, r.stderr.decode(errors="replace")
        st = repo.impact("records", "stats").stdout.decode()
        assert "recorder:  monitoring, Python %s %s" % (ver, says) in st, st
    # and the records select as on any other interpreter
    repo.write("pkg/shapes.py", SHAPES["pkg/shapes.py"].replace("'circle'", "'CIRCLE'"))
    repo.commit("break circle")
    assert repo.listing("HEAD~1..") == ["tests/test_circle.py"]
