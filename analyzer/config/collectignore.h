/*
 * collectignore.h - the `collect_ignore` and `collect_ignore_glob` lists
 * of conftest.py files: the paths pytest leaves out of a run.
 *
 * pytest reads each of the two names from the nearest conftest.py that
 * defines it (nearest to the folder being collected; they are not merged
 * across conftests) and skips a path it finds in the list, joined with
 * that conftest's folder, or matching a glob so joined. A path given on
 * pytest's command line is collected anyway, so impact must not take such
 * a file for a test: it would hand it to pytest, which runs it.
 *
 * Only what is certain is read: module-level statements (column 0, so
 * never under an `if`) binding or extending the list with string
 * literals: `collect_ignore = [...]`, `+= [...]`, `.append("x")`,
 * `.extend([...])`. A conftest that names the list in any other way
 * (conditionally, computed) still defines it, so it hides its parents'
 * lists below its folder, but only what was read is ignored: a file impact
 * cannot show to be ignored stays a test (selected more, never less).
 */
#ifndef IMPACT_COLLECTIGNORE_H
#define IMPACT_COLLECTIGNORE_H

#include "buf.h"

typedef struct impact_conftest_ignore {
	char *dir;              /* the conftest's folder, "" at the root; owned */
	bool defines_ignore;    /* names collect_ignore */
	bool defines_glob;      /* names collect_ignore_glob */
	impact_strlist ignore;  /* repository paths, joined with dir */
	impact_strlist glob;    /* patterns, joined with dir */
} impact_conftest_ignore;

typedef struct impact_conftest_ignores {
	impact_conftest_ignore *v;
	size_t n, alloc;
} impact_conftest_ignores;

/*
 * Read conftest.py `path` (its source: `src`, `len` bytes) and, when it
 * names either list, append what it says to `out`.
 */
void impact_conftest_ignores_read(impact_conftest_ignores *out, const char *path,
                                  const char *src, size_t len);

/*
 * Does pytest skip repository path `path` (a file) while collecting, by
 * the lists of `l`: the path or one of its folders is listed, or matches
 * a glob, in the list of the nearest conftest defining it?
 */
bool impact_conftest_ignores_match(const impact_conftest_ignores *l, const char *path);

void impact_conftest_ignores_release(impact_conftest_ignores *l);

#endif
