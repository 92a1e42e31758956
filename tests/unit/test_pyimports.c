/*
 * test_pyimports.c - what impact_pyfacts_extract reads from Python source.
 *
 * Table-driven: a case is a source (or a generator of one) and the exact
 * expected facts rendered as text, one line for the facts and one per
 * import record in order:
 *
 *   facts=SYNTAX_ERROR error=2:7
 *   FROM level=2 module=p name=y as=NULL flags=IN_FUNCTION|CONDITIONAL line=3
 *
 * Adding a case is adding an entry to `cases`. Each runs as its own cmocka
 * test named pyimports__<name>. A few behaviours that need more than one
 * call (the time budget, parser reuse) are plain functions at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pyimports.h"
#include "buf.h"

typedef struct pycase {
	const char *name;
	const char *src; /* NUL-terminated unless len is set */
	size_t len;      /* for sources holding NUL bytes */
	/* Builds the source and the expected text instead of src/want. */
	void (*gen)(impact_buf *src, impact_buf *want);
	const char *want;
} pycase;

static impact_pyparser *parser;

static void put_flags(impact_buf *out, unsigned flags, const char *const *names,
                      size_t nnames)
{
	bool any = false;
	for (size_t i = 0; i < nnames; i++) {
		if (!(flags & (1u << i)))
			continue;
		if (any)
			impact_buf_putc(out, '|');
		impact_buf_puts(out, names[i]);
		any = true;
	}
	if (!any)
		impact_buf_putc(out, '0');
}

static void render(impact_buf *out, const impact_pyfacts *f)
{
	static const char *const facts_names[] = {
		"SYNTAX_ERROR", "DYNAMIC_IMPORT", "TOO_LARGE", "COLLECT_HOOK",
	};
	static const char *const import_names[] = {
		"IN_FUNCTION", "CONDITIONAL", "TYPE_CHECKING", "IN_CLASS",
	};
	static const char *const kinds[] = { "MODULE", "FROM", "DYNAMIC", "PLUGIN" };

	impact_buf_puts(out, "facts=");
	put_flags(out, f->flags, facts_names, IMPACT_ARRAY_SIZE(facts_names));
	if (f->error_line)
		impact_buf_printf(out, " error=%u:%u", f->error_line, f->error_col);
	impact_buf_putc(out, '\n');
	for (size_t i = 0; i < f->nimports; i++) {
		const impact_import *im = &f->imports[i];
		impact_buf_printf(out, "%s level=%u module=%s name=%s as=%s flags=",
		                  im->kind < 4 ? kinds[im->kind] : "?", im->level,
		                  im->module, im->name ? im->name : "NULL",
		                  im->asname ? im->asname : "NULL");
		put_flags(out, im->flags, import_names, IMPACT_ARRAY_SIZE(import_names));
		impact_buf_printf(out, " line=%u\n", im->line);
	}
}

/* ---- generated sources ------------------------------------------------ */

static void repeat(impact_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		impact_buf_puts(b, s);
}

/* 100000 nested, closed parentheses between two imports. */
static void gen_deep_parens(impact_buf *src, impact_buf *want)
{
	impact_buf_puts(src, "import a\nx = ");
	repeat(src, "(", 100000);
	impact_buf_puts(src, "1");
	repeat(src, ")", 100000);
	impact_buf_puts(src, "\nimport b\n");
	impact_buf_puts(want, "facts=0\n"
	                      "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	                      "MODULE level=0 module=b name=NULL as=NULL flags=0 line=3\n");
}

/* 100000 parentheses never closed. */
static void gen_deep_parens_unclosed(impact_buf *src, impact_buf *want)
{
	impact_buf_puts(src, "import a\nx = ");
	repeat(src, "(", 100000);
	impact_buf_puts(src, "\nimport b\n");
#if IMPACT_TS_CHILD_COUNT_GUARD
	/* One statement past the bound that holds `import b`: unknown. */
	impact_buf_puts(want, "facts=TOO_LARGE\n");
#else
	impact_buf_puts(want, "facts=SYNTAX_ERROR error=1:1\n"
	                      "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	                      "MODULE level=0 module=b name=NULL as=NULL flags=0 line=3\n");
#endif
}

/* A call to import_module under 10000 parentheses: a deep walk. */
static void gen_deep_call(impact_buf *src, impact_buf *want)
{
	impact_buf_puts(src, "import a\nx = ");
	repeat(src, "(", 10000);
	impact_buf_puts(src, "importlib.import_module('deep.mod')");
	repeat(src, ")", 10000);
	impact_buf_puts(src, "\nimport b\n");
	impact_buf_puts(want, "facts=0\n"
	                      "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	                      "DYNAMIC level=0 module=deep.mod name=NULL as=NULL flags=0 line=2\n"
	                      "MODULE level=0 module=b name=NULL as=NULL flags=0 line=3\n");
}

/* 5000 nested `if`s, one space deeper each, an import at the bottom. */
static void gen_deep_ifs(impact_buf *src, impact_buf *want)
{
	impact_buf_puts(src, "import a\n");
	for (int i = 0; i < 5000; i++) {
		repeat(src, " ", (size_t)i);
		impact_buf_puts(src, "if x:\n");
	}
	repeat(src, " ", 5000);
	impact_buf_puts(src, "import c\nimport b\n");
#if IMPACT_TS_CHILD_COUNT_GUARD
	impact_buf_puts(want, "facts=TOO_LARGE\n");
#else
	impact_buf_puts(want, "facts=SYNTAX_ERROR error=1:1\n"
	                      "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	                      "MODULE level=0 module=c name=NULL as=NULL flags=CONDITIONAL line=5002\n"
	                      "MODULE level=0 module=b name=NULL as=NULL flags=0 line=5003\n");
#endif
}

/*
 * 90 nested blocks in a function, near CPython's limit (100 levels) and
 * inside the grammar's (indents up to column 255).
 */
static void gen_nested_ifs(impact_buf *src, impact_buf *want)
{
	impact_buf_puts(src, "def f():\n");
	for (int i = 1; i <= 90; i++) {
		repeat(src, "  ", (size_t)i);
		impact_buf_puts(src, i % 2 ? "if x:\n" : "try:\n");
		if (i == 45) {
			repeat(src, "  ", (size_t)i + 1);
			impact_buf_puts(src, "import middle\n");
		}
	}
	repeat(src, "  ", 91);
	impact_buf_puts(src, "import deep\n");
	for (int i = 90; i >= 1; i--) {
		if (i % 2)
			continue;
		repeat(src, "  ", (size_t)i);
		impact_buf_puts(src, "except E:\n");
		repeat(src, "  ", (size_t)i + 1);
		impact_buf_puts(src, "pass\n");
	}
	impact_buf_puts(src, "import top\n");
	impact_buf_puts(want, "facts=0\n"
	                      "MODULE level=0 module=middle name=NULL as=NULL flags=IN_FUNCTION|CONDITIONAL line=47\n"
	                      "MODULE level=0 module=deep name=NULL as=NULL flags=IN_FUNCTION|CONDITIONAL line=93\n"
	                      "MODULE level=0 module=top name=NULL as=NULL flags=0 line=184\n");
}

/*
 * A 20,000-line module: imports, functions with lazy imports, classes,
 * dynamic imports; every record's line and flags must come out right
 * (and, with the guard, across the pieces the module is cut into).
 */
static void gen_20000_lines(impact_buf *src, impact_buf *want)
{
	unsigned line = 1;
	impact_buf_puts(want, "facts=0\n");
	for (int i = 0; line <= 20000; i++) {
		switch (i % 5) {
		case 0:
			impact_buf_printf(src, "import pkg.m%d\n", i);
			impact_buf_printf(want, "MODULE level=0 module=pkg.m%d name=NULL as=NULL flags=0 line=%u\n", i, line);
			line += 1;
			break;
		case 1:
			impact_buf_printf(src, "def f%d(x):\n    '''doc\n    import nothing\n    '''\n    from .r%d import y as z\n    return z\n", i, i);
			impact_buf_printf(want, "FROM level=1 module=r%d name=y as=z flags=IN_FUNCTION line=%u\n", i, line + 4);
			line += 6;
			break;
		case 2:
			impact_buf_printf(src, "# a comment\nclass C%d:\n    try:\n        import c%d\n    except ImportError:\n        pass\n", i, i);
			impact_buf_printf(want, "MODULE level=0 module=c%d name=NULL as=NULL flags=CONDITIONAL|IN_CLASS line=%u\n", i, line + 3);
			line += 6;
			break;
		case 3:
			impact_buf_printf(src, "X%d = importlib.import_module('d%d')\n", i, i);
			impact_buf_printf(want, "DYNAMIC level=0 module=d%d name=NULL as=NULL flags=0 line=%u\n", i, line);
			line += 1;
			break;
		default:
			impact_buf_printf(src, "\nY%d = [\n    %d,\n]\n", i, i);
			line += 4;
			break;
		}
	}
}

/* 70000 comment lines in a row (one node's children past 65535). */
static void gen_comment_run(impact_buf *src, impact_buf *want)
{
	impact_buf_puts(src, "import a\n");
	repeat(src, "# comment\n", 70000);
	impact_buf_puts(src, "import b\n");
	impact_buf_puts(want, "facts=0\n"
	                      "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	                      "MODULE level=0 module=b name=NULL as=NULL flags=0 line=70002\n");
}

/* 70000 lines of garbage: one large error region. */
static void gen_garbage_lines(impact_buf *src, impact_buf *want)
{
	impact_buf_puts(src, "import a\n");
	repeat(src, "-\n", 70000);
	impact_buf_puts(src, "import b\n");
	/* Where recovery puts the first error depends on how it was cut (past
	 * MEMORY_MAX_UNITS it is cut with either runtime). */
	impact_buf_puts(want, "facts=SYNTAX_ERROR error=1:1\n"
	                      "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	                      "MODULE level=0 module=b name=NULL as=NULL flags=0 line=70002\n");
}

/* A long data literal with no import in it, then an import. */
static void gen_big_literal(impact_buf *src, impact_buf *want)
{
	impact_buf_puts(src, "import a\nDATA = [\n");
	repeat(src, "    'x', 1, 2.0,\n", 20000);
	impact_buf_puts(src, "]\nimport b\n");
	impact_buf_puts(want, "facts=0\n"
	                      "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	                      "MODULE level=0 module=b name=NULL as=NULL flags=0 line=20004\n");
}

/* One class of 10000 import lines: a single statement past the bound. */
static void gen_big_class(impact_buf *src, impact_buf *want)
{
	impact_buf_puts(src, "class A:\n");
	repeat(src, "    import a\n", 10000);
#if IMPACT_TS_CHILD_COUNT_GUARD
	impact_buf_puts(want, "facts=TOO_LARGE\n");
#else
	impact_buf_puts(want, "facts=0\n");
	for (int i = 0; i < 10000; i++)
		impact_buf_printf(want, "MODULE level=0 module=a name=NULL as=NULL flags=IN_CLASS line=%d\n", i + 2);
#endif
}

/* Just over IMPACT_PYFACTS_MAX_SOURCE: not parsed at all. */
static void gen_too_large(impact_buf *src, impact_buf *want)
{
	impact_buf chunk = IMPACT_BUF_INIT;
	repeat(&chunk, "import a\n", 100000);
	impact_buf_grow(src, IMPACT_PYFACTS_MAX_SOURCE + chunk.size);
	while (src->size <= IMPACT_PYFACTS_MAX_SOURCE)
		impact_buf_put(src, chunk.ptr, chunk.size);
	impact_buf_release(&chunk);
	impact_buf_puts(want, "facts=TOO_LARGE\n");
}

/* ---- the cases -------------------------------------------------------- */

static const pycase cases[] = {
	/* import statements */
	{ "import_plain", "import a.b.c\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=a.b.c name=NULL as=NULL flags=0 line=1\n" },
	{ "import_as", "\n\nimport a.b as x\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=a.b name=NULL as=x flags=0 line=3\n" },
	{ "import_several", "import a, b.c as d, e\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	  "MODULE level=0 module=b.c name=NULL as=d flags=0 line=1\n"
	  "MODULE level=0 module=e name=NULL as=NULL flags=0 line=1\n" },
	{ "import_spaced_and_continued", "import a . b\nimport c.\\\n    d\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=a.b name=NULL as=NULL flags=0 line=1\n"
	  "MODULE level=0 module=c.d name=NULL as=NULL flags=0 line=2\n" },
	{ "from_plain", "from a.b import c\n", 0, NULL,
	  "facts=0\n"
	  "FROM level=0 module=a.b name=c as=NULL flags=0 line=1\n" },
	{ "from_parenthesized",
	  "from a import (b as x,\n"
	  "    c,  # why\n"
	  ")\n", 0, NULL,
	  "facts=0\n"
	  "FROM level=0 module=a name=b as=x flags=0 line=1\n"
	  "FROM level=0 module=a name=c as=NULL flags=0 line=1\n" },
	{ "relative_from",
	  "from . import x\n"
	  "from ..p import y\n"
	  "from .. import *\n"
	  "from ...a.b import c as d\n"
	  "from . . q import r\n", 0, NULL,
	  "facts=0\n"
	  "FROM level=1 module= name=x as=NULL flags=0 line=1\n"
	  "FROM level=2 module=p name=y as=NULL flags=0 line=2\n"
	  "FROM level=2 module= name=* as=NULL flags=0 line=3\n"
	  "FROM level=3 module=a.b name=c as=d flags=0 line=4\n"
	  "FROM level=2 module=q name=r as=NULL flags=0 line=5\n" },
	{ "from_star", "from a.b import *\n", 0, NULL,
	  "facts=0\n"
	  "FROM level=0 module=a.b name=* as=NULL flags=0 line=1\n" },
	{ "future_skipped",
	  "from __future__ import annotations, division\n"
	  "from __future__ import (generators)\n"
	  "import a\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=0 line=3\n" },

	/* where an import sits */
	{ "in_function",
	  "def f():\n"
	  "    import a\n"
	  "    async def g():\n"
	  "        from b import c\n"
	  "async def h(x=import_module('dflt')):\n"
	  "    import d\n"
	  "k = lambda: import_module('e')\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=IN_FUNCTION line=2\n"
	  "FROM level=0 module=b name=c as=NULL flags=IN_FUNCTION line=4\n"
	  "DYNAMIC level=0 module=dflt name=NULL as=NULL flags=0 line=5\n"
	  "MODULE level=0 module=d name=NULL as=NULL flags=IN_FUNCTION line=6\n"
	  "DYNAMIC level=0 module=e name=NULL as=NULL flags=IN_FUNCTION line=7\n" },
	{ "in_class",
	  "class A(Base, metaclass=import_module('meta').M):\n"
	  "    import a\n"
	  "    def m(self):\n"
	  "        import b\n"
	  "    class B:\n"
	  "        import c\n"
	  "def f():\n"
	  "    class C:\n"
	  "        import d\n", 0, NULL,
	  "facts=0\n"
	  "DYNAMIC level=0 module=meta name=NULL as=NULL flags=0 line=1\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=IN_CLASS line=2\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=IN_FUNCTION line=4\n"
	  "MODULE level=0 module=c name=NULL as=NULL flags=IN_CLASS line=6\n"
	  "MODULE level=0 module=d name=NULL as=NULL flags=IN_FUNCTION|IN_CLASS line=9\n" },
	{ "decorators_run_at_definition",
	  "@register(import_module('a'))\n"
	  "def f(x=__import__('b')) -> import_module('c'):\n"
	  "    pass\n", 0, NULL,
	  "facts=0\n"
	  "DYNAMIC level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	  "DYNAMIC level=0 module=b name=NULL as=NULL flags=0 line=2\n"
	  "DYNAMIC level=0 module=c name=NULL as=NULL flags=0 line=2\n" },
	{ "conditional_try",
	  "try:\n"
	  "    import a\n"
	  "except ImportError:\n"
	  "    import b\n"
	  "except* ValueError:\n"
	  "    import g\n"
	  "else:\n"
	  "    import c\n"
	  "finally:\n"
	  "    import d\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=CONDITIONAL line=2\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=CONDITIONAL line=4\n"
	  "MODULE level=0 module=g name=NULL as=NULL flags=CONDITIONAL line=6\n"
	  "MODULE level=0 module=c name=NULL as=NULL flags=CONDITIONAL line=8\n"
	  "MODULE level=0 module=d name=NULL as=NULL flags=CONDITIONAL line=10\n" },
	{ "conditional_if",
	  "if import_module('cond'):\n"
	  "    import a\n"
	  "elif import_module('cond2'):\n"
	  "    import b\n"
	  "else:\n"
	  "    import c\n", 0, NULL,
	  "facts=0\n"
	  "DYNAMIC level=0 module=cond name=NULL as=NULL flags=0 line=1\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=CONDITIONAL line=2\n"
	  "DYNAMIC level=0 module=cond2 name=NULL as=NULL flags=CONDITIONAL line=3\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=CONDITIONAL line=4\n"
	  "MODULE level=0 module=c name=NULL as=NULL flags=CONDITIONAL line=6\n" },
	{ "conditional_loops",
	  "with open(p) as f:\n"
	  "    import a\n"
	  "for x in y:\n"
	  "    import b\n"
	  "else:\n"
	  "    import c\n"
	  "while x:\n"
	  "    import d\n"
	  "async def f():\n"
	  "    async with x:\n"
	  "        import e\n"
	  "match x:\n"
	  "    case 1:\n"
	  "        import f\n"
	  "    case _:\n"
	  "        import g\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=CONDITIONAL line=2\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=CONDITIONAL line=4\n"
	  "MODULE level=0 module=c name=NULL as=NULL flags=CONDITIONAL line=6\n"
	  "MODULE level=0 module=d name=NULL as=NULL flags=CONDITIONAL line=8\n"
	  "MODULE level=0 module=e name=NULL as=NULL flags=IN_FUNCTION|CONDITIONAL line=11\n"
	  "MODULE level=0 module=f name=NULL as=NULL flags=CONDITIONAL line=14\n"
	  "MODULE level=0 module=g name=NULL as=NULL flags=CONDITIONAL line=16\n" },
	{ "flags_combine",
	  "def f():\n"
	  "    try:\n"
	  "        from .x import y\n"
	  "    except ImportError:\n"
	  "        y = None\n"
	  "class K:\n"
	  "    if cond:\n"
	  "        import z\n", 0, NULL,
	  "facts=0\n"
	  "FROM level=1 module=x name=y as=NULL flags=IN_FUNCTION|CONDITIONAL line=3\n"
	  "MODULE level=0 module=z name=NULL as=NULL flags=CONDITIONAL|IN_CLASS line=8\n" },
	{ "type_checking",
	  "from typing import TYPE_CHECKING\n"
	  "if TYPE_CHECKING:\n"
	  "    import a\n"
	  "elif x:\n"
	  "    import b\n"
	  "else:\n"
	  "    import c\n"
	  "if typing.TYPE_CHECKING:\n"
	  "    import d\n"
	  "if (t.TYPE_CHECKING):\n"
	  "    import e\n", 0, NULL,
	  "facts=0\n"
	  "FROM level=0 module=typing name=TYPE_CHECKING as=NULL flags=0 line=1\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=CONDITIONAL|TYPE_CHECKING line=3\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=CONDITIONAL line=5\n"
	  "MODULE level=0 module=c name=NULL as=NULL flags=CONDITIONAL line=7\n"
	  "MODULE level=0 module=d name=NULL as=NULL flags=CONDITIONAL|TYPE_CHECKING line=9\n"
	  "MODULE level=0 module=e name=NULL as=NULL flags=CONDITIONAL|TYPE_CHECKING line=11\n" },
	{ "type_checking_negated",
	  "if not TYPE_CHECKING:\n"
	  "    import a\n"
	  "else:\n"
	  "    import b\n"
	  "if x:\n"
	  "    pass\n"
	  "elif TYPE_CHECKING:\n"
	  "    import c\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=CONDITIONAL line=2\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=CONDITIONAL|TYPE_CHECKING line=4\n"
	  "MODULE level=0 module=c name=NULL as=NULL flags=CONDITIONAL|TYPE_CHECKING line=8\n" },
	{ "type_checking_in_function",
	  "def f():\n"
	  "    if TYPE_CHECKING:\n"
	  "        from a import B\n", 0, NULL,
	  "facts=0\n"
	  "FROM level=0 module=a name=B as=NULL flags=IN_FUNCTION|CONDITIONAL|TYPE_CHECKING line=3\n" },
	{ "not_type_checking_lookalikes",
	  "if TYPE_CHECKING_X:\n"
	  "    import a\n"
	  "if TYPE_CHECKING():\n"
	  "    import b\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=CONDITIONAL line=2\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=CONDITIONAL line=4\n" },

	/* importlib.import_module and __import__ */
	{ "dynamic_callees",
	  "importlib.import_module('a.b')\n"
	  "import_module(\"c\")\n"
	  "x.y.import_module('d')\n"
	  "__import__('e.f')\n"
	  "importlib.__import__('g')\n"
	  "builtins.__import__('h')\n", 0, NULL,
	  "facts=0\n"
	  "DYNAMIC level=0 module=a.b name=NULL as=NULL flags=0 line=1\n"
	  "DYNAMIC level=0 module=c name=NULL as=NULL flags=0 line=2\n"
	  "DYNAMIC level=0 module=d name=NULL as=NULL flags=0 line=3\n"
	  "DYNAMIC level=0 module=e.f name=NULL as=NULL flags=0 line=4\n"
	  "DYNAMIC level=0 module=g name=NULL as=NULL flags=0 line=5\n"
	  "DYNAMIC level=0 module=h name=NULL as=NULL flags=0 line=6\n" },
	{ "dynamic_relative",
	  "import_module('.sub', package=__name__)\n"
	  "import_module(\"..x.y\", __package__)\n"
	  "import_module('.', 'pkg')\n", 0, NULL,
	  "facts=0\n"
	  "DYNAMIC level=1 module=sub name=NULL as=NULL flags=0 line=1\n"
	  "DYNAMIC level=2 module=x.y name=NULL as=NULL flags=0 line=2\n"
	  "DYNAMIC level=1 module= name=NULL as=NULL flags=0 line=3\n" },
	{ "dynamic_keyword_name",
	  "import_module(package='p', name='a.b')\n"
	  "__import__(name='c')\n", 0, NULL,
	  "facts=0\n"
	  "DYNAMIC level=0 module=a.b name=NULL as=NULL flags=0 line=1\n"
	  "DYNAMIC level=0 module=c name=NULL as=NULL flags=0 line=2\n" },
	{ "dynamic_fromlist",
	  "__import__('a.b', fromlist=['c', \"d\"])\n"
	  "__import__('x', globals(), locals(), ('y',), 0)\n"
	  "__import__('p', fromlist=None)\n"
	  "__import__('q', globals(), locals(), [], 2)\n"
	  "__import__('r', level=1, fromlist=['s'])\n", 0, NULL,
	  "facts=0\n"
	  "DYNAMIC level=0 module=a.b name=NULL as=NULL flags=0 line=1\n"
	  "FROM level=0 module=a.b name=c as=NULL flags=0 line=1\n"
	  "FROM level=0 module=a.b name=d as=NULL flags=0 line=1\n"
	  "DYNAMIC level=0 module=x name=NULL as=NULL flags=0 line=2\n"
	  "FROM level=0 module=x name=y as=NULL flags=0 line=2\n"
	  "DYNAMIC level=0 module=p name=NULL as=NULL flags=0 line=3\n"
	  "DYNAMIC level=2 module=q name=NULL as=NULL flags=0 line=4\n"
	  "DYNAMIC level=1 module=r name=NULL as=NULL flags=0 line=5\n"
	  "FROM level=1 module=r name=s as=NULL flags=0 line=5\n" },
	{ "dynamic_fromlist_not_literal",
	  "__import__('a', fromlist=names)\n"
	  "__import__('b', fromlist=['c', name])\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n"
	  "DYNAMIC level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	  "DYNAMIC level=0 module=b name=NULL as=NULL flags=0 line=2\n"
	  "FROM level=0 module=b name=c as=NULL flags=0 line=2\n" },
	{ "dynamic_implicit_concat",
	  "import_module('pkg' \".mod\"\n"
	  "              '.leaf')\n"
	  "import_module(('parens'))\n", 0, NULL,
	  "facts=0\n"
	  "DYNAMIC level=0 module=pkg.mod.leaf name=NULL as=NULL flags=0 line=1\n"
	  "DYNAMIC level=0 module=parens name=NULL as=NULL flags=0 line=3\n" },
	{ "dynamic_in_context",
	  "def load():\n"
	  "    try:\n"
	  "        return importlib.import_module('opt')\n"
	  "    except ImportError:\n"
	  "        return None\n"
	  "if TYPE_CHECKING:\n"
	  "    __import__('tc')\n", 0, NULL,
	  "facts=0\n"
	  "DYNAMIC level=0 module=opt name=NULL as=NULL flags=IN_FUNCTION|CONDITIONAL line=3\n"
	  "DYNAMIC level=0 module=tc name=NULL as=NULL flags=CONDITIONAL|TYPE_CHECKING line=7\n" },
	{ "dynamic_nested_call",
	  "import_module(import_module('a').NAME)\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n"
	  "DYNAMIC level=0 module=a name=NULL as=NULL flags=0 line=1\n" },
	{ "dynamic_variable", "importlib.import_module(name)\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n" },
	{ "dynamic_fstring", "import_module(f'plugins.{name}')\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n" },
	/* The grammar parses a splat first in a list as the callee's: (*__import__)(name). */
	{ "dynamic_splatted", "MODS = [*__import__(name).__all__]\nX = {*__import__('lit').ALL}\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n"
	  "DYNAMIC level=0 module=lit name=NULL as=NULL flags=0 line=2\n" },
	{ "dynamic_fstring_plain", "__import__(F'plain')\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n" },
	{ "dynamic_concat_name", "import_module('plugins.' + name)\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n" },
	{ "dynamic_bytes", "import_module(b'a.b')\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n" },
	{ "dynamic_no_argument", "import_module()\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n" },
	{ "dynamic_splat", "import_module(*args)\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n" },
	{ "dynamic_format_method", "import_module('a.{}'.format(x))\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n" },
	{ "not_import_calls",
	  "x.import_modules('a')\n"
	  "my_import_module('b')\n"
	  "f = importlib.import_module\n"
	  "s = \"import_module('c')\"\n"
	  "# import_module('d')\n"
	  "import_module.cache_clear('e')\n", 0, NULL,
	  "facts=0\n" },

	/* string literal forms */
	{ "string_prefixes",
	  "import_module(r'a.b')\n"
	  "import_module(u\"c\")\n"
	  "import_module(R'd')\n"
	  "import_module(U'''e''')\n"
	  "import_module(\"\"\"f\"\"\")\n", 0, NULL,
	  "facts=0\n"
	  "DYNAMIC level=0 module=a.b name=NULL as=NULL flags=0 line=1\n"
	  "DYNAMIC level=0 module=c name=NULL as=NULL flags=0 line=2\n"
	  "DYNAMIC level=0 module=d name=NULL as=NULL flags=0 line=3\n"
	  "DYNAMIC level=0 module=e name=NULL as=NULL flags=0 line=4\n"
	  "DYNAMIC level=0 module=f name=NULL as=NULL flags=0 line=5\n" },
	{ "string_escapes",
	  "import_module('\\x61\\u0062.\\U00000063')\n"
	  "import_module(\"q\\\"\")\n"
	  "import_module('it\\'s')\n"
	  "import_module('back\\\\slash')\n"
	  "import_module('caf\\xe9')\n"
	  "import_module('\\141\\142')\n"
	  "import_module('tab\\tnl\\n')\n"
	  "import_module('odd\\q\\N{DASH}')\n"
	  "import_module(r'raw\\x41')\n"
	  "import_module('joined\\\n"
	  "line')\n", 0, NULL,
	  "facts=0\n"
	  "DYNAMIC level=0 module=ab.c name=NULL as=NULL flags=0 line=1\n"
	  "DYNAMIC level=0 module=q\" name=NULL as=NULL flags=0 line=2\n"
	  "DYNAMIC level=0 module=it's name=NULL as=NULL flags=0 line=3\n"
	  "DYNAMIC level=0 module=back\\slash name=NULL as=NULL flags=0 line=4\n"
	  "DYNAMIC level=0 module=caf\xc3\xa9 name=NULL as=NULL flags=0 line=5\n"
	  "DYNAMIC level=0 module=ab name=NULL as=NULL flags=0 line=6\n"
	  "DYNAMIC level=0 module=tab\tnl\n name=NULL as=NULL flags=0 line=7\n"
	  "DYNAMIC level=0 module=odd\\q\\N{DASH} name=NULL as=NULL flags=0 line=8\n"
	  "DYNAMIC level=0 module=raw\\x41 name=NULL as=NULL flags=0 line=9\n"
	  "DYNAMIC level=0 module=joinedline name=NULL as=NULL flags=0 line=10\n" },
	{ "string_nul_escape", "import_module('a\\x00b')\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n" },

	/* pytest_plugins */
	{ "plugins_string", "pytest_plugins = \"a.b\"\n", 0, NULL,
	  "facts=0\n"
	  "PLUGIN level=0 module=a.b name=NULL as=NULL flags=0 line=1\n" },
	{ "plugins_sequences",
	  "pytest_plugins = [\n"
	  "    'a',\n"
	  "    \"b.c\",  # comment\n"
	  "]\n"
	  "pytest_plugins = ('d', 'e')\n"
	  "pytest_plugins = 'f', 'g'\n"
	  "pytest_plugins += ['h']\n"
	  "pytest_plugins: list = ['i']\n"
	  "other = pytest_plugins = ['j']\n"
	  "pytest_plugins = ['k'] + ('l',)\n"
	  "pytest_plugins = (('m'))\n", 0, NULL,
	  "facts=0\n"
	  "PLUGIN level=0 module=a name=NULL as=NULL flags=0 line=2\n"
	  "PLUGIN level=0 module=b.c name=NULL as=NULL flags=0 line=3\n"
	  "PLUGIN level=0 module=d name=NULL as=NULL flags=0 line=5\n"
	  "PLUGIN level=0 module=e name=NULL as=NULL flags=0 line=5\n"
	  "PLUGIN level=0 module=f name=NULL as=NULL flags=0 line=6\n"
	  "PLUGIN level=0 module=g name=NULL as=NULL flags=0 line=6\n"
	  "PLUGIN level=0 module=h name=NULL as=NULL flags=0 line=7\n"
	  "PLUGIN level=0 module=i name=NULL as=NULL flags=0 line=8\n"
	  "PLUGIN level=0 module=j name=NULL as=NULL flags=0 line=9\n"
	  "PLUGIN level=0 module=k name=NULL as=NULL flags=0 line=10\n"
	  "PLUGIN level=0 module=l name=NULL as=NULL flags=0 line=10\n"
	  "PLUGIN level=0 module=m name=NULL as=NULL flags=0 line=11\n" },
	{ "plugins_not_literal",
	  "pytest_plugins = ['a', name]\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n"
	  "PLUGIN level=0 module=a name=NULL as=NULL flags=0 line=1\n" },
	{ "plugins_from_function", "pytest_plugins = find_plugins()\n", 0, NULL,
	  "facts=DYNAMIC_IMPORT\n" },
	{ "plugins_conditional",
	  "try:\n"
	  "    import xdist\n"
	  "    pytest_plugins = ['xdist.plugin']\n"
	  "except ImportError:\n"
	  "    pytest_plugins = []\n"
	  "if sys.platform == 'win32':\n"
	  "    pytest_plugins += ['win']\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=xdist name=NULL as=NULL flags=CONDITIONAL line=2\n"
	  "PLUGIN level=0 module=xdist.plugin name=NULL as=NULL flags=CONDITIONAL line=3\n"
	  "PLUGIN level=0 module=win name=NULL as=NULL flags=CONDITIONAL line=7\n" },
	{ "plugins_not_module_level",
	  "def f():\n"
	  "    pytest_plugins = ['a']\n"
	  "class C:\n"
	  "    pytest_plugins = ['b']\n"
	  "pytest_plugins_x = ['c']\n", 0, NULL,
	  "facts=0\n" },

	/* pytest_collect_file */
	{ "collect_hook_plain",
	  "def pytest_collect_file(parent, file_path):\n"
	  "    return None\n", 0, NULL,
	  "facts=COLLECT_HOOK\n" },
	{ "collect_hook_decorated",
	  "@pytest.hookimpl(tryfirst=True)\n"
	  "async def pytest_collect_file(parent, file_path):\n"
	  "    pass\n", 0, NULL,
	  "facts=COLLECT_HOOK\n" },
	{ "collect_hook_not_top_level",
	  "class Plugin:\n"
	  "    def pytest_collect_file(self, parent):\n"
	  "        pass\n"
	  "def outer():\n"
	  "    def pytest_collect_file(parent):\n"
	  "        pass\n"
	  "def pytest_collect_files(parent):\n"
	  "    pass\n", 0, NULL,
	  "facts=0\n" },

	/* malformed input */
	{ "syntax_error_keeps_imports",
	  "import a\n"
	  "def f(:\n"
	  "    import b\n"
	  "import c\n", 0, NULL,
	  "facts=SYNTAX_ERROR error=2:7\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=IN_FUNCTION line=3\n"
	  "MODULE level=0 module=c name=NULL as=NULL flags=0 line=4\n" },
	{ "syntax_error_inside_error_node",
	  "import a\n"
	  "x = (\n"
	  "import c\n"
	  "from .d import e as f, g\n", 0, NULL,
	  "facts=SYNTAX_ERROR error=2:1\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	  "MODULE level=0 module=c name=NULL as=NULL flags=0 line=3\n"
	  "FROM level=1 module=d name=e as=f flags=0 line=4\n"
	  "FROM level=1 module=d name=g as=NULL flags=0 line=4\n" },
	{ "syntax_error_import_read_as_name",
	  "import a\n"
	  "not\n"
	  "import b\n", 0, NULL,
	  "facts=SYNTAX_ERROR error=3:1\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=0 line=3\n" },
	{ "syntax_error_spares_strings",
	  "'''\n"
	  "import not_real\n"
	  "'''\n"
	  "# import nor_this\n"
	  "import real\n"
	  "def f(:\n", 0, NULL,
	  "facts=SYNTAX_ERROR error=6:7\n"
	  "MODULE level=0 module=real name=NULL as=NULL flags=0 line=5\n" },
	{ "unterminated_string",
	  "import a\n"
	  "x = \"abc\n"
	  "import b\n", 0, NULL,
	  "facts=SYNTAX_ERROR error=2:5\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=0 line=3\n" },
	/* tree-sitter drops the lone quotes and reads the next line as code */
	{ "unterminated_triple_string",
	  "import a\n"
	  "x = '''abc\n"
	  "import b\n", 0, NULL,
	  "facts=SYNTAX_ERROR error=2:5\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=0 line=3\n" },
	{ "non_utf8",
	  "import a\n"
	  "\xff\xfe = '\xc3\x28'\n"
	  "import b\xff\n"
	  "import c\n", 0, NULL,
	  "facts=SYNTAX_ERROR error=2:1\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=0 line=3\n"
	  "MODULE level=0 module=c name=NULL as=NULL flags=0 line=4\n" },
	{ "nul_bytes",
	  "import a\n\0\0\nimport\0 b\nimport c\n", 32, NULL,
	  "facts=SYNTAX_ERROR error=2:1\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=0 line=3\n"
	  "MODULE level=0 module=c name=NULL as=NULL flags=0 line=4\n" },
	{ "crlf",
	  "import a\r\n"
	  "if x:\r\n"
	  "    from b import (c,\r\n"
	  "        d)\r\n"
	  "import_module('e')\r\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	  "FROM level=0 module=b name=c as=NULL flags=CONDITIONAL line=3\n"
	  "FROM level=0 module=b name=d as=NULL flags=CONDITIONAL line=3\n"
	  "DYNAMIC level=0 module=e name=NULL as=NULL flags=0 line=5\n" },
	{ "bom",
	  "\xef\xbb\xbfimport a\n"
	  "import b\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=0 line=1\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=0 line=2\n" },
	{ "tabs",
	  "if x:\n"
	  "\timport a\n"
	  "\tif y:\n"
	  "\t\timport b\n"
	  "def f():\n"
	  "\timport c\n", 0, NULL,
	  "facts=0\n"
	  "MODULE level=0 module=a name=NULL as=NULL flags=CONDITIONAL line=2\n"
	  "MODULE level=0 module=b name=NULL as=NULL flags=CONDITIONAL line=4\n"
	  "MODULE level=0 module=c name=NULL as=NULL flags=IN_FUNCTION line=6\n" },
	{ "empty", "", 0, NULL, "facts=0\n" },
	{ "only_comments",
	  "# import a\n"
	  "# from b import c\n"
	  "#!/usr/bin/env python\n", 0, NULL,
	  "facts=0\n" },
	{ "no_imports",
	  "x = 1\n"
	  "def f():\n"
	  "    return x\n", 0, NULL,
	  "facts=0\n" },

	/* size and depth */
	{ "deep_parens", NULL, 0, gen_deep_parens, NULL },
	{ "deep_parens_unclosed", NULL, 0, gen_deep_parens_unclosed, NULL },
	{ "deep_call", NULL, 0, gen_deep_call, NULL },
	{ "deep_ifs", NULL, 0, gen_deep_ifs, NULL },
	{ "nested_ifs", NULL, 0, gen_nested_ifs, NULL },
	{ "lines_20000", NULL, 0, gen_20000_lines, NULL },
	{ "comment_run", NULL, 0, gen_comment_run, NULL },
	{ "garbage_lines", NULL, 0, gen_garbage_lines, NULL },
	{ "big_literal", NULL, 0, gen_big_literal, NULL },
	{ "big_class", NULL, 0, gen_big_class, NULL },
	{ "too_large", NULL, 0, gen_too_large, NULL },
};

/* One case's buffers, freed by the teardown even when an assert fails. */
typedef struct run {
	const pycase *c;
	impact_buf src, want, got;
	impact_pyfacts *facts;
} run;

static int case_setup(void **state)
{
	run *r = impact_xcalloc(1, sizeof(*r));
	r->c = *state;
	impact_buf_init(&r->src);
	impact_buf_init(&r->want);
	impact_buf_init(&r->got);
	*state = r;
	return 0;
}

static int case_teardown(void **state)
{
	run *r = *state;
	impact_pyfacts_free(r->facts);
	impact_buf_release(&r->src);
	impact_buf_release(&r->want);
	impact_buf_release(&r->got);
	free(r);
	return 0;
}

static void run_case(void **state)
{
	run *r = *state;
	const char *s;
	size_t len;

	if (r->c->gen) {
		r->c->gen(&r->src, &r->want);
		s = r->src.ptr;
		len = r->src.size;
	} else {
		impact_buf_puts(&r->want, r->c->want);
		s = r->c->src;
		len = r->c->len ? r->c->len : strlen(r->c->src);
	}
	assert_int_equal(impact_pyfacts_extract(&r->facts, parser, s, len), 0);
	assert_non_null(r->facts);
	render(&r->got, r->facts);
	assert_string_equal(r->got.ptr, r->want.ptr);
}

/* The parse budget of every case but the timeout's own: 10 minutes. */
#define TEST_BUDGET_US (600ull * 1000 * 1000)

/* ---- behaviours beyond one extraction --------------------------------- */

static void extract_render(impact_buf *out, const char *src, size_t len)
{
	impact_pyfacts *facts = NULL;
	impact_buf_clear(out);
	assert_int_equal(impact_pyfacts_extract(&facts, parser, src, len), 0);
	render(out, facts);
	impact_pyfacts_free(facts);
}

/* A parse out of time is TOO_LARGE with no imports; the parser recovers. */
static void test_timeout(void **state)
{
	impact_buf src = IMPACT_BUF_INIT, got = IMPACT_BUF_INIT;
	IMPACT_UNUSED(state);

	impact_buf_puts(&src, "import first\n");
	for (int i = 0; i < 4000; i++)
		impact_buf_printf(&src, "def f%d(a, b=(1, 2), *c, **d):\n    return [x for x in a if x]\n", i);
	impact_buf_puts(&src, "import last\n");

	impact_pyparser_set_timeout(parser, 1);
	extract_render(&got, src.ptr, src.size);
	assert_string_equal(got.ptr, "facts=TOO_LARGE\n");

	impact_pyparser_set_timeout(parser, TEST_BUDGET_US);
	extract_render(&got, src.ptr, src.size);
	assert_string_equal(got.ptr,
	                    "facts=0\n"
	                    "MODULE level=0 module=first name=NULL as=NULL flags=0 line=1\n"
	                    "MODULE level=0 module=last name=NULL as=NULL flags=0 line=8002\n");
	impact_buf_release(&src);
	impact_buf_release(&got);
}

/* One parser, many files, including after errors: nothing leaks across. */
static void test_parser_reuse(void **state)
{
	impact_buf got = IMPACT_BUF_INIT;
	IMPACT_UNUSED(state);
	for (int i = 0; i < 3; i++) {
		extract_render(&got, "def f(:\n", 8);
		assert_string_equal(got.ptr, "facts=SYNTAX_ERROR error=1:7\n");
		extract_render(&got, "import ok\n", 10);
		assert_string_equal(got.ptr, "facts=0\n"
		                             "MODULE level=0 module=ok name=NULL as=NULL flags=0 line=1\n");
	}
	impact_buf_release(&got);
}

static void test_null_source(void **state)
{
	impact_pyfacts *facts = NULL;
	IMPACT_UNUSED(state);
	assert_int_equal(impact_pyfacts_extract(&facts, parser, NULL, 0), 0);
	assert_int_equal(facts->nimports, 0);
	assert_int_equal(facts->flags, 0);
	impact_pyfacts_free(facts);
	impact_pyfacts_free(NULL);
	impact_pyparser_free(NULL);
}

static int group_setup(void **state)
{
	IMPACT_UNUSED(state);
	parser = impact_pyparser_new();
	/* These cases check what is read, not how fast: a sanitizer build
	 * parses the stress cases slower than the default budget allows. */
	if (parser)
		impact_pyparser_set_timeout(parser, TEST_BUDGET_US);
	return parser ? 0 : -1;
}

static int group_teardown(void **state)
{
	IMPACT_UNUSED(state);
	impact_pyparser_free(parser);
	return 0;
}

/* ---- string evidence ---------------------------------------------------- */

typedef struct scase {
	const char *name, *src;
	const char *expect; /* "M:text@line P:text@line ..." in order */
} scase;

static const scase string_cases[] = {
	{ "module_and_paths",
	  "TABLE = {'py': 'pkg.lexers.python', 'c': \"pkg.lexers.c_cpp\"}\n"
	  "EX = Path(__file__).parent / 'examples'\n"
	  "run(['python', 'scripts/tool.py'])\n"
	  "open('data/schema.json')\n",
	  "M:pkg.lexers.python@1 M:pkg.lexers.c_cpp@1 P:examples@2 P:python@3 P:scripts/tool.py@3 P:data/schema.json@4" },
	{ "not_evidence",
	  "a = 'two words'\nb = f'{x}.y'\nc = 'esc\\n.x'\nd = 'https://h/x'\ne = '/abs/path'\nf = 'ab'\n",
	  "" },
	{ "docstrings_and_comments_skipped",
	  "\"\"\"Doc mentions 'pkg.mod' here.\n\"\"\"\n# 'pkg.other' in a comment\nx = 'pkg.real'\n",
	  "M:pkg.real@4" },
	{ "file_names_are_paths", "a = 'setup.py'\nb = 'conf.yaml'\n", "P:setup.py@1 P:conf.yaml@2" },
	{ "duplicates_once", "a = 'pkg.a'\nb = 'pkg.a'\n", "M:pkg.a@1" },
	{ "unterminated_no_crash", "a = 'pkg.a\nb = \"pkg.b\"\n", "M:pkg.b@2" },
	/* A "//" later in the file is no part of the literal (the fuzzer's find). */
	{ "later_double_slash_is_not_in_the_literal", "a = 'data/x.txt'\nb = 'c//d'\n",
	  "P:data/x.txt@1" },
};

static void test_string_evidence(void **state)
{
	impact_pyparser *p = impact_pyparser_new();
	int failures = 0;
	(void)state;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(string_cases); i++) {
		impact_pyfacts *f = NULL;
		impact_buf got = IMPACT_BUF_INIT;
		assert_int_equal(impact_pyfacts_extract(&f, p, string_cases[i].src,
		                                        strlen(string_cases[i].src)), 0);
		for (size_t k = 0; k < f->nstrings; k++)
			impact_buf_printf(&got, "%s%c:%s@%u", k ? " " : "",
			                  f->strings[k].kind == IMPACT_STRREF_MODULE ? 'M' : 'P',
			                  f->strings[k].text, f->strings[k].line);
		if (strcmp(got.ptr, string_cases[i].expect)) {
			print_error("case %s: expected '%s', got '%s'\n", string_cases[i].name,
			            string_cases[i].expect, got.ptr);
			failures++;
		}
		impact_buf_release(&got);
		impact_pyfacts_free(f);
	}
	impact_pyparser_free(p);
	assert_int_equal(failures, 0);
}

/* Thousands of literals, each twice (a lexer module's shape): each kept once, in first-seen order. */
static void test_many_string_literals(void **state)
{
	impact_pyparser *p = impact_pyparser_new();
	impact_pyfacts *f = NULL;
	impact_buf src = IMPACT_BUF_INIT;
	(void)state;
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 3000; i++)
			impact_buf_printf(&src, "x%d = 'pkg.m%d'\n", i, i);
	assert_int_equal(impact_pyfacts_extract(&f, p, src.ptr, src.size), 0);
	assert_int_equal(f->nstrings, 3000);
	for (size_t k = 0; k < f->nstrings; k++) {
		char want[32];
		snprintf(want, sizeof(want), "pkg.m%zu", k);
		assert_string_equal(f->strings[k].text, want);
		assert_int_equal(f->strings[k].line, k + 1);
	}
	impact_pyfacts_free(f);
	impact_buf_release(&src);
	impact_pyparser_free(p);
}

int main(void)
{
	size_t n = IMPACT_ARRAY_SIZE(cases), ntests = 0;
	struct CMUnitTest *tests = impact_xcalloc(n + 5, sizeof(*tests));
	char **names = impact_xcalloc(n, sizeof(*names));
	int rc;

	for (size_t i = 0; i < n; i++) {
		impact_buf name = IMPACT_BUF_INIT;
		impact_buf_printf(&name, "pyimports__%s", cases[i].name);
		names[i] = impact_buf_detach(&name);
		tests[ntests].name = names[i];
		tests[ntests].test_func = run_case;
		tests[ntests].setup_func = case_setup;
		tests[ntests].teardown_func = case_teardown;
		tests[ntests].initial_state = (void *)&cases[i];
		ntests++;
	}
	tests[ntests++] = (struct CMUnitTest)cmocka_unit_test(test_timeout);
	tests[ntests - 1].name = "pyimports__timeout";
	tests[ntests++] = (struct CMUnitTest)cmocka_unit_test(test_parser_reuse);
	tests[ntests - 1].name = "pyimports__parser_reuse";
	tests[ntests++] = (struct CMUnitTest)cmocka_unit_test(test_null_source);
	tests[ntests - 1].name = "pyimports__null_source";
	tests[ntests++] = (struct CMUnitTest)cmocka_unit_test(test_string_evidence);
	tests[ntests - 1].name = "pyimports__string_evidence";
	tests[ntests++] = (struct CMUnitTest)cmocka_unit_test(test_many_string_literals);
	tests[ntests - 1].name = "pyimports__many_string_literals";

	rc = _cmocka_run_group_tests("pyimports", tests, ntests, group_setup,
	                             group_teardown);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	return rc;
}
