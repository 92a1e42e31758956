/*
 * exact.h - the private checkout exact-tree runs test in.
 *
 * Owns the promise of an exact-tree run (hooks, --gate, --exact): the
 * tests see exactly one tree (a commit's, or the index written as a
 * tree), whatever the user's work tree holds, and the user's work tree,
 * index, HEAD and refs are never touched.
 *
 * One persistent checkout per repository, <common git dir>/impact/exact/
 * tree: a repository of its own (its `.git` inside it, so `git` run by a
 * test acts on it, never on the user's), whose object database borrows
 * the user's through objects/info/alternates, so `git worktree list` of
 * the user's repository never shows it. Each run moves it in place from
 * the tree it holds to the next one: libgit2's forced checkout rewrites
 * only the files that differ (its index keeps the stat data), removes
 * what the previous run left that git does not ignore, and restores a
 * tracked file a test modified. Python's byte code of a changed module
 * is removed too: a `.pyc` is trusted on the source's size and mtime in
 * seconds, which a same-size edit in the same second would not change.
 * A tree with no commit (the index) gets a commit written into the
 * checkout's own object database (never the user's), so HEAD in the
 * checkout names what is tested.
 *
 * An exclusive flock on <...>/impact/exact/lock keeps one run in it at a
 * time; a run that finds it busy (a background post-commit run while a
 * push is gated) gets a throwaway checkout in $TMPDIR instead, removed
 * when it is closed. Untracked files the configuration names
 * (`exact-copy`) are copied in and removed again when it is closed; a
 * manifest of them lets the next open remove what a killed run left.
 *
 * A checkout that cannot be moved (damaged by a killed run, or its HEAD's
 * objects pruned by `git gc` in the user's repository) is made again.
 *
 * It materialises the whole tree: a sparse checkout would need a proof
 * that the run reads nothing else (subprocesses, data files, plugins),
 * which impact cannot give in general. Submodules are not checked out,
 * and no filter but libgit2's built-in ones runs.
 */
#ifndef IMPACT_EXACT_H
#define IMPACT_EXACT_H

#include "buf.h"

#include <git2.h>

typedef struct impact_exact impact_exact;

typedef struct impact_exact_stats {
	bool created;        /* first use: the whole tree was written */
	bool temporary;      /* the persistent checkout was busy: a throwaway one */
	size_t changed;      /* files that differ from the tree it held before */
	double seconds;      /* time to prepare the tree */
} impact_exact_stats;

/*
 * Lock the private checkout of `repo` (borrowed; must outlive it),
 * creating it on first use; a busy one gives a throwaway checkout. Fails
 * with the system or libgit2 error and what to do. *out is freed with
 * impact_exact_close.
 */
int impact_exact_open(impact_exact **out, git_repository *repo);

/*
 * Write the index at `index_path` (NULL: the repository's own index) as
 * a tree, into the checkout's object database; the index is read into a
 * copy of its own, never written. IMPACT_EINVALID when it holds conflicts.
 */
int impact_exact_index_tree(git_oid *out, impact_exact *ex, const char *index_path);

/*
 * Make the checkout hold exactly `tree`; HEAD becomes `commit` (detached)
 * when given, else a commit of `tree` written in the checkout's own object
 * database. `stats` may be NULL.
 */
int impact_exact_checkout(impact_exact *ex, const git_oid *tree, const git_oid *commit,
                          impact_exact_stats *stats);

/*
 * Copy `paths` (relative to `workdir`, the user's work tree root: files
 * or folders) into the checkout, unless the tree has them (those are
 * appended to `tracked` and skipped: the tree's version is the one
 * tested). A path missing from the work tree is appended to `missing`.
 */
int impact_exact_copy_in(impact_exact *ex, const char *workdir, const impact_strlist *paths,
                         impact_strlist *tracked, impact_strlist *missing);

/* The checkout's work tree root, without a trailing '/'. Borrowed. */
const char *impact_exact_root(const impact_exact *ex);

/*
 * Remove what was copied in (and a throwaway checkout), unlock, free.
 * NULL-safe; never fails (what cannot be removed is removed next time).
 */
void impact_exact_close(impact_exact *ex);

/*
 * Names in `text` (a traceback, an error line) that look like a file the
 * tests missed: "No such file or directory: 'x'", "No module named 'x'",
 * which exist in the user's work tree at `workdir` but not in the checkout
 * at `root`. Appended, repo-relative and once each, to `out`.
 */
void impact_exact_missing_files(impact_strlist *out, const char *text, const char *workdir,
                                const char *root);

/*
 * `text` with every "<root>/" replaced by "" (paths relative to the
 * repository, as they are in the user's work tree). A new string.
 */
char *impact_exact_unroot(const char *text, const char *root);

#endif
