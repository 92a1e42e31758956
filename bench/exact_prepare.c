/*
 * exact_prepare.c - what preparing the private checkout of an exact-tree
 * run costs (analyzer/git/exact.c), without planning or pytest around it.
 *
 *     exact_prepare <repo> <commit A> <commit B> [rounds]
 *
 * Opens (locks) the private checkout of <repo>, checks A out (the first
 * run: every file written, unless a checkout is already there), then
 * alternates B, A, B, ... `rounds` times (default 5): each move is what a
 * hook pays for the next commit. Prints one line: the first checkout's
 * time, then the median and the maximum of the moves, in seconds, and the
 * files each move changed.
 */
#include "exact.h"

#include <stdio.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int tree_of(git_oid *tree, git_oid *commit, git_repository *repo, const char *spec)
{
	git_object *o = NULL;
	git_commit *c = NULL;
	int rc;
	if ((rc = git_revparse_single(&o, repo, spec)) < 0 ||
	    (rc = git_commit_lookup(&c, repo, git_object_id(o))) < 0)
		goto done;
	git_oid_cpy(commit, git_commit_id(c));
	git_oid_cpy(tree, git_commit_tree_id(c));
done:
	git_commit_free(c);
	git_object_free(o);
	return rc;
}

int main(int argc, char **argv)
{
	git_repository *repo = NULL;
	impact_exact *ex = NULL;
	impact_exact_stats st;
	git_oid ta, ca, tb, cb;
	double first, moves[64];
	size_t changed = 0;
	int rounds = argc > 4 ? atoi(argv[4]) : 5, rc = 1;

	if (argc < 4) {
		fprintf(stderr, "usage: exact_prepare <repo> <commit A> <commit B> [rounds]\n");
		return 2;
	}
	if (rounds < 1 || rounds > 64)
		rounds = 5;
	git_libgit2_init();
	if (git_repository_open(&repo, argv[1]) < 0 || tree_of(&ta, &ca, repo, argv[2]) < 0 ||
	    tree_of(&tb, &cb, repo, argv[3]) < 0) {
		fprintf(stderr, "exact_prepare: %s\n", git_error_last() ? git_error_last()->message : "?");
		goto done;
	}
	if (impact_exact_open(&ex, repo) < 0 || impact_exact_checkout(ex, &ta, &ca, &st) < 0)
		goto fail;
	first = st.seconds;
	for (int i = 0; i < rounds; i++) {
		bool to_b = i % 2 == 0;
		if (impact_exact_checkout(ex, to_b ? &tb : &ta, to_b ? &cb : &ca, &st) < 0)
			goto fail;
		moves[i] = st.seconds;
		changed = st.changed;
	}
	qsort(moves, (size_t)rounds, sizeof(double), cmp_double);
	printf("first %.3f s, move median %.3f s, max %.3f s (%zu file%s changed per move)\n",
	       first, moves[rounds / 2], moves[rounds - 1], changed, changed == 1 ? "" : "s");
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "exact_prepare: %s\n", impact_error_last());
done:
	impact_exact_close(ex);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
