/*
 * test_watch.c - what counts as a save: editor files by name (data), and
 * real inotify watches on a real repository made with libgit2 in a
 * temporary folder: ignored paths and swap files never count, a burst is
 * one save, a new folder and a moved folder are watched under their
 * names.
 *
 * The writes happen before impact_watch_next is called, so their events
 * are already queued: no timing is involved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "watch.h"

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

typedef struct name_case {
	const char *name;
	bool editor;
} name_case;

static const name_case name_cases[] = {
	{ "core.py", false }, { ".core.py.swp", true }, { ".core.py.swo", true },
	{ "core.py~", true }, { ".#core.py", true }, { "#core.py#", true }, { "4913", true },
	{ ".~lock.data.csv#", true }, { "core.py.tmp", true }, { ".goutputstream-AB12", true },
	{ "test_swp.py", false }, { "#", false }, { "backup.py", false }, { "conftest.py", false },
};

static void watch__editor_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		print_message("name: %s\n", name_cases[i].name);
		assert_int_equal(impact_watch_is_editor_file(name_cases[i].name), name_cases[i].editor);
	}
}

static void write_file(const char *root, const char *rel, const char *text)
{
	impact_buf p = IMPACT_BUF_INIT;
	FILE *f;
	impact_buf_printf(&p, "%s/%s", root, rel);
	f = fopen(p.ptr, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	impact_buf_release(&p);
}

static void make_dir(const char *root, const char *rel)
{
	impact_buf p = IMPACT_BUF_INIT;
	impact_buf_printf(&p, "%s/%s", root, rel);
	assert_int_equal(mkdir(p.ptr, 0755), 0);
	impact_buf_release(&p);
}

static bool has(const impact_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], s))
			return true;
	return false;
}

static void watch__real_tree(void **state)
{
	char root[] = "/tmp/impact-watch-XXXXXX";
	git_repository *repo = NULL;
	impact_watch *w = NULL;
	impact_strlist paths = { 0 };
	volatile sig_atomic_t stop = 0;
	impact_buf p = IMPACT_BUF_INIT, q = IMPACT_BUF_INIT;
	(void)state;

	assert_non_null(mkdtemp(root));
	git_libgit2_init();
	assert_int_equal(git_repository_init(&repo, root, 0), 0);
	write_file(root, ".gitignore", "build/\n*.log\n");
	make_dir(root, "build");
	make_dir(root, "sub");
	assert_int_equal(impact_watch_open(&w, repo, root), 0);
	assert_int_equal(impact_watch_folders(w), 2); /* the root and sub/: never .git/ or build/ */
	assert_int_equal(impact_watch_poll(w), 0);

	/* Ignored, swap and backup files are no save; the file among them is, once. */
	write_file(root, "build/out.txt", "x");
	write_file(root, "run.log", "x");
	write_file(root, "sub/.a.py.swp", "x");
	write_file(root, "sub/a.py~", "x");
	write_file(root, "sub/a.py", "x = 1\n");
	write_file(root, "sub/a.py", "x = 2\n");
	assert_int_equal(impact_watch_next(w, &paths, 10, &stop), 1);
	assert_int_equal(paths.n, 1);
	assert_string_equal(paths.items[0], "sub/a.py");
	impact_strlist_release(&paths);

	/* A new folder is watched as it appears; what it holds already counts. */
	make_dir(root, "new");
	make_dir(root, "new/deeper");
	write_file(root, "new/deeper/f.py", "");
	assert_int_equal(impact_watch_next(w, &paths, 10, &stop), 1);
	assert_true(has(&paths, "new/deeper/f.py"));
	impact_strlist_release(&paths);
	write_file(root, "new/deeper/f.py", "y = 1\n");
	assert_int_equal(impact_watch_next(w, &paths, 10, &stop), 1);
	assert_true(has(&paths, "new/deeper/f.py"));
	impact_strlist_release(&paths);

	/* A moved folder: its files are seen under the new name, never the old. */
	impact_buf_printf(&p, "%s/new", root);
	impact_buf_printf(&q, "%s/moved", root);
	assert_int_equal(rename(p.ptr, q.ptr), 0);
	assert_int_equal(impact_watch_next(w, &paths, 10, &stop), 1);
	impact_strlist_release(&paths);
	write_file(root, "moved/deeper/g.py", "");
	assert_int_equal(impact_watch_next(w, &paths, 10, &stop), 1);
	assert_true(has(&paths, "moved/deeper/g.py"));
	assert_false(has(&paths, "new/deeper/g.py"));
	impact_strlist_release(&paths);

	/* Nothing pending and asked to stop: no save. */
	stop = 1;
	assert_int_equal(impact_watch_next(w, &paths, 10, &stop), 0);

	impact_watch_free(w);
	git_repository_free(repo);
	git_libgit2_shutdown();
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	impact_buf_release(&p);
	impact_buf_release(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(watch__editor_files),
		cmocka_unit_test(watch__real_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
