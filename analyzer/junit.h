/*
 * junit.h - pytest's results, read from its JUnit XML with libexpat.
 *
 * Owns turning `--junitxml` output into outcomes: passed, failed, error,
 * skipped, xfailed (pytest writes <skipped type="pytest.xfail">), with
 * each test's duration, message and short traceback. pytest's default
 * xunit2 family gives no file attribute: the test's module is recovered
 * from its dotted classname by the caller (impact_junit_nodeid). A
 * non-strict XPASS is recorded by pytest as a pass and counted so.
 */
#ifndef IMPACT_JUNIT_H
#define IMPACT_JUNIT_H

#include "buf.h"

typedef enum impact_outcome {
	IMPACT_OUTCOME_PASSED = 0,
	IMPACT_OUTCOME_FAILED,
	IMPACT_OUTCOME_ERROR,
	IMPACT_OUTCOME_SKIPPED,
	IMPACT_OUTCOME_XFAILED,
	IMPACT_OUTCOME_COUNT
} impact_outcome;

typedef struct impact_testcase {
	char *classname;  /* "tests.test_x" or "tests.test_x.TestClass" */
	char *name;       /* "test_y[param]" */
	char *file;       /* when the XML has it (xunit1), else NULL */
	uint32_t line;    /* 1-based, 0 if unknown */
	double time;      /* seconds */
	impact_outcome outcome;
	char *message;    /* the failure/error/skip message, or NULL */
	char *text;       /* the traceback text, or NULL */
} impact_testcase;

typedef struct impact_results {
	impact_testcase *cases;
	size_t n, alloc;
	size_t counts[IMPACT_OUTCOME_COUNT];
	double time;      /* the suite's total, from <testsuite time=...> */
} impact_results;

/*
 * Parse `len` bytes of JUnit XML, appending to *out (zero it first).
 * Malformed XML gives IMPACT_EINVALID "junit xml line N: what"; never a
 * crash. Release with impact_results_release.
 */
int impact_junit_parse(impact_results *out, const char *xml, size_t len);
void impact_results_release(impact_results *r);

/*
 * The pytest node id of `tc` ("tests/test_x.py::TestClass::test_y"), found
 * by matching its classname against the test files that ran (`files`, n).
 * Appended to `out`; falls back to the classname when no file matches.
 */
void impact_junit_nodeid(impact_buf *out, const impact_testcase *tc,
                         const char *const *files, size_t n, const char **file_out);

const char *impact_outcome_name(impact_outcome o);

#endif
