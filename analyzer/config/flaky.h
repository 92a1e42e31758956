/*
 * flaky.h - known-flaky failures, and the reruns they lead to.
 *
 * Owns applying the configuration's known-flaky list (config.c parses it,
 * impact_config_match_flaky matches one failure) to a run's records: a
 * failure it matches, by node id and failure text, is noted and does not
 * count against the run; a failure with another error stays real. Also
 * folding the records of a rerun into the run's (a rerun replaces the
 * earlier record; a known-flaky test that passed on retry keeps its note,
 * so the report can say so), and choosing what to run next: nothing after
 * a real failure, else the tests a known-flaky failure kept pytest from
 * reaching (-x), and with --retry-flaky each failed known-flaky test once.
 */
#ifndef IMPACT_FLAKY_H
#define IMPACT_FLAKY_H

#include "config.h"
#include "junit.h"

/* Note every failed record of `res` that `config` lists as known flaky (tc->flaky). */
void impact_flaky_mark(impact_results *res, const impact_config *config);

/* Failed or errored records that are not known flaky. */
size_t impact_flaky_real_failures(const impact_results *res);

/* Fold `round` into `into`; with `rerun`, a record with the same node id is replaced. */
void impact_flaky_merge(impact_results *into, const impact_results *round, bool rerun);

/*
 * What to run next after a round, appended to `out` (empty: stop):
 * `not_run` (node ids pytest collected but did not reach) when a known-
 * flaky failure stopped it, and with `retry` each failed known-flaky test
 * not retried yet. Nothing when `res` holds a real failure. *retrying and
 * *continuing say which of the two it is.
 */
void impact_flaky_next(impact_strlist *out, const impact_results *res,
                       const impact_strlist *not_run, bool retry,
                       bool *retrying, bool *continuing);

#endif
