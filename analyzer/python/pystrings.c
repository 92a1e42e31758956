/*
 * pystrings.c - Python string literals as text: decoding the value of a
 * plain literal the walk reads (a module name given to import_module or
 * __import__, a pytest_plugins entry: escapes, raw strings, \N{...} is
 * not one), and the lexical pass over the whole source for short literals
 * that may name a module or a path (string evidence). Which nodes are
 * literals is the walk's business (pyimports.c); this file only reads
 * characters.
 */
#include "pyimports_private.h"
#include "strpool.h"

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
bool pyi_decode_one(walker *w, TSNode n, impact_buf *out)
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


/* ---- string evidence ---------------------------------------------------- */

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
	/* Each text once: a new one gets the next id (a lexer module holds thousands). */
	impact_strpool *seen = NULL;

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
				if (kind >= 0 && !seen)
					seen = impact_strpool_new();
				if (kind >= 0 && impact_strpool_intern(seen, src + i + 1, j - i - 1) ==
				                     facts->nstrings) {
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
	impact_strpool_free(seen);
}
