/*
 * reap.h - leave no process of a test run behind.
 *
 * Owns process hygiene after pytest: test suites like tractor's spawn
 * process trees, and a crash or timeout can strand them. A process
 * belongs to the run if it is in the run's session (pytest was started as
 * a session leader) or carries the run's IMPACT_RUN_ID=<id> marker in its
 * environment (a child that called setsid keeps its environment). Each
 * gets SIGINT, a grace window for teardown, then SIGKILL; impact is made
 * a child subreaper so re-parented orphans are waited for: no zombies.
 */
#ifndef IMPACT_REAP_H
#define IMPACT_REAP_H

#include "common.h"

#include <sys/types.h>

/* Make this process adopt orphaned descendants (prctl PR_SET_CHILD_SUBREAPER). */
void impact_reap_become_subreaper(void);

/*
 * Stop every process of the run (session `sid`, or environment entry
 * `marker` such as "IMPACT_RUN_ID=1234-5678"), never this process.
 * *count gets how many were found. Returns 0, or an error when /proc
 * cannot be read.
 */
int impact_reap_run(size_t *count, pid_t sid, const char *marker, double grace_s);

#endif
