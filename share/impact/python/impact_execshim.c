/*
 * libimpact_exec: what a native program started by a recorded test does
 * with processes, told to impact's recorder (impact_record_procs.py).
 *
 * A recorded test that starts a program outside Python (a pager, an
 * editor, a shell) used to be opaque: nothing traced that process, so it
 * might have started a Python that ran repository code unseen. A native
 * program runs no repository Python itself; only a Python it starts, or
 * theirs, can. Python processes record themselves (impact_child's start-up
 * hook) and name their parent. What was missing is the native process's
 * own word: that it ran, and every process it started. This library,
 * preloaded (LD_PRELOAD) into the processes a recorded test starts, writes
 * that into $IMPACT_RECORD/proc-<pid>.jsonl in the format the Python
 * children use:
 *   {"proc":pid,"ppid":parent,"native":1}  when it starts (and after a fork)
 *   {"spawn":pid,"what":"..."}             for each child it forks or spawns
 *   {"exec":"..."}                         before it replaces its image
 * The reader (read_children) counts a process as recorded only when its
 * last image said so: an exec whose new image writes no "proc" line (a
 * static or set-user-ID program, an environment without impact's
 * variables, a Python that did not start the recorder) leaves it "not
 * recorded", and a child spawned that never wrote its own line is "not
 * recorded" too: its test stays opaque, as before.
 *
 * In a process that hosts a Python interpreter (one that exports
 * Py_IsInitialized) it only writes {"proc":pid,"ppid":parent,"python":1},
 * which counts as not recorded until the Python recorder's own line comes
 * (a Python that skipped the start-up hook stays not recorded). So every
 * process it is loaded in writes a line before its main runs: one that
 * wrote none was killed before it ran anything (the test's side knows the
 * reporter loads there: impact_record_procs._reports). It writes nothing either
 * when $IMPACT_RECORD or $IMPACT_RECORD_CHILDREN is missing. It never
 * changes what the program does: every wrapper calls the real function
 * with the same arguments, keeps errno, and only adds a write(2).
 * Not built with sanitizers (an instrumented library would need the
 * sanitizer's runtime first in programs that have none).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether this process reports (decided once, at load). */
static bool active;
static char sinkdir[4096];

typedef struct line {
	char b[2048];
	size_t n;
} line;

static void put(line *l, const char *s)
{
	while (*s && l->n < sizeof(l->b) - 2)
		l->b[l->n++] = *s++;
}

static void put_int(line *l, long v)
{
	char tmp[24];
	size_t k = 0;
	unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
	if (v < 0)
		put(l, "-");
	do {
		tmp[k++] = (char)('0' + u % 10);
		u /= 10;
	} while (u && k < sizeof(tmp));
	while (k && l->n < sizeof(l->b) - 2)
		l->b[l->n++] = tmp[--k];
}

/* A JSON string of ASCII: anything else as \u00XX (bytes, not characters). */
static void put_str(line *l, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	put(l, "\"");
	for (; s && *s && l->n < sizeof(l->b) - 10; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			char esc[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
			put(l, esc);
		} else {
			l->b[l->n++] = (char)c;
		}
	}
	put(l, "\"");
}

/* Append one line to proc-<pid>.jsonl; only open/write/close (fork-safe). */
static void emit(line *l, pid_t pid)
{
	line path = { .n = 0 };
	int fd, saved = errno;
	put(&path, sinkdir);
	put(&path, "/proc-");
	put_int(&path, pid);
	put(&path, ".jsonl");
	path.b[path.n] = 0;
	l->b[l->n++] = '\n';
	fd = open(path.b, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		const char *p = l->b;
		size_t left = l->n;
		while (left) {
			ssize_t w = write(fd, p, left);
			if (w <= 0)
				break;
			p += w;
			left -= (size_t)w;
		}
		close(fd);
	}
	errno = saved;
}

static void say_proc(pid_t pid, pid_t ppid)
{
	line l = { .n = 0 };
	put(&l, "{\"proc\":");
	put_int(&l, pid);
	put(&l, ",\"ppid\":");
	put_int(&l, ppid);
	put(&l, ",\"native\":1}");
	emit(&l, pid);
}

static void say_started(const char *key, pid_t child, const char *path)
{
	line l = { .n = 0 };
	put(&l, "{\"");
	put(&l, key);
	put(&l, "\":");
	if (child > 0) {
		put_int(&l, child);
		put(&l, ",\"what\":");
	}
	{
		line what = { .n = 0 };
		put(&what, "started ");
		put(&what, path ? path : "a process");
		put(&what, ": not recorded");
		what.b[what.n] = 0;
		put_str(&l, what.b);
	}
	put(&l, "}");
	emit(&l, getpid());
}

__attribute__((constructor)) static void impact_exec_init(void)
{
	const char *dir = getenv("IMPACT_RECORD");
	size_t n;
	if (!dir || !*dir || !getenv("IMPACT_RECORD_CHILDREN"))
		return;
	n = strlen(dir);
	if (n >= sizeof(sinkdir) - 64)
		return;
	memcpy(sinkdir, dir, n + 1);
	/*
	 * A Python (or a program hosting one): its recorder speaks for it.
	 * Until it does, this process is one that ran and is not recorded
	 * (python -I skips the start-up hook).
	 */
	if (dlsym(RTLD_DEFAULT, "Py_IsInitialized")) {
		line l = { .n = 0 };
		put(&l, "{\"proc\":");
		put_int(&l, getpid());
		put(&l, ",\"ppid\":");
		put_int(&l, getppid());
		put(&l, ",\"python\":1}");
		emit(&l, getpid());
		return;
	}
	active = true;
	say_proc(getpid(), getppid());
}

static void *real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

pid_t fork(void)
{
	pid_t (*f)(void) = (pid_t (*)(void))real("fork");
	pid_t parent = getpid(), pid;
	if (!f) {
		errno = ENOSYS;
		return -1;
	}
	pid = f();
	if (active && pid == 0)
		say_proc(getpid(), parent);
	else if (active && pid > 0)
		say_started("spawn", pid, "a forked process");
	return pid;
}

/* vfork's child may only exec or _exit; fork is a valid vfork, and can be told. */
pid_t vfork(void)
{
	return fork();
}

static void before_exec(const char *path)
{
	if (active)
		say_started("exec", 0, path);
}

/* The exec failed: this image goes on, and says so again. */
static void after_exec(void)
{
	if (active)
		say_proc(getpid(), getppid());
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	int (*f)(const char *, char *const[], char *const[]) =
		(int (*)(const char *, char *const[], char *const[]))real("execve");
	int rc;
	before_exec(path);
	rc = f ? f(path, argv, envp) : (errno = ENOSYS, -1);
	after_exec();
	return rc;
}

int execv(const char *path, char *const argv[])
{
	int (*f)(const char *, char *const[]) = (int (*)(const char *, char *const[]))real("execv");
	int rc;
	before_exec(path);
	rc = f ? f(path, argv) : (errno = ENOSYS, -1);
	after_exec();
	return rc;
}

int execvp(const char *file, char *const argv[])
{
	int (*f)(const char *, char *const[]) = (int (*)(const char *, char *const[]))real("execvp");
	int rc;
	before_exec(file);
	rc = f ? f(file, argv) : (errno = ENOSYS, -1);
	after_exec();
	return rc;
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	int (*f)(const char *, char *const[], char *const[]) =
		(int (*)(const char *, char *const[], char *const[]))real("execvpe");
	int rc;
	before_exec(file);
	rc = f ? f(file, argv, envp) : (errno = ENOSYS, -1);
	after_exec();
	return rc;
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
	int (*f)(int, char *const[], char *const[]) =
		(int (*)(int, char *const[], char *const[]))real("fexecve");
	int rc;
	before_exec("a program by descriptor");
	rc = f ? f(fd, argv, envp) : (errno = ENOSYS, -1);
	after_exec();
	return rc;
}

/* The execl family, through execve/execvp above (their arguments as a vector). */
#define MAX_LARGS 4096
static int execl_common(int kind, const char *path, const char *arg0, va_list ap)
{
	char *argv[MAX_LARGS + 1];
	char *const *envp = environ;
	size_t n = 0;
	argv[n++] = (char *)arg0;
	while (arg0 && n < MAX_LARGS && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	if (!arg0)
		n = 0;
	argv[n] = NULL;
	if (n == MAX_LARGS) {
		errno = E2BIG;
		return -1;
	}
	if (kind == 'e')
		envp = va_arg(ap, char *const *);
	return kind == 'p' ? execvp(path, argv) : execve(path, argv, envp);
}

int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	int rc;
	va_start(ap, arg);
	rc = execl_common('l', path, arg, ap);
	va_end(ap);
	return rc;
}

int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	int rc;
	va_start(ap, arg);
	rc = execl_common('p', file, arg, ap);
	va_end(ap);
	return rc;
}

int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	int rc;
	va_start(ap, arg);
	rc = execl_common('e', path, arg, ap);
	va_end(ap);
	return rc;
}

typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                        const posix_spawnattr_t *, char *const[], char *const[]);

static int spawn_common(const char *name, pid_t *pid, const char *path,
                        const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *at,
                        char *const argv[], char *const envp[])
{
	spawn_fn f = (spawn_fn)real(name);
	pid_t child = 0;
	int rc;
	if (!f)
		return ENOSYS;
	rc = f(&child, path, fa, at, argv, envp);
	if (pid)
		*pid = child;
	if (rc == 0 && active)
		say_started("spawn", child, path);
	return rc;
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                const posix_spawnattr_t *at, char *const argv[], char *const envp[])
{
	return spawn_common("posix_spawn", pid, path, fa, at, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *at, char *const argv[], char *const envp[])
{
	return spawn_common("posix_spawnp", pid, file, fa, at, argv, envp);
}
