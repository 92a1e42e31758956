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
 * It does not resolve names (resolve.c), evaluate conditions beyond
 * spotting TYPE_CHECKING, or follow names bound to import functions
 * (`im = importlib.import_module; im("x")`).
 */
#include "pyimports_private.h"

#include "arena.h"
#include "buf.h"

#include <time.h>

#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);



/* Units (see count_units) one parse may see while the guard is on. */
#define GUARD_MAX_UNITS 24000u
/*
 * Without the guard, a source over this many units (some 300 KB) is still
 * parsed in runs of whole top-level statements, for memory: a syntax tree
 * costs some 50 times its source, and a 1.5 MB generated test module parsed
 * whole held 160 MB. A single statement over it is parsed alone.
 */
#define MEMORY_MAX_UNITS 120000u

/* ---- arena ------------------------------------------------------------ */



static void arena_free(arena *a)
{
	if (!a)
		return;
	impact_arena_release(a);
	free(a);
}

/* ---- the parser ------------------------------------------------------- */


static const struct {
	const char *name;
	uint8_t kind;
} kind_names[] = {
	{ "import_statement", K_IMPORT },
	{ "import_from_statement", K_IMPORT_FROM },
	{ "future_import_statement", K_FUTURE_IMPORT },
	{ "function_definition", K_FUNCTION },
	{ "lambda", K_LAMBDA },
	{ "class_definition", K_CLASS },
	{ "if_statement", K_IF },
	{ "elif_clause", K_ELIF },
	{ "else_clause", K_ELSE },
	{ "try_statement", K_TRY },
	{ "for_statement", K_FOR },
	{ "while_statement", K_WHILE },
	{ "with_statement", K_WITH },
	{ "match_statement", K_MATCH },
	{ "call", K_CALL },
	{ "assignment", K_ASSIGNMENT },
	{ "augmented_assignment", K_AUG_ASSIGNMENT },
	{ "string", K_STRING },
	{ "string_content", K_STRING_CONTENT },
	{ "concatenated_string", K_CONCAT_STRING },
	{ "dotted_name", K_DOTTED_NAME },
	{ "aliased_import", K_ALIASED_IMPORT },
	{ "relative_import", K_RELATIVE_IMPORT },
	{ "import_prefix", K_IMPORT_PREFIX },
	{ "wildcard_import", K_WILDCARD },
	{ "identifier", K_IDENTIFIER },
	{ "attribute", K_ATTRIBUTE },
	{ "argument_list", K_ARGUMENT_LIST },
	{ "keyword_argument", K_KEYWORD_ARGUMENT },
	{ "parenthesized_expression", K_PAREN },
	{ "list", K_LIST },
	{ "tuple", K_TUPLE },
	{ "expression_list", K_EXPR_LIST },
	{ "not_operator", K_NOT },
	{ "binary_operator", K_BINARY },
	{ "integer", K_INTEGER },
	{ "none", K_NONE },
	{ "comment", K_COMMENT },
	{ "decorated_definition", K_DECORATED },
	{ "decorator", K_DECORATOR },
	{ "parameters", K_PARAMETERS },
	{ "lambda_parameters", K_LAMBDA_PARAMETERS },
	{ "default_parameter", K_DEFAULT_PARAM },
	{ "typed_parameter", K_TYPED_PARAM },
	{ "typed_default_parameter", K_TYPED_DEFAULT_PARAM },
	{ "list_splat_pattern", K_SPLAT_PATTERN },
	{ "dictionary_splat_pattern", K_SPLAT_PATTERN },
	{ "global_statement", K_GLOBAL },
	{ "nonlocal_statement", K_NONLOCAL },
	{ "pattern_list", K_PATTERN_LIST },
	{ "tuple_pattern", K_TUPLE_PATTERN },
	{ "list_pattern", K_LIST_PATTERN },
};


static TSFieldId field_id(const TSLanguage *lang, const char *name)
{
	return ts_language_field_id_for_name(lang, name, (uint32_t)strlen(name));
}

impact_pyparser *impact_pyparser_new(void)
{
	const TSLanguage *lang = tree_sitter_python();
	impact_pyparser *p = impact_xcalloc(1, sizeof(*p));

	p->ts = ts_parser_new();
	if (!ts_parser_set_language(p->ts, lang)) {
		impact_error_set(IMPACT_ERROR,
		                 "the python grammar (ABI %u) does not fit this "
		                 "tree-sitter library; rebuild impact against a "
		                 "matching libtree-sitter",
		                 ts_language_version(lang));
		impact_pyparser_free(p);
		return NULL;
	}

	/*
	 * Kinds by symbol, mapped by name once: a name can have several
	 * symbols (aliases), and integer compares beat strcmp per node.
	 */
	p->nsymbols = ts_language_symbol_count(lang);
	p->kinds = impact_xcalloc(p->nsymbols, 1);
	for (uint32_t s = 0; s < p->nsymbols; s++) {
		const char *name;
		if (ts_language_symbol_type(lang, (TSSymbol)s) != TSSymbolTypeRegular)
			continue;
		name = ts_language_symbol_name(lang, (TSSymbol)s);
		for (size_t i = 0; name && i < IMPACT_ARRAY_SIZE(kind_names); i++) {
			if (!strcmp(name, kind_names[i].name)) {
				p->kinds[s] = kind_names[i].kind;
				break;
			}
		}
	}

	p->f_name = field_id(lang, "name");
	p->f_alias = field_id(lang, "alias");
	p->f_module_name = field_id(lang, "module_name");
	p->f_body = field_id(lang, "body");
	p->f_condition = field_id(lang, "condition");
	p->f_consequence = field_id(lang, "consequence");
	p->f_alternative = field_id(lang, "alternative");
	p->f_function = field_id(lang, "function");
	p->f_arguments = field_id(lang, "arguments");
	p->f_attribute = field_id(lang, "attribute");
	p->f_left = field_id(lang, "left");
	p->f_right = field_id(lang, "right");
	p->f_argument = field_id(lang, "argument");
	p->f_value = field_id(lang, "value");
	p->f_operator = field_id(lang, "operator");
	p->f_parameters = field_id(lang, "parameters");
	p->f_superclasses = field_id(lang, "superclasses");
	p->f_definition = field_id(lang, "definition");
	p->f_object = field_id(lang, "object");
	p->f_type = field_id(lang, "type");
	p->f_return_type = field_id(lang, "return_type");
	return p;
}

void impact_pyparser_free(impact_pyparser *p)
{
	if (!p)
		return;
	if (p->ts)
		ts_parser_delete(p->ts);
	free(p->kinds);
	free(p);
}

void impact_pyparser_set_timeout(impact_pyparser *p, uint64_t micros)
{
	p->timeout_us = micros;
}

void impact_pyfacts_free(impact_pyfacts *facts)
{
	if (!facts)
		return;
	/* Decoded facts are one block (arena NULL): imports and strings inside. */
	if (facts->arena) {
		free(facts->imports);
		free(facts->strings);
		free(facts->symbols);
		free(facts->refs);
		arena_free(facts->arena);
	}
	free(facts);
}

/* ---- the walk --------------------------------------------------------- */







static bool text_is(const walker *w, TSNode n, const char *s)
{
	size_t len, slen = strlen(s);
	const char *t = node_text(w, n, &len);
	return len == slen && !memcmp(t, s, len);
}

static bool is_word(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

static bool is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool starts_keyword(const char *s, size_t n, const char *kw)
{
	size_t k = strlen(kw);
	return n >= k && !memcmp(s, kw, k) && (n == k || !is_word((unsigned char)s[k]));
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

/* The index of the first keyword offset at or after `start`. */
static size_t kw_first(const walker *w, size_t start)
{
	size_t lo = 0, hi = w->nkw;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->kw[mid] < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Does [start, end) hold a whole "import" or "pytest"? Both are 6 bytes,
 * so if the first one from `start` overruns `end`, so do all later ones.
 */
static bool kw_within(const walker *w, uint32_t start, uint32_t end)
{
	size_t k = kw_first(w, start);
	return k < w->nkw && (uint64_t)w->kw[k] + 6 <= end;
}

static bool may_matter(const walker *w, TSNode n)
{
	return kw_within(w, ts_node_start_byte(n), ts_node_end_byte(n));
}

static void emit(walker *w, uint8_t kind, const char *module, size_t mlen,
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
			emit(w, IMPACT_IMPORT_MODULE, w->text.ptr, w->text.size,
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
				emit(w, IMPACT_IMPORT_FROM, w->module.ptr,
				     w->module.size, w->text.ptr, w->text.size,
				     has_alias ? w->alias.ptr : NULL, w->alias.size,
				     line, level, flags);
			} else if (kind_of(w, ch) == K_WILDCARD) {
				emit(w, IMPACT_IMPORT_FROM, w->module.ptr,
				     w->module.size, "*", 1, NULL, 0, line, level,
				     flags);
			}
		} while (ts_tree_cursor_goto_next_sibling(c));
	}
	cursor_put(w);
}

/* ---- string literals -------------------------------------------------- */

static void put_utf8(impact_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	impact_buf_put(b, u, n);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..n) as `digits` hex digits, or -1. */
static long read_hex(const char *s, size_t n, size_t digits)
{
	long v = 0;
	if (n < digits)
		return -1;
	for (size_t i = 0; i < digits; i++) {
		int h = hexval(s[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Decode the body of a non-raw literal, escapes and all, onto `out`. */
static void decode_escapes(impact_buf *out, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && s[run] != '\\')
			run++;
		impact_buf_put(out, s + i, run - i);
		i = run;
		if (i >= n)
			break;
		if (i + 1 >= n) { /* a lone trailing backslash: keep it */
			impact_buf_putc(out, '\\');
			break;
		}
		char e = s[i + 1];
		long v = -1;
		size_t used = 2;
		switch (e) {
		case '\n':
			v = -2; /* line continuation: nothing */
			break;
		case '\r':
			if (i + 2 < n && s[i + 2] == '\n')
				used = 3;
			v = -2;
			break;
		case '\\': case '\'': case '"':
			v = e;
			break;
		case 'n': v = '\n'; break;
		case 't': v = '\t'; break;
		case 'r': v = '\r'; break;
		case 'a': v = 7; break;
		case 'b': v = 8; break;
		case 'f': v = 12; break;
		case 'v': v = 11; break;
		case 'x':
			v = read_hex(s + i + 2, n - i - 2, 2);
			used = 4;
			break;
		case 'u':
			v = read_hex(s + i + 2, n - i - 2, 4);
			used = 6;
			break;
		case 'U':
			v = read_hex(s + i + 2, n - i - 2, 8);
			used = 10;
			break;
		default:
			if (e >= '0' && e <= '7') {
				v = 0;
				used = 1;
				while (used < 4 && i + used < n && s[i + used] >= '0' &&
				       s[i + used] <= '7')
					v = v * 8 + (s[i + used++] - '0');
			}
			break;
		}
		if (v == -2) {
			/* nothing to add */
		} else if (v < 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
			/* unknown or malformed: keep the bytes, as Python keeps `\q` */
			used = 2;
			impact_buf_put(out, s + i, used);
		} else {
			put_utf8(out, (uint32_t)v);
		}
		i += used;
	}
}

/*
 * Append the value of one `string` node to `out`. False when it is not a
 * plain literal: f-strings, byte strings, a NUL in the value.
 */
static bool decode_one(walker *w, TSNode n, impact_buf *out)
{
	size_t len, i = 0, q, body, end;
	const char *t = node_text(w, n, &len);
	bool raw = false;
	char quote;

	for (; i < len && ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z')); i++) {
		switch (t[i]) {
		case 'r': case 'R':
			raw = true;
			break;
		case 'u': case 'U':
			break;
		default: /* f, b, t and anything else: not a plain str literal */
			return false;
		}
	}
	if (i >= len || (t[i] != '"' && t[i] != '\''))
		return false;
	quote = t[i];
	q = (i + 2 < len && t[i + 1] == quote && t[i + 2] == quote) ? 3 : 1;
	body = i + q;
	end = len;
	/* Drop the closing quotes when present; unterminated keeps the rest. */
	if (end >= body + q) {
		size_t k = 0;
		while (k < q && t[end - 1 - k] == quote)
			k++;
		if (k == q)
			end -= q;
	}
	if (end < body)
		end = body;
	if (memchr(t + body, '\0', end - body))
		return false;
	size_t before = out->size;
	if (raw)
		impact_buf_put(out, t + body, end - body);
	else
		decode_escapes(out, t + body, end - body);
	if (memchr(out->ptr + before, '\0', out->size - before))
		return false;
	return true;
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
		return decode_one(w, n, &w->text);
	case K_CONCAT_STRING: {
		TSTreeCursor *c = cursor_get(w, n);
		bool any = false;
		if (ts_tree_cursor_goto_first_child(c)) {
			do {
				TSNode ch = ts_tree_cursor_current_node(c);
				uint8_t k = kind_of(w, ch);
				if (k == K_COMMENT)
					continue;
				if (k != K_STRING || !decode_one(w, ch, &w->text)) {
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

static int call_kind(walker *w, TSNode fn)
{
	uint8_t k = kind_of(w, fn);
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
			emit(w, IMPACT_IMPORT_FROM, w->module.ptr, w->module.size,
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
	emit(w, IMPACT_IMPORT_DYNAMIC, w->module.ptr, w->module.size, NULL, 0,
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
				emit(w, IMPACT_IMPORT_PLUGIN, w->text.ptr, w->text.size,
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

/* ---- imports hidden by syntax errors ---------------------------------- */

/*
 * Error recovery can leave an import statement as loose tokens in an ERROR
 * node, or read `import` as a name (`not\nimport b`). In a tree with errors,
 * every line that starts with `import` or `from` and that the tree does not
 * hold as an import statement, a string or a comment is read again with a
 * small line lexer. Its context is unknown, so its flags are 0: the
 * conservative reading, "runs at import".
 */

typedef struct linelex {
	const char *s;
	size_t i, end;
	int parens;
} linelex;

static bool is_name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_name_char(unsigned char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Skip blanks (and newlines inside parentheses); false at the statement's end. */
static bool lx_skip(linelex *lx)
{
	while (lx->i < lx->end) {
		char c = lx->s[lx->i];
		if (c == ' ' || c == '\t' || c == '\f' || c == '\r') {
			lx->i++;
		} else if (c == '\\' && lx->i + 1 < lx->end &&
		           (lx->s[lx->i + 1] == '\n' || lx->s[lx->i + 1] == '\r')) {
			lx->i += 2;
		} else if (c == '\n' && lx->parens) {
			lx->i++;
		} else if (c == '#' && lx->parens) {
			while (lx->i < lx->end && lx->s[lx->i] != '\n')
				lx->i++;
		} else {
			return c != '\n' && c != '#' && c != ';';
		}
	}
	return false;
}

static bool lx_char(linelex *lx, char c)
{
	if (!lx_skip(lx) || lx->s[lx->i] != c)
		return false;
	lx->i++;
	if (c == '(')
		lx->parens++;
	else if (c == ')' && lx->parens)
		lx->parens--;
	return true;
}

/* One identifier; its bytes at *name, its length returned (0: none). */
static size_t lx_name(linelex *lx, const char **name)
{
	size_t start;
	if (!lx_skip(lx) || !is_name_start((unsigned char)lx->s[lx->i]))
		return 0;
	start = lx->i;
	while (lx->i < lx->end && is_name_char((unsigned char)lx->s[lx->i]))
		lx->i++;
	*name = lx->s + start;
	return lx->i - start;
}

static bool lx_word(linelex *lx, const char *word)
{
	size_t save = lx->i, len;
	const char *name;
	len = lx_name(lx, &name);
	if (len == strlen(word) && !memcmp(name, word, len))
		return true;
	lx->i = save;
	return false;
}

static bool lx_dotted(linelex *lx, impact_buf *out)
{
	const char *name;
	size_t len;
	impact_buf_clear(out);
	while ((len = lx_name(lx, &name))) {
		if (out->size)
			impact_buf_putc(out, '.');
		impact_buf_put(out, name, len);
		if (!lx_char(lx, '.'))
			break;
	}
	return out->size > 0;
}

/* `NAME [as NAME]` into w->text / w->alias. */
static bool lx_alias(linelex *lx, walker *w, bool dotted, bool *has_alias)
{
	const char *name;
	size_t len;
	*has_alias = false;
	if (dotted) {
		if (!lx_dotted(lx, &w->text))
			return false;
	} else {
		if (!(len = lx_name(lx, &name)))
			return false;
		impact_buf_clear(&w->text);
		impact_buf_put(&w->text, name, len);
	}
	if (lx_word(lx, "as")) {
		if (!(len = lx_name(lx, &name)))
			return false;
		impact_buf_clear(&w->alias);
		impact_buf_put(&w->alias, name, len);
		*has_alias = true;
	}
	return true;
}

static void recover_statement(walker *w, size_t off, size_t end, uint32_t line)
{
	linelex lx = { w->src, off, end, 0 };
	bool has_alias;

	if (lx_word(&lx, "import")) {
		do {
			if (!lx_alias(&lx, w, true, &has_alias))
				return;
			emit(w, IMPACT_IMPORT_MODULE, w->text.ptr, w->text.size, NULL,
			     0, has_alias ? w->alias.ptr : NULL, w->alias.size, line, 0, 0);
		} while (lx_char(&lx, ','));
		return;
	}
	if (!lx_word(&lx, "from"))
		return;
	unsigned level = 0;
	while (lx_char(&lx, '.'))
		level++;
	impact_buf_clear(&w->module);
	if (!lx_word(&lx, "import")) {
		if (!lx_dotted(&lx, &w->module) || !lx_word(&lx, "import"))
			return;
	}
	if (!level && !strcmp(w->module.ptr, "__future__"))
		return;
	if (lx_char(&lx, '*')) {
		emit(w, IMPACT_IMPORT_FROM, w->module.ptr, w->module.size, "*", 1,
		     NULL, 0, line, level, 0);
		return;
	}
	lx_char(&lx, '(');
	do {
		if (!lx_alias(&lx, w, false, &has_alias))
			return;
		emit(w, IMPACT_IMPORT_FROM, w->module.ptr, w->module.size,
		     w->text.ptr, w->text.size, has_alias ? w->alias.ptr : NULL,
		     w->alias.size, line, level, 0);
	} while (lx_char(&lx, ','));
}

/* Is the keyword at `off` read by the tree as it should be, or as text? */
static bool tree_holds(walker *w, TSNode root, uint32_t off, uint32_t len)
{
	TSNode leaf = ts_node_descendant_for_byte_range(root, off, off + len);
	TSNode parent;
	uint8_t k = kind_of(w, leaf);
	if (k == K_STRING || k == K_STRING_CONTENT || k == K_COMMENT)
		return true;
	parent = ts_node_parent(leaf);
	if (ts_node_is_null(parent))
		return false;
	k = kind_of(w, parent);
	if (k == K_STRING || k == K_STRING_CONTENT)
		return true;
	return !ts_node_is_named(leaf) &&
	       (k == K_IMPORT || k == K_IMPORT_FROM || k == K_FUTURE_IMPORT);
}

/* Recover the imports of lines in [from, end) that `root` lost to errors. */
void pyi_recover(walker *w, TSNode root, mark from, uint32_t end)
{
	size_t first = w->facts->nimports, at = from.off;
	size_t prev = from.off, ls = from.off; /* last offset seen, its line */
	bool line_done = false;
	uint32_t row = from.row;

	for (size_t k = kw_first(w, from.off); k < w->nkw && w->kw[k] < end; k++) {
		size_t o = w->kw[k], kw;
		const char *nl = memrchr(w->src + prev, '\n', o - prev);
		/* Each byte is searched once: offsets only increase. */
		prev = o;
		if (nl) {
			ls = (size_t)(nl - w->src) + 1;
			line_done = false;
		}
		if (line_done)
			continue;
		line_done = true;
		for (kw = ls; kw < end && (w->src[kw] == ' ' || w->src[kw] == '\t' ||
		                           w->src[kw] == '\f' || w->src[kw] == '\r');
		     kw++)
			;
		if (!starts_keyword(w->src + kw, end - kw, "import") &&
		    !starts_keyword(w->src + kw, end - kw, "from"))
			continue;
		if (tree_holds(w, root, (uint32_t)kw, w->src[kw] == 'i' ? 6 : 4))
			continue;
		/* Rows by counting newlines forward: line starts only increase. */
		for (const char *eol; at < ls && (eol = memchr(w->src + at, '\n', ls - at));) {
			row++;
			at = (size_t)(eol - w->src) + 1;
		}
		at = ls;
		recover_statement(w, kw, end, row + 1);
	}
	if (w->facts->nimports > first) {
		/*
		 * Put the recovered records in source order among the walk's
		 * (already in order): a merge, by line.
		 */
		impact_import *all = w->facts->imports;
		size_t n = w->facts->nimports, mid = first, a, b, o = 0;
		size_t piece_first = w->piece_first;
		impact_import *tmp = impact_xreallocarray(NULL, n - piece_first, sizeof(*tmp));
		for (a = piece_first, b = mid; a < mid || b < n;) {
			if (b >= n || (a < mid && all[a].line <= all[b].line))
				tmp[o++] = all[a++];
			else
				tmp[o++] = all[b++];
		}
		memcpy(all + piece_first, tmp, o * sizeof(*tmp));
		free(tmp);
	}
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

/* ---- the guard against 16-bit child counts ---------------------------- */

/*
 * An upper bound on tree-sitter's tokens in s[start..end), start at a line
 * start. Every token begins at a counted byte: a word run counts once plus
 * once per digit/letter switch (`1j1j` lexes as several numbers),
 * punctuation and non-ASCII bytes once each, a newline three times (with
 * the indent and dedent it can bring). A comment with no quote after the
 * `#` is one token (or string content, split only at escapes and braces);
 * with a quote the string may close there, so the rest counts as code.
 * Error recovery adds at most one MISSING token per real one, so nodes
 * have fewer than 2 * units children.
 */
static size_t count_units(const char *s, size_t start, size_t end)
{
	size_t units = 0, i = start;
	while (i < end) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f') {
			i++;
		} else if (ch == '\n') {
			units += 3;
			i++;
		} else if (is_word(ch)) {
			units++;
			i++;
			while (i < end && is_word((unsigned char)s[i])) {
				if (is_digit((unsigned char)s[i]) != is_digit((unsigned char)s[i - 1]))
					units++;
				i++;
			}
		} else if (ch == '#') {
			size_t eol = i, escapes = 0;
			bool quote = false;
			while (eol < end && s[eol] != '\n') {
				char c = s[eol++];
				quote |= c == '"' || c == '\'';
				escapes += c == '\\' || c == '{' || c == '}';
			}
			units++;
			if (quote) {
				i++;
			} else {
				units += 2 * escapes;
				i = eol;
			}
		} else {
			units++;
			i++;
		}
	}
	return units;
}


/*
 * The lines that start a top-level statement: at column 0, outside
 * brackets, strings and continuations, not a clause of the statement
 * before (else/elif/except/finally) and not after a decorator; and the
 * comment lines just before one (a long comment run must be cuttable).
 * A cheap lexer: its mistakes can only cost a spurious syntax error in a
 * big file, never safety, as every piece stays under the bound anyway.
 */
static void statement_starts(const char *s, size_t len, mark **out, size_t *n)
{
	size_t alloc = 0, i = 0, soft = 0, nsoft = 0;
	uint32_t row = 0;
	long depth = 0;
	bool continued = false, after_decorator = false;

	*out = NULL;
	*n = 0;
	while (i < len) {
		/* At a line start. */
		if (depth == 0 && !continued) {
			size_t j = i;
			unsigned char ch;
			while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\f' || s[j] == '\r'))
				j++;
			ch = j < len ? (unsigned char)s[j] : '\n';
			if (ch == '#' && !after_decorator) {
				/* A comment line: a split point if a statement follows. */
				if (nsoft == 0)
					soft = *n;
				nsoft++;
				if (i > 0)
					IMPACT_PUSH(*out, *n, alloc, ((mark){ (uint32_t)i, row }));
			} else if (ch != '\n' && ch != '#' && j > i) {
				/* Indented code: the comments above were inside a block. */
				if (nsoft)
					*n = soft;
				nsoft = 0;
			} else if (ch != '\n' && ch != '#') {
				const char *l = s + i;
				size_t rest = len - i;
				bool clause = starts_keyword(l, rest, "else") ||
				              starts_keyword(l, rest, "elif") ||
				              starts_keyword(l, rest, "except") ||
				              starts_keyword(l, rest, "finally");
				if (clause || after_decorator) {
					if (nsoft)
						*n = soft;
				} else if (i > 0) {
					IMPACT_PUSH(*out, *n, alloc, ((mark){ (uint32_t)i, row }));
				}
				nsoft = 0;
				after_decorator = ch == '@';
			}
		}
		continued = false;
		/* Lex to the end of this physical line (strings may go further). */
		while (i < len && s[i] != '\n') {
			char ch = s[i];
			if (ch == '#') {
				while (i < len && s[i] != '\n')
					i++;
				break;
			}
			if (ch == '\\') {
				if (i + 1 < len && s[i + 1] == '\n') {
					continued = true;
					i++;
					break;
				}
				if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
					continued = true;
					i += 2;
					break;
				}
				i += 2;
				continue;
			}
			if (ch == '(' || ch == '[' || ch == '{') {
				depth++;
			} else if (ch == ')' || ch == ']' || ch == '}') {
				if (depth > 0)
					depth--;
			} else if (ch == '"' || ch == '\'') {
				bool triple = i + 2 < len && s[i + 1] == ch && s[i + 2] == ch;
				i += triple ? 3 : 1;
				while (i < len) {
					if (s[i] == '\\') {
						if (i + 1 < len && s[i + 1] == '\n')
							row++;
						i += 2;
						continue;
					}
					if (s[i] == '\n') {
						if (!triple)
							break; /* unterminated: the line ends it */
						row++;
					} else if (s[i] == ch &&
					           (!triple || (i + 2 < len && s[i + 1] == ch &&
					                        s[i + 2] == ch))) {
						i += triple ? 3 : 1;
						break;
					}
					i++;
				}
				continue;
			}
			i++;
		}
		if (i < len && s[i] == '\n') {
			row++;
			i++;
		}
	}
}

/*
 * Cut the source into pieces to parse: one piece when it is under the
 * bound, else runs of whole top-level statements under it. A statement
 * over the bound alone is skipped when it cannot hold an import; when it
 * can, *too_large is set and the module is unknown.
 */
void pyi_plan_pieces(const walker *w, piece **out, size_t *npieces,
                        bool *too_large)
{
	size_t alloc = 0, nstarts = 0, units = 0;
	const size_t max_units = IMPACT_TS_CHILD_COUNT_GUARD ? GUARD_MAX_UNITS : MEMORY_MAX_UNITS;
	mark *starts = NULL;
	mark end = { (uint32_t)w->len, 0 };
	piece cur;

	*out = NULL;
	*npieces = 0;
	*too_large = false;
	if (count_units(w->src, 0, w->len) <= max_units) {
		piece whole = { { 0, 0 }, end, false };
		IMPACT_PUSH(*out, *npieces, alloc, whole);
		return;
	}

	statement_starts(w->src, w->len, &starts, &nstarts);
	cur.start = cur.end = (mark){ 0, 0 };
	cur.skip = false;
	for (size_t k = 0; k <= nstarts; k++) {
		mark from = k ? starts[k - 1] : (mark){ 0, 0 };
		mark to = k < nstarts ? starts[k] : end;
		size_t seg = count_units(w->src, from.off, to.off);

		if (seg > max_units) {
			if (!IMPACT_TS_CHILD_COUNT_GUARD) {
				/* No limit to fear: the statement alone. */
				if (cur.end.off > cur.start.off)
					IMPACT_PUSH(*out, *npieces, alloc, cur);
				cur = (piece){ from, to, false };
				IMPACT_PUSH(*out, *npieces, alloc, cur);
				cur = (piece){ to, to, false };
				units = 0;
				continue;
			}
			if (kw_within(w, from.off, to.off)) {
				*too_large = true;
				break;
			}
			if (cur.end.off > cur.start.off)
				IMPACT_PUSH(*out, *npieces, alloc, cur);
			cur = (piece){ from, to, true };
			IMPACT_PUSH(*out, *npieces, alloc, cur);
			cur = (piece){ to, to, false };
			units = 0;
			continue;
		}
		if (units + seg > max_units) {
			IMPACT_PUSH(*out, *npieces, alloc, cur);
			cur = (piece){ from, from, false };
			units = 0;
		}
		cur.end = to;
		units += seg;
	}
	if (!*too_large && cur.end.off > cur.start.off)
		IMPACT_PUSH(*out, *npieces, alloc, cur);
	free(starts);
}

/* ---- extraction ------------------------------------------------------- */

static bool id_char(unsigned char c);

void pyi_index_keywords(const char *s, size_t len, uint32_t **out, size_t *n)
{
	static const char *const words[] = { "import", "pytest" };
	uint32_t *pos[2] = { NULL, NULL };
	size_t npos[2] = { 0, 0 }, alloc[2] = { 0, 0 }, nall = 0;

	for (int k = 0; k < 2; k++) {
		const char *p = s, *end = s + len, *hit;
		while (p < end && (hit = memmem(p, (size_t)(end - p), words[k], 6))) {
			/*
			 * "import" inside a longer name (`gmp_import`, `importer`) can
			 * start no import: only the word itself, `__import__` and
			 * `import_module` can. A table of such names is then no reason
			 * to read a giant literal. Every "pytest" counts.
			 */
			size_t at = (size_t)(hit - s), after = at + 6;
			bool before_id = at > 0 && id_char((unsigned char)s[at - 1]);
			bool after_id = after < len && id_char((unsigned char)s[after]);
			bool dunder = at >= 2 && !memcmp(s + at - 2, "__", 2) && len - after >= 2 &&
			              !memcmp(s + after, "__", 2);
			bool module = len - after >= 7 && !memcmp(s + after, "_module", 7);
			if (k == 1 || (!before_id && !after_id) || dunder || (!before_id && module))
				IMPACT_PUSH(pos[k], npos[k], alloc[k], (uint32_t)at);
			p = hit + 1;
		}
	}
	/* Merge the two sorted lists. */
	*out = impact_xreallocarray(NULL, npos[0] + npos[1] + 1, sizeof(**out));
	for (size_t a = 0, b = 0; a < npos[0] || b < npos[1];) {
		if (b >= npos[1] || (a < npos[0] && pos[0][a] < pos[1][b]))
			(*out)[nall++] = pos[0][a++];
		else
			(*out)[nall++] = pos[1][b++];
	}
	*n = nall;
	free(pos[0]);
	free(pos[1]);
}

/*
 * The parse budget counts this thread's CPU time, not the wall clock: a
 * file is "too large" because of what it holds, never because the machine
 * was busy (a loaded CI runner would otherwise give up on files an idle
 * one reads, and select differently).
 */
uint64_t pyi_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#if TREE_SITTER_LANGUAGE_VERSION >= 15
/* tree-sitter 0.25+: parse with a progress callback that checks the CPU budget. */
static bool out_of_budget(TSParseState *state)
{
	return pyi_now_us() >= *(const uint64_t *)state->payload;
}

typedef struct src_view {
	const char *ptr;
	size_t len;
} src_view;

static const char *read_whole(void *payload, uint32_t byte, TSPoint at, uint32_t *n)
{
	const src_view *v = payload;
	IMPACT_UNUSED(at);
	*n = byte < v->len ? (uint32_t)(v->len - byte) : 0;
	return *n ? v->ptr + byte : "";
}

TSTree *pyi_parse_within(TSParser *ts, const char *src, size_t len, uint64_t deadline)
{
	src_view whole = { src, len };
	TSInput in = { &whole, read_whole, TSInputEncodingUTF8, NULL };
	TSParseOptions o = { &deadline, out_of_budget };
	return ts_parser_parse_with_options(ts, NULL, in, o);
}
#else
/* Older runtimes: their own timeout, on the wall clock. */
TSTree *pyi_parse_within(TSParser *ts, const char *src, size_t len, uint64_t deadline)
{
	uint64_t now = pyi_now_us();
	ts_parser_set_timeout_micros(ts, deadline > now ? deadline - now : 1);
	return ts_parser_parse_string(ts, NULL, src, (uint32_t)len);
}
#endif

/* ---- string evidence ---------------------------------------------------- */

static bool id_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool id_char(unsigned char c)
{
	return id_start(c) || (c >= '0' && c <= '9');
}

/* File extensions that make "a.b" a file name, not a dotted module name. */
static bool is_file_ext(const char *s, size_t n)
{
	static const char *const exts[] = {
		"py", "pyi", "json", "yaml", "yml", "txt", "toml", "cfg", "ini", "csv",
		"md", "rst", "html", "xml", "so", "sh", "sql", "db", "pem", "png", "jpg",
		"gz", "zip", "tar", "log", "out", "in", "dat", "bin", "conf", "j2",
	};
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(exts); i++)
		if (strlen(exts[i]) == n && !memcmp(exts[i], s, n))
			return true;
	return false;
}

/* -1: not evidence; else an impact_strref_kind. */
static int classify_literal(const char *s, size_t n)
{
	bool dotted = true, path = true, slash = false;
	size_t parts = 1, last_dot = SIZE_MAX;

	if (!s || n < 3 || n > 200 || s[0] == '/' || s[0] == '-')
		return -1;
	/* Dotted identifiers: a.b(.c)* */
	if (!id_start((unsigned char)s[0]))
		dotted = false;
	for (size_t i = 0; i < n && (dotted || path); i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (i + 1 >= n || !id_start((unsigned char)s[i + 1]))
				dotted = false;
			parts++;
			last_dot = i;
		} else if (!id_char(c)) {
			dotted = false;
		}
		if (c == '/')
			slash = true;
		else if (!id_char(c) && c != '.' && c != '-')
			path = false;
	}
	/* s is a literal inside the source, not NUL-terminated at n: memmem, never strstr. */
	if (slash && (memmem(s, n, "//", 2) || memmem(s, n, "://", 3)))
		path = false;
	if (dotted && parts >= 2 && !is_file_ext(s + last_dot + 1, n - last_dot - 1))
		return IMPACT_STRREF_MODULE;
	if (path)
		return IMPACT_STRREF_PATH;
	return -1;
}

/*
 * A lexical pass over the source for short one-line quoted literals that
 * may name a module or a path. Comments and triple-quoted strings
 * (docstrings) are skipped; strings with escapes or braces (f-strings)
 * are not evidence. Each distinct text is kept once per module.
 */
void pyi_scan_strings(impact_pyfacts *facts, arena *a, const char *src, size_t len)
{
	size_t alloc = 0;
	uint32_t line = 1;

	for (size_t i = 0; i < len; i++) {
		char c = src[i];
		if (c == '\n') {
			line++;
			continue;
		}
		if (c == '#') {
			while (i + 1 < len && src[i + 1] != '\n')
				i++;
			continue;
		}
		if (c != '"' && c != '\'')
			continue;
		if (i + 2 < len && src[i + 1] == c && src[i + 2] == c) {
			/* Triple-quoted: skip to its end, counting lines. */
			size_t j = i + 3;
			while (j + 2 < len && !(src[j] == c && src[j + 1] == c && src[j + 2] == c)) {
				if (src[j] == '\\')
					j++;
				else if (src[j] == '\n')
					line++;
				j++;
			}
			i = j + 2 < len ? j + 2 : len;
			continue;
		}
		{
			size_t j = i + 1;
			bool plain = true;
			while (j < len && src[j] != c && src[j] != '\n') {
				if (src[j] == '\\') {
					plain = false;
					j++;
				}
				j++;
			}
			if (j >= len || src[j] != c) {
				i = j < len ? j - 1 : len; /* unterminated: resume at the newline */
				continue;
			}
			if (plain) {
				int kind = classify_literal(src + i + 1, j - i - 1);
				bool seen = false;
				for (size_t k = 0; kind >= 0 && k < facts->nstrings && !seen; k++)
					seen = strlen(facts->strings[k].text) == j - i - 1 &&
					       !memcmp(facts->strings[k].text, src + i + 1, j - i - 1);
				if (kind >= 0 && !seen) {
					impact_strref r;
					r.text = arena_strndup(a, src + i + 1, j - i - 1);
					r.line = line;
					r.kind = (uint8_t)kind;
					IMPACT_PUSH(facts->strings, facts->nstrings, alloc, r);
				}
			}
			i = j;
		}
	}
}

