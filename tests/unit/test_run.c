/*
 * test_run.c - pytest's command line: the one function that turns targets
 * into pytest arguments (names pytest would read as options, node ids or
 * parameter ids), and the private arguments impact appends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

static void touch(const char *dir, const char *rel)
{
	impact_buf p = IMPACT_BUF_INIT;
	FILE *f;
	impact_buf_printf(&p, "%s/%s", dir, rel);
	f = fopen(p.ptr, "w");
	assert_non_null(f);
	fclose(f);
	impact_buf_release(&p);
}

static void expect(const impact_strlist *l, const char *const *want, size_t n)
{
	assert_int_equal(l->n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l->items[i], want[i]);
}

static void run__target_args(void **state)
{
	char dir[] = "/tmp/impact-test-run-XXXXXX";
	impact_buf sub = IMPACT_BUF_INIT;
	impact_strlist out = { 0 }, unsafe = { 0 };
	const char *targets[] = {
		"-x_test.py", "@args_test.py", "tests/test_ok.py", "tests/test_ok.py::test_a[1::2]",
		"tests/test_a::b.py", "tests/test_a::b.py::test_x", "tests/test_[ab].py",
		"tests/other_test.py", "deep/x[1]/test_y.py",
	};
	const char *want[] = {
		"./-x_test.py", "./@args_test.py", "tests", "deep",
	};
	const char *want_unsafe[] = {
		"tests/test_a::b.py", "tests/test_a::b.py::test_x", "tests/test_[ab].py",
		"deep/x[1]/test_y.py",
	};
	(void)state;
	assert_non_null(mkdtemp(dir));
	impact_buf_printf(&sub, "%s/tests", dir);
	assert_int_equal(mkdir(sub.ptr, 0700), 0);
	touch(dir, "tests/test_a::b.py");
	touch(dir, "tests/test_ok.py");

	impact_run_target_args(&out, &unsafe, dir, targets, IMPACT_ARRAY_SIZE(targets));
	/* Files inside a folder that runs anyway are left out: pytest would run them twice. */
	expect(&out, want, IMPACT_ARRAY_SIZE(want));
	expect(&unsafe, want_unsafe, IMPACT_ARRAY_SIZE(want_unsafe));
	impact_strlist_release(&out);
	impact_strlist_release(&unsafe);

	/* Nothing unsafe: every target as it is, node ids included. */
	impact_run_target_args(&out, NULL, dir, targets + 2, 2);
	expect(&out, targets + 2, 2);
	impact_strlist_release(&out);

	/* A top-level name with '[': the root. */
	{
		const char *t[] = { "test_[x].py", "-a/test_b.py" };
		const char *w[] = { "." };
		impact_run_target_args(&out, NULL, NULL, t, 2);
		expect(&out, w, 1);
		impact_strlist_release(&out);
	}

	{
		impact_buf p = IMPACT_BUF_INIT;
		impact_buf_printf(&p, "%s/tests/test_a::b.py", dir);
		unlink(p.ptr);
		impact_buf_clear(&p);
		impact_buf_printf(&p, "%s/tests/test_ok.py", dir);
		unlink(p.ptr);
		impact_buf_release(&p);
	}
	rmdir(sub.ptr);
	rmdir(dir);
	impact_buf_release(&sub);
}

static void run__no_junit_path(void **state)
{
	impact_strlist out = { 0 };
	(void)state;
	impact_run_argv_private(&out, "/plugin", NULL);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.items[1], IMPACT_RUN_PLUGIN);
	impact_run_argv_private(&out, NULL, "/x.xml");
	assert_int_equal(out.n, 3);
	assert_string_equal(out.items[2], "--junitxml=/x.xml");
	impact_strlist_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(run__target_args),
		cmocka_unit_test(run__no_junit_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
