/*
 * pytyping.c - local typing for the symbol walk (pysymbols.c): which class
 * a function's local name holds, when every way the function binds it
 * says the same class (`x = C(...)`, `x: C`, an annotated parameter,
 * `with C(...) as x`, an `isinstance(x, C)` guard), so that `x.m` is read
 * as C's `m` (an INST reference the precise walk resolves through C's
 * hierarchy) rather than every `m` of the project. Split from the walk so
 * that each stays one concern; pysymwalk.h is their shared state.
 */
#include "pysymwalk.h"

#include <ctype.h>


static bool ident_chars(const char *t, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.'))
			return false;
	return true;
}

/*
 * The class an annotation names, as written: a name or a chain, "C" as a
 * string, Optional[C], C | None; NULL for anything else (a union, a
 * generic, a protocol: no one class). An arena copy.
 */
const char *pyty_annotation_class(walker *w, TSNode n, unsigned depth)
{
	const char *type, *t;
	size_t len;
	uint8_t k;
	if (ts_node_is_null(n) || depth > 4)
		return NULL;
	type = ts_node_type(n);
	k = kind_of(w, n);
	if (!strcmp(type, "type") || k == K_PAREN)
		return pyty_annotation_class(w, ts_node_named_child(n, 0), depth + 1);
	if (k == K_IDENTIFIER || k == K_ATTRIBUTE) {
		if (!pysw_object_text(w, n))
			return NULL;
		return arena_strndup(w->arena, w->text.ptr, w->text.size);
	}
	if (k == K_STRING) {
		t = node_text(w, n, &len);
		while (len && (t[len - 1] == '"' || t[len - 1] == '\''))
			len--;
		while (len && (*t == '"' || *t == '\''))
			t++, len--;
		return ident_chars(t, len) ? arena_strndup(w->arena, t, len) : NULL;
	}
	if (!strcmp(type, "subscript") && ts_node_named_child_count(n) == 2) {
		/* Optional[C] */
		TSNode v = ts_node_named_child(n, 0);
		if (!pysw_object_text(w, v) || strcmp(pysw_last_dot(w->text.ptr), "Optional"))
			return NULL;
		return pyty_annotation_class(w, ts_node_named_child(n, 1), depth + 1);
	}
	if (k == K_BINARY) {
		/* C | None, None | C */
		TSNode l = ts_node_child_by_field_id(n, w->p->f_left), r = ts_node_child_by_field_id(n, w->p->f_right);
		TSNode op = ts_node_child_by_field_id(n, w->p->f_operator);
		if (ts_node_is_null(l) || ts_node_is_null(r) || ts_node_is_null(op))
			return NULL;
		t = node_text(w, op, &len);
		if (len != 1 || *t != '|')
			return NULL;
		if (kind_of(w, r) == K_NONE)
			return pyty_annotation_class(w, l, depth + 1);
		if (kind_of(w, l) == K_NONE)
			return pyty_annotation_class(w, r, depth + 1);
	}
	return NULL;
}

/* `C(...)` or `mod.C(...)`: the callee as written (the walk decides whether it is a class). */
static const char *call_class(walker *w, TSNode n)
{
	if (ts_node_is_null(n) || kind_of(w, n) != K_CALL)
		return NULL;
	if (!pysw_object_text(w, ts_node_child_by_field_id(n, w->p->f_function)))
		return NULL;
	return arena_strndup(w->arena, w->text.ptr, w->text.size);
}

bool pyty_typing_scope(const sctx *c)
{
	return c->in_function && c->owner != IMPACT_SYMBOL_NONE;
}

void pyty_bind_name(symwalk *sw, uint32_t owner, const char *name, size_t len, const char *cls, bool param)
{
	tbind b;
	b.owner = owner;
	b.name = arena_strndup(sw->w->arena, name, len);
	b.cls = cls;
	b.param = param;
	IMPACT_PUSH(sw->binds, sw->nbinds, sw->abinds, b);
}

/* Every identifier under `n` is bound by something that says no class. */
void pyty_bind_untyped(symwalk *sw, uint32_t owner, TSNode n, unsigned depth)
{
	walker *w = sw->w;
	if (ts_node_is_null(n) || depth > 64)
		return;
	if (kind_of(w, n) == K_IDENTIFIER) {
		size_t len;
		const char *t = node_text(w, n, &len);
		pyty_bind_name(sw, owner, t, len, NULL, false);
		return;
	}
	for (uint32_t i = 0, m = ts_node_named_child_count(n); i < m; i++)
		pyty_bind_untyped(sw, owner, ts_node_named_child(n, i), depth + 1);
}

/* An assignment in a function: `x = C(...)`, `x: C = ...` type x; anything else binds untyped. */
void pyty_bind_assignment(symwalk *sw, const sctx *c, TSNode n, bool aug)
{
	walker *w = sw->w;
	TSNode left = ts_node_child_by_field_id(n, w->p->f_left);
	uint8_t k;
	if (ts_node_is_null(left))
		return;
	k = kind_of(w, left);
	if (k == K_ATTRIBUTE || !strcmp(ts_node_type(left), "subscript"))
		return; /* x.a = ..., x[i] = ...: x itself is not rebound */
	if (k == K_IDENTIFIER && !aug) {
		TSNode type = ts_node_child_by_field_id(n, w->p->f_type);
		const char *cls = ts_node_is_null(type)
			? call_class(w, ts_node_child_by_field_id(n, w->p->f_right))
			: pyty_annotation_class(w, type, 0);
		size_t len;
		const char *t = node_text(w, left, &len);
		pyty_bind_name(sw, c->owner, t, len, cls, false);
		return;
	}
	pyty_bind_untyped(sw, c->owner, left, 0);
}

/* Other ways a function binds names (loops, with/except/match targets, walrus, global, imports). */
void pyty_bind_other(symwalk *sw, const sctx *c, TSNode n)
{
	walker *w = sw->w;
	const char *type = ts_node_type(n);
	uint8_t k = kind_of(w, n);
	if (k == K_FOR || !strcmp(type, "for_in_clause")) {
		pyty_bind_untyped(sw, c->owner, ts_node_child_by_field_id(n, w->p->f_left), 0);
	} else if (!strcmp(type, "named_expression")) {
		pyty_bind_untyped(sw, c->owner, ts_node_child_by_field_id(n, w->p->f_name), 0);
	} else if (!strcmp(type, "as_pattern")) {
		/* `with C(...) as x`: x is what C's __enter__ returns, taken to be the instance. */
		uint32_t m = ts_node_named_child_count(n);
		TSNode value = ts_node_named_child(n, 0), alias = m > 1 ? ts_node_named_child(n, m - 1) : value;
		TSNode parent = ts_node_parent(n);
		const char *cls = !ts_node_is_null(parent) && !strcmp(ts_node_type(parent), "with_item")
			? call_class(w, value) : NULL;
		if (m > 1 && !strcmp(ts_node_type(alias), "as_pattern_target") &&
		    ts_node_named_child_count(alias) == 1 && kind_of(w, ts_node_named_child(alias, 0)) == K_IDENTIFIER) {
			size_t len;
			const char *t = node_text(w, ts_node_named_child(alias, 0), &len);
			pyty_bind_name(sw, c->owner, t, len, cls, false);
		} else if (m > 1) {
			pyty_bind_untyped(sw, c->owner, alias, 0);
		}
	} else if (!strcmp(type, "except_clause") || !strcmp(type, "except_group_clause")) {
		for (uint32_t i = 1, m = ts_node_named_child_count(n); i < m; i++) {
			TSNode ch = ts_node_named_child(n, i);
			if (kind_of(w, ch) == K_IDENTIFIER)
				pyty_bind_untyped(sw, c->owner, ch, 0);
		}
	} else if (!strcmp(type, "case_pattern") || k == K_GLOBAL || k == K_NONLOCAL || k == K_IMPORT ||
	           k == K_IMPORT_FROM || !strcmp(type, "delete_statement")) {
		pyty_bind_untyped(sw, c->owner, n, 0);
	}
}

/* `isinstance(x, C)`: a new guard typing x as C (index in sw->guards), or NONE. */
uint32_t pyty_isinstance_guard(symwalk *sw, TSNode cond, uint32_t parent)
{
	walker *w = sw->w;
	TSNode fn, args, a0, a1;
	size_t len;
	const char *t;
	tguard g;
	if (ts_node_is_null(cond) || kind_of(w, cond) != K_CALL)
		return IMPACT_SYMBOL_NONE;
	fn = ts_node_child_by_field_id(cond, w->p->f_function);
	args = ts_node_child_by_field_id(cond, w->p->f_arguments);
	if (ts_node_is_null(fn) || ts_node_is_null(args) || kind_of(w, fn) != K_IDENTIFIER ||
	    ts_node_named_child_count(args) != 2)
		return IMPACT_SYMBOL_NONE;
	t = node_text(w, fn, &len);
	if (len != 10 || memcmp(t, "isinstance", 10))
		return IMPACT_SYMBOL_NONE;
	a0 = ts_node_named_child(args, 0);
	a1 = ts_node_named_child(args, 1);
	if (kind_of(w, a0) != K_IDENTIFIER || !pysw_object_text(w, a1))
		return IMPACT_SYMBOL_NONE;
	g.cls = arena_strndup(w->arena, w->text.ptr, w->text.size);
	t = node_text(w, a0, &len);
	g.name = arena_strndup(w->arena, t, len);
	g.parent = parent;
	IMPACT_PUSH(sw->guards, sw->nguards, sw->aguards, g);
	return (uint32_t)(sw->nguards - 1);
}

/* Push an if statement's parts, its consequence under guard `g`. */
void pyty_push_guarded(symwalk *sw, TSNode n, const sctx *like, uint32_t g)
{
	sctx gc = *like;
	gc.guard = g;
	pysw_push_children_as(sw, n, like, sw->w->p->f_consequence, &gc);
}

/* A chain `head.m...` read in a function (reference `ref`): a candidate for typing. */
void pyty_typing_candidate(symwalk *sw, const sctx *c, uint32_t ref, const char *head, size_t hlen)
{
	tcand k;
	if (ref == UINT32_MAX || (hlen == 4 && !memcmp(head, "self", 4)) || (hlen == 3 && !memcmp(head, "cls", 3)))
		return;
	k.ref = ref;
	k.owner = c->owner;
	k.head = arena_strndup(sw->w->arena, head, hlen);
	k.guard = NULL;
	for (uint32_t g = c->guard; g != IMPACT_SYMBOL_NONE && !k.guard; g = sw->guards[g].parent)
		if (!strcmp(sw->guards[g].name, k.head))
			k.guard = sw->guards[g].cls;
	IMPACT_PUSH(sw->cands, sw->ncands, sw->acands, k);
}

static int cmp_bind(const void *a, const void *b)
{
	const tbind *x = a, *y = b;
	if (x->owner != y->owner)
		return x->owner < y->owner ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_cand(const void *a, const void *b)
{
	const tcand *x = a, *y = b;
	return x->ref < y->ref ? -1 : x->ref > y->ref;
}

/* The class candidate `k` has (NULL: unknown), from the bindings (sorted). */
static const char *cand_class(const symwalk *sw, const tcand *k)
{
	size_t lo = 0, hi = sw->nbinds;
	const char *cls = NULL;
	tbind key;
	key.owner = k->owner;
	key.name = k->head;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_bind(&sw->binds[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (k->guard) {
		/* A guard holds when the function binds the name as a parameter only. */
		for (size_t i = lo; i < sw->nbinds && !cmp_bind(&sw->binds[i], &key); i++)
			if (!sw->binds[i].param)
				return NULL;
		return k->guard;
	}
	for (size_t i = lo; i < sw->nbinds && !cmp_bind(&sw->binds[i], &key); i++) {
		if (!sw->binds[i].cls || (cls && strcmp(cls, sw->binds[i].cls)))
			return NULL;
		cls = sw->binds[i].cls;
	}
	return cls;
}

/* Candidates whose every use has one class become INST references "C:m...". */
void pyty_resolve_typing(symwalk *sw)
{
	impact_pyfacts *f = sw->w->facts;
	impact_buf b = IMPACT_BUF_INIT;
	if (sw->nbinds > 1) /* (qsort's base may not be NULL, even for none) */
		qsort(sw->binds, sw->nbinds, sizeof(*sw->binds), cmp_bind);
	if (sw->ncands > 1)
		qsort(sw->cands, sw->ncands, sizeof(*sw->cands), cmp_cand);
	for (size_t i = 0; i < sw->ncands;) {
		size_t j = i;
		const char *cls = cand_class(sw, &sw->cands[i]);
		for (j = i + 1; j < sw->ncands && sw->cands[j].ref == sw->cands[i].ref; j++) {
			const char *o = cls ? cand_class(sw, &sw->cands[j]) : NULL;
			if (!o || strcmp(o, cls))
				cls = NULL;
		}
		if (cls && sw->cands[i].ref < f->nrefs) {
			impact_symref *r = &f->refs[sw->cands[i].ref];
			const char *rest = r->text + strlen(sw->cands[i].head);
			if ((r->kind == IMPACT_SYMREF_CHAIN && *rest == '.') ||
			    (r->kind == IMPACT_SYMREF_GETATTR && (*rest == '.' || *rest == '\t' || !*rest))) {
				/* getattr's names (after a tab) stay as they are. */
				impact_buf_clear(&b);
				impact_buf_puts(&b, cls);
				impact_buf_putc(&b, ':');
				impact_buf_puts(&b, *rest == '.' ? rest + 1 : rest);
				r->text = arena_strndup(sw->w->arena, b.ptr, b.size);
				if (r->kind == IMPACT_SYMREF_CHAIN)
					r->kind = IMPACT_SYMREF_INST;
			}
		}
		i = j;
	}
	impact_buf_release(&b);
	sw->nbinds = sw->ncands = sw->nguards = 0;
}
