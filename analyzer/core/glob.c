/*
 * glob.c - .gitignore-style path patterns (see glob.h).
 *
 * A pattern compiles to a list of tokens, one per component: a component
 * pattern (matched against one path component) or STAR (any number of
 * components, from a "**" component). Anchoring, trailing '/' and "a
 * directory match covers what is below it" are all turned into tokens at
 * compile time: an unanchored pattern starts with STAR; every pattern ends
 * with STAR (a match may stop at a directory), or with "*" STAR when it
 * only matches directories (a file cannot end the match), so one linear
 * matcher handles every form. Both levels use the classic wildcard
 * algorithm that remembers only the last star: correct for stars that
 * match any sequence, and polynomial.
 *
 * Written here rather than taken from a library: fnmatch(3) has no "**"
 * and no directory semantics, and no Debian library matches arbitrary
 * gitignore patterns against arbitrary paths (libgit2 only answers for
 * files of a repository's own ignore rules).
 */
#include "glob.h"

#include "buf.h"

#include <ctype.h>

typedef struct token {
	const char *s; /* component pattern, not NUL-terminated; unused for STAR */
	size_t len;
	bool star;     /* "**": any number of components, zero included */
} token;

struct impact_glob {
	char *text;    /* the pattern without '!' and leading '/'; tokens point here */
	token *tok;
	size_t ntok;
	bool negated;
};

/* --- one component ------------------------------------------------------ */

static const struct { const char *name; int (*fn)(int); } classes[] = {
	{ "alnum", isalnum }, { "alpha", isalpha }, { "blank", isblank },
	{ "cntrl", iscntrl }, { "digit", isdigit }, { "graph", isgraph },
	{ "lower", islower }, { "print", isprint }, { "punct", ispunct },
	{ "space", isspace }, { "upper", isupper }, { "xdigit", isxdigit },
};

/* The [:name:] class at p (just after "[:"), its length in *len; NULL if unknown. */
static int (*class_at(const char *p, size_t n, size_t *len))(int)
{
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(classes); i++) {
		size_t k = strlen(classes[i].name);
		if (k + 2 <= n && !memcmp(p, classes[i].name, k) && p[k] == ':' && p[k + 1] == ']') {
			*len = k + 2;
			return classes[i].fn;
		}
	}
	return NULL;
}

/*
 * Match byte `c` against the bracket expression at p[0] == '['. Sets *used
 * to its length. Returns 1 (match), 0 (no match), -1 (malformed: no
 * closing ']', an unknown [:class:], a trailing '\').
 */
static int bracket(const char *p, size_t n, unsigned char c, size_t *used)
{
	size_t i = 1;
	bool neg = false, hit = false, first = true;

	if (i < n && (p[i] == '!' || p[i] == '^')) {
		neg = true;
		i++;
	}
	while (i < n) {
		unsigned char lo, hi;
		if (p[i] == ']' && !first) {
			*used = i + 1;
			return hit != neg;
		}
		first = false;
		if (p[i] == '[' && i + 1 < n && p[i + 1] == ':') {
			size_t len;
			int (*fn)(int) = class_at(p + i + 2, n - i - 2, &len);
			if (!fn)
				return -1;
			hit |= fn(c) != 0;
			i += 2 + len;
			continue;
		}
		if (p[i] == '\\') {
			if (++i >= n)
				return -1;
		}
		lo = (unsigned char)p[i++];
		hi = lo;
		if (i + 1 < n && p[i] == '-' && p[i + 1] != ']') {
			i++;
			if (p[i] == '\\' && ++i >= n)
				return -1;
			hi = (unsigned char)p[i++];
		}
		if (c >= lo && c <= hi)
			hit = true;
	}
	return -1;
}

/* One component pattern against one path component: `*`, `?`, `[...]`, `\x`. */
static bool component_match(const char *p, size_t plen, const char *s, size_t slen)
{
	size_t pi = 0, si = 0, star_pi = SIZE_MAX, star_si = 0;

	while (si < slen) {
		if (pi < plen) {
			char c = p[pi];
			size_t used;
			if (c == '*') {
				while (pi < plen && p[pi] == '*')
					pi++;
				star_pi = pi;
				star_si = si;
				continue;
			}
			if (c == '?') {
				pi++;
				si++;
				continue;
			}
			if (c == '[') {
				if (bracket(p + pi, plen - pi, (unsigned char)s[si], &used) == 1) {
					pi += used;
					si++;
					continue;
				}
			} else if (c == '\\' && pi + 1 < plen) {
				if (p[pi + 1] == s[si]) {
					pi += 2;
					si++;
					continue;
				}
			} else if (c == s[si]) {
				pi++;
				si++;
				continue;
			}
		}
		/* Mismatch: the last star takes one more byte, or there is none. */
		if (star_pi == SIZE_MAX)
			return false;
		pi = star_pi;
		si = ++star_si;
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

/* Problems in one component; 0 or IMPACT_EINVALID naming `pattern`. */
static int component_check(const char *p, size_t n, const char *pattern)
{
	if (n == 0)
		return impact_error_set(IMPACT_EINVALID,
		                        "pattern '%s' has an empty component ('//') — remove the extra '/'",
		                        pattern);
	if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
		return impact_error_set(IMPACT_EINVALID,
		                        "pattern '%s' has a '%.*s' component — patterns are relative "
		                        "to the repository root: write the path without '.' or '..'",
		                        pattern, (int)n, p);
	for (size_t i = 0; i < n; i++) {
		size_t used;
		if (p[i] == '\\') {
			if (i + 1 >= n)
				return impact_error_set(IMPACT_EINVALID,
				                        "pattern '%s' has a '\\' with nothing to quote — "
				                        "remove it, or write '\\\\' for a backslash", pattern);
			i++;
		} else if (p[i] == '[') {
			if (bracket(p + i, n - i, 0, &used) < 0)
				return impact_error_set(IMPACT_EINVALID,
				                        "pattern '%s' has an unclosed or malformed '[' — close "
				                        "the class with ']' (it cannot hold '/'), or write '\\[' "
				                        "for a literal bracket", pattern);
			i += used - 1;
		}
	}
	return 0;
}

/* --- the whole path ----------------------------------------------------- */

static void push_token(token **v, size_t *n, size_t *alloc, token t)
{
	/* Consecutive STARs are one. */
	if (t.star && *n && (*v)[*n - 1].star)
		return;
	IMPACT_PUSH(*v, *n, *alloc, t);
}

int impact_glob_compile(impact_glob **out, const char *pattern)
{
	static const char one_component[] = "*";
	impact_glob *g = NULL;
	const char *body = pattern;
	char *p;
	size_t len, alloc = 0;
	bool anchored, dir_only = false, negated = false;
	int rc;

	*out = NULL;
	if (*body == '!') {
		negated = true;
		body++;
	}
	anchored = *body == '/';
	if (anchored)
		body++;
	len = strlen(body);
	if (len && body[len - 1] == '/') {
		dir_only = true;
		len--;
	}
	anchored |= memchr(body, '/', len) != NULL;
	if (len == 0)
		return impact_error_set(IMPACT_EINVALID, "pattern '%s' is empty — write a path or "
		                        "a glob such as 'docs/' or '*.json'", pattern);

	g = impact_xcalloc(1, sizeof(*g));
	g->negated = negated;
	g->text = impact_xstrndup(body, len);
	if (!anchored)
		push_token(&g->tok, &g->ntok, &alloc, (token){ NULL, 0, true });
	p = g->text;
	for (;;) {
		char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if ((rc = component_check(p, n, pattern)) < 0)
			goto fail;
		if (n == 2 && p[0] == '*' && p[1] == '*') {
			/* A trailing "**" is everything inside: at least one component. */
			if (!end)
				push_token(&g->tok, &g->ntok, &alloc,
				           (token){ one_component, 1, false });
			push_token(&g->tok, &g->ntok, &alloc, (token){ NULL, 0, true });
		} else {
			push_token(&g->tok, &g->ntok, &alloc, (token){ p, n, false });
		}
		if (!end)
			break;
		p = end + 1;
	}
	/* What is below a matching directory matches too; a directory-only pattern needs a child. */
	if (dir_only)
		push_token(&g->tok, &g->ntok, &alloc, (token){ one_component, 1, false });
	push_token(&g->tok, &g->ntok, &alloc, (token){ NULL, 0, true });
	*out = g;
	return 0;
fail:
	impact_glob_free(g);
	return rc;
}

void impact_glob_free(impact_glob *g)
{
	if (!g)
		return;
	free(g->text);
	free(g->tok);
	free(g);
}

bool impact_glob_negated(const impact_glob *g)
{
	return g->negated;
}

bool impact_glob_matches(const impact_glob *g, const char *path)
{
	size_t ti = 0, star_ti = SIZE_MAX;
	const char *pp = path, *star_pp = NULL;

	if (!*path)
		return false;
	for (;;) {
		if (ti < g->ntok && g->tok[ti].star) {
			star_ti = ++ti;
			star_pp = pp;
			if (ti == g->ntok)
				return true; /* a final STAR takes whatever is left */
			continue;
		}
		if (!*pp)
			return ti == g->ntok; /* a star taking more leaves even less */
		if (ti < g->ntok) {
			const char *end = strchr(pp, '/');
			size_t n = end ? (size_t)(end - pp) : strlen(pp);
			if (component_match(g->tok[ti].s, g->tok[ti].len, pp, n)) {
				ti++;
				pp += n + (end != NULL);
				continue;
			}
		}
		/* Mismatch, or tokens used up with components left: the last STAR takes one more. */
		if (star_ti == SIZE_MAX || !*star_pp)
			return false;
		{
			const char *end = strchr(star_pp, '/');
			star_pp = end ? end + 1 : star_pp + strlen(star_pp);
		}
		pp = star_pp;
		ti = star_ti;
	}
}

bool impact_glob_match(const char *pattern, const char *path)
{
	impact_glob *g = NULL;
	bool hit;
	impact_buf quoted = IMPACT_BUF_INIT;

	/* Here a leading '!' is literal: quote it. */
	if (*pattern == '!') {
		impact_buf_putc(&quoted, '\\');
		impact_buf_puts(&quoted, pattern);
		pattern = quoted.ptr;
	}
	if (impact_glob_compile(&g, pattern) < 0) {
		impact_buf_release(&quoted);
		return false;
	}
	hit = impact_glob_matches(g, path);
	impact_glob_free(g);
	impact_buf_release(&quoted);
	return hit;
}

bool impact_glob_is_literal(const char *pattern)
{
	return !strpbrk(pattern, "*?[\\");
}

int impact_glob_check(const char *pattern)
{
	impact_glob *g = NULL;
	int rc = impact_glob_compile(&g, pattern);
	impact_glob_free(g);
	return rc;
}
