"""`pytest --impact [REVSPEC]` and `impact plugin install|uninstall|status`.

Real repositories, the real impact binary and real pytest (the
interpreter running this suite, which has pytest and pytest-xdist): the
plugin is loaded either with `-p impact_pytest_select` and this source
tree's share/impact/python on PYTHONPATH, or through the pytest11 entry
point `impact plugin install` writes into a real venv made with
`<this python> -m venv --system-site-packages`. What pytest runs is read
from its own `-rA` summary and compared with `impact --list`.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import IMPACT_BIN
from layouts import FLAT

PYDIR = Path(__file__).resolve().parents[2] / "share" / "impact" / "python"

# An autouse fixture failing the tests named in $E2E_FAIL (for --lf).
CONFTEST = ("import os\n\nimport pytest\n\n\n@pytest.fixture(autouse=True)\n"
            "def _maybe_fail(request):\n"
            "    if request.node.name in os.environ.get('E2E_FAIL', '').split(','):\n"
            "        pytest.fail('asked to fail')\n")
ALL_TESTS = sorted(p for p in FLAT if p.startswith("tests/test_"))


def text(r):
    return r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")


def ran(r):
    """The test files pytest reported a result for (-rA summary)."""
    files = set()
    for m in re.finditer(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+?\.py)",
                         r.stdout.decode(errors="replace"), re.M):
        files.add(m.group(2))
    return sorted(files)


def pytest_run(repo, *args, python=sys.executable, via_path=True, env=None, cache=False):
    e = dict(repo.env)
    e["IMPACT_BIN"] = IMPACT_BIN
    if via_path:
        e["PYTHONPATH"] = str(PYDIR)
    if env:
        e.update(env)
    e = {k: v for k, v in e.items() if v is not None}
    argv = [python, "-m", "pytest", "-rA"]
    if not cache:
        argv += ["-p", "no:cacheprovider"]
    if via_path:
        argv += ["-p", "impact_pytest_select"]
    return subprocess.run(argv + list(args), cwd=repo.path, env=e, capture_output=True,
                          timeout=300)


@pytest.fixture
def flat(repo):
    """FLAT committed, then a commit changing pkg/util.py."""
    repo.write_many(FLAT)
    repo.write("tests/conftest.py", CONFTEST)
    repo.write(".gitignore", ".venv/\nvenv/\n.pytest_cache/\n")
    repo.commit("layout")
    repo.write("pkg/util.py", "def helper():\n    return 1 + 1\n")
    repo.commit("util")
    return repo


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_deselects_exactly_what_list_leaves_out(flat, xdist):
    listed = flat.listing("HEAD~1..")
    assert listed and len(listed) < len(ALL_TESTS)
    r = pytest_run(flat, "--impact", "HEAD~1..", *xdist)
    assert r.returncode == 0, text(r)
    assert ran(r) == sorted(listed)
    assert "impact: 1 changed files (HEAD~1..HEAD), %d test files selected" % len(listed) in text(r)
    if not xdist:
        # One test per file in FLAT: every other file's test is counted as deselected.
        assert "%d deselected" % (len(ALL_TESTS) - len(listed)) in text(r)


def test_explain_prints_the_chain_of_each_kept_file(flat):
    r = pytest_run(flat, "--impact", "HEAD~1..", "--impact-explain")
    assert r.returncode == 0, text(r)
    # The words of `impact --explain`, one line per kept file.
    explained = [l for l in flat.impact("--explain", "HEAD~1..").stdout.decode().splitlines()
                 if l.startswith("tests/")]
    assert len(explained) == len(flat.listing("HEAD~1..")) == 2
    for line in explained:
        assert line in text(r)
    assert "impact: why these tests" in text(r)


def test_no_revspec_is_the_working_tree(flat):
    flat.write("pkg/core.py", "def run():\n    return 0 + 1\n")
    r = pytest_run(flat, "--impact")
    assert r.returncode == 0, text(r)
    listed = flat.listing()
    assert "tests/test_core.py" in listed and len(listed) < len(ALL_TESTS)
    assert ran(r) == sorted(listed)


def test_full_suite_deselects_nothing(flat):
    flat.write("pyproject.toml", FLAT["pyproject.toml"] + "markers = [\"slow\"]\n")
    flat.commit("config")
    r = pytest_run(flat, "--impact", "HEAD~1..")
    assert r.returncode == 0, text(r)
    assert ran(r) == ALL_TESTS
    assert "deselected" not in r.stdout.decode().strip().splitlines()[-1]
    assert "impact: full suite (HEAD~1..HEAD)" in text(r)


def test_nothing_selected_is_success(flat):
    flat.write("README.md", "# pkg, documented\n")
    flat.commit("docs")
    assert flat.listing("HEAD~1..") == []
    r = pytest_run(flat, "--impact", "HEAD~1..")
    assert r.returncode == 0, text(r)
    assert ran(r) == []
    assert "%d deselected" % len(ALL_TESTS) in text(r)


def test_without_impact_everything_runs_and_one_line_says_why(flat, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    r = pytest_run(flat, "--impact", "HEAD~1..",
                   env={"IMPACT_BIN": None, "PATH": "%s:/usr/bin:/bin" % empty})
    # /usr/bin may hold an installed impact: only a missing one must be said.
    if not os.path.exists("/usr/bin/impact"):
        assert r.returncode == 0, text(r)
        assert ran(r) == ALL_TESTS
        lines = [l for l in text(r).splitlines() if l.startswith("impact: running every test")]
        assert lines and "impact binary was not found" in lines[0]


def test_failing_impact_runs_everything_and_says_why(flat):
    r = pytest_run(flat, "--impact", "no-such-rev..")
    assert r.returncode == 0, text(r)
    assert ran(r) == ALL_TESTS
    assert re.search(r"^impact: running every test: impact exited with 2: .*no-such-rev",
                     text(r), re.M), text(r)


def test_composes_with_k(flat):
    listed = flat.listing("HEAD~1..")
    assert "tests/test_models.py" in listed and "tests/test_util.py" in listed
    r = pytest_run(flat, "--impact", "HEAD~1..", "-k", "model")
    assert r.returncode == 0, text(r)
    assert ran(r) == ["tests/test_models.py"]


def test_composes_with_lf(flat):
    # Last run: a test outside the selection and one inside it failed.
    r = pytest_run(flat, env={"E2E_FAIL": "test_run,test_model"}, cache=True)
    assert r.returncode == 1 and ran(r) == ALL_TESTS, text(r)
    assert "tests/test_core.py" not in flat.listing("HEAD~1..")
    r = pytest_run(flat, "--impact", "HEAD~1..", "--lf", cache=True)
    assert r.returncode == 0, text(r)
    assert ran(r) == ["tests/test_models.py"]


def test_inside_a_run_of_impact_it_stands_aside(flat):
    r = pytest_run(flat, "--impact", "HEAD~1..", env={"IMPACT_RUN_ID": "e2e"})
    assert r.returncode == 0, text(r)
    assert ran(r) == ALL_TESTS
    assert "inside a run started by impact" in text(r)


def impact(repo, *args, env=None):
    """The impact binary in `repo`, with `env` over its environment (None removes)."""
    e = dict(repo.env)
    e.update(env or {})
    e = {k: v for k, v in e.items() if v is not None}
    return subprocess.run([IMPACT_BIN, *args], cwd=repo.path, env=e, capture_output=True,
                          timeout=300)


# ---- impact plugin install | uninstall | status, in a real venv ----

def tree_bytes(root):
    out = {}
    for p in sorted(Path(root).rglob("*")):
        out[str(p.relative_to(root))] = p.read_bytes() if p.is_file() else None
    return out


def make_venv(path):
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(path)], check=True, capture_output=True, timeout=300)
    sp = subprocess.run([str(path / "bin" / "python"), "-c",
                         "import sysconfig; print(sysconfig.get_path('purelib'))"],
                        check=True, capture_output=True, timeout=60)
    return Path(sp.stdout.decode().strip())


@pytest.mark.parametrize("where", [".venv", "VIRTUAL_ENV"])
def test_install_uninstall_in_a_real_venv(flat, tmp_path, where):
    venv = flat.path / ".venv" if where == ".venv" else tmp_path / "venv"
    site = make_venv(venv)
    env = {"IMPACT_PYTHON": None}
    if where == "VIRTUAL_ENV":
        env["VIRTUAL_ENV"] = str(venv)
    before = tree_bytes(venv)
    python = str(venv / "bin" / "python")

    r = impact(flat, "plugin", "status", env=env)
    assert r.returncode == 0, text(r)
    assert "plugin: not installed" in text(r)
    assert str(site) in text(r)

    r = impact(flat, "plugin", "install", env=env)
    assert r.returncode == 0, text(r)
    assert (site / "impact_pytest_select.py").read_bytes() == \
        (PYDIR / "impact_pytest_select.py").read_bytes()
    eps = list(site.glob("impact_pytest_select-*.dist-info/entry_points.txt"))
    assert len(eps) == 1 and "[pytest11]" in eps[0].read_text()
    assert impact(flat, "plugin", "install", env=env).returncode == 0  # idempotent
    assert "plugin: installed" in text(impact(flat, "plugin", "status", env=env))

    # The entry point alone: no -p, no PYTHONPATH.
    r = pytest_run(flat, "--impact", "HEAD~1..", python=python, via_path=False,
                   env={"PYTHONPATH": None})
    assert r.returncode == 0, text(r)
    assert ran(r) == sorted(flat.listing("HEAD~1.."))
    # -p with the module on PYTHONPATH too: registered once, under one name.
    r = pytest_run(flat, "--impact", "HEAD~1..", "-n", "2", python=python)
    assert r.returncode == 0, text(r)
    assert ran(r) == sorted(flat.listing("HEAD~1.."))
    # A run of impact itself, with its recording plugin, in that interpreter.
    r = impact(flat, "HEAD~1..", env=env)
    assert r.returncode == 0, text(r)
    assert "passed" in text(r)

    r = impact(flat, "plugin", "uninstall", env=env)
    assert r.returncode == 0, text(r)
    assert "plugin: removed" in text(r)
    assert tree_bytes(venv) == before
    r = impact(flat, "plugin", "uninstall", env=env)
    assert r.returncode == 0 and "not installed" in text(r)


def test_install_refuses_a_system_interpreter(flat):
    if sys.prefix != sys.base_prefix:
        pytest.skip("this suite runs in a virtual environment")
    r = impact(flat, "plugin", "install", env={"IMPACT_PYTHON": sys.executable})
    assert r.returncode == 2, text(r)
    assert "not a virtual environment" in text(r)


def test_install_leaves_a_foreign_module_alone(flat, tmp_path):
    site = make_venv(flat.path / ".venv")
    (site / "impact_pytest_select.py").write_text("# someone else's\n")
    r = impact(flat, "plugin", "install", env={"IMPACT_PYTHON": None})
    assert r.returncode == 2, text(r)
    assert "impact did not install it" in text(r)
    assert (site / "impact_pytest_select.py").read_text() == "# someone else's\n"


def test_plugin_usage(flat):
    r = impact(flat, "plugin", "frobnicate")
    assert r.returncode == 2 and "unknown subcommand" in text(r)
    r = impact(flat, "plugin", "--help")
    assert r.returncode == 0 and "impact plugin install" in text(r)
