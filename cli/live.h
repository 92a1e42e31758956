/*
 * live.h - the one-line status of a run on a terminal, as cctrial shows.
 *
 * While pytest runs with its output going to a log, this reads that
 * output as it comes, counts outcomes from pytest's progress ("path .F.s"
 * or, with -v, "node PASSED"), and redraws one line on stderr: elapsed
 * time, passed/failed/skipped so far, the current test file. Colours only
 * when asked (a terminal without NO_COLOR).
 */
#ifndef IMPACT_LIVE_H
#define IMPACT_LIVE_H

#include "buf.h"

typedef struct impact_live impact_live;

/* `log_fd` receives a copy of all output (> 0), or none. */
impact_live *impact_live_new(int log_fd, bool colour);
void impact_live_free(impact_live *live);

/* Callbacks for impact_child_limits: payload is the impact_live. */
void impact_live_output(const char *data, size_t n, void *payload);
void impact_live_tick(void *payload);

/* Erase the status line (before the report is printed). */
void impact_live_finish(impact_live *live);

#endif
