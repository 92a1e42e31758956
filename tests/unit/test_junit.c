/*
 * test_junit.c - pytest's JUnit XML: outcomes, counts, node ids, failure
 * lines, and malformed or hostile input (a clear error, never a crash).
 *
 * Cases are data: a snippet and what must come out of it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "junit.h"

#define SUITE(body) "<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites>" \
	"<testsuite name=\"pytest\" time=\"1.5\">" body "</testsuite></testsuites>"

typedef struct parse_case {
	const char *name;
	const char *xml;
	size_t counts[IMPACT_OUTCOME_COUNT]; /* passed failed error skipped xfailed xpassed */
	const char *message;  /* of the first non-passed record, or NULL */
	const char *text;     /* a substring of its text, or NULL */
	bool collect_error;   /* of the first record */
} parse_case;

static const parse_case parse_cases[] = {
	{ "pass", SUITE("<testcase classname=\"tests.test_a\" name=\"test_ok\" time=\"0.01\"/>"),
	  { 1, 0, 0, 0, 0, 0 }, NULL, NULL, false },
	{ "failure with traceback",
	  SUITE("<testcase classname=\"tests.test_a\" name=\"test_bad\"><failure message=\"assert 2 == 1\">"
	        "tests/test_a.py:5: in test_bad\n    assert f() == 1\nE   assert 2 == 1</failure></testcase>"),
	  { 0, 1, 0, 0, 0, 0 }, "assert 2 == 1", "E   assert 2 == 1", false },
	{ "error in setup",
	  SUITE("<testcase classname=\"t\" name=\"x\"><error message=\"failed on setup with &quot;E  fixture&quot;\">E</error></testcase>"),
	  { 0, 0, 1, 0, 0, 0 }, "failed on setup with \"E  fixture\"", NULL, false },
	{ "failed, then errored in teardown: failed",
	  SUITE("<testcase classname=\"t\" name=\"x\"><failure message=\"f\">a</failure><error message=\"e\">b</error></testcase>"),
	  { 0, 1, 0, 0, 0, 0 }, "f", "a", false },
	{ "errored in teardown after a pass: error",
	  SUITE("<testcase classname=\"t\" name=\"x\"><error message=\"failed on teardown\">b</error></testcase>"),
	  { 0, 0, 1, 0, 0, 0 }, "failed on teardown", "b", false },
	{ "skip", SUITE("<testcase classname=\"t\" name=\"x\"><skipped type=\"pytest.skip\" message=\"no\">s</skipped></testcase>"),
	  { 0, 0, 0, 1, 0, 0 }, "no", "s", false },
	{ "xfail", SUITE("<testcase classname=\"t\" name=\"x\"><skipped type=\"pytest.xfail\" message=\"known\"/></testcase>"),
	  { 0, 0, 0, 0, 1, 0 }, "known", NULL, false },
	{ "strict xpass is a failure",
	  SUITE("<testcase classname=\"t\" name=\"x\"><failure message=\"[XPASS(strict)] \">[XPASS(strict)] </failure></testcase>"),
	  { 0, 1, 0, 0, 0, 0 }, "[XPASS(strict)] ", NULL, false },
	{ "collection error",
	  SUITE("<testcase classname=\"\" name=\"tests.test_b\" time=\"0\"><error message=\"collection failure\">"
	        "tests/test_b.py:1: in &lt;module&gt;\n    import nosuch\nE   ModuleNotFoundError</error></testcase>"),
	  { 0, 0, 1, 0, 0, 0 }, "collection failure", "in <module>", true },
	{ "CDATA, entities and character references",
	  SUITE("<testcase classname=\"t\" name=\"x\"><failure message=\"a &lt; b &#233;\"><![CDATA[E  <raw> & stuff]]></failure></testcase>"),
	  { 0, 1, 0, 0, 0, 0 }, "a < b \xc3\xa9", "E  <raw> & stuff", false },
	{ "properties, system-out and unknown elements are ignored",
	  SUITE("<testcase classname=\"t\" name=\"x\"><properties><property name=\"a\" value=\"b\"/></properties>"
	        "<system-out>out</system-out><system-err>err</system-err><weird><failure/></weird></testcase>"),
	  { 0, 1, 0, 0, 0, 0 }, NULL, NULL, false },
	{ "missing attributes", SUITE("<testcase/><testcase name=\"only\"/>"),
	  { 2, 0, 0, 0, 0, 0 }, NULL, NULL, false },
	{ "a bare testsuite, no testsuites", "<testsuite><testcase classname=\"a\" name=\"b\"/></testsuite>",
	  { 1, 0, 0, 0, 0, 0 }, NULL, NULL, false },
	{ "an empty run", SUITE(""), { 0 }, NULL, NULL, false },
	{ "details outside a testcase are ignored", SUITE("<failure message=\"stray\"/>"), { 0 }, NULL, NULL, false },
};

static void junit__parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const parse_case *c = &parse_cases[i];
		impact_results r = { 0 };
		const impact_testcase *first = NULL;
		print_message("case: %s\n", c->name);
		assert_int_equal(impact_junit_parse(&r, c->xml, strlen(c->xml)), 0);
		for (int k = 0; k < IMPACT_OUTCOME_COUNT; k++)
			assert_int_equal(r.counts[k], c->counts[k]);
		for (size_t k = 0; k < r.n && !first; k++)
			if (r.cases[k].outcome != IMPACT_OUTCOME_PASSED)
				first = &r.cases[k];
		if (c->message) {
			assert_non_null(first);
			assert_string_equal(first->message, c->message);
		}
		if (c->text) {
			assert_non_null(first);
			assert_non_null(first->text);
			assert_non_null(strstr(first->text, c->text));
		}
		if (r.n)
			assert_int_equal(r.cases[0].collect_error, c->collect_error);
		impact_results_release(&r);
	}
}

static void junit__suite_time_and_xunit1_fields(void **state)
{
	static const char xml[] = SUITE(
		"<testcase classname=\"test_c\" name=\"test_root\" file=\"test_c.py\" line=\"2\" time=\"0.25\"/>");
	impact_results r = { 0 };
	(void)state;
	assert_int_equal(impact_junit_parse(&r, xml, sizeof(xml) - 1), 0);
	assert_true(r.time > 1.4 && r.time < 1.6);
	assert_string_equal(r.cases[0].file, "test_c.py");
	assert_int_equal(r.cases[0].line, 3); /* pytest writes 0-based lines */
	assert_true(r.cases[0].time > 0.24 && r.cases[0].time < 0.26);
	impact_results_release(&r);
}

typedef struct nodeid_case {
	const char *classname, *name;
	bool collect_error;
	const char *want, *want_file;
} nodeid_case;

static void junit__nodeids(void **state)
{
	static const char *const files[] = {
		"tests/test_a.py", "tests/sub/test_b.py", "test_c.py", "pkg/_tests/test_d.py",
	};
	static const nodeid_case cases[] = {
		{ "tests.test_a", "test_bad", false, "tests/test_a.py::test_bad", "tests/test_a.py" },
		{ "tests.sub.test_b.TestK", "test_m[x-1]", false, "tests/sub/test_b.py::TestK::test_m[x-1]", "tests/sub/test_b.py" },
		{ "test_c", "test_root", false, "test_c.py::test_root", "test_c.py" },
		/* rootdir below the work tree: classnames lack the leading folders */
		{ "sub.test_b", "test_z", false, "tests/sub/test_b.py::test_z", "tests/sub/test_b.py" },
		{ "pkg._tests.test_d.TestA.TestB", "t", false, "pkg/_tests/test_d.py::TestA::TestB::t", "pkg/_tests/test_d.py" },
		{ "", "tests.test_a", true, "tests/test_a.py", "tests/test_a.py" },
		{ "elsewhere.test_q", "t", false, "elsewhere.test_q::t", NULL },
	};
	impact_buf id = IMPACT_BUF_INIT;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		impact_testcase tc = { 0 };
		const char *file = "unset";
		tc.classname = (char *)cases[i].classname;
		tc.name = (char *)cases[i].name;
		tc.collect_error = cases[i].collect_error;
		impact_buf_clear(&id);
		impact_junit_nodeid(&id, &tc, files, sizeof(files) / sizeof(files[0]), &file);
		assert_string_equal(id.ptr, cases[i].want);
		if (cases[i].want_file)
			assert_string_equal(file, cases[i].want_file);
		else
			assert_null(file);
	}
	impact_buf_release(&id);
}

static void junit__failure_lines(void **state)
{
	static const struct {
		const char *file, *text;
		uint32_t def_line, want;
	} cases[] = {
		{ "tests/test_a.py", "tests/test_a.py:5: in test_bad\n    assert 0\nE   assert 0", 3, 5 },
		/* --tb=long: the location comes last */
		{ "tests/test_a.py", "    def test_x():\n>       assert 0\nE       assert 0\n\ntests/test_a.py:12: AssertionError", 10, 12 },
		/* the deepest frame in the test's own file wins over library frames */
		{ "tests/test_a.py", "tests/test_a.py:7: in test_y\n    helper()\npkg/util.py:40: in helper\n    raise X\nE   X", 6, 7 },
		/* a file merely ending the same way does not count */
		{ "tests/test_a.py", "mytests/test_a.py:9: in t\nE   x", 4, 4 },
		{ "tests/test_a.py", "no location at all", 4, 4 },
		{ "tests/test_a.py", "tests/test_a.py:notanumber: x", 0, 0 },
		{ "tests/test_a.py", "/abs/work/tests/test_a.py:21: in t", 1, 21 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		impact_testcase tc = { 0 };
		tc.file = (char *)cases[i].file;
		tc.text = (char *)cases[i].text;
		tc.line = cases[i].def_line;
		assert_int_equal(impact_testcase_failure_line(&tc), cases[i].want);
	}
}

static void junit__malformed(void **state)
{
	static const struct {
		const char *xml;
		size_t len; /* 0: strlen */
	} bad[] = {
		{ "<testsuite><testcase name=\"x\">", 0 },            /* truncated */
		{ "<testsuite><testcase name=\"x\"></testsuite>", 0 }, /* mismatched */
		{ "not xml at all", 0 },
		{ "", 0 },
		{ "<testsuite><testcase name=\"x\xff\xfe\"/></testsuite>", 0 }, /* not UTF-8 */
		{ "<testsuite><testcase name=\"x\0y\"/></testsuite>", 40 },     /* a NUL inside */
		{ "<testsuite><testcase name=\"x/></testsuite>", 0 },          /* open quote */
		{ "<testsuite><testcase name=\"&nosuch;\"/></testsuite>", 0 },  /* undefined entity */
		{ "<testsuite><testcase/></testsuite><second/>", 0 },           /* two roots */
		/* billion laughs: expat's amplification limit must stop it */
		{ "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">"
		  "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
		  "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
		  "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
		  "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
		  "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">]>"
		  "<testsuite><testcase name=\"x\"><failure message=\"&f;\"/></testcase></testsuite>", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		impact_results r = { 0 };
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].xml);
		print_message("malformed case %zu\n", i);
		assert_int_equal(impact_junit_parse(&r, bad[i].xml, len), IMPACT_EINVALID);
		assert_non_null(strstr(impact_error_last(), "junit xml line "));
		impact_results_release(&r);
	}
}

static void junit__partial_results_survive_an_error(void **state)
{
	/* pytest killed while writing: what was complete is kept and counted. */
	static const char xml[] = "<testsuites><testsuite><testcase classname=\"t\" name=\"a\"/>"
	                          "<testcase classname=\"t\" name=\"b\"><failure message=\"m\">x</fail";
	impact_results r = { 0 };
	(void)state;
	assert_int_equal(impact_junit_parse(&r, xml, sizeof(xml) - 1), IMPACT_EINVALID);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.counts[IMPACT_OUTCOME_PASSED], 1);
	assert_int_equal(r.counts[IMPACT_OUTCOME_FAILED], 1);
	impact_results_release(&r);
}

static void junit__add_copies_and_names(void **state)
{
	impact_results r = { 0 };
	impact_testcase tc = { 0 };
	char name[] = "test_x";
	(void)state;
	tc.name = name;
	tc.outcome = IMPACT_OUTCOME_XPASSED;
	impact_results_add(&r, &tc);
	name[0] = 'X';
	assert_string_equal(r.cases[0].name, "test_x");
	assert_string_equal(r.cases[0].classname, "");
	impact_results_recount(&r);
	assert_int_equal(r.counts[IMPACT_OUTCOME_XPASSED], 1);
	assert_string_equal(impact_outcome_name(IMPACT_OUTCOME_XFAILED), "xfailed");
	assert_string_equal(impact_outcome_name(IMPACT_OUTCOME_XPASSED), "xpassed");
	assert_true(impact_outcome_is_failure(IMPACT_OUTCOME_ERROR));
	assert_false(impact_outcome_is_failure(IMPACT_OUTCOME_XFAILED));
	impact_results_release(&r);
}

/* Frame lines of pytest's tracebacks: path and function; anything else is none. */
static void junit__traceback_frames(void **state)
{
	static const struct {
		const char *line, *path, *func;
	} cases[] = {
		{ "tests/test_a.py:12: in test_x", "tests/test_a.py", "test_x" },
		{ "    ../site/pkg/core.py:2: in f", "../site/pkg/core.py", "f" },
		{ "/abs/dir/conftest.py:1: in <module>", "/abs/dir/conftest.py", "<module>" },
		{ "C:odd:3: in g", "C:odd", "g" },
		{ "E   AssertionError: assert 1 == 2", NULL, NULL },
		{ "tests/test_a.py:12: AssertionError", NULL, NULL },
		{ ":12: in f", NULL, NULL },
		{ "x.py:: in f", NULL, NULL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = NULL, *func = NULL;
		size_t plen = 0;
		bool is = impact_traceback_frame(cases[i].line, strlen(cases[i].line), &path, &plen, &func);
		assert_int_equal(is, cases[i].path != NULL);
		if (!is)
			continue;
		assert_int_equal(plen, strlen(cases[i].path));
		assert_memory_equal(path, cases[i].path, plen);
		assert_string_equal(func, cases[i].func);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(junit__parse_table),
		cmocka_unit_test(junit__suite_time_and_xunit1_fields),
		cmocka_unit_test(junit__nodeids),
		cmocka_unit_test(junit__failure_lines),
		cmocka_unit_test(junit__malformed),
		cmocka_unit_test(junit__partial_results_survive_an_error),
		cmocka_unit_test(junit__add_copies_and_names),
		cmocka_unit_test(junit__traceback_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
