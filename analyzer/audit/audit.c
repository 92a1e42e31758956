/*
 * audit.c - the mutate and full audits (see audit.h).
 *
 * The order of things: read HEAD, its configuration and its module graph
 * (project.c, with the parse cache), choose the interpreter as the
 * runner does (interp.c, from the user's work tree, so its .venv
 * counts), make the private temporary folder, check the selection
 * options once on HEAD (a bad one fails in a second, not after the
 * baseline run), then run. Each suite run gets a fresh checkout, removed
 * right after it; the folder goes at the end, whatever happened.
 *
 * The sample: candidates are the non-test, non-conftest .py files of
 * HEAD, ranked by how many files import them (import edges of any kind
 * that executes: module level, lazy, conditional, literal dynamic,
 * plugins), most first, ties by path. The ranking is cut in thirds, each
 * third is shuffled with a splitmix64 stream from the seed, and the
 * sample takes from the top, middle and bottom thirds in turn. A module
 * with no function is passed over; one that cannot be mutated is reported
 * as skipped with the reason; neither counts toward N.
 *
 * What counts as failing: a failed or errored record (a collection error
 * included) whose message or traceback holds the marker, of a test not
 * already failing unmutated. In a full audit: a failure at the commit that
 * was not one at its parent, known-flaky failures (the configuration's
 * list) aside. A collection error pinned on a conftest.py or __init__.py
 * fails every test file under its folder, and a pytest that stops before
 * running any test (a conftest that does not import, with the marker in
 * its output) every test file in that conftest's folder, or all of them.
 * A failing file is covered when the selection runs each of its failing
 * tests (auditrun.c).
 *
 * With --functions the draw is over functions, not modules: every
 * candidate (mutate.h) of every non-test module, listed by path and
 * source order, shuffled whole with the seed's splitmix64 stream, so a
 * module weighs as much as its functions. The thirds play no part there.
 */
#include "audit.h"

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

/* What one audit holds while it runs. */
typedef struct audit {
	const impact_audit_opts *o;  /* points to `opts` */
	impact_audit_opts opts;      /* the caller's, completed from the configuration */
	impact_audit_report *rep;
	git_repository *repo;
	const char *repo_dir;        /* the work tree, or the git folder of a bare repository */
	const char *workdir;         /* the work tree without its '/', or NULL */
	git_oid head;
	git_tree *head_tree;
	impact_snapshot *snap;       /* HEAD's files */
	impact_config *config;       /* HEAD's configuration */
	impact_cache *cache;
	impact_python python;
	char *scratch;               /* the private temporary folder */
	impact_buf run_id;
	impact_suite_env env;
	unsigned runs;               /* suite runs so far: names their checkouts */
	impact_strlist baseline_ran; /* mutate: test files with a record in the run at HEAD */
	bool preflight_done;
	impact_strlist sel_args;     /* the selection's options: the caller's, plus --no-records
	                                unless the audit is of records */
	impact_strlist static_args;  /* records: the caller's plus --no-records */
	char *plugin_dir;            /* records: impact's pytest plugin folder */
} audit;

static void say(const audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const audit *a, const char *fmt, ...)
{
	impact_buf line = IMPACT_BUF_INIT;
	va_list ap;
	if (!a->o->progress)
		return;
	va_start(ap, fmt);
	impact_buf_vprintf(&line, fmt, ap);
	va_end(ap);
	a->o->progress(line.ptr, a->o->payload);
	impact_buf_release(&line);
}

static bool interrupted(const audit *a)
{
	return a->o->interrupted && *a->o->interrupted;
}

static int stop_interrupted(audit *a)
{
	a->rep->interrupted = true;
	return impact_error_set(IMPACT_ERROR, "interrupted");
}

static impact_audit_record *new_record(impact_audit_report *rep)
{
	impact_audit_record r = { 0 };
	IMPACT_PUSH(rep->records, rep->n, rep->alloc, r);
	return &rep->records[rep->n - 1];
}

/* --- the sample ------------------------------------------------------------ */

typedef struct candidate {
	uint32_t file;
	uint32_t importers;
	const char *path;
} candidate;

static int cmp_candidate(const void *x, const void *y)
{
	const candidate *a = x, *b = y;
	if (a->importers != b->importers)
		return a->importers > b->importers ? -1 : 1;
	return strcmp(a->path, b->path);
}

static bool counts_as_import(impact_edge_kind k)
{
	return k == IMPACT_EDGE_IMPORT || k == IMPACT_EDGE_LAZY || k == IMPACT_EDGE_CONDITIONAL ||
	       k == IMPACT_EDGE_DYNAMIC || k == IMPACT_EDGE_PLUGIN ||
	       k == IMPACT_EDGE_ADDOPTS_PLUGIN || k == IMPACT_EDGE_FALLBACK;
}

/* The non-test modules of `p`, most imported first. *out is the caller's. */
static void rank_modules(candidate **out, size_t *n, const impact_project *p)
{
	const uint32_t skip = IMPACT_PF_TEST | IMPACT_PF_CONFTEST | IMPACT_PF_GHOST |
	                      IMPACT_PF_VIRTUAL | IMPACT_PF_SYMLINK;
	uint32_t nodes = impact_graph_nodes(p->graph);
	uint32_t *count = impact_xcalloc((size_t)p->nfiles + 1, sizeof(uint32_t));
	size_t alloc = 0;

	*out = NULL;
	*n = 0;
	for (uint32_t from = 0; from < nodes; from++) {
		size_t ne;
		const impact_edge *e = impact_graph_out(p->graph, from, &ne);
		for (size_t i = 0; i < ne; i++)
			if (e[i].to < p->nfiles && e[i].to != from && counts_as_import(e[i].kind))
				count[e[i].to]++;
	}
	for (uint32_t i = 0; i < p->nfiles; i++) {
		const impact_pyfile *f = &p->files[i];
		candidate c;
		if ((f->flags & skip) || !f->entry || !impact_path_has_suffix(f->path, ".py") ||
		    (f->entry->mode != IMPACT_MODE_FILE && f->entry->mode != IMPACT_MODE_EXEC))
			continue;
		c.file = i;
		c.importers = count[i];
		c.path = f->path;
		IMPACT_PUSH(*out, *n, alloc, c);
	}
	if (*n)
		qsort(*out, *n, sizeof(**out), cmp_candidate);
	free(count);
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *const band_names[3] = { "top", "middle", "bottom" };

/*
 * The order to try the ranked candidates in: indexes into the ranking and
 * their third, taking from the top, middle and bottom thirds in turn,
 * each third shuffled from `seed`. Both arrays are the caller's.
 */
static void sample_order(size_t **order, uint8_t **band, size_t n, uint64_t seed)
{
	size_t start[4], next[3];
	size_t *idx = impact_xcalloc(n ? n : 1, sizeof(size_t));
	uint64_t state = seed;
	size_t k = 0;

	*order = impact_xcalloc(n ? n : 1, sizeof(size_t));
	*band = impact_xcalloc(n ? n : 1, 1);
	for (int b = 0; b <= 3; b++)
		start[b] = (n * (size_t)b + 2) / 3;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (int b = 0; b < 3; b++) {
		for (size_t i = start[b + 1]; i > start[b] + 1; i--) {
			size_t j = start[b] + (size_t)(splitmix64(&state) % (i - start[b]));
			size_t t = idx[i - 1];
			idx[i - 1] = idx[j];
			idx[j] = t;
		}
		next[b] = start[b];
	}
	while (k < n) {
		for (int b = 0; b < 3; b++) {
			if (next[b] < start[b + 1]) {
				(*order)[k] = idx[next[b]++];
				(*band)[k] = (uint8_t)b;
				k++;
			}
		}
	}
	free(idx);
}

/* --- running the suite ------------------------------------------------------- */

/*
 * The full suite at `commit`, in a fresh checkout removed afterwards.
 * The first run also checks the interpreter (pytest there) and that the
 * checkout's own packages are what imports.
 */
/*
 * The recorded run's sink into the repository's records, as made on
 * `commit`'s tree in the checkout `dir` (before the checkout goes).
 */
static int ingest_records(audit *a, const git_oid *commit, const char *dir)
{
	impact_records *store = NULL;
	impact_records_run run = { 0 };
	impact_strlist notes = { 0 };
	impact_records_stats st;
	git_commit *c = NULL;
	git_oid tree;
	int rc;
	if ((rc = git_commit_lookup(&c, a->repo, commit)) < 0)
		return impact_error_from_git(rc, "cannot read the audited commit");
	tree = *git_commit_tree_id(c);
	git_commit_free(c);
	run.sink = a->env.record_sink;
	run.workdir = dir;
	run.tree = &tree;
	if ((rc = impact_records_open(&store, a->repo, true)) == 0 &&
	    (rc = impact_records_ingest(store, a->repo, &run, &notes)) == 0 &&
	    impact_records_stats_get(store, &st) == 0)
		say(a, "records: %zu test files recorded at HEAD", st.files);
	for (size_t i = 0; i < notes.n; i++)
		say(a, "warning: %s", notes.items[i]);
	impact_strlist_release(&notes);
	impact_records_close(store);
	return rc;
}

static int suite_at(audit *a, impact_suite_result *out, const git_oid *commit,
                    const impact_strlist *test_files)
{
	impact_buf dir = IMPACT_BUF_INIT;
	unsigned k = a->runs++;
	int rc;

	memset(out, 0, sizeof(*out));
	impact_buf_printf(&dir, "%s/run-%u", a->scratch, k);
	if ((rc = impact_scratch_checkout(a->repo, commit, dir.ptr)) < 0)
		goto done;
	if (!a->preflight_done) {
		impact_strlist pkgs = { 0 }, pytest = { 0 };
		impact_preflight pf = { 0 };
		impact_run_pytest(&pytest, &a->python, &a->config->test_command);
		impact_preflight_packages(&pkgs, dir.ptr);
		pf.python = &a->python;
		pf.pytest = &pytest;
		pf.custom_command = a->config->test_command.n > 0;
		/*
		 * Started outside the checkout, with the run's PYTHONPATH: each
		 * package must then be found inside the checkout (under the
		 * scratch folder), not in the user's editable install.
		 */
		pf.workdir = a->scratch;
		pf.limits = &a->env.limits;
		{
			impact_buf pp = IMPACT_BUF_INIT, src = IMPACT_BUF_INIT;
			impact_strlist env = { 0 };
			const char *old = getenv("PYTHONPATH");
			impact_buf_printf(&pp, "PYTHONPATH=%s", dir.ptr);
			impact_buf_printf(&src, "%s/src", dir.ptr);
			if (access(src.ptr, F_OK) == 0)
				impact_buf_printf(&pp, ":%s", src.ptr);
			if (old && *old)
				impact_buf_printf(&pp, ":%s", old);
			impact_strlist_push(&env, pp.ptr);
			pf.env_add = impact_child_argv(&env);
			rc = impact_preflight_python(&pf, &pkgs, true, false);
			impact_strlist_release(&env);
			impact_buf_release(&pp);
			impact_buf_release(&src);
		}
		impact_strlist_release(&pkgs);
		impact_strlist_release(&pytest);
		if (rc < 0) {
			if (pf.end == IMPACT_CHILD_INTERRUPTED)
				rc = stop_interrupted(a);
			else if (rc == IMPACT_EPYTHON && strstr(impact_error_last(), "linked worktree"))
				rc = impact_error_set(IMPACT_EPYTHON, "the audit's checkout would not test "
				                      "its own code: %s", impact_error_last());
			goto done;
		}
		a->preflight_done = true;
	}
	rc = impact_suite_run(out, &a->env, dir.ptr, k, (const char *const *)test_files->items,
	                      test_files->n);
	if (rc == 0 && a->env.record_sink)
		rc = ingest_records(a, commit, dir.ptr);
	impact_flaky_mark(&out->res, a->config);
	if (rc == 0 && out->end == IMPACT_CHILD_INTERRUPTED)
		rc = stop_interrupted(a);
done:
	{
		int rm = impact_scratch_rmtree(dir.ptr);
		if (rm < 0)
			say(a, "warning: %s", impact_error_last());
	}
	impact_buf_release(&dir);
	return rc;
}

static const char *pytest_exit_meaning(int code)
{
	switch (code) {
	case 2: return "interrupted";
	case 3: return "internal error";
	case 4: return "usage error";
	case 5: return "no tests collected";
	default: return code >= 128 ? "killed by a signal" : "unexpected exit";
	}
}

/* Why a run did not count as finished, into `out`. */
static void why_unfinished(impact_buf *out, const audit *a, const impact_suite_result *r)
{
	if (r->end == IMPACT_CHILD_TIMED_OUT)
		impact_buf_printf(out, "timed out after %.0f s (--timeout)", a->env.limits.timeout_s);
	else
		impact_buf_printf(out, "pytest exit %d (%s)", r->exit_code,
		                  pytest_exit_meaning(r->exit_code));
}

/* The project's test files at `snap`, into `out` (sorted). */
static int project_of(audit *a, impact_project **project, impact_snapshot *snap,
                      impact_strlist *tests)
{
	impact_project_opts po = { 0 };
	int rc;
	po.nthreads = a->o->threads;
	po.cache = a->cache;
	if ((rc = impact_project_build(project, snap, &po)) < 0)
		return rc;
	for (uint32_t i = 0; i < (*project)->nfiles; i++)
		if ((*project)->files[i].flags & IMPACT_PF_TEST)
			impact_strlist_push(tests, (*project)->files[i].path);
	impact_audit_sort_unique(tests);
	return 0;
}

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
		const char *nl = strchr(line, '\n'), *in = strstr(line, ": in <module>"), *colon;
		const char *p = line;
		if (in && (!nl || in < nl)) {
			while (*p == ' ')
				p++;
			for (colon = in; colon > p && colon[-1] >= '0' && colon[-1] <= '9'; colon--)
				;
			if (colon > p && colon[-1] == ':' && *p != '/' && *p != '<') {
				impact_buf file = IMPACT_BUF_INIT;
				const char *base;
				impact_buf_put(&file, p, (size_t)(colon - 1 - p));
				base = impact_path_base(file.ptr);
				if (!strcmp(base, "conftest.py") || !strcmp(base, "__init__.py")) {
					impact_path_dir(out, file.ptr);
					impact_buf_release(&file);
					return true;
				}
				impact_buf_release(&file);
			}
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

/* The test files with a record in `r` (sorted), appended to `out`. */
static void files_ran(impact_strlist *out, const impact_suite_result *r)
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
static void compare(impact_audit_record *rec, const impact_suite_result *run,
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
		impact_buf_printf(&why, "pytest stopped before running the tests (exit %d)",
		                  run->exit_code);
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
	files_ran(&ran, run);
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
	for (size_t i = 0; i < test_files->n; i++) {
		const char *f = test_files->items[i];
		bool yes = impact_audit_covers(sel, f, NULL);
		/* Some of its tests by node id: the file runs, in part. */
		for (size_t t = 0; !yes && t < sel->targets.n; t++) {
			const char *tg = sel->targets.items[t];
			size_t len = strlen(f);
			yes = !strncmp(tg, f, len) && !strncmp(tg + len, "::", 2);
		}
		if (yes)
			impact_strlist_push(&rec->selected, f);
	}
	rec->test_files = test_files->n;
	rec->full_suite = sel->full_suite;
	rec->full_reason = sel->full_reason ? impact_xstrdup(sel->full_reason) : NULL;
	impact_strlist_release(&ufiles);
	impact_strlist_release(&uids);
	impact_strlist_release(&all_files);
	impact_strlist_release(&ran);
	impact_buf_release(&why);
}

/* --- mutate ---------------------------------------------------------------- */

/*
 * The static selection's figures beside the records': how many test files
 * it selects and how many of rec's failing files it leaves out.
 */
static void compare_static(impact_audit_record *rec, const impact_audit_selection *stat,
                           const impact_strlist *test_files)
{
	rec->static_selected = stat->full_suite ? test_files->n : stat->targets.n;
	rec->static_missed = 0;
	if (stat->full_suite)
		return;
	for (size_t i = 0; i < rec->failing.n; i++) {
		bool in = false;
		for (size_t k = 0; k < stat->targets.n && !in; k++) {
			const char *t = stat->targets.items[k];
			size_t n = strlen(t);
			in = !strcmp(t, rec->failing.items[i]) ||
			     (!strncmp(t, rec->failing.items[i], n) && n && t[n - 1] == '/');
		}
		rec->static_missed += !in;
	}
}

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
		if (interrupted(a))
			rc = stop_interrupted(a);
		goto done;
	}
	if ((rc = suite_at(a, &run, &commit, test_files)) < 0)
		goto done;
	compare(rec, &run, &sel, test_files, a->rep->marker, &a->rep->baseline_failing,
	        &a->baseline_ran);
	if (a->o->records)
		compare_static(rec, &stat, test_files);
	if (!impact_suite_ran(&run) && !rec->stopped) {
		impact_buf_clear(&msg);
		why_unfinished(&msg, a, &run);
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
	say(a, "%s", line.ptr);
	impact_buf_release(&line);
}

/* The unmutated suite at HEAD: must run to its end; its failures are set aside. */
static int baseline(audit *a, const impact_strlist *test_files)
{
	impact_suite_result run = { 0 };
	impact_buf why = IMPACT_BUF_INIT;
	int rc;

	say(a, "running the full suite at HEAD (%.7s) first%s", a->rep->head,
	    a->o->records ? ", recording what each test executes" : "");
	if (a->o->records) {
		impact_buf_printf(&why, "%s/records-sink", a->scratch);
		if (mkdir(why.ptr, 0700) != 0) {
			rc = impact_error_from_errno(errno, "cannot create '%s'", why.ptr);
			goto done;
		}
		a->env.record_sink = why.ptr;
		a->env.plugin_dir = a->plugin_dir;
	}
	rc = suite_at(a, &run, &a->head, test_files);
	a->env.record_sink = NULL;
	impact_buf_clear(&why);
	if (rc < 0)
		goto done;
	a->rep->baseline_seconds = run.seconds;
	if (!impact_suite_ran(&run)) {
		why_unfinished(&why, a, &run);
		rc = impact_error_set(IMPACT_EPYTHON, "the unmutated suite does not run cleanly at HEAD: "
		                      "%s; fix that first (pytest's last words: %s)", why.ptr,
		                      run.log_tail ? run.log_tail : "none");
		goto done;
	}
	impact_suite_failures(NULL, &a->rep->baseline_failing, &run, NULL, NULL, false);
	files_ran(&a->baseline_ran, &run);
	say(a, "HEAD: %zu passed, %zu failed, %zu errors, %zu skipped in %.1f s%s",
	    run.res.counts[IMPACT_OUTCOME_PASSED], run.res.counts[IMPACT_OUTCOME_FAILED],
	    run.res.counts[IMPACT_OUTCOME_ERROR], run.res.counts[IMPACT_OUTCOME_SKIPPED],
	    run.seconds, a->rep->baseline_failing.n ? "; already failing, left out of the "
	    "comparison:" : "");
	for (size_t i = 0; i < a->rep->baseline_failing.n; i++)
		say(a, "  %s", a->rep->baseline_failing.items[i]);
done:
	impact_suite_result_release(&run);
	impact_buf_release(&why);
	return rc;
}

static int audit_mutate(audit *a)
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

	if ((rc = project_of(a, &project, a->snap, &test_files)) < 0)
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
		if (interrupted(a))
			rc = stop_interrupted(a);
		goto done;
	}
	if (!(m = impact_mutator_new())) {
		rc = IMPACT_ERROR;
		goto done;
	}
	rank_modules(&cands, &ncands, project);
	a->rep->candidates = ncands;
	if (!ncands) {
		rc = impact_error_set(IMPACT_EINVALID, "HEAD (%.7s) has no Python module besides "
		                      "its tests: nothing to mutate", a->rep->head);
		goto done;
	}
	if ((rc = baseline(a, &test_files)) < 0)
		goto done;

	sample_order(&order, &band, ncands, a->o->seed);
	for (size_t i = 0; i < ncands && done_n < a->o->mutate; i++) {
		const candidate *c = &cands[order[i]];
		impact_audit_record *rec;
		size_t nfun = 0;

		if (interrupted(a)) {
			rc = stop_interrupted(a);
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
		rec = new_record(a->rep);
		rec->path = impact_xstrdup(c->path);
		rec->band = band_names[band[i]];
		rec->importers = c->importers;
		if (rc < 0) {
			rec->skipped = impact_xstrdup(impact_error_last());
			say(a, "skipped %s: %s", c->path, rec->skipped);
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
		say(a, "only %zu of the %zu non-test modules could be mutated (%zu define no function)",
		    done_n, ncands, a->rep->no_function);
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

	rank_modules(&mods, &nmods, project);
	if (nmods)
		qsort(mods, nmods, sizeof(*mods), cmp_candidate_path);
	*nmodules = nmods;
	for (size_t i = 0; i < nmods; i++) {
		impact_mutate_fns fns = { 0 };
		impact_buf_clear(&src);
		if ((rc = impact_snapshot_read(&src, a->snap, project->files[mods[i].file].entry)) < 0)
			goto done;
		if (impact_mutate_functions(m, &fns, src.ptr, src.size) < 0) {
			impact_audit_record *rec = new_record(a->rep);
			rec->path = impact_xstrdup(mods[i].path);
			rec->skipped = impact_xstrdup(impact_error_last());
			say(a, "skipped %s: %s", mods[i].path, rec->skipped);
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

static int audit_functions(audit *a)
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

	if ((rc = project_of(a, &project, a->snap, &test_files)) < 0)
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
		if (interrupted(a))
			rc = stop_interrupted(a);
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
	say(a, "%zu functions and methods in %zu non-test modules", cands.n, nmodules);
	if ((rc = baseline(a, &test_files)) < 0)
		goto done;

	/* A uniform draw: the candidates shuffled (Fisher-Yates) from the seed. */
	order = impact_xcalloc(cands.n, sizeof(size_t));
	for (size_t i = 0; i < cands.n; i++)
		order[i] = i;
	for (size_t i = cands.n; i > 1; i--) {
		size_t j = (size_t)(splitmix64(&state) % i), t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	want = a->o->mutate < cands.n ? a->o->mutate : cands.n;
	for (size_t i = 0; i < cands.n && done_n < a->o->mutate; i++) {
		const fn_candidate *c = &cands.v[order[i]];
		impact_audit_record *rec;

		if (interrupted(a)) {
			rc = stop_interrupted(a);
			goto done;
		}
		impact_buf_clear(&src);
		impact_buf_clear(&mutant);
		if ((rc = impact_snapshot_read(&src, a->snap, project->files[c->file].entry)) < 0)
			goto done;
		rc = impact_mutate_function(m, &mutant, src.ptr, src.size, a->rep->marker, c->fn);
		rec = new_record(a->rep);
		rec->path = impact_xstrdup(c->path);
		rec->function = impact_xstrdup(c->qualname);
		rec->line = c->line;
		rec->functions = 1;
		if (rc < 0) {
			rec->skipped = impact_xstrdup(impact_error_last());
			say(a, "skipped %s:%u %s: %s", c->path, c->line, c->qualname, rec->skipped);
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
		say(a, "only %zu of the %zu functions could be mutated", done_n, cands.n);
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

/* --- full ------------------------------------------------------------------ */

/* The commits of `spec`, oldest first, following first parents. */
static int range_commits(audit *a, git_oid **out, size_t *n)
{
	impact_range range = { 0 };
	git_revwalk *walk = NULL;
	git_oid oid;
	size_t alloc = 0;
	int rc, grc;

	*out = NULL;
	*n = 0;
	if ((rc = impact_range_parse(&range, a->repo, a->o->revspec, false)) < 0)
		goto done;
	if (range.new_kind != IMPACT_SNAPSHOT_TREE || git_oid_is_zero(&range.new_commit)) {
		rc = impact_error_set(IMPACT_EINVALID, "--full audits commits: give a range such as "
		                      "HEAD~5.. or a commit, not '%s'", a->o->revspec);
		goto done;
	}
	if ((grc = git_revwalk_new(&walk, a->repo)) < 0 ||
	    (grc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) < 0 ||
	    (grc = git_revwalk_simplify_first_parent(walk)) < 0 ||
	    (grc = git_revwalk_push(walk, &range.new_commit)) < 0 ||
	    (!git_oid_is_zero(&range.old_commit) &&
	     (grc = git_revwalk_hide(walk, &range.old_commit)) < 0)) {
		rc = impact_error_from_git(grc, "cannot walk '%s'", a->o->revspec);
		goto done;
	}
	while ((grc = git_revwalk_next(&oid, walk)) == 0)
		IMPACT_PUSH(*out, *n, alloc, oid);
	if (grc != GIT_ITEROVER) {
		rc = impact_error_from_git(grc, "cannot walk '%s'", a->o->revspec);
		goto done;
	}
	if (!*n)
		rc = impact_error_set(IMPACT_EINVALID, "'%s' holds no commit: nothing to audit",
		                      a->o->revspec);
done:
	git_revwalk_free(walk);
	impact_range_release(&range);
	return rc;
}

/* Audit commit `c` against its first parent; `prev` holds the last run (at its commit `prev_oid`). */
static int audit_commit(audit *a, impact_audit_record *rec, git_commit *c,
                        impact_suite_result *prev, git_oid *prev_oid, bool first)
{
	impact_suite_result at_parent = { 0 }, at_commit = { 0 };
	impact_audit_selection sel = { 0 };
	impact_strlist tests = { 0 }, parent_failing = { 0 }, all_new = { 0 }, parent_ran = { 0 };
	impact_project *project = NULL;
	impact_snapshot *snap = NULL;
	git_tree *tree = NULL;
	impact_buf why = IMPACT_BUF_INIT;
	const git_oid *parent = git_commit_parent_id(c, 0);
	double t0 = impact_now_ms();
	int rc = 0, grc;

	git_oid_tostr(rec->commit, sizeof(rec->commit), git_commit_id(c));
	rec->subject = impact_xstrdup(git_commit_summary(c) ? git_commit_summary(c) : "");
	if (!parent) {
		rec->skipped = impact_xstrdup("a root commit: no parent to compare with");
		goto done;
	}
	if ((grc = git_commit_tree(&tree, c)) < 0) {
		rc = impact_error_from_git(grc, "cannot read commit %.7s", rec->commit);
		goto done;
	}
	if ((rc = impact_snapshot_open(&snap, a->repo, IMPACT_SNAPSHOT_TREE, tree)) < 0 ||
	    (rc = project_of(a, &project, snap, &tests)) < 0)
		goto done;
	if ((rc = impact_audit_select(&sel, a->repo_dir, rec->commit, (const char *const *)a->sel_args.items,
	                              a->sel_args.n, a->scratch, &a->env.limits)) < 0) {
		if (interrupted(a))
			rc = stop_interrupted(a);
		goto done;
	}
	if (git_oid_equal(prev_oid, parent)) {
		at_parent = *prev;
		memset(prev, 0, sizeof(*prev));
		memset(prev_oid, 0, sizeof(*prev_oid));
	} else {
		say(a, "running the full suite at %.7s (the parent of %.7s)", git_oid_tostr_s(parent),
		    rec->commit);
		if ((rc = suite_at(a, &at_parent, parent, &tests)) < 0)
			goto done;
	}
	if (!impact_suite_ran(&at_parent)) {
		why_unfinished(&why, a, &at_parent);
		if (first) {
			rc = impact_error_set(IMPACT_EPYTHON, "the suite does not run cleanly at %.7s, the "
			                      "parent of the first commit: %s (pytest's last words: %s)",
			                      git_oid_tostr_s(parent), why.ptr,
			                      at_parent.log_tail ? at_parent.log_tail : "none");
			goto done;
		}
		impact_buf_puts(&why, " at the parent: nothing to compare with");
		rec->skipped = impact_buf_detach(&why);
		goto done;
	}
	say(a, "running the full suite at %.7s %s", rec->commit, rec->subject);
	if ((rc = suite_at(a, &at_commit, git_commit_id(c), &tests)) < 0)
		goto done;
	impact_suite_failures(NULL, &parent_failing, &at_parent, NULL, NULL, false);
	files_ran(&parent_ran, &at_parent);
	compare(rec, &at_commit, &sel, &tests, NULL, &parent_failing, &parent_ran);
	if (!impact_suite_ran(&at_commit) && !rec->stopped) {
		why_unfinished(&why, a, &at_commit);
		rec->incomplete = impact_buf_detach(&why);
	}
	impact_suite_failures(NULL, &all_new, &at_commit, NULL, NULL, false);
	for (size_t i = 0; i < all_new.n; i++)
		rec->already_failing += impact_audit_has(&parent_failing, all_new.items[i]);
	impact_suite_result_release(prev);
	*prev = at_commit;
	memset(&at_commit, 0, sizeof(at_commit));
	git_oid_cpy(prev_oid, git_commit_id(c));
done:
	rec->seconds = (impact_now_ms() - t0) / 1000.0;
	impact_suite_result_release(&at_parent);
	impact_suite_result_release(&at_commit);
	impact_audit_selection_release(&sel);
	impact_strlist_release(&tests);
	impact_strlist_release(&parent_failing);
	impact_strlist_release(&parent_ran);
	impact_strlist_release(&all_new);
	impact_project_free(project);
	impact_snapshot_free(snap);
	git_tree_free(tree);
	impact_buf_release(&why);
	return rc;
}

static int audit_full(audit *a)
{
	impact_suite_result prev = { 0 };
	git_oid *commits = NULL, prev_oid;
	size_t n = 0;
	int rc;

	memset(&prev_oid, 0, sizeof(prev_oid));
	if ((rc = range_commits(a, &commits, &n)) < 0)
		goto done;
	say(a, "%zu commit%s to audit in '%s'", n, n == 1 ? "" : "s", a->o->revspec);
	for (size_t i = 0; i < n; i++) {
		impact_audit_record *rec = new_record(a->rep);
		git_commit *c = NULL;
		int grc;
		if (interrupted(a)) {
			rc = stop_interrupted(a);
			goto done;
		}
		if ((grc = git_commit_lookup(&c, a->repo, &commits[i])) < 0) {
			rc = impact_error_from_git(grc, "cannot read commit %s", git_oid_tostr_s(&commits[i]));
			goto done;
		}
		rc = audit_commit(a, rec, c, &prev, &prev_oid, i == 0);
		git_commit_free(c);
		if (rc < 0) {
			if (a->rep->interrupted && !rec->skipped)
				rec->skipped = impact_xstrdup("interrupted");
			goto done;
		}
		if (rec->skipped)
			say(a, "[%zu/%zu] %.7s %s: skipped: %s", i + 1, n, rec->commit, rec->subject,
			    rec->skipped);
		else
			say(a, "[%zu/%zu] %.7s %s: %zu newly failing, %zu selected%s, %zu missed%s%s",
			    i + 1, n, rec->commit, rec->subject, rec->failing.n, rec->selected.n,
			    rec->full_suite ? " (full suite)" : "", rec->missed.n,
			    rec->incomplete ? "; incomplete: " : "", rec->incomplete ? rec->incomplete : "");
	}
done:
	impact_suite_result_release(&prev);
	free(commits);
	return rc;
}

/* --- the whole audit ----------------------------------------------------------- */

static char *new_marker(void)
{
	impact_buf m = IMPACT_BUF_INIT;
	uint64_t r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;
		uint64_t s;
		clock_gettime(CLOCK_REALTIME, &ts);
		s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
		r = splitmix64(&s);
	}
	impact_buf_printf(&m, "impact-audit-mutant-%016llx", (unsigned long long)r);
	return impact_buf_detach(&m);
}

/*
 * A mutate audit with no count takes it from the configuration's [audit]
 * table, with `functions` (either side turns it on) and the seed (unless
 * given). IMPACT_EINVALID when the table names no count.
 */
static int from_config(audit *a)
{
	impact_buf where = IMPACT_BUF_INIT;
	if (a->opts.mode != IMPACT_AUDIT_MUTATE || a->opts.mutate)
		return 0;
	if (!a->config->audit_mutate)
		return impact_error_set(IMPACT_EINVALID, "give one of --mutate N and --full <revspec>, "
		                        "or set 'mutate' in the [audit] table of .impact.toml "
		                        "([tool.impact.audit] in pyproject.toml)");
	a->opts.mutate = a->config->audit_mutate;
	a->opts.functions = a->opts.functions || a->config->audit_functions;
	if (!a->opts.seed_given)
		a->opts.seed = a->config->audit_seed;
	a->rep->requested = a->opts.mutate;
	a->rep->functions = a->opts.functions;
	a->rep->seed = a->opts.seed;
	impact_config_where_format(&where, &a->config->where_audit);
	say(a, "from the configuration (%s): --mutate %u%s --seed %llu", where.ptr, a->opts.mutate,
	    a->opts.functions ? " --functions" : "", (unsigned long long)a->opts.seed);
	impact_buf_release(&where);
	return 0;
}

/* HEAD, its tree, snapshot, configuration, the cache, the interpreter. */
static int setup(audit *a)
{
	git_commit *c = NULL;
	const char *rules = getenv("IMPACT_RULES_DIR");
	char *cache_path = NULL;
	struct timespec now;
	int rc = 0, grc;

	grc = git_reference_name_to_id(&a->head, a->repo, "HEAD");
	if (grc == GIT_ENOTFOUND || git_repository_head_unborn(a->repo) == 1) {
		rc = impact_error_set(IMPACT_EUNBORN, "HEAD has no commit yet: commit the project, "
		                      "then audit it");
		goto done;
	}
	if (grc < 0 || (grc = git_commit_lookup(&c, a->repo, &a->head)) < 0 ||
	    (grc = git_commit_tree(&a->head_tree, c)) < 0) {
		rc = impact_error_from_git(grc, "cannot read HEAD");
		goto done;
	}
	git_oid_tostr(a->rep->head, sizeof(a->rep->head), &a->head);
	if ((rc = impact_snapshot_open(&a->snap, a->repo, IMPACT_SNAPSHOT_TREE, a->head_tree)) < 0 ||
	    (rc = impact_config_load(&a->config, impact_snapshot_reader, a->snap,
	                             rules && *rules ? rules : NULL)) < 0)
		goto done;
	if ((rc = from_config(a)) < 0)
		goto done;
	if (!a->o->no_cache &&
	    (impact_cache_default_path(&cache_path, a->repo) < 0 ||
	     impact_cache_open(&a->cache, cache_path, IMPACT_PYFACTS_VERSION, NULL) < 0))
		say(a, "warning: running without the parse cache: %s", impact_error_last());
	if ((rc = impact_python_choose(&a->python, a->workdir, a->config->python)) < 0)
		goto done;
	a->rep->python = impact_xstrdup(a->python.why);
	say(a, "python: %s", a->python.why);
	if ((rc = impact_scratch_tmpdir(&a->scratch, "impact-audit-")) < 0)
		goto done;
	clock_gettime(CLOCK_REALTIME, &now);
	impact_buf_printf(&a->run_id, "%d-%lld%09ld", (int)getpid(), (long long)now.tv_sec,
	                  now.tv_nsec);
	for (size_t i = 0; i < a->o->nselect_args; i++) {
		impact_strlist_push(&a->sel_args, a->o->select_args[i]);
		impact_strlist_push(&a->static_args, a->o->select_args[i]);
	}
	impact_strlist_push(&a->static_args, "--no-records");
	if (!a->o->records)
		impact_strlist_push(&a->sel_args, "--no-records");
	else if (!(a->plugin_dir = impact_run_plugin_dir())) {
		rc = impact_error_set(IMPACT_EINVALID, "--records needs impact's pytest plugin, which "
		                      "is not installed: run install.sh, or set IMPACT_DATA_DIR");
		goto done;
	}
	a->rep->with_records = a->o->records;
	a->env.python = &a->python;
	a->env.test_command = &a->config->test_command;
	a->env.scratch = a->scratch;
	a->env.run_id = a->run_id.ptr;
	a->env.watch = a->o->mode == IMPACT_AUDIT_MUTATE ? a->rep->marker : NULL;
	a->env.limits.timeout_s = impact_run_time_limit(a->o->timeout, a->config, NULL, 0);
	a->env.limits.grace_s = a->o->grace ? a->o->grace : 5;
	a->env.limits.interrupted = a->o->interrupted;
	impact_reap_become_subreaper();
done:
	free(cache_path);
	git_commit_free(c);
	return rc;
}

int impact_audit_run(impact_audit_report *rep, git_repository *repo,
                     const impact_audit_opts *o)
{
	audit a = { 0 };
	impact_buf wd = IMPACT_BUF_INIT;
	const char *w = git_repository_workdir(repo);
	int rc;

	memset(rep, 0, sizeof(*rep));
	rep->mode = o->mode;
	rep->seed = o->seed;
	rep->requested = o->mutate;
	rep->functions = o->mode == IMPACT_AUDIT_MUTATE && o->functions;
	rep->range = o->revspec ? impact_xstrdup(o->revspec) : NULL;
	rep->marker = new_marker();
	for (size_t i = 0; i < o->nselect_args; i++)
		impact_strlist_push(&rep->select_args, o->select_args[i]);
	a.opts = *o;
	a.o = &a.opts;
	a.rep = rep;
	a.repo = repo;
	impact_buf_init(&a.run_id);
	if (w) {
		impact_buf_puts(&wd, w);
		if (wd.size > 1 && wd.ptr[wd.size - 1] == '/')
			impact_buf_truncate(&wd, wd.size - 1);
		a.workdir = wd.ptr;
	}
	a.repo_dir = w ? wd.ptr : git_repository_path(repo);

	if ((rc = setup(&a)) < 0)
		goto done;
	if (o->mode == IMPACT_AUDIT_FULL)
		rc = audit_full(&a);
	else
		rc = a.opts.functions ? audit_functions(&a) : audit_mutate(&a);
done:
	if (a.scratch && impact_scratch_rmtree(a.scratch) < 0)
		say(&a, "warning: %s", impact_error_last());
	free(a.scratch);
	impact_strlist_release(&a.baseline_ran);
	impact_strlist_release(&a.sel_args);
	impact_strlist_release(&a.static_args);
	free(a.plugin_dir);
	impact_buf_release(&a.run_id);
	impact_python_release(&a.python);
	impact_cache_close(a.cache);
	impact_config_free(a.config);
	impact_snapshot_free(a.snap);
	git_tree_free(a.head_tree);
	impact_buf_release(&wd);
	return rc;
}

static void record_release(impact_audit_record *r)
{
	free(r->path);
	free(r->function);
	free(r->subject);
	impact_strlist_release(&r->failing);
	impact_strlist_release(&r->failing_tests);
	impact_strlist_release(&r->missed);
	impact_strlist_release(&r->other);
	impact_strlist_release(&r->selected);
	free(r->full_reason);
	free(r->skipped);
	free(r->incomplete);
	free(r->stopped);
}

void impact_audit_report_release(impact_audit_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		record_release(&rep->records[i]);
	free(rep->records);
	free(rep->range);
	free(rep->marker);
	free(rep->python);
	impact_strlist_release(&rep->select_args);
	impact_strlist_release(&rep->baseline_failing);
	memset(rep, 0, sizeof(*rep));
}

bool impact_audit_breaks_nothing(const impact_audit_report *rep, const impact_audit_record *r)
{
	return rep->functions && !r->skipped && !r->failing.n && !r->incomplete && !r->stopped;
}

void impact_audit_totals_of(impact_audit_totals *out, const impact_audit_report *rep)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < rep->n; i++) {
		const impact_audit_record *r = &rep->records[i];
		if (r->skipped)
			continue;
		out->audited++;
		if (impact_audit_breaks_nothing(rep, r)) {
			out->breaks_nothing++;
			continue;
		}
		out->failing += r->failing.n;
		out->selected += r->selected.n;
		out->missed += r->missed.n;
		out->static_selected += r->static_selected;
		out->static_missed += r->static_missed;
		out->test_files += r->test_files;
		out->incomplete += r->incomplete != NULL;
	}
}
