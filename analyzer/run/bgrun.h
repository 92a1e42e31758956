/*
 * bgrun.h - one background test run at a time per repository.
 *
 * Owns the files under <common git dir>/impact/ that coordinate the runs
 * post-commit and post-rewrite start in the background:
 *
 *   bg.want         the token of the newest run asked for
 *   bg.lock         flock()ed by the run going on; holds its pid
 *   post-commit.json  what the last background run did (state below)
 *   post-commit.log   its output
 *
 * A newer run supersedes an older one: it stops the holder politely
 * (SIGINT to its process group, a grace period, then SIGKILL) and takes
 * the lock; a run that finds a newer token wanted gives way without
 * running. It does not start processes or run tests: the command layer
 * does, between impact_bgrun_acquire and impact_bgrun_release.
 */
#ifndef IMPACT_BGRUN_H
#define IMPACT_BGRUN_H

#include "buf.h"

#include <git2.h>

#include "state.h"
#include <sys/types.h>
#include <time.h>

/* "<commondir>/impact/<name>", creating the folder. Caller frees. */

/* Record `token` as the newest run wanted (replaces the file atomically). */
int impact_bgrun_want(git_repository *repo, const char *token);

/* Is `token` still the newest run wanted? */
bool impact_bgrun_is_current(git_repository *repo, const char *token);

typedef struct impact_bgrun impact_bgrun;

/*
 * Become the one background run of `repo` for `token`. While the lock is
 * held by an older run, that run's process group gets SIGINT, `grace`
 * seconds, then SIGKILL. Returns 0 with *out (the lock, our pid written
 * in it); IMPACT_ENOTFOUND when a newer run was asked for meanwhile
 * (*out NULL: run nothing); another negative code on failure.
 */
int impact_bgrun_acquire(impact_bgrun **out, git_repository *repo, const char *token,
                         double grace);

/* Give the lock up (pid cleared) and free. NULL-safe. */
void impact_bgrun_release(impact_bgrun *run);

/* The pid of the background run going on, or 0. */
pid_t impact_bgrun_holder(git_repository *repo);

/* post-commit.json, version 1. */
typedef struct impact_bgrun_state {
	char *state;      /* "running" or "done"; owned */
	char *hook;       /* "post-commit" / "post-rewrite"; owned */
	char *commit;     /* the commit tested (full id); owned */
	char *base;       /* the old side's commit, or NULL (root: the empty tree); owned */
	char *range;      /* the revspec run; owned */
	char *log;        /* the log's path; owned */
	pid_t pid;
	time_t started;
	double duration_s; /* done */
	int exit_code;     /* done */
} impact_bgrun_state;

/* Replace post-commit.json atomically with `st`. */
int impact_bgrun_state_write(git_repository *repo, const impact_bgrun_state *st);

/* Read post-commit.json: 0, IMPACT_ENOTFOUND when absent, IMPACT_EINVALID when damaged. */
int impact_bgrun_state_read(impact_bgrun_state *out, git_repository *repo);

void impact_bgrun_state_release(impact_bgrun_state *st);

#endif
