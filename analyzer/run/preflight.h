/*
 * preflight.h - checks before a run, so that a broken import is reported
 * once, clearly, instead of as a flood of failures.
 *
 * Owns: finding the project's top-level packages (folders at the work
 * tree root or under src/ with an __init__.py and some non-test code);
 * one interpreter start that says whether pytest is installed there,
 * the Python version, inside a linked git worktree where the environment
 * would import each package from (it must be this worktree, not the main
 * checkout's editable install), and whether each package imports (the
 * smoke check); and a collection check of the targets (`pytest
 * --collect-only -q` with the user's arguments), whose errors are read
 * back per file. The children run with an argv, in a session of their
 * own, under the run's limits. It decides nothing about exit codes.
 */
#ifndef IMPACT_PREFLIGHT_H
#define IMPACT_PREFLIGHT_H

#include "child.h"
#include "interp.h"

/*
 * The top-level module a ModuleNotFoundError names last in `text` ("No
 * module named 'pkg'") into `name`; false when there is none or it names
 * a submodule ('pkg.sub': pkg itself was found).
 */
bool impact_preflight_missing_top(const char *text, char *name, size_t size);

/* What to do when the repository's own package does not import at all. */
#define IMPACT_PREFLIGHT_INSTALL_HINT                                                       \
	"install the project into the environment that runs the tests, e.g. 'pip install "  \
	"-e .', or add its folder to pytest's pythonpath setting, e.g. pythonpath = [\"src\"]"

/* The top-level packages of the work tree at `workdir`, appended to `out`. */
void impact_preflight_packages(impact_strlist *out, const char *workdir);

typedef struct impact_preflight {
	const impact_python *python;
	const impact_strlist *pytest;       /* pytest's command prefix (run.c) */
	bool custom_command;                /* test_command configured: pytest may live elsewhere */
	const char *workdir;
	const char *const *env_add;         /* the run's marker; NULL-terminated, or NULL */
	const impact_child_limits *limits;  /* time limit, grace, Ctrl-C flag */
	bool exact;                         /* workdir is a private checkout, first on PYTHONPATH:
	                                       each package must come from it, as the run has sys.path */
	/* Out: */
	impact_child_end end;               /* how the last check's child ended */
	char version[8];                    /* "313" for CPython 3.13, once known */
} impact_preflight;

/*
 * One interpreter start in the work tree: is pytest there (looked up, not
 * imported; skipped when a test_command is configured); with `worktree`, where each of `pkgs` is
 * found without the work tree on sys.path (an installed package must come
 * from inside `workdir`); with `smoke`, does each import. IMPACT_EPYTHON
 * with what is wrong and the fix; IMPACT_ERROR when the check was stopped
 * (pf->end says how) or the interpreter cannot start.
 */
int impact_preflight_python(impact_preflight *pf, const impact_strlist *pkgs,
                            bool worktree, bool smoke);

/* A test file that does not collect. */
typedef struct impact_collect_error {
	char *file;    /* repo-relative when inside the work tree */
	uint32_t line; /* 1-based line in it, 0 if unknown */
	char *error;   /* the last error line ("ModuleNotFoundError: No module named 'x'") */
} impact_collect_error;

typedef struct impact_collect_errors {
	impact_collect_error *v;
	size_t n, alloc;
} impact_collect_errors;

void impact_collect_errors_release(impact_collect_errors *errs);

/*
 * `pytest --collect-only -q` of `targets` (none: pytest's own collection)
 * with the user's `extra` arguments. On a collection or import error
 * (also of a conftest.py): IMPACT_EPYTHON, each file in *errs and a
 * message naming them. pytest rejecting the arguments: IMPACT_EINVALID.
 * pytest missing: IMPACT_EPYTHON with the fix. Stopped by the limits:
 * IMPACT_ERROR and pf->end.
 */
int impact_preflight_collect(impact_preflight *pf, impact_collect_errors *errs,
                             const char *const *targets, size_t ntargets,
                             const char *const *extra, size_t nextra);

#endif
