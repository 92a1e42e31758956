/*
 * common.h - what every impact source file includes first.
 *
 * Standard headers used everywhere, the allocation helpers, and banned.h.
 * Allocation failure is fatal (as in git's xmalloc): a selector that ran out
 * of memory has no safe partial answer, and checking every small allocation
 * would bury the real error paths.
 */
#ifndef IMPACT_COMMON_H
#define IMPACT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define IMPACT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define IMPACT_UNUSED(x) ((void)(x))

/* Allocation: never return NULL; abort with a message on exhaustion. */
void *impact_xmalloc(size_t size);
void *impact_xcalloc(size_t nmemb, size_t size);
void *impact_xrealloc(void *ptr, size_t size);
/* realloc of nmemb * size bytes, aborting on multiplication overflow. */
void *impact_xreallocarray(void *ptr, size_t nmemb, size_t size);
char *impact_xstrdup(const char *s);
char *impact_xstrndup(const char *s, size_t n);

/*
 * Growable arrays: `T *items; size_t n, alloc;` kept by the caller.
 * IMPACT_GROW(items, alloc, need) makes room for `need` elements.
 */
#define IMPACT_GROW(items, alloc, need)                                        \
	do {                                                                   \
		if ((need) > (alloc)) {                                        \
			size_t impact_grow_n_ = (alloc) ? (alloc) * 2 : 8;    \
			while (impact_grow_n_ < (need))                        \
				impact_grow_n_ *= 2;                           \
			(items) = impact_xreallocarray((items), impact_grow_n_, \
			                               sizeof(*(items)));      \
			(alloc) = impact_grow_n_;                              \
		}                                                              \
	} while (0)

#define IMPACT_PUSH(items, n, alloc, value)                                    \
	do {                                                                   \
		IMPACT_GROW(items, alloc, (n) + 1);                            \
		(items)[(n)++] = (value);                                      \
	} while (0)

/* A growable array of uint32_t (ids), the most common kind here. */
typedef struct impact_u32vec {
	uint32_t *v;
	size_t n, alloc;
} impact_u32vec;

static inline void impact_u32vec_push(impact_u32vec *vec, uint32_t x)
{
	IMPACT_PUSH(vec->v, vec->n, vec->alloc, x);
}

/* The indentation (spaces and tabs) of the line beginning at `p`, which ends before `end`. */
static inline size_t impact_indent_width(const char *p, const char *end)
{
	size_t n = 0;
	while (p + n < end && (p[n] == ' ' || p[n] == '\t'))
		n++;
	return n;
}

/* Does `vec` hold x (a linear search: for short lists)? */
static inline bool impact_u32vec_has(const impact_u32vec *vec, uint32_t x)
{
	for (size_t i = 0; i < vec->n; i++)
		if (vec->v[i] == x)
			return true;
	return false;
}

/* Sort ascending and drop repeats (u32vec.c). */
void impact_u32vec_sort_unique(impact_u32vec *vec);
/* Ascending uint32_t order, for qsort and bsearch. */
int impact_u32_cmp(const void *a, const void *b);

static inline void impact_u32vec_release(impact_u32vec *vec)
{
	free(vec->v);
	vec->v = NULL;
	vec->n = vec->alloc = 0;
}

#include "banned.h"

#endif
