/*
 * projedges.c - the edges of the module graph: what each import means
 * (edge kinds), a .py symlink running its target, the conftests and -p
 * plugins a test runs, the package chain a module runs, and string
 * evidence (a string naming a module or a folder of modules), plus the
 * non-literal dynamic imports that need every file's strings first. One
 * function per file (project_file_edges) serves the whole build and the
 * patching of a cached graph alike; which files exist and when to build
 * or patch is project.c.
 */
#include "project_private.h"

#include "path.h"

static impact_edge_kind edge_kind_of(const impact_import *imp)
{
	if (imp->flags & IMPACT_IMPORT_TYPE_CHECKING)
		return IMPACT_EDGE_TYPE_CHECKING;
	if (imp->kind == IMPACT_IMPORT_PLUGIN)
		return IMPACT_EDGE_PLUGIN;
	if (imp->kind == IMPACT_IMPORT_DYNAMIC)
		return IMPACT_EDGE_DYNAMIC;
	if (imp->flags & IMPACT_IMPORT_IN_FUNCTION)
		return IMPACT_EDGE_LAZY;
	if (imp->flags & IMPACT_IMPORT_CONDITIONAL)
		return IMPACT_EDGE_CONDITIONAL;
	return IMPACT_EDGE_IMPORT;
}

/* A symlink's target, relative to the link's folder, as a repository path. */
static bool normalise_link(impact_buf *out, const char *linkpath, const char *target)
{
	impact_buf dir = IMPACT_BUF_INIT;
	bool ok;
	impact_path_dir(&dir, linkpath);
	ok = impact_path_join(out, dir.ptr, target);
	impact_buf_release(&dir);
	return ok;
}

/* Index of the first file whose path is >= `prefix` (files are sorted). */
static uint32_t lower_bound(const impact_project *p, uint32_t nreal, const char *prefix)
{
	uint32_t lo = 0, hi = nreal;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (strcmp(p->files[mid].path, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Edges from `from` to the modules under folder `dir` ("" = all), tests
 * and conftests left out (naming a folder of tests is not running them).
 */
static void edges_to_folder(impact_project *p, uint32_t nreal, uint32_t from,
                            const char *dir, impact_edge_kind kind, uint32_t line)
{
	impact_buf prefix = IMPACT_BUF_INIT;
	if (*dir)
		impact_buf_printf(&prefix, "%s/", dir);
	for (uint32_t k = lower_bound(p, nreal, prefix.ptr); k < nreal; k++) {
		const impact_pyfile *t = &p->files[k];
		if (strncmp(t->path, prefix.ptr, prefix.size))
			break;
		if (!(t->flags & (IMPACT_PF_TEST | IMPACT_PF_CONFTEST)))
			impact_graph_add(p->graph, from, k, kind, line);
	}
	impact_buf_release(&prefix);
}

void impact_project_path_referrers(const impact_project *p, const char *path,
                                   impact_u32vec *ids, impact_u32vec *lines)
{
	impact_buf dir = IMPACT_BUF_INIT, cand = IMPACT_BUF_INIT;
	for (uint32_t id = 0; id < p->nfiles; id++) {
		const impact_pyfacts *facts = impact_project_slim_facts(p, id);
		if (p->files[id].flags & IMPACT_PF_GHOST)
			continue;
		for (size_t i = 0; facts && i < facts->nstrings; i++) {
			const impact_strref *sr = &facts->strings[i];
			bool hit = false;
			if (sr->kind != IMPACT_STRREF_PATH)
				continue;
			{
				const char *slash = strrchr(p->files[id].path, '/');
				impact_buf_clear(&dir);
				if (slash)
					impact_buf_put(&dir, p->files[id].path, (size_t)(slash - p->files[id].path));
			}
			for (;;) {
				if (impact_path_join(&cand, dir.ptr, sr->text) && cand.size &&
				    !strncmp(path, cand.ptr, cand.size) &&
				    (path[cand.size] == '\0' || path[cand.size] == '/'))
					hit = true;
				if (hit || !dir.size)
					break;
				{
					char *up = strrchr(dir.ptr, '/');
					impact_buf_truncate(&dir, up ? (size_t)(up - dir.ptr) : 0);
				}
			}
			if (hit) {
				impact_u32vec_push(ids, id);
				impact_u32vec_push(lines, sr->line);
				break;
			}
		}
	}
	impact_buf_release(&dir);
	impact_buf_release(&cand);
}


void project_edge_ctx_init(edge_ctx *x, impact_project *p, bool collect_named)
{
	memset(x, 0, sizeof(*x));
	impact_buf_init(&x->path);
	impact_buf_init(&x->dir);
	impact_buf_init(&x->cand);
	while (x->nreal < p->nfiles && !(p->files[x->nreal].flags & IMPACT_PF_GHOST))
		x->nreal++;
	for (size_t i = 0; i < p->cfg.plugins.n; i++)
		impact_resolver_resolve_name(impact_project_resolver(p), p->cfg.plugins.items[i],
		                             &x->plugins);
	if (collect_named)
		x->is_named = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool));
}

void project_edge_ctx_release(edge_ctx *x)
{
	impact_u32vec_release(&x->plugins);
	impact_u32vec_release(&x->targets);
	impact_u32vec_release(&x->named);
	impact_buf_release(&x->path);
	impact_buf_release(&x->dir);
	impact_buf_release(&x->cand);
	free(x->is_named);
}

/*
 * A bare word naming a package (`__title__ = "pkg"`, `getLogger("pkg")`,
 * `assert pkg.__name__ == "pkg"`) is the package's name, not a path to
 * every module of it: it can run the package itself (`-m pkg`: its
 * __init__.py and __main__.py), which gets the edges. A folder without
 * __init__.py, a path ("pkg/"), or a file that also imports by computed
 * names (it may walk the folder and import what it finds) keep the whole
 * folder. True when the word was taken as the package (x->cand is the
 * folder).
 */
static bool package_name(impact_project *p, edge_ctx *x, uint32_t id, const impact_pyfacts *facts,
                         const char *text, uint32_t line)
{
	uint32_t t;
	bool package = false;
	impact_buf file = IMPACT_BUF_INIT;
	if (strchr(text, '/') || strchr(text, '.') || (facts->flags & IMPACT_PYFACTS_DYNAMIC_IMPORT))
		return false;
	impact_buf_clear(&file);
	impact_buf_printf(&file, "%s/__init__.py", x->cand.ptr);
	if ((t = impact_project_find(p, file.ptr)) != IMPACT_STRPOOL_NONE && t < x->nreal) {
		if (t != id)
			impact_graph_add(p->graph, id, t, IMPACT_EDGE_STRING_PATH, line);
		package = true;
	}
	impact_buf_clear(&file);
	impact_buf_printf(&file, "%s/__main__.py", x->cand.ptr);
	if (package && (t = impact_project_find(p, file.ptr)) != IMPACT_STRPOOL_NONE && t < x->nreal &&
	    t != id)
		impact_graph_add(p->graph, id, t, IMPACT_EDGE_STRING_PATH, line);
	impact_buf_release(&file);
	return package;
}

/*
 * A conftest.py naming a path its collect_ignore lists (collectignore.h):
 * that string is the list, which keeps pytest away from the file, not a
 * use of it.
 */
static bool ignore_listed(const impact_project *p, uint32_t id, const char *path)
{
	return (p->files[id].flags & IMPACT_PF_CONFTEST) &&
	       impact_conftest_ignores_match(&p->cfg.conftest_ignores, path);
}

static void string_edges(impact_project *p, edge_ctx *x, uint32_t id, const impact_pyfacts *facts)
{
	impact_resolver *r = impact_project_resolver(p);
	for (size_t i = 0; facts && i < facts->nstrings; i++) {
		const impact_strref *sr = &facts->strings[i];
		if (sr->kind == IMPACT_STRREF_MODULE) {
			impact_import imp = { 0 };
			unsigned how = 0;
			imp.module = sr->text;
			imp.kind = IMPACT_IMPORT_MODULE;
			x->targets.n = 0;
			impact_resolver_resolve(r, id, &imp, &x->targets, &how);
			for (size_t k = 0; k < x->targets.n; k++) {
				uint32_t t = x->targets.v[k];
				impact_graph_add(p->graph, id, t, IMPACT_EDGE_STRING_MODULE, sr->line);
				if (x->is_named && !x->is_named[t]) {
					x->is_named[t] = true;
					impact_u32vec_push(&x->named, t);
				}
			}
			continue;
		}
		/* A path: from the file's folder up to the root. */
		impact_path_dir(&x->dir, p->files[id].path);
		for (;;) {
			if (impact_path_join(&x->cand, x->dir.ptr, sr->text) && x->cand.size &&
			    !ignore_listed(p, id, x->cand.ptr)) {
				uint32_t t = impact_project_find(p, x->cand.ptr);
				if (t != IMPACT_STRPOOL_NONE && t < x->nreal &&
				    !(p->files[t].flags & (IMPACT_PF_TEST | IMPACT_PF_CONFTEST)))
					impact_graph_add(p->graph, id, t, IMPACT_EDGE_STRING_PATH, sr->line);
				else if (impact_resolver_is_dir(r, x->cand.ptr) &&
				         !package_name(p, x, id, facts, sr->text, sr->line))
					edges_to_folder(p, x->nreal, id, x->cand.ptr, IMPACT_EDGE_STRING_PATH, sr->line);
			}
			if (!x->dir.size)
				break;
			{
				char *up = strrchr(x->dir.ptr, '/');
				impact_buf_truncate(&x->dir, up ? (size_t)(up - x->dir.ptr) : 0);
			}
		}
	}
}

void project_file_edges(impact_project *p, edge_ctx *x, uint32_t id)
{
	impact_pyfile *f = &p->files[id];
	const impact_pyfacts *facts = f->facts;
	impact_buf *path = &x->path;
	const char *s = f->path, *end = strrchr(s, '/');

	while (end) {
		impact_buf_clear(path);
		impact_buf_put(path, s, (size_t)(end - s));
		impact_buf_puts(path, "/__init__.py");
		uint32_t init = impact_project_find(p, path->ptr);
		if (init == IMPACT_STRPOOL_NONE)
			break;
		impact_graph_add(p->graph, id, init, IMPACT_EDGE_PACKAGE, 0);
		end = memrchr(s, '/', (size_t)(end - s));
	}

	if (f->flags & IMPACT_PF_UNKNOWN) {
		impact_graph_add(p->graph, id, p->nfiles, IMPACT_EDGE_UNKNOWN, 0);
	} else if (f->flags & IMPACT_PF_SYMLINK) {
		impact_buf target = IMPACT_BUF_INIT;
		if (impact_snapshot_read(&target, p->snap, f->entry) == 0 &&
		    normalise_link(path, f->path, target.ptr)) {
			uint32_t to = impact_project_find(p, path->ptr);
			if (to != IMPACT_STRPOOL_NONE)
				impact_graph_add(p->graph, id, to, IMPACT_EDGE_SYMLINK, 0);
		}
		impact_buf_release(&target);
	} else if (facts) {
		for (size_t i = 0; i < facts->nimports; i++) {
			const impact_import *imp = &facts->imports[i];
			unsigned how = 0;
			impact_edge_kind kind = edge_kind_of(imp);
			x->targets.n = 0;
			impact_resolver_resolve(impact_project_resolver(p), id, imp, &x->targets, &how);
			if ((how & IMPACT_RESOLVED_FALLBACK) && kind != IMPACT_EDGE_TYPE_CHECKING)
				kind = IMPACT_EDGE_FALLBACK;
			for (size_t k = 0; k < x->targets.n; k++)
				impact_graph_add(p->graph, id, x->targets.v[k], kind, imp->line);
		}
	}

	/* pytest runs every conftest.py from the rootdir down to a test's directory. */
	if (f->flags & IMPACT_PF_TEST) {
		const char *slash;
		for (size_t k = 0; k < x->plugins.n; k++)
			impact_graph_add(p->graph, id, x->plugins.v[k], IMPACT_EDGE_ADDOPTS_PLUGIN, 0);
		impact_buf_sets(path, f->path);
		while ((slash = strrchr(path->ptr, '/')) != NULL) {
			impact_buf_truncate(path, (size_t)(slash - path->ptr));
			size_t keep = path->size;
			impact_buf_puts(path, "/conftest.py");
			uint32_t c = impact_project_find(p, path->ptr);
			if (c != IMPACT_STRPOOL_NONE)
				impact_graph_add(p->graph, id, c, IMPACT_EDGE_CONFTEST, 0);
			impact_buf_truncate(path, keep);
		}
		{
			uint32_t c = impact_project_find(p, "conftest.py");
			if (c != IMPACT_STRPOOL_NONE)
				impact_graph_add(p->graph, id, c, IMPACT_EDGE_CONFTEST, 0);
		}
	}

	if (id < x->nreal)
		string_edges(p, x, id, facts);
}

/*
 * A module that imports by a non-literal name depends on every module
 * some string of the repository names, or, if none, on every module of
 * its own package.
 */
void project_dynamic_edges(impact_project *p, edge_ctx *x, uint32_t id)
{
	if (p->named.n) {
		for (size_t k = 0; k < p->named.n; k++)
			impact_graph_add(p->graph, id, p->named.v[k], IMPACT_EDGE_DYNAMIC_ANY, 0);
	} else {
		impact_path_dir(&x->dir, p->files[id].path);
		edges_to_folder(p, x->nreal, id, x->dir.ptr, IMPACT_EDGE_DYNAMIC_ANY, 0);
	}
}

static void add_dynamic(impact_project *p, edge_ctx *x)
{
	/* Kept with the graph (projcache.c): a patch adds a changed importer's edges alone. */
	impact_u32vec_release(&p->named);
	p->named = x->named;
	memset(&x->named, 0, sizeof(x->named));
	impact_u32vec_sort_unique(&p->named);
	for (uint32_t id = 0; id < x->nreal; id++) {
		const impact_pyfacts *facts = p->files[id].facts;
		if (facts && (facts->flags & IMPACT_PYFACTS_DYNAMIC_IMPORT))
			project_dynamic_edges(p, x, id);
	}
}

/*
 * What a change to a file's facts can do beyond that file's own edges:
 * the modules its strings name (every non-literal dynamic import depends
 * on them), its flags (dynamic import, collect hook, doctests, parse
 * trouble with its warning). Equal signatures mean the file's new facts
 * only change its own out-edges.
 */
uint32_t project_global_signature(const impact_pyfacts *facts)
{
	uint32_t h = 2166136261u;
	const uint32_t keep = IMPACT_PYFACTS_DYNAMIC_IMPORT | IMPACT_PYFACTS_COLLECT_HOOK |
	                      IMPACT_PYFACTS_DOCTEST | IMPACT_PYFACTS_SYNTAX_ERROR |
	                      IMPACT_PYFACTS_TOO_LARGE;
	if (!facts)
		return 0;
	h = (h ^ (facts->flags & keep)) * 16777619u;
	for (size_t i = 0; i < facts->nstrings; i++) {
		if (facts->strings[i].kind != IMPACT_STRREF_MODULE)
			continue;
		for (const char *c = facts->strings[i].text; *c; c++)
			h = (h ^ (unsigned char)*c) * 16777619u;
		h = (h ^ 0xffu) * 16777619u;
	}
	return h ? h : 1;
}

void project_add_edges(impact_project *p)
{
	edge_ctx x;
	project_edge_ctx_init(&x, p, true);
	for (uint32_t id = 0; id < p->nfiles; id++) {
		project_file_edges(p, &x, id);
		p->files[id].sig = project_global_signature(p->files[id].facts);
	}
	add_dynamic(p, &x);
	project_edge_ctx_release(&x);
}
