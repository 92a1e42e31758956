#!/usr/bin/env python3
"""Static against recorded selection on real projects, by mutation audit.

    records_audit.py IMPACT

For each project directory in $IMPACT_BENCH_PROJECTS (colon-separated git
work trees of real projects with their own suites, cloned to a scratch
folder: the audit never touches them, it works in temporary checkouts),
runs `impact audit --mutate N --records --json` (whole modules made to
raise) and the same with `--functions` (one function or method each), and
prints one row per project and mode: mutants audited, the share of test
files that really fail, then the selected share, precision and misses of
static selection (--no-records) and of selection with records. The issue
asks, with records: no miss, precision >= 0.85, selected share at most
1.25x the failing share.

IMPACT_DATA_DIR points at this source tree's share/impact (the recorder
comes from here). Environment: IMPACT_BENCH_MUTANTS (N, default 10),
IMPACT_BENCH_SEED (0), IMPACT_PYTHON (the projects' interpreter, default
impact's own choice). Exit status 1 when a recorded selection missed a
failing test file. Standard library only.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE.parent / "share" / "impact"


def fmt(x, pct=False):
    if x is None:
        return "-"
    return "%.0f%%" % (100 * x) if pct else "%.2f" % x


def audit(impact, project, n, seed, functions):
    argv = [impact, "-C", project, "audit", "--mutate", str(n), "--seed", str(seed),
            "--records", "--json", "-q"]
    if functions:
        argv.append("--functions")
    env = dict(os.environ, IMPACT_DATA_DIR=str(DATA_DIR))
    t0 = time.monotonic()
    r = subprocess.run(argv, env=env, capture_output=True)
    dt = time.monotonic() - t0
    try:
        rep = json.loads(r.stdout.decode())
    except ValueError:
        return None, dt, "exit %d: %s" % (r.returncode, r.stderr.decode(errors="replace")
                                          .strip().splitlines()[-1:] or "")
    return rep, dt, None


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: records_audit.py IMPACT")
    impact = os.path.abspath(sys.argv[1])
    projects = [p for p in os.environ.get("IMPACT_BENCH_PROJECTS", "").split(":") if p]
    if not projects:
        sys.exit("records_audit.py: set IMPACT_BENCH_PROJECTS to project folders (git work "
                 "trees with their own pytest suites, in a scratch folder), colon-separated")
    n = int(os.environ.get("IMPACT_BENCH_MUTANTS", "10"))
    seed = int(os.environ.get("IMPACT_BENCH_SEED", "0"))
    head = ("%-16s %-9s %7s %8s   %7s %6s %6s   %7s %6s %6s %7s"
            % ("project", "mode", "mutants", "failing", "static", "prec", "missed",
               "records", "prec", "missed", "time"))
    print("mutation audit, %d mutants per mode, seed %d; shares of test files" % (n, seed))
    print(head)
    missed = False
    for project in projects:
        name = os.path.basename(project.rstrip("/"))
        for mode, functions in (("modules", False), ("functions", True)):
            rep, dt, err = audit(impact, project, n, seed, functions)
            if rep is None:
                print("%-16s %-9s %s" % (name, mode, err))
                continue
            t = rep["totals"]
            st = t.get("static") or {}
            missed = missed or bool(t["missed"])
            print("%-16s %-9s %7d %8s   %7s %6s %6d   %7s %6s %6d %6.0fs"
                  % (name, mode, t["audited"], fmt(t["failing_share"], True),
                     fmt(st.get("selected_share"), True), fmt(st.get("precision")),
                     st.get("missed", 0), fmt(t["selected_share"], True),
                     fmt(t["precision"]), t["missed"], dt))
            sys.stdout.flush()
    if missed:
        sys.exit("a selection with records missed a failing test file")


if __name__ == "__main__":
    main()
