/*
 * precise_walk.c - the walks of the precise mode: the queue of targets
 * (module, name) and the set of those seen, reaching a node (and making
 * its module an import-time seed when module-level code or a conftest is
 * reached), processing a target through the reference index, the names
 * other modules bind to it; and the fallbacks where Python is dynamic: a
 * reached function nobody names, functions using exec/eval near a change,
 * functions that lazily import an import-time changed module. The entry
 * that alternates these walks is precise.c.
 */
#include "precise_private.h"

#define MAX_TARGETS 2000
/* Targets between two checks that the walk has found all it can (precise_covers_bound). */
#define COVER_EVERY 250

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static bool seen_add(walker *w, uint32_t file, const char *name)
{
	uint64_t h;
	if (w->nseen * 2 >= w->nseen_buckets) {
		target *old = w->seen;
		size_t nold = w->nseen_buckets;
		w->nseen_buckets = nold ? nold * 2 : 1024;
		w->seen = impact_xcalloc(w->nseen_buckets, sizeof(*w->seen));
		w->nseen = 0;
		for (size_t i = 0; i < nold; i++)
			if (old[i].name)
				seen_add(w, old[i].file, old[i].name);
		free(old);
	}
	h = (hash_str(name) ^ (file * 0x9e3779b97f4a7c15ull)) & (w->nseen_buckets - 1);
	while (w->seen[h].name) {
		if (w->seen[h].file == file && !strcmp(w->seen[h].name, name))
			return false;
		h = (h + 1) & (w->nseen_buckets - 1);
	}
	w->seen[h].file = file;
	w->seen[h].name = name;
	w->nseen++;
	return true;
}

void precise_push_target(walker *w, uint32_t file, const char *name, uint32_t node)
{
	target t = { file, name, node };
	if (!seen_add(w, file, name))
		return;
	IMPACT_PUSH(w->queue, w->nqueue, w->aqueue, t);
}

void precise_make_seed(walker *w, uint32_t file, uint32_t via)
{
	if (!w->seed[file]) {
		w->seed[file] = true;
		w->seed_via[file] = via;
		w->new_seed = true;
	}
}

/* Function `s` of `file`, reached, caches its results (IMPACT_SYMBOL_CACHED). */
void precise_note_cached(walker *w, uint32_t file, uint32_t s)
{
	impact_buf k = IMPACT_BUF_INIT;
	impact_buf_printf(&k, "%s\n%s", w->p->files[file].path, sym(facts_of(w, file), s)->name);
	impact_strlist_push(&w->cached_keys, k.ptr);
	impact_u32vec_push(&w->cached_nodes, node_of(w, file, s));
	impact_buf_release(&k);
}

/*
 * Function `owner` of file y names target t. When t stands for a function
 * that caches its results, y's function may read a result computed in
 * another test without running it: noted (cache_readers). Module-level
 * code is no reader here: it runs at import, which the walk seeds.
 */
static void note_reader(walker *w, const target *t, uint32_t y, uint32_t owner)
{
	const impact_pyfacts *f;
	impact_buf k = IMPACT_BUF_INIT;
	uint32_t i = 0;
	if (owner == NONE || !w->cached_nodes.n)
		return;
	while (i < w->cached_nodes.n && w->cached_nodes.v[i] != t->node)
		i++;
	if (i == w->cached_nodes.n || !(f = facts_of(w, y)) || owner >= nsyms(f))
		return;
	impact_buf_printf(&k, "%s\n%s", w->p->files[y].path, sym(f, owner)->name);
	impact_strlist_push(&w->cache_readers, k.ptr);
	impact_u32vec_push(&w->cache_reader_of, i);
	impact_buf_release(&k);
}

/* Symbol s is a pytest hook, or a method of a plugin object named as one. */
static bool is_hook(const impact_pyfacts *ff, uint32_t s)
{
	return s < nsyms(ff) && !strncmp(last_part(sym(ff, s)->name), "pytest_", 7);
}

/*
 * A hook that runs in every session within what the recorder sees
 * (configuration, collection, each test's phases, the session's end
 * before the records are written): a record shows what it ran. Any other
 * (the report header, which impact's own runs turn off, the terminal
 * summary, unconfigure, assertrepr_compare on a failure, report_teststatus
 * and whatever else only an xdist controller runs) may run where no record
 * looks (impact_precise.hook_seed).
 */
static bool hook_recorded(const char *name)
{
	static const char *const seen[] = {
		"configure", "sessionstart", "sessionfinish", "plugin_registered", "collection",
		"collect_directory", "collect_file", "ignore_collect", "pycollect_makemodule",
		"pycollect_makeitem", "generate_tests", "make_parametrize_id",
		"collection_modifyitems", "collection_finish", "collectstart", "make_collect_report",
		"itemcollected", "collectreport", "deselected", "runtestloop", "runtest_protocol",
		"runtest_logstart", "runtest_setup", "runtest_call", "runtest_teardown",
		"runtest_makereport", "runtest_logreport", "runtest_logfinish", "pyfunc_call",
		"fixture_setup", "fixture_post_finalizer",
	};
	name = last_part(name) + 7;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(seen); i++)
		if (!strcmp(name, seen[i]))
			return true;
	return false;
}

/*
 * Whether what reaches symbol `s` of a conftest reaches only the tests
 * naming it, like any module's: a fixture requested by its name only (a
 * parameter, usefixtures("db"), getfixturevalue("db")), or an undecorated
 * function or class (a helper a fixture calls), not in a decorated class.
 * A pytest hook runs in every session; another decorator (autouse=True,
 * name=, a fixture under a wrapper's name, a registration) may make it
 * run for every test in scope: those keep the conftest import-time changed.
 */
static bool conftest_by_name(const impact_pyfacts *ff, uint32_t s)
{
	for (uint32_t k = s; k != IMPACT_SYMBOL_NONE && k < nsyms(ff); k = sym(ff, k)->parent) {
		const impact_symbol *sy = sym(ff, k);
		if (is_hook(ff, k))
			return false;
		if (sy->flags & IMPACT_SYMBOL_FIXTURE) {
			if (!(sy->flags & IMPACT_SYMBOL_FIXTURE_BYNAME))
				return false;
		} else if (sy->start_line < sy->def_line) {
			return false;
		}
	}
	return true;
}

/* Node `node` (of `file`, symbol `s`) is reached from `via`. */
static void reach(walker *w, uint32_t file, uint32_t s, uint32_t via)
{
	uint32_t node;
	const impact_pyfile *f = &w->p->files[file];
	const impact_pyfacts *ff;
	if (!in_bound(w, file))
		return;
	node = node_of(w, file, s);
	ff = facts_of(w, file);
	if (w->hit[node])
		return;
	w->hit[node] = 1;
	w->from[node] = via;
	w->hop[node] = via == NONE ? 0 : w->hop[via] + 1;
	w->any_hit[file] = true;
	if (s == NONE || !ff || ((f->flags & IMPACT_PF_CONFTEST) && !conftest_by_name(ff, s))) {
		/* Module-level code runs it at import, or a conftest's fixture
		 * reaches every test in scope: the module is import-time changed. */
		precise_make_seed(w, file, node);
		if (s != NONE && ff && is_hook(ff, s) && !hook_recorded(sym(ff, s)->name))
			w->hook_seed[file] = true;
		return;
	}
	if (IMPACT_PF_ONLY_TEST(f->flags))
		return; /* the test module is selected; tests are not called */
	{
		const impact_symbol *sy = sym(ff, s);
		if (sy->flags & IMPACT_SYMBOL_CACHED)
			precise_note_cached(w, file, s);
		/*
		 * A pytest hook (pytest_configure, a plugin object's
		 * pytest_runtest_setup...) is called by name in every session that
		 * loads its module, whoever else names it: every test that loads
		 * the module (a conftest, -p, pytest_plugins, an entry point) reaches it.
		 */
		if (is_hook(ff, s)) {
			precise_make_seed(w, file, node);
			if (!hook_recorded(sy->name))
				w->hook_seed[file] = true;
		}
		precise_push_target(w, file, sy->name, node);
		/* A dunder runs without being named: whoever names the class. */
		if (((sy->flags & IMPACT_SYMBOL_DUNDER) || via_class(sy->name)) &&
		    sy->parent != IMPACT_SYMBOL_NONE)
			precise_push_target(w, file, sym(ff, sy->parent)->name, node);
	}
}

void precise_reach(walker *w, uint32_t file, uint32_t s, uint32_t via)
{
	reach(w, file, s, via);
}

/* Names another module binds to target t: (importer, alias) targets. */
static void follow_bindings(walker *w, const target *t)
{
	const impact_project *p = w->p;
	const char *tl = t->name;
	if (strchr(tl, '.'))
		return; /* a method: imported with its class */
	uint32_t first = precise_binds_first(w, tl);
	if (w->nbind_mod < w->binds.n) {
		/* Each binding's module, resolved on first use (UINT32_MAX - 1: not yet). */
		w->bind_mod = impact_xreallocarray(w->bind_mod, w->binds.n, sizeof(uint32_t));
		for (size_t i = w->nbind_mod; i < w->binds.n; i++)
			w->bind_mod[i] = NONE - 1;
		w->nbind_mod = w->binds.n;
	}
	for (uint32_t e = first; e != NONE; e = precise_index_next(&w->binds, e)) {
		uint32_t y = w->binds.v[e].file;
		const impact_import *imp = &facts_of(w, y)->imports[w->binds.v[e].index];
		if (w->bind_mod[e] == NONE - 1)
			w->bind_mod[e] = precise_module_file(w, y, imp->module, imp->level);
		if (w->bind_mod[e] != t->file)
			continue;
		precise_push_target(w, y, imp->asname ? imp->asname : imp->name, t->node);
	}
	/* Star imports re-export public names (a star import of t's module
	 * imports it: inside the reach). */
	if (tl[0] != '_' && t->file < p->nfiles)
		precise_need_stars(w);
	if (tl[0] != '_' && t->file < p->nfiles)
		for (uint32_t k = w->star_at[t->file]; k < w->star_at[t->file + 1]; k++)
			precise_push_target(w, w->star_by[k], tl, t->node);
}

/* Reach every symbol whose references indexed under `key` may mean target t. */
static size_t refs_meaning(walker *w, const target *t, const char *key)
{
	size_t matches = 0;
	for (uint32_t e = precise_refs_first(w, key); e != NONE; e = precise_index_next(&w->refs, e)) {
		uint32_t y = w->refs.v[e].file;
		const impact_symref *r;
		if (w->bound && w->bound[y] == UINT32_MAX)
			continue;
		const char *how = NULL;
		r = ref(facts_of(w, y), w->refs.v[e].index);
		if (!precise_ref_means(w, y, r, t, &how))
			continue;
		/* Its own name in its own body (recursion, super().m()) is no caller: not a use. */
		if (r->kind != IMPACT_SYMREF_BASE && node_of(w, y, ref_owner(r)) == t->node)
			continue;
		matches++;
		if (r->kind == IMPACT_SYMREF_BASE && r->symbol != IMPACT_SYMBOL_NONE) {
			/*
			 * A subclass inherits what t's class has: whoever reaches the
			 * subclass reaches it. A changed __init_subclass__ runs when
			 * the subclass is defined: at import.
			 */
			uint32_t tf = file_of_node(w, t->node), ts = t->node - w->base[tf];
			const impact_pyfacts *f = facts_of(w, tf);
			bool at_import = ts < nsyms(f) && !strcmp(last_part(sym(f, ts)->name), "__init_subclass__");
			uint32_t node = node_of(w, y, at_import ? NONE : r->symbol);
			if (!w->hit[node] && in_bound(w, y))
				w->how[node] = at_import ? "a subclass's definition runs __init_subclass__"
				                         : "a subclass inherits it";
			reach(w, y, at_import ? NONE : r->symbol, t->node);
			continue;
		}
		if (how && !w->hit[node_of(w, y, ref_owner(r))] && in_bound(w, y))
			w->how[node_of(w, y, ref_owner(r))] = how;
		note_reader(w, t, y, ref_owner(r));
		reach(w, y, ref_owner(r), t->node);
	}
	return matches;
}

/*
 * GETATTR references grouped by where their object lets them mean a
 * target (precise_getattr_scope), so a target looks at those that may
 * mean it, not at all of them: dist-packages' give-up walk made 2.4
 * million such checks (2,000 targets, 1,400 references), a third of it.
 * Lists hold reference numbers (gi), each list ascending.
 */
struct ga_buckets {
	uint32_t *own_at, *own; /* per file y (CSR): its own-file and import-scoped references */
	uint32_t *imp_at, *imp; /* per file y: its import-scoped references */
	uint32_t *mod_at, *mod; /* per module m: the references whose object is m */
	impact_u32vec any;      /* self, classes: any target may be meant */
	impact_u32vec dyn;      /* files importing anything (an edge to the graph's last node) */
	uint32_t *stamp;        /* per file: the last target (its number) that listed it */
	uint32_t now;
	impact_u32vec cand, from;
};

/* One CSR list per file from (file, gi) pairs, gi ascending within a file. */
static void csr(const impact_u32vec *pairs, uint32_t nfiles, uint32_t **at, uint32_t **v)
{
	uint32_t *fill;
	*at = impact_xcalloc((size_t)nfiles + 2, sizeof(uint32_t));
	*v = impact_xmalloc((pairs->n / 2 + 1) * sizeof(uint32_t));
	for (size_t k = 0; k + 1 < pairs->n; k += 2)
		(*at)[pairs->v[k] + 1]++;
	for (uint32_t f = 0; f <= nfiles; f++)
		(*at)[f + 1] += (*at)[f];
	fill = impact_xmalloc(((size_t)nfiles + 2) * sizeof(uint32_t));
	memcpy(fill, *at, ((size_t)nfiles + 2) * sizeof(uint32_t));
	for (size_t k = 0; k + 1 < pairs->n; k += 2)
		(*v)[fill[pairs->v[k]]++] = pairs->v[k + 1];
	free(fill);
}

static struct ga_buckets *ga_buckets_build(walker *w)
{
	struct ga_buckets *b = impact_xcalloc(1, sizeof(*b));
	impact_u32vec own = { 0 }, imp = { 0 }, mod = { 0 };
	uint32_t nf = w->p->nfiles;
	for (size_t i = 0; i + 1 < w->getattrs.n; i += 2) {
		uint32_t y = w->getattrs.v[i], gi = (uint32_t)(i / 2), ofile = NONE;
		const impact_symref *r = ref(facts_of(w, y), w->getattrs.v[i + 1]);
		switch (precise_getattr_scope(w, gi, y, r, &ofile)) {
		case GA_SCOPE_IMPORTS: /* and its own file's targets, as below */
			impact_u32vec_push(&imp, y), impact_u32vec_push(&imp, gi);
			/* fall through */
		case GA_SCOPE_OWN_FILE:
			impact_u32vec_push(&own, y), impact_u32vec_push(&own, gi);
			break;
		case GA_SCOPE_MODULE: /* a module impact cannot place: any, as below */
			if (ofile < nf) {
				impact_u32vec_push(&mod, ofile), impact_u32vec_push(&mod, gi);
				break;
			}
			/* fall through */
		default:
			impact_u32vec_push(&b->any, gi);
		}
	}
	csr(&own, nf, &b->own_at, &b->own);
	csr(&imp, nf, &b->imp_at, &b->imp);
	csr(&mod, nf, &b->mod_at, &b->mod);
	b->stamp = impact_xcalloc((size_t)nf + 2, sizeof(uint32_t));
	impact_graph_in_nodes(w->p->graph, nf, &b->dyn);
	impact_u32vec_release(&own);
	impact_u32vec_release(&imp);
	impact_u32vec_release(&mod);
	return b;
}

void precise_ga_buckets_free(struct ga_buckets *b)
{
	if (!b)
		return;
	free(b->own_at), free(b->own), free(b->imp_at), free(b->imp);
	free(b->mod_at), free(b->mod), free(b->stamp);
	impact_u32vec_release(&b->any);
	impact_u32vec_release(&b->dyn);
	impact_u32vec_release(&b->cand);
	impact_u32vec_release(&b->from);
	free(b);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * The GETATTR references that may mean t, ascending (the order a scan of
 * them all takes): the unplaced ones, those of t's own file, those naming
 * t's module, and the import-scoped ones of each file importing t's
 * module directly or importing anything (an edge to the graph's last node).
 */
static const impact_u32vec *ga_candidates(walker *w, const target *t)
{
	struct ga_buckets *b = w->ga_buckets ? w->ga_buckets : (w->ga_buckets = ga_buckets_build(w));
	uint32_t nf = w->p->nfiles, f = t->file;
	b->cand.n = b->from.n = 0;
	if (++b->now == 0) { /* wrapped: forget every stamp */
		memset(b->stamp, 0, ((size_t)nf + 2) * sizeof(uint32_t));
		b->now = 1;
	}
	for (size_t i = 0; i < b->any.n; i++)
		impact_u32vec_push(&b->cand, b->any.v[i]);
	if (f < nf) {
		b->stamp[f] = b->now;
		for (uint32_t k = b->own_at[f]; k < b->own_at[f + 1]; k++)
			impact_u32vec_push(&b->cand, b->own[k]);
		for (uint32_t k = b->mod_at[f]; k < b->mod_at[f + 1]; k++)
			impact_u32vec_push(&b->cand, b->mod[k]);
		impact_graph_in_nodes(w->p->graph, f, &b->from);
	}
	for (size_t i = 0; i < b->dyn.n; i++)
		impact_u32vec_push(&b->from, b->dyn.v[i]);
	for (size_t i = 0; i < b->from.n; i++) {
		uint32_t y = b->from.v[i];
		if (y >= nf || b->stamp[y] == b->now)
			continue;
		b->stamp[y] = b->now;
		for (uint32_t k = b->imp_at[y]; k < b->imp_at[y + 1]; k++)
			impact_u32vec_push(&b->cand, b->imp[k]);
	}
	if (b->cand.n > 1)
		qsort(b->cand.v, b->cand.n, sizeof(uint32_t), cmp_u32);
	return &b->cand;
}

/* Process one target: reach every symbol whose references may mean it. */
static size_t process(walker *w, const target *t)
{
	size_t matches;
	if (!w->indexed) { /* only a walk that has targets needs them */
		w->indexed = true;
		precise_build_indexes(w);
	}
	matches = refs_meaning(w, t, last_part(t->name));
	/* getfixturevalue(name) with a computed name: any fixture (a PARAM "*"). */
	matches += refs_meaning(w, t, "*");
	/* getattr(obj, name): attributes of obj only (dunders and dict/list names: through their class). */
	if (!via_class(t->name))
		precise_need_getattrs(w);
	const impact_u32vec *cand = via_class(t->name) || !w->getattrs.n ? NULL : ga_candidates(w, t);
	for (size_t c = 0; cand && c < cand->n; c++) {
		size_t i = (size_t)cand->v[c] * 2;
		uint32_t y = w->getattrs.v[i];
		const impact_symref *r = ref(facts_of(w, y), w->getattrs.v[i + 1]);
		const char *how = NULL;
		uint32_t node;
		if (!precise_getattr_means(w, y, r, t, strchr(t->name, '.') != NULL, &how, i / 2))
			continue;
		node = node_of(w, y, ref_owner(r));
		if (node == t->node)
			continue; /* its own globals(): not a use from outside */
		matches++;
		if (!w->hit[node] && in_bound(w, y))
			w->how[node] = precise_names_how(w, y, r, how);
		note_reader(w, t, y, ref_owner(r));
		reach(w, y, ref_owner(r), t->node);
	}
	/* A name written as a string may be called by it where no import shows. */
	if (!via_class(t->name))
		matches += precise_names_strings(w, t);
	/* A module's __getattr__ runs for whoever reads a name the module lacks (it is named so). */
	if (precise_module_getattr(t))
		matches += precise_module_getattr_readers(w, t) + 1;
	follow_bindings(w, t);
	return matches;
}

/*
 * The queued targets whose own module's module-level code names them
 * (a registry filled at import, six's `_add_doc(b, "...")`): what the
 * walk finds first of all, from that one module's facts, with no index.
 * Pushed to `out` as (file, target node) pairs; the walk is not changed.
 */
void precise_module_level_callers(walker *w, impact_u32vec *out)
{
	for (size_t i = 0; i < w->nqueue; i++) {
		const target *t = &w->queue[i];
		const impact_pyfacts *f = in_bound(w, t->file) ? facts_of(w, t->file) : NULL;
		for (size_t k = 0; k < nrefs(f); k++) {
			const impact_symref *r = ref(f, k);
			const char *how = NULL;
			/* A bare name is read in its own module: what the walk decides, no index needed. */
			if (r->kind == IMPACT_SYMREF_NAME && r->symbol == IMPACT_SYMBOL_NONE &&
			    precise_ref_means(w, t->file, r, t, &how)) {
				impact_u32vec_push(out, t->file);
				impact_u32vec_push(out, t->node);
				break;
			}
		}
	}
}

/*
 * A walk that gave up at MAX_TARGETS (its index built, every module's
 * facts in reach loaded) answers what records need as wide as it can:
 * every function of the reach that caches its results counts as reached,
 * every function whose references may mean one (as the walk reads them)
 * as its reader, and every module defining a pytest hook
 * that may run where no record looks as a hook seed. Records may then
 * still decide for the other tests (pyparsing: a walk that gives up on
 * every change of core.py left all of them static).
 */
void precise_widen_for_records(walker *w)
{
	const impact_project *p = w->p;
	if (!w->indexed)
		return;
	for (uint32_t y = 0; y < p->nfiles; y++) {
		const impact_pyfacts *f = in_bound(w, y) ? facts_of(w, y) : NULL;
		for (uint32_t s = 0; s < nsyms(f); s++) {
			const impact_symbol *sy = sym(f, s);
			if (is_hook(f, s) && !hook_recorded(sy->name))
				w->hook_seed[y] = true;
			if (!(sy->flags & IMPACT_SYMBOL_CACHED))
				continue;
			precise_note_cached(w, y, s);
			for (uint32_t e = precise_refs_first(w, last_part(sy->name)); e != NONE;
			     e = precise_index_next(&w->refs, e)) {
				uint32_t ry = w->refs.v[e].file;
				const impact_symref *r = ref(facts_of(w, ry), w->refs.v[e].index);
				target t = { y, sy->name, node_of(w, y, s) };
				const char *how = NULL;
				/* module-level code (no owner) runs at import: note_reader leaves it out */
				if (in_bound(w, ry) && precise_ref_means(w, ry, r, &t, &how))
					note_reader(w, &t, ry, ref_owner(r));
			}
		}
	}
}

void precise_run_queue(walker *w)
{
	size_t cap = w->max_targets ? w->max_targets : MAX_TARGETS;
	while (w->qhead < w->nqueue && !w->gave_up && !w->covered) {
		if (w->cover_reach && (w->qhead >= w->next_cover_check || w->qhead >= cap)) {
			w->next_cover_check = w->qhead + COVER_EVERY;
			if ((w->covered = precise_covers_bound(w, w->cover_reach)))
				return;
		}
		if (w->qhead >= cap) {
			/* Reaching this much is reaching nearly everything: stop, and let
			 * whole-module selection answer (it bounds this walk anyway). */
			w->gave_up = true;
			return;
		}
		target t = w->queue[w->qhead++];
		if (process(w, &t))
			w->used[t.node] = 1;
	}
}

/*
 * A reached function that nothing names, under any binding, is called
 * by name (a hook, a callback a decorator registers, an entry point) or
 * not at all: its module counts as changed at import time.
 */
void precise_unnamed_functions(walker *w)
{
	const impact_project *p = w->p;
	for (size_t i = 0; i < w->nqueue; i++) {
		uint32_t node = w->queue[i].node, file;
		if (w->used[node] || w->unnamed_done[node])
			continue;
		w->unnamed_done[node] = 1;
		file = file_of_node(w, node);
		if (IMPACT_PF_ONLY_TEST(p->files[file].flags))
			continue;
		{
			/* A method runs on an instance: whoever names its class (as for dunders). */
			const impact_pyfacts *f = facts_of(w, file);
			uint32_t s = node - w->base[file];
			/* A TypeVar or an Optional[C] nobody names is used by nobody: it calls nothing. */
			if (f && s < nsyms(f) && (sym(f, s)->flags & IMPACT_SYMBOL_TYPING))
				continue;
			/*
			 * A new value nobody names is read by nobody: a value change
			 * is made only where no module holding it lets its object
			 * go where a reader by name could hide (precise_values.c).
			 */
			if (w->label[node] && !strcmp(w->label[node], PRECISE_VALUE_CHANGED))
				continue;
			if (f && s < nsyms(f) && sym(f, s)->kind == IMPACT_SYMBOL_METHOD &&
			    sym(f, s)->parent != IMPACT_SYMBOL_NONE &&
			    !(sym(f, s)->flags & IMPACT_SYMBOL_DYNAMIC)) {
				precise_push_target(w, file, sym(f, sym(f, s)->parent)->name, node);
				continue;
			}
		}
		precise_make_seed(w, file, w->hit[node] ? node : NONE);
	}
}

/* Functions that use exec/eval: reached when their module or one it imports was. */
void precise_dynamic_functions(walker *w)
{
	const impact_project *p = w->p;
	for (uint32_t y = 0; y < p->nfiles; y++) {
		const impact_pyfacts *f;
		bool near = w->any_hit[y];
		size_t n;
		const impact_edge *e;
		if (!in_bound(w, y) || (w->p->files[y].nsyms_known && !(w->p->files[y].symflags & IMPACT_SYMS_DYNAMIC)))
			continue; /* none of its functions uses exec/eval: nothing to load */
		if (!near) {
			e = impact_graph_out(p->graph, y, &n);
			for (size_t k = 0; k < n && !near; k++)
				near = e[k].to < p->nfiles && w->any_hit[e[k].to];
		}
		/* Near first: the facts of a module far from every change are never loaded. */
		if (!near || !(f = facts_of(w, y)))
			continue;
		for (size_t i = 0; i < nsyms(f); i++)
			if ((sym(f, (uint32_t)i)->flags & IMPACT_SYMBOL_DYNAMIC) &&
			    !w->hit[node_of(w, y, (uint32_t)i)]) {
				reach(w, y, (uint32_t)i, NONE);
				w->label[node_of(w, y, (uint32_t)i)] =
					"calls by a computed name (exec, eval) near a change";
			}
	}
}

/*
 * The function-level imports of file y, resolved once: (function node,
 * module file, import index) triples appended to w->lazy, its range in
 * lazy_from/lazy_to. (The whole facts: slim ones do not say which
 * function an import is in.)
 */
static void lazy_of_file(walker *w, uint32_t y)
{
	const impact_pyfacts *f = facts_of(w, y);
	w->lazy_from[y] = (uint32_t)w->lazy.n;
	for (size_t i = 0; f && i < f->nimports; i++) {
		const impact_import *imp = &f->imports[i];
		uint32_t owner = import_owner(imp);
		unsigned how = 0;
		if (owner == NONE || (imp->flags & IMPACT_IMPORT_TYPE_CHECKING))
			continue;
		w->tmp.n = 0;
		impact_resolver_resolve(impact_project_resolver(w->p), y, imp, &w->tmp, &how);
		for (size_t k = 0; k < w->tmp.n; k++) {
			impact_u32vec_push(&w->lazy, node_of(w, y, owner));
			impact_u32vec_push(&w->lazy, w->tmp.v[k]);
			impact_u32vec_push(&w->lazy, (uint32_t)i);
		}
	}
	w->lazy_to[y] = (uint32_t)w->lazy.n;
}

/*
 * Can file y import a module of `mods` at all: is it one, or does one of
 * its edges lead there? Every module an import of y resolves to is an
 * edge of y, so a file this says no to has no lazy import of them.
 */
static bool may_import_any(const walker *w, uint32_t y, const impact_reach *mods)
{
	size_t n;
	const impact_edge *e = impact_graph_out(w->p->graph, y, &n);
	if (mods->dist[y] != UINT32_MAX)
		return true;
	for (size_t k = 0; k < n; k++)
		if (e[k].to < w->p->nfiles && mods->dist[e[k].to] != UINT32_MAX)
			return true;
	return false;
}

/* The lazy imports of file y (lazy_of_file) of a module in `mods`: their functions are reached. */
static void lazy_in_file(walker *w, uint32_t y, const impact_reach *mods)
{
	for (size_t i = w->lazy_from[y]; i + 2 < w->lazy_to[y]; i += 3) {
		uint32_t node = w->lazy.v[i], mod = w->lazy.v[i + 1];
		const impact_pyfacts *f;
		const impact_import *imp;
		uint32_t s;
		if (w->hit[node] || mods->dist[mod] == UINT32_MAX)
			continue;
		s = node - w->base[y];
		f = facts_of(w, y);
		imp = &f->imports[w->lazy.v[i + 2]];
		if (s < nsyms(f) && sym(f, s)->parent == IMPACT_SYMBOL_NONE &&
		    !strcmp(sym(f, s)->name, "__getattr__") && imp->kind == IMPACT_IMPORT_FROM &&
		    imp->name && strcmp(imp->name, "*")) {
			/*
			 * A PEP 562 __getattr__ runs when a name the module lacks is
			 * read: `pkg.Heavy`, `from pkg import Heavy`. The module's import
			 * does not run it: whoever reads the names it imports does.
			 */
			for (size_t j = i; j + 2 < w->lazy_to[y] && w->lazy.v[j] == node; j += 3) {
				const impact_import *o = &f->imports[w->lazy.v[j + 2]];
				if (mods->dist[w->lazy.v[j + 1]] == UINT32_MAX || o->kind != IMPACT_IMPORT_FROM ||
				    !o->name || !strcmp(o->name, "*"))
					continue;
				precise_push_target(w, y, o->asname ? o->asname : o->name, node);
			}
			w->hit[node] = 1;
			w->from[node] = NONE;
			w->hop[node] = 0;
			w->any_hit[y] = true;
			w->label[node] = "a PEP 562 __getattr__ lazily imports an import-time changed module";
			continue;
		}
		reach(w, y, s, NONE);
		w->label[node] = "imports an import-time changed module";
	}
}

/* Functions that import an import-time changed module in their body. */
void precise_lazy_importers(walker *w, const impact_reach *mods)
{
	const impact_project *p = w->p;
	/*
	 * Resolved per file on first need, in file order: a file with no
	 * import in a function (as the cached graph says), or none of whose
	 * edges leads to an import-time changed module, is not loaded.
	 */
	if (!w->lazy_from) {
		w->lazy_from = impact_xmalloc(((size_t)p->nfiles + 1) * sizeof(uint32_t));
		w->lazy_to = impact_xmalloc(((size_t)p->nfiles + 1) * sizeof(uint32_t));
		memset(w->lazy_from, 0xff, ((size_t)p->nfiles + 1) * sizeof(uint32_t));
	}
	for (uint32_t y = 0; y < p->nfiles; y++) {
		if (!in_bound(w, y) ||
		    (p->files[y].nsyms_known && !(p->files[y].symflags & IMPACT_SYMS_LAZY_IMPORT)) ||
		    !may_import_any(w, y, mods))
			continue;
		if (w->lazy_from[y] == NONE)
			lazy_of_file(w, y);
		lazy_in_file(w, y, mods);
	}
}
