#!/usr/bin/env python3
"""How far into the run does the first failure come? impact's run order, measured.

    order.py IMPACT [--scenarios K] [--seed S] [--runs N] [--min-files F] [--keep]

Builds a git repository holding a small shop-like Python project (83 modules
in 12 packages, layered imports between them: absolute, relative, module
attribute and function-level, popular modules used by many; 40 test files,
about 260 tests, parametrized and in classes, a few of them slow), then:

1. History: runs `impact --run` (default flags, so -x) on the root commit
   (everything, all green) and on seven commits: three break the pricing
   area (the fragile one, which scenarios break again), three fix them, and
   one touches the ERP client while its environment says the network is
   down, so its remote-sync test fails (flaky). history.sqlite then holds
   outcomes and durations, and the tip is green.
2. K scenarios (seeded): from the green tip, one commit breaks a function:
   it raises, raises above some input, or returns a wrong value (for some
   inputs), so some of the tests that reach it fail and others do not.
   Every third scenario breaks the pricing area again ("regress"), the
   others any other module ("fresh"); a change whose selection has fewer
   than --min-files test files (default 2) is skipped, since no order can
   matter there. A model of the generated code predicts every test's
   result, and the benchmark checks pytest agrees. Every run starts from
   the same history (history.sqlite is copied back). The selection runs in
   three orders: impact's default (history, then nearest), `--order=path`,
   and the default with an empty history (history.sqlite removed). Each
   runs once without -x (`--no-default-flags`) to see every test in run
   order, and --runs times (default 3) with the default flags (-x) to time
   how long impact takes to stop at the failure.

Positions come from the JUnit XML impact keeps (`--junitxml`), whose
<testcase> elements are in the order pytest ran them; the JSON's
`selected` gives the order of the files handed to pytest, and the
benchmark checks that the two agree, that the -x run stops exactly at that
first failure, and that the default order is the no-history order
re-sorted by the history as impact documents it (last run failed, then
failure count, stable). Figures per order:

  pos   1-based index of the first failing test among the tests run
  frac  pos / tests run
  t1    seconds of test time (JUnit, setup+call+teardown) up to and
        including the first failing test
  -x s  wall seconds of the whole `impact --run` with -x (analysis,
        pre-flight, pytest) until it stops at the failure

The interpreter is $IMPACT_PYTHON, else this script's own when it has
pytest, else /usr/bin/python3. The repository goes to $IMPACT_BENCH_DIR/order
(rebuilt each time) or a temporary folder removed at the end (--keep keeps
it). Standard library only.
"""
import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

MOD = 10007

# (package, layer, modules): a module imports only from lower layers
# (utils may also import earlier utils), so the graph is acyclic.
PACKAGES = [
    ("shop.utils", 0, ["dates", "strings", "retry", "validation", "iterators", "hashing",
                       "numbers", "slugs"]),
    ("shop.core", 1, ["config", "money", "ids", "clock", "errors", "text", "units", "cache",
                      "events"]),
    ("shop.models", 2, ["customer", "product", "order", "invoice", "cart", "address",
                        "inventory", "supplier", "review", "coupon", "category", "shipment"]),
    ("shop.pricing", 3, ["discounts", "tax", "shipping", "currency", "rules", "bundles",
                         "loyalty"]),
    ("shop.pricing.regions", 3, ["eu", "us", "uk", "apac"]),
    ("shop.io", 3, ["csv_export", "json_codec", "storage", "http_client", "queue", "mailer",
                    "pdf"]),
    ("shop.services", 4, ["checkout", "billing", "fulfilment", "notifications", "search",
                          "recommendations", "returns", "auth", "sessions", "subscriptions"]),
    ("shop.services.payments", 4, ["card", "paypal", "bank_transfer", "refunds", "fraud"]),
    ("shop.integrations", 5, ["erp", "crm", "warehouse", "marketplace", "analytics"]),
    ("shop.reports", 5, ["daily", "monthly", "tax_report", "stock", "sales"]),
    ("shop.api", 6, ["orders", "products", "customers", "admin", "webhooks", "health", "carts",
                     "payments_api"]),
    ("shop.cli", 6, ["main", "commands", "importer"]),
]
FRAGILE = ["discounts", "tax"]      # the area history sees break, and scenarios break again
FLAKY_SUBJECT = "erp"               # its test file holds the environment-dependent test
N_TEST_FILES = 40
FUNCS = ("total", "check", "label")


class Broken(Exception):
    pass


# ---------------------------------------------------------------- the project

class Module:
    def __init__(self, pkg, base, layer):
        self.pkg, self.base, self.layer = pkg, base, layer
        self.deps = []          # [(base, offset, style)] style: from|rel|attr|lazy
        self.a = self.b = 0
        self.check = (1, 0, 2)  # (c, d, e): (x*c + d) % e != 0
        self.label_dep = None

    @property
    def dotted(self):
        return f"{self.pkg}.{self.base}"

    @property
    def path(self):
        return os.path.join(*self.pkg.split("."), self.base + ".py")


class Project:
    """The plan of the project, and a model that predicts every test's result."""

    def __init__(self, seed):
        rnd = random.Random(seed)
        self.mods = {}
        order = []
        for pkg, layer, bases in PACKAGES:
            for base in bases:
                assert base not in self.mods
                m = Module(pkg, base, layer)
                self.mods[base] = m
                order.append(m)
        fanin = {m.base: 0 for m in order}
        for i, m in enumerate(order):
            lower = [o for o in order if o.layer < m.layer]
            if m.layer == 0:
                lower = order[:i]
            k = min(len(lower), rnd.choice([1, 2, 2, 3, 3, 4]))
            # Mostly the layer just below; popular modules get more popular
            # (money, config, pricing are used everywhere in a real shop).
            weights = [(3 if o.layer == m.layer - 1 else 1) * (1 + fanin[o.base])
                       * (4 if o.base in FRAGILE else 1) for o in lower]
            picked = []
            while len(picked) < k:
                o = rnd.choices(lower, weights)[0]
                if o not in picked:
                    picked.append(o)
            for j, o in enumerate(picked):
                fanin[o.base] += 1
                r = rnd.random()
                style = ("rel" if o.pkg == m.pkg and r < 0.6 else
                         "lazy" if r < 0.12 else "attr" if r < 0.35 else "from")
                # The first collaborator is always called, the others on some
                # inputs only: a broken function is reached by some tests only.
                cond = None if j == 0 else (rnd.randint(2, 4), rnd.randint(0, 1))
                m.deps.append((o.base, rnd.randint(0, 9), style, cond))
            m.a, m.b = rnd.randint(2, 97), rnd.randint(1, 997)
            m.check = (rnd.randint(2, 13), rnd.randint(0, 6), rnd.randint(3, 7))
            m.label_dep = m.deps[0][0] if m.deps else None
        self.order = order
        self.tests = self._plan_tests(rnd)

    # The model: what the generated code computes, with an optional mutation
    # (base, func, kind, t): kind "raise" (always), "raise-if" (for x > t),
    # "wrong" (total: one too many for x > t; check: `> 1` for `!= 0`;
    # label: another separator).
    @staticmethod
    def _raises(mut, base, fn, x):
        if mut and mut[:2] == (base, fn) and (
                mut[2] == "raise" or (mut[2] == "raise-if" and x > mut[3])):
            raise Broken(base)

    def total(self, base, x, mut=None, memo=None):
        memo = {} if memo is None else memo
        key = (base, x)
        if key in memo:
            return memo[key]
        m = self.mods[base]
        self._raises(mut, base, "total", x)
        v = m.a * x + m.b
        if self.check(base, x, mut):
            v += 3
        for d, off, _, cond in m.deps:
            if cond is None or x % cond[0] == cond[1]:
                v += self.total(d, x + off, mut, memo)
        if mut and mut[:3] == (base, "total", "wrong") and x > mut[3]:
            v += 1
        memo[key] = v % MOD
        return memo[key]

    def check(self, base, x, mut=None):
        c, d, e = self.mods[base].check
        self._raises(mut, base, "check", x)
        if mut and mut[:3] == (base, "check", "wrong"):
            return (x * c + d) % e > 1
        return (x * c + d) % e != 0

    def label(self, base, x, mut=None):
        m = self.mods[base]
        self._raises(mut, base, "label", x)
        sep = "-" if mut and mut[:3] == (base, "label", "wrong") else "/"
        return f"{base}{sep}" + self.label(m.label_dep, x, mut) if m.label_dep else f"{base}:{x}"

    def rate(self, mut=None):
        return self.total("config", 1, mut) % 97

    def value(self, call, mut=None):
        fn, base, arg = call
        x = self.rate(mut) if arg == "rate" else arg
        return getattr(self, fn)(base, x, mut)

    def case_fails(self, case, mut):
        for call in case["calls"]:
            try:
                if self.value(call, mut) != self.value(call):
                    return True
            except Broken:
                return True
        return False

    def failing(self, mut):
        return [c["id"] for t in self.tests for c in t["cases"] if self.case_fails(c, mut)]

    def _plan_tests(self, rnd):
        forced = FRAGILE + [FLAKY_SUBJECT, "config", "checkout"]
        others = [m.base for m in self.order if m.base not in forced]
        # Tests favour the upper layers, as real suites test the public surface.
        pool = []
        while len(forced) + len(pool) < N_TEST_FILES:
            b = rnd.choices(others, [1 + self.mods[o].layer for o in others])[0]
            if b not in pool:
                pool.append(b)
        tests = []
        for base in forced + pool:
            m = self.mods[base]
            sub = m.pkg.split(".")[1:]
            path = "/".join(["tests", *sub, f"test_{base}.py"])
            below = [o.base for o in self.order if o.layer < m.layer] or [base]
            other = rnd.choice(below)
            cost = rnd.choices([0.0, 0.01, 0.03, 0.12], [55, 25, 12, 8])[0]
            tests.append(dict(path=path, subject=base, other=other, cost=cost,
                              kinds=self._kinds(rnd, base), flaky=base == FLAKY_SUBJECT,
                              xs=rnd.sample(range(0, 60), 3), y=rnd.randint(1, 40)))
        for t in tests:
            t["cases"] = self._cases(t)
        return tests

    @staticmethod
    def _kinds(rnd, base):
        kinds = ["total", "values", "check", "label", "rate", "other", "combined"]
        if base in FRAGILE:
            return kinds
        keep = [k for k in kinds if rnd.random() < 0.7]
        return keep if "total" in keep else ["total"] + keep

    def _cases(self, t):
        s, o, y = t["subject"], t["other"], t["y"]
        mod = t["path"][:-3].replace("/", ".")
        cases = []

        def add(name, calls):
            cases.append(dict(id=f"{t['path']}::{name}", cls=mod, calls=calls))
        for k in t["kinds"]:
            if k == "total":
                add(f"test_{s}_total", [("total", s, y)])
            elif k == "values":
                for x in t["xs"]:
                    add(f"test_{s}_total_values[{x}]", [("total", s, x)])
            elif k == "check":
                add(f"test_{s}_check", [("check", s, y), ("check", s, y + 1)])
            elif k == "label":
                add(f"test_{s}_label", [("label", s, y)])
            elif k == "rate":
                add(f"test_{s}_with_rate", [("total", s, "rate")])
            elif k == "other":
                add(f"Test{s.title().replace('_', '')}Collaborators::test_{o}_total",
                    [("total", o, y)])
            elif k == "combined":
                add(f"Test{s.title().replace('_', '')}Collaborators::test_combined",
                    [("total", s, 1), ("total", o, 1)])
        if t["flaky"]:
            add(f"test_{s}_remote_sync", [("total", s, 11)])
        return cases

    # ------------------------------------------------------------ writing it

    def write(self, root):
        pkgs = sorted({m.pkg for m in self.order})
        for pkg in ["shop"] + pkgs:
            d = os.path.join(root, *pkg.split("."))
            os.makedirs(d, exist_ok=True)
            init = os.path.join(d, "__init__.py")
            mods = [m for m in self.order if m.pkg == pkg]
            with open(init, "w") as f:
                f.write(f'"""The {pkg} package."""\n')
                for m in mods[:2]:  # a little re-exporting, as real packages do
                    f.write(f"from .{m.base} import {m.base}_total\n")
                if mods[:2]:
                    f.write("\n__all__ = [" + ", ".join(f'"{m.base}_total"' for m in mods[:2])
                            + "]\n")
        for m in self.order:
            with open(os.path.join(root, m.path), "w") as f:
                f.write(self.module_source(m))
        for t in self.tests:
            p = os.path.join(root, t["path"])
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(self.test_source(t))
        with open(os.path.join(root, "tests", "conftest.py"), "w") as f:
            f.write('"""Shared fixtures."""\nimport pytest\n\nfrom shop.core.config import '
                    'config_total\n\n\n@pytest.fixture\ndef rate():\n    """The rate every '
                    'pricing test starts from."""\n    return config_total(1) % 97\n')
        with open(os.path.join(root, "pyproject.toml"), "w") as f:
            f.write('[project]\nname = "shop"\nversion = "0.1.0"\n\n'
                    '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n'
                    'addopts = "-p no:cacheprovider"\n')
        with open(os.path.join(root, "README.md"), "w") as f:
            f.write("# shop\n\nA benchmark project for impact's run order.\n")

    def call_expr(self, m, dep, fn):
        style = next(s for d, _, s, _ in m.deps if d == dep)
        return f"{dep}.{dep}_{fn}" if style == "attr" else f"{dep}_{fn}"

    def module_source(self, m):
        out = [f'"""{m.dotted}: totals, checks and labels of the {m.base} domain."""\n']
        lazy = []
        for d, _, style, _ in m.deps:
            dm = self.mods[d]
            names = f"{d}_total" + (f", {d}_label" if d == m.label_dep else "")
            if style == "rel":
                out.append(f"from .{d} import {names}\n")
            elif style == "from":
                out.append(f"from {dm.dotted} import {names}\n")
            elif style == "attr":
                out.append(f"from {dm.pkg} import {d}\n")
            else:
                if d == m.label_dep:   # the label needs it at module level too
                    out.append(f"from {dm.dotted} import {d}_label\n")
                lazy.append(f"    from {dm.dotted} import {d}_total\n")
        out.append(f"\nA = {m.a}\nB = {m.b}\n")
        out.append(f"\n\ndef {m.base}_total(x):\n    \"\"\"The {m.base} total of x.\"\"\"\n")
        out += lazy
        out.append(f"    value = A * x + B\n    if {m.base}_check(x):\n        value += 3\n")
        for d, off, _, cond in m.deps:
            ind = "    "
            if cond:
                out.append(f"    if x % {cond[0]} == {cond[1]}:\n")
                ind = "        "
            out.append(f"{ind}value += {self.call_expr(m, d, 'total')}(x + {off})\n")
        out.append(f"    return value % {MOD}\n")
        c, d, e = m.check
        out.append(f"\n\ndef {m.base}_check(x):\n    \"\"\"Whether x passes the {m.base} check."
                   f"\"\"\"\n    return (x * {c} + {d}) % {e} != 0\n")
        out.append(f"\n\ndef {m.base}_label(x):\n    \"\"\"A label for x.\"\"\"\n")
        if m.label_dep:
            out.append(f'    return "{m.base}/" + {self.call_expr(m, m.label_dep, "label")}(x)\n')
        else:
            out.append(f'    return "{m.base}:" + str(x)\n')
        cls = m.base.title().replace("_", "")
        out.append(f"\n\nclass {cls}Record:\n    \"\"\"One {m.base} record.\"\"\"\n\n"
                   f"    def __init__(self, key):\n        self.key = key\n\n"
                   f"    def describe(self):\n        return f\"{m.base}<{{self.key}}>\"\n\n"
                   f"    def __repr__(self):\n        return self.describe()\n")
        return "".join(out)

    def test_source(self, t):
        s, o = t["subject"], t["other"]
        sm, om = self.mods[s], self.mods[o]
        out = [f'"""Tests of {sm.dotted}."""\n', "import os\nimport time\n\nimport pytest\n\n",
               f"from {sm.dotted} import {s}_check, {s}_label, {s}_total\n"]
        if o != s:
            out.append(f"from {om.pkg} import {o}\n")
        out.append(f"\nCOST = {t['cost']}\n\n\ndef _work():\n    if COST:\n"
                   f"        time.sleep(COST)\n")
        ref = (f"{o}.{o}_total" if o != s else f"{s}_total")
        cls_open = False
        for k in t["kinds"]:
            if k in ("other", "combined") and not cls_open:
                out.append(f"\n\nclass Test{s.title().replace('_', '')}Collaborators:\n"
                           f"    \"\"\"{s} with {o}.\"\"\"\n")
                cls_open = True
            if k not in ("other", "combined") and cls_open:
                cls_open = False
            y = t["y"]
            if k == "total":
                out.append(f"\n\ndef test_{s}_total():\n    _work()\n"
                           f"    assert {s}_total({y}) == {self.total(s, y)}\n")
            elif k == "values":
                vals = ", ".join(f"({x}, {self.total(s, x)})" for x in t["xs"])
                out.append(f"\n\n@pytest.mark.parametrize(\"x, expected\", [{vals}], "
                           f"ids=[{', '.join(repr(str(x)) for x in t['xs'])}])\n"
                           f"def test_{s}_total_values(x, expected):\n    _work()\n"
                           f"    assert {s}_total(x) == expected\n")
            elif k == "check":
                out.append(f"\n\ndef test_{s}_check():\n    _work()\n"
                           f"    assert {s}_check({y}) is {self.check(s, y)}\n"
                           f"    assert {s}_check({y + 1}) is {self.check(s, y + 1)}\n")
            elif k == "label":
                out.append(f"\n\ndef test_{s}_label():\n    _work()\n"
                           f"    assert {s}_label({y}) == {self.label(s, y)!r}\n")
            elif k == "rate":
                out.append(f"\n\ndef test_{s}_with_rate(rate):\n    _work()\n"
                           f"    assert {s}_total(rate) == {self.total(s, self.rate())}\n")
            elif k == "other":
                out.append(f"\n    def test_{o}_total(self):\n        _work()\n"
                           f"        assert {ref}({y}) == {self.total(o, y)}\n")
            elif k == "combined":
                out.append(f"\n    def test_combined(self):\n        _work()\n"
                           f"        assert {s}_total(1) + {ref}(1) == "
                           f"{self.total(s, 1) + self.total(o, 1)}\n")
        if t["flaky"]:
            out.append(f"\n\ndef test_{s}_remote_sync():\n    \"\"\"Talks to the ERP sandbox: "
                       f"fails whenever the network is down.\"\"\"\n    _work()\n"
                       f"    if os.environ.get(\"BENCH_NETWORK_DOWN\"):\n"
                       f"        raise ConnectionError(\"erp sandbox: connection reset by peer\")\n"
                       f"    assert {s}_total(11) == {self.total(s, 11)}\n")
        return "".join(out)

    def mutate(self, root, base, fn, kind, t):
        """Break base's function fn in the work tree, as the model's mutation says."""
        path = os.path.join(root, self.mods[base].path)
        with open(path) as f:
            lines = f.readlines()
        start = lines.index(f"def {base}_{fn}(x):\n")
        if kind == "raise":     # after the docstring: the function's first statement
            lines.insert(start + 2, f'    raise RuntimeError("{base}_{fn}: not implemented '
                                    f'for this region")\n')
        elif kind == "raise-if":
            lines.insert(start + 2, f"    if x > {t}:\n        raise ValueError(f\"{base}_{fn}: "
                                    f"{{x}} is over the limit\")\n")
        else:
            i = next(j for j in range(start, len(lines)) if lines[j].startswith("    return "))
            old = lines[i]
            if fn == "total":
                lines[i] = f"    return (value + (x > {t})) % {MOD}\n"
            elif fn == "check":
                lines[i] = old.replace(" != 0", " > 1")
            else:
                lines[i] = old.replace(f'"{base}/"', f'"{base}-"')
            assert lines[i] != old
        with open(path, "w") as f:
            f.writelines(lines)
        return self.mods[base].path


# ---------------------------------------------------------------- running

class Bench:
    def __init__(self, impact, repo, python, log):
        self.impact_path, self.repo, self.log = impact, repo, log
        self.env = dict(os.environ, IMPACT_PYTHON=python, PYTHONDONTWRITEBYTECODE="1",
                        GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@example.invalid",
                        GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@example.invalid",
                        NO_COLOR="1")
        self.env.pop("BENCH_NETWORK_DOWN", None)
        self.hist = os.path.join(repo, ".git", "impact", "history.sqlite")
        self.saved = os.path.join(repo, ".git", "impact-bench-history")

    def git(self, *args):
        return subprocess.run(["git", *args], cwd=self.repo, env=self.env, check=True,
                              capture_output=True, text=True).stdout.strip()

    def commit(self, msg):
        self.git("add", "-A")
        self.git("commit", "-qm", msg)
        return self.git("rev-parse", "HEAD")

    def select(self):
        """The selection for HEAD's change, without running it."""
        p = subprocess.run([self.impact_path, "-C", self.repo, "--json", "-q", "HEAD"],
                           env=self.env, stdout=subprocess.PIPE, stderr=self.log, text=True,
                           check=True)
        return json.loads(p.stdout)

    def impact(self, *args, env=None):
        """Run impact on HEAD's change; returns (exit code, JSON, wall seconds)."""
        argv = [self.impact_path, "-C", self.repo, "--json", "--run", "-q", *args, "HEAD"]
        self.log.write(f"\n$ {' '.join(argv)}\n")
        self.log.flush()
        t = time.perf_counter()
        p = subprocess.run(argv, env=env or self.env, stdout=subprocess.PIPE, stderr=self.log,
                           text=True)
        wall = time.perf_counter() - t
        if p.returncode not in (0, 1):
            sys.exit(f"bench-order: impact exited {p.returncode} ({' '.join(argv)}); "
                     f"see {self.log.name}")
        return p.returncode, json.loads(p.stdout), wall

    # history.sqlite: saved once, put back before every measured run
    def _hist_files(self, base):
        return [base + s for s in ("", "-wal", "-shm")]

    def save_history(self):
        os.makedirs(self.saved, exist_ok=True)
        for src in self._hist_files(self.hist):
            if os.path.exists(src):
                shutil.copy2(src, os.path.join(self.saved, os.path.basename(src)))

    def restore_history(self, empty=False):
        for f in self._hist_files(self.hist):
            if os.path.exists(f):
                os.unlink(f)
        if empty:
            return
        for src in self._hist_files(os.path.join(self.saved, "history.sqlite")):
            if os.path.exists(src):
                shutil.copy2(src, os.path.join(os.path.dirname(self.hist),
                                               os.path.basename(src)))

    def file_history(self, files):
        """What impact's history query says of each file: (failed_last, failures)."""
        db = sqlite3.connect(os.path.join(self.saved, "history.sqlite"))
        out = {}
        for f in files:
            last = db.execute("SELECT max(outcome IN (1, 2)) FROM results WHERE file = ?1 AND "
                              "run = (SELECT max(run) FROM results WHERE file = ?1)",
                              (f,)).fetchone()[0]
            n = db.execute("SELECT count(*) FROM results WHERE file = ? AND outcome IN (1, 2)",
                           (f,)).fetchone()[0]
            out[f] = (bool(last), n)
        db.close()
        return out


def junit_cases(path, test_files):
    """The <testcase>s in run order: (node id, file, failed, seconds)."""
    dotted = {f[:-3].replace("/", "."): f for f in test_files}
    cases = []
    for tc in ET.parse(path).getroot().iter("testcase"):
        cls, name = tc.get("classname", ""), tc.get("name", "")
        parts = cls.split(".")
        file = None
        for i in range(len(parts), 0, -1):
            if ".".join(parts[:i]) in dotted:
                file = dotted[".".join(parts[:i])]
                rest = parts[i:]
                break
        nodeid = "::".join([file or cls, *(rest if file else []), name])
        failed = tc.find("failure") is not None or tc.find("error") is not None
        cases.append((nodeid, file, failed, float(tc.get("time") or 0)))
    return cases


def first_seen(seq):
    out = []
    for x in seq:
        if x not in out:
            out.append(x)
    return out


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


ORDERS = [("default", [], False),                    # history, then nearest
          ("path", ["--order=path"], False),
          ("nohist", [], True)]                       # nearest alone: empty history


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("impact")
    ap.add_argument("--scenarios", type=int,
                    default=int(os.environ.get("IMPACT_ORDER_SCENARIOS", "10")))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("IMPACT_ORDER_SEED", "7")))
    ap.add_argument("--min-files", type=int, default=2,
                    help="skip breaking changes that select fewer test files (default 2)")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("IMPACT_ORDER_RUNS", "3")),
                    help="-x runs per order and scenario, for the median wall time")
    ap.add_argument("--keep", action="store_true", help="keep the temporary repository")
    a = ap.parse_args()
    impact = os.path.abspath(a.impact)

    python = os.environ.get("IMPACT_PYTHON")
    if not python:
        python = sys.executable
        if subprocess.run([python, "-c", "import pytest"], capture_output=True).returncode:
            python = "/usr/bin/python3"
    if subprocess.run([python, "-c", "import pytest"], capture_output=True).returncode:
        sys.exit(f"bench-order: {python} cannot import pytest (set IMPACT_PYTHON, or "
                 f"apt-get install python3-pytest)")

    if os.environ.get("IMPACT_BENCH_DIR"):
        repo = os.path.join(os.environ["IMPACT_BENCH_DIR"], "order")
        shutil.rmtree(repo, ignore_errors=True)
        os.makedirs(repo)
        tmp = None
    else:
        tmp = tempfile.mkdtemp(prefix="impact-bench-order-")
        repo = os.path.join(tmp, "shop")
        os.makedirs(repo)
    logpath = os.path.join(repo, ".git", "bench-order.log")
    try:
        proj = Project(a.seed)
        proj.write(repo)
        subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
        b = Bench(impact, repo, python, open(logpath, "w"))
        b.commit("shop: initial import")
        test_files = [t["path"] for t in proj.tests]
        ncases = sum(len(t["cases"]) for t in proj.tests)
        say(f"bench-order: {repo}: {len(proj.order)} modules, {len(test_files)} test files, "
            f"{ncases} tests; interpreter {python}")

        history(b, proj)
        base = b.git("rev-parse", "HEAD")
        b.save_history()
        hist = b.file_history(test_files)

        rows, skipped = scenarios(b, proj, a, base, test_files, hist)
        b.git("checkout", "-q", "main")
        report(rows, a, skipped)
        say(f"bench-order: impact's stderr: {logpath}" if tmp is None or a.keep else "")
    finally:
        if tmp and not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def say(msg):
    if msg:
        print(msg, file=sys.stderr, flush=True)


def history(b, proj):
    """Seven runs with the default flags, as a developer would make them."""
    rc, doc, _ = b.impact()   # the root commit: everything, all green
    steps = [
        ("pricing: discounts round per line", ("discounts", "total", "wrong", 20), None),
        ("pricing: revert per-line rounding", None, None),
        ("erp: batch the sync calls", "touch-erp", "1"),
        ("pricing: tax for the new regions", ("tax", "total", "raise", 0), None),
        ("pricing: tax regions fixed", None, None),
        ("pricing: discount labels carry the campaign", ("discounts", "label", "wrong", 0), None),
        ("pricing: campaign labels reverted", None, None),
    ]
    say(f"bench-order: history: root commit, {doc['run']['counts']['passed']} passed")
    last = None
    for msg, what, net in steps:
        if what is None:
            b.git("checkout", "-q", "HEAD~1", "--", ".")  # the broken commit undone
        elif what == "touch-erp":
            p = os.path.join(b.repo, proj.mods["erp"].path)
            with open(p) as f:
                src = f.read()
            src = src.replace("    value = A * x + B\n", "    value = A * x + B  # batched\n", 1)
            with open(p, "w") as f:
                f.write(src)
        else:
            assert proj.failing(what), what
            proj.mutate(b.repo, *what)
        b.commit(msg)
        env = dict(b.env, BENCH_NETWORK_DOWN=net) if net else None
        rc, doc, _ = b.impact(env=env)
        run = doc["run"] or {}
        fails = [f["nodeid"] for f in run.get("failures", [])]
        say(f"bench-order: history: {msg}: {len(doc['selected'])} files, exit {rc}"
            + (f", failed {', '.join(fails)}" if fails else ""))
        last = rc
    assert last == 0, "the history must end green"


def scenarios(b, proj, a, base, test_files, hist):
    rnd = random.Random(a.seed * 1000 + 1)
    cands = [(m.base, fn, kind, rnd.randint(10, 50)) for m in proj.order for fn in FUNCS
             for kind in ("raise", "raise-if", "wrong")]
    cands = [c for c in cands if proj.failing(c)]
    regress = [c for c in cands if c[0] in FRAGILE]
    fresh = [c for c in cands if c[0] not in FRAGILE]
    rnd.shuffle(regress)
    rnd.shuffle(fresh)
    rows, skipped = [], 0
    for i in range(a.scenarios):
        kind = "regress" if i % 3 == 0 and regress else "fresh"
        while True:
            pool = regress if kind == "regress" and regress else fresh
            if not pool:
                sys.exit("bench-order: out of breaking changes (lower --min-files)")
            mut = pool.pop()
            b.git("checkout", "-q", "--detach", base)
            path = proj.mutate(b.repo, *mut)
            change = f"{mut[0]}_{mut[1]} {mut[2]}" + (f" x>{mut[3]}" if mut[2] == "raise-if" or
                                                      mut[1:3] == ("total", "wrong") else "")
            b.commit(f"scenario {i + 1}: {change}")
            # Below --min-files selected test files the order cannot matter much.
            if len(b.select()["selected"]) >= a.min_files:
                break
            skipped += 1
        predicted = set(proj.failing(mut))
        row = dict(n=i + 1, kind=kind, change=change, path=path,
                   predicted=len(predicted), notes=[])
        selected = {}
        for name, opts, empty in ORDERS:
            # The whole selection, no -x: every test in run order.
            xml = os.path.join(b.repo, ".git", f"bench-{name}.xml")
            b.restore_history(empty)
            rc, doc, _ = b.impact("--no-default-flags", "--junitxml", xml, *opts)
            files = [s["path"] for s in doc["selected"]]
            selected[name] = files
            cases = junit_cases(xml, test_files)
            ran_files = first_seen(c[1] for c in cases)
            if ran_files != [f for f in files if f in ran_files]:
                row["notes"].append(f"{name}: pytest ran the files in another order than "
                                    f"impact selected them")
            failed = {c[0] for c in cases if c[2]}
            if failed != predicted:
                row["notes"].append(f"{name}: failed {sorted(failed ^ predicted)} "
                                    f"unlike the model predicted")
            pos = next((k + 1 for k, c in enumerate(cases) if c[2]), None)
            r = dict(files=len(files), tests=len(cases), pos=pos, failed=len(failed),
                     frac=pos / len(cases) if pos else None,
                     t1=sum(c[3] for c in cases[:pos]) if pos else None,
                     total=sum(c[3] for c in cases))
            if pos:
                r["first"] = cases[pos - 1][0]
                r["file_pos"] = files.index(cases[pos - 1][1]) + 1
            # The same with the default flags: -x stops at the first failure.
            xml_x = xml + ".x"
            walls = []
            for _ in range(a.runs):
                b.restore_history(empty)
                rc, doc, wall = b.impact("--junitxml", xml_x, *opts)
                walls.append(wall)
            xcases = junit_cases(xml_x, test_files)
            r["xwall"] = statistics.median(walls)
            if pos and (len(xcases) != pos or not xcases[-1][2] or xcases[-1][0] != r["first"]):
                row["notes"].append(f"{name}: -x ran {len(xcases)} tests, stopping at "
                                    f"{xcases[-1][0] if xcases else None}, not at test {pos} "
                                    f"({r['first']})")
            row[name] = r
        # The default order must be the no-history order, stably re-sorted by history.
        want = sorted(selected["nohist"], key=lambda f: (not hist.get(f, (False, 0))[0],
                                                         -hist.get(f, (False, 0))[1]))
        if selected["default"] != want:
            row["notes"].append("default order is not the no-history order re-sorted by the "
                                "history")
        row["promoted"] = sum(1 for f in selected["default"] if hist.get(f, (False, 0)) !=
                              (False, 0))
        rows.append(row)
        d, p, n = row["default"], row["path"], row["nohist"]
        say(f"bench-order: scenario {i + 1} ({kind}, {row['change']}): {d['files']} files, "
            f"{d['tests']} tests; first failure at {d['pos']} (default), {p['pos']} (path), "
            f"{n['pos']} (no history)")
        for note in row["notes"]:
            say(f"bench-order:   note: {note}")
    b.restore_history()
    return rows, skipped


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def report(rows, a, skipped):
    print(f"impact run order: where the first failure comes, {len(rows)} scenarios (seed "
          f"{a.seed}; {skipped} breaking changes selecting fewer than {a.min_files} test files "
          f"skipped)\n"
          f"  default = history then nearest; path = --order=path; nohist = default order with "
          f"an empty history\n"
          f"  files/tests/fail = selected test files, tests run, tests failing; hist = selected "
          f"files the history knows failures of\n"
          f"  pos = 1-based index of the first failing test among the tests run (no -x), frac = "
          f"pos/tests,\n  t1 = test seconds up to it (JUnit), -x s = wall seconds of "
          f"`impact --run` (with -x) until it stops, median of {a.runs}")
    hdr = ["#", "kind", "change", "files", "tests", "fail", "hist",
           "def pos", "def frac", "def t1", "def -x s",
           "path pos", "path frac", "path t1", "path -x s",
           "nohist pos", "nohist frac", "nohist t1", "nohist -x s"]
    table = []
    for r in rows:
        line = [str(r["n"]), r["kind"], r["change"], str(r["default"]["files"]),
                str(r["default"]["tests"]), str(r["default"]["failed"]), str(r["promoted"])]
        for name in ("default", "path", "nohist"):
            o = r[name]
            line += [fmt(o["pos"], "d"), fmt(o["frac"], ".2f"), fmt(o["t1"], ".2f"),
                     fmt(o["xwall"], ".2f")]
        table.append(line)
    med = ["median", "", "", fmt(median([r["default"]["files"] for r in rows]), ".0f"),
           fmt(median([r["default"]["tests"] for r in rows]), ".0f"),
           fmt(median([r["default"]["failed"] for r in rows]), ".0f"), ""]
    for name in ("default", "path", "nohist"):
        med += [fmt(median([r[name]["pos"] for r in rows]), ".1f"),
                fmt(median([r[name]["frac"] for r in rows]), ".2f"),
                fmt(median([r[name]["t1"] for r in rows]), ".2f"),
                fmt(median([r[name]["xwall"] for r in rows]), ".2f")]
    table.append(med)
    widths = [max(len(x[i]) for x in [hdr] + table) for i in range(len(hdr))]
    for k, line in enumerate([hdr] + table):
        if k == len(table):
            print("-+-".join("-" * w for w in widths))
        print(" | ".join(x.ljust(w) if i < 3 else x.rjust(w)
                         for i, (x, w) in enumerate(zip(line, widths))))

    def wins(x, y):
        return sum(1 for r in rows if r[x]["pos"] and r[y]["pos"] and r[x]["pos"] < r[y]["pos"])
    print(f"default earlier than path in {wins('default', 'path')}, later in "
          f"{wins('path', 'default')}; default earlier than no-history in "
          f"{wins('default', 'nohist')}, later in {wins('nohist', 'default')}")
    for r in rows:
        for note in r["notes"]:
            print(f"note: scenario {r['n']}: {note}")


if __name__ == "__main__":
    main()
