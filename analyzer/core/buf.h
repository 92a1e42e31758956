/*
 * buf.h - the one growable byte string (git's strbuf, curl's dynbuf).
 *
 * Always NUL-terminated after any successful call, so `ptr` can be passed
 * to C string functions when the content holds no NUL. Allocation failure
 * aborts (common.h); the size cap guards against runaway input instead:
 * appends past IMPACT_BUF_MAX fail with IMPACT_ERROR and leave the buffer
 * as it was.
 */
#ifndef IMPACT_BUF_H
#define IMPACT_BUF_H

#include "common.h"

#include <stdarg.h>

#define IMPACT_BUF_MAX ((size_t)1 << 31) /* 2 GiB */

typedef struct impact_buf {
	char *ptr;    /* content, NUL-terminated; never NULL after _init */
	size_t size;  /* bytes used, not counting the NUL */
	size_t asize; /* bytes allocated; 0 means ptr is the shared "" */
} impact_buf;

#define IMPACT_BUF_INIT { impact_buf__initbuf, 0, 0 }
extern char impact_buf__initbuf[];

void impact_buf_init(impact_buf *b);
/* Free the content; the buffer is empty and reusable afterwards. */
void impact_buf_release(impact_buf *b);
/* Empty it, keeping the allocation. */
void impact_buf_clear(impact_buf *b);
/* Take the content (caller frees); the buffer is empty afterwards. */
char *impact_buf_detach(impact_buf *b);

int impact_buf_grow(impact_buf *b, size_t extra);
int impact_buf__put_grow(impact_buf *b, const void *data, size_t len);

/*
 * Appends. Inline while the allocation has room (most appends: a JSON
 * report of a large selection makes millions), else through the growth.
 */
static inline int impact_buf_put(impact_buf *b, const void *data, size_t len)
{
	if (len >= b->asize - b->size) /* asize 0: the shared "", always grown */
		return impact_buf__put_grow(b, data, len);
	if (len) /* data may be NULL then, which memcpy must never see */
		memcpy(b->ptr + b->size, data, len);
	b->size += len;
	b->ptr[b->size] = '\0';
	return 0;
}

static inline int impact_buf_putc(impact_buf *b, char c)
{
	if (b->asize - b->size < 2)
		return impact_buf__put_grow(b, &c, 1);
	b->ptr[b->size++] = c;
	b->ptr[b->size] = '\0';
	return 0;
}

int impact_buf_puts(impact_buf *b, const char *s);
int impact_buf_printf(impact_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int impact_buf_vprintf(impact_buf *b, const char *fmt, va_list ap);
void impact_buf_truncate(impact_buf *b, size_t len);
/* Replace the content with `s`. */
int impact_buf_sets(impact_buf *b, const char *s);

/*
 * Read a whole file into `b` (appending). IMPACT_ENOTFOUND if it does not
 * exist, IMPACT_ERROR with the path and errno otherwise; files larger than
 * `max` bytes fail with IMPACT_ERROR.
 */
int impact_buf_read_file(impact_buf *b, const char *path, size_t max);

/* A list of owned strings. */
typedef struct impact_strlist {
	char **items; /* owned, NUL-terminated */
	size_t n, alloc;
} impact_strlist;

void impact_strlist_push(impact_strlist *l, const char *s);
void impact_strlist_release(impact_strlist *l);

/*
 * Write `data` to `path` through a temporary file in the same folder,
 * flushed to disk (fsync) and renamed into place: a reader sees the old
 * file or the new one, never a part, also after a crash, which leaves at
 * most a stray "<path>.<pid>.tmp". The file's mode is 0666 less the umask;
 * impact_file_replace_mode sets another (0777 for a hook script). The one
 * atomic replace of the tool: every file impact rewrites goes through it.
 */
int impact_file_replace(const char *path, const void *data, size_t len);
int impact_file_replace_mode(const char *path, const void *data, size_t len, unsigned mode);

/*
 * The same, the file's bytes being `parts` one after the other. With
 * IMPACT_REPLACE_NO_FSYNC it is not flushed: for a cache whose reader
 * checks its bytes (a checksum) and rebuilds what a crash tore, where the
 * flush of a few megabytes would be most of a warm run.
 */
typedef struct impact_file_part {
	const void *data;
	size_t len;
} impact_file_part;
#define IMPACT_REPLACE_NO_FSYNC 1u
int impact_file_replace_parts(const char *path, const impact_file_part *parts, size_t nparts,
                              unsigned flags);

#endif
