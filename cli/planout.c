/*
 * planout.c - show a plan and run it (see planout.h).
 */
#include "planout.h"

#include <jansson.h>

const char *impact_planout_rules_dir(void)
{
	const char *env = getenv("IMPACT_RULES_DIR");
	return env && *env ? env : NULL;
}

int impact_planout_build(impact_plan **out, impact_cli *cli, const impact_plan_opts *po,
                         bool quiet)
{
	int rc;
	*out = NULL;
	if ((rc = impact_cli_open_repo(cli)) < 0 ||
	    (rc = impact_plan_build(out, cli->repo, po)) < 0)
		return impact_cli_fail(rc);
	impact_planout_notes(*out, quiet);
	return IMPACT_EXIT_OK;
}

void impact_planout_notes(const impact_plan *plan, bool quiet)
{
	if (quiet)
		return;
	if (plan->gate_spec)
		fprintf(stderr, "impact: gate: %s (%s)\n", plan->gate_spec, plan->gate_why);
	for (size_t i = 0; i < plan->notes.n; i++)
		fprintf(stderr, "impact: warning: %s\n", plan->notes.items[i]);
}

static int write_out(const impact_buf *b)
{
	if (b->size && fwrite(b->ptr, 1, b->size, stdout) != b->size)
		return -1;
	return 0;
}

int impact_planout_print(const impact_plan *plan, impact_plan_view view)
{
	impact_buf out = IMPACT_BUF_INIT;
	int rc;
	switch (view) {
	case IMPACT_VIEW_LIST:
	case IMPACT_VIEW_LIST_NUL:
		rc = impact_report_list(&out, &plan->ctx, view == IMPACT_VIEW_LIST_NUL);
		break;
	case IMPACT_VIEW_EXPLAIN:
		rc = impact_report_explain(&out, &plan->ctx);
		break;
	default:
		rc = impact_report_json(&out, &plan->ctx, true);
		break;
	}
	if (rc < 0) {
		impact_buf_release(&out);
		return impact_cli_fail(rc);
	}
	write_out(&out);
	impact_buf_release(&out);
	return IMPACT_EXIT_OK;
}

/* --json --run with nothing to run: the selection, and "run": null. */
static int print_json_no_run(const impact_plan *plan)
{
	json_t *doc = impact_report_json_doc(&plan->ctx);
	char *text;
	json_object_set_new(doc, "run", json_null());
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(doc);
	return text ? IMPACT_EXIT_OK : impact_cli_fail(impact_error_set(IMPACT_ERROR, "cannot render the JSON report"));
}

int impact_planout_run(impact_cli *cli, const impact_plan *plan, const impact_plan_opts *po,
                       const impact_runner_opts *ro, char **args, size_t nargs)
{
	const impact_selection *sel = plan->selection;
	const impact_changeset *changes = plan->changes;
	impact_runner_opts o = *ro;
	bool nothing = !sel->ntests && (!sel->full_suite || po->shard_n);

	/* A shard of the full suite still runs explicit files: its own part only. */
	if (po->shard_n)
		o.explicit_targets = true;
	if (o.json && ((!changes->n && !po->all) || nothing))
		print_json_no_run(plan);
	if (!changes->n && !po->all) {
		fprintf(stderr, "impact: no changes between %s and %s: nothing to run\n",
		        plan->range.old_label, plan->range.new_label);
		return IMPACT_EXIT_OK;
	}
	if (nothing) {
		if (po->shard_n)
			fprintf(stderr, "impact: shard %u/%u is empty: nothing to run\n",
			        po->shard_k, po->shard_n);
		else
			fprintf(stderr, "impact: %zu changed file%s, no test reaches them: nothing to run "
			        "(see 'impact --explain')\n", changes->n, changes->n == 1 ? "" : "s");
		return IMPACT_EXIT_OK;
	}
	if (!o.quiet) {
		if (sel->full_suite)
			fprintf(stderr, "impact: full suite: %s\n", sel->full_reason);
		else
			fprintf(stderr, "impact: %zu changed file%s (%s..%s), %zu test file%s selected\n",
			        changes->n, changes->n == 1 ? "" : "s", plan->range.old_label,
			        plan->range.new_label, sel->ntests, sel->ntests == 1 ? "" : "s");
	}
	return impact_runner_run(cli, &o, &plan->ctx, plan->config, args, nargs);
}

void impact_planout_free(impact_plan *plan, bool quiet)
{
	const char *w = impact_plan_cache_warning(plan);
	if (w && !quiet)
		fprintf(stderr, "impact: warning: %s\n", w);
	impact_plan_free(plan);
}
