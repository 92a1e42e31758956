/*
 * prepared.c - an interpreter started ahead of a run (see prepared.h).
 *
 * The request is one line of JSON written to the process's stdin (the
 * pipe's buffer holds it whole: it is far below PIPE_BUF's 64 KiB on
 * Linux for any realistic command line, and a longer one is refused).
 * SIGPIPE is ignored around the write, so a process that died while
 * waiting is an error here, not the end of impact.
 */
#include "prepared.h"

#include "child.h"
#include "clock.h"
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { REQUEST_MAX = 60000 };

extern char **environ;

struct impact_prepared {
	pid_t pid;
	int in_fd;                 /* the write end of its stdin */
	int out_fd;                /* the read end of its stdout: the report */
	impact_strlist python;     /* the interpreter's argv prefix */
	char *workdir;
	bool spent;
	/* The report: */
	int state;                 /* 0 not read yet, 1 ready, -1 unusable */
	bool parsed;               /* the report was read: files and keys are known */
	impact_buf text;           /* the report line, as read so far */
	char *why;                 /* with state -1 */
	impact_strlist modules, files, keys;
	int64_t *mtime, *size;     /* per file, as the process saw it */
};

int impact_prepared_start(impact_prepared **out, const impact_strlist *python_argv,
                          const char *script, const impact_strlist *args, const char *workdir)
{
	impact_prepared *p = impact_xcalloc(1, sizeof(*p));
	impact_strlist argv = { 0 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int fds[2] = { -1, -1 }, rep[2] = { -1, -1 }, err, rc = 0;

	*out = NULL;
	p->in_fd = p->out_fd = -1;
	for (size_t i = 0; i < python_argv->n; i++) {
		impact_strlist_push(&p->python, python_argv->items[i]);
		impact_strlist_push(&argv, python_argv->items[i]);
	}
	impact_strlist_push(&argv, script);
	for (size_t i = 0; args && i < args->n; i++)
		impact_strlist_push(&argv, args->items[i]);
	p->workdir = impact_xstrdup(workdir);
	if (pipe2(fds, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		rc = impact_error_from_errno(errno, "cannot create a pipe");
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addchdir_np(&fa, workdir);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawn_file_actions_adddup2(&fa, rep[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	impact_child_spawnattr(&attr, true);
	err = posix_spawnp(&p->pid, argv.items[0], &fa, &attr,
	                   (char *const *)impact_child_argv(&argv), environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[0]);
	fds[0] = -1;
	close(rep[1]);
	rep[1] = -1;
	p->in_fd = fds[1];
	p->out_fd = rep[0];
	fcntl(p->out_fd, F_SETFL, fcntl(p->out_fd, F_GETFL) | O_NONBLOCK);
	if (err) {
		p->pid = 0;
		rc = impact_error_from_errno(err, "cannot start '%s'", argv.items[0]);
	}
done:
	impact_strlist_release(&argv);
	if (rc < 0) {
		for (int i = 0; i < 2; i++) /* a pipe made before the other failed */
			if (fds[i] >= 0 && fds[i] != p->in_fd)
				close(fds[i]);
		impact_prepared_free(p);
	}
	else
		*out = p;
	return rc;
}

/* Is `argv` this interpreter's `-m pytest ...`? Then *args_at is where pytest's arguments begin. */
static bool fits(const impact_prepared *p, const char *const *argv, size_t *args_at)
{
	size_t i;
	for (i = 0; i < p->python.n; i++)
		if (!argv[i] || strcmp(argv[i], p->python.items[i]))
			return false;
	if (!argv[i] || strcmp(argv[i], "-m") || !argv[i + 1] || strcmp(argv[i + 1], "pytest"))
		return false;
	*args_at = i + 2;
	return true;
}

int impact_prepared_take(impact_prepared *p, pid_t *pid, const char *const *argv,
                         const char *const *env_add, const char *output)
{
	json_t *req = NULL, *args, *env;
	char *text = NULL;
	struct sigaction ign, old;
	size_t at, len;
	ssize_t n;
	int status, rc = 0;

	*pid = 0;
	if (!p || p->spent || !p->pid || !output || !fits(p, argv, &at))
		return IMPACT_ENOTFOUND;
	if (waitpid(p->pid, &status, WNOHANG) != 0) {  /* gone (or not ours) */
		p->pid = 0;
		return IMPACT_ENOTFOUND;
	}
	req = json_object();
	args = json_array();
	env = json_object();
	for (size_t i = at; argv[i]; i++) {
		json_t *s = json_string(argv[i]);
		if (!s) { /* not UTF-8: JSON cannot carry it; the caller starts the run itself */
			rc = IMPACT_ENOTFOUND;
			goto done;
		}
		json_array_append_new(args, s);
	}
	for (size_t i = 0; env_add && env_add[i]; i++) {
		const char *eq = strchr(env_add[i], '=');
		char *name;
		json_t *v;
		if (!eq)
			continue;
		name = impact_xstrndup(env_add[i], (size_t)(eq - env_add[i]));
		v = json_string(eq + 1);
		if (!v) {
			free(name);
			rc = IMPACT_ENOTFOUND;
			goto done;
		}
		json_object_set_new(env, name, v);
		free(name);
	}
	json_object_set(req, "argv", args);
	json_object_set(req, "env", env);
	if (json_object_set_new(req, "cwd", json_string(p->workdir)) < 0 ||
	    json_object_set_new(req, "output", json_string(output)) < 0) {
		rc = IMPACT_ENOTFOUND; /* a path that is not UTF-8 */
		goto done;
	}
	text = json_dumps(req, JSON_COMPACT);
	if (!text || (len = strlen(text)) > REQUEST_MAX) {
		rc = IMPACT_ENOTFOUND;
		goto done;
	}
	text[len] = '\n'; /* json_dumps' NUL replaced: written with its length */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	n = write(p->in_fd, text, len + 1);
	sigaction(SIGPIPE, &old, NULL);
	if (n != (ssize_t)(len + 1)) {
		rc = IMPACT_ENOTFOUND;
		goto done;
	}
	close(p->in_fd);
	p->in_fd = -1;
	if (p->out_fd >= 0)
		close(p->out_fd);
	p->out_fd = -1;
	p->spent = true;
	*pid = p->pid;
done:
	free(text);
	json_decref(args);
	json_decref(env);
	json_decref(req);
	return rc;
}

/* Parse the report line (state 1 or -1). */
static void parse_report(impact_prepared *p)
{
	json_error_t jerr;
	json_t *r = json_loads(p->text.ptr, 0, &jerr), *v;
	size_t i;
	p->state = -1;
	if (!r || !json_is_object(r)) {
		p->why = impact_xstrdup("its report could not be read (a file name that is not UTF-8?)");
		goto done;
	}
	p->parsed = true;
	json_array_foreach(json_object_get(r, "modules"), i, v)
		if (json_string_value(v))
			impact_strlist_push(&p->modules, json_string_value(v));
	json_array_foreach(json_object_get(r, "keys"), i, v)
		if (json_string_value(v))
			impact_strlist_push(&p->keys, json_string_value(v));
	json_array_foreach(json_object_get(r, "files"), i, v)
		if (json_string_value(v))
			impact_strlist_push(&p->files, json_string_value(v));
	p->mtime = impact_xcalloc(p->files.n + 1, sizeof(*p->mtime));
	p->size = impact_xcalloc(p->files.n + 1, sizeof(*p->size));
	json_array_foreach(json_object_get(r, "stat"), i, v) {
		if (i >= p->files.n)
			break;
		p->mtime[i] = json_integer_value(json_array_get(v, 0));
		p->size[i] = json_integer_value(json_array_get(v, 1));
	}
	if (json_is_true(json_object_get(r, "ok")) && json_array_size(json_object_get(r, "stat")) ==
	    p->files.n) {
		p->state = 1;
	} else {
		const char *why = json_string_value(json_object_get(r, "why"));
		p->why = impact_xstrdup(why ? why : "its report is incomplete");
	}
done:
	json_decref(r);
}

int impact_prepared_ready(impact_prepared *p, int wait_ms)
{
	double until = impact_now_ms() + wait_ms;
	char chunk[65536];
	if (!p || (p->spent && p->state == 0))
		return -1;
	while (p->state == 0 && p->out_fd >= 0) {
		ssize_t n = read(p->out_fd, chunk, sizeof(chunk));
		if (n > 0) {
			const char *nl;
			impact_buf_put(&p->text, chunk, (size_t)n);
			if ((nl = memchr(p->text.ptr, '\n', p->text.size)) != NULL) {
				impact_buf_truncate(&p->text, (size_t)(nl - p->text.ptr));
				parse_report(p);
			}
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			p->state = -1;
			p->why = impact_xstrdup("it ended before it was ready");
			break;
		}
		if (impact_now_ms() >= until)
			return 0;
		{
			struct pollfd pf = { .fd = p->out_fd, .events = POLLIN };
			poll(&pf, 1, (int)(until - impact_now_ms()) + 1);
		}
	}
	return p->state;
}

const char *impact_prepared_why(const impact_prepared *p)
{
	return p && p->why ? p->why : "not ready";
}

const impact_strlist *impact_prepared_modules(const impact_prepared *p)
{
	return &p->modules;
}

/* `path` without its suffix (.py, .pyc, .pyi; an extension module's .cpython-...so) and /__init__. */
static void module_key(impact_buf *out, const char *path)
{
	const char *base;
	size_t n = strlen(path);
	impact_buf_clear(out);
	while (n && path[n - 1] == '/')
		n--;
	impact_buf_put(out, path, n);
	if (!out->ptr)
		return;
	base = strrchr(out->ptr, '/');
	base = base ? base + 1 : out->ptr;
	if (impact_path_has_suffix(base, ".py") || impact_path_has_suffix(base, ".pyc") ||
	    impact_path_has_suffix(base, ".pyi") || impact_path_has_suffix(base, ".so") ||
	    impact_path_has_suffix(base, ".pyd")) {
		const char *dot = strchr(base, '.');
		impact_buf_truncate(out, (size_t)(dot - out->ptr));
	}
	if (impact_path_has_suffix(out->ptr, "/__init__"))
		impact_buf_truncate(out, out->size - strlen("/__init__"));
	else if (!strcmp(out->ptr, "__init__"))
		impact_buf_clear(out);
}

/* Files whose change can change what an import finds or does, wherever they are. */
static bool import_config(const char *path)
{
	static const char *const names[] = { "conftest.py", "pyproject.toml", "setup.cfg",
	                                     "setup.py", "pytest.ini", "tox.ini",
	                                     "sitecustomize.py", "usercustomize.py" };
	const char *base = impact_path_base(path);
	if (impact_path_has_suffix(base, ".pth"))
		return true;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(names); i++)
		if (!strcmp(base, names[i]))
			return true;
	return false;
}

const char *impact_prepared_stale(const impact_prepared *p, const impact_strlist *paths)
{
	impact_buf key = IMPACT_BUF_INIT;
	const char *why = NULL;
	if (!p)
		return "not ready";
	for (size_t i = 0; i < paths->n && !why; i++) {
		const char *path = paths->items[i];
		size_t n = strlen(path);
		if (import_config(path) || (!p->parsed && (impact_path_has_suffix(path, ".py") ||
		                                           path[n ? n - 1 : 0] == '/'))) {
			why = path;
			break;
		}
		if (!n || !strcmp(path, "/")) { /* the whole tree (events were lost) */
			why = path;
			break;
		}
		if (path[n - 1] == '/')
			n--;
		for (size_t k = 0; k < p->files.n && !why; k++) {
			const char *f = p->files.items[k];
			/* the file itself, or a folder above it (deleted, renamed) */
			if (!strncmp(f, path, n) && (f[n] == '\0' || f[n] == '/'))
				why = path;
		}
		module_key(&key, path);
		for (size_t k = 0; k < p->keys.n && !why; k++)
			if (!strcmp(p->keys.items[k], key.ptr ? key.ptr : ""))
				why = path;
	}
	impact_buf_release(&key);
	return why;
}

const char *impact_prepared_changed(const impact_prepared *p)
{
	impact_buf path = IMPACT_BUF_INIT;
	const char *changed = NULL;
	if (!p || p->state != 1)
		return "not ready";
	for (size_t i = 0; i < p->files.n && !changed; i++) {
		struct stat st;
		impact_buf_clear(&path);
		impact_buf_printf(&path, "%s/%s", p->workdir, p->files.items[i]);
		if (stat(path.ptr, &st) != 0 ||
		    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec != p->mtime[i] ||
		    (int64_t)st.st_size != p->size[i])
			changed = p->files.items[i];
	}
	impact_buf_release(&path);
	return changed;
}

void impact_prepared_stop(impact_prepared *p)
{
	int status;
	if (!p || !p->pid || p->spent)
		return;
	kill(-p->pid, SIGKILL);
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	p->pid = 0;
}

pid_t impact_prepared_pid(const impact_prepared *p)
{
	return p && !p->spent ? p->pid : 0;
}

bool impact_prepared_spent(const impact_prepared *p)
{
	return p && p->spent;
}

void impact_prepared_free(impact_prepared *p)
{
	if (!p)
		return;
	if (p->in_fd >= 0)
		close(p->in_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	impact_prepared_stop(p);
	impact_strlist_release(&p->python);
	impact_strlist_release(&p->modules);
	impact_strlist_release(&p->files);
	impact_strlist_release(&p->keys);
	impact_buf_release(&p->text);
	free(p->mtime);
	free(p->size);
	free(p->why);
	free(p->workdir);
	free(p);
}
