"""--shard K/N splits the selection into disjoint, balanced parts whose
union is the selection; --order=path changes only the order."""
import pytest

from layouts import FLAT, FLAT_TESTS


@pytest.fixture
def full(repo):
    repo.write_many(FLAT)
    repo.commit("base")
    repo.write("pyproject.toml", FLAT["pyproject.toml"] + "markers = [\"slow\"]\n")  # pytest: full suite
    repo.commit("touch config")
    return repo


@pytest.mark.parametrize("n", [1, 2, 3, 4, 12])
def test_shards_partition_the_selection(full, n):
    whole = full.listing("HEAD")
    assert sorted(whole) == FLAT_TESTS
    parts = [full.listing("HEAD", "--shard", f"{k}/{n}") for k in range(1, n + 1)]
    flat = [t for part in parts for t in part]
    assert sorted(flat) == sorted(whole)          # union is the selection
    assert len(flat) == len(set(flat))            # disjoint
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1           # balanced (equal weights)
    for part in parts:                            # run order kept inside a part
        assert part == [t for t in whole if t in part]
    # Deterministic.
    assert parts == [full.listing("HEAD", "--shard", f"{k}/{n}") for k in range(1, n + 1)]


def test_shard_runs_only_its_part(full):
    part = full.listing("HEAD", "--shard", "2/3")
    r = full.impact("HEAD", "--shard", "2/3")
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    assert f"{len(part)} passed" in out


def test_empty_shard_runs_nothing(repo):
    repo.write_many(FLAT)
    repo.commit("base")
    repo.write("pkg/heavy.py", "X = 3  # x\n")
    repo.commit("one test")
    assert repo.listing("HEAD", "--shard", "2/2") == []
    r = repo.impact("HEAD", "--shard", "2/2")
    assert r.returncode == 0 and "empty" in r.stderr.decode()


@pytest.mark.parametrize("bad", ["0/2", "3/2", "2", "a/b", "1/0", "1/2/3"])
def test_bad_shard_spec(full, bad):
    r = full.impact("--list", "HEAD", "--shard", bad)
    assert r.returncode == 2
    assert "--shard takes K/N" in r.stderr.decode()


def test_order_path(repo):
    repo.write_many(FLAT)
    repo.commit("base")
    repo.write("pkg/util.py", "def helper():\n    return 2 or 2\n")
    repo.commit("c")
    nearest = repo.listing("HEAD")
    assert nearest[0] == "tests/test_util.py"  # distance 1 before distance 2
    assert repo.listing("HEAD", "--order", "path") == sorted(nearest)
    assert repo.impact("--list", "HEAD", "--order", "random").returncode == 2
