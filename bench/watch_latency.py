"""Save -> first test result in `impact watch`, and save -> step result.

A real repository, a real `impact watch --json`, real pytest. The project
costs something to import: a package `heavy` of IMPACT_WATCH_MODULES
modules (default 300) that also imports a chain of standard modules
(asyncio, email, http, xml, decimal, sqlite3, unittest.mock, ...), and
IMPACT_WATCH_TESTS test files (default 20) importing it. Each sample saves
a file (a plain write, as an editor does) while the loop waits, then times
the events: the first `test` event (first result) and the `result` of the
step. Two kinds of save:

- a test file: the interpreter prepared with the project's modules is
  still valid and runs the tests;
- heavy/core.py, a module it imported: it is stale, dropped, and the run
  falls back to the pytest-only interpreter prepared beside it.

Rows: no prepared interpreter (--no-prepare), pytest alone prepared
(--no-preimport), the project's modules prepared too (the default); each
with and without the pre-flight checks (which start interpreters of
their own).

    python3 bench/watch_latency.py build/impact
    IMPACT_WATCH_RUNS=5 IMPACT_WATCH_TESTS=20 IMPACT_WATCH_MODULES=300 IMPACT_WATCH_THINK=2 ...

Saves are IMPACT_WATCH_THINK seconds (default 2) after the loop began
waiting, as a person's would be: what is prepared is ready by then.

Not part of `meson test`: timings belong here, never in asserts.
"""
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


STDLIB_CHAIN = ("asyncio", "email.mime.multipart", "http.client", "xml.etree.ElementTree",
                "decimal", "sqlite3", "unittest.mock", "argparse", "logging.handlers",
                "concurrent.futures", "urllib.request", "csv", "difflib", "statistics")


def make_repo(root, ntests, nmodules):
    files = {"heavy/__init__.py": "".join(f"import {m}\n" for m in STDLIB_CHAIN)
             + "".join(f"from heavy import m{i}\n" for i in range(nmodules))
             + "from heavy.core import f\n",
             "heavy/core.py": "def f(x):\n    return x + 1\n"}
    for i in range(nmodules):
        files[f"heavy/m{i}.py"] = (f"import dataclasses\n\n\n@dataclasses.dataclass\nclass C{i}:\n"
                                   f"    a: int = {i}\n    b: str = 'x'\n\n\n"
                                   f"def g{i}(x):\n    return C{i}(x).a\n")
    for i in range(ntests):
        files[f"tests/test_t{i}.py"] = (f"from heavy import f\n\n\ndef test_{i}():\n"
                                        f"    assert f({i}) == {i} + 1\n")
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b",
               GIT_COMMITTER_EMAIL="b@b")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)


def sample(impact, root, extra, runs, what, think):
    env = dict(os.environ, IMPACT_PYTHON=os.environ.get("IMPACT_PYTHON", sys.executable),
               NO_COLOR="1")
    p = subprocess.Popen([impact, "watch", "--json", "--no-notify", *extra], cwd=root, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    q = queue.Queue()
    threading.Thread(target=lambda: [q.put(json.loads(l)) for l in p.stdout], daemon=True).start()

    def until(name):
        while True:
            ev = q.get(timeout=300)
            if ev["event"] == name:
                return ev

    first, step, used = [], [], []
    try:
        until("wait")
        for k in range(runs):
            time.sleep(think)  # a person between saves: what is prepared is ready by then
            t = time.monotonic()
            if what == "test":
                (root / "tests" / "test_t0.py").write_text(
                    f"from heavy import f\n\n\ndef test_0():\n    assert f(0) == 1  # {k}\n")
            else:
                (root / "heavy" / "core.py").write_text(f"def f(x):\n    return x + 1  # {k}\n")
            until("test")
            first.append(time.monotonic() - t)
            used.append(until("result").get("prepared_with"))
            step.append(time.monotonic() - t)
            until("wait")
    finally:
        p.send_signal(2)
        p.wait(timeout=60)
    return first, step, used


def main():
    impact = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "impact"
    runs = int(os.environ.get("IMPACT_WATCH_RUNS", "5"))
    ntests = int(os.environ.get("IMPACT_WATCH_TESTS", "20"))
    nmodules = int(os.environ.get("IMPACT_WATCH_MODULES", "300"))
    think = float(os.environ.get("IMPACT_WATCH_THINK", "2"))
    print(f"impact watch: save -> first test result / -> step result, {ntests} test files, "
          f"a package of {nmodules} modules, median of {runs} saves {think:g} s apart")
    modes = (("none (--no-prepare)", ["--no-prepare"]),
             ("pytest only (--no-preimport)", ["--no-preimport"]),
             ("project modules (default)", []))
    for preflight in ([], ["--no-preflight"]):
        for what in ("test", "module"):
            print(f"saving {'a test file' if what == 'test' else 'heavy/core.py (imported)'}"
                  f"{' , --no-preflight' if preflight else ', pre-flight on'}:")
            for label, extra in modes:
                with tempfile.TemporaryDirectory() as d:
                    root = Path(d)
                    make_repo(root, ntests, nmodules)
                    first, step, used = sample(impact, root, extra + preflight, runs, what,
                                               think)
                print(f"  {label:30} first result {statistics.median(first) * 1000:7.0f} ms   "
                      f"step result {statistics.median(step) * 1000:7.0f} ms   "
                      f"ran by {max(set(used), key=used.count)}")


if __name__ == "__main__":
    main()
