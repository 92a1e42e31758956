/*
 * reccache.h - recorded functions by key, and what a function that caches
 * its results means for records: the functions that may read a result
 * another test computed (recselect.c's helpers; see reccache.c).
 */
#ifndef IMPACT_RECCACHE_H
#define IMPACT_RECCACHE_H

#include "precise.h"
#include "records.h"

#include <git2.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Per func row id (0..*maxid) of the store: the tag of its "path\nqual"
 * in `keys` (a JSON object: an integer value is the tag, any other 1),
 * 0 when not in it. Caller frees.
 */
uint32_t *impact_reccache_func_tags(impact_records *rec, const json_t *keys, int64_t *maxid);

/* Does id list `ids` (n ids, maybe unaligned) hold one tagged in `tags`? */
bool impact_reccache_holds(const void *ids, size_t n, const uint32_t *tags, int64_t maxid);

/* A record's executed function ids (one test file's, or one module import's). */
typedef struct impact_reccache_ids {
	const uint32_t *ids;
	size_t n;
} impact_reccache_ids;

/*
 * The functions that may read a stale cached result: for each function
 * `pr` reached that caches its results (pr->cached_keys) whose recorded
 * computation on `old_tree` ran a changed function (`marks`), or without
 * such a record, that some record (`recs`, or a module import's) ran
 * beside a changed function, the functions that name it (pr->cache_readers). Per func
 * row id, 1 + the index in pr->cached_keys of the function it names, 0
 * for none; NULL when no cached function qualifies. Caller frees.
 */
uint32_t *impact_reccache_readers(impact_records *rec, const impact_precise *pr,
                                  const git_oid *old_tree, const impact_reccache_ids *recs,
                                  size_t nrecs, const uint32_t *marks, int64_t maxid,
                                  int64_t *rmax);

#endif
