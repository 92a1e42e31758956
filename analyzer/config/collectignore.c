/*
 * collectignore.c - collect_ignore / collect_ignore_glob of conftest.py
 * files (see collectignore.h).
 *
 * A small reader of the few statement shapes that bind or extend the
 * lists with string literals, at column 0; everything else is left alone,
 * which leaves files tests (the safe side). Matching follows pytest's
 * pytest_ignore_collect: at each level of the walk down to a file, the
 * path is looked up in the list of the nearest conftest defining it.
 */
#include "collectignore.h"

#include <fnmatch.h>

enum { LIST_IGNORE = 0, LIST_GLOB = 1 };

typedef struct cursor {
	const char *s;
	size_t n, i;
} cursor;

/* Spaces and tabs; inside brackets also newlines, comments and joins. */
static void skip_blank(cursor *c, bool bracketed)
{
	while (c->i < c->n) {
		char ch = c->s[c->i];
		if (ch == ' ' || ch == '\t' || ch == '\f')
			c->i++;
		else if (ch == '\\' && c->i + 1 < c->n && c->s[c->i + 1] == '\n')
			c->i += 2;
		else if (bracketed && (ch == '\n' || ch == '\r'))
			c->i++;
		else if (bracketed && ch == '#')
			while (c->i < c->n && c->s[c->i] != '\n')
				c->i++;
		else
			break;
	}
}

static bool eat(cursor *c, const char *word)
{
	size_t k = strlen(word);
	if (c->i + k > c->n || memcmp(c->s + c->i, word, k))
		return false;
	c->i += k;
	return true;
}

/* One plain string literal ('x', "x", r'x'): its text appended to `out`. */
static bool string_literal(cursor *c, impact_buf *out)
{
	bool raw = false;
	char q;
	if (c->i < c->n && strchr("rRuU", c->s[c->i]) && c->i + 1 < c->n &&
	    (c->s[c->i + 1] == '\'' || c->s[c->i + 1] == '"')) {
		raw = c->s[c->i] == 'r' || c->s[c->i] == 'R';
		c->i++;
	}
	if (c->i >= c->n || (c->s[c->i] != '\'' && c->s[c->i] != '"'))
		return false;
	q = c->s[c->i++];
	if (c->i + 1 < c->n && c->s[c->i] == q && c->s[c->i + 1] == q)
		return false; /* triple-quoted: not a path list */
	for (; c->i < c->n; c->i++) {
		char ch = c->s[c->i];
		if (ch == q) {
			c->i++;
			return true;
		}
		if (ch == '\n' || (ch == '\\' && !raw))
			return false; /* escapes: not worth reading; the entry stays unknown */
		impact_buf_putc(out, ch);
	}
	return false;
}

/* `[` or `(` string literals separated by commas `]`/`)`; one for append(). */
static bool literal_list(cursor *c, impact_strlist *items, bool single)
{
	impact_buf s = IMPACT_BUF_INIT;
	char close;
	bool ok = false;
	if (single) {
		close = 0;
	} else if (c->i < c->n && (c->s[c->i] == '[' || c->s[c->i] == '(')) {
		close = c->s[c->i] == '[' ? ']' : ')';
		c->i++;
	} else {
		return false;
	}
	for (;;) {
		skip_blank(c, true);
		if (close && c->i < c->n && c->s[c->i] == close) {
			c->i++;
			ok = true;
			break;
		}
		impact_buf_clear(&s);
		if (!string_literal(c, &s))
			break;
		impact_strlist_push(items, s.ptr ? s.ptr : "");
		skip_blank(c, true);
		if (single) {
			ok = true;
			break;
		}
		if (c->i < c->n && c->s[c->i] == ',')
			c->i++;
		else if (!(c->i < c->n && c->s[c->i] == close))
			break;
	}
	impact_buf_release(&s);
	return ok;
}

/* An entry as a repository path under `dir`; NULL for one impact does not take. */
static char *joined(const char *dir, const char *entry)
{
	impact_buf b = IMPACT_BUF_INIT;
	size_t n;
	while (entry[0] == '.' && entry[1] == '/')
		entry += 2;
	n = strlen(entry);
	while (n && entry[n - 1] == '/')
		n--;
	if (!n || entry[0] == '/' || strchr(entry, '\\') || (n == 1 && entry[0] == '.'))
		return NULL;
	for (const char *p = entry; p < entry + n; p = strchr(p, '/') ? strchr(p, '/') + 1 : entry + n)
		if (p[0] == '.' && p[1] == '.' && (p + 2 == entry + n || p[2] == '/'))
			return NULL; /* outside the folder: left alone */
	if (*dir)
		impact_buf_printf(&b, "%s/", dir);
	impact_buf_put(&b, entry, n);
	return impact_buf_detach(&b);
}

/* One column-0 statement naming list `which` at c->i (just past its name). */
static void statement(cursor *c, impact_conftest_ignore *ci, int which)
{
	impact_strlist *list = which == LIST_GLOB ? &ci->glob : &ci->ignore;
	impact_strlist items = { 0 };
	bool replace = false, ok = false;
	skip_blank(c, false);
	if (c->i < c->n && c->s[c->i] == ':') {
		/* An annotation: `collect_ignore: list[str] = [...]`. */
		while (c->i < c->n && c->s[c->i] != '=' && c->s[c->i] != '\n')
			c->i++;
	}
	if (eat(c, "+=")) {
		skip_blank(c, false);
		ok = literal_list(c, &items, false);
	} else if (c->i < c->n && c->s[c->i] == '=' && !(c->i + 1 < c->n && c->s[c->i + 1] == '=')) {
		c->i++;
		skip_blank(c, false);
		replace = true;
		ok = literal_list(c, &items, false);
	} else if (eat(c, ".append(")) {
		ok = literal_list(c, &items, true) && eat(c, ")");
	} else if (eat(c, ".extend(")) {
		skip_blank(c, true);
		ok = literal_list(c, &items, false);
		skip_blank(c, true);
		ok = ok && eat(c, ")");
	}
	if (replace) {
		/* A new binding: what was read before no longer holds. */
		impact_strlist_release(list);
		memset(list, 0, sizeof(*list));
	}
	for (size_t i = 0; ok && i < items.n; i++) {
		char *p = joined(ci->dir, items.items[i]);
		if (p)
			impact_strlist_push(list, p);
		free(p);
	}
	impact_strlist_release(&items);
}

static bool name_byte(char ch)
{
	return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (unsigned char)ch >= 0x80;
}

/* Is `word` at s[i], a whole name (not part of a longer one, not an attribute)? */
static bool word_at(const char *s, size_t n, size_t i, const char *word)
{
	size_t k = strlen(word);
	if (i + k > n || memcmp(s + i, word, k))
		return false;
	if (i && (name_byte(s[i - 1]) || s[i - 1] == '.'))
		return false;
	return !(i + k < n && name_byte(s[i + k]));
}

void impact_conftest_ignores_read(impact_conftest_ignores *out, const char *path,
                                  const char *src, size_t len)
{
	impact_conftest_ignore ci;
	const char *slash;
	if (!src || !len || !memmem(src, len, "collect_ignore", 14))
		return;
	memset(&ci, 0, sizeof(ci));
	slash = strrchr(path, '/');
	ci.dir = slash ? impact_xstrndup(path, (size_t)(slash - path)) : impact_xstrdup("");
	for (size_t i = 0; i + 14 <= len; i++) {
		int which;
		if (word_at(src, len, i, "collect_ignore"))
			which = LIST_IGNORE;
		else if (word_at(src, len, i, "collect_ignore_glob"))
			which = LIST_GLOB;
		else
			continue;
		if (which == LIST_GLOB)
			ci.defines_glob = true;
		else
			ci.defines_ignore = true;
		if (i == 0 || src[i - 1] == '\n') {
			cursor c = { src, len, i + (which == LIST_GLOB ? 19 : 14) };
			statement(&c, &ci, which);
		}
	}
	if (!ci.defines_ignore && !ci.defines_glob) {
		free(ci.dir);
		return;
	}
	IMPACT_PUSH(out->v, out->n, out->alloc, ci);
}

/* Is folder `dir` ("" the root) `parent` or one of its folders? */
static bool covers(const char *dir, const char *parent)
{
	size_t k = strlen(dir);
	return !k || (!strncmp(parent, dir, k) && (parent[k] == '\0' || parent[k] == '/'));
}

/* The nearest conftest defining list `which` for what folder `parent` holds. */
static const impact_conftest_ignore *nearest(const impact_conftest_ignores *l, const char *parent,
                                             int which)
{
	const impact_conftest_ignore *best = NULL;
	for (size_t i = 0; i < l->n; i++) {
		const impact_conftest_ignore *ci = &l->v[i];
		if (!(which == LIST_GLOB ? ci->defines_glob : ci->defines_ignore) || !covers(ci->dir, parent))
			continue;
		if (!best || strlen(ci->dir) > strlen(best->dir))
			best = ci;
	}
	return best;
}

bool impact_conftest_ignores_match(const impact_conftest_ignores *l, const char *path)
{
	char *q;
	bool hit = false;
	if (!l || !l->n)
		return false;
	q = impact_xstrdup(path);
	for (;;) {
		char *slash = strrchr(q, '/');
		const impact_conftest_ignore *ci;
		if (slash)
			*slash = '\0'; /* q is now the parent; the level's path is q + '/' + tail */
		ci = nearest(l, slash ? q : "", LIST_IGNORE);
		if (slash)
			*slash = '/';
		for (size_t i = 0; ci && !hit && i < ci->ignore.n; i++)
			hit = !strcmp(ci->ignore.items[i], q);
		if (slash)
			*slash = '\0';
		ci = nearest(l, slash ? q : "", LIST_GLOB);
		if (slash)
			*slash = '/';
		for (size_t i = 0; ci && !hit && i < ci->glob.n; i++)
			hit = fnmatch(ci->glob.items[i], q, 0) == 0; /* pytest's: '*' crosses '/' */
		if (hit || !slash)
			break;
		*slash = '\0'; /* up one level */
	}
	free(q);
	return hit;
}

void impact_conftest_ignores_release(impact_conftest_ignores *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].dir);
		impact_strlist_release(&l->v[i].ignore);
		impact_strlist_release(&l->v[i].glob);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
