/*
 * refnames.c - the names each module's facts are looked up under, and
 * their stored index (see refnames.h).
 *
 * Layout of a stored index (native u32s, as the graph file's arrays):
 * nkeys, npost, nbytes; key_off[nkeys + 1] (into the key bytes);
 * post_at[nkeys + 1] (into the lists); the lists (file ids, each
 * ascending, distinct); the key bytes, padded to 4. A key is its kind's
 * byte and the name; keys are sorted (bytes, then length) and distinct,
 * so a lookup is a binary search over the mapped file.
 */
#include "refnames.h"

#include "arena.h"
#include "error.h"

/* ---- the names of a file's facts ------------------------------------------ */

static void ref_names(const impact_symref *r, uint32_t i, impact_refnames_fn fn, void *ctx)
{
	const char *s;
	if (r->kind == IMPACT_SYMREF_GETATTR) {
		fn(ctx, IMPACT_RN_GETATTR, "", 0, i);
		return;
	}
	if ((r->kind == IMPACT_SYMREF_BASE && (!strcmp(r->text, "?") || r->text[0] == '(')) ||
	    r->kind == IMPACT_SYMREF_ANSWER)
		return;
	if (r->kind != IMPACT_SYMREF_CHAIN && r->kind != IMPACT_SYMREF_BASE &&
	    r->kind != IMPACT_SYMREF_READ && r->kind != IMPACT_SYMREF_INST) {
		fn(ctx, IMPACT_RN_REF, r->text, strlen(r->text), i);
		return;
	}
	/* A chain under each of its parts, the head included; a typed one under its attributes. */
	s = r->kind == IMPACT_SYMREF_INST && strchr(r->text, ':') ? strchr(r->text, ':') + 1 : r->text;
	for (;;) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);
		fn(ctx, IMPACT_RN_REF, s, len, i);
		if (!dot)
			break;
		s = dot + 1;
	}
}

void impact_refnames_each(const impact_pyfacts *f, impact_refnames_fn fn, void *ctx)
{
	for (size_t i = 0; f && i < f->nrefs; i++)
		ref_names(&f->refs[i], (uint32_t)i, fn, ctx);
	for (size_t i = 0; f && i < f->nimports; i++) {
		const impact_import *imp = &f->imports[i];
		if (imp->kind != IMPACT_IMPORT_FROM || !imp->name)
			continue;
		if (!strcmp(imp->name, "*"))
			fn(ctx, IMPACT_RN_STAR, "", 0, (uint32_t)i);
		if (!(imp->flags & IMPACT_IMPORT_TYPE_CHECKING))
			fn(ctx, IMPACT_RN_BIND, imp->name, strlen(imp->name), (uint32_t)i);
	}
	for (size_t i = 0; f && i < f->nsymbols; i++) {
		const char *name = f->symbols[i].name, *dot = strrchr(name, '.');
		const char *last = dot ? dot + 1 : name;
		if (f->symbols[i].kind == IMPACT_SYMBOL_CLASS)
			fn(ctx, IMPACT_RN_CLASS, "", 0, (uint32_t)i);
		fn(ctx, IMPACT_RN_DEF, last, strlen(last), (uint32_t)i);
	}
}

/* ---- reading ------------------------------------------------------------ */

int impact_refnames_view(impact_refnames *v, const void *data, size_t len)
{
	const uint32_t *u = data;
	uint64_t need;
	memset(v, 0, sizeof(*v));
	if (len < 12 || len % 4)
		return impact_error_set(IMPACT_EINVALID, "a stored name index is damaged (size)");
	need = 12 + ((uint64_t)u[0] + 1) * 8 + (uint64_t)u[1] * 4 + ((uint64_t)u[2] + 3) / 4 * 4;
	if (need != len)
		return impact_error_set(IMPACT_EINVALID, "a stored name index is damaged (sizes)");
	v->nkeys = u[0];
	v->npost = u[1];
	v->nbytes = u[2];
	v->key_off = u + 3;
	v->post_at = v->key_off + v->nkeys + 1;
	v->post = v->post_at + v->nkeys + 1;
	v->bytes = (const char *)(v->post + v->npost);
	return 0;
}

/* Key k's bytes, or NULL when its offsets are damaged. */
static const char *key_at(const impact_refnames *v, uint32_t k, size_t *len)
{
	uint32_t a = v->key_off[k], b = v->key_off[k + 1];
	if (a > b || b > v->nbytes)
		return NULL;
	*len = b - a;
	return v->bytes + a;
}

/* memcmp order, then the shorter first. */
static int cmp_key(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c ? c : (alen > blen) - (alen < blen);
}

bool impact_refnames_files(const impact_refnames *v, int kind, const char *s, size_t len,
                           uint32_t nfiles, const uint32_t **files, size_t *n)
{
	char small[IMPACT_RN_MAX_NAME + 1];
	uint32_t lo = 0, hi = v->nkeys;
	*files = NULL;
	*n = 0;
	if (len > IMPACT_RN_MAX_NAME)
		return false; /* no stored key is this long (add_key leaves them out) */
	small[0] = (char)kind;
	memcpy(small + 1, s, len);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, a, b;
		size_t klen;
		const char *k = key_at(v, mid, &klen);
		int c;
		if (!k)
			return false;
		c = cmp_key(k, klen, small, len + 1);
		if (c < 0) {
			lo = mid + 1;
		} else if (c > 0) {
			hi = mid;
		} else {
			a = v->post_at[mid];
			b = v->post_at[mid + 1];
			if (a > b || b > v->npost)
				return false;
			for (uint32_t i = a; i < b; i++)
				if (v->post[i] >= nfiles)
					return false;
			*files = v->post + a;
			*n = b - a;
			return b > a;
		}
	}
	return false;
}

/* ---- building ----------------------------------------------------------- */

/*
 * A name of the index being built. Its files are pairs of `pairs` until
 * finish() puts every name's list, ascending, at posts[at..at+n).
 */
typedef struct bkey {
	const char *s; /* kind byte, then the name (in the builder's arena) */
	uint32_t len;
	uint32_t last; /* the last file added, to add each once (UINT32_MAX: none) */
	uint32_t n, at;
} bkey;

struct impact_refnames_builder {
	impact_arena names;
	bkey *keys;
	size_t nkeys, akeys;
	uint32_t *buckets; /* open addressing: key number + 1, 0 empty */
	size_t nbuckets;
	impact_u32vec pairs; /* (key number, file), in the order added */
	uint32_t *order;     /* after finish: key numbers sorted by name */
	uint32_t *posts;     /* after finish: every list, one after the other */
};

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

impact_refnames_builder *impact_refnames_builder_new(void)
{
	impact_refnames_builder *b = impact_xcalloc(1, sizeof(*b));
	b->nbuckets = 1u << 16;
	b->buckets = impact_xcalloc(b->nbuckets, sizeof(uint32_t));
	return b;
}

void impact_refnames_builder_free(impact_refnames_builder *b)
{
	if (!b)
		return;
	impact_arena_release(&b->names);
	free(b->keys);
	free(b->buckets);
	impact_u32vec_release(&b->pairs);
	free(b->order);
	free(b->posts);
	free(b);
}

static void rehash(impact_refnames_builder *b)
{
	free(b->buckets);
	b->nbuckets *= 2;
	b->buckets = impact_xcalloc(b->nbuckets, sizeof(uint32_t));
	for (size_t k = 0; k < b->nkeys; k++) {
		size_t h = hash_bytes(b->keys[k].s, b->keys[k].len) & (b->nbuckets - 1);
		while (b->buckets[h])
			h = (h + 1) & (b->nbuckets - 1);
		b->buckets[h] = (uint32_t)k + 1;
	}
}

/* Key `s` (len bytes, its kind first) lists `file`. */
static void add_key(impact_refnames_builder *b, const char *s, size_t len, uint32_t file)
{
	size_t h;
	bkey *k;
	if (len > IMPACT_RN_MAX_NAME + 1)
		return; /* never looked up (impact_refnames_files): the walk reads every file for it */
	if (b->nkeys * 2 >= b->nbuckets)
		rehash(b);
	h = hash_bytes(s, len) & (b->nbuckets - 1);
	while (b->buckets[h]) {
		k = &b->keys[b->buckets[h] - 1];
		if (k->len == len && !memcmp(k->s, s, len))
			break;
		h = (h + 1) & (b->nbuckets - 1);
	}
	if (!b->buckets[h]) {
		bkey nk = { impact_arena_strndup(&b->names, s, len), (uint32_t)len, UINT32_MAX, 0, 0 };
		IMPACT_PUSH(b->keys, b->nkeys, b->akeys, nk);
		b->buckets[h] = (uint32_t)b->nkeys;
	}
	k = &b->keys[b->buckets[h] - 1];
	if (k->last != file) {
		k->last = file;
		k->n++;
		impact_u32vec_push(&b->pairs, b->buckets[h] - 1);
		impact_u32vec_push(&b->pairs, file);
	}
}

typedef struct {
	impact_refnames_builder *b;
	uint32_t file;
	char key[IMPACT_RN_MAX_NAME + 1];
} add_ctx;

static void add_name(void *ctx, int kind, const char *s, size_t len, uint32_t index)
{
	add_ctx *a = ctx;
	(void)index;
	if (len > IMPACT_RN_MAX_NAME)
		return;
	a->key[0] = (char)kind;
	memcpy(a->key + 1, s, len);
	add_key(a->b, a->key, len + 1, a->file);
}

void impact_refnames_builder_add_facts(impact_refnames_builder *b, uint32_t file,
                                       const impact_pyfacts *f)
{
	add_ctx a;
	a.b = b;
	a.file = file;
	impact_refnames_each(f, add_name, &a);
}

void impact_refnames_builder_add_unknown(impact_refnames_builder *b, uint32_t file)
{
	char k = IMPACT_RN_UNKNOWN;
	add_key(b, &k, 1, file);
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

/* Key numbers by name, for qsort: the builder is reached through a pointer in each element. */
typedef struct {
	const bkey *k;
	uint32_t id;
} key_ref;

static int cmp_key_ref(const void *x, const void *y)
{
	const bkey *a = ((const key_ref *)x)->k, *b = ((const key_ref *)y)->k;
	return cmp_key(a->s, a->len, b->s, b->len);
}

/* The keys in name order (order), each list ascending and distinct at posts[at..at+n). */
static void finish(impact_refnames_builder *b)
{
	key_ref *refs;
	uint32_t *fill, at = 0;
	if (b->order)
		return; /* finished before */
	refs = impact_xmalloc((b->nkeys + 1) * sizeof(*refs));
	for (size_t k = 0; k < b->nkeys; k++)
		refs[k] = (key_ref){ &b->keys[k], (uint32_t)k };
	qsort(refs, b->nkeys, sizeof(*refs), cmp_key_ref);
	b->order = impact_xmalloc((b->nkeys + 1) * sizeof(uint32_t));
	for (size_t k = 0; k < b->nkeys; k++) {
		bkey *key = &b->keys[refs[k].id];
		b->order[k] = refs[k].id;
		key->at = at;
		at += key->n;
	}
	free(refs);
	b->posts = impact_xmalloc(((size_t)at + 1) * sizeof(uint32_t));
	fill = impact_xcalloc(b->nkeys + 1, sizeof(uint32_t));
	for (size_t i = 0; i + 1 < b->pairs.n; i += 2) {
		uint32_t k = b->pairs.v[i];
		b->posts[b->keys[k].at + fill[k]++] = b->pairs.v[i + 1];
	}
	free(fill);
	for (size_t k = 0; k < b->nkeys; k++) {
		bkey *key = &b->keys[k];
		uint32_t *v = b->posts + key->at, n = 0;
		bool sorted = true;
		for (uint32_t i = 1; i < key->n && sorted; i++)
			sorted = v[i - 1] < v[i];
		if (sorted)
			continue; /* files added in order: the usual case */
		qsort(v, key->n, sizeof(uint32_t), cmp_u32);
		for (uint32_t i = 0; i < key->n; i++)
			if (!n || v[n - 1] != v[i])
				v[n++] = v[i];
		key->n = n; /* the rest of its room stays unused */
	}
}

void impact_refnames_builder_encode(impact_refnames_builder *b, impact_buf *out)
{
	uint32_t nkeys = (uint32_t)b->nkeys, npost = 0, nbytes = 0, x;
	finish(b);
	for (size_t k = 0; k < b->nkeys; k++) {
		npost += b->keys[k].n;
		nbytes += b->keys[k].len;
	}
	impact_buf_grow(out, 12 + ((size_t)nkeys + 1) * 8 + (size_t)npost * 4 + nbytes + 4);
	impact_buf_put(out, &nkeys, 4);
	impact_buf_put(out, &npost, 4);
	impact_buf_put(out, &nbytes, 4);
	x = 0;
	for (size_t k = 0; k <= b->nkeys; k++) {
		impact_buf_put(out, &x, 4);
		x += k < b->nkeys ? b->keys[b->order[k]].len : 0;
	}
	x = 0;
	for (size_t k = 0; k <= b->nkeys; k++) {
		impact_buf_put(out, &x, 4);
		x += k < b->nkeys ? b->keys[b->order[k]].n : 0;
	}
	for (size_t k = 0; k < b->nkeys; k++)
		impact_buf_put(out, b->posts + b->keys[b->order[k]].at, b->keys[b->order[k]].n * sizeof(uint32_t));
	for (size_t k = 0; k < b->nkeys; k++)
		impact_buf_put(out, b->keys[b->order[k]].s, b->keys[b->order[k]].len);
	while (out->size % 4)
		impact_buf_putc(out, 0);
}

/* The changed files' names merged into the old index: a key's list is its old one without
 * the files left out, and the new files holding it; a key no file holds any more goes. */
static void put_key(impact_buf *offs, impact_buf *ats, impact_buf *posts, impact_buf *bytes,
                    uint32_t *nkeys, const char *s, size_t len, const impact_u32vec *files)
{
	uint32_t off = (uint32_t)bytes->size, at = (uint32_t)(posts->size / 4);
	if (!files->n)
		return;
	impact_buf_put(offs, &off, 4);
	impact_buf_put(ats, &at, 4);
	impact_buf_put(posts, files->v, files->n * sizeof(uint32_t));
	impact_buf_put(bytes, s, len);
	(*nkeys)++;
}

void impact_refnames_patch(const impact_refnames *old, const bool *keep, uint32_t nfiles,
                           impact_refnames_builder *fresh, impact_buf *out)
{
	impact_buf offs = IMPACT_BUF_INIT, ats = IMPACT_BUF_INIT, posts = IMPACT_BUF_INIT, bytes = IMPACT_BUF_INIT;
	impact_u32vec files = { 0 };
	uint32_t nkeys = 0, k = 0, npost, nbytes;
	size_t j = 0;

	finish(fresh);
	while (k < old->nkeys || j < fresh->nkeys) {
		size_t len = 0;
		const char *s = k < old->nkeys ? key_at(old, k, &len) : NULL;
		const bkey *f = j < fresh->nkeys ? &fresh->keys[fresh->order[j]] : NULL;
		const uint32_t *fv = f ? fresh->posts + f->at : NULL;
		int c = !s ? 1 : !f ? -1 : cmp_key(s, len, f->s, f->len);
		size_t i = 0;
		files.n = 0;
		if (k < old->nkeys && !s) { /* damaged offsets: this key is dropped */
			k++;
			continue;
		}
		if (c <= 0) {
			uint32_t a = old->post_at[k], e = old->post_at[k + 1];
			for (uint32_t x = a; x < e && e <= old->npost; x++) {
				uint32_t id = old->post[x];
				if (id >= nfiles || !keep[id])
					continue;
				/* The new files holding it before this one: both lists ascend. */
				while (c == 0 && i < f->n && fv[i] <= id)
					if (fv[i++] != id)
						impact_u32vec_push(&files, fv[i - 1]);
				impact_u32vec_push(&files, id);
			}
			k++;
		}
		if (c >= 0) {
			while (i < f->n)
				impact_u32vec_push(&files, fv[i++]);
			j++;
		}
		put_key(&offs, &ats, &posts, &bytes, &nkeys, c <= 0 ? s : f->s, c <= 0 ? len : f->len, &files);
	}
	npost = (uint32_t)(posts.size / 4);
	nbytes = (uint32_t)bytes.size;
	impact_buf_put(out, &nkeys, 4);
	impact_buf_put(out, &npost, 4);
	impact_buf_put(out, &nbytes, 4);
	impact_buf_put(out, offs.ptr, offs.size);
	impact_buf_put(out, &nbytes, 4);
	impact_buf_put(out, ats.ptr, ats.size);
	impact_buf_put(out, &npost, 4);
	impact_buf_put(out, posts.ptr, posts.size);
	impact_buf_put(out, bytes.ptr, bytes.size);
	while (out->size % 4)
		impact_buf_putc(out, 0);
	impact_u32vec_release(&files);
	impact_buf_release(&offs);
	impact_buf_release(&ats);
	impact_buf_release(&posts);
	impact_buf_release(&bytes);
}

