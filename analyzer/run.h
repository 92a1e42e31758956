/*
 * run.h - pytest's command line for the selected tests.
 *
 * Owns building pytest's argv: interpreter, -m pytest, default flags, the
 * user's arguments after `--`, then the targets. Starting it, limits and
 * hygiene are cli/runner.c's, through child.c and reap.c.
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

/* Append pytest's argv for `opts` to `out` (owned strings, no NULL at the end). */
void impact_run_argv(impact_strlist *out, const impact_run_opts *opts);

#endif
