/*
 * runreport.h - a run's results in words, for people and for CI.
 *
 * Owns the text after a run: one summary line (passed, failed, errors,
 * skipped, xfailed, xpassed, the time, how many failures are known
 * flaky), notes on how pytest ended when that says more than the counts,
 * then each failing test with the end of its traceback and one line of
 * judgement: its known-flaky note, "likely caused by this change: <the
 * change its test file's import chain reaches>", or "not reached by this
 * change: possibly flaky or environmental"; and --format github's
 * workflow annotations. Renders into buffers: the command layer prints.
 */
#ifndef IMPACT_RUNREPORT_H
#define IMPACT_RUNREPORT_H

#include "junit.h"
#include "report.h"

/* How the run ended, beyond the test outcomes. */
typedef struct impact_run_notes {
	double seconds;
	size_t reaped;            /* stray processes stopped after the run */
	bool nothing_collected;   /* pytest's exit 5 */
	bool unexplained;         /* pytest said "failures" but no record says which */
	bool stopped_inside;      /* pytest's exit 2 without collection errors */
	bool internal_error;      /* pytest's exit 3 */
	bool usage_error;         /* pytest's exit 4 */
	int crash_signal;         /* pytest died of this signal, or 0 */
	/*
	 * The run ended before every collected test reported: why (static
	 * text), or NULL; and the tests that never ran (borrowed, may be
	 * NULL or empty when impact's plugin was not there to say).
	 */
	const char *incomplete;
	const impact_strlist *never_ran;
	/* The repository's packages the tests imported from outside it: name, where, ... (borrowed, or NULL) */
	const impact_strlist *shadowed;
	const char *workdir;      /* where pytest ran: its tracebacks' relative paths start there */
} impact_run_notes;

/*
 * The report of `res` into `out`. `ctx` (the selection, may be NULL with
 * --last-failed) gives each failure its likely cause.
 */
void impact_runreport_text(impact_buf *out, const impact_results *res,
                           const impact_report_ctx *ctx, const impact_run_notes *notes);

/*
 * One GitHub workflow command per failure into `out`: `::error
 * file=<path>,line=<n>::<node id> <message>`, `::warning` for a
 * known-flaky one; properties and data escaped as GitHub requires.
 */
void impact_runreport_github(impact_buf *out, const impact_results *res);

#endif
