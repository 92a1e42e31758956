"""The run history: per test outcome and duration, used to run recent
failures first and to balance shards on recorded durations.

The touches change tokens, not only comments: a comment-only change
selects nothing once the tests' dependencies are recorded."""
import sqlite3


def test_history_records_and_failures_run_first(repo):
    repo.write_many({
        "pkg/__init__.py": "",
        "pkg/a.py": "A = 1\n",
        "pkg/b.py": "from pkg.a import A\n\nB = A\n",
        "tests/test_a.py": "from pkg.a import A\n\n\ndef test_a():\n    assert A == 1\n",
        # Farther from pkg/a.py (through pkg/b.py), and failing.
        "tests/test_b.py": "from pkg.b import B\n\n\ndef test_b():\n    assert B == 2\n",
    })
    repo.commit("base")
    repo.write("pkg/a.py", "A = 1 + 0\n")
    repo.commit("touch a")
    assert repo.listing("HEAD") == ["tests/test_a.py", "tests/test_b.py"]  # by distance
    r = repo.impact("HEAD", "--no-default-flags")
    assert r.returncode == 1
    db = sqlite3.connect(repo.path / ".git" / "impact" / "history.sqlite")
    rows = sorted(db.execute("SELECT nodeid, file, outcome FROM results").fetchall())
    assert rows == [("tests/test_a.py::test_a", "tests/test_a.py", 0),
                    ("tests/test_b.py::test_b", "tests/test_b.py", 1)]
    commit = db.execute("SELECT commit_id FROM runs").fetchone()[0]
    assert commit == repo.git("rev-parse", "HEAD").strip()
    # The failure of last time now runs first; --order path ignores history.
    assert repo.listing("HEAD") == ["tests/test_b.py", "tests/test_a.py"]
    assert repo.listing("HEAD", "--order", "path") == ["tests/test_a.py", "tests/test_b.py"]
    # Fixed: it passed last time, but its failure count still ranks it first.
    repo.write("pkg/b.py", "from pkg.a import A\n\nB = A + 1\n")
    repo.commit("fix b")
    assert repo.impact("HEAD~1..HEAD", "--no-default-flags").returncode == 0
    assert repo.listing("HEAD~2..HEAD")[0] == "tests/test_b.py"


def test_shards_balance_recorded_durations(repo):
    files = {"tests/test_slow.py": "import time\n\n\ndef test_slow():\n    time.sleep(1.0)\n"}
    for i in range(4):
        files[f"tests/test_fast{i}.py"] = "def test_fast():\n    pass\n"
    repo.write_many(files)
    repo.commit("base")
    assert repo.impact("HEAD", "--no-default-flags").returncode == 0  # records durations
    parts = [repo.listing("HEAD", "--shard", f"{k}/2") for k in (1, 2)]
    slow_part = [p for p in parts if "tests/test_slow.py" in p][0]
    assert slow_part == ["tests/test_slow.py"]  # the slow file alone balances the rest
    assert sorted(parts[0] + parts[1]) == sorted(files)


def _three_files(repo, extra=None):
    files = {"pkg/__init__.py": "", "pkg/core.py": "def f(x):\n    return x + 1\n"}
    for name in "xyz":
        files[f"tests/test_{name}.py"] = "from pkg.core import f\n\n\n" + "".join(
            f"def test_{name}{i}():\n    assert f({i}) == {i + 1}\n\n\n" for i in range(3))
    files.update(extra or {})
    repo.write_many(files)
    repo.commit("base")


def _break(repo, path, tests):
    """A commit where `tests` of `path` fail, a run, then the fix and a run."""
    body = repo.path.joinpath(path).read_text()
    for t in tests:
        body = body.replace(f"def {t}():\n    assert", f"def {t}():\n    assert False and")
    good = repo.path.joinpath(path).read_text()
    repo.write(path, body)
    repo.commit("break " + path)
    assert repo.impact("HEAD", "--no-default-flags").returncode == 1
    repo.write(path, good)
    repo.commit("fix " + path)
    assert repo.impact("HEAD", "--no-default-flags").returncode == 0


def test_failing_most_often_counts_runs_not_failed_results(repo):
    _three_files(repo)
    _break(repo, "tests/test_x.py", ["test_x0", "test_x1", "test_x2"])  # 1 run, 3 results
    _break(repo, "tests/test_y.py", ["test_y0"])                          # 2 runs, 1 result each
    _break(repo, "tests/test_y.py", ["test_y1"])
    repo.write("pkg/core.py", "def f(x):\n    return x + 1 + 0\n")
    repo.commit("touch core")
    order = repo.listing("HEAD")
    assert order.index("tests/test_y.py") < order.index("tests/test_x.py"), order


def test_known_flaky_failure_does_not_move_its_file_first(repo):
    _three_files(repo, {
        ".impact.toml": '[[flaky]]\ntest = "tests/test_z.py::test_znet"\n'
                        'errors = ["ConnectionError"]\n',
        "tests/test_z.py": "import os\n\nfrom pkg.core import f\n\n\ndef test_znet():\n"
                           "    if os.environ.get('NET_DOWN'):\n"
                           "        raise ConnectionError('down')\n"
                           "    assert f(1) == 2\n",
    })
    repo.write("pkg/core.py", "def f(x):\n    return x + 1 + 0\n")
    repo.commit("a")
    r = repo.impact("HEAD", "--no-default-flags", env={"NET_DOWN": "1"})
    assert r.returncode == 0, r.stderr  # known flaky: the run passes
    repo.write("pkg/core.py", "def f(x):\n    return x + 1 + 0 + 0\n")
    repo.commit("b")
    order = repo.listing("HEAD")
    assert "tests/test_z.py" in order and order[0] != "tests/test_z.py", order


def test_history_matches_when_pytest_rootdir_is_a_subfolder(repo):
    """xunit1 writes `file` relative to pytest's rootdir: the history keeps
    repository paths, as the selection has them."""
    repo.write_many({
        "py/pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
                            'junit_family = "xunit1"\npythonpath = ["."]\n',
        "py/pkg/__init__.py": "",
        "py/pkg/core.py": "def f(x):\n    return x + 1\n",
        "py/tests/test_a.py": "from pkg.core import f\n\n\ndef test_a():\n    assert f(1) == 2\n",
        "py/tests/test_b.py": "from pkg.core import f\n\n\ndef test_b():\n    assert f(2) == 3\n",
        "py/tests/test_c.py": "from pkg.core import f\n\n\ndef test_c():\n    assert f(3) == 5\n",
    })
    repo.commit("base")
    repo.write("py/pkg/core.py", "def f(x):\n    return x + 1 + 0\n")
    repo.commit("a")
    assert repo.impact("HEAD", "--no-default-flags").returncode == 1
    db = sqlite3.connect(repo.path / ".git" / "impact" / "history.sqlite")
    files = {row[0] for row in db.execute("SELECT file FROM results")}
    assert files == {"py/tests/test_a.py", "py/tests/test_b.py", "py/tests/test_c.py"}, files
    repo.write("py/pkg/core.py", "def f(x):\n    return x + 1 + 0 + 0\n")
    repo.commit("b")
    assert repo.listing("HEAD")[0] == "py/tests/test_c.py"
