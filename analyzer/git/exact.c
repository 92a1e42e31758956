/*
 * exact.c - the private checkout of exact-tree runs (see exact.h).
 *
 * The manifest of copied files (<...>/impact/exact/copied) holds one
 * repo-relative path per entry, each ended by a NUL byte (a file name may
 * hold a newline); each entry is written before the copy it names is
 * made, so a run killed half-way leaves nothing the next open cannot find.
 */
#include "exact.h"
#include "clock.h"
#include "state.h"

#include "scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Copies deeper than this stop (a link loop cannot happen: links are copied as links). */
#define COPY_MAX_DEPTH 64
#define COPY_MAX_FILE ((size_t)1 << 30)

struct impact_exact {
	git_repository *repo;   /* the user's; borrowed */
	git_repository *priv;   /* the checkout's; owned */
	char *dir;              /* <common git dir>/impact/exact, or NULL (throwaway) */
	char *root;             /* the checkout's work tree */
	char *tmp;              /* the throwaway checkout's folder, removed at close */
	char *manifest;         /* <dir>/copied, or NULL */
	int lock_fd;
	git_oid tree;           /* what the checkout holds, once checked out */
	bool have_tree;
	impact_strlist copied;  /* repo-relative: what close removes */
};

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int mkdir_p(const char *path)
{
	impact_buf p = IMPACT_BUF_INIT;
	int rc = 0;
	impact_buf_puts(&p, path);
	for (size_t i = 1; i <= p.size && rc == 0; i++) {
		if (i < p.size && p.ptr[i] != '/')
			continue;
		p.ptr[i] = '\0';
		if (mkdir(p.ptr, 0700) < 0 && errno != EEXIST)
			rc = impact_error_from_errno(errno, "cannot create the folder '%s'", p.ptr);
		if (i < p.size)
			p.ptr[i] = '/';
	}
	impact_buf_release(&p);
	return rc;
}

/* objects/info/alternates of the checkout, naming the user's object folder. */
static int write_alternates(const char *root, const char *objects)
{
	impact_buf path = IMPACT_BUF_INIT, want = IMPACT_BUF_INIT, have = IMPACT_BUF_INIT;
	FILE *f = NULL;
	int rc = 0;

	if (strchr(objects, '\n'))
		return 0; /* not expressible in the file: in memory only */
	impact_buf_printf(&path, "%s/.git/objects/info", root);
	if ((rc = mkdir_p(path.ptr)) < 0)
		goto done;
	impact_buf_puts(&path, "/alternates");
	impact_buf_printf(&want, "%s\n", objects);
	if (impact_buf_read_file(&have, path.ptr, 1 << 20) == 0 && have.size == want.size &&
	    !memcmp(have.ptr, want.ptr, want.size))
		goto done;
	impact_error_clear();
	if (!(f = fopen(path.ptr, "we")) || fputs(want.ptr, f) < 0 || fflush(f) != 0)
		rc = impact_error_from_errno(errno, "cannot write '%s'", path.ptr);
done:
	if (f)
		fclose(f);
	impact_buf_release(&path);
	impact_buf_release(&want);
	impact_buf_release(&have);
	return rc;
}

/* Open (creating it when needed) the repository of the checkout at ex->root. */
static int open_private(impact_exact *ex)
{
	git_repository_init_options io;
	git_repository *made = NULL;
	git_odb *odb = NULL;
	impact_buf objects = IMPACT_BUF_INIT, gitdir = IMPACT_BUF_INIT;
	int rc = 0, grc;

	impact_buf_printf(&objects, "%sobjects", git_repository_commondir(ex->repo));
	impact_buf_printf(&gitdir, "%s/.git/HEAD", ex->root);
	if (!exists(gitdir.ptr)) {
		/* Damaged or never made: start afresh. */
		impact_scratch_rmtree(ex->root);
		impact_error_clear();
		git_repository_init_options_init(&io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
		io.flags = GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
		if ((grc = git_repository_init_ext(&made, ex->root, &io)) < 0) {
			rc = impact_error_from_git(grc, "cannot create the private checkout at '%s' "
			                           "(remove that folder and try again)", ex->root);
			goto done;
		}
		git_repository_free(made);
	}
	if ((rc = write_alternates(ex->root, objects.ptr)) < 0)
		goto done;
	if ((grc = git_repository_open_ext(&ex->priv, ex->root, GIT_REPOSITORY_OPEN_NO_SEARCH,
	                                   NULL)) < 0 ||
	    (grc = git_repository_odb(&odb, ex->priv)) < 0 ||
	    (strchr(objects.ptr, '\n') && (grc = git_odb_add_disk_alternate(odb, objects.ptr)) < 0)) {
		rc = impact_error_from_git(grc, "cannot open the private checkout at '%s' (remove "
		                           "that folder: it is made again)", ex->root);
		goto done;
	}
done:
	git_odb_free(odb);
	impact_buf_release(&objects);
	impact_buf_release(&gitdir);
	return rc;
}

/* Remove what the manifest at ex->manifest names (a killed run's copies), then the manifest. */
static void sweep_manifest(impact_exact *ex)
{
	impact_buf m = IMPACT_BUF_INIT, p = IMPACT_BUF_INIT;
	if (!ex->manifest || impact_buf_read_file(&m, ex->manifest, (size_t)1 << 24) < 0) {
		impact_error_clear();
		impact_buf_release(&m);
		return;
	}
	for (size_t at = 0; at < m.size;) {
		const char *name = m.ptr + at;
		size_t len = strnlen(name, m.size - at);
		if (len) {
			impact_buf_clear(&p);
			impact_buf_printf(&p, "%s/", ex->root);
			impact_buf_put(&p, name, len);
			impact_scratch_rmtree(p.ptr);
		}
		at += len + 1;
	}
	impact_error_clear();
	unlink(ex->manifest);
	impact_buf_release(&m);
	impact_buf_release(&p);
}

int impact_exact_open(impact_exact **out, git_repository *repo)
{
	impact_exact *ex = impact_xcalloc(1, sizeof(*ex));
	impact_buf path = IMPACT_BUF_INIT;
	int rc = 0;

	*out = NULL;
	ex->repo = repo;
	ex->lock_fd = -1;
	{
		char *dir = impact_state_path(repo, "exact");
		impact_buf_puts(&path, dir);
		free(dir);
	}
	if ((rc = mkdir_p(path.ptr)) < 0)
		goto done;
	ex->dir = impact_buf_detach(&path);
	impact_buf_printf(&path, "%s/lock", ex->dir);
	ex->lock_fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (ex->lock_fd < 0) {
		rc = impact_error_from_errno(errno, "cannot open the lock '%s'", path.ptr);
		goto done;
	}
	impact_buf_clear(&path);
	if (flock(ex->lock_fd, LOCK_EX | LOCK_NB) == 0) {
		impact_buf_printf(&path, "%s/tree", ex->dir);
		ex->root = impact_buf_detach(&path);
		impact_buf_printf(&path, "%s/copied", ex->dir);
		ex->manifest = impact_buf_detach(&path);
		sweep_manifest(ex);
	} else if (errno == EWOULDBLOCK || errno == EAGAIN) {
		/* Another run holds it: a throwaway checkout, so nobody waits. */
		close(ex->lock_fd);
		ex->lock_fd = -1;
		if ((rc = impact_scratch_tmpdir(&ex->tmp, "impact-exact-")) < 0)
			goto done;
		impact_buf_printf(&path, "%s/tree", ex->tmp);
		ex->root = impact_buf_detach(&path);
	} else {
		rc = impact_error_from_errno(errno, "cannot lock '%s/lock'", ex->dir);
		goto done;
	}
	rc = open_private(ex);
done:
	impact_buf_release(&path);
	if (rc < 0) {
		impact_exact_close(ex);
		return rc;
	}
	*out = ex;
	return 0;
}

const char *impact_exact_root(const impact_exact *ex)
{
	return ex->root;
}

int impact_exact_index_tree(git_oid *out, impact_exact *ex, const char *index_path)
{
	git_index *idx = NULL;
	impact_buf path = IMPACT_BUF_INIT;
	int rc = 0, grc;

	if (index_path && *index_path)
		impact_buf_puts(&path, index_path);
	else
		impact_buf_printf(&path, "%sindex", git_repository_path(ex->repo));
	/* A copy of its own, read from the file: never written back. */
	if ((grc = git_index_open(&idx, path.ptr)) < 0) {
		rc = impact_error_from_git(grc, "cannot read the index '%s'", path.ptr);
		goto done;
	}
	if (git_index_has_conflicts(idx)) {
		rc = impact_error_set(IMPACT_EINVALID, "the index has merge conflicts, so it is no "
		                      "tree to test: resolve them ('git add' the files), then run again");
		goto done;
	}
	if ((grc = git_index_write_tree_to(out, idx, ex->priv)) < 0)
		rc = impact_error_from_git(grc, "cannot write the index '%s' as a tree", path.ptr);
done:
	git_index_free(idx);
	impact_buf_release(&path);
	return rc;
}

/* Remove <root>/<dir of path>/__pycache__/<stem>.*.pyc for a Python `path`. */
static void drop_bytecode(const char *root, const char *path)
{
	impact_buf cache = IMPACT_BUF_INIT, stem = IMPACT_BUF_INIT;
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t blen = strlen(base);
	struct dirent *de;
	DIR *d;
	int fd;

	if (!path || blen < 4 || strcmp(base + blen - 3, ".py"))
		return;
	impact_buf_printf(&cache, "%s/", root);
	if (slash)
		impact_buf_put(&cache, path, (size_t)(slash - path) + 1);
	impact_buf_puts(&cache, "__pycache__");
	impact_buf_put(&stem, base, blen - 3);
	impact_buf_putc(&stem, '.');
	if ((fd = open(cache.ptr, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (dfd >= 0 && (d = fdopendir(dfd)) != NULL) {
			impact_strlist names = { 0 };
			while ((de = readdir(d)) != NULL) {
				size_t n = strlen(de->d_name);
				if (!strncmp(de->d_name, stem.ptr, stem.size) && n > 4 &&
				    !strcmp(de->d_name + n - 4, ".pyc"))
					impact_strlist_push(&names, de->d_name);
			}
			closedir(d);
			for (size_t i = 0; i < names.n; i++)
				unlinkat(fd, names.items[i], 0);
			impact_strlist_release(&names);
		} else if (dfd >= 0) {
			close(dfd);
		}
		close(fd);
	}
	impact_buf_release(&cache);
	impact_buf_release(&stem);
}

/* HEAD of the checkout for a tree with no commit: a commit in its own object database. */
static int commit_tree(git_oid *out, impact_exact *ex, git_tree *tree)
{
	git_signature *sig = NULL;
	git_commit *parent = NULL;
	git_oid head;
	int rc = 0, grc;

	/* The user's HEAD as its parent, when there is one (a test may read `git log`). */
	if (git_reference_name_to_id(&head, ex->repo, "HEAD") < 0 ||
	    git_commit_lookup(&parent, ex->priv, &head) < 0)
		parent = NULL;
	impact_error_clear();
	if ((grc = git_signature_now(&sig, "impact", "impact@invalid")) < 0 ||
	    (grc = git_commit_create(out, ex->priv, NULL, sig, sig, NULL,
	                             "impact: the tree under test (the index)\n", tree,
	                             parent ? 1 : 0, (const git_commit **)&parent)) < 0)
		rc = impact_error_from_git(grc, "cannot write a commit in the private checkout");
	git_commit_free(parent);
	git_signature_free(sig);
	return rc;
}

int impact_exact_checkout(impact_exact *ex, const git_oid *tree, const git_oid *commit,
                          impact_exact_stats *stats)
{
	git_checkout_options co;
	git_object *head = NULL;
	git_tree *t = NULL;
	git_diff *diff = NULL;
	git_oid made;
	char hex[GIT_OID_HEXSZ + 1];
	impact_exact_stats st = { 0 };
	double t0 = (impact_now_ms() / 1000.0);
	int rc = 0, grc;

	git_oid_tostr(hex, sizeof(hex), tree);
	st.temporary = ex->tmp != NULL;
	if ((grc = git_tree_lookup(&t, ex->priv, tree)) < 0) {
		rc = impact_error_from_git(grc, "cannot read tree %s for the private checkout", hex);
		goto done;
	}
	if (git_revparse_single(&head, ex->priv, "HEAD^{tree}") == 0) {
		if ((grc = git_diff_tree_to_tree(&diff, ex->priv, (git_tree *)head, t, NULL)) < 0) {
			rc = impact_error_from_git(grc, "cannot compare the private checkout with tree %s",
			                           hex);
			goto done;
		}
		st.changed = git_diff_num_deltas(diff);
		for (size_t i = 0; i < st.changed; i++) {
			const git_diff_delta *d = git_diff_get_delta(diff, i);
			drop_bytecode(ex->root, d->old_file.path);
			if (d->new_file.path && (!d->old_file.path || strcmp(d->old_file.path,
			                                                     d->new_file.path)))
				drop_bytecode(ex->root, d->new_file.path);
		}
	} else {
		st.created = true;
	}
	impact_error_clear();
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
	if ((grc = git_checkout_tree(ex->priv, (const git_object *)t, &co)) < 0) {
		/*
		 * A checkout damaged (a killed run, objects of its HEAD pruned by
		 * `git gc`): made again from nothing, once.
		 */
		git_tree_free(t);
		t = NULL;
		git_repository_free(ex->priv);
		ex->priv = NULL;
		impact_scratch_rmtree(ex->root);
		impact_error_clear();
		st.created = true;
		if ((rc = open_private(ex)) < 0)
			goto done;
		if ((grc = git_tree_lookup(&t, ex->priv, tree)) < 0 ||
		    (grc = git_checkout_tree(ex->priv, (const git_object *)t, &co)) < 0) {
			rc = impact_error_from_git(grc, "cannot check tree %s out at '%s'", hex, ex->root);
			goto done;
		}
	}
	if (!commit) {
		if ((rc = commit_tree(&made, ex, t)) < 0)
			goto done;
		commit = &made;
	}
	if ((grc = git_repository_set_head_detached(ex->priv, commit)) < 0) {
		rc = impact_error_from_git(grc, "cannot set HEAD of the private checkout at '%s'",
		                           ex->root);
		goto done;
	}
	git_oid_cpy(&ex->tree, tree);
	ex->have_tree = true;
done:
	st.seconds = (impact_now_ms() / 1000.0) - t0;
	if (stats)
		*stats = st;
	git_diff_free(diff);
	git_object_free(head);
	git_tree_free(t);
	return rc;
}

/* Copy `src` to `dst` (which must not exist): files, links as links, folders. */
static int copy_path(const char *src, const char *dst, int depth)
{
	impact_buf data = IMPACT_BUF_INIT, s = IMPACT_BUF_INIT, d = IMPACT_BUF_INIT;
	struct stat st;
	DIR *dir = NULL;
	struct dirent *de;
	int rc = 0, fd = -1;

	if (lstat(src, &st) < 0)
		return impact_error_from_errno(errno, "cannot read '%s'", src);
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlink(src, target, sizeof(target) - 1);
		if (n < 0 || (target[n] = '\0', symlink(target, dst) < 0))
			rc = impact_error_from_errno(errno, "cannot copy the link '%s'", src);
	} else if (S_ISREG(st.st_mode)) {
		if ((rc = impact_buf_read_file(&data, src, COPY_MAX_FILE)) < 0)
			goto done;
		fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777);
		if (fd < 0 || (data.size && write(fd, data.ptr, data.size) != (ssize_t)data.size))
			rc = impact_error_from_errno(errno, "cannot write '%s'", dst);
	} else if (S_ISDIR(st.st_mode)) {
		if (depth > COPY_MAX_DEPTH)
			return impact_error_set(IMPACT_ERROR, "'%s' is too deep to copy", src);
		if (mkdir(dst, (st.st_mode & 0777) | 0700) < 0) {
			rc = impact_error_from_errno(errno, "cannot create '%s'", dst);
			goto done;
		}
		if (!(dir = opendir(src))) {
			rc = impact_error_from_errno(errno, "cannot read the folder '%s'", src);
			goto done;
		}
		while (rc == 0 && (de = readdir(dir)) != NULL) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			impact_buf_clear(&s);
			impact_buf_clear(&d);
			impact_buf_printf(&s, "%s/%s", src, de->d_name);
			impact_buf_printf(&d, "%s/%s", dst, de->d_name);
			rc = copy_path(s.ptr, d.ptr, depth + 1);
		}
	}
	/* Anything else (a socket, a FIFO) is not copied. */
done:
	if (dir)
		closedir(dir);
	if (fd >= 0)
		close(fd);
	impact_buf_release(&data);
	impact_buf_release(&s);
	impact_buf_release(&d);
	return rc;
}

/* Note `rel` in the manifest before it is made (so a killed run's copy is found). */
static int note_copied(impact_exact *ex, const char *rel)
{
	size_t len;
	int fd, rc = 0;
	if (!rel)
		return 0;
	len = strlen(rel) + 1; /* with its NUL */
	impact_strlist_push(&ex->copied, rel);
	if (!ex->manifest)
		return 0;
	fd = open(ex->manifest, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, rel, len) != (ssize_t)len)
		rc = impact_error_from_errno(errno, "cannot write '%s'", ex->manifest);
	if (fd >= 0)
		close(fd);
	return rc;
}

int impact_exact_copy_in(impact_exact *ex, const char *workdir, const impact_strlist *paths,
                         impact_strlist *tracked, impact_strlist *missing)
{
	git_tree *tree = NULL;
	impact_buf src = IMPACT_BUF_INIT, dst = IMPACT_BUF_INIT, top = IMPACT_BUF_INIT;
	int rc = 0, grc;

	if (!paths->n)
		return 0;
	if (!ex->have_tree)
		return impact_error_set(IMPACT_ERROR, "nothing is checked out to copy files into");
	if ((grc = git_tree_lookup(&tree, ex->priv, &ex->tree)) < 0)
		return impact_error_from_git(grc, "cannot read the tree of the private checkout");
	for (size_t i = 0; i < paths->n && rc == 0; i++) {
		const char *rel = paths->items[i];
		git_tree_entry *e = NULL;
		bool made_parent = false;

		impact_buf_clear(&src);
		impact_buf_clear(&dst);
		impact_buf_printf(&src, "%s/%s", workdir, rel);
		impact_buf_printf(&dst, "%s/%s", ex->root, rel);
		if (!exists(src.ptr)) {
			impact_strlist_push(missing, rel);
			continue;
		}
		if (git_tree_entry_bypath(&e, tree, rel) == 0 || exists(dst.ptr)) {
			git_tree_entry_free(e);
			impact_strlist_push(tracked, rel);
			continue;
		}
		impact_error_clear();
		/* Its folders, when the tree has none: the first one made is what close removes. */
		for (const char *s = strchr(rel, '/'); s && rc == 0; s = strchr(s + 1, '/')) {
			impact_buf_clear(&top);
			impact_buf_printf(&top, "%s/", ex->root);
			impact_buf_put(&top, rel, (size_t)(s - rel));
			if (exists(top.ptr))
				continue;
			if (!made_parent) {
				char *first = impact_xstrndup(rel, (size_t)(s - rel));
				rc = note_copied(ex, first);
				free(first);
				made_parent = true;
			}
			if (rc == 0 && mkdir(top.ptr, 0700) < 0)
				rc = impact_error_from_errno(errno, "cannot create '%s'", top.ptr);
		}
		if (rc == 0 && !made_parent)
			rc = note_copied(ex, rel);
		if (rc == 0)
			rc = copy_path(src.ptr, dst.ptr, 0);
	}
	git_tree_free(tree);
	impact_buf_release(&src);
	impact_buf_release(&dst);
	impact_buf_release(&top);
	return rc;
}

void impact_exact_close(impact_exact *ex)
{
	impact_buf p = IMPACT_BUF_INIT;
	if (!ex)
		return;
	for (size_t i = 0; ex->root && i < ex->copied.n; i++) {
		impact_buf_clear(&p);
		impact_buf_printf(&p, "%s/%s", ex->root, ex->copied.items[i]);
		impact_scratch_rmtree(p.ptr);
	}
	if (ex->manifest)
		unlink(ex->manifest);
	git_repository_free(ex->priv);
	if (ex->tmp)
		impact_scratch_rmtree(ex->tmp);
	impact_error_clear();
	if (ex->lock_fd >= 0)
		close(ex->lock_fd); /* releases the flock */
	impact_strlist_release(&ex->copied);
	impact_buf_release(&p);
	free(ex->dir);
	free(ex->root);
	free(ex->tmp);
	free(ex->manifest);
	free(ex);
}

/* Does `rel` name something in `workdir` that the checkout at `root` lacks? */
static bool only_in_workdir(const char *rel, const char *workdir, const char *root)
{
	impact_buf a = IMPACT_BUF_INIT, b = IMPACT_BUF_INIT;
	bool yes;
	impact_buf_printf(&a, "%s/%s", workdir, rel);
	impact_buf_printf(&b, "%s/%s", root, rel);
	yes = exists(a.ptr) && !exists(b.ptr);
	impact_buf_release(&a);
	impact_buf_release(&b);
	return yes;
}

static void push_once(impact_strlist *out, const char *s)
{
	for (size_t i = 0; i < out->n; i++)
		if (!strcmp(out->items[i], s))
			return;
	impact_strlist_push(out, s);
}

/*
 * The next quoted string ('...' or "...") right after `needle` in the text
 * from *at on, into `name`; *at moves past it. False when there is none.
 */
static bool next_quoted(impact_buf *name, const char **at, const char *needle)
{
	const char *q, *end;
	while ((q = strstr(*at, needle)) != NULL) {
		q += strlen(needle);
		*at = q;
		if (*q != '\'' && *q != '"')
			continue;
		if (!(end = strchr(q + 1, *q)))
			return false;
		impact_buf_clear(name);
		impact_buf_put(name, q + 1, (size_t)(end - q - 1));
		*at = end;
		return true;
	}
	return false;
}

void impact_exact_missing_files(impact_strlist *out, const char *text, const char *workdir,
                                const char *root)
{
	static const char file_needle[] = "No such file or directory: ";
	static const char mod_needle[] = "No module named ";
	impact_buf name = IMPACT_BUF_INIT, cand = IMPACT_BUF_INIT;
	size_t rlen;

	if (!text || !workdir || !root)
		return;
	rlen = strlen(root);
	for (const char *at = text; next_quoted(&name, &at, file_needle);) {
		if (!strncmp(name.ptr, root, rlen) && name.ptr[rlen] == '/') {
			memmove(name.ptr, name.ptr + rlen + 1, name.size - rlen);
			name.size -= rlen + 1;
		} else if (name.ptr[0] == '/') {
			continue;
		}
		while (name.size > 2 && !strncmp(name.ptr, "./", 2)) {
			memmove(name.ptr, name.ptr + 2, name.size - 1);
			name.size -= 2;
		}
		if (name.size && only_in_workdir(name.ptr, workdir, root))
			push_once(out, name.ptr);
	}
	for (const char *at = text; next_quoted(&name, &at, mod_needle);) {
		static const char *const forms[] = { "%s.py", "%s/__init__.py", "%s", "src/%s.py",
		                                     "src/%s/__init__.py", "src/%s" };
		for (size_t i = 0; i < name.size; i++)
			if (name.ptr[i] == '.')
				name.ptr[i] = '/';
		for (size_t f = 0; f < IMPACT_ARRAY_SIZE(forms); f++) {
			impact_buf_clear(&cand);
			impact_buf_printf(&cand, forms[f], name.ptr);
			if (only_in_workdir(cand.ptr, workdir, root)) {
				push_once(out, cand.ptr);
				break;
			}
		}
	}
	impact_buf_release(&name);
	impact_buf_release(&cand);
}

char *impact_exact_unroot(const char *text, const char *root)
{
	impact_buf out = IMPACT_BUF_INIT;
	size_t rlen = root ? strlen(root) : 0;
	const char *at;
	if (!text)
		return NULL;
	if (!rlen)
		return impact_xstrdup(text);
	while ((at = strstr(text, root)) != NULL) {
		impact_buf_put(&out, text, (size_t)(at - text));
		if (at[rlen] == '/')
			text = at + rlen + 1;
		else if (at[rlen] == '\0' || at[rlen] == '\'' || at[rlen] == '"' || at[rlen] == ' ' ||
		         at[rlen] == ':' || at[rlen] == '\n') {
			impact_buf_putc(&out, '.');
			text = at + rlen;
		} else {
			impact_buf_put(&out, at, rlen);
			text = at + rlen;
		}
	}
	impact_buf_puts(&out, text);
	return impact_buf_detach(&out);
}
