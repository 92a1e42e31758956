/*
 * notify.c - desktop notifications sent without waiting (see notify.h).
 */
#include "notify.h"

#include "child.h"
#include "error.h"

void impact_notify_reap(impact_notifier *n, double wait_s)
{
	impact_child_limits lim = { 0 };
	impact_child_end end;
	int status;
	if (!n->pid)
		return;
	/* wait_limited reads 0 as "no limit": the shortest real one instead. */
	lim.timeout_s = wait_s > 0.001 ? wait_s : 0.001;
	lim.grace_s = 0.2;
	impact_child_wait_limited(&status, &end, n->pid, &lim);
	impact_error_clear();
	n->pid = 0;
}

void impact_notify_send(impact_notifier *n, const char *title, const char *body,
                        const char *cwd)
{
	const char *argv[] = { "notify-send", "--app-name=impact", title, body, NULL };
	impact_child_opts co = { 0 };
	pid_t pid;
	impact_notify_reap(n, 1.0);
	co.quiet = true;
	co.new_session = true;
	co.cwd = cwd;
	if (impact_child_start(&pid, argv, &co) == 0)
		n->pid = pid;
	impact_error_clear();
}
