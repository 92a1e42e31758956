"""Computed names (issue 17, point 3): what `getattr(obj, name)` and a PEP
562 module `__getattr__` can reach.

One small project holds each way a name is computed: a literal
(`getattr(core, 'do_add')` is `core.do_add`), a literal prefix (an
f-string, `+`, `%`, `.format`), a parameter of a private function whose
every caller passes a literal, a local bound only to literals, and a name
that could be anything. A package with a module `__getattr__` is read by
the tests through names it lacks. Each case breaks one function, runs the
whole suite with pytest to learn which test files really fail, checks that
every one of them is selected, and checks the files that narrowing must
leave out (or, for the `safe_` cases, must keep).
"""

import pytest

from breaking import break_body, failing_files

CALL = "def call(op):\n    return getattr(core, {})(2, 3)\n"

PROJ = {
    "pkg/__init__.py": "",
    "pkg/core.py": ("def do_add(a, b):\n    return a + b\n\n\n"
                    "def do_sub(a, b):\n    return a - b\n\n\n"
                    "def other(a, b):\n    return a * b\n"),
    "pkg/lit.py": "from . import core\n\n\ndef call():\n    return getattr(core, 'do_add')(2, 3)\n",
    "pkg/fstr.py": "from . import core\n\n\n" + CALL.format("f'do_{op}'"),
    "pkg/concat.py": "from . import core\n\n\n" + CALL.format("'do_' + op"),
    "pkg/pct.py": "from . import core\n\n\n" + CALL.format("'do_%s' % op"),
    "pkg/fmt.py": "from . import core\n\n\n" + CALL.format("'do_{}'.format(op)"),
    "pkg/anyname.py": "from . import core\n\n\n" + CALL.format("op"),
    "pkg/private.py": ("from . import core\n\n\n"
                       "def _run(name):\n    return getattr(core, name)(2, 3)\n\n\n"
                       "def add():\n    return _run('do_add')\n\n\n"
                       "def sub():\n    return _run(name='do_sub')\n"),
    "pkg/shared.py": ("from . import core\n\n\n"
                      "def _run(name):\n    return getattr(core, name)(2, 3)\n\n\n"
                      "def add():\n    return _run('do_add')\n"),
    "pkg/local.py": ("from . import core\n\n\n"
                     "def pick(flag):\n    name = 'do_add' if flag else 'do_sub'\n"
                     "    return getattr(core, name)(2, 3)\n\n\n"
                     "def each():\n    out = []\n    for n in ('do_add', 'do_sub'):\n"
                     "        out.append(getattr(core, n)(2, 3))\n    return out\n\n\n"
                     "def mixed(op):\n    name = 'do_add'\n    if op:\n        name = op\n"
                     "    return getattr(core, name)(2, 3)\n"),
    "lazy/__init__.py": ("_NAMES = {'foo': 1}\n\n\n"
                         "def _load(name):\n    return _NAMES[name]\n\n\n"
                         "def __getattr__(name):\n    if name in _NAMES:\n        return _load(name)\n"
                         "    raise AttributeError(name)\n\n\n"
                         "def load_all():\n    return [__getattr__(n) for n in _NAMES]\n"),
    "lazy/plain.py": "def plain():\n    return 1\n",
    "tests/test_lit.py": "from pkg.lit import call\n\n\ndef test_it():\n    assert call() == 5\n",
    "tests/test_fstr.py": "from pkg.fstr import call\n\n\ndef test_it():\n    assert call('add') == 5\n",
    "tests/test_concat.py": "from pkg.concat import call\n\n\ndef test_it():\n    assert call('add') == 5\n",
    "tests/test_pct.py": "from pkg.pct import call\n\n\ndef test_it():\n    assert call('add') == 5\n",
    "tests/test_fmt.py": "from pkg.fmt import call\n\n\ndef test_it():\n    assert call('add') == 5\n",
    "tests/test_anyname.py": ("from pkg.anyname import call\n\n\n"
                              "def test_it():\n    assert call('other') == 6\n"),
    "tests/test_private.py": ("from pkg.private import add, sub\n\n\n"
                              "def test_it():\n    assert add() == 5\n    assert sub() == -1\n"),
    "tests/test_shared.py": ("from pkg.shared import _run, add\n\n\n"
                             "def test_it():\n    assert add() == 5\n    assert _run('other') == 6\n"),
    "tests/test_local.py": ("from pkg.local import pick, each\n\n\n"
                            "def test_it():\n    assert pick(True) == 5\n    assert pick(False) == -1\n"
                            "    assert each() == [5, -1]\n"),
    "tests/test_mixed.py": "from pkg.local import mixed\n\n\ndef test_it():\n    assert mixed('other') == 6\n",
    "tests/test_other.py": "from pkg.core import other\n\n\ndef test_it():\n    assert other(2, 3) == 6\n",
    "tests/test_attr.py": "import lazy\n\n\ndef test_it():\n    assert lazy.foo == 1\n",
    "tests/test_from.py": "def test_it():\n    from lazy import foo\n    assert foo == 1\n",
    "tests/test_getattr.py": "import lazy\n\n\ndef test_it():\n    assert getattr(lazy, 'foo') == 1\n",
    "tests/test_all.py": "import lazy\n\n\ndef test_it():\n    assert lazy.load_all() == [1]\n",
    "tests/test_plain.py": "from lazy.plain import plain\n\n\ndef test_it():\n    assert plain() == 1\n",
}

CASES = [
    # name, file, the header of the def to break, must be selected, must not be selected
    # getattr(core, 'do_add') is core.do_add.
    ("literal_getattr_is_an_attribute", "pkg/core.py", "def do_add(a, b):", ["tests/test_lit.py"], []),
    # An f-string is not a literal name: f'do_{op}' may be do_add.
    ("safe_fstring_name_is_computed", "pkg/core.py", "def do_add(a, b):",
     ["tests/test_fstr.py", "tests/test_concat.py", "tests/test_pct.py", "tests/test_fmt.py"], []),
    # A name built on a literal prefix reaches only the names with that prefix.
    ("fstring_prefix", "pkg/core.py", "def other(a, b):", ["tests/test_other.py"], ["tests/test_fstr.py"]),
    ("concatenated_prefix", "pkg/core.py", "def other(a, b):", ["tests/test_other.py"], ["tests/test_concat.py"]),
    ("percent_prefix", "pkg/core.py", "def other(a, b):", ["tests/test_other.py"], ["tests/test_pct.py"]),
    ("format_prefix", "pkg/core.py", "def other(a, b):", ["tests/test_other.py"], ["tests/test_fmt.py"]),
    # A name that could be anything keeps the safe answer.
    ("safe_any_name", "pkg/core.py", "def other(a, b):", ["tests/test_anyname.py"], []),
    # _run's callers all pass literals: do_add and do_sub, never other.
    ("private_parameter_literals", "pkg/core.py", "def other(a, b):", [], ["tests/test_private.py"]),
    ("safe_private_parameter_literal", "pkg/core.py", "def do_sub(a, b):", ["tests/test_private.py"], []),
    # A test calls shared._run with another name: the callers are not all in the module.
    ("safe_private_called_elsewhere", "pkg/core.py", "def other(a, b):", ["tests/test_shared.py"], []),
    # A local bound only to literals (a conditional, a loop over a tuple).
    ("local_literals", "pkg/core.py", "def other(a, b):", [], ["tests/test_local.py"]),
    ("safe_local_literal", "pkg/core.py", "def do_sub(a, b):", ["tests/test_local.py"], []),
    # A local also bound to a parameter could be anything.
    ("safe_local_rebound", "pkg/core.py", "def other(a, b):", ["tests/test_mixed.py"], []),
    # A PEP 562 __getattr__ runs for the names its module lacks: lazy.foo,
    # `from lazy import foo`, getattr(lazy, 'foo'), whoever calls what calls it.
    ("safe_module_getattr_readers", "lazy/__init__.py", "def _load(name):",
     ["tests/test_attr.py", "tests/test_from.py", "tests/test_getattr.py", "tests/test_all.py"],
     ["tests/test_plain.py"]),
    ("safe_module_getattr_itself", "lazy/__init__.py", "def __getattr__(name):",
     ["tests/test_attr.py", "tests/test_from.py", "tests/test_getattr.py", "tests/test_all.py"],
     ["tests/test_plain.py"]),
]


@pytest.mark.parametrize("name, path, header, must, must_not", CASES, ids=[c[0] for c in CASES])
def test_computed_names(repo, name, path, header, must, must_not):
    repo.write_many(PROJ)
    repo.commit("base")
    assert failing_files(repo) == []
    repo.write(path, break_body(PROJ[path], header))
    repo.commit(name)
    failing = failing_files(repo)
    assert failing, "the change must break something"
    selected = repo.listing("HEAD~1..")
    explain = repo.impact("--explain", "HEAD~1..").stdout.decode()
    missed = sorted(set(failing) - set(selected))
    assert not missed, f"missed {missed} (selected {selected})\n{explain}"
    assert not set(must) - set(selected), explain
    assert not set(must) - set(failing), f"{must} must really fail ({failing})"
    assert not set(must_not) & set(selected), explain


def test_explain_says_why_a_name_is_narrowed_or_not(repo):
    repo.write_many(PROJ)
    repo.commit("base")
    repo.write("pkg/core.py", break_body(PROJ["pkg/core.py"], "def do_add(a, b):"))
    repo.commit("do_add")
    out = repo.impact("--explain", "HEAD~1..").stdout.decode()
    lines = {l.split(" ", 1)[0]: l for l in out.splitlines() if l.startswith("tests/")}
    assert "its name could be anything" in lines["tests/test_anyname.py"], out
    assert "its name starts with do_" in lines["tests/test_fstr.py"], out
    assert "its name is one of do_add, do_sub" in lines["tests/test_local.py"], out
    assert "every call of _run passes a literal" in lines["tests/test_private.py"], out
    repo.write("lazy/__init__.py", break_body(PROJ["lazy/__init__.py"], "def _load(name):"))
    repo.commit("lazy")
    out = repo.impact("--explain", "HEAD~1..").stdout.decode()
    assert "PEP 562 __getattr__" in out, out


# A method handed over by its name in a string (marshmallow's
# `fields.Method("get_is_old")`): library code calls it with getattr, and
# that code does not import the tests' module, so no import leads from the
# caller to it. The class whose body writes the name stands for the caller.
# (Here the test also reaches it because UserSchema's base lies outside
# what the walk reads; on marshmallow, whose Schema it reads, the string
# was the only way, and static selection missed test_schema.py: so the
# chain through the string is what is checked.)
NAMED_BY_STRING = {
    "lib/__init__.py": "",
    "lib/fields.py": (
        "class Method:\n"
        "    def __init__(self, name):\n"
        "        self.name = name\n\n"
        "    def serialize(self, schema, obj):\n"
        "        return getattr(schema, self.name)(obj)\n"
    ),
    "lib/schema.py": (
        "class Schema:\n"
        "    def dump(self, obj):\n"
        "        out = {}\n"
        "        for key, field in type(self).__dict__.items():\n"
        "            if hasattr(field, 'serialize'):\n"
        "                out[key] = field.serialize(self, obj)\n"
        "        return out\n"
    ),
    "tests/__init__.py": "",
    "tests/base.py": (
        "from lib.fields import Method\n"
        "from lib.schema import Schema\n\n\n"
        "class UserSchema(Schema):\n"
        "    is_old = Method('get_is_old')\n\n"
        "    def get_is_old(self, obj):\n"
        "        return obj > 60\n\n\n"
        "def helper():\n"
        "    return 1\n"
    ),
    "tests/test_user.py": (
        "from tests.base import UserSchema\n\n\n"
        "def test_dump():\n"
        "    assert UserSchema().dump(70) == {'is_old': True}\n"
    ),
    "tests/test_other.py": "from tests.base import helper\n\n\ndef test_helper():\n    assert helper() == 1\n",
}


def test_a_method_named_in_a_string_is_reached_through_its_class(rrepo):
    rrepo.write_many(NAMED_BY_STRING)
    rrepo.commit("base")
    assert failing_files(rrepo) == []
    rrepo.write("tests/base.py", break_body(NAMED_BY_STRING["tests/base.py"], "def get_is_old(self, obj):",
                                            indent="        "))
    rrepo.commit("break it")
    assert failing_files(rrepo) == ["tests/test_user.py"]
    assert rrepo.listing("--no-records", "HEAD~1..") == ["tests/test_user.py"]
    out = rrepo.impact("--explain", "--no-records", "HEAD~1..").stdout.decode()
    assert ("tests/base.py:UserSchema [writes its name in a string: code may call it by that name] "
            "-> tests/base.py:UserSchema.get_is_old (body changed)") in out, out
