/*
 * diff.h - what a revspec means and what changed in it (libgit2).
 *
 * impact_range_parse turns the user's revspec into an old tree and a new
 * side, with git's meaning: A..B, A.. (A..HEAD), ..B (HEAD..B), A...B (from
 * the merge base), a single <rev> (against its first parent; a root commit
 * against the empty tree), no revspec (index and working tree, untracked
 * files included, against HEAD) and --staged (index against HEAD). An
 * unborn HEAD compares against the empty tree.
 *
 * impact_diff_compute lists the changed files with rename detection on.
 * Neither ever writes the index, refs or the working tree.
 */
#ifndef IMPACT_DIFF_H
#define IMPACT_DIFF_H

#include "snapshot.h"

typedef struct impact_range {
	git_tree *old_tree;          /* NULL = the empty tree; owned */
	git_tree *new_tree;          /* NULL unless new_kind is TREE; owned */
	impact_snapshot_kind new_kind;
	git_oid old_commit;          /* zero when the old side is no commit */
	git_oid new_commit;          /* zero when the new side is no commit */
	char *old_label;             /* "HEAD~3" / "merge-base(main, topic)" / "(empty tree)"; owned */
	char *new_label;             /* "HEAD" / "(index)" / "(working tree)"; owned */
} impact_range;

/*
 * Parse `spec` (NULL or "" = uncommitted changes; `staged` = index only,
 * which must not be combined with a spec). On a bad revspec returns
 * IMPACT_EINVALID with a git-like message ("bad revision 'x': unknown
 * revision"), with a hint when the repository is a shallow clone.
 * Returns 0 and fills *out (release with impact_range_release).
 */
int impact_range_parse(impact_range *out, git_repository *repo,
                       const char *spec, bool staged);
void impact_range_release(impact_range *range);

typedef enum impact_change_status {
	IMPACT_CHANGE_ADDED = 'A',
	IMPACT_CHANGE_MODIFIED = 'M',
	IMPACT_CHANGE_DELETED = 'D',
	IMPACT_CHANGE_RENAMED = 'R',
	IMPACT_CHANGE_COPIED = 'C',
	IMPACT_CHANGE_TYPECHANGE = 'T',
} impact_change_status;

typedef struct impact_change {
	impact_change_status status;
	const char *old_path; /* NULL for ADDED; borrowed from the changeset */
	const char *new_path; /* NULL for DELETED; borrowed from the changeset */
	git_oid old_oid, new_oid;
	uint32_t old_mode, new_mode; /* IMPACT_MODE_*; 0 on the absent side */
	uint16_t similarity;         /* RENAMED/COPIED: 0..100 */
	bool binary;                 /* libgit2 already knows a side is binary;
	                                false may mean "not looked": settling it
	                                costs ~16 ms of attribute set-up, and no
	                                decision depends on it */
	bool untracked;              /* ADDED and not in the index (WORKDIR) */
} impact_change;

typedef struct impact_changeset {
	impact_change *changes; /* sorted by (new_path or old_path) */
	size_t n;
	void *arena;            /* private */
} impact_changeset;

/* Compute the changes of `range`. Returns 0 and *out (free with impact_changeset_free). */
int impact_diff_compute(impact_changeset **out, git_repository *repo,
                        const impact_range *range);
void impact_changeset_free(impact_changeset *set);

/* The path a change is known by: new_path, or old_path for a deletion. */
const char *impact_change_path(const impact_change *c);

#endif
