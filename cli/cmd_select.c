/*
 * cmd_select.c - the default command: `impact [options] [<revspec>] [-- <pytest args>]`.
 *
 * Parses the options, asks the library for the plan (analyzer/plan.c:
 * range, changes, graph, selection, order, shard), then lists, explains,
 * prints JSON, or runs it (planout.c, runner.c). Diagnostics go to stderr; stdout carries
 * only what was asked for, so `pytest $(impact --list HEAD~1..)` works.
 */
#include "cli.h"

#include "opts.h"
#include "planout.h"
#include "records.h"
#include "shard.h"
#include "snapshot.h"

typedef struct select_opts {
	bool staged, list, nul, explain, json, run, no_smart, gate, no_cache, coarse, all, no_records;
	bool exact, no_exact;
	const char *shard, *order;
	unsigned threads;
	impact_runner_opts run_opts;
} select_opts;

static const char usage_line[] =
	"impact [-C <dir>] [options] [<revspec>] [-- <pytest args>]";

/* --last-failed: no selection, the runner reruns what failed before. */
static int last_failed(select_opts *o, impact_cli *cli, char **rest, size_t nrest)
{
	impact_snapshot *snap = NULL;
	impact_config *config = NULL;
	int rc, exit_code;

	if ((rc = impact_cli_open_repo(cli)) < 0 ||
	    (rc = impact_snapshot_open(&snap, cli->repo, IMPACT_SNAPSHOT_WORKDIR, NULL)) < 0 ||
	    (rc = impact_config_load(&config, impact_snapshot_reader, snap, impact_planout_rules_dir())) < 0) {
		exit_code = impact_cli_error(rc);
		goto done;
	}
	exit_code = impact_runner_run(cli, &o->run_opts, NULL, config, rest, nrest);
done:
	impact_config_free(config);
	impact_snapshot_free(snap);
	return exit_code;
}

/* Options that do not go together, and -n's value: a usage error said, or IMPACT_EXIT_OK. */
static int check_usage(const select_opts *o, char **pos, size_t npos)
{
	const char *w = o->run_opts.workers;
	if (npos > 1)
		return impact_cli_error_usage("select", NULL, "one revision range at a time, got '%s' "
		                              "and '%s' (use A..B for a range; pytest's own arguments "
		                              "go after '--')", pos[0], pos[1]);
	if (o->nul && !o->list)
		return impact_cli_error_usage("select", NULL, "-z only goes with --list");
	if ((o->list + o->explain + o->json) > 1 || (o->run && (o->list || o->explain)))
		return impact_cli_error_usage("select", NULL, "--list, --explain and --json are "
		                              "exclusive, and only --json goes with --run");
	if (o->exact && o->no_exact)
		return impact_cli_error_usage("select", NULL, "--exact and --no-exact contradict each "
		                              "other: give one");
	if (o->run_opts.last_failed && o->exact)
		return impact_cli_error_usage("select", NULL, "--last-failed reruns in the work tree: "
		                              "it does not go with --exact");
	if (o->run_opts.last_failed && (npos || o->staged || o->list || o->explain ||
	                                (o->json && !o->run)))
		return impact_cli_error_usage("select", NULL, "--last-failed reruns the previous "
		                              "failures and takes no revision or listing option");
	if (!o->run_opts.last_failed && w && strcmp(w, "auto") && strspn(w, "0123456789") != strlen(w))
		return impact_cli_error_usage("select", NULL, "-n takes a number of processes or "
		                              "'auto', not '%s'", w);
	return IMPACT_EXIT_OK;
}

/* The plan's options from the command's; `filter` holds what the record filter points into. */
static void plan_opts(impact_plan_opts *po, select_opts *o, const char *spec, impact_buf *filter,
                      char **rest, size_t nrest)
{
	const char *partial;
	po->spec = spec;
	po->staged = o->staged || (o->exact && !spec && !o->gate);
	o->run_opts.exact = o->exact ? IMPACT_EXACT_YES
	                    : o->gate && !o->no_exact ? IMPACT_EXACT_AUTO : IMPACT_EXACT_NO;
	po->gate = o->gate;
	po->no_smart = o->no_smart;
	po->coarse = o->coarse;
	po->no_cache = o->no_cache;
	po->no_records = o->no_records;
	po->all = o->all;
	po->threads = o->threads;
	po->order_by_path = o->order && !strcmp(o->order, "path");
	po->rules_dir = impact_planout_rules_dir();
	impact_records_filter(filter, &partial, (const char *const *)rest, nrest);
	po->record_filter = filter->ptr;
}

int cmd_select(int argc, char **argv, impact_cli *cli)
{
	select_opts o = { 0 };
	const impact_opt opts[] = {
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "what to compare" },
		{ IMPACT_OPT_FLAG, 0, "staged", &o.staged, NULL, "the index against HEAD (what 'git commit' would record)" },
		{ IMPACT_OPT_FLAG, 0, "all", &o.all, NULL, "the whole suite, whatever changed (and record what each test executes)" },
		{ IMPACT_OPT_FLAG, 0, "gate", &o.gate, NULL, "a CI or merge gate: the range given, else from the merge base with origin/HEAD, origin/main or main" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "what to print instead of running" },
		{ IMPACT_OPT_FLAG, 'l', "list", &o.list, NULL, "the selected test files, one per line, in run order" },
		{ IMPACT_OPT_FLAG, 'z', NULL, &o.nul, NULL, "with --list: end each path with NUL, not newline" },
		{ IMPACT_OPT_FLAG, 'e', "explain", &o.explain, NULL, "why each test was selected (shortest chain to a change)" },
		{ IMPACT_OPT_FLAG, 0, "json", &o.json, NULL, "one JSON object: changes, selection, chains, timings (with --run: and results)" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "selecting" },
		{ IMPACT_OPT_FLAG, 0, "no-smart", &o.no_smart, NULL, "rules alone: no import graph (changed tests still run)" },
		{ IMPACT_OPT_FLAG, 0, "coarse", &o.coarse, NULL, "whole modules: any change selects every test importing the module" },
		{ IMPACT_OPT_FLAG, 0, "no-records", &o.no_records, NULL, "static selection only: ignore what tests executed at their last run" },
		{ IMPACT_OPT_UINT, 0, "threads", &o.threads, "n", "parse with n threads (default: all CPUs)" },
		{ IMPACT_OPT_FLAG, 0, "no-cache", &o.no_cache, NULL, "parse every file, neither reading nor writing the parse cache" },
		{ IMPACT_OPT_STRING, 0, "shard", &o.shard, "K/N", "keep part K of N disjoint, balanced parts (a CI matrix)" },
		{ IMPACT_OPT_CHOICE, 0, "order", &o.order, "nearest|path", "run order: nearest to the change first (default), or by path" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "running" },
		{ IMPACT_OPT_FLAG, 0, "run", &o.run, NULL, "run even with --json" },
		{ IMPACT_OPT_FLAG, 0, "exact", &o.exact, NULL, "run in a private checkout of the new side's tree (without a range: the staged tree)" },
		{ IMPACT_OPT_FLAG, 0, "no-exact", &o.no_exact, NULL, "a gate in the work tree as it is, not in a private checkout" },
		{ IMPACT_OPT_FLAG, 0, "last-failed", &o.run_opts.last_failed, NULL, "rerun the previous run's failures" },
		{ IMPACT_OPT_FLAG, 0, "no-record", &o.run_opts.no_record, NULL, "do not record what the tests execute" },
		{ IMPACT_OPT_FLAG, 0, "no-preflight", &o.run_opts.no_preflight, NULL, "skip the interpreter and import checks" },
		{ IMPACT_OPT_FLAG, 0, "retry-flaky", &o.run_opts.retry_flaky, NULL, "rerun a failing known-flaky test once" },
		{ IMPACT_OPT_FLAG, 0, "no-default-flags", &o.run_opts.no_default_flags, NULL, "do not add -x --tb=short --no-header" },
		{ IMPACT_OPT_UINT, 0, "timeout", &o.run_opts.timeout, "seconds", "stop the run after this long (default 120 for one file, 600 for more)" },
		{ IMPACT_OPT_UINT, 0, "grace", &o.run_opts.grace, "seconds", "teardown time between SIGINT and SIGKILL (default 5)" },
		{ IMPACT_OPT_STRING, 'n', "workers", &o.run_opts.workers, "n|auto", "run on n processes with pytest-xdist" },
		{ IMPACT_OPT_STRING, 0, "junitxml", &o.run_opts.junitxml, "path", "also write pytest's JUnit XML report there" },
		{ IMPACT_OPT_CHOICE, 0, "format", &o.run_opts.format, "text|github", "report format; github adds ::error annotations" },
		{ IMPACT_OPT_FLAG, 'q', "quiet", &o.run_opts.quiet, NULL, "fewer messages on stderr" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "Other commands: 'impact help'." },
		{ IMPACT_OPT_END, 0, NULL, NULL, NULL, NULL },
	};
	char **pos = NULL, **rest = NULL;
	size_t npos = 0, nrest = 0;
	impact_plan *plan = NULL;
	impact_plan_opts po = { 0 };
	impact_buf filter = IMPACT_BUF_INIT;
	impact_strlist run_args = { 0 };
	int rc, exit_code = IMPACT_EXIT_OK;
	bool quiet;

	rc = impact_opts_parse(opts, usage_line, argc, argv, &pos, &npos, &rest, &nrest);
	if (rc > 0) {
		printf("\n");
		impact_exit_help(stdout);
		return IMPACT_EXIT_OK;
	}
	if (rc < 0)
		return IMPACT_EXIT_USAGE;
	quiet = o.run_opts.quiet;
	o.run_opts.json = o.json && o.run;
	if ((exit_code = check_usage(&o, pos, npos)) != IMPACT_EXIT_OK)
		goto done;
	if (o.run_opts.last_failed) {
		exit_code = last_failed(&o, cli, rest, nrest);
		goto done;
	}
	if (o.shard && (rc = impact_shard_parse(&po.shard_k, &po.shard_n, o.shard)) < 0) {
		exit_code = impact_cli_error(rc);
		goto done;
	}
	plan_opts(&po, &o, npos ? pos[0] : NULL, &filter, rest, nrest);
	impact_planout_run_args(&run_args, rest, nrest);
	po.run_args = (const char *const *)run_args.items;
	po.nrun_args = run_args.n;
	if ((exit_code = impact_planout_build(&plan, cli, &po, quiet)) != IMPACT_EXIT_OK)
		goto done;
	if ((o.list || o.explain || o.json) && !o.run) {
		impact_plan_view view = o.list ? (o.nul ? IMPACT_VIEW_LIST_NUL : IMPACT_VIEW_LIST)
		                      : o.explain ? IMPACT_VIEW_EXPLAIN : IMPACT_VIEW_JSON;
		exit_code = impact_planout_print(plan, view);
		goto done;
	}
	exit_code = impact_planout_run(cli, plan, &po, &o.run_opts, rest, nrest);
done:
	impact_planout_free(plan, quiet);
	impact_buf_release(&filter);
	impact_strlist_release(&run_args);
	free(pos);
	return exit_code;
}
