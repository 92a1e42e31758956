/*
 * pysymbols.c - the symbols and references precise selection reads (see
 * pyimports.h; the walk for imports is pyimports.c, the extraction entry
 * that runs both is pyextract.c). What a function's lines are, what it
 * names, which class it belongs to: one pass over the tree per piece; and
 * which symbols a set of changed lines falls in.
 */
#include "pysymwalk.h"

#include <ctype.h>

const char *pysw_last_dot(const char *s)
{
	const char *d = strrchr(s, '.');
	return d ? d + 1 : s;
}

/* ---- symbols and references (precise selection) ------------------------ */

static uint32_t row1(TSPoint p)
{
	return p.row + 1;
}

/* Last row a node covers (an end at column 0 belongs to the row before). */
static uint32_t end_row1(TSNode n)
{
	TSPoint e = ts_node_end_point(n), s = ts_node_start_point(n);
	if (e.column == 0 && e.row > s.row)
		return e.row;
	return e.row + 1;
}

static uint64_t ref_hash(uint32_t owner, uint8_t kind, const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull ^ owner ^ ((uint64_t)kind << 40);
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static void sw_rehash(symwalk *sw);

static uint32_t add_ref(symwalk *sw, uint32_t owner, uint8_t kind, const char *text, size_t len)
{
	impact_pyfacts *f = sw->w->facts;
	uint64_t h;
	size_t mask;
	impact_symref r;

	if (!len || len > 4096)
		return UINT32_MAX;
	if ((sw->nseen + 1) * 2 > sw->nseen_buckets)
		sw_rehash(sw);
	mask = sw->nseen_buckets - 1;
	h = ref_hash(owner, kind, text, len) & mask;
	while (sw->seen[h] != UINT32_MAX) {
		const impact_symref *o = &f->refs[sw->seen[h]];
		if (o->symbol == owner && o->kind == kind && !strncmp(o->text, text, len) && !o->text[len])
			return sw->seen[h];
		h = (h + 1) & mask;
	}
	r.text = arena_strndup(sw->w->arena, text, len);
	r.symbol = owner;
	r.kind = kind;
	IMPACT_PUSH(f->refs, f->nrefs, sw->arefs, r);
	sw->seen[h] = (uint32_t)(f->nrefs - 1);
	sw->nseen++;
	return sw->seen[h];
}

static void sw_rehash(symwalk *sw)
{
	impact_pyfacts *f = sw->w->facts;
	size_t nb = sw->nseen_buckets ? sw->nseen_buckets * 2 : 256;
	while (nb < 2 * (f->nrefs + 1))
		nb *= 2;
	free(sw->seen);
	sw->seen = impact_xmalloc(nb * sizeof(uint32_t));
	memset(sw->seen, 0xff, nb * sizeof(uint32_t));
	sw->nseen_buckets = nb;
	sw->nseen = 0;
	for (size_t i = 0; i < f->nrefs; i++) {
		const impact_symref *r = &f->refs[i];
		size_t h = ref_hash(r->symbol, r->kind, r->text, strlen(r->text)) & (nb - 1);
		while (sw->seen[h] != UINT32_MAX)
			h = (h + 1) & (nb - 1);
		sw->seen[h] = (uint32_t)i;
		sw->nseen++;
	}
}

void pysw_push(symwalk *sw, TSNode n, const sctx *like)
{
	sctx c;
	if (ts_node_is_null(n))
		return;
	c = *like;
	c.node = n;
	IMPACT_PUSH(sw->stack, sw->n, sw->alloc, c);
}

/*
 * Push the named children of `n` (last first, so they pop in order).
 * Through a cursor: ts_node_named_child(n, k) walks k siblings, which
 * would make a module of 70000 top-level lines quadratic.
 */
void pysw_push_children_as(symwalk *sw, TSNode n, const sctx *like, TSFieldId field,
                           const sctx *alt)
{
	TSTreeCursor cur;
	size_t first = sw->n;
	if (!ts_node_child_count(n))
		return;
	cur = ts_tree_cursor_new(n);
	if (ts_tree_cursor_goto_first_child(&cur)) {
		do {
			TSNode ch = ts_tree_cursor_current_node(&cur);
			if (ts_node_is_named(ch))
				pysw_push(sw, ch, field && ts_tree_cursor_current_field_id(&cur) == field ? alt : like);
		} while (ts_tree_cursor_goto_next_sibling(&cur));
	}
	ts_tree_cursor_delete(&cur);
	/* Reverse what was pushed. */
	for (size_t a = first, b = sw->n; b > a + 1; a++, b--) {
		sctx t = sw->stack[a];
		sw->stack[a] = sw->stack[b - 1];
		sw->stack[b - 1] = t;
	}
}

static void sw_push_children(symwalk *sw, TSNode n, const sctx *like)
{
	pysw_push_children_as(sw, n, like, 0, NULL);
}

static uint32_t add_symbol(symwalk *sw, const sctx *c, TSNode n, uint8_t kind, const char *name,
                           size_t len)
{
	impact_pyfacts *f = sw->w->facts;
	impact_symbol s = { 0 };
	impact_buf_clear(&sw->name);
	if (c->cls != IMPACT_SYMBOL_NONE) {
		impact_buf_puts(&sw->name, f->symbols[c->cls].name);
		impact_buf_putc(&sw->name, '.');
	}
	impact_buf_put(&sw->name, name, len);
	s.name = arena_strndup(sw->w->arena, sw->name.ptr, sw->name.size);
	s.parent = c->cls;
	s.def_line = row1(ts_node_start_point(n));
	s.start_line = c->start_row != UINT32_MAX ? c->start_row + 1 : s.def_line;
	s.end_line = end_row1(n);
	s.kind = kind;
	if (len > 4 && !memcmp(name, "__", 2) && !memcmp(name + len - 2, "__", 2))
		s.flags |= IMPACT_SYMBOL_DUNDER;
	IMPACT_PUSH(f->symbols, f->nsymbols, sw->asyms, s);
	return (uint32_t)(f->nsymbols - 1);
}

static void mark_symbol_dynamic(symwalk *sw, uint32_t owner)
{
	if (owner == IMPACT_SYMBOL_NONE)
		sw->w->facts->flags |= IMPACT_PYFACTS_DYNAMIC_CODE;
	else
		sw->w->facts->symbols[owner].flags |= IMPACT_SYMBOL_DYNAMIC;
}

void pysw_mark_dynamic(symwalk *sw, uint32_t owner)
{
	mark_symbol_dynamic(sw, owner);
}

uint32_t pysw_add_ref(symwalk *sw, uint32_t owner, uint8_t kind, const char *text, size_t len)
{
	return add_ref(sw, owner, kind, text, len);
}

/*
 * The text of a name or a chain of names (`self`, `mod.handlers`) into
 * w->text; false for anything else (a call, a subscript, a literal).
 */
bool pysw_object_text(walker *w, TSNode n)
{
	TSNode parts[16];
	size_t np = 0, len;
	const char *t;
	n = pyi_unsplat(n);
	if (ts_node_is_null(n))
		return false;
	while (kind_of(w, n) == K_ATTRIBUTE && np < 16) {
		parts[np++] = ts_node_child_by_field_id(n, w->p->f_attribute);
		n = ts_node_child_by_field_id(n, w->p->f_object);
		if (ts_node_is_null(n) || ts_node_is_null(parts[np - 1]))
			return false;
		n = pyi_unsplat(n);
	}
	if (kind_of(w, n) != K_IDENTIFIER)
		return false;
	t = node_text(w, n, &len);
	impact_buf_clear(&w->text);
	impact_buf_put(&w->text, t, len);
	for (size_t k = np; k-- > 0;) {
		t = node_text(w, parts[k], &len);
		impact_buf_putc(&w->text, '.');
		impact_buf_put(&w->text, t, len);
	}
	return true;
}


/* A call that can reach code by a computed name. */
static void check_dynamic_call(symwalk *sw, TSNode call, uint32_t owner)
{
	walker *w = sw->w;
	TSNode args = ts_node_child_by_field_id(call, w->p->f_arguments);
	size_t len;
	const char *t = pyd_last_name(w, ts_node_child_by_field_id(call, w->p->f_function), &len);
	if (!t)
		return;
#define IS(s) (len == sizeof(s) - 1 && !memcmp(t, s, len))
	if (IS("exec") || IS("eval")) {
		/* A literal string is read as code; anything else may run anything. */
		TSNode a = ts_node_is_null(args) ? args : ts_node_named_child(args, 0);
		sctx like = { 0 };
		like.owner = owner;
		like.cls = like.param_of = like.guard = IMPACT_SYMBOL_NONE;
		like.in_function = owner != IMPACT_SYMBOL_NONE;
		if (ts_node_is_null(a) || !pycs_read_code_string(sw, a, &like))
			mark_symbol_dynamic(sw, owner);
	} else if (IS("globals") || IS("locals") || IS("vars")) {
		/*
		 * globals(): the module's own names; vars(obj): obj's attributes,
		 * as getattr(obj, name); locals() and vars(): the function's own
		 * locals, which it names anyway.
		 */
		TSNode a = ts_node_is_null(args) ? args : ts_node_named_child(args, 0);
		if (IS("globals"))
			add_ref(sw, owner, IMPACT_SYMREF_GETATTR, "globals()", 9);
		else if (IS("vars") && !ts_node_is_null(a) && pysw_object_text(w, a)) {
			/* "vars x": an instance's __dict__ unless x names a module. */
			impact_buf_clear(&w->alias);
			impact_buf_puts(&w->alias, "vars ");
			impact_buf_put(&w->alias, w->text.ptr, w->text.size);
			add_ref(sw, owner, IMPACT_SYMREF_GETATTR, w->alias.ptr, w->alias.size);
		} else if (IS("vars") && !ts_node_is_null(a))
			add_ref(sw, owner, IMPACT_SYMREF_GETATTR, "vars ?", 6);
		if (owner == IMPACT_SYMBOL_NONE)
			mark_symbol_dynamic(sw, owner);
	} else if (IS("getattr") || IS("hasattr") || IS("setattr") || IS("delattr")) {
		/* An attribute by name: of its object only (pynames.c). */
		pyn_attr_call(sw, call, owner, IS("getattr"));
	} else if (IS("usefixtures") || IS("getfixturevalue") || IS("getfuncargvalue")) {
		pyd_request_fixtures(sw, args, owner);
	} else if (IS("import_module") || IS("__import__")) {
		TSNode a = ts_node_is_null(args) ? args : ts_node_named_child(args, 0);
		if (ts_node_is_null(a) || kind_of(w, a) == K_STRING || kind_of(w, a) == K_CONCAT_STRING ||
		    kind_of(w, a) == K_KEYWORD_ARGUMENT)
			return;
		mark_symbol_dynamic(sw, owner);
	}
#undef IS
}

/*
 * `if __name__ == "__main__":` (either side, either quote): its block runs
 * when the module is run as a script, never when it is imported.
 */
static bool is_main_guard(walker *w, TSNode cond)
{
	static const char *const forms[] = {
		"__name__==\"__main__\"", "__name__=='__main__'",
		"\"__main__\"==__name__", "'__main__'==__name__",
	};
	size_t len, k = 0;
	const char *t;
	char buf[32];
	if (ts_node_is_null(cond))
		return false;
	t = node_text(w, cond, &len);
	for (size_t i = 0; i < len; i++) {
		if (t[i] == ' ' || t[i] == '\t')
			continue;
		if (k + 1 >= sizeof(buf))
			return false;
		buf[k++] = t[i];
	}
	buf[k] = '\0';
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(forms); i++)
		if (!strcmp(buf, forms[i]))
			return true;
	return false;
}

/* Push an if statement's parts but its consequence (a __main__ block). */
static void push_but_consequence(symwalk *sw, TSNode n, const sctx *like)
{
	TSTreeCursor cur;
	size_t first = sw->n;
	cur = ts_tree_cursor_new(n);
	if (ts_tree_cursor_goto_first_child(&cur)) {
		do {
			TSNode ch = ts_tree_cursor_current_node(&cur);
			if (ts_node_is_named(ch) &&
			    ts_tree_cursor_current_field_id(&cur) != sw->w->p->f_consequence)
				pysw_push(sw, ch, like);
		} while (ts_tree_cursor_goto_next_sibling(&cur));
	}
	ts_tree_cursor_delete(&cur);
	for (size_t a = first, b = sw->n; b > a + 1; a++, b--) {
		sctx t = sw->stack[a];
		sw->stack[a] = sw->stack[b - 1];
		sw->stack[b - 1] = t;
	}
}



/*
 * An attribute of what a class call made (`Console(file=f).print(...)`):
 * an INST reference "Console:print", as for a local `x = Console(...)`
 * (pytyping.c), so precise.c reads `print` as the class's when Console is
 * a class of the repository, and as any `print` otherwise. Only a callee
 * named like a class (CapWords: a capital, then a lowercase letter
 * somewhere) is taken: `factory().m` keeps its name-wide ATTR. `parts`
 * are the attributes, outermost first. Pushes the call to be walked.
 */
static bool instance_of_call(symwalk *sw, TSNode call, const TSNode *parts, size_t np,
                             const sctx *c)
{
	walker *w = sw->w;
	TSNode fn = ts_node_child_by_field_id(call, w->p->f_function);
	const char *last;
	bool lower = false;
	for (size_t k = 0; k < np; k++)
		if (ts_node_is_null(parts[k]))
			return false;
	if (ts_node_is_null(fn) || !pysw_object_text(w, fn))
		return false;
	last = pysw_last_dot(w->text.ptr);
	for (const char *q = last + 1; *q && !lower; q++)
		lower = *q >= 'a' && *q <= 'z';
	if (!(*last >= 'A' && *last <= 'Z') || !lower)
		return false;
	impact_buf_putc(&w->text, ':');
	for (size_t k = np; k-- > 0;) {
		size_t len;
		const char *t = node_text(w, parts[k], &len);
		if (k != np - 1)
			impact_buf_putc(&w->text, '.');
		impact_buf_put(&w->text, t, len);
	}
	add_ref(sw, c->owner, IMPACT_SYMREF_INST, w->text.ptr, w->text.size);
	pysw_push(sw, call, c);
	return true;
}

/*
 * `sys.modules` used with a key impact can read (w->text holds the chain,
 * `n` is its node): a subscript by a literal or by `__name__`
 * (`sys.modules["pkg.mod"]`, `sys.modules[__name__]`), `.get`, `.pop` or
 * `.setdefault` with a literal first argument, or a membership test (`"x"
 * in sys.modules`, which hands out no module). The chain becomes
 * "sys.modules.[key]" (".[]" for a membership test), so precise_values.c
 * knows which module object the code can get; any other use stays a plain
 * chain, meaning any module. Only the name `sys` as written: an alias
 * keeps the plain chain.
 */
static void sys_modules_key(walker *w, TSNode n, size_t np)
{
	TSNode parent = ts_node_parent(n), key = { 0 };
	impact_buf k = IMPACT_BUF_INIT;
	const char *t = w->text.ptr;
	bool ok = false, member = false;
	if (ts_node_is_null(parent) || strncmp(t, "sys.modules", 11))
		return;
	if (np == 1 && !t[11]) {
		const char *pt = ts_node_type(parent);
		if (!strcmp(pt, "subscript") && ts_node_named_child_count(parent) == 2 &&
		    ts_node_eq(ts_node_named_child(parent, 0), n)) {
			key = ts_node_named_child(parent, 1);
		} else if (!strcmp(pt, "comparison_operator")) {
			TSNode prev = ts_node_prev_sibling(n);
			member = !ts_node_is_null(prev) &&
			         (!strcmp(ts_node_type(prev), "in") || !strcmp(ts_node_type(prev), "not in"));
			if (!member)
				return;
		} else {
			return;
		}
	} else if (np == 2 && (!strcmp(t + 11, ".get") || !strcmp(t + 11, ".pop") ||
	                       !strcmp(t + 11, ".setdefault"))) {
		TSNode args = ts_node_child_by_field_id(parent, w->p->f_arguments);
		if (kind_of(w, parent) != K_CALL || ts_node_is_null(args) ||
		    !ts_node_eq(ts_node_child_by_field_id(parent, w->p->f_function), n) ||
		    ts_node_named_child_count(args) < 1)
			return;
		key = ts_node_named_child(args, 0);
	} else {
		return;
	}
	if (!member) {
		if (ts_node_is_null(key))
			return;
		if (kind_of(w, key) == K_STRING) {
			ok = pyi_decode_one(w, key, &k) && k.size > 0;
		} else if (kind_of(w, key) == K_IDENTIFIER) {
			size_t len;
			const char *kt = node_text(w, key, &len);
			ok = len == 8 && !memcmp(kt, "__name__", 8);
			if (ok)
				impact_buf_put(&k, kt, len);
		}
		for (size_t i = 0; ok && i < k.size; i++)
			ok = isalnum((unsigned char)k.ptr[i]) || k.ptr[i] == '_' || k.ptr[i] == '.';
		if (!ok) {
			impact_buf_release(&k);
			return;
		}
	}
	impact_buf_clear(&w->text);
	impact_buf_puts(&w->text, "sys.modules.[");
	if (k.size)
		impact_buf_put(&w->text, k.ptr, k.size);
	impact_buf_putc(&w->text, ']');
	impact_buf_release(&k);
}

/* An attribute chain: a CHAIN from a name, else ATTRs and the base is walked. */
void pysw_do_attribute(symwalk *sw, TSNode n, const sctx *c)
{
	walker *w = sw->w;
	TSNode parts[64], base = n;
	size_t np = 0;
	while (kind_of(w, base) == K_ATTRIBUTE && np < 64) {
		parts[np++] = ts_node_child_by_field_id(base, w->p->f_attribute);
		base = pyi_unsplat(ts_node_child_by_field_id(base, w->p->f_object));
		if (ts_node_is_null(base))
			return;
	}
	if (kind_of(w, base) == K_IDENTIFIER && np < 64) {
		size_t len;
		const char *t = node_text(w, base, &len);
		impact_buf_clear(&w->text);
		impact_buf_put(&w->text, t, len);
		for (size_t k = np; k-- > 0;) {
			if (ts_node_is_null(parts[k]))
				continue;
			t = node_text(w, parts[k], &len);
			impact_buf_putc(&w->text, '.');
			impact_buf_put(&w->text, t, len);
		}
		if (np <= 2)
			sys_modules_key(w, n, np);
		{
			uint32_t ri = add_ref(sw, c->owner, IMPACT_SYMREF_CHAIN, w->text.ptr, w->text.size);
			if (pyty_typing_scope(c) && np)
				pyty_typing_candidate(sw, c, ri, w->text.ptr, strcspn(w->text.ptr, "."));
		}
		return;
	}
	if (kind_of(w, base) == K_CALL && np && instance_of_call(sw, base, parts, np, c))
		return;
	for (size_t k = 0; k < np; k++) {
		size_t len;
		const char *t;
		if (ts_node_is_null(parts[k]))
			continue;
		t = node_text(w, parts[k], &len);
		add_ref(sw, c->owner, IMPACT_SYMREF_ATTR, t, len);
	}
	pysw_push(sw, base, c);
}

/* Assignment targets: names at module level become symbols; elsewhere they are stores. */
static void do_targets(symwalk *sw, TSNode n, const sctx *c, TSNode stmt)
{
	walker *w = sw->w;
	uint8_t k = kind_of(w, n);
	if (k == K_IDENTIFIER) {
		if (!c->in_function && c->cls == IMPACT_SYMBOL_NONE && c->owner == IMPACT_SYMBOL_NONE) {
			size_t len;
			const char *t = node_text(w, n, &len);
			sctx top = *c;
			top.start_row = UINT32_MAX;
			(void)add_symbol(sw, &top, stmt, IMPACT_SYMBOL_ASSIGN, t, len);
		}
		return;
	}
	if (k == K_PATTERN_LIST || k == K_TUPLE_PATTERN || k == K_LIST_PATTERN || k == K_TUPLE ||
	    k == K_LIST || k == K_EXPR_LIST || k == K_PAREN || k == K_SPLAT_PATTERN) {
		uint32_t m = ts_node_named_child_count(n);
		for (uint32_t i = 0; i < m; i++)
			do_targets(sw, ts_node_named_child(n, i), c, stmt);
		return;
	}
	pysw_push(sw, n, c); /* x.attr = ..., x[i] = ...: reads x */
}

/* Parameters of symbol c->param_of: names are PARAM refs; defaults and annotations belong to c->owner. */
static void do_parameters(symwalk *sw, TSNode params, const sctx *c, uint32_t of)
{
	walker *w = sw->w;
	uint32_t m = ts_node_named_child_count(params);
	/* Annotations only name types (no call at definition): they belong to
	 * the function, so a class they name does not make its module change
	 * at import. Default values run at definition: the enclosing code's. */
	sctx ann = *c;
	if (of != IMPACT_SYMBOL_NONE)
		ann.owner = of;
	for (uint32_t i = 0; i < m; i++) {
		TSNode p = ts_node_named_child(params, i), name = p;
		uint8_t k = kind_of(w, p);
		if (k == K_DEFAULT_PARAM || k == K_TYPED_DEFAULT_PARAM) {
			name = ts_node_child_by_field_id(p, w->p->f_name);
			TSNode value = ts_node_child_by_field_id(p, w->p->f_value);
			/* A default naming a function is called by the function, not at definition. */
			if (of != IMPACT_SYMBOL_NONE && c->owner == IMPACT_SYMBOL_NONE && pyv_pure_value(w, value, 0))
				pyv_read_pure_value(sw, value, c, of, 0);
			else
				pysw_push(sw, value, c);
			pysw_push(sw, ts_node_child_by_field_id(p, w->p->f_type), &ann);
		} else if (k == K_TYPED_PARAM) {
			name = ts_node_named_child(p, 0);
			pysw_push(sw, ts_node_child_by_field_id(p, w->p->f_type), &ann);
		}
		if (!ts_node_is_null(name) && kind_of(w, name) == K_SPLAT_PATTERN)
			name = ts_node_named_child(name, 0);
		if (!ts_node_is_null(name) && kind_of(w, name) == K_IDENTIFIER) {
			size_t len;
			const char *t = node_text(w, name, &len);
			uint32_t binder = of != IMPACT_SYMBOL_NONE ? of : c->owner;
			if (of != IMPACT_SYMBOL_NONE)
				add_ref(sw, of, IMPACT_SYMREF_PARAM, t, len);
			/* A typed parameter of the function itself types the name; a nested one (or a lambda's) binds it. */
			if (binder != IMPACT_SYMBOL_NONE)
				pyty_bind_name(sw, binder, t, len,
				          k == K_TYPED_PARAM || k == K_TYPED_DEFAULT_PARAM
				              ? pyty_annotation_class(w, ts_node_child_by_field_id(p, w->p->f_type), 0) : NULL,
				          !c->in_function && of != IMPACT_SYMBOL_NONE);
		}
	}
}

static void do_function(symwalk *sw, TSNode n, const sctx *c)
{
	walker *w = sw->w;
	TSNode name = ts_node_child_by_field_id(n, w->p->f_name);
	TSNode params = ts_node_child_by_field_id(n, w->p->f_parameters);
	TSNode ret = ts_node_child_by_field_id(n, w->p->f_return_type);
	TSNode body = ts_node_child_by_field_id(n, w->p->f_body);
	sctx inner = *c;
	uint32_t sym = IMPACT_SYMBOL_NONE;

	if (!c->in_function && !ts_node_is_null(name)) {
		impact_pyfacts *f = w->facts;
		size_t len;
		const char *t = node_text(w, name, &len);
		TSNode first = ts_node_child(n, 0);
		uint32_t sig_end;
		sym = add_symbol(sw, c, n, c->cls != IMPACT_SYMBOL_NONE ? IMPACT_SYMBOL_METHOD
		                                                        : IMPACT_SYMBOL_FUNCTION, t, len);
		if (!ts_node_is_null(first) && ts_node_end_byte(first) - ts_node_start_byte(first) == 5 &&
		    !memcmp(w->src + ts_node_start_byte(first), "async", 5))
			f->symbols[sym].flags |= IMPACT_SYMBOL_ASYNC;
		if (c->fixture)
			f->symbols[sym].flags |= IMPACT_SYMBOL_FIXTURE;
		if (c->fixture == 1)
			f->symbols[sym].flags |= IMPACT_SYMBOL_FIXTURE_BYNAME;
		if (c->cached)
			f->symbols[sym].flags |= IMPACT_SYMBOL_CACHED;
		sig_end = f->symbols[sym].def_line;
		if (!ts_node_is_null(params) && end_row1(params) > sig_end)
			sig_end = end_row1(params);
		if (!ts_node_is_null(ret) && end_row1(ret) > sig_end)
			sig_end = end_row1(ret);
		if (!ts_node_is_null(body)) {
			f->symbols[sym].body_start_line = row1(ts_node_start_point(body));
			f->symbols[sym].body_end_line = end_row1(body);
			if (f->symbols[sym].body_start_line <= sig_end)
				f->symbols[sym].flags |= IMPACT_SYMBOL_ONE_LINER;
		} else {
			f->symbols[sym].flags |= IMPACT_SYMBOL_ONE_LINER;
		}
		if (c->cls == IMPACT_SYMBOL_NONE && len == 11 && !memcmp(t, "__getattr__", 11)) {
			f->flags |= IMPACT_PYFACTS_MODULE_GETATTR;
			pyn_module_getattr_dispatch(sw, n, sym);
		}
	}
	inner.start_row = UINT32_MAX;
	inner.fixture = 0;
	inner.cached = 0;
	/* The body runs when called: it belongs to the new symbol (or the enclosing one). */
	if (!ts_node_is_null(body)) {
		sctx b = inner;
		b.in_function = 1;
		b.cls = IMPACT_SYMBOL_NONE;
		if (sym != IMPACT_SYMBOL_NONE)
			b.owner = sym;
		pysw_push(sw, body, &b);
	}
	{
		sctx r = inner;
		if (sym != IMPACT_SYMBOL_NONE)
			r.owner = sym;
		pysw_push(sw, ret, &r);
	}
	if (!ts_node_is_null(params))
		do_parameters(sw, params, &inner, sym != IMPACT_SYMBOL_NONE ? sym : c->owner);
}

static void do_class(symwalk *sw, TSNode n, const sctx *c)
{
	walker *w = sw->w;
	TSNode name = ts_node_child_by_field_id(n, w->p->f_name);
	TSNode supers = ts_node_child_by_field_id(n, w->p->f_superclasses);
	TSNode body = ts_node_child_by_field_id(n, w->p->f_body);
	sctx inner = *c;
	inner.start_row = UINT32_MAX;
	inner.fixture = 0;
	inner.cached = 0;
	if (!c->in_function && !ts_node_is_null(name)) {
		size_t len;
		const char *t = node_text(w, name, &len);
		uint32_t sym = add_symbol(sw, c, n, IMPACT_SYMBOL_CLASS, t, len);
		sctx b = inner;
		b.cls = sym;
		pysw_push(sw, body, &b);
		/*
		 * Its bases: a name or chain of names is a BASE reference of the
		 * class (a subclass inherits; precise.c decides what runs at
		 * import), anything else (a call, keyword arguments such as
		 * metaclass=) runs at import and is read as module-level code.
		 */
		for (uint32_t i = 0, m = ts_node_is_null(supers) ? 0 : ts_node_named_child_count(supers);
		     i < m; i++) {
			TSNode a = ts_node_named_child(supers, i);
			if (kind_of(w, a) == K_COMMENT)
				continue;
			if (kind_of(w, a) != K_KEYWORD_ARGUMENT && pysw_object_text(w, a)) {
				add_ref(sw, sym, IMPACT_SYMREF_BASE, w->text.ptr, w->text.size);
				continue;
			}
			if (kind_of(w, a) == K_SUBSCRIPT) {
				/*
				 * A generic subscripted (`Base[T]`, `Generic[T]`, `List[str]`):
				 * at run time its origin is the base (__mro_entries__). The
				 * name is the BASE reference; precise.c resolves it, and one
				 * bound to anything but a class (a mapping of classes) stays
				 * a base impact cannot resolve.
				 */
				TSNode v = ts_node_child_by_field_id(a, w->p->f_value);
				if (!ts_node_is_null(v) && pysw_object_text(w, v)) {
					add_ref(sw, sym, IMPACT_SYMREF_BASE, w->text.ptr, w->text.size);
					pysw_push(sw, a, &inner);
					continue;
				}
			}
			if (kind_of(w, a) == K_CALL) {
				/*
				 * A computed base (`objective(CLexer)`, `with_metaclass(M, B)`):
				 * its name arguments are taken as bases, and the callee is
				 * noted as "()callee" (precise.c decides what it can be).
				 */
				TSNode fn = ts_node_child_by_field_id(a, w->p->f_function);
				TSNode args = ts_node_child_by_field_id(a, w->p->f_arguments);
				if (pysw_object_text(w, fn)) {
					impact_buf_clear(&w->alias);
					impact_buf_puts(&w->alias, "()");
					impact_buf_put(&w->alias, w->text.ptr, w->text.size);
					add_ref(sw, sym, IMPACT_SYMREF_BASE, w->alias.ptr, w->alias.size);
				} else {
					add_ref(sw, sym, IMPACT_SYMREF_BASE, "?", 1);
				}
				for (uint32_t j = 0, na = ts_node_is_null(args) ? 0 : ts_node_named_child_count(args);
				     j < na; j++)
					if (pysw_object_text(w, ts_node_named_child(args, j)))
						add_ref(sw, sym, IMPACT_SYMREF_BASE, w->text.ptr, w->text.size);
			} else if (kind_of(w, a) != K_KEYWORD_ARGUMENT) {
				add_ref(sw, sym, IMPACT_SYMREF_BASE, "?", 1);
			}
			pysw_push(sw, a, &inner);
		}
		return;
	}
	pysw_push(sw, body, &inner);
	pysw_push(sw, supers, &inner);
}

void pyi_collect_symbols(walker *w, TSNode root)
{
	symwalk sw;
	sctx top = { 0 };

	memset(&sw, 0, sizeof(sw));
	sw.w = w;
	impact_buf_init(&sw.name);
	sw.asyms = w->facts->nsymbols;
	sw.arefs = w->facts->nrefs;
	if (w->facts->nrefs)
		sw_rehash(&sw);
	top.owner = top.cls = top.param_of = IMPACT_SYMBOL_NONE;
	top.guard = IMPACT_SYMBOL_NONE;
	top.start_row = UINT32_MAX;
	pysw_push(&sw, root, &top);
	pysw_run(&sw, 0);
	pyty_resolve_typing(&sw);
	free(sw.stack);
	free(sw.seen);
	free(sw.binds);
	free(sw.cands);
	free(sw.guards);
	impact_buf_release(&sw.name);
}

/* A decorated definition: its decorators are read where it stands; a fixture decorator marks it. */
static void do_decorated(symwalk *sw, TSNode n, const sctx *c)
{
	walker *w = sw->w;
	TSNode def = ts_node_child_by_field_id(n, w->p->f_definition);
	uint32_t m = ts_node_named_child_count(n);
	sctx d = *c;
	d.start_row = ts_node_start_point(n).row;
	d.fixture = 0;
	d.cached = 0;
	for (uint32_t i = 0; i < m; i++) {
		TSNode ch = ts_node_named_child(n, i);
		if (kind_of(w, ch) == K_DECORATOR && pyd_is_fixture_decorator(w, ch))
			d.fixture = d.fixture == 2 || !pyd_fixture_by_name(w, ch) ? 2 : 1;
		if (kind_of(w, ch) == K_DECORATOR && pyd_is_caching_decorator(w, ch))
			d.cached = 1;
	}
	pysw_push(sw, def, &d);
	for (uint32_t i = m; i-- > 0;) {
		TSNode ch = ts_node_named_child(n, i);
		if (kind_of(w, ch) == K_DECORATOR)
			pysw_push(sw, ch, c);
	}
}

/* An assignment (augmented: `aug`): targets, value, annotation, and the local typing it gives. */
static void do_assignment(symwalk *sw, TSNode n, const sctx *c, bool aug)
{
	walker *w = sw->w;
	TSNode left = ts_node_child_by_field_id(n, w->p->f_left);
	sctx ann = *c;
	if (!c->in_function && c->cls != IMPACT_SYMBOL_NONE)
		ann.owner = c->cls; /* `x: Foo` in a class body names a type for the class */
	TSNode right = ts_node_child_by_field_id(n, w->p->f_right);
	size_t before = w->facts->nsymbols;
	if (pyty_typing_scope(c))
		pyty_bind_assignment(sw, c, n, aug);
	if (!ts_node_is_null(left) && !aug)
		do_targets(sw, left, c, n);
	/*
	 * `X = f` / `TABLE = {"a": f}` at module level, `attr = f` in a
	 * class body: storing a name runs nothing at import; whoever
	 * reads X (or the class) can call it.
	 */
	if (c->owner == IMPACT_SYMBOL_NONE && !c->in_function && !aug &&
	    !ts_node_is_null(left) && kind_of(w, left) == K_IDENTIFIER &&
	    (c->cls != IMPACT_SYMBOL_NONE || w->facts->nsymbols == before + 1) &&
	    pyv_pure_value(w, right, 0)) {
		pyv_read_pure_value(sw, right, c,
		                c->cls != IMPACT_SYMBOL_NONE ? c->cls : (uint32_t)(w->facts->nsymbols - 1), 0);
		if (c->cls == IMPACT_SYMBOL_NONE &&
		    (kind_of(w, right) == K_CALL || !strcmp(ts_node_type(right), "subscript")))
			w->facts->symbols[w->facts->nsymbols - 1].flags |= IMPACT_SYMBOL_TYPING;
		else if (c->cls == IMPACT_SYMBOL_NONE && pyv_literal_value(w, right, 0))
			w->facts->symbols[w->facts->nsymbols - 1].flags |= IMPACT_SYMBOL_LITERAL;
	} else
		pysw_push(sw, right, c);
	pysw_push(sw, ts_node_child_by_field_id(n, w->p->f_type), &ann);
	if (!ts_node_is_null(left) && aug)
		pysw_push(sw, left, c); /* x += 1 reads x */
}

/* Read what is on the stack above `floor`. */
void pysw_run(symwalk *swp, size_t floor)
{
	walker *w = swp->w;
	while (swp->n > floor) {
		sctx c = swp->stack[--swp->n];
		TSNode n = c.node;
		uint8_t k = kind_of(w, n);
		switch (k) {
		case K_IMPORT: case K_IMPORT_FROM: case K_GLOBAL: case K_NONLOCAL:
			if (pyty_typing_scope(&c))
				pyty_bind_other(swp, &c, n);
			break;
		case K_STRING: {
			/* Code in a string (`python -c CODE`): not a docstring. Its
			 * text first: ts_node_parent walks down from the root. */
			size_t len;
			const char *t = node_text(w, n, &len);
			TSNode parent;
			if (!swp->code_depth && pycs_looks_like_code(t, len) &&
			    !ts_node_is_null(parent = ts_node_parent(n)) &&
			    strcmp(ts_node_type(parent), "expression_statement"))
				(void)pycs_read_code_string(swp, n, &c);
			break;
		}
		case K_COMMENT: case K_CONCAT_STRING: case K_FUTURE_IMPORT:
		case K_INTEGER: case K_NONE:
			break;
		case K_IDENTIFIER: {
			size_t len;
			const char *t = node_text(w, n, &len);
			add_ref(swp, c.owner, IMPACT_SYMREF_NAME, t, len);
			break;
		}
		case K_ATTRIBUTE:
			pysw_do_attribute(swp, n, &c);
			break;
		case K_CALL:
			check_dynamic_call(swp, n, c.owner);
			sw_push_children(swp, n, &c);
			break;
		case K_KEYWORD_ARGUMENT:
			pysw_push(swp, ts_node_child_by_field_id(n, w->p->f_value), &c);
			break;
		case K_DECORATED:
			do_decorated(swp, n, &c);
			break;
		case K_FUNCTION:
		case K_CLASS:
			if (pyty_typing_scope(&c))
				pyty_bind_untyped(swp, c.owner, ts_node_child_by_field_id(n, w->p->f_name), 0);
			if (k == K_FUNCTION)
				do_function(swp, n, &c);
			else
				do_class(swp, n, &c);
			break;
		case K_IF:
			/* A module's `if __name__ == "__main__":` block does not run at import. */
			if (c.owner == IMPACT_SYMBOL_NONE && !c.in_function && c.cls == IMPACT_SYMBOL_NONE &&
			    is_main_guard(w, ts_node_child_by_field_id(n, w->p->f_condition)))
				push_but_consequence(swp, n, &c);
			else if (pyty_typing_scope(&c)) {
				uint32_t g = pyty_isinstance_guard(swp, ts_node_child_by_field_id(n, w->p->f_condition), c.guard);
				if (g != IMPACT_SYMBOL_NONE)
					pyty_push_guarded(swp, n, &c, g);
				else
					sw_push_children(swp, n, &c);
			} else
				sw_push_children(swp, n, &c);
			break;
		case K_LAMBDA: {
			TSNode params = ts_node_child_by_field_id(n, w->p->f_parameters);
			sctx b = c;
			b.in_function = 1;
			pysw_push(swp, ts_node_child_by_field_id(n, w->p->f_body), &b);
			if (!ts_node_is_null(params))
				do_parameters(swp, params, &c, IMPACT_SYMBOL_NONE);
			break;
		}
		case K_ASSIGNMENT: case K_AUG_ASSIGNMENT:
			do_assignment(swp, n, &c, k == K_AUG_ASSIGNMENT);
			break;
		default:
			if (pyty_typing_scope(&c))
				pyty_bind_other(swp, &c, n);
			sw_push_children(swp, n, &c);
			break;
		}
	}
}
