"""Breaking a function on purpose, and what really fails: shared by the
precise and static selection tests, which check impact's selection against
the failing set of a real pytest run."""
import re
import subprocess
import sys

BOOM = "raise RuntimeError('broken')"


def break_body(src, header, indent="    "):
    """Insert a raising first statement into the body after `header`."""
    i = src.index(header)
    j = src.index("\n", i) + 1
    return src[:j] + indent + BOOM + "\n" + src[j:]


def failing_files(repo):
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider",
                        "-p", "no:randomly"], cwd=repo.path, env=repo.env, capture_output=True)
    out = r.stdout.decode(errors="replace")
    return sorted({m.group(1) for m in re.finditer(r"^(?:FAILED|ERROR) (\S+?\.py)", out, re.M)})


def green_project(repo, files):
    """`files` committed as the base commit, where the whole suite passes."""
    repo.write_many(files)
    repo.commit("base")
    assert failing_files(repo) == []
    return repo


def replace_and_commit(repo, path, old, new, message="change"):
    """Replace the one `old` in `path` by `new`, commit, and return the test
    files that now fail."""
    src = (repo.path / path).read_text()
    assert src.count(old) == 1, old
    repo.write(path, src.replace(old, new))
    repo.commit(message)
    return failing_files(repo)


def record_all(repo, *extra):
    """`impact --all`: the whole suite, recorded; it must pass."""
    r = repo.impact("--all", "-q", *extra)
    assert r.returncode == 0, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")


def check_selected(repo, failing, expected, *args):
    """The selection for the last commit (`impact --list *args HEAD~1..`)
    holds every file of `failing` and is exactly `expected`; returns
    --explain's text."""
    selected = repo.listing(*args, "HEAD~1..")
    assert not sorted(set(failing) - set(selected)), (failing, selected)
    explain = repo.impact("--explain", *args, "HEAD~1..").stdout.decode()
    assert sorted(selected) == sorted(expected), explain
    return explain


def check_selection(repo, expected):
    """The last commit breaks something; the selection for it holds every
    test file that really fails, and is exactly `expected`."""
    failing = failing_files(repo)
    assert failing, "the change must break something"
    selected = repo.listing("HEAD~1..")
    missed = sorted(set(failing) - set(selected))
    assert not missed, f"missed {missed} (selected {selected})"
    assert sorted(selected) == sorted(expected), repo.impact("--explain", "HEAD~1..").stdout.decode()
