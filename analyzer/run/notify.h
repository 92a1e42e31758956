/*
 * notify.h - desktop notifications (notify-send, as cctrial sends them),
 * never in the way.
 *
 * A notification is a courtesy: it must not fail a run, print anything or
 * hold up whoever sends it. notify-send talks to a session bus and can
 * hang when the bus is gone (an ssh session, a dead desktop); a watch loop
 * that waited for it would stop watching. So a notification is started in
 * a session of its own and reaped with a bounded wait (a second in `impact
 * watch`, five in a hook); one still running then is stopped, with
 * whatever it started. Both `impact watch` and the hooks send through here.
 */
#ifndef IMPACT_NOTIFY_H
#define IMPACT_NOTIFY_H

#include <sys/types.h>

/* The notification in flight, if any. Zero-initialised = none. */
typedef struct impact_notifier {
	pid_t pid;   /* 0: none */
} impact_notifier;

/*
 * Send `title` / `body` (any bytes) when notify-send is on PATH; silent
 * when it is not. Not waited for: reap it (a notification still in
 * flight is reaped first, up to a second). Never fails, never prints.
 */
void impact_notify_send(impact_notifier *n, const char *title, const char *body,
                        const char *cwd);

/*
 * Reap the notification in flight: wait for it up to `wait_s` seconds,
 * then stop it (SIGINT, then SIGKILL to its process group).
 */
void impact_notify_reap(impact_notifier *n, double wait_s);

#endif
