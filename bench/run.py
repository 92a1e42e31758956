#!/usr/bin/env python3
"""impact's benchmark: prints one row per corpus, medians over several runs.

    run.py IMPACT PARSE_FLOOR GEN

Corpora: synthetic projects from gen.py (IMPACT_BENCH_SIZES, default
1000,10000,50000 modules) and, when present, every Python file Debian's
packages install under /usr/lib/python3/dist-packages committed as one
"monorepo" (install a few large ones first for a meaningful corpus:
apt-get install python3-django python3-sympy python3-twisted).

Figures (milliseconds unless said): `git diff --name-only` of the change
(the floor for reading a change); impact cold (cache cleared); warm, the
post-commit case: the cache holds what a run on the parent commit left
(its blobs' facts and its tree's module graph) and the new commit changes
one module, so impact patches the parent's graph; same tree: the very
range again (the graph of the new tree is cached); the parse-only floor
(tree-sitter parse of every Python file on one thread); `pytest
--collect-only -q` where tests collect; impact's peak RSS over all runs.
Repositories are built once and kept in $IMPACT_BENCH_DIR (default
/tmp/impact-bench).
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

IMPACT, FLOOR, GEN = (os.path.abspath(a) for a in sys.argv[1:4])
RUNS = int(os.environ.get("IMPACT_BENCH_RUNS", "5"))
SIZES = [int(s) for s in os.environ.get("IMPACT_BENCH_SIZES", "1000,10000,50000").split(",") if s]
ROOT = os.environ.get("IMPACT_BENCH_DIR", "/tmp/impact-bench")
DIST = "/usr/lib/python3/dist-packages"
ENV = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@example.invalid",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@example.invalid",
           PYTHONDONTWRITEBYTECODE="1")


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, env=ENV, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(argv, cwd):
    """Run argv; return (milliseconds, peak RSS in MiB, exit code)."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    ms = (time.perf_counter() - t) * 1000
    return ms, ru.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def change_one_file(repo):
    """Commit a one-line change to a module in the middle of the tree."""
    pys = sorted(p for p in py_files(repo) if "/tests/" not in p and not p.endswith("__init__.py"))
    victim = pys[len(pys) // 2]
    with open(victim, "a") as f:
        f.write("\n# bench change\n")
    git(repo, "commit", "-qam", "change one module")


def py_files(repo):
    out = []
    for d, dirs, files in os.walk(repo):
        dirs[:] = [x for x in dirs if x != ".git"]
        out += [os.path.join(d, f) for f in files if f.endswith(".py")]
    return out


def build_synthetic(n):
    repo = os.path.join(ROOT, f"synth-{n}")
    if not os.path.exists(os.path.join(repo, ".git")):
        shutil.rmtree(repo, ignore_errors=True)
        subprocess.run([sys.executable, GEN, repo, str(n)], check=True)
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "base")
        change_one_file(repo)
    return repo


def build_debian():
    if not os.path.isdir(DIST):
        return None
    repo = os.path.join(ROOT, "debian-dist-packages")
    if not os.path.exists(os.path.join(repo, ".git")):
        shutil.rmtree(repo, ignore_errors=True)
        os.makedirs(repo)
        for d, dirs, files in os.walk(DIST):
            for f in files:
                if f.endswith(".py"):
                    src = os.path.join(d, f)
                    dst = os.path.join(repo, os.path.relpath(src, DIST))
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    shutil.copyfile(src, dst)
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "base")
        change_one_file(repo)
    return repo


def collect_ms(repo):
    ms, _, code = timed([sys.executable, "-m", "pytest", "--collect-only", "-q",
                         "-p", "no:cacheprovider"], repo)
    if code != 0:
        sys.exit(f"bench: pytest --collect-only failed in {repo} (exit {code}); "
                 f"{sys.executable} needs pytest (apt-get install python3-pytest)")
    return ms


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def measure(name, repo, collect):
    files = py_files(repo)
    runs = RUNS if len(files) < 20000 else max(1, RUNS // 2)
    diff = [timed(["git", "diff", "--name-only", "HEAD~1", "HEAD"], repo)[0] for _ in range(runs)]
    # The new tree's graph, as the cache keeps it (see analyzer/graph/cache.c).
    head_graph = os.path.join(repo, ".git", "impact", "graphs", subprocess.run(
        ["git", "rev-parse", "HEAD^{tree}"], cwd=repo, capture_output=True, text=True,
        check=True).stdout.strip())
    cold, warm, same, rss = [], [], [], 0.0

    def impact(*args):
        ms, mb, code = timed([IMPACT, *args], repo)
        if code != 0:
            sys.exit(f"bench: impact {' '.join(args)} failed on {name} (exit {code})")
        return ms, mb

    for _ in range(runs):
        subprocess.run([IMPACT, "-C", repo, "cache", "clear"], env=ENV,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ms, mb = impact("--list", "HEAD~1..")
        cold.append(ms)
        rss = max(rss, mb)
        ms, mb = impact("--list", "HEAD~1..")
        same.append(ms)
        rss = max(rss, mb)
    # Post-commit: the parent was analysed (its commit against its own parent), not HEAD.
    subprocess.run([IMPACT, "-C", repo, "cache", "clear"], env=ENV,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    impact("--list", "HEAD~1")
    for _ in range(runs):
        if os.path.exists(head_graph):
            os.unlink(head_graph)
        ms, mb = impact("--list", "HEAD~1..")
        warm.append(ms)
        rss = max(rss, mb)
    p = subprocess.run([FLOOR], input=b"\0".join(f.encode() for f in files),
                       capture_output=True, check=True)
    floor = float(p.stdout)
    coll = float("nan")
    if collect:
        coll = median([collect_ms(repo) for _ in range(1 if len(files) > 20000 else min(runs, 3))])
    return dict(name=name, files=len(files), diff=median(diff), cold=median(cold),
                warm=median(warm), same=median(same), floor=floor, collect=coll, rss=rss)


def main():
    os.makedirs(ROOT, exist_ok=True)
    rows = []
    for n in SIZES:
        rows.append(measure(f"synthetic {n}", build_synthetic(n), collect=True))
    deb = build_debian()
    if deb:
        rows.append(measure("debian dist-packages", deb, collect=False))
    hdr = ("corpus", "py files", "git diff", "cold", "warm", "same tree", "parse floor",
           "collect", "RSS MB", "warm/collect", "warm/diff", "cold/floor")
    print(f"impact benchmark: medians of {RUNS} runs, milliseconds; {os.cpu_count()} CPUs")
    print(" | ".join(hdr))
    for r in rows:
        print(" | ".join([
            r["name"], str(r["files"]), f"{r['diff']:.1f}", f"{r['cold']:.1f}", f"{r['warm']:.1f}",
            f"{r['same']:.1f}",
            f"{r['floor']:.1f}", f"{r['collect']:.0f}", f"{r['rss']:.1f}",
            f"{r['warm'] / r['collect']:.4f}" if r["collect"] == r["collect"] else "-",
            f"{r['warm'] / r['diff']:.1f}", f"{r['cold'] / r['floor']:.2f}"]))


if __name__ == "__main__":
    main()
