/*
 * reap.h - leave no process of a test run behind.
 *
 * Owns process hygiene after pytest: test suites like tractor's spawn
 * process trees, and a crash or timeout can strand them. A process
 * belongs to the run if it is in the run's session (pytest was started as
 * a session leader), carries the run's IMPACT_RUN_ID=<id> marker in its
 * environment (a child that called setsid keeps its environment), is a
 * child of impact (impact is a child subreaper, so orphans of the run are
 * re-parented to it, even with a cleared environment in a new session),
 * or descends from any of these. Each gets SIGINT (and SIGCONT, so a
 * stopped one can act on it), a grace window for teardown, then SIGKILL;
 * every one that ends up impact's child is waited for: no zombies.
 *
 * It must run when impact has no other child: anything left is the run's.
 */
#ifndef IMPACT_REAP_H
#define IMPACT_REAP_H

#include "common.h"

#include <sys/types.h>

/* Make this process adopt orphaned descendants (prctl PR_SET_CHILD_SUBREAPER). */
void impact_reap_become_subreaper(void);

/*
 * Stop every process of the run (session `sid` if > 0, environment entry
 * `marker` such as "IMPACT_RUN_ID=1234-5678" if not NULL, impact's own
 * children, and their descendants), never this process. *count gets how
 * many distinct processes were found alive. Waits at most `grace_s` plus
 * about two seconds. Returns 0 (processes that vanish meanwhile are fine).
 */
int impact_reap_run(size_t *count, pid_t sid, const char *marker, double grace_s);

/*
 * impact_reap_run, leaving the process `keep` (> 0) alone: a child of
 * impact that belongs to no run (impact watch's prepared interpreter).
 */
int impact_reap_run_keeping(size_t *count, pid_t sid, const char *marker, double grace_s,
                            pid_t keep);

#endif
