/*
 * auditmutate.c - the mutate audit: one mutant per sampled module, or per
 * drawn function with --functions, each run in a fresh checkout and
 * compared with what impact selects for it (see audit_private.h).
 */
#include "audit_private.h"

#include "auditrun.h"
#include "cache.h"
#include "config.h"
#include "diff.h"
#include "flaky.h"
#include "interp.h"
#include "mutate.h"
#include "path.h"
#include "preflight.h"
#include "records.h"
#include "project.h"
#include "reap.h"
#include "run.h"
#include "scratch.h"
#include "state.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* --- mutate ---------------------------------------------------------------- */
/* Audit one mutant: commit, select, run, compare. */
static int audit_mutant(audit *a, impact_audit_record *rec, const char *src, size_t len,
                        const impact_strlist *test_files)
{
	impact_audit_selection sel = { 0 }, stat = { 0 };
	impact_suite_result run = { 0 };
	impact_buf msg = IMPACT_BUF_INIT;
	git_oid commit;
	double t0 = impact_now_ms();
	int rc;

	if (rec->function)
		impact_buf_printf(&msg, "impact audit: %s (line %u of %s) raises\n\n"
		                  "A mutant made by 'impact audit --mutate --functions'; no ref points "
		                  "to it.\n", rec->function, rec->line, rec->path);
	else
		impact_buf_printf(&msg, "impact audit: every function of %s raises\n\n"
		                  "A mutant made by 'impact audit --mutate'; no ref points to it.\n",
		                  rec->path);
	if ((rc = impact_scratch_commit_file(&commit, a->repo, &a->head, rec->path, src, len,
	                                     msg.ptr)) < 0)
		goto done;
	git_oid_tostr(rec->commit, sizeof(rec->commit), &commit);
	if ((rc = impact_audit_select(&sel, a->repo_dir, rec->commit,
	                              (const char *const *)a->sel_args.items, a->sel_args.n,
	                              a->scratch, &a->env.limits)) < 0 ||
	    (a->o->records &&
	     (rc = impact_audit_select(&stat, a->repo_dir, rec->commit,
	                               (const char *const *)a->static_args.items, a->static_args.n,
	                               a->scratch, &a->env.limits)) < 0)) {
		if (audit_interrupted(a))
			rc = audit_stop_interrupted(a);
		goto done;
	}
	if ((rc = audit_suite_at(a, &run, &commit, test_files)) < 0)
		goto done;
	audit_compare(rec, &run, &sel, test_files, a->rep->marker, &a->rep->baseline_failing,
	        &a->baseline_ran);
	if (a->o->records)
		audit_compare_static(rec, &stat, test_files);
	if (!impact_suite_ran(&run) && !rec->stopped) {
		impact_buf_clear(&msg);
		audit_why_unfinished(&msg, a, &run);
		rec->incomplete = impact_buf_detach(&msg);
	}
done:
	rec->seconds = (impact_now_ms() - t0) / 1000.0;
	impact_audit_selection_release(&sel);
	impact_audit_selection_release(&stat);
	impact_suite_result_release(&run);
	impact_buf_release(&msg);
	return rc;
}

static void say_record(const audit *a, const impact_audit_record *r, size_t i, size_t n)
{
	impact_buf line = IMPACT_BUF_INIT;
	if (r->function)
		impact_buf_printf(&line, "[%zu/%zu] %s:%u %s: %zu failing, %zu selected%s, %zu missed",
		                  i, n, r->path, r->line, r->function, r->failing.n, r->selected.n,
		                  r->full_suite ? " (full suite)" : "", r->missed.n);
	else
		impact_buf_printf(&line, "[%zu/%zu] %s (%s third, imported by %u, %zu function%s): "
		                  "%zu failing, %zu selected%s, %zu missed", i, n, r->path, r->band,
		                  r->importers, r->functions, r->functions == 1 ? "" : "s",
		                  r->failing.n, r->selected.n, r->full_suite ? " (full suite)" : "",
		                  r->missed.n);
	for (size_t k = 0; k < r->missed.n; k++)
		impact_buf_printf(&line, "%s%s", k ? ", " : ": ", r->missed.items[k]);
	if (r->incomplete)
		impact_buf_printf(&line, "; incomplete: %s", r->incomplete);
	impact_buf_printf(&line, " (%.1f s)", r->seconds);
	audit_say(a, "%s", line.ptr);
	impact_buf_release(&line);
}

/* The unmutated suite at HEAD: must run to its end; its failures are set aside. */
static int baseline(audit *a, const impact_strlist *test_files)
{
	impact_suite_result run = { 0 };
	impact_buf why = IMPACT_BUF_INIT;
	char *runner;
	int rc;

	audit_say(a, "running the full suite at HEAD (%.7s) first%s", a->rep->head,
	    a->o->records ? ", recording what each test executes" : "");
	if (a->o->records) {
		impact_buf_printf(&why, "%s/records-sink", a->scratch);
		if (mkdir(why.ptr, 0700) != 0) {
			rc = impact_error_from_errno(errno, "cannot create '%s'", why.ptr);
			goto done;
		}
		a->env.record_sink = why.ptr;
	}
	/* What pytest imports itself, for the selections to come (written by the plugin). */
	a->env.plugin_dir = a->plugin_dir;
	a->env.runner_file = runner = impact_state_path(a->repo, IMPACT_RUNNER_STATE);
	rc = audit_suite_at(a, &run, &a->head, test_files);
	a->env.record_sink = NULL;
	a->env.runner_file = NULL;
	free(runner);
	impact_buf_clear(&why);
	if (rc < 0)
		goto done;
	a->rep->baseline_seconds = run.seconds;
	if (!impact_suite_ran(&run)) {
		audit_why_unfinished(&why, a, &run);
		rc = impact_error_set(IMPACT_EPYTHON, "the unmutated suite does not run cleanly at HEAD: "
		                      "%s; fix that first (pytest's last words: %s)", why.ptr,
		                      run.log_tail ? run.log_tail : "none");
		goto done;
	}
	impact_suite_failures(NULL, &a->rep->baseline_failing, &run, NULL, NULL, false);
	audit_files_ran(&a->baseline_ran, &run);
	audit_say(a, "HEAD: %zu passed, %zu failed, %zu errors, %zu skipped in %.1f s%s",
	    run.res.counts[IMPACT_OUTCOME_PASSED], run.res.counts[IMPACT_OUTCOME_FAILED],
	    run.res.counts[IMPACT_OUTCOME_ERROR], run.res.counts[IMPACT_OUTCOME_SKIPPED],
	    run.seconds, a->rep->baseline_failing.n ? "; already failing, left out of the "
	    "comparison:" : "");
	for (size_t i = 0; i < a->rep->baseline_failing.n; i++)
		audit_say(a, "  %s", a->rep->baseline_failing.items[i]);
done:
	impact_suite_result_release(&run);
	impact_buf_release(&why);
	return rc;
}

int audit_mutate(audit *a)
{
	impact_project *project = NULL;
	impact_strlist test_files = { 0 };
	impact_audit_selection check = { 0 };
	impact_mutator *m = NULL;
	impact_buf src = IMPACT_BUF_INIT, mutant = IMPACT_BUF_INIT;
	candidate *cands = NULL;
	size_t ncands = 0, *order = NULL, done_n = 0;
	uint8_t *band = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	if ((rc = audit_project_of(a, &project, a->snap, &test_files)) < 0)
		goto done;
	a->rep->test_files = test_files.n;
	if (!test_files.n) {
		rc = impact_error_set(IMPACT_EINVALID, "HEAD (%.7s) has no test files pytest would "
		                      "collect (its python_files patterns, default test_*.py and "
		                      "*_test.py, under its testpaths): nothing to audit", a->rep->head);
		goto done;
	}
	git_oid_tostr(hex, sizeof(hex), &a->head);
	if ((rc = impact_audit_select(&check, a->repo_dir, hex, (const char *const *)a->sel_args.items,
	                              a->sel_args.n, a->scratch, &a->env.limits)) < 0) {
		if (audit_interrupted(a))
			rc = audit_stop_interrupted(a);
		goto done;
	}
	if (!(m = impact_mutator_new())) {
		rc = IMPACT_ERROR;
		goto done;
	}
	audit_rank_modules(&cands, &ncands, project);
	a->rep->candidates = ncands;
	if (!ncands) {
		rc = impact_error_set(IMPACT_EINVALID, "HEAD (%.7s) has no Python module besides "
		                      "its tests: nothing to mutate", a->rep->head);
		goto done;
	}
	if ((rc = baseline(a, &test_files)) < 0)
		goto done;

	audit_sample_order(&order, &band, ncands, a->o->seed);
	for (size_t i = 0; i < ncands && done_n < a->o->mutate; i++) {
		const candidate *c = &cands[order[i]];
		impact_audit_record *rec;
		size_t nfun = 0;

		if (audit_interrupted(a)) {
			rc = audit_stop_interrupted(a);
			goto done;
		}
		impact_buf_clear(&src);
		impact_buf_clear(&mutant);
		if ((rc = impact_snapshot_read(&src, a->snap, project->files[c->file].entry)) < 0)
			goto done;
		rc = impact_mutate(m, &mutant, &nfun, src.ptr, src.size, a->rep->marker);
		if (rc == 0 && !nfun) {
			a->rep->no_function++;
			continue;
		}
		rec = audit_new_record(a->rep);
		rec->path = impact_xstrdup(c->path);
		rec->band = audit_band_names[band[i]];
		rec->importers = c->importers;
		if (rc < 0) {
			rec->skipped = impact_xstrdup(impact_error_last());
			audit_say(a, "skipped %s: %s", c->path, rec->skipped);
			rc = 0;
			continue;
		}
		rec->functions = nfun;
		done_n++;
		if ((rc = audit_mutant(a, rec, mutant.ptr, mutant.size, &test_files)) < 0) {
			if (a->rep->interrupted)
				rec->skipped = impact_xstrdup("interrupted");
			goto done;
		}
		say_record(a, rec, done_n, a->o->mutate < ncands ? a->o->mutate : ncands);
	}
	if (done_n < a->o->mutate)
		audit_say(a, "only %zu of the %zu non-test modules could be mutated (%zu define%s no function)",
		    done_n, ncands, a->rep->no_function, a->rep->no_function == 1 ? "s" : "");
done:
	impact_audit_selection_release(&check);
	impact_mutator_free(m);
	impact_project_free(project);
	impact_strlist_release(&test_files);
	impact_buf_release(&src);
	impact_buf_release(&mutant);
	free(cands);
	free(order);
	free(band);
	return rc;
}

/* --- one function at a time ---------------------------------------------------- */

/* A candidate of the single-function draw: candidate `fn` of module `file`. */
typedef struct fn_candidate {
	uint32_t file;      /* index in the project's files */
	uint32_t fn;        /* index in the module's impact_mutate_functions list */
	uint32_t line;
	const char *path;   /* borrowed from the project */
	char *qualname;     /* owned */
} fn_candidate;

typedef struct fn_candidates {
	fn_candidate *v;
	size_t n, alloc;
} fn_candidates;

static int cmp_candidate_path(const void *x, const void *y)
{
	return strcmp(((const candidate *)x)->path, ((const candidate *)y)->path);
}

/*
 * Every function candidate of the non-test modules, by path then source
 * order. A module that cannot be parsed becomes a skipped record with its
 * reason; *nmodules counts the modules looked at.
 */
static int list_functions(audit *a, fn_candidates *out, size_t *nmodules, impact_mutator *m,
                          const impact_project *project)
{
	candidate *mods = NULL;
	size_t nmods = 0;
	impact_buf src = IMPACT_BUF_INIT;
	int rc = 0;

	audit_rank_modules(&mods, &nmods, project);
	if (nmods)
		qsort(mods, nmods, sizeof(*mods), cmp_candidate_path);
	*nmodules = nmods;
	for (size_t i = 0; i < nmods; i++) {
		impact_mutate_fns fns = { 0 };
		impact_buf_clear(&src);
		if ((rc = impact_snapshot_read(&src, a->snap, project->files[mods[i].file].entry)) < 0)
			goto done;
		if (impact_mutate_functions(m, &fns, src.ptr, src.size) < 0) {
			impact_audit_record *rec = audit_new_record(a->rep);
			rec->path = impact_xstrdup(mods[i].path);
			rec->skipped = impact_xstrdup(impact_error_last());
			audit_say(a, "skipped %s: %s", mods[i].path, rec->skipped);
		} else if (!fns.n) {
			a->rep->no_function++;
		}
		for (size_t k = 0; k < fns.n; k++) {
			fn_candidate c;
			c.file = mods[i].file;
			c.fn = (uint32_t)k;
			c.line = fns.v[k].line;
			c.path = mods[i].path;
			c.qualname = fns.v[k].qualname;
			fns.v[k].qualname = NULL; /* now the candidate's */
			IMPACT_PUSH(out->v, out->n, out->alloc, c);
		}
		impact_mutate_fns_release(&fns);
	}
done:
	free(mods);
	impact_buf_release(&src);
	return rc;
}

static void fn_candidates_release(fn_candidates *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].qualname);
	free(l->v);
}

int audit_functions(audit *a)
{
	impact_project *project = NULL;
	impact_strlist test_files = { 0 };
	impact_audit_selection check = { 0 };
	impact_mutator *m = NULL;
	impact_buf src = IMPACT_BUF_INIT, mutant = IMPACT_BUF_INIT;
	fn_candidates cands = { 0 };
	size_t *order = NULL, done_n = 0, nmodules = 0, want;
	uint64_t state = a->o->seed;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	if ((rc = audit_project_of(a, &project, a->snap, &test_files)) < 0)
		goto done;
	a->rep->test_files = test_files.n;
	if (!test_files.n) {
		rc = impact_error_set(IMPACT_EINVALID, "HEAD (%.7s) has no test files pytest would "
		                      "collect (its python_files patterns, default test_*.py and "
		                      "*_test.py, under its testpaths): nothing to audit", a->rep->head);
		goto done;
	}
	git_oid_tostr(hex, sizeof(hex), &a->head);
	if ((rc = impact_audit_select(&check, a->repo_dir, hex, (const char *const *)a->sel_args.items,
	                              a->sel_args.n, a->scratch, &a->env.limits)) < 0) {
		if (audit_interrupted(a))
			rc = audit_stop_interrupted(a);
		goto done;
	}
	if (!(m = impact_mutator_new())) {
		rc = IMPACT_ERROR;
		goto done;
	}
	if ((rc = list_functions(a, &cands, &nmodules, m, project)) < 0)
		goto done;
	a->rep->candidates = nmodules;
	a->rep->function_candidates = cands.n;
	if (!cands.n) {
		rc = impact_error_set(IMPACT_EINVALID, "HEAD (%.7s) has no module-level function or "
		                      "method outside its tests: nothing to mutate", a->rep->head);
		goto done;
	}
	audit_say(a, "%zu functions and methods in %zu non-test modules", cands.n, nmodules);
	if ((rc = baseline(a, &test_files)) < 0)
		goto done;

	/* A uniform draw: the candidates shuffled (Fisher-Yates) from the seed. */
	order = impact_xcalloc(cands.n, sizeof(size_t));
	for (size_t i = 0; i < cands.n; i++)
		order[i] = i;
	for (size_t i = cands.n; i > 1; i--) {
		size_t j = (size_t)(audit_splitmix64(&state) % i), t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	want = a->o->mutate < cands.n ? a->o->mutate : cands.n;
	for (size_t i = 0; i < cands.n && done_n < a->o->mutate; i++) {
		const fn_candidate *c = &cands.v[order[i]];
		impact_audit_record *rec;

		if (audit_interrupted(a)) {
			rc = audit_stop_interrupted(a);
			goto done;
		}
		impact_buf_clear(&src);
		impact_buf_clear(&mutant);
		if ((rc = impact_snapshot_read(&src, a->snap, project->files[c->file].entry)) < 0)
			goto done;
		rc = impact_mutate_function(m, &mutant, src.ptr, src.size, a->rep->marker, c->fn);
		rec = audit_new_record(a->rep);
		rec->path = impact_xstrdup(c->path);
		rec->function = impact_xstrdup(c->qualname);
		rec->line = c->line;
		rec->functions = 1;
		if (rc < 0) {
			rec->skipped = impact_xstrdup(impact_error_last());
			audit_say(a, "skipped %s:%u %s: %s", c->path, c->line, c->qualname, rec->skipped);
			rc = 0;
			continue;
		}
		done_n++;
		if ((rc = audit_mutant(a, rec, mutant.ptr, mutant.size, &test_files)) < 0) {
			if (a->rep->interrupted)
				rec->skipped = impact_xstrdup("interrupted");
			goto done;
		}
		say_record(a, rec, done_n, want);
	}
	if (done_n < a->o->mutate)
		audit_say(a, "only %zu of the %zu functions could be mutated", done_n, cands.n);
done:
	impact_audit_selection_release(&check);
	impact_mutator_free(m);
	impact_project_free(project);
	impact_strlist_release(&test_files);
	impact_buf_release(&src);
	impact_buf_release(&mutant);
	fn_candidates_release(&cands);
	free(order);
	return rc;
}

