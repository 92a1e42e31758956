/*
 * audit.h - `impact audit`: prove on a user's own repository that the
 * selection does not miss a test a change breaks.
 *
 * Owns the two audits and their report:
 *  - mutate: N non-test modules of HEAD that define a function, a sample
 *    fixed by a seed that takes in turn from the top, middle and bottom
 *    thirds of the modules ranked by how many modules import them. Each
 *    becomes a mutant (mutate.c) committed on HEAD (scratch.c); the full
 *    suite runs in a checkout of it, and every test file that fails with
 *    the mutant's marker must be in impact's selection for that commit.
 *    The suite runs once at HEAD first: tests already failing there are
 *    left out of every comparison and named; a suite that does not run
 *    to its end at HEAD stops the audit (IMPACT_EPYTHON).
 *    With `functions`, each mutant breaks one function instead: the
 *    candidates are the module-level functions and methods of those
 *    modules (mutate.h), drawn uniformly with the seed, one raise each.
 *    Mutants whose failing files are none are counted and listed apart
 *    from the totals.
 *  - full: for each commit of a range (first parent), the full suite at
 *    the commit and at its parent; every test failing at the commit and
 *    not at its parent (known-flaky ones aside) must be selected.
 * Per module or commit: failing files, selected files, the misses by
 * name, precision (failing / selected) and selected share (selected /
 * all test files), and totals; as text or as one JSON object.
 *
 * Everything happens in a private temporary folder removed at the end,
 * on errors and on interruption too; the user's work tree, index, HEAD
 * and refs are never written (scratch.h says what is). It never prints:
 * progress goes through a callback, the report into a buffer.
 */
#ifndef IMPACT_AUDIT_H
#define IMPACT_AUDIT_H

#include "buf.h"
#include "pytestcfg.h"

#include <git2.h>
#include <signal.h>

typedef enum impact_audit_mode {
	IMPACT_AUDIT_MUTATE = 0,
	IMPACT_AUDIT_FULL,
} impact_audit_mode;

typedef struct impact_audit_opts {
	impact_audit_mode mode;
	unsigned mutate;                 /* mutate: how many mutants; 0 = the configuration's
	                                    [audit] table says (mutate, functions, seed) */
	uint64_t seed;                   /* mutate: the sample's seed */
	bool seed_given;                 /* `seed` is the caller's, not to take from [audit] */
	bool functions;                  /* mutate: one function per mutant, not one module */
	bool records;                    /* mutate: record the unmutated run, select with records
	                                    (static figures beside them); else static only */
	const char *revspec;             /* full: the range */
	const char *const *select_args;  /* options for the selection (after `--`) */
	size_t nselect_args;
	unsigned timeout;                /* per suite run, seconds; 0 = run.c's default */
	unsigned grace;                  /* seconds between SIGINT and SIGKILL; 0 = 5 */
	unsigned threads;                /* parse threads; 0 = all CPUs */
	bool no_cache;                   /* do not use the parse cache */
	volatile const sig_atomic_t *interrupted; /* set by Ctrl-C: stop, clean up, return */
	void (*progress)(const char *line, void *payload); /* one line, no newline; may be NULL */
	void *payload;
} impact_audit_opts;

/* One audited module (mutate) or commit (full). */
typedef struct impact_audit_record {
	char *path;                 /* mutate: the module; full: NULL */
	char *function;             /* functions: the qualified name ("Model.value"), or NULL */
	uint32_t line;              /* functions: the line of its `def` */
	char *subject;              /* full: the commit's subject line */
	char commit[GIT_OID_HEXSZ + 1]; /* the mutant commit, or the audited commit */
	const char *band;           /* mutate: "top", "middle" or "bottom" third */
	uint32_t importers;         /* mutate: modules that import it */
	size_t functions;           /* mutate: function bodies that raise */
	impact_strlist failing;     /* test files failing with the marker (full: newly) */
	impact_strlist failing_tests; /* their failing node ids */
	impact_strlist missed;      /* failing files the selection leaves out */
	impact_strlist other;       /* mutate: files newly failing without the marker */
	impact_strlist selected;    /* test files the selection runs */
	size_t unproven;            /* of `selected`, those in `other`: out of precision */
	size_t test_files;          /* test files in all */
	size_t already_failing;     /* full: failing at the parent too (left out) */
	bool full_suite;            /* the selection was the full suite */
	size_t static_selected;     /* records: what static selection (--no-records) selected */
	size_t static_missed;       /*   and missed of the failing files */
	size_t static_unproven;     /*   and of `other` it selects */
	char *full_reason;
	char *skipped;              /* not audited, and why; NULL when audited */
	char *incomplete;           /* the suite did not run to its end, and why; or NULL */
	char *stopped;              /* pytest stopped before any test ran (its failing files
	                               are then those the stop keeps from running), or NULL */
	double seconds;
} impact_audit_record;

typedef struct impact_audit_report {
	impact_audit_mode mode;
	char head[GIT_OID_HEXSZ + 1]; /* mutate: the commit the mutants are made on */
	char *range;                /* full: the range as given */
	uint64_t seed;
	unsigned requested;
	char *marker;               /* the mutants' exception message */
	char *python;               /* the interpreter, and why */
	impact_strlist select_args;
	size_t test_files;          /* at HEAD (mutate) */
	size_t candidates;          /* mutate: non-test modules ranked */
	size_t no_function;         /* mutate: sampled modules passed over, defining no function */
	bool functions;             /* mutate: single-function mutants */
	bool with_records;          /* mutate: selection with records (static beside it) */
	size_t function_candidates; /* functions: the functions drawn from */
	impact_strlist baseline_failing; /* mutate: node ids failing at HEAD, left out */
	double baseline_seconds;
	impact_audit_record *records;
	size_t n, alloc;
	bool interrupted;           /* stopped by Ctrl-C: the records are what was done */
} impact_audit_report;

/*
 * Run the audit `opts` asks for in `repo`. Fills *report (release it
 * with impact_audit_report_release, also after a failure: it holds what
 * was done). Fails with IMPACT_EINVALID for what the user can fix in the
 * call (no test files, a bad range, selection options impact rejects),
 * IMPACT_EUNBORN without a commit, IMPACT_EPYTHON when no interpreter
 * has pytest or the unmutated suite does not run to its end, and
 * IMPACT_ERROR otherwise; when interrupted, report->interrupted is set
 * and IMPACT_ERROR returned.
 */
int impact_audit_run(impact_audit_report *report, git_repository *repo,
                     const impact_audit_opts *opts);
void impact_audit_report_release(impact_audit_report *report);

/*
 * True for a mutant (of a function or of a module) that was audited and
 * broke nothing: no failing file, a complete run. Such mutants are counted
 * apart: what a selection picks for a change that breaks nothing says
 * nothing of its precision. A commit of --full that breaks nothing counts.
 */
bool impact_audit_breaks_nothing(const impact_audit_report *report,
                                 const impact_audit_record *r);

/*
 * Totals over the audited records (skipped ones aside). Mutants that
 * break nothing count in `audited` and `breaks_nothing` only, not in the
 * sums the ratios come from.
 */
typedef struct impact_audit_totals {
	size_t audited, failing, selected, missed, test_files, incomplete, breaks_nothing;
	size_t unproven;                       /* selected files in `other` (out of precision) */
	size_t static_selected, static_missed, static_unproven; /* records: the static figures */
} impact_audit_totals;

void impact_audit_totals_of(impact_audit_totals *out, const impact_audit_report *report);

/* The report for people, appended to `out`. */
void impact_audit_report_text(impact_buf *out, const impact_audit_report *report);
/* The report as one JSON object (documented in README.md), appended to `out`. */
int impact_audit_report_json(impact_buf *out, const impact_audit_report *report);

#endif
