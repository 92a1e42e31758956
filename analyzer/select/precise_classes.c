/*
 * precise_classes.c - the class hierarchy of the files in reach, built as
 * it is asked about: which class `self` belongs to and which classes can
 * share an instance with it (related), so that `self.m()` and
 * `getattr(self, name)` mean the methods of the class, its bases, its
 * subclasses and their bases, not every method so named. A base impact
 * cannot resolve makes a class a wildcard (it may inherit anything). It
 * answers questions about classes; which references mean a target is
 * precise_means.c.
 *
 * Without a stored name index (impact_project.has_refnames) the table is
 * built whole on first use: every class of the reach numbered, every base
 * read. With one it is lazy, and answers the same: a file's classes are
 * numbered when it is asked about, its bases read when one of its classes
 * is, and a class's subclasses found only when related() needs them,
 * among the files whose references the stored index lists under a name
 * the class goes by (its own, or an alias a `from m import K as A` gives
 * it). On dist-packages a walk reaching thousands of functions asks the
 * table about 420 questions: built whole it loaded the facts of ~2,950
 * modules for them, built as asked about 240.
 */
#include "precise_private.h"

#define MAX_CLASSES 50000
#define NEAR_UNKNOWN 3

void precise_classes_free(classes *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->n; i++) {
		impact_u32vec_release(&c->parents[i]);
		impact_u32vec_release(&c->children[i]);
		impact_u32vec_release(&c->related[i]);
	}
	if (c->named)
		precise_index_release(&c->names);
	if (c->by_name.buckets)
		precise_index_release(&c->by_name);
	impact_u32vec_release(&c->tmp);
	free(c->file);
	free(c->node);
	free(c->wild);
	free(c->parents);
	free(c->children);
	free(c->children_done);
	free(c->related);
	free(c->related_done);
	free(c->all_related);
	free(c->mark);
	free(c->of_node);
	free(c->file_state);
	free(c->near_n);
	free(c->near);
	free(c->may_class);
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

/* ---- numbering ------------------------------------------------------------- */

/* Class symbol i of file y numbered (the per-class arrays grown, zeroed): its number. */
static uint32_t add_class(walker *w, uint32_t y, uint32_t i)
{
	classes *c = w->classes;
	uint32_t k = c->n;
	if (c->n >= c->alloc) {
		size_t old = c->alloc;
		c->alloc = old ? old * 2 : 256;
#define GROW(field) \
	(c->field = impact_xreallocarray(c->field, c->alloc, sizeof(*c->field)), \
	 memset(c->field + old, 0, (c->alloc - old) * sizeof(*c->field)))
		GROW(file);
		GROW(node);
		GROW(wild);
		GROW(parents);
		GROW(children);
		GROW(children_done);
		GROW(related);
		GROW(related_done);
		GROW(all_related);
		GROW(mark);
#undef GROW
	}
	c->file[k] = y;
	c->node[k] = node_of(w, y, i);
	c->of_node[c->node[k]] = k;
	c->children_done[k] = !c->lazy;
	c->n++;
	return k;
}

/* Every class of file y numbered, once: none outside the reach or of a ghost. */
static void number_file(walker *w, uint32_t y)
{
	classes *c = w->classes;
	const impact_pyfacts *f;
	if (y >= w->p->nfiles || c->file_state[y])
		return;
	c->file_state[y] = 1;
	if (!in_bound(w, y) || (w->p->files[y].flags & IMPACT_PF_GHOST))
		return;
	f = facts_of(w, y);
	for (size_t i = 0; i < nsyms(f); i++)
		if (sym(f, (uint32_t)i)->kind == IMPACT_SYMBOL_CLASS && c->of_node[node_of(w, y, (uint32_t)i)] == NONE)
			(void)add_class(w, y, (uint32_t)i);
}

uint32_t precise_class_of(walker *w, uint32_t file, const char *name)
{
	const impact_pyfacts *f;
	if (w->classes->too_many)
		return NONE;
	number_file(w, file);
	f = facts_of(w, file);
	for (size_t i = 0; i < nsyms(f); i++)
		if (sym(f, (uint32_t)i)->kind == IMPACT_SYMBOL_CLASS && !strcmp(sym(f, (uint32_t)i)->name, name))
			return w->classes->of_node[node_of(w, file, (uint32_t)i)];
	return NONE;
}

uint32_t precise_class_at(walker *w, uint32_t file, uint32_t s)
{
	if (w->classes->too_many || s == IMPACT_SYMBOL_NONE || file >= w->p->nfiles)
		return NONE;
	number_file(w, file);
	return w->classes->of_node[node_of(w, file, s)];
}

/* ---- bases ------------------------------------------------------------------ */

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

/* How many classes of the reach (0, 1, 2: more) the last part of whose name is `want`; *only the one. */
static uint32_t classes_named(walker *w, const char *want, uint32_t *only)
{
	classes *c = w->classes;
	uint32_t count = 0;
	if (!c->lazy) {
		for (uint32_t e = precise_index_first(&c->by_name, want); e != NONE && count < 2;
		     e = precise_index_next(&c->by_name, e)) {
			*only = c->by_name.v[e].index;
			count++;
		}
		return count;
	}
	{
		impact_u32vec files = { 0 };
		precise_files_named(w, IMPACT_RN_DEF, want, true, &files);
		for (size_t j = 0; j < files.n && count < 2; j++) {
			uint32_t y = files.v[j];
			const impact_pyfacts *f = facts_of(w, y);
			number_file(w, y);
			for (size_t i = 0; i < nsyms(f) && count < 2; i++)
				if (sym(f, (uint32_t)i)->kind == IMPACT_SYMBOL_CLASS &&
				    !strcmp(last_part(sym(f, (uint32_t)i)->name), want) &&
				    c->of_node[node_of(w, y, (uint32_t)i)] != NONE) {
					*only = c->of_node[node_of(w, y, (uint32_t)i)];
					count++;
				}
		}
		impact_u32vec_release(&files);
	}
	return count;
}

static void link_base(classes *c, uint32_t k, uint32_t base)
{
	impact_u32vec_push(&c->parents[k], base);
	impact_u32vec_push(&c->children[base], k);
}

/*
 * The bases of file y's classes read, once: their parents linked (and the
 * parents' children), the wild ones marked. A base of a class is a
 * reference of the class's own file, so a class's parents and wildness
 * are known once its file is read.
 */
static void read_bases(walker *w, uint32_t y)
{
	classes *c = w->classes;
	impact_u32vec called = { 0 }; /* classes with a base a repository function computes */
	const impact_pyfacts *f;
	number_file(w, y);
	if (y >= w->p->nfiles || c->file_state[y] >= 2)
		return;
	c->file_state[y] = 2;
	if (c->lazy && (!in_bound(w, y) || (w->p->files[y].flags & IMPACT_PF_GHOST)))
		return;
	f = facts_of(w, y);
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
				link_base(c, k, base);
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
				uint32_t only = NONE, count;
				const char *want = last_part(r->text);
				count = classes_named(w, want, &only);
				if (count == 1)
					link_base(c, k, only);
				else if (count || named_in_reach(w, want))
					c->wild[k] = true;
			}
		}
	}
	for (size_t i = 0; i < called.n; i++)
		if (!c->parents[called.v[i]].n)
			c->wild[called.v[i]] = true;
	impact_u32vec_release(&called);
}

/* ---- building ----------------------------------------------------------------- */

/* The whole table at once, as without a stored name index. */
static void build_whole(walker *w)
{
	classes *c = w->classes;
	impact_u32vec files = { 0 }; /* the files of the reach that may define a class */
	precise_files_with(w, IMPACT_RN_CLASS, &files);
	for (size_t j = 0; j < files.n; j++) {
		uint32_t y = files.v[j];
		const impact_pyfacts *f = facts_of(w, y);
		c->file_state[y] = 1;
		for (size_t i = 0; i < nsyms(f); i++) {
			if (sym(f, (uint32_t)i)->kind != IMPACT_SYMBOL_CLASS)
				continue;
			if (c->n >= MAX_CLASSES) {
				c->too_many = true;
				impact_u32vec_release(&files);
				return;
			}
			(void)add_class(w, y, (uint32_t)i);
		}
	}
	/* Files with no class are numbered too: nothing more to find there. */
	memset(c->file_state, 1, w->p->nfiles);
	/* By name, for the bases impact cannot follow (read_bases): one lookup, not a scan of all. */
	precise_index_init(&c->by_name, c->n);
	for (uint32_t j = 0; j < c->n; j++) {
		const char *last = last_part(sym(facts_of(w, c->file[j]), c->node[j] - w->base[c->file[j]])->name);
		precise_index_add(&c->by_name, last, strlen(last), c->file[j], j);
	}
	for (size_t j = 0; j < files.n; j++)
		read_bases(w, files.v[j]);
	memset(c->file_state, 2, w->p->nfiles);
	impact_u32vec_release(&files);
}

/*
 * Lazy with a stored name index, which lists the files that may define a
 * class. too_many is decided as the whole build decides it, from the class
 * counts kept with the graph: only a file without one (a changed file) has
 * its facts read to count.
 */
static void start_lazy(walker *w)
{
	classes *c = w->classes;
	impact_u32vec files = { 0 };
	size_t total = 0;
	precise_files_named(w, IMPACT_RN_CLASS, "", false, &files);
	c->lazy = true;
	c->may_class = impact_xcalloc((size_t)w->p->nfiles + 1, 1);
	for (size_t j = 0; j < files.n; j++) {
		const impact_pyfile *pf = &w->p->files[files.v[j]];
		c->may_class[files.v[j]] = 1;
		if (pf->nsyms_known) {
			total += impact_pyfile_nclasses(pf);
		} else {
			const impact_pyfacts *f = facts_of(w, files.v[j]);
			for (size_t i = 0; i < nsyms(f); i++)
				total += sym(f, (uint32_t)i)->kind == IMPACT_SYMBOL_CLASS;
		}
	}
	c->too_many = total > MAX_CLASSES;
	impact_u32vec_release(&files);
}

void precise_build_classes(walker *w)
{
	classes *c = w->classes = impact_xcalloc(1, sizeof(*c));
	c->of_node = impact_xmalloc(((size_t)w->nnodes + 1) * sizeof(uint32_t));
	memset(c->of_node, 0xff, ((size_t)w->nnodes + 1) * sizeof(uint32_t));
	c->file_state = impact_xcalloc((size_t)w->p->nfiles + 1, 1);
	c->near_n = impact_xmalloc((size_t)w->p->nfiles + 1);
	memset(c->near_n, NEAR_UNKNOWN, (size_t)w->p->nfiles + 1);
	c->near = impact_xcalloc((size_t)w->p->nfiles + 1, sizeof(*c->near));
	if (w->p->has_refnames)
		start_lazy(w);
	else
		build_whole(w);
}

/* ---- subclasses ---------------------------------------------------------------- */

/* Is `name` in list? */
static bool has_name(const impact_strlist *list, const char *name)
{
	for (size_t i = 0; i < list->n; i++)
		if (!strcmp(list->items[i], name))
			return true;
	return false;
}

/*
 * Class k's children complete. A base resolves to k through names a
 * `from m import X [as A]` follows (precise_bind.c): its text's last part
 * is k's own last name part or an alias one such import gives it, so the
 * subclasses are in the files the stored index lists under one of those
 * names as a reference, among those that may define a class.
 */
static void need_children(walker *w, uint32_t k)
{
	classes *c = w->classes;
	impact_strlist names = { 0 };
	impact_u32vec files = { 0 };
	if (c->children_done[k])
		return;
	c->children_done[k] = true;
	impact_strlist_push(&names, last_part(sym(facts_of(w, c->file[k]), c->node[k] - w->base[c->file[k]])->name));
	for (size_t n = 0; n < names.n; n++) {
		precise_files_named(w, IMPACT_RN_BIND, names.items[n], true, &files);
		for (size_t j = 0; j < files.n; j++) {
			const impact_pyfacts *f = facts_of(w, files.v[j]);
			for (size_t i = 0; f && i < f->nimports; i++) {
				const impact_import *imp = &f->imports[i];
				if (imp->kind == IMPACT_IMPORT_FROM && imp->name && imp->asname &&
				    !(imp->flags & IMPACT_IMPORT_TYPE_CHECKING) && !strcmp(imp->name, names.items[n]) &&
				    !has_name(&names, imp->asname))
					impact_strlist_push(&names, imp->asname);
			}
		}
	}
	for (size_t n = 0; n < names.n; n++) {
		precise_files_named(w, IMPACT_RN_REF, names.items[n], false, &c->tmp);
		files.n = 0;
		for (size_t j = 0; j < c->tmp.n; j++)
			if (c->may_class[c->tmp.v[j]])
				impact_u32vec_push(&files, c->tmp.v[j]);
		for (size_t j = 0; j < files.n; j++)
			read_bases(w, files.v[j]);
	}
	impact_strlist_release(&names);
	impact_u32vec_release(&files);
}

/* ---- wild classes nearby ------------------------------------------------------ */

/*
 * Note the wild classes of file g in file f's near list, up to two; when
 * `read`, its bases read first, else only if they are read already.
 */
static void note_wild_of(walker *w, uint32_t g, uint32_t f, bool read)
{
	classes *c = w->classes;
	if (g >= w->p->nfiles || c->near_n[f] >= 2)
		return;
	if (c->lazy) {
		if (!c->may_class[g] || (!read && c->file_state[g] < 2))
			return;
		read_bases(w, g);
	}
	for (uint32_t node = w->base[g]; node < w->base[g + 1] && c->near_n[f] < 2; node++) {
		uint32_t d = c->of_node[node];
		if (d == NONE || !c->wild[d] || (c->near_n[f] == 1 && c->near[f][0] == d))
			continue;
		c->near[f][c->near_n[f]++] = d;
	}
}

/*
 * Up to two wild classes whose module may see file f (*out, their count):
 * those of f, of a module importing f, of a module importing one of
 * those, or of a module that may import anything. Found from f through
 * the graph's in-edges, so only those modules are read; the modules read
 * already are looked at first (which two are found does not matter: the
 * question is whether there is one other than a given class).
 */
static uint8_t wild_near(walker *w, uint32_t f, const uint32_t **out)
{
	classes *c = w->classes;
	const impact_graph *g = w->p->graph;
	uint32_t nf = w->p->nfiles;
	if (c->near_n[f] == NEAR_UNKNOWN) {
		impact_u32vec in1 = { 0 }, in2 = { 0 };
		c->near_n[f] = 0;
		impact_graph_in_nodes(g, nf, &in1); /* what may import anything sees every file */
		impact_graph_in_nodes(g, f, &in1);
		for (int read = 0; read < 2 && c->near_n[f] < 2; read++) {
			note_wild_of(w, f, f, read);
			for (size_t i = 0; i < in1.n; i++)
				note_wild_of(w, in1.v[i], f, read);
			for (size_t i = 0; i < in1.n && c->near_n[f] < 2; i++) {
				if (in1.v[i] >= nf)
					continue;
				in2.n = 0;
				impact_graph_in_nodes(g, in1.v[i], &in2);
				for (size_t j = 0; j < in2.n; j++)
					note_wild_of(w, in2.v[j], f, read);
			}
		}
		impact_u32vec_release(&in1);
		impact_u32vec_release(&in2);
	}
	*out = c->near[f];
	return c->near_n[f];
}

/* ---- questions ----------------------------------------------------------------- */

/*
 * Class k and its ancestors not yet marked with `epoch`, marked and
 * appended to rel (when not NULL), their files' bases read: true as soon
 * as one is wild.
 */
static bool ancestors_wild(walker *w, uint32_t k, uint32_t epoch, impact_u32vec *stack, impact_u32vec *rel)
{
	classes *c = w->classes;
	stack->n = 0;
	impact_u32vec_push(stack, k);
	while (stack->n) {
		k = stack->v[--stack->n];
		if (c->mark[k] == epoch)
			continue;
		c->mark[k] = epoch;
		if (rel)
			impact_u32vec_push(rel, k);
		read_bases(w, c->file[k]);
		if (c->wild[k])
			return true;
		for (size_t j = 0; j < c->parents[k].n; j++)
			impact_u32vec_push(stack, c->parents[k].v[j]);
	}
	return false;
}

/* Is a wild class other than a near file f (wild_near)? */
static bool other_wild_near(walker *w, uint32_t f, uint32_t a)
{
	const uint32_t *near;
	uint8_t nn = wild_near(w, f, &near);
	for (uint8_t i = 0; i < nn; i++)
		if (near[i] != a)
			return true;
	return false;
}

/*
 * Can a `self` of class `a` (an instance of `a` or of a subclass) find
 * an attribute defined by class `b`? Yes when b is an ancestor of a or of
 * one of its subclasses (a mixin beside it). A subclass with a wildcard
 * base (or one that may be such a subclass: a wild class other than a
 * whose module can see a's or a subclass's module) makes it yes for every
 * b, as does a wild ancestor. Those are asked first, a's own ancestors
 * and the wild classes near a's module, as they are the cheapest: a
 * class's subclasses are looked for (need_children) only when they are
 * not enough to answer.
 */
bool precise_related(walker *w, uint32_t a, uint32_t b)
{
	classes *c = w->classes;
	if (c->too_many)
		return true;
	if (!c->related_done[a]) {
		impact_u32vec stack = { 0 }, desc = { 0 }, rel = { 0 }, tmp = { 0 };
		uint32_t epoch = ++c->epoch;
		bool all = ancestors_wild(w, a, epoch, &tmp, NULL) || other_wild_near(w, c->file[a], a);
		/* a and its subclasses. */
		epoch = ++c->epoch;
		impact_u32vec_push(&stack, a);
		c->mark[a] = epoch;
		while (stack.n && !all) {
			uint32_t k = stack.v[--stack.n];
			impact_u32vec_push(&desc, k);
			read_bases(w, c->file[k]);
			if ((c->wild[k] && k != a) || other_wild_near(w, c->file[k], a)) {
				all = true;
				break;
			}
			need_children(w, k);
			for (size_t i = 0; i < c->children[k].n; i++) {
				uint32_t ch = c->children[k].v[i];
				if (c->mark[ch] != epoch) {
					c->mark[ch] = epoch;
					impact_u32vec_push(&stack, ch);
				}
			}
		}
		/* Their ancestors. */
		epoch = ++c->epoch;
		for (size_t i = 0; i < desc.n && !all; i++)
			all = ancestors_wild(w, desc.v[i], epoch, &tmp, &rel);
		impact_u32vec_release(&stack);
		impact_u32vec_release(&desc);
		impact_u32vec_release(&tmp);
		c->related_done[a] = true;
		if (all) {
			c->all_related[a] = true;
			impact_u32vec_release(&rel);
		} else {
			qsort(rel.v, rel.n, sizeof(uint32_t), impact_u32_cmp);
			c->related[a] = rel;
		}
	}
	return c->all_related[a] ||
	       (c->related[a].n && bsearch(&b, c->related[a].v, c->related[a].n, sizeof(uint32_t), impact_u32_cmp));
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
	*a = precise_class_at(w, y, sym(f, r->symbol)->parent);
	snprintf(cls, sizeof(cls), "%.*s", (int)(dot - t->name), t->name);
	*b = precise_class_of(w, t->file, cls);
	return *a != NONE && *b != NONE;
}
