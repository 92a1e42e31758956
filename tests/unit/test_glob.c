/*
 * test_glob.c - .gitignore-style patterns: every form as a table of
 * (pattern, path, expected), the errors, negation, and pathological
 * patterns that would be exponential for a naive backtracking matcher.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <time.h>

#include "buf.h"
#include "glob.h"

typedef struct gcase {
	const char *pattern, *path;
	bool match;
} gcase;

static const gcase cases[] = {
	/* Plain names match at any depth, as a file or as a directory above. */
	{ "foo.py", "foo.py", true },
	{ "foo.py", "a/b/foo.py", true },
	{ "foo.py", "a/foo.pyc", false },
	{ "foo.py", "xfoo.py", false },
	{ "docs", "docs/index.rst", true },
	{ "docs", "a/docs/x/y.md", true },
	{ "docs", "docs", true },
	{ "docs", "mydocs/x", false },
	/* Trailing '/': directories only, at any depth. */
	{ "docs/", "docs/index.rst", true },
	{ "docs/", "src/docs/deep/x.png", true },
	{ "docs/", "docs", false },
	{ "docs/", "src/docs", false },
	/* A leading '/' anchors at the root. */
	{ "/conftest.py", "conftest.py", true },
	{ "/conftest.py", "tests/conftest.py", false },
	{ "/docs/", "docs/a.rst", true },
	{ "/docs/", "pkg/docs/a.rst", false },
	/* A '/' in the middle anchors too. */
	{ "tractor/ipc", "tractor/ipc/_chan.py", true },
	{ "tractor/ipc", "x/tractor/ipc/_chan.py", false },
	{ "tractor/ipc/_chan.py", "tractor/ipc/_chan.py", true },
	{ "tractor/ipc/_chan.py", "tractor/ipc/_chan.pyx", false },
	/* '*' and '?' stay within one component. */
	{ "*.py", "a.py", true },
	{ "*.py", "pkg/sub/a.py", true },
	{ "*.py", "a.pyi", false },
	{ "src/*.py", "src/a.py", true },
	{ "src/*.py", "src/sub/a.py", false },
	{ "src/*", "src/sub/a.py", true },  /* src/sub is matched: a directory */
	{ "te?t.txt", "test.txt", true },
	{ "te?t.txt", "te/t.txt", false },
	{ "te?t.txt", "tet.txt", false },
	{ "*", "anything/at/all", true },
	{ "a*", "a", true },
	{ "*a", "a", true },
	{ "a*b*c", "abc", true },
	{ "a*b*c", "axxbyyc", true },
	{ "a*b*c", "axxbyy", false },
	{ "requirements*.txt", "requirements-dev.txt", true },
	{ "requirements*.txt", "sub/requirements.txt", true },
	{ "requirements*.txt", "requirements.in", false },
	/* Leading "**": at any depth (same as unanchored). */
	{ "**/foo", "foo", true },
	{ "**/foo", "a/b/foo", true },
	{ "**/foo/bar", "x/foo/bar", true },
	{ "**/foo/bar", "x/foo/baz", false },
	/* Trailing "**": everything inside, not the directory itself. */
	{ "abc/**", "abc/x", true },
	{ "abc/**", "abc/x/y/z", true },
	{ "abc/**", "abc", false },
	{ "abc/**", "xabc/y", false },
	{ "examples/**", "examples/foo.py", true },
	{ "examples/**", "examples/a/b.py", true },
	{ "examples/**", "tests/examples/a.py", false },
	/* Inner "**": zero or more directories. */
	{ "a/**/b", "a/b", true },
	{ "a/**/b", "a/x/b", true },
	{ "a/**/b", "a/x/y/b", true },
	{ "a/**/b", "a/x/y/c", false },
	{ "a/**/b", "a/x/b/c.txt", true },  /* a/x/b is a matching directory */
	{ "a/**/**/b", "a/b", true },
	{ "requirements/**/*.txt", "requirements/dev.txt", true },
	{ "requirements/**/*.txt", "requirements/a/b/dev.txt", true },
	{ "requirements/**/*.txt", "requirements/dev.in", false },
	{ "**", "x", true },
	{ "**", "x/y/z", true },
	{ "a/**/", "a/x/y", true },         /* a/x is a directory inside a */
	{ "a/**/", "a/x", false },
	/* "**" that is not a whole component is a plain '*'. */
	{ "**.py", "a.py", true },
	{ "**.py", "sub/a.py", true },
	{ "a**b/c", "axxb/c", true },
	{ "a**b/c", "ax/yb/c", false },
	/* Classes. */
	{ "[abc].py", "b.py", true },
	{ "[abc].py", "d.py", false },
	{ "[a-c]x", "bx", true },
	{ "[a-c]x", "dx", false },
	{ "[!a-c]x", "dx", true },
	{ "[!a-c]x", "ax", false },
	{ "[^a-c]x", "dx", true },
	{ "[]]", "]", true },
	{ "[!]]", "a", true },
	{ "[!]]", "]", false },
	{ "[a-]", "-", true },
	{ "[[:digit:]][[:alpha:]]", "1a", true },
	{ "[[:digit:]][[:alpha:]]", "a1", false },
	{ "[[:upper:]]*", "Makefile", true },
	{ "[[:upper:]]*", "makefile", false },
	{ "[\\]]", "]", true },
	/* Quoting. */
	{ "\\*.py", "*.py", true },
	{ "\\*.py", "a.py", false },
	{ "\\?", "?", true },
	{ "\\[a]", "[a]", true },
	{ "\\[a]", "a", false },
	/* Dots are not special; names compare as bytes. */
	{ "*", ".hidden", true },
	{ ".python-version", ".python-version", true },
	{ "*.lock", "uv.lock", true },
	{ "*.lock", "uv.LOCK", false },
	{ "caf\xc3\xa9/*", "caf\xc3\xa9/x", true },
	{ "?", "\xe9", true },
	/* Spaces and odd bytes are ordinary. */
	{ "with space/*", "with space/a b", true },
	{ "a\nb", "a\nb", true },
	/* A leading '!' is literal for impact_glob_match. */
	{ "!x", "!x", true },
	{ "!x", "x", false },
	/* Empty paths match nothing. */
	{ "*", "", false },
};

static void glob__table(void **state)
{
	(void)state;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(cases); i++) {
		bool got = impact_glob_match(cases[i].pattern, cases[i].path);
		if (got != cases[i].match)
			fail_msg("case %zu: '%s' vs '%s': expected %s", i, cases[i].pattern,
			         cases[i].path, cases[i].match ? "a match" : "no match");
	}
}

static void glob__compiled_same_as_one_shot(void **state)
{
	(void)state;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(cases); i++) {
		impact_glob *g = NULL;
		if (cases[i].pattern[0] == '!')
			continue;
		assert_int_equal(impact_glob_compile(&g, cases[i].pattern), 0);
		assert_false(impact_glob_negated(g));
		if (impact_glob_matches(g, cases[i].path) != cases[i].match)
			fail_msg("case %zu differs when compiled", i);
		impact_glob_free(g);
	}
}

static void glob__negation(void **state)
{
	impact_glob *g = NULL;
	(void)state;
	assert_int_equal(impact_glob_compile(&g, "!*.py"), 0);
	assert_true(impact_glob_negated(g));
	assert_true(impact_glob_matches(g, "docs/conf.py"));
	assert_false(impact_glob_matches(g, "docs/a.rst"));
	impact_glob_free(g);
	assert_int_equal(impact_glob_compile(&g, "\\!important"), 0);
	assert_false(impact_glob_negated(g));
	assert_true(impact_glob_matches(g, "!important"));
	impact_glob_free(g);
}

typedef struct ecase {
	const char *pattern, *message; /* message: a substring of the error */
} ecase;

static const ecase errors[] = {
	{ "", "is empty" },
	{ "/", "is empty" },
	{ "!", "is empty" },
	{ "//", "is empty" },
	{ "a//b", "empty component" },
	{ "[abc", "unclosed" },
	{ "a/[b/c]", "unclosed" },
	{ "[[:nope:]]", "malformed" },
	{ "foo\\", "nothing to quote" },
	{ "./a", "'.' component" },
	{ "a/../b", "'..' component" },
	{ "..", "'..' component" },
};

static void glob__errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(errors); i++) {
		int rc = impact_glob_check(errors[i].pattern);
		if (rc != IMPACT_EINVALID)
			fail_msg("'%s' should be invalid", errors[i].pattern);
		if (!strstr(impact_error_last(), errors[i].message))
			fail_msg("'%s': '%s' lacks '%s'", errors[i].pattern, impact_error_last(),
			         errors[i].message);
		/* An invalid pattern matches nothing. */
		assert_false(impact_glob_match(errors[i].pattern, "a"));
	}
	/* Valid edge cases. */
	assert_int_equal(impact_glob_check("a..b"), 0);
	assert_int_equal(impact_glob_check(".hidden/"), 0);
	assert_int_equal(impact_glob_check("[a-z]"), 0);
}

static void glob__literal(void **state)
{
	(void)state;
	assert_true(impact_glob_is_literal("tests/test_x.py"));
	assert_true(impact_glob_is_literal("tests/"));
	assert_false(impact_glob_is_literal("tests/*.py"));
	assert_false(impact_glob_is_literal("t?"));
	assert_false(impact_glob_is_literal("[ab]"));
	assert_false(impact_glob_is_literal("a\\*"));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Patterns that take exponential time with naive backtracking: many stars
 * against a long near-miss. Each must answer (correctly) in well under a
 * second; a naive matcher takes hours on these.
 */
static void glob__pathological(void **state)
{
	impact_buf pat = IMPACT_BUF_INIT, path = IMPACT_BUF_INIT;
	double t0;
	(void)state;

	/* a*a*a*...*b against aaaa...a (no b): within one component. */
	for (int i = 0; i < 30; i++)
		impact_buf_puts(&pat, "a*");
	impact_buf_puts(&pat, "b");
	for (int i = 0; i < 3000; i++)
		impact_buf_putc(&path, 'a');
	t0 = now_s();
	assert_false(impact_glob_match(pat.ptr, path.ptr));
	impact_buf_putc(&path, 'b');
	assert_true(impact_glob_match(pat.ptr, path.ptr));
	assert_true(now_s() - t0 < 1.0);

	/* ("a", "**") repeated, then "b", against a/a/a/.../a: across components. */
	impact_buf_clear(&pat);
	impact_buf_clear(&path);
	for (int i = 0; i < 30; i++)
		impact_buf_puts(&pat, "a/**/");
	impact_buf_puts(&pat, "b");
	for (int i = 0; i < 1000; i++)
		impact_buf_puts(&path, i ? "/a" : "a");
	t0 = now_s();
	assert_false(impact_glob_match(pat.ptr, path.ptr));
	impact_buf_puts(&path, "/b");
	assert_true(impact_glob_match(pat.ptr, path.ptr));
	assert_true(now_s() - t0 < 1.0);

	/* Both at once: *a*a*...* components under "**". */
	impact_buf_clear(&pat);
	impact_buf_clear(&path);
	for (int i = 0; i < 20; i++)
		impact_buf_puts(&pat, "**/*a*a*a*a*/");
	impact_buf_puts(&pat, "z");
	for (int i = 0; i < 200; i++)
		impact_buf_puts(&path, i ? "/aaaaaaaaaaaaaaaaaaaaaaaaaaaa" : "aaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	t0 = now_s();
	assert_false(impact_glob_match(pat.ptr, path.ptr));
	assert_true(now_s() - t0 < 1.0);

	impact_buf_release(&pat);
	impact_buf_release(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(glob__table),
		cmocka_unit_test(glob__compiled_same_as_one_shot),
		cmocka_unit_test(glob__negation),
		cmocka_unit_test(glob__errors),
		cmocka_unit_test(glob__literal),
		cmocka_unit_test(glob__pathological),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
