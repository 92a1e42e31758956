"""A prepared interpreter for `impact watch`: pytest imported, waiting for a run.

impact starts this script (with the interpreter it runs the tests with)
while the loop waits for a save, so the next run does not pay for the
interpreter's start and pytest's imports. It imports pytest and the
plugins installed for it (pytest11 entry points), never the project's own
modules: those may change at the next save, and a module imported before
the save would run stale code. Then it reads one request from stdin, a
JSON object:

    {"argv": [pytest's arguments], "env": {"NAME": "value"}, "cwd": "...",
     "output": "/path/of/the/log"}

and becomes that run, exactly as `python -m pytest <argv>` started with
that environment would be: the variables set (PYTHONPATH's entries put
on sys.path as the interpreter would have at start), stdout and stderr
appended to `output`, the working directory first on sys.path, and
pytest's __main__ run. End of input without a request: it exits quietly.
"""
import json
import os
import sys


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


def main():
    try:
        _prepare()
    except Exception:
        pass  # the request still runs; pytest reports its own import errors
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
