"""The recorder (share/impact/python/impact_record.py) inside real pytest runs.

No impact binary and no git here: each test writes a small project in a
temporary directory, runs real pytest on it with the plugin loaded
(``-p impact_pytest_plugin``), ``$IMPACT_RECORD`` naming a sink directory
and ``$IMPACT_RECORD_ROOT`` the project, and reads the JSONL records the
run left there (the format is described in impact_record.py). Every test
runs on each interpreter found: Debian's python3, and pyenv's 3.12 and 3.13
with Debian's pytest on PYTHONPATH (sys.monitoring there).
"""
import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SOURCE_ROOT = Path(os.environ.get("IMPACT_SOURCE_ROOT") or Path(__file__).resolve().parents[2])
PLUGIN_DIR = SOURCE_ROOT / "share" / "impact" / "python"
DIST = "/usr/lib/python3/dist-packages"
PYENV = Path.home() / ".pyenv" / "versions"

_CANDIDATES = [("debian", "/usr/bin/python3")]
for _v in ("3.12", "3.13"):
    _found = sorted(PYENV.glob(_v + ".*/bin/python")) if PYENV.is_dir() else []
    _CANDIDATES.append((_v, str(_found[-1]) if _found else PYENV / (_v + ".missing")))


def _usable(py):
    if not os.path.exists(str(py)):
        return False
    r = subprocess.run([str(py), "-c", "import pytest, xdist"], capture_output=True,
                       env=dict(os.environ, PYTHONPATH=DIST))
    return r.returncode == 0


_USABLE = {}

# The build's C tracer (impact_ctrace.c), beside the binary under test.
CTRACE_DIR = (Path(os.environ["IMPACT_BIN"]).resolve().parent / "share" / "impact" / "python"
              if os.environ.get("IMPACT_BIN") else None)


def ctrace_built():
    return bool(CTRACE_DIR and any(CTRACE_DIR.glob("_impact_ctrace.cpython-*.so")))


class Interp(str):
    """An interpreter's path, with the tracer its records must name."""
    tracer = None


# Debian's python3 twice: with the C tracer, and with the pure-Python hook.
_MODES = [("debian", "ctrace"), ("debian", "setprofile"), ("3.12", "monitoring"),
          ("3.13", "monitoring")]


@pytest.fixture(params=_MODES, ids=["%s-%s" % m for m in _MODES])
def python(request, monkeypatch):
    name, tracer = request.param
    py = dict(_CANDIDATES)[name]
    if name not in _USABLE:
        _USABLE[name] = _usable(py)
    if not _USABLE[name]:
        pytest.skip("%s: no interpreter with pytest and xdist at %s" % (name, py))
    monkeypatch.delenv("IMPACT_RECORD_TRACER", raising=False)
    monkeypatch.delenv("IMPACT_RECORD_CTRACE_DIR", raising=False)
    if tracer == "ctrace":
        if not ctrace_built():
            pytest.skip("the build made no C tracer (no Python headers, or no IMPACT_BIN)")
        monkeypatch.setenv("IMPACT_RECORD_CTRACE_DIR", str(CTRACE_DIR))
    elif tracer == "setprofile":
        monkeypatch.setenv("IMPACT_RECORD_TRACER", "python")
    out = Interp(str(py))
    out.tracer = tracer
    return out


def _env(project, sink, extra=None):
    env = dict(os.environ)
    for k in ("IMPACT_EVENTS", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "COV_CORE_SOURCE",
              "PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST"):
        env.pop(k, None)
    env["PYTHONPATH"] = os.pathsep.join([str(PLUGIN_DIR), DIST])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if sink is not None:
        env["IMPACT_RECORD"] = str(sink)
        env["IMPACT_RECORD_ROOT"] = str(project)
    else:
        env.pop("IMPACT_RECORD", None)
        env.pop("IMPACT_RECORD_ROOT", None)
    env.update(extra or {})
    return env


def run_pytest(python, project, *args, record=True, plugins=(), extra_env=None):
    """Run pytest on project; returns (completed process, records by test id, other lines)."""
    sink = project.parent / (project.name + "-sink")
    if sink.exists():
        for f in sink.iterdir():
            f.unlink()
    else:
        sink.mkdir()
    argv = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    for p in plugins:
        argv += ["-p", p]
    argv += ["-p", "impact_pytest_plugin", *args]
    r = subprocess.run(argv, cwd=str(project), capture_output=True, timeout=300,
                       env=_env(project, sink if record else None, extra_env))
    files = sorted(f for f in sink.iterdir() if f.name.startswith("tests-"))
    for f in sink.iterdir():
        assert f.name.startswith(("tests-", "proc-")), f.name
    tests, others = {}, []
    for f in files:
        lines = decode_sink([json.loads(l) for l in f.read_text().splitlines()])
        assert lines, f
        others.append((f.name, lines[0], [l for l in lines[1:] if l.get("kind") != "test"]))
        for l in lines[1:]:
            if l.get("kind") == "test":
                assert l["id"] not in tests, l["id"]
                tests[l["id"]] = l
    return r, tests, others


def decode_sink(lines):
    """A tests file's lines with key numbers replaced by the [path, line]
    pairs they stand for (the keys line checked and left out)."""
    keys = None
    out = []
    mpaths, msets = None, {}
    for l in lines:
        if l.get("kind") == "modules":
            # every module path once, sorted; sets name them by number
            assert mpaths is None and set(l) == {"kind", "paths"}
            mpaths = l["paths"]
            assert mpaths == sorted(set(mpaths))
            continue
        if l.get("kind") == "modset":
            assert set(l) == {"kind", "n", "mods"} and l["n"] not in msets
            n, mods = 0, []
            for d in l["mods"]:
                assert d > 0 or (d == 0 and not mods), l
                n += d
                mods.append(mpaths[n])
            msets[l["n"]] = mods
            continue
        if l.get("kind") == "test" and "mset" in l:
            # the repository modules its process had imported by its end
            l["mods"] = msets[l.pop("mset")]
        if l.get("kind") == "keys":
            assert keys is None and set(l) == {"kind", "paths", "keys"}
            flat, paths = l["keys"], l["paths"]
            keys = [[paths[flat[i]], flat[i + 1]] for i in range(0, len(flat), 2)]
            assert keys == sorted(keys) and paths == sorted(set(paths))
            continue
        if l.get("kind") == "cache":
            # a function caching its results, and what computing them ran
            assert set(l) == {"kind", "fn", "fns"}, l
            l["fn"] = keys[l["fn"]]
        if l.get("kind") in ("test", "import", "cache"):
            for name in ("fns", "kept"):
                if name in l:
                    n, pairs = 0, []
                    for d in l[name]:
                        assert d > 0 or (d == 0 and not pairs), l
                        n += d
                        pairs.append(keys[n])
                    l[name] = pairs
        out.append(l)
    return out


def write(project, files):
    for rel, text in files.items():
        p = project / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))


def fn(project, rel, name):
    """[absolute path, co_firstlineno] of the function or class `name` in rel."""
    path = project / rel
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node.name == name:
            lines = [node.lineno] + [d.lineno for d in node.decorator_list]
            return [str(path), min(lines)]
    raise AssertionError("no %s in %s" % (name, rel))


def module(project, rel):
    return [str(project / rel), 0]  # module code is line 0


# ---------------------------------------------------------------- a project

PROJECT = {
    "pkg/__init__.py": "",
    "pkg/shapes.py": """
        def draw(obj):
            return obj.render()


        class Circle:
            def render(self):
                return "circle"


        class Square:
            def render(self):
                return "square"
        """,
    "pkg/db.py": """
        def connect():
            return {"rows": rows()}


        def rows():
            return [1, 2]


        def query(conn):
            return len(conn["rows"])
        """,
    "pkg/data.py": """
        def cases():
            return [1, 2, 3]


        def more():
            return ["a", "b"]


        def check(n):
            return n > 0
        """,
    "pkg/helpers.py": """
        def build():
            return {k: k * 2 for k in range(3)}


        def unused():
            return 0
        """,
    "pkg/registry.py": """
        from pkg.helpers import build

        TABLE = build()


        def register(f):
            return f


        @register
        def entry():
            return 1
        """,
    "pkg/work.py": """
        import threading


        def in_thread(out):
            out.append(deep())


        def deep():
            return 7


        def spawn():
            out = []
            t = threading.Thread(target=in_thread, args=(out,))
            t.start()
            t.join()
            return out
        """,
    "pkg/cache.py": """
        import functools

        _table = {}


        def load(name):
            return parse(name)


        def parse(name):
            return name.upper()


        def get(name):
            if name not in _table:
                _table[name] = load(name)
            return _table[name]


        @functools.lru_cache(maxsize=None)
        def compiled():
            return [x * 3 for x in range(4)]


        def use():
            return compiled()[1]


        def compile_tokens():
            return ("a", "b")


        class Lexer:
            tokens = None

            def __init__(self):
                if Lexer.tokens is None:
                    Lexer.tokens = compile_tokens()


        def solo():
            return 5
        """,
    "pkg/tmpl.py": """
        import os


        def render(name):
            path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "templates", name)
            with open(path) as f:
                code = compile(f.read(), path, "exec")
            ns = {}
            exec(code, ns)
            return ns["out"]


        def generated():
            ns = {}
            exec(compile("def g():\\n    return 3\\nout = g()", "<generated>", "exec"), ns)
            return ns["out"]
        """,
    "pkg/twin_a.py": """
        def same():
            return 1
        """,
    "pkg/twin_b.py": """
        def same():
            return 1
        """,
    "tests/test_twin.py": """
        from pkg import twin_a, twin_b


        def test_a():
            assert twin_a.same() == 1


        def test_b():
            assert twin_b.same() == 1
        """,
    # identical modules: their code objects compare equal, their files differ
    "tests/test_same1.py": """
        from pkg import twin_a


        def test_same():
            assert twin_a.same()
        """,
    "tests/test_same2.py": """
        from pkg import twin_a


        def test_same():
            assert twin_a.same()
        """,
    "templates/t.html": """
        out = 1 + 1
        """,
    "tests/conftest.py": """
        import pytest
        from pkg import db


        @pytest.fixture(scope="session")
        def conn():
            return db.connect()
        """,
    "tests/test_duck.py": """
        from pkg import shapes


        def test_circle():
            assert shapes.draw(shapes.Circle()) == "circle"
        """,
    "tests/test_db.py": """
        from pkg import db


        def test_one(conn):
            assert db.query(conn) == 2


        def test_two(conn):
            assert conn["rows"]
        """,
    "tests/test_param.py": """
        import pytest
        from pkg import data


        def pytest_generate_tests(metafunc):
            if "word" in metafunc.fixturenames:
                metafunc.parametrize("word", data.more())


        @pytest.mark.parametrize("n", data.cases())
        def test_n(n):
            assert data.check(n)


        def test_word(word):
            assert word
        """,
    "tests/test_registry.py": """
        from pkg import registry


        def test_table():
            assert registry.TABLE[2] == 4
        """,
    "tests/test_thread.py": """
        from pkg import work


        def test_thread():
            assert work.spawn() == [7]
        """,
    "tests/test_proc.py": """
        import subprocess
        import sys


        def test_subprocess():
            # env -i: sh starts without impact's variables, so nothing speaks for it
            subprocess.run(["env", "-i", "/bin/sh", "-c", "exit 0"], check=True)


        def test_python_child():
            subprocess.run([sys.executable, "-c", "pass"], check=True)


        def test_no_process():
            pass
        """,
    "tests/test_kept.py": """
        from pkg import cache


        def test_k1():
            assert cache.get("a") == "A"


        def test_k2():
            assert cache.get("a") == "A"


        def test_k3():
            assert cache.get("a") == "A"


        def test_l1():
            assert cache.use() == 3


        def test_l2():
            assert cache.use() == 3


        def test_lex1():
            assert cache.Lexer().tokens


        def test_lex2():
            assert cache.Lexer().tokens


        def test_solo():
            assert cache.solo() == 5


        def test_after_solo():
            assert cache.use() == 3
        """,
    "tests/test_tmpl.py": """
        from pkg import tmpl


        def test_template():
            assert tmpl.render("t.html") == 2


        def test_generated():
            assert tmpl.generated() == 3
        """,
}


@pytest.fixture
def project(tmp_path):
    p = tmp_path / "proj"
    write(p, PROJECT)
    return p


def fns(rec):
    return [list(x) for x in rec["fns"]]


def test_records_each_rule(python, project):
    r, tests, others = run_pytest(python, project)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert len(others) == 1
    name, head, extra = others[0]
    assert name == "tests-%s.jsonl" % name.split("-")[1].split(".")[0]
    assert head["v"] == 2 and head["rootdir"] == str(project) and head["worker"] is None
    assert head["tracer"] == python.tracer, head
    assert head["python"].count(".") == 2
    P = lambda rel, name: fn(project, rel, name)  # noqa: E731

    # every record well formed: sorted, unique, absolute, in the project
    for rec in tests.values():
        assert set(rec) == {"kind", "id", "path", "fns", "kept", "files", "opaque", "mods"}
        assert rec["path"] in rec["mods"], rec  # its own module, imported to collect it
        for key in ("fns", "kept"):
            assert rec[key] == sorted(rec[key])
            assert len({tuple(x) for x in rec[key]}) == len(rec[key])
            for path, line in rec[key]:
                assert path.startswith(str(project) + os.sep) and path.endswith(".py")
                assert isinstance(line, int)
                assert "impact_record" not in path and "impact_pytest_plugin" not in path
        assert not (set(map(tuple, rec["fns"])) & set(map(tuple, rec["kept"])))
    assert len(tests) == 28, sorted(tests)

    # a duck-typed call: the render that ran, not the other one
    duck = tests["tests/test_duck.py::test_circle"]
    assert duck["path"] == str(project / "tests/test_duck.py")
    assert P("pkg/shapes.py", "draw") in fns(duck)
    assert P("pkg/shapes.py", "render") in fns(duck)  # Circle.render: the first render
    square = [str(project / "pkg/shapes.py"), 11]
    assert fn(project, "pkg/shapes.py", "Square")[1] == 10
    assert square not in fns(duck)
    assert P("tests/test_duck.py", "test_circle") in fns(duck)

    # a session fixture: set up once, both tests that use it get its setup
    for t in ("tests/test_db.py::test_one", "tests/test_db.py::test_two"):
        assert P("pkg/db.py", "connect") in fns(tests[t]), t
        assert P("pkg/db.py", "rows") in fns(tests[t]), t
        assert P("tests/conftest.py", "conn") in fns(tests[t]), t
    assert P("pkg/db.py", "query") in fns(tests["tests/test_db.py::test_one"])
    assert P("pkg/db.py", "query") not in fns(tests["tests/test_db.py::test_two"])
    assert P("pkg/db.py", "connect") not in fns(duck)

    # collection: parametrize arguments and pytest_generate_tests, for every test of the file
    for n in (1, 2, 3):
        rec = tests["tests/test_param.py::test_n[%d]" % n]
        assert P("pkg/data.py", "cases") in fns(rec)
        assert P("pkg/data.py", "more") in fns(rec)
        assert P("pkg/data.py", "check") in fns(rec)
        assert module(project, "tests/test_param.py") in fns(rec)
    for w in ("a", "b"):
        rec = tests["tests/test_param.py::test_word[%s]" % w]
        assert P("pkg/data.py", "cases") in fns(rec)
        assert P("tests/test_param.py", "pytest_generate_tests") in fns(rec)
        assert P("pkg/data.py", "check") not in fns(rec)

    # import time: under the module imported, not under any test
    imports = {l["module"]: l for l in extra if l["kind"] == "import"}
    reg = imports[str(project / "pkg/registry.py")]
    assert set(reg) == {"kind", "module", "fns", "files"}
    assert P("pkg/helpers.py", "build") in reg["fns"]
    assert P("pkg/registry.py", "register") in reg["fns"]
    assert module(project, "pkg/registry.py") in reg["fns"]
    assert P("pkg/helpers.py", "unused") not in reg["fns"]
    for rec in tests.values():
        assert P("pkg/helpers.py", "build") not in fns(rec), rec["id"]
        assert P("pkg/registry.py", "register") not in fns(rec), rec["id"]
    assert str(project / "tests/conftest.py") in imports
    assert P("tests/test_registry.py", "test_table") in fns(tests["tests/test_registry.py::test_table"])

    # equal code objects in different files stay apart
    a, b = fn(project, "pkg/twin_a.py", "same"), fn(project, "pkg/twin_b.py", "same")
    assert a in fns(tests["tests/test_twin.py::test_a"]) and b not in fns(tests["tests/test_twin.py::test_a"])
    assert b in fns(tests["tests/test_twin.py::test_b"]) and a not in fns(tests["tests/test_twin.py::test_b"])
    for n in (1, 2):
        rec = tests["tests/test_same%d.py::test_same" % n]
        assert rec["path"] == str(project / ("tests/test_same%d.py" % n))
        assert module(project, "tests/test_same%d.py" % n) in fns(rec)
        assert module(project, "tests/test_same%d.py" % (3 - n)) not in fns(rec)
        assert fn(project, "tests/test_same%d.py" % n, "test_same") in fns(rec)
        assert fn(project, "tests/test_same%d.py" % (3 - n), "test_same") not in fns(rec)
    assert not any("/tests/" in m for m in imports if not m.endswith("conftest.py")), sorted(imports)

    # a thread
    th = tests["tests/test_thread.py::test_thread"]
    assert P("pkg/work.py", "in_thread") in fns(th) and P("pkg/work.py", "deep") in fns(th)

    # a process: opaque, with what it started
    sp = tests["tests/test_proc.py::test_subprocess"]
    assert sp["opaque"] and sp["opaque"].startswith("started ") and sp["opaque"].endswith(
        ": not recorded"), sp["opaque"]
    # env itself, or (with the exec reporter) the sh it started stripped
    assert re.search(r"/(sh|env): not recorded$", sp["opaque"]), sp["opaque"]
    # a Python child with the start-up hook recorded itself (it ran no project code)
    assert tests["tests/test_proc.py::test_python_child"]["opaque"] is None
    assert tests["tests/test_proc.py::test_no_process"]["opaque"] is None
    assert duck["opaque"] is None

    # once-per-process code: later tests keep what the first one filled
    k = {n: tests["tests/test_kept.py::" + n] for n in (
        "test_k1", "test_k2", "test_k3", "test_l1", "test_l2", "test_lex1", "test_lex2",
        "test_solo", "test_after_solo")}
    load, parse, get = (P("pkg/cache.py", n) for n in ("load", "parse", "get"))
    assert load in fns(k["test_k1"]) and parse in fns(k["test_k1"])
    assert k["test_k1"]["kept"] == []
    for n in ("test_k2", "test_k3"):
        assert get in fns(k[n]) and load not in fns(k[n])
        assert load in k[n]["kept"] and parse in k[n]["kept"], (n, k[n])
    compiled, use = P("pkg/cache.py", "compiled"), P("pkg/cache.py", "use")
    assert compiled in fns(k["test_l1"])
    for n in ("test_l2", "test_after_solo"):
        assert use in fns(k[n]) and compiled not in fns(k[n])
        assert compiled in k[n]["kept"], (n, k[n])
    ct = P("pkg/cache.py", "compile_tokens")
    assert ct in fns(k["test_lex1"]) and ct in k["test_lex2"]["kept"]
    # the functools cache found, with what computing its results ran; plain
    # memos (a dict, a class attribute) are no cache objects: none for them
    caches = {tuple(l["fn"]): l["fns"] for l in extra if l["kind"] == "cache"}
    assert list(caches) == [tuple(compiled)], caches
    # itself and its comprehension (its own code object before 3.12)
    assert compiled in caches[tuple(compiled)], caches
    assert all(k[0] == compiled[0] and compiled[1] <= k[1] <= compiled[1] + 2
               for k in caches[tuple(compiled)]), caches
    solo = P("pkg/cache.py", "solo")
    assert solo in fns(k["test_solo"])
    for rec in tests.values():
        assert solo not in rec["kept"]
        if rec["id"].startswith("tests/test_kept.py::test_l") or rec["id"].endswith("lex1"):
            assert load not in rec["kept"]
    assert ct not in k["test_l2"]["kept"] and load not in k["test_lex2"]["kept"]

    # code named after a repository file that is not Python: the file
    tm = tests["tests/test_tmpl.py::test_template"]
    assert tm["files"] == [str(project / "templates/t.html")]
    assert P("pkg/tmpl.py", "render") in fns(tm)
    gen = tests["tests/test_tmpl.py::test_generated"]
    assert gen["files"] == [] and P("pkg/tmpl.py", "generated") in fns(gen)
    for rec in tests.values():
        if rec is not tm:
            # "*": a native program ran (env, with the exec reporter): any file
            assert rec["files"] == [] or (rec["opaque"] and rec["files"] == ["*"]), rec


def test_without_impact_events_and_without_record(python, project):
    """No IMPACT_RECORD: nothing written, the run unchanged."""
    r, tests, others = run_pytest(python, project, record=False)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert tests == {} and others == []


def test_xdist_workers_each_record(python, project):
    r, tests, others = run_pytest(python, project, "-n", "2", "--dist", "loadfile")
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert len(others) == 2, [o[0] for o in others]
    assert sorted(o[1]["worker"] for o in others) == ["gw0", "gw1"]
    pids = {o[0] for o in others}
    assert all(n.startswith("tests-") and n.endswith(".jsonl") for n in pids)
    assert len(tests) == 28
    for t in ("tests/test_db.py::test_one", "tests/test_db.py::test_two"):
        assert fn(project, "pkg/db.py", "connect") in fns(tests[t])
    for n in (1, 2, 3):
        assert fn(project, "pkg/data.py", "cases") in fns(tests["tests/test_param.py::test_n[%d]" % n])
    assert tests["tests/test_proc.py::test_subprocess"]["opaque"]
    assert tests["tests/test_proc.py::test_python_child"]["opaque"] is None
    # the kept rule per worker (a file's tests stay on one worker with loadfile)
    load = fn(project, "pkg/cache.py", "load")
    assert load in fns(tests["tests/test_kept.py::test_k1"])
    assert load in tests["tests/test_kept.py::test_k2"]["kept"]
    # each worker is its own process: what it imported, under the module
    for name, head, extra in others:
        mods = {l["module"] for l in extra if l["kind"] == "import"}
        assert str(project / "tests/conftest.py") in mods


def test_filterwarnings_error(python, tmp_path):
    """Recording adds no warning: a project that turns warnings into errors runs the same."""
    p = tmp_path / "strict"
    write(p, {
        "pytest.ini": """
            [pytest]
            filterwarnings =
                error
            """,
        "lib/__init__.py": "",
        "lib/core.py": """
            import warnings


            def add(a, b):
                return a + b


            def noisy():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    warnings.warn("inside", UserWarning)
                return 1
            """,
        "tests/test_strict.py": """
            import gc
            import subprocess
            import sys

            from lib import core


            def test_add():
                assert core.add(1, 2) == 3


            def test_noisy():
                assert core.noisy() == 1


            def test_proc():
                subprocess.run([sys.executable, "-c", "pass"], check=True)
                gc.collect()
            """,
    })
    plain, _, _ = run_pytest(python, p, record=False)
    r, tests, others = run_pytest(python, p, "-W", "error")
    assert r.returncode == plain.returncode, r.stdout.decode() + r.stderr.decode()
    if "/.pyenv/" not in python:  # Debian's pytest 7.2 warns by itself on 3.12+
        assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
        out = r.stdout.decode() + r.stderr.decode()
        assert "warning" not in out.lower(), out
        assert fn(p, "lib/core.py", "add") in fns(tests["tests/test_strict.py::test_add"])
        assert len(tests) == 3


def test_generators_resumed_in_a_later_test(python, tmp_path):
    """A generator one test started and another resumes (next()) or throws
    into runs its code in the second test too, without starting: each
    tracer records it there (sys.monitoring: PY_RESUME and PY_THROW)."""
    p = tmp_path / "gens"
    write(p, {
        "pkg/__init__.py": "",
        "pkg/g.py": """
            def gen():
                yield 0
                yield helper()


            def helper():
                return 1


            def waiter():
                try:
                    yield 1
                except ValueError:
                    return
            """,
        "tests/test_g.py": """
            import pytest

            from pkg import g

            G = W = None


            def test_start():
                global G, W
                G, W = g.gen(), g.waiter()
                assert next(G) == 0 and next(W) == 1


            def test_resume():
                assert next(G) == 1


            def test_throw():
                with pytest.raises(StopIteration):
                    W.throw(ValueError("x"))
            """,
    })
    r, tests, others = run_pytest(python, p, "-p", "no:randomly")
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert others[0][1]["tracer"] == python.tracer
    T = lambda n: fns(tests["tests/test_g.py::" + n])  # noqa: E731
    assert fn(p, "pkg/g.py", "gen") in T("test_resume")
    assert fn(p, "pkg/g.py", "helper") in T("test_resume")
    assert fn(p, "pkg/g.py", "waiter") in T("test_throw")
    assert fn(p, "pkg/g.py", "gen") not in T("test_throw")


def test_functions_started_once_or_often_per_test(python, tmp_path):
    """Every repository function is recorded in every test it runs in,
    whether it starts once there (sys.monitoring leaves it armed) or many
    times (disabled at its second start, re-armed at the next boundary),
    and also after a fixture's sink or an import that ran it."""
    p = tmp_path / "often"
    write(p, {
        "pkg/__init__.py": "",
        "pkg/m.py": """
            def once():
                return 1


            def hot(n):
                return n + 1


            def count():
                for i in range(5):
                    yield hot(i)


            def unused():
                return 0
            """,
        "pkg/late.py": """
            from pkg import m

            VALUE = m.once() + m.hot(1)
            """,
        "tests/test_m.py": """
            import pytest

            from pkg import m


            @pytest.fixture(scope="module")
            def ready():
                return m.once() + m.hot(0)


            def test_a_once():
                assert m.once() == 1


            def test_b_hot():
                assert sum(m.hot(i) for i in range(50)) == 1275
                assert sum(m.count()) == 15


            def test_c_each_once():
                assert m.once() + m.hot(1) == 3
                assert next(m.count()) == 1


            def test_d_fixture(ready):
                assert ready == 2


            def test_e_after_fixture():
                assert m.once() + m.hot(2) == 4


            def test_f_import():
                from pkg import late
                assert late.VALUE == 3 and m.hot(3) == 4


            def test_g_nothing():
                assert True
            """,
    })
    M = lambda n: tuple(fn(p, "pkg/m.py", n))  # noqa: E731
    envs = [{}]
    minor = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                           capture_output=True, text=True).stdout.strip()
    if python.tracer == "monitoring" and cmon_built(minor):
        envs.append({"IMPACT_RECORD_CTRACE_DIR": str(CTRACE_DIR)})  # the C callback too
    for env in envs:
        r, tests, others = run_pytest(python, p, "-p", "no:randomly", extra_env=env)
        assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
        assert others[0][1]["tracer"] == python.tracer
        if env:
            assert others[0][1]["ctrace"] is None, others[0][1]
        T = lambda n: set(map(tuple, fns(tests["tests/test_m.py::" + n])))  # noqa: E731
        assert M("once") in T("test_a_once") and M("hot") not in T("test_a_once")
        assert {M("hot"), M("count")} <= T("test_b_hot") and M("once") not in T("test_b_hot")
        assert {M("once"), M("hot"), M("count")} <= T("test_c_each_once")
        assert {M("once"), M("hot")} <= T("test_d_fixture")  # the fixture's setup
        assert {M("once"), M("hot")} <= T("test_e_after_fixture")
        assert M("hot") in T("test_f_import")
        assert not T("test_g_nothing") & {M("once"), M("hot"), M("count")}
        assert all(M("unused") not in T(n) for n in ("test_a_once", "test_b_hot", "test_c_each_once"))


def test_lazy_module_types_run_nothing(python, tmp_path):
    """A module type whose __dict__ is a property (apipkg's lazy modules, as
    the py library has) loads everything when it is read: the recorder,
    looking at sys.modules and for caches, reads the stored namespace and
    runs none of it."""
    p = tmp_path / "lazy"
    write(p, {
        "lib/__init__.py": "",
        "lib/lazy.py": """
            import functools
            import os
            import sys
            import types

            MARK = os.path.join(os.path.dirname(__file__), "..", "loaded-everything")


            class LazyModule(types.ModuleType):
                @property
                def __dict__(self):
                    open(MARK, "w").close()
                    return {}


            m = LazyModule("lib.virtual")
            m.__file__ = os.path.join(os.path.dirname(__file__), "virtual.py")
            sys.modules["lib.virtual"] = m


            @functools.lru_cache(maxsize=None)
            def table(n):
                return n * 2
            """,
        "lib/virtual.py": "",
        "tests/test_lazy.py": """
            from lib import lazy


            def test_table():
                assert lazy.table(2) == 4


            def test_new_module():
                import json  # sys.modules grows: looked at again
                assert json
            """,
    })
    r, tests, others = run_pytest(python, p)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert fn(p, "lib/lazy.py", "table") in fns(tests["tests/test_lazy.py::test_table"])
    assert not (p / "loaded-everything").exists()


def test_monitoring_ids_taken(python, tmp_path):
    """All sys.monitoring tool ids held (coverage, a debugger...): record nothing, say why."""
    if "/.pyenv/" not in python:
        pytest.skip("sys.monitoring is Python >= 3.12")
    p = tmp_path / "held"
    write(p, {
        "grab_ids.py": """
            import sys
            for i in range(6):
                if sys.monitoring.get_tool(i) is None:
                    sys.monitoring.use_tool_id(i, "someone")
            """,
        "tests/test_x.py": """
            def test_x():
                pass
            """,
    })
    r, tests, others = run_pytest(python, p, plugins=["grab_ids"],
                                  extra_env={"PYTHONPATH": os.pathsep.join(
                                      [str(p), str(PLUGIN_DIR), DIST])})
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert tests == {}
    assert len(others) == 1
    head = others[0][1]
    assert set(head) == {"v", "disabled"} and head["v"] == 2
    assert "someone" in head["disabled"]


# ---------------------------------------------------------------- children

CHILD_PROJECT = {
    "pkg/__init__.py": "",
    "pkg/dyn.py": """
        import os


        def alpha():
            return "a"


        def beta():
            return "b"


        def gamma():
            return "g"


        def run(name):
            return globals()[name]()


        def run_and_exit(name):
            run(name)
            os._exit(0)


        def run_and_hang(name, ready):
            run(name)
            with open(ready, "w") as f:
                f.write("1")
            import time
            time.sleep(60)
        """,
    "tests/test_children.py": """
        import multiprocessing
        import os
        import signal
        import subprocess
        import sys
        import time

        import pytest

        from pkg import dyn

        ENV = dict(os.environ)   # built once at import time: goes stale for a test id
        CODE = "import sys; from pkg import dyn; dyn.run(sys.argv[1])"


        def child(name):
            subprocess.run([sys.executable, "-c", CODE, name], check=True, env=ENV)


        def test_sub_alpha():
            child("alpha")


        def test_sub_beta():
            child("beta")


        def test_grandchild_gamma():
            inner = "import subprocess, sys; subprocess.run([sys.executable, '-c', %r, 'gamma'], check=True)" % CODE
            subprocess.run([sys.executable, "-c", inner], check=True)


        def test_os_exit():
            subprocess.run([sys.executable, "-c",
                            "import sys; from pkg import dyn; dyn.run_and_exit(sys.argv[1])", "alpha"],
                           check=True)


        def test_sigkill(tmp_path):
            ready = str(tmp_path / "ready")
            p = subprocess.Popen([sys.executable, "-c",
                                  "import sys; from pkg import dyn; dyn.run_and_hang(sys.argv[1], sys.argv[2])",
                                  "beta", ready])
            for _ in range(600):
                if os.path.exists(ready):
                    break
                time.sleep(0.05)
            p.send_signal(signal.SIGKILL)
            p.wait()


        def test_fork_alpha():
            pid = os.fork()
            if pid == 0:
                try:
                    dyn.run("gamma")
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)


        @pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
        def test_mp(method):
            ctx = multiprocessing.get_context(method)
            p = ctx.Process(target=dyn.run, args=("beta",))
            p.start()
            p.join()
            assert p.exitcode == 0


        def test_forkserver_again():
            # the forkserver is up already: this child is forked by it, not by us
            ctx = multiprocessing.get_context("forkserver")
            p = ctx.Process(target=dyn.run, args=("alpha",))
            p.start()
            p.join()
            assert p.exitcode == 0
        """,
}


def test_children_record(python, tmp_path):
    p = tmp_path / "kids"
    write(p, CHILD_PROJECT)
    r, tests, others = run_pytest(python, p, "-p", "no:randomly")
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    D = lambda name: fn(p, "pkg/dyn.py", name)  # noqa: E731
    T = lambda name: tests["tests/test_children.py::" + name]  # noqa: E731

    def has(name, *want, lacks=()):
        rec = T(name)
        assert rec["opaque"] is None, (name, rec["opaque"])
        for w in want:
            assert D(w) in fns(rec), (name, w, rec)
        for w in lacks:
            assert D(w) not in fns(rec), (name, w, rec)

    has("test_sub_alpha", "alpha", "run", lacks=("beta", "gamma"))
    has("test_sub_beta", "beta", "run", lacks=("alpha", "gamma"))
    has("test_grandchild_gamma", "gamma", lacks=("alpha", "beta"))
    has("test_os_exit", "alpha", "run_and_exit", lacks=("beta", "gamma"))
    has("test_sigkill", "beta", "run_and_hang", lacks=("alpha", "gamma"))
    has("test_fork_alpha", "gamma", lacks=("alpha", "beta"))
    for m in ("spawn", "forkserver", "fork"):
        has("test_mp[%s]" % m, "beta", "run", lacks=("alpha", "gamma"))
    has("test_forkserver_again", "alpha", "run", lacks=("beta", "gamma"))
    # the child ran the import of pkg.dyn: the test's, and the parent's kept rule ignores it
    for rec in tests.values():
        assert rec["kept"] == []
    # one file per recorded test process, children in their own files
    assert len(others) == 1


def test_child_hook_changes_nothing(python, tmp_path):
    """A child's sys.path and output are what they would be without the hook."""
    p = tmp_path / "quiet"
    write(p, {
        "tests/test_env.py": """
            import json
            import subprocess
            import sys


            def test_child_path():
                out = subprocess.run([sys.executable, "-c",
                                      "import json, sys; print(json.dumps(sys.path))"],
                                     check=True, capture_output=True).stdout
                path = json.loads(out)
                assert not any(x.rstrip("/").endswith("impact_child") for x in path), path


            def test_child_env():
                out = subprocess.run([sys.executable, "-c",
                                      "import json, os; print(json.dumps(dict(os.environ)))"],
                                     check=True, capture_output=True).stdout
                env = json.loads(out)
                assert "impact_child" not in env.get("PYTHONPATH", ""), env
                assert "IMPACT_RECORD_CHILDREN" not in env
            """,
    })
    r, tests, others = run_pytest(python, p)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert tests["tests/test_env.py::test_child_path"]["opaque"] is None
    assert tests["tests/test_env.py::test_child_env"]["opaque"] is None


# ---------------------------------------------------------------- both tracers

SHAPES_PROJECT = {
    "pkg/nested.py": """
        import functools


        def outer(n):
            def inner(k):
                return [sq(i) for i in range(k)]
            f = lambda x: x + 1  # noqa: E731
            return sum(inner(f(n))) + sum(gen(n)) + sorted([3, 1, 2], key=lambda v: -v)[0]


        def sq(i):
            return i * i


        def gen(n):
            for i in range(n):
                yield helper(i)


        def helper(i):
            return i


        def waiter():
            while True:
                yield 1


        def catcher():
            g = gen(3)
            next(g)
            try:
                g.throw(ValueError("x"))
            except ValueError:
                return fails_inside()


        def fails_inside():
            try:
                raise KeyError("k")
            except KeyError:
                return helper(1)


        class Meta(type):
            def __new__(mcs, name, bases, ns):
                return super().__new__(mcs, name, bases, ns)


        class Base(metaclass=Meta):
            @property
            def value(self):
                return compute()

            @functools.cached_property
            def cached(self):
                return compute() + 1


        def compute():
            return 4


        async def coro():
            return helper(2)


        def deco(f):
            @functools.wraps(f)
            def wrapper(*a):
                return f(*a)
            return wrapper


        @deco
        def decorated(x):
            return x * 2


        def pooled():
            from concurrent.futures import ThreadPoolExecutor
            with ThreadPoolExecutor(2) as ex:
                return sum(ex.map(lambda i: sq(i) + compute(), range(4)))
        """,
    "pkg/broken.py": """
        from pkg.nested import compute

        VALUE = compute()
        raise ImportError("pkg.broken cannot be imported")
        """,
    "tests/test_nested.py": """
        import asyncio

        import pytest
        from pkg import nested

        G = nested.gen(5)
        H = nested.gen(5)
        next(H)


        @pytest.fixture(scope="module")
        def base():
            return nested.Base()


        def test_outer():
            assert nested.outer(3) > 0


        def test_generator_resumed_1():
            assert next(G) == 0


        def test_generator_resumed_2():
            assert next(G) == 1


        def test_throw():
            assert nested.catcher() == 1


        def test_throw_into_a_generator_of_the_collection():
            with pytest.raises(ValueError):
                H.throw(ValueError("x"))


        def test_start_waiter():
            global W
            W = nested.waiter()
            assert next(W) == 1


        def test_throw_into_waiter():
            with pytest.raises(ValueError):
                W.throw(ValueError("x"))


        def test_property(base):
            assert base.value == 4


        def test_cached(base):
            assert base.cached == 5


        def test_coroutine():
            assert asyncio.run(nested.coro()) == 2


        def test_decorated():
            assert nested.decorated(2) == 4


        def test_pool():
            assert nested.pooled() == 30


        def test_broken_import():
            with pytest.raises(ImportError):
                import pkg.broken  # noqa: F401
            assert nested.sq(3) == 9
        """,
}


def test_both_tracers_record_the_same(tmp_path):
    """Debian's python3 with the C tracer and with the pure-Python hook:
    the same records, line for line (threads, nested functions, lambdas,
    comprehensions, generators resumed and thrown into, fixtures of session
    and module scope, import-time code, an import that raises, children)."""
    py = dict(_CANDIDATES)["debian"]
    if not _usable(py):
        pytest.skip("no Debian python3 with pytest and xdist")
    if not ctrace_built():
        pytest.skip("the build made no C tracer (no Python headers, or no IMPACT_BIN)")
    p = tmp_path / "both"
    write(p, dict(PROJECT, **SHAPES_PROJECT))
    out = {}
    for tracer, env in (("ctrace", {"IMPACT_RECORD_CTRACE_DIR": str(CTRACE_DIR)}),
                        ("setprofile", {"IMPACT_RECORD_TRACER": "python",
                                        "IMPACT_RECORD_CTRACE_DIR": str(CTRACE_DIR)})):
        r, tests, others = run_pytest(py, p, "-p", "no:randomly", extra_env=env)
        assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
        assert len(others) == 1
        assert others[0][1]["tracer"] == tracer, others[0][1]
        out[tracer] = (tests, others[0][2])
    (ct, cimp), (pt, pimp) = out["ctrace"], out["setprofile"]
    assert sorted(ct) == sorted(pt)
    diff = {tid: (sorted(set(map(tuple, ct[tid]["fns"])) - set(map(tuple, pt[tid]["fns"]))),
                  sorted(set(map(tuple, pt[tid]["fns"])) - set(map(tuple, ct[tid]["fns"]))))
            for tid in pt if ct[tid] != pt[tid]}
    assert not diff, json.dumps(diff, indent=1)
    assert cimp == pimp
    # and they saw what there was to see
    N = lambda name: fn(p, "pkg/nested.py", name)  # noqa: E731
    T = lambda name: fns(ct["tests/test_nested.py::" + name])  # noqa: E731
    assert N("outer") in T("test_outer") and N("sq") in T("test_outer")
    assert N("gen") in T("test_generator_resumed_2")
    assert N("compute") in T("test_pool") and N("sq") in T("test_pool")
    assert N("compute") in T("test_cached") and N("fails_inside") in T("test_throw")
    assert N("helper") in T("test_coroutine") and N("decorated") in T("test_decorated")
    assert N("sq") in T("test_broken_import")
    assert N("waiter") in T("test_start_waiter") and N("waiter") in T("test_throw_into_waiter")
    assert N("compute") not in T("test_broken_import")  # the import's, not the test's
    broken = [l for l in cimp if l.get("module") == str(p / "pkg/broken.py")]
    assert broken and N("compute") in broken[0]["fns"]


def test_one_monitoring_id_records_the_same(tmp_path):
    """sys.monitoring with one free tool id (restart_events re-arms
    everything) and with two (repository code re-armed by its local
    events): the same records, line for line, on each rule's project."""
    p = tmp_path / "one"
    write(p, dict(PROJECT, **SHAPES_PROJECT))
    write(p, {"grab_ids.py": """
        import sys
        free = [i for i in range(6) if sys.monitoring.get_tool(i) is None]
        for i in free[:-1]:
            sys.monitoring.use_tool_id(i, "someone")
        """})
    ran = 0
    for name in ("3.12", "3.13"):
        py = dict(_CANDIDATES)[name]
        if not _usable(py):
            continue
        ran += 1
        out = []
        for plugins in ((), ("grab_ids",)):
            r, tests, others = run_pytest(py, p, "-p", "no:randomly", plugins=plugins,
                                          extra_env={"PYTHONPATH": os.pathsep.join(
                                              [str(p), str(PLUGIN_DIR), DIST])})
            assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
            assert len(others) == 1 and others[0][1]["tracer"] == "monitoring", others
            if plugins:  # one free id: no C callback, and the header says why
                assert "one free sys.monitoring tool id" in others[0][1]["ctrace"], others
            for t in tests.values():  # the plugin itself is a module of the project
                t["mods"] = [m for m in t["mods"] if m != str(p / "grab_ids.py")]
            out.append((tests, others[0][2]))
        (two, imp2), (one, imp1) = out
        assert sorted(two) == sorted(one)
        diff = {tid: (sorted(set(map(tuple, two[tid]["fns"])) - set(map(tuple, one[tid]["fns"]))),
                      sorted(set(map(tuple, one[tid]["fns"])) - set(map(tuple, two[tid]["fns"]))))
                for tid in one if two[tid] != one[tid]}
        assert not diff, json.dumps(diff, indent=1)
        assert imp2 == imp1
        assert any(two[t]["kept"] for t in two)  # the kept rule had something to compare
    if not ran:
        pytest.skip("no pyenv 3.12/3.13 with pytest and xdist")


def cmon_built(version):
    return bool(CTRACE_DIR and any(CTRACE_DIR.glob(
        "_impact_cmon%s.cpython-*.so" % version.replace(".", ""))))


def test_monitoring_in_c_records_the_same(tmp_path):
    """sys.monitoring with the C callback (impact_cmon.c) and with the
    Python one: the same records, line for line, on each rule's project;
    the header says the C one was used (ctrace null) or why not."""
    p = tmp_path / "cmon"
    write(p, dict(PROJECT, **SHAPES_PROJECT))
    ran = 0
    for name in ("3.12", "3.13"):
        py = dict(_CANDIDATES)[name]
        if not _usable(py) or not cmon_built(name):
            continue
        ran += 1
        out = []
        for env in ({"IMPACT_RECORD_CTRACE_DIR": str(CTRACE_DIR)},
                    {"IMPACT_RECORD_CTRACE_DIR": str(CTRACE_DIR), "IMPACT_RECORD_TRACER": "python"}):
            r, tests, others = run_pytest(py, p, "-p", "no:randomly", extra_env=env)
            assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
            assert len(others) == 1 and others[0][1]["tracer"] == "monitoring", others
            out.append((tests, others[0][1], others[0][2]))
        (c, chead, cimp), (py_, phead, pimp) = out
        assert chead["ctrace"] is None, chead
        assert phead["ctrace"] == "IMPACT_RECORD_TRACER=python", phead
        assert sorted(c) == sorted(py_)
        diff = {tid: (sorted(set(map(tuple, c[tid]["fns"])) - set(map(tuple, py_[tid]["fns"]))),
                      sorted(set(map(tuple, py_[tid]["fns"])) - set(map(tuple, c[tid]["fns"]))))
                for tid in py_ if c[tid] != py_[tid]}
        assert not diff, json.dumps(diff, indent=1)
        assert cimp == pimp
        assert any(c[t]["kept"] for t in c)  # call sites were compared
        N = lambda n: fn(p, "pkg/nested.py", n)  # noqa: E731
        T = lambda n: fns(c["tests/test_nested.py::" + n])  # noqa: E731
        assert N("outer") in T("test_outer") and N("compute") in T("test_pool")
        assert N("waiter") in T("test_throw_into_waiter") and N("gen") in T("test_generator_resumed_2")
        # after an import that raised (its end seen by PY_UNWIND, on for the whole
        # run with the C callback): what the test runs next is the test's
        assert N("sq") in T("test_broken_import")
        assert N("compute") not in T("test_broken_import")  # the import's, not the test's
        broken = [l for l in cimp if l.get("module") == str(p / "pkg/broken.py")]
        assert broken and N("compute") in broken[0]["fns"]
    if not ran:
        pytest.skip("no pyenv 3.12/3.13 with pytest and xdist, or no impact_cmon built for it")
