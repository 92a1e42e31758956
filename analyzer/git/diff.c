/*
 * diff.c - what the user's revspec means, and what changed in it (diff.h).
 *
 * impact_range_parse splits a range at its first ".." itself (as git and
 * libgit2 do) rather than handing the whole spec to git_revparse: libgit2
 * 1.5 does accept "A..", "..B" and "A...", but resolving each side on its
 * own lets errors name the side that is wrong, lets an unborn HEAD be told
 * apart from a typo, and gives the labels. Shallow clones get a hint on
 * every resolution failure, and a single revision whose parent was cut off
 * (its id is in the shallow file) is refused rather than diffed against the
 * empty tree, which would claim that every file changed.
 *
 * impact_diff_compute is libgit2's diff plus rename detection, copied into
 * a flat, path-sorted array. It never passes GIT_DIFF_UPDATE_INDEX: impact
 * does not write the index, refs, HEAD or the working tree. Untracked
 * directories that are repositories of their own are left out, as in
 * snapshot.c, and skip-worktree (sparse) entries count as matching the
 * index, as git counts them, though libgit2 1.5 sees them as deleted.
 */
#include "diff.h"

#include "strpool.h"

#include <sys/stat.h>
#include <unistd.h>

#define SHALLOW_HINT                                                           \
	"hint: this is a shallow clone: fetch more history with "              \
	"'git fetch --deepen=<n>' or 'git fetch --unshallow'"

#define UNBORN_MESSAGE                                                         \
	"HEAD has no commit yet: commit first, or run impact with no "         \
	"revision to test uncommitted changes"

/* Set `code` with the message `msg` plus the shallow hint if it applies. */
static int fail_with_hint(int code, git_repository *repo, const char *msg)
{
	if (git_repository_is_shallow(repo) == 1)
		return impact_error_set(code, "%s\n%s", msg, SHALLOW_HINT);
	return impact_error_set(code, "%s", msg);
}

/* Does revision text `rev` start from HEAD ("HEAD", "HEAD~2", "@^")? */
static bool names_head(const char *rev)
{
	if (!strncmp(rev, "HEAD", 4))
		return !rev[4] || strchr("~^@:", rev[4]);
	if (rev[0] == '@')
		return !rev[1] || strchr("~^{", rev[1]);
	return false;
}

static const char *object_kind(git_object_t type)
{
	switch (type) {
	case GIT_OBJECT_TREE:
		return "a tree";
	case GIT_OBJECT_BLOB:
		return "a blob";
	case GIT_OBJECT_TAG:
		return "a tag";
	default:
		return "not a commit";
	}
}

/*
 * Resolve revision text `rev` to a commit (caller frees *out). Errors are
 * git-like: EUNBORN for a HEAD that has no commit, EINVALID for a bad or
 * ambiguous revision or one that names no commit.
 */
static int resolve_commit(git_commit **out, git_repository *repo, const char *rev)
{
	git_object *obj = NULL, *peeled = NULL;
	impact_buf msg = IMPACT_BUF_INIT;
	int err, rc = 0;

	*out = NULL;
	err = git_revparse_single(&obj, repo, rev);
	if (err < 0) {
		if (names_head(rev) && git_repository_head_unborn(repo) == 1) {
			rc = impact_error_set(IMPACT_EUNBORN, UNBORN_MESSAGE);
		} else if (err == GIT_EAMBIGUOUS) {
			impact_buf_printf(&msg, "ambiguous revision '%s': give more "
			                  "characters of the commit id, or a full ref name",
			                  rev);
			rc = fail_with_hint(IMPACT_EINVALID, repo, msg.ptr);
		} else if (err == GIT_ENOTFOUND || err == GIT_EINVALIDSPEC ||
		           err == GIT_EUNBORNBRANCH) {
			impact_buf_printf(&msg, "bad revision '%s': unknown revision or "
			                  "path not in the working tree", rev);
			rc = fail_with_hint(IMPACT_EINVALID, repo, msg.ptr);
		} else {
			rc = impact_error_from_git(err, "cannot resolve '%s'", rev);
		}
		goto done;
	}
	err = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	if (err < 0) {
		git_object_t type = git_object_type(obj);
		if (type == GIT_OBJECT_TAG) {
			git_object *target = NULL;
			if (git_object_peel(&target, obj, GIT_OBJECT_ANY) == 0)
				type = git_object_type(target);
			git_object_free(target);
		}
		rc = impact_error_set(IMPACT_EINVALID,
		                      "'%s' is not a commit (it names %s)", rev,
		                      object_kind(type));
		goto done;
	}
	*out = (git_commit *)peeled;
	peeled = NULL;
done:
	impact_buf_release(&msg);
	git_object_free(obj);
	git_object_free(peeled);
	return rc;
}

/* Is `id` listed in the shallow file (its parents are not in this clone)? */
static bool is_shallow_boundary(git_repository *repo, const git_oid *id)
{
	impact_buf path = IMPACT_BUF_INIT, content = IMPACT_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	const char *line;
	bool found = false;

	if (git_repository_is_shallow(repo) != 1)
		return false;
	git_oid_tostr(hex, sizeof(hex), id);
	if (impact_buf_puts(&path, git_repository_commondir(repo)) < 0 ||
	    impact_buf_puts(&path, "shallow") < 0 ||
	    impact_buf_read_file(&content, path.ptr, 1 << 24) < 0)
		goto done;
	for (line = content.ptr; *line; ) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len >= GIT_OID_HEXSZ && !strncmp(line, hex, GIT_OID_HEXSZ)) {
			found = true;
			break;
		}
		line += len + (end ? 1 : 0);
	}
done:
	impact_error_clear();
	impact_buf_release(&path);
	impact_buf_release(&content);
	return found;
}

static int commit_tree(git_tree **out, const git_commit *c)
{
	int err = git_commit_tree(out, c);
	if (err < 0)
		return impact_error_from_git(err, "cannot read the tree of commit %s",
		                             git_oid_tostr_s(git_commit_id(c)));
	return 0;
}

/* No spec: HEAD (or the empty tree) against the index or the working tree. */
static int parse_uncommitted(impact_range *out, git_repository *repo, bool staged)
{
	git_commit *head = NULL;
	int rc, unborn;

	if (git_repository_is_bare(repo))
		return impact_snapshot_bare_error(repo);
	out->new_kind = staged ? IMPACT_SNAPSHOT_INDEX : IMPACT_SNAPSHOT_WORKDIR;
	out->new_label = impact_xstrdup(staged ? "(index)" : "(working tree)");
	unborn = git_repository_head_unborn(repo);
	if (unborn < 0)
		return impact_error_from_git(unborn, "cannot read HEAD");
	if (unborn) {
		out->old_label = impact_xstrdup("(empty tree)");
		return 0;
	}
	rc = resolve_commit(&head, repo, "HEAD");
	if (rc == 0)
		rc = commit_tree(&out->old_tree, head);
	if (rc == 0) {
		git_oid_cpy(&out->old_commit, git_commit_id(head));
		out->old_label = impact_xstrdup("HEAD");
	}
	git_commit_free(head);
	return rc;
}

/* A single revision: the commit against its first parent. */
static int parse_single(impact_range *out, git_repository *repo, const char *spec)
{
	git_commit *commit = NULL, *parent = NULL;
	impact_buf msg = IMPACT_BUF_INIT;
	int err, rc;

	rc = resolve_commit(&commit, repo, spec);
	if (rc < 0)
		goto done;
	rc = commit_tree(&out->new_tree, commit);
	if (rc < 0)
		goto done;
	git_oid_cpy(&out->new_commit, git_commit_id(commit));
	out->new_label = impact_xstrdup(spec);

	if (git_commit_parentcount(commit) == 0) {
		out->old_label = impact_xstrdup("(empty tree)");
		goto done;
	}
	if (is_shallow_boundary(repo, git_commit_id(commit))) {
		impact_buf_printf(&msg, "'%s' is the edge of this shallow clone: "
		                  "its parent commit is not here to compare with",
		                  spec);
		rc = fail_with_hint(IMPACT_EINVALID, repo, msg.ptr);
		goto done;
	}
	err = git_commit_parent(&parent, commit, 0);
	if (err == GIT_ENOTFOUND) {
		impact_buf_printf(&msg, "the parent of '%s' (%s) is missing from "
		                  "this repository", spec,
		                  git_oid_tostr_s(git_commit_parent_id(commit, 0)));
		rc = fail_with_hint(IMPACT_EINVALID, repo, msg.ptr);
		goto done;
	}
	if (err < 0) {
		rc = impact_error_from_git(err, "cannot read the parent of '%s'", spec);
		goto done;
	}
	rc = commit_tree(&out->old_tree, parent);
	if (rc < 0)
		goto done;
	git_oid_cpy(&out->old_commit, git_commit_id(parent));
	impact_buf_printf(&msg, "%s^", spec);
	out->old_label = impact_buf_detach(&msg);
done:
	impact_buf_release(&msg);
	git_commit_free(commit);
	git_commit_free(parent);
	return rc;
}

/* "A..B" or "A...B" (`dots` points at the first '.'); empty sides are HEAD. */
static int parse_range(impact_range *out, git_repository *repo,
                       const char *spec, const char *dots)
{
	bool three = dots[2] == '.';
	const char *right = dots + (three ? 3 : 2);
	char *a = dots == spec ? impact_xstrdup("HEAD")
	                       : impact_xstrndup(spec, (size_t)(dots - spec));
	char *b = impact_xstrdup(*right ? right : "HEAD");
	git_commit *ca = NULL, *cb = NULL, *base = NULL;
	impact_buf msg = IMPACT_BUF_INIT;
	git_buf short_id = GIT_BUF_INIT;
	git_oid base_id;
	int err, rc;

	rc = resolve_commit(&ca, repo, a);
	if (rc == 0)
		rc = resolve_commit(&cb, repo, b);
	if (rc < 0)
		goto done;
	rc = commit_tree(&out->new_tree, cb);
	if (rc < 0)
		goto done;
	git_oid_cpy(&out->new_commit, git_commit_id(cb));
	out->new_label = impact_xstrdup(b);

	if (!three) {
		rc = commit_tree(&out->old_tree, ca);
		if (rc < 0)
			goto done;
		git_oid_cpy(&out->old_commit, git_commit_id(ca));
		out->old_label = impact_xstrdup(a);
		goto done;
	}
	err = git_merge_base(&base_id, repo, git_commit_id(ca), git_commit_id(cb));
	if (err == GIT_ENOTFOUND) {
		impact_buf_printf(&msg, "'%s' and '%s' have no common ancestor", a, b);
		rc = fail_with_hint(IMPACT_EINVALID, repo, msg.ptr);
		goto done;
	}
	if (err == 0)
		err = git_commit_lookup(&base, repo, &base_id);
	if (err == 0)
		err = git_object_short_id(&short_id, (const git_object *)base);
	if (err < 0) {
		rc = impact_error_from_git(err, "cannot find the merge base of '%s' "
		                           "and '%s'", a, b);
		goto done;
	}
	rc = commit_tree(&out->old_tree, base);
	if (rc < 0)
		goto done;
	git_oid_cpy(&out->old_commit, &base_id);
	impact_buf_printf(&msg, "%s (merge base of %s and %s)", short_id.ptr, a, b);
	out->old_label = impact_buf_detach(&msg);
done:
	git_buf_dispose(&short_id);
	impact_buf_release(&msg);
	git_commit_free(ca);
	git_commit_free(cb);
	git_commit_free(base);
	free(a);
	free(b);
	return rc;
}

int impact_range_parse(impact_range *out, git_repository *repo,
                       const char *spec, bool staged)
{
	const char *dots;
	int rc;

	memset(out, 0, sizeof(*out));
	out->new_kind = IMPACT_SNAPSHOT_TREE;
	if (staged && spec && *spec)
		return impact_error_set(IMPACT_EINVALID, "--staged compares the index "
		                        "with HEAD and takes no revision");
	if (!spec || !*spec)
		rc = parse_uncommitted(out, repo, staged);
	else if ((dots = strstr(spec, "..")) != NULL)
		rc = parse_range(out, repo, spec, dots);
	else
		rc = parse_single(out, repo, spec);
	if (rc < 0)
		impact_range_release(out);
	return rc;
}

void impact_range_release(impact_range *range)
{
	if (!range)
		return;
	git_tree_free(range->old_tree);
	git_tree_free(range->new_tree);
	free(range->old_label);
	free(range->new_label);
	memset(range, 0, sizeof(*range));
}

/* ---- the changes ---- */

/*
 * libgit2 leaves a working-tree file's id unset when it did not need it
 * (size changed, untracked); compute it as git add would. A file that
 * vanished meanwhile keeps the zero id rather than failing the diff.
 */
static void fill_workdir_id(git_oid *out, git_repository *repo,
                            const char *path, uint32_t mode)
{
	impact_buf full = IMPACT_BUF_INIT, target = IMPACT_BUF_INIT;
	size_t cap = 256;

	if (impact_buf_puts(&full, git_repository_workdir(repo)) < 0 ||
	    impact_buf_puts(&full, path) < 0)
		goto done;
	if (mode == IMPACT_MODE_LINK) {
		for (;;) {
			ssize_t n;
			if (impact_buf_grow(&target, cap) < 0)
				goto done;
			n = readlink(full.ptr, target.ptr, cap);
			if (n < 0)
				goto done;
			if ((size_t)n < cap) {
				git_odb_hash(out, target.ptr, (size_t)n, GIT_OBJECT_BLOB);
				break;
			}
			cap *= 2;
		}
	} else if (mode == IMPACT_MODE_FILE || mode == IMPACT_MODE_EXEC) {
		/* as_path: the filters (CRLF, ident) of the file's own path. */
		if (git_repository_hashfile(out, repo, full.ptr, GIT_OBJECT_BLOB,
		                            path) < 0)
			memset(out, 0, sizeof(*out));
	}
done:
	git_error_clear();
	impact_error_clear();
	impact_buf_release(&full);
	impact_buf_release(&target);
}

static int status_of(impact_change *c, const git_diff_delta *d)
{
	bool has_old = d->old_file.mode != 0;
	bool has_new = d->new_file.mode != 0;

	switch (d->status) {
	case GIT_DELTA_ADDED:
		c->status = IMPACT_CHANGE_ADDED;
		return 0;
	case GIT_DELTA_UNTRACKED:
		c->status = IMPACT_CHANGE_ADDED;
		c->untracked = true;
		return 0;
	case GIT_DELTA_DELETED:
		c->status = IMPACT_CHANGE_DELETED;
		return 0;
	case GIT_DELTA_MODIFIED:
		c->status = IMPACT_CHANGE_MODIFIED;
		return 0;
	case GIT_DELTA_RENAMED:
		c->status = IMPACT_CHANGE_RENAMED;
		return 0;
	case GIT_DELTA_COPIED:
		c->status = IMPACT_CHANGE_COPIED;
		return 0;
	case GIT_DELTA_TYPECHANGE:
		c->status = IMPACT_CHANGE_TYPECHANGE;
		return 0;
	case GIT_DELTA_UNREADABLE:
		/* Changed, but libgit2 cannot say how: judge by the sides. */
		c->status = !has_old ? IMPACT_CHANGE_ADDED
		            : !has_new ? IMPACT_CHANGE_DELETED
		                       : IMPACT_CHANGE_MODIFIED;
		return 0;
	default:
		return -1; /* unmodified, ignored: not a change */
	}
}

static int compare_change(const void *a, const void *b)
{
	const impact_change *x = a, *y = b;
	int c = strcmp(impact_change_path(x), impact_change_path(y));
	if (c)
		return c;
	return (x->status > y->status) - (x->status < y->status);
}

/* Past this many changed paths, a pathspec costs more than it saves. */
#define MAX_PATHSPEC 4096

typedef struct pathlist {
	impact_strlist paths;
	bool overflow;
} pathlist;

static int tree_paths(pathlist *out, git_repository *repo, const git_oid *tree, const char *prefix);

/* `prefix` + `name`, and every blob below it when it is a tree. */
static int entry_paths(pathlist *out, git_repository *repo, const char *prefix,
                       const git_tree_entry *e)
{
	impact_buf path = IMPACT_BUF_INIT;
	int rc = 0;
	impact_buf_printf(&path, "%s%s", prefix, git_tree_entry_name(e));
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		impact_buf_putc(&path, '/');
		rc = tree_paths(out, repo, git_tree_entry_id(e), path.ptr);
	} else if (out->paths.n >= MAX_PATHSPEC) {
		out->overflow = true;
	} else {
		impact_strlist_push(&out->paths, path.ptr);
	}
	impact_buf_release(&path);
	return rc;
}

static int tree_paths(pathlist *out, git_repository *repo, const git_oid *id, const char *prefix)
{
	git_tree *t = NULL;
	int err = git_tree_lookup(&t, repo, id);
	for (size_t i = 0; err == 0 && !out->overflow && t && i < git_tree_entrycount(t); i++)
		err = entry_paths(out, repo, prefix, git_tree_entry_byindex(t, i));
	git_tree_free(t);
	return err;
}

/*
 * The paths where trees `a` and `b` differ, skipping subtrees with the
 * same id: a commit touching one file of 50,000 reads a few trees.
 * libgit2's tree diff walks every entry of both trees unless a pathspec
 * names the paths, so this list becomes that pathspec.
 */
static int changed_paths(pathlist *out, git_repository *repo, const git_tree *a,
                         const git_tree *b, const char *prefix)
{
	size_t na = a ? git_tree_entrycount(a) : 0, nb = b ? git_tree_entrycount(b) : 0;
	impact_buf sub = IMPACT_BUF_INIT;
	int err = 0;

	for (size_t i = 0; i < na && !err && !out->overflow; i++) {
		const git_tree_entry *ea = git_tree_entry_byindex(a, i);
		const git_tree_entry *eb = b ? git_tree_entry_byname(b, git_tree_entry_name(ea)) : NULL;
		if (eb && git_tree_entry_filemode_raw(ea) == git_tree_entry_filemode_raw(eb) &&
		    git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)))
			continue;
		if (eb && git_tree_entry_type(ea) == GIT_OBJECT_TREE &&
		    git_tree_entry_type(eb) == GIT_OBJECT_TREE) {
			git_tree *ta = NULL, *tb = NULL;
			impact_buf_clear(&sub);
			impact_buf_printf(&sub, "%s%s/", prefix, git_tree_entry_name(ea));
			if ((err = git_tree_lookup(&ta, repo, git_tree_entry_id(ea))) == 0 &&
			    (err = git_tree_lookup(&tb, repo, git_tree_entry_id(eb))) == 0)
				err = changed_paths(out, repo, ta, tb, sub.ptr);
			git_tree_free(ta);
			git_tree_free(tb);
			continue;
		}
		err = entry_paths(out, repo, prefix, ea);
		if (!err && eb)
			err = entry_paths(out, repo, prefix, eb);
	}
	for (size_t i = 0; i < nb && !err && !out->overflow; i++) {
		const git_tree_entry *eb = git_tree_entry_byindex(b, i);
		if (!a || !git_tree_entry_byname(a, git_tree_entry_name(eb)))
			err = entry_paths(out, repo, prefix, eb);
	}
	impact_buf_release(&sub);
	return err;
}

static int make_diff(git_diff **out, git_repository *repo,
                     const impact_range *range)
{
	git_diff_options opts;
	git_index *index = NULL;
	pathlist changed = { { 0 }, false };
	int err = 0;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	/* Never GIT_DIFF_UPDATE_INDEX. Submodules: only their commit counts. */
	opts.flags = GIT_DIFF_INCLUDE_TYPECHANGE;
	opts.ignore_submodules = GIT_SUBMODULE_IGNORE_DIRTY;

	switch (range->new_kind) {
	case IMPACT_SNAPSHOT_TREE:
		/* The exact paths as a pathspec (when there are not too many). */
		if (changed_paths(&changed, repo, range->old_tree, range->new_tree, "") == 0 &&
		    !changed.overflow) {
			if (!changed.paths.n) {
				impact_strlist_release(&changed.paths);
				/* Nothing differs: an empty diff, still from libgit2. */
				impact_strlist_push(&changed.paths, "\x01impact-no-such-path");
			}
			opts.pathspec.strings = changed.paths.items;
			opts.pathspec.count = changed.paths.n;
			opts.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH;
		}
		git_error_clear();
		err = git_diff_tree_to_tree(out, repo, range->old_tree,
		                            range->new_tree, &opts);
		impact_strlist_release(&changed.paths);
		break;
	case IMPACT_SNAPSHOT_INDEX:
		if (git_repository_is_bare(repo))
			return impact_snapshot_bare_error(repo);
		err = git_repository_index(&index, repo);
		if (err == 0)
			err = git_index_read(index, 0);
		if (err == 0 && impact_snapshot_index_resolved(index) < 0) {
			git_index_free(index);
			return IMPACT_EINVALID;
		}
		if (err == 0)
			err = git_diff_tree_to_index(out, repo, range->old_tree, index,
			                             &opts);
		git_index_free(index);
		break;
	case IMPACT_SNAPSHOT_WORKDIR:
		if (git_repository_is_bare(repo))
			return impact_snapshot_bare_error(repo);
		opts.flags |= GIT_DIFF_INCLUDE_UNTRACKED |
		              GIT_DIFF_RECURSE_UNTRACKED_DIRS;
		err = git_diff_tree_to_workdir_with_index(out, repo, range->old_tree,
		                                          &opts);
		break;
	default:
		return impact_error_set(IMPACT_EINVALID, "unknown snapshot kind %d",
		                        (int)range->new_kind);
	}
	if (err < 0)
		return impact_error_from_git(err, "cannot compare %s with %s",
		                             range->old_label ? range->old_label : "?",
		                             range->new_label ? range->new_label : "?");
	return 0;
}

/* The working-tree mode of `path` as git would record it, or 0 if absent. */
static uint32_t workdir_mode(git_repository *repo, const char *path)
{
	impact_buf full = IMPACT_BUF_INIT;
	struct stat st;
	uint32_t mode = 0;

	if (impact_buf_puts(&full, git_repository_workdir(repo)) == 0 &&
	    impact_buf_puts(&full, path) == 0 && lstat(full.ptr, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			mode = IMPACT_MODE_LINK;
		else if (S_ISREG(st.st_mode))
			mode = (st.st_mode & 0100) ? IMPACT_MODE_EXEC : IMPACT_MODE_FILE;
		else if (S_ISDIR(st.st_mode))
			mode = IMPACT_MODE_GITLINK; /* not hashed, never read */
	}
	impact_buf_release(&full);
	return mode;
}

/*
 * A path with a merge conflict in the index. libgit2 says only that it is
 * conflicted, with neither side filled in; git diff compares the old tree
 * with the working-tree file (with its conflict markers), and, for the
 * index, impact takes the "ours" stage, as snapshot.c does. Fills both
 * sides of `c` and its status; -1 when neither side exists.
 */
static int fill_conflict(impact_change *c, const git_diff_delta *d,
                         git_repository *repo, const impact_range *range,
                         git_index *index, impact_strpool *pool)
{
	const char *path = d->new_file.path ? d->new_file.path : d->old_file.path;
	git_tree_entry *te = NULL;
	bool has_old, has_new;

	path = impact_strpool_get(pool, impact_strpool_interns(pool, path));
	if (range->old_tree && git_tree_entry_bypath(&te, range->old_tree, path) == 0) {
		git_oid_cpy(&c->old_oid, git_tree_entry_id(te));
		c->old_mode = (uint32_t)git_tree_entry_filemode_raw(te);
		git_tree_entry_free(te);
	}
	git_error_clear();
	if (range->new_kind == IMPACT_SNAPSHOT_WORKDIR) {
		c->new_mode = workdir_mode(repo, path);
		if (c->new_mode != IMPACT_MODE_GITLINK)
			fill_workdir_id(&c->new_oid, repo, path, c->new_mode);
	} else if (index) {
		const git_index_entry *anc = NULL, *ours = NULL, *theirs = NULL;
		const git_index_entry *pick;
		git_index_conflict_get(&anc, &ours, &theirs, index, path);
		git_error_clear();
		pick = ours ? ours : theirs ? theirs : anc;
		if (pick) {
			git_oid_cpy(&c->new_oid, &pick->id);
			c->new_mode = pick->mode;
		}
	}
	has_old = c->old_mode != 0;
	has_new = c->new_mode != 0;
	if (!has_old && !has_new)
		return -1;
	c->old_path = has_old ? path : NULL;
	c->new_path = has_new ? path : NULL;
	if (!has_old)
		c->status = IMPACT_CHANGE_ADDED;
	else if (!has_new)
		c->status = IMPACT_CHANGE_DELETED;
	else if ((c->old_mode & 0170000) != (c->new_mode & 0170000))
		c->status = IMPACT_CHANGE_TYPECHANGE;
	else
		c->status = IMPACT_CHANGE_MODIFIED;
	return 0;
}

/* The index entry of `path` if it is marked skip-worktree (sparse), or NULL. */
static const git_index_entry *sparse_entry(git_index *index, const char *path)
{
	const git_index_entry *ie = index ? git_index_get_bypath(index, path, 0) : NULL;
	return ie && (ie->flags_extended & GIT_INDEX_ENTRY_SKIP_WORKTREE) ? ie : NULL;
}

/*
 * libgit2 1.5 takes a skip-worktree entry missing from disk for a deletion;
 * git takes it as matching the index. Turn the working-tree side of such a
 * change back into the index entry. Returns -1 when nothing is left.
 */
static int unsparse(impact_change *c, const git_index_entry *ie, git_index *index)
{
	if (c->status == IMPACT_CHANGE_RENAMED || c->status == IMPACT_CHANGE_COPIED) {
		/* The source stays; what remains is a new file. */
		c->status = IMPACT_CHANGE_ADDED;
		c->old_path = NULL;
		memset(&c->old_oid, 0, sizeof(c->old_oid));
		c->old_mode = 0;
		c->similarity = 0;
		c->untracked = !git_index_get_bypath(index, c->new_path, 0);
		return 0;
	}
	if (git_oid_equal(&c->old_oid, &ie->id) && c->old_mode == ie->mode)
		return -1;
	c->new_path = c->old_path;
	git_oid_cpy(&c->new_oid, &ie->id);
	c->new_mode = ie->mode;
	c->status = (c->old_mode & 0170000) == (ie->mode & 0170000)
	                    ? IMPACT_CHANGE_MODIFIED
	                    : IMPACT_CHANGE_TYPECHANGE;
	return 0;
}


int impact_diff_compute(impact_changeset **out, git_repository *repo,
                        const impact_range *range)
{
	git_diff_find_options find;
	git_diff *diff = NULL;
	git_index *index = NULL;
	impact_changeset *set = NULL;
	impact_strpool *pool = NULL;
	bool workdir = range->new_kind == IMPACT_SNAPSHOT_WORKDIR;
	size_t i, count;
	int err, rc;

	*out = NULL;
	rc = make_diff(&diff, repo, range);
	if (rc < 0)
		goto done;
	if (range->new_kind != IMPACT_SNAPSHOT_TREE &&
	    (err = git_repository_index(&index, repo)) < 0) {
		rc = impact_error_from_git(err, "cannot open the index");
		goto done;
	}
	git_diff_find_options_init(&find, GIT_DIFF_FIND_OPTIONS_VERSION);
	find.flags = GIT_DIFF_FIND_RENAMES;
	if (workdir)
		find.flags |= GIT_DIFF_FIND_FOR_UNTRACKED;
	err = git_diff_find_similar(diff, &find);
	if (err < 0) {
		rc = impact_error_from_git(err, "cannot detect renames");
		goto done;
	}

	count = git_diff_num_deltas(diff);
	pool = impact_strpool_new();
	set = impact_xcalloc(1, sizeof(*set));
	set->changes = impact_xcalloc(count ? count : 1, sizeof(*set->changes));
	for (i = 0; i < count; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		impact_change *c = &set->changes[set->n];
		const git_index_entry *sparse;
		size_t len;

		memset(c, 0, sizeof(*c));
		if (!d)
			continue;
		if (d->status == GIT_DELTA_CONFLICTED) {
			if (fill_conflict(c, d, repo, range, index, pool) == 0)
				set->n++;
			continue;
		}
		if (status_of(c, d) < 0)
			continue;
		len = strlen(d->new_file.path);
		if (c->untracked && len && d->new_file.path[len - 1] == '/')
			continue; /* a nested repository */
		if (c->status != IMPACT_CHANGE_ADDED) {
			c->old_path = impact_strpool_get(pool,
				impact_strpool_interns(pool, d->old_file.path));
			git_oid_cpy(&c->old_oid, &d->old_file.id);
			c->old_mode = (uint32_t)d->old_file.mode;
		}
		if (c->status != IMPACT_CHANGE_DELETED) {
			c->new_path = impact_strpool_get(pool,
				impact_strpool_interns(pool, d->new_file.path));
			git_oid_cpy(&c->new_oid, &d->new_file.id);
			c->new_mode = (uint32_t)d->new_file.mode;
			if (workdir && !(d->new_file.flags & GIT_DIFF_FLAG_VALID_ID) &&
			    c->new_mode != IMPACT_MODE_GITLINK)
				fill_workdir_id(&c->new_oid, repo, c->new_path,
				                c->new_mode);
		}
		if (c->status == IMPACT_CHANGE_RENAMED ||
		    c->status == IMPACT_CHANGE_COPIED)
			c->similarity = d->similarity;
		c->binary = (d->flags | d->old_file.flags | d->new_file.flags) &
		            GIT_DIFF_FLAG_BINARY;
		if (workdir && c->old_path &&
		    (sparse = sparse_entry(index, c->old_path)) != NULL &&
		    unsparse(c, sparse, index) < 0)
			continue;
		set->n++;
	}
	if (set->n)
		qsort(set->changes, set->n, sizeof(*set->changes), compare_change);
	set->arena = pool;
	pool = NULL;
	*out = set;
	set = NULL;
	rc = 0;
done:
	impact_strpool_free(pool);
	impact_changeset_free(set);
	git_index_free(index);
	git_diff_free(diff);
	return rc;
}

void impact_changeset_free(impact_changeset *set)
{
	if (!set)
		return;
	impact_strpool_free(set->arena);
	free(set->changes);
	free(set);
}

const char *impact_change_path(const impact_change *c)
{
	return c->new_path ? c->new_path : c->old_path;
}
