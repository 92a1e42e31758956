/*
 * test_audit.c - the audit's coverage rule (impact_audit_covers): which
 * failing tests a selection runs, by file, folder, glob, node id or the
 * full suite; its sorted string sets; and the totals of single-function
 * mutants, those that break nothing counted apart.
 *
 * Cases are data: the selection's targets (NULL-terminated, "FULL" first
 * for a full suite), a failing test, and whether the selection runs it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit.h"
#include "auditrun.h"

typedef struct cover_case {
	const char *name;
	const char *targets[4];
	const char *file;
	const char *nodeid; /* NULL: the whole file */
	bool covered;
} cover_case;

static const cover_case cases[] = {
	{ "file itself", { "tests/test_a.py" }, "tests/test_a.py", "tests/test_a.py::test_x", true },
	{ "another file", { "tests/test_b.py" }, "tests/test_a.py", "tests/test_a.py::test_x", false },
	{ "nothing selected", { NULL }, "tests/test_a.py", NULL, false },
	{ "full suite", { "FULL" }, "tests/test_a.py", "tests/test_a.py::test_x", true },
	{ "folder", { "tests" }, "tests/unit/test_a.py", NULL, true },
	{ "folder with slash", { "tests/" }, "tests/unit/test_a.py", NULL, true },
	{ "folder prefix is not a folder", { "tes" }, "tests/test_a.py", NULL, false },
	{ "sibling folder with a longer name", { "tests/unit" }, "tests/unit2/test_a.py", NULL, false },
	{ "root folder", { "." }, "tests/test_a.py", NULL, true },
	{ "dot slash", { "./tests/test_a.py" }, "tests/test_a.py", NULL, true },
	{ "glob", { "tests/test_*.py" }, "tests/test_a.py", NULL, true },
	{ "glob not matching", { "tests/it_*.py" }, "tests/test_a.py", NULL, false },
	{ "node id of the test", { "tests/test_a.py::test_x" }, "tests/test_a.py",
	  "tests/test_a.py::test_x", true },
	{ "node id of another test", { "tests/test_a.py::test_y" }, "tests/test_a.py",
	  "tests/test_a.py::test_x", false },
	{ "node id that is a prefix of the name", { "tests/test_a.py::test_x" }, "tests/test_a.py",
	  "tests/test_a.py::test_xy", false },
	{ "node id of its class", { "tests/test_a.py::TestA" }, "tests/test_a.py",
	  "tests/test_a.py::TestA::test_x", true },
	{ "node id without parameters", { "tests/test_a.py::test_x" }, "tests/test_a.py",
	  "tests/test_a.py::test_x[1-2]", true },
	{ "node id does not cover the whole file", { "tests/test_a.py::test_x" }, "tests/test_a.py",
	  NULL, false },
	{ "one of several", { "tests/test_b.py", "tests/test_a.py", NULL }, "tests/test_a.py", NULL, true },
	{ "spaces and newlines in names", { "tests/my tests" }, "tests/my tests/test\na.py", NULL, true },
};

static void audit__covers(void **state)
{
	int failures = 0;
	(void)state;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(cases); i++) {
		const cover_case *c = &cases[i];
		impact_audit_selection sel = { 0 };
		bool got;
		for (size_t k = 0; k < 4 && c->targets[k]; k++) {
			if (!strcmp(c->targets[k], "FULL"))
				sel.full_suite = true;
			else
				impact_strlist_push(&sel.targets, c->targets[k]);
		}
		got = impact_audit_covers(&sel, c->file, c->nodeid);
		if (got != c->covered) {
			print_error("case '%s': expected %s, got %s\n", c->name,
			            c->covered ? "covered" : "missed", got ? "covered" : "missed");
			failures++;
		}
		impact_audit_selection_release(&sel);
	}
	assert_int_equal(failures, 0);
}

static void audit__sort_unique_and_has(void **state)
{
	static const char *const in[] = { "b", "a", "c", "a", "b", "" };
	impact_strlist l = { 0 };
	(void)state;
	assert_false(impact_audit_has(&l, "a"));
	assert_false(impact_audit_has(NULL, "a"));
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(in); i++)
		impact_strlist_push(&l, in[i]);
	impact_audit_sort_unique(&l);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.items[0], "");
	assert_string_equal(l.items[1], "a");
	assert_string_equal(l.items[3], "c");
	assert_true(impact_audit_has(&l, "b"));
	assert_true(impact_audit_has(&l, ""));
	assert_false(impact_audit_has(&l, "d"));
	impact_strlist_release(&l);
}

static void add_record(impact_audit_report *rep, const char *fn, const char *failing,
                       const char *selected, const char *skipped)
{
	impact_audit_record r = { 0 };
	r.path = impact_xstrdup("pkg/m.py");
	r.function = impact_xstrdup(fn);
	r.line = 3;
	r.test_files = 3;
	r.skipped = skipped ? impact_xstrdup(skipped) : NULL;
	for (const char *p = failing; *p; p++)
		impact_strlist_push(&r.failing, *p == 'a' ? "tests/test_a.py" : "tests/test_b.py");
	for (const char *p = selected; *p; p++)
		impact_strlist_push(&r.selected, *p == 'a' ? "tests/test_a.py"
		                    : *p == 'b' ? "tests/test_b.py" : "tests/test_c.py");
	IMPACT_PUSH(rep->records, rep->n, rep->alloc, r);
}

/* A mutant that breaks nothing is counted, listed apart, and out of the sums. */
static void audit__function_totals(void **state)
{
	impact_audit_report rep = { 0 };
	impact_audit_totals t;
	impact_buf text = IMPACT_BUF_INIT, json = IMPACT_BUF_INIT;
	(void)state;
	rep.mode = IMPACT_AUDIT_MUTATE;
	rep.functions = true;
	rep.requested = 3;
	add_record(&rep, "Model.value", "a", "ab", NULL);
	add_record(&rep, "unused", "", "abc", NULL);
	add_record(&rep, "broken", "", "", "syntax error at line 1, column 1");
	impact_audit_totals_of(&t, &rep);
	assert_int_equal(t.audited, 2);
	assert_int_equal(t.breaks_nothing, 1);
	assert_int_equal(t.failing, 1);
	assert_int_equal(t.selected, 2);
	assert_int_equal(t.test_files, 3);
	assert_false(impact_audit_breaks_nothing(&rep, &rep.records[0]));
	assert_true(impact_audit_breaks_nothing(&rep, &rep.records[1]));
	assert_false(impact_audit_breaks_nothing(&rep, &rep.records[2]));

	impact_audit_report_text(&text, &rep);
	assert_non_null(strstr(text.ptr, "pkg/m.py:3 Model.value\n"
	                       "          failing: tests/test_a.py\n"));
	assert_non_null(strstr(text.ptr, "total (1 mutant that breaks a test)"));
	assert_non_null(strstr(text.ptr, "break no test (1 of 2 mutants; left out of the totals):\n"
	                       "  pkg/m.py:3 unused (3 selected)\n"));
	assert_null(strstr(text.ptr, "33%  pkg/m.py:3 unused"));
	assert_non_null(strstr(text.ptr, "  pkg/m.py:3 broken: syntax error"));
	assert_int_equal(impact_audit_report_json(&json, &rep), 0);
	assert_non_null(strstr(json.ptr, "\"mutants\": ["));
	assert_non_null(strstr(json.ptr, "\"function\": \"Model.value\""));
	assert_non_null(strstr(json.ptr, "\"breaks_nothing\": 1"));
	assert_non_null(strstr(json.ptr, "\"failing_share\": 0.333333"));

	/* Whole-module mutants: the same (a module no test uses breaks nothing). */
	rep.functions = false;
	impact_audit_totals_of(&t, &rep);
	assert_int_equal(t.breaks_nothing, 1);
	assert_int_equal(t.selected, 2);
	assert_int_equal(t.test_files, 3);
	/* Commits of --full: one that breaks nothing counts. */
	rep.mode = IMPACT_AUDIT_FULL;
	impact_audit_totals_of(&t, &rep);
	assert_int_equal(t.breaks_nothing, 0);
	assert_int_equal(t.selected, 5);
	assert_int_equal(t.test_files, 6);
	impact_audit_report_release(&rep);
	impact_buf_release(&text);
	impact_buf_release(&json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(audit__covers),
		cmocka_unit_test(audit__sort_unique_and_has),
		cmocka_unit_test(audit__function_totals),
	};
	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
