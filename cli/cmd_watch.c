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
 * watch.h), and the next run's interpreters are started while the loop
 * waits (analyzer/run/prepared.h): one with pytest imported, one with the
 * project's modules too, dropped when a save makes it stale. This file
 * ties them together; what is shown (status line, JSON events,
 * notifications) is watchout.c's.
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
#include "error.h"

#include "interp.h"
#include "opts.h"
#include "planout.h"
#include "prepared.h"
#include "repair.h"
#include "run.h"
#include "watch.h"
#include "watchout.h"

#include <signal.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	IMPACT_UNUSED(sig);
	stop_requested = 1;
}

typedef struct watch_opts {
	bool all, json, no_notify, no_smart, coarse, no_records, no_cache, no_prepare,
	     no_preimport;
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
	impact_strlist run_args; /* rest and $PYTEST_ADDOPTS, as selection reads them */
	/*
	 * The next run's interpreters, started ahead: `prep` has also imported
	 * the project's modules the last run's test files import (NULL when
	 * there is none, or it went stale), `plain` pytest alone (the fallback).
	 * `failed` is a project one whose imports failed: kept (not running)
	 * for its report, so that no other is tried until a save touches what
	 * it imported. At most one is handed to the runner: the other is
	 * stopped before the run, so that reaping leaves the kept one alone.
	 */
	impact_prepared *prep, *plain, *failed;
	impact_prepared *last;   /* the last project one that was ready (report kept, stopped) */
	impact_strlist prep_args;  /* --tests/--root arguments for the next `prep` */
	impact_strlist python;   /* the interpreter the last run chose (its argv), for prep */
	char *prep_script;       /* impact_prepared.py, or NULL: no preparing */
	const char *ran_prepared; /* "project", "pytest" or NULL: what the run going on was */
	impact_watchout out;     /* the screen or the JSON events */
} watcher;

static const char usage_line[] = "impact watch [<revspec>] [options] [-- <pytest args>]";

/* --- the runner's hooks --------------------------------------------------- */

static bool on_tick(void *payload)
{
	watcher *w = payload;
	int pending = impact_watch_poll(w->watch);
	if (w->out.tty && !w->out.json && impact_now_ms() - w->out.last_draw >= 100)
		impact_watchout_status(&w->out);
	return pending != 0 || stop_requested; /* an error while watching stops too: said later */
}

static void on_test(impact_event_kind kind, const char *id, impact_outcome outcome, void *payload)
{
	watcher *w = payload;
	impact_watchout_test(&w->out, kind, id, outcome);
}

/* The runner's spawn hook: the prepared interpreter kept for this run, when it fits. */
static int spawn_prepared(pid_t *pid, const char *const *argv, const char *const *env_add,
                          const char *output, void *payload)
{
	watcher *w = payload;
	impact_prepared *p = w->prep ? w->prep : w->plain;
	int rc = impact_prepared_take(p, pid, argv, env_add, output);
	w->ran_prepared = rc != 0 ? NULL : p == w->prep ? "project" : "pytest";
	return rc;
}

/* --- the prepared interpreters -------------------------------------------- */

/* Say what became of a project interpreter: "ready", "failed", "stale". */
static void say_prepared(watcher *w, impact_prepared *p, const char *what, const char *why)
{
	if (w->out.json) {
		json_t *ev = impact_watchout_event("prepared");
		json_object_set_new(ev, "state", json_string(what));
		json_object_set_new(ev, "modules", impact_watchout_list(impact_prepared_modules(p)));
		if (why)
			json_object_set_new(ev, "why", impact_watchout_str(why));
		if (strcmp(what, "ready"))
			json_object_set_new(ev, "fallback", json_string("pytest"));
		impact_watchout_emit(ev);
	} else if (!strcmp(what, "failed") && !w->o->run.quiet) {
		impact_watchout_say(&w->out, NULL, "impact watch: the project's modules cannot be "
		                    "imported ahead (%s): runs start from an interpreter with pytest alone",
		                    why);
	}
}

static void drop(impact_prepared **p)
{
	impact_prepared_free(*p);
	*p = NULL;
}

/* Drop the project interpreter, keeping its report as `last` when it was ready. */
static void retire(watcher *w)
{
	if (w->prep && impact_prepared_ready(w->prep, 0) == 1) {
		impact_prepared_stop(w->prep);
		impact_prepared_free(w->last);
		w->last = w->prep;
		w->prep = NULL;
	}
	drop(&w->prep);
}

/*
 * Have interpreters ready for the next run (when one is known and
 * wanted): while waiting (`both`), the project's and the pytest-only
 * one; just before a run, one at most, and none when one is there
 * already (a pytest-only one ready now beats a project one started now).
 */
static void prepare(watcher *w, bool both)
{
	if (w->prep && impact_prepared_spent(w->prep))
		retire(w);
	if (w->plain && impact_prepared_spent(w->plain))
		drop(&w->plain);
	if (!w->prep_script || !w->python.n || (!both && (w->prep || w->plain)))
		return;
	if ((both || w->failed || !w->prep_args.n) && !w->plain &&
	    impact_prepared_start(&w->plain, &w->python, w->prep_script, NULL, w->cli->workdir) < 0)
		impact_error_clear(); /* the run starts its interpreter itself */
	if (!w->prep && !w->failed && w->prep_args.n &&
	    impact_prepared_start(&w->prep, &w->python, w->prep_script, &w->prep_args,
	                          w->cli->workdir) < 0)
		impact_error_clear();
}

/* The project interpreter is unusable: said, stopped, kept (its report) as `failed`. */
static void fail_prepared(watcher *w)
{
	say_prepared(w, w->prep, "failed", impact_prepared_ready(w->prep, 0) == 0
	             ? "its imports took longer than 10 s" : impact_prepared_why(w->prep));
	impact_prepared_stop(w->prep);
	impact_prepared_free(w->failed);
	w->failed = w->prep;
	w->prep = NULL;
}

/* A save: a project interpreter that imported what it touches is stale. */
static void saved_prepared(watcher *w, const impact_strlist *paths)
{
	const char *why;
	if (w->failed && impact_prepared_stale(w->failed, paths))
		drop(&w->failed); /* what failed may import now: try again */
	/*
	 * Its report first (it may be importing still). What it imported is
	 * then known, whether before or after the save: a file it did not
	 * import (or shadow) is found afresh by the run anyway.
	 */
	if (w->prep && impact_prepared_ready(w->prep, 0) == 0 && w->last &&
	    (why = impact_prepared_stale(w->last, paths)) != NULL) {
		/* Still importing, and the last one imported what was saved: this one
		 * will have too, most likely. Dropped at once rather than waited for. */
		say_prepared(w, w->prep, "stale", why);
		drop(&w->prep);
	}
	if (w->prep && impact_prepared_ready(w->prep, 10000) != 1)
		fail_prepared(w);
	if (w->prep && (why = impact_prepared_stale(w->prep, paths)) != NULL) {
		say_prepared(w, w->prep, "stale", why);
		retire(w);
	}
}

/*
 * Before a run: keep one interpreter for it. The project one when it is
 * ready and none of its files changed since it imported them, else the
 * pytest-only one; the other is stopped.
 */
static void choose_prepared(watcher *w)
{
	const char *changed;
	if (!w->prep)
		return;
	if (impact_prepared_ready(w->prep, 10000) != 1) {
		fail_prepared(w);
		return;
	}
	if ((changed = impact_prepared_changed(w->prep)) != NULL) {
		say_prepared(w, w->prep, "stale", changed);
		retire(w);
		return;
	}
	say_prepared(w, w->prep, "ready", NULL);
	drop(&w->plain);
}

/*
 * The arguments of the next project interpreter: the test files of
 * `targets` (node ids or files) or of the selection, then the project's
 * other test files, 200 at most; and the project's import roots.
 */
static void prep_args_for(watcher *w, const impact_plan *plan, const impact_strlist *targets)
{
	const impact_selection *sel = plan->selection;
	impact_strlist files = { 0 };
	impact_strlist_release(&w->prep_args);
	if (w->o->no_preimport)
		return;
	for (size_t i = 0; i < (targets->n ? targets->n : sel->ntests); i++) {
		const char *t = targets->n ? targets->items[i] : sel->tests[i].target;
		const char *colons = strstr(t, "::");
		char *file = colons ? impact_xstrndup(t, (size_t)(colons - t)) : impact_xstrdup(t);
		size_t k = 0;
		while (k < files.n && strcmp(files.items[k], file))
			k++;
		if (k == files.n && files.n < 200)
			impact_strlist_push(&files, file);
		free(file);
	}
	/* Then the project's other test files: the next save may lead to any of them. */
	for (uint32_t id = 0; plan->project && id < plan->project->nfiles && files.n < 200; id++) {
		const impact_pyfile *f = &plan->project->files[id];
		size_t k = 0;
		if (!(f->flags & IMPACT_PF_TEST) || (f->flags & IMPACT_PF_GHOST))
			continue;
		while (k < files.n && strcmp(files.items[k], f->path))
			k++;
		if (k == files.n)
			impact_strlist_push(&files, f->path);
	}
	for (size_t i = 0; i < files.n; i++) {
		impact_strlist_push(&w->prep_args, "--tests");
		impact_strlist_push(&w->prep_args, files.items[i]);
	}
	for (size_t i = 0; files.n && plan->project && i < plan->project->roots.n; i++) {
		impact_strlist_push(&w->prep_args, "--root");
		impact_strlist_push(&w->prep_args, plan->project->roots.items[i]);
	}
	impact_strlist_release(&files);
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
			drop(&w->prep);
			drop(&w->plain);
			drop(&w->failed);
			drop(&w->last);
			impact_strlist_release(&w->python);
			for (size_t i = 0; i < py.argv.n; i++)
				impact_strlist_push(&w->python, py.argv.items[i]);
		}
		prepare(w, false);
	}
	impact_error_clear();
	impact_python_release(&py);
}

/* --- one step ------------------------------------------------------------- */

static void plan_notes(watcher *w, const impact_plan *plan)
{
	for (size_t i = 0; i < plan->notes.n; i++) {
		if (w->out.json) {
			json_t *ev = impact_watchout_event("warning");
			json_object_set_new(ev, "message", impact_watchout_str(plan->notes.items[i]));
			impact_watchout_emit(ev);
		} else if (!w->o->run.quiet) {
			impact_watchout_say(&w->out, NULL, "impact watch: warning: %s", plan->notes.items[i]);
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

/*
 * Did the node ids a run was given name nothing (the test renamed or
 * removed)? The pre-flight says so per target ("not found"); without it,
 * pytest's own usage error (exit 4, impact's 2) does.
 */
static bool named_nothing(const impact_results *res, int exit_code)
{
	bool any = false;
	if (exit_code == IMPACT_EXIT_USAGE)
		return true;
	for (size_t i = 0; i < res->n; i++) {
		const impact_testcase *tc = &res->cases[i];
		if (!impact_outcome_is_failure(tc->outcome))
			continue;
		if (!tc->collect_error || !tc->message || strncmp(tc->message, "not found", 9))
			return false;
		any = true;
	}
	return any;
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
 * The step's plan and tests (node ids for one/failed, files for the
 * affected step's reach), said in a "run" event. Returns 0 to run, 1 when
 * the step ended already (*outcome: an error, or nothing to run).
 */
static int plan_step(watcher *w, impact_plan **plan_out, impact_strlist *targets,
                     impact_repair_outcome *outcome)
{
	const watch_opts *o = w->o;
	impact_repair_step step = w->loop.step;
	bool by_selection = step != IMPACT_REPAIR_ONE && step != IMPACT_REPAIR_FAILED;
	impact_plan_opts po = { 0 };
	impact_plan *plan;
	json_t *ev;

	po.spec = w->spec;
	po.all = step == IMPACT_REPAIR_ALL || (step == IMPACT_REPAIR_START && o->all);
	po.no_smart = o->no_smart || !by_selection; /* one test, or the failed: no walk needed */
	po.coarse = o->coarse;
	po.no_records = o->no_records;
	po.no_cache = o->no_cache;
	po.threads = o->threads;
	po.rules_dir = impact_planout_rules_dir();
	po.run_args = (const char *const *)w->run_args.items;
	po.nrun_args = w->run_args.n;
	if (impact_plan_build(plan_out, w->cli->repo, &po) < 0) {
		impact_watchout_error(&w->out, impact_error_last());
		*outcome = IMPACT_REPAIR_BROKEN;
		return 1;
	}
	plan = *plan_out;
	if (by_selection)
		plan_notes(w, plan);
	if (step == IMPACT_REPAIR_AFFECTED && !plan->selection->full_suite)
		affected_targets(targets, w, plan);
	if (step == IMPACT_REPAIR_ONE)
		impact_strlist_push(targets, w->loop.focus);
	else if (step == IMPACT_REPAIR_FAILED)
		for (size_t i = 0; i < w->loop.failed.n; i++)
			impact_strlist_push(targets, w->loop.failed.items[i]);
	prep_args_for(w, plan, targets);
	prepare_for(w, plan);

	if (by_selection && !po.all && (step == IMPACT_REPAIR_AFFECTED && !plan->selection->full_suite
	                                ? !targets->n : impact_plan_is_empty(plan))) {
		if (w->out.json) {
			ev = impact_watchout_event("result");
			json_object_set_new(ev, "step", json_string(impact_repair_step_name(step)));
			json_object_set_new(ev, "outcome", json_string("passed"));
			json_object_set_new(ev, "nothing_to_run", json_true());
			json_object_set_new(ev, "changes", json_integer((json_int_t)plan->changes->n));
			impact_watchout_emit(ev);
		} else {
			impact_watchout_say(&w->out, NULL, "impact watch: %s: %s", impact_repair_step_name(step),
			    plan->changes->n ? "no test reaches the changes: nothing to run"
			                     : "no changes: nothing to run");
		}
		*outcome = IMPACT_REPAIR_PASSED;
		return 1;
	}
	if (!w->out.json)
		return 0;
	ev = impact_watchout_event("run");
	json_object_set_new(ev, "step", json_string(impact_repair_step_name(step)));
	if (!by_selection) {
		json_object_set_new(ev, "tests", impact_watchout_list(targets));
	} else {
		json_t *files = json_array();
		const impact_selection *sel = plan->selection;
		for (size_t i = 0; i < (targets->n ? targets->n : sel->ntests); i++)
			json_array_append_new(files, impact_watchout_str(targets->n ? targets->items[i]
			                                                 : sel->tests[i].target));
		json_object_set_new(ev, "files", files);
		json_object_set_new(ev, "full_suite", json_boolean(sel->full_suite));
	}
	impact_watchout_emit(ev);
	return 0;
}

/* Run the plan's tests (or `targets`) through the runner, one prepared interpreter kept. */
static int run_plan(watcher *w, const impact_plan *plan, const impact_strlist *targets,
                    impact_runner_embed *em)
{
	impact_runner_opts ro = w->o->run;
	int exit_code;
	choose_prepared(w);
	w->out.t0 = impact_now_ms();
	w->out.passed = w->out.failed = w->out.skipped = 0;
	impact_buf_clear(&w->out.current);
	em->targets = targets->n ? targets : NULL;
	em->tick = on_tick;
	em->on_test = on_test;
	em->payload = w;
	em->spawn = w->prep_script ? spawn_prepared : NULL;
	em->keep = impact_prepared_pid(w->prep ? w->prep : w->plain);
	w->ran_prepared = NULL;
	ro.embed = em;
	ro.quiet = true;
	ro.json = false;
	exit_code = impact_runner_run(w->cli, &ro, &plan->ctx, plan->config, w->rest, w->nrest);
	if (w->prep && impact_prepared_spent(w->prep)) /* it became the run, now ended and reaped */
		retire(w);
	if (w->plain && impact_prepared_spent(w->plain))
		drop(&w->plain);
	impact_watchout_erase(&w->out);
	return exit_code;
}

/* How the run went, for the loop. */
static impact_repair_outcome judge(const impact_runner_embed *em, int exit_code,
                                   bool by_selection, size_t *nfail)
{
	bool all_collect;
	*nfail = real_failures(&em->results, &all_collect);
	if (exit_code == IMPACT_EXIT_INTERRUPTED)
		return IMPACT_REPAIR_BROKEN;
	if (*nfail && !all_collect)
		return IMPACT_REPAIR_RED;
	if (exit_code == IMPACT_EXIT_OK)
		return IMPACT_REPAIR_PASSED;
	if (!by_selection && named_nothing(&em->results, exit_code))
		return IMPACT_REPAIR_STALE;
	return IMPACT_REPAIR_BROKEN; /* a collection error (a syntax error): said once */
}

static json_t *failures_json(const impact_results *res)
{
	json_t *fails = json_array();
	for (size_t i = 0; i < res->n; i++) {
		const impact_testcase *tc = &res->cases[i];
		impact_repair_error e;
		json_t *f;
		if (!impact_outcome_is_failure(tc->outcome))
			continue;
		impact_repair_error_of(&e, tc);
		f = json_object();
		json_object_set_new(f, "id", impact_watchout_str(tc->nodeid ? tc->nodeid : tc->name));
		json_object_set_new(f, "type", impact_watchout_str(e.type));
		json_object_set_new(f, "message", impact_watchout_str(e.message));
		json_object_set_new(f, "frame", impact_watchout_str(e.frame));
		json_object_set_new(f, "collect_error", json_boolean(tc->collect_error));
		if (tc->flaky)
			json_object_set_new(f, "flaky", impact_watchout_str(tc->flaky));
		json_array_append_new(fails, f);
		impact_repair_error_release(&e);
	}
	return fails;
}

static void say_result(watcher *w, impact_repair_outcome outcome, const impact_results *r,
                       int exit_code)
{
	const char *step = impact_repair_step_name(w->loop.step);
	double secs = (impact_now_ms() - w->out.t0) / 1000.0;
	if (w->out.json) {
		json_t *ev = impact_watchout_event("result");
		json_object_set_new(ev, "step", json_string(step));
		json_object_set_new(ev, "outcome", json_string(outcome == IMPACT_REPAIR_PASSED ? "passed"
		                    : outcome == IMPACT_REPAIR_RED ? "red"
		                    : outcome == IMPACT_REPAIR_STALE ? "stale" : "broken"));
		json_object_set_new(ev, "exit", json_integer(exit_code));
		json_object_set_new(ev, "counts", impact_watchout_counts(r));
		json_object_set_new(ev, "seconds", json_real(secs));
		json_object_set_new(ev, "prepared", json_boolean(w->ran_prepared != NULL));
		json_object_set_new(ev, "prepared_with", w->ran_prepared ? json_string(w->ran_prepared)
		                                                         : json_null());
		json_object_set_new(ev, "failures", failures_json(r));
		impact_watchout_emit(ev);
	} else {
		impact_watchout_say(&w->out, outcome == IMPACT_REPAIR_PASSED ? IMPACT_WATCHOUT_GREEN : IMPACT_WATCHOUT_RED,
		    "impact watch: %s: %zu passed, %zu failed, %zu errors, %zu skipped (%.1f s)", step,
		    r->counts[IMPACT_OUTCOME_PASSED] + r->counts[IMPACT_OUTCOME_XPASSED],
		    r->counts[IMPACT_OUTCOME_FAILED], r->counts[IMPACT_OUTCOME_ERROR],
		    r->counts[IMPACT_OUTCOME_SKIPPED] + r->counts[IMPACT_OUTCOME_XFAILED], secs);
	}
	if (outcome == IMPACT_REPAIR_STALE)
		impact_watchout_say(&w->out, NULL, "impact watch: the failing tests are gone as named "
		                    "(renamed or removed): running what the changes affect");
}

/* A run that ended with nothing to fix: why, once. */
static void say_broken(watcher *w, const impact_runner_embed *em, size_t nfail, int exit_code)
{
	impact_buf why = IMPACT_BUF_INIT;
	if (em->error)
		impact_buf_puts(&why, em->error);
	else if (nfail)
		for (size_t i = 0; i < em->results.n; i++) {
			const impact_testcase *tc = &em->results.cases[i];
			if (tc->collect_error)
				impact_buf_printf(&why, "%s%s: %s", why.size ? "; " : "",
				                  tc->file ? tc->file : tc->name,
				                  tc->text ? tc->text : tc->message ? tc->message : "");
		}
	else
		impact_buf_printf(&why, "the run ended with exit %d and no test failure to fix%s%s",
		                  exit_code, em->log_path ? ": see " : "",
		                  em->log_path ? em->log_path : "");
	impact_watchout_error(&w->out, why.ptr);
	impact_buf_release(&why);
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
	impact_plan *plan = NULL;
	impact_runner_embed em = { 0 };
	impact_strlist targets = { 0 };
	impact_repair_step step = w->loop.step;
	impact_repair_outcome outcome;
	size_t nfail;

	*exit_out = 0;
	w->out.step = step;
	if (plan_step(w, &plan, &targets, &outcome))
		goto done;
	*exit_out = run_plan(w, plan, &targets, &em);
	if (em.stopped) {
		outcome = IMPACT_REPAIR_STOPPED;
		if (w->out.json) {
			json_t *ev = impact_watchout_event("stopped");
			json_object_set_new(ev, "step", json_string(impact_repair_step_name(step)));
			json_object_set_new(ev, "why", json_string("save"));
			impact_watchout_emit(ev);
		} else {
			impact_watchout_say(&w->out, NULL, "impact watch: a save during the run: stopped, starting over");
		}
		goto done;
	}
	outcome = judge(&em, *exit_out, step != IMPACT_REPAIR_ONE && step != IMPACT_REPAIR_FAILED,
	                &nfail);
	say_result(w, outcome, &em.results, *exit_out);
	if (outcome == IMPACT_REPAIR_BROKEN && *exit_out != IMPACT_EXIT_INTERRUPTED)
		say_broken(w, &em, nfail, *exit_out);
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
	if (w->out.json) {
		json_t *ev = impact_watchout_event("save");
		json_object_set_new(ev, "paths", impact_watchout_list(paths));
		impact_watchout_emit(ev);
	} else if (paths->n) {
		impact_watchout_say(&w->out, NULL, "impact watch: saved: %s%s", paths->items[0],
		    paths->n > 1 ? " and more" : "");
	}
	saved_prepared(w, paths);
}

/* Wait for the next save and say it. 1 a save, 0 Ctrl-C, < 0 an error (said). */
static int next_save(watcher *w)
{
	impact_strlist paths = { 0 };
	int rc = impact_watch_next(w->watch, &paths, (int)w->o->settle, &stop_requested);
	if (rc < 0)
		impact_watchout_error(&w->out, impact_error_last());
	else if (rc > 0)
		say_save(w, &paths);
	impact_strlist_release(&paths);
	return rc;
}

/* The end: remaining failures and the exit status. */
static int finish(watcher *w, int exit_code)
{
	const impact_repair *l = &w->loop;
	if (w->out.json) {
		json_t *ev = impact_watchout_event("end");
		json_object_set_new(ev, "state", json_string(w->loop.red ? "red" : "green"));
		json_object_set_new(ev, "exit", json_integer(exit_code));
		json_object_set_new(ev, "remaining", impact_watchout_list(&l->failed));
		impact_watchout_emit(ev);
	} else {
		if (l->failed.n) {
			impact_watchout_say(&w->out, IMPACT_WATCHOUT_RED, "impact watch: %zu test%s still failing:", l->failed.n,
			    l->failed.n == 1 ? "" : "s");
			for (size_t i = 0; i < l->failed.n; i++)
				fprintf(stderr, "    %s\n", l->failed.items[i]);
			impact_watchout_groups(&w->out, &w->loop);
		}
		impact_watchout_say(&w->out, NULL, "impact watch: stopped (%s)", exit_code == IMPACT_EXIT_INTERRUPTED ? "interrupted during a run"
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
			if (w->out.json) {
				json_t *ev = impact_watchout_event("wait");
				json_object_set_new(ev, "resume", json_string(impact_repair_step_name(w->loop.resume)));
				impact_watchout_emit(ev);
			} else {
				impact_watchout_say(&w->out, NULL, "waiting for changes...");
			}
			prepare(w, true);
			rc = next_save(w);
			if (rc < 0)
				return finish(w, impact_exit_from_error(rc));
			if (rc == 0)
				return finish(w, w->loop.red ? IMPACT_EXIT_FAILED : IMPACT_EXIT_OK);
			impact_repair_saved(&w->loop);
			continue;
		}
		/* Saves already made are in the state this run starts from. */
		if ((rc = impact_watch_poll(w->watch)) > 0 && (rc = next_save(w)) < 0)
			return finish(w, impact_exit_from_error(rc));
		if (rc < 0) {
			impact_watchout_error(&w->out, impact_error_last());
			return finish(w, impact_exit_from_error(rc));
		}
		outcome = run_step(w, &exit_code, &res, &log);
		if (outcome == IMPACT_REPAIR_STOPPED) {
			impact_results_release(&res);
			free(log);
			if (stop_requested) /* Ctrl-C: it stopped the run, not a save */
				return finish(w, IMPACT_EXIT_INTERRUPTED);
			rc = next_save(w);
			if (rc <= 0)
				return finish(w, rc < 0 ? impact_exit_from_error(rc) : IMPACT_EXIT_INTERRUPTED);
			continue;
		}
		if (exit_code == IMPACT_EXIT_INTERRUPTED) { /* Ctrl-C during the run (one after it ended waits for the loop's top) */
			impact_results_release(&res);
			free(log);
			return finish(w, IMPACT_EXIT_INTERRUPTED);
		}
		impact_repair_ran(&w->loop, outcome, &res);
		if (outcome == IMPACT_REPAIR_RED) {
			if (w->loop.step == IMPACT_REPAIR_WAIT) /* the test being fixed still fails */
				impact_watchout_focus(&w->out, &w->loop, &res, log);
			impact_watchout_groups(&w->out, &w->loop);
		}
		impact_watchout_state(&w->out, w->loop.red, &w->loop);
		impact_results_release(&res);
		free(log);
	}
}

/* Parse and check the options. Returns -1 to go on, else the exit code. */
static int parse_opts(watch_opts *o, int argc, char **argv, char ***pos, size_t *npos,
                      char ***rest, size_t *nrest)
{
	const impact_opt opts[] = {
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL,
		  "the working tree against HEAD (or <revspec>'s base, e.g. 'main...'), watched: at each\n"
		  "save the failures of the largest group first, then every failed test, then\n"
		  "what the changes affect, then (--all) the full suite" },
		{ IMPACT_OPT_FLAG, 0, "all", &o->all, NULL, "start with the full suite, and end each green round with it" },
		{ IMPACT_OPT_FLAG, 0, "json", &o->json, NULL, "one JSON object per line per event on stdout (the default off a terminal)" },
		{ IMPACT_OPT_FLAG, 0, "no-notify", &o->no_notify, NULL, "no desktop notification (notify-send) when the state turns red or green" },
		{ IMPACT_OPT_UINT, 0, "settle", &o->settle, "ms", "a burst of writes closer than this is one save (default 100)" },
		{ IMPACT_OPT_FLAG, 0, "no-prepare", &o->no_prepare, NULL, "start each run's interpreter at the run, not ahead while waiting" },
		{ IMPACT_OPT_FLAG, 0, "no-preimport", &o->no_preimport, NULL, "the interpreter started ahead imports pytest alone, not the project's modules" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "selecting" },
		{ IMPACT_OPT_FLAG, 0, "no-smart", &o->no_smart, NULL, "rules alone: no import graph (changed tests still run)" },
		{ IMPACT_OPT_FLAG, 0, "coarse", &o->coarse, NULL, "whole modules: any change selects every test importing the module" },
		{ IMPACT_OPT_FLAG, 0, "no-records", &o->no_records, NULL, "static selection only: ignore what tests executed at their last run" },
		{ IMPACT_OPT_FLAG, 0, "no-cache", &o->no_cache, NULL, "parse every file, neither reading nor writing the parse cache" },
		{ IMPACT_OPT_UINT, 0, "threads", &o->threads, "n", "parse with n threads (default: all CPUs)" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL, "running (each run as 'impact' runs, going on past failures)" },
		{ IMPACT_OPT_FLAG, 0, "no-preflight", &o->run.no_preflight, NULL, "skip the interpreter and import checks" },
		{ IMPACT_OPT_FLAG, 0, "no-record", &o->run.no_record, NULL, "do not record what the tests execute" },
		{ IMPACT_OPT_FLAG, 0, "no-default-flags", &o->run.no_default_flags, NULL, "do not add --tb=short --no-header" },
		{ IMPACT_OPT_UINT, 0, "timeout", &o->run.timeout, "seconds", "stop a run after this long (default 120 for one file, 600 for more)" },
		{ IMPACT_OPT_UINT, 0, "grace", &o->run.grace, "seconds", "teardown time between SIGINT and SIGKILL (default 5)" },
		{ IMPACT_OPT_STRING, 'n', "workers", &o->run.workers, "n|auto", "run on n processes with pytest-xdist" },
		{ IMPACT_OPT_FLAG, 'q', "quiet", &o->run.quiet, NULL, "fewer messages on stderr" },
		{ IMPACT_OPT_GROUP, 0, NULL, NULL, NULL,
		  "exit codes: 0 the last state was green, 1 red, 2 usage or configuration error,\n"
		  "5 the work tree cannot be read or watched (too few inotify watches among the causes),\n"
		  "130 Ctrl-C during a run." },
		{ IMPACT_OPT_END, 0, NULL, NULL, NULL, NULL },
	};
	int rc = impact_opts_parse(opts, usage_line, argc, argv, pos, npos, rest, nrest);
	if (rc > 0)
		return IMPACT_EXIT_OK;
	if (rc < 0)
		return IMPACT_EXIT_USAGE;
	if (*npos > 1) {
		return impact_cli_error_usage("watch", usage_line,
		                              "one revision at a time, got '%s' and '%s' "
		                              "(pytest's own arguments go after '--')", (*pos)[0], (*pos)[1]);
	}
	if (o->run.workers && strcmp(o->run.workers, "auto") &&
	    strspn(o->run.workers, "0123456789") != strlen(o->run.workers)) {
		return impact_cli_error_usage("watch", usage_line,
		                              "-n takes a number of processes or 'auto', not '%s'",
		                              o->run.workers);
	}
	if (!o->settle)
		o->settle = 100;
	return -1;
}

/* impact_prepared.py, when installed and wanted. */
static char *prepared_script(const watch_opts *o)
{
	char *dir, *script = NULL;
	if (o->no_prepare || !(dir = impact_run_plugin_dir()))
		return NULL;
	{
		impact_buf p = IMPACT_BUF_INIT;
		impact_buf_printf(&p, "%s/impact_prepared.py", dir);
		if (access(p.ptr, R_OK) == 0)
			script = impact_buf_detach(&p);
		impact_buf_release(&p);
	}
	free(dir);
	return script;
}

/* Watch the work tree and say so. Returns -1 to go on, else the exit code. */
static int start(watcher *w)
{
	size_t n;
	int rc = impact_watch_open(&w->watch, w->cli->repo, w->cli->workdir);
	if (rc < 0) {
		/* Said on stderr, and to whoever reads the events: they end here. */
		if (w->out.json) {
			json_t *ev = impact_watchout_event("error");
			json_object_set_new(ev, "step", json_string("start"));
			json_object_set_new(ev, "message", impact_watchout_str(impact_error_last()));
			impact_watchout_emit(ev);
			ev = impact_watchout_event("end");
			json_object_set_new(ev, "state", json_null());
			json_object_set_new(ev, "exit", json_integer(impact_exit_from_error(rc)));
			json_object_set_new(ev, "remaining", json_array());
			impact_watchout_emit(ev);
		}
		return impact_cli_error(rc);
	}
	n = impact_watch_folders(w->watch);
	if (w->out.json) {
		json_t *ev = impact_watchout_event("start");
		json_object_set_new(ev, "workdir", impact_watchout_str(w->cli->workdir));
		json_object_set_new(ev, "base", impact_watchout_str(w->spec ? w->spec : "HEAD"));
		json_object_set_new(ev, "all", json_boolean(w->o->all));
		json_object_set_new(ev, "folders", json_integer((json_int_t)n));
		json_object_set_new(ev, "pid", json_integer((json_int_t)getpid()));
		impact_watchout_emit(ev);
	} else {
		impact_watchout_say(&w->out, NULL, "impact watch: watching %zu folder%s of %s (Ctrl-C to stop)",
		    n, n == 1 ? "" : "s", w->cli->workdir);
	}
	return -1;
}

int cmd_watch(int argc, char **argv, impact_cli *cli)
{
	watch_opts o = { 0 };
	char **pos = NULL, **rest = NULL;
	size_t npos = 0, nrest = 0;
	watcher w = { 0 };
	struct sigaction sa, old_int, old_term, old_hup;
	int exit_code;

	if ((exit_code = parse_opts(&o, argc, argv, &pos, &npos, &rest, &nrest)) >= 0) {
		free(pos);
		return exit_code;
	}
	if (!cli->workdir) {
		free(pos);
		return impact_cli_error_exit(IMPACT_EXIT_USAGE, "a bare repository has no work tree to watch");
	}
	w.cli = cli;
	w.o = &o;
	w.spec = npos ? pos[0] : NULL;
	w.rest = rest;
	w.nrest = nrest;
	impact_planout_run_args(&w.run_args, rest, nrest);
	impact_watchout_init(&w.out, o.json || !isatty(STDOUT_FILENO), o.no_notify, cli->workdir);
	impact_repair_init(&w.loop, o.all);
	w.prep_script = prepared_script(&o);

	stop_requested = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	if ((exit_code = start(&w)) < 0)
		exit_code = loop(&w);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	impact_watch_free(w.watch);
	impact_repair_release(&w.loop);
	impact_strlist_release(&w.saved);
	impact_strlist_release(&w.run_args);
	impact_prepared_free(w.prep);
	impact_prepared_free(w.plain);
	impact_prepared_free(w.failed);
	impact_prepared_free(w.last);
	impact_strlist_release(&w.prep_args);
	impact_strlist_release(&w.python);
	free(w.prep_script);
	impact_watchout_release(&w.out);
	free(pos);
	return exit_code;
}
