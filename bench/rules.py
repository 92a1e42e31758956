#!/usr/bin/env python3
"""What a large rule set costs: `impact --list` with 1k, 10k and 100k rules.

    rules.py IMPACT [DIR]

Builds a small project (50 modules, 50 test files) in DIR (default
$IMPACT_BENCH_DIR/rules or /tmp/impact-bench/rules), writes an
.impact.toml of N [[rule]] tables (two globs each, one test), commits it,
changes one module in the work tree and times `impact --list
--no-records`: wall time, peak RSS and the time per rule. Reading and
matching rules must stay near-linear in their number (a quadratic step
once made 100k rules take minutes and gigabytes). IMPACT_BENCH_RULES picks
the sizes (comma-separated), IMPACT_BENCH_RUNS the repetitions (median).
"""
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SIZES = [int(x) for x in os.environ.get("IMPACT_BENCH_RULES", "1000,10000,100000").split(",")]
RUNS = int(os.environ.get("IMPACT_BENCH_RUNS", "3"))


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def main():
    impact = sys.argv[1]
    base = Path(sys.argv[2] if len(sys.argv) > 2 else
                os.path.join(os.environ.get("IMPACT_BENCH_DIR", "/tmp/impact-bench"), "rules"))
    if base.exists():
        shutil.rmtree(base)
    (base / "pkg").mkdir(parents=True)
    (base / "tests").mkdir()
    (base / "pkg" / "__init__.py").write_text("")
    for i in range(1, 51):
        (base / "pkg" / ("m%d.py" % i)).write_text("def f():\n    return %d\n" % i)
        (base / "tests" / ("test_m%d.py" % i)).write_text(
            "from pkg.m%d import f\n\n\ndef test_f():\n    assert f() == %d\n" % (i, i))
    git(base, "init", "-q")
    git(base, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "--allow-empty", "-m", "root")
    print("%8s %10s %10s %12s %10s" % ("rules", "wall ms", "per rule", "peak RSS MB", "config MB"))
    for n in SIZES:
        with open(base / ".impact.toml", "w") as f:
            for i in range(n):
                f.write('[[rule]]\npaths = ["docs/sec%d/**/*.txt", "data/x%d_*.json"]\n'
                        'tests = ["tests/test_m%d.py"]\n\n' % (i, i, i % 50 + 1))
        git(base, "add", "-A")
        git(base, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "rules %d" % n)
        mod = base / "pkg" / "m1.py"
        text = mod.read_text()
        mod.write_text(text + "\nX = 1\n")
        walls, rss = [], []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            p = subprocess.Popen([impact, "--list", "--no-records"], cwd=base,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(p.pid, 0)
            walls.append((time.perf_counter() - t0) * 1000)
            rss.append(usage.ru_maxrss / 1024)
            if os.waitstatus_to_exitcode(status) != 0:
                print("%8d impact failed: %s" % (n, p.stderr.read().decode(errors="replace")[-300:]))
                break
            p.stderr.close()
        mod.write_text(text)
        w = statistics.median(walls)
        size = (base / ".impact.toml").stat().st_size / 1e6
        print("%8d %10.0f %10.3f %12.1f %10.1f" % (n, w, w / n, max(rss), size))


if __name__ == "__main__":
    main()
