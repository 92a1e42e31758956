/*
 * cmd_graph.c - `impact graph [<revspec>] [--format dot|json|html]`: the
 * part of the module graph between the changes and the selected tests,
 * to look at instead of read (graphview.c draws it).
 *
 * The selection is computed here the way the default command computes it
 * (diff, configuration, project graph, select) and handed to graphview as
 * the same report `--json` prints, so the picture and --explain agree.
 * That sequence is spelled out a second time here, not shared: the
 * selection pipeline is moving out of cmd_select.c into analyzer/plan.c,
 * and this command should call that once it lands. No tests are run.
 */
#include "cli.h"

#include "cache.h"
#include "diff.h"
#include "graphview.h"
#include "opts.h"
#include "path.h"
#include "project.h"
#include "pyimports.h"
#include "report.h"
#include "select.h"

#include <errno.h>

static const char usage_line[] =
	"impact graph [<revspec>] [--staged] [--format dot|json|html] [-o <path>]";

typedef struct graph_opts {
	bool staged, coarse, no_cache;
	const char *format, *output;
} graph_opts;

/* The selection's report for `spec`, as `impact --json` prints it. */
static int selection_report(impact_buf *out, impact_cli *cli, const char *spec,
                            const graph_opts *o)
{
	impact_range range = { 0 };
	impact_changeset *changes = NULL;
	impact_snapshot *snap = NULL;
	impact_config *config = NULL;
	impact_project *project = NULL;
	impact_selection *sel = NULL;
	impact_cache *cache = NULL;
	impact_strlist ghosts = { 0 };
	impact_project_opts popts = { 0 };
	impact_select_opts sopts = { 0 };
	impact_report_ctx ctx = { 0 };
	const char *rules_dir = getenv("IMPACT_RULES_DIR");
	char *cache_path = NULL;
	int rc;

	if ((rc = impact_range_parse(&range, cli->repo, spec, o->staged)) < 0 ||
	    (rc = impact_diff_compute(&changes, cli->repo, &range)) < 0 ||
	    (rc = impact_snapshot_open(&snap, cli->repo, range.new_kind, range.new_tree)) < 0 ||
	    (rc = impact_config_load(&config, impact_snapshot_reader, snap,
	                             rules_dir && *rules_dir ? rules_dir : NULL)) < 0)
		goto done;
	/* Old paths of removed Python files: they still select their importers. */
	for (size_t i = 0; i < changes->n; i++) {
		const impact_change *c = &changes->changes[i];
		if (c->old_path && impact_path_has_suffix(c->old_path, ".py") &&
		    (c->status == IMPACT_CHANGE_DELETED ||
		     (c->status == IMPACT_CHANGE_RENAMED && strcmp(c->old_path, c->new_path))))
			impact_strlist_push(&ghosts, c->old_path);
	}
	/* Without the cache the answer is the same, only slower: its failure is not one. */
	if (!o->no_cache && impact_cache_default_path(&cache_path, cli->repo) == 0 &&
	    impact_cache_open(&cache, cache_path, IMPACT_PYFACTS_VERSION, NULL) < 0)
		cache = NULL;
	popts.ghosts = (const char *const *)ghosts.items;
	popts.nghosts = ghosts.n;
	popts.base_tree = range.old_tree;
	popts.changes = changes;
	popts.cache = cache;
	sopts.precise = !o->coarse;
	sopts.repo = cli->repo;
	sopts.cache = cache;
	if ((rc = impact_project_build(&project, snap, &popts)) < 0 ||
	    (rc = impact_select(&sel, project, changes, config, &sopts)) < 0)
		goto done;
	ctx.range = &range;
	ctx.changes = changes;
	ctx.project = project;
	ctx.selection = sel;
	ctx.config = config;
	rc = impact_report_json(out, &ctx, false);
done:
	impact_selection_free(sel);
	impact_project_free(project);
	impact_config_free(config);
	impact_cache_close(cache);
	impact_snapshot_free(snap);
	impact_changeset_free(changes);
	impact_range_release(&range);
	impact_strlist_release(&ghosts);
	free(cache_path);
	return rc;
}

int cmd_graph(int argc, char **argv, impact_cli *cli)
{
	graph_opts o = { 0 };
	const impact_opt opts[] = {
		{ IMPACT_OPT_STRING, 0, "format", &o.format, "dot|json|html", "dot (Graphviz, the default), json, or html: one self-contained page that draws it" },
		{ IMPACT_OPT_STRING, 'o', "output", &o.output, "path", "write there instead of to standard output" },
		{ IMPACT_OPT_FLAG, 0, "staged", &o.staged, NULL, "the index against HEAD" },
		{ IMPACT_OPT_FLAG, 0, "coarse", &o.coarse, NULL, "whole modules, as 'impact --coarse'" },
		{ IMPACT_OPT_FLAG, 0, "no-cache", &o.no_cache, NULL, "parse every file, neither reading nor writing the parse cache" },
		{ IMPACT_OPT_END, 0, NULL, NULL, NULL, NULL },
	};
	impact_graphview_format format = IMPACT_GRAPHVIEW_DOT;
	impact_buf report = IMPACT_BUF_INIT, out = IMPACT_BUF_INIT;
	char **pos = NULL, **rest = NULL;
	size_t npos = 0, nrest = 0;
	int rc, exit_code = IMPACT_EXIT_OK;

	rc = impact_opts_parse(opts, usage_line, argc, argv, &pos, &npos, &rest, &nrest);
	if (rc != 0)
		return rc > 0 ? IMPACT_EXIT_OK : IMPACT_EXIT_USAGE;
	if (npos > 1 || nrest) {
		fprintf(stderr, "impact graph: one revision range at a time, and no pytest arguments\n"
		        "usage: %s\n", usage_line);
		exit_code = IMPACT_EXIT_USAGE;
		goto done;
	}
	if ((o.format && (rc = impact_graphview_format_parse(&format, o.format)) < 0) ||
	    (rc = selection_report(&report, cli, npos ? pos[0] : NULL, &o)) < 0 ||
	    (rc = impact_graphview_render(&out, report.ptr, format)) < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	if (o.output) {
		if ((rc = impact_file_replace(o.output, out.ptr, out.size)) < 0)
			exit_code = impact_cli_fail(rc);
	} else if (out.size && fwrite(out.ptr, 1, out.size, stdout) != out.size) {
		fprintf(stderr, "impact: error: cannot write to standard output: %s\n", strerror(errno));
		exit_code = IMPACT_EXIT_USAGE;
	}
done:
	impact_buf_release(&report);
	impact_buf_release(&out);
	free(pos);
	return exit_code;
}
