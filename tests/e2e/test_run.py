"""The runner: time limits, process hygiene, results, the last-failed
store, CI formats and exit codes, with real pytest in real repositories."""
import json
import os
import time

import pytest


def out(r):
    return r.stdout.decode(errors="replace")


def err(r):
    return r.stderr.decode(errors="replace")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def proj(repo):
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


def test_timeout_stops_a_test_that_ignores_sigint(proj):
    add_test(proj, "test_stuck.py",
             "import signal, time\n\n\ndef test_stuck():\n"
             "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    time.sleep(60)\n")
    t = time.monotonic()
    r = proj.impact("HEAD", "--timeout", "2", "--grace", "1")
    assert r.returncode == 4, err(r)
    assert time.monotonic() - t < 30
    assert "timed out after 2 s" in err(r)
    assert "SIGKILL" in err(r)


def test_orphans_are_reaped(proj, tmp_path):
    pids = tmp_path / "pids"
    add_test(proj, "test_orphan.py",
             "import subprocess\n\n\ndef test_leaves_children():\n"
             f"    a = subprocess.Popen(['sleep', '300'])\n"
             f"    b = subprocess.Popen(['sleep', '301'], start_new_session=True)\n"
             f"    open({str(pids)!r}, 'w').write(f'{{a.pid}} {{b.pid}}')\n")
    r = proj.impact("HEAD")
    assert r.returncode == 0, out(r) + err(r)
    assert "reaped 2 stray processes" in err(r)
    for pid in map(int, pids.read_text().split()):
        assert not alive(pid)


def test_report_names_the_likely_cause(proj):
    proj.write("pkg/core.py", "def f():\n    return 2\n")
    proj.commit("break")
    r = proj.impact("HEAD")
    assert r.returncode == 1
    e = err(r)
    assert "impact: 0 passed, 1 failed, 0 errors, 0 skipped, 0 xfailed" in e
    assert "FAILED tests/test_core.py::test_f" in e
    assert "likely caused by this change: pkg/core.py" in e
    assert "assert 2 == 1" in e


def test_unrelated_failure_is_called_so(proj):
    # The full suite runs (config change): a failing test no change reaches.
    add_test(proj, "test_env.py", "def test_env():\n    assert False, 'environment'\n")
    proj.write("pyproject.toml", "[project]\nname = 'p'\n")
    proj.commit("config")
    r = proj.impact("HEAD", "--", "-p", "no:randomly")
    assert r.returncode == 1
    assert "not reached by this change" in err(r)


def test_last_failed_and_the_store(proj):
    proj.write("pkg/core.py", "def f():\n    return 2\n")
    proj.commit("break")
    assert proj.impact("HEAD").returncode == 1
    store = json.loads((proj.path / ".git" / "impact" / "last-run.json").read_text())
    assert store["version"] == 1 and store["exit_code"] == 1
    assert store["commit"] == proj.git("rev-parse", "HEAD").strip()
    assert store["counts"]["failed"] == 1
    assert [f["nodeid"] for f in store["failures"]] == ["tests/test_core.py::test_f"]
    r = proj.impact("--last-failed")
    assert r.returncode == 1 and "tests/test_core.py::test_f" in err(r)
    proj.write("pkg/core.py", "def f():\n    return 1\n")  # fixed, uncommitted
    r = proj.impact("--last-failed")
    assert r.returncode == 0, err(r)
    r = proj.impact("--last-failed")
    assert r.returncode == 0 and "nothing failed" in err(r)


def test_last_failed_without_history(proj):
    r = proj.impact("--last-failed")
    assert r.returncode == 0 and "nothing to rerun" in err(r)


def test_junitxml_and_github_format(proj, tmp_path):
    proj.write("pkg/core.py", "def f():\n    return 2\n")
    proj.commit("break")
    xml = tmp_path / "report.xml"
    r = proj.impact("HEAD", "--junitxml", str(xml), "--format", "github")
    assert r.returncode == 1
    assert "<testcase" in xml.read_text()
    assert "::error file=tests/test_core.py" in out(r)


@pytest.mark.parametrize("body,code", [
    ("def test_ok():\n    assert True\n", 0),
    ("def test_bad():\n    assert False\n", 1),
    ("import nonexistent_module_xyz\n\n\ndef test_x():\n    pass\n", 3),
])
def test_exit_codes(proj, body, code):
    add_test(proj, "test_case.py", body)
    r = proj.impact("HEAD")
    assert r.returncode == code, out(r) + err(r)


def test_usage_error_exit_code(proj):
    assert proj.impact("--timeout", "soon").returncode == 2


def test_pytest_args_pass_through(proj):
    add_test(proj, "test_two.py", "def test_a():\n    pass\n\n\ndef test_b():\n    pass\n")
    r = proj.impact("HEAD", "--", "-k", "test_b", "-v")
    assert r.returncode == 0
    assert "test_b PASSED" in out(r) and "test_a PASSED" not in out(r)


# --- pre-flight and the interpreter ----------------------------------------

def test_collection_error_names_the_file(proj):
    add_test(proj, "test_broken.py", "import no_such_module_abc\n\n\ndef test_x():\n    pass\n")
    r = proj.impact("HEAD")
    assert r.returncode == 3
    assert "collection failed" in err(r)
    assert "tests/test_broken.py" in err(r) and "no_such_module_abc" in err(r)
    # Without the check pytest reports it itself; still exit 3.
    assert proj.impact("HEAD", "--no-preflight").returncode == 3


def test_import_smoke_check(proj):
    proj.write("pkg/__init__.py", "raise RuntimeError('broken package init')\n")
    proj.commit("break the package")
    r = proj.impact("HEAD")
    assert r.returncode == 3
    assert "import check failed" in err(r) and "broken package init" in err(r)


def make_venv(where):
    import subprocess, sys
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(where)], check=True)
    return where / "bin" / "python"


def test_worktree_venv_choice(proj):
    proj.write(".gitignore", ".venv/\n")
    proj.commit("ignore venv")
    make_venv(proj.path / ".venv")
    r = proj.impact("HEAD~1", env={"IMPACT_PYTHON": ""})
    assert "the work tree's .venv" in err(r), err(r)
    assert r.returncode == 0, out(r) + err(r)


def test_virtual_env_and_path_choice(proj, tmp_path):
    py = make_venv(tmp_path / "venv")
    r = proj.impact("HEAD", env={"IMPACT_PYTHON": "", "VIRTUAL_ENV": str(tmp_path / "venv")})
    assert "the active virtualenv" in err(r) and str(py) in err(r)
    assert r.returncode == 0, out(r) + err(r)
    r = proj.impact("HEAD", env={"IMPACT_PYTHON": ""})
    assert "python on PATH that has pytest" in err(r)
    assert r.returncode == 0


def test_linked_worktree_importing_the_main_checkout_is_stopped(proj, tmp_path):
    import glob
    py = make_venv(tmp_path / "venv")
    site = glob.glob(str(tmp_path / "venv" / "lib" / "python3*" / "site-packages"))[0]
    # An "editable install" of the main checkout.
    with open(f"{site}/main-checkout.pth", "w") as f:
        f.write(str(proj.path) + "\n")
    wt = tmp_path / "wt"
    proj.git("worktree", "add", "-q", str(wt), "-b", "feature")
    (wt / "pkg" / "core.py").write_text("def f():\n    return 1  # worktree\n")
    r = proj.impact("HEAD", cwd=wt, env={"IMPACT_PYTHON": str(py)})
    assert r.returncode == 3, out(r) + err(r)
    assert "not from this worktree" in err(r)
    assert "UV_PROJECT_ENVIRONMENT=py3" in err(r)


def test_ctrl_c_is_forwarded_politely(proj, tmp_path):
    import signal, subprocess
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


def test_uv_project_choice(proj, tmp_path):
    # A stand-in for uv that runs `uv run python ARGS` as the suite's python.
    import sys
    bindir = tmp_path / "bin"
    bindir.mkdir()
    uv = bindir / "uv"
    uv.write_text(f"#!/bin/sh\n[ \"$1\" = run ] && [ \"$2\" = python ] || exit 9\nshift 2\nexec {sys.executable} \"$@\"\n")
    uv.chmod(0o755)
    proj.write("uv.lock", "version = 1\n")
    proj.commit("uv project")
    proj.write("pkg/core.py", "def f():\n    return 1  # x\n")
    r = proj.impact(env={"IMPACT_PYTHON": "", "PATH": f"{bindir}:{os.environ['PATH']}"})
    assert "uv run python" in err(r), err(r)
    assert r.returncode == 0, out(r) + err(r)


def test_json_with_results(proj):
    proj.write("pkg/core.py", "def f():\n    return 2\n")
    proj.commit("break")
    r = proj.impact("HEAD", "--json", "--run")
    assert r.returncode == 1
    doc = json.loads(out(r))  # stdout is only the JSON; pytest's output went to stderr
    assert [t["path"] for t in doc["selected"]] == ["tests/test_core.py"]
    assert doc["run"]["counts"]["failed"] == 1
    assert doc["run"]["failures"][0]["nodeid"] == "tests/test_core.py::test_f"
    assert "short test summary" in err(r) or "FAILED" in err(r)
    # Nothing to run: still one JSON object.
    proj.write("README.md", "# docs\n")
    proj.commit("docs")
    r = proj.impact("HEAD", "--json", "--run")
    assert r.returncode == 0
    doc = json.loads(out(r))
    assert doc["selected"] == [] and doc["run"] is None


def test_workers_with_and_without_xdist(proj, tmp_path):
    add_test(proj, "test_many.py", "".join(f"def test_{i}():\n    pass\n\n\n" for i in range(6)))
    r = proj.impact("HEAD", "-n", "2")
    assert r.returncode == 0, out(r) + err(r)
    assert "-n 2" in err(r) and "6 passed" in out(r)
    # An interpreter without xdist: said, and the run is serial.
    import sys
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
    import shlex, subprocess
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
    assert "tests/test_paced.py" in text            # the current test file
    assert any(f"{k} passed, 0 failed" in text for k in (1, 2, 3))  # counts move
    assert "pytest's output: " in text
    assert ("\x1b[32m" in text) != no_color         # colour only without NO_COLOR
    log = (proj.path / ".git" / "impact" / "last-run.log").read_text()
    assert "4 passed" in log
