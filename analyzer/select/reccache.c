/*
 * reccache.c - recorded functions by key, and caches.
 *
 * A function that caches its results (@cache, @lru_cache, a memo...)
 * may hand a test a result an earlier test computed: the later test never
 * runs the function's body (a C-level cache hit runs no Python code), so
 * its record shows only the code that asked for the result. If computing
 * that result ran a changed function (some record, of a test file or of
 * a module import, holds both the cached function and a changed one),
 * every test whose record holds a function naming the cached one (the
 * static reference walk's readers, precise_walk.c) may have reused a
 * result the change makes stale: recselect.c keeps those tests.
 */
#include "reccache.h"

#include "records_private.h"

uint32_t *impact_reccache_func_tags(impact_records *rec, const json_t *keys, int64_t *maxid)
{
	sqlite3_stmt *st = NULL;
	uint32_t *tags;
	impact_buf k = IMPACT_BUF_INIT;
	*maxid = 0;
	if (sqlite3_prepare_v2(rec->db, "SELECT MAX(id) FROM func", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		*maxid = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	tags = impact_xcalloc((size_t)*maxid + 1, sizeof(uint32_t));
	if (sqlite3_prepare_v2(rec->db, "SELECT id, path, qual FROM func", -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(st, 0);
			json_t *v;
			impact_buf_clear(&k);
			impact_buf_printf(&k, "%s\n%s", sqlite3_column_text(st, 1), sqlite3_column_text(st, 2));
			if (id >= 0 && id <= *maxid && (v = json_object_get(keys, k.ptr)))
				tags[id] = json_is_integer(v) ? (uint32_t)json_integer_value(v) : 1;
		}
	sqlite3_finalize(st);
	impact_buf_release(&k);
	return tags;
}

bool impact_reccache_holds(const void *ids, size_t n, const uint32_t *tags, int64_t maxid)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t id;
		memcpy(&id, (const char *)ids + i * sizeof(id), sizeof(id));
		if ((int64_t)id <= maxid && tags[id])
			return true;
	}
	return false;
}

/* Mark in `hot` each cached function (tags in ctags) that id list `ids` holds. */
static void note_hot(const void *ids, size_t n, const uint32_t *ctags, int64_t cmax, bool *hot,
                     const bool *known)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t id;
		memcpy(&id, (const char *)ids + i * sizeof(id), sizeof(id));
		if ((int64_t)id <= cmax && ctags[id] && !known[ctags[id] - 1])
			hot[ctags[id] - 1] = true;
	}
}

/*
 * The cached functions whose recorded computation (the cache table, made
 * on the old side's tree `a`) ran a changed function: `hot`. Those with
 * such a row are `known`; the others are judged by find_hot.
 */
static void computed_hot(impact_records *rec, const git_oid *a, const uint32_t *marks,
                         int64_t maxid, const uint32_t *ctags, int64_t cmax, bool *hot,
                         bool *known)
{
	sqlite3_stmt *st = NULL;
	if (!a || sqlite3_prepare_v2(rec->db, "SELECT cache.func, fset.ids FROM cache JOIN fset ON "
	                             "fset.id = cache.fset WHERE cache.tree = ?", -1, &st,
	                             NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return;
	}
	sqlite3_bind_blob(st, 1, a->id, GIT_OID_RAWSZ, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t fn = sqlite3_column_int64(st, 0);
		const void *ids = sqlite3_column_blob(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 1) / sizeof(uint32_t);
		uint32_t i;
		if (fn < 0 || fn > cmax || !ctags[fn])
			continue;
		i = ctags[fn] - 1;
		known[i] = true;
		hot[i] = hot[i] || impact_reccache_holds(ids, n, marks, maxid);
	}
	sqlite3_finalize(st);
}

/*
 * Which cached functions not `known` ran beside a changed one in some
 * record (a test file's, a module import's): `hot`. Beside is all a
 * record can say of a function without a cache row (a decorator impact
 * knows by name only, or one that has not run since on this tree).
 */
static void find_hot(impact_records *rec, const impact_reccache_ids *recs, size_t nrecs,
                     const uint32_t *marks, int64_t maxid, const uint32_t *ctags, int64_t cmax,
                     bool *hot, const bool *known)
{
	sqlite3_stmt *st = NULL;
	for (size_t i = 0; i < nrecs; i++)
		if (impact_reccache_holds(recs[i].ids, recs[i].n, marks, maxid))
			note_hot(recs[i].ids, recs[i].n, ctags, cmax, hot, known);
	if (sqlite3_prepare_v2(rec->db, "SELECT fset.ids FROM modimp JOIN fset ON fset.id = "
	                       "modimp.fset", -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW) {
			const void *ids = sqlite3_column_blob(st, 0);
			size_t n = (size_t)sqlite3_column_bytes(st, 0) / sizeof(uint32_t);
			if (impact_reccache_holds(ids, n, marks, maxid))
				note_hot(ids, n, ctags, cmax, hot, known);
		}
	sqlite3_finalize(st);
}

uint32_t *impact_reccache_readers(impact_records *rec, const impact_precise *pr,
                                  const git_oid *old_tree, const impact_reccache_ids *recs,
                                  size_t nrecs, const uint32_t *marks, int64_t maxid,
                                  int64_t *rmax)
{
	const impact_strlist *keys = &pr->cached_keys;
	json_t *set;
	uint32_t *ctags, *rtags = NULL;
	int64_t cmax = 0;
	bool *hot, *known, any = false;
	*rmax = 0;
	if (!keys->n)
		return NULL;
	set = json_object();
	for (size_t i = 0; i < keys->n; i++)
		if (!json_object_get(set, keys->items[i]))
			json_object_set_new(set, keys->items[i], json_integer((json_int_t)i + 1));
	ctags = impact_reccache_func_tags(rec, set, &cmax);
	json_decref(set);
	hot = impact_xcalloc(keys->n, sizeof(bool));
	known = impact_xcalloc(keys->n, sizeof(bool));
	computed_hot(rec, old_tree, marks, maxid, ctags, cmax, hot, known);
	find_hot(rec, recs, nrecs, marks, maxid, ctags, cmax, hot, known);
	set = json_object();
	for (size_t j = 0; j < pr->cache_readers.n; j++)
		if (hot[pr->cache_reader_of.v[j]] && !json_object_get(set, pr->cache_readers.items[j])) {
			json_object_set_new(set, pr->cache_readers.items[j],
			                    json_integer((json_int_t)pr->cache_reader_of.v[j] + 1));
			any = true;
		}
	if (any)
		rtags = impact_reccache_func_tags(rec, set, rmax);
	json_decref(set);
	free(hot);
	free(known);
	free(ctags);
	return rtags;
}
