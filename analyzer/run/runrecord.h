/*
 * runrecord.h - writing the record of a run: last-run.json.
 *
 * Owns the file <common git dir>/impact/last-run.json, version 1, exactly
 *   {"version": 1, "commit": <new side commit id or null>,
 *    "range": "<old>..<new>", "started": "<ISO 8601 UTC>",
 *    "duration_s": <float>, "exit_code": <int>,
 *    "counts": {"passed", "failed", "errors", "skipped", "xfailed", "xpassed"},
 *    "failures": [{"nodeid", "file", "line", "message", "flaky"}],
 *    "log": <path of pytest's output, or null>,
 *    "tested": "<which tree, e.g. commit 1a2b3c4 in a private checkout>" | "the work tree"}
 * written atomically (a temporary file renamed over it), so a reader
 * (`impact status`, the hooks, --last-failed) never sees half a file.
 * What --last-failed needs is read back here too. The same object is the "run" member of `--json --run`. The
 * common directory is shared by every linked worktree: the last run is
 * the repository's.
 */
#ifndef IMPACT_RUNRECORD_H
#define IMPACT_RUNRECORD_H

#include "junit.h"
#include "pytestcfg.h"

#include <git2.h>
#include <jansson.h>
#include <time.h>

typedef struct impact_runrecord {
	const char *commit;            /* full hex id, or NULL */
	const char *range;             /* "HEAD~1..HEAD", or NULL */
	time_t started;
	double duration_s;
	int exit_code;
	const impact_results *results; /* records with node ids; flaky notes */
	const char *log;               /* or NULL */
	const char *tested;            /* "commit 1a2b3c4 in a private checkout", or NULL: the work tree */
} impact_runrecord;

/*
 * The record as JSON (a new reference). Failures are the failed and
 * errored records; "flaky" is true for a known-flaky one; "line" is where
 * the test failed in its file (0 if unknown).
 */
json_t *impact_runrecord_json(const impact_runrecord *rec);

/* "<common git dir>/impact/<name>", creating the folder. Caller frees. */
char *impact_runrecord_path(git_repository *repo, const char *name);

/* Replace last-run.json with `doc`, atomically. IMPACT_ERROR with the path and errno. */
int impact_runrecord_write(git_repository *repo, json_t *doc);

/*
 * What --last-failed needs from last-run.json: the failed node ids
 * (appended to `failed`), the range (*range, caller frees; NULL if none)
 * and the exit code. IMPACT_ENOTFOUND when no run is recorded;
 * IMPACT_EINVALID, saying so, when the file is damaged or of another
 * version.
 */
int impact_runrecord_read_failed(impact_strlist *failed, char **range, int *exit_code,
                                 git_repository *repo);

#endif
