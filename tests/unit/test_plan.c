/*
 * test_plan.c - selection as data, through the library's entry point.
 *
 * Each case is a layout (files of a first commit), a change (files of a
 * second commit: new content, or NULL to delete), and the exact test
 * files that precise mode and --coarse must select for `base..change`,
 * sorted. Every case builds a real repository with libgit2 (no mocked
 * git) and calls impact_plan_build as the command does, in milliseconds:
 * adding a case is adding a few lines to `cases`. Each case runs with and
 * without the parse cache and must agree. The end-to-end suite
 * (tests/e2e/test_selection.py) covers the same ground through the binary
 * with real pytest runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "plan.h"
#include "select.h"

#include <ftw.h>
#include <sys/stat.h>

typedef struct file_spec {
	const char *path;
	const char *content; /* NULL in a change: delete the file */
} file_spec;

typedef struct plan_case {
	const char *name;
	file_spec base[12];
	file_spec change[6];
	const char *precise; /* the selected test files, sorted, one space apart */
	const char *coarse;
	bool full_suite;     /* precise and coarse both run the full suite */
} plan_case;

#define LIB_AB "def f():\n    return 1\n\n\ndef g():\n    return 2\n"
#define TEST_F "from pkg.a import f\n\n\ndef test_f():\n    assert f() == 1\n"
#define TEST_G "from pkg.a import g\n\n\ndef test_g():\n    assert g() == 2\n"

/* A pytest plugin project: its hook calls helper(); the tests only run pytest. */
#define PLUG_HOOK "from myplug.helper import helper\n\n\ndef pytest_configure(config):\n    helper()\n"
#define PLUG_HELPER "def helper():\n    return 1\n\n\ndef unused():\n    return 2\n"
#define PLUG_TEST "def test_runs(pytester):\n    pytester.runpytest('-p', 'no:cacheprovider')\n"
#define PLUG_CHANGE { { "myplug/helper.py", "def helper():\n    return 3\n\n\ndef unused():\n    return 2\n" } }

static const plan_case cases[] = {
	{ "a pytest11 entry point in pyproject.toml: every test loads the plugin",
	  { { "myplug/__init__.py", "" }, { "myplug/plugin.py", PLUG_HOOK },
	    { "myplug/helper.py", PLUG_HELPER }, { "tests/test_plug.py", PLUG_TEST },
	    { "pyproject.toml", "[project]\nname = 'myplug'\n\n"
	                        "[project.entry-points.pytest11]\nmyplug = \"myplug.plugin\"\n" } },
	  PLUG_CHANGE, "tests/test_plug.py", "tests/test_plug.py", false },
	{ "a pytest11 entry point in setup.cfg",
	  { { "myplug/__init__.py", "" }, { "myplug/plugin.py", PLUG_HOOK },
	    { "myplug/helper.py", PLUG_HELPER }, { "tests/test_plug.py", PLUG_TEST },
	    { "setup.cfg", "[metadata]\nname = myplug\n\n[options.entry_points]\n"
	                   "pytest11 =\n    myplug = myplug.plugin\n" } },
	  PLUG_CHANGE, "tests/test_plug.py", "tests/test_plug.py", false },
	{ "a pytest11 entry point in setup.py",
	  { { "myplug/__init__.py", "" }, { "myplug/plugin.py", PLUG_HOOK },
	    { "myplug/helper.py", PLUG_HELPER }, { "tests/test_plug.py", PLUG_TEST },
	    { "setup.py", "from setuptools import setup\n\nsetup(name='myplug', entry_points={\n"
	                  "    'pytest11': ['myplug = myplug.plugin:hooks'],\n})\n" } },
	  PLUG_CHANGE, "tests/test_plug.py", "tests/test_plug.py", false },
	{ "without the entry point, the plugin is nobody's",
	  { { "myplug/__init__.py", "" }, { "myplug/plugin.py", PLUG_HOOK },
	    { "myplug/helper.py", PLUG_HELPER }, { "tests/test_plug.py", PLUG_TEST } },
	  PLUG_CHANGE, "", "", false },
	{ "a function body: only its caller (precise), every importer (coarse)",
	  { { "pkg/__init__.py", "" }, { "pkg/a.py", LIB_AB },
	    { "tests/test_f.py", TEST_F }, { "tests/test_g.py", TEST_G } },
	  { { "pkg/a.py", "def f():\n    return 10\n\n\ndef g():\n    return 2\n" } },
	  "tests/test_f.py", "tests/test_f.py tests/test_g.py", false },
	{ "module-level code: every importer",
	  { { "pkg/__init__.py", "" }, { "pkg/a.py", LIB_AB },
	    { "tests/test_f.py", TEST_F }, { "tests/test_g.py", TEST_G } },
	  { { "pkg/a.py", "X = 1\n" LIB_AB } },
	  "tests/test_f.py tests/test_g.py", "tests/test_f.py tests/test_g.py", false },
	{ "a test file changes: itself",
	  { { "pkg/__init__.py", "" }, { "pkg/a.py", LIB_AB },
	    { "tests/test_f.py", TEST_F }, { "tests/test_g.py", TEST_G } },
	  { { "tests/test_g.py", TEST_G "\n\ndef test_more():\n    assert True\n" } },
	  "tests/test_g.py", "tests/test_g.py", false },
	{ "documentation: nothing",
	  { { "pkg/__init__.py", "" }, { "pkg/a.py", LIB_AB }, { "README.md", "# a\n" },
	    { "tests/test_f.py", TEST_F } },
	  { { "README.md", "# b\n" } },
	  "", "", false },
	{ "through a chain of imports, relative ones included",
	  { { "pkg/__init__.py", "" }, { "pkg/a.py", LIB_AB },
	    { "pkg/b.py", "from .a import g\n\n\ndef h():\n    return g() + 1\n" },
	    { "tests/test_f.py", TEST_F },
	    { "tests/test_h.py", "from pkg.b import h\n\n\ndef test_h():\n    assert h() == 3\n" } },
	  { { "pkg/a.py", "def f():\n    return 1\n\n\ndef g():\n    return 5\n" } },
	  "tests/test_h.py", "tests/test_f.py tests/test_h.py", false },
	{ "a src/ layout",
	  { { "src/lib/__init__.py", "" }, { "src/lib/core.py", LIB_AB },
	    { "tests/test_core.py", "from lib.core import f\n\n\ndef test_f():\n    assert f()\n" },
	    { "tests/test_other.py", "def test_x():\n    pass\n" } },
	  { { "src/lib/core.py", "def f():\n    return 7\n\n\ndef g():\n    return 2\n" } },
	  "tests/test_core.py", "tests/test_core.py", false },
	{ "a conftest below the root: the tests it governs",
	  { { "pkg/__init__.py", "" }, { "pkg/a.py", LIB_AB },
	    { "tests/unit/conftest.py", "import pytest\n" },
	    { "tests/unit/test_u.py", "def test_u():\n    pass\n" },
	    { "tests/other/test_o.py", "def test_o():\n    pass\n" } },
	  { { "tests/unit/conftest.py", "import pytest\n\nX = 1\n" } },
	  "tests/unit/test_u.py", "tests/unit/test_u.py", false },
	{ "a deleted module: its importers",
	  { { "pkg/__init__.py", "" }, { "pkg/a.py", LIB_AB }, { "pkg/c.py", "C = 1\n" },
	    { "tests/test_f.py", TEST_F },
	    { "tests/test_c.py", "from pkg.c import C\n\n\ndef test_c():\n    assert C\n" } },
	  { { "pkg/c.py", NULL } },
	  "tests/test_c.py", "tests/test_c.py", false },
	{ "the project's configuration: the full suite",
	  { { "pkg/__init__.py", "" }, { "pkg/a.py", LIB_AB }, { "pytest.ini", "[pytest]\n" },
	    { "tests/test_f.py", TEST_F } },
	  { { "pytest.ini", "[pytest]\naddopts = -q\n" } },
	  NULL, NULL, true },
};

typedef struct fx {
	char *dir;
	git_repository *repo;
} fx;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	IMPACT_UNUSED(st);
	IMPACT_UNUSED(flag);
	IMPACT_UNUSED(ftw);
	return remove(path);
}

static int setup(void **state)
{
	git_repository_init_options o;
	fx *f = impact_xcalloc(1, sizeof(*f));
	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	f->dir = impact_xstrdup("/tmp/impact-test-plan-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	o.flags = GIT_REPOSITORY_INIT_MKPATH;
	o.initial_head = "main";
	if (git_repository_init_ext(&f->repo, f->dir, &o) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	git_repository_free(f->repo);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f->dir);
	free(f);
	return 0;
}

/* Put `files` into `index` (NULL content: remove), then commit it on `parent`. */
static git_oid commit(fx *f, git_index *index, const file_spec *files, size_t n,
                      const git_oid *parent, const char *tag)
{
	git_signature *sig;
	git_tree *tree;
	git_commit *p = NULL;
	git_oid tree_id, id;
	git_reference *ref;
	impact_buf name = IMPACT_BUF_INIT;

	for (size_t i = 0; i < n && files[i].path; i++) {
		git_index_entry e;
		if (!files[i].content) {
			assert_int_equal(git_index_remove_bypath(index, files[i].path), 0);
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.path = files[i].path;
		e.mode = GIT_FILEMODE_BLOB;
		assert_int_equal(git_blob_create_from_buffer(&e.id, f->repo, files[i].content,
		                                             strlen(files[i].content)), 0);
		assert_int_equal(git_index_add(index, &e), 0);
	}
	assert_int_equal(git_index_write_tree_to(&tree_id, index, f->repo), 0);
	assert_int_equal(git_signature_new(&sig, "Test", "test@example.com", 1700000000, 0), 0);
	assert_int_equal(git_tree_lookup(&tree, f->repo, &tree_id), 0);
	if (parent)
		assert_int_equal(git_commit_lookup(&p, f->repo, parent), 0);
	assert_int_equal(git_commit_create(&id, f->repo, NULL, sig, sig, NULL, tag, tree,
	                                   p ? 1 : 0, (const git_commit **)&p), 0);
	impact_buf_printf(&name, "refs/tags/%s", tag);
	assert_int_equal(git_reference_create(&ref, f->repo, name.ptr, &id, 1, NULL), 0);
	git_reference_free(ref);
	impact_buf_release(&name);
	git_commit_free(p);
	git_tree_free(tree);
	git_signature_free(sig);
	return id;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The plan's selected test files, sorted and joined by spaces (caller frees). */
static char *selected(const impact_plan *plan)
{
	const impact_selection *sel = plan->selection;
	const char **paths = impact_xcalloc(sel->ntests + 1, sizeof(char *));
	impact_buf b = IMPACT_BUF_INIT;
	for (size_t i = 0; i < sel->ntests; i++)
		paths[i] = impact_selected_path(plan->project, &sel->tests[i]);
	qsort(paths, sel->ntests, sizeof(char *), cmp_str);
	for (size_t i = 0; i < sel->ntests; i++)
		impact_buf_printf(&b, "%s%s", i ? " " : "", paths[i]);
	free(paths);
	return impact_buf_detach(&b);
}

static void check(fx *f, const plan_case *c, const char *spec, bool coarse, bool no_cache)
{
	impact_plan_opts po = { 0 };
	impact_plan *plan = NULL;
	const char *want = coarse ? c->coarse : c->precise;
	char *got;

	po.spec = spec;
	po.coarse = coarse;
	po.no_cache = no_cache;
	po.threads = 1;
	po.order_by_path = true;
	if (impact_plan_build(&plan, f->repo, &po) < 0)
		fail_msg("%s: %s", c->name, impact_error_last());
	if (c->full_suite) {
		if (!plan->selection->full_suite)
			fail_msg("%s (%s): expected the full suite", c->name, coarse ? "coarse" : "precise");
	} else {
		got = selected(plan);
		if (plan->selection->full_suite || strcmp(got, want))
			fail_msg("%s (%s%s):\n  want [%s]\n  got  [%s]%s", c->name,
			         coarse ? "coarse" : "precise", no_cache ? ", no cache" : "", want, got,
			         plan->selection->full_suite ? " (full suite)" : "");
		free(got);
	}
	impact_plan_free(plan);
}

static void test_plan__cases(void **state)
{
	fx *f = *state;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(cases); i++) {
		const plan_case *c = &cases[i];
		impact_buf base = IMPACT_BUF_INIT, head = IMPACT_BUF_INIT, spec = IMPACT_BUF_INIT;
		git_index *index;
		git_oid b;

		impact_buf_printf(&base, "base%zu", i);
		impact_buf_printf(&head, "change%zu", i);
		impact_buf_printf(&spec, "%s..%s", base.ptr, head.ptr);
		assert_int_equal(git_index_new(&index), 0);
		b = commit(f, index, c->base, IMPACT_ARRAY_SIZE(c->base), NULL, base.ptr);
		commit(f, index, c->change, IMPACT_ARRAY_SIZE(c->change), &b, head.ptr);
		git_index_free(index);
		for (int coarse = 0; coarse < 2; coarse++)
			for (int no_cache = 0; no_cache < 2; no_cache++)
				check(f, c, spec.ptr, coarse, no_cache);
		impact_buf_release(&base);
		impact_buf_release(&head);
		impact_buf_release(&spec);
	}
}

/*
 * The symbol counts, flags and class counts a cached graph keeps
 * (impact_pyfile.nsyms, symflags) are those of each file's whole facts, whether the graph was
 * built, read back or patched: the precise walk numbers symbols by them
 * without loading facts, and takes a file without the flag as having no
 * function-level import or exec/eval.
 */
static void test_plan__cached_graph_keeps_symbol_counts(void **state)
{
	fx *f = *state;
	static const file_spec base[] = {
		{ "pkg/__init__.py", "" },
		{ "pkg/a.py", LIB_AB },
		{ "pkg/lazy.py", "def h():\n    from pkg.a import f\n    return f()\n" },
		{ "pkg/dyn.py", "class C:\n    def run(self, s):\n        return eval(s)\n" },
		{ "tests/test_a.py", TEST_F },
	};
	static const file_spec change[] = {
		{ "pkg/a.py", "def f():\n    return 1\n\n\ndef g():\n    return 3\n\n\ndef k():\n    return 4\n" },
	};
	static const char *const specs[] = { "cbase", "cbase..cchange", "cbase..cchange" };
	git_index *index;
	git_oid b;

	assert_int_equal(git_index_new(&index), 0);
	b = commit(f, index, base, IMPACT_ARRAY_SIZE(base), NULL, "cbase");
	commit(f, index, change, IMPACT_ARRAY_SIZE(change), &b, "cchange");
	git_index_free(index);
	/* Built in full; patched from cbase's graph; read back as it is. */
	for (size_t k = 0; k < IMPACT_ARRAY_SIZE(specs); k++) {
		impact_plan_opts po = { 0 };
		impact_plan *plan = NULL;
		const impact_project *p;
		po.spec = specs[k];
		po.threads = 1;
		if (impact_plan_build(&plan, f->repo, &po) < 0)
			fail_msg("%s: %s", specs[k], impact_error_last());
		p = plan->project;
		assert_true(k != 1 || p->graph_patched);
		assert_true(k != 2 || p->graph_cached);
		for (uint32_t id = 0; id < p->nfiles; id++) {
			const impact_pyfile *pf = &p->files[id];
			const impact_pyfacts *facts = impact_project_facts(p, id);
			uint32_t want = 0, nclasses = 0;
			if (!strcmp(pf->path, "pkg/lazy.py"))
				want = IMPACT_SYMS_LAZY_IMPORT;
			else if (!strcmp(pf->path, "pkg/dyn.py"))
				want = IMPACT_SYMS_DYNAMIC;
			if (!pf->nsyms_known)
				fail_msg("%s: %s has no symbol count", specs[k], pf->path);
			assert_non_null(facts);
			assert_int_equal(pf->nsyms, facts->nsymbols);
			for (size_t i = 0; i < facts->nsymbols; i++)
				nclasses += facts->symbols[i].kind == IMPACT_SYMBOL_CLASS;
			assert_int_equal(pf->symflags & ((1u << IMPACT_SYMS_CLASS_SHIFT) - 1), want);
			assert_int_equal(impact_pyfile_nclasses(pf), nclasses);
			assert_true(strcmp(pf->path, "pkg/dyn.py") || nclasses == 1);
		}
		assert_int_equal(p->facts_lost, 0);
		impact_plan_free(plan);
	}
}

/* Bad input is an error with a message, and no plan. */
static void test_plan__errors(void **state)
{
	fx *f = *state;
	impact_plan_opts po = { 0 };
	impact_plan *plan = (impact_plan *)1;
	git_index *index;
	git_oid b;
	const file_spec files[] = { { "a.py", "x = 1\n" } };

	assert_int_equal(git_index_new(&index), 0);
	b = commit(f, index, files, 1, NULL, "only");
	git_index_free(index);
	IMPACT_UNUSED(b);

	po.spec = "no-such-revision..only";
	assert_int_equal(impact_plan_build(&plan, f->repo, &po), IMPACT_EINVALID);
	assert_null(plan);
	assert_non_null(strstr(impact_error_last(), "no-such-revision"));

	po.spec = "only";
	po.shard_k = 3;
	po.shard_n = 2;
	assert_int_equal(impact_plan_build(&plan, f->repo, &po), IMPACT_EINVALID);
	assert_null(plan);

	po.shard_k = 0;
	po.shard_n = 0;
	po.gate = true;
	po.staged = true;
	assert_int_equal(impact_plan_build(&plan, f->repo, &po), IMPACT_EINVALID);
	assert_non_null(strstr(impact_error_last(), "--staged"));
	impact_plan_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan__cases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan__errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan__cached_graph_keeps_symbol_counts, setup, teardown),
	};
	int rc;

	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "/nonexistent");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, "/nonexistent");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, "/nonexistent");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
