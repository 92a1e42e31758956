/*
 * pyvalues.c - values whose evaluation runs no code: names, attribute
 * chains, literals, containers of them and typing's forms (`TypeVar("T",
 * bound=C)`, `Optional[C]`), and how they are read: a name stored in a
 * module-level assignment or a default value is the storing symbol's
 * reference, not code run at import. The symbol walk (pysymbols.c) asks.
 */
#include "pysymwalk.h"

/*
 * A call or subscript of typing's that only stores the names given it:
 * `TypeVar("T", bound=Command)`, `NewType("Id", int)`, `cast(C, x)`,
 * `Optional[C]`, `list[C]`, `Callable[[C], D]` (a typing or builtin
 * name, as the callee or the subscripted value's last part).
 */
static bool typing_form(walker *w, TSNode n)
{
	static const char *const calls[] = {
		"TypeVar", "NewType", "ParamSpec", "TypeVarTuple", "cast", "TypeAliasType",
	};
	static const char *const generics[] = {
		"Optional", "Union", "List", "Dict", "Set", "FrozenSet", "Tuple", "Type", "type",
		"Callable", "ClassVar", "Final", "Annotated", "Literal", "Sequence", "Mapping",
		"MutableMapping", "MutableSequence", "Iterable", "Iterator", "Collection",
		"Awaitable", "Coroutine", "Generator", "AsyncIterator", "AsyncGenerator", "Deque",
		"DefaultDict", "TypeGuard", "Required", "NotRequired", "list", "dict", "set",
		"frozenset", "tuple",
	};
	bool call = !strcmp(ts_node_type(n), "call");
	size_t len;
	const char *t = pyd_last_name(w, ts_node_child_by_field_id(n, call ? w->p->f_function
	                                                                  : w->p->f_value), &len);
	if (!t)
		return false;
	for (size_t i = 0; call && i < IMPACT_ARRAY_SIZE(calls); i++)
		if (strlen(calls[i]) == len && !memcmp(calls[i], t, len))
			return true;
	for (size_t i = 0; !call && i < IMPACT_ARRAY_SIZE(generics); i++)
		if (strlen(generics[i]) == len && !memcmp(generics[i], t, len))
			return true;
	return false;
}

/*
 * The named children of a node, in order, through a cursor:
 * ts_node_named_child(n, i) walks n's children from the first each time,
 * quadratic over a literal table of thousands of entries (pygments' lexers
 * spent a tenth of a cold run there).
 */
typedef struct kids {
	TSTreeCursor c;
	bool at;
} kids;

static TSNode kids_first(kids *k, TSNode n)
{
	k->c = ts_tree_cursor_new(n);
	k->at = ts_tree_cursor_goto_first_child(&k->c);
	while (k->at && !ts_node_is_named(ts_tree_cursor_current_node(&k->c)))
		k->at = ts_tree_cursor_goto_next_sibling(&k->c);
	return k->at ? ts_tree_cursor_current_node(&k->c) : (TSNode){ 0 };
}

static TSNode kids_next(kids *k)
{
	do
		k->at = k->at && ts_tree_cursor_goto_next_sibling(&k->c);
	while (k->at && !ts_node_is_named(ts_tree_cursor_current_node(&k->c)));
	return k->at ? ts_tree_cursor_current_node(&k->c) : (TSNode){ 0 };
}

/* Does `ok` hold for every named child of n (through k)? */
static bool kids_all(walker *w, TSNode n, unsigned depth, bool (*ok)(walker *, TSNode, unsigned))
{
	kids k;
	bool all = true;
	for (TSNode ch = kids_first(&k, n); all && k.at; ch = kids_next(&k))
		all = ok(w, ch, depth);
	ts_tree_cursor_delete(&k.c);
	return all;
}

/* A node of data: a name, a literal, a container, its parts (no attribute). */
static bool data_kind(const char *type)
{
	static const char *const kinds[] = {
		"identifier", "list", "tuple", "set", "dictionary", "pair", "string", "concatenated_string",
		"string_start", "string_content", "string_end", "escape_sequence", "integer", "float",
		"true", "false", "none", "parenthesized_expression", "expression_list", "comment",
	};
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(kinds); i++)
		if (!strcmp(type, kinds[i]))
			return true;
	return false;
}

/* `-1`, `+2.5`: a sign on a number literal, which runs no code. */
static bool negative_number(walker *w, TSNode n)
{
	TSNode a = ts_node_child_by_field_id(n, w->p->f_argument);
	return !ts_node_is_null(a) && (!strcmp(ts_node_type(a), "integer") || !strcmp(ts_node_type(a), "float"));
}

/*
 * Is `n` a value whose evaluation runs no code: names, attribute chains,
 * literals and containers of them (`{"a": f, "b": mod.g}`, `(f, g)`), and
 * typing's forms of them (typing_form)? No other call, operator,
 * subscript, lambda or comprehension; `depth` bounds it.
 */
bool pyv_pure_value(walker *w, TSNode n, unsigned depth)
{
	const char *type;
	bool known;
	if (ts_node_is_null(n) || depth > 32)
		return false;
	type = ts_node_type(n);
	known = data_kind(type) || !strcmp(type, "attribute");
	if (!known && (!strcmp(type, "call") || !strcmp(type, "subscript")) && typing_form(w, n)) {
		/* the callee or the generic itself is a name: only what it is given matters */
		TSNode a = ts_node_child_by_field_id(n, !strcmp(type, "call") ? w->p->f_arguments : w->p->f_value);
		kids k;
		bool ok = true;
		for (TSNode ch = kids_first(&k, n); ok && k.at; ch = kids_next(&k))
			if (!strcmp(type, "call") ? ts_node_eq(ch, a) : !ts_node_eq(ch, a))
				ok = pyv_pure_value(w, ch, depth + 1);
		ts_tree_cursor_delete(&k.c);
		return ok;
	}
	if (!known && (!strcmp(type, "argument_list") || !strcmp(type, "keyword_argument")))
		known = depth > 0; /* inside a typing call (above) */
	if (!known && !strcmp(type, "unary_operator"))
		return negative_number(w, n);
	if (!known)
		return false;
	if (!strcmp(type, "keyword_argument"))
		return pyv_pure_value(w, ts_node_child_by_field_id(n, w->p->f_value), depth + 1);
	if (kind_of(w, n) == K_ATTRIBUTE) {
		/* `[*pp.L]`, parsed as `(*pp).L` (pysw_object_text): the splat iterates, which runs code */
		for (TSNode o = n; kind_of(w, o) == K_ATTRIBUTE;) {
			o = ts_node_child_by_field_id(o, w->p->f_object);
			if (ts_node_is_null(o) || !strcmp(ts_node_type(o), "list_splat"))
				return false;
		}
		return pysw_object_text(w, n); /* a chain of names only */
	}
	return kids_all(w, n, depth + 1, pyv_pure_value);
}

/*
 * Is `n` data only (IMPACT_SYMBOL_LITERAL): literals, names and
 * containers of them, a negative number; no attribute (a property, a
 * module __getattr__), call, subscript, operator or f-string
 * interpolation, each of which may run code.
 */
bool pyv_literal_value(walker *w, TSNode n, unsigned depth)
{
	const char *type;
	if (ts_node_is_null(n) || depth > 32)
		return false;
	type = ts_node_type(n);
	if (!strcmp(type, "unary_operator"))
		return negative_number(w, n);
	return data_kind(type) && kids_all(w, n, depth + 1, pyv_literal_value);
}

/*
 * Read a pure value (pure_value) bound to symbol `owner`: a bare name in it
 * is only stored there (reading a global runs nothing), so it is the
 * owner's reference; an attribute chain may run a property or a module
 * __getattr__, so it stays `c`'s (module-level code at import).
 */
void pyv_read_pure_value(symwalk *sw, TSNode n, const sctx *c, uint32_t owner, unsigned depth)
{
	walker *w = sw->w;
	if (ts_node_is_null(n) || depth > 32)
		return;
	if (kind_of(w, n) == K_IDENTIFIER) {
		size_t len;
		const char *t = node_text(w, n, &len);
		pysw_add_ref(sw, owner, IMPACT_SYMREF_NAME, t, len);
		return;
	}
	if (kind_of(w, n) == K_STRING) {
		/* CODE = "import pkg; pkg.run()": code run elsewhere (python -c CODE). */
		size_t len;
		const char *t = node_text(w, n, &len);
		if (!sw->code_depth && pycs_looks_like_code(t, len))
			(void)pycs_read_code_string(sw, n, c);
		return;
	}
	if (!strcmp(ts_node_type(n), "keyword_argument")) {
		pyv_read_pure_value(sw, ts_node_child_by_field_id(n, w->p->f_value), c, owner, depth + 1);
		return;
	}
	if (kind_of(w, n) == K_CALL || !strcmp(ts_node_type(n), "subscript")) {
		/*
		 * typing's (pure_value): what it is given is only stored; the
		 * callee or generic itself runs at import, as any module-level
		 * code (a repository function so named stays reached).
		 */
		TSNode callee = ts_node_child_by_field_id(n, kind_of(w, n) == K_CALL ? w->p->f_function
		                                                                      : w->p->f_value);
		kids k;
		pysw_push(sw, callee, c);
		for (TSNode ch = kids_first(&k, n); k.at; ch = kids_next(&k))
			if (!ts_node_eq(ch, callee))
				pyv_read_pure_value(sw, ch, c, owner, depth + 1);
		ts_tree_cursor_delete(&k.c);
		return;
	}
	if (kind_of(w, n) == K_ATTRIBUTE) {
		/* The owner that stores it may call it; the reading code only reads it. */
		if (owner != c->owner && pysw_object_text(w, n)) {
			pysw_add_ref(sw, owner, IMPACT_SYMREF_CHAIN, w->text.ptr, w->text.size);
			pysw_add_ref(sw, c->owner, IMPACT_SYMREF_READ, w->text.ptr, w->text.size);
			return;
		}
		pysw_do_attribute(sw, n, c);
		return;
	}
	{
		kids k;
		for (TSNode ch = kids_first(&k, n); k.at; ch = kids_next(&k))
			pyv_read_pure_value(sw, ch, c, owner, depth + 1);
		ts_tree_cursor_delete(&k.c);
	}
}
