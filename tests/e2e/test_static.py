"""Static precision: what the symbol walk must not over-select (issue 17).

One small project holds each pattern that made the precise walk select
nearly every test of real libraries: a demo under `if __name__ ==
"__main__":`, a package naming itself in a string (`__title__`), a
`getattr(self, name)` dispatcher, a PEP 562 `__getattr__` that imports
lazily, and changes that only touch comments or layout. Each case breaks
one thing (or only reformats it), runs the whole suite with pytest to
learn which test files really fail, and checks that the selection holds
all of them and exactly the expected files; the `safe_*` cases keep the
answer wide where the code really does run at import or load by name.
"""

import pytest

from breaking import BOOM, break_body, check_selection, failing_files, green_project

PROJ = {
    "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\n',
    "pkg/__init__.py": (
        '__title__ = "pkg"\n'
        "from .core import add, clamp\n"
        "from .shapes import Circle\n\n\n"
        "def __getattr__(name):\n"
        "    if name == 'Heavy':\n"
        "        from .heavy import Heavy\n"
        "        return Heavy\n"
        "    raise AttributeError(name)\n\n\n"
        "if __name__ == '__main__':\n"
        "    print(add(1, 2), clamp(5, 0, 3))\n"),
    "pkg/core.py": (
        "def add(a, b):\n    return a + b\n\n\n"
        "def clamp(x, lo, hi):\n    return min(max(x, lo), hi)\n"),
    "pkg/shapes.py": (
        "class Circle:\n"
        "    def __init__(self, r):\n        self.r = r\n\n"
        "    def area(self):\n        return 3 * self.r * self.r\n"),
    "pkg/heavy.py": "class Heavy:\n    def weight(self):\n        return 100\n",
    "pkg/tools.py": "def tool():\n    return 'tool'\n",
    # typing's forms at import only store the class they are given
    "pkg/typed.py": ("import typing as t\n\nfrom .shapes import Circle\n\n"
                     "ShapeT = t.TypeVar('ShapeT', bound=Circle)\nMaybe = t.Optional[Circle]\n\n\n"
                     "def other():\n    return 1\n"),
    # a module (not a package) with a PEP 562 __getattr__ for a deprecated name
    "pkg/compat.py": (
        "class New:\n    pass\n\n\n"
        "def helper():\n    return 1\n\n\n"
        "def _old():\n    return New\n\n\n"
        "def __getattr__(name):\n"
        "    if name == 'Old':\n        return _old()\n"
        "    raise AttributeError(name)\n"),
    "pkg/registry.py": (
        "from . import core\n\n\n"
        "class Registry:\n"
        "    def get(self, name):\n        return getattr(self, 'do_' + name)()\n\n"
        "    def do_x(self):\n        return 'x'\n\n\n"
        "def call(name):\n    return getattr(core, name)(2, 3)\n"),
    "tests/test_add.py": "from pkg import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    "tests/test_clamp.py": "from pkg import clamp\n\n\ndef test_clamp():\n    assert clamp(5, 0, 3) == 3\n",
    "tests/test_circle.py": ("from pkg import Circle\n\n\n"
                             "def test_area():\n    assert Circle(1).area() == 3\n"),
    "tests/test_heavy.py": "import pkg\n\n\ndef test_heavy():\n    assert pkg.Heavy().weight() == 100\n",
    "tests/test_tools.py": "from pkg.tools import tool\n\n\ndef test_tool():\n    assert tool() == 'tool'\n",
    "tests/test_typed.py": "from pkg.typed import other\n\n\ndef test_other():\n    assert other() == 1\n",
    "tests/test_registry.py": ("from pkg.registry import Registry\n\n\n"
                               "def test_get():\n    assert Registry().get('x') == 'x'\n"),
    "tests/test_call.py": "from pkg.registry import call\n\n\ndef test_call():\n    assert call('add') == 5\n",
    "tests/test_title.py": "import pkg\n\n\ndef test_title():\n    assert pkg.__title__ == 'pkg'\n",
    "tests/test_compat.py": ("from pkg.compat import helper\n\n\n"
                             "def test_helper():\n    assert helper() == 1\n"),
    "tests/test_old.py": "import pkg.compat\n\n\ndef test_old():\n    assert pkg.compat.Old\n",
}

ALL = sorted(p for p in PROJ if p.startswith("tests/test_"))

@pytest.fixture
def proj(repo):
    return green_project(repo, PROJ)


def edit(path, transform):
    return lambda repo: repo.write(path, transform((repo.path / path).read_text()))


CASES = [
    # name, edit, the expected selection (every really failing file must be in it)
    ("main_guard_is_not_import_time",
     edit("pkg/core.py", lambda s: break_body(s, "def add(a, b):")),
     ["tests/test_add.py", "tests/test_call.py"]),
    ("safe_module_level_call_runs_at_import",
     [edit("pkg/__init__.py", lambda s: s.replace("if __name__ == '__main__':", "if __name__:")),
      edit("pkg/core.py", lambda s: break_body(s, "def add(a, b):"))],
     ALL),
    ("package_naming_itself_is_not_every_module",
     edit("pkg/tools.py", lambda s: s + "\nX = 1 / 0\n"),
     ["tests/test_tools.py"]),
    ("typing_forms_at_import_run_nothing",
     edit("pkg/shapes.py", lambda s: break_body(s, "    def __init__(self, r):", indent="        ")),
     ["tests/test_circle.py"]),
    ("getattr_on_self_reaches_methods_only",
     edit("pkg/shapes.py", lambda s: break_body(s, "    def area(self):", indent="        ")),
     ["tests/test_circle.py"]),
    ("safe_getattr_on_self_reaches_its_methods",
     edit("pkg/registry.py", lambda s: break_body(s, "    def do_x(self):", indent="        ")),
     ["tests/test_registry.py"]),
    ("safe_getattr_on_a_module_reaches_its_functions",
     edit("pkg/core.py", lambda s: break_body(s, "def clamp(x, lo, hi):")),
     ["tests/test_call.py", "tests/test_clamp.py"]),
    ("lazy_module_getattr_is_not_import_time",
     edit("pkg/heavy.py", lambda s: s + "\nX = 1 / 0\n"),
     ["tests/test_heavy.py"]),
    # `from pkg.compat import helper` asks the module for __path__ first:
    # its __getattr__ runs at that import, though helper exists.
    ("module_getattr_runs_at_every_from_import",
     edit("pkg/compat.py", lambda s: break_body(s, "def __getattr__(name):")),
     ["tests/test_compat.py", "tests/test_old.py"]),
    # ... but a __getattr__ that answers for literal names runs what they
    # lead to for those names only: not for __path__
    ("dispatching_module_getattr_runs_for_its_names",
     edit("pkg/compat.py", lambda s: break_body(s, "def _old():")),
     ["tests/test_old.py"]),
    ("safe_lazy_module_getattr_method",
     edit("pkg/heavy.py", lambda s: break_body(s, "    def weight(self):", indent="        ")),
     ["tests/test_heavy.py"]),
]


@pytest.mark.parametrize("name, change, expected", CASES, ids=[c[0] for c in CASES])
def test_static_selection(proj, name, change, expected):
    """A list of edits: all but the last are committed first (the base of the change)."""
    for prep in change[:-1] if isinstance(change, list) else []:
        prep(proj)
        proj.commit("prep")
    (change[-1] if isinstance(change, list) else change)(proj)
    proj.commit(name)
    check_selection(proj, expected)


LAYOUT = {
    "trailing_comment": lambda s: s.replace("return a + b", "return a + b  # note"),
    "comment_lines_and_blank_lines": lambda s: (
        "# core arithmetic\n\n" + s.replace("def clamp", "# clamps\n\n\ndef clamp")
        .replace("    return min", "\n    # the bounds\n    return min")),
    "line_wrapping": lambda s: s.replace("return min(max(x, lo), hi)",
                                         "return min(\n        max(x,\n            lo),\n        hi,\n    )"
                                         .replace(",\n    )", "\n    )")),
    "backslash_continuation": lambda s: s.replace("return a + b", "return a \\\n        + b"),
}


@pytest.mark.parametrize("name", sorted(LAYOUT))
def test_comments_and_layout_select_nothing(proj, name):
    edit("pkg/core.py", LAYOUT[name])(proj)
    proj.commit(name)
    assert failing_files(proj) == []
    assert proj.listing("HEAD~1..") == []
    out = proj.impact("--explain", "HEAD~1..").stdout.decode()
    assert "pkg/core.py: comments/layout only" in out, out


@pytest.mark.parametrize("name, transform, expected", [
    ("docstring", lambda s: s.replace("def add(a, b):\n", 'def add(a, b):\n    """Sum."""\n'),
     ["tests/test_add.py", "tests/test_call.py"]),
    ("token", lambda s: s.replace("return a + b", "return b + a"),
     ["tests/test_add.py", "tests/test_call.py"]),
    ("module_level_comment_and_code", lambda s: s + "\n# more\nLIMIT = 3\n", ALL),
])
def test_docstrings_and_tokens_still_change(proj, transform, expected, name):
    edit("pkg/core.py", transform)(proj)
    proj.commit(name)
    selected = proj.listing("HEAD~1..")
    assert sorted(selected) == sorted(expected)
    out = proj.impact("--explain", "HEAD~1..").stdout.decode()
    assert "comments/layout only" not in out


def test_explain_says_why_getattr_on_a_module_reaches(proj):
    edit("pkg/core.py", lambda s: break_body(s, "def clamp(x, lo, hi):"))(proj)
    proj.commit("x")
    out = proj.impact("--explain", "HEAD~1..").stdout.decode()
    assert "tests/test_call.py" in out
    assert "getattr" in out, out


# ---- methods through the class hierarchy -----------------------------------

HIER = {
    "shapes/__init__.py": "",
    "shapes/base.py": ("class Shape:\n"
                       "    def area(self):\n        return self.compute()\n\n"
                       "    def compute(self):\n        return 0\n\n"
                       "    def __eq__(self, other):\n        return self.area() == other.area()\n"),
    "shapes/square.py": ("from .base import Shape\n\n\n"
                         "class Square(Shape):\n    def compute(self):\n        return 4\n\n"
                         "    def double(self):\n        return 2 * self.compute()\n"),
    "shapes/circle.py": ("from .base import Shape\n\n\n"
                         "class Circle(Shape):\n    def compute(self):\n        return 3\n\n"
                         "    def __touch(self):\n        return 1\n\n"
                         "    def poke(self):\n        return self.__touch()\n"),
    "shapes/other.py": ("from . import square  # noqa: F401\n\n\n"
                        "class Other:\n    def run(self):\n        return self.compute()\n\n"
                        "    def compute(self):\n        return 5\n\n"
                        "    def __touch(self):\n        return 2\n\n"
                        "    def poke(self):\n        return self.__touch()\n"),
    # A subscripted generic base is its origin (`Generic[T]` is typing's,
    # not a base impact cannot resolve that might make Typed anything).
    "shapes/typed.py": ("from typing import Generic, TypeVar\n\nfrom .other import Other\n\n"
                        "T = TypeVar('T')\n\n\nclass Typed(Other, Generic[T]):\n    pass\n"),
    # ...but a subscript of a mapping of classes is any class it may hold.
    "shapes/mapped.py": ("from .square import Square\n\nBASES = {'sq': Square}\n\n\n"
                         "class Mapped(BASES['sq']):\n    def measure(self):\n        return self.compute()\n"),
    "tests/test_mapped.py": ("from shapes.mapped import Mapped\n\n\n"
                             "def test_mapped():\n    assert Mapped().measure() == 4\n"),
    "shapes/registry.py": ("class Registered:\n    kinds = []\n\n"
                           "    def __init_subclass__(cls, **kw):\n"
                           "        super().__init_subclass__(**kw)\n"
                           "        Registered.kinds.append(cls.__name__)\n"),
    "shapes/plugins.py": "from .registry import Registered\n\n\nclass Alpha(Registered):\n    pass\n",
    "shapes/ordered.py": ("import operator\n\n\n"
                          "class Ordered:\n"
                          "    def _make(op):\n"
                          "        def cmp(self, other):\n            return op(self.k, other.k)\n"
                          "        return cmp\n\n"
                          "    __lt__ = _make(operator.lt)\n\n"
                          "    def __init__(self, k):\n        self.k = k\n"),
    "tests/test_ordered.py": ("from shapes.ordered import Ordered\n\n\n"
                              "def test_key():\n    assert Ordered(1).k == 1\n"),
    "tests/test_square.py": ("from shapes.square import Square\n\n\n"
                             "def test_square():\n    assert Square().area() == 4\n    assert Square().double() == 8\n"),
    "tests/test_circle.py": ("from shapes.circle import Circle\n\n\n"
                             "def test_circle():\n    assert Circle().area() == 3\n    assert Circle().poke() == 1\n"),
    "tests/test_other.py": ("from shapes.other import Other\n\n\n"
                            "def test_other():\n    assert Other().run() == 5\n    assert Other().poke() == 2\n"),
    "tests/test_eq.py": "from shapes.base import Shape\n\n\ndef test_eq():\n    assert Shape() == Shape()\n",
    "tests/test_plugins.py": ("import shapes.plugins\nfrom shapes.registry import Registered\n\n\n"
                              "def test_kinds():\n    assert 'Alpha' in Registered.kinds\n"),
    "tests/test_registry.py": ("from shapes.registry import Registered\n\n\n"
                               "def test_registry():\n    assert isinstance(Registered.kinds, list)\n"),
}

HIER_CASES = [
    # self.compute() in Other.run cannot be Square.compute (other.py imports square.py).
    # (Mapped's base is BASES['sq'], a Square: its self.compute() is; Typed's Generic[T] is typing's.)
    ("self_method_through_subclasses", "shapes/square.py", "    def compute(self):", "        ",
     ["tests/test_mapped.py", "tests/test_square.py"]),
    # Shape.area's self.compute() can be Square.compute: whoever calls area() on a Shape.
    ("self_method_from_the_base", "shapes/base.py", "    def compute(self):", "        ",
     ["tests/test_circle.py", "tests/test_eq.py", "tests/test_mapped.py", "tests/test_square.py"]),
    # self.__touch() is mangled with its class: Circle.poke's is not Other's.
    ("private_name_is_the_class_own", "shapes/other.py", "    def __touch(self):", "        ",
     ["tests/test_other.py"]),
    # A class body calls its own helper bare (`__lt__ = _make(operator.lt)`): it runs at import.
    ("safe_class_body_calls_its_helper", "shapes/ordered.py", "    def _make(op):", "        ",
     ["tests/test_ordered.py"]),
    # Defining a subclass runs __init_subclass__ at import: the safe answer stays.
    ("safe_init_subclass_runs_at_import", "shapes/registry.py", "    def __init_subclass__(cls, **kw):",
     "        ", ["tests/test_plugins.py", "tests/test_registry.py"]),
]


def _commit_break_and_check(repo, name, path, broken, expected):
    """Commit `broken` at `path`: every failing file is selected, and exactly `expected`."""
    repo.write(path, broken)
    repo.commit(name)
    failing = failing_files(repo)
    assert failing
    selected = repo.listing("HEAD~1..")
    assert not set(failing) - set(selected), (failing, selected)
    assert sorted(selected) == sorted(expected), repo.impact("--explain", "HEAD~1..").stdout.decode()


@pytest.mark.parametrize("name, path, header, indent, expected", HIER_CASES, ids=[c[0] for c in HIER_CASES])
def test_hierarchy_selection(repo, name, path, header, indent, expected):
    repo.write_many(HIER)
    repo.commit("base")
    assert failing_files(repo) == []
    _commit_break_and_check(repo, name, path, break_body(HIER[path], header, indent), expected)


# ---- names stored without running, globals() -------------------------------

STORE = {
    "calc/__init__.py": "",
    "calc/core.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
    "calc/table.py": ("from .core import add, sub\n\n"
                      "OPS = {'add': add}\n\n\n"
                      "def apply(a, b, op=sub):\n    return op(a, b)\n\n\n"
                      "def other():\n    return 1\n"),
    "calc/named.py": ("from .core import add  # noqa: F401\n\n\n"
                      "def by_name(name):\n    return globals()[name](1, 2)\n"),
    "calc/unrelated.py": ("from . import core  # noqa: F401\n\n\n"
                          "def by_name(name):\n    return globals()[name]()\n\n\n"
                          "def one():\n    return 1\n"),
    "tests/test_ops.py": "from calc.table import OPS\n\n\ndef test_ops():\n    assert OPS['add'](1, 2) == 3\n",
    "tests/test_apply.py": "from calc.table import apply\n\n\ndef test_apply():\n    assert apply(3, 1) == 2\n",
    "tests/test_other.py": "from calc.table import other\n\n\ndef test_other():\n    assert other() == 1\n",
    "tests/test_named.py": "from calc.named import by_name\n\n\ndef test_named():\n    assert by_name('add') == 3\n",
    "tests/test_unrelated.py": ("from calc.unrelated import by_name\n\n\n"
                                "def test_unrelated():\n    assert by_name('one') == 1\n"),
}

STORE_CASES = [
    # OPS = {'add': add} stores add: whoever reads OPS can call it; importing calc.table runs nothing.
    # globals() in calc/named.py can find its imported add; calc/unrelated.py's cannot.
    ("stored_in_a_table", "calc/core.py", "def add(a, b):",
     ["tests/test_named.py", "tests/test_ops.py"]),
    # A default value names sub for apply to call.
    ("stored_as_a_default", "calc/core.py", "def sub(a, b):", ["tests/test_apply.py"]),
]


@pytest.mark.parametrize("name, path, header, expected", STORE_CASES, ids=[c[0] for c in STORE_CASES])
def test_stored_names_and_globals(repo, name, path, header, expected):
    repo.write_many(STORE)
    repo.commit("base")
    assert failing_files(repo) == []
    repo.write(path, break_body(STORE[path], header))
    repo.commit(name)
    failing = failing_files(repo)
    assert failing
    selected = repo.listing("HEAD~1..")
    assert not set(failing) - set(selected), (failing, selected)
    assert sorted(selected) == sorted(expected), repo.impact("--explain", "HEAD~1..").stdout.decode()


# ---- typed locals, delegating __getattr__, literal exec, module-level reads --

TYPED = {
    "kit/__init__.py": "",
    "kit/shapes.py": ("class Square:\n    def area(self):\n        return 4\n\n\n"
                      "class Circle:\n    def area(self):\n        return 3\n\n\n"
                      "class Box:\n    def __enter__(self):\n        return self\n\n"
                      "    def __exit__(self, *exc):\n        return None\n\n"
                      "    def area(self):\n        return 9\n\n\n"
                      "class Tri:\n    def side(self):\n        return 1\n\n\n"
                      "class Hex:\n    def side(self):\n        return 6\n\n\n"
                      "def make():\n    return Tri()\n"),
    "kit/keys.py": "def hashkey(*a):\n    return hash(a)\n\n\ndef other():\n    return 2\n",
    "kit/use.py": ("from kit import keys\nfrom kit.shapes import Square, Circle, Box, Hex, make\n\n\n"
                   "def square_area():\n    s = Square()\n    return s.area()\n\n\n"
                   "def circle_area(c: Circle):\n    return c.area()\n\n\n"
                   "def guarded(x):\n    if isinstance(x, Box):\n        return x.area()\n    return 0\n\n\n"
                   "def boxed():\n    with Box() as b:\n        return b.area()\n\n\n"
                   "def made():\n    t = make()\n    return t.side()\n\n\n"
                   "def hexed():\n    return Hex().side()\n\n\n"
                   "def cached(x, key=keys.hashkey):\n    return key(x)\n\n\n"
                   "def evaluated():\n    return eval('keys.other()')\n\n\n"
                   "class Wrapper:\n    def __init__(self, inner):\n        self._inner = inner\n\n"
                   "    def _get(self):\n        return self._inner\n\n"
                   "    def __getattr__(self, name):\n        return getattr(self._get(), name)\n"),
    "tests/test_square.py": "from kit.use import square_area\n\n\ndef test_it():\n    assert square_area() == 4\n",
    "tests/test_circle.py": ("from kit.use import circle_area\nfrom kit.shapes import Circle\n\n\n"
                             "def test_it():\n    assert circle_area(Circle()) == 3\n"),
    "tests/test_box.py": ("from kit.use import guarded, boxed\n\n\n"
                          "def test_it():\n    assert guarded(1) == 0\n    assert boxed() == 9\n"),
    "tests/test_made.py": "from kit.use import made\n\n\ndef test_it():\n    assert made() == 1\n",
    "tests/test_hex.py": "from kit.use import hexed\n\n\ndef test_it():\n    assert hexed() == 6\n",
    "tests/test_cached.py": "from kit.use import cached\n\n\ndef test_it():\n    assert cached(1) == hash((1,))\n",
    "tests/test_eval.py": "from kit.use import evaluated\n\n\ndef test_it():\n    assert evaluated() == 2\n",
    "tests/test_dotted.py": "import kit.keys\n\n\ndef test_it():\n    assert kit.keys.other() == 2\n",
    "tests/test_wrapper.py": ("from kit.use import Wrapper\n\n\n"
                              "def test_it():\n    assert Wrapper([3, 1]).count(3) == 1\n"),
}

TYPED_CASES = [
    # s = Square(): s.area() is Square's, not every area() of the repository.
    ("constructed_local", "kit/shapes.py", "class Square:\n    def area(self):", ["tests/test_square.py"]),
    # c: Circle; isinstance(x, Box) and `with Box() as b` type x and b.
    ("annotated_parameter", "kit/shapes.py", "class Circle:\n    def area(self):", ["tests/test_circle.py"]),
    ("guard_and_with", "kit/shapes.py", "        return self\n\n    def __exit__(self, *exc):\n"
     "        return None\n\n    def area(self):", ["tests/test_box.py"]),
    # t = make(): a function's result has no known class, so t.side() keeps every side(),
    # and the delegating __getattr__ may be asked for `side` (read on an unknown object).
    ("safe_factory_result", "kit/shapes.py", "class Hex:\n    def side(self):",
     ["tests/test_hex.py", "tests/test_made.py", "tests/test_wrapper.py"]),
    # key=keys.hashkey only reads the function at import: whoever calls cached().
    ("default_read_at_import", "kit/keys.py", "def hashkey(*a):", ["tests/test_cached.py"]),
    # eval('keys.other()') is read as code; the delegating __getattr__ passes no name `other`
    # (`kit.keys.other` reads a module's name, not a wrapped object's).
    ("literal_eval", "kit/keys.py", "def other():", ["tests/test_dotted.py", "tests/test_eval.py"]),
]


def break_after(src, header):
    """Insert a raising first statement into the body of the def that ends `header` (several lines)."""
    i = src.index(header) + len(header)
    j = src.index("\n", i) + 1
    return src[:j] + "        " + BOOM + "\n" + src[j:]


@pytest.mark.parametrize("name, path, header, expected", TYPED_CASES, ids=[c[0] for c in TYPED_CASES])
def test_typed_locals_and_computed_names(repo, name, path, header, expected):
    repo.write_many(TYPED)
    repo.commit("base")
    assert failing_files(repo) == []
    broken = break_after(TYPED[path], header) if "\n" in header else break_body(TYPED[path], header)
    _commit_break_and_check(repo, name, path, broken, expected)


def test_explain_says_why_a_typed_local_narrows(repo):
    repo.write_many(TYPED)
    repo.commit("base")
    repo.write("kit/shapes.py", break_after(TYPED["kit/shapes.py"], "class Square:\n    def area(self):"))
    repo.commit("square")
    out = repo.impact("--explain", "HEAD~1..").stdout.decode()
    assert "typed local: an attribute of its class, bases or subclasses" in out, out


# ---- a method named only in its own body -----------------------------------

SUPER = {
    "fmt/__init__.py": "",
    "fmt/core.py": ("import string\n\n\n"
                    "class Upper(string.Formatter):\n"
                    "    def format_field(self, value, spec):\n"
                    "        return super().format_field(value, spec).upper()\n\n\n"
                    "def render(s, **kw):\n    return Upper().format(s, **kw)\n"),
    "tests/test_render.py": "from fmt.core import render\n\n\ndef test_it():\n    assert render('{x}', x='a') == 'A'\n",
    "tests/test_other.py": "import fmt\n\n\ndef test_it():\n    assert fmt\n",
}


def test_a_method_named_only_in_its_own_body_is_reached_through_its_class(repo):
    """string.Formatter calls format_field; its own super().format_field() is no caller."""
    repo.write_many(SUPER)
    repo.commit("base")
    assert failing_files(repo) == []
    _commit_break_and_check(repo, "format_field", "fmt/core.py",
                            break_body(SUPER["fmt/core.py"], "    def format_field(self, value, spec):",
                                       "        "),
                            ["tests/test_render.py"])
