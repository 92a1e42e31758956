"""The parse cache end to end: the answer is byte-identical with and
without it, it survives damage and concurrent runs, and it is per
repository (shared by linked worktrees)."""
import json
import subprocess

import pytest

from layouts import FLAT, LAYOUTS
from test_selection import CASES, apply_change


def selection_json(repo, *args):
    r = repo.impact("--json", *args)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    doc = json.loads(r.stdout)
    doc.pop("timings_ms")
    return doc, r.stderr.decode(errors="replace")


def cache_path(repo):
    return repo.path / ".git" / "impact" / "cache.sqlite"


@pytest.mark.parametrize("name,layout,change,expected", CASES, ids=[c[0] for c in CASES])
def test_cold_warm_and_uncached_agree(repo, name, layout, change, expected):
    repo.write_many(LAYOUTS[layout])
    repo.commit("base")
    apply_change(repo, change)
    repo.commit(name)
    repo.impact("cache", "clear")
    cold, _ = selection_json(repo, "HEAD~1..")
    assert cache_path(repo).exists()
    warm, _ = selection_json(repo, "HEAD~1..")
    uncached, _ = selection_json(repo, "--no-cache", "HEAD~1..")
    assert cold == warm == uncached
    coarse, _ = selection_json(repo, "--coarse", "HEAD~1..")
    assert [t["path"] for t in coarse["selected"]] == expected
    assert {t["path"] for t in cold["selected"]} <= set(expected)


def test_damaged_cache_is_rebuilt_with_one_warning(repo):
    repo.write_many(FLAT)
    repo.commit("base")
    repo.write("pkg/util.py", "def helper():\n    return 2  # x\n")
    repo.commit("c")
    good, _ = selection_json(repo, "HEAD")
    cache_path(repo).write_bytes(b"this is not a database" * 500)
    again, err = selection_json(repo, "HEAD")
    assert again == good
    assert err.count("was damaged") == 1
    third, err = selection_json(repo, "HEAD")
    assert third == good and "was damaged" not in err


def test_unwritable_cache_dir_still_answers(repo):
    repo.write_many(FLAT)
    repo.commit("base")
    (repo.path / ".git" / "impact").mkdir(exist_ok=True)
    (repo.path / ".git" / "impact" / "cache.sqlite").mkdir()  # a directory: cannot be a database
    doc, err = selection_json(repo, "HEAD")
    assert [t["path"] for t in doc["selected"]]  # the root commit adds every test
    assert "without the parse cache" in err


def test_concurrent_runs(repo):
    repo.write_many(FLAT)
    repo.commit("base")
    repo.write("pkg/core.py", "def run():\n    return 1 or 1\n")
    repo.commit("c")
    repo.impact("cache", "clear")
    procs = [subprocess.Popen([*repo.impact_argv("--list", "HEAD")], cwd=repo.path, env=repo.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    assert len({o[0] for o in outs}) == 1
    assert outs[0][0].decode().split() == ["tests/test_core.py", "tests/test_relative.py"]


def test_stats_and_clear(repo):
    repo.write_many(FLAT)
    repo.commit("base")
    repo.listing("HEAD")
    r = repo.impact("cache", "stats")
    assert r.returncode == 0
    entries = int(r.stdout.decode().split("entries:")[1].split()[0])
    # One entry per distinct blob: files with equal content share one.
    assert entries == len({c for p, c in FLAT.items() if p.endswith(".py")})
    r = repo.impact("cache", "clear")
    assert r.returncode == 0 and not cache_path(repo).exists()
    assert repo.impact("cache", "nonsense").returncode == 2


def test_linked_worktree_shares_the_cache(repo, tmp_path):
    repo.write_many(FLAT)
    repo.commit("base")
    repo.listing("HEAD")
    wt = tmp_path / "wt"
    repo.git("worktree", "add", "-q", str(wt), "-b", "other")
    r = repo.impact("cache", "stats", cwd=wt)
    blobs = len({c for p, c in FLAT.items() if p.endswith(".py")})
    assert "entries:  %d " % blobs in r.stdout.decode()


def cached_oids(repo):
    import sqlite3
    db = sqlite3.connect(cache_path(repo))
    try:
        return {row[0].lower() for row in db.execute("SELECT hex(oid) FROM facts")}
    finally:
        db.close()


def test_the_old_side_of_a_call_time_change_is_cached(repo):
    # Precise mode reads the old side of a modified module to classify its
    # lines; it is stored, so the same range again parses nothing.
    repo.write_many(FLAT)
    repo.commit("base")
    repo.write("pkg/core.py", "def run():\n    return 1 + 0\n")
    repo.commit("body")
    old = repo.git("rev-parse", "HEAD~1:pkg/core.py").strip()
    repo.impact("cache", "clear")
    first, _ = selection_json(repo, "HEAD~1..")
    assert "call-time change of run" in json.dumps(first)
    held = cached_oids(repo)
    assert old in held
    again, _ = selection_json(repo, "HEAD~1..")
    assert again == first
    assert cached_oids(repo) == held
    uncached, _ = selection_json(repo, "--no-cache", "HEAD~1..")
    assert uncached == first


def test_facts_the_cache_lost_are_parsed_once_and_kept(repo):
    """A kept graph whose facts the parse cache no longer holds (the file
    removed, emptied by another impact version): the walk parses the
    files it reads again, and keeps them, so the next run parses nothing."""
    repo.write_many(FLAT)
    repo.commit("base")
    repo.write("pkg/util.py", "def helper():\n    return 2 + 0\n")
    repo.commit("body")
    first, _ = selection_json(repo, "HEAD~1..")
    for p in cache_path(repo).parent.glob("cache.sqlite*"):
        p.unlink()  # the graphs stay
    r = repo.impact("--json", "HEAD~1..")
    doc = json.loads(r.stdout)
    assert doc["timings_ms"]["graph_from"] == "cached"
    loaded = doc["timings_ms"]["facts_loaded"]
    assert loaded >= 2, doc["timings_ms"]  # the walk read some modules' symbols
    held = cached_oids(repo)
    assert len(held) >= loaded, (held, doc["timings_ms"])
    doc.pop("timings_ms")
    assert doc == first
    again, _ = selection_json(repo, "HEAD~1..")
    assert again == first
    assert cached_oids(repo) == held  # nothing parsed again
