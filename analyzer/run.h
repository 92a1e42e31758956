/*
 * run.h - run the selected tests with pytest.
 *
 * Owns building pytest's argv (interpreter, -m pytest, default flags,
 * targets, the user's arguments after `--`) and running it in the work
 * tree. It never touches the index, refs or tracked files: it only starts
 * pytest, whose own effects are the tests'.
 */
#ifndef IMPACT_RUN_H
#define IMPACT_RUN_H

#include "interp.h"

typedef struct impact_run_opts {
	const char *workdir;              /* the work tree root: pytest's cwd */
	const impact_python *python;
	const char *const *default_flags; /* e.g. -x --tb=short --no-header */
	size_t ndefault_flags;
	const char *const *targets;       /* files or node ids; none = pytest's own full collection */
	size_t ntargets;
	const char *const *extra;         /* after `--` */
	size_t nextra;
} impact_run_opts;

/* The argv that impact_run_pytest would run (for display and tests). */
void impact_run_argv(impact_strlist *out, const impact_run_opts *opts);

/*
 * Run pytest in the foreground, output passed through. *exit_code gets
 * pytest's exit status. Returns IMPACT_EPYTHON if the interpreter cannot
 * be started.
 */
int impact_run_pytest(int *exit_code, const impact_run_opts *opts);

#endif
