/*
 * test_events.c - the pytest plugin's event stream: reading it in any
 * chunking, damaged lines, completing JUnit results from it, and being
 * the record alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"

static const char stream[] =
	"{\"e\": \"start\", \"rootdir\": \"/nonexistent-root\"}\n"
	"{\"e\": \"collected\", \"id\": \"tests/test_k.py::test_xpass\"}\n"
	"{\"e\": \"collected\", \"id\": \"tests/test_k.py::TestK::test_p[a b]\"}\n"
	"{\"e\": \"collected\", \"id\": \"tests/test_k.py::test_later\"}\n"
	"{\"e\": \"begin\", \"id\": \"tests/test_k.py::test_xpass\"}\n"
	"{\"e\": \"done\", \"id\": \"tests/test_k.py::test_xpass\", \"outcome\": \"xpassed\", \"dur\": 0.5, \"line\": 2}\n"
	"this line is damaged\n"
	"{\"e\": \"from-a-newer-plugin\", \"id\": \"x\"}\n"
	"{\"e\": \"begin\", \"id\": \"tests/test_k.py::TestK::test_p[a b]\"}\n"
	"{\"e\": \"done\", \"id\": \"tests/test_k.py::TestK::test_p[a b]\", \"outcome\": \"failed\", \"dur\": 0.1, \"line\": 9}\n"
	"{\"e\": \"collecterror\", \"id\": \"tests/test_bad.py\"}\n"
	"{\"e\": \"begin\", \"id\": \"tests/test_k.py::test_later\"}\n";

typedef struct seen {
	int begin, done, start;
} seen;

static void count(impact_event_kind kind, const char *id, impact_outcome outcome, void *payload)
{
	seen *s = payload;
	(void)outcome;
	if (kind == IMPACT_EVENT_BEGIN && id)
		s->begin++;
	if (kind == IMPACT_EVENT_DONE && id)
		s->done++;
	if (kind == IMPACT_EVENT_START && !id)
		s->start++;
}

static void check(const impact_events *ev)
{
	assert_true(ev->started);
	assert_false(ev->finished);
	assert_string_equal(ev->rootdir, "/nonexistent-root");
	assert_int_equal(ev->collected.n, 3);
	assert_int_equal(ev->ntests, 3);
	assert_int_equal(ev->tests[0].outcome, IMPACT_OUTCOME_XPASSED);
	assert_int_equal(ev->tests[0].line, 2);
	assert_true(ev->tests[2].collect_error);
	assert_string_equal(ev->current, "tests/test_k.py::test_later");
	assert_int_equal(ev->bad_lines, 1);
}

static void events__any_chunking(void **state)
{
	(void)state;
	for (size_t step = 1; step <= sizeof(stream); step += 7) {
		impact_events ev;
		seen s = { 0 };
		impact_events_init(&ev);
		for (size_t off = 0; off < sizeof(stream) - 1; off += step) {
			size_t n = sizeof(stream) - 1 - off < step ? sizeof(stream) - 1 - off : step;
			impact_events_feed(&ev, stream + off, n, count, &s);
		}
		check(&ev);
		assert_int_equal(s.begin, 3);
		assert_int_equal(s.done, 2);
		assert_int_equal(s.start, 1);
		impact_events_release(&ev);
	}
}

static void events__complete_junit(void **state)
{
	impact_events ev;
	impact_results r = { 0 };
	impact_testcase tc = { 0 };
	(void)state;
	impact_events_init(&ev);
	impact_events_feed(&ev, stream, sizeof(stream) - 1, NULL, NULL);
	/* JUnit has the xpass as a pass, and the parametrized failure. */
	tc.classname = "tests.test_k";
	tc.name = "test_xpass";
	impact_results_add(&r, &tc);
	tc.classname = "tests.test_k.TestK";
	tc.name = "test_p[a b]";
	tc.outcome = IMPACT_OUTCOME_FAILED;
	tc.message = "boom";
	impact_results_add(&r, &tc);
	/* The rootdir does not exist: node ids are kept as pytest wrote them. */
	impact_events_apply(&ev, &r, "/also-nonexistent");
	assert_int_equal(r.n, 3);
	assert_string_equal(r.cases[0].nodeid, "tests/test_k.py::test_xpass");
	assert_string_equal(r.cases[0].file, "tests/test_k.py");
	assert_int_equal(r.cases[0].outcome, IMPACT_OUTCOME_XPASSED);
	assert_int_equal(r.cases[0].line, 2);
	assert_string_equal(r.cases[1].nodeid, "tests/test_k.py::TestK::test_p[a b]");
	assert_string_equal(r.cases[1].message, "boom");
	/* Only the plugin saw the collection error: added. */
	assert_string_equal(r.cases[2].nodeid, "tests/test_bad.py");
	assert_true(r.cases[2].collect_error);
	assert_int_equal(r.counts[IMPACT_OUTCOME_XPASSED], 1);
	assert_int_equal(r.counts[IMPACT_OUTCOME_FAILED], 1);
	assert_int_equal(r.counts[IMPACT_OUTCOME_ERROR], 1);
	impact_results_release(&r);
	impact_events_release(&ev);
}

static void events__rootdir_below_the_work_tree(void **state)
{
	char tmpl[] = "/tmp/impact-events-XXXXXX";
	impact_events ev;
	impact_results r = { 0 };
	impact_buf line = IMPACT_BUF_INIT, id = IMPACT_BUF_INIT, sub = IMPACT_BUF_INIT;
	(void)state;
	assert_non_null(mkdtemp(tmpl));
	impact_buf_printf(&sub, "%s/python", tmpl);
	assert_int_equal(mkdir(sub.ptr, 0700), 0);
	impact_events_init(&ev);
	impact_buf_printf(&line, "{\"e\": \"start\", \"rootdir\": \"%s\"}\n"
	                  "{\"e\": \"done\", \"id\": \"tests/test_x.py::t\", \"outcome\": \"passed\"}\n", sub.ptr);
	impact_events_feed(&ev, line.ptr, line.size, NULL, NULL);
	impact_events_apply(&ev, &r, tmpl);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.cases[0].nodeid, "python/tests/test_x.py::t");
	assert_string_equal(r.cases[0].file, "python/tests/test_x.py");
	assert_string_equal(r.cases[0].classname, "tests.test_x");
	impact_events_workdir_id(&id, &ev, tmpl, "tests/test_y.py::u");
	assert_string_equal(id.ptr, "python/tests/test_y.py::u");
	rmdir(sub.ptr);
	rmdir(tmpl);
	impact_buf_release(&line);
	impact_buf_release(&id);
	impact_buf_release(&sub);
	impact_results_release(&r);
	impact_events_release(&ev);
}

static void events__garbage_never_crashes(void **state)
{
	static const char *const junk[] = {
		"{", "}\n", "{\"e\": 5}\n", "{\"e\": \"done\"}\n", "{\"e\": \"done\", \"id\": 7}\n",
		"[1,2,3]\n", "\n\n\n", "{\"e\": \"done\", \"id\": \"a\", \"outcome\": \"weird\", \"line\": -4}\n",
		"\xff\xfe\n", "{\"e\": \"start\"}\n",
	};
	impact_events ev;
	impact_results r = { 0 };
	(void)state;
	impact_events_init(&ev);
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		impact_events_feed(&ev, junk[i], strlen(junk[i]), NULL, NULL);
	impact_events_apply(&ev, &r, "/");
	assert_int_equal(ev.ntests, 1);                      /* the one with an id */
	assert_int_equal(ev.tests[0].outcome, IMPACT_OUTCOME_ERROR); /* unknown: not a pass */
	assert_int_equal(ev.tests[0].line, 0);
	assert_true(ev.bad_lines >= 5);
	impact_results_release(&r);
	impact_events_release(&ev);
}

/* A non-UTF-8 name comes as hex; the finish event says whether pytest stopped on purpose. */
static void events__hex_ids_and_maxfail(void **state)
{
	static const char text[] =
		"{\"e\": \"start\", \"rootdir_hex\": \"2fff\"}\n"
		"{\"e\": \"collected\", \"id_hex\": \"745fff3a3a78\"}\n"
		"{\"e\": \"collected\", \"id_hex\": \"7g\"}\n"
		"{\"e\": \"collected\", \"id_hex\": \"0041\"}\n"
		"{\"e\": \"finish\", \"status\": 1, \"maxfail\": true}\n";
	impact_events ev;
	(void)state;
	impact_events_init(&ev);
	impact_events_feed(&ev, text, sizeof(text) - 1, NULL, NULL);
	assert_string_equal(ev.rootdir, "/\xff");
	assert_int_equal(ev.collected.n, 1);
	assert_string_equal(ev.collected.items[0], "t_\xff::x");
	assert_int_equal(ev.bad_lines, 2); /* damaged hex, a NUL byte */
	assert_true(ev.finished);
	assert_true(ev.maxfail);
	impact_events_release(&ev);
}

/* Without JUnit XML the events are the record: messages, tracebacks, skips. */
static void events__alone_carry_the_failures(void **state)
{
	static const char text[] =
		"{\"e\": \"start\", \"rootdir\": \"/nonexistent-root\"}\n"
		"{\"e\": \"done\", \"id\": \"t.py::a\", \"outcome\": \"failed\", \"line\": 3, "
		"\"msg\": \"assert 1 == 2\\nmore\", \"text\": \"t.py:4: in a\\n    assert 1 == 2\"}\n"
		"{\"e\": \"teardownerror\", \"id\": \"t.py::a\", \"line\": 3, "
		"\"msg\": \"failed on teardown with \\\"E\\\"\", \"text\": \"boom\"}\n"
		"{\"e\": \"done\", \"id\": \"t.py::b\", \"outcome\": \"skipped\", "
		"\"msg\": \"not today\", \"text\": \"t.py:9: not today\"}\n"
		"{\"e\": \"done\", \"id\": \"t.py::c\", \"outcome\": \"passed\", \"text\": \"\"}\n"
		"{\"e\": \"collectskip\", \"id\": \"u.py\", \"msg\": \"collection skipped\"}\n"
		"{\"e\": \"collecterror\", \"id\": \"v.py\", \"msg\": \"collection failure\", "
		"\"text\": \"E   ImportError\"}\n";
	impact_events ev;
	impact_results r = { 0 };
	seen s = { 0 };
	(void)state;
	impact_events_init(&ev);
	impact_events_feed(&ev, text, sizeof(text) - 1, count, &s);
	assert_int_equal(s.done, 3); /* the teardown record is no second test done */
	impact_events_apply(&ev, &r, "/also-nonexistent");
	assert_int_equal(r.n, 6);
	assert_string_equal(r.cases[0].message, "assert 1 == 2\nmore");
	assert_string_equal(r.cases[0].text, "t.py:4: in a\n    assert 1 == 2");
	assert_int_equal(r.cases[1].outcome, IMPACT_OUTCOME_ERROR);
	assert_string_equal(r.cases[1].nodeid, "t.py::a");
	assert_string_equal(r.cases[1].message, "failed on teardown with \"E\"");
	assert_string_equal(r.cases[2].message, "not today");
	assert_null(r.cases[3].message);
	assert_null(r.cases[3].text); /* empty: none */
	assert_int_equal(r.cases[4].outcome, IMPACT_OUTCOME_SKIPPED);
	assert_false(r.cases[4].collect_error);
	assert_true(r.cases[5].collect_error);
	assert_string_equal(r.cases[5].text, "E   ImportError");
	assert_int_equal(r.counts[IMPACT_OUTCOME_FAILED], 1);
	assert_int_equal(r.counts[IMPACT_OUTCOME_ERROR], 2);
	assert_int_equal(r.counts[IMPACT_OUTCOME_SKIPPED], 2);
	impact_results_release(&r);
	impact_events_release(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(events__any_chunking),
		cmocka_unit_test(events__complete_junit),
		cmocka_unit_test(events__rootdir_below_the_work_tree),
		cmocka_unit_test(events__garbage_never_crashes),
		cmocka_unit_test(events__hex_ids_and_maxfail),
		cmocka_unit_test(events__alone_carry_the_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
