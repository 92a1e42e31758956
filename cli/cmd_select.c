/*
 * cmd_select.c - the default command: `impact [options] [<revspec>] [-- <pytest args>]`.
 *
 * Reads the change (diff.c), builds the module graph of the new side
 * (project.c), selects the tests (select.c), then lists, explains, prints
 * JSON, or runs them (run.c). Diagnostics go to stderr; stdout carries
 * only what was asked for, so `pytest $(impact --list HEAD~1..)` works.
 */
#include "cli.h"

#include <jansson.h>

#include "cache.h"
#include "diff.h"
#include "gate.h"
#include "history.h"
#include "opts.h"
#include "path.h"
#include "project.h"
#include "report.h"
#include "runner.h"
#include "select.h"
#include "shard.h"

typedef struct select_opts {
	bool staged, list, nul, explain, json, run, no_smart, gate, no_cache, coarse;
	const char *shard, *order;
	unsigned threads;
	impact_runner_opts run_opts;
} select_opts;

static const char usage_line[] =
	"impact [-C <dir>] [options] [<revspec>] [-- <pytest args>]";

static int write_out(const impact_buf *b)
{
	if (b->size && fwrite(b->ptr, 1, b->size, stdout) != b->size)
		return -1;
	return 0;
}


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


static const char *rules_dir(void)
{
	const char *env = getenv("IMPACT_RULES_DIR");
	return env && *env ? env : NULL;
}

/*
 * The parse cache of this repository, or NULL (no cache is no error: the
 * run parses everything and says why once).
 */
static impact_cache *open_cache(git_repository *repo, bool quiet)
{
	impact_cache *cache = NULL;
	char *path = NULL;
	/* A warning from opening (damage) stays in the cache, printed once at the end. */
	if ((impact_cache_default_path(&path, repo) < 0 ||
	     impact_cache_open(&cache, path, IMPACT_PYFACTS_VERSION, NULL) < 0) && !quiet)
		fprintf(stderr, "impact: warning: running without the parse cache: %s\n",
		            impact_error_last());
	free(path);
	return cache;
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
	for (size_t i = 0; i < sel->ntests; i++) {
		impact_file_history fh;
		if (impact_history_file(h, impact_selected_path(p, &sel->tests[i]), &fh) == 0) {
			failed_last[i] = fh.failed_last;
			failures[i] = fh.failures;
		}
	}
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

/* --last-failed: no selection, the runner reruns what failed before. */
static int last_failed(select_opts *o, impact_cli *cli, char **rest, size_t nrest)
{
	impact_snapshot *snap = NULL;
	impact_config *config = NULL;
	int rc, exit_code;

	if ((rc = impact_cli_open_repo(cli)) < 0 ||
	    (rc = impact_snapshot_open(&snap, cli->repo, IMPACT_SNAPSHOT_WORKDIR, NULL)) < 0 ||
	    (rc = impact_config_load(&config, impact_snapshot_reader, snap, rules_dir())) < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	exit_code = impact_runner_run(cli, &o->run_opts, NULL, config, rest, nrest);
done:
	impact_config_free(config);
	impact_snapshot_free(snap);
	return exit_code;
}

int cmd_select(int argc, char **argv, impact_cli *cli)
{
	select_opts o = { 0 };
	const impact_opt opts[] = {
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "what to compare" },
		{ IMPACT_OPT_FLAG, 0, "staged", &o.staged, NULL, "the index against HEAD (what 'git commit' would record)" },
		{ IMPACT_OPT_FLAG, 0, "gate", &o.gate, NULL, "a CI or merge gate: the range given, else from the merge base with origin/HEAD, origin/main or main" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "what to print instead of running" },
		{ IMPACT_OPT_FLAG, 'l', "list", &o.list, NULL, "the selected test files, one per line, in run order" },
		{ IMPACT_OPT_FLAG, 'z', NULL, &o.nul, NULL, "with --list: end each path with NUL, not newline" },
		{ IMPACT_OPT_FLAG, 'e', "explain", &o.explain, NULL, "why each test was selected (shortest chain to a change)" },
		{ IMPACT_OPT_FLAG, 0, "json", &o.json, NULL, "one JSON object: changes, selection, chains, timings (with --run: and results)" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "selecting" },
		{ IMPACT_OPT_FLAG, 0, "no-smart", &o.no_smart, NULL, "rules alone: no import graph (changed tests still run)" },
		{ IMPACT_OPT_FLAG, 0, "coarse", &o.coarse, NULL, "whole modules: any change selects every test importing the module" },
		{ IMPACT_OPT_UINT, 0, "threads", &o.threads, "n", "parse with n threads (default: all CPUs)" },
		{ IMPACT_OPT_FLAG, 0, "no-cache", &o.no_cache, NULL, "parse every file, neither reading nor writing the parse cache" },
		{ IMPACT_OPT_STRING, 0, "shard", &o.shard, "K/N", "keep part K of N disjoint, balanced parts (a CI matrix)" },
		{ IMPACT_OPT_CHOICE, 0, "order", &o.order, "nearest|path", "run order: nearest to the change first (default), or by path" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "running" },
		{ IMPACT_OPT_FLAG, 0, "run", &o.run, NULL, "run even with --json" },
		{ IMPACT_OPT_FLAG, 0, "last-failed", &o.run_opts.last_failed, NULL, "rerun the previous run's failures" },
		{ IMPACT_OPT_FLAG, 0, "no-preflight", &o.run_opts.no_preflight, NULL, "skip the import and collection checks" },
		{ IMPACT_OPT_FLAG, 0, "retry-flaky", &o.run_opts.retry_flaky, NULL, "rerun a failing known-flaky test once" },
		{ IMPACT_OPT_FLAG, 0, "no-default-flags", &o.run_opts.no_default_flags, NULL, "do not add -x --tb=short --no-header" },
		{ IMPACT_OPT_UINT, 0, "timeout", &o.run_opts.timeout, "seconds", "stop the run after this long (default 120 for one file, 600 for more)" },
		{ IMPACT_OPT_UINT, 0, "grace", &o.run_opts.grace, "seconds", "teardown time between SIGINT and SIGKILL (default 5)" },
		{ IMPACT_OPT_STRING, 'n', "workers", &o.run_opts.workers, "n|auto", "run on n processes with pytest-xdist" },
		{ IMPACT_OPT_STRING, 0, "junitxml", &o.run_opts.junitxml, "path", "also write pytest's JUnit XML report there" },
		{ IMPACT_OPT_CHOICE, 0, "format", &o.run_opts.format, "text|github", "report format; github adds ::error annotations" },
		{ IMPACT_OPT_FLAG, 'q', "quiet", &o.run_opts.quiet, NULL, "fewer messages on stderr" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL,
		  "exit codes: 0 passed or nothing to run, 1 test failures, 2 usage or configuration\n"
		  "error, 3 collection/import error or interpreter problem, 4 timeout, 130 Ctrl-C.\n"
		  "Other commands: 'impact help'." },
		{ IMPACT_OPT_END, 0, NULL, NULL, NULL, NULL },
	};
	char **pos = NULL, **rest = NULL;
	size_t npos = 0, nrest = 0;
	impact_range range = { 0 };
	impact_changeset *changes = NULL;
	impact_snapshot *snap = NULL;
	impact_project *project = NULL;
	impact_selection *sel = NULL;
	impact_config *config = NULL;
	impact_cache *cache = NULL;
	impact_strlist ghosts = { 0 };
	impact_buf out = IMPACT_BUF_INIT;
	impact_report_ctx ctx = { 0 };
	impact_project_opts popts = { 0 };
	impact_select_opts sopts = { 0 };
	const char *spec;
	char *gate_spec = NULL, *gate_why = NULL;
	unsigned shard_k = 0, shard_n = 0;
	double t0 = impact_now_ms(), t1;
	int rc, exit_code = IMPACT_EXIT_OK;
	bool quiet;

	rc = impact_opts_parse(opts, usage_line, argc, argv, &pos, &npos, &rest, &nrest);
	if (rc > 0)
		return IMPACT_EXIT_OK;
	if (rc < 0)
		return IMPACT_EXIT_USAGE;
	quiet = o.run_opts.quiet;
	o.run_opts.json = o.json && o.run;
	if (npos > 1) {
		fprintf(stderr, "impact: error: one revision range at a time, got '%s' and '%s'\n"
		        "  (use A..B for a range; pytest's own arguments go after '--')\n",
		        pos[0], pos[1]);
		exit_code = IMPACT_EXIT_USAGE;
		goto done;
	}
	if (o.nul && !o.list) {
		fprintf(stderr, "impact: error: -z only goes with --list\n");
		exit_code = IMPACT_EXIT_USAGE;
		goto done;
	}
	if ((o.list + o.explain + o.json) > 1 || (o.run && (o.list || o.explain))) {
		fprintf(stderr, "impact: error: --list, --explain and --json are exclusive, and only --json goes with --run\n");
		exit_code = IMPACT_EXIT_USAGE;
		goto done;
	}
	if (o.run_opts.last_failed) {
		if (npos || o.staged || o.list || o.explain || (o.json && !o.run)) {
			fprintf(stderr, "impact: error: --last-failed reruns the previous failures and takes no revision or listing option\n");
			exit_code = IMPACT_EXIT_USAGE;
			goto done;
		}
		exit_code = last_failed(&o, cli, rest, nrest);
		goto done;
	}
	spec = npos ? pos[0] : NULL;
	if (o.run_opts.workers && strcmp(o.run_opts.workers, "auto") &&
	    strspn(o.run_opts.workers, "0123456789") != strlen(o.run_opts.workers)) {
		fprintf(stderr, "impact: error: -n takes a number of processes or 'auto', not '%s'\n",
		        o.run_opts.workers);
		exit_code = IMPACT_EXIT_USAGE;
		goto done;
	}
	if (o.shard && (rc = impact_shard_parse(&shard_k, &shard_n, o.shard)) < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	if (o.order && strcmp(o.order, "nearest") && strcmp(o.order, "path")) {
		fprintf(stderr, "impact: error: --order takes 'nearest' or 'path', not '%s'\n", o.order);
		exit_code = IMPACT_EXIT_USAGE;
		goto done;
	}

	if (o.gate) {
		if (o.staged) {
			fprintf(stderr, "impact: error: --gate compares commits and does not go with --staged\n");
			exit_code = IMPACT_EXIT_USAGE;
			goto done;
		}
		if ((rc = impact_cli_open_repo(cli)) < 0 ||
		    (rc = impact_gate_range(&gate_spec, &gate_why, cli->repo, spec)) < 0) {
			exit_code = impact_cli_fail(rc);
			goto done;
		}
		spec = gate_spec;
		if (!quiet)
			fprintf(stderr, "impact: gate: %s (%s)\n", spec, gate_why);
	}

	if ((rc = impact_cli_open_repo(cli)) < 0 ||
	    (rc = impact_range_parse(&range, cli->repo, spec, o.staged)) < 0 ||
	    (rc = impact_diff_compute(&changes, cli->repo, &range)) < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	t1 = impact_now_ms();
	ctx.ms_diff = t1 - t0;

	if ((rc = impact_snapshot_open(&snap, cli->repo, range.new_kind, range.new_tree)) < 0 ||
	    (rc = impact_config_load(&config, impact_snapshot_reader, snap, rules_dir())) < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	collect_ghosts(&ghosts, changes);
	popts.ghosts = (const char *const *)ghosts.items;
	popts.nghosts = ghosts.n;
	popts.nthreads = o.threads;
	popts.base_tree = range.old_tree;
	popts.changes = changes;
	if (!o.no_cache)
		popts.cache = cache = open_cache(cli->repo, quiet);
	sopts.no_smart = o.no_smart;
	sopts.precise = !o.coarse;
	sopts.repo = cli->repo;
	sopts.cache = cache;
	if ((rc = impact_project_build(&project, snap, &popts)) < 0 ||
	    (rc = impact_select(&sel, project, changes, config, &sopts)) < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}

	if (o.order && !strcmp(o.order, "path"))
		impact_order_by_path(sel, project);
	else
		order_by_history(sel, project, cli->repo);
	if (shard_n) {
		double *weights = history_weights(sel, project, cli->repo);
		impact_shard_apply(sel, project, shard_k, shard_n, weights);
		free(weights);
		/* A shard of the full suite still runs explicit files: its own part only. */
		o.run_opts.explicit_targets = true;
	}

	ctx.range = &range;
	ctx.changes = changes;
	ctx.project = project;
	ctx.selection = sel;
	ctx.config = config;
	ctx.ms_total = impact_now_ms() - t0;

	if (!quiet) {
		for (size_t i = 0; i < project->warnings.n; i++)
			fprintf(stderr, "impact: warning: %s\n", project->warnings.items[i]);
		for (size_t i = 0; i < sel->warnings.n; i++)
			fprintf(stderr, "impact: warning: %s\n", sel->warnings.items[i]);
	}

	if ((o.list || o.explain || o.json) && !o.run) {
		if (o.list)
			rc = impact_report_list(&out, &ctx, o.nul);
		else if (o.explain)
			rc = impact_report_explain(&out, &ctx);
		else
			rc = impact_report_json(&out, &ctx, true);
		if (rc < 0) {
			exit_code = impact_cli_fail(rc);
			goto done;
		}
		write_out(&out);
		goto done;
	}

	if (o.run_opts.json && (!changes->n || (!sel->ntests && (!sel->full_suite || shard_n)))) {
		/* --json --run with nothing to run: the selection, and "run": null. */
		json_t *doc;
		char *text;
		impact_buf_truncate(&out, 0);
		if ((rc = impact_report_json(&out, &ctx, false)) < 0) {
			exit_code = impact_cli_fail(rc);
			goto done;
		}
		doc = json_loads(out.ptr, 0, NULL);
		json_object_set_new(doc, "run", json_null());
		text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(doc);
	}
	if (!changes->n) {
		fprintf(stderr, "impact: no changes between %s and %s: nothing to run\n",
		        range.old_label, range.new_label);
		goto done;
	}
	if (!sel->ntests && (!sel->full_suite || shard_n)) {
		if (shard_n) {
			fprintf(stderr, "impact: shard %u/%u is empty: nothing to run\n", shard_k, shard_n);
			goto done;
		}
		fprintf(stderr, "impact: %zu changed file%s, no test reaches them: nothing to run "
		        "(see 'impact --explain')\n", changes->n, changes->n == 1 ? "" : "s");
		goto done;
	}
	if (!quiet) {
		if (sel->full_suite)
			fprintf(stderr, "impact: full suite: %s\n", sel->full_reason);
		else
			fprintf(stderr, "impact: %zu changed file%s (%s..%s), %zu test file%s selected\n",
			        changes->n, changes->n == 1 ? "" : "s", range.old_label,
			        range.new_label, sel->ntests, sel->ntests == 1 ? "" : "s");
	}
	exit_code = impact_runner_run(cli, &o.run_opts, &ctx, config, rest, nrest);
done:
	impact_buf_release(&out);
	impact_strlist_release(&ghosts);
	impact_selection_free(sel);
	impact_project_free(project);
	impact_config_free(config);
	if (cache && impact_cache_warning(cache) && !quiet)
		fprintf(stderr, "impact: warning: %s\n", impact_cache_warning(cache));
	impact_cache_close(cache);
	impact_snapshot_free(snap);
	impact_changeset_free(changes);
	impact_range_release(&range);
	free(gate_spec);
	free(gate_why);
	free(pos);
	return exit_code;
}
