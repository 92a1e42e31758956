/*
 * snapshot.h - the set of files of one side of a change, and their bytes.
 *
 * A snapshot is what impact analyses: the tree of a commit, the index
 * (--staged), or the working tree (index entries that still exist on disk,
 * plus untracked files git does not ignore). Entries are sorted by path
 * (byte order) and carry git's blob id, so parse results can be keyed by
 * it. Reading a TREE or INDEX snapshot never touches the working tree.
 * Submodules (gitlinks) and symlinks are listed with their mode and are
 * never followed.
 */
#ifndef IMPACT_SNAPSHOT_H
#define IMPACT_SNAPSHOT_H

#include "buf.h"

#include <git2.h>

typedef enum impact_snapshot_kind {
	IMPACT_SNAPSHOT_TREE = 0,
	IMPACT_SNAPSHOT_INDEX = 1,
	IMPACT_SNAPSHOT_WORKDIR = 2,
} impact_snapshot_kind;

#define IMPACT_MODE_FILE 0100644u
#define IMPACT_MODE_EXEC 0100755u
#define IMPACT_MODE_LINK 0120000u
#define IMPACT_MODE_GITLINK 0160000u

typedef struct impact_entry {
	const char *path; /* repo-relative, '/'-separated, any byte but NUL */
	git_oid oid;      /* blob id; for WORKDIR, the id git would give the file */
	uint32_t mode;    /* git file mode, IMPACT_MODE_* */
	uint32_t size;    /* bytes, when known cheaply; else 0 */
} impact_entry;

typedef struct impact_snapshot impact_snapshot;

/*
 * Open a snapshot. For IMPACT_SNAPSHOT_TREE, `tree` is the tree to list
 * (NULL means the empty tree); it is borrowed and must outlive nothing: the
 * snapshot takes its own reference. INDEX and WORKDIR ignore `tree`.
 * WORKDIR on a bare repository fails with IMPACT_EINVALID.
 * Returns 0 and the snapshot in *out (free with impact_snapshot_free).
 */
int impact_snapshot_open(impact_snapshot **out, git_repository *repo,
                         impact_snapshot_kind kind, const git_tree *tree);

void impact_snapshot_free(impact_snapshot *snap);

/* The repository the snapshot reads (borrowed from its opener). */
git_repository *impact_snapshot_repo(const impact_snapshot *snap);

/*
 * A TREE snapshot is listed on first need (count, entry, has_dir; find
 * looks single paths up in the tree until then). List it now: 0, or the
 * error listing met (the snapshot is then empty). Other kinds: 0.
 */
int impact_snapshot_list(impact_snapshot *snap);

/* The tree of a TREE snapshot (borrowed), else NULL. */
const git_tree *impact_snapshot_tree(const impact_snapshot *snap);

impact_snapshot_kind impact_snapshot_kind_of(const impact_snapshot *snap);
size_t impact_snapshot_count(const impact_snapshot *snap);
/* Entry i in path order; borrowed, lives as long as the snapshot. */
const impact_entry *impact_snapshot_entry(const impact_snapshot *snap, size_t i);
/* The entry at exactly `path`, or NULL. O(log n). */
const impact_entry *impact_snapshot_find(const impact_snapshot *snap,
                                         const char *path);
/*
 * True when some entry lives under directory `dir` (no trailing slash;
 * "" is the root). O(log n).
 */
bool impact_snapshot_has_dir(const impact_snapshot *snap, const char *dir);

/*
 * Append the content of `entry` to `out`: the blob (TREE, INDEX) or the
 * file on disk (WORKDIR). For a symlink, the link target. Fails with
 * IMPACT_EINVALID for a gitlink, IMPACT_ENOTFOUND if the file vanished.
 * Not thread-safe for one snapshot: call from one thread at a time.
 */
int impact_snapshot_read(impact_buf *out, impact_snapshot *snap,
                         const impact_entry *entry);

/*
 * An impact_file_reader (pytestcfg.h) over a snapshot: the content of
 * repo-relative `path` in the snapshot `payload`, IMPACT_ENOTFOUND when it
 * has no such file (or a gitlink there).
 */
int impact_snapshot_reader(impact_buf *out, const char *path, void *payload);

/*
 * 0 when `index` has no conflicted path; else IMPACT_EINVALID with a
 * message naming the first one: an index in the middle of a merge has no
 * single tree, and its "ours" stage alone would hide the other side's
 * change (a silently smaller selection). Used by every reader of an
 * INDEX snapshot; a WORKDIR one compares the files on disk instead.
 */
int impact_snapshot_index_resolved(git_index *index);

/* Set "'<path>' is a bare repository; give a revision range ..." and return IMPACT_EINVALID. */
int impact_snapshot_bare_error(git_repository *repo);

#endif
