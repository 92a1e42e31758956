"""A prepared interpreter for `impact watch`: pytest imported, waiting for a run.

impact starts this script (with the interpreter it runs the tests with)
while the loop waits for a save, so the next run does not pay for the
interpreter's start and imports. It imports pytest and the plugins
installed for it (pytest11 entry points), and, when started with
``--tests FILE`` arguments, the project's modules those test files import
(never a test file, a conftest, or a module outside the repository).

It then writes one report line on stdout (a pipe impact reads), a JSON
object:

    {"ok": true, "modules": [names imported ahead],
     "files": [repository-relative files of every repository module
               imported], "stat": [[mtime_ns, size] per file],
     "keys": [paths (no suffix) where a new file would shadow one of them]}

impact discards this process when a save touches one of `files` or
`keys` (or a configuration file): its modules would be stale. With
``"ok": false, "why": "..."`` the project's imports failed, printed,
warned or changed the process (its directory, environment, arguments,
threads): this process is unusable and exits; impact falls back to an
interpreter that imported pytest alone, and says so.

Then it reads one request from stdin, a JSON object:

    {"argv": [pytest's arguments], "env": {"NAME": "value"}, "cwd": "...",
     "output": "/path/of/the/log"}

and becomes that run, exactly as `python -m pytest <argv>` started with
that environment would be: the variables set (PYTHONPATH's entries put
on sys.path as the interpreter would have at start), stdout and stderr
appended to `output`, the working directory first on sys.path, import
caches invalidated, and pytest's __main__ run. End of input without a
request: it exits quietly.
"""
import json
import os
import sys

MAX_TEST_FILES = 200


def _prepare():
    import pytest  # noqa: F401 (the point: imported before the request)
    import _pytest.config  # noqa: F401
    try:
        from importlib.metadata import entry_points
        eps = entry_points()
        group = eps.select(group="pytest11") if hasattr(eps, "select") else eps.get("pytest11", [])
        for ep in group:
            try:
                __import__(ep.value.split(":")[0])
            except Exception:
                pass  # pytest itself will say what is wrong, at the run
    except Exception:
        pass


def _args(argv):
    tests, roots = [], []
    it = iter(argv)
    for a in it:
        if a == "--tests":
            tests.append(next(it, ""))
        elif a == "--root":
            roots.append(next(it, ""))
    return [t for t in tests if t][:MAX_TEST_FILES], roots


def _under(path, root):
    return path == root or path.startswith(root + os.sep)


def _third_party(path):
    parts = path.split(os.sep)
    return "site-packages" in parts or "dist-packages" in parts


def _is_test_file(path, tests):
    base = os.path.basename(path)
    return (path in tests or base == "conftest.py"
            or (base.startswith("test_") and base.endswith(".py")) or base.endswith("_test.py"))


def _basedir(path, root):
    """The folder pytest's prepend mode puts on sys.path for a test file."""
    d = os.path.dirname(path)
    while _under(d, root) and d != root and os.path.exists(os.path.join(d, "__init__.py")):
        d = os.path.dirname(d)
    return d


def _wanted(tests, root):
    """The absolute imports of the test files (dotted names), in order, each once."""
    import ast
    names = []
    for t in tests:
        try:
            with open(t, "rb") as f:
                tree = ast.parse(f.read(), t)
        except Exception:
            continue
        for node in ast.walk(tree):
            found = []
            if isinstance(node, ast.Import):
                found = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found = [node.module]
            for n in found:
                if n not in names:
                    names.append(n)
    return names


def _rewrites(tests, root):
    """A conftest.py in scope of the test files that registers modules for
    assertion rewriting (they must be imported after it): its path, or None."""
    seen = set()
    for t in tests:
        d = os.path.dirname(t)
        while _under(d, root) and d not in seen:
            seen.add(d)
            c = os.path.join(d, "conftest.py")
            try:
                with open(c, "rb") as f:
                    if b"register_assert_rewrite" in f.read():
                        return c
            except OSError:
                pass
            if d == root:
                break
            d = os.path.dirname(d)
    return None


def _project_name(top, root, dirs, test_dirs):
    """Is the top-level name `top` the project's own, found in one place only,
    and no test helper (nothing in a test file's folder)?"""
    import importlib.util
    if top in sys.modules or top in getattr(sys, "stdlib_module_names", ()):
        return False
    try:
        spec = importlib.util.find_spec(top)
    except Exception:
        return False
    if spec is None:
        return False
    where = list(spec.submodule_search_locations or []) or [spec.origin or ""]
    where = [os.path.realpath(w) for w in where if w]
    if not where or not all(_under(w, root) and not _third_party(w) for w in where):
        return False
    if any(_under(w, d) for w in where for d in test_dirs if d != root):
        return False
    home = {os.path.dirname(w) for w in where}  # the sys.path entry it was found in
    for d in dirs:  # another folder a run may put first on sys.path holds the name too
        if os.path.realpath(d) in home:
            continue
        if os.path.exists(os.path.join(d, top + ".py")) or os.path.isdir(os.path.join(d, top)):
            return False
    return True


def _repo_modules(root):
    out = {}
    for name, m in list(sys.modules.items()):
        f = getattr(m, "__file__", None)
        if not f:
            continue
        f = os.path.realpath(f)
        if _under(f, root) and not _third_party(f):
            out[name] = f
    return out


class _Captured:
    """Output at the descriptor and sys.std* level, warnings: all caught."""

    def __enter__(self):
        import tempfile
        import warnings
        self.tmp = tempfile.TemporaryFile()
        sys.stdout.flush()
        sys.stderr.flush()
        self.fds = os.dup(1), os.dup(2)
        os.dup2(self.tmp.fileno(), 1)
        os.dup2(self.tmp.fileno(), 2)
        import io
        self.buf = io.StringIO()
        self.std = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = self.buf
        self.warn = warnings.catch_warnings(record=True)
        self.warnings = self.warn.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self.warn.__exit__(None, None, None)
        sys.stdout, sys.stderr = self.std
        os.dup2(self.fds[0], 1)
        os.dup2(self.fds[1], 2)
        os.close(self.fds[0])
        os.close(self.fds[1])
        self.printed = self.buf.getvalue() or os.fstat(self.tmp.fileno()).st_size > 0
        self.tmp.close()
        return False


def _import_project(tests, roots):
    """Import the test files' project modules. Returns the report."""
    import importlib
    import threading
    root = os.path.realpath(os.getcwd())
    tests = [os.path.realpath(os.path.join(root, t)) for t in tests]
    dirs = [root] + [os.path.join(root, r) for r in roots]
    for t in tests:
        for d in (os.path.dirname(t), _basedir(t, root)):
            if d not in dirs:
                dirs.append(d)
    sys.path[0] = root  # as `python -m pytest` run there has it
    before = (os.getcwd(), dict(os.environ), list(sys.argv), threading.active_count())
    why, done, raised_in = None, [], set()
    test_dirs = {os.path.dirname(t) for t in tests}
    names = [n for n in _wanted(tests, root)
             if _project_name(n.split(".")[0], root, dirs, test_dirs)]
    rewrites = _rewrites(tests, root) if names else None
    if rewrites:
        return {"ok": False, "why": f"{os.path.relpath(rewrites, root)} registers modules for "
                "assertion rewriting: they must be imported after it", "modules": [],
                "files": [], "stat": [], "keys": []}
    with _Captured() as cap:
        for n in names:
            try:
                importlib.import_module(n)
                done.append(n)
            except ModuleNotFoundError as e:
                if not e.name or not (n == e.name or n.startswith(e.name + ".")):
                    why = f"importing {n} raised ModuleNotFoundError: {e}"
                    break
                # the name is no module (yet): a run finds that out itself
            except BaseException as e:  # noqa: B036 (SystemExit, KeyboardInterrupt too)
                why = f"importing {n} raised {type(e).__name__}: {e}"
                import traceback
                for fr in traceback.extract_tb(e.__traceback__):
                    f = os.path.realpath(fr.filename)
                    if _under(f, root) and not _third_party(f):
                        raised_in.add(f)  # a save of these may fix it
                break
    if why is None:
        if cap.printed:
            why = f"importing {', '.join(done)} printed output"
        elif cap.warnings:
            w = cap.warnings[0]
            why = f"importing {', '.join(done)} warned: {w.category.__name__}: {w.message}"
        elif (os.getcwd(), dict(os.environ), list(sys.argv), threading.active_count()) != before:
            why = f"importing {', '.join(done)} changed the process (directory, environment, " \
                  "arguments or threads)"
    mods = _repo_modules(root)
    bad = sorted(f for f in mods.values() if _is_test_file(f, tests))
    if why is None and bad:
        why = f"importing {', '.join(done)} imported a test file or conftest: " \
              f"{os.path.relpath(bad[0], root)}"
    files = sorted(set(mods.values()) | raised_in)
    keys = set()
    rel_dirs = {os.path.relpath(d, root) for d in dirs + [p for p in sys.path if p and
                                                           _under(os.path.realpath(p), root)]}
    for name in mods:
        for d in rel_dirs:
            d = "" if d == "." else d + "/"
            keys.add(d + name.replace(".", "/"))
    stat = []
    for f in files:
        try:
            st = os.stat(f)
            stat.append([st.st_mtime_ns, st.st_size])
        except OSError:
            stat.append([0, -1])
    return {"ok": why is None, "why": why, "modules": done,
            "files": [os.path.relpath(f, root) for f in files], "stat": stat,
            "keys": sorted(keys)}


def _report(obj):
    try:
        os.write(1, (json.dumps(obj) + "\n").encode("utf-8", "surrogateescape"))
    except OSError:
        pass


def main():
    tests, roots = _args(sys.argv[1:])
    try:
        _prepare()
    except Exception:
        pass  # the request still runs; pytest reports its own import errors
    if tests:
        try:
            report = _import_project(tests, roots)
        except BaseException as e:  # noqa: B036
            report = {"ok": False, "why": f"{type(e).__name__}: {e}", "modules": [],
                      "files": [], "stat": [], "keys": []}
        _report(report)
        if not report["ok"]:
            return 0  # unusable: impact falls back to a pytest-only interpreter
    else:
        _report({"ok": True, "modules": [], "files": [], "stat": [], "keys": []})
    line = sys.stdin.readline()
    if not line:
        return 0
    req = json.loads(line)
    env = req.get("env") or {}
    os.environ.update(env)
    cwd = req.get("cwd") or os.getcwd()
    os.chdir(cwd)
    sys.path[0] = cwd  # as `python -m` puts the working directory first
    for entry in reversed((env.get("PYTHONPATH") or "").split(os.pathsep)):
        if entry and entry not in sys.path[1:]:
            sys.path.insert(1, entry)
    import importlib
    importlib.invalidate_caches()  # files new since the imports above are found
    out = req.get("output")
    if out:
        fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.argv = ["pytest", *req.get("argv", [])]
    import runpy
    runpy.run_module("pytest", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
