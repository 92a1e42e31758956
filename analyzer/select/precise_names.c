/*
 * precise_names.c - computed names in the precise walk: the names a
 * `getattr(obj, name)` can be (what pynames.c wrote after the tab of its
 * GETATTR reference: "visit_*", "a b", "(_run)"), and who runs a module's
 * PEP 562 `__getattr__`: only code reading a name that module lacks
 * (`mod.lazy`, `from mod import lazy`, getattr on the module, a string
 * "mod.lazy" a test hands to mock.patch), never any code anywhere.
 *
 * precise_means.c asks whether a name may be a target's; precise_walk.c
 * asks for a __getattr__'s readers and for the words --explain shows.
 * Where it cannot tell, it answers as before: the name could be anything.
 */
#include "precise_private.h"

#include "fnhash.h"
#include "path.h"

const char *precise_names_spec(const char *text)
{
	const char *tab = strchr(text, '\t');
	return tab ? tab + 1 : NULL;
}

/* The private function in a spec ("(_run)"), its length in *len; NULL for none. */
static const char *spec_callee(const char *spec, size_t *len)
{
	const char *open = strchr(spec, '(');
	if (!open)
		return NULL;
	*len = strcspn(open + 1, ")");
	return open + 1;
}

static bool near(const walker *w, uint32_t y, uint32_t x);

/*
 * May a module other than `y` use y's function `name` (len bytes): import
 * it, or read it as an attribute (`mod._run`, `x._run` where x may be
 * module y: within two imports of it)? A bare name elsewhere is that
 * module's own unless imported (the import says so).
 */
static bool used_outside(walker *w, uint32_t y, const char *name, size_t len)
{
	char key[256];
	if (len >= sizeof(key) || !w->indexed)
		return true;
	snprintf(key, sizeof(key), "%.*s", (int)len, name);
	for (uint32_t e = precise_refs_first(w, key); e != NONE; e = precise_index_next(&w->refs, e)) {
		uint32_t y2 = w->refs.v[e].file;
		const impact_symref *r;
		if (y2 == y)
			continue;
		r = ref(facts_of(w, y2), w->refs.v[e].index);
		if (r->kind != IMPACT_SYMREF_NAME && r->kind != IMPACT_SYMREF_PARAM &&
		    r->kind != IMPACT_SYMREF_INST && near(w, y2, y))
			return true;
	}
	for (uint32_t e = precise_binds_first(w, key); e != NONE; e = precise_index_next(&w->binds, e)) {
		uint32_t y2 = w->binds.v[e].file;
		const impact_import *imp = &facts_of(w, y2)->imports[w->binds.v[e].index];
		if (y2 != y && precise_module_file(w, y2, imp->module, imp->level) == y)
			return true;
	}
	return false;
}

bool precise_names_may_be(walker *w, uint32_t y, const char *spec, const char *name)
{
	size_t clen, nlen = strlen(name);
	const char *callee = spec_callee(spec, &clen);
	if (callee && used_outside(w, y, callee, clen))
		return true; /* its callers are not all in its module: anything */
	for (const char *p = spec; *p && *p != '(';) {
		size_t len = strcspn(p, " ");
		if (len && p[len - 1] == '*' ? !strncmp(name, p, len - 1)
		                             : len == nlen && !memcmp(name, p, len))
			return true;
		p += len + (p[len] == ' ');
	}
	return false;
}

const char *precise_names_how(walker *w, uint32_t y, const impact_symref *r, const char *how)
{
	const char *spec = precise_names_spec(r->text), *callee;
	impact_buf b = IMPACT_BUF_INIT;
	size_t clen = 0, nitems = 0;
	bool prefix = false;
	impact_buf_puts(&b, how ? how : "getattr");
	callee = spec ? spec_callee(spec, &clen) : NULL;
	if (!spec) {
		impact_buf_puts(&b, "; its name could be anything");
	} else if (callee && used_outside(w, y, callee, clen)) {
		impact_buf_printf(&b, "; its name could be anything (%.*s is used outside its module)",
		                  (int)clen, callee);
	} else {
		impact_buf list = IMPACT_BUF_INIT;
		for (const char *p = spec; *p && *p != '('; nitems++) {
			size_t len = strcspn(p, " ");
			prefix |= len && p[len - 1] == '*';
			impact_buf_printf(&list, "%s%.*s", nitems ? ", " : "", (int)len, p);
			p += len + (p[len] == ' ');
		}
		if (nitems == 1 && prefix)
			impact_buf_printf(&b, "; its name starts with %.*s", (int)list.size - 1, list.ptr);
		else if (nitems == 1)
			impact_buf_printf(&b, "; its name is %s", list.ptr);
		else if (nitems)
			impact_buf_printf(&b, "; its name is one of %s", list.ptr);
		else
			impact_buf_puts(&b, "; its name is none of the repository's");
		impact_buf_release(&list);
		if (callee)
			impact_buf_printf(&b, " (every call of %.*s passes a literal)", (int)clen, callee);
	}
	impact_strlist_push(&w->owned, b.ptr ? b.ptr : "");
	impact_buf_release(&b);
	return w->owned.items[w->owned.n - 1];
}

/* ---- a module's PEP 562 __getattr__: who reads a name it lacks ------------ */

bool precise_module_getattr(const target *t)
{
	return !strcmp(t->name, "__getattr__");
}

/*
 * Does module `m` bind `name` (len bytes) as an attribute at import: a
 * top-level definition or assignment, or a module-level import? Names a
 * star import of another module of the repository gives count as well.
 * False when unsure: a name it lacks runs its __getattr__.
 */
static bool module_binds(walker *w, uint32_t m, const char *name, size_t len, unsigned depth)
{
	const impact_pyfacts *f = facts_of(w, m);
	for (size_t i = 0; i < nsyms(f); i++) {
		const impact_symbol *s = sym(f, (uint32_t)i);
		if (s->parent == IMPACT_SYMBOL_NONE && strlen(s->name) == len && !memcmp(s->name, name, len))
			return true;
	}
	for (size_t i = 0; f && i < f->nimports; i++) {
		const impact_import *imp = &f->imports[i];
		const char *bound;
		size_t blen;
		if (imp->symbol != IMPACT_SYMBOL_NONE || (imp->flags & IMPACT_IMPORT_TYPE_CHECKING))
			continue;
		if (imp->kind == IMPACT_IMPORT_MODULE) {
			bound = module_import_bound(imp, &blen);
		} else if (imp->kind == IMPACT_IMPORT_FROM && imp->name && !strcmp(imp->name, "*")) {
			uint32_t x;
			if (depth < 4 && name[0] != '_' &&
			    (x = precise_module_file(w, m, imp->module, imp->level)) != NONE && x != m &&
			    in_bound(w, x) && module_binds(w, x, name, len, depth + 1))
				return true;
			continue;
		} else if (imp->kind == IMPACT_IMPORT_FROM && imp->name) {
			bound = imp->asname ? imp->asname : imp->name;
			blen = strlen(bound);
		} else {
			continue;
		}
		if (blen == len && !memcmp(bound, name, len))
			return true;
	}
	return false;
}

/* Is file x file y, imported by y, or imported by a module y imports? */
static bool near(const walker *w, uint32_t y, uint32_t x)
{
	size_t n;
	const impact_edge *e;
	if (y == x)
		return true;
	e = impact_graph_out(w->p->graph, y, &n);
	for (size_t k = 0; k < n; k++) {
		size_t m;
		const impact_edge *e2;
		if (e[k].to == x)
			return true;
		if (e[k].to >= w->p->nfiles)
			continue;
		e2 = impact_graph_out(w->p->graph, e[k].to, &m);
		for (size_t j = 0; j < m; j++)
			if (e2[j].to == x)
				return true;
	}
	return false;
}

static bool imports_file(const walker *w, uint32_t y, uint32_t x)
{
	size_t n;
	const impact_edge *e = impact_graph_out(w->p->graph, y, &n);
	for (size_t k = 0; k < n; k++)
		if (e[k].to == x)
			return true;
	return false;
}

/*
 * The names module m's __getattr__ runs code for: all (sym NONE), or,
 * when it answers for literal names only (IMPACT_SYMBOL_DISPATCH) and the
 * walk reached it through what it names rather than by a change of its
 * own, those names: any other (`__path__` too) runs only its tests.
 */
typedef struct answers {
	bool some;                 /* only these names run its code */
	const char **names;        /* borrowed from the facts */
	size_t n;
} answers;

/* Into `a` (release with free(a->names)). */
static void answers_of(answers *a, walker *w, const target *t)
{
	const impact_pyfacts *f = facts_of(w, t->file);
	uint32_t s = NONE;
	memset(a, 0, sizeof(*a));
	if (w->from[t->node] == NONE)
		return; /* its own change: every lookup runs it */
	for (uint32_t i = 0; i < nsyms(f) && s == NONE; i++)
		if (!strcmp(sym(f, i)->name, "__getattr__") && (sym(f, i)->flags & IMPACT_SYMBOL_DISPATCH))
			s = i;
	if (s == NONE)
		return;
	a->some = true;
	a->names = impact_xcalloc(nrefs(f) + 1, sizeof(*a->names));
	for (size_t i = 0; i < nrefs(f); i++)
		if (ref(f, i)->symbol == s && ref(f, i)->kind == IMPACT_SYMREF_ANSWER)
			a->names[a->n++] = ref(f, i)->text;
}

static bool answered(const answers *a, const char *name, size_t len)
{
	if (!a->some)
		return true;
	for (size_t i = 0; i < a->n; i++)
		if (!strncmp(a->names[i], name, len) && !a->names[i][len])
			return true;
	return false;
}

/*
 * Does the chain `text` (in file y) read an attribute of module m that m
 * lacks (and that its __getattr__ answers for, `a`): a name it does not
 * bind, or a submodule neither m nor y imports (Python asks __getattr__
 * before a submodule is loaded)?
 */
static bool chain_reads_missing(walker *w, uint32_t y, const char *text, uint32_t m, const answers *a)
{
	const char *parts[MAX_CHAIN_PARTS];
	size_t lens[MAX_CHAIN_PARTS], n = precise_split_chain(text, parts, lens);
	for (size_t j = 1; j < n; j++) {
		binding b = { 0 }, s = { 0 };
		bool ok;
		if (precise_chain_resolve(w, y, parts, lens, j, &b, NULL, &ok) < j)
			return false;
		if (b.file != m || b.name[0])
			continue;
		if (module_binds(w, m, parts[j], lens[j], 0) || !answered(a, parts[j], lens[j]))
			continue;
		/* A submodule: loaded already when y imports it. */
		if (precise_chain_resolve(w, y, parts, lens, j + 1, &s, NULL, &ok) == j + 1 && !s.name[0] &&
		    s.file != m && imports_file(w, y, s.file))
			continue;
		return true;
	}
	return false;
}

static size_t reader(walker *w, uint32_t y, uint32_t owner, const target *t, const char *how)
{
	uint32_t node = node_of(w, y, owner);
	if (!w->hit[node] && in_bound(w, y))
		w->how[node] = how;
	precise_reach(w, y, owner, t->node);
	return 1;
}

/* A string "m.name" (mock.patch, monkeypatch.setattr) naming a name module m lacks. */
static bool string_reads_missing(walker *w, uint32_t y, const char *text, uint32_t m, const answers *a)
{
	const char *dot = strrchr(text, '.');
	char mod[512];
	if (!dot || (size_t)(dot - text) >= sizeof(mod))
		return false;
	snprintf(mod, sizeof(mod), "%.*s", (int)(dot - text), text);
	return precise_module_file(w, y, mod, 0) == m && !module_binds(w, m, dot + 1, strlen(dot + 1), 0) &&
	       answered(a, dot + 1, strlen(dot + 1));
}

size_t precise_module_getattr_readers(walker *w, const target *t)
{
	static const char how_ref[] = "reads a name its module lacks: runs the module's PEP 562 __getattr__";
	static const char how_import[] = "imports a name its module lacks: runs the module's PEP 562 __getattr__";
	static const char how_path[] = "imports from a module, not a package: the import looks up "
	                               "__path__, which runs the module's PEP 562 __getattr__";
	uint32_t m = t->file;
	size_t matches = 0;
	answers a;
	/*
	 * `from m import x` asks m for __path__ first (is it a package?): a
	 * module lacks it, so every such import runs its __getattr__, whatever
	 * x is (a package binds __path__: only names it lacks do).
	 */
	bool is_package = !strcmp(impact_path_base(w->p->files[m].path), "__init__.py");
	answers_of(&a, w, t);
	for (uint32_t y = 0; y < w->p->nfiles; y++) {
		const impact_pyfacts *f;
		bool dynamic = false;
		if (!in_bound(w, y) || (w->p->files[y].flags & IMPACT_PF_GHOST) || !near(w, y, m) ||
		    !(f = facts_of(w, y)) || (f->flags & IMPACT_PYFACTS_SLIM))
			continue;
		for (size_t i = 0; i < f->nimports; i++) {
			const impact_import *imp = &f->imports[i];
			if (imp->flags & IMPACT_IMPORT_TYPE_CHECKING)
				continue;
			if (imp->kind == IMPACT_IMPORT_DYNAMIC) {
				dynamic |= precise_module_file(w, y, imp->module, imp->level) == m;
				continue;
			}
			/* `from m import lazy` (a star import may list lazy names in __all__). */
			if (imp->kind != IMPACT_IMPORT_FROM || !imp->name ||
			    precise_module_file(w, y, imp->module, imp->level) != m ||
			    (is_package && strcmp(imp->name, "*") &&
			     module_binds(w, m, imp->name, strlen(imp->name), 0)) ||
			    (strcmp(imp->name, "*") && !answered(&a, imp->name, strlen(imp->name))))
				continue;
			matches += reader(w, y, import_owner(imp), t, is_package ? how_import : how_path);
		}
		for (size_t i = 0; i < nrefs(f); i++) {
			const impact_symref *r = ref(f, i);
			bool base = r->kind == IMPACT_SYMREF_BASE;
			if (r->kind == IMPACT_SYMREF_ATTR && dynamic && !module_binds(w, m, r->text, strlen(r->text), 0) &&
			    answered(&a, r->text, strlen(r->text))) {
				matches += reader(w, y, ref_owner(r), t, how_ref); /* import_module('m').lazy */
				continue;
			}
			if ((r->kind != IMPACT_SYMREF_CHAIN && r->kind != IMPACT_SYMREF_READ && !base) ||
			    !strchr(r->text, '.') || r->text[0] == '(' || !chain_reads_missing(w, y, r->text, m, &a))
				continue;
			/* A base class is read when its class statement runs: at import. */
			matches += reader(w, y, base ? NONE : ref_owner(r), t, how_ref);
		}
		for (size_t i = 0; i < f->nstrings; i++)
			if (f->strings[i].kind == IMPACT_STRREF_MODULE && y != m &&
			    string_reads_missing(w, y, f->strings[i].text, m, &a))
				matches += reader(w, y, NONE, t, how_ref);
	}
	free(a.names);
	return matches;
}

/* ---- names written as strings ---------------------------------------------- */

/* The innermost class whose lines hold `line` (a class body's code), or NONE: module-level code. */
static uint32_t class_at(const impact_pyfacts *f, uint32_t line)
{
	uint32_t best = NONE;
	for (size_t i = 0; i < nsyms(f); i++) {
		const impact_symbol *s = sym(f, (uint32_t)i);
		if (s->kind == IMPACT_SYMBOL_CLASS && s->start_line <= line && line <= s->end_line)
			best = (uint32_t)i; /* outer before inner: the last one is innermost */
	}
	return best;
}

/*
 * A method whose own class writes its name as a string of its own,
 * `is_old = fields.Method("get_is_old")` in the class body beside `def
 * get_is_old`: the class hands the name to code that calls it by name
 * for its instances, code which need not import the class's module (the
 * library the test calls into), so the walk cannot find that caller. The
 * holder of the string stands for it: a method holding it reaches t, the
 * class body holding it (a registration as the class is made) makes the
 * class reach t, so whatever names the class does. Module functions named
 * in strings of their module are left out: there a table of names
 * (`{"add": add}`) names the function itself beside the string, and a
 * test's `call('add')` elsewhere would match every function `add`.
 */
size_t precise_names_strings(walker *w, const target *t)
{
	static const char how[] = "writes its name in a string: code may call it by that name";
	const char *name = last_part(t->name), *dot = strrchr(t->name, '.');
	const impact_pyfacts *f;
	size_t matches = 0;
	uint32_t cls = NONE;
	if (!dot || !in_bound(w, t->file) || !(f = facts_of(w, t->file)))
		return 0;
	for (size_t i = 0; i < nsyms(f) && cls == NONE; i++)
		if (sym(f, (uint32_t)i)->kind == IMPACT_SYMBOL_CLASS && strlen(sym(f, (uint32_t)i)->name) ==
		    (size_t)(dot - t->name) && !strncmp(sym(f, (uint32_t)i)->name, t->name, (size_t)(dot - t->name)))
			cls = (uint32_t)i;
	if (cls == NONE)
		return 0;
	for (size_t k = 0; k < f->nstrings; k++) {
		uint32_t line = f->strings[k].line, owner;
		if (strcmp(f->strings[k].text, name) || line < sym(f, cls)->start_line || line > sym(f, cls)->end_line)
			continue;
		owner = impact_fnhash_owner(f, line);
		if (owner == IMPACT_SYMBOL_NONE)
			owner = class_at(f, line);
		if (owner == NONE || node_of(w, t->file, owner) == t->node)
			continue; /* its own body naming itself */
		matches += reader(w, t->file, owner, t, how);
	}
	return matches;
}
