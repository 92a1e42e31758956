/*
 * precise_private.h - what the files of the precise mode share (see
 * precise.h for the mode itself): the walker's state, the name index it
 * looks references up in, a binding (what a name means in a module), the
 * class hierarchy, the adapter to the extractor's facts, and the steps
 * each file exports to the others. Only analyzer/select/precise*.c
 * include it; the library's interface is precise.h.
 *
 *   precise.c          the entry: sets the walk up, alternates the walks
 *                      until nothing new is reached, writes the answers
 *                      and the reference chains --explain shows
 *   precise_change.c   one changed module: import-time or call-time
 *   precise_walk.c     the walks: targets, reaching nodes, module seeds,
 *                      and the fallbacks (unnamed, exec/eval, lazy imports)
 *   precise_means.c    can this reference mean that target?
 *   precise_names.c    the names a computed getattr can be; who runs a
 *                      module's PEP 562 __getattr__
 *   precise_bind.c     what a name or dotted chain means in a module
 *   precise_classes.c  the class hierarchy (self.m(), getattr(self, name))
 *   precise_index.c    the name -> (file, index) index and its builders
 */
#ifndef IMPACT_PRECISE_PRIVATE_H
#define IMPACT_PRECISE_PRIVATE_H

#include "precise.h"

#include <git2.h>
#include <string.h>

#define NONE UINT32_MAX
#define MAX_CHAIN_PARTS 16

/* ---- facts adapter (the extractor's names, in one place) ----------------- */

static inline size_t nsyms(const impact_pyfacts *f) { return f ? f->nsymbols : 0; }
static inline const impact_symbol *sym(const impact_pyfacts *f, uint32_t i) { return &f->symbols[i]; }
static inline size_t nrefs(const impact_pyfacts *f) { return f ? f->nrefs : 0; }

static inline const impact_symref *ref(const impact_pyfacts *f, size_t i) { return &f->refs[i]; }
static inline uint32_t ref_owner(const impact_symref *r) { return r->symbol == IMPACT_SYMBOL_NONE ? NONE : r->symbol; }

/* The name `import a.b.c [as x]` binds in its module: x, or a; its length in *len. */
static inline const char *module_import_bound(const impact_import *imp, size_t *len)
{
	*len = imp->asname ? strlen(imp->asname) : strcspn(imp->module, ".");
	return imp->asname ? imp->asname : imp->module;
}
static inline uint32_t import_owner(const impact_import *imp) { return imp->symbol == IMPACT_SYMBOL_NONE ? NONE : imp->symbol; }

/* ---- the name index (precise_index.c) ------------------------------------- */

/*
 * name -> list of (file, index). Keys are distinct (one per name, its
 * bytes borrowed from the facts: a part of a chain is a pointer and a
 * length, never a copy); each key heads its own list of entries, newest
 * first, so a lookup compares strings once and then follows links.
 */
typedef struct entry {
	uint32_t file, index;
	uint32_t next; /* next entry of the same key, NONE ends */
} entry;

typedef struct key {
	const char *s;
	uint32_t len;
	uint32_t head;     /* newest entry */
	uint32_t next_key; /* next key of the same bucket */
	uint64_t hash;
	bool done;         /* filled from a stored name index: every file holding it indexed */
} key;

typedef struct index {
	uint32_t *buckets;
	size_t nbuckets;
	entry *v;
	size_t n, alloc;
	key *keys;
	size_t nkeys, akeys;
} index_t;

/* ---- the walk's state -------------------------------------------------- */

/* The label (walker.label) of a module-level data-only assignment whose value changed. */
#define PRECISE_VALUE_CHANGED "value changed"

typedef struct target {
	uint32_t file;
	const char *name;
	uint32_t node; /* the node that made it a target */
} target;

typedef struct walker {
	const impact_project *p;
	uint32_t skip_kinds;
	uint32_t *base;       /* per file: first node id; the module node is base + nsyms */
	uint32_t nnodes;
	uint32_t *from;       /* per node: the node it was reached from (NONE: a change) */
	uint8_t *hit;         /* per node */
	uint8_t *used;        /* per node: some reference means it (through any binding) */
	uint8_t *unnamed_done;
	uint32_t *hop;        /* per node: hops from a change */
	const char **label;   /* per node: why a changed node changed (borrowed), or NULL */
	const char **how;     /* per node: how it reaches `from` when not by a plain name (borrowed) */
	impact_u32vec getattrs; /* (file, ref index) of every GETATTR reference */
	struct classes *classes; /* the class hierarchy, built on first use */
	uint8_t *ga_kind;        /* per GETATTR reference: what its object is (getattr_object) */
	uint32_t *bind_mod;      /* per binds entry: the module it imports from (follow_bindings) */
	size_t nbind_mod;
	uint32_t *ga_file, *ga_sym;
	struct ga_buckets *ga_buckets; /* GETATTR references by where their object lets them
	                                  mean a target (precise_walk.c), built on first use */
	bool *seed;           /* per file: import-time changed (module seed) */
	bool *hook_seed;      /* per file: a seed through a pytest hook (impact_precise.hook_seed) */
	bool *values_changed; /* per file: impact_precise.values_changed */
	uint8_t *in_tests;    /* per file and the "any" node: can run in a test process
	                         (precise_values.c), made on first use */
	uint32_t *seed_via;   /* per file: the node that made it a seed, NONE: its own change */
	bool *any_hit;        /* per file: some symbol of it was reached */
	impact_strlist cached_keys; /* every such function reached: "path\nqual" */
	impact_u32vec cached_nodes; /* their nodes, in the same order */
	impact_strlist cache_readers; /* code naming one of them: "path\nqual" */
	impact_u32vec cache_reader_of; /* per reader: its function's index in cached_keys */
	bool new_seed;
	index_t refs;         /* last name component -> (file, ref index) */
	index_t binds;        /* imported name -> (file, import index) */
	impact_strlist owned;
	target *queue;
	size_t nqueue, aqueue, qhead;
	/* seen targets: open addressing on (file, name) */
	target *seen;
	size_t nseen_buckets, nseen;
	impact_u32vec tmp;
	struct memo *memo;    /* bind_head's answers */
	impact_u32vec lazy;   /* (function node, module file, import) triples of function-level imports */
	uint32_t *lazy_from, *lazy_to; /* per file: its triples in lazy, NONE until resolved */
	bool gave_up;
	bool indexed;
	/* With a stored name index (impact_project.has_refnames), filled as the walk asks: */
	uint8_t *file_indexed; /* per file: its references and bindings are in refs and binds */
	impact_u32vec unknown; /* the files the stored index does not know the names of */
	impact_u32vec tmp_files;
	impact_u32vec named; /* a stored index's list, as read */
	bool getattrs_done;    /* getattrs holds every GETATTR reference of the reach */
	/*
	 * Where to stop early (precise_covers_bound): unless records will
	 * read the whole walk, every COVER_EVERY targets the walk checks
	 * whether what it has found already selects every test the bound
	 * does; cover_reach (NULL: never checks) then keeps the seeds' reach.
	 */
	impact_reach *cover_reach;
	size_t next_cover_check;
	bool covered;
	/* impact_precise_load_reach: the test files it asks about (covered
	 * once each is reached), or NULL (covered once the bound's are). */
	const bool *want;
	size_t max_targets; /* where the walk gives up; 0: MAX_TARGETS */
	/* Star imports by the module they import: importers of file m are
	 * star_by[star_at[m] .. star_at[m + 1]), in (file, import) order. */
	uint32_t *star_at, *star_by;
	/* Old sides parsed here, stored in the cache when the walk is done
	 * (a warm run on the same range then parses nothing). */
	struct kept { git_oid oid; impact_buf enc; } *kept;
	size_t nkept, akept;
	const uint32_t *bound; /* per file: UINT32_MAX = out of the whole-module reach */
	const char *read_name; /* the last target asked of attr_read (precise_means.c), and its answer */
	const impact_symref *read_ref;
	bool read_answer;
	size_t nmemo, amemo;
} walker;

/*
 * The facts of a file as the walk sees them: whole inside the whole-module
 * reach (loaded on first use), slim (no symbols) outside it, where nothing
 * the walk finds can count. The same with or without a cache.
 */
static inline bool in_bound(const walker *w, uint32_t file)
{
	return !w->bound || w->bound[file] != UINT32_MAX;
}

static inline const impact_pyfacts *facts_of(const walker *w, uint32_t file)
{
	const impact_pyfacts *f;
	if (file >= w->p->nfiles)
		return NULL;
	/* The loaded cases inline: this runs for every reference the walk looks at. */
	f = w->p->files[file].facts;
	if (in_bound(w, file))
		return f && !(f->flags & IMPACT_PYFACTS_SLIM) ? f : impact_project_facts(w->p, file);
	return f || !w->p->lazy ? f : impact_project_slim_facts(w->p, file);
}

static inline uint32_t node_of(const walker *w, uint32_t file, uint32_t s)
{
	return w->base[file] + (s == NONE ? w->base[file + 1] - w->base[file] - 1 : s);
}

static inline uint32_t file_of_node(const walker *w, uint32_t node)
{
	uint32_t lo = 0, hi = w->p->nfiles;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (w->base[mid] <= node)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static inline const char *last_part(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot ? dot + 1 : name;
}

/*
 * Method names every dict, list, set, str or file also has. `x.update()`
 * on an object of unknown type is far more often one of those than the
 * repository's method: such a method is instead reached through its class
 * (whoever can hold an instance names the class, or calls what does), as
 * for dunders.
 */
static inline bool common_method_name(const char *name)
{
	static const char *const names[] = {
		"add", "append", "clear", "close", "copy", "count", "decode", "discard",
		"encode", "endswith", "extend", "find", "flush", "format", "get", "index",
		"insert", "items", "join", "keys", "lower", "pop", "popitem", "read",
		"readline", "remove", "replace", "reverse", "setdefault", "sort", "split",
		"startswith", "strip", "update", "upper", "values", "write",
	};
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(names); i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/* A method name reached through its class: a dunder, or a dict/list/str name. */
static inline bool via_class_name(const char *m)
{
	size_t n = strlen(m);
	bool dunder = n > 4 && !strncmp(m, "__", 2) && !strcmp(m + n - 2, "__");
	return dunder || common_method_name(m);
}

static inline bool via_class(const char *target_name)
{
	return strchr(target_name, '.') && via_class_name(last_part(target_name));
}

/* ---- bindings (precise_bind.c) -------------------------------------------- */

typedef struct binding {
	uint32_t file;      /* module file, or NONE */
	char name[256];     /* "" = the module itself; else a (qualified) attribute */
	const char *dotted; /* the module's dotted name as imported (for submodules) */
	uint32_t level;
} binding;


/* ---- the class hierarchy (precise_classes.c) ------------------------------ */

/*
 * The classes of the files in reach, with their bases resolved through
 * imports and re-exports. A base impact cannot resolve to a class (a
 * computed base, an alias, a name from a star import) is a wildcard: the
 * class may inherit from anything. A base from outside the repository
 * (object, dict, a library's class) adds nothing.
 *
 * Without a stored name index every class is numbered and every base read
 * at once. With one (lazy), a class is numbered when its file is first
 * asked about, a file's bases are read when one of its classes is, and a
 * class's subclasses are looked for (children_done) only when a question
 * needs them: the table costs what the walk asks of it.
 */
typedef struct classes {
	uint32_t n;
	size_t alloc;            /* of the per-class arrays below */
	uint32_t *file, *node;   /* per class */
	bool *wild;              /* per class: a base that could be anything (once its file's bases are read) */
	impact_u32vec *parents;  /* per class: classes of its bases (idem) */
	impact_u32vec *children; /* per class: complete when children_done */
	bool *children_done;
	impact_u32vec *related;  /* per class: memo of related(), ascending, when related_done */
	bool *related_done;
	bool *all_related;       /* per class: memo, related to every class */
	uint32_t *mark;          /* per class: the walk of related() that saw it last */
	uint32_t epoch;
	uint32_t *of_node;       /* per node: its class index, or NONE */
	uint8_t *file_state;     /* per file: 1 its classes numbered, 2 its bases read too */
	uint8_t *near_n;         /* per file: how many wild classes (0-2, 3: not asked) may see it */
	uint32_t (*near)[2];     /* per file: those classes */
	bool lazy;
	uint8_t *may_class;      /* lazy, per file: the stored index says it may define a class */
	index_t names;           /* last name part of every symbol in reach, built on first use */
	bool named;
	index_t by_name;         /* not lazy: every class by the last part of its name (entries: file, class) */
	impact_u32vec tmp;
	bool too_many;
} classes;

/* ---- what each file does for the others --------------------------------- */

/* precise_index.c */
void precise_index_init(index_t *ix, size_t expect);
void precise_index_add(index_t *ix, const char *s, size_t keylen, uint32_t file, uint32_t idx);
uint32_t precise_index_first(const index_t *ix, const char *s);
uint32_t precise_index_next(const index_t *ix, uint32_t i);
void precise_index_release(index_t *ix);
void precise_build_indexes(walker *w);
/* The first entry of name in refs (binds), every file holding it indexed first. */
uint32_t precise_refs_first(walker *w, const char *name);
uint32_t precise_binds_first(walker *w, const char *name);
/* w->getattrs complete; the star imports (star_at, star_by) made. */
void precise_need_getattrs(walker *w);
void precise_need_stars(walker *w);
/* Into out, ascending: the files of the reach whose facts may hold `kind` (refnames.h; 0: any), their facts loaded. */
void precise_files_with(walker *w, int kind, impact_u32vec *out);
/*
 * Into out, ascending: the files of the reach (no ghosts) the stored index
 * lists under `name` of `kind` ("" for a kind without names), with those
 * whose names it does not know; every file of the reach without a stored
 * index or for a name too long to be stored. A list may hold files that
 * lack the name (refnames.h). Their facts loaded when `load`.
 */
void precise_files_named(walker *w, int kind, const char *name, bool load, impact_u32vec *out);
/* Does a file of the reach define a symbol whose last name part is `name` (from the stored index)? */
bool precise_defined_in_reach(walker *w, const char *name);

/* precise_change.c */
void precise_drop_same(impact_u32vec *syms, const impact_pyfacts *of, const uint64_t *oh, size_t on,
                       const impact_pyfacts *nf, const uint64_t *nh, size_t nn);

/* precise_values.c */
struct impact_fnhashes;
/*
 * Are the values of file x's data-only assignments (its old and new
 * facts, their token fingerprints) all that changed at import time, and
 * read only where the walk can see? Then those symbols (of the new side)
 * are appended to syms.
 */
bool precise_values_only(walker *w, uint32_t x, impact_u32vec *syms, const impact_pyfacts *of,
                         const struct impact_fnhashes *oh, const impact_pyfacts *nf,
                         const struct impact_fnhashes *nh, impact_buf *why);
/*
 * Can the walk see every reader of the values `vals` (data-only
 * assignments of module x's new side `nf`, changed or added): none read by
 * Python or pytest themselves, and module x's object nowhere impact cannot
 * follow? Else `why` says what stands in the way.
 */
bool precise_values_readable(walker *w, uint32_t x, const impact_pyfacts *nf, const impact_u32vec *vals,
                             impact_buf *why);

/* precise_bind.c */
uint32_t precise_module_file(walker *w, uint32_t importer, const char *dotted, uint32_t level);
size_t precise_split_chain(const char *text, const char **parts, size_t *lens);
size_t precise_chain_resolve(walker *w, uint32_t y, const char **parts, const size_t *lens,
                             size_t n, binding *b, const target *t, bool *ok);
bool precise_resolve_text(walker *w, uint32_t y, const char *text, binding *b);

/* precise_classes.c */
void precise_classes_free(classes *c);
uint32_t precise_class_of(walker *w, uint32_t file, const char *name);
/* The class of symbol s (NONE: the module) of file `file`, or NONE when it is none. */
uint32_t precise_class_at(walker *w, uint32_t file, uint32_t s);
void precise_build_classes(walker *w);
bool precise_related(walker *w, uint32_t a, uint32_t b);
bool precise_self_and_target_classes(walker *w, uint32_t y, const impact_symref *r, const target *t,
                                     uint32_t *a, uint32_t *b);

/* precise_means.c */
bool precise_ref_means(walker *w, uint32_t y, const impact_symref *r, const target *t, const char **how);
/*
 * Which targets GETATTR reference number gi (of file y) may mean at all,
 * a necessary condition of precise_getattr_means read from its object
 * alone: any (self, a class), only its own file's (globals()), only the
 * named module's (*ofile), or, an object of unknown type, those of its
 * own file and of the modules it imports directly.
 */
enum { GA_SCOPE_ANY, GA_SCOPE_OWN_FILE, GA_SCOPE_MODULE, GA_SCOPE_IMPORTS };
int precise_getattr_scope(walker *w, size_t gi, uint32_t y, const impact_symref *r, uint32_t *ofile);
bool precise_getattr_means(walker *w, uint32_t y, const impact_symref *r, const target *t,
                           bool dotted, const char **how, size_t gi);

/* precise_names.c */
/* The names after the tab of a GETATTR reference's text, or NULL: could be anything. */
const char *precise_names_spec(const char *text);
/* May a getattr of file `y` whose names are `spec` be attribute `name`? */
bool precise_names_may_be(walker *w, uint32_t y, const char *spec, const char *name);
/* `how` with what the name of GETATTR reference `r` can be (owned by the walker). */
const char *precise_names_how(walker *w, uint32_t y, const impact_symref *r, const char *how);
/* Reach the code of t's module writing t's name as a string (precise_names.c); how many were found. */
size_t precise_names_strings(walker *w, const target *t);
/* Is t a module's __getattr__ (PEP 562)? */
bool precise_module_getattr(const target *t);
/* Reach the code reading a name t's module lacks; how many were found. */
size_t precise_module_getattr_readers(walker *w, const target *t);

/* precise_walk.c */
/* Node (file, s) is reached from `via` (NONE: s is module-level code: an import-time seed). */
void precise_reach(walker *w, uint32_t file, uint32_t s, uint32_t via);
/* Function `s` of `file`, reached, caches its results: noted (cached_keys). */
void precise_note_cached(walker *w, uint32_t file, uint32_t s);
void precise_push_target(walker *w, uint32_t file, const char *name, uint32_t node);
void precise_make_seed(walker *w, uint32_t file, uint32_t via);
void precise_run_queue(walker *w);
bool precise_covers_bound(walker *w, impact_reach *out);
void precise_widen_for_records(walker *w);
void precise_ga_buckets_free(struct ga_buckets *b);
void precise_module_level_callers(walker *w, impact_u32vec *out);
void precise_unnamed_functions(walker *w);
void precise_dynamic_functions(walker *w);
void precise_lazy_importers(walker *w, const impact_reach *mods);

/* precise_change.c */
char *precise_classify_change(walker *w, const impact_change *c, git_repository *repo,
                              impact_cache *cache, impact_pyparser **parser);
void precise_store_kept(walker *w, impact_cache *cache);

#endif
