#!/usr/bin/env python3
"""impact's benchmark: prints one row per corpus, medians over several runs.

    run.py IMPACT PARSE_FLOOR GEN

Corpora: synthetic projects from gen.py (IMPACT_BENCH_SIZES, default
1000,10000,50000 modules; "" for none); real libraries with their own test
suites, each a git repository named in IMPACT_BENCH_REAL
("name=/path/to/clone,name2=/path2": cloned into the scratch directory,
never touched where they are); and, when present, every Python file
Debian's packages install under /usr/lib/python3/dist-packages committed
as one "monorepo" (install a few large ones first for a meaningful corpus:
apt-get install python3-django python3-sympy python3-twisted python3-numpy
python3-pil; IMPACT_BENCH_DIST=0 skips it). Nothing is ever written into
impact's own repository.

The change measured is one commit on top of each corpus: a line added to
the body of the first top-level function of the module in the middle of
the non-test modules (a call-time change, what the precise walk is for;
a header over several lines counts when no module from the middle on has
a one-line one), or, when none has any, a top-level statement appended
(an import-time change; a comment would change nothing).

Figures (milliseconds unless said): `git diff --name-only` of the change
(the floor for reading a change); impact cold (cache cleared); warm, the
post-commit case: the cache holds what a run on the parent commit left
(its blobs' facts and its tree's module graph) and the new commit changes
one module, so impact patches the parent's graph; same tree: the very
range again (the graph of the new tree is cached); the parse-only floor
(tree-sitter parse of every Python file on one thread); `pytest
--collect-only -q` where tests collect; impact's peak RSS over all runs.
A second table gives, per corpus, the median of `--json`'s timings_ms
(diff, parse, graph, select) for the cold, warm and same-tree runs, the
CPU time (user + system) of the warm runs (on a shared machine the wall
clock counts the neighbours' work too), how many files impact reported it
could not parse, and whether the precise walk gave up ("whole modules
decided"). IMPACT_BENCH_JSON=<path> also writes every row as JSON.
A third table names, per corpus, the module the commit changed and how
impact classified it (the dist-packages corpus holds what this machine's
packages installed, so its middle module, and with it the warm figures,
differ from one machine to another). Repositories are built once and
kept in $IMPACT_BENCH_DIR (default /tmp/impact-bench).
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

IMPACT, FLOOR, GEN = (os.path.abspath(a) for a in sys.argv[1:4])
RUNS = int(os.environ.get("IMPACT_BENCH_RUNS", "5"))
SIZES = [int(s) for s in os.environ.get("IMPACT_BENCH_SIZES", "1000,10000,50000").split(",") if s]
REAL = [tuple(x.split("=", 1)) for x in os.environ.get("IMPACT_BENCH_REAL", "").split(",") if "=" in x]
ROOT = os.environ.get("IMPACT_BENCH_DIR", "/tmp/impact-bench")
DIST = "/usr/lib/python3/dist-packages"
ENV = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@example.invalid",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@example.invalid",
           PYTHONDONTWRITEBYTECODE="1")


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, env=ENV, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(argv, cwd, out=None):
    """Run argv; return (milliseconds, peak RSS in MiB, exit code, CPU seconds)."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, cwd=cwd, env=ENV, stdout=out or subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    ms = (time.perf_counter() - t) * 1000
    return ms, ru.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), ru.ru_utime + ru.ru_stime


DEF = re.compile(r"def \w+\(.*\):\s*$")


def body_line(path, wrapped=False):
    """The line index after the first one-line `def f(...):` with an indented body, or None.
    With `wrapped`, a header over several lines (`def f(\n    a: int,\n) -> str:`) counts too."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError):
        return None
    for i, line in enumerate(lines[:-1]):
        nxt = lines[i + 1]
        if DEF.match(line) and nxt.startswith("    ") and nxt.strip():
            return i + 1
        if wrapped and line.startswith(("def ", "async def ")) and line.rstrip().endswith("("):
            for j in range(i + 1, min(i + 40, len(lines) - 1)):
                if not lines[j].startswith((" ", "\t")):
                    if lines[j].startswith(")") and lines[j].rstrip().endswith(":"):
                        body = lines[j + 1]
                        if body.startswith("    ") and body.strip():
                            return j + 1
                    break
    return None


def change_one_file(repo):
    """Commit a one-module change in the middle of the tree (see the module doc)."""
    pys = sorted(p for p in py_files(repo)
                 if "/tests/" not in p and not p.endswith("__init__.py")
                 and not os.path.basename(p).startswith("test_"))
    victim, at = pys[len(pys) // 2], None
    # A one-line header from the middle on, else a wrapped one (click's
    # annotated signatures), else a top-level statement (import-time).
    for wrapped in (False, True):
        for p in pys[len(pys) // 2:]:
            at = body_line(p, wrapped)
            if at is not None:
                victim = p
                break
        if at is not None:
            break
    if at is None:
        with open(victim, "a") as f:
            f.write("\n_bench_change = None\n")
    else:
        with open(victim, encoding="utf-8") as f:
            lines = f.read().split("\n")
        indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
        lines.insert(at, indent + "_bench_change = None")
        with open(victim, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
    git(repo, "commit", "-qam", "change one module")
    return os.path.relpath(victim, repo)


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


def build_real(name, src):
    """A clone of the real library at `src`, with the one-module change committed."""
    repo = os.path.join(ROOT, f"real-{name}")
    if not os.path.exists(os.path.join(repo, ".git")):
        shutil.rmtree(repo, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", "--no-hardlinks", src, repo], env=ENV, check=True)
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


def collect_ms(repo, strict=True, cpu_out=None):
    ms, _, code, cpu = timed([sys.executable, "-m", "pytest", "--collect-only", "-q",
                              "-p", "no:cacheprovider"], repo)
    if cpu_out is not None:
        cpu_out.append(cpu * 1000)
    if code != 0 and strict:
        sys.exit(f"bench: pytest --collect-only failed in {repo} (exit {code}); "
                 f"{sys.executable} needs pytest (apt-get install python3-pytest)")
    return ms


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def measure(name, repo, collect, strict=True):
    files = py_files(repo)
    runs = RUNS if len(files) < 20000 else max(1, RUNS // 2)
    diff = [timed(["git", "diff", "--name-only", "HEAD~1", "HEAD"], repo)[0] for _ in range(runs)]
    # The new tree's graph, as the cache keeps it (see analyzer/graph/cache.c).
    head_graph = os.path.join(repo, ".git", "impact", "graphs", subprocess.run(
        ["git", "rev-parse", "HEAD^{tree}"], cwd=repo, capture_output=True, text=True,
        check=True).stdout.strip())
    cold, warm, same, rss = [], [], [], 0.0
    phases = {"cold": [], "warm": [], "same": []}
    cpu = {"cold": [], "warm": [], "same": []}
    notes = {"unparseable": 0, "gave_up": False, "selected": 0, "change": "?"}
    out_path = os.path.join(ROOT, "last.json")

    def impact(kind, *args):
        with open(out_path, "wb") as out:
            ms, mb, code, c = timed([IMPACT, "--json", *args], repo, out)
        if code != 0:
            sys.exit(f"bench: impact --json {' '.join(args)} failed on {name} (exit {code})")
        with open(out_path, encoding="utf-8") as f:
            d = json.load(f)
        phases[kind].append(d.get("timings_ms", {}))
        cpu[kind].append(c * 1000)
        warnings = [w if isinstance(w, str) else json.dumps(w) for w in d.get("warnings", [])]
        notes["unparseable"] = max(notes["unparseable"], sum("too large" in w for w in warnings))
        notes["gave_up"] = notes["gave_up"] or any("whole modules decided" in w for w in warnings)
        notes["selected"] = len(d.get("selected", []))
        notes["change"] = "; ".join(f"{c.get('path')} ({c.get('precise') or c.get('reason') or c.get('status')})"
                                    for c in d.get("changed", [])) or "?"
        return ms, mb

    for _ in range(runs):
        subprocess.run([IMPACT, "-C", repo, "cache", "clear"], env=ENV,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ms, mb = impact("cold", "HEAD~1..")
        cold.append(ms)
        rss = max(rss, mb)
        ms, mb = impact("same", "HEAD~1..")
        same.append(ms)
        rss = max(rss, mb)
    # Post-commit: the parent was analysed (its commit against its own parent), not HEAD.
    subprocess.run([IMPACT, "-C", repo, "cache", "clear"], env=ENV,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    timed([IMPACT, "--list", "HEAD~1"], repo)
    for _ in range(runs):
        if os.path.exists(head_graph):
            os.unlink(head_graph)
        ms, mb = impact("warm", "HEAD~1..")
        warm.append(ms)
        rss = max(rss, mb)
    t0 = os.times()
    p = subprocess.run([FLOOR], input=b"\0".join(f.encode() for f in files),
                       capture_output=True, check=True)
    t1 = os.times()
    floor = float(p.stdout)
    # The floor's CPU time, reading the files included (a small share).
    floor_cpu = (t1.children_user - t0.children_user + t1.children_system - t0.children_system) * 1000
    coll, coll_cpu = float("nan"), []
    if collect:
        coll = median([collect_ms(repo, strict, coll_cpu)
                       for _ in range(1 if len(files) > 20000 else min(runs, 3))])
    phase = {k: {ph: median([t.get(ph, 0.0) for t in v]) for ph in ("diff", "parse", "graph", "select", "total")}
             for k, v in phases.items()}
    return dict(name=name, files=len(files), diff=median(diff), cold=median(cold),
                warm=median(warm), same=median(same), floor=floor, collect=coll, rss=rss,
                phases=phase, cpu={k: median(v) for k, v in cpu.items()},
                floor_cpu=floor_cpu, collect_cpu=median(coll_cpu), **notes)


def main():
    os.makedirs(ROOT, exist_ok=True)
    rows = []
    for n in SIZES:
        rows.append(measure(f"synthetic {n}", build_synthetic(n), collect=True))
    for name, src in REAL:
        rows.append(measure(name, build_real(name, os.path.abspath(src)), collect=True, strict=False))
    deb = build_debian() if os.environ.get("IMPACT_BENCH_DIST", "1") != "0" else None
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
    print()
    print("per phase (--json timings_ms, medians): diff/parse/graph/select; CPU = user+system ms")
    print(" | ".join(("corpus", "cold", "warm", "same tree", "cold CPU", "warm CPU", "same CPU",
                      "floor CPU", "collect CPU", "warm/collect CPU", "cold/floor CPU",
                      "unparseable", "gave up", "selected")))
    for r in rows:
        ph = r["phases"]
        cell = lambda k: "/".join(f"{ph[k][x]:.1f}" for x in ("diff", "parse", "graph", "select"))
        print(" | ".join([r["name"], cell("cold"), cell("warm"), cell("same"),
                          f"{r['cpu']['cold']:.0f}", f"{r['cpu']['warm']:.0f}",
                          f"{r['cpu']['same']:.0f}", f"{r['floor_cpu']:.0f}",
                          f"{r['collect_cpu']:.0f}" if r["collect_cpu"] == r["collect_cpu"] else "-",
                          f"{r['cpu']['warm'] / r['collect_cpu']:.4f}"
                          if r["collect_cpu"] == r["collect_cpu"] else "-",
                          f"{r['cpu']['cold'] / r['floor_cpu']:.2f}", str(r["unparseable"]),
                          "yes" if r["gave_up"] else "no", str(r["selected"])]))
    # Which module each corpus's commit changed, and how impact classified it: a
    # call-time change walks, an import-time one may not, so the warm figures
    # of two machines compare only for the same change.
    print()
    print("the change measured: corpus | module (impact's classification)")
    for r in rows:
        print(f"{r['name']} | {r['change']}")
    if os.environ.get("IMPACT_BENCH_JSON"):
        with open(os.environ["IMPACT_BENCH_JSON"], "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
