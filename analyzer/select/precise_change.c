/*
 * precise_change.c - one changed module, classified: import-time (its
 * module-level code, a signature, a decorator or a class body changed: a
 * module seed) or call-time (only function bodies: those functions become
 * the walk's first targets; or only the values of data-only assignments,
 * precise_values.c: those names become targets, their readers found as
 * callers are). Reads the old side by blob id, parses it
 * (through the cache, keeping what it parsed to store when the walk is
 * done), diffs the two sides and compares functions token by token so
 * that comments and layout change nothing. It decides where the walk
 * starts; it does not walk (precise_walk.c).
 */
#include "precise_private.h"

#include "fnhash.h"
#include "hunks.h"

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
void precise_store_kept(walker *w, impact_cache *cache)
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

/* "call-time change of f, g", "value change of X", or both joined by "; ". */
static void describe_change(impact_buf *why, const impact_pyfacts *f, const impact_u32vec *syms)
{
	impact_u32vec fns = { 0 }, vals = { 0 };
	for (size_t i = 0; i < syms->n; i++)
		impact_u32vec_push(sym(f, syms->v[i])->kind == IMPACT_SYMBOL_ASSIGN ? &vals : &fns, syms->v[i]);
	if (fns.n) {
		impact_buf_puts(why, "call-time change of ");
		name_list(why, f, &fns);
	}
	if (vals.n) {
		impact_buf_puts(why, fns.n ? "; value change of " : "value change of ");
		name_list(why, f, &vals);
	}
	impact_u32vec_release(&fns);
	impact_u32vec_release(&vals);
}

/*
 * Drop from `syms` (symbols of the new side) those whose fingerprint
 * (`nh`, per symbol of nf; `oh` per symbol of of, both n = the facts'
 * symbol counts; 0: none) equals that of the old side's symbol of the
 * same name (the same occurrence of it: a property's getter and setter
 * share a name).
 */
void precise_drop_same(impact_u32vec *syms, const impact_pyfacts *of, const uint64_t *oh, size_t on,
                       const impact_pyfacts *nf, const uint64_t *nh, size_t nn)
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
			same = j < on && k < nn && oh[j] && oh[j] == nh[k];
			break;
		}
		if (!same)
			syms->v[keep++] = k;
	}
	syms->n = keep;
}

/*
 * Add to `syms` the one-liners (`def f(x): return x`) of the new side
 * `nf` that changed lines `l` touch. Their lines are import-time to
 * impact_pyfacts_classify_lines, which works by whole lines, while their
 * bodies lie outside the module's fingerprint (fnhash.h): when that
 * fingerprint is unchanged, a touched one-liner is a call-time change
 * (drop_same_tokens then keeps those whose tokens differ).
 */
static void touched_one_liners(impact_u32vec *syms, const impact_pyfacts *nf, const impact_lines *l)
{
	for (size_t k = 0; k < nsyms(nf); k++) {
		const impact_symbol *s = sym(nf, (uint32_t)k);
		bool touched = false, have = false;
		if (!(s->flags & IMPACT_SYMBOL_ONE_LINER) ||
		    (s->kind != IMPACT_SYMBOL_FUNCTION && s->kind != IMPACT_SYMBOL_METHOD))
			continue;
		for (size_t r = 0; r < l->n && !touched; r++)
			touched = l->v[r][0] <= s->end_line && s->start_line <= l->v[r][1];
		for (size_t i = 0; touched && i < syms->n && !have; i++)
			have = syms->v[i] == (uint32_t)k;
		if (touched && !have)
			impact_u32vec_push(syms, (uint32_t)k);
	}
}

/*
 * Module x's import-time code changed only in plain functions' headers,
 * plain classes' docstrings and data-only values (fnhash.h: `sigs`), and
 * the walk can see who reads those values (precise_values.c)? Then they
 * are pushed onto `syms` (and `added`, `reheaded`), and x's values count
 * as changed (values_changed: records leave their readers to the walk).
 */
static bool only_headers(walker *w, uint32_t x, const impact_pyfacts *of, const impact_fnhashes *oh,
                         const impact_pyfacts *nf, const impact_fnhashes *nh, impact_u32vec *syms,
                         impact_u32vec *added, impact_u32vec *reheaded, impact_buf *why)
{
	impact_u32vec found = { 0 }, vals = { 0 };
	bool ok = impact_fnhashes_only_headers(of, oh, nf, nh, &found, added, reheaded);
	for (size_t i = 0; ok && i < found.n; i++)
		if (sym(nf, found.v[i])->kind == IMPACT_SYMBOL_ASSIGN)
			impact_u32vec_push(&vals, found.v[i]);
	if (ok && vals.n) {
		impact_buf_clear(why);
		ok = precise_values_readable(w, x, nf, &vals, why);
		w->values_changed[x] = ok;
	}
	for (size_t i = 0; ok && i < found.n; i++)
		if (!impact_u32vec_has(syms, found.v[i]))
			impact_u32vec_push(syms, found.v[i]);
	impact_u32vec_release(&found);
	impact_u32vec_release(&vals);
	return ok;
}

/*
 * One modified module: seed it (import-time) or make its changed
 * functions targets (call-time). Returns the note for --explain.
 */
char *precise_classify_change(walker *w, const impact_change *c, git_repository *repo,
                              impact_cache *cache, impact_pyparser **parser)
{
	const impact_project *p = w->p;
	uint32_t id = c->new_path ? impact_project_find(p, c->new_path) : NONE;
	impact_buf old_src = IMPACT_BUF_INIT, new_src = IMPACT_BUF_INIT, why = IMPACT_BUF_INIT;
	impact_buf values_why = IMPACT_BUF_INIT, values_note = IMPACT_BUF_INIT;
	impact_lines old_l = { 0 }, new_l = { 0 };
	impact_u32vec old_syms = { 0 }, new_syms = { 0 }, added = { 0 }, reheaded = { 0 };
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
	else if ((file->flags & IMPACT_PF_CONFTEST) || IMPACT_PF_ONLY_TEST(file->flags))
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
		/* Only data-only assignments' values: their readers, as callers of a function. */
		w->values_changed[id] = import_time && old_h.module != new_h.module &&
		                        precise_values_only(w, id, &new_syms, of, &old_h, nf, &new_h, &values_why);
		if (import_time && (old_h.module == new_h.module || w->values_changed[id] ||
		                    only_headers(w, id, of, &old_h, nf, &new_h, &new_syms, &added, &reheaded,
		                                 &values_why))) {
			import_time = false;
			touched_one_liners(&new_syms, nf, &new_l);
		}
		if (import_time)
			reason = "module-level code, a signature, a decorator or a class body changed";
		if (import_time && values_why.size) {
			/* Only values changed, but impact cannot see every reader: said. */
			impact_buf_printf(&values_note, "only values changed, but %s", values_why.ptr);
			reason = values_note.ptr;
		}
	}
	impact_error_clear();

	if ((file->flags & IMPACT_PF_CONFTEST) || IMPACT_PF_ONLY_TEST(file->flags)) {
		precise_make_seed(w, id, NONE);
	} else if (import_time) {
		precise_make_seed(w, id, NONE);
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
				precise_make_seed(w, id, NONE);
		}
		if (hashed)
			precise_drop_same(&new_syms, of, old_h.fn, old_h.n, nf, new_h.fn, new_h.n);
		if (!new_syms.n && !w->seed[id])
			impact_buf_puts(&why, "comments/layout only");
		else
			describe_change(&why, nf, &new_syms);
		for (size_t i = 0; i < new_syms.n; i++) {
			uint32_t node = node_of(w, id, new_syms.v[i]);
			const impact_symbol *s = sym(nf, new_syms.v[i]);
			if (w->hit[node])
				continue;
			w->hit[node] = 1;
			w->from[node] = NONE;
			w->hop[node] = 0;
			w->label[node] = impact_u32vec_has(&added, new_syms.v[i]) ? "added"
			                 : s->kind == IMPACT_SYMBOL_ASSIGN ? PRECISE_VALUE_CHANGED
			                 : impact_u32vec_has(&reheaded, new_syms.v[i])
			                     ? (s->kind == IMPACT_SYMBOL_CLASS ? "docstring changed" : "signature changed")
			                 : "body changed";
			w->any_hit[id] = true;
			if (s->flags & IMPACT_SYMBOL_CACHED)
				precise_note_cached(w, id, new_syms.v[i]);
			if ((s->flags & IMPACT_SYMBOL_DYNAMIC) || !strncmp(s->name, "pytest_", 7)) {
				precise_make_seed(w, id, NONE); /* called by name, or calls by name */
				continue;
			}
			precise_push_target(w, id, s->name, node);
			if (((s->flags & IMPACT_SYMBOL_DUNDER) || via_class(s->name)) &&
			    s->parent != IMPACT_SYMBOL_NONE)
				precise_push_target(w, id, sym(nf, s->parent)->name, node);
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
	impact_u32vec_release(&added);
	impact_u32vec_release(&reheaded);
	impact_buf_release(&values_why);
	impact_buf_release(&values_note);
	return why.size ? impact_buf_detach(&why) : (impact_buf_release(&why), NULL);
}
