/*
 * test_mutate.c - the audit's mutants (impact_mutate): where the raise
 * goes, that every other byte stays, and which modules are refused.
 *
 * Table-driven: a case is a source (or a generator of one) and either the
 * exact mutant with the number of functions, or the error code and a
 * substring of its message. R below is the statement the mutator inserts
 * for the marker "M". Each case runs as its own cmocka test named
 * mutate__<name>; adding a case is adding an entry to `cases`.
 *
 * The single-function mutant has a table of its own (`fcases`, tests
 * named mutate_function__<name>): a source, its candidates as
 * "name@line" in order, and one index with its exact mutant.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mutate.h"
#include "pyimports.h"

#define R "raise RuntimeError(\"M\")"
#define NUL_SRC "def f():\n    return 'a\0b'\n"

typedef struct mcase {
	const char *name;
	const char *src;   /* NUL-terminated unless len is set */
	size_t len;        /* for sources holding NUL bytes */
	void (*gen)(impact_buf *src, impact_buf *want); /* builds src and want instead */
	const char *want;  /* the mutant, when the call succeeds */
	size_t wlen;       /* its length when it holds NUL bytes */
	size_t nfunctions;
	int error;         /* expected error code, 0 for success */
	const char *message; /* a substring of the error message */
	const char *marker;  /* NULL: "M" */
} mcase;

static void repeat(impact_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		impact_buf_puts(b, s);
}

/* 200 functions: every one gets its raise, in order. */
static void gen_many(impact_buf *src, impact_buf *want)
{
	for (int i = 0; i < 200; i++) {
		impact_buf_printf(src, "def f%d(x):\n    return x + %d\n\n", i, i);
		impact_buf_printf(want, "def f%d(x):\n    " R "\n    return x + %d\n\n", i, i);
	}
}

/* A module past the tree-sitter guard's token bound. */
static void gen_huge(impact_buf *src, impact_buf *want)
{
	impact_buf_puts(src, "def f():\n    return 1\n");
	repeat(src, "x = [1, 2, 3, 4, 5, 6, 7, 8, 9]\n", 4000);
	/* Mutated when the runtime has no child-count limit. */
	impact_buf_puts(want, "def f():\n    " R "\n    return 1\n");
	repeat(want, "x = [1, 2, 3, 4, 5, 6, 7, 8, 9]\n", 4000);
}

/* 90 nested functions, one deeper each (CPython allows 100 levels). */
static void gen_deep(impact_buf *src, impact_buf *want)
{
	for (int i = 0; i < 90; i++) {
		repeat(src, " ", (size_t)i);
		impact_buf_printf(src, "def f%d():\n", i);
		repeat(want, " ", (size_t)i);
		impact_buf_printf(want, "def f%d():\n", i);
		repeat(want, " ", (size_t)i + 1);
		impact_buf_puts(want, R "\n");
	}
	repeat(src, " ", 90);
	impact_buf_puts(src, "pass\n");
	repeat(want, " ", 90);
	impact_buf_puts(want, "pass\n");
}

static const mcase cases[] = {
	/* --- where the raise goes ----------------------------------------- */
	{ "simple", "def f():\n    return 1\n", 0, NULL,
	  "def f():\n    " R "\n    return 1\n", 0, 1, 0, NULL, NULL },
	{ "one_line_body", "def f(): return 1\n", 0, NULL,
	  "def f(): " R "; return 1\n", 0, 1, 0, NULL, NULL },
	{ "one_line_ellipsis", "def f(): ...\n", 0, NULL,
	  "def f(): " R "; ...\n", 0, 1, 0, NULL, NULL },
	{ "one_line_semicolons", "def f(): x = 1; return x\n", 0, NULL,
	  "def f(): " R "; x = 1; return x\n", 0, 1, 0, NULL, NULL },
	{ "semicolons_on_own_line", "def f():\n    x = 1; return x\n", 0, NULL,
	  "def f():\n    " R "\n    x = 1; return x\n", 0, 1, 0, NULL, NULL },
	{ "docstring", "def f():\n    \"\"\"Doc.\n\n    More.\n    \"\"\"\n    return 1\n", 0, NULL,
	  "def f():\n    \"\"\"Doc.\n\n    More.\n    \"\"\"\n    " R "\n    return 1\n", 0, 1, 0, NULL, NULL },
	{ "docstring_only", "def f():\n    \"\"\"Doc.\"\"\"\n\nX = 1\n", 0, NULL,
	  "def f():\n    \"\"\"Doc.\"\"\"; " R "\n\nX = 1\n", 0, 1, 0, NULL, NULL },
	{ "docstring_one_line", "def f(): 'doc'; return 1\n", 0, NULL,
	  "def f(): 'doc'; " R "; return 1\n", 0, 1, 0, NULL, NULL },
	{ "docstring_one_line_only", "def f(): 'doc'\n", 0, NULL,
	  "def f(): 'doc'; " R "\n", 0, 1, 0, NULL, NULL },
	{ "docstring_concatenated", "def f():\n    'a' 'b'\n    return 1\n", 0, NULL,
	  "def f():\n    'a' 'b'\n    " R "\n    return 1\n", 0, 1, 0, NULL, NULL },
	{ "docstring_with_comment", "def f():\n    '''d'''  # note\n    # more\n    return 1\n", 0, NULL,
	  "def f():\n    '''d'''  # note\n    # more\n    " R "\n    return 1\n", 0, 1, 0, NULL, NULL },
	{ "fstring_is_no_docstring", "def f(y):\n    f'{y}'\n    return 1\n", 0, NULL,
	  "def f(y):\n    " R "\n    f'{y}'\n    return 1\n", 0, 1, 0, NULL, NULL },
	{ "second_string_is_code", "def f():\n    'doc'\n    'not doc'\n", 0, NULL,
	  "def f():\n    'doc'\n    " R "\n    'not doc'\n", 0, 1, 0, NULL, NULL },
	{ "comment_before_first_statement", "def f():\n    # c\n\n    x = 1\n", 0, NULL,
	  "def f():\n    # c\n\n    " R "\n    x = 1\n", 0, 1, 0, NULL, NULL },
	{ "comment_after_colon", "def f():  # c\n    return 1\n", 0, NULL,
	  "def f():  # c\n    " R "\n    return 1\n", 0, 1, 0, NULL, NULL },
	{ "compound_first_statement", "def f(x):\n    if x:\n        return 1\n    return 2\n", 0, NULL,
	  "def f(x):\n    " R "\n    if x:\n        return 1\n    return 2\n", 0, 1, 0, NULL, NULL },
	{ "with_first_statement", "def f():\n    with open('x') as fh:\n        return fh.read()\n", 0, NULL,
	  "def f():\n    " R "\n    with open('x') as fh:\n        return fh.read()\n", 0, 1, 0, NULL, NULL },
	{ "global_first", "def f():\n    global X\n    X = 1\n", 0, NULL,
	  "def f():\n    " R "\n    global X\n    X = 1\n", 0, 1, 0, NULL, NULL },
	{ "generator", "def g():\n    yield 1\n", 0, NULL,
	  "def g():\n    " R "\n    yield 1\n", 0, 1, 0, NULL, NULL },
	{ "match_statement", "def f(x):\n    match x:\n        case 1:\n            return 1\n", 0, NULL,
	  "def f(x):\n    " R "\n    match x:\n        case 1:\n            return 1\n", 0, 1, 0, NULL, NULL },
	{ "line_continuation", "def f(): \\\n    return 1\n", 0, NULL,
	  "def f(): \\\n    " R "; return 1\n", 0, 1, 0, NULL, NULL },
	{ "multiline_signature", "def f(a,\n      b=(1,\n         2)):\n    return a\n", 0, NULL,
	  "def f(a,\n      b=(1,\n         2)):\n    " R "\n    return a\n", 0, 1, 0, NULL, NULL },
	{ "annotations", "def f(a: int = 1, *args, b: 'str', **kw) -> dict[str, int]:\n    return {}\n", 0, NULL,
	  "def f(a: int = 1, *args, b: 'str', **kw) -> dict[str, int]:\n    " R "\n    return {}\n", 0, 1, 0, NULL, NULL },

	/* --- kinds of functions -------------------------------------------- */
	{ "decorated", "@dec\n@other(1)\ndef f():\n    pass\n", 0, NULL,
	  "@dec\n@other(1)\ndef f():\n    " R "\n    pass\n", 0, 1, 0, NULL, NULL },
	{ "async", "async def f():\n    await g()\n", 0, NULL,
	  "async def f():\n    " R "\n    await g()\n", 0, 1, 0, NULL, NULL },
	{ "async_one_line", "async def f(): return await g()\n", 0, NULL,
	  "async def f(): " R "; return await g()\n", 0, 1, 0, NULL, NULL },
	{ "methods",
	  "class A(Base):\n    x = 1\n\n    def __init__(self):\n        self.y = 2\n\n"
	  "    @property\n    def p(self):\n        '''P.'''\n        return self.y\n\n"
	  "    @staticmethod\n    def s(): return 3\n\n"
	  "    async def a(self):\n        pass\n", 0, NULL,
	  "class A(Base):\n    x = 1\n\n    def __init__(self):\n        " R "\n        self.y = 2\n\n"
	  "    @property\n    def p(self):\n        '''P.'''\n        " R "\n        return self.y\n\n"
	  "    @staticmethod\n    def s(): " R "; return 3\n\n"
	  "    async def a(self):\n        " R "\n        pass\n", 0, 4, 0, NULL, NULL },
	{ "nested", "def outer():\n    def inner():\n        return 1\n    return inner\n", 0, NULL,
	  "def outer():\n    " R "\n    def inner():\n        " R "\n        return 1\n    return inner\n",
	  0, 2, 0, NULL, NULL },
	{ "nested_decorated_first", "def outer():\n    @wraps(f)\n    def inner(): pass\n    return inner\n", 0, NULL,
	  "def outer():\n    " R "\n    @wraps(f)\n    def inner(): " R "; pass\n    return inner\n",
	  0, 2, 0, NULL, NULL },
	{ "class_in_function", "def f():\n    class B:\n        def m(self):\n            return 1\n    return B\n", 0, NULL,
	  "def f():\n    " R "\n    class B:\n        def m(self):\n            " R "\n            return 1\n    return B\n",
	  0, 2, 0, NULL, NULL },
	{ "functions_under_if_and_try",
	  "if X:\n    def f(): pass\nelse:\n    def f():\n        pass\ntry:\n    def g(): pass\nexcept E:\n    pass\n", 0, NULL,
	  "if X:\n    def f(): " R "; pass\nelse:\n    def f():\n        " R "\n        pass\ntry:\n    def g(): " R "; pass\nexcept E:\n    pass\n",
	  0, 3, 0, NULL, NULL },
	{ "lambda_left_alone", "f = lambda: 1\n\ndef g(h=lambda x: x):\n    return h\n", 0, NULL,
	  "f = lambda: 1\n\ndef g(h=lambda x: x):\n    " R "\n    return h\n", 0, 1, 0, NULL, NULL },
	{ "no_function", "X = 1\n\nclass A:\n    y = 2\n", 0, NULL,
	  "X = 1\n\nclass A:\n    y = 2\n", 0, 0, 0, NULL, NULL },
	{ "empty_file", "", 0, NULL, "", 0, 0, 0, NULL, NULL },

	/* --- bytes kept as they were ------------------------------------------ */
	{ "tabs", "class A:\n\tdef f(self):\n\t\treturn 1\n", 0, NULL,
	  "class A:\n\tdef f(self):\n\t\t" R "\n\t\treturn 1\n", 0, 1, 0, NULL, NULL },
	{ "tabs_and_spaces", "def f():\n \t return 1\n", 0, NULL,
	  "def f():\n \t " R "\n \t return 1\n", 0, 1, 0, NULL, NULL },
	{ "crlf", "def f():\r\n    '''d'''\r\n    return 1\r\n\r\nclass A:\r\n    def m(self): pass\r\n", 0, NULL,
	  "def f():\r\n    '''d'''\r\n    " R "\r\n    return 1\r\n\r\nclass A:\r\n    def m(self): " R "; pass\r\n",
	  0, 2, 0, NULL, NULL },
	{ "no_final_newline", "def f():\n    return 1", 0, NULL,
	  "def f():\n    " R "\n    return 1", 0, 1, 0, NULL, NULL },
	{ "latin1_bytes", "# -*- coding: latin-1 -*-\ndef f():\n    return '\xe9t\xe9'\n", 0, NULL,
	  "# -*- coding: latin-1 -*-\ndef f():\n    " R "\n    return '\xe9t\xe9'\n", 0, 1, 0, NULL, NULL },
	{ "utf8_names", "def caf\xc3\xa9():\n    return '\xe2\x82\xac'\n", 0, NULL,
	  "def caf\xc3\xa9():\n    " R "\n    return '\xe2\x82\xac'\n", 0, 1, 0, NULL, NULL },
	{ "bom", "\xef\xbb\xbf" "def f():\n    return 1\n", 0, NULL,
	  "\xef\xbb\xbf" "def f():\n    " R "\n    return 1\n", 0, 1, 0, NULL, NULL },
	{ "many", NULL, 0, gen_many, NULL, 0, 200, 0, NULL, NULL },
	{ "deeply_nested", NULL, 0, gen_deep, NULL, 0, 90, 0, NULL, NULL },

	/* --- refused, with a reason ------------------------------------------- */
	{ "syntax_error", "def f(:\n    return 1\n", 0, NULL, NULL, 0, 0, IMPACT_EINVALID,
	  "syntax error at line 1", NULL },
	{ "syntax_error_later", "def f():\n    return 1\n\nx = = 2\n", 0, NULL, NULL, 0, 0, IMPACT_EINVALID,
	  "syntax error at line 4", NULL },
	{ "unclosed", "def f():\n    return (1,\n", 0, NULL, NULL, 0, 0, IMPACT_EINVALID,
	  "syntax error", NULL },
	{ "nul_byte", NUL_SRC, sizeof(NUL_SRC) - 1, NULL, NULL, 0, 0, IMPACT_EINVALID,
	  "syntax error at line 2", NULL }, /* CPython refuses NUL bytes in source too */
	{ "python2_print_parses", "def f():\n    print 'x'\n", 0, NULL,
	  "def f():\n    " R "\n    print 'x'\n", 0, 1, 0, NULL, NULL },
	{ "bad_marker", "def f(): pass\n", 0, NULL, NULL, 0, 0, IMPACT_EINVALID,
	  "bad marker", "a\"b" },
#if IMPACT_TS_CHILD_COUNT_GUARD
	{ "too_large", NULL, 0, gen_huge, NULL, 0, 0, IMPACT_EINVALID,
	  "too large to mutate safely", NULL },
#else
	{ "large", NULL, 0, gen_huge, NULL, 0, 1, 0, NULL, NULL },
#endif
};

static void run_case(void **state)
{
	const mcase *c = *state;
	impact_mutator *m = impact_mutator_new();
	impact_buf src = IMPACT_BUF_INIT, want = IMPACT_BUF_INIT, out = IMPACT_BUF_INIT;
	size_t n = 12345;
	int rc;

	assert_non_null(m);
	if (c->gen) {
		c->gen(&src, &want);
	} else {
		impact_buf_put(&src, c->src, c->len ? c->len : strlen(c->src));
		if (c->want)
			impact_buf_put(&want, c->want, c->wlen ? c->wlen : strlen(c->want));
	}
	impact_buf_puts(&out, "kept:");
	rc = impact_mutate(m, &out, &n, src.ptr, src.size, c->marker ? c->marker : "M");
	if (c->error) {
		assert_int_equal(rc, c->error);
		assert_non_null(strstr(impact_error_last(), c->message));
		assert_string_equal(out.ptr, "kept:"); /* untouched on failure */
		assert_int_equal(n, 0);
	} else {
		if (rc != 0)
			print_error("case %s: %s\n", c->name, impact_error_last());
		assert_int_equal(rc, 0);
		assert_int_equal(n, c->nfunctions);
		if (c->want || c->gen) {
			if (out.size - 5 != want.size || memcmp(out.ptr + 5, want.ptr, want.size))
				print_error("case %s:\n--- want\n%s\n--- got\n%s\n", c->name, want.ptr,
				            out.ptr + 5);
			assert_int_equal(out.size - 5, want.size);
			assert_memory_equal(out.ptr + 5, want.ptr, want.size);
		}
	}
	impact_buf_release(&src);
	impact_buf_release(&want);
	impact_buf_release(&out);
	impact_mutator_free(m);
}

/* Mutating a mutant adds one more raise per function: the mutator reads its own output. */
static void mutate__twice(void **state)
{
	static const char src[] = "class A:\n    def f(self): return 1\n\ndef g():\n    '''d'''\n";
	impact_mutator *m = impact_mutator_new();
	impact_buf once = IMPACT_BUF_INIT, twice = IMPACT_BUF_INIT;
	size_t n1 = 0, n2 = 0;
	(void)state;
	assert_int_equal(impact_mutate(m, &once, &n1, src, sizeof(src) - 1, "one"), 0);
	assert_int_equal(impact_mutate(m, &twice, &n2, once.ptr, once.size, "two"), 0);
	assert_int_equal(n1, 2);
	assert_int_equal(n2, 2);
	assert_string_equal(twice.ptr,
	                    "class A:\n    def f(self): raise RuntimeError(\"two\"); "
	                    "raise RuntimeError(\"one\"); return 1\n\n"
	                    "def g():\n    '''d'''; raise RuntimeError(\"two\"); raise RuntimeError(\"one\")\n");
	impact_buf_release(&once);
	impact_buf_release(&twice);
	impact_mutator_free(m);
}

/* One mutator serves many modules, good and bad, in turn. */
static void mutate__reuse(void **state)
{
	impact_mutator *m = impact_mutator_new();
	(void)state;
	for (int i = 0; i < 50; i++) {
		impact_buf out = IMPACT_BUF_INIT;
		size_t n = 0;
		const char *src = i % 2 ? "def f(:\n" : "def f():\n    pass\n";
		int rc = impact_mutate(m, &out, &n, src, strlen(src), "M");
		assert_int_equal(rc, i % 2 ? IMPACT_EINVALID : 0);
		assert_int_equal(n, i % 2 ? 0 : 1);
		impact_buf_release(&out);
	}
	impact_mutator_free(m);
}

/* --- one function at a time ------------------------------------------------- */

typedef struct fcase {
	const char *name;
	const char *src;
	const char *candidates; /* "name@line ..." in source order; NULL when listing fails */
	size_t index;           /* the candidate to mutate */
	const char *want;       /* its mutant; NULL with `error` set */
	int error;
	const char *message;
} fcase;

#define NESTED_HEAD \
	"import functools\n\n" \
	"def outer(x):\n"
#define NESTED_OUTER \
	"    def inner():\n" \
	"        return x\n" \
	"    return inner()\n\n" \
	"class A:\n" \
	"    '''doc'''\n" \
	"    @property\n" \
	"    def v(self):\n" \
	"        return 1\n\n" \
	"    @v.setter\n"
#define NESTED_SETTER_HEAD "    def v(self, x): "
#define NESTED_SETTER_TAIL "self.x = x\n\n" \
	"    class B:\n" \
	"        async def m(self):\n" \
	"            '''doc'''\n"
#define NESTED_M_BODY "            await self.n()\n\n"
#define NESTED_TAIL \
	"if True:\n" \
	"    def cond():\n" \
	"        class Local:\n" \
	"            def hidden(self): pass\n" \
	"        return Local\n" \
	"f = lambda: 1\n"
#define NESTED_SRC NESTED_HEAD NESTED_OUTER NESTED_SETTER_HEAD NESTED_SETTER_TAIL \
	NESTED_M_BODY NESTED_TAIL
#define NESTED_CANDIDATES "outer@3 A.v@11 A.v@15 A.B.m@18 cond@23"

static const fcase fcases[] = {
	{ "module_level", NESTED_SRC, NESTED_CANDIDATES, 0,
	  NESTED_HEAD "    " R "\n" NESTED_OUTER NESTED_SETTER_HEAD NESTED_SETTER_TAIL
	  NESTED_M_BODY NESTED_TAIL, 0, NULL },
	{ "one_line_setter", NESTED_SRC, NESTED_CANDIDATES, 2,
	  NESTED_HEAD NESTED_OUTER NESTED_SETTER_HEAD R "; " NESTED_SETTER_TAIL
	  NESTED_M_BODY NESTED_TAIL, 0, NULL },
	{ "method_of_nested_class", NESTED_SRC, NESTED_CANDIDATES, 3,
	  NESTED_HEAD NESTED_OUTER NESTED_SETTER_HEAD NESTED_SETTER_TAIL
	  "            " R "\n" NESTED_M_BODY NESTED_TAIL, 0, NULL },
	{ "docstring_only_crlf", "class C:\r\n    def f(self):\r\n        '''d'''\r\n"
	  "def g():\r\n\tpass\r\n", "C.f@2 g@4", 0,
	  "class C:\r\n    def f(self):\r\n        '''d'''; " R "\r\n"
	  "def g():\r\n\tpass\r\n", 0, NULL },
	{ "tab_indent", "class C:\r\n    def f(self):\r\n        '''d'''\r\n"
	  "def g():\r\n\tpass\r\n", "C.f@2 g@4", 1,
	  "class C:\r\n    def f(self):\r\n        '''d'''\r\n"
	  "def g():\r\n\t" R "\r\n\tpass\r\n", 0, NULL },
	{ "no_function", "X = 1\nclass C:\n    y = 2\n", "", 0, NULL, IMPACT_EINVALID,
	  "no function 1 in the module (it has 0)" },
	{ "index_past_the_end", "def f(): pass\n", "f@1", 1, NULL, IMPACT_EINVALID,
	  "no function 2 in the module (it has 1)" },
	{ "syntax_error", "def f(:\n    pass\n", NULL, 0, NULL, IMPACT_EINVALID,
	  "syntax error at line 1" },
};

static void run_fcase(void **state)
{
	const fcase *c = *state;
	impact_mutator *m = impact_mutator_new();
	impact_mutate_fns fns = { 0 };
	impact_buf names = IMPACT_BUF_INIT, out = IMPACT_BUF_INIT;
	int rc;

	assert_non_null(m);
	rc = impact_mutate_functions(m, &fns, c->src, strlen(c->src));
	if (!c->candidates) {
		assert_int_equal(rc, c->error);
		assert_int_equal(fns.n, 0);
	} else {
		assert_int_equal(rc, 0);
		impact_buf_puts(&names, "");
		for (size_t i = 0; i < fns.n; i++)
			impact_buf_printf(&names, "%s%s@%u", i ? " " : "", fns.v[i].qualname,
			                  fns.v[i].line);
		assert_string_equal(names.ptr, c->candidates);
	}
	impact_buf_puts(&out, "kept:");
	rc = impact_mutate_function(m, &out, c->src, strlen(c->src), "M", c->index);
	if (c->error) {
		assert_int_equal(rc, c->error);
		assert_non_null(strstr(impact_error_last(), c->message));
		assert_string_equal(out.ptr, "kept:"); /* untouched on failure */
	} else {
		if (rc != 0)
			print_error("case %s: %s\n", c->name, impact_error_last());
		assert_int_equal(rc, 0);
		if (strcmp(out.ptr + 5, c->want))
			print_error("case %s:\n--- want\n%s\n--- got\n%s\n", c->name, c->want,
			            out.ptr + 5);
		assert_string_equal(out.ptr + 5, c->want);
	}
	impact_mutate_fns_release(&fns);
	impact_buf_release(&names);
	impact_buf_release(&out);
	impact_mutator_free(m);
}

/*
 * Every candidate in turn: exactly one raise, on the line after its `def`
 * (or on that line for a one-line body), where the whole-module mutant
 * raises in all seven functions, nested ones included.
 */
static void mutate_function__each_once(void **state)
{
	impact_mutator *m = impact_mutator_new();
	impact_mutate_fns fns = { 0 };
	impact_buf all = IMPACT_BUF_INIT;
	const char *src = NESTED_SRC;
	size_t nall = 0;
	(void)state;
	assert_int_equal(impact_mutate(m, &all, &nall, src, strlen(src), "M"), 0);
	assert_int_equal(nall, 7);
	assert_int_equal(impact_mutate_functions(m, &fns, src, strlen(src)), 0);
	assert_int_equal(fns.n, 5);
	for (size_t i = 0; i < fns.n; i++) {
		impact_buf one = IMPACT_BUF_INIT;
		const char *at, *p;
		uint32_t line = 1;
		assert_int_equal(impact_mutate_function(m, &one, src, strlen(src), "M", i), 0);
		assert_non_null(at = strstr(one.ptr, R));
		assert_null(strstr(at + 1, R));
		for (p = one.ptr; p < at; p++)
			line += *p == '\n';
		assert_true(line == fns.v[i].line || line == fns.v[i].line + 1 ||
		            (line == fns.v[i].line + 2 && strstr(fns.v[i].qualname, "B.m")));
		impact_buf_release(&one);
	}
	impact_mutate_fns_release(&fns);
	impact_buf_release(&all);
	impact_mutator_free(m);
}

int main(void)
{
	size_t n = IMPACT_ARRAY_SIZE(cases), nf = IMPACT_ARRAY_SIZE(fcases), ntests = 0;
	struct CMUnitTest *tests = impact_xcalloc(n + nf + 3, sizeof(*tests));
	char **names = impact_xcalloc(n + nf, sizeof(*names));
	int rc;

	for (size_t i = 0; i < n; i++) {
		impact_buf name = IMPACT_BUF_INIT;
		impact_buf_printf(&name, "mutate__%s", cases[i].name);
		names[i] = impact_buf_detach(&name);
		tests[ntests].name = names[i];
		tests[ntests].test_func = run_case;
		tests[ntests].initial_state = (void *)&cases[i];
		ntests++;
	}
	for (size_t i = 0; i < nf; i++) {
		impact_buf name = IMPACT_BUF_INIT;
		impact_buf_printf(&name, "mutate_function__%s", fcases[i].name);
		names[n + i] = impact_buf_detach(&name);
		tests[ntests].name = names[n + i];
		tests[ntests].test_func = run_fcase;
		tests[ntests].initial_state = (void *)&fcases[i];
		ntests++;
	}
	tests[ntests++] = (struct CMUnitTest)cmocka_unit_test(mutate__twice);
	tests[ntests++] = (struct CMUnitTest)cmocka_unit_test(mutate_function__each_once);
	tests[ntests++] = (struct CMUnitTest)cmocka_unit_test(mutate__reuse);
	rc = _cmocka_run_group_tests("mutate", tests, ntests, NULL, NULL);
	for (size_t i = 0; i < n + nf; i++)
		free(names[i]);
	free(names);
	free(tests);
	return rc;
}
