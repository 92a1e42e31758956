"""Save -> first test result in `impact watch`, and save -> step result.

A real repository (a package and IMPACT_WATCH_TESTS test files importing
it), a real `impact watch --json`, real pytest. Each sample saves the
package's module (a plain write, as an editor does) while the loop waits,
then times the events: the first `test` event (first result) and the
`result` of the step. Rows: with and without the prepared interpreter
(--no-prepare: the run starts its interpreter at the save), with and
without the pre-flight checks (which start interpreters of their own).

    python3 bench/watch_latency.py build/impact
    IMPACT_WATCH_RUNS=5 IMPACT_WATCH_TESTS=20 ...

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


def make_repo(root, ntests):
    files = {"lib/__init__.py": "", "lib/core.py": "def f(x):\n    return x + 1\n"}
    for i in range(ntests):
        files[f"tests/test_t{i}.py"] = (f"from lib.core import f\n\n\ndef test_{i}():\n"
                                        f"    assert f({i}) == {i} + 1\n")
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b",
               GIT_COMMITTER_EMAIL="b@b")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)


def sample(impact, root, extra, runs):
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

    first, step = [], []
    try:
        until("wait")
        for k in range(runs):
            t = time.monotonic()
            (root / "lib" / "core.py").write_text(f"def f(x):\n    return x + 1  # {k}\n")
            until("test")
            first.append(time.monotonic() - t)
            until("result")
            step.append(time.monotonic() - t)
            until("wait")
    finally:
        p.send_signal(2)
        p.wait(timeout=60)
    return first, step


def main():
    impact = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "impact"
    runs = int(os.environ.get("IMPACT_WATCH_RUNS", "5"))
    ntests = int(os.environ.get("IMPACT_WATCH_TESTS", "20"))
    print(f"impact watch: save -> first test result / -> step result, {ntests} test files, "
          f"median of {runs} saves")
    modes = (("default", []), ("--no-prepare", ["--no-prepare"]),
             ("--no-preflight", ["--no-preflight"]),
             ("--no-preflight --no-prepare", ["--no-preflight", "--no-prepare"]))
    for label, extra in modes:
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            make_repo(root, ntests)
            first, step = sample(impact, root, extra, runs)
        print(f"  {label:28} first result {statistics.median(first) * 1000:7.0f} ms   "
              f"step result {statistics.median(step) * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
