#!/usr/bin/env python3
"""Preparing the private checkout of an exact-tree run, at several sizes.

    exact.py EXACT_PREPARE GEN

For each size (IMPACT_BENCH_EXACT_SIZES, default 1000,10000 files) a
synthetic project from gen.py (about one file per module: sources, tests
and package __init__ files) is committed, then a commit changing one
module on top. exact_prepare checks the base out in the repository's
private checkout (the first run: every file written) and then moves it
between the two commits (what each later hook run pays). Repositories are
kept in $IMPACT_BENCH_DIR (default /tmp/impact-bench); their private
checkout is removed first so the first run is a first run.
"""
import os
import shutil
import subprocess
import sys

PREP, GEN = (os.path.abspath(a) for a in sys.argv[1:3])
SIZES = [int(s) for s in os.environ.get("IMPACT_BENCH_EXACT_SIZES", "1000,10000").split(",") if s]
ROOT = os.environ.get("IMPACT_BENCH_DIR", "/tmp/impact-bench")
ENV = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@example.invalid",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@example.invalid")


def git(repo, *args):
    return subprocess.run(["git", *args], cwd=repo, env=ENV, check=True,
                          capture_output=True).stdout.decode().strip()


def build(files):
    repo = os.path.join(ROOT, f"exact-{files}")
    if not os.path.exists(os.path.join(repo, ".git", "bench-done")):
        shutil.rmtree(repo, ignore_errors=True)
        os.makedirs(repo)
        # gen.py writes ~1.5 files per module (tests, __init__ files).
        subprocess.run([sys.executable, GEN, repo, str(int(files / 1.5))], check=True)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "base")
        mod = sorted(p for p in git(repo, "ls-files", "*.py").split("\n")
                     if "/m" in p and "test" not in p)[0]
        with open(os.path.join(repo, mod), "a") as f:
            f.write("\n\ndef bench_changed():\n    return 1\n")
        git(repo, "commit", "-q", "-am", "one module")
        open(os.path.join(repo, ".git", "bench-done"), "w").close()
    shutil.rmtree(os.path.join(repo, ".git", "impact", "exact"), ignore_errors=True)
    return repo


def main():
    print("files    tracked  preparation (first run; then per move: median, max)")
    for files in SIZES:
        repo = build(files)
        tracked = len(git(repo, "ls-files").split("\n"))
        r = subprocess.run([PREP, repo, "HEAD~1", "HEAD", "9"], capture_output=True, env=ENV)
        line = r.stdout.decode().strip() or r.stderr.decode().strip()
        print(f"{files:<8} {tracked:<8} {line}", flush=True)


if __name__ == "__main__":
    main()
