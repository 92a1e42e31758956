/*
 * cmd_select.c - the default command: `impact [options] [<revspec>] [-- <pytest args>]`.
 *
 * Reads the change (diff.c), builds the module graph of the new side
 * (project.c), selects the tests (select.c), then lists, explains, prints
 * JSON, or runs them (run.c). Diagnostics go to stderr; stdout carries
 * only what was asked for, so `pytest $(impact --list HEAD~1..)` works.
 */
#include "cli.h"

#include "diff.h"
#include "interp.h"
#include "opts.h"
#include "project.h"
#include "report.h"
#include "run.h"
#include "select.h"

typedef struct select_opts {
	bool staged, list, nul, explain, json, quiet, no_default_flags;
	unsigned threads;
} select_opts;

static const char usage_line[] =
	"impact [-C <dir>] [options] [<revspec>] [-- <pytest args>]";

static int write_out(const impact_buf *b)
{
	if (b->size && fwrite(b->ptr, 1, b->size, stdout) != b->size)
		return -1;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* Old paths of Python files the change removed: the ghosts of the graph. */
static void collect_ghosts(impact_strlist *out, const impact_changeset *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		const impact_change *c = &cs->changes[i];
		if (!c->old_path || !ends_with(c->old_path, ".py"))
			continue;
		if (c->status == IMPACT_CHANGE_DELETED ||
		    (c->status == IMPACT_CHANGE_RENAMED && strcmp(c->old_path, c->new_path)))
			impact_strlist_push(out, c->old_path);
	}
}

static void print_command(const impact_strlist *argv)
{
	impact_buf line = IMPACT_BUF_INIT;
	for (size_t i = 0; i < argv->n; i++) {
		if (i)
			impact_buf_putc(&line, ' ');
		if (i > 12 && argv->n > 16) {
			impact_buf_printf(&line, "... (%zu more)", argv->n - i);
			break;
		}
		impact_report_quote_path(&line, argv->items[i]);
	}
	fprintf(stderr, "impact: running: %s\n", line.ptr);
	impact_buf_release(&line);
}

int cmd_select(int argc, char **argv, impact_cli *cli)
{
	select_opts o = { 0 };
	const impact_opt opts[] = {
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "what to compare" },
		{ IMPACT_OPT_FLAG, 0, "staged", &o.staged, NULL, "the index against HEAD (what 'git commit' would record)" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "what to print instead of running" },
		{ IMPACT_OPT_FLAG, 'l', "list", &o.list, NULL, "the selected test files, one per line, in run order" },
		{ IMPACT_OPT_FLAG, 'z', NULL, &o.nul, NULL, "with --list: end each path with NUL, not newline" },
		{ IMPACT_OPT_FLAG, 'e', "explain", &o.explain, NULL, "why each test was selected (shortest chain to a change)" },
		{ IMPACT_OPT_FLAG, 0, "json", &o.json, NULL, "one JSON object: changes, selection, chains, timings" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "running" },
		{ IMPACT_OPT_FLAG, 0, "no-default-flags", &o.no_default_flags, NULL, "do not add -x --tb=short --no-header" },
		{ IMPACT_OPT_FLAG, 'q', "quiet", &o.quiet, NULL, "fewer messages on stderr" },
		{ IMPACT_OPT_UINT, 0, "threads", &o.threads, "n", "parse with n threads (default: all CPUs)" },
		{ IMPACT_OPT_END, 0, NULL, NULL, NULL, NULL },
	};
	static const char *const default_flags[] = { "-x", "--tb=short", "--no-header" };
	char **pos = NULL, **rest = NULL;
	size_t npos = 0, nrest = 0;
	impact_range range = { 0 };
	impact_changeset *changes = NULL;
	impact_snapshot *snap = NULL;
	impact_project *project = NULL;
	impact_selection *sel = NULL;
	impact_strlist ghosts = { 0 }, targets = { 0 }, cmdline = { 0 };
	impact_python python = { 0 };
	impact_buf out = IMPACT_BUF_INIT;
	impact_report_ctx ctx = { 0 };
	impact_project_opts popts = { 0 };
	const char *spec;
	double t0 = impact_now_ms(), t1;
	int rc, exit_code = IMPACT_EXIT_OK;

	rc = impact_opts_parse(opts, usage_line, argc, argv, &pos, &npos, &rest, &nrest);
	if (rc > 0)
		return IMPACT_EXIT_OK;
	if (rc < 0)
		return IMPACT_EXIT_USAGE;
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
	if ((o.list + o.explain + o.json) > 1) {
		fprintf(stderr, "impact: error: --list, --explain and --json are exclusive: pick one\n");
		exit_code = IMPACT_EXIT_USAGE;
		goto done;
	}
	spec = npos ? pos[0] : NULL;

	if ((rc = impact_cli_open_repo(cli)) < 0 ||
	    (rc = impact_range_parse(&range, cli->repo, spec, o.staged)) < 0 ||
	    (rc = impact_diff_compute(&changes, cli->repo, &range)) < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	t1 = impact_now_ms();
	ctx.ms_diff = t1 - t0;

	rc = impact_snapshot_open(&snap, cli->repo, range.new_kind, range.new_tree);
	if (rc < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	collect_ghosts(&ghosts, changes);
	popts.ghosts = (const char *const *)ghosts.items;
	popts.nghosts = ghosts.n;
	popts.nthreads = o.threads;
	rc = impact_project_build(&project, snap, &popts);
	if (rc < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	rc = impact_select(&sel, project, changes);
	if (rc < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}

	ctx.range = &range;
	ctx.changes = changes;
	ctx.project = project;
	ctx.selection = sel;
	ctx.ms_total = impact_now_ms() - t0;

	if (o.list || o.explain || o.json) {
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
		if (o.list && !o.quiet)
			for (size_t i = 0; i < project->warnings.n; i++)
				fprintf(stderr, "impact: warning: %s\n", project->warnings.items[i]);
		write_out(&out);
		goto done;
	}

	/* Run. */
	for (size_t i = 0; i < project->warnings.n && !o.quiet; i++)
		fprintf(stderr, "impact: warning: %s\n", project->warnings.items[i]);
	if (!changes->n) {
		fprintf(stderr, "impact: no changes between %s and %s: nothing to run\n",
		        range.old_label, range.new_label);
		goto done;
	}
	if (!sel->ntests && !sel->full_suite) {
		fprintf(stderr, "impact: %zu changed file%s, no test reaches them: nothing to run "
		        "(see 'impact --explain')\n", changes->n, changes->n == 1 ? "" : "s");
		goto done;
	}
	if (!o.quiet) {
		if (sel->full_suite)
			fprintf(stderr, "impact: full suite: %s\n", sel->full_reason);
		else
			fprintf(stderr, "impact: %zu changed file%s (%s..%s), %zu test file%s selected\n",
			        changes->n, changes->n == 1 ? "" : "s", range.old_label,
			        range.new_label, sel->ntests, sel->ntests == 1 ? "" : "s");
	}
	rc = impact_python_choose(&python, cli->workdir, NULL);
	if (rc < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	if (!o.quiet)
		fprintf(stderr, "impact: python: %s\n", python.why);
	if (!sel->full_suite)
		for (size_t i = 0; i < sel->ntests; i++)
			impact_strlist_push(&targets, project->files[sel->tests[i].file].path);
	{
		impact_run_opts ro = { 0 };
		int code = 0;
		ro.workdir = cli->workdir;
		ro.python = &python;
		if (!o.no_default_flags) {
			ro.default_flags = default_flags;
			ro.ndefault_flags = IMPACT_ARRAY_SIZE(default_flags);
		}
		ro.targets = (const char *const *)targets.items;
		ro.ntargets = targets.n;
		ro.extra = (const char *const *)rest;
		ro.nextra = nrest;
		if (!cli->workdir) {
			fprintf(stderr, "impact: error: a bare repository has no work tree to run tests in: "
			        "use --list, --explain or --json\n");
			exit_code = IMPACT_EXIT_USAGE;
			goto done;
		}
		if (!o.quiet) {
			impact_run_argv(&cmdline, &ro);
			print_command(&cmdline);
		}
		fflush(stdout);
		fflush(stderr);
		rc = impact_run_pytest(&code, &ro);
		if (rc < 0) {
			exit_code = impact_cli_fail(rc);
			goto done;
		}
		exit_code = code;
	}
done:
	impact_buf_release(&out);
	impact_strlist_release(&ghosts);
	impact_strlist_release(&targets);
	impact_strlist_release(&cmdline);
	impact_python_release(&python);
	impact_selection_free(sel);
	impact_project_free(project);
	impact_snapshot_free(snap);
	impact_changeset_free(changes);
	impact_range_release(&range);
	free(pos);
	return exit_code;
}
