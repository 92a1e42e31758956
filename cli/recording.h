/*
 * recording.h - the runner's side of recorded dependencies: a sink folder
 * per pytest round for the recorder (share/impact/python/impact_record.py),
 * the variables that switch it on, and the ingest of what it wrote into
 * the store (analyzer/records.h) when the round ends.
 *
 * Records are stored only for a run whose work tree holds HEAD's tracked
 * files unchanged (the tree they describe must be known), and only when
 * the user's own arguments do not deselect tests (-k, -m, --lf, node ids,
 * --deselect): a record must speak for the whole test file.
 */
#ifndef IMPACT_RECORDING_H
#define IMPACT_RECORDING_H

#include "cli.h"
#include "buf.h"

typedef struct impact_recording {
	git_repository *repo;   /* borrowed */
	const char *workdir;    /* borrowed */
	char *sink;             /* this round's folder, or NULL: not recording */
	git_oid tree;           /* the tree the work tree holds */
	bool have_tree;
	char *why_not;          /* why nothing is stored (said once), or NULL */
	char *filter;           /* the run's -k/-m key (impact_records_filter), or NULL */
	bool quiet;
} impact_recording;

/*
 * Decide whether this run records. Off with `off` (--no-record). An
 * exact-tree run (cli->workdir a private checkout of `exact_tree`) knows
 * its tree; any other must be HEAD's, unmodified. Never
 * fails: a problem is said and recording is off.
 */
void impact_recording_init(impact_recording *rec, impact_cli *cli, bool off, bool quiet,
                           const char *const *args, size_t nargs, const git_oid *exact_tree);

/* A new sink for round `round`; appends the variables to `env` ("NAME=value"). */
void impact_recording_round(impact_recording *rec, const char *run_id, int round,
                            impact_strlist *env);

/*
 * Ingest the round's sink (test files in `incomplete`, repository paths,
 * had collected tests that did not run; in `failed`, a test failed: its
 * record is dropped) and remove it. Problems are said
 * on stderr; the run's outcome is never changed by them.
 */
void impact_recording_collect(impact_recording *rec, const impact_strlist *incomplete,
                              const impact_strlist *failed);

/* The round's sink removed unread (a run that says nothing of the tree). */
void impact_recording_discard(impact_recording *rec);
void impact_recording_release(impact_recording *rec);

/* Remove sinks that dead runs left in the state folder. */
void impact_recording_sweep(git_repository *repo);

#endif
