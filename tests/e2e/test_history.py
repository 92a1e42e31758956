"""The run history: per test outcome and duration, used to run recent
failures first and to balance shards on recorded durations."""
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
    repo.write("pkg/a.py", "A = 1  # x\n")
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
