/*
 * test_symbols.c - the symbols and references extracted for precise
 * selection, the call-time/import-time classifier, and their round trip
 * through the cache encoding. Each case is a source and the expected
 * rendering of its symbols ("kind name lines flags") and references
 * ("owner kind text").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "buf.h"
#include "pyimports.h"

static const char *kind_name(uint8_t k)
{
	static const char *const names[] = { "function", "class", "method", "assign" };
	return k < 4 ? names[k] : "?";
}

static void render_symbols(impact_buf *out, const impact_pyfacts *f)
{
	for (size_t i = 0; i < f->nsymbols; i++) {
		const impact_symbol *s = &f->symbols[i];
		impact_buf_printf(out, "%s %s %u-%u", kind_name(s->kind), s->name, s->start_line, s->end_line);
		if (s->kind == IMPACT_SYMBOL_FUNCTION || s->kind == IMPACT_SYMBOL_METHOD)
			impact_buf_printf(out, " def=%u body=%u-%u", s->def_line, s->body_start_line,
			                  s->body_end_line);
		if (s->parent != IMPACT_SYMBOL_NONE)
			impact_buf_printf(out, " in=%s", f->symbols[s->parent].name);
		if (s->flags & IMPACT_SYMBOL_ASYNC) impact_buf_puts(out, " async");
		if (s->flags & IMPACT_SYMBOL_FIXTURE) impact_buf_puts(out, " fixture");
		if (s->flags & IMPACT_SYMBOL_FIXTURE_BYNAME) impact_buf_puts(out, "-by-name");
		if (s->flags & IMPACT_SYMBOL_DUNDER) impact_buf_puts(out, " dunder");
		if (s->flags & IMPACT_SYMBOL_ONE_LINER) impact_buf_puts(out, " one-liner");
		if (s->flags & IMPACT_SYMBOL_DYNAMIC) impact_buf_puts(out, " dynamic");
		if (s->flags & IMPACT_SYMBOL_CACHED) impact_buf_puts(out, " cached");
		if (s->flags & IMPACT_SYMBOL_DISPATCH) impact_buf_puts(out, " dispatch");
		if (s->flags & IMPACT_SYMBOL_TYPING) impact_buf_puts(out, " typing");
		impact_buf_puts(out, "\n");
	}
}

/* References of one owner ("" = module level), sorted for stable comparison. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void render_refs(impact_buf *out, const impact_pyfacts *f, const char *owner)
{
	static const char *const kinds[] = { "name", "chain", "attr", "param", "getattr", "base", "inst", "read",
	                                     "answer" };
	char **lines = calloc(f->nrefs + 1, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; i < f->nrefs; i++) {
		const impact_symref *r = &f->refs[i];
		const char *o = r->symbol == IMPACT_SYMBOL_NONE ? "" : f->symbols[r->symbol].name;
		impact_buf b = IMPACT_BUF_INIT;
		if (strcmp(o, owner))
			continue;
		impact_buf_printf(&b, "%s %s", kinds[r->kind], r->text);
		lines[n++] = impact_buf_detach(&b);
	}
	qsort(lines, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		impact_buf_printf(out, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
}

/* budget_us: the parse budget (0: the library's default). */
static impact_pyfacts *extract_within(const char *src, uint64_t budget_us)
{
	impact_pyparser *p = impact_pyparser_new();
	impact_pyfacts *f = NULL;
	assert_non_null(p);
	if (budget_us)
		impact_pyparser_set_timeout(p, budget_us);
	assert_int_equal(impact_pyfacts_extract(&f, p, src, strlen(src)), 0);
	impact_pyparser_free(p);
	return f;
}

static impact_pyfacts *extract(const char *src)
{
	return extract_within(src, 0);
}

static void expect_symbols(const char *src, const char *want)
{
	impact_pyfacts *f = extract(src);
	impact_buf got = IMPACT_BUF_INIT;
	render_symbols(&got, f);
	assert_string_equal(got.ptr ? got.ptr : "", want);
	impact_buf_release(&got);
	impact_pyfacts_free(f);
}

static void expect_refs(const char *src, const char *owner, const char *want)
{
	impact_pyfacts *f = extract(src);
	impact_buf got = IMPACT_BUF_INIT;
	render_refs(&got, f, owner);
	assert_string_equal(got.ptr ? got.ptr : "", want);
	impact_buf_release(&got);
	impact_pyfacts_free(f);
}

static void test_functions_and_classes(void **state)
{
	(void)state;
	expect_symbols("import os\n\n\ndef f(a,\n      b=1):\n    x = 1\n    return x\n\n\n"
	               "async def g(): return 2\n\n\n"
	               "@decorate\n@pytest.fixture(scope='module')\ndef fix():\n    pass\n",
	               "function f 4-7 def=4 body=6-7\n"
	               "function g 10-10 def=10 body=10-10 async one-liner\n"
	               "function fix 13-16 def=15 body=16-16 fixture-by-name\n");
	/* Requested by another name, for every test, or with options impact cannot read. */
	expect_symbols("@pytest.fixture\ndef a(): pass\n"
	               "@fixture(autouse=False, scope='session')\ndef b(): pass\n"
	               "@pytest.fixture(name='cc')\ndef c(): pass\n"
	               "@pytest.fixture(autouse=True)\ndef d(): pass\n"
	               "@pytest.fixture(**OPTS)\ndef e(): pass\n"
	               "@pytest.fixture('module')\ndef f(): pass\n",
	               "function a 1-2 def=2 body=2-2 fixture-by-name one-liner\n"
	               "function b 3-4 def=4 body=4-4 fixture-by-name one-liner\n"
	               "function c 5-6 def=6 body=6-6 fixture one-liner\n"
	               "function d 7-8 def=8 body=8-8 fixture one-liner\n"
	               "function e 9-10 def=10 body=10-10 fixture one-liner\n"
	               "function f 11-12 def=12 body=12-12 fixture-by-name one-liner\n");
	/* Fixtures requested by a string are parameters so named; a computed one any ("*"). */
	expect_refs("import pytest\n\n\n@pytest.mark.usefixtures('db', \"tmp\")\ndef test_a(request):\n"
	            "    request.getfixturevalue('user')\n    request.getfixturevalue(NAME)\n",
	            "test_a", "chain request.getfixturevalue\nname NAME\nparam *\nparam request\nparam user\n");
	expect_refs("import pytest\n\n\n@pytest.mark.usefixtures('db', \"tmp\")\ndef test_a(request):\n    pass\n",
	            "", "chain pytest.mark.usefixtures\nparam db\nparam tmp\n");
	/* Caching decorators: "cache" or "memo" in the callee's last name, any case. */
	expect_symbols("@functools.cache\ndef a(): pass\n"
	               "@lru_cache(maxsize=None)\ndef b(): pass\n"
	               "@memoize\ndef c(): pass\n"
	               "@cachetools.cached(cache={})\ndef d(): pass\n"
	               "@decorate\ndef e(): pass\n"
	               "@functools.wraps(f)\ndef g(): pass\n"
	               "class K:\n    @functools.cached_property\n    def p(self): return 1\n"
	               "    @Memo.wrap\n    def q(self): return 2\n",
	               "function a 1-2 def=2 body=2-2 one-liner cached\n"
	               "function b 3-4 def=4 body=4-4 one-liner cached\n"
	               "function c 5-6 def=6 body=6-6 one-liner cached\n"
	               "function d 7-8 def=8 body=8-8 one-liner cached\n"
	               "function e 9-10 def=10 body=10-10 one-liner\n"
	               "function g 11-12 def=12 body=12-12 one-liner\n"
	               "class K 13-17\n"
	               "method K.p 14-15 def=15 body=15-15 in=K one-liner cached\n"
	               "method K.q 16-17 def=17 body=17-17 in=K one-liner\n");
	expect_symbols("class C(Base):\n    attr = 1\n\n    def m(self):\n        return 1\n\n"
	               "    class Inner:\n        def deep(self):\n            pass\n\n"
	               "    def __eq__(self, o):\n        return True\n",
	               "class C 1-12\n"
	               "method C.m 4-5 def=4 body=5-5 in=C\n"
	               "class C.Inner 7-9 in=C\n"
	               "method C.Inner.deep 8-9 def=8 body=9-9 in=C.Inner\n"
	               "method C.__eq__ 11-12 def=11 body=12-12 in=C dunder\n");
}

static void test_nested_and_assignments(void **state)
{
	(void)state;
	expect_symbols("def outer():\n    def inner():\n        return 1\n    class Local:\n        pass\n"
	               "    return inner\n\n"
	               "X = 1\nA, (B, C) = 1, (2, 3)\nY: int = 2\nobj.attr = 3\nZ += 1\n",
	               "function outer 1-6 def=1 body=2-6\n"
	               "assign X 8-8\nassign A 9-9\nassign B 9-9\nassign C 9-9\nassign Y 10-10\n");
	expect_symbols("def __getattr__(name):\n    return globals()[name]\n",
	               "function __getattr__ 1-2 def=1 body=2-2 dunder\n");
}

static void test_references(void **state)
{
	(void)state;
	static const char src[] =
		"from pkg import termui\n"
		"DEFAULT = make()\n\n\n"
		"@register('x')\n"
		"def run(count, verbose=DEFAULT_V, *args, fix: int = 3, **kw):\n"
		"    from . import helpers\n"
		"    bar = termui.progressbar(count)\n"
		"    helpers.deep.call(key=value)\n"
		"    self.render()\n"
		"    get().attr.more\n"
		"    items[0].name\n"
		"    lam = lambda q: q + outer_name\n"
		"    def nested():\n"
		"        return inner_ref\n"
		"    return bar\n";
	expect_refs(src, "run",
	            "attr attr\nattr more\nattr name\n"
	            "chain helpers.deep.call\nchain self.render\nchain termui.progressbar\n"
	            "name DEFAULT_V\nname bar\nname count\nname get\nname inner_ref\nname int\nname items\n"
	            "name outer_name\nname q\nname value\n"
	            "param args\nparam count\nparam fix\nparam kw\nparam verbose\n");
	/* Annotations are the function's own, so is a default that only names
	 * something (the function calls it); other defaults run at definition. */
	expect_refs(src, "", "name make\nname register\n");
	expect_refs("def f(a=helper, b=make(), c=mod.attr):\n    pass\n", "f", "chain mod.attr\nname helper\nparam a\nparam b\nparam c\n");
	expect_refs("def f(a=helper, b=make(), c=mod.attr):\n    pass\n", "", "name make\nread mod.attr\n");
	/* A module-level name bound to a pure value owns the names in it; a class attribute, its class. */
	expect_refs("T = {'a': f, 'b': (g, m.h)}\nU = make(f)\n\n\nclass C:\n    x = k\n", "T", "chain m.h\nname f\nname g\n");
	/* A starred attribute in a list is read from, as in a tuple: `pp` is not stored. */
	expect_refs("import pp\nX = [*pp.L]\nY = (*pp.L,)\nZ = {*pp.f()}\n", "", "chain pp.L\nchain pp.f\n");
	expect_refs("def f(o, n):\n    return [*getattr(o, n)]\n", "f", "getattr o\nname getattr\nname n\nname o\nparam n\nparam o\n");
	/* Typed locals: x.m of `x = C()`, a parameter `c: mod.K`, an isinstance guard, `with W() as w`. */
	expect_refs("def f(c: mod.K, g, o: 'Q'):\n    x = C()\n    x.m()\n    c.n.p\n    o.q\n"
	            "    if isinstance(g, D):\n        g.r()\n    g.s()\n    with W() as w:\n        w.t()\n"
	            "    y = C()\n    y = 1\n    y.u()\n",
	            "f", "chain g.s\nchain mod.K\nchain y.u\ninst C:m\ninst D:r\ninst Q:q\ninst W:t\ninst mod.K:n.p\n"
	            "name C\nname D\nname W\nname g\nname isinstance\nname w\n"
	            "param c\nparam g\nparam o\n");
	/* A literal exec is read as code, not as a computed name. */
	expect_refs("def f():\n    exec('import a; a.b.c()')\n", "f", "chain a.b.c\nname exec\n");
	expect_refs("T = {'a': f, 'b': (g, m.h)}\nU = make(f)\n\n\nclass C:\n    x = k\n", "",
	            "name f\nname make\nread m.h\n");
	expect_refs("T = {'a': f, 'b': (g, m.h)}\nU = make(f)\n\n\nclass C:\n    x = k\n", "C", "name k\n");
	/* sys.modules by a key impact can read: the module it hands out (".[]": none). */
	expect_refs("import sys\ndef f(n):\n    sys.modules['__main__']\n    sys.modules.get('a.b')\n"
	            "    'x' in sys.modules\n    'y' not in sys.modules\n    sys.modules[__name__]\n",
	            "f", "chain sys.modules.[]\nchain sys.modules.[__main__]\nchain sys.modules.[__name__]\n"
	            "chain sys.modules.[a.b]\nname __name__\nparam n\n");
	/* Any other use is any module: a computed key, a method, an alias of sys, a key with odd characters. */
	expect_refs("import sys\nimport sys as s\ndef f(n):\n    sys.modules[n]\n    sys.modules.get(n)\n"
	            "    sys.modules.values()\n    s.modules['a']\n    sys.modules['a b']\n    g(sys.modules)\n",
	            "f", "chain s.modules\nchain sys.modules\nchain sys.modules.get\nchain sys.modules.values\n"
	            "name g\nname n\nparam n\n");
}

/* typing's forms at module level only store the names they are given. */
static void test_typing_forms_store_names(void **state)
{
	static const char src[] =
		"import typing as t\nfrom .core import Command, cast\n\n"
		"CmdType = t.TypeVar('CmdType', bound=Command)\n"
		"Opt = t.Optional[Command]\n"
		"Pair = tuple[Command, t.Callable[[int], Command]]\n"
		"Made = cast(Command, None)\n"
		"Built = make(Command)\n";
	(void)state;
	expect_refs(src, "CmdType", "name Command\n");
	expect_refs(src, "Opt", "name Command\n");
	expect_refs(src, "Pair", "name Command\nname int\n");
	expect_refs(src, "Made", "name Command\n");
	expect_refs(src, "Built", "");
	expect_symbols(src, "assign CmdType 4-4 typing\nassign Opt 5-5 typing\nassign Pair 6-6 typing\n"
	               "assign Made 7-7 typing\n"
	               "assign Built 8-8\n");
	/* the callees still run at import: a repository `cast` or `make` is module-level code's */
	expect_refs(src, "", "chain t.Callable\nchain t.Optional\nchain t.TypeVar\nname Command\n"
	            "name cast\nname make\nname tuple\n");
}

/* A module __getattr__ that answers for literal names only: those names, nothing else runs. */
static void test_module_getattr_dispatch(void **state)
{
	(void)state;
	expect_symbols("def __getattr__(name: str) -> object:\n    import warnings\n\n"
	               "    if name in {\"A\", 'B'}:\n        return globals()[f'_{name}']\n"
	               "    elif name == 'C':\n        from .c import C\n        return C\n"
	               "    raise AttributeError(f'no {name}')\n",
	               "function __getattr__ 1-9 def=1 body=2-9 dunder dispatch\n");
	expect_refs("def __getattr__(name):\n    \"\"\"Deprecated names.\"\"\"\n    if 'Old' == name:\n"
	            "        return New\n    raise AttributeError(name)\n",
	            "__getattr__", "answer Old\nname AttributeError\nname New\nname name\nparam name\n");
	/* Anything else may run for any name, __path__ included. */
	static const char *const other[] = {
		"def __getattr__(name):\n    if name == 'A':\n        return 1\n    else:\n        return load(name)\n",
		"def __getattr__(name):\n    if name == 'A':\n        return 1\n    return load(name)\n",
		"def __getattr__(name):\n    if name in NAMES:\n        return 1\n    raise AttributeError(name)\n",
		"def __getattr__(name):\n    if name.startswith('A'):\n        return 1\n    raise AttributeError(name)\n",
		"def __getattr__(name):\n    if name == 'A':\n        return 1\n    raise error(name)\n",
		"def __getattr__(name):\n    load()\n    if name == 'A':\n        return 1\n",
		"class C:\n    def __getattr__(self, name):\n        if name == 'A':\n            return 1\n",
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		impact_pyfacts *f = extract(other[i]);
		for (size_t k = 0; k < f->nsymbols; k++)
			assert_false(f->symbols[k].flags & IMPACT_SYMBOL_DISPATCH);
		for (size_t k = 0; k < f->nrefs; k++)
			assert_int_not_equal(f->refs[k].kind, IMPACT_SYMREF_ANSWER);
		impact_pyfacts_free(f);
	}
}

static void test_dynamic_markers(void **state)
{
	(void)state;
	expect_symbols("def a(mod, n):\n    return getattr(mod, n)\n\n\n"
	               "def b(mod):\n    return getattr(mod, 'x')\n\n\n"
	               "def c(s):\n    exec(s)\n\n\n"
	               "def d(n):\n    return importlib.import_module(n)\n\n\n"
	               "def e():\n    return importlib.import_module('lit')\n",
	               "function a 1-2 def=1 body=2-2\n"
	               "function b 5-6 def=5 body=6-6\n"
	               "function c 9-10 def=9 body=10-10 dynamic\n"
	               "function d 13-14 def=13 body=14-14 dynamic\n"
	               "function e 17-18 def=17 body=18-18\n");
}

/* getattr with a computed name is a reference to its object's attributes, not "dynamic". */
static void test_getattr_and_bases(void **state)
{
	const char *src = "class C(Base, mod.Mixin, make(), metaclass=M):\n"
	                  "    def m(self, n):\n        return getattr(self, n)\n\n"
	                  "    def k(self, n):\n        return getattr(self.h, n) or getattr(f(), n)\n";
	(void)state;
	expect_refs(src, "C.m", "getattr self\nname getattr\nname n\nname self\nparam n\nparam self\n");
	expect_refs(src, "C.k", "chain self.h\ngetattr ?\ngetattr self.h\nname f\nname getattr\nname n\n"
	                        "param n\nparam self\n");
	expect_refs(src, "C", "base ()make\nbase Base\nbase mod.Mixin\n");
	expect_refs("class D(objective(CLexer), f()(x)):\n    pass\n", "D", "base ()objective\nbase ?\nbase CLexer\nbase x\n");
	/* globals(): the module's own names; vars(x): x's attributes; locals(): nothing. */
	expect_refs("def f(n, o):\n    return globals()[n] or vars(o) or locals() or vars()\n", "f",
	            "getattr globals()\ngetattr vars o\nname globals\nname locals\nname n\nname o\n"
	            "name vars\nparam n\nparam o\n");
	expect_symbols("def f(n):\n    return globals()[n]\n", "function f 1-2 def=1 body=2-2\n");
}

/*
 * The names a computed getattr can be, after a tab (pynames.c): a literal
 * name is a chain; a literal prefix; a private function's literal
 * arguments; a local bound only to literals; else no tab (anything).
 */
static void test_getattr_name_sources(void **state)
{
	const char *src =
		"from . import core\n\n\n"
		"def lit(o):\n    return getattr(core, 'do_add') or hasattr(o, 'x') or getattr(o, 'a-b')\n\n\n"
		"def pre(op, n):\n    return (getattr(core, f'do_{op}') or getattr(core, 'do_' + op) or\n"
		"            getattr(core, 'do_%s' % op) or getattr(core, 'do_{}'.format(op)) or\n"
		"            getattr(core, f'{op}_x') or getattr(core, op + '_x') or getattr(core, 'a' 'b'))\n\n\n"
		"def _run(name, extra=1):\n    return getattr(core, name)\n\n\n"
		"def add():\n    return _run('do_add')\n\n\n"
		"def sub():\n    return _run(name='do_sub', extra=2)\n\n\n"
		"def _passed(name):\n    return getattr(core, name)\n\n\n"
		"TABLE = [_passed]\n\n\n"
		"def pub(name):\n    return getattr(core, name)\n\n\n"
		"def local(c):\n    n = 'a' if c else 'b'\n    for m in ('c', 'd'):\n        getattr(core, m)\n"
		"    return getattr(core, n)\n\n\n"
		"def rebound(c):\n    n = 'a'\n    n, k = c\n    return getattr(core, n)\n\n\n"
		"def glob():\n    return getattr(core, NAME)\n";
	(void)state;
	expect_refs(src, "lit", "chain core.do_add\nchain o.x\nname core\nname getattr\nname hasattr\nname o\nparam o\n");
	expect_refs(src, "pre", "attr format\nchain core.ab\ngetattr core\ngetattr core\tdo_*\nname core\nname getattr\n"
	                        "name op\nparam n\nparam op\n");
	expect_refs(src, "_run", "getattr core\tdo_add do_sub (_run)\nname core\nname getattr\nname name\n"
	                         "param extra\nparam name\n");
	expect_refs(src, "_passed", "getattr core\nname core\nname getattr\nname name\nparam name\n");
	expect_refs(src, "pub", "getattr core\nname core\nname getattr\nname name\nparam name\n");
	expect_refs(src, "local", "getattr core\ta b\ngetattr core\tc d\nname c\nname core\nname getattr\n"
	                          "name m\nname n\nparam c\n");
	expect_refs(src, "rebound", "getattr core\nname c\nname core\nname getattr\nname n\nparam c\n");
	expect_refs(src, "glob", "getattr core\nname NAME\nname core\nname getattr\n");
}

/* A module's `if __name__ == "__main__":` block reads nothing at import. */
static void test_main_guard(void **state)
{
	(void)state;
	expect_refs("import sys\n\nif __name__ == '__main__':\n    main(sys.argv)\nelse:\n    setup()\n\n"
	            "if \"__main__\" == __name__:\n    other()\n",
	            "", "name __name__\nname setup\n");
}

static void test_imports_belong_to_functions(void **state)
{
	impact_pyfacts *f = extract("import a\n\n\ndef f():\n    import b\n\n\n"
	                            "class C:\n    import c\n\n    def m(self):\n        from d import e\n");
	(void)state;
	assert_int_equal(f->nimports, 4);
	assert_int_equal(f->imports[0].symbol, IMPACT_SYMBOL_NONE);
	assert_string_equal(f->symbols[f->imports[1].symbol].name, "f");
	assert_int_equal(f->imports[2].symbol, IMPACT_SYMBOL_NONE);
	assert_string_equal(f->symbols[f->imports[3].symbol].name, "C.m");
	impact_pyfacts_free(f);
}

typedef struct ccase {
	const char *name;
	uint32_t first, last;
	bool import_time;
	const char *call_time; /* names, comma-separated */
} ccase;

static void test_classify(void **state)
{
	static const char src[] =
		"import os\n"                        /* 1 */
		"\n"                                 /* 2 */
		"@deco\n"                            /* 3 */
		"def f(a,\n"                         /* 4 */
		"      b):\n"                        /* 5 */
		"    \"\"\"Doc.\"\"\"\n"             /* 6 */
		"    x = a\n"                        /* 7 */
		"    def inner():\n"                 /* 8 */
		"        return x\n"                 /* 9 */
		"    return inner\n"                 /* 10 */
		"\n"                                 /* 11 */
		"\n"                                 /* 12 */
		"class C:\n"                         /* 13 */
		"    attr = 1\n"                     /* 14 */
		"\n"                                 /* 15 */
		"    def m(self):\n"                 /* 16 */
		"        return 1\n"                 /* 17 */
		"\n"                                 /* 18 */
		"\n"                                 /* 19 */
		"def one(): return 1\n";             /* 20 */
	static const ccase cases[] = {
		{ "body_line", 7, 7, false, "f" },
		{ "docstring", 6, 6, false, "f" },
		{ "nested_function", 9, 9, false, "f" },
		{ "decorator", 3, 3, true, "" },
		{ "signature", 4, 4, true, "" },
		{ "multiline_signature", 5, 5, true, "" },
		{ "class_body", 14, 14, true, "" },
		{ "method_body", 17, 17, false, "C.m" },
		{ "method_def", 16, 16, true, "" },
		{ "between", 11, 12, true, "" },
		{ "one_liner", 20, 20, true, "" },
		{ "module_level", 1, 1, true, "" },
		{ "spanning_header_and_body", 5, 7, true, "f" },
		{ "two_functions", 7, 17, true, "f,C.m" },
		{ "past_the_end", 30, 40, true, "" },
	};
	impact_pyfacts *f = extract(src);
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t r[1][2] = { { cases[i].first, cases[i].last } };
		impact_u32vec ct = { 0 };
		impact_buf names = IMPACT_BUF_INIT;
		bool it = impact_pyfacts_classify_lines(f, (const uint32_t (*)[2])r, 1, &ct);
		for (size_t k = 0; k < ct.n; k++)
			impact_buf_printf(&names, "%s%s", k ? "," : "", f->symbols[ct.v[k]].name);
		if (it != cases[i].import_time || strcmp(names.ptr ? names.ptr : "", cases[i].call_time))
			fail_msg("%s: import_time %d, call-time '%s'", cases[i].name, it,
			         names.ptr ? names.ptr : "");
		impact_buf_release(&names);
		impact_u32vec_release(&ct);
	}
	{
		impact_u32vec ct = { 0 };
		assert_false(impact_pyfacts_classify_lines(f, NULL, 0, &ct));
	}
	impact_pyfacts_free(f);
}

static void test_syntax_error_is_import_time(void **state)
{
	impact_pyfacts *f = extract("def f():\n    return (1\n");
	uint32_t r[1][2] = { { 2, 2 } };
	impact_u32vec ct = { 0 };
	(void)state;
	assert_true(impact_pyfacts_classify_lines(f, (const uint32_t (*)[2])r, 1, &ct));
	impact_u32vec_release(&ct);
	impact_pyfacts_free(f);
}

static void test_round_trip_and_damage(void **state)
{
	impact_pyfacts *f = extract("import a\n\n\nclass C:\n    def m(self, fx):\n        from b import c\n"
	                            "        return c.d(self.e)\n\n\nX = C()\n");
	impact_pyfacts *g = NULL;
	impact_buf enc = IMPACT_BUF_INIT, a = IMPACT_BUF_INIT, b = IMPACT_BUF_INIT;
	(void)state;
	assert_int_equal(impact_pyfacts_encode(&enc, f), 0);
	assert_int_equal(impact_pyfacts_decode(&g, enc.ptr, enc.size), 0);
	render_symbols(&a, f);
	render_symbols(&b, g);
	render_refs(&a, f, "C.m");
	render_refs(&b, g, "C.m");
	render_refs(&a, f, "");
	render_refs(&b, g, "");
	assert_string_equal(a.ptr, b.ptr);
	assert_int_equal(g->nimports, f->nimports);
	for (size_t i = 0; i < f->nimports; i++)
		assert_int_equal(g->imports[i].symbol, f->imports[i].symbol);
	impact_pyfacts_free(g);
	/* Every truncation and every flipped byte is rejected, never a crash. */
	for (size_t n = 0; n < enc.size; n++) {
		g = NULL;
		assert_int_not_equal(impact_pyfacts_decode(&g, enc.ptr, n), 0);
		assert_null(g);
	}
	for (size_t i = 4; i < enc.size; i++) {
		enc.ptr[i] ^= 0x41;
		g = NULL;
		if (impact_pyfacts_decode(&g, enc.ptr, enc.size) == 0)
			impact_pyfacts_free(g); /* a checksum collision: still well-formed */
		enc.ptr[i] ^= 0x41;
	}
	impact_buf_release(&enc);
	impact_buf_release(&a);
	impact_buf_release(&b);
	impact_pyfacts_free(f);
}

static void test_many_top_level_lines(void **state)
{
	/* 70000 top-level statements: linear, and every one is a symbol. */
	impact_buf src = IMPACT_BUF_INIT;
	impact_pyfacts *f;
	(void)state;
	for (int i = 0; i < 70000; i++)
		impact_buf_printf(&src, "V%d = f%d\n", i, i % 7);
	f = extract(src.ptr);
	if (!(f->flags & IMPACT_PYFACTS_TOO_LARGE)) {
		assert_int_equal(f->nsymbols, 70000);
		assert_string_equal(f->symbols[69999].name, "V69999");
		assert_int_equal(f->symbols[69999].start_line, 70000);
	}
	impact_pyfacts_free(f);
	impact_buf_release(&src);
}

static void test_giant_table_of_import_names(void **state)
{
	/* One statement far past the parse guard, full of names holding
	 * "import" (as generated lexer tables are): skipped, not "unknown". */
	impact_buf src = IMPACT_BUF_INIT;
	impact_pyfacts *f;
	(void)state;
	impact_buf_puts(&src, "import a\nTABLE = {\n");
	for (int i = 0; i < 40000; i++)
		impact_buf_printf(&src, "    'gmp_import%d': ('dom_import_x', 1),\n", i);
	impact_buf_puts(&src, "}\nimport b\n");
	/* What is checked is the child-count guard, not the time budget:
	 * an unoptimised build under sanitizers on a busy machine takes
	 * minutes of CPU here, so the budget is set far out of the way. */
	f = extract_within(src.ptr, 3600ull * 1000 * 1000);
	assert_false(f->flags & IMPACT_PYFACTS_TOO_LARGE);
	assert_int_equal(f->nimports, 2);
	assert_string_equal(f->imports[1].module, "b");
	impact_pyfacts_free(f);
	impact_buf_release(&src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_functions_and_classes),
		cmocka_unit_test(test_nested_and_assignments),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_typing_forms_store_names),
		cmocka_unit_test(test_module_getattr_dispatch),
		cmocka_unit_test(test_dynamic_markers),
		cmocka_unit_test(test_getattr_and_bases),
		cmocka_unit_test(test_getattr_name_sources),
		cmocka_unit_test(test_main_guard),
		cmocka_unit_test(test_imports_belong_to_functions),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_syntax_error_is_import_time),
		cmocka_unit_test(test_round_trip_and_damage),
		cmocka_unit_test(test_many_top_level_lines),
		cmocka_unit_test(test_giant_table_of_import_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
