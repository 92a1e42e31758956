/*
 * test_records.c - the user's test filter as a records key
 * (impact_records_filter): which arguments make a record speak only for
 * runs with the same filter, and which make a run record nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "records.h"

typedef struct filter_case {
	const char *args[6]; /* NULL-terminated */
	const char *key;     /* the expected key, '|' for the separator */
	const char *partial; /* the argument that makes the run partial, or NULL */
} filter_case;

static const filter_case cases[] = {
	{ { NULL }, "", NULL },
	{ { "-x", "--tb=short", NULL }, "", NULL },
	{ { "-k", "not slow", NULL }, "-k not slow", NULL },
	{ { "-knot slow", NULL }, "-k not slow", NULL },
	{ { "-k=fast", NULL }, "-k fast", NULL },
	{ { "-m", "db", "-k", "x", NULL }, "-m db|-k x", NULL },
	{ { "-k", NULL }, "-k ", NULL },
	{ { "--lf", NULL }, "", "--lf" },
	{ { "-k", "a", "--last-failed", NULL }, "-k a", "--last-failed" },
	{ { "--deselect=tests/t.py::a", NULL }, "", "--deselect=tests/t.py::a" },
	{ { "--sw", NULL }, "", "--sw" },
	{ { "tests/t.py::test_a", NULL }, "", "tests/t.py::test_a" },
	{ { "--", "tests/t.py::test_a", NULL }, "", "tests/t.py::test_a" },
	{ { "--", "-k", NULL }, "", NULL },  /* after "--": file names */
	{ { "tests/t.py", "-v", NULL }, "", NULL },
	{ { "--lfx", NULL }, "", NULL },     /* not --lf */
};

static void test_filter(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const filter_case *fc = &cases[c];
		impact_buf key = IMPACT_BUF_INIT, want = IMPACT_BUF_INIT;
		const char *why = NULL;
		size_t n = 0;
		int rc;
		while (fc->args[n])
			n++;
		rc = impact_records_filter(&key, &why, fc->args, n);
		impact_buf_puts(&want, fc->key);
		for (char *p = want.ptr; p && *p; p++)
			if (*p == '|')
				*p = '\x1f';
		assert_string_equal(key.ptr ? key.ptr : "", want.ptr ? want.ptr : "");
		if (fc->partial) {
			assert_int_equal(rc, IMPACT_ENOTFOUND);
			assert_non_null(why);
			assert_string_equal(why, fc->partial);
		} else {
			assert_int_equal(rc, 0);
			assert_null(why);
		}
		impact_buf_release(&key);
		impact_buf_release(&want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
