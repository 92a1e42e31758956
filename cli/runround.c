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
		f->r->stops = *f->r->interrupts + f->r->embed_stops;
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
int runner_run_round(runner *r, const impact_strlist *targets, bool rerun)
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
		r->stops = *r->interrupts;
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
	else if (end == IMPACT_CHILD_INTERRUPTED && r->embed_stops && !*r->interrupts)
		o->embed->stopped = true; /* the front end asked, and says so itself */
	else if (end == IMPACT_CHILD_INTERRUPTED)
		fprintf(stderr, "impact: interrupted: pytest's process group got SIGINT%s\n",
		        *r->interrupts > 1 ? ", then SIGKILL (second interrupt)" : " and its grace window");
	{
		size_t n = 0;
		impact_reap_run_keeping(&n, pid, r->marker.ptr, lim.grace_s, runner_keep_pid(r));
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

