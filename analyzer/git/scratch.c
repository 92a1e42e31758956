/*
 * scratch.c - throwaway checkouts and unreferenced commits (see scratch.h).
 *
 * The checkout's alternates file names the user's object folder as an
 * absolute path, one per line; git reads no quoting there, so a path
 * holding a newline is added in memory only (this process sees the
 * objects, a `git` started by a test does not). Removal walks folders
 * with openat/unlinkat on descriptors, so a symbolic link a test left in
 * the checkout is removed, never followed, and paths of any length or
 * byte work.
 */
#include "scratch.h"

#include "pytestcfg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Folders deeper than this are left (and reported): a test gone wild. */
#define RMTREE_MAX_DEPTH 256

int impact_scratch_tmpdir(char **out, const char *prefix)
{
	impact_buf path = IMPACT_BUF_INIT;
	const char *tmp = getenv("TMPDIR");
	int rc = 0;

	*out = NULL;
	impact_buf_printf(&path, "%s/%sXXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
	if (!mkdtemp(path.ptr)) {
		rc = impact_error_from_errno(errno, "cannot create a temporary folder '%s' "
		                             "(set TMPDIR to a writable folder)", path.ptr);
		impact_buf_release(&path);
		return rc;
	}
	*out = impact_buf_detach(&path);
	return 0;
}

/* Remove `name` in `dirfd`; *first keeps the first error's errno. */
static void rm_at(int dirfd, const char *name, int depth, int *first)
{
	impact_strlist names = { 0 };
	struct stat st;
	struct dirent *e;
	DIR *d = NULL;
	int fd = -1, dup_fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT && !*first)
			*first = errno;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT && !*first)
			*first = errno;
		return;
	}
	if (depth > RMTREE_MAX_DEPTH) {
		if (!*first)
			*first = ELOOP;
		return;
	}
	/* A folder a test made read-only (or unreadable) must be opened and emptied. */
	if ((st.st_mode & 0700) != 0700)
		fchmodat(dirfd, name, (st.st_mode & 07777) | 0700, 0);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (!*first)
			*first = errno;
		return;
	}
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0 || !(d = fdopendir(dup_fd))) {
		if (!*first)
			*first = errno;
		if (dup_fd >= 0)
			close(dup_fd);
		close(fd);
		return;
	}
	/* Names first, then removal: the folder does not change under readdir. */
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			impact_strlist_push(&names, e->d_name);
	closedir(d);
	for (size_t i = 0; i < names.n; i++)
		rm_at(fd, names.items[i], depth + 1, first);
	close(fd);
	impact_strlist_release(&names);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && !*first)
		*first = errno;
}

int impact_scratch_rmtree(const char *path)
{
	int first = 0;
	if (!path || !*path)
		return 0;
	rm_at(AT_FDCWD, path, 0, &first);
	if (first)
		return impact_error_from_errno(first, "cannot remove all of '%s'", path);
	return 0;
}

/* objects/info/alternates of the checkout at `gitdir`, naming `objects`. */
static int write_alternates(const char *gitdir, const char *objects)
{
	impact_buf path = IMPACT_BUF_INIT;
	FILE *f = NULL;
	int rc = 0;

	if (strchr(objects, '\n'))
		return 0; /* not expressible in the file: in memory only */
	impact_buf_printf(&path, "%sobjects/info", gitdir);
	if (mkdir(path.ptr, 0777) < 0 && errno != EEXIST) {
		rc = impact_error_from_errno(errno, "cannot create '%s'", path.ptr);
		goto done;
	}
	impact_buf_puts(&path, "/alternates");
	if (!(f = fopen(path.ptr, "we")) || fprintf(f, "%s\n", objects) < 0 || fflush(f) != 0)
		rc = impact_error_from_errno(errno, "cannot write '%s'", path.ptr);
done:
	if (f)
		fclose(f);
	impact_buf_release(&path);
	return rc;
}

int impact_scratch_checkout(git_repository *repo, const git_oid *commit, const char *path)
{
	git_repository_init_options io;
	git_checkout_options co;
	git_repository *tmp = NULL;
	git_commit *c = NULL;
	git_odb *odb = NULL;
	impact_buf objects = IMPACT_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	int rc = 0, grc;

	git_oid_tostr(hex, sizeof(hex), commit);
	git_repository_init_options_init(&io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	io.flags = GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	if ((grc = git_repository_init_ext(&tmp, path, &io)) < 0) {
		rc = impact_error_from_git(grc, "cannot create a checkout at '%s'", path);
		goto done;
	}
	impact_buf_printf(&objects, "%sobjects", git_repository_commondir(repo));
	if ((rc = write_alternates(git_repository_path(tmp), objects.ptr)) < 0)
		goto done;
	if ((grc = git_repository_odb(&odb, tmp)) < 0 ||
	    (grc = git_odb_add_disk_alternate(odb, objects.ptr)) < 0 ||
	    (grc = git_commit_lookup(&c, tmp, commit)) < 0) {
		rc = impact_error_from_git(grc, "cannot read commit %s from the checkout at '%s'",
		                           hex, path);
		goto done;
	}
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if ((grc = git_checkout_tree(tmp, (const git_object *)c, &co)) < 0 ||
	    (grc = git_repository_set_head_detached(tmp, commit)) < 0) {
		rc = impact_error_from_git(grc, "cannot check commit %s out at '%s'", hex, path);
		goto done;
	}
done:
	git_commit_free(c);
	git_odb_free(odb);
	git_repository_free(tmp);
	impact_buf_release(&objects);
	return rc;
}

int impact_scratch_commit_file(git_oid *out, git_repository *repo, const git_oid *parent,
                               const char *path, const char *content, size_t len,
                               const char *message)
{
	git_commit *pc = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_tree_entry *entry = NULL;
	git_signature *sig = NULL;
	git_tree_update upd = { 0 };
	git_oid blob, tree_id;
	char hex[GIT_OID_HEXSZ + 1];
	int rc = 0, grc;

	git_oid_tostr(hex, sizeof(hex), parent);
	if ((grc = git_commit_lookup(&pc, repo, parent)) < 0 ||
	    (grc = git_commit_tree(&base, pc)) < 0) {
		rc = impact_error_from_git(grc, "cannot read commit %s", hex);
		goto done;
	}
	if ((grc = git_tree_entry_bypath(&entry, base, path)) < 0) {
		rc = impact_error_from_git(grc, "'%s' is not in commit %s", path, hex);
		goto done;
	}
	upd.action = GIT_TREE_UPDATE_UPSERT;
	upd.filemode = git_tree_entry_filemode(entry);
	upd.path = path;
	if ((grc = git_blob_create_from_buffer(&blob, repo, content, len)) < 0) {
		rc = impact_error_from_git(grc, "cannot write the new '%s'", path);
		goto done;
	}
	git_oid_cpy(&upd.id, &blob);
	if ((grc = git_tree_create_updated(&tree_id, repo, base, 1, &upd)) < 0 ||
	    (grc = git_tree_lookup(&tree, repo, &tree_id)) < 0) {
		rc = impact_error_from_git(grc, "cannot write the tree holding the new '%s'", path);
		goto done;
	}
	if ((grc = git_signature_now(&sig, "impact audit", "impact-audit@invalid")) < 0 ||
	    (grc = git_commit_create(out, repo, NULL, sig, sig, NULL, message, tree, 1,
	                             (const git_commit **)&pc)) < 0) {
		rc = impact_error_from_git(grc, "cannot write a commit on %s", hex);
		goto done;
	}
done:
	git_signature_free(sig);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(pc);
	return rc;
}
