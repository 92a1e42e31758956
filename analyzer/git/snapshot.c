/*
 * snapshot.c - the files of one side of a change: a tree, the index, or the
 * working tree (see snapshot.h).
 *
 * A snapshot is a flat array of entries sorted by path in byte order, with
 * paths in an arena freed at once; find and has_dir are binary searches.
 * Every kind is read-only towards the repository: the index is read, never
 * written (no GIT_STATUS_OPT_UPDATE_INDEX), and nothing else is touched.
 *
 * WORKDIR starts from the index and asks libgit2's status (index against
 * working tree only) what differs: deleted entries are dropped, modified
 * ones re-hashed as git would hash them now, untracked ones added. Entries
 * marked skip-worktree (sparse checkout) are kept with the index id and
 * read from the index blob, since their absence on disk is not a deletion.
 * Untracked directories that are repositories of their own are not listed:
 * git would add them as gitlinks, but there is nothing of them to analyse.
 *
 * A TREE snapshot is listed lazily: a run that finds its project in the
 * cache only looks up a few paths (configuration files, the changed
 * files), which git_tree_entry_bypath answers without walking 50,000
 * entries. The first call that needs the whole list (count, entry,
 * has_dir) walks the tree once.
 */
#include "snapshot.h"

#include "arena.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Entry comes from the index blob even in a WORKDIR snapshot. */
#define ENTRY_FROM_BLOB 0x1u

/* An entry while the snapshot is being built: sorted, then split. */
typedef struct building {
	impact_entry e;
	unsigned flags;
	unsigned rank;   /* index stage preference, lower wins */
	bool removed;
} building;

struct impact_snapshot {
	impact_snapshot_kind kind;
	git_repository *repo; /* borrowed */
	git_tree *tree;       /* TREE: owned; listed on first need (see listed) */
	bool listed;          /* entries hold the whole snapshot */
	int list_error;       /* TREE: listing failed (entries then empty) */
	impact_entry *entries;
	unsigned char *flags; /* ENTRY_* per entry */
	size_t n;
	impact_arena arena;   /* entry paths */
};

/* a[0..alen) + b[0..blen), NUL-terminated, in the snapshot's arena. */
static char *arena_strdup(impact_snapshot *s, const char *a, size_t alen,
                          const char *b, size_t blen)
{
	char *dst = impact_arena_alloc(&s->arena, alen + blen + 1);
	memcpy(dst, a, alen);
	if (blen)
		memcpy(dst + alen, b, blen);
	dst[alen + blen] = '\0';
	return dst;
}

static int compare_building(const void *a, const void *b)
{
	const building *x = a, *y = b;
	int c = strcmp(x->e.path, y->e.path);
	if (c)
		return c;
	return (x->rank > y->rank) - (x->rank < y->rank);
}

static void sort_items(building *items, size_t n)
{
	size_t i;

	/* Trees and the index usually come sorted already: checking is cheaper. */
	for (i = 1; i < n && compare_building(&items[i - 1], &items[i]) <= 0; i++)
		;
	if (i < n)
		qsort(items, n, sizeof(*items), compare_building);
}

/* Sort, drop removed entries and later duplicates, and move into `s`. */
static void finish(impact_snapshot *s, building *items, size_t n)
{
	size_t i, out = 0;

	sort_items(items, n);
	s->entries = impact_xcalloc(n ? n : 1, sizeof(*s->entries));
	s->flags = impact_xcalloc(n ? n : 1, 1);
	for (i = 0; i < n; i++) {
		if (items[i].removed)
			continue;
		if (out && !strcmp(s->entries[out - 1].path, items[i].e.path))
			continue;
		s->entries[out] = items[i].e;
		s->flags[out] = (unsigned char)items[i].flags;
		out++;
	}
	s->n = out;
}

/* ---- TREE ---- */

typedef struct tree_walk {
	impact_snapshot *snap;
	building *items;
	size_t n, alloc;
} tree_walk;

static int tree_walk_cb(const char *root, const git_tree_entry *te, void *payload)
{
	tree_walk *w = payload;
	git_filemode_t mode = git_tree_entry_filemode_raw(te);
	const char *name = git_tree_entry_name(te);
	building b;

	if (mode == GIT_FILEMODE_TREE)
		return 0;
	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE &&
	    mode != GIT_FILEMODE_LINK && mode != GIT_FILEMODE_COMMIT)
		return 0;
	memset(&b, 0, sizeof(b));
	b.e.path = arena_strdup(w->snap, root, strlen(root), name, strlen(name));
	git_oid_cpy(&b.e.oid, git_tree_entry_id(te));
	b.e.mode = (uint32_t)mode;
	IMPACT_PUSH(w->items, w->n, w->alloc, b);
	return 0;
}

static int open_tree(impact_snapshot *s, const git_tree *tree)
{
	tree_walk w = { s, NULL, 0, 0 };
	int err;

	if (tree) {
		err = git_tree_walk(tree, GIT_TREEWALK_PRE, tree_walk_cb, &w);
		if (err < 0) {
			free(w.items);
			return impact_error_from_git(err, "cannot list tree %s",
			                             git_oid_tostr_s(git_tree_id(tree)));
		}
	}
	finish(s, w.items, w.n);
	free(w.items);
	return 0;
}

/* ---- INDEX ---- */

/* Stage preference for a conflicted path: merged, ours, theirs, base. */
static unsigned stage_rank(int stage)
{
	static const unsigned rank[4] = { 0, 3, 1, 2 };
	return rank[stage & 3];
}

/*
 * The index entries, every stage of a conflicted path included (finish()
 * keeps the best-ranked one), and the index itself, which the caller frees.
 */
static int load_index(building **items_out, size_t *n_out, impact_snapshot *s,
                      git_index **index_out)
{
	git_index *index = NULL;
	building *items = NULL;
	size_t i, n = 0, count;
	int err, rc = 0;

	err = git_repository_index(&index, s->repo);
	/* Pick up changes made on disk since libgit2 last read it; reading only. */
	if (err == 0)
		err = git_index_read(index, 0);
	if (err < 0) {
		rc = impact_error_from_git(err, "cannot read the index");
		goto done;
	}
	count = git_index_entrycount(index);
	items = impact_xcalloc(count ? count : 1, sizeof(*items));
	for (i = 0; i < count; i++) {
		const git_index_entry *ie = git_index_get_byindex(index, i);
		building *b;
		if (!ie)
			continue;
		b = &items[n++];
		b->e.path = arena_strdup(s, ie->path, strlen(ie->path), "", 0);
		git_oid_cpy(&b->e.oid, &ie->id);
		b->e.mode = ie->mode;
		b->e.size = ie->file_size;
		b->rank = stage_rank(GIT_INDEX_ENTRY_STAGE(ie));
		if (ie->flags_extended & GIT_INDEX_ENTRY_SKIP_WORKTREE)
			b->flags |= ENTRY_FROM_BLOB;
	}
done:
	if (rc < 0) {
		git_index_free(index);
		index = NULL;
	}
	*items_out = items;
	*n_out = n;
	*index_out = index;
	return rc;
}

static int open_index(impact_snapshot *s)
{
	git_index *index = NULL;
	building *items = NULL;
	size_t n = 0;
	int err;

	err = load_index(&items, &n, s, &index);
	if (err < 0)
		return err;
	err = impact_snapshot_index_resolved(index);
	if (err < 0) {
		free(items);
		git_index_free(index);
		return err;
	}
	/* INDEX reads everything from blobs, whatever skip-worktree says. */
	for (size_t i = 0; i < n; i++)
		items[i].flags = 0;
	finish(s, items, n);
	free(items);
	git_index_free(index);
	return 0;
}

/* ---- WORKDIR ---- */

int impact_snapshot_index_resolved(git_index *index)
{
	size_t count = git_index_entrycount(index), conflicted = 0;
	const char *first = NULL, *prev = NULL;
	for (size_t i = 0; i < count; i++) {
		const git_index_entry *ie = git_index_get_byindex(index, i);
		if (!ie || GIT_INDEX_ENTRY_STAGE(ie) == 0)
			continue;
		/* A conflicted path has up to three stage entries, next to each other. */
		if (!prev || strcmp(prev, ie->path))
			conflicted++;
		prev = ie->path;
		if (!first)
			first = ie->path;
	}
	if (!conflicted)
		return 0;
	if (conflicted == 1)
		return impact_error_set(IMPACT_EINVALID, "the index has an unresolved merge conflict "
		                        "in '%s': it has no single tree to compare; resolve it and "
		                        "'git add' it, or leave out --staged to compare the working tree",
		                        first);
	return impact_error_set(IMPACT_EINVALID, "the index has unresolved merge conflicts in '%s' "
	                        "and %zu more: it has no single tree to compare; resolve them and "
	                        "'git add' them, or leave out --staged to compare the working tree",
	                        first, conflicted - 1);
}

int impact_snapshot_bare_error(git_repository *repo)
{
	const char *path = git_repository_path(repo);
	size_t len = strlen(path);
	if (len > 1 && path[len - 1] == '/')
		len--;
	return impact_error_set(IMPACT_EINVALID,
	                        "'%.*s' is a bare repository; give a revision "
	                        "range such as HEAD~1..", (int)len, path);
}

/* Read the target of symlink `full` (appending to `out`). */
static int read_link(impact_buf *out, const char *full)
{
	size_t cap = 256;
	for (;;) {
		ssize_t n;
		if (impact_buf_grow(out, cap) < 0)
			return IMPACT_ERROR;
		n = readlink(full, out->ptr + out->size, cap);
		if (n < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				return impact_error_set(IMPACT_ENOTFOUND,
				                        "'%s' does not exist", full);
			return impact_error_from_errno(errno, "cannot read link '%s'",
			                               full);
		}
		if ((size_t)n < cap) {
			out->size += (size_t)n;
			out->ptr[out->size] = '\0';
			return 0;
		}
		cap *= 2;
	}
}

/*
 * What git would record for `path` in the working tree now: mode, blob id
 * and size. `hint_mode` is libgit2's idea of the mode (it knows
 * core.filemode), 0 if none. Returns IMPACT_ENOTFOUND when the path is
 * gone or is a directory (a nested repository), which the caller drops.
 */
static int hash_workdir_file(impact_entry *e, git_repository *repo,
                             impact_buf *full, const char *path,
                             uint32_t hint_mode)
{
	struct stat st;
	size_t base = full->size;
	int err, rc = 0;

	if (impact_buf_puts(full, path) < 0)
		return IMPACT_ERROR;
	if (lstat(full->ptr, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			rc = IMPACT_ENOTFOUND;
		else
			rc = impact_error_from_errno(errno, "cannot stat '%s'", full->ptr);
		goto done;
	}
	if (S_ISLNK(st.st_mode)) {
		impact_buf target = IMPACT_BUF_INIT;
		rc = read_link(&target, full->ptr);
		if (rc == 0) {
			err = git_odb_hash(&e->oid, target.ptr, target.size,
			                   GIT_OBJECT_BLOB);
			if (err < 0)
				rc = impact_error_from_git(err, "cannot hash '%s'", path);
		}
		impact_buf_release(&target);
		e->mode = IMPACT_MODE_LINK;
		e->size = (uint32_t)st.st_size;
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = IMPACT_ENOTFOUND;
		goto done;
	}
	if (hint_mode == IMPACT_MODE_FILE || hint_mode == IMPACT_MODE_EXEC)
		e->mode = hint_mode;
	else
		e->mode = (st.st_mode & 0100) ? IMPACT_MODE_EXEC : IMPACT_MODE_FILE;
	e->size = st.st_size > UINT32_MAX ? 0 : (uint32_t)st.st_size;
	/* hashfile applies the path's filters (CRLF, ident), as git add would. */
	err = git_repository_hashfile(&e->oid, repo, full->ptr, GIT_OBJECT_BLOB,
	                              path);
	if (err < 0)
		rc = err == GIT_ENOTFOUND
		             ? IMPACT_ENOTFOUND
		             : impact_error_from_git(err, "cannot hash '%s'", path);
done:
	impact_buf_truncate(full, base);
	return rc;
}

static building *find_building(building *items, size_t n, const char *path)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(items[mid].e.path, path);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Entries of one path are adjacent and ordered by rank; take them all. */
	return lo < n && !strcmp(items[lo].e.path, path) ? &items[lo] : NULL;
}

/* Drop `b` and the other stages of its path that follow it. */
static void remove_path(building *b, const building *end)
{
	const char *path = b->e.path;
	for (; b < end && !strcmp(b->e.path, path); b++)
		b->removed = true;
}

static uint32_t delta_mode(const git_diff_file *f)
{
	return f->mode == GIT_FILEMODE_BLOB || f->mode == GIT_FILEMODE_BLOB_EXECUTABLE
	               ? (uint32_t)f->mode
	               : 0;
}

static int open_workdir(impact_snapshot *s)
{
	git_status_options opts;
	git_status_list *status = NULL;
	git_index *index = NULL;
	building *items = NULL;
	impact_buf full = IMPACT_BUF_INIT;
	size_t n = 0, alloc, nindex, i, count, base;
	int err, rc = IMPACT_ERROR;

	if (git_repository_is_bare(s->repo) || !git_repository_workdir(s->repo))
		return impact_snapshot_bare_error(s->repo);
	rc = load_index(&items, &n, s, &index);
	if (rc < 0)
		goto done;
	rc = IMPACT_ERROR;
	alloc = n ? n : 1;
	nindex = n;
	sort_items(items, n); /* for find_building */

	git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	opts.show = GIT_STATUS_SHOW_WORKDIR_ONLY;
	/* Never GIT_STATUS_OPT_UPDATE_INDEX: impact does not write the index. */
	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED |
	             GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
	             GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	err = git_status_list_new(&status, s->repo, &opts);
	if (err < 0) {
		impact_error_from_git(err, "cannot compare the index with the working tree");
		goto done;
	}
	if (impact_buf_puts(&full, git_repository_workdir(s->repo)) < 0)
		goto done;
	base = full.size;

	count = git_status_list_entrycount(status);
	for (i = 0; i < count; i++) {
		const git_status_entry *se = git_status_byindex(status, i);
		const git_diff_delta *d = se ? se->index_to_workdir : NULL;
		building *b;

		if (!d)
			continue;
		if (se->status & GIT_STATUS_WT_NEW) {
			building nb;
			const char *path = d->new_file.path;
			size_t len = strlen(path);
			if (!len || path[len - 1] == '/')
				continue; /* a nested repository */
			memset(&nb, 0, sizeof(nb));
			err = hash_workdir_file(&nb.e, s->repo, &full, path,
			                        delta_mode(&d->new_file));
			if (err == IMPACT_ENOTFOUND)
				continue;
			if (err < 0) {
				rc = err;
				goto done;
			}
			nb.e.path = arena_strdup(s, path, len, "", 0);
			IMPACT_PUSH(items, n, alloc, nb);
			continue;
		}
		if (!(se->status & (GIT_STATUS_WT_DELETED | GIT_STATUS_WT_MODIFIED |
		                    GIT_STATUS_WT_TYPECHANGE | GIT_STATUS_CONFLICTED)))
			continue;
		b = find_building(items, nindex, d->old_file.path);
		if (!b || (b->flags & ENTRY_FROM_BLOB))
			continue;
		if (se->status & GIT_STATUS_WT_DELETED) {
			remove_path(b, items + nindex);
			continue;
		}
		if (b->e.mode == IMPACT_MODE_GITLINK)
			continue;
		err = hash_workdir_file(&b->e, s->repo, &full, b->e.path,
		                        delta_mode(&d->new_file));
		if (err == IMPACT_ENOTFOUND) {
			remove_path(b, items + nindex);
			continue;
		}
		if (err < 0) {
			rc = err;
			goto done;
		}
	}
	/*
	 * Status was told to leave submodules alone, so it does not see one
	 * whose directory is gone; git (and the diff) call that a deletion.
	 */
	for (i = 0; i < nindex; i++) {
		struct stat st;
		if (items[i].e.mode != IMPACT_MODE_GITLINK ||
		    (items[i].flags & ENTRY_FROM_BLOB))
			continue;
		impact_buf_truncate(&full, base);
		if (impact_buf_puts(&full, items[i].e.path) < 0)
			goto done;
		if (lstat(full.ptr, &st) < 0 && (errno == ENOENT || errno == ENOTDIR))
			items[i].removed = true;
	}
	finish(s, items, n);
	rc = 0;
done:
	free(items);
	impact_buf_release(&full);
	git_status_list_free(status);
	git_index_free(index);
	return rc;
}

/* ---- the public face ---- */

int impact_snapshot_open(impact_snapshot **out, git_repository *repo,
                         impact_snapshot_kind kind, const git_tree *tree)
{
	impact_snapshot *s = impact_xcalloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	s->kind = kind;
	s->repo = repo;
	switch (kind) {
	case IMPACT_SNAPSHOT_TREE:
		rc = tree ? git_object_dup((git_object **)&s->tree, (git_object *)tree) : 0;
		if (rc < 0)
			rc = impact_error_from_git(rc, "cannot open tree %s", git_oid_tostr_s(git_tree_id(tree)));
		break;
	case IMPACT_SNAPSHOT_INDEX:
		rc = open_index(s);
		break;
	case IMPACT_SNAPSHOT_WORKDIR:
		rc = open_workdir(s);
		break;
	default:
		rc = impact_error_set(IMPACT_EINVALID, "unknown snapshot kind %d",
		                      (int)kind);
	}
	if (rc < 0) {
		impact_snapshot_free(s);
		return rc;
	}
	s->listed = kind != IMPACT_SNAPSHOT_TREE || !s->tree;
	*out = s;
	return 0;
}

/*
 * List a lazy TREE snapshot now. The snapshot is logically constant: this
 * only fills in what it stands for. A listing error (a damaged object
 * database) leaves it empty and is reported by impact_snapshot_error.
 */
static void ensure_listed(const impact_snapshot *cs)
{
	impact_snapshot *s = (impact_snapshot *)cs;
	if (s->listed)
		return;
	s->listed = true;
	if ((s->list_error = open_tree(s, s->tree)) < 0)
		s->n = 0;
}

int impact_snapshot_list(impact_snapshot *s)
{
	ensure_listed(s);
	return s->list_error;
}

git_repository *impact_snapshot_repo(const impact_snapshot *s)
{
	return s->repo;
}

const git_tree *impact_snapshot_tree(const impact_snapshot *s)
{
	return s->kind == IMPACT_SNAPSHOT_TREE ? s->tree : NULL;
}

void impact_snapshot_free(impact_snapshot *s)
{
	if (!s)
		return;
	impact_arena_release(&s->arena);
	git_tree_free(s->tree);
	free(s->entries);
	free(s->flags);
	free(s);
}

impact_snapshot_kind impact_snapshot_kind_of(const impact_snapshot *s)
{
	return s->kind;
}

size_t impact_snapshot_count(const impact_snapshot *s)
{
	ensure_listed(s);
	return s->n;
}

const impact_entry *impact_snapshot_entry(const impact_snapshot *s, size_t i)
{
	ensure_listed(s);
	return i < s->n ? &s->entries[i] : NULL;
}

/* The first entry whose path is >= `path` (s->n if none). */
static size_t lower_bound(const impact_snapshot *s, const char *path)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(s->entries[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One path of a tree not listed yet; the entry lives in the arena. */
static const impact_entry *find_in_tree(const impact_snapshot *cs, const char *path)
{
	impact_snapshot *s = (impact_snapshot *)cs;
	git_tree_entry *te = NULL;
	impact_entry *e;
	git_filemode_t mode;

	if (!*path || git_tree_entry_bypath(&te, s->tree, path) < 0)
		return NULL;
	mode = git_tree_entry_filemode_raw(te);
	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE &&
	    mode != GIT_FILEMODE_LINK && mode != GIT_FILEMODE_COMMIT) {
		git_tree_entry_free(te);
		return NULL;
	}
	e = impact_arena_alloc(&s->arena, sizeof(*e));
	e->path = arena_strdup(s, path, strlen(path), NULL, 0);
	git_oid_cpy(&e->oid, git_tree_entry_id(te));
	e->mode = (uint32_t)mode;
	git_tree_entry_free(te);
	return e;
}

const impact_entry *impact_snapshot_find(const impact_snapshot *s,
                                         const char *path)
{
	size_t i;
	if (!s->listed)
		return find_in_tree(s, path);
	i = lower_bound(s, path);
	return i < s->n && !strcmp(s->entries[i].path, path) ? &s->entries[i] : NULL;
}

bool impact_snapshot_has_dir(const impact_snapshot *s, const char *dir)
{
	impact_buf prefix = IMPACT_BUF_INIT;
	size_t i;
	bool found;

	ensure_listed(s);
	if (!*dir)
		return s->n > 0;
	if (impact_buf_puts(&prefix, dir) < 0 || impact_buf_putc(&prefix, '/') < 0) {
		impact_buf_release(&prefix);
		return false;
	}
	/* Paths under "dir/" are contiguous in byte order, starting here. */
	i = lower_bound(s, prefix.ptr);
	found = i < s->n && !strncmp(s->entries[i].path, prefix.ptr, prefix.size);
	impact_buf_release(&prefix);
	return found;
}

static int read_blob(impact_buf *out, git_repository *repo,
                     const impact_entry *e)
{
	git_blob *blob = NULL;
	int err = git_blob_lookup(&blob, repo, &e->oid);
	int rc;

	if (err < 0)
		return impact_error_from_git(err, "cannot read '%s' (blob %s)",
		                             e->path, git_oid_tostr_s(&e->oid));
	rc = impact_buf_put(out, git_blob_rawcontent(blob),
	                    (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return rc;
}

/* The private flags of `e`: by position when it is ours, else by path. */
static unsigned entry_flags(const impact_snapshot *s, const impact_entry *e)
{
	if (s->n && e >= s->entries && e < s->entries + s->n)
		return s->flags[e - s->entries];
	e = impact_snapshot_find(s, e->path);
	return e ? s->flags[e - s->entries] : 0;
}

int impact_snapshot_read(impact_buf *out, impact_snapshot *s,
                         const impact_entry *e)
{
	impact_buf full = IMPACT_BUF_INIT;
	int rc;

	if (e->mode == IMPACT_MODE_GITLINK)
		return impact_error_set(IMPACT_EINVALID,
		                        "'%s' is a submodule, not a file", e->path);
	if (s->kind != IMPACT_SNAPSHOT_WORKDIR || (entry_flags(s, e) & ENTRY_FROM_BLOB))
		return read_blob(out, s->repo, e);

	if (impact_buf_puts(&full, git_repository_workdir(s->repo)) < 0 ||
	    impact_buf_puts(&full, e->path) < 0) {
		impact_buf_release(&full);
		return IMPACT_ERROR;
	}
	if (e->mode == IMPACT_MODE_LINK)
		rc = read_link(out, full.ptr);
	else
		rc = impact_buf_read_file(out, full.ptr, IMPACT_BUF_MAX - 1);
	impact_buf_release(&full);
	return rc;
}

int impact_snapshot_reader(impact_buf *out, const char *path, void *payload)
{
	impact_snapshot *snap = payload;
	const impact_entry *e = impact_snapshot_find(snap, path);
	if (!e || e->mode == IMPACT_MODE_GITLINK)
		return impact_error_set(IMPACT_ENOTFOUND, "'%s' does not exist", path);
	return impact_snapshot_read(out, snap, e);
}
