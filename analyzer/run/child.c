/*
 * child.c - posix_spawn with an argv (see child.h).
 *
 * Changing directory in the child uses posix_spawn_file_actions_addchdir_np
 * (glibc >= 2.29). Capture goes through a pipe drained before waiting, so
 * a chatty child cannot block on a full pipe.
 */
#include "child.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char **build_env(const char *const *add)
{
	size_t n = 0, k = 0, m = 0;
	char **env;
	while (environ[n])
		n++;
	while (add && add[m])
		m++;
	env = impact_xcalloc(n + m + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;
		for (size_t j = 0; j < m && !replaced; j++) {
			const char *eq = strchr(add[j], '=');
			size_t len = eq ? (size_t)(eq - add[j]) + 1 : strlen(add[j]);
			replaced = !strncmp(environ[i], add[j], len);
		}
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		env[k++] = (char *)add[j];
	env[k] = NULL;
	return env;
}

static int start(pid_t *pid, const char *const *argv, const impact_child_opts *opts,
                 int capture_fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char **env = NULL;
	int rc, err;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	if (opts && opts->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, opts->cwd);
	if (opts && opts->quiet) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	} else if (opts && opts->output_fd > 0) {
		posix_spawn_file_actions_adddup2(&fa, opts->output_fd, 1);
		posix_spawn_file_actions_adddup2(&fa, opts->output_fd, 2);
	} else if (opts && opts->stdout_to_stderr) {
		posix_spawn_file_actions_adddup2(&fa, 2, 1);
	} else if (capture_fd >= 0) {
		posix_spawn_file_actions_adddup2(&fa, capture_fd, 1);
		posix_spawn_file_actions_adddup2(&fa, capture_fd, 2);
		posix_spawn_file_actions_addclose(&fa, capture_fd);
	}
	impact_child_spawnattr(&attr, opts && opts->new_session);
	if (opts && opts->env_add)
		env = build_env(opts->env_add);
	err = posix_spawnp(pid, argv[0], &fa, &attr, (char *const *)argv,
	                   env ? env : environ);
	if (err == ENOENT)
		rc = impact_error_set(IMPACT_ENOTFOUND, "'%s' not found", argv[0]);
	else if (err)
		rc = impact_error_from_errno(err, "cannot run '%s'", argv[0]);
	else
		rc = 0;
	free(env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

int impact_child_start(pid_t *pid, const char *const *argv,
                       const impact_child_opts *opts)
{
	return start(pid, argv, opts, -1);
}

int impact_child_wait(int *status, pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return impact_error_from_errno(errno, "cannot wait for process %d", (int)pid);
	}
	if (WIFEXITED(st))
		*status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		*status = 128 + WTERMSIG(st);
	else
		*status = 1;
	return 0;
}

int impact_child_run(int *status, const char *const *argv,
                     const impact_child_opts *opts)
{
	int fds[2] = { -1, -1 };
	pid_t pid;
	int rc;

	if (opts && opts->capture) {
		if (pipe2(fds, O_CLOEXEC) < 0)
			return impact_error_from_errno(errno, "cannot create a pipe");
	}
	rc = start(&pid, argv, opts, fds[1]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (rc == 0 && fds[0] >= 0) {
		char chunk[8192];
		ssize_t n;
		while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			impact_buf_put(opts->capture, chunk, (size_t)n);
		}
	}
	if (fds[0] >= 0)
		close(fds[0]);
	if (rc < 0)
		return rc;
	return impact_child_wait(status, pid);
}

const char *const *impact_child_argv(impact_strlist *list)
{
	IMPACT_GROW(list->items, list->alloc, list->n + 1);
	list->items[list->n] = NULL;
	return (const char *const *)list->items;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}


void impact_child_spawnattr(posix_spawnattr_t *attr, bool new_session)
{
	sigset_t def, none;
	short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGQUIT);
	sigaddset(&def, SIGPIPE);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(attr, &def);
	posix_spawnattr_setsigmask(attr, &none);
	if (new_session)
		flags |= POSIX_SPAWN_SETSID;
	posix_spawnattr_setflags(attr, flags);
}

/* Non-blocking: 1 and *status when `pid` has exited, 0 if not yet, -1 on error. */
static int try_wait(pid_t pid, int *status)
{
	int st;
	pid_t r = waitpid(pid, &st, WNOHANG);
	if (r == 0)
		return 0;
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
	return 1;
}

/* Pass on whatever output is ready, without blocking: false at its end (for now, in a file). */
static bool drain(const impact_child_limits *lim)
{
	char chunk[8192];
	ssize_t n;
	if (lim->output_fd <= 0)
		return true;
	while ((n = read(lim->output_fd, chunk, sizeof(chunk))) > 0)
		if (lim->on_output)
			lim->on_output(chunk, (size_t)n, lim->payload);
	return n != 0;
}

/* A descriptor that becomes readable when `pid` exits (Linux >= 5.3), or -1. */
static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	IMPACT_UNUSED(pid);
	return -1;
#endif
}

/*
 * Sleep up to `ms`, waking early when the child exits (`pidfd`) or has
 * written to a pipe (`out_fd`, when it is one: a regular file is always
 * "readable" and is read on the next turn anyway).
 */
static void nap_for(int pidfd, int out_fd, long ms)
{
	struct pollfd p[2];
	nfds_t n = 0;
	struct stat st;
	if (pidfd >= 0)
		p[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	if (out_fd > 0 && fstat(out_fd, &st) == 0 && S_ISFIFO(st.st_mode))
		p[n++] = (struct pollfd){ .fd = out_fd, .events = POLLIN };
	if (!n || poll(p, n, (int)ms) < 0)
		nap_ms(ms);
}

int impact_child_wait_limited(int *status, impact_child_end *end, pid_t pid,
                              const impact_child_limits *lim)
{
	double start = (impact_now_ms() / 1000.0), stop_at = 0;
	int interrupts_seen = 0, r, rc = 0;
	int pidfd = open_pidfd(pid), poll_fd = lim->output_fd;
	bool stopping = false, killed = false;

	*end = IMPACT_CHILD_EXITED;
	for (;;) {
		/*
		 * A pipe at its end (the child closed it, or handed it on) polls
		 * readable at once, forever: not polled again, or this loop would
		 * spin until the child exits (110 ms of a core after the
		 * pre-flight's interpreter closed its output, every run).
		 */
		if (!drain(lim))
			poll_fd = -1;
		if (lim->on_tick)
			lim->on_tick(lim->payload);
		r = try_wait(pid, status);
		if (r < 0) {
			rc = impact_error_from_errno(errno, "cannot wait for process %d", (int)pid);
			break;
		}
		if (r > 0) {
			drain(lim); /* what it wrote last; never waits for EOF (orphans may hold it) */
			break;
		}
		if (!stopping && lim->timeout_s > 0 && (impact_now_ms() / 1000.0) - start >= lim->timeout_s) {
			*end = IMPACT_CHILD_TIMED_OUT;
			stopping = true;
		}
		if (lim->interrupted && *lim->interrupted > interrupts_seen) {
			int news = *lim->interrupted - interrupts_seen;
			interrupts_seen = *lim->interrupted;
			if (!stopping) {
				*end = IMPACT_CHILD_INTERRUPTED;
				stopping = true;
				if (news > 1) /* two Ctrl-C before we looked: no grace either */
					stop_at = (impact_now_ms() / 1000.0);
			} else {
				stop_at = (impact_now_ms() / 1000.0); /* a second Ctrl-C: no more grace */
			}
		}
		if (stopping && !stop_at) {
			kill(-pid, SIGINT);
			stop_at = (impact_now_ms() / 1000.0) + lim->grace_s;
		}
		if (stopping && !killed && (impact_now_ms() / 1000.0) >= stop_at) {
			kill(-pid, SIGINT); /* no-op if sent; makes "stop_at = now" paths polite first */
			kill(-pid, SIGKILL);
			killed = true;
		}
		nap_for(pidfd, poll_fd, 20);
	}
	if (pidfd >= 0)
		close(pidfd);
	return rc;
}

static void capture_output(const char *data, size_t n, void *payload)
{
	impact_buf *out = payload;
	if (out->size < ((size_t)16 << 20))
		impact_buf_put(out, data, n);
}

int impact_child_capture_start(impact_child_job *job, const char *const *argv,
                               const impact_child_opts *opts)
{
	impact_child_opts co = opts ? *opts : (impact_child_opts){ 0 };
	int fds[2] = { -1, -1 }, rc;

	memset(job, 0, sizeof(*job));
	job->fd = -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return impact_error_from_errno(errno, "cannot create a pipe");
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	co.quiet = false;
	co.stdout_to_stderr = false;
	co.capture = NULL;
	co.output_fd = fds[1];
	co.new_session = true;
	rc = impact_child_start(&job->pid, argv, &co);
	close(fds[1]);
	if (rc < 0) {
		close(fds[0]);
		job->pid = 0;
		return rc;
	}
	job->fd = fds[0];
	return 0;
}

bool impact_child_capture_poll(impact_child_job *job)
{
	impact_child_limits lim = { 0 };
	int r;
	if (job->exited || !job->pid)
		return true;
	lim.output_fd = job->fd;
	lim.on_output = capture_output;
	lim.payload = &job->out;
	drain(&lim);
	r = try_wait(job->pid, &job->status);
	if (r == 0)
		return false;
	if (r > 0)
		drain(&lim); /* what it wrote last */
	else
		job->status = 1;
	job->exited = true;
	return true;
}

int impact_child_capture_finish(impact_child_job *job, int *status, impact_child_end *end,
                                const impact_child_limits *limits)
{
	impact_child_limits lim = limits ? *limits : (impact_child_limits){ 0 };
	int rc = 0;
	*end = IMPACT_CHILD_EXITED;
	if (!job->pid)
		return impact_error_set(IMPACT_ERROR, "no child was started");
	if (!job->exited) {
		lim.output_fd = job->fd;
		lim.on_output = capture_output;
		lim.on_tick = NULL;
		lim.payload = &job->out;
		rc = impact_child_wait_limited(&job->status, end, job->pid, &lim);
		job->exited = true;
	}
	*status = job->status;
	return rc;
}

void impact_child_job_release(impact_child_job *job)
{
	if (job->pid && job->fd >= 0) /* a zeroed job started nothing: its 0 is no pipe */
		close(job->fd);
	impact_buf_release(&job->out);
	memset(job, 0, sizeof(*job));
	job->fd = -1;
}

int impact_child_capture(int *status, impact_child_end *end, pid_t *pid,
                         impact_buf *out, const char *const *argv,
                         const impact_child_opts *opts,
                         const impact_child_limits *limits)
{
	impact_child_job job;
	int rc;

	*end = IMPACT_CHILD_EXITED;
	*pid = 0;
	if ((rc = impact_child_capture_start(&job, argv, opts)) < 0)
		return rc;
	*pid = job.pid;
	rc = impact_child_capture_finish(&job, status, end, limits);
	impact_buf_put(out, job.out.ptr, job.out.size);
	impact_child_job_release(&job);
	return rc;
}
