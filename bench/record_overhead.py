#!/usr/bin/env python3
"""What recording costs: plain pytest against pytest with impact's recorder.

    record_overhead.py [DIR]

Generates a call-heavy suite in DIR (default $IMPACT_BENCH_DIR/record, or
/tmp/impact-bench/record): MODULES modules of FUNCS small functions that
call each other, TESTS test files of 10 tests, each test making about
CALLS Python calls. Then, for each interpreter found (Debian's python3,
pyenv's 3.12 and 3.13 with Debian's pytest on PYTHONPATH), runs the suite
plainly (`-p impact_pytest_plugin`, no IMPACT_RECORD) and recorded
(IMPACT_RECORD set), RUNS times each alternately, and prints the median
wall and CPU times (user + system of the pytest process) and their ratios;
then what the children's start-up hook costs a `python -c pass`. The
recorder's C tracer (below 3.12) or sys.monitoring callback (3.12+: mon/C)
from the build (IMPACT_RECORD_CTRACE_DIR, set by the bench-record target to
the build's) and its pure-Python one (IMPACT_RECORD_TRACER=python:
setprofile, mon/py) each get a row. Environment: IMPACT_BENCH_RUNS (5),
IMPACT_BENCH_CALLS (20000), IMPACT_BENCH_TESTS (30 files).
"""
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGIN_DIR = HERE.parent / "share" / "impact" / "python"
DIST = "/usr/lib/python3/dist-packages"
RUNS = int(os.environ.get("IMPACT_BENCH_RUNS", "5"))
CALLS = int(os.environ.get("IMPACT_BENCH_CALLS", "20000"))
TESTS = int(os.environ.get("IMPACT_BENCH_TESTS", "30"))
MODULES, FUNCS = 20, 20


def generate(root):
    if root.exists():
        shutil.rmtree(root)
    (root / "lib").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "lib" / "__init__.py").write_text("")
    for m in range(MODULES):
        src = ["import functools\n"]
        for f in range(FUNCS):
            nxt = "f%d(x - 1)" % ((f + 1) % FUNCS)
            src.append("def f%d(x):\n    if x <= 0:\n        return %d\n    return %s + 1\n\n"
                       % (f, f, nxt))
        src.append("class Shape:\n    def __init__(self, n):\n        self.n = n\n"
                   "    def area(self):\n        return self.n * helper(self.n)\n\n"
                   "def helper(n):\n    return (lambda k: k + 1)(n)\n\n"
                   "@functools.lru_cache(maxsize=None)\ndef table(n):\n"
                   "    return [f0(i % 5) for i in range(n)]\n")
        (root / "lib" / ("m%d.py" % m)).write_text("".join(src))
    reps = max(1, CALLS // 30)
    for t in range(TESTS):
        mods = [(t + k) % MODULES for k in range(3)]
        src = ["import pytest\n"]
        src += ["from lib import m%d\n" % m for m in mods]
        src.append("\n@pytest.fixture(scope='module')\ndef shapes():\n"
                   "    return [m%d.Shape(i) for i in range(50)]\n" % mods[0])
        for k in range(10):
            m = mods[k % 3]
            src.append("\ndef test_%d(shapes):\n    total = 0\n    for i in range(%d):\n"
                       "        total += m%d.f%d(8) + shapes[i %% 50].area()\n"
                       "    total += len(m%d.table(10))\n    assert total > 0\n"
                       % (k, reps, m, k % FUNCS, m))
        (root / "tests" / ("test_t%d.py" % t)).write_text("".join(src))


def interpreters():
    out = [("python3 (Debian)", "/usr/bin/python3")]
    pyenv = Path.home() / ".pyenv" / "versions"
    for v in ("3.12", "3.13"):
        found = sorted(pyenv.glob(v + ".*/bin/python")) if pyenv.is_dir() else []
        if found:
            out.append((found[-1].parent.parent.name, str(found[-1])))
    usable = []
    for name, py in out:
        r = subprocess.run([py, "-c", "import pytest"], capture_output=True,
                           env=dict(os.environ, PYTHONPATH=DIST))
        if r.returncode == 0:
            usable.append((name, py))
        else:
            print("%-18s skipped: no pytest" % name)
    return usable


def run(py, root, sink, extra=None):
    """One pytest run: (wall, cpu, tracer named by the record's header)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PLUGIN_DIR), DIST]),
               PYTHONDONTWRITEBYTECODE="1")
    for k in ("IMPACT_EVENTS", "IMPACT_RECORD", "IMPACT_RECORD_ROOT", "PYTEST_ADDOPTS",
              "IMPACT_RECORD_TRACER"):
        env.pop(k, None)
    env.update(extra or {})
    if sink:
        for f in os.listdir(sink):
            os.unlink(os.path.join(sink, f))
        env.update(IMPACT_RECORD=sink, IMPACT_RECORD_ROOT=str(root))
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
                        "impact_pytest_plugin", "-W", "ignore::DeprecationWarning", "tests"],
                       cwd=str(root), env=env, capture_output=True)
    dt = time.monotonic() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    if r.returncode != 0:
        sys.exit("pytest failed:\n" + r.stdout.decode()[-3000:] + r.stderr.decode()[-3000:])
    tracer = None
    if sink:
        heads = [f for f in os.listdir(sink) if f.startswith("tests-")]
        if not heads:
            sys.exit("the recorded run left no record in " + sink)
        with open(os.path.join(sink, heads[0])) as f:
            head = json.loads(f.readline())
        tracer = head.get("tracer")
        if tracer == "monitoring":  # its callback: C (impact_cmon.c) or Python
            tracer = "mon/C" if head.get("ctrace") is None else "mon/py"
    return dt, cpu, tracer


def hook_cost(py, sink):
    """`python -c pass`: plain, with the child hook on PYTHONPATH but recording
    off, and with the hook recording (what a child that runs no project code pays)."""
    child = str(PLUGIN_DIR / "impact_child")
    base = dict(os.environ)
    for k in ("IMPACT_RECORD", "IMPACT_RECORD_ROOT", "IMPACT_RECORD_CHILDREN", "PYTHONPATH",
              "PYTHONDONTWRITEBYTECODE"):
        base.pop(k, None)
    # bytecode cached, as an installed copy has it (compiling impact_record.py
    # where no __pycache__ can be written costs about 20 ms more per child)
    envs = [("plain", base),
            ("hook, off", dict(base, PYTHONPATH=child)),
            ("hook, recording", dict(base, PYTHONPATH=child, IMPACT_RECORD=sink,
                                     IMPACT_RECORD_ROOT=sink, IMPACT_RECORD_CHILDREN="1"))]
    out = []
    for name, env in envs:
        times = []
        for _ in range(max(10, RUNS * 4)):
            t0 = time.monotonic()
            subprocess.run([py, "-c", "pass"], env=env, check=True)
            times.append(time.monotonic() - t0)
        out.append((name, statistics.median(times) * 1000))
    return out


def main():
    base = Path(sys.argv[1] if len(sys.argv) > 1 else
                os.path.join(os.environ.get("IMPACT_BENCH_DIR", "/tmp/impact-bench"), "record"))
    root = base / "suite"
    generate(root)
    sink = tempfile.mkdtemp(prefix="impact-record-")
    try:
        print("call-heavy suite: %d test files x 10 tests, ~%d calls per test, %d runs each"
              % (TESTS, CALLS, RUNS))
        print("%-18s %-10s %9s %9s %6s   %9s %9s %6s"
              % ("interpreter", "tracer", "wall", "recorded", "ratio", "cpu", "recorded",
                 "ratio"))
        costs = []
        for name, py in interpreters():
            run(py, root, None)  # warm the file cache
            # the C tracer (below 3.12) or callback (3.12+), when built, and
            # the pure-Python one
            modes = [{}]
            if run(py, root, sink)[2] in ("ctrace", "mon/C"):
                modes.append({"IMPACT_RECORD_TRACER": "python"})
            plain, rec = [], [[] for _ in modes]
            for _ in range(RUNS):
                plain.append(run(py, root, None))
                for m, extra in enumerate(modes):
                    rec[m].append(run(py, root, sink, extra))
            p = statistics.median(x[0] for x in plain)
            pc = statistics.median(x[1] for x in plain)
            for m in range(len(modes)):
                q = statistics.median(x[0] for x in rec[m])
                qc = statistics.median(x[1] for x in rec[m])
                print("%-18s %-10s %8.3fs %8.3fs %5.2fx   %8.3fs %8.3fs %5.2fx"
                      % (name, rec[m][0][2], p, q, q / p, pc, qc, qc / pc))
            costs.append((name, hook_cost(py, sink)))
        print("\n`python -c pass`, median ms (the start-up hook of recorded children)")
        for name, row in costs:
            print("%-18s " % name + "   ".join("%s %.1f" % (k, v) for k, v in row))
    finally:
        shutil.rmtree(sink, ignore_errors=True)


if __name__ == "__main__":
    main()
