/*
 * pypieces.c - cutting a large source into pieces to parse: the guard
 * against the 16-bit child counts of Debian's libtree-sitter 0.20.7 and,
 * without it, runs of whole top-level statements for memory (see
 * pyimports.c's header comment); and the keyword index the walk uses to
 * skip subtrees that cannot hold an import, which also tells a piece too
 * big to parse that holds no import (skipped) from one that may (the
 * module is too large). It plans pieces; parsing them is pyextract.c.
 */
#include "pyimports_private.h"

/* Units (see count_units) one parse may see while the guard is on. */
#define GUARD_MAX_UNITS 24000u
/*
 * Without the guard, a source over this many units (some 300 KB) is still
 * parsed in runs of whole top-level statements, for memory: a syntax tree
 * costs some 50 times its source, and a 1.5 MB generated test module parsed
 * whole held 160 MB. A single statement over it is parsed alone.
 */
#define MEMORY_MAX_UNITS 120000u

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
