/*
 * pynames.c - the name of `getattr(obj, name)` and its kin, for precise
 * selection (the walk that calls it is pysymbols.c).
 *
 * A literal name is an attribute read like any other: `getattr(core,
 * 'do_add')` is the chain `core.do_add` (hasattr, setattr and delattr
 * too: they run properties and a module __getattr__). A computed name of
 * getattr is a GETATTR reference whose text is the object, then a tab and
 * the names it can be (pyimports.h), read from the expression:
 *   - a literal prefix: f'visit_{k}', 'visit_' + k, 'do_%s' % c,
 *     'do_{}'.format(c) give "visit_*" / "do_*";
 *   - a local of the enclosing function bound only to such values
 *     (`n = 'a' if c else 'b'`, `for n in ('a', 'b')`);
 *   - a parameter of a private module-level function (`_run(name)`) whose
 *     every use in its module is a call passing such a value: the names,
 *     and "(_run)", which tells the selection to check that no other
 *     module uses _run (it alone sees every module).
 * Anything else (a parameter of a public function, a call, an attribute,
 * a local bound once to something else) has no tab: the name could be
 * anything. It errs that way: any binding it does not understand, in any
 * nested scope, gives up. It never reads other modules.
 */
#include "pysymwalk.h"

#define MAX_ITEMS 32
#define MAX_DEPTH 4
#define MAX_SPEC 1024
#define MAX_SCANS 16 /* whole-module scans for private callers, per module piece */

/* The names an expression can be, as items "name" or "prefix*", space-separated. */
typedef struct names {
	impact_buf items;
	unsigned n;
	bool any;             /* could be anything */
	const char *callee;   /* a private function whose callers gave the names, or NULL */
	size_t callee_len;
} names;

/* Names from a private function's callers: one such function at most, else anything. */
static void set_callee(names *s, const char *name, size_t len)
{
	if (!name)
		return;
	if (s->callee && (s->callee_len != len || memcmp(s->callee, name, len)))
		s->any = true;
	s->callee = name;
	s->callee_len = len;
}

static bool ident_char(unsigned char c)
{
	return is_word(c) || c >= 0x80;
}

static void add_item(names *s, const char *t, size_t len, bool prefix)
{
	if (s->any)
		return;
	if (!len && prefix) {
		s->any = true; /* an empty prefix: anything */
		return;
	}
	for (size_t i = 0; i < len; i++)
		if (!ident_char((unsigned char)t[i]))
			return; /* no definition has such a name */
	if (++s->n > MAX_ITEMS || s->items.size + len + 2 > MAX_SPEC) {
		s->any = true;
		return;
	}
	if (s->items.size)
		impact_buf_putc(&s->items, ' ');
	impact_buf_put(&s->items, t, len);
	if (prefix)
		impact_buf_putc(&s->items, '*');
}

/* A value's leading run of name characters: the whole value (exact) or a prefix of it. */
static void add_value(names *s, const char *t, size_t len, bool cut)
{
	size_t run = 0;
	while (run < len && ident_char((unsigned char)t[run]))
		run++;
	if (!cut && run == len)
		add_item(s, t, len, false);
	else if (cut)
		add_item(s, t, run, true);
	/* else a plain literal no definition can be named: nothing */
}

static bool node_is(TSNode n, const char *type)
{
	return !ts_node_is_null(n) && !strcmp(ts_node_type(n), type);
}

/*
 * The text of a string node up to its first interpolation onto `out`;
 * *cut when there is one (an f-string), false when it is not a str
 * literal at all (bytes) or an escape stops the reading (then *cut too).
 */
static bool string_text(walker *w, TSNode n, impact_buf *out, bool *cut)
{
	size_t len, k = 0;
	const char *t = node_text(w, n, &len);
	bool f = false;
	while (k < len && t[k] != '"' && t[k] != '\'') {
		f |= t[k] == 'f' || t[k] == 'F';
		if (t[k] == 'b' || t[k] == 'B' || t[k] == 't' || t[k] == 'T')
			return false;
		k++;
	}
	if (!f)
		return pyi_decode_one(w, n, out);
	for (uint32_t i = 0, m = ts_node_named_child_count(n); i < m; i++) {
		TSNode ch = ts_node_named_child(n, i);
		if (node_is(ch, "string_start") || node_is(ch, "string_end"))
			continue;
		if (!node_is(ch, "string_content")) {
			*cut = true; /* an interpolation or an escape */
			return true;
		}
		t = node_text(w, ch, &len);
		for (size_t j = 0; j < len; j++)
			if (t[j] == '\\' || t[j] == '{') {
				impact_buf_put(out, t, j);
				*cut = true;
				return true;
			}
		impact_buf_put(out, t, len);
	}
	return true;
}

/* A literal string, or literals side by side: its text (*cut: only a prefix is known). */
static bool literal_text(walker *w, TSNode n, impact_buf *out, bool *cut)
{
	*cut = false;
	impact_buf_clear(out);
	if (kind_of(w, n) == K_STRING)
		return string_text(w, n, out, cut);
	if (kind_of(w, n) != K_CONCAT_STRING)
		return false;
	for (uint32_t i = 0, m = ts_node_named_child_count(n); i < m && !*cut; i++) {
		TSNode ch = ts_node_named_child(n, i);
		if (kind_of(w, ch) == K_COMMENT)
			continue;
		if (kind_of(w, ch) != K_STRING || !string_text(w, ch, out, cut))
			return false;
	}
	return true;
}

static void eval(symwalk *sw, TSNode n, names *s, unsigned depth);

/* A value with %-formatting or .format(): the literal's text up to `stop`. */
static void eval_template(symwalk *sw, TSNode lit, names *s, char stop)
{
	impact_buf t = IMPACT_BUF_INIT;
	bool cut;
	if (!literal_text(sw->w, lit, &t, &cut)) {
		s->any = true;
	} else {
		const char *at = t.size ? memchr(t.ptr, stop, t.size) : NULL;
		add_value(s, t.ptr, at ? (size_t)(at - t.ptr) : t.size, cut || at);
	}
	impact_buf_release(&t);
}

/* `a + b`: both exact gives their concatenations; else what `a` starts with. */
static void eval_plus(symwalk *sw, TSNode l, TSNode r, names *s, unsigned depth)
{
	names a = { IMPACT_BUF_INIT, 0, false, NULL, 0 }, b = { IMPACT_BUF_INIT, 0, false, NULL, 0 };
	eval(sw, l, &a, depth);
	eval(sw, r, &b, depth);
	if (a.any) {
		s->any = true;
	} else {
		bool exact = !b.any && (!b.items.size || !strchr(b.items.ptr, '*')) &&
		             (!a.items.size || !strchr(a.items.ptr, '*'));
		for (const char *p = a.items.size ? a.items.ptr : ""; *p;) {
			size_t la = strcspn(p, " ");
			size_t base = la && p[la - 1] == '*' ? la - 1 : la;
			if (!exact) {
				add_item(s, p, base, true);
			} else {
				for (const char *q = b.items.size ? b.items.ptr : ""; *q;) {
					size_t lb = strcspn(q, " ");
					impact_buf c = IMPACT_BUF_INIT;
					impact_buf_put(&c, p, base);
					impact_buf_put(&c, q, lb);
					add_item(s, c.ptr, c.size, false);
					impact_buf_release(&c);
					q += lb + (q[lb] == ' ');
				}
			}
			p += la + (p[la] == ' ');
		}
	}
	set_callee(s, a.callee, a.callee_len);
	set_callee(s, b.callee, b.callee_len);
	impact_buf_release(&a.items);
	impact_buf_release(&b.items);
}

static void eval_name(symwalk *sw, TSNode id, names *s, unsigned depth);

static void eval(symwalk *sw, TSNode n, names *s, unsigned depth)
{
	walker *w = sw->w;
	uint8_t k;
	if (s->any)
		return;
	if (ts_node_is_null(n) || depth > MAX_DEPTH) {
		s->any = true;
		return;
	}
	k = kind_of(w, n);
	if (k == K_PAREN) {
		eval(sw, ts_node_named_child(n, 0), s, depth);
	} else if (k == K_STRING || k == K_CONCAT_STRING) {
		impact_buf t = IMPACT_BUF_INIT;
		bool cut;
		if (!literal_text(w, n, &t, &cut))
			s->any = true;
		else
			add_value(s, t.ptr, t.size, cut);
		impact_buf_release(&t);
	} else if (k == K_BINARY) {
		TSNode op = ts_node_child_by_field_id(n, w->p->f_operator);
		size_t len = 0;
		const char *t = ts_node_is_null(op) ? "" : node_text(w, op, &len);
		TSNode l = ts_node_child_by_field_id(n, w->p->f_left);
		if (len == 1 && *t == '+')
			eval_plus(sw, l, ts_node_child_by_field_id(n, w->p->f_right), s, depth);
		else if (len == 1 && *t == '%')
			eval_template(sw, l, s, '%');
		else
			s->any = true;
	} else if (k == K_CALL) {
		/* 'do_{}'.format(x) */
		TSNode fn = ts_node_child_by_field_id(n, w->p->f_function), attr = { 0 };
		size_t len = 0;
		const char *t = "";
		if (kind_of(w, fn) == K_ATTRIBUTE)
			attr = ts_node_child_by_field_id(fn, w->p->f_attribute);
		if (!ts_node_is_null(attr))
			t = node_text(w, attr, &len);
		if (len == 6 && !memcmp(t, "format", 6))
			eval_template(sw, ts_node_child_by_field_id(fn, w->p->f_object), s, '{');
		else
			s->any = true;
	} else if (node_is(n, "conditional_expression")) {
		eval(sw, ts_node_named_child(n, 0), s, depth);
		eval(sw, ts_node_named_child(n, 2), s, depth);
	} else if (k == K_IDENTIFIER) {
		eval_name(sw, n, s, depth + 1);
	} else {
		s->any = true;
	}
}

/* ---- what a name is bound to in its function ------------------------------ */

enum role { R_READ, R_VALUE, R_LOOP, R_PARAM, R_OTHER };

static bool same(TSNode a, TSNode b)
{
	return !ts_node_is_null(a) && !ts_node_is_null(b) && ts_node_eq(a, b);
}

/*
 * How identifier `id` (inside function `fn`) is used: read, bound to a
 * value (*value), a loop over *value, a parameter of fn, or bound in a
 * way that says no name (a tuple target, `as`, global, an import...).
 */
static enum role role_of(walker *w, TSNode id, TSNode fn, TSNode *value)
{
	static const char *const binders[] = {
		"as_pattern_target", "global_statement", "nonlocal_statement", "aliased_import",
		"dotted_name", "import_statement", "import_from_statement", "case_pattern",
		"keyword_pattern", "class_pattern", "dict_pattern", "splat_pattern", "union_pattern",
		"complex_pattern", "type_alias_statement", "lambda_parameters",
	};
	static const char *const containers[] = {
		"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list",
		"parenthesized_expression", "expression_list", "list_splat_pattern",
		"dictionary_splat_pattern",
	};
	TSNode n = id;
	bool nested = false;
	for (;;) {
		TSNode p = ts_node_parent(n);
		const char *t;
		bool boxed = false;
		if (ts_node_is_null(p))
			return R_READ;
		t = ts_node_type(p);
		if (!strcmp(t, "parameters") || !strcmp(t, "default_parameter") ||
		    !strcmp(t, "typed_default_parameter") || !strcmp(t, "typed_parameter")) {
			TSNode params = strcmp(t, "parameters") ? ts_node_parent(p) : p;
			if (strcmp(t, "parameters") && !same(n, strcmp(t, "typed_parameter")
			                                             ? ts_node_child_by_field_id(p, w->p->f_name)
			                                             : ts_node_named_child(p, 0)))
				return R_READ; /* a default value or an annotation */
			return !nested && same(ts_node_parent(params), fn) ? R_PARAM : R_OTHER;
		}
		for (size_t i = 0; i < IMPACT_ARRAY_SIZE(containers) && !boxed; i++)
			boxed = !strcmp(t, containers[i]);
		if (boxed) {
			n = p;
			nested = true;
			continue;
		}
		if (!strcmp(t, "assignment") || !strcmp(t, "augmented_assignment")) {
			if (!same(n, ts_node_child_by_field_id(p, w->p->f_left)))
				return R_READ;
			if (nested || strcmp(t, "assignment"))
				return R_OTHER; /* a tuple target, or `x += ...` */
			*value = ts_node_child_by_field_id(p, w->p->f_right);
			while (node_is(*value, "assignment")) /* a = b = 'x' */
				*value = ts_node_child_by_field_id(*value, w->p->f_right);
			return ts_node_is_null(*value) ? R_READ : R_VALUE; /* `x: str` binds nothing */
		}
		if (!strcmp(t, "for_statement") || !strcmp(t, "for_in_clause")) {
			if (!same(n, ts_node_child_by_field_id(p, w->p->f_left)))
				return R_READ;
			*value = ts_node_child_by_field_id(p, w->p->f_right);
			return nested ? R_OTHER : R_LOOP;
		}
		if (!strcmp(t, "named_expression")) {
			if (!same(n, ts_node_child_by_field_id(p, w->p->f_name)))
				return R_READ;
			*value = ts_node_child_by_field_id(p, w->p->f_value);
			return nested ? R_OTHER : R_VALUE;
		}
		if (nested)
			return R_READ;
		if (!strcmp(t, "function_definition") || !strcmp(t, "class_definition"))
			return same(n, ts_node_child_by_field_id(p, w->p->f_name)) ? R_OTHER : R_READ;
		for (size_t i = 0; i < IMPACT_ARRAY_SIZE(binders); i++)
			if (!strcmp(t, binders[i]))
				return R_OTHER;
		return R_READ;
	}
}

/* Call `visit` on every identifier under `root` spelled `name` (len bytes); stops when it returns false. */
static bool each_identifier(walker *w, TSNode root, const char *name, size_t len,
                            bool (*visit)(symwalk *, TSNode, void *), symwalk *sw, void *arg)
{
	TSTreeCursor cur = ts_tree_cursor_new(root);
	bool ok = true;
	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&cur);
		if (kind_of(w, n) == K_IDENTIFIER) {
			size_t l;
			const char *t = node_text(w, n, &l);
			if (l == len && !memcmp(t, name, len) && !(ok = visit(sw, n, arg)))
				break;
		}
		if (ts_tree_cursor_goto_first_child(&cur))
			continue;
		while (!ts_tree_cursor_goto_next_sibling(&cur))
			if (!ts_tree_cursor_goto_parent(&cur))
				goto done;
	}
done:
	ts_tree_cursor_delete(&cur);
	return ok;
}

static void eval_param(symwalk *sw, TSNode fn, TSNode id, names *s, unsigned depth);

typedef struct local_ctx {
	TSNode fn, id;
	names *s;
	unsigned depth;
	bool param, bound;
} local_ctx;

static bool visit_local(symwalk *sw, TSNode n, void *arg)
{
	local_ctx *c = arg;
	TSNode value = { 0 };
	switch (role_of(sw->w, n, c->fn, &value)) {
	case R_READ:
		break;
	case R_VALUE:
		c->bound = true;
		eval(sw, value, c->s, c->depth);
		break;
	case R_LOOP:
		/* for n in ('a', 'b'): each element */
		c->bound = true;
		while (kind_of(sw->w, value) == K_PAREN)
			value = ts_node_named_child(value, 0);
		if (kind_of(sw->w, value) != K_TUPLE && kind_of(sw->w, value) != K_LIST && !node_is(value, "set")) {
			c->s->any = true;
			break;
		}
		for (uint32_t i = 0, m = ts_node_named_child_count(value); i < m; i++)
			if (kind_of(sw->w, ts_node_named_child(value, i)) != K_COMMENT)
				eval(sw, ts_node_named_child(value, i), c->s, c->depth);
		break;
	case R_PARAM:
		c->param = c->bound = true;
		break;
	case R_OTHER:
		c->s->any = true;
		break;
	}
	return !c->s->any;
}

/* A bare name: the values its function binds it to, or its callers' for a parameter. */
static void eval_name(symwalk *sw, TSNode id, names *s, unsigned depth)
{
	walker *w = sw->w;
	local_ctx c;
	size_t len;
	const char *t = node_text(w, id, &len);
	TSNode fn = ts_node_parent(id);
	while (!ts_node_is_null(fn) && kind_of(w, fn) != K_FUNCTION && kind_of(w, fn) != K_LAMBDA &&
	       kind_of(w, fn) != K_CLASS)
		fn = ts_node_parent(fn);
	if (ts_node_is_null(fn) || kind_of(w, fn) != K_FUNCTION || depth > MAX_DEPTH) {
		s->any = true; /* module-level code, a class body, a lambda: not followed */
		return;
	}
	c.fn = fn;
	c.id = id;
	c.s = s;
	c.depth = depth;
	c.param = c.bound = false;
	each_identifier(w, fn, t, len, visit_local, sw, &c);
	if (s->any)
		return;
	if (c.param)
		eval_param(sw, fn, id, s, depth);
	else if (!c.bound)
		s->any = true; /* bound nowhere in the function: a global or a builtin */
}

/* ---- a parameter of a private function: what its callers pass ------------ */

typedef struct param_ctx {
	TSNode fn;
	const char *param;
	size_t plen;
	int pos;         /* positional index, or -1: keyword-only */
	TSNode dflt;     /* its default value, or null */
	names *s;
	unsigned depth;
} param_ctx;

/* Where parameter `name` of `fn` stands: false when it cannot be told (or is *args). */
static bool param_place(walker *w, TSNode fn, const char *name, size_t len, int *pos, TSNode *dflt)
{
	TSNode params = ts_node_child_by_field_id(fn, w->p->f_parameters);
	int at = 0;
	bool kwonly = false;
	for (uint32_t i = 0, m = ts_node_is_null(params) ? 0 : ts_node_named_child_count(params); i < m; i++) {
		TSNode p = ts_node_named_child(params, i), nm = p;
		size_t l;
		const char *t;
		if (node_is(p, "list_splat_pattern") || node_is(p, "keyword_separator")) {
			kwonly = true;
			continue;
		}
		if (node_is(p, "positional_separator") || kind_of(w, p) == K_COMMENT)
			continue;
		if (node_is(p, "dictionary_splat_pattern"))
			return false;
		*dflt = (TSNode){ 0 };
		if (kind_of(w, p) == K_DEFAULT_PARAM || kind_of(w, p) == K_TYPED_DEFAULT_PARAM) {
			nm = ts_node_child_by_field_id(p, w->p->f_name);
			*dflt = ts_node_child_by_field_id(p, w->p->f_value);
		} else if (kind_of(w, p) == K_TYPED_PARAM) {
			nm = ts_node_named_child(p, 0);
		}
		if (kind_of(w, nm) != K_IDENTIFIER)
			return false;
		t = node_text(w, nm, &l);
		if (l == len && !memcmp(t, name, len)) {
			*pos = kwonly ? -1 : at;
			return true;
		}
		at++;
	}
	return false;
}

static bool visit_caller(symwalk *sw, TSNode n, void *arg)
{
	param_ctx *c = arg;
	walker *w = sw->w;
	TSNode p = ts_node_parent(n), args, value = { 0 };
	int at = 0;
	if (same(n, ts_node_child_by_field_id(c->fn, w->p->f_name)))
		return true; /* its own definition */
	if (ts_node_is_null(p) || kind_of(w, p) != K_CALL || !same(n, ts_node_child_by_field_id(p, w->p->f_function))) {
		c->s->any = true; /* passed on as a value, shadowed, rebound: callers unknown */
		return false;
	}
	args = ts_node_child_by_field_id(p, w->p->f_arguments);
	for (uint32_t i = 0, m = ts_node_is_null(args) ? 0 : ts_node_named_child_count(args); i < m; i++) {
		TSNode a = ts_node_named_child(args, i);
		if (kind_of(w, a) == K_COMMENT)
			continue;
		if (node_is(a, "list_splat") || node_is(a, "dictionary_splat")) {
			c->s->any = true;
			return false;
		}
		if (kind_of(w, a) == K_KEYWORD_ARGUMENT) {
			size_t l = 0;
			TSNode k = ts_node_child_by_field_id(a, w->p->f_name);
			const char *t = ts_node_is_null(k) ? "" : node_text(w, k, &l);
			if (!ts_node_is_null(k) && l == c->plen && !memcmp(t, c->param, l))
				value = ts_node_child_by_field_id(a, w->p->f_value);
			continue;
		}
		if (at++ == c->pos)
			value = a;
	}
	if (ts_node_is_null(value))
		value = c->dflt;
	if (ts_node_is_null(value)) {
		c->s->any = true;
		return false;
	}
	eval(sw, value, c->s, c->depth);
	return !c->s->any;
}

static void eval_param(symwalk *sw, TSNode fn, TSNode id, names *s, unsigned depth)
{
	walker *w = sw->w;
	TSNode name = ts_node_child_by_field_id(fn, w->p->f_name), root = fn, up;
	param_ctx c;
	size_t flen;
	const char *fname = ts_node_is_null(name) ? "" : node_text(w, name, &flen);
	up = ts_node_parent(fn);
	/* A module-level private function of a module parsed whole, undecorated. */
	if (ts_node_is_null(name) || flen < 2 || fname[0] != '_' || fname[1] == '_' || !w->whole ||
	    !node_is(up, "module") || sw->code_depth || ++sw->name_scans > MAX_SCANS) {
		s->any = true;
		return;
	}
	while (!ts_node_is_null(up = ts_node_parent(root)))
		root = up;
	c.fn = fn;
	c.param = node_text(w, id, &c.plen);
	c.s = s;
	c.depth = depth;
	c.dflt = (TSNode){ 0 };
	if (!param_place(w, fn, c.param, c.plen, &c.pos, &c.dflt)) {
		s->any = true;
		return;
	}
	each_identifier(w, root, fname, flen, visit_caller, sw, &c);
	if (!s->any)
		set_callee(s, fname, flen);
}

/* ---- the entry: getattr(obj, name) and its kin ---------------------------- */

void pyn_attr_call(symwalk *sw, TSNode call, uint32_t owner, bool ga)
{
	walker *w = sw->w;
	TSNode args = ts_node_child_by_field_id(call, w->p->f_arguments);
	TSNode obj = ts_node_is_null(args) ? args : ts_node_named_child(args, 0);
	TSNode a = ts_node_is_null(args) ? args : ts_node_named_child(args, 1);
	impact_buf lit = IMPACT_BUF_INIT;
	names s = { IMPACT_BUF_INIT, 0, false, NULL, 0 };
	bool cut = false, have_obj;
	sctx like = { 0 };
	uint32_t ri;

	like.owner = owner;
	like.guard = IMPACT_SYMBOL_NONE;
	if (ts_node_is_null(a) || kind_of(w, a) == K_KEYWORD_ARGUMENT)
		return;
	have_obj = pysw_object_text(w, obj);
	if (literal_text(w, a, &lit, &cut) && !cut) {
		/* A literal name: an attribute read, `obj.name` when obj is a chain of names. */
		add_value(&s, lit.ptr ? lit.ptr : "", lit.size, false);
		if (s.items.size && have_obj) {
			impact_buf_putc(&w->text, '.');
			impact_buf_put(&w->text, s.items.ptr, s.items.size);
			ri = pysw_add_ref(sw, owner, IMPACT_SYMREF_CHAIN, w->text.ptr, w->text.size);
			if (owner != IMPACT_SYMBOL_NONE && sw->code_depth == 0)
				pyty_typing_candidate(sw, &like, ri, w->text.ptr, strcspn(w->text.ptr, "."));
		} else if (s.items.size) {
			pysw_add_ref(sw, owner, IMPACT_SYMREF_ATTR, s.items.ptr, s.items.size);
		}
		goto done;
	}
	if (!ga)
		goto done;
	/* A computed name: attributes of its object only, and of these the names it can be. */
	if (owner == IMPACT_SYMBOL_NONE)
		pysw_mark_dynamic(sw, owner);
	if (!have_obj)
		impact_buf_sets(&w->text, "?");
	{
		size_t hlen = have_obj ? strcspn(w->text.ptr, ".") : 0;
		impact_buf text = IMPACT_BUF_INIT;
		impact_buf_put(&text, w->text.ptr, w->text.size);
		eval(sw, a, &s, 0);
		if (!s.any) {
			impact_buf_putc(&text, '\t');
			if (s.items.size)
				impact_buf_put(&text, s.items.ptr, s.items.size);
			if (s.callee)
				impact_buf_printf(&text, "%s(%.*s)", s.items.size ? " " : "", (int)s.callee_len, s.callee);
		}
		ri = pysw_add_ref(sw, owner, IMPACT_SYMREF_GETATTR, text.ptr, text.size);
		/* An object whose class is known (a typed parameter or local): never a module. */
		if (have_obj && owner != IMPACT_SYMBOL_NONE && sw->code_depth == 0)
			pyty_typing_candidate(sw, &like, ri, text.ptr, hlen);
		impact_buf_release(&text);
	}
done:
	impact_buf_release(&lit);
	impact_buf_release(&s.items);
}

/* ---- a module __getattr__ that answers for literal names ------------------ */

/*
 * `name == "X"`, `"X" == name`, `name in {"X", "Y"}` (a set, tuple or list
 * of literals), `name` being `param`: its names pushed to `out`; false for
 * any other test.
 */
static bool name_test(walker *w, TSNode cond, const char *param, size_t plen, impact_strlist *out)
{
	TSNode l, r, op;
	const char *t;
	size_t len;
	impact_buf v = IMPACT_BUF_INIT;
	bool ok = true;
	if (ts_node_is_null(cond) || strcmp(ts_node_type(cond), "comparison_operator") ||
	    ts_node_child_count(cond) != 3)
		return false;
	l = ts_node_child(cond, 0);
	op = ts_node_child(cond, 1);
	r = ts_node_child(cond, 2);
	if (!strcmp(ts_node_type(op), "==") && kind_of(w, l) == K_STRING) {
		TSNode x = l;
		l = r;
		r = x;
	}
	if (kind_of(w, l) != K_IDENTIFIER || !(t = node_text(w, l, &len)) || len != plen ||
	    memcmp(t, param, plen))
		return false;
	if (!strcmp(ts_node_type(op), "==")) {
		ok = kind_of(w, r) == K_STRING && pyi_decode_one(w, r, &v);
		if (ok)
			impact_strlist_push(out, v.ptr);
	} else if (!strcmp(ts_node_type(op), "in") &&
	           (!strcmp(ts_node_type(r), "set") || !strcmp(ts_node_type(r), "tuple") ||
	            !strcmp(ts_node_type(r), "list"))) {
		for (uint32_t i = 0, n = ts_node_named_child_count(r); ok && i < n; i++) {
			TSNode e = ts_node_named_child(r, i);
			if (kind_of(w, e) == K_COMMENT)
				continue;
			impact_buf_clear(&v);
			ok = kind_of(w, e) == K_STRING && pyi_decode_one(w, e, &v);
			if (ok)
				impact_strlist_push(out, v.ptr);
		}
	} else {
		ok = false;
	}
	impact_buf_release(&v);
	return ok;
}

/* `raise AttributeError(...)` or `raise AttributeError`: nothing of the repository runs. */
static bool raises_attribute_error(walker *w, TSNode s)
{
	TSNode e = ts_node_named_child(s, 0);
	size_t len;
	const char *t;
	if (!ts_node_is_null(e) && kind_of(w, e) == K_CALL)
		e = ts_node_child_by_field_id(e, w->p->f_function);
	if (ts_node_is_null(e) || kind_of(w, e) != K_IDENTIFIER || ts_node_named_child_count(s) != 1)
		return false;
	t = node_text(w, e, &len);
	return len == 14 && !memcmp(t, "AttributeError", 14);
}

/* One statement of the body: the names its tests answer for into `out`; false: another shape. */
static bool dispatch_statement(walker *w, TSNode s, const char *param, size_t plen, impact_strlist *out)
{
	const char *type = ts_node_type(s);
	uint8_t k = kind_of(w, s);
	if (k == K_COMMENT || k == K_IMPORT || k == K_IMPORT_FROM || k == K_FUTURE_IMPORT)
		return true;
	if (!strcmp(type, "expression_statement")) /* a docstring */
		return ts_node_named_child_count(s) == 1 && kind_of(w, ts_node_named_child(s, 0)) == K_STRING;
	if (!strcmp(type, "raise_statement"))
		return raises_attribute_error(w, s);
	if (k != K_IF || !name_test(w, ts_node_child_by_field_id(s, w->p->f_condition), param, plen, out))
		return false;
	for (uint32_t i = 0, n = ts_node_named_child_count(s); i < n; i++) {
		TSNode ch = ts_node_named_child(s, i);
		if (kind_of(w, ch) == K_ELSE)
			return false; /* every other name runs it */
		if (kind_of(w, ch) == K_ELIF &&
		    !name_test(w, ts_node_child_by_field_id(ch, w->p->f_condition), param, plen, out))
			return false;
	}
	return true;
}

void pyn_module_getattr_dispatch(symwalk *sw, TSNode def, uint32_t sym)
{
	walker *w = sw->w;
	TSNode params = ts_node_child_by_field_id(def, w->p->f_parameters);
	TSNode body = ts_node_child_by_field_id(def, w->p->f_body), p0;
	impact_strlist names = { 0 };
	const char *param;
	size_t plen;
	bool ok = true;
	if (ts_node_is_null(params) || ts_node_is_null(body) || ts_node_named_child_count(params) != 1)
		return;
	p0 = ts_node_named_child(params, 0);
	if (kind_of(w, p0) == K_TYPED_PARAM) /* name: str */
		p0 = ts_node_named_child(p0, 0);
	if (ts_node_is_null(p0) || kind_of(w, p0) != K_IDENTIFIER)
		return;
	param = node_text(w, p0, &plen);
	for (uint32_t i = 0, n = ts_node_named_child_count(body); ok && i < n; i++)
		ok = dispatch_statement(w, ts_node_named_child(body, i), param, plen, &names);
	if (ok && names.n) {
		w->facts->symbols[sym].flags |= IMPACT_SYMBOL_DISPATCH;
		for (size_t i = 0; i < names.n; i++)
			pysw_add_ref(sw, sym, IMPACT_SYMREF_ANSWER, names.items[i], strlen(names.items[i]));
	}
	impact_strlist_release(&names);
}
