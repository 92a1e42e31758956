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
#include "snapshot.h"
#include "textdoctest.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void audit_say(const audit *a, const char *fmt, ...)
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

bool audit_interrupted(const audit *a)
{
	return a->o->interrupted && *a->o->interrupted;
}

int audit_stop_interrupted(audit *a)
{
	a->rep->interrupted = true;
	return impact_error_set(IMPACT_ERROR, "interrupted");
}

impact_audit_record *audit_new_record(impact_audit_report *rep)
{
	impact_audit_record r = { 0 };
	IMPACT_PUSH(rep->records, rep->n, rep->alloc, r);
	return &rep->records[rep->n - 1];
}

/* --- the sample ------------------------------------------------------------ */


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

/*
 * The non-test modules of `p` (those --doctest-modules collects too), most
 * imported first. *out is the caller's.
 */
void audit_rank_modules(candidate **out, size_t *n, const impact_project *p)
{
	const uint32_t skip = IMPACT_PF_CONFTEST | IMPACT_PF_GHOST | IMPACT_PF_VIRTUAL |
	                      IMPACT_PF_SYMLINK;
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
		if ((f->flags & skip) || IMPACT_PF_ONLY_TEST(f->flags) || !f->entry ||
		    !impact_path_has_suffix(f->path, ".py") ||
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

uint64_t audit_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}


/*
 * The order to try the ranked candidates in: indexes into the ranking and
 * their third, taking from the top, middle and bottom thirds in turn,
 * each third shuffled from `seed`. Both arrays are the caller's.
 */
void audit_sample_order(size_t **order, uint8_t **band, size_t n, uint64_t seed)
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
			size_t j = start[b] + (size_t)(audit_splitmix64(&state) % (i - start[b]));
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
		audit_say(a, "records: %zu test files recorded at HEAD", st.files);
	for (size_t i = 0; i < notes.n; i++)
		audit_say(a, "warning: %s", notes.items[i]);
	impact_strlist_release(&notes);
	impact_records_close(store);
	return rc;
}

int audit_suite_at(audit *a, impact_suite_result *out, const git_oid *commit,
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
				rc = audit_stop_interrupted(a);
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
		rc = audit_stop_interrupted(a);
done:
	{
		int rm = impact_scratch_rmtree(dir.ptr);
		if (rm < 0)
			audit_say(a, "warning: %s", impact_error_last());
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
void audit_why_unfinished(impact_buf *out, const audit *a, const impact_suite_result *r)
{
	if (r->end == IMPACT_CHILD_TIMED_OUT)
		impact_buf_printf(out, "timed out after %.0f s (--timeout)", a->env.limits.timeout_s);
	else
		impact_buf_printf(out, "pytest exit %d (%s)", r->exit_code,
		                  pytest_exit_meaning(r->exit_code));
}

/*
 * The doctest text files pytest collects (--doctest-glob, with an
 * example): test files as much as the modules are, so a failing one is
 * counted among the files a selection can cover, not beside them.
 */
static void text_doctests(impact_strlist *tests, const impact_project *p)
{
	impact_textdoctest_set set;
	impact_textdoctest_set_load(&set, p);
	for (size_t i = 0; i < set.n; i++)
		if (impact_textdoctest_set_has(&set, p, i) == 1)
			impact_strlist_push(tests, set.entries[i]->path);
	impact_textdoctest_set_save(&set, p);
	impact_textdoctest_set_release(&set);
}

/* The project's test files at `snap`, into `out` (sorted). */
int audit_project_of(audit *a, impact_project **project, impact_snapshot *snap,
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
	text_doctests(tests, *project);
	impact_audit_sort_unique(tests);
	return 0;
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
		r = audit_splitmix64(&s);
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
	audit_say(a, "from the configuration (%s): --mutate %u%s --seed %llu", where.ptr, a->opts.mutate,
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
		audit_say(a, "warning: running without the parse cache: %s", impact_error_last());
	if ((rc = impact_python_choose(&a->python, a->workdir, a->config->python)) < 0)
		goto done;
	a->rep->python = impact_xstrdup(a->python.why);
	audit_say(a, "python: %s", a->python.why);
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
	/* The plugin also says which of the repository's files pytest imports itself (select.h). */
	a->plugin_dir = impact_run_plugin_dir();
	if (!a->o->records)
		impact_strlist_push(&a->sel_args, "--no-records");
	else if (!a->plugin_dir) {
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
		audit_say(&a, "warning: %s", impact_error_last());
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
	return rep->mode == IMPACT_AUDIT_MUTATE && !r->skipped && !r->failing.n && !r->incomplete &&
	       !r->stopped;
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
		out->unproven += r->unproven;
		out->missed += r->missed.n;
		out->static_selected += r->static_selected;
		out->static_missed += r->static_missed;
		out->static_unproven += r->static_unproven;
		out->test_files += r->test_files;
		out->incomplete += r->incomplete != NULL;
	}
}
