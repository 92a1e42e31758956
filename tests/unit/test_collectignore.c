/*
 * test_collectignore.c - conftest.py's collect_ignore lists
 * (collectignore.c): each statement shape read or left alone, entries
 * joined with the conftest's folder, and pytest's nearest-conftest rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "collectignore.h"

typedef struct ci_case {
	const char *conftest, *src;
	const char *ignored[4];  /* NULL-terminated */
	const char *kept[4];     /* NULL-terminated */
} ci_case;

static const ci_case cases[] = {
	{ "conftest.py", "collect_ignore = ['setup.py', \"docs/conf.py\"]\n",
	  { "setup.py", "docs/conf.py", NULL }, { "docs/other.py", "pkg/setup.py", NULL } },
	{ "conftest.py", "collect_ignore = [\n    'a.py',  # old\n    'b/',\n]\n",
	  { "a.py", "b/x.py", "b/c/d.py", NULL }, { "ab.py", "bb/x.py", NULL } },
	{ "conftest.py", "collect_ignore: list = ['a.py']\ncollect_ignore += ('b.py',)\n"
	                 "collect_ignore.append('c.py')\ncollect_ignore.extend(['d.py'])\n",
	  { "a.py", "b.py", "c.py", "d.py" }, { NULL } },
	{ "conftest.py", "collect_ignore = ['a.py']\ncollect_ignore = ['b.py']\n",
	  { "b.py", NULL }, { "a.py", NULL } },
	{ "conftest.py", "collect_ignore = ['a.py']\ncollect_ignore = sorted(x)\n",
	  { NULL }, { "a.py", NULL } },
	{ "conftest.py", "if PY2:\n    collect_ignore = ['a.py']\ncollect_ignore_glob = ['*_py2.py']\n",
	  { "x_py2.py", "deep/y_py2.py", NULL }, { "a.py", "x_py3.py", NULL } },
	{ "conftest.py", "collect_ignore = ['a\\\\b.py', '''c.py''', f'd.py', '../e.py', '/f.py', './g.py']\n",
	  { NULL }, { "a\\b.py", "c.py", "d.py", "g.py" } },
	{ "conftest.py", "collect_ignore = [r'./g.py', 'h.py' 'i.py']\n", { NULL }, { "g.py", "h.py", NULL } },
	{ "conftest.py", "my_collect_ignore = ['a.py']\nx.collect_ignore = ['b.py']\n",
	  { NULL }, { "a.py", "b.py", NULL } },
	{ "sub/conftest.py", "collect_ignore = ['old.py', './legacy']\n",
	  { "sub/old.py", "sub/legacy/x.py", NULL }, { "old.py", "sub/new.py", "legacy/x.py", NULL } },
	{ "conftest.py", "collect_ignore = ['a.py',\n", { NULL }, { "a.py", NULL } },
	{ "conftest.py", "", { NULL }, { "a.py", NULL } },
};

static void test_statements(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const ci_case *c = &cases[i];
		impact_conftest_ignores l = { 0 };
		impact_conftest_ignores_read(&l, c->conftest, c->src, strlen(c->src));
		for (size_t k = 0; k < 4 && c->ignored[k]; k++)
			if (!impact_conftest_ignores_match(&l, c->ignored[k]))
				fail_msg("case %zu: %s not ignored", i, c->ignored[k]);
		for (size_t k = 0; k < 4 && c->kept[k]; k++)
			if (impact_conftest_ignores_match(&l, c->kept[k]))
				fail_msg("case %zu: %s ignored", i, c->kept[k]);
		impact_conftest_ignores_release(&l);
	}
}

/* The nearest conftest defining a list decides below its folder; lists are not merged. */
static void test_nearest(void **state)
{
	const char *root = "collect_ignore = ['sub/a.py', 'b.py']\ncollect_ignore_glob = ['*_x.py']\n";
	const char *sub = "import sys\nif sys.platform == 'win32':\n    collect_ignore = ['c.py']\n";
	impact_conftest_ignores l = { 0 };
	(void)state;
	impact_conftest_ignores_read(&l, "conftest.py", root, strlen(root));
	impact_conftest_ignores_read(&l, "sub/conftest.py", sub, strlen(sub));
	assert_true(impact_conftest_ignores_match(&l, "b.py"));
	/* sub/conftest.py defines collect_ignore (conditionally): the root's is not read below it. */
	assert_false(impact_conftest_ignores_match(&l, "sub/a.py"));
	assert_false(impact_conftest_ignores_match(&l, "sub/c.py"));
	/* it defines no glob list: the root's still holds there. */
	assert_true(impact_conftest_ignores_match(&l, "sub/d_x.py"));
	assert_false(impact_conftest_ignores_match(NULL, "b.py"));
	impact_conftest_ignores_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statements),
		cmocka_unit_test(test_nearest),
	};
	return cmocka_run_group_tests_name("collectignore", tests, NULL, NULL);
}
