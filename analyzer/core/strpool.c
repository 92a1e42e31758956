/*
 * strpool.c - string interning with an open-addressing hash table over an
 * arena of string bytes (see strpool.h).
 *
 * FNV-1a hashing, power-of-two table kept under 50% full. String bytes
 * live in an arena whose chunks never move, so returned pointers stay
 * valid.
 */
#include "strpool.h"

#include "arena.h"

typedef struct entry {
	const char *str;
	uint32_t len;
	uint32_t hash;
} entry;

struct impact_strpool {
	impact_arena arena;  /* the string bytes */
	entry *entries; /* by id */
	size_t n, alloc;
	uint32_t *table; /* id + 1, 0 = empty */
	size_t table_size;
};

static uint32_t hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

impact_strpool *impact_strpool_new(void)
{
	impact_strpool *p = impact_xcalloc(1, sizeof(*p));
	p->table_size = 1024;
	p->table = impact_xcalloc(p->table_size, sizeof(*p->table));
	return p;
}

void impact_strpool_free(impact_strpool *p)
{
	if (!p)
		return;
	impact_arena_release(&p->arena);
	free(p->entries);
	free(p->table);
	free(p);
}

static void rehash(impact_strpool *p)
{
	size_t size = p->table_size * 2;
	uint32_t *t = impact_xcalloc(size, sizeof(*t));
	for (size_t id = 0; id < p->n; id++) {
		size_t i = p->entries[id].hash & (size - 1);
		while (t[i])
			i = (i + 1) & (size - 1);
		t[i] = (uint32_t)id + 1;
	}
	free(p->table);
	p->table = t;
	p->table_size = size;
}

static size_t lookup(const impact_strpool *p, const char *s, size_t len,
                     uint32_t h)
{
	size_t i = h & (p->table_size - 1);
	while (p->table[i]) {
		const entry *e = &p->entries[p->table[i] - 1];
		if (e->hash == h && e->len == len && !memcmp(e->str, s, len))
			return i;
		i = (i + 1) & (p->table_size - 1);
	}
	return i;
}

uint32_t impact_strpool_intern(impact_strpool *p, const char *s, size_t len)
{
	uint32_t h = hash_bytes(s, len);
	size_t i = lookup(p, s, len, h);
	entry e;

	if (p->table[i])
		return p->table[i] - 1;
	e.str = impact_arena_strndup(&p->arena, s, len);
	e.len = (uint32_t)len;
	e.hash = h;
	IMPACT_PUSH(p->entries, p->n, p->alloc, e);
	p->table[i] = (uint32_t)p->n;
	if (p->n * 2 > p->table_size)
		rehash(p);
	return (uint32_t)p->n - 1;
}

uint32_t impact_strpool_interns(impact_strpool *p, const char *s)
{
	return impact_strpool_intern(p, s, strlen(s));
}

uint32_t impact_strpool_find(const impact_strpool *p, const char *s, size_t len)
{
	size_t i = lookup(p, s, len, hash_bytes(s, len));
	return p->table[i] ? p->table[i] - 1 : IMPACT_STRPOOL_NONE;
}

const char *impact_strpool_get(const impact_strpool *p, uint32_t id)
{
	return id < p->n ? p->entries[id].str : NULL;
}

size_t impact_strpool_len(const impact_strpool *p, uint32_t id)
{
	return id < p->n ? p->entries[id].len : 0;
}

uint32_t impact_strpool_count(const impact_strpool *p)
{
	return (uint32_t)p->n;
}
