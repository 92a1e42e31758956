"""The runner: interpreter choice, pre-flight, time limits, process
hygiene, results and the report, the last-run record, CI formats, known
flaky tests and exit codes, with real pytest in real repositories.

Every run is real: a git repository, the impact binary, the interpreter
running this suite (IMPACT_PYTHON, set by conftest.py) or one made here.
impact's pytest plugin comes from this source tree (IMPACT_DATA_DIR).
"""
import glob
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "share" / "impact"


def out(r):
    return r.stdout.decode(errors="replace")


def err(r):
    return r.stderr.decode(errors="replace")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return False


def with_marker(run_id):
    """Live processes whose environment holds IMPACT_RUN_ID=<run_id>."""
    needle = f"IMPACT_RUN_ID={run_id}".encode()
    found = []
    for d in glob.glob("/proc/[0-9]*"):
        try:
            env = Path(d, "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if needle in env and alive(int(d.rsplit("/", 1)[1])):
            found.append(int(d.rsplit("/", 1)[1]))
    return found


def last_run(repo):
    return json.loads((repo.path / ".git" / "impact" / "last-run.json").read_text())


@pytest.fixture
def proj(repo):
    repo.env["IMPACT_DATA_DIR"] = str(DATA_DIR)
    repo.write_many({
        "pkg/__init__.py": "",
        "pkg/core.py": "def f():\n    return 1\n",
        "tests/test_core.py": "from pkg.core import f\n\n\ndef test_f():\n    assert f() == 1\n",
    })
    repo.commit("base")
    return repo


def add_test(repo, name, body):
    repo.write(f"tests/{name}", body)
    repo.commit(f"add {name}")


def make_venv(where, system_site=True):
    args = ["/usr/bin/python3", "-m", "venv", "--without-pip"]
    if system_site:
        args.append("--system-site-packages")
    subprocess.run([*args, str(where)], check=True)
    return where / "bin" / "python"


# --- time limits, Ctrl-C, process hygiene ----------------------------------

def test_timeout_stops_a_test_that_ignores_sigint(proj):
    add_test(proj, "test_stuck.py",
             "import signal, time\n\n\ndef test_quick():\n    pass\n\n\ndef test_stuck():\n"
             "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    time.sleep(60)\n")
    t = time.monotonic()
    r = proj.impact("HEAD", "--timeout", "3", "--grace", "1")
    assert r.returncode == 4, err(r)
    assert time.monotonic() - t < 20
    assert "timed out after 3 s" in err(r) and "SIGKILL after 1 s of grace" in err(r)
    # The plugin said which test was running: it is recorded, so --last-failed reruns it.
    store = last_run(proj)
    assert store["exit_code"] == 4
    assert store["counts"]["passed"] == 1
    assert [f["nodeid"] for f in store["failures"]] == ["tests/test_stuck.py::test_stuck"]
    assert "timed out" in store["failures"][0]["message"]


def test_ctrl_c_is_forwarded_politely(proj, tmp_path):
    marker = tmp_path / "teardown-ran"
    started = tmp_path / "started"
    add_test(proj, "test_slow.py",
             "import time\n\n\ndef test_slow():\n"
             f"    open({str(started)!r}, 'w').write('yes')\n"
             "    try:\n        time.sleep(60)\n"
             f"    finally:\n        open({str(marker)!r}, 'w').write('yes')\n")
    p = subprocess.Popen(proj.impact_argv("HEAD", "--no-preflight"), cwd=proj.path, env=proj.env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists()
    p.send_signal(signal.SIGINT)
    o, e = p.communicate(timeout=60)
    assert p.returncode == 130, e.decode()
    assert "interrupted" in e.decode()
    assert marker.read_text() == "yes"  # the test's teardown ran: SIGINT, not SIGKILL


def test_second_ctrl_c_kills_at_once(proj, tmp_path):
    started = tmp_path / "started"
    add_test(proj, "test_deaf.py",
             "import signal, time\n\n\ndef test_deaf():\n"
             "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
             f"    open({str(started)!r}, 'w').write('yes')\n    time.sleep(60)\n")
    p = subprocess.Popen(proj.impact_argv("HEAD", "--no-preflight", "--grace", "30"), cwd=proj.path,
                         env=proj.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    time.sleep(0.3)
    t = time.monotonic()
    p.send_signal(signal.SIGINT)
    o, e = p.communicate(timeout=20)
    assert time.monotonic() - t < 10  # not the 30 s grace
    assert p.returncode == 130 and "second interrupt" in e.decode()


def test_orphans_are_reaped(proj, tmp_path):
    info = tmp_path / "info"
    # A child left running, one in its own session, and a double-forked
    # daemon with an empty environment in its own session: only the
    # subreaper finds that one.
    add_test(proj, "test_orphan.py",
             "import os, subprocess, sys\n\n\ndef test_leaves_children():\n"
             "    a = subprocess.Popen(['sleep', '300'])\n"
             "    b = subprocess.Popen(['sleep', '301'], start_new_session=True)\n"
             "    r, w = os.pipe()\n"
             "    if os.fork() == 0:\n"
             "        os.setsid()\n"
             "        if os.fork() == 0:\n"
             "            os.write(w, str(os.getpid()).encode())\n"
             "            os.execve('/bin/sleep', ['sleep', '302'], {})\n"
             "        os._exit(0)\n"
             "    c = int(os.read(r, 64))\n"
             f"    open({str(info)!r}, 'w').write("
             "f\"{os.environ['IMPACT_RUN_ID']} {a.pid} {b.pid} {c}\")\n")
    r = proj.impact("HEAD", "--grace", "1")
    assert r.returncode == 0, out(r) + err(r)
    assert "reaped 3 stray processes" in err(r)
    run_id, *pids = info.read_text().split()
    for pid in map(int, pids):
        assert not alive(pid)
    assert with_marker(run_id) == []


def test_never_stages_or_commits(proj):
    """Bytes of the index, HEAD and every ref are the same after a run whose
    test rewrites a tracked file; `git status` shows only that edit."""
    proj.write("data.txt", "original\n")
    proj.commit("data")
    add_test(proj, "test_writes.py",
             "from pathlib import Path\n\n\ndef test_rewrites_a_tracked_file():\n"
             "    Path('data.txt').write_text('changed by a test\\n')\n")
    before = proj.state()
    assert proj.git("status", "--porcelain") == ""
    r = proj.impact("HEAD")
    assert r.returncode == 0, out(r) + err(r)
    assert proj.state() == before
    assert proj.git("status", "--porcelain") == " M data.txt\n"
    # Uncommitted-changes mode reads the index and the work tree: still untouched.
    proj.write("tests/test_writes.py", proj.path.joinpath("tests/test_writes.py").read_text() + "\n")
    before = proj.state()
    r = proj.impact()
    assert r.returncode == 0, out(r) + err(r)
    assert proj.state() == before
    assert sorted(proj.git("status", "--porcelain").splitlines()) == [" M data.txt",
                                                                     " M tests/test_writes.py"]


# --- results and the report ------------------------------------------------

def test_report_names_the_likely_cause(proj):
    proj.write("pkg/core.py", "def f():\n    return 2\n")
    proj.commit("break")
    r = proj.impact("HEAD")
    assert r.returncode == 1
    e = err(r)
    assert "impact: 0 passed, 1 failed, 0 errors, 0 skipped, 0 xfailed, 0 xpassed in " in e
    assert "FAILED tests/test_core.py::test_f" in e
    assert "| E   assert 2 == 1" in e  # the short traceback
    assert "likely caused by this change: pkg/core.py" in e


def test_unrelated_failure_is_called_so(proj):
    # The full suite runs (config change): a failing test no change reaches.
    add_test(proj, "test_env.py", "def test_env():\n    assert False, 'environment'\n")
    proj.write("pyproject.toml", "[project]\nname = 'p'\n")
    proj.commit("config")
    r = proj.impact("HEAD", "--no-default-flags")
    assert r.returncode == 1
    assert "FAILED tests/test_env.py::test_env" in err(r)
    assert "not reached by this change: possibly flaky or environmental" in err(r)


def src_layout(repo, pythonpath):
    """A src/ layout project, on pytest's pythonpath or not (then nothing
    installs it: the repository's own package cannot be imported)."""
    repo.write_many({
        "src/mypkg/__init__.py": "",
        "src/mypkg/core.py": "def f():\n    return 1\n",
        "tests/test_core.py": "from mypkg.core import f\n\n\ndef test_f():\n    assert f() == 1\n",
        "pytest.ini": "[pytest]\n" + ("pythonpath = src\n" if pythonpath else ""),
    })
    repo.commit("src layout")


def broken_import_runs(repo, pythonpath, core, missing):
    """src_layout, then src/mypkg/core.py becomes `core`: the stderr of a
    selection and of `--all`, each stopping in pytest's collection with
    exit 3 on No module named `missing`."""
    src_layout(repo, pythonpath=pythonpath)
    repo.write("src/mypkg/core.py", core)
    repo.commit("change core")
    out = []
    for args in (["HEAD"], ["--all"]):
        r = repo.impact(*args)
        e = err(r)
        assert r.returncode == 3, e  # a collection error: the project's to fix
        assert "No module named '%s'" % missing in e
        out.append(e)
    return out


def test_a_package_the_environment_cannot_import_is_not_blamed_on_the_change(repo):
    """pytest cannot import the repository's own package at all (a src/
    layout, not installed, not on pythonpath): the report of a selection
    and of a whole-suite run says it is the environment and how to fix it,
    not that the change caused it."""
    for run in broken_import_runs(repo, False, "def f():\n    return 1 + 0\n", "mypkg"):
        assert ("the environment, not a change: Python cannot import the repository's own "
                "package 'mypkg' (install the project") in run
        assert "likely caused by this change" not in run


def test_a_missing_submodule_is_still_the_change(repo):
    """The package imports, a module of it does not ('mypkg.nope'): that
    is the change's doing, and nothing says otherwise."""
    selection, whole = broken_import_runs(
        repo, True, "import mypkg.nope\n\n\ndef f():\n    return 1\n", "mypkg.nope")
    assert "own package" not in selection
    assert "the environment, not a change" not in whole


OUTCOMES = (
    "import pytest\n\n\n"
    "def test_pass():\n    pass\n\n\n"
    "def test_fail():\n    assert 1 == 2\n\n\n"
    "@pytest.fixture\ndef broken():\n    raise RuntimeError('setup broke')\n\n\n"
    "def test_error(broken):\n    pass\n\n\n"
    "def test_skip():\n    pytest.skip('not here')\n\n\n"
    "@pytest.mark.xfail\ndef test_xfail():\n    assert 0\n\n\n"
    "@pytest.mark.xfail\ndef test_xpass():\n    pass\n\n\n"
    "class TestGroup:\n    @pytest.mark.parametrize('x', ['a b', 'c'])\n"
    "    def test_param(self, x):\n        assert x != 'c'\n"
)


@pytest.mark.parametrize("plugin", [True, False])
def test_counts_and_node_ids(proj, tmp_path, plugin):
    if not plugin:  # JUnit XML alone: xpassed looks like passed, the rest is the same
        proj.env["IMPACT_DATA_DIR"] = str(tmp_path / "empty")
    add_test(proj, "test_outcomes.py", OUTCOMES)
    r = proj.impact("HEAD", "--no-default-flags")
    assert r.returncode == 1, out(r) + err(r)
    counts = last_run(proj)["counts"]
    assert counts == {"passed": 2 if plugin else 3, "failed": 2, "errors": 1, "skipped": 1,
                      "xfailed": 1, "xpassed": 1 if plugin else 0}
    ids = {f["nodeid"]: f for f in last_run(proj)["failures"]}
    assert set(ids) == {"tests/test_outcomes.py::test_fail", "tests/test_outcomes.py::test_error",
                        "tests/test_outcomes.py::TestGroup::test_param[c]"}
    assert ids["tests/test_outcomes.py::test_fail"]["line"] == 9
    assert ids["tests/test_outcomes.py::test_fail"]["file"] == "tests/test_outcomes.py"
    assert "ERROR tests/test_outcomes.py::test_error" in err(r)


def test_a_test_that_crashes_pytest(proj):
    add_test(proj, "test_crash.py",
             "import os, signal\n\n\ndef test_ok():\n    pass\n\n\n"
             "def test_crash():\n    os.kill(os.getpid(), signal.SIGKILL)\n")
    r = proj.impact("HEAD")
    assert r.returncode == 1, out(r) + err(r)
    assert "pytest died of signal 9" in err(r)
    assert [f["nodeid"] for f in last_run(proj)["failures"]] == ["tests/test_crash.py::test_crash"]


def test_last_failed_and_the_store(proj):
    proj.write("pkg/core.py", "def f():\n    return 2\n")
    proj.commit("break")
    assert proj.impact("HEAD").returncode == 1
    store = last_run(proj)
    assert set(store) == {"version", "commit", "range", "started", "duration_s", "exit_code",
                          "counts", "failures", "log", "tested"}
    assert store["version"] == 1 and store["exit_code"] == 1 and store["log"] is None
    assert store["tested"] == "the work tree"
    assert store["commit"] == proj.git("rev-parse", "HEAD").strip()
    assert store["range"] == "HEAD^..HEAD"
    assert store["started"].endswith("Z") and store["duration_s"] > 0
    assert store["failures"] == [{"nodeid": "tests/test_core.py::test_f",
                                  "file": "tests/test_core.py", "line": 5,
                                  "message": store["failures"][0]["message"], "flaky": False}]
    assert "assert 2 == 1" in store["failures"][0]["message"]
    r = proj.impact("--last-failed")
    assert r.returncode == 1 and "tests/test_core.py::test_f" in err(r)
    assert "rerunning the 1 test that failed" in err(r)
    proj.write("pkg/core.py", "def f():\n    return 1\n")  # fixed, uncommitted
    r = proj.impact("--last-failed")
    assert r.returncode == 0, err(r)
    assert last_run(proj)["range"] == "HEAD^..HEAD" and last_run(proj)["commit"] is None
    r = proj.impact("--last-failed")
    assert r.returncode == 0 and "nothing failed" in err(r)


def test_last_failed_after_the_test_was_removed(proj):
    add_test(proj, "test_gone.py", "def test_gone():\n    assert 0\n")
    assert proj.impact("HEAD").returncode == 1
    proj.write("tests/test_gone.py", "def test_renamed():\n    pass\n")
    r = proj.impact("--last-failed")
    assert r.returncode == 3, err(r)
    assert "ERROR tests/test_gone.py::test_gone (collection)" in err(r)
    assert "not found (renamed or removed?)" in err(r)


def test_last_failed_without_history(proj):
    r = proj.impact("--last-failed")
    assert r.returncode == 0 and "nothing to rerun" in err(r)


def test_junitxml_and_github_format(proj, tmp_path):
    proj.write("pkg/core.py", "def f():\n    return 2\n")
    proj.commit("break")
    xml = tmp_path / "report.xml"
    r = proj.impact("HEAD", "--junitxml", str(xml), "--format", "github")
    assert r.returncode == 1
    assert 'name="test_f"' in xml.read_text()
    lines = [l for l in out(r).splitlines() if l.startswith("::")]
    assert lines and lines[0].startswith(
        "::error file=tests/test_core.py,line=5::tests/test_core.py::test_f assert 2 == 1%0A")
    # A --junitxml among pytest's own arguments is kept too.
    xml2 = tmp_path / "own.xml"
    r = proj.impact("HEAD", "--", f"--junitxml={xml2}")
    assert r.returncode == 1 and 'name="test_f"' in xml2.read_text()


FAILING_SHAPES = (
    "import pytest\n\n\n"
    "@pytest.fixture\ndef broken():\n    raise RuntimeError('setup \\x1b[31mred boom')\n\n\n"
    "@pytest.fixture\ndef bad_teardown():\n    yield 1\n    raise ValueError('teardown boom')\n\n\n"
    "def test_fail():\n    assert {'a': 1} == {'a': 2}, 'multi\\nline\\tmsg'\n\n\n"
    "def test_setup_error(broken):\n    pass\n\n\n"
    "def test_fail_and_teardown(bad_teardown):\n    assert 0\n\n\n"
    "def test_skip_inside():\n    pytest.skip('inside\\nskip')\n\n\n"
    "@pytest.mark.xfail(reason='known')\ndef test_xfail():\n    assert 0\n\n\n"
    "@pytest.mark.xfail(reason='strictly', strict=True)\ndef test_xpass_strict():\n    pass\n")


def test_the_plugins_events_are_the_record_without_junit_xml(proj, tmp_path):
    # pytest writes no JUnit XML for impact (it cost ~60 us a test): the
    # plugin's events carry the messages and tracebacks, the same as the
    # XML gives where the user asks for the file.
    add_test(proj, "test_shapes.py", FAILING_SHAPES)
    args = ("HEAD", "--no-default-flags", "--", "--tb=short", "-p", "no:cacheprovider")
    r = proj.impact(*args)
    assert r.returncode == 1, out(r) + err(r)
    assert "generated xml file" not in out(r) + err(r)
    assert not list((proj.path / ".git" / "impact").glob("run-*.xml"))
    plain = last_run(proj)
    assert "raise RuntimeError" in err(r) and "teardown boom" in err(r)
    xml = tmp_path / "report.xml"
    r = proj.impact("--junitxml", str(xml), *args)
    assert r.returncode == 1 and xml.exists()
    with_xml = last_run(proj)
    assert plain["counts"] == with_xml["counts"] == {
        "passed": 0, "failed": 3, "errors": 2, "skipped": 1, "xfailed": 1, "xpassed": 0}
    assert [f["message"] for f in plain["failures"]] == [f["message"] for f in with_xml["failures"]]
    assert "failed on setup with \"RuntimeError: setup #x1B[31mred boom\"" in [
        f["message"] for f in plain["failures"]]
    # A user's own junitxml setting is theirs: pytest writes their file.
    own = tmp_path / "own.xml"
    proj.write("pytest.ini", f"[pytest]\naddopts = --junitxml={own}\n")
    proj.commit("own junit")
    r = proj.impact("--all")
    assert r.returncode == 1 and 'name="test_fail"' in own.read_text()


def test_json_with_results(proj):
    proj.write("pkg/core.py", "def f():\n    return 2\n")
    proj.commit("break")
    r = proj.impact("HEAD", "--json", "--run")
    assert r.returncode == 1
    doc = json.loads(out(r))  # stdout is only the JSON; pytest's output went to stderr
    assert [t["path"] for t in doc["selected"]] == ["tests/test_core.py"]
    assert doc["run"] == last_run(proj)
    assert doc["run"]["failures"][0]["nodeid"] == "tests/test_core.py::test_f"
    assert "short test summary" in err(r)
    # Nothing to run: still one JSON object.
    proj.write("README.md", "# docs\n")
    proj.commit("docs")
    r = proj.impact("HEAD", "--json", "--run")
    assert r.returncode == 0
    doc = json.loads(out(r))
    assert doc["selected"] == [] and doc["run"] is None


def test_json_on_a_collection_error(proj):
    add_test(proj, "test_broken.py", "import no_such_module_abc\n")
    r = proj.impact("HEAD", "--json", "--run")
    assert r.returncode == 3
    run = json.loads(out(r))["run"]
    assert run["exit_code"] == 3 and run["counts"]["errors"] == 1
    assert run["failures"][0]["nodeid"] == "tests/test_broken.py"
    assert run["failures"][0]["message"] == "ModuleNotFoundError: No module named 'no_such_module_abc'"


# --- the command -----------------------------------------------------------

def test_pytest_args_pass_through(proj):
    add_test(proj, "test_two.py", "def test_a():\n    pass\n\n\ndef test_b():\n    pass\n")
    r = proj.impact("HEAD", "--", "-k", "test_b", "-v")
    assert r.returncode == 0
    assert "test_b PASSED" in out(r) and "test_a PASSED" not in out(r)
    assert "-x --tb=short --no-header -k test_b -v tests/test_two.py" in err(r)
    r = proj.impact("HEAD", "--no-default-flags", "--", "-q")
    assert "pytest -q tests/test_two.py" in err(r)


def test_node_id_targets(proj):
    # --last-failed passes node ids; so can a user after --.
    add_test(proj, "test_two.py", "def test_a():\n    pass\n\n\ndef test_b():\n    assert 0\n")
    r = proj.impact("HEAD", "--", "tests/test_two.py::test_a")
    assert r.returncode == 1  # the selected file runs too
    assert last_run(proj)["counts"]["failed"] == 1


def test_workers_with_and_without_xdist(proj, tmp_path):
    add_test(proj, "test_many.py", "".join(f"def test_{i}():\n    pass\n\n\n" for i in range(6)))
    r = proj.impact("HEAD", "-n", "2")
    assert r.returncode == 0, out(r) + err(r)
    assert "-n 2" in err(r) and "6 passed" in out(r)
    assert last_run(proj)["counts"]["passed"] == 6
    # An interpreter without xdist: said, and the run is serial.
    wrapper = tmp_path / "python-without-xdist"
    wrapper.write_text("#!/bin/sh\n"
                       "[ \"$1\" = -c ] && [ \"$2\" = 'import xdist' ] && exit 1\n"
                       f"exec {sys.executable} \"$@\"\n")
    wrapper.chmod(0o755)
    r = proj.impact("HEAD", "-n", "2", env={"IMPACT_PYTHON": str(wrapper)})
    assert r.returncode == 0, out(r) + err(r)
    assert "pytest-xdist is not importable" in err(r) and "-n 2" not in err(r)
    assert proj.impact("HEAD", "-n", "lots").returncode == 2


@pytest.mark.parametrize("no_color", [False, True])
def test_live_status_line_on_a_terminal(proj, no_color):
    add_test(proj, "test_paced.py",
             "import time\n\n\n" + "".join(f"def test_{i}():\n    time.sleep(0.4)\n\n\n" for i in range(4)))
    env = dict(proj.env)
    env.pop("NO_COLOR", None)
    if no_color:
        env["NO_COLOR"] = "1"
    cmd = " ".join(shlex.quote(a) for a in proj.impact_argv("HEAD"))
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], cwd=proj.path, env=env,
                       capture_output=True, timeout=120)
    text = r.stdout.decode(errors="replace")
    assert "\r\x1b[K" in text                       # a line redrawn in place
    assert "tests/test_paced.py::test_" in text     # the current test
    assert any(f"{k} passed, 0 failed" in text for k in (1, 2, 3))  # counts move
    assert "pytest's output: " in text
    assert ("\x1b[32m" in text) != no_color         # colour only without NO_COLOR
    log = (proj.path / ".git" / "impact" / "last-run.log").read_text()
    assert "4 passed" in log
    assert last_run(proj)["log"].endswith("last-run.log")


# --- exit codes ------------------------------------------------------------

@pytest.mark.parametrize("body,args,code", [
    ("def test_ok():\n    pass\n", [], 0),
    ("def test_bad():\n    assert False\n", [], 1),
    ("def test_ok():\n    pass\n", ["--", "-k", "nothing_matches"], 0),       # pytest's 5
    ("def test_ok():\n    pass\n", ["--", "--no-such-option"], 2),             # pytest's 4
    ("def test_ok():\n    pass\n", ["--no-preflight", "--", "--no-such-option"], 2),
    ("import nonexistent_module_xyz\n", [], 3),
    ("import nonexistent_module_xyz\n", ["--no-preflight"], 3),               # pytest's 2
    ("import pytest\n\n\ndef test_exit():\n    pytest.exit('stop')\n", [], 1),  # stopped inside
])
def test_exit_codes(proj, body, args, code):
    add_test(proj, "test_case.py", body)
    r = proj.impact("HEAD", *args)
    assert r.returncode == code, out(r) + err(r)
    assert last_run(proj)["exit_code"] == code


def test_usage_error_exit_code(proj):
    assert proj.impact("--timeout", "soon").returncode == 2


# --- pre-flight ------------------------------------------------------------

def test_collection_error_names_the_file(proj):
    add_test(proj, "test_broken.py", "import os\nimport no_such_module_abc\n\n\ndef test_x():\n    pass\n")
    # The run's own collection is the check: it stops before any test runs.
    r = proj.impact("HEAD")
    assert r.returncode == 3
    assert "ERROR tests/test_broken.py (collection)" in err(r)
    assert "tests/test_broken.py:2: in <module>" in err(r)
    assert "E   ModuleNotFoundError: No module named 'no_such_module_abc'" in err(r)
    assert "likely caused by this change: tests/test_broken.py" in err(r)
    assert "passed" not in out(r)  # stopped before the run
    assert last_run(proj)["exit_code"] == 3
    r = proj.impact("HEAD", "--no-preflight")
    assert r.returncode == 3
    assert "ERROR tests/test_broken.py (collection)" in err(r)


COUNT_COLLECTIONS = (
    "import os\n\n\n"
    "def pytest_collection_finish(session):\n"
    "    with open(os.environ['COLLECTIONS'], 'a') as f:\n"
    "        f.write('collected\\n')\n")


def test_a_run_is_collected_once(proj, tmp_path):
    # pytest's collection stops on errors before any test runs: no
    # collection check beforehand (each run collects once, not twice).
    counter = tmp_path / "collections"
    proj.write_many({"conftest.py": COUNT_COLLECTIONS})
    proj.commit("count collections")
    proj.env["COLLECTIONS"] = str(counter)
    r = proj.impact("--all")
    assert r.returncode == 0, out(r) + err(r)
    assert counter.read_text().count("collected") == 1
    # A selection too.
    counter.unlink()
    add_test(proj, "test_more.py", "def test_more():\n    pass\n")
    r = proj.impact("HEAD")
    assert r.returncode == 0, out(r) + err(r)
    assert counter.read_text().count("collected") == 1
    # A full suite that does not collect still stops before any test, exit 3.
    add_test(proj, "test_broken.py", "import no_such_module_abc\n\n\ndef test_x():\n    pass\n")
    r = proj.impact("--all")
    assert r.returncode == 3, out(r) + err(r)
    assert "ERROR tests/test_broken.py (collection)" in err(r)
    assert " passed" not in out(r).replace("0 passed", "")


def test_conftest_error_names_the_conftest(proj):
    proj.write("tests/conftest.py", "import missing_plugin_lib\n")
    proj.commit("conftest")
    r = proj.impact("HEAD")
    # pytest stops before its session (its exit 4); the plugin says which file: exit 3.
    assert r.returncode == 3, out(r) + err(r)
    assert "ERROR tests/conftest.py (collection)" in err(r)
    assert "tests/conftest.py:1: in <module>" in err(r)
    assert "E   ModuleNotFoundError: No module named 'missing_plugin_lib'" in err(r)
    assert "rejected its command line" not in err(r)
    assert last_run(proj)["exit_code"] == 3


def test_import_smoke_check(proj):
    proj.write("pkg/__init__.py", "raise RuntimeError('broken package init')\n")
    proj.commit("break the package")
    r = proj.impact("HEAD")
    assert r.returncode == 3
    assert "import check failed: 'pkg' raises RuntimeError: broken package init" in err(r)


def test_the_import_check_runs_beside_the_tests_and_stops_them(proj):
    # The check runs beside pytest: when it fails, the run it voids is
    # stopped (not left to finish a long test), and records nothing.
    proj.write("pkg/__init__.py", "import time\ntime.sleep(0.5)\n"
               "raise RuntimeError('broken package init')\n")
    proj.write("tests/test_slow.py", "import time\n\n\ndef test_slow():\n    time.sleep(60)\n")
    proj.commit("break the package, add a slow test")
    t0 = time.monotonic()
    r = proj.impact("HEAD", "--", "-p", "no:cacheprovider")
    assert r.returncode == 3, out(r) + err(r)
    assert "import check failed: 'pkg' raises RuntimeError: broken package init" in err(r)
    assert "pytest stopped: the pre-flight check failed (above)" in err(r)
    assert time.monotonic() - t0 < 50  # stopped, not the 60 s test run out
    assert " passed" not in out(r)
    r = proj.impact("records", "stats")
    assert "no recorded dependencies yet" in out(r), out(r) + err(r)


def test_pytest_missing_in_the_interpreter(proj, tmp_path):
    py = make_venv(tmp_path / "bare", system_site=False)
    r = proj.impact("HEAD", env={"IMPACT_PYTHON": str(py)})
    assert r.returncode == 3, out(r) + err(r)
    assert f"pytest is not importable in '{py}'" in err(r) and "pip install pytest" in err(r)


# --- the interpreter -------------------------------------------------------

def test_impact_python_choice(proj, tmp_path):
    py = make_venv(tmp_path / "chosen")
    r = proj.impact("HEAD", env={"IMPACT_PYTHON": str(py)})
    assert f"impact: python: {py} (from $IMPACT_PYTHON)" in err(r)
    assert r.returncode == 0, out(r) + err(r)
    # Relative: from impact's current directory, not the work tree.
    r = subprocess.run(proj.impact_argv("-C", str(proj.path), "HEAD"), cwd=tmp_path,
                       env={**proj.env, "IMPACT_PYTHON": "chosen/bin/python"}, capture_output=True)
    assert f"impact: python: {tmp_path}/chosen/bin/python (from $IMPACT_PYTHON)" in err(r)
    assert r.returncode == 0, out(r) + err(r)


def test_work_tree_venv_choice(proj):
    proj.write(".gitignore", ".venv/\n")
    proj.commit("ignore venv")
    make_venv(proj.path / ".venv")
    r = proj.impact("HEAD~1", env={"IMPACT_PYTHON": ""})
    assert f"impact: python: {proj.path}/.venv/bin/python (the work tree's .venv)" in err(r), err(r)
    assert r.returncode == 0, out(r) + err(r)


def test_virtual_env_and_path_choice(proj, tmp_path):
    py = make_venv(tmp_path / "venv")
    r = proj.impact("HEAD", env={"IMPACT_PYTHON": "", "VIRTUAL_ENV": str(tmp_path / "venv")})
    assert f"impact: python: {py} (the active virtualenv, $VIRTUAL_ENV)" in err(r)
    assert r.returncode == 0, out(r) + err(r)
    # PATH: the first python3 may lack pytest (pyenv); the first that has it is taken.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    bare = make_venv(tmp_path / "bare", system_site=False)
    (bindir / "python3").write_text(f"#!/bin/sh\nexec {bare} \"$@\"\n")
    (bindir / "python3").chmod(0o755)
    r = proj.impact("HEAD", env={"IMPACT_PYTHON": "",
                                 "PATH": f"{bindir}:/usr/bin:{os.environ['PATH']}"})
    assert "python on PATH that has pytest; earlier ones lack it" in err(r), err(r)
    assert r.returncode == 0


def test_uv_project_choice(proj, tmp_path):
    # A stand-in for uv that runs `uv run python ARGS` as the suite's python.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    uv = bindir / "uv"
    uv.write_text(f"#!/bin/sh\n[ \"$1\" = run ] && [ \"$2\" = python ] || exit 9\nshift 2\nexec {sys.executable} \"$@\"\n")
    uv.chmod(0o755)
    proj.write("uv.lock", "version = 1\n")
    proj.commit("uv project")
    proj.write("pkg/core.py", "def f():\n    return 1 or 1\n")
    r = proj.impact(env={"IMPACT_PYTHON": "", "PATH": f"{bindir}:{os.environ['PATH']}"})
    assert "impact: python: uv run python (the project has uv.lock and uv is on PATH)" in err(r)
    assert r.returncode == 0, out(r) + err(r)


def test_linked_worktree_importing_the_main_checkout_is_stopped(proj, tmp_path):
    py = make_venv(tmp_path / "venv")
    site = glob.glob(str(tmp_path / "venv" / "lib" / "python3*" / "site-packages"))[0]
    wt = tmp_path / "wt"
    proj.git("worktree", "add", "-q", str(wt), "-b", "feature")
    (wt / "pkg" / "core.py").write_text("def f():\n    return 1 or 0\n")
    # Nothing installed: the worktree's own package is what runs.
    r = proj.impact("HEAD", cwd=wt, env={"IMPACT_PYTHON": str(py)})
    assert r.returncode == 0, out(r) + err(r)
    # An "editable install" of the main checkout: stopped, with the fix.
    Path(site, "main-checkout.pth").write_text(str(proj.path) + "\n")
    r = proj.impact("HEAD", cwd=wt, env={"IMPACT_PYTHON": str(py)})
    assert r.returncode == 3, out(r) + err(r)
    minor = "%d%d" % sys.version_info[:2] if sys.executable == "/usr/bin/python3" else ""
    assert f"package 'pkg' imports from '{proj.path}/pkg/__init__.py', outside it" in err(r)
    assert f"UV_PROJECT_ENVIRONMENT=py{minor}" in err(r) and "uv sync" in err(r)
    # The same through PYTHONPATH.
    Path(site, "main-checkout.pth").unlink()
    r = proj.impact("HEAD", cwd=wt, env={"IMPACT_PYTHON": str(py), "PYTHONPATH": str(proj.path)})
    assert r.returncode == 3 and "outside it" in err(r)


# --- configuration (when config.c reads it) --------------------------------

def config_works(repo, tmp_path):
    """Does this build read [tool.impact]? (The rules work may not have landed.)"""
    probe = repo.path / "pyproject.toml"
    old = probe.read_text() if probe.exists() else None
    probe.write_text("[tool.impact]\npython = '/nonexistent/impact-probe-python'\n")
    r = repo.impact("--no-preflight", env={"IMPACT_PYTHON": ""})
    if old is None:
        probe.unlink()
    else:
        probe.write_text(old)
    return "impact-probe-python" in err(r)


def test_config_python_and_run_settings(proj, tmp_path):
    assert config_works(proj, tmp_path)
    proj.write("pyproject.toml",
               "[tool.impact]\n"
               f"python = {json.dumps(sys.executable)}\n"
               "default_args = ['-q', '-p', 'no:randomly']\n"
               "timeout = 2\n")
    add_test(proj, "test_sleepy.py", "import time\n\n\ndef test_sleepy():\n    time.sleep(30)\n")
    r = proj.impact("HEAD~1..", "--grace", "1", env={"IMPACT_PYTHON": ""})
    assert "(from the configuration's 'python')" in err(r)
    assert "pytest -q -p no:randomly" in err(r)
    assert r.returncode == 4 and "timed out after 2 s" in err(r)


def test_known_flaky(proj, tmp_path):
    assert config_works(proj, tmp_path)
    proj.write("pyproject.toml",
               "[[tool.impact.flaky]]\n"
               "test = 'tests/test_flaky.py::test_timing*'\n"
               "errors = ['TooSlowError']\n"
               "reason = 'timing under load'\n")
    # A flaky failure first: -x stops there, impact runs what pytest did not reach.
    add_test(proj, "test_flaky.py",
             "class TooSlowError(Exception):\n    pass\n\n\n"
             "def test_timing():\n    raise TooSlowError('took 3 s')\n\n\n"
             "def test_after():\n    pass\n\n\n"
             "def test_timing_other():\n    raise ValueError('real bug')\n")
    r = proj.impact("HEAD~1..")
    e = err(r)
    assert "known flaky (timing under load)" in e
    assert "running the tests it did not reach" in e
    assert r.returncode == 1  # test_timing_other fails with another error: a real failure
    fails = {f["nodeid"]: f["flaky"] for f in last_run(proj)["failures"]}
    assert fails == {"tests/test_flaky.py::test_timing": True,
                     "tests/test_flaky.py::test_timing_other": False}
    assert last_run(proj)["counts"]["passed"] == 2  # test_after, and test_core's test_f


def test_retry_flaky(proj, tmp_path):
    assert config_works(proj, tmp_path)
    state = tmp_path / "attempts"
    proj.write("pyproject.toml",
               "[[tool.impact.flaky]]\ntest = 'tests/test_flaky.py::test_once'\n")
    add_test(proj, "test_flaky.py",
             "from pathlib import Path\n\n\ndef test_once():\n"
             f"    p = Path({str(state)!r})\n    n = int(p.read_text()) if p.exists() else 0\n"
             "    p.write_text(str(n + 1))\n    assert n > 0, 'first attempt fails'\n")
    r = proj.impact("HEAD~1..", "--retry-flaky")
    assert r.returncode == 0, err(r)
    assert "failed, then passed on retry" in err(r)
    assert state.read_text() == "2"
