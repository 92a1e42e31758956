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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_values),
	};
	return cmocka_run_group_tests_name("fnhash", tests, NULL, NULL);
}
