/*
 * projcache.c - the module graph of a tree, kept across runs (see
 * projcache.h).
 *
 * A warm run used to rebuild the whole graph: look up every module's
 * facts, resolve every import, sort every edge. For a tree analysed
 * before, all of that is a function of the tree, so it is stored once
 * under the tree id and read back as one blob: the files (path, blob id,
 * mode, flags), the import roots, the warnings, the edges, the
 * collectors. Facts stay in the facts table and are loaded per file when
 * something needs them (the precise walk, data-file readers).
 *
 * Encoding: "IPG", a version byte, the facts version, the tree id, then
 * counted sections of little-endian u32s and length-prefixed strings, and
 * a checksum over everything before it. Anything that does not
 * add up is IMPACT_EINVALID (a miss, the entry dropped): never a wrong
 * graph.
 */
#include "projcache.h"

#include "pyimports.h"

/*
 * Bump when what project.c, resolve.c, testfiles.c or collect.c derive
 * from a tree changes: old graphs are then ignored, never trusted.
 */
#define PROJCACHE_VERSION 2

/* ---- writing ------------------------------------------------------------ */

static void put_u32(impact_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8),
	                       (unsigned char)(v >> 16), (unsigned char)(v >> 24) };
	impact_buf_put(b, x, 4);
}

static void put_str(impact_buf *b, const char *s)
{
	size_t n = strlen(s);
	put_u32(b, (uint32_t)n);
	impact_buf_put(b, s, n);
}

static void put_list(impact_buf *b, const impact_strlist *l)
{
	put_u32(b, (uint32_t)l->n);
	for (size_t i = 0; i < l->n; i++)
		put_str(b, l->items[i]);
}

/*
 * A check of the bytes, not a defence against forgery: eight bytes a step
 * (a byte at a time was a tenth of a warm run on megabytes of graph).
 */
static uint32_t checksum(const unsigned char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

bool impact_projcache_storable(const impact_project *p)
{
	for (uint32_t id = 0; id < p->nfiles; id++)
		if ((p->files[id].flags & IMPACT_PF_GHOST) || !p->files[id].entry)
			return false;
	return impact_snapshot_kind_of(p->snap) == IMPACT_SNAPSHOT_TREE &&
	       impact_snapshot_tree(p->snap) != NULL;
}

int impact_projcache_encode(impact_buf *out, const impact_project *p)
{
	size_t start = out->size, nedges = 0;
	const git_tree *tree = impact_snapshot_tree(p->snap);

	if (!impact_projcache_storable(p))
		return impact_error_set(IMPACT_EINVALID, "only a tree's graph without ghosts is kept");
	/* One allocation: paths and their ids, then 13 bytes an edge. */
	{
		size_t est = 64 + impact_graph_edge_count(p->graph) * 13;
		for (uint32_t id = 0; id < p->nfiles; id++)
			est += strlen(p->files[id].path) + 4 + GIT_OID_RAWSZ + 12;
		impact_buf_grow(out, est);
	}
	impact_buf_put(out, "IPG", 3);
	impact_buf_putc(out, (char)PROJCACHE_VERSION);
	put_u32(out, IMPACT_PYFACTS_VERSION);
	impact_buf_put(out, git_tree_id(tree)->id, GIT_OID_RAWSZ);

	put_u32(out, p->nfiles);
	for (uint32_t id = 0; id < p->nfiles; id++) {
		const impact_pyfile *f = &p->files[id];
		put_str(out, f->path);
		impact_buf_put(out, f->entry->oid.id, GIT_OID_RAWSZ);
		put_u32(out, f->entry->mode);
		put_u32(out, f->flags);
		put_u32(out, f->sig);
	}
	put_u32(out, p->files[p->nfiles].flags);
	put_list(out, &p->roots);
	put_list(out, &p->warnings);

	for (uint32_t id = 0; id <= p->nfiles; id++) {
		size_t n;
		impact_graph_out(p->graph, id, &n);
		nedges += n;
	}
	put_u32(out, (uint32_t)nedges);
	for (uint32_t id = 0; id <= p->nfiles; id++) {
		size_t n;
		const impact_edge *e = impact_graph_out(p->graph, id, &n);
		for (size_t k = 0; k < n; k++) {
			put_u32(out, e[k].from);
			put_u32(out, e[k].to);
			put_u32(out, e[k].line);
			impact_buf_putc(out, (char)e[k].kind);
		}
	}

	put_u32(out, (uint32_t)p->collectors.n);
	for (size_t i = 0; i < p->collectors.n; i++) {
		const impact_collector *c = &p->collectors.v[i];
		put_u32(out, c->module);
		put_u32(out, c->scope);
		put_u32(out, c->hook_line);
		put_str(out, c->dir);
		put_list(out, &c->suffixes);
	}
	put_u32(out, checksum((const unsigned char *)out->ptr + start, out->size - start));
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct reader {
	const unsigned char *p, *end;
	bool bad;
} reader;

static uint32_t get_u32(reader *r)
{
	uint32_t v;
	if (r->bad || r->end - r->p < 4) {
		r->bad = true;
		return 0;
	}
	v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
	    (uint32_t)r->p[3] << 24;
	r->p += 4;
	return v;
}

static const unsigned char *get_bytes(reader *r, size_t n)
{
	const unsigned char *at = r->p;
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	return at;
}

/* The next string, NUL-terminated into *b (reused); NULL when damaged. */
static const char *get_str(reader *r, impact_buf *b)
{
	uint32_t n = get_u32(r);
	const unsigned char *s = get_bytes(r, n);
	if (!s || memchr(s, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	impact_buf_clear(b);
	impact_buf_put(b, s, n);
	return b->ptr ? b->ptr : "";
}

static void get_list(reader *r, impact_strlist *l, impact_buf *tmp)
{
	uint32_t n = get_u32(r);
	if (n > (size_t)(r->end - r->p) / 4) {
		r->bad = true;
		return;
	}
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		const char *s = get_str(r, tmp);
		if (s)
			impact_strlist_push(l, s);
	}
}

int impact_projcache_decode(impact_project *p, const void *data, size_t len,
                            const git_oid *tree)
{
	const unsigned char *d = data;
	impact_buf tmp = IMPACT_BUF_INIT;
	uint32_t n, nedges, ncol;
	reader r;

	if (!tree || len < 4 + 4 + GIT_OID_RAWSZ + 4 || memcmp(d, "IPG", 3) ||
	    d[3] != PROJCACHE_VERSION)
		return impact_error_set(IMPACT_EINVALID, "not a module graph of this version");
	r.p = d + len - 4;
	r.end = d + len;
	r.bad = false;
	if (get_u32(&r) != checksum(d, len - 4))
		return impact_error_set(IMPACT_EINVALID, "a cached module graph is damaged (checksum)");
	r.p = d + 4;
	r.end = d + len - 4;
	if (get_u32(&r) != IMPACT_PYFACTS_VERSION ||
	    memcmp(get_bytes(&r, GIT_OID_RAWSZ), tree->id, GIT_OID_RAWSZ))
		return impact_error_set(IMPACT_EINVALID, "a cached module graph is of another tree");

	n = get_u32(&r);
	if (r.bad || n > (size_t)(r.end - r.p) / (4 + GIT_OID_RAWSZ + 12))
		return impact_error_set(IMPACT_EINVALID, "a cached module graph is damaged (files)");
	p->entries = impact_xcalloc((size_t)n + 1, sizeof(*p->entries));
	p->files = impact_xcalloc((size_t)n + 1, sizeof(*p->files));
	for (uint32_t id = 0; id < n && !r.bad; id++) {
		const char *path = get_str(&r, &tmp);
		const unsigned char *oid = get_bytes(&r, GIT_OID_RAWSZ);
		uint32_t mode = get_u32(&r), flags = get_u32(&r), sig = get_u32(&r);
		impact_pyfile *f = &p->files[id];
		if (r.bad)
			break;
		/* Paths come sorted and distinct, as the snapshot listed them. */
		if (impact_strpool_interns(p->paths, path) != id) {
			r.bad = true;
			break;
		}
		f->path = impact_strpool_get(p->paths, id);
		p->entries[id].path = f->path;
		memcpy(p->entries[id].oid.id, oid, GIT_OID_RAWSZ);
		p->entries[id].mode = mode;
		f->entry = &p->entries[id];
		f->flags = flags & ~(uint32_t)(IMPACT_PF_GHOST | IMPACT_PF_VIRTUAL);
		f->sig = sig;
		p->nfiles = id + 1;
	}
	if (!r.bad) {
		p->files[n].path = "(any module: imports of an unparsed module are unknown)";
		p->files[n].flags = get_u32(&r) & IMPACT_PF_VIRTUAL;
	}
	get_list(&r, &p->roots, &tmp);
	get_list(&r, &p->warnings, &tmp);

	nedges = get_u32(&r);
	if (r.bad || nedges > (size_t)(r.end - r.p) / 13) {
		impact_buf_release(&tmp);
		return impact_error_set(IMPACT_EINVALID, "a cached module graph is damaged (edges)");
	}
	p->graph = impact_graph_new(n + 1);
	impact_graph_reserve(p->graph, nedges);
	for (uint32_t i = 0; i < nedges && !r.bad; i++) {
		uint32_t from = get_u32(&r), to = get_u32(&r), line = get_u32(&r);
		const unsigned char *kind = get_bytes(&r, 1);
		if (r.bad || from > n || to > n || *kind >= IMPACT_EDGE_KIND_COUNT) {
			r.bad = true;
			break;
		}
		impact_graph_add(p->graph, from, to, (impact_edge_kind)*kind, line);
	}
	impact_graph_freeze(p->graph);

	ncol = get_u32(&r);
	if (ncol > (size_t)(r.end - r.p) / 16)
		r.bad = true;
	for (uint32_t i = 0; i < ncol && !r.bad; i++) {
		impact_collector c = { 0 };
		const char *dir;
		c.module = get_u32(&r);
		c.scope = get_u32(&r);
		c.hook_line = get_u32(&r);
		dir = get_str(&r, &tmp);
		if (r.bad || c.module >= n || c.scope >= n)
			break;
		c.dir = impact_xstrdup(dir);
		get_list(&r, &c.suffixes, &tmp);
		IMPACT_PUSH(p->collectors.v, p->collectors.n, p->collectors.alloc, c);
	}
	impact_buf_release(&tmp);
	if (r.bad || r.p != r.end)
		return impact_error_set(IMPACT_EINVALID, "a cached module graph is damaged");
	return 0;
}
