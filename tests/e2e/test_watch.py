"""impact watch: the repair loop, driven for real.

Each test starts a real `impact watch --json` on a real git repository
holding a small Python project, edits files from the test as an editor
would, and reads the JSON events impact prints (one object per line).
Nothing waits on a clock: every step waits for an event, with a generous
upper bound that only matters when something is broken.
"""
import json
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import IMPACT_BIN

BOUND = 120  # seconds: an upper bound on waiting for one event, never a pace


class Watch:
    """A running `impact watch --json` and the events it printed."""

    def __init__(self, repo, tmp_path, *args, notify=False, env=None):
        self.err_path = tmp_path / "watch.stderr"
        self.err = open(self.err_path, "wb")
        self.p = subprocess.Popen([IMPACT_BIN, "watch", "--json",
                                   *([] if notify else ["--no-notify"]), *args],
                                  cwd=repo.path, env=env or repo.env, stdout=subprocess.PIPE,
                                  stderr=self.err)
        self.q = queue.Queue()
        self.events = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.q.put(json.loads(line))
        self.q.put(None)

    def stderr(self):
        if not self.err.closed:
            self.err.flush()
        return self.err_path.read_text(errors="replace")

    def next(self, name=None, **fields):
        """The next event named `name` with these fields; the ones before it are kept."""
        deadline = time.monotonic() + BOUND
        while True:
            left = deadline - time.monotonic()
            try:
                ev = self.q.get(timeout=max(left, 0.01))
            except queue.Empty:
                raise AssertionError(f"no '{name}' {fields} event within {BOUND} s; events:\n"
                                     + "\n".join(map(json.dumps, self.events[-30:]))) from None
            if ev is None:
                raise AssertionError(f"impact watch ended (exit {self.p.wait()}) before a '{name}' "
                                     f"event:\n{self.stderr()}\n"
                                     + "\n".join(map(json.dumps, self.events[-30:])))
            self.events.append(ev)
            if (name is None or ev["event"] == name) and all(ev.get(k) == v for k, v in fields.items()):
                return ev

    def since(self, mark):
        return self.events[mark:]

    def interrupt(self):
        self.p.send_signal(signal.SIGINT)
        try:
            rc = self.p.wait(timeout=BOUND)
        finally:
            self.err.close()
        while True:  # the events printed before it ended
            ev = self.q.get(timeout=BOUND)
            if ev is None:
                break
            self.events.append(ev)
        return rc

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        self.err.close()


@pytest.fixture
def watch(tmp_path):
    started = []

    def start(repo, *args, **kw):
        w = Watch(repo, tmp_path, *args, **kw)
        started.append(w)
        w.next("start")
        return w
    yield start
    for w in started:
        w.kill()


def save(repo, rel, content):
    """An editor's plain save: write the file in place."""
    repo.write(rel, content)


def steps(events):
    return [e["step"] for e in events if e["event"] == "run"]


DB = {
    "lib/__init__.py": "",
    "lib/db.py": "def add(a, b):\n    return a + b\n",
    "tests/__init__.py": "",
    "tests/test_a_solo.py": "def test_solo():\n    assert 2 + 2 == 4\n",
    **{f"tests/test_db{i}.py": (f"from lib.db import add\n\n\ndef test_x{i}():\n"
                                f"    assert add({i}, 1) == {i} + 1\n\n\ndef test_y{i}():\n"
                                f"    assert add(1, {i}) == 1 + {i}\n") for i in (1, 2, 3)},
    "tests/test_other.py": "def test_other():\n    assert True\n",
}

BROKEN_DB = "def add(a, b):\n    return a + b + None\n"


def history_runs(repo):
    db = repo.path / ".git" / "impact" / "history.sqlite"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as c:
        return c.execute("select count(*) from runs").fetchone()[0]


def test_loop_order_largest_group_then_failed_then_affected_then_all(repo, watch):
    repo.write_many(DB)
    repo.commit("init")
    # Two errors: six tests break in lib/db.py, one test on its own assert.
    repo.write("lib/db.py", BROKEN_DB)
    repo.write("tests/test_a_solo.py", "def test_solo():\n    assert 2 + 2 == 5\n")
    runs_before = history_runs(repo)
    w = watch(repo, "--all")

    w.next("run", step="start")
    res = w.next("result", step="start")
    assert res["outcome"] == "red" and res["counts"]["failed"] == 7
    groups = w.next("groups")["groups"]
    assert [len(g["tests"]) for g in groups] == [6, 1]  # largest first
    assert groups[0]["type"] == "TypeError" and groups[0]["frame"] == "lib/db.py:2"
    assert groups[1]["type"] == "AssertionError"
    assert w.next("state")["state"] == "red"
    # At once: one test of the largest group (not the solo test, which ran first).
    one = w.next("run", step="one")
    assert one["tests"] == [groups[0]["tests"][0]] == ["tests/test_db1.py::test_x1"]
    assert w.next("result", step="one")["outcome"] == "red"
    fail = w.next("failure")
    assert fail["id"] == "tests/test_db1.py::test_x1" and "TypeError" in fail["traceback"]
    assert w.next("wait")["resume"] == "one"

    # Fix the largest group: the test passes, then every failed test runs;
    # the solo test still fails, so back to the first step with it.
    mark = len(w.events)
    save(repo, "lib/db.py", DB["lib/db.py"])
    assert w.next("save")["paths"] == ["lib/db.py"]
    assert w.next("result", step="one")["outcome"] == "passed"
    failed = w.next("run", step="failed")
    assert sorted(failed["tests"]) == sorted(groups[0]["tests"] + groups[1]["tests"])
    res = w.next("result", step="failed")
    assert res["outcome"] == "red" and [f["id"] for f in res["failures"]] == [
        "tests/test_a_solo.py::test_solo"]
    assert w.next("run", step="one")["tests"] == ["tests/test_a_solo.py::test_solo"]
    w.next("wait")

    # Fix it: one, failed, affected, all, then wait for the next save.
    save(repo, "tests/test_a_solo.py", DB["tests/test_a_solo.py"])
    w.next("save")
    w.next("result", step="one", outcome="passed")
    w.next("result", step="failed", outcome="passed")
    assert w.next("state")["state"] == "green"
    affected = w.next("run", step="affected")
    # What the changes since the loop began affect: both files are back to
    # their committed content, yet they changed since the loop began.
    assert affected["files"] == ["tests/test_a_solo.py", "tests/test_db1.py", "tests/test_db2.py",
                                 "tests/test_db3.py"]
    w.next("result", step="affected", outcome="passed")
    w.next("run", step="all")
    res = w.next("result", step="all")
    assert res["outcome"] == "passed" and res["counts"]["passed"] == 8
    assert w.next("wait")["resume"] == "affected"
    assert steps(w.since(mark)) == ["one", "failed", "one", "one", "failed", "affected", "all"]

    # Every run the loop made is in the history.
    assert history_runs(repo) == runs_before + len(steps(w.events))
    assert w.interrupt() == 0  # Ctrl-C while waiting, green
    assert w.events[-1]["event"] == "end" and w.events[-1]["state"] == "green"


SLOW = {
    "lib/__init__.py": "",
    "lib/mode.py": "SLOW = True\n",
    "tests/test_slow.py": (
        "import os, subprocess, sys, time\n"
        "from lib.mode import SLOW\n\n\n"
        "def test_slow():\n"
        "    try:\n"
        "        child = subprocess.Popen(['sleep', '300'])\n"
        "        open(os.environ['WATCH_PIDS'], 'a').write(f'{os.getpid()} {child.pid}\\n')\n"
        "        if SLOW:\n"
        "            time.sleep(300)\n"
        "    finally:\n"
        "        open(os.environ['WATCH_TEARDOWN'], 'a').write('ran\\n')\n"),
}


@pytest.fixture
def slow_repo(repo, tmp_path):
    repo.write_many(SLOW)
    repo.commit("init")
    repo.env["WATCH_PIDS"] = str(tmp_path / "pids")
    repo.env["WATCH_TEARDOWN"] = str(tmp_path / "teardown")
    repo.write("tests/test_slow.py", SLOW["tests/test_slow.py"] + "\n")  # a change to select it
    return repo


def inside_the_test(tmp_path, runs=1):
    """Wait until the slow test is inside its try block (it wrote its pids), `runs` times."""
    deadline = time.monotonic() + BOUND
    pids = tmp_path / "pids"
    while time.monotonic() < deadline:
        if pids.exists() and len(pids.read_text().splitlines()) >= runs:
            return
        time.sleep(0.05)
    raise AssertionError("the slow test never started")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_save_during_a_run_stops_it_and_starts_over(slow_repo, watch, tmp_path):
    w = watch(slow_repo, "--grace", "10")
    w.next("run", step="start")
    w.next("begin", id="tests/test_slow.py::test_slow")
    inside_the_test(tmp_path)  # so that its teardown is the test's own
    save(slow_repo, "lib/mode.py", "SLOW = False\n")
    stopped = w.next("stopped")
    assert stopped["step"] == "start" and stopped["why"] == "save"
    assert w.next("save")["paths"] == ["lib/mode.py"]
    # The same step again, over the new state; the stopped run had no result.
    run = w.next("run")
    assert run["step"] == "start"
    res = w.next("result")
    assert res["step"] == "start" and res["outcome"] == "passed", w.stderr()
    assert [e["event"] for e in w.events].count("result") == 1
    # Stopped politely (its teardown ran), and nothing of it is left.
    assert (tmp_path / "teardown").read_text() == "ran\nran\n"
    for line in (tmp_path / "pids").read_text().splitlines():
        for pid in map(int, line.split()):
            assert not alive(pid), pid
    w.next("wait")
    assert w.interrupt() == 0


def test_ctrl_c_during_a_run(slow_repo, watch, tmp_path):
    w = watch(slow_repo)
    w.next("begin", id="tests/test_slow.py::test_slow")
    inside_the_test(tmp_path)
    assert w.interrupt() == 130
    end = w.events[-1]
    assert end["event"] == "end" and end["exit"] == 130
    assert (tmp_path / "teardown").read_text() == "ran\n"
    pids = [int(p) for p in (tmp_path / "pids").read_text().split()]
    assert pids and not any(alive(p) for p in pids)  # no stray process, no zombie


def test_editor_rename_save_is_one_save_and_swap_files_are_not(repo, watch):
    repo.write_many(DB)
    repo.write(".gitignore", "")
    repo.commit("init")
    w = watch(repo)
    w.next("wait")
    mark = len(w.events)
    # Swap and backup files first (not saves), then write-to-temp-then-rename.
    repo.write("lib/.db.py.swp", "swap")
    repo.write("lib/db.py~", "backup")
    tmp = repo.write("lib/db.py.new-tmp", BROKEN_DB)
    os.rename(tmp, repo.path / "lib" / "db.py")
    s = w.next("save")
    assert "lib/db.py" in s["paths"]
    assert not {"lib/.db.py.swp", "lib/db.py~"} & set(s["paths"])
    assert w.next("run")["step"] == "affected"
    w.next("result", step="affected", outcome="red")
    w.next("wait")
    seen = [e["event"] for e in w.since(mark)]
    assert seen.count("save") == 1 and "stopped" not in seen
    assert w.interrupt() == 1  # Ctrl-C while waiting, red


def test_ignored_files_never_count(repo, watch):
    repo.write_many(DB)
    repo.write(".gitignore", "build/\n*.log\n")
    repo.write("build/keep.txt", "")
    repo.commit("init")
    w = watch(repo)
    w.next("wait")
    repo.write("build/out.txt", "x")
    repo.write("run.log", "x")
    repo.write("lib/__pycache__/db.cpython-311.pyc", "x")
    (repo.path / ".git" / "impact-test-note").write_text("x")
    repo.write("build/new/deeper.txt", "x")
    save(repo, "lib/db.py", BROKEN_DB)
    assert w.next("save")["paths"] == ["lib/db.py"]
    w.next("run", step="affected")


def test_new_file_and_new_folder(repo, watch):
    repo.write_many(DB)
    repo.commit("init")
    w = watch(repo)
    w.next("wait")
    repo.write("tests/test_new.py", "def test_new():\n    assert True\n")
    assert w.next("save")["paths"] == ["tests/test_new.py"]
    run = w.next("run", step="affected")
    assert run["files"] == ["tests/test_new.py"]
    w.next("result", step="affected", outcome="passed")
    w.next("wait")
    # A new folder is watched as it appears: a later save inside it counts.
    repo.write("tests/deep/er/test_deep.py", "def test_deep():\n    assert True\n")
    assert w.next("save")["paths"] == ["tests/deep/er/test_deep.py"]
    w.next("wait")
    save(repo, "tests/deep/er/test_deep.py", "def test_deep():\n    assert False\n")
    assert w.next("save")["paths"] == ["tests/deep/er/test_deep.py"]
    res = w.next("result", step="affected")
    assert res["outcome"] == "red"
    assert [f["id"] for f in res["failures"]] == ["tests/deep/er/test_deep.py::test_deep"]


@pytest.mark.parametrize("prepare", [True, False])
def test_prepared_interpreter_runs_the_saved_code(repo, watch, prepare):
    repo.write_many(DB)
    repo.commit("init")
    w = watch(repo, *([] if prepare else ["--no-prepare"]))
    w.next("wait")
    for k, content in enumerate([BROKEN_DB, DB["lib/db.py"], BROKEN_DB]):
        save(repo, "lib/db.py", content)
        w.next("save")
        res = w.next("result", step="affected")
        # The run came from the interpreter prepared while waiting (never
        # with --no-prepare), and it ran the code as saved, not as it was.
        assert res["prepared"] is prepare
        assert res["outcome"] == ("passed" if k == 1 else "red")
        assert res["counts"]["passed" if k == 1 else "failed"] == 6
        while w.next()["event"] != "wait":
            pass
    assert w.interrupt() == 1


def test_syntax_error_is_reported_once(repo, watch):
    repo.write_many(DB)
    repo.commit("init")
    w = watch(repo)
    w.next("wait")
    mark = len(w.events)
    save(repo, "lib/db.py", "def add(a, b)\n    return a + b\n")
    w.next("save")
    err = w.next("error")
    assert "lib/db.py" in err["message"] or "SyntaxError" in err["message"], err
    w.next("wait")
    between = w.since(mark)
    assert [e["event"] for e in between].count("error") == 1
    assert steps(between) == ["affected"]
    assert {"event": "state", "state": "red"}.items() <= next(
        e for e in between if e["event"] == "state").items()
    # The next save runs again, and the fix is green.
    save(repo, "lib/db.py", DB["lib/db.py"])
    w.next("save")
    w.next("run", step="affected")
    assert w.next("result")["outcome"] == "passed"
    w.next("wait")
    assert w.interrupt() == 0


def test_deleted_directory_is_a_save_and_is_rewatched(repo, watch):
    repo.write_many({**DB, "lib/sub/__init__.py": "", "lib/sub/helper.py": "H = 1\n",
                     "tests/test_sub.py": "from lib.sub.helper import H\n\n\n"
                                          "def test_h():\n    assert H == 1\n"})
    repo.commit("init")
    w = watch(repo)
    w.next("wait")
    shutil.rmtree(repo.path / "lib" / "sub")
    s = w.next("save")
    assert "lib/sub/" in s["paths"] or "lib/sub/helper.py" in s["paths"]
    w.next("run", step="affected")
    w.next("wait")
    # Recreated: watched again, so saves inside it count.
    repo.write("lib/sub/__init__.py", "")
    repo.write("lib/sub/helper.py", "H = 1\n")
    w.next("save")
    w.next("result", step="affected", outcome="passed")
    w.next("wait")
    save(repo, "lib/sub/helper.py", "H = 2\n")
    assert w.next("save")["paths"] == ["lib/sub/helper.py"]
    res = w.next("result", step="affected")
    assert [f["id"] for f in res["failures"]] == ["tests/test_sub.py::test_h"]


def test_runs_of_the_loop_record_dependencies(repo, watch):
    # On a clean work tree (HEAD's files) the first run of `--all` is the
    # whole suite: its test files' dependencies are recorded, as by `impact --all`.
    repo.write_many(DB)
    repo.commit("init")
    assert "no recorded dependencies yet" in repo.impact("records", "stats").stdout.decode()
    w = watch(repo, "--all")
    res = w.next("result", step="start")
    assert res["outcome"] == "passed" and res["counts"]["passed"] == 8
    w.next("wait")
    assert w.interrupt() == 0
    st = repo.impact("records", "stats")
    assert st.returncode == 0, st.stderr.decode()
    assert "records:   5 test files (8 tests)" in st.stdout.decode(), st.stdout.decode()


class Terminal:
    """`impact watch` on a pseudo-terminal: what a person sees."""

    def __init__(self, repo, env, *args):
        import pty
        self.master, slave = pty.openpty()
        self.p = subprocess.Popen([IMPACT_BIN, "watch", "--no-notify", *args], cwd=repo.path,
                                  env=env, stdin=slave, stdout=slave, stderr=slave,
                                  start_new_session=True)
        os.close(slave)
        self.text = b""
        self.q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                chunk = b""
            self.q.put(chunk)
            if not chunk:
                return

    def expect(self, needle):
        """Wait until the screen so far holds `needle` (bytes) after what was matched before."""
        deadline = time.monotonic() + BOUND
        while needle not in self.text:
            left = deadline - time.monotonic()
            try:
                chunk = self.q.get(timeout=max(left, 0.01))
            except queue.Empty:
                chunk = None
            if not chunk:
                raise AssertionError(f"{needle!r} never shown; the screen:\n"
                                     + self.text.decode(errors="replace"))
            self.text += chunk
        at = self.text.index(needle) + len(needle)
        seen, self.text = self.text[:at], self.text[at:]
        return seen

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        os.close(self.master)


@pytest.mark.parametrize("colour", [False, True])
def test_terminal_screen(repo, colour):
    repo.write_many(DB)
    repo.commit("init")
    env = dict(repo.env)
    if colour:
        env.pop("NO_COLOR", None)
    t = Terminal(repo, env)
    try:
        t.expect(b"waiting for changes...")
        save(repo, "lib/db.py", BROKEN_DB)
        t.expect(b"impact watch: saved: lib/db.py")
        screen = t.expect(b"1 group, 6 tests: TypeError in lib/db.py:2 (6 tests)")
        # The status line was drawn in place (carriage return, erase line), then the
        # result line, the failure of the test being fixed in full, and the groups.
        assert b"\r\x1b[K" + (b"\x1b[32m" if colour else b"") + b"impact watch: [affected " in screen
        assert b"affected: 0 passed, 6 failed, 0 errors, 0 skipped" in screen
        screen = t.expect(b"waiting for changes...")
        assert b"--- tests/test_db1.py::test_x1" in screen
        assert b"E   TypeError: unsupported operand type(s)" in screen
        assert (b"\x1b[31m" in screen) is colour  # red, unless NO_COLOR
        t.p.send_signal(signal.SIGINT)
        screen = t.expect(b"impact watch: stopped (red)")
        assert b"6 tests still failing:" in screen
        assert t.p.wait(timeout=BOUND) == 1
    finally:
        t.close()


@pytest.mark.parametrize("preflight", [True, False])
def test_the_test_being_fixed_renamed(repo, watch, preflight):
    # The loop waits on one failing test; the user renames it. Its old node
    # id names nothing now: the loop selects afresh instead of waiting on it.
    repo.write_many(DB)
    repo.commit("init")
    repo.write("tests/test_a_solo.py", "def test_solo():\n    assert 2 + 2 == 5\n")
    w = watch(repo, *([] if preflight else ["--no-preflight"]))
    w.next("result", step="start", outcome="red")
    assert w.next("run", step="one")["tests"] == ["tests/test_a_solo.py::test_solo"]
    w.next("wait")
    save(repo, "tests/test_a_solo.py", "def test_renamed():\n    assert 2 + 2 == 5\n")
    w.next("save")
    w.next("run", step="one")
    res = w.next("result", step="one")
    assert res["outcome"] == "stale", res
    run = w.next("run")
    assert run["step"] == "affected" and "tests/test_a_solo.py" in run["files"]
    w.next("result", step="affected", outcome="red")
    assert w.next("run", step="one")["tests"] == ["tests/test_a_solo.py::test_renamed"]


def _path_without_notify_send(path):
    return os.pathsep.join(d for d in path.split(os.pathsep)
                           if d and not os.path.exists(os.path.join(d, "notify-send")))


def test_notifications_on_red_and_green(repo, watch, tmp_path):
    # A notify-send first on PATH that writes down each call's argv.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    sent = tmp_path / "sent"
    fake = bin_dir / "notify-send"
    fake.write_text("#!/bin/sh\nfor a in \"$@\"; do printf '%s|' \"$a\"; done >> \"$NOTIFY_LOG\"\n"
                    "echo >> \"$NOTIFY_LOG\"\n")
    fake.chmod(0o755)
    repo.write_many(DB)
    repo.commit("init")
    env = dict(repo.env, NOTIFY_LOG=str(sent),
               PATH=str(bin_dir) + os.pathsep + _path_without_notify_send(repo.env["PATH"]))
    w = watch(repo, notify=True, env=env)
    assert w.next("state")["state"] == "green"  # nothing to run: green from the start
    w.next("wait")

    def calls():
        return sent.read_text().splitlines() if sent.exists() else []
    assert calls() == ["--app-name=impact|impact watch: green|all tests passed|"]
    # Broken: red once, though two runs (affected, then one) are red.
    save(repo, "lib/db.py", BROKEN_DB)
    assert w.next("state")["state"] == "red"
    w.next("result", step="one", outcome="red")
    w.next("wait")
    assert calls()[1:] == ["--app-name=impact|impact watch: red|6 tests failing|"]
    # Fixed: green once, though three runs (one, failed, affected) pass.
    save(repo, "lib/db.py", DB["lib/db.py"])
    assert w.next("state")["state"] == "green"
    w.next("result", step="affected", outcome="passed")
    w.next("wait")
    assert calls()[2:] == ["--app-name=impact|impact watch: green|all tests passed|"]
    assert w.interrupt() == 0
    assert len(calls()) == 3
    assert [e["event"] for e in w.events].count("state") == 3


def _break_then_fix(repo, w):
    """lib/db.py broken (the state turns red), then fixed (green)."""
    save(repo, "lib/db.py", BROKEN_DB)
    assert w.next("state")["state"] == "red"
    w.next("wait")
    save(repo, "lib/db.py", DB["lib/db.py"])
    assert w.next("state")["state"] == "green"
    w.next("wait")


def test_a_hanging_notify_send_does_not_stop_the_watching(repo, watch, tmp_path):
    # A notify-send that never returns (a dead session bus): each is stopped
    # after a bounded wait, the loop goes on, and none is left behind.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pids = tmp_path / "pids"
    fake = bin_dir / "notify-send"
    fake.write_text("#!/bin/sh\necho $$ >> \"$NOTIFY_PIDS\"\nexec sleep 600\n")
    fake.chmod(0o755)
    repo.write_many(DB)
    repo.commit("init")
    env = dict(repo.env, NOTIFY_PIDS=str(pids),
               PATH=str(bin_dir) + os.pathsep + _path_without_notify_send(repo.env["PATH"]))
    w = watch(repo, notify=True, env=env)
    assert w.next("state")["state"] == "green"
    w.next("wait")
    _break_then_fix(repo, w)
    assert w.interrupt() == 0
    sent = [int(p) for p in pids.read_text().split()]
    assert len(sent) == 3
    for pid in sent:  # stopped and reaped: no such process any more
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_no_notify_send_is_silent(repo, watch):
    repo.write_many(DB)
    repo.commit("init")
    env = dict(repo.env, PATH=_path_without_notify_send(repo.env["PATH"]))
    w = watch(repo, notify=True, env=env)
    w.next("wait")
    _break_then_fix(repo, w)
    assert w.interrupt() == 0
    assert not [e for e in w.events if e["event"] in ("error", "warning")]
    assert "notify" not in w.stderr()


def _unshare_works():
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    r = subprocess.run([unshare, "-U", "-r", "sh", "-c",
                        "echo 5 > /proc/sys/user/max_inotify_watches"], capture_output=True)
    return r.returncode == 0


# A user namespace has an inotify watch limit of its own, which its root may
# lower (/proc/sys/user/max_inotify_watches): the real ENOSPC, and nothing
# global changed. Folders of the repository below: the root, lib, tests.
@pytest.mark.skipif(not _unshare_works(), reason="no unprivileged user namespaces here")
def test_out_of_inotify_watches_says_so_with_the_number_needed(repo, tmp_path):
    repo.write_many(DB)
    repo.write_many({f"pkg{i}/__init__.py": "" for i in range(5)})
    repo.commit("init")
    # 8 folders to watch (root, lib, tests, pkg0..pkg4), 3 allowed: it does not start.
    r = subprocess.run(["unshare", "-U", "-r", "sh", "-c",
                        'echo 3 > /proc/sys/user/max_inotify_watches && exec "$0" watch --json',
                        IMPACT_BIN], cwd=repo.path, env=repo.env, capture_output=True,
                       timeout=BOUND)
    err = r.stderr.decode()
    assert r.returncode == 5, err
    assert "it needs 8 inotify watches" in err, err
    assert "fs.inotify.max_user_watches" in err and "user.max_inotify_watches" in err, err
    assert "raise user.max_inotify_watches to at least 8" in err, err
    # Whoever reads the events learns it too: an error, then the end.
    events = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert [e["event"] for e in events] == ["error", "end"], events
    assert "it needs 8 inotify watches" in events[0]["message"], events
    assert events[0]["step"] == "start" and events[1]["exit"] == 5, events


@pytest.mark.skipif(not _unshare_works(), reason="no unprivileged user namespaces here")
def test_out_of_inotify_watches_for_a_new_folder(repo, tmp_path):
    repo.write_many(DB)
    repo.commit("init")
    # 3 folders, 3 allowed: it starts; a new folder is one too many, said, not skipped.
    err_path = tmp_path / "err"
    with open(err_path, "wb") as err:
        p = subprocess.Popen(["unshare", "-U", "-r", "sh", "-c",
                              'echo 3 > /proc/sys/user/max_inotify_watches && '
                              'exec "$0" watch --json --no-notify', IMPACT_BIN],
                             cwd=repo.path, env=repo.env, stdout=subprocess.PIPE, stderr=err)
        try:
            events = []
            for line in p.stdout:
                events.append(json.loads(line))
                if events[-1]["event"] == "wait":
                    break
            assert events[0]["folders"] == 3
            repo.write("lib/new/mod.py", "X = 1\n")
            for line in p.stdout:
                events.append(json.loads(line))
            assert p.wait(timeout=BOUND) == 5
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    error = next(e for e in events if e["event"] == "error")
    assert "it needs 4 inotify watches" in error["message"], error
    assert "fs.inotify.max_user_watches" in error["message"]
    assert "to at least 4" in error["message"], error
    assert events[-1]["event"] == "end" and events[-1]["exit"] == 5


def _wait_for(w):
    while w.next()["event"] != "wait":
        pass


def test_prepared_interpreter_imports_the_project_and_never_runs_it_stale(repo, watch):
    repo.write_many(DB)
    repo.commit("init")
    w = watch(repo)
    w.next("wait")
    # A test file saved: the interpreter prepared while waiting had imported
    # lib.db (what the tests import), and it is still what is on disk.
    save(repo, "tests/test_a_solo.py", "def test_solo():\n    assert 3 == 3\n")
    w.next("save")
    ready = w.next("prepared")
    assert ready["state"] == "ready" and "lib.db" in ready["modules"], ready
    res = w.next("result", step="affected")
    assert res["outcome"] == "passed" and res["prepared_with"] == "project", res
    _wait_for(w)
    # lib/db.py saved: the interpreter that imported it is stale and dropped;
    # the run comes from the pytest-only one and runs the code as saved (a
    # stale lib.db would pass these six tests).
    save(repo, "lib/db.py", BROKEN_DB)
    w.next("save")
    stale = w.next("prepared")
    assert stale["state"] == "stale" and stale["why"] == "lib/db.py" and stale["fallback"] == "pytest"
    res = w.next("result", step="affected")
    assert res["outcome"] == "red" and res["counts"]["failed"] == 6, res
    assert res["prepared_with"] == "pytest"
    _wait_for(w)
    # Fixed while the loop waits on one test: whichever interpreter runs it
    # runs the fix (the one prepared meanwhile imported the broken lib.db).
    save(repo, "lib/db.py", DB["lib/db.py"])
    w.next("save")
    assert w.next("result", step="one")["outcome"] == "passed"
    assert w.next("result", step="failed")["outcome"] == "passed"
    # A new module shadowing an imported one makes it stale too.
    _wait_for(w)
    save(repo, "lib/db/__init__.py", "def add(a, b):\n    return None\n")
    w.next("save")
    stale = w.next("prepared")
    assert stale["state"] == "stale" and stale["why"] == "lib/db/__init__.py", stale
    res = w.next("result", step="affected")
    assert res["outcome"] == "red" and res["counts"]["failed"] == 6, res
    # Interrupted while it waits, not during the run of the failing test it
    # starts next (that would be 130).
    _wait_for(w)
    assert w.interrupt() == 1


@pytest.mark.parametrize("how", ["raises", "prints"])
def test_prepared_import_that_fails_falls_back_to_pytest_only(repo, watch, how):
    body = ({"raises": "import os\n\nRUN = os.environ['IMPACT_RUN_ID']  # set for runs only\n",
             "prints": "print('hello from lib.conf')\nRUN = 'yes'\n"})[how]
    repo.write_many({"lib/__init__.py": "", "lib/conf.py": body,
                     "tests/test_conf.py": "from lib.conf import RUN\n\n\ndef test_run():\n"
                                           "    assert RUN\n"})
    repo.commit("init")
    w = watch(repo)
    w.next("wait")
    save(repo, "tests/test_conf.py", "from lib.conf import RUN\n\n\ndef test_run():\n"
                                     "    assert RUN, 'set'\n")
    w.next("save")
    failed = w.next("prepared")
    assert failed["state"] == "failed" and failed["fallback"] == "pytest", failed
    assert ("KeyError" if how == "raises" else "printed output") in failed["why"], failed
    assert "lib.conf" in failed["why"]
    res = w.next("result", step="affected")
    assert res["outcome"] == "passed" and res["prepared_with"] == "pytest", res
    _wait_for(w)
    # Not tried again until a save touches what it imported: a test saved
    # again runs from the pytest-only interpreter, with no new attempt.
    mark = len(w.events)
    save(repo, "tests/test_conf.py", "from lib.conf import RUN\n\n\ndef test_run():\n"
                                     "    assert RUN, 'again'\n")
    w.next("save")
    res = w.next("result", step="affected")
    assert res["prepared_with"] == "pytest"
    assert not [e for e in w.since(mark) if e["event"] == "prepared"]
    _wait_for(w)
    # lib/conf.py saved: tried again while the loop waits next, and it fails
    # again (said at the save after).
    save(repo, "lib/conf.py", body + "# saved\n")
    w.next("save")
    assert w.next("result", step="affected")["outcome"] == "passed"
    _wait_for(w)
    save(repo, "tests/test_conf.py", "from lib.conf import RUN\n\n\ndef test_run():\n"
                                     "    assert RUN, 'once more'\n")
    w.next("save")
    assert w.next("prepared")["state"] == "failed"
    assert w.next("result", step="affected")["prepared_with"] == "pytest"
    assert w.interrupt() == 0
