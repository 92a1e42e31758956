/*
 * test_exact.c - the private checkout of exact-tree runs: moving in place
 * between trees (files rewritten, byte code of changed modules dropped,
 * leftovers removed), a busy checkout giving a throwaway one, exact-copy
 * in and out again, and the text helpers (paths made the repository's,
 * missing untracked files spotted in error text) as tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "buf.h"
#include "exact.h"
#include "scratch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fx {
	char *dir;
	git_repository *repo;
} fx;

static int setup(void **state)
{
	fx *f = impact_xcalloc(1, sizeof(*f));
	git_libgit2_init();
	if (impact_scratch_tmpdir(&f->dir, "impact-test-exact-") < 0 ||
	    git_repository_init(&f->repo, f->dir, 0) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	git_repository_free(f->repo);
	impact_scratch_rmtree(f->dir);
	free(f->dir);
	free(f);
	git_libgit2_shutdown();
	return 0;
}

/* A commit of files {path, content, ...} (flat: names without '/'), no ref moved. */
static void commit_of(git_oid *commit, git_oid *tree, fx *f, const char *const *files, size_t n)
{
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_tree *t = NULL;
	git_oid blob;
	assert_int_equal(git_treebuilder_new(&tb, f->repo, NULL), 0);
	for (size_t i = 0; i + 1 < n; i += 2) {
		assert_int_equal(git_blob_create_from_buffer(&blob, f->repo, files[i + 1],
		                                             strlen(files[i + 1])), 0);
		assert_int_equal(git_treebuilder_insert(NULL, tb, files[i], &blob,
		                                        GIT_FILEMODE_BLOB), 0);
	}
	assert_int_equal(git_treebuilder_write(tree, tb), 0);
	assert_int_equal(git_tree_lookup(&t, f->repo, tree), 0);
	assert_int_equal(git_signature_now(&sig, "t", "t@invalid"), 0);
	assert_int_equal(git_commit_create(commit, f->repo, NULL, sig, sig, NULL, "c\n", t, 0, NULL), 0);
	git_signature_free(sig);
	git_tree_free(t);
	git_treebuilder_free(tb);
}

static char *read_at(const char *root, const char *rel)
{
	impact_buf p = IMPACT_BUF_INIT, b = IMPACT_BUF_INIT;
	char *s = NULL;
	impact_buf_printf(&p, "%s/%s", root, rel);
	if (impact_buf_read_file(&b, p.ptr, 1 << 20) == 0)
		s = impact_buf_detach(&b);
	impact_buf_release(&p);
	impact_buf_release(&b);
	return s;
}

static void write_at(const char *root, const char *rel, const char *content)
{
	impact_buf p = IMPACT_BUF_INIT;
	int fd;
	impact_buf_printf(&p, "%s/%s", root, rel);
	fd = open(p.ptr, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	impact_buf_release(&p);
}

static bool exists_at(const char *root, const char *rel)
{
	impact_buf p = IMPACT_BUF_INIT;
	struct stat st;
	bool yes;
	impact_buf_printf(&p, "%s/%s", root, rel);
	yes = lstat(p.ptr, &st) == 0;
	impact_buf_release(&p);
	return yes;
}

static void test_exact__moves_in_place(void **state)
{
	fx *f = *state;
	const char *a[] = { "a.py", "X = 1\n", "b.py", "Y = 1\n" };
	const char *b[] = { "a.py", "X = 2\n", "b.py", "Y = 1\n", "c.py", "Z = 1\n" };
	git_oid ca, ta, cb, tb;
	impact_exact *ex = NULL;
	impact_exact_stats st;
	const char *root;
	impact_buf cache = IMPACT_BUF_INIT;
	char *s;

	commit_of(&ca, &ta, f, a, 4);
	commit_of(&cb, &tb, f, b, 6);
	assert_int_equal(impact_exact_open(&ex, f->repo), 0);
	root = impact_exact_root(ex);
	assert_int_equal(impact_exact_checkout(ex, &ta, &ca, &st), 0);
	assert_true(st.created && !st.temporary);
	assert_string_equal((s = read_at(root, "a.py")), "X = 1\n");
	free(s);
	/* What a run leaves: byte code of both modules, a stray file. */
	impact_buf_printf(&cache, "%s/__pycache__", root);
	assert_int_equal(mkdir(cache.ptr, 0755), 0);
	write_at(root, "__pycache__/a.cpython-311.pyc", "stale");
	write_at(root, "__pycache__/b.cpython-311.pyc", "fine");
	write_at(root, "stray.txt", "left by a test");
	write_at(root, "b.py", "Y = 'modified by a test'\n");

	assert_int_equal(impact_exact_checkout(ex, &tb, &cb, &st), 0);
	assert_false(st.created);
	assert_int_equal(st.changed, 2);
	assert_string_equal((s = read_at(root, "a.py")), "X = 2\n");
	free(s);
	assert_string_equal((s = read_at(root, "b.py")), "Y = 1\n");
	free(s);
	assert_true(exists_at(root, "c.py"));
	assert_false(exists_at(root, "stray.txt"));
	assert_false(exists_at(root, "__pycache__/a.cpython-311.pyc"));
	/* An unchanged module's byte code stays (when git does not remove the folder). */
	assert_true(!exists_at(root, "__pycache__") ||
	            exists_at(root, "__pycache__/b.cpython-311.pyc"));
	/* The user's repository has no index and no HEAD commit: nothing was written there. */
	assert_false(exists_at(git_repository_path(f->repo), "index"));
	impact_exact_close(ex);
	impact_buf_release(&cache);
}

static void test_exact__busy_gives_a_throwaway_checkout(void **state)
{
	fx *f = *state;
	const char *a[] = { "a.py", "X = 1\n" };
	git_oid ca, ta;
	impact_exact *one = NULL, *two = NULL;
	impact_exact_stats st;
	char *tmp;

	commit_of(&ca, &ta, f, a, 2);
	assert_int_equal(impact_exact_open(&one, f->repo), 0);
	assert_int_equal(impact_exact_open(&two, f->repo), 0);
	assert_string_not_equal(impact_exact_root(one), impact_exact_root(two));
	assert_int_equal(impact_exact_checkout(two, &ta, &ca, &st), 0);
	assert_true(st.temporary);
	tmp = impact_xstrdup(impact_exact_root(two));
	assert_true(access(tmp, F_OK) == 0);
	impact_exact_close(two);
	assert_true(access(tmp, F_OK) != 0);
	impact_exact_close(one);
	free(tmp);
}

static void test_exact__copy_in_and_out(void **state)
{
	fx *f = *state;
	const char *a[] = { "a.py", "X = 1\n" };
	git_oid ca, ta;
	impact_exact *ex = NULL;
	impact_strlist paths = { 0 }, tracked = { 0 }, missing = { 0 };
	char *work = NULL, *s;
	impact_buf sub = IMPACT_BUF_INIT;

	commit_of(&ca, &ta, f, a, 2);
	assert_int_equal(impact_scratch_tmpdir(&work, "impact-test-exact-work-"), 0);
	write_at(work, "local_settings.py", "OK = True\n");
	write_at(work, "a.py", "X = 'work tree'\n");
	impact_buf_printf(&sub, "%s/conf", work);
	assert_int_equal(mkdir(sub.ptr, 0755), 0);
	write_at(work, "conf/.env", "SECRET=1\n");
	impact_strlist_push(&paths, "local_settings.py");
	impact_strlist_push(&paths, "a.py");
	impact_strlist_push(&paths, "conf/.env");
	impact_strlist_push(&paths, "nowhere.txt");

	assert_int_equal(impact_exact_open(&ex, f->repo), 0);
	assert_int_equal(impact_exact_checkout(ex, &ta, &ca, NULL), 0);
	assert_int_equal(impact_exact_copy_in(ex, work, &paths, &tracked, &missing), 0);
	assert_int_equal(tracked.n, 1);
	assert_string_equal(tracked.items[0], "a.py");
	assert_int_equal(missing.n, 1);
	assert_string_equal(missing.items[0], "nowhere.txt");
	assert_string_equal((s = read_at(impact_exact_root(ex), "local_settings.py")), "OK = True\n");
	free(s);
	assert_string_equal((s = read_at(impact_exact_root(ex), "a.py")), "X = 1\n");
	free(s);
	assert_true(exists_at(impact_exact_root(ex), "conf/.env"));
	impact_exact_close(ex);

	assert_int_equal(impact_exact_open(&ex, f->repo), 0);
	assert_false(exists_at(impact_exact_root(ex), "local_settings.py"));
	assert_false(exists_at(impact_exact_root(ex), "conf"));
	impact_exact_close(ex);

	impact_scratch_rmtree(work);
	free(work);
	impact_buf_release(&sub);
	impact_strlist_release(&paths);
	impact_strlist_release(&tracked);
	impact_strlist_release(&missing);
}

static void test_exact__unroot(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "/r/x/tests/test_a.py:3: in test_a", "tests/test_a.py:3: in test_a" },
		{ "cwd was '/r/x'", "cwd was '.'" },
		{ "/r/xy/a.py", "/r/xy/a.py" },
		{ "a /r/x/a.py and /r/x/b.py", "a a.py and b.py" },
		{ "nothing here", "nothing here" },
	};
	IMPACT_UNUSED(state);
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(cases); i++) {
		char *got = impact_exact_unroot(cases[i].in, "/r/x");
		assert_string_equal(got, cases[i].out);
		free(got);
	}
	assert_null(impact_exact_unroot(NULL, "/r/x"));
}

static void test_exact__missing_files(void **state)
{
	char *work = NULL, *root = NULL;
	impact_strlist names = { 0 };
	impact_buf d = IMPACT_BUF_INIT, text = IMPACT_BUF_INIT;
	IMPACT_UNUSED(state);

	assert_int_equal(impact_scratch_tmpdir(&work, "impact-test-exact-w-"), 0);
	assert_int_equal(impact_scratch_tmpdir(&root, "impact-test-exact-r-"), 0);
	write_at(work, "local_settings.py", "");
	write_at(work, ".env", "");
	write_at(work, "both.txt", "");
	write_at(root, "both.txt", "");
	impact_buf_printf(&d, "%s/conf", work);
	assert_int_equal(mkdir(d.ptr, 0755), 0);
	write_at(work, "conf/__init__.py", "");

	impact_buf_printf(&text, "E   ModuleNotFoundError: No module named 'local_settings'\n"
	                  "FileNotFoundError: [Errno 2] No such file or directory: '%s/.env'\n"
	                  "No such file or directory: 'both.txt'\n"
	                  "No module named 'conf'\nNo module named 'requests'\n"
	                  "No such file or directory: '/etc/elsewhere'\n", root);
	impact_exact_missing_files(&names, text.ptr, work, root);
	assert_int_equal(names.n, 3);
	assert_string_equal(names.items[0], ".env");
	assert_string_equal(names.items[1], "local_settings.py");
	assert_string_equal(names.items[2], "conf/__init__.py");
	/* Once each. */
	impact_exact_missing_files(&names, text.ptr, work, root);
	assert_int_equal(names.n, 3);

	impact_scratch_rmtree(work);
	impact_scratch_rmtree(root);
	free(work);
	free(root);
	impact_buf_release(&d);
	impact_buf_release(&text);
	impact_strlist_release(&names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact__moves_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact__busy_gives_a_throwaway_checkout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact__copy_in_and_out, setup, teardown),
		cmocka_unit_test(test_exact__unroot),
		cmocka_unit_test(test_exact__missing_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
