/*
 * project.h - the module graph of one snapshot of a Python project.
 *
 * Owns putting the pieces together for one side of a change: reads
 * pytest's configuration from the snapshot, lists its Python files (plus
 * "ghost" files: paths the change deleted or renamed away, so that tests
 * still importing the old name are found), parses them (parse.c),
 * resolves every import (resolve.c) into the graph (graph.c), adds what
 * pytest itself runs (conftest.py files in scope, package __init__.py
 * files, `-p` plugins), and marks tests (testfiles.c). Decides nothing
 * about what changed: that is select.c.
 */
#ifndef IMPACT_PROJECT_H
#define IMPACT_PROJECT_H

#include "collect.h"
#include "diff.h"
#include "clock.h"
#include "graph.h"
#include "parse.h"
#include "pytestcfg.h"
#include "refnames.h"
#include "resolve.h"
#include "snapshot.h"
#include "strpool.h"

enum {
	IMPACT_PF_TEST = 1 << 0,      /* a test module pytest collects */
	IMPACT_PF_CONFTEST = 1 << 1,  /* a conftest.py */
	IMPACT_PF_GHOST = 1 << 2,     /* gone on this side (deleted/renamed away) */
	IMPACT_PF_UNKNOWN = 1 << 3,   /* not parsed: imports unknown */
	IMPACT_PF_SYMLINK = 1 << 4,
	IMPACT_PF_VIRTUAL = 1 << 5,   /* the node standing for "any module" */
	IMPACT_PF_DOCTEST = 1 << 6,   /* a test only through --doctest-modules */
	IMPACT_PF_HAS_DOCTESTS = 1 << 7, /* DOCTEST, and its docstrings hold examples */
};

/* A test module only: a --doctest-modules test is also a module others import. */
#define IMPACT_PF_ONLY_TEST(flags) \
	(((flags) & IMPACT_PF_TEST) && !((flags) & IMPACT_PF_DOCTEST))

typedef struct impact_pyfile {
	const char *path;           /* interned in project->paths */
	const impact_entry *entry;  /* NULL for ghosts; borrowed from the snapshot */
	impact_pyfacts *facts;      /* NULL when not parsed; owned by the project */
	uint32_t flags;             /* IMPACT_PF_* */
	uint32_t sig;               /* what its facts mean beyond its own edges (project.c) */
	/*
	 * Symbols in its whole facts, when nsyms_known: kept with a cached
	 * graph so that the precise walk numbers every file's symbols without
	 * loading facts it does not walk (checked when they are loaded).
	 */
	uint32_t nsyms;
	uint32_t symflags;          /* IMPACT_SYMS_*, when nsyms_known */
	bool nsyms_known;
	bool names_known;           /* the project's name index (refnames) knows its names */
} impact_pyfile;

/*
 * What a file's whole facts hold, kept with its symbol count: two flags,
 * and above IMPACT_SYMS_CLASS_SHIFT its number of classes (at most
 * IMPACT_SYMS_MAX_CLASSES), so that the precise walk knows how many
 * classes its reach has without loading the facts that define them.
 */
enum {
	IMPACT_SYMS_LAZY_IMPORT = 1 << 0, /* an import inside a function (not TYPE_CHECKING) */
	IMPACT_SYMS_DYNAMIC = 1 << 1,     /* a symbol using exec/eval (IMPACT_SYMBOL_DYNAMIC) */
	IMPACT_SYMS_CLASS_SHIFT = 8,
	IMPACT_SYMS_MAX_CLASSES = 0xffffff,
};

/* The classes of a file whose nsyms_known is set. */
static inline uint32_t impact_pyfile_nclasses(const impact_pyfile *f)
{
	return f->symflags >> IMPACT_SYMS_CLASS_SHIFT;
}

typedef struct impact_project {
	impact_snapshot *snap;      /* borrowed */
	impact_pytestcfg cfg;
	impact_strpool *paths;      /* ids 0..nfiles-1 are the files below */
	impact_pyfile *files;         /* nfiles + 1: files[nfiles] is the virtual node */
	uint32_t nfiles;
	impact_strlist roots;       /* global import roots used */
	impact_resolver *resolver;  /* NULL until impact_project_resolver makes it */
	impact_graph *graph;
	impact_strlist warnings;    /* one line each: syntax errors, unreadable files */
	impact_collectors collectors; /* pytest_collect_file hooks and what they collect */
	impact_u32vec named;        /* the modules some string of the repository names, sorted:
	                               what an import by a computed name may load (add_dynamic) */
	impact_entry *aux;          /* the other files selection reads, sorted by path (owned): */
	uint32_t naux;              /* doctest texts and what collectors collect (impact_project_aux) */
	impact_strlist aux_paths;   /* their paths (aux[i].path points here) */
	impact_cache *cache;        /* borrowed: where slim facts are reloaded from */
	impact_entry *entries;      /* a cached graph's files (owned); else entries are the snapshot's */
	bool lazy;                  /* facts are loaded per file on demand (a cached graph) */
	void *graph_map;            /* the mapped graph file the graph's arrays are in, or NULL */
	size_t graph_map_len;
	bool graph_cached;          /* the graph came from the cache: nothing was parsed */
	bool graph_patched;         /* ... the old tree's, with the changed modules' edges redone */
	impact_pyparser *parser;    /* made on demand to reload facts the cache lost */
	uint32_t facts_lost;        /* reloads that failed (the file became unreadable): the
	                               slim facts stand, and symbol-level answers are unsafe */
	double ms_parse, ms_graph;  /* timings */
	size_t parsed, from_cache;  /* files parsed now / taken from the cache */
	size_t facts_loaded;        /* whole facts loaded on demand (impact_project_facts) */
	/* Facts parsed again because the cache had lost them, encoded for it
	 * (impact_project_store_reparsed): a walk reads inside one read
	 * transaction, so they are written once it is over. */
	struct impact_reparsed { git_oid oid; impact_buf enc; } *reparsed;
	size_t nreparsed, areparsed;
	/*
	 * The names each file's facts are looked up under (refnames.h), kept
	 * with the cached graph, when has_refnames: in the mapped graph file
	 * (graph_map, or refnames_map after a patch). A file whose names it
	 * does not know (names_known false: a patched file) is read for every name.
	 */
	impact_refnames refnames;
	bool has_refnames;
	void *refnames_map;         /* the old tree's mapped file a patch keeps for them, or NULL */
	size_t refnames_map_len;
	git_oid *patched_old;       /* a patch: the changed modules' blobs in the old tree (their indexed names) */
	size_t npatched_old, apatched_old;
} impact_project;

typedef struct impact_project_opts {
	const char *const *ghosts;  /* repo-relative .py paths absent from the snapshot */
	size_t nghosts;
	unsigned nthreads;          /* 0 = all CPUs */
	impact_cache *cache;        /* parse cache, or NULL; borrowed */
	/*
	 * The other side of the change and what changed (both borrowed, may be
	 * NULL): with a cache holding that tree's graph, a change that only
	 * modifies files in place patches it instead of building anew.
	 */
	const git_tree *base_tree;
	const impact_changeset *changes;
} impact_project_opts;

/*
 * Build the project of `snap` (borrowed; must outlive the project).
 * Fails with IMPACT_EINVALID on a malformed pytest configuration.
 * Returns 0 and *out (free with impact_project_free).
 */
int impact_project_build(impact_project **out, impact_snapshot *snap,
                         const impact_project_opts *opts);
void impact_project_free(impact_project *project);

/*
 * The whole facts of file `id` (symbols and references included):
 * files[id].facts are slim (IMPACT_PYFACTS_SLIM: imports and strings only,
 * all the graph needs), and the rest is loaded here on first use, from the
 * cache or by parsing the file again. NULL when the file was not parsed.
 * When the file cannot be read again, the slim facts come back and
 * facts_lost counts it: symbol-level answers are then unsafe. Not
 * thread-safe; the project is logically constant.
 */
const impact_pyfacts *impact_project_facts(const impact_project *project, uint32_t id);

/*
 * Store in the cache the facts impact_project_facts had to parse again
 * (the cache lost them: removed, emptied by another impact version, or a
 * kept graph outliving its facts), so the next run finds them; best
 * effort, as any cache write. Call outside a read transaction.
 */
void impact_project_store_reparsed(const impact_project *project);

/*
 * Imports and strings of file `id` (slim or whole facts): in memory after
 * a build, loaded on demand from a cached graph. NULL when not parsed.
 */
const impact_pyfacts *impact_project_slim_facts(const impact_project *project, uint32_t id);

/*
 * The files other than modules that selection reads: every doctest text
 * candidate (impact_testfiles_is_text_doctest) and every file a collector
 * collects, sorted by path. Kept with the cached graph, so a warm run
 * reads them without listing the whole tree. `*n` gets their count.
 */
const impact_entry *impact_project_aux(const impact_project *project, size_t *n);

/* The resolver of the project's files and roots, made on first use. */
impact_resolver *impact_project_resolver(const impact_project *project);

/* The id of `path`, or IMPACT_STRPOOL_NONE. */
uint32_t impact_project_find(const impact_project *project, const char *path);

/*
 * The modules holding a string literal that names `path` or a folder above
 * it (string evidence, resolved as for modules: from the module's folder
 * up to the root), with the line of the first such string: who reads a
 * data file. Appended to `ids` and `lines`.
 */
void impact_project_path_referrers(const impact_project *project, const char *path,
                                   impact_u32vec *ids, impact_u32vec *lines);


#endif
