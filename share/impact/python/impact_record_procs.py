"""
impact_record_procs - the processes a recorded test starts, and what they report.

impact_record.py traces what runs in this process; a test that starts a
process (subprocess, os.fork, multiprocessing, os.posix_spawn, pexpect...)
runs code no trace here sees. This module owns that side: the hooks on the
ways a process starts (a leaf system program does not make a test opaque),
the environment a child gets so that impact_child/sitecustomize.py starts
the recorder in it, the child's own sink (proc-<pid>.jsonl), and reading
those back at session end to credit each child to the test that started it.

The records: the recording process puts impact_child/ (a sitecustomize)
first on its children's PYTHONPATH with IMPACT_RECORD_CHILDREN=1; every
Python process a test starts (subprocess, multiprocessing spawn, forkserver
and fork, os.fork, os.posix_spawn, pexpect) then records itself into
``proc-<pid>.jsonl``: ``{"proc":pid,"ppid":ppid,"start":t}`` first thing,
then ``{"fn":[path,line]}`` / ``{"file":path}`` as each runs for the first
time (appended a line at a time, so os._exit or SIGKILL lose nothing already
run), ``{"spawn":pid,"what":reason}`` for its own children,
``{"exec":reason}`` when it becomes another program. At session end the
recording process joins each child, by pid and then the ppid chain, to the
test, fixture or collection that started it (the one running in this process
then; never an id from the environment). What children ran counts in
``fns``/``files``, never for ``kept`` (caches stay in their process). A test
is ``opaque`` ("started /usr/bin/node: not recorded") when a process it
started, or one of theirs, left no record.

Module state of the recorder lives in impact_record (``_r``); this module
reads and sets it there. It is loaded by path beside impact_record.py (see
impact_record._procs), so a child whose PYTHONPATH a test replaced still
finds it.
"""
import os
import sys
import time

import impact_record as _r

_patched = []


def _which(prog):
    try:
        prog = os.fsdecode(prog)
        if os.sep in prog:
            return os.path.abspath(prog)
        import shutil
        return shutil.which(prog) or prog
    except Exception:
        return str(prog)


# System programs that run no Python and start no program: a test that
# asks the system something through them (platform.uname() runs uname,
# ctypes.util.find_library runs ldconfig) executed no repository code
# there, so it stays recorded. Only these, only outside the repository.
_LEAVES = frozenset(("uname", "hostname", "id", "whoami", "getconf", "nproc", "locale",
                     "tput", "stty", "tty", "date", "arch", "ldconfig", "ldconfig.real",
                     "true", "false", "sleep"))


def _leaf(path):
    try:
        return (os.path.basename(path) in _LEAVES and os.path.isabs(path) and
                _r._norm(path) is None)
    except Exception:
        return False


# Children started where the exec reporter writes a line before their main
# runs (_reports): one that left no line at all was killed before it ran
# anything, so it ran no repository code (children_of).
_REPORTING = set()


def _reports(exe, env):
    """Whether the exec reporter (impact_execshim.c) surely loads in `exe`
    started with `env` (bytes "K=V" entries, or None for os.environ): a
    dynamically linked ELF program (it has an interpreter, PT_INTERP),
    neither set-user-ID nor set-group-ID, whose environment carries the
    reporter and impact's variables."""
    try:
        import stat
        import struct
        shim = _exec_shim()
        if not shim:
            return False
        if env is None:
            pre, rec, flag = (os.environ.get("LD_PRELOAD") or "", os.environ.get("IMPACT_RECORD"),
                              os.environ.get(_CHILD_FLAG))
        else:
            d = dict(e.split(b"=", 1) for e in env if b"=" in e)
            pre = os.fsdecode(d.get(b"LD_PRELOAD", b""))
            rec, flag = d.get(b"IMPACT_RECORD"), d.get(_CHILD_FLAG.encode())
        if not rec or not flag or shim not in pre.replace(":", " ").split():
            return False
        st = os.stat(exe)
        if st.st_mode & (stat.S_ISUID | stat.S_ISGID) or not stat.S_ISREG(st.st_mode):
            return False
        with open(exe, "rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                return False  # 64-bit little-endian ELF only
            phoff, = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            f.seek(phoff)
            ph = f.read(phentsize * phnum)
        for i in range(phnum):
            if struct.unpack_from("<I", ph, i * phentsize)[0] == 3:  # PT_INTERP
                return True
        return False
    except Exception:
        return False


def _patch(owner, name, make):
    orig = getattr(owner, name, None)
    if orig is None:
        return
    try:
        setattr(owner, name, make(orig))
        _patched.append((owner, name, orig))
    except Exception:
        pass


def _install_process_hooks():
    # Every way a process starts comes down to these: subprocess and
    # multiprocessing's spawn and forkserver call _posixsubprocess.fork_exec
    # (or os.posix_spawn), fork and pty use os.fork/forkpty. Nothing is
    # imported for it (a child's start-up stays cheap).
    try:
        import _posixsubprocess

        def wrap_fork_exec(orig):
            def fork_exec(*a, **kw):
                if len(a) > 5 and _hook_flag() is not None:
                    try:
                        a = a[:5] + (_hooked_env(a[5]),) + a[6:]
                    except Exception:
                        pass
                pid = orig(*a, **kw)
                try:
                    argv = a[0]
                    prog = argv[0] if argv else (a[1][0] if a[1] else "a process")
                    # What runs is the executable found (a[1]), whatever argv[0] says.
                    exe = _which(a[1][0]) if a[1] else _which(prog)
                    if not _leaf(exe):
                        # the candidate that ran: the first executable one (as execve tries them)
                        ran = next((c for c in (a[1] or ()) if os.path.isfile(c)
                                    and os.access(c, os.X_OK)), None)
                        if ran is not None and _reports(os.fsdecode(ran),
                                                        a[5] if len(a) > 5 else None):
                            _REPORTING.add(pid)
                        _r.started(pid, "started %s: not recorded" % _which(prog))
                except Exception:
                    try:
                        _r.started(pid, "started a process: not recorded")
                    except Exception:
                        pass
                return pid
            return fork_exec
        _patch(_posixsubprocess, "fork_exec", wrap_fork_exec)
        # subprocess binds it at its import (from _posixsubprocess import ...)
        sp = sys.modules.get("subprocess")
        if sp is not None and getattr(sp, "_fork_exec", None) is not None:
            _patch(sp, "_fork_exec", wrap_fork_exec)
    except Exception:
        pass

    def wrap_fork(orig):
        def fork(*a, **kw):
            r = orig(*a, **kw)
            try:
                pid = r[0] if isinstance(r, tuple) else r
                if pid:
                    _r.started(pid, "forked a process: not recorded")
            except Exception:
                pass
            return r
        return fork

    _patch(os, "fork", wrap_fork)
    _patch(os, "forkpty", wrap_fork)

    def wrap_spawn(orig):
        def spawn(path, *a, **kw):
            if _hook_flag() is not None:
                try:
                    if len(a) > 1:
                        a = (a[0], _hooked_env_map(a[1])) + tuple(a[2:])
                    elif "env" in kw:
                        kw["env"] = _hooked_env_map(kw["env"])
                except Exception:
                    pass
            r = orig(path, *a, **kw)
            try:
                if not _leaf(_which(path)):
                    _r.started(r, "started %s: not recorded" % _which(path))
            except Exception:
                pass
            return r
        return spawn

    for n in ("posix_spawn", "posix_spawnp"):
        _patch(os, n, wrap_spawn)

    def wrap_exec(orig):
        # the process becomes another program: a child says so first
        def exec_(path, *a, **kw):
            try:
                if _r._child is not None:
                    _r._child.line({"exec": "started %s: not recorded" % _which(path)})
            except Exception:
                pass
            return orig(path, *a, **kw)
        return exec_

    for n in ("execv", "execve"):
        _patch(os, n, wrap_exec)


def patch_multiprocessing():
    """Process.start, once multiprocessing is imported (never imported for
    it): a forkserver's child is started by no call in this process."""
    mpp = sys.modules.get("multiprocessing.process")
    if mpp is None or not _r._active or _r._child is not None:
        return
    base = getattr(mpp, "BaseProcess", None)
    if base is None or getattr(base.start, "_impact", False):
        return

    def wrap_start(orig):
        def start(self, *a, **kw):
            r = orig(self, *a, **kw)
            try:
                _r.started(self.pid, "started a multiprocessing process: not recorded")
            except Exception:
                pass
            return r
        start._impact = True
        return start
    _patch(base, "start", wrap_start)


def _uninstall_process_hooks():
    while _patched:
        owner, name, orig = _patched.pop()
        try:
            setattr(owner, name, orig)
        except Exception:
            pass


# ---------------------------------------------------------------- children

CHILD_DIR = os.path.join(_r._HERE, "impact_child")
_CHILD_FLAG = "IMPACT_RECORD_CHILDREN"
_old_pythonpath = None


class _ChildOut:
    """A child's proc-<pid>.jsonl: appended a line at a time (O_APPEND), so
    a child that ends in os._exit or SIGKILL has left what it ran so far."""

    def __init__(self, sinkdir):
        self.sinkdir = sinkdir
        self.fd = -1
        self.open()

    def open(self):
        old = self.fd
        self.pid = os.getpid()
        path = os.path.join(self.sinkdir, "proc-%d.jsonl" % self.pid)
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        if old >= 0:
            try:
                os.close(old)
            except OSError:
                pass
        self.line({"proc": self.pid, "ppid": os.getppid(), "start": round(time.time(), 6)})

    def line(self, obj):
        try:
            os.write(self.fd, (_dumps(obj) + "\n").encode("ascii"))
        except Exception:
            pass


def _dumps(obj):
    """Compact JSON of the small objects a child writes, without importing
    json (a child's start-up) unless a string needs escaping."""
    if isinstance(obj, str):
        if obj.isprintable() and obj.isascii() and '"' not in obj and "\\" not in obj:
            return '"' + obj + '"'
        return _r._json().dumps(obj, ensure_ascii=True)
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "true" if obj else "false"
    if isinstance(obj, (int, float)):
        return repr(obj)
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(_dumps(x) for x in obj) + "]"
    if isinstance(obj, dict):
        return "{" + ",".join(_dumps(str(k)) + ":" + _dumps(v) for k, v in obj.items()) + "}"
    return _r._json().dumps(obj, ensure_ascii=True)


class _Appending(dict):
    """A child's sink: each first execution is written as it happens."""
    __slots__ = ()

    def __setitem__(self, i, caller):
        dict.__setitem__(self, i, caller)
        k = _r._key.get(i)
        if k is not None and _r._child is not None:
            if _r._kind.get(i) == _r._FILE:
                _r._child.line({"file": k[0]})
            else:
                _r._child.line({"fn": [k[0], k[1]]})


def _child_sink():
    s = _r._Sink("child")
    s.fns = _Appending()
    return s


def _after_fork():
    """In a forked child: record into its own proc file from here on."""
    if not _r._active:
        return
    try:
        if _r._child is None:
            _r._child = _ChildOut(_r._sinkdir)
        else:
            _r._child.open()
        _r._no_imports = True
        del _r._stack[:]
        del _r._import_stack[:]
        _r.replace_base(_child_sink())
    except Exception:
        pass


def _exec_shim():
    """libimpact_exec.so (impact_execshim.c), beside this file (installed)
    or in $IMPACT_RECORD_CTRACE_DIR (a build tree), or None: without it a
    test that starts a program outside Python stays opaque."""
    if not sys.platform.startswith("linux") or os.environ.get("IMPACT_RECORD_NATIVE") == "0":
        return None
    for d in (_r._HERE, os.environ.get("IMPACT_RECORD_CTRACE_DIR")):
        if d:
            path = os.path.join(d, "libimpact_exec.so")
            if os.path.isfile(path) and " " not in path and ":" not in path:
                return path
    return None


def _export_hook():
    """Children inherit the start-up hook (impact_child/ on PYTHONPATH), and
    native programs the exec reporter (LD_PRELOAD), which tells what they
    start."""
    global _old_pythonpath
    old = os.environ.get("PYTHONPATH")
    parts = old.split(os.pathsep) if old else []
    _old_pythonpath = (old, os.environ.get(_CHILD_FLAG), os.environ.get("LD_PRELOAD"))
    if CHILD_DIR not in parts:  # impact may have put it there already
        os.environ["PYTHONPATH"] = os.pathsep.join([CHILD_DIR] + parts)
    os.environ[_CHILD_FLAG] = "1"
    shim = _exec_shim()
    pre = os.environ.get("LD_PRELOAD")
    if shim and shim not in (pre or "").replace(":", " ").split():
        # after the user's own preloads: a sanitizer runtime preloaded
        # there must stay first in the list
        os.environ["LD_PRELOAD"] = (pre + " " if pre else "") + shim


def _unexport_hook():
    global _old_pythonpath
    if _old_pythonpath is None:
        return
    old, flag, pre = _old_pythonpath
    _old_pythonpath = None
    for k, v in (("PYTHONPATH", old), (_CHILD_FLAG, flag), ("LD_PRELOAD", pre)):
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


# The file name standing for "any non-Python file of the repository" (records.c).
ANY_FILE = "*"

_child_env = None     # a child: what its own children get back (PYTHONPATH, flag)


def _unhook_env():
    """A child's environment as it would be without impact; what was taken
    out goes back into its own children's (_hooked_env)."""
    global _child_env
    old = os.environ.get("PYTHONPATH")
    if old is None or _CHILD_FLAG not in os.environ:
        return
    parts = old.split(os.pathsep)
    rest = [p for p in parts if p != CHILD_DIR]
    _child_env = (old, os.environ[_CHILD_FLAG])
    if rest:
        os.environ["PYTHONPATH"] = os.pathsep.join(rest)
    else:
        del os.environ["PYTHONPATH"]
    del os.environ[_CHILD_FLAG]


def _hook_flag():
    """The flag this process's children get with the start-up hook: a
    child's own (taken out of its environment), the recording process's
    while it exports the hook; None when its children are not hooked."""
    if _child_env is not None:
        return _child_env[1]
    if _old_pythonpath is not None:
        return os.environ.get(_CHILD_FLAG)
    return None


def _hooked_env(env):
    """The environment a recorded process passes to a process it starts,
    with the start-up hook put back when that environment still records:
    a child's own children (it took the hook out of its environment), and
    a test's child given an environment made from os.environ with
    PYTHONPATH replaced (pyflakes' `env["PYTHONPATH"] =
    os.pathsep.join(sys.path)`), which would otherwise leave the child
    unrecorded and the test opaque."""
    flag = _hook_flag()
    if flag is None:
        return env
    if env is None:
        if _child_env is None:
            return env  # the recording process's own environment: hooked already
        env = [k + b"=" + v for k, v in os.environb.items()]
    elif not any(e.startswith(b"IMPACT_RECORD=") for e in env):
        return env  # an environment of its own: not recorded, so opaque
    out = [e for e in env if not e.startswith((b"PYTHONPATH=", _CHILD_FLAG.encode() + b"="))]
    cur = None
    for e in env:
        if e.startswith(b"PYTHONPATH="):
            cur = e[len(b"PYTHONPATH="):]
    parts = [os.fsencode(CHILD_DIR)] + ([p for p in cur.split(os.pathsep.encode())
                                         if p != os.fsencode(CHILD_DIR)] if cur else [])
    out.append(b"PYTHONPATH=" + os.pathsep.encode().join(parts))
    out.append(_CHILD_FLAG.encode() + b"=" + os.fsencode(flag))
    return out


def _hooked_env_map(env):
    """_hooked_env for os.posix_spawn's mapping."""
    if _hook_flag() is None:
        return env
    if env is None:  # 3.13: inherit
        if _child_env is None:
            return env
        env = os.environ
    items = [(os.fsencode(k), os.fsencode(v)) for k, v in env.items()]
    out = _hooked_env([k + b"=" + v for k, v in items])
    return dict(e.split(b"=", 1) for e in out)


def start_child():
    """From impact_child/sitecustomize.py, in a process a recorded test started."""
    sinkdir = os.environ.get("IMPACT_RECORD")
    if not sinkdir or _r._active or _r._child is not None:
        return
    try:
        _r._sinkdir = sinkdir
        _r._child = _ChildOut(sinkdir)
        try:
            _unhook_env()
        except Exception:
            pass
        _r._no_imports = True
        if not _r.start():
            _r._child.line({"disabled": _r._disabled or "not started"})
            return
        _r.replace_base(_child_sink())
    except Exception:
        pass


def read_children(sinkdir):
    """proc-*.jsonl of the run: pid -> {"ppid", "fns", "files", "spawns", "recorded", "what"}."""
    procs = {}
    try:
        names = os.listdir(sinkdir)
    except OSError:
        return procs
    for n in names:
        if not (n.startswith("proc-") and n.endswith(".jsonl")):
            continue
        try:
            with open(os.path.join(sinkdir, n), "rb") as f:
                data = f.read()
        except OSError:
            continue
        p = None
        for raw in data.split(b"\n"):
            try:
                obj = _r._json().loads(raw.decode("ascii"))
            except Exception:
                continue  # a torn last line
            if not isinstance(obj, dict):
                continue
            if "proc" in obj:
                pid = int(obj["proc"])
                p = procs.get(pid)
                if p is None:
                    p = procs[pid] = {"ppid": int(obj.get("ppid") or 0), "fns": set(),
                                      "files": set(), "spawns": [], "recorded": True,
                                      "what": None}
                p["recorded"] = True
                if obj.get("python"):
                    # the exec reporter in a Python: its recorder's line follows
                    p["recorded"] = False
                    p["what"] = "a Python that did not start impact's recorder: not recorded"
                if obj.get("native"):
                    # a native program (impact_execshim.c): what it read
                    # is unknown, so any non-Python file may matter
                    p["files"].add(ANY_FILE)
            elif p is None:
                continue
            elif "fn" in obj:
                p["fns"].add((obj["fn"][0], int(obj["fn"][1])))
            elif "file" in obj:
                p["files"].add(obj["file"])
            elif "spawn" in obj:
                p["spawns"].append((obj["spawn"], obj.get("what")))
            elif "exec" in obj:
                p["recorded"] = False
                p["what"] = obj["exec"]
            elif "disabled" in obj:
                p["recorded"] = False
                p["what"] = "a child could not record: %s" % obj["disabled"]
    return procs


def children_of(procs_started, procs, direct=()):
    """What the processes a sink started (and theirs) executed, and whether
    all were recorded: (fns, files, reason or None)."""
    fns, files, reason = set(), set(), None
    todo = list(procs_started)
    seen = set()
    kids = {}
    for pid, p in procs.items():
        kids.setdefault(p["ppid"], []).append(pid)
    while todo:
        pid, what = todo.pop()
        if pid in seen:
            continue
        if pid is not None:
            seen.add(pid)
        p = procs.get(pid) if pid is not None else None
        if p is None:
            if pid in _REPORTING:
                continue  # killed before its main: it ran nothing
            reason = reason or what or "started a process: not recorded"
            continue
        if not p["recorded"]:
            reason = reason or p["what"] or what
        fns |= p["fns"]
        files |= p["files"]
        todo.extend(x for x in p["spawns"] if x[0] not in direct)
        for k in kids.get(pid, ()):
            if k not in direct:  # a forkserver's child belongs to whoever asked for it
                todo.append((k, None))
    return fns, files, reason
