/*
 * test_junit.c - pytest's JUnit XML: outcomes, node ids, malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "junit.h"

static const char xml[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	"<testsuites><testsuite name=\"pytest\" errors=\"1\" failures=\"1\" skipped=\"2\" tests=\"6\" time=\"1.5\">"
	"<testcase classname=\"tests.test_a\" name=\"test_ok\" time=\"0.010\" />"
	"<testcase classname=\"tests.test_a\" name=\"test_bad\" time=\"0.020\">"
	"<failure message=\"assert 2 == 1\">tests/test_a.py:5: in test_bad\n    assert f() == 1\nE   assert 2 == 1</failure></testcase>"
	"<testcase classname=\"tests.sub.test_b.TestK\" name=\"test_m[x-1]\" time=\"0\">"
	"<error message=\"fixture 'db' not found\">E fixture 'db' not found</error></testcase>"
	"<testcase classname=\"tests.test_a\" name=\"test_skip\"><skipped type=\"pytest.skip\" message=\"no\">s</skipped></testcase>"
	"<testcase classname=\"tests.test_a\" name=\"test_xf\"><skipped type=\"pytest.xfail\" message=\"known\" /></testcase>"
	"<testcase classname=\"test_c\" name=\"test_root\" file=\"test_c.py\" line=\"2\" />"
	"</testsuite></testsuites>";

static void junit__outcomes_and_ids(void **state)
{
	impact_results r = { 0 };
	static const char *const files[] = { "tests/test_a.py", "tests/sub/test_b.py", "test_c.py" };
	impact_buf id = IMPACT_BUF_INIT;
	const char *file = NULL;
	(void)state;

	assert_int_equal(impact_junit_parse(&r, xml, sizeof(xml) - 1), 0);
	assert_int_equal(r.n, 6);
	assert_int_equal(r.counts[IMPACT_OUTCOME_PASSED], 2);
	assert_int_equal(r.counts[IMPACT_OUTCOME_FAILED], 1);
	assert_int_equal(r.counts[IMPACT_OUTCOME_ERROR], 1);
	assert_int_equal(r.counts[IMPACT_OUTCOME_SKIPPED], 1);
	assert_int_equal(r.counts[IMPACT_OUTCOME_XFAILED], 1);
	assert_true(r.time > 1.4 && r.time < 1.6);
	assert_string_equal(r.cases[1].message, "assert 2 == 1");
	assert_non_null(strstr(r.cases[1].text, "E   assert 2 == 1"));
	assert_int_equal(r.cases[5].line, 3);

	impact_junit_nodeid(&id, &r.cases[1], files, 3, &file);
	assert_string_equal(id.ptr, "tests/test_a.py::test_bad");
	assert_string_equal(file, "tests/test_a.py");
	impact_buf_clear(&id);
	impact_junit_nodeid(&id, &r.cases[2], files, 3, &file);
	assert_string_equal(id.ptr, "tests/sub/test_b.py::TestK::test_m[x-1]");
	impact_buf_clear(&id);
	impact_junit_nodeid(&id, &r.cases[1], NULL, 0, &file);
	assert_string_equal(id.ptr, "tests.test_a::test_bad");
	assert_null(file);
	assert_string_equal(impact_outcome_name(IMPACT_OUTCOME_XFAILED), "xfailed");
	impact_buf_release(&id);
	impact_results_release(&r);
}

static void junit__malformed(void **state)
{
	static const char *const bad[] = {
		"<testsuite><testcase name=\"x\">",           /* truncated */
		"<testsuite><testcase name=\"x\"></testsuite>", /* mismatched */
		"not xml at all",
		"",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		impact_results r = { 0 };
		assert_int_equal(impact_junit_parse(&r, bad[i], strlen(bad[i])), IMPACT_EINVALID);
		assert_non_null(strstr(impact_error_last(), "junit xml line"));
		impact_results_release(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(junit__outcomes_and_ids),
		cmocka_unit_test(junit__malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
