/*
 * child.h - run a child process from an argv, never through a shell.
 *
 * Owns posix_spawn usage: file names may hold any byte, so arguments are
 * passed as they are. Optionally in a directory of its own, with extra
 * environment variables, with stdout/stderr sent to /dev/null or a file,
 * in a session of its own, and bounded in time with a polite stop. A
 * child starts with SIGINT, SIGTERM, SIGQUIT and SIGPIPE at their
 * defaults and no signal blocked, whatever impact inherited: a shell
 * starts background jobs with SIGINT ignored, and a pytest that ignores
 * SIGINT could only be killed, never stopped politely.
 */
#ifndef IMPACT_CHILD_H
#define IMPACT_CHILD_H

#include "buf.h"
#include "pytestcfg.h"

#include <signal.h>
#include <spawn.h>
#include <sys/types.h>

typedef struct impact_child_opts {
	const char *cwd;            /* NULL = inherit */
	const char *const *env_add; /* "NAME=value" entries added to the environment; NULL-terminated, or NULL */
	bool quiet;                 /* stdout and stderr to /dev/null */
	bool stdout_to_stderr;      /* the child's stdout goes to our stderr */
	int output_fd;              /* > 0: the child's stdout and stderr go to this fd */
	bool new_session;           /* setsid(): the child leads its own process group */
	impact_buf *capture;        /* if set, stdout+stderr are captured here */
} impact_child_opts;

/*
 * Start argv[0] (looked up in PATH when it has no '/'). Returns 0 and the
 * pid in *pid, or IMPACT_ENOTFOUND when the program does not exist, or
 * IMPACT_ERROR.
 */
int impact_child_start(pid_t *pid, const char *const *argv,
                       const impact_child_opts *opts);
/* Wait for `pid`; *status gets the exit code, or 128 + signal number. */
int impact_child_wait(int *status, pid_t pid);
/* start + wait (+ capture). */
int impact_child_run(int *status, const char *const *argv,
                     const impact_child_opts *opts);

/*
 * `list` as an argv: its items followed by a NULL (not counted in
 * list->n). Borrowed from `list`; valid until it changes.
 */
const char *const *impact_child_argv(impact_strlist *list);

/* How a bounded wait ended. */
typedef enum impact_child_end {
	IMPACT_CHILD_EXITED = 0,    /* on its own */
	IMPACT_CHILD_TIMED_OUT,     /* the deadline passed: stopped */
	IMPACT_CHILD_INTERRUPTED,   /* *interrupted was set (Ctrl-C): stopped */
} impact_child_end;

typedef struct impact_child_limits {
	double timeout_s;                    /* 0 = none */
	double grace_s;                      /* between SIGINT and SIGKILL */
	volatile const sig_atomic_t *interrupted; /* polled; NULL = never */
	int output_fd;                       /* > 0: read the child's output from here */
	void (*on_output)(const char *data, size_t n, void *payload);
	void (*on_tick)(void *payload);      /* each poll, about every 20 ms */
	void *payload;
} impact_child_limits;

/*
 * Wait for `pid`, the leader of its own process group (new_session), until
 * it exits, the deadline passes or *interrupted is set. Then the group is
 * stopped politely: SIGINT, up to grace seconds for teardown, SIGKILL (a
 * second interrupt skips the grace). *status gets the exit code or 128 +
 * signal; *end how it ended.
 */
int impact_child_wait_limited(int *status, impact_child_end *end, pid_t pid,
                              const impact_child_limits *limits);

/*
 * Start argv in a session of its own, capture its stdout and stderr into
 * `out` (at most 16 MiB are kept), and wait under `limits` (its output
 * fields are ignored). *pid gets the child's pid (its session id, for
 * reaping what it leaves). Errors as impact_child_start.
 */
int impact_child_capture(int *status, impact_child_end *end, pid_t *pid,
                         impact_buf *out, const char *const *argv,
                         const impact_child_opts *opts,
                         const impact_child_limits *limits);

/*
 * The same in steps, for a child that runs beside other work: started
 * (its stdout and stderr to a pipe, in a session of its own); polled
 * (what it wrote read, without blocking: true once it has exited, and
 * reaped); finished (waited for under `limits`, *status and *end as
 * above). The output (at most 16 MiB) is in job->out. Release it after.
 */
typedef struct impact_child_job {
	pid_t pid;         /* 0: not started */
	int fd;            /* the pipe's reading end, or -1 */
	int status;
	bool exited;       /* reaped, status known */
	impact_buf out;
} impact_child_job;

int impact_child_capture_start(impact_child_job *job, const char *const *argv,
                               const impact_child_opts *opts);
bool impact_child_capture_poll(impact_child_job *job);
int impact_child_capture_finish(impact_child_job *job, int *status, impact_child_end *end,
                                const impact_child_limits *limits);
/* Safe on a job zeroed and never started. */
void impact_child_job_release(impact_child_job *job);

/*
 * Set `attr` for a child: SIGINT, SIGTERM, SIGQUIT and SIGPIPE back to
 * their defaults and nothing blocked (impact may have them ignored or
 * blocked), in a new session when `new_session`.
 */
void impact_child_spawnattr(posix_spawnattr_t *attr, bool new_session);

#endif
