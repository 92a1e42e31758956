/*
 * runner.h - run the selection like a careful engineer would, and report.
 *
 * Owns everything between "these tests are selected" and the exit code:
 * the interpreter choice, the pre-flight checks, pytest's command line,
 * time limits, process hygiene, results, the report, the last-failed
 * store and known-flaky handling. cmd_select.c calls it after selecting.
 */
#ifndef IMPACT_RUNNER_H
#define IMPACT_RUNNER_H

#include "cli.h"
#include "config.h"
#include "report.h"

typedef struct impact_runner_opts {
	bool no_preflight;       /* --no-preflight */
	bool no_default_flags;   /* --no-default-flags */
	bool last_failed;        /* --last-failed: rerun the previous run's failures */
	bool retry_flaky;        /* --retry-flaky (with known-flaky rules: not yet) */
	bool json;               /* --json with --run: JSON report with results on stdout */
	bool quiet;              /* -q */
	unsigned timeout;        /* --timeout SECONDS; 0 = default */
	unsigned grace;          /* --grace SECONDS; 0 = default (5) */
	const char *workers;     /* -n N|auto, or NULL */
	const char *junitxml;    /* --junitxml PATH: keep pytest's JUnit XML there */
	const char *format;      /* --format github: annotations for CI; NULL = text */
	bool explicit_targets;   /* pass the selected files even for a full suite (--shard) */
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
