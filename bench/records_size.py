#!/usr/bin/env python3
"""How big the records of a 5,000-test suite are (the issue's bound: 20 MB).

    records_size.py IMPACT [DIR]

Generates, in DIR (default $IMPACT_BENCH_DIR/records, else
/tmp/impact-bench/records; rebuilt each time), a git repository with a
suite shaped like a large real one: MODULES (200) modules in 10 packages
of FUNCS (25) functions and a class of 5 methods each (some functions call
others, across modules); TEST_FILES (500) test files of 10 tests each
(5,000 tests), each test calling 20 to 200 distinct functions, mostly
from the 3 to 5 modules its file is about and a few from anywhere; three
shared fixtures in tests/conftest.py (session, module and function scope)
that call 10 to 30 functions each. Then runs the whole suite plainly
(`pytest -q`, once to cache bytecode, once timed), through `impact --all
--no-record` (twice: the first fills impact's parse cache), and through `impact --all` (which records it, with
IMPACT_DATA_DIR at this source tree's share/impact so the recorder comes
from here, and the build's C tracer where there is one), and prints their
wall and CPU times (the machine may be shared: CPU is the steadier
figure), the size of records.db and `impact records stats`. Exit status 1
when the store is over the bound.

Recording's cost is split in two phases: pytest with the recorder alone
(`-p impact_pytest_plugin` and a sink, as impact runs it; the sink's size
is printed) against plain pytest, and what is left of `impact --all` over
`impact --all --no-record` once that is taken out: impact's ingest of
the sink into records.db.

Environment: IMPACT_PYTHON (default /usr/bin/python3, which has pytest;
for pyenv's 3.12/3.13 set PYTHONPATH=/usr/lib/python3/dist-packages too),
IMPACT_BENCH_TESTS (test files, 500), IMPACT_BENCH_SEED (1),
IMPACT_BENCH_RUNS (1: each timed command runs that many times, in turn,
and the median is printed). Standard library only.
"""
import os
import random
import resource
import statistics
import tempfile
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE.parent / "share" / "impact"
PACKAGES, MODULES, FUNCS, METHODS = 10, 200, 25, 5
TEST_FILES = int(os.environ.get("IMPACT_BENCH_TESTS", "500"))
TESTS_PER_FILE = 10
BOUND = 20 * 1024 * 1024


def mod_name(m):
    return "app.p%d.m%d" % (m % PACKAGES, m)


def generate(root, rnd):
    if root.exists():
        shutil.rmtree(root)
    (root / "app").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "app" / "__init__.py").write_text("")
    for p in range(PACKAGES):
        (root / "app" / ("p%d" % p)).mkdir()
        (root / "app" / ("p%d" % p) / "__init__.py").write_text("")
    for m in range(MODULES):
        # a function may call one function of a module with a lower number
        # (no import cycles), or a sibling
        deps = sorted(rnd.sample(range(m), min(m, 3))) if m else []
        src = ["import %s\n" % mod_name(d) for d in deps]
        src.append("\n\nclass Model%d:\n    def __init__(self, n):\n        self.n = n\n" % m)
        for k in range(METHODS):
            src.append("\n    def op%d(self, x):\n        return self.n + x * %d\n" % (k, k + 1))
        for f in range(FUNCS):
            body = "    y = x + %d\n" % f
            r = rnd.random()
            if deps and r < 0.25:
                d = rnd.choice(deps)
                body += "    y += %s.f%d(x)\n" % (mod_name(d), rnd.randrange(FUNCS))
            elif r < 0.45 and f:
                body += "    y += f%d(x)\n" % rnd.randrange(f)
            src.append("\n\ndef f%d(x):\n    \"\"\"f%d of module %d.\"\"\"\n%s    return y\n"
                       % (f, f, m, body))
        (root / "app" / ("p%d" % (m % PACKAGES)) / ("m%d.py" % m)).write_text("".join(src))

    def calls(n, focus):
        out = set()
        while len(out) < n:
            m = rnd.choice(focus) if rnd.random() < 0.85 else rnd.randrange(MODULES)
            if rnd.random() < 0.15:
                out.add((m, "Model%d(1).op%d" % (m, rnd.randrange(METHODS))))
            else:
                out.add((m, "f%d" % rnd.randrange(FUNCS)))
        return sorted(out)

    def call_lines(pairs, indent):
        mods = {}
        for m, what in pairs:
            mods.setdefault(m, []).append(what)
        lines = []
        for m, whats in sorted(mods.items()):
            alias = "m%d" % m
            for w in whats:
                if w.startswith("Model"):
                    lines.append("%stotal += %s.%s(1)\n" % (indent, alias, w))
                else:
                    lines.append("%stotal += %s.%s(1)\n" % (indent, alias, w))
        return lines, sorted(mods)

    conf = ["import pytest\n"]
    fixtures = [("db", "session"), ("config", "module"), ("client", "function")]
    fx_mods = set()
    fx_src = []
    for name, scope in fixtures:
        pairs = calls(rnd.randint(10, 30), list(range(MODULES)))
        lines, mods = call_lines(pairs, "    ")
        fx_mods.update(mods)
        fx_src.append("\n\n@pytest.fixture(scope=%r)\ndef %s():\n    total = 0\n%s    return total\n"
                      % (scope, name, "".join(lines)))
    conf += ["import %s as m%d\n" % (mod_name(m), m) for m in sorted(fx_mods)]
    (root / "tests" / "conftest.py").write_text("".join(conf + fx_src))

    for t in range(TEST_FILES):
        focus = rnd.sample(range(MODULES), rnd.randint(3, 5))
        tests, used = [], set()
        for k in range(TESTS_PER_FILE):
            pairs = calls(rnd.randint(20, 200), focus)
            lines, mods = call_lines(pairs, "    ")
            used.update(mods)
            fx = [f[0] for f in fixtures if rnd.random() < 0.3]
            tests.append("\n\ndef test_%d(%s):\n    total = 0\n%s    assert total\n"
                         % (k, ", ".join(fx), "".join(lines)))
        head = ["import %s as m%d\n" % (mod_name(m), m) for m in sorted(used)]
        (root / "tests" / ("test_t%03d.py" % t)).write_text("".join(head + tests))
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    (root / ".gitignore").write_text("__pycache__/\n")


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: records_size.py IMPACT [DIR]")
    impact = os.path.abspath(sys.argv[1])
    base = Path(sys.argv[2] if len(sys.argv) > 2 else
                os.path.join(os.environ.get("IMPACT_BENCH_DIR", "/tmp/impact-bench"), "records"))
    root = base / "suite"
    python = os.environ.get("IMPACT_PYTHON", "/usr/bin/python3")
    rnd = random.Random(int(os.environ.get("IMPACT_BENCH_SEED", "1")))
    generate(root, rnd)
    env = dict(os.environ, IMPACT_PYTHON=python, IMPACT_DATA_DIR=str(DATA_DIR),
               GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")
    for k in ("IMPACT_RECORD", "IMPACT_RECORD_ROOT", "PYTEST_ADDOPTS", "PYTHONDONTWRITEBYTECODE"):
        env.pop(k, None)

    def run(*argv):
        """(wall s, cpu s of the command and its children, stdout)"""
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        r = subprocess.run(list(argv), cwd=str(root), env=env, capture_output=True)
        dt = time.monotonic() - t0
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
        if r.returncode != 0:
            sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), r.returncode,
                                                 r.stdout.decode()[-3000:],
                                                 r.stderr.decode()[-3000:]))
        return dt, cpu, r.stdout.decode()

    run("git", "init", "-q", "-b", "main")
    run("git", "add", "-A")
    run("git", "commit", "-qm", "suite")
    ntests = TEST_FILES * TESTS_PER_FILE
    print("generated: %d modules, %d test files, %d tests (seed %s) in %s"
          % (MODULES, TEST_FILES, ntests, os.environ.get("IMPACT_BENCH_SEED", "1"), root))
    # bytecode cached, as in a project that has run its tests before
    run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    plain = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    run(impact, "--all", "-q", "--no-record")   # impact's parse cache, as after any run
    sink = tempfile.mkdtemp(prefix="impact-bench-sink-")
    ctrace = os.path.join(os.path.dirname(impact), "share", "impact", "python")
    rec_env = {"PYTHONPATH": os.pathsep.join([str(DATA_DIR / "python")] +
                                             ([env["PYTHONPATH"]] if env.get("PYTHONPATH")
                                              else [])),
               "IMPACT_RECORD": sink, "IMPACT_RECORD_ROOT": str(root),
               "IMPACT_RECORD_CTRACE_DIR": ctrace}
    sink_bytes = [0]

    def recorder():
        """pytest with impact's plugin and recorder, as impact runs it."""
        for f in os.listdir(sink):
            os.unlink(os.path.join(sink, f))
        saved = dict(env)
        env.update(rec_env)
        try:
            r = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "-p", "impact_pytest_plugin")
        finally:
            env.clear()
            env.update(saved)
        sink_bytes[0] = sum(os.path.getsize(os.path.join(sink, f)) for f in os.listdir(sink))
        return r

    runs = max(1, int(os.environ.get("IMPACT_BENCH_RUNS", "1")))
    got = {k: [] for k in ("plain", "recorder", "bare", "rec")}
    for n in range(runs):
        if n:
            got["plain"].append(run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider"))
        else:
            got["plain"].append(plain)
        got["recorder"].append(recorder())
        got["bare"].append(run(impact, "--all", "-q", "--no-record"))
        got["rec"].append(run(impact, "--all", "-q"))
    shutil.rmtree(sink, ignore_errors=True)
    med = {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v))
           for k, v in got.items()}
    plain, bare, rec, recd = med["plain"], med["bare"], med["rec"], med["recorder"]
    print("%-34s %8s %8s   (median of %d)" % ("", "wall", "cpu", runs))
    for name, r in (("plain pytest", plain), ("pytest + recorder (no impact)", recd),
                    ("impact --all --no-record", bare), ("impact --all (recording)", rec)):
        print("%-34s %7.1fs %7.1fs   %.2fx cpu" % (name, r[0], r[1], r[1] / plain[1]))
    print("phases of recording, cpu: the recorder in pytest +%.1fs (sink %.1f MB), "
          "impact's ingest +%.1fs"
          % (recd[1] - plain[1], sink_bytes[0] / 1e6, (rec[1] - bare[1]) - (recd[1] - plain[1])))
    db = root / ".git" / "impact" / "records.db"
    size = db.stat().st_size if db.exists() else 0
    stats = run(impact, "records", "stats")[2]
    print("records.db:    %.2f MB (bound %d MB)" % (size / 1e6 * 1.0, BOUND // (1024 * 1024)))
    print(stats.rstrip())
    if not size:
        sys.exit("no records.db was written")
    if size > BOUND:
        sys.exit("records.db is over the bound")


if __name__ == "__main__":
    main()
