"""Hooks and gates end to end: real git runs the installed hooks (post-commit,
post-rewrite, pre-merge-commit, pre-push), which run the real impact and
real pytest; `impact --gate` in a real clone.

Every pytest session the hooks start is recorded by the project's conftest
(in $E2E_RUNS: exit status and the test files), so the tests see what ran,
not just what impact says. Background runs are awaited by polling their
state file with a deadline, never by sleeping blindly.
"""
import fcntl
import json
import os
import stat
import subprocess
import time

import pytest

RECORDER = '''import os


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("E2E_RUNS")
    if path and not session.config.option.collectonly:
        with open(path, "a") as f:
            f.write("%d %s\\n" % (int(exitstatus), " ".join(sorted(session.config.args))))
'''

PROJECT = {
    "pkg/__init__.py": "",
    "pkg/a.py": "A = 1\n",
    "pkg/b.py": "B = 2\n",
    "tests/conftest.py": RECORDER,
    "tests/test_a.py": "import os\nfrom pkg.a import A\n\n\ndef test_a():\n"
                       "    assert not os.path.exists('FAIL_A'), 'FAIL_A exists'\n"
                       "    assert A == 1\n",
    "tests/test_b.py": "from pkg.b import B\n\n\ndef test_b():\n    assert B == 2\n",
    "tests/test_c.py": "def test_c():\n    assert True\n",
}

FAILING = "def test_b():\n    assert 1 == 2, 'broken on purpose'\n"
WAIT_S = 60


def err(r):
    return r.stderr.decode(errors="replace")


def out(r):
    return r.stdout.decode(errors="replace")


def sh(repo, *args, env=None, cwd=None):
    """git with both outputs kept, without failing on a non-zero exit."""
    e = dict(repo.env)
    e.update(env or {})
    return subprocess.run(["git", *args], cwd=cwd or repo.path, env=e,
                          capture_output=True, timeout=300)


def make_project(repo, tmp_path):
    repo.env["E2E_RUNS"] = str(tmp_path / "runs.txt")
    repo.write_many(PROJECT)
    repo.commit("base")
    return repo


def runs(repo):
    """[(pytest exit status, [test files]), ...] of every session so far."""
    p = repo.env["E2E_RUNS"]
    if not os.path.exists(p):
        return []
    result = []
    for line in open(p).read().splitlines():
        status, _, files = line.partition(" ")
        result.append((int(status), files.split()))
    return result


def state_dir(repo):
    common = sh(repo, "rev-parse", "--git-common-dir").stdout.decode().strip()
    return (repo.path / common).resolve() / "impact"


def lock_free(repo):
    lock = state_dir(repo) / "bg.lock"
    if not lock.exists():
        return True
    with open(lock) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def wait_done(repo, commit, timeout=WAIT_S):
    """The background run for `commit` finished (and let go of its lock)."""
    path = state_dir(repo) / "post-commit.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            st = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            st = None
        if st and st["state"] == "done" and st["commit"] == commit and lock_free(repo):
            return st
        time.sleep(0.1)
    log = state_dir(repo) / "post-commit.log"
    raise AssertionError(f"no finished background run of {commit} within {timeout} s:\n"
                         + (log.read_text() if log.exists() else "(no log)"))


def wait_for(pred, what, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def proj(repo, tmp_path):
    make_project(repo, tmp_path)
    yield repo
    # No background run may outlive its test.
    wait_for(lambda: lock_free(repo), "the background run to end")


def install(repo, *flags, cwd=None):
    r = repo.impact("hooks", "install", *flags, cwd=cwd)
    assert r.returncode == 0, err(r)
    return r


def head(repo, cwd=None):
    return sh(repo, "rev-parse", "HEAD", cwd=cwd).stdout.decode().strip()


# --- post-commit ------------------------------------------------------------

def test_post_commit_runs_in_the_background_and_status_shows_it(proj, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    notes = tmp_path / "notes.txt"
    (bindir / "notify-send").write_text(f'#!/bin/sh\nprintf "%s|" "$@" >> {notes}\n')
    (bindir / "notify-send").chmod(0o755)
    proj.env["PATH"] = f"{bindir}:{proj.env['PATH']}"
    install(proj)
    before_index = (proj.path / ".git" / "index").read_bytes()

    proj.write("tests/test_slow.py",
               "import time\n\n\ndef test_slow():\n    time.sleep(3)\n    assert 1 == 2, 'slow and broken'\n")
    proj.git("add", "-A")
    t = time.monotonic()
    r = sh(proj, "commit", "-q", "-m", "slow")
    took = time.monotonic() - t
    assert r.returncode == 0, err(r)
    assert took < 2.5, f"git commit waited {took:.1f} s for the tests"
    assert "testing commit" in err(r)
    commit = head(proj)

    st = wait_done(proj, commit)
    assert st["exit_code"] == 1 and st["hook"] == "post-commit"
    log = (state_dir(proj) / "post-commit.log").read_text()
    assert f"post-commit run of {commit[:7]}" in log
    assert "tests/test_slow.py" in log and "finished: exit 1" in log
    assert runs(proj) == [(1, ["tests/test_slow.py"])]

    s = proj.impact("status")
    assert s.returncode == 0, err(s)
    text = out(s)
    assert commit[:7] in text
    assert "0 passed, 1 failed" in text
    assert "FAILED tests/test_slow.py::test_slow" in text
    assert str(state_dir(proj) / "post-commit.log") in text
    assert notes.read_text().startswith(f"--app-name=impact|impact: {commit[:7]} test failures|")
    # Nothing staged, nothing committed by the hook.
    assert sh(proj, "status", "--porcelain").stdout == b""
    assert head(proj) == commit


def test_a_newer_commit_supersedes_a_running_one(proj, tmp_path):
    hold, started = tmp_path / "HOLD", tmp_path / "STARTED"
    hold.write_text("")
    install(proj)
    proj.write("tests/test_hold.py",
               "import os, time\n\n\ndef test_hold():\n"
               f"    open({str(started)!r}, 'w').close()\n"
               f"    while os.path.exists({str(hold)!r}):\n        time.sleep(0.05)\n")
    c0 = head(proj)
    proj.commit("holds")
    wait_for(started.exists, "the first run to reach its test")
    proj.write("tests/test_b.py", "def test_b():\n    assert True\n")
    c2 = proj.commit("newer")
    # The first run is stopped politely: its pytest session ends interrupted (2).
    wait_for(lambda: runs(proj)[:1] == [(2, ["tests/test_hold.py"])], "the first run to stop")
    hold.unlink()
    st = wait_done(proj, c2)
    assert st["exit_code"] == 0
    # The superseded commit was never tested to the end: the newer run covers it.
    assert st["base"] == c0
    assert runs(proj) == [(2, ["tests/test_hold.py"]), (0, ["tests/test_b.py", "tests/test_hold.py"])]
    assert "did not finish: this run covers it too" in (state_dir(proj) / "post-commit.log").read_text()


def test_rebase_runs_once_for_the_whole_range(proj):
    proj.git("checkout", "-q", "-b", "topic")
    for name in ["a", "b", "c"]:
        p = f"tests/test_{name}.py"
        proj.write(p, (proj.path / p).read_text() + f"# topic {name}\n")
        proj.commit(f"topic {name}")
    proj.git("checkout", "-q", "main")
    proj.write("README.md", "# readme\n")
    proj.commit("main moves on")
    proj.git("checkout", "-q", "topic")
    install(proj)

    r = sh(proj, "rebase", "main")
    assert r.returncode == 0, err(r)
    # post-commit fired three times and stayed quiet; post-rewrite started one run.
    assert err(r).count("in the background") == 1, err(r)
    assert "post-rewrite: testing the rebased commits" in err(r)
    new_head = head(proj)
    first_new = sh(proj, "rev-parse", "HEAD~2").stdout.decode().strip()
    st = wait_done(proj, new_head)
    assert st["hook"] == "post-rewrite"
    base = sh(proj, "rev-parse", "main").stdout.decode().strip()
    assert st["base"] == base
    assert sh(proj, "rev-parse", f"{first_new}^").stdout.decode().strip() == base
    assert runs(proj) == [(0, ["tests/test_a.py", "tests/test_b.py", "tests/test_c.py"])]


# --- gates --------------------------------------------------------------------

def test_pre_merge_commit_blocks_a_breaking_merge(proj):
    install(proj, "--pre-merge-commit")
    proj.git("checkout", "-q", "-b", "bad")
    proj.write("tests/test_b.py", FAILING)
    proj.commit("break b")
    proj.git("checkout", "-q", "main")
    proj.git("checkout", "-q", "-b", "good")
    proj.write("tests/test_c.py", "def test_c():\n    assert 2 + 2 == 4\n")
    proj.commit("improve c")
    proj.git("checkout", "-q", "main")
    before = head(proj)

    r = sh(proj, "merge", "--no-ff", "-m", "merge bad", "bad")
    assert r.returncode != 0
    assert "FAILED tests/test_b.py::test_b" in err(r)
    assert "merge not committed" in err(r)
    assert head(proj) == before
    proj.git("merge", "--abort")

    r = sh(proj, "merge", "--no-ff", "-m", "merge good", "good")
    assert r.returncode == 0, err(r)
    assert sh(proj, "rev-parse", "HEAD^2").stdout.decode().strip() == \
        sh(proj, "rev-parse", "good").stdout.decode().strip()
    assert runs(proj) == [(1, ["tests/test_b.py"]), (0, ["tests/test_c.py"])]


@pytest.fixture
def pushing(proj, make_repo, tmp_path):
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True,
                   env=proj.env)
    proj.git("remote", "add", "origin", str(bare))
    install(proj, "--pre-push")
    return proj


def remote_sha(repo, ref):
    r = sh(repo, "ls-remote", "origin", ref)
    return r.stdout.decode().split("\t")[0] if r.stdout else None


def test_pre_push_blocks_failures_and_passes_when_green(pushing):
    r = sh(pushing, "push", "-q", "origin", "main")
    assert r.returncode == 0, err(r)
    green = head(pushing)
    assert remote_sha(pushing, "refs/heads/main") == green

    pushing.write("tests/test_b.py", FAILING)
    pushing.commit("break b")
    r = sh(pushing, "push", "-q", "origin", "main")
    assert r.returncode != 0
    assert "push blocked" in err(r) and "FAILED tests/test_b.py::test_b" in err(r)
    assert f"updates refs/heads/main from {green[:7]}" in err(r)
    assert remote_sha(pushing, "refs/heads/main") == green

    pushing.write("tests/test_b.py", "def test_b():\n    assert 2 == 2\n")
    pushing.commit("fix b")
    r = sh(pushing, "push", "-q", "origin", "main")
    assert r.returncode == 0, err(r)
    assert remote_sha(pushing, "refs/heads/main") == head(pushing)


def test_pre_push_new_branch_tests_only_new_commits_and_deletion_nothing(pushing):
    assert sh(pushing, "push", "-q", "origin", "main").returncode == 0
    n = len(runs(pushing))
    pushing.git("checkout", "-q", "-b", "topic")
    pushing.write("tests/test_b.py", "def test_b():\n    assert 3 == 3\n")
    pushing.commit("topic b")
    (pushing.path / "FAIL_A").write_text("")  # test_a fails from now on (untracked)

    r = sh(pushing, "push", "-q", "origin", "topic")
    assert r.returncode == 0, err(r)
    assert "new branch: the commits not on origin/main" in err(r)
    assert runs(pushing)[n:] == [(0, ["tests/test_b.py"])]

    r = sh(pushing, "push", "-q", "origin", "--delete", "topic")
    assert r.returncode == 0, err(r)
    assert "deletes refs/heads/topic: nothing to test" in err(r)
    assert len(runs(pushing)) == n + 1
    assert remote_sha(pushing, "refs/heads/topic") is None


def test_an_existing_hook_runs_first_and_uninstall_restores_it(proj, tmp_path):
    calls = tmp_path / "calls.txt"
    status = tmp_path / "status"
    status.write_text("0")
    hook = proj.path / ".git" / "hooks" / "pre-push"
    body = (f"#!/bin/sh\n# the team's own pre-push\necho \"args: $*\" >> {calls}\n"
            f"cat >> {calls}\nexit $(cat {status})\n").encode()
    hook.write_bytes(body)
    hook.chmod(0o750)
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, env=proj.env)
    proj.git("remote", "add", "origin", str(bare))

    r = install(proj, "--pre-push")
    assert "the hook that was there runs first" in out(r)
    assert (hook.parent / "pre-push.impact-saved").read_bytes() == body
    install(proj, "--pre-push")  # idempotent
    assert (hook.parent / "pre-push.impact-saved").read_bytes() == body

    r = sh(proj, "push", "-q", "origin", "main")
    assert r.returncode == 0, err(r)
    text = calls.read_text()
    assert f"args: origin {bare}" in text
    assert f"refs/heads/main {head(proj)} refs/heads/main 0000000" in text
    assert len(runs(proj)) == 1  # and impact tested after it

    status.write_text("7")
    proj.write("README.md", "more\n")
    proj.commit("more")
    r = sh(proj, "push", "-q", "origin", "main")
    assert r.returncode != 0
    assert "failed (exit 7)" in err(r)
    assert len(runs(proj)) == 1  # blocked without testing

    r = proj.impact("hooks", "uninstall")
    assert r.returncode == 0, err(r)
    assert hook.read_bytes() == body
    assert stat.S_IMODE(hook.stat().st_mode) == 0o750
    assert not (hook.parent / "pre-push.impact-saved").exists()


def test_core_hooks_path_is_honoured(proj):
    proj.git("config", "core.hooksPath", ".githooks")
    r = install(proj)
    assert (proj.path / ".githooks" / "post-commit").exists()
    assert not (proj.path / ".git" / "hooks" / "post-commit").exists()
    assert "core.hooksPath" in out(r)
    proj.write("tests/test_c.py", "def test_c():\n    assert 'c'\n")
    proj.git("add", "tests/test_c.py")
    c = proj.commit("c via hooksPath", add=False)
    assert wait_done(proj, c)["exit_code"] == 0


def test_a_linked_worktree_is_covered(proj, tmp_path):
    wt = tmp_path / "wt"
    proj.git("worktree", "add", "-q", "-b", "side", str(wt))
    r = install(proj, cwd=wt)
    assert (proj.path / ".git" / "hooks" / "post-commit").exists()
    (wt / "tests" / "test_c.py").write_text("def test_c():\n    assert 'wt'\n")
    r = sh(proj, "commit", "-qam", "in the worktree", cwd=wt)
    assert r.returncode == 0, err(r)
    c = head(proj, cwd=wt)
    st = wait_done(proj, c)
    assert st["exit_code"] == 0
    assert f"post-commit run of {c[:7]}" in (proj.path / ".git" / "impact" / "post-commit.log").read_text()
    assert runs(proj) == [(0, ["tests/test_c.py"])]


@pytest.mark.parametrize("setup, manager", [
    ({".pre-commit-config.yaml": "repos: []\n"}, "pre-commit"),
    ({"lefthook.yml": "pre-commit:\n  commands: {}\n"}, "lefthook"),
    ({".husky/pre-commit": "npm test\n"}, "husky"),
])
def test_a_configured_manager_without_its_hook_installed_gets_impacts_hook(proj, setup, manager):
    # Most repositories ship such a file for their linters without installing
    # any hook: the hook path is free, so impact's hook goes there.
    proj.write_many(setup)
    r = proj.impact("hooks", "install")
    assert r.returncode == 0, err(r)
    assert f"{manager} is configured here" in err(r)
    hook = proj.path / ".git" / "hooks" / "post-commit"
    assert hook.exists() and b"impact" in hook.read_bytes()
    st = proj.impact("hooks", "status")
    assert "post-commit" in out(st) and "installed, runs" in out(st)


def test_a_hook_file_a_manager_wrote_is_left_alone_and_impact_goes_beside_it(proj):
    hooks = proj.path / ".git" / "hooks"
    body = b"#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\nexit 0\n"
    for name in ["pre-commit", "pre-push"]:
        (hooks / name).write_bytes(body)
        (hooks / name).chmod(0o755)
    r = proj.impact("hooks", "install", "--post-commit", "--pre-push")
    # Deferring is no failure: exit 0, with the snippet for the manager.
    assert r.returncode == 0, err(r)
    assert "pre-push: pre-commit wrote it" in err(r)
    assert "stages: [pre-push]" in err(r)
    assert (hooks / "pre-push").read_bytes() == body
    assert (hooks / "pre-commit").read_bytes() == body
    assert not (hooks / "pre-push.impact-saved").exists()
    assert b"impact" in (hooks / "post-commit").read_bytes()
    st = proj.impact("hooks", "status")
    assert "managed by pre-commit" in out(st)


def test_impact_skip_skips_every_hook(proj, tmp_path):
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, env=proj.env)
    proj.git("remote", "add", "origin", str(bare))
    install(proj, "--post-commit", "--pre-push")
    proj.write("tests/test_b.py", FAILING)
    proj.git("add", "-A")
    r = sh(proj, "commit", "-q", "-m", "broken", env={"IMPACT_SKIP": "1"})
    assert r.returncode == 0 and "in the background" not in err(r)
    r = sh(proj, "push", "-q", "origin", "main", env={"IMPACT_SKIP": "1"})
    assert r.returncode == 0, err(r)
    assert runs(proj) == []
    assert not (state_dir(proj) / "post-commit.json").exists()
    # Without it, the same kind of push is blocked.
    proj.write("tests/test_c.py", "def test_c():\n    assert False\n")
    proj.git("add", "-A")
    assert sh(proj, "commit", "-q", "-m", "broken c", env={"IMPACT_SKIP": "1"}).returncode == 0
    r = sh(proj, "push", "-q", "origin", "main")
    assert r.returncode != 0 and "push blocked" in err(r)


# --- CI -------------------------------------------------------------------------

def test_gate_uses_the_merge_base_with_origin_main_in_a_clone(proj, make_repo, tmp_path):
    clone_dir = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(proj.path), str(clone_dir)], check=True,
                   env=proj.env)
    # upstream moves on after the clone: not ours to test
    proj.write("tests/test_c.py", "def test_c():\n    assert 'upstream'\n")
    proj.commit("upstream c")
    sh(proj, "fetch", "-q", cwd=clone_dir)
    sh(proj, "checkout", "-q", "-b", "feature", cwd=clone_dir)
    (clone_dir / "tests" / "test_b.py").write_text("def test_b():\n    assert 'feature'\n")
    sh(proj, "commit", "-qam", "feature b", cwd=clone_dir)
    base = sh(proj, "merge-base", "HEAD", "origin/main", cwd=clone_dir).stdout.decode()[:7]

    r = proj.impact("--gate", "--list", cwd=clone_dir)
    assert r.returncode == 0, err(r)
    assert out(r).split() == ["tests/test_b.py"]
    assert f"base: merge base with origin/main ({base}" in err(r)

    r = proj.impact("--gate", "--list", "origin/main..HEAD", cwd=clone_dir)
    assert r.returncode == 0, err(r)
    assert sorted(out(r).split()) == ["tests/test_b.py", "tests/test_c.py"]
    assert "the range given" in err(r)


def test_pre_merge_commit_known_flaky_failure_does_not_block(proj):
    proj.write(".impact.toml", '[[flaky]]\ntest = "tests/test_b.py::test_b"\nerrors = ["TooSlowError"]\n')
    proj.commit("flaky list")
    install(proj, "--pre-merge-commit")
    proj.git("checkout", "-q", "-b", "slow")
    proj.write("tests/test_b.py", "class TooSlowError(Exception):\n    pass\n\n\n"
                                  "def test_b():\n    raise TooSlowError('timing')\n")
    proj.commit("b is slow")
    proj.git("checkout", "-q", "main")
    r = sh(proj, "merge", "--no-ff", "-m", "merge slow", "slow")
    assert r.returncode == 0, err(r)
    assert "known flaky" in err(r)
    proj.git("checkout", "-q", "-b", "real", "slow")
    proj.write("tests/test_b.py", "def test_b():\n    raise ValueError('a real bug')\n")
    proj.commit("b is broken")
    proj.git("checkout", "-q", "main")
    r = sh(proj, "merge", "--no-ff", "-m", "merge real", "real")
    assert r.returncode != 0
    assert "merge not committed" in err(r)
    proj.git("merge", "--abort")
