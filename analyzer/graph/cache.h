/*
 * cache.h - parse results kept across runs, keyed by git blob id, and
 * module graphs keyed by tree id.
 *
 * Owns the on-disk store: a SQLite database in WAL mode under the common
 * git directory (<commondir>/impact/cache.sqlite), so every branch and
 * linked worktree shares it and an unchanged file is never parsed twice.
 * Values are opaque bytes (pyimports' encoded facts); the store is tagged
 * with their version and emptied when it changes. Two impact processes may
 * use it at once (WAL, busy timeout); a crash mid-write loses at most that
 * write. A damaged store is deleted and rebuilt with one warning. The
 * cache can only ever cost a miss: every failure after opening turns it
 * off for the run, with a warning, and the analysis goes on.
 *
 * Graphs (projcache.c's bytes) are files beside the database,
 * <commondir>/impact/graphs/<tree id>, replaced through a rename and
 * mapped read-only, the last few used kept.
 */
#ifndef IMPACT_CACHE_H
#define IMPACT_CACHE_H

#include "buf.h"

#include <git2.h>

typedef struct impact_cache impact_cache;

/*
 * Open (creating) the store at `path` for values of `version`. A damaged
 * store is discarded and recreated; *warning (if not NULL) then gets an
 * owned one-line message, else NULL. Returns 0 and *out, or an error when
 * no store can be had at all (unwritable directory): callers run without.
 */
int impact_cache_open(impact_cache **out, const char *path, uint32_t version,
                      char **warning);
void impact_cache_close(impact_cache *cache);

/*
 * Look up `oid`: 0 and the value appended to `out`, IMPACT_ENOTFOUND, or
 * IMPACT_ERROR (the cache is then off: every later call misses).
 */
int impact_cache_get(impact_cache *cache, const git_oid *oid, impact_buf *out);

/*
 * Bracket many lookups in one read transaction (one lock, one snapshot of
 * the store): without it every lookup takes and drops file locks.
 */
void impact_cache_read_begin(impact_cache *cache);
void impact_cache_read_end(impact_cache *cache);

/* Store values; call between begin and commit (one transaction). */
int impact_cache_begin(impact_cache *cache);
int impact_cache_put(impact_cache *cache, const git_oid *oid, const void *data,
                     size_t len);
int impact_cache_commit(impact_cache *cache);

/*
 * The module graph of a tree (projcache.c's encoding), kept for the last
 * few trees analysed, as files. map: 0 and the file mapped read-only in
 * *map / *len (the caller unmaps it with impact_cache_unmap once nothing
 * points into it), or IMPACT_ENOTFOUND. put: written through a rename;
 * drops the least recently used beyond the few. forget: a damaged one.
 */
int impact_cache_map_project(impact_cache *cache, const git_oid *tree, void **map, size_t *len);
void impact_cache_unmap(void *map, size_t len);
int impact_cache_put_project(impact_cache *cache, const git_oid *tree,
                             const impact_file_part *parts, size_t nparts);
void impact_cache_forget_project(impact_cache *cache, const git_oid *tree);

/* Drop an entry found to be damaged. */
void impact_cache_forget(impact_cache *cache, const git_oid *oid);

/* The first warning of this run (cache turned off, damage), or NULL. Borrowed. */
const char *impact_cache_warning(const impact_cache *cache);

typedef struct impact_cache_stats {
	uint64_t entries;
	uint64_t value_bytes;
	uint64_t file_bytes;   /* the database and its WAL on disk */
	uint32_t version;
	uint64_t projects, project_bytes; /* module graphs of trees */
	uint64_t hits, misses; /* of this process */
} impact_cache_stats;

int impact_cache_stats_get(impact_cache *cache, impact_cache_stats *out);
void impact_cache_counts(const impact_cache *cache, uint64_t *hits, uint64_t *misses);

/* Delete the store at `path` (and its WAL files). Absent is not an error. */
int impact_cache_remove(const char *path);

/* "<commondir>/impact/cache.sqlite" of `repo`, creating the folder. Caller frees. */
int impact_cache_default_path(char **out, git_repository *repo);

#endif
