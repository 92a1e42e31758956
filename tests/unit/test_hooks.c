/*
 * test_hooks.c - hook files, hook managers, the ranges gates compare, and
 * the background run's lock, on real directories and real repositories.
 *
 * Repositories are built with libgit2 (commits over the empty tree: the
 * ranges depend only on history); hook directories are real temporary
 * directories. Cases that are data (push lines and what they test) sit in
 * tables. The end-to-end tests (tests/e2e/test_hooks.py) drive git itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "bgrun.h"
#include "gate.h"
#include "hookmgr.h"
#include "hooks.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---- */

static char *temp_dir(void)
{
	char *d = impact_xstrdup("/tmp/impact-test-hooks-XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void rm_rf(char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	impact_buf p = IMPACT_BUF_INIT;
	FILE *f;
	impact_buf_printf(&p, "%s/%s", dir, name);
	f = fopen(p.ptr, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p.ptr, mode);
	impact_buf_release(&p);
}

static char *read_text(const char *dir, const char *name)
{
	impact_buf p = IMPACT_BUF_INIT, b = IMPACT_BUF_INIT;
	impact_buf_printf(&p, "%s/%s", dir, name);
	if (impact_buf_read_file(&b, p.ptr, 1 << 20) < 0) {
		impact_buf_release(&p);
		return NULL;
	}
	impact_buf_release(&p);
	return impact_buf_detach(&b);
}

static mode_t mode_of(const char *dir, const char *name)
{
	impact_buf p = IMPACT_BUF_INIT;
	struct stat st;
	impact_buf_printf(&p, "%s/%s", dir, name);
	assert_int_equal(lstat(p.ptr, &st), 0);
	impact_buf_release(&p);
	return st.st_mode & 07777;
}

/* ---- hooks.c ---- */

static void test_hooks__install_chains_and_uninstall_restores(void **state)
{
	char *dir = temp_dir(), *text;
	const char *mine = "#!/bin/sh\necho 'mine'\nexit 3\n";
	impact_hook_change what;
	impact_hook_info info;
	(void)state;

	write_file(dir, "pre-push", mine, 0750);
	assert_int_equal(impact_hook_install(&what, dir, "pre-push", "/opt/it's/impact"), 0);
	assert_int_equal(what, IMPACT_HOOK_CHAINED);
	text = read_text(dir, "pre-push.impact-saved");
	assert_string_equal(text, mine);
	free(text);
	assert_int_equal(mode_of(dir, "pre-push.impact-saved"), 0750);

	assert_int_equal(impact_hook_inspect(&info, dir, "pre-push"), 0);
	assert_int_equal(info.state, IMPACT_HOOK_OURS);
	assert_true(info.saved && info.saved_runnable);
	assert_string_equal(info.binary, "/opt/it's/impact"); /* quoted and read back */
	impact_hook_info_release(&info);

	/* Twice is once: the saved hook is not overwritten by our own wrapper. */
	assert_int_equal(impact_hook_install(&what, dir, "pre-push", "/opt/it's/impact"), 0);
	assert_int_equal(what, IMPACT_HOOK_UNCHANGED);
	text = read_text(dir, "pre-push.impact-saved");
	assert_string_equal(text, mine);
	free(text);

	assert_int_equal(impact_hook_uninstall(&what, dir, "pre-push"), 0);
	assert_int_equal(what, IMPACT_HOOK_RESTORED);
	text = read_text(dir, "pre-push");
	assert_string_equal(text, mine);
	free(text);
	assert_int_equal(mode_of(dir, "pre-push"), 0750);
	assert_null(read_text(dir, "pre-push.impact-saved"));
	rm_rf(dir);
}

static void test_hooks__never_clobbers(void **state)
{
	char *dir = temp_dir(), *text;
	impact_hook_change what;
	(void)state;

	write_file(dir, "post-commit", "#!/bin/sh\nours\n", 0755);
	write_file(dir, "post-commit.impact-saved", "#!/bin/sh\nolder\n", 0755);
	assert_int_equal(impact_hook_install(&what, dir, "post-commit", "/bin/impact"), IMPACT_EINVALID);
	text = read_text(dir, "post-commit");
	assert_string_equal(text, "#!/bin/sh\nours\n");
	free(text);

	/* Uninstall leaves a hook that is not impact's alone. */
	assert_int_equal(impact_hook_uninstall(&what, dir, "post-commit"), 0);
	assert_int_equal(what, IMPACT_HOOK_NOT_OURS);
	text = read_text(dir, "post-commit");
	assert_string_equal(text, "#!/bin/sh\nours\n");
	free(text);
	rm_rf(dir);
}

static void test_hooks__install_creates_the_directory_and_removes_cleanly(void **state)
{
	char *dir = temp_dir(), *text;
	impact_buf sub = IMPACT_BUF_INIT;
	impact_hook_change what;
	(void)state;

	impact_buf_printf(&sub, "%s/a/b/.githooks", dir);
	assert_int_equal(impact_hook_install(&what, sub.ptr, "post-commit", "/usr/bin/impact"), 0);
	assert_int_equal(what, IMPACT_HOOK_WRITTEN);
	text = read_text(sub.ptr, "post-commit");
	assert_non_null(strstr(text, "exec \"$impact\" hook post-commit \"$@\"\n"));
	assert_non_null(strstr(text, "[ -x \"$impact\" ] || impact=impact\n"));
	free(text);
	assert_true(mode_of(sub.ptr, "post-commit") & 0100);
	assert_int_equal(impact_hook_uninstall(&what, sub.ptr, "post-commit"), 0);
	assert_int_equal(what, IMPACT_HOOK_REMOVED);
	assert_null(read_text(sub.ptr, "post-commit"));
	impact_buf_release(&sub);
	rm_rf(dir);
}

/* ---- hookmgr.c ---- */

static const struct {
	const char *file, *text; /* put in the work tree, or in hooks/ when file starts with "hooks/" */
	impact_hookmgr want;
} manager_cases[] = {
	{ "hooks/post-commit", "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n", IMPACT_HOOKMGR_PRE_COMMIT },
	{ "hooks/post-commit", "#!/bin/sh\ncall_lefthook run \"post-commit\" \"$@\"\n", IMPACT_HOOKMGR_LEFTHOOK },
	{ "hooks/post-commit", "#!/usr/bin/env sh\n. \"$(dirname \"$0\")/_/husky.sh\"\n", IMPACT_HOOKMGR_HUSKY },
	{ ".pre-commit-config.yaml", "repos: []\n", IMPACT_HOOKMGR_PRE_COMMIT },
	{ "lefthook.yml", "pre-push: {}\n", IMPACT_HOOKMGR_LEFTHOOK },
	{ ".lefthook.yml", "pre-push: {}\n", IMPACT_HOOKMGR_LEFTHOOK },
	{ "hooks/post-commit", "#!/bin/sh\nmake lint\n", IMPACT_HOOKMGR_NONE },
};

static void test_hookmgr__detects_each_manager(void **state)
{
	(void)state;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(manager_cases); i++) {
		char *root = temp_dir(), *evidence = NULL;
		impact_buf hooks = IMPACT_BUF_INIT;
		impact_hookmgr m;
		impact_buf_printf(&hooks, "%s/hooks", root);
		mkdir(hooks.ptr, 0777);
		write_file(root, manager_cases[i].file, manager_cases[i].text, 0755);
		m = impact_hookmgr_detect(&evidence, root, hooks.ptr, "post-commit");
		assert_int_equal(m, manager_cases[i].want);
		assert_true((evidence != NULL) == (m != IMPACT_HOOKMGR_NONE));
		free(evidence);
		impact_buf_release(&hooks);
		rm_rf(root);
	}
}

static void test_hookmgr__husky_hooks_path(void **state)
{
	char *root = temp_dir(), *evidence = NULL;
	impact_buf hooks = IMPACT_BUF_INIT;
	(void)state;
	impact_buf_printf(&hooks, "%s/.husky/_", root);
	assert_int_equal(impact_hookmgr_detect(&evidence, NULL, hooks.ptr, "pre-push"),
	                 IMPACT_HOOKMGR_HUSKY);
	free(evidence);
	impact_buf_release(&hooks);
	rm_rf(root);
}

static void test_hookmgr__snippets_call_impact_hook(void **state)
{
	const char *names[] = { "post-commit", "pre-push" };
	impact_buf b = IMPACT_BUF_INIT;
	(void)state;
	impact_hookmgr_snippet(&b, IMPACT_HOOKMGR_PRE_COMMIT, names, 2);
	assert_non_null(strstr(b.ptr, "entry: impact hook pre-push\n"));
	assert_non_null(strstr(b.ptr, "stages: [post-commit]\n"));
	assert_non_null(strstr(b.ptr, "pre-commit install --hook-type post-commit && pre-commit install --hook-type pre-push\n"));
	impact_buf_clear(&b);
	impact_hookmgr_snippet(&b, IMPACT_HOOKMGR_LEFTHOOK, names, 2);
	assert_non_null(strstr(b.ptr, "pre-push:\n  commands:\n    impact:\n      run: impact hook pre-push {1} {2}\n      use_stdin: true\n"));
	impact_buf_clear(&b);
	impact_hookmgr_snippet(&b, IMPACT_HOOKMGR_HUSKY, names, 1);
	assert_string_equal(b.ptr, "add this line to .husky/post-commit:\n  impact hook post-commit \"$@\"\n");
	impact_buf_release(&b);
}

/* ---- gate.c, on a real history: c0 <- c1 <- c2 ---- */

typedef struct repo_fx {
	char *dir;
	git_repository *repo;
	git_oid c[3];
	char hex[3][GIT_OID_HEXSZ + 1];
	char short_[3][8];
} repo_fx;

static int repo_setup(void **state)
{
	repo_fx *f = impact_xcalloc(1, sizeof(*f));
	git_repository_init_options o;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_oid tree_id;
	git_tree *tree = NULL;

	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, "/nonexistent");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "/nonexistent");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, "/nonexistent");
	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_MKPATH;
	o.initial_head = "main";
	f->dir = temp_dir();
	if (git_repository_init_ext(&f->repo, f->dir, &o) < 0 ||
	    git_treebuilder_new(&tb, f->repo, NULL) < 0 || git_treebuilder_write(&tree_id, tb) < 0 ||
	    git_tree_lookup(&tree, f->repo, &tree_id) < 0 ||
	    git_signature_new(&sig, "T", "t@example.invalid", 1700000000, 0) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		git_commit *parent = NULL;
		const git_commit *parents[1];
		char msg[16];
		snprintf(msg, sizeof(msg), "c%d\n", i);
		if (i && git_commit_lookup(&parent, f->repo, &f->c[i - 1]) < 0)
			return -1;
		parents[0] = parent;
		if (git_commit_create(&f->c[i], f->repo, NULL, sig, sig, NULL, msg, tree, i ? 1 : 0,
		                      parents) < 0)
			return -1;
		git_commit_free(parent);
		git_oid_tostr(f->hex[i], sizeof(f->hex[i]), &f->c[i]);
		git_oid_tostr(f->short_[i], sizeof(f->short_[i]), &f->c[i]);
	}
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_signature_free(sig);
	*state = f;
	return 0;
}

static int repo_teardown(void **state)
{
	repo_fx *f = *state;
	git_repository_free(f->repo);
	rm_rf(f->dir);
	free(f);
	git_libgit2_shutdown();
	return 0;
}

static void set_ref(repo_fx *f, const char *name, int commit)
{
	git_reference *r = NULL;
	assert_int_equal(git_reference_create(&r, f->repo, name, &f->c[commit], 1, NULL), 0);
	git_reference_free(r);
}

static void test_gate__push_ranges(void **state)
{
	/* Each line: local ref, local commit (-1 = zeros), remote ref, remote commit (-1 = zeros),
	   the expected spec as "a..b" of commit indexes (NULL = nothing), and words of why. */
	static const struct {
		const char *ref; int local; int remote; const char *spec; const char *why;
	} cases[] = {
		{ "refs/heads/topic", 2, 1, "1..2", "updates refs/heads/x from" },
		{ "refs/heads/topic", 2, -1, "0..2", "the commits not on origin/main" },
		{ "(delete)", -1, 1, NULL, "nothing to test" },
		{ "refs/heads/topic", 1, 1, NULL, "already at" },
		{ "refs/heads/old", 0, -1, NULL, "every commit is already on origin/main" },
	};
	repo_fx *f = *state;
	set_ref(f, "refs/remotes/origin/main", 0);
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(cases); i++) {
		impact_push_ranges pr;
		impact_buf line = IMPACT_BUF_INIT, want = IMPACT_BUF_INIT;
		static const char zeros[] = "0000000000000000000000000000000000000000";
		impact_buf_printf(&line, "%s %s refs/heads/x %s\n", cases[i].ref,
		                  cases[i].local < 0 ? zeros : f->hex[cases[i].local],
		                  cases[i].remote < 0 ? zeros : f->hex[cases[i].remote]);
		assert_int_equal(impact_gate_push_ranges(&pr, f->repo, "origin", line.ptr, line.size), 0);
		assert_int_equal(pr.n, 1);
		if (cases[i].spec) {
			impact_buf_printf(&want, "%s..%s", f->short_[cases[i].spec[0] - '0'],
			                  f->short_[cases[i].spec[3] - '0']);
			assert_non_null(pr.items[0].spec);
			assert_string_equal(pr.items[0].spec, want.ptr);
		} else {
			assert_null(pr.items[0].spec);
		}
		assert_non_null(strstr(pr.items[0].why, cases[i].why));
		impact_push_ranges_release(&pr);
		impact_buf_release(&line);
		impact_buf_release(&want);
	}
}

static void test_gate__push_first_push_of_main_and_bad_lines(void **state)
{
	repo_fx *f = *state;
	impact_push_ranges pr;
	impact_buf line = IMPACT_BUF_INIT;
	set_ref(f, "refs/heads/main", 2);
	/* No remote-tracking refs, and main is the branch pushed: its last commit. */
	impact_buf_printf(&line, "refs/heads/main %s refs/heads/main %040d\n", f->hex[2], 0);
	assert_int_equal(impact_gate_push_ranges(&pr, f->repo, "/srv/x.git", line.ptr, line.size), 0);
	assert_string_equal(pr.items[0].spec, f->short_[2]);
	assert_non_null(strstr(pr.items[0].why, "testing its last commit"));
	impact_push_ranges_release(&pr);
	/* A remote commit that is not here: treated as a new branch, and said. */
	impact_buf_clear(&line);
	impact_buf_printf(&line, "refs/heads/t %s refs/heads/t %s\n", f->hex[2],
	                  "1234567890123456789012345678901234567890");
	set_ref(f, "refs/remotes/origin/main", 1);
	assert_int_equal(impact_gate_push_ranges(&pr, f->repo, "origin", line.ptr, line.size), 0);
	assert_non_null(strstr(pr.items[0].why, "not here (fetch first)"));
	assert_non_null(pr.items[0].spec);
	impact_push_ranges_release(&pr);
	assert_int_equal(impact_gate_push_ranges(&pr, f->repo, "origin", "refs/heads/t abc\n", 16),
	                 IMPACT_EINVALID);
	assert_int_equal(impact_gate_push_ranges(&pr, f->repo, "origin", "\n\n", 2), 0);
	assert_int_equal(pr.n, 0);
	impact_push_ranges_release(&pr);
	impact_buf_release(&line);
}

static void test_gate__default_base(void **state)
{
	repo_fx *f = *state;
	git_reference *r = NULL;
	char *spec = NULL, *why = NULL;
	impact_buf want = IMPACT_BUF_INIT;

	set_ref(f, "refs/heads/topic", 2);
	assert_int_equal(git_repository_set_head(f->repo, "refs/heads/topic"), 0);
	/* Nothing to compare with: an error that says what to pass. */
	assert_int_equal(impact_gate_range(&spec, &why, f->repo, NULL), IMPACT_EINVALID);
	assert_non_null(strstr(impact_error_last(), "give the range"));

	set_ref(f, "refs/heads/main", 1);
	assert_int_equal(impact_gate_range(&spec, &why, f->repo, NULL), 0);
	impact_buf_printf(&want, "%s..HEAD", f->short_[1]);
	assert_string_equal(spec, want.ptr);
	assert_non_null(strstr(why, "merge base with main"));
	free(spec);
	free(why);

	set_ref(f, "refs/remotes/origin/main", 0);
	assert_int_equal(git_reference_symbolic_create(&r, f->repo, "refs/remotes/origin/HEAD",
	                                               "refs/remotes/origin/main", 1, NULL), 0);
	git_reference_free(r);
	assert_int_equal(impact_gate_range(&spec, &why, f->repo, NULL), 0);
	impact_buf_clear(&want);
	impact_buf_printf(&want, "base: merge base with origin/main (%s)", f->short_[0]);
	assert_string_equal(why, want.ptr);
	free(spec);
	free(why);

	/* HEAD already on the base branch (CI on main): its last commit. */
	set_ref(f, "refs/remotes/origin/main", 2);
	assert_int_equal(impact_gate_range(&spec, &why, f->repo, NULL), 0);
	assert_string_equal(spec, "HEAD");
	free(spec);
	free(why);

	assert_int_equal(impact_gate_range(&spec, &why, f->repo, "a...b"), 0);
	assert_string_equal(spec, "a...b");
	free(spec);
	free(why);
	impact_buf_release(&want);
}

static void test_gate__rewrite_range(void **state)
{
	repo_fx *f = *state;
	impact_buf in = IMPACT_BUF_INIT, want = IMPACT_BUF_INIT;
	char *spec = NULL, *why = NULL;

	set_ref(f, "refs/heads/topic", 2);
	assert_int_equal(git_repository_set_head(f->repo, "refs/heads/topic"), 0);
	impact_buf_printf(&in, "%040d %s\n%040d %s\n", 1, f->hex[1], 2, f->hex[2]);
	assert_int_equal(impact_gate_rewrite_range(&spec, &why, f->repo, in.ptr, in.size), 0);
	impact_buf_printf(&want, "%s..%s", f->short_[0], f->short_[2]);
	assert_string_equal(spec, want.ptr);
	free(spec);
	free(why);

	/* No pairs (a hook manager may keep them): the merge base with ORIG_HEAD. */
	set_ref(f, "ORIG_HEAD", 0);
	assert_int_equal(impact_gate_rewrite_range(&spec, &why, f->repo, "", 0), 0);
	assert_string_equal(spec, want.ptr);
	assert_non_null(strstr(why, "old tip"));
	free(spec);
	free(why);
	impact_buf_release(&in);
	impact_buf_release(&want);
}

/* ---- bgrun.c ---- */

static void test_bgrun__newest_token_wins(void **state)
{
	repo_fx *f = *state;
	impact_bgrun *run = NULL;
	assert_int_equal(impact_bgrun_want(f->repo, "one"), 0);
	assert_true(impact_bgrun_is_current(f->repo, "one"));
	assert_int_equal(impact_bgrun_acquire(&run, f->repo, "one", 1), 0);
	assert_int_equal(impact_bgrun_holder(f->repo), getpid());
	assert_int_equal(impact_bgrun_want(f->repo, "two"), 0);
	assert_false(impact_bgrun_is_current(f->repo, "one"));
	impact_bgrun_release(run);
	assert_int_equal(impact_bgrun_holder(f->repo), 0);
	/* A run that is no longer the newest gives way without running. */
	assert_int_equal(impact_bgrun_acquire(&run, f->repo, "one", 1), IMPACT_ENOTFOUND);
	assert_null(run);
}

static void test_bgrun__state_round_trip(void **state)
{
	repo_fx *f = *state;
	impact_bgrun_state st = { 0 }, back;
	st.state = "done";
	st.hook = "post-commit";
	st.commit = f->hex[2];
	st.base = f->hex[1];
	st.range = "abc";
	st.pid = 42;
	st.started = 1700000000;
	st.duration_s = 1.5;
	st.exit_code = 1;
	assert_int_equal(impact_bgrun_state_read(&back, f->repo), IMPACT_ENOTFOUND);
	assert_int_equal(impact_bgrun_state_write(f->repo, &st), 0);
	assert_int_equal(impact_bgrun_state_read(&back, f->repo), 0);
	assert_string_equal(back.state, "done");
	assert_string_equal(back.commit, f->hex[2]);
	assert_string_equal(back.base, f->hex[1]);
	assert_int_equal(back.exit_code, 1);
	assert_int_equal(back.started, 1700000000);
	impact_bgrun_state_release(&back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hooks__install_chains_and_uninstall_restores),
		cmocka_unit_test(test_hooks__never_clobbers),
		cmocka_unit_test(test_hooks__install_creates_the_directory_and_removes_cleanly),
		cmocka_unit_test(test_hookmgr__detects_each_manager),
		cmocka_unit_test(test_hookmgr__husky_hooks_path),
		cmocka_unit_test(test_hookmgr__snippets_call_impact_hook),
		cmocka_unit_test_setup_teardown(test_gate__push_ranges, repo_setup, repo_teardown),
		cmocka_unit_test_setup_teardown(test_gate__push_first_push_of_main_and_bad_lines,
		                                repo_setup, repo_teardown),
		cmocka_unit_test_setup_teardown(test_gate__default_base, repo_setup, repo_teardown),
		cmocka_unit_test_setup_teardown(test_gate__rewrite_range, repo_setup, repo_teardown),
		cmocka_unit_test_setup_teardown(test_bgrun__newest_token_wins, repo_setup, repo_teardown),
		cmocka_unit_test_setup_teardown(test_bgrun__state_round_trip, repo_setup, repo_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
