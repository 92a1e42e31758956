/*
 * planout.c - show a plan and run it (see planout.h).
 *
 * An exact-tree run (hooks, --gate, --exact) prepares the private
 * checkout (analyzer/git/exact.c) here, between the plan and the runner:
 * the new side's tree (a commit's, or the index written as a tree),
 * `exact-copy` files copied in, and everything closed again whatever the
 * runner returns. SIGINT, SIGTERM and SIGHUP are held while the checkout
 * is prepared and closed, so a Ctrl-C then still removes what was copied
 * in (and a throwaway checkout); during the run the runner handles them.
 */
#include "planout.h"

#include "exact.h"

#include <jansson.h>
#include <signal.h>
#include <time.h>

const char *impact_planout_rules_dir(void)
{
	const char *env = getenv("IMPACT_RULES_DIR");
	return env && *env ? env : NULL;
}

void impact_planout_run_args(impact_strlist *out, char **rest, size_t nrest)
{
	const char *addopts = getenv("PYTEST_ADDOPTS");
	for (size_t i = 0; i < nrest; i++)
		impact_strlist_push(out, rest[i]);
	if (addopts && *addopts)
		impact_strlist_push(out, addopts);
}

int impact_planout_build(impact_plan **out, impact_cli *cli, const impact_plan_opts *po,
                         bool quiet)
{
	int rc;
	*out = NULL;
	if ((rc = impact_cli_open_repo(cli)) < 0 ||
	    (rc = impact_plan_build(out, cli->repo, po)) < 0)
		return impact_cli_error(rc);
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
		impact_cli_warn("%s", plan->notes.items[i]);
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
		return impact_cli_error(rc);
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
	return text ? IMPACT_EXIT_OK : impact_cli_error(impact_error_set(IMPACT_ERROR, "cannot render the JSON report"));
}

static void hold_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* A held SIGINT, SIGTERM or SIGHUP, consumed; 0 when none came. */
static int take_held_signal(void)
{
	sigset_t pending, set;
	struct timespec zero = { 0, 0 };
	sigemptyset(&set);
	if (sigpending(&pending) < 0)
		return 0;
	if (sigismember(&pending, SIGINT))
		sigaddset(&set, SIGINT);
	if (sigismember(&pending, SIGTERM))
		sigaddset(&set, SIGTERM);
	if (sigismember(&pending, SIGHUP))
		sigaddset(&set, SIGHUP);
	if (sigisemptyset(&set))
		return 0;
	return sigtimedwait(&set, NULL, &zero);
}

static void say_list(const char *what, const impact_strlist *l)
{
	impact_buf line = IMPACT_BUF_INIT;
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			impact_buf_puts(&line, "', '");
		impact_report_quote_path(&line, l->items[i]);
	}
	if (l->n)
		fprintf(stderr, "impact: exact-copy: '%s' %s\n", line.ptr, what);
	impact_buf_release(&line);
}

/* Run the plan in a private checkout of its new side's tree. */
static int run_exact(impact_cli *cli, const impact_plan *plan, impact_runner_opts *o,
                     char **args, size_t nargs)
{
	const impact_range *range = &plan->range;
	impact_exact *ex = NULL;
	impact_exact_stats st;
	impact_strlist tracked = { 0 }, missing = { 0 };
	impact_buf label = IMPACT_BUF_INIT;
	const git_oid *commit = NULL;
	git_oid tree;
	sigset_t old;
	char hex[16];
	int rc, code = IMPACT_EXIT_OK;

	hold_signals(&old);
	if ((rc = impact_exact_open(&ex, cli->repo)) < 0)
		goto fail;
	if (range->new_kind == IMPACT_SNAPSHOT_TREE) {
		git_oid_cpy(&tree, git_tree_id(range->new_tree));
		if (!git_oid_is_zero(&range->new_commit)) {
			commit = &range->new_commit;
			git_oid_tostr(hex, 8, commit);
			impact_buf_printf(&label, "commit %s", hex);
		} else {
			git_oid_tostr(hex, 8, &tree);
			impact_buf_printf(&label, "tree %s", hex);
		}
	} else {
		if ((rc = impact_exact_index_tree(&tree, ex, NULL)) < 0)
			goto fail;
		impact_buf_puts(&label, "the staged tree");
	}
	if ((rc = impact_exact_checkout(ex, &tree, commit, &st)) < 0)
		goto fail;
	if (getenv("IMPACT_TIMINGS"))
		fprintf(stderr, "impact: private checkout prepared in %.3f s (%s, %zu file%s changed)\n",
		        st.seconds, st.created ? "first use: every file written"
		        : st.temporary ? "the persistent one was busy: a throwaway one" : "updated in place",
		        st.changed, st.changed == 1 ? "" : "s");
	if (plan->config && (rc = impact_exact_copy_in(ex, cli->workdir, &plan->config->exact_copy,
	                                               &tracked, &missing)) < 0)
		goto fail;
	if (!o->quiet) {
		say_list("is tracked in the tree tested: its committed version is used", &tracked);
		say_list("is not in the work tree: not copied", &missing);
	}
	if (take_held_signal()) {
		code = IMPACT_EXIT_INTERRUPTED;
		goto done;
	}
	o->exact_root = impact_exact_root(ex);
	o->exact_tree = &tree;
	o->exact_label = label.ptr;
	sigprocmask(SIG_SETMASK, &old, NULL);
	code = impact_runner_run(cli, o, &plan->ctx, plan->config, args, nargs);
	hold_signals(&old);
	goto done;
fail:
	code = impact_cli_error(rc);
done:
	impact_exact_close(ex);
	take_held_signal();
	sigprocmask(SIG_SETMASK, &old, NULL);
	o->exact_root = NULL;
	o->exact_tree = NULL;
	o->exact_label = NULL;
	impact_buf_release(&label);
	impact_strlist_release(&tracked);
	impact_strlist_release(&missing);
	return code;
}

/* The runner in the work tree or in a private checkout, as the mode and configuration say. */
static int run_where(impact_cli *cli, const impact_plan *plan, impact_runner_opts *o,
                     char **args, size_t nargs)
{
	const impact_range *range = &plan->range;
	bool off = o->exact == IMPACT_EXACT_AUTO && plan->config && plan->config->exact_off;
	git_oid head;

	if (o->exact != IMPACT_EXACT_NO && !off && cli->workdir &&
	    range->new_kind != IMPACT_SNAPSHOT_WORKDIR)
		return run_exact(cli, plan, o, args, nargs);
	if (off && !o->quiet) {
		const impact_config_where *w = &plan->config->where_exact;
		fprintf(stderr, "impact: exact = false (%s:%u): testing the work tree as it is, not "
		        "exactly %s\n", w->file ? w->file : "configuration", w->line,
		        range->new_kind == IMPACT_SNAPSHOT_INDEX ? "the staged tree" : "the commit");
	}
	if (o->require_head && !git_oid_is_zero(&range->new_commit) &&
	    (git_reference_name_to_id(&head, cli->repo, "HEAD") < 0 ||
	     !git_oid_equal(&head, &range->new_commit))) {
		char hex[16];
		git_oid_tostr(hex, 8, &range->new_commit);
		fprintf(stderr, "impact: commit %s is not checked out here and exact = false keeps "
		        "runs in the work tree, so its tests cannot run: not tested (check it out and "
		        "run 'impact %s..%s')\n", hex, range->old_label, range->new_label);
		return IMPACT_EXIT_OK;
	}
	return impact_runner_run(cli, o, &plan->ctx, plan->config, args, nargs);
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
	return run_where(cli, plan, &o, args, nargs);
}

void impact_planout_free(impact_plan *plan, bool quiet)
{
	const char *w = impact_plan_cache_warning(plan);
	if (w && !quiet)
		impact_cli_warn("%s", w);
	impact_plan_free(plan);
}
