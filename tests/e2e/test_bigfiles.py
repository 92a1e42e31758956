"""Files the parser used to give up on (issue 14).

Debian 12's tree-sitter runtime (0.20.7) kept a node's child count in 16
bits, so impact cut big modules into pieces and reported some "too large
or too complex to parse". The runtime impact builds in has no such limit:
a module whose syntax tree has a node with more than 65,535 children is
read like any other. What is left of "too large" is a real budget (64 MiB
of source, or the parse's CPU time), and a module past it is assumed to
import everything: the selection grows, it never shrinks.

Real git repositories, the real impact binary; nothing is run.
"""
import os

import pytest

# Built with -Dsystem_tree_sitter=true (Debian's 0.20.7): the old limit holds.
OLD_RUNTIME = pytest.mark.skipif(os.environ.get("IMPACT_SYSTEM_TREE_SITTER") == "1",
                                 reason="built against the system's tree-sitter runtime")

# One module node with 70,000 children (comment lines), a statement with
# 70,000 elements, and one class too big for the old runtime's pieces
# (as PIL's Image class was) holding the import that matters in a method.
WIDE = ("".join(f"# line {i}\n" for i in range(70000)) +
        "DATA = [\n" + "".join(f"    {i},\n" for i in range(70000)) + "]\n" +
        "class Table:\n" +
        "".join(f"    def m{i}(self):\n        return {i}\n" for i in range(6000)) +
        "    def load(self):\n        from pkg import core\n        return core\n")


@pytest.fixture
def proj(repo):
    repo.write_many({
        "pkg/__init__.py": "",
        "pkg/core.py": "VALUE = 1\n",
        "pkg/other.py": "VALUE = 2\n",
        "pkg/wide.py": WIDE,
        "tests/test_wide.py": "import pkg.wide\n\n\ndef test_wide():\n    assert pkg.wide.Table().load()\n",
        "tests/test_other.py": "import pkg.other\n\n\ndef test_other():\n    assert pkg.other.VALUE\n",
    })
    repo.commit("base")
    return repo


@OLD_RUNTIME
def test_a_module_wider_than_65535_children_is_read(proj):
    proj.write("pkg/core.py", "VALUE = 3\n")
    proj.commit("core")
    r = proj.impact("--list", "HEAD~1..")
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert r.stdout.decode().split() == ["tests/test_wide.py"]
    assert b"too large" not in r.stderr, r.stderr.decode(errors="replace")


@OLD_RUNTIME
def test_a_change_beside_a_wide_module_does_not_select_it(proj):
    # Read, not assumed to import everything: pkg/other.py is not its import.
    proj.write("pkg/other.py", "VALUE = 4\n")
    proj.commit("other")
    assert proj.listing("HEAD~1..") == ["tests/test_other.py"]


def test_a_module_past_the_size_budget_imports_everything(repo):
    # Past IMPACT_PYFACTS_MAX_SOURCE (64 MiB): never parsed, assumed to
    # import every module, said on stderr.
    repo.write_many({
        "pkg/__init__.py": "",
        "pkg/core.py": "VALUE = 1\n",
        "pkg/huge.py": "x = 1\n" * (11 * 1024 * 1024 + 1),
        "tests/test_huge.py": "def test_huge():\n    import pkg.huge\n",
        "tests/test_core.py": "from pkg.core import VALUE\n\n\ndef test_core():\n    assert VALUE\n",
    })
    repo.commit("base")
    repo.write("pkg/core.py", "VALUE = 2\n")
    repo.commit("core")
    r = repo.impact("--list", "HEAD~1..")
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert sorted(r.stdout.decode().split()) == ["tests/test_core.py", "tests/test_huge.py"]
    assert b"pkg/huge.py: too large or too complex to parse; assuming it imports everything" \
        in r.stderr, r.stderr.decode(errors="replace")
