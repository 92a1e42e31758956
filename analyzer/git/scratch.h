/*
 * scratch.h - throwaway checkouts of commits, and commits no ref points to.
 *
 * Owns the audit's promise that the user's work tree, index, HEAD and
 * refs are never touched. A checkout is a repository of its own in a
 * temporary directory: its object database borrows the user's through
 * `objects/info/alternates` (nothing is copied), its HEAD is detached at
 * the commit, its files and index are the commit's. So `git` works inside
 * it for tests that need it, and `git worktree list` of the user's
 * repository never shows it. Removing it is removing the directory.
 *
 * A mutant commit (impact_scratch_commit_file) is written as objects into
 * the user's object database, the one thing of the user's repository the
 * audit writes: a blob, the trees above it and a commit whose parent is
 * the given commit, referenced by no ref, so `git gc` prunes them.
 *
 * Submodules are not checked out (their folders stay empty), and no
 * filter but libgit2's built-in ones runs (a Git LFS file stays a pointer).
 */
#ifndef IMPACT_SCRATCH_H
#define IMPACT_SCRATCH_H

#include "buf.h"

#include <git2.h>

/*
 * A private directory "<$TMPDIR or /tmp>/<prefix>XXXXXX" (mode 0700).
 * *out is the caller's (free).
 */
int impact_scratch_tmpdir(char **out, const char *prefix);

/*
 * Remove `path` and everything under it, never following a symbolic
 * link, making folders a test left read-only writable first. A missing
 * `path` is no error. On failure (the first error is reported) it still
 * removes what it can.
 */
int impact_scratch_rmtree(const char *path);

/*
 * Check `commit` of `repo` out at `path` (which must not exist yet), as
 * described above. Fails with the libgit2 or system error; what was made
 * of `path` is left for the caller to remove.
 */
int impact_scratch_checkout(git_repository *repo, const git_oid *commit, const char *path);

/*
 * Write into `repo`'s object database a commit of `parent`'s tree with
 * repo-relative `path` (which must exist in that tree) holding `content`
 * (keeping the file's mode), whose one parent is `parent`, with `message`.
 * No ref is created or moved. *out gets the commit's id.
 */
int impact_scratch_commit_file(git_oid *out, git_repository *repo, const git_oid *parent,
                               const char *path, const char *content, size_t len,
                               const char *message);

#endif
