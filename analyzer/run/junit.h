/*
 * junit.h - pytest's results, read from its JUnit XML with libexpat.
 *
 * Owns turning `--junitxml` output into one record per test: passed,
 * failed, error, skipped, xfailed (pytest writes <skipped
 * type="pytest.xfail">), with its duration, message and traceback, and
 * the results' counts. What the XML cannot say is filled in by others:
 * a non-strict XPASS is written as a plain pass (only impact's pytest
 * plugin tells it apart, events.c), and pytest's default xunit2 family
 * gives no file, so the node id comes from the plugin or, without it,
 * from the dotted classname matched against the files that ran
 * (impact_junit_nodeid). A module that failed to import is a testcase
 * with an empty classname and <error message="collection failure">:
 * marked collect_error.
 *
 * Counts are per test: a test that failed and then errored in teardown
 * counts once, as failed (pytest's own summary counts it twice).
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
	IMPACT_OUTCOME_XPASSED, /* non-strict; a strict XPASS is a failure */
	IMPACT_OUTCOME_COUNT
} impact_outcome;

typedef struct impact_testcase {
	char *classname;  /* "tests.test_x" or "tests.test_x.TestClass" */
	char *name;       /* "test_y[param]" */
	char *file;       /* repo-relative test file, when known, else NULL */
	char *nodeid;     /* "tests/test_x.py::TestClass::test_y", when known, else NULL */
	uint32_t line;    /* 1-based line of the test's definition, 0 if unknown */
	double time;      /* seconds */
	impact_outcome outcome;
	char *message;    /* the failure/error/skip message, or NULL */
	char *text;       /* the traceback text, or NULL */
	bool collect_error; /* the module failed to collect (import error) */
	/* Set by the runner, not by the parser: */
	char *flaky;      /* failed as a known-flaky test: the note to show, else NULL */
	bool retried;     /* this record is from a rerun of the test */
} impact_testcase;

typedef struct impact_results {
	impact_testcase *cases;
	size_t n, alloc;
	size_t counts[IMPACT_OUTCOME_COUNT];
	double time;      /* the suite's total, from <testsuite time=...> */
} impact_results;

/*
 * Parse `len` bytes of JUnit XML, appending to *out (zero it first).
 * Malformed XML gives IMPACT_EINVALID "junit xml line N: what" and keeps
 * what was read before the error; never a crash. Release with
 * impact_results_release.
 */
int impact_junit_parse(impact_results *out, const char *xml, size_t len);
void impact_results_release(impact_results *r);
/* Append a copy of the strings of `tc` (a record with owned copies). */
impact_testcase *impact_results_add(impact_results *r, const impact_testcase *tc);
/* Recompute r->counts from the records. */
void impact_results_recount(impact_results *r);
/* True for a failed or errored record. */
bool impact_outcome_is_failure(impact_outcome o);

/*
 * The pytest node id of `tc` ("tests/test_x.py::TestClass::test_y"), found
 * by matching its classname against the test files that ran (`files`, n).
 * Appended to `out`; falls back to the classname when no file matches.
 * *file_out (if given) gets the matching entry of `files`, or tc->file.
 */
void impact_junit_nodeid(impact_buf *out, const impact_testcase *tc,
                         const char *const *files, size_t n, const char **file_out);

/*
 * The line in tc->file where the test failed: the last "<file>:<n>:" of
 * its traceback, which every --tb style but "no" and "line" prints; else
 * tc->line; 0 when neither is known.
 */
uint32_t impact_testcase_failure_line(const impact_testcase *tc);

/*
 * A frame line of a pytest traceback, "  path:12: in func" (`len` bytes
 * of `line`, leading spaces allowed): its path (*path, *plen bytes, as
 * printed: relative or absolute) and what follows " in " (*func, up to
 * the line's end). False when the line is no such frame.
 */
bool impact_traceback_frame(const char *line, size_t len, const char **path, size_t *plen,
                            const char **func);

const char *impact_outcome_name(impact_outcome o);

#endif
