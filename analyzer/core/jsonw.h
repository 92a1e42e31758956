/*
 * jsonw.h - a streaming JSON writer into an impact_buf, for the one
 * document impact writes that is large: the --json selection report
 * (half a megabyte on a 400-module project, with a chain per selected
 * test). Building it as a jansson tree first, then dumping that tree,
 * cost a warm run a quarter of its time; the writer appends each value as
 * it comes. Every other document (the last run, the audit, watch events)
 * stays a jansson tree: small, and read back as well as written.
 *
 * Output matches jansson's JSON_INDENT(2) (pretty) or JSON_COMPACT form.
 * Strings that are not valid UTF-8 are written with each invalid byte
 * replaced by U+FFFD, so the document is always valid; callers that must
 * keep such bytes add an escaped form beside (see report.c).
 *
 * Usage: _init, then values; inside an object each value follows a _key.
 * The writer keeps no heap memory of its own; `out` is the caller's.
 */
#ifndef IMPACT_JSONW_H
#define IMPACT_JSONW_H

#include "buf.h"

#define IMPACT_JSONW_DEPTH 32

typedef struct impact_jsonw {
	impact_buf *out;
	bool pretty;
	bool after_key;                     /* the next value follows "key": */
	unsigned depth;
	bool empty[IMPACT_JSONW_DEPTH];     /* per open container: nothing in it yet */
	char closer[IMPACT_JSONW_DEPTH];    /* per open container: '}' or ']' */
} impact_jsonw;

void impact_jsonw_init(impact_jsonw *w, impact_buf *out, bool pretty);

void impact_jsonw_object(impact_jsonw *w);  /* { */
void impact_jsonw_array(impact_jsonw *w);   /* [ */
void impact_jsonw_end(impact_jsonw *w);     /* the innermost } or ] */

/* The key of the next member of the innermost object. */
void impact_jsonw_key(impact_jsonw *w, const char *key);

void impact_jsonw_string(impact_jsonw *w, const char *s); /* NULL: null */
void impact_jsonw_int(impact_jsonw *w, long long v);
void impact_jsonw_real(impact_jsonw *w, double v);
void impact_jsonw_bool(impact_jsonw *w, bool v);
void impact_jsonw_null(impact_jsonw *w);

/* Length of the valid UTF-8 sequence at `s` (NUL-terminated), 0 if invalid. */
size_t impact_utf8_len(const unsigned char *s);

#endif
