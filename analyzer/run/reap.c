/*
 * reap.c - find and stop the processes a test run left (see reap.h).
 *
 * Linux /proc: fields 3-6 of /proc/<pid>/stat are state, ppid, pgrp and
 * session; the environment is NUL-separated in /proc/<pid>/environ
 * (readable for our own processes). Processes that exit meanwhile are
 * simply gone. Each pass reads /proc afresh: a process may fork during
 * the grace window, and its child is the run's too.
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

typedef struct proc {
	pid_t pid, ppid, sid;
	bool zombie, member;
} proc;

typedef struct procs {
	proc *v;
	size_t n, alloc;
} procs;

static bool read_stat(proc *out, pid_t pid)
{
	impact_buf b = IMPACT_BUF_INIT, path = IMPACT_BUF_INIT;
	bool ok = false;
	impact_buf_printf(&path, "/proc/%d/stat", (int)pid);
	if (impact_buf_read_file(&b, path.ptr, 1 << 16) == 0) {
		/* "pid (comm) state ppid pgrp session ...": comm may hold spaces and ')'. */
		const char *close = strrchr(b.ptr, ')');
		int ppid, pgrp, session;
		char state;
		if (close && sscanf(close + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) == 4) {
			out->pid = pid;
			out->ppid = ppid;
			out->sid = session;
			out->zombie = state == 'Z' || state == 'X';
			out->member = false;
			ok = true;
		}
	}
	impact_buf_release(&b);
	impact_buf_release(&path);
	return ok;
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

/* Every process, with `member` set for the run's. */
static void scan(procs *out, pid_t sid, const char *marker, pid_t keep)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t self = getpid();
	bool grew = true;

	out->n = 0;
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		proc p;
		if (*end || pid <= 1 || pid == self || (keep > 0 && pid == keep) ||
		    !read_stat(&p, (pid_t)pid))
			continue;
		p.member = (sid > 0 && p.sid == sid) || p.ppid == self ||
		           (marker && !p.zombie && has_marker(p.pid, marker));
		IMPACT_PUSH(out->v, out->n, out->alloc, p);
	}
	closedir(d);
	/* Descendants of members are members (few members: a short inner loop). */
	while (grew) {
		impact_u32vec members = { 0 };
		grew = false;
		for (size_t i = 0; i < out->n; i++)
			if (out->v[i].member)
				impact_u32vec_push(&members, (uint32_t)out->v[i].pid);
		for (size_t i = 0; members.n && i < out->n; i++) {
			if (out->v[i].member)
				continue;
			for (size_t k = 0; k < members.n && !out->v[i].member; k++)
				if (members.v[k] == (uint32_t)out->v[i].ppid)
					out->v[i].member = grew = true;
		}
		impact_u32vec_release(&members);
	}
}

static void reap_zombies(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/*
 * Live members not seen before get SIGINT (and SIGCONT) and are
 * remembered in `seen`; with `kill_all`, every live member gets SIGKILL.
 * Returns how many are alive.
 */
static size_t signal_members(const procs *ps, bool kill_all, impact_u32vec *seen)
{
	size_t alive = 0;
	for (size_t i = 0; i < ps->n; i++) {
		const proc *p = &ps->v[i];
		bool known = false;
		if (!p->member || p->zombie)
			continue;
		alive++;
		for (size_t k = 0; k < seen->n && !known; k++)
			known = seen->v[k] == (uint32_t)p->pid;
		if (!known) {
			impact_u32vec_push(seen, (uint32_t)p->pid);
			kill(p->pid, SIGINT);
			kill(p->pid, SIGCONT);
		}
		if (kill_all)
			kill(p->pid, SIGKILL);
	}
	return alive;
}

int impact_reap_run(size_t *count, pid_t sid, const char *marker, double grace_s)
{
	return impact_reap_run_keeping(count, sid, marker, grace_s, 0);
}

int impact_reap_run_keeping(size_t *count, pid_t sid, const char *marker, double grace_s,
                            pid_t keep)
{
	procs ps = { 0 };
	impact_u32vec seen = { 0 };
	double waited = 0;
	size_t alive;

	reap_zombies();
	scan(&ps, sid, marker, keep);
	alive = signal_members(&ps, false, &seen);
	while (alive && waited < grace_s) {
		nap_ms(50);
		waited += 0.05;
		reap_zombies();
		scan(&ps, sid, marker, keep);
		alive = signal_members(&ps, false, &seen);
	}
	for (int round = 0; alive && round < 40; round++) {
		signal_members(&ps, true, &seen);
		nap_ms(50);
		reap_zombies();
		scan(&ps, sid, marker, keep);
		alive = signal_members(&ps, false, &seen);
	}
	reap_zombies();
	*count = seen.n;
	free(ps.v);
	impact_u32vec_release(&seen);
	return 0;
}
