"""``pytest --impact [REVSPEC]``: run only the tests a change can break.

Where Python developers already are: this pytest plugin asks impact for
its selection (``impact --json [REVSPEC]``, the binary named by
``$IMPACT_BIN`` or found on PATH, so the same configuration and history
apply) and deselects every other collected test the pytest way, in
``pytest_collection_modifyitems``, so pytest counts them as "deselected"
and every other option of the command line (``-k``, ``--lf``, ``-n``)
composes with it.

- no REVSPEC: the working tree against HEAD, as ``impact`` does;
- impact says "full suite": nothing is deselected;
- impact is missing, fails or answers something unreadable: nothing is
  deselected and one line says why (never a silent partial selection);
- ``--impact-explain``: the chain of each kept test file in the summary.

It is loaded with ``-p impact_pytest_select`` (this folder on PYTHONPATH)
or through the ``pytest11`` entry point ``impact plugin install`` writes
into the project's interpreter; both register it under its module name,
so pytest never loads it twice. Without ``--impact`` it does nothing, and
inside a run started by impact itself (``$IMPACT_RUN_ID`` is set: impact
already chose the tests and loads its own recording plugin) ``--impact``
is ignored with a line saying so.

Under pytest-xdist the controller asks impact once and hands the answer
to each worker (``workerinput``); the workers, which collect, deselect.

It deliberately does not import impact's recording plugin
(impact_pytest_plugin.py) nor change anything but the list of items.
"""
import json
import os
import shutil
import subprocess

import pytest

_KEY = "impact_selection"
_TIMEOUT_S = 600


def pytest_addoption(parser):
    group = parser.getgroup("impact", "select tests with impact")
    group.addoption(
        "--impact", action="store", nargs="?", const="", default=None,
        metavar="REVSPEC", dest="impact",
        help="run only the tests impact selects for REVSPEC (git's A..B, A...B, "
             "<rev>; none: the working tree against HEAD)")
    group.addoption(
        "--impact-explain", action="store_true", default=False, dest="impact_explain",
        help="with --impact: print why each kept test file was selected")


def _repo_root(start):
    """The work tree root above `start` (a .git file or folder), or `start`."""
    d = os.path.abspath(str(start))
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return os.path.abspath(str(start))
        d = parent


def _ask_impact(revspec, root):
    """Impact's selection as a dict: {"ok": bool, "why": str, ...}."""
    binary = os.environ.get("IMPACT_BIN") or shutil.which("impact")
    if not binary:
        return {"ok": False, "why": "the impact binary was not found (set IMPACT_BIN "
                                    "or put impact on PATH)"}
    argv = [binary, "-C", root, "--json"] + ([revspec] if revspec else [])
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError) as e:
        return {"ok": False, "why": "cannot run %s: %s" % (binary, e)}
    if r.returncode != 0:
        lines = [l for l in r.stderr.decode(errors="replace").splitlines() if l.strip()]
        last = lines[-1].strip() if lines else "no message"
        return {"ok": False, "why": "impact exited with %d: %s" % (r.returncode, last)}
    try:
        doc = json.loads(r.stdout.decode("utf-8", errors="replace"))
        selected = [s["path"] for s in doc["selected"]]
        full = bool(doc["full_suite"])
    except (ValueError, KeyError, TypeError) as e:
        return {"ok": False, "why": "impact's --json answer is unreadable (%s)" % e}
    rng = doc.get("range") or {}
    where = "%s..%s" % (rng.get("old") or "", rng.get("new") or "") if rng else ""
    return {
        "ok": True, "full": full, "full_reason": doc.get("full_suite_reason"),
        "selected": selected, "range": where, "root": root,
        "explain": [_explain_line(s) for s in doc["selected"]],
        "nchanged": len(doc.get("changed") or []),
    }


def _explain_line(sel):
    """One selected test file and why, in the words of `impact --explain`."""
    chain = sel.get("chain") or []
    reason = sel.get("reason")
    path = sel["path"]
    if sel.get("references"):
        return "%s (references: %s)" % (path, sel["references"])
    if reason == "changed-test":
        status = chain[0].get("status") if chain else None
        return "%s (changed test file%s)" % (path, ": " + status if status else "")
    if sel.get("rule"):
        return "%s (rule %s)" % (path, sel["rule"].get("name") or "?")
    if sel.get("always"):
        return "%s (always)" % path
    if len(chain) > 1:
        parts = []
        for hop in chain:
            p = hop.get("path", "?")
            if hop.get("status"):
                p += " (%s)" % hop["status"]
            parts.append(p)
        return " <- ".join(parts)
    return "%s (%s)" % (path, reason or "selected")


def pytest_configure(config):
    if config.getoption("impact", None) is None:
        return
    winput = getattr(config, "workerinput", None)
    if winput is not None:
        # An xdist worker: the controller asked impact already.
        if _KEY in winput:
            config._impact_selection = json.loads(winput[_KEY])
        return
    if os.environ.get("IMPACT_RUN_ID"):
        config._impact_selection = {
            "ok": False, "inert": True,
            "why": "inside a run started by impact, which chose the tests itself: "
                   "--impact ignored"}
        return
    config._impact_selection = _ask_impact(config.getoption("impact"),
                                           _repo_root(config.rootpath))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist: hand the controller's answer to each worker."""
    sel = getattr(node.config, "_impact_selection", None)
    if sel is not None:
        node.workerinput[_KEY] = json.dumps(sel)


def _summary(sel):
    """The one line saying what --impact did."""
    if not sel["ok"]:
        if sel.get("inert"):
            return "impact: " + sel["why"]
        return "impact: running every test: " + sel["why"]
    rng = " (%s)" % sel["range"] if sel.get("range") else ""
    if sel["full"]:
        why = sel.get("full_reason")
        return "impact: full suite%s%s: nothing deselected" % (
            rng, ": " + why if why else "")
    return "impact: %d changed files%s, %d test files selected" % (
        sel["nchanged"], rng, len(sel["selected"]))


def pytest_report_header(config):
    sel = getattr(config, "_impact_selection", None)
    if sel is None or getattr(config, "workerinput", None) is not None:
        return None
    return _summary(sel)


def _keeps(sel, rel, nodeid):
    """Is the item at repository path `rel` (node id `nodeid`, from the root) selected?"""
    for s in sel:
        if "::" in s:
            if nodeid == s or nodeid.startswith(s + "::") or nodeid.startswith(s + "["):
                return True
        elif rel == s or rel.startswith(s.rstrip("/") + "/"):
            return True
    return False


def pytest_collection_modifyitems(session, config, items):
    sel = getattr(config, "_impact_selection", None)
    if sel is None or not sel["ok"] or sel["full"]:
        return
    root = sel["root"]
    keep, drop = [], []
    for item in items:
        path = os.path.abspath(str(item.path))
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        tail = item.nodeid.split("::", 1)
        nodeid = rel + ("::" + tail[1] if len(tail) > 1 else "")
        (keep if _keeps(sel["selected"], rel, nodeid) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """Nothing selected is a success for impact, not pytest's "no tests ran"."""
    sel = getattr(session.config, "_impact_selection", None)
    if (sel is not None and sel["ok"] and not sel["full"] and not sel["selected"]
            and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.OK


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    sel = getattr(config, "_impact_selection", None)
    if sel is None:
        return
    terminalreporter.write_line(_summary(sel))
    if sel["ok"] and config.getoption("impact_explain"):
        terminalreporter.section("impact: why these tests")
        if sel["full"]:
            terminalreporter.write_line("full suite: %s" % (sel.get("full_reason") or "?"))
        for line in sel["explain"]:
            terminalreporter.write_line(line)
