/*
 * precise_classes.c - the class hierarchy of the files in reach, built on
 * first use: which class `self` belongs to and which classes can share an
 * instance with it (related), so that `self.m()` and `getattr(self, name)`
 * mean the methods of the class, its bases, its subclasses and their bases,
 * not every method so named. A base impact cannot resolve makes a class a
 * wildcard (it may inherit anything). It answers questions about classes;
 * which references mean a target is precise_means.c.
 */
#include "precise_private.h"

#define MAX_CLASSES 50000

void precise_classes_free(classes *c)
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
		precise_index_release(&c->names);
	if (c->by_name.buckets)
		precise_index_release(&c->by_name);
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
			bound = module_import_bound(imp, &blen);
		} else if (imp->kind == IMPACT_IMPORT_FROM && imp->name) {
			if (!strcmp(imp->name, "*")) {
				star = star || precise_module_file(w, y, imp->module, imp->level) != NONE;
				continue;
			}
			bound = imp->asname ? imp->asname : imp->name;
			blen = strlen(bound);
		} else {
			continue;
		}
		if (blen == hlen && !memcmp(bound, head, hlen))
			return !imp->level && precise_module_file(w, y, imp->module, 0) == NONE;
	}
	for (size_t i = 0; i < nsyms(f); i++)
		if (strlen(sym(f, (uint32_t)i)->name) == hlen && !memcmp(sym(f, (uint32_t)i)->name, head, hlen))
			return false;
	return !star; /* a builtin, unless a star import may have brought it */
}

uint32_t precise_class_of(walker *w, uint32_t file, const char *name)
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
	if (w->p->has_refnames)
		return precise_defined_in_reach(w, name);
	if (!c->named) {
		size_t total = 0;
		c->named = true;
		for (uint32_t y = 0; y < w->p->nfiles; y++)
			total += in_bound(w, y) ? nsyms(facts_of(w, y)) : 0;
		precise_index_init(&c->names, total);
		for (uint32_t y = 0; y < w->p->nfiles; y++) {
			const impact_pyfacts *f = in_bound(w, y) ? facts_of(w, y) : NULL;
			for (size_t i = 0; i < nsyms(f); i++) {
				const char *last = last_part(sym(f, (uint32_t)i)->name);
				precise_index_add(&c->names, last, strlen(last), y, (uint32_t)i);
			}
		}
	}
	return precise_index_first(&c->names, name) != NONE;
}

void precise_build_classes(walker *w)
{
	classes *c = w->classes = impact_xcalloc(1, sizeof(*c));
	impact_u32vec called = { 0 }; /* classes with a base a repository function computes */
	impact_u32vec files = { 0 };  /* the files of the reach that may define a class */
	size_t alloc = 0;
	c->of_node = impact_xmalloc(((size_t)w->nnodes + 1) * sizeof(uint32_t));
	memset(c->of_node, 0xff, ((size_t)w->nnodes + 1) * sizeof(uint32_t));
	precise_files_with(w, IMPACT_RN_CLASS, &files);
	for (size_t j = 0; j < files.n; j++) {
		uint32_t y = files.v[j];
		const impact_pyfacts *f = facts_of(w, y);
		for (size_t i = 0; i < nsyms(f); i++) {
			if (sym(f, (uint32_t)i)->kind != IMPACT_SYMBOL_CLASS)
				continue;
			if (c->n >= MAX_CLASSES) {
				c->too_many = true;
				impact_u32vec_release(&files);
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
	/* By name, for the bases impact cannot follow (below): one lookup, not a scan of all. */
	precise_index_init(&c->by_name, c->n);
	for (uint32_t j = 0; j < c->n; j++) {
		const char *last = last_part(sym(facts_of(w, c->file[j]), c->node[j] - w->base[c->file[j]])->name);
		precise_index_add(&c->by_name, last, strlen(last), c->file[j], j);
	}
	c->wild = impact_xcalloc((size_t)c->n + 1, sizeof(bool));
	c->parents = impact_xcalloc((size_t)c->n + 1, sizeof(impact_u32vec));
	c->children = impact_xcalloc((size_t)c->n + 1, sizeof(impact_u32vec));
	c->related = impact_xcalloc((size_t)c->n + 1, sizeof(uint8_t *));
	c->all_related = impact_xcalloc((size_t)c->n + 1, sizeof(bool));
	/* A base of a class is a reference of the class's own file: those files only. */
	for (size_t j = 0; j < files.n; j++) {
		uint32_t y = files.v[j];
		const impact_pyfacts *f = facts_of(w, y);
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
				if (precise_resolve_text(w, y, r->text + 2, &b) && in_bound(w, b.file))
					impact_u32vec_push(&called, k);
			} else {
				bool resolved = precise_resolve_text(w, y, r->text, &b), defined = false;
				/* Outside the whole-module reach: no class there inherits a change. */
				if (resolved && !in_bound(w, b.file))
					continue;
				base = resolved && b.name[0] ? precise_class_of(w, b.file, b.name) : NONE;
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
					for (uint32_t e = precise_index_first(&c->by_name, want); e != NONE && count < 2;
					     e = precise_index_next(&c->by_name, e)) {
						only = c->by_name.v[e].index;
						count++;
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
	impact_u32vec_release(&files);
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
bool precise_related(walker *w, uint32_t a, uint32_t b)
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
bool precise_self_and_target_classes(walker *w, uint32_t y, const impact_symref *r, const target *t,
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
		precise_build_classes(w);
	if (w->classes->too_many)
		return false;
	*a = w->classes->of_node[node_of(w, y, sym(f, r->symbol)->parent)];
	snprintf(cls, sizeof(cls), "%.*s", (int)(dot - t->name), t->name);
	*b = precise_class_of(w, t->file, cls);
	return *a != NONE && *b != NONE;
}
