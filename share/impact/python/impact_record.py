"""impact's recorder: which of the repository's functions each test executed.

Started by impact_pytest_plugin when ``$IMPACT_RECORD`` names a sink
directory (impact creates and removes it); ``$IMPACT_RECORD_ROOT`` is the
repository's work-tree root. Every recording process (the pytest process,
or each pytest-xdist worker, never the xdist controller) writes
``$IMPACT_RECORD/tests-<pid>.jsonl`` at session end (its format:
impact_record_pytest.py). Keys are code objects whose file is a Python file
under the root (lambdas, comprehensions and nested functions as themselves:
the reader maps lines to the enclosing function); ``files`` are the other
files under the root that named executed code (a compiled template) or were
opened for reading (an audit hook on "open": data files, templates,
fixtures' inputs). Attribution:

- a test gets what ran during its setup, call and teardown, plus what the
  setup of each fixture it uses executed (whenever and for whichever test
  that setup ran), plus what ran while its file was collected;
- what ran while a repository module was imported (its body, class bodies,
  decorators, everything they called) goes to that module's ``import``
  line, never to a test;
- ``kept``: F first ran under caller C in test T, T was the first test of
  the process to run C, no later test ran F, C ran again in a later test U
  that was not seen calling something else from the call site that called
  F in T (that is dispatch, not a cache): U keeps F's result (a cache
  filled once), so U gets F and what F called in T;
- processes: every Python process a test starts records itself into
  ``proc-<pid>.jsonl`` and is credited to the test, fixture or collection
  that started it (impact_record_procs says how); a test is ``opaque``
  when a process it started left no record.

Tracing: on Python >= 3.12 ``sys.monitoring``: one tool's global PY_START
sees each code object start once and returns DISABLE for good; repository
code gets a second tool's local PY_START and PY_RESUME (a generator an
earlier test started, resumed in this one), which return DISABLE too and
are re-armed at each boundary for the code objects that fired since (so
the cost is one callback per repository function per test, and none for
pytest's own functions); its global PY_THROW sees exceptions thrown into
generators. Where the build made it (impact_cmon.c, one per minor
version), that callback and the re-arming loop are C. With one free tool
id, one global PY_START, PY_RESUME and PY_THROW re-armed with
``restart_events()``. On
CPython 3.9-3.11, where the build made it (impact_ctrace.c, beside this
file or in ``$IMPACT_RECORD_CTRACE_DIR``), a C frame evaluation hook that
dismisses a call already counted without calling Python and runs this
file's own slow path otherwise (the same records; about a fifth of the
pure-Python hook's cost). Otherwise, or with
``$IMPACT_RECORD_TRACER=python``, ``sys.settrace``/``threading.settrace``
that handles ``call`` events only and chains whatever tracer was there
(coverage keeps working). Recording never changes an outcome: every error
of its own is swallowed.
"""
import os
import sys
from bisect import bisect_right as _bisect_right

_HERE = os.path.dirname(os.path.abspath(__file__))
_SELF_FILES = set()
for _n in ("impact_record.py", "impact_record_procs.py", "impact_record_pytest.py",
           "impact_pytest_plugin.py"):
    _SELF_FILES.add(os.path.join(_HERE, _n))
_SELF_DIRS = (os.path.join(_HERE, "impact_child") + os.sep,)

# The tests file's format (records.c reads this one only).
SINK_VERSION = 2

# Classification of a code object.
_IGNORE, _FUNC, _MODULE, _FILE = 0, 1, 2, 3

_root = None          # root + os.sep
_root_real = None     # its realpath + os.sep, when that differs
# Code objects compare by value, not by file (two identical modules are
# equal), so everything is keyed by id(code); _alive keeps those alive.
_kind = {}            # id(code) -> _IGNORE/_FUNC/_MODULE/_FILE
_alive = []           # every classified code object
_key = {}             # id(code) -> (path, firstlineno) for recorded ones
_cur = {}             # the current sink's fns: id(code) -> id of its first caller (or None)
_stack = []           # open sinks, innermost last
_collecting = None    # path of the file being collected, if any
_no_imports = False   # a child: everything it runs is its test's, imports too
_child = None         # a child's _ChildOut, None in the recording pytest process
_sinkdir = None
_active = False
_mon = None           # sys.monitoring, when used
_tool = None          # its tool seeing every code object start once (global PY_START)
_rtool = None         # its tool seeing repository code only (local PY_START), or None
_REV = 0              # _rtool's local events on repository code (PY_START, PY_RESUME)
_RGEV = 0             # _rtool's global events (PY_THROW; PY_UNWIND too while importing,
                      # or always with impact_cmon's Unwind: _unwind_always)
_unwind_always = False
_GEV = 0              # _tool's global events
_rcodes = []          # code objects given local events of _rtool
_fired = []           # of those, the ones whose PY_START fired (and was disabled) since the last re-arm
_restart = _no_restart = lambda: None  # re-arms every repository code object for the next sink


class _Sink:
    __slots__ = ("fns", "opaque", "kind", "name", "code", "procs")

    def __init__(self, kind, name=None, code=None):
        self.fns = {}
        self.opaque = None
        self.procs = []     # (pid or None, reason): processes started
        self.kind = kind
        self.name = name
        self.code = code


def _json():
    import json
    return json


def _norm(path):
    """An absolute path under the root, in the root's spelling, or None."""
    if not os.path.isabs(path):
        path = os.path.abspath(path)
    if path.startswith(_root):
        return path
    if _root_real and path.startswith(_root_real):
        return _root + path[len(_root_real):]
    return None


def _classify(code):
    fn = code.co_filename
    if not fn or fn[0] == "<":
        return _IGNORE
    try:
        p = _norm(fn)
        if p is None or p in _SELF_FILES or p.startswith(_SELF_DIRS):
            return _IGNORE
        if p.endswith(".py"):
            # Module code is line 0: a function may start on line 1 too.
            if code.co_name == "<module>":
                _key[id(code)] = (p, 0)
                return _MODULE
            _key[id(code)] = (p, code.co_firstlineno)
            return _FUNC
        if os.path.isfile(p):
            _key[id(code)] = (p, code.co_firstlineno)
            return _FILE
    except Exception:
        pass
    return _IGNORE


def _remember(code):
    """Classify code once, however first met (its start, a caller walk, a
    throw); repository code gets _rtool's local events from then on."""
    k = _classify(code)
    _alive.append(code)
    _kind[id(code)] = k
    if k:
        _codes[id(code)] = code
        if _rtool is not None:
            try:
                _mon.set_local_events(_rtool, code, _REV)
                _rcodes.append(code)
            except Exception:
                pass
    return k


_codes = {}           # id(code) -> code, for repository code (call sites' lines)
# A call site is kept as the caller's instruction offset, its line worked
# out only where kept() compares two (f_lineno scans the line table from
# the start: about a microsecond per call from a long test function).
_LASTI = sys.version_info >= (3, 10)
_getframe = sys._getframe
_lines = {}           # id(code) -> its co_lines() (starts, rows), once needed


def _caller(frame):
    """The nearest repository code object up the stack from frame's caller,
    with where it was (the call site), or None. A site is one int, id of the
    code << 32 | (offset or line) + 1 (see _site_line): a million of them
    (one per function per test) as tuples kept the garbage collector busy
    for seconds; ints it never looks at."""
    return _caller_at(frame.f_back)


def _caller_at(f):
    """_caller from frame f itself up."""
    n = 0
    kind = _kind
    while f is not None and n < 64:
        c = f.f_code
        i = id(c)
        k = kind.get(i)
        if k is None:
            k = _remember(c)
        if k:
            return (i << 32) | ((f.f_lasti if _LASTI else f.f_lineno) + 1)
        f = f.f_back
        n += 1
    return None


def _site_line(site):
    """The line of a call site from _caller (what the caller's f_lineno was)."""
    if site is None:
        return None
    cid, lasti = site >> 32, (site & 0xFFFFFFFF) - 1
    if not _LASTI:
        return lasti
    table = _lines.get(cid)
    if table is None:
        code = _codes.get(cid)
        try:
            rows = list(code.co_lines()) if code is not None else []
        except Exception:
            rows = []
        # (starts, rows): rows are in bytecode order and never overlap, so
        # the row holding an offset is found by bisection (a long
        # function's table scanned per site cost click's suite 30 ms)
        table = _lines[cid] = ([r[0] for r in rows], rows)
    if lasti < 0:
        code = _codes.get(cid)
        return code.co_firstlineno if code is not None else None
    starts, rows = table
    i = _bisect_right(starts, lasti) - 1
    if i >= 0 and lasti < rows[i][1]:
        return rows[i][2]
    return None


# ---------------------------------------------------------------- file reads

class _Read:
    """Stands for a repository file that was opened for reading: kept in
    the sinks like a code object (_FILE), so whoever read it, at import,
    in a test, in a child process or once for a cache (``kept``: its first
    caller is the function that opened it), has it in ``files``."""
    __slots__ = ("path", "__weakref__")

    def __init__(self, path):
        self.path = path


_reads = {}            # absolute path -> its _Read
_audit_hooked = False


def _reads_file(mode, flags):
    if isinstance(mode, str):
        return "r" in mode or "+" in mode
    if isinstance(flags, int):
        return (flags & 3) != os.O_WRONLY
    return True


def _audit(event, args):
    """sys.addaudithook: a repository file other than Python source opened
    for reading. Hooks cannot be removed, so it does nothing unless a
    recording is active. Never raises (an audit hook that raises aborts
    the operation)."""
    if event != "open" or not _active:
        return
    try:
        path = args[0]
        if isinstance(path, int) or not _reads_file(args[1], args[2] if len(args) > 2 else None):
            return
        path = os.fsdecode(path)
        p = _norm(path)
        if p is not None and p.endswith(".py"):
            # Source read outside the import system (a test parsing it,
            # runpy, exec of its text): counted as imported.
            f = sys._getframe(1)
            if not f.f_code.co_filename.startswith("<frozen importlib"):
                _mods_seen.add(p)
            return
        if p is None or p.endswith(".pyc") or os.sep + "__pycache__" + os.sep in p:
            return
        r = _reads.get(p)
        if r is None:
            if not os.path.isfile(p):
                return
            r = _Read(p)
            _reads[p] = r
            _alive.append(r)
            i = id(r)
            _kind[i] = _FILE
            _key[i] = (p, 0)
        i = id(r)
        d = _cur
        if i not in d:
            # The function that called open() is the reader: a cache it
            # fills carries the read along (``kept``).
            d[i] = _caller(sys._getframe(0))
    except Exception:
        pass


def _hook_audit():
    """_audit for "open" events only, from C where impact_audit.h is loaded."""
    global _audit_hooked
    if _audit_hooked or not hasattr(sys, "addaudithook"):
        return
    try:
        _native.install_audit(_audit)
    except Exception:
        sys.addaudithook(_audit)
    _audit_hooked = True


# ---------------------------------------------------------------- sinks

def push(sink):
    global _cur
    _stack.append(sink)
    _cur = sink.fns
    _restart()


def pop(sink):
    """Close sink (normally the innermost); what a fixture ran joins its parent.

    Re-arms, except after a fixture joined its parent: what the fixture
    saw start is the parent's already, so it need not start again (a
    test calling what its fixture called cost a second callback)."""
    global _cur
    merged = False
    for i in range(len(_stack) - 1, -1, -1):
        if _stack[i] is sink:
            del _stack[i]
            if sink.kind == "fixture" and i > 0:
                parent = _stack[i - 1]
                d = parent.fns
                for c, caller in sink.fns.items():
                    if c not in d:
                        d[c] = caller
                if sink.opaque and not parent.opaque:
                    parent.opaque = sink.opaque
                parent.procs.extend(sink.procs)
                merged = i == len(_stack)
            break
    _cur = _stack[-1].fns if _stack else {}
    if not merged:
        _restart()


def replace_base(sink):
    """Make sink the outermost one (a test's, or the idle one between tests)."""
    global _cur
    if _stack:
        _stack[0] = sink
    else:
        _stack.append(sink)
    _cur = _stack[-1].fns
    _restart()


_imports = {}          # module path -> fns dict
_import_stack = []     # import sinks open, innermost last
# Repository .py files this process has imported, run as a module or read
# as source, cumulatively (impact_record_pytest adds sys.modules' files and
# snapshots it per test): a module not in it never ran here.
_mods_seen = set()


def _begin_import(code):
    p = _key[id(code)][0]
    _mods_seen.add(p)
    s = _Sink("import", p, code)
    _import_stack.append(s)
    if _mon is not None:
        try:
            ev = _mon.events
            if _rtool is not None:
                _mon.set_local_events(_rtool, code, _REV | ev.PY_RETURN)
                if not _unwind_always:
                    _mon.set_events(_rtool, _RGEV | ev.PY_UNWIND)
            else:
                _mon.set_local_events(_tool, code, ev.PY_RETURN)
                _mon.set_events(_tool, _GEV | ev.PY_UNWIND)
        except Exception:
            pass
    push(s)
    s.fns[id(code)] = None


def _end_import(s):
    try:
        _import_stack.remove(s)
    except ValueError:
        return
    d = _imports.setdefault(s.name, {})
    for c, caller in s.fns.items():
        if c not in d:
            d[c] = caller
    if _mon is not None:
        try:
            ev = _mon.events
            if _rtool is not None:
                _mon.set_local_events(_rtool, s.code, _REV)
                if not _import_stack and not _unwind_always:
                    _mon.set_events(_rtool, _RGEV)
            else:
                _mon.set_local_events(_tool, s.code, 0)
                if not _import_stack:
                    _mon.set_events(_tool, _GEV)
        except Exception:
            pass
    if s.opaque or s.procs:
        # a process started at import time: whichever test imported it
        for t in reversed(_stack):
            if t.kind != "import":
                t.opaque = t.opaque or s.opaque
                t.procs.extend(s.procs)
                break
    pop(s)


def started(pid, reason):
    """A process started: the innermost test, fixture or collection owns it.

    Its record (proc-<pid>.jsonl, when it is Python with the start-up hook)
    joins that sink's at the end; without one, the owner is opaque."""
    if _child is not None:
        _child.line({"spawn": pid, "what": reason})
        return
    target = None
    for s in reversed(_stack):
        if s.kind != "import":
            target = s
            break
    if target is None and _stack:
        target = _stack[-1]
    if target is None:
        return
    target.procs.append((pid, reason))


def mark_opaque(reason):
    started(None, reason)


# ---------------------------------------------------------------- tracers

def _on_start(code, offset):
    """_tool's PY_START (and PY_RESUME with one tool): each code object
    once (never re-armed when _rtool is used): classify it; repository code
    gets _rtool's local PY_START and PY_RESUME,
    which fires from its next start on (not for this one: this one is
    recorded here)."""
    i = id(code)
    k = _kind.get(i)
    if k is None:
        k = _remember(code)
    if k:
        if k == _MODULE and not _no_imports and _key[i][0] != _collecting:
            try:
                _begin_import(code)
            except Exception:
                pass
            return _DISABLE
        d = _cur
        if i not in d:
            try:
                d[i] = _caller_at(sys._getframe(2))
            except Exception:
                d[i] = None
    return _DISABLE


def _on_rstart(code, offset):
    """_rtool's PY_START and PY_RESUME: repository code starting, or a
    generator of it resuming. A function's first start in the current sink
    is recorded and left armed; its second is disabled until the next
    re-arm (_rearm): one that starts once per test is never re-armed, which
    costs more than a second call back (impact_cmon.c says more)."""
    i = id(code)
    k = _kind.get(i)
    if k == _MODULE and not _no_imports and _key[i][0] != _collecting:
        if not (_import_stack and _import_stack[-1].code is code):
            try:
                _begin_import(code)
            except Exception:
                pass
    elif k:
        d = _cur
        if i not in d:
            try:
                # _caller_at inlined for its usual first step, a caller in
                # the repository (a function call costs more than the rest)
                f = _getframe(2)
                c = id(f.f_code)
                d[i] = (c << 32) | (f.f_lasti + 1) if _kind.get(c) else _caller_at(f)
            except Exception:
                d[i] = None
            return None
    # Listed last: a re-arm while this ran (an import began) must not
    # count the DISABLE returned now as undone.
    _fired.append(code)
    return _DISABLE


def _on_throw(code, offset, exc):
    """PY_THROW (_rtool's, or the one tool's): an exception thrown into a
    generator or coroutine, which then runs without a PY_START or
    PY_RESUME. Not a local event: it cannot be disabled, so it costs a
    call per throw() anywhere, and returns nothing."""
    i = id(code)
    k = _kind.get(i)
    if k is None:
        k = _remember(code)
    if k == _FUNC:
        d = _cur
        if i not in d:
            try:
                d[i] = _caller_at(_getframe(2))
            except Exception:
                d[i] = None


def _rearm():
    """Every repository code object fires again at its next start: only
    those that fired since the last time are re-armed (turning local
    events off and on again re-enables what DISABLE turned off), so code
    outside the repository never calls back again, and another tool's
    disabled events stay disabled (sys.monitoring.restart_events would
    wake them all). Popped one at a time: another thread may add more."""
    fired = _fired
    setl, tool, start = _mon.set_local_events, _rtool, _REV
    while fired:
        code = fired.pop()
        try:
            setl(tool, code, 0)
            setl(tool, code, start)
        except Exception:
            pass


def _on_return(code, offset, retval):
    if _import_stack and _import_stack[-1].code is code:
        try:
            _end_import(_import_stack[-1])
        except Exception:
            pass


def _on_unwind(code, offset, exc):
    if _import_stack:
        for s in reversed(_import_stack):
            if s.code is code:
                try:
                    _end_import(s)
                except Exception:
                    pass
                break


_DISABLE = None
_prev_trace = None
_prev_thread_trace = None


class _ModuleLocal:
    """Local tracer of a repository module's frame: notices its end."""
    __slots__ = ("sink", "inner")

    def __init__(self, sink, inner):
        self.sink = sink
        self.inner = inner

    def __call__(self, frame, event, arg):
        if event == "return":
            try:
                _end_import(self.sink)
            except Exception:
                pass
        inner = self.inner
        if inner is not None:
            try:
                inner = self.inner = inner(frame, event, arg)
            except Exception:
                inner = self.inner = None
        if event == "return":
            return None
        return self


def _enter(frame, code, i, k):
    """A call the fast path did not dismiss (code not classified yet, a
    module body, or a repository function not yet in the current sink):
    classify it, begin an import, or add it to the sink. `frame` is the one
    whose f_back is the caller. Returns the code's kind, negated when an
    import began. Shared by both tracers, so that they give the same
    records."""
    if k is None:
        k = _remember(code)
    if k:
        if k == _MODULE and not _no_imports and _key[i][0] != _collecting:
            _begin_import(code)
            return -k
        d = _cur
        if i not in d:
            try:
                d[i] = _caller(frame)
            except Exception:
                d[i] = None
    return k


def _trace_slow(frame, i, k, chain, event, arg):
    inner = None
    began = False
    try:
        began = _enter(frame, frame.f_code, i, k) < 0
    except Exception:
        pass
    if began:
        if chain is not None:
            try:
                inner = chain(frame, event, arg)
            except Exception:
                inner = None
        return _ModuleLocal(_import_stack[-1], inner)
    if chain is not None:
        return chain(frame, event, arg)
    return None


def _c_call(code, i, k):
    """The C tracer's way into _enter, as a frame of `code` is about to
    start: this function's own frame stands for it (its f_back is the
    caller). Returns the kind (the C side caches it), negated when an
    import began (the C side calls _c_return when that frame ends)."""
    try:
        return _enter(sys._getframe(), code, i, k)
    except Exception:
        return _kind.get(i)


def _c_return(code):
    """The C tracer saw the module body whose import began end (returned or raised)."""
    _on_unwind(code, 0, None)


def _make_trace(chain):
    # The hot path (code seen before, outside the repository or already in
    # this sink) is a few lookups; everything else goes to _trace_slow.
    if chain is None:
        def _trace(frame, event, arg, _get=_kind.get, _id=id):
            i = _id(frame.f_code)
            k = _get(i)
            if k == 0 or (k == 1 and i in _cur):
                return None
            return _trace_slow(frame, i, k, None, event, arg)
        return _trace

    def _trace(frame, event, arg, _get=_kind.get, _id=id):
        i = _id(frame.f_code)
        k = _get(i)
        if k == 0 or (k == 1 and i in _cur):
            return chain(frame, event, arg)
        return _trace_slow(frame, i, k, chain, event, arg)
    return _trace


_trace_fn = None
_thread_trace_fn = None
_ctracer = None       # the C tracer (_impact_ctrace.Tracer) when in use
_native = None        # _impact_ctrace or _impact_cmon when loaded
_ctrace_why = None    # why it is not, for the header


def _load_native(name, stem=None):
    """The extension module name (impact_ctrace.c, impact_cmon.c) built for
    this interpreter, or None and why: beside this file (installed) or in
    $IMPACT_RECORD_CTRACE_DIR (a build tree), under the one file name that
    carries this interpreter's ABI tag (stem, default name, + the extension
    suffix), so a module built for another Python is never loaded.
    $IMPACT_RECORD_TRACER=python keeps the pure-Python hooks."""
    if os.environ.get("IMPACT_RECORD_TRACER") == "python":
        return None, "IMPACT_RECORD_TRACER=python"
    try:
        import importlib.machinery
        import importlib.util
        suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
        if "cpython-" not in suffix:
            return None, "no ABI tag in %s" % suffix
        dirs = [_HERE, os.environ.get("IMPACT_RECORD_CTRACE_DIR")]
        for d in dirs:
            if not d:
                continue
            path = os.path.join(d, (stem or name) + suffix)
            if not os.path.isfile(path):
                continue
            spec = importlib.util.spec_from_file_location(name, path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            if tuple(mod.built_for) != tuple(sys.version_info[:2]):
                return None, "%s was built for Python %d.%d" % ((path,) + tuple(mod.built_for))
            return mod, None
        return None, "%s%s not built" % (stem or name, suffix)
    except Exception as e:
        return None, "%s failed to load: %s" % (name, type(e).__name__)


def _load_ctrace():
    """The C hot path for Python 3.9-3.11 (impact_ctrace.c), or None and
    why, and its module."""
    if sys.implementation.name != "cpython" or not (3, 9) <= sys.version_info < (3, 12):
        return None, "not CPython 3.9-3.11", None
    mod, why = _load_native("_impact_ctrace")
    return (mod.Tracer(globals(), _c_call, _c_return) if mod else None), why, mod


# ---------------------------------------------------------------- processes

def _procs():
    """impact_record_procs (processes and children), loaded by path beside this file."""
    mod = sys.modules.get("impact_record_procs")
    if mod is None:
        import importlib.util
        spec = importlib.util.spec_from_file_location(
            "impact_record_procs", os.path.join(_HERE, "impact_record_procs.py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules["impact_record_procs"] = mod
        spec.loader.exec_module(mod)
    return mod


def start_child():
    """From impact_child/sitecustomize.py: record this child of a recorded test."""
    return _procs().start_child()


# ---------------------------------------------------------------- start / stop

_tracer = None
_disabled = None


def start():
    """Start tracing (idempotent). Returns False when recording is off."""
    global _root, _root_real, _active, _mon, _tool, _rtool, _restart, _DISABLE, _tracer
    global _REV, _RGEV, _GEV, _unwind_always
    global _disabled, _trace_fn, _thread_trace_fn, _prev_trace, _prev_thread_trace
    global _ctracer, _ctrace_why, _native
    if _active or _disabled:
        return _active
    root = os.environ.get("IMPACT_RECORD_ROOT") or os.getcwd()
    root = os.path.abspath(root).rstrip(os.sep)
    _root = root + os.sep
    real = os.path.realpath(root).rstrip(os.sep) + os.sep
    _root_real = real if real != _root else None
    replace_base(_Sink("idle"))
    if sys.version_info >= (3, 12):
        mon = sys.monitoring
        free = [t for t in (mon.PROFILER_ID, 3, 4, mon.OPTIMIZER_ID, mon.COVERAGE_ID,
                            mon.DEBUGGER_ID) if mon.get_tool(t) is None]
        if not free:
            held = ", ".join(sorted(set(str(mon.get_tool(t)) for t in range(6))))
            _disabled = "no free sys.monitoring tool id (held by %s)" % held
            return False
        # Two tools when there are: one sees each code object once, the
        # other repository code only, re-armed per sink (_rearm). With
        # one, restart_events re-arms everything at each boundary: every
        # function pytest runs per test calls back again.
        tool = free[0]
        mon.use_tool_id(tool, "impact")
        _mon, _tool, _DISABLE = mon, tool, mon.DISABLE
        ev = mon.events
        rtool = free[1] if len(free) > 1 else None
        # A generator resumed (next(), send()) or thrown into runs code
        # without a PY_START: one started by an earlier test runs in this one.
        _REV, _RGEV = ev.PY_START | ev.PY_RESUME, ev.PY_THROW
        _GEV = ev.PY_START if rtool is not None else ev.PY_START | ev.PY_RESUME | ev.PY_THROW
        if rtool is not None:
            mon.use_tool_id(rtool, "impact")
            _rtool = rtool
            _restart = _rearm
            rcb, ucb = _on_rstart, _on_unwind
            # one build per minor version, all in one folder (impact_cmon.c)
            cmon, _ctrace_why = (_load_native("_impact_cmon", "_impact_cmon%d%d" % sys.version_info[:2])
                                 if sys.implementation.name == "cpython" else (None, "not CPython"))
            if cmon is not None:
                # impact_cmon.c: _on_rstart's usual case and _rearm's loop in C
                _native = cmon
                try:
                    import functools
                    rcb = cmon.Rstart(globals(), _on_rstart, _caller_at, mon.DISABLE)
                    _restart = functools.partial(cmon.rearm, _fired, mon.set_local_events,
                                                 rtool, _REV)
                    ucb = cmon.Unwind(_import_stack, _on_unwind)
                except Exception as e:
                    rcb, _restart, ucb = _on_rstart, _rearm, _on_unwind
                    _ctrace_why = "_impact_cmon failed: %s" % type(e).__name__
            # With the C callback PY_UNWIND is on for the whole run: switching a
            # global event at each import re-instruments every code object.
            _unwind_always = ucb is not _on_unwind
            if _unwind_always:
                _RGEV |= ev.PY_UNWIND
            rest = rtool
        else:
            _restart = mon.restart_events
            rcb, ucb, rest = _on_start, _on_unwind, tool
            _unwind_always = False
            _ctrace_why = "one free sys.monitoring tool id: the Python callback"
        # the tool seeing repository code: everything but discovery
        for e, cb in ((ev.PY_START, rcb), (ev.PY_RESUME, rcb), (ev.PY_THROW, _on_throw),
                      (ev.PY_RETURN, _on_return), (ev.PY_UNWIND, ucb)):
            mon.register_callback(rest, e, cb)
        if rtool is not None:
            mon.set_events(rtool, _RGEV)
        mon.register_callback(tool, ev.PY_START, _on_start)
        mon.set_events(tool, _GEV)
        _tracer = "monitoring"
    else:
        _restart = _no_restart
        import threading
        _ctracer, _ctrace_why, _native = _load_ctrace()
        if _ctracer is not None and not _ctracer.install():
            _ctracer, _ctrace_why = None, "another frame evaluation hook is installed"
        if _ctracer is not None:
            _tracer = "ctrace"
            return _started()
        _prev_trace = sys.gettrace()
        _prev_thread_trace = getattr(threading, "_trace_hook", None)
        _trace_fn = _make_trace(_prev_trace)
        _thread_trace_fn = (_trace_fn if _prev_thread_trace is _prev_trace
                            else _make_trace(_prev_thread_trace))
        sys.settrace(_trace_fn)
        threading.settrace(_thread_trace_fn)
        _tracer = "setprofile"
    return _started()


def _started():
    global _sinkdir, _active
    _procs()._install_process_hooks()
    try:
        _hook_audit()
    except Exception:
        pass
    _sinkdir = _sinkdir or os.environ.get("IMPACT_RECORD")
    if _child is None:
        try:
            _procs()._export_hook()
        except Exception:
            pass
    try:
        if hasattr(os, "register_at_fork") and not _fork_hooked:
            _hook_fork()
    except Exception:
        pass
    _active = True
    return True


_fork_hooked = False


def _hook_fork():
    global _fork_hooked
    os.register_at_fork(after_in_child=_procs()._after_fork)
    _fork_hooked = True


def tracer_intact():
    """False when someone replaced our trace function (its record is partial)."""
    if not _active or _mon is not None:
        return True
    if _ctracer is not None:
        return _ctracer.intact()
    return sys.gettrace() is _trace_fn


def stop():
    global _active, _cur
    if not _active:
        return
    _active = False
    _procs()._uninstall_process_hooks()
    try:
        _procs()._unexport_hook()
    except Exception:
        pass
    if _mon is not None:
        for tool in (_tool, _rtool):
            if tool is None:
                continue
            try:
                _mon.set_events(tool, 0)
                e = _mon.events
                for ev in (e.PY_START, e.PY_RESUME, e.PY_THROW, e.PY_RETURN, e.PY_UNWIND):
                    _mon.register_callback(tool, ev, None)
                for c in [s.code for s in _import_stack] + (_rcodes if tool == _rtool else []):
                    try:
                        _mon.set_local_events(tool, c, 0)
                    except Exception:
                        pass
                _mon.free_tool_id(tool)
            except Exception:
                pass
        del _rcodes[:]
        del _fired[:]
    elif _ctracer is not None:
        try:
            _ctracer.uninstall()
        except Exception:
            pass
    else:
        try:
            if sys.gettrace() is _trace_fn:
                sys.settrace(_prev_trace)
            import threading
            if getattr(threading, "_trace_hook", None) is _thread_trace_fn:
                threading.settrace(_prev_thread_trace)
        except Exception:
            pass
    _cur = {}
