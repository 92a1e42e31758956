/*
 * jsonw.c - the streaming JSON writer (see jsonw.h).
 *
 * A container remembers whether anything was written in it, for the
 * commas and so that an empty one prints as [] or {} as jansson does.
 * Nesting past IMPACT_JSONW_DEPTH is a programming error: the report is
 * four levels deep.
 */
#include "jsonw.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPACES64 "                                                                "
_Static_assert(sizeof(SPACES64) - 1 >= 2 * IMPACT_JSONW_DEPTH, "an indent per level");

size_t impact_utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf && (s[1] & 0xc0) == 0x80)
		return 2;
	if (s[0] >= 0xe0 && s[0] <= 0xef && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80) {
		if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

void impact_jsonw_init(impact_jsonw *w, impact_buf *out, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->pretty = pretty;
}

static void newline(impact_jsonw *w, unsigned depth)
{
	static const char line[] = "\n" SPACES64;
	if (!w->pretty)
		return;
	/* One put: the newline and two spaces a level (IMPACT_JSONW_DEPTH levels fit). */
	impact_buf_put(w->out, line, 1 + 2 * (size_t)depth);
}

/* Before a member's key or an array's element: the comma, the line. */
static void next_item(impact_jsonw *w)
{
	if (!w->depth)
		return;
	if (!w->empty[w->depth - 1])
		impact_buf_putc(w->out, ',');
	w->empty[w->depth - 1] = false;
	newline(w, w->depth);
}

/* Before any value: after a key nothing, else the array's separator. */
static void before_value(impact_jsonw *w)
{
	if (w->after_key)
		w->after_key = false;
	else
		next_item(w);
}

static void open(impact_jsonw *w, char c)
{
	before_value(w);
	assert(w->depth < IMPACT_JSONW_DEPTH);
	impact_buf_putc(w->out, c);
	w->closer[w->depth] = c == '{' ? '}' : ']';
	w->empty[w->depth++] = true;
}

void impact_jsonw_object(impact_jsonw *w)
{
	open(w, '{');
}

void impact_jsonw_array(impact_jsonw *w)
{
	open(w, '[');
}

void impact_jsonw_end(impact_jsonw *w)
{
	assert(w->depth > 0);
	w->depth--;
	if (!w->empty[w->depth])
		newline(w, w->depth);
	impact_buf_putc(w->out, w->closer[w->depth]);
}

static void put_string(impact_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	impact_buf_putc(out, '"');
	while (*p) {
		size_t n;
		if (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') {
			p++; /* plain ASCII: most of every path */
			continue;
		}
		n = impact_utf8_len(p);
		if (n > 1) {
			p += n;
			continue;
		}
		if (n == 1 && *p >= 0x20 && *p != '"' && *p != '\\') {
			p++;
			continue;
		}
		impact_buf_put(out, run, (size_t)(p - run));
		if (!n)
			impact_buf_puts(out, "\xef\xbf\xbd");
		else if (*p == '"' || *p == '\\') {
			impact_buf_putc(out, '\\');
			impact_buf_putc(out, (char)*p);
		} else if (*p == '\n')
			impact_buf_puts(out, "\\n");
		else if (*p == '\t')
			impact_buf_puts(out, "\\t");
		else if (*p == '\r')
			impact_buf_puts(out, "\\r");
		else if (*p == '\b')
			impact_buf_puts(out, "\\b");
		else if (*p == '\f')
			impact_buf_puts(out, "\\f");
		else
			impact_buf_printf(out, "\\u%04X", *p);
		run = ++p;
	}
	impact_buf_put(out, run, (size_t)(p - run));
	impact_buf_putc(out, '"');
}

void impact_jsonw_key(impact_jsonw *w, const char *key)
{
	next_item(w);
	put_string(w->out, key);
	impact_buf_puts(w->out, w->pretty ? ": " : ":");
	w->after_key = true;
}

void impact_jsonw_string(impact_jsonw *w, const char *s)
{
	if (!s) {
		impact_jsonw_null(w);
		return;
	}
	before_value(w);
	put_string(w->out, s);
}

void impact_jsonw_int(impact_jsonw *w, long long v)
{
	before_value(w);
	impact_buf_printf(w->out, "%lld", v);
}

void impact_jsonw_real(impact_jsonw *w, double v)
{
	char text[32];
	before_value(w);
	if (!isfinite(v)) {
		impact_buf_puts(w->out, "null");
		return;
	}
	/* The shortest of 15 or 17 digits that reads back as `v`, and a real stays one. */
	snprintf(text, sizeof(text), "%.15g", v);
	if (strtod(text, NULL) != v)
		snprintf(text, sizeof(text), "%.17g", v);
	impact_buf_puts(w->out, text);
	if (!strpbrk(text, ".eE"))
		impact_buf_puts(w->out, ".0");
}

void impact_jsonw_bool(impact_jsonw *w, bool v)
{
	before_value(w);
	impact_buf_puts(w->out, v ? "true" : "false");
}

void impact_jsonw_null(impact_jsonw *w)
{
	before_value(w);
	impact_buf_puts(w->out, "null");
}
