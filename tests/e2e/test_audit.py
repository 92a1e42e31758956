"""impact audit: mutants and real commits against impact's own selection,
in real repositories with real pytest runs.

What must hold: no miss where impact sees every dependency, the miss named
and exit 1 where it cannot (a module exec()'d from a path computed at run
time), the user's work tree, index, refs and worktrees untouched, the
sample fixed by the seed, --full on a range with a breaking commit, and a
clear error and exit code for each way it cannot start. With --functions:
one function per mutant, what each test file really needs (checked against
the same mutant run by hand), the draw fixed by the seed, and a function no
test sees listed apart.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from layouts import FLAT


def out(r):
    return r.stdout.decode(errors="replace")


def err(r):
    return r.stderr.decode(errors="replace")


def audit_json(repo, *args, code=0, env=None):
    r = repo.impact("audit", "--json", *args, env=env)
    assert r.returncode == code, (r.returncode, out(r), err(r))
    return json.loads(out(r))


@pytest.fixture
def tmpdir_env(tmp_path):
    """A TMPDIR of the test's own, to see that the audit leaves nothing there."""
    d = tmp_path / "tmp"
    d.mkdir()
    return d


def leftovers(tmpdir):
    return sorted(p.name for p in tmpdir.iterdir() if p.name.startswith("impact-audit-"))


# An exec()'d module whose path is computed at run time: no import, no
# string that names it. impact cannot see the dependency.
HIDDEN = {
    "pkg/__init__.py": "",
    "pkg/core.py": "def f():\n    return 1\n",
    "scripts/mod.py": "def compute():\n    return 7\n\n\nRESULT = compute()\n",
    "tests/test_core.py": "from pkg.core import f\n\n\ndef test_f():\n    assert f() == 1\n",
    "tests/test_exec.py": (
        "import os\n\n\ndef test_exec():\n"
        "    d = os.path.join(os.path.dirname(__file__), '..', 'scr' + 'ipts')\n"
        "    ns = {}\n"
        "    exec(open(os.path.join(d, 'm' + 'od.py')).read(), ns)\n"
        "    assert ns['RESULT'] == 7\n"),
}


def test_mutate_sees_every_dependency_of_a_small_project(repo, tmpdir_env):
    repo.write_many(FLAT)
    repo.commit("flat")
    doc = audit_json(repo, "--mutate", "20", env={"TMPDIR": str(tmpdir_env)})
    mods = {m["path"]: m for m in doc["modules"]}
    # Exactly the modules that define a function; the others are passed over.
    assert sorted(mods) == ["pkg/core.py", "pkg/lazy.py", "pkg/typing_only.py", "pkg/util.py"]
    assert doc["no_function"] == doc["candidates"] - 4
    assert doc["totals"]["missed"] == 0 and doc["totals"]["audited"] == 4
    assert doc["baseline_failing"] == []
    for m in mods.values():
        assert m["missed"] == [] and m["skipped"] is None and m["incomplete"] is None
        assert set(m["failing"]) <= set(m["selected_files"])
        assert m["functions"] >= 1 and m["third"] in ("top", "middle", "bottom")
        assert m["test_files"] == len([p for p in FLAT if p.startswith("tests/test_")])
    # util's helper runs at import of models (Model.value = helper()): both fail.
    assert mods["pkg/util.py"]["failing"] == ["tests/test_models.py", "tests/test_util.py"]
    assert "tests/test_util.py::test_helper" in mods["pkg/util.py"]["failing_tests"]
    assert mods["pkg/lazy.py"]["failing"] == ["tests/test_lazy.py"]
    assert mods["pkg/typing_only.py"]["failing"] == ["tests/test_typing.py"]
    # Sane precision: the failing share of what was selected, never above 1.
    t = doc["totals"]
    assert 0 < t["precision"] <= 1 and 0 < t["selected_share"] < 1
    assert t["precision"] == pytest.approx((t["failing"] - t["missed"]) / t["selected"], abs=1e-5)
    assert leftovers(tmpdir_env) == []


def test_text_report(repo):
    repo.write_many(FLAT)
    repo.commit("flat")
    r = repo.impact("audit", "--mutate", "2")
    assert r.returncode == 0, out(r) + err(r)
    text = out(r)
    assert "failing  selected  missed  precision  share" in text
    assert "total (2 modules whose mutants break a test)" in text
    assert "no miss: every failing test file was selected" in text
    assert "running the full suite at HEAD" in err(r) and "[2/2]" in err(r)


def test_a_dependency_impact_cannot_see_is_a_named_miss(repo):
    repo.write_many(HIDDEN)
    repo.commit("hidden")
    doc = audit_json(repo, "--mutate", "5", code=1)
    mods = {m["path"]: m for m in doc["modules"]}
    assert mods["scripts/mod.py"]["failing"] == ["tests/test_exec.py"]
    assert mods["scripts/mod.py"]["missed"] == ["tests/test_exec.py"]
    assert mods["scripts/mod.py"]["precision"] is None  # nothing selected
    assert mods["pkg/core.py"]["missed"] == []
    assert doc["totals"]["missed"] == 1
    r = repo.impact("audit", "--mutate", "5")
    assert r.returncode == 1
    assert ("tests/test_exec.py failed with the marker when every function of "
            "scripts/mod.py raises") in out(r)
    assert "MISSED" in out(r)


def test_user_state_is_untouched(repo, tmpdir_env):
    repo.write_many(FLAT)
    repo.commit("flat")
    repo.git("branch", "topic")
    repo.git("tag", "v1")
    # A dirty tree is fine: the audit uses HEAD. This edit would break tests.
    repo.write("pkg/util.py", "def helper():\n    return 3\n")
    repo.write("pkg/core.py", "def run():\n    return 9\n")
    repo.git("add", "pkg/core.py")
    repo.write("untracked.txt", "x\n")
    before = (repo.git("status", "--porcelain"), repo.git("for-each-ref"),
              repo.git("worktree", "list", "--porcelain"), repo.git("stash", "list"),
              repo.state(), repo.path.joinpath("pkg/util.py").read_bytes())
    doc = audit_json(repo, "--mutate", "3", env={"TMPDIR": str(tmpdir_env)})
    assert doc["baseline_failing"] == [] and doc["totals"]["missed"] == 0
    after = (repo.git("status", "--porcelain"), repo.git("for-each-ref"),
             repo.git("worktree", "list", "--porcelain"), repo.git("stash", "list"),
             repo.state(), repo.path.joinpath("pkg/util.py").read_bytes())
    assert after == before
    assert not (repo.path / ".git" / "worktrees").exists()
    assert leftovers(tmpdir_env) == []
    # The mutants are commits no ref points to, on HEAD.
    head = repo.git("rev-parse", "HEAD").strip()
    for m in doc["modules"]:
        assert repo.git("rev-parse", m["mutant_commit"] + "^").strip() == head
        assert m["mutant_commit"] not in repo.git("for-each-ref", "--contains", m["mutant_commit"])


def many_modules(repo, n=9):
    """n modules imported by a varying number of tests: heavy to light."""
    files = {"pkg/__init__.py": ""}
    for i in range(n):
        files[f"pkg/m{i}.py"] = f"def f{i}():\n    return {i}\n"
    for t in range(n):
        imports = "".join(f"from pkg.m{i} import f{i}\n" for i in range(n) if i <= t)
        body = "".join(f"    assert f{i}() == {i}\n" for i in range(n) if i <= t)
        files[f"tests/test_t{t}.py"] = f"{imports}\n\ndef test_t():\n{body}"
    repo.write_many(files)
    repo.commit("many")


def test_seed_fixes_the_sample_and_mixes_thirds(repo):
    many_modules(repo)

    def sample(seed):
        doc = audit_json(repo, "--mutate", "3", "--seed", str(seed))
        return [(m["path"], m["third"]) for m in doc["modules"]]

    first = sample(1)
    assert sample(1) == first
    assert [third for _, third in first] == ["top", "middle", "bottom"]
    # Most imported first: m0 is imported by every test, m8 by one.
    rank = {f"pkg/m{i}.py": i for i in range(9)}
    top, middle, bottom = (rank[p] for p, _ in first)
    assert top < middle < bottom
    others = [sample(s) for s in (2, 3, 4)]
    assert any(o != first for o in others)


def test_full_audits_each_commit_of_a_range(repo):
    repo.write_many(HIDDEN)
    repo.commit("base")
    repo.write("README.md", "# docs\n")
    repo.commit("docs only")
    repo.write("pkg/core.py", "def f():\n    return 2\n")
    repo.commit("break f")
    repo.write("scripts/mod.py", "def compute():\n    return 8\n\n\nRESULT = compute()\n")
    repo.commit("break mod")
    doc = audit_json(repo, "--full", "HEAD~3..", code=1)
    commits = doc["commits"]
    assert [c["subject"] for c in commits] == ["docs only", "break f", "break mod"]
    docs, brk, hidden = commits
    assert docs["failing"] == [] and docs["selected"] == 0 and docs["missed"] == []
    assert brk["failing"] == ["tests/test_core.py"] and brk["missed"] == []
    assert brk["selected_files"] == ["tests/test_core.py"]
    # test_core fails at both ends of the last commit: left out there.
    assert hidden["failing"] == ["tests/test_exec.py"]
    assert hidden["missed"] == ["tests/test_exec.py"] and hidden["already_failing"] == 1
    assert doc["totals"]["missed"] == 1
    # Without the commit impact cannot see, no miss.
    doc = audit_json(repo, "--full", "HEAD~3..HEAD~1")
    assert doc["totals"]["missed"] == 0 and doc["totals"]["audited"] == 2
    # A single commit is that commit against its parent.
    doc = audit_json(repo, "--full", "HEAD~1")
    assert [c["subject"] for c in doc["commits"]] == ["break f"]


def test_selection_options_go_to_the_selection(repo):
    repo.write_many(FLAT)
    repo.commit("flat")
    doc = audit_json(repo, "--mutate", "1", "--", "--no-cache")
    assert doc["selection_args"] == ["--no-cache"] and doc["totals"]["audited"] == 1
    r = repo.impact("audit", "--mutate", "1", "--", "--no-such-option")
    assert r.returncode == 2
    assert "--no-such-option" in err(r) and "unknown option" in err(r)


def test_tests_already_failing_are_left_out_and_named(repo):
    repo.write_many(FLAT)
    repo.write("tests/test_broken.py", "def test_broken():\n    assert False\n")
    repo.commit("flat")
    r = repo.impact("audit", "--mutate", "2")
    assert r.returncode == 0, out(r) + err(r)
    assert "already failing at HEAD" in out(r) and "tests/test_broken.py::test_broken" in out(r)
    doc = audit_json(repo, "--mutate", "2")
    assert doc["baseline_failing"] == ["tests/test_broken.py::test_broken"]


def test_a_suite_that_does_not_run_stops_the_audit(repo):
    repo.write_many(FLAT)
    repo.write("tests/conftest.py", "raise ImportError('broken conftest')\n")
    repo.commit("flat")
    r = repo.impact("audit", "--mutate", "2")
    assert r.returncode == 3, out(r) + err(r)
    assert "the unmutated suite does not run cleanly at HEAD" in err(r)


@pytest.mark.parametrize("args, code, words", [
    (["--mutate", "0"], 2, "above 0"),
    (["--mutate", "-3"], 2, "whole number"),
    ([], 2, "give one of --mutate N and --full"),
    (["--mutate", "2", "--full", "HEAD"], 2, "give one of"),
    (["--mutate", "2", "HEAD"], 2, "unexpected argument"),
    (["--full", "nosuch.."], 2, "bad revision"),
])
def test_usage_errors(repo, args, code, words):
    repo.write_many(FLAT)
    repo.commit("flat")
    r = repo.impact("audit", *args)
    assert r.returncode == code, out(r) + err(r)
    assert words in err(r)
    assert out(r) == ""


def test_not_a_repository(tmp_path, repo):
    elsewhere = tmp_path / "nowhere"
    elsewhere.mkdir()
    r = repo.impact("audit", "--mutate", "1", cwd=elsewhere)
    assert r.returncode == 2 and "not in a git repository" in err(r)


def test_no_test_files(repo):
    repo.write_many({"pkg/__init__.py": "", "pkg/a.py": "def f():\n    return 1\n"})
    repo.commit("no tests")
    r = repo.impact("audit", "--mutate", "1")
    assert r.returncode == 2 and "no test files" in err(r)


def test_no_commit_yet(repo):
    r = repo.impact("audit", "--mutate", "1")
    assert r.returncode == 2 and "no commit yet" in err(r)


def test_no_interpreter_with_pytest(repo, tmp_path):
    repo.write_many(FLAT)
    repo.commit("flat")
    venv = tmp_path / "bare-venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(venv)], check=True)
    r = repo.impact("audit", "--mutate", "1", env={"IMPACT_PYTHON": str(venv / "bin" / "python")})
    assert r.returncode == 3, out(r) + err(r)
    assert "pytest is not importable" in err(r) and "install it there" in err(r)


def test_syntax_error_module_is_skipped_with_its_reason(repo):
    repo.write_many(FLAT)
    repo.write("pkg/broken.py", "def f(:\n    return 1\n")  # no test imports it
    repo.commit("flat")
    doc = audit_json(repo, "--mutate", "20")
    skipped = {m["path"]: m["skipped"] for m in doc["modules"] if m["skipped"]}
    assert list(skipped) == ["pkg/broken.py"]
    assert skipped["pkg/broken.py"].startswith("syntax error at line 1, column 7")
    assert doc["totals"]["missed"] == 0


def test_ctrl_c_removes_the_checkouts(repo, tmpdir_env, tmp_path):
    started = tmp_path / "started"
    repo.write_many({
        "pkg/__init__.py": "",
        "pkg/m.py": "def f():\n    return 1\n",
        "tests/test_slow.py": (
            "import time\nfrom pkg.m import f\n\n\ndef test_slow():\n"
            f"    open({str(started)!r}, 'w').write('yes')\n"
            "    time.sleep(60)\n    assert f() == 1\n"),
    })
    repo.commit("slow")
    env = dict(repo.env, TMPDIR=str(tmpdir_env))
    p = subprocess.Popen(repo.impact_argv("audit", "--mutate", "1", "--grace", "1"),
                         cwd=repo.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists()
    assert len(leftovers(tmpdir_env)) == 1  # the audit's folder, while it runs
    p.send_signal(signal.SIGINT)
    o, e = p.communicate(timeout=60)
    assert p.returncode == 130, e.decode()
    assert leftovers(tmpdir_env) == []
    assert repo.git("status", "--porcelain") == ""
    assert "interrupted: the audit is incomplete" in o.decode()  # what was done, reported


def test_timeout_is_reported_not_hidden(repo):
    repo.write_many({
        "pkg/__init__.py": "",
        "pkg/m.py": "def f():\n    return 1\n",
        "tests/test_m.py": "from pkg.m import f\n\n\ndef test_f():\n    assert f() == 1\n",
        # Waits forever when f raises: the mutant's run hits the time limit.
        "tests/test_wait.py": (
            "import time\nfrom pkg.m import f\n\n\ndef test_wait():\n"
            "    while True:\n        try:\n            f()\n            return\n"
            "        except RuntimeError:\n            time.sleep(0.1)\n"),
    })
    repo.commit("wait")
    r = repo.impact("audit", "--mutate", "1", "--timeout", "4", "--grace", "1")
    assert r.returncode == 4, out(r) + err(r)
    assert "incomplete: timed out after 4 s" in out(r)


def test_git_works_in_the_checkout(repo):
    """Each run's checkout is a repository at the commit: tests may use git."""
    repo.write_many({
        "pkg/__init__.py": "",
        "pkg/m.py": "def f():\n    return 1\n",
        "tests/test_m.py": "from pkg.m import f\n\n\ndef test_f():\n    assert f() == 1\n",
        "tests/test_git.py": (
            "import subprocess\n\n\ndef test_checkout_is_its_head():\n"
            "    git = lambda *a: subprocess.run(['git', *a], capture_output=True, text=True)\n"
            "    assert git('cat-file', '-t', 'HEAD').stdout.strip() == 'commit'\n"
            "    r = git('diff', '--quiet', 'HEAD', '--', 'pkg', 'tests')\n"
            "    assert r.returncode == 0, r.stdout + r.stderr\n"),
    })
    repo.commit("git")
    doc = audit_json(repo, "--mutate", "1")
    assert doc["baseline_failing"] == []
    (m,) = doc["modules"]
    assert m["path"] == "pkg/m.py"
    assert m["failing"] == ["tests/test_m.py"] and m["other_failing"] == []


def test_an_editable_install_of_the_checkout_does_not_hide_the_mutant(repo, tmp_path):
    """A src/ layout installed in editable mode (a .pth naming the user's
    src/) must not answer for the checkout's own code."""
    repo.write_many({
        "pyproject.toml": '[project]\nname = "lib"\nversion = "0"\n',
        "src/lib/__init__.py": "",
        "src/lib/a.py": "def a():\n    return 1\n",
        "tests/test_a.py": "from lib.a import a\n\n\ndef test_a():\n    assert a() == 1\n",
    })
    repo.commit("src layout")
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", "--system-site-packages",
                    str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    (site / "_editable_lib.pth").write_text(str(repo.path / "src") + "\n")
    py = str(venv / "bin" / "python")
    assert subprocess.run([py, "-c", "import lib, pytest"], cwd=tmp_path).returncode == 0
    doc = audit_json(repo, "--mutate", "1", env={"IMPACT_PYTHON": py})
    (m,) = doc["modules"]
    assert m["path"] == "src/lib/a.py" and m["failing"] == ["tests/test_a.py"]


def test_a_conftest_that_no_longer_imports_fails_the_tests_in_its_folder(repo):
    """A mutant that breaks tests/conftest.py's import stops pytest before any
    test runs: every test under tests/ counts as failing, and is selected."""
    repo.write_many({
        "pkg/__init__.py": "",
        "pkg/registry.py": ("def register(f):\n    return f\n\n\n@register\n"
                            "def plugin():\n    return 1\n"),
        "pkg/other.py": "def g():\n    return 2\n",
        "tests/conftest.py": "import pkg.registry\n",
        "tests/test_a.py": "def test_a():\n    assert True\n",
        "tests/sub/conftest.py": "from pkg.other import g\n\nVALUE = g()\n",
        "tests/sub/test_b.py": "def test_b():\n    assert True\n",
        "tests/sub/test_c.py": "def test_c():\n    assert True\n",
        "other/test_d.py": "def test_d():\n    assert True\n",
    })
    repo.commit("conftests")
    doc = audit_json(repo, "--mutate", "2", code=4)  # other/ did not run: unverified
    mods = {m["path"]: m for m in doc["modules"]}
    reg = mods["pkg/registry.py"]
    assert reg["failing"] == ["tests/sub/test_b.py", "tests/sub/test_c.py", "tests/test_a.py"]
    assert reg["missed"] == [] and "tests/conftest.py' does not import" in reg["stopped"]
    assert reg["incomplete"] == "1 test file that ran unmutated did not run (other/test_d.py)"
    # A conftest deeper down fails to import during collection: its folder's tests fail.
    # (pytest 7 then collects nothing else, pytest 8 the rest: unverified or not.)
    other = mods["pkg/other.py"]
    assert other["failing"] == ["tests/sub/test_b.py", "tests/sub/test_c.py"]
    assert other["missed"] == [] and other["stopped"] is None
    assert other["incomplete"] in (None, "2 test files that ran unmutated did not run "
                                         "(other/test_d.py, ...)")
    r = repo.impact("audit", "--mutate", "2")
    assert r.returncode == 4 and "not every test file could be checked" in out(r)


def test_a_plugin_that_no_longer_imports_fails_every_test(repo):
    """A mutant that breaks a -p plugin's import (or pytest's own import of
    the code under test: Debian's pytest imports attrs) kills Python before
    pytest writes any report, with exit 1: every test counts as failing,
    not as 'did not run'."""
    repo.write_many({
        "pytest.ini": "[pytest]\naddopts = -p pkg.plugin\n",
        "pkg/__init__.py": "",
        "pkg/core.py": "def setup():\n    return 1\n\n\nVALUE = setup()\n",
        "pkg/plugin.py": "import pkg.core  # noqa: F401\n",
        "tests/test_a.py": "def test_a():\n    assert True\n",
        "tests/test_b.py": "def test_b():\n    assert True\n",
    })
    repo.commit("plugin")
    doc = audit_json(repo, "--mutate", "2")
    core = {m["path"]: m for m in doc["modules"]}["pkg/core.py"]
    assert core["failing"] == ["tests/test_a.py", "tests/test_b.py"]
    assert core["missed"] == [] and core["incomplete"] is None
    assert "exit 1, no report: an exception before its session began" in core["stopped"]


# --- one function at a time (--functions) -------------------------------------

# Every test file needs shop/core.py, each for its own functions; `unused`
# no test calls; `rate` is nested in `tax`, so not a candidate of its own.
SHOP = {
    "shop/__init__.py": "",
    "shop/core.py": (
        "def price(x):\n    return x * 2\n\n\n"
        "def tax(x):\n    def rate():\n        return 1\n    return x + rate()\n\n\n"
        "def unused():\n    return 0\n\n\n"
        "class Cart:\n"
        "    def __init__(self):\n        self.items = []\n\n"
        "    def add(self, x):\n        self.items.append(x)\n        return self\n\n"
        "    def total(self):\n        return sum(price(i) for i in self.items)\n"),
    "tests/test_price.py": "from shop.core import price\n\n\ndef test_price():\n"
                           "    assert price(2) == 4\n",
    "tests/test_tax.py": "from shop.core import tax\n\n\ndef test_tax():\n    assert tax(1) == 2\n",
    "tests/test_cart.py": "from shop.core import Cart\n\n\ndef test_cart():\n"
                          "    assert Cart().add(1).total() == 2\n",
}
SHOP_TESTS = sorted(p for p in SHOP if p.startswith("tests/"))
# What really fails when that one function raises.
SHOP_NEEDS = {
    ("shop/core.py", 1, "price"): ["tests/test_cart.py", "tests/test_price.py"],
    ("shop/core.py", 5, "tax"): ["tests/test_tax.py"],
    ("shop/core.py", 11, "unused"): [],
    ("shop/core.py", 16, "Cart.__init__"): ["tests/test_cart.py"],
    ("shop/core.py", 19, "Cart.add"): ["tests/test_cart.py"],
    ("shop/core.py", 23, "Cart.total"): ["tests/test_cart.py"],
}


def failing_by_hand(tmp_path, name, files):
    """Write `files` to a fresh folder, run pytest there, return the failing test files."""
    d = tmp_path / name
    for rel, content in files.items():
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(content)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider"],
                       cwd=d, capture_output=True, env={**os.environ, "PYTHONPATH": str(d)})
    lines = r.stdout.decode().splitlines()
    return sorted({l.split()[1].split("::")[0] for l in lines if l.startswith("FAILED ")})


def test_functions_show_what_each_test_file_needs(repo, tmp_path, tmpdir_env):
    repo.write_many(SHOP)
    repo.commit("shop")
    # One whole-module mutant: every test file fails, every one is selected.
    whole = audit_json(repo, "--mutate", "1")
    (core,) = [m for m in whole["modules"] if m["path"] == "shop/core.py"]
    assert core["functions"] == 7  # the nested `rate` too
    assert core["failing"] == SHOP_TESTS and core["selected_files"] == SHOP_TESTS

    doc = audit_json(repo, "--mutate", "10", "--functions", env={"TMPDIR": str(tmpdir_env)})
    assert doc["functions"] is True and doc["function_candidates"] == 6
    assert doc["candidates"] == 2  # shop/__init__.py and shop/core.py
    muts = {(m["path"], m["line"], m["function"]): m for m in doc["mutants"]}
    assert sorted(muts) == sorted(SHOP_NEEDS)  # N above the candidates: each one once
    for key, m in muts.items():
        assert m["failing"] == SHOP_NEEDS[key], key
        assert m["missed"] == [] and m["skipped"] is None and m["incomplete"] is None
        assert set(m["failing"]) <= set(m["selected_files"])
        assert m["breaks_nothing"] is (key[2] == "unused")
        # The mutant changes that one function only: one line added, none removed.
        diff = repo.git("diff", "-U0", doc["head"], m["mutant_commit"])
        added = [l for l in diff.splitlines() if l.startswith("+") and not l.startswith("+++")]
        removed = [l for l in diff.splitlines() if l.startswith("-") and not l.startswith("---")]
        assert len(added) == 1 and doc["marker"] in added[0]
        assert removed == []
        assert f"@@ -{key[1]},0 +{key[1] + 1} @@" in diff  # right under its `def`
        # An independent count: the same mutant run by hand.
        mutant = repo.git("show", f"{m['mutant_commit']}:shop/core.py")
        assert failing_by_hand(tmp_path, key[2], {**SHOP, "shop/core.py": mutant}) == m["failing"]
    assert doc["breaks_nothing"] == [{"path": "shop/core.py", "function": "unused", "line": 11,
                                      "selected": muts[("shop/core.py", 11, "unused")]["selected"]}]
    t = doc["totals"]
    assert t["audited"] == 6 and t["breaks_nothing"] == 1 and t["missed"] == 0
    assert t["failing"] == 6 and t["test_files"] == 15  # 5 mutants that break a test
    assert t["failing_share"] == pytest.approx(6 / 15, abs=1e-5)
    assert t["precision"] == pytest.approx(6 / t["selected"], abs=1e-5)
    assert t["selected_share"] == pytest.approx(t["selected"] / 15, abs=1e-5)
    assert leftovers(tmpdir_env) == []


def test_functions_text_report(repo):
    repo.write_many(SHOP)
    repo.commit("shop")
    r = repo.impact("audit", "--mutate", "6", "--functions")
    assert r.returncode == 0, out(r) + err(r)
    text = out(r)
    assert "single-function mutants of" in text
    assert "6 functions and methods in 2 non-test modules" in text
    assert "function (path:line name)" in text
    assert ("shop/core.py:1 price\n          failing: tests/test_cart.py, tests/test_price.py\n"
            in text)
    assert "total (5 mutants that break a test)" in text
    assert "failing share: 40% of the test files fail per mutant" in text
    assert "break no test (1 of 6 mutants; left out of the totals):\n  shop/core.py:11 unused" in text
    assert "no miss: every failing test file was selected" in text
    assert "[6/6]" in err(r) and "shop/core.py:19 Cart.add" in err(r)


def test_functions_seed_fixes_the_draw(repo):
    repo.write_many(SHOP)
    repo.commit("shop")

    def draw(seed):
        doc = audit_json(repo, "--mutate", "3", "--functions", "--seed", str(seed))
        assert doc["seed"] == seed and doc["totals"]["audited"] == 3
        return [(m["path"], m["function"]) for m in doc["mutants"]]

    first = draw(1)
    assert draw(1) == first
    assert len(set(first)) == 3
    assert any(draw(s) != first for s in (2, 3))


def test_functions_miss_is_named_by_function(repo):
    repo.write_many(HIDDEN)
    repo.commit("hidden")
    r = repo.impact("audit", "--mutate", "5", "--functions")
    assert r.returncode == 1, out(r) + err(r)
    assert ("tests/test_exec.py failed with the marker when scripts/mod.py:1 compute raises"
            in out(r))
    doc = audit_json(repo, "--mutate", "5", "--functions", code=1)
    muts = {m["function"]: m for m in doc["mutants"]}
    assert sorted(muts) == ["compute", "f"]
    assert muts["compute"]["missed"] == ["tests/test_exec.py"]
    assert muts["f"]["failing"] == ["tests/test_core.py"] and muts["f"]["missed"] == []


# Test methods inherited from a mixin in the tests' package __init__.py: the
# failure of an inherited method belongs to the test file that ran it, not
# to tests/__init__.py (which would stand for every test file of tests/).
MIXIN = {
    "lib/__init__.py": "",
    "lib/kinds.py": ("class Base:\n    def get(self):\n        return 1\n\n\n"
                     "class Fast(Base):\n    def get(self):\n        return 2\n"),
    "tests/__init__.py": ("class GetMixin:\n    Kind = None\n    want = None\n\n"
                          "    def test_get(self):\n        assert self.Kind().get() == self.want\n"),
    "tests/test_base.py": ("from lib.kinds import Base\n\nfrom . import GetMixin\n\n\n"
                           "class TestBase(GetMixin):\n    Kind = Base\n    want = 1\n"),
    "tests/test_fast.py": ("from lib.kinds import Fast\n\nfrom . import GetMixin\n\n\n"
                           "class TestFast(GetMixin):\n    Kind = Fast\n    want = 2\n"),
    "tests/test_other.py": "def test_other():\n    assert True\n",
}


def test_an_inherited_test_fails_in_the_file_that_ran_it(repo):
    repo.write_many(MIXIN)
    repo.commit("mixin")
    doc = audit_json(repo, "--mutate", "5", "--functions", "--records")
    muts = {m["function"]: m for m in doc["mutants"]}
    assert muts["Fast.get"]["failing"] == ["tests/test_fast.py"], muts["Fast.get"]
    assert muts["Fast.get"]["failing_tests"] == ["tests/test_fast.py::TestFast::test_get"]
    assert muts["Base.get"]["failing"] == ["tests/test_base.py"], muts["Base.get"]
    for m in muts.values():
        assert m["missed"] == [], m


# Data files a conftest collector turns into items, under their own folders.
CASES = {
    "check/__init__.py": "",
    "check/rules.py": "def upper(s):\n    return s.upper()\n\n\ndef lower(s):\n    return s.lower()\n",
    "cases/conftest.py": (
        "import pytest\nfrom check import rules\n\n\n"
        "def pytest_collect_file(parent, file_path):\n"
        "    if file_path.suffix == '.case':\n"
        "        return CaseFile.from_parent(parent, path=file_path)\n\n\n"
        "class CaseFile(pytest.File):\n    def collect(self):\n"
        "        for n, line in enumerate(self.path.read_text().splitlines()):\n"
        "            fn, arg, want = line.split()\n"
        "            yield CaseItem.from_parent(self, name=str(n), fn=fn, arg=arg, want=want)\n\n\n"
        "class CaseItem(pytest.Item):\n    def __init__(self, *, fn, arg, want, **kw):\n"
        "        super().__init__(**kw)\n        self.fn, self.arg, self.want = fn, arg, want\n\n"
        "    def runtest(self):\n        assert getattr(rules, self.fn)(self.arg) == self.want\n"),
    "cases/up/a.case": "upper a A\n",
    "cases/low/b.case": "lower B b\n",
    "tests/test_plain.py": "from check.rules import upper\n\n\ndef test_up():\n    assert upper('x') == 'X'\n",
}


def test_a_data_file_under_a_selected_folder_is_covered(repo):
    """Static selection names the collected folder; a failing data file
    below it is covered, statically and with records."""
    repo.write_many(CASES)
    repo.commit("cases")
    doc = audit_json(repo, "--mutate", "5", "--functions", "--records")
    for m in doc["mutants"]:
        assert m["missed"] == [] and m["static_missed"] == 0, m
        # The data files count among the suite's files: no share above 1.
        assert m["test_files"] == 3 and m["selected"] <= m["test_files"], m
    low = [m for m in doc["mutants"] if m["function"] == "lower"][0]
    assert low["failing"] == ["cases/low/b.case"]


def test_functions_goes_with_mutate_only(repo):
    repo.write_many(SHOP)
    repo.commit("shop")
    r = repo.impact("audit", "--full", "HEAD", "--functions")
    assert r.returncode == 2 and "--functions goes with --mutate only" in err(r)


def test_functions_from_tool_impact_audit(repo):
    repo.write_many(SHOP)
    repo.write("pyproject.toml", "[tool.impact.audit]\nmutate = 2\nfunctions = true\nseed = 1\n")
    repo.commit("shop with its audit")
    doc = audit_json(repo)
    assert doc["functions"] is True and doc["requested"] == 2 and doc["seed"] == 1
    first = [(m["path"], m["function"]) for m in doc["mutants"]]
    assert len(first) == 2
    # The command line's seed wins over the table's; the same seed, the same draw.
    again = audit_json(repo, "--seed", "1")
    assert [(m["path"], m["function"]) for m in again["mutants"]] == first
    r = repo.impact("audit", "--mutate", "1", "-q")
    assert r.returncode == 0 and "mutants of" in out(r) and "function (path" not in out(r)
    assert "from the configuration (pyproject.toml:1:1): --mutate 2 --functions --seed 1" in err(
        repo.impact("audit"))


def test_without_a_mode_or_an_audit_table(repo):
    repo.write_many(SHOP)
    repo.commit("shop")
    r = repo.impact("audit", "--functions")
    assert r.returncode == 2 and out(r) == ""
    assert "give one of --mutate N and --full <revspec>, or set 'mutate' in the [audit]" in err(r)


# A raise the code under test catches: `safe_price` turns any error into
# None, so a test of it fails with an assertion, never showing the marker.
SWALLOW = {
    "shop/__init__.py": "",
    "shop/core.py": (
        "def price(x):\n    return x * 2\n\n\n"
        "def safe_price(x):\n    try:\n        return price(x)\n    except Exception:\n"
        "        return None\n"),
    "tests/test_price.py": "from shop.core import price\n\n\ndef test_price():\n"
                           "    assert price(2) == 4\n",
    "tests/test_safe.py": "from shop.core import safe_price\n\n\ndef test_safe():\n"
                          "    assert safe_price(2) == 4\n",
}


def test_functions_a_caught_raise_is_listed_apart(repo, tmp_path):
    repo.write_many(SWALLOW)
    repo.commit("shop with a caught raise")
    doc = audit_json(repo, "--mutate", "2", "--functions")
    (m,) = [m for m in doc["mutants"] if m["function"] == "price"]
    # The marker shows in test_price only; test_safe fails all the same,
    # as a hand-made run of the same edit says.
    assert m["failing"] == ["tests/test_price.py"]
    assert m["other_failing"] == ["tests/test_safe.py"]
    # Both are selected; test_safe proves nothing either way, so it is out
    # of precision as it is out of the failing count (not 1 of 2).
    assert m["selected"] == 2 and m["precision"] == 1.0, m
    by_hand = failing_by_hand(tmp_path, "price", {
        **SWALLOW, "shop/core.py": SWALLOW["shop/core.py"].replace(
            "    return x * 2", "    raise RuntimeError('x')\n    return x * 2", 1)})
    assert by_hand == sorted(m["failing"] + m["other_failing"])
    text = out(repo.impact("audit", "--mutate", "2", "--functions"))
    assert "failed without the marker" in text
    assert "tests/test_safe.py when shop/core.py:1 price raises (selected)" in text, text


def test_doctest_text_files_count_as_test_files(repo):
    """A failing doctest text file is one of the suite's test files: selected
    when the selection runs it, missed when not, and precision never above 1."""
    repo.write_many({
        "pytest.ini": "[pytest]\naddopts = --doctest-glob=*.rst\n",
        "pkg/__init__.py": "",
        "pkg/core.py": "def add(a, b):\n    return a + b\n",
        "pkg/other.py": "def mul(a, b):\n    return a * b\n",
        "docs/usage.rst": "Adding\n======\n\n>>> from pkg.core import add\n>>> add(1, 2)\n3\n",
        "docs/plain.rst": "No examples here.\n",
        "tests/test_core.py": "from pkg.core import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        "tests/test_other.py": "from pkg.other import mul\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n",
    })
    repo.commit("docs")
    doc = audit_json(repo, "--mutate", "5")
    mods = {m["path"]: m for m in doc["modules"]}
    core = mods["pkg/core.py"]
    assert core["test_files"] == 3  # two test modules and the .rst with an example
    assert core["failing"] == ["docs/usage.rst", "tests/test_core.py"]
    assert "docs/usage.rst" in core["selected_files"] and core["missed"] == []
    t = doc["totals"]
    assert t["missed"] == 0 and 0 < t["precision"] <= 1


def test_a_module_mutant_that_breaks_nothing_is_left_out_of_the_totals(repo):
    """As with single functions: a module no test uses, mutated, breaks
    nothing; what was selected for it says nothing of precision, so it is
    listed apart and not summed (markupsafe's setup.py, 0 failing, 5
    selected by the full-suite rule, had halved the module audit's
    precision)."""
    files = dict(FLAT)
    files["pkg/unused.py"] = "def nobody():\n    return 0\n"
    repo.write_many(files)
    repo.commit("flat")
    r = repo.impact("audit", "--mutate", "20", "--json")
    assert r.returncode == 0, out(r) + err(r)
    doc = json.loads(out(r))
    quiet = [m for m in doc["modules"] if m["breaks_nothing"]]
    assert [m["path"] for m in quiet] == ["pkg/unused.py"], doc["modules"]
    assert doc["breaks_nothing"] == [{"path": "pkg/unused.py", "selected": quiet[0]["selected"]}]
    t = doc["totals"]
    assert t["breaks_nothing"] == 1
    broke = [m for m in doc["modules"] if not m["breaks_nothing"] and not m.get("skipped")]
    assert t["failing"] == sum(len(m["failing"]) for m in broke)
    assert t["selected"] == sum(m["selected"] for m in broke)
