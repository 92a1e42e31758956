/*
 * test_fnhash.c - fingerprints of functions and of import-time code
 * (fnhash.c): which edits leave a module's import-time fingerprint equal
 * and which change it, one-line functions (`def f(x): return x`) above
 * all, whose body after the header's colon is call-time code while the
 * header (defaults, annotations, decorators) runs at import.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "fnhash.h"

typedef struct pair_case {
	const char *a, *b;
	bool module_same; /* the import-time fingerprint is equal */
	const char *fn;   /* a function whose fingerprint must differ, or NULL */
} pair_case;

static const pair_case cases[] = {
	{ "def f(x): return 1\n", "def f(x): return 2\n", true, "f" },
	{ "def f(x: 'a:b') -> 'c:d': return 1\n", "def f(x: 'a:b') -> 'c:d': return 2\n", true, "f" },
	{ "def f(x='#(:'): return 1\n", "def f(x='#(:'): return 2\n", true, "f" },
	{ "def f(x=lambda: 1): return 1\n", "def f(x=lambda: 1): return 2\n", true, "f" },
	{ "def f(x=1): return 1\n", "def f(x=2): return 1\n", false, "f" },
	{ "def f(x: int): return 1\n", "def f(x: str): return 1\n", false, "f" },
	{ "class A:\n    def m(self): return 1\n", "class A:\n    def m(self): return 2\n", true, "A.m" },
	{ "class A:\n    x = 1\n    def m(self): return 1\n",
	  "class A:\n    x = 2\n    def m(self): return 1\n", false, NULL },
	{ "def f(x): return {'a': 1}\n", "def f(x): return {'a': 2}\n", true, "f" },
	{ "def f(\n    x,\n): return 1\n", "def f(\n    x,\n): return 2\n", true, "f" },
	{ "def f(x): return (1,\n    2)\n", "def f(x): return (1,\n    3)\n", true, "f" },
	{ "def f(x): return '''a\nb'''\nY = 1\n", "def f(x): return '''a\nc'''\nY = 1\n", true, "f" },
	{ "@dec(1)\ndef f(): return 1\n", "@dec(2)\ndef f(): return 1\n", false, "f" },
	{ "def f(): ...\n", "def f(): pass\n", true, "f" },
	{ "async def f(): return 1\n", "async def f(): return 2\n", true, "f" },
	{ "def f(x): return 1  # a\n", "def f(x): return 1  # b\n", true, NULL },
	{ "def f(): return 1\nX = 1\n", "def f(): return 1\nX = 2\n", false, NULL },
	/* a multi-line body: unchanged behaviour */
	{ "def f():\n    return 1\n", "def f():\n    return 2\n", true, "f" },
};

static impact_pyfacts *facts_of(impact_pyparser *p, const char *src)
{
	impact_pyfacts *f = NULL;
	assert_int_equal(impact_pyfacts_extract(&f, p, src, strlen(src)), 0);
	assert_non_null(f);
	return f;
}

static uint64_t fn_hash(const impact_pyfacts *f, const impact_fnhashes *h, const char *name)
{
	for (size_t i = 0; i < f->nsymbols; i++)
		if (!strcmp(f->symbols[i].name, name))
			return h->fn[i];
	fail_msg("no function %s", name);
	return 0;
}

static void check(impact_pyparser *p, const pair_case *c, bool tokens)
{
	impact_pyfacts *fa = facts_of(p, c->a), *fb = facts_of(p, c->b);
	impact_fnhashes ha = { 0 }, hb = { 0 };
	if (tokens) {
		impact_fnhashes_compute_tokens(&ha, c->a, strlen(c->a), fa);
		impact_fnhashes_compute_tokens(&hb, c->b, strlen(c->b), fb);
	} else {
		impact_fnhashes_compute(&ha, c->a, strlen(c->a), fa);
		impact_fnhashes_compute(&hb, c->b, strlen(c->b), fb);
	}
	if ((ha.module == hb.module) != c->module_same)
		fail_msg("%s | %s: module fingerprints %s (tokens %d)", c->a, c->b,
		         c->module_same ? "differ" : "are equal", tokens);
	if (c->fn && fn_hash(fa, &ha, c->fn) == fn_hash(fb, &hb, c->fn))
		fail_msg("%s | %s: %s's fingerprint is unchanged", c->a, c->b, c->fn);
	impact_fnhashes_release(&ha);
	impact_fnhashes_release(&hb);
	impact_pyfacts_free(fa);
	impact_pyfacts_free(fb);
}

static void test_pairs(void **state)
{
	impact_pyparser *p = impact_pyparser_new();
	(void)state;
	assert_non_null(p);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check(p, &cases[i], false);
		check(p, &cases[i], true);
	}
	impact_pyparser_free(p);
}

/*
 * The fingerprint without data-only assignments' values (`values`, token
 * mode): equal when only such values changed, different when anything
 * else did, a name included.
 */
typedef struct value_case {
	const char *a, *b;
	bool values_same;
} value_case;

static const value_case value_cases[] = {
	{ "__version__ = '1.0'\n", "__version__ = '2.0'\n", true },
	{ "X = 1\nY = (1,\n     2)\n", "X = 1\nY = (1,\n     3)\n", true },
	{ "X = {'a': [1, None]}\n", "X = {'a': [2, True]}\n", true },
	{ "X = -1\n", "X = -2\n", true },
	{ "X = A\n", "X = B\n", true },
	{ "if c:\n    X = 1\n", "if c:\n    X = 2\n", true },
	{ "X = 1\n", "Y = 1\n", false },                 /* another name */
	{ "X = 1\n", "X = 1\nY = 2\n", false },         /* a name added */
	{ "X = 1\n", "X = f(1)\n", false },              /* a call runs code */
	{ "X = 1\n", "X = a.b\n", false },               /* an attribute may run code */
	{ "X = 1\n", "X = 1 + 1\n", false },             /* an operator may run code */
	{ "X = 'a'\n", "X = f'{a}'\n", false },          /* an interpolation may run code */
	{ "X = 1; f()\n", "X = 2; f()\n", false },       /* a statement beside it */
	{ "if c:\n    X = 1\n", "if d:\n    X = 1\n", false },
	{ "class A:\n    X = 1\n", "class A:\n    X = 2\n", false }, /* a class body */
};

static void test_values(void **state)
{
	impact_pyparser *p = impact_pyparser_new();
	(void)state;
	assert_non_null(p);
	for (size_t i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
		const value_case *c = &value_cases[i];
		impact_pyfacts *fa = facts_of(p, c->a), *fb = facts_of(p, c->b);
		impact_fnhashes ha = { 0 }, hb = { 0 };
		impact_fnhashes_compute_tokens(&ha, c->a, strlen(c->a), fa);
		impact_fnhashes_compute_tokens(&hb, c->b, strlen(c->b), fb);
		if (ha.module == hb.module)
			fail_msg("%s | %s: the module fingerprints are equal", c->a, c->b);
		if ((ha.values == hb.values) != c->values_same)
			fail_msg("%s | %s: the value-less fingerprints %s", c->a, c->b,
			         c->values_same ? "differ" : "are equal");
		impact_fnhashes_release(&ha);
		impact_fnhashes_release(&hb);
		/* Not in the records' mode. */
		impact_fnhashes_compute(&ha, c->a, strlen(c->a), fa);
		assert_true(ha.values == 0 && ha.val == NULL);
		impact_fnhashes_release(&ha);
		impact_pyfacts_free(fa);
		impact_pyfacts_free(fb);
	}
	impact_pyparser_free(p);
}

/* Does a header run code when its def runs (fnheader.c)? Each branch of the scan. */
typedef struct header_case {
	const char *h;
	bool lazy;   /* from __future__ import annotations */
	bool pure;
} header_case;

static const header_case header_cases[] = {
	{ "def f(x, y=2, *args, z=None, **kw):", false, true },
	{ "async def f(x, /, y=-1, *, z='a(b'):", false, true },
	{ "def f(x: int, y: list[str] | None = None) -> dict[str, int]:", false, true },
	{ "def f(\n    x,  # a (comment\n    y=(1, 2),\n) -> t.Iterator[tuple[int, bool | None]]:", false, true },
	{ "def f[T](x: T) -> T:", false, true },
	{ "def f(x={'a': [1, 2]}, y=os.sep):", false, true },
	{ "def f(x=g()):", false, false },               /* a default calls */
	{ "def f(x=a.b()):", true, false },              /* lazy annotations do not cover defaults */
	{ "def f(x=A[0]):", false, false },              /* a default's subscript */
	{ "def f(x=1 + 2):", false, false },             /* an operator */
	{ "def f(x=a | b):", false, false },
	{ "def f(x=lambda: 1):", false, false },         /* a lambda: unsure */
	{ "def f(x=f'{y}'):", false, false },            /* an f-string */
	{ "def f(x='a'.join(y)):", false, false },       /* a call on a string */
	{ "def f(x: make()):", false, false },           /* an evaluated annotation calls */
	{ "def f(x: make()):", true, true },             /* a lazy one is never evaluated */
	{ "def f() -> make():", false, false },
	{ "def f() -> make():", true, true },
	{ "def f(x: A + B):", false, false },
	{ "def f(x: A + B):", true, true },
	{ "def f(x = (yield)):", false, false },
	{ "def f(x='unclosed):", false, false },         /* cannot follow it */
	{ "def f(x", false, false },
	{ "def f:", false, false },
};

static void test_header_purity(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
		const header_case *c = &header_cases[i];
		if (impact_fnheader_pure(c->h, strlen(c->h), c->lazy, NULL) != c->pure)
			fail_msg("%s (lazy %d): expected %s", c->h, c->lazy, c->pure ? "pure" : "impure");
	}
	static const struct { const char *src; bool lazy; } future[] = {
		{ "from __future__ import annotations\n", true },
		{ "'''doc'''\nfrom __future__ import (\n    division,\n    annotations,\n)\n", true },
		{ "from __future__ import division\nannotations = 1\n", false },
		{ "x = 'from __future__ import annotations'\n", false },
	};
	for (size_t i = 0; i < sizeof(future) / sizeof(future[0]); i++)
		if (impact_fnheader_lazy_annotations(future[i].src, strlen(future[i].src)) != future[i].lazy)
			fail_msg("%s: expected %d", future[i].src, future[i].lazy);
}

/*
 * Two sides whose import-time code differs only in plain functions'
 * headers, or plain functions added (fnsigs.c): which are call-time, and
 * which keep the module import-time.
 */
typedef struct sig_case {
	const char *a, *b;
	bool only;            /* impact_fnhashes_only_headers */
	const char *changed;  /* with only: the functions pushed, space-separated */
} sig_case;

static const sig_case sig_cases[] = {
	{ "def f(x=1):\n    return x\n", "def f(x=2):\n    return x\n", true, "f" },
	{ "def f(x):\n    return x\n", "def _g():\n    return 1\n\n\ndef f(x):\n    return x\n", true, "_g" },
	{ "__all__ = ['f']\n\n\ndef f(x):\n    return x\n",
	  "__all__ = ['f']\n\n\ndef f(x):\n    return x\n\n\ndef g():\n    return 1\n", true, "g" },
	{ "import contextlib\n\n\n@contextlib.contextmanager\ndef f(x=1):\n    yield x\n",
	  "import contextlib\n\n\n@contextlib.contextmanager\ndef f(x=2):\n    yield x\n", true, "f" },
	{ "from typing import overload\n\n\n@overload\ndef f(x: int) -> int:\n    ...\n\n\n"
	  "def f(x):\n    return x\n",
	  "from typing import overload\n\n\n@overload\ndef f(x: str) -> str:\n    ...\n\n\n"
	  "def f(x):\n    return x\n", true, "f" },
	/* one-liners: typing.overload's stubs beside a method */
	{ "import typing as t\n\n\nclass A:\n    @t.overload\n    def m(self, x: int) -> int: ...\n\n"
	  "    @t.overload\n    def m(self, x: str) -> str: ...\n\n    def m(self, x):\n        return x\n",
	  "import typing as t\n\n\nclass A:\n    @t.overload\n    def m(self, x: int) -> int: ...\n\n"
	  "    @t.overload\n    def m(self, x: bytes) -> bytes: ...\n\n    def m(self, x):\n        return x\n",
	  true, "A.m" },
	{ "def f(x=1): return x\n", "def f(x=2): return x\n", true, "f" },
	/* a plain class's docstring */
	{ "class A:\n    \"\"\"One.\n\n    >>> 1\n    1\n    \"\"\"\n\n    def m(self):\n        return 1\n",
	  "class A:\n    \"\"\"One.\n    >>> 1\n    1\n    \"\"\"\n\n    def m(self):\n        return 1\n", true, "A" },
	{ "class A(object):\n    r'one'  # doc\n", "class A(object):\n    r'two'  # doc\n", true, "A" },
	{ "class A:\n    X = 1\n", "class A:\n    '''Added.'''\n\n    X = 1\n", true, "A" },
	{ "class A:\n    '''Removed.'''\n\n    X = 1\n", "class A:\n    X = 1\n", true, "A" },
	/* kept import-time */
	{ "class A:\n    'one' + X\n", "class A:\n    'two' + X\n", false, NULL },
	{ "class A:\n    f'one{x}'\n", "class A:\n    f'two{x}'\n", false, NULL },
	{ "@dataclass\nclass A:\n    'one'\n", "@dataclass\nclass A:\n    'two'\n", false, NULL },
	{ "class A(Base):\n    'one'\n", "class A(Base):\n    'two'\n", false, NULL },
	{ "class A:\n    X = 1\n    'one'\n", "class A:\n    X = 1\n    'two'\n", false, NULL },
	{ "def f(x=1): return x\n", "def f(x=g()): return x\n", false, NULL },
	{ "def f(x):\n    return x\n", "def g():\n    return 1\n\n\ndef f(x):\n    return x\n", false, NULL },
	{ "def f(x):\n    return x\n\n\ndef g():\n    return 1\n", "def f(x):\n    return x\n", false, NULL },
	{ "from m import _g\n\n\ndef f(x):\n    return x\n",
	  "from m import _g\n\n\ndef _g():\n    return 1\n\n\ndef f(x):\n    return x\n", false, NULL },
	{ "from m import *\n\n\ndef f(x):\n    return x\n",
	  "from m import *\n\n\ndef _g():\n    return 1\n\n\ndef f(x):\n    return x\n", false, NULL },
	{ "_g = 1\n\n\ndef f(x):\n    return x\n",
	  "_g = 1\n\n\ndef _g():\n    return 1\n\n\ndef f(x):\n    return x\n", false, NULL },
	{ "def f(x=1):\n    return x\n", "def f(x=g()):\n    return x\n", false, NULL },
	{ "from m import cache\n\n\n@cache\ndef f(x=1):\n    return x\n",
	  "from m import cache\n\n\n@cache\ndef f(x=2):\n    return x\n", false, NULL },
	{ "if c:\n    def f(x=1):\n        return x\n", "if c:\n    def f(x=2):\n        return x\n", false, NULL },
	/* methods of a class nothing inspects as it is made */
	{ "class A:\n    def m(self, x=1):\n        return x\n",
	  "class A:\n    def m(self, x=2):\n        return x\n", true, "A.m" },
	{ "class B(object):\n    pass\n\n\nclass A(B, Exception):\n    @staticmethod\n    def m(x=1):\n        return x\n",
	  "class B(object):\n    pass\n\n\nclass A(B, Exception):\n    @staticmethod\n    def m(x=2):\n        return x\n",
	  true, "A.m" },
	{ "import enum\n\n\nclass A(enum.Enum):\n    X = 1\n\n    def m(self, x=1):\n        return x\n",
	  "import enum\n\n\nclass A(enum.Enum):\n    X = 1\n\n    def m(self, x=2):\n        return x\n", true, "A.m" },
	{ "class A(Base):\n    def m(self, x=1):\n        return x\n",            /* a base impact does not know */
	  "class A(Base):\n    def m(self, x=2):\n        return x\n", false, NULL },
	{ "class A(metaclass=M):\n    def m(self, x=1):\n        return x\n",
	  "class A(metaclass=M):\n    def m(self, x=2):\n        return x\n", false, NULL },
	{ "@deco\nclass A:\n    def m(self, x=1):\n        return x\n",
	  "@deco\nclass A:\n    def m(self, x=2):\n        return x\n", false, NULL },
	{ "class A:\n    @register\n    def m(self, x=1):\n        return x\n",
	  "class A:\n    @register\n    def m(self, x=2):\n        return x\n", false, NULL },
	{ "class A:\n    if c:\n        def m(self, x=1):\n            return x\n",
	  "class A:\n    if c:\n        def m(self, x=2):\n            return x\n", false, NULL },
	{ "class A:\n    def m(self):\n        return 1\n",                       /* a method added */
	  "class A:\n    def _n(self):\n        return 2\n\n    def m(self):\n        return 1\n", false, NULL },
	{ "class A:\n    def m(self, x=1):\n        return x\n\n    n = m\n",  /* moved across a statement naming it */
	  "class A:\n    n = m\n\n    def m(self, x=1):\n        return x\n", false, NULL },
	{ "def pytest_configure(config=1):\n    pass\n", "def pytest_configure(config=2):\n    pass\n", false, NULL },
	/* values too (their readers are precise_values.c's to check) */
	{ "X = f\n\n\ndef f(x=1):\n    return x\n", "X = g\n\n\ndef f(x=2):\n    return x\n", false, NULL },
	{ "X = (1, 'a', None)\n\n\ndef f(x=1):\n    return x\n",
	  "X = (2, 'b', True)\n\n\ndef f(x=2):\n    return x\n", true, "X f" },
	{ "X = 1\n", "X = 1\n_Y = 'a'\n", true, "_Y" },
	{ "X = 1\n", "X = 1\nY = 'a'\n", false, NULL },                   /* a star import takes it */
	{ "X = 1\n", "X = 1\n__path__ = []\n", false, NULL },            /* Python reads it */
	{ "_Y = 1\nX = 1\n", "X = 1\n", false, NULL },                     /* gone */
	{ "X = 1\nY = X\n", "Y = X\nX = 1\n", false, NULL },              /* moved past a reader */
	/* a default reading a value whose place the fingerprint does not keep */
	{ "_D = 2\n\n\ndef f(x, d=_D):\n    return x\n", "def f(x, d=_D):\n    return x\n\n\n_D = 2\n", false, NULL },
	{ "import os\n\n\ndef f(x, d=os.sep):\n    return x\n", "import os\n\n\ndef f(x, d=os.sep, e=None):\n    return x\n", true, "f" },
	/* a def moved across a statement that may see it (a circular import) */
	{ "def f(x):\n    return x\n\n\nimport b\n", "import b\n\n\ndef f(x):\n    return x\n", false, NULL },
	/* two defs side by side swapped: nothing runs between them */
	{ "def f(x):\n    return x\n\n\ndef g(x):\n    return x\n\n\nimport b\n",
	  "def g(x=1):\n    return x\n\n\ndef f(x):\n    return x\n\n\nimport b\n", true, "g" },
	/* an added function that module-level code names (it may have failed there before) */
	{ "try:\n    X = _g\nexcept NameError:\n    X = None\n",
	  "def _g():\n    return 1\n\n\ntry:\n    X = _g\nexcept NameError:\n    X = None\n", false, NULL },
};

static void test_only_headers(void **state)
{
	impact_pyparser *p = impact_pyparser_new();
	(void)state;
	assert_non_null(p);
	for (size_t i = 0; i < sizeof(sig_cases) / sizeof(sig_cases[0]); i++) {
		const sig_case *c = &sig_cases[i];
		impact_pyfacts *fa = facts_of(p, c->a), *fb = facts_of(p, c->b);
		impact_fnhashes ha = { 0 }, hb = { 0 };
		impact_u32vec syms = { 0 }, added = { 0 }, reheaded = { 0 };
		bool only;
		impact_fnhashes_compute_tokens(&ha, c->a, strlen(c->a), fa);
		impact_fnhashes_compute_tokens(&hb, c->b, strlen(c->b), fb);
		assert_true(ha.module != hb.module);
		only = impact_fnhashes_only_headers(fa, &ha, fb, &hb, &syms, &added, &reheaded);
		if (only != c->only)
			fail_msg("%s | %s: expected %s", c->a, c->b, c->only ? "headers only" : "import-time");
		if (only) {
			impact_buf got = IMPACT_BUF_INIT;
			for (size_t k = 0; k < syms.n; k++)
				impact_buf_printf(&got, "%s%s", k ? " " : "", fb->symbols[syms.v[k]].name);
			if (strcmp(got.ptr ? got.ptr : "", c->changed))
				fail_msg("%s | %s: changed '%s', expected '%s'", c->a, c->b, got.ptr, c->changed);
			impact_buf_release(&got);
			assert_int_equal(added.n + reheaded.n, syms.n);
		}
		impact_u32vec_release(&syms);
		impact_u32vec_release(&added);
		impact_u32vec_release(&reheaded);
		impact_fnhashes_release(&ha);
		impact_fnhashes_release(&hb);
		/* Not in the records' mode. */
		impact_fnhashes_compute(&ha, c->a, strlen(c->a), fa);
		assert_true(ha.sigs == 0 && ha.sig == NULL);
		impact_fnhashes_release(&ha);
		impact_pyfacts_free(fa);
		impact_pyfacts_free(fb);
	}
	impact_pyparser_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_header_purity),
		cmocka_unit_test(test_only_headers),
	};
	return cmocka_run_group_tests_name("fnhash", tests, NULL, NULL);
}
