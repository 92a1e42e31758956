/*
 * records.h - recorded dependencies: what each test file executed at its
 * last run, and selection narrowed by it.
 *
 * Owns the store `<common git dir>/impact/records.db` (SQLite): per test
 * file, the tree it ran on and the set of functions its tests executed
 * (repository path, qualified name, fingerprint from fnhash.h; identical
 * sets stored once), the non-Python repository files whose code it ran
 * (templates), and per module what ran while it was imported. The pytest
 * plugin's recorder (share/impact/python/impact_record.py) writes a sink
 * folder during a run; impact_records_ingest turns it into records. A
 * file is recorded only when every test of it that was collected ran
 * and none started a process that was not followed: otherwise its old
 * record stays (it still says which tree it describes) or, for a test
 * that became opaque, is dropped.
 *
 * impact_records_apply narrows a static selection (select.h) by the
 * records, and can add tests the static walk missed; the static rules
 * stay the safety net for every test without a usable record and for
 * every import-time change. It never shrinks a selection on doubt: a
 * damaged store, a record whose tree is gone, a record that cannot be
 * shown to describe the range's old side, all fall back to static.
 */
#ifndef IMPACT_RECORDS_H
#define IMPACT_RECORDS_H

#include "cache.h"
#include "diff.h"
#include "project.h"
#include "select.h"

typedef struct impact_records impact_records;

/* The store's format; another is dropped quietly and rebuilt. */
#define IMPACT_RECORDS_VERSION "impact-records-4"

/*
 * The dependency a record names for "any non-Python file of the
 * repository": its test started a native program (impact_execshim.c),
 * whose reads nobody saw; any changed non-Python file keeps the test.
 */
#define IMPACT_RECORDS_ANY_FILE "*"

/*
 * Open the store of `repo`. With `create`, create it when missing;
 * without, IMPACT_ENOTFOUND when there is none. IMPACT_ERROR with the
 * path when it cannot be opened.
 */
int impact_records_open(impact_records **out, git_repository *repo, bool create);
void impact_records_close(impact_records *rec);

/* What a run gives ingest besides the sink. */
typedef struct impact_records_run {
	const char *sink;            /* the recorder's folder */
	const char *workdir;         /* the work tree the run ran in, no trailing '/' */
	const git_oid *tree;         /* the tree the work tree held, or NULL: unknown (not stored) */
	const char *const *incomplete; /* test files (repository paths) with collected tests that did not run */
	size_t nincomplete;
	const char *const *failed;   /* test files with a failed test: their records are dropped */
	size_t nfailed;
	impact_cache *cache;         /* parse cache, or NULL */
	const char *filter;          /* the run's -k/-m (impact_records_filter), NULL = none */
} impact_records_run;

/*
 * The user's own test filter in pytest arguments `args`, as a key stored
 * with the records a run makes and compared with the selection's: -k and
 * -m expressions (what a later run with the same filter runs again), in
 * `out` ("" when none). A record made under one filter speaks only for
 * runs with the same filter: both must hold. Returns 0, or
 * IMPACT_ENOTFOUND with `*why` the argument that runs part of the tests in
 * a way no later run repeats (--lf, --sw, --deselect, a node id): such a
 * run records nothing. `out` holds the whole key either way.
 */
int impact_records_filter(impact_buf *out, const char **why, const char *const *args, size_t n);

/*
 * Turn the sink's files into records. Returns 0 and appends notes for
 * the user to `notes` (the recorder stepped back, files not recorded);
 * IMPACT_ERROR on a store failure. Malformed sink lines are skipped.
 */
int impact_records_ingest(impact_records *rec, git_repository *repo,
                          const impact_records_run *run, impact_strlist *notes);

typedef struct impact_records_stats {
	size_t files, tests, functions, sets, modules;
	size_t caches; /* functions caching their results, with what computing them ran */
	int64_t bytes;
} impact_records_stats;

int impact_records_stats_get(impact_records *rec, impact_records_stats *out);

/*
 * How the last recorded run traced, as its recorder said ("ctrace, Python
 * 3.11.2": the C hook; "setprofile": the pure-Python one; "monitoring"),
 * or NULL when no run said. Caller frees.
 */
char *impact_records_recorder(impact_records *rec);

/* Test files whose record was made on `tree` (usable as they are for a change from it). */
size_t impact_records_count_at(impact_records *rec, const git_oid *tree);

/* Remove the store. 0 also when there was none. */
int impact_records_clear(git_repository *repo);
/* Copy the store to `path` (a consistent snapshot), or replace it from `path`. */
int impact_records_export(git_repository *repo, const char *path);
int impact_records_import(git_repository *repo, const char *path);

/* The store's path (caller frees). */
char *impact_records_path(git_repository *repo);
/* Whether `repo` has a records store (even one that may not open). */
bool impact_records_exist(git_repository *repo);

/*
 * Narrow `sel` (made for `changes` on `project`, the new side; `old_tree`
 * the old side, NULL = empty) by the records: a test reached only through
 * call-time changes whose usable record executed none of the changed
 * functions is dropped; a test not selected whose usable record executed
 * one is added. Evidence per test is kept in sel (impact_selection_evidence).
 * `filter` is the selection's impact_records_filter key (NULL = ""): a
 * record made under another filter is not used.
 * Appends notes (why records were not used) to `notes`. Returns 0, or a
 * negative code on a git failure (the selection is then unchanged).
 */
int impact_records_apply(impact_records *rec, impact_selection *sel,
                         const impact_project *project, const impact_changeset *changes,
                         git_repository *repo, const git_tree *old_tree,
                         impact_snapshot *new_side, impact_cache *cache, const char *filter,
                         impact_strlist *notes);

#endif
