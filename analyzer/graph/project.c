/*
 * project.c - build the module graph of one snapshot (see project.h).
 *
 * Import roots: the repository root; every directory holding a
 * pyproject.toml, setup.py or setup.cfg (a project in a monorepo) and its
 * src/ when present; pytest's `pythonpath`. Each file's own base directory
 * is added by the resolver. A module impact cannot parse (too large, or
 * tree-sitter gave up) is assumed to import every other module, so a
 * change anywhere selects the tests that reach it: unknown means more.
 *
 * This file lists the files, parses them (or loads or patches a cached
 * graph) and owns the project's lifetime; the edges of each file are
 * made in projedges.c.
 */
#include "project_private.h"

#include "path.h"
#include "projcache.h"

#include "testfiles.h"

#include <time.h>



uint32_t impact_project_find(const impact_project *p, const char *path)
{
	uint32_t id = impact_strpool_find(p->paths, path, strlen(path));
	return id < p->nfiles ? id : IMPACT_STRPOOL_NONE;
}

static void add_roots(impact_project *p)
{
	size_t n = impact_snapshot_count(p->snap);
	impact_buf dir = IMPACT_BUF_INIT;

	impact_strlist_push(&p->roots, "");
	if (impact_snapshot_has_dir(p->snap, "src"))
		impact_strlist_push(&p->roots, "src");
	for (size_t i = 0; i < n; i++) {
		const char *path = impact_snapshot_entry(p->snap, i)->path;
		const char *base = impact_path_base(path);
		if (base == path)
			continue; /* the root is already there */
		if (strcmp(base, "pyproject.toml") && strcmp(base, "setup.py") &&
		    strcmp(base, "setup.cfg"))
			continue;
		impact_buf_clear(&dir);
		impact_buf_put(&dir, path, (size_t)(base - path - 1));
		impact_strlist_push(&p->roots, dir.ptr);
		impact_buf_puts(&dir, "/src");
		if (impact_snapshot_has_dir(p->snap, dir.ptr))
			impact_strlist_push(&p->roots, dir.ptr);
	}
	for (size_t i = 0; i < p->cfg.pythonpath.n; i++)
		impact_strlist_push(&p->roots, p->cfg.pythonpath.items[i]);
	impact_buf_release(&dir);
}

/*
 * A module whose imports are unknown may import anything. Rather than an
 * edge to every file from each such module (quadratic), they all point at
 * one virtual node that points at every file: a change anywhere reaches
 * them in two hops. The node sits at id nfiles, outside the resolver's
 * range, and is always allocated (flags 0 when unused) so the graph's
 * size is fixed.
 */
static void add_unknown_node(impact_project *p)
{
	impact_pyfile v = { 0 };
	bool any = false;

	for (uint32_t id = 0; id < p->nfiles; id++)
		any |= !!(p->files[id].flags & IMPACT_PF_UNKNOWN);
	v.path = "(any module: imports of an unparsed module are unknown)";
	v.flags = any ? IMPACT_PF_VIRTUAL : 0;
	p->files = impact_xreallocarray(p->files, (size_t)p->nfiles + 1, sizeof(*p->files));
	p->files[p->nfiles] = v;
}


/*
 * The cached graph of `tree` as a new project over p's snapshot, with no
 * facts in memory (loaded per file on demand), or NULL on a miss or a
 * damaged entry (dropped, said once by the cache). The project keeps the
 * file mapped: its graph's arrays are read in place.
 */
static impact_project *read_cached(impact_project *p, impact_cache *cache, const git_oid *tree)
{
	impact_project *q;
	void *map = NULL;
	size_t len = 0;
	int rc;

	if (impact_cache_map_project(cache, tree, &map, &len) < 0)
		return NULL;
	q = impact_xcalloc(1, sizeof(*q));
	q->snap = p->snap;
	q->paths = impact_strpool_new();
	q->cache = cache;
	q->lazy = true;
	q->graph_map = map;
	q->graph_map_len = len;
	if ((rc = impact_projcache_decode(q, map, len, tree)) < 0) {
		if (rc == IMPACT_EINVALID)
			impact_cache_forget_project(cache, tree); /* says so, once */
		impact_project_free(q);
		return NULL;
	}
	q->cfg = p->cfg;
	memset(&p->cfg, 0, sizeof(p->cfg));
	q->graph_cached = true;
	return q;
}

/*
 * The collect_ignore lists of the project's conftest.py files into its
 * pytest configuration (collectignore.h): before the files are told tests
 * or not, and again over a cached graph, whose flags they already shaped,
 * for what is decided later (doctest text files). Only a conftest that
 * names a list costs more than the read.
 */
static void read_conftest_ignores(impact_project *p)
{
	impact_buf src = IMPACT_BUF_INIT;
	for (uint32_t id = 0; id < p->nfiles; id++) {
		const impact_pyfile *f = &p->files[id];
		if ((f->flags & (IMPACT_PF_GHOST | IMPACT_PF_SYMLINK)) || !f->entry ||
		    strcmp(impact_path_base(f->path), "conftest.py") ||
		    impact_testfiles_in_ignored_dir(&p->cfg, f->path))
			continue;
		impact_buf_clear(&src);
		if (impact_snapshot_read(&src, p->snap, f->entry) == 0)
			impact_conftest_ignores_read(&p->cfg.conftest_ignores, f->path, src.ptr, src.size);
		impact_error_clear(); /* unreadable: it ignores nothing (the file stays a test) */
	}
	impact_buf_release(&src);
}

/* The graph of this very tree from the cache: nothing to parse or resolve. */
static bool load_cached(impact_project **out, impact_project *p, impact_cache *cache)
{
	double t0 = impact_now_ms();
	impact_project *q = read_cached(p, cache, git_tree_id(impact_snapshot_tree(p->snap)));
	if (!q)
		return false;
	read_conftest_ignores(q);
	q->ms_graph = impact_now_ms() - t0;
	impact_project_free(p);
	*out = q;
	return true;
}

const impact_entry *impact_project_aux(const impact_project *p, size_t *n)
{
	*n = p->naux;
	return p->aux;
}

/* Is snapshot entry e a file selection reads beside the modules (impact_project_aux)? */
static bool is_aux(const impact_project *p, const impact_entry *e)
{
	if ((e->mode == IMPACT_MODE_FILE || e->mode == IMPACT_MODE_EXEC) &&
	    impact_testfiles_is_text_doctest(&p->cfg, e->path))
		return true;
	for (size_t k = 0; k < p->collectors.n; k++)
		if (impact_collector_collects(&p->collectors.v[k], e->path))
			return true;
	return false;
}

void impact_project_set_aux(impact_project *p, const impact_entry *entries, size_t n)
{
	/* Made before the old ones go: `entries` may point into them. */
	impact_entry *aux = impact_xcalloc(n + 1, sizeof(*aux));
	impact_strlist paths = { 0 };
	for (size_t i = 0; i < n; i++) {
		impact_strlist_push(&paths, entries[i].path);
		aux[i] = entries[i];
	}
	for (size_t i = 0; i < n; i++)
		aux[i].path = paths.items[i];
	free(p->aux);
	impact_strlist_release(&p->aux_paths);
	p->aux = aux;
	p->aux_paths = paths;
	p->naux = (uint32_t)n;
}

static int cmp_entry_path(const void *a, const void *b)
{
	return strcmp(((const impact_entry *)a)->path, ((const impact_entry *)b)->path);
}

/*
 * The files beside the modules after a patchable change: new contents of
 * the modified ones, the added ones selection reads, without the deleted.
 */
static void patch_aux(impact_project *q, const impact_changeset *cs)
{
	impact_entry *v = impact_xcalloc((size_t)q->naux + cs->n + 1, sizeof(*v));
	size_t n = 0;
	for (uint32_t k = 0; k < q->naux; k++) {
		bool gone = false;
		v[n] = q->aux[k];
		for (size_t i = 0; i < cs->n; i++) {
			const impact_change *c = &cs->changes[i];
			if (c->status == IMPACT_CHANGE_DELETED && !strcmp(c->old_path, v[n].path))
				gone = true;
			else if (c->status == IMPACT_CHANGE_MODIFIED && !strcmp(c->new_path, v[n].path)) {
				v[n].oid = c->new_oid;
				v[n].mode = c->new_mode;
			}
		}
		n += !gone;
	}
	for (size_t i = 0; i < cs->n; i++) {
		const impact_change *c = &cs->changes[i];
		impact_entry e = { 0 };
		if (c->status != IMPACT_CHANGE_ADDED)
			continue;
		e.path = c->new_path;
		e.oid = c->new_oid;
		e.mode = c->new_mode;
		if (is_aux(q, &e))
			v[n++] = e;
	}
	qsort(v, n, sizeof(*v), cmp_entry_path);
	impact_project_set_aux(q, v, n); /* copies the paths */
	free(v);
}

/* After a full build: the snapshot's files that are aux, in its (sorted) order. */
static void find_aux(impact_project *p)
{
	size_t n = impact_snapshot_count(p->snap), k = 0, alloc = 0;
	impact_entry *v = NULL;
	for (size_t i = 0; i < n; i++) {
		const impact_entry *e = impact_snapshot_entry(p->snap, i);
		if (is_aux(p, e))
			IMPACT_PUSH(v, k, alloc, *e);
	}
	impact_project_set_aux(p, v, k);
	free(v);
}

/* A patch touches at most this many modules; more is a build on all cores. */
#define MAX_PATCHED 256

/*
 * A file other than a module, added or deleted (a data file, a fixture, a
 * note beside the code in the work tree): it moves no import. Not a link,
 * a submodule or a pytest configuration, and no folder named src on its
 * way (such a folder, made or emptied, is an import root: add_roots).
 */
static bool plain_file_come_or_gone(const impact_change *c)
{
	bool added = c->status == IMPACT_CHANGE_ADDED;
	const char *path = added ? c->new_path : c->status == IMPACT_CHANGE_DELETED ? c->old_path : NULL;
	uint32_t mode = added ? c->new_mode : c->old_mode;
	if (!path || impact_path_has_suffix(path, ".py") ||
	    (mode != IMPACT_MODE_FILE && mode != IMPACT_MODE_EXEC) ||
	    impact_pytestcfg_is_config_name(impact_path_base(path)))
		return false;
	for (const char *s = path; (s = strstr(s, "src/")) != NULL; s += 4)
		if (s == path || s[-1] == '/')
			return false;
	return true;
}

/*
 * Can the graph of the change's old tree become this tree's by redoing
 * the changed files' own edges? Only when every change modifies a file in
 * place, or adds or deletes one that is no module (plain_file_come_or_gone:
 * a module coming or going moves what imports resolve to), no pytest
 * configuration or conftest.py changes, and few modules change.
 */
static bool patchable(const impact_changeset *cs)
{
	size_t npy = 0;
	for (size_t i = 0; i < cs->n; i++) {
		const impact_change *c = &cs->changes[i];
		const char *base;
		if (plain_file_come_or_gone(c))
			continue;
		if (c->status != IMPACT_CHANGE_MODIFIED || !c->old_path || !c->new_path ||
		    strcmp(c->old_path, c->new_path) || c->old_mode != c->new_mode ||
		    c->new_mode == IMPACT_MODE_GITLINK)
			return false;
		base = impact_path_base(c->new_path);
		if (impact_pytestcfg_is_config_name(base))
			return false;
		if (!impact_path_has_suffix(c->new_path, ".py"))
			continue;
		if (c->new_mode == IMPACT_MODE_LINK || !strcmp(base, "conftest.py") || ++npy > MAX_PATCHED)
			return false;
	}
	return true;
}

/* The slim facts of blob `e` of the snapshot: from the cache, or parsed (and stored). */
static impact_pyfacts *facts_for_patch(impact_project *p, const impact_entry *e)
{
	impact_buf bytes = IMPACT_BUF_INIT;
	impact_pyfacts *full = NULL, *slim = NULL;

	if (impact_cache_get(p->cache, &e->oid, &bytes) == 0 &&
	    impact_pyfacts_decode_slim(&slim, bytes.ptr, bytes.size) == 0) {
		impact_buf_release(&bytes);
		p->from_cache++;
		return slim;
	}
	impact_buf_clear(&bytes);
	if (!p->parser)
		p->parser = impact_pyparser_new();
	if (p->parser && impact_snapshot_read(&bytes, p->snap, e) == 0 &&
	    impact_pyfacts_extract(&full, p->parser, bytes.ptr ? bytes.ptr : "", bytes.size) == 0) {
		impact_buf_clear(&bytes);
		if (!(full->flags & IMPACT_PYFACTS_TOO_LARGE) &&
		    impact_pyfacts_encode(&bytes, full) == 0 && impact_cache_begin(p->cache) == 0) {
			impact_cache_put(p->cache, &e->oid, bytes.ptr, bytes.size);
			impact_cache_commit(p->cache);
		}
		slim = impact_pyfacts_slim(full);
		impact_pyfacts_free(full);
		p->parsed++;
	}
	impact_buf_release(&bytes);
	return slim;
}

/*
 * The base tree's graph for a run of the work tree or the index, built
 * and stored when the cache lacks it (or holds another version's): such a
 * run stores no graph of its own (it has no tree id), so without this
 * every run before the next commit stored would build in full. Costs one
 * build of the base, from the parse cache the run fills anyway. True when
 * built.
 */
static bool build_base_graph(impact_snapshot *snap, const impact_project_opts *opts)
{
	impact_project_opts bo = { 0 };
	impact_snapshot *base = NULL;
	impact_project *bp = NULL;
	bool built;

	bo.cache = opts->cache;
	bo.nthreads = opts->nthreads;
	built = impact_snapshot_open(&base, impact_snapshot_repo(snap), IMPACT_SNAPSHOT_TREE,
	                             opts->base_tree) == 0 &&
	        impact_project_build(&bp, base, &bo) == 0;
	if (!built)
		impact_error_clear(); /* then this run builds in full, as it would have */
	impact_project_free(bp);
	impact_snapshot_free(base);
	return built;
}

/*
 * This tree's graph from the old tree's, for a change patchable() allows:
 * the changed modules' new facts, and their own out-edges made again
 * (file_edges, and for an import by a computed name the edges to the
 * modules strings name, kept with the graph); every other edge is kept.
 * A module whose new facts mean more than its own edges (another
 * signature: strings naming modules, a dynamic import come or gone, a
 * collect hook, doctests, a syntax error) makes it a full build instead. The result is what a full build gives: the e2e
 * suite compares them.
 */
static bool patch_cached(impact_project **out, impact_project *p, const impact_project_opts *opts)
{
	const impact_changeset *cs = opts->changes;
	double t0 = impact_now_ms();
	impact_project *q;
	impact_graph *old;
	impact_u32vec ids = { 0 };
	bool ok = true;
	edge_ctx x;

	if (!cs || !opts->base_tree || !patchable(cs))
		return false;
	if (!(q = read_cached(p, opts->cache, git_tree_id(opts->base_tree))) &&
	    (impact_snapshot_tree(p->snap) || !build_base_graph(p->snap, opts) ||
	     !(q = read_cached(p, opts->cache, git_tree_id(opts->base_tree)))))
		return false;
	read_conftest_ignores(q); /* no conftest changed: the old tree's are this one's */
	patch_aux(q, cs);
	for (size_t i = 0; i < cs->n && ok; i++) {
		const impact_change *c = &cs->changes[i];
		uint32_t id;
		impact_pyfile *f;
		if (c->status != IMPACT_CHANGE_MODIFIED || !impact_path_has_suffix(c->new_path, ".py"))
			continue;
		id = impact_project_find(q, c->new_path);
		if (id == IMPACT_STRPOOL_NONE) {
			ok = false;
			break;
		}
		f = &q->files[id];
		IMPACT_PUSH(q->patched_old, q->npatched_old, q->apatched_old, q->entries[id].oid);
		q->entries[id].oid = c->new_oid;
		f->nsyms_known = false; /* counted again for the new blob (count_symbols) */
		f->names_known = false; /* the walk reads its new facts for every name */
		if ((f->flags & (IMPACT_PF_UNKNOWN | IMPACT_PF_SYMLINK)) ||
		    !(f->facts = facts_for_patch(q, f->entry)) ||
		    (f->facts->flags & (IMPACT_PYFACTS_SYNTAX_ERROR | IMPACT_PYFACTS_TOO_LARGE |
		                        IMPACT_PYFACTS_COLLECT_HOOK)) ||
		    project_global_signature(f->facts) != f->sig)
			ok = false;
		impact_u32vec_push(&ids, id);
	}
	if (!ok) {
		/* The old tree's graph stays as it was; build this one in full. */
		impact_conftest_ignores_release(&q->cfg.conftest_ignores); /* read again there */
		memcpy(&p->cfg, &q->cfg, sizeof(p->cfg));
		memset(&q->cfg, 0, sizeof(q->cfg));
		impact_u32vec_release(&ids);
		impact_project_free(q);
		return false;
	}

	/*
	 * The changed modules' edges made again (in a graph of their own),
	 * then every node's edges in node order, old or new: already in
	 * frozen order, so the freeze sorts nothing.
	 */
	{
		impact_graph *fresh = impact_graph_new(q->nfiles + 1);
		bool *changed = impact_xcalloc((size_t)q->nfiles + 1, sizeof(bool));
		old = q->graph;
		q->graph = fresh;
		project_edge_ctx_init(&x, q, false);
		for (size_t i = 0; i < ids.n; i++) {
			changed[ids.v[i]] = true;
			project_file_edges(q, &x, ids.v[i]);
			/* Its signature is the old one: the modules strings name are too. */
			if (q->files[ids.v[i]].facts->flags & IMPACT_PYFACTS_DYNAMIC_IMPORT)
				project_dynamic_edges(q, &x, ids.v[i]);
		}
		project_edge_ctx_release(&x);
		impact_graph_freeze(fresh);
		q->graph = impact_graph_new(q->nfiles + 1);
		impact_graph_reserve(q->graph, impact_graph_edge_count(old) + impact_graph_edge_count(fresh));
		for (uint32_t id = 0; id <= q->nfiles; id++) {
			size_t n;
			const impact_edge *e = impact_graph_out(changed[id] ? fresh : old, id, &n);
			impact_graph_add_edges(q->graph, e, n);
		}
		impact_graph_freeze(q->graph);
		impact_graph_free(old);
		impact_graph_free(fresh);
		/* The old tree's file holds the old graph's arrays, and the name index still used. */
		if (q->has_refnames) {
			q->refnames_map = q->graph_map;
			q->refnames_map_len = q->graph_map_len;
		} else {
			impact_cache_unmap(q->graph_map, q->graph_map_len);
		}
		q->graph_map = NULL;
		free(changed);
	}
	impact_u32vec_release(&ids);
	q->graph_patched = true;
	q->ms_graph = impact_now_ms() - t0;
	impact_project_free(p);
	*out = q;
	return true;
}

/*
 * Every file's symbol count and flags (impact_pyfile.nsyms), kept with the graph:
 * from whole facts in memory, else decoded from the cache one file at a
 * time (never all held at once). A file whose whole facts the cache does
 * not have stays unknown: the walk then loads them to count.
 */
static uint32_t symflags_of(const impact_pyfacts *f)
{
	uint32_t flags = 0, nclasses = 0;
	for (size_t i = 0; f && i < f->nimports; i++)
		if (f->imports[i].symbol != IMPACT_SYMBOL_NONE &&
		    !(f->imports[i].flags & IMPACT_IMPORT_TYPE_CHECKING))
			flags |= IMPACT_SYMS_LAZY_IMPORT;
	for (size_t i = 0; f && i < f->nsymbols; i++) {
		if (f->symbols[i].flags & IMPACT_SYMBOL_DYNAMIC)
			flags |= IMPACT_SYMS_DYNAMIC;
		if (f->symbols[i].kind == IMPACT_SYMBOL_CLASS && nclasses < IMPACT_SYMS_MAX_CLASSES)
			nclasses++;
	}
	return flags | nclasses << IMPACT_SYMS_CLASS_SHIFT;
}

/*
 * The same pass names each file whose names `names` lacks (have[id]
 * false) from the same whole facts: a file whose facts are not at hand is
 * named unknown (the walk then reads it for every name).
 */
static void count_symbols(impact_project *p, impact_cache *cache, impact_refnames_builder *names,
                          const bool *have)
{
	impact_buf bytes = IMPACT_BUF_INIT;

	impact_cache_read_begin(cache);
	for (uint32_t id = 0; id < p->nfiles; id++) {
		impact_pyfile *f = &p->files[id];
		impact_pyfacts *full = NULL;
		bool loadable = f->entry && !(f->flags & (IMPACT_PF_SYMLINK | IMPACT_PF_UNKNOWN | IMPACT_PF_GHOST)) &&
		                (f->facts ? (f->facts->flags & IMPACT_PYFACTS_SLIM) != 0 : p->lazy);
		bool need_names = !have[id];
		if (f->nsyms_known && !need_names)
			continue;
		if (!loadable) {
			/* What impact_project_facts answers without loading anything. */
			if (!f->nsyms_known) {
				f->nsyms = f->facts ? (uint32_t)f->facts->nsymbols : 0;
				f->symflags = symflags_of(f->facts);
				f->nsyms_known = true;
			}
			/* A cached graph's walk gets no facts of these: no names but whole facts' here. */
			if (need_names && f->facts && !(f->facts->flags & IMPACT_PYFACTS_SLIM))
				impact_refnames_builder_add_facts(names, id, f->facts);
			continue;
		}
		impact_buf_clear(&bytes);
		if (impact_cache_get(cache, &f->entry->oid, &bytes) == 0 &&
		    impact_pyfacts_decode(&full, bytes.ptr, bytes.size) == 0 &&
		    !(full->flags & IMPACT_PYFACTS_TOO_LARGE)) {
			if (!f->nsyms_known) {
				f->nsyms = (uint32_t)full->nsymbols;
				f->symflags = symflags_of(full);
				f->nsyms_known = true;
			}
			if (need_names)
				impact_refnames_builder_add_facts(names, id, full);
		} else if (need_names) {
			impact_refnames_builder_add_unknown(names, id);
		}
		impact_pyfacts_free(full);
	}
	impact_cache_read_end(cache);
	impact_buf_release(&bytes);
}

/*
 * The names the old index holds a patch's changed modules under: their
 * old blobs' whole facts, named as the index named them. NULL when one
 * is not in the cache (the patch then reads every list to find them).
 */
static impact_refnames_builder *old_names(const impact_project *p, impact_cache *cache)
{
	impact_refnames_builder *gone = impact_refnames_builder_new();
	impact_buf bytes = IMPACT_BUF_INIT;
	bool ok = p->graph_patched;
	impact_cache_read_begin(cache);
	for (size_t i = 0; ok && i < p->npatched_old; i++) {
		impact_pyfacts *full = NULL;
		impact_buf_clear(&bytes);
		ok = impact_cache_get(cache, &p->patched_old[i], &bytes) == 0 &&
		     impact_pyfacts_decode(&full, bytes.ptr, bytes.size) == 0 &&
		     !(full->flags & IMPACT_PYFACTS_TOO_LARGE);
		if (ok)
			impact_refnames_builder_add_facts(gone, 0, full);
		impact_pyfacts_free(full);
	}
	impact_cache_read_end(cache);
	impact_buf_release(&bytes);
	if (!ok) {
		impact_refnames_builder_free(gone);
		return NULL;
	}
	return gone;
}

/*
 * The graph stored with its name index: a patched graph's from the old
 * tree's for every file but the changed ones, named again from their
 * new facts; a built graph's from every file's facts.
 */
static void store_cached(impact_project *p, impact_cache *cache)
{
	impact_projcache_out enc = { .head = IMPACT_BUF_INIT };
	impact_refnames_builder *b = impact_refnames_builder_new(), *gone = NULL;
	impact_buf names = IMPACT_BUF_INIT;
	bool *have = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool));
	for (uint32_t id = 0; p->has_refnames && id < p->nfiles; id++)
		have[id] = p->files[id].names_known;
	count_symbols(p, cache, b, have);
	if (p->has_refnames) {
		gone = old_names(p, cache);
		impact_refnames_patch(&p->refnames, have, p->nfiles, b, gone, &names);
	} else {
		impact_refnames_builder_encode(b, &names);
	}
	if (impact_projcache_encode(&enc, p, &names) == 0)
		impact_cache_put_project(cache, git_tree_id(impact_snapshot_tree(p->snap)),
		                         enc.parts, enc.nparts);
	impact_buf_release(&enc.head);
	impact_buf_release(&names);
	impact_refnames_builder_free(b);
	impact_refnames_builder_free(gone);
	free(have);
}

/* The files of the graph: every .py blob or symlink of the snapshot, then the ghosts. */
static void list_files(impact_project *p, impact_snapshot *snap, const impact_project_opts *opts)
{
	size_t falloc = 0;
	size_t n;

	n = impact_snapshot_count(snap);
	for (size_t i = 0; i < n; i++) {
		const impact_entry *e = impact_snapshot_entry(snap, i);
		impact_pyfile f = { 0 };
		if (!impact_path_has_suffix(e->path, ".py") || e->mode == IMPACT_MODE_GITLINK)
			continue;
		f.path = impact_strpool_get(p->paths, impact_strpool_interns(p->paths, e->path));
		f.entry = e;
		if (e->mode == IMPACT_MODE_LINK)
			f.flags |= IMPACT_PF_SYMLINK;
		IMPACT_PUSH(p->files, p->nfiles, falloc, f);
	}
	for (size_t i = 0; i < opts->nghosts; i++) {
		impact_pyfile f = { 0 };
		uint32_t id = impact_strpool_interns(p->paths, opts->ghosts[i]);
		if (id < p->nfiles)
			continue; /* still exists (e.g. a rename back) */
		if (id != p->nfiles)
			continue; /* a duplicate ghost */
		f.path = impact_strpool_get(p->paths, id);
		f.flags = IMPACT_PF_GHOST;
		IMPACT_PUSH(p->files, p->nfiles, falloc, f);
	}
}

/* Test and conftest flags, and one parse job per regular file (job_file: the file of each job). */
static void plan_parse_jobs(impact_project *p, impact_parse_job **out_jobs, size_t *out_njobs,
                            uint32_t **out_job_file)
{
	impact_parse_job *jobs = NULL;
	uint32_t *job_file = NULL;
	size_t njobs = 0, nalloc = 0, njf = 0, jfalloc = 0;

	for (uint32_t id = 0; id < p->nfiles; id++) {
		impact_pyfile *f = &p->files[id];
		if (f->flags & IMPACT_PF_GHOST)
			continue;
		if (impact_testfiles_is_test(&p->cfg, f->path))
			f->flags |= IMPACT_PF_TEST;
		else if (impact_testfiles_is_conftest(&p->cfg, f->path))
			f->flags |= IMPACT_PF_CONFTEST;
		/*
		 * --doctest-modules: pytest imports every module to look for
		 * doctests, those without any too; one that does not import is a
		 * collection error that stops the whole run. So each is a test.
		 */
		else if (impact_testfiles_is_doctest_module(&p->cfg, f->path))
			f->flags |= IMPACT_PF_TEST | IMPACT_PF_DOCTEST;
		if (!(f->flags & IMPACT_PF_SYMLINK)) {
			impact_parse_job job = { .entry = f->entry };
			IMPACT_PUSH(jobs, njobs, nalloc, job);
			IMPACT_PUSH(job_file, njf, jfalloc, id);
		}
	}
	*out_jobs = jobs;
	*out_njobs = njobs;
	*out_job_file = job_file;
}

/*
 * Each parsed file takes its facts (the jobs keep none), with a warning
 * when it could not be read whole.
 */
static void take_parsed(impact_project *p, impact_parse_job *jobs, const uint32_t *job_file,
                        size_t njobs)
{
	for (size_t i = 0; i < njobs; i++) {
		impact_pyfile *f = &p->files[job_file[i]];
		impact_buf msg = IMPACT_BUF_INIT;
		f->facts = jobs[i].facts;
		jobs[i].facts = NULL;
		if (jobs[i].cached)
			p->from_cache++;
		else
			p->parsed++;
		if (jobs[i].error) {
			f->flags |= IMPACT_PF_UNKNOWN;
			impact_buf_printf(&msg, "%s: not read (%s); assuming it imports everything",
			                  f->path, jobs[i].message ? jobs[i].message : "error");
		} else if (f->facts->flags & IMPACT_PYFACTS_TOO_LARGE) {
			f->flags |= IMPACT_PF_UNKNOWN;
			impact_buf_printf(&msg, "%s: too large or too complex to parse; assuming it imports everything",
			                  f->path);
		} else if (f->facts->flags & IMPACT_PYFACTS_SYNTAX_ERROR) {
			impact_buf_printf(&msg, "%s:%u:%u: syntax error; its imports were read as far as the parser could",
			                  f->path, f->facts->error_line, f->facts->error_col);
		}
		if (msg.size)
			impact_strlist_push(&p->warnings, msg.ptr);
		impact_buf_release(&msg);
		if ((f->flags & IMPACT_PF_DOCTEST) && f->facts && (f->facts->flags & IMPACT_PYFACTS_DOCTEST))
			f->flags |= IMPACT_PF_HAS_DOCTESTS;
	}
}

int impact_project_build(impact_project **out, impact_snapshot *snap,
                         const impact_project_opts *opts)
{
	impact_project *p = impact_xcalloc(1, sizeof(*p));
	impact_parse_job *jobs = NULL;
	uint32_t *job_file = NULL;
	size_t njobs = 0;
	int rc;
	double t0;

	*out = NULL;
	p->snap = snap;
	p->paths = impact_strpool_new();
	p->cache = opts->cache;
	rc = impact_pytestcfg_load(&p->cfg, impact_snapshot_reader, snap);
	if (rc < 0)
		goto done;
	if (opts->cache && !opts->nghosts) {
		bool tree = impact_snapshot_tree(snap) != NULL;
		if (tree && load_cached(out, p, opts->cache))
			return 0;
		/*
		 * The work tree and the index have no graph of their own in the
		 * cache, but HEAD's (the old side) patched with the edit is theirs:
		 * a run before committing redoes the edited modules, not 6,000.
		 */
		if (patch_cached(out, p, opts)) {
			if (tree)
				store_cached(*out, opts->cache);
			return 0;
		}
	}
	if ((rc = impact_snapshot_list(snap)) < 0)
		goto done;

	list_files(p, snap, opts);
	read_conftest_ignores(p);
	plan_parse_jobs(p, &jobs, &njobs, &job_file);

	t0 = impact_now_ms();
	p->cache = opts->cache;
	rc = impact_parse_run(jobs, njobs, snap, opts->nthreads, opts->cache, true);
	if (rc < 0)
		goto done;
	p->ms_parse = impact_now_ms() - t0;

	take_parsed(p, jobs, job_file, njobs);

	t0 = impact_now_ms();
	add_roots(p);
	add_unknown_node(p);
	p->graph = impact_graph_new(p->nfiles + 1);
	project_add_edges(p);
	if (p->files[p->nfiles].flags & IMPACT_PF_VIRTUAL)
		for (uint32_t k = 0; k < p->nfiles; k++)
			impact_graph_add(p->graph, p->nfiles, k, IMPACT_EDGE_UNKNOWN, 0);
	impact_graph_freeze(p->graph);
	impact_collectors_find(&p->collectors, p);
	find_aux(p);
	p->ms_graph = impact_now_ms() - t0;
	if (opts->cache && impact_projcache_storable(p))
		store_cached(p, opts->cache);

	*out = p;
	p = NULL;
	rc = 0;
done:
	impact_parse_jobs_release(jobs, njobs);
	free(jobs);
	free(job_file);
	impact_project_free(p);
	return rc;
}

/* A file of a cached graph whose facts are not in memory yet but can be had. */
static bool lazy_loadable(const impact_project *p, const impact_pyfile *f)
{
	return p->lazy && !f->facts && f->entry &&
	       !(f->flags & (IMPACT_PF_SYMLINK | IMPACT_PF_UNKNOWN | IMPACT_PF_GHOST));
}

const impact_pyfacts *impact_project_slim_facts(const impact_project *cp, uint32_t id)
{
	impact_project *p = (impact_project *)cp; /* logically const: loads on demand */
	impact_pyfile *f;
	impact_buf bytes = IMPACT_BUF_INIT;

	if (id >= p->nfiles)
		return NULL;
	f = &p->files[id];
	if (!lazy_loadable(p, f))
		return f->facts;
	if (p->cache && impact_cache_get(p->cache, &f->entry->oid, &bytes) == 0 &&
	    impact_pyfacts_decode_slim(&f->facts, bytes.ptr, bytes.size) == 0) {
		impact_buf_release(&bytes);
		return f->facts;
	}
	impact_buf_release(&bytes);
	/* Not in the cache (any more): the whole facts, parsed again. */
	if (!impact_project_facts(p, id) || !f->facts) {
		p->facts_lost++;
		return NULL;
	}
	return f->facts;
}

const impact_pyfacts *impact_project_facts(const impact_project *cp, uint32_t id)
{
	impact_project *p = (impact_project *)cp; /* logically const: loads on demand */
	impact_pyfile *f;
	impact_pyfacts *full = NULL;
	impact_buf bytes = IMPACT_BUF_INIT;

	if (id >= p->nfiles)
		return NULL;
	f = &p->files[id];
	if (f->facts ? !(f->facts->flags & IMPACT_PYFACTS_SLIM) : !lazy_loadable(p, f))
		return f->facts;
	/* The cache has them (that is when they were slimmed), unless it lost them since. */
	if (p->cache && impact_cache_get(p->cache, &f->entry->oid, &bytes) == 0 &&
	    impact_pyfacts_decode(&full, bytes.ptr, bytes.size) < 0)
		full = NULL;
	if (!full) {
		impact_buf_clear(&bytes);
		if (!p->parser)
			p->parser = impact_pyparser_new();
		if (!p->parser || impact_snapshot_read(&bytes, p->snap, f->entry) < 0 ||
		    impact_pyfacts_extract(&full, p->parser, bytes.ptr ? bytes.ptr : "", bytes.size) < 0)
			full = NULL;
		/* Kept for the cache, else every later run parses it again. */
		if (full && p->cache && !(full->flags & IMPACT_PYFACTS_TOO_LARGE)) {
			struct impact_reparsed r = { f->entry->oid, IMPACT_BUF_INIT };
			if (impact_pyfacts_encode(&r.enc, full) == 0)
				IMPACT_PUSH(p->reparsed, p->nreparsed, p->areparsed, r);
			else
				impact_buf_release(&r.enc);
		}
	}
	impact_buf_release(&bytes);
	if (!full || (full->flags & IMPACT_PYFACTS_TOO_LARGE)) {
		/*
		 * Unreadable now (or too large this time): callers that need
		 * symbols must not trust the slim facts. Said once, not retried.
		 */
		impact_pyfacts_free(full);
		p->facts_lost++;
		f->facts->flags &= ~(uint32_t)IMPACT_PYFACTS_SLIM;
		return f->facts;
	}
	/*
	 * The symbols the walk numbered from the cached graph's count must be
	 * these (the same blob, the same facts version): if not, symbol-level
	 * answers are unsafe, as for a file that could not be read again.
	 */
	if (f->nsyms_known && (full->nsymbols != f->nsyms || symflags_of(full) != f->symflags))
		p->facts_lost++;
	p->facts_loaded++;
	impact_pyfacts_free(f->facts);
	f->facts = full;
	return full;
}

void impact_project_store_reparsed(const impact_project *cp)
{
	impact_project *p = (impact_project *)cp; /* logically const: a cache write */
	if (p->nreparsed && p->cache && impact_cache_begin(p->cache) == 0) {
		for (size_t i = 0; i < p->nreparsed; i++)
			if (impact_cache_put(p->cache, &p->reparsed[i].oid, p->reparsed[i].enc.ptr,
			                     p->reparsed[i].enc.size) < 0)
				break;
		impact_cache_commit(p->cache);
	}
	impact_error_clear();
	for (size_t i = 0; i < p->nreparsed; i++)
		impact_buf_release(&p->reparsed[i].enc);
	p->nreparsed = 0;
}

impact_resolver *impact_project_resolver(const impact_project *cp)
{
	impact_project *p = (impact_project *)cp; /* logically const: made on demand */
	if (!p->resolver)
		p->resolver = impact_resolver_new(p->paths, p->nfiles,
		                                  (const char *const *)p->roots.items, p->roots.n);
	return p->resolver;
}

void impact_project_free(impact_project *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nreparsed; i++)
		impact_buf_release(&p->reparsed[i].enc);
	free(p->reparsed);
	impact_pyparser_free(p->parser);
	free(p->entries);
	for (uint32_t i = 0; i < p->nfiles; i++)
		impact_pyfacts_free(p->files[i].facts);
	free(p->files);
	impact_strpool_free(p->paths);
	impact_pytestcfg_release(&p->cfg);
	impact_strlist_release(&p->roots);
	impact_strlist_release(&p->warnings);
	impact_resolver_free(p->resolver);
	impact_graph_free(p->graph);
	impact_cache_unmap(p->graph_map, p->graph_map_len); /* after the graph borrowing it */
	impact_cache_unmap(p->refnames_map, p->refnames_map_len);
	impact_collectors_release(&p->collectors);
	impact_u32vec_release(&p->named);
	free(p->patched_old);
	free(p->aux);
	impact_strlist_release(&p->aux_paths);
	free(p);
}
