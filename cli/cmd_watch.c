/*
 * cmd_watch.c - `impact watch [<revspec>] [options] [-- <pytest args>]`:
 * the repair loop, while you edit.
 *
 * A client of the library and of the runner: each run's selection comes
 * from impact_plan_build (recomputed at every run, so new edits widen
 * it), each run goes through impact_runner_run (the same interpreter,
 * pre-flight, time limits, reaping, last-run.json, history and records as
 * `impact`), what runs next comes from the repair loop (analyzer/run/
 * repair.h) and what counts as a save from the watcher (analyzer/run/
 * watch.h). This file only ties them together and shows them: a status
 * line in place and the failure being fixed on a terminal, one JSON
 * object per line per event with --json or off a terminal, desktop
 * notifications when the state turns red or green.
 *
 * A save while a run goes on stops it politely (the runner's SIGINT,
 * grace, SIGKILL and reaping) and starts the step again over the new
 * state. Ctrl-C ends the loop: during a run it stops and reaps the run,
 * then the remaining failures are printed. Exit 0 when the last state was
 * green, 1 when red, 130 on Ctrl-C during a run.
 *
 * It never stages, commits or writes the work tree: it reads it.
 *
 * The one static is the signal flag, as in runner.c: a handler can only
 * set a volatile sig_atomic_t.
 */
#include "cli.h"

#include "child.h"
#include "opts.h"
#include "interp.h"
#include "planout.h"
#include "prepared.h"
#include "repair.h"
#include "run.h"
#include "watch.h"

#include <jansson.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	IMPACT_UNUSED(sig);
	stop_requested = 1;
}

typedef struct watch_opts {
	bool all, json, no_notify, no_smart, coarse, no_records, no_cache, no_prepare;
	unsigned settle, threads;
	impact_runner_opts run;
} watch_opts;

/* The command's state across runs. */
typedef struct watcher {
	impact_cli *cli;
	const watch_opts *o;
	const char *spec;
	char **rest;
	size_t nrest;
	impact_watch *watch;
	impact_repair loop;
	impact_strlist saved;    /* every path saved since the loop began, each once */
	impact_prepared *prep;   /* the next run's interpreter, started ahead, or NULL */
	impact_strlist python;   /* the interpreter the last run chose (its argv), for prep */
	char *prep_script;       /* impact_prepared.py, or NULL: no preparing */
	bool ran_prepared;       /* the run going on was handed to the prepared interpreter */
	bool json, tty, colour;
	int state;               /* -1 unknown, 0 green, 1 red */
	/* The run going on: */
	impact_repair_step step;
	double t0, last_draw;
	size_t passed, failed, skipped;
	impact_buf current;
	bool drawn;
} watcher;

static const char usage_line[] = "impact watch [<revspec>] [options] [-- <pytest args>]";

/* --- output --------------------------------------------------------------- */

static void emit(json_t *ev)
{
	char *text = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	if (text) {
		fputs(text, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	free(text);
	json_decref(ev);
}

static json_t *event(const char *name)
{
	json_t *ev = json_object();
	json_object_set_new(ev, "event", json_string(name));
	return ev;
}

/* A path or message that may not be UTF-8, as a JSON string. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (!j) {
		impact_buf b = IMPACT_BUF_INIT;
		for (const char *p = s; *p; p++)
			impact_buf_putc(&b, (unsigned char)*p < 0x80 ? *p : '?');
		j = json_string(b.ptr);
		impact_buf_release(&b);
	}
	return j;
}

static json_t *jlist(const impact_strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; l && i < l->n; i++)
		json_array_append_new(a, jstr(l->items[i]));
	return a;
}

static void erase_status(watcher *w)
{
	if (w->drawn && write(STDERR_FILENO, "\r\033[K", 4) < 0)
		w->tty = false;
	w->drawn = false;
}

/* "impact watch: [one test 1.2s] 3 passed, 1 failed, 0 skipped  tests/test_x.py::test_y" */
static void draw_status(watcher *w)
{
	struct winsize ws;
	size_t width = 80;
	impact_buf out = IMPACT_BUF_INIT, text = IMPACT_BUF_INIT;
	if (!w->tty)
		return;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		width = ws.ws_col;
	impact_buf_printf(&text, "impact watch: [%s %.1fs] %zu passed, %zu failed, %zu skipped  %s",
	                  impact_repair_step_name(w->step), (impact_now_ms() - w->t0) / 1000.0,
	                  w->passed, w->failed, w->skipped, w->current.ptr);
	if (text.size >= width)
		impact_buf_truncate(&text, width - 1);
	impact_buf_puts(&out, "\r\033[K");
	if (w->colour)
		impact_buf_puts(&out, w->failed ? "\033[31m" : "\033[32m");
	impact_buf_put(&out, text.ptr, text.size);
	if (w->colour)
		impact_buf_puts(&out, "\033[0m");
	w->drawn = write(STDERR_FILENO, out.ptr, out.size) >= 0;
	w->last_draw = impact_now_ms();
	impact_buf_release(&out);
	impact_buf_release(&text);
}

/* A line for people (terminal only); erases the status line first. */
static void say(watcher *w, const char *colour, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(watcher *w, const char *colour, const char *fmt, ...)
{
	va_list ap;
	if (w->json)
		return;
	erase_status(w);
	if (colour && w->colour)
		fputs(colour, stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (colour && w->colour)
		fputs("\033[0m", stderr);
	fputc('\n', stderr);
}

#define RED "\033[31m"
#define GREEN "\033[32m"
#define BOLD "\033[1m"

/* --- the runner's hooks --------------------------------------------------- */

static bool on_tick(void *payload)
{
	watcher *w = payload;
	int pending = impact_watch_poll(w->watch);
	if (w->tty && !w->json && impact_now_ms() - w->last_draw >= 100)
		draw_status(w);
	return pending != 0 || stop_requested; /* an error while watching stops too: said later */
}

static void on_test(impact_event_kind kind, const char *id, impact_outcome outcome, void *payload)
{
	watcher *w = payload;
	json_t *ev;
	if (kind == IMPACT_EVENT_BEGIN) {
		impact_buf_sets(&w->current, id);
		if (w->json) {
			ev = event("begin");
			json_object_set_new(ev, "id", jstr(id));
			emit(ev);
		}
		return;
	}
	if (outcome == IMPACT_OUTCOME_PASSED || outcome == IMPACT_OUTCOME_XPASSED)
		w->passed++;
	else if (impact_outcome_is_failure(outcome))
		w->failed++;
	else
		w->skipped++;
	if (w->json) {
		ev = event("test");
		json_object_set_new(ev, "id", jstr(id));
		json_object_set_new(ev, "outcome", json_string(impact_outcome_name(outcome)));
		emit(ev);
	}
}

/* The runner's spawn hook: the prepared interpreter, when it fits. */
static int spawn_prepared(pid_t *pid, const char *const *argv, const char *const *env_add,
                          const char *output, void *payload)
{
	watcher *w = payload;
	int rc = impact_prepared_take(w->prep, pid, argv, env_add, output);
	w->ran_prepared = rc == 0;
	return rc;
}

/* Have a prepared interpreter ready for the next run (when one is known and wanted). */
static void prepare(watcher *w)
{
	if (w->prep && !impact_prepared_spent(w->prep))
		return;
	impact_prepared_free(w->prep);
	w->prep = NULL;
	if (!w->prep_script || !w->python.n)
		return;
	if (impact_prepared_start(&w->prep, &w->python, w->prep_script, w->cli->workdir) < 0)
		impact_error_clear(); /* the run starts its interpreter itself */
}

/* Remember the interpreter this plan's runs use, and prepare one. */
static void prepare_for(watcher *w, const impact_plan *plan)
{
	impact_python py = { 0 };
	if (!w->prep_script || (plan->config && plan->config->test_command.n))
		return;
	if (impact_python_choose(&py, w->cli->workdir, plan->config ? plan->config->python : NULL) == 0) {
		bool same = py.argv.n == w->python.n;
		for (size_t i = 0; same && i < py.argv.n; i++)
			same = !strcmp(py.argv.items[i], w->python.items[i]);
		if (!same) {
			impact_prepared_free(w->prep);
			w->prep = NULL;
			impact_strlist_release(&w->python);
			for (size_t i = 0; i < py.argv.n; i++)
				impact_strlist_push(&w->python, py.argv.items[i]);
		}
		prepare(w);
	}
	impact_error_clear();
	impact_python_release(&py);
}

/* --- showing results ------------------------------------------------------ */

/* The FAILURES section of pytest's output in `log` (captured output included), or "". */
static void failures_section(impact_buf *out, const char *log)
{
	impact_buf text = IMPACT_BUF_INIT;
	const char *start, *end;
	if (!log || impact_buf_read_file(&text, log, (size_t)4 << 20) < 0)
		goto done;
	start = strstr(text.ptr, " FAILURES ");
	if (!start)
		start = strstr(text.ptr, " ERRORS ");
	if (!start)
		goto done;
	start = strchr(start, '\n');
	if (!start)
		goto done;
	start++;
	/* Up to the next "=== ... ===" line, or pytest's "- generated xml file" line. */
	for (end = start; *end; end = strchr(end, '\n') ? strchr(end, '\n') + 1 : end + strlen(end))
		if (*end == '=' || (*end == '-' && !strncmp(end + strspn(end, "-"), " generated xml file", 19)))
			break;
	impact_buf_put(out, start, (size_t)(end - start) > ((size_t)64 << 10) ? (size_t)64 << 10
	               : (size_t)(end - start));
done:
	impact_buf_release(&text);
}

static const impact_testcase *find_case(const impact_results *res, const char *id)
{
	for (size_t i = 0; id && i < res->n; i++) {
		const impact_testcase *tc = &res->cases[i];
		if (impact_outcome_is_failure(tc->outcome) && tc->nodeid && !strcmp(tc->nodeid, id))
			return tc;
	}
	for (size_t i = 0; i < res->n; i++)
		if (impact_outcome_is_failure(res->cases[i].outcome))
			return &res->cases[i];
	return NULL;
}

static void describe_error(impact_buf *out, const impact_repair_error *e)
{
	impact_buf_puts(out, *e->type ? e->type : *e->message ? e->message : "failure");
	if (*e->frame)
		impact_buf_printf(out, " in %s", e->frame);
}

/* The groups still to fix: JSON event, or "3 groups, 41 tests: TypeError in lib/db.py:31 (38 tests), ...". */
static void show_groups(watcher *w)
{
	const impact_repair *l = &w->loop;
	if (w->json) {
		json_t *ev = event("groups"), *gs = json_array();
		for (size_t i = 0; i < l->ngroups; i++) {
			json_t *g = json_object();
			json_object_set_new(g, "type", jstr(l->groups[i].error.type));
			json_object_set_new(g, "message", jstr(l->groups[i].error.message));
			json_object_set_new(g, "frame", jstr(l->groups[i].error.frame));
			json_object_set_new(g, "tests", jlist(&l->groups[i].tests));
			json_array_append_new(gs, g);
		}
		json_object_set_new(ev, "groups", gs);
		json_object_set_new(ev, "tests", json_integer((json_int_t)l->failed.n));
		json_object_set_new(ev, "focus", l->focus ? jstr(l->focus) : json_null());
		emit(ev);
	} else {
		impact_buf line = IMPACT_BUF_INIT;
		impact_buf_printf(&line, "%zu group%s, %zu test%s:", l->ngroups, l->ngroups == 1 ? "" : "s",
		                  l->failed.n, l->failed.n == 1 ? "" : "s");
		for (size_t i = 0; i < l->ngroups && i < 5; i++) {
			impact_buf_puts(&line, i ? ", " : " ");
			describe_error(&line, &l->groups[i].error);
			impact_buf_printf(&line, " (%zu test%s)", l->groups[i].tests.n,
			                  l->groups[i].tests.n == 1 ? "" : "s");
		}
		if (l->ngroups > 5)
			impact_buf_printf(&line, ", ... (%zu more)", l->ngroups - 5);
		say(w, NULL, "%s", line.ptr);
		impact_buf_release(&line);
	}
}

/* The failure of the test being fixed, in full: its traceback and captured output. */
static void show_focus(watcher *w, const impact_results *res, const char *log)
{
	const impact_testcase *tc = find_case(res, w->loop.focus);
	impact_buf section = IMPACT_BUF_INIT;
	if (!tc)
		return;
	failures_section(&section, log);
	if (w->json) {
		json_t *ev = event("failure");
		impact_repair_error e;
		impact_repair_error_of(&e, tc);
		json_object_set_new(ev, "id", jstr(tc->nodeid ? tc->nodeid : tc->name));
		json_object_set_new(ev, "type", jstr(e.type));
		json_object_set_new(ev, "message", jstr(tc->message));
		json_object_set_new(ev, "frame", jstr(e.frame));
		json_object_set_new(ev, "traceback", jstr(tc->text));
		json_object_set_new(ev, "output", jstr(section.ptr));
		emit(ev);
		impact_repair_error_release(&e);
	} else {
		say(w, BOLD, "--- %s", tc->nodeid ? tc->nodeid : tc->name);
		if (section.size)
			fputs(section.ptr, stderr);
		else if (tc->text)
			fprintf(stderr, "%s\n", tc->text);
		else if (tc->message)
			fprintf(stderr, "%s\n", tc->message);
	}
	impact_buf_release(&section);
}

/* notify-send, when present; silent otherwise. */
static void notify(const watcher *w, const char *title, const char *body)
{
	impact_strlist argv = { 0 };
	impact_child_opts co = { 0 };
	int status;
	if (w->o->no_notify)
		return;
	impact_strlist_push(&argv, "notify-send");
	impact_strlist_push(&argv, "--app-name=impact");
	impact_strlist_push(&argv, title);
	impact_strlist_push(&argv, body);
	co.quiet = true;
	co.cwd = w->cli->workdir;
	impact_child_run(&status, impact_child_argv(&argv), &co);
	impact_error_clear();
	impact_strlist_release(&argv);
}

static void set_state(watcher *w, bool red)
{
	impact_buf body = IMPACT_BUF_INIT;
	json_t *ev;
	if (w->state == (int)red)
		return;
	w->state = red;
	if (red && w->loop.ngroups)
		impact_buf_printf(&body, "%zu test%s failing", w->loop.failed.n,
		                  w->loop.failed.n == 1 ? "" : "s");
	else
		impact_buf_puts(&body, red ? "the run did not complete" : "all tests passed");
	if (w->json) {
		ev = event("state");
		json_object_set_new(ev, "state", json_string(red ? "red" : "green"));
		json_object_set_new(ev, "summary", jstr(body.ptr));
		emit(ev);
	}
	notify(w, red ? "impact watch: red" : "impact watch: green", body.ptr);
	impact_buf_release(&body);
}

/* --- one step ------------------------------------------------------------- */

static void say_error(watcher *w, const char *message)
{
	if (w->json) {
		json_t *ev = event("error");
		json_object_set_new(ev, "step", json_string(impact_repair_step_name(w->step)));
		json_object_set_new(ev, "message", jstr(message));
		emit(ev);
	} else {
		say(w, RED, "impact watch: %s", message);
	}
}

static void plan_notes(watcher *w, const impact_plan *plan)
{
	for (size_t i = 0; i < plan->notes.n; i++) {
		if (w->json) {
			json_t *ev = event("warning");
			json_object_set_new(ev, "message", jstr(plan->notes.items[i]));
			emit(ev);
		} else if (!w->o->run.quiet) {
			say(w, NULL, "impact watch: warning: %s", plan->notes.items[i]);
		}
	}
}

/* Failed records that count (not known-flaky), and whether all are collection errors. */
static size_t real_failures(const impact_results *res, bool *all_collect)
{
	size_t n = 0;
	*all_collect = true;
	for (size_t i = 0; i < res->n; i++)
		if (impact_outcome_is_failure(res->cases[i].outcome) && !res->cases[i].flaky) {
			n++;
			*all_collect = *all_collect && res->cases[i].collect_error;
		}
	return n;
}

static json_t *counts_json(const impact_results *res)
{
	json_t *c = json_object();
	for (int k = 0; k < IMPACT_OUTCOME_COUNT; k++)
		json_object_set_new(c, impact_outcome_name((impact_outcome)k),
		                    json_integer((json_int_t)res->counts[k]));
	return c;
}

/*
 * The affected step's tests: what the working tree's changes against the
 * base select, and the tests the import graph leads to from every file
 * saved since the loop began (a file saved back to its committed content
 * is no change against the base, but it did change since the loop began).
 */
static void affected_targets(impact_strlist *out, const watcher *w, const impact_plan *plan)
{
	const impact_selection *sel = plan->selection;
	impact_strlist reached = { 0 };
	for (size_t i = 0; i < sel->ntests; i++)
		impact_strlist_push(out, sel->tests[i].target);
	impact_plan_reaching(&reached, plan, (const char *const *)w->saved.items, w->saved.n);
	for (size_t i = 0; i < reached.n; i++) {
		size_t k = 0;
		while (k < out->n && strcmp(out->items[k], reached.items[i]))
			k++;
		if (k == out->n)
			impact_strlist_push(out, reached.items[i]);
	}
	impact_strlist_release(&reached);
}

/*
 * Run the loop's current step and say how it went. Returns how it ended
 * for the loop; *exit_out gets the runner's exit code (130: Ctrl-C during
 * the run), *res_out its records and *log_out pytest's output file (both
 * the caller's, possibly empty/NULL).
 */
static impact_repair_outcome run_step(watcher *w, int *exit_out, impact_results *res_out,
                                      char **log_out)
{
	const watch_opts *o = w->o;
	impact_plan_opts po = { 0 };
	impact_plan *plan = NULL;
	impact_runner_opts ro = o->run;
	impact_runner_embed em = { 0 };
	impact_strlist targets = { 0 };
	impact_repair_step step = w->loop.step;
	impact_repair_outcome outcome;
	bool by_selection = step != IMPACT_REPAIR_ONE && step != IMPACT_REPAIR_FAILED;
	bool all_collect;
	size_t nfail;
	json_t *ev;
	int rc;

	*exit_out = 0;
	w->step = step;
	po.spec = w->spec;
	po.all = step == IMPACT_REPAIR_ALL || (step == IMPACT_REPAIR_START && o->all);
	po.no_smart = o->no_smart || !by_selection; /* one test, or the failed: no walk needed */
	po.coarse = o->coarse;
	po.no_records = o->no_records;
	po.no_cache = o->no_cache;
	po.threads = o->threads;
	po.rules_dir = impact_planout_rules_dir();
	if ((rc = impact_plan_build(&plan, w->cli->repo, &po)) < 0) {
		say_error(w, impact_error_last());
		outcome = IMPACT_REPAIR_BROKEN;
		goto done;
	}
	if (by_selection)
		plan_notes(w, plan);
	prepare_for(w, plan);
	if (step == IMPACT_REPAIR_AFFECTED && !plan->selection->full_suite)
		affected_targets(&targets, w, plan);
	if (step == IMPACT_REPAIR_ONE)
		impact_strlist_push(&targets, w->loop.focus);
	else if (step == IMPACT_REPAIR_FAILED)
		for (size_t i = 0; i < w->loop.failed.n; i++)
			impact_strlist_push(&targets, w->loop.failed.items[i]);

	ev = event("run");
	json_object_set_new(ev, "step", json_string(impact_repair_step_name(step)));
	if (!by_selection) {
		json_object_set_new(ev, "tests", jlist(&targets));
	} else if (!po.all && (step == IMPACT_REPAIR_AFFECTED && !plan->selection->full_suite
	                       ? !targets.n : impact_plan_is_empty(plan))) {
		json_decref(ev);
		if (w->json) {
			ev = event("result");
			json_object_set_new(ev, "step", json_string(impact_repair_step_name(step)));
			json_object_set_new(ev, "outcome", json_string("passed"));
			json_object_set_new(ev, "nothing_to_run", json_true());
			json_object_set_new(ev, "changes", json_integer((json_int_t)plan->changes->n));
			emit(ev);
		} else {
			say(w, NULL, "impact watch: %s: %s", impact_repair_step_name(step),
			    plan->changes->n ? "no test reaches the changes: nothing to run"
			                     : "no changes: nothing to run");
		}
		outcome = IMPACT_REPAIR_PASSED;
		goto done;
	} else {
		json_t *files = json_array();
		const impact_selection *sel = plan->selection;
		if (targets.n)
			for (size_t i = 0; i < targets.n; i++)
				json_array_append_new(files, jstr(targets.items[i]));
		else
			for (size_t i = 0; i < sel->ntests; i++)
				json_array_append_new(files, jstr(sel->tests[i].target));
		json_object_set_new(ev, "files", files);
		json_object_set_new(ev, "full_suite", json_boolean(sel->full_suite));
	}
	if (w->json)
		emit(ev);
	else
		json_decref(ev);

	w->t0 = impact_now_ms();
	w->passed = w->failed = w->skipped = 0;
	impact_buf_clear(&w->current);
	em.targets = targets.n ? &targets : NULL;
	em.tick = on_tick;
	em.on_test = on_test;
	em.payload = w;
	em.spawn = w->prep_script ? spawn_prepared : NULL;
	em.keep = impact_prepared_pid(w->prep);
	w->ran_prepared = false;
	ro.embed = &em;
	ro.quiet = true;
	ro.json = false;
	*exit_out = impact_runner_run(w->cli, &ro, &plan->ctx, plan->config, w->rest, w->nrest);
	if (impact_prepared_spent(w->prep)) { /* it became the run, now ended and reaped */
		impact_prepared_free(w->prep);
		w->prep = NULL;
	}
	erase_status(w);
	if (em.stopped) {
		outcome = IMPACT_REPAIR_STOPPED;
		if (w->json) {
			ev = event("stopped");
			json_object_set_new(ev, "step", json_string(impact_repair_step_name(step)));
			json_object_set_new(ev, "why", json_string("save"));
			emit(ev);
		} else {
			say(w, NULL, "impact watch: a save during the run: stopped, starting over");
		}
		goto done;
	}
	nfail = real_failures(&em.results, &all_collect);
	if (*exit_out == 130)
		outcome = IMPACT_REPAIR_BROKEN;
	else if (nfail && !all_collect)
		outcome = IMPACT_REPAIR_RED;
	else if (*exit_out == IMPACT_EXIT_OK)
		outcome = IMPACT_REPAIR_PASSED;
	else
		outcome = IMPACT_REPAIR_BROKEN; /* a collection error (a syntax error): said once */

	if (w->json) {
		json_t *fails = json_array();
		ev = event("result");
		json_object_set_new(ev, "step", json_string(impact_repair_step_name(step)));
		json_object_set_new(ev, "outcome", json_string(outcome == IMPACT_REPAIR_PASSED ? "passed"
		                    : outcome == IMPACT_REPAIR_RED ? "red" : "broken"));
		json_object_set_new(ev, "exit", json_integer(*exit_out));
		json_object_set_new(ev, "counts", counts_json(&em.results));
		json_object_set_new(ev, "seconds", json_real((impact_now_ms() - w->t0) / 1000.0));
		json_object_set_new(ev, "prepared", json_boolean(w->ran_prepared));
		for (size_t i = 0; i < em.results.n; i++) {
			const impact_testcase *tc = &em.results.cases[i];
			impact_repair_error e;
			json_t *f;
			if (!impact_outcome_is_failure(tc->outcome))
				continue;
			impact_repair_error_of(&e, tc);
			f = json_object();
			json_object_set_new(f, "id", jstr(tc->nodeid ? tc->nodeid : tc->name));
			json_object_set_new(f, "type", jstr(e.type));
			json_object_set_new(f, "message", jstr(e.message));
			json_object_set_new(f, "frame", jstr(e.frame));
			json_object_set_new(f, "collect_error", json_boolean(tc->collect_error));
			if (tc->flaky)
				json_object_set_new(f, "flaky", jstr(tc->flaky));
			json_array_append_new(fails, f);
			impact_repair_error_release(&e);
		}
		json_object_set_new(ev, "failures", fails);
		emit(ev);
	} else {
		const impact_results *r = &em.results;
		say(w, outcome == IMPACT_REPAIR_PASSED ? GREEN : RED,
		    "impact watch: %s: %zu passed, %zu failed, %zu errors, %zu skipped (%.1f s)",
		    impact_repair_step_name(step), r->counts[IMPACT_OUTCOME_PASSED] +
		    r->counts[IMPACT_OUTCOME_XPASSED], r->counts[IMPACT_OUTCOME_FAILED],
		    r->counts[IMPACT_OUTCOME_ERROR], r->counts[IMPACT_OUTCOME_SKIPPED] +
		    r->counts[IMPACT_OUTCOME_XFAILED], (impact_now_ms() - w->t0) / 1000.0);
	}
	if (outcome == IMPACT_REPAIR_BROKEN && *exit_out != 130) {
		impact_buf why = IMPACT_BUF_INIT;
		if (em.error)
			impact_buf_puts(&why, em.error);
		else if (nfail)
			for (size_t i = 0; i < em.results.n; i++) {
				const impact_testcase *tc = &em.results.cases[i];
				if (tc->collect_error)
					impact_buf_printf(&why, "%s%s: %s", why.size ? "; " : "",
					                  tc->file ? tc->file : tc->name,
					                  tc->text ? tc->text : tc->message ? tc->message : "");
			}
		else
			impact_buf_printf(&why, "the run ended with exit %d and no test failure to fix%s%s",
			                  *exit_out, em.log_path ? ": see " : "",
			                  em.log_path ? em.log_path : "");
		say_error(w, why.ptr);
		impact_buf_release(&why);
	}
done:
	*res_out = em.results;
	*log_out = em.log_path;
	free(em.error);
	impact_strlist_release(&targets);
	impact_planout_free(plan, true);
	return outcome;
}

/* --- the loop ------------------------------------------------------------- */

static void say_save(watcher *w, const impact_strlist *paths)
{
	for (size_t i = 0; i < paths->n; i++) {
		size_t k = 0;
		while (k < w->saved.n && strcmp(w->saved.items[k], paths->items[i]))
			k++;
		if (k == w->saved.n)
			impact_strlist_push(&w->saved, paths->items[i]);
	}
	if (w->json) {
		json_t *ev = event("save");
		json_object_set_new(ev, "paths", jlist(paths));
		emit(ev);
	} else if (paths->n) {
		say(w, NULL, "impact watch: saved: %s%s", paths->items[0],
		    paths->n > 1 ? " and more" : "");
	}
}

/* Wait for the next save and say it. 1 a save, 0 Ctrl-C, < 0 an error (said). */
static int next_save(watcher *w)
{
	impact_strlist paths = { 0 };
	int rc = impact_watch_next(w->watch, &paths, (int)w->o->settle, &stop_requested);
	if (rc < 0)
		say_error(w, impact_error_last());
	else if (rc > 0)
		say_save(w, &paths);
	impact_strlist_release(&paths);
	return rc;
}

/* The end: remaining failures and the exit status. */
static int finish(watcher *w, int exit_code)
{
	const impact_repair *l = &w->loop;
	if (w->json) {
		json_t *ev = event("end");
		json_object_set_new(ev, "state", json_string(w->loop.red ? "red" : "green"));
		json_object_set_new(ev, "exit", json_integer(exit_code));
		json_object_set_new(ev, "remaining", jlist(&l->failed));
		emit(ev);
	} else {
		if (l->failed.n) {
			say(w, RED, "impact watch: %zu test%s still failing:", l->failed.n,
			    l->failed.n == 1 ? "" : "s");
			for (size_t i = 0; i < l->failed.n; i++)
				fprintf(stderr, "    %s\n", l->failed.items[i]);
			show_groups(w);
		}
		say(w, NULL, "impact watch: stopped (%s)", exit_code == 130 ? "interrupted during a run"
		    : w->loop.red ? "red" : "green");
	}
	return exit_code;
}

static int loop(watcher *w)
{
	for (;;) {
		impact_results res = { 0 };
		impact_repair_outcome outcome;
		impact_repair_step step = w->loop.step;
		char *log = NULL;
		int exit_code, rc;

		if (stop_requested)
			return finish(w, w->loop.red ? IMPACT_EXIT_FAILED : IMPACT_EXIT_OK);
		if (step == IMPACT_REPAIR_WAIT) {
			if (w->json) {
				json_t *ev = event("wait");
				json_object_set_new(ev, "resume", json_string(impact_repair_step_name(w->loop.resume)));
				emit(ev);
			} else {
				say(w, NULL, "waiting for changes...");
			}
			prepare(w);
			rc = next_save(w);
			if (rc < 0)
				return finish(w, IMPACT_EXIT_USAGE);
			if (rc == 0)
				return finish(w, w->loop.red ? IMPACT_EXIT_FAILED : IMPACT_EXIT_OK);
			impact_repair_saved(&w->loop);
			continue;
		}
		/* Saves already made are in the state this run starts from. */
		if ((rc = impact_watch_poll(w->watch)) > 0 && next_save(w) < 0)
			return finish(w, IMPACT_EXIT_USAGE);
		if (rc < 0) {
			say_error(w, impact_error_last());
			return finish(w, IMPACT_EXIT_USAGE);
		}
		outcome = run_step(w, &exit_code, &res, &log);
		if (outcome == IMPACT_REPAIR_STOPPED) {
			impact_results_release(&res);
			free(log);
			if (stop_requested) /* Ctrl-C: it stopped the run, not a save */
				return finish(w, 130);
			rc = next_save(w);
			if (rc <= 0)
				return finish(w, rc < 0 ? IMPACT_EXIT_USAGE : 130);
			continue;
		}
		if (exit_code == 130) { /* Ctrl-C during the run (one after it ended waits for the loop's top) */
			impact_results_release(&res);
			free(log);
			return finish(w, 130);
		}
		impact_repair_ran(&w->loop, outcome, &res);
		if (outcome == IMPACT_REPAIR_RED) {
			if (w->loop.step == IMPACT_REPAIR_WAIT) /* the test being fixed still fails */
				show_focus(w, &res, log);
			show_groups(w);
		}
		set_state(w, w->loop.red);
		impact_results_release(&res);
		free(log);
	}
}

int cmd_watch(int argc, char **argv, impact_cli *cli)
{
	watch_opts o = { 0 };
	const impact_opt opts[] = {
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL,
		  "the working tree against HEAD (or <revspec>'s base, e.g. 'main...'), watched: at each\n"
		  "save the failures of the largest group first, then every failed test, then\n"
		  "what the changes affect, then (--all) the full suite" },
		{ IMPACT_OPT_FLAG, 0, "all", &o.all, NULL, "start with the full suite, and end each green round with it" },
		{ IMPACT_OPT_FLAG, 0, "json", &o.json, NULL, "one JSON object per line per event on stdout (the default off a terminal)" },
		{ IMPACT_OPT_FLAG, 0, "no-notify", &o.no_notify, NULL, "no desktop notification (notify-send) when the state turns red or green" },
		{ IMPACT_OPT_UINT, 0, "settle", &o.settle, "ms", "a burst of writes closer than this is one save (default 100)" },
		{ IMPACT_OPT_FLAG, 0, "no-prepare", &o.no_prepare, NULL, "start each run's interpreter at the run, not ahead while waiting" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "selecting" },
		{ IMPACT_OPT_FLAG, 0, "no-smart", &o.no_smart, NULL, "rules alone: no import graph (changed tests still run)" },
		{ IMPACT_OPT_FLAG, 0, "coarse", &o.coarse, NULL, "whole modules: any change selects every test importing the module" },
		{ IMPACT_OPT_FLAG, 0, "no-records", &o.no_records, NULL, "static selection only: ignore what tests executed at their last run" },
		{ IMPACT_OPT_FLAG, 0, "no-cache", &o.no_cache, NULL, "parse every file, neither reading nor writing the parse cache" },
		{ IMPACT_OPT_UINT, 0, "threads", &o.threads, "n", "parse with n threads (default: all CPUs)" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "running (each run as 'impact' runs, going on past failures)" },
		{ IMPACT_OPT_FLAG, 0, "no-preflight", &o.run.no_preflight, NULL, "skip the import and collection checks" },
		{ IMPACT_OPT_FLAG, 0, "no-record", &o.run.no_record, NULL, "do not record what the tests execute" },
		{ IMPACT_OPT_FLAG, 0, "no-default-flags", &o.run.no_default_flags, NULL, "do not add --tb=short --no-header" },
		{ IMPACT_OPT_UINT, 0, "timeout", &o.run.timeout, "seconds", "stop a run after this long (default 120 for one file, 600 for more)" },
		{ IMPACT_OPT_UINT, 0, "grace", &o.run.grace, "seconds", "teardown time between SIGINT and SIGKILL (default 5)" },
		{ IMPACT_OPT_STRING, 'n', "workers", &o.run.workers, "n|auto", "run on n processes with pytest-xdist" },
		{ IMPACT_OPT_FLAG, 'q', "quiet", &o.run.quiet, NULL, "fewer messages on stderr" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL,
		  "exit codes: 0 the last state was green, 1 red, 2 usage or configuration error\n"
		  "(or the work tree cannot be watched), 130 Ctrl-C during a run." },
		{ IMPACT_OPT_END, 0, NULL, NULL, NULL, NULL },
	};
	char **pos = NULL, **rest = NULL;
	size_t npos = 0, nrest = 0;
	watcher w = { 0 };
	struct sigaction sa, old_int, old_term, old_hup;
	int rc, exit_code;

	rc = impact_opts_parse(opts, usage_line, argc, argv, &pos, &npos, &rest, &nrest);
	if (rc > 0)
		return IMPACT_EXIT_OK;
	if (rc < 0)
		return IMPACT_EXIT_USAGE;
	if (npos > 1) {
		fprintf(stderr, "impact watch: error: one revision at a time, got '%s' and '%s'\n"
		        "  (pytest's own arguments go after '--')\n", pos[0], pos[1]);
		free(pos);
		return IMPACT_EXIT_USAGE;
	}
	if (o.run.workers && strcmp(o.run.workers, "auto") &&
	    strspn(o.run.workers, "0123456789") != strlen(o.run.workers)) {
		fprintf(stderr, "impact watch: error: -n takes a number of processes or 'auto', not '%s'\n",
		        o.run.workers);
		free(pos);
		return IMPACT_EXIT_USAGE;
	}
	if (!o.settle)
		o.settle = 100;
	if (!cli->workdir) {
		fprintf(stderr, "impact watch: error: a bare repository has no work tree to watch\n");
		free(pos);
		return IMPACT_EXIT_USAGE;
	}

	w.cli = cli;
	w.o = &o;
	w.spec = npos ? pos[0] : NULL;
	w.rest = rest;
	w.nrest = nrest;
	w.json = o.json || !isatty(STDOUT_FILENO);
	w.tty = !w.json && isatty(STDERR_FILENO);
	w.colour = w.tty && !getenv("NO_COLOR");
	w.state = -1;
	impact_buf_init(&w.current);
	impact_repair_init(&w.loop, o.all);
	if (!o.no_prepare) {
		char *dir = impact_run_plugin_dir();
		if (dir) {
			impact_buf p = IMPACT_BUF_INIT;
			impact_buf_printf(&p, "%s/impact_prepared.py", dir);
			if (access(p.ptr, R_OK) == 0)
				w.prep_script = impact_buf_detach(&p);
			impact_buf_release(&p);
		}
		free(dir);
	}

	stop_requested = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);

	if ((rc = impact_watch_open(&w.watch, cli->repo, cli->workdir)) < 0) {
		exit_code = impact_cli_fail(rc);
		goto done;
	}
	if (w.json) {
		json_t *ev = event("start");
		json_object_set_new(ev, "workdir", jstr(cli->workdir));
		json_object_set_new(ev, "base", jstr(w.spec ? w.spec : "HEAD"));
		json_object_set_new(ev, "all", json_boolean(o.all));
		json_object_set_new(ev, "folders", json_integer((json_int_t)impact_watch_folders(w.watch)));
		json_object_set_new(ev, "pid", json_integer((json_int_t)getpid()));
		emit(ev);
	} else {
		say(&w, NULL, "impact watch: watching %zu folder%s of %s (Ctrl-C to stop)",
		    impact_watch_folders(w.watch), impact_watch_folders(w.watch) == 1 ? "" : "s",
		    cli->workdir);
	}
	exit_code = loop(&w);
done:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	impact_watch_free(w.watch);
	impact_repair_release(&w.loop);
	impact_strlist_release(&w.saved);
	impact_prepared_free(w.prep);
	impact_strlist_release(&w.python);
	free(w.prep_script);
	impact_buf_release(&w.current);
	free(pos);
	return exit_code;
}
