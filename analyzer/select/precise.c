/*
 * precise.c - call-time and import-time changes, and the walks that
 * follow them (see precise.h).
 *
 * Nodes are the symbols of every module (functions, classes, methods,
 * assignments) plus one "module-level code" node per module. A target is
 * a (module, name) pair that some code may use: a changed function, a
 * symbol that calls it, or a name another module binds to it (`from m
 * import f as g` makes (importer, "g") a target too, which is how
 * re-export chains through __init__.py are followed). For each target,
 * the references that can mean it are found through an index by name
 * (last component), then checked against the referencing module's
 * bindings. The walk only grows sets, so it ends.
 */
#include "precise.h"

#include "fnhash.h"
#include "hunks.h"
#include "path.h"

#include <git2.h>

#define NONE UINT32_MAX
#define MAX_CHAIN_PARTS 16
#define MAX_FOLLOW 8
#define MAX_TARGETS 2000
/* Changed Python modules past which the walk is not tried (see impact_precise_run). */
#define MAX_CHANGES 1000

/* ---- facts adapter (the extractor's names, in one place) ----------------- */

static size_t nsyms(const impact_pyfacts *f) { return f ? f->nsymbols : 0; }
static const impact_symbol *sym(const impact_pyfacts *f, uint32_t i) { return &f->symbols[i]; }
static size_t nrefs(const impact_pyfacts *f) { return f ? f->nrefs : 0; }

static const impact_symref *ref(const impact_pyfacts *f, size_t i) { return &f->refs[i]; }
static uint32_t ref_owner(const impact_symref *r) { return r->symbol == IMPACT_SYMBOL_NONE ? NONE : r->symbol; }
static uint32_t import_owner(const impact_import *imp) { return imp->symbol == IMPACT_SYMBOL_NONE ? NONE : imp->symbol; }

/* ---- small containers ------------------------------------------------------ */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static uint64_t hash_strn(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

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
} key;

typedef struct index {
	uint32_t *buckets;
	size_t nbuckets;
	entry *v;
	size_t n, alloc;
	key *keys;
	size_t nkeys, akeys;
} index_t;

static void index_init(index_t *ix, size_t expect)
{
	memset(ix, 0, sizeof(*ix));
	ix->nbuckets = 1024;
	while (ix->nbuckets < expect)
		ix->nbuckets <<= 1;
	ix->buckets = impact_xmalloc(ix->nbuckets * sizeof(uint32_t));
	memset(ix->buckets, 0xff, ix->nbuckets * sizeof(uint32_t));
}

static uint32_t index_key(const index_t *ix, const char *s, size_t len, uint64_t h)
{
	uint32_t k = ix->buckets[h & (ix->nbuckets - 1)];
	while (k != NONE && (ix->keys[k].hash != h || ix->keys[k].len != len ||
	                     memcmp(ix->keys[k].s, s, len)))
		k = ix->keys[k].next_key;
	return k;
}

/* `key` (keylen bytes, not necessarily NUL-terminated) must outlive the index. */
static void index_add(index_t *ix, const char *s, size_t keylen, uint32_t file, uint32_t idx)
{
	uint64_t h = hash_strn(s, keylen);
	uint32_t k = index_key(ix, s, keylen, h);
	entry e;
	if (k == NONE) {
		key nk = { s, (uint32_t)keylen, NONE, ix->buckets[h & (ix->nbuckets - 1)], h };
		IMPACT_PUSH(ix->keys, ix->nkeys, ix->akeys, nk);
		k = (uint32_t)(ix->nkeys - 1);
		ix->buckets[h & (ix->nbuckets - 1)] = k;
	}
	e.file = file;
	e.index = idx;
	e.next = ix->keys[k].head;
	IMPACT_PUSH(ix->v, ix->n, ix->alloc, e);
	ix->keys[k].head = (uint32_t)(ix->n - 1);
}

static uint32_t index_first(const index_t *ix, const char *s)
{
	size_t len = strlen(s);
	uint32_t k = index_key(ix, s, len, hash_strn(s, len));
	return k == NONE ? NONE : ix->keys[k].head;
}

static uint32_t index_next(const index_t *ix, uint32_t i)
{
	return ix->v[i].next;
}

static void index_release(index_t *ix)
{
	free(ix->buckets);
	free(ix->v);
	free(ix->keys);
}

/* ---- the walk's state -------------------------------------------------- */

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
	uint32_t *ga_file, *ga_sym;
	bool *seed;           /* per file: import-time changed (module seed) */
	uint32_t *seed_via;   /* per file: the node that made it a seed, NONE: its own change */
	bool *any_hit;        /* per file: some symbol of it was reached */
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
	impact_u32vec lazy;   /* (function node, module file) pairs of function-level imports */
	bool lazy_done;
	bool gave_up;
	bool indexed;
	/* Star imports by the module they import: importers of file m are
	 * star_by[star_at[m] .. star_at[m + 1]), in (file, import) order. */
	uint32_t *star_at, *star_by;
	/* Old sides parsed here, stored in the cache when the walk is done
	 * (a warm run on the same range then parses nothing). */
	struct kept { git_oid oid; impact_buf enc; } *kept;
	size_t nkept, akept;
	const uint32_t *bound; /* per file: UINT32_MAX = out of the whole-module reach */
	size_t nmemo, amemo;
} walker;

/*
 * The facts of a file as the walk sees them: whole inside the whole-module
 * reach (loaded on first use), slim (no symbols) outside it, where nothing
 * the walk finds can count. The same with or without a cache.
 */
static bool in_bound(const walker *w, uint32_t file)
{
	return !w->bound || w->bound[file] != UINT32_MAX;
}

static const impact_pyfacts *facts_of(const walker *w, uint32_t file)
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

static uint32_t node_of(const walker *w, uint32_t file, uint32_t s)
{
	return w->base[file] + (s == NONE ? w->base[file + 1] - w->base[file] - 1 : s);
}

static uint32_t file_of_node(const walker *w, uint32_t node)
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

static const char *last_part(const char *name)
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
static bool common_method_name(const char *name)
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
static bool via_class_name(const char *m)
{
	size_t n = strlen(m);
	bool dunder = n > 4 && !strncmp(m, "__", 2) && !strcmp(m + n - 2, "__");
	return dunder || common_method_name(m);
}

static bool via_class(const char *target_name)
{
	return strchr(target_name, '.') && via_class_name(last_part(target_name));
}


static bool seen_add(walker *w, uint32_t file, const char *name)
{
	uint64_t h;
	if (w->nseen * 2 >= w->nseen_buckets) {
		target *old = w->seen;
		size_t nold = w->nseen_buckets;
		w->nseen_buckets = nold ? nold * 2 : 1024;
		w->seen = impact_xcalloc(w->nseen_buckets, sizeof(*w->seen));
		w->nseen = 0;
		for (size_t i = 0; i < nold; i++)
			if (old[i].name)
				seen_add(w, old[i].file, old[i].name);
		free(old);
	}
	h = (hash_str(name) ^ (file * 0x9e3779b97f4a7c15ull)) & (w->nseen_buckets - 1);
	while (w->seen[h].name) {
		if (w->seen[h].file == file && !strcmp(w->seen[h].name, name))
			return false;
		h = (h + 1) & (w->nseen_buckets - 1);
	}
	w->seen[h].file = file;
	w->seen[h].name = name;
	w->nseen++;
	return true;
}

static void push_target(walker *w, uint32_t file, const char *name, uint32_t node)
{
	target t = { file, name, node };
	if (!seen_add(w, file, name))
		return;
	IMPACT_PUSH(w->queue, w->nqueue, w->aqueue, t);
}

static void make_seed(walker *w, uint32_t file, uint32_t via)
{
	if (!w->seed[file]) {
		w->seed[file] = true;
		w->seed_via[file] = via;
		w->new_seed = true;
	}
}

/* Node `node` (of `file`, symbol `s`) is reached from `via`. */
static void reach(walker *w, uint32_t file, uint32_t s, uint32_t via)
{
	uint32_t node;
	const impact_pyfile *f = &w->p->files[file];
	const impact_pyfacts *ff;
	if (!in_bound(w, file))
		return;
	node = node_of(w, file, s);
	ff = facts_of(w, file);
	if (w->hit[node])
		return;
	w->hit[node] = 1;
	w->from[node] = via;
	w->hop[node] = via == NONE ? 0 : w->hop[via] + 1;
	w->any_hit[file] = true;
	if (s == NONE || (f->flags & IMPACT_PF_CONFTEST) || !ff) {
		/* Module-level code runs it at import, or a conftest's fixtures
		 * reach every test in scope: the module is import-time changed. */
		make_seed(w, file, node);
		return;
	}
	if (f->flags & IMPACT_PF_TEST)
		return; /* the test module is selected; tests are not called */
	{
		const impact_symbol *sy = sym(ff, s);
		/*
		 * A pytest hook (pytest_configure, a plugin object's
		 * pytest_runtest_setup...) is called by name in every session that
		 * loads its module, whoever else names it: every test that loads
		 * the module (a conftest, -p, pytest_plugins, an entry point) reaches it.
		 */
		if (!strncmp(sy->name, "pytest_", 7))
			make_seed(w, file, node);
		push_target(w, file, sy->name, node);
		/* A dunder runs without being named: whoever names the class. */
		if (((sy->flags & IMPACT_SYMBOL_DUNDER) || via_class(sy->name)) &&
		    sy->parent != IMPACT_SYMBOL_NONE)
			push_target(w, file, sym(ff, sy->parent)->name, node);
	}
}

/* ---- bindings: what a name means in a module ---------------------------- */

typedef struct binding {
	uint32_t file;      /* module file, or NONE */
	char name[256];     /* "" = the module itself; else a (qualified) attribute */
	const char *dotted; /* the module's dotted name as imported (for submodules) */
	uint32_t level;
} binding;

typedef struct memo {
	uint64_t hash;
	const char *head; /* borrowed from the facts */
	size_t hlen;
	uint32_t file;
	bool used, bound;
	binding b;
	const char *dotted; /* owned by walker.owned */
} memo;

static uint32_t module_file(walker *w, uint32_t importer, const char *dotted, uint32_t level)
{
	impact_import imp = { 0 };
	unsigned how = 0;
	imp.module = dotted;
	imp.level = (uint16_t)level;
	imp.kind = IMPACT_IMPORT_MODULE;
	const char *last, *path, *base;
	size_t n;
	w->tmp.n = 0;
	if (!impact_resolver_resolve(impact_project_resolver(w->p), importer, &imp, &w->tmp, &how))
		return NONE;
	/* Only a module of exactly that name: not the part of it that exists. */
	last = strrchr(dotted, '.');
	last = last ? last + 1 : dotted;
	n = strlen(last);
	path = w->p->files[w->tmp.v[w->tmp.n - 1]].path;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!n || (!strcmp(base, "__init__.py") && base > path)) {
		const char *end = base - 1, *start = end;
		while (start > path && start[-1] != '/')
			start--;
		if (n && ((size_t)(end - start) != n || memcmp(start, last, n)))
			return NONE;
	} else if (strncmp(base, last, n) || strcmp(base + n, ".py")) {
		return NONE;
	}
	return w->tmp.v[w->tmp.n - 1];
}

static bool bind_head_uncached(walker *w, uint32_t y, const char *head, size_t hlen, binding *b,
                               impact_buf *dotted);

/*
 * The binding of bare name `head` in file `y`; false when unbound (a
 * local, self, a builtin). Remembered per (file, name): the same heads
 * (`self`, `os`, a module alias) come back for every reference of a file.
 */
static bool bind_head(walker *w, uint32_t y, const char *head, size_t hlen, binding *b,
                      impact_buf *dotted)
{
	uint64_t h = 1469598103934665603ull ^ (y * 0x9e3779b97f4a7c15ull);
	size_t mask, i;
	memo *m;
	for (size_t k = 0; k < hlen; k++)
		h = (h ^ (unsigned char)head[k]) * 1099511628211ull;
	if (w->nmemo * 2 >= w->amemo) {
		memo *old = w->memo;
		size_t nold = w->amemo;
		w->amemo = nold ? nold * 2 : 4096;
		w->memo = impact_xcalloc(w->amemo, sizeof(*w->memo));
		for (size_t k = 0; k < nold; k++)
			if (old[k].used) {
				size_t j = old[k].hash & (w->amemo - 1);
				while (w->memo[j].used)
					j = (j + 1) & (w->amemo - 1);
				w->memo[j] = old[k];
			}
		free(old);
	}
	mask = w->amemo - 1;
	for (i = h & mask; w->memo[i].used; i = (i + 1) & mask) {
		m = &w->memo[i];
		if (m->hash == h && m->file == y && m->hlen == hlen && !memcmp(m->head, head, hlen)) {
			if (!m->bound)
				return false;
			*b = m->b;
			impact_buf_sets(dotted, m->dotted);
			return true;
		}
	}
	m = &w->memo[i];
	m->used = true;
	m->hash = h;
	m->file = y;
	m->head = head;
	m->hlen = hlen;
	m->bound = bind_head_uncached(w, y, head, hlen, &m->b, dotted);
	impact_strlist_push(&w->owned, dotted->ptr ? dotted->ptr : "");
	m->dotted = w->owned.items[w->owned.n - 1];
	w->nmemo++;
	if (!m->bound)
		return false;
	*b = m->b;
	return true;
}

static bool bind_head_uncached(walker *w, uint32_t y, const char *head, size_t hlen, binding *b,
                               impact_buf *dotted)
{
	const impact_pyfacts *f = facts_of(w, y);
	for (size_t i = 0; i < nsyms(f); i++) {
		const impact_symbol *s = sym(f, (uint32_t)i);
		if (s->parent == IMPACT_SYMBOL_NONE && strlen(s->name) == hlen && !memcmp(s->name, head, hlen)) {
			b->file = y;
			snprintf(b->name, sizeof(b->name), "%s", s->name);
			return true;
		}
	}
	for (size_t i = 0; f && i < f->nimports; i++) {
		const impact_import *imp = &f->imports[i];
		const char *bound;
		size_t blen;
		if (imp->flags & IMPACT_IMPORT_TYPE_CHECKING)
			continue;
		if (imp->kind == IMPACT_IMPORT_MODULE) {
			bound = imp->asname ? imp->asname : imp->module;
			blen = imp->asname ? strlen(bound) : strcspn(bound, ".");
			if (blen != hlen || memcmp(bound, head, hlen))
				continue;
			impact_buf_clear(dotted);
			if (imp->asname)
				impact_buf_puts(dotted, imp->module);
			else
				impact_buf_put(dotted, head, hlen);
			b->file = module_file(w, y, dotted->ptr, 0);
			b->name[0] = '\0';
			b->level = 0;
			return b->file != NONE;
		}
		if (imp->kind == IMPACT_IMPORT_FROM && imp->name && strcmp(imp->name, "*")) {
			bound = imp->asname ? imp->asname : imp->name;
			if (strlen(bound) != hlen || memcmp(bound, head, hlen))
				continue;
			impact_buf_clear(dotted);
			impact_buf_puts(dotted, imp->module);
			if (dotted->size)
				impact_buf_putc(dotted, '.');
			impact_buf_puts(dotted, imp->name);
			b->level = imp->level;
			b->file = module_file(w, y, dotted->ptr, imp->level);
			if (b->file != NONE) {
				b->name[0] = '\0';
				return true;
			}
			b->file = module_file(w, y, imp->module, imp->level);
			if (b->file == NONE && !*imp->module && imp->level)
				return false;
			snprintf(b->name, sizeof(b->name), "%s", imp->name);
			return b->file != NONE;
		}
	}
	return false;
}

/*
 * Can code of file `y` hold target `t` as an attribute of an object of
 * unknown type? A method or class attribute: anywhere (instances travel).
 * A module's own function: only where that module can be at hand as an
 * object: in itself, or in a module that imports it (statically, lazily,
 * by a literal or non-literal dynamic import, by a string naming it).
 */
static bool attr_may_mean(const walker *w, uint32_t y, const target *t)
{
	size_t n;
	const impact_edge *e;
	if (via_class(t->name))
		return false;
	if (strchr(t->name, '.') || y == t->file)
		return true;
	/* Within two imports (a module reached as another module's attribute). */
	e = impact_graph_out(w->p->graph, y, &n);
	for (size_t k = 0; k < n; k++) {
		size_t m;
		const impact_edge *e2;
		if (e[k].to == t->file || e[k].to == w->p->nfiles)
			return true;
		if (e[k].to >= w->p->nfiles)
			continue;
		e2 = impact_graph_out(w->p->graph, e[k].to, &m);
		for (size_t j = 0; j < m; j++)
			if (e2[j].to == t->file)
				return true;
	}
	return false;
}

static size_t split_chain(const char *text, const char **parts, size_t *lens)
{
	size_t n = 0;
	for (const char *s = text; n < MAX_CHAIN_PARTS;) {
		const char *dot = strchr(s, '.');
		parts[n] = s;
		lens[n++] = dot ? (size_t)(dot - s) : strlen(s);
		if (!dot)
			break;
		s = dot + 1;
	}
	return n;
}

/*
 * Resolve the chain `parts` (n names) as file `y` binds its head: into
 * *b, a module (name "") or a (qualified) name of a module, following the
 * names modules import. Returns how many parts were resolved (0: the head
 * is unbound, a local or a builtin). With `t`, stops as soon as the chain
 * means t (*ok set).
 */
static size_t chain_resolve(walker *w, uint32_t y, const char **parts, const size_t *lens,
                            size_t n, binding *b, const target *t, bool *ok)
{
	size_t k = 1;
	unsigned follows = 0;
	impact_buf dotted = IMPACT_BUF_INIT;
	*ok = false;
	if (!bind_head(w, y, parts[0], lens[0], b, &dotted)) {
		impact_buf_release(&dotted);
		return 0;
	}
	*ok = t && b->file == t->file && !strcmp(b->name, t->name);
	for (; k < n && !*ok; k++) {
		if (!b->name[0]) {
			/* A module: a submodule of it, or one of its names. */
			uint32_t sub;
			impact_buf_putc(&dotted, '.');
			impact_buf_put(&dotted, parts[k], lens[k]);
			sub = module_file(w, y, dotted.ptr, b->level);
			if (sub != NONE) {
				b->file = sub;
				continue;
			}
			snprintf(b->name, sizeof(b->name), "%.*s", (int)lens[k], parts[k]);
		} else {
			/* A name of a module: a class's attribute, a name the module
			 * imported (followed), or unknown from here. */
			const impact_pyfacts *f = facts_of(w, b->file);
			size_t have = strlen(b->name);
			bool is_class = false, defined = false;
			for (size_t i = 0; i < nsyms(f) && !is_class; i++) {
				const impact_symbol *sy = sym(f, (uint32_t)i);
				if (!strcmp(sy->name, b->name)) {
					defined = true;
					is_class = sy->kind == IMPACT_SYMBOL_CLASS;
				}
			}
			if (!defined && follows < MAX_FOLLOW && !strchr(b->name, '.')) {
				binding nb = { 0 };
				char name[sizeof(b->name)];
				snprintf(name, sizeof(name), "%s", b->name);
				if (bind_head(w, b->file, name, strlen(name), &nb, &dotted)) {
					follows++;
					*b = nb;
					k--; /* this part again, from the binding */
					continue;
				}
			}
			if (!is_class || have + 1 + lens[k] >= sizeof(b->name))
				break;
			snprintf(b->name + have, sizeof(b->name) - have, ".%.*s", (int)lens[k], parts[k]);
		}
		*ok = t && b->file == t->file && !strcmp(b->name, t->name);
	}
	impact_buf_release(&dotted);
	return k;
}

/* A name as file `y` binds it, followed through re-exports: false when unbound or partly. */
static bool resolve_text(walker *w, uint32_t y, const char *text, binding *b)
{
	const char *parts[MAX_CHAIN_PARTS];
	size_t lens[MAX_CHAIN_PARTS], n = split_chain(text, parts, lens);
	bool ok;
	size_t k = chain_resolve(w, y, parts, lens, n, b, NULL, &ok);
	/* A bare imported name: what its module binds it to. */
	for (unsigned follows = 0; k == n && b->name[0] && !strchr(b->name, '.') && follows < MAX_FOLLOW;
	     follows++) {
		const impact_pyfacts *f = facts_of(w, b->file);
		binding nb = { 0 };
		impact_buf dotted = IMPACT_BUF_INIT;
		bool defined = false, bound;
		char name[sizeof(b->name)];
		for (size_t i = 0; i < nsyms(f) && !defined; i++)
			defined = !strcmp(sym(f, (uint32_t)i)->name, b->name);
		if (defined)
			break;
		snprintf(name, sizeof(name), "%s", b->name);
		bound = bind_head(w, b->file, name, strlen(name), &nb, &dotted);
		impact_buf_release(&dotted);
		if (!bound)
			break;
		*b = nb;
	}
	return k == n;
}

/* ---- the class hierarchy (self.m(), getattr(self, name)) ------------------ */

/*
 * Every class of the files in reach, with its bases resolved through
 * imports and re-exports. A base impact cannot resolve to a class (a
 * computed base, an alias, a name from a star import) is a wildcard: the
 * class may inherit from anything. A base from outside the repository
 * (object, dict, a library's class) adds nothing.
 */
#define MAX_CLASSES 50000

typedef struct classes {
	uint32_t n;
	uint32_t *file, *node;   /* per class */
	bool *wild;              /* per class: a base that could be anything */
	impact_u32vec wilds;     /* the classes with wild set */
	uint8_t **wild_sees;     /* per entry of wilds: files its module may see (may_see), NULL until asked */
	index_t names;           /* last name part of every symbol in reach, built on first use */
	bool named;
	impact_u32vec *parents;  /* per class: classes of its bases */
	impact_u32vec *children; /* per class */
	uint32_t *of_node;       /* per node: its class index, or NONE */
	uint8_t **related;       /* per class: memo of related(), NULL until asked */
	bool *all_related;       /* per class: memo, related to every class */
	bool too_many;
} classes;

static void classes_free(classes *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; c->parents && i < c->n; i++) {
		impact_u32vec_release(&c->parents[i]);
		impact_u32vec_release(&c->children[i]);
		free(c->related[i]);
	}
	for (size_t i = 0; c->wild_sees && i < c->wilds.n; i++)
		free(c->wild_sees[i]);
	free(c->wild_sees);
	if (c->named)
		index_release(&c->names);
	impact_u32vec_release(&c->wilds);
	free(c->file);
	free(c->node);
	free(c->wild);
	free(c->parents);
	free(c->children);
	free(c->of_node);
	free(c->related);
	free(c->all_related);
	free(c);
}

/* Is bare name `head` of file `y` from outside the repository (an import of an external module, a builtin)? */
static bool external_name(walker *w, uint32_t y, const char *head, size_t hlen)
{
	const impact_pyfacts *f = facts_of(w, y);
	bool star = false;
	for (size_t i = 0; f && i < f->nimports; i++) {
		const impact_import *imp = &f->imports[i];
		const char *bound;
		size_t blen;
		if (imp->flags & IMPACT_IMPORT_TYPE_CHECKING)
			continue;
		if (imp->kind == IMPACT_IMPORT_MODULE) {
			bound = imp->asname ? imp->asname : imp->module;
			blen = imp->asname ? strlen(bound) : strcspn(bound, ".");
		} else if (imp->kind == IMPACT_IMPORT_FROM && imp->name) {
			if (!strcmp(imp->name, "*")) {
				star = star || module_file(w, y, imp->module, imp->level) != NONE;
				continue;
			}
			bound = imp->asname ? imp->asname : imp->name;
			blen = strlen(bound);
		} else {
			continue;
		}
		if (blen == hlen && !memcmp(bound, head, hlen))
			return !imp->level && module_file(w, y, imp->module, 0) == NONE;
	}
	for (size_t i = 0; i < nsyms(f); i++)
		if (strlen(sym(f, (uint32_t)i)->name) == hlen && !memcmp(sym(f, (uint32_t)i)->name, head, hlen))
			return false;
	return !star; /* a builtin, unless a star import may have brought it */
}

static uint32_t class_of(walker *w, uint32_t file, const char *name)
{
	const impact_pyfacts *f = facts_of(w, file);
	for (size_t i = 0; i < nsyms(f); i++)
		if (sym(f, (uint32_t)i)->kind == IMPACT_SYMBOL_CLASS && !strcmp(sym(f, (uint32_t)i)->name, name))
			return w->classes->of_node[node_of(w, file, (uint32_t)i)];
	return NONE;
}

/* Does some file in the whole-module reach define a symbol whose last name part is `name`? */
static bool named_in_reach(walker *w, const char *name)
{
	classes *c = w->classes;
	if (!c->named) {
		size_t total = 0;
		c->named = true;
		for (uint32_t y = 0; y < w->p->nfiles; y++)
			total += in_bound(w, y) ? nsyms(facts_of(w, y)) : 0;
		index_init(&c->names, total);
		for (uint32_t y = 0; y < w->p->nfiles; y++) {
			const impact_pyfacts *f = in_bound(w, y) ? facts_of(w, y) : NULL;
			for (size_t i = 0; i < nsyms(f); i++) {
				const char *last = last_part(sym(f, (uint32_t)i)->name);
				index_add(&c->names, last, strlen(last), y, (uint32_t)i);
			}
		}
	}
	return index_first(&c->names, name) != NONE;
}

static void build_classes(walker *w)
{
	const impact_project *p = w->p;
	classes *c = w->classes = impact_xcalloc(1, sizeof(*c));
	impact_u32vec called = { 0 }; /* classes with a base a repository function computes */
	size_t alloc = 0;
	c->of_node = impact_xmalloc(((size_t)w->nnodes + 1) * sizeof(uint32_t));
	memset(c->of_node, 0xff, ((size_t)w->nnodes + 1) * sizeof(uint32_t));
	for (uint32_t y = 0; y < p->nfiles; y++) {
		const impact_pyfacts *f = in_bound(w, y) ? facts_of(w, y) : NULL;
		for (size_t i = 0; i < nsyms(f); i++) {
			if (sym(f, (uint32_t)i)->kind != IMPACT_SYMBOL_CLASS)
				continue;
			if (c->n >= MAX_CLASSES) {
				c->too_many = true;
				return;
			}
			if (c->n >= alloc) {
				alloc = alloc ? alloc * 2 : 256;
				c->file = impact_xrealloc(c->file, alloc * sizeof(uint32_t));
				c->node = impact_xrealloc(c->node, alloc * sizeof(uint32_t));
			}
			c->file[c->n] = y;
			c->node[c->n] = node_of(w, y, (uint32_t)i);
			c->of_node[c->node[c->n]] = c->n;
			c->n++;
		}
	}
	c->wild = impact_xcalloc((size_t)c->n + 1, sizeof(bool));
	c->parents = impact_xcalloc((size_t)c->n + 1, sizeof(impact_u32vec));
	c->children = impact_xcalloc((size_t)c->n + 1, sizeof(impact_u32vec));
	c->related = impact_xcalloc((size_t)c->n + 1, sizeof(uint8_t *));
	c->all_related = impact_xcalloc((size_t)c->n + 1, sizeof(bool));
	for (uint32_t y = 0; y < p->nfiles; y++) {
		const impact_pyfacts *f = in_bound(w, y) ? facts_of(w, y) : NULL;
		for (size_t i = 0; i < nrefs(f); i++) {
			const impact_symref *r = ref(f, i);
			uint32_t k, base;
			binding b = { 0 };
			if (r->kind != IMPACT_SYMREF_BASE || r->symbol == IMPACT_SYMBOL_NONE)
				continue;
			k = c->of_node[node_of(w, y, r->symbol)];
			if (k == NONE)
				continue;
			if (!strcmp(r->text, "?")) {
				c->wild[k] = true;
			} else if (r->text[0] == '(') {
				/* A base a call computes: from its name arguments (other refs),
				 * unless a function of the repository makes it from nothing. */
				if (resolve_text(w, y, r->text + 2, &b) && in_bound(w, b.file))
					impact_u32vec_push(&called, k);
			} else {
				bool resolved = resolve_text(w, y, r->text, &b), defined = false;
				/* Outside the whole-module reach: no class there inherits a change. */
				if (resolved && !in_bound(w, b.file))
					continue;
				base = resolved && b.name[0] ? class_of(w, b.file, b.name) : NONE;
				if (base != NONE) {
					impact_u32vec_push(&c->parents[k], base);
					impact_u32vec_push(&c->children[base], k);
					continue;
				}
				if (resolved) {
					const impact_pyfacts *bf = facts_of(w, b.file);
					for (size_t j = 0; j < nsyms(bf) && !defined; j++)
						defined = !strcmp(sym(bf, (uint32_t)j)->name, b.name);
					if (defined || !b.name[0]) {
						c->wild[k] = true; /* an alias, a function's result, a module: unknown */
						continue;
					}
				} else if (external_name(w, y, r->text, strcspn(r->text, "."))) {
					continue;
				}
				/*
				 * A name impact cannot follow (a lazy re-export through a
				 * module __getattr__, a star import): the one class in reach
				 * so named, nothing when nothing in reach is so named (nothing
				 * there can change it), else anything.
				 */
				{
					uint32_t only = NONE, count = 0;
					const char *want = last_part(r->text);
					for (uint32_t j = 0; j < c->n && count < 2; j++) {
						uint32_t fj = c->file[j];
						if (!strcmp(last_part(sym(facts_of(w, fj), c->node[j] - w->base[fj])->name), want)) {
							only = j;
							count++;
						}
					}
					if (count == 1) {
						impact_u32vec_push(&c->parents[k], only);
						impact_u32vec_push(&c->children[only], k);
					} else if (count || named_in_reach(w, want)) {
						c->wild[k] = true;
					}
				}
			}
		}
	}
	for (size_t i = 0; i < called.n; i++)
		if (!c->parents[called.v[i]].n)
			c->wild[called.v[i]] = true;
	impact_u32vec_release(&called);
	for (uint32_t k = 0; k < c->n; k++)
		if (c->wild[k])
			impact_u32vec_push(&c->wilds, k);
}

/* The files the module of wild class number i (of wilds) may see, once. */
static const uint8_t *wild_sees(walker *w, size_t i)
{
	classes *c = w->classes;
	if (!c->wild_sees)
		c->wild_sees = impact_xcalloc(c->wilds.n + 1, sizeof(uint8_t *));
	if (!c->wild_sees[i]) {
		uint32_t y = c->file[c->wilds.v[i]];
		uint8_t *sees = c->wild_sees[i] = impact_xcalloc((size_t)w->p->nfiles + 1, 1);
		size_t n;
		const impact_edge *e = impact_graph_out(w->p->graph, y, &n);
		sees[y] = 1;
		for (size_t k = 0; k < n; k++) {
			size_t m;
			const impact_edge *e2;
			if (e[k].to == w->p->nfiles) {
				memset(sees, 1, w->p->nfiles); /* it may import anything */
				break;
			}
			if (e[k].to > w->p->nfiles)
				continue;
			sees[e[k].to] = 1;
			e2 = impact_graph_out(w->p->graph, e[k].to, &m);
			for (size_t j = 0; j < m; j++)
				if (e2[j].to < w->p->nfiles)
					sees[e2[j].to] = 1;
		}
	}
	return c->wild_sees[i];
}

/*
 * Can a `self` of class `a` (an instance of `a` or of a subclass) find
 * an attribute defined by class `b`? Yes when b is an ancestor of a or of
 * one of its subclasses (a mixin beside it). A subclass with a wildcard
 * base (or one that may be such a subclass) makes it yes for every b.
 */
static bool related(walker *w, uint32_t a, uint32_t b)
{
	classes *c = w->classes;
	if (c->too_many)
		return true;
	if (!c->related[a] && !c->all_related[a]) {
		uint8_t *seen = impact_xcalloc((size_t)c->n + 1, 1);
		uint8_t *rel = impact_xcalloc((size_t)c->n + 1, 1);
		impact_u32vec stack = { 0 }, desc = { 0 };
		bool all = false;
		/* a and its subclasses (a class with a wildcard base that can see a's module may be one). */
		impact_u32vec_push(&stack, a);
		seen[a] = 1;
		while (stack.n && !all) {
			uint32_t k = stack.v[--stack.n];
			impact_u32vec_push(&desc, k);
			if (c->wild[k] && k != a) {
				all = true;
				break;
			}
			for (size_t i = 0; i < c->children[k].n; i++)
				if (!seen[c->children[k].v[i]]) {
					seen[c->children[k].v[i]] = 1;
					impact_u32vec_push(&stack, c->children[k].v[i]);
				}
			for (size_t i = 0; i < c->wilds.n && !all; i++) {
				uint32_t d = c->wilds.v[i];
				all = !seen[d] && wild_sees(w, i)[c->file[k]];
			}
		}
		/* Their ancestors. */
		for (size_t i = 0; i < desc.n && !all; i++) {
			stack.n = 0;
			impact_u32vec_push(&stack, desc.v[i]);
			while (stack.n && !all) {
				uint32_t k = stack.v[--stack.n];
				if (rel[k])
					continue;
				rel[k] = 1;
				if (c->wild[k])
					all = true;
				for (size_t j = 0; j < c->parents[k].n; j++)
					impact_u32vec_push(&stack, c->parents[k].v[j]);
			}
		}
		impact_u32vec_release(&stack);
		impact_u32vec_release(&desc);
		free(seen);
		if (all) {
			c->all_related[a] = true;
			free(rel);
		} else {
			c->related[a] = rel;
		}
	}
	return c->all_related[a] || c->related[a][b];
}

/*
 * The class of `self` in reference `r` of file `y` (its owner is a
 * method: the enclosing class), and the class defining target `t`
 * (a method "K.m" or "Outer.K.m"): false when either is not known.
 */
static bool self_and_target_classes(walker *w, uint32_t y, const impact_symref *r, const target *t,
                                    uint32_t *a, uint32_t *b)
{
	const impact_pyfacts *f = facts_of(w, y);
	const char *dot = strrchr(t->name, '.');
	char cls[256];
	if (!dot || r->symbol == IMPACT_SYMBOL_NONE || r->symbol >= nsyms(f) ||
	    sym(f, r->symbol)->kind != IMPACT_SYMBOL_METHOD || sym(f, r->symbol)->parent == IMPACT_SYMBOL_NONE ||
	    (size_t)(dot - t->name) >= sizeof(cls))
		return false;
	if (!w->classes)
		build_classes(w);
	if (w->classes->too_many)
		return false;
	*a = w->classes->of_node[node_of(w, y, sym(f, r->symbol)->parent)];
	snprintf(cls, sizeof(cls), "%.*s", (int)(dot - t->name), t->name);
	*b = class_of(w, t->file, cls);
	return *a != NONE && *b != NONE;
}

/* Is file `x` file `y` itself, or imported by it (any edge, the unknown module too)? */
static bool imports_directly(const walker *w, uint32_t y, uint32_t x)
{
	size_t n;
	const impact_edge *e;
	if (y == x)
		return true;
	e = impact_graph_out(w->p->graph, y, &n);
	for (size_t k = 0; k < n; k++)
		if (e[k].to == x || e[k].to == w->p->nfiles)
			return true;
	return false;
}

enum { GA_NONE = 0, GA_MODULE, GA_CLASS, GA_OTHER, GA_SELF, GA_GLOBALS, GA_INSTANCE };

/*
 * What the object of GETATTR reference number `gi` (of file `y`) is, once
 * per reference: `self`/`cls`, globals(), an instance's attribute or
 * vars(x), a module or a class it resolves to, or other (unknown).
 */
static uint8_t getattr_object(walker *w, size_t gi, uint32_t y, const impact_symref *r,
                              uint32_t *file, uint32_t *cls)
{
	binding b = { 0 };
	if (!w->ga_kind) {
		size_t n = w->getattrs.n / 2 + 1;
		w->ga_kind = impact_xcalloc(n, 1);
		w->ga_file = impact_xcalloc(n, sizeof(uint32_t));
		w->ga_sym = impact_xcalloc(n, sizeof(uint32_t));
	}
	if (!w->ga_kind[gi]) {
		bool vars = !strncmp(r->text, "vars ", 5);
		const char *obj = vars ? r->text + 5 : r->text;
		w->ga_kind[gi] = GA_OTHER;
		if (!strcmp(r->text, "globals()")) {
			w->ga_kind[gi] = GA_GLOBALS;
		} else if (!vars && (!strcmp(obj, "self") || !strcmp(obj, "cls"))) {
			w->ga_kind[gi] = GA_SELF;
		} else if (strcmp(obj, "?") && resolve_text(w, y, obj, &b)) {
			const impact_pyfacts *f = facts_of(w, b.file);
			w->ga_file[gi] = b.file;
			if (!b.name[0])
				w->ga_kind[gi] = GA_MODULE;
			for (size_t i = 0; b.name[0] && i < nsyms(f); i++)
				if (sym(f, (uint32_t)i)->kind == IMPACT_SYMBOL_CLASS && !strcmp(sym(f, (uint32_t)i)->name, b.name)) {
					w->ga_kind[gi] = GA_CLASS;
					w->ga_sym[gi] = (uint32_t)i;
					break;
				}
		}
		if (w->ga_kind[gi] == GA_OTHER &&
		    (vars || !strncmp(obj, "self.", 5) || !strncmp(obj, "cls.", 4)))
			w->ga_kind[gi] = GA_INSTANCE;
	}
	*file = w->ga_file[gi];
	*cls = w->ga_sym[gi];
	return w->ga_kind[gi];
}

/*
 * Can `getattr(obj, name)` (reference `r` of file `y`, number `gi`, name
 * computed) mean target `t` (`dotted`: a method or class attribute; the
 * caller has left out dunders and dict/list names, reached through their
 * class)? Only an attribute of obj: a method of its class for `self`, a
 * module's own names for a module or globals(), a class's and its bases'
 * for a class; for an object of unknown type, as before, near a change.
 * Sets *how to the reason --explain shows.
 */
static bool getattr_means(walker *w, uint32_t y, const impact_symref *r, const target *t,
                          bool dotted, const char **how, size_t gi)
{
	uint32_t ofile, osym;
	uint8_t okind = getattr_object(w, gi, y, r, &ofile, &osym);
	if (okind == GA_GLOBALS) {
		*how = "globals(): a name of its own module";
		return y == t->file && !dotted;
	}
	if (okind == GA_SELF) {
		uint32_t a, k;
		if (!dotted)
			return false;
		if (!self_and_target_classes(w, y, r, t, &a, &k)) {
			*how = "getattr(self, name) outside a known class: any method";
			return true;
		}
		if (!related(w, a, k))
			return false;
		*how = w->classes->all_related[a]
		           ? "getattr(self, name): a subclass may have a base impact cannot resolve"
		           : "getattr(self, name): a method of its class, bases or subclasses";
		return true;
	}
	if (okind == GA_MODULE) {
		*how = "getattr(module, name): a name of that module";
		return ofile == t->file && !dotted;
	}
	if (okind == GA_CLASS) {
		const char *cname = sym(facts_of(w, ofile), osym)->name;
		size_t n = strlen(cname);
		/* A class: its attributes and its bases'. */
		*how = "getattr(class, name): an attribute of that class or its bases";
		if (ofile == t->file && !strncmp(t->name, cname, n) && t->name[n] == '.')
			return true;
		if (!dotted)
			return false;
		{
			const char *dot = strrchr(t->name, '.');
			char tcls[256];
			uint32_t ca, ck;
			if (!w->classes)
				build_classes(w);
			if (w->classes->too_many || (size_t)(dot - t->name) >= sizeof(tcls))
				return true;
			snprintf(tcls, sizeof(tcls), "%.*s", (int)(dot - t->name), t->name);
			ca = w->classes->of_node[node_of(w, ofile, osym)];
			ck = class_of(w, t->file, tcls);
			return ca == NONE || ck == NONE || related(w, ca, ck);
		}
	}
	/*
	 * An object of unknown type: as today, near a change: in the module
	 * of the target or in one importing it (whose objects it can hold).
	 */
	*how = "getattr(obj, name) on an object of unknown type, near a change";
	/* vars(x), getattr(self.x, ...): an instance's attributes, not a module's names. */
	if (okind == GA_INSTANCE && !dotted)
		return false;
	return imports_directly(w, y, t->file);
}

static bool other_class_private(walker *w, uint32_t y, const impact_symref *r, const target *t)
{
	const char *tl = last_part(t->name);
	size_t n = strlen(tl), k;
	const impact_pyfacts *f;
	const char *owner;
	if (n < 3 || strncmp(tl, "__", 2) || !strcmp(tl + n - 2, "__") || tl == t->name)
		return false;
	if (y != t->file || r->symbol == IMPACT_SYMBOL_NONE)
		return y != t->file;
	f = facts_of(w, y);
	if (r->symbol >= nsyms(f))
		return false;
	owner = sym(f, r->symbol)->name;
	k = (size_t)(tl - 1 - t->name); /* the class part of t */
	/* The owner is a method of that class (or a class nested in it: mangled the same only
	 * for its own name, so require the class itself). */
	return !(strlen(owner) > k && !strncmp(owner, t->name, k) && owner[k] == '.' &&
	         !strchr(owner + k + 1, '.'));
}

/*
 * Does reference `r` of file `y` (a chain, a name, an attribute or a
 * parameter) mean target `t`?
 */
static bool ref_means(walker *w, uint32_t y, const impact_symref *r, const target *t)
{
	const char *tl = last_part(t->name);
	switch (r->kind) {
	case IMPACT_SYMREF_NAME:
		return y == t->file && !strcmp(r->text, t->name);
	case IMPACT_SYMREF_ATTR:
		return !strcmp(r->text, tl) && attr_may_mean(w, y, t) && !other_class_private(w, y, r, t);
	case IMPACT_SYMREF_PARAM: {
		const impact_pyfacts *f = facts_of(w, t->file);
		for (size_t i = 0; i < nsyms(f); i++)
			if (!strcmp(sym(f, (uint32_t)i)->name, t->name))
				return (sym(f, (uint32_t)i)->flags & IMPACT_SYMBOL_FIXTURE) && !strcmp(r->text, tl);
		return false;
	}
	case IMPACT_SYMREF_CHAIN: {
		const char *parts[MAX_CHAIN_PARTS];
		size_t lens[MAX_CHAIN_PARTS], n = split_chain(r->text, parts, lens), k;
		binding b = { 0 };
		bool ok = false;
		k = chain_resolve(w, y, parts, lens, n, &b, t, &ok);
		/*
		 * self.m / cls.m in a method: a method of the class, its bases, its
		 * subclasses and their bases, not every method so named.
		 */
		if (!k && n == 2 && strchr(t->name, '.') && lens[1] == strlen(tl) &&
		    !memcmp(parts[1], tl, lens[1]) &&
		    ((lens[0] == 4 && !memcmp(parts[0], "self", 4)) || (lens[0] == 3 && !memcmp(parts[0], "cls", 3)))) {
			uint32_t a, c;
			if (self_and_target_classes(w, y, r, t, &a, &c))
				return related(w, a, c) && attr_may_mean(w, y, t) && !other_class_private(w, y, r, t);
		}
		/* An object of unknown type: its attribute names match any symbol so named. */
		for (; k < n && !ok; k++)
			ok = k > 0 && lens[k] == strlen(tl) && !memcmp(parts[k], tl, lens[k]) &&
			     attr_may_mean(w, y, t) && !other_class_private(w, y, r, t);
		return ok;
	}
	case IMPACT_SYMREF_BASE: {
		const char *parts[MAX_CHAIN_PARTS];
		size_t lens[MAX_CHAIN_PARTS], n;
		binding b = { 0 };
		bool ok = false;
		if (!strchr(r->text, '.'))
			return y == t->file && !strcmp(r->text, t->name);
		n = split_chain(r->text, parts, lens);
		chain_resolve(w, y, parts, lens, n, &b, t, &ok);
		return ok;
	}
	default:
		break;
	}
	return false;
}

/* ---- building the indexes ------------------------------------------------ */

/*
 * Every star import of the reach, resolved once, grouped by the module it
 * imports (follow_bindings used to scan every import of every file for
 * each target: the walk's largest cost on real code).
 */
static void index_stars(walker *w)
{
	const impact_project *p = w->p;
	impact_u32vec pairs = { 0 }; /* (imported module, importer) */
	w->star_at = impact_xcalloc((size_t)p->nfiles + 2, sizeof(uint32_t));
	for (uint32_t y = 0; y < p->nfiles; y++) {
		const impact_pyfacts *f = in_bound(w, y) ? facts_of(w, y) : NULL;
		for (size_t i = 0; f && i < f->nimports; i++) {
			const impact_import *imp = &f->imports[i];
			uint32_t m;
			if (imp->kind != IMPACT_IMPORT_FROM || !imp->name || strcmp(imp->name, "*") ||
			    (m = module_file(w, y, imp->module, imp->level)) == NONE)
				continue;
			impact_u32vec_push(&pairs, m);
			impact_u32vec_push(&pairs, y);
			w->star_at[m + 2]++;
		}
	}
	for (uint32_t m = 0; m < p->nfiles; m++)
		w->star_at[m + 2] += w->star_at[m + 1];
	w->star_by = impact_xmalloc((pairs.n / 2 + 1) * sizeof(uint32_t));
	/* A stable counting sort: importers stay in (file, import) order. */
	for (size_t k = 0; k + 1 < pairs.n; k += 2)
		w->star_by[w->star_at[pairs.v[k] + 1]++] = pairs.v[k + 1];
	impact_u32vec_release(&pairs);
}

static void build_indexes(walker *w)
{
	const impact_project *p = w->p;
	size_t total = 0;
	/*
	 * Only files inside the whole-module reach: a reference elsewhere
	 * never counts (process), and a module binding a changed name imports
	 * its module, so it is inside.
	 */
	for (uint32_t id = 0; id < p->nfiles; id++)
		total += in_bound(w, id) ? nrefs(facts_of(w, id)) : 0;
	index_init(&w->refs, total);
	index_init(&w->binds, p->nfiles * 4);
	for (uint32_t id = 0; id < p->nfiles; id++) {
		const impact_pyfacts *f;
		if (!in_bound(w, id) || !(f = facts_of(w, id)) || (p->files[id].flags & IMPACT_PF_GHOST))
			continue;
		for (size_t i = 0; i < nrefs(f); i++) {
			const impact_symref *r = ref(f, i);
			if (r->kind == IMPACT_SYMREF_GETATTR) {
				impact_u32vec_push(&w->getattrs, id);
				impact_u32vec_push(&w->getattrs, (uint32_t)i);
				continue;
			}
			if (r->kind == IMPACT_SYMREF_BASE && (!strcmp(r->text, "?") || r->text[0] == '('))
				continue;
			/* `.update()`, `.__exit__()` on an unknown object never match (via_class). */
			if (r->kind == IMPACT_SYMREF_ATTR && via_class_name(r->text))
				continue;
			if (r->kind != IMPACT_SYMREF_CHAIN && r->kind != IMPACT_SYMREF_BASE) {
				index_add(&w->refs, r->text, strlen(r->text), id, (uint32_t)i);
				continue;
			}
			/* A chain under each of its parts, the head included. */
			for (const char *s = r->text;;) {
				const char *dot = strchr(s, '.');
				size_t len = dot ? (size_t)(dot - s) : strlen(s);
				index_add(&w->refs, s, len, id, (uint32_t)i);
				if (!dot)
					break;
				s = dot + 1;
			}
		}
		for (size_t i = 0; i < f->nimports; i++) {
			const impact_import *imp = &f->imports[i];
			if (imp->kind == IMPACT_IMPORT_FROM && imp->name && !(imp->flags & IMPACT_IMPORT_TYPE_CHECKING))
				index_add(&w->binds, imp->name, strlen(imp->name), id, (uint32_t)i);
		}
	}
	index_stars(w);
}

/* ---- the walks -------------------------------------------------------------- */

/* Names another module binds to target t: (importer, alias) targets. */
static void follow_bindings(walker *w, const target *t)
{
	const impact_project *p = w->p;
	const char *tl = t->name;
	if (strchr(tl, '.'))
		return; /* a method: imported with its class */
	if (!w->bind_mod && w->binds.n) {
		/* Each binding's module, resolved on first use (UINT32_MAX - 1: not yet). */
		w->bind_mod = impact_xmalloc(w->binds.n * sizeof(uint32_t));
		for (size_t i = 0; i < w->binds.n; i++)
			w->bind_mod[i] = NONE - 1;
	}
	for (uint32_t e = index_first(&w->binds, tl); e != NONE; e = index_next(&w->binds, e)) {
		uint32_t y = w->binds.v[e].file;
		const impact_import *imp = &facts_of(w, y)->imports[w->binds.v[e].index];
		if (w->bind_mod[e] == NONE - 1)
			w->bind_mod[e] = module_file(w, y, imp->module, imp->level);
		if (w->bind_mod[e] != t->file)
			continue;
		push_target(w, y, imp->asname ? imp->asname : imp->name, t->node);
	}
	/* Star imports re-export public names (a star import of t's module
	 * imports it: inside the reach). */
	if (tl[0] != '_' && t->file < p->nfiles)
		for (uint32_t k = w->star_at[t->file]; k < w->star_at[t->file + 1]; k++)
			push_target(w, w->star_by[k], tl, t->node);
}

/* Process one target: reach every symbol whose references may mean it. */
static size_t process(walker *w, const target *t)
{
	size_t matches = 0;
	if (!w->indexed) { /* only a walk that has targets needs them */
		w->indexed = true;
		build_indexes(w);
	}
	const char *key = last_part(t->name);
	for (uint32_t e = index_first(&w->refs, key); e != NONE; e = index_next(&w->refs, e)) {
		uint32_t y = w->refs.v[e].file;
		const impact_symref *r;
		if (w->bound && w->bound[y] == UINT32_MAX)
			continue;
		r = ref(facts_of(w, y), w->refs.v[e].index);
		if (!ref_means(w, y, r, t))
			continue;
		matches++;
		if (r->kind == IMPACT_SYMREF_BASE && r->symbol != IMPACT_SYMBOL_NONE) {
			/*
			 * A subclass inherits what t's class has: whoever reaches the
			 * subclass reaches it. A changed __init_subclass__ runs when
			 * the subclass is defined: at import.
			 */
			uint32_t tf = file_of_node(w, t->node), ts = t->node - w->base[tf];
			const impact_pyfacts *f = facts_of(w, tf);
			bool at_import = ts < nsyms(f) && !strcmp(last_part(sym(f, ts)->name), "__init_subclass__");
			uint32_t node = node_of(w, y, at_import ? NONE : r->symbol);
			if (!w->hit[node] && in_bound(w, y))
				w->how[node] = at_import ? "a subclass's definition runs __init_subclass__"
				                         : "a subclass inherits it";
			reach(w, y, at_import ? NONE : r->symbol, t->node);
			continue;
		}
		reach(w, y, ref_owner(r), t->node);
	}
	/* getattr(obj, name): attributes of obj only (dunders and dict/list names: through their class). */
	for (size_t i = 0, n = via_class(t->name) ? 0 : w->getattrs.n; i + 1 < n; i += 2) {
		uint32_t y = w->getattrs.v[i];
		const impact_symref *r = ref(facts_of(w, y), w->getattrs.v[i + 1]);
		const char *how = NULL;
		uint32_t node;
		if (!getattr_means(w, y, r, t, strchr(t->name, '.') != NULL, &how, i / 2))
			continue;
		node = node_of(w, y, ref_owner(r));
		if (node == t->node)
			continue; /* its own globals(): not a use from outside */
		matches++;
		if (!w->hit[node] && in_bound(w, y))
			w->how[node] = how;
		reach(w, y, ref_owner(r), t->node);
	}
	follow_bindings(w, t);
	return matches;
}

static void run_queue(walker *w)
{
	while (w->qhead < w->nqueue && !w->gave_up) {
		if (w->qhead >= MAX_TARGETS) {
			/* Reaching this much is reaching nearly everything: stop, and let
			 * whole-module selection answer (it bounds this walk anyway). */
			w->gave_up = true;
			return;
		}
		target t = w->queue[w->qhead++];
		if (process(w, &t))
			w->used[t.node] = 1;
	}
}

/*
 * A reached function that nothing names, under any binding, is called
 * by name (a hook, a callback a decorator registers, an entry point) or
 * not at all: its module counts as changed at import time.
 */
static void unnamed_functions(walker *w)
{
	const impact_project *p = w->p;
	for (size_t i = 0; i < w->nqueue; i++) {
		uint32_t node = w->queue[i].node, file;
		if (w->used[node] || w->unnamed_done[node])
			continue;
		w->unnamed_done[node] = 1;
		file = file_of_node(w, node);
		if (p->files[file].flags & IMPACT_PF_TEST)
			continue;
		{
			/* A method runs on an instance: whoever names its class (as for dunders). */
			const impact_pyfacts *f = facts_of(w, file);
			uint32_t s = node - w->base[file];
			if (f && s < nsyms(f) && sym(f, s)->kind == IMPACT_SYMBOL_METHOD &&
			    sym(f, s)->parent != IMPACT_SYMBOL_NONE &&
			    !(sym(f, s)->flags & IMPACT_SYMBOL_DYNAMIC)) {
				push_target(w, file, sym(f, sym(f, s)->parent)->name, node);
				continue;
			}
		}
		make_seed(w, file, w->hit[node] ? node : NONE);
	}
}

/* Functions that use exec/eval: reached when their module or one it imports was. */
static void dynamic_functions(walker *w)
{
	const impact_project *p = w->p;
	for (uint32_t y = 0; y < p->nfiles; y++) {
		const impact_pyfacts *f;
		bool near = w->any_hit[y];
		size_t n;
		const impact_edge *e;
		if (!in_bound(w, y) || !(f = facts_of(w, y)))
			continue;
		if (!near) {
			e = impact_graph_out(p->graph, y, &n);
			for (size_t k = 0; k < n && !near; k++)
				near = e[k].to < p->nfiles && w->any_hit[e[k].to];
		}
		if (!near)
			continue;
		for (size_t i = 0; i < nsyms(f); i++)
			if ((sym(f, (uint32_t)i)->flags & IMPACT_SYMBOL_DYNAMIC) &&
			    !w->hit[node_of(w, y, (uint32_t)i)]) {
				reach(w, y, (uint32_t)i, NONE);
				w->label[node_of(w, y, (uint32_t)i)] =
					"calls by a computed name (exec, eval) near a change";
			}
	}
}

/* Functions that import an import-time changed module in their body. */
static void lazy_importers(walker *w, const impact_reach *mods)
{
	const impact_project *p = w->p;
	/* Resolved once: (file, owning function, module) of every function-level import. */
	if (!w->lazy_done) {
		w->lazy_done = true;
		for (uint32_t y = 0; y < p->nfiles; y++) {
			const impact_pyfacts *f;
			if (!in_bound(w, y))
				continue;
			f = facts_of(w, y);
			for (size_t i = 0; f && i < f->nimports; i++) {
				const impact_import *imp = &f->imports[i];
				uint32_t owner = import_owner(imp);
				unsigned how = 0;
				if (owner == NONE || (imp->flags & IMPACT_IMPORT_TYPE_CHECKING))
					continue;
				w->tmp.n = 0;
				impact_resolver_resolve(impact_project_resolver(p), y, imp, &w->tmp, &how);
				for (size_t k = 0; k < w->tmp.n; k++) {
					impact_u32vec_push(&w->lazy, node_of(w, y, owner));
					impact_u32vec_push(&w->lazy, w->tmp.v[k]);
					impact_u32vec_push(&w->lazy, (uint32_t)i);
				}
			}
		}
	}
	for (size_t i = 0; i + 2 < w->lazy.n; i += 3) {
		uint32_t node = w->lazy.v[i], mod = w->lazy.v[i + 1], y;
		const impact_pyfacts *f;
		const impact_import *imp;
		uint32_t s;
		if (w->hit[node] || mods->dist[mod] == UINT32_MAX)
			continue;
		y = file_of_node(w, node);
		s = node - w->base[y];
		f = facts_of(w, y);
		imp = &f->imports[w->lazy.v[i + 2]];
		if (s < nsyms(f) && sym(f, s)->parent == IMPACT_SYMBOL_NONE &&
		    !strcmp(sym(f, s)->name, "__getattr__") && imp->kind == IMPACT_IMPORT_FROM &&
		    imp->name && strcmp(imp->name, "*")) {
			/*
			 * A PEP 562 __getattr__ runs when a name the module lacks is
			 * read: `pkg.Heavy`, `from pkg import Heavy`. The module's import
			 * does not run it: whoever reads the names it imports does.
			 */
			for (size_t j = i; j + 2 < w->lazy.n && w->lazy.v[j] == node; j += 3) {
				const impact_import *o = &f->imports[w->lazy.v[j + 2]];
				if (mods->dist[w->lazy.v[j + 1]] == UINT32_MAX || o->kind != IMPACT_IMPORT_FROM ||
				    !o->name || !strcmp(o->name, "*"))
					continue;
				push_target(w, y, o->asname ? o->asname : o->name, node);
			}
			w->hit[node] = 1;
			w->from[node] = NONE;
			w->hop[node] = 0;
			w->any_hit[y] = true;
			w->label[node] = "a PEP 562 __getattr__ lazily imports an import-time changed module";
			continue;
		}
		reach(w, y, s, NONE);
		w->label[node] = "imports an import-time changed module";
	}
}

/* ---- classification ------------------------------------------------------- */

static int read_blob(impact_buf *out, git_repository *repo, const git_oid *oid)
{
	git_blob *blob = NULL;
	int rc = git_blob_lookup(&blob, repo, oid);
	if (rc < 0)
		return impact_error_from_git(rc, "cannot read the old side of a change");
	impact_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return 0;
}

static int old_facts(walker *w, impact_pyfacts **out, git_repository *repo, impact_cache *cache,
                     const git_oid *oid, const impact_buf *src, impact_pyparser **parser)
{
	impact_buf cached = IMPACT_BUF_INIT;
	int rc;
	if (cache && impact_cache_get(cache, oid, &cached) == 0 &&
	    impact_pyfacts_decode(out, cached.ptr, cached.size) == 0) {
		impact_buf_release(&cached);
		return 0;
	}
	impact_buf_release(&cached);
	impact_error_clear();
	IMPACT_UNUSED(repo);
	if (!*parser && !(*parser = impact_pyparser_new()))
		return IMPACT_ERROR;
	rc = impact_pyfacts_extract(out, *parser, src->ptr ? src->ptr : "", src->size);
	if (rc == 0 && cache && !git_oid_is_zero(oid) && !((*out)->flags & IMPACT_PYFACTS_TOO_LARGE)) {
		struct kept k = { *oid, IMPACT_BUF_INIT };
		if (impact_pyfacts_encode(&k.enc, *out) == 0)
			IMPACT_PUSH(w->kept, w->nkept, w->akept, k);
		else
			impact_buf_release(&k.enc);
	}
	return rc;
}

/* Store the old sides parsed by this walk (best effort: the cache only saves work). */
static void store_kept(walker *w, impact_cache *cache)
{
	if (w->nkept && cache && impact_cache_begin(cache) == 0) {
		for (size_t i = 0; i < w->nkept; i++)
			if (impact_cache_put(cache, &w->kept[i].oid, w->kept[i].enc.ptr, w->kept[i].enc.size) < 0)
				break;
		impact_cache_commit(cache);
	}
	for (size_t i = 0; i < w->nkept; i++)
		impact_buf_release(&w->kept[i].enc);
	free(w->kept);
}

/* Append to `why` the names of the symbols in `list`. */
static void name_list(impact_buf *why, const impact_pyfacts *f, const impact_u32vec *list)
{
	for (size_t i = 0; i < list->n && i < 5; i++)
		impact_buf_printf(why, "%s%s", i ? ", " : "", sym(f, list->v[i])->name);
	if (list->n > 5)
		impact_buf_printf(why, " and %zu more", list->n - 5);
}

/*
 * Drop from `syms` (symbols of the new side) the functions whose tokens
 * equal those of the old side's function of the same name (the same
 * occurrence of it: a property's getter and setter share a name).
 */
static void drop_same_tokens(impact_u32vec *syms, const impact_pyfacts *of,
                             const impact_fnhashes *oh, const impact_pyfacts *nf,
                             const impact_fnhashes *nh)
{
	size_t keep = 0;
	for (size_t i = 0; i < syms->n; i++) {
		uint32_t k = syms->v[i], nth = 0, seen = 0;
		const char *name = sym(nf, k)->name;
		bool same = false;
		for (uint32_t j = 0; j < k; j++)
			nth += !strcmp(sym(nf, j)->name, name);
		for (size_t j = 0; j < nsyms(of); j++) {
			if (strcmp(sym(of, (uint32_t)j)->name, name) || seen++ != nth)
				continue;
			same = j < oh->n && k < nh->n && oh->fn[j] && oh->fn[j] == nh->fn[k];
			break;
		}
		if (!same)
			syms->v[keep++] = k;
	}
	syms->n = keep;
}

/*
 * One modified module: seed it (import-time) or make its changed
 * functions targets (call-time). Returns the note for --explain.
 */
static char *classify_change(walker *w, const impact_change *c, git_repository *repo,
                             impact_cache *cache, impact_pyparser **parser)
{
	const impact_project *p = w->p;
	uint32_t id = c->new_path ? impact_project_find(p, c->new_path) : NONE;
	impact_buf old_src = IMPACT_BUF_INIT, new_src = IMPACT_BUF_INIT, why = IMPACT_BUF_INIT;
	impact_lines old_l = { 0 }, new_l = { 0 };
	impact_u32vec old_syms = { 0 }, new_syms = { 0 };
	impact_fnhashes old_h = { 0 }, new_h = { 0 };
	bool hashed = false;
	impact_pyfacts *of = NULL;
	const impact_pyfacts *nf;
	const impact_pyfile *file;
	bool import_time = true;
	const char *reason = NULL;

	if (id == NONE)
		return NULL;
	file = &p->files[id];
	nf = facts_of(w, id);
	if (c->status != IMPACT_CHANGE_MODIFIED || !c->old_path || strcmp(c->old_path, c->new_path))
		reason = "added, deleted or renamed";
	else if (file->flags & (IMPACT_PF_CONFTEST | IMPACT_PF_TEST))
		reason = NULL; /* tests run themselves; conftests reach their whole scope */
	else if (!nf || (nf->flags & (IMPACT_PYFACTS_SYNTAX_ERROR | IMPACT_PYFACTS_TOO_LARGE)))
		reason = "its new side could not be read symbol by symbol";
	else if (!file->entry || read_blob(&old_src, repo, &c->old_oid) < 0 ||
	         impact_snapshot_read(&new_src, p->snap, file->entry) < 0 ||
	         old_facts(w, &of, repo, cache, &c->old_oid, &old_src, parser) < 0)
		reason = "a side could not be read";
	else if (of->flags & (IMPACT_PYFACTS_SYNTAX_ERROR | IMPACT_PYFACTS_TOO_LARGE))
		reason = "its old side could not be read symbol by symbol";
	else if (impact_hunks_compute(&old_l, &new_l, old_src.ptr ? old_src.ptr : "", old_src.size,
	                              new_src.ptr ? new_src.ptr : "", new_src.size) < 0)
		reason = "its diff failed";
	else {
		bool o = impact_pyfacts_classify_lines(of, (const uint32_t (*)[2])old_l.v, old_l.n, &old_syms);
		bool n = impact_pyfacts_classify_lines(nf, (const uint32_t (*)[2])new_l.v, new_l.n, &new_syms);
		import_time = o || n;
		/* Same tokens on both sides: comments and layout change nothing. */
		impact_fnhashes_compute_tokens(&old_h, old_src.ptr ? old_src.ptr : "", old_src.size, of);
		impact_fnhashes_compute_tokens(&new_h, new_src.ptr ? new_src.ptr : "", new_src.size, nf);
		hashed = true;
		if (import_time && old_h.module == new_h.module)
			import_time = false;
		if (import_time)
			reason = "module-level code, a signature, a decorator or a class body changed";
	}
	impact_error_clear();

	if (file->flags & (IMPACT_PF_CONFTEST | IMPACT_PF_TEST)) {
		make_seed(w, id, NONE);
	} else if (import_time) {
		make_seed(w, id, NONE);
		impact_buf_printf(&why, "import-time change (%s)", reason ? reason : "changed");
	} else {
		/* Old-side names: a function body changed in place keeps its name. */
		for (size_t i = 0; i < old_syms.n; i++) {
			const char *name = sym(of, old_syms.v[i])->name;
			bool found = false;
			for (size_t k = 0; k < nsyms(nf) && !found; k++)
				if (!strcmp(sym(nf, (uint32_t)k)->name, name)) {
					bool have = false;
					found = true;
					for (size_t j = 0; j < new_syms.n && !have; j++)
						have = new_syms.v[j] == (uint32_t)k;
					if (!have)
						impact_u32vec_push(&new_syms, (uint32_t)k);
				}
			if (!found)
				make_seed(w, id, NONE);
		}
		if (hashed)
			drop_same_tokens(&new_syms, of, &old_h, nf, &new_h);
		if (!new_syms.n && !w->seed[id])
			impact_buf_puts(&why, "comments/layout only");
		else {
			impact_buf_puts(&why, "call-time change of ");
			name_list(&why, nf, &new_syms);
		}
		for (size_t i = 0; i < new_syms.n; i++) {
			uint32_t node = node_of(w, id, new_syms.v[i]);
			const impact_symbol *s = sym(nf, new_syms.v[i]);
			if (w->hit[node])
				continue;
			w->hit[node] = 1;
			w->from[node] = NONE;
			w->hop[node] = 0;
			w->label[node] = "body changed";
			w->any_hit[id] = true;
			if ((s->flags & IMPACT_SYMBOL_DYNAMIC) || !strncmp(s->name, "pytest_", 7)) {
				make_seed(w, id, NONE); /* called by name, or calls by name */
				continue;
			}
			push_target(w, id, s->name, node);
			if (((s->flags & IMPACT_SYMBOL_DUNDER) || via_class(s->name)) &&
			    s->parent != IMPACT_SYMBOL_NONE)
				push_target(w, id, sym(nf, s->parent)->name, node);
		}
	}
	impact_fnhashes_release(&old_h);
	impact_fnhashes_release(&new_h);
	impact_pyfacts_free(of);
	impact_buf_release(&old_src);
	impact_buf_release(&new_src);
	impact_lines_release(&old_l);
	impact_lines_release(&new_l);
	impact_u32vec_release(&old_syms);
	impact_u32vec_release(&new_syms);
	return why.size ? impact_buf_detach(&why) : (impact_buf_release(&why), NULL);
}

/* "tests/test_a.py:test_x -> pkg/api.py:run -> pkg/core.py:helper (body changed)" */
static char *chain_text(const walker *w, uint32_t node)
{
	impact_buf b = IMPACT_BUF_INIT;
	for (unsigned k = 0; node != NONE && k < 64; k++) {
		uint32_t file = file_of_node(w, node);
		const impact_pyfacts *f = facts_of(w, file);
		uint32_t s = node - w->base[file];
		if (k)
			impact_buf_puts(&b, " -> ");
		impact_buf_printf(&b, "%s:%s", w->p->files[file].path,
		                  s < nsyms(f) ? sym(f, s)->name : "<module>");
		if (w->how[node])
			impact_buf_printf(&b, " [%s]", w->how[node]);
		if (w->from[node] == NONE)
			impact_buf_printf(&b, " (%s)", w->label[node] ? w->label[node] : "changed");
		node = w->from[node];
	}
	return impact_buf_detach(&b);
}

int impact_precise_run(impact_precise **out, const impact_project *p,
                       const impact_changeset *changes, git_repository *repo,
                       impact_cache *cache, uint32_t skip_kinds,
                       const uint32_t *extra_seeds, size_t nextra, const uint32_t *bound)
{
	impact_precise *pr = impact_xcalloc(1, sizeof(*pr));
	walker w = { 0 };
	impact_pyparser *parser = NULL;
	impact_u32vec seeds = { 0 };
	uint32_t n = 0;

	/* One read transaction for every facts lookup of the walk (one lock, not one each). */
	impact_cache_read_begin(p->cache);
	w.p = p;
	w.bound = bound;
	w.skip_kinds = skip_kinds | (1u << IMPACT_EDGE_LAZY);
	/*
	 * A change to thousands of modules (a first commit, a mass reformat)
	 * reaches past MAX_TARGETS anyway: give up before loading every
	 * module's symbols to find that out.
	 */
	pr->too_many_changes = changes->n > MAX_CHANGES;
	w.gave_up = pr->too_many_changes;
	w.base = impact_xcalloc((size_t)p->nfiles + 1, sizeof(uint32_t));
	for (uint32_t id = 0; id < p->nfiles; id++) {
		w.base[id] = n;
		n += (uint32_t)nsyms(!w.gave_up && in_bound(&w, id) ? facts_of(&w, id) : NULL) + 1;
	}
	w.base[p->nfiles] = n;
	w.nnodes = n;
	w.from = impact_xmalloc(((size_t)n + 1) * sizeof(uint32_t));
	w.hop = impact_xcalloc((size_t)n + 1, sizeof(uint32_t));
	w.hit = impact_xcalloc((size_t)n + 1, 1);
	w.used = impact_xcalloc((size_t)n + 1, 1);
	w.unnamed_done = impact_xcalloc((size_t)n + 1, 1);
	w.label = impact_xcalloc((size_t)n + 1, sizeof(char *));
	w.how = impact_xcalloc((size_t)n + 1, sizeof(char *));
	w.seed = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool));
	w.any_hit = impact_xcalloc((size_t)p->nfiles + 1, sizeof(bool));
	w.seed_via = impact_xmalloc(((size_t)p->nfiles + 1) * sizeof(uint32_t));
	memset(w.seed_via, 0xff, ((size_t)p->nfiles + 1) * sizeof(uint32_t));
	memset(w.from, 0xff, ((size_t)n + 1) * sizeof(uint32_t));

	pr->nchanges = changes->n;
	pr->change_note = impact_xcalloc(changes->n + 1, sizeof(char *));
	for (size_t i = 0; i < changes->n && !w.gave_up; i++) {
		const impact_change *c = &changes->changes[i];
		uint32_t old_id;
		if (c->new_path && impact_path_has_suffix(c->new_path, ".py") &&
		    c->new_mode != IMPACT_MODE_GITLINK)
			pr->change_note[i] = classify_change(&w, c, repo, cache, &parser);
		/* The gone side of a rename or deletion: its importers are seeds. */
		if (c->old_path && (!c->new_path || strcmp(c->old_path, c->new_path)) &&
		    (old_id = impact_project_find(p, c->old_path)) != IMPACT_STRPOOL_NONE)
			make_seed(&w, old_id, NONE);
	}
	impact_pyparser_free(parser);
	for (size_t i = 0; i < nextra; i++)
		make_seed(&w, extra_seeds[i], NONE);

	/* Alternate the two walks until neither adds anything. */
	while (!w.gave_up) {
		w.new_seed = false;
		run_queue(&w);
		dynamic_functions(&w);
		run_queue(&w);
		seeds.n = 0;
		for (uint32_t id = 0; id < p->nfiles; id++)
			if (w.seed[id])
				impact_u32vec_push(&seeds, id);
		impact_reach_release(&pr->reach);
		impact_graph_dependents(&pr->reach, p->graph, seeds.v, seeds.n, w.skip_kinds);
		lazy_importers(&w, &pr->reach);
		run_queue(&w);
		unnamed_functions(&w);
		if (w.gave_up || (!w.new_seed && w.qhead == w.nqueue))
			break;
	}

	/* A file that could not be read again has no symbols to answer with. */
	pr->facts_lost = p->facts_lost != 0;
	pr->gave_up = w.gave_up || pr->facts_lost;
	pr->seed = w.seed;
	pr->nfiles = p->nfiles + 1;
	pr->seed_why = impact_xcalloc((size_t)p->nfiles + 1, sizeof(char *));
	pr->seed_hops = impact_xcalloc((size_t)p->nfiles + 1, sizeof(uint32_t));
	pr->seed_origin = impact_xmalloc(((size_t)p->nfiles + 1) * sizeof(uint32_t));
	memset(pr->seed_origin, 0xff, ((size_t)p->nfiles + 1) * sizeof(uint32_t));
	for (uint32_t id = 0; id < p->nfiles; id++)
		if (w.seed[id] && w.seed_via[id] != NONE) {
			impact_buf b = IMPACT_BUF_INIT;
			char *chain = chain_text(&w, w.seed_via[id]);
			uint32_t root = w.seed_via[id];
			impact_buf_printf(&b, "runs changed code: %s", chain);
			free(chain);
			pr->seed_why[id] = impact_buf_detach(&b);
			pr->seed_hops[id] = w.hop[w.seed_via[id]] + 1;
			while (w.from[root] != NONE)
				root = w.from[root];
			pr->seed_origin[id] = file_of_node(&w, root);
		}
	w.seed = NULL;
	pr->hops = impact_xmalloc(((size_t)p->nfiles + 1) * sizeof(uint32_t));
	pr->why = impact_xcalloc((size_t)p->nfiles + 1, sizeof(char *));
	pr->origin = impact_xmalloc(((size_t)p->nfiles + 1) * sizeof(uint32_t));
	memset(pr->origin, 0xff, ((size_t)p->nfiles + 1) * sizeof(uint32_t));
	for (uint32_t id = 0; id <= p->nfiles; id++) {
		uint32_t best = NONE, bestn = NONE;
		pr->hops[id] = UINT32_MAX;
		if (id == p->nfiles || !(p->files[id].flags & IMPACT_PF_TEST))
			continue;
		for (uint32_t node = w.base[id]; node < w.base[id + 1]; node++)
			if (w.hit[node] && (best == NONE || w.hop[node] < best)) {
				best = w.hop[node];
				bestn = node;
			}
		if (bestn != NONE) {
			uint32_t root = bestn;
			while (w.from[root] != NONE)
				root = w.from[root];
			pr->hops[id] = best + 1;
			pr->why[id] = chain_text(&w, bestn);
			pr->origin[id] = file_of_node(&w, root);
		}
	}

	impact_u32vec_release(&seeds);
	impact_u32vec_release(&w.tmp);
	if (w.indexed) {
		index_release(&w.refs);
		index_release(&w.binds);
		free(w.star_at);
		free(w.star_by);
	}
	impact_strlist_release(&w.owned);
	free(w.queue);
	free(w.seen);
	free(w.memo);
	impact_u32vec_release(&w.lazy);
	free(w.base);
	free(w.from);
	free(w.hop);
	free(w.hit);
	free(w.used);
	free(w.unnamed_done);
	free((void *)w.label);
	free((void *)w.how);
	classes_free(w.classes);
	free(w.ga_kind);
	free(w.bind_mod);
	free(w.ga_file);
	free(w.ga_sym);
	impact_u32vec_release(&w.getattrs);
	free(w.seed);
	free(w.any_hit);
	free(w.seed_via);
	impact_cache_read_end(p->cache);
	store_kept(&w, cache);
	*out = pr;
	return 0;
}

void impact_precise_free(impact_precise *pr)
{
	if (!pr)
		return;
	for (uint32_t i = 0; i < pr->nfiles; i++) {
		if (pr->why)
			free(pr->why[i]);
		if (pr->seed_why)
			free(pr->seed_why[i]);
	}
	free(pr->seed_why);
	free(pr->seed_origin);
	free(pr->seed_hops);
	impact_reach_release(&pr->reach);
	for (size_t i = 0; i < pr->nchanges; i++)
		free(pr->change_note[i]);
	free(pr->change_note);
	free(pr->why);
	free(pr->origin);
	free(pr->hops);
	free(pr->seed);
	free(pr);
}
