"""
impact_record_pytest - the pytest side of impact's recorder.

impact_record.py owns tracing (which code runs, per sink), the processes a
test starts and the children that report back; this module owns what pytest
tells it: a sink per test (setup, call, teardown), fixtures of wider scope
credited to every test that uses them, what collection ran credited to
every test of its file, the repository modules the process had imported
by each test's end (modules_now), and the tests file written at the end
(tests-<pid>.jsonl, read by impact's records ingest, records.c). It is
loaded by impact_pytest_plugin.py only when $IMPACT_RECORD is set.

The tests file, ``$IMPACT_RECORD/tests-<pid>.jsonl``, is written through
a temporary name in the same directory and ``os.replace``:

    {"v":2,"rootdir":"/abs/rootdir","python":"3.12.1","tracer":"monitoring","worker":null}
    {"kind":"keys","paths":["/abs/pkg/mod.py","/abs/pkg/util.py"],"keys":[0,0,1,3,1,12]}
    {"kind":"import","module":"/abs/pkg/mod.py","fns":[0,2],
     "files":["/abs/pkg/table.json"]}
    {"kind":"session","fns":[0,3],"files":[],"opaque":null}
    {"kind":"test","id":"<nodeid>","path":"/abs/tests/test_x.py","fns":[1,1],
     "kept":[...],"files":["/abs/templates/t.html"],"opaque":null}

or, when recording cannot run at all, the single line
``{"v":2,"disabled":"<why>"}``. Tests also name the repository modules
their process had imported by their end (``mset``, see
impact_record_pytest.modules_lines); a test line without one is read as
"unknown". A file pytest collected with no test in it gets a test line
of its own (``"id"`` its path, ``"notests": true``): what collecting it
ran, no test counted. The ``session`` line is what ran outside every test
(Recorder.session): impact counts it in every test's record.

``keys`` numbers, in sorted order, every ``(co_filename, co_firstlineno)``
the lines name, as flat pairs (index in ``paths``, line): key 0 above is
``("/abs/pkg/mod.py", 0)``, key 2 ``("/abs/pkg/util.py", 12)``. ``fns``
and ``kept`` list key numbers ascending, each as its difference from the
one before (the first from 0): ``[1,1]`` is keys 1 and 2. A suite of
thousands of tests names each function thousands of times, its path once.

The header's ``tracer`` says which way it traced: "monitoring",
"ctrace" (the C hook) or "setprofile" (the pure-Python call-only trace
function; sys.settrace, which costs less than sys.setprofile); ``ctrace``
says why the C hook (below 3.12) or the C callback (3.12 and later) was
not used, when it was not.

Module state lives in impact_record (``_r``): this module only reads and
sets it there, so both halves see one recorder.
"""
import os
import sys
from collections import Counter
from itertools import islice
from types import ModuleType as _ModuleType

import impact_record as _r


def _fixturedefs(item):
    out = []
    try:
        info = getattr(item, "_fixtureinfo", None)
        n2d = getattr(info, "name2fixturedefs", None) or {}
        for name in getattr(item, "fixturenames", ()) or ():
            out.extend(n2d.get(name, ()) or ())
    except Exception:
        pass
    return out


def _path_of(node):
    p = getattr(node, "path", None)
    if p is None:
        p = getattr(node, "fspath", None)
    if p is None:
        return None
    p = os.path.abspath(str(p))
    q = _r._norm(p) if _r._root else None
    return q or p


_mods_checked = {}    # sys.modules name -> the object last looked at
_mods_snap = [frozenset()]  # the last snapshot, shared while nothing is added
_mods_len = [-1]      # len(sys.modules) at the last look


_MODULE_DICT = type(sys).__dict__["__dict__"]   # ModuleType's own slot


def module_dict(mod):
    """A module's namespace as stored, running none of its code (a lazy
    module type may make __dict__ a property that imports everything:
    apipkg's, which the py library uses, does), or {} for an object that is
    no module."""
    if issubclass(type(mod), _ModuleType):
        return _MODULE_DICT.__get__(mod) or {}
    return {}


def modules_now():
    """The repository modules this process has imported so far, as a
    frozenset of absolute paths (the same object while nothing was added):
    every file that was ever in sys.modules at a test's end (packages'
    __init__.py included: importing a.b puts a there), every module body
    the tracer saw begin (also one removed from sys.modules again, or whose
    import failed), every file collected, every .py read as source. Never
    shrinks: a module imported by an earlier test stays imported.

    sys.modules is looked at again only when its size changed: a module
    whose body runs while the tracer is on is added when it begins, so
    what the look adds is what ran before the tracer or without it, which
    grows sys.modules (about a third of the recorder's own time per test
    on a suite of short tests went to looking at it after every test)."""
    seen = _r._mods_seen
    if len(sys.modules) != _mods_len[0]:
        checked = _mods_checked
        items = list(sys.modules.items())
        _mods_len[0] = len(items)
        for name, mod in items:
            if checked.get(name) is mod:
                continue
            checked[name] = mod
            try:
                # never getattr: a PEP 562 __getattr__ would run the module's code
                f = module_dict(mod).get("__file__")
                if isinstance(f, str) and f.endswith(".py"):
                    p = _r._norm(f)
                    if p is not None:
                        seen.add(p)
            except Exception:
                pass
    if len(seen) != len(_mods_snap[0]):
        _mods_snap[0] = frozenset(seen)
    return _mods_snap[0]


def modules_lines(tests, child_mods):
    """The "modules" line (every path once) and one "modset" line per
    distinct set: {"kind":"modset","n":0,"mods":[deltas of path indexes]};
    returns (lines, set number per test). child_mods[i]: the module bodies
    test i's child processes ran (added to its set)."""
    sets, per_test = {}, []
    for t, extra in zip(tests, child_mods):
        ms = t[6] | extra if extra else t[6]
        n = sets.get(ms)
        if n is None:
            n = sets[ms] = len(sets)
        per_test.append(n)
    paths = sorted(set().union(*sets) if sets else ())
    pnum = {p: i for i, p in enumerate(paths)}
    lines = [{"kind": "modules", "paths": paths}]
    for ms, n in sorted(sets.items(), key=lambda x: x[1]):
        lines.append({"kind": "modset", "n": n, "mods": _deltas(pnum[p] for p in ms)})
    return lines, per_test


def _hookimpl(**kw):
    """Marks a hook; pytest.hookimpl is applied when pytest is there (configure)."""
    def mark(f):
        f._impact_hookimpl = kw
        return f
    return mark


class Recorder:
    """The pytest plugin part: sinks follow pytest's phases."""

    def __init__(self, config, sinkdir):
        self.config = config
        self.sinkdir = sinkdir
        wi = getattr(config, "workerinput", None)
        self.worker = wi.get("workerid") if isinstance(wi, dict) else None
        self.fixtures = {}      # fixturedef -> _Sink
        self.collected = {}     # file path -> fns dict
        # [nodeid, path, raw fns, [(fixture or collection fns, how many)],
        #  opaque, procs, modules]
        self.tests = []
        # Files pytest collected and found no test in (a module without
        # doctests under --doctest-modules, a docs conf.py, a benchmark
        # module): [path, collection fns, opaque, procs]. Each is written as
        # a test of its own, what its collection ran, so that a change it
        # never ran does not select it (without a record it stays static).
        self.empty = []
        self.written = False
        # What runs outside every test (pytest_configure, the report
        # header, hooks between tests, session-wide collection hooks): one
        # sink for the whole process, the one recording started with, and
        # credited to every test at the end. A change there breaks the
        # session, so every test it runs (pluggy's own code runs pytest).
        base = _r._stack[0] if _r._stack else None
        self.session = base if base is not None and base.kind == "idle" else _r._Sink("idle")

    # collection: what runs while a file is collected belongs to its tests
    @_hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_make_collect_report(self, collector):
        sink = None
        prev = _r._collecting
        is_file = False
        try:
            import pytest
            pkg = getattr(pytest, "Package", None)
            is_file = isinstance(collector, pytest.File)
            if (isinstance(collector, (pytest.File, pytest.Class))
                    and not (pkg is not None and isinstance(collector, pkg))):
                p = _path_of(collector)
                if p:
                    sink = _r._Sink("collect", p)
                    # A module collected for its doctests (--doctest-modules)
                    # is the code under test: its body is its import, which
                    # every later `import` of it reuses (impact_record._imports).
                    if not any(k.__name__ == "DoctestModule" for k in type(collector).__mro__):
                        _r._collecting = p
                    _r.push(sink)
        except Exception:
            sink = None
        outcome = None
        try:
            outcome = yield
        finally:
            if sink is not None:
                try:
                    _r._collecting = prev
                    _r.pop(sink)
                    if sink.name.endswith(".py"):
                        _r._mods_seen.add(sink.name)  # collecting imports it
                    d = self.collected.setdefault(sink.name, [{}, None, []])
                    for c, caller in sink.fns.items():
                        d[0].setdefault(c, caller)
                    if sink.opaque and not d[1]:
                        d[1] = sink.opaque
                    d[2].extend(sink.procs)
                    # A file collected cleanly with nothing in it (not one
                    # skipped or failing at collection: those stay static).
                    rep = outcome.get_result() if (is_file and outcome is not None
                                                   and outcome.excinfo is None) else None
                    if (rep is not None and getattr(rep, "outcome", None) == "passed"
                            and not getattr(rep, "result", None)):
                        self.empty.append([sink.name, dict(sink.fns), sink.opaque or (
                            None if _r.tracer_intact() else
                            "the trace function was replaced during the run: not recorded"),
                            list(sink.procs)])
                except Exception:
                    pass


    @_hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_fixture_setup(self, fixturedef, request):
        sink = fresh = None
        try:
            # A function-scoped fixture runs again for each test that uses
            # it, inside that test's sink: a sink of its own (and the
            # re-arm that costs) would only add what other tests ran.
            if getattr(fixturedef, "scope", None) != "function":
                sink = self.fixtures.get(fixturedef)
                fresh = _r._Sink("fixture", fixturedef)
                _r.push(fresh)
        except Exception:
            fresh = None
        try:
            yield
        finally:
            if fresh is not None:
                try:
                    _r.pop(fresh)
                    if sink is None:
                        self.fixtures[fixturedef] = fresh
                    else:
                        for c, caller in fresh.fns.items():
                            sink.fns.setdefault(c, caller)
                        sink.opaque = sink.opaque or fresh.opaque
                        sink.procs.extend(fresh.procs)
                except Exception:
                    pass


    @_hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        sink = _r._Sink("test", getattr(item, "nodeid", ""))
        try:
            _r._procs().patch_multiprocessing()
            _r.replace_base(sink)
        except Exception:
            pass
        self._requested = []
        try:
            yield
        finally:
            try:
                self._finish_test(item, sink)
            except Exception:
                pass


    @_hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        # fixtures obtained at setup, also by getfixturevalue
        try:
            req = getattr(item, "_request", None)
            defs = getattr(req, "_fixture_defs", None) or {}
            self._requested = list(defs.values())
        except Exception:
            pass
        yield


    def _finish_test(self, item, sink):
        _r.replace_base(self.session)
        # What its fixtures and its file's collection ran so far: each such
        # dict only grows (insertion-ordered), so its length now says which
        # of its entries this test gets; copied out only when written (a
        # copy per test cost a suite of 900 tests a tenth of a second).
        extra = []
        opaque = sink.opaque
        procs = list(sink.procs)
        seen = set()
        for fd in _fixturedefs(item) + list(getattr(self, "_requested", ()) or ()):
            if id(fd) in seen:
                continue
            seen.add(id(fd))
            fs = self.fixtures.get(fd)
            if fs is None:
                continue
            extra.append((fs.fns, len(fs.fns)))
            opaque = opaque or fs.opaque
            procs.extend(fs.procs)
        path = _path_of(item)
        coll = self.collected.get(path)
        if coll is not None:
            extra.append((coll[0], len(coll[0])))
            opaque = opaque or coll[1]
            procs.extend(coll[2])
        if not _r.tracer_intact():
            opaque = opaque or "the trace function was replaced during the run: not recorded"
        self.tests.append([item.nodeid, path, sink.fns, extra, opaque, procs, modules_now()])

    @_hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        self.write()


    def pytest_unconfigure(self, config):
        self.write()

    # ------------------------------------------------------------ output

    def kept(self):
        """Per test index, the code objects it kept from an earlier test:
        where caller C first ran (test i) it called F from a site, a later
        test ran C but started nothing from that site (a cache, a memo, a
        value computed once): it kept what F ran in test i. Any F, however
        often it ran later: with caches nested (a cached function calling
        a cached function), F's later runs say nothing of the tests that
        reused its first result. Where F caches its results and code of
        its computation calls what no name shows (_Unnamed), U also gets
        what ran before F in test i: F may have run it again without a link
        showing."""
        tests = self.tests
        # Set operations on each test's dict, not a loop over its entries
        # (a suite of 5,000 tests runs half a million functions): the
        # codes each test ran first, and how many tests ran each.
        seen, firsts, counts = set(), [], Counter()
        for t in tests:
            d = t[2]
            counts.update(d.keys())
            new = d.keys() - seen
            seen |= new
            firsts.append(new)
        # Callers that may have kept something: first run in test i, run
        # again later.
        cand = []
        for i, t in enumerate(tests):
            again = set([c for c in firsts[i] if counts[c] > 1])
            if again:
                cand.extend([(i, f, cl) for f, cl in t[2].items()
                             if cl is not None and cl >> 32 in again])
        if not cand:
            return {}
        # A later test whose C called something else from the very line
        # that called F dispatched elsewhere (obj.render() on another type):
        # it did not keep F's result. Sites are compared by line through
        # the distinct sites of those callers: each one's line is worked
        # out once (_site_line scans the caller's line table), and a test
        # called from F's line when its set of sites meets that line's.
        callers = set(cl >> 32 for _i, _f, cl in cand)
        runs = {c: set() for c in callers}  # caller -> indexes of the tests that ran it
        vals = {}                           # test index -> the set of its call sites
        for j, t in enumerate(tests):
            ran = t[2].keys() & callers
            if not ran:
                continue
            for c in ran:
                runs[c].add(j)
            vals[j] = set(t[2].values())
        line_of, by_line = {}, {}
        for v in set().union(*vals.values()):
            if v is not None and v >> 32 in callers:
                line = line_of[v] = _r._site_line(v)
                by_line.setdefault((v >> 32, line), set()).add(v)
        # The tests that called something from each site of those lines:
        # a loop over the sites each test shares with them (a set
        # intersection per test), not a test per candidate and later test
        # (a suite of 900 short tests made 120,000 such comparisons).
        at_site = {}
        wanted = set(line_of)
        for j, sites in vals.items():
            for v in sites & wanted:
                at_site.setdefault(v, []).append(j)
        later_of = {}
        out, children, child_of, unnamed = {}, None, -1, _Unnamed()
        cached = self.cached_codes()
        for i, f, cl in cand:
            c = cl >> 32
            key = (c, line_of[cl])
            later = later_of.get(key)
            if later is None:
                # i is the first test that ran c; the others ran it later
                called = set()
                for v in by_line[key]:
                    called.update(at_site.get(v, ()))
                later = later_of[key] = sorted(runs[c] - called - {i})
            if not later:
                continue
            if child_of != i:
                child_of, children = i, {}
                for g, gc in tests[i][2].items():
                    if gc is not None:
                        children.setdefault(gc >> 32, []).append(g)
            closure = _closure(f, lambda g: children.get(g, ()))
            if f in cached and any(unnamed.calls(_r._codes[g], set())
                                   for g in closure if g in _r._codes):
                # F's computation (F, or a helper it hands a parameter to)
                # calls what no name shows (`cls(*args)`): what ran before F
                # in test i, no link from F shows, may have run in it
                for g in tests[i][2]:
                    if g == f:
                        break
                    closure.add(g)
            for j in later:
                out.setdefault(j, set()).update(closure)
        return out

    def cached_codes(self):
        """_cached_codes(), looked for once per write."""
        if getattr(self, "_cached", None) is None:
            self._cached = _cached_codes()
        return self._cached

    def computed(self):
        """Per repository function caching its results (a functools cache,
        a cached_property), the code computing its results ran: what its
        calls started (first-call links, over every test), and every
        function that ran before it in a test and that some code of the
        computation names (a function already run in that test from
        elsewhere starts nothing the second time; a method, where that code
        names its class too or is in its file). Where code of the
        computation calls what no name shows (a parameter: `cls(*args)`, an item of a table,
        what a call returned), every function that ran before it in a test
        where it ran. impact keeps the tests that may have reused its
        results only when this holds a changed function."""
        cached = self.cached_codes()
        if not cached:
            return {}
        # Each (function, call site) once: most repeat from test to test.
        children, ran, pairs = {}, set(), set()
        for t in self.tests:
            ran.update(t[2])
            pairs.update(t[2].items())
        for f, cl in pairs:
            if cl is not None:
                children.setdefault(cl >> 32, set()).add(f)
        byname = {}
        for f in ran:
            c = _r._codes.get(f)
            if c is None:
                continue
            qual = getattr(c, "co_qualname", "").split(".")
            # A method's class, when the interpreter says (3.11+).
            cls = qual[-2] if len(qual) > 1 and qual[-2] != "<locals>" else None
            byname.setdefault(c.co_name, []).append((f, cls, c.co_filename))
            if c.co_name[:2] == "__" == c.co_name[-2:] and cls:
                # an operator or constructor runs through its class's name
                byname.setdefault(cls, []).append((f, None, None))
        out, names, unnamed = {}, {}, _Unnamed()
        # What ran before each cached function in a test (a test's functions
        # are in first-run order): its later calls there started nothing, no
        # link shows them. One pass over the tests that ran some, not one
        # per cached function.
        befores = {f: set() for f in cached if f in ran}
        for t in self.tests:
            hit = befores.keys() & t[2].keys()
            if hit:
                order = list(t[2])
                for f in hit:
                    befores[f].update(order[:order.index(f)])
        for f, beside in befores.items():
            wide = [False]

            def edges(g, beside=beside, wide=wide):
                c = _r._codes.get(g)
                if g not in names:
                    names[g] = _names(c) if c is not None else set()
                nxt = list(children.get(g, ()))
                if wide[0]:
                    return nxt  # `beside` is in already: names add nothing from it
                if c is not None and unnamed.calls(c, names[g]):
                    # it (or code its computation runs: a helper it hands
                    # a parameter to) calls what no name shows (a
                    # parameter, a table's item): whatever ran before the
                    # computation may have run in it, links or not
                    wide[0] = True
                    return nxt + list(beside)
                for n in names[g]:
                    # A method by a name many classes share: where its code
                    # names the class too, or is in the class's file.
                    nxt.extend(h for h, cls, fn in byname.get(n, ())
                               if h in beside and (cls is None or cls in names[g]
                                                   or (c is not None and fn == c.co_filename)))
                return nxt
            out[f] = _closure(f, edges)
        return out

    def lines(self):
        # The repository's own package imported from outside it: what the
        # tests ran of it is no repository code, so nothing they ran can
        # speak for them (a change to that package would look unexecuted).
        try:
            import impact_pytest_plugin
            shadow = impact_pytest_plugin.shadowed(_r._root.rstrip(os.sep))
        except Exception:
            shadow = []
        shadow = ("imported the repository's package '%s' from '%s', not from the repository"
                  % shadow[0]) if shadow else None
        yield {"v": _r.SINK_VERSION, "rootdir": str(getattr(self.config, "rootpath", None)
                                                or self.config.rootdir),
               "python": "%d.%d.%d" % sys.version_info[:3], "tracer": _r._tracer,
               "ctrace": _r._ctrace_why, "worker": self.worker}
        kept = self.kept()
        sess = self.session
        children = (_r._procs().read_children(self.sinkdir)
                    if sess.procs or any(t[5] for t in self.tests) or any(e[3] for e in self.empty)
                    else {})
        direct = set(pid for t in self.tests for pid, _ in t[5] if pid)
        direct.update(pid for pid, _ in sess.procs if pid)
        direct.update(pid for e in self.empty for pid, _ in e[3] if pid)
        # Every (path, line) once, numbered in sorted order: tests and
        # imports name them by number (a suite of thousands of tests names
        # each function thousands of times; its path once).
        kinds = _r._kind
        keys = set(k for i, k in _r._key.items() if kinds.get(i) != _r._FILE)
        for p in children.values():
            keys.update(p["fns"])
        order = sorted(keys)
        num = {k: n for n, k in enumerate(order)}
        paths = sorted(set(k[0] for k in order))
        pnum = {p: n for n, p in enumerate(paths)}
        flat = []
        for k in order:
            flat.append(pnum[k[0]])
            flat.append(k[1])
        yield {"kind": "keys", "paths": paths, "keys": flat}
        cnum, cfile = {}, {}
        for i, k in _r._key.items():
            if kinds.get(i) == _r._FILE:
                cfile[i] = k[0]
            else:
                cnum[i] = num[k]

        nums, files_of = cnum.keys(), cfile.keys()

        def split(codes):
            """Key numbers and file paths of code ids (set operations and
            map: C loops, once per test)."""
            if not isinstance(codes, (set, frozenset)):
                codes = set(codes)
            return (set(map(cnum.__getitem__, codes & nums)),
                    set(map(cfile.__getitem__, codes & files_of)))

        child_mods = []
        for t in self.tests:
            mods = None
            if t[5]:
                cfns = _r._procs().children_of(t[5], children, direct)[0]
                mods = frozenset(k[0] for k in cfns if k[1] == 0)  # module bodies
            child_mods.append(mods)
        mlines, mset = modules_lines(self.tests, child_mods)
        for l in mlines:
            yield l
        for mod in sorted(_r._imports):
            fns, files = split(_r._imports[mod])
            yield {"kind": "import", "module": mod, "fns": _deltas(fns),
                   "files": sorted(files)}
        for f, closure in self.computed().items():
            if f in cnum:
                yield {"kind": "cache", "fn": cnum[f], "fns": _deltas(split(closure)[0])}
        def ran(codes, procs, opaque):
            """Key numbers and files of `codes`, with what the processes
            started there ran (caches stay in their process: never evidence
            for kept), and why the record is opaque, if it is."""
            fns, files = split(codes)
            if procs:
                cfns, cfiles, reason = _r._procs().children_of(procs, children, direct)
                fns.update(num[k] for k in cfns)
                files |= cfiles
                opaque = opaque or reason
            return fns, files, opaque or shadow

        fns, files, opaque = ran(set(sess.fns), sess.procs, sess.opaque)
        yield {"kind": "session", "fns": _deltas(fns), "files": sorted(files), "opaque": opaque}
        for i, (nodeid, path, raw, extra, opaque, procs, _m) in enumerate(self.tests):
            codes = set(raw)
            for d, n in extra:
                codes.update(d if n == len(d) else islice(d, n))
            fns, files, opaque = ran(codes, procs, opaque)
            kfns, kfiles = split(kept.get(i, ()))
            kfns -= fns
            files |= kfiles
            yield {"kind": "test", "id": nodeid, "path": path,
                   "fns": _deltas(fns), "kept": _deltas(kfns),
                   "files": sorted(files), "opaque": opaque, "mset": mset[i]}
        # Files with no test: what collecting them ran (no module set: what
        # they imported is judged as for a test whose set is unknown).
        for path, raw, opaque, procs in self.empty:
            fns, files, opaque = ran(set(raw), procs, opaque)
            yield {"kind": "test", "id": path, "path": path, "fns": _deltas(fns), "kept": [],
                   "files": sorted(files), "opaque": opaque, "notests": True}

    def write(self):
        if self.written or _r._child is not None:
            return  # a forked copy of this process writes no tests file
        self.written = True
        try:
            _r.stop()
        except Exception:
            pass
        # The garbage collector is held off meanwhile: the sets built here
        # hold no cycles, and each collection they set off walked every
        # object of the session (click's 2,000 tests: a third of this).
        import gc
        was = gc.isenabled()
        gc.disable()
        try:
            lines = list(self.lines())
        except Exception as e:
            lines = [{"v": _r.SINK_VERSION, "disabled": "recorder failed: %s" % type(e).__name__}]
        finally:
            if was:
                gc.enable()
        write_lines(self.sinkdir, lines)


def _closure(start, edges):
    """Every node reachable from start through edges(node)."""
    seen, todo = set(), [start]
    while todo:
        g = todo.pop()
        if g in seen:
            continue
        seen.add(g)
        todo.extend(edges(g))
    return seen


def _names(code, depth=0):
    """The names a code object and the code nested in it read or call."""
    out = set(code.co_names)
    if depth < 8:
        for k in code.co_consts:
            if type(k) is type(code):
                out |= _names(k, depth + 1)
    return out


class _Unnamed:
    """Which code objects call something no name of theirs shows, read from
    their source with ast (their own lines only): a call of a parameter or
    of a local that holds no named function, of a table's item, of what a
    call returned. `cls(...)` and `self(...)` in a method call its class
    (named: the class's name is added). True whenever the source cannot be
    read or the function found: the safe answer."""

    def __init__(self):
        self.seen = {}      # id(code) -> (calls what no name shows, its class if it calls it)

    def _node(self, code):
        """The function's definition, parsed from its own lines only."""
        try:
            import ast
            import linecache
            lines = linecache.getlines(code.co_filename)[code.co_firstlineno - 1:]
            if code.co_name != "<lambda>":
                block = _def_block(lines)
                if block is not None:
                    try:
                        top = ast.parse(block[0]).body[0]
                        return top.body[0] if block[1] else top
                    except (SyntaxError, ValueError, IndexError, AttributeError):
                        pass
                import inspect
                import textwrap
                tree = ast.parse(textwrap.dedent("".join(inspect.getblock(lines))))
            for n in ast.walk(tree):
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    return n
        except Exception:
            pass
        return None

    def calls(self, code, names):
        r = self.seen.get(id(code))
        if r is None:
            r = self.seen[id(code)] = self._calls(code)
        if r[1]:
            names.add(r[1])
        return r[0]

    def _calls(self, code):
        import ast
        if code.co_name[:1] == "<" and code.co_name != "<lambda>":
            return False, None  # a comprehension: its calls are its function's source
        node = self._node(code)
        if node is None:
            return True, None
        if code.co_name != "<lambda>" and getattr(node, "name", code.co_name) != code.co_name:
            return True, None  # another function on that line
        qual = getattr(code, "co_qualname", "").split(".")
        cls = qual[-2] if len(qual) > 1 and qual[-2] != "<locals>" else None
        params, assigned, aliases, named, calls = set(), set(), set(), None, []
        funcs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
        Name, Call, Assign, Store = ast.Name, ast.Call, ast.Assign, ast.Store
        for n in ast.walk(node):
            t = type(n)
            if t is Call:
                calls.append(n.func)
            elif t is Name:
                if type(n.ctx) is Store:
                    assigned.add(n.id)
            elif t in funcs:
                a = n.args
                for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
                    if x is not None:
                        params.add(x.arg)
            elif t is Assign and isinstance(n.value, (ast.Name, ast.Attribute)):
                # `_get = get_size`: the name it holds is one the code names
                aliases.update(t.id for t in n.targets if isinstance(t, ast.Name))
        for f in calls:
            if isinstance(f, ast.Attribute):
                continue  # obj.m(): m is a name of the code
            if isinstance(f, ast.Lambda):
                continue  # its code is this function's too
            if not isinstance(f, ast.Name):
                return True, None  # table[k](), make()(), (a or b)()
            if f.id in ("cls", "self") and f.id in params and cls:
                named = cls
            elif f.id in params or (f.id in assigned and f.id not in aliases):
                return True, None
        return False, named


def _def_block(lines):
    """A def's source from its first line (a decorator's or its own) to the
    line before the first one indented no deeper, comments, blank lines
    and closing brackets (a header's `) -> str:`) aside, as (source ast parses, whether it is under an `if 1:` added
    since the def is indented); None when the lines do not start so. Cheaper than inspect.getblock's tokenizer.
    A block cut inside a string or a bracket does not parse (the caller
    then tokenizes): a line indented no deeper than the def inside the
    function is always such a continuation."""
    i = 0
    while i < len(lines) and lines[i].lstrip().startswith("@"):
        i += 1
    if i >= len(lines):
        return None
    head = lines[i]
    body = head.lstrip()
    if not (body.startswith("def ") or body.startswith("async ")):
        return None
    ind = len(head) - len(body)
    end = i + 1
    while end < len(lines):
        ln = lines[end]
        st = ln.lstrip()
        if st and st[0] not in "#)]}" and len(ln) - len(st) <= ind:
            break
        end += 1
    src = "".join(lines[:end])
    return ("if 1:\n" + src, True) if ind else (src, False)


def _cached_codes():
    """id(code) of the repository functions whose results are cached:
    functools caches and cached_property objects found on the repository's
    modules and their classes (read with module_dict() and vars(), which
    run no code)."""
    import functools
    lru = type(functools.lru_cache()(_noop_fn))
    prop = getattr(functools, "cached_property", ())
    out = set()

    def look(v):
        if isinstance(v, (classmethod, staticmethod)):
            v = v.__func__
        if isinstance(v, lru):
            f = v.__wrapped__
        elif prop and isinstance(v, prop):
            f = v.func
        else:
            return
        for _ in range(8):
            c = getattr(f, "__code__", None)
            if c is not None:
                if id(c) in _r._key:
                    out.add(id(c))
                return
            f = vars(f).get("__wrapped__") if hasattr(f, "__dict__") else None

    for m in list(sys.modules.values()):
        try:
            md = module_dict(m)
            fn = md.get("__file__")
            if not isinstance(fn, str) or _r._norm(fn) is None:
                continue
            for v in list(md.values()):
                look(v)
                if isinstance(v, type) and vars(v).get("__module__") == md.get("__name__"):
                    for w in list(vars(v).values()):
                        look(w)
        except Exception:
            continue
    return out


def _noop_fn():
    pass


def _deltas(numbers):
    """Ascending numbers as differences (the first from 0): short to write."""
    s = sorted(numbers)
    return [b - a for a, b in zip([0] + s, s)]


def write_lines(sinkdir, lines):
    try:
        final = os.path.join(sinkdir, "tests-%d.jsonl" % os.getpid())
        tmp = os.path.join(sinkdir, ".tests-%d.jsonl.tmp" % os.getpid())
        json = _r._json()
        data = "".join(json.dumps(l, ensure_ascii=True, separators=(",", ":")) + "\n"
                       for l in lines).encode("ascii")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
        finally:
            os.close(fd)
        os.replace(tmp, final)
    except Exception:
        pass


def early_start():
    """From the plugin's first hook: trace conftest imports too."""
    if not os.environ.get("IMPACT_RECORD"):
        return
    try:
        _r.start()
    except Exception:
        pass


def configure(config):
    """From the plugin's pytest_configure: record this process, or step back."""
    sinkdir = os.environ.get("IMPACT_RECORD")
    if not sinkdir:
        return
    try:
        controller = (not hasattr(config, "workerinput")
                      and (getattr(config.option, "dist", "no") or "no") != "no"
                      and getattr(config.option, "numprocesses", None))
        if controller:
            # an xdist controller runs no test: its workers record
            _r.stop()
            return
        if _r._child is not None:
            return  # pytest run by a recorded test: its record is the test's
        _r.start()
        if _r._disabled:
            write_lines(sinkdir, [{"v": _r.SINK_VERSION, "disabled": _r._disabled}])
            return
        import pytest
        for name, f in list(vars(Recorder).items()):
            kw = getattr(f, "_impact_hookimpl", None)
            if kw is not None and not hasattr(f, "pytest_impl"):
                pytest.hookimpl(**kw)(f)
        config.pluginmanager.register(Recorder(config, sinkdir), "impact-record")
    except Exception:
        try:
            _r.stop()
        except Exception:
            pass
