"""Records follow tests into the processes they start, end to end.

For each way of starting a process, two test files whose children run
different functions of one module, chosen by a computed name (so the
static walk keeps both): after `impact --all` recorded them, breaking one
function selects exactly the test file whose children ran it. The same
with a grandchild, a child that ends in os._exit and a child killed by
SIGKILL after it ran the function, and a child whose PYTHONPATH the test
replaced with its own sys.path. A native program (a shell, cat) says
what it started through the exec reporter: a test whose shell ran Python
gets what that Python ran, one whose native programs might have read a
data file keeps it as a dependency; a child nothing speaks for (an
environment without impact's variables) keeps its test static, and
--explain says why.
"""
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest



def failing(repo):
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--tb=no", "-rfE"], cwd=repo.path, env=repo.env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return sorted({m.group(2) for m in re.finditer(r"^(FAILED|ERROR) ([^:\s]+)", r.stdout, re.M)})


DYN = textwrap.dedent("""\
    import os
    import sys


    def alpha():
        return "a"


    def beta():
        return "b"


    def check(name):
        # by a computed name: no static walk tells which function runs
        want = name[0]
        return globals()[name]() == want


    def main():
        sys.exit(0 if check(sys.argv[1]) else 1)


    if __name__ == "__main__":
        main()
    """)

CODE = "import sys; from pkg import dyn; sys.exit(0 if dyn.check(sys.argv[1]) else 1)"

# How each test file starts its child: a body using NAME ('alpha'/'beta').
STARTS = {
    "subprocess": """
        import subprocess, sys
        def test_it():
            assert subprocess.run([sys.executable, "-c", CODE, NAME]).returncode == 0
        """,
    "asyncio": """
        import asyncio, sys
        def test_it():
            async def go():
                p = await asyncio.create_subprocess_exec(sys.executable, "-c", CODE, NAME)
                return await p.wait()
            assert asyncio.run(go()) == 0
        """,
    "posix_spawn": """
        import os, sys
        def test_it():
            pid = os.posix_spawn(sys.executable, [sys.executable, "-c", CODE, NAME], dict(os.environ))
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
        """,
    "os.fork": """
        import os
        from pkg import dyn
        def test_it():
            pid = os.fork()
            if pid == 0:
                os._exit(0 if dyn.check(NAME) else 1)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
        """,
    "multiprocessing spawn": """
        import multiprocessing, sys
        from pkg import dyn
        def run(name):
            sys.exit(0 if dyn.check(name) else 1)
        def test_it():
            p = multiprocessing.get_context("spawn").Process(target=run, args=(NAME,))
            p.start()
            p.join()
            assert p.exitcode == 0
        """,
    "multiprocessing forkserver": """
        import multiprocessing, sys
        from pkg import dyn
        def run(name):
            sys.exit(0 if dyn.check(name) else 1)
        def test_it():
            p = multiprocessing.get_context("forkserver").Process(target=run, args=(NAME,))
            p.start()
            p.join()
            assert p.exitcode == 0
        """,
    "multiprocessing fork": """
        import multiprocessing, sys
        from pkg import dyn
        def run(name):
            sys.exit(0 if dyn.check(name) else 1)
        def test_it():
            p = multiprocessing.get_context("fork").Process(target=run, args=(NAME,))
            p.start()
            p.join()
            assert p.exitcode == 0
        """,
    "pexpect": """
        import sys
        import pexpect
        def test_it():
            child = pexpect.spawn(sys.executable, ["-c", CODE, NAME])
            child.expect(pexpect.EOF)
            child.close()
            assert child.exitstatus == 0
        """,
    "trio": """
        import sys
        import trio
        def test_it():
            async def go():
                p = await trio.run_process([sys.executable, "-c", CODE, NAME], check=False)
                return p.returncode
            assert trio.run(go) == 0
        """,
    # pyflakes' own suite: the child's PYTHONPATH is the test's sys.path,
    # which does not hold impact's start-up hook; the child is still recorded.
    "PYTHONPATH replaced": """
        import os, subprocess, sys
        def test_it():
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(sys.path)
            assert subprocess.run([sys.executable, "-c", CODE, NAME], env=env).returncode == 0
        """,
    "grandchild": """
        import subprocess, sys
        def test_it():
            inner = ("import subprocess, sys; sys.exit(subprocess.run([sys.executable, '-c', %r, %r]).returncode)"
                     % (CODE, NAME))
            assert subprocess.run([sys.executable, "-c", inner]).returncode == 0
        """,
    "os._exit": """
        import subprocess, sys
        def test_it():
            code = "import os, sys; from pkg import dyn; os._exit(0 if dyn.check(sys.argv[1]) else 1)"
            assert subprocess.run([sys.executable, "-c", code, NAME]).returncode == 0
        """,
    "SIGKILL": """
        import os, signal, subprocess, sys, time
        def test_it(tmp_path):
            out = tmp_path / "result"
            code = ("import sys, time; from pkg import dyn; ok = dyn.check(sys.argv[1]); "
                    "open(sys.argv[2], 'w').write('ok' if ok else 'bad'); time.sleep(120)")
            p = subprocess.Popen([sys.executable, "-c", code, NAME, str(out)])
            try:
                for _ in range(1200):
                    if out.exists() and out.read_text():
                        break
                    time.sleep(0.05)
            finally:
                p.send_signal(signal.SIGKILL)
                p.wait()
            assert out.read_text() == "ok"
        """,
}


def project(start):
    body = textwrap.dedent(STARTS[start])
    files = {"pkg/__init__.py": "", "pkg/dyn.py": DYN}
    for name in ("alpha", "beta"):
        # The test module imports pkg.dyn too, so the static walk reaches both.
        files["tests/test_%s.py" % name] = ("from pkg import dyn as _dyn  # noqa: F401\n"
                                            "CODE = %r\nNAME = %r\n" % (CODE, name)) + body
    return files


@pytest.mark.parametrize("start", sorted(STARTS))
def test_a_change_selects_the_test_whose_children_ran_it(rrepo, start):
    if start in ("pexpect", "trio"):
        pytest.importorskip(start, reason="apt-get install python3-" + start)
    rrepo.write_many(project(start))
    rrepo.commit(start)
    r = rrepo.impact("--all", "-q")
    assert r.returncode == 0, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    st = rrepo.impact("records", "stats").stdout.decode()
    assert "records:   2 test files" in st, st
    text = (rrepo.path / "pkg/dyn.py").read_text().replace('return "a"', 'return "A"')
    rrepo.write("pkg/dyn.py", text)
    rrepo.commit("break alpha")
    assert failing(rrepo) == ["tests/test_alpha.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_alpha.py"]


def test_static_selection_of_code_run_in_a_child(rrepo):
    """The code a test runs with `python -c CODE` is read as code (issue 17):
    without records, the test naming dyn.check in that string is selected."""
    rrepo.write_many(project("subprocess"))
    rrepo.commit("subprocess")
    text = (rrepo.path / "pkg/dyn.py").read_text().replace('return "a"', 'return "A"')
    rrepo.write("pkg/dyn.py", text)
    rrepo.commit("break alpha")
    assert "tests/test_alpha.py" in rrepo.listing("--no-records", "HEAD~1..")


def test_a_system_program_that_runs_no_python_keeps_the_record(rrepo):
    """platform.uname() runs /usr/bin/uname: that runs no repository code and
    starts nothing, so the test is still recorded (and narrowed)."""
    files = project("subprocess")
    files["tests/test_beta.py"] = (
        "import subprocess\nfrom pkg import dyn\n\n\ndef test_it():\n"
        "    subprocess.run(['uname', '-s'], check=True, capture_output=True)\n"
        "    assert dyn.check('be' + 'ta')\n")
    rrepo.write_many(files)
    rrepo.commit("uname")
    assert rrepo.impact("--all", "-q").returncode == 0
    text = (rrepo.path / "pkg/dyn.py").read_text().replace('return "a"', 'return "A"')
    rrepo.write("pkg/dyn.py", text)
    rrepo.commit("break alpha")
    assert failing(rrepo) == ["tests/test_alpha.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_alpha.py"]


def exec_reporter_built():
    """libimpact_exec.so beside the binary's build (not in sanitizer builds)."""
    import os
    build = Path(os.environ.get("IMPACT_BIN", "impact")).resolve().parent
    return (build / "share" / "impact" / "python" / "libimpact_exec.so").is_file()


needs_reporter = pytest.mark.skipif(not exec_reporter_built(),
                                    reason="the exec reporter is not built (sanitizer build)")


def with_beta(body):
    files = project("subprocess")
    files["tests/test_beta.py"] = (
        "import os, subprocess, sys\nfrom pkg import dyn\n\n\ndef test_it():\n" + body +
        "    assert dyn.check('be' + 'ta')\n")
    return files


def break_alpha(rrepo):
    text = (rrepo.path / "pkg/dyn.py").read_text().replace('return "a"', 'return "A"')
    rrepo.write("pkg/dyn.py", text)
    rrepo.commit("break alpha")
    assert failing(rrepo) == ["tests/test_alpha.py"]


@needs_reporter
def test_a_native_program_that_starts_no_python_keeps_the_record(rrepo):
    """/bin/sh runs cat: native programs, preloaded with the exec reporter,
    say what they started; none ran Python, so test_beta is narrowed."""
    rrepo.write_many(with_beta("    subprocess.run(['sh', '-c', 'cat /dev/null | cat'], check=True)\n"))
    rrepo.commit("sh")
    assert rrepo.impact("--all", "-q").returncode == 0
    break_alpha(rrepo)
    assert rrepo.listing("HEAD~1..") == ["tests/test_alpha.py"]


@needs_reporter
def test_python_started_by_a_native_program_is_recorded(rrepo):
    """A shell that starts Python: the Python records itself and the shell
    links it to the test, so each test file gets what its grandchild ran."""
    files = project("subprocess")
    for name in ("alpha", "beta"):
        files["tests/test_%s.py" % name] = (
            "import shlex, subprocess, sys\nfrom pkg import dyn as _dyn  # noqa: F401\n"
            "CODE = %r\nNAME = %r\n\n\ndef test_it():\n"
            "    cmd = ' '.join(shlex.quote(a) for a in (sys.executable, '-c', CODE, NAME))\n"
            "    assert subprocess.run(['sh', '-c', cmd + '; exit $?']).returncode == 0\n"
            % (CODE, name))
    rrepo.write_many(files)
    rrepo.commit("shell")
    assert rrepo.impact("--all", "-q").returncode == 0
    break_alpha(rrepo)
    assert rrepo.listing("HEAD~1..") == ["tests/test_alpha.py"]


@needs_reporter
def test_a_file_a_native_program_may_have_read_keeps_its_test(rrepo):
    """cat reads a data file no trace sees: any changed non-Python file
    keeps the test (its record names every such file)."""
    files = with_beta("    out = subprocess.run(['cat', 'data/word.txt'], check=True,"
                      " capture_output=True, text=True).stdout\n"
                      "    assert out.strip() == 'hello'\n")
    files["data/word.txt"] = "hello\n"
    rrepo.write_many(files)
    rrepo.commit("cat")
    assert rrepo.impact("--all", "-q").returncode == 0
    rrepo.write("data/word.txt", "bye\n")
    rrepo.commit("change the word")
    assert failing(rrepo) == ["tests/test_beta.py"]
    assert rrepo.listing("HEAD~1..") == ["tests/test_beta.py"]


def test_a_child_that_is_not_recorded_keeps_its_test_static(rrepo):
    """env -i starts sh without impact's variables (and without the
    reporter): nothing says what it ran, so test_beta stays static."""
    rrepo.write_many(with_beta("    subprocess.run(['env', '-i', 'sh', '-c', 'exit 0'], check=True)\n"))
    rrepo.commit("sh")
    assert rrepo.impact("--all", "-q").returncode == 0
    break_alpha(rrepo)
    assert sorted(rrepo.listing("HEAD~1..")) == ["tests/test_alpha.py", "tests/test_beta.py"]
    text = rrepo.impact("--explain", "HEAD~1..").stdout.decode()
    assert re.search(r"tests/test_beta.py .*\n  not recorded: started \S*(env|sh)", text), text


@needs_reporter
def test_a_native_program_killed_at_once_keeps_the_record(rrepo):
    """A pager the code under test terminates as soon as it started: the
    reporter loads in it before its main (a dynamic program, impact's
    variables in its environment), so a process that left no line ran
    nothing; either way test_beta is narrowed."""
    rrepo.write_many(with_beta(
        "    p = subprocess.Popen(['cat'], stdin=subprocess.PIPE)\n"
        "    p.kill()\n"
        "    p.wait()\n"))
    rrepo.commit("killed pager")
    assert rrepo.impact("--all", "-q").returncode == 0
    break_alpha(rrepo)
    assert rrepo.listing("HEAD~1..") == ["tests/test_alpha.py"], rrepo.impact(
        "--explain", "HEAD~1..").stdout.decode()


@needs_reporter
def test_a_python_that_skips_the_start_up_hook_keeps_its_test_static(rrepo):
    """python -I ignores PYTHONPATH, so impact's start-up hook: the reporter
    marks it as a Python that must record itself, which it never does."""
    rrepo.write_many(with_beta(
        "    subprocess.run(['sh', '-c', 'exec \"$0\" -I -c pass', sys.executable], check=True)\n"))
    rrepo.commit("python -I")
    assert rrepo.impact("--all", "-q").returncode == 0
    break_alpha(rrepo)
    assert sorted(rrepo.listing("HEAD~1..")) == ["tests/test_alpha.py", "tests/test_beta.py"]
    text = rrepo.impact("--explain", "HEAD~1..").stdout.decode()
    assert "a Python that did not start impact's recorder" in text, text
