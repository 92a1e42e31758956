/*
 * precise_index.c - the index the precise walk looks references up in:
 * name -> (file, index), and its two instances the walk builds on first
 * need: every reference of the whole-module reach under its last name
 * part (each part of a chain), every `from m import name` under the name,
 * plus the star imports grouped by the module they import, the getattr
 * references, the files defining classes or a name. Kept apart from the
 * walk because it is a plain container: it knows names and numbers,
 * never what a reference means (precise_means.c).
 *
 * With a name index stored beside the cached graph (refnames.h), the
 * walk's index is filled as it asks: a name looked up first adds its own
 * entries from the files the stored index lists under it (and those whose
 * names it does not know), so the walk loads the facts of the files its
 * lookups name, not every file's of the reach, and indexes only the names
 * it looks up. Each list is then put in the order
 * the whole build gives (the files and references from last to first),
 * so the walk, and what it answers, are the same either way.
 */
#include "precise_private.h"

static uint64_t hash_strn(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

void precise_index_init(index_t *ix, size_t expect)
{
	memset(ix, 0, sizeof(*ix));
	ix->nbuckets = 1024;
	while (ix->nbuckets < expect)
		ix->nbuckets <<= 1;
	ix->buckets = impact_xmalloc(ix->nbuckets * sizeof(uint32_t));
	memset(ix->buckets, 0xff, ix->nbuckets * sizeof(uint32_t));
}

static uint32_t index_key(const index_t *ix, const char *s, size_t len, uint64_t h)
{
	uint32_t k = ix->buckets[h & (ix->nbuckets - 1)];
	while (k != NONE && (ix->keys[k].hash != h || ix->keys[k].len != len ||
	                     memcmp(ix->keys[k].s, s, len)))
		k = ix->keys[k].next_key;
	return k;
}

/* Twice the buckets, every key relinked: an index filled as the walk asks does not know its size. */
static void index_grow(index_t *ix)
{
	ix->nbuckets *= 2;
	ix->buckets = impact_xreallocarray(ix->buckets, ix->nbuckets, sizeof(uint32_t));
	memset(ix->buckets, 0xff, ix->nbuckets * sizeof(uint32_t));
	for (uint32_t k = 0; k < ix->nkeys; k++) {
		uint32_t *b = &ix->buckets[ix->keys[k].hash & (ix->nbuckets - 1)];
		ix->keys[k].next_key = *b;
		*b = k;
	}
}

/* Key `s` (len bytes, outliving the index), made with no entry when missing: its number. */
static uint32_t index_touch(index_t *ix, const char *s, size_t len)
{
	uint64_t h = hash_strn(s, len);
	uint32_t k = index_key(ix, s, len, h);
	if (k == NONE) {
		if (ix->nkeys >= ix->nbuckets)
			index_grow(ix);
		key nk = { s, (uint32_t)len, NONE, ix->buckets[h & (ix->nbuckets - 1)], h, false };
		IMPACT_PUSH(ix->keys, ix->nkeys, ix->akeys, nk);
		k = (uint32_t)(ix->nkeys - 1);
		ix->buckets[h & (ix->nbuckets - 1)] = k;
	}
	return k;
}

/* `key` (keylen bytes, not necessarily NUL-terminated) must outlive the index. */
void precise_index_add(index_t *ix, const char *s, size_t keylen, uint32_t file, uint32_t idx)
{
	uint32_t k = index_touch(ix, s, keylen);
	entry e;
	e.file = file;
	e.index = idx;
	e.next = ix->keys[k].head;
	IMPACT_PUSH(ix->v, ix->n, ix->alloc, e);
	ix->keys[k].head = (uint32_t)(ix->n - 1);
}

uint32_t precise_index_first(const index_t *ix, const char *s)
{
	size_t len = strlen(s);
	uint32_t k = index_key(ix, s, len, hash_strn(s, len));
	return k == NONE ? NONE : ix->keys[k].head;
}

uint32_t precise_index_next(const index_t *ix, uint32_t i)
{
	return ix->v[i].next;
}

void precise_index_release(index_t *ix)
{
	free(ix->buckets);
	free(ix->v);
	free(ix->keys);
}

/*
 * Every star import of the reach, resolved once, grouped by the module it
 * imports (follow_bindings used to scan every import of every file for
 * each target: the walk's largest cost on real code).
 */
static void index_stars(walker *w)
{
	const impact_project *p = w->p;
	impact_u32vec pairs = { 0 }, files = { 0 }; /* (imported module, importer) */
	precise_files_with(w, IMPACT_RN_STAR, &files);
	w->star_at = impact_xcalloc((size_t)p->nfiles + 2, sizeof(uint32_t));
	for (size_t j = 0; j < files.n; j++) {
		uint32_t y = files.v[j];
		const impact_pyfacts *f = facts_of(w, y);
		for (size_t i = 0; f && i < f->nimports; i++) {
			const impact_import *imp = &f->imports[i];
			uint32_t m;
			if (imp->kind != IMPACT_IMPORT_FROM || !imp->name || strcmp(imp->name, "*") ||
			    (m = precise_module_file(w, y, imp->module, imp->level)) == NONE)
				continue;
			impact_u32vec_push(&pairs, m);
			impact_u32vec_push(&pairs, y);
			w->star_at[m + 2]++;
		}
	}
	impact_u32vec_release(&files);
	for (uint32_t m = 0; m < p->nfiles; m++)
		w->star_at[m + 2] += w->star_at[m + 1];
	w->star_by = impact_xmalloc((pairs.n / 2 + 1) * sizeof(uint32_t));
	/* A stable counting sort: importers stay in (file, import) order. */
	for (size_t k = 0; k + 1 < pairs.n; k += 2)
		w->star_by[w->star_at[pairs.v[k] + 1]++] = pairs.v[k + 1];
	impact_u32vec_release(&pairs);
}

/* A file of the whole-module reach and its blob id, to sort in the parse cache's key order. */
typedef struct {
	git_oid oid;
	uint32_t id;
} by_oid;

static int cmp_by_oid(const void *a, const void *b)
{
	return git_oid_cmp(&((const by_oid *)a)->oid, &((const by_oid *)b)->oid);
}

/*
 * Every file of the whole-module reach has its facts loaded below, one
 * lookup each in the parse cache. In blob id order the cache's B-tree is
 * read leaf after leaf instead of at random: a tenth of a walk over
 * dist-packages' 5,975 modules (410 -> 370 ms).
 */
static void load_in_oid_order(walker *w, const uint32_t *ids, size_t nids)
{
	const impact_project *p = w->p;
	by_oid *v = impact_xmalloc((nids + 1) * sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < nids; i++) {
		uint32_t id = ids[i];
		const impact_pyfile *f = &p->files[id];
		if (in_bound(w, id) && f->entry && (!f->facts || (f->facts->flags & IMPACT_PYFACTS_SLIM))) {
			v[n].oid = f->entry->oid;
			v[n++].id = id;
		}
	}
	qsort(v, n, sizeof(*v), cmp_by_oid);
	for (size_t i = 0; i < n; i++)
		(void)facts_of(w, v[i].id);
	free(v);
}


/* ---- one file's references and bindings ------------------------------------ */

typedef struct {
	walker *w;
	uint32_t file;
	const impact_pyfacts *f;
	bool getattrs; /* the whole build: GETATTR references to w->getattrs too */
} add_ctx;

static void add_name(void *ctx, int kind, const char *s, size_t len, uint32_t i)
{
	add_ctx *a = ctx;
	walker *w = a->w;
	if (kind == IMPACT_RN_GETATTR && a->getattrs) {
		impact_u32vec_push(&w->getattrs, a->file);
		impact_u32vec_push(&w->getattrs, i);
	} else if (kind == IMPACT_RN_REF) {
		const impact_symref *r = ref(a->f, i);
		/* `.update()`, `.__exit__()` on an unknown object never match (via_class). */
		if (r->kind == IMPACT_SYMREF_ATTR && via_class_name(r->text))
			return;
		precise_index_add(&w->refs, s, len, a->file, i);
	} else if (kind == IMPACT_RN_BIND) {
		precise_index_add(&w->binds, s, len, a->file, i);
	}
}

/*
 * File y's references and `from m import name` bindings into the indexes
 * (impact_refnames_each says under which names), once. Only files inside
 * the whole-module reach: a reference elsewhere never counts (process),
 * and a module binding a changed name imports its module, so it is inside.
 */
static void index_file(walker *w, uint32_t y, bool getattrs)
{
	add_ctx a = { w, y, NULL, getattrs };
	if (w->file_indexed[y])
		return;
	w->file_indexed[y] = 1;
	if (!in_bound(w, y) || !(a.f = facts_of(w, y)) || (w->p->files[y].flags & IMPACT_PF_GHOST))
		return;
	impact_refnames_each(a.f, add_name, &a);
}

/*
 * The same for name `name` of `kind` only: a lookup with a
 * stored index adds the entries of its own name, not every name of each
 * file it reads (most never looked up: on dist-packages a wide walk's 242
 * lookups read 2,657 modules, 1.2 million names, into the index).
 */
static void index_file_name(walker *w, uint32_t y, int kind, const char *name)
{
	add_ctx a = { w, y, NULL, false };
	if (!in_bound(w, y) || !(a.f = facts_of(w, y)) || (w->p->files[y].flags & IMPACT_PF_GHOST))
		return;
	impact_refnames_each_named(a.f, kind, name, add_name, &a);
}

/* ---- the index filled as the walk asks (a stored name index) -------------- */

/* Merge ascending lists a and b (no repeats within either) into out, ascending, distinct, in reach. */
static void merge_in_reach(const walker *w, const impact_u32vec *av, const impact_u32vec *b,
                           impact_u32vec *out)
{
	const uint32_t *a = av->v;
	size_t i = 0, j = 0, na = av->n;
	out->n = 0;
	while (i < na || j < b->n) {
		uint32_t x;
		if (j == b->n || (i < na && a[i] <= b->v[j])) {
			x = a[i++];
			if (j < b->n && b->v[j] == x)
				j++;
		} else {
			x = b->v[j++];
		}
		if (in_bound(w, x) && !(w->p->files[x].flags & IMPACT_PF_GHOST))
			impact_u32vec_push(out, x);
	}
}

void precise_files_with(walker *w, int kind, impact_u32vec *out)
{
	if (!w->p->has_refnames || !kind) {
		out->n = 0;
		for (uint32_t y = 0; y < w->p->nfiles; y++)
			if (in_bound(w, y))
				impact_u32vec_push(out, y);
		load_in_oid_order(w, out->v, out->n);
		return;
	}
	impact_refnames_files(&w->p->refnames, kind, "", 0, w->p->nfiles, &w->named);
	merge_in_reach(w, &w->named, &w->unknown, out);
	load_in_oid_order(w, out->v, out->n);
}

void precise_files_named(walker *w, int kind, const char *name, bool load, impact_u32vec *out)
{
	size_t len = strlen(name);
	if (!w->p->has_refnames || len > IMPACT_RN_MAX_NAME) { /* not stored: every file */
		out->n = 0;
		for (uint32_t y = 0; y < w->p->nfiles; y++)
			if (in_bound(w, y) && !(w->p->files[y].flags & IMPACT_PF_GHOST))
				impact_u32vec_push(out, y);
	} else {
		impact_refnames_files(&w->p->refnames, kind, name, len, w->p->nfiles, &w->named);
		merge_in_reach(w, &w->named, &w->unknown, out);
	}
	if (load)
		load_in_oid_order(w, out->v, out->n);
}

/* An entry of a key's list, to sort: the last file first, then the last reference. */
typedef struct {
	uint32_t file, index, id;
} sorted_entry;

static int cmp_entry_desc(const void *x, const void *y)
{
	const sorted_entry *a = x, *b = y;
	if (a->file != b->file)
		return a->file < b->file ? 1 : -1;
	if (a->index != b->index)
		return a->index < b->index ? 1 : -1;
	return (a->id < b->id) - (a->id > b->id);
}

/*
 * Name `name` of `kind` in ix, complete: every file listing it read for
 * it, then its entries relinked from the last file and reference to the
 * first (the order of the whole build). Nothing adds to it later.
 */
static void complete_key(walker *w, index_t *ix, int kind, const char *name)
{
	size_t len = strlen(name), n = 0;
	uint64_t h = hash_strn(name, len);
	uint32_t k = index_key(ix, name, len, h);
	impact_u32vec *list = &w->tmp_files;
	sorted_entry *ids;
	if (k != NONE && ix->keys[k].done)
		return;
	if (len > IMPACT_RN_MAX_NAME) { /* not stored: every file */
		precise_files_with(w, 0, list);
	} else {
		impact_refnames_files(&w->p->refnames, kind, name, len, w->p->nfiles, &w->named);
		merge_in_reach(w, &w->named, &w->unknown, list);
		load_in_oid_order(w, list->v, list->n);
	}
	for (size_t i = 0; i < list->n; i++)
		index_file_name(w, list->v[i], kind, name);
	if ((k = index_key(ix, name, len, h)) == NONE) {
		impact_strlist_push(&w->owned, name);
		k = index_touch(ix, w->owned.items[w->owned.n - 1], len);
	}
	ix->keys[k].done = true;
	n = 0;
	for (uint32_t e = ix->keys[k].head; e != NONE; e = ix->v[e].next)
		n++;
	if (n < 2)
		return;
	ids = impact_xmalloc(n * sizeof(*ids));
	n = 0;
	for (uint32_t e = ix->keys[k].head; e != NONE; e = ix->v[e].next)
		ids[n++] = (sorted_entry){ ix->v[e].file, ix->v[e].index, e };
	qsort(ids, n, sizeof(*ids), cmp_entry_desc);
	ix->keys[k].head = ids[0].id;
	for (size_t i = 0; i < n; i++)
		ix->v[ids[i].id].next = i + 1 < n ? ids[i + 1].id : NONE;
	free(ids);
}

uint32_t precise_refs_first(walker *w, const char *name)
{
	if (w->p->has_refnames)
		complete_key(w, &w->refs, IMPACT_RN_REF, name);
	return precise_index_first(&w->refs, name);
}

uint32_t precise_binds_first(walker *w, const char *name)
{
	if (w->p->has_refnames)
		complete_key(w, &w->binds, IMPACT_RN_BIND, name);
	return precise_index_first(&w->binds, name);
}

void precise_need_getattrs(walker *w)
{
	impact_u32vec files = { 0 };
	if (w->getattrs_done)
		return;
	w->getattrs_done = true;
	precise_files_with(w, IMPACT_RN_GETATTR, &files);
	for (size_t j = 0; j < files.n; j++) {
		const impact_pyfacts *f = facts_of(w, files.v[j]);
		for (size_t i = 0; i < nrefs(f); i++)
			if (ref(f, i)->kind == IMPACT_SYMREF_GETATTR) {
				impact_u32vec_push(&w->getattrs, files.v[j]);
				impact_u32vec_push(&w->getattrs, (uint32_t)i);
			}
	}
	impact_u32vec_release(&files);
}

void precise_need_stars(walker *w)
{
	if (!w->star_at)
		index_stars(w);
}

bool precise_defined_in_reach(walker *w, const char *name)
{
	size_t len = strlen(name);
	const impact_u32vec *scan = &w->unknown; /* the files read for it */
	bool found = false;
	impact_u32vec all = { 0 };
	if (len > IMPACT_RN_MAX_NAME) { /* not stored: every file */
		precise_files_with(w, 0, &all);
		scan = &all;
	}
	/* A list shared with a name of the same hash may say yes for it: its class then stays wild. */
	impact_refnames_files(&w->p->refnames, IMPACT_RN_DEF, name, len, w->p->nfiles, &w->named);
	for (size_t i = 0; i < w->named.n && !found; i++)
		found = in_bound(w, w->named.v[i]);
	for (size_t i = 0; i < scan->n && !found; i++) {
		const impact_pyfacts *f = in_bound(w, scan->v[i]) ? facts_of(w, scan->v[i]) : NULL;
		for (size_t s = 0; s < nsyms(f) && !found; s++)
			found = !strcmp(last_part(sym(f, (uint32_t)s)->name), name);
	}
	impact_u32vec_release(&all);
	return found;
}

/*
 * The indexes, on the walk's first target. Without a stored name index:
 * every file of the whole-module reach, its facts loaded in blob id
 * order; with one: none yet (the lookups index what they name).
 */
void precise_build_indexes(walker *w)
{
	const impact_project *p = w->p;
	w->file_indexed = impact_xcalloc((size_t)p->nfiles + 1, 1);
	if (p->has_refnames) {
		precise_index_init(&w->refs, 4096);
		precise_index_init(&w->binds, 4096);
		return;
	}
	{
		size_t total = 0;
		impact_u32vec all = { 0 };
		precise_files_with(w, 0, &all);
		for (size_t i = 0; i < all.n; i++)
			total += nrefs(facts_of(w, all.v[i]));
		precise_index_init(&w->refs, total);
		precise_index_init(&w->binds, p->nfiles * 4);
		for (size_t i = 0; i < all.n; i++)
			index_file(w, all.v[i], true);
		impact_u32vec_release(&all);
	}
	w->getattrs_done = true;
	precise_need_stars(w); /* a value change may have asked for them already */
}
