/*
 * alloc.c - allocation helpers that never return NULL.
 *
 * Out of memory is fatal here on purpose (see common.h): the message names
 * the size so a runaway input is recognisable.
 */
#include "common.h"

static void die_oom(size_t size)
{
	fprintf(stderr, "impact: fatal: out of memory allocating %zu bytes\n", size);
	abort();
}

void *impact_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		die_oom(size);
	return p;
}

void *impact_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		die_oom(nmemb * size);
	return p;
}

void *impact_xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (!p)
		die_oom(size);
	return p;
}

void *impact_xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		die_oom(SIZE_MAX);
	return impact_xrealloc(ptr, nmemb * size);
}

char *impact_xstrdup(const char *s)
{
	return impact_xstrndup(s, strlen(s));
}

char *impact_xstrndup(const char *s, size_t n)
{
	char *p = impact_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
