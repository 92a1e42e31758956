/*
 * plan.h - the main operation as one library call: from a revision range
 * to the ordered, sharded list of tests to run, with everything that
 * explains it.
 *
 * Owns the pipeline range -> changes -> snapshot of the new side ->
 * configuration -> parse cache -> project (module graph) -> selection ->
 * order (history, or by path) -> shard. Every front end calls it: the
 * default command, the hooks, the demo, and later watch mode and
 * exact-tree runs; none of them rebuilds the pipeline or calls another
 * command through a fake argv. It never prints: warnings that a command
 * should show are collected in the plan, in the order they arose.
 *
 * It does not run anything: cli/runner.c takes the plan's report context
 * and configuration.
 */
#ifndef IMPACT_PLAN_H
#define IMPACT_PLAN_H

#include "cache.h"
#include "report.h"

/* What to plan; zero-initialised = `impact` with no arguments. */
typedef struct impact_plan_opts {
	const char *spec;      /* revspec (A..B, A...B, <rev>), or NULL: uncommitted changes */
	bool staged;           /* the index against HEAD; not with spec or gate */
	bool gate;             /* spec is a gate's: NULL = from the merge base with the default branch */
	bool no_smart;         /* rules alone, no import graph */
	bool coarse;           /* whole modules, no precise walk */
	bool no_cache;         /* neither read nor write the parse cache */
	bool no_records;       /* static selection only: ignore recorded dependencies */
	bool all;              /* the whole suite, whatever changed (impact --all) */
	unsigned threads;      /* parse threads; 0 = all CPUs */
	bool order_by_path;    /* run order by path, not failures first */
	unsigned shard_k, shard_n; /* keep part k of n (1-based); n = 0: no sharding */
	const char *rules_dir; /* folder of rule sets, or NULL: the installed one */
	const char *record_filter; /* the run's -k/-m (impact_records_filter), NULL = none */
	const char *const *run_args; /* the run's own pytest arguments (after --, PYTEST_ADDOPTS):
	                                a plugin's option given there counts as set; borrowed */
	size_t nrun_args;
} impact_plan_opts;

typedef struct impact_plan {
	impact_range range;
	impact_changeset *changes;
	impact_snapshot *snapshot;   /* the new side */
	impact_config *config;
	impact_cache *cache;         /* NULL with no_cache or when it cannot be opened */
	impact_project *project;
	impact_selection *selection;
	impact_report_ctx ctx;       /* borrows everything above; for report.c and the runner */
	char *gate_spec;             /* with gate: the range chosen, and why (owned) */
	char *gate_why;
	impact_strlist notes;        /* warnings for the user, in order (owned); the
	                                project's and selection's are appended too */
	impact_strlist ghosts;       /* private: removed modules' old paths */
} impact_plan;

/*
 * Build the plan for `opts` in `repo` (borrowed; must outlive the plan).
 * Returns 0 and *out (free with impact_plan_free), or a negative
 * IMPACT_E* code with the error message set and *out NULL: a bad range,
 * a shard spec out of range, an unreadable configuration, a libgit2 or
 * I/O failure.
 */
int impact_plan_build(impact_plan **out, git_repository *repo, const impact_plan_opts *opts);

/* Free the plan and everything it owns (closing the cache). NULL-safe. */
void impact_plan_free(impact_plan *plan);

/*
 * A warning of the cache found while the plan was used (damage dropped),
 * or NULL. Borrowed; valid until impact_plan_free.
 */
const char *impact_plan_cache_warning(const impact_plan *plan);

/*
 * The test files the import graph of the plan's new side leads from
 * `paths` to (whole modules, conftests and test files included: no
 * precise walk), appended to `out` in path order, each once. For a
 * front end that knows more changed files than the range shows (watch
 * mode: every file saved since the loop began, even one saved back to
 * its committed content). Paths the project does not know are skipped.
 */
void impact_plan_reaching(impact_strlist *out, const impact_plan *plan,
                          const char *const *paths, size_t npaths);

/* True when the plan has nothing to run: no change, or no test selected. */
bool impact_plan_is_empty(const impact_plan *plan);

#endif
