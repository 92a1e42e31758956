/*
 * precise_means.c - can a reference mean a target? A name, an attribute,
 * a fixture parameter, a dotted chain, a base class, and getattr(obj,
 * name) with a computed name, each by its own rule: through bindings
 * (precise_bind.c) and the class hierarchy (precise_classes.c), and near
 * a change when the object's type is unknown. The walk (precise_walk.c)
 * asks; this file only answers, and says why for --explain.
 */
#include "precise_private.h"

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
	char text[256];
	if (!w->ga_kind) {
		size_t n = w->getattrs.n / 2 + 1;
		w->ga_kind = impact_xcalloc(n, 1);
		w->ga_file = impact_xcalloc(n, sizeof(uint32_t));
		w->ga_sym = impact_xcalloc(n, sizeof(uint32_t));
	}
	if (!w->ga_kind[gi]) {
		/* The object: the text before the names (precise_names.c). */
		bool vars = !strncmp(r->text, "vars ", 5);
		const char *obj;
		snprintf(text, sizeof(text), "%.*s", (int)strcspn(r->text, "\t"), r->text);
		obj = vars ? text + 5 : text;
		w->ga_kind[gi] = GA_OTHER;
		if (!strcmp(text, "globals()")) {
			w->ga_kind[gi] = GA_GLOBALS;
		} else if (!vars && (!strcmp(obj, "self") || !strcmp(obj, "cls"))) {
			w->ga_kind[gi] = GA_SELF;
		} else if (strcmp(obj, "?") && !strchr(obj, ':') && precise_resolve_text(w, y, obj, &b)) {
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
		    (vars || !strncmp(obj, "self.", 5) || !strncmp(obj, "cls.", 4) || strchr(obj, ':')))
			w->ga_kind[gi] = GA_INSTANCE;
	}
	*file = w->ga_file[gi];
	*cls = w->ga_sym[gi];
	return w->ga_kind[gi];
}

int precise_getattr_scope(walker *w, size_t gi, uint32_t y, const impact_symref *r, uint32_t *ofile)
{
	uint32_t osym;
	switch (getattr_object(w, gi, y, r, ofile, &osym)) {
	case GA_GLOBALS: return GA_SCOPE_OWN_FILE;
	case GA_MODULE: return GA_SCOPE_MODULE;
	case GA_OTHER:
	case GA_INSTANCE: return GA_SCOPE_IMPORTS;
	default: return GA_SCOPE_ANY;
	}
}

/*
 * Is attribute `tl` (the last part of target t) read somewhere in reach
 * on an object that may be a wrapper instance: `x.tl`, `f().tl`, `a.b.tl`,
 * not `self.tl`/`cls.tl` (the class's own) nor `mod.tl` or `pkg.mod.tl`
 * (a module's name)? A delegating __getattr__ passes on only names so read.
 */
static bool attr_read(walker *w, const target *t, uint32_t gy, const impact_symref *gr)
{
	const char *tl = last_part(t->name);
	size_t tlen = strlen(tl);
	bool found = false;
	uint32_t gcls = NONE;
	if (w->read_name == t->name && w->read_ref == gr)
		return w->read_answer;
	if (!w->classes)
		precise_build_classes(w);
	if (!w->classes->too_many)
		gcls = precise_class_at(w, gy, sym(facts_of(w, gy), gr->symbol)->parent);
	for (uint32_t e = precise_refs_first(w, tl); e != NONE && !found; e = precise_index_next(&w->refs, e)) {
		uint32_t y = w->refs.v[e].file;
		const impact_symref *r = ref(facts_of(w, y), w->refs.v[e].index);
		const char *parts[MAX_CHAIN_PARTS];
		size_t lens[MAX_CHAIN_PARTS], n;
		if (r->kind == IMPACT_SYMREF_INST) {
			/* x.tl of a typed local: a wrapper's only when its class may be the wrapper's. */
			const char *colon = strchr(r->text, ':');
			char cexpr[256];
			binding b = { 0 };
			uint32_t ka = NONE;
			if (colon && (size_t)(colon - r->text) < sizeof(cexpr) && gcls != NONE &&
			    !strncmp(colon + 1, tl, tlen) && !colon[1 + tlen]) {
				snprintf(cexpr, sizeof(cexpr), "%.*s", (int)(colon - r->text), r->text);
				if (precise_resolve_text(w, y, cexpr, &b) && b.name[0] && in_bound(w, b.file))
					ka = precise_class_of(w, b.file, b.name);
			}
			found = ka == NONE || precise_related(w, ka, gcls);
			continue;
		}
		if (r->kind == IMPACT_SYMREF_ATTR) {
			found = true;
			continue;
		}
		if (r->kind != IMPACT_SYMREF_CHAIN)
			continue;
		n = precise_split_chain(r->text, parts, lens);
		for (size_t k = 1; k < n && !found; k++) {
			binding b = { 0 };
			bool ok;
			if (lens[k] != tlen || memcmp(parts[k], tl, tlen))
				continue;
			if (k == 1 && ((lens[0] == 4 && !memcmp(parts[0], "self", 4)) ||
			               (lens[0] == 3 && !memcmp(parts[0], "cls", 3))))
				continue;
			if (precise_chain_resolve(w, y, parts, lens, k, &b, NULL, &ok) == k && !b.name[0])
				continue; /* a module's own name (`mod.tl`, `pkg.mod.tl`) */
			found = true;
		}
	}
	w->read_name = t->name;
	w->read_ref = gr;
	w->read_answer = found;
	return found;
}

/* Is the owner of reference `r` (file `y`) a __getattr__ method (it delegates a name read on its instance)? */
static bool in_getattr_hook(walker *w, uint32_t y, const impact_symref *r)
{
	const impact_pyfacts *f = facts_of(w, y);
	const char *n;
	if (r->symbol == IMPACT_SYMBOL_NONE || r->symbol >= nsyms(f) || sym(f, r->symbol)->kind != IMPACT_SYMBOL_METHOD)
		return false;
	n = last_part(sym(f, r->symbol)->name);
	return !strcmp(n, "__getattr__") || !strcmp(n, "__getattribute__");
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
bool precise_getattr_means(walker *w, uint32_t y, const impact_symref *r, const target *t,
                           bool dotted, const char **how, size_t gi)
{
	uint32_t ofile, osym;
	uint8_t okind = getattr_object(w, gi, y, r, &ofile, &osym);
	const char *spec = precise_names_spec(r->text);
	if (precise_module_getattr(t)) {
		/*
		 * A module's __getattr__: through getattr on its module (any name
		 * it lacks), or on an object of unknown type that may be the
		 * module (in a module importing it), never an instance's.
		 */
		*how = "getattr(module, name): a name that module lacks runs its PEP 562 __getattr__";
		if (okind == GA_OTHER && y != t->file && imports_directly(w, y, t->file)) {
			*how = "getattr(obj, name) on an object of unknown type: it may be a module whose "
			       "PEP 562 __getattr__ runs";
			return true;
		}
		return (okind == GA_MODULE && ofile == t->file) || (okind == GA_GLOBALS && y == t->file);
	}
	/* Of the names it can be (a literal prefix, the literals bound to it), is t's one? */
	if (spec && !precise_names_may_be(w, y, spec, last_part(t->name)))
		return false;
	if (okind == GA_GLOBALS) {
		*how = "globals(): a name of its own module";
		return y == t->file && !dotted;
	}
	if (okind == GA_SELF) {
		uint32_t a, k;
		if (!dotted)
			return false;
		if (!precise_self_and_target_classes(w, y, r, t, &a, &k)) {
			*how = "getattr(self, name) outside a known class: any method";
			return true;
		}
		if (!precise_related(w, a, k))
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
				precise_build_classes(w);
			if (w->classes->too_many || (size_t)(dot - t->name) >= sizeof(tcls))
				return true;
			snprintf(tcls, sizeof(tcls), "%.*s", (int)(dot - t->name), t->name);
			ca = precise_class_at(w, ofile, osym);
			ck = precise_class_of(w, t->file, tcls);
			return ca == NONE || ck == NONE || precise_related(w, ca, ck);
		}
	}
	/*
	 * A module-level value that changed (precise_change.c: a value
	 * change) is read from its module's object only, and no module
	 * holding it lets that object go where impact cannot see (which the
	 * change checked): an object of unknown type is never it.
	 */
	if (!dotted && w->label[t->node] && !strcmp(w->label[t->node], PRECISE_VALUE_CHANGED))
		return false;
	/*
	 * An object of unknown type: as today, near a change: in the module
	 * of the target or in one importing it (whose objects it can hold).
	 */
	*how = "getattr(obj, name) on an object of unknown type, near a change";
	/* vars(x), getattr(self.x, ...): an instance's attributes, not a module's names. */
	if (okind == GA_INSTANCE && !dotted)
		return false;
	if (in_getattr_hook(w, y, r)) {
		*how = "a delegating __getattr__: a name read as an attribute somewhere";
		if (!attr_read(w, t, y, r))
			return false;
	}
	{
		/* A computed name never spells another class's private (mangled) name. */
		const char *tl = last_part(t->name);
		size_t n = strlen(tl);
		if (dotted && n > 2 && !strncmp(tl, "__", 2) && strcmp(tl + n - 2, "__"))
			return false;
	}
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
 * An attribute of a typed local ("C:m.n", reference `r` of file `y`):
 * the first attribute means a method or attribute of C, its bases, its
 * subclasses and their bases; when C is not a class of the repository
 * (a factory function, an external class, unresolved), or for the later
 * attributes (of unknown objects), any symbol so named, as before.
 */
static bool inst_means(walker *w, uint32_t y, const impact_symref *r, const target *t, const char **how)
{
	const char *colon = strchr(r->text, ':'), *tl = last_part(t->name), *dot = strrchr(t->name, '.');
	const char *parts[MAX_CHAIN_PARTS];
	size_t lens[MAX_CHAIN_PARTS], n, tlen = strlen(tl);
	char cexpr[256], tcls[256];
	binding b = { 0 };
	uint32_t ka = NONE, kb = NONE;
	if (!colon || (size_t)(colon - r->text) >= sizeof(cexpr))
		return false;
	n = precise_split_chain(colon + 1, parts, lens);
	if (lens[0] != tlen || memcmp(parts[0], tl, tlen)) {
		/* A later attribute: of an object of unknown type. */
		for (size_t k = 1; k < n; k++)
			if (lens[k] == tlen && !memcmp(parts[k], tl, tlen))
				return attr_may_mean(w, y, t) && !other_class_private(w, y, r, t);
		return false;
	}
	snprintf(cexpr, sizeof(cexpr), "%.*s", (int)(colon - r->text), r->text);
	if (precise_resolve_text(w, y, cexpr, &b) && b.name[0] && in_bound(w, b.file)) {
		if (!w->classes)
			precise_build_classes(w);
		if (!w->classes->too_many)
			ka = precise_class_of(w, b.file, b.name);
	}
	if (ka != NONE && dot && (size_t)(dot - t->name) < sizeof(tcls)) {
		snprintf(tcls, sizeof(tcls), "%.*s", (int)(dot - t->name), t->name);
		kb = precise_class_of(w, t->file, tcls);
	}
	if (ka != NONE && (kb != NONE || !dot)) {
		*how = w->classes->all_related[ka]
		           ? "typed local: its class may have a base impact cannot resolve"
		           : "typed local: an attribute of its class, bases or subclasses";
		return dot && precise_related(w, ka, kb) && !other_class_private(w, y, r, t);
	}
	*how = "a local whose class impact cannot resolve: any attribute so named";
	return attr_may_mean(w, y, t) && !other_class_private(w, y, r, t);
}

/*
 * Does reference `r` of file `y` (a chain, a name, an attribute or a
 * parameter) mean target `t`?
 */
bool precise_ref_means(walker *w, uint32_t y, const impact_symref *r, const target *t, const char **how)
{
	const char *tl = last_part(t->name);
	if (precise_module_getattr(t) && r->kind != IMPACT_SYMREF_NAME && r->kind != IMPACT_SYMREF_CHAIN &&
	    r->kind != IMPACT_SYMREF_READ)
		return false; /* a module's __getattr__ is no attribute of an unknown object */
	switch (r->kind) {
	case IMPACT_SYMREF_NAME:
		if (y != t->file)
			return false;
		if (!strcmp(r->text, t->name))
			return true;
		/*
		 * A class body reads its own earlier names bare (`__eq__ =
		 * __make_cmp(eq)` calls the method at import): module-level code
		 * reading a name some class of the file defines may mean it.
		 */
		if (r->symbol == IMPACT_SYMBOL_NONE && tl != t->name && !strcmp(r->text, tl)) {
			*how = "a class body reads a name its class defines";
			return true;
		}
		return false;
	case IMPACT_SYMREF_ATTR:
		return !strcmp(r->text, tl) && attr_may_mean(w, y, t) && !other_class_private(w, y, r, t);
	case IMPACT_SYMREF_PARAM: {
		const impact_pyfacts *f = facts_of(w, t->file);
		for (size_t i = 0; i < nsyms(f); i++)
			if (!strcmp(sym(f, (uint32_t)i)->name, t->name))
				return (sym(f, (uint32_t)i)->flags & IMPACT_SYMBOL_FIXTURE) &&
				       (!strcmp(r->text, tl) || !strcmp(r->text, "*"));
		return false;
	}
	case IMPACT_SYMREF_INST:
		return inst_means(w, y, r, t, how);
	case IMPACT_SYMREF_READ:
	case IMPACT_SYMREF_CHAIN: {
		const char *parts[MAX_CHAIN_PARTS];
		size_t lens[MAX_CHAIN_PARTS], n = precise_split_chain(r->text, parts, lens), k;
		binding b = { 0 };
		bool ok = false;
		k = precise_chain_resolve(w, y, parts, lens, n, &b, t, &ok);
		/* Module-level code that only reads a name it resolves runs nothing. */
		if (r->kind == IMPACT_SYMREF_READ && ok)
			return false;
		/*
		 * self.m / cls.m in a method: a method of the class, its bases, its
		 * subclasses and their bases, not every method so named.
		 */
		if (!k && n == 2 && strchr(t->name, '.') && lens[1] == strlen(tl) &&
		    !memcmp(parts[1], tl, lens[1]) &&
		    ((lens[0] == 4 && !memcmp(parts[0], "self", 4)) || (lens[0] == 3 && !memcmp(parts[0], "cls", 3)))) {
			uint32_t a, c;
			if (precise_self_and_target_classes(w, y, r, t, &a, &c))
				return precise_related(w, a, c) && attr_may_mean(w, y, t) && !other_class_private(w, y, r, t);
		}
		/* An object of unknown type: its attribute names match any symbol so named. */
		for (k = precise_module_getattr(t) ? n : k; k < n && !ok; k++)
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
		n = precise_split_chain(r->text, parts, lens);
		precise_chain_resolve(w, y, parts, lens, n, &b, t, &ok);
		return ok;
	}
	default:
		break;
	}
	return false;
}
