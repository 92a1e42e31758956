/*
 * precise_values.c - value changes: a changed module whose import-time
 * code differs only in the values of data-only assignments (`__version__
 * = "1.2"`, `LIMIT = 10`, IMPACT_SYMBOL_LITERAL). Running it runs no other
 * code than before, so only the code reading those names sees a change,
 * and the walk finds it as it finds a function's callers. This file says
 * when that holds: the names are not ones Python or pytest read by
 * themselves, and no module holding them (the module, and those binding
 * the names from it) lets its module object go where the walk cannot see
 * a reader (a name or path in a string, a computed import, sys.modules, the
 * object used as a value), in code that runs in tests. Otherwise the
 * change stays import-time (precise_change.c decides).
 */
#include "precise_private.h"

#include "fnhash.h"
#include "path.h"

#include <stdio.h>

/*
 * Names Python or pytest read from a module by themselves (star imports,
 * the import system, collection): a new value of one is more than its
 * readers' business. Other dunders are metadata (`__version__`).
 */
static bool read_by_machinery(const char *name)
{
	static const char *const names[] = {
		"__all__", "__path__", "__spec__", "__loader__", "__package__", "__name__", "__file__",
		"__builtins__", "__doc__", "__annotations__", "__class__", "__dict__", "__cached__",
		"__getattr__", "__dir__", "__test__", "__tracebackhide__", "collect_ignore",
		"collect_ignore_glob",
	};
	if (!strncmp(name, "pytest", 6))
		return true;
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* Does file f bind `head` (n bytes) to the module sys (`import sys`, `import sys as s`)? */
static bool binds_sys(const impact_pyfacts *f, const char *head, size_t n)
{
	for (size_t i = 0; i < f->nimports; i++) {
		const impact_import *imp = &f->imports[i];
		const char *b = imp->asname ? imp->asname : imp->module;
		if (imp->kind == IMPACT_IMPORT_MODULE && !imp->level && !strcmp(imp->module, "sys") &&
		    strlen(b) == n && !memcmp(b, head, n))
			return true;
	}
	return false;
}

/*
 * What code that runs in tests (in_tests) takes from sys.modules, which
 * hands out module objects whatever imports say: false when some of it
 * can take any module (a computed key, `.values()`, `from sys import
 * modules`, an alias of sys, the dict itself passed on); otherwise the
 * keys it reads (the extractor's "sys.modules.[key]") with their files,
 * in *files and *keys. A membership test ("sys.modules.[]") takes none.
 * *by: the file that can take any module.
 */
static bool sys_modules_reads(walker *w, const uint8_t *in_tests, impact_u32vec *files,
                              impact_strlist *keys, uint32_t *by)
{
	impact_u32vec named = { 0 }, bound = { 0 };
	bool ok = true;
	precise_files_named(w, IMPACT_RN_REF, "modules", true, &named);
	precise_files_named(w, IMPACT_RN_BIND, "modules", true, &bound);
	for (size_t j = 0; j < bound.n && ok; j++) {
		const impact_pyfacts *f = in_tests[bound.v[j]] ? facts_of(w, bound.v[j]) : NULL;
		for (size_t i = 0; f && i < f->nimports && ok; i++)
			ok = !(f->imports[i].kind == IMPACT_IMPORT_FROM && f->imports[i].name &&
			       !strcmp(f->imports[i].name, "modules") && !strcmp(f->imports[i].module, "sys") &&
			       !f->imports[i].level);
		if (!ok)
			*by = bound.v[j];
	}
	for (size_t j = 0; j < named.n && ok; j++) {
		uint32_t y = named.v[j];
		const impact_pyfacts *f = in_tests[y] ? facts_of(w, y) : NULL;
		for (size_t i = 0; f && i < nrefs(f) && ok; i++) {
			const char *t = ref(f, i)->text, *m = strstr(t, ".modules");
			bool sys = m && m - t == 3 && !strncmp(t, "sys", 3);
			if (!m || strchr(t, '.') != m || (m[8] && m[8] != '.') ||
			    !(sys || binds_sys(f, t, (size_t)(m - t))))
				continue;
			if (!sys || strncmp(m + 8, ".[", 2) || strcspn(m + 10, "]") >= 256) {
				ok = false; /* any module */
				*by = y;
			} else if (m[10] != ']') {
				char key[257];
				snprintf(key, sizeof(key), "%.*s", (int)strcspn(m + 10, "]"), m + 10);
				impact_u32vec_push(files, y);
				impact_strlist_push(keys, key);
			}
		}
	}
	impact_u32vec_release(&named);
	impact_u32vec_release(&bound);
	return ok;
}

/*
 * Can a read of sys.modules (sys_modules_reads: key i read by files[i])
 * hand out module x's object, or its package's (whose attribute x is)?
 * `__name__` is the reader's own module. `__main__` is the program: in a
 * test process pytest's, in a child a module the test names to run it
 * (`-m pkg.tool`, runpy: a module loaded by name, which module_escapes
 * already counts), or a package's __main__.py (`-m pkg`). *by: the reader.
 */
static bool sys_modules_give(walker *w, const impact_u32vec *files, const impact_strlist *keys, uint32_t x,
                             uint32_t *by)
{
	const char *px = w->p->files[x].path;
	for (size_t i = 0; i < keys->n; i++) {
		const char *k = keys->items[i], *pk;
		uint32_t m = NONE;
		bool gives = false;
		if (!strcmp(k, "__name__"))
			m = files->v[i];
		else if (!strcmp(k, "__main__"))
			gives = !strcmp(impact_path_base(px), "__main__.py");
		else
			m = precise_module_file(w, files->v[i], k, 0);
		if (m != NONE && m < w->p->nfiles) {
			/* x itself, or x inside the package m */
			pk = w->p->files[m].path;
			gives = m == x || (!strcmp(impact_path_base(pk), "__init__.py") &&
			                   !strncmp(px, pk, (size_t)(impact_path_base(pk) - pk)));
		}
		if (gives) {
			*by = files->v[i];
			return true;
		}
	}
	return false;
}

/*
 * Per file (and the "any module" node): can its code run in a test
 * process, as a test module, a conftest, a doctest module, or a module
 * one of them imports through any chain? One walk forward from them all,
 * once per walk (w->in_tests): every value-changed module asks.
 */
static const uint8_t *run_in_tests(walker *w)
{
	const uint32_t mark = IMPACT_PF_TEST | IMPACT_PF_CONFTEST | IMPACT_PF_DOCTEST;
	uint32_t nf = w->p->nfiles;
	uint8_t *in;
	impact_u32vec queue = { 0 };
	if (w->in_tests)
		return w->in_tests;
	in = w->in_tests = impact_xcalloc((size_t)nf + 1, 1);
	for (uint32_t y = 0; y < nf; y++)
		if (w->p->files[y].flags & mark) {
			in[y] = 1;
			impact_u32vec_push(&queue, y);
		}
	for (size_t h = 0; h < queue.n; h++) {
		size_t n;
		const impact_edge *e = impact_graph_out(w->p->graph, queue.v[h], &n);
		for (size_t k = 0; k < n; k++)
			if (e[k].to <= nf && !in[e[k].to]) {
				in[e[k].to] = 1;
				impact_u32vec_push(&queue, e[k].to);
			}
	}
	in[nf] = 1; /* what may import anything may run anywhere */
	impact_u32vec_release(&queue);
	return in;
}

/* Does file y use module x's object as a value (`f(cfg)`, `mods = [pkg.cfg]`), not only read from it? */
static bool uses_as_value(walker *w, uint32_t y, uint32_t x)
{
	const impact_pyfacts *f = y < w->p->nfiles && in_bound(w, y) ? facts_of(w, y) : NULL;
	for (size_t r = 0; f && r < nrefs(f); r++) {
		const impact_symref *sr = ref(f, r);
		binding b = { 0 };
		if ((sr->kind == IMPACT_SYMREF_NAME || sr->kind == IMPACT_SYMREF_CHAIN ||
		     sr->kind == IMPACT_SYMREF_READ) &&
		    precise_resolve_text(w, y, sr->text, &b) && b.file == x && !b.name[0])
			return true;
	}
	return false;
}

/* The last part of the dotted name of the module at `path` ("pkg/sub.py": sub; "pkg/__init__.py": pkg). */
static void module_last_name(const char *path, char *out, size_t size)
{
	const char *base = impact_path_base(path), *start = base, *end;
	if (!strcmp(base, "__init__.py")) {
		end = base > path ? base - 1 : base;
		start = end;
		while (start > path && start[-1] != '/')
			start--;
	} else {
		end = base + strlen(base);
		if (end - base > 3 && !strcmp(end - 3, ".py"))
			end -= 3;
	}
	snprintf(out, size, "%.*s", (int)(end - start), start);
}

/*
 * Can code impact does not see read module x's names? When its module
 * object may reach it, in code that runs in tests (run_in_tests): x
 * loaded by a name or path in a string (a framework's settings module,
 * `from_pyfile("config.py")`), by an import of a computed or literal
 * name, as a plugin or through a fallback root; or its object used as a
 * value by a module importing it (`config.from_object(settings)`,
 * `mods = [cfg]`), not only read from (`cfg.LIMIT`). *by: that module,
 * *how: how (an edge kind's name, or "module object used as a value").
 */
static bool module_escapes(walker *w, const uint8_t *in_tests, uint32_t x, uint32_t *by, const char **how)
{
	const impact_graph *g = w->p->graph;
	impact_u32vec in = { 0 }, named = { 0 };
	bool esc = false;
	impact_graph_in_nodes(g, x, &in);
	for (size_t i = 0; i < in.n && !esc; i++) {
		uint32_t y = in.v[i];
		size_t n;
		const impact_edge *e = impact_graph_out(g, y, &n);
		const char *kind = NULL; /* an edge that loads x by name */
		if (!in_tests[y])
			continue;
		for (size_t k = 0; k < n && !kind; k++)
			if (e[k].to == x && e[k].kind != IMPACT_EDGE_IMPORT && e[k].kind != IMPACT_EDGE_LAZY &&
			    e[k].kind != IMPACT_EDGE_CONDITIONAL && e[k].kind != IMPACT_EDGE_TYPE_CHECKING &&
			    e[k].kind != IMPACT_EDGE_PACKAGE)
				kind = impact_edge_kind_name((impact_edge_kind)e[k].kind);
		esc = kind || uses_as_value(w, y, x);
		if (esc) {
			*by = y;
			*how = kind ? kind : "module object used as a value";
		}
	}
	/* `import pkg` then `f(pkg.sub)`: a chain through its package, no edge to x. */
	if (!esc) {
		char last[256];
		module_last_name(w->p->files[x].path, last, sizeof(last));
		precise_files_named(w, IMPACT_RN_REF, last, true, &named);
		for (size_t j = 0; j < named.n && !esc; j++) {
			esc = in_tests[named.v[j]] && uses_as_value(w, named.v[j], x);
			if (esc) {
				*by = named.v[j];
				*how = "module object used as a value";
			}
		}
	}
	impact_u32vec_release(&in);
	impact_u32vec_release(&named);
	return esc;
}

/*
 * Module y holds a changed value under `name`: noted once per pair. False
 * past 4,096 holders (then impact does not follow them: import-time).
 */
static bool add_holder(impact_u32vec *holders, impact_strlist *names, uint32_t y, const char *name,
                       impact_buf *why)
{
	for (size_t i = 0; i < holders->n; i++)
		if (holders->v[i] == y && !strcmp(names->items[i], name))
			return true;
	if (holders->n >= 4096) {
		impact_buf_puts(why, "more than 4,096 modules bind the names it changed");
		return false;
	}
	impact_u32vec_push(holders, y);
	impact_strlist_push(names, name);
	return true;
}

/*
 * Are the new values of `vals` (symbols of file x's new facts) read only
 * where the walk can see? Not when a module that runs in tests imports
 * anything, or one of the reach reads sys.modules, or when x or a module
 * binding one of the names from it (`from x import NAME`, a star import,
 * again from those) lets its module object go where impact cannot follow
 * it (module_escapes).
 */
static bool values_seen(walker *w, uint32_t x, const impact_pyfacts *nf, const impact_u32vec *vals,
                        impact_buf *why)
{
	impact_u32vec in = { 0 }, holders = { 0 }, files = { 0 }, sm_files = { 0 };
	impact_strlist names = { 0 }, sm_keys = { 0 };
	uint8_t *seen;
	const uint8_t *in_tests;
	uint32_t by = NONE;
	bool ok;
	in_tests = run_in_tests(w);
	ok = sys_modules_reads(w, in_tests, &sm_files, &sm_keys, &by);
	if (!ok)
		impact_buf_printf(why, "%s can take any module from sys.modules", w->p->files[by].path);
	impact_graph_in_nodes(w->p->graph, w->p->nfiles, &in);
	for (size_t i = 0; i < in.n && ok; i++) {
		ok = !in_tests[in.v[i]];
		if (!ok)
			impact_buf_printf(why, "%s imports by a computed name", w->p->files[in.v[i]].path);
	}
	impact_u32vec_release(&in);
	if (!ok) {
		impact_u32vec_release(&sm_files);
		impact_strlist_release(&sm_keys);
		return false;
	}
	seen = impact_xcalloc((size_t)w->p->nfiles + 1, 1);
	for (size_t i = 0; i < vals->n; i++)
		(void)add_holder(&holders, &names, x, sym(nf, vals->v[i])->name, why);
	precise_need_stars(w);
	for (size_t h = 0; h < holders.n && ok; h++) {
		uint32_t y = holders.v[h];
		const char *name = names.items[h];
		if (!seen[y]) {
			seen[y] = 1;
			const char *how = NULL;
			if (module_escapes(w, in_tests, y, &by, &how)) {
				impact_buf_printf(why, "%s can get %s's module object where impact cannot follow it (%s)",
				                  w->p->files[by].path, w->p->files[y].path, how);
				ok = false;
			} else if (sys_modules_give(w, &sm_files, &sm_keys, y, &by)) {
				impact_buf_printf(why, "%s can take %s's module object from sys.modules",
				                  w->p->files[by].path, w->p->files[y].path);
				ok = false;
			}
		}
		if (name[0] != '_')
			for (uint32_t k = w->star_at[y]; k < w->star_at[y + 1] && ok; k++)
				ok = add_holder(&holders, &names, w->star_by[k], name, why);
		precise_files_named(w, IMPACT_RN_BIND, name, true, &files);
		for (size_t j = 0; j < files.n; j++) {
			const impact_pyfacts *f = facts_of(w, files.v[j]);
			for (size_t i = 0; f && i < f->nimports; i++) {
				const impact_import *imp = &f->imports[i];
				if (imp->kind != IMPACT_IMPORT_FROM || !imp->name || strcmp(imp->name, name) ||
				    (imp->flags & IMPACT_IMPORT_TYPE_CHECKING) ||
				    precise_module_file(w, files.v[j], imp->module, imp->level) != y)
					continue;
				ok = ok && add_holder(&holders, &names, files.v[j], imp->asname ? imp->asname : imp->name, why);
			}
		}
	}
	free(seen);
	impact_u32vec_release(&sm_files);
	impact_strlist_release(&sm_keys);
	impact_u32vec_release(&holders);
	impact_u32vec_release(&files);
	impact_strlist_release(&names);
	return ok;
}

/*
 * Of a module whose import-time fingerprint changed, are its data-only
 * assignments' values (IMPACT_SYMBOL_LITERAL: `__version__ = "1.2"`,
 * `LIMIT = 10`) all that changed outside function bodies, no name added,
 * removed or read by Python itself? Then they are appended to `syms` (of
 * the new side): running the module runs no other code than before, so
 * only the code reading those names sees a change, which the walk finds
 * as it finds a function's callers. Otherwise, when only values changed
 * but impact cannot see every reader, `why` says what stands in the way.
 */
bool precise_values_only(walker *w, uint32_t x, impact_u32vec *syms, const impact_pyfacts *of,
                         const impact_fnhashes *oh, const impact_pyfacts *nf, const impact_fnhashes *nh,
                         impact_buf *why)
{
	impact_u32vec vals = { 0 };
	bool ok;
	if (!oh->values || oh->values != nh->values || !nh->val || !oh->val)
		return false;
	for (size_t k = 0; k < nsyms(nf); k++)
		if (nh->val[k])
			impact_u32vec_push(&vals, (uint32_t)k);
	/* Less those whose value's tokens are the same on both sides. */
	precise_drop_same(&vals, of, oh->val, oh->n, nf, nh->val, nh->n);
	ok = vals.n > 0 && precise_values_readable(w, x, nf, &vals, why);
	for (size_t i = 0; i < vals.n && ok; i++)
		impact_u32vec_push(syms, vals.v[i]);
	impact_u32vec_release(&vals);
	return ok;
}

bool precise_values_readable(walker *w, uint32_t x, const impact_pyfacts *nf, const impact_u32vec *vals,
                             impact_buf *why)
{
	for (size_t i = 0; i < vals->n; i++)
		if (read_by_machinery(sym(nf, vals->v[i])->name)) {
			impact_buf_printf(why, "Python or pytest read %s by themselves", sym(nf, vals->v[i])->name);
			return false;
		}
	return values_seen(w, x, nf, vals, why);
}
