/*
 * test_repair.c - the repair loop of `impact watch`: how a failure's
 * error is read and normalised, how failures group, and the order of the
 * loop's steps.
 *
 * Cases are data: a JUnit-like record and the error expected of it; a
 * script of run outcomes and the step expected after each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "repair.h"

typedef struct error_case {
	const char *name;
	const char *message, *text, *file;
	const char *type, *norm, *frame;
} error_case;

static const error_case error_cases[] = {
	{ "exception raised in a library frame",
	  "TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'",
	  "tests/test_a.py:5: in test_one\n    assert f(1) == 2\nlib/db.py:31: in f\n    return x + None\n"
	  "E   TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'",
	  "tests/test_a.py",
	  "TypeError", "unsupported operand type(s) for +: 'int' and 'NoneType'", "lib/db.py:31" },
	{ "bare assert is an AssertionError in the test's frame",
	  "assert 1 == 2", "tests/test_a.py:7: in test_two\n    assert 1 == 2\nE   assert 1 == 2",
	  "tests/test_a.py", "AssertionError", "assert N == N", "tests/test_a.py:7" },
	{ "numbers and addresses normalised",
	  "ValueError: bad value 42 at 0xdeadbeef (3.5 s)", "t.py:11: in t\nE   ValueError: ...", "t.py",
	  "ValueError", "bad value N at 0x? (N s)", "t.py:11" },
	{ "digits inside names stay", "NameError: name 'py3k_v2' is not defined", "", "t.py",
	  "NameError", "name 'py3k_v2' is not defined", "t.py" },
	{ "dotted exception type", "pexpect.exceptions.TIMEOUT: Timeout exceeded.", "a/b.py:3: in x\nE  x",
	  NULL, "pexpect.exceptions.TIMEOUT", "Timeout exceeded.", "a/b.py:3" },
	{ "a setup error reads the traceback's exception line",
	  "failed on setup with \"file /w/t.py, line 8\"",
	  "file /w/t.py, line 8\n  def test_three(x):\nE       fixture 'x' not found\n\n/w/t.py:8", "t.py",
	  "", "fixture 'x' not found", "/w/t.py:8" },
	{ "collection failure", "collection failure",
	  "tests/test_b.py:1: in <module>\n    import nosuch\nE   ModuleNotFoundError: No module named 'nosuch'",
	  "tests/test_b.py", "ModuleNotFoundError", "No module named 'nosuch'", "tests/test_b.py:1" },
	{ "only the first line of the message", "RuntimeError: one\ntwo", NULL, NULL,
	  "RuntimeError", "one", "" },
	{ "no message, no text", NULL, NULL, "t.py", "", "", "t.py" },
	{ "a path with spaces and a colon-free message", "Failed: DID NOT RAISE",
	  "my tests/t x.py:4: in test\nE   Failed", "my tests/t x.py", "Failed", "DID NOT RAISE",
	  "my tests/t x.py:4" },
};

static void repair__error_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const error_case *c = &error_cases[i];
		impact_testcase tc = { 0 };
		impact_repair_error e;
		print_message("case: %s\n", c->name);
		tc.message = (char *)c->message;
		tc.text = (char *)c->text;
		tc.file = (char *)c->file;
		tc.outcome = IMPACT_OUTCOME_FAILED;
		impact_repair_error_of(&e, &tc);
		assert_string_equal(e.type, c->type);
		assert_string_equal(e.message, c->norm);
		assert_string_equal(e.frame, c->frame);
		impact_repair_error_release(&e);
	}
}

/*
 * A failing test in a script: its id and a letter for its error ('a', 'b',
 * ...: the same letter, the same error and frame).
 */
typedef struct fail { const char *id; char err; } fail;

enum { MAX_FAILS = 6 };

/* One run: how it ended, what failed, and the step expected afterwards. */
typedef struct run_step {
	impact_repair_outcome outcome;
	fail fails[MAX_FAILS];
	bool save_after;                /* a save comes after this run */
	impact_repair_step expect;      /* r.step after the run (and the save) */
	const char *focus;              /* r.focus expected, or NULL: not checked */
	bool red;
} run_step;

typedef struct loop_case {
	const char *name;
	bool all;
	run_step runs[10];
} loop_case;

#define P IMPACT_REPAIR_PASSED
#define R IMPACT_REPAIR_RED
#define B IMPACT_REPAIR_BROKEN
#define S IMPACT_REPAIR_STOPPED
#define X IMPACT_REPAIR_STALE
#define ONE IMPACT_REPAIR_ONE
#define FAILED IMPACT_REPAIR_FAILED
#define AFFECTED IMPACT_REPAIR_AFFECTED
#define ALL IMPACT_REPAIR_ALL
#define WAIT IMPACT_REPAIR_WAIT
#define START IMPACT_REPAIR_START
#define END { P, { { 0 } }, false, (impact_repair_step)-1, NULL, false }

static const loop_case loop_cases[] = {
	{ "green start waits, a save runs the affected tests", false, {
	  { P, { { 0 } }, false, WAIT, NULL, false },
	  { S, { { 0 } }, true, AFFECTED, NULL, false },
	  END } },
	{ "largest group first, then all failed, then affected, then all", true, {
	  { R, { { "t.py::a1", 'a' }, { "t.py::b1", 'b' }, { "t.py::b2", 'b' }, { "t.py::b3", 'b' } },
	    false, ONE, "t.py::b1", true },
	  { R, { { "t.py::b1", 'b' } }, false, WAIT, "t.py::b1", true },
	  { S, { { 0 } }, true, ONE, "t.py::b1", true },  /* while waiting: no change; the save resumes */
	  { P, { { 0 } }, false, FAILED, NULL, true },
	  { P, { { 0 } }, false, AFFECTED, NULL, false },
	  { P, { { 0 } }, false, ALL, NULL, false },
	  { P, { { 0 } }, true, AFFECTED, NULL, false },
	  END } },
	{ "a failure at a later step goes back to the first step with the new failures", false, {
	  { R, { { "t.py::a1", 'a' }, { "t.py::c1", 'c' } }, false, ONE, "t.py::a1", true },
	  { P, { { 0 } }, false, FAILED, NULL, true },
	  { R, { { "t.py::c1", 'c' } }, false, ONE, "t.py::c1", true },
	  { P, { { 0 } }, false, FAILED, NULL, true },
	  { P, { { 0 } }, false, AFFECTED, NULL, false },
	  { P, { { 0 } }, false, WAIT, NULL, false }, /* no --all: then wait */
	  END } },
	{ "ties keep the order of appearance", false, {
	  { R, { { "x::1", 'a' }, { "x::2", 'b' }, { "x::3", 'b' }, { "x::4", 'a' } }, false, ONE, "x::1", true },
	  END } },
	{ "a broken run waits and redoes its step", false, {
	  { B, { { 0 } }, false, WAIT, NULL, true },
	  { S, { { 0 } }, true, START, NULL, true },
	  { P, { { 0 } }, false, WAIT, NULL, false },
	  END } },
	{ "a stopped run restarts the same step", false, {
	  { R, { { "t::a", 'a' } }, false, ONE, "t::a", true },
	  { S, { { 0 } }, false, ONE, "t::a", true },
	  { P, { { 0 } }, false, FAILED, NULL, true },
	  { S, { { 0 } }, false, FAILED, NULL, true },
	  END } },
	{ "tests gone as named: the affected tests run at once, then their failures", false, {
	  { R, { { "t::old", 'a' } }, false, ONE, "t::old", true },
	  { R, { { "t::old", 'a' } }, true, ONE, "t::old", true },
	  { X, { { 0 } }, false, AFFECTED, NULL, true },
	  { R, { { "t::new", 'a' } }, false, ONE, "t::new", true },
	  END } },
	{ "affected failing after green goes to the first step", false, {
	  { P, { { 0 } }, true, AFFECTED, NULL, false },
	  { R, { { "t::z", 'z' } }, false, ONE, "t::z", true },
	  END } },
};

static void fill_results(impact_results *res, const fail *fails)
{
	static const char *const frames[] = { "lib/a.py:1", "lib/b.py:2", "lib/c.py:3" };
	for (size_t i = 0; i < MAX_FAILS && fails[i].id; i++) {
		impact_testcase tc = { 0 };
		impact_buf msg = IMPACT_BUF_INIT, text = IMPACT_BUF_INIT;
		char e = fails[i].err;
		impact_buf_printf(&msg, "Error%c: broken %c", e - 'a' + 'A', e);
		impact_buf_printf(&text, "t.py:9: in t\n%s: in f\nE   Error%c: broken %c",
		                  frames[(e - 'a') % 3], e - 'a' + 'A', e);
		tc.classname = "t";
		tc.name = (char *)fails[i].id;
		tc.nodeid = (char *)fails[i].id;
		tc.outcome = IMPACT_OUTCOME_FAILED;
		tc.message = msg.ptr;
		tc.text = text.ptr;
		impact_results_add(res, &tc);
		impact_buf_release(&msg);
		impact_buf_release(&text);
	}
	/* A passing record among them never counts. */
	{
		impact_testcase ok = { 0 };
		ok.classname = "t";
		ok.name = "t.py::ok";
		ok.nodeid = "t.py::ok";
		impact_results_add(res, &ok);
	}
	impact_results_recount(res);
}

static void repair__loop_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(loop_cases) / sizeof(loop_cases[0]); i++) {
		const loop_case *c = &loop_cases[i];
		impact_repair r;
		print_message("case: %s\n", c->name);
		impact_repair_init(&r, c->all);
		assert_int_equal(r.step, START);
		for (size_t k = 0; c->runs[k].expect != (impact_repair_step)-1; k++) {
			const run_step *s = &c->runs[k];
			impact_results res = { 0 };
			print_message("  run %zu\n", k + 1);
			fill_results(&res, s->fails);
			impact_repair_ran(&r, s->outcome, &res);
			if (s->save_after)
				impact_repair_saved(&r);
			assert_string_equal(impact_repair_step_name(r.step), impact_repair_step_name(s->expect));
			if (s->focus)
				assert_string_equal(r.focus, s->focus);
			assert_int_equal(r.red, s->red);
			impact_results_release(&res);
		}
		impact_repair_release(&r);
	}
}

static void repair__groups_counted(void **state)
{
	impact_repair r;
	impact_results res = { 0 };
	const fail fails[MAX_FAILS] = { { "a", 'a' }, { "b", 'b' }, { "c", 'b' }, { "d", 'c' }, { "e", 'b' } };
	(void)state;
	impact_repair_init(&r, false);
	fill_results(&res, fails);
	impact_repair_group_failures(&r, &res);
	assert_int_equal(r.ngroups, 3);
	assert_int_equal(r.groups[0].tests.n, 3);
	assert_string_equal(r.groups[0].error.type, "ErrorB");
	assert_string_equal(r.groups[0].error.frame, "lib/b.py:2");
	assert_string_equal(r.groups[1].tests.items[0], "a");
	assert_int_equal(r.failed.n, 5);
	impact_results_release(&res);
	impact_repair_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(repair__error_table),
		cmocka_unit_test(repair__loop_table),
		cmocka_unit_test(repair__groups_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
