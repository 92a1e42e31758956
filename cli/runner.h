/*
 * runner.h - run the selection like a careful engineer would, and report.
 *
 * Owns everything between "these tests are selected" and the exit code:
 * the interpreter choice, the pre-flight checks, pytest's command line,
 * time limits, process hygiene, results, the report, the last-run record
 * and --last-failed, and known-flaky handling. cmd_select.c calls it
 * after selecting.
 *
 * Exit codes (error.h's table): 0 all selected tests passed (known-flaky failures
 * do not count), nothing was selected, or pytest collected nothing (its
 * exit 5); 1 test failures (also: a test crashed pytest, or stopped the
 * run from inside: pytest's exit 2 without collection errors); 2 usage or
 * configuration error, pytest's own usage error (its exit 4) included; 3
 * a collection or import error (pytest's exit 2 with collection errors),
 * or an interpreter problem (pytest missing, the worktree importing the
 * main checkout, pytest's internal error: its exit 3); 4 the time limit;
 * 5 impact itself could not read or write what it needs (last-run.json
 * damaged, a state file); 130 interrupted (Ctrl-C, SIGTERM, SIGHUP).
 */
#ifndef IMPACT_RUNNER_H
#define IMPACT_RUNNER_H

#include "cli.h"
#include "config.h"
#include "events.h"
#include "junit.h"
#include "report.h"

/* Where a planned run tests (planout.c decides; the runner only sees exact_root). */
typedef enum impact_exact_mode {
	IMPACT_EXACT_NO = 0,   /* the work tree: manual `impact A..B`, --no-exact */
	IMPACT_EXACT_AUTO,     /* hooks and --gate: a private checkout unless `exact = false` */
	IMPACT_EXACT_YES,      /* --exact */
} impact_exact_mode;

#include <sys/types.h>

/*
 * For a front end that makes many runs and shows them itself (impact
 * watch): what to run instead of the selection, a hook polled while pytest
 * runs, and the results handed back. With it the run goes on past failures
 * (no -x), pytest's output goes to last-run.log, and no report is printed.
 */
typedef struct impact_runner_embed {
	const impact_strlist *targets; /* node ids or files to run; NULL = the selection */
	/* Polled about every 20 ms while pytest runs: true stops the run politely
	 * (SIGINT, grace, SIGKILL), as Ctrl-C would, without counting as one. */
	bool (*tick)(void *payload);
	/* Each test begun (IMPACT_EVENT_BEGIN) and finished (IMPACT_EVENT_DONE). */
	void (*on_test)(impact_event_kind kind, const char *id, impact_outcome outcome, void *payload);
	/* Start pytest's command `argv` (with `env_add`, output appended to
	 * `output`) some faster way (a prepared interpreter): 0 and *pid, or
	 * IMPACT_ENOTFOUND to have the runner start it as usual. NULL = never. */
	int (*spawn)(pid_t *pid, const char *const *argv, const char *const *env_add,
	             const char *output, void *payload);
	pid_t keep;                    /* a child of impact no reaping may touch (the prepared
	                                  interpreter, until spawn hands it the run), or 0 */
	void *payload;
	/* Out: every record of the run (the caller releases it), and whether
	 * tick() stopped it. */
	impact_results results;
	bool stopped;
	char *log_path;                /* pytest's output (owned), or NULL */
	char *error;                   /* why the pre-flight stopped the run (owned), or NULL */
} impact_runner_embed;

typedef struct impact_runner_opts {
	bool no_preflight;       /* --no-preflight */
	bool no_default_flags;   /* --no-default-flags */
	bool last_failed;        /* --last-failed: rerun the previous run's failures */
	bool retry_flaky;        /* --retry-flaky: rerun a failing known-flaky test once */
	bool json;               /* --json with --run: JSON report with results on stdout */
	bool quiet;              /* -q */
	unsigned timeout;        /* --timeout SECONDS; 0 = default */
	unsigned grace;          /* --grace SECONDS; 0 = default (5) */
	const char *workers;     /* -n N|auto, or NULL */
	const char *junitxml;    /* --junitxml PATH: keep pytest's JUnit XML there */
	const char *format;      /* --format github: annotations for CI; NULL = text */
	bool no_record;          /* --no-record: do not record what the tests executed */
	bool explicit_targets;   /* pass the selected files even for a full suite (--shard) */
	/*
	 * An exact-tree run (exactrun.h): pytest runs in this private checkout,
	 * which goes first on PYTHONPATH (then its src/); the interpreter is
	 * still chosen for the user's work tree. Paths in the report are the
	 * repository's. NULL: the work tree.
	 */
	impact_exact_mode exact;    /* for planout.c */
	bool require_head;          /* planout.c: outside a private checkout, test only HEAD's
	                               commit (pre-push with exact = false) */
	const char *exact_root;
	const git_oid *exact_tree;  /* the tree the checkout holds */
	const char *exact_label;    /* "commit 1a2b3c4", "the staged tree" */

	impact_runner_embed *embed; /* impact watch's runs, or NULL */
} impact_runner_opts;

/*
 * Run the tests `ctx` selected (ctx is NULL with --last-failed), with
 * `args` (after `--`) passed to pytest. Prints progress and the report;
 * returns an IMPACT_EXIT_* code.
 */
int impact_runner_run(impact_cli *cli, const impact_runner_opts *o,
                      const impact_report_ctx *ctx, const impact_config *config,
                      char **args, size_t nargs);

#endif
