/*
 * arena.c - chunked allocation freed at once (see arena.h).
 */
#include "arena.h"

struct impact_arena_chunk {
	impact_arena_chunk *next;
	size_t used, size;
	_Alignas(max_align_t) char data[];
};

#define ALIGN(n) (((n) + _Alignof(max_align_t) - 1) & ~(size_t)(_Alignof(max_align_t) - 1))

void *impact_arena_alloc(impact_arena *a, size_t n)
{
	impact_arena_chunk *c = a->head;
	void *p;

	n = ALIGN(n ? n : 1);
	if (!c || c->size - c->used < n) {
		size_t size = a->next_size ? a->next_size : 1024;
		if (a->next_size < 65536)
			a->next_size = size * 2;
		if (size < n)
			size = n;
		c = impact_xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *impact_arena_strndup(impact_arena *a, const char *s, size_t n)
{
	char *p = impact_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void impact_arena_release(impact_arena *a)
{
	impact_arena_chunk *c, *next;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->next_size = 0;
}
