/*
 * cmd_audit.c - `impact audit`: check on this repository that the
 * selection misses no test a change breaks (audit.c does the work).
 *
 *     impact audit --mutate N [--functions] [--records] [--seed S] [--json] [-- <selection options>]
 *     impact audit --full <revspec> [--json] [-- <selection options>]
 *     impact audit [--json] ...     (the [audit] table of the configuration says)
 *
 * Progress goes to stderr, the report (text, or JSON with --json) to
 * stdout. Exit codes: 0 no miss, 1 a miss, 2 usage error, 3 the unmutated
 * suite (or, with --full, the one before the first commit) does not run to
 * its end or no interpreter has pytest, 4 no miss but some test files could
 * not be checked (a run hit its time limit, or a mutant kept test files
 * from running), 5 an I/O, git or system error, 130 interrupted: the
 * codes of error.h's table, read for an audit. The temporary checkouts are removed on
 * every one of these paths, Ctrl-C included.
 *
 * The one static is the signal flag: a handler can only set a volatile
 * sig_atomic_t, and nothing can be handed to it (as in runner.c).
 */
#include "cli.h"

#include "audit.h"
#include "opts.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>

static volatile sig_atomic_t interrupts;

static void on_interrupt(int sig)
{
	IMPACT_UNUSED(sig);
	interrupts = interrupts + 1;
}

static const char usage_line[] =
	"impact audit (--mutate <N> [--functions] [--seed <S>] | --full <revspec>) [options] [-- <selection options>]";

static void progress(const char *line, void *payload)
{
	IMPACT_UNUSED(payload);
	fprintf(stderr, "impact: audit: %s\n", line);
}

/* Options that do not go together: a usage error said, or IMPACT_EXIT_OK. */
static int check_usage(const char *arg, unsigned mutate, const char *full, unsigned seed,
                       bool functions, bool records)
{
	if (arg) {
		return impact_cli_error_usage("audit", usage_line, "unexpected argument '%s' (--full "
		                              "takes the range: --full %s; selection options go "
		                              "after '--')", arg, arg);
	}
	if (mutate != UINT_MAX && full) {
		return impact_cli_error_usage("audit", usage_line, "give one of --mutate N and "
		                              "--full <revspec>");
	}
	if (mutate == 0) {
		return impact_cli_error_usage("audit", NULL, "--mutate takes a number of mutants above 0");
	}
	if (records && full) {
		return impact_cli_error_usage("audit", NULL, "--records goes with --mutate, not --full");
	}
	if ((seed != UINT_MAX || functions) && full) {
		return impact_cli_error_usage("audit", NULL, "--%s goes with --mutate only",
		                              functions ? "functions" : "seed");
	}
	return IMPACT_EXIT_OK;
}

/* The audit, with Ctrl-C, SIGTERM and SIGHUP asking it to stop between runs. */
static int run_audit(impact_audit_report *rep, git_repository *repo, impact_audit_opts *ao)
{
	struct sigaction sa, old_int, old_term, old_hup;
	int rc;
	interrupts = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	rc = impact_audit_run(rep, repo, ao);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	return rc;
}

int cmd_audit(int argc, char **argv, impact_cli *cli)
{
	unsigned mutate = UINT_MAX, seed = UINT_MAX;
	const char *full = NULL;
	bool json = false, quiet = false, no_cache = false, functions = false, records = false;
	impact_audit_opts ao = { 0 };
	const impact_opt opts[] = {
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "what to audit" },
		{ IMPACT_OPT_UINT, 0, "mutate", &mutate, "N", "N mutants: modules with every function raising a marker" },
		{ IMPACT_OPT_FLAG, 0, "functions", &functions, NULL, "with --mutate: N mutants of one function or method each" },
		{ IMPACT_OPT_FLAG, 0, "records", &records, NULL, "with --mutate: record the unmutated run, select with records, static figures beside" },
		{ IMPACT_OPT_UINT, 0, "seed", &seed, "S", "the sample (default 0: the same sample each time)" },
		{ IMPACT_OPT_STRING, 0, "full", &full, "revspec", "each commit of a range (first parent) against its parent" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "how" },
		{ IMPACT_OPT_FLAG, 0, "json", &json, NULL, "the report as one JSON object on stdout" },
		{ IMPACT_OPT_UINT, 0, "timeout", &ao.timeout, "seconds", "limit of each full-suite run (default 600)" },
		{ IMPACT_OPT_UINT, 0, "grace", &ao.grace, "seconds", "teardown time between SIGINT and SIGKILL (default 5)" },
		{ IMPACT_OPT_UINT, 0, "threads", &ao.threads, "n", "parse with n threads (default: all CPUs)" },
		{ IMPACT_OPT_FLAG, 0, "no-cache", &no_cache, NULL, "parse every file, without the parse cache" },
		{ IMPACT_OPT_FLAG, 'q', "quiet", &quiet, NULL, "no progress on stderr" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL,
		  "With neither --mutate nor --full, the [audit] table of .impact.toml ([tool.impact.audit]\n"
		  "in pyproject.toml: mutate = N, functions = true, seed = S) says what to run.\n"
		  "Options after '--' go to each selection ('impact --json <commit> <options>'), e.g.\n"
		  "'-- --no-cache'. The work tree, index, HEAD and refs are never touched: each run\n"
		  "happens in a temporary checkout, removed afterwards.\n"
		  "exit codes: 0 no miss, 1 a failing test file was not selected, 2 usage error,\n"
		  "3 the unmutated suite does not run cleanly or no interpreter has pytest,\n"
		  "4 no miss but some test files could not be checked (time limit), 5 I/O, git or\n"
		  "system error, 130 Ctrl-C ('impact help' lists every exit code)." },
		{ IMPACT_OPT_END, 0, NULL, NULL, NULL, NULL },
	};
	char **pos = NULL, **rest = NULL;
	size_t npos = 0, nrest = 0;
	impact_audit_report rep = { 0 };
	impact_audit_totals t;
	impact_buf out = IMPACT_BUF_INIT;
	int rc, exit_code = IMPACT_EXIT_OK;

	rc = impact_opts_parse(opts, usage_line, argc, argv, &pos, &npos, &rest, &nrest);
	if (rc > 0)
		return IMPACT_EXIT_OK;
	if (rc < 0)
		return IMPACT_EXIT_USAGE;
	if ((exit_code = check_usage(npos ? pos[0] : NULL, mutate, full, seed, functions, records)) !=
	    IMPACT_EXIT_OK)
		goto done;

	ao.mode = full ? IMPACT_AUDIT_FULL : IMPACT_AUDIT_MUTATE;
	ao.mutate = full || mutate == UINT_MAX ? 0 : mutate; /* 0: the configuration's [audit] */
	ao.seed = seed == UINT_MAX ? 0 : seed;
	ao.seed_given = seed != UINT_MAX;
	ao.functions = functions;
	ao.records = records;
	ao.revspec = full;
	ao.select_args = (const char *const *)rest;
	ao.nselect_args = nrest;
	ao.no_cache = no_cache;
	ao.interrupted = &interrupts;
	ao.progress = quiet ? NULL : progress;

	rc = run_audit(&rep, cli->repo, &ao);

	if (rep.interrupted) {
		/* What was done so far is still worth seeing. */
		fprintf(stderr, "impact: audit interrupted: its temporary checkouts are removed\n");
		exit_code = IMPACT_EXIT_INTERRUPTED;
		rc = 0;
	} else if (rc < 0) {
		exit_code = impact_cli_error(rc);
		goto done;
	}
	if (json)
		rc = impact_audit_report_json(&out, &rep);
	else
		impact_audit_report_text(&out, &rep);
	if (rc < 0) {
		exit_code = impact_cli_error(rc);
		goto done;
	}
	if (out.size && fwrite(out.ptr, 1, out.size, stdout) != out.size)
		exit_code = impact_cli_error_os(errno, "cannot write to standard output");
	impact_audit_totals_of(&t, &rep);
	if (exit_code == IMPACT_EXIT_OK)
		exit_code = t.missed ? IMPACT_EXIT_FAILED : t.incomplete ? IMPACT_EXIT_TIMEOUT
		                                                         : IMPACT_EXIT_OK;
done:
	impact_audit_report_release(&rep);
	impact_buf_release(&out);
	free(pos);
	return exit_code;
}
