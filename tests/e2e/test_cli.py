"""impact's command line end to end: revspecs, output formats, runs,
errors, and the promise never to touch the index, refs or work tree."""
import json
import os
import re
import shutil
import subprocess

import pytest

from layouts import FLAT, FLAT_TESTS, SRC


def out(r):
    return r.stdout.decode(errors="surrogateescape")


def err(r):
    return r.stderr.decode(errors="surrogateescape")


@pytest.fixture
def flat(repo):
    repo.write_many(FLAT)
    repo.commit("base")
    return repo


def tweak(repo, path):
    repo.write(path, (repo.path / path).read_text() + "TWEAKED = 1\n")


# --- revspecs -------------------------------------------------------------

def test_range_forms(flat):
    tweak(flat, "pkg/heavy.py")
    c1 = flat.commit("c1")
    tweak(flat, "pkg/fast.py")
    flat.commit("c2")
    both = ["tests/test_lazy.py", "tests/test_optional.py"]
    assert flat.listing("HEAD~2..") == both
    assert flat.listing("HEAD~2..HEAD") == both
    assert flat.listing("HEAD~2..HEAD~1") == ["tests/test_lazy.py"]
    assert flat.listing("HEAD") == ["tests/test_optional.py"]
    assert flat.listing(c1) == ["tests/test_lazy.py"]
    assert flat.listing("HEAD..HEAD") == []


def test_three_dot_uses_merge_base(flat):
    flat.git("checkout", "-q", "-b", "topic")
    tweak(flat, "pkg/heavy.py")
    flat.commit("topic change")
    flat.git("checkout", "-q", "main")
    tweak(flat, "pkg/fast.py")
    flat.commit("main change")
    # main...topic: only what topic did since they diverged.
    assert flat.listing("main...topic") == ["tests/test_lazy.py"]
    # main..topic compares the two trees: both changes show.
    assert flat.listing("main..topic") == ["tests/test_lazy.py", "tests/test_optional.py"]


def test_root_commit_selects_everything_added(repo):
    repo.write_many(FLAT)
    repo.commit("root")
    assert repo.listing("HEAD") == FLAT_TESTS


def test_merge_commit_against_first_parent(flat):
    flat.git("checkout", "-q", "-b", "topic")
    tweak(flat, "pkg/heavy.py")
    flat.commit("topic change")
    flat.git("checkout", "-q", "main")
    tweak(flat, "pkg/fast.py")
    flat.commit("main change")
    flat.git("merge", "-q", "--no-ff", "-m", "merge topic", "topic")
    assert flat.listing("HEAD") == ["tests/test_lazy.py"]


def test_bad_revspec(flat):
    r = flat.impact("--list", "nosuchbranch..")
    assert r.returncode == 2
    assert "nosuchbranch" in err(r)
    assert out(r) == ""


def test_two_revspecs_is_usage_error(flat):
    r = flat.impact("--list", "HEAD", "HEAD~1")
    assert r.returncode == 2
    assert "one revision range" in err(r)


def test_staged_with_revspec_is_usage_error(flat):
    r = flat.impact("--list", "--staged", "HEAD~1..")
    assert r.returncode == 2


def test_outside_repository(tmp_path, repo):
    r = repo.impact("--list", cwd=tmp_path)
    assert r.returncode == 2
    assert "not in a git repository" in err(r)


def test_dash_C(flat, tmp_path):
    tweak(flat, "pkg/heavy.py")
    flat.commit("c")
    r = flat.impact("-C", str(flat.path), "--list", "HEAD", cwd=tmp_path)
    assert r.returncode == 0, err(r)
    assert out(r) == "tests/test_lazy.py\n"


def test_from_subdirectory_paths_are_repo_relative(flat):
    tweak(flat, "pkg/heavy.py")
    flat.commit("c")
    r = flat.impact("--list", "HEAD", cwd=flat.path / "pkg")
    assert out(r) == "tests/test_lazy.py\n"


# --- uncommitted changes ----------------------------------------------------

def test_untracked_test_file_and_workdir_edit(flat):
    flat.write("tests/test_brand_new.py", "def test_n():\n    assert 1\n")
    tweak(flat, "pkg/heavy.py")
    assert flat.listing() == ["tests/test_brand_new.py", "tests/test_lazy.py"]
    # Neither is staged: --staged sees nothing.
    assert flat.listing("--staged") == []
    flat.git("add", "pkg/heavy.py")
    assert flat.listing("--staged") == ["tests/test_lazy.py"]


def test_unborn_repository(repo):
    repo.write_many(SRC)
    assert repo.listing() == ["tests/test_a.py", "tests/test_b.py", "tests/test_c.py"]
    r = repo.impact("--list", "HEAD")
    assert r.returncode == 2
    assert "no commit" in err(r)


def test_ignored_files_do_not_count(flat):
    flat.write(".gitignore", "build/\n")
    flat.commit("ignore build")
    flat.write("build/junk.txt", "x\n")
    assert flat.listing() == []


# --- output formats ---------------------------------------------------------

def test_explain_chains(flat):
    tweak(flat, "pkg/util.py")
    tweak(flat, "tests/test_core.py")
    flat.commit("c")
    r = flat.impact("--explain", "HEAD")
    assert r.returncode == 0, err(r)
    text = out(r)
    assert "tests/test_core.py (changed test file: modified)" in text
    assert "tests/test_util.py <- pkg/util.py (modified)" in text
    assert "tests/test_models.py <- pkg/models.py <- pkg/util.py (modified)" in text


def test_explain_conftest_and_full_suite(flat):
    flat.write("tests/conftest.py", "# x\n")
    flat.write("data/config.json", "[]\n")
    flat.commit("c")
    text = out(flat.impact("--explain", "HEAD"))
    assert "full suite: data/config.json" in text
    assert "tests/test_core.py <- tests/conftest.py [conftest] (modified)" in text


def test_explain_notes_unreached_module(flat):
    flat.write("pkg/orphan.py", "Z = 1\n")
    flat.commit("c")
    text = out(flat.impact("--explain", "HEAD"))
    assert "no test reaches pkg/orphan.py" in text


def test_explain_credits_each_change_its_own_evidence(repo):
    # The test reaches pkg/b.py:fold by a reference, and pkg/a.py by its
    # package's import-time code: each change is credited, none "unreached".
    repo.write_many({
        "pkg/__init__.py": "from pkg.a import register\n\nregister()\n",
        "pkg/a.py": "REG = []\n\n\ndef register():\n    REG.append(1)\n",
        "pkg/b.py": "def fold(xs):\n    return sum(xs)\n",
        "tests/test_b.py": "from pkg.b import fold\n\n\ndef test_fold():\n    assert fold([1, 2]) == 3\n",
    })
    repo.commit("base")
    repo.write("pkg/a.py", "REG = []\n\n\ndef register():\n    REG.append(2)\n")
    repo.write("pkg/b.py", "def fold(xs):\n    return sum(xs) + 0\n")
    repo.commit("both")
    r = repo.impact("--explain", "--no-records", "HEAD~1..")
    assert r.returncode == 0, err(r)
    assert "tests/test_b.py (references: tests/test_b.py:test_fold -> pkg/b.py:fold" in out(r)
    assert "no test reaches" not in out(r)
    j = json.loads(out(repo.impact("--json", "--no-records", "HEAD~1..")))
    assert {c["path"]: c["tests"] for c in j["changed"]}["pkg/b.py"] == 1


def test_json(flat):
    tweak(flat, "pkg/util.py")
    flat.write("README.md", "# changed\n")
    flat.commit("c")
    r = flat.impact("--json", "HEAD")
    assert r.returncode == 0, err(r)
    doc = json.loads(out(r))
    assert doc["version"] == 1
    assert doc["full_suite"] is False
    changed = {c["path"]: c for c in doc["changed"]}
    assert changed["pkg/util.py"]["status"] == "modified"
    assert changed["README.md"]["class"] == "ignored"
    sel = [t["path"] for t in doc["selected"]]
    assert sel == ["tests/test_util.py", "tests/test_models.py", "tests/test_relative.py"]
    chain = doc["selected"][1]["chain"]
    assert [h["path"] for h in chain] == ["tests/test_models.py", "pkg/models.py", "pkg/util.py"]
    assert chain[1]["via"] == "import" and chain[1]["line"] == 1
    assert chain[-1]["status"] == "modified"
    assert set(doc["timings_ms"]) >= {"diff", "parse", "graph", "select", "total"}


def test_list_is_pytest_ready(flat):
    tweak(flat, "pkg/util.py")
    flat.commit("c")
    files = flat.listing("HEAD~1..")
    r = subprocess.run([flat.env["IMPACT_PYTHON"], "-m", "pytest", "-q", *files],
                       cwd=flat.path, env=flat.env, capture_output=True)
    assert r.returncode == 0, out(r)
    assert "3 passed" in out(r)


def test_odd_file_names(repo):
    names = ["tests/test_with space.py", "tests/test_quote'\"s.py", "tests/test_new\nline.py"]
    for n in names:
        repo.write(n, "def test_a():\n    assert True\n")
    repo.commit("odd")
    r = repo.impact("--list", "-z", "HEAD")
    assert r.returncode == 0, err(r)
    assert sorted(out(r).split("\0")[:-1]) == sorted(names)
    # --explain keeps one test per line.
    text = out(repo.impact("--explain", "HEAD"))
    assert "tests/test_new\\x0aline.py (changed test file: added)" in text


def test_non_utf8_file_name(repo):
    name = b"tests/test_caf\xe9.py"
    repo.write(name, "def test_a():\n    assert True\n")
    repo.commit("latin-1 name")
    r = repo.impact("--list", "-z", "HEAD")
    assert r.stdout == name + b"\0"
    doc = json.loads(out(repo.impact("--json", "HEAD")))
    assert doc["selected"][0]["path_escaped"] == "tests/test_caf\\xe9.py"


def test_syntax_error_still_selects(flat):
    flat.write("pkg/util.py", "def helper(:\n    return 2\n")
    flat.commit("broken")
    r = flat.impact("--list", "HEAD")
    assert r.stdout.decode().split() == ["tests/test_util.py", "tests/test_models.py",
                                         "tests/test_relative.py"]
    assert "syntax error" in err(r)


def test_binary_file_full_suite(flat):
    flat.write("pkg/blob.bin", bytes(range(256)))
    flat.commit("bin")
    assert flat.listing("HEAD") == FLAT_TESTS


def test_symlink_module(flat):
    os.symlink("util.py", flat.path / "pkg" / "alias.py")
    flat.write("tests/test_alias.py", "from pkg import alias\n\n\ndef test_a():\n    assert alias.helper() == 2\n")
    flat.commit("alias")
    tweak(flat, "pkg/util.py")
    flat.commit("change target")
    assert "tests/test_alias.py" in flat.listing("HEAD")


def test_submodule_change_runs_full_suite(flat, make_repo):
    sub = make_repo("sub")
    sub.write("x.txt", "1\n")
    sub.commit("sub")
    flat.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "vendor/sub")
    flat.commit("add submodule")
    text = out(flat.impact("--explain", "HEAD"))
    assert "submodule" in text
    assert flat.listing("HEAD") == FLAT_TESTS


# --- running ----------------------------------------------------------------

def test_run_passes(flat):
    tweak(flat, "pkg/util.py")
    flat.commit("c")
    r = flat.impact("HEAD")
    assert r.returncode == 0, out(r) + err(r)
    assert "3 passed" in out(r)
    assert "impact: python:" in err(r)


def test_run_failure_exit_code_and_pytest_args(flat):
    flat.write("pkg/util.py", "def helper():\n    return 3\n")
    flat.commit("break")
    r = flat.impact("HEAD", "--", "-p", "no:cacheprovider")
    assert r.returncode == 1
    assert "test_helper" in out(r) or "test_model" in out(r)


def test_run_nothing_selected(flat):
    flat.write("README.md", "# words\n")
    flat.commit("docs")
    r = flat.impact("HEAD")
    assert r.returncode == 0
    assert "nothing to run" in err(r)


def test_run_never_touches_index_refs_or_tree(flat):
    # A test that rewrites a tracked file while it runs.
    flat.write("tests/test_writer.py",
               "import pathlib\n\n\ndef test_w():\n"
               "    pathlib.Path('pkg/core.py').write_text('def run():\\n    return 1\\n# by test\\n')\n")
    flat.commit("writer")
    tweak(flat, "pkg/heavy.py")  # an uncommitted edit of the user's
    before = flat.state()
    r = flat.impact("HEAD")
    assert r.returncode == 0, out(r) + err(r)
    assert flat.state() == before
    status = flat.git("status", "--porcelain")
    assert sorted(status.splitlines()) == [" M pkg/core.py", " M pkg/heavy.py"]


def test_doctest_modules_are_targets(repo):
    repo.write_many({
        "pytest.ini": "[pytest]\naddopts = --doctest-modules\ntestpaths = pkg tests\n",
        "pkg/__init__.py": "",
        "pkg/calc.py": 'def add(a, b):\n    """\n    >>> add(1, 2)\n    3\n    """\n    return a + b\n',
        "pkg/plain.py": "from pkg.calc import add\n\nX = add(1, 1)\n",
        "tests/test_plain.py": "from pkg.plain import X\n\n\ndef test_x():\n    assert X == 2\n",
    })
    repo.commit("base")
    repo.write("pkg/calc.py", 'def add(a, b):\n    """\n    >>> add(2, 2)\n    4\n    """\n    return a + b\n')
    repo.commit("c")
    # plain.py runs add() when pytest imports it for its (absent) doctests.
    assert repo.listing("HEAD") == ["pkg/calc.py", "pkg/plain.py", "tests/test_plain.py"]
    r = repo.impact("HEAD")
    assert r.returncode == 0, out(r) + err(r)
    assert "2 passed" in out(r)
    # plain.py has no doctest, but pytest imports it: it is collected too.
    repo.write("pkg/plain.py", "from pkg.calc import add\n\nX = add(1, 1) + 0\n")
    repo.commit("d")
    assert repo.listing("HEAD") == ["pkg/plain.py", "tests/test_plain.py"]


def test_doctest_modules_collects_every_module_and_honours_ignore(repo):
    """--doctest-modules makes pytest import every module below testpaths,
    with or without doctests (one that does not import stops the whole
    run), and the walk goes on through them to the tests that call them;
    --ignore and --ignore-glob leave files out of the suite."""
    repo.write_many({
        "pytest.ini": "[pytest]\naddopts = --doctest-modules --ignore=tests/test_ignored.py"
                      " --ignore-glob 'tests/slow_*'\ntestpaths = pkg tests\n",
        "pkg/__init__.py": "",
        "pkg/core.py": "def f():\n    return 1\n",
        "pkg/user.py": "from pkg.core import f\n\n\ndef g():\n    return f()\n",
        "tests/helper.py": "import pkg.core\n",
        "tests/test_user.py": "from pkg.user import g\n\n\ndef test_g():\n    assert g() == 1\n",
        "tests/test_ignored.py": "import pkg.core\n\n\ndef test_never():\n    assert False\n",
        "tests/slow_test_x.py": "import pkg.core\n\n\ndef test_never():\n    assert False\n",
    })
    repo.commit("base")
    assert sorted(repo.listing("--all")) == ["pkg/__init__.py", "pkg/core.py", "pkg/user.py",
                                             "tests/helper.py", "tests/test_user.py"]
    # A body change reaches the test through pkg/user.py (a module pytest
    # imports for doctests, which it has none of: importing runs no body).
    repo.write("pkg/core.py", "def f():\n    return 2\n")
    repo.commit("body")
    assert repo.listing("HEAD") == ["tests/test_user.py"]
    r = repo.impact("HEAD")
    assert r.returncode == 1 and "test_g" in out(r), out(r) + err(r)
    # An import-time change: every module that imports it is collected again.
    repo.write("pkg/core.py", "def f():\n    return 1\n\n\nLIMIT = 3\n")
    repo.commit("import time")
    assert sorted(repo.listing("HEAD")) == ["pkg/core.py", "pkg/user.py", "tests/helper.py",
                                            "tests/test_user.py"]
    # A helper with no test that no longer imports: pytest's collection error.
    repo.write("tests/helper.py", "import pkg.core\nraise RuntimeError('helper broke')\n")
    repo.commit("broken helper")
    assert repo.listing("HEAD") == ["tests/helper.py"]
    r = repo.impact("HEAD")
    assert r.returncode != 0 and "helper broke" in out(r) + err(r), out(r) + err(r)


def test_doctests_that_call_what_their_module_imports(repo):
    """Doctest examples are not read symbol by symbol: a module whose
    docstrings hold examples is selected when a module it imports itself
    is reached by a change; one that does not import it is not."""
    repo.write_many({
        "pytest.ini": "[pytest]\naddopts = --doctest-modules\ntestpaths = pkg\n",
        "pkg/__init__.py": '"""\n>>> from pkg.shapes import Box\n>>> Box().size()\n1\n"""\n'
                           "from pkg.shapes import Box\n",
        "pkg/shapes.py": "class Box:\n    def size(self):\n        return 1\n",
        "pkg/other.py": '"""\n>>> 2 + 2\n4\n"""\n',
    })
    repo.commit("base")
    repo.write("pkg/shapes.py", "class Box:\n    def size(self):\n        return 2\n")
    repo.commit("body")
    assert repo.listing("HEAD") == ["pkg/__init__.py"]
    assert "its doctests may call anything it imports" in out(repo.impact("--explain", "HEAD"))
    r = repo.impact("HEAD")
    assert r.returncode == 1 and "pkg/__init__.py" in out(r), out(r) + err(r)


def test_doctest_text_files_without_examples_are_remembered_by_content(repo):
    """A text file without examples is read once: the parse cache keeps
    that its content holds none, per file and for the tree's whole set of
    text files (one lookup on a warm run). The same file given examples is
    new content, read again, and selected, beside one that kept none; the
    answers match --no-cache's (checked on every call by this suite's
    repo.impact)."""
    repo.write_many({
        "pkg/__init__.py": "",
        "pkg/core.py": "def f():\n    return 1\n",
        "tests/test_data.txt": "just data\n",
        "tests/test_plain.txt": "no examples either\n",
        "tests/test_other.py": "def test_x():\n    pass\n",
    })
    repo.commit("base")
    repo.write("pkg/core.py", "def f():\n    return 2\n")
    repo.commit("body")
    assert repo.listing("HEAD") == []
    assert repo.listing("HEAD") == []  # the cached answer
    repo.write("tests/test_data.txt", ">>> from pkg.core import f\n>>> f()\n1\n")
    repo.commit("examples")
    repo.write("pkg/core.py", "def f():\n    return 3\n")
    repo.commit("body again")
    assert repo.listing("HEAD") == ["tests/test_data.txt"]


def test_a_doctest_text_edited_alone_is_read_at_its_new_content(repo):
    """The doctest texts and collected files are kept with the cached graph
    (so a warm run does not list the tree); a commit that only edits such a
    file patches the parent's graph, and must read the file's new content:
    the text given examples is selected, and runs."""
    repo.write_many({
        "pkg/__init__.py": "",
        "pkg/core.py": "def f():\n    return 1\n",
        "tests/test_data.txt": "just data\n",
        "tests/test_other.py": "def test_x():\n    pass\n",
    })
    repo.commit("base")
    assert repo.listing("HEAD") == ["tests/test_other.py"]  # no example yet
    repo.write("tests/test_data.txt", ">>> from pkg.core import f\n>>> f()\n2\n")
    repo.commit("examples")
    assert "tests/test_data.txt" in repo.listing("HEAD")
    r = repo.impact("HEAD")
    assert r.returncode == 1 and "test_data.txt" in out(r), out(r) + err(r)


def test_doctest_text_files_are_selected_when_a_change_may_reach_them(repo):
    """pytest collects text files matching --doctest-glob (default test*.txt)
    as doctests. impact reads their examples' imports: a Python change
    selects those whose imports it reaches (whole modules), those it cannot
    read (a computed import) whatever changed, a conftest.py change all of
    them (its doctest_namespace), a comment-only change none."""
    repo.write_many({
        "pytest.ini": "[pytest]\naddopts = --doctest-glob=*.rst\n",
        "pkg/__init__.py": "",
        "pkg/core.py": "def f():\n    return 1\n",
        "pkg/other.py": "def g():\n    return 5\n",
        "docs/guide.rst": "Guide\n=====\n\n>>> from pkg.core import f\n>>> f()\n1\n",
        "docs/other.rst": "Other\n=====\n\n>>> import pkg.other as o\n>>> o.g()\n5\n",
        "docs/dyn.rst": ">>> import importlib\n>>> m = importlib.import_module('pkg.' + 'other')\n"
                        ">>> m.g()\n5\n",
        "docs/plain.rst": "No examples here.\n",
        "test_notes.txt": ">>> from pkg.core import f\n>>> f() > 0\nTrue\n",
        "tests/test_other.py": "def test_x():\n    pass\n",
    })
    repo.commit("base")
    repo.write("pkg/core.py", "def f():\n    return 2\n")
    repo.commit("body")
    assert sorted(repo.listing("HEAD")) == ["docs/dyn.rst", "docs/guide.rst"]
    text = out(repo.impact("--explain", "HEAD"))
    assert "docs/guide.rst (its examples import pkg/core.py, which a change reaches)" in text, text
    assert "docs/dyn.rst (a doctest text file pytest collects: impact cannot tell" in text, text
    r = repo.impact("HEAD")
    assert r.returncode == 1 and "guide.rst" in out(r), out(r) + err(r)
    repo.write("pkg/core.py", "def f():\n    # a note\n    return 2\n")
    repo.commit("comment")
    assert repo.listing("HEAD") == []
    repo.write("docs/guide.rst", "Guide\n=====\n\n>>> from pkg.core import f\n>>> f()\n2\n")
    repo.commit("fix the guide")
    r = repo.impact("HEAD")
    assert r.returncode == 0 and "1 passed" in out(r), out(r) + err(r)
    # A conftest.py may fill doctest_namespace: every example may see it.
    repo.write("conftest.py", "X = 1\n")
    repo.commit("conftest")
    assert sorted(repo.listing("HEAD")) == ["docs/dyn.rst", "docs/guide.rst", "docs/other.rst",
                                            "tests/test_other.py"]
    # Without --doctest-glob, pytest's default is test*.txt.
    repo.write("pytest.ini", "[pytest]\n")
    repo.commit("default glob")
    repo.write("pkg/core.py", "def f():\n    return 3\n")
    repo.commit("body again")
    assert repo.listing("HEAD") == ["test_notes.txt"]
    repo.write("pkg/other.py", "def g():\n    return 6\n")
    repo.commit("other")
    assert repo.listing("HEAD") == []


def test_help_documents_exit_codes(repo):
    r = repo.impact("--help")
    assert r.returncode == 0
    text = out(r)
    assert "--list" in text and "--timeout" in text
    codes = dict(re.findall(r"^    (\d+) +(.+)$", text.split("exit codes:\n", 1)[1], re.M))
    assert codes["4"].startswith("timeout") and codes["3"].startswith("collection/import error")
    assert codes["5"].startswith("I/O, git or system error")
    # `impact help` prints the same table.
    assert "exit codes:\n" + text.split("exit codes:\n", 1)[1] in out(repo.impact("help"))


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_an_io_failure_exits_5_not_as_a_usage_error(flat, tmp_path):
    tweak(flat, "pkg/fast.py")
    flat.commit("tweak")
    with open("/dev/full", "wb") as full:
        r = subprocess.run(flat.impact_argv("--list", "HEAD~1.."), cwd=flat.path, env=flat.env,
                           stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 5, r.stderr
    assert r.stderr.decode().startswith("impact: error: cannot write to standard output")
    r = flat.impact("graph", "HEAD~1..", "-o", str(tmp_path / "missing" / "g.dot"))
    assert r.returncode == 5, err(r)
    assert err(r).startswith("impact: error: cannot write") and "missing" in err(r), err(r)
    # A wrong command line stays a usage error, said the same way, with the usage and a hint.
    r = flat.impact("--list", "--no-such-option")
    assert r.returncode == 2
    lines = err(r).splitlines()
    assert lines[0] == "impact: error: unknown option '--no-such-option' (pytest's own options go after '--')"
    assert lines[1].startswith("usage: impact ") and lines[2] == "hint: see 'impact --help'"


STUBS = ("mbedtls_x509_crt_parse_file", "libssh2_init")


def test_the_tls_and_ssh_stubs_are_what_libgit2_binds():
    """impact reads local repositories only: libgit2's init must reach
    cli/notls.c's stubs, not parse the system's CA bundle or start OpenSSL
    for SSH in every process. With shared libraries the dynamic linker binds
    libgit2's calls to the binary's exports (LD_DEBUG shows it); with
    libgit2 linked in, the link redirects its calls (--wrap): every call to
    a stubbed name in the binary's code goes to the stub."""
    binary = os.environ["IMPACT_BIN"]
    libs = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    if "libgit2" in libs:
        if "libmbedx509" not in libs:
            pytest.skip("this libgit2 does not use mbedTLS")
        r = subprocess.run([binary, "--version"], capture_output=True, text=True,
                           env=dict(os.environ, LD_DEBUG="bindings"))
        assert r.returncode == 0, r.stderr
        for name in STUBS:
            lines = [l for l in r.stderr.splitlines() if "`%s'" % name in l and "libgit2" in l]
            assert lines and all(" to %s [0]" % binary in l for l in lines), (name, r.stderr[-2000:])
        return
    asm = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary],
                         capture_output=True, text=True, check=True).stdout
    calls = re.findall(r"^ +[0-9a-f]+:\s+call\s+[0-9a-f]+ <([^>]+)>$", asm, re.M)
    # mbedTLS's own parse_path calls parse_file within its object: libgit2's
    # init reaches parse_path only for a CA directory, which Debian's is not.
    for name in STUBS:
        assert "__wrap_" + name in calls, name
        callers = set()
        for fn, body in re.findall(r"^[0-9a-f]+ <([^>]+)>:\n(.*?)(?=^[0-9a-f]+ <|\Z)", asm, re.M | re.S):
            if re.search(r"call\s+[0-9a-f]+ <%s>$" % re.escape(name), body, re.M):
                callers.add(fn)
        assert callers <= {"mbedtls_x509_crt_parse_path"}, (name, callers)


@pytest.mark.skipif(not shutil.which("strace"), reason="strace is not installed")
def test_the_ca_bundle_is_never_opened():
    """The stub's effect, whatever the link: starting impact opens no file
    under /etc/ssl (the CA bundle the real loader reads)."""
    binary = os.environ["IMPACT_BIN"]
    # LeakSanitizer cannot run under ptrace: off for this one run of a sanitizer build.
    asan = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    r = subprocess.run(["strace", "-f", "-e", "trace=open,openat", "-o", "/dev/stderr",
                        binary, "--version"], capture_output=True, text=True,
                       env=dict(os.environ, ASAN_OPTIONS=asan))
    assert r.returncode == 0, r.stderr
    opened = [l for l in r.stderr.splitlines() if "/etc/ssl" in l and "ENOENT" not in l]
    assert not opened, opened
