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

/*
 * Eight bytes, little-endian. One load (a swap on a big-endian machine):
 * written as shifts, GCC merged them into a load but left the function
 * uninlined, a call per eight bytes of every checksum.
 */
static inline uint64_t le64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 29);
}

uint32_t impact_bytes_checksum(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t a = 0x9e3779b97f4a7c15ull ^ (uint64_t)n, b = 0xc2b2ae3d27d4eb4full,
	         c = 0x165667b19e3779f9ull, d = 0x27d4eb2f165667c5ull;
	size_t i = 0;
	/* Four lanes, so that no step waits for the one before: 32 bytes a round. */
	for (; i + 32 <= n; i += 32) {
		a = mix(a, le64(p + i));
		b = mix(b, le64(p + i + 8));
		c = mix(c, le64(p + i + 16));
		d = mix(d, le64(p + i + 24));
	}
	for (; i + 8 <= n; i += 8)
		a = mix(a, le64(p + i));
	for (; i < n; i++)
		a = (a ^ p[i]) * 0x100000001b3ull;
	a = mix(mix(mix(a, b), c), d);
	return (uint32_t)(a ^ (a >> 32));
}
