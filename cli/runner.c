/*
 * runner.c - run the selection like a careful engineer would (see runner.h).
 *
 * pytest runs in its own session under a time limit (120 s for one test
 * file, 600 s for more, --timeout to change), stopped politely when it
 * expires or on Ctrl-C: SIGINT to its process group, a grace window for
 * teardown, then SIGKILL. Whatever the run left behind (its session, or
 * anything carrying its IMPACT_RUN_ID marker) is reaped the same way.
 * Results come from pytest's JUnit XML; the report names, for each
 * failure, the change its test file's import chain reaches, if any. The
 * outcome is kept in <common git dir>/impact/last-run.json for
 * --last-failed and `impact status`.
 *
 * The one static here is the signal flag: a handler can only set a
 * volatile sig_atomic_t.
 */
#include "runner.h"

#include "child.h"
#include "history.h"
#include "interp.h"
#include "junit.h"
#include "live.h"
#include "preflight.h"
#include "reap.h"
#include "run.h"

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
	interrupts++;
}

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

/* <common git dir>/impact/<name>, creating the folder. */
static char *state_path(git_repository *repo, const char *name)
{
	impact_buf p = IMPACT_BUF_INIT;
	impact_buf_printf(&p, "%simpact", git_repository_commondir(repo));
	mkdir(p.ptr, 0777);
	impact_buf_printf(&p, "/%s", name);
	return impact_buf_detach(&p);
}

/* The previous run's failed node ids, from last-run.json. */
static int last_failures(impact_strlist *out, git_repository *repo)
{
	char *path = state_path(repo, "last-run.json");
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr), *fails;
	int rc = 0;

	if (!doc) {
		rc = access(path, F_OK) == 0
		     ? impact_error_set(IMPACT_EINVALID, "'%s' is damaged (%s): run impact once without --last-failed",
		                        path, jerr.text)
		     : impact_error_set(IMPACT_ENOTFOUND, "no previous run is recorded in '%s'", path);
		goto done;
	}
	fails = json_object_get(doc, "failures");
	for (size_t i = 0; i < json_array_size(fails); i++) {
		const char *id = json_string_value(json_object_get(json_array_get(fails, i), "nodeid"));
		if (id)
			impact_strlist_push(out, id);
	}
done:
	json_decref(doc);
	free(path);
	return rc;
}

/* The change that test file `file` reaches, or NULL. Borrowed. */
static const char *likely_cause(const impact_report_ctx *ctx, const char *file)
{
	impact_u32vec chain = { 0 };
	const char *cause = NULL;
	uint32_t id;
	if (!ctx || !file)
		return NULL;
	id = impact_project_find(ctx->project, file);
	if (id == IMPACT_STRPOOL_NONE)
		return NULL;
	impact_selection_chain(ctx->selection, id, &chain);
	if (chain.n)
		cause = ctx->project->files[chain.v[chain.n - 1]].path;
	impact_u32vec_release(&chain);
	return cause;
}

static void print_traceback(const char *text)
{
	/* The last lines say the most: where it broke and the error. */
	size_t lines = 0, len = strlen(text);
	const char *start = text + len;
	while (start > text && lines < 10) {
		start--;
		if (*start == '\n' && start + 1 < text + len)
			lines++;
	}
	if (start > text)
		start++;
	for (const char *s = start; *s;) {
		const char *nl = strchr(s, '\n');
		int n = nl ? (int)(nl - s) : (int)strlen(s);
		fprintf(stderr, "    | %.*s\n", n, s);
		s = nl ? nl + 1 : s + n;
	}
}

static void iso_utc(char *out, size_t n, time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The run's outcome as JSON: last-run.json, and "run" in --json --run. New reference. */
static json_t *run_json(const impact_report_ctx *ctx, const impact_results *res,
                        const impact_strlist *ids, time_t started, double duration,
                        int exit_code, const char *log)
{
	json_t *doc = json_object(), *counts = json_object(), *fails = json_array();
	char when[32];

	json_object_set_new(doc, "version", json_integer(1));
	if (ctx && !git_oid_is_zero(&ctx->range->new_commit))
		json_object_set_new(doc, "commit", json_string(git_oid_tostr_s(&ctx->range->new_commit)));
	else
		json_object_set_new(doc, "commit", json_null());
	if (ctx) {
		impact_buf r = IMPACT_BUF_INIT;
		impact_buf_printf(&r, "%s..%s", ctx->range->old_label, ctx->range->new_label);
		json_object_set_new(doc, "range", json_string(r.ptr));
		impact_buf_release(&r);
	} else {
		json_object_set_new(doc, "range", json_string("--last-failed"));
	}
	iso_utc(when, sizeof(when), started);
	json_object_set_new(doc, "started", json_string(when));
	json_object_set_new(doc, "duration_s", json_real(duration));
	json_object_set_new(doc, "exit_code", json_integer(exit_code));
	json_object_set_new(counts, "passed", json_integer((json_int_t)res->counts[IMPACT_OUTCOME_PASSED]));
	json_object_set_new(counts, "failed", json_integer((json_int_t)res->counts[IMPACT_OUTCOME_FAILED]));
	json_object_set_new(counts, "errors", json_integer((json_int_t)res->counts[IMPACT_OUTCOME_ERROR]));
	json_object_set_new(counts, "skipped", json_integer((json_int_t)res->counts[IMPACT_OUTCOME_SKIPPED]));
	json_object_set_new(counts, "xfailed", json_integer((json_int_t)res->counts[IMPACT_OUTCOME_XFAILED]));
	json_object_set_new(counts, "xpassed", json_integer(0));
	json_object_set_new(doc, "counts", counts);
	for (size_t i = 0; i < res->n; i++) {
		const impact_testcase *tc = &res->cases[i];
		json_t *f;
		if (tc->outcome != IMPACT_OUTCOME_FAILED && tc->outcome != IMPACT_OUTCOME_ERROR)
			continue;
		f = json_object();
		json_object_set_new(f, "nodeid", json_string(ids->items[i]));
		json_object_set_new(f, "file", tc->file ? json_string(tc->file) : json_null());
		json_object_set_new(f, "line", json_integer(tc->line));
		json_object_set_new(f, "message", tc->message ? json_string(tc->message) : json_null());
		json_object_set_new(f, "flaky", json_false());
		json_array_append_new(fails, f);
	}
	json_object_set_new(doc, "failures", fails);
	json_object_set_new(doc, "log", log ? json_string(log) : json_null());
	return doc;
}

/* last-run.json, replaced atomically (write a temporary file, rename it). */
static void write_last_run(git_repository *repo, json_t *doc)
{
	char *path = state_path(repo, "last-run.json"), *tmp;
	impact_buf tmpp = IMPACT_BUF_INIT;

	impact_buf_printf(&tmpp, "%s.%d.tmp", path, (int)getpid());
	tmp = tmpp.ptr;
	if (json_dump_file(doc, tmp, JSON_INDENT(2)) == 0 && rename(tmp, path) == 0)
		;
	else
		unlink(tmp);
	impact_buf_release(&tmpp);
	free(path);
}

/* --json --run: the selection's JSON with the run's outcome as "run", on stdout. */
static void print_json_with_run(const impact_report_ctx *ctx, json_t *run)
{
	impact_buf sel = IMPACT_BUF_INIT;
	json_t *doc = NULL;
	char *text;
	if (ctx && impact_report_json(&sel, ctx, false) == 0)
		doc = json_loads(sel.ptr, 0, NULL);
	if (!doc)
		doc = json_object();
	json_object_set(doc, "run", run);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text) {
		printf("%s\n", text);
		free(text);
	}
	json_decref(doc);
	impact_buf_release(&sel);
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
	impact_strlist_push(&argv, "");
	free(argv.items[argv.n - 1]);
	argv.items[argv.n - 1] = NULL;
	co.cwd = workdir;
	co.quiet = true;
	if (impact_child_run(&status, (const char *const *)argv.items, &co) < 0)
		status = 1;
	impact_strlist_release(&argv);
	impact_buf_release(&code);
	return status == 0;
}

/* pytest's exit status and how the run ended, as impact's exit code. */
static int exit_code_of(int pytest_code, impact_child_end end, const impact_results *res)
{
	if (end == IMPACT_CHILD_TIMED_OUT)
		return IMPACT_EXIT_TIMEOUT;
	if (end == IMPACT_CHILD_INTERRUPTED)
		return 130;
	switch (pytest_code) {
	case 0: return IMPACT_EXIT_OK;
	case 1: return IMPACT_EXIT_FAILED;
	case 2: /* interrupted by pytest itself: collection errors */
	case 3: /* internal error */
		return IMPACT_EXIT_PYTHON;
	case 4: return IMPACT_EXIT_USAGE;
	case 5: return IMPACT_EXIT_OK; /* nothing collected: said in the report */
	default:
		return res->counts[IMPACT_OUTCOME_FAILED] ? IMPACT_EXIT_FAILED : IMPACT_EXIT_PYTHON;
	}
}

int impact_runner_run(impact_cli *cli, const impact_runner_opts *o,
                      const impact_report_ctx *ctx, const impact_config *config,
                      char **args, size_t nargs)
{
	static const char *const default_flags[] = { "-x", "--tb=short", "--no-header" };
	const impact_selection *sel = ctx ? ctx->selection : NULL;
	impact_python python = { 0 };
	impact_strlist targets = { 0 }, argv = { 0 }, ids = { 0 };
	impact_run_opts ro = { 0 };
	impact_results res = { 0 };
	impact_buf runid = IMPACT_BUF_INIT, marker = IMPACT_BUF_INIT, xml = IMPACT_BUF_INIT;
	impact_buf junit_arg = IMPACT_BUF_INIT;
	impact_child_opts co = { 0 };
	impact_child_limits lim = { 0 };
	impact_child_end end = IMPACT_CHILD_EXITED;
	impact_live *live = NULL;
	char *log_path = NULL;
	int pipefd[2] = { -1, -1 }, log_fd = -1;
	struct sigaction sa, old_int, old_term;
	char *junit_path = NULL;
	const char *env_add[2];
	time_t started = time(NULL);
	double t0 = impact_now_ms();
	size_t reaped = 0;
	pid_t pid = 0;
	int rc, code = 0, exit_code = IMPACT_EXIT_OK;

	if (!cli->workdir) {
		fprintf(stderr, "impact: error: a bare repository has no work tree to run tests in: "
		        "use --list, --explain or --json\n");
		return IMPACT_EXIT_USAGE;
	}
	if (!ctx) {
		rc = last_failures(&targets, cli->repo);
		if (rc < 0) {
			exit_code = rc == IMPACT_ENOTFOUND ? (fprintf(stderr, "impact: %s: nothing to rerun\n",
			                                              impact_error_last()), IMPACT_EXIT_OK)
			                                   : impact_cli_fail(rc);
			goto done;
		}
		if (!targets.n) {
			fprintf(stderr, "impact: nothing failed in the previous run: nothing to rerun\n");
			goto done;
		}
	} else if (!sel->full_suite || o->explicit_targets) {
		for (size_t i = 0; i < sel->ntests; i++)
			impact_strlist_push(&targets, ctx->project->files[sel->tests[i].file].path);
	}

	rc = impact_python_choose(&python, cli->workdir, config ? config->python : NULL);
	if (rc < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	if (!o->quiet)
		fprintf(stderr, "impact: python: %s\n", python.why);
	if (!o->no_preflight) {
		impact_strlist pkgs = { 0 };
		/* A linked worktree has its own git dir under the common one. */
		bool worktree = strcmp(git_repository_commondir(cli->repo),
		                       git_repository_path(cli->repo)) != 0;
		if (ctx)
			impact_preflight_packages(&pkgs, ctx->project);
		rc = impact_preflight_import(&python, cli->workdir, &pkgs, false);
		if (rc == 0 && worktree)
			rc = impact_preflight_import(&python, cli->workdir, &pkgs, true);
		if (rc == 0)
			rc = impact_preflight_collect(&python, cli->workdir,
			                              (const char *const *)targets.items, targets.n,
			                              (const char *const *)args, nargs);
		impact_strlist_release(&pkgs);
		if (rc < 0) {
			exit_code = impact_cli_fail(rc);
			goto done;
		}
	}

	impact_buf_printf(&runid, "%d-%ld", (int)getpid(), (long)started);
	impact_buf_printf(&marker, "IMPACT_RUN_ID=%s", runid.ptr);
	{
		impact_buf name = IMPACT_BUF_INIT;
		impact_buf_printf(&name, "run-%s.xml", runid.ptr);
		junit_path = state_path(cli->repo, name.ptr);
		impact_buf_release(&name);
	}
	impact_buf_printf(&junit_arg, "--junitxml=%s", junit_path);

	ro.workdir = cli->workdir;
	ro.python = &python;
	if (!o->no_default_flags) {
		ro.default_flags = default_flags;
		ro.ndefault_flags = IMPACT_ARRAY_SIZE(default_flags);
	}
	ro.targets = (const char *const *)targets.items;
	ro.ntargets = targets.n;
	ro.extra = (const char *const *)args;
	ro.nextra = nargs;
	impact_run_argv(&argv, &ro);
	if (o->workers) {
		if (python_can_import(&python, cli->workdir, "xdist")) {
			impact_strlist_push(&argv, "-n");
			impact_strlist_push(&argv, o->workers);
		} else {
			fprintf(stderr, "impact: pytest-xdist is not importable in %s: running serially "
			        "(install it there: python -m pip install pytest-xdist, or apt-get install "
			        "python3-pytest-xdist)\n", python.argv.items[0]);
		}
	}
	if (!o->quiet)
		print_command(&argv);
	/* Results for impact: after the user's flags, so it is not mistaken for a target. */
	impact_strlist_push(&argv, junit_arg.ptr);
	impact_strlist_push(&argv, "");
	free(argv.items[argv.n - 1]);
	argv.items[argv.n - 1] = NULL;

	env_add[0] = marker.ptr;
	env_add[1] = NULL;
	co.cwd = cli->workdir;
	co.env_add = env_add;
	co.new_session = true;
	co.stdout_to_stderr = o->json; /* stdout carries only the JSON */
	lim.timeout_s = o->timeout ? o->timeout : config && config->timeout ? config->timeout
	                : targets.n == 1 ? 120 : 600;
	lim.grace_s = o->grace ? o->grace : 5;
	lim.interrupted = &interrupts;

	/*
	 * On a terminal, pytest's output goes to a log and one status line
	 * shows the progress; the report below prints the failures.
	 */
	if (isatty(STDERR_FILENO) && !o->json && !o->quiet) {
		log_path = state_path(cli->repo, "last-run.log");
		log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (log_fd >= 0 && pipe2(pipefd, O_CLOEXEC) == 0) {
			fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
			co.output_fd = pipefd[1];
			live = impact_live_new(log_fd, !getenv("NO_COLOR"));
			lim.output_fd = pipefd[0];
			lim.on_output = impact_live_output;
			lim.on_tick = impact_live_tick;
			lim.payload = live;
		}
	}

	impact_reap_become_subreaper();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	fflush(stdout);
	fflush(stderr);
	rc = impact_child_start(&pid, (const char *const *)argv.items, &co);
	if (pipefd[1] >= 0) {
		close(pipefd[1]);
		pipefd[1] = -1;
	}
	if (rc == 0)
		rc = impact_child_wait_limited(&code, &end, pid, &lim);
	impact_live_finish(live);
	if (live)
		fprintf(stderr, "impact: pytest's output: %s\n", log_path);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (rc < 0) {
		if (rc == IMPACT_ENOTFOUND)
			rc = impact_error_set(IMPACT_EPYTHON, "cannot start '%s': set IMPACT_PYTHON to a "
			                      "Python that has pytest", python.argv.items[0]);
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	if (end == IMPACT_CHILD_TIMED_OUT)
		fprintf(stderr, "impact: timed out after %.0f s: pytest was sent SIGINT, then SIGKILL "
		        "after %.0f s of grace (--timeout to allow more)\n", lim.timeout_s, lim.grace_s);
	else if (end == IMPACT_CHILD_INTERRUPTED)
		fprintf(stderr, "impact: interrupted: pytest was stopped (SIGINT, then SIGKILL)\n");
	impact_reap_run(&reaped, pid, marker.ptr, lim.grace_s);
	if (reaped)
		fprintf(stderr, "impact: reaped %zu stray process%s left by the run\n", reaped,
		        reaped == 1 ? "" : "es");

	if (impact_buf_read_file(&xml, junit_path, (size_t)1 << 30) == 0 &&
	    impact_junit_parse(&res, xml.ptr, xml.size) < 0 && !o->quiet)
		fprintf(stderr, "impact: warning: cannot read pytest's results: %s\n", impact_error_last());
	if (o->junitxml && xml.size) {
		FILE *f = fopen(o->junitxml, "w");
		if (!f || fwrite(xml.ptr, 1, xml.size, f) != xml.size)
			fprintf(stderr, "impact: warning: cannot write '%s': %s\n", o->junitxml, strerror(errno));
		if (f)
			fclose(f);
	}
	unlink(junit_path);

	exit_code = exit_code_of(code, end, &res);
	{
		/* The test files that ran, to turn JUnit classnames into node ids. */
		impact_strlist ran = { 0 };
		const char *const *files;
		size_t nfiles;
		for (size_t i = 0; i < targets.n; i++) {
			const char *sep = strstr(targets.items[i], "::");
			char *f = sep ? impact_xstrndup(targets.items[i], (size_t)(sep - targets.items[i]))
			              : impact_xstrdup(targets.items[i]);
			impact_strlist_push(&ran, f);
			free(f);
		}
		if (ctx && !ran.n) /* full suite: every test file of the project */
			for (size_t i = 0; i < sel->ntests; i++)
				impact_strlist_push(&ran, ctx->project->files[sel->tests[i].file].path);
		files = (const char *const *)ran.items;
		nfiles = ran.n;
		for (size_t i = 0; i < res.n; i++) {
			impact_buf id = IMPACT_BUF_INIT;
			const char *file = NULL;
			impact_junit_nodeid(&id, &res.cases[i], files, nfiles, &file);
			impact_strlist_push(&ids, id.ptr);
			impact_buf_release(&id);
			if (!res.cases[i].file && file)
				res.cases[i].file = impact_xstrdup(file);
		}
		impact_strlist_release(&ran);
	}
	fprintf(stderr, "impact: %zu passed, %zu failed, %zu errors, %zu skipped, %zu xfailed in %.1f s\n",
	        res.counts[IMPACT_OUTCOME_PASSED], res.counts[IMPACT_OUTCOME_FAILED],
	        res.counts[IMPACT_OUTCOME_ERROR], res.counts[IMPACT_OUTCOME_SKIPPED],
	        res.counts[IMPACT_OUTCOME_XFAILED], (impact_now_ms() - t0) / 1000.0);
	if (code == 5)
		fprintf(stderr, "impact: pytest collected no test from the selection\n");
	for (size_t i = 0; i < res.n; i++) {
		const impact_testcase *tc = &res.cases[i];
		const char *cause;
		if (tc->outcome != IMPACT_OUTCOME_FAILED && tc->outcome != IMPACT_OUTCOME_ERROR)
			continue;
		fprintf(stderr, "%s %s\n", tc->outcome == IMPACT_OUTCOME_FAILED ? "FAILED" : "ERROR",
		        ids.items[i]);
		if (tc->text)
			print_traceback(tc->text);
		else if (tc->message)
			fprintf(stderr, "    | %s\n", tc->message);
		cause = likely_cause(ctx, tc->file);
		if (cause)
			fprintf(stderr, "    likely caused by this change: %s\n", cause);
		else if (ctx)
			fprintf(stderr, "    not reached by this change: possibly flaky or environmental\n");
		if (o->format && !strcmp(o->format, "github") && !o->json)
			printf("::error file=%s,line=%u::%s %s\n", tc->file ? tc->file : "",
			       tc->line, ids.items[i], tc->message ? tc->message : "failed");
	}
	{
		impact_history *hist = NULL;
		if (res.n && impact_history_open(&hist, cli->repo) == 0) {
			const char **files = impact_xcalloc(res.n, sizeof(char *));
			const char *commit = ctx && !git_oid_is_zero(&ctx->range->new_commit)
			                     ? git_oid_tostr_s(&ctx->range->new_commit) : NULL;
			for (size_t i = 0; i < res.n; i++)
				files[i] = res.cases[i].file;
			if (impact_history_record(hist, commit, &res, (const char *const *)ids.items,
			                          files) < 0 && !o->quiet)
				fprintf(stderr, "impact: warning: %s\n", impact_error_last());
			free(files);
			impact_history_close(hist);
		}
	}
	{
		json_t *run = run_json(ctx, &res, &ids, started, (impact_now_ms() - t0) / 1000.0,
		                       exit_code, live ? log_path : NULL);
		write_last_run(cli->repo, run);
		if (o->json)
			print_json_with_run(ctx, run);
		json_decref(run);
	}
done:
	impact_live_free(live);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (log_fd >= 0)
		close(log_fd);
	free(log_path);
	free(junit_path);
	impact_buf_release(&runid);
	impact_buf_release(&marker);
	impact_buf_release(&xml);
	impact_buf_release(&junit_arg);
	impact_results_release(&res);
	impact_strlist_release(&targets);
	impact_strlist_release(&argv);
	impact_strlist_release(&ids);
	impact_python_release(&python);
	return exit_code;
}
