/*
 * lastrun.h - the record of the last run: last-run.json, written and read
 * here only.
 *
 * Owns the file <common git dir>/impact/last-run.json, version 1, exactly
 *   {"version": 1, "commit": <new side commit id or null>,
 *    "range": "<old>..<new>", "started": "<ISO 8601 UTC>",
 *    "duration_s": <float>, "exit_code": <int>,
 *    "counts": {"passed", "failed", "errors", "skipped", "xfailed", "xpassed"},
 *    "failures": [{"nodeid", "file", "line", "message", "flaky"}],
 *    "log": <path of pytest's output, or null>,
 *    "tested": "<which tree, e.g. commit 1a2b3c4 in a private checkout>" | "the work tree"}
 * written atomically (impact_file_replace), so a reader (`impact status`,
 * the hooks, --last-failed) never sees half a file. The same object is the
 * "run" member of `--json --run`. The common directory is shared by every
 * linked worktree: the last run is the repository's. One reader, one
 * version rule: another version or a damaged file is IMPACT_EINVALID.
 */
#ifndef IMPACT_LASTRUN_H
#define IMPACT_LASTRUN_H

#include "common.h"
#include "junit.h"
#include "state.h"

#include <git2.h>
#include <jansson.h>
#include <time.h>

/* What the runner writes. */
typedef struct impact_lastrun_rec {
	const char *commit;            /* full hex id, or NULL */
	const char *range;             /* "HEAD~1..HEAD", or NULL */
	time_t started;
	double duration_s;
	int exit_code;
	const impact_results *results; /* records with node ids; flaky notes */
	const char *log;               /* or NULL */
	const char *tested;            /* "commit 1a2b3c4 in a private checkout", or NULL: the work tree */
} impact_lastrun_rec;

/*
 * The record as JSON (a new reference). Failures are the failed and
 * errored records; "flaky" is true for a known-flaky one; "line" is where
 * the test failed in its file (0 if unknown).
 */
json_t *impact_lastrun_json(const impact_lastrun_rec *rec);

/* Replace last-run.json with `doc`, atomically. IMPACT_ERROR with the path and errno. */
int impact_lastrun_write(git_repository *repo, json_t *doc);

typedef struct impact_lastrun_failure {
	char *nodeid, *file, *message; /* owned; file and message may be NULL */
	unsigned line;
	bool flaky;
} impact_lastrun_failure;

typedef struct impact_lastrun {
	char *commit;   /* full id, or NULL (no commit: index, working tree); owned */
	char *range;    /* "HEAD~1..HEAD"; owned, may be NULL */
	char *started;  /* ISO 8601 UTC; owned, may be NULL */
	char *log;      /* pytest's output, when it was kept; owned, may be NULL */
	char *tested;   /* which tree ran ("commit 1a2b3c4 in a private checkout"); owned, may be NULL */
	double duration_s;
	int exit_code;
	unsigned long passed, failed, errors, skipped, xfailed, xpassed;
	impact_lastrun_failure *failures;
	size_t nfailures;
} impact_lastrun;

/*
 * Read `repo`'s last-run.json into *out: 0; IMPACT_ENOTFOUND when no run
 * is recorded; IMPACT_EINVALID when the file is damaged or of another
 * version. Release with impact_lastrun_release.
 */
int impact_lastrun_read(impact_lastrun *out, git_repository *repo);
void impact_lastrun_release(impact_lastrun *run);


/*
 * What --last-failed needs: the failed node ids (appended to `failed`),
 * the range (*range, caller frees; NULL if none) and the exit code. The
 * codes of impact_lastrun_read.
 */
int impact_lastrun_read_failed(impact_strlist *failed, char **range, int *exit_code,
                               git_repository *repo);

#endif
