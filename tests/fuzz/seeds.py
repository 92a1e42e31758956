"""Seed the decoder targets' corpora from real caches.

    /usr/bin/python3 tests/fuzz/seeds.py build/impact

Builds each layout of tests/e2e/layouts.py (plus a collect hook) in a
temporary git repository, runs `impact --list HEAD~1` there, and copies
what that run cached into tests/fuzz/corpus/: the module graphs
(<commondir>/impact/graphs/*) into projcache/, a few encoded facts records
from cache.sqlite into pyfacts/. Small on purpose: libFuzzer finds the rest.
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import layouts  # noqa: E402

HOOK = {
    "conftest.py": "def pytest_collect_file(parent, file_path):\n"
                   "    if file_path.suffix == '.yaml':\n        return None\n",
    "mod.py": "import os\nDATA = open(os.path.join('data', 'x.yaml')).read()\n",
    "data/x.yaml": "a: 1\n",
    "tests/test_m.py": "import mod\n\n\ndef test_m():\n    assert mod.DATA\n",
}


def git(repo, *args):
    subprocess.run(["git", "-C", repo, "-c", "user.name=f", "-c", "user.email=f@f",
                    *args], check=True, capture_output=True)


def build(impact, name, files, out):
    with tempfile.TemporaryDirectory() as repo:
        git(repo, "init", "-q")
        for path, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(repo, path)) or repo, exist_ok=True)
            with open(os.path.join(repo, path), "w") as f:
                f.write(text)
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "one")
        first = sorted(p for p in files if p.endswith(".py"))[0]
        with open(os.path.join(repo, first), "a") as f:
            f.write("\nZ = 1\n")
        git(repo, "commit", "-qam", "two")
        subprocess.run([impact, "--list", "HEAD~1"], cwd=repo, capture_output=True)
        cache = os.path.join(repo, ".git", "impact")
        graphs = os.path.join(cache, "graphs")
        for i, g in enumerate(sorted(os.listdir(graphs)) if os.path.isdir(graphs) else []):
            with open(os.path.join(graphs, g), "rb") as src, \
                 open(os.path.join(out, "projcache", f"{name}-{i}"), "wb") as dst:
                dst.write(src.read())
        db = sqlite3.connect(os.path.join(cache, "cache.sqlite"))
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        for t in tables:
            cols = [r[1] for r in db.execute(f"pragma table_info({t})")]
            blobs = [c for c in cols if c not in ("oid", "key", "id")]
            for i, row in enumerate(db.execute(f"select {blobs[-1]} from {t} limit 2")):
                if isinstance(row[0], bytes) and row[0][:3] == b"IPF":
                    with open(os.path.join(out, "pyfacts", f"rec-{name}-{i}"), "wb") as f:
                        f.write(row[0])
        db.close()


def main():
    impact = os.path.abspath(sys.argv[1])
    out = os.path.join(HERE, "corpus")
    os.makedirs(os.path.join(out, "projcache"), exist_ok=True)
    for name, files in list(layouts.LAYOUTS.items()) + [("hook", HOOK)]:
        build(impact, name, files, out)


if __name__ == "__main__":
    main()
