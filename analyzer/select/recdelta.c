/*
 * recdelta.c - the records' view of a change (recdelta.h): per changed
 * Python module, both sides' fingerprints (from the parse cache when it
 * has them), compared function by function; per other file, its path.
 * Decides nothing about tests: that is recselect.c.
 */
#include "recdelta.h"

#include "fnhash.h"
#include "path.h"

/* Records usable only when a tree R is this close to A. */
#define MAX_STALE_MODULES 500

/* The fingerprints of one side of a Python file, or !ok when unreadable. */
typedef struct side {
	bool ok;
	impact_pyfacts *facts;
	impact_fnhashes h;
	const impact_buf *src; /* borrowed: for the token fingerprints, when needed */
} side;

/*
 * Facts of blob `oid` (when known) from the parse cache, else parsed:
 * the static walk has usually cached both sides already, and a parse of a
 * large module costs more than the rest of the records' work.
 */
static void side_read(side *s, impact_pyparser *parser, impact_cache *cache, const git_oid *oid,
                      const impact_buf *src)
{
	impact_buf bytes = IMPACT_BUF_INIT;
	memset(s, 0, sizeof(*s));
	if (cache && oid && impact_cache_get(cache, oid, &bytes) == 0 &&
	    impact_pyfacts_decode(&s->facts, bytes.ptr, bytes.size) == 0) {
		impact_buf_release(&bytes);
	} else {
		impact_buf_release(&bytes);
		if (impact_pyfacts_extract(&s->facts, parser, src->ptr ? src->ptr : "", src->size) < 0)
			return;
	}
	if (s->facts->flags & (IMPACT_PYFACTS_TOO_LARGE | IMPACT_PYFACTS_SYNTAX_ERROR))
		return;
	impact_fnhashes_compute(&s->h, src->ptr ? src->ptr : "", src->size, s->facts);
	s->src = src;
	s->ok = true;
}

static void side_release(side *s)
{
	impact_pyfacts_free(s->facts);
	impact_fnhashes_release(&s->h);
}

static int blob_of(impact_buf *out, git_oid *oid, git_repository *repo, const git_tree *tree,
                   const char *path)
{
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc;
	if (!tree)
		return IMPACT_ENOTFOUND;
	if ((rc = git_tree_entry_bypath(&e, tree, path)) < 0)
		return rc == GIT_ENOTFOUND ? IMPACT_ENOTFOUND : impact_error_from_git(rc, "cannot read '%s'", path);
	git_oid_cpy(oid, git_tree_entry_id(e));
	if ((rc = git_blob_lookup(&blob, repo, git_tree_entry_id(e))) == 0)
		impact_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	git_tree_entry_free(e);
	return rc < 0 ? impact_error_from_git(rc, "cannot read '%s'", path) : 0;
}

void impact_recdelta_init(impact_recdelta *d)
{
	memset(d, 0, sizeof(*d));
	d->funcs = json_object();
	d->files = json_object();
}

void impact_recdelta_release(impact_recdelta *d)
{
	json_decref(d->funcs);
	json_decref(d->files);
	impact_u32vec_release(&d->seeds);
	impact_u32vec_release(&d->hard);
	impact_u32vec_release(&d->soft);
}

static void mark(json_t *set, const char *path, const char *qual)
{
	impact_buf k = IMPACT_BUF_INIT;
	impact_buf_printf(&k, "%s\n%s", path, qual);
	json_object_set_new(set, k.ptr, json_true());
	impact_buf_release(&k);
}

/* `path` changed at import time; `soft` when module sets may rule it out (recmods.h). */
void impact_recdelta_seed(impact_recdelta *d, const impact_project *p, const char *path,
                          bool soft)
{
	uint32_t id = path ? impact_project_find(p, path) : IMPACT_STRPOOL_NONE;
	if (id == IMPACT_STRPOOL_NONE)
		return;
	impact_u32vec_push(&d->seeds, id);
	impact_u32vec_push(soft ? &d->soft : &d->hard, id);
}

static void seed(impact_recdelta *d, const impact_project *p, const char *path)
{
	impact_recdelta_seed(d, p, path, false);
}

/* Every function of a side as changed (a side that is gone or replaced). */
static void mark_all(impact_recdelta *d, const char *path, const side *s)
{
	mark(d->funcs, path, IMPACT_FNHASH_MODULE);
	for (size_t i = 0; s->ok && i < s->facts->nsymbols; i++)
		if (s->h.fn[i])
			mark(d->funcs, path, s->facts->symbols[i].name);
}

/*
 * Do sides `a` and `b` (both read) differ at import time only in plain
 * functions' headers, or plain functions added (fnhash.h)? Then the
 * change is call-time, as the static walk has it (precise_change.c):
 * their functions' fingerprints tell the rest. A class's docstring or a
 * value is in no function's: that stays import-time here.
 */
static bool only_headers(const side *a, const side *b)
{
	impact_fnhashes ta, tb;
	impact_u32vec syms = { 0 }, added = { 0 }, reheaded = { 0 };
	bool only;
	impact_fnhashes_compute_tokens(&ta, a->src->ptr ? a->src->ptr : "", a->src->size, a->facts);
	impact_fnhashes_compute_tokens(&tb, b->src->ptr ? b->src->ptr : "", b->src->size, b->facts);
	only = ta.module == tb.module ||
	       impact_fnhashes_only_headers(a->facts, &ta, b->facts, &tb, &syms, &added, &reheaded);
	/*
	 * A class's docstring or a value is in no function a record holds:
	 * import-time here (recselect.c then leaves values' readers to the
	 * static walk, as impact_precise.values_changed says).
	 */
	for (size_t i = 0; only && i < syms.n; i++)
		only = b->facts->symbols[syms.v[i]].kind == IMPACT_SYMBOL_FUNCTION ||
		       b->facts->symbols[syms.v[i]].kind == IMPACT_SYMBOL_METHOD;
	impact_fnhashes_release(&ta);
	impact_fnhashes_release(&tb);
	impact_u32vec_release(&syms);
	impact_u32vec_release(&added);
	impact_u32vec_release(&reheaded);
	return only;
}

/* Compare the two sides of a Python module at `path`. */
static void compare(impact_recdelta *d, const impact_project *p, const char *path, const side *a,
                    const side *b)
{
	if (!a->ok || !b->ok || (a->h.module != b->h.module && !only_headers(a, b))) {
		impact_recdelta_seed(d, p, path, a->ok && b->ok);
		mark(d->funcs, path, IMPACT_FNHASH_MODULE);
	}
	if (!a->ok || !b->ok) {
		mark_all(d, path, a);
		mark_all(d, path, b);
		return;
	}
	for (size_t i = 0; i < a->facts->nsymbols; i++) {
		bool same = false;
		if (!a->h.fn[i])
			continue;
		for (size_t k = 0; k < b->facts->nsymbols && !same; k++)
			same = b->h.fn[k] == a->h.fn[i] &&
			       !strcmp(b->facts->symbols[k].name, a->facts->symbols[i].name);
		if (!same)
			mark(d->funcs, path, a->facts->symbols[i].name);
	}
	for (size_t k = 0; k < b->facts->nsymbols; k++)
		if (b->h.fn[k])
			for (size_t i = 0, found = 0; !found; i++) {
				if (i == a->facts->nsymbols) {
					mark(d->funcs, path, b->facts->symbols[k].name);
					break;
				}
				found = !strcmp(a->facts->symbols[i].name, b->facts->symbols[k].name);
			}
}

static int read_side(impact_buf *out, git_oid *oid, const impact_recreader *r, const char *path)
{
	if (r->snap) {
		const impact_entry *e = impact_snapshot_find(r->snap, path);
		if (e)
			git_oid_cpy(oid, &e->oid);
		else
			memset(oid, 0, sizeof(*oid));
		return impact_snapshot_reader(out, path, r->snap);
	}
	return blob_of(out, oid, r->repo, r->tree, path);
}

/* One changed path (old_path on the old side, new_path on the new). */
void impact_recdelta_add(impact_recdelta *d, const impact_project *p, impact_pyparser *parser,
                      const impact_recreader *ra, const impact_recreader *rb, const char *old_path,
                      const char *new_path)
{
	bool old_py = old_path && impact_path_has_suffix(old_path, ".py");
	bool new_py = new_path && impact_path_has_suffix(new_path, ".py");
	impact_buf a = IMPACT_BUF_INIT, b = IMPACT_BUF_INIT;
	git_oid oa, ob;
	side sa = { 0 }, sb = { 0 };
	bool ha, hb;

	if (old_path && !old_py)
		json_object_set_new(d->files, old_path, json_true());
	if (new_path && !new_py)
		json_object_set_new(d->files, new_path, json_true());
	if (!old_py && !new_py)
		return;
	ha = old_py && read_side(&a, &oa, ra, old_path) == 0;
	hb = new_py && read_side(&b, &ob, rb, new_path) == 0;
	if (ha)
		side_read(&sa, parser, ra->cache, git_oid_is_zero(&oa) ? NULL : &oa, &a);
	if (hb)
		side_read(&sb, parser, rb->cache, git_oid_is_zero(&ob) ? NULL : &ob, &b);
	if (ha && hb && !strcmp(old_path, new_path)) {
		compare(d, p, new_path, &sa, &sb);
	} else {
		/* Added, deleted, renamed: import-time on both sides, every function changed. */
		if (old_py) {
			seed(d, p, old_path);
			mark_all(d, old_path, &sa);
		}
		if (new_py) {
			seed(d, p, new_path);
			mark_all(d, new_path, &sb);
		}
	}
	side_release(&sa);
	side_release(&sb);
	impact_buf_release(&a);
	impact_buf_release(&b);
}

/* The impact_recdelta between two trees (R and A), for records made on R. */
void impact_recdelta_trees(impact_recdelta *d, git_repository *repo, const impact_project *p,
                       impact_pyparser *parser, impact_cache *cache, const git_tree *r,
                       const git_tree *a)
{
	git_diff *diff = NULL;
	git_diff_options o;
	impact_recreader ra = { repo, r, NULL, cache }, rb = { repo, a, NULL, cache };
	size_t npy = 0;
	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	if (git_diff_tree_to_tree(&diff, repo, (git_tree *)r, (git_tree *)a, &o) < 0) {
		d->failed = true;
		return;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff) && !d->failed; i++) {
		const git_diff_delta *dd = git_diff_get_delta(diff, i);
		const char *op = dd->status == GIT_DELTA_ADDED ? NULL : dd->old_file.path;
		const char *np = dd->status == GIT_DELTA_DELETED ? NULL : dd->new_file.path;
		if (++npy > MAX_STALE_MODULES)
			d->failed = true;
		else
			impact_recdelta_add(d, p, parser, &ra, &rb, op, np);
	}
	git_diff_free(diff);
}
