/*
 * history.h - what earlier runs said about each test.
 *
 * Owns the run history: for every run, per test (node id) its file,
 * outcome and duration, with the commit it ran on, in
 * <common git dir>/impact/history.sqlite (WAL; separate from the parse
 * cache, which is emptied when the extractor changes). It answers, per
 * test file, whether it failed in the last run that included it, how often
 * it failed, and how long it took: the run order puts recent and frequent
 * failures first (cctrial's rule), and shards are balanced on durations.
 * The history is advisory: any error leaves it out, never the run.
 */
#ifndef IMPACT_HISTORY_H
#define IMPACT_HISTORY_H

#include "junit.h"

#include <git2.h>

typedef struct impact_history impact_history;

/* Open (creating) the history of `repo`. IMPACT_ERROR when it cannot be had. */
int impact_history_open(impact_history **out, git_repository *repo);
void impact_history_close(impact_history *h);

/* Record a run: results[i] is node id ids[i] of file files[i] (may be NULL). */
int impact_history_record(impact_history *h, const char *commit,
                          const impact_results *res, const char *const *ids,
                          const char *const *files);

typedef struct impact_file_history {
	bool known;          /* some run included this file */
	bool failed_last;    /* a test of it failed in the last run that included it */
	uint32_t failures;   /* runs in which it failed or errored (known-flaky failures aside) */
	double seconds;      /* its tests' total duration in that last run */
} impact_file_history;

/* What the history knows of test file `file` (zeroed when nothing). */
int impact_history_file(impact_history *h, const char *file, impact_file_history *out);
/*
 * Many impact_history_file calls in one read transaction (one lock, not
 * two per file); _end closes it. Failing to begin only costs speed.
 */
void impact_history_read_begin(impact_history *h);
void impact_history_read_end(impact_history *h);

#endif
