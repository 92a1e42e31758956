"""impact's start-up hook for the processes a recorded test starts.

The recording pytest process (impact_record.py) puts this folder first on
PYTHONPATH and sets IMPACT_RECORD_CHILDREN=1, so every Python process a
test starts, and theirs, imports this module at start-up. With
$IMPACT_RECORD (the run's sink directory) set it starts the same recorder
in the child, which writes $IMPACT_RECORD/proc-<pid>.jsonl: a
{"proc":pid,"ppid":ppid,"start":time} line first thing, then one line per
repository function the first time it runs ({"fn":[path,line]}), and
{"spawn":pid,...} / {"exec":...} lines for the processes it starts. The
pytest process merges them into its tests at session end, attributing each
child to the test that started it (pid and parent pid, never an id from
the environment).

Before anything else this folder leaves sys.path again and the
sitecustomize it hides (Debian's, a virtualenv's) runs as it would have.
Without the variables it does nothing else.
"""
import os
import sys


def _impact_hook():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if not p or os.path.abspath(p) != here]
    if os.environ.get("IMPACT_RECORD") and os.environ.get("IMPACT_RECORD_CHILDREN"):
        try:
            import importlib.util
            mod = sys.modules.get("impact_record")
            if mod is None:
                path = os.path.join(os.path.dirname(here), "impact_record.py")
                spec = importlib.util.spec_from_file_location("impact_record", path)
                mod = importlib.util.module_from_spec(spec)
                sys.modules["impact_record"] = mod
                spec.loader.exec_module(mod)
            mod.start_child()
        except Exception:
            pass
    # the sitecustomize this one hides
    try:
        from importlib.machinery import PathFinder
        spec = PathFinder.find_spec("sitecustomize", sys.path)
    except Exception:
        spec = None
    if spec is not None and spec.origin and os.path.abspath(spec.origin) != os.path.abspath(__file__):
        import importlib.util
        mod = importlib.util.module_from_spec(spec)
        sys.modules["sitecustomize"] = mod
        spec.loader.exec_module(mod)


_impact_hook()
del _impact_hook
