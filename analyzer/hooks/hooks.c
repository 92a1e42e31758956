/*
 * hooks.c - impact's hook files in git's hook directory (see hooks.h).
 *
 * Chaining by renaming, not by editing: a hook that was there is renamed
 * to <name>.impact-saved, which keeps its bytes, mode, owner and even its
 * inode (a symlink stays a symlink), and uninstall renames it back. The
 * wrapper is written to a temporary file and renamed into place, so git
 * never runs half a hook. The wrapper only finds the binary; running the
 * saved hook first and deciding what to do is `impact hook <name>`'s job.
 */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const impact_hook_names[] = {
	"post-commit", "post-rewrite", "pre-merge-commit", "pre-push",
};
const size_t impact_hook_count = IMPACT_ARRAY_SIZE(impact_hook_names);

/* The wrapper's first comment line: how impact knows a hook is its own. */
#define MARKER "# impact-managed-hook v1"
#define MAX_HOOK_SIZE ((size_t)1 << 20)

static void strip_trailing_slashes(impact_buf *b)
{
	while (b->size > 1 && b->ptr[b->size - 1] == '/')
		impact_buf_truncate(b, b->size - 1);
}

int impact_hooks_dir_tracked(bool *out, git_repository *repo, const char *dir)
{
	const char *wd = git_repository_workdir(repo);
	git_index *index = NULL;
	impact_buf rel = IMPACT_BUF_INIT;
	size_t n = wd ? strlen(wd) : 0, pos;
	int err, rc = 0;

	*out = false;
	/* wd ends with '/'; dir has no trailing slash. */
	if (!wd || strncmp(dir, wd, n) || !dir[n])
		goto done;
	impact_buf_printf(&rel, "%s/", dir + n);
	err = git_repository_index(&index, repo);
	if (err == 0)
		err = git_index_read(index, 0);
	if (err < 0) {
		rc = impact_error_from_git(err, "cannot read the index");
		goto done;
	}
	*out = git_index_find_prefix(&pos, index, rel.ptr) == 0;
	git_error_clear();
done:
	git_index_free(index);
	impact_buf_release(&rel);
	return rc;
}

int impact_hooks_dir(char **dir, const char **why, git_repository *repo)
{
	git_config *cfg = NULL;
	git_buf val = GIT_BUF_INIT;
	impact_buf out = IMPACT_BUF_INIT;
	int err, rc = 0;

	*dir = NULL;
	*why = NULL;
	err = git_repository_config_snapshot(&cfg, repo);
	if (err < 0) {
		rc = impact_error_from_git(err, "cannot read the configuration of '%s'",
		                           git_repository_path(repo));
		goto done;
	}
	err = git_config_get_path(&val, cfg, "core.hooksPath");
	if (err < 0 && err != GIT_ENOTFOUND) {
		rc = impact_error_from_git(err, "cannot read core.hooksPath");
		goto done;
	}
	if (err == 0 && val.size) {
		/* git runs hooks from the work tree root (a bare repository: its git dir). */
		if (val.ptr[0] != '/') {
			const char *base = git_repository_workdir(repo);
			impact_buf_puts(&out, base ? base : git_repository_path(repo));
			strip_trailing_slashes(&out);
			impact_buf_putc(&out, '/');
		}
		impact_buf_puts(&out, val.ptr);
		*why = "core.hooksPath";
	} else {
		impact_buf_printf(&out, "%shooks", git_repository_commondir(repo));
		*why = "the common git directory";
	}
	strip_trailing_slashes(&out);
	*dir = impact_buf_detach(&out);
done:
	git_buf_dispose(&val);
	git_config_free(cfg);
	impact_buf_release(&out);
	return rc;
}

/* sh single quotes: 'it'\''s'. */
static void sh_quote(impact_buf *out, const char *s)
{
	impact_buf_putc(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			impact_buf_puts(out, "'\\''");
		else
			impact_buf_putc(out, *s);
	}
	impact_buf_putc(out, '\'');
}

/* The inverse of sh_quote for the wrapper's `impact='...'` line; NULL if malformed. */
static char *sh_unquote(const char *s, const char *end)
{
	impact_buf out = IMPACT_BUF_INIT;
	if (s >= end || *s != '\'')
		return NULL;
	s++;
	while (s < end) {
		if (*s == '\'') {
			if (end - s >= 4 && !memcmp(s, "'\\''", 4)) {
				impact_buf_putc(&out, '\'');
				s += 4;
				continue;
			}
			return impact_buf_detach(&out);
		}
		impact_buf_putc(&out, *s++);
	}
	impact_buf_release(&out);
	return NULL;
}

void impact_hook_script(impact_buf *out, const char *name, const char *binary)
{
	impact_buf_printf(out,
		"#!/bin/sh\n"
		MARKER ": installed by 'impact hooks install'.\n"
		"# 'impact hooks uninstall' removes it and puts back the hook that was\n"
		"# here, if any (kept meanwhile as %s" IMPACT_HOOK_SAVED_SUFFIX ", which\n"
		"# impact runs first). IMPACT_SKIP=1 skips impact's part.\n"
		"impact=", name);
	sh_quote(out, binary);
	impact_buf_printf(out,
		"\n[ -x \"$impact\" ] || impact=impact\n"
		"exec \"$impact\" hook %s \"$@\"\n", name);
}

int impact_hook_inspect(impact_hook_info *out, const char *dir, const char *name)
{
	impact_buf p = IMPACT_BUF_INIT, text = IMPACT_BUF_INIT;
	struct stat st;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	impact_buf_printf(&p, "%s/%s", dir, name);
	out->path = impact_xstrdup(p.ptr);
	impact_buf_puts(&p, IMPACT_HOOK_SAVED_SUFFIX);
	out->saved_path = impact_buf_detach(&p);
	out->saved = lstat(out->saved_path, &st) == 0;
	out->saved_runnable = out->saved && access(out->saved_path, X_OK) == 0;

	if (lstat(out->path, &st) < 0) {
		if (errno != ENOENT)
			rc = impact_error_from_errno(errno, "cannot look at '%s'", out->path);
		goto done;
	}
	out->state = IMPACT_HOOK_FOREIGN;
	if (!S_ISREG(st.st_mode)) {
		/*
		 * A symlink to a regular file is somebody's hook, moved aside like
		 * any other; anything else (a FIFO, where reading would block, a
		 * folder, a dangling link) is nobody's hook to move or replace.
		 */
		if (!S_ISLNK(st.st_mode) || stat(out->path, &st) < 0 || !S_ISREG(st.st_mode))
			rc = impact_error_set(IMPACT_EINVALID, "'%s' is not a regular file (%s): impact "
			                      "will not read, move or replace it; remove it, then run "
			                      "'impact hooks install' again", out->path,
			                      S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode)
			                      ? "a folder" : S_ISLNK(st.st_mode) ? "a dangling symlink"
			                      : "a special file");
		goto done;
	}
	rc = impact_buf_read_file(&text, out->path, MAX_HOOK_SIZE);
	if (rc < 0)
		goto done;
	if (strstr(text.ptr, "\n" MARKER)) {
		const char *line = strstr(text.ptr, "\nimpact='");
		out->state = IMPACT_HOOK_OURS;
		if (line) {
			const char *v = line + strlen("\nimpact=");
			const char *eol = strchr(v, '\n');
			out->binary = sh_unquote(v, eol ? eol : v + strlen(v));
		}
	}
done:
	if (rc < 0) /* nothing for the caller to free (releasing again is harmless) */
		impact_hook_info_release(out);
	impact_buf_release(&p);
	impact_buf_release(&text);
	return rc;
}

void impact_hook_info_release(impact_hook_info *info)
{
	if (!info)
		return;
	free(info->path);
	free(info->saved_path);
	free(info->binary);
	memset(info, 0, sizeof(*info));
}

/* mkdir -p. */
static int make_dirs(const char *dir)
{
	impact_buf p = IMPACT_BUF_INIT;
	int rc = 0;
	impact_buf_puts(&p, dir);
	for (size_t i = 1; i <= p.size; i++) {
		if (i < p.size && p.ptr[i] != '/')
			continue;
		p.ptr[i] = '\0';
		if (mkdir(p.ptr, 0777) < 0 && errno != EEXIST) {
			rc = impact_error_from_errno(errno, "cannot create the hook directory '%s'", p.ptr);
			break;
		}
		if (i < p.size)
			p.ptr[i] = '/';
	}
	impact_buf_release(&p);
	return rc;
}

/* Write `text` to `path` (executable) through the atomic replace. */
static int write_hook_file(const char *path, const impact_buf *text)
{
	int rc = impact_file_replace_mode(path, text->ptr ? text->ptr : "", text->size, 0777);
	if (rc < 0)
		rc = impact_error_set(rc, "cannot put the hook in place as '%s': %s", path,
		                      impact_error_last());
	return rc;
}

int impact_hook_install(impact_hook_change *what, const char *dir, const char *name,
                        const char *binary)
{
	impact_hook_info info;
	impact_buf text = IMPACT_BUF_INIT, old = IMPACT_BUF_INIT;
	bool moved = false;
	int rc;

	*what = IMPACT_HOOK_UNCHANGED;
	if ((rc = make_dirs(dir)) < 0)
		return rc;
	if ((rc = impact_hook_inspect(&info, dir, name)) < 0)
		goto done;
	impact_hook_script(&text, name, binary);
	if (info.state == IMPACT_HOOK_OURS) {
		if (impact_buf_read_file(&old, info.path, MAX_HOOK_SIZE) == 0 &&
		    old.size == text.size && !memcmp(old.ptr, text.ptr, text.size) &&
		    access(info.path, X_OK) == 0)
			goto done;
	} else if (info.state == IMPACT_HOOK_FOREIGN) {
		if (info.saved) {
			rc = impact_error_set(IMPACT_EINVALID,
			                      "both '%s' and '%s' exist and neither is impact's: "
			                      "keep the one you want as '%s', remove the other, "
			                      "then run 'impact hooks install' again",
			                      info.path, info.saved_path, info.path);
			goto done;
		}
		if (rename(info.path, info.saved_path) < 0) {
			rc = impact_error_from_errno(errno, "cannot move '%s' aside to '%s'",
			                             info.path, info.saved_path);
			goto done;
		}
		moved = true;
	}
	rc = write_hook_file(info.path, &text);
	if (rc < 0) {
		if (moved)
			rename(info.saved_path, info.path);
		goto done;
	}
	*what = moved ? IMPACT_HOOK_CHAINED : IMPACT_HOOK_WRITTEN;
done:
	impact_buf_release(&text);
	impact_buf_release(&old);
	impact_hook_info_release(&info);
	return rc;
}

int impact_hook_uninstall(impact_hook_change *what, const char *dir, const char *name)
{
	impact_hook_info info;
	int rc;

	*what = IMPACT_HOOK_UNCHANGED;
	if ((rc = impact_hook_inspect(&info, dir, name)) < 0)
		goto done;
	if (info.state == IMPACT_HOOK_FOREIGN) {
		*what = IMPACT_HOOK_NOT_OURS;
		goto done;
	}
	if (info.state == IMPACT_HOOK_OURS) {
		if (unlink(info.path) < 0) {
			rc = impact_error_from_errno(errno, "cannot remove '%s'", info.path);
			goto done;
		}
		*what = IMPACT_HOOK_REMOVED;
	}
	if (info.saved) {
		if (rename(info.saved_path, info.path) < 0) {
			rc = impact_error_from_errno(errno, "cannot put '%s' back as '%s'",
			                             info.saved_path, info.path);
			goto done;
		}
		*what = IMPACT_HOOK_RESTORED;
	}
done:
	impact_hook_info_release(&info);
	return rc;
}

char *impact_self_exe(void)
{
	static const char deleted[] = " (deleted)";
	size_t size = 256;
	for (;;) {
		char *p = impact_xmalloc(size);
		ssize_t n = readlink("/proc/self/exe", p, size);
		if (n < 0) {
			free(p);
			return NULL;
		}
		if ((size_t)n < size) {
			size_t d = sizeof(deleted) - 1;
			p[n] = '\0';
			/* Rebuilt while running: the path is still the right one to write. */
			if ((size_t)n > d && !strcmp(p + n - d, deleted))
				p[n - d] = '\0';
			return p;
		}
		free(p);
		size *= 2;
	}
}

static bool exists_in(const char *gitdir, const char *name)
{
	impact_buf p = IMPACT_BUF_INIT;
	struct stat st;
	bool yes;
	impact_buf_printf(&p, "%s%s", gitdir, name);
	yes = lstat(p.ptr, &st) == 0;
	impact_buf_release(&p);
	return yes;
}

const char *impact_hooks_sequence(git_repository *repo)
{
	/* The per-worktree git directory: each worktree rebases on its own. */
	const char *gitdir = git_repository_path(repo);
	if (exists_in(gitdir, "rebase-merge") || exists_in(gitdir, "rebase-apply"))
		return "rebase";
	if (exists_in(gitdir, "CHERRY_PICK_HEAD"))
		return "cherry-pick";
	if (exists_in(gitdir, "REVERT_HEAD"))
		return "revert";
	if (exists_in(gitdir, "sequencer"))
		return "cherry-pick or revert sequence";
	return NULL;
}
