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
 * smoke check). The child runs with an argv, in a session of its own,
 * under the run's limits. It decides nothing about exit codes.
 *
 * Collection is checked by the run itself: pytest collects every target
 * before any test runs and stops on an error there, which impact's
 * plugin reports per file (also a conftest.py that does not import, and
 * a node id that names nothing). A `pytest --collect-only` beforehand
 * cost a second pytest start, about 0.25 s of a 0.65 s post-commit run
 * on jinja, to say the same.
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

/*
 * The same in steps, so the check runs beside the tests (its interpreter
 * start and imports cost a post-commit run on jinja a fifth of its time):
 * start (an error only when the interpreter cannot be started, said);
 * poll (true once it has ended); finish (waits under pf->limits, then the
 * verdict as impact_preflight_python's). Release the job after.
 */
typedef struct impact_preflight_job {
	impact_child_job child;
	bool started;       /* a check runs: else there is nothing to check */
} impact_preflight_job;

int impact_preflight_python_start(impact_preflight *pf, impact_preflight_job *job,
                                  const impact_strlist *pkgs, bool worktree, bool smoke);
bool impact_preflight_python_poll(impact_preflight_job *job);
int impact_preflight_python_finish(impact_preflight *pf, impact_preflight_job *job);
void impact_preflight_job_release(impact_preflight_job *job);

#endif
