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

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

enum { REQUEST_MAX = 60000 };

extern char **environ;

struct impact_prepared {
	pid_t pid;
	int in_fd;                 /* the write end of its stdin */
	impact_strlist python;     /* the interpreter's argv prefix */
	char *workdir;
	bool spent;
};

int impact_prepared_start(impact_prepared **out, const impact_strlist *python_argv,
                          const char *script, const char *workdir)
{
	impact_prepared *p = impact_xcalloc(1, sizeof(*p));
	impact_strlist argv = { 0 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int fds[2] = { -1, -1 }, err, rc = 0;

	*out = NULL;
	p->in_fd = -1;
	for (size_t i = 0; i < python_argv->n; i++) {
		impact_strlist_push(&p->python, python_argv->items[i]);
		impact_strlist_push(&argv, python_argv->items[i]);
	}
	impact_strlist_push(&argv, script);
	p->workdir = impact_xstrdup(workdir);
	if (pipe2(fds, O_CLOEXEC) < 0) {
		rc = impact_error_from_errno(errno, "cannot create a pipe");
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addchdir_np(&fa, workdir);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	impact_child_spawnattr(&attr, true);
	err = posix_spawnp(&p->pid, argv.items[0], &fa, &attr,
	                   (char *const *)impact_child_argv(&argv), environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[0]);
	p->in_fd = fds[1];
	if (err) {
		p->pid = 0;
		rc = impact_error_from_errno(err, "cannot start '%s'", argv.items[0]);
	}
done:
	impact_strlist_release(&argv);
	if (rc < 0)
		impact_prepared_free(p);
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
	p->spent = true;
	*pid = p->pid;
done:
	free(text);
	json_decref(args);
	json_decref(env);
	json_decref(req);
	return rc;
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
	int status;
	if (!p)
		return;
	if (p->in_fd >= 0)
		close(p->in_fd);
	if (p->pid && !p->spent) {
		kill(-p->pid, SIGKILL);
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	impact_strlist_release(&p->python);
	free(p->workdir);
	free(p);
}
