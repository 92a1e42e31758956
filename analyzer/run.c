/*
 * run.c - pytest's command line for the selection (see run.h).
 */
#include "run.h"


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
