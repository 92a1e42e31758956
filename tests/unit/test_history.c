/*
 * test_history.c - the run history (history.c) in a real repository's
 * state folder: what it says of a file, and its bound (older runs'
 * results dropped, each file's last run kept).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ftw.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history.h"
#include "junit.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* One run: a.py's test failing, and b.py's (passing) when `with_b`. */
static void record_run(impact_history *h, bool with_b)
{
	impact_results res = { 0 };
	impact_testcase tc = { 0 };
	const char *ids[2] = { "a.py::test_a", "b.py::test_b" };
	const char *files[2] = { "a.py", "b.py" };
	tc.name = "test_a";
	tc.outcome = IMPACT_OUTCOME_FAILED;
	tc.time = 0.5;
	impact_results_add(&res, &tc);
	if (with_b) {
		tc.name = "test_b";
		tc.outcome = IMPACT_OUTCOME_PASSED;
		tc.time = 2.0;
		impact_results_add(&res, &tc);
	}
	assert_int_equal(impact_history_record(h, NULL, &res, ids, files), 0);
	impact_results_release(&res);
}

static void history__bounded_keeping_each_files_last_run(void **state)
{
	char dir[] = "/tmp/impact-test-history-XXXXXX";
	git_repository *repo = NULL;
	impact_history *h = NULL;
	impact_file_history fh;
	(void)state;
	git_libgit2_init();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(git_repository_init(&repo, dir, 0), 0);
	assert_int_equal(impact_history_open(&h, repo), 0);

	/* b.py runs once, first; a.py fails in each of 300 runs. */
	record_run(h, true);
	for (int i = 1; i < 300; i++)
		record_run(h, false);

	assert_int_equal(impact_history_file(h, "a.py", &fh), 0);
	assert_true(fh.known && fh.failed_last);
	/* Failures are counted over the kept runs: 200, plus at most the slack of 50. */
	assert_in_range(fh.failures, 200, 250);
	/* b.py's last run is far past the bound, and kept whole. */
	assert_int_equal(impact_history_file(h, "b.py", &fh), 0);
	assert_true(fh.known);
	assert_false(fh.failed_last);
	assert_true(fh.seconds > 1.9 && fh.seconds < 2.1);
	assert_int_equal(impact_history_file(h, "c.py", &fh), 0);
	assert_false(fh.known);
	impact_history_close(h);

	/* Opened again (the schema as it is), it says the same. */
	assert_int_equal(impact_history_open(&h, repo), 0);
	assert_int_equal(impact_history_file(h, "b.py", &fh), 0);
	assert_true(fh.known);
	impact_history_close(h);
	git_repository_free(repo);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	git_libgit2_shutdown();
}

/* Two tests of a file failing in one run are one failed run; a known-flaky failure is none. */
static void history__a_run_fails_a_file_once(void **state)
{
	char dir[] = "/tmp/impact-test-history-XXXXXX";
	git_repository *repo = NULL;
	impact_history *h = NULL;
	impact_file_history fh;
	impact_results res = { 0 };
	impact_testcase tc = { 0 };
	const char *ids[3] = { "a.py::t1", "a.py::t2", "b.py::t3" };
	const char *files[3] = { "a.py", "a.py", "b.py" };
	(void)state;
	git_libgit2_init();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(git_repository_init(&repo, dir, 0), 0);
	assert_int_equal(impact_history_open(&h, repo), 0);
	tc.outcome = IMPACT_OUTCOME_FAILED;
	tc.name = "t1";
	impact_results_add(&res, &tc);
	tc.name = "t2";
	tc.outcome = IMPACT_OUTCOME_ERROR;
	impact_results_add(&res, &tc);
	tc.name = "t3";
	tc.outcome = IMPACT_OUTCOME_FAILED;
	impact_results_add(&res, &tc)->flaky = strdup("known flaky");
	assert_int_equal(impact_history_record(h, NULL, &res, ids, files), 0);
	assert_int_equal(impact_history_record(h, NULL, &res, ids, files), 0);
	assert_int_equal(impact_history_file(h, "a.py", &fh), 0);
	assert_int_equal(fh.failures, 2);
	assert_true(fh.failed_last);
	assert_int_equal(impact_history_file(h, "b.py", &fh), 0);
	assert_int_equal(fh.failures, 0);
	impact_results_release(&res);
	impact_history_close(h);
	git_repository_free(repo);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	git_libgit2_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(history__bounded_keeping_each_files_last_run),
		cmocka_unit_test(history__a_run_fails_a_file_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
