/*
 * select.h - from the changed files to the ordered list of tests to run.
 *
 * Owns the decisions: how each changed file is classified (Python module,
 * test, a file that forces the full suite, documentation to ignore,
 * anything else), which tests the changed modules reach through the
 * graph and the rules, why each test was chosen, and the order they run
 * in: tests of matching rules first (config order), then changed test
 * files, then by import distance (ties by path), then `always` and what
 * only the full suite brings. When it is unsure it selects more and says
 * why.
 */
#ifndef IMPACT_SELECT_H
#define IMPACT_SELECT_H

#include "config.h"
#include "diff.h"
#include "project.h"

typedef enum impact_change_class {
	IMPACT_CLASS_MODULE = 0,   /* a Python module: tests reaching it are selected */
	IMPACT_CLASS_TEST,         /* a test module (selected itself) */
	IMPACT_CLASS_FULL,         /* forces the full suite (full-suite-on) */
	IMPACT_CLASS_IGNORED,      /* `ignore`, or unmatched = "ignore": selects nothing */
	IMPACT_CLASS_OTHER,        /* not Python, no rule, unmatched = "full": full suite */
	IMPACT_CLASS_SUBMODULE,    /* a gitlink: not followed, full suite */
	IMPACT_CLASS_RULE,         /* not Python; a mapping rule covers it */
	IMPACT_CLASS_UNMATCHED,    /* not Python, no rule, unmatched = "warn": a warning */
	IMPACT_CLASS_COLLECTED,    /* a file a pytest_collect_file hook makes a test */
	IMPACT_CLASS_DATA,         /* not Python; string literals name it: who reads it */
} impact_change_class;

typedef struct impact_change_info {
	const impact_change *change; /* borrowed from the changeset */
	impact_change_class cls;
	char *reason;                /* owned: why this class, naming the rule or glob */
	const impact_pattern *pattern; /* the full-suite-on/ignore glob that decided, or NULL */
	uint32_t ntests;             /* tests this change selected through the graph */
	uint32_t nrules;             /* mapping rules its paths matched */
	uint32_t nreaders;           /* DATA: modules whose strings name it */
	const char *precise;         /* precise mode: how the change was classified
	                                ("call-time change of f"), or NULL; borrowed */
} impact_change_info;

typedef enum impact_select_reason {
	IMPACT_SELECT_CHANGED_TEST = 0, /* the test file itself changed */
	IMPACT_SELECT_REACHES,          /* it runs code that changed */
	IMPACT_SELECT_FULL_SUITE,       /* only because the full suite was forced */
	IMPACT_SELECT_RULE,             /* a mapping rule names it */
	IMPACT_SELECT_ALWAYS,           /* `always` names it */
	IMPACT_SELECT_TEXT_DOCTEST,     /* a doctest text file: its imports are not read */
} impact_select_reason;

typedef struct impact_selected {
	uint32_t file;       /* project file id; IMPACT_STRPOOL_NONE for a target that
	                        is not a Python file impact knows (a directory, a data file) */
	const char *target;  /* what pytest is given: a file, a directory or a node id;
	                        borrowed from the project or the configuration */
	uint32_t dist;       /* import distance to a change; UINT32_MAX if none */
	impact_select_reason reason;
	int32_t rule;        /* RULE: index in config->rules; else -1 */
	const impact_change *by; /* RULE: the first change the rule matched */
	const impact_testspec *spec; /* RULE, ALWAYS: the entry that named it */
	uint32_t anchor;     /* the project file whose chain explains it (a collected
	                        directory: its collector), or IMPACT_STRPOOL_NONE */
	const impact_collector *collector; /* set when a collector makes it a test */
	const char *evidence; /* recorded dependencies: what the record says, or NULL
	                         (borrowed from the selection) */
	const char *record_note; /* why its record could not speak for it, or NULL
	                            (borrowed from the selection) */
	bool by_examples;    /* TEXT_DOCTEST chosen only because its examples import a
	                        reached module: a usable record may speak for it */
	uint8_t group;       /* ordering group: rules first, changed tests, graph, the rest */
	uint32_t seq;        /* order within the group for rules (config order) */
} impact_selected;

typedef struct impact_selection {
	impact_change_info *changes; /* one per changeset entry, same order */
	size_t nchanges;
	impact_selected *tests;      /* in run order */
	size_t ntests, alloc;
	bool full_suite;
	char *full_reason;           /* owned: the first reason the suite is full */
	const impact_change_info *full_change; /* the change behind it, or NULL */
	impact_strlist warnings;     /* rules naming missing tests, unmatched files */
	char **seed_notes;           /* per file id: why it is a seed though unchanged, or NULL */
	const char **seed_data;      /* per file id: the data file it names (borrowed), or NULL */
	impact_strlist owned;        /* private: target strings the selection made */
	struct impact_precise *precise; /* the precise mode's walk, or NULL (--coarse) */
	impact_reach reach;          /* the walk, for chains */
	double ms_select;
	size_t records_used;         /* tests files whose records decided (records.h) */
	size_t records_dropped;      /* of those, the static selection's that records dropped */
	size_t records_added;        /* and those records added */
	impact_strlist dropped;      /* test files records dropped ... */
	impact_strlist dropped_why;  /* ... and why, one each ("recorded at 1a2b3c4: ...") */
} impact_selection;

/* How to select; zero-initialised = the defaults. */
/*
 * The file in impact's folder (state.h) where the pytest plugin writes the
 * repository's files pytest imported itself before any test code: one
 * repository-relative path per line, a package's folder ending in '/'.
 * A change to a module under one of them runs the whole suite.
 */
#define IMPACT_RUNNER_STATE "runner"

typedef struct impact_select_opts {
	bool no_smart;  /* --no-smart: rules alone, no import graph */
	bool precise;   /* call-time changes select by references (default; --coarse: off) */
	bool all;       /* --all: the whole suite, whatever changed */
	bool records;   /* recorded dependencies will narrow the selection after: the precise
	                   walk is made in full (impact_precise_run's detail) */
	git_repository *repo;  /* for the old sides of modified modules (precise) */
	impact_cache *cache;   /* parse cache for those, or NULL */
	const char *const *run_args; /* the run's own pytest arguments, where a plugin's option
	                                (--mypy...) counts as set like one in a configuration file */
	size_t nrun_args;
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

/*
 * The changed path that test file `file` (any path pytest reports, a
 * collected file included) is selected through, or NULL when the
 * selection does not link it to a change.
 */
const char *impact_selection_cause(const impact_selection *sel, const impact_project *project,
                                   const char *file);

/* The path of the file behind selected test `s` (a node id's file part is the file). */
const char *impact_selected_path(const impact_project *project, const impact_selected *s);

/*
 * Edits for recorded dependencies (records.c): append test file `file`
 * as reached (records found it executed a change), or remove the test at
 * `index`; `evidence` is copied. Run order is kept by
 * impact_selection_reorder, which sorts as impact_select does.
 */
void impact_selection_add_reached(impact_selection *sel, const impact_project *project,
                                  uint32_t file, const char *evidence);
void impact_selection_set_evidence(impact_selection *sel, size_t index, const char *evidence);
/* Why the record of the test at `index` was not used (copied), for --explain. */
void impact_selection_set_record_note(impact_selection *sel, size_t index, const char *note);
/* Append `target` (copied), a file collector `col` makes tests of, as reached. */
void impact_selection_add_collected(impact_selection *sel, const char *target,
                                    const impact_collector *col, uint32_t anchor, uint32_t dist,
                                    const char *evidence);
void impact_selection_remove(impact_selection *sel, size_t index);
/* Say that records dropped test file `path` and why (both copied), for --explain and --json. */
void impact_selection_note_dropped(impact_selection *sel, const char *path, const char *why);
void impact_selection_reorder(impact_selection *sel, const impact_project *project);

const char *impact_change_class_name(impact_change_class cls);
const char *impact_change_status_name(impact_change_status status);

#endif
