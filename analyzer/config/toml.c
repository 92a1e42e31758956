/*
 * toml.c - TOML text to a tree of positioned values (see toml.h).
 *
 * The syntax is the tree-sitter TOML grammar's; this file turns its
 * concrete tree into values and enforces the rules the grammar does not:
 * no key defined twice, no table defined twice, no adding to an inline
 * table or a value through dotted keys or headers. Strings are unescaped
 * here (basic, literal and both multi-line forms). Arrays nest through an
 * explicit depth bound (IMPACT_TOML_MAX_DEPTH) so no input can exhaust the
 * C stack. Values live in one arena (arena.h) freed with the document.
 */
#include "toml.h"

#include "arena.h"
#include "buf.h"

#include <errno.h>
#include <math.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_toml(void);

#define IMPACT_TOML_MAX_DEPTH 128

typedef impact_arena arena;

/* Table flags, kept beside each table value in a side structure. */
enum {
	T_DEFINED = 1 << 0,  /* by a [header] */
	T_IMPLICIT = 1 << 1, /* created as a parent of a header or dotted key */
	T_INLINE = 1 << 2,   /* an inline table: closed */
	T_DOTTED = 1 << 3,   /* created by a dotted key in a table body */
	T_AOT = 1 << 4,      /* an array of tables (on the array) */
};

typedef struct parser {
	const char *src;
	size_t len;
	const char *file;
	arena *a;
	impact_buf tmp;
	int rc;
} parser;

static void *arena_alloc(arena *a, size_t n)
{
	return impact_arena_alloc(a, n);
}

static const char *arena_str(arena *a, const char *s, size_t n)
{
	return impact_arena_strndup(a, s, n);
}

static int fail(parser *p, TSNode n, const char *fmt, const char *arg)
{
	TSPoint pt = ts_node_start_point(n);
	if (p->rc == 0) {
		impact_buf msg = IMPACT_BUF_INIT;
		impact_buf_printf(&msg, fmt, arg ? arg : "");
		p->rc = impact_error_set(IMPACT_EINVALID, "%s:%u:%u: %s", p->file,
		                         pt.row + 1, pt.column + 1, msg.ptr);
		impact_buf_release(&msg);
	}
	return p->rc;
}

/* The parser's flags of a value (kept in the value: a lookup would be quadratic). */
static unsigned *flags_of(parser *p, impact_toml_value *v)
{
	IMPACT_UNUSED(p);
	return &v->parse_flags;
}

static impact_toml_value *new_value(parser *p, impact_toml_kind kind, TSNode n)
{
	impact_toml_value *v = arena_alloc(p->a, sizeof(*v));
	TSPoint pt = ts_node_start_point(n);
	v->kind = kind;
	v->line = pt.row + 1;
	v->col = pt.column + 1;
	return v;
}

static impact_toml_kv *table_add(parser *p, impact_toml_value *t, const char *key,
                                 TSNode at)
{
	impact_toml_kv *kv;
	size_t n = t->u.tbl.n;
	/* Grow by copying into the arena, doubling at powers of two (the capacity). */
	if (n == 0 || (n >= 4 && !(n & (n - 1)))) {
		impact_toml_kv *items = arena_alloc(p->a, (n ? 2 * n : 4) * sizeof(*items));
		if (n)
			memcpy(items, t->u.tbl.kv, n * sizeof(*items));
		t->u.tbl.kv = items;
	}
	kv = &t->u.tbl.kv[t->u.tbl.n++];
	kv->key = key;
	kv->line = ts_node_start_point(at).row + 1;
	kv->col = ts_node_start_point(at).column + 1;
	return kv;
}

static impact_toml_kv *table_find(const impact_toml_value *t, const char *key)
{
	for (size_t i = 0; i < t->u.tbl.n; i++)
		if (!strcmp(t->u.tbl.kv[i].key, key))
			return &t->u.tbl.kv[i];
	return NULL;
}

static void array_push(parser *p, impact_toml_value *arr, impact_toml_value *v)
{
	size_t n = arr->u.arr.n;
	/* Doubling at powers of two, the capacity implied: an array of tables may be long. */
	if (n == 0 || (n >= 4 && !(n & (n - 1)))) {
		impact_toml_value **items = arena_alloc(p->a, (n ? 2 * n : 4) * sizeof(*items));
		if (n)
			memcpy(items, arr->u.arr.items, n * sizeof(*items));
		arr->u.arr.items = items;
	}
	arr->u.arr.items[arr->u.arr.n++] = v;
}

static const char *node_text(parser *p, TSNode n, size_t *len)
{
	uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
	if (e > p->len)
		e = (uint32_t)p->len;
	if (s > e)
		s = e;
	*len = e - s;
	return p->src + s;
}

static void put_utf8(impact_buf *b, unsigned long cp)
{
	char x[4];
	if (cp < 0x80) {
		impact_buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		x[0] = (char)(0xc0 | (cp >> 6));
		x[1] = (char)(0x80 | (cp & 0x3f));
		impact_buf_put(b, x, 2);
	} else if (cp < 0x10000) {
		x[0] = (char)(0xe0 | (cp >> 12));
		x[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		x[2] = (char)(0x80 | (cp & 0x3f));
		impact_buf_put(b, x, 3);
	} else {
		x[0] = (char)(0xf0 | (cp >> 18));
		x[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		x[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		x[3] = (char)(0x80 | (cp & 0x3f));
		impact_buf_put(b, x, 4);
	}
}

/* Unescape a string or quoted key node's text into p->tmp. */
static int decode_string(parser *p, TSNode n)
{
	size_t len, q;
	const char *s = node_text(p, n, &len);
	bool literal, multi;

	impact_buf_clear(&p->tmp);
	if (len < 2)
		return fail(p, n, "malformed string", NULL);
	literal = s[0] == '\'';
	multi = len >= 6 && (!strncmp(s, "\"\"\"", 3) || !strncmp(s, "'''", 3));
	q = multi ? 3 : 1;
	if (len < 2 * q)
		return fail(p, n, "malformed string", NULL);
	s += q;
	len -= 2 * q;
	/* A newline right after the opening delimiter is trimmed. */
	if (multi && len && s[0] == '\n') {
		s++;
		len--;
	} else if (multi && len > 1 && s[0] == '\r' && s[1] == '\n') {
		s += 2;
		len -= 2;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\0')
			return fail(p, n, "a string holds a NUL byte", NULL);
		if (literal || c != '\\') {
			impact_buf_putc(&p->tmp, c);
			continue;
		}
		if (++i >= len)
			return fail(p, n, "a string ends with a lone backslash", NULL);
		c = s[i];
		switch (c) {
		case 'b': impact_buf_putc(&p->tmp, '\b'); break;
		case 't': impact_buf_putc(&p->tmp, '\t'); break;
		case 'n': impact_buf_putc(&p->tmp, '\n'); break;
		case 'f': impact_buf_putc(&p->tmp, '\f'); break;
		case 'r': impact_buf_putc(&p->tmp, '\r'); break;
		case 'e': impact_buf_putc(&p->tmp, 0x1b); break;
		case '"': impact_buf_putc(&p->tmp, '"'); break;
		case '\\': impact_buf_putc(&p->tmp, '\\'); break;
		case 'u':
		case 'U': {
			size_t digits = c == 'u' ? 4 : 8;
			unsigned long cp = 0;
			if (i + digits >= len)
				return fail(p, n, "a \\u escape needs its hex digits", NULL);
			for (size_t k = 1; k <= digits; k++) {
				char h = s[i + k];
				cp <<= 4;
				if (h >= '0' && h <= '9') cp |= (unsigned long)(h - '0');
				else if (h >= 'a' && h <= 'f') cp |= (unsigned long)(h - 'a' + 10);
				else if (h >= 'A' && h <= 'F') cp |= (unsigned long)(h - 'A' + 10);
				else return fail(p, n, "a \\u escape needs hex digits", NULL);
			}
			if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0)
				return fail(p, n, "a \\u escape names no valid character", NULL);
			put_utf8(&p->tmp, cp);
			i += digits;
			break;
		}
		default:
			if (multi && (c == '\n' || c == ' ' || c == '\t' || c == '\r')) {
				/* Line-ending backslash: drop whitespace up to the next text. */
				size_t k = i;
				bool newline = false;
				while (k < len && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r')) {
					newline |= s[k] == '\n';
					k++;
				}
				if (!newline)
					return fail(p, n, "a backslash in a string must start an escape", NULL);
				i = k - 1;
				break;
			}
			return fail(p, n, "unknown escape in a string", NULL);
		}
	}
	return 0;
}

/* Key segments of a key node (bare, quoted, dotted) appended to `segs`. */
static int key_segments(parser *p, TSNode key, const char ***segs, size_t *n,
                        size_t *alloc, TSNode **where, size_t *wn, size_t *walloc)
{
	TSNode stack[64];
	size_t top = 0;
	stack[top++] = key;
	/* dotted_key nests to the left: walk it with an explicit stack. */
	while (top) {
		TSNode k = stack[--top];
		const char *type = ts_node_type(k);
		if (!strcmp(type, "dotted_key")) {
			uint32_t c = ts_node_named_child_count(k);
			if (top + c > IMPACT_ARRAY_SIZE(stack))
				return fail(p, k, "a key has too many parts", NULL);
			for (uint32_t i = c; i-- > 0;)
				stack[top++] = ts_node_named_child(k, i);
			continue;
		}
		if (!strcmp(type, "bare_key")) {
			size_t len;
			const char *s = node_text(p, k, &len);
			IMPACT_PUSH(*segs, *n, *alloc, arena_str(p->a, s, len));
		} else if (!strcmp(type, "quoted_key")) {
			if (decode_string(p, k) < 0)
				return p->rc;
			IMPACT_PUSH(*segs, *n, *alloc, arena_str(p->a, p->tmp.ptr, p->tmp.size));
		} else {
			continue; /* punctuation */
		}
		IMPACT_PUSH(*where, *wn, *walloc, k);
	}
	return 0;
}

static bool is_key_type(const char *t)
{
	return !strcmp(t, "bare_key") || !strcmp(t, "quoted_key") || !strcmp(t, "dotted_key");
}

static impact_toml_value *convert_value(parser *p, TSNode n, unsigned depth);

static int parse_integer(parser *p, TSNode n, int64_t *out)
{
	size_t len;
	const char *s = node_text(p, n, &len);
	char buf[96];
	size_t k = 0;
	int base = 10;
	bool neg = false;
	unsigned long long v;
	char *end;

	for (size_t i = 0; i < len && k + 1 < sizeof(buf); i++)
		if (s[i] != '_')
			buf[k++] = s[i];
	buf[k] = '\0';
	char *d = buf;
	if (*d == '+' || *d == '-') {
		neg = *d == '-';
		d++;
	}
	if (d[0] == '0' && (d[1] == 'x' || d[1] == 'o' || d[1] == 'b')) {
		base = d[1] == 'x' ? 16 : d[1] == 'o' ? 8 : 2;
		d += 2;
	}
	errno = 0;
	v = strtoull(d, &end, base);
	if (errno || *end || end == d || v > (neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX))
		return fail(p, n, "integer out of range or malformed", NULL);
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int parse_float(parser *p, TSNode n, double *out)
{
	size_t len;
	const char *s = node_text(p, n, &len);
	char buf[128];
	size_t k = 0;
	char *end;
	for (size_t i = 0; i < len && k + 1 < sizeof(buf); i++)
		if (s[i] != '_')
			buf[k++] = s[i];
	buf[k] = '\0';
	{
		const char *d = buf + (buf[0] == '+' || buf[0] == '-');
		if (!strcmp(d, "inf")) {
			*out = buf[0] == '-' ? -INFINITY : INFINITY;
			return 0;
		}
		if (!strcmp(d, "nan")) {
			*out = NAN;
			return 0;
		}
	}
	errno = 0;
	*out = strtod(buf, &end);
	if (*end || end == buf)
		return fail(p, n, "malformed float", NULL);
	return 0;
}

/* Put `v` at `segs` below `table`; dotted parents are created (T_DOTTED). */
static int assign(parser *p, impact_toml_value *table, const char **segs, size_t nseg,
                  TSNode *where, impact_toml_value *v)
{
	for (size_t i = 0; i + 1 < nseg; i++) {
		impact_toml_kv *kv = table_find(table, segs[i]);
		if (!kv) {
			kv = table_add(p, table, segs[i], where[i]);
			kv->value = new_value(p, IMPACT_TOML_TABLE, where[i]);
			*flags_of(p, kv->value) |= T_DOTTED;
		} else if (kv->value->kind != IMPACT_TOML_TABLE ||
		           (*flags_of(p, kv->value) & (T_INLINE | T_DEFINED)) ||
		           !(*flags_of(p, kv->value) & T_DOTTED)) {
			return fail(p, where[i], "'%s' is already defined: a key cannot also be a table "
			            "(merge the two definitions)", segs[i]);
		}
		table = kv->value;
	}
	if (table_find(table, segs[nseg - 1]))
		return fail(p, where[nseg - 1], "duplicate key '%s' (each key may be set once)",
		            segs[nseg - 1]);
	table_add(p, table, segs[nseg - 1], where[nseg - 1])->value = v;
	return 0;
}

/*
 * The named children of `n` (caller frees *out). Through a cursor: this
 * runtime's ts_node_named_child(n, i) walks from the first child, so a
 * loop over i is quadratic in a document of many tables or a long array.
 */
static uint32_t named_children(TSNode n, TSNode **out)
{
	TSTreeCursor cur = ts_tree_cursor_new(n);
	uint32_t count = 0, alloc = 0;
	*out = NULL;
	if (ts_tree_cursor_goto_first_child(&cur)) {
		do {
			TSNode c = ts_tree_cursor_current_node(&cur);
			if (ts_node_is_named(c)) {
				if (count == alloc) {
					alloc = alloc ? 2 * alloc : 16;
					*out = impact_xrealloc(*out, alloc * sizeof(**out));
				}
				(*out)[count++] = c;
			}
		} while (ts_tree_cursor_goto_next_sibling(&cur));
	}
	ts_tree_cursor_delete(&cur);
	return count;
}

static int convert_pairs(parser *p, TSNode parent, impact_toml_value *table, unsigned depth)
{
	TSNode *kids = NULL;
	uint32_t count = named_children(parent, &kids);
	for (uint32_t i = 0; i < count && !p->rc; i++) {
		TSNode pair = kids[i];
		const char **segs = NULL;
		TSNode *where = NULL;
		size_t nseg = 0, aseg = 0, nw = 0, aw = 0;
		TSNode key = { 0 }, val = { 0 };
		bool have_key = false, have_val = false;
		impact_toml_value *v;

		if (strcmp(ts_node_type(pair), "pair"))
			continue;
		for (uint32_t k = 0; k < ts_node_named_child_count(pair); k++) {
			TSNode c = ts_node_named_child(pair, k);
			if (!have_key && is_key_type(ts_node_type(c))) {
				key = c;
				have_key = true;
			} else if (strcmp(ts_node_type(c), "comment")) {
				val = c;
				have_val = true;
			}
		}
		if (!have_key || !have_val) {
			fail(p, pair, "a key needs a value", NULL);
			break;
		}
		if (key_segments(p, key, &segs, &nseg, &aseg, &where, &nw, &aw) == 0 && nseg) {
			v = convert_value(p, val, depth);
			if (v)
				assign(p, table, segs, nseg, where, v);
		}
		free(segs);
		free(where);
	}
	free(kids);
	return p->rc;
}

static impact_toml_value *convert_value(parser *p, TSNode n, unsigned depth)
{
	const char *t = ts_node_type(n);
	impact_toml_value *v;

	if (depth > IMPACT_TOML_MAX_DEPTH) {
		fail(p, n, "values nested too deeply", NULL);
		return NULL;
	}
	if (!strcmp(t, "string")) {
		if (decode_string(p, n) < 0)
			return NULL;
		if (memchr(p->tmp.ptr, '\0', p->tmp.size)) {
			fail(p, n, "a string holds a NUL character", NULL);
			return NULL;
		}
		v = new_value(p, IMPACT_TOML_STRING, n);
		v->u.s = arena_str(p->a, p->tmp.ptr, p->tmp.size);
	} else if (!strcmp(t, "integer")) {
		v = new_value(p, IMPACT_TOML_INTEGER, n);
		if (parse_integer(p, n, &v->u.i) < 0)
			return NULL;
	} else if (!strcmp(t, "float")) {
		v = new_value(p, IMPACT_TOML_FLOAT, n);
		if (parse_float(p, n, &v->u.f) < 0)
			return NULL;
	} else if (!strcmp(t, "boolean")) {
		size_t len;
		const char *s = node_text(p, n, &len);
		v = new_value(p, IMPACT_TOML_BOOL, n);
		v->u.b = len == 4 && !memcmp(s, "true", 4);
	} else if (!strcmp(t, "local_date") || !strcmp(t, "local_time") ||
	           !strcmp(t, "local_date_time") || !strcmp(t, "offset_date_time")) {
		size_t len;
		const char *s = node_text(p, n, &len);
		v = new_value(p, IMPACT_TOML_DATETIME, n);
		v->u.s = arena_str(p->a, s, len);
	} else if (!strcmp(t, "array")) {
		TSNode *kids = NULL;
		uint32_t count = named_children(n, &kids);
		v = new_value(p, IMPACT_TOML_ARRAY, n);
		for (uint32_t i = 0; i < count && !p->rc; i++) {
			TSNode c = kids[i];
			impact_toml_value *item;
			if (!strcmp(ts_node_type(c), "comment"))
				continue;
			item = convert_value(p, c, depth + 1);
			if (!item) {
				free(kids);
				return NULL;
			}
			array_push(p, v, item);
		}
		free(kids);
	} else if (!strcmp(t, "inline_table")) {
		v = new_value(p, IMPACT_TOML_TABLE, n);
		if (convert_pairs(p, n, v, depth + 1) < 0)
			return NULL;
		*flags_of(p, v) |= T_INLINE;
	} else {
		fail(p, n, "unexpected '%s' where a value belongs", t);
		return NULL;
	}
	return p->rc ? NULL : v;
}

/* [a.b.c] or [[a.b.c]]: find or create the table the body goes into. */
static impact_toml_value *open_header(parser *p, TSNode node, impact_toml_value *root,
                                      bool array)
{
	const char **segs = NULL;
	TSNode *where = NULL, key = { 0 };
	size_t nseg = 0, aseg = 0, nw = 0, aw = 0;
	impact_toml_value *t = root, *result = NULL;
	bool found = false;

	for (uint32_t i = 0; i < ts_node_named_child_count(node); i++) {
		TSNode c = ts_node_named_child(node, i);
		if (is_key_type(ts_node_type(c))) {
			key = c;
			found = true;
			break;
		}
	}
	if (!found) {
		fail(p, node, "a table header needs a name", NULL);
		return NULL;
	}
	if (key_segments(p, key, &segs, &nseg, &aseg, &where, &nw, &aw) < 0 || !nseg)
		goto done;
	for (size_t i = 0; i < nseg; i++) {
		impact_toml_kv *kv = table_find(t, segs[i]);
		bool last = i + 1 == nseg;
		if (!kv) {
			kv = table_add(p, t, segs[i], where[i]);
			if (last && array) {
				kv->value = new_value(p, IMPACT_TOML_ARRAY, node);
				*flags_of(p, kv->value) |= T_AOT;
			} else {
				kv->value = new_value(p, IMPACT_TOML_TABLE, node);
				*flags_of(p, kv->value) |= last ? T_DEFINED : T_IMPLICIT;
			}
		} else if (last) {
			unsigned *fl = flags_of(p, kv->value);
			if (kv->value->kind != IMPACT_TOML_TABLE && kv->value->kind != IMPACT_TOML_ARRAY) {
				fail(p, where[i], "'%s' is a value, not a table", segs[i]);
				goto done;
			}
			if (array) {
				if (kv->value->kind != IMPACT_TOML_ARRAY || !(*fl & T_AOT)) {
					fail(p, where[i], "'%s' is already defined and is not an array of tables", segs[i]);
					goto done;
				}
			} else if (kv->value->kind != IMPACT_TOML_TABLE || (*fl & (T_DEFINED | T_INLINE)) ||
			           (*fl & T_DOTTED)) {
				fail(p, where[i], "table '%s' is defined twice (merge the two sections)", segs[i]);
				goto done;
			} else {
				*fl = (*fl & ~(unsigned)T_IMPLICIT) | T_DEFINED;
			}
		}
		if (kv->value->kind == IMPACT_TOML_ARRAY) {
			if (!(*flags_of(p, kv->value) & T_AOT)) {
				fail(p, where[i], "'%s' is a value, not a table", segs[i]);
				goto done;
			}
			if (last && array) {
				impact_toml_value *elem = new_value(p, IMPACT_TOML_TABLE, node);
				*flags_of(p, elem) |= T_DEFINED;
				array_push(p, kv->value, elem);
				t = elem;
				continue;
			}
			/* [a.b] after [[a]]: into the last element. */
			t = kv->value->u.arr.items[kv->value->u.arr.n - 1];
			continue;
		}
		if (kv->value->kind != IMPACT_TOML_TABLE || (*flags_of(p, kv->value) & T_INLINE)) {
			fail(p, where[i], "'%s' is a value, not a table", segs[i]);
			goto done;
		}
		t = kv->value;
	}
	result = t;
done:
	free(segs);
	free(where);
	return result;
}

static bool first_error(TSNode root, TSNode *out)
{
	TSTreeCursor c = ts_tree_cursor_new(root);
	bool found = false;
	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);
		if (!strcmp(ts_node_type(n), "ERROR") || ts_node_is_missing(n)) {
			*out = n;
			found = true;
			break;
		}
		if (ts_node_has_error(n) && ts_tree_cursor_goto_first_child(&c))
			continue;
		while (!ts_tree_cursor_goto_next_sibling(&c))
			if (!ts_tree_cursor_goto_parent(&c))
				goto done;
	}
done:
	ts_tree_cursor_delete(&c);
	return found;
}

int impact_toml_parse(impact_toml_doc **out, const char *src, size_t len,
                      const char *filename)
{
	TSParser *tsp = NULL;
	TSTree *tree = NULL;
	impact_toml_doc *doc = NULL;
	parser p;
	TSNode root, err;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.src = src ? src : "";
	p.len = src ? len : 0;
	p.file = filename ? filename : "(toml)";
	impact_buf_init(&p.tmp);
	if (p.len > UINT32_MAX / 2) {
		p.rc = impact_error_set(IMPACT_EINVALID, "%s: too large to be a configuration file", p.file);
		goto done;
	}
	if (memchr(p.src, '\0', p.len)) {
		size_t off = (size_t)((const char *)memchr(p.src, '\0', p.len) - p.src);
		size_t line = 1, col = 1;
		for (size_t i = 0; i < off; i++, col++)
			if (p.src[i] == '\n') {
				line++;
				col = 0;
			}
		p.rc = impact_error_set(IMPACT_EINVALID, "%s:%zu:%zu: a NUL byte (is this a text file?)",
		                        p.file, line, col);
		goto done;
	}
	doc = impact_xcalloc(1, sizeof(*doc));
	p.a = impact_xcalloc(1, sizeof(arena));
	doc->arena = p.a;
	tsp = ts_parser_new();
	if (!ts_parser_set_language(tsp, tree_sitter_toml())) {
		p.rc = impact_error_set(IMPACT_ERROR, "cannot load the TOML grammar");
		goto done;
	}
	tree = ts_parser_parse_string(tsp, NULL, p.src, (uint32_t)p.len);
	if (!tree) {
		p.rc = impact_error_set(IMPACT_EINVALID, "%s: cannot be parsed", p.file);
		goto done;
	}
	root = ts_tree_root_node(tree);
	doc->root = new_value(&p, IMPACT_TOML_TABLE, root);
	doc->root->line = doc->root->col = 1;
	if (ts_node_has_error(root) && first_error(root, &err)) {
		fail(&p, err, ts_node_is_missing(err) ? "syntax error: '%s' expected" : "syntax error",
		     ts_node_is_missing(err) ? ts_node_type(err) : NULL);
		goto done;
	}
	{
		impact_toml_value *current = doc->root;
		TSNode *kids = NULL;
		uint32_t count = named_children(root, &kids);
		for (uint32_t i = 0; i < count && !p.rc; i++) {
			TSNode c = kids[i];
			const char *t = ts_node_type(c);
			if (!strcmp(t, "pair")) {
				/* Pairs before the first header belong to the root. */
				const char **segs = NULL;
				TSNode *where = NULL, key = { 0 }, val = { 0 };
				size_t nseg = 0, aseg = 0, nw = 0, aw = 0;
				bool hk = false, hv = false;
				for (uint32_t k = 0; k < ts_node_named_child_count(c); k++) {
					TSNode x = ts_node_named_child(c, k);
					if (!hk && is_key_type(ts_node_type(x))) {
						key = x;
						hk = true;
					} else if (strcmp(ts_node_type(x), "comment")) {
						val = x;
						hv = true;
					}
				}
				if (!hk || !hv) {
					fail(&p, c, "a key needs a value", NULL);
				} else if (key_segments(&p, key, &segs, &nseg, &aseg, &where, &nw, &aw) == 0 && nseg) {
					impact_toml_value *v = convert_value(&p, val, 0);
					if (v)
						assign(&p, current, segs, nseg, where, v);
				}
				free(segs);
				free(where);
			} else if (!strcmp(t, "table") || !strcmp(t, "table_array_element")) {
				impact_toml_value *tbl = open_header(&p, c, doc->root,
				                                     !strcmp(t, "table_array_element"));
				if (tbl)
					convert_pairs(&p, c, tbl, 0);
			}
		}
		free(kids);
	}
done:
	if (tree)
		ts_tree_delete(tree);
	if (tsp)
		ts_parser_delete(tsp);
	impact_buf_release(&p.tmp);
	if (p.rc) {
		impact_toml_free(doc);
		return p.rc;
	}
	*out = doc;
	return 0;
}

void impact_toml_free(impact_toml_doc *doc)
{
	if (!doc)
		return;
	if (doc->arena)
		impact_arena_release(doc->arena);
	free(doc->arena);
	free(doc);
}

const impact_toml_kv *impact_toml_find(const impact_toml_value *table, const char *key)
{
	if (!table || table->kind != IMPACT_TOML_TABLE)
		return NULL;
	return table_find(table, key);
}

const impact_toml_value *impact_toml_get(const impact_toml_value *table, const char *dotted)
{
	const impact_toml_value *t = table;
	const char *s = dotted;
	char seg[256];
	while (t && *s) {
		const char *dot = strchr(s, '.');
		size_t n = dot ? (size_t)(dot - s) : strlen(s);
		const impact_toml_kv *kv;
		if (n >= sizeof(seg) || t->kind != IMPACT_TOML_TABLE)
			return NULL;
		memcpy(seg, s, n);
		seg[n] = '\0';
		kv = table_find(t, seg);
		if (!kv)
			return NULL;
		t = kv->value;
		s = dot ? dot + 1 : s + n;
	}
	return t;
}

const char *impact_toml_kind_name(impact_toml_kind kind)
{
	switch (kind) {
	case IMPACT_TOML_STRING: return "a string";
	case IMPACT_TOML_INTEGER: return "an integer";
	case IMPACT_TOML_FLOAT: return "a float";
	case IMPACT_TOML_BOOL: return "a boolean";
	case IMPACT_TOML_DATETIME: return "a date-time";
	case IMPACT_TOML_ARRAY: return "an array";
	case IMPACT_TOML_TABLE: return "a table";
	}
	return "?";
}
