/*
 * runner.c - run the selection like a careful engineer would (see runner.h).
 *
 * The order of things: choose the interpreter and say which and why;
 * pre-flight (pytest importable, inside a linked worktree the packages
 * must come from it, an import smoke check, a collection check), each
 * stopping the run with one clear error; then pytest in its own session
 * under a time limit, stopped politely (SIGINT to its process group, a
 * grace window, SIGKILL) on expiry or Ctrl-C; then everything the run
 * left behind is reaped the same way. Results come from pytest's JUnit
 * XML, completed by impact's pytest plugin when it is installed (exact
 * node ids, xpassed, the test running when the run was stopped, and the
 * live status line on a terminal). A known-flaky failure does not fail
 * the run; when pytest stopped at one (-x) the tests it did not reach
 * are run, and with --retry-flaky the flaky test itself once more. A run
 * is complete only when every collected test reported: one that ended
 * early (a test calling os._exit(0) or pytest.exit(returncode=0), a
 * crash, a lost xdist worker) fails, naming the tests that never ran. The
 * outcome is written to last-run.json (lastrun.c) for --last-failed,
 * `impact status` and the hooks.
 *
 * impact writes nothing in the work tree, the index or the refs: its
 * files live under <common git dir>/impact/ (the JUnit XML and event
 * file of a round, removed afterwards; last-run.json; last-run.log).
 *
 * The one static is the signal flag: a handler can only set a volatile
 * sig_atomic_t, and nothing can be handed to it.
 */
#include "runner_private.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupts;

static void on_interrupt(int sig)
{
	IMPACT_UNUSED(sig);
	interrupts = interrupts + 1;
}

/* --- the report ----------------------------------------------------------- */

static int exit_code_of(const runner *r)
{
	bool collect_errors = false;
	for (size_t i = 0; i < r->res.n; i++)
		collect_errors = collect_errors || r->res.cases[i].collect_error;
	if (r->interrupted)
		return IMPACT_EXIT_INTERRUPTED;
	if (r->timed_out)
		return IMPACT_EXIT_TIMEOUT;
	if (r->notes.usage_error)
		return IMPACT_EXIT_USAGE;
	if (collect_errors || r->notes.internal_error)
		return IMPACT_EXIT_PYTHON;
	if (impact_flaky_real_failures(&r->res) || r->notes.unexplained || r->notes.stopped_inside ||
	    r->notes.crash_signal || r->notes.incomplete)
		return IMPACT_EXIT_FAILED;
	return IMPACT_EXIT_OK;
}

/* --- the record ----------------------------------------------------------- */

static void record_history(const runner *r)
{
	impact_history *hist = NULL;
	const char **ids, **files;
	const char *commit;
	if (!r->res.n || impact_history_open(&hist, r->cli->repo) < 0)
		return;
	ids = impact_xcalloc(r->res.n, sizeof(char *));
	files = impact_xcalloc(r->res.n, sizeof(char *));
	commit = r->ctx && !git_oid_is_zero(&r->ctx->range->new_commit)
	         ? git_oid_tostr_s(&r->ctx->range->new_commit) : NULL;
	for (size_t i = 0; i < r->res.n; i++) {
		ids[i] = r->res.cases[i].nodeid ? r->res.cases[i].nodeid : r->res.cases[i].name;
		files[i] = r->res.cases[i].file;
	}
	if (impact_history_record(hist, commit, &r->res, ids, files) < 0 && !r->o->quiet)
		impact_cli_warn_last();
	free(ids);
	free(files);
	impact_history_close(hist);
}

/* last-run.json, and with --json --run the selection's JSON with "run" on stdout. */
static void record(const runner *r, int exit_code, const char *prev_range)
{
	impact_lastrun_rec rec = { 0 };
	impact_buf range = IMPACT_BUF_INIT, tested = IMPACT_BUF_INIT;
	char commit[GIT_OID_HEXSZ + 1] = "";
	json_t *run, *doc = NULL;

	if (r->ctx && !git_oid_is_zero(&r->ctx->range->new_commit)) {
		git_oid_tostr(commit, sizeof(commit), &r->ctx->range->new_commit);
		rec.commit = commit;
	}
	if (r->ctx) {
		impact_buf_printf(&range, "%s..%s", r->ctx->range->old_label, r->ctx->range->new_label);
		rec.range = range.ptr;
	} else {
		rec.range = prev_range; /* --last-failed: the failures belong to that range */
	}
	rec.started = r->started;
	rec.duration_s = (impact_now_ms() - r->t0) / 1000.0;
	rec.exit_code = exit_code;
	rec.results = &r->res;
	rec.log = r->log_started ? r->log_path : NULL;
	if (r->o->exact_root)
		impact_buf_printf(&tested, "%s in a private checkout", r->o->exact_label);
	rec.tested = r->o->exact_root ? tested.ptr : NULL;
	run = impact_lastrun_json(&rec);
	if (impact_lastrun_write(r->cli->repo, run) < 0)
		impact_cli_warn_last();
	if (r->o->json) {
		char *text;
		doc = r->ctx ? impact_report_json_doc(r->ctx) : json_object();
		json_object_set(doc, "run", run);
		text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(doc);
	}
	json_decref(run);
	impact_buf_release(&range);
	impact_buf_release(&tested);
}

/* --- the whole run -------------------------------------------------------- */

/* An embedded run goes on past failures: -x, --exitfirst and --maxfail go. */
static void drop_stop_flags(impact_strlist *flags)
{
	size_t k = 0;
	for (size_t i = 0; i < flags->n; i++) {
		const char *f = flags->items[i];
		if (!strcmp(f, "-x") || !strcmp(f, "--exitfirst") || !strncmp(f, "--maxfail", 9)) {
			free(flags->items[i]);
			continue;
		}
		flags->items[k++] = flags->items[i];
	}
	flags->n = k;
}

/* Can `py` import `module`? (One interpreter start.) */
static bool python_can_import(const impact_python *py, const char *workdir, const char *module)
{
	impact_strlist argv = { 0 };
	impact_child_opts co = { 0 };
	impact_buf code = IMPACT_BUF_INIT;
	int status = 1;
	for (size_t i = 0; i < py->argv.n; i++)
		impact_strlist_push(&argv, py->argv.items[i]);
	impact_buf_printf(&code, "import %s", module);
	impact_strlist_push(&argv, "-c");
	impact_strlist_push(&argv, code.ptr);
	co.cwd = workdir;
	co.quiet = true;
	if (impact_child_run(&status, impact_child_argv(&argv), &co) < 0)
		status = 1;
	impact_strlist_release(&argv);
	impact_buf_release(&code);
	return status == 0;
}

/* A pre-flight error `rc` said, as the exit code to stop with (0 for none). */
static int preflight_verdict(runner *r, int rc)
{
	if (rc >= 0)
		return 0;
	impact_cli_error(rc);
	free(r->preflight_error);
	r->preflight_error = impact_xstrdup(impact_error_last());
	if (r->o->embed && !r->o->embed->error)
		r->o->embed->error = impact_xstrdup(impact_error_last());
	if (r->pf.end == IMPACT_CHILD_TIMED_OUT)
		r->timed_out = true;
	/* What goes wrong in the pre-flight is the interpreter's or the project's. */
	return r->pf.end == IMPACT_CHILD_INTERRUPTED ? IMPACT_EXIT_INTERRUPTED
	       : r->pf.end == IMPACT_CHILD_TIMED_OUT ? IMPACT_EXIT_TIMEOUT
	       : impact_exit_from_error(rc == IMPACT_ERROR ? IMPACT_EPYTHON : rc);
}

/*
 * The pre-flight check: the interpreter, and the packages' imports,
 * started here to run beside the first round (its interpreter start and
 * imports were a fifth of a post-commit run on jinja, spent waiting);
 * runner_preflight_done takes its verdict. Collection is not checked
 * beforehand: the run collects its targets before any test runs and
 * stops on the same errors, which the plugin reports per file
 * (preflight.h). 0, or the exit code to stop with (said).
 */
static int preflight_start(runner *r)
{
	impact_strlist pkgs = { 0 };
	bool worktree = strcmp(git_repository_commondir(r->cli->repo),
	                       git_repository_path(r->cli->repo)) != 0;
	int rc;

	impact_strlist_push(&r->pf_env, r->marker.ptr);
	r->pf.python = &r->python;
	r->pf.pytest = &r->pytest;
	r->pf.custom_command = r->test_command && r->test_command->n;
	r->pf.workdir = r->cli->workdir;
	r->pf.env_add = impact_child_argv(&r->pf_env);
	r->pf.limits = &r->lim;
	r->pf.exact = r->o->exact_root != NULL;
	r->pf_t0 = impact_now_ms();
	impact_preflight_packages(&pkgs, r->cli->workdir);
	rc = impact_preflight_python_start(&r->pf, &r->pf_job, &pkgs, worktree, true);
	impact_strlist_release(&pkgs);
	r->pf_pending = true;
	if (rc < 0) { /* the interpreter does not start: said now */
		r->pf_job.started = false;
		r->pf_exit = preflight_verdict(r, rc);
		r->pf_pending = false;
	}
	return r->pf_exit;
}

int runner_preflight_done(runner *r, bool wait)
{
	int rc;
	if (!r->pf_pending)
		return r->pf_exit;
	if (!wait && !impact_preflight_python_poll(&r->pf_job))
		return -1;
	r->pf_pending = false;
	rc = impact_preflight_python_finish(&r->pf, &r->pf_job);
	impact_preflight_job_release(&r->pf_job);
	if (rc == 0 && !r->o->quiet && getenv("IMPACT_TIMINGS"))
		fprintf(stderr, "impact: pre-flight took %.0f ms (interpreter and imports, beside "
		        "the run)\n", impact_now_ms() - r->pf_t0);
	r->pf_exit = preflight_verdict(r, rc);
	return r->pf_exit;
}

/*
 * Targets pytest cannot take as they are (impact_run_target_args): said,
 * with what runs instead. A target that is not UTF-8 breaks pytest's
 * JUnit XML writer (an INTERNALERROR at the end of the run): the run goes
 * without it, on the plugin's events, or is refused without the plugin.
 * 0, or the exit code to stop with (said).
 */
static int say_unsafe_targets(runner *r, const impact_strlist *targets)
{
	impact_strlist args = { 0 }, unsafe = { 0 };
	impact_buf line = IMPACT_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < targets->n; i++) {
		size_t before = unsafe.n;
		impact_strlist_release(&args);
		impact_run_target_args(&args, &unsafe, r->cli->workdir,
		                       (const char *const *)&targets->items[i], 1);
		if (!r->no_junit && !impact_report_is_utf8(targets->items[i])) {
			impact_buf_clear(&line);
			impact_report_quote_path(&line, targets->items[i]);
			if (!r->plugin_dir) {
				rc = impact_cli_error_exit(IMPACT_EXIT_USAGE, "pytest cannot write its JUnit "
				                           "XML for '%s' (a file name that is not UTF-8) and "
				                           "impact's pytest plugin is not installed to record "
				                           "the run instead: rename the file", line.ptr);
				break;
			}
			r->no_junit = true;
			if (!r->o->quiet)
				fprintf(stderr, "impact: '%s' is not a UTF-8 name, which pytest's cache "
				        "cannot hold%s: the run goes without %s\n", line.ptr,
				        runner_junitxml(r) ? " (nor its JUnit XML)" : "",
				        runner_junitxml(r) ? "both" : "it");
		}
		if (unsafe.n == before || r->o->quiet)
			continue;
		impact_buf_clear(&line);
		impact_report_quote_path(&line, targets->items[i]);
		impact_buf_puts(&line, "' as an argument (it reads '::' as a node id and '[' as a "
		                "parameter id, with no escape): running its folder '");
		impact_report_quote_path(&line, args.items[0]);
		fprintf(stderr, "impact: pytest cannot take '%s' instead\n", line.ptr);
	}
	impact_strlist_release(&args);
	impact_strlist_release(&unsafe);
	impact_buf_release(&line);
	return rc;
}

/*
 * A full suite is pytest's own collection (no targets), unless rules put
 * files first: then those files, followed by what pytest would collect
 * (testpaths, else the root); pytest skips a path it already collected.
 */
static void full_suite_targets(impact_strlist *out, const impact_report_ctx *ctx)
{
	const impact_selection *sel = ctx->selection;
	const impact_pytestcfg *pc = &ctx->project->cfg;
	for (size_t i = 0; i < sel->ntests; i++) {
		const impact_selected *s = &sel->tests[i];
		if (s->reason == IMPACT_SELECT_RULE && s->group == 0 && s->file != IMPACT_STRPOOL_NONE &&
		    !strcmp(s->target, ctx->project->files[s->file].path))
			impact_strlist_push(out, s->target);
	}
	if (!out->n)
		return;
	for (size_t i = 0; i < pc->testpaths.n; i++)
		impact_strlist_push(out, pc->testpaths.items[i]);
	if (!pc->testpaths.n)
		impact_strlist_push(out, ".");
}

/*
 * The targets: the selection's files (none for a full suite: pytest's own
 * collection), or the previous run's failures. Returns 0; 1 when there is
 * nothing to run (said); an IMPACT_E* code when last-run.json is damaged.
 */
static int targets_of(impact_strlist *out, char **prev_range, const runner *r)
{
	const impact_report_ctx *ctx = r->ctx;
	int rc = 0, prev_exit = 0;

	if (r->o->embed && r->o->embed->targets) {
		for (size_t i = 0; i < r->o->embed->targets->n; i++)
			impact_strlist_push(out, r->o->embed->targets->items[i]);
		goto done;
	}
	if (ctx) {
		const impact_selection *sel = ctx->selection;
		if (!sel->full_suite || r->o->explicit_targets) {
			for (size_t i = 0; i < sel->ntests; i++)
				impact_strlist_push(out, sel->tests[i].target);
		} else {
			full_suite_targets(out, ctx);
		}
		goto done;
	}
	rc = impact_lastrun_read_failed(out, prev_range, &prev_exit, r->cli->repo);
	if (rc == IMPACT_ENOTFOUND) {
		fprintf(stderr, "impact: %s: nothing to rerun\n", impact_error_last());
		rc = 1;
	} else if (rc < 0) {
		/* the caller says it */
	} else if (!out->n && prev_exit != IMPACT_EXIT_OK && prev_exit != IMPACT_EXIT_FAILED) {
		fprintf(stderr, "impact: the previous run ended with exit %d (%s) and recorded no failed "
		        "test: nothing to rerun; run 'impact' again\n", prev_exit, impact_exit_brief(prev_exit));
		rc = 1;
	} else if (!out->n) {
		fprintf(stderr, "impact: nothing failed in the previous run: nothing to rerun\n");
		rc = 1;
	} else if (!r->o->quiet) {
		fprintf(stderr, "impact: rerunning the %zu test%s that failed in the previous run\n",
		        out->n, out->n == 1 ? "" : "s");
	}
done:
	return rc;
}

/* --- the phases of a run ---------------------------------------------------- */

/* The signals a run catches (Ctrl-C, SIGTERM, SIGHUP), and what they did before. */
typedef struct caught {
	struct sigaction old_int, old_term, old_hup;
} caught;

static void catch_signals(caught *c)
{
	struct sigaction sa;
	interrupts = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &c->old_int);
	sigaction(SIGTERM, &sa, &c->old_term);
	sigaction(SIGHUP, &sa, &c->old_hup);
}

static void restore_signals(const caught *c)
{
	sigaction(SIGINT, &c->old_int, NULL);
	sigaction(SIGTERM, &c->old_term, NULL);
	sigaction(SIGHUP, &c->old_hup, NULL);
}

/* The run's state from its arguments; nothing started yet. */
static void runner_init(runner *r, impact_cli *cli, const impact_runner_opts *o,
                        const impact_report_ctx *ctx, const impact_config *config,
                        char **args, size_t nargs)
{
	memset(r, 0, sizeof(*r));
	r->run_cli = *cli;
	r->cli = &r->run_cli;
	r->user_workdir = cli->workdir;
	if (o->exact_root) {
		r->run_cli.workdir = o->exact_root;
		r->real_root = realpath(o->exact_root, NULL);
		if (r->real_root && !strcmp(r->real_root, o->exact_root)) {
			free(r->real_root);
			r->real_root = NULL;
		}
	}
	r->o = o;
	r->ctx = ctx;
	r->config = config;
	r->args = (const char *const *)args;
	r->nargs = nargs;
	r->t0 = impact_now_ms();
	r->started = time(NULL);
	if (o->embed) {
		o->embed->stopped = false;
		o->embed->log_path = NULL;
		o->embed->error = NULL;
	}
	impact_buf_init(&r->run_id);
	impact_buf_init(&r->marker);
}

static void runner_release(runner *r)
{
	free(r->real_root);
	free(r->preflight_error);
	impact_strlist_release(&r->exact_command);
	free(r->plugin_dir);
	free(r->log_path);
	impact_buf_release(&r->run_id);
	impact_buf_release(&r->marker);
	impact_strlist_release(&r->pytest);
	impact_strlist_release(&r->flags);
	impact_strlist_release(&r->remaining);
	impact_strlist_release(&r->never_ran);
	impact_strlist_release(&r->shadowed);
	impact_preflight_job_release(&r->pf_job);
	impact_strlist_release(&r->pf_env);
	impact_results_release(&r->res);
	impact_python_release(&r->python);
	impact_recording_release(&r->recording);
}

/*
 * The interpreter (said, with why), an exact run's PYTHONPATH (the old one
 * saved in `pp`), the run's id, pytest's command and flags, the time
 * limit. 0, or the exit code to stop with (said).
 */
static int choose_command(runner *r, const impact_strlist *targets, runner_pythonpath *pp)
{
	const impact_runner_opts *o = r->o;
	const char *workdir = r->user_workdir;
	struct timespec now;
	int rc = impact_python_choose(&r->python, workdir, r->config ? r->config->python : NULL);
	if (rc < 0)
		return impact_cli_error(rc);
	if (!o->quiet)
		fprintf(stderr, "impact: python: %s\n", r->python.why);
	if (o->exact_root) {
		runner_exact_interpreter(&r->python, workdir);
		runner_exact_pythonpath(&pp->saved, &pp->had, o->exact_root);
		pp->set = true;
		if (!o->quiet)
			fprintf(stderr, "impact: testing %s in a private checkout (%s), its code first on "
			        "PYTHONPATH\n", o->exact_label, o->exact_root);
	}
	clock_gettime(CLOCK_REALTIME, &now);
	impact_buf_printf(&r->run_id, "%d-%lld%09ld", (int)getpid(), (long long)now.tv_sec, now.tv_nsec);
	impact_buf_printf(&r->marker, "IMPACT_RUN_ID=%s", r->run_id.ptr);
	r->test_command = r->config ? &r->config->test_command : NULL;
	if (o->exact_root && r->test_command && r->test_command->n) {
		/* `uv run pytest`: the user's project environment, not one made in the checkout. */
		impact_python cmd = { 0 };
		for (size_t i = 0; i < r->test_command->n; i++)
			impact_strlist_push(&cmd.argv, r->test_command->items[i]);
		runner_exact_interpreter(&cmd, workdir);
		r->exact_command = cmd.argv;
		r->test_command = &r->exact_command;
	}
	impact_run_pytest(&r->pytest, &r->python, r->test_command);
	impact_run_default_flags(&r->flags, r->config, o->no_default_flags);
	if (o->embed)
		drop_stop_flags(&r->flags);
	r->plugin_dir = impact_run_plugin_dir();
	r->limit_s = impact_run_time_limit(o->timeout, r->config, (const char *const *)targets->items,
	                                   targets->n);
	r->lim.timeout_s = r->limit_s;
	r->lim.grace_s = o->grace ? o->grace : 5;
	r->lim.interrupted = &interrupts;
	r->interrupts = &interrupts;
	return 0;
}

/* Recording what the tests execute; node ids run part of a file, so its record would be partial. */
static void start_recording(runner *r, const impact_strlist *targets)
{
	impact_strlist rec_args = { 0 };
	for (size_t i = 0; i < r->nargs; i++)
		impact_strlist_push(&rec_args, r->args[i]);
	for (size_t i = 0; r->o->embed && i < targets->n; i++)
		if (strstr(targets->items[i], "::"))
			impact_strlist_push(&rec_args, targets->items[i]);
	impact_recording_init(&r->recording, r->cli, r->o->no_record, r->o->quiet,
	                      (const char *const *)rec_args.items, rec_args.n,
	                      r->o->exact_root ? r->o->exact_tree : NULL);
	impact_strlist_release(&rec_args);
}

/* -n when the interpreter has pytest-xdist; serially (said) when not. */
static void choose_workers(runner *r)
{
	r->workers = r->o->workers;
	if (r->o->workers && !python_can_import(&r->python, r->cli->workdir, "xdist")) {
		fprintf(stderr, "impact: pytest-xdist is not importable in %s: running serially "
		        "(install it there: python -m pip install pytest-xdist, or apt-get install "
		        "python3-pytest-xdist)\n", r->python.argv.items[0]);
		r->workers = NULL;
	}
}

/*
 * pytest on `targets`, then on what a stop at a known-flaky failure left
 * and (--retry-flaky) the flaky failures again, at most MAX_ROUNDS times.
 * 0, or the exit code to stop with (said) when pytest cannot be started.
 */
static int run_rounds(runner *r, impact_strlist *targets)
{
	for (bool rerun = false; r->rounds < MAX_ROUNDS;) {
		impact_strlist next = { 0 };
		bool retrying = false, continuing = false;
		int rc = runner_run_round(r, targets, rerun);
		if (rc < 0)
			return impact_cli_error(rc);
		if (!r->interrupted && !r->timed_out && !interrupts && !r->notes.crash_signal &&
		    !r->notes.usage_error && !r->notes.internal_error && !r->notes.stopped_inside &&
		    !r->notes.incomplete && !r->pf_exit)
			impact_flaky_next(&next, &r->res, &r->remaining, r->o->retry_flaky, &retrying,
			                  &continuing);
		if (!next.n) {
			impact_strlist_release(&next);
			break;
		}
		if (!r->o->quiet)
			fprintf(stderr, "impact: %s%s%s\n",
			        continuing ? "pytest stopped at a known-flaky failure: running the tests it did not reach" : "",
			        continuing && retrying ? "; " : "",
			        retrying ? "retrying the failed known-flaky tests once (--retry-flaky)" : "");
		impact_strlist_release(targets);
		*targets = next;
		rerun = true;
	}
	return 0;
}

/* The report on stderr (not for an embedded run), GitHub's annotations; the exit code. */
static int report(runner *r)
{
	impact_buf text = IMPACT_BUF_INIT;
	r->notes.seconds = (impact_now_ms() - r->t0) / 1000.0;
	r->notes.never_ran = &r->never_ran;
	r->notes.shadowed = &r->shadowed;
	r->notes.workdir = r->cli->workdir;
	if (!r->o->embed) {
		impact_runreport_text(&text, &r->res, r->ctx, &r->notes);
		fputs(text.ptr, stderr);
	}
	if (r->o->format && !strcmp(r->o->format, "github")) {
		/* With --json, stdout is the JSON: the annotations go to stderr (GitHub reads both). */
		impact_buf_clear(&text);
		impact_runreport_github(&text, &r->res);
		fputs(text.ptr, r->o->json ? stderr : stdout);
	}
	impact_buf_release(&text);
	return exit_code_of(r);
}

/* After a run that started (or stopped in its pre-flight): the last words, and the record. */
static void conclude(runner *r, int exit_code, const char *prev_range)
{
	const impact_runner_opts *o = r->o;
	if (o->exact_root) {
		if (exit_code != IMPACT_EXIT_OK)
			runner_exact_missing_hint(r);
		fprintf(stderr, "impact: tested %s in a private checkout\n", o->exact_label);
	}
	if (r->log_started && !o->quiet)
		fprintf(stderr, "impact: pytest's output: %s\n", r->log_path);
	record(r, exit_code, prev_range);
}

/* An embedded run's results and log go to its front end. */
static void hand_over(runner *r)
{
	impact_runner_embed *em = r->o->embed;
	em->results = r->res;
	memset(&r->res, 0, sizeof(r->res));
	em->log_path = r->log_started ? r->log_path : NULL;
	if (r->log_started)
		r->log_path = NULL;
}

int impact_runner_run(impact_cli *cli, const impact_runner_opts *o,
                      const impact_report_ctx *ctx, const impact_config *config,
                      char **args, size_t nargs)
{
	runner r;
	impact_strlist targets = { 0 };
	runner_pythonpath pp = { IMPACT_BUF_INIT, false, false };
	caught signals;
	char *prev_range = NULL;
	int rc, exit_code = IMPACT_EXIT_OK;
	bool started = false;

	runner_init(&r, cli, o, ctx, config, args, nargs);
	catch_signals(&signals);
	if (!cli->workdir) {
		exit_code = impact_cli_error_exit(IMPACT_EXIT_USAGE, "a bare repository has no work "
		                                  "tree to run tests in: use --list, --explain or --json");
		goto done;
	}
	if ((rc = targets_of(&targets, &prev_range, &r)) != 0) {
		exit_code = rc > 0 ? IMPACT_EXIT_OK : impact_cli_error(rc);
		goto done;
	}
	started = true;
	if ((exit_code = choose_command(&r, &targets, &pp)) != 0)
		goto done;
	impact_reap_become_subreaper();
	if ((exit_code = say_unsafe_targets(&r, &targets)) != 0)
		goto done;
	start_recording(&r, &targets);
	if (!o->no_preflight && (exit_code = preflight_start(&r)) != 0)
		goto done;
	choose_workers(&r);
	if ((exit_code = run_rounds(&r, &targets)) != 0)
		goto done;
	/* A failed pre-flight voids the run (its records were dropped): said instead. */
	if ((exit_code = runner_preflight_done(&r, true)) != 0)
		goto done;
	exit_code = report(&r);
	record_history(&r);
done:
	if (r.pf_pending) { /* the run did not start: the check may say why */
		int pf = runner_preflight_done(&r, true);
		if (pf)
			exit_code = pf;
	}
	if (started)
		conclude(&r, exit_code, prev_range);
	if (o->embed)
		hand_over(&r);
	restore_signals(&signals);
	if (pp.set && pp.had)
		setenv("PYTHONPATH", pp.saved.ptr, 1);
	else if (pp.set)
		unsetenv("PYTHONPATH");
	impact_buf_release(&pp.saved);
	free(prev_range);
	impact_strlist_release(&targets);
	runner_release(&r);
	return exit_code;
}
