"""End-to-end harness: real git repositories, the real impact binary, real pytest.

Each test builds a repository in a temporary directory with the git
command-line tool, makes real commits, and runs impact ($IMPACT_BIN) on it.
impact is pointed at the interpreter running this suite (IMPACT_PYTHON),
which has pytest, so results never depend on which python3 is first on PATH.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

IMPACT_BIN = os.environ.get("IMPACT_BIN") or shutil.which("impact")


def _git_env(home):
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="Test Author",
        GIT_AUTHOR_EMAIL="author@example.invalid",
        GIT_COMMITTER_NAME="Test Committer",
        GIT_COMMITTER_EMAIL="committer@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        HOME=str(home),
        IMPACT_PYTHON=sys.executable,
        NO_COLOR="1",
        PYTHONDONTWRITEBYTECODE="1",
        # The shipped rule sets of this source tree, not an installed copy.
        IMPACT_RULES_DIR=str(Path(__file__).resolve().parents[2] / "rules"),
    )
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    env.pop("VIRTUAL_ENV", None)
    return env


# Options after which a selection (--list / --explain) must not depend on
# the cache: every such run of every scenario is repeated with --no-cache.
_SELECTING = {"--list", "--explain"}
_NOT_PURE = {"--run", "--no-cache", "--last-failed", "--gate"}


def _check_cache_agrees(args, cwd, env, r):
    """The parse cache and the cached module graphs never change an answer."""
    words = [a for a in args if isinstance(a, str)]
    if not (_SELECTING & set(words)) or (_NOT_PURE & set(words)) or "--" in words:
        return
    if words and not words[0].startswith("-") and words[0] in {"audit", "cache", "demo", "hook",
                                                               "hooks", "rules", "status"}:
        return
    lead = list(args[:2]) if words[:1] == ["-C"] else []  # -C comes first
    u = subprocess.run([IMPACT_BIN, *lead, "--no-cache", *args[len(lead):]], cwd=cwd, env=env,
                       capture_output=True, timeout=300)
    assert (u.returncode, u.stdout) == (r.returncode, r.stdout), (
        "impact %s: the cached answer differs from --no-cache:\n%s\n---\n%s" % (
            " ".join(words), r.stdout.decode(errors="replace"), u.stdout.decode(errors="replace")))


class Repo:
    """A real git repository holding a small Python project."""

    def __init__(self, path, env):
        self.path = Path(path)
        self.env = env
        self.git("init", "-q", "-b", "main")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args, check=True, input=None):
        r = subprocess.run(["git", *args], cwd=self.path, env=self.env,
                           capture_output=True, input=input)
        if check and r.returncode != 0:
            raise AssertionError(f"git {' '.join(map(str, args))} failed:\n"
                                 f"{r.stderr.decode(errors='replace')}")
        return r.stdout.decode(errors="surrogateescape")

    def write(self, rel, content=""):
        p = self.path / os.fsdecode(rel) if isinstance(rel, bytes) else self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
        return p

    def write_many(self, files):
        for rel, content in files.items():
            self.write(rel, content)

    def remove(self, rel):
        (self.path / rel).unlink()

    def rename(self, old, new):
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", old, new)

    def commit(self, message="change", add=True):
        if add:
            self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def impact_argv(self, *args):
        return [IMPACT_BIN, *args]

    def impact(self, *args, cwd=None, env=None):
        e = dict(self.env)
        if env:
            e.update(env)
        r = subprocess.run([IMPACT_BIN, *args], cwd=cwd or self.path, env=e,
                           capture_output=True, timeout=300)
        _check_cache_agrees(args, cwd or self.path, e, r)
        return r

    def listing(self, *args):
        """impact --list: the selected test files, asserting success."""
        r = self.impact("--list", *args)
        assert r.returncode == 0, (r.returncode, r.stderr.decode(errors="replace"))
        return [l for l in r.stdout.decode(errors="surrogateescape").split("\n") if l]

    def state(self):
        """Bytes of the index, HEAD and every ref: what impact must never change."""
        gitdir = self.path / ".git"
        out = {}
        for p in [gitdir / "index", gitdir / "HEAD", gitdir / "packed-refs"]:
            out[p.name] = p.read_bytes() if p.exists() else None
        for p in sorted((gitdir / "refs").rglob("*")):
            if p.is_file():
                out[str(p.relative_to(gitdir))] = p.read_bytes()
        return out


@pytest.fixture
def repo(tmp_path):
    assert IMPACT_BIN and os.path.exists(IMPACT_BIN), "set IMPACT_BIN to the built impact"
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    return Repo(work, _git_env(home))


@pytest.fixture
def make_repo(tmp_path):
    """For tests needing several repositories."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    n = [0]

    def make(name=None):
        n[0] += 1
        d = tmp_path / (name or f"repo{n[0]}")
        d.mkdir()
        return Repo(d, _git_env(home))
    return make


@pytest.fixture
def rrepo(repo):
    """A repo whose impact finds its recorder in this source tree's share/impact."""
    repo.env["IMPACT_DATA_DIR"] = str(Path(__file__).resolve().parents[2] / "share" / "impact")
    return repo
