/*
 * runner_private.h - what runner.c (the whole run: interpreter, pre-flight,
 * rounds, report, records) and runround.c (one pytest run and what it
 * left) share: the run's state. Only cli/runner*.c include it.
 */
#ifndef IMPACT_RUNNER_PRIVATE_H
#define IMPACT_RUNNER_PRIVATE_H

#include "runner.h"

#include "child.h"
#include "events.h"
#include "exact.h"
#include "flaky.h"
#include "history.h"
#include "interp.h"
#include "junit.h"
#include "live.h"
#include "preflight.h"
#include "reap.h"
#include "recording.h"
#include "run.h"
#include "lastrun.h"
#include "runreport.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { MAX_ROUNDS = 4 };

typedef struct runner {
	impact_cli *cli;             /* with an exact run, workdir is the private checkout */
	impact_cli run_cli;
	const char *user_workdir;    /* the user's work tree (interpreter, exact-copy hints) */
	char *real_root;             /* the private checkout's real path, or NULL */
	char *preflight_error;       /* the pre-flight's message, for the exact-run hint */
	/* The pre-flight check, running beside the first round (runner_preflight_done): */
	impact_preflight pf;
	impact_preflight_job pf_job;
	impact_strlist pf_env;
	bool pf_pending;             /* started, verdict not taken yet */
	int pf_exit;                 /* its verdict: 0, or the exit code to stop with (said) */
	double pf_t0;
	int pf_stops;                /* it failed while pytest ran: a stop asked of the wait */
	const impact_strlist *test_command; /* the configuration's, or exact_command */
	impact_strlist exact_command;       /* an exact run's `uv run --project <work tree> ...` */
	const impact_runner_opts *o;
	const impact_report_ctx *ctx;
	const impact_config *config;
	const char *const *args;
	size_t nargs;
	const char *workers;         /* -n, when the interpreter has pytest-xdist */
	impact_python python;
	impact_strlist pytest;       /* pytest's command prefix */
	impact_strlist flags;        /* the default flags chosen */
	char *plugin_dir;            /* NULL: the plugin is not installed */
	bool no_junit;               /* a target is not UTF-8: the plugin's events are the record */
	impact_buf run_id, marker;   /* "<pid>-<ns>", "IMPACT_RUN_ID=<pid>-<ns>" */
	impact_child_limits lim;
	unsigned limit_s;            /* the run's time limit (all rounds) */
	double t0, run_t0;           /* impact_now_ms(): start, first round's start */
	time_t started;
	char *log_path;              /* pytest's output on a terminal, or NULL */
	bool log_started;
	impact_results res;          /* every round, merged by node id */
	impact_strlist remaining;    /* collected but not run in the last round */
	impact_strlist never_ran;    /* collected, never reported, not explained by a stop */
	impact_strlist shadowed;     /* repository packages the tests imported from outside it: name, where, ... */
	int rounds;
	/* What happened beyond test outcomes, over all rounds: */
	bool timed_out, interrupted;
	impact_run_notes notes;
	impact_recording recording;  /* recorded dependencies (recording.h) */
	/* With o->embed: interrupts plus the stops its tick asked for, polled by the wait. */
	volatile sig_atomic_t stops;
	int embed_stops;
	bool keep_spent;             /* embed->keep became a run: reaped like any */
	volatile sig_atomic_t *interrupts; /* runner.c's signal flag */
} runner;

/* PYTHONPATH as it was before an exact run set it (put back when the run ends). */
typedef struct runner_pythonpath {
	impact_buf saved;
	bool had, set;
} runner_pythonpath;

pid_t runner_keep_pid(const runner *r);
/*
 * The pre-flight's verdict (0, or the exit code to stop with, said once),
 * waiting for it when `wait`; with !wait, -1 while it still runs.
 */
int runner_preflight_done(runner *r, bool wait);
void runner_exact_pythonpath(impact_buf *saved, bool *had, const char *root);
void runner_exact_interpreter(impact_python *py, const char *workdir);
void runner_exact_missing_hint(const runner *r);
int runner_run_round(runner *r, const impact_strlist *targets, bool rerun);
/* Where the user wants pytest's JUnit XML (--junitxml, before or after `--`), or NULL. */
const char *runner_junitxml(const runner *r);

#endif
