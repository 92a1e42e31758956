/*
 * strpool.h - interned strings: each distinct byte string gets one small id.
 *
 * The graph refers to paths and module names by uint32 ids so its arrays
 * stay flat and comparisons are integer compares. Strings live in an arena
 * freed all at once with the pool; ids are dense, 0..count-1, in insertion
 * order. Strings may hold any byte; one holding a NUL is found and
 * interned by its length, but impact_strpool_get shows it cut at the NUL.
 */
#ifndef IMPACT_STRPOOL_H
#define IMPACT_STRPOOL_H

#include "common.h"

typedef struct impact_strpool impact_strpool;

#define IMPACT_STRPOOL_NONE UINT32_MAX

impact_strpool *impact_strpool_new(void);
void impact_strpool_free(impact_strpool *pool);

/* The id of `s` (len bytes), adding it if new. */
uint32_t impact_strpool_intern(impact_strpool *pool, const char *s, size_t len);
uint32_t impact_strpool_interns(impact_strpool *pool, const char *s);
/* The id of `s`, or IMPACT_STRPOOL_NONE when absent. */
uint32_t impact_strpool_find(const impact_strpool *pool, const char *s, size_t len);
/* The string of `id`: borrowed, lives as long as the pool. */
const char *impact_strpool_get(const impact_strpool *pool, uint32_t id);
size_t impact_strpool_len(const impact_strpool *pool, uint32_t id);
uint32_t impact_strpool_count(const impact_strpool *pool);

#endif
