"""impact's pytest plugin: tell impact what happens, change nothing.

impact loads it with ``-p impact_pytest_plugin`` (this folder on
PYTHONPATH) and names a file in ``$IMPACT_EVENTS``; the plugin appends one
JSON object per line to that file as the run goes:

    {"e": "start", "rootdir": "/abs/rootdir"}
    {"e": "collected", "id": "tests/test_x.py::test_y"}     one per item
                                        (with pytest-xdist: the first worker's)
    {"e": "begin", "id": "..."}                              a test starts
    {"e": "done", "id": "...", "outcome": "passed", "dur": 0.01, "line": 12}
    {"e": "done", "id": "...", "outcome": "failed", ..., "msg": "assert 1 == 2",
     "text": "<the traceback>"}
    {"e": "collecterror", "id": "tests/test_z.py", "msg": "ImportError: ...", "text": "..."}
                                        (also a conftest.py that does not import, then
                                        "finish" with status 4; and an argument that
                                        names nothing, msg "not found (renamed or removed?)")
    {"e": "collectskip", "id": "tests/test_w.py", "msg": "collection skipped", "text": "..."}
    {"e": "teardownerror", "id": "...", "line": 12, "msg": "failed on teardown...", "text": "..."}
                                        (after "done" of a failed test whose teardown failed too)
    {"e": "shadowed", "id": "pkg", "where": "/usr/lib/python3/dist-packages/pkg"}
                                        (the repository's own package imported from
                                        outside it: see shadowed())
    {"e": "finish", "status": 1, "maxfail": true}

``outcome`` is one of passed, failed, error, skipped, xfailed, xpassed (a
non-strict XPASS, which pytest's JUnit XML records as a plain pass);
``maxfail`` says pytest stopped on purpose after failures (-x, --maxfail),
the one reason a finished run leaves collected tests unreported;
``msg`` and ``text`` (a failed, errored, skipped or xfailed test) are what
pytest's JUnit XML would hold (a collection error's ``msg`` is its last
``E`` line, where the XML has "collection failure") (message and traceback, in the run's --tb
style), so impact needs no XML to report failures and match flaky rules;
``line`` is the 1-based line of the test's definition, or null. Node ids
are relative to ``rootdir``, as pytest's are. An ``id`` or ``rootdir`` that
is not valid UTF-8 (a file name's raw bytes) comes as ``id_hex`` or
``rootdir_hex``: its bytes in hex, since a JSON string cannot hold them.

Why a file and not a pipe: a write to a regular file never blocks, so a
run whose impact has stopped reading (or died) is unaffected. The plugin
only observes: it implements no hook that can change an outcome, every
error of its own is swallowed, and without ``$IMPACT_EVENTS`` (or in a
pytest-xdist worker, whose reports reach the controller anyway) it does
nothing at all.

With ``$IMPACT_RECORD`` set it also starts impact_record, which writes what
each test executed into that directory (also in xdist workers).

With ``$IMPACT_RUNNER`` and ``$IMPACT_RUNNER_ROOT`` set, it writes to the
first the repository's files pytest had imported before this plugin, one
repository-relative path per line: pytest's own dependencies when the
repository is one of them (pluggy, attrs, iniconfig, packaging...).
impact runs the whole suite when one of those, or a module they import
(in a function too), changes: pytest itself may then break for every test.
"""
import json
import os
import sys

import pytest

_VAR = "IMPACT_EVENTS"


_EARLY = frozenset(sys.modules)  # what was imported before this plugin


_MODULE_DICT = type(sys).__dict__["__dict__"]  # ModuleType's own slot


def _namespace(mod):
    """A module's namespace as stored, never a module's own __dict__
    property (a lazy module type may import everything through it)."""
    return _MODULE_DICT.__get__(mod) or {}


def _runner_packages(config):
    """(From pytest_configure.) A package holding a plugin module pytest
    registered (`-p mypkg.plugin` in addopts, imported before this one) is
    left out: its hooks and fixtures are reached by name, as any plugin's."""
    out, root = os.environ.get("IMPACT_RUNNER"), os.environ.get("IMPACT_RUNNER_ROOT")
    if not out or not root:
        return
    root = os.path.realpath(root) + os.sep
    plugins = set()
    for p in config.pluginmanager.get_plugins():
        if isinstance(p, type(sys)):
            n = _namespace(p).get("__name__")
            if isinstance(n, str):
                plugins.add(n.partition(".")[0])
    found = set()
    for name in _EARLY:
        mod = sys.modules.get(name)
        if not isinstance(mod, type(sys)) or name.partition(".")[0] in plugins:
            continue
        f = _namespace(mod).get("__file__")
        if not isinstance(f, str) or not os.path.realpath(f).startswith(root):
            continue
        rel = os.path.relpath(os.path.realpath(f), root)
        if not rel.startswith(".."):
            found.add(rel.replace(os.sep, "/"))
    tmp = "%s.%d.tmp" % (out, os.getpid())
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write("".join(r + "\n" for r in sorted(found)))
    os.replace(tmp, out)



def shadowed(root):
    """The repository's own top-level packages and modules (``root/name``,
    ``root/src/name``) that this process imported from outside ``root``: a
    src/ layout neither installed nor on pytest's pythonpath, with an
    installed copy of the same name (another version in site-packages, or
    one pytest itself depends on), or a copy installed without -e. The
    tests then test that copy, not the repository's code. [(name, where)]."""
    mine = set()
    for base in (root, os.path.join(root, "src")):
        try:
            for entry in os.listdir(base):
                if entry.endswith(".py"):
                    mine.add(entry[:-3])
                elif os.path.isfile(os.path.join(base, entry, "__init__.py")):
                    mine.add(entry)
        except OSError:
            pass
    if not mine:
        return []
    inside = os.path.realpath(root) + os.sep
    out = []
    for name in sorted(mine):
        mod = sys.modules.get(name)
        if not isinstance(mod, type(sys)):
            continue
        f = _namespace(mod).get("__file__")
        if not isinstance(f, str):
            continue
        where = os.path.realpath(f)
        if not where.startswith(inside):
            if os.path.basename(where) == "__init__.py":
                where = os.path.dirname(where)
            out.append((name, where))
    return out


def _utf8(text):
    try:
        text.encode("utf-8")
        return True
    except UnicodeError:
        return False


# What pytest's JUnit XML would hold, read back as impact's expat reads it:
# characters XML cannot hold shown as #xNN (pytest's bin_xml_escape), and
# in a traceback (element text, where XML normalizes line ends) \r\n and
# \r as \n. A message is an attribute, which pytest's writer escapes whole.
_TEXT_CAP = 1 << 20


def _message(text):
    try:
        from _pytest.junitxml import bin_xml_escape
        return bin_xml_escape(text)
    except Exception:
        return str(text)


def _text(longrepr):
    text = _message(str(longrepr)).replace("\r\n", "\n").replace("\r", "\n")
    return text[:_TEXT_CAP]


def _error_line(text, default):
    """What a collection error says: the last "E   " line of its text."""
    for line in reversed(text.splitlines()):
        if line.startswith("E "):
            return line[1:].strip() or default
    return default


def _detail(report):
    """(message, text) of a failed or skipped phase, as pytest's junitxml
    writes them (append_failure, append_error, append_skipped)."""
    rep = report.longrepr
    if report.skipped:
        if hasattr(report, "wasxfail"):
            reason = report.wasxfail
            if reason.startswith("reason: "):
                reason = reason[8:]
            return _message(reason), None
        if isinstance(rep, tuple) and len(rep) == 3:
            filename, lineno, reason = rep
            if reason.startswith("Skipped: "):
                reason = reason[9:]
            return _message(reason), _text("%s:%s: %s" % (filename, lineno, reason))
        return _message(str(rep)), _text(rep)
    if report.when == "call" and hasattr(report, "wasxfail"):
        return "xfail-marked test passes unexpectedly", None
    crash = getattr(rep, "reprcrash", None)
    reason = crash.message if crash is not None else str(rep)
    if report.when != "call":
        reason = 'failed on %s with "%s"' % ("teardown" if report.when == "teardown"
                                              else "setup", reason)
    return _message(reason), _text(rep)


class _Reporter:
    def __init__(self, path, rootdir):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self.tests = {}
        self.rootdir = str(rootdir)
        self.collected = False
        self.shadowed = set()
        self.emit(e="start", rootdir=str(rootdir))

    def emit(self, **event):
        if self.fd < 0:
            return
        try:
            for key in ("id", "rootdir"):
                value = event.get(key)
                if isinstance(value, str) and not _utf8(value):
                    # A non-UTF-8 file name (surrogate escapes): JSON has no
                    # string for it, so its bytes go as hex.
                    del event[key]
                    event[key + "_hex"] = value.encode("utf-8", "surrogateescape").hex()
            line = json.dumps(event, ensure_ascii=True) + "\n"
            os.write(self.fd, line.encode("ascii", "backslashreplace"))
        except Exception:
            pass

    def pytest_collection_finish(self, session):
        try:
            self._collected(item.nodeid for item in session.items)
        except Exception:
            pass
        self._shadowed()

    def _shadowed(self):
        """Each repository package imported from elsewhere, said once."""
        try:
            root = os.environ.get("IMPACT_RUNNER_ROOT") or self.rootdir
            for name, where in shadowed(root):
                if name not in self.shadowed:
                    self.shadowed.add(name)
                    self.emit(e="shadowed", id=name, where=where)
        except Exception:
            pass

    # Under pytest-xdist the controller collects nothing itself: every
    # worker reports the same ids (xdist refuses to run when they differ).
    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids):
        try:
            self._collected(ids)
        except Exception:
            pass

    def _collected(self, ids):
        ids = list(ids)
        if self.collected or not ids:
            return
        self.collected = True
        for nodeid in ids:
            self.emit(e="collected", id=nodeid)

    # A node id or path that names nothing (a renamed test named again)
    # ends pytest's collection with a usage error (exit 4): said as that
    # argument's collection error.
    @pytest.hookimpl(hookwrapper=True)
    def pytest_collection(self, session):
        outcome = yield
        try:
            exc = outcome.excinfo[1] if outcome.excinfo else None
            if not isinstance(exc, pytest.UsageError):
                return
            for arg in exc.args:
                first = str(arg).split("\n", 1)[0]
                for prefix in ("not found: ", "file or directory not found: ",
                               "module or package not found: ", "found no collectors for "):
                    if first.startswith(prefix):
                        name = first[len(prefix):].split(" (missing __init__.py?)")[0]
                        if name.startswith(self.rootdir + os.sep):
                            name = name[len(self.rootdir) + 1:].replace(os.sep, "/")
                        self.emit(e="collecterror", id=name, msg="not found (renamed or removed?)",
                                  text=_text(str(arg)))
                        break
        except Exception:
            pass

    def pytest_collectreport(self, report):
        try:
            if report.failed:
                text = _text(report.longrepr)
                self.emit(e="collecterror", id=report.nodeid,
                          msg=_error_line(text, "collection failure"), text=text)
            elif report.skipped:
                self.emit(e="collectskip", id=report.nodeid, msg="collection skipped",
                          text=_text(report.longrepr))
        except Exception:
            pass

    def pytest_runtest_logstart(self, nodeid, location):
        self.emit(e="begin", id=nodeid)

    def pytest_runtest_logreport(self, report):
        try:
            st = self.tests.setdefault(report.nodeid, {"outcome": None, "dur": 0.0})
            st["dur"] += float(getattr(report, "duration", 0) or 0)
            xfail = hasattr(report, "wasxfail")
            cur = st["outcome"]
            if report.when == "call":
                if report.passed:
                    new = "xpassed" if xfail else "passed"
                elif report.failed:
                    new = "failed"
                else:
                    new = "xfailed" if xfail else "skipped"
                if cur in (None, "passed"):
                    st["outcome"] = new
            elif report.failed:
                # setup or teardown: an error, unless the call already failed
                if cur in (None, "passed", "xpassed", "skipped", "xfailed"):
                    st["outcome"] = "error"
            elif report.skipped and cur is None:
                st["outcome"] = "xfailed" if xfail else "skipped"
            if "msg" not in st and (report.failed or report.skipped):
                st["msg"], st["text"] = _detail(report)
            elif report.when == "teardown" and report.failed and st["outcome"] == "failed":
                # a failed test that also errors in teardown: a second
                # record, as pytest's summary and JUnit XML have it
                st["teardown"] = _detail(report)
        except Exception:
            pass

    def pytest_runtest_logfinish(self, nodeid, location):
        try:
            st = self.tests.pop(nodeid, None) or {"outcome": "passed", "dur": 0.0}
            line = None
            if location and location[1] is not None:
                line = int(location[1]) + 1
            detail = {}
            if st.get("msg") is not None:
                detail["msg"] = st["msg"]
            if st.get("text") is not None:
                detail["text"] = st["text"]
            self.emit(e="done", id=nodeid, outcome=st["outcome"] or "passed",
                      dur=round(st["dur"], 6), line=line, **detail)
            if "teardown" in st:
                msg, text = st["teardown"]
                self.emit(e="teardownerror", id=nodeid, line=line, msg=msg, text=text)
        except Exception:
            pass

    def pytest_sessionfinish(self, session, exitstatus):
        self._shadowed()  # imported by a test, not at collection
        try:
            maxfail = bool(session.shouldfail)
        except Exception:
            maxfail = False
        self.emit(e="finish", status=int(exitstatus), maxfail=maxfail)
        try:
            os.close(self.fd)
        except Exception:
            pass
        self.fd = -1


@pytest.hookimpl(hookwrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # Recording ($IMPACT_RECORD, see impact_record.py) starts before the
    # initial conftests are imported, so their import time is recorded too.
    if os.environ.get("IMPACT_RECORD"):
        try:
            import impact_record_pytest
            impact_record_pytest.early_start()
        except Exception:
            pass
    outcome = yield
    try:
        _conftest_failed(early_config, outcome.excinfo)
    except Exception:
        pass


def _conftest_failed(config, excinfo):
    """A conftest.py that does not import stops pytest before its session
    (exit 4, no reporter yet): said as that file's collection error, with
    the traceback pytest prints, then the session's end."""
    from _pytest.config import ConftestImportFailure
    path = os.environ.get(_VAR)
    exc = excinfo[1] if excinfo else None
    # (pytest-xdist's controller imports the initial conftests before any
    # worker starts: a worker never gets here for a conftest that fails.)
    if not path or not isinstance(exc, ConftestImportFailure) or hasattr(config, "workerinput"):
        return
    ns = getattr(config, "known_args_namespace", None)
    if ns is not None and (getattr(ns, "help", False) or getattr(ns, "version", False)):
        return  # pytest goes on for --help and --version
    rootdir = str(getattr(config, "rootpath", None) or config.rootdir)
    where = str(exc.path)
    rel = os.path.relpath(where, rootdir)
    info = pytest.ExceptionInfo.from_exc_info(exc.excinfo)
    line = None
    for entry in info.traceback:
        if str(entry.path) == where:
            line = entry.lineno + 1
    try:
        from _pytest.config import filter_traceback_for_conftest_import_failure
        info.traceback = info.traceback.filter(filter_traceback_for_conftest_import_failure)
    except Exception:
        pass
    tb = str(info.getrepr(style="short", chain=False)) if info.traceback else info.exconly()
    text = _text("ImportError while loading conftest '%s'.\n%s" % (where, tb))
    rep = _Reporter(path, rootdir)
    rep.emit(e="collecterror", id=rel.replace(os.sep, "/") if not rel.startswith("..") else where,
             line=line, msg=_error_line(text, "collection failure"), text=text)
    rep._shadowed()
    rep.emit(e="finish", status=4, maxfail=False)
    os.close(rep.fd)


def pytest_configure(config):
    try:
        _runner_packages(config)
    except Exception:
        pass
    if os.environ.get("IMPACT_RECORD"):
        try:
            import impact_record_pytest
            impact_record_pytest.configure(config)
        except Exception:
            pass
    path = os.environ.get(_VAR)
    if not path or hasattr(config, "workerinput"):
        return
    try:
        rootdir = getattr(config, "rootpath", None) or config.rootdir
        config.pluginmanager.register(_Reporter(path, rootdir), "impact-events")
    except Exception:
        pass
