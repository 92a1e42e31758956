/*
 * arena.h - many small allocations freed at once.
 *
 * Strings of paths and module names, parsed values, facts: they live and
 * die together, so they come from chunks that are freed in one call.
 * Chunks start at 1 KiB and double up to 64 KiB (a few facts objects stay
 * small; a 10,000-file snapshot uses big chunks); a request larger than a
 * chunk gets one of its own. Pointers stay valid until release.
 */
#ifndef IMPACT_ARENA_H
#define IMPACT_ARENA_H

#include "common.h"

typedef struct impact_arena_chunk impact_arena_chunk;

typedef struct impact_arena {
	impact_arena_chunk *head;
	size_t next_size;
} impact_arena;

#define IMPACT_ARENA_INIT { NULL, 0 }

/* `n` zeroed bytes aligned for any object. Never NULL (common.h). */
void *impact_arena_alloc(impact_arena *a, size_t n);
/* A NUL-terminated copy of s[0..n). */
char *impact_arena_strndup(impact_arena *a, const char *s, size_t n);
/* Free every chunk; the arena is empty and reusable. */
void impact_arena_release(impact_arena *a);

#endif
