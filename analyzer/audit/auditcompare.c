/*
 * auditcompare.c - what failed under a mutant or at a commit, pinned on
 * the test files that ran it, and what of it the selection covers (see
 * audit_private.h). Kept apart because it is the audit's judgement: a
 * wrong attribution here is a false miss or a false pass.
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

#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Every test file under folder `dir` ("" for all) as a whole-file unit. */
static void add_folder(impact_strlist *files, impact_strlist *ids, const char *dir,
                       const impact_strlist *tests)
{
	size_t n = strlen(dir);
	for (size_t i = 0; i < tests->n; i++) {
		const char *t = tests->items[i];
		if (!n || (!strncmp(t, dir, n) && t[n] == '/')) {
			impact_strlist_push(files, t);
			impact_strlist_push(ids, "");
		}
	}
}

static bool has_tests_under(const impact_strlist *tests, const char *dir)
{
	size_t n = strlen(dir);
	for (size_t i = 0; n && i < tests->n; i++)
		if (!strncmp(tests->items[i], dir, n) && tests->items[i][n] == '/')
			return true;
	return false;
}

/*
 * The first frame of `text` (a traceback) running a repo-relative
 * conftest.py or __init__.py at import ("tests/sub/conftest.py:3: in
 * <module>"): its folder into `out`. False when there is none.
 */
static bool importing_folder(impact_buf *out, const char *text)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n'), *p, *func;
		size_t len = nl ? (size_t)(nl - line) : strlen(line), plen;
		if (impact_traceback_frame(line, len, &p, &plen, &func) && *p != '/' && *p != '<' &&
		    (size_t)(line + len - func) >= 8 && !strncmp(func, "<module>", 8)) {
			impact_buf file = IMPACT_BUF_INIT;
			const char *base;
			impact_buf_put(&file, p, plen);
			base = impact_path_base(file.ptr);
			if (!strcmp(base, "conftest.py") || !strcmp(base, "__init__.py")) {
				impact_path_dir(out, file.ptr);
				impact_buf_release(&file);
				return true;
			}
			impact_buf_release(&file);
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

/*
 * The failing unit(s) of failed record `tc`: its test file and node id,
 * or, for a collection error no test file is named for, every test file
 * in the folder it kept from running. That is the folder of the
 * conftest.py or __init__.py it names or whose import its traceback
 * shows, or the folder it names; all test files when none can be told.
 */
static void add_units(impact_strlist *files, impact_strlist *ids, const impact_testcase *tc,
                      const impact_strlist *tests)
{
	const char *file = tc->file ? tc->file : "";
	const char *base = impact_path_base(file);
	impact_buf dir = IMPACT_BUF_INIT;

	if (impact_audit_has(tests, file)) {
		impact_strlist_push(files, file);
		impact_strlist_push(ids, tc->nodeid ? tc->nodeid : "");
		return;
	}
	if (!strcmp(base, "conftest.py") || !strcmp(base, "__init__.py"))
		impact_path_dir(&dir, file);
	else if (has_tests_under(tests, file))
		impact_buf_puts(&dir, file);
	else if (*file && !tc->collect_error)
		goto as_is; /* a test pytest collects from another kind of file */
	else if (!tc->text || !importing_folder(&dir, tc->text))
		impact_buf_clear(&dir);
	add_folder(files, ids, dir.ptr, tests);
	impact_buf_release(&dir);
	return;
as_is:
	impact_strlist_push(files, file);
	impact_strlist_push(ids, tc->nodeid ? tc->nodeid : "");
	impact_buf_release(&dir);
}

/* Whether `sel` runs test file `f`: whole, below a folder, or some of its tests by node id. */
static bool runs_file(const impact_audit_selection *sel, const char *f)
{
	size_t len = strlen(f);
	if (impact_audit_covers(sel, f, NULL))
		return true;
	for (size_t t = 0; t < sel->targets.n; t++) {
		const char *tg = sel->targets.items[t];
		if (!strncmp(tg, f, len) && !strncmp(tg + len, "::", 2))
			return true;
	}
	return false;
}

/* The test files with a record in `r` (sorted), appended to `out`. */
void audit_files_ran(impact_strlist *out, const impact_suite_result *r)
{
	for (size_t i = 0; i < r->res.n; i++)
		if (r->res.cases[i].file && !r->res.cases[i].collect_error)
			impact_strlist_push(out, r->res.cases[i].file);
	impact_audit_sort_unique(out);
}

/*
 * Fill `rec` from a run and the selection: what failed (with `marker`, or
 * anything not in `exclude` and not known flaky), what the selection
 * runs, and what it misses. A pytest that stopped before running any test
 * (a conftest.py that does not import, a hook that raised), with the
 * marker in its output when there is one, fails every test file in that
 * conftest's folder, or all of them. Test files that ran in the reference
 * run (`ran_before`) but have no record now and are not failing did not
 * run: the record is then incomplete.
 */
void audit_compare(impact_audit_record *rec, const impact_suite_result *run,
                    const impact_audit_selection *sel, const impact_strlist *test_files,
                    const char *marker, const impact_strlist *exclude,
                    const impact_strlist *ran_before)
{
	impact_strlist ufiles = { 0 }, uids = { 0 }, all_files = { 0 }, ran = { 0 };
	impact_buf why = IMPACT_BUF_INIT;
	size_t not_run = 0;
	const char *example = NULL;

	for (size_t i = 0; i < run->res.n; i++) {
		const impact_testcase *tc = &run->res.cases[i];
		if (!impact_outcome_is_failure(tc->outcome) || (!marker && tc->flaky) ||
		    impact_audit_has(exclude, tc->nodeid))
			continue;
		if (marker && !(tc->message && strstr(tc->message, marker)) &&
		    !(tc->text && strstr(tc->text, marker)))
			continue;
		add_units(&ufiles, &uids, tc, test_files);
	}
	if (impact_suite_broke(run) && (!marker || run->log_has_watch)) {
		impact_buf_printf(&why, "pytest stopped before running the tests (exit %d%s)", run->exit_code,
		                  run->exit_code == 1 ? ", no report: an exception before its session began" : "");
		if (run->broken_conftest) {
			impact_buf dir = IMPACT_BUF_INIT;
			impact_buf_printf(&why, ": '%s' does not import", run->broken_conftest);
			impact_path_dir(&dir, run->broken_conftest);
			add_folder(&ufiles, &uids, dir.ptr, test_files);
			impact_buf_release(&dir);
		} else {
			add_folder(&ufiles, &uids, "", test_files);
		}
		rec->stopped = impact_buf_detach(&why);
	}
	for (size_t i = 0; i < ufiles.n; i++) {
		const char *id = uids.items[i];
		if (!impact_audit_covers(sel, ufiles.items[i], *id ? id : NULL))
			impact_strlist_push(&rec->missed, ufiles.items[i]);
		impact_strlist_push(&rec->failing, ufiles.items[i]);
		if (*id)
			impact_strlist_push(&rec->failing_tests, id);
	}
	impact_audit_sort_unique(&rec->missed);
	impact_audit_sort_unique(&rec->failing);
	impact_audit_sort_unique(&rec->failing_tests);
	if (marker) {
		impact_suite_failures(&all_files, NULL, run, NULL, exclude, false);
		for (size_t i = 0; i < all_files.n; i++)
			if (!impact_audit_has(&rec->failing, all_files.items[i]))
				impact_strlist_push(&rec->other, all_files.items[i]);
	}
	audit_files_ran(&ran, run);
	for (size_t i = 0; ran_before && i < ran_before->n; i++) {
		const char *f = ran_before->items[i];
		if (!impact_audit_has(&ran, f) && !impact_audit_has(&rec->failing, f)) {
			not_run++;
			example = example ? example : f;
		}
	}
	if (not_run && (impact_suite_ran(run) || rec->stopped)) {
		impact_buf_clear(&why);
		impact_buf_printf(&why, "%zu test file%s that ran unmutated did not run (%s%s)", not_run,
		                  not_run == 1 ? "" : "s", example, not_run > 1 ? ", ..." : "");
		rec->incomplete = impact_buf_detach(&why);
	}
	for (size_t i = 0; i < test_files->n; i++)
		if (runs_file(sel, test_files->items[i]))
			impact_strlist_push(&rec->selected, test_files->items[i]);
	/* A failing file pytest collected that is not a test file impact knows, and the selection ran. */
	for (size_t i = 0; i < rec->failing.n; i++)
		if (!impact_audit_has(test_files, rec->failing.items[i]) &&
		    !impact_audit_has(&rec->missed, rec->failing.items[i]))
			impact_strlist_push(&rec->selected, rec->failing.items[i]);
	impact_audit_sort_unique(&rec->selected);
	rec->unproven = 0;
	for (size_t i = 0; i < rec->other.n; i++)
		rec->unproven += impact_audit_has(&rec->selected, rec->other.items[i]);
	/* The suite's files: impact's test files, and what else pytest ran (data-file items). */
	rec->test_files = test_files->n;
	for (size_t i = 0; ran_before && i < ran_before->n; i++)
		rec->test_files += !impact_audit_has(test_files, ran_before->items[i]);
	for (size_t i = 0; i < rec->selected.n; i++)
		rec->test_files += !impact_audit_has(test_files, rec->selected.items[i]) &&
		                   !(ran_before && impact_audit_has(ran_before, rec->selected.items[i]));
	rec->full_suite = sel->full_suite;
	rec->full_reason = sel->full_reason ? impact_xstrdup(sel->full_reason) : NULL;
	impact_strlist_release(&ufiles);
	impact_strlist_release(&uids);
	impact_strlist_release(&all_files);
	impact_strlist_release(&ran);
	impact_buf_release(&why);
}

/*
 * The static selection's figures beside the records': how many test files
 * it selects and how many of rec's failing files it leaves out.
 */
void audit_compare_static(impact_audit_record *rec, const impact_audit_selection *stat,
                           const impact_strlist *test_files)
{
	rec->static_selected = 0;
	rec->static_missed = 0;
	rec->static_unproven = 0;
	/* Files, as the recorded selection is counted (a target may be a folder or a node id). */
	for (size_t i = 0; i < test_files->n; i++)
		rec->static_selected += stat->full_suite || runs_file(stat, test_files->items[i]);
	for (size_t i = 0; i < rec->other.n; i++)
		rec->static_unproven += stat->full_suite || runs_file(stat, rec->other.items[i]);
	if (stat->full_suite)
		return;
	/* Covered as the recorded selection is judged: a folder target covers what is below it. */
	for (size_t i = 0; i < rec->failing.n; i++) {
		const char *f = rec->failing.items[i];
		size_t n = strlen(f);
		bool in = impact_audit_covers(stat, f, NULL);
		for (size_t k = 0; k < rec->failing_tests.n && !in; k++) {
			const char *id = rec->failing_tests.items[k];
			if (!strncmp(id, f, n) && !strncmp(id + n, "::", 2))
				in = impact_audit_covers(stat, f, id);
		}
		rec->static_missed += !in;
		rec->static_selected += in && !impact_audit_has(test_files, f);
	}
}

