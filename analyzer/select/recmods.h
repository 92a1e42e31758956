/*
 * recmods.h - which repository modules each recorded test file's process
 * had imported by the end of its tests, and the import-time changes that
 * narrows. Private to the records (records.c, recselect.c); nothing else
 * includes it.
 *
 * Ingest side: the recorder's "modules" and "modset" lines and each test
 * line's "mset" become, per test file, one set of module paths (the union
 * over its tests and over xdist workers), stored once per distinct set
 * (tables mpath and mset; rec.mset NULL when unknown).
 *
 * Selection side: an import-time change of an ordinary module M is a
 * *soft* seed: a test file whose usable record shows its process never
 * imported M cannot have run M's module code, so M's import-time change
 * alone does not keep it. Everything else is *hard* (static reach keeps):
 * test files, conftest.py, pytest_plugins and -p modules, doctest
 * modules, added, deleted, renamed or unreadable modules, data readers.
 */
#ifndef IMPACT_RECMODS_H
#define IMPACT_RECMODS_H

#include "project.h"
#include "records.h"

#include <jansson.h>
#include <sqlite3.h>

/*
 * The id of sorted, unique set `v` in `table` ("fset" or "mset": id,
 * digest, ids), inserted when new: identical sets are stored once.
 * -1 on a store failure.
 */
int64_t impact_records__set_id(sqlite3 *db, const char *table, const impact_u32vec *v);

/* ---- ingest ---- */

typedef struct impact_recmods_ingest impact_recmods_ingest;

/* For a run in work tree `workdir` (no trailing '/'); `db` borrowed. */
impact_recmods_ingest *impact_recmods_ingest_new(sqlite3 *db, const char *workdir);
void impact_recmods_ingest_free(impact_recmods_ingest *m);
/* A "modules" or "modset" line of the current sink file: true when `kind` is one. */
bool impact_recmods_ingest_line(impact_recmods_ingest *m, const char *kind, json_t *line);
/* A test line of test file `rel`: its "mset" joins the file's set (none: unknown). */
void impact_recmods_ingest_test(impact_recmods_ingest *m, const char *rel, json_t *line);
/* The current sink file ends: its numbering goes. */
void impact_recmods_ingest_end_file(impact_recmods_ingest *m);
/*
 * The mset id to store with test file `rel`'s record: > 0, 0 when its set
 * is unknown (a test of it without one), -1 on a store failure.
 */
int64_t impact_recmods_ingest_set(impact_recmods_ingest *m, const char *rel);

/* ---- selection ---- */

typedef struct impact_recmods impact_recmods;

/*
 * Split the import-time seeds: `soft` (candidates: module fingerprint
 * changed in place, or its recorded import ran a changed function) that
 * are not in `hard` and are ordinary modules stay soft; the others are
 * appended to `hard`. Too many soft seeds make them all hard (one walk
 * each). Never fails; `rec`, `p` borrowed.
 */
impact_recmods *impact_recmods_new(impact_records *rec, const impact_project *p,
                                   impact_u32vec *hard, const impact_u32vec *soft);
void impact_recmods_free(impact_recmods *m);

typedef enum impact_recmods_verdict {
	IMPACT_RECMODS_UNREACHED = 0, /* no soft seed reaches the test file */
	IMPACT_RECMODS_KEEP,          /* one reaches it and its record cannot rule it out */
	IMPACT_RECMODS_NEVER,         /* every one that reaches it, it never imported */
} impact_recmods_verdict;

/*
 * The soft seeds' verdict on test file `file` (a project id) whose usable
 * record has module set `mset` (0: unknown). `*seed` is the deciding
 * seed's path (borrowed from the project), `*imported` whether the record
 * shows it imported it (KEEP for a reason other than unknown or a direct
 * import by the test file or its conftest).
 */
impact_recmods_verdict impact_recmods_judge(impact_recmods *m, uint32_t file, int64_t mset,
                                            const char **seed, bool *imported);

#endif
