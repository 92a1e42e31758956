/*
 * watchout.h - what `impact watch` shows: on a terminal, one status line
 * redrawn in place and plain lines for people (coloured unless NO_COLOR);
 * with --json or off a terminal, one JSON object per line per event on
 * stdout. Also the desktop notification when the state turns red or
 * green (notify-send, when present).
 *
 * It decides nothing: cmd_watch.c runs the loop and calls these as things
 * happen. Split from it so that the command stays about the loop.
 */
#ifndef IMPACT_WATCHOUT_H
#define IMPACT_WATCHOUT_H

#include "buf.h"
#include "events.h"
#include "junit.h"
#include "repair.h"

#include <jansson.h>

#define IMPACT_WATCHOUT_RED "\033[31m"
#define IMPACT_WATCHOUT_GREEN "\033[32m"
#define IMPACT_WATCHOUT_BOLD "\033[1m"

typedef struct impact_watchout {
	bool json;               /* events as JSON lines on stdout */
	bool tty, colour;        /* the status line on stderr; its colours */
	bool no_notify;
	const char *workdir;     /* borrowed */
	int state;               /* -1 unknown, 0 green, 1 red */
	/* The run going on, for the status line: */
	impact_repair_step step;
	double t0, last_draw;
	size_t passed, failed, skipped;
	impact_buf current;      /* the test running */
	bool drawn;
} impact_watchout;

void impact_watchout_init(impact_watchout *w, bool json, bool no_notify, const char *workdir);
void impact_watchout_release(impact_watchout *w);

/* JSON events: a new object {"event": name}; print one (and free it). */
json_t *impact_watchout_event(const char *name);
void impact_watchout_emit(json_t *ev);
/* A string that may not be UTF-8 (bytes above 127 become '?'); a list of them. */
json_t *impact_watchout_str(const char *s);
json_t *impact_watchout_list(const impact_strlist *l);
/* Counts per outcome, as {"passed": n, ...}. */
json_t *impact_watchout_counts(const impact_results *res);

/* A line for people (terminal only; nothing with JSON), erasing the status line first. */
void impact_watchout_say(impact_watchout *w, const char *colour, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Redraw the status line; erase it. */
void impact_watchout_status(impact_watchout *w);
void impact_watchout_erase(impact_watchout *w);

/* A test begun or done (the runner's events). */
void impact_watchout_test(impact_watchout *w, impact_event_kind kind, const char *id,
                          impact_outcome outcome);
/* The groups still to fix ("3 groups, 41 tests: TypeError in lib/db.py:31 (38 tests), ..."). */
void impact_watchout_groups(impact_watchout *w, const impact_repair *l);
/* The failure of the test being fixed, in full (`log`: pytest's output, for its captured output). */
void impact_watchout_focus(impact_watchout *w, const impact_repair *l, const impact_results *res,
                           const char *log);
/* The state is now red or green: said (and notified) when it changed. */
void impact_watchout_state(impact_watchout *w, bool red, const impact_repair *l);
/* An error of the current step. */
void impact_watchout_error(impact_watchout *w, const char *message);

#endif
