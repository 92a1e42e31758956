/*
 * auditrun.h - the two things the audit runs per commit: the full test
 * suite in a checkout, and impact's own selection for the commit.
 *
 * The suite runs like the runner runs a selection (run.c's pytest
 * command, the interpreter interp.c chose, a session of its own under a
 * time limit, a polite stop on Ctrl-C, everything it leaves reaped), but
 * whole and without stopping early: `--maxfail` lifted (a -x in addopts
 * included), `--continue-on-collection-errors`, `--tb=short` so the
 * marker shows in every traceback, JUnit XML in the xunit1 family, whose
 * records name their file, and the checkout as pytest's rootdir. The
 * checkout's own code must be what runs: its root and its src/ come first
 * on PYTHONPATH (a main checkout's editable install would otherwise
 * answer for a src/ layout, and for any layout in a subprocess a test
 * starts).
 *
 * The selection is impact's binary run as a separate process,
 * `impact -C <repo> --json <commit> <selection options>`, read back with
 * jansson: what the audit checks is exactly what a user's `impact` says.
 */
#ifndef IMPACT_AUDITRUN_H
#define IMPACT_AUDITRUN_H

#include "child.h"
#include "interp.h"
#include "junit.h"

typedef struct impact_suite_env {
	const impact_python *python;
	const impact_strlist *test_command;  /* the configuration's; NULL or empty: python -m pytest */
	const char *scratch;                 /* the audit's temporary folder: XML and logs go there */
	const char *run_id;                  /* IMPACT_RUN_ID=<run_id>-<k> marks each run's processes */
	const char *watch;                   /* text to look for in pytest's output, or NULL */
	impact_child_limits limits;          /* timeout_s, grace_s, interrupted; the rest unused */
	const char *plugin_dir;              /* with record_sink or runner_file: impact's pytest plugin folder */
	const char *record_sink;             /* record what each test executes there (records.h), or NULL */
	const char *runner_file;             /* write the files pytest imports itself there (select.h), or NULL */
} impact_suite_env;

typedef struct impact_suite_result {
	impact_results res;    /* every record, node ids and files filled in */
	int exit_code;         /* pytest's, or 128 + signal */
	impact_child_end end;  /* exited, timed out, interrupted */
	size_t reaped;         /* processes the run left behind */
	char *log_tail;        /* the last lines pytest printed; owned */
	bool log_has_watch;    /* pytest's output holds env->watch */
	bool no_report;        /* pytest wrote no JUnit report (it never started its session) */
	char *broken_conftest; /* the conftest.py that did not import before any test ran
	                          (repo-relative; owned), or NULL */
	double seconds;
} impact_suite_result;

/*
 * Run the whole suite in the checkout at `checkout` (run number `k`,
 * naming its files). `test_files` (n) turn JUnit classnames into files
 * when a record names none. Fails only when pytest cannot be started or
 * waited for; how it ended is in *out (release it either way).
 */
int impact_suite_run(impact_suite_result *out, const impact_suite_env *env,
                     const char *checkout, unsigned k,
                     const char *const *test_files, size_t ntest_files);
void impact_suite_result_release(impact_suite_result *r);

/* True when pytest ran to its end on its own: exit 0 (passed) or 1 (failures, with a report). */
bool impact_suite_ran(const impact_suite_result *r);
/*
 * True when pytest stopped on its own before running the tests: exit 2
 * (interrupted), 3 (internal error: a hook raised) or 4 (a conftest.py
 * that does not import, or arguments it rejects), or exit 1 with no
 * report (an exception before pytest's session began: a -p plugin, or
 * pytest's own import of the code under test, raised).
 */
bool impact_suite_broke(const impact_suite_result *r);

/*
 * The failed and errored records of `r` whose node id is not in `exclude`
 * (sorted, see impact_audit_sort_unique), and with `marker` not NULL only those
 * whose message or traceback holds it: their node ids appended to `ids`
 * and their files to `files` (both sorted, without duplicates, when empty
 * at the call). With `skip_flaky`, known-flaky failures (tc->flaky) are
 * left out.
 */
void impact_suite_failures(impact_strlist *files, impact_strlist *ids,
                           const impact_suite_result *r, const char *marker,
                           const impact_strlist *exclude, bool skip_flaky);

/* Sort `l` (byte order) and drop duplicates. */
void impact_audit_sort_unique(impact_strlist *l);
/* True when `l`, sorted, holds `s`. */
bool impact_audit_has(const impact_strlist *l, const char *s);

/* What `impact --json <commit>` selected. */
typedef struct impact_audit_selection {
	bool full_suite;
	char *full_reason;       /* owned, or NULL */
	impact_strlist targets;  /* each selected entry's target (or path), in order */
	size_t test_files;       /* counts.test_files */
} impact_audit_selection;

/*
 * Run `impact -C <repo_dir> --json <rev> <args>` (impact's own binary,
 * /proc/self/exe) under `limits`, its output kept in `scratch`, and read
 * its JSON. Fails with IMPACT_EINVALID and impact's own error when it
 * exits non-zero (bad selection options, say), IMPACT_ERROR when its
 * output is not the JSON expected or it was stopped.
 */
int impact_audit_select(impact_audit_selection *out, const char *repo_dir, const char *rev,
                        const char *const *args, size_t nargs, const char *scratch,
                        const impact_child_limits *limits);
void impact_audit_selection_release(impact_audit_selection *sel);

/*
 * Does the selection run test `nodeid` of file `file`: the full suite,
 * the file selected itself, under a selected folder or matched by a
 * selected glob, or the test selected by a node id (itself, its class,
 * or all its parameters). `nodeid` NULL asks for the whole file.
 */
bool impact_audit_covers(const impact_audit_selection *sel, const char *file,
                         const char *nodeid);

#endif
