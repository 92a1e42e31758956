/*
 * precise.h - select by what a test can reach, not by whole modules.
 *
 * Owns the precise mode: which changes of a modified module are
 * import-time (module-level code, signatures, decorators, class bodies:
 * anything importing the module may break) and which are call-time (a
 * function body: only code that calls it may break); the walk from
 * call-time changes backwards through references (a function, who names
 * it, who names those, ... up to test functions, fixtures and test
 * modules); and the walk of the import-time graph, where a function-level
 * import belongs to its function, not to its module. The two walks feed
 * each other until nothing new is reached: a module-level reference to a
 * changed function makes its module import-time changed; an import-time
 * change reaches the functions that import the module lazily.
 *
 * Where Python is dynamic it over-approximates, and says so: an attribute
 * name on an object of unknown type matches every symbol of that name; a
 * changed dunder method reaches everything that names its class; a
 * function nobody names (a hook, a callback registered by a framework) and
 * a function using exec/eval/globals()/getattr(x, non-literal) fall back
 * to the module; a syntax error, a conftest, a renamed or added module is
 * import-time.
 */
#ifndef IMPACT_PRECISE_H
#define IMPACT_PRECISE_H

#include "cache.h"
#include "diff.h"
#include "project.h"

typedef struct impact_precise {
	impact_reach reach;   /* the import-time walk from the final module seeds */
	uint32_t *hops;       /* per file id: reference hops from a change to this test
	                         module, UINT32_MAX when no reference reaches it */
	char **why;           /* per file id: the reference chain as text (owned), or NULL */
	uint32_t *origin;     /* per file id: the changed module the chain starts at, or UINT32_MAX */
	char **change_note;   /* per changeset entry: how the change was classified (owned), or NULL */
	bool *seed;           /* per file id: a module seed (import-time changed) */
	bool *hook_seed;      /* per file id: a seed because a pytest hook of it that may run
	                         where no record looks reaches a change (the report header under
	                         options impact's runs do not use, the terminal summary...):
	                         records cannot speak for it */
	bool *values_changed; /* per file id: a changed module whose import-time code changed
	                         only in the values of data-only assignments (`__version__ =
	                         "1.2"`), walked from their readers: no import-time change,
	                         and records, which show no read of a global, cannot speak for
	                         those readers */
	bool *touched;        /* per file id: some symbol of it reaches a change */
	char **seed_why;      /* per file id: why an unchanged module is a seed (owned), or NULL */
	uint32_t *seed_origin;/* per file id: for such a seed, the changed module behind it */
	uint32_t *seed_hops;  /* per file id: reference hops from the change to such a seed, else 0 */
	size_t nchanges;
	uint32_t nfiles;      /* entries of the per-file arrays */
	bool gave_up;         /* the walk reached too much to be worth it, or lost facts:
	                         use whole modules */
	bool facts_lost;      /* a file's symbols could not be reloaded (unreadable now) */
	bool too_many_changes; /* more changed modules than a walk is worth: not walked */
	bool wide_for_records; /* gave up at the function limit, caches, their readers and
	                          hooks then taken as wide as the reach allows: records
	                          may still decide (precise_widen_for_records) */
	bool seeds_cover;     /* the changed modules' import-time reach already held every
	                         test the whole-module walk reaches: nothing for a reference
	                         walk to narrow, none made (hits, caches, hooks unknown) */
	size_t targets;       /* targets the reference walk processed (its cost) */
	bool walk_covered;    /* the walk stopped once what it had found selected every test
	                         and collector the whole-module walk reaches (hits past that
	                         point, caches and hooks unknown) */
	impact_strlist cached_keys; /* every such function reached, "path\nqual" */
	impact_strlist cache_readers; /* every function naming one of them, "path\nqual":
	                                 it may read a result another test computed */
	impact_u32vec cache_reader_of; /* per reader: the index in cached_keys it names */
} impact_precise;

/*
 * Run the precise mode for `changes` on `project` (the new side). Old
 * sides of modified modules are read from `repo` by blob id and parsed
 * (through `cache` when given). `skip_kinds` are edge kinds never
 * followed (TYPE_CHECKING); `extra_seeds` are modules to take as
 * import-time changed besides the changes (readers of a changed data
 * file). `bound` (per file id, may be NULL) is the whole-module walk's
 * distances: a file it does not reach cannot lead a change to a test, so
 * the walks never enter it. Unless `detail` (records will read which
 * functions, caches and hooks the walk reached), the reference walk is
 * not made when the import-time reach of the classified changes already
 * holds every test module `bound` reaches (seeds_cover). Returns 0 and
 * *out (free with impact_precise_free); on an error reading a side, the
 * module is taken as import-time changed and the run goes on.
 */
int impact_precise_run(impact_precise **out, const impact_project *project,
                       const impact_changeset *changes, git_repository *repo,
                       impact_cache *cache, uint32_t skip_kinds,
                       const uint32_t *extra_seeds, size_t nextra, const uint32_t *bound,
                       bool detail);
/*
 * Of the test files `want` marks, those that may load one of the changed
 * modules at all (the walk's answer were every change import-time): *out
 * per file id, true where one may; NULL when every one of them may (one
 * importing a changed module at the top needs no walk; the walk stops as
 * soon as it has reached the others) or the walk gave up, past `budget`
 * targets (0: the usual limit). A call-time answer never needs a test
 * outside it. Free *out.
 */
int impact_precise_load_reach(bool **out, const impact_project *project,
                              const impact_changeset *changes, uint32_t skip_kinds,
                              const uint32_t *extra_seeds, size_t nextra, const uint32_t *bound,
                              const bool *want, size_t budget);
void impact_precise_free(impact_precise *pr);

#endif
