/*
 * precise.c - call-time and import-time changes, and the walks that
 * follow them (see precise.h).
 *
 * Nodes are the symbols of every module (functions, classes, methods,
 * assignments) plus one "module-level code" node per module. A target is
 * a (module, name) pair that some code may use: a changed function, a
 * symbol that calls it, or a name another module binds to it (`from m
 * import f as g` makes (importer, "g") a target too, which is how
 * re-export chains through __init__.py are followed). For each target,
 * the references that can mean it are found through an index by name
 * (last component), then checked against the referencing module's
 * bindings. The walk only grows sets, so it ends.
 *
 * This file is the entry (impact_precise_run): it sets the walker up,
 * classifies the changes, alternates the walks until nothing new is
 * reached, and writes the answers with the reference chains --explain
 * shows. The parts live in precise_*.c; precise_private.h lists them.
 */
#include "precise_private.h"

#include "path.h"

/* Changed Python modules past which the walk is not tried (see impact_precise_run). */
#define MAX_CHANGES 1000

/* "tests/test_a.py:test_x -> pkg/api.py:run -> pkg/core.py:helper (body changed)" */
static char *chain_text(const walker *w, uint32_t node)
{
	impact_buf b = IMPACT_BUF_INIT;
	for (unsigned k = 0; node != NONE && k < 64; k++) {
		uint32_t file = file_of_node(w, node);
		const impact_pyfacts *f = facts_of(w, file);
		uint32_t s = node - w->base[file];
		if (k)
			impact_buf_puts(&b, " -> ");
		impact_buf_printf(&b, "%s:%s", w->p->files[file].path,
		                  s < nsyms(f) ? sym(f, s)->name : "<module>");
		if (w->how[node])
			impact_buf_printf(&b, " [%s]", w->how[node]);
		if (w->from[node] == NONE)
			impact_buf_printf(&b, " (%s)", w->label[node] ? w->label[node] : "changed");
		node = w->from[node];
	}
	return impact_buf_detach(&b);
}

/*
 * The walker for `p`: one node per symbol plus one per module (none when
 * there are too many changes to walk), nothing reached yet.
 */
static void walker_init(walker *w, impact_precise *pr, const impact_project *p,
                        const impact_changeset *changes, uint32_t skip_kinds,
                        const uint32_t *bound)
{
	uint32_t n = 0;

	w->p = p;
	w->bound = bound;
	w->skip_kinds = skip_kinds | (1u << IMPACT_EDGE_LAZY);
	/*
	 * A change to thousands of modules (a first commit, a mass reformat)
	 * reaches past MAX_TARGETS anyway: give up before loading every
	 * module's symbols to find that out.
	 */
	pr->too_many_changes = changes->n > MAX_CHANGES;
	w->gave_up = pr->too_many_changes;
	w->base = impact_xcalloc((size_t)p->nfiles + 1, sizeof(uint32_t));
	for (uint32_t id = 0; id < p->nfiles; id++) {
		w->base[id] = n;
		/* The cached graph's count when it has one: no facts loaded to number them. */
		if (!w->gave_up && in_bound(w, id))
			n += p->files[id].nsyms_known ? p->files[id].nsyms : (uint32_t)nsyms(facts_of(w, id));
		n++;
	}
	w->base[p->nfiles] = n;
	for (uint32_t id = 0; p->has_refnames && id < p->nfiles; id++)
		if (!p->files[id].names_known)
			impact_u32vec_push(&w->unknown, id);
	w->nnodes = n;
	w->from = impact_xmalloc(((size_t)n + 1) * sizeof(uint32_t));
	w->hop = impact_xcalloc((size_t)n + 1, sizeof(uint32_t));
	w->hit = impact_xcalloc((size_t)n + 1, 1);
	w->used = impact_xcalloc((size_t)n + 1, 1);
	w->unnamed_done = impact_xcalloc((size_t)n + 1, 1);
	w->label = impact_xcalloc((size_t)n + 1, sizeof(char *));
	w->how = impact_xcalloc((size_t)n + 1, sizeof(char *));
	w->seed = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool));
	w->hook_seed = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool));
	w->values_changed = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool));
	w->any_hit = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool));
	w->seed_via = impact_xmalloc(((size_t)p->nfiles + 1) * sizeof(uint32_t));
	memset(w->seed_via, 0xff, ((size_t)p->nfiles + 1) * sizeof(uint32_t));
	memset(w->from, 0xff, ((size_t)n + 1) * sizeof(uint32_t));
}

/*
 * Where the walks start: each changed module classified (import-time seed
 * or call-time targets), the gone side of a rename or deletion, and the
 * extra seeds. Fills pr->change_note.
 */
static void start_from_changes(walker *w, impact_precise *pr, const impact_changeset *changes,
                               git_repository *repo, impact_cache *cache,
                               const uint32_t *extra_seeds, size_t nextra)
{
	const impact_project *p = w->p;
	impact_pyparser *parser = NULL;

	pr->nchanges = changes->n;
	pr->change_note = impact_xcalloc(changes->n + 1, sizeof(char *));
	for (size_t i = 0; i < changes->n && !w->gave_up; i++) {
		const impact_change *c = &changes->changes[i];
		uint32_t old_id;
		if (c->new_path && impact_path_has_suffix(c->new_path, ".py") &&
		    c->new_mode != IMPACT_MODE_GITLINK)
			pr->change_note[i] = precise_classify_change(w, c, repo, cache, &parser);
		/* The gone side of a rename or deletion: its importers are seeds. */
		if (c->old_path && (!c->new_path || strcmp(c->old_path, c->new_path)) &&
		    (old_id = impact_project_find(p, c->old_path)) != IMPACT_STRPOOL_NONE)
			precise_make_seed(w, old_id, NONE);
	}
	impact_pyparser_free(parser);
	for (size_t i = 0; i < nextra; i++)
		precise_make_seed(w, extra_seeds[i], NONE);
}

/* Does a reached function of test module id select it (as explain_tests decides)? */
static bool test_hit(const walker *w, uint32_t id)
{
	const impact_pyfile *f = &w->p->files[id];
	if ((f->flags & IMPACT_PF_DOCTEST) && !(f->flags & IMPACT_PF_HAS_DOCTESTS))
		return false;
	for (uint32_t node = w->base[id]; node < w->base[id + 1]; node++)
		if (w->hit[node])
			return true;
	return false;
}

/*
 * Does what a walk has found, the import-time reach of its seeds (`reach`)
 * and the test modules it reached, select every test module and every
 * collect hook the whole-module bound holds? The precise answer lies
 * between the two, so it is then that set.
 */
static bool reach_covers_bound(const walker *w, const impact_reach *reach)
{
	const impact_project *p = w->p;
	if (w->want) { /* impact_precise_load_reach: the tests it asks about */
		for (uint32_t id = 0; id < p->nfiles; id++)
			if (w->want[id] && reach->dist[id] == UINT32_MAX && !test_hit(w, id))
				return false;
		return true;
	}
	for (uint32_t id = 0; id < p->nfiles; id++)
		if ((p->files[id].flags & IMPACT_PF_TEST) && !(p->files[id].flags & IMPACT_PF_GHOST) &&
		    w->bound[id] != UINT32_MAX && reach->dist[id] == UINT32_MAX && !test_hit(w, id))
			return false;
	for (size_t i = 0; i < p->collectors.n; i++) {
		const impact_collector *c = &p->collectors.v[i];
		if ((w->bound[c->module] != UINT32_MAX || w->bound[c->scope] != UINT32_MAX) &&
		    reach->dist[c->module] == UINT32_MAX && reach->dist[c->scope] == UINT32_MAX)
			return false;
	}
	return true;
}

/* The seeds' import-time reach into `out`, with `extra` seeds beside w's; how many seeds. */
static size_t seeds_reach(walker *w, impact_reach *out, const uint32_t *extra, size_t nextra)
{
	impact_u32vec seeds = { 0 };
	size_t n;
	for (uint32_t id = 0; id < w->p->nfiles; id++)
		if (w->seed[id])
			impact_u32vec_push(&seeds, id);
	for (size_t i = 0; i < nextra; i++)
		impact_u32vec_push(&seeds, extra[i]);
	impact_reach_release(out);
	impact_graph_dependents(out, w->p->graph, seeds.v, seeds.n, w->skip_kinds);
	n = seeds.n;
	impact_u32vec_release(&seeds);
	return n;
}

/*
 * Has the walk found all it can? What it has found only grows, and the
 * answer never leaves the bound: once it covers the bound
 * (reach_covers_bound), the rest of the walk cannot change the selection.
 * On dist-packages most one-function changes reach pytest's and django's
 * getattr by a computed name, then thousands of functions: the walk now
 * stops with the answer instead of giving up at MAX_TARGETS.
 */
bool precise_covers_bound(walker *w, impact_reach *out)
{
	seeds_reach(w, out, NULL, 0);
	return reach_covers_bound(w, out);
}

/*
 * The reference walk and the import-time walk, alternated until neither
 * adds anything, or until what they found covers the bound (then
 * pr->reach is the reach that did); into pr->reach.
 */
static void walk_to_fixpoint(walker *w, impact_precise *pr)
{
	while (!w->gave_up) {
		w->new_seed = false;
		precise_run_queue(w);
		if (w->covered)
			break;
		precise_dynamic_functions(w);
		precise_run_queue(w);
		if (w->covered)
			break;
		seeds_reach(w, &pr->reach, NULL, 0);
		precise_lazy_importers(w, &pr->reach);
		precise_run_queue(w);
		if (w->covered)
			break;
		precise_unnamed_functions(w);
		if (w->gave_up || (!w->new_seed && w->qhead == w->nqueue))
			break;
	}
}

/*
 * Does the import-time reach of the seeds the changes made (before any
 * reference walk) hold every test module the whole-module walk (bound)
 * reaches? The precise answer lies between the two, so it is that set:
 * a module everything imports whose module-level code runs the change
 * (dist-packages' six: a walk of 6,000 modules' references that gave up
 * at 2,000 functions to answer the same). The reach is kept in pr->reach.
 */
static bool seeds_cover_bound(walker *w, impact_precise *pr)
{
	impact_u32vec callers = { 0 }, mods = { 0 };
	bool cover;

	if (!w->bound)
		return false;
	/* The seeds so far, and the changed modules whose module-level code names a change. */
	precise_module_level_callers(w, &callers);
	for (size_t i = 0; i < callers.n; i += 2)
		impact_u32vec_push(&mods, callers.v[i]);
	/* No seed: nothing reached yet, and the walk decides. */
	cover = seeds_reach(w, &pr->reach, mods.v, mods.n) && reach_covers_bound(w, &pr->reach);
	if (!cover)
		impact_reach_release(&pr->reach);
	else /* those modules are seeds as the walk makes them: <module> -> the change */
		for (size_t i = 0; i < callers.n; i += 2)
			precise_reach(w, callers.v[i], NONE, callers.v[i + 1]);
	impact_u32vec_release(&mods);
	impact_u32vec_release(&callers);
	return cover;
}

/* The answers for module seeds: why each unchanged seed runs changed code. Takes w->seed. */
static void explain_seeds(walker *w, impact_precise *pr)
{
	const impact_project *p = w->p;

	/* A file that could not be read again has no symbols to answer with. */
	pr->facts_lost = p->facts_lost != 0;
	pr->gave_up = w->gave_up || pr->facts_lost;
	pr->seed = w->seed;
	pr->hook_seed = w->hook_seed;
	pr->values_changed = w->values_changed;
	pr->nfiles = p->nfiles + 1;
	pr->seed_why = impact_xcalloc((size_t)p->nfiles + 1, sizeof(char *));
	pr->seed_hops = impact_xcalloc((size_t)p->nfiles + 1, sizeof(uint32_t));
	pr->seed_origin = impact_xmalloc(((size_t)p->nfiles + 1) * sizeof(uint32_t));
	memset(pr->seed_origin, 0xff, ((size_t)p->nfiles + 1) * sizeof(uint32_t));
	for (uint32_t id = 0; id < p->nfiles; id++)
		if (w->seed[id] && w->seed_via[id] != NONE) {
			impact_buf b = IMPACT_BUF_INIT;
			char *chain = chain_text(w, w->seed_via[id]);
			uint32_t root = w->seed_via[id];
			impact_buf_printf(&b, "runs changed code: %s", chain);
			free(chain);
			pr->seed_why[id] = impact_buf_detach(&b);
			pr->seed_hops[id] = w->hop[w->seed_via[id]] + 1;
			while (w->from[root] != NONE)
				root = w->from[root];
			pr->seed_origin[id] = file_of_node(w, root);
		}
	w->seed = NULL;
	w->hook_seed = NULL;
	w->values_changed = NULL;
}

/* The answers for test modules: the shortest reference chain to each reached one. */
static void explain_tests(const walker *w, impact_precise *pr)
{
	const impact_project *p = w->p;

	pr->hops = impact_xmalloc(((size_t)p->nfiles + 1) * sizeof(uint32_t));
	pr->why = impact_xcalloc((size_t)p->nfiles + 1, sizeof(char *));
	pr->origin = impact_xmalloc(((size_t)p->nfiles + 1) * sizeof(uint32_t));
	memset(pr->origin, 0xff, ((size_t)p->nfiles + 1) * sizeof(uint32_t));
	for (uint32_t id = 0; id <= p->nfiles; id++) {
		uint32_t best = NONE, bestn = NONE;
		pr->hops[id] = UINT32_MAX;
		if (id == p->nfiles || !(p->files[id].flags & IMPACT_PF_TEST))
			continue;
		for (uint32_t node = w->base[id]; node < w->base[id + 1]; node++)
			if (w->hit[node] && (best == NONE || w->hop[node] < best)) {
				best = w->hop[node];
				bestn = node;
			}
		/*
		 * A --doctest-modules test without doctests runs only its import:
		 * a function of it reaching a change selects it for no doctest.
		 */
		if ((p->files[id].flags & IMPACT_PF_DOCTEST) && !(p->files[id].flags & IMPACT_PF_HAS_DOCTESTS))
			bestn = NONE;
		if (bestn != NONE) {
			uint32_t root = bestn;
			while (w->from[root] != NONE)
				root = w->from[root];
			pr->hops[id] = best + 1;
			pr->why[id] = chain_text(w, bestn);
			pr->origin[id] = file_of_node(w, root);
		}
	}
}

static void walker_release(walker *w)
{
	impact_strlist_release(&w->cached_keys);
	impact_u32vec_release(&w->cached_nodes);
	impact_strlist_release(&w->cache_readers);
	impact_u32vec_release(&w->cache_reader_of);
	impact_u32vec_release(&w->tmp);
	if (w->indexed) {
		precise_index_release(&w->refs);
		precise_index_release(&w->binds);
	}
	free(w->star_at);
	free(w->star_by);
	free(w->file_indexed);
	impact_u32vec_release(&w->unknown);
	impact_u32vec_release(&w->tmp_files);
	impact_u32vec_release(&w->named);
	impact_strlist_release(&w->owned);
	free(w->queue);
	free(w->seen);
	free(w->memo);
	impact_u32vec_release(&w->lazy);
	free(w->lazy_from);
	free(w->lazy_to);
	free(w->base);
	free(w->from);
	free(w->hop);
	free(w->hit);
	free(w->used);
	free(w->unnamed_done);
	free((void *)w->label);
	free((void *)w->how);
	precise_classes_free(w->classes);
	free(w->ga_kind);
	precise_ga_buckets_free(w->ga_buckets);
	free(w->bind_mod);
	free(w->ga_file);
	free(w->ga_sym);
	impact_u32vec_release(&w->getattrs);
	free(w->seed);
	free(w->hook_seed);
	free(w->values_changed);
	free(w->in_tests);
	free(w->any_hit);
	free(w->seed_via);
}

int impact_precise_run(impact_precise **out, const impact_project *p,
                       const impact_changeset *changes, git_repository *repo,
                       impact_cache *cache, uint32_t skip_kinds,
                       const uint32_t *extra_seeds, size_t nextra, const uint32_t *bound,
                       bool detail)
{
	impact_precise *pr = impact_xcalloc(1, sizeof(*pr));
	walker w = { 0 };

	/* One read transaction for every facts lookup of the walk (one lock, not one each). */
	impact_cache_read_begin(p->cache);
	walker_init(&w, pr, p, changes, skip_kinds, bound);
	start_from_changes(&w, pr, changes, repo, cache, extra_seeds, nextra);
	pr->seeds_cover = !detail && !w.gave_up && seeds_cover_bound(&w, pr);
	if (!detail && bound)
		w.cover_reach = &pr->reach;
	if (!pr->seeds_cover)
		walk_to_fixpoint(&w, pr);
	pr->walk_covered = w.covered;
	pr->targets = w.qhead;
	if (detail && w.gave_up && !pr->too_many_changes && !p->facts_lost) {
		precise_widen_for_records(&w);
		pr->wide_for_records = !p->facts_lost;
	}
	explain_seeds(&w, pr);
	explain_tests(&w, pr);
	pr->touched = w.any_hit; /* handed over */
	w.any_hit = NULL;
	pr->cached_keys = w.cached_keys; /* handed over */
	memset(&w.cached_keys, 0, sizeof(w.cached_keys));
	pr->cache_readers = w.cache_readers;
	memset(&w.cache_readers, 0, sizeof(w.cache_readers));
	pr->cache_reader_of = w.cache_reader_of;
	memset(&w.cache_reader_of, 0, sizeof(w.cache_reader_of));
	walker_release(&w);
	impact_cache_read_end(p->cache);
	precise_store_kept(&w, cache);
	*out = pr;
	return 0;
}

/*
 * The test modules that may load a changed module at all: the answer the
 * walk gives when every change is taken as import-time (each changed
 * module, the gone side of a rename, the extra seeds). A function of
 * module M runs only in a process that loaded M, so no call-time answer
 * needs a test outside this one; it differs from `bound` only where M is
 * imported lazily, inside functions a test may never call (cachetools'
 * `cachedmethod` importing `_cachedmethod`), and there a name-wide match
 * (a delegating `__getattr__`, a method name shared by many classes)
 * otherwise selects tests that never load M.
 */
int impact_precise_load_reach(bool **out, const impact_project *p,
                              const impact_changeset *changes, uint32_t skip_kinds,
                              const uint32_t *extra_seeds, size_t nextra, const uint32_t *bound,
                              const bool *want, size_t budget)
{
	impact_precise *pr = impact_xcalloc(1, sizeof(*pr));
	walker w = { 0 };
	bool *load = NULL, *ask, cover, any = false;

	*out = NULL;
	if (!bound) {
		free(pr);
		return 0;
	}
	impact_cache_read_begin(p->cache);
	walker_init(&w, pr, p, changes, skip_kinds, bound);
	w.max_targets = budget;
	for (size_t i = 0; i < changes->n && !w.gave_up; i++) {
		const impact_change *c = &changes->changes[i];
		uint32_t id;
		if (c->new_path && (id = impact_project_find(p, c->new_path)) != IMPACT_STRPOOL_NONE)
			precise_make_seed(&w, id, NONE);
		if (c->old_path && (id = impact_project_find(p, c->old_path)) != IMPACT_STRPOOL_NONE)
			precise_make_seed(&w, id, NONE);
	}
	for (size_t i = 0; i < nextra; i++)
		precise_make_seed(&w, extra_seeds[i], NONE);
	/*
	 * Asked only about those that import no changed module at the top
	 * (the seeds' reach through top-level imports): the others load one
	 * whatever they call. Usually there is none, and no walk is made.
	 */
	ask = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool));
	if (!w.gave_up) {
		seeds_reach(&w, &pr->reach, NULL, 0);
		for (uint32_t id = 0; id < p->nfiles; id++)
			any |= ask[id] = want[id] && pr->reach.dist[id] == UINT32_MAX;
	}
	w.want = ask;
	w.cover_reach = &pr->reach;
	cover = !any || seeds_cover_bound(&w, pr);
	if (!cover)
		walk_to_fixpoint(&w, pr);
	/* Reaching every test asked about, or giving up, narrows nothing. */
	if (!cover && !w.gave_up && !w.covered && !p->facts_lost && pr->reach.dist) {
		load = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool));
		for (uint32_t id = 0; id <= p->nfiles; id++)
			load[id] = id == p->nfiles || !ask[id] || pr->reach.dist[id] != UINT32_MAX ||
			           test_hit(&w, id);
	}
	free(ask);
	walker_release(&w);
	impact_cache_read_end(p->cache);
	precise_store_kept(&w, NULL); /* no old side was parsed: frees */
	impact_reach_release(&pr->reach);
	free(pr->change_note);
	free(pr);
	*out = load;
	return 0;
}

void impact_precise_free(impact_precise *pr)
{
	if (!pr)
		return;
	for (uint32_t i = 0; i < pr->nfiles; i++) {
		if (pr->why)
			free(pr->why[i]);
		if (pr->seed_why)
			free(pr->seed_why[i]);
	}
	free(pr->seed_why);
	free(pr->touched);
	impact_strlist_release(&pr->cached_keys);
	impact_strlist_release(&pr->cache_readers);
	impact_u32vec_release(&pr->cache_reader_of);
	free(pr->seed_origin);
	free(pr->seed_hops);
	impact_reach_release(&pr->reach);
	for (size_t i = 0; i < pr->nchanges; i++)
		free(pr->change_note[i]);
	free(pr->change_note);
	free(pr->why);
	free(pr->origin);
	free(pr->hops);
	free(pr->seed);
	free(pr->hook_seed);
	free(pr->values_changed);
	free(pr);
}
