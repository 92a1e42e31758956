/*
 * pyimports.c - the imports a Python module can execute, read from its
 * tree-sitter syntax tree (see pyimports.h for what is extracted).
 *
 * One iterative walk over the tree with a TSTreeCursor and a heap stack of
 * context flags, so nesting depth costs heap, never C stack. Subtrees whose
 * text holds neither "import" nor "pytest" cannot hold anything we report
 * (import statements, import_module/__import__ calls, pytest_plugins,
 * pytest_collect_file all spell one of the two), so the walk skips them
 * after a binary search in a sorted list of those words' offsets.
 *
 * Debian's libtree-sitter 0.20.7 stores a node's child count in 16 bits
 * (fixed upstream in 0.20.8): a node with 65536 or more children, which
 * 65536 comment lines in a row or a large enough error region produce,
 * corrupts the heap. While IMPACT_TS_CHILD_COUNT_GUARD is set, a source
 * whose token bound (count_units) could reach that is parsed in pieces cut
 * at top-level statements; a piece that is still too big is skipped when
 * its text cannot hold an import, and otherwise the module is reported
 * IMPACT_PYFACTS_TOO_LARGE. Built against a fixed runtime (the guard off),
 * only sources over MEMORY_MAX_UNITS are cut, for memory, and nothing is
 * skipped.
 *
 * A tree with syntax errors is walked like any other; then each line that
 * starts with `import` or `from` but that the tree does not hold as an
 * import, a string or a comment (error recovery can turn `import b` into
 * loose tokens or a name) is read again by a small line lexer.
 *
 * Those parts live beside it (pyimports_private.h lists them): the
 * parser (pyparser.c), the pieces and the keyword index (pypieces.c),
 * the line lexer for lost imports (pyrecover.c), literal decoding
 * (pystrings.c). This file is the walk.
 *
 * It does not resolve names (resolve.c), evaluate conditions beyond
 * spotting TYPE_CHECKING, or follow names bound to import functions
 * (`im = importlib.import_module; im("x")`).
 */
#include "pyimports_private.h"

#include "arena.h"
#include "buf.h"

#include <tree_sitter/api.h>

/* ---- the walk --------------------------------------------------------- */

static bool text_is(const walker *w, TSNode n, const char *s)
{
	size_t len, slen = strlen(s);
	const char *t = node_text(w, n, &len);
	return len == slen && !memcmp(t, s, len);
}

static uint32_t node_line(TSNode n)
{
	return ts_node_start_point(n).row + 1;
}

/* A cursor on `n`, borrowed until the matching cursor_put. */
static TSTreeCursor *cursor_get(walker *w, TSNode n)
{
	TSTreeCursor *c;
	if (w->ncursors_used < w->ncursors_made) {
		c = w->cursors[w->ncursors_used];
		ts_tree_cursor_reset(c, n);
	} else {
		c = impact_xmalloc(sizeof(*c));
		*c = ts_tree_cursor_new(n);
		IMPACT_PUSH(w->cursors, w->ncursors_made, w->acursors, c);
	}
	w->ncursors_used++;
	return c;
}

static void cursor_put(walker *w)
{
	w->ncursors_used--;
}

static bool may_matter(const walker *w, TSNode n)
{
	return kw_within(w, ts_node_start_byte(n), ts_node_end_byte(n));
}

void pyi_emit(walker *w, uint8_t kind, const char *module, size_t mlen,
              const char *name, size_t nlen, const char *asname,
              size_t alen, uint32_t line, unsigned level, uint8_t flags)
{
	impact_import im;
	im.module = arena_strndup(w->arena, module, mlen);
	im.name = name ? arena_strndup(w->arena, name, nlen) : NULL;
	im.asname = asname ? arena_strndup(w->arena, asname, alen) : NULL;
	im.line = line;
	im.level = level > UINT16_MAX ? UINT16_MAX : (uint16_t)level;
	im.kind = kind;
	im.flags = flags;
	IMPACT_PUSH(w->facts->imports, w->facts->nimports, w->alloc, im);
}

/* Append `n`'s text to `out`. */
static void put_text(walker *w, impact_buf *out, TSNode n)
{
	size_t len;
	const char *t = node_text(w, n, &len);
	impact_buf_put(out, t, len);
}

/*
 * The dotted name at `n` into `out`, rebuilt from its identifiers so that
 * `a . b` and line continuations read "a.b". An identifier alone counts.
 */
static void read_dotted(walker *w, TSNode n, impact_buf *out)
{
	TSTreeCursor *c;
	impact_buf_clear(out);
	if (kind_of(w, n) == K_IDENTIFIER) {
		put_text(w, out, n);
		return;
	}
	c = cursor_get(w, n);
	if (ts_tree_cursor_goto_first_child(c)) {
		do {
			TSNode id = ts_tree_cursor_current_node(c);
			if (kind_of(w, id) != K_IDENTIFIER)
				continue;
			if (out->size)
				impact_buf_putc(out, '.');
			put_text(w, out, id);
		} while (ts_tree_cursor_goto_next_sibling(c));
	}
	cursor_put(w);
}

/* `a.b` or `a.b as x`: the name into w->text, the alias into w->alias. */
static bool read_import_name(walker *w, TSNode n, bool *has_alias)
{
	uint8_t k = kind_of(w, n);
	*has_alias = false;
	if (k == K_DOTTED_NAME) {
		read_dotted(w, n, &w->text);
	} else if (k == K_ALIASED_IMPORT) {
		TSTreeCursor *c = cursor_get(w, n);
		impact_buf_clear(&w->text);
		impact_buf_clear(&w->alias);
		if (ts_tree_cursor_goto_first_child(c)) {
			do {
				TSFieldId f = ts_tree_cursor_current_field_id(c);
				TSNode ch = ts_tree_cursor_current_node(c);
				if (f == w->p->f_name) {
					read_dotted(w, ch, &w->text);
				} else if (f == w->p->f_alias) {
					put_text(w, &w->alias, ch);
					*has_alias = true;
				}
			} while (ts_tree_cursor_goto_next_sibling(c));
		}
		cursor_put(w);
	} else {
		return false;
	}
	return w->text.size > 0;
}

static void do_import(walker *w, TSNode n, uint8_t flags)
{
	TSTreeCursor *c = cursor_get(w, n);
	uint32_t line = node_line(n);
	if (ts_tree_cursor_goto_first_child(c)) {
		do {
			bool has_alias;
			if (ts_tree_cursor_current_field_id(c) != w->p->f_name)
				continue;
			if (!read_import_name(w, ts_tree_cursor_current_node(c), &has_alias))
				continue;
			pyi_emit(w, IMPACT_IMPORT_MODULE, w->text.ptr, w->text.size,
			         NULL, 0, has_alias ? w->alias.ptr : NULL,
			         w->alias.size, line, 0, flags);
		} while (ts_tree_cursor_goto_next_sibling(c));
	}
	cursor_put(w);
}

/* `from <module_name>`: the dots into *level, the rest into w->module. */
static void read_from_module(walker *w, TSNode n, unsigned *level)
{
	TSTreeCursor *c;
	*level = 0;
	impact_buf_clear(&w->module);
	if (kind_of(w, n) != K_RELATIVE_IMPORT) {
		read_dotted(w, n, &w->module);
		return;
	}
	c = cursor_get(w, n);
	if (ts_tree_cursor_goto_first_child(c)) {
		do {
			TSNode ch = ts_tree_cursor_current_node(c);
			uint8_t k = kind_of(w, ch);
			if (k == K_IMPORT_PREFIX) {
				size_t len;
				const char *t = node_text(w, ch, &len);
				for (size_t i = 0; i < len; i++)
					*level += t[i] == '.';
			} else if (k == K_DOTTED_NAME) {
				read_dotted(w, ch, &w->module);
			}
		} while (ts_tree_cursor_goto_next_sibling(c));
	}
	cursor_put(w);
}

static void do_import_from(walker *w, TSNode n, uint8_t flags)
{
	TSTreeCursor *c = cursor_get(w, n);
	uint32_t line = node_line(n);
	unsigned level = 0;
	bool have_module = false;

	impact_buf_clear(&w->module);
	if (ts_tree_cursor_goto_first_child(c)) {
		do {
			TSNode ch = ts_tree_cursor_current_node(c);
			TSFieldId f = ts_tree_cursor_current_field_id(c);
			bool has_alias;
			if (f == w->p->f_module_name) {
				read_from_module(w, ch, &level);
				have_module = true;
			} else if (!have_module) {
				continue;
			} else if (f == w->p->f_name) {
				if (!read_import_name(w, ch, &has_alias))
					continue;
				pyi_emit(w, IMPACT_IMPORT_FROM, w->module.ptr,
				         w->module.size, w->text.ptr, w->text.size,
				         has_alias ? w->alias.ptr : NULL, w->alias.size,
				         line, level, flags);
			} else if (kind_of(w, ch) == K_WILDCARD) {
				pyi_emit(w, IMPACT_IMPORT_FROM, w->module.ptr,
				         w->module.size, "*", 1, NULL, 0, line, level,
				         flags);
			}
		} while (ts_tree_cursor_goto_next_sibling(c));
	}
	cursor_put(w);
}

/* The first named child of `n` that is not a comment, or a null node. */
static TSNode first_named(walker *w, TSNode n)
{
	uint32_t count = ts_node_named_child_count(n);
	for (uint32_t i = 0; i < count; i++) {
		TSNode ch = ts_node_named_child(n, i);
		if (kind_of(w, ch) != K_COMMENT)
			return ch;
	}
	return (TSNode){ 0 };
}

/* Strip any number of parentheses around an expression, iteratively. */
static TSNode unparen(walker *w, TSNode n)
{
	while (!ts_node_is_null(n) && kind_of(w, n) == K_PAREN)
		n = first_named(w, n);
	return n;
}

/*
 * The value of a plain string literal (or implicit concatenation of them,
 * or either in parentheses) into w->text. False for anything else.
 */
static bool read_literal(walker *w, TSNode n)
{
	bool ok = true;
	impact_buf_clear(&w->text);
	n = unparen(w, n);
	if (ts_node_is_null(n))
		return false;
	switch (kind_of(w, n)) {
	case K_STRING:
		return pyi_decode_one(w, n, &w->text);
	case K_CONCAT_STRING: {
		TSTreeCursor *c = cursor_get(w, n);
		bool any = false;
		if (ts_tree_cursor_goto_first_child(c)) {
			do {
				TSNode ch = ts_tree_cursor_current_node(c);
				uint8_t k = kind_of(w, ch);
				if (k == K_COMMENT)
					continue;
				if (k != K_STRING || !pyi_decode_one(w, ch, &w->text)) {
					ok = false;
					break;
				}
				any = true;
			} while (ts_tree_cursor_goto_next_sibling(c));
		}
		cursor_put(w);
		return ok && any;
	}
	default:
		return false;
	}
}

/* ---- calls: importlib.import_module / __import__ ---------------------- */

enum { CALL_NONE = 0, CALL_IMPORT_MODULE, CALL_DUNDER_IMPORT };

TSNode pyi_unsplat(TSNode n)
{
	if (!ts_node_is_null(n) && !strcmp(ts_node_type(n), "list_splat") &&
	    ts_node_named_child_count(n) == 1)
		return ts_node_named_child(n, 0);
	return n;
}

static int call_kind(walker *w, TSNode fn)
{
	uint8_t k;
	fn = pyi_unsplat(fn); /* [*__import__(name)] */
	k = kind_of(w, fn);
	if (k == K_ATTRIBUTE) {
		fn = ts_node_child_by_field_id(fn, w->p->f_attribute);
		if (ts_node_is_null(fn))
			return CALL_NONE;
	} else if (k != K_IDENTIFIER) {
		return CALL_NONE;
	}
	if (text_is(w, fn, "import_module"))
		return CALL_IMPORT_MODULE;
	if (text_is(w, fn, "__import__"))
		return CALL_DUNDER_IMPORT;
	return CALL_NONE;
}

static void mark_dynamic(walker *w)
{
	w->facts->flags |= IMPACT_PYFACTS_DYNAMIC_IMPORT;
}

/* `level=` of __import__: its integer, or -1 when not a small literal. */
static long read_level(walker *w, TSNode n)
{
	size_t len;
	const char *t;
	long v = 0;
	n = unparen(w, n);
	if (ts_node_is_null(n) || kind_of(w, n) != K_INTEGER)
		return -1;
	t = node_text(w, n, &len);
	if (!len || len > 4)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		v = v * 10 + (t[i] - '0');
	}
	return v;
}

/* The FROM records of `fromlist=[...]`; w->module holds the module. */
static void do_fromlist(walker *w, TSNode list, uint32_t line, unsigned level,
                        uint8_t flags)
{
	TSTreeCursor *c;
	uint8_t k;
	list = unparen(w, list);
	if (ts_node_is_null(list))
		return;
	k = kind_of(w, list);
	if (k == K_NONE)
		return;
	if (k == K_STRING || k == K_CONCAT_STRING) {
		/* a str fromlist iterates its characters: nonsense, unknown */
		mark_dynamic(w);
		return;
	}
	if (k != K_LIST && k != K_TUPLE) {
		mark_dynamic(w);
		return;
	}
	c = cursor_get(w, list);
	if (ts_tree_cursor_goto_first_child(c)) {
		do {
			TSNode el = ts_tree_cursor_current_node(c);
			if (!ts_node_is_named(el) || kind_of(w, el) == K_COMMENT)
				continue;
			if (!read_literal(w, el)) {
				mark_dynamic(w);
				continue;
			}
			pyi_emit(w, IMPACT_IMPORT_FROM, w->module.ptr, w->module.size,
			         w->text.ptr, w->text.size, NULL, 0, line, level, flags);
		} while (ts_tree_cursor_goto_next_sibling(c));
	}
	cursor_put(w);
}

static void do_call(walker *w, TSNode n, uint8_t flags)
{
	TSNode fn = ts_node_child_by_field_id(n, w->p->f_function);
	TSNode args, first = { 0 }, fromlist = { 0 }, levelarg = { 0 };
	TSTreeCursor *c;
	int kind, npos = 0;
	bool unknown = false;
	uint32_t line = node_line(n);
	unsigned level = 0;

	if (ts_node_is_null(fn) || !(kind = call_kind(w, fn)))
		return;
	args = ts_node_child_by_field_id(n, w->p->f_arguments);
	if (ts_node_is_null(args) || kind_of(w, args) != K_ARGUMENT_LIST) {
		mark_dynamic(w);
		return;
	}

	c = cursor_get(w, args);
	if (ts_tree_cursor_goto_first_child(c)) {
		do {
			TSNode a = ts_tree_cursor_current_node(c);
			uint8_t k = kind_of(w, a);
			if (!ts_node_is_named(a) || k == K_COMMENT || k == K_ERROR)
				continue;
			if (k == K_KEYWORD_ARGUMENT) {
				TSNode name = ts_node_child_by_field_id(a, w->p->f_name);
				TSNode value = ts_node_child_by_field_id(a, w->p->f_value);
				if (ts_node_is_null(name) || ts_node_is_null(value))
					continue;
				if (text_is(w, name, "name"))
					first = value;
				else if (kind == CALL_DUNDER_IMPORT && text_is(w, name, "fromlist"))
					fromlist = value;
				else if (kind == CALL_DUNDER_IMPORT && text_is(w, name, "level"))
					levelarg = value;
				continue;
			}
			if (!strcmp(ts_node_type(a), "list_splat") ||
			    !strcmp(ts_node_type(a), "dictionary_splat")) {
				/* *args / **kw may carry the name: cannot tell */
				unknown = true;
				continue;
			}
			if (npos == 0)
				first = a;
			else if (npos == 3 && kind == CALL_DUNDER_IMPORT)
				fromlist = a;
			else if (npos == 4 && kind == CALL_DUNDER_IMPORT)
				levelarg = a;
			npos++;
		} while (ts_tree_cursor_goto_next_sibling(c));
	}
	cursor_put(w);

	if (ts_node_is_null(first) || !read_literal(w, first)) {
		mark_dynamic(w);
		return;
	}
	if (unknown)
		mark_dynamic(w);
	{
		size_t dots = 0;
		while (dots < w->text.size && w->text.ptr[dots] == '.')
			dots++;
		level = (unsigned)dots;
		impact_buf_clear(&w->module);
		impact_buf_put(&w->module, w->text.ptr + dots, w->text.size - dots);
	}
	if (!ts_node_is_null(levelarg)) {
		long lv = read_level(w, levelarg);
		if (lv < 0)
			mark_dynamic(w);
		else if (lv > 0)
			level = (unsigned)lv;
	}
	pyi_emit(w, IMPACT_IMPORT_DYNAMIC, w->module.ptr, w->module.size, NULL, 0,
	         NULL, 0, line, level, flags);
	if (!ts_node_is_null(fromlist))
		do_fromlist(w, fromlist, line, level, flags);
}

/* ---- pytest_plugins and pytest_collect_file --------------------------- */

static void work_push(walker *w, TSNode n)
{
	IMPACT_PUSH(w->work, w->nwork, w->awork, n);
}

/*
 * Every literal in a pytest_plugins value: strings, lists, tuples,
 * parentheses and `+` of those, with an explicit stack (values nest as
 * deep as the source likes). Anything else is a name impact cannot see.
 */
static void do_plugins_value(walker *w, TSNode value, uint8_t flags)
{
	w->nwork = 0;
	work_push(w, value);
	while (w->nwork) {
		TSNode n = unparen(w, w->work[--w->nwork]);
		uint8_t k;
		size_t base;
		if (ts_node_is_null(n)) {
			mark_dynamic(w);
			continue;
		}
		k = kind_of(w, n);
		if (k == K_STRING || k == K_CONCAT_STRING) {
			if (read_literal(w, n))
				pyi_emit(w, IMPACT_IMPORT_PLUGIN, w->text.ptr, w->text.size,
				         NULL, 0, NULL, 0, node_line(n), 0, flags);
			else
				mark_dynamic(w);
			continue;
		}
		if (k == K_BINARY) {
			TSNode op = ts_node_child_by_field_id(n, w->p->f_operator);
			if (ts_node_is_null(op) || !text_is(w, op, "+")) {
				mark_dynamic(w);
				continue;
			}
		} else if (k != K_LIST && k != K_TUPLE && k != K_EXPR_LIST) {
			mark_dynamic(w);
			continue;
		}
		/* Push the operands/elements in reverse, to pop them in order. */
		base = w->nwork;
		{
			TSTreeCursor *c = cursor_get(w, n);
			if (ts_tree_cursor_goto_first_child(c)) {
				do {
					TSNode ch = ts_tree_cursor_current_node(c);
					if (!ts_node_is_named(ch) || kind_of(w, ch) == K_COMMENT)
						continue;
					work_push(w, ch);
				} while (ts_tree_cursor_goto_next_sibling(c));
			}
			cursor_put(w);
		}
		for (size_t a = base, b = w->nwork; a + 1 < b; a++, b--) {
			TSNode t = w->work[a];
			w->work[a] = w->work[b - 1];
			w->work[b - 1] = t;
		}
	}
}

static bool is_module_level(uint8_t flags)
{
	return !(flags & (IMPACT_IMPORT_IN_FUNCTION | IMPACT_IMPORT_IN_CLASS));
}

static void do_assignment(walker *w, TSNode n, bool augmented, uint8_t flags)
{
	TSNode left = ts_node_child_by_field_id(n, w->p->f_left);
	TSNode value;
	if (ts_node_is_null(left) || kind_of(w, left) != K_IDENTIFIER ||
	    !text_is(w, left, "pytest_plugins"))
		return;
	if (augmented) {
		TSNode op = ts_node_child_by_field_id(n, w->p->f_operator);
		if (ts_node_is_null(op) || !text_is(w, op, "+=")) {
			mark_dynamic(w);
			return;
		}
	}
	value = ts_node_child_by_field_id(n, w->p->f_right);
	/* `pytest_plugins = other = [...]`: the value is at the chain's end. */
	while (!ts_node_is_null(value) && kind_of(w, value) == K_ASSIGNMENT)
		value = ts_node_child_by_field_id(value, w->p->f_right);
	if (ts_node_is_null(value))
		return; /* a bare annotation binds nothing */
	do_plugins_value(w, value, flags);
}

/* ---- TYPE_CHECKING ---------------------------------------------------- */

static bool is_type_checking(walker *w, TSNode n)
{
	n = unparen(w, n);
	if (ts_node_is_null(n))
		return false;
	if (kind_of(w, n) == K_ATTRIBUTE)
		n = ts_node_child_by_field_id(n, w->p->f_attribute);
	return !ts_node_is_null(n) && kind_of(w, n) == K_IDENTIFIER &&
	       text_is(w, n, "TYPE_CHECKING");
}

static uint8_t classify_condition(walker *w, TSNode stmt)
{
	TSNode cond = unparen(w, ts_node_child_by_field_id(stmt, w->p->f_condition));
	if (ts_node_is_null(cond))
		return TC_NO;
	if (kind_of(w, cond) == K_NOT)
		return is_type_checking(w, ts_node_child_by_field_id(cond, w->p->f_argument))
			       ? TC_NOT
			       : TC_NO;
	return is_type_checking(w, cond) ? TC_YES : TC_NO;
}

/* ---- context ---------------------------------------------------------- */

/* The flags of a child reached through `field` from a node framed `parent`. */
static uint8_t child_flags(const walker *w, const frame *parent, TSFieldId field,
                           uint8_t kind)
{
	const impact_pyparser *p = w->p;
	uint8_t f = parent->flags;
	switch (parent->kind) {
	case K_FUNCTION:
	case K_LAMBDA:
		/* A body runs when called; a method is not "in the class body". */
		if (field == p->f_body)
			f = (uint8_t)((f | IMPACT_IMPORT_IN_FUNCTION) & ~IMPACT_IMPORT_IN_CLASS);
		break;
	case K_CLASS:
		if (field == p->f_body)
			f |= IMPACT_IMPORT_IN_CLASS;
		break;
	case K_IF:
		if (field == p->f_consequence) {
			f |= IMPACT_IMPORT_CONDITIONAL;
			if (parent->tc == TC_YES)
				f |= IMPACT_IMPORT_TYPE_CHECKING;
		} else if (field == p->f_alternative) {
			f |= IMPACT_IMPORT_CONDITIONAL;
			/* `if not TYPE_CHECKING:` - the other branches never run */
			if (parent->tc == TC_NOT && (kind == K_ELSE || kind == K_ELIF))
				f |= IMPACT_IMPORT_TYPE_CHECKING;
		}
		break;
	case K_ELIF:
		if (field == p->f_consequence && parent->tc == TC_YES)
			f |= IMPACT_IMPORT_TYPE_CHECKING;
		break;
	case K_TRY:
		f |= IMPACT_IMPORT_CONDITIONAL;
		break;
	case K_FOR:
	case K_WHILE:
	case K_WITH:
	case K_MATCH:
		if (field == p->f_body || field == p->f_alternative)
			f |= IMPACT_IMPORT_CONDITIONAL;
		break;
	default:
		break;
	}
	return f;
}

/* What to do at `n`; true to walk into its children. */
static bool visit(walker *w, TSNode n, frame *fr)
{
	switch (fr->kind) {
	case K_IMPORT:
		do_import(w, n, fr->flags);
		return false;
	case K_IMPORT_FROM:
		do_import_from(w, n, fr->flags);
		return false;
	case K_FUTURE_IMPORT:
		return false;
	case K_CALL:
		do_call(w, n, fr->flags);
		return true; /* arguments can hold more calls */
	case K_ASSIGNMENT:
	case K_AUG_ASSIGNMENT:
		if (is_module_level(fr->flags))
			do_assignment(w, n, fr->kind == K_AUG_ASSIGNMENT, fr->flags);
		return true;
	case K_FUNCTION:
		if (is_module_level(fr->flags)) {
			TSNode name = ts_node_child_by_field_id(n, w->p->f_name);
			if (!ts_node_is_null(name) && text_is(w, name, "pytest_collect_file"))
				w->facts->flags |= IMPACT_PYFACTS_COLLECT_HOOK;
		}
		return true;
	case K_IF:
	case K_ELIF:
		fr->tc = classify_condition(w, n);
		return true;
	case K_COMMENT:
		return false;
	default:
		return true;
	}
}

void pyi_walk(walker *w, TSNode root)
{
	TSTreeCursor cur = ts_tree_cursor_new(root);
	size_t depth = 0;

	IMPACT_GROW(w->frames, w->aframes, 1);
	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&cur);
		bool descend = false;

		if (may_matter(w, n)) {
			frame *fr;
			uint8_t kind = kind_of(w, n), flags = 0;
			if (depth > 0)
				flags = child_flags(w, &w->frames[depth - 1],
				                    ts_tree_cursor_current_field_id(&cur), kind);
			fr = &w->frames[depth];
			fr->kind = kind;
			fr->flags = flags;
			fr->tc = TC_NO;
			descend = visit(w, n, fr);
		}
		if (descend && ts_tree_cursor_goto_first_child(&cur)) {
			depth++;
			IMPACT_GROW(w->frames, w->aframes, depth + 1);
			continue;
		}
		while (!ts_tree_cursor_goto_next_sibling(&cur)) {
			if (!ts_tree_cursor_goto_parent(&cur)) {
				ts_tree_cursor_delete(&cur);
				return;
			}
			depth--;
		}
	}
}

/* The first ERROR or MISSING node in document order, under `root`. */
bool pyi_first_error(TSNode root, TSPoint *out)
{
	TSTreeCursor c;
	TSNode n;
	if (!ts_node_has_error(root))
		return false;
	c = ts_tree_cursor_new(root);
	for (;;) {
		n = ts_tree_cursor_current_node(&c);
		if (ts_node_symbol(n) == TS_ERROR_SYMBOL || ts_node_is_missing(n))
			break;
		if (!ts_tree_cursor_goto_first_child(&c))
			break; /* the error is a hidden token here */
		while (!ts_node_has_error(ts_tree_cursor_current_node(&c))) {
			if (!ts_tree_cursor_goto_next_sibling(&c)) {
				ts_tree_cursor_goto_parent(&c);
				goto hidden;
			}
		}
	}
	*out = ts_node_start_point(n);
	ts_tree_cursor_delete(&c);
	return true;
hidden:
	/*
	 * Only invisible children (a missing indent or newline) carry the
	 * error: report the end of the visible node that holds them.
	 */
	*out = ts_node_end_point(ts_tree_cursor_current_node(&c));
	ts_tree_cursor_delete(&c);
	return true;
}
