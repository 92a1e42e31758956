/*
 * bytes.c - the byte codec of the binary formats (see bytes.h).
 */
#include "bytes.h"

void impact_bytes_put_u32(impact_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8),
	                       (unsigned char)(v >> 16), (unsigned char)(v >> 24) };
	impact_buf_put(b, x, 4);
}

uint32_t impact_bytes_get_u32(impact_bytes_reader *r)
{
	uint32_t v;
	if (r->bad || r->end - r->p < 4) {
		r->bad = true;
		return 0;
	}
	v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
	    (uint32_t)r->p[3] << 24;
	r->p += 4;
	return v;
}

const unsigned char *impact_bytes_get(impact_bytes_reader *r, size_t n)
{
	const unsigned char *at = r->p;
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	return at;
}
