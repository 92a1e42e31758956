/*
 * planout.h - a plan (analyzer/plan.h) shown and run the way every
 * command shows it: the notes on stderr, the listing on stdout, the
 * one-line summary, then the runner.
 *
 * The default command, the hooks and the demo all go through these, so
 * `impact HEAD~1`, a post-commit hook and `impact demo` say the same
 * things in the same words.
 */
#ifndef IMPACT_PLANOUT_H
#define IMPACT_PLANOUT_H

#include "cli.h"
#include "plan.h"
#include "runner.h"

typedef enum impact_plan_view {
	IMPACT_VIEW_LIST = 0,   /* --list */
	IMPACT_VIEW_LIST_NUL,   /* --list -z */
	IMPACT_VIEW_EXPLAIN,    /* --explain */
	IMPACT_VIEW_JSON,       /* --json */
} impact_plan_view;

/* The rule sets' folder from $IMPACT_RULES_DIR, or NULL: the installed one. */
const char *impact_planout_rules_dir(void);

/*
 * The run's own pytest arguments as selection reads them (a plugin's
 * option there counts as set): `rest` (after --) and $PYTEST_ADDOPTS,
 * pushed onto `out` for impact_plan_opts' run_args to borrow.
 */
void impact_planout_run_args(impact_strlist *out, char **rest, size_t nrest);

/* The gate's choice and the plan's warnings on stderr (none with `quiet`). */
void impact_planout_notes(const impact_plan *plan, bool quiet);

/* The listing on stdout. Returns an exit code. */
int impact_planout_print(const impact_plan *plan, impact_plan_view view);

/*
 * Say what is about to run (or why nothing is) and run it. `ro` may be
 * adjusted for the plan (a shard passes its files explicitly), so it is
 * copied. Returns an exit code.
 */
int impact_planout_run(impact_cli *cli, const impact_plan *plan, const impact_plan_opts *po,
                       const impact_runner_opts *ro, char **args, size_t nargs);

/* The cache's late warning (damage found while reading), then free. */
void impact_planout_free(impact_plan *plan, bool quiet);

/*
 * Build a plan for `po` in cli's repository (opened here) and print the
 * notes. Returns 0 and *out, or an exit code (the error printed).
 */
int impact_planout_build(impact_plan **out, impact_cli *cli, const impact_plan_opts *po,
                         bool quiet);

#endif
