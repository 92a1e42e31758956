/*
 * bytes.h - the byte codec of impact's two binary formats (the parse
 * cache's facts, pyfacts_codec.c; the cached module graph, projcache.c):
 * little-endian u32s written into a buffer, and a bounds-checked reader
 * that turns every over-read into a flag instead of a crash, so damaged
 * or truncated input reads as a cache miss.
 */
#ifndef IMPACT_BYTES_H
#define IMPACT_BYTES_H

#include "buf.h"

void impact_bytes_put_u32(impact_buf *b, uint32_t v);

/* Reads [p, end); `bad` is set by the first read past the end and stays set. */
typedef struct impact_bytes_reader {
	const unsigned char *p, *end;
	bool bad;
} impact_bytes_reader;

/*
 * A checksum of n bytes (read little-endian, four lanes at a time): a
 * check that stored bytes are the ones written, not a defence against
 * forgery. Both binary formats seal their records with it.
 */
uint32_t impact_bytes_checksum(const void *data, size_t n);

/* The next u32, or 0 with r->bad set. */
uint32_t impact_bytes_get_u32(impact_bytes_reader *r);
/* The next `n` bytes (borrowed from the input), or NULL with r->bad set. */
const unsigned char *impact_bytes_get(impact_bytes_reader *r, size_t n);

#endif
