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
	for (uint32_t e = precise_index_first(&w->refs, key); e != NONE; e = precise_index_next(&w->refs, e)) {
		uint32_t y2 = w->refs.v[e].file;
		const impact_symref *r;
		if (y2 == y)
			continue;
		r = ref(facts_of(w, y2), w->refs.v[e].index);
		if (r->kind != IMPACT_SYMREF_NAME && r->kind != IMPACT_SYMREF_PARAM &&
		    r->kind != IMPACT_SYMREF_INST && near(w, y2, y))
			return true;
	}
	for (uint32_t e = precise_index_first(&w->binds, key); e != NONE; e = precise_index_next(&w->binds, e)) {
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
