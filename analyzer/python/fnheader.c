/*
 * fnheader.c - does evaluating a function's header run code?
 *
 * A `def` statement runs when its module (or class body) does: it
 * evaluates the defaults, and the annotations unless the module has
 * `from __future__ import annotations`, then binds the name. When those
 * expressions call nothing (no call, no subscript or operator in a
 * default, no call in an evaluated annotation), a new header changes
 * nothing at import: only what the function's callers see, the way a new
 * body does (fnhash.c's signature fingerprint, precise_change.c).
 *
 * A lexical scan of the header's text, strings and comments skipped,
 * brackets counted. It errs toward "runs code": anything it does not
 * know (a walrus, a lambda's own default, a header it cannot follow)
 * makes the header impure.
 */
#include "fnhash.h"

#include <string.h>

static bool ident(unsigned char c)
{
	return c == '_' || c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* Past the string literal opening at s[i] (a quote): the index after it, or n when unclosed. */
static size_t skip_string(const char *s, size_t n, size_t i)
{
	char q = s[i];
	bool triple = i + 2 < n && s[i + 1] == q && s[i + 2] == q;
	i += triple ? 3 : 1;
	while (i < n) {
		if (s[i] == '\\') {
			i += 2;
		} else if (s[i] == q && (!triple || (i + 2 < n && s[i + 1] == q && s[i + 2] == q))) {
			return i + (triple ? 3 : 1);
		} else if (s[i] == '\n' && !triple) {
			return n;
		} else {
			i++;
		}
	}
	return n;
}

enum region { R_NAME, R_ANNOT, R_DEFAULT };

bool impact_fnheader_pure(const char *s, size_t n, bool lazy_annotations)
{
	size_t i = 0;
	int depth = 0;
	enum region r = R_NAME;
	bool opened = false, closed = false;
	unsigned char prev = 0; /* the last significant byte: a word byte is 'a' */

	/* `async def name`, then type parameters `[T]` (evaluated lazily) up to the `(`. */
	while (i < n && s[i] != '(' && s[i] != '[')
		i++;
	if (i < n && s[i] == '[') {
		int d = 0;
		for (; i < n; i++) {
			d += s[i] == '[';
			d -= s[i] == ']';
			if (!d)
				break;
		}
		i++;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
	}
	if (i >= n || s[i] != '(')
		return false;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool code = r == R_DEFAULT || (r == R_ANNOT && !lazy_annotations);
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\\')
			continue;
		if (c == '#') {
			while (i + 1 < n && s[i + 1] != '\n')
				i++;
			continue;
		}
		if (c == '"' || c == '\'') {
			size_t e = skip_string(s, n, i);
			if (e >= n)
				return false;
			i = e - 1;
			prev = '"';
			continue;
		}
		if (ident(c)) {
			size_t b = i;
			while (i + 1 < n && ident((unsigned char)s[i + 1]))
				i++;
			/* A string prefix (f'...', rb"..."): an f-string may call anything. */
			if (i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\'') && i - b < 2) {
				for (size_t k = b; k <= i; k++)
					if ((s[k] == 'f' || s[k] == 'F' || s[k] == 't' || s[k] == 'T') && code)
						return false;
				continue;
			}
			if (code && ((i + 1 - b == 6 && !memcmp(s + b, "lambda", 6)) ||
			             (i + 1 - b == 5 && (!memcmp(s + b, "await", 5) || !memcmp(s + b, "yield", 5)))))
				return false; /* a lambda's defaults run; await and yield run anything */
			prev = 'a';
			continue;
		}
		if (closed) {
			/* After the parameters: `-> annotation`, then the header's colon. */
			if (c == ':' && !depth)
				return true;
			if (c == '-' && i + 1 < n && s[i + 1] == '>' && !depth && r == R_NAME) {
				r = R_ANNOT;
				i++;
				prev = 0;
				continue;
			}
		}
		if (c == '(' || c == '[' || c == '{') {
			bool applied = prev == 'a' || prev == ')' || prev == ']' || prev == '"';
			if (!opened) {
				opened = true; /* the parameter list itself */
				depth = 1;
				prev = 0;
				continue;
			}
			if (code && applied && (c == '(' || r == R_DEFAULT))
				return false; /* a call, or a default's subscript */
			depth++;
			prev = 0;
			continue;
		}
		if (c == ')' || c == ']' || c == '}') {
			if (--depth < 0)
				return false;
			if (!depth && !closed) {
				if (c != ')')
					return false;
				closed = true; /* the parameter list ends */
				r = R_NAME;
			}
			prev = (unsigned char)c;
			continue;
		}
		if (depth == 1 && !closed) {
			/* Within the parameter list: `:` opens an annotation, `=` a default, `,` ends them. */
			if (c == ',') {
				r = R_NAME;
				prev = 0;
				continue;
			}
			if (c == ':' && r == R_NAME) {
				r = R_ANNOT;
				prev = 0;
				continue;
			}
			if (c == '=' && r != R_DEFAULT && !(i + 1 < n && s[i + 1] == '=')) {
				r = R_DEFAULT;
				prev = 0;
				continue;
			}
		}
		if (r == R_NAME && !closed && (c == '*' || c == '/')) {
			prev = 0; /* `*args`, `**kw`, the `*` and `/` markers */
			continue;
		}
		if (c == '.' || c == ',' || (c == ':' && depth > 1)) {
			prev = 0;
			continue;
		}
		/* An operator: harmless in a lazy annotation, `X | None` in an evaluated one, a
		 * unary minus in a default; anything else may run a dunder. */
		if (r == R_ANNOT && (lazy_annotations || c == '|')) {
			prev = 0;
			continue;
		}
		if (r == R_DEFAULT && c == '-' && (prev == 0 || prev == '=')) {
			prev = 0;
			continue;
		}
		if (r == R_ANNOT && c == '-' && lazy_annotations) {
			prev = 0;
			continue;
		}
		return false;
	}
	return false;
}

bool impact_fnheader_lazy_annotations(const char *src, size_t len)
{
	static const char stmt[] = "from __future__ import";
	const size_t sl = sizeof(stmt) - 1;
	for (size_t i = 0; i + sl <= len;) {
		const char *nl = memchr(src + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - src) : len;
		if (e - i >= sl && !memcmp(src + i, stmt, sl)) {
			/* The statement, parenthesised over several lines or not. */
			size_t end = e;
			if (memchr(src + i, '(', e - i)) {
				const char *close = memchr(src + i, ')', len - i);
				end = close ? (size_t)(close - src) : len;
			}
			for (size_t k = i + sl; k + 11 <= end; k++)
				if (!memcmp(src + k, "annotations", 11) && !ident((unsigned char)src[k - 1]) &&
				    (k + 11 == end || !ident((unsigned char)src[k + 11])))
					return true;
		}
		i = e + 1;
	}
	return false;
}
