/*
 * bgrun.c - one background test run at a time (see bgrun.h).
 *
 * flock() rather than a pid file alone: the kernel drops the lock when its
 * holder dies, however it dies, so a stale pid can never be mistaken for
 * a run going on, and a pid is only ever signalled while its process still
 * holds the lock. The lock's descriptor is close-on-exec, so pytest and
 * the processes it starts never keep it.
 */
#include "bgrun.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct impact_bgrun {
	int fd;
};

/* How long past the grace period a holder may take to let go. */
#define HOLDER_DEADLINE_S 30.0

int impact_bgrun_want(git_repository *repo, const char *token)
{
	char *path = impact_state_path(repo, "bg.want");
	impact_buf text = IMPACT_BUF_INIT;
	int rc;
	impact_buf_printf(&text, "%s\n", token);
	rc = impact_file_replace(path, text.ptr, text.size);
	impact_buf_release(&text);
	free(path);
	return rc;
}

bool impact_bgrun_is_current(git_repository *repo, const char *token)
{
	char *path = impact_state_path(repo, "bg.want");
	impact_buf text = IMPACT_BUF_INIT;
	bool current = true; /* nobody asked for anything newer */
	if (impact_buf_read_file(&text, path, 4096) == 0) {
		while (text.size && (text.ptr[text.size - 1] == '\n' || text.ptr[text.size - 1] == '\r'))
			impact_buf_truncate(&text, text.size - 1);
		current = !strcmp(text.ptr, token);
	}
	impact_buf_release(&text);
	free(path);
	return current;
}

static pid_t read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 1 ? (pid_t)pid : 0;
}

static void signal_group(pid_t pid, int sig)
{
	/* Background runs lead their own session: the group is the run and its helpers. */
	if (kill(-pid, sig) < 0)
		kill(pid, sig);
}

int impact_bgrun_acquire(impact_bgrun **out, git_repository *repo, const char *token,
                         double grace)
{
	char *path = impact_state_path(repo, "bg.lock");
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	pid_t signalled = 0;
	double since = 0;
	bool killed = false, locked = false;
	int fd, rc = 0;
	char pidtext[32];

	*out = NULL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		rc = impact_error_from_errno(errno, "cannot open the run lock '%s'", path);
		goto done;
	}
	for (;;) {
		pid_t holder;
		double now;
		if (!impact_bgrun_is_current(repo, token)) {
			rc = IMPACT_ENOTFOUND;
			goto done;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			locked = true;
			break;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			rc = impact_error_from_errno(errno, "cannot lock '%s'", path);
			goto done;
		}
		holder = read_pid(fd);
		now = (impact_now_ms() / 1000.0);
		if (holder && holder != signalled) {
			signal_group(holder, SIGINT);
			signalled = holder;
			since = now;
			killed = false;
		} else if (holder && !killed && now - since > grace) {
			signal_group(holder, SIGKILL);
			killed = true;
		} else if (holder && now - since > grace + HOLDER_DEADLINE_S) {
			rc = impact_error_set(IMPACT_ERROR, "the background run %d holds '%s' and "
			                      "does not stop: end it, then commit again", (int)holder, path);
			goto done;
		}
		nanosleep(&nap, NULL);
	}
	/* A newer run may have been asked for while we waited for the lock. */
	if (!impact_bgrun_is_current(repo, token)) {
		rc = IMPACT_ENOTFOUND;
		goto done;
	}
	snprintf(pidtext, sizeof(pidtext), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pidtext, strlen(pidtext), 0) < 0) {
		rc = impact_error_from_errno(errno, "cannot write '%s'", path);
		goto done;
	}
	*out = impact_xcalloc(1, sizeof(**out));
	(*out)->fd = fd;
	fd = -1;
done:
	if (fd >= 0) {
		if (locked)
			flock(fd, LOCK_UN);
		close(fd);
	}
	free(path);
	return rc;
}

void impact_bgrun_release(impact_bgrun *run)
{
	if (!run)
		return;
	if (ftruncate(run->fd, 0) < 0) {
		/* An unlocked file's pid is never read; nothing to undo. */
	}
	flock(run->fd, LOCK_UN);
	close(run->fd);
	free(run);
}

pid_t impact_bgrun_holder(git_repository *repo)
{
	char *path = impact_state_path(repo, "bg.lock");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	pid_t pid = 0;
	free(path);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		flock(fd, LOCK_UN); /* free: nobody runs */
	else
		pid = read_pid(fd);
	close(fd);
	return pid;
}

static void set_string(json_t *o, const char *key, const char *value)
{
	json_object_set_new(o, key, value ? json_string(value) : json_null());
}

int impact_bgrun_state_write(git_repository *repo, const impact_bgrun_state *st)
{
	json_t *doc = json_object();
	char *path = impact_state_path(repo, "post-commit.json"), *text;
	char when[32];
	struct tm tm;
	int rc;

	gmtime_r(&st->started, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(doc, "version", json_integer(1));
	set_string(doc, "state", st->state);
	set_string(doc, "hook", st->hook);
	set_string(doc, "commit", st->commit);
	set_string(doc, "base", st->base);
	set_string(doc, "range", st->range);
	json_object_set_new(doc, "pid", json_integer(st->pid));
	set_string(doc, "started", when);
	json_object_set_new(doc, "started_epoch", json_integer((json_int_t)st->started));
	if (st->state && !strcmp(st->state, "done")) {
		json_object_set_new(doc, "duration_s", json_real(st->duration_s));
		json_object_set_new(doc, "exit_code", json_integer(st->exit_code));
	}
	set_string(doc, "log", st->log);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	rc = text ? impact_file_replace(path, text, strlen(text))
	          : impact_error_set(IMPACT_ERROR, "cannot encode '%s'", path);
	free(text);
	json_decref(doc);
	free(path);
	return rc;
}

static char *dup_string(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? impact_xstrdup(s) : NULL;
}

int impact_bgrun_state_read(impact_bgrun_state *out, git_repository *repo)
{
	char *path = impact_state_path(repo, "post-commit.json");
	json_error_t jerr;
	json_t *doc;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	doc = json_load_file(path, 0, &jerr);
	if (!doc) {
		rc = access(path, F_OK) == 0
		     ? impact_error_set(IMPACT_EINVALID, "'%s' is damaged (%s): the next commit rewrites it",
		                        path, jerr.text)
		     : impact_error_set(IMPACT_ENOTFOUND, "no background run is recorded in '%s'", path);
		goto done;
	}
	out->state = dup_string(doc, "state");
	out->hook = dup_string(doc, "hook");
	out->commit = dup_string(doc, "commit");
	out->base = dup_string(doc, "base");
	out->range = dup_string(doc, "range");
	out->log = dup_string(doc, "log");
	out->pid = (pid_t)json_integer_value(json_object_get(doc, "pid"));
	out->started = (time_t)json_integer_value(json_object_get(doc, "started_epoch"));
	out->duration_s = json_number_value(json_object_get(doc, "duration_s"));
	out->exit_code = (int)json_integer_value(json_object_get(doc, "exit_code"));
	if (!out->state) {
		impact_bgrun_state_release(out);
		rc = impact_error_set(IMPACT_EINVALID, "'%s' has no \"state\": the next commit rewrites it",
		                      path);
	}
done:
	json_decref(doc);
	free(path);
	return rc;
}

void impact_bgrun_state_release(impact_bgrun_state *st)
{
	if (!st)
		return;
	free(st->state);
	free(st->hook);
	free(st->commit);
	free(st->base);
	free(st->range);
	free(st->log);
	memset(st, 0, sizeof(*st));
}
