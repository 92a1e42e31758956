/*
 * events.h - what impact's pytest plugin reports while a run goes.
 *
 * Owns reading the event file written by
 * share/impact/python/impact_pytest_plugin.py (one JSON object per line,
 * format in the plugin's docstring), fed in chunks as the file grows, and
 * what the runner learns from it: which tests started and finished with
 * which outcome (xpassed included, which JUnit XML cannot say), the test
 * that was running when the run was stopped, the collected node ids (to
 * continue a run that -x stopped), and pytest's rootdir (node ids are
 * relative to it). It also completes JUnit results with exact node ids
 * and adds the tests JUnit XML lacks (a run killed before pytest wrote it).
 *
 * The plugin's events carry each failure's message and traceback as JUnit
 * XML would (the plugin mirrors pytest's junitxml), so a run with the
 * plugin needs no XML: it is asked for only where the user wants the file.
 * Where both are there, the XML's records come first. A damaged line is
 * counted and skipped.
 */
#ifndef IMPACT_EVENTS_H
#define IMPACT_EVENTS_H

#include "junit.h"
#include "pytestcfg.h"

typedef enum impact_event_kind {
	IMPACT_EVENT_START = 0,
	IMPACT_EVENT_COLLECTED,
	IMPACT_EVENT_BEGIN,
	IMPACT_EVENT_DONE,
	IMPACT_EVENT_COLLECTERROR,
	IMPACT_EVENT_FINISH,
	IMPACT_EVENT_COLLECTSKIP,    /* a test file skipped whole (pytest.skip at module level) */
	IMPACT_EVENT_TEARDOWNERROR,  /* after DONE: a failed test's teardown failed too (a second record) */
} impact_event_kind;

typedef struct impact_event_test {
	char *id;                /* rootdir-relative node id; owned */
	impact_outcome outcome;
	double time;
	uint32_t line;           /* 1-based definition line, 0 if unknown */
	bool collect_error;
	char *message;           /* as JUnit XML's, or NULL; owned */
	char *text;              /* the traceback (or skip location), or NULL; owned */
} impact_event_test;

typedef struct impact_events {
	bool started;            /* pytest's session started (the plugin ran) */
	bool finished;           /* and finished normally */
	int status;              /* pytest's exit status from "finish" */
	bool maxfail;            /* and it stopped after failures on purpose (-x, --maxfail) */
	char *rootdir;           /* owned, or NULL */
	impact_strlist collected;
	impact_event_test *tests;/* finished tests and collection errors, in order */
	size_t ntests, alloc;
	char *current;           /* begun and not finished, or NULL; owned */
	impact_strlist shadowed; /* the repository's packages imported from outside it: name, where, ... */
	size_t bad_lines;
	impact_buf partial;      /* an incomplete last line, kept for the next chunk */
} impact_events;

/* Called for each event as it is read; `id` is NULL for START and FINISH. */
typedef void (*impact_events_fn)(impact_event_kind kind, const char *id,
                                 impact_outcome outcome, void *payload);

void impact_events_init(impact_events *ev);
void impact_events_release(impact_events *ev);

/* Feed the next `n` bytes of the file; `fn` (may be NULL) sees each event. */
void impact_events_feed(impact_events *ev, const char *data, size_t n,
                        impact_events_fn fn, void *payload);

/*
 * `id` (rootdir-relative) as a node id relative to `workdir` (what pytest
 * takes as an argument from there), into `out` (cleared first). Unchanged
 * when the rootdir is the work tree or lies outside it.
 */
void impact_events_workdir_id(impact_buf *out, const impact_events *ev,
                              const char *workdir, const char *id);

/*
 * Complete `res` (parsed JUnit XML, possibly empty) from the events: each
 * record JUnit and the plugin both have gets its exact node id and file
 * (relative to `workdir`), its definition line, and xpassed where JUnit
 * says passed; tests only the plugin saw are added, with their message
 * and traceback. Counts are recomputed.
 */
void impact_events_apply(const impact_events *ev, impact_results *res, const char *workdir);

#endif
