/*
 * runround.c - one pytest run of the selection (see runner_private.h):
 * its command and environment, the live status line, the wait under the
 * time limit, the results read back from JUnit XML and impact's events,
 * and whether every collected test reported. Paths of an exact-tree run
 * are mapped back to the repository's here too.
 */
#include "runner_private.h"

/* The process reaping must leave alone, or 0. */
pid_t runner_keep_pid(const runner *r)
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

/*
 * impact's --junitxml, or one given after `--` (pytest would lose it to
 * impact's own): impact keeps the XML there.
 */
const char *runner_junitxml(const runner *r)
{
	if (r->o->junitxml)
		return r->o->junitxml;
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
		impact_cli_warn("cannot write '%s': %s", path, strerror(errno));
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
void runner_exact_pythonpath(impact_buf *saved, bool *had, const char *root)
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
void runner_exact_interpreter(impact_python *py, const char *workdir)
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
void runner_exact_missing_hint(const runner *r)
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
	runner *r = f->r;
	const impact_runner_embed *em = r->o->embed;
	if (f->live)
		impact_live_tick(f->live);
	if (em && em->tick && !r->embed_stops && em->tick(em->payload))
		r->embed_stops = 1;
	/* The pre-flight failed while pytest ran (said there): what runs now is void. */
	if (r->pf_pending && !r->pf_stops && runner_preflight_done(r, false) > 0)
		r->pf_stops = 1;
	r->stops = *r->interrupts + r->embed_stops + r->pf_stops;
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
	} else if (code == 4 && !collect_errors) { /* else a conftest or an argument naming nothing */
		r->notes.usage_error = true;
	} else if (code == 5) {
		r->notes.nothing_collected = true;
	} else if (code > 5) {
		r->notes.unexplained = true;
	}
	impact_results_recount(res);
	impact_buf_release(&why);
}

/* One pytest run's state, from its files to its results. */
typedef struct one_round {
	runner *r;
	const impact_strlist *targets;
	impact_strlist argv, env;
	impact_results res;
	impact_events ev;
	impact_buf xml;
	impact_child_opts co;
	impact_child_limits lim;
	impact_child_end end;
	feed fd;
	char *junit_path, *events_path;
	int events_fd, log_fd, pipefd[2];
	int code;
	pid_t pid;
} one_round;

/* The round's JUnit XML path, and with the plugin its events file (opened). */
static void round_files(one_round *rd)
{
	runner *r = rd->r;
	impact_buf name = IMPACT_BUF_INIT;
	impact_buf_printf(&name, "run-%s-%d.xml", r->run_id.ptr, r->rounds);
	rd->junit_path = impact_state_path(r->cli->repo, name.ptr);
	if (r->plugin_dir) {
		impact_buf_clear(&name);
		impact_buf_printf(&name, "run-%s-%d.events", r->run_id.ptr, r->rounds);
		rd->events_path = impact_state_path(r->cli->repo, name.ptr);
		rd->events_fd = open(rd->events_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	impact_buf_release(&name);
}

/*
 * Where the plugin writes the repository's files pytest imported itself
 * (IMPACT_RUNNER, read back by selection: select.h), relative to the
 * folder pytest runs in.
 */
static void runner_packages_env(one_round *rd, runner *r)
{
	char *path = impact_state_path(r->cli->repo, IMPACT_RUNNER_STATE);
	impact_buf e = IMPACT_BUF_INIT;
	impact_buf_printf(&e, "IMPACT_RUNNER=%s", path);
	impact_strlist_push(&rd->env, e.ptr);
	impact_buf_clear(&e);
	impact_buf_printf(&e, "IMPACT_RUNNER_ROOT=%s", r->cli->workdir);
	impact_strlist_push(&rd->env, e.ptr);
	impact_buf_release(&e);
	free(path);
}

/* pytest's argv (said unless -q) and environment, and the child's options. */
static void round_command(one_round *rd)
{
	runner *r = rd->r;
	impact_run_opts ro = { 0 };
	bool plugin = rd->events_fd >= 0;
	ro.python = &r->python;
	ro.test_command = r->test_command;
	ro.flags = (const char *const *)r->flags.items;
	ro.nflags = r->flags.n;
	ro.extra = r->args;
	ro.nextra = r->nargs;
	ro.targets = (const char *const *)rd->targets->items;
	ro.ntargets = rd->targets->n;
	ro.workdir = r->cli->workdir;
	impact_run_argv(&rd->argv, &ro);
	if (r->workers) {
		impact_strlist_push(&rd->argv, "-n");
		impact_strlist_push(&rd->argv, r->workers);
	}
	if (!r->o->quiet)
		print_command(&rd->argv);
	if (r->no_junit && plugin) {
		/* Its cache of node ids fails on a non-UTF-8 one, as the JUnit XML does. */
		impact_strlist_push(&rd->argv, "-p");
		impact_strlist_push(&rd->argv, "no:cacheprovider");
	}
	/*
	 * With the plugin its events are the record (results, messages and
	 * tracebacks): pytest writes JUnit XML only where the user wants the
	 * file (--junitxml, before or after `--`). Writing it cost pytest
	 * about 60 us per test, and a user's own junitxml settings stay theirs.
	 */
	impact_run_argv_private(&rd->argv, plugin ? r->plugin_dir : NULL,
	                        plugin && (r->no_junit || !runner_junitxml(r))
	                        ? NULL : rd->junit_path);
	impact_run_env(&rd->env, r->run_id.ptr, plugin ? r->plugin_dir : NULL, rd->events_path);
	if (plugin) {
		impact_recording_round(&r->recording, r->run_id.ptr, r->rounds, &rd->env);
		runner_packages_env(rd, r);
	}
	rd->co.cwd = r->cli->workdir;
	rd->co.env_add = impact_child_argv(&rd->env);
	rd->co.new_session = true;
	rd->co.stdout_to_stderr = r->o->json; /* stdout carries only the JSON */
	if (plugin) {
		rd->lim.output_fd = rd->events_fd;
		rd->lim.on_output = on_events;
		rd->lim.on_tick = on_tick;
		r->stops = *r->interrupts;
		rd->lim.interrupted = &r->stops; /* on_tick adds the stops it is asked for */
		rd->lim.payload = &rd->fd;
	}
}

/* last-run.log, opened for appending (emptied at a run's first round). */
static int open_log(runner *r)
{
	int fd;
	if (!r->log_path)
		r->log_path = impact_state_path(r->cli->repo, "last-run.log");
	fd = open(r->log_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_APPEND |
	          (r->log_started ? 0 : O_TRUNC), 0644);
	r->log_started = true;
	return fd;
}

/*
 * Where pytest's output goes. An embedded run has its own screen: the
 * output goes to the log, and stops come from its tick too. On a terminal
 * the output goes to the log and one status line shows the progress (the
 * report prints the failures); the status comes from the plugin's events,
 * else from pytest's output read on a pipe. Elsewhere: stderr.
 */
static void round_output(one_round *rd)
{
	runner *r = rd->r;
	const impact_runner_opts *o = r->o;
	bool on_tty = isatty(STDERR_FILENO) && !o->json && !o->quiet && !o->embed;
	if (o->embed) {
		rd->lim.on_tick = on_tick;
		rd->lim.payload = &rd->fd;
		r->stops = *r->interrupts;
		r->embed_stops = 0;
		rd->lim.interrupted = &r->stops;
		rd->log_fd = open_log(r);
		if (rd->log_fd >= 0)
			rd->co.output_fd = rd->log_fd;
	}
	if (!on_tty)
		return;
	rd->log_fd = open_log(r);
	if (rd->log_fd >= 0 && rd->events_fd >= 0) {
		rd->co.output_fd = rd->log_fd;
		rd->fd.live = impact_live_new(-1, !getenv("NO_COLOR"));
	} else if (rd->log_fd >= 0 && pipe2(rd->pipefd, O_CLOEXEC) == 0) {
		fcntl(rd->pipefd[0], F_SETFL, O_NONBLOCK);
		rd->co.output_fd = rd->pipefd[1];
		rd->fd.live = impact_live_new(rd->log_fd, !getenv("NO_COLOR"));
		rd->lim.output_fd = rd->pipefd[0];
		rd->lim.on_output = impact_live_output;
		rd->lim.on_tick = impact_live_tick;
		rd->lim.payload = rd->fd.live;
	}
}

/*
 * Start pytest (through the front end's faster way when it has one) and
 * wait for it under what is left of the time limit. Fails only when it
 * cannot be started: IMPACT_EPYTHON, said how to fix.
 */
static int round_run(one_round *rd)
{
	runner *r = rd->r;
	const impact_runner_opts *o = r->o;
	double elapsed = r->run_t0 ? (impact_now_ms() - r->run_t0) / 1000.0 : 0;
	int rc = IMPACT_ENOTFOUND;
	if (!r->run_t0)
		r->run_t0 = impact_now_ms();
	rd->lim.timeout_s = (double)r->limit_s - elapsed;
	if (rd->lim.timeout_s < 1)
		rd->lim.timeout_s = 1;
	fflush(stdout);
	fflush(stderr);
	if (o->embed && o->embed->spawn && rd->log_fd >= 0 && rd->co.output_fd == rd->log_fd)
		rc = o->embed->spawn(&rd->pid, impact_child_argv(&rd->argv), rd->co.env_add,
		                     r->log_path, o->embed->payload);
	if (rc == 0)
		r->keep_spent = true; /* the kept process is this run now */
	else if (rc == IMPACT_ENOTFOUND)
		rc = impact_child_start(&rd->pid, impact_child_argv(&rd->argv), &rd->co);
	if (rd->pipefd[1] >= 0) {
		close(rd->pipefd[1]);
		rd->pipefd[1] = -1;
	}
	if (rc == 0)
		rc = impact_child_wait_limited(&rd->code, &rd->end, rd->pid, &rd->lim);
	impact_live_finish(rd->fd.live);
	if (rc == IMPACT_ENOTFOUND)
		rc = impact_error_set(IMPACT_EPYTHON, "cannot start '%s': set IMPACT_PYTHON to a "
		                      "Python that has pytest", rd->argv.items[0]);
	return rc;
}

/* A stop said (the front end says its own), and what the run left behind reaped. */
static void round_stopped(one_round *rd)
{
	runner *r = rd->r;
	size_t n = 0;
	/* Its verdict taken before the reaping below, which would take its process too. */
	runner_preflight_done(r, true);
	if (rd->end == IMPACT_CHILD_TIMED_OUT)
		fprintf(stderr, "impact: timed out after %u s: pytest's process group got SIGINT, then "
		        "SIGKILL after %.0f s of grace (--timeout to allow more)\n", r->limit_s,
		        rd->lim.grace_s);
	else if (rd->end == IMPACT_CHILD_INTERRUPTED && r->embed_stops && !*r->interrupts)
		r->o->embed->stopped = true; /* the front end asked, and says so itself */
	else if (rd->end == IMPACT_CHILD_INTERRUPTED && r->pf_stops && !*r->interrupts)
		fprintf(stderr, "impact: pytest stopped: the pre-flight check failed (above)\n");
	else if (rd->end == IMPACT_CHILD_INTERRUPTED)
		fprintf(stderr, "impact: interrupted: pytest's process group got SIGINT%s\n",
		        *r->interrupts > 1 ? ", then SIGKILL (second interrupt)" : " and its grace window");
	impact_reap_run_keeping(&n, rd->pid, r->marker.ptr, rd->lim.grace_s, runner_keep_pid(r));
	r->notes.reaped += n;
}

/*
 * The round's records: the plugin's events, completing JUnit XML where
 * pytest wrote it (without the plugin, or where --junitxml asked: kept
 * there, first round only), with node ids and repository paths; how
 * pytest ended; merged into r->res.
 */
static void round_results(one_round *rd, bool rerun)
{
	runner *r = rd->r;
	const impact_runner_opts *o = r->o;
	impact_results *res = &rd->res;
	if (impact_buf_read_file(&rd->xml, rd->junit_path, (size_t)1 << 30) == 0 &&
	    impact_junit_parse(res, rd->xml.ptr, rd->xml.size) < 0 && !o->quiet)
		impact_cli_warn("cannot read all of pytest's results: %s", impact_error_last());
	if (r->rounds == 1 && rd->xml.size) {
		const char *keep = runner_junitxml(r);
		if (keep)
			keep_junit(keep, &rd->xml);
	}
	impact_events_apply(&rd->ev, res, r->cli->workdir);
	for (size_t i = 0; i + 1 < rd->ev.shadowed.n; i += 2) {
		bool known = false;
		for (size_t k = 0; k + 1 < r->shadowed.n && !known; k += 2)
			known = !strcmp(r->shadowed.items[k], rd->ev.shadowed.items[i]);
		if (!known) {
			impact_strlist_push(&r->shadowed, rd->ev.shadowed.items[i]);
			impact_strlist_push(&r->shadowed, rd->ev.shadowed.items[i + 1]);
		}
	}
	unroot_results(r, res);
	fill_nodeids(res, r, rd->targets);
	note_ending(r, rd->code, rd->end, res, &rd->ev);
	check_complete(r, rd->code, rd->end, res, &rd->ev, rd->xml.size > 0);
	impact_flaky_mark(res, r->config);
	impact_strlist_release(&r->remaining);
	/* Only a stop at a known-flaky failure leads to running the rest. */
	if (rd->code == 1 && rd->end == IMPACT_CHILD_EXITED &&
	    res->counts[IMPACT_OUTCOME_FAILED] + res->counts[IMPACT_OUTCOME_ERROR] >
	    impact_flaky_real_failures(res) && !impact_flaky_real_failures(res))
		not_run(&r->remaining, r, &rd->ev);
	impact_flaky_merge(&r->res, res, rerun);
	if (rd->ev.bad_lines && !o->quiet)
		impact_cli_warn("%zu unreadable line%s from impact's pytest plugin", rd->ev.bad_lines,
		                rd->ev.bad_lines == 1 ? "" : "s");
}

/* What each file that ran to its end executed, to the recording (recording.h). */
static void round_record(one_round *rd)
{
	runner *r = rd->r;
	impact_strlist left = { 0 }, files = { 0 }, failed = { 0 };
	impact_buf f = IMPACT_BUF_INIT;
	if (!r->recording.sink)
		return;
	if (runner_preflight_done(r, true) != 0) {
		impact_recording_discard(&r->recording); /* a run the check voids records nothing */
		return;
	}
	not_run(&left, r, &rd->ev);
	for (size_t i = 0; i < left.n; i++) {
		file_of(&f, left.items[i]);
		impact_strlist_push(&files, f.ptr);
	}
	/* A test that failed stopped where it failed: its record would be short. */
	for (size_t i = 0; i < rd->res.n; i++)
		if (rd->res.cases[i].file && (rd->res.cases[i].outcome == IMPACT_OUTCOME_FAILED ||
		                              rd->res.cases[i].outcome == IMPACT_OUTCOME_ERROR))
			impact_strlist_push(&failed, rd->res.cases[i].file);
	impact_recording_collect(&r->recording, &files, &failed);
	impact_buf_release(&f);
	impact_strlist_release(&left);
	impact_strlist_release(&files);
	impact_strlist_release(&failed);
}

static void round_release(one_round *rd)
{
	impact_live_free(rd->fd.live);
	impact_buf_release(&rd->fd.line);
	if (rd->pipefd[0] >= 0)
		close(rd->pipefd[0]);
	if (rd->pipefd[1] >= 0)
		close(rd->pipefd[1]);
	if (rd->log_fd >= 0)
		close(rd->log_fd);
	if (rd->events_fd >= 0)
		close(rd->events_fd);
	if (rd->events_path)
		unlink(rd->events_path);
	unlink(rd->junit_path);
	free(rd->events_path);
	free(rd->junit_path);
	impact_events_release(&rd->ev);
	impact_results_release(&rd->res);
	impact_buf_release(&rd->xml);
	impact_strlist_release(&rd->argv);
	impact_strlist_release(&rd->env);
}

/*
 * Run pytest once on `targets` (a rerun when `rerun`): its records are
 * merged into r->res. Fails only when pytest cannot be started.
 */
int runner_run_round(runner *r, const impact_strlist *targets, bool rerun)
{
	one_round rd = { 0 };
	int rc;

	rd.r = r;
	rd.targets = targets;
	rd.lim = r->lim;
	rd.end = IMPACT_CHILD_EXITED;
	rd.events_fd = rd.log_fd = rd.pipefd[0] = rd.pipefd[1] = -1;
	impact_events_init(&rd.ev);
	rd.fd.r = r;
	rd.fd.ev = &rd.ev;
	impact_buf_init(&rd.fd.line);
	impact_buf_init(&rd.xml);

	round_files(&rd);
	round_command(&rd);
	round_output(&rd);
	if ((rc = round_run(&rd)) < 0)
		goto done;
	r->rounds++;
	round_stopped(&rd);
	round_results(&rd, rerun);
	round_record(&rd);
done:
	round_release(&rd);
	return rc;
}
