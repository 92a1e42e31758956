/*
 * refnames.c - the names each module's facts are looked up under, and
 * their stored index (see refnames.h).
 *
 * Layout of a stored index (native u32s, as the graph file's arrays):
 * nkeys, nbytes; hash[nkeys], ascending and distinct; val[nkeys]; the
 * lists' bytes (nbytes), padded to 4. A key is a 32-bit hash of its
 * kind's byte and the name (hash32), so a lookup is a binary search over
 * the mapped file. A key's val is its one file with the top bit set (most
 * names are held by one file: 188k of dist-packages' 245k), or the offset
 * of its list in the lists' bytes: the count, the first file, then each
 * next file less the one before, LEB128 varints (the lists ascend).
 *
 * Names with the same hash share a list: it holds the files of either.
 * That is why a list is only ever read as "the files to read for this
 * name" (whose facts the walk then indexes by their real names), or as
 * "some file may define it" (a class base then stays wild): a shared
 * list reads more, never less. Stored names and the lists' ids take 8.4
 * MB of dist-packages' index in a names-and-u32s layout, 2.7 MB here, and
 * a post-commit run writes the index whole.
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

typedef struct {
	impact_refnames_fn fn;
	void *ctx;
	int kind;
	const char *s;
	size_t len;
} named_ctx;

static void only_named(void *ctx, int kind, const char *s, size_t len, uint32_t index)
{
	named_ctx *n = ctx;
	if (kind == n->kind && len == n->len && !memcmp(s, n->s, len))
		n->fn(n->ctx, kind, s, len, index);
}

void impact_refnames_each_named(const impact_pyfacts *f, int kind, const char *name, impact_refnames_fn fn,
                                void *ctx)
{
	named_ctx n = { fn, ctx, kind, name, strlen(name) };
	if (kind != IMPACT_RN_REF || !n.len) {
		impact_refnames_each(f, only_named, &n);
		return;
	}
	/* A reference's names are parts of its text: one whose text lacks the name has none of them. */
	if (f && f->nrefs && f->ref_text_end) {
		/*
		 * Decoded facts hold the texts one after another, NUL-separated
		 * (a match never spans two): one search over them all, not one
		 * per reference, which was an eighth of a warm run on
		 * dist-packages (a big module is asked about many names).
		 */
		const char *p = f->refs[0].text, *end = f->ref_text_end;
		size_t i = 0;
		while (i < f->nrefs && (p = memmem(p, (size_t)(end - p), name, n.len))) {
			while (i + 1 < f->nrefs && f->refs[i + 1].text <= p)
				i++;
			ref_names(&f->refs[i], (uint32_t)i, only_named, &n);
			if (++i < f->nrefs)
				p = f->refs[i].text;
		}
		return;
	}
	for (size_t i = 0; f && i < f->nrefs; i++)
		if (strstr(f->refs[i].text, name))
			ref_names(&f->refs[i], (uint32_t)i, only_named, &n);
}

/* ---- keys and lists -------------------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* A stored key: the name's bytes (kind byte first) hashed, folded to 32 bits. */
static uint32_t hash32(const char *s, size_t n)
{
	uint64_t h = hash_bytes(s, n);
	return (uint32_t)(h ^ (h >> 32));
}

#define ONE_FILE 0x80000000u

static void put_varint(impact_buf *b, uint32_t x)
{
	while (x >= 0x80) {
		impact_buf_putc(b, (char)(x | 0x80));
		x >>= 7;
	}
	impact_buf_putc(b, (char)x);
}

/* A varint at *at of bytes[0..n): false when it runs off the end or past 32 bits. */
static bool get_varint(const unsigned char *bytes, uint32_t n, uint32_t *at, uint32_t *x)
{
	uint32_t v = 0;
	for (unsigned shift = 0; shift < 35; shift += 7) {
		unsigned char c;
		if (*at >= n)
			return false;
		c = bytes[(*at)++];
		if (shift == 28 && c > 0x0f)
			return false;
		v |= (uint32_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*x = v;
			return true;
		}
	}
	return false;
}

/*
 * The index being written, in its final buffer: the header, room for
 * `cap` hashes, room for `cap` vals, then the lists' bytes, which grow at
 * the end. writer_finish closes the gaps the keys did not fill (two
 * moves within memory already touched): a copy into a fresh buffer faulted
 * in 2.7 MB more on dist-packages' post-commit run. Both a build and a
 * patch write through here, so they give the same bytes.
 */
typedef struct {
	impact_buf *out;
	size_t cap;       /* keys the two regions hold */
	size_t lists;     /* where the lists' bytes begin in out */
	uint32_t nkeys;
} writer;

static void writer_init(writer *w, impact_buf *out, size_t cap, size_t list_bytes)
{
	w->out = out;
	w->cap = cap ? cap : 1;
	w->lists = 8 + w->cap * 8;
	w->nkeys = 0;
	impact_buf_clear(out);
	impact_buf_grow(out, w->lists + list_bytes + 4);
	memset(out->ptr, 0, w->lists);
	out->size = w->lists;
	out->ptr[out->size] = '\0';
}

static uint32_t *w_hash(writer *w) { return (uint32_t *)(w->out->ptr + 8); }
static uint32_t *w_val(writer *w) { return (uint32_t *)(w->out->ptr + 8 + w->cap * 4); }
static uint32_t w_list_size(const writer *w) { return (uint32_t)(w->out->size - w->lists); }

/* Room for n more keys: the vals and the lists moved up when the regions are full. */
static void w_room(writer *w, size_t n)
{
	size_t cap = w->cap, nbytes = w->out->size - w->lists;
	if (w->nkeys + n <= cap)
		return;
	while (cap < w->nkeys + n)
		cap *= 2;
	impact_buf_grow(w->out, (cap - w->cap) * 8);
	memmove(w->out->ptr + 8 + cap * 8, w->out->ptr + w->lists, nbytes);
	memmove(w->out->ptr + 8 + cap * 4, w->out->ptr + 8 + w->cap * 4, (size_t)w->nkeys * 4);
	w->cap = cap;
	w->lists = 8 + cap * 8;
	w->out->size = w->lists + nbytes;
	w->out->ptr[w->out->size] = '\0';
}

static void w_key(writer *w, uint32_t h, uint32_t val)
{
	w_room(w, 1);
	w_hash(w)[w->nkeys] = h;
	w_val(w)[w->nkeys] = val;
	w->nkeys++;
}

static void writer_put(writer *w, uint32_t h, const uint32_t *files, size_t n)
{
	uint32_t val;
	if (!n)
		return; /* a key no file holds any more goes */
	if (n == 1) {
		val = files[0] | ONE_FILE;
	} else {
		val = w_list_size(w);
		put_varint(w->out, (uint32_t)n);
		put_varint(w->out, files[0]);
		for (size_t i = 1; i < n; i++)
			put_varint(w->out, files[i] - files[i - 1]);
	}
	w_key(w, h, val);
}

static void writer_finish(writer *w)
{
	uint32_t nbytes = w_list_size(w), n = w->nkeys;
	char *d = w->out->ptr;
	memmove(d + 8 + (size_t)n * 4, d + 8 + w->cap * 4, (size_t)n * 4);
	memmove(d + 8 + (size_t)n * 8, d + w->lists, nbytes);
	memcpy(d, &n, 4);
	memcpy(d + 4, &nbytes, 4);
	w->out->size = 8 + (size_t)n * 8 + nbytes;
	while (w->out->size % 4)
		d[w->out->size++] = 0; /* the +4 of writer_init's room */
	d[w->out->size] = '\0';
}

/* ---- reading ------------------------------------------------------------ */

int impact_refnames_view(impact_refnames *v, const void *data, size_t len)
{
	const uint32_t *u = data;
	uint64_t need;
	memset(v, 0, sizeof(*v));
	if (len < 8 || len % 4)
		return impact_error_set(IMPACT_EINVALID, "a stored name index is damaged (size)");
	need = 8 + (uint64_t)u[0] * 8 + ((uint64_t)u[1] + 3) / 4 * 4;
	if (need != len)
		return impact_error_set(IMPACT_EINVALID, "a stored name index is damaged (sizes)");
	v->nkeys = u[0];
	v->nbytes = u[1];
	v->hash = u + 2;
	v->val = v->hash + v->nkeys;
	v->bytes = (const unsigned char *)(v->val + v->nkeys);
	return 0;
}

/* Key k's list into out (cleared first): false, and out empty, when it is damaged. */
static bool list_of(const impact_refnames *v, uint32_t k, uint32_t nfiles, impact_u32vec *out)
{
	uint32_t val = v->val[k], at, n, x, prev = 0;
	out->n = 0;
	if (val & ONE_FILE) {
		if ((val & ~ONE_FILE) >= nfiles)
			return false;
		impact_u32vec_push(out, val & ~ONE_FILE);
		return true;
	}
	at = val;
	if (!get_varint(v->bytes, v->nbytes, &at, &n) || n < 2 || n > nfiles)
		goto damaged;
	for (uint32_t i = 0; i < n; i++) {
		if (!get_varint(v->bytes, v->nbytes, &at, &x) || (i && !x) || x >= nfiles - prev)
			goto damaged;
		prev += x;
		impact_u32vec_push(out, prev);
	}
	return true;
damaged:
	out->n = 0;
	return false;
}

bool impact_refnames_files(const impact_refnames *v, int kind, const char *s, size_t len,
                           uint32_t nfiles, impact_u32vec *out)
{
	char small[IMPACT_RN_MAX_NAME + 1];
	uint32_t lo = 0, hi = v->nkeys, h;
	out->n = 0;
	if (len > IMPACT_RN_MAX_NAME)
		return false; /* no stored key is this long (add_key leaves them out) */
	small[0] = (char)kind;
	memcpy(small + 1, s, len);
	h = hash32(small, len + 1);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v->hash[mid] < h)
			lo = mid + 1;
		else if (v->hash[mid] > h)
			hi = mid;
		else
			return list_of(v, mid, nfiles, out);
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
	uint32_t hash; /* hash32, after finish */
} bkey;

struct impact_refnames_builder {
	impact_arena names;
	bkey *keys;
	size_t nkeys, akeys;
	uint32_t *buckets; /* open addressing: key number + 1, 0 empty */
	size_t nbuckets;
	impact_u32vec pairs; /* (key number, file), in the order added */
	uint32_t *order;     /* after finish: key numbers sorted by hash */
	uint32_t *posts;     /* after finish: every list, one after the other */
	impact_u32vec group; /* the list of the keys of one hash, as read by next_group */
};

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
	impact_u32vec_release(&b->group);
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
		bkey nk = { impact_arena_strndup(&b->names, s, len), (uint32_t)len, UINT32_MAX, 0, 0, 0 };
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

/* Key numbers by hash, for qsort (the hash first, so no pointer is needed). */
typedef struct {
	uint32_t hash, id;
} key_ref;

static int cmp_key_ref(const void *x, const void *y)
{
	const key_ref *a = x, *b = y;
	if (a->hash != b->hash)
		return (a->hash > b->hash) - (a->hash < b->hash);
	return (a->id > b->id) - (a->id < b->id);
}

/* The keys in hash order (order), each list ascending and distinct at posts[at..at+n). */
static void finish(impact_refnames_builder *b)
{
	key_ref *refs;
	uint32_t *fill, at = 0;
	if (b->order)
		return; /* finished before */
	refs = impact_xmalloc((b->nkeys + 1) * sizeof(*refs));
	for (size_t k = 0; k < b->nkeys; k++) {
		b->keys[k].hash = hash32(b->keys[k].s, b->keys[k].len);
		refs[k] = (key_ref){ b->keys[k].hash, (uint32_t)k };
	}
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
		uint32_t *v = b->posts + key->at;
		bool sorted = true;
		for (uint32_t i = 1; i < key->n && sorted; i++)
			sorted = v[i - 1] < v[i];
		if (!sorted) { /* files added in order is the usual case */
			impact_u32vec view = { v, key->n, 0 };
			impact_u32vec_sort_unique(&view);
			key->n = (uint32_t)view.n; /* the rest of its room stays unused */
		}
	}
}

/*
 * From order[*j]: the next hash's keys, their lists merged into b->group
 * (names of one hash share a list). Its hash, or false at the end.
 */
static bool next_group(impact_refnames_builder *b, size_t *j, uint32_t *hash)
{
	const bkey *k;
	size_t first = *j;
	if (*j >= b->nkeys)
		return false;
	k = &b->keys[b->order[*j]];
	*hash = k->hash;
	b->group.n = 0;
	for (; *j < b->nkeys && b->keys[b->order[*j]].hash == *hash; (*j)++) {
		k = &b->keys[b->order[*j]];
		for (uint32_t i = 0; i < k->n; i++)
			impact_u32vec_push(&b->group, b->posts[k->at + i]);
	}
	if (*j - first > 1)
		impact_u32vec_sort_unique(&b->group);
	return true;
}

void impact_refnames_builder_encode(impact_refnames_builder *b, impact_buf *out)
{
	writer w;
	size_t j = 0;
	uint32_t h;
	finish(b);
	writer_init(&w, out, b->nkeys, b->pairs.n * 2);
	while (next_group(b, &j, &h))
		writer_put(&w, h, b->group.v, b->group.n);
	writer_finish(&w);
}

/*
 * Old key k as it is, when every file of its list is kept: its list's
 * bytes copied, not read into ids and written again (most keys of a
 * patch). False when it needs the slow way (a file left out, damage).
 */
static bool copy_kept(writer *w, const impact_refnames *old, uint32_t k, const bool *keep, uint32_t nfiles)
{
	uint32_t val = old->val[k], at = val, n, x, prev = 0, nval = w_list_size(w);
	if (val & ONE_FILE) {
		if ((val & ~ONE_FILE) >= nfiles || !keep[val & ~ONE_FILE])
			return false;
		nval = val;
	} else {
		if (!get_varint(old->bytes, old->nbytes, &at, &n) || n < 2 || n > nfiles)
			return false;
		for (uint32_t i = 0; i < n; i++) {
			if (!get_varint(old->bytes, old->nbytes, &at, &x) || (i && !x) || x >= nfiles - prev ||
			    !keep[prev + x])
				return false;
			prev += x;
		}
		impact_buf_put(w->out, old->bytes + val, at - val);
	}
	w_key(w, old->hash[k], nval);
	return true;
}

/*
 * The changed files' names merged into the old index: a key's list is its
 * old one without the files left out, and the new files holding it.
 */
/*
 * Old keys a..b-1 as they are (none of their files left out): their
 * hashes, their vals (a list's offset moved by where its bytes now go),
 * and their lists' bytes in one copy (lists lie in key order, one after
 * the other: the run's bytes end where the next key's list begins).
 */
static void copy_run(writer *w, const impact_refnames *old, uint32_t a, uint32_t b)
{
	uint32_t lo = UINT32_MAX, hi = old->nbytes, base = w_list_size(w);
	for (uint32_t k = a; k < b && lo == UINT32_MAX; k++)
		if (!(old->val[k] & ONE_FILE))
			lo = old->val[k];
	for (uint32_t k = b; k < old->nkeys && lo != UINT32_MAX; k++)
		if (!(old->val[k] & ONE_FILE)) {
			hi = old->val[k];
			break;
		}
	w_room(w, b - a);
	memcpy(w_hash(w) + w->nkeys, old->hash + a, (size_t)(b - a) * 4);
	memcpy(w_val(w) + w->nkeys, old->val + a, (size_t)(b - a) * 4);
	if (lo != base) {
		uint32_t *v = w_val(w) + w->nkeys;
		for (uint32_t k = 0; k < b - a; k++)
			if (!(v[k] & ONE_FILE))
				v[k] = v[k] - lo + base;
	}
	if (lo != UINT32_MAX && lo <= hi && hi <= old->nbytes)
		impact_buf_put(w->out, old->bytes + lo, hi - lo);
	w->nkeys += b - a;
}

/* Is hash h in the ascending array g (n long)? Asked in ascending h: *at only moves on. */
static bool has_hash(const uint32_t *g, size_t n, size_t *at, uint32_t h)
{
	while (*at < n && g[*at] < h)
		(*at)++;
	return *at < n && g[*at] == h;
}

/* The hashes `gone` names, ascending and distinct, and the unknown key's, into *out. */
static void gone_hashes(impact_refnames_builder *gone, impact_u32vec *out)
{
	char unknown = IMPACT_RN_UNKNOWN;
	uint32_t h;
	size_t j = 0;
	finish(gone);
	while (next_group(gone, &j, &h))
		impact_u32vec_push(out, h);
	h = hash32(&unknown, 1);
	impact_u32vec_push(out, h);
	impact_u32vec_sort_unique(out);
}

void impact_refnames_patch(const impact_refnames *old, const bool *keep, uint32_t nfiles,
                           impact_refnames_builder *fresh, impact_refnames_builder *gone,
                           impact_buf *out)
{
	writer w;
	impact_u32vec olds = { 0 }, files = { 0 }, touched = { 0 };
	uint32_t k = 0, fh = 0;
	size_t j = 0, t = 0;
	bool more;

	finish(fresh);
	if (gone)
		gone_hashes(gone, &touched);
	writer_init(&w, out, (size_t)old->nkeys + fresh->nkeys, (size_t)old->nbytes + fresh->pairs.n * 3);
	more = next_group(fresh, &j, &fh);
	while (k < old->nkeys || more) {
		uint32_t oh = k < old->nkeys ? old->hash[k] : 0;
		int c = k >= old->nkeys ? 1 : !more ? -1 : (oh > fh) - (oh < fh);
		const impact_u32vec *fv = &fresh->group;
		size_t i = 0;
		files.n = 0;
		if (c < 0 && gone && !has_hash(touched.v, touched.n, &t, oh)) {
			/* A key no file left out held: as it is, with the keys after it alike. */
			uint32_t a = k;
			while (++k < old->nkeys && (!more || old->hash[k] < fh) &&
			       !has_hash(touched.v, touched.n, &t, old->hash[k]))
				;
			copy_run(&w, old, a, k);
			continue;
		}
		if (c < 0 && copy_kept(&w, old, k, keep, nfiles)) {
			k++; /* the usual key: none of its files named again */
			continue;
		}
		if (c <= 0) {
			list_of(old, k, nfiles, &olds); /* a damaged list is dropped */
			for (size_t x = 0; x < olds.n; x++) {
				uint32_t id = olds.v[x];
				if (!keep[id])
					continue;
				/* The new files holding it before this one: both lists ascend. */
				while (c == 0 && i < fv->n && fv->v[i] <= id)
					if (fv->v[i++] != id)
						impact_u32vec_push(&files, fv->v[i - 1]);
				impact_u32vec_push(&files, id);
			}
			k++;
		}
		if (c >= 0) {
			while (i < fv->n)
				impact_u32vec_push(&files, fv->v[i++]);
		}
		writer_put(&w, c <= 0 ? oh : fh, files.v, files.n);
		if (c >= 0)
			more = next_group(fresh, &j, &fh);
	}
	writer_finish(&w);
	impact_u32vec_release(&olds);
	impact_u32vec_release(&files);
	impact_u32vec_release(&touched);
}
