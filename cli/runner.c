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

static volatile sig_atomic_t interrupts;

static void on_interrupt(int sig)
{
	IMPACT_UNUSED(sig);
	interrupts = interrupts + 1;
}

enum { MAX_ROUNDS = 4 };

typedef struct runner {
	impact_cli *cli;             /* with an exact run, workdir is the private checkout */
	impact_cli run_cli;
	const char *user_workdir;    /* the user's work tree (interpreter, exact-copy hints) */
	char *real_root;             /* the private checkout's real path, or NULL */
	char *preflight_error;       /* the pre-flight's message, for the exact-run hint */
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
	impact_collect_errors collect;
	int rounds;
	/* What happened beyond test outcomes, over all rounds: */
	bool timed_out, interrupted;
	impact_run_notes notes;
	impact_recording recording;  /* recorded dependencies (recording.h) */
	/* With o->embed: interrupts plus the stops its tick asked for, polled by the wait. */
	volatile sig_atomic_t stops;
	int embed_stops;
	bool keep_spent;             /* embed->keep became a run: reaped like any */
} runner;

/* The process reaping must leave alone, or 0. */
static pid_t keep_pid(const runner *r)
{
	return r->o->embed && !r->keep_spent ? r->o->embed->keep : 0;
}

/* --- small helpers ------------------------------------------------------ */

static void print_command(const impact_strlist *argv)
{
	impact_buf line = IMPACT_BUF_INIT;
	for (size_t i = 0; i < argv->n; i++) {
		if (i)
			impact_buf_putc(&line, ' ');
		if (i > 12 && argv->n > 16) {
			impact_buf_printf(&line, "... (%zu more)", argv->n - i);
			break;
		}
		impact_report_quote_path(&line, argv->items[i]);
	}
	fprintf(stderr, "impact: running: %s\n", line.ptr);
	impact_buf_release(&line);
}

/* The file part of a node id, into `out`. */
static void file_of(impact_buf *out, const char *id)
{
	const char *sep = strstr(id, "::");
	impact_buf_clear(out);
	impact_buf_put(out, id, sep ? (size_t)(sep - id) : strlen(id));
}

/* A --junitxml given after `--`: pytest would lose it to impact's own; kept by impact. */
static const char *user_junitxml(const runner *r)
{
	for (size_t i = 0; i < r->nargs; i++) {
		const char *a = r->args[i];
		if (!strncmp(a, "--junitxml=", 11) || !strncmp(a, "--junit-xml=", 12))
			return strchr(a, '=') + 1;
		if ((!strcmp(a, "--junitxml") || !strcmp(a, "--junit-xml")) && i + 1 < r->nargs)
			return r->args[i + 1];
	}
	return NULL;
}

static void keep_junit(const char *path, const impact_buf *xml)
{
	FILE *f = fopen(path, "w");
	if (!f || fwrite(xml->ptr, 1, xml->size, f) != xml->size || fflush(f) != 0)
		fprintf(stderr, "impact: warning: cannot write '%s': %s\n", path, strerror(errno));
	if (f)
		fclose(f);
}

/* --- exact-tree runs ----------------------------------------------------- */

/* `*s` with the private checkout's paths made repository paths. */
static void unroot(char **s, const runner *r)
{
	const char *roots[2] = { r->o->exact_root, r->real_root };
	for (int i = 0; i < 2 && *s; i++) {
		char *t;
		if (!roots[i] || !strstr(*s, roots[i]))
			continue;
		t = impact_exact_unroot(*s, roots[i]);
		free(*s);
		*s = t;
	}
}

static void unroot_results(const runner *r, impact_results *res)
{
	if (!r->o->exact_root)
		return;
	for (size_t i = 0; i < res->n; i++) {
		unroot(&res->cases[i].message, r);
		unroot(&res->cases[i].text, r);
		unroot(&res->cases[i].file, r);
		unroot(&res->cases[i].nodeid, r);
	}
}

/*
 * PYTHONPATH for an exact run: the checkout, its src/ when it has one,
 * then what the user had. Set in impact's own environment for the run
 * (every child: pre-flight, pytest, xdist check) and put back after.
 */
static void exact_pythonpath(impact_buf *saved, bool *had, const char *root)
{
	impact_buf pp = IMPACT_BUF_INIT, src = IMPACT_BUF_INIT;
	const char *old = getenv("PYTHONPATH");
	struct stat st;
	*had = old != NULL;
	if (old)
		impact_buf_puts(saved, old);
	impact_buf_puts(&pp, root);
	impact_buf_printf(&src, "%s/src", root);
	if (stat(src.ptr, &st) == 0 && S_ISDIR(st.st_mode))
		impact_buf_printf(&pp, ":%s", src.ptr);
	if (old && *old)
		impact_buf_printf(&pp, ":%s", old);
	setenv("PYTHONPATH", pp.ptr, 1);
	impact_buf_release(&pp);
	impact_buf_release(&src);
}

/* `uv run python` of the user's project, not of the checkout (which has no environment). */
static void exact_interpreter(impact_python *py, const char *workdir)
{
	impact_strlist argv = { 0 };
	if (py->argv.n < 2 || strcmp(py->argv.items[1], "run"))
		return;
	{
		const char *a0 = py->argv.items[0], *slash = strrchr(a0, '/');
		if (strcmp(slash ? slash + 1 : a0, "uv"))
			return;
	}
	impact_strlist_push(&argv, py->argv.items[0]);
	impact_strlist_push(&argv, "run");
	impact_strlist_push(&argv, "--project");
	impact_strlist_push(&argv, workdir);
	for (size_t i = 2; i < py->argv.n; i++)
		impact_strlist_push(&argv, py->argv.items[i]);
	impact_strlist_release(&py->argv);
	py->argv = argv;
}

/* A failure that looks like a file the tree lacks and the work tree has: say so, with the fix. */
static void exact_missing_hint(const runner *r)
{
	impact_strlist names = { 0 };
	impact_buf line = IMPACT_BUF_INIT;
	const char *root = r->o->exact_root;
	for (size_t i = 0; i < r->res.n; i++) {
		const impact_testcase *tc = &r->res.cases[i];
		if (!impact_outcome_is_failure(tc->outcome))
			continue;
		impact_exact_missing_files(&names, tc->message, r->user_workdir, root);
		impact_exact_missing_files(&names, tc->text, r->user_workdir, root);
	}
	for (size_t i = 0; i < r->collect.n; i++)
		impact_exact_missing_files(&names, r->collect.v[i].error, r->user_workdir, root);
	impact_exact_missing_files(&names, r->preflight_error, r->user_workdir, root);
	for (size_t i = 0; i < names.n; i++) {
		impact_buf_clear(&line);
		impact_report_quote_path(&line, names.items[i]);
		fprintf(stderr, "impact: '%s' is in your work tree but not in the tree tested (not "
		        "committed, or ignored by git): if the tests need it, copy it in with "
		        "exact-copy = [\"%s\"] in the configuration, or commit it\n", line.ptr, line.ptr);
	}
	impact_strlist_release(&names);
	impact_buf_release(&line);
}

/* --- one pytest run ------------------------------------------------------- */

typedef struct feed {
	runner *r;
	impact_events *ev;
	impact_live *live;  /* NULL off a terminal */
	impact_buf line;
} feed;

/* Events replayed to the status line in the form of pytest -v lines, which live.c reads. */
static void on_event(impact_event_kind kind, const char *id, impact_outcome outcome, void *payload)
{
	static const char *const words[] = { "PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS" };
	feed *f = payload;
	const impact_runner_embed *em = f->r->o->embed;
	if (em && em->on_test && id && (kind == IMPACT_EVENT_BEGIN || kind == IMPACT_EVENT_DONE)) {
		impact_buf wid = IMPACT_BUF_INIT;
		impact_events_workdir_id(&wid, f->ev, f->r->cli->workdir, id);
		em->on_test(kind, wid.ptr, outcome, em->payload);
		impact_buf_release(&wid);
	}
	if (!f->live || !id || (kind != IMPACT_EVENT_BEGIN && kind != IMPACT_EVENT_DONE))
		return;
	impact_buf_clear(&f->line);
	if (kind == IMPACT_EVENT_BEGIN)
		impact_buf_printf(&f->line, "%s\n", id);
	else
		impact_buf_printf(&f->line, "%s %s\n", id,
		                  outcome < IMPACT_OUTCOME_COUNT ? words[outcome] : "ERROR");
	impact_live_output(f->line.ptr, f->line.size, f->live);
}

static void on_events(const char *data, size_t n, void *payload)
{
	feed *f = payload;
	impact_events_feed(f->ev, data, n, on_event, f);
}

static void on_tick(void *payload)
{
	feed *f = payload;
	const impact_runner_embed *em = f->r->o->embed;
	if (f->live)
		impact_live_tick(f->live);
	if (em) {
		if (em->tick && !f->r->embed_stops && em->tick(em->payload))
			f->r->embed_stops = 1;
		f->r->stops = interrupts + f->r->embed_stops;
	}
}

/* The files that ran, to turn JUnit classnames into node ids without the plugin. */
static void ran_files(impact_strlist *out, const runner *r, const impact_strlist *targets)
{
	impact_buf f = IMPACT_BUF_INIT;
	for (size_t i = 0; i < targets->n; i++) {
		file_of(&f, targets->items[i]);
		impact_strlist_push(out, f.ptr);
	}
	if (r->ctx && !targets->n)
		for (size_t i = 0; i < r->ctx->selection->ntests; i++)
			impact_strlist_push(out, impact_selected_path(r->ctx->project, &r->ctx->selection->tests[i]));
	impact_buf_release(&f);
}

/*
 * Node ids for the records the plugin did not name. Records of one class
 * come together: the match against the files is made once per classname.
 */
static void fill_nodeids(impact_results *res, const runner *r, const impact_strlist *targets)
{
	impact_strlist ran = { 0 };
	impact_buf id = IMPACT_BUF_INIT, prefix = IMPACT_BUF_INIT;
	const char *prev_cls = NULL, *file = NULL;
	ran_files(&ran, r, targets);
	for (size_t i = 0; i < res->n; i++) {
		impact_testcase *tc = &res->cases[i];
		if (tc->nodeid)
			continue;
		impact_buf_clear(&id);
		if (!tc->collect_error && prev_cls && !strcmp(prev_cls, tc->classname)) {
			impact_buf_printf(&id, "%s::%s", prefix.ptr, tc->name);
		} else {
			impact_junit_nodeid(&id, tc, (const char *const *)ran.items, ran.n, &file);
			prev_cls = tc->collect_error ? NULL : tc->classname;
			impact_buf_clear(&prefix);
			impact_buf_put(&prefix, id.ptr, id.size - strlen(tc->name) - 2 * !tc->collect_error);
		}
		tc->nodeid = impact_xstrdup(id.ptr);
		if (!tc->file && file)
			tc->file = impact_xstrdup(file);
	}
	impact_strlist_release(&ran);
	impact_buf_release(&id);
	impact_buf_release(&prefix);
}

/* The test that was running when the run was stopped or crashed, as a failed record. */
static void add_current(impact_results *res, const runner *r, const impact_events *ev,
                        const char *why)
{
	impact_testcase tc = { 0 };
	impact_buf id = IMPACT_BUF_INIT, file = IMPACT_BUF_INIT;
	if (!ev->current)
		return;
	impact_events_workdir_id(&id, ev, r->cli->workdir, ev->current);
	file_of(&file, id.ptr);
	tc.classname = "";
	tc.name = id.ptr;
	tc.nodeid = id.ptr;
	tc.file = file.ptr;
	tc.outcome = IMPACT_OUTCOME_FAILED;
	tc.message = (char *)why;
	impact_results_add(res, &tc);
	impact_buf_release(&id);
	impact_buf_release(&file);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Collected but not reported: what a stop (-x, --maxfail) left out, relative to the work tree. */
static void not_run(impact_strlist *out, const runner *r, const impact_events *ev)
{
	impact_buf id = IMPACT_BUF_INIT;
	const char **done = impact_xcalloc(ev->ntests + 1, sizeof(char *));
	for (size_t k = 0; k < ev->ntests; k++)
		done[k] = ev->tests[k].id;
	qsort(done, ev->ntests, sizeof(char *), cmp_str);
	for (size_t i = 0; i < ev->collected.n; i++) {
		const char *key = ev->collected.items[i];
		if (ev->ntests && bsearch(&key, done, ev->ntests, sizeof(char *), cmp_str))
			continue;
		impact_events_workdir_id(&id, ev, r->cli->workdir, key);
		impact_strlist_push(out, id.ptr);
	}
	free(done);
	impact_buf_release(&id);
}

/*
 * Did every collected test report? When not, and no failure that pytest
 * stopped at (-x, --maxfail) and no interrupt explains it (a time limit
 * does not: the run is incomplete, and which tests never ran is said),
 * the run is incomplete: why into r->notes.incomplete, the tests into
 * r->never_ran, and the test that was running when pytest ended into
 * `res` as failed. Without the plugin's events only a pytest that exited 0
 * without writing its JUnit XML is known to have ended early.
 */
static void check_complete(runner *r, int code, impact_child_end end, impact_results *res,
                           const impact_events *ev, bool have_xml)
{
	impact_strlist missing = { 0 };
	bool stopped_at_failure;
	if (end == IMPACT_CHILD_INTERRUPTED)
		return; /* the user stopped it, and knows */
	if (!ev->started) {
		if (end == IMPACT_CHILD_TIMED_OUT)
			return;
		if (code == 0 && !have_xml)
			r->notes.incomplete = "pytest exited 0 without writing its results (a test or "
			                      "plugin ended the interpreter)";
		return;
	}
	stopped_at_failure = ev->finished && ev->maxfail &&
	                     res->counts[IMPACT_OUTCOME_FAILED] + res->counts[IMPACT_OUTCOME_ERROR];
	if (stopped_at_failure)
		return;
	not_run(&missing, r, ev);
	/* A timeout's or a signal's victim is recorded by note_ending. */
	if (end == IMPACT_CHILD_EXITED && !ev->finished && code < 128)
		add_current(res, r, ev, "pytest ended while this test ran (os._exit, or a plugin "
		            "ending the interpreter): its session never finished");
	impact_results_recount(res);
	{
		impact_buf cur = IMPACT_BUF_INIT;
		if (ev->current)
			impact_events_workdir_id(&cur, ev, r->cli->workdir, ev->current);
		for (size_t i = 0; i < missing.n; i++)
			if (!ev->current || strcmp(cur.ptr, missing.items[i]))
				impact_strlist_push(&r->never_ran, missing.items[i]);
		impact_buf_release(&cur);
	}
	if (end == IMPACT_CHILD_TIMED_OUT)
		r->notes.incomplete = missing.n ? "the time limit ended it" : NULL;
	else if (code >= 128)
		r->notes.incomplete = "pytest died of a signal";
	else if (missing.n && ev->finished)
		r->notes.incomplete = "pytest's session ended before every collected test ran "
		                      "(pytest.exit, or a lost pytest-xdist worker)";
	else if (missing.n || !ev->finished)
		r->notes.incomplete = "pytest ended without finishing its session (a test or plugin "
		                      "ended the interpreter, e.g. os._exit)";
	impact_strlist_release(&missing);
}

/* Classify how pytest ended, beyond the test outcomes of `res`. */
static void note_ending(runner *r, int code, impact_child_end end, impact_results *res,
                        const impact_events *ev)
{
	impact_buf why = IMPACT_BUF_INIT;
	bool collect_errors = false;
	for (size_t i = 0; i < res->n; i++)
		collect_errors = collect_errors || res->cases[i].collect_error;
	if (end == IMPACT_CHILD_INTERRUPTED) {
		r->interrupted = true;
	} else if (end == IMPACT_CHILD_TIMED_OUT) {
		r->timed_out = true;
		impact_buf_printf(&why, "timed out: still running when the %u s limit passed", r->limit_s);
		add_current(res, r, ev, why.ptr);
	} else if (code >= 128) {
		r->notes.crash_signal = code - 128;
		impact_buf_printf(&why, "crashed pytest (signal %d)", code - 128);
		add_current(res, r, ev, why.ptr);
	} else if (code == 1 && !res->counts[IMPACT_OUTCOME_FAILED] && !res->counts[IMPACT_OUTCOME_ERROR]) {
		r->notes.unexplained = true;
	} else if (code == 2 && !collect_errors) {
		r->notes.stopped_inside = true;
	} else if (code == 3) {
		r->notes.internal_error = true;
	} else if (code == 4) {
		r->notes.usage_error = true;
	} else if (code == 5) {
		r->notes.nothing_collected = true;
	} else if (code > 5) {
		r->notes.unexplained = true;
	}
	impact_results_recount(res);
	impact_buf_release(&why);
}

/*
 * Run pytest once on `targets` (a rerun when `rerun`): its records are
 * merged into r->res. Fails only when pytest cannot be started.
 */
static int run_round(runner *r, const impact_strlist *targets, bool rerun)
{
	const impact_runner_opts *o = r->o;
	impact_strlist argv = { 0 }, env = { 0 };
	impact_results res = { 0 };
	impact_events ev;
	impact_buf xml = IMPACT_BUF_INIT, name = IMPACT_BUF_INIT;
	impact_run_opts ro = { 0 };
	impact_child_opts co = { 0 };
	impact_child_limits lim = r->lim;
	impact_child_end end = IMPACT_CHILD_EXITED;
	feed fd = { r, NULL, NULL, IMPACT_BUF_INIT };
	char *junit_path = NULL, *events_path = NULL;
	int events_fd = -1, log_fd = -1, pipefd[2] = { -1, -1 };
	bool on_tty = isatty(STDERR_FILENO) && !o->json && !o->quiet && !o->embed;
	double elapsed;
	int code = 0, rc;
	pid_t pid = 0;

	impact_events_init(&ev);
	fd.ev = &ev;
	impact_buf_printf(&name, "run-%s-%d.xml", r->run_id.ptr, r->rounds);
	junit_path = impact_state_path(r->cli->repo, name.ptr);
	if (r->plugin_dir) {
		impact_buf_clear(&name);
		impact_buf_printf(&name, "run-%s-%d.events", r->run_id.ptr, r->rounds);
		events_path = impact_state_path(r->cli->repo, name.ptr);
		events_fd = open(events_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}

	ro.python = &r->python;
	ro.test_command = r->test_command;
	ro.flags = (const char *const *)r->flags.items;
	ro.nflags = r->flags.n;
	ro.extra = r->args;
	ro.nextra = r->nargs;
	ro.targets = (const char *const *)targets->items;
	ro.ntargets = targets->n;
	ro.workdir = r->cli->workdir;
	impact_run_argv(&argv, &ro);
	if (r->workers) {
		impact_strlist_push(&argv, "-n");
		impact_strlist_push(&argv, r->workers);
	}
	if (!o->quiet)
		print_command(&argv);
	if (r->no_junit && events_fd >= 0) {
		/* Its cache of node ids fails on a non-UTF-8 one, as the JUnit XML does. */
		impact_strlist_push(&argv, "-p");
		impact_strlist_push(&argv, "no:cacheprovider");
	}
	impact_run_argv_private(&argv, events_fd >= 0 ? r->plugin_dir : NULL,
	                        r->no_junit && events_fd >= 0 ? NULL : junit_path);
	impact_run_env(&env, r->run_id.ptr, events_fd >= 0 ? r->plugin_dir : NULL, events_path);
	if (events_fd >= 0)
		impact_recording_round(&r->recording, r->run_id.ptr, r->rounds, &env);

	co.cwd = r->cli->workdir;
	co.env_add = impact_child_argv(&env);
	co.new_session = true;
	co.stdout_to_stderr = o->json; /* stdout carries only the JSON */
	if (events_fd >= 0) {
		lim.output_fd = events_fd;
		lim.on_output = on_events;
		lim.on_tick = on_tick;
		lim.payload = &fd;
	}
	if (o->embed) {
		/* Its own screen: pytest's output to the log; stops come from its tick too. */
		lim.on_tick = on_tick;
		lim.payload = &fd;
		r->stops = interrupts;
		r->embed_stops = 0;
		lim.interrupted = &r->stops;
		if (!r->log_path)
			r->log_path = impact_state_path(r->cli->repo, "last-run.log");
		log_fd = open(r->log_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_APPEND |
		              (r->log_started ? 0 : O_TRUNC), 0644);
		r->log_started = true;
		if (log_fd >= 0)
			co.output_fd = log_fd;
	}
	/*
	 * On a terminal pytest's output goes to a log and one status line
	 * shows the progress; the report prints the failures. The status comes
	 * from the plugin's events, else from pytest's output read on a pipe.
	 */
	if (on_tty) {
		if (!r->log_path)
			r->log_path = impact_state_path(r->cli->repo, "last-run.log");
		log_fd = open(r->log_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_APPEND |
		              (r->log_started ? 0 : O_TRUNC), 0644);
		r->log_started = true;
		if (log_fd >= 0 && events_fd >= 0) {
			co.output_fd = log_fd;
			fd.live = impact_live_new(-1, !getenv("NO_COLOR"));
		} else if (log_fd >= 0 && pipe2(pipefd, O_CLOEXEC) == 0) {
			fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
			co.output_fd = pipefd[1];
			fd.live = impact_live_new(log_fd, !getenv("NO_COLOR"));
			lim.output_fd = pipefd[0];
			lim.on_output = impact_live_output;
			lim.on_tick = impact_live_tick;
			lim.payload = fd.live;
		}
	}

	elapsed = r->run_t0 ? (impact_now_ms() - r->run_t0) / 1000.0 : 0;
	if (!r->run_t0)
		r->run_t0 = impact_now_ms();
	lim.timeout_s = (double)r->limit_s - elapsed;
	if (lim.timeout_s < 1)
		lim.timeout_s = 1;
	fflush(stdout);
	fflush(stderr);
	rc = IMPACT_ENOTFOUND;
	if (o->embed && o->embed->spawn && log_fd >= 0 && co.output_fd == log_fd)
		rc = o->embed->spawn(&pid, impact_child_argv(&argv), co.env_add, r->log_path,
		                     o->embed->payload);
	if (rc == 0)
		r->keep_spent = true; /* the kept process is this run now */
	else if (rc == IMPACT_ENOTFOUND)
		rc = impact_child_start(&pid, impact_child_argv(&argv), &co);
	if (pipefd[1] >= 0) {
		close(pipefd[1]);
		pipefd[1] = -1;
	}
	if (rc == 0)
		rc = impact_child_wait_limited(&code, &end, pid, &lim);
	impact_live_finish(fd.live);
	if (rc < 0) {
		if (rc == IMPACT_ENOTFOUND)
			rc = impact_error_set(IMPACT_EPYTHON, "cannot start '%s': set IMPACT_PYTHON to a "
			                      "Python that has pytest", argv.items[0]);
		goto done;
	}
	r->rounds++;
	if (end == IMPACT_CHILD_TIMED_OUT)
		fprintf(stderr, "impact: timed out after %u s: pytest's process group got SIGINT, then "
		        "SIGKILL after %.0f s of grace (--timeout to allow more)\n", r->limit_s, lim.grace_s);
	else if (end == IMPACT_CHILD_INTERRUPTED && r->embed_stops && !interrupts)
		o->embed->stopped = true; /* the front end asked, and says so itself */
	else if (end == IMPACT_CHILD_INTERRUPTED)
		fprintf(stderr, "impact: interrupted: pytest's process group got SIGINT%s\n",
		        interrupts > 1 ? ", then SIGKILL (second interrupt)" : " and its grace window");
	{
		size_t n = 0;
		impact_reap_run_keeping(&n, pid, r->marker.ptr, lim.grace_s, keep_pid(r));
		r->notes.reaped += n;
	}

	if (impact_buf_read_file(&xml, junit_path, (size_t)1 << 30) == 0 &&
	    impact_junit_parse(&res, xml.ptr, xml.size) < 0 && !o->quiet)
		fprintf(stderr, "impact: warning: cannot read all of pytest's results: %s\n",
		        impact_error_last());
	if (r->rounds == 1 && xml.size) {
		const char *keep = o->junitxml ? o->junitxml : user_junitxml(r);
		if (keep)
			keep_junit(keep, &xml);
	}
	impact_events_apply(&ev, &res, r->cli->workdir);
	unroot_results(r, &res);
	fill_nodeids(&res, r, targets);
	note_ending(r, code, end, &res, &ev);
	check_complete(r, code, end, &res, &ev, xml.size > 0);
	impact_flaky_mark(&res, r->config);
	impact_strlist_release(&r->remaining);
	/* Only a stop at a known-flaky failure leads to running the rest. */
	if (code == 1 && end == IMPACT_CHILD_EXITED && res.counts[IMPACT_OUTCOME_FAILED] +
	    res.counts[IMPACT_OUTCOME_ERROR] > impact_flaky_real_failures(&res) &&
	    !impact_flaky_real_failures(&res))
		not_run(&r->remaining, r, &ev);
	impact_flaky_merge(&r->res, &res, rerun);
	if (r->recording.sink) {
		impact_strlist left = { 0 }, files = { 0 }, failed = { 0 };
		impact_buf f = IMPACT_BUF_INIT;
		not_run(&left, r, &ev);
		for (size_t i = 0; i < left.n; i++) {
			file_of(&f, left.items[i]);
			impact_strlist_push(&files, f.ptr);
		}
		/* A test that failed stopped where it failed: its record would be short. */
		for (size_t i = 0; i < res.n; i++)
			if (res.cases[i].file && (res.cases[i].outcome == IMPACT_OUTCOME_FAILED ||
			                          res.cases[i].outcome == IMPACT_OUTCOME_ERROR))
				impact_strlist_push(&failed, res.cases[i].file);
		impact_recording_collect(&r->recording, &files, &failed);
		impact_buf_release(&f);
		impact_strlist_release(&left);
		impact_strlist_release(&files);
		impact_strlist_release(&failed);
	}
	if (ev.bad_lines && !o->quiet)
		fprintf(stderr, "impact: warning: %zu unreadable line%s from impact's pytest plugin\n",
		        ev.bad_lines, ev.bad_lines == 1 ? "" : "s");
done:
	impact_live_free(fd.live);
	impact_buf_release(&fd.line);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (log_fd >= 0)
		close(log_fd);
	if (events_fd >= 0)
		close(events_fd);
	if (events_path)
		unlink(events_path);
	unlink(junit_path);
	free(events_path);
	free(junit_path);
	impact_events_release(&ev);
	impact_results_release(&res);
	impact_buf_release(&xml);
	impact_buf_release(&name);
	impact_strlist_release(&argv);
	impact_strlist_release(&env);
	return rc;
}

/* --- the report ----------------------------------------------------------- */

static int exit_code_of(const runner *r)
{
	bool collect_errors = false;
	for (size_t i = 0; i < r->res.n; i++)
		collect_errors = collect_errors || r->res.cases[i].collect_error;
	if (r->interrupted)
		return 130;
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

/* Collection errors found by the pre-flight check, as records (for the report's JSON and the store). */
static void collect_records(runner *r)
{
	for (size_t i = 0; i < r->collect.n; i++) {
		impact_testcase tc = { 0 };
		tc.classname = "";
		tc.name = r->collect.v[i].file;
		tc.nodeid = r->collect.v[i].file;
		tc.file = r->collect.v[i].file;
		tc.line = r->collect.v[i].line;
		tc.outcome = IMPACT_OUTCOME_ERROR;
		tc.message = r->collect.v[i].error;
		tc.collect_error = true;
		impact_results_add(&r->res, &tc);
	}
	impact_results_recount(&r->res);
}

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
		fprintf(stderr, "impact: warning: %s\n", impact_error_last());
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
		fprintf(stderr, "impact: warning: %s\n", impact_error_last());
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

/* The pre-flight checks. 0, or the exit code to stop with (the message printed). */
static int preflight(runner *r, const impact_strlist *targets)
{
	impact_strlist pkgs = { 0 }, env = { 0 }, args = { 0 };
	impact_preflight pf = { 0 };
	bool worktree = strcmp(git_repository_commondir(r->cli->repo),
	                       git_repository_path(r->cli->repo)) != 0;
	double t = impact_now_ms(), t1;
	size_t reaped = 0;
	int rc;

	impact_strlist_push(&env, r->marker.ptr);
	pf.python = &r->python;
	pf.pytest = &r->pytest;
	pf.custom_command = r->test_command && r->test_command->n;
	pf.workdir = r->cli->workdir;
	pf.env_add = impact_child_argv(&env);
	pf.limits = &r->lim;
	pf.exact = r->o->exact_root != NULL;
	impact_preflight_packages(&pkgs, r->cli->workdir);
	rc = impact_preflight_python(&pf, &pkgs, worktree, true);
	t1 = impact_now_ms();
	impact_run_target_args(&args, NULL, r->cli->workdir, (const char *const *)targets->items,
	                       targets->n);
	if (rc == 0)
		rc = impact_preflight_collect(&pf, &r->collect, (const char *const *)args.items,
		                              args.n, r->args, r->nargs);
	if (rc < 0) { /* before reaping, which may set messages of its own */
		fprintf(stderr, "impact: error: %s\n", impact_error_last());
		free(r->preflight_error);
		r->preflight_error = impact_xstrdup(impact_error_last());
		if (r->o->embed && !r->o->embed->error)
			r->o->embed->error = impact_xstrdup(impact_error_last());
	}
	impact_reap_run_keeping(&reaped, 0, r->marker.ptr, r->lim.grace_s, keep_pid(r));
	r->notes.reaped += reaped;
	if (rc == 0 && !r->o->quiet && getenv("IMPACT_TIMINGS"))
		fprintf(stderr, "impact: pre-flight took %.0f ms (interpreter and imports %.0f ms, "
		        "collection %.0f ms)\n", impact_now_ms() - t, t1 - t, impact_now_ms() - t1);
	if (rc < 0) {
		rc = pf.end == IMPACT_CHILD_INTERRUPTED ? 130
		     : pf.end == IMPACT_CHILD_TIMED_OUT ? IMPACT_EXIT_TIMEOUT
		     : impact_cli_exit_code(rc == IMPACT_ERROR ? IMPACT_EPYTHON : rc);
		if (pf.end == IMPACT_CHILD_TIMED_OUT)
			r->timed_out = true;
		collect_records(r);
	}
	impact_strlist_release(&pkgs);
	impact_strlist_release(&env);
	impact_strlist_release(&args);
	return rc;
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
				fprintf(stderr, "impact: error: pytest cannot write its JUnit XML for '%s' "
				        "(a file name that is not UTF-8) and impact's pytest plugin is not "
				        "installed to record the run instead: rename the file\n", line.ptr);
				rc = IMPACT_EXIT_USAGE;
				break;
			}
			r->no_junit = true;
			if (!r->o->quiet)
				fprintf(stderr, "impact: '%s' is not a UTF-8 name, which pytest's JUnit XML "
				        "cannot hold (nor pytest's cache): the run goes without both, "
				        "recorded by impact's plugin (no tracebacks in the report: see "
				        "pytest's output)\n", line.ptr);
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

static const char *exit_meaning(int code)
{
	switch (code) {
	case IMPACT_EXIT_OK: return "passed";
	case IMPACT_EXIT_FAILED: return "test failures";
	case IMPACT_EXIT_USAGE: return "usage or configuration error";
	case IMPACT_EXIT_PYTHON: return "collection/import error or interpreter problem";
	case IMPACT_EXIT_TIMEOUT: return "timeout";
	case 130: return "interrupted";
	default: return "error";
	}
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
		        "test: nothing to rerun; run 'impact' again\n", prev_exit, exit_meaning(prev_exit));
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

int impact_runner_run(impact_cli *cli, const impact_runner_opts *o,
                      const impact_report_ctx *ctx, const impact_config *config,
                      char **args, size_t nargs)
{
	runner r = { 0 };
	impact_strlist targets = { 0 };
	impact_buf text = IMPACT_BUF_INIT, saved_pp = IMPACT_BUF_INIT;
	bool had_pp = false, set_pp = false;
	struct sigaction sa, old_int, old_term, old_hup;
	struct timespec now;
	char *prev_range = NULL;
	int rc, exit_code = IMPACT_EXIT_OK;
	bool record_it = false;

	r.run_cli = *cli;
	r.cli = &r.run_cli;
	r.user_workdir = cli->workdir;
	if (o->exact_root) {
		r.run_cli.workdir = o->exact_root;
		r.real_root = realpath(o->exact_root, NULL);
		if (r.real_root && !strcmp(r.real_root, o->exact_root)) {
			free(r.real_root);
			r.real_root = NULL;
		}
	}
	r.o = o;
	r.ctx = ctx;
	r.config = config;
	r.args = (const char *const *)args;
	r.nargs = nargs;
	r.t0 = impact_now_ms();
	r.started = time(NULL);
	if (o->embed) {
		o->embed->stopped = false;
		o->embed->log_path = NULL;
		o->embed->error = NULL;
	}
	impact_buf_init(&r.run_id);
	impact_buf_init(&r.marker);

	interrupts = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);

	if (!cli->workdir) {
		fprintf(stderr, "impact: error: a bare repository has no work tree to run tests in: "
		        "use --list, --explain or --json\n");
		exit_code = IMPACT_EXIT_USAGE;
		goto done;
	}
	rc = targets_of(&targets, &prev_range, &r);
	if (rc != 0) {
		exit_code = rc > 0 ? IMPACT_EXIT_OK : impact_cli_fail(rc);
		goto done;
	}
	record_it = true;
	rc = impact_python_choose(&r.python, cli->workdir, config ? config->python : NULL);
	if (rc < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	if (!o->quiet)
		fprintf(stderr, "impact: python: %s\n", r.python.why);
	if (o->exact_root) {
		exact_interpreter(&r.python, cli->workdir);
		exact_pythonpath(&saved_pp, &had_pp, o->exact_root);
		set_pp = true;
		if (!o->quiet)
			fprintf(stderr, "impact: testing %s in a private checkout (%s), its code first on "
			        "PYTHONPATH\n", o->exact_label, o->exact_root);
	}

	clock_gettime(CLOCK_REALTIME, &now);
	impact_buf_printf(&r.run_id, "%d-%lld%09ld", (int)getpid(), (long long)now.tv_sec, now.tv_nsec);
	impact_buf_printf(&r.marker, "IMPACT_RUN_ID=%s", r.run_id.ptr);
	r.test_command = config ? &config->test_command : NULL;
	if (o->exact_root && r.test_command && r.test_command->n) {
		/* `uv run pytest`: the user's project environment, not one made in the checkout. */
		impact_python cmd = { 0 };
		for (size_t i = 0; i < r.test_command->n; i++)
			impact_strlist_push(&cmd.argv, r.test_command->items[i]);
		exact_interpreter(&cmd, cli->workdir);
		r.exact_command = cmd.argv;
		r.test_command = &r.exact_command;
	}
	impact_run_pytest(&r.pytest, &r.python, r.test_command);
	impact_run_default_flags(&r.flags, config, o->no_default_flags);
	if (o->embed)
		drop_stop_flags(&r.flags);
	r.plugin_dir = impact_run_plugin_dir();
	r.limit_s = impact_run_time_limit(o->timeout, config, (const char *const *)targets.items,
	                                  targets.n);
	r.lim.timeout_s = r.limit_s;
	r.lim.grace_s = o->grace ? o->grace : 5;
	r.lim.interrupted = &interrupts;
	impact_reap_become_subreaper();

	if ((exit_code = say_unsafe_targets(&r, &targets)) != 0)
		goto done;
	{
		/* Node ids run part of a file: its record would be partial. */
		impact_strlist rec_args = { 0 };
		for (size_t i = 0; i < r.nargs; i++)
			impact_strlist_push(&rec_args, r.args[i]);
		for (size_t i = 0; o->embed && i < targets.n; i++)
			if (strstr(targets.items[i], "::"))
				impact_strlist_push(&rec_args, targets.items[i]);
		impact_recording_init(&r.recording, r.cli, o->no_record, o->quiet,
		                      (const char *const *)rec_args.items, rec_args.n,
		                      o->exact_root ? o->exact_tree : NULL);
		impact_strlist_release(&rec_args);
	}
	if (!o->no_preflight && (exit_code = preflight(&r, &targets)) != 0)
		goto done;
	r.workers = o->workers;
	if (o->workers && !python_can_import(&r.python, r.cli->workdir, "xdist")) {
		fprintf(stderr, "impact: pytest-xdist is not importable in %s: running serially "
		        "(install it there: python -m pip install pytest-xdist, or apt-get install "
		        "python3-pytest-xdist)\n", r.python.argv.items[0]);
		r.workers = NULL;
	}

	for (bool rerun = false; r.rounds < MAX_ROUNDS;) {
		impact_strlist next = { 0 };
		bool retrying, continuing;
		rc = run_round(&r, &targets, rerun);
		if (rc < 0) {
			exit_code = impact_cli_fail(rc);
			goto done;
		}
		if (!r.interrupted && !r.timed_out && !interrupts && !r.notes.crash_signal &&
		    !r.notes.usage_error && !r.notes.internal_error && !r.notes.stopped_inside &&
		    !r.notes.incomplete)
			impact_flaky_next(&next, &r.res, &r.remaining, o->retry_flaky, &retrying,
			                  &continuing);
		if (!next.n) {
			impact_strlist_release(&next);
			break;
		}
		if (!o->quiet)
			fprintf(stderr, "impact: %s%s%s\n",
			        continuing ? "pytest stopped at a known-flaky failure: running the tests it did not reach" : "",
			        continuing && retrying ? "; " : "",
			        retrying ? "retrying the failed known-flaky tests once (--retry-flaky)" : "");
		impact_strlist_release(&targets);
		targets = next;
		rerun = true;
	}
	r.notes.seconds = (impact_now_ms() - r.t0) / 1000.0;
	r.notes.never_ran = &r.never_ran;
	if (!o->embed) {
		impact_runreport_text(&text, &r.res, ctx, &r.notes);
		fputs(text.ptr, stderr);
	}
	if (o->format && !strcmp(o->format, "github")) {
		/* With --json, stdout is the JSON: the annotations go to stderr (GitHub reads both). */
		impact_buf_clear(&text);
		impact_runreport_github(&text, &r.res);
		fputs(text.ptr, o->json ? stderr : stdout);
	}
	exit_code = exit_code_of(&r);
	record_history(&r);
done:
	if (record_it && o->exact_root) {
		if (exit_code != IMPACT_EXIT_OK)
			exact_missing_hint(&r);
		fprintf(stderr, "impact: tested %s in a private checkout\n", o->exact_label);
	}
	if (record_it) {
		if (r.collect.n && !o->quiet)
			fprintf(stderr, "impact: %zu file%s did not collect: the tests did not run\n",
			        r.collect.n, r.collect.n == 1 ? "" : "s");
		if (r.log_started && !o->quiet)
			fprintf(stderr, "impact: pytest's output: %s\n", r.log_path);
		record(&r, exit_code, prev_range);
	}
	if (o->embed) {
		o->embed->results = r.res;
		memset(&r.res, 0, sizeof(r.res));
		o->embed->log_path = r.log_started ? r.log_path : NULL;
		if (r.log_started)
			r.log_path = NULL;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	if (set_pp && had_pp)
		setenv("PYTHONPATH", saved_pp.ptr, 1);
	else if (set_pp)
		unsetenv("PYTHONPATH");
	impact_buf_release(&saved_pp);
	free(r.real_root);
	free(r.preflight_error);
	impact_strlist_release(&r.exact_command);
	free(prev_range);
	impact_buf_release(&text);
	free(r.plugin_dir);
	free(r.log_path);
	impact_buf_release(&r.run_id);
	impact_buf_release(&r.marker);
	impact_strlist_release(&r.pytest);
	impact_strlist_release(&r.flags);
	impact_strlist_release(&r.remaining);
	impact_strlist_release(&r.never_ran);
	impact_collect_errors_release(&r.collect);
	impact_results_release(&r.res);
	impact_python_release(&r.python);
	impact_strlist_release(&targets);
	impact_recording_release(&r.recording);
	return exit_code;
}
