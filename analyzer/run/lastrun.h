/*
 * lastrun.h - reading the record of the last run (last-run.json).
 *
 * The runner writes <common git dir>/impact/last-run.json after every run
 * (version 1: commit, range, started, duration_s, exit_code, counts,
 * failures, log); `impact status` and the post-commit notification read it
 * back here. Reading only: the writer is the runner.
 */
#ifndef IMPACT_LASTRUN_H
#define IMPACT_LASTRUN_H

#include "common.h"

#include <git2.h>

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

/* What an exit code of impact means, in a few words ("test failures"). Static. */
const char *impact_lastrun_exit_meaning(int exit_code);

#endif
