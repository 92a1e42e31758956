/*
 * recselect.c - selection narrowed (and widened) by recorded dependencies
 * (impact_records_apply, see records.h).
 *
 * For the change A..B it computes the changed functions (fingerprints of
 * A's and B's sides differ, or one side lacks it) and the import-time
 * changed modules (their module fingerprint differs; added, deleted or
 * renamed; unreadable; a module whose import ran a changed function; a
 * reader of a changed data file), then walks the import graph from the
 * latter. A test file the static selection reached is kept when that walk
 * reaches it or when it has no usable record; otherwise its record
 * decides: kept when it executed a changed function or ran code from a
 * changed non-Python file, dropped when not. A record is usable when it
 * was made on A's tree, or on a tree R from which A differs only in ways
 * that do not touch it: no import-time change in R..A its imports reach,
 * no function it executed changed, no file it ran code from changed.
 * An import-time change of an ordinary module is soft (recmods.c): a test
 * whose usable record shows it never imported the module is judged by its
 * record as for a call-time change.
 */
#include "records.h"

#include "fnhash.h"
#include "path.h"
#include "precise.h"
#include "reccache.h"
#include "records_private.h"
#include "recdelta.h"
#include "recmods.h"
#include "textdoctest.h"

#include <jansson.h>

/* The name of func `id` as "path:qual" (caller frees), for evidence. */
static char *func_name(impact_records *rec, uint32_t id)
{
	sqlite3_stmt *st = NULL;
	impact_buf b = IMPACT_BUF_INIT;
	if (sqlite3_prepare_v2(rec->db, "SELECT path, qual FROM func WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			impact_buf_printf(&b, "%s:%s", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (!b.ptr)
		impact_buf_puts(&b, "?");
	return impact_buf_detach(&b);
}

/* One test file's record. */
typedef struct record {
	char *file;
	git_oid tree;
	uint32_t *ids;
	size_t nids;
	char *deps;        /* newline-separated */
	int usable;        /* -1 unknown, 0 no, 1 yes */
	const char *why_not;
	char *filter;      /* the -k/-m it was made under ("" none) */
	int64_t mset;      /* the modules its process imported (recmods.h), 0: unknown */
} record;

/* The first dep of `r` changed in `files`, or NULL. */
static const char *dep_changed(const record *r, const json_t *files, impact_buf *tmp)
{
	const char *p = r->deps;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		impact_buf_clear(tmp);
		impact_buf_put(tmp, p, n);
		if (json_object_get(files, tmp->ptr))
			return tmp->ptr;
		if (!strcmp(tmp->ptr, IMPACT_RECORDS_ANY_FILE) && json_object_size(files)) {
			/* a native program it started may have read any of them */
			impact_buf_clear(tmp);
			impact_buf_puts(tmp, json_object_iter_key(json_object_iter((json_t *)files)));
			return tmp->ptr;
		}
		p = nl ? nl + 1 : p + n;
	}
	return NULL;
}

/* Each path of newline-separated `list` that is in `files`, set in `seen`. */
static void mark_listed(json_t *seen, const char *list, const json_t *files, impact_buf *tmp)
{
	while (list && *list) {
		const char *nl = strchr(list, '\n');
		size_t n = nl ? (size_t)(nl - list) : strlen(list);
		impact_buf_clear(tmp);
		impact_buf_put(tmp, list, n);
		if (json_object_get(files, tmp->ptr))
			json_object_set_new(seen, tmp->ptr, json_true());
		list = nl ? nl + 1 : list + n;
	}
}

/*
 * Whether each of `files` (changed non-Python paths) was seen read, or
 * its code run, in some recorded run: by a test (its record's deps) or
 * while a module was imported (modimp's deps).
 */
static bool reads_known(impact_records *rec, const record *recs, size_t nrecs, json_t *files)
{
	json_t *seen = json_object(), *v;
	const char *key;
	sqlite3_stmt *st = NULL;
	bool all = true;
	impact_buf tmp = IMPACT_BUF_INIT;
	for (size_t k = 0; k < nrecs; k++)
		mark_listed(seen, recs[k].deps, files, &tmp);
	if (sqlite3_prepare_v2(rec->db, "SELECT deps FROM modimp WHERE deps != ''", -1, &st,
	                       NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW)
			mark_listed(seen, (const char *)sqlite3_column_text(st, 0), files, &tmp);
	sqlite3_finalize(st);
	json_object_foreach(files, key, v)
		if (!json_object_get(seen, key))
			all = false;
	json_decref(seen);
	impact_buf_release(&tmp);
	return all;
}

/* The first of r's functions marked, or UINT32_MAX. */
static uint32_t executed(const record *r, const uint32_t *marks, int64_t maxid)
{
	for (size_t i = 0; i < r->nids; i++)
		if ((int64_t)r->ids[i] <= maxid && marks[r->ids[i]])
			return r->ids[i];
	return UINT32_MAX;
}

static void load_records(impact_records *rec, record **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(rec->db, "SELECT rec.file, rec.tree, fset.ids, rec.deps, rec.filter, rec.mset FROM rec "
	                       "JOIN fset ON fset.id = rec.fset", -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		record r = { 0 };
		int nb = sqlite3_column_bytes(st, 2);
		if (sqlite3_column_bytes(st, 1) != GIT_OID_RAWSZ)
			continue;
		r.file = impact_xstrdup((const char *)sqlite3_column_text(st, 0));
		git_oid_fromraw(&r.tree, sqlite3_column_blob(st, 1));
		r.nids = (size_t)nb / sizeof(uint32_t);
		r.ids = impact_xmalloc(r.nids * sizeof(uint32_t) + 1);
		if (r.nids)
			memcpy(r.ids, sqlite3_column_blob(st, 2), r.nids * sizeof(uint32_t));
		r.deps = impact_xstrdup((const char *)sqlite3_column_text(st, 3));
		r.filter = impact_xstrdup((const char *)sqlite3_column_text(st, 4));
		r.mset = sqlite3_column_type(st, 5) == SQLITE_INTEGER ? sqlite3_column_int64(st, 5) : 0;
		r.usable = -1;
		IMPACT_PUSH(*out, *n, alloc, r);
	}
	sqlite3_finalize(st);
}

/*
 * Modules whose import ran a changed function: import-time changed. A
 * changed module whose import was never recorded (imported before the
 * recorder started, or in a process nothing followed) cannot be shown
 * to run nothing changed at import time: it is import-time changed too,
 * unless only its values changed (impact_precise.values_changed): then
 * its import runs what it ran.
 */
static void import_seeds(impact_records *rec, impact_recdelta *d, const impact_project *p,
                         const uint32_t *marks, int64_t maxid, const impact_changeset *changes,
                         const impact_precise *pr)
{
	sqlite3_stmt *st = NULL;
	for (size_t i = 0; i < changes->n; i++) {
		const char *path = changes->changes[i].new_path;
		uint32_t id = path ? impact_project_find(p, path) : IMPACT_STRPOOL_NONE;
		bool known = false;
		if (!path || !impact_path_has_suffix(path, ".py") ||
		    (id != IMPACT_STRPOOL_NONE && pr->values_changed && pr->values_changed[id]))
			continue;
		if (sqlite3_prepare_v2(rec->db, "SELECT 1 FROM modimp WHERE path = ?", -1, &st,
		                       NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
			known = sqlite3_step(st) == SQLITE_ROW;
		}
		sqlite3_finalize(st);
		st = NULL;
		if (!known)
			impact_recdelta_seed(d, p, path, true);
	}
	if (sqlite3_prepare_v2(rec->db, "SELECT modimp.path, fset.ids, modimp.deps FROM modimp "
	                       "JOIN fset ON fset.id = modimp.fset", -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const uint32_t *ids = sqlite3_column_blob(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 1) / sizeof(uint32_t);
		record deps = { 0 };
		impact_buf tmp = IMPACT_BUF_INIT;
		/* A file read while it was imported changed: import-time changed. */
		deps.deps = (char *)sqlite3_column_text(st, 2);
		if (dep_changed(&deps, d->files, &tmp)) {
			impact_recdelta_seed(d, p, (const char *)sqlite3_column_text(st, 0), true);
			n = 0;
		}
		impact_buf_release(&tmp);
		for (size_t i = 0; i < n; i++) {
			uint32_t id;
			memcpy(&id, &ids[i], sizeof(id));
			if ((int64_t)id <= maxid && marks[id]) {
				impact_recdelta_seed(d, p, (const char *)sqlite3_column_text(st, 0), true);
				break;
			}
		}
	}
	sqlite3_finalize(st);
}

/* Is record `r` shown to describe A? Caches per tree R in `trees`. */
typedef struct stale_tree {
	git_oid id;
	impact_recdelta d;
	impact_reach reach;
	uint32_t *marks;
	int64_t maxid;
} stale_tree;

/*
 * Whether record `r` describes old side `a`: made on it, or on a tree
 * from which `a` differs only where the test does not reach. `file` is
 * the project file whose static reach stands for the test (the test
 * module, or for a collected data file its collector's module) and
 * `scope` a second one (the collector's conftest), or IMPACT_STRPOOL_NONE.
 */
static void judge(record *r, impact_records *rec, git_repository *repo, const impact_project *p,
                  impact_pyparser *parser, impact_cache *cache, const git_tree *a,
                  stale_tree **trees, size_t *ntrees, size_t *atrees, uint32_t file,
                  uint32_t scope)
{
	stale_tree *t = NULL;
	impact_buf tmp = IMPACT_BUF_INIT;
	if (a && !git_oid_cmp(&r->tree, git_tree_id(a))) {
		r->usable = 1;
		return;
	}
	if (!a) {
		r->usable = 0;
		r->why_not = "the old side has no tree";
		return;
	}
	for (size_t i = 0; i < *ntrees; i++)
		if (!git_oid_cmp(&(*trees)[i].id, &r->tree))
			t = &(*trees)[i];
	if (!t) {
		stale_tree nt;
		git_tree *rt = NULL;
		memset(&nt, 0, sizeof(nt));
		nt.id = r->tree;
		impact_recdelta_init(&nt.d);
		if (git_tree_lookup(&rt, repo, &r->tree) < 0)
			nt.d.failed = true;
		else
			impact_recdelta_trees(&nt.d, repo, p, parser, cache, rt, a);
		git_tree_free(rt);
		impact_graph_dependents(&nt.reach, p->graph, nt.d.seeds.v, nt.d.seeds.n, 0);
		nt.marks = impact_reccache_func_tags(rec, nt.d.funcs, &nt.maxid);
		IMPACT_PUSH(*trees, *ntrees, *atrees, nt);
		t = &(*trees)[*ntrees - 1];
	}
	r->usable = 0;
	if (t->d.failed)
		r->why_not = "its tree is gone or too far from the old side";
	else if (file == IMPACT_STRPOOL_NONE || (file < t->reach.n && t->reach.dist[file] != UINT32_MAX) ||
	         (scope != IMPACT_STRPOOL_NONE && scope < t->reach.n &&
	          t->reach.dist[scope] != UINT32_MAX))
		r->why_not = "an import-time change since its run reaches it";
	else if (json_object_get(t->d.files, r->file))
		r->why_not = "its file changed since its run";
	else if (executed(r, t->marks, t->maxid) != UINT32_MAX)
		r->why_not = "a function it executed changed since its run";
	else if (dep_changed(r, t->d.files, &tmp))
		r->why_not = "a file it ran code from changed since its run";
	else
		r->usable = 1;
	impact_buf_release(&tmp);
}

/* Evidence for a test kept or added by its record. */
static char *evidence(impact_records *rec, const record *r, uint32_t fn, const char *dep)
{
	impact_buf b = IMPACT_BUF_INIT;
	char sha[8];
	git_oid_tostr(sha, sizeof(sha), &r->tree);
	if (fn != UINT32_MAX) {
		char *name = func_name(rec, fn);
		impact_buf_printf(&b, "executed %s in its run at %s (changed)", name, sha);
		free(name);
	} else {
		impact_buf_printf(&b, "ran code from %s in its run at %s (changed)", dep, sha);
	}
	return impact_buf_detach(&b);
}

/* What the passes of impact_records_apply share. */
typedef struct apply_ctx {
	impact_records *rec;
	impact_selection *sel;
	const impact_project *p;
	git_repository *repo;
	impact_pyparser *parser;
	impact_cache *cache;
	const git_tree *old_tree;
	record *recs;
	size_t nrecs;
	stale_tree **trees;
	size_t *ntrees, *atrees;
	const impact_recdelta *d;
	const impact_reach *reach;      /* from every import-time seed */
	const impact_reach *runs;       /* the same through module-level imports that run */
	const impact_reach *hard;       /* from the hard ones (recmods.h) */
	const impact_reach *hooks;      /* from modules whose pytest hook reaches a change */
	impact_recmods *mods;           /* the soft ones */
	const uint32_t *marks;
	int64_t maxid;
	const uint32_t *readers; /* per func id: names a cached function whose result may
	                            be stale (reccache.h), or NULL */
	int64_t rmax;
	const impact_precise *precise;
	const char *filter;
	bool values;             /* some module's change is new values only (drop_value_changes) */
} apply_ctx;

/* Remove id from v (every occurrence). */
static void u32vec_remove(impact_u32vec *v, uint32_t id)
{
	size_t keep = 0;
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i] != id)
			v->v[keep++] = v->v[i];
	v->n = keep;
}

/*
 * A module whose import-time code changed only in the values of data-only
 * assignments (impact_precise.values_changed) runs what it ran when
 * imported: no import-time seed, and its "<module>" no changed function.
 * Who reads the values no record shows (a read of a global is no call),
 * so the static walk's readers stand (narrow_tests). True when there is one.
 */
static bool drop_value_changes(impact_recdelta *d, const impact_project *p, const impact_precise *pr)
{
	bool any = false;
	for (uint32_t id = 0; pr && pr->values_changed && id < p->nfiles; id++) {
		impact_buf k = IMPACT_BUF_INIT;
		if (!pr->values_changed[id])
			continue;
		any = true;
		u32vec_remove(&d->seeds, id);
		u32vec_remove(&d->hard, id);
		u32vec_remove(&d->soft, id);
		impact_buf_printf(&k, "%s\n%s", p->files[id].path, IMPACT_FNHASH_MODULE);
		json_object_del(d->funcs, k.ptr);
		impact_buf_release(&k);
	}
	return any;
}

static void usable(const apply_ctx *c, record *r, uint32_t file, uint32_t scope)
{
	if (r->usable >= 0)
		return;
	if (strcmp(r->filter ? r->filter : "", c->filter ? c->filter : "")) {
		r->usable = 0;
		r->why_not = *r->filter ? "it was made under another -k/-m than this selection's"
		                        : "it was made without the -k/-m of this selection";
		return;
	}
	judge(r, c->rec, c->repo, c->p, c->parser, c->cache, c->old_tree, c->trees, c->ntrees,
	      c->atrees, file, scope);
}

static record *record_of(const apply_ctx *c, const char *path)
{
	for (size_t k = 0; k < c->nrecs; k++)
		if (!strcmp(c->recs[k].file, path))
			return &c->recs[k];
	return NULL;
}

static void not_used(impact_selection *sel, size_t at, const record *r, const char *why);
static char *record_says(const apply_ctx *c, record *r, impact_buf *tmp);

static char *recorded(const record *r, const char *what, const char *path);

/* Add test file `file`, which static selection missed, with r's evidence `fmt` (one %s: `what`). */
static void add_imported(const apply_ctx *c, uint32_t file, const record *r, const char *fmt,
                         const char *what)
{
	char *ev = recorded(r, fmt, what);
	impact_selection_add_reached(c->sel, c->p, file, ev);
	c->sel->records_added++;
	free(ev);
}

/*
 * Evidence for a test kept because it executed `fn`, which names a
 * function caching its results: a result computed in another test,
 * while changed code ran, may have been reused here without running.
 */
static char *reuse_evidence(const apply_ctx *c, const record *r, uint32_t fn)
{
	impact_buf b = IMPACT_BUF_INIT;
	char sha[8], *name = func_name(c->rec, fn);
	const char *key = c->precise->cached_keys.items[c->readers[fn] - 1];
	const char *nl = strchr(key, '\n');
	git_oid_tostr(sha, sizeof(sha), &r->tree);
	impact_buf_printf(&b, "executed %s in its run at %s, which may reuse a result %.*s:%s "
	                      "caches (computing one ran changed code)",
	                  name, sha, (int)(nl - key), key, nl + 1);
	free(name);
	return impact_buf_detach(&b);
}

/*
 * A folder a collector makes tests of (data files turned into items),
 * reached by a call-time change: when every file it collects there has a
 * usable record, each speaks for itself. The folder gives way to the files
 * whose items executed a changed function or ran code from a changed file;
 * otherwise it stays, and --explain says which file had no usable record.
 */
static void narrow_collected(const apply_ctx *c)
{
	impact_selection *sel = c->sel;
	const impact_project *p = c->p;
	size_t n, ntests = sel->ntests;
	const impact_entry *aux = impact_project_aux(p, &n);
	impact_buf tmp = IMPACT_BUF_INIT;

	for (size_t i = 0; i < ntests; i++) {
		const impact_selected s = sel->tests[i];
		const impact_collector *col = s.collector;
		size_t tlen = strlen(s.target), nfiles = 0;
		const char *missing = NULL;
		record *bad = NULL;
		impact_strlist keep = { 0 }, why = { 0 };
		if (s.file != IMPACT_STRPOOL_NONE || !col || s.reason != IMPACT_SELECT_REACHES)
			continue;
		if ((col->module < c->reach->n && c->reach->dist[col->module] != UINT32_MAX) ||
		    (col->scope < c->reach->n && c->reach->dist[col->scope] != UINT32_MAX)) {
			not_used(sel, i, NULL, "an import-time change reaches its collector");
			continue;
		}
		for (size_t e = 0; e < n && !missing && !bad; e++) {
			const char *path = aux[e].path;
			record *r;
			char *ev;
			if (strcmp(s.target, ".") && (strncmp(path, s.target, tlen) || path[tlen] != '/'))
				continue;
			if (!impact_collector_collects(col, path))
				continue;
			nfiles++;
			if (!(r = record_of(c, path))) {
				missing = path;
				break;
			}
			usable(c, r, col->module, col->scope);
			if (!r->usable) {
				bad = r;
				break;
			}
			if ((ev = record_says(c, r, &tmp))) {
				impact_strlist_push(&keep, path);
				impact_strlist_push(&why, ev);
				free(ev);
			}
		}
		if (missing || bad || !nfiles) {
			impact_buf note = IMPACT_BUF_INIT;
			if (missing)
				impact_buf_printf(&note, "records not used: '%s' has none", missing);
			else if (bad)
				impact_buf_printf(&note, "records not used: '%s': %s", bad->file, bad->why_not);
			if (note.size)
				impact_selection_set_record_note(sel, i, note.ptr);
			impact_buf_release(&note);
		} else {
			/* The folder gives way to its files: mark it, then add them. */
			sel->tests[i].target = NULL;
			for (size_t k = 0; k < keep.n; k++)
				impact_selection_add_collected(sel, keep.items[k], col, s.anchor, s.dist,
				                               why.items[k]);
			sel->records_used += nfiles;
			sel->records_dropped += nfiles - keep.n;
		}
		impact_strlist_release(&keep);
		impact_strlist_release(&why);
	}
	for (size_t i = 0; i < sel->ntests; i++)
		if (!sel->tests[i].target)
			impact_selection_remove(sel, i--);
	impact_buf_release(&tmp);
}

/*
 * What usable record `r` says of this change: the evidence that keeps its
 * test (it executed a changed function or ran code from a changed file;
 * caller frees), or NULL when it did neither. Counts the record used.
 */
static char *record_says(const apply_ctx *c, record *r, impact_buf *tmp)
{
	uint32_t fn = executed(r, c->marks, c->maxid), rd = UINT32_MAX;
	const char *dep = fn == UINT32_MAX ? dep_changed(r, c->d->files, tmp) : NULL;
	c->sel->records_used++;
	if (fn == UINT32_MAX && !dep && c->readers)
		rd = executed(r, c->readers, c->rmax);
	if (rd != UINT32_MAX)
		return reuse_evidence(c, r, rd);
	return fn != UINT32_MAX || dep ? evidence(c->rec, r, fn, dep) : NULL;
}

/*
 * Whether record `r` of a doctest text file describes the old side: it
 * stands for no module of its own, so each module its examples import
 * (`ids`) must be out of reach of what changed since its run.
 */
static void usable_text(const apply_ctx *c, record *r, const impact_u32vec *ids)
{
	if (r->usable >= 0)
		return;
	if (!ids->n)
		usable(c, r, IMPACT_STRPOOL_NONE, IMPACT_STRPOOL_NONE);
	for (size_t i = 0; i < ids->n; i++) {
		r->usable = -1;
		usable(c, r, ids->v[i], IMPACT_STRPOOL_NONE);
		if (!r->usable)
			return;
	}
}

/*
 * Doctest text files selected only because their examples import a
 * module a change reaches (select.c): each with a usable record is kept
 * when it executed a changed function or ran code from a changed file,
 * dropped otherwise. An import-time change reaching a module they import
 * keeps them (module sets speak for test modules only); so does one whose
 * examples can no longer be read.
 */
static void narrow_text_doctests(const apply_ctx *c)
{
	impact_selection *sel = c->sel;
	const impact_project *p = c->p;
	impact_buf tmp = IMPACT_BUF_INIT;
	impact_textdoctest_set set = { 0 };
	bool loaded = false;
	for (size_t i = 0; i < sel->ntests; i++) {
		const impact_selected *s = &sel->tests[i];
		size_t k;
		impact_u32vec ids = { 0 };
		const char *reached = NULL;
		record *r;
		char *ev;
		if (s->reason != IMPACT_SELECT_TEXT_DOCTEST || !s->by_examples)
			continue;
		if (!(r = record_of(c, s->target)))
			continue;
		if (!loaded) {
			impact_textdoctest_set_load(&set, p);
			loaded = true;
		}
		if ((k = impact_textdoctest_set_find(&set, s->target)) == set.n ||
		    impact_textdoctest_set_has(&set, p, k) <= 0 ||
		    !impact_textdoctest_set_imports(&ids, &set, p, k)) {
			impact_u32vec_release(&ids);
			continue;
		}
		for (size_t k = 0; k < ids.n && !reached; k++)
			if (ids.v[k] < c->reach->n && c->reach->dist[ids.v[k]] != UINT32_MAX)
				reached = p->files[ids.v[k]].path;
		if (reached) {
			impact_buf_clear(&tmp);
			impact_buf_printf(&tmp, "an import-time change reaches %s, which its examples import",
			                  reached);
			not_used(sel, i, r, tmp.ptr);
			impact_u32vec_release(&ids);
			continue;
		}
		usable_text(c, r, &ids);
		impact_u32vec_release(&ids);
		if (!r->usable) {
			not_used(sel, i, r, r->why_not);
			continue;
		}
		if ((ev = record_says(c, r, &tmp))) {
			impact_selection_set_evidence(sel, i, ev);
			free(ev);
		} else {
			char *note = recorded(r, "executed no changed function%s", "");
			impact_selection_note_dropped(sel, r->file, note);
			free(note);
			impact_selection_remove(sel, i--);
			sel->records_dropped++;
		}
	}
	if (loaded)
		impact_textdoctest_set_save(&set, p);
	impact_textdoctest_set_release(&set);
	impact_buf_release(&tmp);
}

/* Selected test files whose last run could not be recorded say why (started a process...). */
static void say_opaque(impact_records *rec, impact_selection *sel, const impact_project *p)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(rec->db, "SELECT why FROM opaque WHERE file = ?", -1, &st,
	                       NULL) != SQLITE_OK)
		return;
	for (size_t i = 0; i < sel->ntests; i++) {
		const char *path = impact_selected_path(p, &sel->tests[i]);
		if (sel->tests[i].evidence || sel->tests[i].record_note)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW) {
			impact_buf b = IMPACT_BUF_INIT;
			impact_buf_printf(&b, "not recorded: %s", (const char *)sqlite3_column_text(st, 0));
			impact_selection_set_record_note(sel, i, b.ptr);
			impact_buf_release(&b);
		}
	}
	sqlite3_finalize(st);
}

/* Evidence for a test the static walk selected whose record could not speak for it. */
static void not_used(impact_selection *sel, size_t at, const record *r, const char *why)
{
	impact_buf b = IMPACT_BUF_INIT;
	char sha[8];
	if (r) {
		git_oid_tostr(sha, sizeof(sha), &r->tree);
		impact_buf_printf(&b, "its record (run at %s) not used: %s", sha, why ? why : "unknown");
	} else {
		impact_buf_printf(&b, "records not used: %s", why);
	}
	impact_selection_set_record_note(sel, at, b.ptr);
	impact_buf_release(&b);
}

/* The note of a test kept or dropped by its record: "recorded at 1a2b3c4: <what>". */
static char *recorded(const record *r, const char *what, const char *path)
{
	impact_buf b = IMPACT_BUF_INIT;
	char sha[8];
	git_oid_tostr(sha, sizeof(sha), &r->tree);
	impact_buf_printf(&b, "recorded at %s: ", sha);
	impact_buf_printf(&b, what, path);
	return impact_buf_detach(&b);
}

/* Is `path` a changed file (either side) of the selection's range? */
static bool changed_here(const impact_selection *sel, const char *path)
{
	for (size_t i = 0; i < sel->nchanges; i++) {
		const impact_change *c = sel->changes[i].change;
		if (c && ((c->new_path && !strcmp(c->new_path, path)) ||
		          (c->old_path && !strcmp(c->old_path, path))))
			return true;
	}
	return false;
}

/*
 * The test files the static walk reached only through call-time changes
 * or soft import-time ones (recmods.h), and those it did not reach: each
 * with a usable record is kept (or added) when it executed a changed
 * function, ran code from a changed file or imported a module changed at
 * import time, and dropped otherwise. Rules, changed tests and hard
 * import-time reach keep theirs; a record that cannot speak says why
 * (--explain), and so does one that dropped its test.
 */
static void narrow_tests(const apply_ctx *c)
{
	impact_selection *sel = c->sel;
	const impact_project *p = c->p;
	bool *selected;
	impact_buf tmp = IMPACT_BUF_INIT;

	selected = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool));
	for (size_t i = 0; i < sel->ntests; i++)
		if (sel->tests[i].file != IMPACT_STRPOOL_NONE)
			selected[sel->tests[i].file] = true;

	for (size_t k = 0; k < c->nrecs; k++) {
		record *r = &c->recs[k];
		uint32_t file = impact_project_find(p, r->file);
		const char *mod;
		size_t at = SIZE_MAX;
		impact_recmods_verdict v;
		bool imported;
		char *note, *ev;
		if (file == IMPACT_STRPOOL_NONE || !(p->files[file].flags & IMPACT_PF_TEST) ||
		    (p->files[file].flags & IMPACT_PF_GHOST))
			continue;
		for (size_t i = 0; selected[file] && i < sel->ntests; i++)
			if (sel->tests[i].file == file && !strcmp(sel->tests[i].target, p->files[file].path))
				at = i;
		/* Kept statically: named by a rule, changed, or reached at import time. */
		if (selected[file] && (at == SIZE_MAX || sel->tests[at].reason != IMPACT_SELECT_REACHES))
			continue;
		/*
		 * A changed file collected as tests (a module --doctest-modules
		 * collects is reached as a module): its items may be new, and no
		 * record describes them.
		 */
		if (selected[file] && changed_here(sel, r->file)) {
			not_used(sel, at, r, "the file changed: its tests may be new");
			continue;
		}
		/* A hook or an import-time change reaches it (static selection answers for it). */
		if (file < c->hooks->n && c->hooks->dist[file] != UINT32_MAX) {
			if (at != SIZE_MAX)
				not_used(sel, at, r, "a pytest hook reaches the change, and hooks run outside "
				                     "tests, some only under options the recorded run did not use");
			continue;
		}
		if (file < c->hard->n && c->hard->dist[file] != UINT32_MAX) {
			if (at != SIZE_MAX)
				not_used(sel, at, r, "an import-time change reaches it");
			continue;
		}
		if (c->values && at != SIZE_MAX) {
			not_used(sel, at, r, "a module-level value changed, and records do not show who read it");
			continue;
		}
		usable(c, r, file, IMPACT_STRPOOL_NONE);
		v = impact_recmods_judge(c->mods, file, r->usable ? r->mset : 0, &mod, &imported);
		if (v == IMPACT_RECMODS_KEEP) {
			if (at != SIZE_MAX && imported) {
				note = recorded(r, "imported %s (changed at import time)", mod);
				impact_selection_set_record_note(sel, at, note);
				free(note);
			} else if (at != SIZE_MAX) {
				not_used(sel, at, r, "an import-time change reaches it");
			} else if (imported && file < c->runs->n && c->runs->dist[file] != UINT32_MAX) {
				/*
				 * Static selection missed it: it imports (at module level,
				 * the graph says) a module whose recorded import ran a
				 * changed function.
				 * (Its process having imported one is not enough: an
				 * earlier test's import shows in every later test's set.)
				 */
				add_imported(c, file, r, "imported %s (changed at import time)", mod);
			}
			continue;
		}
		if (!r->usable) {
			if (at != SIZE_MAX)
				not_used(sel, at, r, r->why_not);
			continue;
		}
		if ((ev = record_says(c, r, &tmp))) {
			if (at != SIZE_MAX) {
				impact_selection_set_evidence(sel, at, ev);
			} else {
				impact_selection_add_reached(sel, p, file, ev);
				sel->records_added++;
			}
			free(ev);
		} else if (at != SIZE_MAX) {
			note = v == IMPACT_RECMODS_NEVER
			       ? recorded(r, "never imported %s (changed at import time)", mod)
			       : recorded(r, "executed no changed function%s", "");
			impact_selection_note_dropped(sel, r->file, note);
			free(note);
			impact_selection_remove(sel, at);
			sel->records_dropped++;
		}
	}
	free(selected);
	impact_buf_release(&tmp);
}

int impact_records_apply(impact_records *rec, impact_selection *sel,
                         const impact_project *p, const impact_changeset *changes,
                         git_repository *repo, const git_tree *old_tree,
                         impact_snapshot *new_side, impact_cache *cache, const char *filter,
                         impact_strlist *notes)
{
	impact_pyparser *parser = NULL;
	impact_recdelta d;
	impact_reach reach = { 0 }, hard = { 0 }, runs = { 0 }, hooks = { 0 };
	impact_u32vec hook_seeds = { 0 };
	impact_recmods *mods = NULL;
	record *recs = NULL;
	size_t nrecs = 0, ntrees = 0, atrees = 0;
	stale_tree *trees = NULL;
	uint32_t *marks = NULL, *readers = NULL;
	int64_t maxid = 0, rmax = 0;
	impact_recreader ra = { repo, old_tree, NULL, cache }, rb = { repo, NULL, new_side, cache };
	apply_ctx ctx;
	int rc = 0;

	memset(&ctx, 0, sizeof(ctx));

	impact_recdelta_init(&d);
	if (sel->full_suite || !changes->n)
		goto done;
	/* Without a walk of what the change reaches, caches cannot be ruled out (below). */
	if (!sel->precise || (sel->precise->gave_up && !sel->precise->wide_for_records) ||
	    sel->precise->seeds_cover) {
		if (notes)
			impact_strlist_push(notes, "recorded dependencies not used: without a walk of "
			                           "the functions the change reaches, impact cannot tell "
			                           "whether a test reused a cached result");
		goto done;
	}
	load_records(rec, &recs, &nrecs);
	if (!nrecs)
		goto done;
	if (!(parser = impact_pyparser_new())) {
		rc = IMPACT_ERROR;
		goto done;
	}
	for (size_t i = 0; i < changes->n; i++) {
		const impact_change *c = &changes->changes[i];
		impact_recdelta_add(&d, p, parser, &ra, &rb, c->old_path, c->new_path);
	}
	ctx.values = drop_value_changes(&d, p, sel->precise);
	marks = impact_reccache_func_tags(rec, d.funcs, &maxid);
	{
		/* Tests that may have reused a cached result the change makes stale. */
		impact_reccache_ids *ids = impact_xcalloc(nrecs, sizeof(*ids));
		for (size_t i = 0; i < nrecs; i++)
			ids[i] = (impact_reccache_ids){ recs[i].ids, recs[i].nids };
		readers = impact_reccache_readers(rec, sel->precise, old_tree ? git_tree_id(old_tree) : NULL,
		                                  ids, nrecs, marks, maxid, &rmax);
		free(ids);
	}
	import_seeds(rec, &d, p, marks, maxid, changes, sel->precise);
	/*
	 * A pytest hook that reaches a change: hooks run outside tests, some
	 * only under options the recorded run did not use (the report header
	 * under --no-header, a terminal summary, an xdist controller's), so
	 * the static answer stands for every test loading the hook's module.
	 */
	for (uint32_t id = 0; sel->precise->hook_seed && id < p->nfiles; id++)
		if (sel->precise->hook_seed[id]) {
			impact_u32vec_push(&d.seeds, id), impact_u32vec_push(&d.hard, id);
			impact_u32vec_push(&hook_seeds, id);
		}
	if (hook_seeds.n)
		impact_graph_dependents(&hooks, p->graph, hook_seeds.v, hook_seeds.n, 0);
	/*
	 * Readers of changed data files (named in a string) are import-time
	 * seeds of the static walk, unless every changed data file was seen
	 * read in the recorded runs: then who read it is known, per test and
	 * per module import, and the reads decide.
	 */
	if (!reads_known(rec, recs, nrecs, d.files))
		for (uint32_t id = 0; sel->seed_data && id < p->nfiles; id++)
			if (sel->seed_data[id] && !impact_path_has_suffix(sel->seed_data[id], ".py"))
				impact_u32vec_push(&d.seeds, id), impact_u32vec_push(&d.hard, id);
	impact_graph_dependents(&reach, p->graph, d.seeds.v, d.seeds.n, 0);
	impact_graph_dependents(&runs, p->graph, d.seeds.v, d.seeds.n,
	                        (1u << IMPACT_EDGE_TYPE_CHECKING) | (1u << IMPACT_EDGE_LAZY) |
	                        (1u << IMPACT_EDGE_STRING_MODULE) | (1u << IMPACT_EDGE_STRING_PATH) |
	                        (1u << IMPACT_EDGE_DYNAMIC_ANY));
	mods = impact_recmods_new(rec, p, &d.hard, &d.soft);
	impact_graph_dependents(&hard, p->graph, d.hard.v, d.hard.n, 0);

	ctx.rec = rec;
	ctx.sel = sel;
	ctx.p = p;
	ctx.repo = repo;
	ctx.parser = parser;
	ctx.cache = cache;
	ctx.old_tree = old_tree;
	ctx.recs = recs;
	ctx.nrecs = nrecs;
	ctx.trees = &trees;
	ctx.ntrees = &ntrees;
	ctx.atrees = &atrees;
	ctx.d = &d;
	ctx.reach = &reach;
	ctx.runs = &runs;
	ctx.hard = &hard;
	ctx.hooks = &hooks;
	ctx.mods = mods;
	ctx.marks = marks;
	ctx.maxid = maxid;
	ctx.readers = readers;
	ctx.rmax = rmax;
	ctx.precise = sel->precise;
	ctx.filter = filter;
	narrow_tests(&ctx);
	narrow_collected(&ctx);
	narrow_text_doctests(&ctx);
	say_opaque(rec, sel, p);
	impact_selection_reorder(sel, p);
done:
	if (d.failed && notes)
		impact_strlist_push(notes, "recorded dependencies not used: the change could not be read");
	for (size_t i = 0; i < nrecs; i++) {
		free(recs[i].file);
		free(recs[i].ids);
		free(recs[i].deps);
		free(recs[i].filter);
	}
	free(recs);
	for (size_t i = 0; i < ntrees; i++) {
		impact_recdelta_release(&trees[i].d);
		impact_reach_release(&trees[i].reach);
		free(trees[i].marks);
	}
	free(trees);
	free(marks);
	free(readers);
	impact_reach_release(&reach);
	impact_reach_release(&runs);
	impact_reach_release(&hard);
	impact_reach_release(&hooks);
	impact_u32vec_release(&hook_seeds);
	impact_recmods_free(mods);
	impact_recdelta_release(&d);
	impact_pyparser_free(parser);
	return rc;
}
