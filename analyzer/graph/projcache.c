/*
 * projcache.c - the module graph of a tree, kept across runs (see
 * projcache.h).
 *
 * A warm run used to rebuild the whole graph: look up every module's
 * facts, resolve every import, sort every edge. For a tree analysed
 * before, all of that is a function of the tree, so it is stored once
 * under the tree id and read back as one blob: the files (path, blob id,
 * mode, flags), the import roots, the warnings, the edges, the
 * collectors, the modules strings name (what an import by a computed name
 * may load, for a patch), and the other files selection reads (doctest
 * texts, collected files: a warm run then lists no tree), and the names
 * each file's facts are looked up under (refnames.h: the precise walk
 * then loads the facts of the files its lookups name, not every file's).
 * Facts stay in the facts table and are loaded per file when
 * something needs them (the precise walk, data-file readers).
 *
 * Layout: a fixed header ("IPG", a version byte, the facts version, the
 * tree id, a byte-order probe, the head's length, the node and edge
 * counts, the edge size, the name index's size); the head (counted sections of little-endian u32s
 * and length-prefixed strings: files, roots, warnings, collectors, named
 * modules, the other files (path, blob id, mode), padded to 8 bytes); then the frozen graph's four arrays exactly as they are in
 * memory, so that a run uses them where the file is mapped, touching only
 * the pages its walk reads; then the name index (0 bytes: none), read
 * where it is mapped too; then a checksum of the head and of each part.
 * The checksum is verified before anything is believed; anything that
 * does not add up is IMPACT_EINVALID (a miss, the entry dropped): never a
 * wrong graph.
 */
#include "projcache.h"
#include "project_private.h"

#include "bytes.h"

#include "pyimports.h"

/*
 * Bump when what project.c, resolve.c, testfiles.c or collect.c derive
 * from a tree changes: old graphs are then ignored, never trusted.
 */
#define PROJCACHE_VERSION 15 /* 6: symbol counts and flags; 7: every module a doctest file; 8: has-doctests flag; 9: conftest collect_ignore; 10: the modules strings name; 11: the files selection reads beside them; 12: four-lane checksum; 13: the name index (refnames.h); 14: its names hashed, its lists varints; 15: class counts in symflags */
/* Written natively: a file from a machine of another byte order is a miss. */
#define BYTE_ORDER_PROBE 0x01020304u

/* ---- writing ------------------------------------------------------------ */

#define HEADER_SIZE 56

static void put_str(impact_buf *b, const char *s)
{
	size_t n = strlen(s);
	impact_bytes_put_u32(b, (uint32_t)n);
	impact_buf_put(b, s, n);
}

static void put_list(impact_buf *b, const impact_strlist *l)
{
	impact_bytes_put_u32(b, (uint32_t)l->n);
	for (size_t i = 0; i < l->n; i++)
		put_str(b, l->items[i]);
}

/* The checksum of the parts: of their checksums, in order. */
static uint32_t checksum_parts(const impact_file_part *parts, size_t n)
{
	uint32_t sums[IMPACT_PROJCACHE_PARTS];
	for (size_t i = 0; i < n && i < IMPACT_PROJCACHE_PARTS; i++)
		sums[i] = impact_bytes_checksum(parts[i].data, parts[i].len);
	return impact_bytes_checksum(sums, n * sizeof(uint32_t));
}

bool impact_projcache_storable(const impact_project *p)
{
	for (uint32_t id = 0; id < p->nfiles; id++)
		if ((p->files[id].flags & IMPACT_PF_GHOST) || !p->files[id].entry)
			return false;
	return impact_snapshot_kind_of(p->snap) == IMPACT_SNAPSHOT_TREE &&
	       impact_snapshot_tree(p->snap) != NULL;
}

int impact_projcache_encode(impact_projcache_out *out, const impact_project *p,
                           const impact_buf *names)
{
	impact_buf *head = &out->head;
	const git_tree *tree = impact_snapshot_tree(p->snap);
	impact_graph_arrays a;
	uint32_t probe = BYTE_ORDER_PROBE, esize = (uint32_t)sizeof(impact_edge), zero = 0;
	uint32_t nlen = names ? (uint32_t)names->size : 0;
	uint32_t nodes, sum;
	uint64_t ne;

	if (!impact_projcache_storable(p))
		return impact_error_set(IMPACT_EINVALID, "only a tree's graph without ghosts is kept");
	impact_graph_get_arrays(p->graph, &a);
	nodes = a.n;
	ne = a.nedges;
	{
		size_t est = HEADER_SIZE + 64;
		for (uint32_t id = 0; id < p->nfiles; id++)
			est += strlen(p->files[id].path) + 4 + GIT_OID_RAWSZ + 20;
		impact_buf_grow(head, est);
	}
	impact_buf_put(head, "IPG", 3);
	impact_buf_putc(head, (char)PROJCACHE_VERSION);
	impact_bytes_put_u32(head, IMPACT_PYFACTS_VERSION);
	impact_buf_put(head, git_tree_id(tree)->id, GIT_OID_RAWSZ);
	impact_buf_put(head, &probe, 4);
	impact_buf_put(head, &zero, 4); /* the head's length, below */
	impact_buf_put(head, &nodes, 4);
	impact_buf_put(head, &ne, 8);
	impact_buf_put(head, &esize, 4);
	impact_buf_put(head, &nlen, 4);
	if (head->size != HEADER_SIZE)
		return impact_error_set(IMPACT_ERROR, "module graph header of %zu bytes", head->size);

	impact_bytes_put_u32(head, p->nfiles);
	for (uint32_t id = 0; id < p->nfiles; id++) {
		const impact_pyfile *f = &p->files[id];
		put_str(head, f->path);
		impact_buf_put(head, f->entry->oid.id, GIT_OID_RAWSZ);
		impact_bytes_put_u32(head, f->entry->mode);
		impact_bytes_put_u32(head, f->flags);
		impact_bytes_put_u32(head, f->sig);
		/* Symbols, plus one; 0: not known (the walk loads the facts to count). */
		impact_bytes_put_u32(head, f->nsyms_known ? f->nsyms + 1 : 0);
		impact_bytes_put_u32(head, f->symflags);
	}
	impact_bytes_put_u32(head, p->files[p->nfiles].flags);
	put_list(head, &p->roots);
	put_list(head, &p->warnings);
	impact_bytes_put_u32(head, (uint32_t)p->collectors.n);
	for (size_t i = 0; i < p->collectors.n; i++) {
		const impact_collector *c = &p->collectors.v[i];
		impact_bytes_put_u32(head, c->module);
		impact_bytes_put_u32(head, c->scope);
		impact_bytes_put_u32(head, c->hook_line);
		put_str(head, c->dir);
		put_list(head, &c->suffixes);
	}
	impact_bytes_put_u32(head, (uint32_t)p->named.n);
	for (size_t i = 0; i < p->named.n; i++)
		impact_bytes_put_u32(head, p->named.v[i]);
	impact_bytes_put_u32(head, p->naux);
	for (uint32_t i = 0; i < p->naux; i++) {
		put_str(head, p->aux[i].path);
		impact_buf_put(head, p->aux[i].oid.id, GIT_OID_RAWSZ);
		impact_bytes_put_u32(head, p->aux[i].mode);
	}
	while (head->size % 8)
		impact_buf_putc(head, 0);
	{
		uint32_t hl = (uint32_t)head->size;
		memcpy(head->ptr + 32, &hl, 4);
	}

	out->parts[0] = (impact_file_part){ head->ptr, head->size };
	out->parts[1] = (impact_file_part){ a.edges, a.nedges * sizeof(impact_edge) };
	out->parts[2] = (impact_file_part){ a.out_start, ((size_t)nodes + 1) * 4 };
	out->parts[3] = (impact_file_part){ a.in_start, ((size_t)nodes + 1) * 4 };
	out->parts[4] = (impact_file_part){ a.in_edges, a.nedges * 4 };
	out->parts[5] = (impact_file_part){ nlen ? names->ptr : "", nlen };
	sum = checksum_parts(out->parts, 6);
	memcpy(out->trailer, &sum, 4);
	out->parts[6] = (impact_file_part){ out->trailer, 4 };
	out->nparts = IMPACT_PROJCACHE_PARTS;
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

typedef impact_bytes_reader reader;

/* The next string, NUL-terminated into *b (reused); NULL when damaged. */
static const char *get_str(reader *r, impact_buf *b)
{
	uint32_t n = impact_bytes_get_u32(r);
	const unsigned char *s = impact_bytes_get(r, n);
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
	uint32_t n = impact_bytes_get_u32(r);
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

/*
 * The six checksummed parts of the `len` bytes at `d` (a graph file),
 * from the sizes in its header: 0, or IMPACT_EINVALID when they do not
 * add up. Every size is checked before anything is read by them.
 */
static int split_parts(impact_file_part parts[6], const unsigned char *d, size_t len)
{
	uint32_t probe, head_len, nodes, esize, nlen;
	uint64_t ne;

	if (len < HEADER_SIZE + 4 || memcmp(d, "IPG", 3))
		return impact_error_set(IMPACT_EINVALID, "not a module graph");
	memcpy(&probe, d + 28, 4);
	memcpy(&head_len, d + 32, 4);
	memcpy(&nodes, d + 36, 4);
	memcpy(&ne, d + 40, 8);
	memcpy(&esize, d + 48, 4);
	memcpy(&nlen, d + 52, 4);
	if (probe != BYTE_ORDER_PROBE || esize != sizeof(impact_edge) || head_len % 8 || nlen % 4 ||
	    head_len < HEADER_SIZE || !nodes || head_len > len ||
	    ne > (len - head_len) / (sizeof(impact_edge) + 4) ||
	    (uint64_t)len != (uint64_t)head_len + ne * (sizeof(impact_edge) + 4) +
	                     ((uint64_t)nodes + 1) * 8 + nlen + 4)
		return impact_error_set(IMPACT_EINVALID, "a cached module graph is damaged (sizes)");
	parts[0] = (impact_file_part){ d, head_len };
	parts[1] = (impact_file_part){ d + head_len, (size_t)ne * sizeof(impact_edge) };
	parts[2] = (impact_file_part){ (const char *)parts[1].data + parts[1].len, ((size_t)nodes + 1) * 4 };
	parts[3] = (impact_file_part){ (const char *)parts[2].data + parts[2].len, ((size_t)nodes + 1) * 4 };
	parts[4] = (impact_file_part){ (const char *)parts[3].data + parts[3].len, (size_t)ne * 4 };
	parts[5] = (impact_file_part){ (const char *)parts[4].data + parts[4].len, nlen };
	return 0;
}

int impact_projcache_seal(void *data, size_t len)
{
	impact_file_part parts[6];
	uint32_t sum;
	int rc = split_parts(parts, data, len);
	if (rc < 0)
		return rc;
	sum = checksum_parts(parts, 6);
	memcpy((unsigned char *)data + len - 4, &sum, 4);
	return 0;
}

/* The modules strings name (ids below n) and the files beside the modules, into p. */
static void get_named_and_aux(reader *r, impact_project *p, uint32_t n, impact_buf *tmp)
{
	uint32_t nnamed = impact_bytes_get_u32(r), naux;
	impact_entry *aux;
	impact_strlist paths = { 0 };

	if (nnamed > (size_t)(r->end - r->p) / 4)
		r->bad = true;
	for (uint32_t i = 0; i < nnamed && !r->bad; i++) {
		uint32_t id = impact_bytes_get_u32(r);
		if (id >= n)
			r->bad = true;
		else
			impact_u32vec_push(&p->named, id);
	}
	naux = impact_bytes_get_u32(r);
	if (r->bad || naux > (size_t)(r->end - r->p) / (4 + GIT_OID_RAWSZ + 4)) {
		r->bad = true;
		return;
	}
	aux = impact_xcalloc((size_t)naux + 1, sizeof(*aux));
	for (uint32_t i = 0; i < naux && !r->bad; i++) {
		const char *path = get_str(r, tmp);
		const unsigned char *oid = impact_bytes_get(r, GIT_OID_RAWSZ);
		uint32_t mode = impact_bytes_get_u32(r);
		if (r->bad)
			break;
		impact_strlist_push(&paths, path);
		memcpy(aux[i].oid.id, oid, GIT_OID_RAWSZ);
		aux[i].mode = mode;
	}
	if (!r->bad) {
		for (uint32_t i = 0; i < naux; i++)
			aux[i].path = paths.items[i];
		impact_project_set_aux(p, aux, naux); /* copies */
	}
	impact_strlist_release(&paths);
	free(aux);
}

/* The name index, used where it is mapped; the files it does not know the names of. */
static int decode_names(impact_project *p, const impact_file_part *part)
{
	impact_u32vec unknown = { 0 };
	if (impact_refnames_view(&p->refnames, part->data, part->len) < 0)
		return impact_error_set(IMPACT_EINVALID, "a cached module graph is damaged (names)");
	p->has_refnames = true;
	for (uint32_t id = 0; id < p->nfiles; id++)
		p->files[id].names_known = true;
	impact_refnames_files(&p->refnames, IMPACT_RN_UNKNOWN, "", 0, p->nfiles, &unknown);
	for (size_t i = 0; i < unknown.n; i++)
		p->files[unknown.v[i]].names_known = false;
	impact_u32vec_release(&unknown);
	return 0;
}

int impact_projcache_decode(impact_project *p, const void *data, size_t len,
                            const git_oid *tree)
{
	const unsigned char *d = data;
	impact_buf tmp = IMPACT_BUF_INIT;
	impact_file_part parts[6];
	impact_graph_arrays a;
	uint32_t n, ncol, nodes, sum;
	reader r;
	int rc;

	/* Another version's graph (an upgrade) is a plain miss: rewritten, not "damaged". */
	if (len >= 4 && !memcmp(d, "IPG", 3) && d[3] != PROJCACHE_VERSION)
		return impact_error_set(IMPACT_ENOTFOUND, "a module graph of another version");
	/* Every size first, then the checksum, then the contents. */
	if ((rc = split_parts(parts, d, len)) < 0)
		return rc;
	memcpy(&nodes, d + 36, 4);
	memcpy(&sum, d + len - 4, 4);
	if (checksum_parts(parts, 6) != sum)
		return impact_error_set(IMPACT_EINVALID, "a cached module graph is damaged (checksum)");
	r.p = d + 4;
	r.end = d + parts[0].len;
	r.bad = false;
	/* Built from facts of another version (an upgrade): a plain miss, as above. */
	if (impact_bytes_get_u32(&r) != IMPACT_PYFACTS_VERSION)
		return impact_error_set(IMPACT_ENOTFOUND, "a module graph of other facts");
	if (memcmp(impact_bytes_get(&r, GIT_OID_RAWSZ), tree->id, GIT_OID_RAWSZ))
		return impact_error_set(IMPACT_EINVALID, "a cached module graph is of another tree");
	r.p = d + HEADER_SIZE;

	n = impact_bytes_get_u32(&r);
	if (r.bad || n + 1 != nodes || n > (size_t)(r.end - r.p) / (4 + GIT_OID_RAWSZ + 20))
		return impact_error_set(IMPACT_EINVALID, "a cached module graph is damaged (files)");
	p->entries = impact_xcalloc((size_t)n + 1, sizeof(*p->entries));
	p->files = impact_xcalloc((size_t)n + 1, sizeof(*p->files));
	for (uint32_t id = 0; id < n && !r.bad; id++) {
		const char *path = get_str(&r, &tmp);
		const unsigned char *oid = impact_bytes_get(&r, GIT_OID_RAWSZ);
		uint32_t mode = impact_bytes_get_u32(&r), flags = impact_bytes_get_u32(&r), sig = impact_bytes_get_u32(&r);
		uint32_t nsyms = impact_bytes_get_u32(&r), symflags = impact_bytes_get_u32(&r);
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
		f->nsyms_known = nsyms != 0;
		f->nsyms = nsyms ? nsyms - 1 : 0;
		f->symflags = symflags;
		p->nfiles = id + 1;
	}
	if (!r.bad) {
		p->files[n].path = "(any module: imports of an unparsed module are unknown)";
		p->files[n].flags = impact_bytes_get_u32(&r) & IMPACT_PF_VIRTUAL;
	}
	get_list(&r, &p->roots, &tmp);
	get_list(&r, &p->warnings, &tmp);
	ncol = impact_bytes_get_u32(&r);
	if (ncol > (size_t)(r.end - r.p) / 16)
		r.bad = true;
	for (uint32_t i = 0; i < ncol && !r.bad; i++) {
		impact_collector c = { 0 };
		const char *dir;
		c.module = impact_bytes_get_u32(&r);
		c.scope = impact_bytes_get_u32(&r);
		c.hook_line = impact_bytes_get_u32(&r);
		dir = get_str(&r, &tmp);
		if (r.bad || c.module >= n || c.scope >= n)
			break;
		c.dir = impact_xstrdup(dir);
		get_list(&r, &c.suffixes, &tmp);
		IMPACT_PUSH(p->collectors.v, p->collectors.n, p->collectors.alloc, c);
	}
	get_named_and_aux(&r, p, n, &tmp);
	impact_buf_release(&tmp);
	/* Only padding up to the arrays. */
	while (!r.bad && r.p < r.end)
		if (*r.p++)
			r.bad = true;
	if (r.bad)
		return impact_error_set(IMPACT_EINVALID, "a cached module graph is damaged");

	/* The graph's arrays, used where they lie (the mapping outlives the graph). */
	a.n = nodes;
	a.nedges = parts[4].len / 4;
	a.edges = parts[1].data;
	a.out_start = parts[2].data;
	a.in_start = parts[3].data;
	a.in_edges = parts[4].data;
	if (!(p->graph = impact_graph_borrow(&a)))
		return impact_error_set(IMPACT_EINVALID, "a cached module graph is damaged (rows)");
	return parts[5].len ? decode_names(p, &parts[5]) : 0;
}
