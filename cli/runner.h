/*
 * runner.h - run the selection like a careful engineer would, and report.
 *
 * Owns everything between "these tests are selected" and the exit code:
 * the interpreter choice, the pre-flight checks, pytest's command line,
 * time limits, process hygiene, results, the report, the last-run record
 * and --last-failed, and known-flaky handling. cmd_select.c calls it
 * after selecting.
 *
 * Exit codes (cli.h): 0 all selected tests passed (known-flaky failures
 * do not count), nothing was selected, or pytest collected nothing (its
 * exit 5); 1 test failures (also: a test crashed pytest, or stopped the
 * run from inside: pytest's exit 2 without collection errors); 2 usage or
 * configuration error, pytest's own usage error (its exit 4) included; 3
 * a collection or import error (pytest's exit 2 with collection errors),
 * or an interpreter problem (pytest missing, the worktree importing the
 * main checkout, pytest's internal error: its exit 3); 4 the time limit;
 * 130 interrupted (Ctrl-C, SIGTERM, SIGHUP).
 */
#ifndef IMPACT_RUNNER_H
#define IMPACT_RUNNER_H

#include "cli.h"
#include "config.h"
#include "report.h"

/* Where a planned run tests (planout.c decides; the runner only sees exact_root). */
typedef enum impact_exact_mode {
	IMPACT_EXACT_NO = 0,   /* the work tree: manual `impact A..B`, --no-exact */
	IMPACT_EXACT_AUTO,     /* hooks and --gate: a private checkout unless `exact = false` */
	IMPACT_EXACT_YES,      /* --exact */
} impact_exact_mode;

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
} impact_runner_opts;

/*
 * Run the tests `ctx` selected (ctx is NULL with --last-failed), with
 * `args` (after `--`) passed to pytest. Prints progress and the report;
 * returns an IMPACT_EXIT_* code (or 130).
 */
int impact_runner_run(impact_cli *cli, const impact_runner_opts *o,
                      const impact_report_ctx *ctx, const impact_config *config,
                      char **args, size_t nargs);

#endif
