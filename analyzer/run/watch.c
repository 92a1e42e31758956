/*
 * watch.c - inotify watches of a work tree and what counts as a save
 * (see watch.h).
 *
 * inotify watches folders, not trees: each folder gets a watch, mapped
 * back to its repository-relative path. A folder that appears (created,
 * moved in) is watched at once and then listed, since files may have been
 * written in it before its watch existed; a folder moved away has its
 * watches (its own and those below) removed, as their paths are stale;
 * a deleted one loses them by itself (IN_IGNORED). A queue overflow
 * rewatches everything and counts as a save: something changed, and what
 * is unknown.
 */
#include "watch.h"

#include "path.h"
#include "project.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

enum { SETTLE_CAP_MS = 2000 };

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | \
                    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

typedef struct watched {
	int wd;
	char *rel;     /* "" for the root, else "a/b" */
} watched;

struct impact_watch {
	git_repository *repo;
	const char *root;
	int fd;
	watched *dirs;
	size_t n, alloc;
	impact_strlist pending;   /* changes that count, since the last save handed out */
	double last_event;        /* impact_now_ms() of the last relevant event */
};

bool impact_watch_is_editor_file(const char *name)
{
	static const char *const suffixes[] = { "~", ".swp", ".swo", ".swx", ".swpx", ".kate-swp",
	                                        ".orig", ".rej", ".bak", ".tmp" };
	static const char *const prefixes[] = { ".#", ".~lock.", ".goutputstream-" };
	size_t n = strlen(name);
	if (!strcmp(name, "4913") || (n > 1 && name[0] == '#' && name[n - 1] == '#'))
		return true;  /* vim's write test; emacs auto-save */
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(suffixes); i++)
		if (impact_path_has_suffix(name, suffixes[i]))
			return true;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* Folders never watched, whatever the ignore rules say. */
static bool skipped_folder(const char *name)
{
	return !strcmp(name, ".git") || !strcmp(name, "__pycache__") ||
	       !strcmp(name, ".pytest_cache");
}

static bool is_tracked(impact_watch *w, const char *rel)
{
	git_index *idx = NULL;
	bool tracked = false;
	if (git_repository_index(&idx, w->repo) == 0) {
		git_index_read(idx, 0);
		tracked = git_index_get_bypath(idx, rel, 0) != NULL;
	}
	git_index_free(idx);
	return tracked;
}

/* Does a change of `rel` (a folder when `dir`) count? */
static bool counts(impact_watch *w, const char *rel, bool dir)
{
	impact_buf p = IMPACT_BUF_INIT;
	int ignored = 0;
	const char *name = impact_path_base(rel);
	bool yes;
	if (dir ? skipped_folder(name) : impact_watch_is_editor_file(name))
		return false;
	for (const char *s = rel; *s;) {  /* a skipped folder on the way */
		const char *slash = strchr(s, '/');
		impact_buf part = IMPACT_BUF_INIT;
		bool skip;
		if (!slash)
			break;
		impact_buf_put(&part, s, (size_t)(slash - s));
		skip = skipped_folder(part.ptr);
		impact_buf_release(&part);
		if (skip)
			return false;
		s = slash + 1;
	}
	impact_buf_puts(&p, rel);
	if (dir)
		impact_buf_putc(&p, '/');
	if (git_ignore_path_is_ignored(&ignored, w->repo, p.ptr) < 0)
		ignored = 0; /* unsure: count it */
	yes = !ignored || (!dir && is_tracked(w, rel));
	impact_buf_release(&p);
	return yes;
}

static void note(impact_watch *w, const char *rel, bool dir)
{
	impact_buf p = IMPACT_BUF_INIT;
	impact_buf_puts(&p, rel);
	if (dir)
		impact_buf_putc(&p, '/');
	for (size_t i = 0; i < w->pending.n; i++)
		if (!strcmp(w->pending.items[i], p.ptr)) {
			impact_buf_release(&p);
			return;
		}
	impact_strlist_push(&w->pending, p.ptr);
	impact_buf_release(&p);
}

static watched *find_wd(impact_watch *w, int wd)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->dirs[i].wd == wd)
			return &w->dirs[i];
	return NULL;
}

static void forget_at(impact_watch *w, size_t i)
{
	free(w->dirs[i].rel);
	w->dirs[i] = w->dirs[--w->n];
}

/* Remove the watches of `rel` and every folder below it. */
static void unwatch_tree(impact_watch *w, const char *rel)
{
	size_t n = strlen(rel);
	for (size_t i = 0; i < w->n;) {
		const char *r = w->dirs[i].rel;
		if (!strncmp(r, rel, n) && (r[n] == '\0' || r[n] == '/')) {
			inotify_rm_watch(w->fd, w->dirs[i].wd);
			forget_at(w, i);
		} else {
			i++;
		}
	}
}

static void abs_path(impact_buf *out, const impact_watch *w, const char *rel)
{
	impact_buf_clear(out);
	impact_buf_puts(out, w->root);
	if (*rel) {
		impact_buf_putc(out, '/');
		impact_buf_puts(out, rel);
	}
}

/* The folders of the tree at `rel` that would be watched, counted. */
static size_t count_tree(impact_watch *w, const char *rel)
{
	impact_buf p = IMPACT_BUF_INIT, child = IMPACT_BUF_INIT;
	DIR *d;
	struct dirent *de;
	size_t n = 1;
	abs_path(&p, w, rel);
	if (!(d = opendir(p.ptr)))
		goto done;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		impact_buf_clear(&child);
		impact_buf_printf(&child, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (counts(w, child.ptr, true))
			n += count_tree(w, child.ptr);
	}
	closedir(d);
done:
	impact_buf_release(&p);
	impact_buf_release(&child);
	return n;
}

/* A sysctl's number, or 0 when it cannot be read. */
static unsigned long read_limit(const char *path)
{
	impact_buf b = IMPACT_BUF_INIT;
	unsigned long v = 0;
	if (impact_buf_read_file(&b, path, 64) == 0)
		v = strtoul(b.ptr, NULL, 10);
	impact_error_clear();
	impact_buf_release(&b);
	return v;
}

/*
 * The inotify watches other programs of this user hold, as far as /proc
 * shows them (processes this one may inspect): each inotify descriptor's
 * fdinfo has a line per watch. Our own descriptor, `self_fd`, is left out.
 */
static unsigned long watches_in_use(int self_fd)
{
	impact_buf p = IMPACT_BUF_INIT, info = IMPACT_BUF_INIT;
	char target[64];
	unsigned long n = 0;
	DIR *procs = opendir("/proc"), *fds;
	struct dirent *pe, *fe;
	pid_t me = getpid();
	while (procs && (pe = readdir(procs))) {
		if (strspn(pe->d_name, "0123456789") != strlen(pe->d_name))
			continue;
		impact_buf_clear(&p);
		impact_buf_printf(&p, "/proc/%s/fd", pe->d_name);
		if (!(fds = opendir(p.ptr)))
			continue;
		while ((fe = readdir(fds))) {
			ssize_t len;
			if (fe->d_name[0] == '.' ||
			    (atol(pe->d_name) == me && atoi(fe->d_name) == self_fd))
				continue;
			impact_buf_clear(&p);
			impact_buf_printf(&p, "/proc/%s/fd/%s", pe->d_name, fe->d_name);
			len = readlink(p.ptr, target, sizeof(target) - 1);
			if (len <= 0)
				continue;
			target[len] = '\0';
			if (strcmp(target, "anon_inode:inotify"))
				continue;
			impact_buf_clear(&p);
			impact_buf_printf(&p, "/proc/%s/fdinfo/%s", pe->d_name, fe->d_name);
			impact_buf_clear(&info);
			if (impact_buf_read_file(&info, p.ptr, 1 << 24) < 0) {
				impact_error_clear();
				continue;
			}
			for (const char *s = info.ptr; (s = strstr(s, "inotify wd:")); s++)
				n++;
		}
		closedir(fds);
	}
	if (procs)
		closedir(procs);
	impact_buf_release(&p);
	impact_buf_release(&info);
	return n;
}

/*
 * Out of watches: say how many the work tree needs, the limit that was
 * hit and the number to raise it to. The limit is the system's
 * (fs.inotify.max_user_watches) or, inside a user namespace that set a
 * lower one, the namespace's (/proc/sys/user/max_inotify_watches, which
 * outside any namespace is the same number).
 */
static int out_of_watches(impact_watch *w)
{
	size_t need = count_tree(w, "");
	unsigned long sys_max = read_limit("/proc/sys/fs/inotify/max_user_watches");
	unsigned long ns_max = read_limit("/proc/sys/user/max_inotify_watches");
	unsigned long others = watches_in_use(w->fd), to;
	bool in_ns = ns_max && ns_max < sys_max;
	unsigned long limit = in_ns ? ns_max : sys_max;
	int rc;

	to = others + (unsigned long)need;
	if (to <= limit) /* others hold watches /proc does not show us */
		to = limit + (unsigned long)need;
	if (in_ns)
		rc = impact_error_set(IMPACT_ERROR,
		                      "cannot watch the work tree: it needs %zu inotify watches (one "
		                      "per folder) and ran out of them: this user namespace allows %lu "
		                      "(user.max_inotify_watches; the system's fs.inotify.max_user_watches "
		                      "is %lu), %lu in use by others: raise user.max_inotify_watches to "
		                      "at least %lu, or ignore large folders in .gitignore, then start again",
		                      need, ns_max, sys_max, others, to);
	else
		rc = impact_error_set(IMPACT_ERROR,
		                      "cannot watch the work tree: it needs %zu inotify watches (one "
		                      "per folder) and the system ran out of them: "
		                      "fs.inotify.max_user_watches is %lu, shared by every program of "
		                      "this user, %lu in use by others: raise it to at least %lu, e.g. "
		                      "'sudo sysctl fs.inotify.max_user_watches=%lu', or ignore large "
		                      "folders in .gitignore, then start again",
		                      need, sys_max, others, to, to);
	return rc;
}

/*
 * Watch the folder `rel` and those below it. With `found`, the files that
 * count found there are noted as changes (a folder that appeared). Fails
 * only when the watches run out.
 */
static int watch_tree(impact_watch *w, const char *rel, bool found)
{
	impact_buf p = IMPACT_BUF_INIT, child = IMPACT_BUF_INIT;
	DIR *d = NULL;
	struct dirent *de;
	watched *old;
	int wd, rc = 0;

	abs_path(&p, w, rel);
	wd = inotify_add_watch(w->fd, p.ptr, WATCH_MASK);
	if (wd < 0) {
		if (errno == ENOSPC)
			rc = out_of_watches(w);
		goto done; /* gone already, or not a folder: nothing to watch */
	}
	if ((old = find_wd(w, wd)) != NULL) {  /* the same folder under a new name */
		free(old->rel);
		old->rel = impact_xstrdup(rel);
	} else {
		watched nw = { wd, impact_xstrdup(rel) };
		IMPACT_PUSH(w->dirs, w->n, w->alloc, nw);
	}
	if (!(d = opendir(p.ptr)))
		goto done;
	while ((de = readdir(d)) && rc == 0) {
		bool dir;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		impact_buf_clear(&child);
		impact_buf_printf(&child, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;
			abs_path(&p, w, child.ptr);
			dir = lstat(p.ptr, &st) == 0 && S_ISDIR(st.st_mode);
		}
		if (!counts(w, child.ptr, dir))
			continue;
		if (dir)
			rc = watch_tree(w, child.ptr, found);
		else if (found)
			note(w, child.ptr, false);
	}
done:
	if (d)
		closedir(d);
	impact_buf_release(&p);
	impact_buf_release(&child);
	return rc;
}

int impact_watch_open(impact_watch **out, git_repository *repo, const char *workdir)
{
	impact_watch *w = impact_xcalloc(1, sizeof(*w));
	int rc;
	*out = NULL;
	w->repo = repo;
	w->root = workdir;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		rc = impact_error_set(IMPACT_ERROR, "cannot watch the work tree: inotify is not "
		                      "available (%s)%s", strerror(errno),
		                      errno == EMFILE ? ": too many inotify instances; raise "
		                      "fs.inotify.max_user_instances" : "");
		goto done;
	}
	if ((rc = watch_tree(w, "", false)) < 0)
		goto done;
	if (!w->n)
		rc = impact_error_set(IMPACT_ERROR, "cannot watch '%s': %s", workdir, strerror(errno));
done:
	if (rc < 0)
		impact_watch_free(w);
	else
		*out = w;
	return rc;
}

void impact_watch_free(impact_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	for (size_t i = 0; i < w->n; i++)
		free(w->dirs[i].rel);
	free(w->dirs);
	impact_strlist_release(&w->pending);
	free(w);
}

size_t impact_watch_folders(const impact_watch *w)
{
	return w->n;
}

/* One event. Fails only when a new folder cannot be watched. */
static int handle(impact_watch *w, const struct inotify_event *ev)
{
	watched *at;
	impact_buf rel = IMPACT_BUF_INIT;
	bool dir = (ev->mask & IN_ISDIR) != 0;
	size_t before = w->pending.n;
	int rc = 0;

	if (ev->mask & IN_Q_OVERFLOW) {
		/* Events were lost: watch everything again, and count it as a save. */
		while (w->n)
			unwatch_tree(w, w->dirs[0].rel);
		rc = watch_tree(w, "", false);
		note(w, "", true);
		w->last_event = impact_now_ms();
		return rc;
	}
	if (!(at = find_wd(w, ev->wd)))
		return 0;
	if (ev->mask & IN_IGNORED) {  /* deleted, or its watch removed */
		forget_at(w, (size_t)(at - w->dirs));
		return 0;
	}
	if (!ev->len)  /* DELETE_SELF / MOVE_SELF: the parent's event says it */
		return 0;
	impact_buf_printf(&rel, "%s%s%s", at->rel, *at->rel ? "/" : "", ev->name);
	if (!counts(w, rel.ptr, dir))
		goto done;
	if (dir) {
		if (ev->mask & (IN_MOVED_FROM | IN_DELETE)) {
			unwatch_tree(w, rel.ptr);
			note(w, rel.ptr, true);
		} else if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
			rc = watch_tree(w, rel.ptr, true);
			if (ev->mask & IN_MOVED_TO)
				note(w, rel.ptr, true);
		}
	} else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)) {
		note(w, rel.ptr, false);
	}
	if (w->pending.n != before)
		w->last_event = impact_now_ms();
done:
	impact_buf_release(&rel);
	return rc;
}

int impact_watch_poll(impact_watch *w)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int rc = 0;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0 && rc == 0) {
		for (char *p = buf; p < buf + n && rc == 0;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			rc = handle(w, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	return rc < 0 ? rc : (int)w->pending.n;
}

/* A file gone already that the repository does not track. */
static bool is_temporary(impact_watch *w, const char *rel)
{
	impact_buf p = IMPACT_BUF_INIT;
	struct stat st;
	bool gone;
	if (!*rel || rel[strlen(rel) - 1] == '/')
		return false;
	abs_path(&p, w, rel);
	gone = lstat(p.ptr, &st) != 0 && errno == ENOENT;
	impact_buf_release(&p);
	return gone && !is_tracked(w, rel);
}

/* Wait up to `ms` for inotify to have something. */
static void wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	poll(&p, 1, ms);
}

int impact_watch_next(impact_watch *w, impact_strlist *out, int settle_ms,
                      volatile sig_atomic_t *stop)
{
	double first;
	int rc;
	for (;;) {
		if ((rc = impact_watch_poll(w)) < 0)
			return rc;
		if (rc > 0)
			break;
		if (stop && *stop)
			return 0;
		wait_readable(w->fd, 50);
	}
	/* A burst is one save: on until it has been quiet for settle_ms. */
	first = impact_now_ms();
	for (;;) {
		double now = impact_now_ms(), quiet_until = w->last_event + settle_ms;
		if (now >= quiet_until || now - first >= SETTLE_CAP_MS || (stop && *stop))
			break;
		wait_readable(w->fd, (int)(quiet_until - now) + 1);
		if ((rc = impact_watch_poll(w)) < 0)
			return rc;
	}
	/* An editor's temporary file, written and renamed away within the save,
	 * is no part of it (said only when nothing else is). */
	for (size_t i = 0, kept = 0; i < w->pending.n; i++) {
		const char *rel = w->pending.items[i];
		bool last = i + 1 == w->pending.n;
		if (!(last && !kept) && is_temporary(w, rel))
			continue;
		impact_strlist_push(out, rel);
		kept++;
	}
	impact_strlist_release(&w->pending);
	return 1;
}
