/*
 * fnhash.c - token fingerprints of functions and of import-time code
 * (see fnhash.h).
 *
 * A small lexer walks the lines chosen, tracking string literals (single,
 * double, triple-quoted, with escapes) so that a '#' or spaces inside a
 * string are content, not a comment or layout. Bracket depth is tracked
 * so that a continuation line's indentation is layout, while a logical
 * line's indentation is structure. FNV-1a (64-bit) over the normalised
 * bytes: this is change detection, not security.
 */
#include "fnhash.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

typedef struct lexer {
	uint64_t h;
	int quote;      /* 0, or the quote char of the open string */
	bool triple;
	int depth;      /* open brackets */
	bool pending_space;
	bool tokens;    /* tokens only: spaces, wrapping and backslash joins are layout */
	bool joined;    /* tokens: the previous line ended with a backslash */
	unsigned char last; /* tokens: the last byte fed outside a string */
} lexer;

static void feed(lexer *lx, unsigned char c)
{
	lx->h ^= c;
	lx->h *= FNV_PRIME;
}

/*
 * Feed one line (without its newline) into the fingerprint. Returns
 * nothing: state carries across lines (strings and brackets span lines).
 */
static void feed_line(lexer *lx, const char *s, size_t n)
{
	size_t i = 0;
	bool wrote = false;
	bool joined = lx->joined;
	lx->joined = false;
	/* Indentation counts only at the start of a logical line. */
	if (!lx->quote && !lx->depth && !joined) {
		size_t k = 0;
		while (k < n && (s[k] == ' ' || s[k] == '\t'))
			k++;
		if (k == n || s[k] == '#')
			return; /* blank or comment-only: layout */
		feed(lx, '\n');
		for (size_t j = 0; j < k; j++)
			feed(lx, (unsigned char)s[j]);
		i = k;
	} else if (lx->quote) {
		feed(lx, '\n'); /* a newline inside a string is content */
	}
	/* A continuation line: in tokens mode its break separates like a space. */
	lx->pending_space = lx->tokens && !lx->quote && (lx->depth || joined);
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (lx->quote) {
			feed(lx, c);
			if (c == '\\' && i + 1 < n) {
				feed(lx, (unsigned char)s[++i]);
				continue;
			}
			if (c == lx->quote) {
				if (!lx->triple) {
					lx->quote = 0;
				} else if (i + 2 < n + 0 && s[i + 1] == lx->quote && s[i + 2] == lx->quote) {
					feed(lx, c);
					feed(lx, c);
					i += 2;
					lx->quote = 0;
					lx->triple = false;
				}
			}
			wrote = true;
			continue;
		}
		if (c == '#')
			break;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
			lx->pending_space = wrote || lx->pending_space;
			continue;
		}
		if (lx->tokens && c == '\\' && i + 1 == n) {
			lx->joined = true; /* a backslash join is layout */
			break;
		}
		if (lx->pending_space) {
			/* Tokens mode: a space only where it separates two words. */
			if (!lx->tokens || (impact_py_word_byte(lx->last) && impact_py_word_byte(c)))
				feed(lx, ' ');
			lx->pending_space = false;
		}
		lx->last = c;
		if (c == '"' || c == '\'') {
			lx->quote = c;
			lx->triple = i + 2 < n && s[i + 1] == (char)c && s[i + 2] == (char)c;
			feed(lx, c);
			if (lx->triple) {
				feed(lx, c);
				feed(lx, c);
				i += 2;
			}
		} else {
			if (c == '(' || c == '[' || c == '{')
				lx->depth++;
			else if ((c == ')' || c == ']' || c == '}') && lx->depth > 0)
				lx->depth--;
			feed(lx, c);
		}
		wrote = true;
	}
	/* A one-quote string cannot span lines (without a backslash): close it. */
	if (lx->quote && !lx->triple && !(n && s[n - 1] == '\\'))
		lx->quote = 0;
}

/* Byte offsets of each line start: starts[k] is line k+1; starts[nlines] = len. */
static size_t *line_starts(const char *src, size_t len, size_t *nlines)
{
	size_t n = 1, k = 1;
	size_t *starts;
	for (size_t i = 0; i < len; i++)
		n += src[i] == '\n';
	starts = impact_xmalloc((n + 1) * sizeof(size_t));
	starts[0] = 0;
	for (size_t i = 0; i < len; i++)
		if (src[i] == '\n')
			starts[k++] = i + 1;
	starts[n] = len;
	*nlines = n;
	return starts;
}

static void feed_lines(lexer *lx, const char *src, const size_t *starts, size_t nlines,
                       uint32_t from, uint32_t to)
{
	for (uint32_t l = from; l <= to && l >= 1 && l <= nlines; l++) {
		size_t b = starts[l - 1], e = starts[l];
		if (e > b && src[e - 1] == '\n')
			e--;
		feed_line(lx, src + b, e - b);
	}
}

static bool is_function(const impact_symbol *s)
{
	return s->kind == IMPACT_SYMBOL_FUNCTION || s->kind == IMPACT_SYMBOL_METHOD;
}

/*
 * Where a one-liner's body begins (`def f(x): return x`): the length of
 * line `body` up to and including the colon that ends the header begun
 * on line `def`, or SIZE_MAX when it cannot be told (the whole line then
 * stays import-time). Strings, comments and brackets are skipped: the
 * first colon outside them is the header's (annotations, defaults and
 * lambdas sit inside the parentheses).
 */
static size_t header_cut(const char *src, const size_t *starts, size_t nlines, uint32_t def,
                         uint32_t body)
{
	size_t end;
	int depth = 0;
	char quote = 0;
	bool triple = false;
	if (!def || def > body || body > nlines)
		return SIZE_MAX;
	end = starts[body];
	for (size_t i = starts[def - 1]; i < end; i++) {
		char c = src[i];
		if (quote) {
			if (c == '\\')
				i++;
			else if (c == '\n' && !triple)
				return SIZE_MAX; /* an unclosed one-quote string: not a header to cut */
			else if (c == quote && !triple)
				quote = 0;
			else if (c == quote && i + 2 < end && src[i + 1] == c && src[i + 2] == c) {
				i += 2;
				quote = 0;
				triple = false;
			}
			continue;
		}
		if (c == '#') {
			while (i + 1 < end && src[i + 1] != '\n')
				i++;
		} else if (c == '"' || c == '\'') {
			quote = c;
			triple = i + 2 < end && src[i + 1] == c && src[i + 2] == c;
			if (triple)
				i += 2;
		} else if (c == '(' || c == '[' || c == '{') {
			depth++;
		} else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
			depth--;
		} else if (c == ':' && !depth) {
			return i >= starts[body - 1] ? i + 1 - starts[body - 1] : SIZE_MAX;
		}
	}
	return SIZE_MAX;
}

/* A lexer at the start of a fingerprint. */
static void lexer_start(lexer *lx, bool tokens)
{
	memset(lx, 0, sizeof(*lx));
	lx->h = FNV_OFFSET;
	lx->tokens = tokens;
}

/* A lexer's state at a line that is not fed on: nothing open leaks past it. */
static void settle(lexer *lx)
{
	lx->quote = 0;
	lx->triple = false;
	lx->depth = 0;
	lx->joined = false;
}

/*
 * The data-only assignments (IMPACT_SYMBOL_LITERAL) alone on their lines
 * (no `;` there, so no other statement shares them): each one's own
 * fingerprint in out->val, and *value_of, per line, the one holding it
 * (IMPACT_SYMBOL_NONE elsewhere; NULL when there is none).
 */
static void value_lines(impact_fnhashes *out, const char *src, const size_t *starts, size_t nlines,
                        const impact_pyfacts *facts, uint32_t **value_of)
{
	out->val = impact_xcalloc(facts->nsymbols + 1, sizeof(uint64_t));
	for (size_t i = 0; i < facts->nsymbols; i++) {
		const impact_symbol *s = &facts->symbols[i];
		lexer lx;
		if (s->kind != IMPACT_SYMBOL_ASSIGN || !(s->flags & IMPACT_SYMBOL_LITERAL) || !s->start_line ||
		    s->end_line < s->start_line || s->end_line > nlines ||
		    memchr(src + starts[s->start_line - 1], ';', starts[s->end_line] - starts[s->start_line - 1]))
			continue;
		lexer_start(&lx, true);
		feed_lines(&lx, src, starts, nlines, s->start_line, s->end_line);
		out->val[i] = lx.h ? lx.h : 1;
		if (!*value_of) {
			*value_of = impact_xmalloc((nlines + 2) * sizeof(uint32_t));
			for (size_t l = 0; l < nlines + 2; l++)
				(*value_of)[l] = IMPACT_SYMBOL_NONE;
		}
		for (uint32_t l = s->start_line; l <= s->end_line; l++)
			(*value_of)[l] = (uint32_t)i;
	}
}

/*
 * The `sigs` fingerprint and per plain function its header's, per plain
 * class its docstring's, per data-only assignment its own (fnhash.h):
 * every line of module code but those, as `module` is made.
 */
static void header_lines(impact_fnhashes *out, const char *src, size_t len, const size_t *starts,
                         size_t nlines, const impact_pyfacts *facts, const bool *in_body,
                         const size_t *cut)
{
	bool lazy = impact_fnheader_lazy_annotations(src, len);
	bool *in_header = impact_xcalloc(nlines + 2, sizeof(bool));
	lexer lx;
	uint32_t *header_of = impact_xmalloc((nlines + 2) * sizeof(uint32_t));
	out->sig = impact_xcalloc(facts->nsymbols + 1, sizeof(uint64_t));
	out->sigat = impact_xcalloc(facts->nsymbols + 1, sizeof(uint64_t));
	for (size_t l = 0; l < nlines + 2; l++)
		header_of[l] = IMPACT_SYMBOL_NONE;
	for (size_t i = 0; i < facts->nsymbols; i++) {
		const impact_symbol *s = &facts->symbols[i];
		bool one = (s->flags & IMPACT_SYMBOL_ONE_LINER) != 0;
		uint32_t from, to;
		if (s->kind == IMPACT_SYMBOL_ASSIGN) {
			/* A data-only assignment alone on its lines (value_lines) naming nothing else. */
			if (!out->val || !out->val[i] || s->end_line > nlines ||
			    !impact_fnheader_names_nothing(src + starts[s->start_line - 1],
			                                   starts[s->end_line] - starts[s->start_line - 1]))
				continue;
			out->sig[i] = out->val[i];
			for (uint32_t l = s->start_line; l <= s->end_line; l++)
				in_header[l] = true;
			header_of[s->start_line] = (uint32_t)i;
			continue;
		}
		if (s->kind == IMPACT_SYMBOL_CLASS) {
			/* A class's docstring, as a function's header. */
			if (!impact_fnheader_class_doc(facts, (uint32_t)i, src, starts, nlines, &from, &to))
				continue;
			lexer_start(&lx, true);
			feed_lines(&lx, src, starts, nlines, from, to);
			out->sig[i] = from && lx.h ? lx.h : 1; /* 1: none */
			for (uint32_t l = from; from && l <= to; l++)
				in_header[l] = true;
			if (from)
				header_of[from] = (uint32_t)i;
			continue;
		}
		if ((one && (!cut || cut[s->body_start_line] == SIZE_MAX)) ||
		    !impact_fnheader_plain(facts, (uint32_t)i, src, starts, nlines, lazy))
			continue;
		lexer_start(&lx, true);
		feed_lines(&lx, src, starts, nlines, s->start_line, s->body_start_line - 1);
		if (one) /* the header's part of its last line */
			feed_line(&lx, src + starts[s->body_start_line - 1], cut[s->body_start_line]);
		out->sig[i] = lx.h ? lx.h : 1;
		for (uint32_t l = s->start_line; l < s->body_start_line + one; l++)
			in_header[l] = true;
		header_of[s->start_line] = (uint32_t)i;
	}
	lexer_start(&lx, true);
	for (uint32_t l = 1; l <= nlines; l++) {
		if (header_of[l] != IMPACT_SYMBOL_NONE)
			out->sigat[header_of[l]] = lx.h; /* the module code before it */
		if (in_body[l] || in_header[l]) {
			settle(&lx);
			continue;
		}
		if (cut && cut[l] != SIZE_MAX) {
			feed_line(&lx, src + starts[l - 1], cut[l]);
			settle(&lx);
			continue;
		}
		feed_lines(&lx, src, starts, nlines, l, l);
	}
	feed(&lx, (unsigned char)(facts->flags & 0x7f));
	out->sigs = lx.h ? lx.h : 1;
	free(header_of);
	free(in_header);
}

static void compute(impact_fnhashes *out, const char *src, size_t len,
                    const impact_pyfacts *facts, bool tokens)
{
	size_t nlines;
	size_t *starts = line_starts(src, len, &nlines);
	bool *in_body = impact_xcalloc(nlines + 2, sizeof(bool));
	size_t *cut = NULL; /* per line: bytes of module code before a one-liner's body */
	uint32_t *value_of = NULL; /* per line: the data-only assignment holding it (tokens only) */
	lexer lx, vlx;

	out->val = NULL;
	out->values = 0;
	out->sig = NULL;
	out->sigat = NULL;
	out->sigs = 0;
	out->n = facts->nsymbols;
	out->fn = impact_xcalloc(facts->nsymbols + 1, sizeof(uint64_t));
	for (size_t i = 0; i < facts->nsymbols; i++) {
		const impact_symbol *s = &facts->symbols[i];
		if (!is_function(s))
			continue;
		lexer_start(&lx, tokens);
		feed_lines(&lx, src, starts, nlines, s->start_line, s->end_line);
		out->fn[i] = lx.h ? lx.h : 1;
		if (!s->body_start_line || s->body_start_line > nlines)
			continue;
		if (s->flags & IMPACT_SYMBOL_ONE_LINER) {
			/* The body shares the header's last line: only the header is module code. */
			size_t at = header_cut(src, starts, nlines, s->def_line, s->body_start_line);
			if (at == SIZE_MAX)
				continue; /* untold: the whole one-liner stays import-time */
			if (!cut) {
				cut = impact_xmalloc((nlines + 2) * sizeof(size_t));
				for (size_t l = 0; l < nlines + 2; l++)
					cut[l] = SIZE_MAX;
			}
			cut[s->body_start_line] = at;
			for (uint32_t l = s->body_start_line + 1; l <= s->body_end_line && l <= nlines; l++)
				in_body[l] = true;
			continue;
		}
		for (uint32_t l = s->body_start_line; l <= s->body_end_line && l <= nlines; l++)
			in_body[l] = true;
	}
	if (tokens) {
		value_lines(out, src, starts, nlines, facts, &value_of);
		header_lines(out, src, len, starts, nlines, facts, in_body, cut);
	}
	/* Module code: every line outside function bodies, as runs of lines. */
	lexer_start(&lx, tokens);
	vlx = lx;
	for (uint32_t l = 1; l <= nlines; l++) {
		if (in_body[l]) {
			/* Keep the strings and brackets of a body from leaking out. */
			settle(&lx);
			settle(&vlx);
			continue;
		}
		if (cut && cut[l] != SIZE_MAX) {
			/* A one-liner: its header, then a body like any other. */
			feed_line(&lx, src + starts[l - 1], cut[l]);
			feed_line(&vlx, src + starts[l - 1], cut[l]);
			settle(&lx);
			settle(&vlx);
			continue;
		}
		feed_lines(&lx, src, starts, nlines, l, l);
		if (value_of && value_of[l] != IMPACT_SYMBOL_NONE) {
			/* A data-only assignment: its name counts, its value does not. */
			const impact_symbol *s = &facts->symbols[value_of[l]];
			if (s->start_line == l)
				feed_line(&vlx, s->name, strlen(s->name));
			settle(&vlx);
			continue;
		}
		feed_lines(&vlx, src, starts, nlines, l, l);
	}
	/* Facts flags that change what an import does count too. */
	feed(&lx, (unsigned char)(facts->flags & 0x7f));
	feed(&vlx, (unsigned char)(facts->flags & 0x7f));
	out->module = lx.h ? lx.h : 1;
	if (tokens)
		out->values = vlx.h ? vlx.h : 1;
	free(value_of);
	free(in_body);
	free(cut);
	free(starts);
}

void impact_fnhashes_compute(impact_fnhashes *out, const char *src, size_t len,
                             const impact_pyfacts *facts)
{
	compute(out, src, len, facts, false);
}

void impact_fnhashes_compute_tokens(impact_fnhashes *out, const char *src, size_t len,
                                    const impact_pyfacts *facts)
{
	compute(out, src, len, facts, true);
}

void impact_fnhashes_release(impact_fnhashes *h)
{
	free(h->fn);
	free(h->val);
	free(h->sig);
	free(h->sigat);
	h->sigat = NULL;
	h->fn = NULL;
	h->val = NULL;
	h->sig = NULL;
	h->n = 0;
}

uint32_t impact_fnhash_owner(const impact_pyfacts *facts, uint32_t line)
{
	uint32_t best = IMPACT_SYMBOL_NONE;
	for (size_t i = 0; i < facts->nsymbols; i++) {
		const impact_symbol *s = &facts->symbols[i];
		if (!is_function(s) || line < s->start_line || line > s->end_line)
			continue;
		/* Symbols come in source order, outer before inner: the last match is innermost. */
		best = (uint32_t)i;
	}
	return best;
}
