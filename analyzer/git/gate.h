/*
 * gate.h - what a merge/push gate, a rewrite or CI compares.
 *
 * Owns the default range of `impact --gate`: the merge base of HEAD with
 * origin/HEAD, else origin/main, else main (said in one line); the ranges
 * a pre-push hook must test for the refs it is given; and the range a
 * finished rebase rewrote (post-rewrite). Everything here only reads refs
 * and commits; nothing runs.
 */
#ifndef IMPACT_GATE_H
#define IMPACT_GATE_H

#include "common.h"

#include <git2.h>

/*
 * The revspec a gate compares. `spec` is the user's (NULL = choose the
 * default base). *out is a new string (caller frees); *why a one-line
 * explanation (caller frees), e.g. "base: merge base with origin/main
 * (abc1234)". IMPACT_EINVALID when no base can be found, saying what to
 * pass instead.
 */
int impact_gate_range(char **out, char **why, git_repository *repo, const char *spec);

/* One ref of a push, and what to test for it. */
typedef struct impact_push_range {
	char *local_ref;  /* as git gave it; owned */
	git_oid local;    /* the commit pushed (zero for a deletion) */
	char *spec;       /* the revspec to test, or NULL: nothing to test; owned */
	char *why;        /* one line; owned */
} impact_push_range;

typedef struct impact_push_ranges {
	impact_push_range *items;
	size_t n, alloc;
} impact_push_ranges;

/*
 * pre-push: from git's "<local ref> <local sha> <remote ref> <remote
 * sha>" lines (`input`, `len` bytes) and the remote's name (`remote`, the
 * hook's first argument; a URL when the push named no remote), what to
 * test per ref: remote_sha..local_sha for an update; for a new branch the
 * commits not yet on the remote (from the merge base with
 * refs/remotes/<remote>/HEAD, else <remote>/main, else the local main);
 * nothing for a deletion. IMPACT_EINVALID on a malformed line.
 */
int impact_gate_push_ranges(impact_push_ranges *out, git_repository *repo,
                            const char *remote, const char *input, size_t len);
void impact_push_ranges_release(impact_push_ranges *ranges);

/*
 * post-rewrite after a rebase: from git's "<old sha> <new sha>" lines,
 * the range covering every rewritten commit: <first new commit>^..HEAD
 * (when the first new commit is not in HEAD's history, or no lines are
 * given: the merge base of the old tip, ORIG_HEAD, with HEAD). *out and
 * *why are new strings. IMPACT_ENOTFOUND when there is nothing to test.
 */
int impact_gate_rewrite_range(char **out, char **why, git_repository *repo,
                              const char *input, size_t len);

#endif
