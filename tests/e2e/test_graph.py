"""`impact graph`: the files between the changes and the selected tests,
as Graphviz dot (checked by Debian's `dot`), as JSON, and as one
self-contained HTML page opened in a real headless browser (Debian's
chromium), in real repositories.
"""
import json
import os
import re
import shutil
import subprocess

import pytest

from layouts import FLAT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def changed(repo):
    """FLAT, then a commit changing pkg/util.py's module level (an import-time change)."""
    repo.write_many(FLAT)
    repo.commit("layout")
    repo.write("pkg/util.py", "LIMIT = 3\n\n\ndef helper():\n    return 2\n")
    repo.commit("util")
    return repo


def graph(repo, *args):
    r = repo.impact("graph", *args)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout.decode()


def test_json_has_the_changes_the_tests_and_the_chains(changed):
    listed = changed.listing("HEAD~1..")
    g = json.loads(graph(changed, "HEAD~1..", "--format", "json"))
    kinds = {n["id"]: n["kind"] for n in g["nodes"]}
    assert kinds["pkg/util.py"] == "changed"
    assert {p for p, k in kinds.items() if k == "test"} == set(listed)
    # Every kept test file reaches the change through the edges.
    out = {}
    for e in g["edges"]:
        out.setdefault(e["from"], set()).add(e["to"])
        assert e["label"]
    for t in listed:
        seen, todo = set(), [t]
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(out.get(n, ()))
        assert "pkg/util.py" in seen, t
    assert {"from": "tests/test_models.py", "to": "pkg/models.py",
            "label": "import, line 1"} in g["edges"]


@pytest.mark.skipif(not shutil.which("dot"), reason="graphviz (dot) is not installed")
def test_dot_is_accepted_by_graphviz(changed, tmp_path):
    text = graph(changed, "HEAD~1..")
    assert text.startswith("digraph impact {")
    r = subprocess.run(["dot", "-Tsvg"], input=text.encode(), capture_output=True, timeout=60)
    assert r.returncode == 0 and r.stderr == b"", r.stderr.decode()
    svg = r.stdout.decode()
    for path in changed.listing("HEAD~1..") + ["pkg/util.py", "pkg/models.py"]:
        assert "<title>%s</title>" % path in svg, path


def test_output_file_and_bad_format(changed, tmp_path):
    out = tmp_path / "g.dot"
    assert changed.impact("graph", "HEAD~1..", "-o", str(out)).returncode == 0
    assert out.read_text() == graph(changed, "HEAD~1..")
    r = changed.impact("graph", "--format", "png")
    assert r.returncode == 2 and b"unknown graph format 'png'" in r.stderr
    r = changed.impact("graph", "no-such-rev..")
    assert r.returncode == 2


@pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed")
def test_html_page_renders_one_node_per_file_in_headless_chromium(changed, tmp_path):
    page = tmp_path / "graph.html"
    assert changed.impact("graph", "HEAD~1..", "--format", "html", "-o", str(page)).returncode == 0
    html = page.read_text()
    assert not re.search(r"""(src|href)=["']?https?:""", html), "the page must not need the network"
    nodes = {n["id"] for n in json.loads(graph(changed, "HEAD~1..", "--format", "json"))["nodes"]}
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--user-data-dir=%s" % (tmp_path / "profile"), "--dump-dom",
                        page.as_uri()], capture_output=True, timeout=120,
                       env=dict(os.environ, HOME=str(tmp_path)))
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-2000:]
    dom = r.stdout.decode()
    drawn = re.findall(r'<g class="node[^"]*" data-path="([^"]+)"', dom)
    assert sorted(drawn) == sorted(nodes)
    assert 'data-rendered="%d"' % len(nodes) in dom
    assert len(re.findall(r'<g class="edge"', dom)) >= len(changed.listing("HEAD~1.."))
