/*
 * plan.c - the pipeline from a range to the tests to run (see plan.h).
 *
 * Each phase is its own function, in the order they run; the plan owns
 * what each produces, so a failure anywhere frees the same way. Ordering
 * and sharding read the run history (history.c) here because they are
 * part of what the plan says: `--list` prints the order the run uses.
 */
#include "plan.h"

#include "diff.h"
#include "gate.h"
#include "history.h"
#include "path.h"
#include "project.h"
#include "records.h"
#include "select.h"
#include "shard.h"

/* Old paths of Python files the change removed: the ghosts of the graph. */
static void collect_ghosts(impact_strlist *out, const impact_changeset *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		const impact_change *c = &cs->changes[i];
		if (!c->old_path || !impact_path_has_suffix(c->old_path, ".py"))
			continue;
		if (c->status == IMPACT_CHANGE_DELETED ||
		    (c->status == IMPACT_CHANGE_RENAMED && strcmp(c->old_path, c->new_path)))
			impact_strlist_push(out, c->old_path);
	}
}

/*
 * The parse cache of this repository, or NULL: no cache is no error (the
 * run parses everything), but it is said once, in the notes.
 */
static impact_cache *open_cache(impact_plan *plan, git_repository *repo)
{
	impact_cache *cache = NULL;
	char *path = NULL;
	impact_buf msg = IMPACT_BUF_INIT;
	if (impact_cache_default_path(&path, repo) < 0 ||
	    impact_cache_open(&cache, path, IMPACT_PYFACTS_VERSION, NULL) < 0) {
		impact_buf_printf(&msg, "running without the parse cache: %s", impact_error_last());
		impact_strlist_push(&plan->notes, msg.ptr);
		cache = NULL;
	}
	impact_buf_release(&msg);
	free(path);
	return cache;
}

/* Phase 1: which range (a gate chooses its own), and what changed in it. */
static int plan_range(impact_plan *plan, git_repository *repo, const impact_plan_opts *o)
{
	const char *spec = o->spec;
	int rc;
	if (o->gate) {
		if (o->staged)
			return impact_error_set(IMPACT_EINVALID,
			    "--gate compares commits and does not go with --staged");
		if ((rc = impact_gate_range(&plan->gate_spec, &plan->gate_why, repo, spec)) < 0)
			return rc;
		spec = plan->gate_spec;
	}
	if ((rc = impact_range_parse(&plan->range, repo, spec, o->staged)) < 0)
		return rc;
	return impact_diff_compute(&plan->changes, repo, &plan->range);
}

/* Phase 2: the new side, its configuration, and its module graph. */
static int plan_project(impact_plan *plan, git_repository *repo, const impact_plan_opts *o)
{
	impact_project_opts popts = { 0 };
	int rc;
	if ((rc = impact_snapshot_open(&plan->snapshot, repo, plan->range.new_kind,
	                               plan->range.new_tree)) < 0 ||
	    (rc = impact_config_load(&plan->config, impact_snapshot_reader, plan->snapshot,
	                             o->rules_dir)) < 0)
		return rc;
	collect_ghosts(&plan->ghosts, plan->changes);
	if (!o->no_cache)
		plan->cache = open_cache(plan, repo);
	popts.ghosts = (const char *const *)plan->ghosts.items;
	popts.nghosts = plan->ghosts.n;
	popts.nthreads = o->threads;
	popts.base_tree = plan->range.old_tree;
	popts.changes = plan->changes;
	popts.cache = plan->cache;
	return impact_project_build(&plan->project, plan->snapshot, &popts);
}

/* Phase 3: the tests the changes reach. */
static int plan_select(impact_plan *plan, git_repository *repo, const impact_plan_opts *o)
{
	impact_select_opts sopts = { 0 };
	sopts.no_smart = o->no_smart;
	sopts.precise = !o->coarse;
	sopts.repo = repo;
	sopts.cache = plan->cache;
	sopts.all = o->all;
	sopts.run_args = o->run_args;
	sopts.nrun_args = o->nrun_args;
	/* What plan_records will use: the walk's detail only for a store to read. */
	sopts.records = !(o->no_records || o->coarse || o->no_smart || o->all) &&
	                impact_records_exist(repo);
	return impact_select(&plan->selection, plan->project, plan->changes, plan->config, &sopts);
}

/*
 * Phase 3b: recorded dependencies narrow (or widen) the selection. Only
 * in the default mode: --coarse and --no-smart are static by definition.
 * A store that cannot be read is said, and selection stays static.
 */
static void plan_records(impact_plan *plan, git_repository *repo, const impact_plan_opts *o)
{
	impact_records *rec = NULL;
	impact_buf w = IMPACT_BUF_INIT;
	int rc;
	if (o->no_records || o->coarse || o->no_smart || o->all || plan->selection->full_suite)
		return;
	rc = impact_records_open(&rec, repo, false);
	if (rc == IMPACT_ENOTFOUND)
		return;
	if (rc < 0 || impact_records_apply(rec, plan->selection, plan->project, plan->changes, repo,
	                                   plan->range.old_tree, plan->snapshot, plan->cache,
	                                   o->record_filter, &plan->notes) < 0) {
		impact_buf_printf(&w, "recorded dependencies not used: %s", impact_error_last());
		impact_strlist_push(&plan->notes, w.ptr);
	}
	impact_buf_release(&w);
	impact_records_close(rec);
}

/* Failures first, from the run history (cctrial's rule); no history, no change. */
static void order_by_history(impact_selection *sel, const impact_project *p, git_repository *repo)
{
	impact_history *h = NULL;
	bool *failed_last;
	uint32_t *failures;
	if (!sel->ntests || impact_history_open(&h, repo) < 0)
		return;
	failed_last = impact_xcalloc(sel->ntests, sizeof(bool));
	failures = impact_xcalloc(sel->ntests, sizeof(uint32_t));
	impact_history_read_begin(h);
	for (size_t i = 0; i < sel->ntests; i++) {
		impact_file_history fh;
		if (impact_history_file(h, impact_selected_path(p, &sel->tests[i]), &fh) == 0) {
			failed_last[i] = fh.failed_last;
			failures[i] = fh.failures;
		}
	}
	impact_history_read_end(h);
	impact_order_failures_first(sel, failed_last, failures);
	free(failed_last);
	free(failures);
	impact_history_close(h);
}

/*
 * Per selected test, its file's recorded duration for balancing shards:
 * unknown files weigh the mean of the known ones; NULL (equal weights)
 * without history.
 */
static double *history_weights(const impact_selection *sel, const impact_project *p,
                               git_repository *repo)
{
	impact_history *h = NULL;
	double *w, sum = 0;
	size_t known = 0;
	bool *have;
	if (impact_history_open(&h, repo) < 0)
		return NULL;
	w = impact_xcalloc(sel->ntests + 1, sizeof(double));
	have = impact_xcalloc(sel->ntests + 1, sizeof(bool));
	impact_history_read_begin(h);
	for (size_t i = 0; i < sel->ntests; i++) {
		impact_file_history fh;
		if (impact_history_file(h, impact_selected_path(p, &sel->tests[i]), &fh) == 0 && fh.known) {
			w[i] = fh.seconds > 0.001 ? fh.seconds : 0.001;
			have[i] = true;
			sum += w[i];
			known++;
		}
	}
	for (size_t i = 0; i < sel->ntests; i++)
		if (!have[i])
			w[i] = known ? sum / (double)known : 1.0;
	free(have);
	impact_history_close(h);
	return w;
}

/* Phase 4: the run order, then this shard's part of it. */
static void plan_order(impact_plan *plan, git_repository *repo, const impact_plan_opts *o)
{
	if (o->order_by_path)
		impact_order_by_path(plan->selection, plan->project);
	else
		order_by_history(plan->selection, plan->project, repo);
	if (o->shard_n) {
		double *weights = history_weights(plan->selection, plan->project, repo);
		impact_shard_apply(plan->selection, plan->project, o->shard_k, o->shard_n, weights);
		free(weights);
	}
}

int impact_plan_build(impact_plan **out, git_repository *repo, const impact_plan_opts *opts)
{
	static const impact_plan_opts defaults = { 0 };
	impact_plan *plan = impact_xcalloc(1, sizeof(*plan));
	double t0 = impact_now_ms();
	int rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (opts->shard_n && (opts->shard_k < 1 || opts->shard_k > opts->shard_n)) {
		rc = impact_error_set(IMPACT_EINVALID, "shard %u/%u does not exist: K goes from 1 to N",
		                      opts->shard_k, opts->shard_n);
		goto done;
	}
	if ((rc = plan_range(plan, repo, opts)) < 0)
		goto done;
	plan->ctx.ms_diff = impact_now_ms() - t0;
	if ((rc = plan_project(plan, repo, opts)) < 0 ||
	    (rc = plan_select(plan, repo, opts)) < 0)
		goto done;
	plan_records(plan, repo, opts);
	plan_order(plan, repo, opts);
	impact_project_store_reparsed(plan->project);

	for (size_t i = 0; i < plan->project->warnings.n; i++)
		impact_strlist_push(&plan->notes, plan->project->warnings.items[i]);
	for (size_t i = 0; i < plan->selection->warnings.n; i++)
		impact_strlist_push(&plan->notes, plan->selection->warnings.items[i]);
	plan->ctx.range = &plan->range;
	plan->ctx.changes = plan->changes;
	plan->ctx.project = plan->project;
	plan->ctx.selection = plan->selection;
	plan->ctx.config = plan->config;
	plan->ctx.ms_total = impact_now_ms() - t0;
done:
	if (rc < 0) {
		impact_plan_free(plan);
		return rc;
	}
	*out = plan;
	return 0;
}

const char *impact_plan_cache_warning(const impact_plan *plan)
{
	return plan && plan->cache ? impact_cache_warning(plan->cache) : NULL;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void impact_plan_reaching(impact_strlist *out, const impact_plan *plan,
                          const char *const *paths, size_t npaths)
{
	const impact_project *p = plan->project;
	impact_u32vec seeds = { 0 };
	impact_reach reach = { 0 };
	const char **found = NULL;
	size_t nfound = 0, alloc = 0;
	if (!p || !p->graph)
		return;
	for (size_t i = 0; i < npaths; i++) {
		uint32_t id = impact_project_find(p, paths[i]);
		if (id != IMPACT_STRPOOL_NONE && id < p->nfiles)
			impact_u32vec_push(&seeds, id);
	}
	if (!seeds.n)
		goto done;
	impact_graph_dependents(&reach, p->graph, seeds.v, seeds.n, 0);
	for (uint32_t id = 0; id < p->nfiles && id < reach.n; id++)
		if (reach.dist[id] != UINT32_MAX && (p->files[id].flags & IMPACT_PF_TEST) &&
		    !(p->files[id].flags & IMPACT_PF_GHOST))
			IMPACT_PUSH(found, nfound, alloc, p->files[id].path);
	if (nfound)
		qsort(found, nfound, sizeof(*found), cmp_path);
	for (size_t i = 0; i < nfound; i++)
		impact_strlist_push(out, found[i]);
done:
	free(found);
	impact_reach_release(&reach);
	impact_u32vec_release(&seeds);
}

bool impact_plan_is_empty(const impact_plan *plan)
{
	const impact_selection *sel = plan->selection;
	return (!plan->changes->n && !sel->full_suite) || (!sel->ntests && !sel->full_suite);
}

void impact_plan_free(impact_plan *plan)
{
	if (!plan)
		return;
	impact_selection_free(plan->selection);
	impact_project_free(plan->project);
	impact_config_free(plan->config);
	impact_cache_close(plan->cache);
	impact_snapshot_free(plan->snapshot);
	impact_changeset_free(plan->changes);
	impact_range_release(&plan->range);
	impact_strlist_release(&plan->notes);
	impact_strlist_release(&plan->ghosts);
	free(plan->gate_spec);
	free(plan->gate_why);
	free(plan);
}
