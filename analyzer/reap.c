/*
 * reap.c - find and stop the processes a test run left (see reap.h).
 *
 * Linux /proc: field 6 of /proc/<pid>/stat is the session id; the
 * environment is NUL-separated in /proc/<pid>/environ (readable for our
 * own processes). Processes that exit meanwhile are simply gone.
 */
#include "reap.h"

#include "buf.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void impact_reap_become_subreaper(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

static pid_t session_of(pid_t pid)
{
	impact_buf b = IMPACT_BUF_INIT, path = IMPACT_BUF_INIT;
	pid_t sid = -1;
	impact_buf_printf(&path, "/proc/%d/stat", (int)pid);
	if (impact_buf_read_file(&b, path.ptr, 1 << 16) == 0) {
		/* "pid (comm) state ppid pgrp session ...": comm may hold spaces. */
		const char *close = strrchr(b.ptr, ')');
		int ppid, pgrp, session;
		char state;
		if (close && sscanf(close + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) == 4)
			sid = session;
	}
	impact_buf_release(&b);
	impact_buf_release(&path);
	return sid;
}

static bool has_marker(pid_t pid, const char *marker)
{
	impact_buf b = IMPACT_BUF_INIT, path = IMPACT_BUF_INIT;
	bool hit = false;
	size_t mlen = strlen(marker);
	impact_buf_printf(&path, "/proc/%d/environ", (int)pid);
	if (impact_buf_read_file(&b, path.ptr, 1 << 22) == 0)
		for (size_t off = 0; off < b.size && !hit;) {
			const char *e = b.ptr + off;
			size_t n = strnlen(e, b.size - off);
			hit = n == mlen && !memcmp(e, marker, mlen);
			off += n + 1;
		}
	impact_buf_release(&b);
	impact_buf_release(&path);
	return hit;
}

static void collect(impact_u32vec *out, pid_t sid, const char *marker)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t self = getpid();
	out->n = 0;
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 1 || pid == self)
			continue;
		if ((sid > 0 && session_of((pid_t)pid) == sid) ||
		    (marker && has_marker((pid_t)pid, marker)))
			impact_u32vec_push(out, (uint32_t)pid);
	}
	closedir(d);
}

static void reap_zombies(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int impact_reap_run(size_t *count, pid_t sid, const char *marker, double grace_s)
{
	impact_u32vec pids = { 0 };
	struct timespec nap = { 0, 50 * 1000000L };
	double waited = 0;

	*count = 0;
	reap_zombies();
	collect(&pids, sid, marker);
	*count = pids.n;
	for (size_t i = 0; i < pids.n; i++)
		kill((pid_t)pids.v[i], SIGINT);
	while (pids.n && waited < grace_s) {
		nanosleep(&nap, NULL);
		waited += 0.05;
		reap_zombies();
		collect(&pids, sid, marker);
	}
	for (size_t i = 0; i < pids.n; i++)
		kill((pid_t)pids.v[i], SIGKILL);
	if (pids.n) {
		nanosleep(&nap, NULL);
		reap_zombies();
	}
	impact_u32vec_release(&pids);
	return 0;
}
