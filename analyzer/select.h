/*
 * select.h - from the changed files to the ordered list of tests to run.
 *
 * Owns the decisions: how each changed file is classified (Python module,
 * test, a file that forces the full suite, documentation to ignore,
 * anything else), which tests the changed modules reach through the
 * graph, why each test was chosen, and the order they run in (changed
 * test files first, then by import distance, ties by path). When it is
 * unsure it selects more and says why.
 */
#ifndef IMPACT_SELECT_H
#define IMPACT_SELECT_H

#include "config.h"
#include "diff.h"
#include "project.h"

typedef enum impact_change_class {
	IMPACT_CLASS_MODULE = 0,   /* a Python module: tests reaching it are selected */
	IMPACT_CLASS_TEST,         /* a test module (selected itself) */
	IMPACT_CLASS_FULL,         /* forces the full suite (config, dependencies) */
	IMPACT_CLASS_IGNORED,      /* documentation and the like: selects nothing */
	IMPACT_CLASS_OTHER,        /* not Python, no rule: full suite (safe default) */
	IMPACT_CLASS_SUBMODULE,    /* a gitlink: not followed, full suite */
} impact_change_class;

typedef struct impact_change_info {
	const impact_change *change; /* borrowed from the changeset */
	impact_change_class cls;
	const char *reason;          /* static text: why this class */
	uint32_t ntests;             /* tests this change selected through the graph */
} impact_change_info;

typedef enum impact_select_reason {
	IMPACT_SELECT_CHANGED_TEST = 0, /* the test file itself changed */
	IMPACT_SELECT_REACHES,          /* it runs code that changed */
	IMPACT_SELECT_FULL_SUITE,       /* only because the full suite was forced */
} impact_select_reason;

typedef struct impact_selected {
	uint32_t file;   /* project file id */
	uint32_t dist;   /* import distance to a change; UINT32_MAX if none */
	impact_select_reason reason;
} impact_selected;

typedef struct impact_selection {
	impact_change_info *changes; /* one per changeset entry, same order */
	size_t nchanges;
	impact_selected *tests;      /* in run order */
	size_t ntests;
	bool full_suite;
	char *full_reason;           /* owned: the first reason the suite is full */
	impact_reach reach;          /* the walk, for chains */
	double ms_select;
} impact_selection;

/* How to select; zero-initialised = the defaults. */
typedef struct impact_select_opts {
	bool no_smart;  /* rules alone, no import graph (--no-smart, with the rules work) */
} impact_select_opts;

/*
 * Select the tests of `project` (the new side) that `changes` can break,
 * applying `config`'s rules (NULL = built-in defaults). Returns 0 and *out
 * (free with impact_selection_free). The inputs are borrowed and must
 * outlive the selection.
 */
int impact_select(impact_selection **out, const impact_project *project,
                  const impact_changeset *changes, const impact_config *config,
                  const impact_select_opts *opts);
void impact_selection_free(impact_selection *sel);

/*
 * The chain that selected `file`: ids from the test to the changed file,
 * written to `out` (cleared first). Empty if the file was not reached.
 */
void impact_selection_chain(const impact_selection *sel, uint32_t file,
                            impact_u32vec *out);

const char *impact_change_class_name(impact_change_class cls);
const char *impact_change_status_name(impact_change_status status);

#endif
