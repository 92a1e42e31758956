/*
 * run.c - start pytest on the selection (see run.h).
 */
#include "run.h"

#include "child.h"

void impact_run_argv(impact_strlist *out, const impact_run_opts *o)
{
	for (size_t i = 0; i < o->python->argv.n; i++)
		impact_strlist_push(out, o->python->argv.items[i]);
	impact_strlist_push(out, "-m");
	impact_strlist_push(out, "pytest");
	for (size_t i = 0; i < o->ndefault_flags; i++)
		impact_strlist_push(out, o->default_flags[i]);
	for (size_t i = 0; i < o->nextra; i++)
		impact_strlist_push(out, o->extra[i]);
	/* Targets after the user's flags, behind no "--": pytest takes them as paths. */
	for (size_t i = 0; i < o->ntargets; i++)
		impact_strlist_push(out, o->targets[i]);
}

int impact_run_pytest(int *exit_code, const impact_run_opts *o)
{
	impact_strlist argv = { 0 };
	impact_child_opts so = { 0 };
	int rc;

	impact_run_argv(&argv, o);
	impact_strlist_push(&argv, ""); /* room for the NULL */
	free(argv.items[argv.n - 1]);
	argv.items[argv.n - 1] = NULL;
	so.cwd = o->workdir;
	rc = impact_child_run(exit_code, (const char *const *)argv.items, &so);
	if (rc == IMPACT_ENOTFOUND)
		rc = impact_error_set(IMPACT_EPYTHON,
		                      "cannot start '%s': set IMPACT_PYTHON to a Python that has pytest",
		                      o->python->argv.items[0]);
	impact_strlist_release(&argv);
	return rc;
}
