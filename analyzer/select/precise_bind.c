/*
 * precise_bind.c - what a name means in a module: the module a dotted
 * import names (module_file), the binding of a bare name (a symbol of the
 * module, an imported module, an imported name; remembered per file and
 * name), and a dotted chain resolved through submodules, class attributes
 * and re-exports. It answers "what is `a.b.c` in file y", never whether
 * that is a target (precise_means.c does).
 */
#include "precise_private.h"

#define MAX_FOLLOW 8

typedef struct memo {
	uint64_t hash;
	const char *head; /* borrowed from the facts */
	size_t hlen;
	uint32_t file;
	bool used, bound;
	binding b;
	const char *dotted; /* owned by walker.owned */
} memo;

/* Is `path` the file of module `dotted` (relative to some folder): .../a/b/c.py or .../a/b/c/__init__.py? */
static bool path_is_module(const char *path, const char *dotted)
{
	size_t n = strlen(dotted), pl = strlen(path), tail;
	const char *end;
	if (pl > 3 && !strcmp(path + pl - 3, ".py") &&
	    !(pl >= 12 && !strcmp(path + pl - 12, "/__init__.py")))
		tail = pl - 3;
	else if (pl >= 12 && !strcmp(path + pl - 12, "/__init__.py"))
		tail = pl - 12;
	else
		return false;
	if (tail < n || (tail > n && path[tail - n - 1] != '/'))
		return false;
	end = path + tail - n;
	for (size_t i = 0; i < n; i++)
		if (end[i] != (dotted[i] == '.' ? '/' : dotted[i]))
			return false;
	return true;
}

uint32_t precise_module_file(walker *w, uint32_t importer, const char *dotted, uint32_t level)
{
	impact_import imp = { 0 };
	unsigned how = 0;
	imp.module = dotted;
	imp.level = (uint16_t)level;
	imp.kind = IMPACT_IMPORT_MODULE;
	w->tmp.n = 0;
	if (!impact_resolver_resolve(impact_project_resolver(w->p), importer, &imp, &w->tmp, &how))
		return NONE;
	/*
	 * Only a module of exactly that name, not the part of it that exists:
	 * its path ends with the name's parts ("a.b.c": a/b/c.py or
	 * a/b/c/__init__.py), not only with its last one (`from pkg.version
	 * import version` names no module pkg/version.py).
	 */
	if (*dotted && !path_is_module(w->p->files[w->tmp.v[w->tmp.n - 1]].path, dotted))
		return NONE;
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
	{
		/* The memo keeps its own copy: callers pass heads in stack buffers. */
		impact_buf hb = IMPACT_BUF_INIT;
		impact_buf_put(&hb, head, hlen);
		impact_strlist_push(&w->owned, hb.ptr ? hb.ptr : "");
		impact_buf_release(&hb);
		m->head = w->owned.items[w->owned.n - 1];
	}
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
			bound = module_import_bound(imp, &blen);
			if (blen != hlen || memcmp(bound, head, hlen))
				continue;
			impact_buf_clear(dotted);
			if (imp->asname)
				impact_buf_puts(dotted, imp->module);
			else
				impact_buf_put(dotted, head, hlen);
			b->file = precise_module_file(w, y, dotted->ptr, 0);
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
			b->file = precise_module_file(w, y, dotted->ptr, imp->level);
			if (b->file != NONE) {
				b->name[0] = '\0';
				return true;
			}
			b->file = precise_module_file(w, y, imp->module, imp->level);
			if (b->file == NONE && !*imp->module && imp->level)
				return false;
			snprintf(b->name, sizeof(b->name), "%s", imp->name);
			return b->file != NONE;
		}
	}
	return false;
}

size_t precise_split_chain(const char *text, const char **parts, size_t *lens)
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
size_t precise_chain_resolve(walker *w, uint32_t y, const char **parts, const size_t *lens,
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
			sub = precise_module_file(w, y, dotted.ptr, b->level);
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
bool precise_resolve_text(walker *w, uint32_t y, const char *text, binding *b)
{
	const char *parts[MAX_CHAIN_PARTS];
	size_t lens[MAX_CHAIN_PARTS], n = precise_split_chain(text, parts, lens);
	bool ok;
	size_t k = precise_chain_resolve(w, y, parts, lens, n, b, NULL, &ok);
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
