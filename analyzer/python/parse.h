/*
 * parse.h - extract the facts of many Python files on all cores.
 *
 * Owns the thread pool: each worker has its own tree-sitter parser and
 * takes the next file from a shared counter. Reading a file's bytes goes
 * through the snapshot under a mutex (libgit2 object reads of one
 * repository are serialised); parsing, the expensive part, runs in
 * parallel. Results are in input order, so output never depends on
 * scheduling.
 */
#ifndef IMPACT_PARSE_H
#define IMPACT_PARSE_H

#include "cache.h"
#include "pyimports.h"
#include "snapshot.h"

typedef struct impact_parse_job {
	const impact_entry *entry; /* in: the file to read */
	impact_pyfacts *facts;     /* out: owned by the job's owner; NULL on error */
	int error;                 /* out: 0, or the IMPACT_E* code of a read error */
	char *message;             /* out: the error message, owned; NULL if none */
	bool cached;               /* out: the facts came from the cache */
	bool stored;               /* out: parsed now and stored in the cache */
} impact_parse_job;

/*
 * Fill every job: from `cache` (may be NULL) by blob id when it has them,
 * else by reading and parsing, storing what was parsed back into the
 * cache. `nthreads` 0 = one per online CPU. Per-file read errors are
 * recorded in the job, not returned. `slim`: keep only impact_pyfacts_slim
 * copies (what was parsed is stored whole in the cache first, so the rest
 * can be reloaded by blob id). Returns IMPACT_ERROR only when
 * parsing is impossible (the grammar does not load).
 */
int impact_parse_run(impact_parse_job *jobs, size_t n, impact_snapshot *snap,
                     unsigned nthreads, impact_cache *cache, bool slim);
/* Free what the jobs own (facts, messages). */
void impact_parse_jobs_release(impact_parse_job *jobs, size_t n);

#endif
