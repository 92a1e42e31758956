#!/usr/bin/env python3
"""impact's recorded selection side by side with pytest-testmon's.

    peer.py IMPACT_BINARY

For each real project in IMPACT_BENCH_PROJECTS (colon-separated git
repositories; each is cloned at HEAD into a scratch folder, the original is
never touched), measures two things for both tools on the same suite, with
the interpreter running this script (it must have pytest and coverage, e.g.
Debian's python3 with python3-coverage):

1. Recording overhead: the median wall time (IMPACT_BENCH_RUNS runs, default
   3, alternating) of a plain `python -m pytest`, of testmon's recording run
   (`pytest -p testmon.pytest_testmon --testmon` from an empty .testmondata)
   and of impact's (`impact --all -q --no-preflight` after `impact records
   clear`; the pre-flight collection is not recording), and their ratios to
   the plain run; on the "static" row, `impact --all -q --no-preflight
   --no-record` (what impact's own run costs, recording aside). Each run
   has the clone's root and src/ on PYTHONPATH.
2. A mutation audit, the same mutants for both tools: `impact audit --mutate
   N --records --json` (IMPACT_BENCH_MUTANTS, default 6, seed
   IMPACT_BENCH_SEED, default 0) gives impact's figures with records, the
   modules it drew, the mutant commits (every function body raises) and the
   test files that really fail under each. For testmon, a recording run on
   the unmutated tree makes .testmondata, kept aside; per mutant the module
   is checked out from impact's mutant commit, the kept .testmondata is put
   back, `pytest --testmon` runs in selection mode, and the test files it
   ran (from its JUnit XML) are its selection.

It prints one table: per project and tool the mutants audited, the modules
with a missed failing test file, the precision (failing / selected test
files, summed over the mutants), the selected share (selected / all test
files) and the recording overhead. A project where a tool fails is reported
as "<tool> failed: <why>" and the rest goes on.

Environment: IMPACT_BENCH_PROJECTS (required), IMPACT_TESTMON (a
pytest-testmon source checkout, required; put it outside this repository),
IMPACT_BENCH_MUTANTS (6), IMPACT_BENCH_SEED (0), IMPACT_BENCH_RUNS (3),
IMPACT_BENCH_DIR (scratch folder, default /tmp/impact-bench; the clones are
in its peer/ and kept).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE.parent / "share" / "impact"
PY = sys.executable
RUNS = int(os.environ.get("IMPACT_BENCH_RUNS", "3"))
MUTANTS = int(os.environ.get("IMPACT_BENCH_MUTANTS", "6"))
SEED = os.environ.get("IMPACT_BENCH_SEED", "0")
TIMEOUT = 1800


class Failed(Exception):
    """A tool did not give a usable result on a project (the message says why)."""


def tail(r):
    text = (r.stdout or b"").decode(errors="replace") + (r.stderr or b"").decode(errors="replace")
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1][:160] if lines else "exit %d, no output" % r.returncode


def env_for(root, testmon=None):
    env = dict(os.environ)
    for k in ("PYTEST_ADDOPTS", "IMPACT_RECORD", "IMPACT_RECORD_ROOT", "IMPACT_EVENTS",
              "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV"):
        env.pop(k, None)
    path = [str(root)]
    if (root / "src").is_dir():
        path.append(str(root / "src"))
    if testmon:
        path.append(str(testmon))
    env.update(PYTHONPATH=os.pathsep.join(path), IMPACT_PYTHON=PY,
               IMPACT_DATA_DIR=str(DATA_DIR), NO_COLOR="1")
    return env


def run(argv, root, env):
    t0 = time.monotonic()
    try:
        r = subprocess.run(argv, cwd=str(root), env=env, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failed("%s timed out after %d s" % (argv[0], TIMEOUT))
    return r, time.monotonic() - t0


def pytest_argv(junit, *extra):
    if junit.exists():
        junit.unlink()  # a run that writes none must not be read as the last one
    return [PY, "-m", "pytest", "-q", "--tb=short", "-p", "no:randomly",
            "-o", "junit_family=xunit1", "--junitxml", str(junit)] + list(extra)


def files_ran(junit, test_files):
    """The test files with at least one reported test case in a JUnit XML."""
    try:
        tree = ET.parse(str(junit))
    except (OSError, ET.ParseError) as e:
        raise Failed("no readable JUnit XML (%s)" % e)
    dotted = sorted(((f[:-3].replace("/", "."), f) for f in test_files), key=lambda p: -len(p[0]))
    out = set()
    for case in tree.iter("testcase"):
        f = case.get("file")
        if f and f.endswith(".py"):
            out.add(f)
            continue
        # collection errors carry no file: the classname/name is dotted
        name = ".".join(x for x in (case.get("classname"), case.get("name")) if x)
        for d, path in dotted:
            if name == d or name.startswith(d + "."):
                out.add(path)
                break
    return out


def clone(src, dest):
    if dest.exists():
        shutil.rmtree(dest)
    r = subprocess.run(["git", "clone", "-q", str(src), str(dest)], capture_output=True)
    if r.returncode != 0:
        raise Failed("git clone failed: " + tail(r))


def testmon_reset(root):
    for p in root.glob(".testmondata*"):
        p.unlink()


def overhead(impact, root, testmon, junit):
    """Median wall times: plain, testmon recording, impact recording."""
    plain, tm, im, st = [], [], [], []
    tm_err = im_err = None
    env = env_for(root)
    tenv = env_for(root, testmon)
    # warm-up: a plain run (file cache, bytecode) that also lists the test files
    r, _ = run(pytest_argv(junit), root, env)
    if r.returncode not in (0, 1):
        raise Failed("the plain suite does not run: " + tail(r))
    for _ in range(RUNS):
        r, dt = run(pytest_argv(junit), root, env)
        plain.append(dt)
        if tm_err is None:
            testmon_reset(root)
            r, dt = run(pytest_argv(junit, "-p", "testmon.pytest_testmon", "--testmon"), root, tenv)
            if r.returncode in (0, 1) and list(root.glob(".testmondata")):
                tm.append(dt)
            else:
                tm_err = "recording run: " + tail(r)
        if im_err is None:
            run([impact, "records", "clear"], root, env)
            r, dt = run([impact, "--all", "-q", "--no-preflight"], root, env)
            if r.returncode in (0, 1):
                im.append(dt)
            else:
                im_err = "recording run: " + tail(r)
            # the same run without recording: what impact itself adds
            r, dt = run([impact, "--all", "-q", "--no-preflight", "--no-record"], root, env)
            if r.returncode in (0, 1):
                st.append(dt)
    return statistics.median(plain), (tm, tm_err), (im, im_err), st


def impact_audit(impact, root):
    r, _ = run([impact, "audit", "--mutate", str(MUTANTS), "--records", "--seed", SEED,
                "--json"], root, env_for(root))
    try:
        doc = json.loads(r.stdout.decode())
    except ValueError:
        raise Failed("audit exit %d: %s" % (r.returncode, tail(r)))
    mods = [m for m in doc.get("modules", []) if not m.get("skipped")]
    if not mods:
        raise Failed("audit drew no module (exit %d): %s" % (r.returncode, tail(r)))
    return doc, mods


def testmon_audit(root, testmon, mods, test_files, junit):
    env = env_for(root, testmon)
    testmon_reset(root)
    r, _ = run(pytest_argv(junit, "-p", "testmon.pytest_testmon", "--testmon"), root, env)
    if r.returncode not in (0, 1) or not (root / ".testmondata").exists():
        raise Failed("recording run: " + tail(r))
    kept = root / ".." / (root.name + ".testmondata")
    shutil.copyfile(root / ".testmondata", kept)
    out = []
    try:
        for m in mods:
            path = m["path"]
            g = subprocess.run(["git", "checkout", m["mutant_commit"], "--", path],
                               cwd=str(root), capture_output=True)
            if g.returncode != 0:
                raise Failed("cannot check out the mutant of %s: %s" % (path, tail(g)))
            try:
                testmon_reset(root)
                shutil.copyfile(kept, root / ".testmondata")
                # as the audit's own runs: a module that breaks some test
                # files' collection must not stop the run before testmon selects
                r, _ = run(pytest_argv(junit, "-p", "testmon.pytest_testmon", "--testmon",
                                       "--continue-on-collection-errors"), root, env)
                if r.returncode == 5:  # nothing selected
                    sel = set()
                elif r.returncode in (0, 1, 2):
                    sel = files_ran(junit, test_files)
                else:
                    raise Failed("selection run for %s: %s" % (path, tail(r)))
            finally:
                subprocess.run(["git", "checkout", "HEAD", "--", path], cwd=str(root),
                               capture_output=True)
            out.append(sel)
    finally:
        testmon_reset(root)
    return out


def figures(mods, selections, n_tests):
    failing = sum(len(m["failing"]) for m in mods)
    selected = sum(len(s) for s in selections)
    hit = sum(len(set(m["failing"]) & s) for m, s in zip(mods, selections))
    missed = sum(1 for m, s in zip(mods, selections) if set(m["failing"]) - s)
    prec = hit / selected if selected else (1.0 if failing == 0 else 0.0)
    share = selected / (n_tests * len(mods)) if n_tests and mods else 0.0
    return missed, prec, share


def bench(impact, project, testmon, base):
    root = base / Path(project).name
    junit = base / (root.name + "-junit.xml")
    rows = []
    clone(project, root)
    plain, (tm, tm_err), (im, im_err), st = overhead(impact, root, testmon, junit)
    doc, mods = impact_audit(impact, root)
    n_tests = doc.get("test_files") or 0
    failing = sum(len(m["failing"]) for m in mods)
    fshare = failing / (n_tests * len(mods)) if n_tests else 0.0
    # Every mutant counts, as for testmon (figures): the audit's own totals
    # leave out the mutants that break nothing.
    im_missed, im_prec, im_share = figures(
        mods, [set(m.get("selected_files") or []) for m in mods], n_tests)
    rows.append((root.name, "impact", len(mods), im_missed, im_prec, im_share,
                 (statistics.median(im) / plain) if im else None, im_err))
    st_selected = sum(m.get("static_selected", 0) for m in mods)
    st_hit = sum(len(m["failing"]) - m.get("static_missed", 0) for m in mods)
    rows.append((root.name, "static", len(mods), sum(1 for m in mods if m.get("static_missed")),
                 st_hit / st_selected if st_selected else (1.0 if failing == 0 else 0.0),
                 st_selected / (n_tests * len(mods)) if n_tests else 0.0,
                 (statistics.median(st) / plain) if st else None, None))
    test_files = set()
    for m in mods:
        test_files |= set(m["failing"]) | set(m.get("selected_files") or [])
    r = subprocess.run(["git", "ls-files", "-z"], cwd=str(root), capture_output=True)
    test_files |= {f for f in r.stdout.decode(errors="replace").split("\0")
                   if f.endswith(".py") and os.path.basename(f).startswith("test")}
    try:
        if tm_err:
            raise Failed(tm_err)
        sels = testmon_audit(root, testmon, mods, test_files, junit)
        missed, prec, share = figures(mods, sels, n_tests)
        for m, sel in zip(mods, sels):
            lost = sorted(set(m["failing"]) - sel)
            print("  %s: %s: %d failing, testmon ran %d, impact %d%s"
                  % (root.name, m["path"], len(m["failing"]), len(sel),
                     len(m.get("selected_files") or []),
                     "; testmon missed " + " ".join(lost) if lost else ""), flush=True)
        rows.append((root.name, "testmon", len(mods), missed, prec, share,
                     statistics.median(tm) / plain, None))
    except Failed as e:
        rows.append((root.name, "testmon", len(mods), None, None, None,
                     (statistics.median(tm) / plain) if tm else None, "testmon failed: %s" % e))
    return rows, plain, fshare


def fmt(v, f):
    return "-" if v is None else f % v


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: peer.py IMPACT_BINARY")
    impact = os.path.abspath(sys.argv[1])
    projects = [p for p in os.environ.get("IMPACT_BENCH_PROJECTS", "").split(":") if p]
    testmon = os.environ.get("IMPACT_TESTMON", "")
    if not projects or not testmon:
        sys.exit("peer.py: set IMPACT_BENCH_PROJECTS (colon-separated git repositories of real "
                 "projects) and IMPACT_TESTMON (a pytest-testmon source checkout, e.g. "
                 "git clone https://github.com/tarpas/pytest-testmon)")
    testmon = os.path.abspath(testmon)
    if not (Path(testmon) / "testmon" / "pytest_testmon.py").is_file():
        sys.exit("peer.py: %s is not a pytest-testmon checkout (no testmon/pytest_testmon.py)"
                 % testmon)
    r = subprocess.run([PY, "-c", "import pytest, coverage"], capture_output=True)
    if r.returncode != 0:
        sys.exit("peer.py: %s cannot import pytest and coverage (Debian: apt-get install "
                 "python3-pytest python3-coverage)" % PY)
    base = Path(os.environ.get("IMPACT_BENCH_DIR", "/tmp/impact-bench")) / "peer"
    base.mkdir(parents=True, exist_ok=True)
    print("%d mutants per project (seed %s), %d timed runs each, %s"
          % (MUTANTS, SEED, RUNS, PY), flush=True)
    head = "%-12s %-8s %7s %6s %9s %6s %9s" % ("project", "tool", "modules", "missed",
                                              "precision", "share", "overhead")
    lines = []
    for project in projects:
        name = Path(project).name
        try:
            rows, plain, fshare = bench(impact, project, testmon, base)
        except (Failed, OSError, KeyError, ValueError) as e:
            lines.append("%-12s failed: %s" % (name, e))
            print(lines[-1], flush=True)
            continue
        for p, tool, n, missed, prec, share, ratio, err in rows:
            line = "%-12s %-8s %7d %6s %9s %6s %9s" % (
                p, tool, n, fmt(missed, "%d"), fmt(prec, "%.2f"), fmt(share, "%.2f"),
                fmt(ratio, "%.2fx"))
            if err:
                line += "  " + err
            lines.append(line)
        lines.append("%-12s %-8s plain run %.2f s; failing share %.2f"
                     % (name, "", plain, fshare))
        print("\n".join(lines[-4:]), flush=True)
    print()
    print(head)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
