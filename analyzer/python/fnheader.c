/*
 * fnheader.c - does evaluating a function's header run code, and is the
 * function plain (fnhash.h: `sigs`)?
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
 *
 * A plain function is one whose def runs nothing but that header: a
 * top-level function at column 0, or a method at its class body's
 * indentation in a top-level class that nothing may inspect as it is made
 * (no decorator, no metaclass, bases from known_bases or plain classes of
 * the module); undecorated, or under known_decorators only.
 */
#include "fnhash.h"

#include <string.h>

#include "common.h"

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

/*
 * Is `name` (len bytes) one of the module's top-level functions or
 * data-only assignments, the bindings a fingerprint may leave out of the
 * import-time code (fnhash.h: `sigs`): a header reading one must keep its
 * place among them, which that fingerprint does not see?
 */
static bool omittable_name(const impact_pyfacts *facts, const char *name, size_t len)
{
	for (size_t i = 0; i < facts->nsymbols; i++) {
		const impact_symbol *t = &facts->symbols[i];
		if (t->parent == IMPACT_SYMBOL_NONE && strlen(t->name) == len && !memcmp(t->name, name, len) &&
		    (t->kind == IMPACT_SYMBOL_FUNCTION ||
		     (t->kind == IMPACT_SYMBOL_ASSIGN && (t->flags & IMPACT_SYMBOL_LITERAL))))
			return true;
	}
	return false;
}

/* Python's words that read no binding, in a default or an annotation. */
static bool keyword(const char *w, size_t len)
{
	static const char *const words[] = { "True", "False", "None", "and", "or", "not", "in", "is",
	                                     "if", "else" };
	for (size_t k = 0; k < IMPACT_ARRAY_SIZE(words); k++)
		if (strlen(words[k]) == len && !memcmp(words[k], w, len))
			return true;
	return false;
}

bool impact_fnheader_pure(const char *s, size_t n, bool lazy_annotations, const impact_pyfacts *facts)
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
		if (impact_py_word_byte(c)) {
			size_t b = i;
			while (i + 1 < n && impact_py_word_byte((unsigned char)s[i + 1]))
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
			if (code && facts && prev != '.' && !keyword(s + b, i + 1 - b) &&
			    omittable_name(facts, s + b, i + 1 - b))
				return false; /* reads a binding whose place the fingerprint does not keep */
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
			prev = c == '.' ? '.' : 0;
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
				if (!memcmp(src + k, "annotations", 11) && !impact_py_word_byte((unsigned char)src[k - 1]) &&
				    (k + 11 == end || !impact_py_word_byte((unsigned char)src[k + 11])))
					return true;
		}
		i = e + 1;
	}
	return false;
}

/* ---- plain functions ------------------------------------------------------ */

/*
 * Decorators that wrap a function without reading its signature at
 * import: (module, name) pairs, matched through the module's own imports
 * (`import contextlib` then `@contextlib.contextmanager`, or `from
 * functools import cache` then `@cache`); module "" for builtins, which
 * no import or definition of the module may rebind.
 */
static const char *const known_decorators[][2] = {
	{ "contextlib", "contextmanager" }, { "contextlib", "asynccontextmanager" },
	{ "functools", "cache" },           { "functools", "lru_cache" },
	{ "typing", "overload" },           { "typing", "final" },
	{ "typing", "no_type_check" },      { "typing_extensions", "overload" },
	{ "typing_extensions", "final" },   { "", "staticmethod" },
	{ "", "classmethod" },              { "", "property" },
};

/*
 * Bases whose class creation reads no method's signature (no
 * __init_subclass__ or metaclass that does): builtins, and typing's,
 * abc's and enum's.
 */
static const char *const known_bases[][2] = {
	{ "", "object" },        { "", "Exception" },         { "", "BaseException" },
	{ "", "ValueError" },    { "", "TypeError" },         { "", "KeyError" },
	{ "", "LookupError" },   { "", "RuntimeError" },      { "", "AttributeError" },
	{ "", "IndexError" },    { "", "OSError" },           { "", "NotImplementedError" },
	{ "", "Warning" },       { "", "UserWarning" },       { "", "DeprecationWarning" },
	{ "", "dict" },          { "", "list" },              { "", "tuple" },
	{ "", "set" },           { "", "str" },               { "", "int" },
	{ "abc", "ABC" },        { "typing", "Generic" },     { "typing", "NamedTuple" },
	{ "typing", "Protocol" }, { "enum", "Enum" },         { "enum", "IntEnum" },
	{ "enum", "Flag" },      { "enum", "IntFlag" },       { "enum", "StrEnum" },
};

/* Does module-level code of `facts` bind `name` (len bytes): an import, or a top-level symbol? */
static bool module_binds(const impact_pyfacts *facts, const char *name, size_t len)
{
	if (impact_imports_bind(facts, name, len))
		return true;
	for (size_t i = 0; i < facts->nsymbols; i++)
		if (facts->symbols[i].parent == IMPACT_SYMBOL_NONE && strlen(facts->symbols[i].name) == len &&
		    !memcmp(facts->symbols[i].name, name, len))
			return true;
	return false;
}

/*
 * Is `d` (len bytes: `name` or `mod.name`) one of `list` (n pairs) as the
 * module's imports bind it, or a builtin of the list nothing rebinds?
 */
static bool known_name(const impact_pyfacts *facts, const char *d, size_t len,
                       const char *const (*list)[2], size_t n)
{
	const char *dot = memchr(d, '.', len);
	size_t blen = dot ? (size_t)(dot - d) : len;
	for (size_t k = 0; k < n && !dot; k++)
		if (!*list[k][0] && strlen(list[k][1]) == len && !memcmp(list[k][1], d, len))
			return !module_binds(facts, d, len);
	for (size_t i = 0; i < facts->nimports; i++) {
		const impact_import *imp = &facts->imports[i];
		size_t bl;
		const char *bound = impact_import_bound(imp, &bl);
		if (!bound || imp->level || bl != blen || memcmp(bound, d, blen))
			continue;
		for (size_t k = 0; k < n; k++) {
			const char *m = list[k][0], *nm = list[k][1];
			if (!*m)
				continue;
			if (dot && imp->kind == IMPACT_IMPORT_MODULE && !strcmp(imp->module, m) &&
			    strlen(nm) == len - blen - 1 && !memcmp(dot + 1, nm, len - blen - 1))
				return true;
			if (!dot && imp->kind == IMPACT_IMPORT_FROM && !strcmp(imp->module, m) && imp->name &&
			    !strcmp(imp->name, nm))
				return true;
		}
		return false; /* bound by an import, but not to one of them */
	}
	return false;
}

/* Are lines `from` to `to` (1-based) each one known decorator, `@name` alone, at indentation `col`? */
static bool known_decorator_lines(const impact_pyfacts *facts, const char *src, const size_t *starts,
                                  uint32_t from, uint32_t to, size_t col)
{
	for (uint32_t l = from; l <= to; l++) {
		const char *p = src + starts[l - 1], *end = src + starts[l] - 1;
		const char *name;
		if (impact_indent_width(p, end) != col)
			return false;
		p += col;
		if (p == end || *p != '@')
			return false;
		name = ++p;
		while (p < end && (impact_py_word_byte((unsigned char)*p) || *p == '.'))
			p++;
		if (p == name || !known_name(facts, name, (size_t)(p - name), known_decorators,
		                             IMPACT_ARRAY_SIZE(known_decorators)))
			return false;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p < end && *p != '#')
			return false;
	}
	return true;
}

/*
 * Class `c` (a symbol of facts): a top-level class at column 0, with no
 * decorator and no keyword (metaclass=...), each base known or a plain
 * class of the module (`depth` bounds the chain). Returns its body's
 * indentation, or 0 when it is not plain; *body (when not NULL) is then
 * where the body's first statement begins.
 */
static size_t plain_class(const impact_pyfacts *facts, uint32_t c, const char *src, const size_t *starts,
                          size_t nlines, unsigned depth, const char **body)
{
	const impact_symbol *s = &facts->symbols[c];
	const char *p, *end = src + starts[nlines];
	int level = 0;
	if (depth > 8 || s->kind != IMPACT_SYMBOL_CLASS || s->parent != IMPACT_SYMBOL_NONE ||
	    s->start_line != s->def_line || !s->def_line || s->def_line > nlines)
		return 0;
	p = src + starts[s->def_line - 1];
	if (strncmp(p, "class ", 6))
		return 0;
	p += 6;
	while (p < end && impact_py_word_byte((unsigned char)*p))
		p++;
	/* The bases, one by one, up to the header's colon. */
	for (;;) {
		const char *b;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\\'))
			p++;
		if (p >= end)
			return 0;
		if (*p == ':' && !level)
			break;
		if (*p == '(' && !level) {
			level = 1;
			p++;
			continue;
		}
		if (*p == ')' && level == 1) {
			level = 0;
			p++;
			continue;
		}
		if (*p == ',' && level == 1) {
			p++;
			continue;
		}
		if (level != 1 || !impact_py_word_byte((unsigned char)*p))
			return 0; /* a keyword, a call, a subscript, a comment: unknown */
		b = p;
		while (p < end && (impact_py_word_byte((unsigned char)*p) || *p == '.'))
			p++;
		if (p < end && *p == '=')
			return 0; /* metaclass=..., or another class keyword */
		if (!known_name(facts, b, (size_t)(p - b), known_bases, IMPACT_ARRAY_SIZE(known_bases))) {
			/* A class of this module: plain itself. */
			uint32_t k = IMPACT_SYMBOL_NONE;
			for (uint32_t i = 0; i < facts->nsymbols && i < c; i++)
				if (facts->symbols[i].parent == IMPACT_SYMBOL_NONE &&
				    strlen(facts->symbols[i].name) == (size_t)(p - b) &&
				    !memcmp(facts->symbols[i].name, b, (size_t)(p - b)))
					k = i;
			if (k == IMPACT_SYMBOL_NONE || facts->symbols[k].kind != IMPACT_SYMBOL_CLASS ||
			    !plain_class(facts, k, src, starts, nlines, depth + 1, NULL))
				return 0;
		}
	}
	/* The body's indentation: its first line holding code (none on the header's line). */
	for (bool first = true; ++p < end; first = false) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		size_t col = impact_indent_width(p, e);
		if (p + col < e && p[col] != '#' && p[col] != '\r') {
			if (body)
				*body = p + col;
			return first ? 0 : col;
		}
		if (!nl)
			break;
		p = nl;
	}
	return 0;
}

bool impact_fnheader_plain(const impact_pyfacts *facts, uint32_t k, const char *src,
                           const size_t *starts, size_t nlines, bool lazy)
{
	const impact_symbol *s = &facts->symbols[k];
	const char *line, *last;
	size_t b, e, col = 0;
	bool one = (s->flags & IMPACT_SYMBOL_ONE_LINER) != 0;
	if ((s->kind != IMPACT_SYMBOL_FUNCTION && s->kind != IMPACT_SYMBOL_METHOD) || !s->start_line ||
	    s->start_line > s->def_line || s->body_start_line < s->def_line + !one ||
	    s->body_start_line > nlines || !strncmp(s->name, "pytest_", 7))
		return false;
	if (s->kind == IMPACT_SYMBOL_METHOD) {
		last = strrchr(s->name, '.');
		if (s->parent >= facts->nsymbols || !last || !strncmp(last + 1, "pytest_", 7) ||
		    !(col = plain_class(facts, s->parent, src, starts, nlines, 0, NULL)))
			return false;
	} else if (s->parent != IMPACT_SYMBOL_NONE) {
		return false;
	}
	if (s->start_line < s->def_line &&
	    !known_decorator_lines(facts, src, starts, s->start_line, s->def_line - 1, col))
		return false;
	/* The header's lines; a one-liner's last holds its body too (the scan stops at the colon). */
	b = starts[s->def_line - 1];
	e = starts[s->body_start_line - !one];
	line = src + b;
	if (impact_indent_width(line, src + e) != col)
		return false; /* inside an if, a try, a with */
	line += col;
	if (strncmp(line, "def ", 4) && strncmp(line, "async def ", 10))
		return false;
	return impact_fnheader_pure(line, (size_t)(src + e - line), lazy, facts);
}

/* The 1-based line holding byte `at` of the source whose lines start at `starts`. */
static uint32_t line_of(const size_t *starts, size_t nlines, size_t at)
{
	size_t lo = 1, hi = nlines;
	while (lo < hi) {
		size_t mid = (lo + hi + 1) / 2;
		if (starts[mid - 1] <= at)
			lo = mid;
		else
			hi = mid - 1;
	}
	return (uint32_t)lo;
}

bool impact_fnheader_class_doc(const impact_pyfacts *facts, uint32_t k, const char *src,
                               const size_t *starts, size_t nlines, uint32_t *from, uint32_t *to)
{
	const char *body = NULL, *p, *end = src + starts[nlines];
	size_t e;
	*from = *to = 0;
	if (!plain_class(facts, k, src, starts, nlines, 0, &body) || !body)
		return false;
	p = body;
	/* A plain string: r'' or u'' at most, never an f-string or bytes. */
	if (*p == 'r' || *p == 'R' || *p == 'u' || *p == 'U')
		p++;
	if (p >= end || (*p != '"' && *p != '\''))
		return true; /* no docstring */
	e = skip_string(src, starts[nlines], (size_t)(p - src));
	if (e >= starts[nlines])
		return false;
	/* Alone on its last line: nothing but a comment after it. */
	for (p = src + e; p < end && *p != '\n'; p++) {
		if (*p == '#')
			break;
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return false;
	}
	*from = line_of(starts, nlines, (size_t)(body - src));
	*to = line_of(starts, nlines, e - 1);
	return true;
}

bool impact_fnheader_names_nothing(const char *s, size_t n)
{
	size_t i = 0;
	/* Past the target's name. */
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (i < n && impact_py_word_byte((unsigned char)s[i]))
		i++;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '#') {
			while (i + 1 < n && s[i + 1] != '\n')
				i++;
		} else if (c == '"' || c == '\'') {
			size_t e = skip_string(s, n, i);
			if (e > n)
				return false;
			i = e - 1;
		} else if (c >= '0' && c <= '9') {
			while (i + 1 < n && (impact_py_word_byte((unsigned char)s[i + 1]) || s[i + 1] == '.'))
				i++; /* 1e3, 0x1f, 1_000, 2.5j */
		} else if (impact_py_word_byte(c)) {
			size_t b = i;
			while (i + 1 < n && impact_py_word_byte((unsigned char)s[i + 1]))
				i++;
			/* A string prefix, or True, False, None; any other name is read. */
			if (i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\'') && i - b < 2)
				continue;
			if (!((i - b == 3 && (!memcmp(s + b, "True", 4) || !memcmp(s + b, "None", 4))) ||
			      (i - b == 4 && !memcmp(s + b, "False", 5))))
				return false;
		}
	}
	return true;
}
