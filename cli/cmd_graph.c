/*
 * cmd_graph.c - `impact graph [<revspec>] [--format dot|json|html]`: the
 * part of the module graph between the changes and the selected tests,
 * to look at instead of read (graphview.c draws it).
 *
 * The selection is the default command's (impact_plan_build, records
 * included), handed to graphview as the same report `--json` prints, so
 * the picture and --explain agree. No tests are run.
 */
#include "cli.h"

#include "graphview.h"
#include "opts.h"
#include "plan.h"
#include "planout.h"
#include "report.h"

#include <errno.h>

static const char usage_line[] =
	"impact graph [<revspec>] [--staged] [--format dot|json|html] [-o <path>]";

typedef struct graph_opts {
	bool staged, coarse, no_cache;
	const char *format, *output;
} graph_opts;

/* The selection's report for `spec`, as `impact --json` prints it (records included). */
static int selection_report(impact_buf *out, impact_cli *cli, const char *spec,
                            const graph_opts *o)
{
	impact_plan_opts po = { 0 };
	impact_plan *plan = NULL;
	int rc;

	po.spec = spec;
	po.staged = o->staged;
	po.coarse = o->coarse;
	po.no_cache = o->no_cache;
	po.rules_dir = impact_planout_rules_dir();
	if ((rc = impact_plan_build(&plan, cli->repo, &po)) == 0)
		rc = impact_report_json(out, &plan->ctx, false);
	impact_plan_free(plan);
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
		exit_code = impact_cli_error_usage("graph", usage_line, "one revision range at a "
		                                   "time, and no pytest arguments");
		goto done;
	}
	if ((o.format && (rc = impact_graphview_format_parse(&format, o.format)) < 0) ||
	    (rc = selection_report(&report, cli, npos ? pos[0] : NULL, &o)) < 0 ||
	    (rc = impact_graphview_render(&out, report.ptr, format)) < 0) {
		exit_code = impact_cli_error(rc);
		goto done;
	}
	if (o.output) {
		if ((rc = impact_file_replace(o.output, out.ptr, out.size)) < 0)
			exit_code = impact_cli_error(rc);
	} else if (out.size && fwrite(out.ptr, 1, out.size, stdout) != out.size) {
		exit_code = impact_cli_error_os(errno, "cannot write to standard output");
	}
done:
	impact_buf_release(&report);
	impact_buf_release(&out);
	free(pos);
	return exit_code;
}
