/*
 * test_diff.c - snapshots, revspecs and diffs on real repositories.
 *
 * Every test builds a real repository in a temporary directory with
 * libgit2 (no mocked git): history through an in-memory index written
 * straight to trees, working-tree states through real files and the real
 * index. Every operation under test runs inside a guard that checks the
 * index file, HEAD and the branch HEAD points to are byte-for-byte what they
 * were, since impact must never write them. The user's and system's git
 * configuration are kept out, so a ~/.gitconfig cannot change the outcome.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "diff.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fixture: a repository in a temporary directory ---- */

typedef struct named_commit {
	const char *name;
	git_oid oid;
} named_commit;

typedef struct fx {
	char *dir; /* work tree (or the repository itself when bare) */
	git_repository *repo;
	named_commit names[16];
	size_t nnames;
} fx;

static int open_fixture(void **state, bool bare)
{
	git_repository_init_options o;
	fx *f = impact_xcalloc(1, sizeof(*f));

	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	f->dir = impact_xstrdup("/tmp/impact-test-diff-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	o.flags = GIT_REPOSITORY_INIT_MKPATH | (bare ? GIT_REPOSITORY_INIT_BARE : 0);
	o.initial_head = "main";
	if (git_repository_init_ext(&f->repo, f->dir, &o) < 0)
		return -1;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return open_fixture(state, false);
}

static int setup_bare(void **state)
{
	return open_fixture(state, true);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	IMPACT_UNUSED(st);
	IMPACT_UNUSED(flag);
	IMPACT_UNUSED(ftw);
	return remove(path);
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

static const git_oid *oid_of(fx *f, const char *name)
{
	for (size_t i = 0; i < f->nnames; i++)
		if (!strcmp(f->names[i].name, name))
			return &f->names[i].oid;
	fail_msg("no commit named '%s'", name);
	return NULL;
}

/* Path of `rel` in the work tree (or the git dir, when in_gitdir). */
static char *path_in(fx *f, const char *rel, bool in_gitdir)
{
	impact_buf b = IMPACT_BUF_INIT;
	assert_int_equal(impact_buf_puts(&b, in_gitdir ? git_repository_path(f->repo)
	                                               : git_repository_workdir(f->repo)), 0);
	assert_int_equal(impact_buf_puts(&b, rel), 0);
	return impact_buf_detach(&b);
}

static void mkdirs_for(const char *full)
{
	char *dir = impact_xstrdup(full);
	for (char *p = strchr(dir + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(dir, 0777) < 0 && errno != EEXIST)
			fail_msg("mkdir '%s': %s", dir, strerror(errno));
		*p = '/';
	}
	free(dir);
}

static void put(fx *f, const char *rel, const char *content)
{
	char *full = path_in(f, rel, false);
	int fd;

	mkdirs_for(full);
	unlink(full);
	fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	free(full);
}

static void put_link(fx *f, const char *rel, const char *target)
{
	char *full = path_in(f, rel, false);
	mkdirs_for(full);
	unlink(full);
	assert_int_equal(symlink(target, full), 0);
	free(full);
}

static void rm_file(fx *f, const char *rel)
{
	char *full = path_in(f, rel, false);
	assert_int_equal(unlink(full), 0);
	free(full);
}

static void rename_file(fx *f, const char *from, const char *to)
{
	char *a = path_in(f, from, false), *b = path_in(f, to, false);
	mkdirs_for(b);
	assert_int_equal(rename(a, b), 0);
	free(a);
	free(b);
}

/* `git add` / `git rm --cached` of one path, written to the index file. */
static void stage(fx *f, const char *rel, bool add)
{
	git_index *index;
	assert_int_equal(git_repository_index(&index, f->repo), 0);
	if (add)
		assert_int_equal(git_index_add_bypath(index, rel), 0);
	else
		assert_int_equal(git_index_remove_bypath(index, rel), 0);
	assert_int_equal(git_index_write(index), 0);
	git_index_free(index);
}

static git_oid blob_id(const char *content)
{
	git_oid id;
	assert_int_equal(git_odb_hash(&id, content, strlen(content), GIT_OBJECT_BLOB), 0);
	return id;
}

static git_oid make_commit(fx *f, const char *name, const char *update_ref,
                           const git_oid *tree_id, const char *p1, const char *p2)
{
	git_signature *sig;
	git_tree *tree;
	git_commit *parents[2] = { NULL, NULL };
	size_t np = 0;
	git_oid id;
	impact_buf ref = IMPACT_BUF_INIT;
	git_reference *tag;

	assert_int_equal(git_signature_new(&sig, "Test", "test@example.com",
	                                   1700000000 + (git_time_t)f->nnames, 0), 0);
	assert_int_equal(git_tree_lookup(&tree, f->repo, tree_id), 0);
	for (const char *p = p1; p && np < 2; p = np == 1 ? p2 : NULL)
		assert_int_equal(git_commit_lookup(&parents[np++], f->repo, oid_of(f, p)), 0);
	assert_int_equal(git_commit_create(&id, f->repo, update_ref, sig, sig, NULL,
	                                   name, tree, np,
	                                   (const git_commit **)parents), 0);
	/* A lightweight tag per commit, so specs can name it. */
	impact_buf_printf(&ref, "refs/tags/%s", name);
	assert_int_equal(git_reference_create(&tag, f->repo, ref.ptr, &id, 0, NULL), 0);
	git_reference_free(tag);
	impact_buf_release(&ref);
	for (size_t i = 0; i < np; i++)
		git_commit_free(parents[i]);
	git_tree_free(tree);
	git_signature_free(sig);
	assert_true(f->nnames < IMPACT_ARRAY_SIZE(f->names));
	f->names[f->nnames].name = name;
	f->names[f->nnames].oid = id;
	f->nnames++;
	return id;
}

/*
 * Commit a tree given as "path=content" strings (content gets a newline),
 * built in an in-memory index: history without touching the work tree.
 */
static git_oid commit_files(fx *f, const char *name, const char *update_ref,
                            const char *const *files, const char *p1, const char *p2)
{
	git_index *index;
	git_oid tree_id;

	assert_int_equal(git_index_new(&index), 0);
	for (size_t i = 0; files[i]; i++) {
		const char *eq = strchr(files[i], '=');
		git_index_entry e;
		impact_buf content = IMPACT_BUF_INIT;
		char *path = impact_xstrndup(files[i], (size_t)(eq - files[i]));

		impact_buf_printf(&content, "%s\n", eq + 1);
		memset(&e, 0, sizeof(e));
		e.path = path;
		e.mode = GIT_FILEMODE_BLOB;
		assert_int_equal(git_blob_create_from_buffer(&e.id, f->repo, content.ptr,
		                                             content.size), 0);
		assert_int_equal(git_index_add(index, &e), 0);
		impact_buf_release(&content);
		free(path);
	}
	assert_int_equal(git_index_write_tree_to(&tree_id, index, f->repo), 0);
	git_index_free(index);
	return make_commit(f, name, update_ref, &tree_id, p1, p2);
}

/* Commit the real index, as `git commit` does, on top of HEAD if any. */
static git_oid commit_index(fx *f, const char *name)
{
	git_index *index;
	git_oid tree_id;
	const char *parent = NULL;
	git_reference *head = NULL;

	assert_int_equal(git_repository_index(&index, f->repo), 0);
	assert_int_equal(git_index_write_tree(&tree_id, index), 0);
	git_index_free(index);
	if (git_repository_head(&head, f->repo) == 0) {
		for (size_t i = 0; i < f->nnames; i++)
			if (git_oid_equal(&f->names[i].oid, git_reference_target(head)))
				parent = f->names[i].name;
		git_reference_free(head);
	}
	return make_commit(f, name, "HEAD", &tree_id, parent, NULL);
}

/* ---- the guard: impact never writes the index, HEAD or refs ---- */

typedef struct guard {
	impact_buf index, head, branch;
	int index_rc, branch_rc;
} guard;

static int read_opt(impact_buf *b, const char *path)
{
	int rc = impact_buf_read_file(b, path, 1 << 26);
	assert_true(rc == 0 || rc == IMPACT_ENOTFOUND);
	return rc;
}

static void guard_read(guard *g, fx *f)
{
	char *p;

	memset(g, 0, sizeof(*g));
	impact_buf_init(&g->index);
	impact_buf_init(&g->head);
	impact_buf_init(&g->branch);
	p = path_in(f, "index", true);
	g->index_rc = read_opt(&g->index, p);
	free(p);
	p = path_in(f, "HEAD", true);
	assert_int_equal(impact_buf_read_file(&g->head, p, 4096), 0);
	free(p);
	if (!strncmp(g->head.ptr, "ref: ", 5)) {
		char *ref = impact_xstrndup(g->head.ptr + 5, strcspn(g->head.ptr + 5, "\n"));
		p = path_in(f, ref, true);
		g->branch_rc = read_opt(&g->branch, p);
		free(p);
		free(ref);
	}
}

static void guard_release(guard *g)
{
	impact_buf_release(&g->index);
	impact_buf_release(&g->head);
	impact_buf_release(&g->branch);
}

static void guard_check(guard *before, fx *f, const char *what)
{
	guard after;
	struct stat st;
	char *lock = path_in(f, "index.lock", true);

	guard_read(&after, f);
	if (after.index_rc != before->index_rc || after.index.size != before->index.size ||
	    memcmp(after.index.ptr, before->index.ptr, after.index.size))
		fail_msg("%s: the index file changed", what);
	if (after.head.size != before->head.size ||
	    memcmp(after.head.ptr, before->head.ptr, after.head.size))
		fail_msg("%s: HEAD changed", what);
	if (after.branch_rc != before->branch_rc || after.branch.size != before->branch.size ||
	    memcmp(after.branch.ptr, before->branch.ptr, after.branch.size))
		fail_msg("%s: the current branch changed", what);
	if (lstat(lock, &st) == 0)
		fail_msg("%s: left index.lock behind", what);
	free(lock);
	guard_release(&after);
	guard_release(before);
}

/* Every operation under test goes through one of these three. */

static int parse(impact_range *r, fx *f, const char *spec, bool staged)
{
	guard g;
	int rc;
	guard_read(&g, f);
	impact_error_clear();
	rc = impact_range_parse(r, f->repo, spec, staged);
	char *msg = impact_xstrdup(impact_error_last());
	guard_check(&g, f, spec ? spec : "(no spec)");
	impact_error_set(rc, "%s", msg); /* the guard's reads may have set another */
	free(msg);
	return rc;
}

static impact_changeset *changes(fx *f, const impact_range *r)
{
	impact_changeset *set = NULL;
	guard g;
	guard_read(&g, f);
	if (impact_diff_compute(&set, f->repo, r) < 0)
		fail_msg("diff %s..%s: %s", r->old_label, r->new_label, impact_error_last());
	guard_check(&g, f, "diff");
	for (size_t i = 1; i < set->n; i++)
		assert_true(strcmp(impact_change_path(&set->changes[i - 1]),
		                   impact_change_path(&set->changes[i])) <= 0);
	return set;
}

static impact_snapshot *snap(fx *f, impact_snapshot_kind kind, const git_tree *tree)
{
	impact_snapshot *s = NULL;
	guard g;
	guard_read(&g, f);
	if (impact_snapshot_open(&s, f->repo, kind, tree) < 0)
		fail_msg("snapshot %d: %s", (int)kind, impact_error_last());
	guard_check(&g, f, "snapshot");
	for (size_t i = 1; i < impact_snapshot_count(s); i++)
		assert_true(strcmp(impact_snapshot_entry(s, i - 1)->path,
		                   impact_snapshot_entry(s, i)->path) < 0);
	return s;
}

/* The changes as text, one per line: "M a.py", "R old -> new", "A x (untracked)". */
static char *describe(const impact_changeset *set)
{
	impact_buf b = IMPACT_BUF_INIT;
	for (size_t i = 0; i < set->n; i++) {
		const impact_change *c = &set->changes[i];
		if (i)
			impact_buf_putc(&b, '\n');
		if (c->status == IMPACT_CHANGE_RENAMED || c->status == IMPACT_CHANGE_COPIED)
			impact_buf_printf(&b, "%c %s -> %s", c->status, c->old_path, c->new_path);
		else
			impact_buf_printf(&b, "%c %s", c->status, impact_change_path(c));
		if (c->untracked)
			impact_buf_puts(&b, " (untracked)");
	}
	return impact_buf_detach(&b);
}

/* Diff of `spec` (no spec: the working tree; staged: the index) as text. */
static char *diff_text(fx *f, const char *spec, bool staged)
{
	impact_range r;
	impact_changeset *set;
	char *text;

	if (parse(&r, f, spec, staged) < 0)
		fail_msg("'%s': %s", spec ? spec : "", impact_error_last());
	set = changes(f, &r);
	text = describe(set);
	impact_changeset_free(set);
	impact_range_release(&r);
	return text;
}

static void expect_text(const char *what, const char *actual, const char *want)
{
	if (strcmp(actual, want))
		fail_msg("%s:\n--- got ---\n%s\n--- want ---\n%s", what, actual, want);
}

static const impact_change *change_at(const impact_changeset *set, const char *path)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(impact_change_path(&set->changes[i]), path))
			return &set->changes[i];
	fail_msg("no change at '%s'", path);
	return NULL;
}

static char *read_entry(impact_snapshot *s, const char *path)
{
	const impact_entry *e = impact_snapshot_find(s, path);
	impact_buf b = IMPACT_BUF_INIT;
	if (!e)
		fail_msg("no entry '%s'", path);
	if (impact_snapshot_read(&b, s, e) < 0)
		fail_msg("read '%s': %s", path, impact_error_last());
	return impact_buf_detach(&b);
}

/* ---- a history with branches, a merge, a rename and an orphan ---- */

/*
 *   c1 -- c2 -- c3 -- m -- c4   main (HEAD)
 *           \        /
 *            t1 ----      topic          o1   orphan (unrelated root)
 */
static void build_history(fx *f)
{
	static const char *const c1[] = { "a.py=1", "b.py=1", "lib/x.py=x", NULL };
	static const char *const c2[] = { "a.py=2", "b.py=1", "lib/x.py=x", "c.py=c", NULL };
	static const char *const t1[] = { "a.py=2", "b.py=1", "lib/x.py=x", "c.py=c",
		                          "t.py=t", NULL };
	static const char *const c3[] = { "a.py=2", "lib/x.py=x2", "c.py=c", NULL };
	static const char *const m[] = { "a.py=2", "lib/x.py=x2", "c.py=c", "t.py=t", NULL };
	static const char *const c4[] = { "a.py=2", "lib/x.py=x2", "lib/c2.py=c",
		                          "t.py=t", NULL };
	static const char *const o1[] = { "z.py=z", NULL };
	git_oid v1;
	git_object *target;
	git_signature *sig;

	commit_files(f, "c1", "refs/heads/main", c1, NULL, NULL);
	commit_files(f, "c2", "refs/heads/main", c2, "c1", NULL);
	commit_files(f, "t1", "refs/heads/topic", t1, "c2", NULL);
	commit_files(f, "c3", "refs/heads/main", c3, "c2", NULL);
	commit_files(f, "m", "refs/heads/main", m, "c3", "t1");
	commit_files(f, "c4", "refs/heads/main", c4, "m", NULL);
	commit_files(f, "o1", "refs/heads/orphan", o1, NULL, NULL);
	/* An annotated tag, which must peel to its commit. */
	assert_int_equal(git_object_lookup(&target, f->repo, oid_of(f, "c2"),
	                                   GIT_OBJECT_COMMIT), 0);
	assert_int_equal(git_signature_new(&sig, "T", "t@e", 1700000000, 0), 0);
	assert_int_equal(git_tag_create(&v1, f->repo, "v1", target, sig, "v1", 0), 0);
	git_signature_free(sig);
	git_object_free(target);
}

typedef struct range_case {
	const char *spec;
	bool staged;
	int rc;
	const char *old_label; /* "{c2}" stands for c2's short id */
	const char *new_label;
	const char *old_commit; /* name, or NULL for none */
	const char *new_commit;
	const char *expect;     /* the changes, or the error message */
} range_case;

static const range_case history_cases[] = {
	{ "c1..c2", false, 0, "c1", "c2", "c1", "c2", "M a.py\nA c.py" },
	{ "c3..", false, 0, "c3", "HEAD", "c3", "c4", "R c.py -> lib/c2.py\nA t.py" },
	{ "..c2", false, 0, "HEAD", "c2", "c4", "c2",
	  "A b.py\nR lib/c2.py -> c.py\nM lib/x.py\nD t.py" },
	{ "c3...topic", false, 0, "{c2} (merge base of c3 and topic)", "topic", "c2", "t1",
	  "A t.py" },
	{ "topic...", false, 0, "{t1} (merge base of topic and HEAD)", "HEAD", "t1", "c4",
	  "D b.py\nR c.py -> lib/c2.py\nM lib/x.py" },
	{ "c2", false, 0, "c2^", "c2", "c1", "c2", "M a.py\nA c.py" },
	{ "v1", false, 0, "v1^", "v1", "c1", "c2", "M a.py\nA c.py" },
	{ "c1", false, 0, "(empty tree)", "c1", NULL, "c1", "A a.py\nA b.py\nA lib/x.py" },
	{ "o1", false, 0, "(empty tree)", "o1", NULL, "o1", "A z.py" },
	{ "HEAD~1", false, 0, "HEAD~1^", "HEAD~1", "c3", "m", "A t.py" },
	{ "m", false, 0, "m^", "m", "c3", "m", "A t.py" },
	{ "main~1..main", false, 0, "main~1", "main", "m", "c4", "R c.py -> lib/c2.py" },
	{ "..", false, 0, "HEAD", "HEAD", "c4", "c4", "" },
	{ "nope", false, IMPACT_EINVALID, NULL, NULL, NULL, NULL,
	  "bad revision 'nope': unknown revision or path not in the working tree" },
	{ "nope..c2", false, IMPACT_EINVALID, NULL, NULL, NULL, NULL,
	  "bad revision 'nope': unknown revision or path not in the working tree" },
	{ "c1...nope", false, IMPACT_EINVALID, NULL, NULL, NULL, NULL,
	  "bad revision 'nope': unknown revision or path not in the working tree" },
	{ "HEAD^{tree}", false, IMPACT_EINVALID, NULL, NULL, NULL, NULL,
	  "'HEAD^{tree}' is not a commit (it names a tree)" },
	{ "c1:a.py", false, IMPACT_EINVALID, NULL, NULL, NULL, NULL,
	  "'c1:a.py' is not a commit (it names a blob)" },
	{ "HEAD^{tree}..c2", false, IMPACT_EINVALID, NULL, NULL, NULL, NULL,
	  "'HEAD^{tree}' is not a commit (it names a tree)" },
	{ "c1...orphan", false, IMPACT_EINVALID, NULL, NULL, NULL, NULL,
	  "'c1' and 'orphan' have no common ancestor" },
	{ "c1..c2", true, IMPACT_EINVALID, NULL, NULL, NULL, NULL,
	  "--staged compares the index with HEAD and takes no revision" },
};

static char *expand_label(fx *f, const char *label)
{
	impact_buf b = IMPACT_BUF_INIT;
	const char *open = strchr(label, '{');
	if (!open)
		return impact_xstrdup(label);
	const char *close = strchr(open, '}');
	char *name = impact_xstrndup(open + 1, (size_t)(close - open - 1));
	impact_buf_put(&b, label, (size_t)(open - label));
	impact_buf_printf(&b, "%.7s%s", git_oid_tostr_s(oid_of(f, name)), close + 1);
	free(name);
	return impact_buf_detach(&b);
}

static void check_commit(fx *f, const char *spec, const char *side,
                         const git_oid *got, const char *name)
{
	git_oid zero;
	memset(&zero, 0, sizeof(zero));
	if (!git_oid_equal(got, name ? oid_of(f, name) : &zero))
		fail_msg("%s: %s commit is %s, want %s", spec, side, git_oid_tostr_s(got),
		         name ? name : "none");
}

static void run_range_case(fx *f, const range_case *tc)
{
	impact_range r;
	int rc = parse(&r, f, tc->spec, tc->staged);
	char *text, *want;
	impact_changeset *set;

	if (rc != tc->rc)
		fail_msg("'%s': rc %d (%s), want %d", tc->spec, rc, impact_error_last(), tc->rc);
	if (rc < 0) {
		expect_text(tc->spec, impact_error_last(), tc->expect);
		assert_null(r.old_tree);
		assert_null(r.new_tree);
		assert_null(r.old_label);
		assert_null(r.new_label);
		return;
	}
	assert_int_equal(r.new_kind, IMPACT_SNAPSHOT_TREE);
	assert_non_null(r.new_tree);
	assert_true((r.old_tree == NULL) == (tc->old_commit == NULL));
	want = expand_label(f, tc->old_label);
	expect_text(tc->spec, r.old_label, want);
	free(want);
	expect_text(tc->spec, r.new_label, tc->new_label);
	check_commit(f, tc->spec, "old", &r.old_commit, tc->old_commit);
	check_commit(f, tc->spec, "new", &r.new_commit, tc->new_commit);
	set = changes(f, &r);
	text = describe(set);
	expect_text(tc->spec, text, tc->expect);
	free(text);
	impact_changeset_free(set);
	impact_range_release(&r);
}

static void test_diff__history_ranges(void **state)
{
	fx *f = *state;
	build_history(f);
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(history_cases); i++)
		run_range_case(f, &history_cases[i]);
}

/* The ids and modes of a tree-to-tree change are the trees' own. */
static void test_diff__history_ids(void **state)
{
	fx *f = *state;
	impact_range r;
	impact_changeset *set;
	const impact_change *c;
	git_oid one = blob_id("1\n"), two = blob_id("2\n"), cc = blob_id("c\n");

	build_history(f);
	assert_int_equal(parse(&r, f, "c2", false), 0);
	set = changes(f, &r);
	c = change_at(set, "a.py");
	assert_int_equal(c->status, IMPACT_CHANGE_MODIFIED);
	assert_true(git_oid_equal(&c->old_oid, &one));
	assert_true(git_oid_equal(&c->new_oid, &two));
	assert_int_equal(c->old_mode, IMPACT_MODE_FILE);
	assert_int_equal(c->new_mode, IMPACT_MODE_FILE);
	assert_string_equal(c->old_path, "a.py");
	assert_false(c->binary);
	c = change_at(set, "c.py");
	assert_int_equal(c->status, IMPACT_CHANGE_ADDED);
	assert_null(c->old_path);
	assert_int_equal(c->old_mode, 0);
	assert_true(git_oid_is_zero(&c->old_oid));
	assert_true(git_oid_equal(&c->new_oid, &cc));
	assert_false(c->untracked);
	impact_changeset_free(set);
	impact_range_release(&r);

	assert_int_equal(parse(&r, f, "c4", false), 0);
	set = changes(f, &r);
	c = change_at(set, "lib/c2.py");
	assert_int_equal(c->status, IMPACT_CHANGE_RENAMED);
	assert_string_equal(c->old_path, "c.py");
	assert_int_equal(c->similarity, 100);
	impact_changeset_free(set);
	impact_range_release(&r);

	/* The new side of a range is the tree a TREE snapshot lists. */
	assert_int_equal(parse(&r, f, "c3...topic", false), 0);
	impact_snapshot *s = snap(f, IMPACT_SNAPSHOT_TREE, r.old_tree);
	assert_int_equal(impact_snapshot_count(s), 4);
	assert_non_null(impact_snapshot_find(s, "c.py"));
	assert_null(impact_snapshot_find(s, "t.py"));
	impact_snapshot_free(s);
	impact_range_release(&r);
}

/* ---- unborn HEAD ---- */

static void test_diff__unborn(void **state)
{
	fx *f = *state;
	impact_range r;
	char *text;
	static const char *const need_head[] = { "HEAD", "HEAD~1..", "..HEAD", "@", "HEAD~2...main" };

	put(f, "a.py", "a\n");
	put(f, "b.py", "b\n");
	stage(f, "b.py", true);

	assert_int_equal(parse(&r, f, NULL, false), 0);
	assert_null(r.old_tree);
	assert_string_equal(r.old_label, "(empty tree)");
	assert_string_equal(r.new_label, "(working tree)");
	assert_int_equal(r.new_kind, IMPACT_SNAPSHOT_WORKDIR);
	assert_true(git_oid_is_zero(&r.old_commit));
	impact_range_release(&r);
	text = diff_text(f, "", false);
	expect_text("unborn, working tree", text, "A a.py (untracked)\nA b.py");
	free(text);
	text = diff_text(f, NULL, true);
	expect_text("unborn, staged", text, "A b.py");
	free(text);

	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(need_head); i++) {
		assert_int_equal(parse(&r, f, need_head[i], false), IMPACT_EUNBORN);
		expect_text(need_head[i], impact_error_last(),
		            "HEAD has no commit yet: commit first, or run impact with no "
		            "revision to test uncommitted changes");
		assert_null(r.old_label);
	}
	/* A name that is simply wrong is still a bad revision. */
	assert_int_equal(parse(&r, f, "main~1", false), IMPACT_EINVALID);
	expect_text("main~1", impact_error_last(),
	            "bad revision 'main~1': unknown revision or path not in the working tree");
}

/* ---- the working tree and the index ---- */

static void make_worktree_state(fx *f)
{
	put(f, ".gitignore", "*.pyc\nbuild/\n");
	put(f, "a.py", "a = 1\n");
	put(f, "b.py", "b = 1\n");
	put(f, "keep.py", "keep\n");
	put(f, "lib/m.py", "m = 1\n");
	stage(f, ".gitignore", true);
	stage(f, "a.py", true);
	stage(f, "b.py", true);
	stage(f, "keep.py", true);
	stage(f, "lib/m.py", true);
	commit_index(f, "base");

	put(f, "a.py", "a = 2  # modified, not staged\n");
	rm_file(f, "b.py");
	put(f, "lib/m.py", "m = 2  # staged\n");
	stage(f, "lib/m.py", true);
	put(f, "newdir/sub/new.py", "new\n");
	put(f, "x.pyc", "ignored\n");
	put(f, "build/out.py", "ignored\n");
	put(f, "lib/cache.pyc", "ignored\n");
	/* An untracked repository of its own: git would add it as a gitlink. */
	git_repository *nested;
	char *dir = path_in(f, "vendored", false);
	assert_int_equal(git_repository_init(&nested, dir, 0), 0);
	git_repository_free(nested);
	free(dir);
	put(f, "vendored/lib.py", "vendored\n");
}

static void test_diff__worktree(void **state)
{
	fx *f = *state;
	impact_range r;
	impact_changeset *set;
	const impact_change *c;
	git_oid a2 = blob_id("a = 2  # modified, not staged\n");
	char *text;

	make_worktree_state(f);
	text = diff_text(f, NULL, false);
	expect_text("working tree", text,
	            "M a.py\nD b.py\nM lib/m.py\nA newdir/sub/new.py (untracked)");
	free(text);
	text = diff_text(f, NULL, true);
	expect_text("staged", text, "M lib/m.py");
	free(text);

	assert_int_equal(parse(&r, f, NULL, true), 0);
	assert_string_equal(r.old_label, "HEAD");
	assert_string_equal(r.new_label, "(index)");
	assert_int_equal(r.new_kind, IMPACT_SNAPSHOT_INDEX);
	check_commit(f, "--staged", "old", &r.old_commit, "base");
	assert_true(git_oid_is_zero(&r.new_commit));
	impact_range_release(&r);

	/* Working-tree ids are what `git hash-object` would say. */
	assert_int_equal(parse(&r, f, NULL, false), 0);
	set = changes(f, &r);
	c = change_at(set, "a.py");
	assert_true(git_oid_equal(&c->new_oid, &a2));
	c = change_at(set, "newdir/sub/new.py");
	git_oid nid = blob_id("new\n");
	assert_true(git_oid_equal(&c->new_oid, &nid));
	assert_int_equal(c->new_mode, IMPACT_MODE_FILE);
	assert_true(c->untracked);
	impact_changeset_free(set);
	impact_range_release(&r);
}

static void test_snapshot__worktree_and_index(void **state)
{
	fx *f = *state;
	impact_snapshot *w, *ix, *t;
	const impact_entry *e;
	git_object *head;
	git_oid a1 = blob_id("a = 1\n"), a2 = blob_id("a = 2  # modified, not staged\n");
	git_oid keep = blob_id("keep\n"), m2 = blob_id("m = 2  # staged\n");
	char *text;
	static const char *const wd[] = { ".gitignore", "a.py", "keep.py", "lib/m.py",
		                          "newdir/sub/new.py" };
	static const char *const idx[] = { ".gitignore", "a.py", "b.py", "keep.py", "lib/m.py" };

	make_worktree_state(f);
	w = snap(f, IMPACT_SNAPSHOT_WORKDIR, NULL);
	ix = snap(f, IMPACT_SNAPSHOT_INDEX, NULL);
	assert_int_equal(git_revparse_single(&head, f->repo, "HEAD^{tree}"), 0);
	t = snap(f, IMPACT_SNAPSHOT_TREE, (const git_tree *)head);
	git_object_free(head);

	assert_int_equal(impact_snapshot_kind_of(w), IMPACT_SNAPSHOT_WORKDIR);
	assert_int_equal(impact_snapshot_count(w), IMPACT_ARRAY_SIZE(wd));
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(wd); i++)
		assert_string_equal(impact_snapshot_entry(w, i)->path, wd[i]);
	assert_null(impact_snapshot_entry(w, IMPACT_ARRAY_SIZE(wd)));
	assert_int_equal(impact_snapshot_count(ix), IMPACT_ARRAY_SIZE(idx));
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(idx); i++)
		assert_string_equal(impact_snapshot_entry(ix, i)->path, idx[i]);

	/* Ids: modified from disk, unmodified from the index. */
	e = impact_snapshot_find(w, "a.py");
	assert_true(git_oid_equal(&e->oid, &a2));
	assert_int_equal(e->mode, IMPACT_MODE_FILE);
	assert_int_equal(e->size, strlen("a = 2  # modified, not staged\n"));
	assert_true(git_oid_equal(&impact_snapshot_find(w, "keep.py")->oid, &keep));
	assert_true(git_oid_equal(&impact_snapshot_find(w, "lib/m.py")->oid, &m2));
	assert_true(git_oid_equal(&impact_snapshot_find(ix, "a.py")->oid, &a1));
	assert_true(git_oid_equal(&impact_snapshot_find(ix, "lib/m.py")->oid, &m2));
	assert_true(git_oid_equal(&impact_snapshot_find(t, "a.py")->oid, &a1));

	/* Deleted and ignored files are not there. */
	assert_null(impact_snapshot_find(w, "b.py"));
	assert_null(impact_snapshot_find(w, "x.pyc"));
	assert_null(impact_snapshot_find(w, "build/out.py"));
	assert_null(impact_snapshot_find(w, "lib/cache.pyc"));
	assert_null(impact_snapshot_find(w, "lib"));
	assert_null(impact_snapshot_find(w, ""));

	/* Directories. */
	assert_true(impact_snapshot_has_dir(w, ""));
	assert_true(impact_snapshot_has_dir(w, "lib"));
	assert_true(impact_snapshot_has_dir(w, "newdir"));
	assert_true(impact_snapshot_has_dir(w, "newdir/sub"));
	assert_false(impact_snapshot_has_dir(w, "newdi"));
	assert_false(impact_snapshot_has_dir(w, "newdir/sub/new.py"));
	assert_false(impact_snapshot_has_dir(w, "build"));
	assert_false(impact_snapshot_has_dir(ix, "newdir"));
	assert_false(impact_snapshot_has_dir(w, "a.py"));

	/* Reads: the working tree from disk, the index and trees from blobs. */
	text = read_entry(w, "a.py");
	assert_string_equal(text, "a = 2  # modified, not staged\n");
	free(text);
	text = read_entry(ix, "a.py");
	assert_string_equal(text, "a = 1\n");
	free(text);
	text = read_entry(t, "lib/m.py");
	assert_string_equal(text, "m = 1\n");
	free(text);
	text = read_entry(w, "newdir/sub/new.py");
	assert_string_equal(text, "new\n");
	free(text);

	/* A file that vanished after the snapshot was taken. */
	rm_file(f, "a.py");
	impact_buf b = IMPACT_BUF_INIT;
	assert_int_equal(impact_snapshot_read(&b, w, impact_snapshot_find(w, "a.py")),
	                 IMPACT_ENOTFOUND);
	impact_buf_release(&b);

	impact_snapshot_free(w);
	impact_snapshot_free(ix);
	impact_snapshot_free(t);
	impact_snapshot_free(NULL);
}

/* ---- renames ---- */

static const char big[] =
	"import os\nimport sys\n\n\ndef main():\n    print('hello')\n    return 0\n\n\n"
	"def other():\n    return os.getcwd()\n\n\nclass Thing:\n    value = 1\n"
	"    other = 2\n    more = 3\n\n\nif __name__ == '__main__':\n    sys.exit(main())\n";

static void test_diff__renames(void **state)
{
	fx *f = *state;
	impact_range r;
	impact_changeset *set;
	const impact_change *c;
	impact_buf edited = IMPACT_BUF_INIT;
	char *text;

	put(f, "big.py", big);
	put(f, "other.py", big);
	put(f, "third.py", "three = 3\nfour = 4\nfive = 5\n");
	stage(f, "big.py", true);
	stage(f, "other.py", true);
	stage(f, "third.py", true);
	commit_index(f, "base");

	/* Working tree: a tracked file moved to an untracked path. */
	rename_file(f, "big.py", "pkg/moved.py");
	/* ... and one moved and edited a little. */
	impact_buf_printf(&edited, "%s# one more line\n", big);
	rm_file(f, "other.py");
	put(f, "renamed_other.py", edited.ptr);
	impact_buf_release(&edited);
	text = diff_text(f, NULL, false);
	expect_text("working-tree renames", text,
	            "R big.py -> pkg/moved.py\nR other.py -> renamed_other.py");
	free(text);
	assert_int_equal(parse(&r, f, NULL, false), 0);
	set = changes(f, &r);
	c = change_at(set, "pkg/moved.py");
	assert_int_equal(c->similarity, 100);
	assert_false(c->untracked);
	assert_true(git_oid_equal(&c->old_oid, &c->new_oid));
	c = change_at(set, "renamed_other.py");
	assert_true(c->similarity >= 50 && c->similarity < 100);
	impact_changeset_free(set);
	impact_range_release(&r);

	/* Staged (git mv): index against HEAD. */
	stage(f, "big.py", false);
	stage(f, "pkg/moved.py", true);
	text = diff_text(f, NULL, true);
	expect_text("staged rename", text, "R big.py -> pkg/moved.py");
	free(text);

	/* Committed: tree against tree. */
	commit_index(f, "moved");
	text = diff_text(f, "HEAD", false);
	expect_text("committed rename", text, "R big.py -> pkg/moved.py");
	free(text);
	/* A file replaced by an unrelated one is a delete and an add, not a rename. */
	rm_file(f, "third.py");
	put(f, "fourth.py", "completely = 'different'\n");
	text = diff_text(f, NULL, false);
	expect_text("no rename", text,
	            "A fourth.py (untracked)\nR other.py -> renamed_other.py\nD third.py");
	free(text);
}

/* ---- typechange, symlinks, gitlinks ---- */

static void test_diff__typechange_and_links(void **state)
{
	fx *f = *state;
	impact_range r;
	impact_changeset *set;
	const impact_change *c;
	impact_snapshot *w, *t;
	git_object *tree;
	git_oid target = blob_id("a.py");
	char *text;

	put(f, "a.py", "a\n");
	put(f, "link.py", "was a file\n");
	put_link(f, "tolink.py", "a.py");
	stage(f, "a.py", true);
	stage(f, "link.py", true);
	stage(f, "tolink.py", true);
	commit_index(f, "base");

	/* file -> symlink in the working tree; a new untracked symlink. */
	put_link(f, "link.py", "a.py");
	put_link(f, "newlink.py", "a.py");
	text = diff_text(f, NULL, false);
	expect_text("typechange", text, "T link.py\nA newlink.py (untracked)");
	free(text);
	assert_int_equal(parse(&r, f, NULL, false), 0);
	set = changes(f, &r);
	c = change_at(set, "link.py");
	assert_int_equal(c->old_mode, IMPACT_MODE_FILE);
	assert_int_equal(c->new_mode, IMPACT_MODE_LINK);
	assert_true(git_oid_equal(&c->new_oid, &target));
	c = change_at(set, "newlink.py");
	assert_int_equal(c->new_mode, IMPACT_MODE_LINK);
	assert_true(git_oid_equal(&c->new_oid, &target));
	impact_changeset_free(set);
	impact_range_release(&r);

	w = snap(f, IMPACT_SNAPSHOT_WORKDIR, NULL);
	assert_int_equal(impact_snapshot_find(w, "link.py")->mode, IMPACT_MODE_LINK);
	assert_true(git_oid_equal(&impact_snapshot_find(w, "link.py")->oid, &target));
	assert_true(git_oid_equal(&impact_snapshot_find(w, "newlink.py")->oid, &target));
	assert_int_equal(impact_snapshot_find(w, "tolink.py")->mode, IMPACT_MODE_LINK);
	text = read_entry(w, "link.py");
	assert_string_equal(text, "a.py");
	free(text);
	text = read_entry(w, "tolink.py");
	assert_string_equal(text, "a.py");
	free(text);
	impact_snapshot_free(w);

	/* Committed: tree-to-tree typechange; TREE reads the link target. */
	stage(f, "link.py", true);
	commit_index(f, "linked");
	text = diff_text(f, "HEAD", false);
	expect_text("committed typechange", text, "T link.py");
	free(text);
	assert_int_equal(git_revparse_single(&tree, f->repo, "HEAD^{tree}"), 0);
	t = snap(f, IMPACT_SNAPSHOT_TREE, (const git_tree *)tree);
	git_object_free(tree);
	assert_int_equal(impact_snapshot_find(t, "link.py")->mode, IMPACT_MODE_LINK);
	text = read_entry(t, "link.py");
	assert_string_equal(text, "a.py");
	free(text);
	impact_snapshot_free(t);
}

static void test_diff__gitlink(void **state)
{
	fx *f = *state;
	git_index *index;
	git_index_entry e;
	impact_snapshot *t, *w;
	impact_range r;
	impact_changeset *set;
	const impact_change *c;
	impact_buf b = IMPACT_BUF_INIT;
	git_object *tree;
	git_oid sub;
	char *text, *subdir;

	put(f, "a.py", "a\n");
	stage(f, "a.py", true);
	sub = commit_index(f, "base");

	/* git update-index --add --cacheinfo 160000,<commit>,sub */
	memset(&e, 0, sizeof(e));
	e.path = "sub";
	e.mode = GIT_FILEMODE_COMMIT;
	e.id = sub;
	assert_int_equal(git_repository_index(&index, f->repo), 0);
	assert_int_equal(git_index_add(index, &e), 0);
	assert_int_equal(git_index_write(index), 0);
	git_index_free(index);
	subdir = path_in(f, "sub", false);
	assert_int_equal(mkdir(subdir, 0777), 0); /* an uninitialised submodule */
	commit_index(f, "with-sub");

	text = diff_text(f, "HEAD", false);
	expect_text("gitlink added", text, "A sub");
	free(text);
	assert_int_equal(parse(&r, f, "HEAD", false), 0);
	set = changes(f, &r);
	c = change_at(set, "sub");
	assert_int_equal(c->new_mode, IMPACT_MODE_GITLINK);
	assert_true(git_oid_equal(&c->new_oid, &sub));
	impact_changeset_free(set);
	impact_range_release(&r);

	/* Nothing changed in the working tree; the submodule is listed, not read. */
	text = diff_text(f, NULL, false);
	expect_text("gitlink unchanged", text, "");
	free(text);
	assert_int_equal(git_revparse_single(&tree, f->repo, "HEAD^{tree}"), 0);
	t = snap(f, IMPACT_SNAPSHOT_TREE, (const git_tree *)tree);
	git_object_free(tree);
	w = snap(f, IMPACT_SNAPSHOT_WORKDIR, NULL);
	assert_int_equal(impact_snapshot_find(t, "sub")->mode, IMPACT_MODE_GITLINK);
	assert_int_equal(impact_snapshot_find(w, "sub")->mode, IMPACT_MODE_GITLINK);
	assert_true(git_oid_equal(&impact_snapshot_find(w, "sub")->oid, &sub));
	assert_false(impact_snapshot_has_dir(w, "sub"));
	assert_int_equal(impact_snapshot_read(&b, t, impact_snapshot_find(t, "sub")),
	                 IMPACT_EINVALID);
	assert_int_equal(impact_snapshot_read(&b, w, impact_snapshot_find(w, "sub")),
	                 IMPACT_EINVALID);
	assert_int_equal(b.size, 0);
	impact_snapshot_free(w);
	impact_snapshot_free(t);

	/* Its directory removed: git calls the submodule deleted, and so do we. */
	assert_int_equal(rmdir(subdir), 0);
	text = diff_text(f, NULL, false);
	expect_text("gitlink deleted", text, "D sub");
	free(text);
	w = snap(f, IMPACT_SNAPSHOT_WORKDIR, NULL);
	assert_null(impact_snapshot_find(w, "sub"));
	impact_snapshot_free(w);
	free(subdir);
}

/* ---- binary files ---- */

static void put_bytes(fx *f, const char *rel, const char *data, size_t len)
{
	char *full = path_in(f, rel, false);
	int fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	free(full);
}

static void test_diff__binary(void **state)
{
	fx *f = *state;
	static const char *const specs[] = { NULL, "HEAD" };
	impact_range r;
	impact_changeset *set;

	put_bytes(f, "data.bin", "a\0b", 3);
	put(f, "t.py", "x = 1\n");
	stage(f, "data.bin", true);
	stage(f, "t.py", true);
	commit_index(f, "base");
	put_bytes(f, "data.bin", "a\0c", 3);
	put(f, "t.py", "x = 2\n");
	stage(f, "data.bin", true);
	stage(f, "t.py", true);
	commit_index(f, "second");
	put_bytes(f, "data.bin", "a\0d", 3);
	put(f, "t.py", "x = 3\n");

	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(specs); i++) {
		assert_int_equal(parse(&r, f, specs[i], false), 0);
		set = changes(f, &r);
		assert_int_equal(set->n, 2);
		/* binary is "known to be binary", never a wrong true. */
		assert_false(change_at(set, "t.py")->binary);
		impact_changeset_free(set);
		impact_range_release(&r);
	}
}

/* ---- file names are bytes ---- */

static void test_diff__odd_names(void **state)
{
	fx *f = *state;
	static const char *const names[] = { "with space.py", "new\nline.py",
		                             ("bad\xff" "byte.py"), "quote\"d 'x'.py",
		                             "dir with space/tab\there.py" };
	impact_range r;
	impact_changeset *set;
	impact_snapshot *w, *t;
	git_object *tree;
	char *text;

	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(names); i++) {
		put(f, names[i], "old\n");
		stage(f, names[i], true);
	}
	commit_index(f, "base");
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(names); i++)
		put(f, names[i], "new\n");

	assert_int_equal(parse(&r, f, "HEAD", false), 0);
	set = changes(f, &r);
	assert_int_equal(set->n, IMPACT_ARRAY_SIZE(names));
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(names); i++)
		assert_int_equal(change_at(set, names[i])->status, IMPACT_CHANGE_ADDED);
	impact_changeset_free(set);
	impact_range_release(&r);

	assert_int_equal(parse(&r, f, NULL, false), 0);
	set = changes(f, &r);
	assert_int_equal(set->n, IMPACT_ARRAY_SIZE(names));
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(names); i++)
		assert_int_equal(change_at(set, names[i])->status, IMPACT_CHANGE_MODIFIED);
	impact_changeset_free(set);
	impact_range_release(&r);

	w = snap(f, IMPACT_SNAPSHOT_WORKDIR, NULL);
	assert_int_equal(git_revparse_single(&tree, f->repo, "HEAD^{tree}"), 0);
	t = snap(f, IMPACT_SNAPSHOT_TREE, (const git_tree *)tree);
	git_object_free(tree);
	assert_true(impact_snapshot_has_dir(w, "dir with space"));
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(names); i++) {
		text = read_entry(w, names[i]);
		assert_string_equal(text, "new\n");
		free(text);
		text = read_entry(t, names[i]);
		assert_string_equal(text, "old\n");
		free(text);
	}
	impact_snapshot_free(w);
	impact_snapshot_free(t);
}

/* ---- tree order, conflicts, sparse entries ---- */

static void test_snapshot__tree_order(void **state)
{
	fx *f = *state;
	/* git sorts a tree's entries with directories as "name/". */
	static const char *const files[] = { "a/b.py=1", "a.py=1", "a-b.py=1", "a0.py=1",
		                             "a/b/c.py=1", "a/b.c.py=1", "\xff.py=1", " .py=1",
		                             "Z.py=1", NULL };
	static const char *const sorted[] = { " .py", "Z.py", "a-b.py", "a.py", "a/b.c.py",
		                              "a/b.py", "a/b/c.py", "a0.py", "\xff.py" };
	git_commit *commit;
	git_tree *tree;
	impact_snapshot *s;

	commit_files(f, "c1", "refs/heads/main", files, NULL, NULL);
	assert_int_equal(git_commit_lookup(&commit, f->repo, oid_of(f, "c1")), 0);
	assert_int_equal(git_commit_tree(&tree, commit), 0);
	s = snap(f, IMPACT_SNAPSHOT_TREE, tree);
	git_tree_free(tree); /* the snapshot does not need it any more */
	git_commit_free(commit);
	assert_int_equal(impact_snapshot_count(s), IMPACT_ARRAY_SIZE(sorted));
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(sorted); i++) {
		assert_string_equal(impact_snapshot_entry(s, i)->path, sorted[i]);
		assert_ptr_equal(impact_snapshot_find(s, sorted[i]), impact_snapshot_entry(s, i));
	}
	assert_true(impact_snapshot_has_dir(s, "a"));
	assert_true(impact_snapshot_has_dir(s, "a/b"));
	assert_false(impact_snapshot_has_dir(s, "a/b/c.py"));
	assert_false(impact_snapshot_has_dir(s, "a-b"));
	assert_null(impact_snapshot_find(s, "a/b"));
	assert_null(impact_snapshot_find(s, "zzz"));
	impact_snapshot_free(s);

	/* NULL is the empty tree. */
	s = snap(f, IMPACT_SNAPSHOT_TREE, NULL);
	assert_int_equal(impact_snapshot_count(s), 0);
	assert_false(impact_snapshot_has_dir(s, ""));
	assert_null(impact_snapshot_find(s, "a.py"));
	impact_snapshot_free(s);
}

static void test_snapshot__conflict_and_sparse(void **state)
{
	fx *f = *state;
	git_index *index;
	git_index_entry base, ours, theirs, sparse;
	const git_index_entry *ie;
	impact_snapshot *ix, *w;
	char *text;

	put(f, "a.py", "a\n");
	put(f, "sparse.py", "sparse\n");
	put(f, "c.py", "c\n");
	stage(f, "a.py", true);
	stage(f, "sparse.py", true);
	stage(f, "c.py", true);
	commit_index(f, "base");

	assert_int_equal(git_repository_index(&index, f->repo), 0);
	/* A conflicted c.py: stages 1, 2, 3 and no stage 0. */
	memset(&base, 0, sizeof(base));
	base.path = "c.py";
	base.mode = GIT_FILEMODE_BLOB;
	ours = theirs = base;
	assert_int_equal(git_blob_create_from_buffer(&base.id, f->repo, "base\n", 5), 0);
	assert_int_equal(git_blob_create_from_buffer(&ours.id, f->repo, "ours\n", 5), 0);
	assert_int_equal(git_blob_create_from_buffer(&theirs.id, f->repo, "theirs\n", 7), 0);
	assert_int_equal(git_index_conflict_add(index, &base, &ours, &theirs), 0);
	/* sparse.py outside the sparse checkout: skip-worktree, not on disk. */
	ie = git_index_get_bypath(index, "sparse.py", 0);
	sparse = *ie;
	sparse.flags_extended |= GIT_INDEX_ENTRY_SKIP_WORKTREE;
	assert_int_equal(git_index_add(index, &sparse), 0);
	assert_int_equal(git_index_write(index), 0);
	git_index_free(index);
	rm_file(f, "sparse.py");
	put(f, "c.py", "<<<<<<< ours\n>>>>>>> theirs\n");

	/* The index has no single tree: refused, naming the path (issue 19). */
	ix = NULL;
	assert_int_equal(impact_snapshot_open(&ix, f->repo, IMPACT_SNAPSHOT_INDEX, NULL),
	                 IMPACT_EINVALID);
	assert_null(ix);
	assert_non_null(strstr(impact_error_last(), "'c.py'"));
	assert_non_null(strstr(impact_error_last(), "conflict"));

	w = snap(f, IMPACT_SNAPSHOT_WORKDIR, NULL);
	assert_int_equal(impact_snapshot_count(w), 3);
	git_oid merged = blob_id("<<<<<<< ours\n>>>>>>> theirs\n");
	assert_true(git_oid_equal(&impact_snapshot_find(w, "c.py")->oid, &merged));
	git_oid sp = blob_id("sparse\n");
	assert_true(git_oid_equal(&impact_snapshot_find(w, "sparse.py")->oid, &sp));
	text = read_entry(w, "sparse.py");
	assert_string_equal(text, "sparse\n");
	free(text);
	impact_snapshot_free(w);

	/* git diff does not call a sparse entry deleted, and neither do we. */
	text = diff_text(f, NULL, false);
	expect_text("sparse and conflicted", text, "M c.py");
	free(text);
}

/* ---- shallow clones ---- */

static void test_diff__shallow(void **state)
{
	fx *f = *state;
	impact_buf b = IMPACT_BUF_INIT;
	impact_range r;
	char *path, *text, hex[GIT_OID_HEXSZ + 1];
	const char *hint = "\nhint: this is a shallow clone: fetch more history with "
	                   "'git fetch --deepen=<n>' or 'git fetch --unshallow'";
	int fd;

	build_history(f);
	/* Make c2 the edge: its id in .git/shallow, c1's commit object gone. */
	git_oid_tostr(hex, sizeof(hex), oid_of(f, "c2"));
	path = path_in(f, "shallow", true);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, hex, GIT_OID_HEXSZ), GIT_OID_HEXSZ);
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
	free(path);
	git_oid_tostr(hex, sizeof(hex), oid_of(f, "c1"));
	impact_buf_printf(&b, "objects/%.2s/%s", hex, hex + 2);
	path = path_in(f, b.ptr, true);
	assert_int_equal(unlink(path), 0);
	free(path);
	impact_buf_clear(&b);
	/* Reopen, so that no cached copy of c1 survives. */
	git_repository_free(f->repo);
	assert_int_equal(git_repository_open(&f->repo, f->dir), 0);

	/* The boundary itself: refused, not diffed against the empty tree. */
	assert_int_equal(parse(&r, f, "c2", false), IMPACT_EINVALID);
	impact_buf_printf(&b, "'c2' is the edge of this shallow clone: its parent "
	                  "commit is not here to compare with%s", hint);
	expect_text("c2", impact_error_last(), b.ptr);
	impact_buf_clear(&b);

	assert_int_equal(parse(&r, f, "nope", false), IMPACT_EINVALID);
	impact_buf_printf(&b, "bad revision 'nope': unknown revision or path not in "
	                  "the working tree%s", hint);
	expect_text("nope", impact_error_last(), b.ptr);
	impact_buf_clear(&b);

	/*
	 * A commit id from beyond the edge. (Not its tag: libgit2 1.5's
	 * revparse leaks the reference of a ref whose object is missing.)
	 */
	impact_buf spec = IMPACT_BUF_INIT;
	impact_buf_printf(&spec, "%s..c2", hex);
	assert_int_equal(parse(&r, f, spec.ptr, false), IMPACT_EINVALID);
	impact_buf_printf(&b, "bad revision '%s': unknown revision or path not in "
	                  "the working tree%s", hex, hint);
	expect_text(spec.ptr, impact_error_last(), b.ptr);
	impact_buf_release(&spec);
	impact_buf_release(&b);

	/* Within the clone's history everything still works. */
	text = diff_text(f, "c3", false);
	expect_text("c3 in a shallow clone", text, "D b.py\nM lib/x.py");
	free(text);
	text = diff_text(f, "c2..c4", false);
	expect_text("c2..c4 in a shallow clone", text,
	            "D b.py\nR c.py -> lib/c2.py\nM lib/x.py\nA t.py");
	free(text);
}

/* ---- bare repositories ---- */

static void test_diff__bare(void **state)
{
	fx *f = *state;
	static const char *const c1[] = { "a.py=1", NULL };
	static const char *const c2[] = { "a.py=2", NULL };
	impact_snapshot *s = NULL;
	impact_range r;
	impact_buf want = IMPACT_BUF_INIT;
	char *text;

	commit_files(f, "c1", "refs/heads/main", c1, NULL, NULL);
	commit_files(f, "c2", "refs/heads/main", c2, "c1", NULL);
	impact_buf_printf(&want, "'%s' is a bare repository; give a revision range "
	                  "such as HEAD~1..", f->dir);

	assert_int_equal(impact_snapshot_open(&s, f->repo, IMPACT_SNAPSHOT_WORKDIR, NULL),
	                 IMPACT_EINVALID);
	assert_null(s);
	expect_text("bare snapshot", impact_error_last(), want.ptr);
	assert_int_equal(parse(&r, f, NULL, false), IMPACT_EINVALID);
	expect_text("bare, no spec", impact_error_last(), want.ptr);
	assert_int_equal(parse(&r, f, "", true), IMPACT_EINVALID);
	expect_text("bare, staged", impact_error_last(), want.ptr);
	impact_buf_release(&want);

	text = diff_text(f, "HEAD~1..", false);
	expect_text("bare range", text, "M a.py");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_diff__history_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff__history_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff__unborn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff__worktree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot__worktree_and_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff__renames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff__typechange_and_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff__gitlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff__binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff__odd_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot__tree_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot__conflict_and_sparse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff__shallow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff__bare, setup_bare, teardown),
	};
	int rc;

	git_libgit2_init();
	/* Keep the user's and the system's git configuration out. */
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "/nonexistent");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, "/nonexistent");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, "/nonexistent");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_PROGRAMDATA, "/nonexistent");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
