/*
 * precise_index.c - the index the precise walk looks references up in:
 * name -> (file, index), and its two instances the walk builds on first
 * need: every reference of the whole-module reach under its last name
 * part (each part of a chain), every `from m import name` under the name,
 * plus the star imports grouped by the module they import. Kept apart
 * from the walk because it is a plain container: it knows names and
 * numbers, never what a reference means (precise_means.c).
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

/* `key` (keylen bytes, not necessarily NUL-terminated) must outlive the index. */
void precise_index_add(index_t *ix, const char *s, size_t keylen, uint32_t file, uint32_t idx)
{
	uint64_t h = hash_strn(s, keylen);
	uint32_t k = index_key(ix, s, keylen, h);
	entry e;
	if (k == NONE) {
		key nk = { s, (uint32_t)keylen, NONE, ix->buckets[h & (ix->nbuckets - 1)], h };
		IMPACT_PUSH(ix->keys, ix->nkeys, ix->akeys, nk);
		k = (uint32_t)(ix->nkeys - 1);
		ix->buckets[h & (ix->nbuckets - 1)] = k;
	}
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
	impact_u32vec pairs = { 0 }; /* (imported module, importer) */
	w->star_at = impact_xcalloc((size_t)p->nfiles + 2, sizeof(uint32_t));
	for (uint32_t y = 0; y < p->nfiles; y++) {
		const impact_pyfacts *f = in_bound(w, y) ? facts_of(w, y) : NULL;
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
static void load_in_oid_order(walker *w)
{
	const impact_project *p = w->p;
	by_oid *v = impact_xmalloc(((size_t)p->nfiles + 1) * sizeof(*v));
	size_t n = 0;
	for (uint32_t id = 0; id < p->nfiles; id++) {
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

void precise_build_indexes(walker *w)
{
	const impact_project *p = w->p;
	size_t total = 0;

	load_in_oid_order(w);
	/*
	 * Only files inside the whole-module reach: a reference elsewhere
	 * never counts (process), and a module binding a changed name imports
	 * its module, so it is inside.
	 */
	for (uint32_t id = 0; id < p->nfiles; id++)
		total += in_bound(w, id) ? nrefs(facts_of(w, id)) : 0;
	precise_index_init(&w->refs, total);
	precise_index_init(&w->binds, p->nfiles * 4);
	for (uint32_t id = 0; id < p->nfiles; id++) {
		const impact_pyfacts *f;
		if (!in_bound(w, id) || !(f = facts_of(w, id)) || (p->files[id].flags & IMPACT_PF_GHOST))
			continue;
		for (size_t i = 0; i < nrefs(f); i++) {
			const impact_symref *r = ref(f, i);
			if (r->kind == IMPACT_SYMREF_GETATTR) {
				impact_u32vec_push(&w->getattrs, id);
				impact_u32vec_push(&w->getattrs, (uint32_t)i);
				continue;
			}
			if ((r->kind == IMPACT_SYMREF_BASE && (!strcmp(r->text, "?") || r->text[0] == '(')) ||
			    r->kind == IMPACT_SYMREF_ANSWER)
				continue;
			/* `.update()`, `.__exit__()` on an unknown object never match (via_class). */
			if (r->kind == IMPACT_SYMREF_ATTR && via_class_name(r->text))
				continue;
			if (r->kind != IMPACT_SYMREF_CHAIN && r->kind != IMPACT_SYMREF_BASE &&
			    r->kind != IMPACT_SYMREF_READ && r->kind != IMPACT_SYMREF_INST) {
				precise_index_add(&w->refs, r->text, strlen(r->text), id, (uint32_t)i);
				continue;
			}
			/* A chain under each of its parts, the head included; a typed one under its attributes. */
			for (const char *s = r->kind == IMPACT_SYMREF_INST && strchr(r->text, ':')
			                         ? strchr(r->text, ':') + 1 : r->text;;) {
				const char *dot = strchr(s, '.');
				size_t len = dot ? (size_t)(dot - s) : strlen(s);
				precise_index_add(&w->refs, s, len, id, (uint32_t)i);
				if (!dot)
					break;
				s = dot + 1;
			}
		}
		for (size_t i = 0; i < f->nimports; i++) {
			const impact_import *imp = &f->imports[i];
			if (imp->kind == IMPACT_IMPORT_FROM && imp->name && !(imp->flags & IMPACT_IMPORT_TYPE_CHECKING))
				precise_index_add(&w->binds, imp->name, strlen(imp->name), id, (uint32_t)i);
		}
	}
	index_stars(w);
}
