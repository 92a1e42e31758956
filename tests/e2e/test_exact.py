"""Exact-tree runs end to end: the hooks, --gate and --exact test exactly the
tree they speak for, in a private checkout, whatever the work tree holds.

Real git runs the installed hooks, which run the real impact and real
pytest. Every test compares the user's repository before and after: the
index, HEAD and refs byte for byte, `git status --porcelain`, and the bytes
of every file of the work tree. A project's conftest records each pytest
session (exit status, test files, and the folder it ran in), so the tests
see where tests ran, not just what impact says.
"""
import hashlib
import json
import os
import subprocess
import sys

import pytest

from test_hooks import err, head, install, lock_free, out, runs, sh, state_dir, wait_done, wait_for

RECORDER = '''import os


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("E2E_RUNS")
    if path and not session.config.option.collectonly:
        with open(path, "a") as f:
            f.write("%d %s\\n" % (int(exitstatus), " ".join(sorted(session.config.args))))
        with open(path + ".where", "a") as f:
            f.write(os.getcwd() + "\\n")
'''

PROJECT = {
    "pkg/__init__.py": "",
    "pkg/a.py": "def value():\n    return 1\n",
    "pkg/b.py": "B = 2\n",
    "tests/conftest.py": RECORDER,
    "tests/test_a.py": "from pkg.a import value\n\n\ndef test_a():\n    assert value() == 1\n",
    "tests/test_b.py": "from pkg.b import B\n\n\ndef test_b():\n    assert B == 2\n",
    "tests/test_c.py": "def test_c():\n    assert True\n",
}

GOOD_A = "def value():\n    return 1\n"
BAD_A = "def value():\n    return 7\n"   # same size as GOOD_A


def user_state(repo):
    """Everything impact must leave as it was: index, HEAD, refs, status, files."""
    files = {}
    for root, dirs, names in os.walk(repo.path):
        dirs[:] = [d for d in dirs if d != ".git"]
        for n in names:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                files[os.path.relpath(p, repo.path)] = hashlib.sha1(f.read()).hexdigest()
    # A successful push moves refs/remotes/*: git's doing, not impact's.
    refs = {k: v for k, v in repo.state().items() if not k.startswith("refs/remotes/")}
    return {
        "refs": refs,
        "status": sh(repo, "--no-optional-locks", "status", "--porcelain",
                     "--untracked-files=all").stdout,
        "files": files,
    }


def worktrees(repo):
    return [l for l in sh(repo, "worktree", "list", "--porcelain").stdout.decode().splitlines()
            if l.startswith("worktree ")]


def where(repo):
    p = repo.env["E2E_RUNS"] + ".where"
    return open(p).read().split() if os.path.exists(p) else []


@pytest.fixture
def proj(repo, tmp_path):
    repo.env["E2E_RUNS"] = str(tmp_path / "runs.txt")
    repo.write_many(PROJECT)
    repo.commit("base")
    yield repo
    wait_for(lambda: lock_free(repo), "the background run to end")
    # The private checkout is never a worktree of the user's repository.
    assert len(worktrees(repo)) == 1


def remote(proj, tmp_path):
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, env=proj.env)
    proj.git("remote", "add", "origin", str(bare))
    proj.git("push", "-q", "origin", "main")
    return bare


# --- pre-push -----------------------------------------------------------------

def test_a_push_of_a_branch_not_checked_out_is_tested(proj, tmp_path):
    remote(proj, tmp_path)
    install(proj, "--pre-push")
    proj.git("checkout", "-q", "-b", "feature")
    proj.write("pkg/a.py", BAD_A)
    proj.commit("feature breaks a")
    proj.git("checkout", "-q", "-b", "fine", "main")
    proj.write("pkg/b.py", "B = 2\nFINE = True\n")
    proj.commit("fine b")
    proj.git("checkout", "-q", "main")
    before = user_state(proj)

    r = sh(proj, "push", "origin", "feature")
    assert r.returncode != 0, err(r)
    assert "push blocked" in err(r)
    assert "in a private checkout" in err(r)
    assert "not checked out" not in err(r)
    assert runs(proj)[-1] == (1, ["tests/test_a.py"])
    assert all(w != str(proj.path) for w in where(proj))
    assert "feature" not in sh(proj, "ls-remote", "origin").stdout.decode()

    r = sh(proj, "push", "origin", "fine")
    assert r.returncode == 0, err(r)
    assert runs(proj)[-1] == (0, ["tests/test_b.py"])
    assert user_state(proj) == before


# --- post-commit: the commit, not the work tree ---------------------------------

def test_a_partial_commit_is_tested_as_committed(proj):
    install(proj)
    # Broken in the last commit; the fix is staged, a new breakage is not.
    proj.write("pkg/a.py", BAD_A)
    bad = proj.commit("break a")
    wait_done(proj, bad)
    proj.write("pkg/a.py", GOOD_A)
    proj.git("add", "pkg/a.py")
    proj.write("pkg/a.py", "def value():\n    return 'unstaged breakage'\n")
    r = sh(proj, "commit", "-q", "-m", "fix a (partially staged)")
    assert r.returncode == 0, err(r)
    before = user_state(proj)
    fixed = head(proj)
    st = wait_done(proj, fixed)
    assert st["exit_code"] == 0, (state_dir(proj) / "post-commit.log").read_text()
    last = json.loads((state_dir(proj) / "last-run.json").read_text())
    assert last["tested"] == f"commit {fixed[:7]} in a private checkout"
    s = proj.impact("status")
    assert f"tested commit {fixed[:7]} in a private checkout" in out(s)
    after = user_state(proj)
    assert after == before

    # The reverse: the breakage is committed, the work tree holds a fix.
    proj.write("pkg/a.py", BAD_A)
    proj.git("add", "pkg/a.py")
    proj.write("pkg/a.py", GOOD_A)
    r = sh(proj, "commit", "-q", "-m", "break a again (fix left unstaged)")
    assert r.returncode == 0, err(r)
    broken = head(proj)
    st = wait_done(proj, broken)
    assert st["exit_code"] == 1
    log = (state_dir(proj) / "post-commit.log").read_text()
    assert f"tested commit {broken[:7]} in a private checkout" in log
    # Failures point at the repository's paths, not the private checkout's.
    assert "tests/test_a.py" in log
    assert str(state_dir(proj) / "exact") not in log.split("testing commit")[-1].split("\n", 1)[1]
    assert runs(proj)[-1] == (1, ["tests/test_a.py"])
    assert (proj.path / "pkg/a.py").read_text() == GOOD_A


def test_edits_during_a_background_run_do_not_change_its_result(proj, tmp_path):
    started, hold = tmp_path / "STARTED", tmp_path / "HOLD"
    hold.write_text("")
    install(proj)
    proj.write("tests/test_hold.py",
               "import os, time\nfrom pkg.a import value\n\n\ndef test_hold():\n"
               f"    open({str(started)!r}, 'w').close()\n"
               f"    while os.path.exists({str(hold)!r}):\n        time.sleep(0.05)\n"
               "    import importlib, pkg.b\n    importlib.reload(pkg.b)\n"
               "    assert pkg.b.B == 2\n")
    c = proj.commit("a held test")
    wait_for(started.exists, "the run to reach its test")
    proj.write("pkg/b.py", "B = 'edited while the run goes on'\n")
    hold.unlink()
    st = wait_done(proj, c)
    assert st["exit_code"] == 0, (state_dir(proj) / "post-commit.log").read_text()


# --- pre-merge-commit -----------------------------------------------------------

def test_pre_merge_commit_tests_the_merge_result_not_local_edits(proj):
    install(proj, "--pre-merge-commit")
    proj.git("checkout", "-q", "-b", "good")
    proj.write("pkg/b.py", "B = 2\nREVIEWED = True\n")
    proj.commit("good b")
    proj.git("checkout", "-q", "-b", "bad", "good")
    proj.write("pkg/b.py", "B = 3\n")
    proj.commit("bad b")
    proj.git("checkout", "-q", "main")
    proj.write("README.md", "# moves on\n")
    proj.commit("main moves on")

    # An unrelated local edit that breaks test_b: the merge itself is fine.
    proj.write("tests/test_b.py", "from pkg.b import B\n\n\ndef test_b():\n    assert B == 99\n")
    before = user_state(proj)
    r = sh(proj, "merge", "--no-ff", "-m", "merge good", "good")
    assert r.returncode == 0, err(r)
    assert "the staged tree in a private checkout" in err(r)
    assert runs(proj)[-1] == (0, ["tests/test_b.py"])
    after = user_state(proj)
    assert after["files"]["tests/test_b.py"] == before["files"]["tests/test_b.py"]

    # The reverse: the merge breaks test_b, a local edit would hide it.
    proj.write("tests/test_b.py", "from pkg.b import B\n\n\ndef test_b():\n    assert B in (2, 3)\n")
    r = sh(proj, "merge", "--no-ff", "-m", "merge bad", "bad")
    assert r.returncode != 0
    assert "merge not committed" in err(r)
    assert runs(proj)[-1] == (1, ["tests/test_b.py"])
    proj.git("merge", "--abort")


# --- the command line ---------------------------------------------------------

def test_exact_runs_the_commit_and_the_staged_tree(proj):
    proj.write("pkg/a.py", BAD_A)
    proj.commit("break a")
    proj.write("pkg/a.py", GOOD_A)  # fixed in the work tree only
    r = proj.impact("HEAD~1..HEAD")  # manual: the work tree, edits and all
    assert r.returncode == 0, err(r)
    assert where(proj)[-1] == str(proj.path)
    before = user_state(proj)
    r = proj.impact("--exact", "HEAD~1..HEAD")
    assert r.returncode == 1, err(r)
    assert "tested commit" in err(r) and "in a private checkout" in err(r)
    assert where(proj)[-1] != str(proj.path)
    assert user_state(proj) == before

    # No range: the staged tree, what the next commit would hold.
    proj.git("add", "pkg/a.py")
    proj.write("pkg/a.py", BAD_A)
    before = user_state(proj)
    r = proj.impact("--exact")
    assert r.returncode == 0, err(r)
    assert "tested the staged tree in a private checkout" in err(r)
    assert user_state(proj) == before
    proj.git("checkout", "--", "pkg/a.py")


def test_gate_is_exact_unless_no_exact(proj):
    proj.write("pkg/a.py", BAD_A)
    proj.commit("break a")
    proj.write("pkg/a.py", GOOD_A)  # a CI step modified the file
    r = proj.impact("--gate", "HEAD~1..HEAD")
    assert r.returncode == 1, err(r)
    assert "in a private checkout" in err(r)
    r = proj.impact("--gate", "--no-exact", "HEAD~1..HEAD")
    assert r.returncode == 0, err(r)
    assert "private checkout" not in err(r)
    r = proj.impact("--exact", "--no-exact")
    assert r.returncode == 2 and "contradict" in err(r)


def test_exact_false_keeps_the_work_tree_and_says_so(proj, tmp_path):
    remote(proj, tmp_path)
    proj.write(".impact.toml", "exact = false\n")
    proj.commit("not exact")
    proj.git("push", "-q", "origin", "main")
    install(proj, "--pre-push")
    proj.write("pkg/a.py", BAD_A)
    proj.commit("break a")
    proj.write("pkg/a.py", GOOD_A)
    r = sh(proj, "push", "origin", "main")
    assert r.returncode == 0, err(r)
    assert "exact = false (.impact.toml:1): testing the work tree" in err(r)
    assert where(proj)[-1] == str(proj.path)
    # A branch not checked out cannot be tested then: said, as before.
    proj.git("checkout", "-q", "-b", "other")
    proj.write("pkg/b.py", "B = 5\n")
    proj.commit("other b")
    proj.git("checkout", "-q", "main")
    r = sh(proj, "push", "origin", "other")
    assert r.returncode == 0, err(r)
    assert "is not checked out here" in err(r)


# --- what the tree lacks ----------------------------------------------------------

def test_exact_copy_brings_untracked_files_in(proj):
    proj.write(".gitignore", "local_settings.py\n")
    proj.write("tests/test_settings.py",
               "def test_settings():\n    import local_settings\n    assert local_settings.OK\n")
    proj.commit("settings test")
    proj.write("local_settings.py", "OK = True\n")
    r = proj.impact("--exact", "HEAD~1..HEAD")
    assert r.returncode != 0
    assert "'local_settings.py' is in your work tree but not in the tree tested" in err(r)
    assert 'exact-copy = ["local_settings.py"]' in err(r)

    proj.write(".impact.toml", 'exact-copy = ["local_settings.py", "no_such_file.env"]\n')
    proj.commit("copy the settings")
    before = user_state(proj)
    r = proj.impact("--exact", "HEAD~2..HEAD")
    assert r.returncode == 0, err(r)
    assert "'no_such_file.env' is not in the work tree" in err(r)
    # Removed again after the run.
    assert not (state_dir(proj) / "exact" / "tree" / "local_settings.py").exists()
    assert user_state(proj) == before


def test_an_editable_install_of_the_work_tree_does_not_shadow_the_checkout(proj):
    # A venv at the work tree root (impact's choice) whose site-packages
    # puts the main work tree on sys.path, as an editable install does.
    venv = proj.path / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True)
    site = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True).stdout.decode().strip()
    with open(os.path.join(site, "__editable__.pkg.pth"), "w") as f:
        f.write(str(proj.path) + "\n")
    proj.write(".gitignore", ".venv/\n")
    proj.commit("ignore the venv")
    proj.write("pkg/a.py", BAD_A)
    proj.commit("break a")
    proj.write("pkg/a.py", GOOD_A)
    env = {"IMPACT_PYTHON": ""}
    r = proj.impact("--exact", "HEAD~1..HEAD", env=env)
    assert "the work tree's .venv" in err(r) or ".venv/bin/python" in err(r), err(r)
    assert r.returncode == 1, err(r)


def test_a_same_size_edit_is_not_hidden_by_byte_code(proj):
    # Byte code is trusted on the source's size and mtime in seconds.
    env = {"PYTHONDONTWRITEBYTECODE": ""}
    proj.write("pkg/a.py", GOOD_A)
    proj.write("tests/test_a.py", "from pkg.a import value\n\n\ndef test_a():\n"
                                  "    assert value() == 1\n# touched\n")
    proj.commit("touch a's test")
    assert proj.impact("--exact", "HEAD~1..HEAD", env=env).returncode == 0
    proj.write("pkg/a.py", BAD_A)
    proj.commit("break a, same size")
    r = proj.impact("--exact", "HEAD~1..HEAD", env=env)
    assert r.returncode == 1, err(r)


def test_hook_runs_leave_the_users_repository_byte_identical(proj, tmp_path):
    remote(proj, tmp_path)
    install(proj, "--post-commit", "--pre-push", "--pre-merge-commit")
    proj.write("scratch.txt", "untracked, kept\n")
    proj.write("pkg/b.py", "B = 2  # local edit\n")
    proj.write("pkg/a.py", BAD_A)
    proj.git("add", "pkg/a.py")
    proj.git("commit", "-q", "-m", "break a")
    c = head(proj)
    wait_done(proj, c)
    before = user_state(proj)
    r = sh(proj, "push", "origin", "main")
    assert r.returncode != 0
    assert user_state(proj) == before
    s = proj.impact("status")
    assert s.returncode == 0
    assert user_state(proj) == before


@pytest.mark.parametrize("stop", ["interrupt", "timeout"])
def test_copied_files_are_removed_after_ctrl_c_and_timeouts(proj, tmp_path, stop):
    started, hold = tmp_path / "STARTED", tmp_path / "HOLD"
    hold.write_text("")
    proj.write(".gitignore", "local_settings.py\n")
    proj.write(".impact.toml", 'exact-copy = ["local_settings.py"]\n')
    proj.write("tests/test_hold.py",
               "import os, time\n\n\ndef test_hold():\n    import local_settings\n"
               f"    open({str(started)!r}, 'w').close()\n"
               f"    while os.path.exists({str(hold)!r}):\n        time.sleep(0.05)\n")
    proj.commit("a held test")
    proj.write("local_settings.py", "OK = True\n")
    copied = state_dir(proj) / "exact" / "tree" / "local_settings.py"
    argv = proj.impact_argv("--exact", "--no-preflight", "HEAD~1..HEAD")
    if stop == "timeout":
        argv[1:1] = ["--timeout", "2", "--grace", "1"]
    p = subprocess.Popen(argv, cwd=proj.path, env=proj.env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        wait_for(started.exists, "the test to start")
        assert copied.exists()
        if stop == "interrupt":
            p.send_signal(2)
        _, e = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
        hold.unlink()
    assert p.returncode == (130 if stop == "interrupt" else 4), e.decode()
    assert not copied.exists()
    assert (proj.path / "local_settings.py").read_text() == "OK = True\n"
