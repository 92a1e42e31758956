/*
 * repair.h - the repair loop of `impact watch`, as a state machine.
 *
 * Owns what runs next, as cctrial does it: failures are grouped by their
 * error (exception type, message with numbers and addresses normalised,
 * the frame it was raised in); one test of the largest group runs until
 * it passes (waiting for a save after each failure); then every test that
 * failed; then what the changes affect; then, with --all, the full
 * suite; then it waits for a save and starts again from the affected
 * tests. A failure at any later step puts the loop back at the first step
 * with the new failures.
 *
 * Pure logic: it runs nothing, watches nothing and prints nothing, so it
 * is tested with data alone (tests/unit/test_repair.c). cli/cmd_watch.c
 * runs what it asks for and tells it how each run ended.
 */
#ifndef IMPACT_REPAIR_H
#define IMPACT_REPAIR_H

#include "buf.h"
#include "junit.h"

typedef enum impact_repair_step {
	IMPACT_REPAIR_START = 0, /* the first run: the selection, or the suite with --all */
	IMPACT_REPAIR_ONE,       /* one test of the largest group */
	IMPACT_REPAIR_FAILED,    /* every test that failed */
	IMPACT_REPAIR_AFFECTED,  /* what the changes affect */
	IMPACT_REPAIR_ALL,       /* the full suite (--all) */
	IMPACT_REPAIR_WAIT,      /* nothing runs until a save */
} impact_repair_step;

/* How a run ended, as the loop needs to know it. */
typedef enum impact_repair_outcome {
	IMPACT_REPAIR_PASSED = 0, /* nothing failed (or nothing to run) */
	IMPACT_REPAIR_RED,        /* tests failed: the failed records say which */
	IMPACT_REPAIR_BROKEN,     /* no result to act on (interpreter, usage, time limit) */
	IMPACT_REPAIR_STOPPED,    /* a save stopped it */
	IMPACT_REPAIR_STALE,      /* the tests it named are gone (renamed, removed): select afresh */
} impact_repair_outcome;

/* A failure's error, normalised (owned strings, never NULL once filled). */
typedef struct impact_repair_error {
	char *type;     /* "TypeError", "AssertionError", or "" */
	char *message;  /* first line, numbers as N and addresses as 0x? */
	char *frame;    /* "lib/db.py:31", where it was raised, or "" */
} impact_repair_error;

typedef struct impact_repair_group {
	impact_repair_error error;
	impact_strlist tests;     /* node ids, in run order */
} impact_repair_group;

typedef struct impact_repair {
	bool all;                     /* --all: the full suite after the affected tests */
	impact_repair_step step;      /* what runs next; WAIT: nothing until a save */
	impact_repair_step resume;    /* with WAIT: what a save runs */
	impact_repair_group *groups;  /* the failures being repaired, largest first */
	size_t ngroups, galloc;
	impact_strlist failed;        /* every test of the groups, in run order */
	char *focus;                  /* the test ONE runs, or NULL */
	bool red;                     /* the state: failures or a broken run remain */
} impact_repair;

/* A loop at its start. No allocation. */
void impact_repair_init(impact_repair *r, bool all);
void impact_repair_release(impact_repair *r);

/*
 * The run of r->step ended with `outcome`; `res` holds its records (only
 * read with IMPACT_REPAIR_RED). Moves r->step on. Never fails.
 */
void impact_repair_ran(impact_repair *r, impact_repair_outcome outcome,
                       const impact_results *res);

/* A save: when waiting, what the loop resumes with becomes the step. */
void impact_repair_saved(impact_repair *r);

/* The step's name for people and JSON: "start", "one", "failed", ... */
const char *impact_repair_step_name(impact_repair_step step);

/* The normalised error of a failed record (release with impact_repair_error_release). */
void impact_repair_error_of(impact_repair_error *out, const impact_testcase *tc);
void impact_repair_error_release(impact_repair_error *e);

/*
 * Group the failed and errored records of `res` (known-flaky ones left
 * out) into r->groups, r->failed and r->focus (all replaced), largest
 * group first, ties in order of first appearance.
 */
void impact_repair_group_failures(impact_repair *r, const impact_results *res);

#endif
